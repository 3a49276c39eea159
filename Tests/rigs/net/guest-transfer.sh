#!/bin/sh
# Guest script for boot-guest.sh (runs as "sh /test.sh" under busybox): loads one e1000
# driver for the 82540EM QEMU presents (-device e1000), brings eth0 up as 10.0.2.15/24
# (QEMU user networking), then serves two TCP transfers that the host side
# (host-transfer.py) drives through hostfwd ports on 127.0.0.1:
#
#   "in":  host -> guest, NET_MB MiB into a busybox nc listener on NET_PORT_IN
#   "out": guest -> host, NET_MB MiB of random data from a listener on NET_PORT_OUT
#
# Then (with NET_LSC=1) it waits for the host to take the link down and up again through
# the QEMU monitor (set_link), checks the driver's counters, takes the interface down,
# brings it up once more (a second open; ping 10.0.2.2), down again, unloads the driver
# and fails on any warning in dmesg.
#
# Port 0x80 markers, in this order, open the phases count-e1000.py counts in QEMU's trace:
#   0xb1 probe (insmod)    0xb2 open (ip link up .. carrier)    0xb3 idle (setup)
#   0xa1 "in"              0xa2 "out"                           0xa3 idle (checks, LSC)
#   0xb4 stop (ip link down)   0xb5 reopen (up, ping, down)   0xb6 remove (rmmod)
#   0xb7 end
#
# Settings (shell variables put in front of this script by run-transfer.sh):
#   NET_DRIVER    module in /pvgen to load: pvgen_e1000 (default) or e1000 (stock)
#   NET_MB        MiB per direction (default 8)
#   NET_PORT_IN   guest port of the "in" listener (default 5001)
#   NET_PORT_OUT  guest port of the "out" listener (default 5002)
#   NET_MODULE_ARGS  module parameters for insmod (default none)
#   NET_LSC       1: run the link-down/up step the host drives (default 0)
#
# Output: "PVGEN: net key=value" lines; exit 1 on any failure.
set -eu

DRV=${NET_DRIVER:-pvgen_e1000}
MB=${NET_MB:-8}
P_IN=${NET_PORT_IN:-5001}
P_OUT=${NET_PORT_OUT:-5002}
IF=eth0

say() { echo "PVGEN: net $*"; }
fail() {
	echo "PVGEN: net FAIL $*"
	dmesg | tail -n 40 | sed 's/^/PVGEN: net dmesg /'
	exit 1
}

# The port 0x80 marker of the next phase (the byte is given in decimal).
mark() {
	# shellcheck disable=SC2059 # the format is the escape \NNN of the byte to write
	printf "\\$(printf %03o "$1")" | dd of=/dev/port bs=1 seek=128 count=1 conv=notrunc 2>/dev/null
}

# True when something listens on TCP port $1 (state 0A in /proc/net/tcp or tcp6; busybox
# nc listens on [::] when the kernel has IPv6).
listening() {
	hex=$(printf '%04X' "$1")
	cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | grep -q ":$hex [0:]*:0000 0A"
}

wait_listen() {
	i=0
	until listening "$1"; do
		i=$((i + 1))
		[ "$i" -le 100 ] || fail "nothing listens on port $1"
		sleep 0.05
	done
}

# Interrupts of $IF so far (one CPU column per CPU, summed).
irqs() {
	awk -v ifn="$IF" '$NF == ifn || $NF == ifn"," {
		s = 0
		for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i
		print s; found = 1
	} END { if (!found) print 0 }' /proc/interrupts
}

nstat() { cat "/sys/class/net/$IF/statistics/$1"; }

wait_carrier() {
	i=0
	until [ "$(cat "/sys/class/net/$IF/carrier" 2>/dev/null)" = "$1" ]; do
		i=$((i + 1))
		[ "$i" -le 300 ] || fail "carrier of $IF not $1 after 30 s"
		sleep 0.1
	done
}

# --- probe ------------------------------------------------------------------------------

# A rate ITR cannot hold is refused at load (60..3906250 per second, or 0), not divided by.
if [ "$DRV" = pvgen_e1000 ]; then
	for rate in 1 59 3906251 20000000; do
		if insmod "/pvgen/$DRV.ko" itr=$rate 2>/dev/null; then
			fail "insmod $DRV itr=$rate was accepted"
		fi
	done
	echo "PVGEN: net itr out of range refused"
fi

dmesg -c >/dev/null
mark 177 # 0xb1 probe
# shellcheck disable=SC2086 # word splitting wanted: several parameters
insmod "/pvgen/$DRV.ko" ${NET_MODULE_ARGS:-} || fail "insmod $DRV ${NET_MODULE_ARGS:-}"
i=0
while [ ! -e "/sys/class/net/$IF" ]; do
	i=$((i + 1))
	[ "$i" -le 100 ] || fail "no $IF (/sys/class/net: $(ls /sys/class/net))"
	sleep 0.1
done
mark 178 # 0xb2 open
if [ "$DRV" != e1000 ] && grep -q '^e1000 ' /proc/modules; then
	fail "the stock e1000 module is loaded"
fi
drv=$(basename "$(readlink -f "/sys/class/net/$IF/device/driver")")
dev=$(basename "$(readlink -f "/sys/class/net/$IF/device")")
[ "$drv" = "$DRV" ] || fail "$IF is driven by $drv, not $DRV"

ip link set lo up
ip link set "$IF" up
ip addr add 10.0.2.15/24 dev "$IF"
ip route add default via 10.0.2.2 || true
wait_carrier 1
mark 179 # 0xb3 idle
say "driver=$drv pci=$dev id=$(cat "/sys/class/net/$IF/device/vendor"):$(cat "/sys/class/net/$IF/device/device") mac=$(cat "/sys/class/net/$IF/address")"
say "modules $(cut -d' ' -f1 /proc/modules | tr '\n' ' ')"
say "carrier=1 operstate=$(cat "/sys/class/net/$IF/operstate")"

# The data the guest sends, made before the windows.
dd if=/dev/urandom of=/tmp/out bs=1048576 count="$MB" 2>/dev/null

# QEMU's e1000 holds back received frames for a second after every RCTL write (both
# drivers write RCTL when they open and when the multicast list changes).
sleep 2

# --- window "in": host -> guest -----------------------------------------------------------

rx0=$(nstat rx_bytes) tx0=$(nstat tx_bytes) rxp0=$(nstat rx_packets) txp0=$(nstat tx_packets)
irq0=$(irqs)
nc -l -p "$P_IN" </dev/null >/tmp/in &
nc_in=$!
wait_listen "$P_IN"
mark 161 # 0xa1
say "ready-in port=$P_IN"
wait "$nc_in" || fail "nc (in) failed"
mark 162 # 0xa2
irq1=$(irqs)
rx1=$(nstat rx_bytes) tx1=$(nstat tx_bytes) rxp1=$(nstat rx_packets) txp1=$(nstat tx_packets)

# --- window "out": guest -> host ----------------------------------------------------------

nc -l -p "$P_OUT" </tmp/out >/dev/null &
nc_out=$!
wait_listen "$P_OUT"
say "ready-out port=$P_OUT"
wait "$nc_out" || fail "nc (out) failed"
mark 163 # 0xa3 idle
irq2=$(irqs)
rx2=$(nstat rx_bytes) tx2=$(nstat tx_bytes) rxp2=$(nstat rx_packets) txp2=$(nstat tx_packets)

say "window in irqs=$((irq1 - irq0)) rx_bytes=$((rx1 - rx0)) tx_bytes=$((tx1 - tx0)) rx_packets=$((rxp1 - rxp0)) tx_packets=$((txp1 - txp0))"
say "window out irqs=$((irq2 - irq1)) rx_bytes=$((rx2 - rx1)) tx_bytes=$((tx2 - tx1)) rx_packets=$((rxp2 - rxp1)) tx_packets=$((txp2 - txp1))"

in_size=$(wc -c </tmp/in)
say "in bytes=$in_size md5=$(md5sum </tmp/in | cut -d' ' -f1)"
say "out bytes=$(wc -c </tmp/out) md5=$(md5sum </tmp/out | cut -d' ' -f1)"
[ "$in_size" -eq $((MB * 1048576)) ] || fail "received $in_size bytes, expected $((MB * 1048576))"
rm -f /tmp/in /tmp/out

# --- link status change (the host runs set_link in QEMU's monitor) -------------------------

if [ "${NET_LSC:-0}" = 1 ]; then
	say "ready-lsc"
	wait_carrier 0
	say "lsc carrier=0"
	wait_carrier 1
	say "lsc carrier=1"
fi

st=""
for s in rx_errors rx_dropped rx_over_errors tx_errors tx_dropped; do
	st="$st $s=$(nstat "$s")"
done
say "stats$st"

# --- stop, a second open, remove -------------------------------------------------------------

mark 180 # 0xb4 stop
ip link set "$IF" down
mark 181 # 0xb5 reopen
ip link set "$IF" up
wait_carrier 1
ping -c 3 -W 5 10.0.2.2 >/tmp/ping 2>&1 || {
	cat /tmp/ping
	fail "no ping reply from 10.0.2.2 after the second open"
}
say "reopen ping=$(grep -c 'bytes from' /tmp/ping)/3"
ip link set "$IF" down
mark 182 # 0xb6 remove
rmmod "$DRV" || fail "rmmod $DRV"
mark 183 # 0xb7 end
! grep -q "^$DRV " /proc/modules || fail "$DRV still loaded"
dmesg | sed 's/^/PVGEN: net dmesg /'
if dmesg | grep -E -q 'WARNING|BUG|Oops|Call Trace|leak|refcount|timed out'; then
	fail "warnings in dmesg"
fi
say "unload=ok"
say "done"
