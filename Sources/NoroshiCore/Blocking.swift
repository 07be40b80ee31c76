import Foundation

/// Blocking work (hashing a file, decoding a photo, fsync) run on a thread of its own, so that the
/// cooperative pool, which has one thread per core, stays free to answer requests meanwhile.
///
/// Each call gets a new thread rather than a slot on a Dispatch queue: on Linux a concurrent queue runs
/// at most one item per core, so one upload's hash or a small photo's copies waited behind every
/// 48-megapixel decode ahead of it (a live drill's chat summary, held for its 2 KB photo's copy, arrived
/// 22 s late under the test suite's load). With a thread each, the kernel shares the cores and short work
/// finishes in its own time. The callers bound how many run at once: `photos.workers` for the copy jobs,
/// one per request in flight on the upload path. Starting a thread costs tens of microseconds, nothing
/// beside the work it does.
public enum Blocking {
    /// Runs `work` on a thread of its own and returns its result.
    public static func run<T: Sendable, E: Error>(_ work: @escaping @Sendable () throws(E) -> T) async throws(E) -> T {
        let result: Result<T, E> = await withCheckedContinuation { continuation in
            let thread = Thread {
                continuation.resume(returning: Result { () throws(E) in try work() })
            }
            thread.name = "noroshi.blocking"
            thread.qualityOfService = .userInitiated
            thread.start()
        }
        return try result.get()
    }
}
