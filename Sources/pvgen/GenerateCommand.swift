import ArgumentParser
import CodeGen
import Foundation

struct GenerateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate", abstract: "Generate the guest modules, shared ABI header and host stubs.")

    @OptionGroup var options: CatalogOptions

    @Option(
        name: .long,
        help: "Output folder: a new or empty one, or one pvgen generated (it holds \(OutputTree.markerPath)); replaced whole.")
    var out: String = "kmod"

    func run() async throws {
        let files = try Generator(catalog: try options.catalog()).generate()
        try OutputTree.write(files, toPath: out)
        print("generated \(files.count) files in \(out)")
    }
}

struct DiffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Regenerate in memory and print a unified diff against a folder; exit 1 when they differ.")

    @OptionGroup var options: CatalogOptions

    @Argument(help: "The generated folder to compare, such as kmod.")
    var directory: String

    func run() async throws {
        let expected = try Generator(catalog: try options.catalog()).generate()
        let actual = try OutputTree.read(URL(fileURLWithPath: directory))
        let difference = try await TreeDiff.unified(expected: expected, actual: actual, directory: directory)
        guard difference.isEmpty else {
            print(difference, terminator: "")
            let model = options.model.map { "--model \(shellWord($0)) " } ?? ""
            FileHandle.standardError.write(Data("\(directory) is stale: run `pvgen generate \(model)--out \(shellWord(directory))`\n".utf8))
            throw ExitCode(1)
        }
    }
}

/// `word` as one shell word: as it is when that is safe, else in single quotes.
func shellWord(_ word: String) -> String {
    let safe = !word.isEmpty && word.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "/._-+=:,@".contains($0)) }
    return safe ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
}
