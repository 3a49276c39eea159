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
    /// For a block a channel may lack: the C condition (over `ap`) under which it is there. A
    /// channel without it gets base 0 and the driver makes no access to it (libata drops BMDMA
    /// and falls back to PIO when BAR4 is zero: `ap->ioaddr.bmdma_addr`).
    public var presentWhen: String?
    public var summary: String

    public init(name: String, size: Int, bases: [PortBase], guestBase: String, presentWhen: String? = nil, summary: String) {
        self.name = name
        self.size = size
        self.bases = bases
        self.guestBase = guestBase
        self.presentWhen = presentWhen
        self.summary = summary
    }
}
