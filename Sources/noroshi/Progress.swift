import Foundation
import NoroshiHTTPClient

/// Shows how an upload goes, on standard error: a bar redrawn in place on a terminal (bytes, rate, time
/// left), plain lines otherwise (a log or a pipe), nothing when asked.
///
/// `NOROSHI_PROGRESS=bar|lines|none` overrides the choice, e.g. for a terminal that cannot redraw.
struct ProgressDisplay {
    enum Style: String {
        case bar, lines, none
    }

    let style: Style

    init(style: Style? = nil) {
        if let style {
            self.style = style
        } else if let name = ProcessInfo.processInfo.environment["NOROSHI_PROGRESS"], let chosen = Style(rawValue: name)
        {
            self.style = chosen
        } else {
            self.style = isatty(STDERR_FILENO) == 1 ? .bar : .lines
        }
    }

    /// Follows one file's upload; call ``Transfer/update(_:)`` from the client's progress callback and
    /// ``Transfer/finish(sent:)`` when the answer came.
    func start(_ name: String, bytes: Int64) -> Transfer {
        let transfer = Transfer(name: name, total: bytes, style: style)
        if style == .lines { transfer.write("Sending \(name) (\(Self.size(bytes)))…\n") }
        return transfer
    }

    /// One upload in progress.
    final class Transfer {
        let name: String
        let total: Int64
        let style: Style
        let started = Date()
        private var lastDrawn = Date.distantPast
        private var lastLine = Date()
        private var sent: Int64 = 0

        init(name: String, total: Int64, style: Style) {
            self.name = name
            self.total = total
            self.style = style
        }

        func update(_ progress: HTTPProgress) {
            sent = progress.sent
            let now = Date()
            switch style {
            case .bar:
                // About ten redraws a second are enough to look live and cost nothing.
                guard now.timeIntervalSince(lastDrawn) >= 0.1 else { return }
                lastDrawn = now
                write("\r" + ProgressDisplay.bar(name: name, sent: sent, total: total, elapsed: elapsed(now)))
            case .lines:
                // A line every 10 s shows a slow link is still moving without flooding a log.
                guard now.timeIntervalSince(lastLine) >= 10, sent < total else { return }
                lastLine = now
                write(ProgressDisplay.status(name: name, sent: sent, total: total, elapsed: elapsed(now)) + "\n")
            case .none:
                break
            }
        }

        /// Ends the display: the full bar and a new line, or one closing line.
        func finish(succeeded: Bool) {
            let now = Date()
            switch style {
            case .bar:
                let shown = succeeded ? total : sent
                write("\r" + ProgressDisplay.bar(name: name, sent: shown, total: total, elapsed: elapsed(now)) + "\n")
            case .lines:
                let seconds = String(format: "%.1f", elapsed(now))
                let outcome = succeeded ? "sent" : "stopped after \(ProgressDisplay.size(sent)) of"
                write("\(name): \(outcome) \(ProgressDisplay.size(total)) in \(seconds) s\n")
            case .none:
                break
            }
        }

        private func elapsed(_ now: Date) -> TimeInterval { now.timeIntervalSince(started) }

        func write(_ text: String) {
            FileHandle.standardError.write(Data(text.utf8))
        }
    }

    /// `DSC_0042.jpg [=========>          ]  1.2 of 3.0 MB  240 KB/s  7 s left`
    static func bar(name: String, sent: Int64, total: Int64, elapsed: TimeInterval, width: Int = 24) -> String {
        let fraction = total > 0 ? min(1, Double(sent) / Double(total)) : 1
        let filled = Int((fraction * Double(width)).rounded(.down))
        let head = filled < width && filled > 0 ? ">" : ""
        let body = String(repeating: "=", count: max(0, filled - head.count)) + head
        let padding = String(repeating: " ", count: width - body.count)
        let shortName = Output.truncate(name, to: 24)
        return "\(shortName) [\(body)\(padding)] \(details(sent: sent, total: total, elapsed: elapsed))"
    }

    /// `DSC_0042.jpg: 40% (1.2 of 3.0 MB), 240 KB/s, 7 s left`
    static func status(name: String, sent: Int64, total: Int64, elapsed: TimeInterval) -> String {
        let percent = total > 0 ? Int(Double(sent) * 100 / Double(total)) : 100
        return "\(name): \(percent)% (\(details(sent: sent, total: total, elapsed: elapsed)))"
    }

    static func details(sent: Int64, total: Int64, elapsed: TimeInterval) -> String {
        let amount = "\(size(sent, unitOf: total)) of \(size(total))"
        guard elapsed > 0.05, sent > 0 else { return amount + "  starting" }
        let rate = Double(sent) / elapsed
        let left = sent >= total ? "done" : duration(Double(total - sent) / rate) + " left"
        return "\(amount)  \(size(Int64(rate)))/s  \(left)"
    }

    /// `950 B`, `12 KB`, `3.0 MB` (binary units, as the server's limits are written).
    static func size(_ bytes: Int64, unitOf reference: Int64? = nil) -> String {
        let scale = reference ?? bytes
        if scale >= 1_048_576 { return String(format: "%.1f MB", Double(bytes) / 1_048_576) }
        if scale >= 1024 { return "\(bytes / 1024) KB" }
        return "\(bytes) B"
    }

    /// `7 s`, `3 min 5 s`, `1 h 2 min`.
    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let whole = Int(seconds.rounded(.up))
        if whole < 60 { return "\(whole) s" }
        if whole < 3600 { return "\(whole / 60) min \(whole % 60) s" }
        return "\(whole / 3600) h \(whole % 3600 / 60) min"
    }
}
