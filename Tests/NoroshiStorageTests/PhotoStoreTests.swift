import Foundation
import Logging
import NoroshiCore
import NoroshiStorage
import NoroshiTesting
import Testing

/// The photo rows and the durable job table.
@Suite struct PhotoStoreTests {
    static func photo(_ sha: String) -> Photo {
        Photo(sha256: sha, bytes: 100, width: 160, height: 120, orientation: 6, receivedAt: Date())
    }

    static func report(_ store: Store) async throws -> Int64 {
        let submission = ReportSubmission(
            clientKey: UUID().uuidString, kind: "fire", latitude: 36.1, longitude: 137.2, text: "Smoke")
        return try await store.submit(submission, by: "test").report.id
    }

    @Test func aJobClaimedByADaemonThatDiedRunsAgainAfterRestart() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let sha = String(repeating: "c", count: 64)
        do {
            let store = try Store(directory: directory.url, logger: Logger(label: "test"))
            let reportID = try await Self.report(store)
            let receipt = try await store.attachPhoto(Self.photo(sha), toReport: reportID, by: "field")
            #expect(receipt.created && receipt.photo.derivatives == .pending)
            let claimed = try await store.claimPhotoJob()
            #expect(claimed?.sha256 == sha && claimed?.orientation == 6)
            #expect(try await store.claimPhotoJob() == nil)  // claimed jobs are not handed out twice
        }
        // A new process: the claim is from the one that died.
        let store = try Store(directory: directory.url, logger: Logger(label: "test"))
        #expect(try await store.claimPhotoJob() == nil)
        #expect(try await store.releaseClaimedPhotoJobs() == 1)
        let again = try await store.claimPhotoJob()
        #expect(again?.sha256 == sha)
        try await store.completePhotoJob(
            sha256: sha, chat: Photo.Size(width: 120, height: 160), thumb: Photo.Size(width: 120, height: 160))
        #expect(try await store.photoJobCount() == 0)
        let photo = try #require(try await store.photo(sha256: sha))
        #expect(photo.derivatives == .ready && photo.chat == Photo.Size(width: 120, height: 160))
    }

    @Test func oneFileOnTwoReportsIsOnePhotoWithOneJob() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try Store(directory: directory.url, logger: Logger(label: "test"))
        let sha = String(repeating: "d", count: 64)
        let first = try await Self.report(store)
        let second = try await Self.report(store)
        #expect(try await store.attachPhoto(Self.photo(sha), toReport: first, by: "a").created)
        #expect(try await store.attachPhoto(Self.photo(sha), toReport: second, by: "b").created)
        #expect(try await store.attachPhoto(Self.photo(sha), toReport: second, by: "b").created == false)
        #expect(try await store.photoJobCount() == 1)
        #expect(try await store.reportDetail(id: second).photos.map(\.sha256) == [sha])
        await #expect(throws: NoroshiError.self) {
            try await store.attachPhoto(Self.photo(sha), toReport: 424_242, by: "c")
        }
    }
}
