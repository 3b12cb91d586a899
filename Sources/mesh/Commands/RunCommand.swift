import ArgumentParser
import Foundation
import MeshClient

/// `mesh run [PACKAGE] [-- ARGS]`: build and run the session's current code in the sandbox.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Build and run the session's current Go code in the server's sandbox.",
        discussion: """
            Runs the live shared text (everyone's unsaved edits included), not your disk, in a \
            container with no network and tight limits. Output streams here; the exit code is \
            the program's. The session is the one of the current folder (.mesh/session.json).
            """)

    @OptionGroup var common: CommonOptions
    @Option(help: "The session id (default: the one of the current folder).") var session: String?
    @Argument(help: "The package folder inside the session, like ./cmd/tool.") var package = "."
    @Argument(parsing: .postTerminator, help: "Arguments for the program (after --).") var arguments: [String] = []

    func run() async throws {
        var options = common
        let discovered = SessionFile.discover(from: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        if options.server == nil { options.server = discovered?.file.server }
        var ending: RunEnding?
        try await CLIContext.run(options) { cli in
            guard let id = (session ?? discovered?.file.session).flatMap(UUID.init(uuidString:)) else {
                throw CLIError("no session here: run inside a folder shared with `mesh share` or joined with `mesh join`, or pass --session")
            }
            ending = try await cli.api.run(session: id, package: package, arguments: arguments) { text, stderr in
                let handle = stderr ? FileHandle.standardError : FileHandle.standardOutput
                handle.write(Data(text.utf8))
            }
        }
        switch ending {
        case let .exited(code)?: if code != 0 { throw ExitCode(Int32(truncatingIfNeeded: code)) }
        case let .killed(reason)?:
            printError("mesh run: the program was \(reason)")
            throw ExitCode(137)
        case nil: break
        }
    }
}

/// `mesh runtime build`: the sandbox image, from this machine's Go and Delve.
struct RuntimeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runtime",
        abstract: "Manage the sandbox runtime image.",
        subcommands: [Build.self])

    struct Build: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Build the runtime image (Go, Delve, mesh-relay) from this machine's packages and import it into dockerd.")

        @Option(help: "The staging script.") var script = "runtime/build-rootfs.sh"
        @Option(help: "dockerd's socket.") var dockerSocket = "/var/run/docker.sock"

        func run() async throws {
            do {
                try await RuntimeImageBuilder.build(script: script, socket: dockerSocket)
            } catch {
                printError("error: \(error)")
                throw ExitCode(1)
            }
        }
    }
}
