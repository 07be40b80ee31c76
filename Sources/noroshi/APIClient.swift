import Foundation
import NoroshiCore
import NoroshiHTTPClient
import NoroshiServer

/// Talks to a Noroshi daemon's `/v1` API over the libcurl client.
struct APIClient {
    /// A request that did not succeed, with a message for the person at the terminal.
    struct Failure: Error, CustomStringConvertible {
        /// The HTTP status, or nil when no response came back.
        var status: Int?
        var code: String?
        var message: String
        var description: String { message }

        /// True when the server could not be reached or was temporarily unable to answer: retry later.
        var isTransient: Bool {
            guard let status else { return true }
            return status == 429 || status == 502 || status == 503 || status == 504
        }
    }

    let server: String
    let token: String?
    let http: HTTPClient

    init(server: String, token: String?, timeout: Duration = .seconds(20)) {
        self.server = server.hasSuffix("/") ? String(server.dropLast()) : server
        self.token = token
        self.http = HTTPClient(configuration: .init(timeout: timeout, connectTimeout: .seconds(5)))
    }

    /// Sends a request and decodes a JSON answer, or throws a ``Failure`` with the server's message.
    func call<Answer: Decodable>(
        _ method: String,
        _ path: String,
        body: (some Encodable)? = Optional<String>.none,
        as answer: Answer.Type
    ) throws -> (Answer, status: Int) {
        var request = HTTPRequest(method: method, url: server + path, headers: [("Accept", "application/json")])
        if let body {
            request.body = try JSONEncoder.noroshi().encode(body)
            request.headers.append(("Content-Type", "application/json"))
        }
        return try execute(request, as: answer)
    }

    /// Sends a JPEG file as the body of a POST, streamed from disk, reporting progress as it goes. There is
    /// no limit on the whole transfer (a weak link may need minutes), but 60 s without progress ends it.
    func upload<Answer: Decodable>(
        _ path: String,
        file: URL,
        as answer: Answer.Type,
        progress: @escaping (HTTPProgress) -> Void
    ) throws -> (Answer, status: Int) {
        let request = HTTPRequest(
            method: "POST", url: server + path,
            headers: [("Accept", "application/json"), ("Content-Type", "image/jpeg")], bodyFile: file.path,
            timeout: .zero, stallTimeout: .seconds(60))
        return try execute(request, as: answer, progress: progress)
    }

    private func execute<Answer: Decodable>(
        _ request: HTTPRequest,
        as answer: Answer.Type,
        progress: ((HTTPProgress) -> Void)? = nil
    ) throws -> (Answer, status: Int) {
        var request = request
        if let token { request.headers.append(("Authorization", "Bearer \(token)")) }
        let response: HTTPResponse
        do {
            response = try http.perform(request, progress: progress)
        } catch {
            throw Failure(status: nil, code: nil, message: "Cannot reach the server at \(server): \(error.message)")
        }
        guard (200..<300).contains(response.status) else {
            if let error = try? JSONDecoder().decode(ErrorBody.self, from: response.body) {
                throw Failure(status: response.status, code: error.error.code, message: error.error.message)
            }
            throw Failure(
                status: response.status, code: nil, message: "The server at \(server) answered HTTP \(response.status)."
            )
        }
        do {
            return (try JSONDecoder.noroshi().decode(Answer.self, from: response.body), response.status)
        } catch {
            throw Failure(
                status: response.status, code: nil,
                message: "The server at \(server) sent an answer this CLI cannot read.")
        }
    }
}
