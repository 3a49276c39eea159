/// A PCI device the guest drives, with the registers and access sequences of its driver.
public struct Device: Codable, Sendable, Hashable {
    /// A short lower-case identifier (`piix_ide`); generated names derive from it.
    public var name: String
    public var summary: String
    public var pciVendor: UInt16
    public var pciDevice: UInt16
    public var blocks: [IOBlock]
    public var registers: [Register]
    public var sequences: [AccessSequence]
    /// The QOM type of QEMU's model of this device (`piix3-ide`), when pvgen should generate
    /// a QEMU doorbell device that replays batches into it.
    public var qemuType: String?
    /// The stock driver that claims the same PCI ID (`ata_piix`): the generated modprobe.d file
    /// blacklists it.
    public var stockDriver: String?
    /// The PCI subsystem IDs the driver binds to, when it must not bind every device with
    /// the vendor and device ID (QEMU's PIIX3 IDE: 1af4:1100, where a real PIIX3 needs the
    /// timing programming pvgen's driver does not do).
    public var pciSubsystem: PCISubsystem?

    public init(
        name: String, summary: String, pciVendor: UInt16, pciDevice: UInt16, blocks: [IOBlock],
        registers: [Register], sequences: [AccessSequence], qemuType: String? = nil, stockDriver: String? = nil,
        pciSubsystem: PCISubsystem? = nil
    ) {
        self.name = name
        self.summary = summary
        self.pciVendor = pciVendor
        self.pciDevice = pciDevice
        self.blocks = blocks
        self.registers = registers
        self.sequences = sequences
        self.qemuType = qemuType
        self.stockDriver = stockDriver
        self.pciSubsystem = pciSubsystem
    }

    public func block(named name: String) -> IOBlock? { blocks.first { $0.name == name } }

    /// `8086:7010`.
    public var pciID: String { pciIdentifier(vendor: pciVendor, device: pciDevice) }

    /// The register a step names in the given direction.
    public func register(named name: String) -> Register? { registers.first { $0.name == name } }

    public func sequence(named name: String) -> AccessSequence? { sequences.first { $0.name == name } }

    /// Number of channels: every block has one base per channel.
    public var channelCount: Int { blocks.map(\.bases.count).max() ?? 0 }
}

/// A PCI vendor:device pair as lspci and the kernel print it (`8086:7010`).
func pciIdentifier(vendor: UInt16, device: UInt16) -> String {
    func hex4(_ value: UInt16) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 4 - digits.count) + digits
    }
    return hex4(vendor) + ":" + hex4(device)
}

/// Why a PCI vendor ID cannot be a real device's, or nil: 0xffff is what a configuration read
/// of an empty slot returns (the PCI specification makes it invalid), and 0x0000 is assigned
/// to no vendor (some boards read it from an empty slot too).
func pciVendorProblem(_ vendor: UInt16) -> String? {
    switch vendor {
    case 0x0000: "vendor 0x0000 belongs to no PCI vendor (some boards read it from an empty slot); use the device's own vendor ID"
    case 0xffff: "vendor 0xffff is what a read from an empty PCI slot returns (no device); use the device's own vendor ID"
    default: nil
    }
}

/// A PCI subsystem vendor and device ID.
public struct PCISubsystem: Codable, Sendable, Hashable {
    public var vendor: UInt16
    public var device: UInt16

    public init(vendor: UInt16, device: UInt16) {
        self.vendor = vendor
        self.device = device
    }
}
