import DriverModel
import HypercallABI

/// The QEMU device's side of the exitless ring: the ring calls from the port and the
/// hypercall, their counters, the test knob that plays a late host, and the ring's state across
/// migration.
extension QEMUDeviceTranslator {
    /// The property that names the device model whose BARs the allowlist follows.
    var linkProperty: String { "ide" }

    /// What the ring adds to the device's state.
    var ringMembers: [CMember] {
        [
            CMember("struct \(naming.host("ring"))", "ring", comment: "the ring, served on kicks only"),
            CMember("uint32_t", "ignore_kicks", comment: "property, for tests: kicks to ignore"),
            CMember("bool", "ignore_on_arm", comment: "property: ignore only once armed"),
            CMember("bool", "armed", comment: "an 8-bit OUT to the last port armed ignore-kicks"),
            CMember("uint64_t", "ring_attaches", comment: "rings attached"),
            CMember("uint64_t", "ring_detaches", comment: "rings let go, by the guest or by reset"),
            CMember("uint64_t", "ignored_kicks", comment: "kicks ignored for ignore-kicks"),
            CMember("uint64_t", "saved_ring_gpa", comment: "the ring as migrated"),
            CMember("uint32_t", "saved_ring_cons"),
            CMember("bool", "saved_ring_attached"),
            CMember("bool", "saved_ring_broken"),
        ]
    }

    /// The ring's counters, as (QOM property, field).
    var ringCounters: [(String, String)] {
        [("ring-attaches", "ring_attaches"), ("ring-detaches", "ring_detaches"), ("ignored-kicks", "ignored_kicks")]
    }

    /// One ring call, from the ring's port or the ring hypercall: (ring gpa | operation).
    func ringCall(_ ring: RingTransport) -> [CTopLevel] {
        [
            Function(
                "long", "\(prefix)_ring_call", Params("\(stateType) *s", "struct \(naming.hostStruct) *h", "uint64_t value"),
                comment: """
                    Hand a ring call to the library and count what it did to the attachment.
                    With ignore-kicks, that many kicks return without running the ring, as a
                    host whose kick is asynchronous or whose poller is late would; the guest
                    then cancels through the detach. With ignore-on-arm they are counted only
                    once the guest armed them (an 8-bit OUT to the device's last port), so a
                    test can place the late answer inside a measured window.
                    """
            ) {
                Decl("bool", "attached", "s->ring.attached")
                Decl("long", "ret")
                If("(value & \(naming.ringOperationMask)) == \(naming.ringOperation(named: "kick")) && s->ignore_kicks && (!s->ignore_on_arm || s->armed)") {
                    "s->ignore_kicks--"
                    "s->ignored_kicks++"
                    Return("0")
                }
                "s->busy = true"
                Call("ret = \(naming.host("handle_hypercall"))", "h", naming.hypercall(ring.call), "value", "0", "0")
                "s->busy = false"
                Call("trace_\(prefix)_ring", "value", "ret")
                If("!attached && s->ring.attached") {
                    "s->ring_attaches++"
                } else: {
                    If("attached && !s->ring.attached") { "s->ring_detaches++" }
                }
                If("ret < 0") {
                    "s->refused++"
                    Call("qemu_log_mask", "LOG_GUEST_ERROR", "\"%s: ring call 0x%\" PRIx64 \" refused: %ld\\n\"", typeMacro, "value", "ret")
                }
                Return("ret")
            }
        ]
    }

    /// The ring's vmstate and its read-only `ring-attached` property.
    func ringRegistration() -> [CTopLevel] {
        let saved = [("gpa", "UINT64"), ("cons", "UINT32"), ("attached", "BOOL"), ("broken", "BOOL")]
        return [
            Function(
                "int", "\(prefix)_pre_save", Params("void *opaque"),
                comment: "The library's ring state uses __u64, which vmstate does not know: migrate a copy."
            ) {
                Decl("\(stateType) *", "s", "opaque")
                for (field, _) in saved { "s->saved_ring_\(field) = s->ring.\(field)" }
                Return("0")
            },
            Function(
                "int", "\(prefix)_post_load", Params("void *opaque", "int version_id"),
                comment: """
                    The incoming state is as hostile as the guest: an attached ring starts on a
                    page (the library checks every access against guest RAM). Whether anyone
                    polls is this side's business, not the source's.
                    """
            ) {
                Decl("\(stateType) *", "s", "opaque")
                If("s->saved_ring_attached && (s->saved_ring_gpa & \(naming.ringOperationMask))") {
                    Call("error_report", "\"%s: migrated ring at 0x%\" PRIx64 \" is not page aligned\"", typeMacro, "s->saved_ring_gpa")
                    Return("-EINVAL")
                }
                for (field, _) in saved { "s->ring.\(field) = s->saved_ring_\(field)" }
                Return("0")
            },
            .comment("QEMU 7.2's VMStateDescription takes its fields as a non-const array."),
            .variable(
                storage: "static", CDeclaration("VMStateField", "\(prefix)_fields[]", .list(
                    saved.map { CInitializer.expression(.call("VMSTATE_\($0.1)", .raw("saved_ring_\($0.0)"), .raw(stateType))) }
                        + ["doorbells", "hypercalls", "entries", "refused", "io_errors", "ring_attaches", "ring_detaches"].map {
                            .expression(.call("VMSTATE_UINT64", .raw($0), .raw(stateType)))
                        } + [.expression(.call("VMSTATE_END_OF_LIST"))]))),
            .variable(
                storage: "static const", CDeclaration("VMStateDescription", "\(prefix)_vmstate", .designated([
                    ("name", .expression(.raw(typeMacro))),
                    ("version_id", .expression("1")),
                    ("minimum_version_id", .expression("1")),
                    ("pre_save", .expression(.raw("\(prefix)_pre_save"))),
                    ("post_load", .expression(.raw("\(prefix)_post_load"))),
                    ("fields", .expression(.raw("\(prefix)_fields"))),
                ]))),
            Function("bool", "\(prefix)_get_ring_attached", Params("Object *obj", "Error **errp")) {
                Return("\(castMacro)(obj)->ring.attached")
            },
        ]
    }
}
