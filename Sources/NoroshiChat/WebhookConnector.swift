import Crypto
import Foundation
import NoroshiCore
import NoroshiHTTPClient

/// Posts the summary as JSON to any HTTP endpoint — government chat systems, in-house tools — signed with
/// HMAC-SHA256 so the receiver knows it came from this board and was not changed or replayed.
///
/// Headers:
/// - `X-Noroshi-Delivery`: the delivery id; the same on every retry of one message.
/// - `X-Noroshi-Timestamp`: Unix seconds when this attempt was signed.
/// - `X-Noroshi-Signature`: `v1=` and the lowercase hex HMAC-SHA256, keyed with the shared secret, of
///   the timestamp, a full stop and the body bytes (`"1763701530." + body`).
///
/// A receiver recomputes the signature, compares in constant time, refuses timestamps more than five
/// minutes off, and ignores a delivery id it has seen (a retry after a lost answer).
public struct WebhookConnector: Connector {
    let url: String
    let secret: Secret
    let sendImage: Bool
    let session: HTTPSession
    let clock: any WallClock

    public init(url: String, secret: Secret, sendImage: Bool = true, session: HTTPSession, clock: any WallClock) {
        self.url = url
        self.secret = secret
        self.sendImage = sendImage
        self.session = session
        self.clock = clock
    }

    /// The body: the delivery id, the summary's fields, the text in the room's language, and the image.
    struct Payload: Encodable {
        struct Image: Encodable {
            var contentType = "image/jpeg"
            var sha256: String
            var width: Int
            var height: Int
            var data: String

            enum CodingKeys: String, CodingKey {
                case contentType = "content_type"
                case sha256, width, height, data
            }
        }

        var id: String
        var event = "incident.summary"
        var summary: Summary
        var text: String
        var html: String
        var link: String?
        var image: Image?
    }

    static func payload(_ message: ChatMessage, sendImage: Bool) -> Data {
        var image: Payload.Image?
        if sendImage, let bytes = message.image, let info = message.summary.image {
            image = Payload.Image(
                sha256: info.sha256, width: info.width, height: info.height, data: bytes.base64EncodedString())
        }
        let payload = Payload(
            id: message.deliveryID, summary: message.summary, text: message.rendered.text,
            html: message.rendered.html, link: message.rendered.link, image: image)
        // Encoding a summary, strings and numbers cannot fail.
        return (try? JSONEncoder.noroshi().encode(payload)) ?? Data()
    }

    /// `v1=` and the hex HMAC-SHA256 of `"<timestamp>." + body` under `secret`.
    public static func signature(body: Data, timestamp: Int, secret: String) -> String {
        var signed = Data("\(timestamp).".utf8)
        signed.append(body)
        let mac = HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: Data(secret.utf8)))
        return "v1=" + mac.hexEncoded
    }

    public func deliver(_ message: ChatMessage) async -> DeliveryOutcome {
        let body = Self.payload(message, sendImage: sendImage)
        let timestamp = Int(clock.now().timeIntervalSince1970)
        let headers = [
            ("X-Noroshi-Delivery", message.deliveryID),
            ("X-Noroshi-Timestamp", String(timestamp)),
            ("X-Noroshi-Signature", Self.signature(body: body, timestamp: timestamp, secret: secret.value)),
        ]
        return await .post(body, to: url, headers: headers, session: session, what: "The webhook")
    }
}
