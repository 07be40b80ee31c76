import Foundation
import Synchronization

/// Remembers which token hashes are valid, so that a request does not cost a database read to authenticate.
///
/// Tokens change rarely but must stop working at once when revoked, also when `noroshi token revoke`
/// runs in another process on the same data directory. Every process that creates or revokes a token
/// replaces a small stamp file in the data directory after its transaction commits; the cache compares
/// the stamp's identity (inode and modification time, one `stat` call) before trusting any entry, and
/// forgets everything when it differs. Unknown secrets are never cached, so guessing cannot fill memory.
final class TokenCache: Sendable {
    /// The stamp's file name inside the data directory.
    static let stampFileName = "tokens.changed"

    private struct Stamp: Equatable {
        var inode: UInt64
        var seconds: Int
        var nanoseconds: Int
    }

    private struct State {
        var stamp: Stamp?
        var entries: [String: TokenInfo] = [:]
        /// When each token's last use was last written, so that a busy token costs one write a minute.
        var marked: [Int64: Date] = [:]
    }

    private let stampPath: String
    private let state = Mutex(State())

    init(directory: URL) {
        stampPath = directory.appendingPathComponent(Self.stampFileName).path
    }

    /// The cached token for a hash, or — on a miss — the result of `load`, cached when it is a valid token.
    func token(hash: String, load: () async throws -> TokenInfo?) async rethrows -> TokenInfo? {
        // Read the stamp before the database: an entry is stored only under a stamp read before its row was.
        let stamp = currentStamp()
        let cached = state.withLock { state -> TokenInfo? in
            if state.stamp != stamp {
                state.stamp = stamp
                state.entries.removeAll()
            }
            return state.entries[hash]
        }
        if let cached { return cached }
        let loaded = try await load()
        if let loaded {
            state.withLock { state in
                if state.stamp == stamp { state.entries[hash] = loaded }
            }
        }
        return loaded
    }

    /// Whether to write `at` as token `id`'s last use: the first use this process saw, then once a minute.
    func shouldMarkUsed(_ id: Int64, at now: Date) -> Bool {
        state.withLock { state in
            if let last = state.marked[id], now.timeIntervalSince(last) < 60 { return false }
            state.marked[id] = now
            return true
        }
    }

    /// Marks the tokens as changed for every process using this data directory; call after the change commits.
    func tokensChanged() {
        state.withLock { $0.entries.removeAll() }
        // A new file renamed over the old one gets a new inode, so the change is seen even within one clock tick.
        let temporary = stampPath + ".\(UUID().uuidString)"
        let contents = Data("Tokens changed at \(Date()). Noroshi rewrites this file; do not edit it.\n".utf8)
        if FileManager.default.createFile(atPath: temporary, contents: contents) {
            if rename(temporary, stampPath) != 0 { unlink(temporary) }
        }
    }

    private func currentStamp() -> Stamp? {
        var info = stat()
        guard stat(stampPath, &info) == 0 else { return nil }
        return Stamp(
            inode: UInt64(info.st_ino), seconds: info.st_mtim.tv_sec, nanoseconds: info.st_mtim.tv_nsec)
    }
}
