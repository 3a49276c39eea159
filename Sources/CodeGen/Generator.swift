import DriverModel
import HypercallABI

/// Raised when a catalog does not validate; nothing is generated.
public struct InvalidModel: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]

    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}

/// model → validated model → batch plans → C syntax values → text, for a whole catalog.
public struct Generator: Sendable {
    public let catalog: Catalog

    public init(catalog: Catalog) { self.catalog = catalog }

    public func generate() throws -> [GeneratedFile] {
        let diagnostics = catalog.validate() + HostStubValidation.validate(catalog)
        guard diagnostics.isEmpty else { throw InvalidModel(diagnostics: diagnostics) }
        let naming = Naming(abi: catalog.abi)
        let plans = catalog.devices.map(BatchPlanner.plan)

        var files: [GeneratedFile] = []
        func emit(_ path: String, _ file: CFile, style: RenderStyle = .kernel) {
            files.append(GeneratedFile(path: path, contents: KernelStyleRenderer(style: style).render(file)))
        }
        emit("include/\(naming.headerFile)", ABIHeaderTranslator(abi: catalog.abi, naming: naming).translate())

        for plan in plans {
            let module = naming.guestModule(for: plan.device)
            let translator = GuestModuleTranslator(plan: plan, abi: catalog.abi, naming: naming)
            emit("guest/\(module)/\(module).c", translator.translate())
            let context: [String: Any] = ["module": module, "device": plan.device.name]
            files.append(GeneratedFile(path: "guest/\(module)/Kbuild", contents: try Templates.render("guest/Kbuild", context)))
            files.append(GeneratedFile(path: "guest/\(module)/Makefile", contents: try Templates.render("guest/Makefile", context)))
            if let stock = plan.device.stockDriver { files.append(try blacklist(module: module, stock: stock, id: plan.device.pciID)) }
        }

        for device in catalog.networkDevices ?? [] {
            let translator = NICDriverTranslator(device: device, naming: naming)
            let module = translator.module
            emit("guest/\(module)/\(module).c", try translator.translate())
            let context: [String: Any] = ["module": module, "device": device.name]
            files.append(GeneratedFile(path: "guest/\(module)/Kbuild", contents: try Templates.render("guest/Kbuild", context)))
            files.append(GeneratedFile(path: "guest/\(module)/Makefile", contents: try Templates.render("guest/Makefile", context)))
            if let stock = device.stockDriver {
                files.append(try blacklist(module: module, stock: stock, id: device.pciID))
            }
        }

        let host = HostStubTranslator(abi: catalog.abi, naming: naming, devices: catalog.devices)
        emit("host/lib/\(naming.hostHeader)", host.header())
        emit("host/lib/\(naming.hostSource)", host.source())
        files.append(GeneratedFile(path: "host/lib/Makefile", contents: try Templates.render("host/Makefile", host.makefileContext)))

        // The QEMU doorbell device, in QEMU's coding style, for the device QEMU models.
        for device in catalog.devices {
            guard let qemuType = device.qemuType else { continue }
            let qemu = QEMUDeviceTranslator(device: device, qemuType: qemuType, abi: catalog.abi, naming: naming)
            emit("host/qemu/\(qemu.sourceFile)", qemu.translate(), style: .qemu)
            for (name, text) in try qemu.fragments() + [qemu.tcgPatch()] {
                files.append(GeneratedFile(path: "host/qemu/\(name)", contents: text))
            }
        }

        let moduleNames = plans.map { naming.guestModule(for: $0.device) } + (catalog.networkDevices ?? []).map(naming.networkModule)
        let modules = moduleNames.enumerated().map { index, name in ["index": index, "name": name] as [String: Any] }
        let treeContext: [String: Any] = ["modules": modules, "version": "\(catalog.abi.version).0"]
        // One define and one case label per hypercall: the hunk sizes and the diffstat follow.
        let calls = catalog.abi.hypercalls
        let x86Insertions = 25 + 2 * calls.count
        let kvmContext: [String: Any] = [
            "hypercalls": calls.enumerated().map { index, call in
                ["name": call.name.uppercased(), "number": cHex(call.number), "last": index == calls.count - 1] as [String: Any]
            },
            "bit": catalog.abi.kvmExitHypercallBit,
            "definesHunk": 14 + calls.count, "caseStart": 9844 + 7 + calls.count, "caseHunk": 23 + calls.count,
            "x86Changes": x86Insertions + 1, "x86Bar": String(repeating: "+", count: x86Insertions),
            "insertions": x86Insertions + 5,
        ]
        files.append(
            GeneratedFile(path: "host/kvm/\(naming.kvmPatchFile)", contents: try Templates.render("host/kvm-hypercall-exit.patch", kvmContext)))
        files.append(GeneratedFile(path: "Makefile", contents: try Templates.render("Makefile", treeContext)))
        files.append(GeneratedFile(path: "dkms.conf", contents: try Templates.render("dkms.conf", treeContext)))
        if let tweaks = catalog.guestTweaks { files += try GuestConfigFiles.render(tweaks, hostTimer: catalog.hostTimer) }
        if let timer = catalog.hostTimer { files += try HostTimerPatches.render(timer, hypercalls: calls.count) }
        files.append(OutputTree.marker)
        return files.sorted { $0.path < $1.path }
    }

    /// `guest/MODULE/MODULE.conf`, for /etc/modprobe.d: the stock driver of the same PCI ID
    /// would otherwise be loaded too, and whichever probes first binds the device.
    func blacklist(module: String, stock: String, id: String) throws -> GeneratedFile {
        GeneratedFile(
            path: "guest/\(module)/\(module).conf",
            contents: try Templates.render("guest/modprobe.conf", ["module": module, "stock": stock, "id": id]))
    }
}
