import Foundation

extension String {
    /// The string percent-encoded for one URL path segment or query value: everything but RFC 3986's
    /// unreserved ASCII characters (`A–Z a–z 0–9 - . _ ~`) is escaped — room ids' `!` and `:`, aliases' `#`,
    /// `&` in a query, and non-ASCII text (`CharacterSet.alphanumerics` would let kanji through).
    public var urlComponentEncoded: String {
        addingPercentEncoding(withAllowedCharacters: Self.unreserved) ?? self
    }

    private static let unreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
}
