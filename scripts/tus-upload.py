"""Uploads a photo to a Noroshi report with tuspy, the tus project's Python client (scripts/tuspy.sh installs it).

usage: tus-upload.py SERVER TOKEN FILE REPORT_ID [CHUNK_BYTES [STOP_AT]]

Each chunk carries an Upload-Checksum; tuspy's default algorithm is sha1, and Noroshi's is sha256, so the
uploader is told to use sha256. With STOP_AT the upload stops at that byte and prints the upload URL, to be
resumed by a second run given the URL through TUS_URL. Prints "URL OFFSET" at the end.
"""

import hashlib
import os
import sys

from tusclient import client
from tusclient.uploader import Uploader


class SHA256Uploader(Uploader):
    CHECKSUM_ALGORITHM_PAIR = ("sha256", hashlib.sha256)


server, token, path, report = sys.argv[1:5]
chunk = int(sys.argv[5]) if len(sys.argv) > 5 else 64 * 1024
stop_at = int(sys.argv[6]) if len(sys.argv) > 6 else None
with open(path, "rb") as f:
    digest = hashlib.sha256(f.read()).hexdigest()
tus = client.TusClient(server + "/v1/uploads", headers={"Authorization": "Bearer " + token})
uploader = SHA256Uploader(
    file_path=path,
    client=tus,
    url=os.environ.get("TUS_URL"),
    chunk_size=chunk,
    upload_checksum=True,
    metadata={"report_id": report, "filename": os.path.basename(path), "sha256": digest},
)
uploader.upload(stop_at=stop_at)
print(uploader.url, uploader.offset)
