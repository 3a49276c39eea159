/// A variable declaration, as a parameter, local, global or struct member.
public struct CDeclaration: Equatable, Sendable {
    public var type: String
    public var name: String
    public var initializer: CInitializer?

    public init(_ type: String, _ name: String, _ initializer: CInitializer? = nil) {
        self.type = type
        self.name = name
        self.initializer = initializer
    }

    /// `type name` with the pointer star next to the name, as kernel style wants.
    public var typeAndName: String {
        type.isEmpty ? name : type.hasSuffix("*") ? "\(type)\(name)" : "\(type) \(name)"
    }
}

/// An initializer: an expression, or a brace list (designated or positional).
public indirect enum CInitializer: Equatable, Sendable {
    case expression(CExpression)
    case designated([(String, CInitializer)])
    case list([CInitializer])

    public static func == (lhs: CInitializer, rhs: CInitializer) -> Bool {
        switch (lhs, rhs) {
        case (.expression(let a), .expression(let b)): a == b
        case (.list(let a), .list(let b)): a == b
        case (.designated(let a), .designated(let b)):
            a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: false
        }
    }
}

/// One `case` (or `default` when `labels` is empty) of a switch.
public struct CSwitchCase: Equatable, Sendable {
    public var labels: [String]
    public var body: [CStatement]

    public init(_ labels: [String], _ body: [CStatement]) {
        self.labels = labels
        self.body = body
    }
}

/// A C statement.
public indirect enum CStatement: Equatable, Sendable {
    case expression(CExpression)
    case declaration(CDeclaration)
    case `return`(CExpression?)
    case `if`(String, [CStatement], else: [CStatement]?)
    case `for`(String, [CStatement])
    case `while`(String, [CStatement])
    case `switch`(String, [CSwitchCase])
    case comment(String)
    case blank
    case label(String)
    case goto(String)
    case `break`
}
