import ArgumentParser

@main
struct PVGen: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pvgen",
        abstract: "Generate paravirtual guest kernel modules and matching host handler stubs.",
        subcommands: [ListCommand.self, ModelCommand.self, GenerateCommand.self, DiffCommand.self, BuildCommand.self, QEMUCommand.self, VerifyCommand.self]
    )
}
