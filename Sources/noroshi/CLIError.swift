import ArgumentParser
import Foundation
import NoroshiCore

/// Prints a one-line reason to standard error and gives the exit code for it.
enum CLIError {
    /// Prints `noroshi: <message>` to standard error.
    static func report(_ message: String) {
        FileHandle.standardError.write(Data("noroshi: \(message)\n".utf8))
    }

    /// Runs `body`; any failure becomes one line on standard error and exit code 1.
    static func run<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch {
            throw exit(for: error)
        }
    }

    /// The async form of ``run(_:)``.
    static func runAsync<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            throw exit(for: error)
        }
    }

    /// Reports an error in one line (unless it already is an exit code) and returns the exit code for it.
    private static func exit(for error: any Error) -> ExitCode {
        if let code = error as? ExitCode { return code }
        // A NoroshiError's description adds its cause, which is for logs; people get the message.
        report((error as? NoroshiError)?.message ?? "\(error)")
        return ExitCode.failure
    }
}

/// Asks before something that cannot be undone.
enum Confirmation {
    /// True to go on: `yes` was given, or the person typed yes. Off a terminal without `yes`, refuses with a
    /// message that names `what` and the flag, so that a script never hangs on a question.
    static func ask(_ question: String, what: String, yes: Bool) throws -> Bool {
        if yes { return true }
        guard isatty(STDIN_FILENO) == 1 else {
            throw NoroshiError(.invalidInput, "Dropping \(what) needs confirmation; add --yes to a script.")
        }
        print("\(question) Type yes to go on: ", terminator: "")
        return readLine(strippingNewline: true)?.lowercased() == "yes"
    }
}
