import Foundation
import NoroshiCore
import NoroshiHTTPClient

/// Talks to a Noroshi daemon's `/v1` API over the libcurl client: the CLI's commands and the drill runner.
///
/// The blocking forms suit a command at a terminal; the `async` ones run each request on a thread of its own.
public struct APIClient: Sendable {
    /// A request that did not succeed, with a message for the person at the terminal.
    public struct Failure: Error, CustomStringConvertible {
        /// The HTTP status, or nil when no response came back.
        public var status: Int?
        public var code: String?
        public var message: String
        public var description: String { message }

        public init(status: Int?, code: String?, message: String) {
            self.status = status
            self.code = code
            self.message = message
        }

        /// True when the server could not be reached or was temporarily unable to answer: retry later.
        public var isTransient: Bool {
            guard let status else { return true }
            return status == 429 || status == 502 || status == 503 || status == 504
        }
    }

    /// The base URL, without a trailing slash.
    public let server: String
    let token: String?
    let http: HTTPClient

    /// `caFile`: the CA certificate(s), PEM, that an `https` server's certificate must chain to, for a server
    /// with a certificate of its own authority (a closed network's); nil trusts the system's CAs. Certificates
    /// are always verified.
    public init(server: String, token: String?, timeout: Duration = .seconds(20), caFile: String? = nil) {
        self.server = server.hasSuffix("/") ? String(server.dropLast()) : server
        self.token = token
        self.http = HTTPClient(configuration: .init(timeout: timeout, connectTimeout: .seconds(5), caBundle: caFile))
    }

    /// Sends a request and decodes a JSON answer, or throws a ``Failure`` with the server's message.
    public func call<Answer: Decodable>(
        _ method: String,
        _ path: String,
        body: (some Encodable)? = Optional<String>.none,
        as answer: Answer.Type
    ) throws -> (Answer, status: Int) {
        let request = try self.request(method, path, body: body)
        return try decode(try response(to: request, progress: nil), as: answer)
    }

    /// Sends a request without blocking the caller's thread and decodes a JSON answer, or throws a ``Failure``.
    public func call<Answer: Decodable>(
        _ method: String,
        _ path: String,
        body: (some Encodable)? = Optional<String>.none,
        as answer: Answer.Type
    ) async throws -> Answer {
        try decode(try await response(to: try request(method, path, body: body)), as: answer).0
    }

    /// Sends a photo file (of media type `type`) as the body of a POST without blocking the caller's thread.
    public func upload<Answer: Decodable>(
        _ path: String, file: URL, type: String = "image/jpeg", as answer: Answer.Type
    ) async throws -> Answer {
        let request = HTTPRequest(
            method: "POST", url: server + path,
            headers: [("Accept", "application/json"), ("Content-Type", type)], bodyFile: file.path,
            timeout: .zero, stallTimeout: .seconds(60))
        return try decode(try await response(to: request), as: answer).0
    }

    /// Downloads a file (a photo) with GET; the server's error message when it refuses. No overall time limit,
    /// but 60 s without progress ends it.
    public func download(_ path: String) throws -> Data {
        let request = HTTPRequest(
            method: "GET", url: server + path, headers: [("Accept", "image/jpeg, application/json")], timeout: .zero,
            stallTimeout: .seconds(60))
        let answer = try response(to: request, progress: nil)
        guard (200..<300).contains(answer.status) else {
            _ = try decode(answer, as: ErrorBody.self)
            throw Failure(status: answer.status, code: nil, message: "The server answered HTTP \(answer.status).")
        }
        return answer.body
    }

    /// Streams the body of a GET into `file` as it arrives (an export), or throws the API's error. No overall
    /// time limit; it gives up after 60 s without a byte.
    public func download(_ path: String, to file: String) throws {
        let request = HTTPRequest(
            method: "GET", url: server + path,
            headers: [("Accept", "text/csv, application/geo+json, application/json")],
            timeout: .zero, stallTimeout: .seconds(60), responseFile: file)
        let answer = try response(to: request, progress: nil)
        guard (200..<300).contains(answer.status) else {
            _ = try decode(answer, as: ErrorBody.self)
            throw Failure(status: answer.status, code: nil, message: "The server answered HTTP \(answer.status).")
        }
    }

    private func request(_ method: String, _ path: String, body: (some Encodable)?) throws -> HTTPRequest {
        var request = HTTPRequest(method: method, url: server + path, headers: [("Accept", "application/json")])
        if let body {
            request.body = try JSONEncoder.noroshi().encode(body)
            request.headers.append(("Content-Type", "application/json"))
        }
        return request
    }

    /// Sends a photo file (of media type `type`) as the body of a POST, streamed from disk, reporting progress
    /// as it goes. There is no limit on the whole transfer (a weak link may need minutes), but 60 s without
    /// progress ends it.
    public func upload<Answer: Decodable>(
        _ path: String,
        file: URL,
        type: String = "image/jpeg",
        as answer: Answer.Type,
        progress: @escaping (HTTPProgress) -> Void
    ) throws -> (Answer, status: Int) {
        let request = HTTPRequest(
            method: "POST", url: server + path,
            headers: [("Accept", "application/json"), ("Content-Type", type)], bodyFile: file.path,
            timeout: .zero, stallTimeout: .seconds(60))
        return try decode(try response(to: request, progress: progress), as: answer)
    }

    // MARK: Resumable uploads (tus 1.0.0)

    /// A resumable upload as its creation answered: where it is, how many bytes the server has, and the upload
    /// itself (with the photo it became, once complete) when the server sent it.
    public struct CreatedUpload: Sendable {
        /// The upload's location as the server gave it (a path such as `/v1/uploads/…`), kept in the queue and
        /// resolved against the server in use.
        public var location: String
        public var offset: Int64
        public var upload: ResumableUpload?
    }

    /// Creates a resumable upload of `length` bytes for a report. `queuedSeconds`: how long the photo waited in
    /// the device's queue, so that the server dates it then. `clientKey` makes the creation safe to ask again:
    /// the server answers the upload it made for the same key (and report, length and SHA-256) with its offset.
    /// `file` goes in the creation's body (tus creation-with-upload): one round trip for a whole small file, with
    /// no limit on the transfer but 60 s without progress ending it.
    public func createUpload(
        reportID: Int64, fileName: String, sha256: String, length: Int64, queuedSeconds: Double? = nil,
        clientKey: String? = nil, extra: [(String, String)] = [], file: URL? = nil,
        progress: @escaping (HTTPProgress) -> Void = { _ in }
    ) throws -> CreatedUpload {
        let metadata =
            ([("report_id", String(reportID)), ("filename", fileName), ("sha256", sha256)]
            + (queuedSeconds.map { [("queued_seconds", String(Int($0)))] } ?? [])
            + (clientKey.map { [("client_key", $0)] } ?? []) + extra)
            .map { "\($0.0) \(Data($0.1.utf8).base64EncodedString())" }.joined(separator: ",")
        var request = HTTPRequest(
            method: "POST", url: server + "/v1/uploads",
            headers: Self.tus + [("Upload-Length", String(length)), ("Upload-Metadata", metadata)], body: Data())
        if let file {
            request.headers.append(("Content-Type", "application/offset+octet-stream"))
            request.body = nil
            request.bodyFile = file.path
            request.timeout = .zero
            request.stallTimeout = .seconds(60)
        }
        let answer = try response(to: request, progress: file == nil ? nil : progress)
        guard answer.status == 201 || answer.status == 200, let location = answer.header("Location") else {
            throw failure(answer)
        }
        return CreatedUpload(
            location: location, offset: answer.header("Upload-Offset").flatMap { Int64($0) } ?? 0,
            upload: try? JSONDecoder.noroshi().decode(ResumableUpload.self, from: answer.body))
    }

    /// A location the server gave, as a full URL: a path is taken on this client's server.
    func resolve(_ location: String) -> String {
        location.hasPrefix("http://") || location.hasPrefix("https://") ? location : server + location
    }

    /// How many bytes of an upload the server has (`HEAD`).
    public func uploadOffset(_ url: String) throws -> Int64 {
        let answer = try response(to: HTTPRequest(method: "HEAD", url: resolve(url), headers: Self.tus), progress: nil)
        guard answer.status == 200, let offset = answer.header("Upload-Offset").flatMap({ Int64($0) }) else {
            throw failure(answer)
        }
        return offset
    }

    /// Sends the rest of `file`, from `offset` (the server's), with one `PATCH`; returns the server's new
    /// offset. No limit on the whole transfer, but 60 s without progress ends it; the server keeps what arrived.
    public func appendUpload(
        _ url: String, file: URL, from offset: Int64, progress: @escaping (HTTPProgress) -> Void
    ) throws -> Int64 {
        var request = HTTPRequest(
            method: "PATCH", url: resolve(url),
            headers: Self.tus + [
                ("Content-Type", "application/offset+octet-stream"), ("Upload-Offset", String(offset)),
            ],
            bodyFile: file.path, timeout: .zero, stallTimeout: .seconds(60))
        request.bodyFileOffset = offset
        let answer = try response(to: request, progress: progress)
        guard answer.status == 204, let next = answer.header("Upload-Offset").flatMap({ Int64($0) }) else {
            throw failure(answer)
        }
        return next
    }

    /// The upload as the server holds it, with the photo it became once complete (`GET`).
    public func upload(_ url: String) throws -> ResumableUpload {
        let answer = try response(
            to: HTTPRequest(method: "GET", url: resolve(url), headers: [("Accept", "application/json")]), progress: nil)
        return try decode(answer, as: ResumableUpload.self).0
    }

    private static let tus = [("Tus-Resumable", "1.0.0"), ("Accept", "application/json")]

    /// The failure an unexpected answer means: the server's message when it sent one.
    private func failure(_ answer: HTTPResponse) -> Failure {
        if let error = try? JSONDecoder().decode(ErrorBody.self, from: answer.body) {
            return Failure(status: answer.status, code: error.error.code, message: error.error.message)
        }
        return Failure(
            status: answer.status, code: nil, message: "The server at \(server) answered HTTP \(answer.status).")
    }

    private func authorized(_ request: HTTPRequest) -> HTTPRequest {
        var request = request
        if let token { request.headers.append(("Authorization", "Bearer \(token)")) }
        return request
    }

    private func response(to request: HTTPRequest, progress: ((HTTPProgress) -> Void)?) throws -> HTTPResponse {
        do {
            return try http.perform(authorized(request), progress: progress)
        } catch {
            throw unreachable(error)
        }
    }

    private func response(to request: HTTPRequest) async throws -> HTTPResponse {
        do {
            return try await http.send(authorized(request))
        } catch {
            throw unreachable(error)
        }
    }

    private func unreachable(_ error: HTTPClientError) -> Failure {
        var message = "Cannot reach the server at \(server): \(error.message)"
        if error.message.localizedCaseInsensitiveContains("certificate") {
            message +=
                ". If the server's certificate comes from your own CA, give that CA with --ca-file "
                + "(or NOROSHI_CA_FILE, or 'noroshi login --ca-file')"
        }
        return Failure(status: nil, code: nil, message: message)
    }

    private func decode<Answer: Decodable>(_ response: HTTPResponse, as answer: Answer.Type) throws -> (
        Answer, status: Int
    ) {
        guard (200..<300).contains(response.status) else { throw failure(response) }
        do {
            return (try JSONDecoder.noroshi().decode(Answer.self, from: response.body), response.status)
        } catch {
            throw Failure(
                status: response.status, code: nil,
                message: "The server at \(server) sent an answer Noroshi cannot read.")
        }
    }
}

/// The error shape every failing route returns: `{"error": {"code": …, "message": …}}`.
public struct ErrorBody: Codable, Sendable {
    public struct Detail: Codable, Sendable {
        public init(code: String, message: String) {
            self.code = code
            self.message = message
        }

        public var code: String
        public var message: String
    }

    public var error: Detail

    public init(error: Detail) { self.error = error }
}
