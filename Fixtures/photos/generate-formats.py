"""Writes the HEIF and PNG photo fixtures from the JPEG ones. Run through generate-formats.sh."""

import os
import struct
import subprocess
import sys
import zlib

from generate import displayed_image

here = sys.argv[1]


def png(path, width, height, pixels, colour_type, bit_depth=8):
    """A PNG of `pixels` (rows of sample tuples), written here so the reader is checked against the format."""
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    raw = b""
    for row in pixels:
        raw += b"\0"
        for sample in row:
            for value in sample:
                raw += struct.pack(">H", value) if bit_depth == 16 else bytes([value])
    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    with open(path, "wb") as out:
        out.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9))
                  + chunk(b"IEND", b""))


def run(*command):
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)


def main():
    # HEIC through libheif's own encoder (x265); heif-enc carries the JPEG's EXIF block over unchanged.
    for name in ["hida-fire", "orientation-6"]:
        run("heif-enc", "-q", "70", "-o", os.path.join(here, f"{name}.heic"), os.path.join(here, f"{name}.jpg"))

    width, height = 160, 120
    image = displayed_image(width, height)
    # A screenshot: RGB with alpha, its bottom-left quarter fully transparent (white once composited).
    rgba = [[(*pixel, 0 if x < width // 4 and y >= height * 3 // 4 else 255) for x, pixel in enumerate(row)]
            for y, row in enumerate(image)]
    png(os.path.join(here, "screenshot-map.png"), width, height, rgba, colour_type=6)
    # The landslide photo as PNG, with its EXIF (position, time, camera) in an eXIf chunk written by exiftool.
    landslide = os.path.join(here, "hida-landslide.png")
    png(landslide, width, height, image, colour_type=2)
    run("exiftool", "-q", "-overwrite_original", "-TagsFromFile", os.path.join(here, "hida-landslide.jpg"),
        "-EXIF:all", landslide)
    # 16-bit greyscale: reduced to 8 bits and made RGB.
    grey = [[(int(sum(pixel) / 3) * 257,) for pixel in row] for row in image]
    png(os.path.join(here, "grey-16bit.png"), width, height, grey, colour_type=0, bit_depth=16)

    # Cut in transit: the first half of each.
    for name in ["hida-fire.heic", "screenshot-map.png"]:
        with open(os.path.join(here, name), "rb") as source:
            data = source.read()
        stem, extension = os.path.splitext(name)
        with open(os.path.join(here, f"truncated{extension}"), "wb") as out:
            out.write(data[: len(data) // 2])


main()
