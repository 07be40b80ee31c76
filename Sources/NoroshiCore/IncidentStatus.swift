/// Where an incident stands: reported → confirmed → responding → contained → closed, or cancelled.
///
/// An open incident may move forward by any number of steps (a small fire may go straight from
/// `reported` to `closed`), never backwards. Any open incident may be cancelled as a false alarm.
/// A closed incident may be reopened into any open status; a cancelled one is final.
public enum IncidentStatus: String, CaseIterable, Codable, Sendable, Hashable {
    case reported
    case confirmed
    case responding
    case contained
    case closed
    case cancelled

    /// The open statuses in the order an incident moves through them.
    public static let openSequence: [IncidentStatus] = [.reported, .confirmed, .responding, .contained]

    /// Whether the incident still needs attention and can take new reports automatically.
    public var isOpen: Bool {
        switch self {
        case .reported, .confirmed, .responding, .contained: true
        case .closed, .cancelled: false
        }
    }

    /// The statuses this one may change to, in order.
    public var allowedNextStatuses: [IncidentStatus] {
        switch self {
        case .reported, .confirmed, .responding, .contained:
            let index = Self.openSequence.firstIndex(of: self) ?? 0
            return Array(Self.openSequence[(index + 1)...]) + [.closed, .cancelled]
        case .closed:
            return Self.openSequence
        case .cancelled:
            return []
        }
    }

    /// Whether a change from this status to `next` is allowed.
    public func canChange(to next: IncidentStatus) -> Bool {
        allowedNextStatuses.contains(next)
    }

    /// The name HQ reads, in Japanese.
    public var japaneseName: String {
        switch self {
        case .reported: "通報受付"
        case .confirmed: "確認済み"
        case .responding: "対応中"
        case .contained: "鎮圧"
        case .closed: "終了"
        case .cancelled: "取消（誤報）"
        }
    }

    /// The wire names, comma separated, for error messages and help texts.
    public static var allNames: String {
        allCases.map(\.rawValue).joined(separator: ", ")
    }
}
