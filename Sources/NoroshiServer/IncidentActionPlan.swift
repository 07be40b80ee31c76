import Foundation
import NoroshiBoard
import NoroshiCore
import NoroshiStorage

/// A board form read into the change it asks for, with the question its confirmation page asks.
struct IncidentActionPlan {
    enum Change {
        case incident(IncidentChange)
        case link(Int64)
        case unlink(Int64)
        case merge(String)
        case sokuho(String)
    }

    var change: Change
    var question: String
    /// The form fields the confirmation repeats.
    var fields: [(String, String)]
    /// Text the confirmation shows as it will be sent.
    var detail: String?

    init(action: String, form: [String: String], incident: Incident, language: BoardLanguage) throws(NoroshiError) {
        let ja = language == .japanese
        let number = incident.number
        func field(_ name: String) throws(NoroshiError) -> String {
            let value = (form[name] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            guard !value.isEmpty else { throw NoroshiError(.invalidInput, "The form needs a value for '\(name)'.") }
            return value
        }
        func reportID() throws(NoroshiError) -> Int64 {
            let text = try field("report")
            guard let id = Int64(text.trimmingCharacters(in: CharacterSet(charactersIn: "#"))), id > 0 else {
                throw NoroshiError(.invalidInput, "'\(text.prefix(40))' is not a report number.")
            }
            return id
        }
        switch action {
        case "status":
            let name = try field("status")
            guard let status = IncidentStatus(rawValue: name) else {
                throw NoroshiError(
                    .invalidInput, "Unknown status '\(name.prefix(40))'; use one of \(IncidentStatus.allNames).")
            }
            change = .incident(IncidentChange(status: status))
            question =
                ja
                ? "\(number) の状況を「\(language.status(incident.status))」から「\(language.status(status))」に変更しますか？"
                : "Change the status of \(number) from \(incident.status.rawValue) to \(status.rawValue)?"
            fields = [("status", name)]
        case "severity":
            let text = try field("severity")
            guard let severity = Int(text) else {
                throw NoroshiError(.invalidInput, "Severity must be a number from 1 to 5.")
            }
            change = .incident(IncidentChange(severity: severity))
            question =
                ja
                ? "\(number) の深刻度を \(language.severity(incident.severity)) から \(severity)/5 に変更しますか？"
                : "Change the severity of \(number) from \(language.severity(incident.severity)) to \(severity)/5?"
            fields = [("severity", text)]
        case "title":
            let title = try field("title")
            change = .incident(IncidentChange(title: title))
            question = ja ? "\(number) の件名を「\(title)」に変更しますか？" : "Rename \(number) to “\(title)”?"
            fields = [("title", title)]
        case "link":
            let id = try reportID()
            change = .link(id)
            question = ja ? "報告 #\(id) を \(number) に移しますか？" : "Move report #\(id) into \(number)?"
            fields = [("report", String(id))]
        case "unlink":
            let id = try reportID()
            change = .unlink(id)
            question =
                ja
                ? "報告 #\(id) を \(number) から切り離し、新しい事案にしますか？"
                : "Take report #\(id) out of \(number) into a new incident of its own?"
            fields = [("report", String(id))]
        case "merge":
            let source = try field("source").uppercased()
            change = .merge(source)
            question =
                ja
                ? "\(source) を \(number) に統合しますか？ \(source) の報告はすべて \(number) に移ります。"
                : "Merge \(source) into \(number)? All reports of \(source) move here."
            fields = [("source", source)]
        case "sokuho":
            // Empty is allowed: the store drafts the situation from the latest reports.
            let situation = (form["situation"] ?? "").replacingOccurrences(of: "\r\n", with: "\n")
            let next = (incident.sokuho?.count ?? 0) + 1
            change = .sokuho(situation)
            question =
                ja
                ? "\(number) の第\(next)報を発出しますか？ 発出した報は変更できません（訂正は次の報で行います）。"
                : "Issue 第\(next)報 (sokuho no. \(next)) for \(number)? An issued report never changes; a correction is the next one."
            fields = [("situation", situation)]
            detail = situation.isEmpty ? (ja ? "（最新の報告から下書き）" : "(drafted from the latest reports)") : situation
        default:
            throw NoroshiError(.notFound, "There is no incident action '\(action.prefix(40))'.")
        }
    }
}
