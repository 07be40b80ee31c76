import Crypto
import Foundation
import NoroshiHTTPClient
import NoroshiPhotos
import NoroshiTesting
import Testing

/// The built `noroshi` binary end to end: a real daemon process, real HTTP, the user's local queue.
@Suite(.serialized) struct CLITests {
    /// A HOME, a data directory and the tool, removed afterwards.
    struct Setup {
        let root: TemporaryDirectory
        let tool: CommandLineTool
        var dataDirectory: String { root.url.appendingPathComponent("data").path }

        init() throws {
            root = try TemporaryDirectory(prefix: "noroshi-cli")
            tool = CommandLineTool(home: root.url.appendingPathComponent("home"))
        }

        func token(_ role: String, name: String) throws -> String {
            let result = try tool.run([
                "token", "create", "--role", role, "--name", name, "--data-dir", dataDirectory, "--json", "--init",
            ])
            #expect(result.status == 0, "\(result.errors)")
            let object = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any]
            return try #require(object?["secret"] as? String)
        }

        /// A field device whose server just went away: a daemon runs long enough to create a field and
        /// an hq token, `noroshi login` saves the field one, and the daemon stops (gracefully, checked).
        /// Returns the daemon's port, to start it again there, and the hq token.
        func fieldDeviceOffline() throws -> (port: Int, hq: String) {
            let daemon = try tool.startDaemon(dataDirectory: dataDirectory)
            let field = try token("field", name: "Hida FD station 2")
            let hq = try token("hq", name: "HQ")
            let login = try tool.run(["login", "--server", daemon.url], input: field + "\n")
            #expect(login.status == 0, "\(login.errors)")
            #expect(daemon.stop() == 0)  // graceful shutdown on SIGTERM
            return (daemon.port, hq)
        }
    }

    @Test func statusShowsRealIncidentsSaysWhatItLeftOutAndEscapesControlCharacters() async throws {
        let setup = try Setup()
        defer { setup.root.remove() }
        let daemon = try setup.tool.startDaemon(dataDirectory: setup.dataDirectory)
        defer { daemon.stop() }
        let field = try setup.token("field", name: "Crew")
        let hq = try setup.token("hq", name: "HQ")
        let client = HTTPClient(configuration: .init(timeout: .seconds(30)))
        func send(_ body: String) async throws {
            let answer = try await client.send(
                HTTPRequest(
                    method: "POST", url: daemon.url + "/v1/reports",
                    headers: [("Authorization", "Bearer \(field)"), ("Content-Type", "application/json")],
                    body: Data(body.utf8)))
            #expect(answer.status == 201, "\(answer.text)")
        }
        for index in 0..<4 {
            try await send(
                #"{"client_key": "k\#(index)", "kind": "fire", "latitude": \#(33 + index), "longitude": 135, "text": "t", "#
                    + #""place": "Bell\u202E \u2066 here", "casualties": {"dead": 1, "injured": 3}}"#)
        }
        try await send(
            #"{"client_key": "d", "kind": "flood", "latitude": 35, "longitude": 139, "text": "drill", "exercise": true}"#
        )
        let asHQ = ["NOROSHI_SERVER": daemon.url, "NOROSHI_TOKEN": hq]

        let status = try setup.tool.run(["status", "--limit", "3"], environment: asHQ)
        #expect(status.status == 0, "\(status.errors)")
        let lines = status.output.split(separator: "\n")
        #expect(lines.first?.contains("SEV") == true && lines.first?.contains("D/M/I") == true)
        #expect(lines.count == 5)
        #expect(lines.last == "3 of 4 open real incidents shown (--limit to see more).")
        #expect(!status.output.contains("\u{202E}") && !status.output.contains("\u{2066}"))
        #expect(status.output.contains(#"Bell\u{202e} …"#))  // escaped, then cut to the column
        #expect(status.output.contains("  1/?/3  "))  // dead/missing/injured; ? is unknown, not 0
        #expect(!status.output.contains("XW-"))

        let drills = try setup.tool.run(["status", "--exercise"], environment: asHQ)
        #expect(drills.output.contains("XW-") && drills.output.contains("[drill]"))
        #expect(!drills.output.contains("F-"))
        let everything = try setup.tool.run(["status", "--all"], environment: asHQ)
        #expect(everything.output.split(separator: "\n").count == 6)
    }

    @Test func photoGetDownloadsOriginalsAndCopies() throws {
        let setup = try Setup()
        defer { setup.root.remove() }
        let daemon = try setup.tool.startDaemon(dataDirectory: setup.dataDirectory)
        defer { daemon.stop() }
        let field = try setup.token("field", name: "Crew")
        let hq = try setup.token("hq", name: "HQ")
        let photo = FixtureFiles.photo("hida-fire.jpg")
        let sent = try setup.tool.run(
            ["report", "--kind", "fire", "--at", "36.1461,137.2522", "--text", "Barn", photo.path],
            environment: ["NOROSHI_SERVER": daemon.url, "NOROSHI_TOKEN": field, "NOROSHI_PROGRESS": "none"])
        #expect(sent.status == 0, "\(sent.errors)")
        let asHQ = ["NOROSHI_SERVER": daemon.url, "NOROSHI_TOKEN": hq]
        let out = setup.root.url.appendingPathComponent("got").path
        let got = try setup.tool.run(["photo", "get", "1", "--out", out], environment: asHQ)
        #expect(got.status == 0, "\(got.errors)")
        let original = try Data(contentsOf: photo)
        let sha256 = try #require(got.output.split(separator: "/").last?.prefix(64)).description
        #expect(try Data(contentsOf: URL(fileURLWithPath: out + "/\(sha256).jpg")) == original)

        var thumb = try setup.tool.run(["photo", "get", sha256, "--copy", "thumb", "--out", out], environment: asHQ)
        for _ in 0..<100 where thumb.status != 0 {
            Thread.sleep(forTimeInterval: 0.1)
            thumb = try setup.tool.run(["photo", "get", sha256, "--copy", "thumb", "--out", out], environment: asHQ)
        }
        #expect(thumb.status == 0, "\(thumb.errors)")
        #expect(FileManager.default.fileExists(atPath: out + "/\(sha256).thumb.jpg"))

        let unknown = try setup.tool.run(["photo", "get", String(repeating: "0", count: 64)], environment: asHQ)
        #expect(unknown.status == 1 && unknown.errors.contains("No photo has SHA-256"))
        let nonsense = try setup.tool.run(["photo", "get", "abc"], environment: asHQ)
        #expect(nonsense.status == 1 && nonsense.errors.contains("neither a photo's SHA-256 nor a report number"))
    }

    /// An iPhone's HEIC and a PNG screenshot from the field: inspected, copied and sent like JPEGs, the originals
    /// fetched back under their own extensions; a video is refused saying what it is.
    @Test func heicAndPNGPhotosAreInspectedDerivedSentAndFetched() throws {
        let setup = try Setup()
        defer { setup.root.remove() }
        let heic = FixtureFiles.photo("hida-fire.heic")
        let png = FixtureFiles.photo("screenshot-map.png")
        let video = setup.root.url.appendingPathComponent("IMG_0042.MOV")
        try Data([0, 0, 0, 0x14] + Array("ftypqt  \0\0\0\0qt  ".utf8) + [UInt8](repeating: 0, count: 64)).write(
            to: video)

        let inspected = try setup.tool.run(["photo", "inspect", heic.path, png.path, video.path])
        #expect(inspected.status == 1)
        #expect(inspected.output.contains("hida-fire.heic: 160×120, HEIC/HEIF"), "\(inspected.output)")
        #expect(inspected.output.contains("position     36.146100, 137.252200, 573 m"))
        #expect(inspected.output.contains("screenshot-map.png: 160×120, PNG, RGB with alpha, 8-bit"))
        #expect(
            inspected.output.contains(
                "IMG_0042.MOV: refused — this is a QuickTime video (.mov), not a photo; Noroshi takes JPEG, HEIC/HEIF "
                    + "and PNG photos"))

        let small = setup.root.url.appendingPathComponent("small").path
        let derived = try setup.tool.run(["photo", "derive", heic.path, png.path, "--out", small])
        #expect(derived.status == 0, "\(derived.errors)")
        for name in ["hida-fire.chat.jpg", "hida-fire.thumb.jpg", "screenshot-map.chat.jpg"] {
            let copy = try Data(contentsOf: URL(fileURLWithPath: small + "/" + name))
            #expect(try DecodedImage.decode(copy).width == 160, "\(name)")
        }

        let daemon = try setup.tool.startDaemon(dataDirectory: setup.dataDirectory)
        defer { daemon.stop() }
        let field = try setup.token("field", name: "Crew")
        let hq = try setup.token("hq", name: "HQ")
        let refused = try setup.tool.run(
            ["report", "--kind", "fire", "--at", "36.1461,137.2522", "--text", "Barn", video.path],
            environment: ["NOROSHI_SERVER": daemon.url, "NOROSHI_TOKEN": field, "NOROSHI_PROGRESS": "none"])
        #expect(refused.status != 0 && refused.errors.contains("a QuickTime video (.mov)"), "\(refused.errors)")
        let sent = try setup.tool.run(
            ["report", "--kind", "fire", "--at", "36.1461,137.2522", "--text", "Barn", heic.path, png.path],
            environment: ["NOROSHI_SERVER": daemon.url, "NOROSHI_TOKEN": field, "NOROSHI_PROGRESS": "none"])
        #expect(sent.status == 0, "\(sent.errors)")
        let out = setup.root.url.appendingPathComponent("got").path
        let got = try setup.tool.run(
            ["photo", "get", "1", "--out", out], environment: ["NOROSHI_SERVER": daemon.url, "NOROSHI_TOKEN": hq])
        #expect(got.status == 0, "\(got.errors)")
        for (file, suffix) in [(heic, "heic"), (png, "png")] {
            let original = try Data(contentsOf: file)
            let sha256 = SHA256.hash(data: original).map { String(format: "%02x", $0) }.joined()
            #expect(try Data(contentsOf: URL(fileURLWithPath: out + "/\(sha256).\(suffix)")) == original)
        }
    }

    @Test func exportWritesCSVAndGeoJSONAsTheyArrive() throws {
        let setup = try Setup()
        defer { setup.root.remove() }
        let daemon = try setup.tool.startDaemon(dataDirectory: setup.dataDirectory)
        defer { daemon.stop() }
        let field = try setup.token("field", name: "Hida FD station 2")
        let hq = try setup.token("hq", name: "Takayama HQ")
        let asField = ["NOROSHI_SERVER": daemon.url, "NOROSHI_TOKEN": field]
        let asHQ = ["NOROSHI_SERVER": daemon.url, "NOROSHI_TOKEN": hq]
        let sent = try setup.tool.run(
            ["report", "--kind", "fire", "--at", "36.1461,137.2522", "--text", "=1+1, \"quoted\""], environment: asField
        )
        #expect(sent.status == 0, "\(sent.errors)")

        let file = setup.root.url.appendingPathComponent("incidents.csv").path
        let csv = try setup.tool.run(["export", "csv", "--out", file], environment: asHQ)
        #expect(csv.status == 0, "\(csv.errors)")
        #expect(csv.errors.hasPrefix("Wrote \(file) ("))
        let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
        #expect(Array(bytes.prefix(3)) == [0xEF, 0xBB, 0xBF])
        let text = String(decoding: bytes.dropFirst(3), as: UTF8.self)
        #expect(text.hasPrefix("事案番号,種別,状況") && text.contains("高山市の火災") && text.contains("\r\n"))

        let reports = try setup.tool.run(["export", "csv", "--reports", "--lang", "en"], environment: asHQ)
        #expect(reports.output.contains("\"'=1+1, \"\"quoted\"\"\""), "\(reports.output)")
        let geojson = try setup.tool.run(["export", "geojson", "--reports", "--prefecture", "gifu"], environment: asHQ)
        let object = try JSONSerialization.jsonObject(with: Data(geojson.output.utf8)) as? [String: Any]
        #expect((object?["features"] as? [Any])?.count == 1)

        let denied = setup.root.url.appendingPathComponent("denied.csv").path
        let refused = try setup.tool.run(["export", "csv", "--out", denied], environment: asField)
        #expect(refused.status != 0 && refused.errors.contains("this needs the hq role"), "\(refused.errors)")
        #expect(!FileManager.default.fileExists(atPath: denied))
        let wrong = try setup.tool.run(["export", "xlsx"], environment: asHQ)
        #expect(wrong.status != 0 && wrong.errors.contains("The format is csv or geojson."))
    }

    @Test func fieldReportShowsUpInHQStatus() throws {
        let setup = try Setup()
        defer { setup.root.remove() }
        let daemon = try setup.tool.startDaemon(dataDirectory: setup.dataDirectory)
        defer { daemon.stop() }
        let field = try setup.token("field", name: "Hida FD station 2")
        let hq = try setup.token("hq", name: "Takayama HQ")
        let asField = ["NOROSHI_SERVER": daemon.url, "NOROSHI_TOKEN": field]
        let asHQ = ["NOROSHI_SERVER": daemon.url, "NOROSHI_TOKEN": hq]

        let first = try setup.tool.run(
            [
                "report", "--kind", "fire", "--at", "36.2381,137.1860", "--text", "Smoke from a barn roof", "--unit",
                "Hida FD 2",
            ],
            environment: asField)
        #expect(first.status == 0, "\(first.errors)")
        let year = Calendar(identifier: .gregorian).dateComponents(
            in: TimeZone(secondsFromGMT: 9 * 3600)!, from: Date()
        ).year!
        #expect(first.output.contains("opened incident F-\(year)-0001 (fire, reported)"), "\(first.output)")

        let second = try setup.tool.run(
            [
                "report", "--kind", "fire", "--at", "36.2386,137.1866", "--text", "Flames through the roof",
                "--injured", "2", "--severely-injured", "1", "--homes-partially-damaged", "0",
            ],
            environment: asField)
        #expect(
            second.output.contains("joined incident F-\(year)-0001 (fire, reported, 2 reports)"), "\(second.output)")

        let status = try setup.tool.run(["status"], environment: asHQ)
        #expect(status.status == 0, "\(status.errors)")
        let lines = status.output.split(separator: "\n")
        #expect(lines.first?.hasPrefix("NUMBER") == true)
        #expect(lines.count == 2)
        #expect(lines.last?.contains("F-\(year)-0001") == true)
        #expect(lines.last?.hasSuffix("  now") == true)
        // At most 80 columns, counting a CJK character as two.
        #expect(
            lines.allSatisfy { $0.unicodeScalars.count + $0.unicodeScalars.filter { $0.value >= 0x2E80 }.count <= 80 },
            "\(status.output)")
        // The 30-minute rule: no 第1報 yet, due within half an hour.
        #expect(lines.first?.contains("SOKUHO") == true)
        #expect(lines.last?.contains("due 29m") == true || lines.last?.contains("due 30m") == true, "\(status.output)")
        // The place is the 都道府県 and 市区町村 of the first report's position.
        #expect(lines.last?.contains("岐阜県飛騨市") == true, "\(status.output)")
        let gifu = try setup.tool.run(["status", "--prefecture", "岐阜県"], environment: asHQ)
        #expect(gifu.output.contains("F-\(year)-0001"), "\(gifu.errors)")
        let chiba = try setup.tool.run(["status", "--prefecture", "chiba"], environment: asHQ)
        #expect(chiba.output == "No open real incidents.\n", "\(chiba.output)")
        let nowhere = try setup.tool.run(["status", "--prefecture", "Atlantis"], environment: asHQ)
        #expect(nowhere.status != 0 && nowhere.errors.contains("Unknown prefecture 'Atlantis'"))

        let json = try setup.tool.run(["status", "--json"], environment: asHQ)
        let object = try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any]
        let incidents = try #require(object?["incidents"] as? [[String: Any]])
        #expect(incidents.first?["report_count"] as? Int == 2)
        let area = try #require(incidents.first?["area"] as? [String: Any])
        #expect(area["code"] as? String == "212172" && area["municipality"] as? String == "飛騨市")
        #expect(incidents.first?["title"] as? String == "飛騨市の火災")

        let show = try setup.tool.run(["incident", "show", "F-\(year)-0001"], environment: asHQ)
        #expect(
            show.output.contains(
                "Casualties: dead unknown, missing unknown, injured 2 (severely injured 1, slightly injured unknown)"))
        #expect(show.output.contains("    homes: destroyed unknown, half destroyed unknown, partially damaged 0,"))
        #expect(show.output.contains("  HQ:        not recorded"))

        // HQ sets counts and the 災害対策本部 設置状況 by hand.
        let counts = try setup.tool.run(
            ["incident", "set-counts", "F-\(year)-0001", "--dead", "0", "--homes-destroyed", "1"], environment: asHQ)
        #expect(counts.status == 0, "\(counts.errors)")
        #expect(counts.output.contains("casualties dead 0, missing unknown, injured 2"), "\(counts.output)")
        #expect(counts.output.contains("Homes: destroyed 1, half destroyed unknown, partially damaged 0"))
        let nothing = try setup.tool.run(["incident", "set-counts", "F-\(year)-0001"], environment: asHQ)
        #expect(nothing.status != 0 && nothing.errors.contains("Give at least one count"))
        let negative = try setup.tool.run(
            ["incident", "set-counts", "F-\(year)-0001", "--dead=-1"], environment: asHQ)
        #expect(negative.status != 0 && negative.errors.contains("between 0 and 1000000"), "\(negative.errors)")
        let headquarters = try setup.tool.run(
            ["incident", "set-headquarters", "F-\(year)-0001", "response", "--since", "2026-11-21T14:30:00+09:00"],
            environment: asHQ)
        #expect(headquarters.status == 0, "\(headquarters.errors)")
        #expect(headquarters.output.contains("disaster response headquarters since"), "\(headquarters.output)")

        // 即報: issue with a drafted situation, list, show, and the printable form.
        let issue = try setup.tool.run(["sokuho", "issue", "F-\(year)-0001"], environment: asHQ)
        #expect(issue.status == 0, "\(issue.errors)")
        #expect(issue.output.contains("Issued 第1報 for F-\(year)-0001"), "\(issue.output)")
        #expect(issue.output.contains("Flames through the roof"))
        #expect(issue.output.contains("人的被害:   死者 0・行方不明者 未確認・負傷者 2（重傷 1・軽傷 未確認）"), "\(issue.output)")
        let sokuhoList = try setup.tool.run(["sokuho", "list", "F-\(year)-0001"], environment: asHQ)
        #expect(sokuhoList.output.contains("第1報") && sokuhoList.output.contains("Next: 第2報."), "\(sokuhoList.output)")
        let html = setup.root.url.appendingPathComponent("dai1po.html").path
        let printed = try setup.tool.run(
            ["sokuho", "show", "F-\(year)-0001", "1", "--html", "-o", html], environment: asHQ)
        #expect(printed.status == 0, "\(printed.errors)")
        let saved = try String(contentsOfFile: html, encoding: .utf8)
        #expect(saved.contains("火災等即報") && saved.contains("@page { size: A4 portrait"))  // the style inline
        let missing = try setup.tool.run(["sokuho", "show", "F-\(year)-0001", "9"], environment: asHQ)
        #expect(missing.status != 0 && missing.errors.contains("has no 第9報"), "\(missing.errors)")
        let statusAfter = try setup.tool.run(["status"], environment: asHQ)
        #expect(statusAfter.output.contains("#1 +0m"), "\(statusAfter.output)")

        let wrong = try setup.tool.run(["incident", "set-headquarters", "F-\(year)-0001", "big"], environment: asHQ)
        #expect(wrong.status != 0 && wrong.errors.contains("use one of none, alert, response"), "\(wrong.errors)")
        #expect(show.output.contains("Area code: 212172 (全国地方公共団体コード)"))
        #expect(show.output.contains("    at 岐阜県飛騨市, 36.23860, 137.18660"))
        #expect(show.output.contains("    Flames through the roof"))
        #expect(show.output.contains("Opened by report 1 from Hida FD 2."))

        let move = try setup.tool.run(["incident", "set-status", "F-\(year)-0001", "responding"], environment: asHQ)
        #expect(move.output.contains("is now responding"))
        let back = try setup.tool.run(["incident", "set-status", "F-\(year)-0001", "reported"], environment: asHQ)
        #expect(back.status != 0)
        #expect(back.errors.hasPrefix("noroshi: Incident F-\(year)-0001 cannot change from responding to reported"))
        #expect(back.errors.split(separator: "\n").count == 1)

        // A field token cannot read the board.
        let denied = try setup.tool.run(["status"], environment: asField)
        #expect(denied.status == 1)
        #expect(denied.errors.contains("needs the hq role"))

        // Revoked on the data directory by another process while the daemon runs (and remembers the token).
        let list = try setup.tool.run(["token", "list", "--json", "--data-dir", setup.dataDirectory])
        let tokens = try JSONSerialization.jsonObject(with: Data(list.output.utf8)) as? [[String: Any]]
        let hqID = try #require(tokens?.first { $0["name"] as? String == "Takayama HQ" }?["id"] as? Int)
        let revoke = try setup.tool.run(["token", "revoke", String(hqID), "--data-dir", setup.dataDirectory])
        #expect(revoke.output.contains("Revoked token \(hqID) “Takayama HQ” (hq)."), "\(revoke.errors)")
        let refused = try setup.tool.run(["status"], environment: asHQ)
        #expect(refused.status == 1)
        #expect(refused.errors.contains("unknown or has been revoked"), "\(refused.errors)")
    }

    @Test func offlineReportIsQueuedAndSyncedExactlyOnce() throws {
        let setup = try Setup()
        defer { setup.root.remove() }
        let (port, hq) = try setup.fieldDeviceOffline()
        let credentials = setup.tool.home.appendingPathComponent(".config/noroshi/credentials.json").path
        let mode = try FileManager.default.attributesOfItem(atPath: credentials)[.posixPermissions] as? Int
        #expect(mode == 0o600)

        // Server down: the report waits in the queue and the command still succeeds.
        for text in ["Road blocked by debris", "Second slide 50 m further"] {
            let queued = try setup.tool.run(
                ["report", "--kind", "landslide", "--at", "36.1500,137.2500", "--text", text])
            #expect(queued.status == 0, "\(queued.errors)")
            #expect(queued.output.contains("Report saved in the local queue"), "\(queued.output)")
        }
        let pending = try setup.tool.run(["report", "--kind", "landslide", "--place", "Route 41", "--text", "Third"])
        #expect(pending.output.contains("(3 pending)"), "\(pending.output)")

        // Bad input is refused before it is queued.
        let bad = try setup.tool.run(["report", "--kind", "volcano", "--at", "36,137", "--text", "x"])
        #expect(bad.status == 1)
        #expect(
            bad.errors
                == "noroshi: Unknown kind 'volcano'; use one of fire, landslide, avian_influenza, flood, other.\n")

        let daemon = try setup.tool.startDaemon(dataDirectory: setup.dataDirectory, port: port)
        defer { daemon.stop() }
        let sync = try setup.tool.run(["sync"])
        #expect(sync.status == 0, "\(sync.errors)")
        #expect(sync.output.contains("Sent 3 queued reports; the queue is empty."), "\(sync.output)")
        let again = try setup.tool.run(["sync"])
        #expect(again.output.contains("Nothing to send"))

        let status = try setup.tool.run(["status", "--json"], environment: ["NOROSHI_TOKEN": hq])
        let object = try JSONSerialization.jsonObject(with: Data(status.output.utf8)) as? [String: Any]
        let counts = (object?["incidents"] as? [[String: Any]])?.compactMap { $0["report_count"] as? Int }
        #expect(counts?.reduce(0, +) == 3)
        #expect(counts?.sorted() == [1, 2])
    }

    @Test func photoInspectPrintsOneJSONObjectPerFileAndFailsOnRefusedFiles() throws {
        let setup = try Setup()
        defer { setup.root.remove() }
        let files = ["hida-fire.jpg", "empty.jpg", "exif-loop.jpg"].map { FixtureFiles.photo($0).path }
        let result = try setup.tool.run(["photo", "inspect", "--json"] + files)
        #expect(result.status == 1)  // empty.jpg is refused
        let lines = result.output.split(separator: "\n")
        #expect(lines.count == 3)
        let objects = try lines.map {
            try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        let keys: Set = [
            "file", "width", "height", "orientation", "gps_lat", "gps_lon", "datetime_original",
            "offset_time_original", "make", "model", "status", "error", "format", "unreadable",
        ]
        for object in objects { #expect(Set(object.keys) == keys) }
        #expect(objects[0]["file"] as? String == files[0])
        #expect(objects[0]["width"] as? Int == 160)
        #expect(objects[0]["datetime_original"] as? String == "2026:11:21 09:30:05")
        #expect(objects[0]["offset_time_original"] as? String == "+09:00")
        #expect(abs((objects[0]["gps_lat"] as? Double ?? 0) - 36.1461) < 1e-5)
        #expect(objects[0]["model"] as? String == "TG-7")
        #expect(objects[0]["status"] as? String == "ok")
        #expect(objects[0]["format"] as? String == "jpeg")
        #expect(objects[0]["error"] is NSNull)
        #expect(objects[1]["status"] as? String == "malformed")
        #expect(objects[1]["error"] as? String == "the file is empty")
        #expect(objects[1]["width"] is NSNull)
        // A damaged EXIF part does not refuse the photo, nor the rest of its EXIF: it is named, with why.
        #expect(objects[2]["width"] as? Int == 160)
        #expect(objects[2]["status"] as? String == "partial" && objects[2]["error"] is NSNull)
        #expect(objects[2]["orientation"] as? Int == 6)
        #expect(
            (objects[2]["unreadable"] as? [String: String])?["time"] == "Exif IFD points back to an IFD already read")
        #expect((objects[0]["unreadable"] as? [String: String])?.isEmpty == true)

        let human = try setup.tool.run(["photo", "inspect", files[0]])
        #expect(human.status == 0)
        #expect(human.output.contains("position     36.146100, 137.252200, 573 m"), "\(human.output)")
        #expect(human.output.contains("taken        2026:11:21 09:30:05 +09:00"))
    }

    @Test func everyCommandHelpTeachesWithAnExample() throws {
        let setup = try Setup()
        defer { setup.root.remove() }
        let commands: [[String]] = [
            ["serve"], ["report"], ["sync"], ["status"], ["login"], ["token"], ["token", "create"], ["incident"],
            ["incident", "show"], ["incident", "set-status"], ["incident", "merge"], ["photo"], ["photo", "inspect"],
            ["photo", "add"], ["photo", "derive"],
        ]
        for command in commands {
            let help = try setup.tool.run(["help"] + command)
            #expect(help.status == 0)
            #expect(help.output.contains("noroshi \(command.joined(separator: " "))"), "\(command)")
            #expect(help.output.contains("Example"), "\(command) has no example")
        }
    }

    @Test func unreachableServerForHQCommandsIsOneClearLine() throws {
        let setup = try Setup()
        defer { setup.root.remove() }
        let result = try setup.tool.run(["status", "--server", "http://127.0.0.1:9", "--token", "nrs_x"])
        #expect(result.status == 1)
        #expect(result.errors.hasPrefix("noroshi: Cannot reach the server at http://127.0.0.1:9"))
        #expect(result.errors.split(separator: "\n").count == 1)
    }
}

extension CLITests {
    /// A photo acknowledged by a daemon that is killed before its copies are made gets them after the restart.
    @Test func photoCopiesAreMadeAfterTheDaemonIsKilledBeforeItsJobRan() async throws {
        let setup = try Setup()
        defer { setup.root.remove() }
        // A daemon with photo copies paused: the job is certain to be still waiting when it is killed.
        let config = setup.root.url.appendingPathComponent("paused.yaml")
        try "photos:\n  workers: 0\n".write(to: config, atomically: true, encoding: .utf8)
        var daemon = try setup.tool.startDaemon(dataDirectory: setup.dataDirectory, config: config.path)
        let port = daemon.port
        let field = try setup.token("field", name: "Hida FD station 2")
        let hq = try setup.token("hq", name: "HQ")
        let client = HTTPClient(configuration: .init(timeout: .seconds(30)))
        let report = try await client.send(
            HTTPRequest(
                method: "POST", url: daemon.url + "/v1/reports",
                headers: [("Authorization", "Bearer \(field)"), ("Content-Type", "application/json")],
                body: Data(
                    #"{"client_key": "k1", "kind": "fire", "latitude": 36.1461, "longitude": 137.2522, "text": "Barn"}"#
                        .utf8)))
        #expect(report.status == 201)
        let reportID = try #require(
            (try JSONSerialization.jsonObject(with: report.body) as? [String: Any])
                .flatMap { $0["report"] as? [String: Any] }?["id"] as? Int)
        let photo = try Data(contentsOf: FixtureFiles.photo("orientation-6.jpg"))
        let upload = try await client.send(
            HTTPRequest(
                method: "POST", url: daemon.url + "/v1/reports/\(reportID)/photos",
                headers: [("Authorization", "Bearer \(field)"), ("Content-Type", "image/jpeg")], body: photo))
        #expect(upload.status == 201, "\(upload.text)")
        let receipt = try JSONSerialization.jsonObject(with: upload.body) as? [String: Any]
        let sha256 = try #require((receipt?["photo"] as? [String: Any])?["sha256"] as? String)
        daemon.kill()

        daemon = try setup.tool.startDaemon(dataDirectory: setup.dataDirectory, port: port)
        defer { daemon.stop() }
        let asHQ = [("Authorization", "Bearer \(hq)")]
        var state = ""
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let detail = try await client.send(
                HTTPRequest(method: "GET", url: daemon.url + "/v1/reports/\(reportID)", headers: asHQ))
            let photos = (try JSONSerialization.jsonObject(with: detail.body) as? [String: Any])?["photos"]
            state = ((photos as? [[String: Any]])?.first?["derivatives"] as? String) ?? ""
            if state == "ready" { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(state == "ready")
        let original = try await client.send(
            HTTPRequest(method: "GET", url: daemon.url + "/v1/photos/\(sha256)", headers: asHQ))
        #expect(original.body == photo)
        let chat = try await client.send(
            HTTPRequest(method: "GET", url: daemon.url + "/v1/photos/\(sha256)/chat", headers: asHQ))
        #expect(chat.status == 200 && chat.header("Content-Type") == "image/jpeg")
    }

    /// Photos wait in the local queue with their report (as copies), `sync` sends them with progress, and a
    /// report without --at takes its position from a photo's GPS.
    @Test func photosWaitInTheQueueWithTheirReportAndSyncSendsThem() async throws {
        let setup = try Setup()
        defer { setup.root.remove() }
        let (port, hq) = try setup.fieldDeviceOffline()

        // The crew's own files, which may be moved or deleted once queued.
        let camera = setup.root.url.appendingPathComponent("DCIM")
        try FileManager.default.createDirectory(at: camera, withIntermediateDirectories: true)
        for (fixture, name) in [("hida-fire.jpg", "P0001.jpg"), ("orientation-6.jpg", "P0002.jpg")] {
            try FileManager.default.copyItem(
                at: FixtureFiles.photo(fixture), to: camera.appendingPathComponent(name))
        }
        let first = camera.appendingPathComponent("P0001.jpg").path
        let second = camera.appendingPathComponent("P0002.jpg").path
        let firstBytes = try Data(contentsOf: URL(fileURLWithPath: first))

        let queued = try setup.tool.run(["report", "--kind", "fire", "--text", "Barn fully involved", first, second])
        #expect(queued.status == 0, "\(queued.errors)")
        #expect(queued.output.contains("Position 36.14610, 137.25220 from the GPS of \(first)."), "\(queued.output)")
        #expect(queued.output.contains("Report saved in the local queue with 2 photos (1 pending)"), "\(queued.output)")
        try FileManager.default.removeItem(at: camera)

        // A photo that would be refused stops everything before it is queued.
        let truncated = FixtureFiles.photo("truncated.jpg").path
        let refused = try setup.tool.run(["report", "--kind", "fire", "--at", "36.1,137.2", "--text", "x", truncated])
        #expect(refused.status == 1)
        #expect(refused.errors.hasPrefix("noroshi: Not sending: \(truncated): "), "\(refused.errors)")
        #expect(refused.errors.contains("Nothing was queued"))
        let noGPS = try setup.tool.run(
            ["report", "--kind", "fire", "--text", "x", FixtureFiles.photo("no-exif.jpg").path])
        #expect(noGPS.errors == "noroshi: Give --at or --place: no photo carries a usable GPS position.\n")

        var daemon = try setup.tool.startDaemon(dataDirectory: setup.dataDirectory, port: port)
        let sync = try setup.tool.run(["sync"], environment: ["NOROSHI_PROGRESS": "lines"])
        #expect(sync.status == 0, "\(sync.errors)")
        #expect(sync.output.contains("Report 1 opened incident"), "\(sync.output)")
        #expect(sync.output.contains("Photo P0001.jpg (160×120, sha256 "), "\(sync.output)")
        #expect(sync.output.contains(") added to report 1, incident "), "\(sync.output)")
        #expect(sync.output.contains("Sent 1 queued report and 2 photos; the queue is empty."), "\(sync.output)")
        #expect(sync.errors.contains("Sending P0001.jpg ("), "\(sync.errors)")
        #expect(sync.errors.contains("P0002.jpg: sent "), "\(sync.errors)")
        let queueCopies = setup.tool.home.appendingPathComponent(".local/share/noroshi/queue-photos")
        let left = FileManager.default.enumerator(atPath: queueCopies.path)?.compactMap { $0 as? String } ?? []
        #expect(left.filter { $0.hasSuffix(".jpg") }.isEmpty, "\(left)")

        let client = HTTPClient(configuration: .init(timeout: .seconds(30)))
        let detail = try await client.send(
            HTTPRequest(method: "GET", url: daemon.url + "/v1/reports/1", headers: [("Authorization", "Bearer \(hq)")]))
        let object = try #require(try JSONSerialization.jsonObject(with: detail.body) as? [String: Any])
        #expect(object["latitude"] as? Double == 36.1461 && object["longitude"] as? Double == 137.2522)
        let photos = try #require(object["photos"] as? [[String: Any]])
        #expect(photos.count == 2)
        let sha = try #require(photos.first?["sha256"] as? String)
        let original = try await client.send(
            HTTPRequest(
                method: "GET", url: daemon.url + "/v1/photos/\(sha)", headers: [("Authorization", "Bearer \(hq)")]))
        #expect(original.body == firstBytes)

        // The same photo again is answered as known; the bar is drawn in place.
        let again = try setup.tool.run(
            ["photo", "add", "1", FixtureFiles.photo("hida-fire.jpg").path], environment: ["NOROSHI_PROGRESS": "bar"])
        #expect(again.status == 0, "\(again.errors)")
        #expect(again.output.contains("was already on report 1"), "\(again.output)")
        #expect(again.errors.contains("\rhida-fire.jpg [========================] "), "\(again.errors)")

        // Photos for a report on the server wait too when it is down.
        #expect(daemon.stop() == 0)
        let offline = try setup.tool.run(["photo", "add", "1", FixtureFiles.photo("orientation-3.jpg").path])
        #expect(offline.status == 0, "\(offline.errors)")
        #expect(offline.output.contains("1 photo wait in the local queue; not sent: Cannot reach"), "\(offline.output)")
        daemon = try setup.tool.startDaemon(dataDirectory: setup.dataDirectory, port: port)
        defer { daemon.stop() }
        let later = try setup.tool.run(["sync"], environment: ["NOROSHI_PROGRESS": "none"])
        #expect(later.output.contains("Photo orientation-3.jpg"), "\(later.output)")
        #expect(later.output.contains("Sent 0 queued reports and 1 photo; the queue is empty."), "\(later.output)")
        #expect(later.errors.isEmpty)

        // An unknown report: the photo is set aside with the server's reason.
        let unknown = try setup.tool.run(["photo", "add", "99", FixtureFiles.photo("orientation-3.jpg").path])
        #expect(unknown.status == 1)
        #expect(
            unknown.errors.contains("The server refused orientation-3.jpg: Report 99 does not exist."),
            "\(unknown.errors)")
    }
}
