import DriverModel
import HypercallABI

/// The host side of the exitless ring: attach a guest's ring, run what it posted (from the
/// VMM's polling thread or from a kick exit), say whether anyone polls, and let the ring go.
/// The ring's state lives in a `struct pvgen_host_ring` the VMM owns, so the configuration
/// stays read-only.
///
/// Memory ordering: the guest and the VMM's threads share the ring through the VMM's
/// `read_guest`/`write_guest`, which are plain copies. The fences here give the order the
/// protocol needs on any host: acquire after reading prod (the guest's slots and counts are
/// read after it), release before publishing cons (the entries and ret are written before it),
/// and a full fence between writing the flags and the last poll of a poller that stops.
extension HostStubTranslator {
    var ringState: String { naming.host("ring") }
    var slotBytes: Int { abi.limits.maxEntries * abi.entry.size }

    /// The VMM-owned state of one ring, for the header.
    func ringStateStructure() -> CTopLevel {
        .structure(
            name: ringState,
            doc: KernelDoc(
                "the host's state of one exitless ring",
                parameters: [
                    ("gpa", "guest-physical address of the ring's header page, once attached"),
                    ("cons", "batches run so far: the host's own copy, never read back from the guest"),
                    ("attached", "a guest attached a ring at @gpa"),
                    ("broken", "the guest published an impossible index; the ring is not served any more"),
                    ("polled", "a VMM thread polls the ring, so the guest need not kick"),
                ],
                body: docLines(
                    "Zero it before use and point \(naming.hostStruct).ring at it; zero it again (keeping @polled) when the machine resets, which detaches the ring. Calls that touch one ring (\(naming.host("ring_poll"))(), \(naming.host("ring_set_polled"))(), and the ring hypercall or port through the entry points) must not run concurrently: hold one lock around them. A VMM that migrates saves and restores all five fields.")),
            members: [
                CMember("__u64", "gpa"), CMember("__u32", "cons"), CMember("bool", "attached"), CMember("bool", "broken"),
                CMember("bool", "polled"),
            ])
    }

    func ringHelpers(_ ring: RingTransport) -> [CTopLevel] {
        let header = "struct \(naming.ringStruct)"
        let needKick = naming.ringFlag(named: "need_kick")
        let broken = naming.ringFlag(named: "broken")
        let detached = naming.ringFlag(named: "detached")
        return [
            .defines([
                CDefine("RING_FIELD(f)", "((__u64)offsetof(\(header), f))"),
                CDefine("RING_SLOT_BYTES", "((__u64)\(slotBytes))"),
            ]),
            .macro(
                .call(
                    "static_assert", .raw("\(naming.ringSlots) * RING_SLOT_BYTES <= QUEUE_PAGE_SIZE"),
                    cString("the slots fit the page after the header"))),
            .macro(
                .call(
                    "static_assert", .raw("\(naming.ringOperationMask) + 1 == \(naming.queueAlign)"),
                    cString("the operation sits below the page-aligned ring address"))),
            Function(
                "int", "ring_write_flags", Params("const \(host) *h", "const struct \(ringState) *r"),
                comment: "Tell the guest whether it must kick, or that the ring is broken."
            ) {
                Decl("__u32", "flags", "r->broken ? \(broken) : r->polled ? 0 : \(needKick)")
                Return(Call("h->write_guest", "h->opaque", "r->gpa + RING_FIELD(flags)", "&flags", "sizeof(flags)"))
            },
            Function(
                "bool", "ring_in_memory", Params("const \(host) *h", "__u64 gpa"),
                comment: "Whether the ring's two pages at page-aligned @gpa lie in guest memory."
            ) {
                Return("gpa < h->mem_size && \(naming.ringSize) <= h->mem_size - gpa")
            },
            Function(
                "long", "ring_poll", Params("const \(host) *h"),
                comment: "Run every batch posted to the attached ring; see \(naming.host("ring_poll"))()."
            ) {
                Decl("struct \(ringState) *", "r", "h->ring")
                Decl("__u32", "prod")
                Decl("__u32", "count")
                Decl("__u32", "slot")
                Decl("__u64", "at")
                Decl("__u64", "queue")
                Decl("__s32", "ret")
                Decl("long", "ran", "0")
                If("!r || !r->attached") { Return("0") }
                If("r->broken") { Return(error("range")) }
                If("h->read_guest(h->opaque, r->gpa + RING_FIELD(prod), &prod, sizeof(prod))") { Return(error("range")) }
                Comment("Pairs with the guest's release of prod: its slots and counts are read after it.")
                "__atomic_thread_fence(__ATOMIC_ACQUIRE)"
                If("prod - r->cons > \(naming.ringSlots)") {
                    "r->broken = true"
                    "ring_write_flags(h, r)"
                    Return(error("range"))
                }
                While("r->cons != prod") {
                    "slot = r->cons % \(naming.ringSlots)"
                    "at = r->gpa + RING_FIELD(count) + slot * sizeof(count)"
                    If("h->read_guest(h->opaque, at, &count, sizeof(count))") { Return(error("range")) }
                    "queue = r->gpa + \(naming.ringSlotsOffset) + slot * RING_SLOT_BYTES"
                    "ret = (__s32)run_batch(h, queue, count)"
                    Comment("The host's cons moves first: a write-back that fails below never runs the slot again.")
                    "r->cons++"
                    "at = r->gpa + RING_FIELD(ret) + slot * sizeof(ret)"
                    If("h->write_guest(h->opaque, at, &ret, sizeof(ret))") { Return(error("range")) }
                    Comment("Pairs with the guest's acquire of cons: ret and the entries are written before it.")
                    "__atomic_thread_fence(__ATOMIC_RELEASE)"
                    If("h->write_guest(h->opaque, r->gpa + RING_FIELD(cons), &r->cons, sizeof(r->cons))") { Return(error("range")) }
                    "ran++"
                }
                Return("ran")
            },
            Function(
                "long", "ring_attach", Params("const \(host) *h", "__u64 gpa"),
                comment: "Take on the ring at @gpa from the indices its header holds: two pages of guest memory with the magic and slot count of this ABI. Attaching the attached ring again starts it over; another ring is refused while one is attached."
            ) {
                Decl("struct \(ringState) *", "r", "h->ring")
                Decl("__u32", "head[2]")
                Decl("__u32", "cons")
                If("r->attached && gpa != r->gpa") { Return(error("range")) }
                If("!ring_in_memory(h, gpa)") { Return(error("range")) }
                If("h->read_guest(h->opaque, gpa + RING_FIELD(magic), head, sizeof(head))") { Return(error("range")) }
                If("h->read_guest(h->opaque, gpa + RING_FIELD(cons), &cons, sizeof(cons))") { Return(error("range")) }
                If("head[0] != \(naming.ringMagic) || head[1] != \(naming.ringSlots)") { Return(error("version")) }
                "r->gpa = gpa"
                Comment("Whatever cons the guest left, the host counts from here on its own.")
                "r->cons = cons"
                "r->broken = false"
                "r->attached = true"
                If("ring_write_flags(h, r)") {
                    "r->attached = false"
                    Return(error("range"))
                }
                Return("0")
            },
            Function(
                "long", "ring_kick", Params("const \(host) *h", "__u64 gpa"),
                comment: "Run what the attached ring at @gpa posted."
            ) {
                Decl("struct \(ringState) *", "r", "h->ring")
                Decl("long", "ret")
                If("!r->attached || gpa != r->gpa") { Return(error("detached")) }
                "ret = ring_poll(h)"
                Return("ret < 0 ? ret : 0")
            },
            Function(
                "long", "ring_detach", Params("const \(host) *h", "__u64 gpa"),
                comment: "Let the ring at @gpa go: run what it posted (unless it is broken), then never touch it again, and say so in its flags. A ring the host does not hold is answered alike: the host will not touch it either."
            ) {
                Decl("struct \(ringState) *", "r", "h->ring")
                Decl("__u32", "flags", detached)
                If("!ring_in_memory(h, gpa)") { Return(error("range")) }
                If("r->attached && gpa == r->gpa") {
                    Comment("A failed last poll leaves cons where it is: the guest sees what did not run.")
                    "ring_poll(h)"
                    "r->attached = false"
                    "r->broken = false"
                }
                Comment("Once the flag is written, nothing of this call touches the ring again.")
                "__atomic_thread_fence(__ATOMIC_RELEASE)"
                If("h->write_guest(h->opaque, gpa + RING_FIELD(flags), &flags, sizeof(flags))") { Return(error("range")) }
                Return("0")
            },
            Function(
                "long", "ring_call", Params("const \(host) *h", "__u64 value"),
                comment: "The ring hypercall or port: (ring gpa | operation)."
            ) {
                Decl("__u64", "gpa", "value & ~(__u64)\(naming.ringOperationMask)")
                Switch("value & \(naming.ringOperationMask)", [
                    Case(naming.ringOperation(named: "kick")) { Return("ring_kick(h, gpa)") },
                    Case(naming.ringOperation(named: "attach")) { Return("ring_attach(h, gpa)") },
                    Case(naming.ringOperation(named: "detach")) { Return("ring_detach(h, gpa)") },
                    Default { Return(error("op")) },
                ])
            },
        ]
    }

    func ringEntryPoints(_ ring: RingTransport) -> [CFunction] {
        let needKick = naming.ringFlag(named: "need_kick")
        return [
            Exported(
                "long", naming.host("ring_poll"), Params("const \(host) *h"),
                doc: KernelDoc(
                    "run every batch the guest posted to the attached ring",
                    parameters: [("h", "the VMM's callbacks, allowlist and ring state")],
                    body: docLines(
                        "Reads the guest's prod once. More than \(naming.ringSlots) batches ahead of the host's own cons is impossible for a guest that waits for each batch, so the ring is marked \(naming.ringFlag(named: "broken")) and no slot runs. Otherwise each posted slot runs as \(naming.host("run_batch"))() runs a queue (copy once, validate, replay, write back), its return value goes to ret[slot], and cons is published after it. The host's own cons moves before anything is written back, so no slot ever runs twice.",
                        returns: "the number of batches run, 0 when no ring is attached, or a negative \(naming.error(named: "*")) when the ring could not be read or is broken; \(error("busy")) when called from inside one of @h's callbacks."))
            ) {
                Decl("long", "ret")
                If("!enter()") { Return(error("busy")) }
                "ret = ring_poll(h)"
                "leave()"
                Return("ret")
            },
            Exported(
                "int", naming.host("ring_set_polled"), Params("const \(host) *h", "bool polled"),
                doc: KernelDoc(
                    "say whether a VMM thread polls the ring",
                    parameters: [("h", "the VMM's callbacks, allowlist and ring state"), ("polled", "true while a thread polls")],
                    body: docLines(
                        "Clears \(needKick) while @polled, so the guest posts without an exit; sets it otherwise, and the guest kicks after posting. When @polled is false it then polls once more, after a full fence: a guest that posted before it saw the flag is served by that poll, and one that posts after it sees the flag and kicks.",
                        returns: "0, or \(error("range")) when the flag could not be written or the last poll failed; \(error("busy")) when called from inside one of @h's callbacks."))
            ) {
                Decl("struct \(ringState) *", "r", "h->ring")
                Decl("long", "ret", "0")
                If("!r") { Return(error("range")) }
                If("!enter()") { Return(error("busy")) }
                "r->polled = polled"
                If("r->attached") {
                    "ret = ring_write_flags(h, r) ? \(error("range")) : 0"
                    If("!ret && !polled") {
                        Comment("The flag is visible before the last look at prod: pairs with the guest's full barrier between publishing prod and reading the flags.")
                        "__atomic_thread_fence(__ATOMIC_SEQ_CST)"
                        "ret = ring_poll(h)"
                    }
                }
                "leave()"
                Return("ret < 0 ? (int)ret : 0")
            },
        ]
    }
}
