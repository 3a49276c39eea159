/// A fixed-width little-endian integer type of the shared header.
public enum FieldType: String, Codable, Sendable, Hashable {
    case u8 = "__u8", u16 = "__u16", u32 = "__u32", s32 = "__s32", u64 = "__u64"

    public var size: Int {
        switch self {
        case .u8: 1
        case .u16: 2
        case .u32, .s32: 4
        case .u64: 8
        }
    }
}

/// One field of a structure shared across the guest/host boundary.
public struct LayoutField: Codable, Sendable, Hashable {
    public var name: String
    public var type: FieldType
    public var offset: Int
    public var summary: String
    /// For an array field, its number of elements.
    public var elements: Int?

    public init(name: String, type: FieldType, offset: Int, summary: String, elements: Int? = nil) {
        self.name = name
        self.type = type
        self.offset = offset
        self.summary = summary
        self.elements = elements
    }

    public var size: Int { type.size * (elements ?? 1) }
    public var end: Int { offset + size }
}

/// A structure shared across the guest/host boundary, with every offset explicit.
public struct StructLayout: Codable, Sendable, Hashable {
    public var name: String
    public var size: Int
    public var fields: [LayoutField]
    public var summary: String

    public init(name: String, size: Int, fields: [LayoutField], summary: String) {
        self.name = name
        self.size = size
        self.fields = fields
        self.summary = summary
    }

    /// The largest field size: the structure's natural alignment.
    public var alignment: Int { fields.map(\.type.size).max() ?? 1 }
}
