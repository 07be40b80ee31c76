#!/usr/bin/env bash
# Prints the path of a Python that has tuspy 1.1.0, the tus project's Python client, installing it once into
# .build-tus/venv from PyPI. The tests upload photos with it (scripts/tus-upload.py), so that the resumable
# upload routes are checked by a client Noroshi did not write.
exec "$(dirname "$0")/pyvenv.sh" tus "tuspy==1.1.0" tusclient
