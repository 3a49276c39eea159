#!/bin/sh
# Guest script for boot-guest.sh: which device ticks, and how fast, measured against the
# host's clock. QEMU's CMOS RTC follows the host's clock (-rtc clock=host, the default), so
# the window runs from one RTC second edge to the one 6 seconds later, however fast or slow
# the guest's own clock goes. Over that window it prints the IRQ0 count, jiffies and
# /proc/uptime (the guest's clock) deltas; the host test divides. With PVGEN_PIT_MIGRATE set, a
# second window follows a migration marker (see the end).
set -eu
RTC=/sys/class/rtc/rtc0/since_epoch
WINDOW=6

echo "PVGEN: clockevent=$(cat /sys/devices/system/clockevents/clockevent0/current_device)"
echo "PVGEN: clocksource=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"

irq0() { awk '$1 == "0:" { print $2 }' /proc/interrupts; }
jiffies() { awk '/^jiffies:/ { print $2; exit }' /proc/timer_list; }
uptime_cs() { awk '{ split($1, t, "."); print t[1] * 100 + t[2] }' /proc/uptime; }

# Spins until the RTC's second changes, so the snapshot is taken right at an edge.
wait_edge() {
	start=$(cat $RTC)
	while [ "$(cat $RTC)" = "$start" ]; do :; done
}
snapshot() {
	up=$(uptime_cs)
	echo "rtc=$(cat $RTC) uptime_cs=$up irq0=$(irq0) jiffies=$(jiffies)"
}

# window PREFIX: one window, printed as "PVGEN: PREFIXfirst ..." and "PVGEN: PREFIXlast ...".
window() {
	wait_edge
	first=$(snapshot)
	first_rtc=${first#rtc=}
	first_rtc=${first_rtc%% *}
	# Sleep in small steps (the guest's sleep may run slow or fast), then spin to the edge.
	while [ $(($(cat $RTC) + 1)) -lt $((first_rtc + WINDOW)) ]; do sleep 0.1; done
	while [ "$(cat $RTC)" -lt $((first_rtc + WINDOW)) ]; do :; done
	last=$(snapshot)
	echo "PVGEN: ${1}first $first"
	echo "PVGEN: ${1}last $last"
}

window ""
# PVGEN_PIT_MIGRATE=1 on the kernel command line (an environment variable here): print the
# marker for boot-guest.sh --migrate-at, give the host a second to stop the VM, then measure
# a second window, on the QEMU that restored the state.
if [ -n "${PVGEN_PIT_MIGRATE:-}" ]; then
	echo "PVGEN: migrate here"
	sleep 1
	window "after-"
fi
