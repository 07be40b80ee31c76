"""Writes Noroshi's photo fixtures. Run through generate.sh; see fixtures.json for the truth."""

import json
import os
import struct
import subprocess
import sys
import tempfile

W, H = 160, 120  # displayed size of the small fixtures (landscape)
RED, BLUE, GREEN = (220, 20, 20), (20, 20, 220), (40, 160, 60)


def displayed_image(width, height):
    """The image as a viewer should show it: red block top-left, blue block bottom-right, green elsewhere."""
    bw, bh = width // 4, height // 4
    rows = []
    for y in range(height):
        row = []
        for x in range(width):
            if x < bw and y < bh:
                row.append(RED)
            elif x >= width - bw and y >= height - bh:
                row.append(BLUE)
            else:
                row.append(GREEN)
        rows.append(row)
    return rows


def flip_h(img):
    return [list(reversed(r)) for r in img]


def flip_v(img):
    return list(reversed(img))


def transpose(img):
    return [list(col) for col in zip(*img)]


def rot90cw(img):
    return flip_h(transpose(img))


def rot90ccw(img):
    return flip_v(transpose(img))


# How a viewer turns the stored pixels into the displayed image, for each EXIF orientation.
DISPLAY = {
    1: lambda i: i,
    2: flip_h,
    3: lambda i: flip_v(flip_h(i)),
    4: flip_v,
    5: transpose,
    6: rot90cw,
    7: lambda i: rot90cw(flip_h(i)),
    8: rot90ccw,
}


def stored(n, img):
    """The stored pixels that DISPLAY[n] turns into `img`: the one DISPLAY transform that undoes it."""
    probe = [[(x, y, 0) for x in range(3)] for y in range(2)]  # asymmetric: only the identity fixes it
    for undo in DISPLAY.values():
        if DISPLAY[n](undo(probe)) == probe:
            return undo(img)
    raise SystemExit(f"no inverse for orientation {n}")


def write_ppm(path, img):
    height, width = len(img), len(img[0])
    with open(path, "wb") as f:
        f.write(b"P6\n%d %d\n255\n" % (width, height))
        f.write(bytes(c for row in img for px in row for c in px))


def cjpeg(img, out, *options):
    with tempfile.NamedTemporaryFile(suffix=".ppm") as ppm:
        write_ppm(ppm.name, img)
        subprocess.run(["cjpeg", "-quality", "90", *options, "-outfile", out, ppm.name], check=True)


def exiftool(path, *tags):
    subprocess.run(["exiftool", "-q", "-overwrite_original", *tags, path], check=True)


def dms(value):
    return abs(value)


def main():
    folder = sys.argv[1]
    truth = {}

    # Every orientation: stored pixels such that applying the orientation shows red top-left.
    for n in range(1, 9):
        name = f"orientation-{n}.jpg"
        path = os.path.join(folder, name)
        cjpeg(stored(n, displayed_image(W, H)), path)
        exiftool(path, f"-Orientation#={n}", "-Make=Noroshi fixtures", "-Model=orientation test")
        stored_w, stored_h = (H, W) if n >= 5 else (W, H)
        truth[name] = {"width": stored_w, "height": stored_h, "orientation": n,
                       "make": "Noroshi fixtures", "model": "orientation test"}

    # Field photos with positions from our stories, known times and cameras, both byte orders.
    stories = [
        ("hida-fire.jpg", 36.146100, 137.252200, 573.0, "2026:11:21 09:30:05", "+09:00", "120",
         "OM Digital Solutions", "TG-7", "II", []),
        ("hida-landslide.jpg", 36.238100, 137.186000, 812.5, "2026:07:03 05:12:40", "+09:00", None,
         "Apple", "iPhone 15", "MM", ["-progressive"]),
        ("chiba-poultry-farm.jpg", 35.607400, 140.106500, 21.0, "2026:01:15 14:02:00", None, None,
         "SONY", "ILCE-7M4", "II", ["-arithmetic"]),
        ("south-west.jpg", -33.856800, -70.651000, -3.0, "2026:03:01 23:59:59", "-04:00", "5",
         "Canon", "EOS R6", "MM", ["-grayscale"]),
    ]
    for (name, lat, lon, alt, when, offset, subsec, make, model, order, options) in stories:
        path = os.path.join(folder, name)
        cjpeg(displayed_image(W, H), path, *options)
        tags = [
            f"-ExifByteOrder={order}", f"-Make={make}", f"-Model={model}", "-Orientation#=1",
            f"-DateTimeOriginal={when}",
            f"-GPSLatitude={dms(lat)}", f"-GPSLatitudeRef={'N' if lat >= 0 else 'S'}",
            f"-GPSLongitude={dms(lon)}", f"-GPSLongitudeRef={'E' if lon >= 0 else 'W'}",
            f"-GPSAltitude={abs(alt)}", f"-GPSAltitudeRef#={0 if alt >= 0 else 1}",
        ]
        if offset:
            tags.append(f"-OffsetTimeOriginal={offset}")
        if subsec:
            tags.append(f"-SubSecTimeOriginal={subsec}")
        exiftool(path, *tags)
        truth[name] = {"width": W, "height": H, "orientation": 1, "gps_lat": lat, "gps_lon": lon,
                       "altitude": alt, "datetime_original": when, "offset_time_original": offset,
                       "subsec_time_original": subsec, "make": make, "model": model,
                       "grayscale": "-grayscale" in options, "progressive": "-progressive" in options,
                       "arithmetic": "-arithmetic" in options}

    # No EXIF at all.
    path = os.path.join(folder, "no-exif.jpg")
    cjpeg(displayed_image(W, H), path)
    truth["no-exif.jpg"] = {"width": W, "height": H}

    # Malformed files, each with the start of the message Noroshi gives.
    base = open(os.path.join(folder, "hida-fire.jpg"), "rb").read()
    plain = open(os.path.join(folder, "no-exif.jpg"), "rb").read()
    malformed = {}
    malformed["empty.jpg"] = (b"", "the file is empty")
    malformed["truncated.jpg"] = (base[:300], "not a readable JPEG")
    malformed["not-a-jpeg.jpg"] = (b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "not a readable PNG")
    malformed["absurd-dimensions.jpg"] = (patch_dimensions(plain, 60000, 60000), "the image is 60000×60000")
    for name, (data, message) in malformed.items():
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)
        truth[name] = {"error": message, "refused": not message.startswith("bad EXIF")}
    damaged(folder, plain, truth)

    with open(os.path.join(folder, "fixtures.json"), "w") as f:
        json.dump(truth, f, indent=2, sort_keys=True, ensure_ascii=False)
        f.write("\n")

    if len(sys.argv) >= 4 and sys.argv[2] == "--large":
        large(sys.argv[3])


def patch_dimensions(jpeg, width, height):
    """Rewrites the frame header's height and width (SOF0/SOF2 marker) to absurd values."""
    data = bytearray(jpeg)
    i = 2
    while i < len(data):
        marker = data[i + 1]
        length = struct.unpack(">H", data[i + 2:i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            struct.pack_into(">HH", data, i + 5, height, width)
            return bytes(data)
        i += 2 + length
    raise SystemExit("no SOF marker")


def with_app1(jpeg, tiff):
    payload = b"Exif\0\0" + tiff
    segment = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    return jpeg[:2] + segment + jpeg[2:]


def ifd(entries, next_offset=0):
    out = struct.pack("<H", len(entries))
    for tag, typ, count, value in entries:
        out += struct.pack("<HHII", tag, typ, count, value)
    return out + struct.pack("<I", next_offset)


def tiff(ifds, order="<"):
    """A TIFF block: `ifds` is a list of entry lists, IFD0 first; an entry is (tag, type, value) where value is
    bytes (stored inline when 4 bytes or fewer, else after the IFDs), an int (inline), or ("ifd", n) for the
    offset of IFD n. Offsets are computed, so each case below states only what it damages."""
    sizes = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 7: 1, 9: 4, 10: 8}
    offsets, at = [], 8
    for entries in ifds:
        offsets.append(at)
        at += 2 + 12 * len(entries) + 4
    data, data_at = b"", at
    out = (b"II*\0" if order == "<" else b"MM\0*") + struct.pack(order + "I", 8)
    for entries in ifds:
        out += struct.pack(order + "H", len(entries))
        for tag, typ, value in entries:
            if isinstance(value, tuple):
                value = offsets[value[1]]
            if isinstance(value, int):
                packed = struct.pack(order + ("H" if typ == 3 else "i" if typ == 9 else "I"), value).ljust(4, b"\0")
                out += struct.pack(order + "HHI", tag, typ, 1) + packed
                continue
            count = len(value) // sizes[typ]
            if len(value) <= 4:
                out += struct.pack(order + "HHI", tag, typ, count) + value.ljust(4, b"\0")
            else:
                out += struct.pack(order + "HHII", tag, typ, count, data_at + len(data))
                data += value + (b"\0" if len(value) % 2 else b"")
        out += struct.pack(order + "I", 0)
    return out + data


def rationals(*pairs):
    return b"".join(struct.pack("<II", n, d) for n, d in pairs)


def text(value):
    return value.encode() + b"\0"


# exiftool's reading of each damaged block (checked when the fixtures are made): what is read, and which of
# Noroshi's parts are lost.
CAMERA = [(0x010F, 2, text("Noroshi fixtures")), (0x0110, 2, text("damage test"))]
TIME = [(0x9003, 2, text("2026:11:21 09:30:05")), (0x9011, 2, text("+09:00"))]
HIDA = [(0x0001, 2, text("N")), (0x0002, 5, rationals((36, 1), (8, 1), (4596, 100))),
        (0x0003, 2, text("E")), (0x0004, 5, rationals((137, 1), (15, 1), (792, 100)))]


def damaged(folder, plain, truth):
    """Photos whose EXIF is damaged in one part: the rest must still be read, as exiftool reads it."""
    camera = {"make": "Noroshi fixtures", "model": "damage test"}
    time = {"datetime_original": "2026:11:21 09:30:05", "offset_time_original": "+09:00"}
    hida = {"gps_lat": 36.146100, "gps_lon": 137.252200}
    cases = {
        # A GPS directory that points outside the block: time, orientation and camera remain.
        "exif-gps-outside.jpg": (
            tiff([CAMERA + [(0x0112, 3, 6), (0x8769, 4, ("ifd", 1)), (0x8825, 4, 0x00FFFFF0)], TIME]),
            {**camera, **time, "orientation": 6, "unreadable": ["position"]}),
        # One zero denominator (the altitude): the position remains.
        "exif-zero-denominator-altitude.jpg": (
            tiff([CAMERA + [(0x8825, 4, ("ifd", 1))], HIDA + [(0x0006, 5, rationals((573, 0)))]]),
            {**camera, **hida, "unreadable": ["altitude"]}),
        # The GPS pointer stored as a signed LONG.
        "exif-gps-signed-pointer.jpg": (
            tiff([CAMERA + [(0x8825, 9, ("ifd", 1))], HIDA]), {**camera, **hida}),
        # GPS coordinates written as text, one as decimal degrees, one as degrees, minutes and seconds.
        "exif-gps-text.jpg": (
            tiff([CAMERA + [(0x8825, 4, ("ifd", 1))],
                  [(0x0001, 2, text("N")), (0x0002, 2, text("36.1461")), (0x0003, 2, text("E")),
                   (0x0004, 2, text("137 15 7.92"))]]),
            {**camera, **hida}),
        # No orientation tag: upright.
        "exif-no-orientation.jpg": (tiff([CAMERA]), {**camera}),
        # A maker note pointing far outside the block: it alone is skipped.
        "exif-makernote-outside.jpg": (
            tiff([CAMERA + [(0x8769, 4, ("ifd", 1))], TIME + [(0x927C, 7, b"\0" * 16)]]),
            {**camera, **time}),
    }
    for name, (block, expected) in cases.items():
        if name == "exif-makernote-outside.jpg":
            block = bytearray(block)
            # Point the maker note's value (the last entry's offset field in the Exif IFD) past the end.
            exif_at = 8 + 2 + 12 * 3 + 4
            entry = exif_at + 2 + 12 * 2
            struct.pack_into("<I", block, entry + 8, 0x7FFFFF00)
            block = bytes(block)
        write_damaged(folder, name, with_app1(plain, block), expected, truth)
    # Several APP1 segments: XMP first (Adobe's prefix), then EXIF, whose orientation is 3.
    xmp = b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta xmlns:x='adobe:ns:meta/'/>"
    xmp_segment = b"\xff\xe1" + struct.pack(">H", len(xmp) + 2) + xmp
    exif = with_app1(plain, tiff([CAMERA + [(0x0112, 3, 3)]]))
    write_damaged(folder, "exif-several-app1.jpg", exif[:2] + xmp_segment + exif[2:],
                  {**camera, "orientation": 3}, truth)
    # The older hostile blocks: each loses only its part now.
    write_damaged(folder, "exif-loop.jpg", with_app1(plain, exif_loop()),
                  {"orientation": 6, "unreadable": ["time"]}, truth)
    write_damaged(folder, "exif-zero-denominator.jpg", with_app1(plain, exif_zero_denominator()),
                  {"unreadable": ["position"]}, truth)
    write_damaged(folder, "exif-offset-out-of-range.jpg", with_app1(plain, exif_out_of_range()),
                  {"unreadable": ["camera"]}, truth)


def write_damaged(folder, name, data, expected, truth):
    path = os.path.join(folder, name)
    with open(path, "wb") as f:
        f.write(data)
    truth[name] = {"width": W, "height": H, **expected}
    agree_with_exiftool(path, expected)


def agree_with_exiftool(path, expected):
    """The truth of a damaged fixture is what exiftool reads from it (for the parts Noroshi reads)."""
    tags = ["-Make", "-Model", "-Orientation", "-DateTimeOriginal", "-OffsetTimeOriginal", "-GPSLatitude",
            "-GPSLongitude"]
    read = json.loads(subprocess.run(["exiftool", "-j", "-n", *tags, path], check=True,
                                     capture_output=True, text=True).stdout)[0]
    pairs = [("make", "Make"), ("model", "Model"), ("datetime_original", "DateTimeOriginal"),
             ("offset_time_original", "OffsetTimeOriginal")]
    for ours, theirs in pairs:
        if expected.get(ours) != read.get(theirs):
            raise SystemExit(f"{path}: {ours} {expected.get(ours)!r}, exiftool reads {read.get(theirs)!r}")
    if expected.get("orientation", 1) != read.get("Orientation", 1):
        raise SystemExit(f"{path}: orientation {expected.get('orientation')}, exiftool {read.get('Orientation')}")
    for ours, theirs in [("gps_lat", "GPSLatitude"), ("gps_lon", "GPSLongitude")]:
        if ours in expected and abs(expected[ours] - float(read.get(theirs, "nan"))) > 1e-5:
            raise SystemExit(f"{path}: {ours} {expected[ours]}, exiftool reads {read.get(theirs)!r}")


def exif_loop():
    """IFD0's Exif pointer points back at IFD0."""
    return b"II*\0" + struct.pack("<I", 8) + ifd([(0x0112, 3, 1, 6), (0x8769, 4, 1, 8)])


def exif_zero_denominator():
    """A GPS latitude whose minutes rational has a zero denominator."""
    header = b"II*\0" + struct.pack("<I", 8)
    ifd0_size = 2 + 12 + 4
    gps_at = 8 + ifd0_size
    gps_size = 2 + 4 * 12 + 4
    values_at = gps_at + gps_size
    ifd0 = ifd([(0x8825, 4, 1, gps_at)])
    gps = ifd([(0x0001, 2, 2, ord("N")), (0x0002, 5, 3, values_at),
               (0x0003, 2, 2, ord("E")), (0x0004, 5, 3, values_at + 24)])
    values = struct.pack("<6I", 36, 1, 8, 0, 46, 1) + struct.pack("<6I", 137, 1, 15, 1, 8, 1)
    return header + ifd0 + gps + values


def exif_out_of_range():
    """A Make string whose offset points far past the end of the block, and a huge entry count."""
    return b"II*\0" + struct.pack("<I", 8) + ifd([(0x010F, 2, 40, 0x7FFFFFF0)])


def large(folder):
    """A 4032×3024 photo of about 3 MB, turned by EXIF orientation 6 as phones do: a fractal "plasma"
    landscape with sensor-like noise and a few hard edges, so both smooth areas and detail are there.
    Made with ImageMagick (/usr/bin/convert, seeded, so the same every time) and encoded by cjpeg."""
    w, h = 4032, 3024
    path = os.path.join(folder, "large-12mp.jpg")
    with tempfile.NamedTemporaryFile(suffix=".ppm") as ppm:
        subprocess.run(["/usr/bin/convert", "-seed", "7", "-size", f"{w}x{h}", "plasma:fractal",
                        "-blur", "0x1", "-seed", "7", "-attenuate", "0.25", "+noise", "Gaussian",
                        "-fill", "none", "-stroke", "black", "-strokewidth", "6",
                        "-draw", "rectangle 600,500 1800,1400", "-draw", "line 0,3000 4000,200",
                        "-stroke", "white", "-strokewidth", "3", "-draw", "circle 3000,1500 3000,2300",
                        "ppm:" + ppm.name], check=True)
        subprocess.run(["cjpeg", "-quality", "92", "-outfile", path, ppm.name], check=True)
    exiftool(path, "-Orientation#=6", "-Make=Noroshi fixtures", "-Model=large",
             "-GPSLatitude=36.1461", "-GPSLatitudeRef=N", "-GPSLongitude=137.2522", "-GPSLongitudeRef=E")
    print(path)


if __name__ == "__main__":
    main()
