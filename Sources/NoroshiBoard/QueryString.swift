import Foundation

/// Query strings as the board writes them: percent-encoded pairs, in a stable order.
enum QueryString {
    static func encode(_ pairs: [(String, String)]) -> String {
        pairs.map { "\(component($0.0))=\(component($0.1))" }.joined(separator: "&")
    }

    static func component(_ text: String) -> String {
        var allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        allowed.insert(charactersIn: "-._~,")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    /// `query` with `key` set to `value` (every other pair kept as it was).
    static func replacing(_ key: String, with value: String, in query: String) -> String {
        var parts = query.split(separator: "&").filter { !$0.hasPrefix(key + "=") && $0 != Substring(key) }
            .map(String.init)
        parts.append("\(component(key))=\(component(value))")
        return parts.joined(separator: "&")
    }
}
