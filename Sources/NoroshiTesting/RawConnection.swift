import Foundation
import NoroshiLoopback

#if canImport(Glibc)
    import Glibc
#endif

/// A client on a bare TCP socket to 127.0.0.1, for what an HTTP library will not send: half-sent headers, a
/// body that stops, a request line of garbage, two Content-Lengths.
///
/// ```swift
/// let connection = try RawConnection(port: server.port)
/// connection.send("POST /v1/reports HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty")
/// let (answer, closed) = await connection.readUntilClosed(within: 20)
/// ```
public final class RawConnection: @unchecked Sendable {
    private let descriptor: Int32

    public init(port: Int) throws {
        descriptor = try LoopbackSocket.connect(port: port)
    }

    deinit { Glibc.close(descriptor) }

    /// Connects to `port`, sends `request` (as much as the server takes) and reads until the server closes the
    /// connection or 30 s pass; returns what arrived and whether the server closed.
    public static func exchange(port: Int, _ request: String) async throws -> (text: String, closed: Bool) {
        let connection = try RawConnection(port: port)
        connection.send(request)
        return await connection.readUntilClosed(within: 30)
    }

    /// Sends `text`; false when the server has closed the connection (no SIGPIPE).
    @discardableResult
    public func send(_ text: String) -> Bool { send(Data(text.utf8)) }

    /// Sends `bytes`, all of them unless the server closes the connection first (then false).
    @discardableResult
    public func send(_ bytes: Data) -> Bool {
        var rest = bytes[...]
        while !rest.isEmpty {
            let sent = rest.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent < 0 && errno == EINTR { continue }
            guard sent > 0 else { return false }
            rest = rest.dropFirst(sent)
        }
        return true
    }

    /// Hangs up, as a client that goes away does.
    public func close() { shutdown(descriptor, Int32(SHUT_RDWR)) }

    /// Reads until the server closes the connection or `seconds` pass (a guard against a hang, not a
    /// measurement); returns what arrived and whether the server closed. Runs on a thread of its own, off the
    /// cooperative pool that an in-process daemon needs.
    public func readUntilClosed(within seconds: Double) async -> (text: String, closed: Bool) {
        await read(within: seconds) { _ in false }
    }

    /// Reads until `text` holds a complete answer whose body is `Content-Length` long (or the server closes, or
    /// `seconds` pass); returns what arrived and whether the server closed.
    public func readAnswer(within seconds: Double) async -> (text: String, closed: Bool) {
        await read(within: seconds) { bytes in
            let text = String(decoding: bytes, as: UTF8.self)
            guard let end = text.range(of: "\r\n\r\n") else { return false }
            let head = text[..<end.lowerBound].lowercased()
            guard let line = head.split(separator: "\r\n").first(where: { $0.hasPrefix("content-length:") }),
                let length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces))
            else { return true }
            return text.utf8.count - text[..<end.upperBound].utf8.count >= length
        }
    }

    private func read(within seconds: Double, done: @escaping @Sendable ([UInt8]) -> Bool) async -> (
        text: String, closed: Bool
    ) {
        await withCheckedContinuation { continuation in
            Thread { [self] in
                var received: [UInt8] = []
                var closed = false
                let deadline = Date().addingTimeInterval(seconds)
                while !closed, !done(received), Date() < deadline {
                    var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
                    let wait = Int32(max(1, min(200, deadline.timeIntervalSinceNow * 1000)))
                    let ready = poll(&poller, 1, wait)
                    if ready < 0 && errno == EINTR { continue }
                    guard ready > 0 else { continue }
                    var buffer = [UInt8](repeating: 0, count: 65_536)
                    let got = recv(descriptor, &buffer, buffer.count, 0)
                    if got < 0 && errno == EINTR { continue }
                    if got <= 0 {
                        closed = true
                    } else {
                        received += buffer[..<got]
                    }
                }
                continuation.resume(returning: (String(decoding: received, as: UTF8.self), closed))
            }.start()
        }
    }
}
