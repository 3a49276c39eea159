import DriverModel
import HypercallABI

/// What pvgen generates from: one batch ABI and the devices whose drivers use it.
public struct Catalog: Codable, Sendable, Hashable {
    public var abi: BatchABI
    public var devices: [Device]
    /// Guest boot/queue configuration (the `none` scheduler, `pmtmr=0`); optional, so model
    /// files written before it existed still load (and generate no guest-config files).
    public var guestTweaks: GuestTweaks?
    /// Network controllers with a generated NAPI-off driver; optional like `guestTweaks`.
    public var networkDevices: [NetworkDevice]?
    /// The host PIT patches for guests that tick from the PIT; optional like `guestTweaks`.
    public var hostTimer: HostTimer?

    public init(
        abi: BatchABI, devices: [Device], guestTweaks: GuestTweaks? = nil, networkDevices: [NetworkDevice]? = nil,
        hostTimer: HostTimer? = nil
    ) {
        self.abi = abi
        self.devices = devices
        self.guestTweaks = guestTweaks
        self.networkDevices = networkDevices
        self.hostTimer = hostTimer
    }

    /// The embedded default: `pvgen generate` with no model file.
    public static let builtIn = Catalog(
        abi: PVGenABI.abi, devices: [PIIXIDE.device], guestTweaks: .qemu, networkDevices: [E1000.device],
        hostTimer: .quarterRate)

    /// Every problem in the catalog, each naming the field at fault.
    public func validate() -> [Diagnostic] {
        var diagnostics = ABIValidator.validate(abi, at: "abi")
        for (index, device) in devices.enumerated() {
            diagnostics += ModelValidator.validate(device, at: "devices[\(index)]")
        }
        diagnostics += PortSpaceValidation.validate(self)
        if devices.filter({ $0.qemuType != nil }).count > 1 {
            diagnostics.append(Diagnostic(field: "devices", message: "only one device may name a qemu_type: the QEMU doorbell device serves one"))
        }
        if let guestTweaks { diagnostics += GuestTweaks.validate(guestTweaks, at: "guest_tweaks") }
        if let hostTimer { diagnostics += HostTimer.validate(hostTimer, at: "host_timer") }
        for (index, device) in (networkDevices ?? []).enumerated() {
            diagnostics += NetworkValidator.validate(device, at: "network_devices[\(index)]")
        }
        if Set(devices.map(\.name)).count != devices.count {
            diagnostics.append(Diagnostic(field: "devices", message: "two devices share a name"))
        }
        return diagnostics
    }
}
