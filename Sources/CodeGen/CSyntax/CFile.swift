/// kernel-doc for a function or a structure.
public struct KernelDoc: Equatable, Sendable {
    public var summary: String
    public var parameters: [(String, String)]
    public var body: [String]
    public var returns: String?

    public init(_ summary: String, parameters: [(String, String)] = [], body: [String] = [], returns: String? = nil) {
        self.summary = summary
        self.parameters = parameters
        self.body = body
        self.returns = returns
    }

    public static func == (lhs: KernelDoc, rhs: KernelDoc) -> Bool {
        lhs.summary == rhs.summary && lhs.body == rhs.body && lhs.returns == rhs.returns
            && lhs.parameters.count == rhs.parameters.count
            && zip(lhs.parameters, rhs.parameters).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
    }
}

/// A function definition (or a prototype, when `body` is nil).
public struct CFunction: Equatable, Sendable {
    public var doc: KernelDoc?
    public var comment: String?
    public var storage: String?
    public var returnType: String
    public var name: String
    public var parameters: [CDeclaration]
    public var body: [CStatement]?

    public init(
        doc: KernelDoc? = nil, comment: String? = nil, storage: String? = "static", returns returnType: String,
        name: String, parameters: [CDeclaration], body: [CStatement]?
    ) {
        self.doc = doc
        self.comment = comment
        self.storage = storage
        self.returnType = returnType
        self.name = name
        self.parameters = parameters
        self.body = body
    }
}

/// A member of a structure, with an optional trailing comment.
public struct CMember: Equatable, Sendable {
    public var declaration: CDeclaration
    public var comment: String?
    /// Set for a function-pointer member: `type (*name)(parameters);`, wrapped like a prototype.
    public var parameters: [CDeclaration]?

    public init(_ type: String, _ name: String, comment: String? = nil) {
        self.declaration = CDeclaration(type, name)
        self.comment = comment
    }

    /// A function-pointer member returning `returnType`.
    public init(function name: String, returns returnType: String, parameters: [CDeclaration]) {
        self.declaration = CDeclaration(returnType, name)
        self.parameters = parameters
    }
}

/// A `#define`, with an optional trailing comment.
public struct CDefine: Equatable, Sendable {
    public var name: String
    public var value: String
    public var comment: String?

    public init(_ name: String, _ value: String, comment: String? = nil) {
        self.name = name
        self.value = value
        self.comment = comment
    }
}

/// A top-level item of a C file.
public enum CTopLevel: Equatable, Sendable {
    case include(String, system: Bool)
    /// A group of defines, printed with their values aligned.
    case defines([CDefine])
    case structure(name: String, doc: KernelDoc?, members: [CMember])
    /// `enum name { A = 1, ... };`, each case with an optional value and comment.
    case enumeration(name: String, comment: String?, cases: [CDefine])
    case function(CFunction)
    case variable(storage: String, CDeclaration)
    /// A statement-like macro at file scope: `MODULE_LICENSE("GPL");`.
    case macro(CExpression)
    /// A file-scope macro that expands to a definition and takes no semicolon
    /// (QEMU's `type_init(fn)`).
    case definitionMacro(CExpression)
    case staticAssert(String, message: String)
    case comment(String)
    case includeGuard(String)
    case endIncludeGuard(String)
    /// `#ifdef NAME`, the items, then (when `else` has any) `#else` and those, `#endif`: code
    /// that depends on what the tree it is compiled in provides.
    case ifdef(String, [CTopLevel], else: [CTopLevel])
    /// Kernel-style C written out as it is: a driver's hand-written part from a template,
    /// placed after the declarations generated from its model.
    case verbatim(String)
}

/// A C source or header file.
public struct CFile: Equatable, Sendable {
    public enum Kind: Sendable { case source, header }

    public var kind: Kind
    public var license: String
    public var items: [CTopLevel]

    public init(kind: Kind, license: String = "GPL-2.0", items: [CTopLevel]) {
        self.kind = kind
        self.license = license
        self.items = items
    }
}
