import Foundation
import Hummingbird
import NoroshiCore
import Synchronization

/// Slows down guessing: an address whose requests failed authentication `limit` times within a minute gets
/// 429 for every request that carries credentials (a bearer token, a board sign-in) until the oldest of those
/// failures is a minute old. Requests without credentials (health checks, the sign-in page) are not affected.
///
/// A token has 256 random bits, so guessing one is hopeless anyway; the limit keeps a misconfigured or hostile
/// client from filling the log and the CPU with failed attempts, and it is logged with the address.
struct SignInThrottleMiddleware: RouterMiddleware {
    typealias Context = NoroshiRequestContext

    final class Failures: Sendable {
        let limit: Int
        let window: TimeInterval
        private let state = Mutex<[String: [Date]]>([:])

        init(limit: Int, window: TimeInterval = 60) {
            self.limit = limit
            self.window = window
        }

        /// Seconds until `address` may try again, or nil when it may now.
        func wait(for address: String, at now: Date) -> Int? {
            state.withLock { state in
                let recent = (state[address] ?? []).filter { now.timeIntervalSince($0) < window }
                state[address] = recent.isEmpty ? nil : recent
                guard recent.count >= limit, let oldest = recent.first else { return nil }
                return max(1, Int((window - now.timeIntervalSince(oldest)).rounded(.up)))
            }
        }

        func record(_ address: String, at now: Date) {
            state.withLock { state in
                var recent = (state[address] ?? []).filter { now.timeIntervalSince($0) < window }
                recent.append(now)
                state[address] = Array(recent.suffix(limit))
                // Forget quiet addresses now and then, so that a scan from many addresses cannot grow this.
                if state.count > 10_000 {
                    state = state.filter { $0.value.contains { now.timeIntervalSince($0) < window } }
                }
            }
        }
    }

    let failures: Failures

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        let address = context.remoteAddress ?? "unknown"
        let credentials =
            request.headers[.authorization] != nil || (request.method == .post && request.uri.path == "/login")
        if credentials, let seconds = failures.wait(for: address, at: Date()) {
            context.logger.warning(
                "Sign-in refused: too many failures",
                metadata: ["http.client": "\(address)", "retry.in": "\(seconds) s"])
            var response = ErrorMiddleware<Context>.response(
                for: NoroshiError(
                    .tooManyRequests,
                    "Too many failed sign-ins from this address; try again in \(seconds) s."),
                context: context)
            response.headers[.retryAfter] = String(seconds)
            return response
        }
        let response = try await next(request, context)
        // Only a request that presented credentials failed to sign in: one without any (a monitor, a crawler, a
        // browser before its user signs in) gets its 401 but counts for nothing, or it could lock out everyone
        // behind the same address.
        if credentials, response.status == .unauthorized { failures.record(address, at: Date()) }
        return response
    }
}
