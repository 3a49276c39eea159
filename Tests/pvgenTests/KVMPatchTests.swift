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
