import Foundation
import NoroshiCore
import NoroshiPhotos

/// Photos a crew sends with a report or adds to one: checked locally before anything is queued, and
/// read for the position and time a report may leave out.
struct PhotoBatch {
    let inspections: [PhotoInspection]

    /// Checks every file as the server will (marker, size, header, all compressed data) and refuses the
    /// whole batch, naming each bad file, when any would be refused: nothing is queued then.
    init(paths: [String]) throws {
        inspections = paths.map { PhotoInspection.inspect(path: $0) }
        let refused = inspections.filter { !$0.accepted }
        guard refused.isEmpty else {
            let reasons = refused.map { "\($0.file): \($0.error?.message ?? "unreadable")" }
            throw NoroshiError(
                .invalidInput,
                "Not sending: \(reasons.joined(separator: "; ")). Nothing was queued; leave out or replace "
                    + (refused.count == 1 ? "that photo." : "those photos.")
            )
        }
    }

    var isEmpty: Bool { inspections.isEmpty }

    /// The first usable GPS position among the photos, and the file it came from; refusals are told.
    func position(notes: inout [String]) -> (GeoPoint, String)? {
        for inspection in inspections {
            switch PhotoEvidence.position(latitude: inspection.exif?.latitude, longitude: inspection.exif?.longitude) {
            case .success(let point): return (point, inspection.file)
            case .failure(let refusal): notes.append("\(inspection.file): \(refusal.message).")
            case nil: continue
            }
        }
        return nil
    }

    /// The first usable EXIF time among the photos; one recorded without an offset is read at
    /// `NOROSHI_PHOTO_UTC_OFFSET` (default `+09:00`, as the server's `photos.utc_offset`), not in this device's
    /// time zone, which on a laptop set to UTC would put it nine hours late.
    func observedTime(now: Date, notes: inout [String]) throws -> (Date, String)? {
        let offset = try Self.assumedUTCOffset()
        for inspection in inspections {
            guard let exif = inspection.exif else { continue }
            let text = exif.dateTimeOriginal.map { text in exif.offsetTimeOriginal.map { "\(text) \($0)" } ?? text }
            let time = PhotoEvidence.observedTime(
                exif.takenAt(assumedOffset: offset), text: text, reference: now,
                maxFutureSkew: ReportLimits().maxFutureSkew)
            switch time {
            case .success(let date): return (date, inspection.file)
            case .failure(let refusal): notes.append("\(inspection.file): \(refusal.message).")
            case nil: continue
            }
        }
        return nil
    }

    /// `NOROSHI_PHOTO_UTC_OFFSET`, else +09:00, in seconds east of UTC.
    static func assumedUTCOffset(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Int {
        guard let text = environment["NOROSHI_PHOTO_UTC_OFFSET"], !text.isEmpty else { return 9 * 3600 }
        guard let seconds = UTCOffset.seconds(text) else {
            throw NoroshiError(
                .invalidInput, "NOROSHI_PHOTO_UTC_OFFSET is '\(text.prefix(20))'; give an offset such as +09:00.")
        }
        return seconds
    }

    /// Copies every photo into the queue's folder (fsynced) and returns what the queue rows need.
    func copy(into queue: LocalQueue) throws -> [(name: String, sha256: String, bytes: Int64)] {
        try inspections.map { inspection in
            let (sha256, bytes) = try queue.copyIn(inspection.file)
            return (URL(fileURLWithPath: inspection.file).lastPathComponent, sha256, bytes)
        }
    }
}
