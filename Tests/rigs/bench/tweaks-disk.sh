#!/bin/sh
# Guest script for boot-guest.sh (runs as "sh /test.sh" under busybox): the disk workload
# of scripts/bench-tweaks.sh, on the stock ata_piix disk sda, with the distribution's
# queue settings or, when /pvgen/pvgen-virtual-disk-apply.sh is there, with pvgen's
# virtual-disk settings applied first. Buffered I/O, so that the elevator, read-ahead and
# writeback decide which commands reach the disk:
#
#   0xa1  write TWEAKS_MB MiB (64 KiB writes, then sync)      0xa2
#         drop the page cache, read it back (64 KiB reads)    0xa3
#
# between marker writes to port 0x80, so the host counts only those windows. The data
# read back must equal the data written; the disk's own counters before and after tell
# how many commands each window took.
set -eu

MB=${TWEAKS_MB:-8}
APPLY=/pvgen/pvgen-virtual-disk-apply.sh

say() { echo "PVGEN: bench $*"; }
fail() {
	echo "PVGEN: bench FAIL $*"
	exit 1
}
mark() {
	# shellcheck disable=SC2059 # the format is the escape \NNN of the byte to write
	printf "\\$(printf %03o "$1")" | dd of=/dev/port bs=1 seek=128 count=1 conv=notrunc 2>/dev/null
}

i=0
while [ ! -b /dev/sda ]; do
	[ -e /sys/block/sda ] && mdev -s && continue
	i=$((i + 1))
	[ "$i" -le 300 ] || fail "no /dev/sda after 30 s"
	sleep 0.1
done
if [ -f "$APPLY" ]; then
	sh "$APPLY" | sed 's/^/PVGEN: bench apply: /' || fail "the apply script failed"
fi
q=/sys/block/sda/queue
say "settings scheduler=$(cat $q/scheduler | sed 's/.*\[\(.*\)\].*/\1/') rotational=$(cat $q/rotational)" \
	"add_random=$(cat $q/add_random) read_ahead_kb=$(cat $q/read_ahead_kb)"

dd if=/dev/urandom of=/tmp/pattern bs=65536 count=$((MB * 16)) 2>/dev/null
say "stat-before $(cat /sys/block/sda/stat)"
mark 161 # 0xa1
dd if=/tmp/pattern of=/dev/sda bs=65536 seek=128 conv=notrunc 2>/dev/null
sync
mark 162 # 0xa2
say "stat-middle $(cat /sys/block/sda/stat)"
echo 3 >/proc/sys/vm/drop_caches
dd if=/dev/sda of=/tmp/back bs=65536 skip=128 count=$((MB * 16)) 2>/dev/null
mark 163 # 0xa3
say "stat-after $(cat /sys/block/sda/stat)"
want=$(md5sum </tmp/pattern | cut -d' ' -f1)
got=$(md5sum </tmp/back | cut -d' ' -f1)
[ "$want" = "$got" ] || fail "read back $got, wrote $want"
say "verify=ok mb=$MB"
say "done"
