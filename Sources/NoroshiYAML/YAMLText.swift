import Yams

/// One problem in a YAML file, where it is.
public struct YAMLProblem: Error, Sendable, Hashable {
    public var line: Int
    public var column: Int
    public var message: String

    public init(line: Int, column: Int, message: String) {
        self.line = line
        self.column = column
        self.message = message
    }
}

/// What the playbook reader and the configuration reader share: YAML text composed into nodes that know their
/// line and column, and problems written `FILE:LINE:COLUMN: message`, as compilers write them.
public enum YAMLText {
    /// The document's root node (nil for an empty document), or the syntax error with its line and column.
    public static func compose(_ text: String) -> Result<Node?, YAMLProblem> {
        do {
            return .success(try Yams.compose(yaml: text))
        } catch {
            return .failure(problem(error))
        }
    }

    /// A Yams error as a problem at its line and column.
    public static func problem(_ error: any Error) -> YAMLProblem {
        switch error as? YamlError {
        case .scanner(_, let problem, let mark, _)?, .parser(_, let problem, let mark, _)?,
            .composer(_, let problem, let mark, _)?:
            return YAMLProblem(line: mark.line, column: mark.column, message: "not valid YAML: \(problem)")
        default:
            return YAMLProblem(line: 1, column: 1, message: "not valid YAML: \(error)")
        }
    }

    /// `FILE:LINE:COLUMN: message`.
    public static func format(_ problem: YAMLProblem, file: String) -> String {
        "\(file):\(problem.line):\(problem.column): \(problem.message)"
    }

    /// `message` at `node` in `file`: `FILE:LINE:COLUMN: message`, or `FILE: message` without a node (a value
    /// from the environment, say).
    public static func locate(_ message: String, at node: Node?, in file: String) -> String {
        guard let mark = node?.mark else { return "\(file): \(message)" }
        return format(YAMLProblem(line: mark.line, column: mark.column, message: message), file: file)
    }
}

/// Reads a YAML node tree into values, collecting every problem with its line and column instead of stopping at
/// the first: the playbook reader and the configuration reader are both one, with the same accessors and the same
/// messages.
public protocol YAMLReading {
    var problems: [YAMLProblem] { get set }
    /// Called with the keys a mapping may hold (as `prefix` + key), before they are checked; does nothing unless
    /// a reader wants to know (the configuration's table test does).
    mutating func allowing(_ keys: Set<String>, prefix: String)
}

extension YAMLReading {
    public mutating func allowing(_ keys: Set<String>, prefix: String) {}

    /// A problem at `node` (the top of the file when there is none).
    public mutating func problem(_ node: Node?, _ message: String) {
        problems.append(YAMLProblem(line: node?.mark?.line ?? 1, column: node?.mark?.column ?? 1, message: message))
    }

    /// Every key of `map` that `allowed` does not name is a problem; `prefix` makes them paths (`http.`).
    public mutating func checkKeys(_ map: Node.Mapping, allowed: Set<String>, in context: String, prefix: String = "") {
        allowing(allowed, prefix: prefix)
        for key in map.keys {
            guard let name = key.string, !allowed.contains(name) else { continue }
            let known = allowed.sorted().map { prefix + $0 }.joined(separator: ", ")
            problem(key, "unknown key '\(prefix)\(name)' in \(context); known: \(known)")
        }
    }

    /// The node as a mapping; with `allowed`, any other key is a problem too.
    public mutating func mapping(_ node: Node?, _ what: String, allowed: Set<String>? = nil, prefix: String = "")
        -> Node.Mapping?
    {
        guard let node else { return nil }
        guard let map = node.mapping else {
            problem(node, "\(what) must be a mapping (key: value lines)")
            return nil
        }
        if let allowed { checkKeys(map, allowed: allowed, in: what, prefix: prefix) }
        return map
    }

    public mutating func sequence(_ node: Node?, _ what: String, required: Bool = false, at parent: Node? = nil)
        -> [Node]?
    {
        guard let node else {
            if required { problem(parent, "'\(what)' is missing") }
            return nil
        }
        guard let list = node.sequence else {
            problem(node, "'\(what)' must be a list ('- ' lines)")
            return nil
        }
        return Array(list)
    }

    public mutating func string(_ node: Node?, _ key: String, required: Bool = false, at parent: Node? = nil)
        -> String?
    {
        guard let node else {
            if required { problem(parent, "'\(key)' is missing") }
            return nil
        }
        guard let scalar = node.scalar, !scalar.string.isEmpty else {
            problem(node, "'\(key)' must be text")
            return nil
        }
        return scalar.string
    }

    public mutating func enumValue<Value: RawRepresentable & CaseIterable>(
        _ node: Node?, _ key: String, _ type: Value.Type, at parent: Node?
    ) -> Value? where Value.RawValue == String {
        guard let text = string(node, key, required: true, at: parent) else { return nil }
        guard let value = Value(rawValue: text) else {
            let known = Value.allCases.map(\.rawValue).joined(separator: ", ")
            problem(node, "'\(key)' is '\(text)'; it must be one of \(known)")
            return nil
        }
        return value
    }

    public mutating func number(_ node: Node?, _ key: String, range: ClosedRange<Double>) -> Double? {
        guard let node else { return nil }
        let value = node.scalar.flatMap { Double($0.string.replacingOccurrences(of: "_", with: "")) }
        guard let value, value.isFinite, range.contains(value) else {
            problem(node, "'\(key)' must be a number from \(range.lowerBound) to \(range.upperBound)")
            return nil
        }
        return value
    }

    public mutating func integer(
        _ node: Node?, _ key: String, range: ClosedRange<Int>, required: Bool = false, at parent: Node? = nil
    ) -> Int? {
        guard let node else {
            if required { problem(parent, "'\(key)' is missing") }
            return nil
        }
        let value = node.scalar.flatMap { Int($0.string.replacingOccurrences(of: "_", with: "")) }
        guard let value, range.contains(value) else {
            problem(node, "'\(key)' must be a whole number from \(range.lowerBound) to \(range.upperBound)")
            return nil
        }
        return value
    }

    /// A count of people or homes: a whole number from 0 to 1,000,000.
    public mutating func count(_ node: Node?, _ key: String, required: Bool = false, at parent: Node? = nil) -> Int? {
        integer(node, key, range: 0...1_000_000, required: required, at: parent)
    }

    public mutating func bool(_ node: Node?, _ key: String) -> Bool? {
        guard let node else { return nil }
        guard let value = node.bool else {
            problem(node, "'\(key)' must be true or false")
            return nil
        }
        return value
    }

    public mutating func flag(_ node: Node?, _ key: String) -> Bool {
        guard node?.bool == true else {
            problem(node, "'\(key)' takes 'true'")
            return false
        }
        return true
    }
}
