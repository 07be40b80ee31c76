import ArgumentParser
import Foundation
import GRDB
import NoroshiClient
import NoroshiCore
import NoroshiPhotos
import NoroshiTesting

/// `noroshi-bench field`: a patrol's queue through a bad mobile link, with `noroshi sync`, and the same
/// queue through plain uploads for comparison.
struct FieldBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "field",
        abstract: "Time a field queue (reports, then previews, then originals) through a shaped link.",
        discussion: """
            Writes --reports reports with --photos-per-report phone-sized photos each (12 MP, 3–5 MB, whose 1280 px
            copies are about 150 KB, as a real photo's are), queues them with `noroshi report` while
            the link is down, then runs `noroshi sync` through a ShapingProxy (--rate bytes/s, --rtt, a cut every
            --cut bytes) to the real daemon. It reports when every text, every preview and every original was on
            the server (read from the daemon's database) and the bytes the link carried over what had to cross
            (originals and previews). The same reports and photos then go through plain uploads (POST, from the
            start again after each cut) for --plain-minutes.

              swift build --product noroshi && swift build --product noroshi-bench
              .build/debug/noroshi-bench field --rate 32000 --rtt 1 --cut 400000 \
                  --noroshi .build/debug/noroshi

            (One `--product` per `swift build`: given two, it builds only the last.)
            """)

    @Option(help: "Reports in the queue.") var reports = 20
    @Option(help: "Photos per report.") var photosPerReport = 2
    @Option(help: "Link rate in bytes per second, each way (32000 = 256 kbit/s).") var rate = 32_000
    @Option(help: "Round trip in seconds.") var rtt = 1.0
    @Option(help: "Bytes after which each connection is cut.") var cut = 400_000
    @Option(help: "Stop waiting for originals after this many minutes (what arrived by then is reported).")
    var minutes = 110.0
    @Option(help: "Minutes for the plain-upload comparison (0: skip it).") var plainMinutes = 5.0
    @Option(help: "The noroshi binary.") var noroshi = ".build/release/noroshi"
    @Option(help: "Keep what `noroshi sync --watch` printed in this file.") var keepLog: String?

    func run() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("noroshi-field-bench-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let photos = try Self.makePhotos(count: reports * photosPerReport, in: folder)
        let originals = try photos.map { try Data(contentsOf: $0).count }.reduce(0, +)
        let previews = try photos.map {
            try Derivatives.make(path: $0.path, orientation: 1, specs: [.chat])["chat"]?.jpeg.count ?? 0
        }
        print(
            "queue: \(reports) reports, \(photos.count) photos, \(originals / 1_000_000) MB of originals "
                + "(\(originals / photos.count / 1000) KB each), previews \(previews.reduce(0, +) / photos.count / 1000) KB each"
        )
        print(
            String(
                format: "link: %d kbit/s, %.1f s round trip, cut every %d KB", rate * 8 / 1000, rtt, cut / 1000))

        let tool = CommandLineTool(
            home: folder.appendingPathComponent("home"), executable: URL(fileURLWithPath: noroshi))
        let data = folder.appendingPathComponent("data").path
        let token = try Self.token(tool, data: data)
        let daemon = try tool.startDaemon(dataDirectory: data)
        defer { _ = daemon.stop() }
        let database = try DatabaseQueue(
            path: data + "/noroshi.sqlite",
            configuration: {
                var c = Configuration()
                c.readonly = true
                return c
            }())

        let shape = ShapingProxy.Shape(
            latency: .milliseconds(Int64(rtt * 500)), bytesPerSecond: rate, cutAfter: cut, downAfter: 0)
        let proxy = try ShapingProxy(upstreamPort: daemon.port, shape: shape)
        defer { proxy.stop() }
        let environment = ["NOROSHI_SERVER": proxy.url, "NOROSHI_TOKEN": token, "NOROSHI_PROGRESS": "none"]
        for index in 0..<reports {
            let files = photos[index * photosPerReport..<(index + 1) * photosPerReport].map(\.path)
            _ = try tool.run(
                ["report", "--kind", "landslide", "--at", "36.2\(index),137.1", "--text", "Slope failure \(index + 1)"]
                    + files, environment: environment)
        }
        // The link comes back: shaped, not down.
        proxy.reshape { $0.downAfter = nil }
        let before = proxy.bytesFromClients
        let started = Date()
        let sync = Process()
        sync.executableURL = URL(fileURLWithPath: noroshi)
        sync.arguments = ["sync", "--watch"]
        // Its progress lines go into the log (--keep-log) with the time they were written.
        sync.environment = tool.environment(environment.merging(["NOROSHI_PROGRESS": "lines"]) { $1 })
        let log = folder.appendingPathComponent("sync.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let logHandle = try FileHandle(forWritingTo: log)
        sync.standardOutput = logHandle
        sync.standardError = logHandle
        try sync.run()
        defer { if sync.isRunning { sync.terminate() } }

        var texts: Double?
        var previewsIn: Double?
        var originalsIn: Double?
        let deadline = started.addingTimeInterval(minutes * 60)
        var lastPrint = Date()
        while Date() < deadline {
            let (reportCount, photoCount, wholeCount) = try await database.read { db in
                (
                    try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM report") ?? 0,
                    try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM photo") ?? 0,
                    try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM photo WHERE preview_only = 0") ?? 0
                )
            }
            let now = Date().timeIntervalSince(started)
            if texts == nil, reportCount >= reports { texts = now }
            if previewsIn == nil, photoCount >= photos.count { previewsIn = now }
            if originalsIn == nil, wholeCount >= photos.count { originalsIn = now }
            if Date().timeIntervalSince(lastPrint) >= 30 {
                lastPrint = Date()
                FileHandle.standardError.write(
                    Data(
                        String(
                            format: "  %.0f s: %d reports, %d photos, %d originals, %.1f MB on the link\n", now,
                            reportCount, photoCount, wholeCount, Double(proxy.bytesFromClients - before) / 1e6
                        ).utf8))
            }
            if originalsIn != nil { break }
            try await Task.sleep(for: .milliseconds(250))
        }
        let carried = proxy.bytesFromClients - before
        let payload = originals + previews.reduce(0, +)
        let wholes = try await database.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM photo WHERE preview_only = 0") ?? 0
        }
        func when(_ seconds: Double?) -> String {
            seconds.map { String(format: "%.1f s", $0) } ?? "not within \(Int(minutes)) min"
        }
        print("noroshi sync (tus, previews first):")
        print("  every text on the server:     \(when(texts))  (goal: under 30 s)")
        print("  every preview:                \(when(previewsIn))  (goal: under 5 min)")
        print("  every original:               \(when(originalsIn))  (\(wholes) of \(photos.count) arrived)")
        if originalsIn != nil {
            print(
                String(
                    format: "  bytes on the link / payload: %.3f  (%d cuts; goal: at most 1.1)",
                    Double(carried) / Double(payload), proxy.cuts))
        } else {
            let elapsed = Date().timeIntervalSince(started)
            print(
                String(
                    format: "  after %.0f s: %.0f MB on the link, %.1f KB/s of the link's %.1f KB/s; %d cuts", elapsed,
                    Double(carried) / 1e6, Double(carried) / elapsed / 1000, Double(rate) / 1000, proxy.cuts))
        }
        sync.terminate()
        sync.waitUntilExit()
        if let keep = keepLog {
            try? FileManager.default.removeItem(atPath: keep)
            try FileManager.default.copyItem(atPath: log.path, toPath: keep)
        }

        guard plainMinutes > 0 else { return }
        try await plain(photos: photos, daemon: daemon, token: token)
    }

    /// The same queue through plain POSTs: each report, then each photo whole, again from the start after a cut.
    func plain(photos: [URL], daemon: CommandLineTool.Daemon, token: String) async throws {
        let shape = ShapingProxy.Shape(latency: .milliseconds(Int64(rtt * 500)), bytesPerSecond: rate, cutAfter: cut)
        let proxy = try ShapingProxy(upstreamPort: daemon.port, shape: shape)
        defer { proxy.stop() }
        let client = APIClient(server: proxy.url, token: token)
        let started = Date()
        let deadline = started.addingTimeInterval(plainMinutes * 60)
        var ids: [Int64] = []
        for index in 0..<reports where Date() < deadline {
            let submission = ReportSubmission(
                clientKey: "plain-\(getpid())-\(index)", kind: "landslide", latitude: 36.3, longitude: 137.2,
                text: "Slope failure \(index + 1) (plain)")
            while Date() < deadline {
                if let receipt = try? await client.call("POST", "/v1/reports", body: submission, as: ReportReceipt.self)
                {
                    ids.append(receipt.report.id)
                    break
                }
            }
        }
        let texts = ids.count == reports ? Date().timeIntervalSince(started) : nil
        var stored = 0
        var attempts = 0
        upload: for (index, photo) in photos.enumerated() where index / photosPerReport < ids.count {
            while Date() < deadline {
                attempts += 1
                if (try? client.upload(
                    "/v1/reports/\(ids[index / photosPerReport])/photos", file: photo, as: PhotoReceipt.self,
                    progress: { _ in })) != nil
                {
                    stored += 1
                    continue upload
                }
            }
            break
        }
        print("plain uploads (POST, no resume, no previews), for \(Int(plainMinutes)) min:")
        print("  every text on the server:     \(texts.map { String(format: "%.1f s", $0) } ?? "no")")
        print(
            "  originals stored:             \(stored) of \(photos.count) (\(attempts) attempts, \(proxy.cuts) cuts, "
                + "\(proxy.bytesFromClients / 1_000_000) MB on the link)")
    }

    static func token(_ tool: CommandLineTool, data: String) throws -> String {
        let result = try tool.run([
            "token", "create", "--role", "field", "--name", "Landslide patrol 3", "--data-dir", data, "--json",
            "--init",
        ])
        guard result.status == 0,
            let object = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any],
            let secret = object["secret"] as? String
        else { throw ValidationError("token create failed: \(result.errors)") }
        return secret
    }

    /// Phone-sized photos: 4000×3000 at quality 92, of a smooth picture with detail at two scales: per-pixel
    /// noise, which makes the original about as large as a phone's (3–5 MB) and averages out in the 1280 px copy,
    /// and 12 px patches, which survive in it, so that the chat copy (about 150 KB) is as large as a real photo's
    /// (105–260 KB measured on the real photos of `scripts/real-photos.sh`).
    static func makePhotos(count: Int, in folder: URL) throws -> [URL] {
        let width = 4000
        let height = 3000
        let patch = 12
        return try (0..<count).map { index in
            var state = UInt64(index + 1) &* 0x9E37_79B9_7F4A_7C15 | 1
            func next() -> Int {
                state ^= state << 13
                state ^= state >> 7
                state ^= state << 17
                return Int(state & 0xFF)
            }
            let columns = (width + patch - 1) / patch
            let patches = (0..<columns * ((height + patch - 1) / patch)).map { _ in next() * 20 / 255 - 10 }
            var pixels = [UInt8](repeating: 0, count: width * height * 3)
            let amplitude = 16 + index % 5 * 3
            for y in 0..<height {
                for x in 0..<width {
                    let noise = next() * amplitude / 255 - amplitude / 2 + patches[y / patch * columns + x / patch]
                    let at = (y * width + x) * 3
                    pixels[at] = UInt8(clamping: x * 200 / width + 30 + noise)
                    pixels[at + 1] = UInt8(clamping: y * 180 / height + 40 + noise)
                    pixels[at + 2] = UInt8(clamping: (x + y) * 120 / (width + height) + 60 + noise)
                }
            }
            let url = folder.appendingPathComponent(String(format: "IMG_%04d.jpg", index + 1))
            try DecodedImage(width: width, height: height, components: 3, pixels: pixels).encode(quality: 92)
                .write(to: url)
            return url
        }
    }
}
