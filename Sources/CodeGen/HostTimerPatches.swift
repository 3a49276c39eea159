import DriverModel
import Foundation

/// The host PIT patches (QEMU's isa-pit and KVM's in-kernel PIT). Each adds an opt-in knob
/// whose default, 1, is the unchanged 8254 (QEMU: the `ch0-count-factor` property; KVM: the
/// per-VM capability `KVM_CAP_X86_PIT_CH0_COUNT_FACTOR`); the model's factor is the value they
/// document for it. The QEMU one touches files the TCG patch does not, so the two apply in
/// either order; the KVM one is made on top of the hypercall patch (both change `x86.c` and
/// `api.rst`), so its hunk headers are exact after it.
public enum HostTimerPatches {
    static let qemuFile = "host/qemu/0002-hw-timer-i8254-scale-the-channel-0-reload-count.patch"
    static let kvmFile = "host/kvm/0002-KVM-x86-i8254-scale-the-channel-0-reload-count.patch"
    /// The KVM capability number the KVM patch adds: out of tree, far above upstream's (223 in
    /// 6.1), "pv" and 8254 in hex.
    public static let kvmCapability: UInt32 = 0x7076_0254

    /// What the patches and the guest-config README say: the factor, the guest's HZ, the scaled
    /// IRQ0 rate with one decimal (`62.5`), the patches' paths and the KVM capability number.
    static func context(_ timer: HostTimer) -> [String: Any] {
        [
            "factor": timer.pitCountFactor, "hz": timer.guestHz, "rate": String(format: "%.1f", timer.scaledInterruptRate),
            "qemuPatch": qemuFile, "kvmPatch": kvmFile, "kvmCap": String(format: "0x%08x", kvmCapability),
        ]
    }

    /// Where the KVM patch's `x86.c` hunks start once the hypercall patch, with `hypercalls`
    /// forwarded numbers, is applied: its defines hunk adds 7 + n lines before
    /// `kvm_vm_ioctl_check_extension`, its case labels 17 + n more before `kvm_arch_init_vm`.
    static func kvmHunks(hypercalls: Int) -> [String: Any] {
        let before = 7 + hypercalls
        let after = before + 17 + hypercalls
        return [
            "checkExtensionLine": 4555 + before, "enableCapOld": 6446 + before, "enableCapNew": 6446 + before + 3,
            "initVmOld": 12568 + after, "initVmNew": 12568 + after + 17,
        ]
    }

    /// The two patches; `hypercalls` is how many numbers the KVM hypercall patch forwards.
    static func render(_ timer: HostTimer, hypercalls: Int) throws -> [GeneratedFile] {
        let context = context(timer).merging(kvmHunks(hypercalls: hypercalls)) { first, _ in first }
        return [
            GeneratedFile(path: qemuFile, contents: try Templates.render("qemu/pit-count-factor.patch", context)),
            GeneratedFile(path: kvmFile, contents: try Templates.render("host/kvm-pit-count-factor.patch", context)),
        ]
    }
}
