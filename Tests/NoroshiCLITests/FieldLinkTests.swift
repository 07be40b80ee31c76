import Crypto
import Foundation
import NoroshiHTTPClient
import NoroshiPhotos
import NoroshiTesting
import Synchronization
import Testing

/// The CLI on a bad link: a real daemon behind ``ShapingProxy``, which hangs up every connection after so many
/// bytes, as a mobile link on a mountain road drops.
@Suite(.serialized) struct FieldLinkTests {
    /// A report with two photos through a link cut every 200 KB arrives whole: each photo continues from the
    /// server's offset, so the bytes put on the link stay close to the photos' size (restarting from zero
    /// could never get a 700 KB photo through at all).
    @Test func photosThroughALinkThatDropsEvery200KBArriveWholeEachByteSentAboutOnce() async throws {
        let setup = try CLITests.Setup()
        defer { setup.root.remove() }
        let daemon = try setup.tool.startDaemon(dataDirectory: setup.dataDirectory)
        defer { daemon.stop() }
        let field = try setup.token("field", name: "Landslide patrol 3")
        let proxy = try ShapingProxy(upstreamPort: daemon.port, shape: .init(cutAfter: 200_000))
        defer { proxy.stop() }
        let photos = try [(1000, 560, 7), (900, 640, 8)].map { width, height, seed in
            let file = setup.root.url.appendingPathComponent("IMG_\(seed).jpg")
            try TestPhotos.noisy(width: width, height: height, seed: UInt64(seed)).write(to: file)
            return file
        }
        let payload = try photos.map { try Data(contentsOf: $0).count }.reduce(0, +)
        #expect(payload > 700_000)

        let sent = try await setup.tool.runInBackground(
            ["report", "--kind", "landslide", "--at", "36.2,137.1", "--text", "Slope failure on route 41"]
                + photos.map(\.path),
            environment: ["NOROSHI_SERVER": proxy.url, "NOROSHI_TOKEN": field, "NOROSHI_PROGRESS": "none"])
        #expect(sent.status == 0, "\(sent.output)\n\(sent.errors)")
        #expect(sent.output.contains("Photo IMG_7.jpg") && sent.output.contains("Photo IMG_8.jpg"), "\(sent.output)")
        #expect(proxy.cuts >= 3, "the link was cut only \(proxy.cuts) times")

        // Both photos are on the server, byte for byte.
        let hq = try setup.token("hq", name: "HQ")
        let client = HTTPClient()
        for photo in photos {
            let bytes = try Data(contentsOf: photo)
            let sha256 = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
            let original = try await client.send(
                HTTPRequest(
                    method: "GET", url: daemon.url + "/v1/photos/\(sha256)",
                    headers: [("Authorization", "Bearer \(hq)")]))
            #expect(original.status == 200 && original.body == bytes)
        }
        // What went on the link: the photos, plus at each cut what was in flight and died with the connection:
        // at most the proxy's 16 KiB read and 16 KiB buffer, and what the daemon's side of the socket held and the
        // daemon had not read yet when the link dropped (measured up to 41 KB per cut in all; the proxy alone
        // once lost 48 KiB when its buffer took one read too many). 64 KiB per cut bounds that; a client that
        // started a photo again after a cut would put 200 KB more on the link for each one.
        let ratio = Double(proxy.bytesFromClients) / Double(payload)
        print(
            "FieldLinkTests: \(proxy.bytesFromClients) bytes on the link for \(payload) of photos (\(ratio)×), \(proxy.cuts) cuts"
        )
        #expect(ratio < 1.0 + Double(proxy.cuts) * 65_536 / Double(payload), "ratio \(ratio)")
        let queue = try setup.tool.run(["sync"], environment: ["NOROSHI_SERVER": daemon.url, "NOROSHI_TOKEN": field])
        #expect(queue.status == 0, "\(queue.output)")
    }

    /// A link that drops and stays down: the photo stays queued with its upload remembered, and the next
    /// `sync` (on a good link) continues it instead of starting again.
    @Test func anInterruptedPhotoContinuesOnTheNextSyncFromTheServersOffset() async throws {
        let setup = try CLITests.Setup()
        defer { setup.root.remove() }
        let daemon = try setup.tool.startDaemon(dataDirectory: setup.dataDirectory)
        defer { daemon.stop() }
        let field = try setup.token("field", name: "Poultry farm team")
        // The link carries 150 KB and then goes down for good.
        let proxy = try ShapingProxy(upstreamPort: daemon.port, shape: .init(downAfter: 150_000))
        defer { proxy.stop() }
        let file = setup.root.url.appendingPathComponent("farm.jpg")
        let bytes = try TestPhotos.noisy(width: 640, height: 480, seed: 3)
        try bytes.write(to: file)

        let first = try await setup.tool.runInBackground(
            [
                "report", "--kind", "avian_influenza", "--at", "35.6,140.1", "--text", "Dead birds in house 2",
                file.path,
            ],
            environment: ["NOROSHI_SERVER": proxy.url, "NOROSHI_TOKEN": field, "NOROSHI_PROGRESS": "none"])
        #expect(first.output.contains("opened incident"), "\(first.output)\n\(first.errors)")
        #expect(first.output.contains("1 photo wait in the local queue"), "\(first.output)\n\(first.errors)")

        // The link comes back (the same server, so the queued photo may go there).
        let before = proxy.bytesFromClients
        proxy.reshape { $0.downAfter = nil }
        let second = try await setup.tool.runInBackground(
            ["sync"], environment: ["NOROSHI_SERVER": proxy.url, "NOROSHI_TOKEN": field, "NOROSHI_PROGRESS": "none"])
        #expect(second.status == 0, "\(second.output)\n\(second.errors)")
        #expect(second.output.contains("Photo farm.jpg"), "\(second.output)")
        // The second sync sent only what the server lacked: the photo less the ~150 KB that got through.
        #expect(before >= 100_000)
        let again = proxy.bytesFromClients - before
        #expect(again < bytes.count - 100_000, "sent \(again) of \(bytes.count)")
    }
}

extension FieldLinkTests {
    /// A report written offline on a device whose clock is three days behind, sent two hours later (by that
    /// clock): the server dates it two hours before it arrived, from the wait in the queue, not from the clock.
    /// The device's clock is set wrong with libfaketime (Debian faketime).
    @Test func aQueuedReportKeepsTheMomentItWasWrittenWhenTheDeviceClockIsWrong() async throws {
        let setup = try CLITests.Setup()
        defer { setup.root.remove() }
        let (port, hq) = try setup.fieldDeviceOffline()
        let faketime = URL(fileURLWithPath: "/usr/bin/faketime")
        try #require(
            FileManager.default.isExecutableFile(atPath: faketime.path),
            "faketime is missing: scripts/install-deps.sh --tests installs it")
        let device = CommandLineTool(home: setup.tool.home, executable: faketime)
        let noroshi = CommandLineTool.builtExecutable.path

        let photo = setup.root.url.appendingPathComponent("pass.jpg")
        try TestPhotos.noisy(width: 320, height: 240).write(to: photo)
        let written = try device.run([
            "-f", "-3d", noroshi, "report", "--kind", "fire", "--at", "36.14,137.25", "--text",
            "Smoke seen from the pass",
            photo.path,
        ])
        #expect(written.output.contains("Report saved in the local queue"), "\(written.output)\n\(written.errors)")

        let daemon = try setup.tool.startDaemon(dataDirectory: setup.dataDirectory, port: port)
        defer { daemon.stop() }
        let sent = try await device.runInBackground(["-f", "-70h", noroshi, "sync"])
        #expect(sent.status == 0, "\(sent.output)\n\(sent.errors)")
        let answer = try await HTTPClient().send(
            HTTPRequest(
                method: "GET", url: daemon.url + "/v1/reports/1", headers: [("Authorization", "Bearer \(hq)")]))
        let report = try #require(try JSONSerialization.jsonObject(with: answer.body) as? [String: Any])
        #expect(report["observed_at_source"] as? String == "device", "\(answer.text)")
        let observed = try #require((report["observed_at"] as? String).flatMap(RFC3339Text.date))
        let received = try #require((report["received_at"] as? String).flatMap(RFC3339Text.date))
        // Two hours before receipt, give or take the seconds the test itself took.
        #expect(abs(received.timeIntervalSince(observed) - 7200) < 120, "observed \(observed), received \(received)")
        // The photo queued with it is dated when it was added on the device too.
        let number = try #require(report["incident_number"] as? String)
        let incident = try await HTTPClient().send(
            HTTPRequest(
                method: "GET", url: daemon.url + "/v1/incidents/\(number)",
                headers: [("Authorization", "Bearer \(hq)")]))
        let photos = try #require(
            (try JSONSerialization.jsonObject(with: incident.body) as? [String: Any])?["photos"] as? [[String: Any]])
        let addedText = try #require(photos.first?["added_at"] as? String, "\(incident.text)")
        let added = try #require(RFC3339Text.date(addedText))
        #expect(
            abs(received.timeIntervalSince(added) - 7200) < 120, "photo added \(added), report received \(received)")
    }
}

/// RFC 3339 as the API writes it, read without linking the domain module.
enum RFC3339Text {
    static func date(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text) ?? ISO8601DateFormatter().date(from: text)
    }
}

extension FieldLinkTests {
    /// `noroshi queue` shows what waits; a revoked token sets the reports aside with the reason instead of
    /// trying them for ever; `queue retry` puts them back once a working token is saved; `queue drop` removes.
    @Test func theQueueShowsWhatWaitsARevokedTokenSetsReportsAsideAndRetryAndDropWork() async throws {
        let setup = try CLITests.Setup()
        defer { setup.root.remove() }
        let (port, _) = try setup.fieldDeviceOffline()
        let photo = setup.root.url.appendingPathComponent("slope.jpg")
        try TestPhotos.noisy(width: 200, height: 150).write(to: photo)
        let calm = ["NOROSHI_PROGRESS": "none"]
        for (index, text) in ["Slope failure on route 41", "Rocks on the forest road"].enumerated() {
            let arguments = ["report", "--kind", "landslide", "--at", "36.2,137.\(index)", "--text", text]
            _ = try setup.tool.run(arguments + (index == 0 ? [photo.path] : []), environment: calm)
        }
        let listed = try setup.tool.run(["queue"], environment: calm)
        #expect(listed.status == 0)
        #expect(listed.output.contains("Waiting: 2 reports, 1 photo"), "\(listed.output)")
        #expect(listed.output.contains("R1") && listed.output.contains("R2") && listed.output.contains("1 ph"))
        #expect(listed.output.contains("Couldn't connect"), "\(listed.output)")
        #expect(listed.output.split(separator: "\n").allSatisfy { $0.count <= 80 }, "\(listed.output)")

        // The token is revoked before the link comes back: both reports are set aside, with the reason.
        let daemon = try setup.tool.startDaemon(dataDirectory: setup.dataDirectory, port: port)
        defer { daemon.stop() }
        _ = try setup.tool.run(["token", "revoke", "1", "--data-dir", setup.dataDirectory])
        let refused = try await setup.tool.runInBackground(["sync"], environment: calm)
        #expect(refused.status == 1)
        #expect(refused.errors.contains("revoked"), "\(refused.errors)")
        let aside = try setup.tool.run(["queue", "--json"], environment: calm)
        let listing = try #require(try JSONSerialization.jsonObject(with: Data(aside.output.utf8)) as? [String: Any])
        #expect((listing["reports"] as? [Any])?.isEmpty == true, "\(aside.output)")
        let ids = ((listing["refused"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String }
        #expect(Set(ids) == ["XR1", "XR2", "XP1"], "\(aside.output)")
        // A second sync does not try them again.
        let quiet = try await setup.tool.runInBackground(["sync"], environment: calm)
        #expect(quiet.output.contains("Nothing to send"), "\(quiet.output)")

        // A new token, then retry: everything goes.
        let fresh = try setup.token("field", name: "Landslide patrol 3")
        _ = try setup.tool.run(["login", "--server", daemon.url], input: fresh + "\n")
        #expect(try setup.tool.run(["queue", "retry", "--all"]).output.contains("3 entries are back"))
        let sent = try await setup.tool.runInBackground(["sync"], environment: calm)
        #expect(sent.status == 0, "\(sent.output)\n\(sent.errors)")
        #expect(
            sent.output.contains("Photo slope.jpg") && sent.output.contains("Sent 2 queued reports"), "\(sent.output)")

        // drop: asks (and refuses off a terminal without --yes), then removes the entry and its copy.
        daemon.stop()
        _ = try setup.tool.run(["report", "--kind", "fire", "--at", "36.2,137.3", "--text", "mistake", photo.path])
        let waiting = try setup.tool.run(["queue", "--json"])
        let entry = try #require(
            ((try JSONSerialization.jsonObject(with: Data(waiting.output.utf8)) as? [String: Any])?["reports"]
                as? [[String: Any]])?.first?["id"] as? String)
        let unasked = try setup.tool.run(["queue", "drop", entry])
        #expect(unasked.status == 1 && unasked.errors.contains("--yes"), "\(unasked.errors)")
        let dropped = try setup.tool.run(["queue", "drop", entry.lowercased(), "--yes"])
        #expect(
            dropped.status == 0 && dropped.output.contains("Dropped \(entry)"), "\(dropped.output)\(dropped.errors)")
        let empty = try setup.tool.run(["queue"])
        #expect(empty.output.contains("The local queue is empty"), "\(empty.output)")
        let copies = FileManager.default.enumerator(
            atPath: setup.tool.home.appendingPathComponent(".local/share/noroshi/queue-photos").path)?
            .compactMap { $0 as? String }.filter { $0.hasSuffix(".jpg") }
        #expect(copies?.isEmpty ?? true, "\(copies ?? [])")
    }

    /// `sync --watch` keeps trying while the server is away and finishes once it is back; a report written
    /// for one server is never sent to another.
    @Test func syncWatchWaitsForTheServerAndEntriesStayWithTheirServer() async throws {
        let setup = try CLITests.Setup()
        defer { setup.root.remove() }
        let (port, _) = try setup.fieldDeviceOffline()
        _ = try setup.tool.run(["report", "--kind", "flood", "--at", "35.0,136.9", "--text", "River over the bank"])

        // Another server: the report is not sent there.
        let other = try setup.tool.startDaemon(dataDirectory: setup.root.url.appendingPathComponent("other").path)
        let elsewhere = try await setup.tool.runInBackground(["sync", "--server", other.url])
        other.stop()
        #expect(elsewhere.status == 1 && elsewhere.errors.contains("written for http://127.0.0.1:\(port)"))

        let tool = setup.tool
        let watching = Task {
            try await tool.runInBackground(["sync", "--watch"], environment: ["NOROSHI_PROGRESS": "none"])
        }
        try await Task.sleep(for: .seconds(2))
        let daemon = try setup.tool.startDaemon(dataDirectory: setup.dataDirectory, port: port)
        defer { daemon.stop() }
        let result = try await watching.value
        #expect(result.status == 0, "\(result.output)\n\(result.errors)")
        #expect(result.output.contains("Next try in"), "\(result.output)")
        #expect(result.output.contains("opened incident"), "\(result.output)")
        #expect(result.output.contains("the queue is empty"), "\(result.output)")
    }
}

extension FieldLinkTests {
    /// On a link that carries the report and the previews and then goes down, HQ already has the report and a
    /// chat copy of every photo; the next sync sends the originals, which replace the previews. Previews go
    /// before any original; `--originals-first` sends none.
    @Test func previewsGoBeforeOriginalsSoHQSeesEveryPhotoBeforeTheLinkDrops() async throws {
        let setup = try CLITests.Setup()
        defer { setup.root.remove() }
        let daemon = try setup.tool.startDaemon(dataDirectory: setup.dataDirectory)
        defer { daemon.stop() }
        let field = try setup.token("field", name: "Landslide patrol 3")
        let hq = try setup.token("hq", name: "HQ")
        var previews = 0
        let photos = try [(1800, 1350, 11), (1700, 1275, 12)].map { width, height, seed in
            let file = setup.root.url.appendingPathComponent("IMG_\(seed).jpg")
            try TestPhotos.noisy(width: width, height: height, seed: UInt64(seed)).write(to: file)
            previews += try #require(try Derivatives.make(path: file.path, orientation: 1, specs: [.chat])["chat"]).jpeg
                .count
            return file
        }
        // The link carries the report, both previews and some headers, then goes down for good.
        let proxy = try ShapingProxy(upstreamPort: daemon.port, shape: .init(downAfter: previews + 40_000))
        defer { proxy.stop() }
        let environment = ["NOROSHI_SERVER": proxy.url, "NOROSHI_TOKEN": field, "NOROSHI_PROGRESS": "none"]
        let first = try await setup.tool.runInBackground(
            ["report", "--kind", "landslide", "--at", "36.2,137.1", "--text", "Slope failure"] + photos.map(\.path),
            environment: environment)
        #expect(first.output.contains("Preview of IMG_11.jpg (1280×960"), "\(first.output)\n\(first.errors)")
        #expect(first.output.contains("Preview of IMG_12.jpg (1280×960"), "\(first.output)")
        #expect(first.output.contains("2 photos wait in the local queue"), "\(first.output)")

        let client = HTTPClient()
        func report() async throws -> [[String: Any]] {
            let answer = try await client.send(
                HTTPRequest(
                    method: "GET", url: daemon.url + "/v1/reports/1", headers: [("Authorization", "Bearer \(hq)")]))
            return
                ((try JSONSerialization.jsonObject(with: answer.body) as? [String: Any])?["photos"]
                as? [[String: Any]]) ?? []
        }
        let held = try await report()
        #expect(held.count == 2 && held.allSatisfy { $0["preview_only"] as? Bool == true }, "\(held)")

        proxy.reshape { $0.downAfter = nil }
        let second = try await setup.tool.runInBackground(["sync"], environment: environment)
        #expect(second.status == 0, "\(second.output)\n\(second.errors)")
        #expect(!second.output.contains("Preview of"), "previews were sent twice: \(second.output)")
        let stored = try await report()
        #expect(stored.count == 2 && stored.allSatisfy { $0["preview_only"] == nil }, "\(stored)")

        // The timeline: both previews before either original.
        let incident = try await client.send(
            HTTPRequest(
                method: "GET", url: daemon.url + "/v1/incidents/L-2026-0001",
                headers: [("Authorization", "Bearer \(hq)")]))
        let timeline =
            ((try JSONSerialization.jsonObject(with: incident.body) as? [String: Any])?["timeline"]
            as? [[String: Any]] ?? []).compactMap { $0["message"] as? String }
        let previewAt = timeline.indices.filter { timeline[$0].hasPrefix("Preview of photo") }
        let originalAt = timeline.indices.filter { timeline[$0].hasPrefix("Original of photo") }
        #expect(previewAt.count == 2 && originalAt.count == 2, "\(timeline)")
        #expect((previewAt.max() ?? .max) < (originalAt.min() ?? .min), "\(timeline)")

        // --originals-first: no previews.
        let direct = try await setup.tool.runInBackground(
            ["report", "--kind", "fire", "--at", "35.1,137.3", "--text", "Barn", "--originals-first", photos[1].path],
            environment: ["NOROSHI_SERVER": daemon.url, "NOROSHI_TOKEN": field, "NOROSHI_PROGRESS": "none"])
        #expect(direct.status == 0 && !direct.output.contains("Preview of"), "\(direct.output)")
    }
}

extension FieldLinkTests {
    /// On a 1 s link every round trip is a second: a photo and its preview each go in one request (the file in
    /// the tus creation's body, whose answer names the stored photo), with no PATCH, HEAD or GET of the upload.
    @Test func aPhotoAndItsPreviewEachGoInOneRequest() async throws {
        let setup = try CLITests.Setup()
        defer { setup.root.remove() }
        let daemon = try setup.tool.startDaemon(dataDirectory: setup.dataDirectory)
        defer { daemon.stop() }
        let field = try setup.token("field", name: "Landslide patrol 3")
        let hq = try setup.token("hq", name: "HQ")
        let file = setup.root.url.appendingPathComponent("IMG_21.jpg")
        try TestPhotos.noisy(width: 1800, height: 1350, seed: 21).write(to: file)
        let sent = try await setup.tool.runInBackground(
            ["report", "--kind", "landslide", "--at", "36.2,137.1", "--text", "Slope failure", file.path],
            environment: ["NOROSHI_SERVER": daemon.url, "NOROSHI_TOKEN": field, "NOROSHI_PROGRESS": "none"])
        #expect(sent.output.contains("Preview of IMG_21.jpg (1280×960"), "\(sent.output)\n\(sent.errors)")
        #expect(sent.output.contains("Photo IMG_21.jpg (1800×1350"), "\(sent.output)\n\(sent.errors)")

        let metrics = try await HTTPClient().send(
            HTTPRequest(method: "GET", url: daemon.url + "/metrics", headers: [("Authorization", "Bearer \(hq)")]))
        let uploads = metrics.text.split(separator: "\n").filter {
            $0.hasPrefix("noroshi_http_requests_total{") && $0.contains("uploads")
        }
        func count(_ method: String) -> Int {
            uploads.filter { $0.contains("method=\"\(method)\"") }.compactMap { Int($0.split(separator: " ").last!) }
                .reduce(0, +)
        }
        #expect(count("POST") == 2, "\(uploads)")
        #expect(count("PATCH") == 0 && count("HEAD") == 0 && count("GET") == 0, "\(uploads)")
    }

    /// The client's progress counts bytes that left the device, not bytes its kernel took: through a link of
    /// 200 KB/s a 1 MB upload's progress runs at most the 128 KiB unsent backlog (and the proxy's buffers)
    /// ahead of what crossed (the kernel once took all of it at once, and a slow link's upload then showed 87 %
    /// and no progress for a minute). And a cut link is seen as a reset, not waited out until the stall timeout.
    @Test func progressCountsBytesThatLeftAndACutIsSeenAtOnce() async throws {
        let setup = try CLITests.Setup()
        defer { setup.root.remove() }
        let daemon = try setup.tool.startDaemon(dataDirectory: setup.dataDirectory)
        defer { daemon.stop() }
        let field = try setup.token("field", name: "Landslide patrol 3")
        let report = try setup.tool.run(
            ["report", "--kind", "landslide", "--at", "36.2,137.1", "--text", "Slope failure"],
            environment: ["NOROSHI_SERVER": daemon.url, "NOROSHI_TOKEN": field])
        #expect(report.output.contains("Report 1 opened incident"), "\(report.output)\n\(report.errors)")
        let file = setup.root.url.appendingPathComponent("IMG_31.jpg")
        let photo = try TestPhotos.noisy(width: 1000, height: 800, seed: 31)
        #expect(photo.count > 600_000, "\(photo.count) bytes")
        try photo.write(to: file)

        func post(through proxy: ShapingProxy) async -> (ahead: Int, outcome: Result<Int, HTTPClientError>) {
            let ahead = Mutex(0)
            let request = HTTPRequest(
                method: "POST", url: proxy.url + "/v1/reports/1/photos",
                headers: [("Authorization", "Bearer \(field)"), ("Content-Type", "image/jpeg")], bodyFile: file.path,
                timeout: .zero, stallTimeout: .seconds(20))
            let outcome = await Task.detached {
                Result { () throws(HTTPClientError) in
                    try HTTPClient().perform(request) { progress in
                        ahead.withLock { $0 = max($0, Int(progress.sent) - proxy.bytesUpstream) }
                    }.status
                }
            }.value
            return (ahead.withLock { $0 }, outcome)
        }

        let slow = try ShapingProxy(upstreamPort: daemon.port, shape: .init(bytesPerSecond: 200_000))
        defer { slow.stop() }
        let (ahead, stored) = await post(through: slow)
        #expect((try? stored.get()) == 201, "\(stored)")
        #expect(ahead < 300_000, "the progress ran \(ahead) bytes ahead of the link")

        let cut = try ShapingProxy(upstreamPort: daemon.port, shape: .init(bytesPerSecond: 200_000, cutAfter: 100_000))
        defer { cut.stop() }
        let (_, dropped) = await post(through: cut)
        guard case .failure(let error) = dropped else {
            Issue.record("a cut upload succeeded")
            return
        }
        #expect(!error.message.localizedCaseInsensitiveContains("too slow"), "\(error.message)")
    }
}
