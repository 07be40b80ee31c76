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
    malformed["exif-loop.jpg"] = (with_app1(plain, exif_loop()), "bad EXIF")
    malformed["exif-zero-denominator.jpg"] = (with_app1(plain, exif_zero_denominator()), "bad EXIF")
    malformed["exif-offset-out-of-range.jpg"] = (with_app1(plain, exif_out_of_range()), "bad EXIF")
    for name, (data, message) in malformed.items():
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)
        truth[name] = {"error": message, "refused": not message.startswith("bad EXIF")}

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
