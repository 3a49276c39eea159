@testable import CodeGen
import DriverModel
import HypercallABI
import Testing

@Suite("Model validation")
struct ModelValidationTests {
    @Test("the built-in catalog is valid")
    func builtInIsValid() {
        #expect(Catalog.builtIn.validate() == [])
    }

    func diagnostics(_ change: (inout Catalog) -> Void) -> [Diagnostic] {
        var catalog = Catalog.builtIn
        change(&catalog)
        return catalog.validate()
    }

    @Test("a register that does not fit its block is reported with its field")
    func registerOutsideBlock() {
        let found = diagnostics { $0.devices[0].registers[1].offset = 8 }
        #expect(found.contains { $0.field == "devices[0].registers[1].offset" })
    }

    @Test("two registers at one offset in the same direction are reported")
    func duplicateOffset() {
        let found = diagnostics { $0.devices[0].registers[2].offset = 2 }
        #expect(found.contains { $0.field == "devices[0].registers[3].offset" && $0.message.contains("feature") })
    }

    @Test("a sequence naming an unknown register or guard is reported")
    func unknownNames() {
        let found = diagnostics {
            $0.devices[0].sequences[0].steps[3] = Step(.write(register: "nosuch", value: "0", valueBits: nil), when: "nosuch_guard")
        }
        #expect(found.contains { $0.field == "devices[0].sequences[0].steps[3].register" })
        #expect(found.contains { $0.field == "devices[0].sequences[0].steps[3].when" })
    }

    @Test("expect and deferred reads need a path; a path's last access has no guard and calls no other path")
    func pathRules() throws {
        let device = Catalog.builtIn.devices[0]
        let intr = try #require(device.sequences.firstIndex { $0.name == "dma_intr" })
        let status = try #require(device.sequences.firstIndex { $0.name == "check_status" })
        let found = diagnostics {
            $0.devices[0].sequences[status].steps[0] = Step(.read(register: "status", use: .deferred(into: "status")))
            $0.devices[0].sequences[intr].steps[4] = Step(.call(sequence: "irq_clear", arguments: ["ap"]), when: "failed")
            $0.devices[0].sequences[intr].steps[1] = Step(.call(sequence: "issue_dma", arguments: ["qc"]))
        }
        #expect(found.contains { $0.field == "devices[0].sequences[\(status)].steps[0].use" && $0.message.contains("path") })
        #expect(found.contains { $0.field == "devices[0].sequences[\(intr)].steps[4].when" })
        #expect(found.contains { $0.field == "devices[0].sequences[\(intr)].steps[1].call" && $0.message.contains("another path") })
        let both = diagnostics { $0.devices[0].sequences[status].path = .dmaIssue }
        #expect(both.contains { $0.field == "devices[0].sequences[\(status)].path" })
    }

    @Test("writing a read-only register is reported")
    func wrongDirection() {
        let found = diagnostics { $0.devices[0].sequences[1].steps[0] = Step(.write(register: "status", value: "0", valueBits: nil)) }
        #expect(found.contains { $0.field == "devices[0].sequences[1].steps[0].register" && $0.message.contains("cannot be written") })
    }

    @Test("names that are not C identifiers are reported")
    func badIdentifier() {
        let found = diagnostics { $0.devices[0].name = "piix-ide" }
        #expect(found.contains { $0.field == "devices[0].name" })
    }

    @Test("a hypercall number that collides with a Linux 6.1 KVM_HC_* is rejected", arguments: UInt32(1)...12)
    func kvmCollision(number: UInt32) {
        let found = diagnostics { $0.abi.batch.number = number }
        #expect(found.contains { $0.field == "abi.batch.number" && $0.message.contains("KVM_HC_") })
    }

    @Test("an argument in the wrong register for the KVM convention is rejected")
    func wrongRegister() {
        let found = diagnostics { $0.abi.batch.arguments[1].register = .rdx }
        #expect(found.contains { $0.field == "abi.batch.arguments[1].register" })
    }

    @Test("overlapping entry fields and a wrong entry size are rejected")
    func entryLayout() {
        let overlapping = diagnostics { $0.abi.entry.fields[3].offset = 2 }
        #expect(overlapping.contains { $0.field == "abi.entry.fields[3].offset" })
        let size = diagnostics { $0.abi.entry.size = 20 }
        #expect(size.contains { $0.field == "abi.entry.size" })
    }

    @Test("pvgen's own device is the doorbell and the ring port, 4 ports each, from the ABI")
    func ownPorts() {
        let abi = Catalog.builtIn.abi
        #expect(abi.ownPorts.map(\.ports) == [0x560...0x563, 0x564...0x567])
        #expect(abi.ownPorts.map(\.field) == ["doorbell.port", "ring.port"])
        var noRing = abi
        noRing.ring = nil
        #expect(noRing.ownPorts.map(\.ports) == [0x560...0x563])
    }

    @Test("a fixed block on any port of pvgen's own device is refused, the ports beside it are not")
    func blockOnOwnDevice() {
        let own = Catalog.builtIn.abi.ownPorts
        let window = own.map(\.ports.lowerBound).min()!...own.map(\.ports.upperBound).max()!
        let field = "devices[0].blocks[1].bases[1]"  // the secondary control block: one port
        for port in (window.lowerBound - 1)...(window.upperBound + 1) {
            let found = diagnostics { $0.devices[0].blocks[1].bases[1] = .fixed(UInt16(port)) }
            if let claim = own.first(where: { $0.ports.contains(port) }) {
                #expect(
                    found == [Diagnostic(field: field, message: "port \(cHex(port)) overlaps \(PortSpaceValidation.span(claim.ports)), \(claim.what), which no batch may access; move it")],
                    "port \(cHex(port))")
            } else {
                #expect(found == [], "port \(cHex(port))")
            }
        }
        // A block that spans the window from below is refused too.
        let spanning = diagnostics { $0.devices[0].blocks[0].bases[1] = .fixed(UInt16(window.lowerBound - 4)) }
        #expect(spanning.contains { $0.field == "devices[0].blocks[0].bases[1]" && $0.message.contains("doorbell") })
    }

    @Test("the refused window follows the ABI's doorbell and ring ports")
    func ownDeviceFollowsABI() {
        let moved = { (catalog: inout Catalog) in
            catalog.abi.doorbell.port = 0x600
            catalog.abi.ring?.port = 0x604
        }
        #expect(diagnostics { moved(&$0); $0.devices[0].blocks[1].bases[1] = .fixed(0x562) } == [])
        let found = diagnostics { moved(&$0); $0.devices[0].blocks[1].bases[1] = .fixed(0x606) }
        #expect(found.map(\.field) == ["devices[0].blocks[1].bases[1]"])
        #expect(found.first?.message.contains("0x604...0x607, the ring port") == true)
    }

    @Test("two devices whose fixed ports overlap are refused, naming the other device")
    func devicesOverlap() {
        let found = diagnostics {
            var second = $0.devices[0]
            second.name = "piix_ide_copy"
            second.qemuType = nil
            second.blocks = [second.blocks[1]]
            second.blocks[0].bases = [.fixed(0x3f6)]
            second.registers = second.registers.filter { $0.block == "ctl" }
            second.sequences = []
            $0.devices.append(second)
        }
        #expect(found == [Diagnostic(field: "devices[1].blocks[0].bases[0]", message: "port 0x3f6 overlaps block 'ctl' of channel 0 of device 'piix_ide' (devices[0])")])
    }

    /// A device kind with fixed ports, standing for the kinds issue 13 adds.
    struct FixedPortNIC: FixedPortDecoder {
        var name = "isa_nic"
        var fixedPorts = [PortClaim(field: "ports", ports: 0x300...0x31f, what: "its I/O window")]
    }

    @Test("the port checks cover every device kind that decodes fixed ports")
    func otherDeviceKinds() {
        let reserved = Catalog.builtIn.abi.ownPorts
        let ide: (path: String, decoder: any FixedPortDecoder) = ("devices[0]", Catalog.builtIn.devices[0])
        #expect(PortSpaceValidation.validate([ide, ("network_devices[0]", FixedPortNIC())], reserved: reserved) == [])
        let overIDE = FixedPortNIC(fixedPorts: [PortClaim(field: "ports", ports: 0x1f0...0x1ff, what: "its I/O window")])
        #expect(
            PortSpaceValidation.validate([ide, ("network_devices[0]", overIDE)], reserved: reserved) == [
                Diagnostic(
                    field: "network_devices[0].ports",
                    message: "ports 0x1f0...0x1ff overlap block 'cmd' of channel 0 of device 'piix_ide' (devices[0])")
            ])
        let overOwn = FixedPortNIC(fixedPorts: [PortClaim(field: "ports", ports: 0x540...0x55f, what: "its I/O window"), PortClaim(field: "more", ports: 0x560...0x57f, what: "more")])
        #expect(PortSpaceValidation.validate([("network_devices[0]", overOwn)], reserved: reserved).map(\.field) == ["network_devices[0].more"])
        // The e1000 decodes memory only.
        #expect(Catalog.builtIn.networkDevices?.first?.fixedPorts == [])
    }

    @Test("PCI vendor 0 and 0xffff are refused for every device kind")
    func pciVendor() {
        for vendor: UInt16 in [0, 0xffff] {
            let found = diagnostics {
                $0.devices[0].pciVendor = vendor
                $0.networkDevices?[0].pciVendor = vendor
            }
            #expect(found.map(\.field) == ["devices[0].pci_vendor", "network_devices[0].pci_vendor"], "vendor \(vendor)")
        }
    }

    @Test("two ops that share a code are named")
    func opsShareCode() {
        let found = diagnostics { $0.abi.ops[2].code = $0.abi.ops[0].code }
        let (first, third) = (Catalog.builtIn.abi.ops[0], Catalog.builtIn.abi.ops[2])
        #expect(found == [Diagnostic(field: "abi.ops[2].code", message: "ops '\(first.op.rawValue)' and '\(third.op.rawValue)' share code \(first.code); each op needs its own")])
    }

    @Test("a block of no ports is reported, not a crash of the port checks")
    func emptyBlock() {
        var catalog = Catalog.builtIn
        catalog.devices[0].blocks[1].size = 0
        catalog.devices[0].blocks[2].size = 0
        #expect {
            try Generator(catalog: catalog).generate()
        } throws: { error in
            (error as? InvalidModel)?.diagnostics.contains { $0.field == "devices[0].blocks[1].size" } == true
        }
    }

    @Test("an invalid catalog generates nothing")
    func invalidGeneratesNothing() {
        var catalog = Catalog.builtIn
        catalog.abi.probe.number = 13
        catalog.abi.batch.number = 5
        #expect(throws: InvalidModel.self) { try Generator(catalog: catalog).generate() }
    }
}

@Suite("ABI fingerprint")
struct FingerprintTests {
    @Test("the fingerprint is SHA-256 hex of the canonical description and is stable")
    func stable() {
        let abi = PVGenABI.abi
        #expect(abi.fingerprint.count == 64)
        #expect(abi.fingerprint == PVGenABI.abi.fingerprint)
        #expect(abi.canonicalDescription.contains("field io_entry.port offset=2 type=__u16"))
    }

    @Test("every ABI change moves the fingerprint")
    func sensitive() {
        let base = PVGenABI.abi.fingerprint
        var changes: [BatchABI] = []
        var abi = PVGenABI.abi
        abi.entry.fields[2].offset = 4
        changes.append(abi)
        abi = PVGenABI.abi
        abi.batch.number += 1
        changes.append(abi)
        abi = PVGenABI.abi
        abi.batch.arguments[0].register = .rdx
        changes.append(abi)
        abi = PVGenABI.abi
        abi.limits.maxEntries = 32
        changes.append(abi)
        abi = PVGenABI.abi
        abi.doorbell.port += 4
        changes.append(abi)
        abi = PVGenABI.abi
        abi.ops[0].code = 9
        changes.append(abi)
        for changed in changes { #expect(changed.fingerprint != base) }
        #expect(Set(changes.map(\.fingerprint)).count == changes.count)
    }

    @Test("the NIC's interrupt rate must fit ITR: 0, or 60 to 3906250 per second")
    func interruptRateFitsITR() {
        var nic = E1000.device
        for rate in [0, 60, 8000, 3_906_250] {
            nic.rings.interruptRate = rate
            #expect(NetworkValidator.validate(nic, at: "n").filter { $0.field == "n.rings.interrupt_rate" }.isEmpty, "\(rate)")
        }
        for rate in [-1, 1, 59, 3_906_251, 20_000_000] {
            nic.rings.interruptRate = rate
            #expect(NetworkValidator.validate(nic, at: "n").map(\.field).contains("n.rings.interrupt_rate"), "\(rate)")
        }
    }
}
