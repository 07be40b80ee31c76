import Foundation
import NoroshiCore

/// The board's language: Japanese by default, English by `Accept-Language` or the switch (`?lang=en`).
public enum BoardLanguage: String, Sendable, CaseIterable {
    case japanese = "ja"
    case english = "en"

    /// The language a request asks for: `lang` (the switch, remembered in a cookie) wins, then the first of
    /// `Accept-Language` that the board speaks, then Japanese.
    public static func negotiate(explicit: String?, acceptLanguage: String?) -> BoardLanguage {
        if let explicit, let language = BoardLanguage(rawValue: explicit.lowercased()) { return language }
        for part in (acceptLanguage ?? "").split(separator: ",") {
            let tag = part.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
            if tag.hasPrefix("ja") { return .japanese }
            if tag.hasPrefix("en") { return .english }
        }
        return .japanese
    }

    var ja: Bool { self == .japanese }

    /// The other language, for the switch.
    public var other: BoardLanguage { ja ? .english : .japanese }

    public func kind(_ kind: IncidentKind) -> String {
        ja ? kind.japaneseName : kind.englishName.prefix(1).uppercased() + kind.englishName.dropFirst()
    }

    public func status(_ status: IncidentStatus) -> String { ja ? status.japaneseName : status.rawValue }

    public func severity(_ value: Int?) -> String {
        guard let value else { return ja ? "未評価" : "not assessed" }
        return "\(value)/5"
    }

    /// Dead, missing and injured (with 重傷 and 軽傷 when known); 「未確認」 for what was never reported.
    public func casualties(_ c: Casualties) -> String { c.text(japanese: ja) }

    /// 住家被害 in buildings; 「未確認」 for what was never reported.
    public func homes(_ h: HomeDamage) -> String { h.text(japanese: ja) }

    /// The 30-minute rule in words: how many 報 were issued and when the first one was, or how long since 覚知
    /// without one; `overdue` when 30 minutes passed without a 第1報 (while the incident is open).
    public func sokuho(_ incident: Incident, now: Date) -> (text: String, overdue: Bool) {
        let state = incident.sokuho ?? SokuhoState(count: 0, firstIssuedAt: nil, dueAt: incident.openedAt)
        let clock = { (date: Date) in RFC3339.hourMinute(from: date, utcOffset: 9 * 3600) }
        if let first = state.firstIssuedAt {
            let after = Int(first.timeIntervalSince(incident.openedAt) / 60)
            return (
                ja
                    ? "第\(state.count)報まで発出・第1報 \(clock(first))（覚知+\(after)分）"
                    : "\(state.count) issued; first at \(clock(first)) (\(after) min after 覚知)", false
            )
        }
        guard incident.isOpen else { return (ja ? "即報なし" : "none issued", false) }
        let minutes = max(0, Int(now.timeIntervalSince(incident.openedAt) / 60))
        if now >= state.dueAt {
            return (ja ? "第1報 未発出・覚知から\(minutes)分（期限超過）" : "no 第1報, \(minutes) min since 覚知 — OVERDUE", true)
        }
        return (
            ja
                ? "第1報 未発出・覚知から\(minutes)分（期限 \(clock(state.dueAt))）"
                : "no 第1報 yet, \(minutes) min since 覚知 (due \(clock(state.dueAt)))", false
        )
    }

    /// 災害対策本部 設置状況 and since when; 「未確認」 when HQ recorded nothing.
    public func headquarters(_ hq: HeadquartersStatus?) -> String {
        guard let hq else { return ja ? "未確認" : "not recorded" }
        let since = Summary.format(hq.since, utcOffset: 9 * 3600)
        return ja ? "\(hq.level.japaneseName)（\(since)〜）" : "\(hq.level.englishName) (since \(since))"
    }

    /// Where an incident is, in words: its 都道府県 and 市区町村 (岐阜県高山市), "at sea or outside Japan" for a
    /// position without one, "location unknown" without a position.
    public func area(_ area: Area?, located: Bool) -> String {
        if let area { return area.name(japanese: ja) }
        if located { return ja ? "海上または国外" : "at sea or outside Japan" }
        return ja ? "位置不明" : "location unknown"
    }

    /// `3分前` / `3 min ago`, from `date` to `now`.
    public func relative(_ date: Date, now: Date) -> String {
        let seconds = Int(now.timeIntervalSince(date))
        if seconds < 60 { return ja ? "たった今" : "just now" }
        if seconds < 3600 { return ja ? "\(seconds / 60)分前" : "\(seconds / 60) min ago" }
        if seconds < 86_400 { return ja ? "\(seconds / 3600)時間前" : "\(seconds / 3600) h ago" }
        return ja ? "\(seconds / 86_400)日前" : "\(seconds / 86_400) d ago"
    }

    /// The words of the pages, by key; templates read them as `{{t.key}}`.
    public var words: [String: String] {
        var table: [String: String] = [:]
        for (key, japanese, english) in Self.table { table[key] = ja ? japanese : english }
        return table
    }

    /// Japanese and English side by side, so that a change to one shows in the other.
    static let table: [(String, String, String)] = [
        ("appName", "Noroshi 災害情報ボード", "Noroshi incident board"),
        ("board", "発生中の事案", "Open incidents"),
        ("drills", "訓練", "Drills"),
        ("map", "地図", "Map"),
        ("outbox", "チャット送信", "Chat outbox"),
        ("signIn", "サインイン", "Sign in"),
        ("signOut", "サインアウト", "Sign out"),
        ("tokenLabel", "トークン", "Token"),
        (
            "tokenHelp", "管理者から受け取った nrs_ で始まるトークンを入力してください。",
            "Enter the token starting with nrs_ that an administrator gave you."
        ),
        ("badToken", "このトークンは不明か、失効しています。", "This token is unknown or has been revoked."),
        ("signedInAs", "サインイン中", "Signed in as"),
        ("number", "番号", "Number"),
        ("kind", "種別", "Kind"),
        ("status", "状況", "Status"),
        ("severity", "深刻度", "Severity"),
        ("place", "場所", "Place"),
        ("prefecture", "都道府県", "Prefecture"),
        ("allPrefectures", "すべての都道府県", "All prefectures"),
        ("areaCode", "全国地方公共団体コード", "Local government code"),
        (
            "mapSources",
            "出典:気象庁ホームページ（予報区等GISデータ「市町村等をまとめた地域等」）を加工して作成。全国地方公共団体コードは総務省による。",
            "Boundaries: 出典:気象庁 (JMA forecast-area GIS data, simplified). Local government codes: Ministry of Internal Affairs and Communications."
        ),
        ("reportedPlace", "報告された場所", "Place as reported"),
        ("reports", "報告", "Reports"),
        ("photos", "写真", "Photos"),
        ("casualties", "人的被害", "Casualties"),
        ("homes", "住家被害", "Homes damaged"),
        ("exportThis", "この絞り込みを書き出す", "Export what the filters show"),
        ("sokuho", "即報", "Sokuho (FDMA reports)"),
        ("sokuhoSection", "即報（火災・災害等即報要領）", "Sokuho — reports to the prefecture (FDMA rules)"),
        ("sokuhoNone", "まだ即報は発出されていません。", "No sokuho has been issued yet."),
        (
            "sokuhoSituation", "災害の概況（最新の報告から下書きしています。編集できます）",
            "Situation (drafted from the latest reports; edit as needed)"
        ),
        ("sokuhoIssue", "を発出", "issue"),
        (
            "sokuhoRule", "覚知から30分以内に第1報を送ります。発出した報は変更できません。訂正は次の報で行います。",
            "The 第1報 is due within 30 minutes of 覚知. An issued report never changes; a correction is the next one."
        ),
        ("headquarters", "災害対策本部等", "Headquarters"),
        ("lastActivity", "最終活動", "Last activity"),
        ("title", "件名", "Title"),
        ("filter", "絞り込み", "Filter"),
        ("allKinds", "すべての種別", "All kinds"),
        ("allStatuses", "すべての状況", "All statuses"),
        ("anySeverity", "深刻度を問わない", "Any severity"),
        ("since", "期間", "Active within"),
        ("since1h", "1時間", "1 h"),
        ("since6h", "6時間", "6 h"),
        ("since24h", "24時間", "24 h"),
        ("sinceAll", "すべて", "All"),
        ("search", "件名・報告本文を検索", "Search titles and report texts"),
        ("apply", "適用", "Apply"),
        ("clear", "解除", "Clear"),
        ("sortActivity", "最終活動順", "By last activity"),
        ("sortOpened", "覚知順", "By time reported"),
        ("noIncidents", "該当する事案はありません。", "No incidents match."),
        ("unlocatedSection", "位置不明の事案", "Incidents without a position"),
        ("previous", "前へ", "Previous"),
        ("next", "次へ", "Next"),
        ("exerciseMark", "【訓練】", "【訓練】EXERCISE"),
        ("exerciseTab", "訓練の事案（実際の統計には含まれません）", "Drill incidents (never counted with real ones)"),
        ("kakuchi", "覚知（最初の報告の受信）", "First report received (覚知)"),
        ("opened", "覚知", "Reported"),
        ("updated", "更新", "Updated"),
        ("reportsSection", "報告", "Reports"),
        ("photosSection", "写真", "Photos"),
        ("timelineSection", "経過", "Timeline"),
        ("mapSection", "位置", "Positions"),
        ("unit", "隊", "Unit"),
        ("reporter", "報告者", "Reporter"),
        ("sentBy", "送信", "Sent by"),
        ("observedAt", "観測時刻", "Observed"),
        ("receivedAt", "受信時刻", "Received"),
        ("source", "出典", "source"),
        ("original", "原本", "Original"),
        ("previewOnly", "プレビュー（原本は送信中）", "Preview (the original is on its way)"),
        ("chatCopy", "縮小版", "Chat copy"),
        ("pending", "作成中", "being made"),
        ("noPhotos", "写真はまだありません。", "No photos yet."),
        ("noPosition", "位置情報のある報告はありません。", "No report has a position."),
        ("actions", "操作", "Actions"),
        ("changeStatus", "状況を変更", "Change status"),
        ("changeSeverity", "深刻度を変更", "Change severity"),
        ("changeTitle", "件名を変更", "Change title"),
        ("linkReport", "報告を移す", "Move a report here"),
        ("unlinkReport", "報告を切り離す", "Unlink a report"),
        ("mergeIncident", "他の事案を統合", "Merge another incident into this one"),
        ("reportID", "報告番号", "Report number"),
        ("incidentNumber", "事案番号", "Incident number"),
        ("continue", "確認へ進む", "Continue"),
        ("confirm", "実行する", "Confirm"),
        ("cancel", "取りやめる", "Cancel"),
        ("confirmTitle", "確認", "Please confirm"),
        ("finalStatus", "この事案の状況はこれ以上変更できません。", "This incident's status is final."),
        ("readOnly", "閲覧のみ（自分の報告が含まれる事案）", "Read only: incidents your reports joined"),
        ("when", "日時", "When"),
        ("who", "実施者", "Who"),
        ("what", "内容", "What"),
        ("room", "ルーム", "Room"),
        ("queued", "送信待ち", "Queued"),
        ("sending", "送信中", "Sending"),
        ("delivered", "送信済み", "Delivered"),
        ("dead", "送信失敗", "Dead"),
        ("lastError", "最後のエラー", "Last error"),
        ("retry", "再送する", "Retry"),
        ("noRooms", "チャットルームは設定されていません。", "No chat rooms are configured."),
        ("deadLetters", "送信できなかったメッセージ", "Messages that could not be sent"),
        ("live", "自動更新中", "Live"),
        ("offline", "再接続中…", "Reconnecting…"),
        ("jst", "日本時間", "JST"),
        ("notFound", "見つかりません", "Not found"),
        ("forbidden", "権限がありません", "Not allowed"),
        ("error", "エラー", "Error"),
        ("back", "戻る", "Back"),
        ("mergedInto", "統合先", "Merged into"),
        ("mergedFrom", "統合元", "Merged from"),
        ("incident", "事案", "Incident"),
        ("language", "English", "日本語"),
    ]
}
