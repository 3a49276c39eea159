import CKmod

/// What `modinfo` shows of a built kernel module, read through libkmod.
public struct ModuleInfo: Sendable, Hashable {
    public struct Parameter: Sendable, Hashable {
        public var name: String
        public var type: String
        public var description: String
    }

    public var path: String
    public var name: String
    public var license: String?
    public var vermagic: String?
    public var parameters: [Parameter]
    /// Every key/value pair in `.modinfo`, in the order the module lists them.
    public var fields: [(key: String, value: String)]

    public func value(of key: String) -> String? { fields.first { $0.key == key }?.value }

    public static func == (lhs: ModuleInfo, rhs: ModuleInfo) -> Bool {
        lhs.path == rhs.path && lhs.fields.map(\.key) == rhs.fields.map(\.key) && lhs.fields.map(\.value) == rhs.fields.map(\.value)
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(path) }
}

public struct ModuleInfoError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var description: String { "cannot read module info from \(path): \(reason)" }
}

extension ModuleInfo {
    /// Reads the `.modinfo` section of the `.ko` at `path`.
    public static func read(path: String) throws -> ModuleInfo {
        guard let context = kmod_new(nil, nil) else { throw ModuleInfoError(path: path, reason: "kmod_new failed") }
        defer { kmod_unref(context) }
        var module: OpaquePointer?
        let status = kmod_module_new_from_path(context, path, &module)
        guard status == 0, let module else { throw ModuleInfoError(path: path, reason: "not a kernel module (error \(status))") }
        defer { kmod_module_unref(module) }

        var list: OpaquePointer?
        let count = kmod_module_get_info(module, &list)
        guard count >= 0 else { throw ModuleInfoError(path: path, reason: "no .modinfo section (error \(count))") }
        defer { kmod_module_info_free_list(list) }

        var fields: [(key: String, value: String)] = []
        var entry = list
        while let current = entry {
            let key = kmod_module_info_get_key(current).map { String(cString: $0) } ?? ""
            let value = kmod_module_info_get_value(current).map { String(cString: $0) } ?? ""
            fields.append((key, value))
            entry = kmod_list_next(list, current)
        }
        let name = String(cString: kmod_module_get_name(module))
        return ModuleInfo(
            path: path, name: name,
            license: fields.first { $0.key == "license" }?.value,
            vermagic: fields.first { $0.key == "vermagic" }?.value,
            parameters: parameters(from: fields),
            fields: fields)
    }

    /// `parm` is "name:description", `parmtype` is "name:type".
    static func parameters(from fields: [(key: String, value: String)]) -> [Parameter] {
        func split(_ text: String) -> (String, String) {
            guard let colon = text.firstIndex(of: ":") else { return (text, "") }
            return (String(text[..<colon]), String(text[text.index(after: colon)...]))
        }
        var types: [String: String] = [:]
        var descriptions: [String: String] = [:]
        var order: [String] = []
        for field in fields where field.key == "parm" || field.key == "parmtype" {
            let (name, rest) = split(field.value)
            if !order.contains(name) { order.append(name) }
            if field.key == "parm" { descriptions[name] = rest } else { types[name] = rest }
        }
        return order.map { Parameter(name: $0, type: types[$0] ?? "", description: descriptions[$0] ?? "") }
    }
}
