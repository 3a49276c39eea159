#!/usr/bin/env bash
#
# check-pit-qtest.sh - drive the patched isa-pit (host/qemu/0002, property
# ch0-count-factor) through qtest: no count crashes it, channel 0 counts
# factor times slower and channel 2 does not, bad factors are refused, and
# its migration stream carries the guest's counts, refuses what it cannot
# continue and is compatible with a QEMU without the patch at factor 1.
#
# usage: check-pit-qtest.sh QEMU_BINARY [STOCK_QEMU]
#
# QEMU_BINARY is a qemu-system-x86_64 built with the patch (pvgen qemu).
# STOCK_QEMU (default: /usr/bin/qemu-system-x86_64 when it exists and is
# another binary) is a QEMU 7.2 without it (Debian's), for the compatibility
# checks; they are skipped, with a line saying so, when there is none.
#
# Every check prints "ok" or "FAIL" with what was expected; the last line is
# "N passed, N failed".  Exit status: 0 all passed, 1 a check failed, 2 usage
# or setup error.

set -euo pipefail

prog=check-pit-qtest
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
log() { printf '[%s] %s\n' "$prog" "$*" >&2; }
die() {
	printf '[%s] error: %s\n' "$prog" "$*" >&2
	exit 2
}

(($# == 1 || $# == 2)) || die "usage: $prog QEMU_BINARY [STOCK_QEMU]"
qemu=$1
[[ -x $qemu ]] || die "not executable: $qemu"
stock=${2:-}
if [[ -z $stock && -x /usr/bin/qemu-system-x86_64 &&
	$(realpath "$qemu") != "$(realpath /usr/bin/qemu-system-x86_64)" ]]; then
	stock=/usr/bin/qemu-system-x86_64
fi
command -v python3 >/dev/null || die "python3 is needed for QMP"
qmp_py=$here/qmp.py

work=$(mktemp -d "${TMPDIR:-/tmp}/pvgen-pit-qtest.XXXXXX")
qpid=
stop_qemu() {
	if [[ -n $qpid ]]; then
		kill "$qpid" 2>/dev/null || true
		wait "$qpid" 2>/dev/null || true
	fi
	qpid=
}
cleanup() {
	stop_qemu
	[[ -n ${PVGEN_KEEP:-} ]] && echo "kept $work" >&2 && return
	rm -rf "$work"
}
trap cleanup EXIT
# A QEMU that died must fail a check, not kill this script with SIGPIPE.
trap "" PIPE

# shellcheck source=qtest-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/qtest-lib.sh" # check NAME GOT WANT, qt COMMAND

# start_qemu BINARY NAME [QEMU ARG...]: a qtest QEMU on a coprocess, QMP on
# $work/NAME.qmp, stderr in $work/NAME.err.
start_qemu() {
	local binary=$1 name=$2
	shift 2
	stop_qemu
	rm -f "$work/$name.qmp"
	coproc QT {
		exec "$binary" -machine pc -accel qtest -qtest stdio -qtest-log /dev/null \
			-display none -nodefaults -m 128 \
			-qmp "unix:$work/$name.qmp,server=on,wait=off" "$@" 2>"$work/$name.err"
	}
	qpid=$QT_PID
	current=$name
}

alive() { [[ $(qt "clock_step 0") != dead ]] && echo yes || echo no; }
qmp() { python3 "$qmp_py" "$work/$current.qmp" --timeout 30 "$@"; }

PIT_CH0=0x40 PIT_CH2=0x42 PIT_CMD=0x43
# load CHANNEL MODE COUNT: LSB then MSB access, binary, COUNT (0 = 0x10000).
load() {
	qt "outb $PIT_CMD $((($1 << 6) | 0x30 | ($2 << 1)))" >/dev/null
	qt "outb $((0x40 + $1)) $(($3 & 0xff))" >/dev/null
	qt "outb $((0x40 + $1)) $((($3 >> 8) & 0xff))" >/dev/null
}
# read16 CHANNEL: the 16-bit counter (LSB, MSB), decimal; "dead" if QEMU died.
read16() {
	local lo hi
	lo=$(qt "inb $((0x40 + $1))")
	hi=$(qt "inb $((0x40 + $1))")
	[[ $lo == dead || $hi == dead ]] && { echo dead; return; }
	echo $((lo | (hi << 8)))
}
latch() { qt "outb $PIT_CMD $(($1 << 6))" >/dev/null; }
in_range() { # in_range VALUE LO HI -> yes/no
	[[ $1 =~ ^[0-9]+$ ]] && (($1 >= $2 && $1 <= $3)) && echo yes || echo no
}

# --- no count crashes it: counts 1..3 (and 0x10000) with factor 4 --------------
start_qemu "$qemu" f4 -global isa-pit.ch0-count-factor=4
for mode in 0 1 2 3 4 5; do
	for count in 1 2 3 0; do
		name="factor 4, mode $mode, count $count"
		load 0 "$mode" "$count"
		full=$((count ? count : 0x10000))
		direct=$(read16 0)
		qt "clock_step 1000" >/dev/null # about one input clock: under one count
		latch 0
		latched=$(read16 0)
		qt "clock_step 25000" >/dev/null # about 30 input clocks: 7 counts
		# Read-back: latch count and status of channel 0; status first.
		qt "outb $PIT_CMD 0xc2" >/dev/null
		status=$(qt "inb $PIT_CH0")
		readback=$(read16 0)
		if ((count && (mode == 2 || mode == 3))); then
			lo=1 hi=$full
		else
			lo=0 hi=0xffff
		fi
		check "$name: direct read in range" "$(in_range "$direct" "$lo" "$hi")" yes
		check "$name: latched read in range" "$(in_range "$latched" "$lo" "$hi")" yes
		check "$name: read-back in range" "$(in_range "$readback" "$lo" "$hi")" yes
		check "$name: status says mode $mode, LSB/MSB" \
			"$([[ $status != dead ]] && echo $(((status >> 1) & 7)),$(((status >> 4) & 3)))" "$mode,3"
		check "$name: QEMU alive" "$(alive)" yes
	done
done

# --- the factor scales channel 0, not channel 2 -------------------------------
# expect CLOCK FACTOR MODE COUNT: what the counter reads CLOCK ns after COUNT
# was loaded at 0, counting FACTOR times slower (pit_get_count's arithmetic).
expect() {
	local d=$(($1 * 1193182 / 1000000000 / $2))
	case $3 in
	2) echo $(($4 - d % $4)) ;;
	3) echo $(($4 - (2 * d) % $4)) ;;
	*) echo $((($4 - d) & 0xffff)) ;;
	esac
}
# scaled CHANNEL MODE: load 0x1000 at the current clock, read 400 input clocks
# (335300 ns) later: channel 0 went down by 100 at factor 4, by 400 at factor
# 1; channel 2 always by 400.
scaled() {
	load "$1" "$2" 0x1000
	qt "clock_step 335300" >/dev/null
	latch "$1"
	read16 "$1"
}
check "factor 4: channel 0, mode 0, 400 clocks after 0x1000" "$(scaled 0 0)" $((0x1000 - 100))
check "factor 4: channel 0, mode 2, 400 clocks after 0x1000" "$(scaled 0 2)" $((0x1000 - 100))
check "factor 4: channel 2 not scaled" "$(scaled 2 0)" $((0x1000 - 400))
start_qemu "$qemu" f1
check "default (factor 1): channel 0, mode 0, 400 clocks after 0x1000" "$(scaled 0 0)" $((0x1000 - 400))
check "default (factor 1): channel 0, mode 2, 400 clocks after 0x1000" "$(scaled 0 2)" $((0x1000 - 400))
stop_qemu

# --- bad factors are refused at startup ---------------------------------------
for factor in 0 1001; do
	rc=0
	timeout 20 "$qemu" -machine pc -accel qtest -qtest null -display none -nodefaults -m 128 \
		-global isa-pit.ch0-count-factor=$factor </dev/null >/dev/null 2>"$work/bad.err" || rc=$?
	check "ch0-count-factor=$factor refused at startup" \
		"$rc $(grep -c 'ch0-count-factor must be 1 to 1000' "$work/bad.err")" "1 1"
done

# --- migration ----------------------------------------------------------------
# These start QEMUs, so they run in this shell (not in $(...)) and leave their
# results in variables.
#
# save BINARY NAME FILE [ARG...]: load channel 0 with mode 2 $ch0_count
# (0x1234 unless set) and channel 2 with mode 0 0x0567 at clock 0, step to
# 3 ms, latch and read both, migrate to FILE, quit.  Sets saved="CLOCK CH0 CH2".
save() {
	local binary=$1 name=$2 file=$3 clock
	shift 3
	start_qemu "$binary" "$name" "$@"
	load 0 2 "${ch0_count:-0x1234}"
	load 2 0 0x0567
	clock=$(qt "clock_step 3000000")
	latch 0
	latch 2
	saved="$clock $(read16 0) $(read16 2)"
	qmp stop "migrate=exec:cat > $file" >/dev/null ||
		log "saving $name failed: $(cat "$work/$name.err")"
	stop_qemu
}
# restore BINARY NAME FILE CLOCK [ARG...]: start with -incoming FILE; once
# loaded, run it, set the clock to CLOCK, latch and read both channels.  Sets
# restored="running CLOCK CH0 CH2" (QEMU left running) or "refused".
restore() {
	local binary=$1 name=$2 file=$3 clock=$4
	shift 4
	start_qemu "$binary" "$name" -incoming "exec:cat $file" "$@"
	if ! qmp wait-incoming cont >/dev/null 2>&1; then
		stop_qemu
		restored=refused
		return
	fi
	qt "clock_set $clock" >/dev/null
	latch 0
	latch 2
	restored="running $clock $(read16 0) $(read16 2)"
}

save "$qemu" src4 "$work/f4.mig" -global isa-pit.ch0-count-factor=4
read -r clock4 c0 c2 <<<"$saved"
check "factor 4 source: channel 0 at 3 ms" "$c0" "$(expect "$clock4" 4 2 $((0x1234)))"
check "factor 4 source: channel 2 at 3 ms" "$c2" "$(expect "$clock4" 1 0 $((0x567)))"
restore "$qemu" dst44 "$work/f4.mig" "$clock4" -global isa-pit.ch0-count-factor=4
check "factor 4 -> factor 4: the destination reads what the source read" "$restored" "running $clock4 $c0 $c2"
later=$(qt "clock_step 335300")
latch 0
latch 2
check "factor 4 -> factor 4: and goes on counting at the factor" "$(read16 0) $(read16 2)" \
	"$(expect "$later" 4 2 $((0x1234))) $(expect "$later" 1 0 $((0x567)))"
stop_qemu
restore "$qemu" dst41 "$work/f4.mig" "$clock4"
check "factor 4 -> factor 1: refused" "$restored" refused
check "factor 4 -> factor 1: says why" "$(grep -c 'ch0-count-factor differs' "$work/dst41.err")" 1
restore "$qemu" dst42 "$work/f4.mig" "$clock4" -global isa-pit.ch0-count-factor=2
check "factor 4 -> factor 2: refused" "$restored" refused

save "$qemu" src1 "$work/f1.mig"
read -r clock1 c0 c2 <<<"$saved"
check "factor 1 source: channel 0 at 3 ms" "$c0" "$(expect "$clock1" 1 2 $((0x1234)))"
restore "$qemu" dst11 "$work/f1.mig" "$clock1"
check "factor 1 -> factor 1" "$restored" "running $clock1 $c0 $c2"
stop_qemu
restore "$qemu" dst14 "$work/f1.mig" "$clock1" -global isa-pit.ch0-count-factor=4
check "factor 1 -> factor 4: refused" "$restored" refused
check "factor 1 -> factor 4: says why" "$(grep -c "the source's ch0-count-factor is 1" "$work/dst14.err")" 1

# Counts 1 to 3 saved at factor 1 (or by a QEMU without the patch) must not
# reach a factor-4 counter read (the first version of this patch divided by
# count / factor there: SIGFPE).
ch0_count=3 save "$qemu" src1c3 "$work/f1c3.mig" -global isa-pit.ch0-count-factor=1
restore "$qemu" dst1c3 "$work/f1c3.mig" "${saved%% *}" -global isa-pit.ch0-count-factor=4
check "factor 1, channel 0 count 3 -> factor 4: refused, no counter read" "$restored" refused
stop_qemu

# A hostile stream: channel 0's count set to 0.  The i8254 section starts
# with its idstr; then instance id, version (3), irq_disabled, ch0 count.
made=yes
python3 - "$work/f1.mig" "$work/count0.mig" <<'PY' || made=no
import struct, sys
data = bytearray(open(sys.argv[1], "rb").read())
at = data.find(b"\x05i8254")
assert at > 0, "no i8254 section"
instance, version = struct.unpack(">II", data[at + 6:at + 14])
assert version == 3, f"i8254 version {version}"
count = at + 18
assert struct.unpack(">i", data[count:count + 4])[0] == 0x1234, "ch0 count not where expected"
data[count:count + 4] = struct.pack(">i", 0)
open(sys.argv[2], "wb").write(data)
PY
check "a stream with channel 0 count 0: made from the factor-1 stream" "$made" yes
restore "$qemu" dst0 "$work/count0.mig" "$clock1"
check "a stream with channel 0 count 0: refused" "$restored" refused
check "a stream with channel 0 count 0: says why" "$(grep -c 'channel 0 count 0 is not 1 to 65536' "$work/dst0.err")" 1

# --- a QEMU without the patch -------------------------------------------------
# Debian's QEMU has no qtest accelerator: it runs paused under TCG (-S, no
# guest code runs), loads a stream and saves it again, and this build reads
# the counters back.  stock_pass IN OUT: sets stocked=passed or refused.
stock_pass() {
	local name=$1
	start_qemu_tcg "$stock" "$name" -incoming "exec:cat $work/$name.in"
	if qmp wait-incoming "migrate=exec:cat > $work/$name.out" >/dev/null 2>&1; then
		stocked=passed
	else
		stocked=refused
	fi
	stop_qemu
}
start_qemu_tcg() {
	local binary=$1 name=$2
	shift 2
	stop_qemu
	rm -f "$work/$name.qmp"
	"$binary" -machine pc -accel tcg -S -display none -nodefaults -m 128 \
		-qmp "unix:$work/$name.qmp,server=on,wait=off" "$@" </dev/null >/dev/null 2>"$work/$name.err" &
	qpid=$!
	current=$name
}
if [[ -z $stock ]]; then
	echo "skip stock QEMU checks: no QEMU without the patch (pass STOCK_QEMU)"
else
	cp "$work/f1.mig" "$work/stock1.in"
	stock_pass stock1
	check "factor 1 -> stock QEMU: loads" "$stocked" passed
	restore "$qemu" back1 "$work/stock1.out" "$clock1"
	check "factor 1 -> stock QEMU -> factor 1: the counters read as before" "$restored" "running $clock1 $c0 $c2"
	stop_qemu
	cp "$work/f4.mig" "$work/stock4.in"
	stock_pass stock4
	check "factor 4 -> stock QEMU: refused" "$stocked" refused
	check "factor 4 -> stock QEMU: at the i8254 (its subsection)" "$(grep -c "device 'i8254'" "$work/stock4.err")" 1
	: >"$work/stock0.in"
	start_qemu_tcg "$stock" stock0
	qmp "migrate=exec:cat > $work/stock0.out" >/dev/null || log "stock save failed: $(cat "$work/stock0.err")"
	stop_qemu
	start_qemu "$qemu" dststock -incoming "exec:cat $work/stock0.out"
	check "stock QEMU -> factor 1: loads" "$(qmp wait-incoming >/dev/null 2>&1 && echo loaded || echo refused)" loaded
	stop_qemu
	start_qemu "$qemu" dststock4 -incoming "exec:cat $work/stock0.out" -global isa-pit.ch0-count-factor=4
	check "stock QEMU -> factor 4: refused" "$(qmp wait-incoming >/dev/null 2>&1 && echo loaded || echo refused)" refused
	stop_qemu
	check "stock QEMU -> factor 4: says why" "$(grep -c "the source's ch0-count-factor is 1" "$work/dststock4.err")" 1
	if [[ -f $work/count0.mig ]]; then
		cp "$work/count0.mig" "$work/stockzero.in"
		stock_pass stockzero
		check "a stream with channel 0 count 0: the stock QEMU takes it (its next mode 2 read divides by 0)" "$stocked" passed
	fi
fi

stop_qemu
printf '%d passed, %d failed\n' "$passed" "$failed"
((failed == 0))
