import Foundation

/// Each kbuild target's warnings, as the compiler (and kernel-doc, and the linker) printed them
/// when the target was last built. kbuild's quiet output names each step's target
/// (`  CC [M]  /dir/x.o`); what follows, up to the next step, is that step's. Targets inside
/// the module directory are recorded relative to it, so a copied tree does not count them twice.
struct WarningRecord: Codable, Equatable {
    var targets: [String: [String]] = [:]

    /// Recorded warnings, by target.
    var warnings: [String] { targets.sorted { $0.key < $1.key }.flatMap(\.value) }

    /// This record with the targets just built replaced, and those that no longer exist dropped.
    func updated(with fresh: [String: [String]], in directory: String) -> WarningRecord {
        WarningRecord(
            targets: targets.merging(fresh) { _, new in new }.filter { target, _ in
                FileManager.default.fileExists(atPath: target.hasPrefix("/") ? target : directory + "/" + target)
            })
    }

    /// The warnings of the steps that built a target, and the others (sparse's CHECK steps run on
    /// every build with C=2, and lines before any step), which are never recorded.
    static func parse(_ output: String, in directory: String) -> (byTarget: [String: [String]], live: [String]) {
        var byTarget: [String: [String]] = [:]
        var live: [String] = []
        var current: String?
        for line in output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if let step = line.wholeMatch(of: #/  ([A-Z][A-Z0-9_]*(?: \[M\])?) +(\S+)\s*/#) {
                let target = String(step.2)
                current = step.1 == "CHECK" ? nil : target.hasPrefix(directory + "/") ? String(target.dropFirst(directory.count + 1)) : target
                if let current { byTarget[current, default: []] += [] }
                continue
            }
            guard line.contains("warning:") else { continue }
            if let current { byTarget[current, default: []].append(line) } else { live.append(line) }
        }
        return (byTarget, live)
    }

    static func load(_ path: String) -> WarningRecord? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONDecoder().decode(WarningRecord.self, from: data)
    }

    func save(_ path: String) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        if let data = try? encoder.encode(self) { _ = FileManager.default.createFile(atPath: path, contents: data) }
    }
}
