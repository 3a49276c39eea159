#!/bin/sh
# Guest script for boot-guest.sh --migrate-at "PVGEN: migrate here": a disk workload that is
# migrated while it runs. Loads /pvgen/pata_pvgen_piix.ko with $PVGEN_INSMOD_ARGS, then
# writes and reads back 40 patterns of 64 KiB with O_DIRECT, each at a sector of its own,
# and prints the marker after the tenth, so the host saves the VM in the middle of the
# following commands and restores it in a second QEMU. Every pattern must read back, and
# the driver must not have fallen back to port I/O or seen a host error: after the restore
# the device still serves the transport (and the ring attachment) the guest had.
set -eu

MODULE=pata_pvgen_piix
PARAMS=/sys/module/$MODULE/parameters
BS=65536

fail() {
	echo "PVGEN: FAIL $*"
	exit 1
}

# shellcheck disable=SC2086 # the arguments are words on purpose
insmod "/pvgen/$MODULE.ko" ${PVGEN_INSMOD_ARGS:-} || fail "insmod $MODULE ${PVGEN_INSMOD_ARGS:-}"
i=0
while [ ! -b /dev/sda ]; do
	[ -e /sys/block/sda ] && mdev -s && continue
	i=$((i + 1))
	[ "$i" -le 300 ] || fail "no /dev/sda after 30 s"
	sleep 0.1
done
before=$(cat $PARAMS/transport_in_use)

n=0
while [ "$n" -lt 40 ]; do
	tag=$(printf 'm%04d' "$n")
	# shellcheck disable=SC2046 # word splitting of seq's output is the point
	printf "${tag}%010d\n" $(seq 0 4095) >/tmp/pattern
	seek=$((32 + n))
	dd if=/tmp/pattern of=/dev/sda bs=$BS seek=$seek count=1 oflag=direct 2>/dev/null || fail "write $n"
	dd if=/dev/sda of=/tmp/readback bs=$BS skip=$seek count=1 iflag=direct 2>/dev/null || fail "read $n"
	cmp -s /tmp/pattern /tmp/readback || fail "pattern $n did not read back"
	[ "$n" -eq 10 ] && echo "PVGEN: migrate here"
	n=$((n + 1))
done
echo "PVGEN: 40 patterns read back"

after=$(cat $PARAMS/transport_in_use)
errors=$(cat $PARAMS/host_errors)
direct=$(cat $PARAMS/direct_accesses)
echo "PVGEN: transport $before -> $after, host_errors=$errors direct_accesses=$direct"
[ "$after" = "$before" ] || fail "the transport changed across the migration"
[ "$errors" -eq 0 ] && [ "$direct" -eq 0 ] || fail "host_errors=$errors direct_accesses=$direct"
rmmod "$MODULE" || fail "rmmod $MODULE"
echo "PVGEN: OK migrated workload"
