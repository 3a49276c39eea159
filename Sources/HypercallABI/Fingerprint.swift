import Crypto

extension BatchABI {
    /// A line-per-fact description of everything that crosses the guest/host boundary, in a
    /// fixed order. Two sides agree exactly when their canonical descriptions are equal; the
    /// fingerprint is its SHA-256.
    public var canonicalDescription: String {
        var lines = ["abi \(prefix) version \(version)"]
        for call in hypercalls {
            let arguments = call.arguments.map { "\($0.name)=\($0.register.rawValue)" }.joined(separator: " ")
            lines.append("hypercall \(call.name) nr=\(hex(call.number)) \(arguments) ret=rax")
        }
        lines.append("doorbell port=\(hex(UInt32(doorbell.port))) width=4 value=gpa|count magic=\(hex(doorbell.magic))")
        lines.append("struct \(entry.name) size=\(entry.size) align=\(entry.alignment) endian=little")
        for field in entry.fields {
            lines.append("field \(entry.name).\(field.name) offset=\(field.offset) type=\(field.type.rawValue)")
        }
        lines.append(
            "limits max_entries=\(limits.maxEntries) queue_align=\(limits.queueAlignment) "
                + "page=\(limits.pageSize) doorbell_limit=\(limits.doorbellAddressLimit)")
        for op in ops { lines.append("op \(op.op.rawValue)=\(op.code)") }
        for status in results + errors { lines.append("status \(status.name)=\(status.value)") }
        for feature in features { lines.append("feature \(feature.name)=bit\(feature.bit)") }
        if let ring {
            lines.append(
                "ring port=\(hex(UInt32(ring.port))) width=4 value=gpa magic=\(hex(ring.magic)) slots=\(ring.slots) "
                    + "pages=\(RingTransport.pages) kicks=\(ring.kicksBeforeFallback)")
            lines.append("struct \(ring.header.name) size=\(ring.header.size) align=\(ring.header.alignment) endian=little")
            for field in ring.header.fields {
                lines.append(
                    "field \(ring.header.name).\(field.name) offset=\(field.offset) type=\(field.type.rawValue)"
                        + (field.elements.map { " elements=\($0)" } ?? ""))
            }
            for flag in ring.flags { lines.append("ring_flag \(flag.name)=bit\(flag.bit)") }
            for operation in ring.operations { lines.append("ring_op \(operation.name)=\(operation.code)") }
        }
        lines.append("kvm exit_hypercall_bit=\(kvmExitHypercallBit) enosys=\(-KVMHypercallNumbers.enosys)")
        return lines.joined(separator: "\n") + "\n"
    }

    /// SHA-256 of the canonical description, as 64 lower-case hex digits.
    public var fingerprint: String {
        SHA256.hash(data: Array(canonicalDescription.utf8)).map { byte in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }.joined()
    }

    private func hex(_ value: UInt32) -> String { "0x" + String(value, radix: 16) }
}
