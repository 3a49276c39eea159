/// The test machine's CPUs, shared among the tests that boot TCG guests. Most guests only
/// need to finish; a test that measures guest timing (ticks per guest second against the
/// host's clock) needs the machine to itself, or a starved vCPU skews what it measures. Guest
/// boots take the share through `runCommand` (by the rig they run); a timing test wraps its
/// runs in `MachineShare.exclusive`, and boots that start meanwhile wait for it.
actor MachineShare {
    static let shared = MachineShare()

    /// Set inside `exclusive`: the boots of that body are its own and take no share.
    @TaskLocal static var ownsMachine = false

    private var sharing = 0
    private var exclusive = false
    private var waiters: [(exclusive: Bool, resume: CheckedContinuation<Void, Never>)] = []

    /// Rigs that boot a guest under TCG.
    static let guestRigs = ["boot-guest.sh", "run-ide-pattern.sh", "run-transfer.sh", "run-nested.sh"]

    static func boots(_ arguments: [String]) -> Bool {
        arguments.contains { argument in guestRigs.contains { argument.hasSuffix("/" + $0) } }
    }

    func acquire(exclusive wantsExclusive: Bool) async {
        // A waiting exclusive user goes first: new guests queue behind it.
        let free =
            wantsExclusive
            ? !exclusive && sharing == 0 && waiters.isEmpty : !exclusive && !waiters.contains { $0.exclusive }
        if free {
            grant(exclusive: wantsExclusive)
            return
        }
        await withCheckedContinuation { waiters.append((wantsExclusive, $0)) }
    }

    func release(exclusive wasExclusive: Bool) {
        if wasExclusive { exclusive = false } else { sharing -= 1 }
        while let next = waiters.first {
            if next.exclusive {
                guard !exclusive && sharing == 0 else { return }
                waiters.removeFirst()
                grant(exclusive: true)
                next.resume.resume()
                return
            }
            guard !exclusive else { return }
            waiters.removeFirst()
            grant(exclusive: false)
            next.resume.resume()
        }
    }

    private func grant(exclusive wantsExclusive: Bool) {
        if wantsExclusive { exclusive = true } else { sharing += 1 }
    }

    /// Runs `body` with the machine to itself: no other guest runs meanwhile.
    static func exclusive<T: Sendable>(_ body: () async throws -> T) async rethrows -> T {
        await shared.acquire(exclusive: true)
        do {
            let value = try await $ownsMachine.withValue(true) { try await body() }
            await shared.release(exclusive: true)
            return value
        } catch {
            await shared.release(exclusive: true)
            throw error
        }
    }
}

extension MachineShare {
    /// Runs a guest boot as one of the machine's sharers (unless inside `exclusive`).
    static func sharing<T: Sendable>(_ body: () async throws -> T) async rethrows -> T {
        if ownsMachine { return try await body() }
        await shared.acquire(exclusive: false)
        do {
            let value = try await body()
            await shared.release(exclusive: false)
            return value
        } catch {
            await shared.release(exclusive: false)
            throw error
        }
    }
}
