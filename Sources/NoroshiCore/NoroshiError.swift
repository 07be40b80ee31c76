/// The error every Noroshi layer throws: a small code, a message safe to show a person, and a cause for the log.
///
/// Messages name the thing and the reason, in sentence case: "Unknown kind 'volcano'; use one of …".
/// Personal data (report text, names) never goes into a message.
public struct NoroshiError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, in a form the HTTP layer maps to a status code in one place.
    public enum Code: String, Sendable, Codable {
        /// The request cannot be read at all: not JSON, a missing field, a wrong type (HTTP 400).
        case malformed
        /// A value is out of range or refers to something impossible (HTTP 422).
        case invalidInput = "invalid_input"
        /// The thing asked for does not exist (HTTP 404).
        case notFound = "not_found"
        /// The request clashes with what is stored, e.g. a reused client key (HTTP 409).
        case conflict
        /// No valid credentials (HTTP 401).
        case unauthorized
        /// Valid credentials without the needed role (HTTP 403).
        case forbidden
        /// The path exists but does not take this method, e.g. TRACE (HTTP 405, with `Allow`).
        case methodNotAllowed = "method_not_allowed"
        /// The body is larger than allowed (HTTP 413).
        case tooLarge = "too_large"
        /// The body is not of a type the route takes, e.g. not a JPEG (HTTP 415).
        case unsupportedMediaType = "unsupported_media_type"
        /// A resumable upload is receiving bytes on another connection (HTTP 423).
        case locked
        /// A precondition of the request does not hold, e.g. an unsupported `Tus-Resumable` version (HTTP 412).
        case preconditionFailed = "precondition_failed"
        /// The bytes received do not match the checksum sent with them (HTTP 460, tus's "Checksum Mismatch").
        case checksumMismatch = "checksum_mismatch"
        /// Too many attempts from one client in too short a time, e.g. failed sign-ins (HTTP 429).
        case tooManyRequests = "too_many_requests"
        /// The server's disk is full: nothing was stored (HTTP 507).
        case insufficientStorage = "insufficient_storage"
        /// A dependency such as the database or the network is not reachable (HTTP 503).
        case unavailable
        /// A bug or an unexpected failure; the client sees only "Internal error." (HTTP 500).
        case `internal`
    }

    public let code: Code
    public let message: String
    /// The underlying failure, for logs only.
    public let cause: (any Error & Sendable)?

    public init(_ code: Code, _ message: String, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String {
        if let cause { return "\(message) (\(cause))" }
        return message
    }
}
