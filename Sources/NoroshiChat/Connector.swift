import Foundation
import NoroshiCore
import NoroshiHTTPClient

/// One message on its way to one room: the summary, written in the room's style, with the chat copy of the
/// incident's newest photo when there is one.
public struct ChatMessage: Sendable {
    /// Unique to this message across retries and restarts: the Matrix transaction id and the webhook delivery
    /// id, so that the receiver can recognise a message it already has.
    public var deliveryID: String
    public var summary: Summary
    public var rendered: RenderedSummary
    /// The JPEG bytes of `summary.image`, when it has one and the file could be read.
    public var image: Data?

    public init(deliveryID: String, summary: Summary, rendered: RenderedSummary, image: Data? = nil) {
        self.deliveryID = deliveryID
        self.summary = summary
        self.rendered = rendered
        self.image = image
    }
}

/// Sends one message to one room and says how it went; never throws, so every failure is classified.
public protocol Connector: Sendable {
    func deliver(_ message: ChatMessage) async -> DeliveryOutcome
}

extension DeliveryOutcome {
    /// POSTs a JSON body and reads the answer the usual way (see ``classify(_:what:remoteID:)``).
    static func post(
        _ body: Data, to url: String, headers: [(String, String)] = [], session: HTTPSession, what: String
    ) async -> DeliveryOutcome {
        let request = HTTPRequest(
            method: "POST", url: url, headers: [("Content-Type", "application/json; charset=utf-8")] + headers,
            body: body)
        do {
            return .classify(try await session.send(request), what: what)
        } catch {
            return .failed(error, what: what)
        }
    }

    /// The usual reading of an HTTP answer: 2xx delivered; 408, 425, 429 and 5xx worth retrying (429 and 503
    /// honouring Retry-After); any other status permanent. `what` names the server in the reason.
    static func classify(_ response: HTTPResponse, what: String, remoteID: String? = nil) -> DeliveryOutcome {
        switch response.status {
        case 200..<300:
            return .delivered(remoteID: remoteID)
        case 408, 425, 429, 500..<600:
            return .retry(
                reason: "\(what) answered \(response.status)\(detail(response))",
                after: response.header("Retry-After").flatMap(retryAfter))
        default:
            return .permanent(reason: "\(what) answered \(response.status)\(detail(response))")
        }
    }

    /// The same outcome with `url` (a secret) and its path taken out of the reason.
    func redacting(url: String) -> DeliveryOutcome {
        switch self {
        case .delivered: self
        case .retry(let reason, let after): .retry(reason: reason.redacting(url: url), after: after)
        case .permanent(let reason): .permanent(reason: reason.redacting(url: url))
        }
    }

    /// A transfer that got no answer (refused, timed out, a TLS failure) is retried; when the attempts run out
    /// the dead letter keeps this reason.
    static func failed(_ error: HTTPClientError, what: String) -> DeliveryOutcome {
        .retry(reason: "\(what) could not be reached: \(error.message)", after: nil)
    }

    /// The first 200 characters of an error body, on one line, for the reason kept with a dead letter.
    static func detail(_ response: HTTPResponse) -> String {
        let text = response.text.trimmingCharacters(in: .whitespacesAndNewlines)
            .replacingOccurrences(of: "\n", with: " ")
        return text.isEmpty ? "" : ": " + String(text.prefix(200))
    }

    /// Retry-After as seconds (`120`); an HTTP date is not expected from chat servers and is ignored.
    static func retryAfter(_ value: String) -> Duration? {
        guard let seconds = Double(value.trimmingCharacters(in: .whitespaces)), seconds >= 0, seconds.isFinite
        else { return nil }
        return .milliseconds(Int64(min(seconds, 86_400) * 1000))
    }
}

/// A JSON value built in code, encoded with its object keys in the order given.
enum JSON: Encodable, Sendable {
    case string(String)
    case int(Int)
    case double(Double)
    case bool(Bool)
    case null
    case array([JSON])
    case object([(String, JSON)])

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    func encode(to encoder: any Encoder) throws {
        switch self {
        case .string(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .int(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .double(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .bool(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .null:
            var container = encoder.singleValueContainer()
            try container.encodeNil()
        case .array(let values):
            var container = encoder.unkeyedContainer()
            for value in values { try container.encode(value) }
        case .object(let members):
            var container = encoder.container(keyedBy: Key.self)
            for (key, value) in members { try container.encode(value, forKey: Key(stringValue: key)) }
        }
    }

    /// The value as compact UTF-8 JSON, `/` not escaped.
    var data: Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        // Encoding strings, numbers, arrays and objects of them cannot fail.
        return (try? encoder.encode(self)) ?? Data("null".utf8)
    }

    static func optional(_ value: String?) -> JSON { value.map(JSON.string) ?? .null }
    static func optional(_ value: Int?) -> JSON { value.map(JSON.int) ?? .null }
}
