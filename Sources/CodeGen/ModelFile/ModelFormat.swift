import DriverModel
import Foundation
import HypercallABI
import Yams

/// The model file format: the Codable form of `Catalog`, spelled for people.
///
/// - keys are snake_case (`pci_vendor`, `max_entries`), the names the validators use in
///   their field paths;
/// - numbers that are addresses, ports, masks or magic values print in hex (`0x70760002`);
///   on input every integer may be decimal or hex, plain or quoted;
/// - enum cases without payload print as their name (`on_write: latches`), and a single
///   unlabeled payload without Swift's `_0` wrapper (`fixed: 0x1f0`).
///
/// Nothing here changes the model types' own Codable conformances: the format is a
/// transformation of the tree on the way out (`encode`) and a strict decoder on the way in.
enum ModelFormat {
    // MARK: names

    /// `maxEntries` → `max_entries`.
    static func snake(_ key: String) -> String {
        var out = ""
        for character in key {
            if character.isUppercase {
                if !out.isEmpty { out += "_" }
                out += character.lowercased()
            } else {
                out.append(character)
            }
        }
        return out
    }

    /// `max_entries` → `maxEntries`; a leading underscore (`_0`) stays.
    static func camel(_ key: String) -> String {
        guard !key.hasPrefix("_") else { return key }
        let parts = key.split(separator: "_", omittingEmptySubsequences: false)
        guard let first = parts.first else { return key }
        return String(first) + parts.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }

    /// `abi.limits.max_entries`, `devices[0].registers[3].offset`: the path of a value in the
    /// file, without the `_0` of unlabeled payloads.
    static func fieldPath(_ codingPath: [any CodingKey]) -> String {
        var path = ""
        for key in codingPath {
            if let index = key.intValue {
                path += "[\(index)]"
            } else if key.stringValue != "_0" {
                path += (path.isEmpty ? "" : ".") + snake(key.stringValue)
            }
        }
        return path
    }

    static func describe<T: FixedWidthInteger>(_ type: T.Type) -> String {
        "a\(T.bitWidth == 8 ? "n" : "") \(T.bitWidth)-bit \(T.isSigned ? "signed" : "unsigned") field"
    }

    // MARK: numbers

    /// An integer as written: a sign and a magnitude (nil when it needs more than 64 bits).
    struct ParsedInteger: Equatable {
        var negative: Bool
        var magnitude: UInt64?

        /// The value as `T`, if it fits.
        func fitting<T: FixedWidthInteger>(_ type: T.Type) -> T? {
            guard let magnitude else { return nil }
            guard negative && magnitude != 0 else { return T(exactly: magnitude) }
            guard magnitude <= UInt64(Int64.max) + 1 else { return nil }
            return T(exactly: magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude))
        }
    }

    /// Decimal, `0x` hex, `0o` octal or `0b` binary, with an optional sign. A leading zero
    /// before more digits is refused: YAML 1.1 reads `010` as octal, people read it as ten.
    static func parseInteger(_ text: String) -> ParsedInteger? {
        var digits = Substring(text)
        var negative = false
        if digits.hasPrefix("-") || digits.hasPrefix("+") {
            negative = digits.hasPrefix("-")
            digits = digits.dropFirst()
        }
        var radix = 10
        for (prefix, base) in [("0x", 16), ("0X", 16), ("0o", 8), ("0b", 2)] where digits.hasPrefix(prefix) {
            radix = base
            digits = digits.dropFirst(2)
        }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.hexDigitValue.map { $0 < radix } == true }) else { return nil }
        if radix == 10 && digits.count > 1 && digits.hasPrefix("0") { return nil }
        return ParsedInteger(negative: negative, magnitude: UInt64(digits, radix: radix))
    }

    /// Keys whose integer values print in hex.
    static let hexKeys: Set<String> = [
        "number", "magic", "port", "pci_vendor", "pci_device", "fixed", "value_bits", "set_bits", "keep",
        "triggers_when_set", "doorbell_address_limit",
    ]

    // MARK: reading

    /// Decodes a catalog from a parsed tree: strictly, then checks that every key was known.
    static func decodeCatalog(_ root: ModelNode) throws -> Catalog {
        let catalog: Catalog
        do {
            catalog = try Catalog(from: ModelTreeDecoder(root))
        } catch let error as ModelSyntaxError {
            throw error
        } catch let error as DecodingError {
            throw explain(error, root: root)
        }
        if let unknown = unknownKeys(root).first { throw unknown }
        return catalog
    }

    /// Every key of a mapping the decoder opened but never asked for, in file order.
    static func unknownKeys(_ root: ModelNode, path: String = "") -> [ModelSyntaxError] {
        var found: [ModelSyntaxError] = []
        switch root.kind {
        case .mapping(let members):
            for member in members {
                let field = path.isEmpty ? member.key : "\(path).\(member.key)"
                if root.opened && !root.asked.contains(member.key) {
                    found.append(ModelSyntaxError(location: member.keyLocation, field: field, message: unknownKeyMessage(member.key, in: root)))
                } else {
                    found += unknownKeys(member.value, path: field)
                }
            }
        case .sequence(let elements):
            for (index, element) in elements.enumerated() { found += unknownKeys(element, path: "\(path)[\(index)]") }
        case .scalar:
            break
        }
        return found
    }

    /// Every enum case name of the model, as Swift spells it: the decoder lists those that a
    /// given enum's coding keys accept, to say which cases exist.
    static let knownCases = [
        "latches", "triggers", "triggersWhenSet", "discarded", "needed", "waitUntilClear", "expect", "deferred", "write", "read", "update",
        "statement", "call", "fixed", "pciBar", "dmaIssue", "dmaInterrupt",
    ]

    static func cases<Key: CodingKey>(of type: Key.Type) -> [String] {
        knownCases.filter { Key(stringValue: $0) != nil }.map(snake)
    }

    static func unknownKeyMessage(_ key: String, in mapping: ModelNode) -> String {
        let known = mapping.asked.sorted()
        if snake(key) != key, known.contains(snake(key)) {
            return "unknown key '\(key)'; model files spell it '\(snake(key))'"
        }
        if let close = known.first(where: { editDistance($0, key) <= 2 }) {
            return "unknown key '\(key)' (did you mean '\(close)'?)"
        }
        return "unknown key '\(key)' (`pvgen model` prints every key the format has)"
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var row = Array(0...b.count)
        for i in 1...a.count {
            var previous = row[0]
            row[0] = i
            for j in 1...b.count {
                let current = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                previous = current
            }
        }
        return row[b.count]
    }

    /// The node a field path names, or the deepest ancestor that exists (never the root).
    static func node(at field: String, in root: ModelNode) -> (node: ModelNode, exact: Bool)? {
        var current = root
        var found: ModelNode?
        var exact = true
        for component in components(field) {
            var next: ModelNode?
            switch (component, current.kind) {
            case (.index(let index), .sequence(let elements)) where index < elements.count:
                next = elements[index]
            case (.key(let key), .mapping):
                next = current.member(key)?.value ?? current.member(aliases[key] ?? key)?.value
                    ?? current.members?.first { $0.key == "action" }.flatMap { $0.value.members?.first?.value.member(key)?.value }
            default:
                break
            }
            guard let next else {
                exact = false
                break
            }
            current = next
            found = next
        }
        return found.map { ($0, exact) }
    }

    /// Validator field names that the file spells differently.
    static let aliases = ["when": "guard_name"]

    enum PathComponent {
        case key(String)
        case index(Int)
    }

    static func components(_ field: String) -> [PathComponent] {
        var result: [PathComponent] = []
        for part in field.split(separator: ".") {
            var rest = Substring(part)
            if let bracket = rest.firstIndex(of: "[") {
                if bracket > rest.startIndex { result.append(.key(String(rest[..<bracket]))) }
                rest = rest[bracket...]
                while rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
                    if let index = Int(rest[rest.index(after: rest.startIndex)..<close]) { result.append(.index(index)) }
                    rest = rest[rest.index(after: close)...]
                }
            } else {
                result.append(.key(String(rest)))
            }
        }
        return result
    }

    /// A DecodingError (thrown by a synthesized conformance) with its place in the file.
    static func explain(_ error: DecodingError, root: ModelNode) -> ModelSyntaxError {
        func located(_ path: [any CodingKey], _ message: String) -> ModelSyntaxError {
            let field = fieldPath(path)
            return ModelSyntaxError(location: node(at: field, in: root)?.node.location ?? root.location, field: field, message: message)
        }
        switch error {
        case .keyNotFound(let key, let context):
            let name = snake(key.stringValue)
            let mapping = node(at: fieldPath(context.codingPath), in: root).flatMap { $0.exact ? $0.node : nil }
                ?? (context.codingPath.isEmpty ? root : nil)
            if let mapping, let members = mapping.members {
                // A misspelt key is the likelier story than a missing one.
                if let typo = members.first(where: { !mapping.asked.contains($0.key) && (editDistance($0.key, name) <= 2 || snake($0.key) == name) }) {
                    let field = fieldPath(context.codingPath + [key])
                    let message = snake(typo.key) == name
                        ? "unknown key '\(typo.key)'; model files spell it '\(name)'" : "unknown key '\(typo.key)' (did you mean '\(name)'?)"
                    return ModelSyntaxError(location: typo.keyLocation, field: field, message: message)
                }
                return ModelSyntaxError(location: mapping.location, field: fieldPath(context.codingPath + [key]), message: "required key '\(name)' is missing")
            }
            return located(context.codingPath + [key], "required key '\(name)' is missing")
        case .typeMismatch(_, let context) where context.debugDescription.hasPrefix("Invalid number of keys"):
            // A synthesized enum: exactly one case key.
            let field = fieldPath(context.codingPath)
            guard let mapping = node(at: field, in: root)?.node, let members = mapping.members else {
                return located(context.codingPath, "expected one case")
            }
            let cases = mapping.cases.isEmpty ? "the cases here" : mapping.cases.joined(separator: ", ")
            if let unknown = members.first(where: { !mapping.asked.contains($0.key) }) {
                return ModelSyntaxError(location: unknown.keyLocation, field: field, message: "'\(unknown.key)' is not one of \(cases)")
            }
            return ModelSyntaxError(
                location: mapping.location, field: field,
                message: members.isEmpty ? "expected one of \(cases)" : "give exactly one of \(members.map { "'\($0.key)'" }.joined(separator: ", "))")
        case .typeMismatch(let type, let context):
            return located(context.codingPath, "expected \(type)")
        case .valueNotFound(let type, let context):
            return located(context.codingPath, context.debugDescription.isEmpty ? "expected \(type)" : context.debugDescription)
        case .dataCorrupted(let context):
            return located(context.codingPath, rawValueMessage(context.debugDescription))
        @unknown default:
            return ModelSyntaxError(location: nil, field: "", message: "\(error)")
        }
    }

    /// The values a raw-value enum of the model accepts, by type name.
    static let enumValues: [String: [String]] = [
        "RegisterAccess": ["read", "write", "read_write"],
        "ReadEffect": ["none", "clears_state"],
        "AccessWidth": AccessWidth.allCases.map { "\($0.rawValue)" },
        "ArgumentRegister": ArgumentRegister.allCases.map(\.rawValue),
        "BatchOp": BatchOp.allCases.map(\.rawValue),
        "FieldType": ["__u8", "__u16", "__u32", "__s32", "__u64"],
    ]

    /// "Cannot initialize RegisterAccess from invalid String value rw" → "'rw' is not one of
    /// read, write, read_write".
    static func rawValueMessage(_ text: String) -> String {
        guard let match = text.firstMatch(of: /Cannot initialize (\w+) from invalid \w+ value (.*)/) else { return text }
        let type = String(match.1), value = String(match.2)
        guard let values = enumValues[type] else { return "'\(value)' is not a valid \(type)" }
        return "'\(value)' is not one of \(values.joined(separator: ", "))"
    }

    // MARK: writing

    /// The catalog as a model file: Yams' Codable output, transformed into the file format.
    static func encode(_ catalog: Catalog) throws -> String {
        let plain = try YAMLEncoder().encode(catalog)
        guard let node = try Yams.compose(yaml: plain) else { return plain }
        return try Yams.serialize(node: transform(node, key: nil))
    }

    /// Keys to snake_case, `{case: {}}` to `case`, `{_0: x}` to `x`, hex where people think
    /// in hex. Bottom-up.
    static func transform(_ node: Node, key: String?) -> Node {
        switch node {
        case .mapping(let mapping):
            let pairs: [(Node, Node)] = mapping.map { pair in
                let name = snake(pair.key.string ?? "")
                // An unlabeled payload prints under its case's name: hex by that name.
                return (Node(name), transform(pair.value, key: name == "_0" ? key : name))
            }
            if pairs.count == 1, pairs[0].0.string == "_0" { return pairs[0].1 }
            if pairs.count == 1, case .mapping(let inner) = pairs[0].1, inner.isEmpty { return pairs[0].0 }
            return Node(pairs, mapping.tag, mapping.style)
        case .sequence(let sequence):
            return Node(sequence.map { transform($0, key: nil) }, sequence.tag, sequence.style)
        case .scalar(let scalar):
            if let key, hexKeys.contains(key), scalar.style == .plain || scalar.style == .any,
                let value = UInt64(scalar.string)
            {
                return Node("0x" + String(value, radix: 16))
            }
            return node
        case .alias:
            return node
        }
    }
}
