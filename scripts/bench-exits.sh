#!/usr/bin/env bash
# bench-exits.sh - exits and nanoseconds per PIIX IDE register sequence in a
# real KVM vCPU, in one run, four ways: (1) plain trap-and-emulate port I/O,
# (2) KVM coalesced PIO for the latching taskfile registers, (3) pvgen's batch
# through the PIO doorbell, (4) pvgen's exitless ring (a host thread polls the
# batches the guest posts), plus the cost of filling the queue alone.
#
#   scripts/bench-exits.sh [--runs N] [--target-ms MS] [--all] [--kmod DIR]
#
#   --runs N        runs per sequence and transport; the median is reported (21)
#   --target-ms MS  wall time of one run; the repetition count follows (20)
#   --all           every case of Tests/rigs/kvm/cases.h, not the selection
#   --kmod DIR      the generated tree to build against (kmod)
#
# Writes out/bench/: raw.tsv (kvm_rig's numbers), bench-exits.txt (the table,
# also printed), bench-exits.png (the chart) and info.txt (what KVM offered).
# Not a test: the figures depend on the machine. Needs /dev/kvm; installs
# what it needs with apt (gcc, make, python3-matplotlib) only when missing.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rig="$root/Tests/rigs/kvm"
out="$root/out/bench"
kmod="$root/kmod"
bench_args=()

while (($#)); do
	case $1 in
	--runs | --target-ms)
		(($# >= 2)) || { echo "bench-exits: $1 needs a value" >&2; exit 2; }
		bench_args+=("$1" "$2")
		shift 2
		;;
	--all)
		bench_args+=(--all)
		shift
		;;
	--kmod)
		(($# >= 2)) || { echo "bench-exits: --kmod needs a folder" >&2; exit 2; }
		kmod=$(cd "$2" && pwd)
		shift 2
		;;
	-h | --help)
		sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "bench-exits: unknown argument $1 (see --help)" >&2
		exit 2
		;;
	esac
done

if [[ ! -e /dev/kvm ]]; then
	echo "bench-exits: /dev/kvm is absent: this benchmark needs KVM" >&2
	exit 1
fi

"$root/scripts/install-deps.sh" gcc make libc6-dev binutils python3 python3-matplotlib

mkdir -p "$out"
echo "[bench] building the rig against $kmod"
make -s -C "$rig" KMOD="$kmod" OUT="$out/rig" >&2
"$out/rig/kvm_rig" info | tee "$out/info.txt"
echo "[bench] kvm_rig bench ${bench_args[*]}"
"$out/rig/kvm_rig" bench "${bench_args[@]}" >"$out/raw.tsv"
# Debian's python3, where python3-matplotlib lives, whatever python3 PATH finds.
/usr/bin/python3 "$rig/bench_report.py" "$out/raw.tsv" "$out"
