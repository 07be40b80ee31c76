import Foundation
import NoroshiCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A small HTTP/1.1 server on 127.0.0.1 for tests and benchmarks: it reads each request whole, asks a handler
/// what to do, and can answer, answer late, or hang up without answering — the failures a chat server shows.
///
/// One thread accepts; each connection gets a thread and stays open for further requests (keep-alive) until the
/// client closes it, sends `Connection: close`, or an action hangs up.
///
/// ```swift
/// let server = try LoopbackHTTPServer { request in .respond(status: 200, body: Data("ok".utf8)) }
/// defer { server.stop() }
/// // POST to server.url("/hook")
/// ```
public final class LoopbackHTTPServer: Sendable {
    /// One request as it arrived.
    public struct Request: Sendable {
        public var method: String
        /// The request target as sent: a path, or an absolute URL when the client used this server as a proxy.
        public var target: String
        /// Header names in lower case.
        public var headers: [String: String]
        public var body: Data
        public var receivedAt: Date
        /// Which connection brought it: 1 for the server's first, counting up; equal numbers mean keep-alive.
        public var connection: Int
    }

    /// What to do with a request.
    public indirect enum Action: Sendable {
        case respond(status: Int, headers: [(String, String)] = [], body: Data = Data())
        /// Close the connection without a word.
        case close
        /// Wait, then do the next thing.
        case delay(Duration, then: Action)
        /// Wait until the gate opens, then do the next thing.
        case hold(Gate, then: Action)
        /// Do the thing, then close the connection without saying so first (as a server's idle timeout does).
        case hangUpAfter(Action)
    }

    /// Holds answers back until a test opens it.
    public final class Gate: Sendable {
        private let isOpen = Mutex(false)

        public init() {}

        public func open() { isOpen.withLock { $0 = true } }

        func wait() {
            while !isOpen.withLock({ $0 }) { Thread.sleep(forTimeInterval: 0.005) }
        }
    }

    public let port: Int
    private let listener: Int32
    private let stopped = Flag()

    /// Starts listening on a free port of 127.0.0.1; `handler` runs on the connection's thread.
    public init(handler: @escaping @Sendable (Request) -> Action) throws {
        let (fd, port) = try LoopbackSocket.listen()
        self.port = port
        self.listener = fd
        let thread = Thread { [stopped] in
            var accepted = 0
            while true {
                let connection = accept(fd, nil, nil)
                if stopped.value.withLock({ $0 }) {
                    if connection >= 0 { close(connection) }
                    return
                }
                guard connection >= 0 else {
                    if errno == EINTR || errno == ECONNABORTED { continue }
                    return
                }
                accepted += 1
                let number = accepted
                let worker = Thread { Self.serve(connection, number: number, handler: handler) }
                worker.start()
            }
        }
        thread.start()
    }

    deinit { stop() }

    /// `http://127.0.0.1:<port><path>`.
    public func url(_ path: String = "/") -> String { "http://127.0.0.1:\(port)\(path)" }

    /// Stops accepting; connections already open finish.
    public func stop() {
        let first = stopped.value.withLock { stopped in
            defer { stopped = true }
            return !stopped
        }
        guard first else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private static func serve(_ fd: Int32, number: Int, handler: @Sendable (Request) -> Action) {
        defer { close(fd) }
        var buffer = Data()
        // Keep-alive: answer requests on the connection until the client hangs up or asks to close.
        while let request = read(fd, connection: number, buffer: &buffer) {
            var action = handler(request)
            var hangUp = false
            while true {
                if case .hangUpAfter(let next) = action {
                    hangUp = true
                    action = next
                } else if case .delay(let duration, let next) = action {
                    Thread.sleep(forTimeInterval: duration.timeInterval)
                    action = next
                } else if case .hold(let gate, let next) = action {
                    gate.wait()
                    action = next
                } else {
                    break
                }
            }
            guard case .respond(let status, let headers, let body) = action else { return }
            let keepAlive = request.headers["connection"]?.lowercased() != "close"
            var head = "HTTP/1.1 \(status) \(status < 400 ? "OK" : "Error")\r\n"
            for (name, value) in headers { head += "\(name): \(value)\r\n" }
            head += "Content-Length: \(body.count)\r\n\(keepAlive ? "" : "Connection: close\r\n")\r\n"
            var bytes = Data(head.utf8)
            bytes.append(body)
            let sent = bytes.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let n = send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                    if n <= 0 { return false }
                    offset += n
                }
                return true
            }
            guard sent, keepAlive, !hangUp else { return }
        }
    }

    /// Reads the next request's head and Content-Length body, starting with what `buffer` holds and leaving
    /// in it whatever follows; nil when the client hangs up.
    private static func read(_ fd: Int32, connection: Int, buffer: inout Data) -> Request? {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let separator = Data("\r\n\r\n".utf8)
        var headEnd = buffer.range(of: separator)
        while headEnd == nil {
            let n = recv(fd, &chunk, chunk.count, 0)
            if n <= 0 { return nil }
            buffer.append(contentsOf: chunk[0..<n])
            headEnd = buffer.range(of: separator)
        }
        guard let headEnd else { return nil }
        let head = String(decoding: buffer[..<headEnd.lowerBound], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ")
        guard requestLine.count >= 2 else { return nil }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(
                in: .whitespaces)
        }
        let length = headers["content-length"].flatMap { Int($0) } ?? 0
        while buffer.count - headEnd.upperBound < length {
            let n = recv(fd, &chunk, chunk.count, 0)
            if n <= 0 { return nil }
            buffer.append(contentsOf: chunk[0..<n])
        }
        let bodyEnd = headEnd.upperBound + length
        let body = Data(buffer[headEnd.upperBound..<bodyEnd])
        buffer = Data(buffer[bodyEnd...])
        return Request(
            method: String(requestLine[0]), target: String(requestLine[1]), headers: headers, body: body,
            receivedAt: Date(), connection: connection)
    }
}

/// A flag shared between the server and its accept thread.
private final class Flag: Sendable {
    let value = Mutex(false)
}

/// A listening TCP socket on a free port of 127.0.0.1.
public enum LoopbackSocket {
    /// Opens, binds and listens; returns the descriptor and the port the kernel chose.
    public static func listen(backlog: Int32 = 512) throws -> (descriptor: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, Glibc.listen(fd, backlog) == 0 else {
            close(fd)
            throw POSIXError(.init(rawValue: errno) ?? .EIO)
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }

    /// Connects to a port of 127.0.0.1; returns the descriptor.
    public static func connect(port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            let code = errno
            close(fd)
            throw POSIXError(.init(rawValue: code) ?? .ECONNREFUSED)
        }
        return fd
    }
}
