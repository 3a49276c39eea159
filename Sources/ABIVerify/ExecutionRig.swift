import CodeGen
import Foundation

/// What vrig (`harness/`, built per run against the tree's host library) printed.
struct RigOutput: Decodable {
    struct Access: Decodable, Hashable, CustomStringConvertible {
        var dir: String
        var width: Int
        var port: Int
        var value: UInt32

        var description: String {
            dir == "o" ? "out\(width * 8) \(hex(port))=\(hex(value))" : "in\(width * 8) \(hex(port))"
        }

        /// The same access as far as the device is concerned: values read may differ.
        func sameAs(_ other: Access) -> Bool {
            dir == other.dir && width == other.width && port == other.port && (dir == "i" || value == other.value)
        }
    }

    struct Host: Decodable {
        struct Doorbell: Decodable { var port: Int; var value: UInt32 }
        struct Op: Decodable { var code: Int; var kind: String }
        var fingerprint: String
        var fingerprint_symbol: String
        var header_doorbell_port: Int
        var doorbell_in: [Doorbell]
        var doorbell_narrow: [UInt32]?
        var validate: Int
        var ops: [Op]
        var op_refusal: Int
        var max_entries: Int
        var max_entries_refusal: Int
    }

    struct Event: Decodable {
        var type: String
        var rip: String?
        var rax: String?, rbx: String?, rcx: String?, rdx: String?, rsi: String?
        var dir: String?
        var width: Int?
        var port: Int?
        var value: UInt32?
        var pp_gpa: String?
        var pp_count: UInt64?
        /// On a mark: whether the call before it left an IN_EXPECT cut.
        var cut_before: Int?
        var queue: String?
        var host: [Access]?
        var host_ret: Int64?
        var host_reads: Int?
        var host_read_gpa: String?
        var host_read_len: Int?
        var call: Int?
        /// In a ring run: the named ring's magic, slot count and flags after the call.
        var ring_head: [UInt32]?

        func register(_ name: String) -> UInt64? {
            let text: String?
            switch name {
            case "rax": text = rax
            case "rbx": text = rbx
            case "rcx": text = rcx
            case "rdx": text = rdx
            case "rsi": text = rsi
            default: text = nil
            }
            return text.flatMap(parseHex)
        }

        var access: Access? {
            guard let dir, let width, let port else { return nil }
            return Access(dir: dir, width: width, port: port, value: value ?? 0)
        }

        var queueBytes: [UInt8] {
            guard let queue else { return [] }
            var bytes: [UInt8] = []
            var index = queue.startIndex
            while index < queue.endIndex {
                let next = queue.index(index, offsetBy: 2)
                bytes.append(UInt8(queue[index..<next], radix: 16) ?? 0)
                index = next
            }
            return bytes
        }
    }

    struct Run: Decodable {
        var name: String
        var kind: String
        var function: String
        var transport: String
        var engine: String
        var engine_note: String?
        var ret: String
        var transport_active: String
        var faulted: Bool
        var fault: String
        var calls: String
        var events_overflow: Bool
        var events: [Event]

        var vmcalls: [Event] { events.filter { $0.type == "vmcall" } }
        var doorbellOuts: [Event] { events.filter { $0.type == "doorbell" && $0.dir == "o" } }
        var warnings: Int { events.filter { $0.type == "warn" }.count }
        /// Port accesses the guest made itself (not through the host stub).
        var deviceAccesses: [Access] { events.filter { $0.type == "io" }.compactMap(\.access) }
        /// Everything the host stub did for this run.
        var hostAccesses: [Access] { events.flatMap { $0.host ?? [] } }
    }

    struct KVM: Decodable { var available: Bool; var why: String }

    struct Hypercall: Decodable {
        struct Probe: Decodable { var slot: Int; var version: Int; var ret: Int64 }
        struct Batch: Decodable { var gpa_slot: Int; var count_slot: Int; var ret: Int64 }
        var nr: String
        var probe: [Probe]
        var batch: [Batch]
        var enosys: Bool
        var number: UInt64 { parseHex(nr) ?? 0 }
    }

    /// The host with a ring state, found by calling it.
    struct Ring: Decodable {
        struct Port: Decodable { var port: Int; var value: UInt32 }
        struct Op: Decodable { var code: Int; var kind: String }
        /// Ports where the ring host answers a 32-bit IN (and the plain host does not).
        var ports: [Port]
        var scan_port: Int
        /// The numbers whose call attaches a ring.
        var nrs: [String]
        /// What each ring operation code does, by port and by call.
        var port_ops: [Op]
        var port_ops_refusal: Int
        var call_ops: [Op]?
        var call_ops_refusal: Int?
        /// The flags the host writes on attach (no poller) and on detach.
        var attach_flags: UInt32
        var detach_flags: UInt32
        var unattached_kick: Int
        var magic: UInt32
    }

    var host: Host
    var load_error: String
    var kvm: KVM
    var runs: [Run]
    var hypercalls: [Hypercall]
    var ring: Ring?

    func run(_ name: String) -> Run? { runs.first { $0.name == name } }
    func hypercall(_ number: UInt64) -> Hypercall? { hypercalls.first { $0.number == number } }
}

func parseHex(_ text: String) -> UInt64? {
    text.hasPrefix("0x") ? UInt64(text.dropFirst(2), radix: 16) : UInt64(text)
}

/// Builds vrig against a tree's host library and runs it on one guest module.
struct ExecutionRig {
    var work: URL
    var naming: Naming
    var hostLibrary: String
    var hostIncludes: [String]

    static let sources = ["vrig.h", "vrig_main.c", "vrig_image.c", "vrig_unicorn.c", "vrig_kvm.c"]

    /// Copies the harness sources, writes the shim for this ABI's names, compiles and links.
    func build() async throws -> String {
        guard FileManager.default.fileExists(atPath: "/usr/include/unicorn/unicorn.h") else {
            throw VerifyError("Unicorn is not installed: install Debian's libunicorn-dev (apt-get install libunicorn-dev)")
        }
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        for name in Self.sources + ["vrig_shim.c.in"] {
            guard let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "harness") else {
                throw VerifyError("harness/\(name) is missing from pvgen's resources")
            }
            let target = work.appendingPathComponent(name)
            try? FileManager.default.removeItem(at: target)
            try FileManager.default.copyItem(at: url, to: target)
        }
        let template = try String(contentsOf: work.appendingPathComponent("vrig_shim.c.in"), encoding: .utf8)
        let replacements = [
            "@HOST_HEADER@": naming.hostHeader,
            "@HOST_STRUCT@": naming.hostStruct,
            "@RANGE_STRUCT@": naming.host("port_range"),
            "@DOORBELL_PORT@": naming.doorbellPort,
            "@RING_PORT@": naming.ringPort,
            "@RING_STRUCT@": naming.host("ring"),
            "@WINDOW_FIRST@": naming.portWindowFirst,
            "@WINDOW_LAST@": naming.portWindowLast,
            "@WIDTH_ALL@": naming.hostConstant("width_all"),
            "@FN_VALIDATE@": naming.host("validate"),
            "@FN_HYPERCALL@": naming.host("handle_hypercall"),
            "@FN_RUN_BATCH@": naming.host("run_batch"),
            "@FN_DOORBELL_OUT@": naming.host("handle_doorbell_out"),
            "@FN_DOORBELL_IN@": naming.host("handle_doorbell_in"),
            "@FINGERPRINT_SYMBOL@": naming.host("abi_fingerprint"),
        ]
        var shim = template
        for (key, value) in replacements { shim = shim.replacingOccurrences(of: key, with: value) }
        try Data(shim.utf8).write(to: work.appendingPathComponent("vrig_shim.c"))

        let flags = ["-std=gnu11", "-O1", "-g", "-Wall", "-Wextra"]
        let shimBuild = try await Tool.run(
            ["cc"] + flags + hostIncludes.map { "-I\($0)" } + ["-c", "-o", "vrig_shim.o", "vrig_shim.c"], in: work.path)
        guard shimBuild.succeeded else {
            throw VerifyError("the rig's shim does not compile against the host headers:\n\(shimBuild.text)")
        }
        let link = try await Tool.run(
            ["cc"] + flags + ["-I.", "-o", "vrig"] + Self.sources.filter { $0.hasSuffix(".c") }
                + ["vrig_shim.o", hostLibrary, "-lunicorn"], in: work.path)
        guard link.succeeded else { throw VerifyError("the rig does not build:\n\(link.text)") }
        return work.appendingPathComponent("vrig").path
    }

    func run(_ binary: String, plan: String) async throws -> RigOutput {
        let planFile = work.appendingPathComponent("plan-\(UUID().uuidString.prefix(8)).txt")
        try Data(plan.utf8).write(to: planFile)
        let output = try await Tool.run([binary, planFile.path], in: work.path)
        guard output.succeeded else {
            throw VerifyError("the rig failed (status \(output.status)):\n\(output.standardError)")
        }
        do {
            return try JSONDecoder().decode(RigOutput.self, from: Data(output.standardOutput.utf8))
        } catch {
            throw VerifyError("the rig's output is not what pvgen expects: \(error)")
        }
    }
}
