import ArgumentParser
import CodeGen
import Foundation

/// `--model FILE`, shared by every command that generates.
struct CatalogOptions: ParsableArguments {
    @Option(name: .long, help: "A YAML or JSON model file (default: the built-in catalog).")
    var model: String?

    func catalog() throws -> Catalog {
        guard let model else { return .builtIn }
        do {
            return try ModelFile.load(model)
        } catch let error as ModelFileError {
            // One line per problem, compiler style, and no usage text: the command was right.
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
            throw ExitCode.failure
        }
    }
}
