#!/usr/bin/env bash
# Real camera photos of 12–48 megapixels for the photo benchmark (scripts/benchmark-photos.sh --real), taken
# from other projects' test suites and packages, fetched at pinned versions, checked against pinned SHA-256s
# and kept out of the repository, in DIR (default .build-real-photos/):
#   iphone13pro-12mp.jpg     4032×3024  Apple iPhone 13 Pro: pillow_heif 1.9.0's tests/images/heif_other/pug.heic
#                                       (PyPI source distribution), as JPEG q92 4:2:0 (heif-convert), as an
#                                       iPhone set to "Most Compatible" writes it
#   sony-rx100m4-18mp.jpg    5640×3172  Sony DSC-RX100M4, "Extra Fine": Debian mate-backgrounds 1.26.0's
#                                       Elephants_5640x3172.jpg, byte for byte
#   nikon-d5300-24mp.jpg     6000×4000  Nikon D5300, camera JPEG: exiv2 0.27.6's test/data/exiv2-bug922a.jpg
#                                       (Debian source package), byte for byte
#   samsung-s24u-48mp.jpg    6000×8000  Samsung Galaxy S24 Ultra: pillow_heif 1.9.0's 200MP.heic, reduced to
#                                       48 megapixels (Lanczos-3) and saved as JPEG q92 4:2:0 — what the
#                                       phone's 50-megapixel mode would give, as no test suite here holds a
#                                       48-megapixel camera JPEG
#   scripts/real-photos.sh [DIR]        prints DIR when done; needs curl, python3 (pip), heif-convert
#                                       (libheif-examples) and vips (libvips-tools)
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-.build-real-photos}"
mkdir -p "$dir/downloads"
# shellcheck source=scripts/pinned-fetch.sh
source scripts/pinned-fetch.sh

fetch "$debian/e/exiv2/exiv2_0.27.6.orig.tar.gz" exiv2.tar.gz \
    f16ee5ff08b6994c66106109417857f13e711fca100ac43c6a403d4f02b59602
fetch "$debian/m/mate-backgrounds/mate-backgrounds_1.26.0-1_all.deb" mate-backgrounds.deb \
    7bf4c2209f34b4f61ba6d24c8b58c28b361e82e4b943aae6d42c030169af9e04
pypi pillow_heif 1.9.0 pillow_heif-1.9.0.tar.gz 8a13d15106c9dbbd66a65966edee2ee0de3950c18dc3ea42912442cda803ea4c
heif="$dir/downloads/pillow_heif-1.9.0.tar.gz"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
tar -xzf "$dir/downloads/exiv2.tar.gz" -C "$work" exiv2-0.27.6/test/data/exiv2-bug922a.jpg
cp "$work/exiv2-0.27.6/test/data/exiv2-bug922a.jpg" "$dir/nikon-d5300-24mp.jpg"
dpkg-deb --fsys-tarfile "$dir/downloads/mate-backgrounds.deb" \
    | tar -xf - -C "$work" ./usr/share/backgrounds/mate/abstract/Elephants_5640x3172.jpg
cp "$work/usr/share/backgrounds/mate/abstract/Elephants_5640x3172.jpg" "$dir/sony-rx100m4-18mp.jpg"
tar -xzf "$heif" -C "$work" pillow_heif-1.9.0/tests/images/heif_other/pug.heic \
    pillow_heif-1.9.0/tests/images/heif_special/200MP.heic
heif-convert -q 92 "$work/pillow_heif-1.9.0/tests/images/heif_other/pug.heic" "$dir/iphone13pro-12mp.jpg" >/dev/null
heif-convert -q 92 "$work/pillow_heif-1.9.0/tests/images/heif_special/200MP.heic" "$work/200mp.jpg" >/dev/null
# 12240×16320 to 6000×8000.
vips resize "$work/200mp.jpg" "$dir/samsung-s24u-48mp.jpg[Q=92,subsample-mode=on,strip]" 0.4902 \
    --vscale 0.4902
echo "$(ls "$dir"/*.jpg | wc -l) photos in $dir" >&2
echo "$dir"
