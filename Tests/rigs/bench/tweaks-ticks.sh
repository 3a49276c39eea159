#!/usr/bin/env bash
# tweaks-ticks.sh - the tick boots of scripts/bench-tweaks.sh: timer interrupts per second
# in the Debian 6.1 guest under TCG (Tests/rigs/bench/tick-probe-guest.sh), one boot at a
# time, each after the host has gone quiet. Prints one "tick<TAB>LABEL<TAB>DIR" line per
# boot for tweaks-report.py's --run; DIR/params says what the boot was.
#
#   tweaks-ticks.sh --out DIR --fragment FILE --qemu BIN [--pit-qemu BIN --pit-factor F]
#                   [--window S] [--quiet-load CORES] [--quiet-wait S]
#
#   --out DIR           run directories go to DIR/tick-*
#   --fragment FILE     kmod/guest-config/kernel-cmdline-busy-vcpus.txt (nohz_full=1-N)
#   --qemu BIN          QEMU of the 6.1 default rows (Debian's)
#   --pit-qemu BIN      QEMU with the isa-pit.ch0-count-factor property; without it the PIT
#                       rows are left out
#   --pit-factor F      the model's PIT factor (4)
#   --window S          seconds per idle and busy window (10)
#   --quiet-load CORES  before each boot, wait until other processes use less than this
#                       many cores and no other qemu-system runs (0.25)
#   --quiet-wait S      wait at most this long, then boot anyway with a warning (300)
#
# Boots (rows of the report):
#   nohz   the stock 6.1 boot, Debian's QEMU: 2 vCPUs with CPU 1 busy, 3 vCPUs with CPUs
#          1-2 busy (their idle windows give the idle rows), without and with the fragment
#   pit    1 busy vCPU ticking periodically from the PIT (nolapic_timer hpet=disable
#          nohz=off highres=off), the patched QEMU at factor 1 and F
#   pit-stock  the stock 6.1 boot, 1 busy vCPU, the patched QEMU at factor 1 and F
# The factor is always given, 1 included (the patched QEMU's default is 1).
#
# Host load: TCG runs each vCPU on a host thread; on a small host a busy neighbour starves
# them and a starved vCPU loses timer interrupts (they are coalesced, not queued), which
# lowers the busy rates. Each boot's params record the other processes' load before and
# during the boot (host CPU time not spent by this boot's QEMU).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
rig=$(cd "$here/../guest" && pwd)
out='' fragment='' qemu='' pit_qemu='' factor=4 window=10 quiet_load=0.25 quiet_wait=300
PIT_ARGS="nolapic_timer hpet=disable nohz=off highres=off"

log() { printf '[bench-ticks] %s\n' "$*" >&2; }
die() {
	printf '[bench-ticks] error: %s\n' "$*" >&2
	exit 1
}
need_value() { (($2 >= 2)) || die "$1 needs a value (see --help)"; }

while (($#)); do
	case $1 in
	--out) need_value "$1" $# && out=$2 && shift 2 ;;
	--fragment) need_value "$1" $# && fragment=$2 && shift 2 ;;
	--qemu) need_value "$1" $# && qemu=$2 && shift 2 ;;
	--pit-qemu) need_value "$1" $# && pit_qemu=$2 && shift 2 ;;
	--pit-factor) need_value "$1" $# && factor=$2 && shift 2 ;;
	--window) need_value "$1" $# && window=$2 && shift 2 ;;
	--quiet-load) need_value "$1" $# && quiet_load=$2 && shift 2 ;;
	--quiet-wait) need_value "$1" $# && quiet_wait=$2 && shift 2 ;;
	-h | --help)
		sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*) die "unknown argument: $1 (see --help)" ;;
	esac
done
[[ -n $out && -n $qemu ]] || die "--out and --qemu are required (see --help)"
[[ -f $fragment ]] || die "--fragment: no such file: $fragment"
[[ $window =~ ^[1-9][0-9]*$ ]] || die "--window wants seconds, got: $window"
if ! [[ $factor =~ ^[1-9][0-9]*$ ]] || ((factor < 2 || factor > 1000)); then
	die "--pit-factor wants 2..1000, got: $factor"
fi
[[ $quiet_load =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "--quiet-load wants cores, got: $quiet_load"
[[ $quiet_wait =~ ^[0-9]+$ ]] || die "--quiet-wait wants seconds, got: $quiet_wait"
busy_args=$(tr '\n' ' ' <"$fragment" | xargs)
[[ -n $busy_args ]] || die "$fragment is empty"
if [[ -n $pit_qemu ]]; then
	"$pit_qemu" -device isa-pit,help 2>/dev/null | grep -q ch0-count-factor ||
		die "$pit_qemu has no isa-pit.ch0-count-factor property"
fi
mkdir -p "$out"
hz=$(getconf CLK_TCK)

# Host CPU time in USER_HZ ticks: all CPUs' busy time, and the user+system time of this
# shell's waited-for children (the boot: its QEMU and the rig around it).
host_busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
children_cpu() { awk '{ print $16 + $17 }' "/proc/$$/stat"; }
# (ticks over seconds in cores; the two tick counts round apart, never below 0)
cores() { awk -v t="$1" -v s="$2" -v hz="$hz" 'BEGIN { printf "%.2f", (t < 0 ? 0 : t) / s / hz }'; }
below() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }

# Wait until the other processes use less than --quiet-load cores over 2 s and no other
# guest runs, at most --quiet-wait seconds. Prints the last load seen.
quiet_host() {
	local waited=0 b0 b1 load guests
	while :; do
		b0=$(host_busy)
		sleep 2
		b1=$(host_busy)
		load=$(cores $((b1 - b0)) 2)
		guests=$(pgrep -c '^qemu-system' || true)
		if ((guests == 0)) && below "$load" "$quiet_load"; then
			break
		fi
		if ((waited >= quiet_wait)); then
			log "warning: host still busy after ${waited}s (other load $load cores," \
				"$guests qemu-system running): booting anyway"
			break
		fi
		((waited > 0)) || log "waiting for a quiet host: other load $load cores," \
			"$guests qemu-system running (up to ${quiet_wait}s)"
		sleep 8
		waited=$((waited + 10))
	done
	echo "$load"
}

# The guest's lines reach boot-guest.sh's stderr as QEMU prints them; stamp each with the
# host's clock, which the guest clock's rate is measured against.
stamp() {
	local line
	while IFS= read -r line; do
		printf '%s %s\n' "$EPOCHREALTIME" "$line"
	done
}

# boot GROUP CASE SIDE KEY SMP BUSY QEMU APPEND [FACTOR]
boot() {
	local group=$1 case=$2 side=$3 key=$4 smp=$5 busy=$6 bin=$7 append=$8 f=${9:-}
	local dir=$out/$key load_before b0 c0 t0 rc=0 args
	rm -rf "$dir"
	mkdir -p "$dir"
	{
		echo '#!/bin/sh'
		echo "TICK_WINDOW=$window TICK_BUSY=$busy TICK_SETTLE=3"
		cat "$here/tick-probe-guest.sh"
	} >"$dir/guest.sh"
	args=(--work "$dir" --script "$dir/guest.sh" --qemu "$bin" --qemu-arg -smp --qemu-arg "$smp")
	[[ -z $append ]] || args+=(--append "$append")
	[[ -z $f ]] || args+=(--qemu-arg -global --qemu-arg "isa-pit.ch0-count-factor=$f")
	load_before=$(quiet_host)
	log "$key: $case, $side${append:+, boot args: $append}${f:+, PIT factor $f} (other load $load_before cores)"
	b0=$(host_busy) c0=$(children_cpu) t0=$EPOCHREALTIME
	PVGEN_GUEST_TIMEOUT=${PVGEN_GUEST_TIMEOUT:-600} "$rig/boot-guest.sh" "${args[@]}" 2>&1 >/dev/null |
		stamp >"$dir/boot.log" || rc=$?
	local spent=$(($(host_busy) - b0 - ($(children_cpu) - c0)))
	local during
	during=$(cores "$spent" "$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { print b - a }')")
	# the initramfs and the (sparse, empty) disk are rebuilt by every boot
	rm -rf "$dir/initramfs" "$dir/initramfs.cpio" "$dir/disk.img"
	if ((rc != 0)) || ! grep -q 'PVGEN: tick done' "$dir/boot.log"; then
		cut -d' ' -f2- "$dir/boot.log" | tail -n 30 >&2
		die "$key: the guest run failed (see $dir)"
	fi
	log "$key: done (other load during the boot $during cores)"
	{
		echo "group=$group"
		echo "case=$case"
		echo "side=$side"
		echo "smp=$smp"
		echo "busy=$busy"
		echo "append=$append"
		echo "factor=${f:-none}"
		echo "qemu=$bin"
		echo "window=$window"
		echo "load_before=$load_before"
		echo "load_during=$during"
		echo "quiet_load=$quiet_load"
	} >"$dir/params"
	printf 'tick\t%s\t%s\n' "$key" "$dir"
}

for smp in 2 3; do
	busy=1 case="2 vCPUs, CPU 1 busy"
	((smp == 2)) || busy=1,2 case="3 vCPUs, CPUs 1-2 busy"
	boot nohz "$case" without "tick-nohz-smp$smp-without" "$smp" "$busy" "$qemu" ""
	boot nohz "$case" with "tick-nohz-smp$smp-with" "$smp" "$busy" "$qemu" "$busy_args"
done
if [[ -z $pit_qemu ]]; then
	log "no QEMU with the PIT factor: the PIT rows are left out"
	exit 0
fi
for f in 1 "$factor"; do
	side=without
	((f == 1)) || side=with
	boot pit "1 vCPU, busy" "$side" "tick-pit-f$f" 1 0 "$pit_qemu" "$PIT_ARGS" "$f"
	boot pit-stock "1 vCPU, busy" "$side" "tick-pit-stock-f$f" 1 0 "$pit_qemu" "" "$f"
done
