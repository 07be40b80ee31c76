import Foundation
import Logging
import NoroshiServer
import NoroshiStorage
import NoroshiTesting
import Testing

/// Keeps `openapi.yaml` and the router in step: every route is documented, every documented route exists.
@Suite struct OpenAPITests {
    @Test func documentDescribesExactlyTheRouterRoutes() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var configuration = NoroshiConfiguration()
        configuration.dataDirectory = directory.path
        let router = try Daemon(configuration: configuration, logger: Logger(label: "test")).makeRouter()
        let routes = Set(router.routes.map { "\($0.method.rawValue) \($0.path.description)" })
        let documented = try OpenAPIDocument.operations()
        #expect(!routes.isEmpty)
        #expect(routes.subtracting(documented).isEmpty, "undocumented: \(routes.subtracting(documented).sorted())")
        #expect(documented.subtracting(routes).isEmpty, "not routed: \(documented.subtracting(routes).sorted())")
    }

    @Test func documentIsServed() async throws {
        try await TestServer.run { server in
            let response = try await server.request("GET", "/openapi.yaml")
            #expect(response.status == 200)
            #expect(response.text.hasPrefix("openapi: 3.1.0"))
        }
    }
}
