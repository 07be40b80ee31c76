import Foundation
import Hummingbird
import Logging
import NoroshiChat
import NoroshiClient
import NoroshiCore
import NoroshiStorage

/// The HTTP API under `/v1`, plus `/healthz` and `/openapi.yaml`. `openapi.yaml` describes every route.
public struct API: Sendable {
    let store: Store
    let maxBodyBytes: Int
    /// Where photos go; without it the photo routes answer 503.
    let photos: PhotoSettings?
    let photoSignal: Wakeup
    let chatWakeups: OutboxWakeups
    /// The event stream's feed; without it `GET /v1/events` answers 503.
    let events: EventStreamService?
    let sessionIdleLimit: Duration
    /// Sender, scope and links of the CAP alerts.
    var cap = CAPSettings()
    /// Resumable uploads' lifetime and limits.
    public var uploads = UploadSettings()
    /// Failed authentications one address may make in a minute before its sign-ins get 429.
    public var signInFailuresPerMinute = 20
    /// Every route, for answering 405 instead of 404 to a known path with another method.
    let routeTable = RouteTable()
    /// Serve `POST /v1/noop` for `noroshi-bench http` (`NOROSHI_BENCHMARK_ROUTES=1`); never in production.
    public var benchmarkRoutes = false
    /// Browsers reach this server over HTTPS: every answer carries HSTS.
    public var strictTransportSecurity = false
    /// Requests and intake latency for `GET /metrics`.
    let metrics = Metrics()

    public init(
        store: Store, maxBodyBytes: Int, photos: PhotoSettings? = nil, photoSignal: Wakeup = Wakeup(),
        chatWakeups: OutboxWakeups = OutboxWakeups(rooms: []), events: EventStreamService? = nil,
        sessionIdleLimit: Duration = .seconds(12 * 3600)
    ) {
        self.store = store
        self.maxBodyBytes = maxBodyBytes
        self.photos = photos
        self.photoSignal = photoSignal
        self.chatWakeups = chatWakeups
        self.events = events
        self.sessionIdleLimit = sessionIdleLimit
    }

    /// A router with every route and the error and logging middleware.
    public func makeRouter() -> Router<NoroshiRequestContext> {
        let router = Router(context: NoroshiRequestContext.self)
        router.add(middleware: LogRequestsMiddleware(.debug))
        router.add(middleware: MetricsMiddleware(metrics: metrics))
        // Outermost after the log, so that every answer carries the security headers, error answers too.
        router.add(middleware: SecurityHeadersMiddleware(strictTransportSecurity: strictTransportSecurity))
        // Outside the error middleware, so that they see its answers: every failed authentication as a 401, every
        // unknown route as a 404.
        router.add(middleware: MethodNotAllowedMiddleware(table: routeTable))
        router.add(middleware: SignInThrottleMiddleware(failures: .init(limit: signInFailuresPerMinute)))
        router.add(middleware: ErrorMiddleware())

        router.get("/healthz", use: health)
        router.get("/metrics", use: exposeMetrics)
        router.get("/openapi.yaml", use: openAPI)

        let v1 = router.group("/v1")
        v1.get("/session", use: session)
        v1.get("/events", use: streamEvents)
        v1.post("/reports", use: createReport)
        v1.get("/reports/{id}", use: showReport)
        v1.post("/reports/{id}/link", use: linkReport)
        v1.post("/reports/{id}/unlink", use: unlinkReport)
        v1.post("/reports/{id}/photos", use: uploadPhoto)
        let tus = v1.group("/uploads").add(middleware: TusHeadersMiddleware())
        tus.on("", method: .options, use: tusOptions)
        tus.post("", use: createUpload)
        tus.head("{id}", use: uploadOffset)
        tus.get("{id}", use: showUpload)
        tus.patch("{id}", use: appendUpload)
        tus.delete("{id}", use: deleteUpload)
        v1.get("/photos/{sha256}", use: downloadPhoto)
        v1.get("/photos/{sha256}/{variant}", use: downloadPhotoCopy)
        v1.get("/incidents", use: listIncidents)
        v1.get("/incidents.csv", use: exportIncidentsCSV)
        v1.get("/incidents.geojson", use: exportIncidentsGeoJSON)
        v1.get("/reports.csv", use: exportReportsCSV)
        v1.get("/reports.geojson", use: exportReportsGeoJSON)
        v1.get("/incidents/{ref}", use: showIncident)
        v1.patch("/incidents/{ref}", use: changeIncident)
        v1.post("/incidents/{ref}/merge", use: mergeIncident)
        v1.get("/incidents/{ref}/cap", use: incidentCAP)
        v1.get("/cap.atom", use: capFeed)
        v1.post("/incidents/{ref}/sokuho", use: issueSokuho)
        v1.get("/incidents/{ref}/sokuho", use: listSokuho)
        v1.get("/incidents/{ref}/sokuho/{n}", use: showSokuho)
        v1.get("/outbox", use: listOutbox)
        v1.get("/outbox/{id}", use: showOutboxMessage)
        v1.post("/outbox/{id}/retry", use: retryOutboxMessage)
        v1.post("/outbox/drop", use: dropOutboxMessages)
        v1.get("/tokens", use: listTokens)
        v1.post("/tokens", use: createToken)
        v1.delete("/tokens/{id}", use: revokeToken)
        if benchmarkRoutes { v1.post("/noop", use: noop) }
        fillRouteTable(from: router)
        return router
    }

    // MARK: Open routes

    /// `{"status": "ok", "disk_free_bytes": …}`; 507 with `"status": "disk_full"` when the data directory's disk
    /// has less than ``Health/diskFullBelow`` left, so that monitoring sees it before reports are refused.
    @Sendable func health(_ request: Request, context: NoroshiRequestContext) async throws -> Response {
        _ = try await store.tokenCount()
        var health = Health(status: "ok", diskFreeBytes: nil)
        var info = statvfs()
        if let root = photos?.files.root, statvfs(root.path, &info) == 0 {
            let free = Int64(info.f_bavail) * Int64(info.f_frsize)
            health.diskFreeBytes = free
            if free < Health.diskFullBelow {
                health.status = "disk_full"
                return try JSONResponse.make(health, status: .init(code: 507, reasonPhrase: "Insufficient Storage"))
            }
        }
        return try JSONResponse.make(health)
    }

    /// `GET /metrics`: the Prometheus text format; needs an hq or admin token (Prometheus sends it with
    /// `authorization: {credentials_file: …}`).
    @Sendable func exposeMetrics(_ request: Request, context: NoroshiRequestContext) async throws -> Response {
        _ = try await authenticate(request, needs: .hq)
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: try await metrics.render(store: store))))
    }

    struct Health: Encodable {
        /// Below 1 MiB free a report may still fit, but not a photo: the disk is full for practical purposes.
        static let diskFullBelow: Int64 = 1 << 20
        var status: String
        var diskFreeBytes: Int64?

        enum CodingKeys: String, CodingKey {
            case status
            case diskFreeBytes = "disk_free_bytes"
        }
    }

    @Sendable func openAPI(_ request: Request, context: NoroshiRequestContext) async throws -> Response {
        let text = try OpenAPIDocument.text()
        return Response(
            status: .ok,
            headers: [.contentType: "application/yaml; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: text))
        )
    }

    // MARK: Reports

    @Sendable func session(_ request: Request, context: NoroshiRequestContext) async throws -> Response {
        let token = try await authenticate(request, needs: .field)
        return try JSONResponse.make(token)
    }

    @Sendable func createReport(_ request: Request, context: NoroshiRequestContext) async throws -> Response {
        let token = try await authenticate(request, needs: .field)
        let submission = try await decode(ReportSubmission.self, from: request)
        let receipt = try await store.submit(submission, by: token.name, tokenID: token.id)
        if receipt.created {
            context.logger.info(
                "Report received",
                metadata: [
                    "report.id": "\(receipt.report.id)", "incident.number": "\(receipt.incident.number)",
                    "incident.opened": "\(receipt.openedIncident)",
                ])
        }
        return try JSONResponse.make(receipt, status: receipt.created ? .created : .ok)
    }

    @Sendable func showReport(_ request: Request, context: NoroshiRequestContext) async throws -> Response {
        _ = try await authenticate(request, needs: .hq)
        return try JSONResponse.make(try await store.reportDetail(id: try reportID(context)))
    }

    @Sendable func linkReport(_ request: Request, context: NoroshiRequestContext) async throws -> Response {
        let token = try await authenticate(request, needs: .hq)
        let body = try await decode(LinkBody.self, from: request)
        return try JSONResponse.make(
            try await store.link(reportID: try reportID(context), to: body.incident, by: token.principal))
    }

    @Sendable func unlinkReport(_ request: Request, context: NoroshiRequestContext) async throws -> Response {
        let token = try await authenticate(request, needs: .hq)
        return try JSONResponse.make(try await store.unlink(reportID: try reportID(context), by: token.principal))
    }

    // MARK: Incidents

    @Sendable func listIncidents(_ request: Request, context: NoroshiRequestContext) async throws -> Response {
        _ = try await authenticate(request, needs: .hq)
        let filter = try IncidentQuery.filter(from: request.uri.queryParameters)
        let (incidents, total) = try await store.incidentsAndTotal(filter)
        return try JSONResponse.make(IncidentList(incidents: incidents, total: total))
    }

    @Sendable func showIncident(_ request: Request, context: NoroshiRequestContext) async throws -> Response {
        _ = try await authenticate(request, needs: .hq)
        var detail = try await store.incidentDetail(try context.parameters.require("ref"))
        detail.minutesSinceKakuchi = max(0, Int(store.clock.now().timeIntervalSince(detail.incident.openedAt) / 60))
        return try JSONResponse.make(detail)
    }

    // MARK: 即報

    @Sendable func issueSokuho(_ request: Request, context: NoroshiRequestContext) async throws -> Response {
        let token = try await authenticate(request, needs: .hq)
        let body = try await decode(SokuhoBody.self, from: request)
        var asOf: Date?
        if let text = body.asOf {
            guard let parsed = RFC3339.date(from: text) else {
                throw NoroshiError(
                    .invalidInput, "Field 'as_of' is not an RFC 3339 time such as 2026-11-21T14:05:00+09:00.")
            }
            asOf = parsed
        }
        let sokuho = try await store.issueSokuho(
            try context.parameters.require("ref"), situation: body.situation, asOf: asOf, by: token.principal)
        context.logger.info(
            "Sokuho issued",
            metadata: ["incident.number": "\(sokuho.incidentNumber)", "sequence": "\(sokuho.sequence)"])
        return try JSONResponse.make(sokuho, status: .created)
    }

    @Sendable func listSokuho(_ request: Request, context: NoroshiRequestContext) async throws -> Response {
        _ = try await authenticate(request, needs: .hq)
        return try JSONResponse.make(try await store.sokuhoList(try context.parameters.require("ref")))
    }

    @Sendable func showSokuho(_ request: Request, context: NoroshiRequestContext) async throws -> Response {
        _ = try await authenticate(request, needs: .hq)
        guard let sequence = Int(try context.parameters.require("n")), sequence > 0 else {
            throw NoroshiError(
                .notFound, "A 即報 is numbered 1, 2, 3 …; the printable form is /incidents/{ref}/sokuho/{n}.")
        }
        return try JSONResponse.make(try await store.sokuho(try context.parameters.require("ref"), sequence: sequence))
    }

    @Sendable func changeIncident(_ request: Request, context: NoroshiRequestContext) async throws -> Response {
        let token = try await authenticate(request, needs: .hq)
        let body = try await decode(ChangeBody.self, from: request)
        var change = IncidentChange(
            title: body.title, severity: body.severity, casualties: body.casualties, homes: body.homes)
        if let hq = body.headquarters {
            guard let level = HeadquartersStatus.Level(rawValue: hq.level) else {
                throw NoroshiError(
                    .invalidInput,
                    "Unknown headquarters level '\(hq.level.prefix(40))'; use one of \(HeadquartersStatus.Level.allNames)."
                )
            }
            change.headquarters = level
            if let since = hq.since {
                guard let parsed = RFC3339.date(from: since) else {
                    throw NoroshiError(
                        .invalidInput,
                        "Field 'headquarters.since' is not an RFC 3339 time such as 2026-11-21T14:30:00+09:00.")
                }
                change.headquartersSince = parsed
            }
        }
        if let status = body.status {
            guard let parsed = IncidentStatus(rawValue: status) else {
                throw NoroshiError(
                    .invalidInput, "Unknown status '\(status.prefix(40))'; use one of \(IncidentStatus.allNames).")
            }
            change.status = parsed
        }
        let incident = try await store.change(try context.parameters.require("ref"), change, by: token.principal)
        return try JSONResponse.make(incident)
    }

    @Sendable func mergeIncident(_ request: Request, context: NoroshiRequestContext) async throws -> Response {
        let token = try await authenticate(request, needs: .hq)
        let body = try await decode(MergeBody.self, from: request)
        let target = try context.parameters.require("ref")
        return try JSONResponse.make(try await store.merge(body.source, into: target, by: token.principal))
    }

    // MARK: Tokens

    @Sendable func listTokens(_ request: Request, context: NoroshiRequestContext) async throws -> Response {
        _ = try await authenticate(request, needs: .admin)
        return try JSONResponse.make(TokenList(tokens: try await store.tokens()))
    }

    @Sendable func createToken(_ request: Request, context: NoroshiRequestContext) async throws -> Response {
        let admin = try await authenticate(request, needs: .admin)
        let body = try await decode(TokenBody.self, from: request)
        guard let role = Role(rawValue: body.role) else {
            throw NoroshiError(.invalidInput, "Unknown role '\(body.role.prefix(40))'; use one of \(Role.allNames).")
        }
        let (info, secret) = try await store.createToken(
            name: body.name, role: role, expiresAt: body.expiresAt, by: admin.principal)
        context.logger.notice(
            "Token created", metadata: ["token.id": "\(info.id)", "token.role": "\(role)", "by": "\(admin.name)"])
        return try JSONResponse.make(CreatedToken(token: info, secret: secret), status: .created)
    }

    @Sendable func revokeToken(_ request: Request, context: NoroshiRequestContext) async throws -> Response {
        let admin = try await authenticate(request, needs: .admin)
        guard let id = Int64(try context.parameters.require("id")) else {
            throw NoroshiError(.invalidInput, "A token id is a number; 'noroshi token list' shows them.")
        }
        let info = try await store.revokeToken(id: id, by: admin.principal)
        context.logger.notice("Token revoked", metadata: ["token.id": "\(id)", "by": "\(admin.name)"])
        return try JSONResponse.make(info)
    }

    /// Gives the 405 middleware every route `router` holds; call again after adding routes.
    public func fillRouteTable(from router: Router<NoroshiRequestContext>) {
        routeTable.fill(router.routes.map { (method: $0.method.rawValue, path: $0.path.description) })
    }

    /// A route that authenticates and reads a body like report intake but stores nothing: the benchmark's ceiling.
    @Sendable func noop(_ request: Request, context: NoroshiRequestContext) async throws -> Response {
        _ = try await authenticate(request, needs: .field)
        _ = try await decode(ReportSubmission.self, from: request)
        return try JSONResponse.make(["status": "ok"])
    }

    // MARK: Helpers

    /// The token the request carries, checked against the role the route needs.
    func authenticate(_ request: Request, needs role: Role) async throws(NoroshiError) -> TokenInfo {
        guard let header = request.headers[.authorization] else {
            throw NoroshiError(
                .unauthorized,
                "This route needs a bearer token: send 'Authorization: Bearer <token>' "
                    + "(an administrator creates one with 'noroshi token create')."
            )
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw NoroshiError(.unauthorized, "The Authorization header must be 'Bearer <token>'.")
        }
        guard let token = try await store.authenticate(secret: String(parts[1]).trimmingCharacters(in: .whitespaces))
        else {
            throw NoroshiError(.unauthorized, "The bearer token is unknown or has been revoked.")
        }
        return try Self.check(token, needs: role)
    }

    /// The token itself when its role permits what `role` allows, else `forbidden` naming both roles.
    static func check(_ token: TokenInfo, needs role: Role) throws(NoroshiError) -> TokenInfo {
        guard token.role.permits(role) else {
            throw NoroshiError(
                .forbidden,
                "Token '\(token.name)' has the \(token.role.rawValue) role; this needs the \(role.rawValue) role."
            )
        }
        return token
    }

    func decode<T: Decodable>(_ type: T.Type, from request: Request) async throws -> T {
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > maxBodyBytes {
            throw NoroshiError(.tooLarge, "The request body is \(length) bytes; the limit is \(maxBodyBytes).")
        }
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: maxBodyBytes)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw NoroshiError(.tooLarge, "The request body is larger than the limit of \(maxBodyBytes) bytes.")
        }
        return try JSONBody.decode(type, from: Data(buffer.readableBytesView))
    }

    func reportID(_ context: NoroshiRequestContext) throws -> Int64 {
        let text = try context.parameters.require("id")
        guard let id = Int64(text), id > 0 else {
            throw NoroshiError(.invalidInput, "'\(text.prefix(40))' is not a report id; report ids are numbers.")
        }
        return id
    }
}

// MARK: Bodies

struct LinkBody: Codable, Sendable {
    var incident: String
}

struct MergeBody: Codable, Sendable {
    /// The incident that is merged away into the one in the path.
    var source: String
}

struct ChangeBody: Codable, Sendable {
    var status: String?
    var title: String?
    var severity: Int?
    var casualties: Casualties?
    var homes: HomeDamage?
    var headquarters: Headquarters?

    struct Headquarters: Codable, Sendable {
        var level: String
        var since: String?
    }
}

struct SokuhoBody: Codable, Sendable {
    var situation: String?
    var asOf: String?

    enum CodingKeys: String, CodingKey {
        case situation
        case asOf = "as_of"
    }
}

struct TokenBody: Codable, Sendable {
    var name: String
    var role: String
    var expiresAt: Date?

    enum CodingKeys: String, CodingKey {
        case name, role
        case expiresAt = "expires_at"
    }
}

/// The answer to creating a token: the only time its secret is shown.
public struct CreatedToken: Codable, Sendable {
    public var token: TokenInfo
    public var secret: String
}

/// The answer to listing tokens.
public struct TokenList: Codable, Sendable {
    public var tokens: [TokenInfo]
}
