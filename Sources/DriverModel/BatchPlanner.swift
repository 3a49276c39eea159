/// How one access travels in a batch queue entry.
public enum BatchOp: String, Codable, Sendable, Hashable, CaseIterable {
    /// Write a value.
    case out
    /// Read; the value comes back in the entry.
    case `in`
    /// Read; the host stops the batch after this entry while any bit of the mask is set.
    case inWait = "in_wait"
    /// Read, then write `(read & mask) | value`.
    case update
    /// Read; the host stops the batch after this entry unless `(read & mask)` equals the
    /// expected bits the guest put in the value.
    case inExpect = "in_expect"
}

/// Why a batch is submitted where it is.
public enum BatchBoundary: Sendable, Hashable, CustomStringConvertible {
    /// A write that hands control to the device (and the settle reads right after it).
    case triggersDevice(register: String)
    /// A read whose value the driver needs before it can go on.
    case valueNeeded(register: String)
    /// The last access or call of a sequence that holds its batch: the steps after it use the
    /// values the batch read.
    case batchHeld(registers: [String])

    public var description: String {
        switch self {
        case .triggersDevice(let register): "write to \(register) triggers the device"
        case .valueNeeded(let register): "driver needs the value of \(register)"
        case .batchHeld(let registers):
            registers.isEmpty ? "the sequence's batch ends" : "driver needs the values of \(registers.joined(separator: ", "))"
        }
    }
}

/// One register access of a planned sequence, as a queue entry.
public struct PlannedAccess: Sendable, Hashable {
    public var register: Register
    public var op: BatchOp
    /// The C expression written (OUT) or or-ed in (update).
    public var value: String?
    /// The stop mask (IN_WAIT, a C expression) or the keep mask (update).
    public var mask: String?
}

/// A step of a sequence with the planner's decisions attached.
public struct PlannedStep: Sendable, Hashable {
    public var step: Step
    public var access: PlannedAccess?
    /// The batch is submitted right after this step, for this reason.
    public var submitAfter: BatchBoundary?

    public init(step: Step, access: PlannedAccess? = nil, submitAfter: BatchBoundary? = nil) {
        self.step = step
        self.access = access
        self.submitAfter = submitAfter
    }
}

/// A sequence with its batch boundaries decided.
public struct SequencePlan: Sendable, Hashable {
    public var sequence: AccessSequence
    public var steps: [PlannedStep]
    /// Whether whatever is still queued is submitted when the sequence returns. False when the
    /// stock driver always runs another batched sequence next (`continuesInto`).
    public var submitsAtEnd: Bool
}

/// The plan for every sequence of one device.
public struct DevicePlan: Sendable, Hashable {
    public var device: Device
    public var sequences: [SequencePlan]

    public func plan(named name: String) -> SequencePlan? { sequences.first { $0.sequence.name == name } }
}

/// Decides, from register semantics alone, which accesses of each sequence share a batch.
///
/// The rules, in the order they apply to each access:
/// - a read whose value the driver needs is the last entry of its batch; reads the driver
///   branches on (`expect`, which the host checks) or uses at the end (`deferred`) are not;
/// - a write that triggers the device ends its batch, except that reads right after it whose
///   value is discarded and which have no side effect (the ATA 400 ns pause) ride along, so the
///   device still sees them in the same order;
/// - every other access (latching writes, discarded reads, polls for a clear bit, which the host
///   turns into an early stop) stays queued;
/// - when a sequence returns, what is queued is submitted, unless the stock driver always runs
///   another batched sequence next;
/// - a sequence that holds its batch (the driver's own paths) submits once, after its last
///   access or call; inside it, the triggers and sequence ends of what it calls do not submit
///   (the generated driver holds the port lock throughout, so nothing observes the device in
///   between, and the host replays in order).
/// The model is expected to be valid (see `ModelValidator`); unknown names plan as nothing.
public enum BatchPlanner {
    public static func plan(_ device: Device) -> DevicePlan {
        DevicePlan(device: device, sequences: device.sequences.map { plan($0, of: device) })
    }

    public static func plan(_ sequence: AccessSequence, of device: Device) -> SequencePlan {
        var planned = sequence.steps.map { PlannedStep(step: $0, access: access(for: $0, in: device)) }
        var index = 0
        while index < planned.count {
            defer { index += 1 }
            guard let access = planned[index].access else { continue }
            if case .read(_, .needed) = planned[index].step.action {
                planned[index].submitAfter = .valueNeeded(register: access.register.name)
            } else if !sequence.holdsBatch && triggers(planned[index].step.action, access.register) {
                var last = index
                while last + 1 < planned.count, isSettleRead(planned[last + 1], guardName: planned[index].step.guardName) {
                    last += 1
                }
                planned[last].submitAfter = .triggersDevice(register: access.register.name)
                index = last
            }
        }
        if sequence.holdsBatch, let last = planned.lastIndex(where: { $0.access != nil || $0.step.isCall }) {
            var kept: [String] = []
            for step in planned {
                if case .read(let register, let use) = step.step.action, use.variable != nil, !kept.contains(register) {
                    kept.append(register)
                }
            }
            planned[last].submitAfter = .batchHeld(registers: kept)
        }
        return SequencePlan(sequence: sequence, steps: planned, submitsAtEnd: sequence.continuesInto.isEmpty)
    }

    static func access(for step: Step, in device: Device) -> PlannedAccess? {
        guard let name = step.action.register, let register = device.register(named: name) else { return nil }
        switch step.action {
        case .write(_, let value, _):
            return PlannedAccess(register: register, op: .out, value: value)
        case .read(_, .waitUntilClear(let mask)):
            return PlannedAccess(register: register, op: .inWait, mask: mask)
        case .read(_, .expect(let mask, let equals, _, _)):
            return PlannedAccess(register: register, op: .inExpect, value: equals, mask: mask)
        case .read:
            return PlannedAccess(register: register, op: .in)
        case .update(_, let keep, let set, _):
            return PlannedAccess(register: register, op: .update, value: set, mask: hex(keep))
        case .statement, .call:
            return nil
        }
    }

    static func triggers(_ action: StepAction, _ register: Register) -> Bool {
        switch action {
        case .write(_, _, let bits):
            register.onWrite.triggers(possibleBits: bits ?? UInt32.max)
        case .update(_, let keep, _, let setBits):
            register.onWrite.triggers(possibleBits: keep | setBits)
        case .read, .statement, .call:
            false
        }
    }

    static func isSettleRead(_ step: PlannedStep, guardName: String?) -> Bool {
        guard step.step.guardName == guardName, let access = step.access else { return false }
        if case .read(_, .discarded) = step.step.action { return access.register.onRead == .none }
        return false
    }

    static func hex(_ value: UInt32) -> String { "0x" + String(value, radix: 16) }
}
