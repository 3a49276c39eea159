/// Collects lines indented with tabs, as kernel style wants; knows the column a line reaches.
struct KernelStyleWriter {
    static let tabWidth = 8
    static let preferredColumns = 80

    private(set) var lines: [String] = []
    var depth = 0

    mutating func line(_ text: String) {
        lines.append(text.isEmpty ? "" : String(repeating: "\t", count: depth) + text)
    }

    mutating func blank() {
        if let last = lines.last, !last.isEmpty { lines.append("") }
    }

    mutating func indented(_ body: (inout KernelStyleWriter) -> Void) {
        depth += 1
        body(&self)
        depth -= 1
    }

    /// The column where text starts on a line at the current depth.
    var column: Int { depth * Self.tabWidth }

    /// Tabs and spaces that reach `column` from the start of a line.
    static func padding(toColumn column: Int) -> String {
        String(repeating: "\t", count: column / tabWidth) + String(repeating: " ", count: column % tabWidth)
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
