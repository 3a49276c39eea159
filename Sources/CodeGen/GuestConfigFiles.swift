import DriverModel

/// `guest-config/`: the `none` scheduler and boot-parameter tweaks, as udev rules, an apply
/// script, a kernel command-line fragment, a README, and a kernel patch that skips
/// `verify_pmtmr_rate()` in a VM where it is still compiled in (32-bit x86). Values come from the model; the
/// templates hold only text and placeholders.
enum GuestConfigFiles {
    static let directory = "guest-config"
    static let names = [
        "60-pvgen-virtual-disk.rules", "pvgen-virtual-disk-apply.sh", "kernel-cmdline.txt", "README.md",
        "0001-clocksource-acpi_pm-skip-verify_pmtmr_rate-in-a-VM.patch",
    ]

    /// The fragment for guests with busy vCPUs, when the model has one.
    static let busyFragment = "kernel-cmdline-busy-vcpus.txt"

    static func context(_ tweaks: GuestTweaks, hostTimer: HostTimer?) -> [String: Any] {
        let disks = tweaks.virtualDisks
        var context: [String: Any] = [
            "models": disks.models.map { ["model": $0] as [String: Any] },
            "modelList": disks.models.map { "\"\($0)\"" }.joined(separator: " or "),
            "vendor": hex4(disks.pciVendor),
            "scheduler": disks.scheduler,
            "rotational": disks.rotational,
            "addRandom": disks.addRandom,
            "readAheadKb": disks.readAheadKb,
            "commandLine": tweaks.commandLine,
            "bootParameters": tweaks.bootParameters.map { ["name": $0.name, "value": $0.value, "reason": $0.reason] as [String: Any] },
            "busyCommandLine": tweaks.busyVCPUCommandLine,
            "hasBusy": !(tweaks.busyVCPUBootParameters ?? []).isEmpty,
            "busyBootParameters": (tweaks.busyVCPUBootParameters ?? []).map {
                ["name": $0.name, "value": $0.value, "reason": $0.reason] as [String: Any]
            },
        ]
        if let hostTimer { context["hostTimer"] = HostTimerPatches.context(hostTimer) }
        return context
    }

    /// `0x1af4`: how sysfs prints PCI and virtio vendor IDs.
    static func hex4(_ value: UInt16) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    static func render(_ tweaks: GuestTweaks, hostTimer: HostTimer?) throws -> [GeneratedFile] {
        let context = context(tweaks, hostTimer: hostTimer)
        let names = Self.names + ((tweaks.busyVCPUBootParameters ?? []).isEmpty ? [] : [busyFragment])
        return try names.map { name in
            GeneratedFile(path: "\(directory)/\(name)", contents: try Templates.render("\(directory)/\(name)", context))
        }
    }
}
