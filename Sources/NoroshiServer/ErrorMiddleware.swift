import Foundation
import Hummingbird
import Logging
import NoroshiClient
import NoroshiCore

extension NoroshiError.Code {
    /// The one place where error codes become HTTP statuses.
    var httpStatus: HTTPResponse.Status {
        switch self {
        case .malformed: .badRequest
        case .invalidInput: .unprocessableContent
        case .notFound: .notFound
        case .conflict: .conflict
        case .unauthorized: .unauthorized
        case .forbidden: .forbidden
        case .methodNotAllowed: .methodNotAllowed
        case .tooLarge: .contentTooLarge
        case .unsupportedMediaType: .unsupportedMediaType
        case .locked: .init(code: 423, reasonPhrase: "Locked")
        case .preconditionFailed: .preconditionFailed
        case .checksumMismatch: .init(code: 460, reasonPhrase: "Checksum Mismatch")
        case .tooManyRequests: .tooManyRequests
        case .insufficientStorage: .init(code: 507, reasonPhrase: "Insufficient Storage")
        case .unavailable: .serviceUnavailable
        case .internal: .internalServerError
        }
    }
}

/// Turns every error into `{"error": {"code": …, "message": …}}` with the right status.
///
/// Internal failures show "Internal error." to the client; their cause goes to the log.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as NoroshiError {
            return Self.response(for: error, context: context)
        } catch let error as any HTTPResponseError {
            return Self.response(for: Self.translate(error, request: request), context: context)
        } catch {
            context.logger.error("Unhandled error", metadata: ["error": "\(error)"])
            return Self.response(for: NoroshiError(.internal, "Internal error."), context: context)
        }
    }

    static func translate(_ error: any HTTPResponseError, request: Request) -> NoroshiError {
        switch error.status {
        case .contentTooLarge:
            return NoroshiError(.tooLarge, "The request body is larger than this server accepts.")
        case .notFound:
            return NoroshiError(.notFound, "There is no route \(request.method) \(request.uri.path).")
        case .methodNotAllowed:
            return NoroshiError(.methodNotAllowed, "Route \(request.uri.path) does not accept \(request.method).")
        default:
            let code: NoroshiError.Code = error.status.code >= 500 ? .internal : .malformed
            return NoroshiError(code, error.status.reasonPhrase + ".")
        }
    }

    static func response(for error: NoroshiError, context: Context) -> Response {
        var message = error.message
        if error.code == .internal {
            context.logger.error("Internal error", metadata: ["error": "\(error)"])
            message = "Internal error."
        } else if error.code == .unavailable {
            context.logger.warning("Unavailable", metadata: ["error": "\(error)"])
        }
        let body = ErrorBody(error: .init(code: error.code.rawValue, message: message))
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        if error.code == .unauthorized { headers[.wwwAuthenticate] = "Bearer realm=\"noroshi\"" }
        let data = (try? JSONEncoder.noroshi().encode(body)) ?? Data()
        return Response(
            status: error.code.httpStatus, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
