#!/usr/bin/env bash
# fuzz.sh - the long fuzz run of the host stub: Tests/fuzz/run-fuzz.sh against the checked-in
# kmod/ (which the golden test keeps equal to what pvgen generates) for SECONDS (default 600).
# The grown corpus stays in .build-fuzz/ and seeds the next run. Exits non-zero on a finding.
#
#   scripts/fuzz.sh [SECONDS]
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seconds=${1:-600}
export PVGEN_FUZZ_OUT=${PVGEN_FUZZ_OUT:-$root/.build-fuzz}
# Artifacts of an earlier run would count as findings of this one.
rm -rf "$PVGEN_FUZZ_OUT/artifacts"
exec "$root/Tests/fuzz/run-fuzz.sh" "$seconds" "$root/kmod"
