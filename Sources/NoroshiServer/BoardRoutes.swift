import Foundation
import HTTPTypes
import Hummingbird
import NoroshiBoard
import NoroshiChat
import NoroshiCore
import NoroshiHTTPClient
import NoroshiStorage

/// The web board's routes: sign-in, the incident list, incident pages and their actions, the outbox page,
/// photos and static assets. Pages are rendered by ``Board``; this type only reads requests, checks the session
/// and its CSRF value, calls the store and hands the result to a page.
///
/// Every state-changing form is a POST carrying the session's CSRF value; a POST without it, or from another
/// origin, gets 403 and changes nothing. Actions that change an incident first show a confirmation page.
struct BoardRoutes: Sendable {
    let api: API
    let board: Board
    let rooms: [String]
    let secureCookies: Bool
    let clock: any WallClock

    var store: Store { api.store }

    static let languageCookie = "noroshi_lang"
    static let maxFormBytes = 64 * 1024

    func add(to router: Router<NoroshiRequestContext>) {
        router.get("/login", use: loginPage)
        router.post("/login", use: signIn)
        router.post("/logout", use: signOut)
        router.get("/", use: listPage)
        router.get("/incidents/{ref}", use: incidentPage)
        router.post("/incidents/{ref}/{action}", use: incidentAction)
        router.get("/incidents/{ref}/sokuho/{n}", use: sokuhoPage)
        // The literal segment above takes POST …/sokuho away from {action}; it is an action all the same.
        router.post("/incidents/{ref}/sokuho") { request, context in
            try await incidentAction(request, context: context, action: "sokuho")
        }
        router.get("/map", use: mapPage)
        router.get("/export/{file}", use: exportFile)
        router.get("/outbox", use: outboxPage)
        router.post("/outbox/{id}/retry", use: retryMessage)
        router.get("/photos/{sha256}", use: photo)
        router.get("/photos/{sha256}/{variant}", use: photo)
        router.get("/assets/{name}", use: asset)
    }

    // MARK: Sign-in

    @Sendable func loginPage(_ request: Request, context: NoroshiRequestContext) async throws -> Response {
        let language = language(request)
        if try await session(request) != nil { return .redirect(to: "/", type: .normal) }
        return html(
            board.render(LoginPage(language: language, next: safeNext(request.uri.queryParameters["next"]))),
            request: request)
    }

    @Sendable func signIn(_ request: Request, context: NoroshiRequestContext) async throws -> Response {
        let language = language(request)
        guard sameOrigin(request) else { return forbidden(request, viewer: nil, language: language) }
        let form = try await form(request)
        let next = safeNext(form["next"].map { Substring($0) })
        let secret = (form["token"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard let opened = try await store.openSession(tokenSecret: secret) else {
            let page = LoginPage(language: language, error: language.words["badToken"], next: next)
            return html(board.render(page), status: .unauthorized, request: request)
        }
        let (cookie, session) = opened
        context.logger.info(
            "Board sign-in", metadata: ["token.id": "\(session.token.id)", "token.name": "\(session.token.name)"])
        var response = Response.redirect(to: next, type: .normal)
        response.setCookie(
            Cookie(
                name: API.sessionCookie, value: cookie, path: "/", secure: secureCookies, httpOnly: true,
                sameSite: .strict))
        return response
    }

    @Sendable func signOut(_ request: Request, context: NoroshiRequestContext) async throws -> Response {
        let language = language(request)
        guard let (session, cookie) = try await sessionAndCookie(request) else {
            return .redirect(to: "/login", type: .normal)
        }
        let form = try await form(request)
        guard sameOrigin(request), Self.constantTimeEqual(form["csrf"] ?? "", session.csrf) else {
            return forbidden(request, viewer: viewer(session), language: language)
        }
        try await store.endSession(secret: cookie)
        var response = Response.redirect(to: "/login", type: .normal)
        response.setCookie(
            Cookie(
                name: API.sessionCookie, value: "", maxAge: 0, path: "/", secure: secureCookies, httpOnly: true,
                sameSite: .strict))
        return response
    }

    // MARK: Pages

    @Sendable func listPage(_ request: Request, context: NoroshiRequestContext) async throws -> Response {
        try await page(request, needs: .field) { session, language in
            let query = try ListQuery.parse(Self.parameters(of: request))
            var filter = boardFilter(query, for: session)
            filter.order = query.sort == .opened ? .opened : .activity
            filter.offset = (query.page - 1) * ListQuery.pageSize
            filter.limit = ListQuery.pageSize
            let listing = try await store.boardIncidents(filter)
            var unlocatedFilter = filter
            unlocatedFilter.location = .unlocated
            unlocatedFilter.offset = 0
            unlocatedFilter.limit = 100
            let unlocated = query.page == 1 ? try await store.boardIncidents(unlocatedFilter).rows : []
            let page = ListPage(
                language: language, viewer: viewer(session), query: query,
                incidents: listing.rows.map { ($0.incident, $0.photoCount) }, total: listing.total,
                unlocated: unlocated.map { ($0.incident, $0.photoCount) }, now: clock.now())
            return html(board.render(page), request: request)
        }
    }

    @Sendable func mapPage(_ request: Request, context: NoroshiRequestContext) async throws -> Response {
        try await page(request, needs: .field) { session, language in
            let query = try MapQuery.parse(Self.parameters(of: request))
            let view = query.resolvedView
            var filter = boardFilter(query.list, for: session)
            filter.within = view.box
            filter.limit = MapPage.symbolLimit
            let listing = try await store.boardIncidents(filter)
            let page = MapPage(
                language: language, viewer: viewer(session), query: query, view: view,
                incidents: listing.rows.map { ($0.incident, $0.photoCount) }, total: listing.total, now: clock.now())
            return html(board.render(page), request: request)
        }
    }

    static func parameters(of request: Request) -> [(String, String)] {
        request.uri.queryParameters.map { (String($0.key), String($0.value)) }
    }

    /// The located incidents a board query asks for, as the session may see them: a field sign-in sees the
    /// incidents its own reports joined, closed ones too.
    func boardFilter(_ query: ListQuery, for session: BoardSession) -> BoardFilter {
        var filter = BoardFilter(
            exercise: query.exercise, kinds: query.kind.map { [$0] } ?? [],
            statuses: query.status.map { [$0] } ?? [], minSeverity: query.minSeverity,
            since: query.since.seconds.map { clock.now().addingTimeInterval(-$0) }, text: query.text,
            location: .located, prefecture: query.prefecture)
        if !session.token.role.permits(.hq) {
            filter.reportsOfToken = session.token.id
            filter.includeClosed = true
        }
        return filter
    }

    @Sendable func incidentPage(_ request: Request, context: NoroshiRequestContext) async throws -> Response {
        try await page(request, needs: .field) { session, language in
            let reference = try context.parameters.require("ref")
            try await checkVisible(reference, to: session)
            let detail = try await store.incidentDetail(reference)
            if detail.incident.number != reference {
                // A merged (or numeric) reference shows the surviving incident under its own number.
                return .redirect(to: "/incidents/" + detail.incident.number, type: .found)
            }
            let sokuho = session.token.role.permits(.hq) ? try await store.sokuhoList(detail.incident.number) : nil
            let page = IncidentPage(
                language: language, viewer: viewer(session), detail: detail, now: clock.now(), sokuho: sokuho)
            return html(board.render(page), request: request)
        }
    }

    /// `GET /export/{incidents|reports}.{csv|geojson}` with the list's parameters: the export buttons, for what
    /// the session may see (a field sign-in, its own incidents) exactly as the filters show it, located and
    /// unlocated, every page; CSV in the board's language.
    @Sendable func exportFile(_ request: Request, context: NoroshiRequestContext) async throws -> Response {
        try await page(request, needs: .field) { session, language in
            let file = try context.parameters.require("file").split(separator: ".").map(String.init)
            guard file.count == 2, file[0] == "incidents" || file[0] == "reports",
                let format = Export.Format(rawValue: file[1])
            else {
                throw NoroshiError(
                    .notFound, "Exports are incidents.csv, incidents.geojson, reports.csv, reports.geojson.")
            }
            let query = try ListQuery.parse(Self.parameters(of: request))
            var filter = boardFilter(query, for: session)
            filter.location = .any
            let chosen = filter
            let store = self.store
            return API.exportResponse(
                format: format, reports: file[0] == "reports", ja: language == .japanese, limit: .max,
                incidents: { try await store.exportIncidents(chosen, after: $0, limit: $1) },
                reports: { try await store.exportReports(chosen, after: $0, limit: $1) })
        }
    }

    /// `GET /incidents/{ref}/sokuho/{n}`: one issued 即報 as the printable FDMA form, for a board session or a
    /// bearer token (hq); what `noroshi sokuho show --html` saves.
    @Sendable func sokuhoPage(_ request: Request, context: NoroshiRequestContext) async throws -> Response {
        let reference = try context.parameters.require("ref")
        guard let sequence = Int(try context.parameters.require("n")), sequence > 0 else {
            throw NoroshiError(.notFound, "A 即報 is numbered 1, 2, 3 …")
        }
        let printable = { () async throws -> Response in
            let sokuho = try await store.sokuho(reference, sequence: sequence)
            return html(board.render(SokuhoPage(sokuho)), request: request)
        }
        if request.headers[.authorization] != nil {
            _ = try await api.authenticate(request, needs: .hq)
            return try await printable()
        }
        return try await page(request, needs: .hq) { _, _ in try await printable() }
    }

    @Sendable func outboxPage(_ request: Request, context: NoroshiRequestContext) async throws -> Response {
        try await page(request, needs: .hq) { session, language in
            let counts = try await store.outboxCountsByRoom()
            let dead = try await store.outboxMessages(OutboxFilter(states: [.dead], limit: 200))
            let page = OutboxPage(language: language, viewer: viewer(session), rooms: rooms, counts: counts, dead: dead)
            return html(board.render(page), request: request)
        }
    }

    @Sendable func photo(_ request: Request, context: NoroshiRequestContext) async throws -> Response {
        try await page(request, needs: .field) { session, _ in
            let sha256 = try api.photoHash(context)
            if !session.token.role.permits(.hq) {
                guard try await store.photo(sha256, isVisibleToToken: session.token.id) else {
                    throw NoroshiError(.notFound, "No photo has SHA-256 \(sha256).")
                }
            }
            if let variant = context.parameters.get("variant") {
                return try await api.photoCopy(sha256, variant: variant, context: context)
            }
            return try await api.originalPhoto(sha256, context: context)
        }
    }

    @Sendable func asset(_ request: Request, context: NoroshiRequestContext) async throws -> Response {
        let name = try context.parameters.require("name")
        guard let asset = board.asset(name) else {
            throw NoroshiError(.notFound, "There is no board asset '\(name.prefix(40))'.")
        }
        return Response(
            status: .ok, headers: [.contentType: asset.contentType, .cacheControl: "public, max-age=3600"],
            body: .init(byteBuffer: ByteBuffer(bytes: asset.data)))
    }

    // MARK: Actions

    /// `POST /incidents/{ref}/{status|severity|title|link|unlink|merge}`: shows a confirmation page, then (with
    /// `confirm=1`) makes the change through the store and returns to the incident page.
    @Sendable func incidentAction(_ request: Request, context: NoroshiRequestContext) async throws -> Response {
        try await incidentAction(request, context: context, action: try context.parameters.require("action"))
    }

    func incidentAction(_ request: Request, context: NoroshiRequestContext, action: String) async throws -> Response {
        try await self.action(request, needs: .hq) { session, language, form in
            let reference = try context.parameters.require("ref")
            let incident = try await store.incident(reference)
            let number = incident.number
            let back = "/incidents/" + number
            let ja = language == .japanese
            let actor = session.token.principal
            do {
                let plan = try IncidentActionPlan(
                    action: action, form: form, incident: incident, language: language)
                guard form["confirm"] == "1" else {
                    let page = ConfirmPage(
                        language: language, viewer: viewer(session), question: plan.question,
                        action: "\(back)/\(action)", fields: plan.fields, back: back, detail: plan.detail)
                    return html(board.render(page), request: request)
                }
                switch plan.change {
                case .incident(let change): _ = try await store.change(number, change, by: actor)
                case .link(let reportID): _ = try await store.link(reportID: reportID, to: number, by: actor)
                case .unlink(let reportID): _ = try await store.unlink(reportID: reportID, by: actor)
                case .merge(let source): _ = try await store.merge(source, into: number, by: actor)
                case .sokuho(let situation):
                    let issued = try await store.issueSokuho(number, situation: situation, by: actor)
                    context.logger.info(
                        "Sokuho issued", metadata: ["incident.number": "\(number)", "sequence": "\(issued.sequence)"])
                    return .redirect(to: "\(back)/sokuho/\(issued.sequence)", type: .normal)
                }
                context.logger.info(
                    "Board action", metadata: ["incident.number": "\(number)", "action": "\(action)", "by": "\(actor)"])
                return .redirect(to: back, type: .normal)
            } catch let error as NoroshiError where error.code != .internal && error.code != .unavailable {
                // The API's own message, on the incident page as it stands now.
                let fresh = try await store.incidentDetail(number)
                let page = IncidentPage(
                    language: language, viewer: viewer(session), detail: fresh, now: clock.now(),
                    error: (ja ? "変更できませんでした: " : "Not changed: ") + error.message)
                return html(board.render(page), status: error.code.httpStatus, request: request)
            }
        }
    }

    @Sendable func retryMessage(_ request: Request, context: NoroshiRequestContext) async throws -> Response {
        try await action(request, needs: .hq) { session, _, _ in
            _ = try await api.requeue(try api.outboxID(context), by: session.token.principal, logger: context.logger)
            return .redirect(to: "/outbox", type: .normal)
        }
    }

    // MARK: Plumbing

    /// Runs a page handler for a signed-in viewer with at least `role`; anonymous visitors go to the sign-in page,
    /// and errors become a page with the right status.
    func page(
        _ request: Request, needs role: Role,
        _ body: (BoardSession, BoardLanguage) async throws -> Response
    ) async throws -> Response {
        let language = language(request)
        guard let session = try await session(request) else {
            let next = request.uri.path + (request.uri.query.map { "?" + $0 } ?? "")
            return .redirect(to: "/login?next=" + next.urlComponentEncoded, type: .normal)
        }
        guard session.token.role.permits(role) else {
            return forbidden(request, viewer: viewer(session), language: language)
        }
        do {
            return try await body(session, language)
        } catch let error as NoroshiError {
            return errorPage(error, request: request, viewer: viewer(session), language: language)
        }
    }

    /// Runs a form handler: a signed-in viewer with `role`, the same origin and the session's CSRF value.
    func action(
        _ request: Request, needs role: Role,
        _ body: (BoardSession, BoardLanguage, [String: String]) async throws -> Response
    ) async throws -> Response {
        try await page(request, needs: role) { session, language in
            let form = try await form(request)
            guard sameOrigin(request), Self.constantTimeEqual(form["csrf"] ?? "", session.csrf) else {
                return forbidden(request, viewer: viewer(session), language: language)
            }
            return try await body(session, language, form)
        }
    }

    func checkVisible(_ reference: String, to session: BoardSession) async throws(NoroshiError) {
        guard !session.token.role.permits(.hq) else { return }
        guard try await store.incident(reference, hasReportOfToken: session.token.id) else {
            throw NoroshiError(
                .notFound, "Incident \(reference.prefix(40)) does not exist or has none of your reports.")
        }
    }

    func session(_ request: Request) async throws(NoroshiError) -> BoardSession? {
        try await sessionAndCookie(request)?.0
    }

    func sessionAndCookie(_ request: Request) async throws(NoroshiError) -> (BoardSession, String)? {
        guard let cookie = request.cookies[API.sessionCookie]?.value, !cookie.isEmpty else { return nil }
        guard let session = try await store.session(secret: cookie, idleLimit: api.sessionIdleLimit) else { return nil }
        return (session, cookie)
    }

    func viewer(_ session: BoardSession) -> Viewer {
        Viewer(name: session.token.name, role: session.token.role, csrf: session.csrf)
    }

    func language(_ request: Request) -> BoardLanguage {
        BoardLanguage.negotiate(
            explicit: request.uri.queryParameters["lang"].map(String.init)
                ?? request.cookies[Self.languageCookie]?.value,
            acceptLanguage: request.headers[.acceptLanguage])
    }

    func html(_ text: String, status: HTTPResponse.Status = .ok, request: Request) -> Response {
        let headers: HTTPFields = [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"]
        var response = Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
        if let explicit = request.uri.queryParameters["lang"], let chosen = BoardLanguage(rawValue: String(explicit)) {
            response.setCookie(
                Cookie(
                    name: Self.languageCookie, value: chosen.rawValue, maxAge: 365 * 86_400, path: "/",
                    secure: secureCookies, httpOnly: true, sameSite: .strict))
        }
        return response
    }

    func errorPage(_ error: NoroshiError, request: Request, viewer: Viewer?, language: BoardLanguage) -> Response {
        let t = language.words
        let heading: String
        var message = error.message
        switch error.code {
        case .notFound: heading = t["notFound"]!
        case .forbidden, .unauthorized: heading = t["forbidden"]!
        case .internal:
            heading = t["error"]!
            message = "Internal error."
        default: heading = t["error"]!
        }
        let page = MessagePage(language: language, viewer: viewer, heading: heading, message: message)
        return html(board.render(page), status: error.code.httpStatus, request: request)
    }

    func forbidden(_ request: Request, viewer: Viewer?, language: BoardLanguage) -> Response {
        let message =
            language == .japanese
            ? "この操作は許可されていません（権限がないか、フォームの有効期限が切れています）。ページを開き直してください。"
            : "This is not allowed: your role does not permit it, or the form has expired. Open the page again."
        return errorPage(NoroshiError(.forbidden, message), request: request, viewer: viewer, language: language)
    }

    /// A POST must come from this board: when the browser names an origin, its host must be this host.
    func sameOrigin(_ request: Request) -> Bool {
        guard let origin = request.headers[HTTPField.Name("Origin")!] else {
            return request.headers[HTTPField.Name("Sec-Fetch-Site")!].map { $0 == "same-origin" || $0 == "none" }
                ?? true
        }
        guard let host = request.head.authority ?? request.headers[HTTPField.Name("Host")!] else { return false }
        guard let url = URL(string: origin), let candidate = url.host else { return false }
        return candidate + (url.port.map { ":\($0)" } ?? "") == host || candidate == host
    }

    func form(_ request: Request) async throws -> [String: String] {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: Self.maxFormBytes)
        } catch {
            throw NoroshiError(.tooLarge, "The form is larger than \(Self.maxFormBytes) bytes.")
        }
        return Self.parseForm(String(decoding: buffer.readableBytesView, as: UTF8.self))
    }

    /// `application/x-www-form-urlencoded` pairs; the first value of a repeated name wins.
    static func parseForm(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ part: Substring) -> String {
                String(part).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            let name = decode(parts[0])
            if fields[name] == nil { fields[name] = parts.count > 1 ? decode(parts[1]) : "" }
        }
        return fields
    }

    /// Where to go after signing in: a path on this board, never another site.
    func safeNext(_ value: Substring?) -> String {
        guard let value, value.hasPrefix("/"), !value.hasPrefix("//"), !value.contains("\\"), value.count < 500
        else { return "/" }
        return String(value)
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for index in x.indices { difference |= x[index] ^ y[index] }
        return difference == 0
    }
}
