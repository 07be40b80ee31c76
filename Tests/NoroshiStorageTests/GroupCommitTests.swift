import Foundation
import GRDB
import NoroshiTesting
import Testing

@testable import NoroshiStorage

/// Group commit: many callers, shared transactions, and a failure that undoes only its own writes.
@Suite struct GroupCommitTests {
    struct Failure: Error, Equatable {
        var index: Int
    }

    @Test func failedItemRollsBackOnlyItsOwnWrites() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let pool = try DatabasePool(path: directory.url.appendingPathComponent("test.sqlite").path)
        try await pool.write { db in
            try db.execute(sql: "CREATE TABLE item (id INTEGER PRIMARY KEY, step TEXT NOT NULL)")
        }
        // Every item writes two rows; every seventh fails after its first write.
        let commit = GroupCommit<Int, Int>(writer: pool) { db, index in
            try db.execute(sql: "INSERT INTO item (id, step) VALUES (?, 'first')", arguments: [index * 2])
            if index % 7 == 3 { throw Failure(index: index) }
            try db.execute(sql: "INSERT INTO item (id, step) VALUES (?, 'second')", arguments: [index * 2 + 1])
            return index
        }
        let outcomes = await withTaskGroup(of: (Int, Result<Int, Failure>).self) { group in
            for index in 0..<400 {
                group.addTask {
                    do {
                        return (index, .success(try await commit.submit(index)))
                    } catch let failure as Failure {
                        return (index, .failure(failure))
                    } catch {
                        return (index, .failure(Failure(index: -1)))
                    }
                }
            }
            return await group.reduce(into: [Int: Result<Int, Failure>]()) { $0[$1.0] = $1.1 }
        }
        let stored = try await pool.read { db in try Int64.fetchSet(db, sql: "SELECT id FROM item") }
        for index in 0..<400 {
            if index % 7 == 3 {
                #expect(outcomes[index] == .failure(Failure(index: index)))
                #expect(!stored.contains(Int64(index * 2)))
            } else {
                #expect(outcomes[index] == .success(index))
                #expect(stored.contains(Int64(index * 2)) && stored.contains(Int64(index * 2 + 1)))
            }
        }
        #expect(stored.count == (0..<400).filter { $0 % 7 != 3 }.count * 2)
    }
}
