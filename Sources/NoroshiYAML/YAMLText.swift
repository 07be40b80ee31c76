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
