import CCurl
import Synchronization

/// One reusable libcurl handle: requests made through it keep their connection open between calls.
///
/// Use it where one caller talks to one server again and again (a connector's delivery loop, a
/// load generator); ``HTTPClient/perform(_:)`` opens a fresh connection per request instead.
/// Calls are serialised; one connection serves one request at a time.
public final class HTTPConnection: Sendable {
    private let client: HTTPClient
    private let handle: Mutex<UnsafeMutableRawPointer>

    public init(client: HTTPClient = HTTPClient()) throws(HTTPClientError) {
        guard let raw = curl_easy_init() else {
            throw HTTPClientError(code: .failed, message: "Cannot create a libcurl handle.")
        }
        self.client = client
        self.handle = Mutex(raw)
    }

    deinit {
        handle.withLock { curl_easy_cleanup($0) }
    }

    /// Performs a request on this connection, blocking the calling thread.
    public func perform(_ request: HTTPRequest) throws(HTTPClientError) -> HTTPResponse {
        let result = handle.withLock { handle -> Result<HTTPResponse, HTTPClientError> in
            // Reset options from the previous request; the open connection stays in the handle's cache.
            curl_easy_reset(handle)
            return Result { () throws(HTTPClientError) in try client.transfer(request, on: handle) }
        }
        return try result.get()
    }
}
