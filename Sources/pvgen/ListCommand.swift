import ArgumentParser
import CodeGen
import DriverModel

struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the catalog: ABI, devices, sequences and their batches.")

    @OptionGroup var options: CatalogOptions

    @Flag(name: .long, help: "Under each sequence, every access: the batch it lands in, and why each batch ends.")
    var entries = false

    func run() async throws {
        let catalog = try options.catalog()
        let abi = catalog.abi
        print("ABI \(abi.prefix) v\(abi.version) fingerprint \(abi.fingerprint)")
        for call in abi.hypercalls {
            let arguments = call.arguments.map { "\($0.name) in \($0.register.rawValue)" }.joined(separator: ", ")
            print("  hypercall \(call.name) 0x\(String(call.number, radix: 16)): \(arguments)")
        }
        print("  doorbell port 0x\(String(abi.doorbell.port, radix: 16)), at most \(abi.limits.maxEntries) entries per batch")
        for device in catalog.devices {
            let plan = BatchPlanner.plan(device)
            let id = device.pciID
            print("device \(device.name) (PCI \(id)): \(device.summary)")
            for sequence in plan.sequences {
                let name = sequence.sequence.name
                let boundaries = sequence.steps.compactMap(\.submitAfter).map(\.description)
                if let path = sequence.sequence.path {
                    // A path's batch is everything it runs, the sequences it calls included.
                    let every = Set(device.sequences.flatMap { $0.guards.map(\.name) })
                    let batches = plan.batches(for: [Invocation(name, holding: every)])
                    let sizes = batches.map { "\($0.entries.count)" }.joined(separator: " + ")
                    print("  \(name) (path \(path.rawValue)): \(batches.count) submission(s) of \(sizes) accesses at most; \(boundaries.joined(separator: "; "))")
                    if entries { PlanListing.batches(batches).forEach { print("      \($0)") } }
                    continue
                }
                let accesses = sequence.steps.compactMap(\.access).count
                let end = sequence.submitsAtEnd ? "submits at return" : "stays open into \(sequence.sequence.continuesInto.joined(separator: "/"))"
                print("  \(name): \(accesses) accesses; \(([end] + boundaries).joined(separator: "; "))")
                if entries { PlanListing.steps(sequence).forEach { print("      \($0)") } }
            }
        }
    }
}

struct ModelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model", abstract: "Print the catalog as a YAML model file, the format --model reads.")

    @OptionGroup var options: CatalogOptions

    func run() async throws {
        print(try ModelFile.yaml(for: try options.catalog()), terminator: "")
    }
}
