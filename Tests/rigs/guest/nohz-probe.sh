#!/bin/sh
# Guest script for boot-guest.sh: prints the vCPU count, the CPUs the kernel runs without a
# periodic tick (nohz_full), its boot message about them, and each CPU's clock event
# device, so the host test can tell whether kernel-cmdline-busy-vcpus.txt took effect.
set -eu
echo "PVGEN: cpus=$(grep -c '^processor' /proc/cpuinfo)"
echo "PVGEN: nohz_full=$(cat /sys/devices/system/cpu/nohz_full)"
for dev in /sys/devices/system/clockevents/clockevent*; do
	echo "PVGEN: $(basename "$dev")=$(cat "$dev/current_device")"
done
dmesg | grep -e "NO_HZ" -e "nohz" | sed 's/^/PVGEN: dmesg /' || true
