import DriverModel

/// The planner's decisions for `pvgen list`, entry by entry: which access lands in which
/// batch of a sequence, and why each batch ends there.
enum PlanListing {
    /// One access as a queue entry: op, register, where it sits, and what it carries.
    static func entry(_ access: PlannedAccess) -> String {
        let register = access.register
        var text = "\(access.op.rawValue) \(register.name) (\(register.block)+0x\(String(register.offset, radix: 16)), \(register.width.rawValue) byte\(register.width.rawValue == 1 ? "" : "s"))"
        if let value = access.value { text += " value \(value)" }
        if let mask = access.mask { text += " mask \(mask)" }
        return text
    }

    /// The steps of one sequence, numbered by batch: a batch ends after a step the planner
    /// submits after, and the last one at the sequence's return or in what it continues into.
    static func steps(_ plan: SequencePlan) -> [String] {
        var lines: [String] = []
        var batch = 1
        var inBatch = 0
        // The driver submits at its return right after the last access, before the statements
        // that follow it (ata_sff_pause's ndelay runs once the accesses are made).
        let last = plan.steps.lastIndex { !$0.step.isStatement } ?? -1
        func endAtReturn() {
            guard inBatch > 0 else { return }
            lines.append(
                plan.submitsAtEnd
                    ? "  -> batch \(batch) ends when \(plan.sequence.name) returns (unless the batch is held)"
                    : "  -> batch \(batch) stays open into \(plan.sequence.continuesInto.joined(separator: " or "))")
            inBatch = 0
        }
        for (index, planned) in plan.steps.enumerated() {
            if index == last + 1 { endAtReturn() }
            let condition = planned.step.guardName.map { " [when \($0)]" } ?? ""
            switch planned.step.action {
            case .call(let callee, _):
                lines.append("batch \(batch): calls \(callee)\(condition)")
            case .statement(let text):
                lines.append("        \(text)\(condition)")
            default:
                guard let access = planned.access else { continue }
                inBatch += 1
                lines.append("batch \(batch): \(entry(access))\(condition)")
            }
            if let end = planned.submitAfter {
                // Only a trigger waits for the end of a held batch; a needed value never does.
                let held = if case .triggersDevice = end { " (unless the batch is held)" } else { "" }
                lines.append("  -> batch \(batch) ends: \(end)\(held)")
                batch += 1
                inBatch = 0
            }
        }
        endAtReturn()
        return lines
    }

    /// A path's batches as the driver submits them, each entry with the sequence that queued it.
    static func batches(_ batches: [SimulatedBatch]) -> [String] {
        batches.enumerated().flatMap { index, batch in
            batch.entries.map { "batch \(index + 1): \(entry($0.access)) [\($0.sequence)]" }
                + ["  -> batch \(index + 1) ends: \(batch.end)"]
        }
    }
}
