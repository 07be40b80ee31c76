#!/usr/bin/env bash
# Prints the path of a Python that has tuspy 1.1.0, the tus project's Python client, installing it once into
# .build-tus/venv from PyPI. The tests upload photos with it (scripts/tus-upload.py), so that the resumable
# upload routes are checked by a client Noroshi did not write.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.build-tus/venv
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import tusclient' 2>/dev/null; then
    mkdir -p .build-tus
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "tuspy==1.1.0" >&2
fi
echo "$PWD/$venv/bin/python"
