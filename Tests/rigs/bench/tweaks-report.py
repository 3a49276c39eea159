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
  tick                      a boot of Tests/rigs/bench/tweaks-ticks.sh (DIR/params says which):
                            LOC (LAPIC timer) and IRQ0 interrupts and jiffies per guest
                            second, idle and busy (DIR/boot.log, guest lines stamped with the
                            host's clock, which also gives the guest clock's rate)
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


TICK_LINE = re.compile(r"^(\S+) \[guest\] PVGEN: tick (.*)$")


def tick_run(directory):
    params = dict(line.rstrip("\n").split("=", 1) for line in open(f"{directory}/params"))
    snaps, info = {}, {"clockevents": {}}
    for line in open(f"{directory}/boot.log", errors="replace"):
        m = TICK_LINE.match(line)
        if not m:
            continue
        host, text = float(m.group(1)), m.group(2)
        if text.startswith("snap "):
            _, label, *fields = text.split()
            snap = {"host": host}
            for field in fields:
                key, value = field.split("=")
                if key in ("loc", "irq0"):
                    snap[key] = [] if value == "none" else [int(x) for x in value.split(",")]
                else:
                    snap[key] = int(value)
            snaps[label] = snap
        elif text.startswith("clockevent "):
            cpu, device = text.split()[1].split("=")
            info["clockevents"][cpu] = device
        elif "=" in text:
            key, value = text.split("=", 1)
            info[key] = value
    windows = {}
    for window in ("idle", "busy"):
        a, b = snaps.get(f"{window}-start"), snaps.get(f"{window}-end")
        if not a or not b:
            continue
        guest_s, host_s = (b["mono"] - a["mono"]) / 1e9, b["host"] - a["host"]
        rates = lambda key: [(y - x) / guest_s for x, y in zip(a[key], b[key])]
        windows[window] = {
            "guest_s": guest_s, "host_s": host_s,
            "loc_per_s": rates("loc"), "irq0_per_s": rates("irq0"),
            "jiffies_per_s": (b["jif"] - a["jif"]) / guest_s,
            # guest CLOCK_MONOTONIC seconds per host second: 1 when the guest's clock is right
            "clock_rate": guest_s / host_s,
        }
    if set(windows) != {"idle", "busy"}:
        raise SystemExit(f"{directory}: no idle and busy window in boot.log")
    return {"params": params, "info": info, "windows": windows}


def tick_pairs(runs):
    """{(group, case): {"without": run, "with": run}}"""
    pairs = {}
    for run in runs:
        p = run["params"]
        pairs.setdefault((p["group"], p["case"]), {})[p["side"]] = run
    for (group, case), sides in pairs.items():
        if set(sides) != {"without", "with"}:
            raise SystemExit(f"tick runs of {group} {case}: want a without and a with boot, got {sorted(sides)}")
    return pairs


def tick_rows(pairs):
    """(tweak, guest, workload, metric, without, with, load, warn) per measured rate; without
    and with are (total, per-CPU list), load the other processes' cores during both boots."""
    rows = []
    for (group, case), sides in pairs.items():
        a, b = sides["without"], sides["with"]
        if group == "nohz":
            tweak, guest = f"{b['params']['append']} (busy-vCPU fragment)", "6.1 stock boot"
            idle_case = case.split(",")[0] + ", idle"
            items = [(case, "LOC/s", "busy", "loc_per_s"), (idle_case, "LOC/s", "idle", "loc_per_s")]
        elif group in ("pit", "pit-stock"):
            tweak = f"PIT factor {b['params']['factor']} (QEMU isa-pit)"
            if group == "pit":
                if a["info"]["clockevents"].get("cpu0") != "pit":
                    raise SystemExit(f"{case}: the PIT guest ticks from {a['info']['clockevents']}, not the PIT")
                guest = "6.1, periodic PIT tick"
                items = [(case, m, "busy", k) for m, k in (
                    ("IRQ0/s", "irq0_per_s"), ("jiffies/s", "jiffies_per_s"),
                    ("guest clock s per host s", "clock_rate"))]
            else:
                guest = "6.1 stock boot"
                items = [(case, "LOC/s", "busy", "loc_per_s")]
        else:
            raise SystemExit(f"unknown tick group {group}")
        load = [float(run["params"]["load_during"]) for run in (a, b)]
        warn = max(load) > float(a["params"]["quiet_load"])
        for workload, metric, window, key in items:
            value = lambda run: run["windows"][window][key]
            side = lambda run: (sum(value(run)), value(run)) if isinstance(value(run), list) else (value(run), [])
            rows.append((tweak, guest, workload, metric, side(a), side(b), load, warn))
    return rows


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
    ticks = {}
    for kind, label, directory in args.run:
        if kind in pm:
            pm[kind].append(pm_timer_reads(f"{directory}/trace.log"))
        elif kind in ("disk-stock", "disk-tweaked"):
            disk[kind] = disk_run(directory, args.mb)
        elif kind in net:
            windows = json.load(open(f"{directory}/counts.json"))["windows"]
            net[kind].append({w: windows[w] for w in ("in", "out")})
        elif kind == "tick":
            ticks[label] = tick_run(directory)
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

    def text_table(header, table):
        widths = [max(len(r[i]) for r in [header] + table) for i in range(len(header))]
        lines = ["  ".join(c.ljust(widths[j]) for j, c in enumerate(r)).rstrip() for r in [header] + table]
        return lines[:1] + ["  ".join("-" * w for w in widths)] + lines[1:]

    def md_table(header, table):
        return ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)] + ["| " + " | ".join(r) + " |" for r in table]

    lines, md = [args.title, ""], []
    header = ("tweak", "workload", "register accesses counted", "without", "with", "change")
    table = [(t, w, m, fmt(a), fmt(b), change(a, b)) for t, w, m, a, b in rows]
    if rows:
        lines += text_table(header, table) + [""]
        md += md_table(header, table)
        if "disk-stock" in disk:
            lines.append(f"disk settings without: {disk['disk-stock']['settings']}")
            lines.append(f"disk settings with:    {disk['disk-tweaked']['settings']}")
        lines.append("median [min..max] over the boots; PM-timer reads count from the kernel's first port-0x80 write")

    tpairs = tick_pairs(ticks.values())
    trows = tick_rows(tpairs)
    if trows:
        def rate(v, metric):
            total, per_cpu = v
            if metric.startswith("guest clock"):
                return f"{total:.3f}"
            return f"{total:.1f}" + (f" ({' + '.join(f'{x:.1f}' for x in per_cpu)})" if len(per_cpu) > 1 else "")

        theader = ("tick tweak", "guest", "workload", "rate", "without", "with", "change",
                   "other load")
        ttable = [(t, g, w, m, rate(a, m), rate(b, m), change(a, b), " / ".join(f"{x:.2f}" for x in load) + (" !" if warn else ""))
                  for t, g, w, m, a, b, load, warn in trows]
        if rows:
            lines.append("")
            md.append("")
        lines += text_table(theader, ttable) + [""]
        md += md_table(theader, ttable)
        some = next(iter(ticks.values()))["params"]
        lines.append(f"{some['window']} s windows; rates per guest second (CLOCK_MONOTONIC); per CPU in parentheses")
        pit = [r for r in ticks.values() if r["params"]["group"] == "pit"]
        if pit:
            lines.append(f"periodic PIT tick: boot args {pit[0]['params']['append']}; PIT rows on {pit[0]['params']['qemu']},"
                         " without = factor 1")
        for (group, case), sides in tpairs.items():
            # what ticked: the per-CPU clock event devices, the clocksource, the nohz_full CPUs
            what = lambda run: ("tick " + " ".join(d for _, d in sorted(run["info"]["clockevents"].items())) +
                                f", clocksource {run['info'].get('clocksource', '?')}, nohz_full {run['info'].get('nohz_full', '?')}")
            lines.append(f"{group}, {case}: without: {what(sides['without'])}; with: {what(sides['with'])}")
        lines.append("other load: cores used by other host processes during the without / with boot")
        if any(r[-1] for r in trows):
            lines.append(f"! more than {some['quiet_load']} cores of other load: TCG starves vCPUs and drops ticks,"
                         " the busy rates read low")
    text = "\n".join(lines) + "\n"
    open(f"{args.out}/bench-tweaks.txt", "w").write(text)
    open(f"{args.out}/bench-tweaks.md", "w").write("\n".join(md) + "\n")
    json.dump({"rows": rows, "pm": pm, "disk": disk, "net": net,
               "ticks": {"rows": trows, "runs": ticks}}, open(f"{args.out}/bench-tweaks.json", "w"), indent=1)
    sys.stdout.write(text)

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # one panel per table: register accesses, timer interrupts (rates, not the clock's rate)
    panels = []
    if rows:
        panels.append(([f"{t}\n{m}\n{w}" for t, w, m, _, _ in rows], [r[3][0] for r in rows], [r[4][0] for r in rows],
                       "register accesses (exits under KVM)"))
    bars = [r for r in trows if not r[3].startswith("guest clock")]
    if bars:
        panels.append(([f"{t.split(' (')[0]}\n{g}\n{w}\n{m}" for t, g, w, m, *_ in bars], [r[4][0] for r in bars], [r[5][0] for r in bars],
                       "per guest second (interrupts: exits under KVM)"))
    if not panels:
        return
    fig, axes = plt.subplots(len(panels), 1, figsize=(max(6, 1.9 * max(len(p[0]) for p in panels)), 4.5 * len(panels)),
                             squeeze=False)
    for ax, (labels, without, with_, ylabel) in zip(axes[:, 0], panels):
        xs = range(len(labels))
        ax.bar([x - 0.2 for x in xs], without, width=0.4, label="without")
        ax.bar([x + 0.2 for x in xs], with_, width=0.4, label="with")
        ax.set_xticks(list(xs))
        ax.set_xticklabels(labels, fontsize=7)
        ax.set_ylabel(ylabel)
        ax.legend()
    axes[0, 0].set_title(args.title, fontsize=9)
    fig.tight_layout()
    fig.savefig(f"{args.out}/bench-tweaks.png", dpi=120)


if __name__ == "__main__":
    main()
