import Foundation
import NoroshiCore
import Testing

@Suite struct LinkingPolicyTests {
    static let start = Date(timeIntervalSince1970: 1_795_000_000)
    static let barn = try! GeoPoint(latitude: 36.2381, longitude: 137.1860)

    /// A point `metres` north of the barn (one degree of latitude is about 111.2 km).
    static func north(_ metres: Double) -> GeoPoint {
        try! GeoPoint(latitude: barn.latitude + metres / 111_195, longitude: barn.longitude)
    }

    static func candidate(
        id: Int64 = 1,
        kind: IncidentKind = .fire,
        status: IncidentStatus = .reported,
        exercise: Bool = false,
        merged: Bool = false,
        centre: GeoPoint? = barn,
        idle: TimeInterval = 0
    ) -> LinkCandidate {
        LinkCandidate(
            id: id, kind: kind, status: status, exercise: exercise, isMerged: merged, centre: centre,
            lastActivityAt: start.addingTimeInterval(-idle))
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var kind: IncidentKind = .fire
        var position: GeoPoint? = LinkingPolicyTests.north(200)
        var exercise = false
        var candidates: [LinkCandidate]
        var expected: Int64?
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "joins within radius", candidates: [candidate()], expected: 1),
        Case(name: "opens new outside radius", position: north(1_200), candidates: [candidate()], expected: nil),
        Case(
            name: "landslide radius is 2 km", kind: .landslide, position: north(1_800),
            candidates: [candidate(kind: .landslide)], expected: 1),
        Case(
            name: "avian influenza radius is 3 km", kind: .avianInfluenza, position: north(2_900),
            candidates: [candidate(kind: .avianInfluenza, idle: 20 * 86_400)], expected: 1),
        Case(name: "other kind", kind: .flood, candidates: [candidate()], expected: nil),
        Case(name: "closed incident", candidates: [candidate(status: .closed)], expected: nil),
        Case(name: "cancelled incident", candidates: [candidate(status: .cancelled)], expected: nil),
        Case(name: "contained incident still takes reports", candidates: [candidate(status: .contained)], expected: 1),
        Case(name: "merged incident", candidates: [candidate(merged: true)], expected: nil),
        Case(name: "fire window expired after 12 h", candidates: [candidate(idle: 12 * 3600 + 60)], expected: nil),
        Case(name: "fire window still open at 11 h", candidates: [candidate(idle: 11 * 3600)], expected: 1),
        Case(
            name: "nearest of two",
            candidates: [candidate(id: 1, centre: north(-500)), candidate(id: 2, centre: north(300))],
            expected: 2),
        Case(name: "no position opens new", position: nil, candidates: [candidate()], expected: nil),
        Case(name: "exercise report ignores real incident", exercise: true, candidates: [candidate()], expected: nil),
        Case(
            name: "exercise report joins exercise incident", exercise: true,
            candidates: [candidate(id: 1), candidate(id: 2, exercise: true)], expected: 2),
        Case(name: "real report ignores exercise incident", candidates: [candidate(exercise: true)], expected: nil),
        Case(name: "incident without centre", candidates: [candidate(centre: nil)], expected: nil),
    ]

    @Test(arguments: cases)
    func decides(_ testCase: Case) {
        let decision = LinkingPolicy().decide(
            kind: testCase.kind,
            position: testCase.position,
            observedAt: Self.start,
            exercise: testCase.exercise,
            candidates: testCase.candidates
        )
        switch (decision, testCase.expected) {
        case (.join(let id, _), let expected?): #expect(id == expected)
        case (.openNew, nil): break
        default: Issue.record("\(testCase.name): got \(decision), expected \(String(describing: testCase.expected))")
        }
    }

    @Test func tieGoesToMostRecentlyActiveRegardlessOfOrder() {
        let older = Self.candidate(id: 1, idle: 3600)
        let newer = Self.candidate(id: 2, idle: 60)
        for candidates in [[older, newer], [newer, older]] {
            let decision = LinkingPolicy().decide(
                kind: .fire, position: Self.barn, observedAt: Self.start, exercise: false, candidates: candidates)
            #expect(decision == .join(incidentID: 2, distanceMetres: 0))
        }
    }

    @Test func configuredRuleOverridesDefault() {
        let policy = LinkingPolicy(rules: [.fire: .init(radiusMetres: 5_000, window: 3600)])
        let far = Self.north(4_000)
        let decision = policy.decide(
            kind: .fire, position: far, observedAt: Self.start, exercise: false, candidates: [Self.candidate()])
        guard case .join(1, let distance) = decision else {
            Issue.record("expected a join, got \(decision)")
            return
        }
        #expect(abs(distance - 4_000) < 5)
        #expect(policy.rule(for: .landslide).radiusMetres == 2_000)
    }

    @Test func distanceMatchesKnownValue() {
        // Takayama station to Hida-Furukawa station is about 12.6 km as the crow flies.
        let takayama = try! GeoPoint(latitude: 36.1410, longitude: 137.2510)
        let furukawa = try! GeoPoint(latitude: 36.2380, longitude: 137.1860)
        #expect(abs(takayama.distance(to: furukawa) - 12_130) < 300)
    }
}
