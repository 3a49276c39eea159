import Foundation
import Yams

/// A model file could not be used; names the file and the field.
public struct ModelFileError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var field: String
    public var message: String

    public var description: String {
        field.isEmpty ? "\(file): \(message)" : "\(file): \(field): \(message)"
    }
}

/// Reads a catalog from a YAML or JSON model file (the format `pvgen model` prints), and
/// validates it completely before anything is generated.
public enum ModelFile {
    public static func load(_ path: String) throws -> Catalog {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ModelFileError(file: path, field: "", message: "cannot read the file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ModelFileError(file: path, field: "", message: "the file is not UTF-8 text")
        }
        let catalog: Catalog
        do {
            if path.hasSuffix(".json") {
                let decoder = JSONDecoder()
                decoder.keyDecodingStrategy = .convertFromSnakeCase
                catalog = try decoder.decode(Catalog.self, from: data)
            } else {
                catalog = try YAMLDecoder().decode(Catalog.self, from: text, userInfo: [:])
            }
        } catch let error as DecodingError {
            throw describe(error, file: path)
        } catch {
            throw ModelFileError(file: path, field: "", message: "\(error)")
        }
        let diagnostics = catalog.validate()
        if let first = diagnostics.first {
            let rest = diagnostics.dropFirst().map { "\n\(path): \($0.field): \($0.message)" }.joined()
            throw ModelFileError(file: path, field: first.field, message: first.message + rest)
        }
        return catalog
    }

    /// The built-in catalog as a YAML model file.
    public static func yaml(for catalog: Catalog) throws -> String {
        try YAMLEncoder().encode(catalog)
    }

    static func describe(_ error: DecodingError, file: String) -> ModelFileError {
        func path(_ codingPath: [any CodingKey]) -> String {
            codingPath.map { key in key.intValue.map { "[\($0)]" } ?? ".\(key.stringValue)" }
                .joined().trimmingCharacters(in: CharacterSet(charactersIn: "."))
        }
        switch error {
        case .keyNotFound(let key, let context):
            return ModelFileError(file: file, field: path(context.codingPath + [key]), message: "required field is missing")
        case .typeMismatch(let type, let context):
            return ModelFileError(file: file, field: path(context.codingPath), message: "expected \(type)")
        case .valueNotFound(let type, let context):
            return ModelFileError(file: file, field: path(context.codingPath), message: "expected \(type), found null")
        case .dataCorrupted(let context):
            return ModelFileError(file: file, field: path(context.codingPath), message: context.debugDescription)
        @unknown default:
            return ModelFileError(file: file, field: "", message: "\(error)")
        }
    }
}
