#!/bin/sh
# Guest script for boot-guest.sh: prints the kernel command line and the clocksources, so
# the host test can tell whether acpi_pm was registered (pmtmr=0 leaves it out).
set -eu
CS=/sys/devices/system/clocksource/clocksource0
echo "PVGEN: cmdline=$(cat /proc/cmdline)"
echo "PVGEN: available_clocksource=$(cat $CS/available_clocksource)"
echo "PVGEN: current_clocksource=$(cat $CS/current_clocksource)"
dmesg | grep -i -e pmtmr -e "PM-Timer" -e acpi_pm | sed 's/^/PVGEN: dmesg /' || true
