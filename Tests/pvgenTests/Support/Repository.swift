import Foundation
import Subprocess
#if canImport(System)
import System
#else
import SystemPackage
#endif

/// Paths inside the repository the tests run from.
enum Repository {
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    /// A new empty folder under the system's temporary folder.
    static func scratch(_ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("pvgen-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// The outcome of a command the tests ran.
struct CommandResult: Sendable {
    var status: Int32
    var output: String
}

/// Runs a command to completion, standard output and error together. Through
/// swift-subprocess, which starts the child with a clean signal mask: Foundation's Process
/// passes on the test runner's blocked signals, and a QEMU started that way ignores SIGTERM.
func runCommand(_ arguments: [String], in directory: String? = nil, environment: [String: String] = [:]) async throws -> CommandResult {
    guard MachineShare.boots(arguments) else { return try await runProcess(arguments, in: directory, environment: environment) }
    return try await MachineShare.sharing { try await runProcess(arguments, in: directory, environment: environment) }
}

private func runProcess(_ arguments: [String], in directory: String?, environment: [String: String]) async throws -> CommandResult {
    var overrides: [Environment.Key: String?] = [:]
    for (key, value) in environment { overrides[Environment.Key(stringLiteral: key)] = value }
    let result = try await run(
        .path(FilePath(arguments[0].hasPrefix("/") ? arguments[0] : "/usr/bin/env")),
        arguments: Arguments(arguments[0].hasPrefix("/") ? Array(arguments.dropFirst()) : arguments),
        environment: .inherit.updating(overrides),
        workingDirectory: directory.map { FilePath($0) },
        input: .none,
        output: .string(limit: 64 << 20),
        error: .combinedWithOutput)
    let status: Int32
    switch result.terminationStatus {
    case .exited(let code): status = Int32(code)
    default: status = -1
    }
    return CommandResult(status: status, output: result.standardOutput)
}
