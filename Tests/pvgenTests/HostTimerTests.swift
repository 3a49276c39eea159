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

    static func measure(_ name: String, append: String, factor: Int?) async throws -> Window {
        let qemu = try await BuiltQEMU.binary.value
        let rig = Repository.path("Tests/rigs/guest")
        var command = [
            "\(rig)/boot-guest.sh", "--work", try Repository.scratch("pit-\(name)").path, "--script", "\(rig)/pit-tick-probe.sh",
            "--qemu", qemu, "--append", append,
        ]
        if let factor { command += ["--qemu-arg", "-global", "--qemu-arg", "isa-pit.ch0-count-factor=\(factor)"] }
        let result = try await runCommand(command)
        #expect(result.status == 0, "guest run (\(name)) failed:\n\(result.output)")
        func counts(_ label: String) throws -> [String: Double] {
            let line = try #require(result.output.split(separator: "\n").first { $0.contains("PVGEN: \(label) rtc=") }, "\(result.output)")
            var values: [String: Double] = [:]
            for pair in line.split(separator: " ") {
                let parts = pair.split(separator: "=")
                if parts.count == 2, let value = Double(parts[1]) { values[String(parts[0])] = value }
            }
            return values
        }
        func value(_ key: String) -> String {
            let line = result.output.split(separator: "\n").first { $0.contains("PVGEN: \(key)=") }
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
        "the model's factor is the patched PIT's default: IRQ0 and jiffies go from HZ to HZ/factor, the guest's clock (TSC) stays right",
        .timeLimit(.minutes(10)))
    func factorLowersTheTickRate() async throws {
        let timer = try #require(Catalog.builtIn.hostTimer)
        let plain = try await Self.measure("factor-1", append: Self.pitTick, factor: 1)
        let scaled = try await Self.measure("factor-default", append: Self.pitTick, factor: nil)
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
        #expect(plain.irq0PerGuestSecond > 0.6 * hz && plain.irq0PerGuestSecond < 1.03 * hz, "factor 1: \(plain.irq0PerGuestSecond)/s")
        let expected = timer.scaledInterruptRate
        #expect(
            scaled.irq0PerGuestSecond > 0.8 * expected && scaled.irq0PerGuestSecond < 1.05 * expected,
            "factor \(timer.pitCountFactor): \(scaled.irq0PerGuestSecond)/s, expected \(expected)")
        print(
            "PIT tick, IRQ0 per guest second: factor 1 \(plain.irq0PerGuestSecond), factor \(timer.pitCountFactor) \(scaled.irq0PerGuestSecond); jiffies \(plain.jiffiesPerGuestSecond) -> \(scaled.jiffiesPerGuestSecond); guest clock rate \(plain.clockRate) -> \(scaled.clockRate)"
        )
    }

    @Test(
        "a guest that keeps time by counting ticks (clocksource=jiffies) runs its whole clock factor times slow",
        .timeLimit(.minutes(10)))
    func jiffiesClockRunsSlow() async throws {
        let timer = try #require(Catalog.builtIn.hostTimer)
        let window = try await Self.measure("jiffies-clock", append: "\(Self.pitTick) clocksource=jiffies", factor: nil)
        #expect(window.clockevent == "pit")
        #expect(window.clocksource == "jiffies")
        let expected = 1 / Double(timer.pitCountFactor)
        // Lost ticks under load only slow it further.
        #expect(window.clockRate > 0.6 * expected && window.clockRate < 1.1 * expected, "guest clock rate \(window.clockRate)")
        // Inside the guest everything looks normal: HZ ticks per (slow) guest second.
        #expect(abs(window.irq0PerGuestSecond - Double(timer.guestHz)) < 0.1 * Double(timer.guestHz), "\(window.irq0PerGuestSecond)/s")
        print("jiffies clock at factor \(timer.pitCountFactor): guest clock rate \(window.clockRate), IRQ0 per guest second \(window.irq0PerGuestSecond)")
    }
}
