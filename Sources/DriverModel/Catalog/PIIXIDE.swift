/// The PIIX3 IDE controller QEMU presents (PCI 8086:7010), as libata 6.1 drives it.
///
/// Register semantics follow ATA/ATAPI-6 and the SFF-8038i bus-master spec; the sequences are
/// the accesses of `drivers/ata/libata-sff.c` in Linux 6.1, in the same order, so that the
/// device sees the same register trace whether or not they are batched.
public enum PIIXIDE {
    /// `ATA_DEVCTL_OBS | ATA_NIEN | ATA_HOB`: the bits libata puts in `tf->ctl`. SRST (bit 2)
    /// is only ever written by the reset path, which this driver leaves to libata.
    static let taskfileControlBits: UInt32 = 0x8a
    static let dmaStart: UInt32 = 0x01
    static let dmaWrite: UInt32 = 0x08

    public static let device = Device(
        name: "piix_ide",
        summary: "Intel PIIX3 IDE controller (QEMU -device piix3-ide), libata SFF/BMDMA",
        pciVendor: 0x8086,
        pciDevice: 0x7010,
        blocks: blocks,
        registers: registers,
        sequences: sequences,
        qemuType: "piix3-ide",
        stockDriver: "ata_piix",
        // QEMU's default subsystem IDs: a real PIIX3 needs timings this driver never programs.
        pciSubsystem: PCISubsystem(vendor: 0x1af4, device: 0x1100)
    )

    static let blocks: [IOBlock] = [
        IOBlock(
            name: "cmd", size: 8, bases: [.fixed(0x1f0), .fixed(0x170)],
            // The PCI core reports the legacy ranges as BARs 0-3 (drivers/pci/probe.c).
            guestBase: "pci_resource_start(pdev, 2 * ap->port_no)",
            summary: "ATA command block (legacy compatibility-mode addresses)"),
        IOBlock(
            name: "ctl", size: 1, bases: [.fixed(0x3f6), .fixed(0x376)],
            guestBase: "pci_resource_start(pdev, 2 * ap->port_no + 1) | ATA_PCI_CTL_OFS",
            summary: "ATA control block: alternate status / device control"),
        IOBlock(
            name: "bmdma", size: 8, bases: [.pciBar(index: 4, offset: 0), .pciBar(index: 4, offset: 8)],
            guestBase: "pci_resource_start(pdev, 4) + 8 * ap->port_no",
            // libata falls back to PIO, without bus-master registers, when BAR4 is zero.
            presentWhen: "ap->ioaddr.bmdma_addr",
            summary: "SFF-8038i bus-master DMA registers in BAR4"),
    ]

    static let registers: [Register] = [
        Register(
            name: "data", block: "cmd", offset: 0, width: .word, access: .readWrite,
            summary: "PIO data port"),
        Register(
            name: "error", block: "cmd", offset: 1, width: .byte, access: .read,
            summary: "error register"),
        Register(
            name: "feature", block: "cmd", offset: 1, width: .byte, access: .write,
            summary: "features (HOB byte first for LBA48)"),
        Register(
            name: "nsect", block: "cmd", offset: 2, width: .byte, access: .readWrite,
            summary: "sector count"),
        Register(
            name: "lbal", block: "cmd", offset: 3, width: .byte, access: .readWrite,
            summary: "LBA bits 0-7 (24-31 as HOB)"),
        Register(
            name: "lbam", block: "cmd", offset: 4, width: .byte, access: .readWrite,
            summary: "LBA bits 8-15 (32-39 as HOB)"),
        Register(
            name: "lbah", block: "cmd", offset: 5, width: .byte, access: .readWrite,
            summary: "LBA bits 16-23 (40-47 as HOB)"),
        Register(
            name: "device", block: "cmd", offset: 6, width: .byte, access: .readWrite,
            summary: "device select and LBA mode"),
        Register(
            name: "status", block: "cmd", offset: 7, width: .byte, access: .read,
            onRead: .clearsState, summary: "status; reading it clears INTRQ"),
        Register(
            name: "command", block: "cmd", offset: 7, width: .byte, access: .write,
            onWrite: .triggers, summary: "command; writing it starts it"),
        Register(
            name: "altstatus", block: "ctl", offset: 0, width: .byte, access: .read,
            summary: "status without clearing INTRQ"),
        Register(
            name: "devctl", block: "ctl", offset: 0, width: .byte, access: .write,
            onWrite: .triggersWhenSet(0x04), summary: "device control: nIEN, SRST, HOB"),
        Register(
            name: "bmdma_cmd", block: "bmdma", offset: 0, width: .byte, access: .readWrite,
            onWrite: .triggersWhenSet(dmaStart),
            bits: [RegisterBit(name: "ATA_DMA_START", mask: dmaStart), RegisterBit(name: "ATA_DMA_WR", mask: dmaWrite)],
            summary: "bus-master command: start, direction"),
        Register(
            name: "bmdma_status", block: "bmdma", offset: 2, width: .byte, access: .readWrite,
            summary: "bus-master status, write one to clear"),
        Register(
            name: "bmdma_prd", block: "bmdma", offset: 4, width: .dword, access: .readWrite,
            summary: "physical address of the PRD table"),
    ]

    static let ap = CVariable(type: "struct ata_port *", name: "ap")
    static let tf = CVariable(type: "const struct ata_taskfile *", name: "tf")
    static let qc = CVariable(type: "struct ata_queued_cmd *", name: "qc")
    static let waitIdle = ReadUse.waitUntilClear(mask: "ATA_BUSY | ATA_DRQ")

    static func write(_ register: String, _ value: String, bits: UInt32? = nil, when guardName: String? = nil) -> Step {
        Step(.write(register: register, value: value, valueBits: bits), when: guardName)
    }

    static func read(_ register: String, _ use: ReadUse, when guardName: String? = nil) -> Step {
        Step(.read(register: register, use: use), when: guardName)
    }

    static let sequences: [AccessSequence] = [
        AccessSequence(
            name: "tf_load",
            summary: "load the taskfile registers (ata_sff_tf_load)",
            operation: "sff_tf_load",
            parameters: [ap, tf],
            channel: "ap",
            locals: [CVariable(type: "unsigned int", name: "is_addr", initializer: "tf->flags & ATA_TFLAG_ISADDR")],
            guards: [
                Guard(name: "ctl_changed", condition: "tf->ctl != ap->last_ctl"),
                Guard(name: "lba48", condition: "is_addr && (tf->flags & ATA_TFLAG_LBA48)"),
                Guard(name: "is_addr", condition: "is_addr"),
                Guard(name: "has_device", condition: "tf->flags & ATA_TFLAG_DEVICE"),
            ],
            steps: [
                write("devctl", "tf->ctl", bits: taskfileControlBits, when: "ctl_changed"),
                Step(.statement("ap->last_ctl = tf->ctl"), when: "ctl_changed"),
                read("status", waitIdle, when: "ctl_changed"),
                write("feature", "tf->hob_feature", when: "lba48"),
                write("nsect", "tf->hob_nsect", when: "lba48"),
                write("lbal", "tf->hob_lbal", when: "lba48"),
                write("lbam", "tf->hob_lbam", when: "lba48"),
                write("lbah", "tf->hob_lbah", when: "lba48"),
                write("feature", "tf->feature", when: "is_addr"),
                write("nsect", "tf->nsect", when: "is_addr"),
                write("lbal", "tf->lbal", when: "is_addr"),
                write("lbam", "tf->lbam", when: "is_addr"),
                write("lbah", "tf->lbah", when: "is_addr"),
                write("device", "tf->device", when: "has_device"),
                read("status", waitIdle),
            ],
            continuesInto: ["exec_command", "bmdma_setup"]
        ),
        AccessSequence(
            name: "exec_command",
            summary: "issue the command, then the 400 ns pause (ata_sff_exec_command)",
            operation: "sff_exec_command",
            parameters: [ap, tf],
            channel: "ap",
            steps: [
                write("command", "tf->command"),
                read("altstatus", .discarded),
                Step(.statement("ndelay(400)")),
            ]
        ),
        AccessSequence(
            name: "dev_select",
            summary: "select device 0 or 1, then pause (ata_sff_dev_select)",
            operation: "sff_dev_select",
            parameters: [ap, CVariable(type: "unsigned int", name: "device")],
            channel: "ap",
            locals: [CVariable(type: "u8", name: "select", initializer: "device ? ATA_DEVICE_OBS | ATA_DEV1 : ATA_DEVICE_OBS")],
            steps: [
                write("device", "select"),
                read("altstatus", .discarded),
                Step(.statement("ndelay(400)")),
            ]
        ),
        AccessSequence(
            name: "bmdma_setup",
            summary: "load the PRD table address, set the direction, issue the command (ata_bmdma_setup)",
            operation: "bmdma_setup",
            parameters: [qc],
            channel: "qc->ap",
            locals: [
                CVariable(type: "struct ata_port *", name: "ap", initializer: "qc->ap"),
                CVariable(type: "unsigned int", name: "rw", initializer: "qc->tf.flags & ATA_TFLAG_WRITE"),
            ],
            steps: [
                Step(.statement("mb()"), note: "Make the PRD table visible to the controller first."),
                write("bmdma_prd", "ap->bmdma_prd_dma"),
                Step(.update(register: "bmdma_cmd", keep: 0xff & ~(dmaWrite | dmaStart), set: "rw ? 0 : ATA_DMA_WR", setBits: dmaWrite)),
                Step(.call(sequence: "exec_command", arguments: ["ap", "&qc->tf"])),
            ],
            continuesInto: ["bmdma_start"]
        ),
        AccessSequence(
            name: "bmdma_start",
            summary: "start the bus-master transfer (ata_bmdma_start)",
            operation: "bmdma_start",
            parameters: [qc],
            channel: "qc->ap",
            steps: [
                Step(.update(register: "bmdma_cmd", keep: 0xff, set: "ATA_DMA_START", setBits: dmaStart)),
            ]
        ),
        AccessSequence(
            name: "bmdma_stop",
            summary: "clear the start bit, then the one-PIO-cycle pause (ata_bmdma_stop)",
            operation: "bmdma_stop",
            parameters: [qc],
            channel: "qc->ap",
            steps: [
                Step(.update(register: "bmdma_cmd", keep: 0xff & ~dmaStart, set: "0", setBits: 0)),
                read("altstatus", .discarded),
            ]
        ),
        AccessSequence(
            name: "irq_clear",
            summary: "acknowledge the bus-master interrupt and error bits (ata_bmdma_irq_clear)",
            operation: "sff_irq_clear",
            parameters: [ap],
            channel: "ap",
            guards: [Guard(name: "has_bmdma", condition: "ap->ioaddr.bmdma_addr")],
            steps: [
                Step(
                    .update(register: "bmdma_status", keep: 0xff, set: "0", setBits: 0), when: "has_bmdma",
                    note: "Write back what was read: the bits are write-one-to-clear."),
            ]
        ),
        AccessSequence(
            name: "bmdma_status",
            summary: "read the bus-master status (ata_bmdma_status)",
            operation: "bmdma_status",
            returnType: "u8",
            parameters: [ap],
            channel: "ap",
            steps: [read("bmdma_status", .needed(into: "status"))],
            result: "status"
        ),
        AccessSequence(
            name: "check_status",
            summary: "read the status register, acknowledging INTRQ (ata_sff_check_status)",
            operation: "sff_check_status",
            returnType: "u8",
            parameters: [ap],
            channel: "ap",
            steps: [read("status", .needed(into: "status"))],
            result: "status"
        ),
        AccessSequence(
            name: "check_altstatus",
            summary: "read the alternate status register (ata_sff_check_altstatus)",
            operation: "sff_check_altstatus",
            returnType: "u8",
            parameters: [ap],
            channel: "ap",
            steps: [read("altstatus", .needed(into: "status"))],
            result: "status"
        ),
        AccessSequence(
            name: "issue_dma",
            summary: "issue an ATA DMA command as ata_bmdma_qc_issue() does, its waits for idle queued as IN_WAIT entries",
            path: .dmaIssue,
            returnType: "unsigned int",
            parameters: [qc],
            channel: "qc->ap",
            locals: [CVariable(type: "struct ata_port *", name: "ap", initializer: "qc->ap")],
            steps: [
                Step(.statement("WARN_ON_ONCE(qc->tf.flags & ATA_TFLAG_POLLING)")),
                Step(
                    .read(register: "status", use: waitIdle),
                    note: "ata_dev_select(): wait for idle, select, wait for idle again."),
                Step(.call(sequence: "dev_select", arguments: ["ap", "qc->dev->devno"])),
                read("status", waitIdle),
                Step(.call(sequence: "tf_load", arguments: ["ap", "&qc->tf"])),
                Step(.call(sequence: "bmdma_setup", arguments: ["qc"])),
                Step(.call(sequence: "bmdma_start", arguments: ["qc"])),
                Step(.statement("ap->hsm_task_state = HSM_ST_LAST")),
            ],
            result: "0"
        ),
        AccessSequence(
            name: "dma_intr",
            summary: "finish a DMA command from its interrupt, as ata_bmdma_port_intr() and __ata_sff_port_intr() do in HSM_ST_LAST",
            path: .dmaInterrupt,
            returnType: "unsigned int",
            parameters: [ap, qc],
            channel: "ap",
            guards: [
                Guard(name: "dma_error", condition: "unlikely(host_stat & ATA_DMA_ERR)"),
                Guard(name: "failed", condition: "unlikely(qc->err_mask)"),
            ],
            steps: [
                Step(
                    .read(
                        register: "bmdma_status",
                        use: .expect(
                            mask: "ATA_DMA_INTR", equals: "ATA_DMA_INTR", into: "host_stat",
                            otherwise: [
                                Step(.statement("ap->stats.idle_irq++"), note: "Not our interrupt (ata_sff_idle_irq())."),
                                Step(.statement("return 0")),
                            ])),
                    note: "The engine's status: not our interrupt unless INTR is set."),
                Step(.call(sequence: "bmdma_stop", arguments: ["qc"]), note: "Before anything else, clear the start bit."),
                Step(
                    .read(
                        register: "altstatus",
                        use: .expect(
                            mask: "ATA_BUSY", equals: "0", into: "status",
                            otherwise: [
                                Step(
                                    .statement("qc->err_mask |= AC_ERR_HSM"),
                                    note: "Busy with the engine stopped: an HSM violation."),
                                Step(.statement("ap->hsm_task_state = HSM_ST_ERR")),
                                Step(.call(sequence: "irq_clear", arguments: ["ap"])),
                            ])),
                    note: "ata_sff_irq_status(): altstatus, then status, which clears INTRQ."),
                read("status", .deferred(into: "status")),
                Step(.call(sequence: "irq_clear", arguments: ["ap"])),
                Step(.statement("qc->err_mask |= AC_ERR_HOST_BUS"), when: "dma_error"),
                Step(.statement("ap->hsm_task_state = HSM_ST_ERR"), when: "dma_error"),
                Step(.statement("ata_sff_hsm_move(ap, qc, status, 0)")),
                Step(.statement("ata_ehi_push_desc(&ap->link.eh_info, \"BMDMA stat 0x%x\", host_stat)"), when: "failed"),
            ],
            result: "1"
        ),
    ]
}
