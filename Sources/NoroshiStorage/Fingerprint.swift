import Crypto
import Foundation
import NoroshiCore

/// SHA-256 helpers: report fingerprints for idempotency and token hashes.
enum Fingerprint {
    /// The hash of a submission's canonical JSON (sorted keys), so whitespace and key order never matter.
    /// `JSONWriter` writes exactly what `JSONEncoder` with `.sortedKeys` wrote when this was introduced.
    static func of(_ submission: ReportSubmission) -> String {
        SHA256.hash(data: submission.jsonBytes()).hexEncoded
    }

    /// The hex SHA-256 of a string's UTF-8 bytes.
    static func sha256(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).hexEncoded
    }
}
