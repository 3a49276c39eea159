import CodeGen
import Foundation
import Subprocess

/// Unified diffs between what pvgen would generate and a folder, file by file, with `diff -u`
/// (labels a/PATH and b/PATH, as `git diff` prints them).
enum TreeDiff {
    static func unified(expected: [GeneratedFile], actual: [GeneratedFile], directory: String) async throws -> String {
        let expectedByPath = Dictionary(uniqueKeysWithValues: expected.map { ($0.path, $0.contents) })
        let actualByPath = Dictionary(uniqueKeysWithValues: actual.map { ($0.path, $0.contents) })
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("pvgen-diff-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }

        var output = ""
        for path in Set(expectedByPath.keys).union(actualByPath.keys).sorted() where expectedByPath[path] != actualByPath[path] {
            let old = scratch.appendingPathComponent("old")
            let new = scratch.appendingPathComponent("new")
            try Data((actualByPath[path] ?? "").utf8).write(to: old)
            try Data((expectedByPath[path] ?? "").utf8).write(to: new)
            let oldLabel = actualByPath[path] == nil ? "/dev/null" : "a/\(directory)/\(path)"
            let newLabel = expectedByPath[path] == nil ? "/dev/null" : "b/\(directory)/\(path)"
            let result = try await run(
                .name("diff"), arguments: ["-u", "--label", oldLabel, "--label", newLabel, old.path, new.path],
                output: .string(limit: 16 << 20), error: .discarded)
            output += result.standardOutput
        }
        return output
    }
}
