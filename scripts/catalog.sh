#!/usr/bin/env bash
# catalog.sh - the main job: install what is needed, generate the built-in catalog, build
# every guest module with kbuild (W=1, sparse, warnings fail) and report its modinfo.
#
# usage: scripts/catalog.sh [OUT]   (default: out/kmod, a scratch copy; kmod/ stays clean)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${1:-$root/out/kmod}
cd "$root"

scripts/install-deps.sh
echo "[pvgen] building pvgen"
swift build --product pvgen
pvgen=$(swift build --show-bin-path)/pvgen

"$pvgen" generate --out "$out"
"$pvgen" diff kmod >/dev/null || echo "[pvgen] note: kmod/ differs from what this pvgen generates (see: $pvgen diff kmod)"
"$pvgen" build "$out" --sparse --werror
