#!/usr/bin/env bash
# fuzz.sh - the long fuzz run of the host stub: Tests/fuzz/run-fuzz.sh against the checked-in
# kmod/ (which the golden test keeps equal to what pvgen generates) for SECONDS (default 600),
# on TARGET: host (the batch entry points, default) or ring (the exitless ring's).
# The grown corpus stays in .build-fuzz/ (.build-fuzz-ring/) and seeds the next run. Exits
# non-zero on a finding.
#
#   scripts/fuzz.sh [SECONDS] [TARGET]
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seconds=${1:-600}
target=${2:-host}
suffix=
[[ $target == host ]] || suffix=-$target
export PVGEN_FUZZ_OUT=${PVGEN_FUZZ_OUT:-$root/.build-fuzz$suffix}
# Artifacts of an earlier run would count as findings of this one.
rm -rf "$PVGEN_FUZZ_OUT/artifacts"
exec "$root/Tests/fuzz/run-fuzz.sh" "$seconds" "$root/kmod" "$target"
