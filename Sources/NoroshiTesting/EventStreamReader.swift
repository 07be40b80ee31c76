import Foundation

/// Reads a Server-Sent Events stream over a plain socket, as an `EventSource` does: for tests of
/// `GET /v1/events` (the libcurl client waits for whole bodies).
public final class EventStreamReader: @unchecked Sendable {
    /// One event as received.
    public struct Event: Sendable, Hashable {
        public var id: String?
        public var type: String
        public var data: String
    }

    private let descriptor: Int32
    private var buffer = ""
    /// The status line and headers of the answer.
    public private(set) var head = ""
    /// Whether the server closed the connection.
    public private(set) var ended = false

    /// Connects to 127.0.0.1:`port` and sends `GET path` with `headers`.
    public init(port: Int, path: String = "/v1/events", headers: [(String, String)]) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(descriptor)
            throw CocoaError(.fileReadUnknown)
        }
        var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nAccept: text/event-stream\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        request += "\r\n"
        _ = request.withCString { send(descriptor, $0, strlen($0), 0) }
    }

    deinit { close(descriptor) }

    /// Hangs up, as a client on a cut link does.
    public func cut() { shutdown(descriptor, Int32(SHUT_RDWR)) }

    /// Waits (up to `seconds`) for the answer's status line and headers; returns whether they came.
    public func waitForHead(seconds: Double = 5) async -> Bool {
        await offThePool { [self] in
            let deadline = Date().addingTimeInterval(seconds)
            while head.isEmpty, Date() < deadline { _ = readEvents(0, within: 0.1) }
            return !head.isEmpty
        }
    }

    /// Reads until `count` events arrived or `seconds` passed; returns the events read (comments skipped).
    /// The blocking reads run on a thread of their own, never on the cooperative pool that the in-process
    /// daemon needs.
    public func events(_ count: Int, within seconds: Double) async -> [Event] {
        await offThePool { [self] in readEvents(count, within: seconds) }
    }

    /// Reads what arrives within `seconds`, blocking the calling thread (for a thread of the caller's own).
    public func blockingEvents(within seconds: Double) -> [Event] { readEvents(1, within: seconds) }

    private func offThePool<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: body()) }.start()
        }
    }

    private func readEvents(_ count: Int, within seconds: Double) -> [Event] {
        var found: [Event] = []
        let deadline = Date().addingTimeInterval(seconds)
        repeat {
            found += parseAvailable()
            if count > 0, found.count >= count { break }
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let wait = Int32(max(1, deadline.timeIntervalSinceNow * 1000))
            guard poll(&poller, 1, min(wait, 200)) >= 0 else { break }
            if poller.revents & Int16(POLLIN) != 0 {
                var bytes = [UInt8](repeating: 0, count: 65_536)
                let n = recv(descriptor, &bytes, bytes.count, 0)
                if n <= 0 {
                    ended = true
                    break
                }
                buffer += String(decoding: bytes[0..<n], as: UTF8.self)
            }
        } while found.count < count && Date() < deadline
        return found + parseAvailable()
    }

    private func parseAvailable() -> [Event] {
        if head.isEmpty, let end = buffer.range(of: "\r\n\r\n") {
            head = String(buffer[..<end.lowerBound])
            buffer = String(buffer[end.upperBound...])
        }
        guard !head.isEmpty else { return [] }
        // Chunked transfer: drop the chunk-size lines, keep the payload.
        var events: [Event] = []
        while let end = buffer.range(of: "\n\n") {
            let block = String(buffer[..<end.lowerBound])
            buffer = String(buffer[end.upperBound...])
            var event = Event(id: nil, type: "message", data: "")
            var hasField = false
            // "\r\n" is one Character in Swift, so drop the chunked framing's carriage returns before splitting.
            for line in block.replacingOccurrences(of: "\r", with: "").split(separator: "\n") {
                if line.hasPrefix("id: ") {
                    event.id = String(line.dropFirst(4))
                    hasField = true
                }
                if line.hasPrefix("event: ") {
                    event.type = String(line.dropFirst(7))
                    hasField = true
                }
                if line.hasPrefix("data: ") {
                    event.data = String(line.dropFirst(6))
                    hasField = true
                }
            }
            if hasField, event.id != nil { events.append(event) }
        }
        return events
    }
}
