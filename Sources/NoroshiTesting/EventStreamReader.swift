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
    /// Bytes received and not parsed yet, carriage returns removed once the head is read.
    private var buffer: [UInt8] = []
    /// The status line and headers of the answer.
    public private(set) var head = ""
    /// Whether the server closed the connection.
    public private(set) var ended = false
    /// Whether the server ended the response (its chunked body's last, empty chunk arrived), the connection
    /// open or not.
    public private(set) var responseEnded = false
    /// The last bytes received, as they came, to find the last chunk across two reads.
    private var rawTail: [UInt8] = []

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

    /// Who still holds the server's end of this connection, for a failure message: the processes (pid and
    /// command) with the server-side socket open, from /proc/net/tcp and /proc/*/fd, and its TCP state.
    public func serverSideHolders() -> String {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        let localPort = Int(UInt16(bigEndian: address.sin_port))
        guard let table = try? String(contentsOfFile: "/proc/net/tcp", encoding: .utf8) else {
            return "no /proc/net/tcp"
        }
        // The server's side has our port as its remote port.
        var found: [String] = []
        for line in table.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ")
            guard fields.count > 9,
                let remotePort = fields[2].split(separator: ":").last.flatMap({ Int($0, radix: 16) }),
                remotePort == localPort
            else { continue }
            let inode = String(fields[9])
            let state = String(fields[3])
            var holders: [String] = []
            for pid in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] where Int(pid) != nil {
                let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []
                for fd in fds {
                    let target =
                        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(fd)")) ?? ""
                    if target == "socket:[\(inode)]" {
                        let command =
                            (try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8))?
                            .replacingOccurrences(of: "\u{0}", with: " ").prefix(120) ?? ""
                        holders.append("pid \(pid) fd \(fd) (\(command))")
                    }
                }
            }
            found.append("server side inode \(inode) state \(state) held by \(holders.isEmpty ? ["nobody"] : holders)")
        }
        return found.isEmpty ? "no server-side socket for port \(localPort)" : found.joined(separator: "; ")
    }

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
                rawTail = Array((rawTail + bytes[0..<n]).suffix(4096))
                if Self.find(Array("\r\n0\r\n\r\n".utf8), in: rawTail, from: 0) != nil { responseEnded = true }
                if head.isEmpty {
                    buffer += bytes[0..<n]
                } else {
                    buffer += bytes[0..<n].lazy.filter { $0 != 13 }
                }
            }
        } while found.count < count && Date() < deadline
        return found + parseAvailable()
    }

    private func parseAvailable() -> [Event] {
        if head.isEmpty {
            guard let end = Self.find([13, 10, 13, 10], in: buffer, from: 0) else { return [] }
            head = String(decoding: buffer[..<end], as: UTF8.self)
            buffer = Array(buffer[(end + 4)...].lazy.filter { $0 != 13 })
        }
        // The chunked framing's size lines become lines without a field, which are skipped.
        var events: [Event] = []
        var start = 0
        while let end = Self.find([10, 10], in: buffer, from: start) {
            let block = String(decoding: buffer[start..<end], as: UTF8.self)
            start = end + 2
            var event = Event(id: nil, type: "message", data: "")
            for line in block.split(separator: "\n") {
                if line.hasPrefix("id: ") { event.id = String(line.dropFirst(4)) }
                if line.hasPrefix("event: ") { event.type = String(line.dropFirst(7)) }
                if line.hasPrefix("data: ") { event.data = String(line.dropFirst(6)) }
            }
            if event.id != nil { events.append(event) }
        }
        if start > 0 { buffer.removeFirst(start) }
        return events
    }

    private static func find(_ pattern: [UInt8], in bytes: [UInt8], from start: Int) -> Int? {
        guard bytes.count >= pattern.count, start <= bytes.count - pattern.count else { return nil }
        for index in start...(bytes.count - pattern.count) where bytes[index] == pattern[0] {
            if bytes[index..<(index + pattern.count)].elementsEqual(pattern) { return index }
        }
        return nil
    }
}
