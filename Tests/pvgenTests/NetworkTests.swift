import Foundation
import Testing

/// The generated NAPI-off e1000 driver (kmod/guest/pvgen_e1000), proven in the real 6.1 guest
/// under QEMU TCG with user networking: the host side only ever connects to 127.0.0.1.
@Suite("Generated NAPI-off e1000 driver in the real 6.1 guest")
struct NetworkTests {
    @Test(
        "pvgen_e1000 binds 8086:100e with the stock e1000 not loaded, moves 8 MiB each way over TCP with matching md5s on both ends, follows a link flap, reopens, and unloads cleanly",
        .timeLimit(.minutes(10)))
    func transferBothWays() async throws {
        let build = try await BuiltCatalog.shared.value
        let work = try Repository.scratch("net-pvgen-e1000")
        let result = try await runCommand([
            Repository.path("Tests/rigs/net/run-transfer.sh"), "--ko", build.module("pvgen_e1000"), "--mb", "8", work.path,
        ])
        #expect(result.status == 0, "transfer failed:\n\(result.output.suffix(4000))")
        #expect(result.output.contains("[host] PASS: pvgen_e1000, 8 MiB each way"))
        let guest = (try? String(contentsOf: work.appendingPathComponent("guest.txt"), encoding: .utf8)) ?? ""
        #expect(guest.contains("driver=pvgen_e1000"), "the guest's report:\n\(guest)")
        #expect(result.output.contains("PVGEN: net itr out of range refused"), "an interrupt rate ITR cannot hold was accepted")
    }

    @Test(
        "a TX stall (bus mastering cut behind the driver's back) fires the netdev watchdog, the driver resets the device, and traffic flows again",
        .timeLimit(.minutes(10)))
    func txWatchdogRecovers() async throws {
        let build = try await BuiltCatalog.shared.value
        let result = try await runCommand([
            Repository.path("Tests/rigs/guest/boot-guest.sh"), "--work", try Repository.scratch("net-tx-stall").path,
            "--script", Repository.path("Tests/rigs/net/tx-stall.sh"), "--ko", build.module("pvgen_e1000"),
            "--qemu-arg", "-netdev", "--qemu-arg", "user,id=n0", "--qemu-arg", "-device", "--qemu-arg", "e1000,netdev=n0,romfile=",
        ])
        #expect(result.status == 0, "guest run failed:\n\(result.output.suffix(4000))")
        #expect(result.output.contains("PVGEN: watchdog fired:"))
        #expect(result.output.contains("PVGEN: ping after the reset OK"))
        #expect(result.output.contains("PVGEN: OK TX watchdog"))
    }

    @Test(
        "a receive flood from the host for 10 s: the guest shell still answers within a second, no soft lockup, the frames arrive",
        .timeLimit(.minutes(10)))
    func receiveFloodLeavesTheShell() async throws {
        let build = try await BuiltCatalog.shared.value
        let work = try Repository.scratch("net-rx-flood")
        let free = try await runCommand([
            "python3", "-c", "import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])",
        ])
        let port = try #require(Int(free.output.trimmingCharacters(in: .whitespacesAndNewlines)), "no free port: \(free.output)")
        // Shell latency in guest time: no other guest may starve this one's vCPU meanwhile.
        let (sent, guest) = try await MachineShare.exclusive { try await Self.flood(work: work, port: port, module: build.module("pvgen_e1000")) }
        #expect(sent.status == 0 && sent.output.contains("[flood] sent"), "\(sent.output)")
        #expect(guest.status == 0, "guest run failed:\n\(guest.output.suffix(4000))")
        #expect(guest.output.contains("PVGEN: OK flood"))
    }

    /// The flood of `flood.py` against the guest of `rx-flood.sh`, both to their end.
    static func flood(work: URL, port: Int, module: String) async throws -> (CommandResult, CommandResult) {
        async let flood = runCommand([
            "python3", Repository.path("Tests/rigs/net/flood.py"), "--console", work.appendingPathComponent("console.log").path,
            "--port", "\(port)", "--seconds", "10",
        ])
        let guest = try await runCommand([
            Repository.path("Tests/rigs/guest/boot-guest.sh"), "--work", work.path, "--script", Repository.path("Tests/rigs/net/rx-flood.sh"),
            "--ko", module, "--append", "FLOOD_PORT=\(port)",
            "--qemu-arg", "-netdev", "--qemu-arg", "user,id=n0,hostfwd=udp:127.0.0.1:\(port)-:\(port)",
            "--qemu-arg", "-device", "--qemu-arg", "e1000,netdev=n0,romfile=",
        ])
        return (try await flood, guest)
    }
}
