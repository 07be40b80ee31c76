import Foundation
import NoroshiCore

/// What a drill showed: the scenario, a timeline of the injects and of what the board did, each expectation's
/// verdict with what was observed, and the measured latencies. Written as JSON (this type, encoded) and as
/// Markdown (``markdown``); times are offsets from the drill's start, in seconds.
public struct AfterActionReport: Sendable, Hashable, Codable {
    public var playbook: String
    public var file: String
    public var description: String
    /// "controlled clock", or the live board's address and speed.
    public var mode: String
    /// When the drill's time began (the controlled clock's start, or the real moment of a live run).
    public var startedAt: Date
    /// How much drill time passed, seconds.
    public var drillSeconds: Double
    /// How long the run took, seconds of real time.
    public var realSeconds: Double
    /// True when every expectation held and every inject went through.
    public var passed: Bool
    public var expectations: [Verdict]
    public var latencies: [Latency]
    public var reports: [ReportOutcome]
    public var incidents: [IncidentOutcome]
    public var messages: MessageTally
    public var timeline: [Entry]
    /// Injects the board refused, and anything else that went wrong while the drill ran.
    public var problems: [String]

    /// One expectation's verdict.
    public struct Verdict: Sendable, Hashable, Codable {
        /// The line of the playbook where it is written.
        public var line: Int
        /// The expectation, in words.
        public var expectation: String
        public var passed: Bool
        /// What the runner saw.
        public var observed: String
    }

    /// One measure's spread, in seconds of drill time.
    public struct Latency: Sendable, Hashable, Codable {
        /// `report → incident`, `report → first chat message`, or the latter for one room.
        public var measure: String
        public var room: String?
        public var count: Int
        public var p50: Double?
        public var p95: Double?
        public var max: Double?
        /// Reports that never got there.
        public var missing: Int
    }

    /// What became of one report.
    public struct ReportOutcome: Sendable, Hashable, Codable {
        public var key: String
        public var id: Int64
        /// The incident it is in at the end.
        public var incident: String
        /// When it was sent, seconds from the start.
        public var sentAt: Double
        /// Seconds until it was in the incident it ended up in (at intake, or when HQ linked or merged it).
        public var toIncident: Double?
        /// Seconds until a room first received a summary that counted it; nil if none did.
        public var toFirstMessage: Double?
    }

    /// One incident the drill created, as it stands at the end.
    public struct IncidentOutcome: Sendable, Hashable, Codable {
        public var number: String
        public var kind: IncidentKind
        public var title: String
        public var status: IncidentStatus
        public var reports: Int
        public var exercise: Bool
        /// Set when it was merged into another.
        public var mergedInto: String?
    }

    /// What the rooms received.
    public struct MessageTally: Sendable, Hashable, Codable {
        /// Messages the rooms took, first time each.
        public var delivered = 0
        /// Attempts that failed (unreachable, rate-limited, timed out); the board retried them.
        public var failedAttempts = 0
        /// Messages a room received again.
        public var repeats = 0
        /// Left in the outbox at the end, queued or being sent.
        public var pending = 0
        /// Given up on after the last attempt, with the reason kept.
        public var dead = 0
    }

    /// One line of the timeline.
    public struct Entry: Sendable, Hashable, Codable {
        /// Seconds from the start.
        public var at: Double
        /// `inject`, `note`, `fault`, `board`, `chat` or `runner`.
        public var source: String
        public var text: String
    }
}

extension AfterActionReport {
    /// Seconds, to the millisecond, as the report writes lengths of time.
    static func seconds(_ duration: Duration) -> Double {
        Double(duration.milliseconds) / 1000
    }

    /// The value at quantile `q` (0…1) of `values`, nearest rank; nil when there are none.
    static func percentile(_ values: [Double], _ q: Double) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let rank = Int((q * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }

    /// The spread of `values` (seconds), with `missing` reports that never got there.
    static func latency(_ measure: String, room: String? = nil, _ values: [Double], missing: Int) -> Latency {
        Latency(
            measure: measure, room: room, count: values.count, p50: percentile(values, 0.5),
            p95: percentile(values, 0.95), max: values.max(), missing: missing)
    }

    /// The report as JSON: snake_case keys like the API's, sorted; times in RFC 3339.
    public func json() throws -> Data {
        let encoder = JSONEncoder.noroshi(pretty: true)
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return try encoder.encode(self)
    }

    /// Reads a report written by ``json()``.
    public static func decode(_ data: Data) throws -> AfterActionReport {
        let decoder = JSONDecoder.noroshi()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(AfterActionReport.self, from: data)
    }
}
