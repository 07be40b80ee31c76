#!/usr/bin/env bash
# Crash test (issue 17): mixed load on a real daemon — reports, photos by plain POST and by tus, status and
# severity changes, deliveries to a loopback chat room — with kill -9 at a random moment in every round. After
# each round: acknowledged, stored, lost, duplicated, SQLite's integrity_check, `noroshi audit verify`, photo jobs
# and the outbox drained. Not part of `swift test`; results go in BENCHMARKS.md.
#
# usage: scripts/crash-test.sh [ROUNDS (50)] [SEED (17)]
# CONFIGURATION=release builds and runs the release binary (the debug one by default).
set -euo pipefail
cd "$(dirname "$0")/.."
configuration=${CONFIGURATION:-debug}
swift build -c "$configuration" --product noroshi >&2
exec python3 scripts/crash-test.py ".build/$configuration/noroshi" "${1:-50}" "${2:-17}"
