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
    /// order. What is still queued after the last invocation is submitted too, as the driver's
    /// `qc_issue` wrapper does. `insideIssue` runs them as within `->qc_issue()`, where the
    /// generated driver lets a sequence's end pass without submitting (`pvgen_op_done`): only
    /// triggers, needed reads and the wrapper's final submit end a batch there.
    public func submissions(for invocations: [Invocation], insideIssue: Bool = false) -> [[PlannedAccess]] {
        var submitted: [[PlannedAccess]] = []
        var open: [PlannedAccess] = []
        func submit() {
            if !open.isEmpty { submitted.append(open) }
            open = []
        }
        func run(_ name: String, holding: Set<String>) {
            guard let plan = plan(named: name) else { return }
            for planned in plan.steps {
                if let guardName = planned.step.guardName, !holding.contains(guardName) { continue }
                if case .call(let callee, _) = planned.step.action { run(callee, holding: holding) }
                if let access = planned.access { open.append(access) }
                if planned.submitAfter != nil { submit() }
            }
            if plan.submitsAtEnd && !insideIssue { submit() }
        }
        for invocation in invocations { run(invocation.sequence, holding: invocation.holding) }
        submit()
        return submitted
    }
}
