#!/usr/bin/env bash
# run-ide-pattern.sh - boot the guest, write a pattern from inside it through the IDE
# driver (ide-pattern.sh), then check on the host that the pattern is in disk.img at
# sector 2048 with the md5 the guest printed.
#
# usage: run-ide-pattern.sh [--ko pata_pvgen_piix.ko [--module-args ARGS]] [--qemu BIN]
#                           [--qemu-arg ARG]... [--append KERNEL_ARGS]... [WORK_DIR]
#   with --ko: the generated module drives the disk (the stock ata_piix is not loaded),
#   loaded with ARGS (e.g. "transport=ring"; they reach the guest as the environment
#   variable PVGEN_INSMOD_ARGS, which the kernel hands to init from its command line);
#   without: the stock ata_piix does. --qemu and --qemu-arg go to boot-guest.sh (a QEMU
#   built with pvgen's doorbell device, and "-device pvgen-batch"). WORK_DIR defaults to
#   a new mktemp directory.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
rig_args=()
append=()
while (($# > 0)); do
	case $1 in
	--ko) rig_args+=(--ko "$2" --no-ata-piix) && shift 2 ;;
	--qemu | --qemu-arg) rig_args+=("$1" "$2") && shift 2 ;;
	--module-args) append+=("PVGEN_INSMOD_ARGS=$2") && shift 2 ;;
	--append) append+=("$2") && shift 2 ;;
	*) break ;;
	esac
done
((${#append[@]} == 0)) || rig_args+=(--append "${append[*]}")
work=${1:-$(mktemp -d "${TMPDIR:-/tmp}/pvgen-guest-ide.XXXXXX")}
mkdir -p "$work"

BYTES=65536

# Start from a fresh zero disk: a pattern left by an earlier run must not pass.
rm -f "$work/disk.img"

# 150 GiB, sparse: room for the LBA48 pattern past 2^28 sectors.
"$here/boot-guest.sh" --work "$work" --script "$here/ide-pattern.sh" --disk-mb 153600 "${rig_args[@]}"

# Every pattern the guest reports must be in disk.img where it says, with the bytes
# rebuilt here from its tag.
checked=0
while read -r md5 sector tag; do
	host_md5=$(printf "${tag}%010d\n" {0..4095} | md5sum | cut -d' ' -f1)
	disk_md5=$(dd if="$work/disk.img" bs=512 skip="$sector" count=$((BYTES / 512)) status=none |
		md5sum | cut -d' ' -f1)
	echo "[host] sector $sector ($tag): guest $md5, host-built $host_md5, disk.img $disk_md5"
	if [[ $disk_md5 != "$md5" || $md5 != "$host_md5" ]]; then
		echo "[host] FAIL: md5 mismatch at sector $sector" >&2
		exit 1
	fi
	checked=$((checked + 1))
done < <(sed -n 's/.*PVGEN: pattern-md5=\([0-9a-f]\{32\}\) sector=\([0-9]*\) tag=\([a-z0-9]*\).*/\1 \2 \3/p' "$work/console.log")
if ((checked < 2)); then
	echo "[host] FAIL: the guest reported $checked patterns, expected 2 (LBA28 and LBA48)" >&2
	exit 1
fi
echo "[host] PASS: $checked patterns written in the guest are in disk.img"
