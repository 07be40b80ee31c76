import Foundation
import Logging
import NoroshiCore
import NoroshiPhotos
import NoroshiStorage
import ServiceLifecycle
import Synchronization

/// Where photos live and what is accepted: shared by the upload route and the job service.
public struct PhotoSettings: Sendable {
    public var files: PhotoFiles
    public var limits: PhotoLimits
    /// Jobs run at once; at most one per core. 0 pauses the copies: uploads are accepted and their
    /// jobs wait in the table until a daemon with workers runs.
    public var workers: Int
    /// Seconds east of UTC assumed for an EXIF time recorded without an offset.
    public var assumedUTCOffset: Int
    /// How long a copy job that met a full disk waits before it runs again.
    public var diskFullRetry: Duration = .seconds(30)

    public init(files: PhotoFiles, limits: PhotoLimits, workers: Int, assumedUTCOffset: Int) {
        self.files = files
        self.limits = limits
        self.workers = max(0, min(workers, ProcessInfo.processInfo.activeProcessorCount))
        self.assumedUTCOffset = assumedUTCOffset
    }
}

/// Makes the chat and thumb copies of every photo in the durable job table, at most `workers` at a
/// time. A job is claimed in the database before work starts and removed only after both copies are
/// on disk, so a daemon killed mid-resize makes them again when it starts.
public struct PhotoJobService: Service {
    let store: Store
    let settings: PhotoSettings
    let signal: Wakeup
    let logger: Logger

    public init(store: Store, settings: PhotoSettings, signal: Wakeup, logger: Logger) {
        self.store = store
        self.settings = settings
        self.signal = signal
        self.logger = logger
    }

    public func run() async throws {
        settings.files.removeIncoming()
        await expireUploads()
        let released = try await store.releaseClaimedPhotoJobs()
        if released > 0 {
            logger.notice("Photo jobs interrupted by the last stop will run again", metadata: ["jobs": "\(released)"])
        }
        await withGracefulShutdownHandler {
            await dispatch()
        } onGracefulShutdown: {
            signal.notify()
        }
    }

    /// Claims jobs while fewer than `workers` run, each in a child task; waits when there is nothing
    /// to do or no free worker. At shutdown, stops claiming and lets running jobs finish.
    func dispatch() async {
        let running = JobCount()
        var lastSweep = ContinuousClock.now
        // A discarding group: a plain task group keeps every finished child until someone awaits it, and this loop
        // never does, so each copy job left about 5 KB behind for the daemon's life (56 → 530 MB over 24,000
        // photos, issue 17). A discarding group frees a child when it finishes.
        await withDiscardingTaskGroup { group in
            while !Task.isShuttingDownGracefully && !Task.isCancelled {
                if ContinuousClock.now - lastSweep > .seconds(600) {
                    lastSweep = .now
                    await expireUploads()
                }
                if running.value.withLock({ $0 }) < settings.workers {
                    do {
                        if let job = try await store.claimPhotoJob() {
                            running.value.withLock { $0 += 1 }
                            group.addTask {
                                if job.previewOnly {
                                    await makeThumb(ofPreview: job.sha256)
                                } else {
                                    await make(job.sha256, orientation: job.orientation)
                                }
                                running.value.withLock { $0 -= 1 }
                                signal.notify()
                            }
                            continue
                        }
                    } catch {
                        logger.error("Photo jobs cannot be read", metadata: ["error": "\(error)"])
                    }
                }
                await signal.wait(for: .seconds(5))
            }
        }
    }

    /// Forgets expired resumable uploads and removes their files, and any file no upload names (left by a
    /// stop between the two).
    func expireUploads() async {
        do {
            let expired = try await store.expireUploads()
            let known = try await store.uploadIDs()
            settings.files.removeResumables { known.contains($0) }
            if !expired.isEmpty {
                logger.info("Unfinished uploads expired", metadata: ["uploads": "\(expired.count)"])
            }
        } catch {
            logger.error("Uploads cannot be swept", metadata: ["error": "\(error)"])
        }
    }

    /// A preview is already the chat copy (upright, from the device): only the thumb is made, from it.
    func makeThumb(ofPreview sha256: String) async {
        let files = settings.files
        do {
            let limits = settings.limits
            let set = try await Blocking.run { () throws(PhotoError) in
                let set = try Derivatives.make(
                    path: files.derivative(sha256, "chat").path, orientation: 1, specs: [.thumb], limits: limits)
                if let thumb = set["thumb"] { try files.writeDerivative(thumb.jpeg, sha256: sha256, name: "thumb") }
                return set
            }
            guard let thumb = set["thumb"] else { return }
            try await store.completePreviewJob(
                sha256: sha256, thumb: Photo.Size(width: thumb.width, height: thumb.height))
        } catch  where Self.isDiskFull(error) {
            await retryAfterDiskFull(sha256, error: error)
        } catch let error as PhotoError where error.code != .io {
            logger.warning(
                "Preview thumb cannot be made", metadata: ["photo.sha256": "\(sha256)", "error": "\(error)"])
            try? await store.failPhotoJob(sha256: sha256, reason: error.message)
        } catch {
            logger.error("Preview job failed", metadata: ["photo.sha256": "\(sha256)", "error": "\(error)"])
        }
    }

    func make(_ sha256: String, orientation: Int) async {
        let files = settings.files
        do {
            // Decoding, resizing and the synced writes block: off the cooperative pool, which answers requests.
            let limits = settings.limits
            let set = try await Blocking.run { () throws(PhotoError) in
                let set = try Derivatives.make(
                    path: files.original(sha256).path, orientation: orientation, limits: limits)
                for derivative in set.derivatives {
                    try files.writeDerivative(derivative.jpeg, sha256: sha256, name: derivative.spec.name)
                }
                return set
            }
            guard let chat = set["chat"], let thumb = set["thumb"] else { return }
            try await store.completePhotoJob(
                sha256: sha256, chat: Photo.Size(width: chat.width, height: chat.height),
                thumb: Photo.Size(width: thumb.width, height: thumb.height))
            logger.info("Photo copies made", metadata: ["photo.sha256": "\(sha256)"])
        } catch  where Self.isDiskFull(error) {
            await retryAfterDiskFull(sha256, error: error)
        } catch let error as PhotoError where error.code != .io {
            logger.warning("Photo copies cannot be made", metadata: ["photo.sha256": "\(sha256)", "error": "\(error)"])
            try? await store.failPhotoJob(sha256: sha256, reason: error.message)
        } catch {
            // Disk or database trouble: leave the job claimed; the next start runs it again.
            logger.error("Photo job failed", metadata: ["photo.sha256": "\(sha256)", "error": "\(error)"])
        }
    }
}

extension PhotoJobService {
    /// Whether `error` is a full disk, met writing a copy (ENOSPC) or recording it (SQLITE_FULL).
    static func isDiskFull(_ error: any Error) -> Bool {
        (error as? PhotoError)?.code == .diskFull || (error as? NoroshiError)?.code == .insufficientStorage
    }

    /// A full disk is not the photo's fault: the job waits ``PhotoSettings/diskFullRetry`` and is released to run
    /// again, so that copies resume by themselves once space returns (they used to wait for a restart). At
    /// shutdown the wait ends at once and the job stays claimed; the next start runs it.
    func retryAfterDiskFull(_ sha256: String, error: any Error) async {
        logger.error(
            "Photo copies wait for disk space",
            metadata: [
                "photo.sha256": "\(sha256)", "error": "\(error)", "retry.in": "\(settings.diskFullRetry)",
            ])
        // Releasing the job is a write too, and fails while the disk is still full: wait and try again.
        while true {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: settings.diskFullRetry) }
            } catch {
                return
            }
            do {
                try await store.releasePhotoJob(sha256: sha256)
                signal.notify()
                return
            } catch {
                continue
            }
        }
    }
}

/// The number of jobs running, shared between the dispatcher and its child tasks.
private final class JobCount: Sendable {
    let value = Mutex(0)
}
