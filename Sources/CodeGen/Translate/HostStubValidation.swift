import DriverModel
import HypercallABI

/// What the host stub library needs from a catalog beyond what the ABI and device validators
/// check: the statuses and hypercall arguments it refers to by name, limits it turns into
/// masks, and allowlists that cannot be right at any BAR address.
enum HostStubValidation {
    /// Errors the stub returns, and entry results it writes.
    static let errors = ["range", "count", "align", "op", "width", "port", "version", "reserved", "io"]
    static let results = ["pending", "ok"]
    /// KVM_EXIT_HYPERCALL carries a0..a2 in `args[0..2]`: the stub's hypercall entry point
    /// takes those three.
    static let hypercallArguments = 3

    static func validate(_ catalog: Catalog) -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        func report(_ field: String, _ message: String) {
            diagnostics.append(Diagnostic(field: field, message: message))
        }
        let abi = catalog.abi
        for name in errors where !abi.errors.contains(where: { $0.name == name }) {
            report("abi.errors", "the host stub needs an error named '\(name)'")
        }
        for name in results where !abi.results.contains(where: { $0.name == name }) {
            report("abi.results", "the host stub needs a result named '\(name)'")
        }
        for (field, call, names) in [("probe", abi.probe, ["abi_version"]), ("batch", abi.batch, ["queue_gpa", "count"])] {
            for name in names where !call.arguments.contains(where: { $0.name == name }) {
                report("abi.\(field).arguments", "the host stub needs an argument named '\(name)'")
            }
            // More than the KVM convention carries is ABIValidator's to report.
            if call.arguments.count > hypercallArguments && call.arguments.count <= ArgumentRegister.kvmArguments.count {
                report(
                    "abi.\(field).arguments",
                    "\(call.arguments.count) arguments; KVM_EXIT_HYPERCALL forwards \(hypercallArguments) to the VMM")
            }
        }
        for (field, value) in [("limits.queue_alignment", abi.limits.queueAlignment), ("limits.page_size", abi.limits.pageSize)]
        where value < 1 || value & (value - 1) != 0 {
            report("abi.\(field)", "\(value) is not a power of two")
        }

        // Fixed ports (overlaps, pvgen's own device) are PortSpaceValidation's; BAR offsets are
        // per device.
        for (deviceIndex, device) in catalog.devices.enumerated() {
            let path = "devices[\(deviceIndex)]"
            if device.registers.isEmpty { report("\(path).registers", "the host allowlist needs at least one register") }
            var inBars: [Int: [(ClosedRange<Int>, String)]] = [:]
            for (blockIndex, block) in device.blocks.enumerated() {
                for (channel, base) in block.bases.enumerated() {
                    guard case .pciBar(let bar, let offset) = base else { continue }
                    let field = "\(path).blocks[\(blockIndex)].bases[\(channel)]"
                    if Int(offset) + block.size > 0x10000 { report(field, "offset \(offset) + \(block.size) ports exceed a 64 KiB BAR") }
                    let ports = Int(offset)...(Int(offset) + max(block.size, 1) - 1)
                    if let clash = inBars[bar, default: []].first(where: { $0.0.overlaps(ports) }) {
                        report(field, "BAR\(bar) offsets \(ports) overlap \(clash.1)")
                    }
                    inBars[bar, default: []].append((ports, "block '\(block.name)' of channel \(channel)"))
                }
            }
        }
        return diagnostics
    }
}
