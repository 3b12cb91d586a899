import ArgumentParser
import Foundation

/// The options every verb takes, then the session a `mesh session …` verb acts on.
struct SessionTarget: ParsableArguments {
    @OptionGroup var common: CommonOptions
    @Argument(help: "Session id or name.") var session: String

    /// Runs the verb (``CLIContext/run(_:server:_:)``) with the session's id
    /// (``CLIContext/resolveSession(_:)``), resolved first.
    func run(_ body: (CLIContext, UUID) async throws -> Void) async throws {
        try await CLIContext.run(common) { cli in
            let id = try await cli.resolveSession(session)
            try await body(cli, id)
        }
    }
}
