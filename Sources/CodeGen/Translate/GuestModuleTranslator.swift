import DriverModel
import HypercallABI

/// Builds the guest kernel module for one device.
struct GuestModuleTranslator {
    let plan: DevicePlan
    let abi: BatchABI
    let naming: Naming

    func translate() -> CFile {
        CFile(kind: .source, items: [.comment("TODO")])
    }
}
