import ABIVerify
import ArgumentParser
import Foundation

struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check, from the built artifacts, that the guest modules and the host stub agree on the ABI.",
        discussion: """
            Run after `pvgen build DIR`. Rebuilds DIR/host/lib with debug information, then compares \
            the model with what each built .ko and libpvgen_host.a carry: the fingerprint (libkmod, \
            the host's fingerprint symbol), the entry layout (DWARF, pahole), and hypercall numbers, \
            argument registers, op codes, limits and the doorbell, by running the module's own code \
            with the host stub: vmcall in Unicorn, the PIO doorbell in a KVM vCPU. Exit status 1 on \
            any mismatch, 2 when verification could not run. Needs Debian's dwarves and \
            libunicorn-dev. See docs/verify.md.
            """)

    @Argument(help: "A generated and built folder, such as kmod.")
    var directory: String

    @OptionGroup var catalogOptions: CatalogOptions

    @Flag(name: .long, help: "Print the report as JSON.")
    var json = false

    @Flag(name: .long, help: "Run the doorbell path in Unicorn instead of a KVM vCPU.")
    var noKvm = false

    @Flag(name: .long, help: "Use host/lib as built instead of rebuilding it with -g3 (then DWARF must be there).")
    var noHostBuild = false

    @Option(name: .long, help: "Keep the rig, its plan and the extracted host objects in this folder.")
    var work: String?

    func run() async throws {
        let catalog = try catalogOptions.catalog()
        let verifier = ABIVerifier(
            options: .init(
                tree: URL(fileURLWithPath: directory), catalog: catalog, useKVM: !noKvm, buildHost: !noHostBuild,
                work: work.map { URL(fileURLWithPath: $0) }))
        let report: VerifyReport
        do {
            // With --json, standard output and error carry the document alone.
            report = try await verifier.run { [json] line in
                if !json { FileHandle.standardError.write(Data("[pvgen] \(line)\n".utf8)) }
            }
        } catch let error as VerifyError {
            FileHandle.standardError.write(Data("pvgen verify: \(error.description)\n".utf8))
            throw ExitCode(2)
        }
        print(json ? try report.json() : report.table(), terminator: json ? "\n" : "")
        if !report.passed { throw ExitCode(1) }
    }
}
