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

/// What the daemon answers, held against what the document lists, for the answers an outside fuzzer
/// (schemathesis) found missing: every operation without credentials, with a field token (too little for most),
/// and every JSON operation with a malformed body. Each answer's status must be listed for its operation.
@Suite struct OpenAPIStatusTests {
    /// A path with its parameters filled with values that name nothing (or something small that exists).
    static func concrete(_ path: String) -> String {
        let values = [
            "{ref}": "F-2026-0001", "{id}": "1", "{sha256}": String(repeating: "0", count: 64), "{variant}": "chat",
            "{name}": "board.css", "{file}": "incidents.csv", "{n}": "1", "{action}": "status",
        ]
        return values.reduce(path) { $0.replacingOccurrences(of: $1.key, with: $1.value) }
    }

    @Test func everyAnswerIsListedForItsOperation() async throws {
        let operations = try OpenAPIDocument.describedOperations()
        #expect(operations.count > 50)
        try await TestServer.run { server in
            let field = try await server.token(.field)
            let hq = try await server.token(.hq)
            _ = try await server.request(
                "POST", "/v1/reports", token: field,
                body: #"{"client_key": "a", "kind": "fire", "latitude": 36.1, "longitude": 137.2, "text": "Smoke"}"#)
            var unlisted: [String] = []
            for operation in operations {
                let path = Self.concrete(operation.path)
                var tries: [(String, String, String?, String?)] = [
                    ("no credentials", path, nil, nil), ("a field token", path, field, nil),
                ]
                if operation.takesJSON { tries.append(("a malformed body", path, hq, "{\"unclosed\": ")) }
                if operation.path.contains("{id}") || operation.path.contains("{n}") {
                    // A number that names nothing valid, as a fuzzer sends it.
                    let zero = operation.path.replacingOccurrences(of: "{id}", with: "0")
                        .replacingOccurrences(of: "{n}", with: "0")
                    tries.append(("id 0", Self.concrete(zero), hq, nil))
                }
                for (what, path, token, body) in tries {
                    let answer = try await server.request(operation.method, path, token: token, body: body)
                    if !operation.statuses.contains(String(answer.status)), !operation.statuses.contains("default") {
                        unlisted.append("\(operation.method) \(operation.path) with \(what): \(answer.status)")
                    }
                }
            }
            #expect(unlisted.isEmpty, "answers the document does not list:\n\(unlisted.joined(separator: "\n"))")
        }
    }
}
