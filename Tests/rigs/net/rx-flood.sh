#!/bin/sh
# Guest script for boot-guest.sh ("-netdev user,hostfwd=udp:...:PORT-:PORT -device e1000"):
# a receive flood must not take the vCPU from the shell. Brings pvgen_e1000 up, listens on
# UDP $FLOOD_PORT, prints "PVGEN: flood ready" (the host's flood.py then sends UDP to it as
# fast as it can for $FLOOD_SECONDS), and meanwhile times a trivial command every half
# second: each must answer within a second of guest time, and no soft lockup may be logged.
set -eu

DRV=pvgen_e1000
IF=eth0
PORT=${FLOOD_PORT:?}
SECONDS_=${FLOOD_SECONDS:-10}

fail() {
	echo "PVGEN: FAIL $*"
	exit 1
}
centis() { cut -d' ' -f1 /proc/uptime | tr -d .; }

insmod "/pvgen/$DRV.ko" || fail "insmod $DRV"
i=0
while [ ! -e "/sys/class/net/$IF" ]; do
	i=$((i + 1))
	[ "$i" -le 100 ] || fail "no $IF"
	sleep 0.1
done
ip link set "$IF" up
ip addr add 10.0.2.15/24 dev "$IF"
i=0
until [ "$(cat /sys/class/net/$IF/carrier 2>/dev/null)" = 1 ]; do
	i=$((i + 1))
	[ "$i" -le 100 ] || fail "no carrier"
	sleep 0.1
done
sleep 2
nc -u -l -p "$PORT" >/dev/null 2>&1 &
rx0=$(cat /sys/class/net/$IF/statistics/rx_packets)
echo "PVGEN: flood ready"

worst=0
end=$(($(centis) + (SECONDS_ + 2) * 100))
while [ "$(centis)" -lt "$end" ]; do
	t0=$(centis)
	cat /proc/loadavg >/dev/null
	t1=$(centis)
	[ $((t1 - t0)) -le "$worst" ] || worst=$((t1 - t0))
	sleep 0.5
done
rx=$(($(cat /sys/class/net/$IF/statistics/rx_packets) - rx0))
echo "PVGEN: flood received $rx frames; slowest shell command ${worst}0 ms"
dmesg | grep -q "soft lockup" && fail "a soft lockup was logged"
[ "$rx" -gt 1000 ] || fail "only $rx frames arrived: no flood"
[ "$worst" -le 100 ] || fail "a shell command took ${worst}0 ms during the flood"
echo "PVGEN: OK flood"
