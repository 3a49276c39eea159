#!/bin/sh
# Guest script for boot-guest.sh: the exitless ring's life across module reloads.
#
# Loads /pvgen/pata_pvgen_piix.ko with transport=ring $RING_CYCLES times (default 4), and
# each time checks that it came back on the ring, writes a 64 KiB pattern with O_DIRECT
# at a sector of its own and reads it back, then unloads. Then one probe that fails
# right after the ring is attached (test_fail_probe=1), one more good cycle, and a
# suspend and resume with the ring in use. The
# host side (QEMUDeviceTests) reads the device's ring calls from QEMU's trace: every
# attach must be followed by a detach, and the last call must leave no ring attached.
set -eu

MODULE=pata_pvgen_piix
CYCLES=${RING_CYCLES:-4}
BS=65536

fail() {
	echo "PVGEN: FAIL $*"
	exit 1
}

wait_disk() {
	i=0
	while [ ! -b /dev/sda ]; do
		[ -e /sys/block/sda ] && mdev -s && continue
		i=$((i + 1))
		[ "$i" -le 300 ] || fail "no /dev/sda after 30 s"
		sleep 0.1
	done
}

# One O_DIRECT round trip at sector $2, pattern tagged $1.
roundtrip() {
	tag=$1 sector=$2
	# shellcheck disable=SC2046 # word splitting of seq's output is the point
	printf "${tag}%010d\n" $(seq 0 4095) >/tmp/pattern
	dd if=/tmp/pattern of=/dev/sda bs="$BS" seek=$((sector * 512 / BS)) count=1 oflag=direct 2>/dev/null ||
		fail "O_DIRECT write at sector $sector"
	dd if=/dev/sda of=/tmp/readback bs="$BS" skip=$((sector * 512 / BS)) count=1 iflag=direct 2>/dev/null ||
		fail "O_DIRECT read at sector $sector"
	cmp -s /tmp/pattern /tmp/readback || fail "readback at sector $sector differs"
	echo "PVGEN: pattern-md5=$(md5sum </tmp/pattern | cut -d' ' -f1) sector=$sector tag=$tag bytes=$BS"
}

unload() {
	# After a resume libata's EH may still hold the module for a moment (EAGAIN).
	i=0
	until rmmod "$MODULE" 2>/dev/null; do
		i=$((i + 1))
		[ "$i" -le 50 ] || fail "rmmod $MODULE"
		sleep 0.1
	done
	[ ! -e /sys/module/$MODULE ] || fail "$MODULE still loaded after rmmod"
}

rings=0
cycle() {
	n=$1
	insmod "/pvgen/$MODULE.ko" transport=ring || fail "insmod, cycle $n"
	wait_disk
	rings=$((rings + 1))
	got=$(dmesg | grep -c "transport: ring (") || true
	[ "$got" -eq "$rings" ] || fail "cycle $n: $got of $rings loads came back on the ring"
	in_use=$(cat /sys/module/$MODULE/parameters/transport_in_use)
	[ "$in_use" = ring ] || fail "cycle $n: transport_in_use=$in_use"
	roundtrip "ring$n" $((4096 + 256 * n))
	errors=$(cat /sys/module/$MODULE/parameters/host_errors)
	direct=$(cat /sys/module/$MODULE/parameters/direct_accesses)
	[ "$errors" -eq 0 ] && [ "$direct" -eq 0 ] || fail "cycle $n: host_errors=$errors direct_accesses=$direct"
	unload
	echo "PVGEN: ring cycle $n OK"
}

n=1
while [ "$n" -le "$CYCLES" ]; do
	cycle "$n"
	n=$((n + 1))
done

# A probe that fails after the attach: the driver does not bind, and the host must be
# left with no ring (the host side checks the trace).
insmod "/pvgen/$MODULE.ko" transport=ring test_fail_probe=1 || fail "insmod test_fail_probe=1"
sleep 1
dmesg | grep -q "failing the probe after the ring" || fail "the probe did not fail after the ring"
[ ! -e /sys/block/sda ] || fail "sda present after a failed probe"
rings=$((rings + 1)) # it did attach before it failed
unload
echo "PVGEN: failed probe OK"

cycle "$n"

# Suspend and resume with the ring in use (suspend-to-idle, stopped after the devices as
# pm_test=devices does): the driver lets the ring go before the devices sleep and attaches
# it again after, and I/O goes on on the ring.
n=$((n + 1))
insmod "/pvgen/$MODULE.ko" transport=ring || fail "insmod before suspend"
wait_disk
roundtrip "pmbef" 8192
echo 1 >/sys/module/suspend/parameters/pm_test_delay
echo devices >/sys/power/pm_test
echo freeze >/sys/power/state || fail "suspend-to-idle failed"
dmesg | grep -q "did not attach it again" && fail "the ring was not attached again after resume"
roundtrip "pmaft" 8448
errors=$(cat /sys/module/$MODULE/parameters/host_errors)
direct=$(cat /sys/module/$MODULE/parameters/direct_accesses)
[ "$errors" -eq 0 ] && [ "$direct" -eq 0 ] || fail "after resume: host_errors=$errors direct_accesses=$direct"
unload
echo "PVGEN: suspend and resume OK"
echo "PVGEN: OK ring cycles"
