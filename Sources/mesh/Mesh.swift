import ArgumentParser
import MeshOT

/// The `mesh` command: argument parsing only; each verb calls into the Mesh modules.
@main
struct Mesh: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mesh",
        abstract: "Real-time pair programming inside the editor you already use.",
        version: MeshVersion.string,
        subcommands: [
            ServeCommand.self,
            SignupCommand.self,
            LoginCommand.self,
            LogoutCommand.self,
            WhoamiCommand.self,
            SessionCommand.self,
            JoinCommand.self,
            ShareCommand.self,
            LSPCommand.self,
            DAPCommand.self,
            RunCommand.self,
            RuntimeCommand.self,
        ]
    )
}
