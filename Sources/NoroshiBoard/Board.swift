import Foundation
import Mustache
import NoroshiCore

/// A page the board renders with the template of the same name.
public protocol BoardPage {
    static var template: String { get }
}

extension ListPage: BoardPage { public static let template = "list" }
extension IncidentPage: BoardPage { public static let template = "incident" }
extension LoginPage: BoardPage { public static let template = "login" }
extension ConfirmPage: BoardPage { public static let template = "confirm" }
extension MessagePage: BoardPage { public static let template = "message" }
extension OutboxPage: BoardPage { public static let template = "outbox" }
extension MapPage: BoardPage { public static let template = "map" }

/// The web board's templates and static files, loaded once from the module's resources.
///
/// Templates are Mustache (`Templates/*.mustache`, with `header` and `footer` partials); every `{{value}}` is
/// HTML-escaped, and no template uses the unescaped form. Static files (`Assets/`) are served by the daemon
/// under `/assets/`, so a page never names another host.
public struct Board: Sendable {
    /// A static file and its content type.
    public struct Asset: Sendable {
        public var data: Data
        public var contentType: String
    }

    private let library: MustacheLibrary
    private let assets: [String: Asset]

    public init() throws(NoroshiError) {
        guard let root = Bundle.module.resourceURL else {
            throw NoroshiError(.internal, "The board's resources are missing from this build.")
        }
        var templates: [String: MustacheTemplate] = [:]
        var assets: [String: Asset] = [:]
        do {
            let templateFolder = root.appendingPathComponent("Templates")
            for name in try FileManager.default.contentsOfDirectory(atPath: templateFolder.path)
            where name.hasSuffix(".mustache") {
                let text = try String(contentsOf: templateFolder.appendingPathComponent(name), encoding: .utf8)
                templates[String(name.dropLast(".mustache".count))] = try MustacheTemplate(string: text)
            }
            let assetFolder = root.appendingPathComponent("Assets")
            for name in try FileManager.default.contentsOfDirectory(atPath: assetFolder.path) {
                let data = try Data(contentsOf: assetFolder.appendingPathComponent(name))
                assets[name] = Asset(data: data, contentType: Self.contentType(of: name))
            }
        } catch {
            throw NoroshiError(.internal, "The board's templates cannot be loaded.", cause: error)
        }
        library = MustacheLibrary(templates: templates)
        self.assets = assets
    }

    /// The page as HTML.
    ///
    /// The page is turned into nested dictionaries first, with one reflection per value: swift-mustache looks
    /// names up with a `Mirror` of the whole value at every `{{name}}` otherwise, which made an incident page
    /// with a hundred reports take about 100 ms.
    public func render<Page: BoardPage>(_ page: Page) -> String {
        library.render(Self.flattened(page), withTemplate: Page.template) ?? ""
    }

    /// Structs become `[String: Any]`, arrays `[Any]`, present optionals their value; nil and plain values stay.
    static func flattened(_ value: Any) -> Any {
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .optional:
            guard let wrapped = mirror.children.first else { return Absent() }
            return flattened(wrapped.value)
        case .struct, .class:
            var fields: [String: Any] = [:]
            for child in mirror.children {
                if let label = child.label { fields[label] = flattened(child.value) }
            }
            return fields
        case .collection:
            return mirror.children.map { flattened($0.value) }
        default:
            return value
        }
    }

    /// A nil value: a dictionary holding Optional.none as `Any` would be a present, truthy value to Mustache
    /// (rendered "nil"); this is the null it knows, which renders nothing and stops the name's lookup here.
    struct Absent: MustacheCustomRenderable {
        var renderText: String { "" }
        var isNull: Bool { true }
    }

    /// A static file by name (`board.css`), or nil.
    public func asset(_ name: String) -> Asset? { assets[name] }

    static func contentType(of name: String) -> String {
        switch (name as NSString).pathExtension {
        case "css": "text/css; charset=utf-8"
        case "js": "text/javascript; charset=utf-8"
        case "svg": "image/svg+xml"
        case "png": "image/png"
        case "ico": "image/x-icon"
        default: "application/octet-stream"
        }
    }
}
