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

# The disk named by its model: when the host adds a second disk, which one the kernel
# calls sda depends on which port's scan finishes first.
disk_with_model() {
	for d in /sys/block/sd*; do
		[ -e "$d/device/model" ] || continue
		[ "$(sed 's/ *$//' "$d/device/model")" = "$1" ] && echo "${d##*/}" && return 0
	done
	return 1
}
wait_for_model() {
	i=0
	until disk_with_model "$1" >/dev/null; do
		i=$((i + 1))
		# Inside $(...): the message must not be captured.
		[ "$i" -le 300 ] || fail "no disk with model '$1' after 30 s (have: $(ls /sys/block))" >&2
		sleep 0.1
	done
	disk_with_model "$1"
}
DISK=$(wait_for_model "QEMU HARDDISK")
OTHER=
[ -f /pvgen/other-model ] && OTHER=$(wait_for_model "$(cat /pvgen/other-model)")
Q=/sys/block/$DISK/queue
echo "PVGEN: before $DISK model=$(cat /sys/block/$DISK/device/model) scheduler=$(cat $Q/scheduler)" \
	"rotational=$(cat $Q/rotational) add_random=$(cat $Q/add_random) read_ahead_kb=$(cat $Q/read_ahead_kb)"

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
	got=$(cat "$Q/$attr")
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

# The second disk, whose model is no virtual disk's, must keep the distribution's
# elevator: the match is by model, not "every disk".
if [ -n "$OTHER" ]; then
	scheduler=$(cat /sys/block/$OTHER/queue/scheduler)
	echo "PVGEN: other disk $OTHER model=$(cat /pvgen/other-model) scheduler=$scheduler"
	case " $scheduler " in
	*" [none] "*) fail "$OTHER got the none elevator too" ;;
	esac
fi

DISK=$DISK sh /pvgen/ide-pattern.sh
