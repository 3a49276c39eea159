import DriverModel
import HypercallABI

/// The libata PCI driver around the planned sequences: queue allocation, transport
/// detection, the operations table and module registration.
extension GuestBatchRuntime {
    /// One register access in C terms, for code that runs it with plain port I/O.
    struct DirectAccess {
        var op: String
        var width: Int
        var port: String
        var value: String
        var mask: String

        /// `pvgen_direct(pp, ...)`.
        var call: CExpression { .call("pvgen_direct", ["pp", op, "\(width)", port, value, mask].map { .raw($0) }) }
    }

    /// The accesses of libata's spurious-interrupt check, from the model.
    struct SpuriousAccesses {
        var interruptPending: DirectAccess
        var status: DirectAccess
        var clear: DirectAccess
    }

    /// `operations`: (ata_port_operations member, function); `paths`: the model's own paths;
    /// `spurious`: what the interrupt handler reads to clear an interrupt nobody expected.
    func driver(operations: [(String, String)], paths: [DriverPath: String], spurious: SpuriousAccesses?) -> [CTopLevel] {
        let ownInterrupt = paths[.dmaInterrupt] != nil
        let irqCheck = ownInterrupt ? spurious : nil
        return portSetup(issueDMA: paths[.dmaIssue]) + interrupt(finishDMA: paths[.dmaInterrupt], spurious: irqCheck) + detection()
            + registration(operations: operations + (irqCheck != nil ? [("sff_irq_check", "pvgen_irq_check")] : []), ownInterrupt: ownInterrupt)
    }

    func portSetup(issueDMA: String?) -> [CTopLevel] {
        let blockChecks = device.blocks.enumerated().map { index, block in
            block.presentWhen.map { "(\($0) && !base[\(index)])" } ?? "!base[\(index)]"
        }
        return [
            Function(
                "unsigned int", "pvgen_qc_issue", Params("struct ata_queued_cmd *qc"),
                comment: issueDMA == nil
                    ? "libata's issue path with the batch held, so that it ends in as few exits as the planner allows."
                    : "A DMA command in one batch; other protocols take libata's path with the batch held."
            ) {
                Decl("struct pvgen_port *", "pp", "qc->ap->private_data")
                Decl("unsigned int", "ret")
                if let issueDMA {
                    If("qc->tf.protocol == ATA_PROT_DMA") { Return(Call(issueDMA, "qc")) }
                }
                "pp->hold = true"
                "ret = ata_bmdma_qc_issue(qc)"
                "pp->hold = false"
                Comment("No batch stays open once the command is issued.")
                "pvgen_submit(pp)"
                Return("ret")
            },
            Function(
                "int", "pvgen_port_start", Params("struct ata_port *ap"),
                comment: "Find the channel's ports and allocate its queue page."
            ) {
                Decl("struct device *", "dev", "ap->host->dev")
                Decl("struct pci_dev *", "pdev", "to_pci_dev(dev)")
                Decl("resource_size_t", "base[\(device.blocks.count)]")
                Decl("struct pvgen_port *", "pp")
                Decl("unsigned long", "page")
                Decl("int", "rc")
                "rc = ata_bmdma_port_start(ap)"
                If("rc") { Return("rc") }
                for (index, block) in device.blocks.enumerated() {
                    if let present = block.presentWhen {
                        "base[\(index)] = \(present) ? \(block.guestBase) : 0"
                    } else {
                        "base[\(index)] = \(block.guestBase)"
                    }
                }
                If((blockChecks + device.blocks.enumerated().map { "base[\($0.offset)] > \(cHex(0x10000 - $0.element.size))" }).joined(separator: " || ")) {
                    Call("ata_port_err", "ap", "\"registers are not in I/O space\\n\"")
                    Return("-ENODEV")
                }
                "pp = devm_kzalloc(dev, sizeof(*pp), GFP_KERNEL)"
                If("!pp") { Return("-ENOMEM") }
                "pp->ap = ap"
                "pp->transport = pvgen_transport_active"
                if abi.ring != nil { "pp->ring = ap->host->private_data" }
                for (index, block) in device.blocks.enumerated() { "pp->\(block.name) = base[\(index)]" }
                Comment("One zeroed page: page aligned, below 4 GiB, never crosses a page.")
                "page = devm_get_free_pages(dev, GFP_KERNEL | GFP_DMA32 | __GFP_ZERO, 0)"
                If("!page") { Return("-ENOMEM") }
                "pp->queue = (struct \(naming.entryStruct) *)page"
                "pp->gpa = virt_to_phys(pp->queue)"
                If("upper_32_bits(pp->gpa)") {
                    Call("ata_port_err", "ap", "\"queue page above 4 GiB\\n\"")
                    Return("-ENOMEM")
                }
                "ap->private_data = pp"
                Call("ata_port_desc", "ap", "\"pvgen %s\"", "pvgen_transport_names[pp->transport]")
                Return("0")
            },
        ]
    }

    func detection() -> [CTopLevel] {
        [
            Function(
                "bool", "pvgen_vmcall_present", Params("struct device *dev", "bool forced"),
                comment: """
                    vmcall only on KVM, and only when the host answers the probe hypercall:
                    stock KVM answers an unknown number with -KVM_ENOSYS, and without a KVM
                    signature vmcall may raise #UD, so nothing is issued there.
                    """
            ) {
                Decl("long", "ret")
                If("!kvm_para_available()") {
                    If("forced") { Call("dev_err", "dev", "\"transport=vmcall refused: not a KVM guest\\n\"") }
                    Return("false")
                }
                "ret = kvm_hypercall1(\(naming.hypercall(abi.probe)), \(naming.version))"
                If("ret < 0 || !(ret & \(naming.feature(abi.features[0])))") {
                    If("forced") { Call("dev_err", "dev", "\"transport=vmcall refused: the host answered %ld to the probe\\n\"", "ret") }
                    Return("false")
                }
                Return("true")
            },
            Function("bool", "pvgen_doorbell_present", Params("struct device *dev", "bool forced")) {
                Decl("u32", "magic")
                If("!devm_request_region(dev, \(naming.doorbellPort), 4, DRV_NAME)") {
                    If("forced") { Call("dev_err", "dev", "\"transport=doorbell refused: port 0x%x is busy\\n\"", naming.doorbellPort) }
                    Return("false")
                }
                "magic = inl(\(naming.doorbellPort))"
                If("magic == \(naming.doorbellMagic)") { Return("true") }
                "devm_release_region(dev, \(naming.doorbellPort), 4)"
                If("forced") {
                    Call("dev_err", "dev", "\"transport=doorbell refused: port 0x%x reads 0x%08x\\n\"", naming.doorbellPort, "magic")
                }
                Return("false")
            },
            Function(
                "enum pvgen_transport", "pvgen_pick_transport", Params("struct device *dev"),
                comment: abi.ring == nil ? nil : "The transport a batch takes, or that kicks the ring (transport=ring picks it as auto does)."
            ) {
                Decl("int", "want", "READ_ONCE(pvgen_transport_param)")
                If("want == PVGEN_TRANSPORT_DIRECT") {
                    Call("dev_info", "dev", "\"transport: direct (forced)\\n\"")
                    Return("PVGEN_TRANSPORT_DIRECT")
                }
                Comment("The host cannot read an encrypted guest's queue.")
                If("cc_platform_has(CC_ATTR_GUEST_MEM_ENCRYPT)") {
                    Call("dev_info", "dev", "\"transport: direct (guest memory is encrypted)\\n\"")
                    Return("PVGEN_TRANSPORT_DIRECT")
                }
                if abi.ring != nil {
                    If("want == PVGEN_TRANSPORT_RING") { "want = PVGEN_TRANSPORT_AUTO" }
                }
                If("(want == PVGEN_TRANSPORT_AUTO || want == PVGEN_TRANSPORT_VMCALL) && pvgen_vmcall_present(dev, want == PVGEN_TRANSPORT_VMCALL)") {
                    Call("dev_info", "dev", "\"transport: vmcall (pvgen ABI %d)\\n\"", naming.version)
                    Return("PVGEN_TRANSPORT_VMCALL")
                }
                If("(want == PVGEN_TRANSPORT_AUTO || want == PVGEN_TRANSPORT_DOORBELL) && pvgen_doorbell_present(dev, want == PVGEN_TRANSPORT_DOORBELL)") {
                    Call("dev_info", "dev", "\"transport: doorbell (port 0x%x, pvgen ABI %d)\\n\"", naming.doorbellPort, naming.version)
                    Return("PVGEN_TRANSPORT_DOORBELL")
                }
                Call("dev_info", "dev", "\"transport: direct (no pvgen host)\\n\"")
                Return("PVGEN_TRANSPORT_DIRECT")
            },
        ] + (abi.ring.map(ringDetection) ?? [])
    }

    /// Whether the controller gets an exitless ring, kicked through the transport picked; the
    /// ring is attached at the end of probe, and let go on every way out of the driver.
    func ringDetection(_ ring: RingTransport) -> [CTopLevel] {
        let forced = "READ_ONCE(pvgen_transport_param) == PVGEN_TRANSPORT_RING"
        let ringFeature = naming.feature(abi.features.first { $0.name == "ring" }!)
        return [
            Function(
                "struct \(ringStateStruct) *", "pvgen_pick_ring", Params("struct device *dev", "enum pvgen_transport kick"),
                comment: """
                    The ring, allocated and not attached yet, when the host offers one through
                    @kick and the transport parameter allows it (ring or auto).
                    """
            ) {
                Decl("bool", "forced", forced)
                Decl("struct \(ringStateStruct) *", "rs")
                Decl("bool", "offered", "false")
                Decl("long", "features")
                If("!forced && READ_ONCE(pvgen_transport_param) != PVGEN_TRANSPORT_AUTO") { Return("NULL") }
                Switch("kick", [
                    Case("PVGEN_TRANSPORT_VMCALL") {
                        "features = kvm_hypercall1(\(naming.hypercall(abi.probe)), \(naming.version))"
                        Comment("A negative answer is an error, never a set of features.")
                        "offered = features >= 0 && (features & \(ringFeature))"
                        CStatement.break
                    },
                    Case("PVGEN_TRANSPORT_DOORBELL") {
                        If("devm_request_region(dev, \(naming.ringPort), 4, DRV_NAME)") { "offered = inl(\(naming.ringPort)) == \(naming.ringMagic)" }
                        CStatement.break
                    },
                    Default { CStatement.break },
                ])
                "rs = offered ? pvgen_ring_alloc(dev, kick) : NULL"
                If("!rs && forced") {
                    Call("dev_err", "dev", "\"transport=ring refused: the host offers no ring through %s\\n\"", "pvgen_transport_names[kick]")
                }
                Return("rs")
            },
            Function(
                "void", "pvgen_start_ring", Params("struct \(ringStateStruct) *rs"),
                comment: """
                    Attach the ring, once the rest of probe has succeeded. With
                    transport=ring it is used whenever the host attaches it; with auto only
                    when a host thread polls it (otherwise every batch would still cost a
                    kick, and a copy), and it is let go again at once.
                    """
            ) {
                Decl("bool", "forced", forced)
                Decl("const char *", "kick", "pvgen_transport_names[rs->kick]")
                If("!pvgen_ring_attach(rs)") {
                    Call("dev_info", "rs->dev", "\"ring: the host did not attach it; batches go by %s\\n\"", "kick")
                    If("forced") { Call("dev_err", "rs->dev", "\"transport=ring refused\\n\"") }
                    Return()
                }
                If("!forced && (READ_ONCE(rs->ring->flags) & \(naming.ringFlag(named: "need_kick")))") {
                    "pvgen_ring_detach(rs)"
                    Call("dev_info", "rs->dev", "\"ring: no host thread polls it; batches go by %s\\n\"", "kick")
                    Return()
                }
                "rs->wanted = true"
                "WRITE_ONCE(pvgen_transport_active, PVGEN_TRANSPORT_RING)"
                Call(
                    "dev_info", "rs->dev", "\"transport: ring (%d slots, kicked by %s, pvgen ABI %d)\\n\"", naming.ringSlots,
                    "kick", naming.version)
            },
            Function(
                "void", "pvgen_shutdown", Params("struct pci_dev *pdev"),
                comment: "Reboot and kexec: the next kernel must find the host holding no ring of this one."
            ) {
                Decl("struct ata_host *", "host", "pci_get_drvdata(pdev)")
                If("host && host->private_data") { "pvgen_ring_detach(host->private_data)" }
            },
            Function(
                "int", "pvgen_suspend", Params("struct device *dev"),
                comment: "Suspend, freeze and poweroff: the host lets the ring go while the guest sleeps or is saved."
            ) {
                Decl("struct ata_host *", "host", "dev_get_drvdata(dev)")
                If("host->private_data") { "pvgen_ring_detach(host->private_data)" }
                Return("0")
            },
            Function(
                "int", "pvgen_resume", Params("struct device *dev"),
                comment: "Resume, thaw and restore: attach the ring again if probe chose it."
            ) {
                Decl("struct ata_host *", "host", "dev_get_drvdata(dev)")
                Decl("struct \(ringStateStruct) *", "rs", "host->private_data")
                If("rs && rs->wanted && !pvgen_ring_attach(rs)") {
                    Call("dev_info", "dev", "\"ring: the host did not attach it again; batches go by %s\\n\"", "pvgen_transport_names[rs->kick]")
                }
                Return("0")
            },
            .macro(.call("static DEFINE_SIMPLE_DEV_PM_OPS", "pvgen_pm_ops", "pvgen_suspend", "pvgen_resume")),
        ]
    }

    /// With the model's DMA interrupt path: libata's BMDMA interrupt handler
    /// (`__ata_sff_interrupt` with `ata_bmdma_port_intr`) with that path in place of
    /// `ata_bmdma_port_intr` where it applies, and libata's check for an interrupt no port
    /// expected (`->sff_irq_check`, as `ata_piix` has it).
    func interrupt(finishDMA: String?, spurious: SpuriousAccesses?) -> [CTopLevel] {
        guard let finishDMA else { return [] }
        var items: [CTopLevel] = [
            Function(
                "unsigned int", "pvgen_port_intr", Params("struct ata_port *ap", "struct ata_queued_cmd *qc"),
                comment: "A DMA command's completion in one batch; anything else as libata does it."
            ) {
                If("ap->hsm_task_state == HSM_ST_LAST && ata_is_dma(qc->tf.protocol)") { Return(Call(finishDMA, "ap", "qc")) }
                Return("ata_bmdma_port_intr(ap, qc)")
            }
        ]
        if let spurious {
            items += [
                Function(
                    "u32", "pvgen_direct",
                    Params("struct pvgen_port *pp", "u8 op", "u8 width", "u16 port", "u32 value", "u32 mask"),
                    comment: """
                        One access with plain port I/O that touches none of the port's batch
                        state: the spurious-interrupt path runs under the host lock, beside EH
                        that may have a batch of the same port open on another CPU.
                        """
                ) {
                    Decl("struct \(naming.entryStruct)", "e")
                    Call(naming.entryInit, "&e", "op", "width", "port", "value", "mask")
                    "pvgen_exec_direct(pp, &e)"
                    Return("e.value")
                },
                Function(
                    "bool", "pvgen_irq_check", Params("struct ata_port *ap"),
                    comment: "Whether the channel's controller raises an interrupt (piix_irq_check)."
                ) {
                    Decl("struct pvgen_port *", "pp", "ap->private_data")
                    Decl("u32", "host_stat")
                    If("unlikely(!ap->ioaddr.bmdma_addr)") { Return("false") }
                    CStatement.expression(.raw("host_stat = " + spurious.interruptPending.call.flat))
                    Return("host_stat & ATA_DMA_INTR")
                },
            ]
        }
        items.append(
            Function(
                "irqreturn_t", "pvgen_interrupt", Params("int irq", "void *dev_instance"),
                comment: spurious == nil
                    ? """
                        ata_bmdma_interrupt() with pvgen_port_intr() per port. Its retry for a
                        lost interrupt needs ->sff_irq_check, which the model gives no
                        accesses for, so there is none here either.
                        """
                    : """
                        ata_bmdma_interrupt() with pvgen_port_intr() per port. When no port
                        handled it, a channel whose controller still raises it is cleared
                        (idle) or retried once (BUSY gone), as __ata_sff_interrupt() does, so
                        that a spurious or early interrupt does not end in "nobody cared".
                        """
            ) {
                Decl("struct ata_host *", "host", "dev_instance")
                if spurious != nil {
                    Decl("bool", "retried", "false")
                    Decl("unsigned int", "idle")
                    Decl("unsigned int", "polling")
                }
                Decl("unsigned int", "handled")
                Decl("unsigned long", "flags")
                Decl("unsigned int", "i")
                "spin_lock_irqsave(&host->lock, flags)"
                if let spurious {
                    CStatement.label("retry")
                    "handled = 0"
                    "idle = 0"
                    "polling = 0"
                    For("i = 0; i < host->n_ports; i++") {
                        Decl("struct ata_port *", "ap", "host->ports[i]")
                        Decl("struct ata_queued_cmd *", "qc", "ata_qc_from_tag(ap, ap->link.active_tag)")
                        CStatement.if("!qc", [.expression("idle |= 1 << i")], else: [
                            .if("qc->tf.flags & ATA_TFLAG_POLLING", [.expression("polling |= 1 << i")], else: [
                                .expression("handled |= pvgen_port_intr(ap, qc)")
                            ])
                        ])
                    }
                    If("!handled && !retried") {
                        Decl("bool", "retry", "false")
                        For("i = 0; i < host->n_ports; i++") {
                            Decl("struct ata_port *", "ap", "host->ports[i]")
                            Decl("struct pvgen_port *", "pp", "ap->private_data")
                            Decl("u8", "status")
                            If("(polling & (1 << i)) || !pvgen_irq_check(ap)") { CStatement.expression(.raw("continue")) }
                            Comment("The status read clears INTRQ.")
                            CStatement.expression(.raw("status = " + spurious.status.call.flat))
                            If("idle & (1 << i)") {
                                If("ap->ioaddr.bmdma_addr") { CStatement.expression(spurious.clear.call) }
                            } else: {
                                Comment("With a command in flight the interrupt is not cleared: it would race the completion.")
                                If("!(status & ATA_BUSY)") { "retry = true" }
                            }
                        }
                        If("retry") {
                            "retried = true"
                            CStatement.goto("retry")
                        }
                    }
                } else {
                    "handled = 0"
                    For("i = 0; i < host->n_ports; i++") {
                        Decl("struct ata_port *", "ap", "host->ports[i]")
                        Decl("struct ata_queued_cmd *", "qc", "ata_qc_from_tag(ap, ap->link.active_tag)")
                        If("qc && !(qc->tf.flags & ATA_TFLAG_POLLING)") { "handled |= pvgen_port_intr(ap, qc)" }
                    }
                }
                "spin_unlock_irqrestore(&host->lock, flags)"
                Return("IRQ_RETVAL(handled)")
            })
        return items
    }

    func registration(operations: [(String, String)], ownInterrupt: Bool) -> [CTopLevel] {
        let ops: [(String, CInitializer)] =
            [
                ("inherits", .expression("&ata_bmdma_port_ops")),
                ("cable_detect", .expression("ata_cable_40wire")),
                ("port_start", .expression("pvgen_port_start")),
                ("qc_issue", .expression("pvgen_qc_issue")),
            ] + operations.map { ($0.0, .expression(.raw($0.1))) }
        let vendor = cHex(device.pciVendor, digits: 4)
        let product = cHex(device.pciDevice, digits: 4)
        let match = device.pciSubsystem.map {
            "{ PCI_DEVICE_SUB(\(vendor), \(product), \(cHex($0.vendor, digits: 4)), \(cHex($0.device, digits: 4))) }"
        } ?? "{ PCI_DEVICE(\(vendor), \(product)) }"
        return [
            .variable(storage: "static", CDeclaration("struct scsi_host_template", "pvgen_sht", .list([.expression("ATA_BMDMA_SHT(DRV_NAME)")]))),
            .variable(storage: "static", CDeclaration("struct ata_port_operations", "pvgen_port_ops", .designated(ops))),
            Function("int", "pvgen_init_one", Params("struct pci_dev *pdev", "const struct pci_device_id *id")) {
                CStatement.declaration(
                    CDeclaration("static const struct ata_port_info", "info", .designated([
                        ("flags", .expression("ATA_FLAG_SLAVE_POSS")),
                        ("pio_mask", .expression("ATA_PIO4")),
                        ("mwdma_mask", .expression("ATA_MWDMA12_ONLY")),
                        ("port_ops", .expression("&pvgen_port_ops")),
                    ])))
                Decl("const struct ata_port_info *", "ppi[]", "{ &info, NULL }")
                if abi.ring != nil {
                    Decl("enum pvgen_transport", "transport", "pvgen_pick_transport(&pdev->dev)")
                    Decl("struct \(ringStateStruct) *", "ring", "pvgen_pick_ring(&pdev->dev, transport)")
                }
                if ownInterrupt || abi.ring != nil { Decl("struct ata_host *", "host") }
                Decl("int", "rc")
                if abi.ring != nil {
                    Comment("The kick transport until the ring is attached.")
                    "WRITE_ONCE(pvgen_transport_active, transport)"
                } else {
                    "WRITE_ONCE(pvgen_transport_active, pvgen_pick_transport(&pdev->dev))"
                }
                if ownInterrupt {
                    Comment("ata_pci_bmdma_init_one() with pvgen_interrupt(), as ata_piix sets itself up.")
                    "rc = pcim_enable_device(pdev)"
                    If("rc") { Return("rc") }
                    "rc = ata_pci_bmdma_prepare_host(pdev, ppi, &host)"
                    If("rc") { Return("rc") }
                    if abi.ring != nil { "host->private_data = ring" }
                    "pci_set_master(pdev)"
                    "rc = ata_pci_sff_activate_host(host, pvgen_interrupt, &pvgen_sht)"
                } else {
                    "rc = ata_pci_bmdma_init_one(pdev, ppi, &pvgen_sht, \(abi.ring != nil ? "ring" : "NULL"), 0)"
                    if abi.ring != nil { "host = pci_get_drvdata(pdev)" }
                }
                if abi.ring != nil {
                    If("rc || !ring") { Return("rc") }
                    "pvgen_start_ring(ring)"
                    If("pvgen_test_fail_probe") {
                        Comment("What any failure after the attach would do; the devm action detaches the ring.")
                        Call("dev_info", "&pdev->dev", "\"failing the probe after the ring (test_fail_probe)\\n\"")
                        "ata_host_detach(host)"
                        Return("-EIO")
                    }
                    Return("0")
                } else {
                    Return("rc")
                }
            },
            .variable(
                storage: "static const", CDeclaration("struct pci_device_id", "pvgen_pci_tbl[]",
                    .list([.expression(.raw(match)), .expression("{ }")]))),
            .variable(
                storage: "static", CDeclaration("struct pci_driver", "pvgen_pci_driver", .designated([
                    ("name", .expression("DRV_NAME")),
                    ("id_table", .expression("pvgen_pci_tbl")),
                    ("probe", .expression("pvgen_init_one")),
                    ("remove", .expression("ata_pci_remove_one")),
                ] + (abi.ring != nil ? [
                    ("shutdown", CInitializer.expression("pvgen_shutdown")),
                    ("driver.pm", .expression("pm_sleep_ptr(&pvgen_pm_ops)")),
                ] : [])))),
            .macro(.call("module_pci_driver", "pvgen_pci_driver")),
            .macro(.call("MODULE_DESCRIPTION", cString("\(device.summary), with pvgen batched port I/O"))),
            .macro(.call("MODULE_LICENSE", cString("GPL"))),
            .macro(.call("MODULE_DEVICE_TABLE", "pci", "pvgen_pci_tbl")),
            .macro(.call("MODULE_INFO", .raw("\(abi.prefix)_abi"), .raw(naming.fingerprint))),
        ]
    }
}
