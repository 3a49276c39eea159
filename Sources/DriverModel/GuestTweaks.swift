/// Guest boot and block-queue configuration that removes VM exits without a kernel module:
/// the blk-mq `none` elevator and virtual-disk queue settings, and kernel command-line
/// parameters such as `pmtmr=0`.
///
/// In Linux 6.1 neither of these is reachable from a loadable module: `block/elevator.c`
/// exports no function that switches a queue's elevator (`elevator_switch` and
/// `elv_iosched_store` are static or internal), and the `elevator=` boot parameter is
/// ignored since 5.x; the ACPI PM-timer clocksource is registered by built-in code at boot,
/// before any module loads. So pvgen generates configuration (udev rules, an apply script,
/// a command-line fragment) from this model instead of C.
public struct GuestTweaks: Codable, Sendable, Hashable {
    public var virtualDisks: VirtualDiskQueue
    public var bootParameters: [BootParameter]
    /// Parameters only for guests whose vCPUs are busy much of the time (`nohz_full`): they
    /// cost an idle guest more than they save it, so they get a fragment of their own.
    public var busyVCPUBootParameters: [BootParameter]?

    public init(virtualDisks: VirtualDiskQueue, bootParameters: [BootParameter], busyVCPUBootParameters: [BootParameter]? = nil) {
        self.virtualDisks = virtualDisks
        self.bootParameters = bootParameters
        self.busyVCPUBootParameters = busyVCPUBootParameters
    }

    /// The kernel command line fragment: `name=value` pairs, space separated, model order.
    public var commandLine: String { Self.commandLine(bootParameters) }

    /// The busy-vCPU fragment, empty when there is none.
    public var busyVCPUCommandLine: String { Self.commandLine(busyVCPUBootParameters ?? []) }

    static func commandLine(_ parameters: [BootParameter]) -> String {
        parameters.map { "\($0.name)=\($0.value)" }.joined(separator: " ")
    }
}

/// Which disks are virtual, and the queue settings they get.
public struct VirtualDiskQueue: Codable, Sendable, Hashable {
    /// SCSI/ATA model strings the VMM presents (sysfs `device/model`, trailing blanks
    /// stripped): QEMU's IDE and SCSI disks say "QEMU HARDDISK".
    public var models: [String]
    /// PCI (and virtio subsystem) vendor of virtio disks: 0x1af4 (Red Hat, Inc.) for QEMU.
    public var pciVendor: UInt16
    /// The blk-mq elevator, `none` for a virtual disk: the host schedules again anyway.
    public var scheduler: String
    /// `queue/rotational`: 0, a virtual disk has no seek cost the guest can see.
    public var rotational: Int
    /// `queue/add_random`: 0, I/O completion timing of a virtual disk is no entropy source.
    public var addRandom: Int
    /// `queue/read_ahead_kb`.
    public var readAheadKb: Int

    public init(models: [String], pciVendor: UInt16, scheduler: String, rotational: Int, addRandom: Int, readAheadKb: Int) {
        self.models = models
        self.pciVendor = pciVendor
        self.scheduler = scheduler
        self.rotational = rotational
        self.addRandom = addRandom
        self.readAheadKb = readAheadKb
    }
}

/// One kernel command-line parameter and why it is there.
public struct BootParameter: Codable, Sendable, Hashable {
    public var name: String
    public var value: String
    public var reason: String

    public init(name: String, value: String, reason: String) {
        self.name = name
        self.value = value
        self.reason = reason
    }
}

extension GuestTweaks {
    /// What QEMU presents: IDE/SCSI disks with model "QEMU HARDDISK", virtio disks from
    /// vendor 0x1af4.
    public static let qemu = GuestTweaks(
        virtualDisks: VirtualDiskQueue(
            models: ["QEMU HARDDISK"], pciVendor: 0x1af4, scheduler: "none", rotational: 0, addRandom: 0, readAheadKb: 128),
        bootParameters: [
            BootParameter(
                name: "pmtmr", value: "0",
                reason: "no ACPI PM-timer clocksource: its registration reads the PM-timer port in loops, each read an exit")
        ],
        busyVCPUBootParameters: [
            BootParameter(
                name: "nohz_full", value: "1-N",
                reason: "no periodic tick on a busy vCPU other than CPU 0: a 6.1 guest ticks from the LAPIC timer at HZ=250 on every busy vCPU (1-N is every CPU but the first, whatever the vCPU count; a one-vCPU guest ignores it)")
        ])

    /// Every problem, each naming the field at fault.
    public static func validate(_ tweaks: GuestTweaks, at path: String) -> [Diagnostic] {
        var found: [Diagnostic] = []
        let disks = tweaks.virtualDisks
        let prefix = "\(path).virtual_disks"
        if disks.models.isEmpty {
            found.append(Diagnostic(field: "\(prefix).models", message: "name at least one disk model string"))
        }
        for (index, model) in disks.models.enumerated() where !isPlainText(model) || model.hasSuffix(" ") {
            found.append(
                Diagnostic(
                    field: "\(prefix).models[\(index)]",
                    message: "'\(model)' must be non-empty printable ASCII without quotes, backslashes, '$', '`', glob characters or trailing blanks"))
        }
        if disks.scheduler.isEmpty || !disks.scheduler.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == "_") }) {
            found.append(Diagnostic(field: "\(prefix).scheduler", message: "'\(disks.scheduler)' is not an elevator name (none, mq-deadline, bfq, kyber)"))
        }
        if ![0, 1].contains(disks.rotational) { found.append(Diagnostic(field: "\(prefix).rotational", message: "must be 0 or 1")) }
        if ![0, 1].contains(disks.addRandom) { found.append(Diagnostic(field: "\(prefix).add_random", message: "must be 0 or 1")) }
        if !(0...65536).contains(disks.readAheadKb) {
            found.append(Diagnostic(field: "\(prefix).read_ahead_kb", message: "\(disks.readAheadKb) is outside 0...65536"))
        }
        let lists = [("boot_parameters", tweaks.bootParameters), ("busy_vcpu_boot_parameters", tweaks.busyVCPUBootParameters ?? [])]
        for (list, parameters) in lists {
            found += validate(parameters, at: "\(path).\(list)")
        }
        return found
    }

    static func validate(_ parameters: [BootParameter], at path: String) -> [Diagnostic] {
        var found: [Diagnostic] = []
        for (index, parameter) in parameters.enumerated() {
            let field = "\(path)[\(index)]"
            if parameter.name.isEmpty || !parameter.name.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "._-".unicodeScalars.contains($0)) }) {
                found.append(Diagnostic(field: "\(field).name", message: "'\(parameter.name)' is not a kernel parameter name"))
            }
            if !parameter.value.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 0x20 && $0.value < 0x7f && $0 != "\"" }) {
                found.append(Diagnostic(field: "\(field).value", message: "'\(parameter.value)' must be printable ASCII without blanks or quotes"))
            }
            if parameter.reason.contains("\n") {
                found.append(Diagnostic(field: "\(field).reason", message: "one line, please"))
            }
        }
        return found
    }

    /// Safe inside a udev match string and a double-quoted shell string.
    static func isPlainText(_ text: String) -> Bool {
        !text.isEmpty
            && text.unicodeScalars.allSatisfy { $0.isASCII && $0.value >= 0x20 && $0.value < 0x7f && !"\"\\$`*?[]|".unicodeScalars.contains($0) }
    }
}
