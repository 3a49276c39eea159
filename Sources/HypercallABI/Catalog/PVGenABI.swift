/// pvgen's built-in batch ABI, version 3 (version 1 had no IN_EXPECT, version 2 no ring
/// operations: a ring could not be detached).
public enum PVGenABI {
    public static let abi = BatchABI(
        prefix: "pvgen",
        version: 3,
        probe: Hypercall(
            name: "probe", number: 0x7076_0001,
            arguments: [HypercallArgument(name: "abi_version", register: .rbx, summary: "the ABI version the guest speaks")],
            summary: "ask whether the host handles pvgen batches",
            returns: "feature bits (>= 0), a negative pvgen error, or -KVM_ENOSYS when no handler exists"),
        batch: Hypercall(
            name: "batch", number: 0x7076_0002,
            arguments: [
                HypercallArgument(name: "queue_gpa", register: .rbx, summary: "guest-physical address of the first entry"),
                HypercallArgument(name: "count", register: .rcx, summary: "number of entries"),
            ],
            summary: "run a queue of port accesses in order",
            returns: "the number of entries completed (>= 0) or a negative pvgen error"),
        doorbell: DoorbellTransport(port: 0x0560, magic: 0x7076_0001),
        entry: StructLayout(
            name: "io_entry", size: 16,
            fields: [
                LayoutField(name: "op", type: .u8, offset: 0, summary: "PVGEN_OP_*"),
                LayoutField(name: "width", type: .u8, offset: 1, summary: "access width in bytes: 1, 2 or 4"),
                LayoutField(name: "port", type: .u16, offset: 2, summary: "I/O port"),
                LayoutField(name: "value", type: .u32, offset: 4, summary: "written or expected value; the host stores the value read"),
                LayoutField(name: "mask", type: .u32, offset: 8, summary: "stop mask (IN_WAIT), keep mask (RMW) or compared bits (IN_EXPECT), else 0"),
                LayoutField(name: "result", type: .s32, offset: 12, summary: "PVGEN_RESULT_* or a negative PVGEN_ERR_*, written by the host"),
            ],
            summary: "one port access of a batch queue"),
        limits: QueueLimits(maxEntries: 64, queueAlignment: 4096, pageSize: 4096, doorbellAddressLimit: 1 << 32),
        ops: [
            OpCode(op: .out, code: 1, summary: "write value to port"),
            OpCode(op: .in, code: 2, summary: "read port into value"),
            OpCode(op: .inWait, code: 3, summary: "read into value; stop after it if value & mask"),
            OpCode(op: .update, code: 4, summary: "write (read & mask) | value; value = read"),
            OpCode(op: .inExpect, code: 5, summary: "read into value; stop after it unless (value & mask) == the value written"),
        ],
        results: [
            StatusCode(name: "pending", value: 1, summary: "set by the guest; kept if not reached"),
            StatusCode(name: "ok", value: 0, summary: "the entry ran"),
        ],
        errors: [
            StatusCode(name: "range", value: -2, summary: "queue outside guest memory or a page"),
            StatusCode(name: "count", value: -3, summary: "entry count of zero or over the limit"),
            StatusCode(name: "align", value: -4, summary: "queue address not aligned"),
            StatusCode(name: "op", value: -5, summary: "unknown op"),
            StatusCode(name: "width", value: -6, summary: "width the port does not have"),
            StatusCode(name: "port", value: -7, summary: "port outside the device's allowlist"),
            StatusCode(name: "version", value: -8, summary: "ABI version the host does not speak"),
            StatusCode(name: "reserved", value: -9, summary: "a field that must be zero is not"),
            StatusCode(name: "io", value: -10, summary: "the device model failed the access"),
            StatusCode(name: "busy", value: -11, summary: "the host was already serving a call on this thread: a re-entered call"),
            StatusCode(name: "detached", value: -12, summary: "the ring named is not attached"),
        ],
        features: [
            FeatureBit(name: "batch", bit: 0, summary: "the batch hypercall is handled"),
            FeatureBit(name: "ring", bit: 1, summary: "the ring hypercall is handled"),
        ],
        ring: RingTransport(
            call: Hypercall(
                name: "ring", number: 0x7076_0003,
                arguments: [
                    HypercallArgument(
                        name: "ring_gpa", register: .rbx,
                        summary: "guest-physical address of the ring's header page, with a PVGEN_RING_OP_* in its low bits")
                ],
                summary: "attach, kick or detach a ring",
                returns: "0, or a negative pvgen error"),
            port: 0x0564, magic: 0x7076_7267, slots: 4,
            header: StructLayout(
                name: "ring", size: 272,
                fields: [
                    LayoutField(name: "magic", type: .u32, offset: 0, summary: "PVGEN_RING_MAGIC, written by the guest"),
                    LayoutField(name: "nr_slots", type: .u32, offset: 4, summary: "PVGEN_RING_SLOTS, written by the guest"),
                    LayoutField(name: "flags", type: .u32, offset: 8, summary: "PVGEN_RING_* flags, written by the host"),
                    LayoutField(name: "reserved0", type: .u8, offset: 12, summary: "zero", elements: 52),
                    LayoutField(name: "prod", type: .u32, offset: 64, summary: "batches posted, free running; written by the guest"),
                    LayoutField(name: "reserved1", type: .u8, offset: 68, summary: "zero: prod and cons on their own cache lines", elements: 60),
                    LayoutField(name: "cons", type: .u32, offset: 128, summary: "batches completed, free running; written by the host"),
                    LayoutField(name: "reserved2", type: .u8, offset: 132, summary: "zero", elements: 60),
                    LayoutField(name: "count", type: .u32, offset: 192, summary: "entries in each slot, written by the guest before it posts", elements: 4),
                    LayoutField(name: "reserved3", type: .u8, offset: 208, summary: "zero", elements: 48),
                    LayoutField(name: "ret", type: .s32, offset: 256, summary: "each slot's batch return value, written by the host", elements: 4),
                ],
                summary: "the header page of an exitless ring"),
            flags: [
                FeatureBit(name: "need_kick", bit: 0, summary: "no host thread polls: kick after posting"),
                FeatureBit(name: "broken", bit: 1, summary: "the host saw a bad index and stopped serving the ring"),
                FeatureBit(name: "detached", bit: 2, summary: "the host let the ring go and will not touch its pages again"),
            ],
            operations: [
                RingOperation(name: "kick", code: 0, summary: "run what is posted to the attached ring"),
                RingOperation(name: "attach", code: 1, summary: "take on the ring, its indices as the header holds them"),
                RingOperation(
                    name: "detach", code: 2,
                    summary: "run what is posted, then let the ring go; returns once the host will not touch it again"),
            ],
            kicksBeforeFallback: 3),
        kvmExitHypercallBit: 30
    )
}
