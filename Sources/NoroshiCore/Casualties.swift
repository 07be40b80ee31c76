import Foundation

/// One count of a damage report: its JSON key, its database column, its names and its unit.
public struct CountField<Counts> {
    /// The JSON member, e.g. `severely_injured`.
    public let key: String
    /// The column in `report` and `incident`.
    public let column: String
    /// 重傷, as the FDMA forms name it.
    public let japanese: String
    /// "severely injured".
    public let english: String
    /// 人 or 棟.
    public let unit: String
    public let path: WritableKeyPath<Counts, Int?>
}

/// Counts as reported from the field or set by HQ. A missing value means *unknown* — never reported —
/// which is not zero: every output writes 「未確認」 for it.
public protocol DamageCounts: Sendable, Hashable, Codable {
    init()
    /// Every count, in the order the FDMA forms list them.
    static var fields: [CountField<Self>] { get }
    /// "Casualty count" or "Home damage count", for error messages.
    static var noun: String { get }
}

extension DamageCounts {
    /// Whether no count was given at all.
    public var isEmpty: Bool { Self.fields.allSatisfy { self[keyPath: $0.path] == nil } }

    /// Refuses negative or absurd counts.
    public func validated() throws(NoroshiError) -> Self {
        for field in Self.fields {
            if let value = self[keyPath: field.path], !(0...1_000_000).contains(value) {
                throw NoroshiError(.invalidInput, "\(Self.noun) '\(field.key)' must be between 0 and 1000000.")
            }
        }
        return self
    }

    /// These counts with any value given in `newer` replacing the old one.
    public func updated(with newer: Self) -> Self {
        var result = self
        for field in Self.fields {
            if let value = newer[keyPath: field.path] { result[keyPath: field.path] = value }
        }
        return result
    }

    /// The counts that `newer` raises above these (an unknown count that becomes known counts as raised
    /// when it is above zero): what makes chat speak at once.
    public func rises(to newer: Self) -> [CountField<Self>] {
        Self.fields.filter { field in
            guard let value = newer[keyPath: field.path] else { return false }
            return value > (self[keyPath: field.path] ?? 0)
        }
    }

    /// The counts as `(field, value)` pairs, unknown ones included as nil.
    public var entries: [(field: CountField<Self>, value: Int?)] {
        Self.fields.map { ($0, self[keyPath: $0.path]) }
    }

    /// The SQL columns, comma-separated, in field order.
    public static var columnList: String { fields.map(\.column).joined(separator: ", ") }

    /// The values in field order, for SQL arguments.
    public var values: [Int?] { Self.fields.map { self[keyPath: $0.path] } }

    /// Counts read from `values` in field order.
    public init(values: [Int?]) {
        self.init()
        for (field, value) in zip(Self.fields, values) { self[keyPath: field.path] = value }
    }

    /// Writes the known counts as a JSON object (keys sorted, as the encoder writes them).
    public func writeJSON(to writer: inout JSONWriter) {
        let known = Self.fields.compactMap { field in self[keyPath: field.path].map { (field.key, $0) } }
            .sorted { $0.0 < $1.0 }
        writer.object { w in
            for (key, value) in known { w.member(dynamic: key, value) }
        }
    }
}

/// People: dead, missing and injured, the injured also split into 重傷 and 軽傷 as the FDMA forms ask.
public struct Casualties: DamageCounts, JSONWritable {
    public var dead: Int?
    public var missing: Int?
    public var injured: Int?
    /// 重傷: injured needing treatment of a month or more.
    public var severelyInjured: Int?
    /// 軽傷: injured needing less than a month.
    public var slightlyInjured: Int?

    public init() {}

    public init(
        dead: Int? = nil, missing: Int? = nil, injured: Int? = nil, severelyInjured: Int? = nil,
        slightlyInjured: Int? = nil
    ) {
        self.dead = dead
        self.missing = missing
        self.injured = injured
        self.severelyInjured = severelyInjured
        self.slightlyInjured = slightlyInjured
    }

    public static let noun = "Casualty count"

    public static var fields: [CountField<Casualties>] {
        [
            CountField(key: "dead", column: "dead", japanese: "死者", english: "dead", unit: "人", path: \.dead),
            CountField(
                key: "missing", column: "missing", japanese: "行方不明者", english: "missing", unit: "人", path: \.missing),
            CountField(
                key: "injured", column: "injured", japanese: "負傷者", english: "injured", unit: "人", path: \.injured),
            CountField(
                key: "severely_injured", column: "severely_injured", japanese: "重傷", english: "severely injured",
                unit: "人", path: \.severelyInjured),
            CountField(
                key: "slightly_injured", column: "slightly_injured", japanese: "軽傷", english: "slightly injured",
                unit: "人", path: \.slightlyInjured),
        ]
    }

    enum CodingKeys: String, CodingKey {
        case dead, missing, injured
        case severelyInjured = "severely_injured"
        case slightlyInjured = "slightly_injured"
    }
}

/// 住家被害: homes damaged, counted in buildings (棟) as the FDMA forms count them.
public struct HomeDamage: DamageCounts, JSONWritable {
    /// 全壊.
    public var destroyed: Int?
    /// 半壊.
    public var halfDestroyed: Int?
    /// 一部破損.
    public var partiallyDamaged: Int?
    /// 床上浸水.
    public var floodedAboveFloor: Int?
    /// 床下浸水.
    public var floodedBelowFloor: Int?

    public init() {}

    public init(
        destroyed: Int? = nil, halfDestroyed: Int? = nil, partiallyDamaged: Int? = nil,
        floodedAboveFloor: Int? = nil, floodedBelowFloor: Int? = nil
    ) {
        self.destroyed = destroyed
        self.halfDestroyed = halfDestroyed
        self.partiallyDamaged = partiallyDamaged
        self.floodedAboveFloor = floodedAboveFloor
        self.floodedBelowFloor = floodedBelowFloor
    }

    public static let noun = "Home damage count"

    public static var fields: [CountField<HomeDamage>] {
        [
            CountField(
                key: "destroyed", column: "homes_destroyed", japanese: "全壊", english: "destroyed", unit: "棟",
                path: \.destroyed),
            CountField(
                key: "half_destroyed", column: "homes_half_destroyed", japanese: "半壊", english: "half destroyed",
                unit: "棟", path: \.halfDestroyed),
            CountField(
                key: "partially_damaged", column: "homes_partially_damaged", japanese: "一部破損",
                english: "partially damaged", unit: "棟", path: \.partiallyDamaged),
            CountField(
                key: "flooded_above_floor", column: "homes_flooded_above_floor", japanese: "床上浸水",
                english: "flooded above floor", unit: "棟", path: \.floodedAboveFloor),
            CountField(
                key: "flooded_below_floor", column: "homes_flooded_below_floor", japanese: "床下浸水",
                english: "flooded below floor", unit: "棟", path: \.floodedBelowFloor),
        ]
    }

    enum CodingKeys: String, CodingKey {
        case destroyed
        case halfDestroyed = "half_destroyed"
        case partiallyDamaged = "partially_damaged"
        case floodedAboveFloor = "flooded_above_floor"
        case floodedBelowFloor = "flooded_below_floor"
    }
}

/// 災害対策本部 設置状況: which headquarters the municipality has set up for an incident, and since when.
public struct HeadquartersStatus: Sendable, Hashable, Codable {
    public enum Level: String, Sendable, Hashable, Codable, CaseIterable {
        /// 未設置: none set up (recorded by HQ; an incident where nothing was recorded has no status).
        case none
        /// 警戒本部 (災害警戒本部).
        case alert
        /// 災害対策本部.
        case response

        public var japaneseName: String {
            switch self {
            case .none: "未設置"
            case .alert: "災害警戒本部"
            case .response: "災害対策本部"
            }
        }

        public var englishName: String {
            switch self {
            case .none: "none"
            case .alert: "alert headquarters"
            case .response: "disaster response headquarters"
            }
        }

        public static var allNames: String { allCases.map(\.rawValue).joined(separator: ", ") }
    }

    public var level: Level
    /// When it was set up (or stood down, for `none`).
    public var since: Date

    public init(level: Level, since: Date) {
        self.level = level
        self.since = since
    }
}

extension HeadquartersStatus: JSONWritable {
    public func writeJSON(to writer: inout JSONWriter) {
        writer.object { w in
            w.member("level", level.rawValue)
            w.member("since", since)
        }
    }
}

extension DamageCounts {
    /// One count in words: `重傷 2` / `severely injured 2`, with 「未確認」 / `unknown` for an unknown one.
    static func phrase(_ field: CountField<Self>, _ value: Int?, japanese: Bool) -> String {
        let number = value.map(String.init) ?? (japanese ? "未確認" : "unknown")
        return japanese ? "\(field.japanese) \(number)" : "\(field.english) \(number)"
    }

    /// Every count in words, unknown ones as 「未確認」 (never 0); just 「未確認」 / `unknown` when none is known.
    public func text(japanese: Bool) -> String {
        guard !isEmpty else { return japanese ? "未確認" : "unknown" }
        return entries.map { Self.phrase($0.field, $0.value, japanese: japanese) }
            .joined(separator: japanese ? "・" : ", ")
    }
}

extension Casualties {
    /// `死者 1・行方不明者 未確認・負傷者 3（重傷 1・軽傷 2）`: the split of the injured only when part of it
    /// is known; just 「未確認」 / `unknown` when nothing is.
    public func text(japanese: Bool) -> String {
        guard !isEmpty else { return japanese ? "未確認" : "unknown" }
        let fields = Self.fields
        var text = fields[0..<3].map { Self.phrase($0, self[keyPath: $0.path], japanese: japanese) }
            .joined(separator: japanese ? "・" : ", ")
        if severelyInjured != nil || slightlyInjured != nil {
            let split = fields[3...].map { Self.phrase($0, self[keyPath: $0.path], japanese: japanese) }
            text += japanese ? "（\(split.joined(separator: "・"))）" : " (\(split.joined(separator: ", ")))"
        }
        return text
    }
}
