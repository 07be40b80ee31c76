import Foundation
import NoroshiHTTPClient

/// A signed-in (or anonymous) visitor of the board: keeps the session cookie and sends forms like a browser.
public final class BoardClient: @unchecked Sendable {
    public let server: TestServer
    /// The session cookie's value once signed in.
    public private(set) var session: String?
    public var language = "en"

    public init(server: TestServer) { self.server = server }

    /// Signs in with a token; returns the answer to the sign-in form.
    @discardableResult
    public func signIn(token: String, next: String = "/") async throws -> HTTPResponse {
        let response = try await post("/login", form: ["token": token, "next": next])
        for (name, value) in response.headers where name.lowercased() == "set-cookie" {
            if value.hasPrefix("noroshi_session=") {
                let cookie = value.dropFirst("noroshi_session=".count).prefix { $0 != ";" }
                session = cookie.isEmpty ? nil : String(cookie)
            }
        }
        return response
    }

    /// Forgets the cookie, as a browser does when the server clears it.
    public func forgetSession() { session = nil }

    public func get(_ path: String, headers: [(String, String)] = []) async throws -> HTTPResponse {
        try await server.client.send(
            HTTPRequest(method: "GET", url: server.baseURL + path, headers: common() + headers))
    }

    /// Posts `form` as `application/x-www-form-urlencoded`.
    public func post(_ path: String, form: [String: String], headers: [(String, String)] = []) async throws
        -> HTTPResponse
    {
        let body = form.sorted { $0.key < $1.key }.map { "\(Self.encode($0.key))=\(Self.encode($0.value))" }
            .joined(separator: "&")
        return try await server.client.send(
            HTTPRequest(
                method: "POST", url: server.baseURL + path,
                headers: common() + [("Content-Type", "application/x-www-form-urlencoded")] + headers,
                body: Data(body.utf8)))
    }

    /// The CSRF value a page's forms carry (the first `name="csrf"` field).
    public static func csrf(in page: String) -> String? {
        guard let range = page.range(of: #"name="csrf" value=""#) else { return nil }
        return String(page[range.upperBound...].prefix { $0 != "\"" })
    }

    private func common() -> [(String, String)] {
        var headers = [("Accept-Language", language)]
        if let session { headers.append(("Cookie", "noroshi_session=\(session)")) }
        return headers
    }

    static func encode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics.intersection(
            CharacterSet(charactersIn: Unicode.Scalar(0)..<Unicode.Scalar(128)))
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }
}
