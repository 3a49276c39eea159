#!/usr/bin/env bash
#
# run-nested.sh - who serves a nested guest's hypercall under TCG: boots the bare-metal
# L1 probe (l1.c, a multiboot image that is its own SVM hypervisor) on a QEMU built with
# the TCG hypercall patch and -device pvgen-batch,hypercall=on, and checks that L1's own
# VMMCALL and VMCALL reach the device, that an L2 guest's never do (L1's intercept, or
# #UD, as on hardware) and that L2's CPUID does not report KVM.
#
# usage: run-nested.sh QEMU_BINARY [--icount]
#
#   --icount   run the vCPU with -icount shift=0: the batch that raises IRQ14
#              inside the hypercall aborts QEMU unless the hypercall is translated
#              as I/O (gen_io_start(), as IN and OUT are)
#
# Every check prints "ok" or "FAIL" with what was expected; the last line is "N passed,
# N failed". Exit status: 0 all passed, 1 a check failed, 2 usage or setup error.

set -euo pipefail

prog=run-nested
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
log() { printf '[%s] %s\n' "$prog" "$*" >&2; }
die() {
	printf '[%s] error: %s\n' "$prog" "$*" >&2
	exit 2
}

(($# >= 1 && $# <= 2)) || die "usage: $prog QEMU_BINARY [--icount]"
qemu=$1
[[ -x $qemu ]] || die "not executable: $qemu"
icount=()
if (($# == 2)); then
	[[ $2 == --icount ]] || die "unknown option: $2"
	icount=(-icount shift=0)
fi
command -v python3 >/dev/null || die "python3 is needed for QMP"

work=$(mktemp -d "${TMPDIR:-/tmp}/pvgen-nested.XXXXXX")
qpid=
cleanup() {
	[[ -z $qpid ]] || kill "$qpid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

make -s -C "$here" O="$work" >&2 || die "building the L1 probe failed"

# shellcheck source=../qemu/qtest-lib.sh
. "$here/../qemu/qtest-lib.sh" # check NAME GOT WANT

truncate -s 1M "$work/disk.img" # for the IDENTIFY batch
"$qemu" -machine pc -accel tcg "${icount[@]}" -cpu qemu64,+svm -m 64 -display none -nodefaults \
	-no-reboot -kernel "$work/l1.elf" -device pvgen-batch,hypercall=on,id=pv \
	-drive "file=$work/disk.img,format=raw,if=ide" \
	-serial "file:$work/serial.log" -qmp "unix:$work/qmp.sock,server=on,wait=off" \
	</dev/null >"$work/qemu.log" 2>&1 &
qpid=$!
for _ in $(seq 600); do
	grep -q 'NESTED: done' "$work/serial.log" 2>/dev/null && break
	kill -0 "$qpid" 2>/dev/null || break
	sleep 0.1
done
served=$(python3 "$here/../qemu/qmp.py" "$work/qmp.sock" --timeout 10 \
	'qom-get={"path": "/machine/peripheral/pv", "property": "hypercalls"}' 2>&1) ||
	served="no answer ($served)"
python3 "$here/../qemu/qmp.py" "$work/qmp.sock" --timeout 10 quit >&2 || kill "$qpid" 2>/dev/null || true
wait "$qpid" 2>/dev/null || true
qpid=
sed 's/^/  | /' "$work/serial.log" >&2 || true
[[ -s $work/qemu.log ]] && sed 's/^/  qemu: /' "$work/qemu.log" >&2

line() { grep -a "^NESTED: $1" "$work/serial.log" | head -n 1 | sed "s/^NESTED: $1//"; }
# Not KVM's error answer (-1000), not the number left in rax: the device answered.
answered() { [[ -n $1 && $1 != 0x70760001 && $1 != 0xfffffc18 ]] && echo answered || echo "$1"; }

check "the probe ran to its end" "$(grep -c 'NESTED: done' "$work/serial.log")" 1
check "L1: CPUID 0x40000000 says KVM (a handler is registered)" "$(line 'l1 cpuid 0x40000000: ')" "KVMKVMKVM..."
check "L1: its VMMCALL reaches the device" "$(answered "$(line 'l1 vmmcall: rax=')")" answered
check "L1: its VMCALL reaches the device" "$(answered "$(line 'l1 vmcall: rax=')")" answered
check "L1: a batch whose IDENTIFY raises IRQ14 inside the hypercall runs (under icount: no abort)" \
	"$(line 'l1 batch raising IRQ14: ')" "rax=0x3 results=0x0,0x0,0x0 status=0x58"
check "L2 VMMCALL, L1 intercepts VMMCALL: #VMEXIT to L1, rax untouched" \
	"$(line 'l2 vmmcall, L1 intercepts vmmcall: ')" "exit=0x81 rax=0x70760001"
check "L2 VMMCALL, L1 intercepts #UD: #UD (to L1), not the device" \
	"$(line 'l2 vmmcall, L1 intercepts #UD: ')" "exit=0x46 rax=0x70760001"
check "L2 VMCALL, L1 intercepts #UD: #UD (to L1), not the device" \
	"$(line 'l2 vmcall, L1 intercepts #UD: ')" "exit=0x46 rax=0x70760001"
check "L2 VMMCALL, L1 intercepts neither: #UD in L2 (no IDT: shutdown, to L1)" \
	"$(line 'l2 vmmcall, L1 intercepts neither: ')" "exit=0x7f rax=0x70760001"
check "L2 CPUID 0x40000000 (not intercepted) does not say KVM" \
	"$(line 'l2 cpuid 0x40000000: ' | grep -c '^KVMKVMKVM')" 0
check "the device served L1's three hypercalls and nothing else" "$served" 3

printf '%d passed, %d failed\n' "$passed" "$failed"
((failed == 0))
