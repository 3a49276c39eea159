import Foundation
import Subprocess

/// Runs kbuild on an external module directory.
public enum Kbuild {
    /// The kernel build tree to use when none is given: the running kernel's, when its headers
    /// are installed, otherwise the newest installed one (the machine that builds a guest module
    /// is often not running the guest's kernel).
    public static func defaultKernelDirectory() -> String? {
        let modules = "/lib/modules"
        var name = utsname()
        uname(&name)
        let release = withUnsafeBytes(of: &name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let running = "\(modules)/\(release)/build"
        if FileManager.default.fileExists(atPath: running + "/Makefile") { return running }
        let installed = (try? FileManager.default.contentsOfDirectory(atPath: modules)) ?? []
        return installed
            .filter { FileManager.default.fileExists(atPath: "\(modules)/\($0)/build/Makefile") }
            .sorted { $0.compare($1, options: .numeric) == .orderedAscending }
            .last
            .map { "\(modules)/\($0)/build" }
    }

    public struct Result: Sendable {
        public var succeeded: Bool
        public var output: String
        /// Lines of the compiler output that are warnings.
        public var warnings: [String] { output.split(separator: "\n").map(String.init).filter { $0.contains("warning:") } }
    }

    /// `make -C KDIR M=DIR W=1 modules`, with `C=1` (sparse) when asked, and `KCFLAGS=-g` for
    /// `debugInfo` (DWARF in the .ko for kernels configured without CONFIG_DEBUG_INFO; Debian's
    /// have it, so their kbuild already compiles with -g).
    public static func build(
        moduleDirectory: String, kernelDirectory: String, sparse: Bool = false, debugInfo: Bool = false
    ) async throws -> Result {
        var arguments = ["-C", kernelDirectory, "M=\(moduleDirectory)", "W=1"]
        if sparse { arguments.append("C=1") }
        if debugInfo { arguments.append("KCFLAGS=-g") }
        arguments.append("modules")
        let outcome = try await run(
            .name("make"), arguments: Arguments(arguments),
            output: .string(limit: 4 << 20), error: .string(limit: 4 << 20))
        let text = outcome.standardOutput + outcome.standardError
        return Result(succeeded: outcome.terminationStatus.isSuccess, output: text)
    }
}
