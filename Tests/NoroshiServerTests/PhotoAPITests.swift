import Crypto
import Foundation
import NoroshiCore
import NoroshiHTTPClient
import NoroshiPhotos
import NoroshiServer
import NoroshiStorage
import NoroshiTesting
import Testing

/// Photo upload, download and the copy jobs, through the real daemon over HTTP.
@Suite struct PhotoAPITests {
    static func fixture(_ name: String) throws -> Data { try Data(contentsOf: FixtureFiles.photo(name)) }

    static func sha256(_ data: Data) -> String { SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined() }

    /// A report to attach photos to; returns its id.
    static func makeReport(_ server: TestServer, token: String) async throws -> Int64 {
        let response = try await server.request("POST", "/v1/reports", token: token, body: APITests.report())
        #expect(response.status == 201)
        return try response.decode(ReportReceipt.self).report.id
    }

    /// Every original under the data directory's photos folder, and what is left in `incoming/`.
    static func storedFiles(_ server: TestServer) -> (originals: [String], incoming: [String]) {
        let root = URL(fileURLWithPath: server.configuration.dataDirectory).appendingPathComponent("photos")
        let all = FileManager.default.enumerator(atPath: root.path)?.compactMap { $0 as? String } ?? []
        return (
            all.filter { $0.hasSuffix(".jpg") && !$0.contains(".chat.") && !$0.contains(".thumb.") },
            all.filter { $0.hasPrefix("incoming/") }
        )
    }

    @Test func uploadKeepsTheOriginalReadsEXIFAndMakesUprightCopies() async throws {
        try await TestServer.run { server in
            let field = try await server.token(.field, name: "Hida FD station 2")
            let hq = try await server.token(.hq)
            let reportID = try await Self.makeReport(server, token: field)
            let bytes = try Self.fixture("hida-fire.jpg")
            let response = try await server.upload("/v1/reports/\(reportID)/photos", token: field, data: bytes)
            #expect(response.status == 201, "\(response.text)")
            let receipt = try response.decode(PhotoReceipt.self)
            #expect(receipt.created && receipt.reportID == reportID)
            let photo = receipt.photo
            #expect(photo.sha256 == Self.sha256(bytes))
            #expect(photo.bytes == bytes.count && photo.width == 160 && photo.height == 120)
            #expect(photo.make == "OM Digital Solutions" && photo.model == "TG-7")
            #expect(abs((photo.latitude ?? 0) - 36.1461) < 1e-5 && abs((photo.longitude ?? 0) - 137.2522) < 1e-5)
            // 2026:11:21 09:30:05.120 at +09:00.
            #expect(photo.takenAt == RFC3339.date(from: "2026-11-21T00:30:05.120Z"))
            #expect(photo.takenAtText == "2026:11:21 09:30:05 +09:00")

            // The original comes back byte for byte.
            let original = try await server.request("GET", "/v1/photos/\(photo.sha256)", token: hq)
            #expect(original.status == 200 && original.body == bytes)
            #expect(original.header("Content-Type") == "image/jpeg")

            // The job makes both copies; they carry no EXIF (no GPS).
            let ready = try await server.eventually {
                try await server.store.photo(sha256: photo.sha256)?.derivatives == .ready
            }
            #expect(ready)
            for variant in ["chat", "thumb"] {
                let copy = try await server.request("GET", "/v1/photos/\(photo.sha256)/\(variant)", token: hq)
                #expect(copy.status == 200)
                let image = try DecodedImage.decode(copy.body)
                #expect(image.width == 160 && image.height == 120)
                #expect(!copy.body.contains(Data("Exif".utf8)))
            }

            // The report and the incident show the photo; the timeline records it.
            let detail = try await server.request("GET", "/v1/reports/\(reportID)", token: hq).decode(ReportDetail.self)
            #expect(detail.photos.map(\.sha256) == [photo.sha256])
            #expect(detail.photos.first?.chat == Photo.Size(width: 160, height: 120))
            let incident = try await server.request("GET", "/v1/incidents/\(receipt.incidentNumber)", token: hq)
                .decode(IncidentDetail.self)
            #expect(incident.photos.map(\.photo.sha256) == [photo.sha256])
            #expect(incident.photos.first?.addedBy == "Hida FD station 2")
            #expect(incident.timeline.contains { $0.action == .photoAdded && $0.reportID == reportID })
        }
    }

    /// An iPhone's HEIC through the plain upload and a PNG screenshot through tus: each original kept byte for
    /// byte and served as its own type, its EXIF read, JPEG copies made by the same job.
    @Test(arguments: [("hida-fire.heic", "image/heic", false), ("screenshot-map.png", "image/png", true)])
    func heicAndPNGPhotosAreStoredServedAndCopied(name: String, type: String, resumable: Bool) async throws {
        try await TestServer.run { server in
            let field = try await server.token(.field)
            let hq = try await server.token(.hq)
            let reportID = try await Self.makeReport(server, token: field)
            let bytes = try Self.fixture(name)
            let photo: Photo
            if resumable {
                let tus = ResumableUploadTests.Tus(server: server, token: field)
                let location = try #require(try await tus.create(report: reportID, bytes: bytes).header("Location"))
                let done = try await tus.patch(location, offset: 0, bytes)
                #expect(done.status == 204, "\(done.text)")
                let detail = try await server.request("GET", "/v1/reports/\(reportID)", token: hq)
                photo = try #require(try detail.decode(ReportDetail.self).photos.first)
            } else {
                let response = try await server.upload(
                    "/v1/reports/\(reportID)/photos", token: field, data: bytes, contentType: type)
                #expect(response.status == 201, "\(response.text)")
                photo = try response.decode(PhotoReceipt.self).photo
            }
            #expect(photo.sha256 == Self.sha256(bytes) && photo.width == 160 && photo.height == 120)
            if name.hasSuffix(".heic") {
                #expect(photo.make == "OM Digital Solutions" && photo.latitude == 36.1461)
            }
            let original = try await server.request("GET", "/v1/photos/\(photo.sha256)", token: hq)
            #expect(original.status == 200 && original.body == bytes)
            #expect(original.header("Content-Type") == type)
            let ready = try await server.eventually {
                try await server.store.photo(sha256: photo.sha256)?.derivatives == .ready
            }
            #expect(ready)
            let chat = try await server.request("GET", "/v1/photos/\(photo.sha256)/chat", token: hq)
            #expect(chat.status == 200 && chat.header("Content-Type") == "image/jpeg")
            let image = try DecodedImage.decode(chat.body)
            #expect(image.width == 160 && image.height == 120)
        }
    }

    @Test func aPlaceOnlyReportTakesItsPositionAndTimeFromThePhoto() async throws {
        // hida-fire.jpg was taken at 2026-11-21T09:30:05.120+09:00 at 36.1461, 137.2522.
        let clock = ManualClock(try #require(RFC3339.date(from: "2026-11-21T09:40:00+09:00")))
        try await TestServer.run(clock: clock) { server in
            let field = try await server.token(.field)
            let hq = try await server.token(.hq)
            let body = #"{"client_key": "k1", "kind": "fire", "place": "Takayama", "text": "Barn fire"}"#
            let created = try await server.request("POST", "/v1/reports", token: field, body: body)
            let reportID = try created.decode(ReportReceipt.self).report.id
            let response = try await server.upload(
                "/v1/reports/\(reportID)/photos", token: field, data: try Self.fixture("hida-fire.jpg"))
            #expect(response.status == 201, "\(response.text)")
            let receipt = try response.decode(PhotoReceipt.self)
            #expect(receipt.filled?.contains("position 36.14610, 137.25220 and observed time") == true)
            let shown = try await server.request("GET", "/v1/reports/\(reportID)", token: hq)
            #expect(shown.text.contains(#""position_source":"photo""#), "\(shown.text)")
            let report = try shown.decode(ReportDetail.self).report
            #expect(report.latitude == 36.1461 && report.longitude == 137.2522)
            #expect(report.observedAt == RFC3339.date(from: "2026-11-21T00:30:05.120Z"))
            #expect(report.observedAtSource == .photo)
        }
    }

    @Test(arguments: 1...8)
    func copiesAreUprightForEveryOrientation(orientation: Int) async throws {
        try await TestServer.run { server in
            let field = try await server.token(.field)
            let hq = try await server.token(.hq)
            let reportID = try await Self.makeReport(server, token: field)
            let response = try await server.upload(
                "/v1/reports/\(reportID)/photos", token: field, data: try Self.fixture("orientation-\(orientation).jpg")
            )
            let photo = try response.decode(PhotoReceipt.self).photo
            #expect(photo.orientation == orientation)
            #expect(
                try await server.eventually {
                    try await server.store.photo(sha256: photo.sha256)?.derivatives == .ready
                })
            let chat = try await server.request("GET", "/v1/photos/\(photo.sha256)/chat", token: hq)
            let image = try DecodedImage.decode(chat.body)
            #expect(image.width == 160 && image.height == 120)
            let topLeft = image.pixel(x: 10, y: 10).map(Int.init)
            let bottomRight = image.pixel(x: 150, y: 110).map(Int.init)
            #expect(topLeft[0] > 150 && topLeft[2] < 90, "red top-left: \(topLeft)")
            #expect(bottomRight[2] > 150 && bottomRight[0] < 90, "blue bottom-right: \(bottomRight)")
        }
    }

    @Test func theSamePhotoTwiceIsOnePhoto() async throws {
        try await TestServer.run { server in
            let field = try await server.token(.field)
            let hq = try await server.token(.hq)
            let reportID = try await Self.makeReport(server, token: field)
            let bytes = try Self.fixture("hida-landslide.jpg")
            let first = try await server.upload("/v1/reports/\(reportID)/photos", token: field, data: bytes)
            let second = try await server.upload("/v1/reports/\(reportID)/photos", token: field, data: bytes)
            #expect(first.status == 201 && second.status == 200)
            #expect(try second.decode(PhotoReceipt.self).created == false)
            let detail = try await server.request("GET", "/v1/reports/\(reportID)", token: hq).decode(ReportDetail.self)
            #expect(detail.photos.count == 1)
            #expect(Self.storedFiles(server).originals.count == 1)
            let incident = try await server.request("GET", "/v1/reports/\(reportID)", token: hq).decode(Report.self)
            let timeline = try await server.request("GET", "/v1/incidents/\(incident.incidentNumber)", token: hq)
                .decode(IncidentDetail.self).timeline
            #expect(timeline.filter { $0.action == .photoAdded }.count == 1)
        }
    }

    @Test func refusedFilesGetAClearErrorAndNothingIsStored() async throws {
        try await TestServer.run { server in
            let field = try await server.token(.field)
            let hq = try await server.token(.hq)
            let reportID = try await Self.makeReport(server, token: field)
            // A photo cut off in its compressed data: the header alone looks fine.
            let whole = try Self.fixture("hida-fire.jpg")
            let cases: [(String, Data, Int, String)] = [
                ("empty", try Self.fixture("empty.jpg"), 415, "the file is empty"),
                // A PNG's signature, then zeros, named .jpg: what it is decides, not its name.
                ("a damaged PNG", try Self.fixture("not-a-jpeg.jpg"), 422, "not a readable PNG"),
                ("a GIF", Data("GIF89a\u{1}\u{0}\u{1}\u{0}".utf8), 415, "this is a GIF image (.gif), not a photo"),
                (
                    "a video", Data([0, 0, 0, 0x14] + Array("ftypqt  \0\0\0\0qt  ".utf8)), 415,
                    "a QuickTime video (.mov)"
                ),
                ("a PDF", Data("%PDF-1.7\n".utf8), 415, "a PDF document (.pdf), not a photo; Noroshi takes JPEG, HEIC"),
                ("a truncated HEIC", try Self.fixture("truncated.heic"), 422, "not a readable HEIC/HEIF"),
                ("a truncated PNG", try Self.fixture("truncated.png"), 422, "not a readable PNG: the data ends early"),
                ("truncated header", try Self.fixture("truncated.jpg"), 422, "not a readable JPEG"),
                ("absurd dimensions", try Self.fixture("absurd-dimensions.jpg"), 422, "60000×60000"),
                ("cut in the data", whole.prefix(whole.count - 300), 422, "ends early"),
            ]
            for (name, bytes, status, message) in cases {
                let response = try await server.upload("/v1/reports/\(reportID)/photos", token: field, data: bytes)
                #expect(response.status == status, "\(name): \(response.text)")
                #expect(response.error?.message.contains(message) == true, "\(name): \(response.text)")
            }
            // Any image type will do (the bytes say which), but not a body that says it is no image.
            let wrongType = try await server.upload(
                "/v1/reports/\(reportID)/photos", token: field, data: whole, contentType: "text/plain")
            #expect(wrongType.status == 415 && wrongType.error?.code == "unsupported_media_type")
            let noReport = try await server.upload("/v1/reports/999999/photos", token: field, data: whole)
            #expect(noReport.status == 404)
            let noToken = try await server.upload("/v1/reports/\(reportID)/photos", token: nil, data: whole)
            #expect(noToken.status == 401)

            let files = Self.storedFiles(server)
            #expect(files.originals.isEmpty && files.incoming.isEmpty, "\(files)")
            let detail = try await server.request("GET", "/v1/reports/\(reportID)", token: hq).decode(ReportDetail.self)
            #expect(detail.photos.isEmpty)
            #expect(try await server.store.photoJobCount() == 0)
            #expect(try await server.request("GET", "/healthz").status == 200)
            // Still healthy: a good photo goes through afterwards.
            let good = try await server.upload("/v1/reports/\(reportID)/photos", token: field, data: whole)
            #expect(good.status == 201)
        }
    }

    @Test func photosOverTheSizeLimitGet413() async throws {
        let body: @Sendable (TestServer) async throws -> Void = { server in
            let field = try await server.token(.field)
            let reportID = try await Self.makeReport(server, token: field)
            let response = try await server.upload(
                "/v1/reports/\(reportID)/photos", token: field, data: try Self.fixture("hida-fire.jpg"))
            #expect(response.status == 413 && response.error?.code == "too_large")
            #expect(Self.storedFiles(server).originals.isEmpty)
        }
        try await TestServer.run(configure: { $0.photoLimits.maxBytes = 1024 }, body)
    }

    @Test func unknownPhotosAndCopiesAre404() async throws {
        try await TestServer.run { server in
            let hq = try await server.token(.hq)
            let missing = String(repeating: "ab", count: 32)
            #expect(try await server.request("GET", "/v1/photos/\(missing)", token: hq).status == 404)
            #expect(try await server.request("GET", "/v1/photos/\(missing)/chat", token: hq).status == 404)
            #expect(try await server.request("GET", "/v1/photos/nothex/chat", token: hq).status == 422)
        }
    }
}
