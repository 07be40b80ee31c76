#!/usr/bin/env bash
# Fuzzes what Noroshi reads from untrusted photos — the EXIF reader, the JPEG header parser and, for
# small images, the decode-resize-encode path — with libFuzzer and AddressSanitizer, for a bounded time.
#
#   scripts/fuzz-photos.sh [SECONDS [LIBFUZZER_OPTION…]]   (default 300 s; not part of the normal test run)
#   e.g. scripts/fuzz-photos.sh 900 -max_len=16384 -jobs=2
#
# Seeds: every JPEG in Fixtures/photos, the bare EXIF (APP1) payloads cut from them, one of them re-encoded
# by cjpeg with restart intervals, ten-block MCUs and optimized tables, and the inputs in Fixtures/fuzz
# (earlier findings, fixed; none so far). The growing corpus stays in .build-fuzz/corpus between
# runs. A finding is written to .build-fuzz/artifacts/ and the script exits 1; replay it without the
# fuzzing toolchain with `swift run noroshi-fuzz FILE`, fix it, and add the file to Fixtures/fuzz
# with a regression test. libjpeg itself (a system library) is not instrumented; the C in CJPEG and
# every Swift module are.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-300}"
shift || true

scripts/install-deps.sh python3 libjpeg-turbo-progs
scratch=.build-fuzz
mkdir -p "$scratch/corpus" "$scratch/seeds" "$scratch/artifacts"

# SwiftPM links executables with `--defsym main=<module>_main`; with libFuzzer's own main linked in
# as well, GNU gold fails, so link with the toolchain's lld.
lld="$(dirname "$(command -v swiftc)")/ld.lld"
printf '{"schemaVersion": "1.0", "linker": {"path": "%s"}}\n' "$lld" >"$scratch/lld-toolset.json"
echo "Building the fuzz target (release, libFuzzer + AddressSanitizer; the first build takes minutes)…"
swift build -c release --product noroshi-fuzz --scratch-path "$scratch" --toolset "$scratch/lld-toolset.json" \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -DNOROSHI_FUZZ -Xcc -fsanitize=fuzzer-no-link,address \
    2> >(grep -v "swift-distributed-tracing\|CMakeLists.txt" >&2) | grep -v '^\[' || true
fuzzer="$(swift build -c release --scratch-path "$scratch" --show-bin-path)/noroshi-fuzz"
[ -x "$fuzzer" ] || { echo "fuzz-photos: the build did not produce $fuzzer" >&2; exit 1; }

# Seeds: the fixtures, and their APP1 payloads on their own (the EXIF reader's input).
cp Fixtures/photos/*.jpg "$scratch/seeds/"
[ -d Fixtures/fuzz ] && cp Fixtures/fuzz/* "$scratch/seeds/" 2>/dev/null || true
python3 - "$scratch/seeds" Fixtures/photos/*.jpg <<'PY'
import sys, pathlib
out = pathlib.Path(sys.argv[1])
for name in sys.argv[2:]:
    data = pathlib.Path(name).read_bytes()
    i = 2
    while i + 4 <= len(data) and data[i] == 0xFF:
        marker, length = data[i + 1], int.from_bytes(data[i + 2:i + 4], "big")
        if marker == 0xE1 and data[i + 4:i + 10] == b"Exif\0\0":
            (out / (pathlib.Path(name).stem + ".app1")).write_bytes(data[i + 4:i + 2 + length])
            break
        if marker == 0xDA:
            break
        i += 2 + length
PY

# Small files in the encodings Noroshi's own Huffman decoder (CJPEG/huffman.c) takes apart: restart
# intervals down to one MCU, ten blocks per MCU, optimized tables, quality 100, grayscale, progressive.
djpeg Fixtures/photos/hida-fire.jpg >"$scratch/seed.ppm"
for options in "-restart 1B" "-restart 3B -sample 4x2" "-optimize -quality 100 -sample 1x1" "-grayscale -quality 50" \
    "-progressive -restart 2B" "-progressive -quality 98 -sample 1x1"; do
    # shellcheck disable=SC2086  # the options are words
    cjpeg $options -outfile "$scratch/seeds/cjpeg${options// /}.jpg" "$scratch/seed.ppm"
done
echo "Fuzzing for $seconds s on $(nproc) core(s); corpus $scratch/corpus, findings $scratch/artifacts/"
status=0
"$fuzzer" "$scratch/corpus" "$scratch/seeds" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -dict=Sources/noroshi-fuzz/photos.dict -artifact_prefix="$scratch/artifacts/" -print_final_stats=1 "$@" 2>&1 |
    grep -v '^#[0-9]*\s*\(NEW\|REDUCE\|pulse\)' || status=$?
findings=$(find "$scratch/artifacts" -type f | wc -l)
if [ "$findings" -gt 0 ]; then
    echo "fuzz-photos: $findings finding(s) in $scratch/artifacts/; replay with: swift run noroshi-fuzz FILE" >&2
    exit 1
fi
echo "fuzz-photos: no findings in $seconds s."
exit "$status"
