import ArgumentParser
import Foundation
import NoroshiCore

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Send a report from the field; it is queued first, so nothing is lost without signal.",
        discussion: """
            The report is saved in a local queue before it is sent. If the server cannot be reached,
            it stays queued and 'noroshi sync' sends it later, exactly once.

            Examples:
              noroshi report --kind fire --at 36.2381,137.1860 --text "Smoke from a barn roof" --unit "Hida FD 2"
              noroshi report --kind landslide --place "National Route 41, Miya" --text "Road blocked" --missing 1
              noroshi report --kind fire --at 36.2390,137.1871 --incident F-2026-0042 --text "Spread to the house"
              noroshi report --kind avian_influenza --at 35.7121,140.2235 --text "Drill: suspected case" --exercise
            """
    )

    @Option(help: "fire, landslide, avian_influenza, flood or other.")
    var kind: String

    @Option(help: "Position as latitude,longitude in decimal degrees, e.g. 36.2381,137.1860.")
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

    @Option(help: "When you saw it (RFC 3339, e.g. 2026-11-21T09:30:00+09:00); default now.")
    var observedAt: String?

    @Option(help: "Horizontal accuracy of --at in metres.")
    var accuracy: Double?

    @Option(help: "Number of dead.") var dead: Int?
    @Option(help: "Number of missing.") var missing: Int?
    @Option(help: "Number of injured.") var injured: Int?

    @Flag(help: "Mark the report as part of a drill; it never mixes with real incidents.")
    var exercise = false

    @OptionGroup var client: ClientOptions

    func run() throws {
        try CLIError.run {
            let submission = try makeSubmission()
            // Check locally first, so that a typo is caught before anything is queued.
            _ = try submission.validated(limits: ReportLimits(), now: Date())
            let queue = try LocalQueue()
            let id = try queue.add(submission)
            let entry = LocalQueue.Entry(id: id, submission: submission, queuedAt: Date(), attempts: 0)
            switch try Sender(client: client.client(), queue: queue).send(entry) {
            case .sent(let receipt):
                print(Sender.describe(receipt))
            case .deferred(let reason):
                let pending = try queue.count()
                print("Report saved in the local queue (\(pending) pending); it was not sent: \(reason)")
                print("Run 'noroshi sync' when the connection is back.")
            case .unauthorized(let reason):
                CLIError.report("\(reason) The report stays queued; fix the token, then run 'noroshi sync'.")
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
        let casualties = Casualties(dead: dead, missing: missing, injured: injured)
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
            incident: incident,
            exercise: exercise ? true : nil
        )
    }
}

struct SyncCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Send the reports waiting in the local queue, each exactly once.",
        discussion: """
            Reports wait in the queue when 'noroshi report' could not reach the server. Each keeps
            the key it was created with, so a report the server already has is never stored twice.
            Exits 0 when the queue is empty afterwards, 1 when reports are still waiting.

            Example:
              noroshi sync --server http://10.1.2.3:8080
            """
    )

    @OptionGroup var client: ClientOptions

    func run() throws {
        try CLIError.run {
            let queue = try LocalQueue()
            let entries = try queue.pending()
            guard !entries.isEmpty else {
                print("Nothing to send; the local queue is empty.")
                return
            }
            let sender = Sender(client: client.client(), queue: queue)
            var sent = 0
            var rejected = 0
            for entry in entries {
                switch try sender.send(entry) {
                case .sent(let receipt):
                    sent += 1
                    print(Sender.describe(receipt))
                case .rejected(let reason):
                    rejected += 1
                    CLIError.report("A queued report was refused and set aside: \(reason)")
                case .deferred(let reason), .unauthorized(let reason):
                    let left = try queue.count()
                    print("Sent \(sent); \(left) still queued.")
                    CLIError.report(reason)
                    throw ExitCode.failure
                }
            }
            print("Sent \(sent) queued report\(sent == 1 ? "" : "s"); the queue is empty.")
            if rejected > 0 { throw ExitCode.failure }
        }
    }
}
