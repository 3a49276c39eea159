import DriverModel
import HypercallABI

/// The guest side of the exitless ring: one ring per controller, shared by its channels under
/// its own lock, posted to without an exit while the host polls and kicked through the
/// transport it was attached with otherwise.
///
/// Its life: allocated at probe with a devm action that detaches it before its pages go, so
/// every way out (remove, a failed probe, shutdown) lets the host go first; attached only once
/// the rest of probe has succeeded; detached and attached again across suspend and hibernation.
/// A batch the host does not answer is cancelled through the detach, and replayed with port I/O
/// only when the detach says the host did not and never will run it. A host that answers no
/// detach keeps the pages: they are never freed, and the batch is never replayed.
extension GuestBatchRuntime {
    var ringStateStruct: String { "pvgen_ring_state" }

    /// What the guest knows about its ring.
    var ringStates: [(String, String)] {
        [
            ("IDLE", "allocated, not attached: batches take the kick transport"),
            ("ATTACHED", "the host serves it: batches are posted to it"),
            ("LOST", "a detach went unanswered: the pages stay the host's"),
        ]
    }

    func ringDeclarations(_ ring: RingTransport) -> [CTopLevel] {
        [
            .comment(
                "How long the guest spins on cons, with interrupts off, before it kicks (again): a polling host answers in a few microseconds. A batch spins at most \(naming.ringKicks) + 1 times this, plus \(naming.ringKicks) kicks and a detach, each one exit."
            ),
            .defines([CDefine("PVGEN_RING_WAIT_NS", "(50 * NSEC_PER_USEC)")]),
            .comment("What pvgen_ring_call() answers for a batch the host may still run: it is neither done nor replayed."),
            .defines([CDefine("PVGEN_RING_LOST_BATCH", "(-ETIMEDOUT)")]),
            .enumeration(
                name: "pvgen_ring_status", comment: "What the guest knows about its ring.",
                cases: ringStates.map { CDefine("PVGEN_RING_\($0.0)", "", comment: $0.1) }),
            .structure(
                name: ringStateStruct,
                doc: KernelDoc(
                    "a controller's exitless ring, in ata_host->private_data",
                    parameters: [
                        ("dev", "the controller"),
                        ("ring", "the header page, shared with the host"),
                        ("slots", "the slot page: \(naming.ringSlots) queues of \(naming.maxEntries) entries"),
                        ("gpa", "guest-physical address of @ring, below 4 GiB"),
                        ("prod", "batches posted: the guest's own copy of ring->prod"),
                        ("kick", "the transport that attaches, kicks and detaches the ring (vmcall or doorbell)"),
                        ("status", "PVGEN_RING_*, changed under @lock"),
                        ("wanted", "probe chose the ring: resume attaches it again"),
                        ("lock", "one batch in flight for all channels of the controller"),
                    ]),
                members: [
                    CMember("struct device *", "dev"),
                    CMember("struct \(naming.ringStruct) *", "ring"),
                    CMember("struct \(naming.entryStruct) *", "slots"),
                    CMember("phys_addr_t", "gpa"),
                    CMember("u32", "prod"),
                    CMember("enum pvgen_transport", "kick"),
                    CMember("enum pvgen_ring_status", "status"),
                    CMember("bool", "wanted"),
                    CMember("spinlock_t", "lock", comment: "one batch in flight per controller"),
                ]),
        ]
    }

    func ringFunctions(_ ring: RingTransport) -> [CTopLevel] {
        let state = "struct \(ringStateStruct)"
        let needKick = naming.ringFlag(named: "need_kick")
        let broken = naming.ringFlag(named: "broken")
        let detached = naming.ringFlag(named: "detached")
        return [
            Function(
                "void", "pvgen_ring_op", Params("\(state) *rs", "u32 op"),
                comment: "One exit: the host attaches, kicks or detaches the ring, as @op says."
            ) {
                If("rs->kick == PVGEN_TRANSPORT_VMCALL") {
                    Call("kvm_hypercall1", naming.hypercall(ring.call), "rs->gpa | op")
                } else: {
                    Call("outl", "lower_32_bits(rs->gpa) | op", naming.ringPort)
                }
            },
            Function(
                "void", "pvgen_ring_detach_locked", Params("\(state) *rs"),
                comment: """
                    Let the host go of an attached ring. It answers by setting \(detached)
                    before the exit returns; without that answer it may still touch the
                    pages, and the ring is lost.
                    """
            ) {
                If("rs->status != PVGEN_RING_ATTACHED") { Return() }
                Call("pvgen_ring_op", "rs", naming.ringOperation(named: "detach"))
                If("READ_ONCE(rs->ring->flags) & \(detached)") {
                    "rs->status = PVGEN_RING_IDLE"
                    Return()
                }
                "rs->status = PVGEN_RING_LOST"
                Call("dev_err", "rs->dev", "\"ring: the host did not answer the detach; its pages stay with it\\n\"")
            },
            Function(
                "bool", "pvgen_ring_wait", Params("\(state) *rs"),
                comment: """
                    Wait, with the ring's lock held, for the host to run the batch just
                    posted: true once cons reaches it. Kicks when the host asks for it, and
                    when it has not answered within PVGEN_RING_WAIT_NS; false after
                    \(naming.ringKicks) kicks, or when the host gave the ring up.
                    """
            ) {
                Decl("struct \(naming.ringStruct) *", "ring", "rs->ring")
                Decl("u64", "start", "ktime_get_mono_fast_ns()")
                Decl("unsigned int", "kicks", "0")
                Decl("u32", "flags")
                For(";;") {
                    Comment("Acquire: the host wrote ret and the entries before it moved cons.")
                    If("smp_load_acquire(&ring->cons) == rs->prod") { Return("true") }
                    "flags = READ_ONCE(ring->flags)"
                    If("flags & (\(broken) | \(detached))") { Return("false") }
                    If("(!kicks && (flags & \(needKick))) || ktime_get_mono_fast_ns() - start > PVGEN_RING_WAIT_NS") {
                        If("kicks++ == \(naming.ringKicks)") { Return("false") }
                        Call("pvgen_ring_op", "rs", naming.ringOperation(named: "kick"))
                        "start = ktime_get_mono_fast_ns()"
                        CStatement.expression(.raw("continue"))
                    }
                    "cpu_relax()"
                }
            },
            Function(
                "bool", "pvgen_ring_call", Params("struct pvgen_port *pp", "unsigned int n", "long *ret"),
                comment: """
                    Post the first @n queued entries to the ring and wait for the host to run
                    them; false, with nothing posted, when the ring is not attached. *@ret is
                    what the host answered, or, when it did not, an error: \(naming.error(named: "io"))
                    once the detach says the batch never ran and never will (the caller replays
                    it), PVGEN_RING_LOST_BATCH when the host may still run it (the caller must
                    not). Every channel leaves a ring that did not answer.
                    """
            ) {
                Decl("\(state) *", "rs", "pp->ring")
                Decl("struct \(naming.ringStruct) *", "ring", "rs->ring")
                Decl("unsigned long", "flags")
                Decl("unsigned int", "slot")
                Decl("unsigned int", "i")
                "spin_lock_irqsave(&rs->lock, flags)"
                If("rs->status != PVGEN_RING_ATTACHED") {
                    "spin_unlock_irqrestore(&rs->lock, flags)"
                    Return("false")
                }
                "slot = rs->prod % \(naming.ringSlots)"
                Call("memcpy", "rs->slots + slot * \(naming.maxEntries)", "pp->queue", "n * sizeof(*pp->queue)")
                "WRITE_ONCE(ring->count[slot], n)"
                Comment("The slot and its count are visible before the host can see it posted.")
                "smp_store_release(&ring->prod, ++rs->prod)"
                Comment("Publish, then read the flags: pairs with the host's flag-then-poll.")
                "smp_mb()"
                If("!pvgen_ring_wait(rs)") {
                    Comment("Cancel: once the detach is answered, cons says whether the batch ran.")
                    "pvgen_ring_detach_locked(rs)"
                    Comment("Acquire, as in pvgen_ring_wait(): a batch that ran has its results in place.")
                    If("smp_load_acquire(&ring->cons) != rs->prod") {
                        "*ret = rs->status == PVGEN_RING_LOST ? PVGEN_RING_LOST_BATCH : \(naming.error(named: "io"))"
                        "spin_unlock_irqrestore(&rs->lock, flags)"
                        Return("true")
                    }
                }
                "*ret = READ_ONCE(ring->ret[slot])"
                For("i = 0; i < n; i++") {
                    "pp->queue[i].value = rs->slots[slot * \(naming.maxEntries) + i].value"
                    "pp->queue[i].result = rs->slots[slot * \(naming.maxEntries) + i].result"
                }
                "spin_unlock_irqrestore(&rs->lock, flags)"
                Return("true")
            },
            Function(
                "bool", "pvgen_ring_attach", Params("\(state) *rs"),
                comment: """
                    Attach the ring with one exit, from a fresh header. The flags start as
                    \(broken): only a host that attached the ring rewrites them.
                    """
            ) {
                Decl("struct \(naming.ringStruct) *", "ring", "rs->ring")
                Decl("unsigned long", "flags")
                Decl("bool", "attached")
                "spin_lock_irqsave(&rs->lock, flags)"
                If("rs->status == PVGEN_RING_IDLE") {
                    "rs->prod = 0"
                    "WRITE_ONCE(ring->prod, 0)"
                    "WRITE_ONCE(ring->cons, 0)"
                    "WRITE_ONCE(ring->flags, \(broken))"
                    Comment("The header is in memory before the host reads it in the exit.")
                    "smp_mb()"
                    Call("pvgen_ring_op", "rs", naming.ringOperation(named: "attach"))
                    If("!(READ_ONCE(ring->flags) & (\(broken) | \(detached)))") { "rs->status = PVGEN_RING_ATTACHED" }
                }
                "attached = rs->status == PVGEN_RING_ATTACHED"
                "spin_unlock_irqrestore(&rs->lock, flags)"
                Return("attached")
            },
            Function(
                "void", "pvgen_ring_detach", Params("\(state) *rs"),
                comment: "Let the host go of the ring, if it holds it."
            ) {
                Decl("unsigned long", "flags")
                "spin_lock_irqsave(&rs->lock, flags)"
                "pvgen_ring_detach_locked(rs)"
                "spin_unlock_irqrestore(&rs->lock, flags)"
            },
            Function(
                "void", "pvgen_ring_release", Params("void *data"),
                comment: "devm action: the host lets the ring go before its pages are freed, on every way out of the driver."
            ) {
                Decl("\(state) *", "rs", "data")
                "pvgen_ring_detach(rs)"
                If("rs->status != PVGEN_RING_LOST") {
                    Call("free_pages", "(unsigned long)rs->ring", "get_order(\(naming.ringSize))")
                }
            },
            Function(
                "\(state) *", "pvgen_ring_alloc", Params("struct device *dev", "enum pvgen_transport kick"),
                comment: """
                    Allocate the controller's ring (\(naming.ringSize) bytes below 4 GiB,
                    zeroed), not attached yet, with the devm action that detaches it.
                    """
            ) {
                Decl("\(state) *", "rs")
                Decl("unsigned long", "pages")
                "rs = devm_kzalloc(dev, sizeof(*rs), GFP_KERNEL)"
                If("!rs") { Return("NULL") }
                "pages = __get_free_pages(GFP_KERNEL | GFP_DMA32 | __GFP_ZERO, get_order(\(naming.ringSize)))"
                If("!pages") { Return("NULL") }
                "rs->dev = dev"
                "rs->ring = (struct \(naming.ringStruct) *)pages"
                "rs->slots = (struct \(naming.entryStruct) *)(pages + \(naming.ringSlotsOffset))"
                "rs->gpa = virt_to_phys(rs->ring)"
                "rs->kick = kick"
                "rs->status = PVGEN_RING_IDLE"
                "spin_lock_init(&rs->lock)"
                "rs->ring->magic = \(naming.ringMagic)"
                "rs->ring->nr_slots = \(naming.ringSlots)"
                If("devm_add_action_or_reset(dev, pvgen_ring_release, rs)") { Return("NULL") }
                If("upper_32_bits(rs->gpa)") { Return("NULL") }
                Return("rs")
            },
        ]
    }
}
