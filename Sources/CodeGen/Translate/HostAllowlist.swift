import DriverModel

/// The ports a guest batch may touch on one device, as the host stub checks them: per channel
/// and I/O block, each register's port with the widths of the registers there. Consecutive
/// ports that accept the same widths share one range. Only the start port of an access is
/// checked, so a 4-byte register is one port that accepts width 4.
struct HostAllowlist {
    /// Where a range sits: a literal port, or an offset from a BAR the VMM assigns.
    enum Base: Hashable {
        case fixed
        case bar(Int)
    }

    struct Range: Hashable {
        var channel: Int
        var block: IOBlock
        var base: Base
        /// The fixed port or the offset into the BAR of the first and last port.
        var first: Int
        var last: Int
        var widths: [AccessWidth]
        /// `error/feature` per port of the range, for the comment beside it.
        var registers: [String]
    }

    /// One PCI I/O BAR the device's blocks live in: a parameter of the allowlist function.
    struct Bar: Hashable {
        var index: Int
        /// Ports the blocks use from the BAR's base.
        var span: Int

        var parameter: String { "bar\(index)" }
        /// PCI I/O BARs are powers of two (4 at least) and aligned to their size.
        var alignment: Int {
            var size = 4
            while size < span { size *= 2 }
            return size
        }
    }

    let device: Device
    let ranges: [Range]
    let bars: [Bar]

    init(device: Device) {
        self.device = device
        var ranges: [Range] = []
        var spans: [Int: Int] = [:]
        for channel in 0..<device.channelCount {
            for block in device.blocks where channel < block.bases.count {
                let base: Base
                let origin: Int
                switch block.bases[channel] {
                case .fixed(let port):
                    (base, origin) = (.fixed, Int(port))
                case .pciBar(let index, let offset):
                    (base, origin) = (.bar(index), Int(offset))
                    spans[index] = max(spans[index] ?? 0, Int(offset) + block.size)
                }
                let registers = device.registers.filter { $0.block == block.name }
                for offset in Set(registers.map(\.offset)).sorted() {
                    let here = registers.filter { $0.offset == offset }
                    let widths = Set(here.map(\.width)).sorted()
                    let names = here.map(\.name).joined(separator: "/")
                    if var last = ranges.last, last.channel == channel, last.block == block,
                        last.last == origin + offset - 1, last.widths == widths
                    {
                        last.last += 1
                        last.registers.append(names)
                        ranges[ranges.count - 1] = last
                    } else {
                        ranges.append(
                            Range(
                                channel: channel, block: block, base: base, first: origin + offset, last: origin + offset,
                                widths: widths, registers: [names]))
                    }
                }
            }
        }
        self.ranges = ranges
        self.bars = spans.keys.sorted().map { Bar(index: $0, span: spans[$0]!) }
    }
}
