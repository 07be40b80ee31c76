"""Crash test: mixed load on a real `noroshi serve`, `kill -9` at random moments, and after each round a count of
what was acknowledged against what is stored. Not part of `swift test`; scripts/crash-test.sh runs it.

usage: crash-test.py NOROSHI_BINARY [ROUNDS] [SEED]

Each round: four clients send reports (70 %), photos by plain POST (12 %) and by tus (10 %), and status or
severity changes (8 %) while a loopback chat room takes the deliveries; after 0.5 to 3 s the daemon gets SIGKILL; it is started
again; then every acknowledged report and photo must be stored exactly once, SQLite's integrity_check must say
ok, `noroshi audit verify` must pass, and the photo jobs and the chat outbox must drain. At the end `noroshi check`
compares the whole store with its audit log. Prints one line per round and a summary; exits 1 if anything
acknowledged was lost or duplicated or a check failed.
"""

import base64
import hashlib
import http.client
import http.server
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
binary = os.path.abspath(sys.argv[1])
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 50
rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 17)
with open(os.path.join(ROOT, "Fixtures/photos/chiba-poultry-farm.jpg"), "rb") as f:
    base_photo = f.read()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Room(http.server.BaseHTTPRequestHandler):
    """The loopback chat room: a signed webhook that takes every message."""

    received = 0
    lock = threading.Lock()

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with Room.lock:
            Room.received += 1
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


room_port = free_port()
room = http.server.ThreadingHTTPServer(("127.0.0.1", room_port), Room)
threading.Thread(target=room.serve_forever, daemon=True).start()

work = tempfile.mkdtemp(prefix="noroshi-crash-")
data = os.path.join(work, "data")
port = free_port()
config = os.path.join(work, "noroshi.yaml")
with open(config, "w") as f:
    f.write(
        f"data_dir: {data}\nhttp: {{port: {port}}}\nphotos: {{workers: 2}}\n"
        f"chat:\n  rooms:\n    duty: {{type: webhook, url: 'http://127.0.0.1:{room_port}/hook', "
        "secret_env: NOROSHI_HOOK_SECRET, send_image: false, messages_per_second: 0}\n"
        "  gather_seconds: 0\n  report_update_seconds: 1\n"
    )
environment = dict(os.environ, NOROSHI_HOOK_SECRET="crash-test-secret", NOROSHI_LOG_LEVEL="warning")


def noroshi(*arguments):
    return subprocess.run(
        [binary, *arguments, "--config", config], env=environment, capture_output=True, text=True
    )


def token(role):
    made = noroshi("token", "create", "--role", role, "--name", "crash " + role, "--init", "--json")
    assert made.returncode == 0, made.stderr
    return json.loads(made.stdout)["secret"]


field, hq = token("field"), token("hq")
daemon = None
log = open(os.path.join(work, "daemon.log"), "ab")


def start():
    global daemon
    daemon = subprocess.Popen([binary, "serve", "--config", config], env=environment, stdout=log, stderr=log)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("the daemon did not start; see " + log.name)


def request(method, path, body=b"", headers=None, secret=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    all_headers = {"Authorization": "Bearer " + (secret or field)}
    all_headers.update(headers or {})
    connection.request(method, path, body=body, headers=all_headers)
    response = connection.getresponse()
    return response.status, response.getheaders(), response.read()


def unique_photo():
    """The fixture with a JPEG comment after SOI that makes its bytes (and SHA-256) new."""
    comment = os.urandom(16).hex().encode()
    segment = b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment
    return base_photo[:2] + segment + base_photo[2:]


acknowledged_reports = set()
changes_accepted = [0]
acknowledged_photos = set()
report_ids = []
incidents = []
state_lock = threading.Lock()


def client(round_number, number, stop):
    sent = 0
    while not stop.is_set():
        sent += 1
        roll = rng.random()
        try:
            with state_lock:
                report = rng.choice(report_ids) if report_ids else None
                incident = rng.choice(incidents) if incidents else None
            if roll < 0.70 or report is None:
                key = f"crash-{round_number}-{number}-{sent}"
                body = json.dumps(
                    {
                        "client_key": key, "kind": "fire", "text": f"Smoke, round {round_number}",
                        "latitude": 36.0 + rng.random(), "longitude": 137.0 + rng.random(),
                    }
                ).encode()
                status, _, answer = request("POST", "/v1/reports", body, {"Content-Type": "application/json"})
                if status in (200, 201):
                    stored = json.loads(answer)
                    with state_lock:
                        acknowledged_reports.add(key)
                        report_ids.append(stored["report"]["id"])
                        incidents.append(stored["incident"]["number"])
            elif roll < 0.82:
                photo = unique_photo()
                status, _, _ = request(
                    "POST", f"/v1/reports/{report}/photos", photo, {"Content-Type": "image/jpeg"})
                if status in (200, 201):
                    with state_lock:
                        acknowledged_photos.add((report, hashlib.sha256(photo).hexdigest()))
            elif roll < 0.92:
                photo = unique_photo()
                digest = hashlib.sha256(photo).hexdigest()
                metadata = ",".join(
                    f"{k} {base64.b64encode(v.encode()).decode()}"
                    for k, v in {"report_id": str(report), "filename": "crash.jpg", "sha256": digest}.items()
                )
                status, headers, _ = request(
                    "POST", "/v1/uploads", b"",
                    {"Tus-Resumable": "1.0.0", "Upload-Length": str(len(photo)), "Upload-Metadata": metadata})
                location = dict((k.lower(), v) for k, v in headers).get("location")
                if status == 201 and location:
                    path = location if location.startswith("/") else "/" + location.split("/", 3)[3]
                    status, _, _ = request(
                        "PATCH", path, photo,
                        {"Tus-Resumable": "1.0.0", "Upload-Offset": "0",
                         "Content-Type": "application/offset+octet-stream"})
                    if status == 204:
                        with state_lock:
                            acknowledged_photos.add((report, digest))
            elif incident is not None:
                # A status or a severity: a status the incident cannot move to is refused (422) and changes nothing.
                change = (
                    {"status": rng.choice(["confirmed", "responding", "contained"])}
                    if rng.random() < 0.5 else {"severity": rng.randint(1, 5)})
                body = json.dumps(change).encode()
                status, _, _ = request(
                    "PATCH", f"/v1/incidents/{incident}", body, {"Content-Type": "application/json"}, hq)
                if status == 200:
                    with state_lock:
                        changes_accepted[0] += 1
        except (OSError, http.client.HTTPException, ValueError, KeyError):
            # The daemon died under this request: it was not acknowledged.
            if stop.is_set():
                return
            time.sleep(0.01)


def stored_state():
    database = sqlite3.connect(f"file:{data}/noroshi.sqlite?mode=ro", uri=True, timeout=30)
    keys = database.execute("SELECT client_key, count(*) FROM report GROUP BY client_key").fetchall()
    links = database.execute("SELECT report_id, sha256, count(*) FROM report_photo GROUP BY 1, 2").fetchall()
    integrity = database.execute("PRAGMA integrity_check").fetchone()[0]
    jobs = database.execute("SELECT count(*) FROM photo_job").fetchone()[0]
    waiting = database.execute("SELECT count(*) FROM outbox WHERE state IN ('queued', 'sending')").fetchone()[0]
    database.close()
    return keys, links, integrity, jobs, waiting


start()
totals = {"reports": 0, "photos": 0, "lost": 0, "duplicated": 0, "failed_checks": 0}
print("round  acknowledged: reports photos  stored reports  lost  duplicated  integrity  audit  jobs  outbox")
for round_number in range(1, rounds + 1):
    stop = threading.Event()
    clients = [threading.Thread(target=client, args=(round_number, n, stop)) for n in range(4)]
    for thread in clients:
        thread.start()
    time.sleep(rng.uniform(0.5, 3.0))
    daemon.send_signal(signal.SIGKILL)
    daemon.wait()
    stop.set()
    for thread in clients:
        thread.join()
    start()
    keys, links, integrity, jobs, waiting = stored_state()
    stored_keys = {key for key, _ in keys}
    stored_links = {(report, sha) for report, sha, _ in links}
    lost = len(acknowledged_reports - stored_keys) + len(acknowledged_photos - stored_links)
    duplicated = sum(1 for _, n in keys if n > 1) + sum(1 for _, _, n in links if n > 1)
    audit = noroshi("audit", "verify").returncode == 0
    deadline = time.time() + 60
    while (jobs or waiting) and time.time() < deadline:
        time.sleep(0.5)
        _, _, _, jobs, waiting = stored_state()
    failed = integrity != "ok" or not audit or jobs or waiting
    totals["lost"] += lost
    totals["duplicated"] += duplicated
    totals["failed_checks"] += 1 if failed else 0
    print(
        f"{round_number:5}  {len(acknowledged_reports):10} {len(acknowledged_photos):6}  {len(stored_keys):14}  "
        f"{lost:4}  {duplicated:10}  {integrity:9}  {'ok' if audit else 'FAIL':5}  "
        f"{'done' if not jobs else jobs:4}  {'done' if not waiting else waiting}",
        flush=True,
    )
daemon.send_signal(signal.SIGTERM)
daemon.wait()
# The whole store against itself and its audit log: photo files against their hashes, reports and incidents
# against what the audit log recorded.
check = noroshi("check")
print(check.stdout, end="")
totals["failed_checks"] += 0 if check.returncode == 0 else 1
totals["reports"], totals["photos"] = len(acknowledged_reports), len(acknowledged_photos)
print(
    f"{rounds} rounds, kill -9 in each: {totals['reports']} reports, {totals['photos']} photos and "
    f"{changes_accepted[0]} status or severity changes acknowledged; "
    f"lost {totals['lost']}, duplicated {totals['duplicated']}, rounds with a failed check {totals['failed_checks']}; "
    f"chat room took {Room.received} messages."
)
failed = totals["lost"] or totals["duplicated"] or totals["failed_checks"]
if failed:
    print("data directory, kept for a look:", work)
else:
    shutil.rmtree(work)
sys.exit(1 if failed else 0)
