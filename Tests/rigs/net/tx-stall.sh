#!/bin/sh
# Guest script for boot-guest.sh (QEMU "-netdev user -device e1000"): the TX watchdog of
# pvgen_e1000. Pings the user-mode network's gateway, then stalls the device behind the
# driver's back (bus mastering off: QEMU's e1000 then consumes descriptors it cannot read
# and writes back no DD bit), keeps sending so that frames wait unreclaimed, and expects
# the netdev watchdog to fire and the driver to reset the device; once bus mastering is
# back, pings work again, which without the reset they would not (the eaten descriptors
# are never reclaimed and the queue stays stopped).
set -eu

DRV=pvgen_e1000
IF=eth0
GW=10.0.2.2

fail() {
	echo "PVGEN: FAIL $*"
	exit 1
}

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
# QEMU's e1000 holds back received frames for a second after an RCTL write.
sleep 2
ping -c 2 -W 2 "$GW" >/dev/null || fail "no answer from $GW before the stall"
echo "PVGEN: ping before the stall OK"

# Bus mastering off in the PCI command register (config space, byte 4, bit 2): the device
# can read no descriptor and write back no DD bit, as a hung DMA engine would.
config=/sys/bus/pci/devices/$(basename "$(readlink -f /sys/class/net/$IF/device)")/config
command=$(dd if="$config" bs=1 skip=4 count=1 2>/dev/null | od -An -tu1 | tr -d ' ')
setcommand() { printf "\\$(printf %03o "$1")" | dd of="$config" bs=1 seek=4 count=1 conv=notrunc 2>/dev/null; }
setcommand $((command & ~4))
echo "PVGEN: bus mastering off (command $command -> $((command & ~4)))"
ping -c 12 -i 0.5 -W 1 "$GW" >/dev/null 2>&1 || true

i=0
until dmesg | grep -q "TX stalled"; do
	i=$((i + 1))
	[ "$i" -le 200 ] || fail "the TX watchdog never fired"
	sleep 0.1
done
echo "PVGEN: watchdog fired: $(dmesg | grep 'TX stalled' | tail -n 1 | sed 's/^\[[^]]*\] //')"
# The hang ends; the frames it ate stay unreclaimed unless the driver resets the ring.
setcommand "$command"
i=0
until [ "$(cat /sys/class/net/$IF/carrier 2>/dev/null)" = 1 ] && ping -c 1 -W 2 "$GW" >/dev/null 2>&1; do
	i=$((i + 1))
	[ "$i" -le 30 ] || fail "no answer from $GW after the reset"
	sleep 1
done
echo "PVGEN: ping after the reset OK"
ip link set "$IF" down
rmmod "$DRV" || fail "rmmod $DRV"
echo "PVGEN: OK TX watchdog"
