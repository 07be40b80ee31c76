import Foundation
import NoroshiCore
import NoroshiTesting
import Testing

@testable import NoroshiDrill

/// Reading and checking playbooks: the shipped ones are valid, and every kind of mistake is named with its line.
@Suite struct PlaybookTests {
    static let playbooks = FixtureFiles.root.deletingLastPathComponent().appendingPathComponent("Playbooks")

    /// Parses `text` as if it were a file in Playbooks/, so `../Fixtures/photos/…` resolves.
    static func parse(_ text: String) throws(PlaybookError) -> Playbook {
        try Playbook.parse(text, file: "drill.yaml", folder: playbooks)
    }

    /// The problems `text` has, as `line: message`.
    static func problems(_ text: String) -> [String] {
        do {
            _ = try parse(text)
            return []
        } catch {
            return error.problems.map { "\($0.line): \($0.message)" }
        }
    }

    static let minimal = """
        name: Minimal
        rooms: {hq: }
        injects:
          - at: "+00:00:00"
            report: {key: a, kind: fire, place: 高山市, text: Smoke}

        """

    @Test func everyShippedPlaybookIsValid() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.playbooks.path)
            .filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(!files.isEmpty)
        for file in files {
            let playbook = try Playbook.load(path: Self.playbooks.appendingPathComponent(file).path)
            #expect(!playbook.name.isEmpty && !playbook.injects.isEmpty && !playbook.expectations.isEmpty, "\(file)")
            for report in playbook.reports.values {
                for photo in report.photos { #expect(FileManager.default.fileExists(atPath: photo.path)) }
            }
        }
    }

    @Test func theAvianInfluenzaExampleReadsAsWritten() throws {
        let playbook = try Playbook.load(path: Self.playbooks.appendingPathComponent("avian-flu-farm.yaml").path)
        #expect(playbook.speed == .controlled)
        #expect(playbook.rooms.map(\.name) == ["task-force", "prefecture-hq"])
        #expect(playbook.rooms.map(\.language) == [.japanese, .english])
        #expect(
            playbook.injects.map(\.action.kind) == [
                "report", "note", "status", "fault", "status", "report", "report", "note", "restart", "report",
                "status",
            ])
        #expect(playbook.length == .seconds(8 * 3600))
        let first = try #require(playbook.reports["farm-a-suspected"])
        #expect(first.kind == .avianInfluenza && first.latitude == 35.7203 && first.unit == "東部家畜保健衛生所")
        #expect(first.photos.map(\.lastPathComponent) == ["chiba-poultry-farm.jpg"])
        #expect(
            playbook.injects[3].action
                == .fault(Playbook.Fault(room: "task-force", kind: .unreachable, until: .seconds(2 * 3600 + 50 * 60))))
        #expect(playbook.expectations.first?.timing == .at(.seconds(600)))
        #expect(
            playbook.expectations[1].check
                == .message(room: "task-force", contains: "【訓練】", within: .seconds(60), after: "first-call"))
        #expect(playbook.expectations.last?.check == .allExercise && playbook.expectations.last?.timing == .end)
    }

    @Test func badYAMLIsNamedWithItsLine() {
        let problems = Self.problems(
            """
            name: Broken
            injects:
              - at: "+00:00:00"
                report: {key: a, kind: fire
              - at: "+00:01:00"
            """)
        #expect(problems.count == 1)
        #expect(problems.first?.contains("not valid YAML") == true)
        #expect(problems.first?.hasPrefix("5:") == true || problems.first?.hasPrefix("4:") == true)
    }

    @Test func anUnknownInjectIsNamedWithItsLineAndAGuess() {
        let problems = Self.problems(
            Self.minimal + """
                  - at: "+00:05:00"
                    stauts: {incident: a, to: confirmed}
                """)
        #expect(
            problems == [
                "7: unknown inject 'stauts' (did you mean 'status'?); known: report, status, link, merge, fault, restart, note"
            ])
    }

    @Test func injectsOutOfOrderAreRefused() {
        let problems = Self.problems(
            Self.minimal + """
                  - at: "+00:30:00"
                    note: later
                  - at: "+00:10:00"
                    note: earlier, but listed after
                """)
        #expect(
            problems == ["8: inject at +00:10:00 comes after one at +00:30:00; injects are listed in order of time"])
    }

    @Test func aMissingPhotoFileIsNamed() {
        let problems = Self.problems(
            """
            name: Photos
            injects:
              - at: "+00:00:00"
                report:
                  key: a
                  kind: fire
                  place: 高山市
                  text: Smoke
                  photos: [../Fixtures/photos/hida-fire.jpg, ../Fixtures/photos/no-such-photo.jpg]
            """)
        #expect(problems.count == 1)
        #expect(problems.first?.hasPrefix("9: photo file '../Fixtures/photos/no-such-photo.jpg' not found") == true)
    }

    @Test func everyMistakeIsReportedNotOnlyTheFirst() {
        let problems = Self.problems(
            """
            name: Many mistakes
            rooms: {hq: {language: fr}}
            speed: warp
            injects:
              - at: "00:05"
                note: no plus sign
              - at: "+00:01:00"
                report: {key: a, kind: volcano, latitude: 95, longitude: 137, text: Ash}
              - at: "+00:02:00"
                status: {incident: nobody, to: confirmed}
              - at: "+00:03:00"
                fault: {room: elsewhere, kind: unreachable, until: "+00:02:00"}
            expect:
              - message: {room: hq, contains: x, within: soon, after: a}
              - same_incident: [a]
              - colour: blue
            """)
        // In order of line and column; report 'a' was refused, so naming it later is a problem too.
        let expected = [
            "2: language 'fr' is not 'ja' or 'en'",
            "3: 'speed' must be 'controlled' or a factor of real time from 0 to 1000 (1 is real time)",
            "5: 'at' is '00:05'; a time is an offset from the start such as +00:05:00 or +05:00",
            "8: a report gives both latitude and longitude, or neither",
            "8: a report needs a position (latitude and longitude) or a place",
            "8: 'kind' is 'volcano'; it must be one of fire, landslide, avian_influenza, flood, other",
            "8: 'latitude' must be a number from -90.0 to 90.0",
            "9: no report with key 'nobody' is sent before this",
            "11: fault names room 'elsewhere', not in 'rooms'",
            "12: a fault must end after it starts",
            "14: 'within' is 'soon'; a length of time is written 90s, 5m or 1h",
            "15: no report with key 'a' is sent before this",
            "15: 'same_incident' names at least two report keys",
            "16: unknown expectation 'colour'; known: open_incidents, same_incident, separate_incidents, status, "
                + "message, no_duplicates, outbox_empty, all_exercise",
        ]
        #expect(problems == expected)
    }

    @Test func referencesMustNameReportsRoomsAndInjects() {
        let problems = Self.problems(
            Self.minimal + """
                  - at: "+00:05:00"
                    merge: {incident: a, into: b}
                  - at: "+00:06:00"
                    fault: {room: elsewhere, kind: slow, delay: 5s, until: "+00:10:00"}
                expect:
                  - message: {room: hq, contains: 火災, within: 30s, after: nothing}
                  - status: {incident: a, is: confirmed}
                """)
        #expect(
            problems == [
                "6: no report with key 'b' is sent before this",
                "8: fault names room 'elsewhere', not in 'rooms'",
                "11: 'after: nothing' is neither an inject id nor a report key",
            ])
    }

    @Test func timesAndLengths() {
        #expect(DrillTime.offset("+01:30:00") == .seconds(5400))
        #expect(DrillTime.offset("+05:30") == .seconds(330))
        #expect(DrillTime.offset("+90:00") == .seconds(5400))
        for bad in ["01:30:00", "+1:60:00", "+00:00:60", "+a:b", "+1", "+-1:00"] {
            #expect(DrillTime.offset(bad) == nil, "\(bad)")
        }
        #expect(DrillTime.duration("90s") == .seconds(90))
        #expect(DrillTime.duration("5m") == .seconds(300))
        #expect(DrillTime.duration("1.5h") == .seconds(5400))
        #expect(DrillTime.duration("250ms") == .milliseconds(250))
        #expect(DrillTime.duration("30") == .seconds(30))
        #expect(DrillTime.duration("soon") == nil && DrillTime.duration("-5s") == nil)
        #expect(DrillTime.format(.seconds(2 * 3600 + 50 * 60 + 7)) == "+02:50:07")
    }

    @Test func aStartTimeSetsTheControlledClock() throws {
        let playbook = try Self.parse("start: 2026-11-21T02:00:00+09:00\n" + Self.minimal)
        #expect(playbook.start == RFC3339.date(from: "2026-11-20T17:00:00Z"))
        #expect(
            Self.problems("start: at dawn\n" + Self.minimal) == [
                "1: 'start' must be a time with its offset, such as 2026-11-21T09:00:00+09:00"
            ])
    }
}
