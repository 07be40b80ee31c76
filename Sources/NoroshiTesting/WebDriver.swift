import Foundation
import NoroshiHTTPClient

/// A real headless Chromium driven over the W3C WebDriver protocol through Debian's `chromedriver`: for the
/// board's browser tests. Each instance starts its own chromedriver on a free loopback port and one browser
/// session; `quit()` ends both.
public final class WebDriver: @unchecked Sendable {
    /// A failed WebDriver command, with the driver's own message.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public static let chromium = "/usr/bin/chromium"
    public static let chromedriver = "/usr/bin/chromedriver"

    /// Whether Chromium and chromedriver are installed here.
    public static var isAvailable: Bool {
        FileManager.default.isExecutableFile(atPath: chromium)
            && FileManager.default.isExecutableFile(atPath: chromedriver)
    }

    private let process: ChildProcess
    private let base: String
    private let session: String
    private let client = HTTPClient(configuration: .init(timeout: .seconds(60)))

    /// Starts chromedriver and a headless browser; `javaScript: false` turns scripts off for the session.
    public init(javaScript: Bool = true, language: String = "ja", width: Int = 1280, height: Int = 1000) async throws {
        let port = try Self.freePort()
        process = try ChildProcess(Self.chromedriver, ["--port=\(port)", "--allowed-ips=127.0.0.1"])
        base = "http://127.0.0.1:\(port)"
        var ready = false
        for _ in 0..<100 {
            if let status = try? await client.send(HTTPRequest(method: "GET", url: base + "/status")),
                status.status == 200
            {
                ready = true
                break
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        guard ready else {
            process.terminate()
            throw Failure(description: "chromedriver did not start on port \(port).")
        }
        var options: [String: Any] = [
            "binary": Self.chromium,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=\(width),\(height)", "--lang=\(language)", "--no-first-run",
            ],
        ]
        var preferences: [String: Any] = ["intl.accept_languages": language]
        if !javaScript { preferences["profile.managed_default_content_settings.javascript"] = 2 }
        options["prefs"] = preferences
        let capabilities: [String: Any] = [
            "capabilities": ["alwaysMatch": ["browserName": "chrome", "goog:chromeOptions": options]]
        ]
        let body = try JSONSerialization.data(withJSONObject: capabilities)
        let answer = try await client.send(
            HTTPRequest(
                method: "POST", url: base + "/session", headers: [("Content-Type", "application/json")], body: body))
        let value = try Self.value(answer)
        guard let id = (value as? [String: Any])?["sessionId"] as? String else {
            process.terminate()
            throw Failure(description: "chromedriver gave no session: \(answer.text.prefix(500))")
        }
        session = id
    }

    /// Runs `body` with a new browser, which is always quit afterwards.
    public static func with<T>(
        javaScript: Bool = true, language: String = "ja", _ body: (WebDriver) async throws -> T
    ) async throws -> T {
        let browser = try await WebDriver(javaScript: javaScript, language: language)
        do {
            let result = try await body(browser)
            await browser.quit()
            return result
        } catch {
            await browser.quit()
            throw error
        }
    }

    /// Ends the browser session and chromedriver.
    public func quit() async {
        _ = try? await client.send(HTTPRequest(method: "DELETE", url: "\(base)/session/\(session)"))
        process.terminate()
        // Foundation's waitUntilExit can spin forever here; poll instead, and make sure it is gone.
        for _ in 0..<40 where process.isRunning { try? await Task.sleep(for: .milliseconds(50)) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    public func open(_ url: String) async throws { _ = try await command("POST", "/url", ["url": url]) }

    public func currentURL() async throws -> String { try await command("GET", "/url") as? String ?? "" }

    public func pageSource() async throws -> String { try await command("GET", "/source") as? String ?? "" }

    /// The id of the first element matching a CSS selector.
    public func element(_ selector: String) async throws -> String {
        let found = try await command("POST", "/element", ["using": "css selector", "value": selector])
        guard let id = (found as? [String: Any])?.values.first as? String else {
            throw Failure(description: "No element matches '\(selector)'.")
        }
        return id
    }

    public func type(_ text: String, into selector: String) async throws {
        let id = try await element(selector)
        _ = try await command("POST", "/element/\(id)/value", ["text": text])
    }

    /// Clicks the element; a live page may replace it between finding and clicking (a stale element), so it
    /// is found again, a few times.
    public func click(_ selector: String) async throws {
        for attempt in 1...5 {
            do {
                let id = try await element(selector)
                _ = try await command("POST", "/element/\(id)/click", [:])
                return
            } catch  where attempt < 5 && "\(error)".contains("stale element") {
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    /// Runs a script in the page (WebDriver's own channel, which the page's CSP does not govern).
    public func run(_ script: String) async throws -> Any? {
        try await command("POST", "/execute/sync", ["script": script, "args": []])
    }

    /// Saves a PNG of the window to `path`.
    public func screenshot(to path: String) async throws {
        guard let text = try await command("GET", "/screenshot") as? String, let data = Data(base64Encoded: text)
        else { throw Failure(description: "The screenshot was empty.") }
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try data.write(to: URL(fileURLWithPath: path))
    }

    /// Polls `condition` every 50 ms for up to `seconds`; returns whether it held.
    public func waitUntil(seconds: Double, _ condition: () async throws -> Bool) async rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try await condition() { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return try await condition()
    }

    private func command(_ method: String, _ path: String, _ body: [String: Any]? = nil) async throws -> Any? {
        let data = try body.map { try JSONSerialization.data(withJSONObject: $0) }
        let answer = try await client.send(
            HTTPRequest(
                method: method, url: "\(base)/session/\(session)\(path)",
                headers: data == nil ? [] : [("Content-Type", "application/json")], body: data))
        return try Self.value(answer)
    }

    private static func value(_ answer: HTTPResponse) throws -> Any? {
        let object = try JSONSerialization.jsonObject(with: answer.body) as? [String: Any]
        let value = object?["value"]
        if answer.status != 200 {
            let message = (value as? [String: Any])?["message"] as? String ?? answer.text
            throw Failure(description: "WebDriver answered \(answer.status): \(message.prefix(400))")
        }
        return value is NSNull ? nil : value
    }

    private static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(descriptor, pointer, length) == 0 && getsockname(descriptor, pointer, &length) == 0
            }
        }
        guard bound else { throw Failure(description: "No free port for chromedriver.") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
