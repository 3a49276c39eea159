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
        /// The module's warnings: what this run printed, plus, for every target kbuild found up to
        /// date, what the compiler printed when it last built it (`warningRecord`), so an
        /// unchanged rebuild reports what the first build did. Recorded ones first, by target.
        public var warnings: [String]
    }

    /// The file in a module directory where `build` keeps each target's warnings.
    public static let warningRecord = ".pvgen-warnings"

    /// `make -C KDIR M=DIR W=1 V=0 modules`, with `C=2` (sparse on every source, whether or not it
    /// is recompiled) when asked, and `KCFLAGS=-g` for `debugInfo` (DWARF in the .ko for kernels
    /// configured without CONFIG_DEBUG_INFO; Debian's have it, so their kbuild already compiles
    /// with -g). A directory built without a record (by plain make, or an older pvgen) is
    /// cleaned first, so that every target is compiled and its warnings recorded.
    public static func build(
        moduleDirectory: String, kernelDirectory: String, sparse: Bool = false, debugInfo: Bool = false
    ) async throws -> Result {
        let recordPath = moduleDirectory + "/" + warningRecord
        let recorded = WarningRecord.load(recordPath)
        if recorded == nil {
            _ = try await make(["-C", kernelDirectory, "M=\(moduleDirectory)", "clean"])
        }
        var arguments = ["-C", kernelDirectory, "M=\(moduleDirectory)", "W=1", "V=0"]
        if sparse { arguments.append("C=2") }
        if debugInfo { arguments.append("KCFLAGS=-g") }
        arguments.append("modules")
        let (succeeded, text) = try await make(arguments)

        let run = WarningRecord.parse(text, in: moduleDirectory)
        let record = (recorded ?? WarningRecord()).updated(with: run.byTarget, in: moduleDirectory)
        record.save(recordPath)
        return Result(succeeded: succeeded, output: text, warnings: record.warnings + run.live)
    }

    static func make(_ arguments: [String]) async throws -> (succeeded: Bool, output: String) {
        // One pipe for both, so that each warning stays under the step that printed it.
        let outcome = try await run(
            .name("make"), arguments: Arguments(arguments), output: .string(limit: 8 << 20), error: .combinedWithOutput)
        return (outcome.terminationStatus.isSuccess, outcome.standardOutput)
    }
}
