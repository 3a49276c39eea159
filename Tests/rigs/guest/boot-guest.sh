#!/usr/bin/env bash
# boot-guest.sh - boot the Debian 6.1 kernel under QEMU TCG with a busybox initramfs and
# a PIIX IDE raw disk, run a test script inside the guest, and report its exit status.
#
# The guest's /init mounts proc/sys/devtmpfs, insmods the stock disk stack (scsi, crc,
# sd_mod, libata and, unless --no-ata-piix, ata_piix), runs the test script with sh,
# prints "PVGEN-RIG: exit=<status>" and powers off. This script passes only if the
# console shows "PVGEN-RIG: exit=0".
#
# With --migrate-at MARKER the run is migrated once, mid-run: see "Migration" in --help.
#
# Exit status: 0 pass, 1 guest failure (script failed, panic, timeout, migration failed),
# 2 usage/setup error.
#
# Environment:
#   PVGEN_GUEST_KVER     kernel version to boot (default: newest /boot/vmlinuz-6.1.*)
#   PVGEN_GUEST_TIMEOUT  hard timeout for each QEMU run in seconds (default 180)
#   PVGEN_GUEST_VERBOSE  1 = stream every console line to stderr, not only PVGEN/oops lines
set -euo pipefail

usage() {
	cat <<'EOF'
usage: boot-guest.sh --work DIR --script GUEST_SCRIPT [--ko FILE.ko ...] [--disk-mb N]
                     [--no-ata-piix] [--qemu BIN] [--append "extra kernel args"]
                     [--trace-events FILE] [--qemu-arg ARG ...] [--host-binary FILE ...]
                     [--migrate-at MARKER [--migrate-qemu BIN] [--migrate-arg ARG ...]]

  --work DIR            work directory; holds initramfs.cpio, disk.img, console.log,
                        qemu.log, trace.log and result (created if missing)
  --script FILE         guest script, run as "sh /test.sh" inside the guest
  --ko FILE.ko          copied to /pvgen/ in the initramfs (not loaded; repeatable)
  --disk-mb N           size of DIR/disk.img when it is created (default 64); an
                        existing disk.img is reused as is
  --no-ata-piix         do not load ata_piix (the test brings its own IDE driver)
  --qemu BIN            QEMU binary (default qemu-system-x86_64)
  --append ARGS         extra kernel command line arguments
  --trace-events FILE   QEMU trace event list; trace written to DIR/trace.log
  --qemu-arg ARG        one extra QEMU argument, passed through verbatim (repeatable)
  --host-binary FILE    a dynamically linked host program (e.g. /usr/bin/udevadm), copied
                        into the initramfs at the same path with the shared libraries
                        ldd names for it (repeatable)
  --migrate-at MARKER   migrate the run once, when a console line first contains MARKER
  --migrate-qemu BIN    the QEMU that restores the state (default: the --qemu one)
  --migrate-arg ARG     one more QEMU argument for the restoring QEMU only (repeatable)

Migration: the first QEMU gets a QMP socket (DIR/qmp.sock). When the guest prints a
line containing MARKER, the rig stops the VM, saves it through QMP's migrate to
"exec:cat > DIR/migration.state", and quits that QEMU. A second QEMU, started with the
same arguments (the same disk.img, kernel and initramfs; --migrate-qemu and --migrate-arg
may change it) and -incoming "exec:cat DIR/migration.state", loads the state, is told to
continue (QMP cont), and runs the rest of the guest's test; its console is appended to
console.log after a line "PVGEN-RIG-HOST: migrated at MARKER ...", its stderr goes to
qemu-incoming.log. The guest does not know: it just keeps running (its clock and timers
are saved with it; the RTC, which follows the host clock, jumps by the downtime). A
guest that never prints MARKER, or a state the second QEMU refuses, fails the run.
Each QEMU gets the full PVGEN_GUEST_TIMEOUT.

Guest output lines containing "PVGEN" (and oops/panic lines) are forwarded to stderr.
EOF
}

log() { printf '[guest] %s\n' "$*" >&2; }
die() {
	printf '[guest] error: %s\n' "$*" >&2
	exit 2
}

# Stock modules for the PIIX IDE disk path, in load order (dependencies first).
# Names are what modinfo accepts; '-' and '_' are interchangeable for the kernel.
STOCK_MODULES=(scsi_common scsi_mod crc64 crc64-rocksoft crc64_rocksoft_generic
	crct10dif_common crct10dif_generic crc-t10dif t10-pi sd_mod libata)

# --- arguments ---------------------------------------------------------------------------

WORK=""
SCRIPT=""
KOS=()
DISK_MB=64
DISK_MB_SET=0
ATA_PIIX=1
QEMU=""
APPEND=""
TRACE_EVENTS=""
QEMU_EXTRA=()
HOST_BINARIES=()
MIGRATE_AT=""
MIGRATE_QEMU=""
MIGRATE_EXTRA=()

need_value() { (($2 >= 2)) || die "$1 needs a value (see --help)"; }

while (($#)); do
	case $1 in
	--work) need_value "$1" $# && WORK=$2 && shift 2 ;;
	--script) need_value "$1" $# && SCRIPT=$2 && shift 2 ;;
	--ko) need_value "$1" $# && KOS+=("$2") && shift 2 ;;
	--disk-mb) need_value "$1" $# && DISK_MB=$2 && DISK_MB_SET=1 && shift 2 ;;
	--no-ata-piix) ATA_PIIX=0 && shift ;;
	--qemu) need_value "$1" $# && QEMU=$2 && shift 2 ;;
	--append) need_value "$1" $# && APPEND=$2 && shift 2 ;;
	--trace-events) need_value "$1" $# && TRACE_EVENTS=$2 && shift 2 ;;
	--qemu-arg) need_value "$1" $# && QEMU_EXTRA+=("$2") && shift 2 ;;
	--host-binary) need_value "$1" $# && HOST_BINARIES+=("$2") && shift 2 ;;
	--migrate-at) need_value "$1" $# && MIGRATE_AT=$2 && shift 2 ;;
	--migrate-qemu) need_value "$1" $# && MIGRATE_QEMU=$2 && shift 2 ;;
	--migrate-arg) need_value "$1" $# && MIGRATE_EXTRA+=("$2") && shift 2 ;;
	-h | --help) usage && exit 0 ;;
	*) usage >&2 && die "unknown argument: $1" ;;
	esac
done

[[ -n $WORK ]] || die "--work DIR is required (see --help)"
[[ -n $SCRIPT ]] || die "--script GUEST_SCRIPT is required (see --help)"
[[ -f $SCRIPT ]] || die "guest script not found: $SCRIPT"
[[ $DISK_MB =~ ^[1-9][0-9]*$ ]] || die "--disk-mb wants a positive integer, got: $DISK_MB"
if [[ -n $TRACE_EVENTS ]]; then
	[[ -f $TRACE_EVENTS ]] || die "trace events file not found: $TRACE_EVENTS"
	TRACE_EVENTS=$(realpath "$TRACE_EVENTS")
fi
for ko in "${KOS[@]}"; do
	[[ -f $ko ]] || die "--ko file not found: $ko"
done
for bin in "${HOST_BINARIES[@]}"; do
	[[ $bin == /* && -x $bin ]] || die "--host-binary wants an absolute path to a program, got: $bin"
done
if [[ -z $MIGRATE_AT ]]; then
	[[ -z $MIGRATE_QEMU && ${#MIGRATE_EXTRA[@]} -eq 0 ]] ||
		die "--migrate-qemu and --migrate-arg need --migrate-at MARKER"
fi
QMP_PY=$(cd "$(dirname "${BASH_SOURCE[0]}")/../qemu" && pwd)/qmp.py
if [[ -n $MIGRATE_AT ]]; then
	[[ -f $QMP_PY ]] || die "--migrate-at needs $QMP_PY"
	command -v python3 >/dev/null || die "--migrate-at needs python3 (QMP)"
fi
TIMEOUT=${PVGEN_GUEST_TIMEOUT:-180}
[[ $TIMEOUT =~ ^[1-9][0-9]*$ ]] || die "PVGEN_GUEST_TIMEOUT wants seconds, got: $TIMEOUT"

# --- host packages -----------------------------------------------------------------------

have_pkg() {
	[[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == "install ok installed" ]]
}

# Install the given Debian packages that are missing (idempotent: nothing runs when all
# are present). A fresh CI container has empty apt lists, hence the update first.
ensure_packages() {
	local missing=() p
	command -v dpkg-query >/dev/null || return 0 # not a Debian host: rely on the checks below
	for p in "$@"; do
		have_pkg "$p" || missing+=("$p")
	done
	((${#missing[@]})) || return 0
	command -v apt-get >/dev/null || die "missing packages and no apt-get: ${missing[*]}"
	local sudo=()
	[[ $(id -u) -eq 0 ]] || sudo=(sudo)
	log "installing missing packages: ${missing[*]}"
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 ||
		die "apt-get update failed"
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 ||
		die "apt-get install failed: ${missing[*]}"
}

# busybox-static, not busybox: the initramfs has no libc. kmod gives modinfo.
# coreutils gives timeout/truncate/realpath.
pkgs=(busybox-static cpio kmod coreutils)
[[ -n $QEMU ]] || pkgs+=(qemu-system-x86)
# 6.1.* and not 6.1*: the latter would also match 6.10 .. 6.19 kernels.
kernels=(/boot/vmlinuz-6.1.*)
[[ -n ${PVGEN_GUEST_KVER:-} || -e ${kernels[0]} ]] || pkgs+=(linux-image-amd64)
ensure_packages "${pkgs[@]}"

QEMU=${QEMU:-qemu-system-x86_64}
command -v "$QEMU" >/dev/null || die "QEMU binary not found: $QEMU"
MIGRATE_QEMU=${MIGRATE_QEMU:-$QEMU}
command -v "$MIGRATE_QEMU" >/dev/null || die "QEMU binary not found: $MIGRATE_QEMU"
BUSYBOX=/bin/busybox # the busybox-static binary
[[ -x $BUSYBOX ]] || die "$BUSYBOX missing (package busybox-static)"

# --- kernel --------------------------------------------------------------------------------

if [[ -n ${PVGEN_GUEST_KVER:-} ]]; then
	KVER=$PVGEN_GUEST_KVER
else
	kernels=(/boot/vmlinuz-6.1.*)
	[[ -e ${kernels[0]} ]] || die "no /boot/vmlinuz-6.1.* installed"
	KVER=$(printf '%s\n' "${kernels[@]#/boot/vmlinuz-}" | sort -V | tail -n 1)
fi
KERNEL=/boot/vmlinuz-$KVER
MODDIR=/lib/modules/$KVER
[[ -r $KERNEL ]] || die "kernel image not readable: $KERNEL"
[[ -f $MODDIR/modules.dep ]] || die "no modules for $KVER: $MODDIR/modules.dep missing"

# Print the host path of module $1 for $KVER, or "(builtin)". modinfo first; modules.dep
# as a fallback (module names treat '-' and '_' alike).
resolve_module() {
	local name=$1 want rel base path
	path=$(modinfo -k "$KVER" -F filename "$name" 2>/dev/null | head -n 1) || true
	if [[ -n $path ]]; then
		printf '%s\n' "$path"
		return 0
	fi
	want=${name//-/_}
	while IFS=: read -r rel _; do
		base=${rel##*/}
		base=${base%%.ko*}
		if [[ ${base//-/_} == "$want" ]]; then
			printf '%s\n' "$MODDIR/$rel"
			return 0
		fi
	done <"$MODDIR/modules.dep"
	if grep -qE "/${name//[-_]/[-_]}\.ko\$" "$MODDIR/modules.builtin" 2>/dev/null; then
		echo "(builtin)"
		return 0
	fi
	return 1
}

modules=("${STOCK_MODULES[@]}")
((ATA_PIIX)) && modules+=(ata_piix)

module_paths=()
need_xz=0 need_zstd=0
for m in "${modules[@]}"; do
	p=$(resolve_module "$m") || die "module $m not found for $KVER"
	[[ $p == "(builtin)" ]] && continue # built into this kernel: nothing to load
	module_paths+=("$p")
	case $p in
	*.ko.xz) need_xz=1 ;;
	*.ko.zst) need_zstd=1 ;;
	esac
done
# Debian 12 ships plain .ko files; other kernels may compress them.
decomp_pkgs=()
((need_xz)) && decomp_pkgs+=(xz-utils)
((need_zstd)) && decomp_pkgs+=(zstd)
((${#decomp_pkgs[@]} == 0)) || ensure_packages "${decomp_pkgs[@]}"

# --- initramfs -----------------------------------------------------------------------------

mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
ROOT=$WORK/initramfs
rm -rf "$ROOT"
mkdir -p "$ROOT"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,root,mnt,etc/pvgen-rig,lib/modules,pvgen}

cp "$BUSYBOX" "$ROOT/bin/busybox"
# --list-full names every applet with its usual directory (bin/sh, sbin/insmod, ...).
while read -r applet; do
	[[ -e $ROOT/$applet || -L $ROOT/$applet ]] && continue
	[[ -d $ROOT/${applet%/*} ]] || mkdir -p "$ROOT/${applet%/*}"
	ln -s /bin/busybox "$ROOT/$applet"
done < <("$ROOT/bin/busybox" --list-full)

# Stock modules go in flat, decompressed (busybox insmod passes the file to
# init_module as is), and their load order is written to /etc/pvgen-rig/modules.
: >"$ROOT/etc/pvgen-rig/modules"
for p in "${module_paths[@]}"; do
	base=${p##*/}
	base=${base%%.ko*}.ko
	case $p in
	*.ko) cp "$p" "$ROOT/lib/modules/$base" ;;
	*.ko.xz) xz -dc "$p" >"$ROOT/lib/modules/$base" ;;
	*.ko.zst) zstd -dcq "$p" >"$ROOT/lib/modules/$base" ;;
	*.ko.gz) gzip -dc "$p" >"$ROOT/lib/modules/$base" ;;
	*) die "unexpected module file name: $p" ;;
	esac
	printf '%s\n' "$base" >>"$ROOT/etc/pvgen-rig/modules"
done

for ko in "${KOS[@]}"; do
	base=${ko##*/}
	[[ ! -e $ROOT/pvgen/$base ]] || die "two --ko files named $base"
	cp "$ko" "$ROOT/pvgen/$base"
done

# Host programs keep their paths; so do their libraries and the dynamic loader, which is
# what ldd prints for them (the busybox world around them is static).
for bin in "${HOST_BINARIES[@]}"; do
	files=("$bin")
	while read -r lib; do
		files+=("$lib")
	done < <(ldd "$bin" | grep -oE '/[^ ]+')
	for f in "${files[@]}"; do
		mkdir -p "$ROOT/${f%/*}"
		rm -f "$ROOT/$f"
		cp -L "$f" "$ROOT/$f"
	done
done

install -m 0755 "$SCRIPT" "$ROOT/test.sh"

# PID 1. Quoted heredoc: nothing is expanded on the host.
cat >"$ROOT/init" <<'EOF'
#!/bin/sh
# /init of the pvgen test guest, generated by Tests/rigs/guest/boot-guest.sh.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
# The kernel may have found no /dev/console in the initramfs; now there is one.
exec </dev/console >/dev/console 2>&1
# The firmware leaves the cursor mid-line ("Booting from ROM.." and terminal escapes)
# and "quiet" prints no kernel line after it: start our output on a fresh line.
echo

say() { echo "PVGEN-RIG: $*"; }

finish() {
	sync
	say "exit=$1"
	poweroff -f
	# Not reached normally. If it is, PID 1 exiting panics the kernel, and panic=-1 with
	# QEMU's -no-reboot ends the VM all the same.
	exit "$1"
}

n=0
while read -r ko; do
	[ -n "$ko" ] || continue
	if ! insmod "/lib/modules/$ko"; then
		say "insmod failed: $ko"
		finish 125
	fi
	n=$((n + 1))
done </etc/pvgen-rig/modules
say "kernel $(uname -r), $n stock modules loaded, running /test.sh"

cd /
sh /test.sh
finish $?
EOF
chmod 0755 "$ROOT/init"

# newc, root-owned, sorted so that the archive is reproducible and parents come first.
(cd "$ROOT" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc -R 0:0 --quiet) \
	>"$WORK/initramfs.cpio"

# --- disk ----------------------------------------------------------------------------------

DISK=$WORK/disk.img
if [[ ! -e $DISK ]]; then
	# A sparse file reads as zeros: a zero-filled raw disk without writing N MiB.
	truncate -s "${DISK_MB}M" "$DISK"
elif ((DISK_MB_SET)) && [[ $(stat -c %s "$DISK") -ne $((DISK_MB * 1024 * 1024)) ]]; then
	log "note: reusing existing $DISK ($(stat -c %s "$DISK") bytes), --disk-mb ignored"
fi

# --- boot ----------------------------------------------------------------------------------

# QEMU option values separate with commas; a literal comma is written twice.
# -serial stdio with -monitor none: stdout is the guest console alone, and stdin
# (/dev/null) is never a tty that QEMU would switch to raw mode.
qemu_escape() { printf '%s' "${1//,/,,}"; }

# no_timer_check: under TCG on a loaded host the kernel's early IO-APIC timer check can
# miss the PIT's interrupt and panic ("IO-APIC + timer doesn't work!"); VMs skip it.
qemu_args=(-accel tcg -m 512 -nographic -no-reboot
	-kernel "$KERNEL" -initrd "$WORK/initramfs.cpio"
	-append "console=ttyS0 panic=-1 quiet no_timer_check${APPEND:+ $APPEND}"
	-drive "file=$(qemu_escape "$DISK"),format=raw,if=ide"
	-net none -serial stdio -monitor none)
if [[ -n $TRACE_EVENTS ]]; then
	rm -f "$WORK/trace.log" # QEMU appends to an existing trace file
	qemu_args+=(-trace "events=$(qemu_escape "$TRACE_EVENTS"),file=$(qemu_escape "$WORK/trace.log")")
fi
qemu_args+=("${QEMU_EXTRA[@]}")
STATE=$WORK/migration.state
MIGRATED=$WORK/migrated # written by stream_console when it has migrated the run
rm -f "$MIGRATED" "$WORK/qemu-incoming.log"
if [[ -n $MIGRATE_AT ]]; then
	rm -f "$STATE" "$WORK/qmp.sock" "$WORK/qmp-incoming.sock"
	qemu_cmd=("$QEMU" "${qemu_args[@]}" -qmp "unix:$(qemu_escape "$WORK/qmp.sock"),server=on,wait=off")
else
	qemu_cmd=("$QEMU" "${qemu_args[@]}")
fi

# The first time a console line contains MARKER: stop, save, quit (QMP), in the
# background, so that the console keeps being drained meanwhile. The first QEMU then
# exits and the console stream ends; the second QEMU is started below.
migrate_out() {
	local t0 t1 out
	t0=$(date +%s%N)
	if out=$(python3 "$QMP_PY" "$WORK/qmp.sock" --timeout "$TIMEOUT" stop "migrate=exec:cat > '$STATE'" quit 2>&1); then
		t1=$(date +%s%N)
		# One line: the time to stop, save and quit, the state's size, QEMU's own figures.
		printf 'stopped, saved and quit in %d ms, state %d MiB (QEMU %s)\n' $(((t1 - t0) / 1000000)) \
			$(($(stat -c %s "$STATE") / 1048576)) "$(sed -n 's/^migrated: //p' <<<"$out")" >"$MIGRATED"
	else
		printf '[guest] migration at "%s" failed: %s\n' "$MIGRATE_AT" "$out" >&2
		python3 "$QMP_PY" "$WORK/qmp.sock" --timeout 10 quit >/dev/null 2>&1 || true
	fi
}

# Copy the serial console to $1 (appending with $2 = append) and forward the
# interesting lines. CRs and the terminal escapes SeaBIOS prints (reset, clear screen)
# are stripped: the latter end up in front of the first line /init prints, as "quiet"
# leaves no kernel line in between.
CSI_RE=$'\e\[[0-9;?]*[A-Za-z]'
stream_console() {
	local line watch=${MIGRATE_AT:+1} migrating=
	[[ ${2:-} == append ]] && watch=
	while IFS= read -r line || [[ -n $line ]]; do
		line=${line//$'\r'/}
		line=${line//$'\e'c/}
		while [[ $line =~ $CSI_RE ]]; do
			line=${line/"${BASH_REMATCH[0]}"/}
		done
		printf '%s\n' "$line"
		if [[ ${PVGEN_GUEST_VERBOSE:-0} == 1 ]]; then
			printf '[guest] | %s\n' "$line" >&2
		else
			case $line in
			*PVGEN* | *"Kernel panic"* | *"BUG:"* | *"Oops"* | *"WARNING: CPU"* | *"Call Trace"*)
				printf '[guest] %s\n' "$line" >&2
				;;
			esac
		fi
		if [[ -n $watch && $line == *"$MIGRATE_AT"* ]]; then
			watch=
			migrate_out &
			migrating=$!
		fi
	done >>"$1"
	[[ -z $migrating ]] || wait "$migrating"
}

rm -f "$WORK/result"
: >"$WORK/console.log"
log "kernel $KVER, modules: ${#module_paths[@]} stock, ${#KOS[@]} extra .ko"
log "booting under TCG (timeout ${TIMEOUT}s), console: $WORK/console.log"
t0=$(date +%s%N)
set +e
timeout --kill-after=10 "$TIMEOUT" "${qemu_cmd[@]}" </dev/null 2>"$WORK/qemu.log" |
	stream_console "$WORK/console.log"
rcs=("${PIPESTATUS[@]}")
set -e
qemu_rc=${rcs[0]}
migrated=no
if [[ -n $MIGRATE_AT ]]; then
	if [[ ! -f $MIGRATED ]]; then
		log "no migration: the guest never printed \"$MIGRATE_AT\", or saving failed"
	else
		log "migrated at \"$MIGRATE_AT\": $(head -n 1 "$MIGRATED")"
		printf 'PVGEN-RIG-HOST: migrated at %s: %s\n' "$MIGRATE_AT" "$(head -n 1 "$MIGRATED")" >>"$WORK/console.log"
		# The second QEMU: the same machine, loading the state; QMP tells it to go on.
		incoming=("$MIGRATE_QEMU" "${qemu_args[@]}" "${MIGRATE_EXTRA[@]}"
			-qmp "unix:$(qemu_escape "$WORK/qmp-incoming.sock"),server=on,wait=off"
			-incoming "exec:cat '$STATE'")
		python3 "$QMP_PY" "$WORK/qmp-incoming.sock" --timeout "$TIMEOUT" wait-incoming cont \
			>"$WORK/qmp-incoming.log" 2>&1 &
		qmp_pid=$!
		set +e
		timeout --kill-after=10 "$TIMEOUT" "${incoming[@]}" </dev/null 2>"$WORK/qemu-incoming.log" |
			stream_console "$WORK/console.log" append
		rcs=("${PIPESTATUS[@]}")
		wait "$qmp_pid"
		qmp_rc=$?
		set -e
		qemu_rc=${rcs[0]}
		if ((qmp_rc == 0)); then
			migrated=yes
			log "restored by $MIGRATE_QEMU: $(tr '\n' ' ' <"$WORK/qmp-incoming.log")"
		else
			log "the second QEMU did not load the state: $(tr '\n' ' ' <"$WORK/qmp-incoming.log")"
		fi
	fi
fi
t1=$(date +%s%N)
ms=$(((t1 - t0) / 1000000))
secs=$(printf '%d.%01d' $((ms / 1000)) $((ms % 1000 / 100)))

# The last exit marker wins; it is printed by /init after the test script returned.
guest_exit=$(grep -aoE 'PVGEN-RIG: exit=[0-9]+' "$WORK/console.log" | tail -n 1 | cut -d= -f2) || true

{
	echo "guest_exit=${guest_exit:-none}"
	echo "qemu_rc=$qemu_rc"
	echo "seconds=$secs"
	echo "kver=$KVER"
	[[ -z $MIGRATE_AT ]] || echo "migrated=$migrated"
} >"$WORK/result"

if [[ $guest_exit == 0 && ( -z $MIGRATE_AT || $migrated == yes ) ]]; then
	log "PASS: guest script exit=0, boot-test-poweroff ${secs}s${MIGRATE_AT:+, migrated once}"
	exit 0
fi

if [[ -n $MIGRATE_AT && $migrated != yes ]]; then
	log "FAIL: the run was not migrated (see above; guest exit=${guest_exit:-none}, qemu rc=$qemu_rc)"
elif ((qemu_rc == 124 || qemu_rc == 137)); then
	log "FAIL: timed out after ${TIMEOUT}s"
elif [[ -z $guest_exit ]]; then
	log "FAIL: guest never reported an exit status (qemu rc=$qemu_rc; panic, or /init died?)"
else
	log "FAIL: guest script exit=$guest_exit (qemu rc=$qemu_rc, ${secs}s)"
fi
for f in qemu.log qemu-incoming.log; do
	if [[ -s $WORK/$f ]]; then
		log "--- $f ---"
		sed 's/^/[guest] /' "$WORK/$f" >&2
	fi
done
log "--- tail of $WORK/console.log ---"
tail -n 40 "$WORK/console.log" | sed 's/^/[guest] | /' >&2
exit 1
