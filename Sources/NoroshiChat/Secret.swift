import Foundation
import NoroshiCore

/// A password, token or webhook URL, read from an environment variable or a file; never from the
/// configuration file itself, and never printed: its description names where it came from.
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The secret itself.
    public let value: String
    /// `$NOROSHI_SLACK_URL` or `file /etc/noroshi/slack-url`.
    public let origin: String

    public init(value: String, origin: String) {
        self.value = value
        self.origin = origin
    }

    public var description: String { "<secret from \(origin)>" }
    public var debugDescription: String { description }
    /// `dump` and debuggers see the origin only.
    public var customMirror: Mirror { Mirror(self, children: ["origin": origin]) }

    /// Reads the secret from the variable `name` in `environment`; an unset or empty variable is an error.
    public static func environment(_ name: String, in environment: [String: String], for what: String)
        throws(NoroshiError) -> Secret
    {
        guard let value = environment[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else {
            throw NoroshiError(.invalidInput, "\(what): the environment variable \(name) is not set.")
        }
        return Secret(value: value, origin: "$\(name)")
    }

    /// Reads the secret from a file, without its trailing newline; a missing or empty file is an error.
    public static func file(_ path: String, for what: String) throws(NoroshiError) -> Secret {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw NoroshiError(.invalidInput, "\(what): cannot read the file '\(path)'.", cause: error)
        }
        let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !value.isEmpty else { throw NoroshiError(.invalidInput, "\(what): the file '\(path)' is empty.") }
        return Secret(value: value, origin: "file \(path)")
    }
}
