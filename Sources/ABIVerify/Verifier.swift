import CodeGen
import DriverModel
import Foundation
import HypercallABI
import KernelBuild

/// `pvgen verify`: checks, from the built artifacts of a generated tree, that every guest
/// module and the host stub library agree with each other and with the model on the ABI.
///
/// Evidence, side by side:
/// - guest: each built `.ko` — its `.modinfo` (libkmod), its DWARF (pahole), and its compiled
///   code, loaded and executed: the vmcall path in Unicorn (a trapped `vmcall` is handed to the
///   host stub), the PIO doorbell path in a KVM vCPU at CPL 3;
/// - host: `libpvgen_host.a` rebuilt with `-g3` — its DWARF (pahole; the macros it was compiled
///   with), and the compiled library linked into the rig and called: which port answers the
///   doorbell magic, how each op code is treated, the largest count accepted, how each
///   hypercall number is answered and from which argument each value is taken.
public struct ABIVerifier: Sendable {
    public struct Options: Sendable {
        public var tree: URL
        public var catalog: Catalog
        /// Run the doorbell path in a KVM vCPU (otherwise, or without /dev/kvm, in Unicorn).
        public var useKVM: Bool
        /// Rebuild `host/lib` with debug information (`make -B CC="cc -g3 ..."`) first.
        public var buildHost: Bool
        /// Where the rig and extracted objects go (default: a temporary folder, removed).
        public var work: URL?

        public init(tree: URL, catalog: Catalog, useKVM: Bool = true, buildHost: Bool = true, work: URL? = nil) {
            self.tree = tree
            self.catalog = catalog
            self.useKVM = useKVM
            self.buildHost = buildHost
            self.work = work
        }
    }

    /// The names of the generated guest runtime (`GuestBatchRuntime`) the rig drives.
    enum Runtime {
        static let portStruct = "pvgen_port"
        static let transportEnum = "pvgen_transport"
        /// Runs what is queued (pvgen_submit() is this plus forgetting a cut, and is inlined).
        static let submit = "pvgen_run"
        static let probe = "pvgen_init_one"
        static let parameter = "pvgen_transport_param"
        static let active = "pvgen_transport_active"
        static let decoder = "pvgen_exec_direct"
        static func sequence(_ name: String) -> String { "pvgen_\(name)" }
        static func transport(_ name: String) -> String { "PVGEN_TRANSPORT_\(name.uppercased())" }
    }

    public let options: Options
    var naming: Naming { Naming(abi: options.catalog.abi) }
    var abi: BatchABI { options.catalog.abi }

    public init(options: Options) { self.options = options }

    public func run(progress: @Sendable (String) -> Void = { _ in }) async throws -> VerifyReport {
        let root = options.tree.standardizedFileURL.path
        let fm = FileManager.default
        guard fm.fileExists(atPath: root + "/include/\(naming.headerFile)") else {
            throw VerifyError("\(root) is not a generated tree: include/\(naming.headerFile) is missing")
        }
        let work = options.work ?? fm.temporaryDirectory.appendingPathComponent("pvgen-verify-\(UUID().uuidString.prefix(8))")
        try fm.createDirectory(at: work, withIntermediateDirectories: true)
        defer { if options.work == nil { try? fm.removeItem(at: work) } }

        // The guest modules, built.
        var modules: [(device: Device, name: String, ko: String)] = []
        for device in options.catalog.devices {
            let name = naming.guestModule(for: device)
            let ko = "\(root)/guest/\(name)/\(name).ko"
            guard fm.fileExists(atPath: ko) else {
                throw VerifyError("guest/\(name)/\(name).ko is not built: run `pvgen build \(root)` first")
            }
            modules.append((device, name, ko))
        }

        // The host library, rebuilt with DWARF and macro information.
        let hostDirectory = "\(root)/host/lib"
        let library = "\(hostDirectory)/\(naming.hostLibrary).a"
        if options.buildHost {
            progress("make -C host/lib -B CC='cc -g3 -gdwarf-4 -gstrict-dwarf'")
            let make = try await Tool.run(["make", "-C", hostDirectory, "-B", "CC=cc -g3 -gdwarf-4 -gstrict-dwarf"])
            guard make.succeeded else { throw VerifyError("make -C host/lib failed:\n\(make.text)") }
        }
        guard fm.fileExists(atPath: library) else {
            throw VerifyError("host/lib/\(naming.hostLibrary).a is not built: run `make -C \(hostDirectory)`")
        }
        let objects = work.appendingPathComponent("host-objects")
        try fm.createDirectory(at: objects, withIntermediateDirectories: true)
        let extract = try await Tool.run(["ar", "x", library], in: objects.path)
        guard extract.succeeded else { throw VerifyError("ar x \(library): \(extract.text)") }
        let members = try fm.contentsOfDirectory(atPath: objects.path).filter { $0.hasSuffix(".o") }.sorted()
        var hostStruct: (DWARFStruct, String)?
        var macros: [(DWARFMacros, String)] = []
        for member in members {
            let path = objects.appendingPathComponent(member).path
            let source = "host/lib/\(naming.hostLibrary).a(\(member))"
            if hostStruct == nil, let found = try await Pahole.read([naming.entryStruct], from: path).structs[naming.entryStruct] {
                hostStruct = (found, source)
            }
            macros.append((try await DWARFMacros.read(object: path, compiledIn: hostDirectory, root: root), source))
        }
        let host = HostFacts(
            library: "host/lib/\(naming.hostLibrary).a", entry: hostStruct, macros: macros, naming: naming)

        progress("building the rig against host/lib/\(naming.hostLibrary).a")
        let rig = ExecutionRig(
            work: work.appendingPathComponent("rig"), naming: naming, hostLibrary: library,
            hostIncludes: [hostDirectory, "\(root)/include"])
        let binary = try await rig.build()

        var checks: [Check] = []
        var coverage: [RigCoverage] = []
        var notes: [String] = []
        for module in modules {
            progress("reading \(module.name).ko (libkmod, pahole) and running it with the host stub")
            let guest = try await GuestFacts.read(
                ko: module.ko, relativePath: relative(module.ko, to: root), device: module.device, naming: naming)
            let info = try ModuleInfo.read(path: module.ko)
            let plan = try guest.plan(abi: abi, naming: naming, host: host, useKVM: options.useKVM)
            notes += plan.notes
            let output = try await rig.run(binary, plan: plan.text)
            if !output.load_error.isEmpty { throw VerifyError("the rig cannot load \(module.name).ko: \(output.load_error)") }
            if output.host.validate != 0 {
                notes.append("\(naming.host("validate"))() refused the rig's allow-all configuration (\(output.host.validate)); the host's batch answers below may reflect that")
            }
            var builder = CheckBuilder(
                module: module.name, abi: abi, naming: naming, guest: guest, host: host, output: output,
                modinfoFingerprint: info.value(of: "\(abi.prefix)_abi"), plan: plan)
            checks += builder.build()
            coverage = builder.coverage()
        }
        return VerifyReport(
            tree: root, modelFingerprint: abi.fingerprint, modules: modules.map(\.name), hostLibrary: host.library,
            coverage: coverage, checks: checks, notes: notes)
    }
}

/// What the host library's objects say about themselves.
struct HostFacts {
    var library: String
    var entry: (DWARFStruct, String)?
    var macros: [(DWARFMacros, String)]
    var naming: Naming

    /// The last definition of a macro in the library's objects, with where it came from.
    func macro(_ name: String) -> (value: Int64?, text: String, source: String)? {
        for (table, object) in macros {
            if let definition = table[name] {
                return (CLiteral.integer(definition.value), definition.value, "\(object), DWARF macro \(name) from \(definition.file):\(definition.line)")
            }
        }
        return nil
    }
}

/// What a built guest module's DWARF says, and the rig's plan for it.
struct GuestFacts {
    var ko: String
    var relativePath: String
    var device: Device
    var types: Pahole.Types

    var entry: DWARFStruct?
    var port: DWARFStruct? { types.structs[ABIVerifier.Runtime.portStruct] }

    static func read(ko: String, relativePath: String, device: Device, naming: Naming) async throws -> GuestFacts {
        // The channel structures named by the sequences (`qc->ap`: struct ata_queued_cmd).
        var names = [naming.entryStruct, ABIVerifier.Runtime.portStruct, "ata_port", ABIVerifier.Runtime.transportEnum]
        for sequence in device.sequences {
            for parameter in sequence.parameters where parameter.type.hasPrefix("struct ") || parameter.type.hasPrefix("const struct ") {
                names.append(structName(parameter.type))
            }
        }
        let types = try await Pahole.read(Array(Set(names)).sorted(), from: ko)
        var facts = GuestFacts(ko: ko, relativePath: relativePath, device: device, types: types)
        facts.entry = types.structs[naming.entryStruct]
        return facts
    }

    static func structName(_ type: String) -> String {
        type.replacingOccurrences(of: "const ", with: "").replacingOccurrences(of: "struct ", with: "")
            .replacingOccurrences(of: "*", with: "").trimmingCharacters(in: .whitespaces)
    }

    struct Plan {
        var text: String
        var functions: [String]
        var fill: String?
        var notes: [String]
        /// The port each I/O block of channel 0 sits at in the rig.
        var blocks: [String: Int]
        /// The function whose batch the ring runs post.
        var ringFunction: String?
    }

    /// The rig's plan: offsets from this module's DWARF, the functions to run with their
    /// arguments, and the model's entry layout and values for the host scans.
    func plan(abi: BatchABI, naming: Naming, host: HostFacts, useKVM: Bool) throws -> Plan {
        guard let port = port else {
            throw VerifyError("\(relativePath) has no DWARF for struct \(ABIVerifier.Runtime.portStruct): build it with debug information (`pvgen build --debug-info`; Debian's kernel configuration already gives -g)")
        }
        guard let entry else {
            throw VerifyError("\(relativePath) has no DWARF for struct \(naming.entryStruct): build it with `pvgen build --debug-info`")
        }
        guard let ataPort = types.structs["ata_port"], let privateData = ataPort.member("private_data") else {
            throw VerifyError("\(relativePath) has no DWARF for struct ata_port")
        }
        guard let transports = types.enums[ABIVerifier.Runtime.transportEnum] else {
            throw VerifyError("\(relativePath) has no DWARF for enum \(ABIVerifier.Runtime.transportEnum)")
        }
        var lines = ["# pvgen verify: the rig's plan for \(relativePath)", "ko \(ko)"]
        func member(_ name: String) throws -> DWARFStruct.Member {
            guard let found = port.member(name) else {
                throw VerifyError("\(relativePath): struct \(ABIVerifier.Runtime.portStruct) has no member \(name)")
            }
            return found
        }
        lines.append("pp_size \(port.size)")
        for name in ["ap", "transport", "queue", "gpa", "count", "hold", "cut"] {
            let m = try member(name)
            lines.append("pp_\(name) \(m.offset) \(m.size)")
        }
        // The channel's ring, where the module has one (the ring runs need it).
        if abi.ring != nil, let ring = port.member("ring") {
            lines.append("pp_ring \(ring.offset) \(ring.size)")
        }
        var blocks: [String: Int] = [:]
        for block in device.blocks {
            guard let m = port.member(block.name), let base = block.bases.first else { continue }
            let value: Int
            switch base {
            case .fixed(let port): value = Int(port)
            case .pciBar(_, let offset): value = 0xc000 + Int(offset)
            }
            blocks[block.name] = value
            lines.append("pp_block \(block.name) \(m.offset) \(m.size) \(value)")
        }
        lines.append("ap_size \(ataPort.size)")
        lines.append("ap_private_data \(privateData.offset)")
        lines.append("guest_entry_size \(entry.size)")
        for name in ["auto", "vmcall", "doorbell", "direct"] {
            guard let value = transports.cases[ABIVerifier.Runtime.transport(name)] else {
                throw VerifyError("\(relativePath): enum \(ABIVerifier.Runtime.transportEnum) has no \(ABIVerifier.Runtime.transport(name))")
            }
            lines.append("transport \(name) \(value)")
        }
        if abi.ring != nil, let value = transports.cases[ABIVerifier.Runtime.transport("ring")] {
            lines.append("transport ring \(value)")
        }
        lines.append("sym_init \(ABIVerifier.Runtime.probe)")
        lines.append("sym_submit \(ABIVerifier.Runtime.submit)")
        lines.append("sym_param \(ABIVerifier.Runtime.parameter)")
        lines.append("sym_active \(ABIVerifier.Runtime.active)")
        lines.append("sym_decode \(ABIVerifier.Runtime.decoder)")
        for field in ["op", "width", "port", "value", "mask", "result"] {
            if let m = entry.member(field) { lines.append("guest_field \(field) \(m.offset) \(m.size)") }
        }

        // Every sequence whose arguments the rig can make up: the channel, pointers to zeroed
        // memory, zero integers.
        var functions: [String] = []
        var notes: [String] = []
        var fill: String?
        let plan = BatchPlanner.plan(device)
        for sequencePlan in plan.sequences {
            let sequence = sequencePlan.sequence
            if sequence.path != nil {
                notes.append("\(ABIVerifier.Runtime.sequence(sequence.name)) not run: a path of the driver (inlined into its caller) runs the operations above in one batch; the KVM exit rig and the guest boot tests run it")
                continue
            }
            var kinds: [String] = []
            var usable = true
            for parameter in sequence.parameters {
                if parameter.name == sequence.channel {
                    kinds.append("ap")
                } else if sequence.channel.hasPrefix("\(parameter.name)->") {
                    let field = String(sequence.channel.dropFirst(parameter.name.count + 2))
                    guard let owner = types.structs[Self.structName(parameter.type)], let m = owner.member(field) else {
                        usable = false
                        break
                    }
                    kinds.append("chan:\(m.offset)")
                } else if parameter.type.contains("*") {
                    kinds.append("ptr")
                } else {
                    kinds.append("int")
                }
            }
            guard usable, sequence.parameters.count <= 6 else {
                notes.append("\(ABIVerifier.Runtime.sequence(sequence.name)) not run: the rig cannot find its channel \(sequence.channel) in DWARF")
                continue
            }
            let name = ABIVerifier.Runtime.sequence(sequence.name)
            lines.append("func \(name) \(kinds.joined(separator: " "))")
            // The fill function: leaves the batch open inside ->qc_issue() and queues an
            // access on every call.
            if fill == nil, sequencePlan.submitsAtEnd,
                sequencePlan.steps.allSatisfy({ $0.submitAfter == nil }),
                !sequencePlan.steps.contains(where: { if case .call = $0.step.action { return true } else { return false } }),
                sequencePlan.steps.contains(where: { $0.access != nil && $0.step.guardName == nil })
            {
                fill = name
                lines.append("fill \(functions.count) 512")
            }
            functions.append(name)
        }
        if fill == nil { notes.append("no sequence leaves a batch open on every call: the guest's entry limit is read from DWARF only") }

        lines.append("use_kvm \(useKVM ? 1 : 0)")
        lines.append("model_entry_size \(abi.entry.size)")
        for field in abi.entry.fields { lines.append("model_field \(field.name) \(field.offset) \(field.type.size)") }
        lines.append("model_out \(abi.opCode(for: .out)?.code ?? 0)")
        lines.append("model_in \(abi.opCode(for: .in)?.code ?? 0)")
        lines.append("model_result_pending \(abi.results.first { $0.name == "pending" }?.value ?? 1)")
        lines.append("model_err_count \(abi.errors.first { $0.name == "count" }?.value ?? -3)")
        var numbers = Set(abi.hypercalls.map { UInt64($0.number) })
        for call in abi.hypercalls {
            if let value = host.macro(naming.hypercall(call))?.value { numbers.insert(UInt64(bitPattern: value)) }
        }
        for number in numbers.sorted() { lines.append("model_nr \(hex(number))") }
        var ringFunction: String?
        if let ring = abi.ring {
            // The model's ring, for the host's ring scan, and the function the ring runs post:
            // the fill function (it queues an access on every call), else the first one run.
            for field in ring.header.fields where ["magic", "nr_slots", "flags", "prod", "cons", "count", "ret"].contains(field.name) {
                lines.append("model_ring_field \(field.name) \(field.offset) \(field.type.size)")
            }
            lines.append("model_ring_magic \(hex(UInt64(ring.magic)))")
            lines.append("model_ring_slots \(ring.slots)")
            lines.append("model_ring_slots_offset \(abi.limits.pageSize)")
            lines.append("model_ring_size \(RingTransport.pages * abi.limits.pageSize)")
            lines.append("model_ring_slot_bytes \(abi.limits.maxEntries * abi.entry.size)")
            lines.append("model_ring_op_mask \(hex(UInt64(abi.limits.pageSize - 1)))")
            if let index = fill.flatMap(functions.firstIndex(of:)) ?? (functions.isEmpty ? nil : 0) {
                lines.append("ring_func \(index)")
                ringFunction = functions[index]
            }
        }
        return Plan(
            text: lines.joined(separator: "\n") + "\n", functions: functions, fill: fill, notes: notes, blocks: blocks,
            ringFunction: ringFunction)
    }
}
