import DriverModel
import HypercallABI

/// The host side of the exitless ring: attach a guest's ring, run what it posted (from the
/// VMM's polling thread or from a kick exit), and say whether anyone polls. The ring's state
/// lives in a `struct pvgen_host_ring` the VMM owns, so the configuration stays read-only.
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
                    "Zero it before use and point \(naming.hostStruct).ring at it. Calls that touch one ring (\(naming.host("ring_poll"))(), \(naming.host("ring_set_polled"))(), and the ring hypercall or port through the entry points) must not run concurrently: hold one lock around them.")),
            members: [
                CMember("__u64", "gpa"), CMember("__u32", "cons"), CMember("bool", "attached"), CMember("bool", "broken"),
                CMember("bool", "polled"),
            ])
    }

    func ringHelpers(_ ring: RingTransport) -> [CTopLevel] {
        let header = "struct \(naming.ringStruct)"
        let needKick = naming.ringFlag(named: "need_kick")
        let broken = naming.ringFlag(named: "broken")
        return [
            .defines([
                CDefine("RING_FIELD(f)", "((__u64)offsetof(\(header), f))"),
                CDefine("RING_SLOT_BYTES", "((__u64)\(slotBytes))"),
            ]),
            .macro(
                .call(
                    "static_assert", .raw("\(naming.ringSlots) * RING_SLOT_BYTES <= QUEUE_PAGE_SIZE"),
                    cString("the slots fit the page after the header"))),
            Function(
                "int", "ring_write_flags", Params("const \(host) *h", "const struct \(ringState) *r"),
                comment: "Tell the guest whether it must kick, or that the ring is broken."
            ) {
                Decl("__u32", "flags", "r->broken ? \(broken) : r->polled ? 0 : \(needKick)")
                Return(Call("h->write_guest", "h->opaque", "r->gpa + RING_FIELD(flags)", "&flags", "sizeof(flags)"))
            },
            Function(
                "long", "ring_attach", Params("const \(host) *h", "__u64 gpa"),
                comment: "Take on the ring at @gpa: two pages of guest memory, page aligned, with the magic and slot count of this ABI."
            ) {
                Decl("struct \(ringState) *", "r", "h->ring")
                Decl("__u32", "head[2]")
                Decl("__u32", "cons")
                If("gpa & (QUEUE_PAGE_SIZE - 1)") { Return(error("align")) }
                If("gpa >= h->mem_size || \(naming.ringSize) > h->mem_size - gpa") { Return(error("range")) }
                If("h->read_guest(h->opaque, gpa + RING_FIELD(magic), head, sizeof(head))") { Return(error("range")) }
                If("h->read_guest(h->opaque, gpa + RING_FIELD(cons), &cons, sizeof(cons))") { Return(error("range")) }
                If("head[0] != \(naming.ringMagic) || head[1] != \(naming.ringSlots)") { Return(error("version")) }
                "r->gpa = gpa"
                Comment("Whatever cons the guest left, the host counts from here on its own.")
                "r->cons = cons"
                "r->broken = false"
                "r->attached = true"
                If("ring_write_flags(h, r)") { Return(error("range")) }
                Return("0")
            },
            Function(
                "long", "ring_kick", Params("const \(host) *h", "__u64 gpa"),
                comment: "The ring hypercall or port: attach the ring at @gpa the first time, then run what it posted."
            ) {
                Decl("struct \(ringState) *", "r", "h->ring")
                Decl("long", "ret")
                If("!r->attached || r->broken") {
                    "ret = ring_attach(h, gpa)"
                    If("ret") { Return("ret") }
                }
                Comment("One ring per host: a second ring is refused, not swapped in.")
                If("gpa != r->gpa") { Return(error("range")) }
                "ret = \(naming.host("ring_poll"))(h)"
                Return("ret < 0 ? ret : 0")
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
                        "Reads the guest's prod once. More than \(naming.ringSlots) batches ahead of the host's own cons is impossible for a guest that waits for each batch, so the ring is marked \(naming.ringFlag(named: "broken")) and no slot runs. Otherwise each posted slot runs as \(naming.host("run_batch"))() runs a queue (copy once, validate, replay, write back), its return value goes to ret[slot], and cons is published after it.",
                        returns: "the number of batches run, 0 when no ring is attached, or a negative \(naming.error(named: "*")) when the ring could not be read or is broken."))
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
                    "ret = (__s32)\(naming.host("run_batch"))(h, queue, count)"
                    Comment("ret before cons: the guest reads ret once it sees cons move (x86 keeps stores in order).")
                    "at = r->gpa + RING_FIELD(ret) + slot * sizeof(ret)"
                    If("h->write_guest(h->opaque, at, &ret, sizeof(ret))") { Return(error("range")) }
                    "r->cons++"
                    If("h->write_guest(h->opaque, r->gpa + RING_FIELD(cons), &r->cons, sizeof(r->cons))") { Return(error("range")) }
                    "ran++"
                }
                Return("ran")
            },
            Exported(
                "int", naming.host("ring_set_polled"), Params("const \(host) *h", "bool polled"),
                doc: KernelDoc(
                    "say whether a VMM thread polls the ring",
                    parameters: [("h", "the VMM's callbacks, allowlist and ring state"), ("polled", "true while a thread polls")],
                    body: docLines(
                        "Clears \(needKick) while @polled, so the guest posts without an exit; sets it otherwise, and the guest kicks after posting. A poller that stops must call this with false and then \(naming.host("ring_poll"))() once more: a guest that posted before it saw the flag is served by that last poll.",
                        returns: "0, or \(error("range")) when the flag could not be written."))
            ) {
                Decl("struct \(ringState) *", "r", "h->ring")
                If("!r") { Return(error("range")) }
                "r->polled = polled"
                If("!r->attached") { Return("0") }
                Return("ring_write_flags(h, r) ? \(error("range")) : 0")
            },
        ]
    }
}
