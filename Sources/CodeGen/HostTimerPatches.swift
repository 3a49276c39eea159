import DriverModel

/// The host PIT patches (QEMU's isa-pit and KVM's in-kernel PIT), with the model's factor as
/// the default of the knob each adds. They come after the project's other patch of the same
/// tree, and touch files the other does not, so they apply in either order.
enum HostTimerPatches {
    static let qemuFile = "host/qemu/0002-hw-timer-i8254-scale-the-channel-0-reload-count.patch"
    static let kvmFile = "host/kvm/0002-KVM-x86-i8254-scale-the-channel-0-reload-count.patch"

    static func context(_ timer: HostTimer) -> [String: Any] {
        ["factor": timer.pitCountFactor, "hz": timer.guestHz, "rate": rate(timer)]
    }

    /// `62.5`: the scaled IRQ0 rate with one decimal, as the commit messages state it.
    static func rate(_ timer: HostTimer) -> String {
        let tenths = Int((timer.scaledInterruptRate * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }

    static func render(_ timer: HostTimer) throws -> [GeneratedFile] {
        let context = context(timer)
        return [
            GeneratedFile(path: qemuFile, contents: try Templates.render("qemu/pit-count-factor.patch", context)),
            GeneratedFile(path: kvmFile, contents: try Templates.render("host/kvm-pit-count-factor.patch", context)),
        ]
    }
}
