import Foundation
import Subprocess

#if canImport(System)
import System
#else
import SystemPackage
#endif

/// A failure that stops `pvgen verify` before it can compare anything: a missing tool or
/// package, an unbuilt tree, a rig that did not build. Not a mismatch.
public struct VerifyError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Runs the external tools verify reads artifacts with (make, ar, pahole, readelf, cc).
enum Tool {
    struct Output: Sendable {
        var status: Int32
        var standardOutput: String
        var standardError: String
        var succeeded: Bool { status == 0 }
        var text: String { standardOutput + standardError }
    }

    static func run(_ arguments: [String], in directory: String? = nil) async throws -> Output {
        let executable: Executable = arguments[0].hasPrefix("/") ? .path(FilePath(arguments[0])) : .name(arguments[0])
        let outcome = try await Subprocess.run(
            executable, arguments: Arguments(Array(arguments.dropFirst())),
            workingDirectory: directory.map { FilePath($0) },
            input: .none,
            output: .string(limit: 256 << 20), error: .string(limit: 16 << 20))
        let status: Int32
        switch outcome.terminationStatus {
        case .exited(let code): status = Int32(code)
        default: status = -1
        }
        return Output(status: status, standardOutput: outcome.standardOutput, standardError: outcome.standardError)
    }

    /// Whether `name` is an executable on PATH.
    static func exists(_ name: String) -> Bool {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(name)") }
    }
}

/// C integer literals as they appear in macro bodies: `0x0560`, `64`, `0xfffU`, `(-2)`,
/// `(1U << 0)`, `0x100000000ULL`.
enum CLiteral {
    static func integer(_ text: String) -> Int64? {
        var body = text.trimmingCharacters(in: .whitespaces)
        while body.hasPrefix("("), body.hasSuffix(")") {
            body = String(body.dropFirst().dropLast()).trimmingCharacters(in: .whitespaces)
        }
        if let shift = body.range(of: "<<") {
            guard let left = integer(String(body[..<shift.lowerBound])),
                let right = integer(String(body[shift.upperBound...])), right < 63
            else { return nil }
            return left << right
        }
        var negative = false
        if body.hasPrefix("-") {
            negative = true
            body = String(body.dropFirst()).trimmingCharacters(in: .whitespaces)
        }
        while let last = body.last, "uUlL".contains(last) { body.removeLast() }
        let value: UInt64?
        if body.lowercased().hasPrefix("0x") {
            value = UInt64(body.dropFirst(2), radix: 16)
        } else {
            value = UInt64(body)
        }
        guard let value else { return nil }
        return negative ? -Int64(bitPattern: value) : Int64(bitPattern: value)
    }
}

func hex<T: BinaryInteger>(_ value: T) -> String { "0x" + String(value, radix: 16) }
