import Dispatch

/// Blocking work (hashing a file, decoding a photo, fsync) run on a Dispatch thread, so that the cooperative
/// pool, which has one thread per core, stays free to answer requests meanwhile.
public enum Blocking {
    private static let queue = DispatchQueue(label: "noroshi.blocking", qos: .userInitiated, attributes: .concurrent)

    /// Runs `work` off the cooperative pool and returns its result.
    public static func run<T: Sendable, E: Error>(_ work: @escaping @Sendable () throws(E) -> T) async throws(E) -> T {
        let result: Result<T, E> = await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: Result { () throws(E) in try work() }) }
        }
        return try result.get()
    }
}
