/// Prints C syntax values as Linux kernel style text: tabs of eight, K&R braces with function
/// braces on their own line, `case` aligned with `switch`, calls and signatures wrapped at 80
/// columns with continuations aligned to the open parenthesis, a blank line after declarations,
/// no braces around single statements, `/* */` comments and kernel-doc. The only place in
/// pvgen that knows C's concrete syntax.
public struct KernelStyleRenderer {
    public let style: RenderStyle

    public init(style: RenderStyle = .kernel) { self.style = style }

    public func render(_ file: CFile) -> String {
        var writer = KernelStyleWriter(style: style)
        switch file.kind {
        case .source where style.spdxLineComment: writer.line("// SPDX-License-Identifier: \(file.license)")
        case .source: writer.line("/* SPDX-License-Identifier: \(file.license) */")
        case .header: writer.line("/* SPDX-License-Identifier: \(file.license) */")
        }
        renderItems(file.items, into: &writer)
        return writer.text
    }

    /// Top-level items, a blank line between those that do not share a paragraph.
    func renderItems(_ items: [CTopLevel], into writer: inout KernelStyleWriter) {
        var previous: CTopLevel?
        for item in items {
            if let previous, !Self.groupsWith(previous, item) { writer.blank() }
            render(item, into: &writer)
            previous = item
        }
    }

    /// Consecutive includes and consecutive file-scope macros share a paragraph.
    static func groupsWith(_ previous: CTopLevel, _ next: CTopLevel) -> Bool {
        switch (previous, next) {
        case (.include, .include), (.macro, .macro), (.staticAssert, .staticAssert): true
        // A short comment introduces what follows it.
        case (.comment(let text), .defines), (.comment(let text), .enumeration), (.comment(let text), .structure):
            !text.contains("\n")
        default: false
        }
    }

    func render(_ item: CTopLevel, into writer: inout KernelStyleWriter) {
        switch item {
        case .include(let path, let system):
            writer.line(system ? "#include <\(path)>" : "#include \"\(path)\"")
        case .defines(let defines):
            renderDefines(defines, into: &writer)
        case .structure(let name, let doc, let members):
            if let doc { renderDoc(doc, title: "struct \(name)", into: &writer) }
            writer.line("struct \(name) {")
            writer.indented { writer in
                for member in members {
                    if let parameters = member.parameters {
                        let head = CDeclaration(member.declaration.type, "(*\(member.declaration.name))(").typeAndName
                        let list = parameters.isEmpty ? ["void"] : parameters.map(\.typeAndName)
                        renderList(prefix: head, list, suffix: ");", into: &writer)
                        continue
                    }
                    let text = member.declaration.typeAndName + ";"
                    if let comment = member.comment {
                        writer.line(text + commentSeparator + "/* \(comment) */")
                    } else {
                        writer.line(text)
                    }
                }
            }
            writer.line("};")
        case .enumeration(let name, let comment, let cases):
            if let comment { renderComment(comment, into: &writer) }
            writer.line("enum \(name) {")
            writer.indented { writer in
                let nameColumn = cases.map(\.name.count).max() ?? 0
                let valueColumn = ((writer.column + nameColumn) / KernelStyleWriter.tabWidth + 1) * KernelStyleWriter.tabWidth
                for item in cases {
                    var text = item.name
                    if !item.value.isEmpty {
                        text += tabs(from: writer.column + item.name.count, to: valueColumn) + "= " + item.value
                    }
                    text += ","
                    if let comment = item.comment { text += commentSeparator + "/* \(comment) */" }
                    writer.line(text)
                }
            }
            writer.line("};")
        case .function(let function):
            renderFunction(function, into: &writer)
        case .variable(let storage, let declaration):
            let head = (storage.isEmpty ? "" : storage + " ") + declaration.typeAndName
            if let initializer = declaration.initializer {
                renderInitialized(head: head, initializer, into: &writer)
            } else {
                writer.line(head + ";")
            }
        case .macro(let expression):
            renderWrapped(prefix: "", expression, suffix: ";", into: &writer)
        case .definitionMacro(let expression):
            renderWrapped(prefix: "", expression, suffix: "", into: &writer)
        case .staticAssert(let condition, let message):
            renderWrapped(prefix: "", .call("_Static_assert", .raw(condition), cString(message)), suffix: ";", into: &writer)
        case .comment(let text):
            renderComment(text, into: &writer)
        case .verbatim(let text):
            for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast(text.hasSuffix("\n") ? 1 : 0) {
                writer.raw(String(line))
            }
        case .includeGuard(let name):
            writer.line("#ifndef \(name)")
            writer.line("#define \(name)")
        case .endIncludeGuard(let name):
            writer.line("#endif /* \(name) */")
        case .ifdef(let name, let items, let otherwise):
            // Directives stay in column 0 in both styles; the branches keep their paragraphs.
            writer.line("#ifdef \(name)")
            renderItems(items, into: &writer)
            if !otherwise.isEmpty {
                writer.line("#else")
                renderItems(otherwise, into: &writer)
            }
            writer.line("#endif /* \(name) */")
        }
    }

    func renderDefines(_ defines: [CDefine], into writer: inout KernelStyleWriter) {
        let nameColumn = defines.map { "#define \($0.name)".count }.max() ?? 0
        // Values start at the first tab stop past the longest name.
        let valueColumn = (nameColumn / KernelStyleWriter.tabWidth + 1) * KernelStyleWriter.tabWidth
        for define in defines {
            var text = "#define \(define.name)"
            text += tabs(from: text.count, to: valueColumn) + define.value
            if let comment = define.comment {
                text += commentSeparator + "/* \(comment) */"
            }
            writer.line(text)
        }
    }

    /// What separates code from a trailing comment.
    var commentSeparator: String { style.usesTabs ? "\t" : "  " }

    /// Tabs (or, without tabs, spaces) from `column` to `target`, at least one.
    func tabs(from column: Int, to target: Int) -> String {
        guard style.usesTabs else { return String(repeating: " ", count: max(1, target - column)) }
        var text = ""
        var position = column
        repeat {
            text += "\t"
            position = (position / KernelStyleWriter.tabWidth + 1) * KernelStyleWriter.tabWidth
        } while position < target
        return text
    }

    // MARK: Comments

    func renderComment(_ text: String, into writer: inout KernelStyleWriter) {
        let limit = KernelStyleWriter.preferredColumns - writer.column - 3
        if !text.contains("\n"), text.count + 6 <= limit + 3 {
            writer.line("/* \(text) */")
            return
        }
        // Paragraphs (separated by a blank line) are reflowed to the width.
        let paragraphs = text.components(separatedBy: "\n\n").map { $0.replacingOccurrences(of: "\n", with: " ") }
        let lines = paragraphs.enumerated().flatMap { index, paragraph in
            (index == 0 ? [] : [""]) + wrap(paragraph, width: limit)
        }
        writer.line("/*")
        for line in lines { writer.line(line.isEmpty ? " *" : " * " + line) }
        writer.line(" */")
    }

    /// Words of `text` in lines of at most `width` characters (a longer word stands alone).
    func wrap(_ text: String, width: Int) -> [String] {
        guard text.count > width else { return [text] }
        var lines: [String] = []
        var current = ""
        for word in text.split(separator: " ") {
            if !current.isEmpty, current.count + 1 + word.count > width {
                lines.append(current)
                current = String(word)
            } else {
                current += (current.isEmpty ? "" : " ") + word
            }
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }

    func renderDoc(_ doc: KernelDoc, title: String, into writer: inout KernelStyleWriter) {
        let width = KernelStyleWriter.preferredColumns - writer.column - 3
        writer.line("/**")
        for line in wrap("\(title) - \(doc.summary)", width: width) { writer.line(" * " + line) }
        for (name, text) in doc.parameters {
            for line in wrap("@\(name): \(text)", width: width) { writer.line(" * " + line) }
        }
        if !doc.body.isEmpty {
            writer.line(" *")
            for line in doc.body { writer.line(line.isEmpty ? " *" : " * " + line) }
        }
        if let returns = doc.returns {
            writer.line(" *")
            writer.line(" * Return: \(returns)")
        }
        writer.line(" */")
    }

    // MARK: Functions

    func renderFunction(_ function: CFunction, into writer: inout KernelStyleWriter) {
        if let doc = function.doc { renderDoc(doc, title: "\(function.name)()", into: &writer) }
        if let comment = function.comment { renderComment(comment, into: &writer) }
        let head = [function.storage, function.returnType].compactMap { $0 }.joined(separator: " ")
        let prefix = head.hasSuffix("*") ? head + function.name : head + " " + function.name
        let parameters = function.parameters.isEmpty ? ["void"] : function.parameters.map(\.typeAndName)
        guard let body = function.body else {
            renderList(prefix: prefix + "(", parameters, suffix: ");", into: &writer)
            return
        }
        renderList(prefix: prefix + "(", parameters, suffix: ")", into: &writer)
        writer.line("{")
        writer.indented { renderBlock(body, into: &$0) }
        writer.line("}")
    }

    /// `prefix` items joined by ", " then `suffix`; past 80 columns, one continuation line per
    /// overflow, aligned with the character after `prefix` (the open parenthesis).
    func renderList(prefix: String, _ items: [String], suffix: String, into writer: inout KernelStyleWriter) {
        let flat = prefix + items.joined(separator: ", ") + suffix
        if writer.column + KernelStyleWriter.width(of: flat, from: writer.column) <= KernelStyleWriter.preferredColumns
            || items.count < 2
        {
            writer.line(flat)
            return
        }
        let alignColumn = writer.column + KernelStyleWriter.width(of: prefix, from: writer.column)
        let continuation = writer.padding(toColumn: alignColumn)
        var current = prefix
        var currentIsFresh = true
        var lines: [String] = []
        for (index, item) in items.enumerated() {
            let piece = item + (index == items.count - 1 ? suffix : ",")
            let candidate = current + (currentIsFresh ? "" : " ") + piece
            let startColumn = lines.isEmpty ? writer.column : 0
            if !currentIsFresh,
                startColumn + KernelStyleWriter.width(of: candidate, from: startColumn) > KernelStyleWriter.preferredColumns
            {
                lines.append(current)
                current = continuation + piece
            } else {
                current = candidate
            }
            currentIsFresh = false
        }
        lines.append(current)
        writer.line(lines[0])
        // Continuation lines carry their own absolute padding.
        let depth = writer.depth
        writer.depth = 0
        for line in lines.dropFirst() { writer.line(line) }
        writer.depth = depth
    }

    func renderWrapped(prefix: String, _ expression: CExpression, suffix: String, into writer: inout KernelStyleWriter) {
        switch expression {
        case .raw(let text):
            writer.line(prefix + text + suffix)
        case .call(let function, let arguments):
            renderList(prefix: prefix + function + "(", arguments.map(\.flat), suffix: ")" + suffix, into: &writer)
        }
    }

    // MARK: Initializers

    func renderInitialized(head: String, _ initializer: CInitializer, into writer: inout KernelStyleWriter) {
        switch initializer {
        case .expression(let expression):
            renderWrapped(prefix: head + " = ", expression, suffix: ";", into: &writer)
        case .designated, .list:
            writer.line(head + " = {")
            writer.indented { renderInitializerBody(initializer, into: &$0) }
            writer.line("};")
        }
    }

    func renderInitializerBody(_ initializer: CInitializer, into writer: inout KernelStyleWriter) {
        switch initializer {
        case .expression(let expression):
            writer.line(expression.flat + ",")
        case .designated(let fields):
            let nameColumn = fields.map { $0.0.hasPrefix("[") ? $0.0.count : $0.0.count + 1 }.max() ?? 0
            let valueColumn = (nameColumn / KernelStyleWriter.tabWidth + 1) * KernelStyleWriter.tabWidth
            for (name, value) in fields {
                let designator = name.hasPrefix("[") ? name : ".\(name)"
                let lead = designator + tabs(from: designator.count, to: valueColumn) + "= "
                switch value {
                case .expression(let expression):
                    writer.line(lead + expression.flat + ",")
                case .designated, .list:
                    writer.line(lead + "{")
                    writer.indented { renderInitializerBody(value, into: &$0) }
                    writer.line("},")
                }
            }
        case .list(let items):
            for item in items {
                if case .expression(let expression) = item {
                    writer.line(expression.flat + ",")
                } else {
                    writer.line("{")
                    writer.indented { renderInitializerBody(item, into: &$0) }
                    writer.line("},")
                }
            }
        }
    }

    // MARK: Statements

    func renderBlock(_ statements: [CStatement], into writer: inout KernelStyleWriter) {
        var previousWasDeclaration = false
        for statement in statements {
            let isDeclaration: Bool
            if case .declaration = statement { isDeclaration = true } else { isDeclaration = false }
            // checkpatch: a blank line after the declarations that open a block.
            if previousWasDeclaration, !isDeclaration, statement != .blank { writer.blank() }
            render(statement, into: &writer)
            previousWasDeclaration = isDeclaration
        }
    }

    /// A body printed without braces: a single simple statement.
    func isSimple(_ body: [CStatement]) -> Bool {
        guard !style.alwaysBraces, body.count == 1 else { return false }
        switch body[0] {
        case .expression, .return, .goto, .break: return true
        default: return false
        }
    }

    func render(_ statement: CStatement, into writer: inout KernelStyleWriter) {
        switch statement {
        case .expression(let expression):
            renderWrapped(prefix: "", expression, suffix: ";", into: &writer)
        case .declaration(let declaration):
            if let initializer = declaration.initializer {
                renderInitialized(head: declaration.typeAndName, initializer, into: &writer)
            } else {
                writer.line(declaration.typeAndName + ";")
            }
        case .return(let value):
            if let value {
                renderWrapped(prefix: "return ", value, suffix: ";", into: &writer)
            } else {
                writer.line("return;")
            }
        case .if(let condition, let then, let otherwise):
            renderIf(condition, then, otherwise, into: &writer)
        case .for(let header, let body):
            renderLoop("for (\(header))", body, into: &writer)
        case .while(let condition, let body):
            renderLoop("while (\(condition))", body, into: &writer)
        case .switch(let subject, let cases):
            writer.line("switch (\(subject)) {")
            for item in cases {
                if item.labels.isEmpty {
                    writer.line("default:")
                } else {
                    for label in item.labels { writer.line("case \(label):") }
                }
                writer.indented { renderBlock(item.body, into: &$0) }
            }
            writer.line("}")
        case .comment(let text):
            renderComment(text, into: &writer)
        case .blank:
            writer.blank()
        case .label(let name):
            // Labels sit in column 0 of the function's indentation, as kernel style shows.
            let depth = writer.depth
            writer.depth = 0
            writer.line(name + ":")
            writer.depth = depth
        case .goto(let label):
            writer.line("goto \(label);")
        case .break:
            writer.line("break;")
        }
    }

    func renderLoop(_ head: String, _ body: [CStatement], into writer: inout KernelStyleWriter) {
        if isSimple(body) {
            writer.line(head)
            writer.indented { renderBlock(body, into: &$0) }
        } else {
            writer.line(head + " {")
            writer.indented { renderBlock(body, into: &$0) }
            writer.line("}")
        }
    }

    func renderIf(_ condition: String, _ then: [CStatement], _ otherwise: [CStatement]?, into writer: inout KernelStyleWriter) {
        // Kernel style: no braces when every branch is one simple statement, braces on all
        // branches otherwise.
        let chain = elseChain(otherwise)
        let braces = !isSimple(then) || chain.contains { !isSimple($0.1) }
        renderCondition("if (", condition, ")" + (braces ? " {" : ""), into: &writer)
        writer.indented { renderBlock(then, into: &$0) }
        for (elseCondition, body) in chain {
            let head = elseCondition.map { "else if (\($0))" } ?? "else"
            writer.line(braces ? "} \(head) {" : head)
            writer.indented { renderBlock(body, into: &$0) }
        }
        if braces { writer.line("}") }
    }

    /// A condition past 80 columns breaks after its top-level `&&` or `||`, continuation lines
    /// aligned inside the parenthesis.
    func renderCondition(_ prefix: String, _ condition: String, _ suffix: String, into writer: inout KernelStyleWriter) {
        let flat = prefix + condition + suffix
        if writer.column + flat.count <= KernelStyleWriter.preferredColumns {
            writer.line(flat)
            return
        }
        var pieces: [String] = []
        var depth = 0
        var current = ""
        var index = condition.startIndex
        while index < condition.endIndex {
            let character = condition[index]
            if character == "(" { depth += 1 }
            if character == ")" { depth -= 1 }
            let rest = condition[index...]
            if depth == 0, rest.hasPrefix(" && ") || rest.hasPrefix(" || ") {
                pieces.append(current + " " + rest.dropFirst().prefix(2))
                current = ""
                index = condition.index(index, offsetBy: 4)
                continue
            }
            current.append(character)
            index = condition.index(after: index)
        }
        pieces.append(current)
        let continuation = writer.padding(toColumn: writer.column + prefix.count)
        var lines: [String] = []
        var line = prefix
        for piece in pieces {
            let candidate = line + (line == prefix || line == continuation ? "" : " ") + piece
            let base = lines.isEmpty ? writer.column : 0
            if line != prefix, line != continuation,
                KernelStyleWriter.width(of: candidate, from: base) + base > KernelStyleWriter.preferredColumns
            {
                lines.append(line)
                line = continuation + piece
            } else {
                line = candidate
            }
        }
        lines.append(line + suffix)
        writer.line(lines[0])
        let depthBefore = writer.depth
        writer.depth = 0
        for line in lines.dropFirst() { writer.line(line) }
        writer.depth = depthBefore
    }

    /// `else if` links and the final `else`, flattened.
    func elseChain(_ otherwise: [CStatement]?) -> [(String?, [CStatement])] {
        guard let otherwise else { return [] }
        if otherwise.count == 1, case .if(let condition, let then, let next) = otherwise[0] {
            return [(condition, then)] + elseChain(next)
        }
        return [(nil, otherwise)]
    }
}
