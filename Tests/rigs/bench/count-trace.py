#!/usr/bin/env python3
"""count-trace.py TRACE [--json OUT]: the register accesses of the measured windows of a
QEMU trace written by scripts/bench-ide.sh, split into what leaves the guest and what
pvgen's device replays inside a batch.

TRACE is QEMU's log-backend trace (-trace events=...,file=TRACE) with the events
memory_region_ops_read/_write, virtio_queue_notify and the pvgen_batch_* events of the
generated device. The guest (Tests/rigs/bench/ide-workload.sh) writes the markers 0xa1,
0xa2, 0xa3 to port 0x80: the "write" window lies between 0xa1 and 0xa2, the "read" window
between 0xa2 and 0xa3. The markers are taken in that order only, so the kernel's own port
0x80 delay writes (outb_p) cannot open or close a window.

Each memory_region_ops access a vCPU made (cpu >= 0) in a window is one of:
  replayed      inside pvgen_batch_doorbell/pvgen_batch_hypercall .. pvgen_batch_done:
                the device replaying a queue entry (no exit of its own)
  ide           a direct access to the IDE/BMDMA registers (an exit under KVM)
  doorbell      an access to the pvgen-batch port (the OUT that hands over a queue)
  virtio        virtio-pci registers other than the notify region (exits)
  notify-mmio   a write to the virtio-pci-notify region, should one be traced: the notify
                is counted once, as the virtio_queue_notify event (QEMU 7.2 dispatches the
                notify through its ioeventfd before memory_region_ops is traced, under TCG
                as under KVM, so this stays 0)
  other         everything else: "lapic" (the LAPIC registers in TCG's apic-msi region:
                EOIs, the timer), IOAPIC, HPET, ...: interrupt and timer traffic, the same
                for every disk driver and not the disk path
Not guest accesses, only listed: those with cpu -1 (QEMU's main loop, e.g. a device's
MSI) and MSI-form writes to apic-msi (offset above 0xfff or below 0x10: QEMU's IOAPIC
delivering an interrupt, also from the vCPU thread when a device raises its IRQ while
the vCPU's access is emulated). Events counted as exits: pvgen_batch_hypercall (one
vmcall/vmmcall each) and virtio_queue_notify (one notify register write each).

The device-side sequence of a window is the ordered (direction, port, width) of every
IDE/BMDMA access the emulated controller received, direct or replayed.
"""
import argparse
import collections
import json
import re
import sys

ACCESS = re.compile(
    r"^memory_region_ops_(read|write) cpu (-?\d+) mr \S+ addr (0x[0-9a-f]+) "
    r"value (0x[0-9a-f]+) size (\d+) name '([^']*)'")
EVENT = re.compile(r"^([a-z0-9_]+) ")
# QEMU's region names for the PIIX IDE ports: "ide" (command block and control port),
# "piix-bmdma" (BMDMA command/status), "bmdma" (the PRD table address).
IDE_REGIONS = ("ide", "piix-bmdma", "bmdma")
DOORBELL_REGION = "pvgen-batch"
MARKER_PORT = 0x80
MARKERS = (0xa1, 0xa2, 0xa3)
WINDOWS = ("write", "read")


APIC_REGION = "apic-msi"
APIC_BASE = 0xfee00000


def is_msi_delivery(addr):
    """TCG's apic-msi region holds both the LAPIC registers and MSI delivery; QEMU's
    apic_mem_write takes an offset above 0xfff or in the first 16 bytes as an MSI."""
    offset = addr - APIC_BASE
    return offset < 0 or offset > 0xfff or ((offset >> 4) & 0xff) == 0


def is_ide(name):
    return name in IDE_REGIONS or name.startswith("ide")


def new_window():
    return {
        "exits": collections.Counter(),      # kind -> count (what leaves the guest)
        "other": collections.Counter(),      # region name -> count (interrupt/timer traffic)
        "device_originated": collections.Counter(),  # region name -> count (cpu -1)
        "replayed": collections.Counter(),   # region name -> count
        "replayed_events": 0,                # pvgen_batch_in/_out events (cross-check)
        "batches": [],                       # each: {"via": ..., "entries": [...]}
        "device_sequence": [],               # "R1:0x1f7" ... as the IDE model saw them
        "ata_commands": 0,                   # writes to the ATA command register
        "notify_mmio": 0,
        "lines": 0,
    }


def count(path):
    windows = {w: new_window() for w in WINDOWS}
    state = 0  # index into MARKERS of the next marker expected
    current = None
    batch = None  # the open batch, or None
    unclosed = 0
    for line in open(path, errors="replace"):
        m = ACCESS.match(line)
        if m:
            rw, cpu, addr, value, size, name = m.groups()
            cpu, addr, value, size = int(cpu), int(addr, 16), int(value, 16), int(size)
            if (cpu >= 0 and rw == "write" and addr == MARKER_PORT and size == 1
                    and state < len(MARKERS) and value == MARKERS[state] and batch is None):
                state += 1
                current = WINDOWS[state - 1] if state <= len(WINDOWS) else None
                continue
            if current is None:
                continue
            w = windows[current]
            w["lines"] += 1
            if cpu < 0:
                w["device_originated"][name] += 1
                continue
            if name == APIC_REGION and is_msi_delivery(addr):
                # QEMU's IOAPIC or a device delivering an interrupt from the vCPU thread
                # (an IRQ raised while the vCPU's own access is emulated): not the guest's.
                w["device_originated"][name + " (interrupt delivery)"] += 1
                continue
            tag = f"{rw[0].upper()}{size}:{addr:#x}"
            if batch is not None:
                w["replayed"][name] += 1
                batch["entries"].append(tag if is_ide(name) else f"{tag}({name})")
                if is_ide(name):
                    w["device_sequence"].append(tag)
                    if rw == "write" and addr in (0x1f7, 0x177):
                        w["ata_commands"] += 1
                continue
            if is_ide(name):
                w["exits"]["ide"] += 1
                w["device_sequence"].append(tag)
                if rw == "write" and addr in (0x1f7, 0x177):
                    w["ata_commands"] += 1
            elif name == DOORBELL_REGION:
                w["exits"]["doorbell-" + ("out" if rw == "write" else "in")] += 1
            elif name.startswith("virtio-pci-notify"):
                w["notify_mmio"] += 1
            elif name.startswith("virtio"):
                w["exits"]["virtio"] += 1
            elif name == "ioport80" and addr == MARKER_PORT:
                w["other"]["ioport80"] += 1
            elif name == APIC_REGION:
                w["other"]["lapic"] += 1
            else:
                w["other"][name] += 1
            continue
        e = EVENT.match(line)
        if not e:
            continue
        event = e.group(1)
        w = windows[current] if current is not None else None
        if event.startswith("pvgen_batch_hypercall") or event == "pvgen_batch_doorbell":
            via = "hypercall" if "hypercall" in event else "doorbell"
            if batch is not None:
                unclosed += 1
            batch = {"via": via, "entries": []}
            if w is not None:
                if via == "hypercall":
                    w["exits"]["hypercall"] += 1
                w["batches"].append(batch)
        elif event == "pvgen_batch_done":
            batch = None
        elif event in ("pvgen_batch_in", "pvgen_batch_out"):
            if w is not None:
                w["replayed_events"] += 1
        elif event == "virtio_queue_notify":
            if w is not None:
                w["exits"]["virtio-notify"] += 1
    result = {"trace": path, "markers_seen": state, "unclosed_batches": unclosed, "windows": {}}
    for name, w in windows.items():
        result["windows"][name] = {
            "exits": dict(w["exits"]),
            "exits_total": sum(w["exits"].values()),
            "other": dict(w["other"]),
            "device_originated": dict(w["device_originated"]),
            "replayed": dict(w["replayed"]),
            "replayed_total": sum(w["replayed"].values()),
            "replayed_events": w["replayed_events"],
            "notify_mmio": w["notify_mmio"],
            "ata_commands": w["ata_commands"],
            "device_sequence": w["device_sequence"],
            "batches": [{"via": b["via"], "entries": b["entries"]} for b in w["batches"]],
        }
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("trace")
    ap.add_argument("--json", help="write the counts here")
    args = ap.parse_args()
    result = count(args.trace)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)
            f.write("\n")
    if result["markers_seen"] != len(MARKERS):
        print(f"{args.trace}: saw {result['markers_seen']} of the {len(MARKERS)} markers",
              file=sys.stderr)
        return 1
    for name in WINDOWS:
        w = result["windows"][name]
        print(f"{name}: exits {w['exits_total']} {w['exits']}; replayed {w['replayed_total']}; "
              f"device-side IDE accesses {len(w['device_sequence'])}; ATA commands "
              f"{w['ata_commands']}; other {w['other']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
