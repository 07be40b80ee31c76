#!/usr/bin/env bash
# Builds a corpus of real-world photos from other projects' test suites, for measuring Noroshi's EXIF reader
# against exiftool (noroshi-bench exif). Kept out of the repository: it is fetched at pinned versions, checked
# against pinned SHA-256s, and unpacked into DIR (default .build-exif-corpus/), one folder per source.
#   scripts/exif-corpus.sh [DIR]        prints DIR when done
# Sources: exiftool 12.57's t/images (Debian's source package), exiv2 0.27.6's test/data (Debian's source
# package) and Pillow 11.0.0's Tests/images (PyPI's source distribution). Only JPEG and HEIF files are kept.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-.build-exif-corpus}"
mkdir -p "$dir/downloads"
debian=http://deb.debian.org/debian/pool/main

fetch() { # url file sha256
    local file="$dir/downloads/$2"
    if [ ! -f "$file" ] || ! echo "$3  $file" | sha256sum -c --quiet - 2>/dev/null; then
        echo "Fetching $2" >&2
        curl -fsSL -o "$file.part" "$1" && mv "$file.part" "$file"
    fi
    echo "$3  $file" | sha256sum -c --quiet -
}

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

for source in exiftool exiv2 pillow; do
    rm -rf "${dir:?}/$source"
    mkdir -p "$dir/$source"
    archive=$(ls "$dir/downloads/$source".tar.*)
    tar -xf "$archive" -C "$dir/$source" --wildcards --no-anchored --ignore-case \
        '*.jpg' '*.jpeg' '*.heic' '*.heif' 2>/dev/null || true
done
count=$(find "$dir" -path "$dir/downloads" -prune -o -type f -print | wc -l)
echo "$count photos in $dir" >&2
echo "$dir"
