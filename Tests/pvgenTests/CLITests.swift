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

    @Test("pvgen list --entries prints every access with its batch and why each batch ends")
    func listEntries() async throws {
        let result = try await PVGenBinary.run("list", "--entries")
        #expect(result.status == 0)
        let lines = result.output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        // dev_select submits after its settle read and before its pause, as the driver does.
        let select = try #require(lines.firstIndex(of: "dev_select: 2 accesses; submits at return"))
        #expect(Array(lines[(select + 1)...(select + 4)]) == [
            "batch 1: out device (cmd+0x6, 1 byte) value select", "batch 1: in altstatus (ctl+0x0, 1 byte)",
            "-> batch 1 ends when dev_select returns (unless the batch is held)", "ndelay(400)",
        ])
        // A path's one batch, each entry with the sequence that queued it.
        #expect(lines.contains("batch 1: out command (cmd+0x7, 1 byte) value tf->command [exec_command]"))
        #expect(lines.contains("-> batch 1 ends: issue_dma: the sequence's batch ends"))
        #expect(lines.contains("-> batch 1 ends: driver needs the value of status"))
    }
}

/// `pvgen generate --out DIR` never destroys what is not its own (issue 12, section 9).
@Suite("pvgen generate --out")
struct OutputFolderTests {
    /// Everything below `root`, hidden files and links included: path, then the file's bytes,
    /// `link -> TARGET` or `folder`.
    static func snapshot(_ root: URL) throws -> [String: String] {
        var found: [String: String] = [:]
        let manager = FileManager.default
        func visit(_ relative: String) throws {
            let folder = relative.isEmpty ? root.path : root.path + "/" + relative
            for name in try manager.contentsOfDirectory(atPath: folder) {
                let path = relative.isEmpty ? name : relative + "/" + name
                let full = root.path + "/" + path
                switch try manager.attributesOfItem(atPath: full)[.type] as? FileAttributeType {
                case .typeSymbolicLink?: found[path] = "link -> " + (try manager.destinationOfSymbolicLink(atPath: full))
                case .typeDirectory?:
                    found[path] = "folder"
                    try visit(path)
                default: found[path] = (try? String(contentsOfFile: full, encoding: .utf8)) ?? "(binary)"
                }
            }
        }
        try visit("")
        return found
    }

    static func generate(_ out: String, in directory: URL) async throws -> CommandResult {
        try await runCommand([PVGenBinary.path, "generate", "--out", out], in: directory.path, environment: ["COLUMNS": "100"])
    }

    @Test(
        "a folder that is not pvgen's, a file, the current folder or its parent, and a broken link are refused in one line, and nothing changes",
        arguments: [
            (".", "'.' is the current folder"), ("", "'' is the current folder"), ("dir/..", "'dir/..' is the current folder"),
            ("dir/../..", "'dir/../..' contains the current folder"),
            ("my-work", "'my-work' is not a folder pvgen generated: it has no .pvgen-tree and holds 'notes.txt'"),
            ("afile", "'afile' is a file, not a folder"), ("afile/sub", "is a file, not a folder; pass another --out."),
            ("dangling", "a symbolic link to nothing"), // `..` after a link leaves the link's target, as the kernel resolves it (lexically this
            // would be the current folder).
            ("deep-link/..", "holds 'inner/notes.txt'"),
            ("built-only", "holds only build products"),
        ])
    func refused(out: String, message: String) async throws {
        let root = try Repository.scratch("out-refused")
        defer { try? FileManager.default.removeItem(at: root) }
        let cwd = root.appendingPathComponent("work")
        try FileManager.default.createDirectory(at: cwd.appendingPathComponent("my-work"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: cwd.appendingPathComponent("dir"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: cwd.appendingPathComponent("built-only"), withIntermediateDirectories: true)
        try Data("my notes\n".utf8).write(to: cwd.appendingPathComponent("my-work/notes.txt"))
        try Data("a file\n".utf8).write(to: cwd.appendingPathComponent("afile"))
        try Data("object\n".utf8).write(to: cwd.appendingPathComponent("built-only/x.o"))
        try FileManager.default.createSymbolicLink(atPath: cwd.appendingPathComponent("dangling").path, withDestinationPath: "nowhere")
        let inner = root.appendingPathComponent("elsewhere/inner")
        try FileManager.default.createDirectory(at: inner, withIntermediateDirectories: true)
        try Data("other notes\n".utf8).write(to: inner.appendingPathComponent("notes.txt"))
        try FileManager.default.createSymbolicLink(atPath: cwd.appendingPathComponent("deep-link").path, withDestinationPath: inner.path)
        let before = try Self.snapshot(root)

        let result = try await Self.generate(out, in: cwd)
        #expect(result.status == 1)
        #expect(result.output.hasPrefix("Error: ") && result.output.contains(message), "\(result.output)")
        #expect(result.output.split(separator: "\n").count == 1, "one line:\n\(result.output)")
        #expect(!result.output.contains("NSCocoaErrorDomain"))
        #expect(try Self.snapshot(root) == before, "the refused run changed something")
    }

    @Test("a new folder (with its parents), an empty one, and a folder pvgen generated are written; a link keeps pointing at the tree")
    func replaced() async throws {
        let cwd = try Repository.scratch("out-replaced")
        defer { try? FileManager.default.removeItem(at: cwd) }
        let expected = try Generator(catalog: .builtIn).generate()
        #expect(expected.contains(OutputTree.marker))

        #expect(try await Self.generate("new/deep/kmod", in: cwd).status == 0)
        #expect(try OutputTree.read(cwd.appendingPathComponent("new/deep/kmod")) == expected)
        try FileManager.default.createDirectory(at: cwd.appendingPathComponent("empty"), withIntermediateDirectories: false)
        #expect(try await Self.generate("empty", in: cwd).status == 0)
        #expect(try OutputTree.read(cwd.appendingPathComponent("empty")) == expected)

        // A marked tree is pvgen's: replaced whole, built products and extra files gone.
        let tree = cwd.appendingPathComponent("new/deep/kmod")
        try Data("x".utf8).write(to: tree.appendingPathComponent("guest/stale.o"))
        try Data("x".utf8).write(to: tree.appendingPathComponent("extra.c"))
        try FileManager.default.createSymbolicLink(atPath: cwd.appendingPathComponent("link").path, withDestinationPath: "new/deep/kmod")
        let result = try await Self.generate("link", in: cwd)
        #expect(result.status == 0, "\(result.output)")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: cwd.appendingPathComponent("link").path) == "new/deep/kmod")
        #expect(try OutputTree.read(tree) == expected)
        #expect(!FileManager.default.fileExists(atPath: tree.appendingPathComponent("guest/stale.o").path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: cwd.appendingPathComponent("new/deep").path) == ["kmod"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: cwd.path).sorted() == ["empty", "link", "new"])
    }

    @Test("a tree an older pvgen wrote (no marker, built) is recognised; one holding a file pvgen does not write is refused")
    func olderTree() async throws {
        let cwd = try Repository.scratch("out-older")
        defer { try? FileManager.default.removeItem(at: cwd) }
        let generated = try Generator(catalog: .builtIn).generate()
        let older = generated.filter { $0 != OutputTree.marker }
        let products = ["guest/pata_pvgen_piix/pata_pvgen_piix.o", "guest/pata_pvgen_piix/.pata_pvgen_piix.o.cmd",
                        "guest/pata_pvgen_piix/modules.order", "host/lib/libpvgen_host.a"].map { GeneratedFile(path: $0, contents: "built\n") }
        // An older generator's version of a file, still with pvgen's banner.
        let edited = older.map { file in
            file.path == "Makefile" ? GeneratedFile(path: file.path, contents: file.contents + "# older\n") : file
        }
        let kmod = cwd.appendingPathComponent("kmod")
        try OutputTree.writeFiles(edited + products, under: kmod)
        let result = try await Self.generate("kmod", in: cwd)
        #expect(result.status == 0, "\(result.output)")
        #expect(try OutputTree.read(kmod) == generated)

        let notes = cwd.appendingPathComponent("notes-kmod")
        try OutputTree.writeFiles(older + [GeneratedFile(path: "guest/TODO", contents: "mine\n")], under: notes)
        let before = try Self.snapshot(notes)
        let refused = try await Self.generate("notes-kmod", in: cwd)
        #expect(refused.status == 1)
        #expect(refused.output.contains("holds 'guest/TODO', which pvgen does not write"), "\(refused.output)")
        #expect(try Self.snapshot(notes) == before)
        // A file at a generated path that is someone else's (no banner, other bytes) is refused too.
        let own = cwd.appendingPathComponent("own")
        try OutputTree.writeFiles([GeneratedFile(path: "Makefile", contents: "all:\n\techo mine\n")], under: own)
        #expect(try await Self.generate("own", in: cwd).status == 1)
        #expect(try String(contentsOf: own.appendingPathComponent("Makefile"), encoding: .utf8) == "all:\n\techo mine\n")
    }

    @Test("a write that fails leaves the previous tree as it was and no temporary folder or new parent behind")
    func failedWrite() throws {
        let cwd = try Repository.scratch("out-failed")
        defer { try? FileManager.default.removeItem(at: cwd) }
        // "a" as a file and as a folder: the second cannot be written.
        let impossible = [GeneratedFile(path: "a", contents: "x"), GeneratedFile(path: "a/b", contents: "y")]
        #expect(throws: OutputTreeError.self) { try OutputTree.write(impossible, to: cwd.appendingPathComponent("new/deep/kmod")) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: cwd.path) == [])

        let tree = cwd.appendingPathComponent("kmod")
        try OutputTree.write(try Generator(catalog: .builtIn).generate(), to: tree)
        let before = try Self.snapshot(cwd)
        #expect(throws: OutputTreeError.self) { try OutputTree.write(impossible, to: tree) }
        #expect(try Self.snapshot(cwd) == before)
    }

    @Test("pvgen diff's stale hint repeats the --model it was given")
    func diffHintNamesModel() async throws {
        let cwd = try Repository.scratch("diff-model")
        defer { try? FileManager.default.removeItem(at: cwd) }
        try Data(try await PVGenBinary.run("model").output.utf8).write(to: cwd.appendingPathComponent("my catalog.yaml"))
        try OutputTree.write([GeneratedFile(path: "Makefile", contents: "stale\n")], to: cwd.appendingPathComponent("kmod"))
        let result = try await runCommand([PVGenBinary.path, "diff", "kmod", "--model", "my catalog.yaml"], in: cwd.path)
        #expect(result.status == 1)
        #expect(result.output.contains("kmod is stale: run `pvgen generate --model 'my catalog.yaml' --out kmod`"), "\(result.output.suffix(300))")
    }
}
