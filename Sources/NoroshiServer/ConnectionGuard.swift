import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NoroshiClient
import NoroshiCore
import Synchronization

/// How long a connection may keep the server waiting, and how many one address may hold (`http.*_seconds`,
/// `http.max_connections_per_address`).
///
/// Without these, half-sent headers, an idle keep-alive connection and a stalled body each held a connection
/// open for ever (an outside probe held hundreds with a slowloris client). Each timeout measures the client's
/// *silence*, not the length of its request, so a field laptop on a 256 kbit/s link that keeps sending passes:
/// 1 KB of headers takes it 0.03 s, and a photo's bytes arrive every few milliseconds.
public struct ConnectionLimits: Sendable, Hashable {
    /// From the first byte of a request to the end of its headers.
    public var headerTimeout: Duration = .seconds(30)
    /// A kept-alive connection with no request in progress (browsers reconnect at once).
    public var idleTimeout: Duration = .seconds(75)
    /// The longest pause between two pieces of a request's body.
    public var bodyTimeout: Duration = .seconds(60)
    /// Open connections from one IP address; browsers open at most six to a server, so 512 is some 80
    /// browsers behind one office's NAT address.
    public var maxConnectionsPerAddress = 512

    public init() {}
}

/// The open connections per remote address, shared by every connection of one server.
final class ConnectionCounter: Sendable {
    private let counts = Mutex<[String: Int]>([:])

    /// Takes a place for `address`; false (and nothing taken) when it already holds `limit`.
    func take(_ address: String, limit: Int) -> Bool {
        counts.withLock { counts in
            let held = counts[address, default: 0]
            guard held < limit else { return false }
            counts[address] = held + 1
            return true
        }
    }

    func release(_ address: String) {
        counts.withLock { counts in
            let held = counts[address, default: 1] - 1
            counts[address] = held > 0 ? held : nil
        }
    }
}

/// Hummingbird's HTTP/1.1 child channel with ``ConnectionLimits`` enforced, and malformed requests answered
/// with the error envelope instead of an empty 400.
struct GuardedHTTP1Channel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value

    let inner: HTTP1Channel
    let limits: ConnectionLimits
    let counter: ConnectionCounter

    /// The server builder to give `Application`.
    static func builder(limits: ConnectionLimits, configuration: HTTP1Channel.Configuration) -> HTTPServerBuilder {
        let counter = ConnectionCounter()
        return HTTPServerBuilder { responder in
            var configuration = configuration
            let previous = configuration.additionalChannelHandlers
            configuration.additionalChannelHandlers = { previous() + [HTTPPhaseHandler()] }
            return GuardedHTTP1Channel(
                inner: HTTP1Channel(responder: responder, configuration: configuration), limits: limits,
                counter: counter)
        }
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            // Before HTTP decoding: it sees the bytes as they arrive. After TLS when there is TLS (the TLS channel
            // adds its handler before this setup runs), so that its own answers are encrypted too.
            try channel.pipeline.syncOperations.addHandler(
                ConnectionWatchHandler(limits: limits, counter: counter, logger: logger), position: .last)
        }.flatMap { inner.setup(channel: channel, logger: logger) }
    }

    func handle(value: Value, logger: Logger) async {
        await inner.handle(value: value, logger: logger)
    }
}

/// Raw bytes in (so that half-sent headers count as a request begun), the timers, and answers written below
/// the HTTP encoder: 408 for headers that never end, 400 with the error envelope for malformed HTTP, 503 for
/// one address too many.
///
/// Silence is the client's only while the server asks for bytes: a body the server itself stops reading (its
/// consumer is behind, so backpressure holds the socket's reads) is not the client's stall. And a timer that
/// fires late (the event loop was held up) looks once more after the bytes already waiting have been read.
final class ConnectionWatchHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Where the connection is, as the HTTP side reports it.
    enum Phase {
        /// No request in progress: idle since `since`, or, once `firstByte` is set, reading a request's headers.
        case waiting(since: NIODeadline, firstByte: NIODeadline?)
        /// The request's headers are in and its body is coming.
        case readingBody
        /// The request is in; the answer is being written (an event stream may take hours).
        case answering
    }

    let limits: ConnectionLimits
    let counter: ConnectionCounter
    let logger: Logger
    private var phase = Phase.waiting(since: .now(), firstByte: nil)
    private var lastByte = NIODeadline.now()
    /// When the server last asked for bytes, while no byte has come since (nil: it is not asking).
    private var askedSince: NIODeadline?
    /// When the running timer should fire.
    private var timerDue: NIODeadline?
    private var address: String?
    private var timer: Scheduled<Void>?
    private var context: ChannelHandlerContext?
    private var closing = false

    init(limits: ConnectionLimits, counter: ConnectionCounter, logger: Logger) {
        self.limits = limits
        self.counter = counter
        self.logger = logger
    }

    /// The handler of `channel`'s pipeline, for the HTTP side to report to (both run on its event loop).
    static func of(_ context: ChannelHandlerContext) -> ConnectionWatchHandler? {
        try? context.pipeline.syncOperations.handler(type: ConnectionWatchHandler.self)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { start(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context)
        context.fireChannelActive()
    }

    private func start(_ context: ChannelHandlerContext) {
        guard address == nil, !closing else { return }
        let remote = context.channel.remoteAddress?.ipAddress ?? "unknown"
        guard counter.take(remote, limit: limits.maxConnectionsPerAddress) else {
            logger.warning(
                "Connection refused: too many from one address",
                metadata: ["http.client": "\(remote)", "http.limit": "\(limits.maxConnectionsPerAddress)"])
            refuse(
                status: .serviceUnavailable, code: .unavailable,
                "Too many connections from this address (at most \(limits.maxConnectionsPerAddress)); close some and "
                    + "try again.")
            return
        }
        address = remote
        phase = .waiting(since: .now(), firstByte: nil)
        schedule(after: Self.amount(limits.idleTimeout))
    }

    func channelInactive(context: ChannelHandlerContext) {
        stopWatching()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stopWatching()
        self.context = nil
    }

    /// Stops the timer and gives the address its place back (once, whichever of the two comes first).
    private func stopWatching() {
        cancelTimer()
        if let address { counter.release(address) }
        address = nil
    }

    private func cancelTimer() {
        timer?.cancel()
        timer = nil
    }

    func read(context: ChannelHandlerContext) {
        if askedSince == nil { askedSince = .now() }
        context.read()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        lastByte = .now()
        askedSince = nil
        if case .waiting(let since, nil) = phase { phase = .waiting(since: since, firstByte: lastByte) }
        context.fireChannelRead(data)
    }

    // MARK: What the HTTP side reports

    func requestHeadArrived() { phase = .readingBody }
    func requestEnded() { if case .readingBody = phase { phase = .answering } }
    func responseEnded() {
        // A response sent before its request's body ended (a 413, say) ends the exchange too: the connection
        // closes after such an answer, and the body's remainder is not waited for.
        phase = .waiting(since: .now(), firstByte: nil)
    }

    /// Answers a request that is not valid HTTP/1.1 with 400 and the error envelope, then closes; when an
    /// answer is already under way, only closes.
    func malformed(_ error: HTTPParserError) {
        if case .answering = phase {
            close()
            return
        }
        logger.debug("Malformed request", metadata: ["error": "\(error)"])
        refuse(status: .badRequest, code: .malformed, Self.message(for: error))
    }

    static func message(for error: HTTPParserError) -> String {
        switch error {
        case .headerOverflow:
            "The request's headers are too large (at most 80 KB in all)."
        case .unexpectedContentLength, .invalidContentLength:
            "The request's Content-Length is invalid or given more than once."
        case .invalidMethod:
            "The request line does not start with an HTTP method."
        case .invalidURL:
            "The request line's target is not a valid path."
        case .invalidVersion:
            "The request is not HTTP/1.1."
        case .invalidChunkSize:
            "The request's chunked body is malformed."
        case .invalidHeaderToken, .invalidCharactersUsed, .lfExpected:
            "The request's headers are malformed."
        default:
            "The request is not valid HTTP/1.1 (\(error))."
        }
    }

    // MARK: Timers

    private func schedule(after delay: TimeAmount) {
        guard let context, !closing else { return }
        cancelTimer()
        let delay = max(.milliseconds(1), delay)
        timerDue = .now() + delay
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: delay) { [self] in
            timer = nil
            // Fired over half a second late: the loop was held up, and bytes that came meanwhile may not have
            // been read yet. Look again once they have.
            if let due = timerDue, NIODeadline.now() - due > .milliseconds(500) {
                timerDue = nil
                schedule(after: .milliseconds(50))
                return
            }
            check()
        }
    }

    /// Acts on the deadline of the phase the connection is in, or looks again when it comes.
    private func check() {
        let deadline: NIODeadline
        let expire: () -> Void
        switch phase {
        case .waiting(let since, nil):
            deadline = since + Self.amount(limits.idleTimeout)
            expire = { [self] in
                logger.debug("Idle connection closed")
                close()
            }
        case .waiting(_, let firstByte?):
            deadline = firstByte + Self.amount(limits.headerTimeout)
            expire = { [self] in
                logger.info("Request headers not finished in time; connection closed")
                refuse(
                    status: .requestTimeout, code: .malformed,
                    "The request's headers did not arrive within \(Self.seconds(limits.headerTimeout)) s.")
            }
        case .readingBody:
            guard let asked = askedSince else {
                // The server is not reading (backpressure): the client is not the one waited for.
                schedule(after: Self.amount(limits.bodyTimeout))
                return
            }
            deadline = max(lastByte, asked) + Self.amount(limits.bodyTimeout)
            expire = { [self] in
                logger.info("Request body stalled; connection closed")
                close()
            }
        case .answering:
            // The server's turn: look again later, when a new request may have begun.
            schedule(after: Self.amount(min(limits.headerTimeout, limits.bodyTimeout, limits.idleTimeout)))
            return
        }
        let now = NIODeadline.now()
        if now >= deadline { expire() } else { schedule(after: deadline - now) }
    }

    // MARK: Answers written below HTTP

    /// Writes a complete answer with the error envelope straight to the socket and closes the connection.
    private func refuse(status: HTTPTypes.HTTPResponse.Status, code: NoroshiError.Code, _ message: String) {
        guard let context, !closing else { return }
        let body =
            (try? JSONEncoder.noroshi().encode(ErrorBody(error: .init(code: code.rawValue, message: message))))
            ?? Data()
        var head = "HTTP/1.1 \(status.code) \(status.reasonPhrase)\r\n"
        head += "Content-Type: application/json; charset=utf-8\r\nContent-Length: \(body.count)\r\n"
        head += "Connection: close\r\nServer: noroshi\r\n\r\n"
        var buffer = context.channel.allocator.buffer(capacity: head.utf8.count + body.count)
        buffer.writeString(head)
        buffer.writeBytes(body)
        closing = true
        cancelTimer()
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(buffer)).whenComplete { _ in channel.close(promise: nil) }
    }

    private func close() {
        guard let context, !closing else { return }
        closing = true
        cancelTimer()
        context.close(promise: nil)
    }

    private static func amount(_ duration: Duration) -> TimeAmount {
        .nanoseconds(
            Int64(duration.components.seconds) * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }

    private static func seconds(_ duration: Duration) -> String {
        let value = Double(amount(duration).nanoseconds) / 1e9
        return value == value.rounded() ? String(Int(value)) : String(value)
    }
}

/// After HTTP decoding: tells the ``ConnectionWatchHandler`` where each exchange is, and turns a parser error
/// into the envelope answer instead of Hummingbird's empty 400.
final class HTTPPhaseHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private var watch: ConnectionWatchHandler?

    func handlerAdded(context: ChannelHandlerContext) {
        watch = ConnectionWatchHandler.of(context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: watch?.requestHeadArrived()
        case .body: break
        case .end: watch?.requestEnded()
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { watch?.responseEnded() }
        context.write(data, promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let parserError = error as? HTTPParserError, let watch {
            watch.malformed(parserError)
            return
        }
        context.fireErrorCaught(error)
    }
}
