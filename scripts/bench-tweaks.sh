#!/usr/bin/env bash
# bench-tweaks.sh - what pvgen's guest tweaks (kmod/guest-config/) save, counted in a real
# Linux guest: the emulated register accesses that leave the guest (each one a VM exit
# under KVM) in QEMU's memory_region_ops_read/_write trace, with and without each tweak;
# for the tick configuration, the timer interrupts per second the guest counts.
#
#   scripts/bench-tweaks.sh [--only PARTS] [--boots N] [--mb N] [--net-mb N] [--out DIR]
#                           [--scratch-path DIR] [--tick-window S] [--pit-qemu BIN]
#                           [--pit-factor F] [--quiet-wait S]
#
#   --only PARTS        comma-separated parts to run: pmtmr, disk, net, ticks (all of them);
#                       e.g. --only ticks for the tick rows alone (8 boots, no kbuild)
#   --boots N           boots per side for the pmtmr tweak and the network transfer (3);
#                       the median is reported
#   --mb N              MiB the disk workload writes and reads back (8)
#   --net-mb N          MiB the network transfer moves each way (16)
#   --out DIR           where everything goes (out/bench-tweaks)
#   --scratch-path DIR  swift build's scratch folder for pvgen (swift's default, .build)
#   --tick-window S     seconds of each idle and busy window of the tick boots (10)
#   --pit-qemu BIN      QEMU with the isa-pit.ch0-count-factor property for the PIT rows
#                       (default: when the tree has the PIT patch, pvgen qemu builds it into
#                       .build-qemu; otherwise the PIT rows are left out)
#   --pit-factor F      the PIT factor of the "with" side (the model's, which the tree's
#                       guest-config/README.md gives as the opt-in value; else 4)
#   --quiet-wait S      before each tick boot, wait at most S seconds for other processes
#                       to use less than a quarter core (300); TCG starves the vCPUs of a
#                       busy host, and a starved vCPU loses ticks
#
# Tweaks measured:
#   pmtmr=0                      kernel-cmdline.txt: PM-timer port reads per boot (the
#                                kernel's, counted from its first port-0x80 write, and all)
#   virtual-disk queue settings  pvgen-virtual-disk-apply.sh (none elevator, rotational 0,
#                                add_random 0, read-ahead): IDE register accesses and disk
#                                commands per MiB of buffered writes and reads on ata_piix
#   NAPI-off e1000 driver        guest/pvgen_e1000 against the stock e1000: e1000 register
#                                accesses and interrupts per MiB received and sent over TCP
#                                (Tests/rigs/net/run-transfer.sh; QEMU pinned to one CPU,
#                                which makes the runs repeatable)
#   nohz_full=1-N                kernel-cmdline-busy-vcpus.txt: LAPIC timer interrupts per
#                                second, per CPU, 2 vCPUs with CPU 1 busy and 3 with CPUs 1-2
#                                busy, busy and idle (Tests/rigs/bench/tweaks-ticks.sh)
#   PIT factor                   the host QEMU's PIT patch, factor 1 against the model's: IRQ0
#                                and jiffies per second and the guest clock's rate in a guest
#                                that ticks from the PIT, LAPIC ticks in the stock 6.1 boot
#
# Installs what is missing with apt (QEMU, the guest kernel and headers, busybox, python3
# with matplotlib), builds pvgen, generates the tree (pvgen generate OUT/kmod), boots the
# Debian 6.1 guest under TCG with Debian's QEMU (the PIT rows: the patched one;
# Tests/rigs/guest/boot-guest.sh), one guest at a time, and writes
# OUT/bench-tweaks.{txt,md,json,png} (Tests/rigs/bench/tweaks-report.py). A benchmark, not
# a test: exit 1 when a boot fails or its data is inconsistent.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bench=$root/Tests/rigs/bench
rig=$root/Tests/rigs/guest
boots=3
mb=8
net_mb=16
out=$root/out/bench-tweaks
scratch=
only=pmtmr,disk,net,ticks
tick_window=10
pit_qemu=
pit_factor=
quiet_wait=300

log() { printf '[bench-tweaks] %s\n' "$*" >&2; }
die() {
	printf '[bench-tweaks] error: %s\n' "$*" >&2
	exit 1
}
need_value() { (($2 >= 2)) || die "$1 needs a value (see --help)"; }

while (($#)); do
	case $1 in
	--boots) need_value "$1" $# && boots=$2 && shift 2 ;;
	--mb) need_value "$1" $# && mb=$2 && shift 2 ;;
	--net-mb) need_value "$1" $# && net_mb=$2 && shift 2 ;;
	--out) need_value "$1" $# && out=$2 && shift 2 ;;
	--scratch-path) need_value "$1" $# && scratch=$2 && shift 2 ;;
	--only) need_value "$1" $# && only=$2 && shift 2 ;;
	--tick-window) need_value "$1" $# && tick_window=$2 && shift 2 ;;
	--pit-qemu) need_value "$1" $# && pit_qemu=$2 && shift 2 ;;
	--pit-factor) need_value "$1" $# && pit_factor=$2 && shift 2 ;;
	--quiet-wait) need_value "$1" $# && quiet_wait=$2 && shift 2 ;;
	-h | --help)
		sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*) die "unknown argument: $1 (see --help)" ;;
	esac
done
[[ $boots =~ ^[1-9][0-9]*$ ]] || die "--boots wants a positive integer, got: $boots"
[[ $mb =~ ^[1-9][0-9]*$ ]] && ((mb <= 256)) || die "--mb wants 1..256, got: $mb"
[[ $net_mb =~ ^[1-9][0-9]*$ ]] && ((net_mb <= 256)) || die "--net-mb wants 1..256, got: $net_mb"
for part in ${only//,/ }; do
	[[ $part =~ ^(pmtmr|disk|net|ticks)$ ]] || die "--only: unknown part $part (pmtmr, disk, net, ticks)"
done
want() { [[ ,$only, == *,$1,* ]]; }
mkdir -p "$out"
out=$(cd "$out" && pwd)

"$root/scripts/install-deps.sh" qemu-system-x86 linux-image-amd64 busybox-static cpio kmod \
	python3 python3-matplotlib >&2
python=/usr/bin/python3
qemu=/usr/bin/qemu-system-x86_64
if want pmtmr || want disk; then
	"$qemu" -trace help 2>/dev/null | grep -qx memory_region_ops_read ||
		die "$qemu has no memory_region_ops_read trace event"
fi

swift_args=(--package-path "$root")
[[ -z $scratch ]] || swift_args+=(--scratch-path "$scratch")
log "swift build --product pvgen"
swift build "${swift_args[@]}" --product pvgen >&2
pvgen=$(swift build "${swift_args[@]}" --show-bin-path)/pvgen
tree=$out/kmod
"$pvgen" generate --out "$tree" >&2
e1000_ko=$tree/guest/pvgen_e1000/pvgen_e1000.ko
if want net; then
	log "kbuild the guest modules"
	"$pvgen" build "$tree" >"$out/modinfo.txt" || die "pvgen build failed"
	[[ -f $e1000_ko ]] || die "no $e1000_ko after pvgen build"
fi
config=$tree/guest-config
cmdline=$(tr '\n' ' ' <"$config/kernel-cmdline.txt")
[[ -n ${cmdline// /} ]] || die "$config/kernel-cmdline.txt is empty"

events=$out/trace-events.list
printf '%s\n' memory_region_ops_read memory_region_ops_write >"$events"
runs=()

# boot KIND LABEL KEY BOOT-ARGS...
boot() {
	local kind=$1 label=$2 key=$3 dir=$out/runs/$3
	shift 3
	rm -rf "$dir"
	mkdir -p "$dir"
	log "$key: $label"
	if ! PVGEN_GUEST_TIMEOUT=${PVGEN_GUEST_TIMEOUT:-600} "$rig/boot-guest.sh" --work "$dir" \
		--qemu "$qemu" --trace-events "$events" "$@" 2>"$dir/boot.log"; then
		cat "$dir/boot.log" >&2
		die "$key: the guest run failed (see $dir)"
	fi
	runs+=(--run "$kind" "$label" "$dir")
}

# pmtmr: the same trivial boot, alternating sides, so that host load hits both alike.
if want pmtmr; then
	printf '#!/bin/sh\necho "PVGEN: bench booted"\n' >"$out/boot-only.sh"
	for i in $(seq 1 "$boots"); do
		boot pmtmr-plain "plain boot $i" "pmtmr-plain-$i" --script "$out/boot-only.sh"
		boot pmtmr-skip "boot $i with $cmdline" "pmtmr-skip-$i" --script "$out/boot-only.sh" --append "$cmdline"
	done
fi

# disk: ata_piix with the distribution's settings, then with pvgen's apply script.
if want disk; then
	disk_mb=$((mb + 64))
	for side in stock tweaked; do
		extra=()
		[[ $side == stock ]] || extra=(--ko "$config/pvgen-virtual-disk-apply.sh")
		{
			echo '#!/bin/sh'
			echo "TWEAKS_MB=$mb"
			cat "$bench/tweaks-disk.sh"
		} >"$out/disk-$side.sh"
		boot "disk-$side" "ata_piix, $side queue settings" "disk-$side" --script "$out/disk-$side.sh" \
			--disk-mb "$disk_mb" "${extra[@]}"
		grep -a 'PVGEN: bench' "$out/runs/disk-$side/console.log" | sed 's/^/  /' >&2
		grep -aq 'PVGEN: bench verify=ok' "$out/runs/disk-$side/console.log" ||
			die "disk-$side: the data did not read back"
		"$python" "$bench/count-trace.py" "$out/runs/disk-$side/trace.log" \
			--json "$out/runs/disk-$side/counts.json" >/dev/null
	done
fi

# network: the stock e1000 and pvgen_e1000, alternating, QEMU pinned to the last CPU.
if want net; then
	for i in $(seq 1 "$boots"); do
		for side in stock pvgen; do
			dir=$out/runs/net-$side-$i
			rm -rf "$dir"
			driver=(--driver e1000)
			[[ $side == stock ]] || driver=(--ko "$e1000_ko")
			log "net-$side-$i: $net_mb MiB each way"
			PVGEN_E1000_CPUS=$(($(nproc) - 1)) "$root/Tests/rigs/net/run-transfer.sh" "${driver[@]}" \
				--mb "$net_mb" --trace "$dir" >"$out/net-$side-$i.log" 2>&1 ||
				{ tail -n 20 "$out/net-$side-$i.log" >&2 && die "net-$side-$i failed (see $dir)"; }
			runs+=(--run "net-$side" "$side e1000 driver, run $i" "$dir")
		done
	done
fi

# ticks: the busy-vCPU fragment in Debian's QEMU; the PIT factor in a QEMU that has it.
if want ticks; then
	pit_patch=$(grep -l ch0-count-factor "$tree"/host/qemu/*.patch 2>/dev/null | head -n 1) || true
	if [[ -z $pit_factor && -n $pit_patch ]]; then
		# The patch defaults to 1; the model's factor is the opt-in the README documents.
		pit_factor=$(grep -o 'isa-pit\.ch0-count-factor=[0-9]*' "$tree/guest-config/README.md" 2>/dev/null |
			head -n 1 | cut -d= -f2) || true
	fi
	if [[ -z $pit_qemu && -n $pit_patch ]]; then
		log "pvgen qemu: QEMU 7.2 with the tree's patches, ${pit_patch##*/} among them"
		pit_qemu=$("$pvgen" qemu "$tree" --cache "$root/.build-qemu" | tail -n 1) || die "pvgen qemu failed"
	fi
	tick_args=(--out "$out/runs" --fragment "$config/kernel-cmdline-busy-vcpus.txt" --qemu "$qemu"
		--window "$tick_window" --quiet-wait "$quiet_wait" --pit-factor "${pit_factor:-4}")
	[[ -z $pit_qemu ]] || tick_args+=(--pit-qemu "$pit_qemu")
	"$bench/tweaks-ticks.sh" "${tick_args[@]}" >"$out/tick-runs.txt" || die "the tick boots failed"
	while IFS=$'\t' read -r kind label dir; do
		runs+=(--run "$kind" "$label" "$dir")
	done <"$out/tick-runs.txt"
fi

"$python" "$bench/tweaks-report.py" --out "$out" --mb "$mb" \
	--title "pvgen bench-tweaks: Linux guest under $($qemu --version | head -n 1 | cut -d' ' -f1-4) (TCG)" \
	"${runs[@]}"
log "wrote $out/bench-tweaks.txt, bench-tweaks.md, bench-tweaks.json, bench-tweaks.png"
