import Crypto
import Foundation
import NoroshiCore
import NoroshiHTTPClient
import NoroshiLoopback
import NoroshiPhotos
import NoroshiServer
import NoroshiStorage
import NoroshiTesting
import Testing

/// Resumable uploads (tus 1.0.0) through the real daemon: creation, resuming at several offsets, checksums,
/// expiry, a restart in the middle, two writers at once, the same photo by both routes, and tuspy.
@Suite struct ResumableUploadTests {
    /// tus requests against a daemon: a ``TestServer`` or a `noroshi serve` process.
    struct Tus {
        let baseURL: String
        let token: String
        let client: HTTPClient

        init(server: TestServer, token: String) {
            self.init(baseURL: server.baseURL, token: token, client: server.client)
        }

        init(baseURL: String, token: String, client: HTTPClient = HTTPClient()) {
            self.baseURL = baseURL
            self.token = token
            self.client = client
        }

        /// Creates an upload of `bytes`' length, announcing their SHA-256 (or `sha256`); `body` goes in the POST.
        func create(
            report: Int64, bytes: Data, sha256: String? = nil, body: Data? = nil, clientKey: String? = nil,
            extra: [(String, String)] = []
        ) async throws -> HTTPResponse {
            let metadata = Self.metadata(report: report, photo: bytes, sha256: sha256, clientKey: clientKey)
            return try await send(
                "POST", "/v1/uploads",
                headers: [("Upload-Length", String(bytes.count)), ("Upload-Metadata", metadata)] + extra, body: body)
        }

        static func metadata(report: Int64, photo: Data, sha256: String? = nil, clientKey: String? = nil) -> String {
            var pairs = [
                ("report_id", String(report)), ("filename", "a.jpg"), ("sha256", sha256 ?? PhotoAPITests.sha256(photo)),
            ]
            if let clientKey { pairs.append(("client_key", clientKey)) }
            return pairs.map { "\($0.0) \(Data($0.1.utf8).base64EncodedString())" }.joined(separator: ",")
        }

        func patch(_ path: String, offset: Int, _ body: Data, checksum: String? = nil) async throws -> HTTPResponse {
            var headers = [("Content-Type", "application/offset+octet-stream"), ("Upload-Offset", String(offset))]
            if let checksum { headers.append(("Upload-Checksum", checksum)) }
            return try await send("PATCH", path, headers: headers, body: body)
        }

        func offset(_ path: String) async throws -> Int? {
            let response = try await send("HEAD", path)
            return response.status == 200 ? response.header("Upload-Offset").flatMap { Int($0) } : nil
        }

        func state(_ path: String) async throws -> ResumableUpload {
            let response = try await send("GET", path)
            #expect(response.status == 200, "\(response.text)")
            return try response.decode(ResumableUpload.self)
        }

        func send(_ method: String, _ path: String, headers: [(String, String)] = [], body: Data? = nil) async throws
            -> HTTPResponse
        {
            try await client.send(
                HTTPRequest(
                    method: method, url: baseURL + path,
                    headers: [("Authorization", "Bearer \(token)"), ("Tus-Resumable", "1.0.0")] + headers, body: body))
        }
    }

    /// Opens a raw connection and sends a tus request announcing all of `body` but only its first `sending`
    /// bytes, as a client whose link then drops; returns the socket, still open.
    static func partialRequest(
        port: Int, _ requestLine: String, token: String, headers: String, body: Data, sending: Int
    ) throws -> Int32 {
        let socket = try LoopbackSocket.connect(port: port)
        let head =
            "\(requestLine) HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\n"
            + "Tus-Resumable: 1.0.0\r\nContent-Type: application/offset+octet-stream\r\n\(headers)"
            + "Content-Length: \(body.count)\r\n\r\n"
        let opening = Data(head.utf8) + body.prefix(sending)
        _ = opening.withUnsafeBytes { send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        return socket
    }

    static func sha256Header(_ data: Data) -> String {
        "sha256 " + Data(SHA256.hash(data: data)).base64EncodedString()
    }

    @Test func aPhotoSentInPiecesAtSeveralOffsetsIsStoredOnceWhole() async throws {
        try await TestServer.run { server in
            let field = try await server.token(.field)
            let tus = Tus(server: server, token: field)
            let report = try await PhotoAPITests.makeReport(server, token: field)
            let photo = try TestPhotos.noisy(width: 400, height: 300)
            let created = try await tus.create(report: report, bytes: photo)
            #expect(created.status == 201, "\(created.text)")
            #expect(created.header("Tus-Resumable") == "1.0.0")
            #expect(created.header("Upload-Expires")?.hasSuffix(" GMT") == true)
            let location = try #require(created.header("Location"))
            #expect(location.hasPrefix("/v1/uploads/"))
            #expect(try await tus.offset(location) == 0)

            // Cuts at 1 byte, 64 KiB and one byte before the end; each piece continues from the server's offset.
            let cuts = [0, 1, 65_536, photo.count - 1, photo.count]
            for (start, end) in zip(cuts, cuts.dropFirst()) {
                let piece = photo.subdata(in: start..<end)
                let answer = try await tus.patch(location, offset: start, piece, checksum: Self.sha256Header(piece))
                #expect(answer.status == 204, "\(answer.text)")
                #expect(answer.header("Upload-Offset") == String(end))
                if end < photo.count {
                    #expect(try await tus.offset(location) == end)
                    #expect(try await tus.state(location).photo == nil)
                }
            }
            let state = try await tus.state(location)
            let receipt = try #require(state.photo)
            #expect(state.offset == photo.count && receipt.created && receipt.reportID == report)
            #expect(receipt.photo.sha256 == PhotoAPITests.sha256(photo) && receipt.photo.width == 400)

            // The original is the bytes sent, and its copies are made as for any photo.
            let hq = try await server.token(.hq)
            let original = try await server.request("GET", "/v1/photos/\(receipt.photo.sha256)", token: hq)
            #expect(original.body == photo)
            #expect(
                try await server.eventually {
                    try await server.store.photo(sha256: receipt.photo.sha256)?.derivatives == .ready
                })
            // Nothing is left of the upload's own file; a finished upload takes no more bytes.
            #expect(PhotoAPITests.storedFiles(server).originals.count == 1)
            let again = try await tus.patch(location, offset: photo.count, Data([0]))
            #expect(again.status == 409 && again.error?.message.contains("complete") == true)
        }
    }

    @Test func wrongOffsetsChecksumsAndHeadersAreRefusedAndChangeNothing() async throws {
        try await TestServer.run { server in
            let field = try await server.token(.field)
            let tus = Tus(server: server, token: field)
            let report = try await PhotoAPITests.makeReport(server, token: field)
            let photo = try TestPhotos.noisy(width: 200, height: 150)
            let location = try #require(try await tus.create(report: report, bytes: photo).header("Location"))
            let half = photo.prefix(photo.count / 2)

            // The offset must be the server's: 409 names it.
            let ahead = try await tus.patch(location, offset: 10, half)
            #expect(ahead.status == 409 && ahead.error?.message.contains("has 0 bytes") == true, "\(ahead.text)")
            // A chunk whose checksum does not match is dropped whole: 460, offset unchanged.
            let damaged = try await tus.patch(location, offset: 0, half, checksum: Self.sha256Header(Data("x".utf8)))
            #expect(damaged.status == 460 && damaged.error?.code == "checksum_mismatch", "\(damaged.text)")
            #expect(try await tus.offset(location) == 0)
            // sha1, which tus requires every server to take, is checked too.
            let sha1 = "sha1 " + Data(Insecure.SHA1.hash(data: half)).base64EncodedString()
            #expect(try await tus.patch(location, offset: 0, half, checksum: sha1).status == 204)
            #expect(try await tus.offset(location) == half.count)
            let md5 = try await tus.patch(location, offset: half.count, Data([1]), checksum: "md5 AAAA")
            #expect(md5.status == 400 && md5.error?.message.contains("sha256") == true)
            // Bytes past Upload-Length: 413, nothing kept.
            let tooMuch = try await tus.patch(location, offset: half.count, photo + photo)
            #expect(tooMuch.status == 413, "\(tooMuch.text)")
            #expect(try await tus.offset(location) == half.count)
            // Without Tus-Resumable, or with another version: 412 and the versions spoken.
            let noVersion = try await server.client.send(
                HTTPRequest(
                    method: "HEAD", url: server.baseURL + location, headers: [("Authorization", "Bearer \(field)")]))
            #expect(noVersion.status == 412 && noVersion.header("Tus-Version") == "1.0.0")
            let wrongType = try await tus.send(
                "PATCH", location, headers: [("Content-Type", "image/jpeg"), ("Upload-Offset", "0")], body: half)
            #expect(wrongType.status == 415 && wrongType.error != nil)

            // Creation: a report that does not exist, a photo over the limit, metadata without the report.
            let missing = try await tus.create(report: 999, bytes: photo)
            #expect(missing.status == 404 && missing.error != nil)
            let huge = try await tus.send(
                "POST", "/v1/uploads",
                headers: [("Upload-Length", String(1 << 40)), ("Upload-Metadata", "report_id MQ==")])
            #expect(huge.status == 413 && huge.error?.message.contains("limit") == true)
            let anonymous = try await tus.send("POST", "/v1/uploads", headers: [("Upload-Length", "10")])
            #expect(anonymous.status == 422 && anonymous.error?.message.contains("report_id") == true)
            let twice = try await tus.send(
                "POST", "/v1/uploads",
                headers: [("Upload-Length", "10"), ("Upload-Metadata", "report_id MQ==,report_id Mg==")])
            #expect(twice.status == 400 && twice.error?.message.contains("twice") == true)

            // Someone else's token may not continue it; without a token nothing is created.
            let other = Tus(server: server, token: try await server.token(.field, name: "another crew"))
            #expect(try await other.send("HEAD", location).status == 403)
            let nobody = try await server.client.send(
                HTTPRequest(
                    method: "POST", url: server.baseURL + "/v1/uploads",
                    headers: [
                        ("Tus-Resumable", "1.0.0"), ("Upload-Length", "10"), ("Upload-Metadata", "report_id MQ=="),
                    ]))
            #expect(nobody.status == 401 && nobody.header("Tus-Resumable") == "1.0.0")

            // The whole file must match the announced SHA-256: the upload is removed, the photo not stored.
            let lying = try #require(
                try await tus.create(report: report, bytes: photo, sha256: String(repeating: "a", count: 64))
                    .header("Location"))
            let finished = try await tus.patch(lying, offset: 0, photo)
            #expect(finished.status == 460 && finished.error?.message.contains("announced") == true, "\(finished.text)")
            #expect(try await tus.send("HEAD", lying).status == 404)
            #expect(try await server.store.photo(sha256: PhotoAPITests.sha256(photo)) == nil)

            // Not a JPEG: refused as the plain upload refuses it, and the upload is gone.
            let text = Data(String(repeating: "not a photo ", count: 50).utf8)
            let notJPEG = try #require(try await tus.create(report: report, bytes: text).header("Location"))
            let refused = try await tus.patch(notJPEG, offset: 0, text)
            #expect(refused.status == 415 && refused.error?.message.contains("refused") == true, "\(refused.text)")
            #expect(try await tus.send("HEAD", notJPEG).status == 404)

            // Termination forgets an upload.
            #expect(try await tus.send("DELETE", location).status == 204)
            #expect(try await tus.send("HEAD", location).status == 404)
            let options = try await server.client.send(
                HTTPRequest(method: "OPTIONS", url: server.baseURL + "/v1/uploads"))
            #expect(options.status == 204 && options.header("Tus-Extension")?.contains("checksum") == true)
            #expect(options.header("Tus-Checksum-Algorithm")?.contains("sha256") == true)
        }
    }

    @Test func anUnfinishedUploadExpiresADayAfterItsLastByte() async throws {
        let clock = ManualClock(Date())
        try await TestServer.run(clock: clock) { server in
            let field = try await server.token(.field)
            let tus = Tus(server: server, token: field)
            let report = try await PhotoAPITests.makeReport(server, token: field)
            let photo = try TestPhotos.noisy(width: 100, height: 100)
            let location = try #require(try await tus.create(report: report, bytes: photo).header("Location"))
            clock.advance(by: 20 * 3600)
            #expect(try await tus.patch(location, offset: 0, photo.prefix(100)).status == 204)
            // 20 h after the last byte it is still there (the clock counts from the last byte, not creation) ...
            clock.advance(by: 20 * 3600)
            #expect(try await tus.offset(location) == 100)
            // ... and 24 h after it, gone, and the sweep removes its row.
            clock.advance(by: 4 * 3600 + 1)
            let gone = try await tus.send("HEAD", location)
            #expect(gone.status == 404 && gone.header("Tus-Resumable") == "1.0.0")
            let swept = try await server.store.expireUploads()
            #expect(swept == [String(location.split(separator: "/").last!)])
        }
    }

    @Test func theSamePhotoThroughTusAndPlainPostIsStoredOnce() async throws {
        try await TestServer.run { server in
            let field = try await server.token(.field)
            let tus = Tus(server: server, token: field)
            let report = try await PhotoAPITests.makeReport(server, token: field)
            let photo = try TestPhotos.noisy(width: 300, height: 200)
            let plain = try await server.upload("/v1/reports/\(report)/photos", token: field, data: photo)
            #expect(plain.status == 201)
            let location = try #require(try await tus.create(report: report, bytes: photo).header("Location"))
            #expect(try await tus.patch(location, offset: 0, photo).status == 204)
            let receipt = try #require(try await tus.state(location).photo)
            #expect(!receipt.created)
            let detail = try await server.store.reportDetail(id: report)
            #expect(detail.photos.count == 1)
            #expect(PhotoAPITests.storedFiles(server).originals.count == 1)
        }
    }

    /// A PATCH whose sender goes quiet holds the upload: a second writer gets 423, and when the first
    /// connection drops, the bytes that came are kept and the upload continues from there.
    @Test func aSecondWriterIsRefusedAndACutConnectionKeepsWhatArrived() async throws {
        try await TestServer.run { server in
            let field = try await server.token(.field)
            let tus = Tus(server: server, token: field)
            let report = try await PhotoAPITests.makeReport(server, token: field)
            let photo = try TestPhotos.noisy(width: 300, height: 300)
            let location = try #require(try await tus.create(report: report, bytes: photo).header("Location"))

            let sent = 50_000
            let socket = try Self.partialRequest(
                port: server.port, "PATCH \(location)", token: field, headers: "Upload-Offset: 0\r\n", body: photo,
                sending: sent)
            // Once its bytes reach the upload's file, that request holds the upload (probing earlier could
            // take the lock first and turn the raw request away).
            let file = URL(fileURLWithPath: server.configuration.dataDirectory)
                .appendingPathComponent("photos/uploads/\(location.split(separator: "/").last!)")
            let receiving = await server.eventually {
                ((try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int) ?? 0) > 0
            }
            try #require(receiving, "the raw PATCH never started writing")
            // Probed with a one-byte PATCH at a wrong offset, which without the lock would be 409 and change nothing.
            let refused = try await server.eventually {
                try await tus.patch(location, offset: 1, Data([0])).status == 423
            }
            #expect(refused, "a second writer was not refused")
            let second = try await tus.patch(location, offset: 0, photo)
            #expect(second.status == 423 && second.error?.message.contains("another connection") == true)

            close(socket)
            #expect(try await server.eventually { try await tus.offset(location) == sent })
            let rest = photo.suffix(from: sent)
            #expect(try await tus.patch(location, offset: sent, Data(rest)).status == 204)
            #expect(try await tus.state(location).photo?.photo.sha256 == PhotoAPITests.sha256(photo))
        }
    }

    /// creation-with-upload: a small photo goes whole in the POST and the answer names the stored photo (one
    /// round trip). With a `client_key` the creation can be asked again: a repeat finds the same upload.
    @Test func aPhotoInTheCreationsBodyIsStoredAndAClientKeyedRepeatFindsIt() async throws {
        try await TestServer.run { server in
            let field = try await server.token(.field)
            let tus = Tus(server: server, token: field)
            let options = try await tus.send("OPTIONS", "/v1/uploads")
            #expect(options.header("Tus-Extension")?.split(separator: ",").contains("creation-with-upload") == true)
            let report = try await PhotoAPITests.makeReport(server, token: field)
            let photo = try TestPhotos.noisy(width: 320, height: 240)
            let stream = [("Content-Type", "application/offset+octet-stream")]

            let whole = try await tus.create(
                report: report, bytes: photo, body: photo, clientKey: "IMG_0001", extra: stream)
            #expect(whole.status == 201, "\(whole.text)")
            #expect(whole.header("Upload-Offset") == String(photo.count))
            #expect(whole.header("Noroshi-Photo") == PhotoAPITests.sha256(photo))
            let state = try whole.decode(ResumableUpload.self)
            #expect(state.photo?.created == true && state.photo?.photo.sha256 == PhotoAPITests.sha256(photo))
            let location = try #require(whole.header("Location"))

            // Asked again (the answer was lost): the same upload, complete, with its photo; nothing new stored.
            let again = try await tus.create(report: report, bytes: photo, clientKey: "IMG_0001")
            #expect(again.status == 200 && again.header("Location") == location, "\(again.text)")
            #expect(try again.decode(ResumableUpload.self).photo?.photo.sha256 == PhotoAPITests.sha256(photo))
            // With its body again: 409, the bytes are there already.
            let twice = try await tus.create(
                report: report, bytes: photo, body: photo, clientKey: "IMG_0001", extra: stream)
            #expect(twice.status == 409 && twice.error?.message.contains("without a body") == true, "\(twice.text)")
            // Another key, or another token with the same key, is another upload.
            let other = try await tus.create(report: report, bytes: photo, clientKey: "IMG_0002")
            #expect(other.status == 201 && other.header("Location") != location)
            let crew = Tus(server: server, token: try await server.token(.field, name: "Other crew"))
            let theirs = try await crew.create(report: report, bytes: photo, clientKey: "IMG_0001")
            #expect(theirs.status == 201 && theirs.header("Location") != location)
            // A body must be tus bytes; a key must be short, plain text.
            let typed = try await tus.create(
                report: report, bytes: photo, body: photo, clientKey: "IMG_0003",
                extra: [("Content-Type", "image/jpeg")])
            #expect(typed.status == 415, "\(typed.text)")
            let long = try await tus.create(report: report, bytes: photo, clientKey: String(repeating: "k", count: 129))
            #expect(long.status == 422 || long.status == 400, "\(long.text)")
            #expect(try await server.store.reportDetail(id: report).photos.count == 1)
        }
    }

    /// A creation whose body is cut off keeps the bytes that came; asked again without a body (same client key)
    /// it answers that offset, and a PATCH of the rest finishes the photo: nothing is sent twice.
    @Test func aCreationCutOffInItsBodyIsFoundAgainWithItsBytes() async throws {
        try await TestServer.run { server in
            let field = try await server.token(.field)
            let tus = Tus(server: server, token: field)
            let report = try await PhotoAPITests.makeReport(server, token: field)
            let photo = try TestPhotos.noisy(width: 300, height: 300)
            let metadata = Tus.metadata(report: report, photo: photo, clientKey: "IMG_0009")
            let sent = 40_000
            let socket = try Self.partialRequest(
                port: server.port, "POST /v1/uploads", token: field,
                headers: "Upload-Length: \(photo.count)\r\nUpload-Metadata: \(metadata)\r\n", body: photo,
                sending: sent)
            let uploads = URL(fileURLWithPath: server.configuration.dataDirectory).appendingPathComponent(
                "photos/uploads")
            let receiving = await server.eventually {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: uploads.path)) ?? []
                return names.contains {
                    ((try? FileManager.default.attributesOfItem(atPath: uploads.appendingPathComponent($0).path)[
                        .size] as? Int) ?? 0) >= sent
                }
            }
            try #require(receiving, "the raw POST never wrote its bytes")
            close(socket)

            var found = try await tus.create(report: report, bytes: photo, clientKey: "IMG_0009")
            let settled = try await server.eventually {
                found = try await tus.create(report: report, bytes: photo, clientKey: "IMG_0009")
                return found.header("Upload-Offset") == String(sent)
            }
            #expect(settled, "offset \(found.header("Upload-Offset") ?? "none"), \(found.text)")
            #expect(found.status == 200, "\(found.text)")
            let location = try #require(found.header("Location"))
            let rest = try await tus.patch(location, offset: sent, Data(photo.suffix(from: sent)))
            #expect(rest.status == 204 && rest.header("Noroshi-Photo") == PhotoAPITests.sha256(photo), "\(rest.text)")
            #expect(try await server.store.reportDetail(id: report).photos.count == 1)
        }
    }

    /// A daemon killed between two pieces: the upload survives, continues from the synced offset and finishes.
    @Test func anUploadSurvivesARestart() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let data = directory.url.appendingPathComponent("data").path
        let cli = CommandLineTool(home: directory.url)
        let created = try await cli.runInBackground([
            "token", "create", "--role", "field", "--name", "crew", "--json", "--data-dir", data, "--init",
        ])
        let token = try #require(
            (try JSONSerialization.jsonObject(with: Data(created.output.utf8)) as? [String: Any])?["secret"] as? String,
            "\(created.errors)")
        let photo = try TestPhotos.noisy(width: 320, height: 240)
        let killed = try cli.startDaemon(dataDirectory: data)
        let before = Tus(baseURL: killed.url, token: token)
        let report = try await before.send(
            "POST", "/v1/reports", headers: [("Content-Type", "application/json")], body: Data(APITests.report().utf8))
        let reportID = try report.decode(ReportReceipt.self).report.id
        let location = try #require(try await before.create(report: reportID, bytes: photo).header("Location"))
        let first = try await before.patch(location, offset: 0, photo.prefix(30_000))
        #expect(first.status == 204)
        killed.kill()

        let daemon = try cli.startDaemon(dataDirectory: data)
        defer { daemon.stop() }
        let after = Tus(baseURL: daemon.url, token: token)
        let head = try await after.send("HEAD", location)
        #expect(head.status == 200 && head.header("Upload-Offset") == "30000", "\(head.status)")
        let rest = try await after.patch(location, offset: 30_000, Data(photo.suffix(from: 30_000)))
        #expect(rest.status == 204 && rest.header("Noroshi-Photo") == PhotoAPITests.sha256(photo), "\(rest.text)")
    }

    /// tuspy, the tus project's Python client, uploads a photo in checksummed chunks, in two runs (the second
    /// resuming the first's upload); the board's incident page then shows it.
    @Test func tuspyUploadsAPhotoTheBoardShows() async throws {
        try await TestServer.run { server in
            let field = try await server.token(.field)
            let report = try await PhotoAPITests.makeReport(server, token: field)
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            let photo = try TestPhotos.noisy(width: 500, height: 400)
            let file = directory.url.appendingPathComponent("from-tuspy.jpg")
            try photo.write(to: file)
            let root = CAPTests.root
            let shell = CommandLineTool(home: directory.url, executable: URL(fileURLWithPath: "/bin/bash"))
            let setup = try await shell.runInBackground([root.appendingPathComponent("scripts/tuspy.sh").path])
            try #require(setup.status == 0, "scripts/tuspy.sh failed: \(setup.errors)")
            let python = CommandLineTool(
                home: directory.url,
                executable: URL(fileURLWithPath: setup.output.trimmingCharacters(in: .whitespacesAndNewlines)))
            let script = root.appendingPathComponent("scripts/tus-upload.py").path
            let arguments = [script, server.baseURL, field, file.path, String(report), "65536"]
            let half = try await python.runInBackground(arguments + ["100000"])
            try #require(half.status == 0, "tuspy failed: \(half.errors)")
            let url = try #require(half.output.split(separator: " ").first.map(String.init))
            #expect(half.output.hasSuffix(" 100000\n") || half.output.contains(" 131072"), "\(half.output)")
            let rest = try await python.runInBackground(arguments, environment: ["TUS_URL": url])
            try #require(rest.status == 0, "tuspy failed on resuming: \(rest.errors)")
            #expect(rest.output.hasSuffix(" \(photo.count)\n"), "\(rest.output)")

            let sha256 = PhotoAPITests.sha256(photo)
            let detail = try await server.store.reportDetail(id: report)
            #expect(detail.photos.map(\.sha256) == [sha256])
            let board = BoardClient(server: server)
            _ = try await board.signIn(token: try await server.token(.hq))
            let page = try await board.get("/incidents/\(detail.report.incidentNumber)")
            #expect(page.status == 200 && page.text.contains(sha256), "the board does not show the tuspy photo")
        }
    }
}
