import ArgumentParser
import Foundation

/// Load and latency measurements for BENCHMARKS.md. Never part of the test run.
@main
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "noroshi-bench",
        abstract:
            "Measure Noroshi: HTTP intake under load, linking at scale, photo copy quality, chat delivery, drills.",
        discussion: """
            scripts/benchmark.sh installs wrk, builds both in release mode and runs everything; or by hand:

              swift build -c release --product noroshi
              swift build -c release --product noroshi-bench
              .build/release/noroshi-bench http --connections 32 --duration 20
              .build/release/noroshi-bench linking --incidents 10000 --reports 1000000
              .build/release/noroshi-bench chat --messages 10000
              .build/release/noroshi-bench drill --injects 200 --photos 50
              .build/release/noroshi-bench board --incidents 10000 --reports 1000000
            scripts/benchmark-photos.sh compares `noroshi photo derive` with vipsthumbnail and ImageMagick.
            scripts/exif-corpus.sh, then `noroshi-bench exif`, compares the EXIF reader with exiftool.
            """,
        subcommands: [
            HTTPBench.self, LinkingBench.self, SSIMBench.self, ChatBench.self, DrillBench.self, BoardBench.self,
            ExportBench.self, EXIFBench.self, FieldBench.self,
        ]
    )
}

/// Percentiles and a one-line summary of latencies in nanoseconds.
struct Latencies {
    var samples: [UInt64]

    func percentile(_ p: Double) -> Double {
        guard !samples.isEmpty else { return .nan }
        let sorted = samples.sorted()
        let index = min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)
        return Double(sorted[max(0, index)]) / 1_000_000
    }

    var summary: String {
        String(
            format: "p50 %.3f ms  p99 %.3f ms  max %.3f ms", percentile(0.50), percentile(0.99), percentile(1.0))
    }
}

/// Monotonic nanoseconds.
func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
