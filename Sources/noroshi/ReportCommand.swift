import ArgumentParser
import Foundation
import NoroshiCore

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Send a report from the field, with photos; it is queued first, so nothing is lost without signal.",
        discussion: """
            The report and copies of its photos are saved in a local queue before anything is sent. If \
            the server cannot be reached, they stay queued and 'noroshi sync' sends them later, each \
            exactly once. Photos are checked first: if one would be refused, nothing is queued.

            With photos, --at may be left out when a photo carries a GPS position, and --observed-at \
            when one carries the time it was taken (a time without an offset is read in this device's \
            time zone; one after now or more than 7 days old is not used). Each photo shows a progress \
            bar on a terminal and plain lines otherwise (NOROSHI_PROGRESS=bar|lines|none to choose).

            Examples:
              noroshi report --kind fire --at 36.2381,137.1860 \\
                  --text "Smoke from a barn roof" --unit "Hida FD 2"
              noroshi report --kind fire --text "Barn fully involved" \\
                  DSC_0042.jpg DSC_0043.jpg
              noroshi report --kind landslide --place "National Route 41, Miya" \\
                  --text "Road blocked" --missing 1
              noroshi report --kind flood --place "Furukawa 3-chome" \
                  --text "Water in houses" --homes-flooded-above-floor 12 --injured 1
              noroshi report --kind fire --at 36.2390,137.1871 \\
                  --incident F-2026-0042 --text "Spread to the house"
              noroshi report --kind avian_influenza --at 35.7121,140.2235 \\
                  --text "Drill: suspected case" --exercise
            """
    )

    @Option(help: "fire, landslide, avian_influenza, flood or other.")
    var kind: String

    @Option(help: "Position as latitude,longitude in decimal degrees, e.g. 36.2381,137.1860 (default: a photo's GPS).")
    var at: String?

    @Option(help: "A place name, with or instead of --at.")
    var place: String?

    @Option(help: "What you see.")
    var text: String

    @Option(help: "Your unit, e.g. 'Hida FD station 2'.")
    var unit: String?

    @Option(help: "Your name.")
    var reporter: String?

    @Option(help: "Join this incident instead of linking automatically, e.g. F-2026-0042.")
    var incident: String?

    @Option(
        help: "When you saw it (RFC 3339, e.g. 2026-11-21T09:30:00+09:00); default: a photo's time, else receipt.")
    var observedAt: String?

    @Option(help: "Horizontal accuracy of --at in metres.")
    var accuracy: Double?

    @OptionGroup(title: "Damage counts (leave out what you do not know; 0 means none)") var counts: CountOptions

    @Flag(help: "Mark the report as part of a drill; it never mixes with real incidents.")
    var exercise = false

    @Argument(
        help: ArgumentHelp(
            "Photos to send with the report: JPEG, HEIC/HEIF (iPhone) or PNG (screenshots).", valueName: "photo"))
    var photos: [String] = []

    @Flag(help: "Send the photos' originals straight away, without previews first (for a good link).")
    var originalsFirst = false

    @OptionGroup var client: ClientOptions

    func run() throws {
        try CLIError.run {
            let batch = try PhotoBatch(paths: photos)
            var submission = try makeSubmission()
            var notes: [String] = []
            if submission.latitude == nil, let (point, file) = batch.position(notes: &notes) {
                submission.latitude = point.latitude
                submission.longitude = point.longitude
                notes.append("Position \(PhotoEvidence.describe(point)) from the GPS of \(file).")
            }
            if submission.observedAt == nil, let (time, file) = try batch.observedTime(now: Date(), notes: &notes) {
                submission.observedAt = RFC3339.string(from: time)
                notes.append("Observed at \(Output.local(time)), when \(file) was taken.")
            }
            if submission.latitude == nil, submission.place == nil {
                throw NoroshiError(
                    .invalidInput,
                    batch.isEmpty
                        ? "Give a position (--at 36.2381,137.1860) or a place (--place \"Route 41, Miya\")."
                        : "Give --at or --place: no photo carries a usable GPS position.")
            }
            // Check locally first, so that a typo is caught before anything is queued.
            _ = try submission.validated(limits: ReportLimits(), now: Date())
            let queue = try LocalQueue()
            let api = client.client()
            let id = try queue.add(submission, photos: try batch.copy(into: queue), server: api.server)
            for note in notes { print(note) }
            let entry = LocalQueue.Entry(id: id, submission: submission, queuedAt: Date(), attempts: 0)
            var sender = Sender(client: api, queue: queue)
            sender.originalsFirst = originalsFirst
            let (outcome, tally) = try sender.send(entry) { receipt in
                print(Sender.describe(receipt))
            }
            switch outcome {
            case .sent:
                if let stopped = tally.stopped {
                    let left = try queue.photoCount()
                    print("\(left) photo\(left == 1 ? "" : "s") wait in the local queue; not sent: \(stopped)")
                    print("Run 'noroshi sync' when the connection is back.")
                }
                if tally.rejected > 0 || tally.unauthorized { throw ExitCode.failure }
            case .deferred(let reason):
                let pending = try queue.count()
                let pictures = batch.isEmpty ? "" : " with \(photos.count) photo\(photos.count == 1 ? "" : "s")"
                print("Report saved in the local queue\(pictures) (\(pending) pending); it was not sent: \(reason)")
                print("Run 'noroshi sync' when the connection is back.")
            case .unauthorized(let reason):
                CLIError.report(
                    "\(reason) The report is set aside with its photos ('noroshi queue' lists it); fix the token "
                        + "with 'noroshi login', then 'noroshi queue retry --all'.")
                throw ExitCode.failure
            case .rejected(let reason):
                CLIError.report("The server refused the report: \(reason)")
                throw ExitCode.failure
            }
        }
    }

    func makeSubmission() throws -> ReportSubmission {
        guard let kind = IncidentKind(name: kind) else {
            throw NoroshiError(.invalidInput, "Unknown kind '\(kind)'; use one of \(IncidentKind.allNames).")
        }
        var position: GeoPoint?
        if let at { position = try GeoPoint(parsing: at) }
        let casualties = counts.casualties
        let homes = counts.homes
        return ReportSubmission(
            clientKey: UUID().uuidString.lowercased(),
            kind: kind.rawValue,
            latitude: position?.latitude,
            longitude: position?.longitude,
            accuracy: accuracy,
            place: place,
            text: text,
            unit: unit,
            reporter: reporter,
            observedAt: observedAt,
            casualties: casualties.isEmpty ? nil : casualties,
            homes: homes.isEmpty ? nil : homes,
            incident: incident,
            exercise: exercise ? true : nil
        )
    }
}
