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
        if abi.ring != nil { ring() }
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
            RigCoverage(
                path: "exitless ring (attach, kick, detach)", rig: output.kvm.available ? "unicorn+kvm" : "unicorn",
                note: "the module's own \(probe) with transport=ring, a batch posted to the ring it attached and its devm action (the detach), kicked by vmcall in Unicorn and by the ring port in \(doorbellRigName), served by a second host with a ring state; \(naming.host("handle_doorbell_out"))/\(naming.host("handle_hypercall")) called with every operation code 0-4095"),
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

    // MARK: the exitless ring

    /// A ring run's ring calls, with the call of the run each came in (0: the probe, which
    /// attaches; then the posted batch's function and submit, which kick; last the devm action,
    /// which detaches).
    func ringCalls(_ run: RigOutput.Run?) -> [(event: RigOutput.Event, call: Int)] {
        guard let run else { return [] }
        let others = Set([abi.probe.number, abi.batch.number].map(UInt64.init))
        var call = 0
        var found: [(RigOutput.Event, Int)] = []
        for event in run.events {
            if event.type == "mark" {
                call = event.call ?? call
            } else if event.type == "vmcall", let nr = event.register("rax"), !others.contains(nr) {
                found.append((event, call))
            } else if event.type == "doorbell", event.dir == "o", event.port != Int(output.host.header_doorbell_port) {
                found.append((event, call))
            }
        }
        return found
    }

    /// The value a ring call carried: rbx, or the OUT's value.
    func ringValue(_ event: RigOutput.Event) -> UInt64 {
        event.type == "vmcall" ? event.register("rbx") ?? 0 : UInt64(event.value ?? 0)
    }

    /// A ring flag: whether the module acts on the flags the host left (at the value the model
    /// gives the flag), and which flags the host writes.
    mutating func ringFlag(
        _ name: String, guestFlags: UInt32?, acts: Bool, acting: String, notActing: String, guestSource: String,
        hostFlags: UInt32?, hostSource: String
    ) {
        guard let flag = abi.ring?.flags.first(where: { $0.name == name }) else { return }
        let model = hex(UInt64(1) << flag.bit)
        let guestValue = guestFlags.map { "\(acts ? acting : notActing) at \(hex($0))" } ?? "no ring call"
        let hostValue = hostFlags.map { hex($0) } ?? "not scanned"
        add(
            "ring", naming.ringFlag(named: name), model: model,
            guest: Evidence(guestValue, "\(ko): \(guestSource) (Unicorn)"), host: Evidence(hostValue, "\(lib): \(hostSource)"),
            rig: "unicorn", ok: guestValue == "\(acting) at \(model)" && hostValue == model)
    }

    mutating func ring() {
        guard let ring = abi.ring else { return }
        let section = "ring"
        let vm = output.run("ring:vmcall")
        let db = output.run("ring:doorbell")
        let calls = ringCalls(vm) + ringCalls(db)
        let mask = UInt64(abi.limits.pageSize - 1)
        let lastCall = { (run: RigOutput.Run?) in run?.events.compactMap { $0.type == "mark" ? $0.call : nil }.max() ?? 0 }
        let engines = "vmcall in Unicorn, the ring port in \(doorbellRigName)"
        let guestRuns = "\(ko): \(ABIVerifier.Runtime.probe) with transport=ring, a batch posted to its ring and its devm action (\(engines))"
        let hostRing = output.ring
        var problems: [String] = []
        for run in [vm, db].compactMap({ $0 }) where run.faulted { problems.append("\(run.name) stopped: \(run.fault)") }
        let runNote = problems.isEmpty ? nil : problems.joined(separator: "; ")

        // The hypercall's number and the port.
        let guestNumbers = Array(Set(ringCalls(vm).compactMap { $0.event.register("rax") })).sorted()
        let macro = host.macro(naming.hypercall(ring.call))
        add(
            section, "hypercall number", model: hex(UInt64(ring.call.number)),
            guest: Evidence(guestNumbers.isEmpty ? "no ring vmcall" : guestNumbers.map(hex).joined(separator: ", "), "\(ko): rax at the module's ring vmcalls (\(ABIVerifier.Runtime.probe) with transport=ring, Unicorn)"),
            host: Evidence(
                hostRing.map { $0.nrs.isEmpty ? "none" : $0.nrs.joined(separator: ", ") } ?? "not scanned",
                "\(lib): the number whose \(naming.host("handle_hypercall"))() call attaches a ring"
                    + (macro.map { "; header macro \(naming.hypercall(ring.call)) = \($0.text) (\($0.source))" } ?? "")),
            rig: "unicorn", detail: runNote)
        let guestPorts = Array(Set(ringCalls(db).compactMap(\.event.port))).sorted()
        add(
            section, "port", model: hex(ring.port),
            guest: Evidence(guestPorts.isEmpty ? "no ring OUT" : guestPorts.map(hex).joined(separator: ","), "\(ko): port of the module's ring OUTs with the doorbell kicking the ring (\(doorbellRigName))"),
            host: Evidence(
                hostRing.map { $0.ports.isEmpty ? "none" : $0.ports.map { hex($0.port) }.joined(separator: ",") } ?? "not scanned",
                "\(lib): the ports where \(naming.host("handle_doorbell_in"))() answers with a ring state and not without (all 65536 tried)"),
            rig: doorbellRig, detail: runNote)
        let attachHeads = calls.filter { $0.call == 0 }.compactMap { $0.event.ring_head?.first }
        add(
            section, "magic", model: hex(ring.magic),
            guest: Evidence(
                attachHeads.isEmpty ? "no attach" : Array(Set(attachHeads)).sorted().map(hex).joined(separator: ","),
                "\(ko): the header's magic at the module's attach (\(engines))"),
            host: Evidence(hostRing.map { hex($0.magic) } ?? "not scanned", "\(lib): what the ring port answers a 32-bit IN"),
            rig: doorbellRig)

        // The operation codes: what the module sends for each step of the ring's life, and what
        // the host does with each code.
        for operation in ring.operations {
            let steps: (Int, Int) -> Bool
            switch operation.name {
            case "attach": steps = { call, _ in call == 0 }
            case "detach": steps = { call, last in call == last && call > 0 }
            default: steps = { call, last in call > 0 && call < last }
            }
            var guestCodes: Set<UInt64> = []
            for run in [vm, db] {
                let last = lastCall(run)
                for (event, call) in ringCalls(run) where steps(call, last) { guestCodes.insert(ringValue(event) & mask) }
            }
            let viaPort = hostRing?.port_ops.filter { $0.kind == operation.name }.map(\.code) ?? []
            let viaCall = hostRing?.call_ops?.filter { $0.kind == operation.name }.map(\.code)
            var hostValue = viaPort.isEmpty ? "none" : viaPort.map(String.init).joined(separator: ",")
            if let viaCall, viaCall != viaPort {
                hostValue = "port \(hostValue), hypercall \(viaCall.isEmpty ? "none" : viaCall.map(String.init).joined(separator: ","))"
            }
            add(
                section, "\(naming.ringOperation(named: operation.name)) (\(operation.name))", model: "\(operation.code)",
                guest: Evidence(
                    guestCodes.isEmpty ? "none" : guestCodes.sorted().map(String.init).joined(separator: ","),
                    "\(guestRuns): the low bits of the ring calls it makes to \(operation.name)"),
                host: Evidence(
                    hostValue,
                    "\(lib): the ring port and hypercall called with every operation code 0-\(mask) on a fresh and on an attached ring"),
                rig: output.kvm.available ? "unicorn+kvm" : "unicorn", detail: runNote)
        }

        // The flags: the module kicks when the host asks for it, and frees its pages only once
        // the host said it let the ring go.
        let attachFlags = calls.first { $0.call == 0 }?.event.ring_head?.last
        let kicked = ringCalls(vm).contains { $0.call > 0 && $0.call < lastCall(vm) }
        ringFlag(
            "need_kick", guestFlags: attachFlags, acts: kicked, acting: "kicks", notActing: "posts without a kick",
            guestSource: "whether the module kicked for its batch, and the flags the host left at the attach",
            hostFlags: hostRing?.attach_flags, hostSource: "the flags an attach writes when no thread polls")
        let detachFlags = ringCalls(vm).first { $0.call == lastCall(vm) && $0.call > 0 }?.event.ring_head?.last
        ringFlag(
            "detached", guestFlags: detachFlags, acts: vm?.calls.contains(",free_pages,") ?? false,
            acting: "frees its pages", notActing: "keeps its pages (lost)",
            guestSource: "whether the module's devm action freed the ring's pages after its detach (free_pages called), and the flags the host left",
            hostFlags: hostRing?.detach_flags, hostSource: "the flags a detach of the attached ring writes")

        // The posted batch: what the host ran for it is what the function means.
        if let function = plan.ringFunction, let vm, let direct = output.run("direct:\(function)") {
            let meant = direct.deviceAccesses
            let done = vm.hostAccesses
            let same = !meant.isEmpty && meant.count == done.count && zip(meant, done).allSatisfy { $0.sameAs($1) }
            add(
                section, "round trip \(function)", model: "host does what the guest means",
                guest: Evidence(summary(meant), "\(ko): the function run with the direct transport (Unicorn)"),
                host: Evidence(summary(done), "\(lib): the accesses the host stub made for the batch posted to the ring (Unicorn)"),
                rig: "unicorn", ok: same && !vm.faulted && vm.deviceAccesses.isEmpty,
                detail: runNote ?? (vm.deviceAccesses.isEmpty ? nil : "the guest made \(vm.deviceAccesses.count) port accesses itself"))
        }
    }
}
