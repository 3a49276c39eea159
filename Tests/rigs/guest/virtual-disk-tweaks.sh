#!/bin/sh
# Guest script for boot-guest.sh (runs as "sh /test.sh" under busybox in the test VM).
#
# Proves pvgen's generated virtual-disk apply script (kmod/guest-config/
# pvgen-virtual-disk-apply.sh, passed to the rig with --ko so it lands in /pvgen): the
# stock ata_piix disk sda starts with the distribution's elevator, the apply script gives
# it the model's queue settings, sysfs then reads them back, and ide-pattern.sh (also
# passed with --ko) proves O_DIRECT I/O still returns the right bytes. The expected values
# come from /pvgen/expect (lines "attribute value"), written by the host test from the
# model.
set -eu

fail() {
	echo "PVGEN: FAIL $*"
	exit 1
}

APPLY=/pvgen/pvgen-virtual-disk-apply.sh
[ -f "$APPLY" ] || fail "no $APPLY"
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

sh "$APPLY" 2>&1 | sed 's/^/PVGEN: apply: /'
# busybox sh has no PIPESTATUS: a second run (idempotent) gives the exit status.
sh "$APPLY" >/dev/null 2>&1 || fail "apply script exited non-zero"

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

sh /pvgen/ide-pattern.sh
