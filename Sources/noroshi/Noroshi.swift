import ArgumentParser

/// The `noroshi` command: the daemon, and the field and headquarters tools that talk to it.
@main
struct Noroshi: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "noroshi",
        abstract: "Disaster-response incident board: field reports in, incident status out.",
        discussion: """
            Start the daemon, create a token, log in, send a report, see the status:

              noroshi serve &
              noroshi token create --role admin --name "HQ admin"
              noroshi login --server http://127.0.0.1:8080 --token nrs_...
              noroshi report --kind fire --at 36.2381,137.1860 --text "Smoke from a barn roof"
              noroshi status

            Run 'noroshi help <command>' for each command's options and examples.
            """,
        version: "0.1.0",
        subcommands: [
            ServeCommand.self,
            ReportCommand.self,
            SyncCommand.self,
            QueueCommand.self,
            StatusCommand.self,
            IncidentCommand.self,
            SokuhoCommand.self,
            ExportCommand.self,
            LoginCommand.self,
            TokenCommand.self,
            AuditCommand.self,
            BackupCommand.self,
            RestoreCommand.self,
            CheckCommand.self,
            PhotoCommand.self,
            OutboxCommand.self,
            RoomsCommand.self,
            DrillCommand.self,
        ]
    )
}
