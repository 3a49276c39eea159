#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn `kvm_rig bench` output into the benchmark's table and chart.

    bench_report.py RAW.tsv OUTDIR

Writes OUTDIR/bench-exits.txt (the table, also printed) and, when matplotlib
imports, OUTDIR/bench-exits.png. Ratios are speed-ups: the median ns of the
reference transport divided by this one's, so 5.0x means five times faster.
"""

import csv
import sys
from pathlib import Path

MODES = ["direct", "coalesced", "doorbell", "ring", "fill"]
LABELS = {
    "direct": "(1) trap-and-emulate PIO",
    "coalesced": "(2) KVM coalesced PIO",
    "doorbell": "(3) pvgen batch, PIO doorbell",
    "ring": "(4) exitless ring",
    "fill": "queue writes only (floor)",
}


def load(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    cases = []
    data = {}
    for row in rows:
        if row["case"] not in data:
            cases.append(row["case"])
            data[row["case"]] = {}
        data[row["case"]][row["mode"]] = row
    return cases, data


def ratio(reference, value):
    if reference is None or value <= 0:
        return "-"
    speedup = reference / value
    return f"{speedup:.0f}x" if speedup >= 100 else f"{speedup:.1f}x"


def table(cases, data):
    header = (f"{'case':<26} {'transport':<31} {'entries':>7} {'batches':>7} "
              f"{'exits':>6} {'traps':>6} {'ns/seq':>10} "
              f"{'vs (1)':>7} {'vs (2)':>7}")
    lines = [
        "entries/batches: planned queue entries and submissions per sequence;",
        "exits: returns to the VMM per sequence; traps: the vCPU's exits",
        "statistic per sequence (also exits KVM finishes in the kernel, such as",
        "a coalesced write); ns/seq: median over the runs; vs (1), vs (2):",
        "speed-up over trap-and-emulate and over KVM coalesced PIO.",
        "",
        header,
        "-" * len(header),
    ]
    for case in cases:
        rows = data[case]
        direct = float(rows["direct"]["ns_median"]) if "direct" in rows else None
        coalesced = (float(rows["coalesced"]["ns_median"])
                     if "coalesced" in rows else None)
        for mode in MODES:
            if mode not in rows:
                continue
            row = rows[mode]
            ns = float(row["ns_median"])
            vcpu = float(row["vcpu_exits"])
            lines.append(
                f"{case:<26} {LABELS[mode]:<31} {row['accesses']:>7} "
                f"{row['submissions']:>7} {float(row['exits']):>6.2f} "
                f"{(f'{vcpu:.2f}' if vcpu >= 0 else '-'):>6} {ns:>10,.0f} "
                f"{ratio(direct, ns):>7} {ratio(coalesced, ns):>7}")
        lines.append("")
    return "\n".join(lines)


def chart(cases, data, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    modes = [m for m in MODES if any(m in data[c] for c in cases)]
    fig, (left, right) = plt.subplots(1, 2, figsize=(15, 6))
    width = 0.8 / len(modes)
    for i, mode in enumerate(modes):
        xs = [c + (i - (len(modes) - 1) / 2) * width for c in range(len(cases))]
        ns = [float(data[c][mode]["ns_median"]) if mode in data[c] else 0
              for c in cases]
        exits = [float(data[c][mode]["exits"]) if mode in data[c] else 0
                 for c in cases]
        traps = [float(data[c][mode]["vcpu_exits"]) if mode in data[c] else 0
                 for c in cases]
        left.bar(xs, ns, width, label=LABELS[mode])
        right.bar(xs, exits, width, label=LABELS[mode])
        right.scatter(xs, traps, marker="_", s=120, color="black",
                      label="traps into KVM (all exits)" if i == 0 else None)
    for ax, title in ((left, "ns per sequence (median, log scale)"),
                      (right, "exits to the VMM per sequence (bars), "
                               "traps into KVM (marks)")):
        ax.set_xticks(range(len(cases)))
        ax.set_xticklabels(cases, rotation=30, ha="right", fontsize=8)
        ax.set_title(title)
        ax.grid(axis="y", alpha=0.3)
    left.set_yscale("log")
    right.legend(fontsize=8)
    fig.suptitle("PIIX IDE register sequences in a KVM vCPU: "
                 "trap-and-emulate vs coalesced PIO vs pvgen batch vs ring")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return True


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: bench_report.py RAW.tsv OUTDIR")
    cases, data = load(sys.argv[1])
    out = Path(sys.argv[2])
    text = table(cases, data)
    (out / "bench-exits.txt").write_text(text + "\n")
    print(text)
    png = out / "bench-exits.png"
    if chart(cases, data, png):
        print(f"chart: {png}")
    else:
        print("chart: skipped, matplotlib is not importable")


if __name__ == "__main__":
    main()
