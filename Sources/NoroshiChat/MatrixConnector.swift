import Foundation
import NoroshiCore
import NoroshiHTTPClient

/// Posts to a Matrix room through the client-server API: the summary as `m.text` with an HTML body, then the
/// photo uploaded to the media repository and posted as `m.image`.
///
/// Each event is sent with `PUT …/send/m.room.message/{txnId}`, the transaction id made from the delivery id.
/// The homeserver answers a repeated transaction id of the same device with the first event instead of a new
/// one, so a retry after a crash between send and acknowledgement never posts twice. That is why the connector
/// logs in with one fixed `device_id` (or uses an access token that belongs to one device).
public actor MatrixConnector: Connector {
    /// How the connector proves who it is.
    public enum Authentication: Sendable, Hashable {
        /// An access token made for the bot (its device is the one the token belongs to).
        case accessToken(Secret)
        /// A user and password; the connector logs in with `device_id` when it first sends.
        case password(user: String, password: Secret)
    }

    let homeserver: String
    let room: String
    let authentication: Authentication
    let deviceID: String
    let session: HTTPSession
    private var token: String?
    private var roomID: String?

    /// `homeserver` is the base URL (`https://matrix.example.lg.jp`); `room` a room id (`!abc:…`) or alias.
    public init(
        homeserver: String, room: String, authentication: Authentication, deviceID: String = "NOROSHI",
        session: HTTPSession
    ) {
        self.homeserver = homeserver.hasSuffix("/") ? String(homeserver.dropLast()) : homeserver
        self.room = room
        self.authentication = authentication
        self.deviceID = deviceID
        self.session = session
        if case .accessToken(let secret) = authentication { token = secret.value }
    }

    /// A failed step: what to report, and whether a fresh login might cure it.
    private struct Failure: Error {
        var outcome: DeliveryOutcome
        var tokenRejected = false
    }

    public func deliver(_ message: ChatMessage) async -> DeliveryOutcome {
        do {
            return try await send(message)
        } catch let failure where failure.tokenRejected {
            guard case .password = authentication else { return failure.outcome }
            // The token was logged out or expired: log in again (same device) and try once more.
            token = nil
            do {
                return try await send(message)
            } catch {
                return error.outcome
            }
        } catch {
            return error.outcome
        }
    }

    private func send(_ message: ChatMessage) async throws(Failure) -> DeliveryOutcome {
        let token = try await accessToken()
        let roomID = try await joinedRoom(token: token)
        let text = JSON.object([
            ("msgtype", .string("m.text")), ("body", .string(message.rendered.text)),
            ("format", .string("org.matrix.custom.html")), ("formatted_body", .string(message.rendered.html)),
        ])
        let sent = try await call(
            "PUT",
            "/_matrix/client/v3/rooms/\(roomID.urlComponentEncoded)/send/m.room.message/"
                + "noroshi-\(message.deliveryID)".urlComponentEncoded,
            token: token, body: text.data, what: "Sending to the room")
        let eventID = Self.string(sent, "event_id")
        if let bytes = message.image, let image = message.summary.image {
            let upload = try await call(
                "POST", "/_matrix/media/v3/upload?filename=" + "\(message.summary.number).jpg".urlComponentEncoded,
                token: token, body: bytes, contentType: "image/jpeg", what: "Uploading the photo")
            guard let uri = Self.string(upload, "content_uri") else {
                throw Failure(outcome: .retry(reason: "The homeserver's upload answer has no content_uri.", after: nil))
            }
            let content = JSON.object([
                ("msgtype", .string("m.image")), ("body", .string("\(message.summary.number).jpg")),
                ("url", .string(uri)),
                (
                    "info",
                    .object([
                        ("mimetype", .string("image/jpeg")), ("size", .int(bytes.count)), ("w", .int(image.width)),
                        ("h", .int(image.height)),
                    ])
                ),
            ])
            _ = try await call(
                "PUT",
                "/_matrix/client/v3/rooms/\(roomID.urlComponentEncoded)/send/m.room.message/"
                    + "noroshi-\(message.deliveryID)-image".urlComponentEncoded,
                token: token, body: content.data, what: "Sending the photo")
        }
        return .delivered(remoteID: eventID)
    }

    private func accessToken() async throws(Failure) -> String {
        if let token { return token }
        guard case .password(let user, let password) = authentication else {
            throw Failure(outcome: .permanent(reason: "No access token."))
        }
        let body = JSON.object([
            ("type", .string("m.login.password")),
            ("identifier", .object([("type", .string("m.id.user")), ("user", .string(user))])),
            ("password", .string(password.value)), ("device_id", .string(deviceID)),
            ("initial_device_display_name", .string("Noroshi incident board")),
        ])
        let answer = try await call("POST", "/_matrix/client/v3/login", token: nil, body: body.data, what: "Login")
        guard let token = Self.string(answer, "access_token") else {
            throw Failure(outcome: .retry(reason: "The homeserver's login answer has no access_token.", after: nil))
        }
        self.token = token
        return token
    }

    /// Joins the room once per process (a no-op when already joined; accepts an invitation; resolves an alias).
    private func joinedRoom(token: String) async throws(Failure) -> String {
        if let roomID { return roomID }
        let answer = try await call(
            "POST", "/_matrix/client/v3/join/\(room.urlComponentEncoded)", token: token, body: Data("{}".utf8),
            what: "Joining \(room)")
        let id = Self.string(answer, "room_id") ?? room
        roomID = id
        return id
    }

    /// One request; a non-2xx answer becomes a Failure read the Matrix way (errcode, retry_after_ms).
    private func call(
        _ method: String, _ path: String, token: String?, body: Data, contentType: String = "application/json",
        what: String
    ) async throws(Failure) -> [String: Any] {
        var headers = [("Content-Type", contentType)]
        if let token { headers.append(("Authorization", "Bearer \(token)")) }
        let response: HTTPResponse
        do {
            response = try await session.send(
                HTTPRequest(method: method, url: homeserver + path, headers: headers, body: body))
        } catch {
            throw Failure(outcome: .failed(error, what: "The homeserver"))
        }
        let json = (try? JSONSerialization.jsonObject(with: response.body)) as? [String: Any] ?? [:]
        if (200..<300).contains(response.status) { return json }
        let code = Self.string(json, "errcode") ?? "HTTP \(response.status)"
        let reason = "\(what): \(code)" + (Self.string(json, "error").map { " (\($0.prefix(200)))" } ?? "")
        switch response.status {
        case 401 where code == "M_UNKNOWN_TOKEN" || code == "M_MISSING_TOKEN":
            throw Failure(outcome: .permanent(reason: reason), tokenRejected: true)
        case 429:
            let wait = (json["retry_after_ms"] as? Int).map { Duration.milliseconds($0) }
            throw Failure(
                outcome: .retry(
                    reason: reason, after: wait ?? response.header("Retry-After").flatMap(DeliveryOutcome.retryAfter)
                ))
        case 408, 425, 500..<600:
            throw Failure(outcome: .retry(reason: reason, after: nil))
        default:
            throw Failure(outcome: .permanent(reason: reason))
        }
    }

    static func string(_ json: [String: Any], _ key: String) -> String? { json[key] as? String }
}
