#!/usr/bin/env bash
#
# check-doorbell-qtest.sh - drive QEMU's pvgen-batch device through qtest (no
# guest, no firmware run): the doorbell magic, batches that run, hostile
# batches that must change nothing, and the ring's life: attach, kick, entries
# on pvgen's own ports refused, detach, attach again, and reset detaching it.
#
# usage: check-doorbell-qtest.sh QEMU_BINARY
#
# QEMU_BINARY is a qemu-system-x86_64 built with the device (build-qemu.sh
# --device-dir DIR).  The PIIX IDE has a raw disk; its BAR4 (BMDMA) starts
# unmapped, as no BIOS runs: a BMDMA entry is refused then.  The script maps
# BAR4 at 0xc000 for the other checks and moves it to 0xd000 at the end, so
# the allowlist is seen to follow the BAR.  Every check prints "ok" or
# "FAIL" with what was expected; the last line is "N passed, N failed".
#
# Exit status: 0 all passed, 1 a check failed, 2 usage or setup error.

set -euo pipefail

prog=check-doorbell-qtest
log() { printf '[%s] %s\n' "$prog" "$*" >&2; }
die() {
	printf '[%s] error: %s\n' "$prog" "$*" >&2
	exit 2
}

(($# == 1)) || die "usage: $prog QEMU_BINARY"
qemu=$1
[[ -x $qemu ]] || die "not executable: $qemu"

work=$(mktemp -d "${TMPDIR:-/tmp}/pvgen-qtest.XXXXXX")
qpid=
cleanup() {
	[[ -n $qpid ]] && kill "$qpid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap "" PIPE # a QEMU that died fails the checks (qt prints "dead")
truncate -s 16M "$work/disk.img"

# ABI values (kmod/include/pvgen_abi.h).
PORT=0x560
MAGIC=0x70760001
OP_OUT=1 OP_IN=2 OP_IN_WAIT=3 OP_RMW=4
PENDING=1

coproc QT {
	exec "$qemu" -machine pc -accel qtest -qtest stdio -qtest-log /dev/null \
		-display none -nodefaults -m 128 \
		-drive "file=$work/disk.img,if=ide,format=raw" \
		-device pvgen-batch -d guest_errors 2>"$work/qemu.err"
}
qpid=$QT_PID

# shellcheck source=qtest-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/qtest-lib.sh" # check NAME GOT WANT, qt COMMAND

le16() { printf '%02x%02x' $(($1 & 0xff)) $((($1 >> 8) & 0xff)); }
le32() { printf '%s%s' "$(le16 $(($1 & 0xffff)))" "$(le16 $((($1 >> 16) & 0xffff)))"; }
# entry OP WIDTH PORT VALUE MASK [RESULT]: the 16 bytes of one entry, as hex.
entry() {
	printf '%02x%02x%s%s%s%s' "$1" "$2" "$(le16 "$3")" "$(le32 "$4")" "$(le32 "$5")" \
		"$(le32 $((${6:-$PENDING} & 0xffffffff)))"
}
# field HEX INDEX OFFSET: the little-endian 32-bit field at OFFSET of entry
# INDEX of a hex dump, as a signed decimal.
field() {
	local hex=${1#0x} at=$((($2 * 16 + $3) * 2)) v
	v=$((16#${hex:at + 6:2}${hex:at + 4:2}${hex:at + 2:2}${hex:at:2}))
	((v >= 0x80000000)) && v=$((v - 0x100000000))
	printf '%d\n' "$v"
}

Q=0x10000 # queue page in guest RAM
# Write entries at the queue, ring with COUNT, dump N entries back.
ring() { # ring COUNT_OR_VALUE HEX...
	local value=$1
	shift
	local hex
	hex=$(printf '%s' "$@")
	qt "write $Q $((${#hex} / 2)) 0x$hex" >/dev/null
	qt "outl $PORT $value" >/dev/null
	qt "read $Q $((${#hex} / 2))"
}

# --- magic ------------------------------------------------------------------
check "32-bit IN reads the magic" "$(qt "inl $PORT")" "$MAGIC"
check "16-bit IN reads all ones" "$(qt "inw $PORT")" 0xffff
check "8-bit IN reads all ones" "$(qt "inb $PORT")" 0x00ff

# --- BAR4 unmapped: no BMDMA port ------------------------------------------------
refused() { # refused NAME DOORBELL_VALUE HEX...
	local name=$1 value=$2
	shift 2
	local out before
	before=$(qt "inb 0x1f6")
	out=$(ring "$value" "$@")
	check "$name: entry 0 untouched" "$(field "$out" 0 12)" $PENDING
	check "$name: no port written" "$(qt "inb 0x1f6")" "$before"
}
sel=$(entry $OP_OUT 1 0x1f6 0xb0 0)
refused "BMDMA before BAR4 is mapped" $((Q | 2)) "$sel" "$(entry $OP_IN 1 0xc002 0 0)"

# PIIX IDE is 00:01.1: BAR4 (0x20) = BASE | 1, command (0x04) |= I/O space.
map_bar4() {
	qt "outl 0xcf8 0x80000920" >/dev/null
	qt "outl 0xcfc $(($1 | 1))" >/dev/null
	qt "outl 0xcf8 0x80000904" >/dev/null
	qt "outw 0xcfc 0x0001" >/dev/null
}
map_bar4 0xc000

# --- a batch that runs ----------------------------------------------------------
status=$(qt "inb 0x1f7")
out=$(ring $((Q | 3)) \
	"$(entry $OP_OUT 1 0x1f6 0xa0 0)" \
	"$(entry $OP_IN 1 0x1f7 0 0)" \
	"$(entry $OP_RMW 1 0x1f6 0x00 0xff)")
check "OUT result" "$(field "$out" 0 12)" 0
check "IN result" "$(field "$out" 1 12)" 0
check "IN value = the status port" "$(printf '0x%04x' "$(field "$out" 1 4)")" "$status"
check "RMW result" "$(field "$out" 2 12)" 0
check "RMW value = device register read" "$(field "$out" 2 4)" $((0xa0))

# IN_WAIT whose stop bit is set (DRDY) stops the batch after it.
out=$(ring $((Q | 2)) "$(entry $OP_IN_WAIT 1 0x1f7 0 0x40)" "$(entry $OP_OUT 1 0x1f6 0xb0 0)")
check "IN_WAIT with stop bit: completed" "$(field "$out" 0 12)" 0
check "IN_WAIT with stop bit: next entry not run" "$(field "$out" 1 12)" $PENDING
check "IN_WAIT with stop bit: device select unchanged" "$(qt "inb 0x1f6")" 0x00a0

# --- hostile batches: refused, nothing written back -----------------------------
refused "count 0" $((Q | 0)) "$sel"
refused "count 65" $((Q | 65)) "$sel"
refused "unknown op" $((Q | 2)) "$sel" "$(entry 9 1 0x1f7 0 0)"
refused "width 3" $((Q | 2)) "$sel" "$(entry $OP_IN 3 0x1f7 0 0)"
refused "32-bit access to an 8-bit port" $((Q | 2)) "$sel" "$(entry $OP_IN 4 0x1f7 0 0)"
refused "port outside the allowlist" $((Q | 2)) "$sel" "$(entry $OP_OUT 1 0x80 0x55 0)"
refused "the doorbell itself" $((Q | 2)) "$sel" "$(entry $OP_OUT 4 $PORT $((Q | 1)) 0)"
refused "reserved mask bits on OUT" $((Q | 1)) "$(entry $OP_OUT 1 0x1f6 0xb0 1)"

# A queue outside RAM: the range check refuses it before reading (nothing to
# read back there; QEMU must simply survive and log the refusal).
for gpa in 0x10000000 0xfee00000 0xfffff000; do
	qt "outl $PORT $((gpa | 1))" >/dev/null
done
check "queue in unassigned space, APIC MMIO, BIOS ROM: refused" \
	"$(grep -c 'refused: -2' "$work/qemu.err" || true)" 3

# --- BMDMA follows BAR4 ------------------------------------------------------------
out=$(ring $((Q | 2)) "$(entry $OP_IN 1 0xc002 0 0)" "$(entry $OP_OUT 4 0xc004 0x20000 0)")
check "BMDMA status at BAR4 0xc000" "$(field "$out" 0 12)" 0
check "BMDMA PRD address write" "$(field "$out" 1 12)" 0
check "PRD register holds the value" "$(qt "inl 0xc004")" 0x20000
map_bar4 0xd000
refused "BMDMA at the old BAR4" $((Q | 2)) "$sel" "$(entry $OP_IN 1 0xc002 0 0)"
out=$(ring $((Q | 1)) "$(entry $OP_IN 4 0xd004 0 0)")
check "BMDMA at the new BAR4 0xd000" "$(field "$out" 0 12)" 0
check "PRD register moved with the BAR" "$(printf '0x%x' "$(field "$out" 0 4)")" 0x20000

# --- the exitless ring: attach, kick, detach, reset ------------------------------------
RPORT=0x564 RMAGIC=0x70767267 R=0x20000 # header page, slots at R + 4096
OP_ATTACH=1 OP_DETACH=2 NEED_KICK=1 BROKEN=2 DETACHED=4
rd32() { field "$(qt "read $1 4")" 0 0; }
post() { # post SLOT_INDEX ENTRY_HEX: fill the slot, its count, and publish prod + 1
	local hex=$2
	qt "write $((R + 4096 + $1 * 1024)) $((${#hex} / 2)) 0x$hex" >/dev/null
	qt "write $((R + 192 + $1 * 4)) 4 0x$(le32 $((${#hex} / 32)))" >/dev/null
	qt "write $((R + 64)) 4 0x$(le32 $(($1 + 1)))" >/dev/null
}
check "the ring port's IN reads its magic" "$(qt "inl $RPORT")" "$RMAGIC"
qt "write $R 12 0x$(le32 $RMAGIC)$(le32 4)$(le32 $BROKEN)" >/dev/null
qt "outl $RPORT $((R | OP_ATTACH))" >/dev/null
check "attach: the host asks for kicks" "$(rd32 $((R + 8)))" $NEED_KICK
post 0 "$(entry $OP_IN 1 0x1f7 0 0)"
qt "outl $RPORT $R" >/dev/null
check "kick: cons reaches prod" "$(rd32 $((R + 128)))" 1
check "kick: the slot's batch ran its one entry" "$(rd32 $((R + 256)))" 1
post 1 "$(entry $OP_OUT 4 $RPORT $((R | OP_DETACH)) 0)"
qt "outl $RPORT $R" >/dev/null
check "an entry on the ring port is refused (-7), not recursed" "$(rd32 $((R + 260)))" -7
post 2 "$(entry $OP_OUT 1 0x567 1 0)"
qt "outl $RPORT $R" >/dev/null
check "an entry on the device's last port is refused (-7)" "$(rd32 $((R + 264)))" -7
qt "outl $RPORT $((R | OP_DETACH))" >/dev/null
check "detach: the host says it let the ring go" "$(rd32 $((R + 8)))" $DETACHED
post 3 "$(entry $OP_IN 1 0x1f7 0 0)"
qt "outl $RPORT $R" >/dev/null
check "a kick after the detach runs nothing" "$(rd32 $((R + 128)))" 3
check "a kick after the detach is refused (-12)" "$(grep -c "ring call 0x$(printf %x $R) refused: -12" "$work/qemu.err" || true)" 1
# Attached again from a fresh header, then the machine resets (the PIIX reset register).
qt "write $R 272 0x$(le32 $RMAGIC)$(le32 4)$(le32 $BROKEN)$(printf '%0520d' 0)" >/dev/null
qt "outl $RPORT $((R | OP_ATTACH))" >/dev/null
check "attach again from a fresh header" "$(rd32 $((R + 8)))" $NEED_KICK
qt "outb 0xcf9 0x06" >/dev/null
qt "clock_step 1000000" >/dev/null
qt "outl $RPORT $R" >/dev/null
check "reset detached the ring: a kick is refused (-12)" "$(grep -c "ring call 0x$(printf %x $R) refused: -12" "$work/qemu.err" || true)" 2

kill "$qpid" 2>/dev/null || true
wait "$qpid" 2>/dev/null || true
qpid=
if grep -q 'Blocked re-entrant' "$work/qemu.err"; then
	check "no blocked re-entrant access" "blocked" "none"
fi

# --- which IDE controller the device follows: the ide= link -------------------------------
# one_shot ARGS...: the answer of a QEMU started with ARGS to one qtest "inl 0x560", or the
# error it stopped with.
one_shot() {
	printf 'inl %s\n' "$PORT" | timeout 30 "$qemu" -machine pc -accel qtest -qtest stdio -qtest-log /dev/null \
		-display none -nodefaults -m 128 "$@" 2>&1 | grep -E '^OK|pvgen-batch|not found' | head -n 1
}
check "two IDE controllers and no ide=: refused, naming the property" \
	"$(one_shot -device piix3-ide -device pvgen-batch | grep -c 'more than one piix3-ide: name one with ide=')" 1
check "ide= names the second one: the device is there" \
	"$(one_shot -device piix3-ide,id=ide2 -device pvgen-batch,ide=ide2)" "OK $MAGIC"
check "ide= naming no device: refused" "$(one_shot -device pvgen-batch,ide=nosuch | grep -c "not found")" 1
printf '%d passed, %d failed\n' "$passed" "$failed"
((failed == 0))
