import Foundation

/// One HTTP request: method, absolute URL, headers and an optional body.
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [(String, String)]
    public var body: Data?
    /// A file sent as the body, read from disk while it is sent (never held whole in memory); instead of `body`.
    public var bodyFile: String?
    /// The byte of `bodyFile` the body starts at; the rest of the file is sent. A resumed upload sends only
    /// what the server lacks.
    public var bodyFileOffset: Int64 = 0
    /// Replaces the client's whole-transfer timeout for this request; `.zero` sets no limit (a long upload on
    /// a weak link), which is best paired with `stallTimeout`.
    public var timeout: Duration?
    /// Gives up when less than one byte per second moved during this long.
    public var stallTimeout: Duration?
    /// Where a successful (2xx) answer's body goes as it arrives, instead of memory (an export of a million
    /// rows); the response's `body` is then empty. Any other answer's body is kept in memory as usual and the
    /// file removed.
    public var responseFile: String?

    public init(
        method: String,
        url: String,
        headers: [(String, String)] = [],
        body: Data? = nil,
        bodyFile: String? = nil,
        timeout: Duration? = nil,
        stallTimeout: Duration? = nil,
        responseFile: String? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.bodyFile = bodyFile
        self.timeout = timeout
        self.stallTimeout = stallTimeout
        self.responseFile = responseFile
    }
}

/// Where an upload stands: bytes of the body sent so far, of how many.
public struct HTTPProgress: Sendable, Hashable {
    public var sent: Int64
    public var total: Int64

    public init(sent: Int64, total: Int64) {
        self.sent = sent
        self.total = total
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
