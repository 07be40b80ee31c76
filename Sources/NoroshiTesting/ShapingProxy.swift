import Foundation
import NoroshiCore
import NoroshiLoopback
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A TCP proxy on 127.0.0.1 that makes a good link bad: one-way latency, a bandwidth cap, a cut after so many
/// bytes on a connection, a stall. This machine has no `netem`, so tests and benchmarks shape links here.
///
/// ```swift
/// let proxy = try ShapingProxy(upstreamPort: server.port, shape: .init(cutAfter: 400_000))
/// // point the client at proxy.port; read proxy.bytesUpstream afterwards
/// ```
///
/// The link is one for all connections, as a phone's radio is: each direction has one bandwidth, which the
/// connections share. Each direction of each connection has a reader thread and a writer thread. The reader
/// takes bytes from its socket only as fast as the link carries them (so the sender waits, as on a thin link),
/// and the writer delivers them `latency` later. What is in flight is what the link carries in one latency;
/// that, and no more, is what a cut loses.
public final class ShapingProxy: Sendable {
    /// How the link misbehaves; every limit is per direction unless said otherwise.
    public struct Shape: Sendable {
        /// Added to each direction, so a round trip gains twice this.
        public var latency: Duration
        /// The most bytes per second through each direction of the link, all connections together; nil for
        /// no cap.
        public var bytesPerSecond: Int?
        /// Hang up a connection (both ways, with a reset) once it has carried this many bytes from client to
        /// server.
        public var cutAfter: Int?
        /// Stop forwarding (and keep the connection open, silent) once a connection has carried this many
        /// bytes from client to server.
        public var stallAfter: Int?
        /// The link goes down for good once this many bytes have gone from clients to the server, on all
        /// connections together: open connections are cut and new ones hung up at once.
        public var downAfter: Int?

        public init(
            latency: Duration = .zero, bytesPerSecond: Int? = nil, cutAfter: Int? = nil, stallAfter: Int? = nil,
            downAfter: Int? = nil
        ) {
            self.latency = latency
            self.bytesPerSecond = bytesPerSecond
            self.cutAfter = cutAfter
            self.stallAfter = stallAfter
            self.downAfter = downAfter
        }
    }

    public let port: Int
    let upstreamPort: Int
    let listener: Int32
    let shape: Mutex<Shape>
    let counters = Mutex(Counters())
    let stopped = Mutex(false)
    /// The link's two directions: when each is free to carry the next bytes.
    let upLink = Link()
    let downLink = Link()

    struct Counters {
        var upstream = 0
        var downstream = 0
        var fromClients = 0
        var connections = 0
        var cuts = 0
    }

    public init(upstreamPort: Int, shape: Shape = Shape()) throws {
        let (fd, port) = try LoopbackSocket.listen()
        var size: Int32 = 16 * 1024  // inherited by accepted connections: a small receive window, as on a thin link
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        self.listener = fd
        self.port = port
        self.upstreamPort = upstreamPort
        self.shape = Mutex(shape)
        Thread { [self] in acceptLoop() }.start()
    }

    deinit { stop() }

    /// `http://127.0.0.1:<port>`.
    public var url: String { "http://127.0.0.1:\(port)" }

    /// Bytes forwarded from clients to the server so far.
    public var bytesUpstream: Int { counters.withLock { $0.upstream } }
    /// Bytes clients put on the link so far: those forwarded and those lost in flight when a connection was cut.
    public var bytesFromClients: Int { counters.withLock { $0.fromClients } }
    /// Bytes forwarded from the server to clients so far.
    public var bytesDownstream: Int { counters.withLock { $0.downstream } }
    /// Connections accepted so far.
    public var connections: Int { counters.withLock { $0.connections } }
    /// Connections this proxy hung up on (`cutAfter`).
    public var cuts: Int { counters.withLock { $0.cuts } }

    /// Changes the shape for connections opened from now on (a link that recovers, say).
    public func reshape(_ change: (inout Shape) -> Void) { shape.withLock { change(&$0) } }

    /// Stops accepting; open connections run on until either side closes.
    public func stop() {
        let first = stopped.withLock { stopped in
            defer { stopped = true }
            return !stopped
        }
        guard first else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if stopped.withLock({ $0 }) {
                if client >= 0 { close(client) }
                return
            }
            guard client >= 0 else {
                if errno == EINTR || errno == ECONNABORTED { continue }
                return
            }
            if let limit = shape.withLock({ $0.downAfter }), counters.withLock({ $0.upstream }) >= limit {
                close(client)
                continue
            }
            guard let server = try? LoopbackSocket.connect(port: upstreamPort) else {
                close(client)
                continue
            }
            counters.withLock { $0.connections += 1 }
            Connection(client: client, server: server, shape: shape.withLock { $0 }, proxy: self).start()
        }
    }

    /// One proxied connection: two directions, closed together.
    final class Connection: Sendable {
        let client: Int32
        let server: Int32
        let shape: Shape
        let proxy: ShapingProxy
        /// Client-to-server bytes forwarded on this connection.
        let carried = Mutex(0)
        let closed = Mutex(false)
        let open = Mutex(4)  // threads still running; the last one closes the sockets

        init(client: Int32, server: Int32, shape: Shape, proxy: ShapingProxy) {
            self.client = client
            self.server = server
            self.shape = shape
            self.proxy = proxy
        }

        func start() {
            // In flight per direction: what the link carries in one latency (the reader keeps to the link's rate),
            // or 16 KiB of buffer on a link without a cap.
            let perLatency = shape.bytesPerSecond.map { Int(Double($0) * shape.latency.timeInterval) } ?? 0
            let up = Pipe(capacity: 16 * 1024 + perLatency)
            let down = Pipe(capacity: 16 * 1024 + perLatency)
            var size: Int32 = 16 * 1024
            setsockopt(server, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
            Thread { [self] in read(from: client, into: up, fromClient: true) }.start()
            Thread { [self] in write(up, to: server, upstream: true) }.start()
            Thread { [self] in read(from: server, into: down, fromClient: false) }.start()
            Thread { [self] in write(down, to: client, upstream: false) }.start()
        }

        /// Hangs up both sides at once, with a reset (a dropped link that each side learns of at once, as a phone
        /// does when its radio loses the bearer; a silent link is `stallAfter`); the threads then end on their
        /// own, and the last closes the sockets. A FIN alone left a client with unsent bytes waiting for a
        /// window that never opened, up to a minute.
        func hangUp() {
            let first = closed.withLock { closed in
                defer { closed = true }
                return !closed
            }
            guard first else { return }
            var abort = linger(l_onoff: 1, l_linger: 0)
            for fd in [client, server] {
                setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort, socklen_t(MemoryLayout<linger>.size))
                shutdown(fd, Int32(SHUT_RDWR))
            }
        }

        func finished() {
            let last = open.withLock { count in
                count -= 1
                return count == 0
            }
            if last {
                close(client)
                close(server)
            }
        }

        /// Takes bytes from one side as the link carries them: a chunk (a twentieth of a second's worth at the
        /// cap) is read, counted, and waits its turn on the link; the next is read only once it is on its way.
        private func read(from fd: Int32, into pipe: Pipe, fromClient: Bool) {
            defer { finished() }
            let link = fromClient ? proxy.upLink : proxy.downLink
            let step = shape.bytesPerSecond.map { max(512, min(16 * 1024, $0 / 20)) } ?? 16 * 1024
            var buffer = [UInt8](repeating: 0, count: step)
            while true {
                let got = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if got < 0 && errno == EINTR { continue }
                guard got > 0 else {
                    pipe.put(nil)
                    return
                }
                if fromClient { proxy.counters.withLock { $0.fromClients += got } }
                let sent = shape.bytesPerSecond.map { link.carry(got, bytesPerSecond: $0) } ?? .now
                pipe.put((sent + shape.latency, Array(buffer[..<got])))
            }
        }

        private func write(_ pipe: Pipe, to fd: Int32, upstream: Bool) {
            defer { finished() }
            // Once this writer stops (a cut, a stall, a side gone), what its reader still takes goes nowhere. A
            // reader left waiting for room in the pipe would never end, the sockets would never close, and the
            // client would wait for its stall timeout instead of seeing the link drop.
            defer { pipe.abandon() }
            while let (due, chunk) = pipe.take() {
                let wait = due - ContinuousClock.now
                if wait > .zero { Thread.sleep(forTimeInterval: wait.timeInterval) }
                var piece = chunk[...]
                if upstream {
                    let (allowed, cut, stall) = carried.withLock { carried -> (Int, Bool, Bool) in
                        var allowed = piece.count
                        var cut = false
                        var stall = false
                        if let limit = shape.cutAfter, carried + allowed >= limit {
                            allowed = max(0, limit - carried)
                            cut = true
                        }
                        if let limit = shape.stallAfter, carried + allowed >= limit {
                            allowed = max(0, limit - carried)
                            stall = true
                        }
                        if let limit = shape.downAfter {
                            let total = proxy.counters.withLock { $0.upstream }
                            if total + allowed >= limit {
                                allowed = max(0, limit - total)
                                cut = true
                            }
                        }
                        carried += allowed
                        return (allowed, cut, stall)
                    }
                    piece = piece.prefix(allowed)
                    if !send(piece, to: fd, upstream: true) { break }
                    if cut {
                        proxy.counters.withLock { $0.cuts += 1 }
                        hangUp()
                        break
                    }
                    if stall {
                        // Silent from now on: the connection stays open until a side gives up.
                        break
                    }
                } else if !send(piece, to: fd, upstream: false) {
                    break
                }
            }
            if !closed.withLock({ $0 }) { shutdown(fd, Int32(SHUT_WR)) }
        }

        /// Sends a piece whole; false when the other side is gone.
        private func send(_ piece: ArraySlice<UInt8>, to fd: Int32, upstream: Bool) -> Bool {
            var rest = piece
            while !rest.isEmpty {
                let sent = rest.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if sent < 0 && errno == EINTR { continue }
                guard sent > 0 else { return false }
                proxy.counters.withLock { counters in
                    if upstream { counters.upstream += sent } else { counters.downstream += sent }
                }
                rest = rest.dropFirst(sent)
            }
            return true
        }
    }

    /// One direction of the link: the moment it is free to carry more. Connections take turns on it.
    final class Link: Sendable {
        private let freeAt = Mutex(ContinuousClock.now)

        /// Puts `bytes` on the link after whatever is already on it, waits until the last of them has left, and
        /// returns that moment.
        func carry(_ bytes: Int, bytesPerSecond: Int) -> ContinuousClock.Instant {
            let done = freeAt.withLock { freeAt in
                freeAt = max(freeAt, .now) + .seconds(Double(bytes) / Double(bytesPerSecond))
                return freeAt
            }
            let wait = done - .now
            if wait > .zero { Thread.sleep(forTimeInterval: wait.timeInterval) }
            return done
        }
    }

    /// What one direction's reader hands its writer: chunks with the time they may go, then nil for the end.
    /// It holds at most `capacity` bytes, so that a reader stops taking bytes the link has not carried yet, as
    /// a real link's limited buffers make a sender wait: what a cut loses is what was in flight, not the file.
    final class Pipe: @unchecked Sendable {
        private let condition = NSCondition()
        private var chunks: [(ContinuousClock.Instant, [UInt8])] = []
        private var buffered = 0
        private var ended = false
        private var abandoned = false
        let capacity: Int

        init(capacity: Int) { self.capacity = capacity }

        func put(_ item: (ContinuousClock.Instant, [UInt8])?) {
            condition.lock()
            defer { condition.unlock() }
            if let item {
                while buffered > 0 && buffered + item.1.count > capacity && !ended && !abandoned { condition.wait() }
                guard !abandoned else { return }
                chunks.append(item)
                buffered += item.1.count
            } else {
                ended = true
            }
            condition.broadcast()
        }

        /// The writer has stopped: drop what is held and whatever comes.
        func abandon() {
            condition.lock()
            defer { condition.unlock() }
            abandoned = true
            chunks.removeAll()
            buffered = 0
            condition.broadcast()
        }

        func take() -> (ContinuousClock.Instant, [UInt8])? {
            condition.lock()
            defer { condition.unlock() }
            while chunks.isEmpty && !ended { condition.wait() }
            guard !chunks.isEmpty else { return nil }
            let item = chunks.removeFirst()
            buffered -= item.1.count
            condition.broadcast()
            return item
        }
    }
}
