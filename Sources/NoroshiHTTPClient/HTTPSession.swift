import CCurl
import Dispatch

/// Requests to one server, one at a time and in order, over a connection that stays open between them
/// (HTTP keep-alive, and for HTTPS one TLS handshake instead of one per request).
///
/// A chat room's connector keeps one: a room is delivered strictly in order anyway, and a new TCP connection
/// and thread per message was most of the cost of a message on loopback. The transfers run on a serial
/// dispatch queue of the session's own, off the cooperative pool. libcurl notices a connection the server
/// closed meanwhile and opens a new one.
///
/// ```swift
/// let session = HTTPSession(client: HTTPClient())
/// let first = try await session.send(HTTPRequest(method: "GET", url: "http://127.0.0.1:8080/healthz"))
/// let second = try await session.send(HTTPRequest(method: "GET", url: "http://127.0.0.1:8080/healthz"))  // same connection
/// ```
public final class HTTPSession: @unchecked Sendable {
    // @unchecked: `handle` is touched only on `queue`, a serial queue.
    public let client: HTTPClient
    private let queue: DispatchQueue
    private var handle: UnsafeMutableRawPointer?

    public init(client: HTTPClient, label: String = "noroshi.http-session") {
        self.client = client
        self.queue = DispatchQueue(label: label)
    }

    deinit {
        if let handle { curl_easy_cleanup(handle) }
    }

    /// Performs a request after the ones sent before it, on the session's connection.
    public func send(_ request: HTTPRequest) async throws(HTTPClientError) -> HTTPResponse {
        let result: Result<HTTPResponse, HTTPClientError> = await withCheckedContinuation { continuation in
            queue.async {
                continuation.resume(returning: Result { () throws(HTTPClientError) in try self.perform(request) })
            }
        }
        return try result.get()
    }

    /// Runs on `queue`.
    private func perform(_ request: HTTPRequest) throws(HTTPClientError) -> HTTPResponse {
        if handle == nil { handle = curl_easy_init() }
        guard let handle else { throw HTTPClientError(code: .failed, message: "Cannot create a libcurl handle.") }
        return try client.transfer(request, on: handle)
    }
}
