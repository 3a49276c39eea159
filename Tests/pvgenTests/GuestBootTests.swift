import Foundation
import Testing

@Suite("Real 6.1 guest under QEMU TCG")
struct GuestBootTests {
    @Test("fallback path (no pvgen host under TCG): pata_pvgen_piix binds PIIX IDE, LBA28 and LBA48 patterns round-trip, the module unloads")
    func fallbackPathPatternRoundTrip() async throws {
        let build = try await BuiltCatalog.shared.value
        let work = try Repository.scratch("guest")
        let result = try await runCommand([
            Repository.path("Tests/rigs/guest/run-ide-pattern.sh"), "--ko", build.module("pata_pvgen_piix"), work.path,
        ])
        #expect(result.status == 0, "guest run failed:\n\(result.output)")
        #expect(result.output.contains("driver=pata_pvgen_piix"))
        #expect(result.output.contains("transport: direct (no pvgen host)"))
        #expect(result.output.contains("param transport_in_use=direct"))
        #expect(result.output.contains("PVGEN: OK pata_pvgen_piix unloaded"))
        #expect(result.output.contains("tag=lba48"))
        #expect(result.output.contains("[host] PASS: 2 patterns written in the guest are in disk.img"))
    }

    @Test("the same workload passes with the stock ata_piix, so the rig itself is sound")
    func stockDriverBaseline() async throws {
        let result = try await runCommand([Repository.path("Tests/rigs/guest/run-ide-pattern.sh"), try Repository.scratch("guest-stock").path])
        #expect(result.status == 0, "guest run failed:\n\(result.output)")
        #expect(result.output.contains("driver=ata_piix"))
        #expect(result.output.contains("[host] PASS: 2 patterns written in the guest are in disk.img"))
    }
}
