#!/usr/bin/env python3
"""tweaks-report.py --out DIR --run KIND LABEL DIR ...: the table and chart of
scripts/bench-tweaks.sh, from the boots it made.

KIND is one of
  pmtmr-plain, pmtmr-skip   a boot without and with kmod/guest-config/kernel-cmdline.txt:
                            PM-timer reads (port 0x608, QEMU region "acpi-tmr") per boot,
                            counted from the first write to port 0x80, which SeaBIOS never
                            makes and the kernel's setup code makes first thing (io_delay),
                            so the firmware's own PM-timer polling stays out; all reads are
                            listed too
  disk-stock, disk-tweaked  the buffered disk workload (Tests/rigs/bench/tweaks-disk.sh)
                            with the distribution's queue settings and with pvgen's:
                            IDE/BMDMA register accesses (count-trace.py's counts.json) and
                            disk commands (/sys/block/sda/stat) per MiB, write and read
  net-stock, net-pvgen      a TCP transfer each way (Tests/rigs/net/run-transfer.sh --trace)
                            with the stock e1000 and with pvgen_e1000: e1000 register
                            accesses and interrupts per MiB (count-e1000.py's counts.json)
Writes DIR/bench-tweaks.{txt,md,json,png}. Exit 1 when a run's data is missing.
"""
import argparse
import json
import re
import statistics
import sys

PM_READ = re.compile(r"^memory_region_ops_read cpu \d+ mr \S+ addr 0x608 .* name 'acpi-tmr'$")
PORT80_WRITE = re.compile(r"^memory_region_ops_write cpu \d+ mr \S+ addr 0x80 .* name 'ioport80'$")


def pm_timer_reads(trace):
    kernel = total = 0
    seen_port80 = False
    with open(trace, errors="replace") as f:
        for line in f:
            if not seen_port80 and PORT80_WRITE.match(line):
                seen_port80 = True
            if PM_READ.match(line):
                total += 1
                kernel += seen_port80
    if not seen_port80:
        raise SystemExit(f"{trace}: no write to port 0x80: the kernel never ran?")
    return kernel, total


def stat_fields(console, key):
    for line in open(console, errors="replace"):
        m = re.search(r"PVGEN: bench " + key + r" (.*)$", line)
        if m:
            fields = [int(x) for x in m.group(1).split()]
            return fields
    raise SystemExit(f"{console}: no 'PVGEN: bench {key}' line")


def settings(console):
    for line in open(console, errors="replace"):
        m = re.search(r"PVGEN: bench settings (.*)$", line)
        if m:
            return m.group(1).strip()
    return "?"


def disk_run(directory, mb):
    counts = json.load(open(f"{directory}/counts.json"))
    console = f"{directory}/console.log"
    before, middle, after = (stat_fields(console, k) for k in ("stat-before", "stat-middle", "stat-after"))
    # /sys/block/*/stat: reads completed is field 0, writes completed field 4.
    result = {"settings": settings(console)}
    for window, (a, b, field) in (("write", (before, middle, 4)), ("read", (middle, after, 0))):
        w = counts["windows"].get(window, {})
        result[window] = {
            "accesses_per_mib": w.get("exits", {}).get("ide", 0) / mb,
            "commands_per_mib": (b[field] - a[field]) / mb,
        }
    return result


def median_range(values):
    return statistics.median(values), min(values), max(values)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--mb", type=float, required=True)
    parser.add_argument("--title", default="pvgen bench-tweaks")
    parser.add_argument("--run", nargs=3, action="append", metavar=("KIND", "LABEL", "DIR"), default=[])
    args = parser.parse_args()

    pm = {"pmtmr-plain": [], "pmtmr-skip": []}
    disk = {}
    net = {"net-stock": [], "net-pvgen": []}
    for kind, label, directory in args.run:
        if kind in pm:
            pm[kind].append(pm_timer_reads(f"{directory}/trace.log"))
        elif kind in ("disk-stock", "disk-tweaked"):
            disk[kind] = disk_run(directory, args.mb)
        elif kind in net:
            windows = json.load(open(f"{directory}/counts.json"))["windows"]
            net[kind].append({w: windows[w] for w in ("in", "out")})
        else:
            raise SystemExit(f"unknown run kind {kind}")

    rows = []  # (tweak, workload, metric, without, with)
    if pm["pmtmr-plain"] and pm["pmtmr-skip"]:
        for index, metric in ((0, "PM-timer reads by the kernel"), (1, "PM-timer reads, firmware included")):
            without = median_range([r[index] for r in pm["pmtmr-plain"]])
            with_ = median_range([r[index] for r in pm["pmtmr-skip"]])
            rows.append(("pmtmr=0", "per boot", metric, without, with_))
    if "disk-stock" in disk and "disk-tweaked" in disk:
        for window in ("write", "read"):
            for metric, key in (("IDE register accesses", "accesses_per_mib"), ("disk commands", "commands_per_mib")):
                value = lambda kind: (disk[kind][window][key],) * 3
                rows.append((
                    "virtual-disk queue settings", f"per MiB, buffered {window}", metric,
                    value("disk-stock"), value("disk-tweaked")))

    if net["net-stock"] and net["net-pvgen"]:
        for window, workload in (("in", "per MiB received"), ("out", "per MiB sent")):
            for metric, key in (("e1000 register accesses", "e1000_per_mib"), ("interrupts", "irqs_per_mib")):
                values = lambda kind: median_range([run[window][key] for run in net[kind]])
                rows.append(("NAPI-off e1000 driver", workload, metric, values("net-stock"), values("net-pvgen")))

    def fmt(v):
        median, low, high = v
        text = f"{median:.1f}".rstrip("0").rstrip(".")
        return text if low == high else f"{text} [{low:g}..{high:g}]"

    def change(a, b):
        return "-" if a[0] == 0 else f"{(b[0] - a[0]) / a[0] * 100:+.0f}%"

    header = ("tweak", "workload", "register accesses counted", "without", "with", "change")
    table = [header] + [(t, w, m, fmt(a), fmt(b), change(a, b)) for t, w, m, a, b in rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    lines = [args.title, ""]
    for i, r in enumerate(table):
        lines.append("  ".join(c.ljust(widths[j]) for j, c in enumerate(r)).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    notes = []
    if "disk-stock" in disk:
        notes.append(f"disk settings without: {disk['disk-stock']['settings']}")
        notes.append(f"disk settings with:    {disk['disk-tweaked']['settings']}")
    notes.append("median [min..max] over the boots; PM-timer reads count from the kernel's first port-0x80 write")
    text = "\n".join(lines + [""] + notes) + "\n"
    open(f"{args.out}/bench-tweaks.txt", "w").write(text)
    md = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    md += ["| " + " | ".join(r) + " |" for r in table[1:]]
    open(f"{args.out}/bench-tweaks.md", "w").write("\n".join(md) + "\n")
    json.dump({"rows": rows, "pm": pm, "disk": disk, "net": net}, open(f"{args.out}/bench-tweaks.json", "w"), indent=1)
    sys.stdout.write(text)

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [f"{t}\n{m}\n{w}" for t, w, m, _, _ in rows]
    fig, ax = plt.subplots(figsize=(max(6, 1.9 * len(rows)), 4.5))
    xs = range(len(rows))
    ax.bar([x - 0.2 for x in xs], [r[3][0] for r in rows], width=0.4, label="without")
    ax.bar([x + 0.2 for x in xs], [r[4][0] for r in rows], width=0.4, label="with")
    ax.set_xticks(list(xs))
    ax.set_xticklabels(labels, fontsize=7)
    ax.set_ylabel("register accesses (exits under KVM)")
    ax.set_title(args.title, fontsize=9)
    ax.legend()
    fig.tight_layout()
    fig.savefig(f"{args.out}/bench-tweaks.png", dpi=120)


if __name__ == "__main__":
    main()
