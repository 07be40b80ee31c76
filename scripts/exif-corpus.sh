#!/usr/bin/env bash
# Builds a corpus of real-world photos from other projects' test suites, for measuring Noroshi's EXIF reader
# against exiftool (noroshi-bench exif). Kept out of the repository: it is fetched at pinned versions, checked
# against pinned SHA-256s, and unpacked into DIR (default .build-exif-corpus/), one folder per source.
#   scripts/exif-corpus.sh [DIR]        prints DIR when done (needs curl, python3 with pip, unzip)
# Sources: exiftool 12.57's t/images (Debian's source package), exiv2 0.27.6's test/data (Debian's source
# package), Pillow 11.0.0's Tests/images, pillow_heif 1.9.0's tests/images (phone photos from Apple, Samsung,
# Xiaomi and Nokia) and piexif 1.1.3's tests/images (PyPI's source distributions). Only JPEG and HEIF files
# are kept.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-.build-exif-corpus}"
mkdir -p "$dir/downloads"
# shellcheck source=scripts/pinned-fetch.sh
source scripts/pinned-fetch.sh

fetch "$debian/libi/libimage-exiftool-perl/libimage-exiftool-perl_12.57+dfsg.orig.tar.xz" exiftool.tar.xz \
    9de7ccd6ed6adf92038c8d943b1960d087b58c00b3924d19f61a1d774b7610fc
fetch "$debian/e/exiv2/exiv2_0.27.6.orig.tar.gz" exiv2.tar.gz \
    f16ee5ff08b6994c66106109417857f13e711fca100ac43c6a403d4f02b59602
pillow="$dir/downloads/pillow.tar.gz"
if [ ! -f "$pillow" ]; then
    echo "Fetching Pillow 11.0.0 from PyPI" >&2
    python3 -m pip download --quiet --no-deps --no-binary :all: pillow==11.0.0 -d "$dir/downloads" >&2
    mv "$dir/downloads/pillow-11.0.0.tar.gz" "$pillow"
fi
echo "72bacbaf24ac003fea9bff9837d1eedb6088758d41e100c1552930151f677739  $pillow" | sha256sum -c --quiet -
pypi pillow_heif 1.9.0 pillow_heif-1.9.0.tar.gz 8a13d15106c9dbbd66a65966edee2ee0de3950c18dc3ea42912442cda803ea4c
pypi piexif 1.1.3 piexif-1.1.3.zip 83cb35c606bf3a1ea1a8f0a25cb42cf17e24353fd82e87ae3884e74a302a5f1b

for source in exiftool exiv2 pillow; do
    rm -rf "${dir:?}/$source"
    mkdir -p "$dir/$source"
    archive=$(ls "$dir/downloads/$source".tar.*)
    tar -xf "$archive" -C "$dir/$source" --wildcards --no-anchored --ignore-case \
        '*.jpg' '*.jpeg' '*.heic' '*.heif' 2>/dev/null || true
done
rm -rf "${dir:?}/pillow_heif" "${dir:?}/piexif"
mkdir -p "$dir/pillow_heif" "$dir/piexif"
tar -xzf "$dir/downloads/pillow_heif-1.9.0.tar.gz" -C "$dir/pillow_heif" --wildcards --no-anchored --ignore-case \
    '*.jpg' '*.jpeg' '*.heic' '*.heif' 2>/dev/null || true
unzip -q -o "$dir/downloads/piexif-1.1.3.zip" '*.jpg' '*.JPG' '*.jpeg' -d "$dir/piexif" 2>/dev/null || true
count=$(find "$dir" -path "$dir/downloads" -prune -o -type f -print | wc -l)
echo "$count photos in $dir" >&2
echo "$dir"
