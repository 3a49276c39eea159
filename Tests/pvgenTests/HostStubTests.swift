@testable import CodeGen
import DriverModel
import Foundation
import HypercallABI
import Testing

/// The generated host stub library: its fingerprint, its Makefile, and the C tests of
/// `Tests/host` run against a freshly generated tree (gcc, clang's address and undefined
/// behaviour sanitizers, and ThreadSanitizer for the ring's two-thread tests).
@Suite("Host stub library")
struct HostStubTests {
    static let naming = Naming(abi: Catalog.builtIn.abi)
    static let testsDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("host")

    /// The built-in catalog generated into a new temporary folder.
    static func generatedTree() throws -> URL {
        let tree = FileManager.default.temporaryDirectory.appendingPathComponent("pvgen-host-\(UUID().uuidString)")
        try OutputTree.writeFiles(try Generator(catalog: .builtIn).generate(), under: tree)
        return tree
    }

    /// The first of `tools` missing from PATH, if any.
    static func missing(_ tools: [String]) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return tools.first { tool in
            !path.split(separator: ":").contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(tool)") }
        }
    }

    /// `N passed, M failed` from the C test program's output.
    static func summary(_ output: String) -> (passed: Int, failed: Int)? {
        guard let match = output.firstMatch(of: /(\d+) passed, (\d+) failed/) else { return nil }
        return (Int(match.1)!, Int(match.2)!)
    }

    @Test("the host header carries the model's fingerprint, and the library defines it")
    func fingerprint() throws {
        let files = try Generator(catalog: .builtIn).generate()
        let header = try #require(files.first { $0.path == "host/lib/\(Self.naming.hostHeader)" })
        let constant = Self.naming.hostConstant("abi_fingerprint")
        let line = try #require(header.contents.split(separator: "\n").first { $0.hasPrefix("#define \(constant)\t") })
        let value = line.split(separator: "\"", omittingEmptySubsequences: false).dropFirst().first
        #expect(value.map(String.init) == Catalog.builtIn.abi.fingerprint)
        #expect(Catalog.builtIn.abi.fingerprint.count == 64)

        let source = try #require(files.first { $0.path == "host/lib/\(Self.naming.hostSource)" })
        #expect(source.contents.contains("const char \(Self.naming.host("abi_fingerprint"))[] = \(constant);"))
    }

    @Test("host/lib builds with its generated Makefile, and the C tests pass against the tree")
    func cTests() async throws {
        if let tool = Self.missing(["gcc", "make", "cc", "ar"]) {
            print("HostStubTests.cTests skipped: \(tool) is not installed")
            return
        }
        let tree = try Self.generatedTree()
        defer { try? FileManager.default.removeItem(at: tree) }
        let lib = tree.appendingPathComponent("host/lib")

        let build = try await runCommand(["make", "-C", lib.path])
        #expect(build.status == 0, "make -C host/lib failed:\n\(build.output)")
        #expect(FileManager.default.fileExists(atPath: lib.appendingPathComponent("\(Self.naming.hostLibrary).a").path))
        let clean = try await runCommand(["make", "-C", lib.path, "clean"])
        #expect(clean.status == 0, "make clean failed:\n\(clean.output)")
        #expect(try OutputTree.read(tree).map(\.path) == (try Generator(catalog: .builtIn).generate()).map(\.path))

        let out = tree.appendingPathComponent("tests")
        let test = try await runCommand(["make", "-C", Self.testsDirectory.path, "KMOD=\(tree.path)", "OUT=\(out.path)", "test"])
        #expect(test.status == 0, "C tests failed:\n\(test.output)")
        let counts = try #require(Self.summary(test.output), "no 'N passed, N failed' line:\n\(test.output)")
        #expect(counts.failed == 0)
        #expect(counts.passed > 60)
    }

    @Test("the host library builds for a VMM on a host without Linux headers (QEMU's device compiles it on every host)")
    func buildsWithoutLinuxHeaders() async throws {
        if let tool = Self.missing(["gcc", "make"]) {
            print("skipped: no \(tool) (the test command installs gcc and make)")
            return
        }
        let tree = try Self.generatedTree()
        defer { try? FileManager.default.removeItem(at: tree) }
        let run = try await runCommand([
            "make", "-C", Self.testsDirectory.path, "KMOD=\(tree.path)", "OUT=\(tree.appendingPathComponent("tests").path)", "portable",
        ])
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("portable: pvgen_host.c builds without Linux headers"))
    }

    /// `make TARGET` of `Tests/host` with clang against a fresh tree, its output; nil (and
    /// said so) when clang or make is missing or the target says SKIPPED.
    static func sanitizerRun(_ target: String, test: String) async throws -> String? {
        if let tool = missing(["clang", "make"]) {
            print("HostStubTests.\(test) skipped: \(tool) is not installed")
            return nil
        }
        let tree = try generatedTree()
        defer { try? FileManager.default.removeItem(at: tree) }
        let out = tree.appendingPathComponent("tests")
        let run = try await runCommand(["make", "-C", testsDirectory.path, "KMOD=\(tree.path)", "OUT=\(out.path)", target])
        if let skip = run.output.split(separator: "\n").first(where: { $0.hasPrefix("\(target): SKIPPED") }) {
            print("HostStubTests.\(test) skipped: \(skip)")
            return nil
        }
        #expect(run.status == 0, "C tests under make \(target) failed:\n\(run.output)")
        let counts = try #require(summary(run.output), "no 'N passed, N failed' line:\n\(run.output)")
        #expect(counts.failed == 0)
        return run.output
    }

    @Test("the C tests pass under AddressSanitizer and UBSan")
    func sanitizers() async throws {
        _ = try await Self.sanitizerRun("asan", test: "sanitizers")
    }

    @Test("the C tests pass under ThreadSanitizer: the ring's guest and poller threads, 200,000 batches each way")
    func threadSanitizer() async throws {
        guard let output = try await Self.sanitizerRun("tsan", test: "threadSanitizer") else { return }
        #expect(!output.contains("ThreadSanitizer:"), "ThreadSanitizer reported:\n\(output)")
        for name in ["test_ring_two_threads_polled", "test_ring_two_threads_kicked"] {
            #expect(output.contains("ok - \(name)"), "\(name) did not pass under TSan:\n\(output)")
        }
        let figures = output.split(separator: "\n").filter { $0.contains("batches in") }
        print("HostStubTests.threadSanitizer: " + figures.map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: "; "))
    }

    @Test("the allowlist comes from the device model: ports, widths and BAR parameters")
    func allowlistFromModel() throws {
        let allowlist = HostAllowlist(device: PIIXIDE.device)
        #expect(allowlist.ranges.count == 12)
        #expect(allowlist.bars.map(\.parameter) == ["bar4"])
        #expect(allowlist.bars.map(\.alignment) == [16])
        let data = try #require(allowlist.ranges.first)
        #expect(data.first == 0x1f0 && data.last == 0x1f0 && data.widths == [.word])
        #expect(allowlist.ranges[1].first == 0x1f1 && allowlist.ranges[1].last == 0x1f7)

        let source = try #require(try Generator(catalog: .builtIn).generate().first { $0.path == "host/lib/\(Self.naming.hostSource)" })
        #expect(source.contents.contains("int \(Self.naming.host("piix_ide_ports"))(struct \(Self.naming.host("port_range")) *ranges, size_t max,"))
        #expect(source.contents.contains("set_range(&ranges[11], bar4 + 12, bar4 + 12, PVGEN_HOST_WIDTH_4);"))
    }

    @Test("a fixed block over the doorbell port is refused before anything is generated")
    func doorbellInsideFixedBlock() {
        var catalog = Catalog.builtIn
        catalog.devices[0].blocks[0].bases[0] = .fixed(catalog.abi.doorbell.port - 2)
        #expect {
            try Generator(catalog: catalog).generate()
        } throws: { error in
            guard let invalid = error as? InvalidModel else { return false }
            return invalid.diagnostics.contains { $0.field == "devices[0].blocks[0].bases[0]" && $0.message.contains("doorbell") }
        }
    }
}
