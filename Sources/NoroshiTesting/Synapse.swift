import Foundation
import NoroshiHTTPClient
import NoroshiLoopback

#if canImport(Glibc)
    import Glibc
#endif

/// A real Matrix homeserver (Synapse, from `scripts/synapse.sh`) on 127.0.0.1, started once per test process
/// and shared by the Matrix tests; each test makes its own room.
///
/// Users `admin`, `noroshi` (the bot) and `hq` share the password ``password``.
///
/// ```swift
/// let synapse = try await Synapse.shared()
/// let hq = try await synapse.login("hq")
/// let room = try await synapse.createRoom(token: hq, invite: ["noroshi"])
/// ```
public final class Synapse: Sendable {
    public static let password = "noroshi-test-password"
    public static let serverName = "noroshi.test"

    public let url: String
    public let directory: String
    public let port: Int
    let client = HTTPClient(configuration: .init(timeout: .seconds(30)))

    init(url: String, directory: String, port: Int) {
        self.url = url
        self.directory = directory
        self.port = port
    }

    /// The shared homeserver, started (and installed, the first time on a machine) on first use.
    public static func shared() async throws -> Synapse {
        try await SharedSynapse.instance.get()
    }

    /// `scripts/synapse.sh` in the checkout.
    static var script: URL {
        FixtureFiles.root.deletingLastPathComponent().appendingPathComponent("scripts/synapse.sh")
    }

    /// Runs the script with posix_spawn and waitpid. Foundation's Process did not notice the script's exit
    /// once it had started a daemon (the child stayed a zombie and waitUntilExit never returned). ``Spawn``
    /// passes the script no descriptor but its three files.
    static func runScript(_ arguments: [String]) throws -> String {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("synapse-sh-\(UUID().uuidString)").path
        defer {
            unlink(base + ".out")
            unlink(base + ".err")
        }
        // The script stops the homeserver when this process ends (see SYNAPSE_PARENT_PID in the script).
        var environment = ProcessInfo.processInfo.environment
        environment["SYNAPSE_PARENT_PID"] = String(getpid())
        let status: Int32
        do {
            status = try Spawn.run(
                "/bin/bash", [script.path] + arguments, environment: environment, input: "/dev/null",
                output: base + ".out", errors: base + ".err")
        } catch {
            throw SynapseError(message: "Cannot run scripts/synapse.sh: \(error)")
        }
        let out = (try? String(contentsOfFile: base + ".out", encoding: .utf8)) ?? ""
        let err = (try? String(contentsOfFile: base + ".err", encoding: .utf8)) ?? ""
        guard status == 0 else {
            throw SynapseError(message: "scripts/synapse.sh \(arguments.joined(separator: " ")) failed: \(err)")
        }
        return out.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Stops the homeserver (its data stays), as an outage would.
    public func stop() throws { _ = try Self.runScript(["stop", directory]) }

    /// Starts it again on the same port with the same data.
    public func start() throws { _ = try Self.runScript(["start", directory, String(port)]) }

    /// Logs `user` in with a new device; returns the access token.
    public func login(_ user: String) async throws -> String {
        let answer = try await call(
            "POST", "/_matrix/client/v3/login", token: nil,
            body: [
                "type": "m.login.password", "identifier": ["type": "m.id.user", "user": user],
                "password": Self.password,
            ])
        guard let token = answer["access_token"] as? String else { throw SynapseError(message: "No access token") }
        return token
    }

    /// Creates a private room and invites `invite` (local user names); returns its id.
    public func createRoom(token: String, invite: [String]) async throws -> String {
        let answer = try await call(
            "POST", "/_matrix/client/v3/createRoom", token: token,
            body: ["preset": "private_chat", "invite": invite.map { "@\($0):\(Self.serverName)" }])
        guard let room = answer["room_id"] as? String else { throw SynapseError(message: "No room id") }
        return room
    }

    /// Lifts the message rate limit for `user` (admin API), so that tests can post quickly.
    public func liftRateLimit(for user: String, adminToken: String) async throws {
        _ = try await call(
            "POST", "/_synapse/admin/v1/users/@\(user):\(Self.serverName)/override_ratelimit", token: adminToken,
            body: ["messages_per_second": 0, "burst_count": 0])
    }

    /// Puts the default message rate limit back for `user`.
    public func restoreRateLimit(for user: String, adminToken: String) async throws {
        _ = try await call(
            "DELETE", "/_synapse/admin/v1/users/@\(user):\(Self.serverName)/override_ratelimit", token: adminToken,
            body: nil)
    }

    /// The `m.room.message` events of a room, oldest first (up to 1000).
    public func messages(room: String, token: String) async throws -> [[String: Any]] {
        let answer = try await call(
            "GET", "/_matrix/client/v3/rooms/\(room.urlComponentEncoded)/messages?dir=b&limit=1000", token: token,
            body: nil)
        let events = answer["chunk"] as? [[String: Any]] ?? []
        return events.filter { $0["type"] as? String == "m.room.message" }.reversed()
    }

    /// Downloads an `mxc://server/id` URI through the authenticated media API.
    public func download(_ uri: String, token: String) async throws -> Data {
        let path = uri.replacingOccurrences(of: "mxc://", with: "")
        let response = try await client.send(
            HTTPRequest(
                method: "GET", url: url + "/_matrix/client/v1/media/download/" + path,
                headers: [("Authorization", "Bearer \(token)")]))
        guard response.status == 200 else {
            throw SynapseError(message: "Download of \(uri) answered \(response.status): \(response.text)")
        }
        return response.body
    }

    func call(_ method: String, _ path: String, token: String?, body: [String: Any]?) async throws -> [String: Any] {
        var headers = [("Content-Type", "application/json")]
        if let token { headers.append(("Authorization", "Bearer \(token)")) }
        let data = try body.map { try JSONSerialization.data(withJSONObject: $0) }
        let response = try await client.send(HTTPRequest(method: method, url: url + path, headers: headers, body: data))
        guard (200..<300).contains(response.status) else {
            throw SynapseError(message: "\(method) \(path) answered \(response.status): \(response.text)")
        }
        return (try JSONSerialization.jsonObject(with: response.body)) as? [String: Any] ?? [:]
    }
}

/// What went wrong talking to the test homeserver.
public struct SynapseError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// Starts the homeserver once; the script stops it when the test process exits.
private actor SharedSynapse {
    static let instance = SharedSynapse()
    private var synapse: Synapse?

    func get() throws -> Synapse {
        if let synapse { return synapse }
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("noroshi-synapse-\(ProcessInfo.processInfo.processIdentifier)").path
        let port = try Self.freePort()
        let url = try Synapse.runScript(["start", directory, String(port)])
        let started = Synapse(url: url, directory: directory, port: port)
        synapse = started
        return started
    }

    /// A port the kernel just handed out and took back (a small race, acceptable on a test machine).
    static func freePort() throws -> Int {
        let server = try LoopbackHTTPServer { _ in .close }
        defer { server.stop() }
        return server.port
    }
}
