import Foundation

/// Why pvgen will not write an output folder, or what went wrong writing it: one sentence,
/// saying what and what to do, in the tone of swift-argument-parser's errors.
public struct OutputTreeError: Error, Sendable, CustomStringConvertible {
    public var description: String

    init(_ description: String) { self.description = description }

    /// `errno` as a lower-case phrase (`no such file or directory`).
    static func reason(_ code: Int32) -> String {
        let text = String(cString: strerror(code))
        return text.prefix(1).lowercased() + text.dropFirst()
    }
}

/// Which folder `pvgen generate --out` may replace. pvgen replaces a folder whole, so it must
/// be sure the folder is its own: one that holds the marker file every generated tree carries
/// (`.pvgen-tree`), an empty or missing one, or a tree an older pvgen wrote before the marker
/// existed, recognised file by file. Anything else is refused, and nothing is touched.
enum OutputFolder {
    /// The folder `path` names: absolute, with `.`, `..` and symbolic links resolved as the
    /// kernel resolves them (a `..` after a link leaves the link's target); a tail that does not
    /// exist yet is kept as written.
    static func resolve(_ path: String, shown: String) throws -> String {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var resolved = "/"
        var exists = true
        for component in absolute.split(separator: "/").map(String.init) where component != "." {
            if component == ".." {
                resolved = (resolved as NSString).deletingLastPathComponent
                continue
            }
            let candidate = resolved == "/" ? "/" + component : resolved + "/" + component
            guard exists else {
                resolved = candidate
                continue
            }
            if let real = realPath(candidate) {
                resolved = real
                continue
            }
            let code = errno
            var status = stat()
            if code == ENOENT && lstat(candidate, &status) != 0 {
                exists = false
                resolved = candidate
            } else if code == ENOENT {
                throw OutputTreeError("'\(shown)' leads through '\(candidate)', a symbolic link to nothing; fix the link or pass another --out.")
            } else if code == ENOTDIR {
                throw OutputTreeError("'\(shown)' cannot be the output folder: '\(resolved)' is a file, not a folder; pass another --out.")
            } else {
                throw OutputTreeError("'\(shown)' cannot be the output folder: \(OutputTreeError.reason(code)) at '\(candidate)'.")
            }
        }
        return resolved
    }

    /// Throws unless pvgen may replace `target` (resolved) with `files`.
    static func checkReplaceable(_ target: String, shown: String, with files: [GeneratedFile]) throws {
        let current = realPath(FileManager.default.currentDirectoryPath) ?? FileManager.default.currentDirectoryPath
        if target == "/" || current == target || current.hasPrefix(target + "/") {
            let what = current == target ? "is the current folder" : "contains the current folder"
            throw OutputTreeError("'\(shown)' \(what), which pvgen would replace whole; pass a folder of its own to --out.")
        }
        var status = stat()
        guard lstat(target, &status) == 0 else { return }  // missing: created
        guard status.st_mode & S_IFMT == S_IFDIR else {
            throw OutputTreeError("'\(shown)' is a file, not a folder; pass a folder to --out, or remove the file first.")
        }
        let entries = try walk(target, shown: shown)
        if entries.isEmpty { return }
        if isMarked(target) { return }
        // No marker: a tree an older pvgen wrote, or not pvgen's at all.
        let expected = Dictionary(files.map { ($0.path, $0.contents) }, uniquingKeysWith: { first, _ in first })
        var recognised = 0
        for (path, isRegular) in entries {
            if isRegular && OutputTree.isBuildProduct(path) { continue }
            if isRegular, let generated = expected[path],
                let contents = try? String(contentsOfFile: target + "/" + path, encoding: .utf8),
                contents == generated || hasBanner(contents)
            {
                recognised += 1
                continue
            }
            throw OutputTreeError(
                "'\(shown)' is not a folder pvgen generated: it has no \(OutputTree.markerPath) and holds '\(path)', which pvgen does not write; pass an empty or new folder to --out, or move it away.")
        }
        if recognised == 0 {
            throw OutputTreeError(
                "'\(shown)' holds only build products and no file pvgen writes; pass an empty or new folder to --out, or remove it first.")
        }
    }

    /// The files and other entries below `root` (folders are walked, never listed), relative,
    /// sorted; `true` for a regular file. Symbolic links are entries, not followed.
    static func walk(_ root: String, shown: String) throws -> [(path: String, isRegular: Bool)] {
        var found: [(String, Bool)] = []
        func visit(_ relative: String) throws {
            let folder = relative.isEmpty ? root : root + "/" + relative
            let names: [String]
            do {
                names = try FileManager.default.contentsOfDirectory(atPath: folder)
            } catch {
                throw OutputTreeError("'\(shown)' cannot be read (\(relative.isEmpty ? "the folder" : relative)); check its permissions.")
            }
            for name in names.sorted() {
                let path = relative.isEmpty ? name : relative + "/" + name
                var status = stat()
                guard lstat(root + "/" + path, &status) == 0 else { continue }
                switch status.st_mode & S_IFMT {
                case S_IFDIR: try visit(path)
                case S_IFREG: found.append((path, true))
                default: found.append((path, false))
                }
            }
        }
        try visit("")
        return found
    }

    /// The folder holds pvgen's marker with its exact first line.
    static func isMarked(_ folder: String) -> Bool {
        var status = stat()
        let path = folder + "/" + OutputTree.markerPath
        guard lstat(path, &status) == 0, status.st_mode & S_IFMT == S_IFREG,
            let text = try? String(contentsOfFile: path, encoding: .utf8)
        else { return false }
        return text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) == OutputTree.markerLine
    }

    /// The first lines say pvgen generated the file: `Generated by pvgen` in a comment (possibly
    /// wrapped), or the author line of pvgen's patches.
    static func hasBanner(_ contents: String) -> Bool {
        let head = contents.split(separator: "\n", maxSplits: 12, omittingEmptySubsequences: false).prefix(12).map { line in
            line.trimmingCharacters(in: .whitespaces).drop { "/*#<!-".contains($0) }.trimmingCharacters(in: .whitespaces)
        }
        let text = head.joined(separator: " ")
        return text.contains("Generated by pvgen") || head.contains("From: pvgen <pvgen@invalid>")
    }

    /// realpath(3), or nil with `errno` set.
    static func realPath(_ path: String) -> String? {
        guard let real = realpath(path, nil) else { return nil }
        defer { free(real) }
        return String(cString: real)
    }
}
