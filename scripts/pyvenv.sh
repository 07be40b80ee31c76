#!/usr/bin/env bash
# Usage: scripts/pyvenv.sh NAME "REQUIREMENT..." MODULE
# Prints the path of a Python that can import MODULE, installing REQUIREMENT once from PyPI into .build-NAME/venv.
# The tests use such third-party readers and clients (tuspy, Prometheus's parser) to check what Noroshi writes.
set -euo pipefail
cd "$(dirname "$0")/.."
name=$1 requirement=$2 module=$3
venv=.build-$name/venv
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import $module" 2>/dev/null; then
    mkdir -p ".build-$name"
    python3 -m venv "$venv"
    # shellcheck disable=SC2086 # REQUIREMENT may name several packages
    "$venv/bin/pip" install --quiet $requirement >&2
fi
echo "$PWD/$venv/bin/python"
