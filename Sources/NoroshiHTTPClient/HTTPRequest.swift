import Foundation

/// One HTTP request: method, absolute URL, headers and an optional body.
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [(String, String)]
    public var body: Data?

    public init(method: String, url: String, headers: [(String, String)] = [], body: Data? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

/// One HTTP response with its status, headers (in order, names as sent) and body.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: Data

    public init(status: Int, headers: [(String, String)], body: Data) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first value of a header, matched case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1
    }

    /// The body as UTF-8 text.
    public var text: String { String(decoding: body, as: UTF8.self) }
}

/// A transfer that did not produce an HTTP response: no connection, a timeout, a TLS failure.
public struct HTTPClientError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure, so callers can tell "try again later" from "fix the configuration".
    public enum Code: Sendable, Hashable {
        /// The server could not be reached: refused, unresolvable host, no route.
        case unreachable
        /// The connection or the transfer took too long.
        case timeout
        /// The TLS handshake or certificate check failed.
        case tls
        /// Anything else libcurl reported.
        case failed
    }

    public let code: Code
    public let message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
