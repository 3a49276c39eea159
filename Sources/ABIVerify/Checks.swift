import CodeGen
import DriverModel
import Foundation
import HypercallABI

/// Turns what was read and run into report rows: model, guest and host value of each ABI fact.
struct CheckBuilder {
    let module: String
    let abi: BatchABI
    let naming: Naming
    let guest: GuestFacts
    let host: HostFacts
    let output: RigOutput
    let modinfoFingerprint: String?
    let plan: GuestFacts.Plan
    var checks: [Check] = []

    init(
        module: String, abi: BatchABI, naming: Naming, guest: GuestFacts, host: HostFacts, output: RigOutput,
        modinfoFingerprint: String?, plan: GuestFacts.Plan
    ) {
        self.module = module
        self.abi = abi
        self.naming = naming
        self.guest = guest
        self.host = host
        self.output = output
        self.modinfoFingerprint = modinfoFingerprint
        self.plan = plan
    }

    var ko: String { guest.relativePath }
    var lib: String { host.library }
    var doorbellRig: String { output.kvm.available ? "kvm" : "unicorn" }
    var doorbellRigName: String { output.kvm.available ? "a KVM vCPU (KVM_EXIT_IO)" : "Unicorn" }

    mutating func add(
        _ section: String, _ field: String, model: String, guest: Evidence, host: Evidence, rig: String? = nil,
        ok: Bool? = nil, detail: String? = nil
    ) {
        let agreed = ok ?? (guest.value == model && host.value == model)
        checks.append(
            Check(
                module: module, section: section, field: field, model: model, guest: guest, host: host, rig: rig,
                ok: agreed, detail: detail))
    }

    mutating func build() -> [Check] {
        fingerprint()
        layout()
        // The ring's hypercall and port are run by the KVM exit rig and the guest boot tests,
        // not here: the rig's host has no ring state.
        for call in [abi.probe, abi.batch] { hypercall(call) }
        doorbell()
        limits()
        opCodes()
        return checks
    }

    func coverage() -> [RigCoverage] {
        let probe = ABIVerifier.Runtime.probe
        let submit = ABIVerifier.Runtime.submit
        let items = [
            RigCoverage(
                path: "vmcall (probe and batch hypercalls)", rig: "unicorn",
                note: "the module's own \(probe) and \(submit) from the .ko, run in Unicorn; UC_HOOK_INSN_INVALID traps 0f 01 c1 and hands rax and rbx, rcx, rdx (KVM's order) to \(naming.host("handle_hypercall")) in \(lib); a vmcall hangs in a vCPU under this nested KVM"),
            RigCoverage(
                path: "PIO doorbell (magic IN, gpa|count OUT)", rig: doorbellRig,
                note: output.kvm.available
                    ? "the module's own \(probe) and \(submit) from the .ko in a KVM vCPU at CPL 3; each KVM_EXIT_IO at the host header's doorbell port goes to \(naming.host("handle_doorbell_in"))/\(naming.host("handle_doorbell_out"))"
                    : "KVM unavailable (\(output.kvm.why)): the same code run in Unicorn, IN/OUT hooks handing the access to the host stub"),
            RigCoverage(
                path: "op codes", rig: "unicorn",
                note: "the module's \(ABIVerifier.Runtime.decoder) run for codes 0-255 with port I/O; \(naming.host("run_batch")) called for codes 0-255"),
            RigCoverage(path: "layouts", rig: "pahole", note: "DWARF of the .ko (kbuild -g) and of the host objects (-g3)"),
            RigCoverage(path: "fingerprint", rig: "libkmod", note: ".modinfo of the .ko; the host's fingerprint symbol read by the rig"),
        ]
        return items
    }

    // MARK: fingerprint

    mutating func fingerprint() {
        let g = modinfoFingerprint ?? "(no \(abi.prefix)_abi in .modinfo)"
        let h = output.host.fingerprint
        add(
            "fingerprint", "\(abi.prefix)_abi", model: abi.fingerprint,
            guest: Evidence(g, "\(ko): .modinfo \(abi.prefix)_abi, read with libkmod"),
            host: Evidence(h, "\(lib): bytes of \(output.host.fingerprint_symbol), linked into the rig"),
            detail: g == h && g != abi.fingerprint
                ? "guest and host agree with each other, not with the model: was the tree generated from another model file? Pass it with --model."
                : nil)
    }

    // MARK: layout

    mutating func layout() {
        let section = "struct \(naming.entryStruct)"
        let g = guest.entry
        let h = host.entry?.0
        let gs = "\(ko): DWARF, read with pahole"
        let hs = "\(host.entry?.1 ?? lib): DWARF, read with pahole"
        func value(_ s: DWARFStruct?, _ read: (DWARFStruct) -> String) -> String { s.map(read) ?? "no DWARF" }
        add(section, "size", model: "\(abi.entry.size)", guest: Evidence(value(g) { "\($0.size)" }, gs), host: Evidence(value(h) { "\($0.size)" }, hs))
        add(
            section, "alignment", model: "\(abi.entry.alignment)", guest: Evidence(value(g) { "\($0.alignment)" }, gs),
            host: Evidence(value(h) { "\($0.alignment)" }, hs))
        add(
            section, "members", model: abi.entry.fields.map(\.name).joined(separator: " "),
            guest: Evidence(value(g) { $0.members.map(\.name).joined(separator: " ") }, gs),
            host: Evidence(value(h) { $0.members.map(\.name).joined(separator: " ") }, hs))
        for field in abi.entry.fields {
            func member(_ s: DWARFStruct?, _ read: (DWARFStruct.Member) -> String) -> String {
                guard let s else { return "no DWARF" }
                return s.member(field.name).map(read) ?? "missing"
            }
            add(
                section, "\(field.name).offset", model: "\(field.offset)", guest: Evidence(member(g) { "\($0.offset)" }, gs),
                host: Evidence(member(h) { "\($0.offset)" }, hs))
            add(
                section, "\(field.name).size", model: "\(field.type.size)", guest: Evidence(member(g) { "\($0.size)" }, gs),
                host: Evidence(member(h) { "\($0.size)" }, hs))
            add(
                section, "\(field.name).type", model: field.type.rawValue, guest: Evidence(member(g) { $0.type }, gs),
                host: Evidence(member(h) { $0.type }, hs))
        }
    }

    // MARK: hypercalls

    enum Role { case probe, batch }

    func role(of call: Hypercall) -> Role { call == abi.probe ? .probe : .batch }

    /// The guest's vmcalls for a hypercall, and the functions they came from.
    func vmcalls(_ role: Role) -> [(RigOutput.Event, String)] {
        output.runs.filter { run in
            role == .probe ? run.name == "probe:vmcall" : (run.name.hasPrefix("vmcall:") || run.name == "fill:vmcall")
        }.flatMap { run in run.vmcalls.map { ($0, run.function) } }
    }

    func answers(_ hc: RigOutput.Hypercall, as role: Role) -> Bool {
        role == .probe ? !hc.probe.isEmpty : !hc.batch.isEmpty
    }

    func describe(_ hc: RigOutput.Hypercall) -> String {
        if !hc.probe.isEmpty { return "\(hc.nr) → probe (\(hc.probe.map { "a\($0.slot)=\($0.version) → \($0.ret)" }.joined(separator: ", ")))" }
        if !hc.batch.isEmpty { return "\(hc.nr) → batch" }
        return hc.enosys ? "\(hc.nr) → -KVM_ENOSYS" : "\(hc.nr) → an error for every argument tried"
    }

    mutating func hypercall(_ call: Hypercall) {
        let role = role(of: call)
        let section = "hypercall \(call.name)"
        let events = vmcalls(role)
        let guestNumbers = Array(Set(events.compactMap { $0.0.register("rax") })).sorted()
        let macro = host.macro(naming.hypercall(call))
        let model = UInt64(call.number)
        var candidates = [model] + guestNumbers
        if let value = macro?.value { candidates.append(UInt64(bitPattern: value)) }
        let handled = candidates.compactMap { output.hypercall($0) }.first { answers($0, as: role) }
        let macroNote = macro.map { "; header macro \(naming.hypercall(call)) = \($0.text) (\($0.source))" } ?? ""
        let origin = role == .probe ? ABIVerifier.Runtime.probe : "\(ABIVerifier.Runtime.submit) (from the sequence functions)"
        let guestSource = "\(ko): rax at each vmcall of \(origin), run in Unicorn"
        add(
            section, "number", model: hex(model),
            guest: Evidence(guestNumbers.isEmpty ? "no vmcall" : guestNumbers.map(hex).joined(separator: ", "), guestSource),
            host: Evidence(
                handled.map(\.nr) ?? "none",
                "\(lib): \(naming.host("handle_hypercall"))() called with each number" + macroNote),
            rig: "unicorn",
            detail: handled == nil || handled?.number != model || guestNumbers != [model]
                ? "host answers: " + Array(Set(candidates)).sorted().compactMap { output.hypercall($0) }.map(describe).joined(separator: "; ")
                : nil)

        // Which register carries each argument.
        let registers = ["rbx", "rcx", "rdx", "rsi"]
        for (index, argument) in call.arguments.enumerated() {
            let version = UInt64(abi.version)
            let expected: (RigOutput.Event) -> UInt64? = { event in
                switch (role, argument.name, index) {
                case (.probe, _, _): return version
                case (.batch, "queue_gpa", _), (.batch, _, 0): return event.pp_gpa.flatMap(parseHex)
                default: return event.pp_count
                }
            }
            var common: Set<String>?
            for (event, _) in events {
                guard let want = expected(event) else { continue }
                let holding = Set(registers.filter { event.register($0) == want })
                common = common.map { $0.intersection(holding) } ?? holding
            }
            let guestRegister: String
            if events.isEmpty {
                guestRegister = "no vmcall"
            } else if let common, common.contains(argument.register.rawValue) {
                guestRegister = argument.register.rawValue
            } else if let common, let first = registers.first(where: common.contains) {
                guestRegister = first
            } else {
                guestRegister = "none"
            }
            var hostSlot: Int?
            if let handled {
                switch (role, argument.name, index) {
                case (.probe, _, _): hostSlot = handled.probe.first { $0.version == abi.version }?.slot ?? handled.probe.first?.slot
                case (.batch, "queue_gpa", _), (.batch, _, 0): hostSlot = handled.batch.first?.gpa_slot
                default: hostSlot = handled.batch.first?.count_slot
                }
            }
            let hostRegister = hostSlot.map { ArgumentRegister.kvmArguments[$0].rawValue } ?? "none"
            let sample = events.first.map { event -> String in
                "guest registers at the vmcall: " + registers.map { "\($0)=\(event.0.register($0).map(hex) ?? "?")" }.joined(separator: " ")
                    + (expected(event.0).map { "; \(argument.name) is \(hex($0))" } ?? "")
            }
            add(
                section, "\(argument.name) register", model: argument.register.rawValue,
                guest: Evidence(guestRegister, "\(ko): the register holding \(argument.name) at each vmcall of \(origin), run in Unicorn"),
                host: Evidence(
                    hostRegister,
                    "\(lib): \(naming.host("handle_hypercall"))() takes \(argument.name) from a\(hostSlot.map(String.init) ?? "?"), which KVM fills from \(hostRegister) (kvm_emulate_hypercall order rbx, rcx, rdx)"),
                rig: "unicorn",
                detail: guestRegister == argument.register.rawValue && hostRegister == argument.register.rawValue ? nil : sample)
        }

        if role == .probe {
            let run = output.run("probe:vmcall")
            let event = run?.vmcalls.first
            let version = event.flatMap { $0.register(call.arguments.first?.register.rawValue ?? "rbx") }
            let accepted = handled?.probe.map(\.version) ?? []
            add(
                section, "abi_version value", model: "\(abi.version)",
                guest: Evidence(version.map { "\($0)" } ?? "no vmcall", "\(ko): \(call.arguments.first?.register.rawValue ?? "rbx") at the vmcall in \(ABIVerifier.Runtime.probe), run in Unicorn"),
                host: Evidence(
                    accepted.isEmpty ? "none" : accepted.map(String.init).joined(separator: ", "),
                    "\(lib): the versions (0-15) \(naming.host("handle_hypercall"))() answers with feature bits"),
                rig: "unicorn")
            // The ring's bit is offered only by a host with a ring state, which this rig's is not.
            let features = abi.features.filter { $0.name != "ring" }.reduce(0) { $0 | (1 << $1.bit) }
            let hostAnswer = event?.host_ret
            add(
                section, "answer", model: "vmcall chosen (features \(hex(features)))",
                guest: Evidence(
                    run.map { "\($0.transport_active) chosen" } ?? "not run",
                    "\(ko): \(ABIVerifier.Runtime.active) after \(ABIVerifier.Runtime.probe) ran with transport=vmcall (Unicorn)"),
                host: Evidence(
                    hostAnswer.map { "answered \(hex(UInt64(bitPattern: $0)))" } ?? "not called",
                    "\(lib): \(naming.host("handle_hypercall"))() for the guest's probe"),
                rig: "unicorn",
                ok: run?.transport_active == "vmcall" && (hostAnswer ?? -1) >= 0 && ((hostAnswer ?? 0) & Int64(features)) == Int64(features),
                detail: run.flatMap { $0.faulted ? "the guest run stopped: \($0.fault)" : nil })
        } else {
            for function in plan.functions {
                roundTrip(section: section, function: function, transport: "vmcall", rig: "unicorn")
            }
        }
    }

    /// The guest's direct-transport accesses of a function against what the host stub did for
    /// the same function's batches.
    mutating func roundTrip(section: String, function: String, transport: String, rig: String) {
        guard let direct = output.run("direct:\(function)"), let batched = output.run("\(transport):\(function)") else { return }
        let meant = direct.deviceAccesses
        let done = batched.hostAccesses
        let exits = transport == "vmcall" ? batched.vmcalls : batched.doorbellOuts
        let returns = exits.compactMap(\.host_ret)
        let same = meant.count == done.count && zip(meant, done).allSatisfy { $0.sameAs($1) }
        var problems: [String] = []
        if direct.faulted { problems.append("direct run stopped: \(direct.fault)") }
        if batched.faulted { problems.append("\(transport) run stopped: \(batched.fault)") }
        if batched.warnings > 0 {
            problems.append("the module warned \(batched.warnings)x and replayed entries itself after the host answered \(returns.map(String.init).joined(separator: ", "))")
        }
        if !batched.deviceAccesses.isEmpty {
            problems.append("the guest made \(batched.deviceAccesses.count) port accesses itself: \(summary(batched.deviceAccesses))")
        }
        if !meant.isEmpty && exits.isEmpty { problems.append("no \(transport) submission") }
        if !same {
            let index = zip(meant, done).enumerated().first { !$0.element.0.sameAs($0.element.1) }?.offset ?? min(meant.count, done.count)
            problems.append(
                "access \(index + 1) differs: guest \(index < meant.count ? meant[index].description : "none"), host \(index < done.count ? done[index].description : "none")")
            if let queue = exits.first?.queueBytes, !queue.isEmpty { problems.append("first queue as the guest wrote it: \(decode(queue))") }
        }
        let engine = transport == "vmcall" ? "Unicorn" : doorbellRigName
        add(
            section, "round trip \(function)", model: "host does what the guest means",
            guest: Evidence(summary(meant), "\(ko): the function run with the direct transport (Unicorn): the port accesses the guest means"),
            host: Evidence(
                summary(done) + (returns.isEmpty ? "" : " → \(returns.map(String.init).joined(separator: ","))"),
                "\(lib): the accesses the host stub made for the function's \(transport) submissions (\(engine)), → its return values"),
            rig: rig, ok: problems.isEmpty, detail: problems.isEmpty ? nil : problems.joined(separator: "; "))
    }

    func summary(_ accesses: [RigOutput.Access]) -> String {
        accesses.isEmpty ? "0 accesses" : "\(accesses.count): " + accesses.map(\.description).joined(separator: ", ")
    }

    /// Queue bytes as entries of the guest's own layout.
    func decode(_ bytes: [UInt8]) -> String {
        guard let entry = guest.entry, entry.size > 0 else { return bytes.map { String(format: "%02x", $0) }.joined() }
        var items: [String] = []
        var offset = 0
        while offset + entry.size <= bytes.count, items.count < 4 {
            let fields = entry.members.map { m -> String in
                var v: UInt64 = 0
                for i in 0..<min(m.size, 8) where offset + m.offset + i < bytes.count {
                    v |= UInt64(bytes[offset + m.offset + i]) << (8 * i)
                }
                return "\(m.name)=\(hex(v))"
            }
            items.append("{" + fields.joined(separator: " ") + "}")
            offset += entry.size
        }
        return items.joined(separator: " ")
    }

    // MARK: doorbell

    mutating func doorbell() {
        let section = "doorbell"
        let probe = output.run("probe:doorbell")
        let runs = output.runs.filter { $0.name.hasPrefix("doorbell:") || $0.name == "fill:doorbell" }
        let wide = { (e: RigOutput.Event) -> Bool in (e.type == "doorbell" || e.type == "io") && e.width == 4 }
        let probeIn = probe?.events.first { wide($0) && $0.dir == "i" }
        // The guest's doorbell OUTs: 32-bit OUTs whose value carries its queue page, wherever
        // they went (the VMM routes only the host header's port to the stub).
        let queuePage = (output.runs.flatMap(\.events).compactMap { $0.pp_gpa.flatMap(parseHex) }.first ?? 0x500000) >> 12
        let outs = runs.flatMap { $0.events.filter { wide($0) && $0.dir == "o" && UInt64($0.value ?? 0) >> 12 == queuePage } }
        let outPorts = Array(Set(outs.compactMap(\.port))).sorted()
        var guestPort = probeIn.flatMap(\.port).map { hex($0) } ?? "no 32-bit IN"
        if outPorts != probeIn.flatMap(\.port).map({ [$0] }) ?? [] {
            guestPort = "in \(guestPort), out \(outPorts.isEmpty ? "none" : outPorts.map(hex).joined(separator: ","))"
        }
        let hostPorts = output.host.doorbell_in.map(\.port)
        let model = hex(abi.doorbell.port)
        let engine = doorbellRigName
        add(
            section, "port", model: model,
            guest: Evidence(guestPort, "\(ko): port of the 32-bit IN in \(ABIVerifier.Runtime.probe) and of the OUT in \(ABIVerifier.Runtime.submit), run in \(engine)"),
            host: Evidence(
                hostPorts.isEmpty ? "none" : hostPorts.map(hex).joined(separator: ","),
                "\(lib): the ports where \(naming.host("handle_doorbell_in"))() answers the magic (all 65536 tried)"
                    + (output.host.header_doorbell_port == abi.doorbell.port ? "" : "; the host header routes \(hex(output.host.header_doorbell_port))")),
            rig: doorbellRig,
            ok: guestPort == model && hostPorts == [Int(abi.doorbell.port)] && output.host.header_doorbell_port == Int(abi.doorbell.port))

        let hostMagic = output.host.doorbell_in.first.map { hex($0.value) } ?? "none"
        let guestMagic: String
        if let probe, let read = probeIn?.value {
            let at = probeIn?.port.map { $0 == Int(abi.doorbell.port) ? "" : " read at \(hex($0))" } ?? ""
            guestMagic = probe.transport_active == "doorbell" ? "accepts \(hex(read))\(at)" : "refuses \(hex(read))\(at)"
        } else {
            guestMagic = "no probe IN"
        }
        add(
            section, "magic", model: hex(abi.doorbell.magic),
            guest: Evidence(guestMagic, "\(ko): \(ABIVerifier.Runtime.active) after \(ABIVerifier.Runtime.probe) read the port with transport=doorbell (\(engine))"),
            host: Evidence(hostMagic, "\(lib): what \(naming.host("handle_doorbell_in"))() answers"),
            rig: doorbellRig,
            ok: guestMagic == "accepts \(hex(abi.doorbell.magic))" && hostMagic == hex(abi.doorbell.magic))

        let guestWidths = Array(Set((outs + [probeIn].compactMap { $0 }).compactMap(\.width))).sorted()
        let narrow = output.host.doorbell_narrow ?? []
        let hostWidth = narrow == [0xff, 0xffff] ? "4" : "1,2,4 (narrow reads answer \(narrow.map(hex).joined(separator: ",")))"
        add(
            section, "width", model: "4",
            guest: Evidence(guestWidths.isEmpty ? "none" : guestWidths.map(String.init).joined(separator: ","), "\(ko): the doorbell accesses (\(engine))"),
            host: Evidence(hostWidth, "\(lib): \(naming.host("handle_doorbell_in"))() at widths 1, 2 and 4"),
            rig: doorbellRig)

        // value = queue gpa | entry count, as the guest built it and as the host decoded it.
        let entrySize = host.entry?.0.size ?? abi.entry.size
        let doorbellOuts = runs.filter { $0.name.hasPrefix("doorbell:") }.flatMap { run in
            run.events.filter { wide($0) && $0.dir == "o" && UInt64($0.value ?? 0) >> 12 == queuePage }
        }
        var guestBad: [String] = []
        var hostBad: [String] = []
        for event in doorbellOuts {
            guard event.type == "doorbell" else {
                hostBad.append("the OUT of \(hex(event.value ?? 0)) went to \(hex(event.port ?? 0)), not to the host's doorbell")
                continue
            }
            let gpa = event.pp_gpa.flatMap(parseHex) ?? 0
            let count = event.pp_count ?? 0
            let value = UInt64(event.value ?? 0)
            if value != (gpa & 0xffff_ffff) | count { guestBad.append("\(hex(value)) for queue \(hex(gpa)), \(count) entries") }
            let readGPA = event.host_read_gpa.flatMap(parseHex) ?? 0
            let readCount = (event.host_read_len ?? 0) / max(entrySize, 1)
            if (event.host_reads ?? 0) == 0 || readGPA != gpa || UInt64(readCount) != count {
                hostBad.append("read \(event.host_read_len ?? 0) bytes at \(hex(readGPA)) for the guest's \(count) entries at \(hex(gpa))")
            }
        }
        let first = doorbellOuts.first
        add(
            section, "value = gpa | count", model: "gpa | count",
            guest: Evidence(
                first.map { $0.pp_gpa == nil ? "\(hex($0.value ?? 0)) to \(hex($0.port ?? 0))" : "\(hex($0.value ?? 0)) = \($0.pp_gpa ?? "?") | \($0.pp_count ?? 0)" } ?? "no doorbell OUT",
                "\(ko): the OUT value against the guest's own queue address and count at the exit (\(engine))"),
            host: Evidence(
                first.map { $0.type == "doorbell" ? "read \($0.host_read_len ?? 0) bytes at \($0.host_read_gpa ?? "?")" : "not called" } ?? "not called",
                "\(lib): what \(naming.host("handle_doorbell_out"))() read of guest memory (entries of \(entrySize) bytes)"),
            rig: doorbellRig,
            ok: first != nil && guestBad.isEmpty && hostBad.isEmpty,
            detail: (guestBad + hostBad).isEmpty ? nil : (guestBad + hostBad).joined(separator: "; "))

        for function in plan.functions {
            roundTrip(section: section, function: function, transport: "doorbell", rig: doorbellRig)
        }
    }

    // MARK: limits

    mutating func limits() {
        let vm = output.run("fill:vmcall").flatMap { $0.vmcalls.first?.pp_count }
        let db = output.run("fill:doorbell").flatMap { $0.doorbellOuts.first?.pp_count }
        let dest = guest.port?.member("dest")?.count
        var values = Array(Set([vm, db].compactMap { $0 })).sorted().map(String.init)
        let source: String
        if let fill = plan.fill {
            source = "\(ko): entries at the first submission of \(fill) repeated inside ->qc_issue() (vmcall in Unicorn, doorbell in \(doorbellRigName))"
                + (dest.map { "; \(ABIVerifier.Runtime.portStruct).dest[\($0)] in DWARF" } ?? "")
        } else {
            source = "\(ko): \(ABIVerifier.Runtime.portStruct).dest[] bound in DWARF"
        }
        if values.isEmpty, let dest { values = ["\(dest)"] }
        if plan.fill != nil, let dest, values != ["\(dest)"] { values.append("dest[\(dest)]") }
        add(
            "limits", "max_entries", model: "\(abi.limits.maxEntries)",
            guest: Evidence(values.isEmpty ? "unknown" : values.joined(separator: ", "), source),
            host: Evidence(
                output.host.max_entries < 0 ? "none found" : "\(output.host.max_entries)",
                "\(lib): the largest count \(naming.host("run_batch"))() does not refuse with \(naming.error(named: "count"))"),
            rig: output.kvm.available ? "unicorn+kvm" : "unicorn")
    }

    // MARK: op codes

    static func kind(_ op: BatchOp) -> String {
        switch op {
        case .out: "out"
        case .in: "in"
        case .inWait: "in_wait"
        case .inExpect: "in_expect"
        case .update: "rmw"
        }
    }

    mutating func opCodes() {
        var guestKinds: [String: [Int]] = [:]
        if let run = output.run("decode:direct") {
            var code = -1
            var accesses: [RigOutput.Access] = []
            // An IN_EXPECT reads once, like IN, and marks the batch cut when the value misses.
            var cut = false
            func flush() {
                guard code >= 0 else { return }
                let dirs = accesses.map(\.dir).joined()
                let kind: String?
                switch dirs {
                case "o": kind = "out"
                case "i": kind = cut ? "in_expect" : "in"
                case "io": kind = "rmw"
                case "": kind = nil
                default: kind = dirs.allSatisfy { $0 == "i" } ? "in_wait" : "other"
                }
                if let kind { guestKinds[kind, default: []].append(code) }
            }
            for event in run.events {
                if event.type == "mark" {
                    cut = event.cut_before == 1
                    flush()
                    code = event.call ?? -1
                    accesses = []
                } else if let access = event.access, event.type == "io" {
                    accesses.append(access)
                }
            }
            // No mark follows the last call, so its cut flag is not known.
            cut = false
            flush()
        }
        var hostKinds: [String: [Int]] = [:]
        for op in output.host.ops { hostKinds[op.kind, default: []].append(op.code) }
        let decoded = output.run("decode:direct")
        for op in abi.ops {
            let kind = Self.kind(op.op)
            let g = guestKinds[kind].map { $0.map(String.init).joined(separator: ",") } ?? "none"
            let h = hostKinds[kind].map { $0.map(String.init).joined(separator: ",") } ?? "none"
            add(
                "op codes", "\(naming.op(op.op)) (\(kind))", model: "\(op.code)",
                guest: Evidence(g, "\(ko): \(decoded?.function ?? ABIVerifier.Runtime.decoder) run on an entry of each code 0-255 (Unicorn)"),
                host: Evidence(h, "\(lib): \(naming.host("run_batch"))() on an entry of each code 0-255"),
                rig: "unicorn",
                detail: decoded?.faulted == true ? "the guest's decoder run stopped: \(decoded!.fault)" : nil)
        }
    }
}
