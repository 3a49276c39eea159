#!/usr/bin/env python3
"""report.py: the table and chart of scripts/bench-ide.sh from the runs' counts.

usage: report.py --out DIR --n N [--aim A] [--title T] [--note TEXT]...
                 --run KEY LABEL ROLE RUNDIR [--run ...]

Each RUNDIR holds counts.json (Tests/rigs/bench/count-trace.py) and console.log (the guest
console of Tests/rigs/bench/ide-workload.sh). ROLE is "stock" (the unbatched baseline whose
device-side sequence the batched runs must reproduce), "batched" (pata_pvgen_piix: its
device-side sequence is compared with the stock run's) or "virtio".

Writes DIR/bench-ide.txt (the table and the details, also printed), DIR/bench-ide.md (the
same as Markdown), DIR/bench-ide.json and DIR/bench-ide.png (the chart; skipped with a note
when matplotlib is missing). Exit status 1 when a run's data is inconsistent (markers
missing, data read back differs, command counts or sequences that do not match).
"""
import argparse
import json
import os
import re
import sys

BS = 4096
MIB = 1 << 20
KIND_LABELS = {
    "ide": "IDE/BMDMA register",
    "doorbell-out": "doorbell OUT",
    "doorbell-in": "doorbell IN",
    "hypercall": "vmcall",
    "virtio-notify": "virtio notify",
    "virtio": "virtio-pci register",
}


def parse_console(path):
    """The "PVGEN: bench" lines of the guest console as a dict."""
    info = {"stat-before": None, "stat-after": None, "params-before": {}, "params-after": {},
            "verify": None, "driver": None, "transport": None, "fail": None}
    if not os.path.exists(path):
        return info
    for line in open(path, errors="replace"):
        m = re.search(r"PVGEN: bench (\S+)(.*)$", line)
        if not m:
            continue
        key, rest = m.group(1), m.group(2).strip()
        if key in ("stat-before", "stat-after"):
            info[key] = [int(x) for x in rest.split()]
        elif key in ("params-before", "params-after"):
            info[key] = dict(kv.split("=", 1) for kv in rest.split() if "=" in kv)
        elif key.startswith("verify="):
            info["verify"] = key.split("=", 1)[1]
        elif key.startswith("disk="):
            d = dict(kv.split("=", 1) for kv in (key + " " + rest).split() if "=" in kv)
            info["driver"] = d.get("driver")
            info["disk"] = d.get("disk")
        elif key == "FAIL":
            info["fail"] = rest
        elif key == "dmesg":
            t = re.search(r"transport: (\S+)", rest)
            if t:
                info["transport"] = t.group(1)
    return info


def period(seq, n):
    """(unit, all_equal): seq split into n equal parts; unit is the middle part."""
    if n <= 0 or len(seq) % n:
        return None, False
    u = len(seq) // n
    parts = [seq[i * u:(i + 1) * u] for i in range(n)]
    return parts[n // 2], all(p == parts[0] for p in parts)


def first_difference(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return min(len(a), len(b)) if len(a) != len(b) else None


def fmt(x):
    return f"{x:.2f}" if x < 100 else f"{x:.0f}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--n", type=int, required=True)
    ap.add_argument("--aim", type=float, default=2.0)
    ap.add_argument("--title", default="")
    ap.add_argument("--note", action="append", default=[])
    ap.add_argument("--run", nargs=4, action="append", required=True,
                    metavar=("KEY", "LABEL", "ROLE", "RUNDIR"))
    args = ap.parse_args()
    n = args.n
    mib = n * BS / MIB
    problems = []
    runs = []
    for key, label, role, rundir in args.run:
        counts = json.load(open(os.path.join(rundir, "counts.json")))
        console = parse_console(os.path.join(rundir, "console.log"))
        run = {"key": key, "label": label, "role": role, "dir": rundir, "console": console,
               "counts": counts, "windows": {}}
        if counts["markers_seen"] != 3:
            problems.append(f"{key}: saw {counts['markers_seen']} of the 3 markers")
        if counts.get("unclosed_batches"):
            problems.append(f"{key}: {counts['unclosed_batches']} batches without pvgen_batch_done")
        if console["verify"] != "ok":
            problems.append(f"{key}: the guest did not verify the data read back ({console['fail']})")
        sb, sa = console["stat-before"], console["stat-after"]
        stat = None
        if sb and sa:
            stat = {"read": sa[0] - sb[0], "write": sa[4] - sb[4],
                    "flush": (sa[15] - sb[15]) if len(sa) > 15 and len(sb) > 15 else 0}
            for d in ("read", "write"):
                if stat[d] != n:
                    problems.append(f"{key}: the disk completed {stat[d]} {d}s, not {n}")
        run["stat"] = stat
        pb, pa = console["params-before"], console["params-after"]
        if pb and pa:
            run["params_delta"] = {k: int(pa[k]) - int(pb[k]) for k in pa
                                   if k in pb and pa[k].lstrip("-").isdigit()}
            run["transport"] = pa.get("transport_in_use")
        for wname in ("write", "read"):
            w = counts["windows"][wname]
            other = {k: v for k, v in w["other"].items()}
            row = {
                "exits": w["exits_total"],
                "exits_by_kind": w["exits"],
                "exits_per_cmd": w["exits_total"] / n,
                "exits_per_mib": w["exits_total"] / mib,
                "device_side": len(w["device_sequence"]),
                "device_side_per_cmd": len(w["device_sequence"]) / n,
                "replayed": w["replayed_total"],
                "replayed_events": w["replayed_events"],
                "ata_commands": w["ata_commands"],
                "notify_mmio": w["notify_mmio"],
                "other": other,
                "other_per_cmd": sum(other.values()) / n,
                "device_originated": w["device_originated"],
            }
            if role in ("stock", "batched") and w["ata_commands"] != n:
                problems.append(f"{key} {wname}: {w['ata_commands']} ATA commands in the trace, not {n}")
            if role == "batched":
                if w["replayed_events"] and w["replayed_events"] != w["replayed_total"]:
                    problems.append(f"{key} {wname}: {w['replayed_events']} pvgen_batch_in/out events "
                                    f"but {w['replayed_total']} replayed accesses")
                unit, same = period([tuple(b["entries"]) for b in w["batches"]], n)
                row["batches_per_cmd"] = [list(b) for b in unit] if unit else None
                row["batches_same_every_cmd"] = same
                row["batches"] = len(w["batches"])
            unit, same = period(w["device_sequence"], n)
            row["device_unit"] = unit
            row["device_same_every_cmd"] = same
            run["windows"][wname] = row
        runs.append(run)

    stock = next((r for r in runs if r["role"] == "stock"), None)
    equality = {}
    for r in runs:
        if r["role"] != "batched" or stock is None:
            continue
        for wname in ("write", "read"):
            a = stock["counts"]["windows"][wname]["device_sequence"]
            b = r["counts"]["windows"][wname]["device_sequence"]
            i = first_difference(a, b)
            if i is None:
                equality[(r["key"], wname)] = f"equal ({len(a)} accesses)"
            else:
                equality[(r["key"], wname)] = (
                    f"DIFFERENT at access {i} of {len(a)}/{len(b)}: stock {' '.join(a[max(0, i - 3):i + 4])} "
                    f"| {r['key']} {' '.join(b[max(0, i - 3):i + 4])}")
                problems.append(f"{r['key']} {wname}: device-side sequence differs from {stock['key']}")
            r["windows"][wname]["equal_to_stock"] = i is None

    # ---- text and Markdown tables
    head = ["driver (transport)", "dir", "exits/cmd", "exits/MiB", "the exits are",
            "IDE model sees/cmd", "irq+timer/cmd"]
    rows = []
    for r in runs:
        for wname in ("write", "read"):
            w = r["windows"][wname]
            kinds = ", ".join(f"{fmt(v / n)} {KIND_LABELS.get(k, k)}"
                              for k, v in sorted(w["exits_by_kind"].items(), key=lambda kv: -kv[1]))
            side = fmt(w["device_side_per_cmd"]) if r["role"] != "virtio" else "-"
            if r["role"] == "batched" and w["device_side"] != w["exits_by_kind"].get("ide", 0):
                side += f" ({fmt(w['replayed'] / n)} replayed)"
            rows.append([r["label"], wname, fmt(w["exits_per_cmd"]), fmt(w["exits_per_mib"]),
                         kinds or "none", side, fmt(w["other_per_cmd"])])
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    text = []
    title = args.title or "pvgen bench-ide"
    text.append(title)
    text.append(f"{n} x 4 KiB O_DIRECT writes, then {n} reads of the same blocks "
                f"({mib:g} MiB each way); per command and per MiB of data moved")
    text.append("")
    line = "  ".join(h.ljust(wd) for h, wd in zip(head, widths))
    text.append(line)
    text.append("  ".join("-" * wd for wd in widths))
    for row in rows:
        text.append("  ".join(str(c).ljust(wd) for c, wd in zip(row, widths)))
    text.append("")
    md = ["| " + " | ".join(head) + " |", "|" + "|".join(" --- " for _ in head) + "|"]
    md += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]

    details = []
    details.append("exits/cmd: register accesses that leave the guest (each a VM exit under KVM):")
    details.append("  direct IDE/BMDMA accesses, doorbell OUTs/INs, vmcalls, virtio notifies, other")
    details.append("  virtio-pci registers. IDE model sees: the IDE/BMDMA accesses QEMU's PIIX IDE")
    details.append("  emulation received, direct or replayed by pvgen's device. irq+timer: the other")
    details.append("  accesses a vCPU made in the window (LAPIC EOIs and timer in TCG's apic-msi")
    details.append("  region, IOAPIC, HPET): about one interrupt's worth for every driver, not counted")
    details.append("  as disk-path exits (under KVM the LAPIC is emulated in the kernel, and with")
    details.append("  APICv most EOIs do not exit). Interrupt deliveries (MSI-form writes to")
    details.append("  apic-msi, QEMU's main loop) are not guest accesses and are only listed.")
    details.append("")
    for r in runs:
        details.append(f"{r['key']}: {r['label']} ({r['dir']})")
        c = r["console"]
        details.append(f"  driver={c['driver']} transport={r.get('transport') or c['transport'] or '-'} "
                       f"verify={c['verify']} disk stat delta={r['stat']}")
        if r.get("params_delta"):
            details.append("  module counters over both windows: " + ", ".join(
                f"{k} +{v}" for k, v in sorted(r["params_delta"].items())))
        for wname in ("write", "read"):
            w = r["windows"][wname]
            extra = ""
            if w["notify_mmio"]:
                extra = f", notify-region writes {w['notify_mmio']} (the same accesses as the notifies)"
            details.append(f"  {wname}: exits {w['exits']} {w['exits_by_kind']}{extra}; "
                           f"ATA commands {w['ata_commands']}; other {w['other']}; "
                           f"not from the guest {w['device_originated']}")
            if (r["key"], wname) in equality:
                details.append(f"    device-side (dir, port, width) sequence vs {stock['key']}: "
                               f"{equality[(r['key'], wname)]}")
            if r["role"] == "stock" and w["device_unit"]:
                details.append(f"    one command ({len(w['device_unit'])} accesses, identical for all "
                               f"{n}: {'yes' if w['device_same_every_cmd'] else 'no'}): "
                               + " ".join(w["device_unit"]))
            if r["role"] == "batched" and w.get("batches_per_cmd"):
                details.append(f"    one command: {len(w['batches_per_cmd'])} batches (identical for all "
                               f"{n}: {'yes' if w['batches_same_every_cmd'] else 'no'}): "
                               + " ".join("[" + " ".join(b) + "]" for b in w["batches_per_cmd"]))
        details.append("")
    aim = []
    for r in runs:
        if r["role"] != "batched":
            continue
        worst = max(r["windows"][d]["exits_per_cmd"] for d in ("write", "read"))
        aim.append(f"aim (at most {args.aim:g} exits per command) for {r['label']}: "
                   f"{'met' if worst <= args.aim else 'NOT met'} ({fmt(worst)} per command at worst)")
    notes = list(args.note)
    text += details + aim + [""] + notes
    if problems:
        text += ["", "PROBLEMS:"] + [f"  {p}" for p in problems]
    report = "\n".join(text).rstrip() + "\n"

    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "bench-ide.txt"), "w") as f:
        f.write(report)
    with open(os.path.join(args.out, "bench-ide.md"), "w") as f:
        f.write("\n".join(md) + "\n\n```\n" + "\n".join(details + aim).rstrip() + "\n```\n")
        if notes:
            f.write("\n" + "\n".join(f"- {x}" for x in notes) + "\n")
    summary = {"n": n, "bytes_per_command": BS, "aim": args.aim, "problems": problems, "runs": [
        {"key": r["key"], "label": r["label"], "role": r["role"], "stat": r["stat"],
         "transport": r.get("transport"), "params_delta": r.get("params_delta"),
         "windows": {d: {k: v for k, v in r["windows"][d].items() if k not in ("device_unit",)}
                     for d in ("write", "read")}} for r in runs]}
    with open(os.path.join(args.out, "bench-ide.json"), "w") as f:
        json.dump(summary, f, indent=1)
        f.write("\n")
    sys.stdout.write(report)
    chart(runs, n, args, title)
    return 1 if problems else 0


def chart(runs, n, args, title):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(no chart: python3-matplotlib is not installed)")
        return
    labels = [r["label"] for r in runs]
    x = range(len(runs))
    width = 0.36
    fig, ax = plt.subplots(figsize=(max(7.5, 2.3 * len(runs)), 5.0))
    colors = {"write": "#c0504d", "read": "#4f81bd"}
    for i, d in enumerate(("write", "read")):
        off = (i - 0.5) * width
        vals = [r["windows"][d]["exits_per_cmd"] for r in runs]
        bars = ax.bar([xi + off for xi in x], vals, width, label=f"{d}: exits per command",
                      color=colors[d])
        for b, v in zip(bars, vals):
            ax.annotate(fmt(v), (b.get_x() + b.get_width() / 2, v), ha="center", va="bottom",
                        fontsize=9, xytext=(0, 2), textcoords="offset points")
        side = [r["windows"][d]["device_side_per_cmd"] if r["role"] != "virtio" else 0 for r in runs]
        ax.bar([xi + off for xi in x], side, width, fill=False, hatch="//", edgecolor="#555555",
               linewidth=0.6, label="IDE/BMDMA accesses QEMU's IDE model receives" if i == 0 else None)
    ax.axhline(args.aim, color="#2e7d32", linestyle="--", linewidth=1,
               label=f"aim: at most {args.aim:g} exits per command")
    ax.set_xlim(-0.5, len(runs) - 0.5)
    ax.set_xticks(list(x))
    ax.set_xticklabels(labels, fontsize=9)
    ax.set_ylabel("register accesses leaving the guest per 4 KiB command")
    sec = ax.secondary_yaxis("right", functions=(lambda v: v * MIB / BS, lambda v: v * BS / MIB))
    sec.set_ylabel("per MiB written / read")
    ax.set_title(f"{title}\n{n} x 4 KiB O_DIRECT writes and reads, QEMU trace (each access an exit under KVM)",
                 fontsize=10)
    ax.legend(fontsize=8, loc="upper right")
    ax.set_ylim(0, max(max(r["windows"][d]["device_side_per_cmd"], r["windows"][d]["exits_per_cmd"])
                       for r in runs for d in ("write", "read")) * 1.15 + 1)
    fig.tight_layout()
    path = os.path.join(args.out, "bench-ide.png")
    fig.savefig(path, dpi=120)
    print(f"chart: {path}")


if __name__ == "__main__":
    sys.exit(main())
