import Crypto
import Foundation
import NoroshiCore

/// SHA-256 helpers: report fingerprints for idempotency and token hashes.
enum Fingerprint {
    /// The hash of a submission's canonical JSON (sorted keys), so whitespace and key order never matter.
    /// `JSONWriter` writes exactly what `JSONEncoder` with `.sortedKeys` wrote when this was introduced.
    static func of(_ submission: ReportSubmission) -> String {
        hex(SHA256.hash(data: submission.jsonBytes()))
    }

    /// The hex SHA-256 of a string's UTF-8 bytes.
    static func sha256(_ text: String) -> String {
        hex(SHA256.hash(data: Data(text.utf8)))
    }

    private static func hex(_ digest: SHA256.Digest) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(64)
        for byte in digest {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
