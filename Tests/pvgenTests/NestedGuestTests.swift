import CodeGen
import Foundation
import Testing

/// A nested guest's hypercall is its own hypervisor's business: neither host patch may serve an
/// L2 guest's VMCALL/VMMCALL as if L1 had issued it (its addresses are L2's, not L1's memory).
/// The TCG side runs here for real: a bare-metal L1 hypervisor (`Tests/rigs/nested/`) boots on
/// the suite's QEMU build, is its own SVM hypervisor under TCG, and reports what its L2 guest's
/// hypercalls did. The KVM side cannot run here (the patched kvm.ko is only compiled, and this
/// machine's /dev/kvm is PVM); its guard is checked in the patch text, and KVMPatchTests
/// compiles it.
@Suite("Nested guests: an L2 guest's hypercalls never reach pvgen's handler", .serialized)
struct NestedGuestTests {
    func probe(_ extra: [String]) async throws -> String {
        let qemu = try await BuiltQEMU.binary.value
        let result = try await runCommand([Repository.path("Tests/rigs/nested/run-nested.sh"), qemu] + extra)
        #expect(result.status == 0, "\(result.output.suffix(6000))")
        #expect(result.output.contains("11 passed, 0 failed"), "\(result.output.suffix(6000))")
        return result.output
    }

    @Test(
        "TCG: L1's VMCALL and VMMCALL reach the device; an L2 guest's go to L1's intercept or #UD, its CPUID does not say KVM, the device counts only L1's",
        .timeLimit(.minutes(5)))
    func tcgRefusesGuestMode() async throws {
        let output = try await probe([])
        #expect(output.contains("ok   L2 VMMCALL, L1 intercepts #UD: #UD (to L1), not the device"))
        #expect(output.contains("ok   L2 VMCALL, L1 intercepts #UD: #UD (to L1), not the device"))
    }

    @Test(
        "TCG under -icount: a hypercall whose batch makes the IDE raise IRQ14 runs (it is translated as I/O, gen_io_start(), as IN/OUT are)",
        .timeLimit(.minutes(5)))
    func tcgUnderIcount() async throws {
        let output = try await probe(["--icount"])
        #expect(output.contains("ok   L1: a batch whose IDENTIFY raises IRQ14 inside the hypercall runs"))
    }

    @Test("the KVM patch forwards nothing from guest mode, and the TCG patch serves nothing there")
    func patchesGuardGuestMode() throws {
        let files = try Generator(catalog: .builtIn).generate()
        let kvm = try #require(files.first { $0.path.hasPrefix("host/kvm/0001-") }).contents
        // The guard sits in the forwarded cases, before anything reaches the VMM.
        let guardLine = "+\t\tif (is_guest_mode(vcpu) ||\n+\t\t    !(vcpu->kvm->arch.hypercall_exit_enabled &\n"
        let guardAt = try #require(kvm.range(of: guardLine))
        let exitAt = try #require(kvm.range(of: "+\t\tvcpu->run->exit_reason        = KVM_EXIT_HYPERCALL;"))
        #expect(guardAt.upperBound <= exitAt.lowerBound)
        let tcg = try #require(files.first { $0.path.hasPrefix("host/qemu/0001-") }).contents
        #expect(tcg.contains("+    if (!fn || (env->hflags & HF_GUEST_MASK)) {\n+        return false;\n"))
        #expect(tcg.contains("+    return qatomic_read(&x86_pv_hypercall_fn) != NULL &&\n+           !(env->hflags & HF_GUEST_MASK);\n"))
        // gen_io_start() under icount before both helpers.
        let icount = "+            if (tb_cflags(s->base.tb) & CF_USE_ICOUNT) {\n+                gen_io_start();\n+            }\n"
        #expect(tcg.components(separatedBy: icount).count == 3)
    }
}
