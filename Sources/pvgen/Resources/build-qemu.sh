#!/usr/bin/env bash
#
# build-qemu.sh - build Debian bookworm's QEMU 7.2 (qemu-system-x86_64 only),
# optionally with a pvgen device added to hw/misc, and print the binary's path.
#
# usage: build-qemu.sh [--cache DIR] [--device-dir DIR] [--patch FILE]... [--jobs N]
#
#   --cache DIR        where the source, the build tree and the stamps live
#                      (default: ./.build-qemu, which pvgen's .gitignore covers through
#                      .build-*/).  Reused across runs.
#   --device-dir DIR   a device to compile in (see "Device directory" below).
#                      Without it, a device installed by an earlier run is
#                      taken out again and a stock QEMU is built.
#   --patch FILE       a patch to the QEMU tree (patch -p1), applied after the
#                      device files; repeatable, applied in order.  Patches of
#                      an earlier run that are not asked for again are
#                      reverted first (copies are kept in the tree for that).
#   --jobs N           ninja -j (default: nproc)
#
# Device directory: pvgen_batch.c, meson.build.fragment and Kconfig.fragment
# are required, trace-events.fragment is optional; every other *.c and *.h in
# it (the host stub library, the ABI header) is copied too, symlinks followed.
# The sources go to hw/misc/ of the QEMU tree (a name the pristine tree
# already has is refused); NAME.fragment goes between "# >>> pvgen-device"
# and "# <<< pvgen-device" marker lines at the end of hw/misc/NAME (replaced,
# never appended twice).  Files are only rewritten when their content
# changes, so ninja recompiles what changed and nothing else.
#
# Steps, each skipped when already done: a deb-src entry for the suite's main
# archive (a file in /etc/apt/sources.list.d/, URI taken from the existing
# deb entry), the build dependencies that are missing (apt-get), apt-get
# source qemu, the device files, the patches, configure, ninja.  A stamp holds
# the source version, the configure arguments and SHA-256s of the device
# files and of the patches: when none changed and the binary exists, nothing
# runs at all.  The first build with a device recompiles most of QEMU once
# (its new CONFIG_ symbol changes config-devices.h and the poison list);
# later changes to the device's sources recompile only those.
#
# stdout: the path of qemu-system-x86_64, and nothing else.  stderr: progress.
#
# Firmware: the binary needs Debian's SeaBIOS (bios-256k.bin, in
# /usr/share/seabios) and linuxboot_dma.bin (for -kernel, in /usr/share/qemu).
# It is configured with Debian's --firmwarepath, which a binary run from its
# build tree looks up under build/qemu-bundle/; this script links Debian's
# directories there, so no -L is needed.  By hand: "-L /usr/share/seabios
# -L /usr/share/qemu" (either one alone does not boot -kernel).
#
# Environment: PVGEN_QEMU_SUITE (default: bookworm), the Debian suite whose
# source package is built.
#
# Exit status: 0 built (or up to date), 2 usage, 3 apt/dependencies,
# 4 source, 5 device files, 6 configure, 7 build.

set -euo pipefail

prog=build-qemu
# The default cache is the working directory's .build-qemu: the script lives in pvgen's
# sources and resources (Tests/rigs/qemu/build-qemu.sh is a link to it).
repo_root=$PWD

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
cache=$repo_root/.build-qemu
device_dir=
patches=()
jobs=$(nproc)

while (($#)); do
	case $1 in
	--cache) [[ $# -ge 2 ]] || usage; cache=$2; shift 2 ;;
	--cache=*) cache=${1#*=}; shift ;;
	--device-dir) [[ $# -ge 2 ]] || usage; device_dir=$2; shift 2 ;;
	--device-dir=*) device_dir=${1#*=}; shift ;;
	--patch) [[ $# -ge 2 ]] || usage; patches+=("$2"); shift 2 ;;
	--patch=*) patches+=("${1#*=}"); shift ;;
	--jobs) [[ $# -ge 2 ]] || usage; jobs=$2; shift 2 ;;
	--jobs=*) jobs=${1#*=}; shift ;;
	-h | --help) usage ;;
	*) log "unknown argument: $1"; usage ;;
	esac
done
[[ $jobs =~ ^[1-9][0-9]*$ ]] || die 2 "--jobs wants a positive integer, got: $jobs"
if [[ -n $device_dir ]]; then
	[[ -d $device_dir ]] || die 2 "--device-dir: not a directory: $device_dir"
	device_dir=$(cd "$device_dir" && pwd)
fi
for i in "${!patches[@]}"; do
	[[ -f ${patches[i]} ]] || die 2 "--patch: no such file: ${patches[i]}"
	patches[i]=$(realpath "${patches[i]}")
done
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)

suite=${PVGEN_QEMU_SUITE:-bookworm}
t_start=$(now)

sudo=()
((EUID == 0)) || sudo=(sudo)
apt_env=(env DEBIAN_FRONTEND=noninteractive)

# ----------------------------------------------------------- device payload
# The files a device directory contributes, sorted, and their combined hash.
device_files=()
device_hash=none
# hw/misc files a device may extend with NAME.fragment.
fragment_targets=(meson.build Kconfig trace-events)
if [[ -n $device_dir ]]; then
	for f in pvgen_batch.c meson.build.fragment Kconfig.fragment; do
		[[ -f $device_dir/$f ]] || die 5 "--device-dir: $device_dir/$f is missing"
	done
	while IFS= read -r -d '' f; do
		f=${f##*/}
		case $f in
		*.fragment)
			[[ " ${fragment_targets[*]} " == *" ${f%.fragment} "* ]] ||
				die 5 "--device-dir: $f: only ${fragment_targets[*]/%/.fragment} are known"
			;;
		esac
		device_files+=("$f")
	done < <(find -L "$device_dir" -maxdepth 1 -type f \
		\( -name '*.c' -o -name '*.h' -o -name '*.fragment' \) -print0 | LC_ALL=C sort -z)
	device_hash=$(
		cd "$device_dir"
		for f in "${device_files[@]}"; do
			printf '%s\n' "$f"
			sha256sum <"$f"
		done | sha256sum | cut -c1-64
	)
fi

patch_hash=none
if ((${#patches[@]})); then
	patch_hash=$(cat "${patches[@]}" | sha256sum | cut -c1-64)
	# Order matters, and so does the count (two empty patches are not one).
	patch_hash=$(printf '%s %s\n' "${#patches[@]}" "$patch_hash" | sha256sum | cut -c1-64)
fi

configure_args=(--target-list=x86_64-softmmu --without-default-features
	--enable-slirp --enable-fdt=system
	--firmwarepath=/usr/share/qemu:/usr/share/seabios:/usr/lib/ipxe/qemu)

build_dir=$cache/build
binary=$build_dir/qemu-system-x86_64
stamp=$cache/stamp

# The whole state a finished build depends on.  Only the source version is
# unknown before apt is asked, so the stamp's first line names the tree that
# is there; a rerun with the same tree, arguments and device skips everything.
src_dir=
for d in "$cache"/src/qemu-*/; do
	[[ -f $d.pvgen-extracted ]] && src_dir=${d%/}
done
want_stamp() {
	printf 'source=%s\n' "$(cat "$1/.pvgen-extracted")"
	printf 'configure=%s\n' "${configure_args[*]}"
	printf 'device=%s\n' "$device_hash"
	printf 'patches=%s\n' "$patch_hash"
}
# A binary run from the build tree looks for its --firmwarepath directories
# under build/qemu-bundle/ (QEMU's relocation): point those at Debian's.
firmware_dirs=(/usr/share/qemu /usr/share/seabios /usr/lib/ipxe/qemu)
link_firmware() {
	local d link
	for d in "${firmware_dirs[@]}"; do
		link=$build_dir/qemu-bundle$d
		[[ -e $link || -L $link ]] && continue
		mkdir -p "${link%/*}"
		ln -s "$d" "$link"
	done
}

if [[ -n $src_dir && -x $binary && -f $stamp ]] &&
	[[ $(want_stamp "$src_dir") == "$(cat "$stamp")" ]]; then
	link_firmware
	log "up to date ($(sed -n 's/^source=//p' "$stamp"), device ${device_hash:0:12}, patches ${patch_hash:0:12}), nothing to do"
	printf '%s\n' "$binary"
	exit 0
fi

# ----------------------------------------------------------------- deb-src
have_pkg() {
	[[ $(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true) == installed ]]
}

apt_updated=0
apt_update() {
	log "apt-get update"
	"${sudo[@]}" "${apt_env[@]}" apt-get update -qq >&2 || die 3 "apt-get update failed"
	apt_updated=1
}

# Whether some configured source entry (one-line .list or deb822 .sources)
# is a deb-src for "$suite" with component main.
have_deb_src_entry() {
	local files=()
	[[ -f /etc/apt/sources.list ]] && files+=(/etc/apt/sources.list)
	for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
		[[ -f $f ]] && files+=("$f")
	done
	((${#files[@]})) || return 1
	awk -v suite="$suite" '
		function has(list, word,   n, a, i) {
			n = split(list, a, /[ \t]+/)
			for (i = 1; i <= n; i++) if (a[i] == word) return 1
			return 0
		}
		function stanza_end() {
			if (has(types, "deb-src") && has(suites, suite) && has(comps, "main") &&
			    tolower(enabled) != "no") found = 1
			types = suites = comps = ""; enabled = "yes"
		}
		FNR == 1 { stanza_end() }
		FILENAME ~ /\.list$/ {
			sub(/#.*/, "")
			if ($1 != "deb-src") next
			line = $0
			gsub(/\[[^]]*\]/, "", line)
			n = split(line, w, /[ \t]+/)
			# w[1]=deb-src (or "" if the line starts with blanks)
			k = (w[1] == "") ? 2 : 1
			if (w[k + 2] == suite && has(line, "main")) found = 1
			next
		}
		/^[ \t]*$/ { stanza_end(); next }
		/^#/ { next }
		{
			key = tolower($1); sub(/:$/, "", key)
			val = $0; sub(/^[^:]*:[ \t]*/, "", val)
			if (key == "types") types = val
			else if (key == "suites") suites = val
			else if (key == "components") comps = val
			else if (key == "enabled") enabled = val
		}
		END { stanza_end(); exit found ? 0 : 1 }
	' "${files[@]}"
}

ensure_deb_src() {
	local list=/etc/apt/sources.list.d/pvgen-deb-src.sources uri keyring
	if have_deb_src_entry; then
		log "deb-src for $suite main: present"
		return 0
	fi
	# The site of the existing deb entry for the suite's main component.
	# shellcheck disable=SC2016 # $(REPO_URI) is apt's format syntax, not ours
	uri=$(apt-get indextargets --format '$(REPO_URI)' \
		"Created-By: Packages" "Release: $suite" "Component: main" 2>/dev/null | head -n 1)
	[[ -n $uri ]] || die 3 "no deb entry for $suite main to mirror (is apt configured?)"
	uri=${uri%/}
	keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	log "adding deb-src for $suite main ($uri) in $list"
	{
		echo "# Added by pvgen Tests/rigs/qemu/build-qemu.sh: source packages for"
		echo "# apt-get source qemu, mirroring the deb entry of $suite main."
		echo "Types: deb-src"
		echo "URIs: $uri"
		echo "Suites: $suite"
		echo "Components: main"
		[[ -f $keyring ]] && echo "Signed-By: $keyring"
	} | "${sudo[@]}" tee "$list.tmp" >/dev/null
	"${sudo[@]}" mv "$list.tmp" "$list"
	apt_update
}

# ------------------------------------------------------------ dependencies
# Build: configure (python3), meson/ninja, the libraries the chosen features
# link, flex/bison for the dtc-less fdt path; dpkg-dev unpacks the source.
# Run: Debian's firmware (SeaBIOS, linuxboot_dma.bin, iPXE ROMs).
build_deps=(dpkg-dev xz-utils gcc make pkg-config python3 python3-venv
	meson ninja-build flex bison
	libglib2.0-dev zlib1g-dev libpixman-1-dev libslirp-dev libfdt-dev
	qemu-system-data seabios ipxe-qemu)

ensure_deps() {
	local missing=() p
	for p in "${build_deps[@]}"; do
		have_pkg "$p" || missing+=("$p")
	done
	if ((${#missing[@]} == 0)); then
		log "build dependencies: all ${#build_deps[@]} present"
		return 0
	fi
	((apt_updated)) || apt_update
	log "installing: ${missing[*]} (log: $cache/apt.log)"
	"${sudo[@]}" "${apt_env[@]}" apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >"$cache/apt.log" 2>&1 || {
		tail -n 20 "$cache/apt.log" >&2
		die 3 "apt-get install failed: ${missing[*]}"
	}
}

# ------------------------------------------------------------------ source
ensure_source() {
	local version t0 d
	[[ -n $src_dir ]] && {
		log "source: $src_dir ($(cat "$src_dir/.pvgen-extracted"))"
		return 0
	}
	version=$(apt-cache showsrc qemu 2>/dev/null | sed -n 's/^Version: //p' | sort -V | tail -n 1)
	if [[ -z $version ]] && ((!apt_updated)); then
		apt_update
		version=$(apt-cache showsrc qemu 2>/dev/null | sed -n 's/^Version: //p' | sort -V | tail -n 1)
	fi
	[[ -n $version ]] || die 4 "apt-cache showsrc qemu finds no source package"
	[[ $version == *:7.2* || $version == 7.2* ]] ||
		die 4 "expected QEMU 7.2 source, apt offers $version"
	t0=$(now)
	log "apt-get source qemu=$version into $cache/src"
	rm -rf "$cache/src"
	mkdir -p "$cache/src"
	(cd "$cache/src" && apt-get source -q "qemu=$version" >"$cache/source.log" 2>&1) ||
		die 4 "apt-get source failed, see $cache/source.log"
	for d in "$cache"/src/qemu-*/; do
		[[ -f ${d}configure ]] && src_dir=${d%/}
	done
	[[ -n $src_dir ]] || die 4 "no qemu-*/configure after apt-get source"
	printf '%s\n' "$version" >"$src_dir/.pvgen-extracted"
	log "source: $src_dir ($(since "$t0"))"
}

# ------------------------------------------------------------------ device
begin_marker="# >>> pvgen-device (Tests/rigs/qemu/build-qemu.sh), do not edit"
end_marker="# <<< pvgen-device"

# Put the content of file $2 (or nothing, if $2 is empty) between the marker
# lines at the end of $1; rewrite $1 only when that changes it.
set_block() {
	local target=$1 fragment=$2 tmp
	tmp=$(mktemp)
	awk -v b="$begin_marker" -v e="$end_marker" '
		$0 == b { skip = 1; next }
		skip && $0 == e { skip = 0; next }
		!skip { print }
	' "$target" >"$tmp"
	if [[ -n $fragment ]]; then
		{
			printf '%s\n' "$begin_marker"
			cat "$fragment"
			printf '%s\n' "$end_marker"
		} >>"$tmp"
	fi
	if cmp -s "$tmp" "$target"; then
		rm -f "$tmp"
	else
		cat "$tmp" >"$target"
		rm -f "$tmp"
		log "updated ${target#"$src_dir"/}"
	fi
}

install_device() {
	local misc=$src_dir/hw/misc manifest f
	manifest=$misc/.pvgen-device-files
	# Take out the files of an earlier device that this one does not have.
	if [[ -f $manifest ]]; then
		while IFS= read -r f; do
			[[ -n $f ]] || continue
			if [[ " ${device_files[*]} " != *" $f "* && -f $misc/$f ]]; then
				rm -f "$misc/$f"
				log "removed hw/misc/$f"
			fi
		done <"$manifest"
	fi
	for f in "${device_files[@]}"; do
		[[ $f == *.fragment ]] && continue
		if [[ -e $misc/$f ]] && ! grep -qxF "$f" "$manifest" 2>/dev/null; then
			die 5 "hw/misc/$f exists in the QEMU tree; the device must not replace it"
		fi
	done
	: >"$manifest.new"
	for f in "${device_files[@]}"; do
		[[ $f == *.fragment ]] && continue
		printf '%s\n' "$f" >>"$manifest.new"
		if ! cmp -s "$device_dir/$f" "$misc/$f"; then
			cp "$device_dir/$f" "$misc/$f"
			log "copied hw/misc/$f"
		fi
	done
	mv "$manifest.new" "$manifest"
	# Every known target: a fragment this device lacks clears its block.
	for f in "${fragment_targets[@]}"; do
		if [[ -n $device_dir && -f $device_dir/$f.fragment ]]; then
			set_block "$misc/$f" "$device_dir/$f.fragment"
		else
			set_block "$misc/$f" ""
		fi
	done
}

# ----------------------------------------------------------------- patches
# The patches applied to the tree are kept as $src_dir/.pvgen-patches/NN.patch,
# so that they can be reverted exactly even when the original file changed.
apply_patches() {
	local dir=$src_dir/.pvgen-patches applied=() f i n same
	if [[ -d $dir ]]; then
		while IFS= read -r -d '' f; do
			applied+=("$f")
		done < <(find "$dir" -maxdepth 1 -name '*.patch' -print0 | LC_ALL=C sort -z)
	fi
	same=0
	if ((${#applied[@]} == ${#patches[@]})); then
		same=1
		for i in "${!patches[@]}"; do
			cmp -s "${patches[i]}" "${applied[i]}" || same=0
		done
	fi
	((same)) && return 0
	for ((i = ${#applied[@]} - 1; i >= 0; i--)); do
		log "reverting ${applied[i]##*/}"
		patch -p1 -R -E -s --no-backup-if-mismatch -d "$src_dir" <"${applied[i]}" >&2 ||
			die 5 "cannot revert ${applied[i]}; delete $cache/src to start over"
		rm -f "${applied[i]}"
	done
	mkdir -p "$dir"
	n=0
	for f in "${patches[@]}"; do
		n=$((n + 1))
		patch -p1 --dry-run -s -d "$src_dir" <"$f" >&2 ||
			die 5 "$f does not apply to $(cat "$src_dir/.pvgen-extracted")"
		patch -p1 -s --no-backup-if-mismatch -d "$src_dir" <"$f" >&2 ||
			die 5 "$f failed to apply"
		cp "$f" "$dir/$(printf '%02d' "$n").patch"
		log "applied ${f##*/}"
	done
}

# --------------------------------------------------------- configure, build
configure_qemu() {
	local t0
	if [[ -f $build_dir/build.ninja && -f $cache/configure.args ]] &&
		[[ $(cat "$cache/configure.args") == "${configure_args[*]}" ]]; then
		return 0
	fi
	t0=$(now)
	log "configure ${configure_args[*]}"
	rm -rf "$build_dir"
	mkdir -p "$build_dir"
	(cd "$build_dir" && "$src_dir/configure" "${configure_args[@]}" >"$cache/configure.log" 2>&1) ||
		die 6 "configure failed, see $cache/configure.log"
	printf '%s\n' "${configure_args[*]}" >"$cache/configure.args"
	log "configured ($(since "$t0"))"
}

build_qemu() {
	local t0 rc
	t0=$(now)
	log "ninja -j$jobs qemu-system-x86_64 (log: $cache/build.log)"
	set +e
	ninja -C "$build_dir" -j "$jobs" qemu-system-x86_64 >"$cache/build.log" 2>&1
	rc=$?
	set -e
	if ((rc != 0)); then
		grep -E 'error|FAILED' "$cache/build.log" | head -n 20 >&2 || true
		die 7 "ninja failed (rc=$rc), see $cache/build.log"
	fi
	[[ -x $binary ]] || die 7 "ninja succeeded but $binary is missing"
	log "built ($(since "$t0")): $(grep -c '^\[' "$cache/build.log" || true) ninja steps"
}

ensure_deb_src
ensure_deps
ensure_source
rm -f "$stamp"
install_device
apply_patches
configure_qemu
build_qemu
link_firmware
want_stamp "$src_dir" >"$stamp"
if [[ -n $device_dir ]]; then
	log "device ${device_hash:0:12} from $device_dir: ${device_files[*]}"
fi
((${#patches[@]} == 0)) || log "patches ${patch_hash:0:12}: ${patches[*]##*/}"

log "done in $(since "$t_start")"
printf '%s\n' "$binary"
