/// The host-side tick reduction of the 2010 KVM study, for guests that tick from the PIT:
/// channel 0 of the VMM's PIT counts `pitCountFactor` times slower, so a periodic PIT tick
/// raises IRQ0 (an exit and an injection each) that many times less often.
///
/// A Linux 6.1 guest ticks from its LAPIC timer and never from the PIT, so this changes
/// nothing for it (its tick reduction is `GuestTweaks.busyVCPUBootParameters`). It does
/// change timekeeping for the guests it helps: jiffies and tick-based accounting run
/// `pitCountFactor` times slow, and a guest that keeps time by counting ticks sees its whole
/// clock run that much slow. pvgen generates the QEMU and KVM patches from this; both default
/// to the unchanged 8254 (factor 1), and the factor is the opt-in value they document.
public struct HostTimer: Codable, Sendable, Hashable {
    /// How many times slower PIT channel 0 counts: 2 to `maximumFactor`.
    public var pitCountFactor: Int
    /// The guest kernel's HZ, which its periodic PIT tick runs at; only used to state the
    /// resulting interrupt rate.
    public var guestHz: Int

    public static let maximumFactor = 1000
    /// The PIT's input clock, Hz.
    public static let pitInputHz = 1_193_182

    public init(pitCountFactor: Int, guestHz: Int) {
        self.pitCountFactor = pitCountFactor
        self.guestHz = guestHz
    }

    /// The factor the built-in catalog uses: a periodic HZ 250 PIT tick becomes 62.5 a second.
    public static let quarterRate = HostTimer(pitCountFactor: 4, guestHz: 250)

    /// The reload count Linux programs for a periodic tick (`PIT_LATCH`, rounded like it).
    public var guestReloadCount: Int { (Self.pitInputHz + guestHz / 2) / guestHz }

    /// IRQ0 per second of a periodic PIT tick with the factor applied.
    public var scaledInterruptRate: Double {
        Double(Self.pitInputHz) / Double(guestReloadCount * pitCountFactor)
    }

    /// Every problem, each naming the field at fault.
    public static func validate(_ timer: HostTimer, at path: String) -> [Diagnostic] {
        var found: [Diagnostic] = []
        if !(2...maximumFactor).contains(timer.pitCountFactor) {
            found.append(
                Diagnostic(
                    field: "\(path).pit_count_factor",
                    message: "\(timer.pitCountFactor) is outside 2...\(maximumFactor) (leave host_timer out for an unscaled PIT)"))
        }
        // Linux's HZ choices are 100, 250, 300 and 1000; anything from 19 Hz (reload count
        // 0xffff) up to the PIT's own clock is programmable.
        if !(19...10_000).contains(timer.guestHz) {
            found.append(Diagnostic(field: "\(path).guest_hz", message: "\(timer.guestHz) is not a periodic tick rate (19...10000 Hz)"))
        }
        return found
    }
}
