import ArgumentParser
import Foundation
import NoroshiCore

/// `noroshi queue`: what waits on this device, what the server refused and why; retry and drop.
struct QueueCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue",
        abstract: "Show what waits in the local queue and what the server refused; retry or drop entries.",
        discussion: """
            Every report and photo is saved on this device before it is sent, and stays until the server \
            has it. Entries are named R<n> (a report, with its photos), P<n> (a photo for a report already \
            on the server), XR<n> and XP<n> (refused for good: an invalid body, a revoked token; kept with \
            the reason).

            Examples:
              noroshi queue
              noroshi queue retry XR2        (after 'noroshi login' with a working token)
              noroshi queue retry --all
              noroshi queue drop P4
            """,
        subcommands: [List.self, Retry.self, Drop.self],
        defaultSubcommand: List.self
    )

    /// An entry's name as the crew types it.
    enum EntryID: Equatable {
        case report(Int64)
        case photo(Int64)
        case refusedReport(Int64)
        case refusedPhoto(Int64)

        init?(_ text: String) {
            let upper = text.uppercased()
            for (prefix, make) in [
                ("XR", EntryID.refusedReport), ("XP", EntryID.refusedPhoto), ("R", EntryID.report),
                ("P", EntryID.photo),
            ] where upper.hasPrefix(prefix) {
                guard let number = Int64(upper.dropFirst(prefix.count)), number > 0 else { return nil }
                self = make(number)
                return
            }
            return nil
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "List what waits and what was refused (the default).")

        @Flag(help: "Print JSON for scripts.") var json = false

        func run() throws {
            try CLIError.run {
                let queue = try LocalQueue()
                let reports = try queue.pending()
                let photos = try queue.allPhotos()
                let refused = try queue.refused()
                if json {
                    try Output.json(
                        Listing(
                            reports: try reports.map { entry in
                                let own = try queue.photos(reportKey: entry.submission.clientKey)
                                return .init(
                                    id: "R\(entry.id)", kind: entry.submission.kind, text: entry.submission.text,
                                    queuedAt: entry.queuedAt, tries: entry.attempts, lastError: entry.lastError,
                                    server: entry.server, photos: own.count, bytes: own.map(\.bytes).reduce(0, +))
                            },
                            photos: photos.filter { $0.reportID != nil }.map { photo in
                                .init(
                                    id: "P\(photo.id)", name: photo.name, report: photo.reportID, bytes: photo.bytes,
                                    tries: photo.attempts, lastError: photo.lastError, server: photo.server)
                            },
                            refused: refused.reports.map { report in
                                .init(
                                    id: "XR\(report.id)", what: "report: \(report.submission.text)",
                                    refusedAt: report.rejectedAt, reason: report.reason)
                            }
                                + refused.photos.map { photo in
                                    .init(
                                        id: "XP\(photo.id)", what: "photo: \(photo.name)", refusedAt: photo.rejectedAt,
                                        reason: photo.reason)
                                }))
                    return
                }
                guard !reports.isEmpty || !photos.isEmpty || !refused.reports.isEmpty || !refused.photos.isEmpty else {
                    print("The local queue is empty: the server has everything written on this device.")
                    return
                }
                let now = Date()
                if reports.isEmpty && photos.isEmpty {
                    print("Nothing waits to be sent.")
                } else {
                    let bytes = photos.map(\.bytes).reduce(0, +)
                    print(
                        "Waiting: \(reports.count) report\(reports.count == 1 ? "" : "s"), \(photos.count) "
                            + "photo\(photos.count == 1 ? "" : "s") (\(ProgressDisplay.size(bytes))).")
                    var rows: [[String]] = []
                    for entry in reports {
                        let own = try queue.photos(reportKey: entry.submission.clientKey)
                        let size =
                            own.isEmpty ? "" : "\(own.count) ph \(ProgressDisplay.size(own.map(\.bytes).reduce(0, +)))"
                        rows.append([
                            "R\(entry.id)", Output.truncate(entry.submission.text, to: 22), size,
                            Output.relative(entry.queuedAt, now: now), String(entry.attempts),
                            QueueCommand.brief(entry.lastError),
                        ])
                    }
                    for photo in photos where photo.reportID != nil {
                        rows.append([
                            "P\(photo.id)", Output.truncate("\(photo.name) → report \(photo.reportID ?? 0)", to: 22),
                            ProgressDisplay.size(photo.bytes), Output.relative(photo.queuedAt, now: now),
                            String(photo.attempts), QueueCommand.brief(photo.lastError),
                        ])
                    }
                    Output.table(["ID", "WHAT", "SIZE", "QUEUED", "TRIES", "LAST ERROR"], rows)
                    let servers = Set((reports.map(\.server) + photos.map(\.server)).compactMap { $0 })
                    if !servers.isEmpty { print("For \(servers.sorted().joined(separator: ", ")).") }
                }
                if !refused.reports.isEmpty || !refused.photos.isEmpty {
                    print("")
                    print("Refused by the server (kept; 'noroshi queue retry ID' sends one again):")
                    for report in refused.reports {
                        Output.line("XR\(report.id)  report \"\(Output.truncate(report.submission.text, to: 30))\"")
                        Output.line("      \(report.reason)")
                    }
                    for photo in refused.photos {
                        Output.line("XP\(photo.id)  photo \(photo.name)")
                        Output.line("      \(photo.reason)")
                    }
                }
            }
        }
    }

    /// The heart of an error for a table cell: "Couldn't connect to server." rather than the URLs around it.
    static func brief(_ error: String?) -> String {
        guard var text = error else { return "" }
        // libcurl's detail leads with where it failed ("Failed to connect to 127.0.0.1 port 9 after 0 ms: ").
        for pattern in [
            #"^Cannot reach the server at \S+: "#, #"^Request to \S+ failed: "#, #"^Failed to connect to .* ms: "#,
        ] {
            if let range = text.range(of: pattern, options: .regularExpression) { text.removeSubrange(range) }
        }
        return Output.truncate(text, to: 18)
    }
}

extension QueueCommand {
    struct Retry: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "retry",
            abstract: "Put refused entries back in the queue (after fixing the token or the server).",
            discussion: """
                The entries go with the next 'noroshi sync'. A waiting entry needs no retry: every sync \
                tries it.

                Examples:
                  noroshi queue retry XR2
                  noroshi queue retry --all
                """)

        @Argument(help: ArgumentHelp("A refused entry: XR<n> or XP<n>.", valueName: "id")) var id: String?
        @Flag(help: "Every refused entry.") var all = false

        func validate() throws {
            guard (id == nil) != !all else { throw ValidationError("Give an entry (XR2) or --all, not both.") }
        }

        func run() throws {
            try CLIError.run {
                let queue = try LocalQueue()
                if all {
                    let refused = try queue.refused()
                    for report in refused.reports { _ = try queue.retryRefused(reportID: report.id) }
                    for photo in try queue.refused().photos { _ = try queue.retryRefused(photoID: photo.id) }
                    let count = refused.reports.count + refused.photos.count
                    print("\(count) entr\(count == 1 ? "y is" : "ies are") back in the queue; run 'noroshi sync'.")
                    return
                }
                let text = id ?? ""
                let done: Bool
                switch EntryID(text) {
                case .refusedReport(let number): done = try queue.retryRefused(reportID: number)
                case .refusedPhoto(let number): done = try queue.retryRefused(photoID: number)
                case .report, .photo:
                    print("\(text.uppercased()) is waiting already; 'noroshi sync' sends it.")
                    return
                case nil:
                    throw NoroshiError(
                        .invalidInput, "'\(text.prefix(20))' is not an entry; 'noroshi queue' lists them.")
                }
                guard done else {
                    throw NoroshiError(.notFound, "No refused entry \(text.uppercased()); 'noroshi queue' lists them.")
                }
                print("\(text.uppercased()) is back in the queue; run 'noroshi sync'.")
            }
        }
    }

    struct Drop: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "drop",
            abstract: "Remove an entry from this device for good; it is never sent.",
            discussion: """
                Asks first on a terminal; --yes skips the question (scripts). Dropping a report drops the \
                photos queued with it.

                Example:
                  noroshi queue drop R3
                """)

        @Argument(help: ArgumentHelp("An entry: R<n>, P<n>, XR<n> or XP<n>.", valueName: "id")) var id: String
        @Flag(help: "Do not ask for confirmation.") var yes = false

        func run() throws {
            try CLIError.run {
                guard let entry = EntryID(id) else {
                    throw NoroshiError(.invalidInput, "'\(id.prefix(20))' is not an entry; 'noroshi queue' lists them.")
                }
                let name = id.uppercased()
                guard
                    try Confirmation.ask("Drop \(name) from this device? It will never be sent.", what: name, yes: yes)
                else {
                    print("Nothing was dropped.")
                    return
                }
                let queue = try LocalQueue()
                let done: Bool
                switch entry {
                case .report(let number): done = try queue.drop(reportID: number)
                case .photo(let number): done = try queue.drop(photoID: number)
                case .refusedReport(let number): done = try queue.forget(refusedReport: number)
                case .refusedPhoto(let number): done = try queue.forget(refusedPhoto: number)
                }
                guard done else { throw NoroshiError(.notFound, "No entry \(name); 'noroshi queue' lists them.") }
                try queue.removeUnusedCopies()
                print("Dropped \(name).")
            }
        }
    }

    /// `noroshi queue --json`.
    struct Listing: Encodable {
        struct Report: Encodable {
            var id, kind, text: String
            var queuedAt: Date
            var tries: Int
            var lastError, server: String?
            var photos: Int
            var bytes: Int64
            enum CodingKeys: String, CodingKey {
                case id, kind, text, tries, server, photos, bytes
                case queuedAt = "queued_at"
                case lastError = "last_error"
            }
        }
        struct Photo: Encodable {
            var id, name: String
            var report: Int64?
            var bytes: Int64
            var tries: Int
            var lastError, server: String?
            enum CodingKeys: String, CodingKey {
                case id, name, report, bytes, tries, server
                case lastError = "last_error"
            }
        }
        struct Refused: Encodable {
            var id, what: String
            var refusedAt: Date
            var reason: String
            enum CodingKeys: String, CodingKey {
                case id, what, reason
                case refusedAt = "refused_at"
            }
        }
        var reports: [Report]
        var photos: [Photo]
        var refused: [Refused]
    }
}
