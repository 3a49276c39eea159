import CodeGen
import Foundation
import HypercallABI
import KernelBuild
import Testing

@Suite("Guest modules built with kbuild")
struct KbuildTests {
    @Test("every guest module builds against the installed headers with W=1 and sparse, with no warnings")
    func buildsWithoutWarnings() async throws {
        let build = try await BuiltCatalog.shared.value
        #expect(!build.results.isEmpty)
        for (module, result) in build.results.sorted(by: { $0.key < $1.key }) {
            #expect(result.succeeded, "\(module) failed to build:\n\(result.output)")
            #expect(result.warnings.isEmpty, "\(module) warnings:\n\(result.warnings.joined(separator: "\n"))")
            #expect(result.output.contains("CHECK"), "sparse (C=1) did not run for \(module)")
        }
    }

    @Test(
        "every generated kernel C file passes the kernel's checkpatch.pl --strict with no error, warning or check",
        .enabled(
            if: FileManager.default.fileExists(atPath: GuestTweakTests.kernelTarball),
            "needs \(GuestTweakTests.kernelTarball) (Debian linux-source-6.1, installed by scripts/install-deps.sh)"))
    func checkpatchClean() async throws {
        let work = try Repository.scratch("checkpatch")
        let tree = "linux-source-6.1"
        let extract = try await runCommand(
            [
                "tar", "-xJf", GuestTweakTests.kernelTarball, "\(tree)/scripts/checkpatch.pl", "\(tree)/scripts/spelling.txt",
                "\(tree)/scripts/const_structs.checkpatch",
            ], in: work.path)
        try #require(extract.status == 0, "tar: \(extract.output)")
        let files = try Generator(catalog: .builtIn).generate().filter {
            ($0.path.hasPrefix("guest/") || $0.path.hasPrefix("host/lib/")) && ($0.path.hasSuffix(".c") || $0.path.hasSuffix(".h"))
        }
        #expect(files.count >= 4)
        for file in files {
            let path = work.appendingPathComponent(file.path.replacingOccurrences(of: "/", with: "_"))
            try Data(file.contents.utf8).write(to: path)
            let result = try await runCommand(
                ["perl", "scripts/checkpatch.pl", "--strict", "--no-tree", "--show-types", "-f", path.path],
                in: work.appendingPathComponent(tree).path)
            #expect(
                result.output.contains("total: 0 errors, 0 warnings, 0 checks"),
                "\(file.path):\n\(result.output.suffix(3000))")
        }
    }

    @Test("an unchanged rebuild reports the first build's warnings; --werror fails both times; the closing line names every failed module")
    func warningsOnRebuild() async throws {
        let kernel = try #require(Kbuild.defaultKernelDirectory(), "no kernel headers under /lib/modules")
        let tree = try Repository.scratch("kbuild-warnings")
        defer { try? FileManager.default.removeItem(at: tree) }
        let sources = [
            "guest/warny/Kbuild": "obj-m := warny.o\n",
            "guest/warny/warny.c": """
                // SPDX-License-Identifier: GPL-2.0
                #include <linux/module.h>
                static int __init warny_init(void)
                {
                \tint unused;
                \treturn 0;
                }
                module_init(warny_init);
                MODULE_LICENSE("GPL");

                """,
            "guest/broken/Kbuild": "obj-m := broken.o\n",
            "guest/broken/broken.c": "// SPDX-License-Identifier: GPL-2.0\nstatic int broken(void) { return nope; }\n",
        ]
        try OutputTree.writeFiles(sources.map { GeneratedFile(path: $0.key, contents: $0.value) }, under: tree)

        for run in 1...2 {
            let result = try await PVGenBinary.run("build", tree.path, "--kdir", kernel, "--werror")
            #expect(result.status == 1, "run \(run)")
            #expect(result.output.contains("  warnings:  1\n"), "run \(run):\n\(result.output)")
            #expect(result.output.contains("warny.c:5:13: warning: unused variable"), "run \(run)")
            #expect(
                result.output.contains("[pvgen] 2 of 2 modules failed: broken (kbuild failed), warny (1 warning, --werror)\n"),
                "run \(run):\n\(result.output)")
        }

        // The same through the library: nothing is recompiled, sparse runs on every source
        // (C=2), and the recorded warning is reported.
        let warny = tree.appendingPathComponent("guest/warny").path
        let unchanged = try await Kbuild.build(moduleDirectory: warny, kernelDirectory: kernel, sparse: true)
        #expect(unchanged.succeeded)
        #expect(!unchanged.output.contains("CC [M]"), "\(unchanged.output)")
        #expect(unchanged.output.contains("CHECK"))
        #expect(unchanged.warnings.count == 1, "\(unchanged.warnings)")
        // Without the record (a tree built by plain make), the module is cleaned and rebuilt.
        try FileManager.default.removeItem(atPath: warny + "/" + Kbuild.warningRecord)
        let rebuilt = try await Kbuild.build(moduleDirectory: warny, kernelDirectory: kernel)
        #expect(rebuilt.output.contains("CC [M]  \(warny)/warny.o"))
        #expect(rebuilt.warnings.count == 1, "\(rebuilt.warnings)")
        // A copy of the built tree (as the verify tests make) counts the warning once.
        let copy = tree.deletingLastPathComponent().appendingPathComponent(tree.lastPathComponent + "-copy")
        defer { try? FileManager.default.removeItem(at: copy) }
        #expect(try await runCommand(["cp", "-a", tree.path, copy.path]).status == 0)
        let copied = try await Kbuild.build(moduleDirectory: copy.appendingPathComponent("guest/warny").path, kernelDirectory: kernel)
        #expect(copied.warnings.count == 1, "\(copied.warnings)")
    }

    @Test("libkmod reads license, vermagic, parameters and the ABI fingerprint back from the .ko")
    func modinfo() async throws {
        let build = try await BuiltCatalog.shared.value
        let info = try ModuleInfo.read(path: build.module("pata_pvgen_piix"))
        #expect(info.name == "pata_pvgen_piix")
        #expect(info.license == "GPL")
        let release = URL(fileURLWithPath: build.kernelDirectory).deletingLastPathComponent().lastPathComponent
        #expect(info.vermagic?.hasPrefix(release + " ") == true)
        #expect(info.value(of: "pvgen_abi") == PVGenABI.abi.fingerprint)
        #expect(info.value(of: "alias")?.contains("v00008086d00007010") == true)
        #expect(Set(info.parameters.map(\.name)).isSuperset(of: ["transport", "transport_in_use", "submissions", "entries"]))
    }

    @Test("the fingerprint in the .ko equals the shared header's and the host stub library's constant")
    func fingerprintMatchesHost() async throws {
        let build = try await BuiltCatalog.shared.value
        let info = try ModuleInfo.read(path: build.module("pata_pvgen_piix"))
        let fingerprint = try #require(info.value(of: "pvgen_abi"))
        let header = try String(contentsOf: build.tree.appendingPathComponent("include/pvgen_abi.h"), encoding: .utf8)
        #expect(header.contains("#define PVGEN_ABI_FINGERPRINT\t\"\(fingerprint)\""))
        let host = try String(contentsOf: build.tree.appendingPathComponent("host/lib/pvgen_host.h"), encoding: .utf8)
        #expect(host.contains("#define PVGEN_HOST_ABI_FINGERPRINT\t\"\(fingerprint)\""))
    }
}
