/// A C expression. Leaves stay text (they come from the model's C expressions); calls are
/// structured so the renderer can wrap their arguments in kernel style.
public indirect enum CExpression: Equatable, Sendable, ExpressibleByStringLiteral {
    case raw(String)
    case call(String, [CExpression])

    public init(stringLiteral value: String) { self = .raw(value) }

    public static func call(_ function: String, _ arguments: CExpression...) -> CExpression {
        .call(function, arguments)
    }

    /// The expression on one line.
    public var flat: String {
        switch self {
        case .raw(let text): text
        case .call(let function, let arguments): "\(function)(\(arguments.map(\.flat).joined(separator: ", ")))"
        }
    }
}

/// A C string literal, escaped.
public func cString(_ text: String) -> CExpression {
    var escaped = ""
    for character in text {
        switch character {
        case "\\": escaped += "\\\\"
        case "\"": escaped += "\\\""
        case "\n": escaped += "\\n"
        default: escaped.append(character)
        }
    }
    return .raw("\"\(escaped)\"")
}

/// A hexadecimal C literal, optionally zero-padded to `digits`.
public func cHex<T: BinaryInteger>(_ value: T, digits: Int = 0, suffix: String = "") -> String {
    let text = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, digits - text.count)) + text + suffix
}
