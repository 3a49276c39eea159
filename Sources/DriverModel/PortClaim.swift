/// A range of fixed I/O ports that one part of a model decodes, named for messages. What the
/// firmware places (a PCI BAR) is not a claim: only fixed ports can collide in a model.
public struct PortClaim: Sendable, Hashable {
    /// The field that places the ports, relative to their owner (`blocks[0].bases[1]`).
    public var field: String
    public var ports: ClosedRange<Int>
    /// What decodes them, for messages (`block 'cmd' of channel 0`).
    public var what: String

    public init(field: String, ports: ClosedRange<Int>, what: String) {
        self.field = field
        self.ports = ports
        self.what = what
    }
}

/// Every device kind a model can hold says which fixed ports it decodes, so the port-space
/// checks (no two devices on one port, none on pvgen's own device) cover kinds added later.
public protocol FixedPortDecoder {
    var name: String { get }
    var fixedPorts: [PortClaim] { get }
}

extension Device: FixedPortDecoder {
    /// Each fixed base of each block, per channel.
    public var fixedPorts: [PortClaim] {
        blocks.enumerated().flatMap { blockIndex, block in
            block.bases.enumerated().compactMap { channel, base -> PortClaim? in
                guard case .fixed(let port) = base else { return nil }
                return PortClaim(
                    field: "blocks[\(blockIndex)].bases[\(channel)]", ports: Int(port)...(Int(port) + max(block.size, 1) - 1),
                    what: "block '\(block.name)' of channel \(channel)")
            }
        }
    }
}

extension NetworkDevice: FixedPortDecoder {
    /// None: its registers are memory mapped in a BAR the firmware places.
    public var fixedPorts: [PortClaim] { [] }
}
