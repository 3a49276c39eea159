import Foundation
import Mustache

/// The text templates of `templates/` (boilerplate files: Kbuild, Makefiles, dkms.conf, the
/// KVM patch). They hold text and placeholders only; every decision is made in Swift and
/// arrives as a value in the context.
enum Templates {
    struct Missing: Error, CustomStringConvertible {
        var name: String
        var description: String { "template '\(name)' is missing from pvgen's resources" }
    }

    static func render(_ name: String, _ context: [String: Any]) throws -> String {
        guard let url = Bundle.module.url(forResource: name, withExtension: "mustache", subdirectory: "templates"),
            let text = try? String(contentsOf: url, encoding: .utf8)
        else { throw Missing(name: name) }
        // Triple braces everywhere: the output is C and make, not HTML.
        return try MustacheTemplate(string: "{{% CONTENT_TYPE: TEXT}}" + text).render(context)
    }
}
