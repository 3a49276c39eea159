import Foundation

/// Decodes the model types from a `ModelNode` tree, strictly, in the model file's format:
///
/// - keys are snake_case (`max_entries` for `maxEntries`); the decoder records which keys it
///   asked for, so that `ModelFormat.unknownKeys` can report every other key;
/// - integers may be decimal or `0x`/`0o`/`0b` prefixed, plain or quoted, and must fit their
///   type; a leading zero (`010`, octal in YAML 1.1) is refused as ambiguous;
/// - an enum case without payload may be written as its name (`on_write: latches`), and a
///   single unlabeled payload without its `_0` wrapper (`fixed: 0x1f0`).
///
/// Problems are thrown as `ModelSyntaxError` with the place of the value at fault.
struct ModelTreeDecoder: Decoder {
    let node: ModelNode
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(_ node: ModelNode, codingPath: [any CodingKey] = []) {
        self.node = node
        self.codingPath = codingPath
    }

    func fail(_ message: String) -> ModelSyntaxError {
        ModelSyntaxError(location: node.location, field: ModelFormat.fieldPath(codingPath), message: message)
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        switch node.kind {
        case .mapping:
            node.opened = true
            return KeyedDecodingContainer(KeyedContainer<Key>(node: node, codingPath: codingPath))
        case .scalar(let text, _) where !node.isNull:
            // An enum case without payload, written as its name.
            if Key(stringValue: ModelFormat.camel(text)) != nil, ModelFormat.snake(ModelFormat.camel(text)) == text {
                let empty = ModelNode(.mapping([]), at: node.location)
                let virtual = ModelNode(.mapping([.init(key: text, keyLocation: node.location, value: empty)]), at: node.location)
                virtual.opened = true
                return KeyedDecodingContainer(KeyedContainer<Key>(node: virtual, codingPath: codingPath))
            }
            let cases = ModelFormat.cases(of: Key.self)
            if !cases.isEmpty { throw fail("'\(text)' is not one of \(cases.joined(separator: ", "))") }
            throw fail("expected a mapping, found \(node.summary)")
        default:
            throw fail("expected a mapping, found \(node.summary)")
        }
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .sequence(let elements) = node.kind else { throw fail("expected a list, found \(node.summary)") }
        return UnkeyedContainer(elements: elements, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { SingleValue(decoder: self) }
}

/// The payload container of an enum case: `{}`/null for none, a bare value for `_0`.
private func payloadNode<Key: CodingKey>(_ node: ModelNode, keyedBy: Key.Type) -> ModelNode {
    if node.isNull { return ModelNode(.mapping([]), at: node.location) }
    if Key(stringValue: "_0") != nil, node.member("_0") == nil {
        switch node.kind {
        case .mapping(let members) where members.isEmpty: return node
        case .mapping: break
        default: return ModelNode(.mapping([.init(key: "_0", keyLocation: node.location, value: node)]), at: node.location)
        }
    }
    return node
}

private struct KeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let node: ModelNode
    let codingPath: [any CodingKey]

    var allKeys: [Key] {
        node.cases = ModelFormat.cases(of: Key.self)
        return (node.members ?? []).compactMap { member in
            let camel = ModelFormat.camel(member.key)
            guard ModelFormat.snake(camel) == member.key, let key = Key(stringValue: camel) else { return nil }
            node.asked.insert(member.key)
            return key
        }
    }

    func name(_ key: Key) -> String { ModelFormat.snake(key.stringValue) }

    func contains(_ key: Key) -> Bool {
        node.asked.insert(name(key))
        return node.member(name(key)) != nil
    }

    func child(_ key: Key) throws -> ModelNode {
        node.asked.insert(name(key))
        guard let member = node.member(name(key)) else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "required field is missing"))
        }
        return member.value
    }

    func decoder(_ key: Key) throws -> ModelTreeDecoder { ModelTreeDecoder(try child(key), codingPath: codingPath + [key]) }

    func decodeNil(forKey key: Key) throws -> Bool { try child(key).isNull }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try SingleValue(decoder: try decoder(key)).decode(type)
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        let payload = payloadNode(try child(key), keyedBy: type)
        return try ModelTreeDecoder(payload, codingPath: codingPath + [key]).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try decoder(key).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder { ModelTreeDecoder(node, codingPath: codingPath) }
    func superDecoder(forKey key: Key) throws -> any Decoder { try decoder(key) }
}

private struct IndexKey: CodingKey {
    var intValue: Int?
    var stringValue: String { "\(intValue ?? 0)" }
    init(_ index: Int) { intValue = index }
    init?(stringValue: String) { nil }
    init?(intValue: Int) { self.intValue = intValue }
}

private struct UnkeyedContainer: UnkeyedDecodingContainer {
    let elements: [ModelNode]
    let codingPath: [any CodingKey]
    var currentIndex = 0

    init(elements: [ModelNode], codingPath: [any CodingKey]) {
        self.elements = elements
        self.codingPath = codingPath
    }

    var count: Int? { elements.count }
    var isAtEnd: Bool { currentIndex >= elements.count }

    mutating func next() throws -> ModelTreeDecoder {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(
                Any.self, .init(codingPath: codingPath, debugDescription: "the list has too few elements"))
        }
        defer { currentIndex += 1 }
        return ModelTreeDecoder(elements[currentIndex], codingPath: codingPath + [IndexKey(currentIndex)])
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, elements[currentIndex].isNull else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try SingleValue(decoder: try next()).decode(type) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        try next().container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer { try next().unkeyedContainer() }
    mutating func superDecoder() throws -> any Decoder { try next() }
}

private struct SingleValue: SingleValueDecodingContainer {
    let decoder: ModelTreeDecoder
    var codingPath: [any CodingKey] { decoder.codingPath }
    var node: ModelNode { decoder.node }

    func decodeNil() -> Bool { node.isNull }

    func scalar(_ what: String) throws -> (text: String, plain: Bool) {
        guard case .scalar(let text, let plain) = node.kind, !node.isNull else {
            throw decoder.fail("expected \(what), found \(node.summary)")
        }
        return (text, plain)
    }

    func decode(_ type: Bool.Type) throws -> Bool {
        let (text, _) = try scalar("true or false")
        switch text {
        case "true": return true
        case "false": return false
        default: throw decoder.fail("expected true or false, found '\(text)'")
        }
    }

    func decode(_ type: String.Type) throws -> String { try scalar("a string").text }

    func integer<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
        let (text, _) = try scalar("a number")
        if text.count > 1, text.first == "0", text.allSatisfy(\.isNumber) {
            throw decoder.fail("'\(text)' has a leading zero: write \(text.drop { $0 == "0" }.isEmpty ? "0" : String(text.drop { $0 == "0" })), or 0o\(text.dropFirst()) for octal")
        }
        guard let value = ModelFormat.parseInteger(text) else {
            throw decoder.fail("'\(text)' is not a number (write decimal, or hex as 0x...)")
        }
        guard let fitting = value.fitting(type) else {
            throw decoder.fail("\(text) does not fit \(ModelFormat.describe(type)) (\(T.min)...\(T.max))")
        }
        return fitting
    }

    func decode(_ type: Int.Type) throws -> Int { try integer(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try integer(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try integer(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try integer(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try integer(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try integer(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try integer(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try integer(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try integer(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try integer(type) }

    func decode(_ type: Double.Type) throws -> Double {
        let (text, _) = try scalar("a number")
        guard let value = Double(text) else { throw decoder.fail("'\(text)' is not a number") }
        return value
    }

    func decode(_ type: Float.Type) throws -> Float { Float(try decode(Double.self)) }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        switch type {
        case is String.Type: return try decode(String.self) as! T
        case is Bool.Type: return try decode(Bool.self) as! T
        case is Int.Type: return try decode(Int.self) as! T
        case is Int8.Type: return try decode(Int8.self) as! T
        case is Int16.Type: return try decode(Int16.self) as! T
        case is Int32.Type: return try decode(Int32.self) as! T
        case is Int64.Type: return try decode(Int64.self) as! T
        case is UInt.Type: return try decode(UInt.self) as! T
        case is UInt8.Type: return try decode(UInt8.self) as! T
        case is UInt16.Type: return try decode(UInt16.self) as! T
        case is UInt32.Type: return try decode(UInt32.self) as! T
        case is UInt64.Type: return try decode(UInt64.self) as! T
        case is Double.Type: return try decode(Double.self) as! T
        default: return try T(from: decoder)
        }
    }
}
