import Foundation
import NoroshiCore
import NoroshiHTTPClient
import NoroshiPhotos
import NoroshiServer
import NoroshiStorage
import NoroshiTesting
import Testing

/// Previews first: a device's chat copy, sent ahead of the original, stands in for it on the board and in
/// chat until the original comes; then the server's own copies replace it.
@Suite struct PreviewTests {
    static func metadata(report: Int64, preview: Data, of original: Data, width: Int, height: Int) -> String {
        let pairs = [
            ("report_id", String(report)), ("filename", "IMG_0042.jpg"), ("sha256", PhotoAPITests.sha256(preview)),
            ("preview_of", PhotoAPITests.sha256(original)), ("original_length", String(original.count)),
            ("original_width", String(width)), ("original_height", String(height)), ("original_orientation", "1"),
        ]
        return pairs.map { "\($0.0) \(Data($0.1.utf8).base64EncodedString())" }.joined(separator: ",")
    }

    /// Sends a preview through a resumable upload; returns the PATCH's answer.
    static func sendPreview(_ tus: ResumableUploadTests.Tus, metadata: String, bytes: Data) async throws
        -> HTTPResponse
    {
        let created = try await tus.send(
            "POST", "/v1/uploads", headers: [("Upload-Length", String(bytes.count)), ("Upload-Metadata", metadata)])
        #expect(created.status == 201, "\(created.text)")
        return try await tus.patch(try #require(created.header("Location")), offset: 0, bytes)
    }

    @Test func aPreviewStandsInForItsOriginalUntilTheOriginalReplacesIt() async throws {
        try await TestServer.run { server in
            let field = try await server.token(.field)
            let hq = try await server.token(.hq)
            let tus = ResumableUploadTests.Tus(server: server, token: field)
            let report = try await PhotoAPITests.makeReport(server, token: field)
            let original = try TestPhotos.noisy(width: 1600, height: 1200, seed: 5)
            // A device's chat copy, at a lower quality than the server's, so that the two can be told apart.
            let spec = DerivativeSpec(name: "chat", longSide: 1280, quality: 60)
            let preview = try #require(
                try Derivatives.make(bytes: [UInt8](original), orientation: 1, specs: [spec])["chat"]
            ).jpeg
            let sha256 = PhotoAPITests.sha256(original)

            let sent = try await Self.sendPreview(
                tus, metadata: Self.metadata(report: report, preview: preview, of: original, width: 1600, height: 1200),
                bytes: preview)
            #expect(sent.status == 204, "\(sent.text)")
            let held = try #require(try await server.store.photo(sha256: sha256))
            #expect(held.previewOnly == true && held.width == 1600 && held.bytes == original.count)
            #expect(held.chat == Photo.Size(width: 1280, height: 960))
            // HQ sees the preview as the chat copy; the original is not here yet, and says so.
            let chat = try await server.request("GET", "/v1/photos/\(sha256)/chat", token: hq)
            #expect(chat.status == 200 && chat.body == preview)
            let missing = try await server.request("GET", "/v1/photos/\(sha256)", token: hq)
            #expect(missing.status == 404 && missing.error?.message.contains("Only a preview") == true)
            #expect(
                try await server.eventually { try await server.store.photo(sha256: sha256)?.thumb?.width == 320 },
                "the preview's thumb was not made")
            let detail = try await server.store.reportDetail(id: report)
            #expect(detail.photos.map(\.sha256) == [sha256])
            // The board shows it, marked as a preview, with no original to download yet.
            let board = BoardClient(server: server)
            _ = try await board.signIn(token: hq)
            let page = try await board.get("/incidents/\(detail.report.incidentNumber)")
            #expect(page.text.contains("/photos/\(sha256)/thumb") && page.text.contains("the original is on its way"))
            #expect(!page.text.contains("href=\"/photos/\(sha256)\" download"))

            // The original arrives (by plain POST here): 201, stored, and the server makes its own copies.
            let arrived = try await server.upload("/v1/reports/\(report)/photos", token: field, data: original)
            #expect(arrived.status == 201, "\(arrived.text)")
            #expect(try arrived.decode(PhotoReceipt.self).photo.previewOnly == nil)
            let stored = try await server.request("GET", "/v1/photos/\(sha256)", token: hq)
            #expect(stored.body == original)
            let replaced = try await server.eventually {
                guard try await server.store.photo(sha256: sha256)?.derivatives == .ready else { return false }
                return try await server.request("GET", "/v1/photos/\(sha256)/chat", token: hq).body != preview
            }
            #expect(replaced, "the original's own chat copy did not replace the preview")
            #expect(try await server.store.reportDetail(id: report).photos.count == 1)
            let after = try await board.get("/incidents/\(detail.report.incidentNumber)")
            #expect(after.text.contains("href=\"/photos/\(sha256)\" download") && !after.text.contains("on its way"))
            let incident = try await server.store.incidentDetail(detail.report.incidentNumber)
            let timeline = incident.timeline.map(\.message)
            #expect(
                timeline.contains { $0.hasPrefix("Preview of photo \(sha256.prefix(12)) (1280×960)") }, "\(timeline)")
            #expect(
                timeline.contains { $0.hasPrefix("Original of photo \(sha256.prefix(12))") && !$0.contains("did not") })
        }
    }

    @Test func aPreviewThatCannotBeAChatCopyOfItsOriginalIsRefusedAndALyingOneIsCaught() async throws {
        try await TestServer.run { server in
            let field = try await server.token(.field)
            let tus = ResumableUploadTests.Tus(server: server, token: field)
            let report = try await PhotoAPITests.makeReport(server, token: field)
            let original = try TestPhotos.noisy(width: 1200, height: 1600, seed: 6)
            let small = try TestPhotos.noisy(width: 640, height: 480, seed: 7)
            // A 640×480 preview cannot be the chat copy of a 1600×1200 photo (that is 1280×960): refused.
            let refused = try await Self.sendPreview(
                tus, metadata: Self.metadata(report: report, preview: small, of: original, width: 1600, height: 1200),
                bytes: small)
            #expect(refused.status == 422 && refused.error?.message.contains("would be 1280×960") == true)
            #expect(try await server.store.photo(sha256: PhotoAPITests.sha256(original)) == nil)

            // A preview that fits the size announced, but the original that comes is portrait: the timeline says
            // the preview did not show this photo (the original is kept: it is the evidence).
            let landscape = try TestPhotos.noisy(width: 1280, height: 960, seed: 8)
            let accepted = try await Self.sendPreview(
                tus,
                metadata: Self.metadata(report: report, preview: landscape, of: original, width: 1600, height: 1200),
                bytes: landscape)
            #expect(accepted.status == 204, "\(accepted.text)")
            let arrived = try await server.upload("/v1/reports/\(report)/photos", token: field, data: original)
            #expect(arrived.status == 201)
            let number = try await server.store.reportDetail(id: report).report.incidentNumber
            let timeline = try await server.store.incidentDetail(number).timeline.map(\.message)
            #expect(timeline.contains { $0.contains("the preview did not show this photo") }, "\(timeline)")
        }
    }
}
