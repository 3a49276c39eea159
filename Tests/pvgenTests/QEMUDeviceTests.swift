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
        #expect(result.output.contains("PVGEN: OK pata_pvgen_piix unloaded"))
        #expect(result.output.contains("[host] PASS: 2 patterns written in the guest are in disk.img"))
    }

    @Test(
        "doorbell path (hypercall off, the default): pata_pvgen_piix detects the doorbell, LBA28 and LBA48 patterns round-trip with no direct port I/O, the module unloads",
        .timeLimit(.minutes(10)))
    func batchedPathInRealGuest() async throws {
        try await batchedPath(
            device: "pvgen-batch", transport: "doorbell", logLine: "transport: doorbell (port 0x560, pvgen ABI 2)",
            scratch: "guest-doorbell")
    }

    @Test(
        "vmcall path (hypercall=on, TCG patch): pata_pvgen_piix sees KVM, picks vmcall, LBA28 and LBA48 patterns round-trip with no direct port I/O, the module unloads",
        .timeLimit(.minutes(10)))
    func vmcallPathInRealGuest() async throws {
        try await batchedPath(
            device: "pvgen-batch,hypercall=on", transport: "vmcall", logLine: "transport: vmcall (pvgen ABI 2)",
            scratch: "guest-vmcall")
    }

    @Test(
        "ring path (transport=ring, kicked by the doorbell): the device attaches the ring and serves each posted batch in the kick's exit",
        .timeLimit(.minutes(10)))
    func ringPathInRealGuest() async throws {
        try await batchedPath(
            device: "pvgen-batch", transport: "ring", logLine: "transport: ring (4 slots, kicked by doorbell, pvgen ABI 2)",
            scratch: "guest-ring", moduleArgs: ["--module-args", "transport=ring"])
    }

    @Test(
        "ring path kicked by vmcall (hypercall=on): the ring hypercall attaches and kicks it",
        .timeLimit(.minutes(10)))
    func ringByVmcallInRealGuest() async throws {
        try await batchedPath(
            device: "pvgen-batch,hypercall=on", transport: "ring", logLine: "transport: ring (4 slots, kicked by vmcall, pvgen ABI 2)",
            scratch: "guest-ring-vmcall", moduleArgs: ["--module-args", "transport=ring"])
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
