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
        } catch let error as ExitCode {
            throw error
        } catch let error as NoroshiError {
            report(error.message)
            throw ExitCode.failure
        } catch let error as APIClient.Failure {
            report(error.message)
            throw ExitCode.failure
        } catch {
            report("\(error)")
            throw ExitCode.failure
        }
    }

    /// The async form of ``run(_:)``.
    static func runAsync<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as ExitCode {
            throw error
        } catch let error as NoroshiError {
            report(error.message)
            throw ExitCode.failure
        } catch {
            report("\(error)")
            throw ExitCode.failure
        }
    }
}
