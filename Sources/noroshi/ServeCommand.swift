import ArgumentParser
import Foundation
import Logging
import NoroshiCore
import NoroshiServer
import NoroshiStorage

/// Where the daemon and the token commands find their configuration: a file, the environment, flags.
struct ServerOptions: ParsableArguments {
    @Option(help: "A YAML configuration file (else $NOROSHI_CONFIG, else built-in defaults).")
    var config: String?

    @Option(help: "The data directory holding the database (default ./noroshi-data, or $NOROSHI_DATA_DIR).")
    var dataDir: String?

    /// Defaults, then the file, then the environment, then the flags given here.
    func load() throws -> NoroshiConfiguration {
        let environment = ProcessInfo.processInfo.environment
        let file = config ?? environment["NOROSHI_CONFIG"].flatMap { $0.isEmpty ? nil : $0 }
        var configuration = try NoroshiConfiguration.load(file: file, environment: environment)
        if let dataDir { configuration.dataDirectory = dataDir }
        return configuration
    }

    /// Opens the data directory's database (the daemon may be running). Unless `create`, a directory without
    /// one is an error that ends with `hint`: a mistyped `--data-dir` would otherwise get a new, empty database
    /// that the daemon never reads.
    func openStore(create: Bool = false, hint: String = "") throws -> Store {
        let configuration = try load()
        let database = configuration.dataDirectoryURL.appendingPathComponent(Store.databaseFileName).path
        guard create || FileManager.default.fileExists(atPath: database) else {
            throw NoroshiError(
                .notFound,
                "There is no Noroshi database in '\(configuration.dataDirectory)' (no \(Store.databaseFileName)). Give the "
                    + "daemon's --data-dir" + (hint.isEmpty ? "." : ", \(hint)."))
        }
        return try Store(
            directory: configuration.dataDirectoryURL, limits: configuration.limits,
            logger: Logger(label: "noroshi.cli"))
    }
}

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the Noroshi daemon: the HTTP API and the incident store.",
        discussion: """
            With no configuration at all it keeps its SQLite database under ./noroshi-data and
            listens on 127.0.0.1:8080. Settings come from built-in defaults, then the YAML file,
            then NOROSHI_* environment variables, then these flags. SIGTERM or SIGINT shut it
            down gracefully. The README lists every configuration key.

            Examples:
              noroshi serve
              noroshi serve --host 0.0.0.0 --port 8080 --data-dir /var/lib/noroshi
              noroshi serve --config /etc/noroshi/noroshi.yaml
            """
    )

    @OptionGroup var options: ServerOptions

    @Option(help: "The address to listen on; 0.0.0.0 for every interface (default 127.0.0.1).")
    var host: String?

    @Option(help: "The port to listen on; 0 picks a free one (default 8080).")
    var port: Int?

    @Option(help: "trace, debug, info, notice, warning, error or critical (default info).")
    var logLevel: String?

    func run() async throws {
        try await CLIError.runAsync {
            var configuration = try options.load()
            if let host { configuration.host = host }
            if let port {
                guard (0...65535).contains(port) else {
                    throw NoroshiError(.invalidInput, "Port \(port) is out of range; use 0 to 65535.")
                }
                configuration.port = port
            }
            if let logLevel { configuration.logLevel = try NoroshiConfiguration.parseLogLevel(logLevel) }
            let level = configuration.logLevel
            switch configuration.logFormat {
            case .text:
                LoggingSystem.bootstrap { label in
                    var handler = StreamLogHandler.standardError(label: label)
                    handler.logLevel = level
                    return handler
                }
            case .json:
                LoggingSystem.bootstrap { label in
                    var handler = JSONLogHandler.standardError(label: label)
                    handler.logLevel = level
                    return handler
                }
            }
            let logger = Logger(label: "noroshi")
            // Before the data directory or the database is touched: a busy port is one line and nothing made.
            try PortCheck.ensureAvailable(host: configuration.host, port: configuration.port)
            let daemon = try Daemon(configuration: configuration, logger: logger)
            if try await daemon.store.tokenCount() == 0 {
                Console.say(
                    """
                    No tokens exist yet. Create the first administrator token with:
                      noroshi token create --role admin --name "HQ admin" --data-dir \(configuration.dataDirectory)
                    """
                )
            }
            let host = configuration.host
            let directory = configuration.dataDirectory
            let scheme = configuration.tls == nil ? "http" : "https"
            try await daemon.run { port in
                Console.say(
                    "Noroshi is listening on \(scheme)://\(host):\(port) (data directory \(directory)).")
            }
        }
    }
}

/// Unbuffered lines on standard output, so that a supervisor or a test reading a pipe sees them at once.
enum Console {
    static func say(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }
}
