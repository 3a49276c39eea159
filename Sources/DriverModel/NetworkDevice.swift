/// A bit field of a memory-mapped register.
public struct RegisterField: Codable, Sendable, Hashable {
    public var name: String
    /// The lowest bit.
    public var bit: Int
    /// Bits wide (1 for a flag).
    public var width: Int
    public var summary: String

    public init(name: String, bit: Int, width: Int = 1, summary: String) {
        self.name = name
        self.bit = bit
        self.width = width
        self.summary = summary
    }
}

/// A 32-bit register in a memory BAR, or an array of them (`elements` registers 4 bytes apart).
public struct MMIORegister: Codable, Sendable, Hashable {
    public var name: String
    public var offset: Int
    public var summary: String
    public var elements: Int?
    public var onRead: ReadEffect
    public var fields: [RegisterField]

    public init(
        name: String, offset: Int, summary: String, elements: Int? = nil, onRead: ReadEffect = .none,
        fields: [RegisterField] = []
    ) {
        self.name = name
        self.offset = offset
        self.summary = summary
        self.elements = elements
        self.onRead = onRead
        self.fields = fields
    }

    public var end: Int { offset + 4 * (elements ?? 1) }
}

/// How the generated network driver uses its rings and its interrupt.
public struct NetworkRings: Codable, Sendable, Hashable {
    /// Descriptors per ring: a power of two, at least 8 (the ring length in bytes is a
    /// multiple of 128).
    public var txEntries: Int
    public var rxEntries: Int
    /// Receive buffer size, as RCTL.BSIZE selects it.
    public var rxBufferBytes: Int
    /// Consumed receive descriptors owed to the device before one RDT write hands them back.
    public var rxKick: Int
    /// Interrupts per second the device may raise at most (ITR, written once at open; the
    /// driver's `itr` parameter overrides it).
    public var interruptRate: Int

    public init(txEntries: Int, rxEntries: Int, rxBufferBytes: Int, rxKick: Int, interruptRate: Int) {
        self.txEntries = txEntries
        self.rxEntries = rxEntries
        self.rxBufferBytes = rxBufferBytes
        self.rxKick = rxKick
        self.interruptRate = interruptRate
    }
}

/// A PCI network controller whose registers are memory mapped, driven by a generated driver
/// that touches a register only where the device needs it: no NAPI, no per-interrupt
/// masking, one tail write per burst.
public struct NetworkDevice: Codable, Sendable, Hashable {
    public var name: String
    public var summary: String
    public var pciVendor: UInt16
    public var pciDevice: UInt16
    /// The memory BAR that holds the registers, and its size in bytes.
    public var bar: Int
    public var barSize: Int
    public var registers: [MMIORegister]
    public var rings: NetworkRings
    /// What QEMU calls the device (`-device e1000`), for the tests and benchmarks.
    public var qemuType: String?
    /// The stock driver that claims the same PCI ID (`e1000`): the generated modprobe.d file
    /// blacklists it.
    public var stockDriver: String?

    public init(
        name: String, summary: String, pciVendor: UInt16, pciDevice: UInt16, bar: Int, barSize: Int,
        registers: [MMIORegister], rings: NetworkRings, qemuType: String? = nil, stockDriver: String? = nil
    ) {
        self.name = name
        self.summary = summary
        self.pciVendor = pciVendor
        self.pciDevice = pciDevice
        self.bar = bar
        self.barSize = barSize
        self.registers = registers
        self.rings = rings
        self.qemuType = qemuType
        self.stockDriver = stockDriver
    }

    public func register(named name: String) -> MMIORegister? { registers.first { $0.name == name } }

    /// `8086:100e`.
    public var pciID: String { pciIdentifier(vendor: pciVendor, device: pciDevice) }
}
