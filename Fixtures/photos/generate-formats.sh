#!/usr/bin/env bash
# Regenerates the HEIF and PNG fixtures in this folder from the JPEG ones (they are committed; run this only to
# change them). heif-enc (libheif-examples) encodes HEIC with x265; exiftool writes the PNG's eXIf chunk, so
# that what Noroshi reads was written by independent tools.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
"$here/../../scripts/install-deps.sh" libheif-examples libimage-exiftool-perl python3
cd "$here" && exec python3 "$here/generate-formats.py" "$here"
