import DriverModel
import HypercallABI

/// The fixed part of a generated libata guest module: the per-port batch (queue page, append,
/// submit, resume after an early stop, replay after a host error), transport detection, module
/// parameters, and the PCI driver around the planned sequences.
struct GuestBatchRuntime {
    let abi: BatchABI
    let naming: Naming
    let device: Device
    let module: String

    var transports: [(String, String)] {
        [("AUTO", "auto"), ("VMCALL", "vmcall"), ("DOORBELL", "doorbell")] + (abi.ring != nil ? [("RING", "ring")] : [])
            + [("DIRECT", "direct")]
    }

    var stats: [(String, String, String)] {
        [
            ("SUBMISSIONS", "submissions", "batches handed to the host"),
            ("ENTRIES", "entries", "entries in those batches"),
            ("DIRECT", "direct_accesses", "port accesses the guest made itself"),
            ("WAIT_RESUMES", "wait_resumes", "batches resumed after an early stop"),
            ("EXPECT_STOPS", "expect_stops", "batches cut at an unmet expectation"),
            ("HOST_ERRORS", "host_errors", "batches replayed after a host error"),
        ]
    }

    func op(_ op: BatchOp) -> String { naming.op(op) }
    var pending: String { naming.result(named: "pending") }
    var ok: String { naming.result(named: "ok") }

    // MARK: Declarations

    func declarations() -> [CTopLevel] {
        [
            .comment("ata_wait_idle(): up to 1000 status reads, 10 us apart."),
            .defines([CDefine("PVGEN_WAIT_TRIES", "1000"), CDefine("PVGEN_WAIT_UDELAY", "10")]),
            .enumeration(
                name: "pvgen_transport", comment: "How a batch reaches the host.",
                cases: transports.map { CDefine("PVGEN_TRANSPORT_\($0.0)", "") }),
            .variable(
                storage: "static const char * const",
                CDeclaration("", "pvgen_transport_names[]", .designated(transports.map { ("[PVGEN_TRANSPORT_\($0.0)]", .expression(cString($0.1))) }))),
            .enumeration(
                name: "pvgen_stat", comment: "Counters, readable as module parameters.",
                cases: stats.map { CDefine("PVGEN_STAT_\($0.0)", "", comment: $0.2) } + [CDefine("PVGEN_STAT_NR", "")]),
            .variable(storage: "static", CDeclaration("atomic_long_t", "pvgen_stats[PVGEN_STAT_NR]")),
        ] + (abi.ring.map(ringDeclarations) ?? []) + [
            .structure(
                name: "pvgen_port",
                doc: KernelDoc(
                    "per-channel state, in ata_port->private_data",
                    parameters: [
                        ("ap", "the libata port"),
                        ("transport", "how a batch reaches the host (never PVGEN_TRANSPORT_AUTO)"),
                    ] + device.blocks.map { ($0.name, "first port of the \($0.summary)") } + [
                        ("queue", "the queue: one zeroed page below 4 GiB, so it never crosses a page"),
                        ("gpa", "guest-physical address of @queue"),
                        ("dest", "where each queued entry's value goes once it has run, or NULL"),
                        ("count", "entries queued and not yet submitted"),
                        ("hold", "the batch is held: inside ->qc_issue() or one of the driver's own paths, which submit it at their end, operations leave it open"),
                        ("expected", "each queued IN_EXPECT's expected bits, which the host overwrites with the value read"),
                        ("cut", "an IN_EXPECT entry missed its expected bits: the accesses queued after it are dropped, as the stock driver would not have made them"),
                    ] + (abi.ring != nil ? [("ring", "the controller's exitless ring, or NULL")] : [])),
                members: [
                    CMember("struct ata_port *", "ap"),
                    CMember("enum pvgen_transport", "transport"),
                ] + device.blocks.map { CMember("u16", $0.name) } + [
                    CMember("struct \(naming.entryStruct) *", "queue"),
                    CMember("phys_addr_t", "gpa"),
                    CMember("u32 *", "dest[\(naming.maxEntries)]"),
                    CMember("u32", "expected[\(naming.maxEntries)]"),
                    CMember("unsigned int", "count"),
                    CMember("bool", "hold"),
                    CMember("bool", "cut"),
                ] + (abi.ring != nil ? [CMember("struct \(ringStateStruct) *", "ring")] : [])),
            .variable(storage: "static", CDeclaration("int", "pvgen_transport_param", .expression("PVGEN_TRANSPORT_AUTO"))),
            .variable(storage: "static", CDeclaration("int", "pvgen_transport_active", .expression("PVGEN_TRANSPORT_AUTO"))),
        ]
    }

    // MARK: Functions

    func functions() -> [CTopLevel] {
        parameterFunctions() + portIO() + (abi.ring.map(ringFunctions) ?? []) + batch() + appenders()
    }

    func parameterFunctions() -> [CTopLevel] {
        var items: [CTopLevel] = [
            Function("int", "pvgen_transport_set", Params("const char *val", "const struct kernel_param *kp")) {
                Decl("int", "i", "sysfs_match_string(pvgen_transport_names, val)")
                If("i < 0") { Return("-EINVAL") }
                "*(int *)kp->arg = i"
                Return("0")
            },
            Function("int", "pvgen_param_get_transport", Params("char *buf", "const struct kernel_param *kp")) {
                Return(Call("scnprintf", "buf", "PAGE_SIZE", "\"%s\\n\"", "pvgen_transport_names[*(int *)kp->arg]"))
            },
            Function("int", "pvgen_param_get_stat", Params("char *buf", "const struct kernel_param *kp")) {
                Return(Call("scnprintf", "buf", "PAGE_SIZE", "\"%ld\\n\"", "atomic_long_read((atomic_long_t *)kp->arg)"))
            },
            .variable(
                storage: "static const", CDeclaration("struct kernel_param_ops", "pvgen_transport_ops",
                    .designated([("set", .expression("pvgen_transport_set")), ("get", .expression("pvgen_param_get_transport"))]))),
            .variable(
                storage: "static const", CDeclaration("struct kernel_param_ops", "pvgen_transport_active_ops",
                    .designated([("get", .expression("pvgen_param_get_transport"))]))),
            .variable(
                storage: "static const", CDeclaration("struct kernel_param_ops", "pvgen_stat_ops",
                    .designated([("get", .expression("pvgen_param_get_stat"))]))),
            .macro(.call("module_param_cb", "transport", "&pvgen_transport_ops", "&pvgen_transport_param", "0444")),
            .macro(.call("MODULE_PARM_DESC", "transport", cString(transports.map(\.1).joined(separator: "|") + ": force a transport"))),
            // module_param_cb() records no type; modinfo shows this one.
            .macro(.call("__MODULE_PARM_TYPE", "transport", cString("charp"))),
            .macro(.call("module_param_cb", "transport_in_use", "&pvgen_transport_active_ops", "&pvgen_transport_active", "0444")),
            .macro(.call("MODULE_PARM_DESC", "transport_in_use", cString("the transport chosen at the last probe"))),
            .macro(.call("__MODULE_PARM_TYPE", "transport_in_use", cString("charp"))),
        ]
        for (constant, name, summary) in stats {
            items.append(.macro(.call("module_param_cb", .raw(name), "&pvgen_stat_ops", .raw("&pvgen_stats[PVGEN_STAT_\(constant)]"), "0444")))
            items.append(.macro(.call("MODULE_PARM_DESC", .raw(name), cString(summary))))
            items.append(.macro(.call("__MODULE_PARM_TYPE", .raw(name), cString("long"))))
        }
        if abi.ring != nil {
            items += [
                .variable(storage: "static", CDeclaration("bool", "pvgen_test_fail_probe")),
                .macro(.call("module_param_named", "test_fail_probe", "pvgen_test_fail_probe", "bool", "0444")),
                .macro(.call("MODULE_PARM_DESC", "test_fail_probe", cString("for tests: fail the probe right after the ring is attached"))),
            ]
        }
        items.append(
            Function("void", "pvgen_stat_add", Params("enum pvgen_stat stat", "long n")) {
                "atomic_long_add(n, &pvgen_stats[stat])"
            })
        return items
    }

    func portIO() -> [CTopLevel] {
        [
            Function("u32", "pvgen_pio_in", Params("u8 width", "u16 port")) {
                Switch("width", [
                    Case("1") { Return("inb(port)") },
                    Case("2") { Return("inw(port)") },
                    Default { Return("inl(port)") },
                ])
            },
            Function("void", "pvgen_pio_out", Params("u8 width", "u16 port", "u32 value")) {
                Switch("width", [
                    Case("1") { "outb(value, port)"; CStatement.break },
                    Case("2") { "outw(value, port)"; CStatement.break },
                    Default { "outl(value, port)"; CStatement.break },
                ])
            },
            Function(
                "u32", "pvgen_wait_more", Params("struct pvgen_port *pp", "const struct \(naming.entryStruct) *e", "u32 value"),
                comment: """
                    Go on polling the port of an IN_WAIT entry whose last read returned
                    @value, as ata_sff_busy_wait() does: until no bit of the mask is set,
                    the port reads all ones (no device), or PVGEN_WAIT_TRIES reads in all.
                    """
            ) {
                Decl("u32", "ones", "e->width >= 4 ? ~0U : (1U << (8 * e->width)) - 1")
                Decl("unsigned int", "tries", "PVGEN_WAIT_TRIES - 1")
                While("value != ones && (value & e->mask) && tries--") {
                    "udelay(PVGEN_WAIT_UDELAY)"
                    "value = pvgen_pio_in(e->width, e->port)"
                    "pvgen_stat_add(PVGEN_STAT_DIRECT, 1)"
                }
                If("value != ones && (value & e->mask)") {
                    Call("ata_port_dbg", "pp->ap", "\"abnormal status 0x%X\\n\"", "value")
                }
                Return("value")
            },
            Function(
                "void", "pvgen_exec_direct", Params("struct pvgen_port *pp", "struct \(naming.entryStruct) *e"),
                comment: """
                    Perform one entry with plain port I/O, as libata does without pvgen
                    (IN_WAIT is ata_wait_idle(); an IN_EXPECT whose read misses its
                    expected bits cuts the batch): the direct transport, and the replay
                    of entries a host did not run.
                    """
            ) {
                Decl("u32", "value")
                Switch("e->op", [
                    Case(op(.out)) {
                        "pvgen_pio_out(e->width, e->port, e->value)"
                        "pvgen_stat_add(PVGEN_STAT_DIRECT, 1)"
                        CStatement.break
                    },
                    Case(op(.in)) {
                        "e->value = pvgen_pio_in(e->width, e->port)"
                        "pvgen_stat_add(PVGEN_STAT_DIRECT, 1)"
                        CStatement.break
                    },
                    Case(op(.inWait)) {
                        "udelay(PVGEN_WAIT_UDELAY)"
                        "value = pvgen_pio_in(e->width, e->port)"
                        "pvgen_stat_add(PVGEN_STAT_DIRECT, 1)"
                        "e->value = pvgen_wait_more(pp, e, value)"
                        CStatement.break
                    },
                    Case(op(.inExpect)) {
                        "value = pvgen_pio_in(e->width, e->port)"
                        "pvgen_stat_add(PVGEN_STAT_DIRECT, 1)"
                        If("(value & e->mask) != e->value") { "pp->cut = true" }
                        "e->value = value"
                        CStatement.break
                    },
                    Case(op(.update)) {
                        "value = pvgen_pio_in(e->width, e->port)"
                        "pvgen_pio_out(e->width, e->port, (value & e->mask) | e->value)"
                        "pvgen_stat_add(PVGEN_STAT_DIRECT, 2)"
                        "e->value = value"
                        CStatement.break
                    },
                ])
                "e->result = \(ok)"
            },
        ]
    }

    func batch() -> [CTopLevel] {
        let items: [CTopLevel?] = [
            Function(
                "long", "pvgen_call", Params("struct pvgen_port *pp", "unsigned int n"),
                comment: "Hand the first @n queued entries to the host: entries completed, or an error."
            ) {
                Decl("unsigned int", "i")
                if abi.ring != nil { Decl("long", "ret") }
                "pvgen_stat_add(PVGEN_STAT_SUBMISSIONS, 1)"
                "pvgen_stat_add(PVGEN_STAT_ENTRIES, n)"
                if abi.ring != nil {
                    Comment("The ring while it is attached; the transport that kicks it otherwise.")
                    If("pp->ring && pvgen_ring_call(pp, n, &ret)") { Return("ret") }
                }
                Switch("pp->transport", [
                    Case("PVGEN_TRANSPORT_VMCALL") {
                        Comment("kvm_hypercall2() clobbers memory: the queue is written first.")
                        Return(Call("kvm_hypercall2", naming.hypercall(abi.batch), "pp->gpa", "n"))
                    },
                    Case("PVGEN_TRANSPORT_DOORBELL") {
                        Comment("outl() is no compiler barrier: the queue is written first.")
                        "mb()"
                        Call("outl", "lower_32_bits(pp->gpa) | n", naming.doorbellPort)
                        Comment("The host wrote the results during the OUT exit.")
                        "mb()"
                        For("i = 0; i < n; i++") {
                            If("READ_ONCE(pp->queue[i].result) != \(ok)") { CStatement.break }
                        }
                        Return("i")
                    },
                    Default { Return(naming.error(named: "range")) },
                ])
            },
            Function("void", "pvgen_deliver", Params("struct pvgen_port *pp", "unsigned int i")) {
                If("pp->dest[i]") { "*pp->dest[i] = READ_ONCE(pp->queue[i].value)" }
            },
            Function(
                "void", "pvgen_replay", Params("struct pvgen_port *pp", "unsigned int from", "long rc"),
                comment: "Run entries [@from, count) of the open batch with plain port I/O, up to a cut."
            ) {
                Decl("unsigned int", "i")
                Comment("A host must not be able to WARN (panic_on_warn) the guest.")
                Call("dev_warn_ratelimited", "pp->ap->host->dev", "\"host answered %ld to a batch of %u, replaying %u entries\\n\"", "rc", "pp->count", "pp->count - from")
                "pvgen_stat_add(PVGEN_STAT_HOST_ERRORS, 1)"
                For("i = from; i < pp->count && !pp->cut; i++") {
                    "pvgen_exec_direct(pp, &pp->queue[i])"
                    "pvgen_deliver(pp, i)"
                }
            },
            abi.ring == nil ? nil : Function(
                "void", "pvgen_lose", Params("struct pvgen_port *pp"),
                comment: """
                    A ring batch the host may still run: neither replay it nor believe it ran.
                    Its reads see all ones, as from a bus with no device, and the rest of the
                    batch is dropped: libata times the command out and resets the channel,
                    through the kick transport.
                    """
            ) {
                Decl("unsigned int", "i")
                Call("dev_err_ratelimited", "pp->ap->host->dev", "\"ring: a batch of %u is lost with the ring\\n\"", "pp->count")
                "pvgen_stat_add(PVGEN_STAT_HOST_ERRORS, 1)"
                For("i = 0; i < pp->count; i++") {
                    If("pp->dest[i]") { "*pp->dest[i] = ~0U" }
                }
                "pp->cut = true"
            },
            Function(
                "bool", "pvgen_cut_after", Params("const struct pvgen_port *pp", "long done"),
                comment: """
                    Whether the last of the @done entries the host completed is an IN_EXPECT
                    whose read missed its expected bits: the host stopped there, or it was
                    the last entry of the batch; either way the batch is cut.
                    """
            ) {
                Decl("const struct \(naming.entryStruct) *", "e")
                If("done <= 0") { Return("false") }
                "e = &pp->queue[done - 1]"
                If("e->op != \(op(.inExpect))") { Return("false") }
                Return("(READ_ONCE(e->value) & e->mask) != pp->expected[done - 1]")
            },
            Function(
                "void", "pvgen_run", Params("struct pvgen_port *pp"),
                comment: """
                    Run the open batch in one exit and deliver the values it read. When the
                    host stops after an IN_WAIT entry whose port read busy, poll that port
                    here (bounded as ata_wait_idle()) and resubmit the rest; when it stops
                    after an IN_EXPECT entry that missed, drop the rest and mark the batch
                    cut; when it reports an error, replay what it did not run with port
                    I/O. No access is lost or run twice, and the queue is empty on return.
                    """
            ) {
                While("pp->count") {
                    Decl("unsigned int", "n", "pp->count")
                    Decl("unsigned int", "i")
                    Decl("struct \(naming.entryStruct) *", "last")
                    Decl("long", "done")
                    "done = pvgen_call(pp, n)"
                    if abi.ring != nil {
                        If("done == PVGEN_RING_LOST_BATCH") {
                            "pvgen_lose(pp)"
                            CStatement.break
                        }
                    }
                    If("done < 0 || done > n") {
                        "pvgen_replay(pp, 0, done)"
                        CStatement.break
                    }
                    For("i = 0; i < done; i++") { "pvgen_deliver(pp, i)" }
                    "last = done ? &pp->queue[done - 1] : NULL"
                    CStatement.if(
                        "last && last->op == \(op(.inWait)) && (READ_ONCE(last->value) & last->mask)",
                        [
                            .expression("pvgen_stat_add(PVGEN_STAT_WAIT_RESUMES, 1)"),
                            .expression("last->value = pvgen_wait_more(pp, last, last->value)"),
                            .expression("pvgen_deliver(pp, done - 1)"),
                        ],
                        else: [
                            .if("pvgen_cut_after(pp, done)", [
                                .expression("pvgen_stat_add(PVGEN_STAT_EXPECT_STOPS, 1)"),
                                .expression("pp->cut = true"),
                                .break,
                            ], else: [
                                .if("done < n", [
                                    .expression("pvgen_replay(pp, done, READ_ONCE(pp->queue[done].result))"),
                                    .break,
                                ], else: nil)
                            ])
                        ])
                    Comment("Move what did not run to the start of the page.")
                    "pp->count = n - done"
                    Call("memmove", "pp->queue", "pp->queue + done", "pp->count * sizeof(*pp->queue)")
                    Call("memmove", "pp->dest", "pp->dest + done", "pp->count * sizeof(*pp->dest)")
                    Call("memmove", "pp->expected", "pp->expected + done", "pp->count * sizeof(*pp->expected)")
                    For("i = 0; i < pp->count; i++") { "pp->queue[i].result = \(pending)" }
                }
                "pp->count = 0"
            },
            Function(
                "void", "pvgen_submit", Params("struct pvgen_port *pp"),
                comment: "End the batch: run what it holds; the next batch starts uncut."
            ) {
                "pvgen_run(pp)"
                "pp->cut = false"
            },
        ]
        return items.compactMap { $0 }
    }

    func appenders() -> [CTopLevel] {
        let entry = "struct \(naming.entryStruct)"
        return [
            Function(
                "void", "pvgen_append",
                Params("struct pvgen_port *pp", "u8 op", "u8 width", "u16 port", "u32 value", "u32 mask", "u32 *dest"),
                comment: "Queue one entry, or perform it at once on the direct transport."
            ) {
                Comment("After a missed expectation the stock driver takes another path.")
                If("pp->cut") { Return() }
                If("pp->transport == PVGEN_TRANSPORT_DIRECT") {
                    CStatement.declaration(
                        CDeclaration(entry, "direct", .designated([
                            ("op", .expression("op")), ("width", .expression("width")), ("port", .expression("port")),
                            ("value", .expression("value")), ("mask", .expression("mask")),
                        ])))
                    "pvgen_exec_direct(pp, &direct)"
                    If("dest") { "*dest = direct.value" }
                    Return()
                }
                If("pp->count == \(naming.maxEntries)") { "pvgen_run(pp)" }
                Call(naming.entryInit, "&pp->queue[pp->count]", "op", "width", "port", "value", "mask")
                "pp->expected[pp->count] = value"
                "pp->dest[pp->count++] = dest"
            },
            Function("void", "pvgen_append_out", Params("struct pvgen_port *pp", "u8 width", "u16 port", "u32 value")) {
                Call("pvgen_append", "pp", op(.out), "width", "port", "value", "0", "NULL")
            },
            Function("void", "pvgen_append_in", Params("struct pvgen_port *pp", "u8 width", "u16 port", "u32 *dest")) {
                Call("pvgen_append", "pp", op(.in), "width", "port", "0", "0", "dest")
            },
            Function("void", "pvgen_append_in_wait", Params("struct pvgen_port *pp", "u8 width", "u16 port", "u32 mask")) {
                Call("pvgen_append", "pp", op(.inWait), "width", "port", "0", "mask", "NULL")
            },
            Function(
                "void", "pvgen_append_in_expect",
                Params("struct pvgen_port *pp", "u8 width", "u16 port", "u32 mask", "u32 expected", "u32 *dest")
            ) {
                Call("pvgen_append", "pp", op(.inExpect), "width", "port", "expected", "mask", "dest")
            },
            Function("void", "pvgen_append_rmw", Params("struct pvgen_port *pp", "u8 width", "u16 port", "u32 mask", "u32 value")) {
                Call("pvgen_append", "pp", op(.update), "width", "port", "value", "mask", "NULL")
            },
            Function(
                "void", "pvgen_op_done", Params("struct pvgen_port *pp"),
                comment: "Unless the batch is held, no operation leaves it open."
            ) {
                If("!pp->hold") { "pvgen_submit(pp)" }
            },
        ]
    }
}
