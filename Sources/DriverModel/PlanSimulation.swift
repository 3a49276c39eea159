/// One call of a sequence with the guards that hold for it, as the driver would make it.
public struct Invocation: Sendable, Hashable {
    public var sequence: String
    public var holding: Set<String>

    public init(_ sequence: String, holding: Set<String> = []) {
        self.sequence = sequence
        self.holding = holding
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
        var submitted: [[PlannedAccess]] = []
        var open: [PlannedAccess] = []
        func submit() {
            if !open.isEmpty { submitted.append(open) }
            open = []
        }
        func run(_ name: String, holding: Set<String>, held: Bool) {
            guard let plan = plan(named: name) else { return }
            let holds = held || plan.sequence.holdsBatch
            for planned in plan.steps {
                if let guardName = planned.step.guardName, !holding.contains(guardName) { continue }
                if case .call(let callee, _) = planned.step.action { run(callee, holding: holding, held: holds) }
                if let access = planned.access { open.append(access) }
                switch planned.submitAfter {
                case .triggersDevice: if !holds { submit() }
                case .valueNeeded, .batchHeld: submit()
                case nil: break
                }
            }
            if plan.submitsAtEnd && !holds { submit() }
        }
        for invocation in invocations { run(invocation.sequence, holding: invocation.holding, held: insideIssue) }
        submit()
        return submitted
    }
}
