import Foundation
import NoroshiTesting
import Testing

/// `noroshi drill validate`, the built binary.
@Suite struct DrillCommandTests {
    @Test func validateAcceptsTheShippedPlaybooksAndNamesEachProblemWithItsLine() throws {
        let root = try TemporaryDirectory()
        defer { root.remove() }
        let tool = CommandLineTool(home: root.url.appendingPathComponent("home"))
        let example = PlaybookTests.playbooks.appendingPathComponent("avian-flu-farm.yaml").path

        let good = try tool.run(["drill", "validate", example])
        #expect(good.status == 0, "\(good.errors)")
        #expect(good.output.contains("OK — \"Avian influenza at a layer farm (Asahi, Chiba)\": 11 injects, 2 photos"))

        let broken = root.url.appendingPathComponent("broken.yaml").path
        try """
        name: Broken
        injects:
          - at: "+00:10:00"
            note: first
          - at: "+00:05:00"
            repot: {key: a}
        """.write(toFile: broken, atomically: true, encoding: .utf8)
        let bad = try tool.run(["drill", "validate", example, broken])
        #expect(bad.status == 1)
        #expect(bad.output.contains("OK"))  // the good file is still checked and reported
        #expect(bad.errors.contains("\(broken):6:5: unknown inject 'repot' (did you mean 'report'?)"))
    }
}
