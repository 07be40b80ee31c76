import Foundation
import Logging
import NoroshiCore
import Synchronization

/// Writes each log entry as one JSON object on one line (`log_format: json`), for journald, Loki, Fluent Bit or
/// `jq`: `{"time":"2026-12-05T01:30:00.123Z","level":"info","label":"noroshi","source":"NoroshiServer",
/// "message":"Report received","report.id":"1","incident.number":"F-2026-0001"}`. Metadata keys become
/// members (the dotted names as they are); a key that clashes with one of the five fixed ones is prefixed
/// `meta.`.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    let label: String
    let write: @Sendable (String) -> Void

    /// A handler writing to standard error, as the text format does.
    public static func standardError(label: String) -> JSONLogHandler {
        JSONLogHandler(label: label) { line in
            FileHandle.standardError.write(Data(line.utf8))
        }
    }

    public init(label: String, write: @escaping @Sendable (String) -> Void) {
        self.label = label
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { $1 } }
        var fields: [String: String] = [
            "time": RFC3339.string(from: Date()), "level": event.level.rawValue, "label": label,
            "source": event.source, "message": "\(event.message)",
        ]
        let fixed = Set(fields.keys)
        for (key, value) in all { fields[fixed.contains(key) ? "meta." + key : key] = Self.text(value) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(fields) else { return }
        write(String(decoding: data, as: UTF8.self) + "\n")
    }

    private static func text(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let string): string
        case .stringConvertible(let convertible): convertible.description
        default: "\(value)"
        }
    }
}
