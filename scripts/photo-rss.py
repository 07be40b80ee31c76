"""Photo copy jobs and the daemon's memory: uploads N distinct small photos to a real `noroshi serve`, waits for
their copies, and prints the daemon's resident size (VmRSS) every STEP photos. Issue 17 measured growth of about
5 KB per copy job that never came back (56 → 530 MB over 24,000 photos); the goal is flat within 20 MB.

usage: photo-rss.py NOROSHI_BINARY [PHOTOS (24000)] [STEP (2000)]
"""
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
binary = os.path.abspath(sys.argv[1])
total = int(sys.argv[2]) if len(sys.argv) > 2 else 24000
step = int(sys.argv[3]) if len(sys.argv) > 3 else 2000
with open(os.path.join(ROOT, "Fixtures/photos/chiba-poultry-farm.jpg"), "rb") as f:
    base = f.read()

with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
work = tempfile.mkdtemp(prefix="noroshi-rss-")
data = os.path.join(work, "data")
env = dict(os.environ, NOROSHI_LOG_LEVEL="warning")
made = subprocess.run(
    [binary, "token", "create", "--role", "field", "--name", "rss", "--init", "--json", "--data-dir", data],
    env=env, capture_output=True, text=True, check=True)
token = json.loads(made.stdout)["secret"]
daemon = subprocess.Popen(
    [binary, "serve", "--data-dir", data, "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
    stderr=subprocess.DEVNULL)


def request(method, path, body=b"", kind="application/json"):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request(method, path, body=body, headers={"Authorization": "Bearer " + token, "Content-Type": kind})
    response = connection.getresponse()
    return response.status, response.read()


def memory():
    values = {}
    with open(f"/proc/{daemon.pid}/status") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "RssAnon", "RssFile"):
                values[key] = int(rest.split()[0]) / 1024
    return values


def line(n):
    values = memory()
    return f"{n:6}  {values['VmRSS']:8.1f}  {values['RssAnon']:8.1f}  {values['RssFile']:8.1f}"


def jobs_left():
    import sqlite3
    database = sqlite3.connect(f"file:{data}/noroshi.sqlite?mode=ro", uri=True, timeout=30)
    left = database.execute("SELECT count(*) FROM photo_job").fetchone()[0]
    database.close()
    return left


for _ in range(100):
    try:
        if request("GET", "/healthz")[0] == 200:
            break
    except OSError:
        time.sleep(0.1)
status, answer = request(
    "POST", "/v1/reports",
    json.dumps({"client_key": "rss", "kind": "fire", "latitude": 36.1, "longitude": 137.2, "text": "Smoke"}).encode())
report = json.loads(answer)["report"]["id"]
print(f"photos  RSS (MB)  anonymous  file-backed   (photo {len(base)} bytes, distinct by a JPEG comment)")
print(line(0), flush=True)
started = time.time()
for n in range(1, total + 1):
    comment = b"%012d" % n
    photo = base[:2] + b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment + base[2:]
    status, _ = request("POST", f"/v1/reports/{report}/photos", photo, "image/jpeg")
    assert status == 201, status
    if n % step == 0:
        while jobs_left():
            time.sleep(0.2)
        print(line(n), flush=True)
print(f"{total} photos and their copies in {time.time() - started:.0f} s")
daemon.terminate()
daemon.wait()
subprocess.run(["rm", "-rf", work])
