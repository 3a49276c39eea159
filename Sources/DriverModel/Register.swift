/// Which directions the driver may access a register in.
public enum RegisterAccess: String, Codable, Sendable, Hashable {
    case read
    case write
    case readWrite = "read_write"

    public var canRead: Bool { self != .write }
    public var canWrite: Bool { self != .read }
}

/// What a write to a register sets off in the device.
///
/// A triggering write hands control to the device (the ATA command register starts a command,
/// the BMDMA start bit starts a transfer): what the driver does next depends on the device, so
/// a batch must end there.
public enum WriteEffect: Codable, Sendable, Hashable {
    /// The write only latches a value.
    case latches
    /// Every write triggers the device.
    case triggers
    /// A write triggers the device when any of these bits is set in the written value.
    case triggersWhenSet(UInt32)

    /// Whether a write whose value can only have bits within `possibleBits` triggers the device.
    public func triggers(possibleBits: UInt32) -> Bool {
        switch self {
        case .latches: false
        case .triggers: true
        case .triggersWhenSet(let bits): bits & possibleBits != 0
        }
    }
}

/// What a read of a register does to the device.
public enum ReadEffect: String, Codable, Sendable, Hashable {
    /// Reading changes nothing (the ATA alternate status register).
    case none
    /// Reading acknowledges or clears device state (the ATA status register clears INTRQ).
    case clearsState = "clears_state"
}

/// One register of a device: a port at an offset inside one of the device's I/O blocks.
///
/// A read-only and a write-only register may share an offset (ATA status and command).
public struct Register: Codable, Sendable, Hashable {
    public var name: String
    public var block: String
    public var offset: Int
    public var width: AccessWidth
    public var access: RegisterAccess
    public var onWrite: WriteEffect
    public var onRead: ReadEffect
    /// Named bits: the C constant the driver's own headers give each (`ATA_DMA_START`), so that
    /// generated masks read as bits, not numbers.
    public var bits: [RegisterBit]?
    public var summary: String

    public init(
        name: String, block: String, offset: Int, width: AccessWidth, access: RegisterAccess,
        onWrite: WriteEffect = .latches, onRead: ReadEffect = .none, bits: [RegisterBit]? = nil, summary: String
    ) {
        self.name = name
        self.block = block
        self.offset = offset
        self.width = width
        self.access = access
        self.onWrite = onWrite
        self.onRead = onRead
        self.bits = bits
        self.summary = summary
    }
}

/// One named bit (or field mask) of a register.
public struct RegisterBit: Codable, Sendable, Hashable {
    /// The C constant that names it, from the kernel's headers (`ATA_DMA_WR`).
    public var name: String
    public var mask: UInt32

    public init(name: String, mask: UInt32) {
        self.name = name
        self.mask = mask
    }
}

extension Register {
    /// A keep mask in C: the named bits it clears, as `(u8)~(A | B)`, when they are exactly the
    /// bits it clears; the number otherwise.
    public func keepExpression(_ keep: UInt32, hex: (UInt32) -> String) -> String {
        let all = UInt32(truncatingIfNeeded: width.maxValue)
        let cleared = all & ~keep
        guard cleared != 0, let bits else { return hex(keep) }
        let named = bits.filter { $0.mask & cleared == $0.mask }
        guard named.reduce(0, { $0 | $1.mask }) == cleared else { return hex(keep) }
        let names = named.map(\.name)
        let operand = names.count == 1 ? names[0] : "(" + names.joined(separator: " | ") + ")"
        return "(u\(width.bits))~\(operand)"
    }
}
