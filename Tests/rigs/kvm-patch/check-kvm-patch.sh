#!/usr/bin/env bash
#
# check-kvm-patch.sh - apply generated arch/x86/kvm patches to the Debian
# linux-source-6.1 tree and compile KVM (kvm.ko, kvm-intel.ko, kvm-amd.ko).
#
# usage: check-kvm-patch.sh PATCH... [options]
#
#   The patches are applied in the order given, each to the tree the ones
#   before it left, and built together.
#
#   --cache DIR        kernel cache (default: <repo>/.build-kernel; keep it out
#                      of git).  Holds the extracted, prepared tree, reused.
#   --jobs N           make -j (default: nproc)
#   --fuzz N           patch fuzz allowed (default 0: context must match)
#   --exact            every hunk must apply at the line its header names (no
#                      offset, no fuzz): the hunk headers are right
#   --expect-imm HEX   the compiled kvm_emulate_hypercall must compare nr
#                      against this value (repeatable).  Values of
#                      "#define KVM_HC_<name> 0x..." lines the patch adds
#                      are expected automatically.
#   --expect-cmp FUNC=HEX  the compiled function FUNC (in any object of
#                      arch/x86/kvm) must compare against HEX (repeatable),
#                      e.g. kvm_vm_ioctl_enable_cap=0x70760254 for a new
#                      capability number
#   --out DIR          copy the built kvm*.ko and build.log there
#   --no-checkpatch    skip scripts/checkpatch.pl --strict
#   --allow-warnings   do not fail on compiler/modpost warnings that the
#                      pristine tree does not have
#
# environment:
#   KVM_PATCH_TARBALL  source tarball (default /usr/src/linux-source-6.1.tar.xz)
#   KVM_PATCH_CONFIG   kernel config (default: newest /boot/config-6.1.*-amd64)
#   KVM_PATCH_SYMVERS  Module.symvers for modpost (default: the one of the
#                      linux-headers package matching the config, if present)
#
# First run: install missing build dependencies (apt-get), extract the
# tarball, copy Debian's config, empty the trusted/revocation key lists,
# olddefconfig, modules_prepare, Debian's Module.symvers (so modpost resolves
# the core kernel's exports and warns only about real problems), and one
# pristine KVM build as the baseline for warnings and code (stamp files
# make all of this happen once).
# Every run: checkpatch; per patch, patch --dry-run + git apply --check, back
# up the files it touches, apply; then make M=arch/x86/kvm modules, verify,
# restore the backed-up files and clean arch/x86/kvm (also after a failure
# or an interrupt; a run that was killed is rolled back by the next run).
#
# Exit status: 0 pass, 2 usage, 3 dependencies, 4 cache/prepare,
# 5 checkpatch, 6 patch does not apply, 7 build, 8 verification.

set -euo pipefail

prog=check-kvm-patch
script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$script_dir/../../.." && pwd)

log() { printf '[%s] %s\n' "$prog" "$*" >&2; }
die() {
	local rc=$1
	shift
	printf '[%s] FAIL: %s\n' "$prog" "$*" >&2
	exit "$rc"
}
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }
usage() {
	sed -n '3,/^$/p' "${BASH_SOURCE[0]}" | sed -E 's/^# ?//; s/^#$//' >&2
	exit 2
}

# ---------------------------------------------------------------- arguments
patch_files=()
cache=$repo_root/.build-kernel
jobs=$(nproc)
fuzz=0
exact=0
out_dir=
run_checkpatch=1
allow_warnings=0
expect_imms=()
expect_cmps=()

while (($#)); do
	case $1 in
	--cache) [[ $# -ge 2 ]] || usage; cache=$2; shift 2 ;;
	--cache=*) cache=${1#*=}; shift ;;
	--jobs) [[ $# -ge 2 ]] || usage; jobs=$2; shift 2 ;;
	--fuzz) [[ $# -ge 2 ]] || usage; fuzz=$2; shift 2 ;;
	--exact) exact=1; shift ;;
	--expect-imm) [[ $# -ge 2 ]] || usage; expect_imms+=("$2"); shift 2 ;;
	--expect-cmp) [[ $# -ge 2 && $2 == ?*=?* ]] || usage; expect_cmps+=("$2"); shift 2 ;;
	--out) [[ $# -ge 2 ]] || usage; out_dir=$2; shift 2 ;;
	--no-checkpatch) run_checkpatch=0; shift ;;
	--allow-warnings) allow_warnings=1; shift ;;
	-h | --help) usage ;;
	-*) log "unknown option: $1"; usage ;;
	*)
		patch_files+=("$1")
		shift
		;;
	esac
done
((${#patch_files[@]})) || usage
for i in "${!patch_files[@]}"; do
	f=${patch_files[i]}
	[[ -f $f && -r $f ]] || die 2 "patch not readable: $f"
	patch_files[i]=$(cd "$(dirname "$f")" && pwd)/$(basename "$f")
done
[[ $jobs =~ ^[1-9][0-9]*$ ]] || die 2 "--jobs wants a positive number, got '$jobs'"
[[ $fuzz =~ ^[0-9]+$ ]] || die 2 "--fuzz wants a number, got '$fuzz'"

tarball=${KVM_PATCH_TARBALL:-/usr/src/linux-source-6.1.tar.xz}
config=${KVM_PATCH_CONFIG:-}
if [[ -z $config ]]; then
	# 6.1.* and not 6.1*: the latter would also take a 6.12 config.
	config=$(find /boot -maxdepth 1 -name 'config-6.1.*-amd64' 2>/dev/null |
		sort -V | tail -n 1)
fi
symvers=${KVM_PATCH_SYMVERS:-/usr/src/linux-headers-${config##*/config-}/Module.symvers}

t_total=$(now)

# ------------------------------------------------------------- dependencies
ensure_deps() {
	local -a pkgs=()
	local cmd pkg
	# command:package
	for pair in make:make gcc:gcc bc:bc flex:flex bison:bison perl:perl \
		xz:xz-utils patch:patch pahole:dwarves objdump:binutils \
		flock:util-linux sha256sum:coreutils; do
		cmd=${pair%%:*}
		pkg=${pair#*:}
		command -v "$cmd" >/dev/null 2>&1 || pkgs+=("$pkg")
	done
	[[ -e /usr/include/libelf.h ]] || pkgs+=(libelf-dev)
	[[ -e /usr/include/openssl/opensslv.h ]] || pkgs+=(libssl-dev)
	if [[ -z ${KVM_PATCH_TARBALL:-} && ! -e $tarball ]]; then
		pkgs+=(linux-source-6.1)
	fi
	((${#pkgs[@]})) || return 0

	log "installing missing build dependencies: ${pkgs[*]}"
	[[ $(id -u) -eq 0 ]] ||
		die 3 "missing packages (${pkgs[*]}) and not root; install them first"
	local t
	t=$(now)
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get install -y -q --no-install-recommends "${pkgs[@]}" >&2; then
		log "apt-get install failed; running apt-get update and retrying"
		apt-get update -q >&2 || die 3 "apt-get update failed"
		apt-get install -y -q --no-install-recommends "${pkgs[@]}" >&2 ||
			die 3 "apt-get install ${pkgs[*]} failed"
	fi
	log "dependencies installed ($(since "$t"))"
}
ensure_deps
[[ -f $tarball ]] || die 3 "kernel source tarball not found: $tarball"
[[ -n $config && -f $config ]] ||
	die 3 "no kernel config (install linux-image-amd64 or set KVM_PATCH_CONFIG)"

# -------------------------------------------------------------------- cache
mkdir -p "$cache" || die 4 "cannot create cache dir $cache"
cache=$(cd "$cache" && pwd)
tree=$cache/linux-source-6.1
run_dir=$cache/run
manifest=$cache/pristine.sha256
baseline=$cache/baseline
kvm_dir=arch/x86/kvm
# Never let git (git apply --check) find a repository above the tree,
# e.g. the pvgen checkout that holds the default cache.
export GIT_CEILING_DIRECTORIES=$cache

exec 9>"$cache/.lock"
if ! flock -n 9; then
	log "waiting for another run to release $cache/.lock"
	flock 9
fi

kmake() { make -C "$tree" -s "$@"; }

# Put the tree back into its pristine state after a run (or a killed run).
restore_tree() {
	[[ -d $run_dir ]] || return 0
	local f
	if [[ -f $run_dir/created ]]; then
		while IFS= read -r f; do
			rm -f -- "$tree/$f"
		done <"$run_dir/created"
	fi
	if [[ -d $run_dir/backup ]]; then
		(cd "$run_dir/backup" && find . -type f -print0 |
			xargs -0 -r cp -p --parents -t "$tree") ||
			die 4 "cannot restore files from $run_dir/backup"
	fi
	if [[ -f $run_dir/files ]]; then
		while IFS= read -r f; do
			rm -f -- "$tree/$f.orig" "$tree/$f.rej"
		done <"$run_dir/files"
	fi
	kmake M="$kvm_dir" clean >/dev/null 2>&1 || true
	# Keep the last run's log, warnings and disassembly for inspection.
	rm -rf -- "$cache/last-run"
	mkdir -p "$cache/last-run"
	find "$run_dir" -maxdepth 1 -type f -exec cp -t "$cache/last-run" {} +
	rm -rf -- "$run_dir"
}

verify_pristine() {
	[[ -f $manifest ]] || return 1
	(cd "$tree" && sha256sum --quiet --strict -c "$manifest" >/dev/null 2>&1)
}

tarball_id() { stat -c '%n %s %Y' "$tarball"; }
file_id() {
	if [[ -f $1 ]]; then
		printf '%s %s\n' "$1" "$(sha256sum <"$1" | cut -d' ' -f1)"
	else
		printf '%s none\n' "$1"
	fi
}
config_id() { file_id "$config"; file_id "$symvers"; }
manifest_dirs=(arch/x86/kvm arch/x86/include include virt/kvm Documentation/virt/kvm)

extract_tree() {
	local t
	t=$(now)
	log "extracting $tarball into $cache (once; takes a while)"
	rm -rf -- "$tree" "$cache/extract.tmp" "$run_dir" "$cache"/stamp-*
	mkdir -p "$cache/extract.tmp"
	tar -xJf "$tarball" -C "$cache/extract.tmp" ||
		die 4 "cannot extract $tarball"
	[[ -f $cache/extract.tmp/linux-source-6.1/Makefile ]] ||
		die 4 "$tarball does not contain linux-source-6.1/Makefile"
	mv "$cache/extract.tmp/linux-source-6.1" "$tree"
	rmdir "$cache/extract.tmp"
	(cd "$tree" && find "${manifest_dirs[@]}" -type f -print0 | sort -z |
		xargs -0 sha256sum) >"$manifest"
	tarball_id >"$cache/stamp-extracted"
	log "extracted ($(since "$t"))"
}

prepare_tree() {
	local t t1
	t=$(now)
	rm -f -- "$cache/stamp-prepared"
	rm -rf -- "$baseline"
	log "preparing tree with $config (olddefconfig + modules_prepare, once)"
	cp "$config" "$tree/.config"
	"$tree/scripts/config" --file "$tree/.config" \
		--set-str SYSTEM_TRUSTED_KEYS "" \
		--set-str SYSTEM_REVOCATION_KEYS "" ||
		die 4 "scripts/config failed"
	kmake olddefconfig >&2 || die 4 "make olddefconfig failed"
	t1=$(now)
	kmake -j"$jobs" modules_prepare >&2 || die 4 "make modules_prepare failed"
	log "modules_prepare done ($(since "$t1"))"
	rm -f -- "$tree/Module.symvers"
	if [[ -f $symvers ]]; then
		cp "$symvers" "$tree/Module.symvers"
		log "using $symvers"
	else
		log "note: no $symvers; modpost will report unresolved symbols"
	fi

	# Pristine KVM build: warning and code baseline for later runs.
	t1=$(now)
	log "building pristine $kvm_dir as baseline"
	mkdir -p "$baseline"
	kmake M="$kvm_dir" clean >/dev/null 2>&1 || true
	if ! kmake M="$kvm_dir" -j"$jobs" modules >"$baseline/build.log" 2>&1; then
		cat "$baseline/build.log" >&2
		die 4 "pristine $kvm_dir does not build; see output above"
	fi
	normalize_warnings <"$baseline/build.log" >"$baseline/warnings"
	disasm_hypercall >"$baseline/kvm_emulate_hypercall.s"
	kmake M="$kvm_dir" clean >/dev/null 2>&1 || true
	log "pristine build done ($(since "$t1")), $(wc -l <"$baseline/warnings") warning(s)"
	config_id >"$cache/stamp-prepared"
	log "tree prepared ($(since "$t"))"
}

# "file:line:col: warning: text" -> "file: warning: text" (lines move).
normalize_warnings() {
	grep -E '(: warning: |^WARNING: )' |
		sed -E 's#^(.*/)?([^/:]+):[0-9]+(:[0-9]+)?: #\2: #' | sort -u || true
}

# disasm_function FUNC [OBJECT]: FUNC's instructions, addresses folded.
disasm_function() {
	local func=$1 obj=${2:-$tree/$kvm_dir/x86.o}
	objdump -d --no-show-raw-insn --disassemble="$func" "$obj" |
		sed -n "/<$func>:/,\$p" |
		sed -E 's/^ *[0-9a-f]+:\s*//; s/ *#.*$//; s/[0-9a-f]+ <[^>]*>/<addr>/'
}
disasm_hypercall() { disasm_function kvm_emulate_hypercall; }
# The object of arch/x86/kvm that defines FUNC, or nothing.
object_of() {
	local o
	for o in "$tree/$kvm_dir"/*.o "$tree/$kvm_dir"/*/*.o; do
		[[ -f $o ]] || continue
		# grep without -q: with pipefail, nm killed by SIGPIPE would fail the test
		if nm --defined-only "$o" 2>/dev/null | grep -E "^[0-9a-f]+ [Tt] $1\$" >/dev/null; then
			printf '%s\n' "$o"
			return 0
		fi
	done
	return 0
}

if [[ -d $run_dir ]]; then
	log "rolling back an earlier run that did not finish"
fi
restore_tree
if [[ ! -f $cache/stamp-extracted || $(<"$cache/stamp-extracted") != "$(tarball_id)" ]]; then
	extract_tree
fi
if ! verify_pristine; then
	log "cached tree differs from the tarball; extracting it again"
	extract_tree
fi
if [[ ! -f $cache/stamp-prepared || $(<"$cache/stamp-prepared") != "$(config_id)" ||
	! -f $baseline/warnings ]]; then
	prepare_tree
fi

# --------------------------------------------------------------- checkpatch
if ((run_checkpatch)); then
	for patch_file in "${patch_files[@]}"; do
		log "scripts/checkpatch.pl --strict $(basename "$patch_file")"
		if ! (cd "$tree" && perl scripts/checkpatch.pl --strict \
			--show-types "$patch_file") >&2; then
			die 5 "checkpatch --strict reports problems in $(basename "$patch_file") (see above)"
		fi
	done
fi

# -------------------------------------------------------------------- apply
mkdir -p "$run_dir/backup"
: >"$run_dir/created"
: >"$run_dir/files"
trap 'rc=$?; restore_tree; exit $rc' EXIT
trap 'log "FAIL: interrupted; restoring the tree"; exit 130' INT TERM
kmake M="$kvm_dir" clean >/dev/null 2>&1 || true

# Each patch is checked against the tree the patches before it left, its
# files are backed up (once) and it is applied.
apply_patch() {
	local patch_file=$1 dry f
	local -a files patch_opts=(-p1 --forward --fuzz="$fuzz" --no-backup-if-mismatch
		--reject-file=- -d "$tree" -i "$patch_file")
	log "patch --dry-run $(basename "$patch_file")"
	if ! dry=$(patch --dry-run "${patch_opts[@]}" 2>&1); then
		printf '%s\n' "$dry" >&2
		die 6 "$(basename "$patch_file") does not apply to linux-source-6.1 (fuzz $fuzz); see above"
	fi
	printf '%s\n' "$dry" >&2
	if ((exact)) && grep -qE 'Hunk #[0-9]+ succeeded at .*(offset|fuzz)' <<<"$dry"; then
		die 6 "$(basename "$patch_file"): a hunk applies elsewhere than its header says (--exact); see above"
	fi
	mapfile -t files < <(printf '%s\n' "$dry" | sed -n 's/^checking file //p')
	((${#files[@]})) || die 6 "$(basename "$patch_file") touches no files"
	for f in "${files[@]}"; do
		case $f in
		/* | ../* | */../* | *'/..') die 6 "patch path escapes the tree: $f" ;;
		esac
	done
	if command -v git >/dev/null 2>&1; then
		log "git apply --check"
		(cd "$tree" && git apply --check -p1 "$patch_file") >&2 ||
			die 6 "git apply --check rejects $(basename "$patch_file")"
	fi
	for f in "${files[@]}"; do
		grep -qxF -- "$f" "$run_dir/files" && continue
		printf '%s\n' "$f" >>"$run_dir/files"
		if [[ -e $tree/$f ]]; then
			(cd "$tree" && cp -p --parents -- "$f" "$run_dir/backup/")
		else
			printf '%s\n' "$f" >>"$run_dir/created"
		fi
	done
	patch "${patch_opts[@]}" >/dev/null || die 6 "$(basename "$patch_file") failed after a clean dry run"
}
for patch_file in "${patch_files[@]}"; do
	apply_patch "$patch_file"
done

# -------------------------------------------------------------------- build
build_log=$run_dir/build.log
t=$(now)
log "make M=$kvm_dir modules -j$jobs"
if ! make -C "$tree" M="$kvm_dir" -j"$jobs" modules 2>&1 | tee "$build_log" >&2; then
	die 7 "build of $kvm_dir failed with the patch; see output above"
fi
log "build done ($(since "$t"))"

# ------------------------------------------------------------------- verify
for ko in kvm.ko kvm-intel.ko kvm-amd.ko; do
	[[ -s $tree/$kvm_dir/$ko ]] || die 8 "$kvm_dir/$ko was not built"
done

normalize_warnings <"$build_log" >"$run_dir/warnings"
new_warnings=$(comm -13 "$baseline/warnings" "$run_dir/warnings")
if [[ -n $new_warnings ]]; then
	log "new warnings compared with the pristine build:"
	printf '  %s\n' "$new_warnings" >&2
	((allow_warnings)) || die 8 "the patch adds warnings (use --allow-warnings to accept)"
fi

disasm_hypercall >"$run_dir/kvm_emulate_hypercall.s"
[[ -s $run_dir/kvm_emulate_hypercall.s ]] ||
	die 8 "kvm_emulate_hypercall not found in $kvm_dir/x86.o"
if cmp -s "$baseline/kvm_emulate_hypercall.s" "$run_dir/kvm_emulate_hypercall.s"; then
	log "note: kvm_emulate_hypercall compiled to the same code as the pristine tree"
else
	log "kvm_emulate_hypercall differs from the pristine build"
fi

# Hypercall numbers the patch defines must be compiled into the function.
# gcc turns "case A: case A+1:" into "lea -A(%reg),%r; cmp $1,%r; jbe", so
# collect the values (and value ranges) the function compares against.
compared_values() {
	local line base=0 left=0 k
	# shellcheck disable=SC2016 # literal $ of AT&T immediates
	local re_base='^(lea[[:space:]]+-0x([0-9a-f]+)\(%[a-z0-9]+\)|sub[lq]?[[:space:]]+\$0x([0-9a-f]+)),%[a-z0-9]+$' \
		re_cmp='^cmp[lq]?[[:space:]]+\$0x([0-9a-f]+),%[a-z0-9]+$' \
		re_imm='\$0x([0-9a-f]+)'
	while IFS= read -r line; do
		if [[ $line =~ $re_cmp ]]; then
			k=$((16#${BASH_REMATCH[1]}))
			if ((left > 0)); then
				echo "$base $((base + k))"
			fi
			echo "$k $k"
			left=0
		elif [[ $line =~ $re_base ]]; then
			base=$((16#${BASH_REMATCH[2]}${BASH_REMATCH[3]}))
			echo "$base $base"
			left=3
		else
			if [[ $line =~ $re_imm ]]; then
				k=$((16#${BASH_REMATCH[1]}))
				echo "$k $k"
			fi
			if ((left > 0)); then
				left=$((left - 1))
			fi
		fi
	done
	return 0
}

while IFS= read -r imm; do
	expect_imms+=("$imm")
done < <(sed -nE 's/^\+#define[ \t]+KVM_HC_[A-Za-z0-9_]+[ \t]+(0[xX][0-9a-fA-F]+)[ \t]*$/\1/p' \
	"${patch_files[@]}")
compared_values <"$run_dir/kvm_emulate_hypercall.s" | sort -u >"$run_dir/compared"
for imm in ${expect_imms[@]+"${expect_imms[@]}"}; do
	[[ $imm =~ ^(0[xX])?[0-9a-fA-F]{1,15}$ ]] || die 2 "--expect-imm wants hex, got '$imm'"
	v=$((16#${imm#0[xX]}))
	found=0
	while read -r lo hi; do
		((lo <= v && v <= hi)) && { found=1; break; }
	done <"$run_dir/compared"
	((found)) ||
		die 8 "kvm_emulate_hypercall does not compare against $(printf 0x%x "$v")"
	log "kvm_emulate_hypercall handles $(printf 0x%x "$v")"
done

# --expect-cmp: a function other than kvm_emulate_hypercall compares against
# a value (a capability number in a switch, say).
for pair in ${expect_cmps[@]+"${expect_cmps[@]}"}; do
	func=${pair%%=*}
	imm=${pair#*=}
	[[ $func =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die 2 "--expect-cmp wants FUNC=HEX, got '$pair'"
	[[ $imm =~ ^(0[xX])?[0-9a-fA-F]{1,15}$ ]] || die 2 "--expect-cmp wants hex, got '$imm'"
	obj=$(object_of "$func")
	[[ -n $obj ]] || die 8 "no object of $kvm_dir defines $func"
	v=$((16#${imm#0[xX]}))
	found=0
	while read -r lo hi; do
		((lo <= v && v <= hi)) && { found=1; break; }
	done < <(disasm_function "$func" "$obj" | compared_values | sort -u)
	((found)) || die 8 "$func does not compare against $(printf 0x%x "$v")"
	log "$func (${obj##*/}) handles $(printf 0x%x "$v")"
done

if [[ -n $out_dir ]]; then
	mkdir -p "$out_dir"
	cp "$tree/$kvm_dir"/kvm.ko "$tree/$kvm_dir"/kvm-intel.ko \
		"$tree/$kvm_dir"/kvm-amd.ko "$build_log" "$out_dir/"
	log "copied modules and build.log to $out_dir"
fi

log "restoring pristine tree"
trap - EXIT INT TERM
restore_tree
verify_pristine || die 4 "tree not pristine after restore; delete $cache and rerun"
log "total $(since "$t_total")"
printf 'PASS: %s apply to linux-source-6.1 and %s builds (kvm.ko kvm-intel.ko kvm-amd.ko)\n' \
	"$(printf '%s ' "${patch_files[@]##*/}" | sed 's/ $//')" "$kvm_dir"
