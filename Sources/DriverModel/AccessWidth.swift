/// The width of one port access, in bytes, as the ABI entry carries it.
public enum AccessWidth: Int, Codable, Sendable, Hashable, Comparable, CaseIterable {
    case byte = 1
    case word = 2
    case dword = 4

    public var bits: Int { rawValue * 8 }

    /// The suffix of the kernel's port accessors: `outb`, `outw`, `outl`.
    public var portAccessorSuffix: String {
        switch self {
        case .byte: "b"
        case .word: "w"
        case .dword: "l"
        }
    }

    public var maxValue: UInt64 { (UInt64(1) << UInt64(bits)) - 1 }

    public static func < (lhs: AccessWidth, rhs: AccessWidth) -> Bool { lhs.rawValue < rhs.rawValue }
}
