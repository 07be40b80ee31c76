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
