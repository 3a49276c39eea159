import DriverModel
import HypercallABI

/// The fixed I/O ports of a whole catalog: every device of every kind decodes its own ports,
/// within 0...0xffff, and none decodes a port of pvgen's own device (the doorbell and the ring
/// port, from the ABI), which a batch must never reach.
enum PortSpaceValidation {
    static func validate(_ catalog: Catalog) -> [Diagnostic] {
        var decoders: [(path: String, decoder: any FixedPortDecoder)] = []
        decoders += catalog.devices.enumerated().map { ("devices[\($0.offset)]", $0.element) }
        decoders += (catalog.networkDevices ?? []).enumerated().map { ("network_devices[\($0.offset)]", $0.element) }
        return validate(decoders, reserved: catalog.abi.ownPorts)
    }

    static func validate(_ decoders: [(path: String, decoder: any FixedPortDecoder)], reserved: [PortClaim]) -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        // Claims seen so far, with the device path they belong to.
        var earlier: [(path: String, name: String, claim: PortClaim)] = []
        for (path, decoder) in decoders {
            for claim in decoder.fixedPorts {
                let field = "\(path).\(claim.field)"
                func shown(_ verb: String) -> String { describe(claim.ports, verb) }
                if claim.ports.upperBound > 0xffff {
                    diagnostics.append(Diagnostic(field: field, message: shown("run past 0xffff")))
                }
                if let own = reserved.first(where: { $0.ports.overlaps(claim.ports) }) {
                    diagnostics.append(
                        Diagnostic(
                            field: field,
                            message: shown("overlap \(span(own.ports)), \(own.what), which no batch may access; move it")))
                }
                if let clash = earlier.first(where: { $0.claim.ports.overlaps(claim.ports) }) {
                    let owner = clash.path == path ? "" : " of device '\(clash.name)' (\(clash.path))"
                    diagnostics.append(Diagnostic(field: field, message: shown("overlap \(clash.claim.what)\(owner)")))
                }
                earlier.append((path, decoder.name, claim))
            }
        }
        return diagnostics
    }

    static func span(_ ports: ClosedRange<Int>) -> String { "\(cHex(ports.lowerBound))...\(cHex(ports.upperBound))" }

    /// `port 0x3f6 overlaps ...` or `ports 0x1f0...0x1f7 overlap ...`: `verb` is the plural form.
    static func describe(_ ports: ClosedRange<Int>, _ verb: String) -> String {
        guard ports.count == 1 else { return "ports \(span(ports)) \(verb)" }
        let words = verb.split(separator: " ", maxSplits: 1).map(String.init)
        return "port \(cHex(ports.lowerBound)) \(words[0])s" + (words.count > 1 ? " \(words[1])" : "")
    }
}
