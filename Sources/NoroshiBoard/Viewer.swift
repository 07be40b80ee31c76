import NoroshiCore

/// Who is looking at a page: the signed-in token's name and role, and the session's CSRF value.
public struct Viewer: Sendable, Hashable {
    public var name: String
    public var role: Role
    public var csrf: String

    public init(name: String, role: Role, csrf: String) {
        self.name = name
        self.role = role
        self.csrf = csrf
    }

    /// HQ and administrators see everything and act; field crews see only their own incidents, read-only.
    public var canAct: Bool { role.permits(.hq) }
}

/// What every page shows around its content: the language, the navigation and who is signed in.
struct Chrome {
    var lang: String
    var t: [String: String]
    var pageTitle: String
    var viewer: ViewerView?
    /// The same page in the other language.
    var languageLink: String
    /// Which tab is current: board, drills, map, outbox.
    var current: [String: Bool]
    /// Whether the page opens the event stream for live updates (HQ pages only).
    var live: Bool

    init(
        language: BoardLanguage, title: String, viewer: Viewer?, path: String, query: String, current: String,
        live: Bool = false
    ) {
        lang = language.rawValue
        t = language.words
        pageTitle = title
        self.viewer = viewer.map { ViewerView(name: $0.name, role: $0.role.rawValue, csrf: $0.csrf, canAct: $0.canAct) }
        languageLink = path + "?" + QueryString.replacing("lang", with: language.other.rawValue, in: query)
        self.current = [current: true]
        self.live = live && (viewer?.canAct ?? false)
    }
}

struct ViewerView {
    var name: String
    var role: String
    var csrf: String
    var canAct: Bool
}
