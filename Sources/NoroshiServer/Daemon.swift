import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NoroshiBoard
import NoroshiChat
import NoroshiCore
import NoroshiPhotos
import NoroshiStorage
import ServiceLifecycle

/// The daemon: the store and the HTTP application, run by one service group that shuts down on SIGTERM/SIGINT.
public struct Daemon: Sendable {
    public let configuration: NoroshiConfiguration
    public let store: Store
    public let photos: PhotoSettings
    let photoSignal = Wakeup()
    let clock: any WallClock
    /// Rung by the API when HQ re-queues a dead letter.
    public let chatWakeups: OutboxWakeups
    /// Feeds the event streams of `GET /v1/events`.
    public let events: EventStreamService
    let board: Board
    /// When each configured room was first configured here.
    let roomStarts: [String: Int64]
    /// HTTPS, when `http.tls` names a certificate and key (read at start, so that a bad file stops it there).
    let tlsConfiguration: TLSConfiguration?
    let logger: Logger

    /// Opens the store in the configured data directory.
    public init(configuration: NoroshiConfiguration, clock: any WallClock = SystemClock(), logger: Logger)
        throws(NoroshiError)
    {
        self.configuration = configuration
        self.logger = logger
        self.clock = clock
        self.chatWakeups = OutboxWakeups(rooms: configuration.chat.rooms.map(\.name))
        self.store = try Store(
            directory: configuration.dataDirectoryURL,
            policy: configuration.linking,
            limits: configuration.limits,
            clock: clock,
            logger: logger
        )
        // Recorded before any request is taken: a room added since the last run starts now.
        self.roomStarts = try store.roomStarts(configuration.chat.rooms.map(\.name))
        self.tlsConfiguration = try configuration.tls.map(Self.tlsConfiguration)
        self.events = EventStreamService(store: store, logger: logger)
        self.board = try Board()
        do {
            var photos = PhotoSettings(
                files: try PhotoFiles(root: configuration.dataDirectoryURL.appendingPathComponent("photos")),
                limits: configuration.photoLimits, workers: configuration.photoWorkers,
                assumedUTCOffset: configuration.photoUTCOffset)
            photos.diskFullRetry = configuration.photoDiskFullRetry
            self.photos = photos
        } catch {
            throw NoroshiError(.unavailable, "Cannot prepare the photo folder: \(error.message)")
        }
    }

    /// The background service that makes photo copies.
    public func makePhotoJobService() -> PhotoJobService {
        PhotoJobService(store: store, settings: photos, signal: photoSignal, logger: logger)
    }

    /// The background service that sends the outbox to chat rooms.
    public func makeDeliveryService() -> DeliveryService {
        let files = photos.files
        return DeliveryService(
            store: store, configuration: configuration.chat, wakeups: chatWakeups,
            images: { sha256 in try? Data(contentsOf: files.derivative(sha256, "chat")) }, clock: clock,
            roomStarts: roomStarts, logger: logger)
    }

    /// The service that signs the audit log's head now and then and at shutdown.
    public func makeAuditService() -> AuditService {
        AuditService(
            store: store, interval: configuration.auditCheckpointInterval,
            witnessRooms: configuration.auditWitnessRooms, wakeups: chatWakeups,
            configuration: configuration.auditRecord, logger: logger)
    }

    /// Every service the daemon runs: audit checkpoints, the HTTP application, photo jobs, chat delivery, the
    /// event streams' feed. Services stop in reverse order: the feed first, ending the open event streams, which
    /// would otherwise keep the HTTP server waiting; the audit service last, so that its final checkpoint signs
    /// every change the server accepted.
    public func services(onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> [any Service] {
        [
            makeAuditService(), makeApplication(onServerRunning: onServerRunning), makePhotoJobService(),
            makeDeliveryService(), events,
        ]
    }

    /// The HTTP application; `onServerRunning` learns the bound port (useful with port 0).
    public func makeApplication(onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in })
        -> some ApplicationProtocol & Service
    {
        let router = makeRouter()
        var server = GuardedHTTP1Channel.builder(limits: configuration.connectionLimits, configuration: .init())
        if let tlsConfiguration {
            // Cannot fail: the same configuration made a TLS channel when the daemon was made.
            guard let secured = try? HTTPServerBuilder.tls(server, tlsConfiguration: tlsConfiguration) else {
                preconditionFailure("TLS configuration refused after it was accepted")
            }
            server = secured
        }
        return Application(
            router: router,
            server: server,
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port),
                serverName: "noroshi"
            ),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
            logger: logger
        )
    }

    /// Every route the daemon serves: the API under `/v1` and the board's pages.
    public func makeRouter() -> Router<NoroshiRequestContext> {
        var api = API(
            store: store, maxBodyBytes: configuration.maxBodyBytes, photos: photos, photoSignal: photoSignal,
            chatWakeups: chatWakeups, events: events, sessionIdleLimit: configuration.sessionIdleLimit)
        api.cap = configuration.cap
        api.uploads.lifetime = configuration.uploadLifetime
        api.uploads.maxOpen = configuration.maxOpenUploads
        api.signInFailuresPerMinute = configuration.signInFailuresPerMinute
        api.benchmarkRoutes = configuration.benchmarkRoutes
        api.strictTransportSecurity = configuration.overHTTPS
        api.cap.boardURL = configuration.chat.boardURL
        let router = api.makeRouter()
        BoardRoutes(
            api: api, board: board, rooms: configuration.chat.rooms.map(\.name),
            secureCookies: configuration.overHTTPS, clock: clock
        ).add(to: router)
        api.fillRouteTable(from: router)
        return router
    }

    /// The server side of TLS from PEM files: the certificate chain (leaf first) and its private key.
    static func tlsConfiguration(_ files: (certificateFile: String, keyFile: String)) throws(NoroshiError)
        -> TLSConfiguration
    {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(files.certificateFile)
        } catch {
            throw NoroshiError(
                .invalidInput,
                "Cannot read the TLS certificate '\(files.certificateFile)' (http.tls.certificate_file): it must be a "
                    + "readable PEM file, the server's certificate first (\(error)).")
        }
        guard !chain.isEmpty else {
            throw NoroshiError(
                .invalidInput, "The TLS certificate file '\(files.certificateFile)' holds no certificate.")
        }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: files.keyFile, format: .pem)
        } catch {
            // The key's bytes are never quoted: only its path.
            throw NoroshiError(
                .invalidInput,
                "Cannot read the TLS private key '\(files.keyFile)' (http.tls.key_file): it must be a readable, "
                    + "unencrypted PEM file.")
        }
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        do {
            // Makes the TLS context now, which checks that the key belongs to the certificate.
            _ = try TLSChannel(
                HTTP1Channel(responder: { _, _, _ in }, configuration: .init()), tlsConfiguration: configuration)
        } catch {
            throw NoroshiError(
                .invalidInput,
                "The TLS private key '\(files.keyFile)' does not belong to the certificate '\(files.certificateFile)', "
                    + "or they cannot be used (\(error)).")
        }
        return configuration
    }

    /// Runs until SIGTERM or SIGINT, then shuts down gracefully.
    public func run(onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let group = ServiceGroup(
            configuration: .init(
                services: services(onServerRunning: onServerRunning),
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
    }
}
