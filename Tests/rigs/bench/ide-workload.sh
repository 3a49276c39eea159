#!/bin/sh
# Guest script for boot-guest.sh (runs as "sh /test.sh" under busybox): the workload of
# scripts/bench-ide.sh. BENCH_N 4 KiB O_DIRECT writes, then BENCH_N 4 KiB O_DIRECT reads
# of the same blocks, each phase between marker writes to port 0x80 (/dev/port), so that
# the host counts only the register accesses of the measured window in QEMU's trace:
#
#   0xa1  writes start     0xa2  writes end, reads start     0xa3  reads end
#
# The data read back must equal the data written (md5); the disk's own counters
# (/sys/block/DISK/stat) before and after tell how many commands the block layer issued.
#
# Settings, as shell variables set in front of this script (bench-ide.sh prepends them):
#   BENCH_N            commands per direction (default 256, i.e. 1 MiB each way)
#   BENCH_DISK         the disk: sda (PIIX IDE) or vda (virtio-blk) (default sda)
#   BENCH_MODULES      .ko names in /pvgen to insmod first, in order (default none)
#   BENCH_MODULE_ARGS  parameters for pata_pvgen_piix (for example transport=doorbell)
#   BENCH_DRIVER       the PCI driver the disk must hang off (checked when set)
#   BENCH_TRANSPORT    pata_pvgen_piix's transport_in_use must be this (checked when set)
#   BENCH_ARM_PORT     a port to write one byte to right after the 0xa1 marker (a test arms
#                      pvgen-batch's ignore-kicks there: -device pvgen-batch,ignore-on-arm=on)
#
# Output: "PVGEN: bench key=value" lines; the script fails (exit 1) on any mismatch.
set -eu

N=${BENCH_N:-256}
DISK=${BENCH_DISK:-sda}
MODULES=${BENCH_MODULES:-}
MODULE_ARGS=${BENCH_MODULE_ARGS:-}
PV=pata_pvgen_piix
PVPARAMS=/sys/module/$PV/parameters
BS=4096
SEEK=2048 # 4 KiB blocks: the measured blocks start at 8 MiB
WARM=1024 # a 4 KiB block outside them for the warm-up

say() { echo "PVGEN: bench $*"; }
fail() {
	echo "PVGEN: bench FAIL $*"
	exit 1
}

for ko in $MODULES; do
	if [ "$ko" = "$PV" ]; then
		# shellcheck disable=SC2086 # word splitting wanted: several parameters
		insmod "/pvgen/$ko.ko" $MODULE_ARGS || fail "insmod $ko $MODULE_ARGS"
	else
		insmod "/pvgen/$ko.ko" || fail "insmod $ko"
	fi
done

# Probes and the disk scan run asynchronously after insmod; devtmpfs makes the node.
i=0
while [ ! -b "/dev/$DISK" ]; do
	if [ -e "/sys/block/$DISK" ]; then
		mdev -s
		continue
	fi
	i=$((i + 1))
	[ "$i" -le 300 ] || fail "no /dev/$DISK after 30 s (/sys/block: $(ls /sys/block))"
	sleep 0.1
done

# The PCI function behind the disk and its driver.
dev=$(readlink -f "/sys/block/$DISK/device")
pci=$(echo "$dev" | sed -n 's|.*/\([0-9a-f]\{4\}:[0-9a-f]\{2\}:[0-9a-f]\{2\}\.[0-7]\)/.*|\1|p')
drv=$(basename "$(readlink -f "/sys/bus/pci/devices/$pci/driver")")
say "disk=$DISK pci=$pci driver=$drv sectors=$(cat "/sys/block/$DISK/size") scheduler=$(cat "/sys/block/$DISK/queue/scheduler")"
[ -z "${BENCH_DRIVER:-}" ] || [ "$drv" = "$BENCH_DRIVER" ] || fail "$DISK is driven by $drv, not $BENCH_DRIVER"

pvparams() {
	[ -d "$PVPARAMS" ] || return 0
	for p in transport_in_use submissions entries direct_accesses wait_resumes host_errors; do
		printf ' %s=%s' "$p" "$(cat "$PVPARAMS/$p")"
	done
}
if [ -d "$PVPARAMS" ]; then
	dmesg | grep "transport:" | sed 's/^/PVGEN: bench dmesg /' || true
	tr=$(cat "$PVPARAMS/transport_in_use")
	[ -z "${BENCH_TRANSPORT:-}" ] || [ "$tr" = "$BENCH_TRANSPORT" ] || fail "transport_in_use=$tr, not $BENCH_TRANSPORT"
fi

# The data: N random 4 KiB blocks in the rootfs (RAM).
dd if=/dev/urandom of=/tmp/pattern bs=$BS count="$N" 2>/dev/null
# Warm-up outside the window: page in dd and the driver's paths once in each direction.
dd if=/tmp/pattern of="/dev/$DISK" bs=$BS count=1 seek=$WARM oflag=direct conv=notrunc 2>/dev/null
dd if="/dev/$DISK" of=/dev/null bs=$BS count=1 skip=$WARM iflag=direct 2>/dev/null

mark() {
	# shellcheck disable=SC2059 # the format is the escape \NNN of the byte to write
	printf "\\$(printf %03o "$1")" | dd of=/dev/port bs=1 seek=128 count=1 conv=notrunc 2>/dev/null
}

say "stat-before $(cat "/sys/block/$DISK/stat")"
say "params-before$(pvparams)"
mark 161 # 0xa1
if [ -n "${BENCH_ARM_PORT:-}" ]; then
	printf '\001' | dd of=/dev/port bs=1 seek=$((BENCH_ARM_PORT)) count=1 conv=notrunc 2>/dev/null
fi
dd if=/tmp/pattern of="/dev/$DISK" bs=$BS count="$N" seek=$SEEK oflag=direct conv=notrunc 2>/dev/null
mark 162 # 0xa2
dd if="/dev/$DISK" of=/tmp/back bs=$BS count="$N" skip=$SEEK iflag=direct 2>/dev/null
mark 163 # 0xa3
say "stat-after $(cat "/sys/block/$DISK/stat")"
say "params-after$(pvparams)"

want=$(md5sum </tmp/pattern | cut -d' ' -f1)
got=$(md5sum </tmp/back | cut -d' ' -f1)
[ "$want" = "$got" ] || fail "read back $got, wrote $want"
say "verify=ok md5=$want n=$N bs=$BS"

say "done"
