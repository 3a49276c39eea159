/// Checks a network device model before anything is generated, collecting every problem.
public enum NetworkValidator {
    public static func validate(_ device: NetworkDevice, at path: String) -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        func report(_ field: String, _ message: String) {
            diagnostics.append(Diagnostic(field: "\(path).\(field)", message: message))
        }
        if !CIdentifier.isValid(device.name) {
            report("name", "'\(device.name)' is not a valid C identifier")
        } else if let problem = ReservedNames.languageProblem(device.name) {
            report("name", problem)
        }
        if let problem = pciVendorProblem(device.pciVendor) { report("pci_vendor", problem) }
        if !(0...5).contains(device.bar) { report("bar", "BAR \(device.bar) is outside 0...5") }
        if device.barSize < 4 || device.barSize & (device.barSize - 1) != 0 {
            report("bar_size", "\(device.barSize) bytes: a BAR's size is a power of two")
        }
        for (index, register) in device.registers.enumerated() {
            let field = "registers[\(index)]"
            if !CIdentifier.isValid(register.name) { report("\(field).name", "'\(register.name)' is not a valid C identifier") }
            if device.registers[..<index].contains(where: { $0.name == register.name }) {
                report("\(field).name", "duplicate register name '\(register.name)'")
            }
            if register.offset < 0 || register.offset % 4 != 0 || register.end > device.barSize {
                report("\(field).offset", "a 32-bit register at \(register.offset) must be 4-byte aligned inside the \(device.barSize)-byte BAR")
            }
            if let elements = register.elements, elements < 1 { report("\(field).elements", "an array needs at least one register") }
            if let other = device.registers[..<index].first(where: { $0.offset < register.end && register.offset < $0.end }) {
                report("\(field).offset", "overlaps register '\(other.name)'")
            }
            var used: UInt64 = 0
            for (fieldIndex, bits) in register.fields.enumerated() {
                let at = "\(field).fields[\(fieldIndex)]"
                if !CIdentifier.isValid(bits.name) { report("\(at).name", "'\(bits.name)' is not a valid C identifier") }
                guard bits.width >= 1, bits.bit >= 0, bits.bit + bits.width <= 32 else {
                    report("\(at).bit", "bits \(bits.bit)..\(bits.bit + bits.width - 1) do not fit a 32-bit register")
                    continue
                }
                let mask = ((UInt64(1) << bits.width) - 1) << bits.bit
                if used & mask != 0 { report("\(at).bit", "field '\(bits.name)' overlaps another field of '\(register.name)'") }
                used |= mask
            }
        }
        let rings = device.rings
        for (field, entries) in [("rings.tx_entries", rings.txEntries), ("rings.rx_entries", rings.rxEntries)]
        where entries < 8 || entries > 4096 || entries & (entries - 1) != 0 {
            report(field, "\(entries) descriptors: a power of two in 8...4096 (the ring length is a multiple of 128 bytes)")
        }
        if ![256, 512, 1024, 2048].contains(rings.rxBufferBytes) {
            report("rings.rx_buffer_bytes", "\(rings.rxBufferBytes): RCTL.BSIZE without BSEX selects 256, 512, 1024 or 2048 bytes")
        }
        if rings.rxKick < 1 || rings.rxKick >= rings.rxEntries {
            report("rings.rx_kick", "\(rings.rxKick): between 1 and the RX ring size, so that the device always keeps buffers")
        }
        // ITR holds the interval in 256 ns units, 16 bits: 1 to 65535 units.
        if rings.interruptRate != 0 && !(60...3_906_250).contains(rings.interruptRate) {
            report("rings.interrupt_rate", "\(rings.interruptRate) interrupts/s: ITR holds 60 to 3906250 per second (0: no limit)")
        }
        // The generated driver's data path uses these registers and fields by name.
        let required: [String: [String]] = [
            "ctrl": ["asde", "slu", "rst"], "status": ["lu"], "eerd": ["start", "done", "addr", "data"],
            "icr": ["txdw", "lsc", "rxo", "rxt0"], "itr": [], "ims": [], "imc": [],
            "rctl": ["en", "upe", "mpe", "bam", "secrc"], "tctl": ["en", "psp", "ct", "cold"],
            "tipg": ["ipgt", "ipgr1", "ipgr2"], "rdbal": [], "rdbah": [], "rdlen": [], "rdh": [], "rdt": [],
            "tdbal": [], "tdbah": [], "tdlen": [], "tdh": [], "tdt": [], "mta": [], "ral0": [], "rah0": ["av"],
        ]
        for (name, fields) in required.sorted(by: { $0.key < $1.key }) {
            guard let register = device.register(named: name) else {
                report("registers", "the driver needs a register named '\(name)'")
                continue
            }
            for field in fields where !register.fields.contains(where: { $0.name == field }) {
                report("registers", "the driver needs field '\(field)' of '\(name)'")
            }
        }
        return diagnostics
    }
}
