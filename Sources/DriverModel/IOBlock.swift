/// Where one instance of an I/O block sits in port space.
public enum PortBase: Codable, Sendable, Hashable {
    /// A fixed legacy address (the PIIX primary channel at 0x1f0).
    case fixed(UInt16)
    /// An offset into a PCI I/O BAR whose address the firmware assigns (BMDMA in BAR4).
    case pciBar(index: Int, offset: UInt16)
}

/// A contiguous range of ports a device decodes, present once per channel.
public struct IOBlock: Codable, Sendable, Hashable {
    public var name: String
    /// Number of ports the block decodes.
    public var size: Int
    /// One base per channel, in channel order, as the host sees them.
    public var bases: [PortBase]
    /// How the guest driver finds the base of this block for a channel: a C expression over
    /// `pdev` (the `struct pci_dev *`) and `ap` (the channel's `struct ata_port *`).
    public var guestBase: String
    public var summary: String

    public init(name: String, size: Int, bases: [PortBase], guestBase: String, summary: String) {
        self.name = name
        self.size = size
        self.bases = bases
        self.guestBase = guestBase
        self.summary = summary
    }
}
