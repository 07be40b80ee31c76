import Foundation
import NoroshiCore

/// A drill scenario as written in a playbook file (see `Playbooks/README.md`): timed injects that go
/// through the board's real intake path, and expectations checked against what the board did.
///
/// Report keys name the reports a playbook sends; later injects and expectations refer to an incident
/// by the key of a report in it, since incident numbers are only known once the drill runs.
public struct Playbook: Sendable, Hashable {
    public var name: String
    public var description: String
    /// When a controlled run's clock starts (the scenario's time of day shows in chat messages); nil starts
    /// it at the moment the run begins.
    public var start: Date?
    /// How fast the drill's time runs.
    public var speed: Speed
    /// The chat rooms the drill's summaries go to (capture rooms inside the runner).
    public var rooms: [Room]
    /// In order of time.
    public var injects: [Inject]
    public var expectations: [Expectation]

    /// The offset of the last inject or expectation: how long the scenario lasts.
    public var length: Duration {
        let times = injects.map(\.at) + expectations.compactMap(\.time)
        return times.max() ?? .zero
    }

    /// The report injects, by key.
    public var reports: [String: ReportInject] {
        var reports: [String: ReportInject] = [:]
        for inject in injects {
            if case .report(let report) = inject.action { reports[report.key] = report }
        }
        return reports
    }

    public enum Speed: Sendable, Hashable {
        /// The runner's own clock, jumping from one event to the next: hours of scenario in seconds.
        case controlled
        /// Real time multiplied by this factor (1 is real time).
        case realTime(Double)
    }

    public struct Room: Sendable, Hashable {
        public var name: String
        public var language: ChatLanguage
    }

    /// Something that happens at a time: a report arrives, HQ changes an incident, a fault begins.
    public struct Inject: Sendable, Hashable {
        /// An optional name, for expectations that time a message from this inject.
        public var id: String?
        /// The offset from the start of the drill.
        public var at: Duration
        public var action: Action
        /// Where it is written, for messages.
        public var line: Int
    }

    public enum Action: Sendable, Hashable {
        case report(ReportInject)
        /// HQ sets the status of the incident that holds report `incident`.
        case status(incident: String, to: IncidentStatus)
        /// HQ moves report `report` into the incident that holds report `incident`.
        case link(report: String, incident: String)
        /// HQ merges the incident holding report `incident` into the one holding report `into`.
        case merge(incident: String, into: String)
        case fault(Fault)
        /// The daemon stops and starts again on the same data.
        case restart
        /// A line for the log and the after-action report.
        case note(String)

        /// The inject kind as written in a playbook.
        public var kind: String {
            switch self {
            case .report: "report"
            case .status: "status"
            case .link: "link"
            case .merge: "merge"
            case .fault: "fault"
            case .restart: "restart"
            case .note: "note"
            }
        }
    }

    /// A field report, sent the way a crew's `noroshi report` sends it (always flagged as exercise).
    public struct ReportInject: Sendable, Hashable {
        /// The name the playbook uses for this report.
        public var key: String
        public var kind: IncidentKind
        public var latitude: Double?
        public var longitude: Double?
        public var place: String?
        public var text: String
        public var unit: String?
        public var reporter: String?
        public var casualties: Casualties?
        /// 住家被害, in buildings.
        public var homes: HomeDamage?
        /// JPEG files, resolved against the playbook's folder.
        public var photos: [URL]
    }

    /// A chat server misbehaving for a while.
    public struct Fault: Sendable, Hashable {
        public var room: String
        public var kind: Kind
        /// When it ends (an offset from the start).
        public var until: Duration

        public enum Kind: Sendable, Hashable {
            /// Connections are refused.
            case unreachable
            /// Every answer takes this long.
            case slow(Duration)
            /// Every message is answered 429 with this Retry-After.
            case rateLimited(retryAfter: Duration)
        }
    }

    /// Something the board should have done, checked at a time, by a deadline, or at the end.
    public struct Expectation: Sendable, Hashable {
        public var check: Check
        public var timing: Timing
        public var line: Int

        public enum Timing: Sendable, Hashable {
            /// Checked once, at this offset.
            case at(Duration)
            /// Passes as soon as it holds, fails if it still does not at this offset.
            case by(Duration)
            /// Checked once everything has happened and the outbox has settled.
            case end
        }

        var time: Duration? {
            switch timing {
            case .at(let time), .by(let time): time
            case .end: nil
            }
        }
    }

    public enum Check: Sendable, Hashable {
        /// This many open incidents (of this kind, when given).
        case openIncidents(kind: IncidentKind?, count: Int)
        /// These reports are in one incident.
        case sameIncident([String])
        /// These reports are in different incidents, no two together.
        case separateIncidents([String])
        /// The incident holding this report has this status.
        case status(incident: String, is: IncidentStatus)
        /// The room received a summary containing `contains` within `within` of the inject named `after`
        /// (an inject id or a report key).
        case message(room: String, contains: String, within: Duration, after: String)
        /// No room received the same message twice.
        case noDuplicates
        /// Nothing is left in the outbox and nothing was dead-lettered.
        case outboxEmpty
        /// Every incident and report the drill created is flagged as exercise.
        case allExercise
    }
}
