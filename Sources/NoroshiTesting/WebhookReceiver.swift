import Foundation
import NoroshiLoopback
import Synchronization

/// A chat server stand-in on loopback for the webhook connectors: it records every request and answers as
/// scripted — 200 by default, or a list of answers for the next requests (500, 429 with Retry-After, a slow
/// answer, a closed connection).
public final class WebhookReceiver: Sendable {
    public typealias Action = LoopbackHTTPServer.Action

    private struct State {
        var requests: [LoopbackHTTPServer.Request] = []
        var script: [Action] = []
        var otherwise: Action = .respond(status: 200, body: Data("ok".utf8))
    }

    private let state: Box
    public let server: LoopbackHTTPServer

    public init() throws {
        let state = Box()
        self.state = state
        self.server = try LoopbackHTTPServer { request in
            state.value.withLock { state in
                state.requests.append(request)
                return state.script.isEmpty ? state.otherwise : state.script.removeFirst()
            }
        }
    }

    /// The URL to configure, e.g. `http://127.0.0.1:41234/hook`.
    public func url(_ path: String = "/hook") -> String { server.url(path) }

    /// Answers the next requests with these actions, in order, then goes back to the default answer.
    public func script(_ actions: [Action]) {
        state.value.withLock { $0.script.append(contentsOf: actions) }
    }

    /// The answer once the script is used up.
    public func otherwise(_ action: Action) {
        state.value.withLock { $0.otherwise = action }
    }

    /// Every request so far, in order of arrival.
    public var requests: [LoopbackHTTPServer.Request] { state.value.withLock { $0.requests } }

    private final class Box: Sendable {
        let value = Mutex(State())
    }
}
