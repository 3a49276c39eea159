import CodeGen
import Foundation
import Testing

/// The `pvgen` executable SwiftPM built beside the test bundle.
enum PVGenBinary {
    static var path: String {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates = [bundle, bundle.deletingLastPathComponent()].map { $0.appendingPathComponent("pvgen").path }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[0]
    }

    static func run(_ arguments: String...) async throws -> CommandResult {
        try await runCommand([path] + arguments, environment: ["COLUMNS": "100"])
    }
}

@Suite("pvgen command line")
struct CLITests {
    @Test("pvgen diff kmod is silent and exits 0 on the checked-in tree")
    func diffClean() async throws {
        let result = try await PVGenBinary.run("diff", Repository.path("kmod"))
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.isEmpty)
    }

    @Test("pvgen diff prints a unified diff and exits 1 when a generated file changed")
    func diffStale() async throws {
        let tree = try Repository.scratch("diff").appendingPathComponent("kmod")
        try OutputTree.write(try Generator(catalog: .builtIn).generate(), to: tree)
        let header = tree.appendingPathComponent("include/pvgen_abi.h")
        let text = try String(contentsOf: header, encoding: .utf8)
        try Data(text.replacingOccurrences(of: "PVGEN_MAX_ENTRIES\t\t64", with: "PVGEN_MAX_ENTRIES\t\t63").utf8).write(to: header)
        try Data("stale".utf8).write(to: tree.appendingPathComponent("extra.c"))
        let result = try await PVGenBinary.run("diff", tree.path)
        #expect(result.status == 1)
        #expect(result.output.contains("-#define PVGEN_MAX_ENTRIES\t\t63"))
        #expect(result.output.contains("+#define PVGEN_MAX_ENTRIES\t\t64"))
        #expect(result.output.contains("+++ /dev/null"))
        #expect(result.output.contains("run `pvgen generate --out"))
    }

    @Test("the YAML model pvgen model prints generates the same tree")
    func modelRoundTrip() async throws {
        let scratch = try Repository.scratch("model")
        let model = scratch.appendingPathComponent("catalog.yaml")
        try Data(try await PVGenBinary.run("model").output.utf8).write(to: model)
        let out = scratch.appendingPathComponent("kmod")
        let result = try await PVGenBinary.run("generate", "--model", model.path, "--out", out.path)
        #expect(result.status == 0, "\(result.output)")
        #expect(try OutputTree.read(out) == (try Generator(catalog: .builtIn).generate()))
    }

    @Test("a bad model file gets one error naming the file and the field, and nothing is written")
    func badModel() async throws {
        let scratch = try Repository.scratch("bad-model")
        let model = scratch.appendingPathComponent("bad.yaml")
        let yaml = try await PVGenBinary.run("model").output
            .replacingOccurrences(of: "number: 0x70760002", with: "number: 12")
        try Data(yaml.utf8).write(to: model)
        let out = scratch.appendingPathComponent("kmod")
        let result = try await PVGenBinary.run("generate", "--model", model.path, "--out", out.path)
        #expect(result.status != 0)
        #expect(result.output.hasPrefix("\(model.path):16:13: abi.batch.number: hypercall number 12 collides with KVM_HC_MAP_GPA_RANGE"))
        #expect(result.output.split(separator: "\n").count == 1)
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }

    @Test("pvgen list shows the ABI fingerprint and every planned sequence")
    func list() async throws {
        let result = try await PVGenBinary.run("list")
        #expect(result.status == 0)
        #expect(result.output.contains("fingerprint \(Catalog.builtIn.abi.fingerprint)"))
        #expect(result.output.contains("tf_load: 14 accesses; stays open into exec_command/bmdma_setup"))
    }
}
