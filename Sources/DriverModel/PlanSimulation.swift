/// One call of a sequence with the guards that hold for it, as the driver would make it.
public struct Invocation: Sendable, Hashable {
    public var sequence: String
    public var holding: Set<String>

    public init(_ sequence: String, holding: Set<String> = []) {
        self.sequence = sequence
        self.holding = holding
    }
}

/// One batch the driver submits, with where each access comes from and why the batch ends.
public struct SimulatedBatch: Sendable, Hashable {
    /// The accesses in order, each with the sequence whose step queued it.
    public var entries: [(sequence: String, access: PlannedAccess)]
    /// Why the batch was submitted where it was.
    public var end: String

    public var accesses: [PlannedAccess] { entries.map(\.access) }

    public static func == (a: SimulatedBatch, b: SimulatedBatch) -> Bool {
        a.end == b.end && a.entries.map(\.sequence) == b.entries.map(\.sequence) && a.accesses == b.accesses
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(end)
        hasher.combine(accesses)
    }
}

extension DevicePlan {
    /// The batches the driver submits for a run of invocations, each a list of accesses in
    /// order, when every `expect` read meets its expectation. What is still queued after the
    /// last invocation is submitted too, as the driver's `qc_issue` wrapper does. `insideIssue`
    /// runs them as within `->qc_issue()`, which holds the batch like a sequence with a `path`:
    /// triggers and sequence ends pass without submitting (`pvgen_op_done`), and only needed
    /// reads, a holding sequence's last step and the wrapper's final submit end a batch.
    public func submissions(for invocations: [Invocation], insideIssue: Bool = false) -> [[PlannedAccess]] {
        batches(for: invocations, insideIssue: insideIssue).map(\.accesses)
    }

    /// As `submissions(for:insideIssue:)`, with each access's sequence and each batch's end.
    public func batches(for invocations: [Invocation], insideIssue: Bool = false) -> [SimulatedBatch] {
        var submitted: [SimulatedBatch] = []
        var open: [(sequence: String, access: PlannedAccess)] = []
        func submit(_ why: String) {
            if !open.isEmpty { submitted.append(SimulatedBatch(entries: open, end: why)) }
            open = []
        }
        func run(_ name: String, holding: Set<String>, held: Bool) {
            guard let plan = plan(named: name) else { return }
            let holds = held || plan.sequence.holdsBatch
            for planned in plan.steps {
                if let guardName = planned.step.guardName, !holding.contains(guardName) { continue }
                if case .call(let callee, _) = planned.step.action { run(callee, holding: holding, held: holds) }
                if let access = planned.access { open.append((name, access)) }
                switch planned.submitAfter {
                case .triggersDevice(let register): if !holds { submit("\(name): write to \(register) triggers the device") }
                case .valueNeeded, .batchHeld: submit("\(name): \(planned.submitAfter!)")
                case nil: break
                }
            }
            if plan.submitsAtEnd && !holds { submit("\(name) returns: no operation leaves a batch open") }
        }
        for invocation in invocations { run(invocation.sequence, holding: invocation.holding, held: insideIssue) }
        submit(insideIssue ? "->qc_issue() returns: no batch stays open once the command is issued" : "the last call returns")
        return submitted
    }
}
