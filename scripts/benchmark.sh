#!/usr/bin/env bash
# Builds the release binaries and runs the benchmarks recorded in BENCHMARKS.md.
#   scripts/benchmark.sh            all of them
#   scripts/benchmark.sh http       HTTP intake only (wrk against the daemon)
#   scripts/benchmark.sh linking    linking at 10,000 open incidents and 1,000,000 reports only
#   scripts/benchmark.sh photos     photo copies vs vipsthumbnail, ImageMagick and djpeg/cjpeg only
#   scripts/benchmark.sh chat       chat delivery to a loopback webhook only (backlog drain, steady rates)
#   scripts/benchmark.sh drill      `noroshi drill run` on a two-hour playbook (200 injects, 50 photos) only
#   scripts/benchmark.sh board      board pages, map, place lookup and event streams on 1,000,000 reports only
#   scripts/benchmark.sh export     CSV and GeoJSON exports of 1,000,000 reports (against sqlite3 -csv) only
# Never part of the test run; the numbers depend on the machine and on what else runs on it.
set -euo pipefail
cd "$(dirname "$0")/.."

which="${1:-all}"
case "$which" in
    all | http | linking | photos | chat | drill | board | export) ;;
    *) echo "usage: scripts/benchmark.sh [all|http|linking|photos|chat|drill|board|export]" >&2; exit 2 ;;
esac

scripts/install-deps.sh wrk sqlite3
swift build -c release --product noroshi
swift build -c release --product noroshi-bench

if [ "$which" = all ] || [ "$which" = http ]; then
    .build/release/noroshi-bench http --connections 32 --duration 20
fi
if [ "$which" = all ] || [ "$which" = linking ]; then
    .build/release/noroshi-bench linking --incidents 10000 --reports 1000000 --samples 3000
fi
if [ "$which" = all ] || [ "$which" = photos ]; then
    scripts/benchmark-photos.sh 20
fi
if [ "$which" = all ] || [ "$which" = chat ]; then
    .build/release/noroshi-bench chat --messages 10000 --backlog
    .build/release/noroshi-bench chat --messages 10000 --rate 500
    .build/release/noroshi-bench chat --messages 10000 --rate 1000
fi
if [ "$which" = all ] || [ "$which" = drill ]; then
    # Once with the small fixture photos, once with 12-megapixel phone photos (drawn by generate.sh).
    .build/release/noroshi-bench drill --injects 200 --photos 50
    large="$(mktemp -d)"
    Fixtures/photos/generate.sh --large "$large" >/dev/null
    .build/release/noroshi-bench drill --injects 200 --photos 50 --photo "$large/large-12mp.jpg"
    rm -rf "$large"
fi
if [ "$which" = all ] || [ "$which" = board ]; then
    .build/release/noroshi-bench board --incidents 10000 --reports 1000000
fi
if [ "$which" = all ] || [ "$which" = export ]; then
    .build/release/noroshi-bench export --incidents 10000 --reports 1000000
fi
