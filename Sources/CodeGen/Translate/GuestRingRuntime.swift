import DriverModel
import HypercallABI

/// The guest side of the exitless ring: one ring per controller, shared by its channels under
/// its own lock, posted to without an exit while the host polls and kicked through the
/// transport it was attached with otherwise. When the host stops answering, the channels go
/// back to that transport and the batch is replayed with port I/O.
extension GuestBatchRuntime {
    var ringStateStruct: String { "pvgen_ring_state" }

    func ringDeclarations(_ ring: RingTransport) -> [CTopLevel] {
        [
            .comment(
                "Spins on the ring's cons while the host says it polls, before kicking anyway: about a millisecond, far above a polling thread's answer."
            ),
            .defines([CDefine("PVGEN_RING_SPINS", "BIT(16)")]),
            .structure(
                name: ringStateStruct,
                doc: KernelDoc(
                    "a controller's exitless ring, in ata_host->private_data",
                    parameters: [
                        ("ring", "the header page, shared with the host"),
                        ("slots", "the slot page: \(naming.ringSlots) queues of \(naming.maxEntries) entries"),
                        ("gpa", "guest-physical address of @ring, below 4 GiB"),
                        ("prod", "batches posted: the guest's own copy of ring->prod"),
                        ("kick", "the transport that attaches and kicks the ring (vmcall or doorbell)"),
                        ("broken", "the host stopped answering: every channel uses @kick from now on"),
                        ("lock", "one batch in flight for all channels of the controller"),
                    ]),
                members: [
                    CMember("struct \(naming.ringStruct) *", "ring"),
                    CMember("struct \(naming.entryStruct) *", "slots"),
                    CMember("phys_addr_t", "gpa"),
                    CMember("u32", "prod"),
                    CMember("enum pvgen_transport", "kick"),
                    CMember("bool", "broken"),
                    CMember("spinlock_t", "lock", comment: "one batch in flight per controller"),
                ]),
        ]
    }

    func ringFunctions(_ ring: RingTransport) -> [CTopLevel] {
        let state = "struct \(ringStateStruct)"
        let needKick = naming.ringFlag(named: "need_kick")
        let broken = naming.ringFlag(named: "broken")
        return [
            Function(
                "void", "pvgen_ring_kick", Params("\(state) *rs"),
                comment: "One exit: the host attaches the ring if it is new, and runs what was posted."
            ) {
                If("rs->kick == PVGEN_TRANSPORT_VMCALL") {
                    Call("kvm_hypercall1", naming.hypercall(ring.call), "rs->gpa")
                } else: {
                    Call("outl", "lower_32_bits(rs->gpa)", naming.ringPort)
                }
            },
            Function(
                "long", "pvgen_ring_call", Params("struct pvgen_port *pp", "unsigned int n"),
                comment: """
                    Post the first @n queued entries to the ring and wait for the host to run
                    them: entries completed, or an error. Kicks when the host asks for it, or
                    when it is slow; after \(naming.ringKicks) unanswered kicks the ring is
                    given up and the caller replays the batch.
                    """
            ) {
                Decl("\(state) *", "rs", "pp->ring")
                Decl("struct \(naming.ringStruct) *", "ring", "rs->ring")
                Decl("unsigned int", "spins", "0")
                Decl("unsigned int", "kicks", "0")
                Decl("unsigned long", "flags")
                Decl("unsigned int", "slot")
                Decl("unsigned int", "i")
                Decl("bool", "answered", "false")
                Decl("long", "ret")
                "spin_lock_irqsave(&rs->lock, flags)"
                "slot = rs->prod % \(naming.ringSlots)"
                Call("memcpy", "rs->slots + slot * \(naming.maxEntries)", "pp->queue", "n * sizeof(*pp->queue)")
                "WRITE_ONCE(ring->count[slot], n)"
                Comment("The slot and its count are visible before the host can see it posted.")
                "smp_store_release(&ring->prod, ++rs->prod)"
                Comment("Publish, then read the flags: pairs with the host's flag-then-poll.")
                "smp_mb()"
                For(";;") {
                    Comment("Acquire: the host wrote ret and the entries before it moved cons.")
                    If("smp_load_acquire(&ring->cons) == rs->prod") {
                        "answered = true"
                        CStatement.break
                    }
                    If("READ_ONCE(ring->flags) & \(broken)") { CStatement.break }
                    If("(READ_ONCE(ring->flags) & \(needKick)) || ++spins == PVGEN_RING_SPINS") {
                        If("kicks++ == \(naming.ringKicks)") { CStatement.break }
                        "pvgen_ring_kick(rs)"
                        "spins = 0"
                        CStatement.expression(.raw("continue"))
                    }
                    "cpu_relax()"
                }
                If("!answered") {
                    Comment("Unanswered: the batch is replayed by the caller, every channel leaves the ring.")
                    "WRITE_ONCE(rs->broken, true)"
                    "spin_unlock_irqrestore(&rs->lock, flags)"
                    Return(naming.error(named: "io"))
                }
                "ret = READ_ONCE(ring->ret[slot])"
                For("i = 0; i < n; i++") {
                    "pp->queue[i].value = rs->slots[slot * \(naming.maxEntries) + i].value"
                    "pp->queue[i].result = rs->slots[slot * \(naming.maxEntries) + i].result"
                }
                "spin_unlock_irqrestore(&rs->lock, flags)"
                Return("ret")
            },
            Function(
                "\(state) *", "pvgen_ring_attach", Params("struct device *dev", "enum pvgen_transport kick"),
                comment: """
                    Allocate the controller's ring (\(naming.ringSize) bytes below 4 GiB, zeroed) and
                    attach it with one kick. The flags start as \(broken): only a host that
                    attached the ring rewrites them.
                    """
            ) {
                Decl("\(state) *", "rs")
                Decl("unsigned int", "order", "get_order(\(naming.ringSize))")
                Decl("unsigned long", "pages")
                "rs = devm_kzalloc(dev, sizeof(*rs), GFP_KERNEL)"
                "pages = devm_get_free_pages(dev, GFP_KERNEL | GFP_DMA32 | __GFP_ZERO, order)"
                If("!rs || !pages") { Return("NULL") }
                "rs->ring = (struct \(naming.ringStruct) *)pages"
                "rs->slots = (struct \(naming.entryStruct) *)(pages + \(naming.ringSlotsOffset))"
                "rs->gpa = virt_to_phys(rs->ring)"
                If("upper_32_bits(rs->gpa)") { Return("NULL") }
                "rs->kick = kick"
                "spin_lock_init(&rs->lock)"
                "rs->ring->magic = \(naming.ringMagic)"
                "rs->ring->nr_slots = \(naming.ringSlots)"
                "rs->ring->flags = \(broken)"
                Comment("The header is in memory before the host reads it in the kick's exit.")
                "smp_mb()"
                "pvgen_ring_kick(rs)"
                If("READ_ONCE(rs->ring->flags) & \(broken)") {
                    Call("dev_info", "dev", "\"ring: the host did not attach it\\n\"")
                    Return("NULL")
                }
                Return("rs")
            },
        ]
    }
}
