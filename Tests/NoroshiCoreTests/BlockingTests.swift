import Foundation
import NoroshiCore
import Synchronization
import Testing

/// `Blocking.run`: work that blocks its thread does not hold back other work.
@Suite struct BlockingTests {
    /// Regression: on a Dispatch queue (one item per core on Linux) a small photo's copies waited behind the
    /// big decodes ahead of them, and a live drill's chat summary, held for that photo, arrived 22 s late.
    /// Here more calls than there are cores keep their cores busy until released (Dispatch adds threads for
    /// blocked items after a while, never for busy ones); every one starts, and a short one finishes.
    @Test func moreBlockingCallsThanCoresAllRunAndShortWorkStillFinishes() async throws {
        let held = ProcessInfo.processInfo.activeProcessorCount * 2 + 2
        let started = Counter()
        let released = Counter()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<held {
                group.addTask {
                    await Blocking.run {
                        started.value.add(1, ordering: .relaxed)
                        var spins = 0
                        while released.value.load(ordering: .relaxed) == 0 { spins &+= 1 }
                        _ = spins
                    }
                }
            }
            let deadline = ContinuousClock.now + .seconds(20)
            while started.value.load(ordering: .relaxed) < held && ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(10))
            }
            let allStarted = started.value.load(ordering: .relaxed) == held
            #expect(allStarted, "\(started.value.load(ordering: .relaxed)) of \(held) calls started")
            // Otherwise the short call would wait for ever behind the busy ones.
            if !allStarted { released.value.store(1, ordering: .relaxed) }
            let answer = await Blocking.run { 6 * 7 }
            #expect(answer == 42)
            released.value.store(1, ordering: .relaxed)
        }
    }

    @Test func anErrorThrownOnTheThreadReachesTheCaller() async {
        await #expect(throws: BlockingTestError.stuck) {
            try await Blocking.run { () throws(BlockingTestError) in throw .stuck }
        }
    }
}

enum BlockingTestError: Error { case stuck }

private final class Counter: Sendable {
    let value = Atomic<Int>(0)
}
