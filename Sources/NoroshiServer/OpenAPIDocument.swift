import Foundation
import NoroshiCore
import Yams

/// The OpenAPI 3.1 document shipped with the server (`openapi.yaml`), served at `/openapi.yaml`.
public enum OpenAPIDocument {
    /// The document's text.
    public static func text() throws(NoroshiError) -> String {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml"),
            let text = try? String(contentsOf: url, encoding: .utf8)
        else { throw NoroshiError(.internal, "The OpenAPI document is missing from the build.") }
        return text
    }

    /// Every operation the document describes, as `METHOD /path/{param}`.
    public static func operations() throws(NoroshiError) -> Set<String> {
        let methods: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options"]
        let root: Any?
        do {
            root = try Yams.load(yaml: try text())
        } catch {
            throw NoroshiError(.internal, "The OpenAPI document is not valid YAML.", cause: error)
        }
        guard let document = root as? [String: Any], let paths = document["paths"] as? [String: Any] else {
            throw NoroshiError(.internal, "The OpenAPI document has no paths.")
        }
        var operations: Set<String> = []
        for (path, item) in paths {
            guard let item = item as? [String: Any] else { continue }
            for method in item.keys where methods.contains(method) {
                operations.insert("\(method.uppercased()) \(path)")
            }
        }
        return operations
    }
}

extension OpenAPIDocument {
    /// One operation as the document describes it: what it may answer, whether it needs a token, whether it
    /// takes a JSON body.
    public struct Operation: Sendable, Hashable {
        public var method: String
        public var path: String
        /// The statuses listed under `responses` (`"200"`, `"401"`, …).
        public var statuses: Set<String>
        /// `security: []`: the operation needs no credentials.
        public var isPublic: Bool
        public var takesJSON: Bool
    }

    /// Every operation, with its listed statuses, for the tests that hold answers and document in step.
    public static func describedOperations() throws(NoroshiError) -> [Operation] {
        let root: Any?
        do {
            root = try Yams.load(yaml: try text())
        } catch {
            throw NoroshiError(.internal, "The OpenAPI document is not valid YAML.", cause: error)
        }
        let paths = ((root as? [String: Any])?["paths"] as? [String: Any]) ?? [:]
        var operations: [Operation] = []
        for (path, item) in paths.sorted(by: { $0.key < $1.key }) {
            for (method, value) in (item as? [String: Any] ?? [:]).sorted(by: { $0.key < $1.key }) {
                guard ["get", "put", "post", "delete", "patch", "head", "options"].contains(method),
                    let operation = value as? [String: Any]
                else { continue }
                let responses = operation["responses"] as? [AnyHashable: Any] ?? [:]
                let body = (operation["requestBody"] as? [String: Any])?["content"] as? [String: Any]
                operations.append(
                    Operation(
                        method: method.uppercased(), path: path,
                        statuses: Set(responses.keys.map { "\($0)" }),
                        isPublic: (operation["security"] as? [Any])?.isEmpty == true,
                        takesJSON: body?["application/json"] != nil))
            }
        }
        return operations
    }
}
