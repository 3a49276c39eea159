#!/bin/sh
# Guest script for boot-guest.sh (runs as "sh /test.sh" under busybox): timer ticks of the
# tick rows of scripts/bench-tweaks.sh. Prints which clock event device ticks each CPU,
# then snapshots of the tick counters around an idle window and a window in which a busy
# loop runs on each of TICK_BUSY's CPUs. The host (Tests/rigs/bench/tweaks-ticks.sh) puts
# the settings in front:
#
#   TICK_WINDOW=10   seconds per window (guest CLOCK_MONOTONIC, through sleep)
#   TICK_BUSY=1      CPUs of the busy window, comma separated ("" = no busy window)
#   TICK_SETTLE=3    seconds after boot before the first window (boot-time work settles)
#
# Snapshot line: "PVGEN: tick snap LABEL mono=NS jif=N loc=C0,C1.. irq0=C0,C1..", with
# CLOCK_MONOTONIC and jiffies from /proc/timer_list, and per CPU the LOC line (local APIC
# timer) and the 0: line (IRQ0: the PIT, or the HPET in legacy mode) of /proc/interrupts.
# The host divides the differences by the guest's seconds, and by its own clock (the
# arrival time of the line) for the guest clock's rate.
set -eu

WINDOW=${TICK_WINDOW:-10}
BUSY=${TICK_BUSY:-}
SETTLE=${TICK_SETTLE:-3}

say() { echo "PVGEN: tick $*"; }

# Count the CPUs before pinning: busybox nproc would count the affinity mask.
ncpu=$(grep -c '^processor' /proc/cpuinfo)
# The measuring shell stays on CPU 0, away from the busy CPUs.
taskset -p 1 $$ >/dev/null
say "ncpu=$ncpu"
say "nohz_full=$(cat /sys/devices/system/cpu/nohz_full 2>/dev/null || echo none)"
say "clocksource=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
for d in /sys/devices/system/clockevents/clockevent*; do
	say "clockevent cpu${d##*clockevent}=$(cat "$d/current_device")"
done

# per-CPU counts of the /proc/interrupts line named $1 ("LOC:", "0:")
counts() {
	awk -v n="$ncpu" -v name="$1" '
	$1 == name { for (i = 1; i <= n; i++) s = s (i > 1 ? "," : "") $(i + 1) }
	END { print (s == "" ? "none" : s) }' /proc/interrupts
}
snap() {
	t=$(awk '/^now at/ { now = $3 } /^jiffies:/ { j = $2 } END { print "mono=" now " jif=" j }' /proc/timer_list)
	say "snap $1 $t loc=$(counts LOC:) irq0=$(counts 0:)"
}

sleep "$SETTLE"
snap idle-start
sleep "$WINDOW"
snap idle-end

if [ -n "$BUSY" ]; then
	pids=""
	for c in $(echo "$BUSY" | tr ',' ' '); do
		taskset -c "$c" awk 'BEGIN { for (;;) x++ }' &
		pids="$pids $!"
	done
	sleep 1 # the busy loops get going, the busy CPUs leave idle
	snap busy-start
	sleep "$WINDOW"
	snap busy-end
	# shellcheck disable=SC2086 # one pid per word
	kill $pids
fi
say "done"
