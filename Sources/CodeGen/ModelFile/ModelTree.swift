import Foundation
import Yams

/// A place in a model file: 1-based line and column (columns count Unicode scalars, as libyaml
/// does).
struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    var line: Int
    var column: Int

    var description: String { "\(line):\(column)" }
}

/// A model file parsed into a tree that remembers where each value and key came from, and
/// which keys the decoder asked for (so that the keys nobody asked for can be reported).
///
/// YAML and JSON both become this tree; the decoder only ever sees the tree.
final class ModelNode {
    struct Member {
        var key: String
        var keyLocation: SourceLocation
        var value: ModelNode
    }

    enum Kind {
        /// `plain` is false for a quoted scalar (YAML quotes, every JSON string).
        case scalar(String, plain: Bool)
        case mapping([Member])
        case sequence([ModelNode])
    }

    let kind: Kind
    let location: SourceLocation
    /// Set when the decoder opened this mapping; keys it asked for.
    var opened = false
    var asked: Set<String> = []
    /// For a mapping that holds an enum case: the cases the enum has (as far as known).
    var cases: [String] = []

    init(_ kind: Kind, at location: SourceLocation) {
        self.kind = kind
        self.location = location
    }

    /// YAML's null: `~`, `null` or nothing, unquoted; JSON's `null`.
    var isNull: Bool {
        if case .scalar(let text, true) = kind { return ["", "~", "null", "Null", "NULL"].contains(text) }
        return false
    }

    var members: [Member]? {
        if case .mapping(let members) = kind { return members }
        return nil
    }

    func member(_ key: String) -> Member? { members?.first { $0.key == key } }

    /// What the node is, for messages: "a mapping", "a list", "null", "'text'".
    var summary: String {
        switch kind {
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .scalar(let text, _) where isNull: text.isEmpty ? "nothing" : "null"
        case .scalar(let text, _): "'\(text.count > 40 ? String(text.prefix(40)) + "..." : text)'"
        }
    }
}

/// A problem found while reading a model file, at a place in it.
struct ModelSyntaxError: Error {
    var location: SourceLocation?
    var field: String
    var message: String
}

enum ModelTree {
    /// Parses YAML (one document) into a tree.
    static func parseYAML(_ text: String) throws -> ModelNode {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw syntaxError(error)
        }
        guard let root else {
            throw ModelSyntaxError(location: SourceLocation(line: 1, column: 1), field: "", message: "the file holds no model")
        }
        return try convert(root)
    }

    static func location(_ mark: Mark?) -> SourceLocation {
        SourceLocation(line: mark?.line ?? 1, column: mark?.column ?? 1)
    }

    static func convert(_ node: Node) throws -> ModelNode {
        switch node {
        case .scalar(let scalar):
            return ModelNode(.scalar(scalar.string, plain: scalar.style == .plain || scalar.style == .any), at: location(scalar.mark))
        case .sequence(let sequence):
            return ModelNode(.sequence(try sequence.map(convert)), at: location(sequence.mark))
        case .mapping(let mapping):
            var members: [ModelNode.Member] = []
            for (key, value) in mapping {
                guard case .scalar(let scalar) = key else {
                    throw ModelSyntaxError(location: location(key.mark), field: "", message: "a key must be a plain name")
                }
                members.append(ModelNode.Member(key: scalar.string, keyLocation: location(scalar.mark), value: try convert(value)))
            }
            return ModelNode(.mapping(members), at: location(mapping.mark))
        case .alias(let alias):
            throw ModelSyntaxError(location: location(alias.mark), field: "", message: "YAML aliases are not supported in model files")
        }
    }

    static func syntaxError(_ error: YamlError) -> ModelSyntaxError {
        func text(_ context: YamlError.Context?, _ problem: String) -> String {
            guard let context else { return problem }
            return "\(problem) (\(context.text) at \(context.mark))"
        }
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            return ModelSyntaxError(location: location(mark), field: "", message: text(context, problem))
        case .reader(let problem, let offset, _, let yaml):
            var where_: SourceLocation?
            if let offset {
                let prefix = yaml.unicodeScalars.prefix(offset)
                let line = prefix.filter { $0 == "\n" }.count + 1
                let column = prefix.count - (prefix.lastIndex(of: "\n").map { prefix.distance(from: prefix.startIndex, to: $0) + 1 } ?? 0) + 1
                where_ = SourceLocation(line: line, column: column)
            }
            return ModelSyntaxError(location: where_, field: "", message: problem)
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            return ModelSyntaxError(location: location(context.mark), field: "", message: "duplicate key \(keys) in one mapping")
        default:
            return ModelSyntaxError(location: nil, field: "", message: "\(error)")
        }
    }

    /// Parses JSON (RFC 8259, no extensions) into a tree, with the place of the first error.
    static func parseJSON(_ text: String) throws -> ModelNode {
        var parser = JSONTreeParser(Array(text.unicodeScalars))
        return try parser.document()
    }
}

/// A small strict JSON parser that keeps line and column of every value and key.
private struct JSONTreeParser {
    let input: [Unicode.Scalar]
    var index = 0
    var line = 1
    var column = 1
    var depth = 0

    init(_ input: [Unicode.Scalar]) { self.input = input }

    var here: SourceLocation { SourceLocation(line: line, column: column) }
    var current: Unicode.Scalar? { index < input.count ? input[index] : nil }

    func fail(_ message: String) -> ModelSyntaxError {
        ModelSyntaxError(location: here, field: "", message: message)
    }

    func found() -> String {
        guard let current else { return "the end of the file" }
        if current == "\n" { return "the end of the line" }
        return "'\(Character(current))'"
    }

    mutating func advance() {
        if input[index] == "\n" {
            line += 1
            column = 1
        } else {
            column += 1
        }
        index += 1
    }

    mutating func skipSpace() {
        while let c = current, c == " " || c == "\t" || c == "\n" || c == "\r" { advance() }
    }

    mutating func expect(_ c: Unicode.Scalar, _ what: String) throws {
        skipSpace()
        guard current == c else { throw fail("expected \(what), found \(found())") }
        advance()
    }

    mutating func document() throws -> ModelNode {
        skipSpace()
        if current == "\u{FEFF}" { advance() }
        let root = try value()
        skipSpace()
        guard current == nil else { throw fail("unexpected \(found()) after the end of the JSON document") }
        return root
    }

    mutating func value() throws -> ModelNode {
        skipSpace()
        let start = here
        guard let c = current else { throw fail("expected a value, found the end of the file") }
        switch c {
        case "{":
            return try object(start)
        case "[":
            return try array(start)
        case "\"":
            return ModelNode(.scalar(try string(), plain: false), at: start)
        case "-", "0"..."9":
            return ModelNode(.scalar(try number(), plain: true), at: start)
        case "t", "f", "n":
            var word = ""
            while let c = current, ("a"..."z").contains(c) {
                word.unicodeScalars.append(c)
                advance()
            }
            guard ["true", "false", "null"].contains(word) else {
                throw ModelSyntaxError(location: start, field: "", message: "'\(word)' is not a JSON value (strings need double quotes)")
            }
            return ModelNode(.scalar(word, plain: true), at: start)
        default:
            throw fail("expected a value, found \(found())")
        }
    }

    mutating func nest() throws {
        depth += 1
        if depth > 64 { throw fail("nested more than 64 levels deep") }
    }

    mutating func object(_ start: SourceLocation) throws -> ModelNode {
        try nest()
        advance()
        var members: [ModelNode.Member] = []
        skipSpace()
        if current == "}" {
            advance()
            depth -= 1
            return ModelNode(.mapping([]), at: start)
        }
        while true {
            skipSpace()
            let keyLocation = here
            guard current == "\"" else { throw fail("expected a key in double quotes, found \(found())") }
            let key = try string()
            if members.contains(where: { $0.key == key }) {
                throw ModelSyntaxError(location: keyLocation, field: "", message: "duplicate key '\(key)' in one object")
            }
            try expect(":", "':' after the key")
            members.append(ModelNode.Member(key: key, keyLocation: keyLocation, value: try value()))
            skipSpace()
            if current == "," {
                advance()
                continue
            }
            guard current == "}" else { throw fail("expected ',' or '}' after an object member, found \(found())") }
            advance()
            depth -= 1
            return ModelNode(.mapping(members), at: start)
        }
    }

    mutating func array(_ start: SourceLocation) throws -> ModelNode {
        try nest()
        advance()
        var elements: [ModelNode] = []
        skipSpace()
        if current == "]" {
            advance()
            depth -= 1
            return ModelNode(.sequence([]), at: start)
        }
        while true {
            elements.append(try value())
            skipSpace()
            if current == "," {
                advance()
                continue
            }
            guard current == "]" else { throw fail("expected ',' or ']' after a list element, found \(found())") }
            advance()
            depth -= 1
            return ModelNode(.sequence(elements), at: start)
        }
    }

    mutating func string() throws -> String {
        advance()
        var result = String.UnicodeScalarView()
        while true {
            guard let c = current else { throw fail("unterminated string") }
            switch c {
            case "\"":
                advance()
                return String(result)
            case "\\":
                advance()
                guard let e = current else { throw fail("unterminated string") }
                let simple: [Unicode.Scalar: Unicode.Scalar] = [
                    "\"": "\"", "\\": "\\", "/": "/", "b": "\u{8}", "f": "\u{C}", "n": "\n", "r": "\r", "t": "\t",
                ]
                if let s = simple[e] {
                    result.append(s)
                    advance()
                } else if e == "u" {
                    advance()
                    var code = try hex4()
                    if (0xD800..<0xDC00).contains(code) {
                        guard current == "\\" else { throw fail("a lone UTF-16 surrogate in \\u escape") }
                        advance()
                        guard current == "u" else { throw fail("a lone UTF-16 surrogate in \\u escape") }
                        advance()
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw fail("a lone UTF-16 surrogate in \\u escape") }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let scalar = Unicode.Scalar(code) else { throw fail("a lone UTF-16 surrogate in \\u escape") }
                    result.append(scalar)
                } else {
                    throw fail("unknown escape '\\\(Character(e))' in a string")
                }
            default:
                if c.value < 0x20 { throw fail("a control character in a string (write it as an escape)") }
                result.append(c)
                advance()
            }
        }
    }

    mutating func hex4() throws -> UInt32 {
        var code: UInt32 = 0
        for _ in 0..<4 {
            guard let c = current, let digit = Character(c).hexDigitValue else { throw fail("expected 4 hex digits after \\u") }
            code = code * 16 + UInt32(digit)
            advance()
        }
        return code
    }

    mutating func number() throws -> String {
        let start = here
        var text = ""
        func take() {
            text.unicodeScalars.append(current!)
            advance()
        }
        func digits() throws {
            guard let c = current, ("0"..."9").contains(c) else { throw fail("expected a digit, found \(found())") }
            while let c = current, ("0"..."9").contains(c) { take() }
        }
        if current == "-" { take() }
        if current == "0" {
            take()
            if let c = current, ("0"..."9").contains(c) || c == "x" || c == "X" {
                throw ModelSyntaxError(
                    location: start, field: "", message: "JSON numbers have no leading zeros or hex; write hex as a string such as \"0x1f0\"")
            }
        } else {
            try digits()
        }
        if current == "." {
            take()
            try digits()
        }
        if current == "e" || current == "E" {
            take()
            if current == "+" || current == "-" { take() }
            try digits()
        }
        return text
    }
}
