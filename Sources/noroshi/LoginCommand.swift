import ArgumentParser
import Foundation
import NoroshiClient
import NoroshiStorage

struct LoginCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login",
        abstract: "Check a server and token, and save them for the other commands.",
        discussion: """
            The server and token are saved in ~/.config/noroshi/credentials.json with mode 0600
            ($XDG_CONFIG_HOME is honoured). Flags and NOROSHI_SERVER / NOROSHI_TOKEN still win.
            Without --token, the token is read from standard input, so it stays out of the shell
            history.

            Examples:
              noroshi login --server http://10.1.2.3:8080 --token nrs_...
              echo "$TOKEN" | noroshi login --server http://10.1.2.3:8080
            """
    )

    @Option(help: "The daemon's URL (default http://127.0.0.1:8080).")
    var server: String = ClientOptions.defaultServer

    @Option(help: "The token; read from standard input when left out.")
    var token: String?

    @Option(
        help: ArgumentHelp(
            "The CA certificate (PEM) the server's certificate must chain to, saved for the other commands.",
            valueName: "file"))
    var caFile: String?

    func run() throws {
        try CLIError.run {
            guard let secret = (token ?? readLine(strippingNewline: true))?.trimmingCharacters(in: .whitespaces),
                !secret.isEmpty
            else {
                CLIError.report("No token given; pass --token or type it on standard input.")
                throw ExitCode.failure
            }
            let caPath = caFile.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
            if let caPath, !FileManager.default.isReadableFile(atPath: caPath) {
                CLIError.report("Cannot read the CA file '\(caPath)'.")
                throw ExitCode.failure
            }
            let client = APIClient(server: server, token: secret, caFile: caPath)
            let (session, _) = try client.call("GET", "/v1/session", as: TokenInfo.self)
            try Credentials(server: client.server, token: secret, caFile: caPath).save()
            print(
                "Logged in to \(client.server) as “\(session.name)” (\(session.role.rawValue)); "
                    + "saved in \(Paths.credentialsFile.path).")
        }
    }
}
