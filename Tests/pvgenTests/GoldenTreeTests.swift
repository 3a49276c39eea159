import CodeGen
import Foundation
import Testing

@Suite("Generated tree")
struct GoldenTreeTests {
    @Test("pvgen generate reproduces kmod/ byte for byte")
    func kmodIsCurrent() throws {
        let expected = try Generator(catalog: .builtIn).generate()
        let checkedIn = try OutputTree.read(URL(fileURLWithPath: Repository.path("kmod")))
        let stale = Set(expected.map(\.path)).symmetricDifference(checkedIn.map(\.path))
            .union(zip(expected, checkedIn).filter { $0 != $1 }.map(\.0.path))
        #expect(
            stale.isEmpty,
            "kmod/ is stale in \(stale.sorted()): run `swift run pvgen generate` and commit, or see `swift run pvgen diff kmod`")
    }

    @Test("two runs generate identical bytes")
    func deterministic() throws {
        #expect(try Generator(catalog: .builtIn).generate() == Generator(catalog: .builtIn).generate())
    }

    @Test("output carries an SPDX line, no dates and no absolute paths")
    func noVaryingContent() throws {
        for file in try Generator(catalog: .builtIn).generate() {
            if file.path.hasSuffix(".c") || file.path.hasSuffix(".h") || file.path.hasSuffix("Makefile") || file.path.hasSuffix("Kbuild") {
                #expect(file.contents.contains("SPDX-License-Identifier"), "\(file.path) has no SPDX line")
            }
            #expect(!file.contents.contains("/work/") && !file.contents.contains("/tmp/"), "\(file.path) names a local path")
            #expect(!file.contents.contains("__DATE__") && !file.contents.contains("2026"), "\(file.path) carries a date")
        }
    }

    @Test("pvgen generate replaces its output folder whole: stale files disappear")
    func ownsItsFolder() throws {
        let folder = try Repository.scratch("owned").appendingPathComponent("kmod")
        try OutputTree.write([GeneratedFile(path: "old/stale.c", contents: "x")], to: folder)
        try OutputTree.write(try Generator(catalog: .builtIn).generate(), to: folder)
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("old/stale.c").path))
        #expect(try OutputTree.read(folder) == (try Generator(catalog: .builtIn).generate()))
    }

    @Test("every generated tree carries the marker, one fixed line, and kmod/ has it")
    func marker() throws {
        let files = try Generator(catalog: .builtIn).generate()
        #expect(files.filter { $0.path == OutputTree.markerPath } == [OutputTree.marker])
        #expect(OutputTree.marker.contents == OutputTree.markerLine + "\n")
        let checkedIn = try String(contentsOfFile: Repository.path("kmod/\(OutputTree.markerPath)"), encoding: .utf8)
        #expect(checkedIn == OutputTree.marker.contents)
        // Even a tree written from other files is marked, so the next run may replace it.
        let folder = try Repository.scratch("marked").appendingPathComponent("out")
        defer { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent()) }
        try OutputTree.write([GeneratedFile(path: "a.c", contents: "x")], to: folder)
        #expect(try OutputTree.read(folder).map(\.path) == [OutputTree.markerPath, "a.c"])
    }
}
