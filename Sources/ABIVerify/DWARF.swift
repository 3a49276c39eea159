import Foundation

/// A structure as the DWARF of a built object describes it, read with pahole (Debian's
/// `dwarves`).
public struct DWARFStruct: Codable, Sendable, Hashable {
    public struct Member: Codable, Sendable, Hashable {
        public var name: String
        public var type: String
        public var offset: Int
        public var size: Int
        /// Elements, for an array member.
        public var count: Int?
    }

    public var name: String
    public var size: Int
    public var members: [Member]
    public var packed: Bool
    public var explicitAlignment: Int?

    public func member(_ name: String) -> Member? { members.first { $0.name == name } }

    /// The structure's alignment: an explicit `aligned` attribute, 1 when packed, else the
    /// largest natural alignment of its members (a scalar's or an array element's size, at
    /// most 8; pointers 8).
    public var alignment: Int {
        if let explicitAlignment { return explicitAlignment }
        if packed { return 1 }
        return members.map { member -> Int in
            let element = member.size / max(member.count ?? 1, 1)
            if member.type.hasSuffix("*") { return 8 }
            var align = 1
            while align * 2 <= min(element, 8) { align *= 2 }
            return align
        }.max() ?? 1
    }
}

/// An enumeration from DWARF.
public struct DWARFEnum: Codable, Sendable, Hashable {
    public var name: String
    public var cases: [String: Int64]
}

enum Pahole {
    struct Types {
        var structs: [String: DWARFStruct] = [:]
        var enums: [String: DWARFEnum] = [:]
    }

    /// `pahole -C A,B,... FILE`: the named structures and enumerations (the ones the file
    /// describes; a missing one is simply absent).
    static func read(_ names: [String], from file: String) async throws -> Types {
        guard Tool.exists("pahole") else {
            throw VerifyError("pahole is not installed: install Debian's dwarves package (apt-get install dwarves)")
        }
        let output = try await Tool.run(["pahole", "-C", names.joined(separator: ","), file])
        guard output.succeeded || !output.standardOutput.isEmpty else {
            throw VerifyError("pahole could not read \(file): \(output.standardError.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return parse(output.standardOutput)
    }

    static func parse(_ text: String) -> Types {
        var types = Types()
        var current: DWARFStruct?
        var currentEnum: DWARFEnum?
        var depth = 0
        let member = try! NSRegularExpression(
            pattern: #"^\t([^\t].*?)\s+(\w+)((?:\[\d+\])*)(?::\d+)?;\s*/\*\s*(\d+)(?::\s*\d+)?\s+(\d+)\s*\*/"#)
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = String(raw)
            if depth == 0 {
                if line.hasPrefix("struct "), line.hasSuffix("{") {
                    let name = line.dropFirst("struct ".count).dropLast().trimmingCharacters(in: .whitespaces)
                    current = DWARFStruct(name: name, size: 0, members: [], packed: false, explicitAlignment: nil)
                    depth = 1
                } else if line.hasPrefix("enum "), line.hasSuffix("{") {
                    let name = line.dropFirst("enum ".count).dropLast().trimmingCharacters(in: .whitespaces)
                    currentEnum = DWARFEnum(name: name, cases: [:])
                    depth = 1
                }
                continue
            }
            if line.hasPrefix("}") && depth == 1 {
                if var done = current {
                    done.packed = line.contains("__packed__")
                    if let range = line.range(of: #"__aligned__\((\d+)\)"#, options: .regularExpression) {
                        done.explicitAlignment = Int(line[range].filter(\.isNumber))
                    }
                    if types.structs[done.name] == nil { types.structs[done.name] = done }
                }
                if let done = currentEnum, types.enums[done.name] == nil { types.enums[done.name] = done }
                current = nil
                currentEnum = nil
                depth = 0
                continue
            }
            if var e = currentEnum {
                let parts = line.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: ","))
                    .components(separatedBy: "=")
                if parts.count == 2, let value = Int64(parts[1].trimmingCharacters(in: .whitespaces)) {
                    e.cases[parts[0].trimmingCharacters(in: .whitespaces)] = value
                }
                currentEnum = e
                continue
            }
            guard var s = current else { continue }
            if line.contains("/* size: "), let range = line.range(of: #"size: (\d+)"#, options: .regularExpression) {
                s.size = Int(line[range].filter(\.isNumber)) ?? 0
                current = s
                continue
            }
            let opens = line.filter { $0 == "{" }.count
            let closes = line.filter { $0 == "}" }.count
            if depth == 1, opens == 0, closes == 0,
                let match = member.firstMatch(in: line, range: NSRange(line.startIndex..., in: line))
            {
                func group(_ i: Int) -> String { String(line[Range(match.range(at: i), in: line)!]) }
                let dims = group(3).split(separator: "[").compactMap { Int($0.dropLast()) }
                s.members.append(
                    DWARFStruct.Member(
                        name: group(2), type: group(1).trimmingCharacters(in: .whitespaces),
                        offset: Int(group(4)) ?? -1, size: Int(group(5)) ?? -1,
                        count: dims.isEmpty ? nil : dims.reduce(1, *)))
            }
            depth += opens - closes
            current = s
        }
        return types
    }
}

/// The macros a translation unit was compiled with, from the DWARF macro information of an
/// object built with `-g3 -gdwarf-4 -gstrict-dwarf` (`.debug_macinfo`), each with the file
/// and line that defined it last.
struct DWARFMacros {
    struct Definition: Sendable, Hashable {
        var value: String
        var file: String
        var line: Int
    }

    var definitions: [String: Definition] = [:]

    subscript(name: String) -> Definition? { definitions[name] }

    /// `readelf --debug-dump=macro` and the line table's file names; paths relative to
    /// `root` when they lie under it (`directory` is where the object was compiled).
    static func read(object: String, compiledIn directory: String, root: String) async throws -> DWARFMacros {
        let macros = try await Tool.run(["readelf", "--debug-dump=macro", object])
        let lines = try await Tool.run(["readelf", "--debug-dump=rawline", object])
        let files = fileTable(lines.standardOutput, compiledIn: directory, root: root)
        var result = DWARFMacros()
        var stack: [String] = []
        for raw in macros.standardOutput.split(separator: "\n") {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("DW_MACINFO_start_file") {
                let number = line.components(separatedBy: "filenum:").last.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
                stack.append(number.flatMap { files[$0] } ?? "?")
            } else if line.hasPrefix("DW_MACINFO_end_file") {
                _ = stack.popLast()
            } else if line.hasPrefix("DW_MACINFO_define") || line.hasPrefix("DW_MACINFO_undef") {
                guard let macroRange = line.range(of: "macro : ") else { continue }
                let number = line.components(separatedBy: "lineno : ").dropFirst().first?
                    .split(separator: " ").first.flatMap { Int($0) } ?? 0
                let body = line[macroRange.upperBound...]
                let nameEnd = body.firstIndex { $0 == " " || $0 == "(" } ?? body.endIndex
                let name = String(body[..<nameEnd])
                if line.hasPrefix("DW_MACINFO_undef") {
                    result.definitions[name] = nil
                } else {
                    let value = body[nameEnd...].trimmingCharacters(in: .whitespaces)
                    result.definitions[name] = Definition(value: value, file: stack.last ?? "?", line: number)
                }
            }
        }
        return result
    }

    /// DWARF 4 line table: "The Directory Table" and "The File Name Table" entries.
    static func fileTable(_ text: String, compiledIn directory: String, root: String) -> [Int: String] {
        var directories: [Int: String] = [0: directory]
        var files: [Int: String] = [:]
        var section = ""
        for raw in text.split(separator: "\n") {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("The Directory Table") { section = "dirs"; continue }
            if line.hasPrefix("The File Name Table") { section = "files"; continue }
            if line.hasPrefix("Line Number Statements") || line.hasPrefix("Offset:") { section = "" ; continue }
            let fields = line.split(separator: "\t").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let index = fields.first.flatMap({ Int($0) }) else { continue }
            if section == "dirs", fields.count >= 2 {
                let path = fields.last!
                directories[index] = path.hasPrefix("/") ? path : (directory as NSString).appendingPathComponent(path)
            } else if section == "files", fields.count >= 5 {
                let dir = directories[Int(fields[1]) ?? 0] ?? directory
                let name = fields.last!
                let full = name.hasPrefix("/") ? name : (dir as NSString).appendingPathComponent(name)
                files[index] = relative(URL(fileURLWithPath: full).standardizedFileURL.path, to: root)
            }
        }
        return files
    }
}

func relative(_ path: String, to root: String) -> String {
    let base = URL(fileURLWithPath: root).standardizedFileURL.path
    let prefix = base.hasSuffix("/") ? base : base + "/"
    return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
}
