import Foundation

/// Writes a generated tree. The generator owns its output folder: files it no longer
/// generates disappear. The tree is written beside the folder first and swapped in whole, so a
/// failed run leaves the previous output as it was.
public enum OutputTree {
    public static func write(_ files: [GeneratedFile], to directory: URL) throws {
        let manager = FileManager.default
        let parent = directory.deletingLastPathComponent()
        try manager.createDirectory(at: parent, withIntermediateDirectories: true)
        let staging = parent.appendingPathComponent(".\(directory.lastPathComponent).pvgen-new")
        let previous = parent.appendingPathComponent(".\(directory.lastPathComponent).pvgen-old")
        try? manager.removeItem(at: staging)
        try? manager.removeItem(at: previous)
        try writeFiles(files, under: staging)
        if manager.fileExists(atPath: directory.path) {
            try manager.moveItem(at: directory, to: previous)
        }
        do {
            try manager.moveItem(at: staging, to: directory)
        } catch {
            if manager.fileExists(atPath: previous.path) { try? manager.moveItem(at: previous, to: directory) }
            throw error
        }
        try? manager.removeItem(at: previous)
    }

    /// Writes the files under `root`, creating folders as needed.
    public static func writeFiles(_ files: [GeneratedFile], under root: URL) throws {
        let manager = FileManager.default
        for file in files {
            let url = root.appendingPathComponent(file.path)
            try manager.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(file.contents.utf8).write(to: url)
        }
    }

    /// The generated files found under `root` (regular files, relative paths, sorted),
    /// skipping kbuild's products so a built tree still compares with its sources.
    public static func read(_ root: URL) throws -> [GeneratedFile] {
        let manager = FileManager.default
        guard let enumerator = manager.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey]) else {
            return []
        }
        var files: [GeneratedFile] = []
        let base = root.standardizedFileURL.path + "/"
        for case let url as URL in enumerator {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
            let path = String(url.standardizedFileURL.path.dropFirst(base.count))
            if isBuildProduct(path) { continue }
            let contents = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
            files.append(GeneratedFile(path: path, contents: contents))
        }
        return files.sorted { $0.path < $1.path }
    }

    /// Files kbuild and make leave in a module directory.
    static func isBuildProduct(_ path: String) -> Bool {
        let name = (path as NSString).lastPathComponent
        let suffixes = [".o", ".ko", ".mod", ".mod.c", ".cmd", ".a", ".so", ".order", ".symvers", ".d"]
        return name.hasPrefix(".") || suffixes.contains { name.hasSuffix($0) } || name == "Module.symvers"
            || name == "modules.order"
    }
}
