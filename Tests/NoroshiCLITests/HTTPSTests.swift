import Foundation
import NoroshiHTTPClient
import NoroshiTesting
import Testing

/// HTTPS end to end: `noroshi serve` with `http.tls` and a certificate made in the test by openssl, the CLI
/// verifying it (refusing it without `--ca-file`), HSTS on every answer and a `Secure` session cookie.
@Suite struct HTTPSTests {
    /// A self-signed certificate for 127.0.0.1 and its key, made by openssl; returns their paths.
    static func certificate(in folder: URL, name: String = "server") throws -> (certificate: String, key: String) {
        let certificate = folder.appendingPathComponent("\(name).crt").path
        let key = folder.appendingPathComponent("\(name).key").path
        let made = try ChildProcess.run(
            "/usr/bin/openssl",
            [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                "-subj", "/CN=noroshi test", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                "-keyout", key, "-out", certificate,
            ])
        try #require(made == 0, "openssl could not make a certificate")
        return (certificate, key)
    }

    static func config(_ setup: CLITests.Setup, certificate: String, key: String) throws -> String {
        let path = setup.root.url.appendingPathComponent("noroshi.yaml").path
        try "http:\n  tls:\n    certificate_file: \(certificate)\n    key_file: \(key)\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func theDaemonServesHTTPSAndTheCLIVerifiesItsCertificate() async throws {
        let setup = try CLITests.Setup()
        defer { setup.root.remove() }
        let (certificate, key) = try Self.certificate(in: setup.root.url)
        let daemon = try setup.tool.startDaemon(
            dataDirectory: setup.dataDirectory, config: try Self.config(setup, certificate: certificate, key: key))
        defer { daemon.stop() }
        #expect(daemon.url.hasPrefix("https://127.0.0.1:"))
        let field = try setup.token("field", name: "Hida FD station 2")
        let hq = try setup.token("hq", name: "HQ")

        // The CLI refuses a certificate it cannot verify, and says how to trust it.
        let environment = ["NOROSHI_SERVER": daemon.url, "NOROSHI_TOKEN": hq]
        let unverified = try await setup.tool.runInBackground(["status"], environment: environment)
        #expect(unverified.status == 1)
        #expect(
            unverified.errors.contains("certificate") && unverified.errors.contains("--ca-file"), "\(unverified.errors)"
        )
        let login = try setup.tool.run(
            ["login", "--server", daemon.url, "--ca-file", certificate], input: field + "\n")
        #expect(login.status == 0, "\(login.errors)")
        let sent = try await setup.tool.runInBackground([
            "report", "--kind", "fire", "--at", "36.1461,137.2522", "--text", "Smoke over TLS",
        ])
        #expect(sent.status == 0, "\(sent.errors)")
        let status = try await setup.tool.runInBackground(
            ["status", "--ca-file", certificate], environment: environment)
        #expect(status.status == 0 && status.output.contains("F-"), "\(status.output)\(status.errors)")

        // HSTS on every answer, a Secure session cookie.
        let client = HTTPClient(configuration: .init(timeout: .seconds(10), caBundle: certificate))
        let health = try await client.send(HTTPRequest(method: "GET", url: daemon.url + "/healthz"))
        #expect(health.status == 200 && health.header("Strict-Transport-Security") == "max-age=31536000")
        let signIn = try await client.send(
            HTTPRequest(
                method: "POST", url: daemon.url + "/login",
                headers: [("Content-Type", "application/x-www-form-urlencoded")], body: Data("token=\(hq)".utf8)))
        let cookie = try #require(signIn.header("Set-Cookie"), "\(signIn.status) \(signIn.text)")
        #expect(cookie.contains("noroshi_session=") && cookie.contains("Secure") && cookie.contains("HttpOnly"))

        // Plain HTTP on the TLS port gets no answer.
        let plain = HTTPClient(configuration: .init(timeout: .seconds(5)))
        let answer = try? await plain.send(
            HTTPRequest(method: "GET", url: "http://127.0.0.1:\(daemon.port)/healthz"))
        #expect(answer?.status != 200)
    }

    @Test func aKeyThatIsNotTheCertificatesStopsTheStartInOneLine() async throws {
        let setup = try CLITests.Setup()
        defer { setup.root.remove() }
        let (certificate, _) = try Self.certificate(in: setup.root.url)
        let (_, otherKey) = try Self.certificate(in: setup.root.url, name: "other")
        _ = try setup.token("admin", name: "HQ admin")
        let serve = try await setup.tool.runInBackground([
            "serve", "--data-dir", setup.dataDirectory, "--port", "0", "--config",
            try Self.config(setup, certificate: certificate, key: otherKey),
        ])
        #expect(serve.status == 1)
        #expect(
            serve.errors.contains("The TLS private key '\(otherKey)' does not belong to the certificate"),
            "\(serve.errors)")
        #expect(!serve.errors.contains("PRIVATE KEY"))
        let missing = try await setup.tool.runInBackground([
            "serve", "--data-dir", setup.dataDirectory, "--port", "0", "--config",
            try Self.config(setup, certificate: "/nonexistent.crt", key: otherKey),
        ])
        #expect(missing.status == 1 && missing.errors.contains("Cannot read the TLS certificate '/nonexistent.crt'"))
    }
}
