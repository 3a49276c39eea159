import CodeGen
import DriverModel
import Foundation
import HypercallABI
import Testing

@Suite("Generated KVM patches for Linux 6.1")
struct KVMPatchTests {
    /// The generated host/kvm patches of `catalog`, by file name, in the order they apply.
    static func patches(_ catalog: Catalog = .builtIn) throws -> [(name: String, text: String)] {
        try Generator(catalog: catalog).generate().filter { $0.path.hasPrefix("host/kvm/") && $0.path.hasSuffix(".patch") }
            .map { (String($0.path.dropFirst("host/kvm/".count)), $0.contents) }
    }

    func patch(_ catalog: Catalog = .builtIn) throws -> String {
        let name = Naming(abi: catalog.abi).kvmPatchFile
        return try #require(try Self.patches(catalog).first { $0.name == name }).text
    }

    @Test("the patch forwards exactly the ABI's hypercall numbers behind the ABI's exit bit")
    func numbersComeFromTheABI() throws {
        let text = try patch()
        let abi = PVGenABI.abi
        #expect(text.contains("+#define KVM_HC_PVGEN_PROBE\t\t0x\(String(abi.probe.number, radix: 16))\n"))
        #expect(text.contains("+#define KVM_HC_PVGEN_BATCH\t\t0x\(String(abi.batch.number, radix: 16))\n"))
        #expect(text.contains("+#define KVM_EXIT_HYPERCALL_PVGEN\tBIT(\(abi.kvmExitHypercallBit))\n"))
        // The forwarded cases sit after the CPL check, inside kvm_emulate_hypercall's switch.
        #expect(text.contains("@@ int kvm_emulate_hypercall(struct kvm_vcpu *vcpu)"))
        #expect(!text.contains("Date:"))
    }

    /// The patch for an ABI with or without the ring (three or two forwarded hypercalls).
    func patch(ring: Bool) throws -> String {
        var catalog = Catalog.builtIn
        if !ring {
            catalog.abi.ring = nil
            catalog.abi.features.removeAll { $0.name == "ring" }
        }
        return try patch(catalog)
    }

    @Test("every hunk header and the diffstat count the lines the patch has, with the ring's hypercall and without", arguments: [true, false])
    func hunksAddUp(ring: Bool) throws {
        let text = try patch(ring: ring)
        let count = PatchLines.count(text)
        #expect(count.hunks == 3)
        #expect(text.contains("2 files changed, \(count.insertions) insertions(+), \(count.deletions) deletions(-)"))
        #expect(text.contains("+\tcase KVM_HC_PVGEN_RING:") == ring)
    }

    @Test(
        "the PIT patches default to the 8254 (factor 1) for every VM; the model's factor and its rate are the documented opt-in (QEMU and KVM)",
        arguments: [4, 10])
    func pitFactorFromTheModel(factor: Int) throws {
        var catalog = Catalog.builtIn
        catalog.hostTimer = HostTimer(pitCountFactor: factor, guestHz: 250)
        let text = try #require(try Self.patches(catalog).first { $0.name.hasPrefix("0002-") }).text
        // KVM: a per-VM capability, no host-wide module parameter; a VM that does not enable it
        // keeps factor 1.
        let cap = String(format: "0x%08x", HostTimerPatches.kvmCapability)
        #expect(text.contains("+#define KVM_CAP_X86_PIT_CH0_COUNT_FACTOR \(cap)\n"))
        #expect(text.contains("+\tkvm->arch.pit_ch0_count_factor = 1;\n"))
        #expect(text.contains("+\tcase KVM_CAP_X86_PIT_CH0_COUNT_FACTOR:\n"))
        #expect(!text.contains("module_param"))
        let rate = factor == 4 ? "62.5" : "25.0"
        #expect(text.contains("pvgen's\nmodel suggests \(factor): a guest that ticks periodically at HZ 250 then\ngets \(rate) IRQ0"))
        let qemu = try #require(try Generator(catalog: catalog).generate().first { $0.path.hasPrefix("host/qemu/0002-") }).contents
        #expect(qemu.contains("+    DEFINE_PROP_UINT32(\"ch0-count-factor\", PITCommonState,\n+                       channels[0].count_factor, 1),\n"))
        #expect(qemu.contains("pvgen's model suggests\n\(factor): a guest that ticks periodically at HZ 250 then gets \(rate)\nIRQ0"))
        for (patch, files) in [(text, 6), (qemu, 3)] {
            let count = PatchLines.count(patch)
            #expect(patch.contains("\(files) files changed, \(count.insertions) insertions(+), \(count.deletions) deletions(-)"))
        }
        // Without host_timer there are no PIT patches.
        catalog.hostTimer = nil
        let paths = try Generator(catalog: catalog).generate().map(\.path)
        #expect(!paths.contains { $0.contains("i8254") })
    }

    @Test("both patches apply to Debian's linux-source-6.1 in order, every hunk at its line, arch/x86/kvm compiles with them, the PIT capability reaches both lookups, kvm.ko has no PIT parameter", .timeLimit(.minutes(20)))
    func appliesAndCompiles() async throws {
        let scratch = try Repository.scratch("kvm-patch")
        var files: [String] = []
        for (name, text) in try Self.patches() {
            let file = scratch.appendingPathComponent(name)
            try Data(text.utf8).write(to: file)
            files.append(file.path)
        }
        #expect(files.count == 2)
        let out = scratch.appendingPathComponent("out")
        // --exact: every hunk at the line its header names. The capability number must reach
        // both places KVM looks it up.
        let cap = String(format: "0x%08x", HostTimerPatches.kvmCapability)
        let result = try await runCommand(
            [Repository.path("Tests/rigs/kvm-patch/check-kvm-patch.sh")] + files + [
                "--exact", "--expect-cmp", "kvm_vm_ioctl_enable_cap=\(cap)", "--expect-cmp", "kvm_vm_ioctl_check_extension=\(cap)",
                "--out", out.path,
            ])
        #expect(result.status == 0, "check-kvm-patch failed:\n\(result.output.suffix(6000))")
        #expect(result.output.contains("PASS"))
        #expect(result.output.contains("kvm_vm_ioctl_enable_cap (kvm.o) handles \(cap)"))
        #expect(result.output.contains("kvm_vm_ioctl_check_extension (kvm.o) handles \(cap)"))
        // The factor is per VM (KVM_ENABLE_CAP): kvm.ko has no host-wide PIT parameter.
        let modinfo = try await runCommand(["/sbin/modinfo", "-F", "parm", out.appendingPathComponent("kvm.ko").path])
        #expect(modinfo.status == 0 && !modinfo.output.isEmpty, "\(modinfo.output)")
        #expect(!modinfo.output.contains("pit"), "\(modinfo.output)")
    }

    @Test(
        "with and without the ring's hypercall, both patches apply to linux-source-6.1 in order with every hunk at its stated line",
        .timeLimit(.minutes(5)), arguments: [true, false])
    func hunksLandWhereTheySay(ring: Bool) async throws {
        var catalog = Catalog.builtIn
        if !ring {
            catalog.abi.ring = nil
            catalog.abi.features.removeAll { $0.name == "ring" }
        }
        let scratch = try Repository.scratch("kvm-patch-lines-\(ring)")
        let paths = ["arch/x86/kvm/x86.c", "arch/x86/kvm/i8254.c", "arch/x86/kvm/i8254.h", "arch/x86/include/asm/kvm_host.h",
                     "include/uapi/linux/kvm.h", "Documentation/virt/kvm/api.rst"]
        // The files the patches touch, from the rig's prepared tree or else the source tarball.
        let prepared = Repository.path(".build-kernel/linux-source-6.1")
        let tree = scratch.appendingPathComponent("linux-source-6.1")
        if FileManager.default.fileExists(atPath: "\(prepared)/\(paths[0])") {
            for path in paths {
                let target = tree.appendingPathComponent(path)
                try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
                try FileManager.default.copyItem(atPath: "\(prepared)/\(path)", toPath: target.path)
            }
        } else {
            let tar = try await runCommand(
                ["tar", "-xJf", "/usr/src/linux-source-6.1.tar.xz", "-C", scratch.path] + paths.map { "linux-source-6.1/\($0)" })
            try #require(tar.status == 0, "no prepared kernel tree and no linux-source-6.1 tarball: \(tar.output)")
        }
        for (name, text) in try Self.patches(catalog) {
            let file = scratch.appendingPathComponent(name)
            try Data(text.utf8).write(to: file)
            let result = try await runCommand(["patch", "-p1", "--fuzz=0", "-d", tree.path, "-i", file.path])
            #expect(result.status == 0, "\(name):\n\(result.output)")
            #expect(!result.output.contains("offset") && !result.output.contains("fuzz"), "\(name):\n\(result.output)")
        }
    }
}

/// Counts a unified diff's lines hunk by hunk, recording an issue where a hunk header's counts
/// disagree with the lines that follow it.
enum PatchLines {
    static func count(_ text: String) -> (hunks: Int, insertions: Int, deletions: Int) {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        var insertions = 0
        var deletions = 0
        var index = 0
        var hunks = 0
        while index < lines.count {
            guard let header = lines[index].firstMatch(of: /^@@ -\d+,(\d+) \+\d+,(\d+) @@/) else {
                index += 1
                continue
            }
            hunks += 1
            var old = 0
            var new = 0
            index += 1
            while index < lines.count, old < Int(header.1)! || new < Int(header.2)! {
                switch lines[index].first {
                case " ": old += 1; new += 1
                case "-": old += 1; deletions += 1
                case "+": new += 1; insertions += 1
                default: Issue.record("hunk \(hunks) ends early at line \(index + 1): \(lines[index])")
                }
                index += 1
            }
            #expect(old == Int(header.1)! && new == Int(header.2)!, "hunk \(hunks): header says \(header.1),\(header.2)")
        }
        return (hunks, insertions, deletions)
    }
}
