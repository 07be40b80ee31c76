import ArgumentParser
import Crypto
import Foundation
import NoroshiCore
import NoroshiPhotos

/// `noroshi photo …`: what Noroshi reads from photo files, without a server.
struct PhotoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "photo",
        abstract: "Send photos to a report, check photo files, make their small copies.",
        discussion: """
            Examples:
              noroshi photo add 17 DSC_0044.jpg DSC_0045.jpg
              noroshi photo inspect DSC_0042.jpg DSC_0043.jpg
              noroshi photo derive DSC_0042.jpg --out small/
              noroshi photo get 17 --copy chat --out from-report-17/
            """,
        subcommands: [Add.self, Inspect.self, Derive.self, Get.self]
    )

    struct Get: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download a photo, or every photo of a report, from the server (headquarters).",
            discussion: """
                Give a photo's SHA-256 (64 hex digits, as 'incident show' lists them) or a report number. \
                Originals are saved byte for byte as DIR/<sha256>.jpg and checked against their SHA-256; \
                with --copy, the server's upright chat (1280 px) or thumb (320 px) copy is saved as \
                DIR/<sha256>.chat.jpg or .thumb.jpg instead. Needs an hq or admin token.

                Examples:
                  noroshi photo get 3fa2c1d07b9e…(64 digits) --out evidence/
                  noroshi photo get 17 --copy chat
                """
        )

        @Argument(help: "A photo's SHA-256, or a report number.") var target: String
        @Option(help: "Download a copy instead of the original: chat or thumb.") var copy: String?
        @Option(help: ArgumentHelp("Directory for the files (created if missing).", valueName: "dir"))
        var out = "."
        @OptionGroup var client: ClientOptions

        func validate() throws {
            if let copy, copy != "chat", copy != "thumb" { throw ValidationError("--copy must be chat or thumb.") }
        }

        func run() throws {
            try CLIError.run {
                let api = client.client()
                let wanted = target.lowercased()
                let hashes: [String]
                if wanted.count == 64, wanted.allSatisfy(\.isHexDigit) {
                    hashes = [wanted]
                } else if let report = Int64(target.trimmingCharacters(in: CharacterSet(charactersIn: "#"))), report > 0
                {
                    hashes = try api.call("GET", "/v1/reports/\(report)", as: ReportDetail.self).0.photos.map(\.sha256)
                    if hashes.isEmpty { print("Report \(report) has no photos.") }
                } else {
                    throw NoroshiError(
                        .invalidInput, "'\(target.prefix(80))' is neither a photo's SHA-256 nor a report number.")
                }
                try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
                for sha256 in hashes {
                    let data = try api.download("/v1/photos/\(sha256)" + (copy.map { "/" + $0 } ?? ""))
                    if copy == nil, SHA256.hash(data: data).hexEncoded != sha256 {
                        throw NoroshiError(.internal, "The photo \(sha256) arrived changed; nothing was saved.")
                    }
                    // Copies are JPEGs; an original keeps its own kind (.heic, .png).
                    var suffix = "jpg"
                    if copy == nil, case .photo(let format) = FileKind.identify(Array(data.prefix(FileKind.headLength)))
                    {
                        suffix = format.fileExtension
                    }
                    let name = sha256 + (copy.map { ".\($0)" } ?? "") + "." + suffix
                    let path = (out as NSString).appendingPathComponent(name)
                    try data.write(to: URL(fileURLWithPath: path), options: .atomic)
                    print("\(path) (\(data.count) bytes)")
                }
            }
        }
    }

    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Show what Noroshi reads from each photo — size, orientation, time, position, camera — or why it would refuse it.",
            discussion: """
                Takes JPEG, HEIC/HEIF (iPhones) and PNG (screenshots); any other file is refused with \
                what it is ("a QuickTime video (.mov)"). No server is needed. The exit status is 1 when \
                any file would be refused.

                Examples:
                  noroshi photo inspect DSC_0042.jpg IMG_0007.HEIC
                  noroshi photo inspect --json *.jpg     (one JSON object per file per line)
                """
        )

        static let lineEncoder: JSONEncoder = {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return encoder
        }()

        @Argument(help: "Photos: JPEG, HEIC/HEIF or PNG.") var files: [String]
        @Flag(help: "One JSON object per file per line, for scripts.") var json = false

        func run() throws {
            var refused = 0
            for file in files {
                let inspection = PhotoInspection.inspect(path: file)
                if !inspection.accepted { refused += 1 }
                if json {
                    let data = try Self.lineEncoder.encode(InspectionLine(inspection))
                    print(String(decoding: data, as: UTF8.self))
                } else {
                    print(Self.describe(inspection))
                }
            }
            if refused > 0 { throw ExitCode(1) }
        }

        static func describe(_ inspection: PhotoInspection) -> String {
            guard let header = inspection.header else {
                // A photo refused for its size or its image data may still have readable EXIF: show it.
                let line = "\(inspection.file): refused — \(inspection.error?.message ?? "unreadable")"
                return ([line] + (inspection.exif.map { exifLines($0, accepted: false) } ?? []))
                    .joined(separator: "\n")
            }
            var lines = ["\(inspection.file): \(header.width)×\(header.height), \(header.encoding)"]
            if let exif = inspection.exif {
                lines += exifLines(exif, accepted: true)
            } else if let error = inspection.error {
                lines.append("  EXIF ignored: \(error.message)")
            } else {
                lines.append("  no EXIF (no time or position in the file)")
            }
            return lines.joined(separator: "\n")
        }

        /// The EXIF lines of `photo inspect`; the hint about a missing position only for a photo that is taken.
        static func exifLines(_ exif: EXIFMetadata, accepted: Bool) -> [String] {
            var lines: [String] = []
            if let orientation = exif.orientation { lines.append("  orientation  \(orientation)") }
            if let taken = exif.dateTimeOriginal {
                let offset = exif.offsetTimeOriginal.map { " \($0)" } ?? " (no offset recorded)"
                lines.append("  taken        \(taken)\(offset)")
            }
            if let lat = exif.latitude, let lon = exif.longitude {
                let altitude = exif.altitude.map { String(format: ", %.0f m", $0) } ?? ""
                lines.append(String(format: "  position     %.6f, %.6f", lat, lon) + altitude)
            } else if accepted {
                lines.append("  position     none (send the report with --at or --place)")
            }
            let camera = [exif.make, exif.model].compactMap { $0 }.joined(separator: " ")
            if !camera.isEmpty { lines.append("  camera       \(camera)") }
            for (part, reason) in exif.unreadable.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                lines.append("  unreadable   \(part.rawValue): \(reason)")
            }
            return lines
        }
    }
}

extension PhotoCommand {
    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send photos to a report already on the server; queued first, like reports.",
            discussion: """
                The report number is the one 'noroshi report' printed ("Report 17 opened incident …"). \
                Each photo is checked first (if one would be refused, nothing is queued), copied into \
                the local queue, then sent with a progress bar on a terminal and plain lines otherwise \
                (NOROSHI_PROGRESS=bar|lines|none to choose). Without signal the photos wait and \
                'noroshi sync' sends them. A photo the report already has is not stored twice. When the \
                report left out its position or time, the first photo that carries one fills it in.

                Example:
                  noroshi photo add 17 DSC_0044.jpg DSC_0045.jpg
                """
        )

        @Argument(help: ArgumentHelp("The report's number on the server.", valueName: "report"))
        var report: Int64
        @Argument(help: ArgumentHelp("Photos: JPEG, HEIC/HEIF or PNG.", valueName: "photo")) var files: [String]
        @Flag(help: "Send the originals straight away, without previews first (for a good link).")
        var originalsFirst = false
        @OptionGroup var client: ClientOptions

        func validate() throws {
            guard report > 0 else { throw ValidationError("A report number is a positive whole number, e.g. 17.") }
            guard !files.isEmpty else { throw ValidationError("Name at least one photo to send.") }
        }

        func run() throws {
            try CLIError.run {
                let batch = try PhotoBatch(paths: files)
                let queue = try LocalQueue()
                let api = client.client()
                let queued = try queue.addPhotos(reportID: report, try batch.copy(into: queue), server: api.server)
                var sender = Sender(client: api, queue: queue)
                sender.originalsFirst = originalsFirst
                let tally = try sender.sendPhotos(queued)
                if let stopped = tally.stopped {
                    let left = try queue.photoCount()
                    print("\(left) photo\(left == 1 ? "" : "s") wait in the local queue; not sent: \(stopped)")
                    print("Run 'noroshi sync' when the connection is back.")
                }
                if tally.rejected > 0 || tally.unauthorized { throw ExitCode.failure }
            }
        }
    }

    struct Derive: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make the upright 1280 px chat copy and 320 px thumbnail of each photo, as the server does.",
            discussion: """
                Each photo is decoded once; the chat copy (long side 1280 px, quality 80) is made from it \
                and the thumbnail (long side 320 px, quality 75) from the chat copy. Both are turned \
                upright from the EXIF orientation (a HEIC/HEIF photo by its own rotation) and carry no \
                metadata (no GPS position); a PNG's transparent parts are white. A photo smaller than a \
                copy's size keeps its own size. For DSC_0042.jpg the files are \
                DIR/DSC_0042.chat.jpg and DIR/DSC_0042.thumb.jpg.

                On a weak link, send the chat copy first and the original when the signal allows. \
                No server is needed. The exit status is 1 when any photo could not be read.

                Example:
                  noroshi photo derive DSC_0042.jpg DSC_0043.jpg --out small/
                """
        )

        @Argument(help: "Photos: JPEG, HEIC/HEIF or PNG.") var files: [String]
        @Option(help: ArgumentHelp("Directory for the copies (created if missing).", valueName: "dir"))
        var out: String
        @Flag(help: "Print nothing but errors.") var quiet = false

        func run() throws {
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            var failed = 0
            for file in files {
                do {
                    let set = try Derivatives.make(path: file)
                    let stem = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
                    var written: [String] = []
                    for derivative in set.derivatives {
                        let target = URL(fileURLWithPath: out).appendingPathComponent(
                            "\(stem).\(derivative.spec.name).jpg")
                        try derivative.jpeg.write(to: target, options: .atomic)
                        written.append(
                            "\(target.path) \(derivative.width)×\(derivative.height) "
                                + "(\(ByteCountFormatter.string(fromByteCount: Int64(derivative.jpeg.count), countStyle: .file)))"
                        )
                    }
                    if !quiet { print("\(file) → " + written.joined(separator: ", ")) }
                } catch let error as PhotoError {
                    failed += 1
                    CLIError.report("\(file): \(error.message)")
                }
            }
            if failed > 0 { throw ExitCode(1) }
        }
    }
}

/// One line of `photo inspect --json`; every key is present, null when unknown.
struct InspectionLine: Encodable {
    var file: String
    var width: Int?
    var height: Int?
    var orientation: Int?
    var gpsLat: Double?
    var gpsLon: Double?
    var datetimeOriginal: String?
    var offsetTimeOriginal: String?
    var make: String?
    var model: String?
    var status: String
    var error: String?
    var format: String?
    /// The EXIF parts that could not be read, with why (the others were).
    var unreadable: [String: String]

    init(_ inspection: PhotoInspection) {
        file = inspection.file
        format = inspection.header?.format.rawValue
        unreadable = Dictionary(
            uniqueKeysWithValues: (inspection.exif?.unreadable ?? [:]).map { ($0.key.rawValue, $0.value) })
        width = inspection.header?.width
        height = inspection.header?.height
        let exif = inspection.exif
        // The orientation that applies: a missing tag means upright (1), as exiftool and every viewer take it.
        // A refused photo whose EXIF was read (too many pixels, image data cut short) shows it too.
        orientation = exif?.effectiveOrientation ?? (inspection.header == nil ? nil : 1)
        gpsLat = exif?.latitude
        gpsLon = exif?.longitude
        datetimeOriginal = exif?.dateTimeOriginal
        offsetTimeOriginal = exif?.offsetTimeOriginal
        make = exif?.make
        model = exif?.model
        status = inspection.error != nil ? "malformed" : unreadable.isEmpty ? "ok" : "partial"
        error = inspection.error?.message
    }

    enum CodingKeys: String, CodingKey {
        case file, width, height, orientation
        case gpsLat = "gps_lat"
        case gpsLon = "gps_lon"
        case datetimeOriginal = "datetime_original"
        case offsetTimeOriginal = "offset_time_original"
        case make, model, status, error, format, unreadable
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(file, forKey: .file)
        try container.encode(width, forKey: .width)
        try container.encode(height, forKey: .height)
        try container.encode(orientation, forKey: .orientation)
        try container.encode(gpsLat, forKey: .gpsLat)
        try container.encode(gpsLon, forKey: .gpsLon)
        try container.encode(datetimeOriginal, forKey: .datetimeOriginal)
        try container.encode(offsetTimeOriginal, forKey: .offsetTimeOriginal)
        try container.encode(make, forKey: .make)
        try container.encode(model, forKey: .model)
        try container.encode(status, forKey: .status)
        try container.encode(error, forKey: .error)
        try container.encode(format, forKey: .format)
        try container.encode(unreadable, forKey: .unreadable)
    }
}
