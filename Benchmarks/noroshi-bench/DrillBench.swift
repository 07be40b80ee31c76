import ArgumentParser
import Foundation
import NoroshiTesting

/// `noroshi-bench drill`: writes a two-hour playbook (200 injects, 50 photos by default) and times
/// `noroshi drill run` on it, the release binary as a drill coordinator runs it.
struct DrillBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drill",
        abstract: "Time 'noroshi drill run' on a generated two-hour playbook (the issue's target: under 10 s).",
        discussion: """
            Twenty fire sites 6 km apart get reports in turn (every fourth with a photo, a distinct JPEG each),
            status changes and HQ links; one room is unreachable for ten minutes and another rate-limited for
            ten, and the daemon restarts half-way. The playbook and the report stay in --keep DIR if given.

              swift build -c release --product noroshi
              .build/release/noroshi-bench drill --injects 200 --photos 50 --photo Fixtures/photos/hida-fire.jpg
            """
    )

    @Option(help: "Injects in the playbook.") var injects = 200
    @Option(help: "How many of the reports carry a photo.") var photos = 50
    @Option(help: "The JPEG the photos are made from (each copy gets its own comment, so its own hash).")
    var photo = FixtureFiles.photo("hida-fire.jpg").path
    @Option(help: "The noroshi binary.") var noroshi = ".build/release/noroshi"
    @Option(help: "Runs to time.") var runs = 3
    @Option(help: "Keep the playbook, photos and reports in this folder.") var keep: String?

    func run() throws {
        let folder =
            keep.map { URL(fileURLWithPath: $0, isDirectory: true) }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("noroshi-drill-bench-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { if keep == nil { try? FileManager.default.removeItem(at: folder) } }
        let original = try Data(contentsOf: URL(fileURLWithPath: photo))
        guard original.starts(with: [0xFF, 0xD8]) else { throw ValidationError("\(photo) is not a JPEG file.") }
        let playbook = folder.appendingPathComponent("two-hours.yaml")
        try Self.playbook(injects: injects, photos: photos, original: original, folder: folder)
            .write(to: playbook, atomically: true, encoding: .utf8)
        print(
            "playbook: \(injects) injects over 2 h, \(photos) photos of \(original.count / 1024) KB "
                + "(\(URL(fileURLWithPath: photo).lastPathComponent))")
        var times: [Double] = []
        for run in 1...runs {
            let started = Date()
            let process = Process()
            process.executableURL = URL(fileURLWithPath: noroshi)
            process.arguments = ["drill", "run", playbook.path, "--out", folder.appendingPathComponent("report").path]
            process.standardError = FileHandle.nullDevice
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            let seconds = Date().timeIntervalSince(started)
            times.append(seconds)
            let verdict = text.split(separator: "\n").first.map(String.init) ?? "(no output)"
            print(String(format: "run %d: %.2f s  exit %d  %@", run, seconds, process.terminationStatus, verdict))
        }
        var usage = rusage()
        getrusage(RUSAGE_CHILDREN.rawValue, &usage)
        let sorted = times.sorted()
        print(
            String(
                format: "drill run: median %.2f s, best %.2f s, worst %.2f s; peak RSS %.0f MB (target: under 10 s)",
                sorted[sorted.count / 2], sorted.first ?? 0, sorted.last ?? 0, Double(usage.ru_maxrss) / 1024))
    }

    /// The generated scenario.
    static func playbook(injects: Int, photos: Int, original: Data, folder: URL) throws -> String {
        let sites = 20
        var lines = [
            "name: Benchmark — \(injects) injects over two hours",
            "rooms: {fire-hq: , city-hall: {language: en}}",
            "injects:",
        ]
        func at(_ index: Int) -> String {
            let seconds = index * 7200 / max(injects - 1, 1)
            return String(format: "\"+%02d:%02d:%02d\"", seconds / 3600, seconds / 60 % 60, seconds % 60)
        }
        var reports = 0
        var photosLeft = photos
        var keysBySite: [[String]] = Array(repeating: [], count: sites)
        var statusesBySite = Array(repeating: 0, count: sites)
        let statuses = ["confirmed", "responding", "contained", "closed"]
        for index in 0..<injects {
            lines.append("  - at: \(at(index))")
            let site = index % sites
            switch index {
            case injects / 6:
                lines.append("    fault: {room: fire-hq, kind: unreachable, until: \(at(index + injects / 12))}")
                continue
            case injects / 3:
                lines.append(
                    "    fault: {room: city-hall, kind: rate_limited, retry_after: 30s, until: \(at(index + injects / 12))}"
                )
                continue
            case injects / 2:
                lines.append("    restart: true")
                continue
            default: break
            }
            // After the first round, every fifth inject is HQ's: the site's incident moves on a step.
            if index >= sites, index % 5 == 1, let first = keysBySite[site].first,
                statusesBySite[site] < statuses.count
            {
                lines.append("    status: {incident: \(first), to: \(statuses[statusesBySite[site]])}")
                statusesBySite[site] += 1
                continue
            }
            reports += 1
            let key = "r\(reports)"
            keysBySite[site].append(key)
            // Sites 6 km apart along a line through Takayama, each report a few metres from the last.
            let latitude = 36.0 + Double(site) * 0.054 + Double(reports % 7) * 0.0001
            lines.append("    report:")
            lines.append("      key: \(key)")
            lines.append("      kind: fire")
            lines.append(String(format: "      latitude: %.5f", latitude))
            lines.append("      longitude: 137.25")
            lines.append("      text: 現場\(site + 1) 第\(keysBySite[site].count)報")
            if photosLeft > 0, reports % 2 == 0 {
                photosLeft -= 1
                let file = folder.appendingPathComponent("photo-\(photos - photosLeft).jpg")
                try variant(of: original, number: photos - photosLeft).write(to: file)
                lines.append("      photos: [\(file.lastPathComponent)]")
            }
        }
        lines.append("expect:")
        lines.append("  - same_incident: [\(keysBySite[0].joined(separator: ", "))]")
        lines.append("  - separate_incidents: [\(keysBySite.compactMap(\.first).joined(separator: ", "))]")
        lines.append("  - message: {room: fire-hq, contains: \"【訓練】\", within: 60s, after: r1}")
        lines.append("  - no_duplicates: true")
        lines.append("  - outbox_empty: true")
        lines.append("  - all_exercise: true")
        return lines.joined(separator: "\n") + "\n"
    }

    /// The JPEG with a comment segment after its start marker: the same picture, a different SHA-256.
    static func variant(of jpeg: Data, number: Int) -> Data {
        let comment = Array("noroshi-bench \(number)".utf8)
        let length = comment.count + 2
        var bytes = Data([0xFF, 0xD8, 0xFF, 0xFE, UInt8(length >> 8), UInt8(length & 0xFF)])
        bytes.append(contentsOf: comment)
        bytes.append(jpeg.dropFirst(2))
        return bytes
    }
}
