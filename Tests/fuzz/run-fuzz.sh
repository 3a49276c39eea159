#!/usr/bin/env bash
# run-fuzz.sh - build a libFuzzer target of the host stub against a generated tree and run
# it for a bounded time.
#
#   Tests/fuzz/run-fuzz.sh SECONDS [KMOD_DIR] [TARGET]
#
# TARGET is host (default: fuzz_pvgen_host.c, every batch entry point against a reference
# model, and the ring operations on an unattached ring) or ring (fuzz_pvgen_ring.c: the
# exitless ring's operations, polls and posts in any order on two hostile rings).
#
# KMOD_DIR is a tree `pvgen generate` wrote (default: the checked-in kmod/); its include/ and
# host/lib/ are compiled as they are, with clang -fsanitize=fuzzer,address,undefined. The seed
# corpus comes from make_corpus.c (host: one file per valid batch, refusal and ring operation;
# ring: one script per ring scenario, detach and re-attach among them). Prints the
# executions run and the findings, and exits non-zero on a finding (a crash, a sanitizer
# report, a broken invariant, a timeout or running out of memory) or a build failure.
#
# Environment:
#   PVGEN_FUZZ_OUT  build and work folder (default: a new temporary folder, removed when the
#                   run finds nothing). Give a fixed one to keep the grown corpus between runs.
#   CLANG           the compiler (default: the first of Swift's clang, clang, clang-16..14 that
#                   links a libFuzzer target; when none does, clang and libclang-rt-14-dev
#                   are installed with apt, once).
#   FUZZ_ARGS       extra libFuzzer flags.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
seconds=${1:?usage: run-fuzz.sh SECONDS [KMOD_DIR] [TARGET]}
kmod=$(cd "${2:-$root/kmod}" && pwd)
target=${3:-host}
[[ $target == host || $target == ring ]] || { echo "run-fuzz: TARGET is host or ring" >&2; exit 2; }
[[ $seconds =~ ^[0-9]+$ ]] || { echo "run-fuzz: SECONDS must be a number" >&2; exit 2; }
for file in include/pvgen_abi.h host/lib/pvgen_host.h host/lib/pvgen_host.c; do
	[[ -f $kmod/$file ]] || { echo "run-fuzz: $kmod has no $file: not a generated tree" >&2; exit 2; }
done

if [[ -n ${PVGEN_FUZZ_OUT:-} ]]; then
	out=$PVGEN_FUZZ_OUT
	keep=1
else
	out=$(mktemp -d "${TMPDIR:-/tmp}/pvgen-fuzz.XXXXXX")
	keep=0
fi
mkdir -p "$out/corpus" "$out/seeds" "$out/artifacts"

# Swift's clang links with gold, which warns about every ASan symbol: use bfd when present.
ld_flags=()
[[ -x /usr/bin/ld.bfd ]] && ld_flags=(-fuse-ld=bfd)

links_fuzzer() {
	local cc=$1
	command -v "$cc" >/dev/null 2>&1 || return 1
	printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' \
		>"$out/probe.c"
	"$cc" -fsanitize=fuzzer,address,undefined "${ld_flags[@]}" -o "$out/probe" "$out/probe.c" \
		>/dev/null 2>&1
}

find_clang() {
	local cc
	for cc in ${CLANG:-} /opt/swift/usr/bin/clang clang clang-16 clang-15 clang-14; do
		if links_fuzzer "$cc"; then
			command -v "$cc"
			return 0
		fi
	done
	return 1
}

if ! clang=$(find_clang); then
	# Debian's clang keeps libclang_rt.fuzzer in libclang-rt-14-dev.
	"$root/scripts/install-deps.sh" clang libclang-rt-14-dev
	clang=$(find_clang) || { echo "run-fuzz: no clang that links -fsanitize=fuzzer" >&2; exit 2; }
fi

cflags=(-std=c11 -O1 -g -Wall -Wextra -Werror -fno-omit-frame-pointer
	-I"$kmod/include" -I"$kmod/host/lib")
echo "[fuzz] building fuzz_pvgen_$target against $kmod with $clang"
fuzzer=$out/fuzz_pvgen_$target
"$clang" "${cflags[@]}" -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	"${ld_flags[@]}" -o "$fuzzer" "$here/fuzz_pvgen_$target.c" "$kmod/host/lib/pvgen_host.c"
"$clang" "${cflags[@]}" -o "$out/make_corpus" "$here/make_corpus.c"
"$out/make_corpus" "$out/seeds" "$target"
max_len=4096
if [[ $target == ring ]]; then
	max_len=$((1 + 32 + 8192)) # flags, the script, a ring's pages
fi

# New inputs go to the first folder (the work corpus), never into the seeds. One process:
# the machine is shared.
echo "[fuzz] running for ${seconds}s"
log=$out/fuzz.log
set +e
# shellcheck disable=SC2086
ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	"$fuzzer" "$out/corpus" "$out/seeds" \
	-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len="$max_len" \
	-print_final_stats=1 -artifact_prefix="$out/artifacts/" ${FUZZ_ARGS:-} >"$log" 2>&1
status=$?
set -e

executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
time_s=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -n 1)
corpus=$(find "$out/corpus" -type f | wc -l)
findings=$(find "$out/artifacts" -type f | wc -l)
if ((status != 0 && findings == 0)); then
	findings=1 # the fuzzer died without leaving an artifact: still a finding
fi
grep -E '^(INVARIANT|==[0-9]+==ERROR|SUMMARY)' "$log" | head -n 20 || true
echo "fuzz: ${executions:-0} executions in ${time_s:-$seconds} s, $corpus new corpus inputs, $findings findings"

if ((findings)); then
	echo "run-fuzz: FINDING: log $log, inputs in $out/artifacts/ (reproduce: $fuzzer FILE)" >&2
	tail -n 40 "$log" >&2
	exit 1
fi
((keep)) || rm -rf "$out"
exit 0
