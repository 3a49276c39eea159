#!/usr/bin/env python3
"""count-e1000.py TRACE [--mb N] [--guest GUEST_TXT] [--json OUT]: the e1000 register
accesses of each phase of a QEMU trace written by run-transfer.sh.

TRACE is QEMU's log-backend trace with memory_region_ops_read/_write. The guest
(guest-transfer.sh) writes markers to port 0x80 that open its phases: 0xb1 probe,
0xb2 open, 0xb3 idle-setup, 0xa1 "in" (host -> guest), 0xa2 "out" (guest -> host),
0xa3 idle-checks, 0xb4 stop, 0xb5 reopen, 0xb6 remove, 0xb7 end. Markers are taken in
that order only, so the kernel's own port 0x80 delay writes cannot open or close a
phase (the same rule as Tests/rigs/bench/count-trace.py).

Counted per window: every access a vCPU made (cpu >= 0) to the e1000's MMIO BAR
("e1000-mmio") or I/O BAR ("e1000-io"), by register and direction; under KVM each is
one exit. Other regions are listed apart: the LAPIC ("lapic": EOIs and the timer,
interrupt and timer traffic), MSI-form writes and cpu -1 accesses (interrupt deliveries
by QEMU, not guest accesses), and anything else. With --guest, the interrupt counts and
byte counts the guest printed for each window are added, and everything is also given
per MiB of payload (--mb, the MiB moved in each window's direction).
"""
import argparse
import collections
import json
import re
import sys

ACCESS = re.compile(
    r"^(?:\d+@[\d.]+:)?memory_region_ops_(read|write) cpu (-?\d+) mr \S+ addr (0x[0-9a-f]+) "
    r"value (0x[0-9a-f]+) size (\d+) name '([^']*)'")
MARKER_PORT = 0x80
# (marker, the phase it opens), in the order the guest writes them.
MARKERS = ((0xb1, "probe"), (0xb2, "open"), (0xb3, "idle-setup"), (0xa1, "in"),
           (0xa2, "out"), (0xa3, "idle-checks"), (0xb4, "stop"), (0xb5, "reopen"),
           (0xb6, "remove"), (0xb7, None))
WINDOWS = tuple(name for _, name in MARKERS if name)
DATA_WINDOWS = ("in", "out")
APIC_REGION = "apic-msi"
APIC_BASE = 0xfee00000

# 8254x register offsets (the ones a driver for the 82540EM may touch).
REGS = {
    0x0000: "CTRL", 0x0008: "STATUS", 0x0010: "EECD", 0x0014: "EERD", 0x0018: "CTRL_EXT",
    0x0020: "MDIC", 0x0028: "FCAL", 0x002c: "FCAH", 0x0030: "FCT", 0x0038: "VET",
    0x00c0: "ICR", 0x00c4: "ITR", 0x00c8: "ICS", 0x00d0: "IMS", 0x00d8: "IMC",
    0x0100: "RCTL", 0x0170: "FCTTV", 0x0400: "TCTL", 0x0410: "TIPG", 0x0e00: "LEDCTL",
    0x1000: "PBA", 0x2160: "FCRTL", 0x2168: "FCRTH",
    0x2800: "RDBAL", 0x2804: "RDBAH", 0x2808: "RDLEN", 0x2810: "RDH", 0x2818: "RDT",
    0x2820: "RDTR", 0x282c: "RADV", 0x2c00: "RSRPD",
    0x3800: "TDBAL", 0x3804: "TDBAH", 0x3808: "TDLEN", 0x3810: "TDH", 0x3818: "TDT",
    0x3820: "TIDV", 0x3828: "TXDCTL", 0x382c: "TADV",
    0x5000: "RXCSUM", 0x5400: "RAL0", 0x5404: "RAH0", 0x5800: "WUC", 0x5808: "WUFC",
    0x5820: "MANC",
}


def reg_name(addr):
    if addr in REGS:
        return REGS[addr]
    if 0x4000 <= addr < 0x4200:
        return "STATS"  # statistics counters (CRCERRS .. TSCTFC), read by watchdogs
    if 0x5200 <= addr < 0x5400:
        return "MTA[]"
    if 0x5400 <= addr < 0x5480:
        return "RA[]"
    if 0x5600 <= addr < 0x5800:
        return "VFTA[]"
    return f"0x{addr:04x}"


def is_msi_delivery(addr):
    offset = addr - APIC_BASE
    return offset < 0 or offset > 0xfff or ((offset >> 4) & 0xff) == 0


def new_window():
    return {"e1000": collections.Counter(), "other": collections.Counter(),
            "device_originated": collections.Counter(), "sequence": [],
            "icr_values": collections.Counter()}


def count(path):
    windows = {w: new_window() for w in WINDOWS}
    state = 0
    current = None
    for line in open(path, errors="replace"):
        m = ACCESS.match(line)
        if not m:
            continue
        rw, cpu, addr, value, size, name = m.groups()
        cpu, addr, value, size = int(cpu), int(addr, 16), int(value, 16), int(size)
        if (cpu >= 0 and rw == "write" and addr == MARKER_PORT and size == 1
                and state < len(MARKERS) and value == MARKERS[state][0]):
            current = MARKERS[state][1]
            state += 1
            continue
        if current is None:
            continue
        w = windows[current]
        if cpu < 0:
            w["device_originated"][name] += 1
            continue
        if name == "e1000-mmio" or name == "e1000-io":
            # The trace has absolute addresses; the BARs are naturally aligned
            # (128 KiB MMIO, 64-byte I/O).
            if name == "e1000-mmio":
                key = f"{'R' if rw == 'read' else 'W'} {reg_name(addr & 0x1ffff)}"
            else:
                key = f"{'R' if rw == 'read' else 'W'} io+0x{addr & 0x3f:02x}"
            w["e1000"][key] += 1
            if key == "R ICR":
                w["icr_values"][f"0x{value:x}"] += 1
            seq = w["sequence"]
            if current in DATA_WINDOWS and len(seq) >= 200:
                continue
            # Run-length: consecutive accesses to one register with one value.
            item = f"{key}=0x{value:x}"
            if seq and seq[-1][0] == item:
                seq[-1][1] += 1
            else:
                seq.append([item, 1])
        elif name == APIC_REGION:
            if is_msi_delivery(addr):
                w["device_originated"]["apic-msi (interrupt delivery)"] += 1
            else:
                w["other"]["lapic"] += 1
        elif name == "ioport80":
            w["other"]["ioport80"] += 1
        else:
            w["other"][name] += 1
    return state, windows


def guest_lines(path):
    """The 'window NAME irqs=.. rx_bytes=..' lines guest-transfer.sh prints."""
    out = {}
    if not path:
        return out
    for line in open(path, errors="replace"):
        m = re.search(r"PVGEN: net window (\w+) (.*)", line)
        if m:
            out[m.group(1)] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", m.group(2))}
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("trace")
    ap.add_argument("--mb", type=float, default=0, help="MiB moved in each window")
    ap.add_argument("--guest", help="guest.txt of run-transfer.sh (interrupt counts)")
    ap.add_argument("--json", help="write the counts here")
    args = ap.parse_args()
    state, windows = count(args.trace)
    guest = guest_lines(args.guest)
    result = {"trace": args.trace, "markers_seen": state, "mb": args.mb, "windows": {}}
    for name in WINDOWS:
        w = windows[name]
        total = sum(w["e1000"].values())
        g = guest.get(name, {})
        r = {
            "e1000_total": total,
            "e1000": dict(sorted(w["e1000"].items(), key=lambda kv: -kv[1])),
            "other": dict(w["other"]),
            "device_originated": dict(w["device_originated"]),
            "guest": g,
            "icr_values": dict(w["icr_values"].most_common()),
            "sequence": [f"{i} x{n}" if n > 1 else i for i, n in w["sequence"]],
        }
        if args.mb and name in DATA_WINDOWS:
            r["e1000_per_mib"] = round(total / args.mb, 1)
            r["e1000_per_mib_by_reg"] = {k: round(v / args.mb, 1) for k, v in r["e1000"].items()}
            if "irqs" in g:
                r["irqs_per_mib"] = round(g["irqs"] / args.mb, 1)
            r["lapic_per_mib"] = round(w["other"].get("lapic", 0) / args.mb, 1)
        result["windows"][name] = r
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)
            f.write("\n")
    if state != len(MARKERS):
        print(f"{args.trace}: saw {state} of the {len(MARKERS)} markers", file=sys.stderr)
        return 1
    for name in WINDOWS:
        r = result["windows"][name]
        per = f", {r['e1000_per_mib']}/MiB" if "e1000_per_mib" in r else ""
        irq = f", irqs {r['guest']['irqs']} ({r.get('irqs_per_mib')}/MiB)" if "irqs" in r["guest"] else ""
        if not r["e1000_total"] and name not in DATA_WINDOWS:
            print(f"{name}: no e1000 accesses")
            continue
        print(f"{name}: e1000 accesses {r['e1000_total']}{per}{irq}; lapic {r['other'].get('lapic', 0)}")
        if r["icr_values"]:
            print(f"    ICR values read: {r['icr_values']}")
        for k, v in r["e1000"].items():
            pm = f"  {v / args.mb:9.1f}/MiB" if "e1000_per_mib" in r else ""
            print(f"    {k:14s} {v:8d}{pm}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
