import Foundation
import Yams

/// A model file could not be used; names the file, the place in it where known, and the field.
/// One line per problem: `FILE:LINE:COLUMN: FIELD: message`, or `FILE: FIELD: message` when
/// no place in the file can be given.
public struct ModelFileError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var field: String
    public var message: String
    public var line: Int?
    public var column: Int?
    /// Further problems found by the same validation pass, in order.
    public var others: [ModelFileError] = []

    public init(file: String, field: String, message: String, line: Int? = nil, column: Int? = nil) {
        self.file = file
        self.field = field
        self.message = message
        self.line = line
        self.column = column
    }

    /// This problem alone, on one line.
    public var oneLine: String {
        var text = file
        if let line, let column { text += ":\(line):\(column)" }
        return field.isEmpty ? "\(text): \(message)" : "\(text): \(field): \(message)"
    }

    public var description: String { ([self] + others).map(\.oneLine).joined(separator: "\n") }
}

/// Reads a catalog from a YAML or JSON model file (the format `pvgen model` prints), and
/// validates it completely before anything is generated.
public enum ModelFile {
    /// Reads and validates a model file; `-` reads standard input (as YAML, or as JSON when it
    /// starts with `{`). Strict: unknown keys, duplicate keys, numbers that do not fit and
    /// every validator's diagnostic are errors, each with its place in the file where known.
    public static func load(_ path: String) throws -> Catalog {
        let data: Data
        if path == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            guard let contents = FileManager.default.contents(atPath: path) else {
                throw ModelFileError(file: path, field: "", message: "cannot read the file")
            }
            data = contents
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ModelFileError(file: path, field: "", message: "the file is not UTF-8 text")
        }
        let isJSON = path.hasSuffix(".json")
            || (path == "-" && text.drop { $0.isWhitespace || $0 == "\u{FEFF}" }.first == "{")
        let root: ModelNode
        let catalog: Catalog
        do {
            root = try isJSON ? ModelTree.parseJSON(text) : ModelTree.parseYAML(text)
        } catch let error as ModelSyntaxError {
            throw located(error, file: path, syntax: true)
        }
        do {
            catalog = try ModelFormat.decodeCatalog(root)
        } catch let error as ModelSyntaxError {
            throw located(error, file: path, syntax: false)
        }
        let problems = (catalog.validate() + HostStubValidation.validate(catalog)).map { diagnostic in
            let place = ModelFormat.node(at: diagnostic.field, in: root)?.node.location
            return ModelFileError(
                file: path, field: diagnostic.field, message: diagnostic.message, line: place?.line, column: place?.column)
        }
        if var first = problems.first {
            first.others = Array(problems.dropFirst())
            throw first
        }
        return catalog
    }

    static func located(_ error: ModelSyntaxError, file: String, syntax: Bool) -> ModelFileError {
        ModelFileError(
            file: file, field: error.field.isEmpty && syntax ? "syntax error" : error.field, message: error.message,
            line: error.location?.line, column: error.location?.column)
    }

    /// The built-in catalog as a YAML model file.
    public static func yaml(for catalog: Catalog) throws -> String {
        try ModelFormat.encode(catalog)
    }
}
