import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reading passwords and other answers: `--password-stdin`, `MESH_PASSWORD`, else a prompt on
/// the terminal (echo off for passwords).
enum Prompt {
    static var isInteractive: Bool { isatty(STDIN_FILENO) == 1 }

    /// The password from the first line of stdin, `$MESH_PASSWORD`, or a prompt.
    static func password(fromStdin: Bool, prompt: String = "Password: ", confirm: Bool = false) throws -> String {
        if fromStdin {
            guard let line = readLine(strippingNewline: true), !line.isEmpty else {
                throw CLIError("--password-stdin: no password on stdin")
            }
            return line.hasSuffix("\r") ? String(line.dropLast()) : line
        }
        if let password = ProcessInfo.processInfo.environment["MESH_PASSWORD"], !password.isEmpty { return password }
        guard isInteractive else { throw CLIError("no password: pass --password-stdin or set MESH_PASSWORD") }
        let password = try hidden(prompt)
        guard !password.isEmpty else { throw CLIError("empty password") }
        if confirm, try hidden("Repeat password: ") != password { throw CLIError("the passwords differ") }
        return password
    }

    /// A value given as an option, else asked for on the terminal.
    static func value(_ given: String?, option: String, prompt: String, allowed: Bool = true) throws -> String {
        if let given, !given.isEmpty { return given }
        guard allowed, isInteractive else { throw CLIError("\(option) is required") }
        FileHandle.standardError.write(Data(prompt.utf8))
        guard let line = readLine(strippingNewline: true), !line.isEmpty else { throw CLIError("\(option) is required") }
        return line
    }

    /// Asks on the terminal until one of `choices` (matched case-insensitively against each
    /// choice's answers) is typed; nil when the answer is empty or stdin ends.
    static func choose<Choice>(_ prompt: String, _ choices: [(answers: [String], choice: Choice)]) -> Choice? {
        while true {
            FileHandle.standardError.write(Data(prompt.utf8))
            guard let line = readLine(strippingNewline: true) else { return nil }
            let answer = line.trimmingCharacters(in: .whitespaces).lowercased()
            if answer.isEmpty { return nil }
            if let match = choices.first(where: { $0.answers.contains(answer) }) { return match.choice }
        }
    }

    /// The terminal settings to restore if the user interrupts a hidden prompt.
    nonisolated(unsafe) private static var saved = termios()

    /// Reads a line with echo off.
    private static func hidden(_ prompt: String) throws -> String {
        FileHandle.standardError.write(Data(prompt.utf8))
        guard tcgetattr(STDIN_FILENO, &saved) == 0 else { throw CLIError("cannot read the terminal settings") }
        var quiet = saved
        quiet.c_lflag &= ~tcflag_t(ECHO)
        signal(SIGINT) { _ in
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &Prompt.saved)
            _exit(130)
        }
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet)
        let line = readLine(strippingNewline: true)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved)
        signal(SIGINT, SIG_DFL)
        FileHandle.standardError.write(Data("\n".utf8))
        guard let line else { throw CLIError("no password entered") }
        return line
    }
}
