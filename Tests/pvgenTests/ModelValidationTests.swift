import CodeGen
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
}
