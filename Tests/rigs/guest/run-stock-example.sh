#!/usr/bin/env bash
# run-stock-example.sh - boot the guest with stock ata_piix, write a pattern from inside
# the guest (stock-ata-piix-pattern.sh), then check on the host that the pattern is in
# disk.img at sector 2048 with the md5 the guest printed.
#
# usage: run-stock-example.sh [WORK_DIR]    (default: a new mktemp directory)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=${1:-$(mktemp -d "${TMPDIR:-/tmp}/pvgen-guest-stock.XXXXXX")}
mkdir -p "$work"

SECTOR=2048 # must match stock-ata-piix-pattern.sh
BYTES=65536

# Start from a fresh zero disk: a pattern left by an earlier run must not pass.
rm -f "$work/disk.img"

"$here/boot-guest.sh" --work "$work" --script "$here/stock-ata-piix-pattern.sh"

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
