#!/usr/bin/env bash
# Regenerates the photo fixtures in this folder (they are committed; run this only to change them).
#   Fixtures/photos/generate.sh                 the small fixtures, with known EXIF
#   Fixtures/photos/generate.sh --large DIR     also a 12-megapixel photo in DIR, for the benchmark
# Uses cjpeg (libjpeg-turbo-progs) to encode and exiftool (libimage-exiftool-perl) to write EXIF, so
# that the EXIF Noroshi reads in the tests was written by an independent tool.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
packages=(libjpeg-turbo-progs libimage-exiftool-perl python3)
# The large benchmark photo is drawn with ImageMagick.
if [[ "${1:-}" == "--large" ]]; then packages+=(imagemagick); fi
"$here/../../scripts/install-deps.sh" "${packages[@]}"
exec python3 "$here/generate.py" "$here" "$@"
