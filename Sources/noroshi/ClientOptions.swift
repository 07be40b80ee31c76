import ArgumentParser
import Foundation
import NoroshiClient

/// `--server` and `--token`, shared by every command that talks to a daemon.
///
/// Each comes from the flag, else the environment (`NOROSHI_SERVER`, `NOROSHI_TOKEN`), else the
/// file that `noroshi login` wrote; the server defaults to http://127.0.0.1:8080.
struct ClientOptions: ParsableArguments {
    @Option(help: "The daemon's URL, e.g. http://10.1.2.3:8080 (else $NOROSHI_SERVER, else 'noroshi login').")
    var server: String?

    @Option(help: "A bearer token (else $NOROSHI_TOKEN, else 'noroshi login').")
    var token: String?

    @Option(
        help: ArgumentHelp(
            "The CA certificate (PEM) an https server's certificate must chain to (else $NOROSHI_CA_FILE, else "
                + "'noroshi login'; else the system's CAs).", valueName: "file"))
    var caFile: String?

    static let defaultServer = "http://127.0.0.1:8080"

    /// A client for the resolved server and token.
    func client() -> APIClient {
        let saved = Credentials.load()
        let environment = ProcessInfo.processInfo.environment
        let server = server ?? environment["NOROSHI_SERVER"].flatMap { $0.isEmpty ? nil : $0 } ?? saved?.server
        let token = token ?? environment["NOROSHI_TOKEN"].flatMap { $0.isEmpty ? nil : $0 } ?? saved?.token
        let caFile = caFile ?? environment["NOROSHI_CA_FILE"].flatMap { $0.isEmpty ? nil : $0 } ?? saved?.caFile
        return APIClient(server: server ?? Self.defaultServer, token: token, caFile: caFile)
    }
}

/// The server and token saved by `noroshi login`, in a file only its owner can read.
struct Credentials: Codable {
    var server: String
    var token: String
    /// The CA certificate the server's must chain to, as an absolute path; nil: the system's CAs.
    var caFile: String?

    enum CodingKeys: String, CodingKey {
        case server, token
        case caFile = "ca_file"
    }

    static func load() -> Credentials? {
        guard let data = try? Data(contentsOf: Paths.credentialsFile) else { return nil }
        return try? JSONDecoder().decode(Credentials.self, from: data)
    }

    /// Writes the file with mode 0600 from the start, so the token is never readable by others.
    func save() throws {
        let directory = Paths.configDirectory
        try FileManager.default.createDirectory(
            at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(self)
        let path = Paths.credentialsFile.path
        let temporary = path + ".tmp"
        _ = FileManager.default.createFile(atPath: temporary, contents: nil, attributes: [.posixPermissions: 0o600])
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: temporary))
        try handle.truncate(atOffset: 0)
        try handle.write(contentsOf: data)
        try handle.synchronize()
        try handle.close()
        guard rename(temporary, path) == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
    }
}
