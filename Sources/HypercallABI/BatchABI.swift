import DriverModel

/// The op code an entry carries for each kind of batched access.
public struct OpCode: Codable, Sendable, Hashable {
    public var op: BatchOp
    public var code: UInt8
    public var summary: String

    public init(op: BatchOp, code: UInt8, summary: String) {
        self.op = op
        self.code = code
        self.summary = summary
    }
}

/// A status the host returns for a whole call or stores in one entry.
public struct StatusCode: Codable, Sendable, Hashable {
    public var name: String
    public var value: Int32
    public var summary: String

    public init(name: String, value: Int32, summary: String) {
        self.name = name
        self.value = value
        self.summary = summary
    }
}

/// A feature bit the probe hypercall reports.
public struct FeatureBit: Codable, Sendable, Hashable {
    public var name: String
    public var bit: Int
    public var summary: String

    public init(name: String, bit: Int, summary: String) {
        self.name = name
        self.bit = bit
        self.summary = summary
    }
}

/// The PIO doorbell transport, for VMMs that cannot receive a custom hypercall: one 32-bit OUT
/// of `queue_gpa | entry_count` to a port; an IN from it answers the magic when a host listens.
public struct DoorbellTransport: Codable, Sendable, Hashable {
    public var port: UInt16
    public var magic: UInt32
    /// Ports the doorbell decodes: it is a 32-bit register.
    public static let width = 4

    public init(port: UInt16, magic: UInt32) {
        self.port = port
        self.magic = magic
    }
}

/// What the ring's call or port does with the ring it names. The code travels in the low bits
/// of the page-aligned ring address (`ring_gpa | code`), so every call names its ring.
public struct RingOperation: Codable, Sendable, Hashable {
    public var name: String
    public var code: UInt32
    public var summary: String

    public init(name: String, code: UInt32, summary: String) {
        self.name = name
        self.code = code
        self.summary = summary
    }
}

/// The exitless transport: the guest posts batches to a ring in its own memory and a host
/// thread that polls the ring runs them, so the guest does not exit. The ring is one header page
/// (`header`) followed by one page of `slots` queues of `max_entries` entries. The guest fills
/// slot `prod % slots`, stores its count, publishes `prod + 1` and waits for the host's `cons`
/// to reach it; the host runs each posted slot as a batch and stores the batch's return value.
/// A host that stops polling sets the `need_kick` flag; the guest then kicks (the `call`
/// hypercall or a 32-bit OUT of `ring_gpa | operation` to `port`), and the host runs the ring
/// during that exit. The guest attaches the ring with the `attach` operation and lets it go with
/// `detach`, which returns only once the host will never touch the ring's pages again.
public struct RingTransport: Codable, Sendable, Hashable {
    public var call: Hypercall
    public var port: UInt16
    /// What a 32-bit IN from `port`, and the header's magic field, hold.
    public var magic: UInt32
    /// Queues in the slot page; a power of two, so free-running indexes wrap cleanly.
    public var slots: Int
    public var header: StructLayout
    /// Bits of the header's `flags`, which only the host writes.
    public var flags: [FeatureBit]
    /// What a call does with the ring it names: `kick`, `attach` and `detach`.
    public var operations: [RingOperation]
    /// Kicks the guest makes for one batch before it gives up on the ring (the host answered
    /// none of them) and replays the batch with plain port I/O.
    public var kicksBeforeFallback: Int

    public init(
        call: Hypercall, port: UInt16, magic: UInt32, slots: Int, header: StructLayout, flags: [FeatureBit],
        operations: [RingOperation], kicksBeforeFallback: Int
    ) {
        self.call = call
        self.port = port
        self.magic = magic
        self.slots = slots
        self.header = header
        self.flags = flags
        self.operations = operations
        self.kicksBeforeFallback = kicksBeforeFallback
    }

    /// The header page and the slot page.
    public static let pages = 2
    /// Ports the ring port decodes: it is a 32-bit register.
    public static let portWidth = 4

    /// The operations every ring needs, by name.
    public static let requiredOperations = ["kick", "attach", "detach"]

    public func operation(named name: String) -> RingOperation? { operations.first { $0.name == name } }
}

/// Bounds the host enforces on every queue.
public struct QueueLimits: Codable, Sendable, Hashable {
    public var maxEntries: Int
    /// The queue starts on this boundary and must not cross a page.
    public var queueAlignment: Int
    public var pageSize: Int
    /// The doorbell carries a 32-bit address: the queue must sit below this.
    public var doorbellAddressLimit: UInt64

    public init(maxEntries: Int, queueAlignment: Int, pageSize: Int, doorbellAddressLimit: UInt64) {
        self.maxEntries = maxEntries
        self.queueAlignment = queueAlignment
        self.pageSize = pageSize
        self.doorbellAddressLimit = doorbellAddressLimit
    }
}

/// Everything both sides must agree on: one value, rendered into the shared header and
/// fingerprinted.
public struct BatchABI: Codable, Sendable, Hashable {
    /// Prefix of every generated C name (`pvgen`).
    public var prefix: String
    public var version: Int
    public var probe: Hypercall
    public var batch: Hypercall
    public var doorbell: DoorbellTransport
    public var entry: StructLayout
    public var limits: QueueLimits
    public var ops: [OpCode]
    /// Entry results: pending (set by the guest) and done.
    public var results: [StatusCode]
    /// Negative errors, for a whole call or one entry.
    public var errors: [StatusCode]
    public var features: [FeatureBit]
    /// The exitless ring, when the ABI has one.
    public var ring: RingTransport?
    /// The bit of `KVM_CAP_EXIT_HYPERCALL` that the generated KVM patch adds: a VMM enables it
    /// to receive the probe and batch hypercalls as `KVM_EXIT_HYPERCALL`. Bits up to 12 are
    /// KVM's own hypercall numbers; bit 31 would make `KVM_CHECK_EXTENSION` negative.
    public var kvmExitHypercallBit: Int

    public init(
        prefix: String, version: Int, probe: Hypercall, batch: Hypercall, doorbell: DoorbellTransport,
        entry: StructLayout, limits: QueueLimits, ops: [OpCode], results: [StatusCode],
        errors: [StatusCode], features: [FeatureBit], ring: RingTransport? = nil, kvmExitHypercallBit: Int
    ) {
        self.prefix = prefix
        self.version = version
        self.probe = probe
        self.batch = batch
        self.doorbell = doorbell
        self.entry = entry
        self.limits = limits
        self.ops = ops
        self.results = results
        self.errors = errors
        self.features = features
        self.ring = ring
        self.kvmExitHypercallBit = kvmExitHypercallBit
    }

    public var hypercalls: [Hypercall] { [probe, batch] + (ring.map { [$0.call] } ?? []) }

    public func opCode(for op: BatchOp) -> OpCode? { ops.first { $0.op == op } }

    /// The ports of pvgen's own device: the doorbell and, with a ring, the ring port. No batch
    /// may reach them (an entry that kicked the host would run inside the kick it came from),
    /// so no device of the model may decode them.
    public var ownPorts: [PortClaim] {
        var claims = [
            PortClaim(
                field: "doorbell.port", ports: Int(doorbell.port)...(Int(doorbell.port) + DoorbellTransport.width - 1),
                what: "the doorbell of pvgen's own device")
        ]
        if let ring {
            claims.append(
                PortClaim(
                    field: "ring.port", ports: Int(ring.port)...(Int(ring.port) + RingTransport.portWidth - 1),
                    what: "the ring port of pvgen's own device"))
        }
        return claims
    }

    /// pvgen's own ports as one window: the doorbell's and the ring port's. No batch entry may
    /// touch them: an access to them from inside a batch would re-enter the host.
    public var portWindow: ClosedRange<Int> {
        ownPorts.map(\.ports.lowerBound).min()!...ownPorts.map(\.ports.upperBound).max()!
    }
}
