import CodeGen
import DriverModel
import Foundation
import Testing

/// The host PIT patch (host/qemu/0002), in the QEMU the suite builds, with a 6.1 guest booted
/// to tick periodically from the PIT as older kernels do. The window is measured against the
/// host's clock (QEMU's RTC), so it shows both the lower interrupt rate and what it does to the
/// guest's time.
@Suite("Host PIT patch: a PIT-ticking guest in the real 6.1 kernel", .serialized)
struct HostTimerTests {
    /// What makes 6.1 tick periodically from PIT channel 0: no LAPIC timer, no HPET, no
    /// dynticks, no high-resolution timers.
    static let pitTick = "nolapic_timer hpet=disable nohz=off highres=off"

    /// Counts over one window of the guest probe, and the rates they give.
    struct Window {
        var hostSeconds: Double
        var guestSeconds: Double
        var irq0: Double
        var jiffies: Double
        var clockevent: String
        var clocksource: String

        var irq0PerGuestSecond: Double { irq0 / guestSeconds }
        var jiffiesPerGuestSecond: Double { jiffies / guestSeconds }
        /// Guest seconds per host second: 1 when the guest keeps time.
        var clockRate: Double { guestSeconds / hostSeconds }
    }

    /// The marker the probe prints between its two windows when `PVGEN_PIT_MIGRATE` is set.
    static let migrateMarker = "PVGEN: migrate here"

    /// Boots the probe guest (`factor` nil: the patched PIT's default) and returns the rig's
    /// output and work folder; `migrate` saves the VM after the first window and restores it in
    /// a second QEMU (`boot-guest.sh --migrate-at`), which measures the second window.
    static func run(_ name: String, append: String, factor: Int?, migrate: Bool = false) async throws -> (output: String, work: URL) {
        let qemu = try await BuiltQEMU.binary.value
        let rig = Repository.path("Tests/rigs/guest")
        let work = try Repository.scratch("pit-\(name)")
        var command = [
            "\(rig)/boot-guest.sh", "--work", work.path, "--script", "\(rig)/pit-tick-probe.sh",
            "--qemu", qemu, "--append", append + (migrate ? " PVGEN_PIT_MIGRATE=1" : ""),
        ]
        if let factor { command += ["--qemu-arg", "-global", "--qemu-arg", "isa-pit.ch0-count-factor=\(factor)"] }
        if migrate { command += ["--migrate-at", migrateMarker] }
        // Ticks per guest second against the host's clock: no other guest may starve this one.
        let result = try await MachineShare.exclusive { try await runCommand(command) }
        #expect(result.status == 0, "guest run (\(name)) failed:\n\(result.output)")
        return (result.output, work)
    }

    static func measure(_ name: String, append: String, factor: Int?) async throws -> Window {
        try window(try await run(name, append: append, factor: factor).output)
    }

    /// The window whose snapshot lines are `PVGEN: <prefix>first ...` and `<prefix>last`.
    static func window(_ output: String, prefix: String = "") throws -> Window {
        func counts(_ label: String) throws -> [String: Double] {
            let line = try #require(output.split(separator: "\n").first { $0.contains("PVGEN: \(prefix)\(label) rtc=") }, "\(output)")
            var values: [String: Double] = [:]
            for pair in line.split(separator: " ") {
                let parts = pair.split(separator: "=")
                if parts.count == 2, let value = Double(parts[1]) { values[String(parts[0])] = value }
            }
            return values
        }
        func value(_ key: String) -> String {
            let line = output.split(separator: "\n").first { $0.contains("PVGEN: \(key)=") }
            return line.map { String($0.split(separator: "=").last ?? "") } ?? ""
        }
        let first = try counts("first")
        let last = try counts("last")
        func delta(_ key: String) throws -> Double { try #require(last[key]) - (try #require(first[key])) }
        return Window(
            hostSeconds: try delta("rtc"), guestSeconds: try delta("uptime_cs") / 100, irq0: try delta("irq0"), jiffies: try delta("jiffies"),
            clockevent: value("clockevent"), clocksource: value("clocksource"))
    }

    @Test(
        "qtest: counts 1 to 3 (and 0x10000) at factor 4 in every mode and every read path never crash QEMU; ch0 scaled, ch2 not; bad factors and unsafe migration streams refused; factor 1 migrates to and from Debian's unpatched QEMU",
        .timeLimit(.minutes(10)))
    func qtest() async throws {
        let qemu = try await BuiltQEMU.binary.value
        let result = try await runCommand([Repository.path("Tests/rigs/qemu/check-pit-qtest.sh"), qemu])
        #expect(result.status == 0, "\(result.output.suffix(6000))")
        #expect(result.output.contains(" passed, 0 failed"))
        #expect(result.output.contains("ok   factor 4, mode 3, count 1: QEMU alive"))
        #expect(result.output.contains("ok   factor 1, channel 0 count 3 -> factor 4: refused, no counter read"))
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/qemu-system-x86_64") {
            #expect(result.output.contains("ok   factor 1 -> stock QEMU -> factor 1: the counters read as before"))
        }
        print(result.output.split(separator: "\n").last ?? "")
    }

    @Test(
        "the patched PIT's default is the 8254 (IRQ0 and jiffies at HZ); the model's factor, opted in, takes them to HZ/factor; the guest's clock (TSC) stays right",
        .timeLimit(.minutes(10)))
    func factorLowersTheTickRate() async throws {
        let timer = try #require(Catalog.builtIn.hostTimer)
        let plain = try await Self.measure("factor-default", append: Self.pitTick, factor: nil)
        let scaled = try await Self.measure("factor-model", append: Self.pitTick, factor: timer.pitCountFactor)
        for window in [plain, scaled] {
            #expect(window.clockevent == "pit", "the guest must tick from the PIT for this test to mean anything")
            #expect(window.hostSeconds >= 5)
            // One jiffy per periodic tick: jiffies follow IRQ0 wherever it goes.
            #expect(abs(window.jiffiesPerGuestSecond - window.irq0PerGuestSecond) <= 0.05 * window.irq0PerGuestSecond + 1)
            // The guest's clock comes from the TSC, not from ticks: it keeps the host's time.
            #expect(abs(window.clockRate - 1) < 0.05, "guest clock rate \(window.clockRate)")
        }
        let hz = Double(timer.guestHz)
        // A starved vCPU loses ticks (the suite boots other guests beside this one), never gains them.
        #expect(plain.irq0PerGuestSecond > 0.6 * hz && plain.irq0PerGuestSecond < 1.03 * hz, "default: \(plain.irq0PerGuestSecond)/s")
        let expected = timer.scaledInterruptRate
        #expect(
            scaled.irq0PerGuestSecond > 0.8 * expected && scaled.irq0PerGuestSecond < 1.05 * expected,
            "factor \(timer.pitCountFactor): \(scaled.irq0PerGuestSecond)/s, expected \(expected)")
        print(
            "PIT tick, IRQ0 per guest second: default \(plain.irq0PerGuestSecond), factor \(timer.pitCountFactor) \(scaled.irq0PerGuestSecond); jiffies \(plain.jiffiesPerGuestSecond) -> \(scaled.jiffiesPerGuestSecond); guest clock rate \(plain.clockRate) -> \(scaled.clockRate)"
        )
    }

    @Test(
        "a guest that keeps time by counting ticks (clocksource=jiffies) runs its whole clock factor times slow",
        .timeLimit(.minutes(10)))
    func jiffiesClockRunsSlow() async throws {
        let timer = try #require(Catalog.builtIn.hostTimer)
        let window = try await Self.measure("jiffies-clock", append: "\(Self.pitTick) clocksource=jiffies", factor: timer.pitCountFactor)
        #expect(window.clockevent == "pit")
        #expect(window.clocksource == "jiffies")
        let expected = 1 / Double(timer.pitCountFactor)
        // Lost ticks under load only slow it further.
        #expect(window.clockRate > 0.6 * expected && window.clockRate < 1.1 * expected, "guest clock rate \(window.clockRate)")
        // Inside the guest everything looks normal: HZ ticks per (slow) guest second.
        #expect(abs(window.irq0PerGuestSecond - Double(timer.guestHz)) < 0.1 * Double(timer.guestHz), "\(window.irq0PerGuestSecond)/s")
        print("jiffies clock at factor \(timer.pitCountFactor): guest clock rate \(window.clockRate), IRQ0 per guest second \(window.irq0PerGuestSecond)")
    }

    @Test(
        "migration: the PIT-ticking guest at the model's factor is saved mid-run (QMP migrate to a file), restored in a second QEMU of the same build with -incoming, and goes on ticking at HZ/factor",
        .timeLimit(.minutes(10)))
    func migratedGuestKeepsTheScaledRate() async throws {
        let timer = try #require(Catalog.builtIn.hostTimer)
        let run = try await Self.run("migrate", append: Self.pitTick, factor: timer.pitCountFactor, migrate: true)
        let before = try Self.window(run.output)
        let after = try Self.window(run.output, prefix: "after-")
        // The second window ran on the restored QEMU: in the console, the rig's migration line
        // comes after the marker and before it.
        let console = try String(contentsOf: run.work.appendingPathComponent("console.log"), encoding: .utf8)
        let marker = try #require(console.range(of: Self.migrateMarker), "\(console)")
        let migrated = try #require(console.range(of: "PVGEN-RIG-HOST: migrated at "), "\(console)")
        let second = try #require(console.range(of: "PVGEN: after-first "), "\(console)")
        #expect(marker.upperBound <= migrated.lowerBound && migrated.upperBound <= second.lowerBound)
        let result = try String(contentsOf: run.work.appendingPathComponent("result"), encoding: .utf8)
        #expect(result.contains("migrated=yes"))
        let expected = timer.scaledInterruptRate
        for (name, window) in [("before", before), ("after", after)] {
            #expect(window.clockevent == "pit")
            #expect(window.hostSeconds >= 5)
            #expect(
                window.irq0PerGuestSecond > 0.8 * expected && window.irq0PerGuestSecond < 1.05 * expected,
                "\(name) the migration: \(window.irq0PerGuestSecond) IRQ0/s, expected \(expected)")
            #expect(abs(window.jiffiesPerGuestSecond - window.irq0PerGuestSecond) <= 0.05 * window.irq0PerGuestSecond + 1)
            #expect(abs(window.clockRate - 1) < 0.05, "\(name) the migration: guest clock rate \(window.clockRate)")
        }
        let line = console.split(separator: "\n").first { $0.hasPrefix("PVGEN-RIG-HOST: migrated at ") } ?? ""
        print(
            "PIT tick across a migration at factor \(timer.pitCountFactor): IRQ0 per guest second \(before.irq0PerGuestSecond) before, \(after.irq0PerGuestSecond) after; guest clock rate \(before.clockRate) -> \(after.clockRate); \(line)"
        )
    }
}
