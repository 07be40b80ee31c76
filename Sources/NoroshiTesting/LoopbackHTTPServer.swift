import Foundation
import NoroshiCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A small HTTP/1.1 server on 127.0.0.1 for tests and benchmarks: it reads each request whole, asks a handler
/// what to do, and can answer, answer late, or hang up without answering — the failures a chat server shows.
///
/// One thread accepts; each connection gets a thread and is closed after one exchange (`Connection: close`).
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
        guard bound == 0, listen(fd, 512) == 0 else {
            close(fd)
            throw POSIXError(.init(rawValue: errno) ?? .EIO)
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.port = Int(UInt16(bigEndian: address.sin_port))
        self.listener = fd
        let thread = Thread { [stopped] in
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
                let worker = Thread { Self.serve(connection, handler: handler) }
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

    private static func serve(_ fd: Int32, handler: @Sendable (Request) -> Action) {
        defer { close(fd) }
        guard let request = read(fd) else { return }
        var action = handler(request)
        while true {
            if case .delay(let duration, let next) = action {
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
        var head = "HTTP/1.1 \(status) \(status < 400 ? "OK" : "Error")\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "Content-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        var bytes = Data(head.utf8)
        bytes.append(body)
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if n <= 0 { return }
                offset += n
            }
        }
    }

    /// Reads the head and a Content-Length body; nil when the client hangs up early.
    private static func read(_ fd: Int32) -> Request? {
        var buffer = Data()
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let separator = Data("\r\n\r\n".utf8)
        var headEnd: Range<Data.Index>?
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
        var body = Data(buffer[headEnd.upperBound...])
        while body.count < length {
            let n = recv(fd, &chunk, min(chunk.count, length - body.count), 0)
            if n <= 0 { return nil }
            body.append(contentsOf: chunk[0..<n])
        }
        return Request(
            method: String(requestLine[0]), target: String(requestLine[1]), headers: headers, body: body,
            receivedAt: Date())
    }
}

/// A flag shared between the server and its accept thread.
private final class Flag: Sendable {
    let value = Mutex(false)
}
