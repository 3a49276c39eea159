#!/usr/bin/env bash
# install-deps.sh - install the Debian packages pvgen's build, tests and rigs need, or the
# ones named on the command line (what a benchmark or the fuzzer needs beyond them).
# Idempotent: asks apt only for what dpkg reports missing. Needs root (or sudo).
#
#   scripts/install-deps.sh [PACKAGE...]
set -euo pipefail

packages=("$@")
((${#packages[@]})) || packages=(
	make gcc libc6-dev pkg-config
	libkmod-dev                       # reading .ko modinfo from Swift
	linux-headers-amd64               # kbuild for the guest modules
	linux-image-amd64                 # the real guest kernel
	sparse                            # C=1 checks
	qemu-system-x86 busybox-static cpio # the TCG guest rig
	linux-source-6.1                  # applying and compiling the generated KVM patch
	bc bison flex libelf-dev libssl-dev # building arch/x86/kvm from that source
	dwarves libunicorn-dev            # pvgen verify: pahole on DWARF, vmcall in Unicorn
	python3                           # the network rig's host side, trace counting, the QEMU rigs' QMP client
	udev                              # the guest test runs its systemd-udevd on the generated rules
)

missing=()
for package in "${packages[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)
	[[ $status == installed ]] || missing+=("$package")
done

if ((${#missing[@]} == 0)); then
	echo "[deps] all ${#packages[@]} Debian packages present"
	exit 0
fi

sudo=()
((EUID == 0)) || sudo=(sudo)
echo "[deps] installing: ${missing[*]}"
# sudo resets the environment: env sets the frontend for apt itself.
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
