import Foundation

/// A value one side of the ABI has, and where it was read.
public struct Evidence: Codable, Sendable, Hashable {
    public var value: String
    /// The artifact (a path relative to the tree) and how the value was read from it.
    public var source: String

    public init(_ value: String, _ source: String) {
        self.value = value
        self.source = source
    }
}

/// One line of the report: a fact of the ABI as the model, the built guest module and the
/// built host stub have it.
public struct Check: Codable, Sendable, Hashable {
    /// The guest module the guest column comes from.
    public var module: String
    /// What is checked: `fingerprint`, `struct pvgen_io_entry`, `hypercall batch`, `doorbell`,
    /// `limits`, `op codes`.
    public var section: String
    /// The field within it: `size`, `value.offset`, `number`, `queue_gpa register`, ...
    public var field: String
    public var model: String
    public var guest: Evidence
    public var host: Evidence
    /// The rig that executed both sides for this row, if any: `unicorn` or `kvm`.
    public var rig: String?
    public var ok: Bool
    /// Why it failed, or what else was seen.
    public var detail: String?

    public var name: String { "\(section): \(field)" }
}

/// Which rig covered which path, and why.
public struct RigCoverage: Codable, Sendable, Hashable {
    public var path: String
    public var rig: String
    public var note: String
}

public struct VerifyReport: Codable, Sendable {
    public var tree: String
    public var modelFingerprint: String
    public var modules: [String]
    public var hostLibrary: String
    public var coverage: [RigCoverage]
    public var checks: [Check]
    public var notes: [String]

    public var passed: Bool { checks.allSatisfy(\.ok) }
    public var mismatches: [Check] { checks.filter { !$0.ok } }

    /// JSON: the whole report, `passed` included.
    public func json() throws -> String {
        struct Document: Encodable {
            var passed: Bool
            var report: VerifyReport
            func encode(to encoder: Encoder) throws {
                var container = encoder.container(keyedBy: Key.self)
                try container.encode(passed, forKey: .passed)
                try container.encode(report.tree, forKey: .tree)
                try container.encode(report.modelFingerprint, forKey: .modelFingerprint)
                try container.encode(report.modules, forKey: .modules)
                try container.encode(report.hostLibrary, forKey: .hostLibrary)
                try container.encode(report.coverage, forKey: .coverage)
                try container.encode(report.checks, forKey: .checks)
                try container.encode(report.mismatches, forKey: .mismatches)
                try container.encode(report.notes, forKey: .notes)
            }
            enum Key: String, CodingKey { case passed, tree, modelFingerprint, modules, hostLibrary, coverage, checks, mismatches, notes }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(Document(passed: passed, report: self)), as: UTF8.self)
    }

    /// The text table: one row per check with the model's, the guest's and the host's value,
    /// sources as numbered footnotes, then each mismatch spelled out.
    public func table() -> String {
        var sources: [String] = []
        func tag(_ source: String) -> String {
            if let index = sources.firstIndex(of: source) { return "[\(index + 1)]" }
            sources.append(source)
            return "[\(sources.count)]"
        }
        let multiple = Set(checks.map(\.module)).count > 1
        var rows: [[String]] = [["CHECK", "MODEL", "GUEST", "HOST", "RIG", "RESULT"]]
        var lastSection = ""
        for check in checks {
            let section = (multiple ? "\(check.module) " : "") + check.section
            if section != lastSection {
                rows.append([section, "", "", "", "", ""])
                lastSection = section
            }
            rows.append([
                "  " + check.field, clip(check.model),
                clip(check.guest.value) + " " + tag(check.guest.source),
                clip(check.host.value) + " " + tag(check.host.source),
                check.rig ?? "-", check.ok ? "ok" : "MISMATCH",
            ])
        }
        let widths = (0..<6).map { column in rows.map { $0[column].count }.max() ?? 0 }
        var lines = ["pvgen verify \(tree)", "model fingerprint \(modelFingerprint)", ""]
        for row in rows {
            let isSection = row[1...].allSatisfy(\.isEmpty)
            if isSection {
                lines.append(row[0])
                continue
            }
            lines.append(
                row.enumerated().map { index, cell in
                    index == 5 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
                }.joined(separator: "  "))
        }
        lines.append("")
        lines.append("Sources:")
        for (index, source) in sources.enumerated() { lines.append("  [\(index + 1)] \(source)") }
        lines.append("")
        lines.append("Rigs:")
        for item in coverage { lines.append("  \(item.path): \(item.rig) (\(item.note))") }
        for note in notes { lines.append("note: \(note)") }
        lines.append("")
        if passed {
            lines.append("\(checks.count) checks, all agree")
        } else {
            lines.append("\(mismatches.count) of \(checks.count) checks disagree:")
            for check in mismatches {
                var text = "  \(multiple ? check.module + " " : "")\(check.name): model \(check.model); "
                text += "guest \(check.guest.value) (from \(check.guest.source)); "
                text += "host \(check.host.value) (from \(check.host.source))"
                if let detail = check.detail { text += "\n      \(detail)" }
                lines.append(text)
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func clip(_ text: String) -> String {
        text.count > 38 ? String(text.prefix(35)) + "..." : text
    }
}
