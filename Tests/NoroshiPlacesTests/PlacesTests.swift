import NoroshiCore
import Testing

@testable import NoroshiPlaces

@Suite struct PlacesTests {
    static let places = Places.shared

    /// Known points: city halls, an island, both banks of the Tama river where Tokyo meets Kanagawa, a
    /// border between two municipalities of one prefecture.
    @Test(arguments: [
        (36.1461, 137.2522, "212032", "岐阜県", "高山市"),  // 高山市役所
        (35.7203, 140.6466, "122157", "千葉県", "旭市"),  // 旭市役所
        (38.0183, 138.3683, "152242", "新潟県", "佐渡市"),  // 佐渡市役所, on Sado island
        (24.3406, 124.1556, "472077", "沖縄県", "石垣市"),  // 石垣市役所
        (26.2124, 127.6809, "472018", "沖縄県", "那覇市"),  // 那覇市役所
        (35.6116, 139.6267, "131121", "東京都", "世田谷区"),  // 二子玉川, north bank of the Tama river
        (35.6050, 139.6200, "141305", "神奈川県", "川崎市"),  // the south bank, 900 m away
        (43.0621, 141.3544, "011002", "北海道", "札幌市"),  // 札幌市役所
    ])
    func knownPoints(latitude: Double, longitude: Double, code: String, prefecture: String, municipality: String) throws
    {
        let area = try #require(Self.places.area(at: GeoPoint(latitude: latitude, longitude: longitude)))
        #expect(area.code == code)
        #expect(area.prefecture == prefecture)
        #expect(area.municipality == municipality)
        #expect(area.name(japanese: true) == prefecture + municipality)
    }

    @Test(arguments: [
        (34.0, 137.0),  // the Pacific, 60 km south of the Atsumi peninsula
        (37.5665, 126.9780),  // Seoul
        (-33.8688, 151.2093),  // Sydney
        (40.0, 135.0),  // the Sea of Japan
    ])
    func seaAndAbroadHaveNoPlace(latitude: Double, longitude: Double) throws {
        #expect(Self.places.area(at: try GeoPoint(latitude: latitude, longitude: longitude)) == nil)
    }

    @Test func englishNames() throws {
        let area = try #require(Self.places.area(at: GeoPoint(latitude: 36.1461, longitude: 137.2522)))
        #expect(area.name(japanese: false) == "Takayama City, Gifu")
        #expect(area.shortName(japanese: true) == "高山市")
        #expect(area.prefectureNumber == 21)
    }

    @Test func codesAndPrefectures() throws {
        #expect(Places.code(21203) == "212032")
        #expect(Places.code(13101) == "131016")
        #expect(Places.code(1000) == "010006")
        #expect(Self.places.area(code: "212032")?.municipality == "高山市")
        #expect(Self.places.area(code: "210005")?.municipality == nil)
        #expect(Self.places.area(code: "210005")?.prefecture == "岐阜県")
        #expect(Self.places.area(code: "999999") == nil)
        #expect(Self.places.prefecture("岐阜県")?.number == 21)
        #expect(Self.places.prefecture("岐阜")?.number == 21)
        #expect(Self.places.prefecture("gifu")?.number == 21)
        #expect(Self.places.prefecture("21")?.name == "岐阜県")
        #expect(Self.places.prefecture("48") == nil)
        #expect(Self.places.prefectures.count == 47)
        #expect(Places.loadError == nil)
        // Every prefecture has municipalities, and every municipality's code names its own prefecture.
        for prefecture in Self.places.prefectures {
            let municipalities = Self.places.municipalities(inPrefecture: prefecture.number)
            #expect(!municipalities.isEmpty, "\(prefecture.name)")
            #expect(municipalities.allSatisfy { $0.area.prefecture == prefecture.name })
            #expect(!prefecture.outline.polygons.isEmpty)
        }
        #expect(Self.places.municipalities.count > 1_700)
    }

    /// A point just off the simplified coastline (the end of a pier) belongs to the town it is in front of;
    /// a point a kilometre out does not. At 140.65° E the data's coast of 旭市 lies at 35.6849° N.
    @Test func coastMargin() throws {
        #expect(Self.places.area(at: try GeoPoint(latitude: 35.6839, longitude: 140.65))?.municipality == "旭市")
        #expect(Self.places.area(at: try GeoPoint(latitude: 35.6749, longitude: 140.65)) == nil)
    }

    @Test func damagedDataIsRefused() {
        #expect(throws: PlaceData.Failure.self) { try Places(data: Array("NRPL".utf8)) }
        #expect(throws: PlaceData.Failure.self) { try Places(data: Array("GIF89a".utf8)) }
        #expect(throws: PlaceData.Failure.self) { try Places(data: [0x4E, 0x52, 0x50, 0x4C, 0x01, 0x2F, 0x01]) }
    }
}
