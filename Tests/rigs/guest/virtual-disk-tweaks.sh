#!/bin/sh
# Guest script for boot-guest.sh (runs as "sh /test.sh" under busybox in the test VM).
#
# Proves pvgen's generated virtual-disk tweaks, passed to the rig with --ko so they land in
# /pvgen: either the udev rules (kmod/guest-config/60-pvgen-virtual-disk.rules, run by the
# host's own systemd-udevd, which the rig copies in with --host-binary /usr/bin/udevadm) or
# the apply script (pvgen-virtual-disk-apply.sh). The stock ata_piix disk sda starts with the
# distribution's elevator, the rules or the script give it the model's queue settings, sysfs
# then reads them back, and ide-pattern.sh (also passed with --ko) proves O_DIRECT I/O still
# returns the right bytes. The expected values come from /pvgen/expect (lines "attribute
# value"), written by the host test from the model.
set -eu

fail() {
	echo "PVGEN: FAIL $*"
	exit 1
}

APPLY=/pvgen/pvgen-virtual-disk-apply.sh
RULES=/pvgen/60-pvgen-virtual-disk.rules
[ -f "$APPLY" ] || [ -f "$RULES" ] || fail "neither $APPLY nor $RULES"
[ -f /pvgen/expect ] || fail "no /pvgen/expect"

i=0
while [ ! -e /sys/block/sda/queue/scheduler ]; do
	i=$((i + 1))
	[ "$i" -le 300 ] || fail "no sda after 30 s (have: $(ls /sys/block))"
	sleep 0.1
done
echo "PVGEN: before model=$(cat /sys/block/sda/device/model) scheduler=$(cat /sys/block/sda/queue/scheduler)" \
	"rotational=$(cat /sys/block/sda/queue/rotational) add_random=$(cat /sys/block/sda/queue/add_random)" \
	"read_ahead_kb=$(cat /sys/block/sda/queue/read_ahead_kb)"

if [ -f "$RULES" ]; then
	# What the README says to do, on a udevd that knows no rules but ours.
	[ -x /usr/bin/udevadm ] || fail "no /usr/bin/udevadm (boot-guest.sh --host-binary)"
	mkdir -p /run && mount -t tmpfs tmpfs /run
	mkdir -p /etc/udev/rules.d
	cp "$RULES" /etc/udev/rules.d/
	# udevadm is systemd-udevd when called by that name.
	ln -s /usr/bin/udevadm /sbin/systemd-udevd
	/sbin/systemd-udevd --daemon --resolve-names=never || fail "systemd-udevd did not start"
	echo "PVGEN: udev: $(udevadm --version), rules: $(ls /etc/udev/rules.d)"
	udevadm trigger --subsystem-match=block --action=change || fail "udevadm trigger failed"
	udevadm settle --timeout=60 || fail "udevadm settle timed out"
	echo "PVGEN: udev: settled"
else
	sh "$APPLY" 2>&1 | sed 's/^/PVGEN: apply: /'
	# busybox sh has no PIPESTATUS: a second run (idempotent) gives the exit status.
	sh "$APPLY" >/dev/null 2>&1 || fail "apply script exited non-zero"
fi

while read -r attr want; do
	got=$(cat "/sys/block/sda/queue/$attr")
	echo "PVGEN: after $attr=$got (want $want)"
	if [ "$attr" = scheduler ]; then
		# "[none] mq-deadline ": the active elevator is the bracketed one.
		case " $got " in
		*" [$want] "*) ;;
		*) fail "queue/scheduler is '$got', want [$want]" ;;
		esac
	else
		[ "$got" = "$want" ] || fail "queue/$attr is '$got', want '$want'"
	fi
done </pvgen/expect
echo "PVGEN: OK queue settings applied"

# A second disk whose model is no virtual disk's (the host test adds one) must keep the
# distribution's elevator: the match is by model, not "every disk".
if [ -e /sys/block/sdb ]; then
	other="$(cat /sys/block/sdb/device/model | sed 's/ *$//') scheduler=$(cat /sys/block/sdb/queue/scheduler)"
	echo "PVGEN: other disk sdb model=$other"
	case " $(cat /sys/block/sdb/queue/scheduler) " in
	*" [none] "*) fail "sdb ($other) got the none elevator too" ;;
	esac
fi

sh /pvgen/ide-pattern.sh
