#!/usr/bin/env bash
# run-ide-pattern.sh - boot the guest, write a pattern from inside it through the IDE
# driver (ide-pattern.sh), then check on the host that the pattern is in disk.img at
# sector 2048 with the md5 the guest printed.
#
# usage: run-ide-pattern.sh [--ko pata_pvgen_piix.ko] [WORK_DIR]
#   with --ko: the generated module drives the disk (the stock ata_piix is not loaded);
#   without: the stock ata_piix does. WORK_DIR defaults to a new mktemp directory.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
rig_args=()
if [[ ${1:-} == --ko ]]; then
	rig_args=(--ko "$2" --no-ata-piix)
	shift 2
fi
work=${1:-$(mktemp -d "${TMPDIR:-/tmp}/pvgen-guest-ide.XXXXXX")}
mkdir -p "$work"

SECTOR=2048 # must match ide-pattern.sh
BYTES=65536

# Start from a fresh zero disk: a pattern left by an earlier run must not pass.
rm -f "$work/disk.img"

"$here/boot-guest.sh" --work "$work" --script "$here/ide-pattern.sh" "${rig_args[@]}"

guest_md5=$(grep -aoE 'PVGEN: pattern-md5=[0-9a-f]{32}' "$work/console.log" |
	tail -n 1 | cut -d= -f2) || true
[[ -n $guest_md5 ]] || {
	echo "[host] FAIL: guest printed no pattern-md5" >&2
	exit 1
}

# The same bytes the guest generated, built independently here.
host_md5=$(printf 'pvgen%010d\n' {0..4095} | md5sum | cut -d' ' -f1)
disk_md5=$(dd if="$work/disk.img" bs=512 skip="$SECTOR" count=$((BYTES / 512)) status=none |
	md5sum | cut -d' ' -f1)

echo "[host] guest pattern md5:         $guest_md5"
echo "[host] host-built pattern md5:    $host_md5"
echo "[host] disk.img @ sector $SECTOR md5: $disk_md5"
if [[ $disk_md5 == "$guest_md5" && $guest_md5 == "$host_md5" ]]; then
	echo "[host] PASS: pattern written in the guest is in disk.img at offset $((SECTOR * 512))"
else
	echo "[host] FAIL: md5 mismatch" >&2
	exit 1
fi
