import Foundation
import Hummingbird
import NoroshiCore
import Synchronization

/// Every route's method and path pattern, filled once the router holds them all, for telling "no such path"
/// (404) from "this path, another method" (405 with `Allow`): Hummingbird's router answers both with 404.
final class RouteTable: Sendable {
    private struct Route {
        var method: String
        var segments: [Substring]
    }

    private let routes = Mutex<[Route]>([])

    /// Replaces the table with `routes` (`"GET"`, `"/v1/incidents/{ref}"`).
    func fill(_ entries: [(method: String, path: String)]) {
        let parsed = entries.map { Route(method: $0.method, segments: $0.path.split(separator: "/")) }
        routes.withLock { $0 = parsed }
    }

    /// The methods some route takes at `path`, sorted; empty when no route has that path.
    func methods(at path: String) -> [String] {
        let segments = path.split(separator: "/")
        let found = routes.withLock { routes in
            routes.filter { Self.matches($0.segments, segments) }.map(\.method)
        }
        return Set(found).sorted()
    }

    private static func matches(_ pattern: [Substring], _ path: [Substring]) -> Bool {
        for (index, part) in pattern.enumerated() {
            if part == "**" { return true }
            guard index < path.count else { return false }
            if part == "*" || (part.hasPrefix("{") && part.hasSuffix("}")) || part.hasPrefix(":") { continue }
            if part != path[index] { return false }
        }
        return pattern.count == path.count
    }
}

/// Turns the router's 404 for a path that exists with other methods (TRACE, a PUT where PATCH is meant) into
/// 405 with `Allow` and the error envelope, as HTTP asks.
struct MethodNotAllowedMiddleware: RouterMiddleware {
    typealias Context = NoroshiRequestContext
    let table: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        let response = try await next(request, context)
        guard response.status == .notFound else { return response }
        let allowed = table.methods(at: request.uri.path)
        guard !allowed.isEmpty, !allowed.contains(request.method.rawValue) else { return response }
        var answer = ErrorMiddleware<Context>.response(
            for: NoroshiError(
                .methodNotAllowed,
                "\(request.uri.path) does not take \(request.method.rawValue); it takes \(allowed.joined(separator: ", "))."
            ),
            context: context)
        answer.headers[.allow] = allowed.joined(separator: ", ")
        return answer
    }
}
