import DriverModel
import HypercallABI

/// The one place generated C names come from, so that the header, the guest module and the
/// host stubs cannot drift apart.
public struct Naming: Sendable {
    public let abi: BatchABI

    public init(abi: BatchABI) { self.abi = abi }

    var upper: String { abi.prefix.uppercased() }

    public var headerFile: String { "\(abi.prefix)_abi.h" }
    public var headerGuard: String { "_\(upper)_ABI_H" }
    public var version: String { "\(upper)_ABI_VERSION" }
    public var fingerprint: String { "\(upper)_ABI_FINGERPRINT" }
    public func hypercall(_ call: Hypercall) -> String { "\(upper)_HC_\(call.name.uppercased())" }
    public var doorbellPort: String { "\(upper)_DOORBELL_PORT" }
    public var doorbellMagic: String { "\(upper)_DOORBELL_MAGIC" }
    public var maxEntries: String { "\(upper)_MAX_ENTRIES" }
    public var queueAlign: String { "\(upper)_QUEUE_ALIGN" }
    public var doorbellLimit: String { "\(upper)_DOORBELL_ADDR_LIMIT" }
    public var kvmExitBit: String { "\(upper)_KVM_EXIT_HYPERCALL_BIT" }
    /// The KVM patch, one file per hypercall-forwarding change.
    public var kvmPatchFile: String { "0001-KVM-x86-forward-\(abi.prefix)-hypercalls-to-userspace.patch" }
    public func op(_ op: BatchOp) -> String {
        let suffix: String
        switch op {
        case .out: suffix = "OUT"
        case .in: suffix = "IN"
        case .inWait: suffix = "IN_WAIT"
        case .inExpect: suffix = "IN_EXPECT"
        case .update: suffix = "RMW"
        }
        return "\(upper)_OP_\(suffix)"
    }
    public func result(_ status: StatusCode) -> String { "\(upper)_RESULT_\(status.name.uppercased())" }
    public func error(_ status: StatusCode) -> String { "\(upper)_ERR_\(status.name.uppercased())" }
    public func error(named name: String) -> String { "\(upper)_ERR_\(name.uppercased())" }
    public func result(named name: String) -> String { "\(upper)_RESULT_\(name.uppercased())" }
    public func feature(_ feature: FeatureBit) -> String { "\(upper)_FEATURE_\(feature.name.uppercased())" }
    public var entryStruct: String { "\(abi.prefix)_\(abi.entry.name)" }

    /// The exitless ring: its header struct, port, magic, slot count, size and flags.
    public var ringStruct: String { "\(abi.prefix)_\(abi.ring?.header.name ?? "ring")" }
    public var ringPort: String { "\(upper)_RING_PORT" }
    public var ringMagic: String { "\(upper)_RING_MAGIC" }
    public var ringSlots: String { "\(upper)_RING_SLOTS" }
    public var ringSize: String { "\(upper)_RING_SIZE" }
    public var ringSlotsOffset: String { "\(upper)_RING_SLOTS_OFFSET" }
    public var ringKicks: String { "\(upper)_RING_KICKS" }
    public func ringFlag(_ flag: FeatureBit) -> String { "\(upper)_RING_\(flag.name.uppercased())" }
    public func ringFlag(named name: String) -> String { "\(upper)_RING_\(name.uppercased())" }
    public func ringOperation(named name: String) -> String { "\(upper)_RING_OP_\(name.uppercased())" }
    public var ringOperationMask: String { "\(upper)_RING_OP_MASK" }
    /// What stock KVM answers an unknown hypercall with, negated: part of the probe's contract.
    public var portWindowFirst: String { "\(upper)_PORT_WINDOW_FIRST" }
    public var portWindowLast: String { "\(upper)_PORT_WINDOW_LAST" }
    public var kvmEnosys: String { "\(upper)_KVM_ENOSYS" }

    /// The kernel module that drives `device` (`pata_pvgen_piix`).
    public func guestModule(for device: Device) -> String {
        device.name == "piix_ide" ? "pata_\(abi.prefix)_piix" : "\(abi.prefix)_\(device.name)"
    }

    /// The generated network driver for `device` (`pvgen_e1000`).
    public func networkModule(for device: NetworkDevice) -> String { "\(abi.prefix)_\(device.name)" }

    /// Identifiers of the host stub library.
    public var hostLibrary: String { "lib\(abi.prefix)_host" }
    public var hostHeader: String { "\(abi.prefix)_host.h" }
    public var hostSource: String { "\(abi.prefix)_host.c" }
    public func host(_ name: String) -> String { "\(abi.prefix)_host_\(name)" }
    /// `PVGEN_HOST_<NAME>`: a constant of the host stub library.
    public func hostConstant(_ name: String) -> String { host(name).uppercased() }
    /// The configuration a VMM hands to every entry point (`struct pvgen_host`).
    public var hostStruct: String { "\(abi.prefix)_host" }
    /// The host library's allowlist function for a device, and the number of ranges it fills.
    public func hostPortsFunction(_ device: Device) -> String { host("\(device.name)_ports") }
    public func hostPortsCount(_ device: Device) -> String { hostConstant("\(device.name)_nr_ports") }

    /// The QEMU device that serves the doorbell: QOM type name and C prefix.
    public var qemuDeviceType: String { "\(abi.prefix)-batch" }
    public var qemuPrefix: String { "\(abi.prefix)_batch" }

    /// The generated QEMU 7.2 patch that lets TCG vCPUs hand VMCALL/VMMCALL to a device, and
    /// the names it adds that the device uses. They are QEMU's, not the ABI's: nothing in
    /// the patch is pvgen-specific, so they do not follow the ABI prefix.
    public var qemuHypercallPatchFile: String { "0001-target-i386-tcg-serve-KVM-hypercalls-through-a-device.patch" }
    /// Defined in `config-host.h` of a QEMU built with the patch.
    public var qemuHypercallConfig: String { "CONFIG_X86_PV_HYPERCALL" }
    /// The header the patch adds (under `include/`), its guard, the handler type and the
    /// function that registers one.
    public var qemuHypercallHeader: String { "hw/i386/pv-hypercall.h" }
    public var qemuHypercallHeaderGuard: String {
        String(qemuHypercallHeader.uppercased().map { $0.isLetter || $0.isNumber ? $0 : "_" })
    }
    public var qemuHypercallHandlerType: String { "X86PVHypercallFn" }
    public var qemuHypercallSetHandler: String { "x86_pv_hypercall_set_handler" }

    /// Shared-header additions the host stubs check against.
    public var entryAlign: String { "\(upper)_ENTRY_ALIGN" }
    public var doorbellCountMask: String { "\(upper)_DOORBELL_COUNT_MASK" }
    /// The `static inline` encoder of one entry, used by the guest module and the host tests.
    public var entryInit: String { "\(abi.prefix)_entry_init" }
}
