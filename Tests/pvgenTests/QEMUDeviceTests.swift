import Foundation
import Testing

/// QEMU 7.2 from Debian's source, built with the generated doorbell device (host/qemu, which
/// calls the generated host stub library) and the generated TCG hypercall patch
/// (host/qemu/*.patch), once per test run; the build is cached in `.build-qemu/` across runs.
enum BuiltQEMU {
    static let binary: Task<String, any Error> = Task {
        let build = try await BuiltCatalog.shared.value
        let result = try await runCommand(
            [PVGenBinary.path, "qemu", build.tree.path, "--cache", Repository.path(".build-qemu")])
        let path = result.output.split(separator: "\n").last.map(String.init) ?? ""
        guard result.status == 0, FileManager.default.isExecutableFile(atPath: path) else {
            throw BuiltCatalog.Unavailable(description: "pvgen qemu failed:\n\(result.output.suffix(4000))")
        }
        return path
    }

    /// The generated QEMU patches of a tree, in the order they apply.
    static func generatedPatches(_ tree: URL) throws -> [String] {
        let directory = tree.appendingPathComponent("host/qemu")
        return try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".patch") }.sorted()
            .map { directory.appendingPathComponent($0).path }
    }

    /// QEMU's own scripts/checkpatch.pl, from the source tree the binary was built from.
    static func checkpatch(_ binary: String) throws -> String {
        let sources = URL(fileURLWithPath: binary).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("src")
        let trees = try FileManager.default.contentsOfDirectory(atPath: sources.path).filter { $0.hasPrefix("qemu-") }.sorted()
        for tree in trees {
            let script = sources.appendingPathComponent(tree).appendingPathComponent("scripts/checkpatch.pl").path
            if FileManager.default.isExecutableFile(atPath: script) { return script }
        }
        throw BuiltCatalog.Unavailable(description: "no scripts/checkpatch.pl under \(sources.path)")
    }
}

@Suite("The host stub inside QEMU: the batched path in a real Linux guest", .serialized)
struct QEMUDeviceTests {
    @Test("qtest drives the generated doorbell device without a guest: magic, batches, hostile queues refused")
    func qtest() async throws {
        let qemu = try await BuiltQEMU.binary.value
        let result = try await runCommand([Repository.path("Tests/rigs/qemu/check-doorbell-qtest.sh"), qemu])
        #expect(result.status == 0, "\(result.output.suffix(4000))")
        #expect(result.output.contains(" passed, 0 failed"))
    }

    @Test("the generated device and TCG patch are clean with QEMU's checkpatch.pl")
    func checkpatchClean() async throws {
        let qemu = try await BuiltQEMU.binary.value
        let build = try await BuiltCatalog.shared.value
        let script = try BuiltQEMU.checkpatch(qemu)
        let device = build.tree.appendingPathComponent("host/qemu/pvgen_batch.c").path
        for arguments in [["-f", device]] + (try BuiltQEMU.generatedPatches(build.tree)).map({ [$0] }) {
            let result = try await runCommand([script, "--no-tree"] + arguments)
            #expect(result.status == 0, "checkpatch \(arguments.joined(separator: " ")):\n\(result.output)")
            #expect(result.output.contains("total: 0 errors, 0 warnings"), "\(result.output)")
        }
    }

    /// Boots the 6.1 guest on the built QEMU with `device` and pata_pvgen_piix, runs the IDE
    /// pattern workload, and checks it went through `transport` (as the module logs it, and
    /// as its `transport_in_use` parameter reads) with no direct port I/O and no host error.
    func batchedPath(
        device: String, transport: String, logLine: String, scratch: String, moduleArgs: [String] = []
    ) async throws {
        let qemu = try await BuiltQEMU.binary.value
        let build = try await BuiltCatalog.shared.value
        let result = try await runCommand(
            [Repository.path("Tests/rigs/guest/run-ide-pattern.sh"), "--ko", build.module("pata_pvgen_piix")] + moduleArgs
                + ["--qemu", qemu, "--qemu-arg", "-device", "--qemu-arg", device, try Repository.scratch(scratch).path])
        #expect(result.status == 0, "guest run failed:\n\(result.output)")
        #expect(result.output.contains(logLine))
        #expect(result.output.contains("param transport_in_use=\(transport)"))
        #expect(result.output.contains("param direct_accesses=0"))
        #expect(result.output.contains("param host_errors=0"))
        let submissions = result.output.firstMatch(of: /param submissions=(\d+)/).flatMap { Int($0.1) } ?? 0
        let entries = result.output.firstMatch(of: /param entries=(\d+)/).flatMap { Int($0.1) } ?? 0
        #expect(submissions > 0 && entries > submissions, "submissions \(submissions), entries \(entries)")
        #expect(result.output.contains("PVGEN: unexpected interrupt cleared"))
        #expect(result.output.contains("PVGEN: OK pata_pvgen_piix unloaded"))
        #expect(result.output.contains("[host] PASS: 2 patterns written in the guest are in disk.img"))
    }

    @Test(
        "doorbell path (hypercall off, the default): pata_pvgen_piix detects the doorbell, LBA28 and LBA48 patterns round-trip with no direct port I/O, the module unloads",
        .timeLimit(.minutes(10)))
    func batchedPathInRealGuest() async throws {
        try await batchedPath(
            device: "pvgen-batch", transport: "doorbell", logLine: "transport: doorbell (port 0x560, pvgen ABI 3)",
            scratch: "guest-doorbell")
    }

    @Test(
        "vmcall path (hypercall=on, TCG patch): pata_pvgen_piix sees KVM, picks vmcall, LBA28 and LBA48 patterns round-trip with no direct port I/O, the module unloads",
        .timeLimit(.minutes(10)))
    func vmcallPathInRealGuest() async throws {
        try await batchedPath(
            device: "pvgen-batch,hypercall=on", transport: "vmcall", logLine: "transport: vmcall (pvgen ABI 3)",
            scratch: "guest-vmcall")
    }

    @Test(
        "ring path (transport=ring, kicked by the doorbell): the device attaches the ring and serves each posted batch in the kick's exit",
        .timeLimit(.minutes(10)))
    func ringPathInRealGuest() async throws {
        try await batchedPath(
            device: "pvgen-batch", transport: "ring", logLine: "transport: ring (4 slots, kicked by doorbell, pvgen ABI 3)",
            scratch: "guest-ring", moduleArgs: ["--module-args", "transport=ring"])
    }

    @Test(
        "ring path kicked by vmcall (hypercall=on): the ring hypercall attaches and kicks it",
        .timeLimit(.minutes(10)))
    func ringByVmcallInRealGuest() async throws {
        try await batchedPath(
            device: "pvgen-batch,hypercall=on", transport: "ring", logLine: "transport: ring (4 slots, kicked by vmcall, pvgen ABI 3)",
            scratch: "guest-ring-vmcall", moduleArgs: ["--module-args", "transport=ring"])
    }

    /// The ring calls the device made, from QEMU's `pvgen_batch_ring` trace: (operation, ret).
    static func ringCalls(_ trace: String) -> [(op: UInt64, ret: Int)] {
        trace.split(separator: "\n").compactMap { line in
            guard let match = line.firstMatch(of: /pvgen_batch_ring ring gpa\|op 0x([0-9a-f]+) ret (-?\d+)/),
                let value = UInt64(match.1, radix: 16), let ret = Int(match.2)
            else { return nil }
            return (value & 0xfff, ret)
        }
    }

    @Test(
        "the ring detaches: four rmmod/insmod transport=ring cycles all come back on the ring with verified I/O, a probe failed after the attach leaves the host with no ring, and suspend lets it go and resume takes it back",
        .timeLimit(.minutes(10)))
    func ringDetachesAcrossReloads() async throws {
        let qemu = try await BuiltQEMU.binary.value
        let build = try await BuiltCatalog.shared.value
        let work = try Repository.scratch("guest-ring-cycles")
        let events = work.appendingPathComponent("ring.events")
        try "pvgen_batch_ring\n".write(to: events, atomically: true, encoding: .utf8)
        let rig = Repository.path("Tests/rigs/guest")
        let result = try await runCommand([
            "\(rig)/boot-guest.sh", "--work", work.path, "--script", "\(rig)/ring-cycles.sh", "--ko", build.module("pata_pvgen_piix"),
            "--no-ata-piix", "--qemu", qemu, "--trace-events", events.path, "--qemu-arg", "-device", "--qemu-arg", "pvgen-batch",
        ])
        #expect(result.status == 0, "guest run failed:\n\(result.output)")
        #expect(result.output.contains("PVGEN: OK ring cycles"))
        let calls = Self.ringCalls(try String(contentsOf: work.appendingPathComponent("trace.log"), encoding: .utf8))
        let lifecycle = calls.filter { $0.op != 0 }
        // Four cycles, the failed probe, the last cycle and the suspended one (attach, detach at
        // suspend, attach at resume, detach at rmmod): eight attaches, each detached.
        #expect(lifecycle.map(\.op) == Array(repeating: [1, 2], count: 8).flatMap { $0 }, "attach/detach calls: \(lifecycle)")
        #expect(calls.allSatisfy { $0.ret == 0 }, "a ring call was refused: \(calls)")
    }

    @Test(
        "a late host (ignore-kicks=3): the guest cancels the unanswered batch through the detach, which runs it once; the patterns round-trip with no replay",
        .timeLimit(.minutes(10)))
    func lateHostRunsNoBatchTwice() async throws {
        let qemu = try await BuiltQEMU.binary.value
        let build = try await BuiltCatalog.shared.value
        let work = try Repository.scratch("guest-ring-late")
        let events = work.appendingPathComponent("ring.events")
        try "pvgen_batch_ring\n".write(to: events, atomically: true, encoding: .utf8)
        let result = try await runCommand([
            Repository.path("Tests/rigs/guest/run-ide-pattern.sh"), "--ko", build.module("pata_pvgen_piix"), "--module-args", "transport=ring",
            "--qemu", qemu, "--qemu-arg", "-device", "--qemu-arg", "pvgen-batch,ignore-kicks=3",
            "--qemu-arg", "-trace", "--qemu-arg", "events=\(events.path),file=\(work.appendingPathComponent("trace.log").path)", work.path,
        ])
        #expect(result.status == 0, "guest run failed:\n\(result.output)")
        #expect(result.output.contains("transport: ring (4 slots, kicked by doorbell, pvgen ABI 3)"))
        // The detach ran the batch the ignored kicks left: nothing was replayed or lost.
        #expect(result.output.contains("param host_errors=0"))
        #expect(result.output.contains("param direct_accesses=0"))
        #expect(result.output.contains("[host] PASS: 2 patterns written in the guest are in disk.img"))
        let calls = Self.ringCalls(try String(contentsOf: work.appendingPathComponent("trace.log"), encoding: .utf8))
        #expect(calls.first.map { $0.op } == 1, "the first ring call attaches: \(calls)")
        #expect(calls.contains { $0.op == 2 && $0.ret == 0 }, "the unanswered batch was cancelled by a detach: \(calls)")
    }

    /// One run of the bench workload (Tests/rigs/bench/ide-workload.sh) with `settings`, traced;
    /// the device-side IDE sequence of each measured window, as count-trace.py reads it.
    func benchWindows(_ name: String, device: String, modules: [String], settings: [String]) async throws -> (
        windows: [String: [String]], console: String, trace: String
    ) {
        let qemu = try await BuiltQEMU.binary.value
        let work = try Repository.scratch(name)
        let events = work.appendingPathComponent("events")
        try (["memory_region_ops_read", "memory_region_ops_write", "pvgen_batch_doorbell", "pvgen_batch_hypercall", "pvgen_batch_done", "pvgen_batch_ring"]
            .joined(separator: "\n") + "\n").write(to: events, atomically: true, encoding: .utf8)
        let script = work.appendingPathComponent("workload.sh")
        let workload = try String(contentsOfFile: Repository.path("Tests/rigs/bench/ide-workload.sh"), encoding: .utf8)
        try ("#!/bin/sh\n" + (["BENCH_N=16"] + settings).map { $0 + "\n" }.joined() + workload).write(to: script, atomically: true, encoding: .utf8)
        let result = try await runCommand(
            [Repository.path("Tests/rigs/guest/boot-guest.sh"), "--work", work.path, "--script", script.path, "--qemu", qemu, "--trace-events", events.path,
             "--disk-mb", "64", "--qemu-arg", "-device", "--qemu-arg", device] + modules.flatMap { ["--ko", $0, "--no-ata-piix"] })
        try #require(result.status == 0, "\(name): guest run failed:\n\(result.output)")
        let counts = work.appendingPathComponent("counts.json")
        let count = try await runCommand(["python3", Repository.path("Tests/rigs/bench/count-trace.py"), work.appendingPathComponent("trace.log").path, "--json", counts.path])
        try #require(count.status == 0, "count-trace: \(count.output)")
        struct Counts: Decodable {
            struct Window: Decodable { var device_sequence: [String] }
            var windows: [String: Window]
        }
        let decoded = try JSONDecoder().decode(Counts.self, from: Data(contentsOf: counts))
        return (
            decoded.windows.mapValues(\.device_sequence), try String(contentsOf: work.appendingPathComponent("console.log"), encoding: .utf8),
            try String(contentsOf: work.appendingPathComponent("trace.log"), encoding: .utf8)
        )
    }

    @Test(
        "a late host inside the measured window: the guest's cancelled ring batch runs once, and the IDE model sees exactly the stock driver's accesses",
        .timeLimit(.minutes(10)))
    func lateHostTraceMatchesStock() async throws {
        let build = try await BuiltCatalog.shared.value
        let stock = try await benchWindows("late-stock", device: "pvgen-batch", modules: [], settings: ["BENCH_DRIVER=ata_piix"])
        let late = try await benchWindows(
            "late-ring", device: "pvgen-batch,ignore-kicks=3,ignore-on-arm=on", modules: [build.module("pata_pvgen_piix")],
            settings: [
                "BENCH_MODULES=pata_pvgen_piix", "BENCH_MODULE_ARGS=transport=ring", "BENCH_DRIVER=pata_pvgen_piix",
                "BENCH_ARM_PORT=0x567",
            ])
        #expect(late.console.contains("PVGEN: bench verify=ok"))
        #expect(late.console.contains("transport: ring (4 slots, kicked by doorbell"))
        // The batch the ignored kicks left was run by the detach, not replayed by the guest.
        #expect(late.console.contains("host_errors=0"))
        #expect(Self.ringCalls(late.trace).contains { $0.op == 2 && $0.ret == 0 }, "no detach in the trace")
        for window in ["write", "read"] {
            let a = stock.windows[window] ?? [], b = late.windows[window] ?? []
            #expect(!a.isEmpty && a == b, "\(window) window: stock \(a.count) accesses, late ring \(b.count); first difference at \(a.indices.first { $0 >= b.count || a[$0] != b[$0] } ?? a.count)")
        }
    }

    @Test(
        "a host that refuses batches cannot make the guest WARN: with panic_on_warn=1 the refused batches are replayed with port I/O and the patterns round-trip",
        .timeLimit(.minutes(10)))
    func refusingHostCannotWarn() async throws {
        let qemu = try await BuiltQEMU.binary.value
        let build = try await BuiltCatalog.shared.value
        let result = try await runCommand([
            Repository.path("Tests/rigs/guest/run-ide-pattern.sh"), "--ko", build.module("pata_pvgen_piix"), "--module-args", "transport=doorbell",
            "--append", "panic_on_warn=1", "--qemu", qemu, "--qemu-arg", "-device", "--qemu-arg", "pvgen-batch,refuse-batches=40",
            try Repository.scratch("guest-refusing-host").path,
        ])
        #expect(result.status == 0, "guest run failed:\n\(result.output)")
        #expect(!result.output.contains("WARNING: CPU") && !result.output.contains("Kernel panic"), "\(result.output)")
        let errors = result.output.firstMatch(of: /param host_errors=(\d+)/).flatMap { Int($0.1) } ?? 0
        #expect(errors > 0, "the refused batches were counted as host errors")
        #expect(result.output.contains("[host] PASS: 2 patterns written in the guest are in disk.img"))
    }

    /// The disk workload of Tests/rigs/guest/migrate-io.sh on `device`, saved mid-run and
    /// restored in a second QEMU of the same build (`boot-guest.sh --migrate-at`).
    func migratedWorkload(_ name: String, moduleArgs: String, device: String) async throws -> String {
        let qemu = try await BuiltQEMU.binary.value
        let build = try await BuiltCatalog.shared.value
        let rig = Repository.path("Tests/rigs/guest")
        let result = try await runCommand([
            "\(rig)/boot-guest.sh", "--work", try Repository.scratch(name).path, "--script", "\(rig)/migrate-io.sh",
            "--ko", build.module("pata_pvgen_piix"), "--no-ata-piix", "--qemu", qemu, "--append", "PVGEN_INSMOD_ARGS=\(moduleArgs)",
            "--qemu-arg", "-device", "--qemu-arg", device, "--migrate-at", "PVGEN: migrate here",
        ])
        #expect(result.status == 0, "guest run failed:\n\(result.output)")
        #expect(result.output.contains("migrated at \"PVGEN: migrate here\""), "the run was not migrated:\n\(result.output)")
        #expect(result.output.contains("PVGEN: OK migrated workload"))
        return result.output
    }

    @Test(
        "migration during a disk workload on the doorbell: saved mid-run, restored with -incoming, every pattern reads back with no host error",
        .timeLimit(.minutes(10)))
    func migrationOnTheDoorbell() async throws {
        let output = try await migratedWorkload("migrate-doorbell", moduleArgs: "transport=doorbell", device: "pvgen-batch")
        #expect(output.contains("PVGEN: transport doorbell -> doorbell, host_errors=0 direct_accesses=0"))
    }

    @Test(
        "migration during a disk workload on the ring: the attachment migrates (vmstate), so the restored device serves the ring the guest posts to, with no host error and no fallback",
        .timeLimit(.minutes(10)))
    func migrationOnTheRing() async throws {
        let output = try await migratedWorkload("migrate-ring", moduleArgs: "transport=ring", device: "pvgen-batch")
        #expect(output.contains("PVGEN: transport ring -> ring, host_errors=0 direct_accesses=0"))
    }

    @Test("the stock ata_piix runs the same workload on the same QEMU build")
    func stockDriverOnTheSameQEMU() async throws {
        let qemu = try await BuiltQEMU.binary.value
        let result = try await runCommand([
            Repository.path("Tests/rigs/guest/run-ide-pattern.sh"), "--qemu", qemu, "--qemu-arg", "-device", "--qemu-arg",
            "pvgen-batch", try Repository.scratch("guest-stock-qemu").path,
        ])
        #expect(result.status == 0, "guest run failed:\n\(result.output)")
        #expect(result.output.contains("driver=ata_piix"))
        #expect(result.output.contains("[host] PASS: 2 patterns written in the guest are in disk.img"))
    }
}
