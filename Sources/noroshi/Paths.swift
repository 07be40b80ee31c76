import Foundation

/// Where the CLI keeps its own files, following the XDG base directory convention.
enum Paths {
    static var environment: [String: String] { ProcessInfo.processInfo.environment }

    private static var home: String { environment["HOME"] ?? NSHomeDirectory() }

    /// `$XDG_CONFIG_HOME/noroshi`, or `~/.config/noroshi`.
    static var configDirectory: URL {
        let base = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? home + "/.config"
        return URL(fileURLWithPath: base).appendingPathComponent("noroshi", isDirectory: true)
    }

    /// `$XDG_DATA_HOME/noroshi`, or `~/.local/share/noroshi`.
    static var dataDirectory: URL {
        let base = environment["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? home + "/.local/share"
        return URL(fileURLWithPath: base).appendingPathComponent("noroshi", isDirectory: true)
    }

    /// The saved server and token (`noroshi login`), mode 0600.
    static var credentialsFile: URL { configDirectory.appendingPathComponent("credentials.json") }

    /// The local queue of reports waiting to be sent.
    static var queueFile: URL { dataDirectory.appendingPathComponent("queue.sqlite") }
}
