import Foundation
import NoroshiServer
import NoroshiTesting
import Testing

/// What the router answers for a known path with a method it does not take, and the benchmark's route
/// (issue 17, item 11). Regressions: TRACE was answered 404 instead of 405, and `POST /v1/noop` was served by
/// every daemon.
@Suite struct MethodTests {
    @Test func aKnownPathWithAnotherMethodIs405WithAllow() async throws {
        try await TestServer.run { server in
            let trace = try await server.request("TRACE", "/v1/reports")
            #expect(trace.status == 405)
            #expect(trace.header("Allow") == "POST", "\(trace.headers)")
            #expect(trace.text.contains(#""code":"method_not_allowed""#), "\(trace.text)")
            #expect(trace.header("Content-Security-Policy") != nil, "error answers carry the security headers too")
            let put = try await server.request("PUT", "/v1/incidents/F-2026-0001")
            #expect(put.status == 405 && put.header("Allow") == "GET, PATCH", "\(put.status) \(put.headers)")
            // A path no route has stays 404; so does a route's own "not found".
            #expect(try await server.request("TRACE", "/v1/nowhere").status == 404)
            let hq = try await server.token(.hq)
            #expect(try await server.request("GET", "/v1/incidents/F-2026-0999", token: hq).status == 404)
        }
    }

    static func benchmark(_ configuration: inout NoroshiConfiguration) {
        configuration.benchmarkRoutes = true
    }

    @Test func theBenchmarkRouteIsServedOnlyWhenAskedFor() async throws {
        let body = APITests.report()
        try await TestServer.run { server in
            let field = try await server.token(.field)
            #expect(try await server.request("POST", "/v1/noop", token: field, body: body).status == 404)
        }
        try await TestServer.run(configure: Self.benchmark) { server in
            let field = try await server.token(.field)
            #expect(try await server.request("POST", "/v1/noop", token: field, body: body).status == 200)
        }
        var configuration = NoroshiConfiguration()
        try configuration.apply(environment: ["NOROSHI_BENCHMARK_ROUTES": "1"])
        #expect(configuration.benchmarkRoutes)
    }
}
