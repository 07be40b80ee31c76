#!/usr/bin/env bash
# Photo copies, side by side on one 12-megapixel photo (4032×3024, about 3 MB, EXIF orientation 6):
#   noroshi photo derive   both copies (chat 1280 px q80 + thumb 320 px q75) from one decode
#   vipsthumbnail          the 1280 px copy only (Debian libvips-tools)
#   ImageMagick            convert -define jpeg:size=1280x1280 -thumbnail 1280x1280 (1280 px only)
#   floor                  djpeg -scale 1/2 to /dev/null, plus cjpeg -quality 80 of a 1280 px image
# CPU time (user + system) per photo over COUNT photos, and peak RSS of one process on one photo.
# Quality: SSIM of each 1280 px copy against a Lanczos resize of the full decode (ImageMagick).
# Then the same comparison with vipsthumbnail on real camera photos of 12–48 megapixels
# (scripts/real-photos.sh fetches them into .build-real-photos/), COUNT/4 copies of each (at least 3), each
# batch timed three times (the median is shown), with Noroshi also timed with libjpeg-turbo's own Huffman
# decoder (NOROSHI_LIBJPEG_HUFFMAN=1) for comparison.
#   scripts/benchmark-photos.sh [COUNT]       (default 20)
set -euo pipefail
cd "$(dirname "$0")/.."
count="${1:-20}"

scripts/install-deps.sh libvips-tools imagemagick libjpeg-turbo-progs libimage-exiftool-perl python3 \
    libheif-examples
swift build -c release --product noroshi >/dev/null
swift build -c release --product noroshi-bench >/dev/null
noroshi="$PWD/.build/release/noroshi"
bench="$PWD/.build/release/noroshi-bench"
# /usr/bin/convert by full path: another `convert` may come first in PATH.
convert=/usr/bin/convert

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
Fixtures/photos/generate.sh --large "$work" >/dev/null
photo="$work/large-12mp.jpg"
mkdir -p "$work/in" "$work/noroshi" "$work/vips" "$work/magick"
for i in $(seq -w 1 "$count"); do cp "$photo" "$work/in/p$i.jpg"; done
cat "$work"/in/*.jpg >/dev/null  # into the page cache

# CPU seconds (user + sys) of a command, and its peak RSS in KB.
measure() {
    /usr/bin/time -f "%U %S %M" -o "$work/time" "$@" >/dev/null
    awk '{ printf "%.1f %d\n", ($1 + $2) * 1000, $3 }' "$work/time"
}
# The median of three runs of `measure` (CPU ms only): on the real photos one batch is a few hundred ms, where
# a single run varied by up to 20 % between runs of the script.
measure3() {
    local runs=()
    for _ in 1 2 3; do
        read -r ms _ < <(measure "$@")
        runs+=("$ms")
    done
    printf '%s\n' "${runs[@]}" | sort -n | sed -n 2p
}
per_photo_of() { awk -v total="$1" -v n="$2" 'BEGIN { printf "%.1f", total / n }'; }
per_photo() { per_photo_of "$1" "$count"; }

# Each tool over all photos (CPU), then once on one photo (RSS).
read -r noroshi_ms _ < <(measure "$noroshi" photo derive --quiet --out "$work/noroshi" "$work"/in/*.jpg)
read -r _ noroshi_rss < <(measure "$noroshi" photo derive --quiet --out "$work/noroshi" "$photo")
read -r _ noroshi_base < <(measure "$noroshi" --help)
read -r vips_ms _ < <(measure vipsthumbnail --size 1280 -o "$work/vips/%s.jpg[Q=80]" "$work"/in/*.jpg)
read -r _ vips_rss < <(measure vipsthumbnail --size 1280 -o "$work/vips/%s.jpg[Q=80]" "$photo")
magick_all() {
    for file in "$work"/in/*.jpg; do
        "$convert" -define jpeg:size=1280x1280 "$file" -auto-orient -thumbnail 1280x1280 -quality 80 \
            "$work/magick/$(basename "$file")"
    done
}
read -r magick_ms _ < <(measure bash -c "$(declare -f magick_all); work='$work' convert='$convert' magick_all")
read -r _ magick_rss < <(measure "$convert" -define jpeg:size=1280x1280 "$photo" -auto-orient -thumbnail 1280x1280 \
    -quality 80 "$work/magick/one.jpg")
# The floor: the reduced decode alone, and the encode of an image already at 1280 px.
djpeg -scale 1/2 "$photo" | "$convert" ppm:- -resize 1280x1280 "$work/1280.ppm"
floor_all() {
    for file in "$work"/in/*.jpg; do
        djpeg -scale 1/2 "$file" >/dev/null
        cjpeg -quality 80 "$work/1280.ppm" >/dev/null
    done
}
read -r floor_ms _ < <(measure bash -c "$(declare -f floor_all); work='$work' floor_all")
read -r _ djpeg_rss < <(measure djpeg -scale 1/2 "$photo")
read -r _ cjpeg_rss < <(measure cjpeg -quality 80 "$work/1280.ppm")

# Quality: each 1280 px copy against a Lanczos resize of the full decode, turned upright.
"$convert" "$photo" -auto-orient -filter Lanczos -resize 1280x1280 "$work/reference.ppm"
ssim() { "$bench" ssim "$work/reference.ppm" "$1" | awk '{ print $NF }'; }
noroshi_ssim="$(ssim "$work/noroshi/large-12mp.chat.jpg")"
vips_ssim="$(ssim "$work/vips/large-12mp.jpg")"
magick_ssim="$(ssim "$work/magick/one.jpg")"

vips_per="$(per_photo "$vips_ms")"
floor_per="$(per_photo "$floor_ms")"
noroshi_per="$(per_photo "$noroshi_ms")"
echo
echo "12-megapixel photo ($(du -k "$photo" | cut -f1) KB, orientation 6), $count photos per tool, $(nproc) cores"
printf '%-46s %10s %12s %8s\n' "tool" "CPU ms/photo" "peak RSS MB" "SSIM"
printf '%-46s %10s %12.1f %8s\n' "noroshi photo derive (chat 1280 + thumb 320)" "$noroshi_per" \
    "$(echo "$noroshi_rss / 1024" | bc -l)" "$noroshi_ssim"
printf '%-46s %10s %12.1f %8s\n' "vipsthumbnail --size 1280" "$vips_per" "$(echo "$vips_rss / 1024" | bc -l)" "$vips_ssim"
printf '%-46s %10s %12.1f %8s\n' "convert -thumbnail 1280x1280" "$(per_photo "$magick_ms")" \
    "$(echo "$magick_rss / 1024" | bc -l)" "$magick_ssim"
printf '%-46s %10s %12.1f %8s\n' "floor: djpeg -scale 1/2 + cjpeg 1280 px" "$floor_per" \
    "$(awk -v a="$djpeg_rss" -v b="$cjpeg_rss" 'BEGIN { print (a > b ? a : b) / 1024 }')" "-"
echo
echo "noroshi RSS with no photo (the process alone, --help): $(echo "$noroshi_base / 1024" | bc -l | xargs printf '%.1f') MB;" \
    "one photo in flight adds $(echo "($noroshi_rss - $noroshi_base) / 1024" | bc -l | xargs printf '%.1f') MB"
echo "noroshi / vipsthumbnail CPU: $(echo "$noroshi_per / $vips_per" | bc -l | xargs printf '%.2f') (target at most 0.5)"
echo "noroshi / floor CPU:         $(echo "$noroshi_per / $floor_per" | bc -l | xargs printf '%.2f') (target at most 1.3)"

# Real camera photos: both copies against vipsthumbnail's one, CPU per photo and SSIM.
real_dir="$(scripts/real-photos.sh)"
real_count=$(( count / 4 > 3 ? count / 4 : 3 ))
echo
echo "Real camera photos ($real_count copies of each per tool; the median of three runs):"
printf '%-24s %9s %6s %8s %8s %6s %8s %9s %6s %8s %8s\n' "photo" "size" "KB" "noroshi" "vips" "ratio" \
    "n/ljt" "entropy" "ratio" "SSIM n" "SSIM v"
entropy_all() { for file in "$work"/in/*.jpg; do djpeg -scale 1/8 "$file" >/dev/null; done; }
for photo in "$real_dir"/*.jpg; do
    name="$(basename "$photo" .jpg)"
    rm -rf "$work/in" "$work/noroshi" "$work/vips"
    mkdir -p "$work/in" "$work/noroshi" "$work/vips"
    for i in $(seq -w 1 "$real_count"); do cp "$photo" "$work/in/$name-$i.jpg"; done
    cat "$work"/in/*.jpg >/dev/null
    n_ms="$(measure3 "$noroshi" photo derive --quiet --out "$work/noroshi" "$work"/in/*.jpg)"
    l_ms="$(NOROSHI_LIBJPEG_HUFFMAN=1 measure3 "$noroshi" photo derive --quiet --out "$work/noroshi" \
        "$work"/in/*.jpg)"
    v_ms="$(measure3 vipsthumbnail --size 1280 -o "$work/vips/%s.jpg[Q=80]" "$work"/in/*.jpg)"
    e_ms="$(measure3 bash -c "$(declare -f entropy_all); work='$work' entropy_all")"
    "$convert" "$photo" -auto-orient -filter Lanczos -resize 1280x1280 "$work/reference.ppm"
    e_per="$(per_photo_of "$e_ms" "$real_count")"
    n_per="$(per_photo_of "$n_ms" "$real_count")"
    v_per="$(per_photo_of "$v_ms" "$real_count")"
    l_per="$(per_photo_of "$l_ms" "$real_count")"
    first="$name-$(seq -w 1 "$real_count" | head -1)"
    printf '%-24s %9s %6s %8s %8s %6.2f %8s %9s %6.2f %8s %8s\n' "$name" "$(identify -format '%wx%h' "$photo")" \
        "$(du -k "$photo" | cut -f1)" "$n_per" "$v_per" "$(echo "$n_per / $v_per" | bc -l)" "$l_per" "$e_per" \
        "$(echo "$e_per / $v_per" | bc -l)" "$(ssim "$work/noroshi/$first.chat.jpg")" "$(ssim "$work/vips/$first.jpg")"
done
echo "noroshi, vips, n/ljt, entropy: CPU ms per photo. n/ljt: noroshi with libjpeg-turbo's own Huffman decoder"
echo "(NOROSHI_LIBJPEG_HUFFMAN=1), as before its own. entropy: djpeg -scale 1/8, little beyond libjpeg-turbo's Huffman"
echo "decoding, which vipsthumbnail pays too. ratio: to vipsthumbnail's CPU (target at most 0.5)."
