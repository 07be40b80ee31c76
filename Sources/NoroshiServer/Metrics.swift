import Foundation
import HTTPTypes
import Hummingbird
import NoroshiCore
import NoroshiStorage
import Synchronization

/// What `GET /metrics` reports, in the Prometheus text format (version 0.0.4): requests by route and status and
/// the intake's latency, counted here as they happen; the outbox, photo jobs and audit log, read from the store at
/// each scrape.
///
/// Written by hand rather than through swift-prometheus: a dozen series do not need a registry, and the format is
/// checked by Prometheus's own Python parser in the tests.
public final class Metrics: Sendable {
    /// Upper bounds of the intake histogram's buckets, in seconds: a durable commit takes about 0.4 ms here.
    static let intakeBuckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]

    struct RequestKey: Hashable {
        var route: String
        var method: String
        var status: Int
    }

    private struct State {
        var requests: [RequestKey: Int] = [:]
        var intakeCounts = [Int](repeating: 0, count: Metrics.intakeBuckets.count)
        var intakeSum = 0.0
        var intakeCount = 0
        var eventStreams = 0
    }

    private let state = Mutex(State())
    let started = Date()

    public init() {}

    /// Counts one answered request; a report's intake (`POST /v1/reports`) also goes into the latency histogram.
    func request(route: String, method: String, status: Int, seconds: Double) {
        state.withLock { state in
            state.requests[RequestKey(route: route, method: method, status: status), default: 0] += 1
            guard route == "/v1/reports", method == "POST" else { return }
            state.intakeSum += seconds
            state.intakeCount += 1
            if let bucket = Self.intakeBuckets.firstIndex(where: { seconds <= $0 }) { state.intakeCounts[bucket] += 1 }
        }
    }

    func streamOpened() { state.withLock { $0.eventStreams += 1 } }
    func streamClosed() { state.withLock { $0.eventStreams -= 1 } }

    /// The exposition, with the store's gauges read now.
    func render(store: Store) async throws(NoroshiError) -> String {
        let outbox = try await store.outboxCountsByRoom()
        let photoJobs = try await store.photoJobCount()
        let auditSeq = try await store.auditSequence()
        let signed = try await store.auditHead()?.seq ?? 0
        let snapshot = state.withLock { $0 }
        var text = ""
        func family(_ name: String, _ type: String, _ help: String) {
            text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
        }
        func sample(_ name: String, _ labels: [(String, String)], _ value: String) {
            let rendered = labels.map { "\($0.0)=\"\(Self.escape($0.1))\"" }.joined(separator: ",")
            text += name + (rendered.isEmpty ? "" : "{\(rendered)}") + " \(value)\n"
        }

        family("noroshi_http_requests_total", "counter", "HTTP requests answered, by route pattern, method and status.")
        for (key, count) in snapshot.requests.sorted(by: {
            ($0.key.route, $0.key.method, $0.key.status) < ($1.key.route, $1.key.method, $1.key.status)
        }) {
            sample(
                "noroshi_http_requests_total",
                [("route", key.route), ("method", key.method), ("status", String(key.status))], String(count))
        }
        family(
            "noroshi_intake_duration_seconds", "histogram",
            "Time from a report's request to its durable answer (POST /v1/reports), in seconds.")
        var cumulative = 0
        for (bound, count) in zip(Self.intakeBuckets, snapshot.intakeCounts) {
            cumulative += count
            sample("noroshi_intake_duration_seconds_bucket", [("le", Self.number(bound))], String(cumulative))
        }
        sample("noroshi_intake_duration_seconds_bucket", [("le", "+Inf")], String(snapshot.intakeCount))
        sample("noroshi_intake_duration_seconds_sum", [], Self.number(snapshot.intakeSum))
        sample("noroshi_intake_duration_seconds_count", [], String(snapshot.intakeCount))

        family("noroshi_outbox_messages", "gauge", "Chat outbox messages, by room and state.")
        for (room, counts) in outbox.sorted(by: { $0.key < $1.key }) {
            for (state, count) in counts.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                sample("noroshi_outbox_messages", [("room", room), ("state", state.rawValue)], String(count))
            }
        }
        family("noroshi_photo_jobs", "gauge", "Photo copy jobs waiting or running.")
        sample("noroshi_photo_jobs", [], String(photoJobs))
        family("noroshi_event_stream_clients", "gauge", "Open event streams (GET /v1/events).")
        sample("noroshi_event_stream_clients", [], String(snapshot.eventStreams))
        family("noroshi_audit_head_seq", "gauge", "The newest audit log row.")
        sample("noroshi_audit_head_seq", [], String(auditSeq))
        family("noroshi_audit_signed_seq", "gauge", "The audit log row the newest checkpoint signed.")
        sample("noroshi_audit_signed_seq", [], String(signed))
        family("process_start_time_seconds", "gauge", "When the daemon started, in seconds since 1970.")
        sample("process_start_time_seconds", [], Self.number(started.timeIntervalSince1970))
        return text
    }

    /// A label value: backslash, double quote and line feed escaped.
    static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }

    static func number(_ value: Double) -> String {
        var text = String(value)
        if text.hasSuffix(".0") { text.removeLast(2) }
        return text
    }
}

/// Counts every answer by the route pattern it matched (`/v1/incidents/{ref}`, never the path itself, so that the
/// series stay few; a path no route matches is Hummingbird's `NotFound`), its method and status; outermost but for
/// the request log, so that it sees error answers too.
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: Metrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        let started = ContinuousClock.now
        // Any other method is one label value, so that no client can make new series at will.
        let method =
            switch request.method {
            case .get, .head, .post, .put, .patch, .delete, .options: request.method.rawValue
            default: "other"
            }
        do {
            let response = try await next(request, context)
            metrics.request(
                route: context.endpointPath ?? "unmatched", method: method, status: response.status.code,
                seconds: (ContinuousClock.now - started).timeInterval)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            metrics.request(
                route: context.endpointPath ?? "unmatched", method: method, status: status,
                seconds: (ContinuousClock.now - started).timeInterval)
            throw error
        }
    }

}
