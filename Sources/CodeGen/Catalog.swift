import DriverModel
import HypercallABI

/// What pvgen generates from: one batch ABI and the devices whose drivers use it.
public struct Catalog: Codable, Sendable, Hashable {
    public var abi: BatchABI
    public var devices: [Device]

    public init(abi: BatchABI, devices: [Device]) {
        self.abi = abi
        self.devices = devices
    }

    /// The embedded default: `pvgen generate` with no model file.
    public static let builtIn = Catalog(abi: PVGenABI.abi, devices: [PIIXIDE.device])

    /// Every problem in the catalog, each naming the field at fault.
    public func validate() -> [Diagnostic] {
        var diagnostics = ABIValidator.validate(abi, at: "abi")
        for (index, device) in devices.enumerated() {
            diagnostics += ModelValidator.validate(device, at: "devices[\(index)]")
        }
        if devices.filter({ $0.qemuType != nil }).count > 1 {
            diagnostics.append(Diagnostic(field: "devices", message: "only one device may name a qemu_type: the QEMU doorbell device serves one"))
        }
        if Set(devices.map(\.name)).count != devices.count {
            diagnostics.append(Diagnostic(field: "devices", message: "two devices share a name"))
        }
        return diagnostics
    }
}
