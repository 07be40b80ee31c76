#!/usr/bin/env bash
# Installs the Debian packages Noroshi builds against, only those that are missing.
# Extra package names given as arguments are installed too (scripts/benchmark.sh adds wrk); --tests adds what
# the test suite uses: Chromium and chromedriver with a Japanese font for the board's browser tests, python3-venv
# and curl for the throwaway Synapse of the Matrix tests, GDAL's ogrinfo to read the GeoJSON exports, xmllint
# (libxml2-utils) to validate CAP alerts against the OASIS schema, which --tests also fetches (scripts/cap-schema.sh),
# tuspy, the tus project's Python client, and prometheus_client, Prometheus's parser, into venvs (scripts/tuspy.sh,
# scripts/prometheus-parser.sh); faketime sets a device's clock wrong;
# heif-enc (libheif-examples) encodes a phone-sized HEIC; systemd-analyze (systemd) verifies the shipped unit;
# openssl makes the HTTPS tests' self-signed certificate; cjpeg (libjpeg-turbo-progs) encodes the JPEGs on which the
# tests compare Noroshi's Huffman decoder with libjpeg-turbo's.
# libheif-dev and libpng-dev: HEIC and PNG photos.
# Needs root or sudo when something is missing; does nothing when all are present.
set -euo pipefail

packages=(libsqlite3-dev libcurl4-openssl-dev libjpeg-dev libheif-dev libpng-dev pkg-config)
for argument in "$@"; do
    if [ "$argument" = "--tests" ]; then
        packages+=(chromium chromium-driver fonts-ipafont-gothic python3 python3-venv curl gdal-bin libxml2-utils faketime
            libheif-examples systemd openssl libjpeg-turbo-progs)
    else
        packages+=("$argument")
    fi
done
missing=()
for package in "${packages[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
fetch_cap_schema() {
    # The tests validate CAP alerts against this XSD; fetching it here keeps pip out of the test run.
    for argument in "$@"; do
        if [ "$argument" = "--tests" ]; then
            "$(dirname "$0")/cap-schema.sh" >/dev/null
            "$(dirname "$0")/tuspy.sh" >/dev/null
            "$(dirname "$0")/prometheus-parser.sh" >/dev/null
            # Built here, before the tests: built during them, it loaded both cores beside timing-sensitive tests.
            "$(dirname "$0")/synapse.sh" install
        fi
    done
}
if [ ${#missing[@]} -eq 0 ]; then
    fetch_cap_schema "$@"
    exit 0
fi

echo "Installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
$sudo apt-get update
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y "${missing[@]}"
fetch_cap_schema "$@"
