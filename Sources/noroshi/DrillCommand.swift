import ArgumentParser
import Foundation
import Logging
import NoroshiDrill
import NoroshiServer

/// `noroshi drill`: scripted exercises from playbooks in Playbooks/.
struct DrillCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drill",
        abstract: "Run drill playbooks and write after-action reports; check playbooks.",
        discussion: """
            A playbook (YAML) scripts a drill: timed injects — reports with photos, status changes, links and
            merges, chat outages, a daemon restart, notes — and expectations about what the board does. The
            format is described, with a complete example, in Playbooks/README.md.

              noroshi drill validate Playbooks/avian-flu-farm.yaml
              noroshi drill run Playbooks/avian-flu-farm.yaml --out reports/
            """,
        subcommands: [DrillRunCommand.self, DrillValidateCommand.self]
    )
}

/// `noroshi drill run FILE`: plays a playbook and writes the after-action report.
struct DrillRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Play a playbook through the board's intake and write the after-action report.",
        discussion: """
            Without --server the drill runs on a board inside this command: the real daemon on a temporary \
            data directory, with a clock the runner controls, so hours of scenario take seconds and every run \
            gives the same result. Chat goes to capture rooms inside the runner, where faults (a room \
            unreachable, slow or rate-limiting) are played.

            With --server the injects go to a live daemon through its public API, in real time or --speed \
            times faster, every report flagged as exercise; its own rooms get the messages. Faults and \
            restarts are skipped there (logged as such): the runner cannot break real chat servers.

            The report says PASS or FAIL for each expectation with what was observed, the latencies \
            report → incident and report → first chat message (p50, p95, max), and a timeline. With --out \
            it is written there as NAME.md and NAME.json (NAME from the playbook file) and a summary is \
            printed; otherwise the Markdown goes to standard output. Progress goes to standard error.

            Exit status: 0 when every expectation held, 1 when one failed, an inject was refused, or the \
            playbook is not valid.

              noroshi drill run Playbooks/hida-fire-spread.yaml
              noroshi drill run Playbooks/hida-fire-spread.yaml --out drill-reports/
              noroshi drill run Playbooks/hida-fire-spread.yaml --server http://10.1.2.3:8080 --speed 10
            """
    )

    @Argument(help: "The playbook file.") var file: String

    @Option(help: "Write NAME.md and NAME.json into this folder (created if missing).")
    var out: String?

    @Option(help: "Play against this live daemon instead of an in-process board.")
    var server: String?

    @Option(help: "With --server: a token with the hq role (else $NOROSHI_TOKEN, else 'noroshi login').")
    var token: String?

    @Option(help: "With --server: drill seconds per real second, e.g. 10 (default: the playbook's, else 1).")
    var speed: Double?

    @Option(
        help: """
            The in-process board takes its linking rule, limits and outbox timing from this configuration \
            file (its rooms and data directory are ignored).
            """)
    var config: String?

    @Flag(
        help: """
            With --config: playbook rooms that the configuration defines go to those real chat rooms (in real \
            time; faults there are skipped); the others stay capture rooms.
            """)
    var realRooms = false

    @Flag(help: "Keep the in-process board's data directory and print where it is.")
    var keepData = false

    @Flag(help: "Print nothing while the drill runs.")
    var quiet = false

    @Flag(help: "Show the board's own log (retries, dead letters, requests); the report has what matters.")
    var verbose = false

    func validate() throws {
        if let speed, !(speed > 0 && speed <= 1000) {
            throw ValidationError("--speed must be a number above 0 and at most 1000.")
        }
        if realRooms, config == nil {
            throw ValidationError("--real-rooms takes the rooms from --config FILE; give one.")
        }
        if server == nil, token != nil || speed != nil {
            throw ValidationError("--token and --speed go with --server; a run without it uses a controlled clock.")
        }
    }

    func run() async throws {
        let level: Logger.Level = verbose ? .info : .critical
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let report = try await CLIError.runAsync {
            let playbook = try Playbook.load(path: file)
            var options = DrillRunner.Options()
            options.server = server
            if server != nil {
                options.token =
                    token ?? ProcessInfo.processInfo.environment["NOROSHI_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
                    ?? Credentials.load()?.token
            }
            options.speed = speed
            if let config {
                options.configuration = try NoroshiConfiguration.load(file: config, environment: [:])
            }
            options.keepData = keepData
            options.realRooms = realRooms
            options.logger = Logger(label: "noroshi.drill")
            let quiet = quiet
            options.progress = { line in
                if !quiet { FileHandle.standardError.write(Data((line + "\n").utf8)) }
            }
            return try await DrillRunner(playbook: playbook, file: file, options: options).run()
        }
        try CLIError.run {
            if let out {
                let folder = URL(fileURLWithPath: out, isDirectory: true)
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                let name = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
                let markdown = folder.appendingPathComponent("\(name).md")
                try Data(report.markdown.utf8).write(to: markdown, options: .atomic)
                try report.json().write(to: folder.appendingPathComponent("\(name).json"), options: .atomic)
                print(report.summary)
                print("Report: \(markdown.path) (and \(name).json)")
            } else {
                print(report.markdown, terminator: "")
            }
        }
        if !report.passed { throw ExitCode.failure }
    }
}

/// `noroshi drill validate FILE…`: reads playbooks and lists every problem with its line, as a compiler does.
struct DrillValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check playbooks without running them; every problem is printed as FILE:LINE:COLUMN: message.",
        discussion: """
            Exit status 0 when every file is valid, 1 otherwise. Photo paths are resolved against the
            playbook's folder and must name readable files.

              noroshi drill validate Playbooks/*.yaml
            """
    )

    @Argument(help: "Playbook files.") var files: [String]

    func run() throws {
        var failed = false
        for file in files {
            do {
                let playbook = try Playbook.load(path: file)
                let photos = playbook.reports.values.map(\.photos.count).reduce(0, +)
                print(
                    "\(file): OK — \"\(playbook.name)\": \(playbook.injects.count) injects, \(photos) photos, "
                        + "\(playbook.expectations.count) expectations over \(DrillTime.format(playbook.length))")
            } catch {
                FileHandle.standardError.write(Data((error.description + "\n").utf8))
                failed = true
            }
        }
        if failed { throw ExitCode.failure }
    }
}
