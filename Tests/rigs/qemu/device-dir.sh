#!/usr/bin/env bash
# device-dir.sh - assemble the QEMU device directory build-qemu.sh takes from a tree
# pvgen generated: the doorbell device and its build fragments (host/qemu), the host stub
# library it calls (host/lib) and the shared ABI header (include), as symlinks.
#
# usage: device-dir.sh GENERATED_TREE OUT_DIR
set -euo pipefail

(($# == 2)) || {
	echo "usage: device-dir.sh GENERATED_TREE OUT_DIR" >&2
	exit 2
}
tree=$(cd "$1" && pwd)
out=$2
rm -rf "$out"
mkdir -p "$out"
# The TCG patch in host/qemu is not part of the device: build-qemu.sh takes it with --patch.
for file in "$tree"/host/qemu/*.[ch] "$tree"/host/qemu/*.fragment "$tree"/host/lib/*.[ch] "$tree"/include/*.h; do
	[[ -f $file ]] || {
		echo "device-dir.sh: $tree is not a generated tree with host/qemu" >&2
		exit 1
	}
	ln -s "$file" "$out/$(basename "$file")"
done
