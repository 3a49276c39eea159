/// Result builders that let translators write function bodies as nested Swift values.
@resultBuilder
public enum CBlock {
    public static func buildExpression(_ statement: CStatement) -> [CStatement] { [statement] }
    public static func buildExpression(_ statements: [CStatement]) -> [CStatement] { statements }
    /// A bare string is an expression statement.
    public static func buildExpression(_ expression: String) -> [CStatement] { [.expression(.raw(expression))] }
    public static func buildExpression(_ expression: CExpression) -> [CStatement] { [.expression(expression)] }
    public static func buildBlock(_ parts: [CStatement]...) -> [CStatement] { parts.flatMap { $0 } }
    public static func buildOptional(_ part: [CStatement]?) -> [CStatement] { part ?? [] }
    public static func buildEither(first: [CStatement]) -> [CStatement] { first }
    public static func buildEither(second: [CStatement]) -> [CStatement] { second }
    public static func buildArray(_ parts: [[CStatement]]) -> [CStatement] { parts.flatMap { $0 } }
}

public func Decl(_ type: String, _ name: String, _ initializer: String? = nil) -> CStatement {
    .declaration(CDeclaration(type, name, initializer.map { .expression(.raw($0)) }))
}

public func Decl(_ type: String, _ name: String, _ initializer: CExpression) -> CStatement {
    .declaration(CDeclaration(type, name, .expression(initializer)))
}

public func Return(_ value: String? = nil) -> CStatement { .return(value.map { .raw($0) }) }

public func Return(_ value: CExpression) -> CStatement { .return(value) }

public func If(_ condition: String, @CBlock _ then: () -> [CStatement]) -> CStatement {
    .if(condition, then(), else: nil)
}

public func If(
    _ condition: String, @CBlock _ then: () -> [CStatement], @CBlock else otherwise: () -> [CStatement]
) -> CStatement {
    .if(condition, then(), else: otherwise())
}

public func While(_ condition: String, @CBlock _ body: () -> [CStatement]) -> CStatement { .while(condition, body()) }

public func For(_ header: String, @CBlock _ body: () -> [CStatement]) -> CStatement { .for(header, body()) }

public func Switch(_ subject: String, _ cases: [CSwitchCase]) -> CStatement { .switch(subject, cases) }

public func Case(_ labels: String..., @CBlock body: () -> [CStatement]) -> CSwitchCase { CSwitchCase(labels, body()) }

public func Default(@CBlock body: () -> [CStatement]) -> CSwitchCase { CSwitchCase([], body()) }

public func Comment(_ text: String) -> CStatement { .comment(text) }

public func Call(_ function: String, _ arguments: String...) -> CExpression {
    .call(function, arguments.map { .raw($0) })
}

/// A `static` function definition.
public func Function(
    _ returnType: String, _ name: String, _ parameters: [CDeclaration], doc: KernelDoc? = nil, comment: String? = nil,
    storage: String? = "static", @CBlock body: () -> [CStatement]
) -> CTopLevel {
    .function(CFunction(doc: doc, comment: comment, storage: storage, returns: returnType, name: name, parameters: parameters, body: body()))
}

/// Parameters written as C: `"struct ata_port *ap"` splits at the last space or star.
public func Params(_ declarations: String...) -> [CDeclaration] {
    declarations.map { text in
        let split = text.lastIndex { $0 == " " || $0 == "*" }!
        let type = String(text[...split]).trimmingCharacters(in: .whitespaces)
        return CDeclaration(type, String(text[text.index(after: split)...]))
    }
}
