import CodeGen
import Foundation
import HypercallABI
import Testing

@Suite("Generated KVM patch for Linux 6.1")
struct KVMPatchTests {
    func patch() throws -> String {
        let files = try Generator(catalog: .builtIn).generate()
        return try #require(files.first { $0.path.hasPrefix("host/kvm/") && $0.path.hasSuffix(".patch") }).contents
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
        let files = try Generator(catalog: catalog).generate()
        return try #require(files.first { $0.path.hasPrefix("host/kvm/") && $0.path.hasSuffix(".patch") }).contents
    }

    @Test("every hunk header and the diffstat count the lines the patch has, with the ring's hypercall and without", arguments: [true, false])
    func hunksAddUp(ring: Bool) throws {
        let lines = try patch(ring: ring).split(separator: "\n", omittingEmptySubsequences: false)
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
        #expect(hunks == 3)
        let text = lines.joined(separator: "\n")
        #expect(text.contains("2 files changed, \(insertions) insertions(+), \(deletions) deletions(-)"))
        #expect(text.contains("+\tcase KVM_HC_PVGEN_RING:") == ring)
    }

    @Test("the patch applies to Debian's linux-source-6.1 and arch/x86/kvm compiles with it", .timeLimit(.minutes(20)))
    func appliesAndCompiles() async throws {
        let scratch = try Repository.scratch("kvm-patch")
        let patchFile = scratch.appendingPathComponent("kvm.patch")
        try Data(try patch().utf8).write(to: patchFile)
        let result = try await runCommand([Repository.path("Tests/rigs/kvm-patch/check-kvm-patch.sh"), patchFile.path, "--out", scratch.appendingPathComponent("out").path])
        #expect(result.status == 0, "check-kvm-patch failed:\n\(result.output.suffix(6000))")
        #expect(result.output.contains("PASS"))
    }
}
