/// Checks a device model completely before anything is generated, collecting every problem
/// rather than stopping at the first.
public enum ModelValidator {
    public static func validate(_ device: Device, at path: String) -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        func report(_ field: String, _ message: String) {
            diagnostics.append(Diagnostic(field: "\(path).\(field)", message: message))
        }
        if !CIdentifier.isValid(device.name) { report("name", "'\(device.name)' is not a valid C identifier") }
        if let problem = ReservedNames.namespaceProblem(
            device.name, what: "the device's generated names (enum \(device.name)_reg, \(device.name.uppercased())_<REGISTER>)")
        {
            report("name", problem)
        }
        if let problem = pciVendorProblem(device.pciVendor) { report("pci_vendor", problem) }
        if device.blocks.isEmpty { report("blocks", "a device needs at least one I/O block") }

        for (index, block) in device.blocks.enumerated() {
            if !CIdentifier.isValid(block.name) { report("blocks[\(index)].name", "'\(block.name)' is not a valid C identifier") }
            if let problem = ReservedNames.languageProblem(block.name) {
                report("blocks[\(index)].name", problem)
            } else if ReservedNames.portMembers.contains(block.name) {
                report("blocks[\(index)].name", "'\(block.name)' is already a member of the generated per-channel struct, beside the block bases")
            }
            if block.size < 1 || block.size > 256 { report("blocks[\(index)].size", "size \(block.size) is outside 1...256 ports") }
            if block.bases.count != device.channelCount {
                report("blocks[\(index)].bases", "has \(block.bases.count) bases but the device has \(device.channelCount) channels")
            }
            if device.blocks[..<index].contains(where: { $0.name == block.name }) {
                report("blocks[\(index)].name", "duplicate block name '\(block.name)'")
            }
        }

        for (index, register) in device.registers.enumerated() {
            let field = "registers[\(index)]"
            if !CIdentifier.isValid(register.name) { report("\(field).name", "'\(register.name)' is not a valid C identifier") }
            if let problem = ReservedNames.languageProblem(register.name) { report("\(field).name", problem) }
            if device.registers[..<index].contains(where: { $0.name == register.name }) {
                report("\(field).name", "duplicate register name '\(register.name)'")
            }
            for (bitIndex, bit) in (register.bits ?? []).enumerated() {
                let bitField = "\(field).bits[\(bitIndex)]"
                if !CIdentifier.isValid(bit.name) { report("\(bitField).name", "'\(bit.name)' is not a valid C identifier") }
                if bit.mask == 0 || UInt64(bit.mask) > register.width.maxValue {
                    report("\(bitField).mask", "mask 0x\(String(bit.mask, radix: 16)) is not within the \(register.width.rawValue)-byte register")
                }
            }
            guard let block = device.block(named: register.block) else {
                report("\(field).block", "no I/O block named '\(register.block)'")
                continue
            }
            if register.offset < 0 || register.offset + register.width.rawValue > block.size {
                report(
                    "\(field).offset",
                    "a \(register.width.rawValue)-byte register at offset \(register.offset) does not fit block '\(block.name)' of \(block.size) ports")
            }
            let clash = device.registers[..<index].first {
                $0.block == register.block && $0.offset == register.offset
                    && (($0.access.canRead && register.access.canRead) || ($0.access.canWrite && register.access.canWrite))
            }
            if let clash {
                report("\(field).offset", "offset \(register.offset) of block '\(block.name)' is already register '\(clash.name)' in the same direction")
            }
        }

        for (index, sequence) in device.sequences.enumerated() {
            diagnostics += validate(sequence, of: device, at: "\(path).sequences[\(index)]")
        }
        return diagnostics
    }

    static func validate(_ sequence: AccessSequence, of device: Device, at path: String) -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        func report(_ field: String, _ message: String) {
            diagnostics.append(Diagnostic(field: "\(path).\(field)", message: message))
        }
        if !CIdentifier.isValid(sequence.name) { report("name", "'\(sequence.name)' is not a valid C identifier") }
        if let problem = ReservedNames.languageProblem(sequence.name) {
            report("name", problem)
        } else if ReservedNames.runtimeIdentifiers.contains(sequence.name) {
            report("name", "'\(sequence.name)' would define pvgen_\(sequence.name), which the generated runtime already defines")
        }
        if device.sequences.filter({ $0.name == sequence.name }).count > 1 {
            report("name", "duplicate sequence name '\(sequence.name)'")
        }
        for (index, variable) in (sequence.parameters + sequence.locals).enumerated() {
            let field = index < sequence.parameters.count ? "parameters[\(index)].name" : "locals[\(index - sequence.parameters.count)].name"
            if !CIdentifier.isValid(variable.name) {
                report(field, "'\(variable.name)' is not a valid C identifier")
            } else if let problem = ReservedNames.variableProblem(variable.name) {
                report(field, problem)
            }
        }
        switch (sequence.operation, sequence.path) {
        case (nil, nil): report("operation", "a sequence implements an operation or is one of the driver's own paths (path)")
        case (.some, .some): report("path", "a sequence implements an operation or is a path, not both")
        case (_, .some(let path)):
            if device.sequences.filter({ $0.path == path }).count > 1 { report("path", "more than one sequence is path '\(path.rawValue)'") }
            if !sequence.continuesInto.isEmpty { report("continues_into", "a path submits its own batch; it continues into nothing") }
        case (.some, nil): break
        }
        let lastStep = sequence.steps.lastIndex { $0.action.register != nil || $0.isCall }
        if sequence.holdsBatch, let lastStep, sequence.steps[lastStep].guardName != nil {
            report("steps[\(lastStep)].when", "the last access or call of a path submits its batch, so it cannot have a guard")
        }
        for name in sequence.continuesInto where device.sequence(named: name) == nil {
            report("continues_into", "no sequence named '\(name)'")
        }
        if (sequence.result == nil) != (sequence.returnType == "void") {
            report("result", "a sequence returns a value exactly when its return type is not void")
        }
        for (index, step) in sequence.steps.enumerated() {
            let field = "steps[\(index)]"
            if let guardName = step.guardName, !sequence.guards.contains(where: { $0.name == guardName }) {
                report("\(field).when", "no guard named '\(guardName)'")
            }
            switch step.action {
            case .call(let callee, _):
                if device.sequence(named: callee) == nil { report("\(field).call", "no sequence named '\(callee)'") }
                if callee == sequence.name { report("\(field).call", "a sequence cannot call itself") }
                if sequence.holdsBatch, device.sequence(named: callee)?.holdsBatch == true {
                    report("\(field).call", "a path cannot call another path: each holds its own batch")
                }
            case .statement:
                break
            case .write(let name, _, _), .read(let name, _), .update(let name, _, _, _):
                guard let register = device.register(named: name) else {
                    report("\(field).register", "no register named '\(name)'")
                    continue
                }
                let reads: Bool
                let writes: Bool
                switch step.action {
                case .write: (reads, writes) = (false, true)
                case .read: (reads, writes) = (true, false)
                default: (reads, writes) = (true, true)
                }
                if reads && !register.access.canRead { report("\(field).register", "register '\(name)' cannot be read") }
                if writes && !register.access.canWrite { report("\(field).register", "register '\(name)' cannot be written") }
            }
            guard case .read(_, let use) = step.action else { continue }
            switch use {
            case .expect(_, _, _, let otherwise):
                if !sequence.holdsBatch { report("\(field).use", "an expect read needs a sequence that holds its batch (a path)") }
                for (inner, alternative) in otherwise.enumerated() {
                    let innerField = "\(field).use.expect.otherwise[\(inner)]"
                    switch alternative.action {
                    case .statement: break
                    case .call(let callee, _):
                        if device.sequence(named: callee) == nil { report("\(innerField).call", "no sequence named '\(callee)'") }
                    default:
                        report(innerField, "only statements and calls run after the host stopped at an expect read")
                    }
                    if let guardName = alternative.guardName, !sequence.guards.contains(where: { $0.name == guardName }) {
                        report("\(innerField).when", "no guard named '\(guardName)'")
                    }
                }
            case .deferred:
                if !sequence.holdsBatch { report("\(field).use", "a deferred read needs a sequence that holds its batch (a path)") }
            case .discarded, .needed, .waitUntilClear:
                break
            }
        }
        return diagnostics
    }
}
