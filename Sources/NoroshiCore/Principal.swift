/// Who made a change, as the audit log records it: a token (its id and name), or someone at the server's
/// console (`noroshi token create` run by an administrator), who has no token and is named by what they ran.
///
/// A string literal is a principal without a token, which is what tests and tools write.
public struct Principal: Sendable, Hashable, ExpressibleByStringLiteral, CustomStringConvertible {
    /// The token's id; nil for the server's console and the daemon itself.
    public var tokenID: Int64?
    /// The token's name, or who acted at the console.
    public var name: String

    public init(tokenID: Int64?, name: String) {
        self.tokenID = tokenID
        self.name = name
    }

    public init(stringLiteral name: String) {
        self.init(tokenID: nil, name: name)
    }

    /// The daemon itself: the configuration it loaded, the checkpoints it signs.
    public static let daemon = Principal(tokenID: nil, name: "noroshi daemon")

    public var description: String { tokenID.map { "\(name) (token \($0))" } ?? name }
}
