import DriverModel
import Testing

@Suite("Batch planner on the PIIX IDE model")
struct PlannerTests {
    let plan = BatchPlanner.plan(PIIXIDE.device)

    func names(_ batches: [[PlannedAccess]]) -> [[String]] {
        batches.map { $0.map { "\($0.op.rawValue):\($0.register.name)" } }
    }

    @Test("LBA48 taskfile load plus command is one submission, in libata's order")
    func lba48TaskfileAndCommand() {
        let batches = plan.submissions(for: [
            Invocation("tf_load", holding: ["lba48", "is_addr", "has_device"]),
            Invocation("exec_command"),
        ])
        #expect(
            names(batches) == [[
                "out:feature", "out:nsect", "out:lbal", "out:lbam", "out:lbah",
                "out:feature", "out:nsect", "out:lbal", "out:lbam", "out:lbah",
                "out:device", "in_wait:status", "out:command", "in:altstatus",
            ]])
        #expect(batches[0][0].value == "tf->hob_feature")
        #expect(batches[0][5].value == "tf->feature")
        #expect(batches[0][11].mask == "ATA_BUSY | ATA_DRQ")
    }

    @Test("LBA28 taskfile load plus command is one submission without the HOB writes")
    func lba28TaskfileAndCommand() {
        let batches = plan.submissions(for: [
            Invocation("tf_load", holding: ["is_addr", "has_device"]),
            Invocation("exec_command"),
        ])
        #expect(
            names(batches) == [[
                "out:feature", "out:nsect", "out:lbal", "out:lbam", "out:lbah",
                "out:device", "in_wait:status", "out:command", "in:altstatus",
            ]])
    }

    @Test("a changed device control register is written first and waited on")
    func controlChange() {
        let batches = plan.submissions(for: [Invocation("tf_load", holding: ["ctl_changed", "is_addr"]), Invocation("exec_command")])
        #expect(names(batches)[0].prefix(2) == ["out:devctl", "in_wait:status"])
        #expect(batches.count == 1)
    }

    @Test("the driver's own issue path is one submission, from the first idle wait to the engine start")
    func ownIssuePath() {
        let batches = plan.submissions(for: [Invocation("issue_dma", holding: ["lba48", "is_addr", "has_device"])])
        #expect(
            names(batches) == [[
                "in_wait:status", "out:device", "in:altstatus", "in_wait:status",
                "out:feature", "out:nsect", "out:lbal", "out:lbam", "out:lbah",
                "out:feature", "out:nsect", "out:lbal", "out:lbam", "out:lbah",
                "out:device", "in_wait:status", "out:bmdma_prd", "update:bmdma_cmd", "out:command", "in:altstatus",
                "update:bmdma_cmd",
            ]])
        let issue = plan.plan(named: "issue_dma")!
        #expect(issue.steps.compactMap(\.submitAfter) == [.batchHeld(registers: [])])
    }

    @Test("the driver's own interrupt path is one submission; its reads are checked by the host, not the guest")
    func ownInterruptPath() {
        let batches = plan.submissions(for: [Invocation("dma_intr", holding: ["has_bmdma"])])
        #expect(
            names(batches) == [[
                "in_expect:bmdma_status", "update:bmdma_cmd", "in:altstatus", "in_expect:altstatus", "in:status",
                "update:bmdma_status",
            ]])
        #expect(batches[0][0].mask == "ATA_DMA_INTR" && batches[0][0].value == "ATA_DMA_INTR")
        #expect(batches[0][3].mask == "ATA_BUSY" && batches[0][3].value == "0")
        let intr = plan.plan(named: "dma_intr")!
        #expect(intr.steps.compactMap(\.submitAfter) == [.batchHeld(registers: ["bmdma_status", "altstatus", "status"])])
    }

    @Test("held by ->qc_issue(), libata's own issue path loses the trigger boundaries but keeps the needed reads")
    func heldStockIssue() {
        let batches = plan.submissions(
            for: [
                Invocation("check_status"), Invocation("dev_select"), Invocation("check_status"),
                Invocation("tf_load", holding: ["is_addr", "has_device"]), Invocation("bmdma_setup"), Invocation("bmdma_start"),
            ], insideIssue: true)
        #expect(batches.count == 3)
        #expect(names(batches)[2].last == "update:bmdma_cmd")
    }

    @Test("a DMA command is two submissions: the taskfile up to the ATA command, then the engine start")
    func dmaCommand() {
        let batches = plan.submissions(for: [
            Invocation("tf_load", holding: ["lba48", "is_addr", "has_device"]),
            Invocation("bmdma_setup"),
            Invocation("bmdma_start"),
        ])
        #expect(batches.count == 2)
        #expect(names(batches)[0].suffix(5) == ["in_wait:status", "out:bmdma_prd", "update:bmdma_cmd", "out:command", "in:altstatus"])
        #expect(names(batches)[1] == ["update:bmdma_cmd"])
        #expect(batches[1][0].value == "ATA_DMA_START")
    }

    @Test("inside qc_issue a device select joins the status poll that follows it")
    func insideIssue() {
        let run = [Invocation("dev_select"), Invocation("check_status")]
        #expect(names(plan.submissions(for: run)) == [["out:device", "in:altstatus"], ["in:status"]])
        #expect(names(plan.submissions(for: run, insideIssue: true)) == [["out:device", "in:altstatus", "in:status"]])
    }

    @Test("reads whose value the driver needs end their batch", arguments: ["check_status", "check_altstatus", "bmdma_status"])
    func neededReads(sequence: String) throws {
        let sequencePlan = try #require(plan.plan(named: sequence))
        let last = try #require(sequencePlan.steps.last)
        #expect(last.submitAfter == .valueNeeded(register: last.access!.register.name))
    }

    @Test("the planner decides from register semantics: a latching command register batches through")
    func plannerFollowsTheModel() {
        var device = PIIXIDE.device
        let index = device.registers.firstIndex { $0.name == "command" }!
        device.registers[index].onWrite = .latches
        let relaxed = BatchPlanner.plan(device)
        let batches = relaxed.submissions(for: [Invocation("exec_command"), Invocation("dev_select")])
        // Without the trigger, exec_command submits only when it returns.
        #expect(relaxed.plan(named: "exec_command")!.steps.allSatisfy { $0.submitAfter == nil })
        #expect(batches.count == 2)
    }

    @Test("a settle read that clears device state does not ride along after a trigger")
    func settleReadMustBeSideEffectFree() {
        var device = PIIXIDE.device
        let index = device.registers.firstIndex { $0.name == "altstatus" }!
        device.registers[index].onRead = .clearsState
        let steps = BatchPlanner.plan(device).plan(named: "exec_command")!.steps
        #expect(steps[0].submitAfter == .triggersDevice(register: "command"))
        #expect(steps[1].submitAfter == nil)
    }

    @Test("the BMDMA stop clears START, so it is no trigger; the start sets it, so it is")
    func conditionalTrigger() {
        #expect(plan.plan(named: "bmdma_stop")!.steps.allSatisfy { $0.submitAfter == nil })
        #expect(plan.plan(named: "bmdma_start")!.steps[0].submitAfter == .triggersDevice(register: "bmdma_cmd"))
        #expect(plan.plan(named: "bmdma_setup")!.steps.allSatisfy { $0.submitAfter == nil })
    }
}
