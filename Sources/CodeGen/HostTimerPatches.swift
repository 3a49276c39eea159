import DriverModel
import Foundation

/// The host PIT patches (QEMU's isa-pit and KVM's in-kernel PIT), with the model's factor as
/// the default of the knob each adds. They come after the project's other patch of the same
/// tree, and touch files the other does not, so they apply in either order.
enum HostTimerPatches {
    static let qemuFile = "host/qemu/0002-hw-timer-i8254-scale-the-channel-0-reload-count.patch"
    static let kvmFile = "host/kvm/0002-KVM-x86-i8254-scale-the-channel-0-reload-count.patch"

    /// What the patches and the guest-config README say: the factor, the guest's HZ, the scaled
    /// IRQ0 rate with one decimal (`62.5`), and the patches' paths.
    static func context(_ timer: HostTimer) -> [String: Any] {
        [
            "factor": timer.pitCountFactor, "hz": timer.guestHz, "rate": String(format: "%.1f", timer.scaledInterruptRate),
            "qemuPatch": qemuFile, "kvmPatch": kvmFile,
        ]
    }

    static func render(_ timer: HostTimer) throws -> [GeneratedFile] {
        let context = context(timer)
        return [
            GeneratedFile(path: qemuFile, contents: try Templates.render("qemu/pit-count-factor.patch", context)),
            GeneratedFile(path: kvmFile, contents: try Templates.render("host/kvm-pit-count-factor.patch", context)),
        ]
    }
}
