/// A general-purpose register of the x86-64 KVM hypercall convention.
public enum ArgumentRegister: String, Codable, Sendable, Hashable, CaseIterable {
    case rax, rbx, rcx, rdx, rsi

    /// KVM's convention (`kvm_hypercall4()`, `kvm_emulate_hypercall()`): the number in rax,
    /// arguments in rbx, rcx, rdx, rsi in that order, the result in rax.
    public static let kvmArguments: [ArgumentRegister] = [.rbx, .rcx, .rdx, .rsi]
    public static let kvmNumber: ArgumentRegister = .rax
    public static let kvmResult: ArgumentRegister = .rax
}

/// One argument of a hypercall and the register that carries it.
public struct HypercallArgument: Codable, Sendable, Hashable {
    public var name: String
    public var register: ArgumentRegister
    public var summary: String

    public init(name: String, register: ArgumentRegister, summary: String) {
        self.name = name
        self.register = register
        self.summary = summary
    }
}

/// A hypercall: its number, the arguments and what rax holds on return.
public struct Hypercall: Codable, Sendable, Hashable {
    public var name: String
    public var number: UInt32
    public var arguments: [HypercallArgument]
    public var summary: String
    public var returns: String

    public init(name: String, number: UInt32, arguments: [HypercallArgument], summary: String, returns: String) {
        self.name = name
        self.number = number
        self.arguments = arguments
        self.summary = summary
        self.returns = returns
    }
}

/// The hypercall numbers Linux 6.1 assigns (`include/uapi/linux/kvm_para.h`). A private number
/// must stay clear of them: forks of KVM that reused one (13) broke guests when upstream took it.
public enum KVMHypercallNumbers {
    public static let linux61: [String: UInt32] = [
        "KVM_HC_VAPIC_POLL_IRQ": 1,
        "KVM_HC_MMU_OP": 2,
        "KVM_HC_FEATURES": 3,
        "KVM_HC_PPC_MAP_MAGIC_PAGE": 4,
        "KVM_HC_KICK_CPU": 5,
        "KVM_HC_MIPS_GET_CLOCK_FREQ": 6,
        "KVM_HC_MIPS_EXIT_VM": 7,
        "KVM_HC_MIPS_CONSOLE_OUTPUT": 8,
        "KVM_HC_CLOCK_PAIRING": 9,
        "KVM_HC_SEND_IPI": 10,
        "KVM_HC_SCHED_YIELD": 11,
        "KVM_HC_MAP_GPA_RANGE": 12,
    ]

    /// The `KVM_HC_*` name that `number` collides with, if any.
    public static func collision(for number: UInt32) -> String? {
        linux61.filter { $0.value == number }.keys.sorted().first
    }

    /// `-KVM_ENOSYS`: what KVM returns in rax for a number it has no handler for.
    public static let enosys: Int64 = -1000
}
