@testable import CodeGen
import DriverModel
import Foundation
import HypercallABI
import Testing

/// Model files: the corpus of broken files in Tests/models/bad (each with the one error line
/// it must produce beside it, as FILE.expected), the good files, and the format's rules.
@Suite("Model files")
struct ModelFileTests {
    static let badDirectory = "Tests/models/bad"
    static let goodDirectory = "Tests/models/good"

    /// The broken model files, by name.
    static let badFiles: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: Repository.path(badDirectory))) ?? []
        return names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".json") }.sorted()
    }()

    /// `pvgen ARGUMENTS` from the repository root, so paths in messages are relative.
    static func pvgen(_ arguments: String...) async throws -> CommandResult {
        try await runCommand([PVGenBinary.path] + arguments, in: Repository.root.path, environment: ["COLUMNS": "100"])
    }

    @Test("the corpus covers every kind of mistake, and every file has its expected error")
    func corpusIsComplete() throws {
        #expect(Self.badFiles.count >= 30)
        let all = try FileManager.default.contentsOfDirectory(atPath: Repository.path(Self.badDirectory))
        for name in Self.badFiles { #expect(all.contains("\(name).expected"), "\(name) has no \(name).expected") }
        for name in all where name.hasSuffix(".expected") {
            #expect(Self.badFiles.contains(String(name.dropLast(".expected".count))), "\(name) belongs to no model file")
        }
        #expect(Self.badFiles.contains { $0.hasSuffix(".json") })
    }

    @Test("a broken model file gets exactly its one error line, exits 1, and leaves the previous output as it was", arguments: badFiles)
    func badFile(_ name: String) async throws {
        let path = "\(Self.badDirectory)/\(name)"
        let expected = try String(contentsOfFile: Repository.path("\(path).expected"), encoding: .utf8)

        // A previous output, plus a file pvgen did not write: all of it must stay.
        let scratch = try Repository.scratch("bad-model")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let out = scratch.appendingPathComponent("kmod")
        try OutputTree.write(try Generator(catalog: .builtIn).generate(), to: out)
        try Data("keep me\n".utf8).write(to: out.appendingPathComponent("local-note.txt"))
        let before = try OutputTree.read(out)

        let result = try await Self.pvgen("generate", "--model", path, "--out", out.path)
        #expect(result.status == 1)
        #expect(result.output == expected)
        let lines = result.output.split(separator: "\n")
        #expect(lines.count == 1, "one error line, got:\n\(result.output)")
        // FILE:LINE:COLUMN: FIELD: message (or FILE: FIELD: message when there is no place).
        let line = String(lines.first ?? "")
        #expect(line.wholeMatch(of: /Tests\/models\/bad\/[\w.-]+(:\d+:\d+)?: [\w\[\]. ]+: .+/) != nil, "\(line)")

        #expect(try OutputTree.read(out) == before)
        let siblings = try FileManager.default.contentsOfDirectory(atPath: scratch.path)
        #expect(siblings == ["kmod"], "a failed run left \(siblings) beside the output")

        // Loading alone (pvgen model) reports the same.
        let model = try await Self.pvgen("model", "--model", path)
        #expect(model.status == 1)
        #expect(model.output == expected)
    }

    @Test("a failed run into a folder that does not exist yet creates nothing")
    func badFileNoOutput() async throws {
        let scratch = try Repository.scratch("bad-model-new")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let out = scratch.appendingPathComponent("kmod")
        let result = try await Self.pvgen("generate", "--model", "\(Self.badDirectory)/unknown-key.yaml", "--out", out.path)
        #expect(result.status == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path).isEmpty)
    }

    @Test("the good YAML and JSON files load, generate, and agree")
    func goodFiles() async throws {
        let yaml = try ModelFile.load(Repository.path("\(Self.goodDirectory)/minimal.yaml"))
        let json = try ModelFile.load(Repository.path("\(Self.goodDirectory)/minimal.json"))
        #expect(yaml == json)
        #expect(yaml.devices.map(\.name) == ["mini_ide"])
        #expect(yaml.abi == Catalog.builtIn.abi)
        #expect(try Generator(catalog: yaml).generate() == (try Generator(catalog: json).generate()))
    }

    @Test("pvgen model | pvgen generate --model - generates the built-in tree")
    func standardInput() async throws {
        let scratch = try Repository.scratch("model-stdin")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let out = scratch.appendingPathComponent("kmod")
        let binary = PVGenBinary.path
        let result = try await runCommand(["bash", "-c", "set -o pipefail; '\(binary)' model | '\(binary)' generate --model - --out '\(out.path)'"])
        #expect(result.status == 0, "\(result.output)")
        #expect(try OutputTree.read(out) == (try Generator(catalog: .builtIn).generate()))
    }

    @Test("pvgen model prints snake_case keys, hex numbers and bare enum cases, and reads them back")
    func formatRoundTrip() async throws {
        let text = try ModelFile.yaml(for: .builtIn)
        #expect(text.contains("    number: 0x70760002\n"))
        #expect(text.contains("  pci_vendor: 0x8086\n"))
        #expect(text.contains("    - fixed: 0x1f0\n"))
        #expect(text.contains("    on_write: latches\n"))
        #expect(text.contains("    max_entries: 64\n"))
        #expect(!text.contains("_0"))
        #expect(!text.contains("maxEntries"))
        let root = try ModelTree.parseYAML(text)
        #expect(try ModelFormat.decodeCatalog(root) == .builtIn)
    }

    @Test("integers: decimal, hex (plain or quoted), octal, binary; no leading zeros; must fit")
    func integers() throws {
        func value(_ text: String) -> Int64? { ModelFormat.parseInteger(text)?.fitting(Int64.self) }
        #expect(value("1376") == 1376)
        #expect(value("0x560") == 0x560)
        #expect(value("0o17") == 15)
        #expect(value("0b101") == 5)
        #expect(value("-3") == -3)
        #expect(ModelFormat.parseInteger("010") == nil)
        #expect(ModelFormat.parseInteger("0x") == nil)
        #expect(ModelFormat.parseInteger("1.5") == nil)
        #expect(ModelFormat.parseInteger("0x10000")?.fitting(UInt16.self) == nil)
        #expect(ModelFormat.parseInteger("0xffff")?.fitting(UInt16.self) == 0xffff)
        #expect(ModelFormat.parseInteger("-1")?.fitting(UInt32.self) == nil)
        #expect(ModelFormat.parseInteger("-2147483648")?.fitting(Int32.self) == Int32.min)
        #expect(ModelFormat.parseInteger("99999999999999999999999")?.fitting(UInt64.self) == nil)
        let yaml = try ModelFile.yaml(for: .builtIn)
            .replacingOccurrences(of: "    port: 0x560\n", with: "    port: '0x560'\n")
            .replacingOccurrences(of: "  version: 1\n", with: "  version: \"1\"\n")
        #expect(try ModelFormat.decodeCatalog(ModelTree.parseYAML(yaml)) == .builtIn)
    }

    @Test("JSON syntax errors carry line and column")
    func jsonSyntax() {
        for (text, line, column) in [("{\n  \"a\": 1,\n}", 3, 1), ("{\"a\": tru}", 1, 7), ("[1, 2", 1, 6), ("{\"a\": 01}", 1, 7)] {
            do {
                _ = try ModelTree.parseJSON(text)
                Issue.record("\(text) parsed")
            } catch let error as ModelSyntaxError {
                #expect(error.location == SourceLocation(line: line, column: column), "\(text): \(error.message)")
            } catch {
                Issue.record("\(error)")
            }
        }
    }

    @Test("the reserved runtime names are exactly the generated guest runtime's own identifiers")
    func runtimeNames() throws {
        let files = try Generator(catalog: .builtIn).generate()
        let sequences = Set(Catalog.builtIn.devices.flatMap(\.sequences).map(\.name))
        // The batch runtime is in the IDE modules; the network driver is a template of its own.
        let naming = Naming(abi: Catalog.builtIn.abi)
        let runtimeFiles = Set(Catalog.builtIn.devices.map { "guest/\(naming.guestModule(for: $0))/\(naming.guestModule(for: $0)).c" })
        #expect(!runtimeFiles.isEmpty)
        for file in files where runtimeFiles.contains(file.path) {
            let names = Set(file.contents.matches(of: /\bpvgen_([a-z0-9_]+)/).map { String($0.1) })
            let runtime = names.subtracting(sequences)
            #expect(runtime.subtracting(ReservedNames.runtimeIdentifiers).isEmpty,
                    "\(file.path) defines pvgen_ names missing from ReservedNames.runtimeIdentifiers: \(runtime.subtracting(ReservedNames.runtimeIdentifiers).sorted())")
            let body = file.contents.firstMatch(of: /struct pvgen_port \{([^}]*)\}/).map { String($0.1) } ?? ""
            let members = Set(body.matches(of: /(\w+)(\[[^\]]*\])?;/).map { String($0.1) })
            let blocks = Set(Catalog.builtIn.devices.flatMap(\.blocks).map(\.name))
            #expect(members.subtracting(blocks) == ReservedNames.portMembers)
        }
    }

    @Test("names: keywords, leading underscores, kernel namespaces and kernel globals are refused")
    func reservedNames() {
        #expect(ReservedNames.languageProblem("int") != nil)
        #expect(ReservedNames.languageProblem("_x") != nil)
        #expect(ReservedNames.languageProblem("status") == nil)
        #expect(ReservedNames.namespaceProblem("ata", what: "x") != nil)
        #expect(ReservedNames.namespaceProblem("pci_thing", what: "x") != nil)
        #expect(ReservedNames.namespaceProblem("Pvgen", what: "x") != nil)
        #expect(ReservedNames.namespaceProblem("piix_ide", what: "x") == nil)
        #expect(ReservedNames.namespaceProblem("pvgen", what: "x") == nil)
        #expect(ReservedNames.variableProblem("jiffies") != nil)
        #expect(ReservedNames.variableProblem("pp") != nil)
        #expect(ReservedNames.variableProblem("HZ") != nil)
        #expect(ReservedNames.variableProblem("tf") == nil)
        #expect(Catalog.builtIn.validate() == [])
    }
}
