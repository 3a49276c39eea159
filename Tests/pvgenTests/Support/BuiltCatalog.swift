import CodeGen
import Foundation
import KernelBuild

/// The built-in catalog generated into a scratch folder and built once with kbuild (W=1 and
/// sparse), shared by every test that needs the built modules.
enum BuiltCatalog {
    struct Build: Sendable {
        var tree: URL
        var kernelDirectory: String
        var results: [String: Kbuild.Result]

        func module(_ name: String) -> String { tree.appendingPathComponent("guest/\(name)/\(name).ko").path }
    }

    struct Unavailable: Error, CustomStringConvertible {
        var description: String
    }

    static let shared: Task<Build, any Error> = Task {
        guard let kernel = Kbuild.defaultKernelDirectory() else {
            throw Unavailable(description: "no kernel headers under /lib/modules: the test command installs linux-headers-amd64")
        }
        let tree = try Repository.scratch("built")
        let files = try Generator(catalog: .builtIn).generate()
        try OutputTree.writeFiles(files, under: tree)
        var results: [String: Kbuild.Result] = [:]
        let guest = tree.appendingPathComponent("guest")
        for module in try FileManager.default.contentsOfDirectory(atPath: guest.path).sorted() {
            results[module] = try await Kbuild.build(
                moduleDirectory: guest.appendingPathComponent(module).path, kernelDirectory: kernel, sparse: true)
        }
        return Build(tree: tree, kernelDirectory: kernel, results: results)
    }
}
