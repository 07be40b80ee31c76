import Foundation
import NoroshiCore

/// Japan's prefectures and municipalities, offline: which 都道府県 and 市区町村 a point lies in, and the
/// outlines the board's map draws. Built from the JMA forecast-area boundaries (出典:気象庁) and the
/// 全国地方公共団体コード by `scripts/build-places.py`; see the README's "Places" section.
public final class Places: Sendable {
    public struct Prefecture: Sendable {
        /// 1 (北海道) … 47 (沖縄県).
        public let number: Int
        public let name: String
        public let englishName: String
        /// About 1 km of detail, small islands left out: for the map of all Japan.
        public let outline: Geometry
        /// About 200 m of detail: for the map zoomed in.
        public let detailedOutline: Geometry
        /// The prefecture's 全国地方公共団体コード, e.g. "210005".
        public let code: String
    }

    public struct Municipality: Sendable {
        public let area: Area
        /// The boundary at the data's full detail (1e-4 degree).
        public let geometry: Geometry
    }

    /// The data shipped in this build, read once; or why it could not be.
    static let loaded: Result<Places, PlaceData.Failure> = {
        guard let url = Bundle.module.url(forResource: "places", withExtension: "bin"),
            let data = try? Data(contentsOf: url)
        else { return .failure(.malformed("the file is missing from the build")) }
        do { return .success(try Places(data: [UInt8](data))) } catch let failure as PlaceData.Failure {
            return .failure(failure)
        } catch {
            return .failure(.malformed("\(error)"))
        }
    }()

    /// The shipped data; without it (a damaged build, which `Store` refuses to start with) no point has a place.
    public static var shared: Places {
        switch loaded {
        case .success(let places): places
        case .failure: empty
        }
    }

    /// Why the shipped data cannot be used, or nil when it can.
    public static var loadError: String? {
        if case .failure(let failure) = loaded { return failure.description }
        return nil
    }

    private static let empty = Places()

    private init() {
        prefectures = []
        municipalities = []
        byCode = [:]
        grid = Grid([], margin: 0)
    }

    /// A point this close to a municipality's boundary but outside every one (a pier, a harbour, a beach the
    /// simplified coastline cuts off) is placed in the nearest: about 300 m.
    public static let coastMargin = 0.003

    public let prefectures: [Prefecture]
    public let municipalities: [Municipality]
    private let byCode: [String: Int]
    private let grid: Grid

    init(data: [UInt8]) throws {
        var reader = PlaceData(data)
        try reader.header()
        var prefectures: [Prefecture] = []
        for _ in 0..<(try reader.varint()) {
            let number = try reader.varint()
            guard (1...47).contains(number), number == prefectures.count + 1 else {
                throw PlaceData.Failure.malformed("prefecture \(number) is out of order")
            }
            prefectures.append(
                Prefecture(
                    number: number, name: try reader.string(), englishName: try reader.string(),
                    outline: try reader.geometry(), detailedOutline: try reader.geometry(),
                    code: Self.code(number * 1000)))
        }
        guard prefectures.count == 47 else {
            throw PlaceData.Failure.malformed("it has \(prefectures.count) prefectures")
        }
        var municipalities: [Municipality] = []
        for _ in 0..<(try reader.varint()) {
            let code = try reader.varint()
            let name = try reader.string()
            let english = try reader.string()
            let number = code / 10_000
            guard (1...47).contains(number), Self.code(code / 10) == String(format: "%06d", code) else {
                throw PlaceData.Failure.malformed("area code \(code) is not a valid 全国地方公共団体コード")
            }
            let prefecture = prefectures[number - 1]
            let area = Area(
                code: String(format: "%06d", code), prefecture: prefecture.name,
                municipality: name.isEmpty ? nil : name, prefectureEnglish: prefecture.englishName,
                municipalityEnglish: english.isEmpty ? nil : english)
            municipalities.append(Municipality(area: area, geometry: try reader.geometry()))
        }
        guard reader.isAtEnd else { throw PlaceData.Failure.malformed("it has bytes after the last area") }
        self.prefectures = prefectures
        self.municipalities = municipalities
        var byCode: [String: Int] = [:]
        for (index, municipality) in municipalities.enumerated() { byCode[municipality.area.code] = index }
        self.byCode = byCode
        self.grid = Grid(municipalities, margin: Int32(Self.coastMargin * 10_000))
    }

    /// The code with its check digit for a five-digit code (prefecture × 1000 + municipality).
    static func code(_ five: Int) -> String {
        let digits = String(format: "%05d", five).compactMap(\.wholeNumberValue)
        let sum = zip(digits, [6, 5, 4, 3, 2]).reduce(0) { $0 + $1.0 * $1.1 }
        return String(format: "%05d%d", five, (11 - sum % 11) % 10)
    }

    /// The area a point lies in; nil at sea or outside Japan.
    public func area(at point: GeoPoint) -> Area? {
        let x = Int32((point.longitude * 10_000).rounded())
        let y = Int32((point.latitude * 10_000).rounded())
        let candidates = grid.candidates(x: x, y: y)
        guard !candidates.isEmpty else { return nil }
        for candidate in candidates {
            let polygon = municipalities[Int(candidate.municipality)].geometry.polygons[Int(candidate.polygon)]
            if Geometry.contains(polygon, x: x, y: y) { return municipalities[Int(candidate.municipality)].area }
        }
        // Not inside any: the nearest boundary within the coast margin, if there is one.
        let xScale = cos(point.latitude * .pi / 180)
        let margin = Self.coastMargin * 10_000
        var best: (distance: Double, index: Int32)?
        for candidate in candidates {
            guard
                let exterior = municipalities[Int(candidate.municipality)].geometry.polygons[Int(candidate.polygon)]
                    .first
            else { continue }
            let distance = exterior.squaredDistance(x: x, y: y, xScale: xScale)
            if distance <= margin * margin, distance < best?.distance ?? .infinity {
                best = (distance, candidate.municipality)
            }
        }
        return best.map { municipalities[Int($0.index)].area }
    }

    /// The area with this 全国地方公共団体コード (six digits), or the prefecture's own code.
    public func area(code: String) -> Area? {
        if let index = byCode[code] { return municipalities[index].area }
        guard code.count == 6, let number = Int(code.prefix(2)), (1...47).contains(number),
            code == prefectures[number - 1].code
        else { return nil }
        let prefecture = prefectures[number - 1]
        return Area(
            code: code, prefecture: prefecture.name, municipality: nil, prefectureEnglish: prefecture.englishName,
            municipalityEnglish: nil)
    }

    /// The prefecture by number (1…47) or by name (岐阜県, 岐阜, Gifu, gifu).
    public func prefecture(_ text: String) -> Prefecture? {
        if let number = Int(text) { return (1...47).contains(number) ? prefectures[number - 1] : nil }
        let lowered = text.lowercased()
        return prefectures.first {
            $0.name == text || String($0.name.dropLast()) == text || $0.englishName.lowercased() == lowered
        }
    }

    /// A query parameter's prefecture (`21`, `岐阜県`, `岐阜`, `gifu`) as its number, or a clear refusal.
    public func prefectureNumber(parsing text: String) throws(NoroshiError) -> Int {
        guard let prefecture = prefecture(text) else {
            throw NoroshiError(
                .invalidInput, "Unknown prefecture '\(text.prefix(40))'; use its number 1–47 or its name (岐阜県, gifu).")
        }
        return prefecture.number
    }

    /// The municipalities of one prefecture.
    public func municipalities(inPrefecture number: Int) -> [Municipality] {
        municipalities.filter { $0.area.prefectureNumber == number }
    }
}

/// A uniform grid over Japan, 0.1 degree a cell, listing the polygons whose box (widened by the coast
/// margin) reaches into each cell.
private struct Grid: Sendable {
    struct Candidate: Sendable {
        let municipality: Int32
        let polygon: Int32
    }

    static let cell: Int32 = 1_000
    let origin: (x: Int32, y: Int32)
    let columns: Int32
    let rows: Int32
    let starts: [Int32]
    let entries: [Candidate]

    init(_ municipalities: [Places.Municipality], margin: Int32) {
        var bounds = Bounds.empty
        for municipality in municipalities { bounds.include(municipality.geometry.bounds) }
        guard !bounds.isEmpty else {
            (origin, columns, rows, starts, entries) = ((0, 0), 0, 0, [0], [])
            return
        }
        origin = (bounds.minX - margin, bounds.minY - margin)
        columns = (bounds.maxX + margin - origin.x) / Self.cell + 1
        rows = (bounds.maxY + margin - origin.y) / Self.cell + 1
        var lists = [[Candidate]](repeating: [], count: Int(columns * rows))
        for (m, municipality) in municipalities.enumerated() {
            for (p, polygon) in municipality.geometry.polygons.enumerated() {
                guard let box = polygon.first?.bounds else { continue }
                let x0 = (box.minX - margin - origin.x) / Self.cell
                let x1 = (box.maxX + margin - origin.x) / Self.cell
                let y0 = (box.minY - margin - origin.y) / Self.cell
                let y1 = (box.maxY + margin - origin.y) / Self.cell
                for row in y0...y1 {
                    for column in x0...x1 {
                        lists[Int(row * columns + column)].append(Candidate(municipality: Int32(m), polygon: Int32(p)))
                    }
                }
            }
        }
        var starts: [Int32] = [0]
        var entries: [Candidate] = []
        for list in lists {
            entries += list
            starts.append(Int32(entries.count))
        }
        self.starts = starts
        self.entries = entries
    }

    func candidates(x: Int32, y: Int32) -> ArraySlice<Candidate> {
        let column = (x - origin.x) / Self.cell
        let row = (y - origin.y) / Self.cell
        guard x >= origin.x, y >= origin.y, column < columns, row < rows else { return [] }
        let index = Int(row * columns + column)
        return entries[Int(starts[index])..<Int(starts[index + 1])]
    }
}
