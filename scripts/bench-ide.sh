#!/usr/bin/env bash
# bench-ide.sh - register accesses that leave a real Linux guest (each one a VM exit under
# KVM) per 4 KiB disk command and per MiB, counted in QEMU's trace, for: the stock ata_piix;
# pvgen's pata_pvgen_piix on the PIO doorbell (and on vmcall when the QEMU build can serve
# it), with the device-side accesses pvgen's QEMU device replays checked against the stock
# driver's; and virtio-blk.
#
#   scripts/bench-ide.sh [--n N] [--out DIR] [--scratch-path DIR] [--qemu-cache DIR] [--jobs N]
#
#   --n N               4 KiB O_DIRECT commands per direction (256: 1 MiB written, 1 MiB read)
#   --out DIR           where everything goes (out/bench-ide)
#   --scratch-path DIR  swift build's scratch folder for pvgen (swift's default, .build)
#   --qemu-cache DIR    QEMU source and build cache (.build-qemu-bench), kept apart from the
#                       test suite's .build-qemu so that the two never rebuild each other's
#   --jobs N            ninja jobs for the QEMU build (nproc)
#
# Builds what it needs, each step cached or skipped when done: Debian packages (apt, only
# what is missing), pvgen (swift build), the generated tree (pvgen generate, into
# OUT/kmod), its guest module (pvgen build, kbuild against the guest kernel's headers), and
# Debian's QEMU 7.2 with the generated device (pvgen qemu; a
# host/qemu/*.patch the generator emits, the TCG hypercall patch, is applied too). Then it
# boots the Debian 6.1 guest under TCG (Tests/rigs/guest/boot-guest.sh) once per driver
# with the workload Tests/rigs/bench/ide-workload.sh, counts the trace
# (Tests/rigs/bench/count-trace.py) and writes OUT/bench-ide.{txt,md,json,png}
# (Tests/rigs/bench/report.py). Not a test: a benchmark command; exit 1 when a run fails
# or its data is inconsistent.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bench=$root/Tests/rigs/bench
n=256
out=$root/out/bench-ide
scratch=
qemu_cache=$root/.build-qemu-bench
jobs=$(nproc)

command_line="scripts/bench-ide.sh${*:+ $*}"

log() { printf '[bench-ide] %s\n' "$*" >&2; }
die() {
	printf '[bench-ide] error: %s\n' "$*" >&2
	exit 1
}
need_value() { (($2 >= 2)) || die "$1 needs a value (see --help)"; }

while (($#)); do
	case $1 in
	--n) need_value "$1" $# && n=$2 && shift 2 ;;
	--out) need_value "$1" $# && out=$2 && shift 2 ;;
	--scratch-path) need_value "$1" $# && scratch=$2 && shift 2 ;;
	--qemu-cache) need_value "$1" $# && qemu_cache=$2 && shift 2 ;;
	--jobs) need_value "$1" $# && jobs=$2 && shift 2 ;;
	-h | --help)
		sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*) die "unknown argument: $1 (see --help)" ;;
	esac
done
[[ $n =~ ^[1-9][0-9]*$ ]] || die "--n wants a positive integer, got: $n"
((n <= 16384)) || die "--n at most 16384 (64 MiB each way), got: $n"
[[ $jobs =~ ^[1-9][0-9]*$ ]] || die "--jobs wants a positive integer, got: $jobs"
mkdir -p "$out"
out=$(cd "$out" && pwd)

# ---------------------------------------------------------------- packages
# kbuild (make, gcc, the guest kernel and its headers), libkmod (pvgen links it), the
# guest rig's initramfs (busybox-static, cpio, kmod) and the report (python3, matplotlib;
# run with Debian's /usr/bin/python3, where python3-matplotlib lives, whatever PATH finds).
# QEMU's own build dependencies are build-qemu.sh's business.
"$root/scripts/install-deps.sh" make gcc libc6-dev libkmod-dev linux-headers-amd64 linux-image-amd64 \
	busybox-static cpio kmod python3 python3-matplotlib >&2
python=/usr/bin/python3
[[ -x $python ]] || die "no $python (package python3)"
command -v swift >/dev/null || die "swift is not on PATH (pvgen is a Swift package)"

# The guest kernel, as boot-guest.sh picks it: newest /boot/vmlinuz-6.1.* (6.1.* and not
# 6.1*, which would match 6.10+), or PVGEN_GUEST_KVER.
if [[ -n ${PVGEN_GUEST_KVER:-} ]]; then
	kver=$PVGEN_GUEST_KVER
else
	kernels=(/boot/vmlinuz-6.1.*)
	[[ -e ${kernels[0]} ]] || die "no /boot/vmlinuz-6.1.* installed"
	kver=$(printf '%s\n' "${kernels[@]#/boot/vmlinuz-}" | sort -V | tail -n 1)
fi
kdir=/lib/modules/$kver/build
[[ -d $kdir ]] || die "no headers for the guest kernel $kver ($kdir): install linux-headers-$kver"

# ------------------------------------------------------------------ pvgen
swift_args=(--package-path "$root")
[[ -z $scratch ]] || swift_args+=(--scratch-path "$scratch")
log "swift build --product pvgen ${scratch:+(scratch $scratch)}"
swift build "${swift_args[@]}" --product pvgen >&2
pvgen=$(swift build "${swift_args[@]}" --show-bin-path)/pvgen
[[ -x $pvgen ]] || die "no pvgen binary at $pvgen"

tree=$out/kmod
"$pvgen" generate --out "$tree" >&2
"$pvgen" diff "$root/kmod" >/dev/null 2>&1 ||
	log "note: kmod/ differs from what this pvgen generates; measuring what it generates"
log "kbuild against $kdir"
"$pvgen" build "$tree" --kdir "$kdir" >"$out/modinfo.txt" ||
	die "pvgen build failed"
ko=$tree/guest/pata_pvgen_piix/pata_pvgen_piix.ko
[[ -f $ko ]] || die "no $ko after pvgen build"

# ------------------------------------------------------------------- QEMU
log "QEMU 7.2 with the generated device and TCG patch (pvgen qemu, cache $qemu_cache)"
qemu=$("$pvgen" qemu "$tree" --cache "$qemu_cache" --jobs "$jobs" | tail -n 1)
[[ -x $qemu ]] || die "pvgen qemu printed no binary"
qemu_version=$("$qemu" --version | head -n 1)

# vmcall: only when this build's device realizes with hypercall=on (it has the property
# either way, but refuses it in a QEMU built without the TCG hypercall patch).
hypercall=0
if printf 'quit\n' | timeout 60 "$qemu" -accel tcg -display none -nodefaults -S -monitor stdio \
	-device pvgen-batch,hypercall=on >/dev/null 2>"$out/hypercall-probe.log"; then
	hypercall=1
fi

# The trace events: every access to an emulated register, virtio's notify, and every
# pvgen_batch_* event this device has (the brackets around a batch and its replays).
events=$out/trace-events.list
{
	echo memory_region_ops_read
	echo memory_region_ops_write
	echo virtio_queue_notify
	"$qemu" -trace help 2>/dev/null | grep -E '^pvgen_batch_[a-z0-9_]+$' || true
} >"$events"
grep -qx pvgen_batch_done "$events" || die "$qemu has no pvgen_batch_done trace event"

# ----------------------------------------------------------------- guests
# The virtio-blk stack from the guest kernel's modules, in load order (built-ins skipped).
virtio_mods=(virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_blk)
virtio_kos=() virtio_names=()
mkdir -p "$out/virtio-modules"
for m in "${virtio_mods[@]}"; do
	path=$(modinfo -k "$kver" -F filename "$m" 2>/dev/null | head -n 1) || true
	[[ -n $path && $path != "(builtin)" ]] || continue
	dst=$out/virtio-modules/$m.ko
	case $path in
	*.ko) cp "$path" "$dst" ;;
	*.ko.xz) xz -dc "$path" >"$dst" ;;
	*.ko.zst) zstd -dcq "$path" >"$dst" ;;
	*.ko.gz) gzip -dc "$path" >"$dst" ;;
	*) die "unexpected module file: $path" ;;
	esac
	virtio_kos+=(--ko "$dst")
	virtio_names+=("$m")
done

disk_mb=$(((2048 + n) * 4096 / 1048576 + 16))
runs=()

# run KEY LABEL ROLE BOOT-ARGS... -- GUEST-SETTINGS...
run_guest() {
	local key=$1 label=$2 role=$3 dir=$out/runs/$1 script boot=() settings=() s
	shift 3
	while (($#)) && [[ $1 != -- ]]; do
		boot+=("$1")
		shift
	done
	shift
	settings=("BENCH_N=$n" "$@")
	rm -rf "$dir"
	mkdir -p "$dir"
	script=$dir/workload.sh
	{
		echo '#!/bin/sh'
		echo "# $label: settings from scripts/bench-ide.sh, then Tests/rigs/bench/ide-workload.sh"
		for s in "${settings[@]}"; do
			printf '%s=%q\n' "${s%%=*}" "${s#*=}"
		done
		cat "$bench/ide-workload.sh"
	} >"$script"
	log "$key: $label"
	if ! PVGEN_GUEST_TIMEOUT=${PVGEN_GUEST_TIMEOUT:-900} "$root/Tests/rigs/guest/boot-guest.sh" \
		--work "$dir" --script "$script" --qemu "$qemu" --trace-events "$events" \
		--disk-mb "$disk_mb" "${boot[@]}" 2>"$dir/boot.log"; then
		cat "$dir/boot.log" >&2
		die "$key: the guest run failed (see $dir)"
	fi
	grep -a 'PVGEN: bench' "$dir/console.log" | sed 's/^/  /' >&2
	"$python" "$bench/count-trace.py" "$dir/trace.log" --json "$dir/counts.json" >&2
	runs+=(--run "$key" "$label" "$role" "$dir")
}

run_guest stock "ata_piix" stock \
	--qemu-arg -device --qemu-arg pvgen-batch -- \
	BENCH_DRIVER=ata_piix
run_guest doorbell "pata_pvgen_piix (doorbell)" batched \
	--ko "$ko" --no-ata-piix --qemu-arg -device --qemu-arg pvgen-batch -- \
	BENCH_MODULES=pata_pvgen_piix BENCH_MODULE_ARGS=transport=doorbell \
	BENCH_DRIVER=pata_pvgen_piix BENCH_TRANSPORT=doorbell
notes=()
if ((hypercall)); then
	run_guest vmcall "pata_pvgen_piix (vmcall)" batched \
		--ko "$ko" --no-ata-piix --qemu-arg -device --qemu-arg pvgen-batch,hypercall=on -- \
		BENCH_MODULES=pata_pvgen_piix BENCH_MODULE_ARGS=transport=vmcall \
		BENCH_DRIVER=pata_pvgen_piix BENCH_TRANSPORT=vmcall
else
	notes+=(--note "no vmcall column: this QEMU build refuses -device pvgen-batch,hypercall=on ($(head -n 1 "$out/hypercall-probe.log"))")
fi
# virtio-blk on a disk of its own; the PIIX IDE disk boot-guest.sh always adds stays
# without a driver (no ata_piix), so it adds no accesses.
truncate -s "${disk_mb}M" "$out/virtio-disk.img"
run_guest virtio "virtio-blk" virtio \
	"${virtio_kos[@]}" --no-ata-piix --qemu-arg -drive \
	--qemu-arg "file=$out/virtio-disk.img,format=raw,if=virtio" -- \
	"BENCH_MODULES=${virtio_names[*]}" BENCH_DISK=vda BENCH_DRIVER=virtio-pci
rm -f "$out/virtio-disk.img"

# ----------------------------------------------------------------- report
{
	echo "command: $command_line"
	echo "guest: Linux $kver, 1 vCPU, 512 MiB, -accel tcg"
	echo "qemu: $qemu_version ($qemu)"
	echo "generated tree: $tree (pvgen $pvgen)"
	echo "trace events: $(paste -sd' ' "$events")"
} >"$out/info.txt"
set +e
"$python" "$bench/report.py" --out "$out" --n "$n" \
	--title "pvgen bench-ide: Linux $kver guest, QEMU ${qemu_version#QEMU emulator version } (TCG)" \
	"${notes[@]}" "${runs[@]}"
rc=$?
set -e
log "wrote $out/bench-ide.txt, bench-ide.md, bench-ide.json, bench-ide.png, info.txt"
exit "$rc"
