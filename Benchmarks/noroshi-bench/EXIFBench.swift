import ArgumentParser
import Foundation
import NoroshiPhotos

/// How often Noroshi's EXIF reader agrees with exiftool on real photos from other projects' test suites.
struct EXIFBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exif",
        abstract: "Compare Noroshi's EXIF reading with exiftool's on a corpus of real photos.",
        discussion: """
            Reads every JPEG and HEIF under DIR with Noroshi (as `photo inspect` does) and with exiftool
            (Debian libimage-exiftool-perl), and compares GPS position, DateTimeOriginal, orientation (a missing
            tag is 1), make and model, for the files exiftool reads. The goal is agreement on at least 99 % of them.

              scripts/exif-corpus.sh            (fetches the corpus into .build-exif-corpus/)
              .build/release/noroshi-bench exif .build-exif-corpus
            """)

    @Argument(help: "The corpus directory (scripts/exif-corpus.sh).") var directory: String = ".build-exif-corpus"
    @Option(help: "Disagreements to list.") var show = 20

    /// One file's values as one reader gives them; nil is "not there".
    struct Values: Equatable {
        var latitude: Double?
        var longitude: Double?
        var time: String?
        var orientation: Int
        var make: String?
        var model: String?

        init(
            latitude: Double? = nil, longitude: Double? = nil, time: String? = nil, orientation: Int,
            make: String? = nil, model: String? = nil
        ) {
            self.latitude = latitude
            self.longitude = longitude
            self.time = time
            self.orientation = orientation
            self.make = make
            self.model = model
        }

        /// The fields on which the two readings differ.
        func differences(from other: Values) -> [String] {
            var fields: [String] = []
            func close(_ a: Double?, _ b: Double?) -> Bool {
                switch (a, b) {
                case (nil, nil): true
                case (let a?, let b?): abs(a - b) < 1e-5
                default: false
                }
            }
            if !close(latitude, other.latitude) || !close(longitude, other.longitude) { fields.append("gps") }
            if time != other.time { fields.append("time") }
            if orientation != other.orientation { fields.append("orientation") }
            if make != other.make { fields.append("make") }
            if model != other.model { fields.append("model") }
            return fields
        }
    }

    func run() throws {
        let files = Self.photos(under: directory)
        guard !files.isEmpty else {
            throw ValidationError("No JPEG or HEIF files under \(directory); run scripts/exif-corpus.sh first.")
        }
        let theirs = try Self.exiftool(files)
        var compared = 0
        var agreed = 0
        var byField: [String: Int] = [:]
        var notes: [String] = []
        var withEXIF = 0
        var agreedWithEXIF = 0
        var refusedDisagreeing = 0
        let started = Date()
        for file in files {
            guard let reference = theirs[file] else { continue }
            compared += 1
            if reference != Values(orientation: 1) { withEXIF += 1 }
            let inspection = PhotoInspection.inspect(path: file)
            let exif = inspection.exif
            let ours = Values(
                latitude: exif?.latitude, longitude: exif?.longitude, time: exif?.dateTimeOriginal,
                orientation: exif?.effectiveOrientation ?? 1, make: exif?.make, model: exif?.model)
            let differences = ours.differences(from: reference)
            if differences.isEmpty {
                agreed += 1
                if reference != Values(orientation: 1) { agreedWithEXIF += 1 }
            } else {
                for field in differences { byField[field, default: 0] += 1 }
                if !inspection.accepted && exif == nil { refusedDisagreeing += 1 }
                let why = inspection.error?.message ?? exif?.unreadableSummary ?? ""
                notes.append(
                    "  \(file.dropFirst(directory.count + 1)): \(differences.joined(separator: ", ")) — ours \(ours), "
                        + "exiftool \(reference)\(why.isEmpty ? "" : " [\(why)]")")
            }
        }
        let elapsed = Date().timeIntervalSince(started)
        print(
            "\(files.count) files; exiftool reads \(compared); Noroshi read them in \(String(format: "%.2f", elapsed)) s"
        )
        print(
            String(
                format: "agreement on GPS, time, orientation, make and model: %d of %d (%.1f %%)", agreed, compared,
                100 * Double(agreed) / Double(max(1, compared))))
        print(
            "  \(withEXIF) of them have at least one of these fields (or an orientation other than 1) for exiftool; "
                + "agreement on those: \(agreedWithEXIF) of \(withEXIF)")
        if refusedDisagreeing > 0 {
            print(
                String(
                    format: "  %d of the disagreements are files Noroshi refuses as photos (not images it takes); "
                        + "without them: %d of %d (%.1f %%)", refusedDisagreeing, agreed, compared - refusedDisagreeing,
                    100 * Double(agreed) / Double(max(1, compared - refusedDisagreeing))))
        }
        for field in ["gps", "time", "orientation", "make", "model"] {
            print(String(format: "  %-12@ %d disagree", field as NSString, byField[field] ?? 0))
        }
        if !notes.isEmpty {
            print("Disagreements (the first \(min(show, notes.count))):")
            for note in notes.prefix(show) { print(note) }
        }
    }

    static func photos(under directory: String) -> [String] {
        let extensions: Set = ["jpg", "jpeg", "heic", "heif"]
        let walker = FileManager.default.enumerator(atPath: directory)
        var files: [String] = []
        while let path = walker?.nextObject() as? String {
            guard !path.hasPrefix("downloads"), extensions.contains((path as NSString).pathExtension.lowercased())
            else { continue }
            files.append((directory as NSString).appendingPathComponent(path))
        }
        return files.sorted()
    }

    /// exiftool's EXIF values for every file it reads (one run over all of them, `-n` for numbers).
    static func exiftool(_ files: [String]) throws -> [String: Values] {
        let list = FileManager.default.temporaryDirectory.appendingPathComponent("noroshi-exif-\(getpid()).txt")
        try files.joined(separator: "\n").write(to: list, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: list) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/exiftool")
        process.arguments = [
            "-j", "-n", "-q", "-q", "-EXIF:GPSLatitude", "-EXIF:GPSLatitudeRef", "-EXIF:GPSLongitude",
            "-EXIF:GPSLongitudeRef", "-EXIF:DateTimeOriginal", "-EXIF:Orientation", "-EXIF:Make", "-EXIF:Model",
            "-@", list.path,
        ]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw ValidationError("exiftool is needed (Debian libimage-exiftool-perl): \(error)")
        }
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let objects = (try? JSONSerialization.jsonObject(with: output) as? [[String: Any]]) ?? []
        var result: [String: Values] = [:]
        for object in objects {
            guard let file = object["SourceFile"] as? String else { continue }
            func number(_ key: String) -> Double? {
                if let value = object[key] as? Double { return value }
                return (object[key] as? String).flatMap(Double.init)
            }
            func text(_ key: String) -> String? {
                guard let value = object[key] else { return nil }
                let string = "\(value)".trimmingCharacters(in: .whitespaces)
                return string.isEmpty ? nil : string
            }
            var latitude = number("GPSLatitude")
            var longitude = number("GPSLongitude")
            if text("GPSLatitudeRef")?.uppercased().first == "S" { latitude = latitude.map { -$0 } }
            if text("GPSLongitudeRef")?.uppercased().first == "W" { longitude = longitude.map { -$0 } }
            if latitude == nil || longitude == nil || text("GPSLatitudeRef") == nil || text("GPSLongitudeRef") == nil {
                latitude = nil
                longitude = nil
            }
            let orientation = (object["Orientation"] as? Int).flatMap { (1...8).contains($0) ? $0 : nil } ?? 1
            result[file] = Values(
                latitude: latitude, longitude: longitude, time: text("DateTimeOriginal"), orientation: orientation,
                make: text("Make"), model: text("Model"))
        }
        return result
    }
}
