import Foundation
import NoroshiServer
import NoroshiTesting
import Testing

/// Reports and photos are evidence and personal data (issue 17, item 5). Regression: the data directory, the
/// database and the photos were created with the umask's modes (0755 and 0644 under the usual 022), readable
/// by every user of the machine.
@Suite(.serialized) struct FileModeTests {
    static func freshDirectory(_ configuration: inout NoroshiConfiguration) {
        configuration.dataDirectory += "/data"
    }

    @Test func theDataDirectoryIsTheDaemonUsersAloneWhateverTheUmask() async throws {
        // umask is the process's: 000 for this test only, the most permissive a service manager could give.
        let previous = umask(0)
        defer { umask(previous) }
        try await TestServer.run(configure: Self.freshDirectory) { server in
            let field = try await server.token(.field)
            let report = try await PhotoAPITests.makeReport(server, token: field)
            let upload = try await server.attachFixturePhoto("hida-fire.jpg", toReport: report, token: field)
            #expect(upload.status == 201)
            let data = server.configuration.dataDirectory
            let photos = data + "/photos"
            let copied = await server.eventually {
                (FileManager.default.enumerator(atPath: photos)?.allObjects as? [String] ?? [])
                    .contains { $0.hasSuffix(".chat.jpg") }
            }
            #expect(copied)
            let files = (FileManager.default.enumerator(atPath: photos)?.allObjects as? [String] ?? [])
                .map { photos + "/" + $0 }
            func mode(_ path: String) -> Int {
                ((try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions]) as? Int) ?? -1
            }
            #expect(mode(data) == 0o700)
            for suffix in ["", "-wal", "-shm"] {
                #expect(mode(data + "/noroshi.sqlite" + suffix) == 0o600, "noroshi.sqlite\(suffix)")
            }
            #expect(mode(photos) == 0o700)
            #expect(files.contains { $0.hasSuffix(".jpg") })
            for file in files {
                var isDirectory: ObjCBool = false
                _ = FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory)
                #expect(mode(file) == (isDirectory.boolValue ? 0o700 : 0o600), "\(file)")
            }
        }
    }
}
