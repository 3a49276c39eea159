import CodeGen
import DriverModel
import Foundation
import Testing

/// The KVM exit rig (`Tests/rigs/kvm`): the catalog's PIIX IDE sequences, with concrete
/// arguments, run in a real KVM vCPU by a small test VMM, once access by access and once batch by
/// batch through the generated host stub, against one register-file model of the device.
///
/// The rig's guest program executes a table of planned accesses. That table is written here, from
/// the model: each case names libata operations (catalog sequences) with the arguments libata
/// would pass, `DevicePlan.submissions(for:)` decides the batches, and the model's own C
/// expressions (values, masks, guards, locals) are evaluated for those arguments.
@Suite("KVM exit rig")
struct KVMExitTests {
    static let rigDirectory = Repository.root.appendingPathComponent("Tests/rigs/kvm")
    static let checkedInTable = rigDirectory.appendingPathComponent("cases.h")

    @Test("every catalog sequence runs in some case, and each case plans at least one submission")
    func casesCoverTheCatalog() throws {
        let table = try RigTable.build()
        let device = try RigTable.device()
        let used = Set(RigCase.all.flatMap { $0.commands.flatMap(\.invocations) })
        let called = Set(device.sequences.flatMap { $0.steps.compactMap { step -> String? in
            if case .call(let callee, _) = step.action { return callee }
            return nil
        } })
        let missing = Set(device.sequences.map(\.name)).subtracting(used).subtracting(called)
        #expect(missing.isEmpty, "no case runs \(missing.sorted())")
        for rigCase in table.cases {
            #expect(!rigCase.batches.isEmpty, "\(rigCase.name) plans nothing")
            #expect(rigCase.batches.allSatisfy { $0.count <= 64 }, "\(rigCase.name) has a batch over PVGEN_MAX_ENTRIES")
        }
        // Every guard holds in some case, so that no conditional access goes untested.
        let guards = Set(device.sequences.flatMap { sequence in RigTable.accessGuards(of: sequence).map { "\(sequence.name).\($0.name)" } })
        #expect(guards.subtracting(table.heldGuards).isEmpty, "no case meets \(guards.subtracting(table.heldGuards).sorted())")
        let lba48 = try #require(table.cases.first { $0.name == "tf_lba48" })
        #expect(lba48.batches == [lba48.accesses], "an LBA48 taskfile load plus its command is one submission")
        #expect(lba48.accesses.count == 14)
    }

    @Test("the checked-in case table (Tests/rigs/kvm/cases.h) is what the model plans now")
    func caseTableIsCurrent() throws {
        let text = try RigTable.build().cSource()
        if ProcessInfo.processInfo.environment["PVGEN_UPDATE_KVM_CASES"] == "1" {
            try text.write(to: Self.checkedInTable, atomically: true, encoding: .utf8)
        }
        let checkedIn = try String(contentsOf: Self.checkedInTable, encoding: .utf8)
        #expect(
            checkedIn == text,
            "Tests/rigs/kvm/cases.h is stale: run `PVGEN_UPDATE_KVM_CASES=1 swift test --filter KVMExitTests` and commit it")
    }

    @Test("the model's C expressions evaluate for concrete arguments, and unknown ones are refused")
    func evaluator() throws {
        let names: [String: UInt64] = ["tf->flags": 0x06, "device": 1, "qc->tf.flags": 0x08]
        let c = CEvaluator { name in
            if let value = names[name] ?? ATA.constants[name] { return value }
            throw CEvaluator.Failure(description: "no \(name)")
        }
        #expect(try c.evaluate("ATA_BUSY | ATA_DRQ") == 0x88)
        #expect(try c.evaluate("device ? ATA_DEVICE_OBS | ATA_DEV1 : ATA_DEVICE_OBS") == 0xb0)
        #expect(try c.evaluate("qc->tf.flags & ATA_TFLAG_WRITE") == 0x08)
        #expect(try c.evaluate("tf->flags & ATA_TFLAG_ISADDR && (tf->flags & ATA_TFLAG_LBA48)") == 0)
        #expect(try c.evaluate("0xf6") == 0xf6)
        #expect(try c.evaluate("!device") == 0)
        #expect(throws: CEvaluator.Failure.self) { try c.evaluate("tf->lbal") }
        #expect(throws: CEvaluator.Failure.self) { try c.evaluate("device + 1") }
    }

    /// Builds the rig in `work` against a freshly generated tree and a fresh case table; the
    /// binary.
    static func buildRig(in work: URL, table: RigTable) async throws -> URL {
        let tree = work.appendingPathComponent("kmod")
        try OutputTree.writeFiles(try Generator(catalog: .builtIn).generate(), under: tree)
        let cases = work.appendingPathComponent("cases.h")
        try table.cSource().write(to: cases, atomically: true, encoding: .utf8)
        let out = work.appendingPathComponent("rig")
        let build = try await runCommand([
            "make", "-C", rigDirectory.path, "KMOD=\(tree.path)", "CASES=\(cases.path)", "OUT=\(out.path)",
        ])
        try #require(build.status == 0, "building the rig failed:\n\(build.output)")
        return out.appendingPathComponent("kvm_rig")
    }

    /// Runs every case in the rig's four modes and compares what the device saw.
    @Test("batched and unbatched runs show the device the same trace and the guest the same values; one exit per planned batch")
    func traceEquivalence() async throws {
        guard FileManager.default.fileExists(atPath: "/dev/kvm") else {
            print("KVMExitTests.traceEquivalence skipped: /dev/kvm is absent")
            return
        }
        let table = try RigTable.build()
        let work = try Repository.scratch("kvm-rig")
        defer { try? FileManager.default.removeItem(at: work) }
        let rig = try await Self.buildRig(in: work, table: table)
        let run = try await runCommand(["timeout", "300", rig.path, "check"])
        try #require(run.status == 0, "kvm_rig check failed (\(run.status)):\n\(run.output.suffix(4000))")

        let decoder = JSONDecoder()
        let lines = try run.output.split(separator: "\n").filter { $0.hasPrefix("{") }.map {
            try decoder.decode(CheckLine.self, from: Data($0.utf8))
        }
        var summary: [String] = []
        for rigCase in table.cases {
            let runs = Dictionary(lines.filter { $0.caseName == rigCase.name }.map { ($0.mode, $0) }) { a, _ in a }
            let direct = try #require(runs["direct"], "no direct run of \(rigCase.name)")
            let doorbell = try #require(runs["doorbell"], "no doorbell run of \(rigCase.name)")
            let ring = try #require(runs["ring"], "no ring run of \(rigCase.name)")
            for line in runs.values where line.skipped == nil {
                #expect(line.error == 0, "\(rigCase.name) \(line.mode): the guest reported error \(line.error ?? -1)")
                #expect(line.traceLost == 0)
                #expect(line.plannedSubmissions == rigCase.batches.count)
                #expect(line.plannedAccesses == rigCase.accesses.count)
            }

            // The unbatched run did what the plan says, access for access, and the guest got the
            // values the device returned.
            let expected = rigCase.expectedReads(in: direct.trace)
            #expect(expected.mismatch == nil, "\(rigCase.name): \(expected.mismatch ?? "")")
            #expect(direct.reads == expected.reads, "\(rigCase.name): the guest's values differ from the device's")
            #expect(direct.exits == direct.trace.count && direct.deviceExits == direct.trace.count)
            #expect(rigCase.expectedCommands == direct.commands.map(\.summary), "\(rigCase.name): the drive decoded other commands")

            // Batched: the same trace, the same values; one doorbell exit per planned submission.
            for batched in [doorbell, ring] {
                #expect(batched.trace == direct.trace, "\(rigCase.name) \(batched.mode): the device saw another trace")
                #expect(batched.reads == direct.reads, "\(rigCase.name) \(batched.mode): the guest read other values")
                #expect(batched.commands == direct.commands)
                #expect(batched.resumes + batched.cuts == batched.stops, "every early stop is resumed or cut")
                #expect(batched.polls == expected.polls)
                #expect(batched.cuts == expected.cuts && direct.cuts == expected.cuts && expected.cuts == rigCase.cuts)
            }
            #expect(doorbell.submissions == rigCase.batches.count + doorbell.resumes)
            #expect(doorbell.doorbellExits == doorbell.submissions && doorbell.batches == doorbell.submissions)
            #expect(doorbell.deviceExits == doorbell.polls)
            #expect(doorbell.exits == doorbell.doorbellExits + doorbell.deviceExits)
            if !rigCase.waitsOnBusyDevice {
                #expect(doorbell.stops == doorbell.cuts, "\(rigCase.name): the device was busy at an IN_WAIT")
                #expect(doorbell.exits == rigCase.batches.count, "\(rigCase.name): \(doorbell.exits) exits for \(rigCase.batches.count) planned submissions")
            } else {
                #expect(doorbell.stops > 0, "\(rigCase.name) should have waited on a busy drive")
            }

            // The ring: the same work without an exit, except a kick when no poller answered.
            // The guest attached it once at the start and detached it at the end, and the stub
            // answered both (a detach it did not finish is the guest's error).
            #expect(ring.exits == ring.kickExits && ring.kicks == ring.kickExits)
            #expect(ring.deviceExits == 0 && ring.doorbellExits == 0)
            #expect(ring.batches == rigCase.batches.count + ring.resumes + ring.polls)
            #expect(ring.attachExits == 1 && ring.detachExits == 1 && ring.ringOpErrors == 0)

            // Coalesced PIO: KVM queues the latching writes; each other access still exits.
            if let coalesced = runs["coalesced"], coalesced.skipped == nil {
                #expect(coalesced.trace == direct.trace && coalesced.reads == direct.reads)
                #expect(coalesced.coalesced == rigCase.coalescibleWrites(table.zones))
                #expect(coalesced.exits + coalesced.coalesced == direct.trace.count)
            }
            summary.append(
                "\(rigCase.name): \(direct.trace.count) accesses; exits direct \(direct.exits), "
                    + "coalesced \(runs["coalesced"]?.exits.description ?? "-"), doorbell \(doorbell.exits), ring \(ring.exits)")
        }
        print("KVMExitTests: \(table.cases.count) cases, trace-equivalent in every mode\n  " + summary.joined(separator: "\n  "))
    }

    /// A million numbered batches through the ring and the rig's real polling thread (which
    /// sleeps and is kicked awake now and then), each counted at the device.
    @Test("a million ring batches with a real polling thread: none lost, none run twice, all in order")
    func ringStress() async throws {
        guard FileManager.default.fileExists(atPath: "/dev/kvm") else {
            print("KVMExitTests.ringStress skipped: /dev/kvm is absent")
            return
        }
        let batches = 1_000_000
        let work = try Repository.scratch("kvm-ring-stress")
        defer { try? FileManager.default.removeItem(at: work) }
        let rig = try await Self.buildRig(in: work, table: try RigTable.build())
        let run = try await runCommand(["timeout", "120", rig.path, "ring-stress", "\(batches)"])
        #expect(run.status == 0, "kvm_rig ring-stress failed (\(run.status)):\n\(run.output.suffix(2000))")
        let line = try #require(run.output.split(separator: "\n").first { $0.hasPrefix("{") }, "no JSON line:\n\(run.output)")
        let stress = try JSONDecoder().decode(StressLine.self, from: Data(line.utf8))
        #expect(stress.error == 0, "the guest reported error \(stress.error)")
        #expect(stress.batches == batches && stress.submissions == batches && stress.hostBatches == batches)
        #expect(stress.lost == 0 && stress.duplicated == 0 && stress.outOfOrder == 0 && stress.strays == 0)
        #expect(stress.attachExits == 1 && stress.detachExits == 1 && stress.ringOpErrors == 0 && stress.detached)
        // The guest pauses every 65,536 batches: the poller falls asleep and is kicked awake.
        #expect(stress.pollerSleeps > 0 && stress.kickExits > 0 && stress.kicks == stress.kickExits)
        print(
            "KVMExitTests.ringStress: \(stress.batches) batches in \(String(format: "%.2f", Double(stress.ns) / 1e9)) s "
                + "(\(Int(stress.batchesPerSecond)) batches/s), \(stress.kicks) kicks, poller slept \(stress.pollerSleeps) times; "
                + "lost \(stress.lost), duplicated \(stress.duplicated), out of order \(stress.outOfOrder)")
    }
}

/// The line of `kvm_rig ring-stress`.
struct StressLine: Decodable {
    var error: Int
    var batches: Int
    var submissions: Int
    var hostBatches: Int
    var lost: Int
    var duplicated: Int
    var outOfOrder: Int
    var strays: Int
    var kicks: Int
    var kickExits: Int
    var attachExits: Int
    var detachExits: Int
    var ringOpErrors: Int
    var pollerSleeps: Int
    var detached: Bool
    var ns: UInt64
    var batchesPerSecond: Double

    enum CodingKeys: String, CodingKey {
        case error, batches, submissions, hostBatches = "host_batches", lost, duplicated, outOfOrder = "out_of_order"
        case strays, kicks, kickExits = "kick_exits", attachExits = "attach_exits", detachExits = "detach_exits"
        case ringOpErrors = "ring_op_errors", pollerSleeps = "poller_sleeps", detached, ns
        case batchesPerSecond = "batches_per_s"
    }
}

// MARK: - The rig's output

/// One line of `kvm_rig check`.
struct CheckLine: Decodable {
    struct Command: Decodable, Equatable {
        var channel: Int
        var drive: Int
        var command: Int
        var device: Int
        var lba: UInt64
        var count: Int

        var summary: RigCase.ExpectedCommand {
            RigCase.ExpectedCommand(channel: channel, drive: drive, command: command, lba: lba, count: count)
        }
    }

    var caseName: String
    var mode: String
    var skipped: String?
    var error: Int?
    var plannedAccesses: Int
    var plannedSubmissions: Int
    var exits: Int
    var deviceExits: Int
    var doorbellExits: Int
    var kickExits: Int
    var attachExits: Int
    var detachExits: Int
    var ringOpErrors: Int
    var coalesced: Int
    var batches: Int
    var stops: Int
    var submissions: Int
    var resumes: Int
    var polls: Int
    var kicks: Int
    var cuts: Int
    var traceLost: Int
    var trace: [String]
    var reads: [UInt32]
    var commands: [Command]

    enum CodingKeys: String, CodingKey {
        case caseName = "case", mode, skipped, error
        case plannedAccesses = "planned_accesses", plannedSubmissions = "planned_submissions"
        case exits, deviceExits = "device_exits", doorbellExits = "doorbell_exits", kickExits = "kick_exits"
        case attachExits = "attach_exits", detachExits = "detach_exits", ringOpErrors = "ring_op_errors"
        case coalesced, batches, stops, submissions, resumes, polls, kicks, cuts
        case traceLost = "trace_lost", trace, reads, commands
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        caseName = try c.decode(String.self, forKey: .caseName)
        mode = try c.decode(String.self, forKey: .mode)
        skipped = try c.decodeIfPresent(String.self, forKey: .skipped)
        func int(_ key: CodingKeys) throws -> Int { try c.decodeIfPresent(Int.self, forKey: key) ?? 0 }
        error = try c.decodeIfPresent(Int.self, forKey: .error)
        plannedAccesses = try int(.plannedAccesses)
        plannedSubmissions = try int(.plannedSubmissions)
        exits = try int(.exits)
        deviceExits = try int(.deviceExits)
        doorbellExits = try int(.doorbellExits)
        kickExits = try int(.kickExits)
        attachExits = try int(.attachExits)
        detachExits = try int(.detachExits)
        ringOpErrors = try int(.ringOpErrors)
        coalesced = try int(.coalesced)
        batches = try int(.batches)
        stops = try int(.stops)
        submissions = try int(.submissions)
        resumes = try int(.resumes)
        polls = try int(.polls)
        kicks = try int(.kicks)
        cuts = try int(.cuts)
        traceLost = try int(.traceLost)
        trace = try c.decodeIfPresent([String].self, forKey: .trace) ?? []
        reads = try c.decodeIfPresent([UInt32].self, forKey: .reads) ?? []
        commands = try c.decodeIfPresent([Command].self, forKey: .commands) ?? []
    }
}

// MARK: - Cases

/// The values of `<linux/ata.h>` and `<linux/libata.h>` (Linux 6.1) that the catalog's
/// expressions name.
enum ATA {
    static let constants: [String: UInt64] = [
        "ATA_BUSY": 0x80, "ATA_DRQ": 0x08, "ATA_DMA_INTR": 0x04, "ATA_DMA_ERR": 0x02,
        "ATA_DEVICE_OBS": 0xa0, "ATA_DEV1": 0x10, "ATA_LBA": 0x40,
        "ATA_DMA_START": 0x01, "ATA_DMA_WR": 0x08,
        "ATA_TFLAG_LBA48": 0x01, "ATA_TFLAG_ISADDR": 0x02, "ATA_TFLAG_DEVICE": 0x04, "ATA_TFLAG_WRITE": 0x08,
    ]
    static let devctlObsolete: UInt8 = 0x08
    static let nIEN: UInt8 = 0x02
}

/// One ATA command as libata builds its taskfile (`ata_build_rw_tf`, `ata_tf_init`), and the
/// driver state around it.
struct ATACommand: Sendable {
    var name: String
    var code: UInt8
    /// Whether the taskfile carries an address (`ATA_TFLAG_ISADDR`) and which kind.
    var address: Address
    var count: UInt32 = 0
    var feature: UInt16 = 0
    var write = false
    var drive: UInt8 = 0
    /// `tf->ctl`, and the `ap->last_ctl` the previous command left.
    var ctl: UInt8 = ATA.devctlObsolete
    var lastCtl: UInt8 = ATA.devctlObsolete
    /// `ap->bmdma_prd_dma`.
    var prd: UInt32 = 0x0001_0000

    enum Address: Sendable {
        case none
        case lba28(UInt64)
        case lba48(UInt64)
    }

    var flags: UInt64 {
        var flags = ATA.constants["ATA_TFLAG_DEVICE"]!
        switch address {
        case .none: break
        case .lba28: flags |= ATA.constants["ATA_TFLAG_ISADDR"]!
        case .lba48: flags |= ATA.constants["ATA_TFLAG_ISADDR"]! | ATA.constants["ATA_TFLAG_LBA48"]!
        }
        if write { flags |= ATA.constants["ATA_TFLAG_WRITE"]! }
        return flags
    }

    /// The driver-side names the catalog's expressions use, for this command on `channel`.
    func values(channel: Int, bar4: UInt16) -> [String: UInt64] {
        var device: UInt64 = 0xa0 | (drive != 0 ? 0x10 : 0)
        var lba: UInt64 = 0
        switch address {
        case .none: break
        case .lba28(let block):
            device |= 0x40 | ((block >> 24) & 0xf)
            lba = block
        case .lba48(let block):
            device |= 0x40
            lba = block
        }
        let taskfile: [String: UInt64] = [
            "command": UInt64(code), "flags": flags, "ctl": UInt64(ctl), "device": device,
            "feature": UInt64(feature & 0xff), "hob_feature": UInt64(feature >> 8),
            "nsect": UInt64(count & 0xff), "hob_nsect": UInt64((count >> 8) & 0xff),
            "lbal": lba & 0xff, "lbam": (lba >> 8) & 0xff, "lbah": (lba >> 16) & 0xff,
            "hob_lbal": (lba >> 24) & 0xff, "hob_lbam": (lba >> 32) & 0xff, "hob_lbah": (lba >> 40) & 0xff,
        ]
        var values: [String: UInt64] = [
            "ap->last_ctl": UInt64(lastCtl),
            "ap->bmdma_prd_dma": UInt64(prd),
            "ap->ioaddr.bmdma_addr": UInt64(bar4) + 8 * UInt64(channel),
            "device": UInt64(drive),
        ]
        for (field, value) in taskfile {
            values["tf->\(field)"] = value
            values["qc->tf.\(field)"] = value
        }
        return values
    }

    /// What the drive should decode when this command reaches it.
    func expected(channel: Int) -> RigCase.ExpectedCommand {
        switch address {
        case .none:
            return .init(channel: channel, drive: Int(drive), command: Int(code), lba: nil, count: nil)
        case .lba28(let block):
            return .init(channel: channel, drive: Int(drive), command: Int(code), lba: block & 0xfff_ffff, count: Int(count & 0xff))
        case .lba48(let block):
            return .init(channel: channel, drive: Int(drive), command: Int(code), lba: block & 0xffff_ffff_ffff, count: Int(count & 0xffff))
        }
    }
}

/// One case: libata operations on one channel, each group with the command it serves.
struct RigCase: Sendable {
    struct Step: Sendable {
        var command: ATACommand
        var invocations: [String]
    }

    struct ExpectedCommand: Equatable, CustomStringConvertible {
        var channel: Int
        var drive: Int
        var command: Int
        var lba: UInt64?
        var count: Int?

        /// Address and count are compared only where the taskfile carries them.
        static func == (a: Self, b: Self) -> Bool {
            a.channel == b.channel && a.drive == b.drive && a.command == b.command
                && (a.lba == nil || b.lba == nil || (a.lba == b.lba && a.count == b.count))
        }

        var description: String {
            "ch\(channel).\(drive) cmd 0x\(String(command, radix: 16))" + (lba.map { " lba 0x\(String($0, radix: 16))" } ?? "")
        }
    }

    var name: String
    var summary: String
    var channel: Int
    var commands: [Step]
    var bench = false
    /// The case issues a command while the drive is still busy with the previous one, so an
    /// IN_WAIT meets BSY: the host stops the batch early and the guest polls and resumes.
    var waitsOnBusyDevice = false
    /// Batches an IN_EXPECT cuts short, per repetition (the driver's path for "not ours").
    var cuts = 0

    static let readVerify = ATACommand(name: "READ VERIFY SECTORS", code: 0x40, address: .lba28(0x012_3456), count: 8)
    static let readVerifyExt = ATACommand(
        name: "READ VERIFY SECTORS EXT", code: 0x42, address: .lba48(0xab_cdef_1234), count: 0x0180)
    static let fullDMAFlow = [
        "check_status", "dev_select", "check_status", "tf_load", "bmdma_setup", "bmdma_start",
        "bmdma_status", "bmdma_stop", "check_altstatus", "check_status", "irq_clear",
    ]

    /// The cases, in table order. The flows follow libata 6.1: `ata_bmdma_qc_issue` waits for
    /// idle around `sff_dev_select`, loads the taskfile and starts the engine; the interrupt
    /// (`ata_bmdma_port_intr`, `__ata_sff_port_intr`) reads the engine's status, stops it, reads
    /// altstatus and status, and clears the interrupt.
    static let all: [RigCase] = [
        RigCase(
            name: "tf_lba28", summary: "READ VERIFY SECTORS, LBA28: tf_load + exec_command", channel: 0,
            commands: [Step(command: readVerify, invocations: ["tf_load", "exec_command"])], bench: true),
        RigCase(
            name: "tf_lba48", summary: "READ VERIFY SECTORS EXT, LBA48: tf_load + exec_command", channel: 0,
            commands: [Step(command: readVerifyExt, invocations: ["tf_load", "exec_command"])], bench: true),
        RigCase(
            name: "tf_lba48_ctl_ch1_dev1",
            summary: "LBA48 on the secondary channel's slave after a polled command: devctl written and waited on",
            channel: 1,
            commands: [
                Step(
                    command: ATACommand(
                        name: "READ VERIFY SECTORS EXT", code: 0x42, address: .lba48(0xffff_ffff_fffe), count: 0xffff,
                        drive: 1, ctl: ATA.devctlObsolete, lastCtl: ATA.devctlObsolete | ATA.nIEN),
                    invocations: ["tf_load", "exec_command", "check_altstatus", "check_status"])
            ]),
        RigCase(
            name: "set_features_ch1", summary: "SET FEATURES (transfer mode MWDMA2) on the secondary master", channel: 1,
            commands: [
                Step(
                    command: ATACommand(name: "SET FEATURES", code: 0xef, address: .lba28(0), count: 0x22, feature: 0x03),
                    invocations: ["tf_load", "exec_command", "check_status"])
            ]),
        RigCase(
            name: "dev_select0", summary: "select the master, then the 400 ns pause", channel: 0,
            commands: [Step(command: readVerify, invocations: ["dev_select"])], bench: true),
        RigCase(
            name: "dev_select1_ch1", summary: "select the slave of the secondary channel", channel: 1,
            commands: [
                Step(
                    command: ATACommand(name: "NOP", code: 0, address: .none, drive: 1),
                    invocations: ["check_status", "dev_select", "check_status"])
            ]),
        RigCase(
            name: "status_reads", summary: "check_status, check_altstatus, bmdma_status", channel: 0,
            commands: [Step(command: readVerify, invocations: ["check_status", "check_altstatus", "bmdma_status"])],
            bench: true),
        RigCase(
            name: "irq_clear_ch1", summary: "acknowledge the bus-master interrupt bits", channel: 1,
            commands: [Step(command: readVerify, invocations: ["irq_clear", "bmdma_status"])]),
        RigCase(
            name: "bmdma_stop", summary: "stop an idle bus master", channel: 0,
            commands: [Step(command: readVerify, invocations: ["bmdma_stop"])]),
        RigCase(
            name: "dma_issue_lba28_dev1", summary: "WRITE DMA, LBA28, slave: tf_load + bmdma_setup + bmdma_start", channel: 0,
            commands: [
                Step(
                    command: ATACommand(
                        name: "WRITE DMA", code: 0xca, address: .lba28(0xfff_fff0), count: 16, write: true, drive: 1,
                        prd: 0x0012_3000),
                    invocations: ["tf_load", "bmdma_setup", "bmdma_start", "bmdma_status", "bmdma_stop"])
            ]),
        RigCase(
            name: "dma_read_lba28", summary: "READ DMA, LBA28: the whole command as ata_piix runs it", channel: 0,
            commands: [
                Step(
                    command: ATACommand(name: "READ DMA", code: 0xc8, address: .lba28(0x0ab_cdef), count: 8),
                    invocations: fullDMAFlow)
            ], bench: true),
        RigCase(
            name: "dma_write_lba28_ch1_dev1", summary: "WRITE DMA, LBA28, one sector, secondary slave", channel: 1,
            commands: [
                Step(
                    command: ATACommand(
                        name: "WRITE DMA", code: 0xca, address: .lba28(0x10), count: 1, write: true, drive: 1,
                        prd: 0x7ffe_0000),
                    invocations: fullDMAFlow)
            ]),
        RigCase(
            name: "dma_read_lba48", summary: "READ DMA EXT, LBA48, 256 sectors: the whole command", channel: 0,
            commands: [
                Step(
                    command: ATACommand(name: "READ DMA EXT", code: 0x25, address: .lba48(0x12_3456_789a), count: 0x100),
                    invocations: fullDMAFlow)
            ], bench: true),
        RigCase(
            name: "dma_write_lba48_ctl_dev1",
            summary: "WRITE DMA EXT past 2^28 on the slave, device control changed", channel: 0,
            commands: [
                Step(
                    command: ATACommand(
                        name: "WRITE DMA EXT", code: 0x35, address: .lba48(0x7fff_ffff_fff0), count: 16, write: true,
                        drive: 1, ctl: ATA.devctlObsolete, lastCtl: ATA.devctlObsolete | ATA.nIEN, prd: 0x0000_f000),
                    invocations: fullDMAFlow)
            ]),
        RigCase(
            name: "flush_then_verify_busy",
            summary: "FLUSH CACHE EXT polled, then the next command while the drive is still busy: the IN_WAIT meets BSY",
            channel: 0,
            commands: [
                Step(
                    command: ATACommand(
                        name: "FLUSH CACHE EXT", code: 0xea, address: .none, ctl: ATA.devctlObsolete | ATA.nIEN,
                        lastCtl: ATA.devctlObsolete),
                    invocations: ["tf_load", "exec_command"]),
                Step(
                    command: ATACommand(
                        name: "READ VERIFY SECTORS", code: 0x40, address: .lba28(0x100), count: 1,
                        ctl: ATA.devctlObsolete, lastCtl: ATA.devctlObsolete | ATA.nIEN),
                    invocations: ["tf_load", "exec_command", "check_altstatus", "check_status"]),
            ],
            waitsOnBusyDevice: true),
        RigCase(
            name: "dma_own_read_lba48",
            summary: "READ DMA EXT through the driver's own paths: one batch issues it, one finishes it", channel: 0,
            commands: [
                Step(
                    command: ATACommand(name: "READ DMA EXT", code: 0x25, address: .lba48(0x12_3456_789a), count: 0x100),
                    invocations: ["issue_dma", "dma_intr"])
            ], bench: true),
        RigCase(
            name: "dma_own_write_lba28_ch1_dev1",
            summary: "WRITE DMA on the secondary slave through the driver's own paths, device control changed", channel: 1,
            commands: [
                Step(
                    command: ATACommand(
                        name: "WRITE DMA", code: 0xca, address: .lba28(0x20), count: 8, write: true, drive: 1,
                        ctl: ATA.devctlObsolete, lastCtl: ATA.devctlObsolete | ATA.nIEN, prd: 0x0004_0000),
                    invocations: ["issue_dma", "dma_intr"])
            ]),
        RigCase(
            name: "dma_intr_not_ours",
            summary: "an interrupt with no DMA finished: INTR is clear, so the batch is cut after its first read", channel: 0,
            commands: [Step(command: readVerify, invocations: ["dma_intr"])], cuts: 1),
    ]

    /// The commands the drive should decode, in order.
    var expectedCommands: [ExpectedCommand] {
        commands.filter { !Set($0.invocations).isDisjoint(with: ["exec_command", "bmdma_setup", "issue_dma"]) }
            .map { $0.command.expected(channel: channel) }
    }
}

/// A case with its accesses planned and evaluated.
struct PlannedCase {
    var name: String
    var summary: String
    var bench: Bool
    var waitsOnBusyDevice: Bool
    var cuts: Int
    var accesses: [RigAccess]
    var batches: [[RigAccess]]
    var expectedCommands: [RigCase.ExpectedCommand]

    /// Walks the device's trace of an unbatched run along the planned accesses: the values the
    /// guest must have read, the extra polls of IN_WAIT entries, the batches cut at a missed
    /// IN_EXPECT, or where the trace departs from the plan.
    func expectedReads(in trace: [String]) -> (reads: [UInt32], polls: Int, cuts: Int, mismatch: String?) {
        var reads: [UInt32] = []
        var polls = 0
        var cuts = 0
        var index = 0
        func next(_ out: Bool, _ access: RigAccess) -> UInt32? {
            guard index < trace.count else { return nil }
            let parts = trace[index].split(separator: " ")
            let target = parts.count == 3 ? parts[1].split(separator: "/") : []
            guard parts.count == 3, target.count == 2, parts[0] == (out ? "out" : "in"),
                UInt16(target[0], radix: 16) == access.port, UInt8(target[1]) == access.width,
                let value = UInt32(parts[2], radix: 16)
            else { return nil }
            index += 1
            return value
        }
        var position = 0
        for batch in batches {
            defer { position += batch.count }
            for (offset, access) in batch.enumerated() {
                let failure = "access \(position + offset) (\(access.comment)) does not match trace entry \(index): \(index < trace.count ? trace[index] : "end")"
                switch access.op {
                case .out:
                    guard next(true, access) == access.value else { return (reads, polls, cuts, failure) }
                case .in:
                    guard let value = next(false, access) else { return (reads, polls, cuts, failure) }
                    reads.append(value)
                case .inExpect:
                    guard let value = next(false, access) else { return (reads, polls, cuts, failure) }
                    reads.append(value)
                    if value & access.mask != access.value { cuts += 1 }
                case .inWait:
                    guard var value = next(false, access) else { return (reads, polls, cuts, failure) }
                    let ones = UInt32(truncatingIfNeeded: (UInt64(1) << (8 * UInt64(access.width))) - 1)
                    var tries = 999
                    while value != ones && value & access.mask != 0 && tries > 0 {
                        guard let again = next(false, access) else { return (reads, polls, cuts, failure) }
                        value = again
                        polls += 1
                        tries -= 1
                    }
                    reads.append(value)
                case .update:
                    guard let value = next(false, access), next(true, access) == (value & access.mask) | access.value else {
                        return (reads, polls, cuts, failure)
                    }
                    reads.append(value)
                }
                // A missed expectation cuts the rest of its batch.
                if access.op == .inExpect, reads.last! & access.mask != access.value { break }
            }
        }
        return (reads, polls, cuts, index == trace.count ? nil : "\(trace.count - index) accesses beyond the plan")
    }

    /// OUT accesses to ports KVM may coalesce.
    func coalescibleWrites(_ zones: [RigZone]) -> Int {
        accesses.filter { access in
            access.op == .out && zones.contains { access.port >= $0.port && Int(access.port) + Int(access.width) <= Int($0.port) + $0.size }
        }.count
    }
}

/// One planned access with concrete values, as a `struct rig_access`.
struct RigAccess: Equatable {
    var op: BatchOp
    var width: UInt8
    var port: UInt16
    var value: UInt32
    var mask: UInt32
    var comment: String

    var cOp: String {
        switch op {
        case .out: "PVGEN_OP_OUT"
        case .in: "PVGEN_OP_IN"
        case .inWait: "PVGEN_OP_IN_WAIT"
        case .update: "PVGEN_OP_RMW"
        case .inExpect: "PVGEN_OP_IN_EXPECT"
        }
    }
}

struct RigZone: Equatable {
    var port: UInt16
    var size: Int
}

/// The case table: every case planned by the model, rendered as the C header the rig compiles.
struct RigTable {
    /// Where the rig's VMM puts BAR4 (the bus-master registers), as firmware would assign it.
    static let bar4: UInt16 = 0xc000

    var cases: [PlannedCase]
    /// Ranges of the latching registers the cases write: the side-effect-free registers KVM
    /// coalesced PIO may queue.
    var zones: [RigZone]
    /// `sequence.guard` for every guard that held in some invocation.
    var heldGuards: Set<String>

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func device() throws -> Device {
        guard let device = Catalog.builtIn.devices.first(where: { $0.name == "piix_ide" }) else {
            throw Failure(description: "the built-in catalog has no piix_ide")
        }
        return device
    }

    static func build() throws -> RigTable {
        let device = try device()
        let plan = BatchPlanner.plan(device)
        var cases: [PlannedCase] = []
        var latching: [UInt16: UInt8] = [:]
        var heldGuards: Set<String> = []
        for rigCase in RigCase.all {
            var invocations: [Invocation] = []
            var owners: [Int] = []
            for (stepIndex, step) in rigCase.commands.enumerated() {
                let evaluator = try Self.evaluator(for: step.command, channel: rigCase.channel, device: device, case: rigCase.name)
                for name in step.invocations {
                    guard let sequence = device.sequence(named: name) else {
                        throw Failure(description: "\(rigCase.name): the catalog has no sequence \(name)")
                    }
                    let holding = try Self.guards(of: sequence, in: device).filter { try evaluator.evaluate($0.condition) != 0 }
                    invocations.append(Invocation(name, holding: Set(holding.map(\.name))))
                    heldGuards.formUnion(holding.map { "\(name).\($0.name)" })
                    owners.append(stepIndex)
                }
            }
            let submissions = plan.submissions(for: invocations)
            // Which command each access serves: the accesses of the first k invocations are the
            // first accesses of the whole run, however they are batched.
            var ownerOfAccess: [Int] = []
            for k in invocations.indices {
                let count = plan.submissions(for: Array(invocations[...k])).joined().count
                ownerOfAccess += Array(repeating: owners[k], count: count - ownerOfAccess.count)
            }
            var batches: [[RigAccess]] = []
            var position = 0
            for submission in submissions {
                var batch: [RigAccess] = []
                for planned in submission {
                    let step = rigCase.commands[ownerOfAccess[position]]
                    let evaluator = try Self.evaluator(for: step.command, channel: rigCase.channel, device: device, case: rigCase.name)
                    let access = try Self.access(planned, evaluator: evaluator, channel: rigCase.channel, device: device, case: rigCase.name)
                    if access.op == .out, planned.register.onWrite == .latches { latching[access.port] = access.width }
                    batch.append(access)
                    position += 1
                }
                batches.append(batch)
            }
            cases.append(
                PlannedCase(
                    name: rigCase.name, summary: rigCase.summary, bench: rigCase.bench, waitsOnBusyDevice: rigCase.waitsOnBusyDevice, cuts: rigCase.cuts,
                    accesses: batches.flatMap { $0 }, batches: batches, expectedCommands: rigCase.expectedCommands))
        }
        return RigTable(cases: cases, zones: Self.zones(latching), heldGuards: heldGuards)
    }

    /// The guards of a sequence's accesses and calls, and of the sequences it calls. (A path's
    /// guards on statements after its batch decide nothing the device sees.)
    static func guards(of sequence: AccessSequence, in device: Device) -> [Guard] {
        accessGuards(of: sequence) + sequence.steps.flatMap { step -> [Guard] in
            guard case .call(let callee, _) = step.action, let called = device.sequence(named: callee) else { return [] }
            return guards(of: called, in: device)
        }
    }

    static func accessGuards(of sequence: AccessSequence) -> [Guard] {
        let used = Set(sequence.steps.filter { $0.action.register != nil || $0.isCall }.compactMap(\.guardName))
        return sequence.guards.filter { used.contains($0.name) }
    }

    /// Evaluates the model's expressions for one command: its driver-side values, the ATA
    /// constants, and the locals the catalog's sequences declare (evaluated from their own
    /// initializers).
    static func evaluator(for command: ATACommand, channel: Int, device: Device, case name: String) throws -> CEvaluator {
        let values = command.values(channel: channel, bar4: bar4)
        var locals: [String: String] = [:]
        for sequence in device.sequences {
            for local in sequence.locals {
                if let initializer = local.initializer, locals[local.name] == nil { locals[local.name] = initializer }
            }
        }
        let table = locals
        func lookup(_ identifier: String, depth: Int) throws -> UInt64 {
            if let value = values[identifier] ?? ATA.constants[identifier] { return value }
            if let initializer = table[identifier], depth < 8 {
                return try CEvaluator { try lookup($0, depth: depth + 1) }.evaluate(initializer)
            }
            throw CEvaluator.Failure(description: "\(name): no value for `\(identifier)`")
        }
        return CEvaluator { try lookup($0, depth: 0) }
    }

    static func access(_ planned: PlannedAccess, evaluator: CEvaluator, channel: Int, device: Device, case name: String) throws -> RigAccess {
        let register = planned.register
        guard let block = device.block(named: register.block), channel < block.bases.count else {
            throw Failure(description: "\(name): no \(register.block) block on channel \(channel)")
        }
        let base: UInt16 =
            switch block.bases[channel] {
            case .fixed(let port): port
            case .pciBar(let index, let offset) where index == 4: bar4 + offset
            case .pciBar(let index, _): throw Failure(description: "\(name): the rig assigns BAR4 only, not BAR\(index)")
            }
        let width = register.width
        let value = try planned.value.map { try evaluator.evaluate($0) } ?? 0
        let mask = try planned.mask.map { try evaluator.evaluate($0) } ?? 0
        guard value <= width.maxValue, mask <= width.maxValue else {
            throw Failure(description: "\(name): \(register.name) value 0x\(String(value, radix: 16)) does not fit \(width.rawValue) bytes")
        }
        let comment =
            switch planned.op {
            case .out: "\(register.name) = \(planned.value ?? "")"
            case .in: "\(register.name)"
            case .inWait: "\(register.name) until !(\(planned.mask ?? ""))"
            case .update: "\(register.name) = (\(register.name) & \(planned.mask ?? "")) | (\(planned.value ?? ""))"
            case .inExpect: "\(register.name) & (\(planned.mask ?? "")) == \(planned.value ?? "") or cut"
            }
        return RigAccess(
            op: planned.op, width: UInt8(width.rawValue), port: base + UInt16(register.offset), value: UInt32(value), mask: UInt32(mask),
            comment: comment)
    }

    /// Contiguous port ranges of the given ports (each with its width).
    static func zones(_ ports: [UInt16: UInt8]) -> [RigZone] {
        var zones: [RigZone] = []
        for port in ports.keys.sorted() {
            let width = Int(ports[port]!)
            if let last = zones.last, Int(last.port) + last.size == Int(port) {
                zones[zones.count - 1].size += width
            } else {
                zones.append(RigZone(port: port, size: width))
            }
        }
        return zones
    }

    /// The table as C, in kernel style.
    func cSource() -> String {
        func hex(_ value: some BinaryInteger, _ digits: Int = 2) -> String {
            let text = String(value, radix: 16)
            return "0x" + String(repeating: "0", count: max(0, digits - text.count)) + text
        }
        func identifier(_ name: String) -> String { "rig_" + name }
        var lines: [String] = [
            "/* SPDX-License-Identifier: GPL-2.0 */",
            "/*",
            " * The KVM exit rig's cases: catalog sequences of the piix_ide model with",
            " * concrete arguments, batched as the planner submits them",
            " * (DevicePlan.submissions(for:)). Written by KVMExitTests.swift from the",
            " * model; do not edit. Regenerate with",
            " * PVGEN_UPDATE_KVM_CASES=1 swift test --filter KVMExitTests",
            " */",
            "",
            "#ifndef _RIG_CASES_H",
            "#define _RIG_CASES_H",
            "",
            "/* The VMM puts BAR4, the bus-master registers, here. */",
            "#define RIG_BAR4\t\(hex(Self.bar4, 4))",
            "",
        ]
        for rigCase in cases {
            let id = identifier(rigCase.name)
            lines.append("/* \(rigCase.name): \(rigCase.summary) */")
            lines.append("static const struct rig_access \(id)_accesses[] = {")
            for (index, batch) in rigCase.batches.enumerated() {
                lines.append("\t/* submission \(index + 1) of \(rigCase.batches.count) */")
                for access in batch {
                    lines.append(
                        "\t{ \(access.cOp), \(access.width), \(hex(access.port, 3)), \(hex(access.value)), \(hex(access.mask)) },"
                            + "\t/* \(access.comment) */")
                }
            }
            lines.append("};")
            lines.append("")
            lines.append("static const __u8 \(id)_batches[] = { \(rigCase.batches.map { String($0.count) }.joined(separator: ", ")) };")
            lines.append("")
        }
        lines.append("static const struct rig_case rig_cases[] = {")
        for rigCase in cases {
            let id = identifier(rigCase.name)
            lines += [
                "\t{",
                "\t\t.name\t\t= \"\(rigCase.name)\",",
                "\t\t.summary\t= \"\(rigCase.summary)\",",
                "\t\t.accesses\t= \(id)_accesses,",
                "\t\t.nr_accesses\t= ARRAY_SIZE(\(id)_accesses),",
                "\t\t.batches\t= \(id)_batches,",
                "\t\t.nr_batches\t= ARRAY_SIZE(\(id)_batches),",
                "\t\t.bench\t\t= \(rigCase.bench ? 1 : 0),",
                "\t},",
            ]
        }
        lines.append("};")
        lines.append("")
        lines.append("/*")
        lines.append(" * Registers whose writes only latch (the model's WriteEffect.latches) and that")
        lines.append(" * the cases write: the side-effect-free ports KVM coalesced PIO may queue.")
        lines.append(" */")
        lines.append("static const struct rig_zone rig_coalesced_zones[] = {")
        for zone in zones {
            lines.append("\t{ \(hex(zone.port, 3)), \(zone.size) },")
        }
        lines.append("};")
        lines.append("")
        lines.append("#endif /* _RIG_CASES_H */")
        return lines.joined(separator: "\n") + "\n"
    }
}

// MARK: - The model's C expressions

/// Evaluates the C expressions of the model (values, masks, guards, locals) for concrete
/// arguments: integer literals, names (`tf->lbal`, `qc->tf.flags`, `ATA_BUSY`; `lookup` gives
/// their values), `!`, `~`, `&`, `|`, `==`, `!=`, `&&`, `||`, `?:` and parentheses, which is what
/// the catalog uses. Anything else is refused, so that a model the rig cannot follow fails the
/// test instead of being guessed at.
struct CEvaluator {
    var lookup: (String) throws -> UInt64

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    enum Token: Equatable {
        case number(UInt64)
        case name(String)
        case symbol(String)
    }

    func evaluate(_ text: String) throws -> UInt64 {
        var parser = Parser(tokens: try Self.tokenize(text), text: text, lookup: lookup)
        let value = try parser.ternary()
        guard parser.position == parser.tokens.count else { throw Failure(description: "cannot evaluate `\(text)`") }
        return value
    }

    static func tokenize(_ text: String) throws -> [Token] {
        var tokens: [Token] = []
        let chars = Array(text)
        var i = 0
        func isNameChar(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "_" }
        while i < chars.count {
            let c = chars[i]
            if c.isWhitespace {
                i += 1
            } else if c.isNumber {
                var j = i
                while j < chars.count, chars[j].isHexDigit || chars[j] == "x" || chars[j] == "X" { j += 1 }
                let literal = String(chars[i..<j]).lowercased()
                while j < chars.count, "uUlL".contains(chars[j]) { j += 1 }
                let value = literal.hasPrefix("0x") ? UInt64(literal.dropFirst(2), radix: 16) : UInt64(literal)
                guard let value else { throw Failure(description: "bad number in `\(text)`") }
                tokens.append(.number(value))
                i = j
            } else if c.isLetter || c == "_" {
                var j = i
                while true {
                    while j < chars.count, isNameChar(chars[j]) { j += 1 }
                    if j + 2 < chars.count, chars[j] == "-", chars[j + 1] == ">", isNameChar(chars[j + 2]) {
                        j += 2
                    } else if j + 1 < chars.count, chars[j] == ".", isNameChar(chars[j + 1]) {
                        j += 1
                    } else {
                        break
                    }
                }
                tokens.append(.name(String(chars[i..<j])))
                i = j
            } else {
                let two = i + 1 < chars.count ? String(chars[i...i + 1]) : ""
                if ["&&", "||", "==", "!="].contains(two) {
                    tokens.append(.symbol(two))
                    i += 2
                } else if "&|!~?:()".contains(c) {
                    tokens.append(.symbol(String(c)))
                    i += 1
                } else {
                    throw Failure(description: "cannot evaluate `\(text)`: `\(c)`")
                }
            }
        }
        return tokens
    }

    struct Parser {
        var tokens: [Token]
        var text: String
        var lookup: (String) throws -> UInt64
        var position = 0

        mutating func take(_ symbol: String) -> Bool {
            guard position < tokens.count, tokens[position] == .symbol(symbol) else { return false }
            position += 1
            return true
        }

        mutating func ternary() throws -> UInt64 {
            let condition = try logicalOr()
            guard take("?") else { return condition }
            let yes = try ternary()
            guard take(":") else { throw Failure(description: "cannot evaluate `\(text)`: `?` without `:`") }
            let no = try ternary()
            return condition != 0 ? yes : no
        }

        mutating func logicalOr() throws -> UInt64 {
            var value = try logicalAnd()
            while take("||") { value = try logicalAnd() != 0 || value != 0 ? 1 : 0 }
            return value
        }

        mutating func logicalAnd() throws -> UInt64 {
            var value = try bitOr()
            while take("&&") { value = try bitOr() != 0 && value != 0 ? 1 : 0 }
            return value
        }

        mutating func bitOr() throws -> UInt64 {
            var value = try bitAnd()
            while take("|") { value |= try bitAnd() }
            return value
        }

        mutating func bitAnd() throws -> UInt64 {
            var value = try equality()
            while take("&") { value &= try equality() }
            return value
        }

        mutating func equality() throws -> UInt64 {
            var value = try unary()
            while true {
                if take("==") {
                    value = value == (try unary()) ? 1 : 0
                } else if take("!=") {
                    value = value != (try unary()) ? 1 : 0
                } else {
                    return value
                }
            }
        }

        mutating func unary() throws -> UInt64 {
            if take("!") { return try unary() == 0 ? 1 : 0 }
            if take("~") { return ~(try unary()) }
            if take("(") {
                let value = try ternary()
                guard take(")") else { throw Failure(description: "cannot evaluate `\(text)`: unbalanced `(`") }
                return value
            }
            guard position < tokens.count else { throw Failure(description: "cannot evaluate `\(text)`: it ends early") }
            let token = tokens[position]
            position += 1
            switch token {
            case .number(let value): return value
            case .name(let name): return try lookup(name)
            case .symbol(let symbol): throw Failure(description: "cannot evaluate `\(text)`: unexpected `\(symbol)`")
            }
        }
    }
}
