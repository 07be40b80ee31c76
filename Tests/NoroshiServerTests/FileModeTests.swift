import Foundation
import NoroshiHTTPClient
import NoroshiTesting
import Testing

/// Reports and photos are evidence and personal data (issue 17, item 5). Regression: the data directory, the
/// database and the photos were created with the umask's modes (0755 and 0644 under the usual 022), readable
/// by every user of the machine.
@Suite struct FileModeTests {
    @Test func theDataDirectoryIsTheDaemonUsersAloneWhateverTheUmask() async throws {
        let root = try TemporaryDirectory(prefix: "noroshi-modes")
        defer { root.remove() }
        let tool = CommandLineTool(home: root.url.appendingPathComponent("home"))
        let data = root.url.appendingPathComponent("data").path
        // umask 000, the most permissive a service manager could give, for the daemon alone.
        let daemon = try tool.startDaemon(dataDirectory: data, umask: "000")
        defer { daemon.stop() }
        let created = try tool.run([
            "token", "create", "--role", "field", "--name", "Crew", "--data-dir", data, "--json",
        ])
        let secret = try #require(
            (try JSONSerialization.jsonObject(with: Data(created.output.utf8)) as? [String: Any])?["secret"] as? String,
            "\(created.errors)")
        let report = try await daemon.sendReport(token: secret, key: "m1")
        #expect(report.status == 201, "\(report.text)")
        let photo = try await HTTPClient().send(
            HTTPRequest(
                method: "POST", url: daemon.url + "/v1/reports/1/photos",
                headers: [("Authorization", "Bearer \(secret)"), ("Content-Type", "image/jpeg")],
                body: try Data(contentsOf: FixtureFiles.photo("hida-fire.jpg"))))
        #expect(photo.status == 201, "\(photo.text)")
        let photos = data + "/photos"
        func files() -> [String] {
            (FileManager.default.enumerator(atPath: photos)?.allObjects as? [String] ?? []).map { photos + "/" + $0 }
        }
        let deadline = Date().addingTimeInterval(30)
        while !files().contains(where: { $0.hasSuffix(".thumb.jpg") }), Date() < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(files().contains { $0.hasSuffix(".thumb.jpg") }, "no copies were made")
        func mode(_ path: String) -> Int {
            ((try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions]) as? Int) ?? -1
        }
        #expect(mode(data) == 0o700)
        for suffix in ["", "-wal", "-shm"] {
            #expect(mode(data + "/noroshi.sqlite" + suffix) == 0o600, "noroshi.sqlite\(suffix)")
        }
        #expect(mode(photos) == 0o700)
        for file in files() {
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory)
            #expect(mode(file) == (isDirectory.boolValue ? 0o700 : 0o600), "\(file)")
        }
    }
}
