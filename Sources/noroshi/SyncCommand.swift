import ArgumentParser
import Foundation
import NoroshiClient

struct SyncCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Send the reports and photos waiting in the local queue, each exactly once.",
        discussion: """
            Reports and photos wait in the queue when 'noroshi report' or 'noroshi photo add' could not \
            reach the server. Each report keeps the key it was created with, so one the server already \
            has is never stored twice; a photo the server already has is answered as such, and one cut \
            off halfway continues where the server's copy ends. A report leaves the queue once its photos \
            have. Entries go only to the server they were written for; others are named and left. What \
            the server refuses for good (an invalid body, a revoked token) is set aside with the reason \
            ('noroshi queue' shows it). Exits 0 when the queue is empty afterwards, 1 when something is \
            still waiting or was refused.

            With --watch it keeps trying until the queue is empty, waiting longer after each try that \
            got nowhere (5 s, doubling to 5 min, with jitter) and starting again at once when a try \
            moved something: fit to leave running in a vehicle. A laptop that slept, or a network that \
            changed, just means the next try; Ctrl-C stops it, losing nothing.

            Examples:
              noroshi sync --server http://10.1.2.3:8080
              noroshi sync --watch
            """
    )

    @OptionGroup var client: ClientOptions

    @Flag(help: "Keep trying, with backoff, until the queue is empty.") var watch = false
    @Flag(help: "Send the originals straight away, without previews first (for a good link).")
    var originalsFirst = false

    func run() throws {
        // Each line out as it is written, also into a file or a pipe: `sync --watch > sync.log` in a vehicle
        // shows what went, even when the process is stopped before it ends.
        Output.lineBuffered()
        try CLIError.run {
            let queue = try LocalQueue()
            let api = client.client()
            guard watch else {
                let pass = try SyncPass(queue: queue, client: api, originalsFirst: originalsFirst).run()
                pass.printSummary()
                if !pass.isDone || pass.refused > 0 { throw ExitCode.failure }
                return
            }
            var wait: Double = 5
            var refused = 0
            while true {
                let pass = try SyncPass(queue: queue, client: api, originalsFirst: originalsFirst).run()
                refused += pass.refused
                if pass.isDone {
                    pass.printSummary()
                    if refused > 0 { throw ExitCode.failure }
                    return
                }
                if pass.left.isEmpty {
                    // Only entries for another server are left: no try here can send them.
                    pass.printSummary()
                    throw ExitCode.failure
                }
                wait = pass.movedSomething ? 5 : min(wait * 2, 300)
                let jittered = wait * Double.random(in: 0.8...1.2)
                print(
                    "\(pass.left.description) still queued (\(pass.stopped ?? "not sent")). "
                        + "Next try in \(ProgressDisplay.duration(jittered)); Ctrl-C to stop.")
                SyncPass.sleep(seconds: jittered)
            }
        }
    }
}

/// One pass over the local queue: every report (then its photos), then photos for reports already sent.
struct SyncPass {
    let queue: LocalQueue
    let client: APIClient
    var originalsFirst = false

    /// What is left, counted.
    struct Left: CustomStringConvertible {
        var reports = 0
        var photos = 0
        var bytes: Int64 = 0
        var isEmpty: Bool { reports == 0 && photos == 0 }
        var description: String {
            "\(reports) report\(reports == 1 ? "" : "s") and \(photos) photo\(photos == 1 ? "" : "s") "
                + "(\(ProgressDisplay.size(bytes)))"
        }
    }

    struct Outcome {
        var sent = 0
        var photosSent = 0
        var refused = 0
        /// Why the pass stopped early (the server went away), if it did.
        var stopped: String?
        /// What is left for this server.
        var left = Left()
        /// Entries left because they were written for another server, by server.
        var elsewhere: [String: Int] = [:]
        var movedSomething: Bool { sent + photosSent + refused > 0 }
        var isDone: Bool { left.isEmpty && elsewhere.isEmpty }

        func printSummary() {
            for (server, count) in elsewhere.sorted(by: { $0.key < $1.key }) {
                CLIError.report(
                    "\(count) queued entr\(count == 1 ? "y was" : "ies were") written for \(server) and not sent here; "
                        + "send \(count == 1 ? "it" : "them") with 'noroshi sync --server \(server)'.")
            }
            if left.isEmpty && elsewhere.isEmpty && !movedSomething && stopped == nil {
                print("Nothing to send; the local queue is empty.")
                return
            }
            let photoPart = photosSent == 0 ? "" : " and \(photosSent) photo\(photosSent == 1 ? "" : "s")"
            if left.isEmpty {
                let rest = elsewhere.isEmpty ? "the queue is empty" : "nothing is left for this server"
                print("Sent \(sent) queued report\(sent == 1 ? "" : "s")\(photoPart); \(rest).")
            } else {
                print("Sent \(sent) report(s) and \(photosSent) photo(s); \(left.description) still queued.")
                if let stopped { CLIError.report(stopped) }
            }
            if refused > 0 {
                CLIError.report(
                    "\(refused) entr\(refused == 1 ? "y was" : "ies were") refused and set aside; 'noroshi queue' says why."
                )
            }
        }
    }

    /// True when an entry may go to this client's server: it was written for it, or before entries recorded one.
    func isFor(_ server: String?) -> Bool {
        guard let server else { return true }
        return Self.normalized(server) == Self.normalized(client.server)
    }

    static func normalized(_ server: String) -> String {
        (server.hasSuffix("/") ? String(server.dropLast()) : server).lowercased()
    }

    /// Reports first (their text is what HQ needs soonest), then every photo's preview, then the originals;
    /// with `originalsFirst`, reports then originals.
    func run() throws -> Outcome {
        var outcome = Outcome()
        var sender = Sender(client: client, queue: queue)
        sender.originalsFirst = originalsFirst
        for entry in try queue.pending() {
            guard isFor(entry.server) else { continue }
            switch try sender.sendReport(entry) {
            case .sent(let receipt):
                outcome.sent += 1
                print(Sender.describe(receipt))
            case .rejected(let reason), .unauthorized(let reason):
                outcome.refused += 1
                CLIError.report("A queued report was refused and set aside: \(reason)")
            case .deferred(let reason):
                return try finish(outcome, stopped: reason)
            }
        }
        let photos = try queue.allPhotos().filter { $0.reportID != nil && isFor($0.server) }
        let tally = try sender.sendPhotos(photos)
        outcome.photosSent += tally.sent
        outcome.refused += tally.rejected
        return try finish(outcome, stopped: tally.stopped)
    }

    /// Counts what is left for this server.
    private func finish(_ outcome: Outcome, stopped: String?) throws -> Outcome {
        var outcome = outcome
        outcome.stopped = stopped
        outcome.elsewhere = [:]
        for entry in try queue.pending() {
            if isFor(entry.server) {
                outcome.left.reports += 1
            } else {
                outcome.elsewhere[entry.server ?? "", default: 0] += 1
            }
        }
        for photo in try queue.allPhotos() {
            if isFor(photo.server) {
                outcome.left.photos += 1
                outcome.left.bytes += photo.bytes
            } else {
                outcome.elsewhere[photo.server ?? "", default: 0] += 1
            }
        }
        return outcome
    }

    /// Sleeps in one-second steps against the wall clock, so that a laptop that slept past the deadline goes
    /// on at once when it wakes.
    static func sleep(seconds: Double) {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline { Thread.sleep(forTimeInterval: min(1, deadline.timeIntervalSinceNow)) }
    }
}
