/// Casualty counts as reported from the field; a missing value means "not reported", not zero.
public struct Casualties: Sendable, Hashable, Codable {
    public var dead: Int?
    public var missing: Int?
    public var injured: Int?

    public init(dead: Int? = nil, missing: Int? = nil, injured: Int? = nil) {
        self.dead = dead
        self.missing = missing
        self.injured = injured
    }

    /// Whether no count was given at all.
    public var isEmpty: Bool { dead == nil && missing == nil && injured == nil }

    /// Refuses negative or absurd counts.
    public func validated() throws(NoroshiError) -> Casualties {
        for (name, value) in [("dead", dead), ("missing", missing), ("injured", injured)] {
            if let value, !(0...1_000_000).contains(value) {
                throw NoroshiError(.invalidInput, "Casualty count '\(name)' must be between 0 and 1000000.")
            }
        }
        return self
    }

    /// These counts with any value given in `newer` replacing the old one.
    public func updated(with newer: Casualties) -> Casualties {
        Casualties(dead: newer.dead ?? dead, missing: newer.missing ?? missing, injured: newer.injured ?? injured)
    }
}
