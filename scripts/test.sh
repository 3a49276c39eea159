#!/usr/bin/env bash
# test.sh - install what the tests need, then run every test: Swift unit and golden tests,
# kbuild (W=1, sparse), the host stub C tests, the KVM patch build and the real-guest
# boot under QEMU TCG.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

scripts/install-deps.sh
swift build --build-tests
swift test --skip-build
