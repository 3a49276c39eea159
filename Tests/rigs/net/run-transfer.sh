#!/usr/bin/env bash
# run-transfer.sh - boot the 6.1 guest under QEMU TCG with "-device e1000" on user
# networking, load one e1000 driver in it (pvgen_e1000, built here, or the stock e1000),
# move NET_MB MiB each way over TCP between the host (127.0.0.1 only, through hostfwd) and
# busybox nc in the guest, compare md5s on both ends, unload the driver, and (with
# --trace) count the e1000 register accesses of each transfer window.
#
# usage: run-transfer.sh [--ko pvgen_e1000.ko | --driver e1000] [--mb N] [--trace]
#                        [--qemu BIN] [--itr N] [WORK_DIR]
#
#   --ko       pvgen's generated driver, built (pvgen build); the guest loads it
#   --driver   e1000: the guest kernel's stock driver instead
#   --mb       MiB per direction (default 8)
#   --trace    QEMU trace of memory_region_ops_read/_write; counts in WORK/counts.json
#   --qemu     QEMU binary (default: boot-guest.sh's, Debian's qemu-system-x86_64)
#   --itr      pvgen_e1000's itr= module parameter (interrupts/s; default: the module's)
#   WORK_DIR   default: a new mktemp directory
#
# Environment: PVGEN_E1000_CPUS=LIST runs QEMU under "taskset -c LIST" (e.g. 1: vCPU and
# main loop on one host CPU); PVGEN_GUEST_TIMEOUT (default 600 s); PVGEN_GUEST_KVER.
#
# Exit 0 when the guest script passed and both md5s matched.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RIG=$here/../guest/boot-guest.sh
if [[ -n ${PVGEN_GUEST_KVER:-} ]]; then
	KVER=$PVGEN_GUEST_KVER
else
	KVER=$(find /boot -maxdepth 1 -name 'vmlinuz-6.1.*' -printf '%f\n' | sed 's/^vmlinuz-//' | sort -V | tail -n 1)
fi

DRIVER=pvgen_e1000
KO=
MB=8
TRACE=0
QEMU_ARGS=()
ITR=""
while (($#)); do
	case $1 in
	--ko) KO=$2 && shift 2 ;;
	--driver) DRIVER=$2 && shift 2 ;;
	--mb) MB=$2 && shift 2 ;;
	--trace) TRACE=1 && shift ;;
	--qemu) QEMU_ARGS+=(--qemu "$2") && shift 2 ;;
	--itr) ITR=$2 && shift 2 ;;
	-h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d' && exit 0 ;;
	-*) echo "unknown argument: $1" >&2 && exit 2 ;;
	*) break ;;
	esac
done
work=${1:-$(mktemp -d "${TMPDIR:-/tmp}/pvgen-e1000.XXXXXX")}
mkdir -p "$work"
work=$(cd "$work" && pwd)

case $DRIVER in
pvgen_e1000)
	[[ -f $KO ]] || { echo "pvgen_e1000 needs --ko FILE.ko (pvgen build)" >&2 && exit 2; }
	;;
e1000)
	KO=$(modinfo -k "$KVER" -F filename e1000)
	;;
*) echo "unknown driver: $DRIVER" >&2 && exit 2 ;;
esac

# Two free TCP ports on 127.0.0.1 (the same numbers are used inside the guest).
read -r P_IN P_OUT < <(python3 -c '
import socket
ss = [socket.socket() for _ in range(2)]
for s in ss:
    s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])')

# The guest script with its settings in front.
{
	echo "NET_DRIVER=$DRIVER NET_MB=$MB NET_PORT_IN=$P_IN NET_PORT_OUT=$P_OUT NET_LSC=1"
	[[ -z $ITR ]] || echo "NET_MODULE_ARGS='itr=$ITR'"
	cat "$here/guest-transfer.sh"
} >"$work/guest.sh"

rig=(--work "$work" --script "$work/guest.sh" --ko "$KO" "${QEMU_ARGS[@]}"
	--qemu-arg -netdev
	--qemu-arg "user,id=n0,hostfwd=tcp:127.0.0.1:$P_IN-:$P_IN,hostfwd=tcp:127.0.0.1:$P_OUT-:$P_OUT"
	--qemu-arg -device --qemu-arg "e1000,netdev=n0,romfile="
	--qemu-arg -monitor --qemu-arg "unix:$work/monitor.sock,server=on,wait=off")
if ((TRACE)); then
	printf '%s\n' memory_region_ops_read memory_region_ops_write >"$work/trace-events"
	rig+=(--trace-events "$work/trace-events")
fi

rm -f "$work/console.log" "$work/result"
echo "[host] driver $DRIVER, $MB MiB each way, ports $P_IN/$P_OUT, work $work" >&2
# PVGEN_E1000_CPUS (a taskset CPU list) pins the rig and so QEMU, all its threads.
pin=()
[[ -z ${PVGEN_E1000_CPUS:-} ]] || pin=(taskset -c "$PVGEN_E1000_CPUS")
PVGEN_GUEST_TIMEOUT=${PVGEN_GUEST_TIMEOUT:-600} "${pin[@]}" "$RIG" "${rig[@]}" &
rig_pid=$!

host_rc=0
python3 "$here/host-transfer.py" --console "$work/console.log" --port-in "$P_IN" \
	--port-out "$P_OUT" --mb "$MB" --monitor "$work/monitor.sock" --result "$work/result" \
	--timeout "${PVGEN_GUEST_TIMEOUT:-600}" \
	>"$work/host.txt" || host_rc=$?
rig_rc=0
wait "$rig_pid" || rig_rc=$?

grep -a 'PVGEN: net' "$work/console.log" | grep -av 'net dmesg' >"$work/guest.txt" || true
if ((TRACE)) && [[ -s $work/trace.log ]]; then
	python3 "$here/count-e1000.py" "$work/trace.log" --mb "$MB" --guest "$work/guest.txt" \
		--json "$work/counts.json" | tee "$work/counts.txt" || rig_rc=1
fi

if ((host_rc == 0 && rig_rc == 0)); then
	echo "[host] PASS: $DRIVER, $MB MiB each way ($(cat "$work/host.txt"))" >&2
	exit 0
fi
echo "[host] FAIL: $DRIVER (host rc=$host_rc, guest rig rc=$rig_rc); see $work" >&2
exit 1
