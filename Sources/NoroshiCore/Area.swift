/// Where a point lies in Japan's administrative geography: its 都道府県 and 市区町村 with the
/// 全国地方公共団体コード, as the shipped place data (NoroshiPlaces) gives it.
public struct Area: Sendable, Hashable, Codable {
    /// The 全国地方公共団体コード with its check digit: "212032" for 高山市. A point known only to its
    /// prefecture (the northern territories) carries the prefecture's code, "010006".
    public var code: String
    /// The prefecture's official name, e.g. 岐阜県.
    public var prefecture: String
    /// The municipality's official name, e.g. 高山市; nil when only the prefecture is known.
    public var municipality: String?
    /// English names, e.g. "Gifu" and "Takayama City".
    public var prefectureEnglish: String
    public var municipalityEnglish: String?

    public init(
        code: String, prefecture: String, municipality: String?, prefectureEnglish: String,
        municipalityEnglish: String?
    ) {
        self.code = code
        self.prefecture = prefecture
        self.municipality = municipality
        self.prefectureEnglish = prefectureEnglish
        self.municipalityEnglish = municipalityEnglish
    }

    /// The prefecture's number, 1 (北海道) to 47 (沖縄県): the code's first two digits.
    public var prefectureNumber: Int { Int(code.prefix(2)) ?? 0 }

    /// The full name: 岐阜県高山市, or "Takayama City, Gifu".
    public func name(japanese: Bool) -> String {
        if japanese { return prefecture + (municipality ?? "") }
        guard let municipalityEnglish else { return prefectureEnglish }
        return "\(municipalityEnglish), \(prefectureEnglish)"
    }

    /// The municipality alone (高山市, "Takayama City"), or the prefecture when that is all there is.
    public func shortName(japanese: Bool) -> String {
        japanese ? municipality ?? prefecture : municipalityEnglish ?? prefectureEnglish
    }

    enum CodingKeys: String, CodingKey {
        case code, prefecture, municipality
        case prefectureEnglish = "prefecture_en"
        case municipalityEnglish = "municipality_en"
    }
}
