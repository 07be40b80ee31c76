import ArgumentParser
import Foundation
import NoroshiDrill

/// `noroshi drill`: scripted exercises from playbooks in Playbooks/.
struct DrillCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drill",
        abstract: "Check drill playbooks (running them is not built yet).",
        discussion: """
            A playbook (YAML) scripts a drill: timed injects — reports with photos, status changes, links and
            merges, chat outages, a daemon restart, notes — and expectations about what the board does. The
            format is described, with a complete example, in Playbooks/README.md.

              noroshi drill validate Playbooks/avian-flu-farm.yaml

            Running a playbook ('noroshi drill run') and the after-action report are not built yet.
            """,
        subcommands: [DrillValidateCommand.self]
    )
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
