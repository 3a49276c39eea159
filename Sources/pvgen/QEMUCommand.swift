import ArgumentParser
import Foundation
import Subprocess

#if canImport(System)
    import System
#else
    import SystemPackage
#endif

struct QEMUCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qemu",
        abstract: "Build Debian's QEMU 7.2 with a generated folder's doorbell device and QEMU patches; print the binary's path.",
        discussion: """
            Fetches the qemu source package (adding a deb-src entry and the build dependencies \
            with apt when they are missing), adds host/qemu with the host stub library and the \
            shared header to hw/misc, applies host/qemu/*.patch, and builds qemu-system-x86_64 \
            in the cache. An unchanged rerun does nothing.
            """)

    @Argument(help: "A generated folder, such as kmod.")
    var directory: String

    @Option(name: .long, help: "Where the QEMU source, build and stamps live.")
    var cache: String = ".build-qemu"

    @Option(name: .long, help: "Parallel build jobs (default: the number of cores).")
    var jobs: Int?

    func run() async throws {
        let tree = URL(fileURLWithPath: directory).standardizedFileURL
        let cacheURL = URL(fileURLWithPath: cache).standardizedFileURL
        let device = try QEMUDeviceFolder.assemble(from: tree, into: cacheURL.appendingPathComponent("pvgen-device"))
        guard let script = Bundle.module.url(forResource: "build-qemu", withExtension: "sh", subdirectory: "Resources") else {
            throw ValidationError("pvgen's QEMU build script is missing from its resources; run pvgen from its build folder.")
        }
        var arguments = [script.path, "--cache", cacheURL.path, "--device-dir", device.folder.path]
        for patch in device.patches { arguments += ["--patch", patch.path] }
        if let jobs { arguments += ["--jobs", "\(jobs)"] }
        // Progress goes straight to standard error; the script prints the binary's path last.
        let result = try await Subprocess.run(
            .name("bash"), arguments: Arguments(arguments), output: .string(limit: 1 << 20),
            error: .currentStandardError)
        guard result.terminationStatus.isSuccess, let path = result.standardOutput.split(separator: "\n").last else {
            throw ExitCode(1)
        }
        print(path)
    }
}

/// The folder build-qemu.sh takes: the generated device and its build fragments (host/qemu),
/// the host stub library it calls (host/lib) and the shared ABI header (include), copied
/// together; the TCG patch stays apart, for `--patch`.
enum QEMUDeviceFolder {
    struct Assembled {
        var folder: URL
        var patches: [URL]
    }

    static func assemble(from tree: URL, into folder: URL) throws -> Assembled {
        let manager = FileManager.default
        func files(_ relative: String, _ suffixes: [String]) -> [URL] {
            let url = tree.appendingPathComponent(relative)
            let names = (try? manager.contentsOfDirectory(atPath: url.path)) ?? []
            return names.sorted().filter { name in suffixes.contains { name.hasSuffix($0) } }.map { url.appendingPathComponent($0) }
        }
        let device = files("host/qemu", [".c", ".h", ".fragment"])
        guard device.contains(where: { $0.pathExtension == "c" }) else {
            throw ValidationError("No QEMU device under \(tree.path)/host/qemu: generate a catalog whose device names a qemu_type.")
        }
        try? manager.removeItem(at: folder)
        try manager.createDirectory(at: folder, withIntermediateDirectories: true)
        for file in device + files("host/lib", [".c", ".h"]) + files("include", [".h"]) {
            try manager.copyItem(at: file, to: folder.appendingPathComponent(file.lastPathComponent))
        }
        return Assembled(folder: folder, patches: files("host/qemu", [".patch"]))
    }
}
