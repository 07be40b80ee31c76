#!/usr/bin/env bash
# Runs schemathesis, an outside OpenAPI fuzzer, against a real daemon over the shipped document: every /v1
# operation with generated and mutated input, checking that each answer's status, content type and body are what
# openapi.yaml says (the board's HTML pages, which need a browser session, are left out). Not part of
# `swift test` (it takes minutes); results go in BENCHMARKS.md.
#
# usage: scripts/api-fuzz.sh [MAX_EXAMPLES_PER_OPERATION (25)]
set -euo pipefail
cd "$(dirname "$0")/.."
examples=${1:-25}
[ -n "${NO_BUILD:-}" ] || swift build --product noroshi >&2
# hypothesis pinned: later ones removed an internal that hypothesis-jsonschema (under schemathesis 3) uses.
python=$(scripts/pyvenv.sh schemathesis "schemathesis==3.39.16 hypothesis==6.115.0" schemathesis)
work=$(mktemp -d /tmp/noroshi-fuzz-XXXXXX)
trap 'kill "$daemon" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
token=$(.build/debug/noroshi token create --role admin --name fuzz --init --json --data-dir "$work/data" |
    "$python" -c 'import json, sys; print(json.load(sys.stdin)["secret"])')
port=$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
NOROSHI_LOG_LEVEL=error .build/debug/noroshi serve --data-dir "$work/data" --port "$port" > "$work/serve.log" 2>&1 &
daemon=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" > /dev/null && break; sleep 0.1; done
# A report to work on, so that operations on reports and incidents reach more than 404.
curl -sf -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d '{"client_key": "fuzz-1", "kind": "fire", "latitude": 36.1, "longitude": 137.2, "text": "Smoke"}' \
    "http://127.0.0.1:$port/v1/reports" > /dev/null
SCHEMATHESIS_HOOKS=api-fuzz-hooks PYTHONPATH="$PWD/scripts" "$(dirname "$python")/st" run "http://127.0.0.1:$port/openapi.yaml" --base-url "http://127.0.0.1:$port" \
    -H "Authorization: Bearer $token" --exclude-tag board --checks all --hypothesis-max-examples "$examples" \
    --hypothesis-derandomize --experimental=openapi-3.1 --exclude-path-regex '^/v1/(events|tokens/\{id\})$' --show-trace
