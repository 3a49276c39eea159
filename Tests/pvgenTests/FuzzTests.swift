import CodeGen
import Foundation
import Testing

/// The libFuzzer targets over the host stub's entry points (`Tests/fuzz`: the batch entry
/// points against a reference model, and the exitless ring's), run for a bounded time against
/// a freshly generated tree. `scripts/fuzz.sh` is the long run.
@Suite("Host stub fuzzing")
struct FuzzTests {
    /// Runs one target of `run-fuzz.sh` for `seconds` and checks its summary line: no
    /// finding, and at least 10,000 executions (every seed runs first, and a healthy run does
    /// thousands per second).
    func fuzz(_ target: String, seconds: Int) async throws -> String {
        let tree = try Repository.scratch("fuzz-\(target)").appendingPathComponent("kmod")
        defer { try? FileManager.default.removeItem(at: tree.deletingLastPathComponent()) }
        try OutputTree.write(try Generator(catalog: .builtIn).generate(), to: tree)

        let result = try await runCommand(
            [Repository.path("Tests/fuzz/run-fuzz.sh"), "\(seconds)", tree.path, target],
            environment: ["PVGEN_FUZZ_OUT": ""])
        #expect(result.status == 0, "fuzzing found something or did not build:\n\(result.output)")
        let summary = try #require(
            result.output.firstMatch(of: /fuzz: (\d+) executions in (\d+) s, (\d+) new corpus inputs, (\d+) findings/),
            "no summary line:\n\(result.output)")
        let executions = try #require(Int(summary.1))
        print("FuzzTests: \(target): \(summary.0)")
        #expect(Int(summary.4) == 0)
        #expect(executions > 10_000, "only \(executions) executions in \(summary.2) s")
        return result.output
    }

    @Test("the host stub survives 60 seconds of libFuzzer with every invariant holding")
    func fuzzHostStub() async throws {
        let output = try await fuzz("host", seconds: 60)
        let seeds = try #require(output.firstMatch(of: /(\d+) seeds in/), "no seed count:\n\(output)")
        // The batch cases, and the ring operations, the port window and re-entry since ABI 3.
        #expect(Int(seeds.1)! >= 50)
    }

    @Test("the exitless ring's operations (attach, kick, detach) survive 30 seconds of libFuzzer on two hostile rings")
    func fuzzRing() async throws {
        let output = try await fuzz("ring", seconds: 30)
        let seeds = try #require(output.firstMatch(of: /(\d+) seeds in/), "no seed count:\n\(output)")
        #expect(Int(seeds.1)! >= 10)
    }
}
