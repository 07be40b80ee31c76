import Foundation
import NoroshiCore

#if canImport(Glibc)
    import Glibc
#endif

/// Whether the daemon could listen where it is told, asked before it creates its data directory or opens its
/// database, so that a second `noroshi serve` on a busy port says so in one line and leaves nothing behind.
public enum PortCheck {
    /// Binds a socket to `host`:`port` as the HTTP server will (SO_REUSEADDR on), then lets it go; port 0
    /// always passes. Throws a ``NoroshiError`` naming the address and what to do.
    public static func ensureAvailable(host: String, port: Int) throws(NoroshiError) {
        guard port != 0 else { return }
        var hints = addrinfo()
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var found: UnsafeMutablePointer<addrinfo>?
        let resolved = getaddrinfo(host, String(port), &hints, &found)
        guard resolved == 0, let first = found else {
            throw NoroshiError(
                .invalidInput,
                "Cannot listen on \(host): \(String(cString: gai_strerror(resolved))); check --host or http.host.")
        }
        defer { freeaddrinfo(found) }
        let descriptor = socket(first.pointee.ai_family, first.pointee.ai_socktype, first.pointee.ai_protocol)
        guard descriptor >= 0 else { return }  // the server will say what is wrong
        defer { close(descriptor) }
        var one: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        guard bind(descriptor, first.pointee.ai_addr, first.pointee.ai_addrlen) != 0 else { return }
        switch errno {
        case EADDRINUSE:
            throw NoroshiError(
                .unavailable,
                "Port \(port) on \(host) is already in use (is another noroshi serve running?); choose another with "
                    + "--port or http.port.")
        case EACCES:
            throw NoroshiError(
                .unavailable, "Port \(port) on \(host) needs privileges this user lacks; use a port above 1023.")
        case EADDRNOTAVAIL:
            throw NoroshiError(.invalidInput, "\(host) is not an address of this machine; check --host or http.host.")
        default:
            throw NoroshiError(
                .unavailable, "Cannot listen on \(host) port \(port): \(String(cString: strerror(errno))).")
        }
    }
}
