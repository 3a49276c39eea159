/// Names a model must not use because the C that pvgen generates from them would collide with
/// the C language, the kernel headers a guest module includes (libata, PCI, KVM), or the
/// generated runtime's own identifiers. The rule, per kind of name:
///
/// - every name: a C identifier (`CIdentifier.isValid`), not a C or GNU C keyword, and not
///   starting with an underscore (reserved for the compiler and the kernel's internals);
/// - the ABI prefix and device names start generated globals (`<prefix>_*`, `<PREFIX>_*`,
///   `enum <device>_reg`, `<DEVICE>_<REGISTER>`): they must be lower case and must not be,
///   or begin with `<namespace>_` for, a kernel namespace such as `ata`, `pci` or `kvm`
///   (a device `ata` with a register `err` would define libata's `ATA_ERR`);
/// - sequence names become `pvgen_<name>()` beside the runtime's helpers (`pvgen_submit()`):
///   they must not be one of those;
/// - I/O block names become members of the per-channel `struct pvgen_port`: they must not be
///   one of its other members;
/// - sequence parameters and locals are C variables in generated functions: lower case
///   (upper case names are the kernel's macros, `ATA_BUSY`), and not a kernel type or
///   global in scope (`u8`, `current`, `jiffies`) or the generated local `pp`.
public enum ReservedNames {
    /// C11 keywords and the GNU C ones the kernel is compiled with.
    public static let cKeywords: Set<String> = [
        "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum", "extern",
        "float", "for", "goto", "if", "inline", "int", "long", "register", "restrict", "return", "short", "signed",
        "sizeof", "static", "struct", "switch", "typedef", "union", "unsigned", "void", "volatile", "while",
        "_Alignas", "_Alignof", "_Atomic", "_Bool", "_Complex", "_Generic", "_Imaginary", "_Noreturn",
        "_Static_assert", "_Thread_local", "asm", "typeof", "__typeof__", "__attribute__", "__asm__",
    ]

    /// Prefixes of kernel subsystems whose public headers (include/linux, include/uapi, asm)
    /// a generated module or host stub includes, or whose symbols it links against. Driver-
    /// private prefixes (an `e1000` device) are fine: their headers are never included.
    public static let kernelNamespaces: Set<String> = [
        "ata", "libata", "sata", "scsi", "blk", "bio", "bvec", "pci", "pcie", "kvm", "x86", "irq", "dma",
        "acpi", "virtio", "linux", "kernel", "module", "dev", "device", "driver", "sysfs", "kobject", "mm",
        "page", "cpu", "io", "ioport", "hv", "xen", "arch", "asm", "uapi", "elevator",
    ]

    /// The `pvgen_*` identifiers the generated guest runtime defines itself (without the
    /// prefix). A test checks this list against the generated module.
    public static let runtimeIdentifiers: Set<String> = [
        "abi", "append", "append_in", "append_in_expect", "append_in_wait", "append_out", "append_rmw", "call",
        "cut_after", "deliver", "direct", "doorbell_present", "entry_init", "exec_direct", "init_one", "interrupt",
        "io_entry", "irq_check", "lose", "op_done", "param_get_stat", "param_get_transport", "pci_driver", "pci_tbl",
        "pick_ring", "pick_transport", "pio_in", "pio_out", "pm_ops", "port", "port_intr", "port_ops", "port_start",
        "qc_issue", "replay", "resume", "ring", "ring_alloc", "ring_attach", "ring_call", "ring_detach",
        "ring_detach_locked", "ring_op", "ring_release", "ring_state", "ring_status", "ring_wait", "run", "sht",
        "shutdown", "start_ring", "stat", "stat_add", "stat_ops", "stats", "submit", "suspend", "test_fail_probe",
        "transport", "transport_active", "transport_active_ops", "transport_names", "transport_ops",
        "transport_param", "transport_set", "vmcall_present", "wait_more",
    ]

    /// Members of `struct pvgen_port` besides the I/O block bases.
    public static let portMembers: Set<String> = ["ap", "transport", "queue", "gpa", "dest", "expected", "count", "hold", "cut", "ring"]

    /// Lower-case names that generated functions cannot use for a variable.
    public static let variableNames: Set<String> = [
        "pp", "current", "jiffies", "jiffies_64", "bool", "true", "false", "u8", "u16", "u32", "u64", "s8",
        "s16", "s32", "s64", "size_t", "ssize_t", "loff_t", "dma_addr_t", "phys_addr_t", "resource_size_t",
        "irqreturn_t", "uintptr_t", "printk", "errno",
    ]

    /// Why `name` cannot be used at all, if it cannot (a keyword or a reserved spelling).
    /// `nil` also for names that are not identifiers: `CIdentifier.isValid` reports those.
    public static func languageProblem(_ name: String) -> String? {
        guard CIdentifier.isValid(name) else { return nil }
        if cKeywords.contains(name) { return "'\(name)' is a C keyword" }
        if name.hasPrefix("_") { return "'\(name)' starts with an underscore, which C reserves for the compiler and the kernel" }
        return nil
    }

    /// Why a name that starts generated globals (the ABI prefix, a device name) cannot be used.
    public static func namespaceProblem(_ name: String, what: String) -> String? {
        guard CIdentifier.isValid(name) else { return nil }
        if let problem = languageProblem(name) { return problem }
        if name != name.lowercased() { return "'\(name)' must be lower case: it starts \(what)" }
        let first = String(name.split(separator: "_").first ?? "")
        if kernelNamespaces.contains(first) {
            return "'\(name)' is in the kernel's '\(first)_' namespace: it starts \(what), which would collide with the kernel's own \(first.uppercased())_* and \(first)_* symbols"
        }
        return nil
    }

    /// Why a sequence parameter or local cannot be called `name`.
    public static func variableProblem(_ name: String) -> String? {
        guard CIdentifier.isValid(name) else { return nil }
        if let problem = languageProblem(name) { return problem }
        if name != name.lowercased() { return "'\(name)' must be lower case: upper case names are the kernel's macros" }
        if variableNames.contains(name) { return "'\(name)' is a kernel type or global, or a variable the generated code declares" }
        return nil
    }
}
