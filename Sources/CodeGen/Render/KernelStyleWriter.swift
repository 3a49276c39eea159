/// How a C file is laid out: the Linux kernel's tabs, or QEMU's four spaces and braces
/// around every body.
public struct RenderStyle: Sendable, Equatable {
    public var indentWidth: Int
    public var usesTabs: Bool
    public var alwaysBraces: Bool
    /// `// SPDX-...` on a source file's first line (the kernel), or `/* SPDX-... */` (QEMU
    /// forbids `//` comments).
    public var spdxLineComment: Bool

    public static let kernel = RenderStyle(indentWidth: 8, usesTabs: true, alwaysBraces: false, spdxLineComment: true)
    public static let qemu = RenderStyle(indentWidth: 4, usesTabs: false, alwaysBraces: true, spdxLineComment: false)
}

/// Collects indented lines in a `RenderStyle`; knows the column a line reaches.
struct KernelStyleWriter {
    static let tabWidth = 8
    static let preferredColumns = 80

    let style: RenderStyle
    private(set) var lines: [String] = []
    var depth = 0

    init(style: RenderStyle = .kernel) { self.style = style }

    mutating func line(_ text: String) {
        let indent = style.usesTabs ? String(repeating: "\t", count: depth) : String(repeating: " ", count: depth * style.indentWidth)
        lines.append(text.isEmpty ? "" : indent + text)
    }

    /// A line exactly as given, whatever the depth.
    mutating func raw(_ text: String) { lines.append(text) }

    mutating func blank() {
        if let last = lines.last, !last.isEmpty { lines.append("") }
    }

    mutating func indented(_ body: (inout KernelStyleWriter) -> Void) {
        depth += 1
        body(&self)
        depth -= 1
    }

    /// The column where text starts on a line at the current depth.
    var column: Int { depth * style.indentWidth }

    /// Tabs and spaces (only spaces, without tabs) that reach `column` from the start of a line.
    func padding(toColumn column: Int) -> String {
        guard style.usesTabs else { return String(repeating: " ", count: column) }
        return String(repeating: "\t", count: column / Self.tabWidth) + String(repeating: " ", count: column % Self.tabWidth)
    }

    /// The width of `text` once tabs expand, starting at `column`.
    static func width(of text: String, from column: Int = 0) -> Int {
        var position = column
        for character in text {
            position = character == "\t" ? (position / tabWidth + 1) * tabWidth : position + 1
        }
        return position - column
    }

    var text: String { lines.joined(separator: "\n") + "\n" }
}
