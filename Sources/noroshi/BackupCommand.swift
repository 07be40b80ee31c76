import ArgumentParser
import Foundation
import NoroshiCore
import NoroshiServer
import NoroshiStorage

/// How long work on files goes, on standard error: a bar redrawn in place on a terminal, a line every 10 s
/// otherwise (a log or a pipe), as `NOROSHI_PROGRESS` chooses.
private func progressDisplay(_ name: String) -> (Backup.Progress, @Sendable (Bool) -> Void) {
    final class State: @unchecked Sendable {
        let lock = NSLock()
        let started = Date()
        var last = Date()
        var drawn = false
        var done: Int64 = 0
        var total: Int64 = 0
    }
    let state = State()
    let style = ProgressDisplay().style
    @Sendable func draw(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }
    let update: Backup.Progress = { done, total in
        state.lock.withLock {
            state.done = done
            state.total = total
            let now = Date()
            let elapsed = now.timeIntervalSince(state.started)
            switch style {
            case .bar where now.timeIntervalSince(state.last) >= 0.1:
                state.last = now
                state.drawn = true
                draw("\r" + ProgressDisplay.bar(name: name, sent: done, total: total, elapsed: elapsed))
            case .lines where now.timeIntervalSince(state.last) >= 10:
                state.last = now
                draw(ProgressDisplay.status(name: name, sent: done, total: total, elapsed: elapsed) + "\n")
            default: break
            }
        }
    }
    let finish: @Sendable (Bool) -> Void = { _ in
        state.lock.withLock {
            // A bar drawn in place is completed and ended; quick work leaves no trace.
            guard state.drawn else { return }
            let elapsed = Date().timeIntervalSince(state.started)
            draw("\r" + ProgressDisplay.bar(name: name, sent: state.done, total: state.total, elapsed: elapsed) + "\n")
        }
    }
    return (update, finish)
}

struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Back up the data directory while the daemon runs: the database, photos and audit key.",
        discussion: """
            The database is copied with SQLite's online backup (one consistent snapshot), then every
            photo file that snapshot refers to. SHA256SUMS lists every file ('sha256sum -c SHA256SUMS'
            checks them with standard tools) and backup.json says what the backup holds. The folder and
            its files are the daemon user's alone (0700/0600): the audit signing key is in it.

            Examples:
              noroshi backup /mnt/backup/noroshi-$(date +%F) --data-dir /var/lib/noroshi
              noroshi restore /mnt/backup/noroshi-2026-12-05 --data-dir /var/lib/noroshi-restored
              noroshi check --data-dir /var/lib/noroshi-restored
            """
    )

    @Argument(help: "A new (or empty) folder to write the backup into.") var folder: String
    @Flag(help: "Print the manifest as JSON.") var json = false
    @OptionGroup var options: ServerOptions

    func run() async throws {
        try await CLIError.runAsync {
            let store = try options.openStore()
            let (progress, finish) = progressDisplay("backup")
            let (manifest, problems) = try await Backup.make(
                of: store, into: URL(fileURLWithPath: folder, isDirectory: true), progress: progress)
            finish(true)
            if json {
                try Output.json(manifest)
            } else {
                print(
                    "Backed up \(Output.grouped(manifest.reports)) reports and \(Output.grouped(manifest.photos)) photos "
                        + "(\(manifest.files) files, \(ProgressDisplay.size(manifest.bytes))) to \(folder).")
                print(
                    "Audit log up to row \(manifest.auditSeq). Check it with: noroshi restore --verify-only \(folder)")
            }
            for problem in problems { CLIError.report(problem) }
            if !problems.isEmpty { throw ExitCode.failure }
        }
    }
}

struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Check a backup whole, then restore it into a new data directory.",
        discussion: """
            Every file is checked against SHA256SUMS (and that against backup.json) before anything is
            written. The target must hold no database: restore next to the old data, check it
            ('noroshi check'), then point the daemon at it.

            Examples:
              noroshi restore /mnt/backup/noroshi-2026-12-05 --data-dir /var/lib/noroshi-restored
              noroshi restore --verify-only /mnt/backup/noroshi-2026-12-05
            """
    )

    @Argument(help: "The backup folder ('noroshi backup' wrote it).") var folder: String
    @Flag(help: "Only check the backup's files; write nothing.") var verifyOnly = false
    @OptionGroup var options: ServerOptions

    func run() async throws {
        try await CLIError.runAsync {
            let backup = URL(fileURLWithPath: folder, isDirectory: true)
            let (progress, finish) = progressDisplay(verifyOnly ? "verify" : "restore")
            if verifyOnly {
                let (manifest, files) = try Backup.verify(backup, progress: progress)
                finish(true)
                print(
                    "The backup of \(Output.local(manifest.createdAt)) is whole: \(files.count) files match SHA256SUMS "
                        + "(\(Output.grouped(manifest.reports)) reports, \(Output.grouped(manifest.photos)) photos).")
                return
            }
            let target = try options.load().dataDirectoryURL
            let manifest = try Backup.restore(backup, into: target, progress: progress)
            finish(true)
            print(
                "Restored the backup of \(Output.local(manifest.createdAt)) into \(target.path): "
                    + "\(Output.grouped(manifest.reports)) reports, \(Output.grouped(manifest.photos)) photos.")
            print("Check it with: noroshi check --data-dir \(target.path)")
        }
    }
}

struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check a data directory: the database, the photo files, the audit log, and the data against it.",
        discussion: """
            Runs SQLite's integrity_check, compares every photo file with its SHA-256, verifies the audit
            log's chain and signatures, and confirms that reports, photos and incidents as stored are what
            the audit log recorded (a report text edited in the database file is found and named).
            Exit status 1 when anything is wrong. The daemon may be running.

            Example:
              noroshi check --data-dir /var/lib/noroshi
            """
    )

    @Flag(help: "Only look that each photo file is there; do not read them.") var quick = false
    @Flag(help: "Print JSON for scripts.") var json = false
    @OptionGroup var options: ServerOptions

    func run() async throws {
        try await CLIError.runAsync {
            let store = try options.openStore()
            let (progress, finish) = progressDisplay("photos")
            let check = try await DataCheck.run(store, hashPhotos: !quick, progress: progress)
            finish(true)
            if json {
                try Output.json(check)
            } else {
                Self.describe(check)
            }
            if !check.isClean { throw ExitCode.failure }
        }
    }

    static func describe(_ check: DataCheck) {
        func line(_ good: Bool, _ text: String) { print((good ? "ok    " : "FAIL  ") + text) }
        line(
            check.integrity == ["ok"],
            "database: SQLite integrity_check " + check.integrity.prefix(5).joined(separator: "; "))
        line(
            check.photoProblems.isEmpty,
            "photos: \(Output.grouped(check.photoFiles)) files "
                + (check.photosHashed ? "match their SHA-256" : "present"))
        for problem in check.photoProblems.prefix(20) { Output.line("      " + problem) }
        if check.photoProblems.count > 20 { print("      … and \(check.photoProblems.count - 20) more") }
        let audit = check.audit
        line(
            audit.isIntact,
            "audit log: \(Output.grouped(Int(audit.rows))) rows, \(audit.checkpoints) signed "
                + (audit.checkpoints == 1 ? "checkpoint" : "checkpoints"))
        for problem in audit.problems.prefix(20) { Output.line("      " + problem.message) }
        let evidence = check.evidence
        var compared =
            "data against the audit log: \(Output.grouped(evidence.reports)) reports, "
            + "\(Output.grouped(evidence.photoLinks)) photos, \(Output.grouped(evidence.incidents)) incidents"
        if evidence.reportsBeforeAudit > 0 {
            compared += " (\(Output.grouped(evidence.reportsBeforeAudit)) reports from before the audit log)"
        }
        line(evidence.problems.isEmpty, compared)
        for problem in evidence.problems.prefix(20) { Output.line("      " + problem) }
        if evidence.problems.count > 20 { print("      … and \(evidence.problems.count - 20) more") }
        print(check.isClean ? "Clean." : "Problems found.")
    }
}
