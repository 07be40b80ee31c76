import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Runs a program to completion with posix_spawn and waitpid, its standard input read from a file and its
/// output written to two files; the test helpers that run the CLI and scripts/synapse.sh share it.
///
/// The child gets descriptors 0, 1 and 2 and nothing else. posix_spawn passes on every descriptor not marked
/// close-on-exec, and SwiftNIO accepts connections without that mark: a child spawned while an in-process
/// daemon held a connection kept that connection open after the daemon closed it, so a client waited for an
/// end that came only when the child exited (CI: `shutdownEndsOpenStreams`, 3 of 5 streams not ended while a
/// CLI test's command was running).
enum Spawn {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Spawns `executable` with `arguments` (without the program name) and `environment`; returns the exit
    /// status as a shell reports it (128 + the signal's number for a child killed by a signal).
    static func run(
        _ executable: String, _ arguments: [String], environment: [String: String],
        input: String, output: String, errors: String
    ) throws -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, input, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errors, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard let closeFrom, closeFrom(&actions, 3) == 0 else {
            throw Failure(description: "posix_spawn cannot close inherited descriptors (glibc 2.34 or later needed).")
        }
        var cArguments = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in cArguments { free(pointer) } }
        var cEnvironment = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in cEnvironment { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, &cArguments, &cEnvironment)
        guard spawned == 0 else {
            throw Failure(description: "Cannot run \(executable): \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        // WIFEXITED / WEXITSTATUS, and a signal as 128 + its number, as a shell reports it.
        return status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
    }

    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), which Swift's Glibc module does
    /// not import: looked up by name once.
    private static let closeFrom: CloseFrom? = dlsym(
        UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np"
    ).map { unsafeBitCast($0, to: CloseFrom.self) }
}
