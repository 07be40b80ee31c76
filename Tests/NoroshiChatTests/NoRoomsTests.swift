import Foundation
import NoroshiCore
import NoroshiStorage
import NoroshiTesting
import Testing

/// A daemon without chat rooms: the chat events every change writes are cleared, however many there are.
@Suite struct NoRoomsTests {
    /// Regression: without rooms, events were cleared a thousand every five seconds, so a burst of new
    /// incidents piled up faster than that (issue 15, item 9).
    @Test func aBurstOfNewIncidentsLeavesNoEventsBehind() async throws {
        try await TestServer.run { server in
            // 1,300 reports far apart: each opens an incident and writes an "opened" chat event (kept small: the
            // suite runs the browser tests alongside).
            try await withThrowingDiscardingTaskGroup { group in
                for worker in 0..<4 {
                    group.addTask {
                        for index in stride(from: worker, to: 1_300, by: 4) {
                            _ = try await server.store.submit(
                                ReportSubmission(
                                    clientKey: "burst-\(index)", kind: "fire", latitude: 30 + Double(index / 100) * 0.5,
                                    longitude: 128 + Double(index % 100) * 0.2, text: "Smoke"),
                                by: "test")
                        }
                    }
                }
            }
            let submitted = Date()
            var backlog = try await server.store.chatEventBacklog()
            // One routing pass (every 5 s) clears them all; a thousand a pass needed two.
            while backlog > 0, Date().timeIntervalSince(submitted) < 7 {
                try await Task.sleep(for: .milliseconds(200))
                backlog = try await server.store.chatEventBacklog()
            }
            #expect(backlog == 0, "\(backlog) chat events left")
        }
    }
}
