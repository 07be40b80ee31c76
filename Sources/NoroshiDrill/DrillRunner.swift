import Foundation
import Logging
import NoroshiCore
import NoroshiServer

/// Plays a playbook through a board's public API and writes down what happened.
///
/// ```swift
/// let playbook = try Playbook.load(path: "Playbooks/hida-fire-spread.yaml")
/// let report = try await DrillRunner(playbook: playbook, file: "Playbooks/hida-fire-spread.yaml").run()
/// print(report.markdown)
/// ```
///
/// Without a server the board is in-process on a controlled clock; with ``Options/server`` the injects go to a
/// live daemon in real time (or ``Options/speed`` times faster), everything flagged as exercise.
public struct DrillRunner: Sendable {
    public struct Options: Sendable {
        /// A live daemon's URL; nil runs an in-process board on a controlled clock.
        public var server: String?
        /// The live daemon's token (the hq role: it sends reports and changes incidents).
        public var token: String?
        /// Drill seconds per real second for a live run; nil takes the playbook's.
        public var speed: Double?
        /// How long a live run waits at the end for the board to send what the drill caused.
        public var patience: Duration = .seconds(300)
        /// The in-process board's linking rule, limits and outbox timing.
        public var configuration = NoroshiConfiguration()
        /// Send to the rooms that ``configuration`` defines under a playbook room's name, instead of capture rooms.
        public var realRooms = false
        /// Leave the in-process board's data directory in place.
        public var keepData = false
        /// Called with a line for each inject as it is played.
        public var progress: @Sendable (String) -> Void = { _ in }
        public var logger = Logger(label: "noroshi.drill")

        public init() {}
    }

    public let playbook: Playbook
    public let file: String
    public let options: Options

    public init(playbook: Playbook, file: String, options: Options = Options()) {
        self.playbook = playbook
        self.file = file
        self.options = options
    }

    /// Runs the drill and returns its after-action report; throws only when the drill cannot run at all.
    public func run() async throws -> AfterActionReport {
        let began = ContinuousClock.now
        if let server = options.server {
            guard let token = options.token, !token.isEmpty else {
                throw DrillError(
                    "A drill against \(server) needs a token with the hq role: --token, $NOROSHI_TOKEN or "
                        + "'noroshi login'.")
            }
            var speed = options.speed ?? 1
            if options.speed == nil, case .realTime(let factor) = playbook.speed { speed = factor }
            let board = LiveBoard(
                server: server, token: token, speed: speed, rooms: playbook.rooms, patience: options.patience)
            // Each live run's client keys are new, so running a playbook again sends its reports again.
            let run = String(UUID().uuidString.prefix(8)).lowercased()
            return try await Play(runner: self, board: board, keyPrefix: "drill-\(run)-").run(began: began)
        }
        return try await LocalBoard.run(
            playbook: playbook, base: options.configuration, keep: options.keepData, realRooms: options.realRooms,
            logger: options.logger
        ) { board in
            try await Play(runner: self, board: board, keyPrefix: "drill-").run(began: began)
        }
    }
}

/// One run of a playbook on a board: what was sent, what the board answered, the verdicts so far.
final class Play {
    let runner: DrillRunner
    let board: any DrillBoard
    let keyPrefix: String
    var playbook: Playbook { runner.playbook }

    /// A report the drill sent.
    struct Sent {
        var key: String
        var id: Int64
        var at: Duration
        var observedAt: Date
        /// The incidents it has been in, in order; the last is where the runner last saw it.
        var incidents: [String]
        /// When it came to be in the last of them.
        var placedAt: Duration
    }

    var sent: [String: Sent] = [:]
    /// Every incident number the drill has seen, in order of first sight.
    var incidents: [String] = []
    /// When each inject id and report key was played.
    var injectTimes: [String: Duration] = [:]
    var timeline: [AfterActionReport.Entry] = []
    var problems: [String] = []
    /// Verdicts by expectation index.
    var verdicts: [Int: AfterActionReport.Verdict] = [:]
    /// `by` expectations that have not held yet.
    var waiting: Set<Int> = []
    /// The board once the drill is over and it has settled, read once for the end's checks and the report.
    var settled: Settled?

    struct Settled {
        var messages: [RoomMessage]
        var outbox: [OutboxMessage]
        /// Each incident the drill saw, by its number: its own detail, or that of the one it was merged into.
        var details: [(number: String, detail: IncidentDetail)]
        /// Each report the drill sent, as the board has it, by id.
        var reports: [Int64: Report]
    }

    init(runner: DrillRunner, board: any DrillBoard, keyPrefix: String) {
        self.runner = runner
        self.board = board
        self.keyPrefix = keyPrefix
    }

    func run(began: ContinuousClock.Instant) async throws -> AfterActionReport {
        for (index, expectation) in playbook.expectations.enumerated() {
            if case .by = expectation.timing { waiting.insert(index) }
        }
        // Every moment something is scheduled: injects, checks, deadlines, the ends of faults.
        var moments = Set(playbook.injects.map(\.at))
        for expectation in playbook.expectations {
            if let time = expectation.time { moments.insert(time) }
        }
        for inject in playbook.injects {
            if case .fault(let fault) = inject.action { moments.insert(fault.until) }
        }
        for moment in moments.sorted() {
            try await board.advance(to: moment) { try await observe() }
            for inject in playbook.injects where inject.at == moment {
                await play(inject)
                try await board.settle()
            }
            try await observe()
            for (index, expectation) in playbook.expectations.enumerated() {
                switch expectation.timing {
                case .at(let time) where time == moment, .by(let time) where time == moment:
                    if verdicts[index] == nil { try await judge(index) }
                default: break
                }
            }
        }
        if let note = try await board.finish(incidents: Set(incidents), observe: { try await observe() }) {
            problems.append(note)
            log("runner", note)
        }
        settled = Settled(
            messages: try await roomMessages(), outbox: try await outbox(), details: try await incidentDetails(),
            reports: try await sentReports())
        for index in playbook.expectations.indices where verdicts[index] == nil { try await judge(index) }
        return try await report(realSeconds: (ContinuousClock.now - began).timeInterval)
    }

    /// Judges the `by` expectations still waiting, after the board has settled: each passes the first time it
    /// holds.
    func observe() async throws {
        for index in waiting.sorted() {
            let expectation = playbook.expectations[index]
            if case .message = expectation.check { continue }  // judged from the rooms' log, with its own times
            let (holds, observed) = try await check(expectation.check)
            if holds {
                waiting.remove(index)
                verdicts[index] = verdict(
                    index, passed: true, observed: "At \(DrillTime.format(board.elapsed)): \(observed)")
            }
        }
    }

    /// Judges one expectation now.
    func judge(_ index: Int) async throws {
        let expectation = playbook.expectations[index]
        var (holds, observed) = try await check(expectation.check)
        switch expectation.timing {
        case .end:
            break
        case .at(let time):
            observed = "At \(DrillTime.format(time)): \(observed)"
        case .by(let time):
            waiting.remove(index)
            // A message's observation carries its own time.
            guard case .message = expectation.check else {
                observed = "\(holds ? "At" : "Still not at") \(DrillTime.format(time)): \(observed)"
                break
            }
        }
        verdicts[index] = verdict(index, passed: holds, observed: observed)
    }

    func verdict(_ index: Int, passed: Bool, observed: String) -> AfterActionReport.Verdict {
        let expectation = playbook.expectations[index]
        return AfterActionReport.Verdict(
            line: expectation.line, expectation: expectation.described, passed: passed, observed: observed)
    }

    func log(_ source: String, _ text: String, at: Duration? = nil) {
        timeline.append(.init(at: AfterActionReport.seconds(at ?? board.elapsed), source: source, text: text))
    }

    func seen(_ number: String) {
        if !incidents.contains(number) { incidents.append(number) }
    }
}
