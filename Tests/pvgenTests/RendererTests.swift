@testable import CodeGen
import Testing

@Suite("Kernel-style renderer")
struct RendererTests {
    func render(_ items: [CTopLevel]) -> String {
        KernelStyleRenderer().render(CFile(kind: .source, items: items))
    }

    @Test("SPDX first, function braces on their own line, blank line after declarations")
    func functionLayout() {
        let text = render([
            Function("int", "f", Params("int a")) {
                Decl("int", "b", "a + 1")
                Return("b")
            }
        ])
        #expect(text == "// SPDX-License-Identifier: GPL-2.0\nstatic int f(int a)\n{\n\tint b = a + 1;\n\n\treturn b;\n}\n")
    }

    @Test("no braces around one simple statement, braces on every branch otherwise")
    func ifBraces() {
        let simple = render([Function("void", "f", []) { If("x") { "g()" } }])
        #expect(simple.contains("\tif (x)\n\t\tg();\n"))
        let mixed = render([
            Function("void", "f", []) {
                If("x") { "g()" } else: { "h()"; "i()" }
            }
        ])
        #expect(mixed.contains("\tif (x) {\n\t\tg();\n\t} else {\n\t\th();\n\t\ti();\n\t}\n"))
    }

    @Test("long calls wrap with continuations aligned to the open parenthesis")
    func callWrapping() {
        let text = render([
            Function("void", "f", []) {
                Call("some_function_name", "first_argument_expression", "second_argument_expression", "third_one")
            }
        ])
        let lines = text.split(separator: "\n")
        #expect(lines.contains("\tsome_function_name(first_argument_expression,"))
        #expect(lines.contains("\t\t\t   second_argument_expression, third_one);"))
        #expect(lines.allSatisfy { KernelStyleWriter.width(of: String($0)) <= 80 })
    }

    @Test("case labels align with switch")
    func switchLayout() {
        let text = render([Function("void", "f", []) { Switch("x", [Case("1") { CStatement.break }]) }])
        #expect(text.contains("\tswitch (x) {\n\tcase 1:\n\t\tbreak;\n\t}\n"))
    }

    @Test("#ifdef blocks: directives in column 0, paragraphs kept, the same in kernel and QEMU style")
    func ifdefBlock() {
        let items: [CTopLevel] = [
            .ifdef("CONFIG_A", [.include("a.h", system: false)], else: []),
            .ifdef(
                "CONFIG_B", [Function("int", "f", []) { Return("1") }, Function("int", "g", []) { Return("2") }],
                else: [Function("int", "f", []) { Return("0") }]),
        ]
        let kernel = render(items)
        #expect(kernel.contains("#ifdef CONFIG_A\n#include \"a.h\"\n#endif /* CONFIG_A */\n\n#ifdef CONFIG_B\n"))
        #expect(kernel.contains("\treturn 1;\n}\n\nstatic int g(void)\n"))
        #expect(kernel.contains("\treturn 2;\n}\n#else\nstatic int f(void)\n{\n\treturn 0;\n}\n#endif /* CONFIG_B */\n"))
        let qemu = KernelStyleRenderer(style: .qemu).render(CFile(kind: .source, items: items))
        #expect(qemu.contains("#else\nstatic int f(void)\n{\n    return 0;\n}\n#endif /* CONFIG_B */\n"))
    }

    @Test("defines align their values on one tab stop")
    func defineAlignment() {
        let text = render([.defines([CDefine("A", "1"), CDefine("LONGER_NAME", "2", comment: "why")])])
        #expect(text.contains("#define A\t\t1\n#define LONGER_NAME\t2\t/* why */\n"))
    }
}
