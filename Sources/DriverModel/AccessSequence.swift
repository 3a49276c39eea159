/// A named condition from the driver's context under which some steps run.
public struct Guard: Codable, Sendable, Hashable {
    public var name: String
    /// A C expression over the sequence's parameters and locals.
    public var condition: String

    public init(name: String, condition: String) {
        self.name = name
        self.condition = condition
    }
}

/// What the driver does with the value a read returns.
public enum ReadUse: Codable, Sendable, Hashable {
    /// The read only flushes or delays (`ata_sff_pause`); its value is thrown away.
    case discarded
    /// The driver needs the value before it can go on; it is stored in the named variable.
    case needed(into: String)
    /// The driver polls until none of the bits of `mask` (a C expression) is set (`ata_wait_idle`).
    case waitUntilClear(mask: String)
    /// The driver goes on past this read only when `(value & mask) == equals` (C expressions);
    /// otherwise it runs `otherwise` instead of the accesses that follow. The host checks the
    /// condition and stops the batch there, so those accesses never reach the device. The value
    /// is stored in the named variable.
    case expect(mask: String, equals: String, into: String, otherwise: [Step])
    /// The driver uses the value only after the sequence's last access (`into` a variable), so
    /// the read rides in the batch.
    case deferred(into: String)

    /// The variable the value is stored in, if the driver keeps it.
    public var variable: String? {
        switch self {
        case .needed(let variable), .expect(_, _, let variable, _), .deferred(let variable): variable
        case .discarded, .waitUntilClear: nil
        }
    }
}

/// A path the generated driver runs itself, in place of the stock driver's, so that all of its
/// accesses can share one batch.
public enum DriverPath: String, Codable, Sendable, Hashable, CaseIterable {
    /// Issuing a DMA command (`->qc_issue()` for `ATA_PROT_DMA`, in place of `ata_bmdma_qc_issue`).
    case dmaIssue = "dma_issue"
    /// Finishing a DMA command from its interrupt (in place of `ata_bmdma_port_intr`).
    case dmaInterrupt = "dma_interrupt"
}

/// One thing a sequence does.
public enum StepAction: Codable, Sendable, Hashable {
    /// Write `value` (a C expression) to a register. `valueBits`, when known, bounds which bits
    /// the value can have, so that a conditionally triggering register can be batched through.
    case write(register: String, value: String, valueBits: UInt32?)
    case read(register: String, use: ReadUse)
    /// Read, then write `(read & keep) | set`; `setBits` bounds the bits `set` can have.
    case update(register: String, keep: UInt32, set: String, setBits: UInt32)
    /// A statement of the driver's own that is not a register access (`ap->last_ctl = tf->ctl`).
    case statement(String)
    /// Run another sequence of the same device, with these C arguments.
    case call(sequence: String, arguments: [String])

    /// The register this step accesses, if it accesses one.
    public var register: String? {
        switch self {
        case .write(let register, _, _), .read(let register, _), .update(let register, _, _, _):
            register
        case .statement, .call:
            nil
        }
    }
}

/// A step, run when its guard (by name) holds, or always.
public struct Step: Codable, Sendable, Hashable {
    public var action: StepAction
    public var guardName: String?
    /// Why the step is there, printed as a comment above it.
    public var note: String?

    /// Whether the step runs another sequence.
    public var isCall: Bool {
        if case .call = action { return true }
        return false
    }

    /// Whether the step is a statement of the driver's own, not an access or a call.
    public var isStatement: Bool {
        if case .statement = action { return true }
        return false
    }

    public init(_ action: StepAction, when guardName: String? = nil, note: String? = nil) {
        self.action = action
        self.guardName = guardName
        self.note = note
    }
}

/// A C parameter or local variable of a sequence's function.
public struct CVariable: Codable, Sendable, Hashable {
    public var type: String
    public var name: String
    /// The initializer, for locals.
    public var initializer: String?

    public init(type: String, name: String, initializer: String? = nil) {
        self.type = type
        self.name = name
        self.initializer = initializer
    }
}

/// An ordered list of register accesses the driver performs for one driver operation, as the
/// stock driver does it (for PIIX: one `ata_port_operations` method of libata 6.1), or for one
/// path the generated driver runs itself.
///
/// A sequence with a `path` holds its batch: the sequences it calls leave the batch open, and
/// it submits once, after its last access or call; its remaining steps then run on the values
/// that batch read.
public struct AccessSequence: Codable, Sendable, Hashable {
    public var name: String
    public var summary: String
    /// The member of the driver's operations table this sequence implements; nil for a `path`.
    public var operation: String?
    /// The driver's own path this sequence is; nil for an `operation`.
    public var path: DriverPath?
    public var returnType: String
    public var parameters: [CVariable]
    /// A C expression that yields the channel (`struct ata_port *`) from the parameters.
    public var channel: String
    public var locals: [CVariable]
    public var guards: [Guard]
    public var steps: [Step]
    /// The variable returned, for sequences that return a value read from the device.
    public var result: String?
    /// Sequences that the stock driver always runs right after this one, before any other
    /// register access: the batch may stay open across the return into them.
    public var continuesInto: [String]

    /// Whether the sequence holds its batch until its last access or call (see above).
    public var holdsBatch: Bool { path != nil }

    public init(
        name: String, summary: String, operation: String? = nil, path: DriverPath? = nil, returnType: String = "void",
        parameters: [CVariable], channel: String, locals: [CVariable] = [], guards: [Guard] = [],
        steps: [Step], result: String? = nil, continuesInto: [String] = []
    ) {
        self.name = name
        self.summary = summary
        self.operation = operation
        self.path = path
        self.returnType = returnType
        self.parameters = parameters
        self.channel = channel
        self.locals = locals
        self.guards = guards
        self.steps = steps
        self.result = result
        self.continuesInto = continuesInto
    }
}
