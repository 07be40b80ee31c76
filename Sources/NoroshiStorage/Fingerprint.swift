import Crypto
import Foundation
import NoroshiCore

/// SHA-256 helpers: report fingerprints for idempotency and token hashes.
enum Fingerprint {
    /// The hash of a submission's canonical JSON (sorted keys), so whitespace and key order never matter.
    static func of(_ submission: ReportSubmission) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(submission)) ?? Data(submission.clientKey.utf8)
        return hex(SHA256.hash(data: data))
    }

    /// The hex SHA-256 of a string's UTF-8 bytes.
    static func sha256(_ text: String) -> String {
        hex(SHA256.hash(data: Data(text.utf8)))
    }

    private static func hex(_ digest: SHA256.Digest) -> String {
        digest.map { byte in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }.joined()
    }
}
