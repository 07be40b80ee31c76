import Foundation

/// The language a room reads its messages in.
public enum ChatLanguage: String, Sendable, Hashable, Codable, CaseIterable {
    case japanese = "ja"
    case english = "en"
}

/// How summaries are written for one room: language, the board's address, and the time zone times are shown in.
public struct SummaryStyle: Sendable, Hashable {
    public var language: ChatLanguage
    /// The web board's base URL, e.g. `https://noroshi.example.lg.jp`; messages link to the incident when set.
    public var boardURL: String?
    /// Seconds east of UTC for times in messages; Japan (+09:00) by default.
    public var utcOffset: Int

    public init(language: ChatLanguage = .japanese, boardURL: String? = nil, utcOffset: Int = 9 * 3600) {
        self.language = language
        self.boardURL = boardURL
        self.utcOffset = utcOffset
    }
}

/// A summary written out: a headline, detail lines and an optional link, as plain text and as HTML.
public struct RenderedSummary: Sendable, Hashable {
    public var headline: String
    public var lines: [String]
    public var link: String?

    /// Headline, lines and link, one per line.
    public var text: String {
        ([headline] + lines + (link.map { [$0] } ?? [])).joined(separator: "\n")
    }

    /// The same as HTML: the headline in bold, lines separated by `<br>`, the link as an anchor.
    public var html: String {
        var parts = ["<b>\(Self.escape(headline))</b>"] + lines.map(Self.escape)
        if let link { parts.append("<a href=\"\(Self.escape(link))\">\(Self.escape(link))</a>") }
        return parts.joined(separator: "<br>")
    }

    /// Escapes text for HTML element content and attribute values.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}

extension Summary {
    /// The summary written for a room; Japanese unless the style asks for English.
    public func rendered(_ style: SummaryStyle = SummaryStyle()) -> RenderedSummary {
        let words = Words(language: style.language)
        var headline = exercise ? words.exercise : ""
        headline += words.headline(self)
        var lines: [String] = []
        if reasons != [.test] {
            let severityText = severity.map { words.severity($0) } ?? words.unassessed
            lines.append("\(words.statusLabel)\(words.status(status))\(words.separator)\(severityText)")
            if place != nil || centre != nil {
                // The reporter's place name, else the 市区町村 of the position, else the position alone.
                let name = place ?? area?.name(japanese: words.ja)
                let position = centre.map { String(format: "%.5f, %.5f", $0.latitude, $0.longitude) }
                let placeText = [name, position.map { name == nil ? $0 : "(\($0))" }].compactMap { $0 }
                lines.append(words.placeLabel + placeText.joined(separator: " "))
            } else {
                lines.append(words.placeLabel + words.unlocated)
            }
            var counts = [words.reports(reportCount), words.photos(photoCount)]
            if !casualties.isEmpty { counts.append(words.casualties(casualties)) }
            lines.append(counts.joined(separator: words.separator))
            if let homes, !homes.isEmpty { lines.append(words.homesLabel + homes.text(japanese: words.ja)) }
            if let change = words.countChanges(self) { lines.append(change) }
            if let headquarters { lines.append(words.headquarters(headquarters, utcOffset: style.utcOffset)) }
            if let report = newestReport {
                lines.append(words.newestReport(report, utcOffset: style.utcOffset))
            } else if let lastReportAt {
                lines.append(words.lastReportLabel + Self.format(lastReportAt, utcOffset: style.utcOffset))
            }
        } else {
            lines.append(words.testLine)
        }
        var link: String?
        if reasons == [.auditHead] {
            // The head line verbatim: `noroshi audit verify --head` reads it back from a copy of the message.
            lines = [
                words.ja
                    ? "この行を保管してください。改ざん検査: noroshi audit verify --head '…'"
                    : "Keep this line; it proves what the log held: noroshi audit verify --head '…'",
                auditHead ?? "",
            ]
        }
        if let base = style.boardURL, !isAboutNoIncident {
            let trimmed = base.hasSuffix("/") ? String(base.dropLast()) : base
            link = "\(trimmed)/incidents/\(number)"
        }
        return RenderedSummary(headline: headline, lines: lines, link: link)
    }

    /// `2026-11-21 14:05 JST`, or with `UTC+hh:mm` for other offsets.
    public static func format(_ date: Date, utcOffset: Int) -> String {
        let seconds = Int((date.timeIntervalSince1970).rounded(.down)) + utcOffset
        let days = Int((Double(seconds) / 86_400).rounded(.down))
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = RFC3339.civilFromDays(days)
        let zone: String
        if utcOffset == 9 * 3600 {
            zone = "JST"
        } else {
            let sign = utcOffset < 0 ? "-" : "+"
            let magnitude = abs(utcOffset)
            zone = String(format: "UTC%@%02d:%02d", sign, magnitude / 3600, (magnitude % 3600) / 60)
        }
        return String(
            format: "%04d-%02d-%02d %02d:%02d %@", year, month, day, secondOfDay / 3600, (secondOfDay % 3600) / 60,
            zone)
    }
}

/// The words of one language; English and Japanese side by side so that a change to one shows in the other.
private struct Words {
    let language: ChatLanguage
    var ja: Bool { language == .japanese }

    var exercise: String { ja ? "【訓練】" : "EXERCISE — " }
    var separator: String { ja ? " ／ " : " · " }
    var statusLabel: String { ja ? "状況: " : "Status: " }
    var placeLabel: String { ja ? "場所: " : "Place: " }
    var lastReportLabel: String { ja ? "最終報告: " : "Last report: " }
    var unlocated: String { ja ? "位置不明" : "location unknown" }
    var unassessed: String { ja ? "深刻度 未評価" : "severity not assessed" }
    var testLine: String {
        ja
            ? "Noroshi からの接続テストです。このメッセージが見えれば設定は正しく動いています。"
            : "A connection test from Noroshi. If you can read this, the room is set up correctly."
    }

    func severity(_ value: Int) -> String { ja ? "深刻度 \(value)/5" : "severity \(value)/5" }
    func reports(_ n: Int) -> String { ja ? "報告 \(n)件" : n == 1 ? "1 report" : "\(n) reports" }
    func photos(_ n: Int) -> String { ja ? "写真 \(n)枚" : n == 1 ? "1 photo" : "\(n) photos" }

    /// `人的被害 死者 1・行方不明者 未確認・負傷者 2` (unknown counts are said to be unknown, never 0).
    func casualties(_ c: Casualties) -> String {
        (ja ? "人的被害 " : "casualties: ") + c.text(japanese: ja)
    }

    var homesLabel: String { ja ? "住家被害: " : "Homes: " }

    /// `続報 14:05 JST 高山消防署2隊: 延焼中` — the newest report, quoted.
    func newestReport(_ report: Summary.ReportLine, utcOffset: Int) -> String {
        let time = Summary.format(report.observedAt, utcOffset: utcOffset)
        let who = report.unit.map { " \($0)" } ?? ""
        return (ja ? "最新の報告: " : "Newest report: ") + "\(time)\(who): \(report.text)"
    }

    /// `変化: 負傷者 2→3・全壊 未確認→1`: the counts that differ from the previous message to the room.
    func countChanges(_ summary: Summary) -> String? {
        var changes: [String] = []
        func compare<C: DamageCounts>(_ before: C?, _ now: C?) {
            guard let before, let now else { return }
            for field in C.fields where before[keyPath: field.path] != now[keyPath: field.path] {
                let old = before[keyPath: field.path].map(String.init) ?? (ja ? "未確認" : "unknown")
                let new = now[keyPath: field.path].map(String.init) ?? (ja ? "未確認" : "unknown")
                changes.append("\(ja ? field.japanese : field.english) \(old)→\(new)")
            }
        }
        compare(summary.previousCasualties, summary.casualties)
        compare(summary.previousHomes, summary.homes)
        guard !changes.isEmpty else { return nil }
        return (ja ? "変化: " : "Changed: ") + changes.joined(separator: ja ? "・" : ", ")
    }

    func headquarters(_ hq: HeadquartersStatus, utcOffset: Int) -> String {
        let since = Summary.format(hq.since, utcOffset: utcOffset)
        return ja
            ? "災害対策本部等: \(hq.level.japaneseName)（\(since)）"
            : "Headquarters: \(hq.level.englishName) (\(since))"
    }

    func kind(_ kind: IncidentKind) -> String {
        ja ? kind.japaneseName : kind.englishName.prefix(1).uppercased() + kind.englishName.dropFirst()
    }

    func status(_ status: IncidentStatus) -> String { ja ? status.japaneseName : status.rawValue }

    /// `【火災】F-2026-0042 新規発生・写真追加 2枚` / `Fire F-2026-0042: new incident, 2 new photos`.
    func headline(_ summary: Summary) -> String {
        if summary.reasons == [.test] { return ja ? "【テスト】Noroshi 接続確認" : "TEST: Noroshi connection check" }
        if summary.reasons == [.auditHead] {
            let seq = summary.auditSeq.map(String.init) ?? "?"
            return ja ? "【監査】Noroshi 監査ログ 第\(seq)行まで署名" : "AUDIT: Noroshi audit log signed up to row \(seq)"
        }
        var events: [String] = []
        for reason in summary.reasons {
            switch reason {
            case .opened: events.append(ja ? "新規発生" : "new incident")
            case .statusChanged:
                events.append(ja ? "状況変更 → \(status(summary.status))" : "now \(summary.status.rawValue)")
            case .severityChanged:
                let value = summary.severity.map { "\($0)/5" } ?? "-"
                events.append(ja ? "深刻度変更 → \(value)" : "severity now \(value)")
            case .photoAdded:
                let n = summary.newPhotos
                events.append(ja ? "写真追加 \(n)枚" : n == 1 ? "1 new photo" : "\(n) new photos")
            case .merged:
                let from = summary.mergedFrom.joined(separator: ", ")
                events.append(ja ? "統合（\(from) を統合）" : "merged with \(from)")
            case .countsChanged: events.append(ja ? "被害数更新" : "counts updated")
            case .headquartersChanged:
                let level = summary.headquarters?.level
                events.append(
                    ja ? "本部設置状況 → \(level?.japaneseName ?? "未確認")" : "headquarters: \(level?.englishName ?? "unknown")"
                )
            case .reportAdded:
                let n = summary.newReports ?? 1
                events.append(ja ? "続報 \(n)件" : n == 1 ? "1 new report" : "\(n) new reports")
            case .sokuhoIssued:
                let label = summary.sokuho.map { "第\($0)報" } ?? "即報"
                events.append(ja ? "\(label) 発出" : "\(label) (sokuho no. \(summary.sokuho ?? 0)) issued")
            case .sokuhoReminder:
                let elapsed = summary.minutesSinceKakuchi.map { ja ? "覚知から\($0)分、" : "\($0) min after 覚知, " } ?? ""
                events.append(ja ? "\(elapsed)第1報が未発出です" : "\(elapsed)no 第1報 (first sokuho) issued yet")
            case .test, .auditHead: break
            }
        }
        let detail = events.joined(separator: ja ? "・" : ", ")
        if ja { return "【\(kind(summary.kind))】\(summary.number) \(detail)" }
        return "\(kind(summary.kind)) \(summary.number): \(detail)"
    }
}
