import DriverModel

/// Checks an ABI model before anything is generated, collecting every problem.
public enum ABIValidator {
    public static func validate(_ abi: BatchABI, at path: String) -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        func report(_ field: String, _ message: String) {
            diagnostics.append(Diagnostic(field: "\(path).\(field)", message: message))
        }
        if !CIdentifier.isValid(abi.prefix) { report("prefix", "'\(abi.prefix)' is not a valid C identifier") }
        if let problem = ReservedNames.namespaceProblem(abi.prefix, what: "every generated C name (\(abi.prefix)_*, \(abi.prefix.uppercased())_*)") {
            report("prefix", problem)
        }
        // Names that end up inside C identifiers or as struct members.
        var names: [(String, String)] = [("probe.name", abi.probe.name), ("batch.name", abi.batch.name), ("entry.name", abi.entry.name)]
        names += abi.entry.fields.enumerated().map { ("entry.fields[\($0.offset)].name", $0.element.name) }
        names += abi.results.enumerated().map { ("results[\($0.offset)].name", $0.element.name) }
        names += abi.errors.enumerated().map { ("errors[\($0.offset)].name", $0.element.name) }
        names += abi.features.enumerated().map { ("features[\($0.offset)].name", $0.element.name) }
        for (field, name) in names {
            if !CIdentifier.isValid(name) {
                report(field, "'\(name)' is not a valid C identifier")
            } else if let problem = ReservedNames.languageProblem(name) {
                report(field, problem)
            }
        }
        var calls = [("probe", abi.probe), ("batch", abi.batch)]
        if let ring = abi.ring { calls.append(("ring.call", ring.call)) }
        for (field, call) in calls {
            if let name = KVMHypercallNumbers.collision(for: call.number) {
                report("\(field).number", "hypercall number \(call.number) collides with \(name) of Linux 6.1; pick one from a private range")
            }
            if call.arguments.count > ArgumentRegister.kvmArguments.count {
                report("\(field).arguments", "\(call.arguments.count) arguments; the KVM convention carries at most \(ArgumentRegister.kvmArguments.count)")
            }
            for (index, argument) in call.arguments.enumerated()
            where index < ArgumentRegister.kvmArguments.count && argument.register != ArgumentRegister.kvmArguments[index] {
                report(
                    "\(field).arguments[\(index)].register",
                    "argument \(index + 1) travels in \(ArgumentRegister.kvmArguments[index].rawValue) under the KVM convention, not \(argument.register.rawValue)")
            }
        }
        if abi.probe.number == abi.batch.number {
            report("batch.number", "probe and batch share number 0x\(String(abi.batch.number, radix: 16)); each hypercall needs its own")
        }

        checkLayout(abi.entry, at: "entry", report: report)
        for required in ["op", "width", "port", "value", "mask", "result"] where !abi.entry.fields.contains(where: { $0.name == required }) {
            report("entry.fields", "the entry needs a field named '\(required)'")
        }
        let queueBytes = abi.limits.maxEntries * abi.entry.size
        if abi.limits.maxEntries < 1 || queueBytes > abi.limits.pageSize {
            report("limits.max_entries", "\(abi.limits.maxEntries) entries of \(abi.entry.size) bytes do not fit one page")
        }
        // The doorbell packs the count into the low bits of the page-aligned address.
        if abi.limits.maxEntries >= abi.limits.queueAlignment {
            report("limits.max_entries", "the doorbell packs the count below the queue alignment \(abi.limits.queueAlignment)")
        }
        for op in BatchOp.allCases where abi.opCode(for: op) == nil { report("ops", "no op code for '\(op.rawValue)'") }
        for (index, op) in abi.ops.enumerated() {
            if let other = abi.ops[..<index].first(where: { $0.code == op.code }) {
                report("ops[\(index)].code", "ops '\(other.op.rawValue)' and '\(op.op.rawValue)' share code \(op.code); each op needs its own")
            }
        }
        for claim in abi.ownPorts where claim.ports.upperBound > 0xffff {
            report(claim.field, "the 32-bit register at port 0x\(String(claim.ports.lowerBound, radix: 16)) runs past port 0xffff")
        }
        if Set((abi.results + abi.errors).map(\.value)).count != abi.results.count + abi.errors.count {
            report("errors", "two statuses share a value")
        }
        for (index, error) in abi.errors.enumerated() where error.value >= 0 || Int64(error.value) == KVMHypercallNumbers.enosys {
            report("errors[\(index)].value", "error '\(error.name)' must be negative and differ from -KVM_ENOSYS")
        }
        if let ring = abi.ring { checkRing(ring, of: abi, report: report) }
        if !(16...30).contains(abi.kvmExitHypercallBit) {
            report("kvm_exit_hypercall_bit", "bit \(abi.kvmExitHypercallBit) is outside 16...30: lower bits are KVM hypercall numbers, bit 31 makes KVM_CHECK_EXTENSION negative")
        }
        return diagnostics
    }

    /// Fields in order, aligned, neither overlapping nor leaving implicit padding, ending at the size.
    static func checkLayout(_ layout: StructLayout, at path: String, report: (String, String) -> Void) {
        var end = 0
        for (index, field) in layout.fields.enumerated() {
            if field.offset < end {
                let other = layout.fields[..<index].last { $0.end > field.offset }
                report(
                    "\(path).fields[\(index)].offset",
                    "field '\(field.name)' at \(field.offset) overlaps \(other.map { "'\($0.name)' (bytes \($0.offset)..<\($0.end))" } ?? "the field before it")")
            }
            if field.offset % field.type.size != 0 {
                report("\(path).fields[\(index)].offset", "field '\(field.name)' at \(field.offset) is not aligned to its size \(field.type.size)")
            }
            if field.offset > end { report("\(path).fields[\(index)].offset", "implicit padding before '\(field.name)'; declare it as a reserved field") }
            if let elements = field.elements, elements < 1 { report("\(path).fields[\(index)].elements", "an array needs at least one element") }
            end = max(end, field.end)
        }
        if end != layout.size { report("\(path).size", "size \(layout.size) does not match the fields, which end at \(end)") }
    }

    static func checkRing(_ ring: RingTransport, of abi: BatchABI, report: (String, String) -> Void) {
        if Set([abi.probe.number, abi.batch.number, ring.call.number]).count != 3 {
            report("ring.call.number", "the ring hypercall needs a number of its own")
        }
        let own = abi.ownPorts.map(\.ports)  // the doorbell's, then the ring port's
        let (doorbell, ringPorts) = (own[0], own[1])
        if doorbell.overlaps(ringPorts) {
            report("ring.port", "port 0x\(String(ring.port, radix: 16)) overlaps the doorbell's \(doorbell.count) ports")
        }
        if ring.slots < 1 || ring.slots & (ring.slots - 1) != 0 {
            report("ring.slots", "\(ring.slots) slots: a power of two, so free-running indexes wrap cleanly")
        } else if ring.slots * abi.limits.maxEntries * abi.entry.size > abi.limits.pageSize {
            report("ring.slots", "\(ring.slots) queues of \(abi.limits.maxEntries) entries do not fit the slot page")
        }
        checkLayout(ring.header, at: "ring.header", report: report)
        if ring.header.size > abi.limits.pageSize { report("ring.header.size", "the header must fit its page") }
        let required: [(String, Int?)] = [("magic", nil), ("nr_slots", nil), ("flags", nil), ("prod", nil), ("cons", nil), ("count", ring.slots), ("ret", ring.slots)]
        for (name, elements) in required {
            guard let field = ring.header.fields.first(where: { $0.name == name }) else {
                report("ring.header.fields", "the ring header needs a field named '\(name)'")
                continue
            }
            if field.type.size != 4 || field.elements != elements {
                report("ring.header.fields", "'\(name)' must be a 32-bit \(elements.map { "array of \($0)" } ?? "scalar")")
            }
        }
        for name in ["need_kick", "broken", "detached"] where !ring.flags.contains(where: { $0.name == name }) {
            report("ring.flags", "the ring needs a flag named '\(name)'")
        }
        checkRingOperations(ring, of: abi, report: report)
        if ring.kicksBeforeFallback < 1 { report("ring.kicks_before_fallback", "the guest kicks at least once before it gives up") }
    }

    /// The operation codes share the ring argument with the page-aligned ring address.
    static func checkRingOperations(_ ring: RingTransport, of abi: BatchABI, report: (String, String) -> Void) {
        for name in RingTransport.requiredOperations where ring.operation(named: name) == nil {
            report("ring.operations", "the ring needs an operation named '\(name)'")
        }
        for (index, operation) in ring.operations.enumerated() {
            if !CIdentifier.isValid(operation.name) {
                report("ring.operations[\(index)].name", "'\(operation.name)' is not a valid C identifier")
            }
            if operation.code >= abi.limits.pageSize {
                report("ring.operations[\(index)].code", "code \(operation.code) does not fit below the page-aligned ring address")
            }
            if let other = ring.operations[..<index].first(where: { $0.code == operation.code }) {
                report("ring.operations[\(index)].code", "'\(operation.name)' and '\(other.name)' share code \(operation.code)")
            }
        }
    }
}
