import Foundation
import Logging
import NoroshiChat
import NoroshiCore
import NoroshiStorage
import ServiceLifecycle

/// Keeps the audit log's signed heads coming: records the configuration the daemon loaded, signs the head at
/// start, every `audit.checkpoint_minutes` and at shutdown, and wakes the witness rooms' delivery for each.
///
/// The daemon lists it first, so that at shutdown it stops last: its final checkpoint covers every change the
/// HTTP server accepted.
public struct AuditService: Service {
    let store: Store
    let interval: Duration
    let witnessRooms: [String]
    let wakeups: OutboxWakeups
    /// What the audit log records as the configuration loaded at start.
    let configuration: [String: AuditValue]
    let logger: Logger

    public func run() async throws {
        do {
            try await store.audit(.configurationLoaded, subject: "configuration", change: configuration, by: .daemon)
        } catch {
            logger.error("Cannot record the configuration in the audit log", metadata: ["error": "\(error.message)"])
        }
        await checkpoint()
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            await checkpoint()
        }
    }

    /// Signs the head when it moved; a failure is logged and tried again at the next interval.
    func checkpoint() async {
        do {
            guard let head = try await store.checkpointAudit(witnessRooms: witnessRooms) else { return }
            logger.info("Audit log head signed", metadata: ["audit.seq": "\(head.seq)", "audit.hash": "\(head.hash)"])
            for room in witnessRooms { wakeups.wake(room: room) }
        } catch {
            logger.error("Cannot sign the audit log's head", metadata: ["error": "\(error.message)"])
        }
    }
}

extension NoroshiConfiguration {
    /// The configuration as the audit log records it at start: where it came from and what it says about where
    /// data lives and who is told, never a secret (those stay in the files and variables it names).
    var auditRecord: [String: AuditValue] {
        [
            "file": .of(source?.path), "sha256": .of(source?.sha256), "data_dir": .string(dataDirectory),
            "listen": .string("\(host):\(port)"),
            "rooms": .string(chat.rooms.map(\.name).joined(separator: ",")),
            "witness_rooms": .string(auditWitnessRooms.joined(separator: ",")),
        ]
    }
}
