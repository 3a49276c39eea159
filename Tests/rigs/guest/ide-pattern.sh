#!/bin/sh
# Guest script for boot-guest.sh (runs as "sh /test.sh" under busybox in the test VM).
#
# Proves a disk path: the IDE driver claims QEMU's PIIX IDE controller, the disk shows
# up as $DISK (sda unless the caller says otherwise), and a 64 KiB pattern written with
# O_DIRECT at sector 2048 reads back identical with O_DIRECT. The driver is pvgen's pata_pvgen_piix when its .ko is in
# /pvgen (then it is loaded here, its transport and counters printed, and it must
# unload cleanly), else the stock ata_piix the rig loaded. Lines containing "PVGEN"
# are forwarded to the host; run-ide-pattern.sh parses "PVGEN: pattern-md5=<md5>" and
# checks disk.img with it.
set -eu

SECTOR=2048            # LBA28 pattern; run-ide-pattern.sh checks the same places
LBA48_SECTOR=300000000 # beyond 2^28 sectors: an LBA48 command; a multiple of 128
BS=65536               # one 64 KiB O_DIRECT request each way
DISK=${DISK:-sda}      # the disk.img disk; a caller that adds disks names it

fail() {
	echo "PVGEN: FAIL $*"
	exit 1
}

MODULE=pata_pvgen_piix
PARAMS=/sys/module/$MODULE/parameters
expect=ata_piix
if [ -e "/pvgen/$MODULE.ko" ]; then
	expect=$MODULE
	# shellcheck disable=SC2086 # the arguments are words on purpose
	insmod "/pvgen/$MODULE.ko" ${PVGEN_INSMOD_ARGS:-} || fail "insmod $MODULE ${PVGEN_INSMOD_ARGS:-}"
fi

# ata_piix probes and the SCSI scan run asynchronously after insmod returns; devtmpfs
# creates /dev/$DISK by itself, mdev -s is only a fallback.
i=0
while [ ! -b /dev/$DISK ]; do
	if [ -e /sys/block/$DISK ]; then
		mdev -s
		continue
	fi
	i=$((i + 1))
	if [ "$i" -gt 300 ]; then
		echo "PVGEN: /sys/block has: $(ls /sys/block)"
		fail "no /dev/$DISK after 30 s"
	fi
	sleep 0.1
done

# Which PCI function and driver the disk hangs off (expect 0000:00:01.1 and ata_piix).
dev=$(readlink -f /sys/block/$DISK/device)
pci=$(echo "$dev" | sed -n 's|.*/\([0-9a-f]\{4\}:[0-9a-f]\{2\}:[0-9a-f]\{2\}\.[0-7]\)/ata[0-9].*|\1|p')
drv=$(basename "$(readlink -f "/sys/bus/pci/devices/$pci/driver")")
echo "PVGEN: $DISK size=$(cat /sys/block/$DISK/size) sectors, pci=$pci driver=$drv"
[ "$drv" = "$expect" ] || fail "$DISK is driven by $drv, not $expect"
echo "PVGEN: scheduler=$(cat /sys/block/$DISK/queue/scheduler)"

# Write a 64 KiB pattern at sector $2 with O_DIRECT, read it back with O_DIRECT and
# compare. The pattern is 4096 lines of 16 bytes ("<5-char tag>0000000000\n" ...):
# every 16 bytes differ, so a misplaced or partial transfer changes the md5. The host
# rebuilds the same bytes from the tag.
roundtrip() {
	tag=$1 sector=$2
	seek=$((sector * 512 / BS))
	# shellcheck disable=SC2046 # word splitting of seq's output is the point
	printf "${tag}%010d\n" $(seq 0 4095) >/tmp/pattern
	[ "$(wc -c </tmp/pattern)" -eq "$BS" ] || fail "pattern is not $BS bytes"
	dd if=/tmp/pattern of=/dev/$DISK bs="$BS" seek="$seek" count=1 oflag=direct ||
		fail "O_DIRECT write at sector $sector"
	sync
	echo 3 >/proc/sys/vm/drop_caches
	dd if=/dev/$DISK of=/tmp/readback bs="$BS" skip="$seek" count=1 iflag=direct ||
		fail "O_DIRECT read at sector $sector"
	want=$(md5sum </tmp/pattern | cut -d' ' -f1)
	got=$(md5sum </tmp/readback | cut -d' ' -f1)
	echo "PVGEN: pattern-md5=$want sector=$sector tag=$tag bytes=$BS"
	echo "PVGEN: readback-md5=$got"
	[ "$want" = "$got" ] || fail "readback at sector $sector differs from pattern"
}

roundtrip pvgen "$SECTOR"
# Past 2^28 sectors libata must use LBA48 (the HOB taskfile writes), when the disk is
# that large (run-ide-pattern.sh gives it a sparse 150 GiB image).
if [ "$(cat /sys/block/$DISK/size)" -gt "$LBA48_SECTOR" ]; then
	roundtrip lba48 "$LBA48_SECTOR"
fi
echo "PVGEN: OK pattern read back through $drv"

if [ "$expect" = "$MODULE" ]; then
	for p in transport transport_in_use submissions entries direct_accesses wait_resumes host_errors; do
		echo "PVGEN: param $p=$(cat "$PARAMS/$p")"
	done
	dmesg | grep "transport:" | sed 's/^/PVGEN: dmesg /'
	# After the counters, an interrupt no command expects: CHECK POWER MODE written straight
	# to the idle channel's command register. The driver's handler must find it (the BMDMA
	# status INTR bit, as ata_piix's sff_irq_check does) and clear it; QEMU clears that bit
	# only on a write of 1.
	outb() { printf "\\$(printf %03o "$2")" | dd of=/dev/port bs=1 seek=$(($1)) count=1 conv=notrunc 2>/dev/null; }
	inb() { dd if=/dev/port bs=1 skip=$(($1)) count=1 2>/dev/null | od -An -tu1 | tr -d ' '; }
	bm=$(sed -n 5p "/sys/bus/pci/devices/$pci/resource" | cut -d' ' -f1)
	outb 0x1f6 0xa0
	outb 0x1f7 0xe5
	sleep 0.5
	bmstat=$(inb $((bm + 2)))
	[ $((bmstat & 4)) -eq 0 ] || fail "an unexpected interrupt was left pending (BMDMA status $bmstat)"
	echo "PVGEN: unexpected interrupt cleared (BMDMA status $bmstat)"
	rmmod "$MODULE" || fail "rmmod $MODULE"
	[ ! -e /sys/module/$MODULE ] || fail "$MODULE still loaded after rmmod"
	[ ! -e /sys/block/$DISK ] || fail "$DISK still present after rmmod"
	echo "PVGEN: OK $MODULE unloaded"
fi
