import ArgumentParser
import Foundation
import KernelBuild

struct BuildCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Build every guest module under a generated folder with kbuild (W=1), then show their modinfo.")

    @Argument(help: "A generated folder, such as kmod.")
    var directory: String

    @Option(name: .long, help: "Kernel build tree (default: the running kernel's if installed, else the newest installed headers).")
    var kdir: String?

    @Flag(name: .long, help: "Also run sparse on every source (C=2).")
    var sparse = false

    @Flag(name: .long, help: "Fail when the compiler prints any warning.")
    var werror = false

    @Flag(name: .long, help: "Compile with -g (KCFLAGS=-g), for `pvgen verify` on kernels built without CONFIG_DEBUG_INFO.")
    var debugInfo = false

    func run() async throws {
        guard let kernel = kdir ?? Kbuild.defaultKernelDirectory() else {
            throw ValidationError("No kernel build tree found under /lib/modules; install linux-headers-amd64 or pass --kdir.")
        }
        let guest = URL(fileURLWithPath: directory).appendingPathComponent("guest")
        let modules = ((try? FileManager.default.contentsOfDirectory(atPath: guest.path)) ?? [])
            .filter { FileManager.default.fileExists(atPath: guest.appendingPathComponent("\($0)/Kbuild").path) }
            .sorted()
        guard !modules.isEmpty else { throw ValidationError("No guest module (a folder with a Kbuild file) under \(guest.path).") }

        // Every module is built, whatever happened to the ones before it; the closing line names
        // each that failed, and why.
        var failures: [String] = []
        var warnings = 0
        for module in modules {
            let folder = guest.appendingPathComponent(module).standardizedFileURL.path
            progress("kbuild: \(module) against \(kernel) (W=1\(sparse ? ", C=2" : ""))")
            let result = try await Kbuild.build(moduleDirectory: folder, kernelDirectory: kernel, sparse: sparse, debugInfo: debugInfo)
            for warning in result.warnings { progress(warning) }
            warnings += result.warnings.count
            guard result.succeeded else {
                FileHandle.standardError.write(Data(result.output.utf8))
                progress("kbuild failed for \(module)")
                failures.append("\(module) (kbuild failed)")
                continue
            }
            if werror && !result.warnings.isEmpty {
                failures.append("\(module) (\(count(result.warnings.count, "warning")), --werror)")
            }
            let info: ModuleInfo
            do {
                info = try ModuleInfo.read(path: "\(folder)/\(module).ko")
            } catch {
                progress("cannot read \(folder)/\(module).ko: \(error)")
                failures.append("\(module) (no readable \(module).ko)")
                continue
            }
            print("\(info.name): \(folder)/\(module).ko")
            print("  license:   \(info.license ?? "-")")
            print("  vermagic:  \(info.vermagic ?? "-")")
            print("  pvgen_abi: \(info.value(of: "pvgen_abi") ?? "-")")
            print("  warnings:  \(result.warnings.count)")
            for parameter in info.parameters {
                print("  parm:      \(parameter.name) (\(parameter.type)): \(parameter.description)")
            }
        }
        guard failures.isEmpty else {
            progress("\(failures.count) of \(count(modules.count, "module")) failed: \(failures.joined(separator: ", "))")
            throw ExitCode(1)
        }
        progress("built \(count(modules.count, "module")), \(count(warnings, "warning"))")
    }

    func count(_ number: Int, _ noun: String) -> String { "\(number) \(noun)\(number == 1 ? "" : "s")" }

    func progress(_ line: String) {
        FileHandle.standardError.write(Data("[pvgen] \(line)\n".utf8))
    }
}
