import ABIVerify
import CodeGen
import Foundation
import HypercallABI
import KernelBuild
import Testing

/// `pvgen verify` on a generated and built tree: it passes as generated, and each mutation of one
/// ABI fact on one side only (a drifted copy of the header beside the guest module or in
/// host/lib, or an edit of one side's source), rebuilt on that side, makes it fail naming that
/// fact, the guest's and the host's value and the files they came from.
@Suite("pvgen verify: guest/host ABI agreement from built artifacts")
struct VerifyTests {
    static let module = "pata_pvgen_piix"
    static let guestDirectory = "guest/\(module)"

    /// The Debian packages verify reads and runs artifacts with, installed if missing (as
    /// scripts/install-deps.sh does for the rest): pahole and Unicorn.
    static let dependencies: Task<Void, any Error> = Task {
        var missing: [String] = []
        for package in ["dwarves", "libunicorn-dev"] {
            let status = try await runCommand(["dpkg-query", "-W", "-f=${db:Status-Status}", package])
            if status.output != "installed" { missing.append(package) }
        }
        guard !missing.isEmpty else { return }
        guard getuid() == 0 else {
            throw BuiltCatalog.Unavailable(description: "pvgen verify needs \(missing.joined(separator: " ")): apt-get install them")
        }
        _ = try await runCommand(["apt-get", "update", "-qq"])
        let install = try await runCommand(
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends"] + missing,
            environment: ["DEBIAN_FRONTEND": "noninteractive"])
        guard install.status == 0 else { throw BuiltCatalog.Unavailable(description: "apt-get install failed:\n\(install.output)") }
    }

    /// The built-in catalog as BuiltCatalog generated and built it (one kbuild for all tests),
    /// copied so that verify's host rebuild and the mutations never touch the shared tree.
    static let base: Task<URL, any Error> = Task {
        try await dependencies.value
        let build = try await BuiltCatalog.shared.value
        let result = try #require(build.results[module])
        guard result.succeeded else { throw BuiltCatalog.Unavailable(description: "kbuild failed:\n\(result.output)") }
        let tree = try Repository.scratch("verify-base").appendingPathComponent("tree")
        let copy = try await runCommand(["cp", "-a", build.tree.path, tree.path])
        guard copy.status == 0 else { throw BuiltCatalog.Unavailable(description: copy.output) }
        return tree
    }

    static func copyOfBase(_ name: String) async throws -> URL {
        let tree = try Repository.scratch("verify-\(name)").appendingPathComponent("tree")
        let copy = try await runCommand(["cp", "-a", try await base.value.path, tree.path])
        try #require(copy.status == 0, "\(copy.output)")
        return tree
    }

    static func verify(_ tree: URL) async throws -> (CommandResult, VerifyReport) {
        let json = try await PVGenBinary.run("verify", "--json", tree.path)
        let report = try JSONDecoder().decode(VerifyReport.self, from: Data(json.output.utf8))
        return (json, report)
    }

    @Test("the generated tree, built, passes: every check agrees, each path covered by its rig")
    func unchangedTreePasses() async throws {
        let tree = try await Self.copyOfBase("clean")
        defer { try? FileManager.default.removeItem(at: tree.deletingLastPathComponent()) }
        let text = try await PVGenBinary.run("verify", tree.path)
        #expect(text.status == 0, "\(text.output)")
        #expect(text.output.contains("checks, all agree"))
        #expect(text.output.contains("MISMATCH") == false)
        let (json, report) = try await Self.verify(tree)
        #expect(json.status == 0)
        #expect(report.passed)
        let sections = Set(report.checks.map(\.section))
        for section in ["fingerprint", "struct pvgen_io_entry", "hypercall probe", "hypercall batch", "doorbell", "limits", "op codes", "ring"] {
            #expect(sections.contains(section), "no \(section) checks")
        }
        // The ring's life as the module lives it (attach at the end of probe, a kicked batch, the
        // devm action's detach), against a host with a ring state scanned for every op code.
        for operation in PVGenABI.abi.ring!.operations {
            let field = "PVGEN_RING_OP_\(operation.name.uppercased()) (\(operation.name))"
            #expect(report.checks.contains { $0.section == "ring" && $0.field == field && $0.ok && $0.guest.value == "\(operation.code)" })
        }
        #expect(report.checks.contains { $0.section == "ring" && $0.field == "PVGEN_RING_DETACHED" && $0.ok })
        #expect(report.checks.contains { $0.section == "ring" && $0.field.hasPrefix("round trip") && $0.ok })
        #expect(report.coverage.contains { $0.path.hasPrefix("exitless ring") })
        // Every field of the entry, every hypercall argument, every op, a round trip per sequence.
        for field in PVGenABI.abi.entry.fields {
            #expect(report.checks.contains { $0.field == "\(field.name).offset" && $0.ok })
        }
        #expect(report.checks.contains { $0.field == "queue_gpa register" && $0.guest.value == "rbx" && $0.host.value == "rbx" })
        #expect(report.checks.contains { $0.field == "count register" && $0.guest.value == "rcx" && $0.host.value == "rcx" })
        #expect(report.checks.filter { $0.field.hasPrefix("round trip") && $0.rig == "unicorn" }.count >= 10)
        let vmcall = try #require(report.coverage.first { $0.path.hasPrefix("vmcall") })
        #expect(vmcall.rig == "unicorn")
        let doorbell = try #require(report.coverage.first { $0.path.hasPrefix("PIO doorbell") })
        if FileManager.default.fileExists(atPath: "/dev/kvm") {
            #expect(doorbell.rig == "kvm", "\(doorbell.note)")
            #expect(report.checks.contains { $0.section == "doorbell" && $0.rig == "kvm" && $0.field.hasPrefix("round trip") })
        } else {
            #expect(doorbell.rig == "unicorn")
        }
    }

    /// One ABI fact changed on one side.
    struct Mutation: Sendable, CustomTestStringConvertible {
        enum Side: String, Sendable { case guest, host }
        var name: String
        var side: Side
        /// The file to edit, relative to the tree; a copy of include/pvgen_abi.h when it is
        /// the side's own header (guest/<module>/pvgen_abi.h or host/lib/pvgen_abi.h).
        var file: String
        var edits: [(String, String)]
        /// The check that must fail: section, field, and the guest's and host's values.
        var section: String
        var field: String
        var guest: String
        var host: String

        var testDescription: String { "\(name) (\(side.rawValue) side)" }

        var ownHeader: Bool { file.hasSuffix("/pvgen_abi.h") }
    }

    static let mutations: [Mutation] = [
        Mutation(
            name: "a field offset", side: .guest, file: "\(guestDirectory)/pvgen_abi.h",
            edits: [("\t__u32 value;\n\t__u32 mask;\n", "\t__u32 mask;\n\t__u32 value;\n")],
            section: "struct pvgen_io_entry", field: "value.offset", guest: "8", host: "4"),
        Mutation(
            name: "a field width", side: .host, file: "host/lib/pvgen_abi.h",
            edits: [("\t__u32 value;\n", "\t__u16 value;\n")],
            section: "struct pvgen_io_entry", field: "value.size", guest: "4", host: "2"),
        Mutation(
            name: "the entry size", side: .guest, file: "\(guestDirectory)/pvgen_abi.h",
            edits: [("\t__s32 result;\n", "\t__s32 result;\n\t__u32 spare;\n")],
            section: "struct pvgen_io_entry", field: "size", guest: "20", host: "16"),
        Mutation(
            name: "a hypercall number", side: .host, file: "host/lib/pvgen_abi.h",
            edits: [("#define PVGEN_HC_BATCH\t0x70760002", "#define PVGEN_HC_BATCH\t0x70760004")],
            section: "hypercall batch", field: "number", guest: "0x70760002", host: "0x70760004"),
        Mutation(
            name: "an op code", side: .guest, file: "\(guestDirectory)/pvgen_abi.h",
            edits: [("#define PVGEN_OP_RMW\t\t4", "#define PVGEN_OP_RMW\t\t6")],
            section: "op codes", field: "PVGEN_OP_RMW (rmw)", guest: "6", host: "4"),
        Mutation(
            name: "the argument register", side: .guest, file: "\(guestDirectory)/\(module).c",
            edits: [("kvm_hypercall2(PVGEN_HC_BATCH, pp->gpa, n)", "kvm_hypercall3(PVGEN_HC_BATCH, 0, pp->gpa, n)")],
            section: "hypercall batch", field: "queue_gpa register", guest: "rcx", host: "rbx"),
        Mutation(
            name: "the argument register", side: .host, file: "host/lib/pvgen_host.c",
            edits: [
                ("\t(void)a2;\n\tif (!enter())", "\t(void)a1;\n\tif (!enter())"),
                ("if (a1 && a1 <= PVGEN_MAX_ENTRIES)", "if (a2 && a2 <= PVGEN_MAX_ENTRIES)"),
                ("ret = run_batch(h, a0, (__u32)a1)", "ret = run_batch(h, a0, (__u32)a2)"),
            ],
            section: "hypercall batch", field: "count register", guest: "rcx", host: "rdx"),
        Mutation(
            name: "the fingerprint", side: .host, file: "host/lib/pvgen_host.h",
            edits: [(PVGenABI.abi.fingerprint, String(repeating: "0", count: 64))],
            section: "fingerprint", field: "pvgen_abi", guest: PVGenABI.abi.fingerprint,
            host: String(repeating: "0", count: 64)),
        Mutation(
            name: "the doorbell port", side: .guest, file: "\(guestDirectory)/pvgen_abi.h",
            edits: [("#define PVGEN_DOORBELL_PORT\t\t0x0560", "#define PVGEN_DOORBELL_PORT\t\t0x0564")],
            section: "doorbell", field: "port", guest: "0x564", host: "0x560"),
        Mutation(
            name: "a ring operation code", side: .host, file: "host/lib/pvgen_abi.h",
            edits: [("#define PVGEN_RING_OP_DETACH\t2", "#define PVGEN_RING_OP_DETACH\t3")],
            section: "ring", field: "PVGEN_RING_OP_DETACH (detach)", guest: "2", host: "3"),
        Mutation(
            name: "a ring operation code", side: .guest, file: "\(guestDirectory)/pvgen_abi.h",
            edits: [("#define PVGEN_RING_OP_DETACH\t2", "#define PVGEN_RING_OP_DETACH\t3")],
            section: "ring", field: "PVGEN_RING_OP_DETACH (detach)", guest: "3", host: "2"),
        Mutation(
            name: "the maximum entry count", side: .host, file: "host/lib/pvgen_abi.h",
            edits: [("#define PVGEN_MAX_ENTRIES\t\t64", "#define PVGEN_MAX_ENTRIES\t\t32")],
            section: "limits", field: "max_entries", guest: "64", host: "32"),
    ]

    @Test("a change of one ABI fact on one side fails pvgen verify, naming the fact, both values and their files",
          arguments: mutations)
    func mutationIsCaught(_ mutation: Mutation) async throws {
        let tree = try await Self.copyOfBase(mutation.name.replacingOccurrences(of: " ", with: "-") + "-" + mutation.side.rawValue)
        defer { try? FileManager.default.removeItem(at: tree.deletingLastPathComponent()) }
        let file = tree.appendingPathComponent(mutation.file)
        if mutation.ownHeader {
            // This side's own copy of the shared header, found first by its quoted #include.
            try FileManager.default.copyItem(at: tree.appendingPathComponent("include/pvgen_abi.h"), to: file)
        }
        var text = try String(contentsOf: file, encoding: .utf8)
        for (old, new) in mutation.edits {
            try #require(text.contains(old), "\(mutation.file) has no \(old.debugDescription)")
            text = text.replacingOccurrences(of: old, with: new)
        }
        if mutation.ownHeader {
            // A drifted copy drops the checks that would stop its own build.
            text = text.replacingOccurrences(of: #"_Static_assert\([^;]*\);\n"#, with: "", options: .regularExpression)
        }
        try Data(text.utf8).write(to: file)
        if mutation.side == .guest {
            // Only the guest side is rebuilt (verify rebuilds host/lib itself), from clean.
            let folder = tree.appendingPathComponent(Self.guestDirectory)
            for name in try FileManager.default.contentsOfDirectory(atPath: folder.path)
            where !["Kbuild", "Makefile"].contains(name) && !name.hasSuffix(".c") && !name.hasSuffix(".h") {
                try FileManager.default.removeItem(at: folder.appendingPathComponent(name))
            }
            let build = try await BuiltCatalog.shared.value
            let result = try await Kbuild.build(
                moduleDirectory: tree.appendingPathComponent(Self.guestDirectory).path, kernelDirectory: build.kernelDirectory)
            try #require(result.succeeded, "kbuild of the mutated guest failed:\n\(result.output)")
        }

        let (json, report) = try await Self.verify(tree)
        #expect(json.status == 1, "pvgen verify exited \(json.status)")
        #expect(!report.passed)
        let failing = report.mismatches.first { $0.section == mutation.section && $0.field == mutation.field }
        let check = try #require(
            failing, "no failing \(mutation.section): \(mutation.field); failing: \(report.mismatches.map(\.name))")
        #expect(check.guest.value == mutation.guest, "guest value \(check.guest.value)")
        #expect(check.host.value == mutation.host, "host value \(check.host.value)")
        #expect(check.guest.source.contains("\(Self.guestDirectory)/\(Self.module).ko"))
        #expect(check.host.source.contains("host/lib/libpvgen_host.a"))
        if mutation.section == "hypercall batch" && mutation.field == "number" {
            // The host's value is named with the file it came from.
            #expect(check.host.source.contains("host/lib/pvgen_abi.h"), "\(check.host.source)")
        }

        // The text report says the same, field, both values and both files.
        let textReport = try await PVGenBinary.run("verify", tree.path)
        #expect(textReport.status == 1)
        let line = textReport.output.split(separator: "\n").first { $0.hasPrefix("  \(check.name): model") }
        let mismatchLine = try #require(line, "no mismatch line for \(check.name) in:\n\(textReport.output)")
        #expect(mismatchLine.contains("guest \(mutation.guest) (from \(Self.guestDirectory)/\(Self.module).ko"))
        #expect(mismatchLine.contains("host \(mutation.host) (from host/lib/libpvgen_host.a"))
    }
}
