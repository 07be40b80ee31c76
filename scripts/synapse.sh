#!/usr/bin/env bash
# A throwaway Matrix homeserver for the Matrix connector's tests: Synapse from PyPI in a virtual
# environment, SQLite, listening only on 127.0.0.1, serving only the client API.
#
#   scripts/synapse.sh start DIR [PORT]   install (once), configure (once per DIR), start, wait until it
#                                         answers, create the users; prints the base URL
#   scripts/synapse.sh stop DIR
#   scripts/synapse.sh install            only install it (scripts/install-deps.sh --tests does, so that
#                                         the test run does not build it beside the tests)
#
# With SYNAPSE_PARENT_PID set, the homeserver is stopped (and DIR removed) when that process ends: the
# test helper sets it, so no homeserver outlives the test run.
#
# Users (password "noroshi-test-password"): `admin` (server admin), `noroshi` (the bot) and `hq`
# (a person in the room). Rate limits for logins, registrations and joins are raised so tests can
# log in freely; the message limit keeps Synapse's default (0.2/s, burst 10) so one test can meet a
# 429 — tests lift it per user with the admin API (override_ratelimit) where they need speed.
# The virtual environment is kept in .build-synapse/venv (git-ignored) and reused.
set -euo pipefail
# Close every descriptor inherited beyond stdio (255 is bash's own hold on this script): the homeserver and
# the watcher outlive this script, and an inherited end of someone else's pipe (a test running a CLI at the
# same moment) would keep that pipe open, and its reader waiting, for as long as they run.
for fd in /proc/$$/fd/*; do
    fd="${fd##*/}"
    if [ "$fd" -gt 2 ] && [ "$fd" -ne 255 ]; then eval "exec $fd>&-" 2>/dev/null || true; fi
done
root="$(cd "$(dirname "$0")/.." && pwd)"
usage() { echo "usage: scripts/synapse.sh start DIR [PORT] | stop DIR | install" >&2; exit 2; }
command="${1:-}"
dir="${2:-}"
port="${3:-8008}"
venv="$root/.build-synapse/venv"
password="noroshi-test-password"
install_synapse() {
    if [ ! -x "$venv/bin/register_new_matrix_user" ]; then
        "$root/scripts/install-deps.sh" python3 python3-venv curl >&2
        echo "Installing Synapse into $venv (about a minute)…" >&2
        python3 -m venv "$venv"
        "$venv/bin/pip" install --quiet --disable-pip-version-check matrix-synapse >&2
    fi
}
if [ "$command" = "install" ]; then
    install_synapse
    exit 0
fi
[ -n "$command" ] && [ -n "$dir" ] || usage

case "$command" in
start)
    install_synapse
    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd)"
    config="$dir/homeserver.yaml"
    if [ ! -f "$config" ]; then
        (cd "$dir" && "$venv/bin/python" -m synapse.app.homeserver --server-name noroshi.test \
            --config-path "$config" --generate-config --report-stats=no >/dev/null)
        "$venv/bin/python" - "$config" "$port" "$dir" <<'PY'
import sys, yaml
path, port, directory = sys.argv[1], int(sys.argv[2]), sys.argv[3]
config = yaml.safe_load(open(path))
config["listeners"] = [{
    "port": port, "bind_addresses": ["127.0.0.1"], "type": "http", "tls": False,
    "x_forwarded": False, "resources": [{"names": ["client"], "compress": False}],
}]
config["trusted_key_servers"] = []
config["federation_domain_whitelist"] = []
config["suppress_key_server_warning"] = True
config["bcrypt_rounds"] = 4
config["enable_registration"] = False
config["max_upload_size"] = "50M"
config["url_preview_enabled"] = False
lots = {"per_second": 1000, "burst_count": 1000}
config["rc_login"] = {"address": lots, "account": lots, "failed_attempts": lots}
config["rc_registration"] = lots
config["rc_joins"] = {"local": lots, "remote": lots}
config["rc_invites"] = {"per_room": lots, "per_user": lots, "per_issuer": lots}
# Logs to a file in DIR, not the terminal.
config["log_config"] = directory + "/log.yaml"
open(directory + "/log.yaml", "w").write(
    "version: 1\n"
    "formatters: {plain: {format: '%(asctime)s %(levelname)s %(name)s %(message)s'}}\n"
    "handlers: {file: {class: logging.FileHandler, filename: " + directory + "/homeserver.log, formatter: plain}}\n"
    "root: {level: WARNING, handlers: [file]}\n"
    "disable_existing_loggers: false\n")
yaml.safe_dump(config, open(path, "w"))
PY
    fi
    if [ -f "$dir/homeserver.pid" ] && kill -0 "$(cat "$dir/homeserver.pid")" 2>/dev/null; then
        echo "Synapse already runs for $dir" >&2
    else
        (cd "$dir" && "$venv/bin/python" -m synapse.app.homeserver --config-path "$config" --daemonize \
            </dev/null >>"$dir/stdio.log" 2>&1)
    fi
    if [ -n "${SYNAPSE_PARENT_PID:-}" ]; then
        # Stop the homeserver when the process that asked for it ends, however it ends.
        nohup bash -c 'while kill -0 "$1" 2>/dev/null; do sleep 2; done; "$2" stop "$3"; rm -rf "$3"' _ \
            "$SYNAPSE_PARENT_PID" "$root/scripts/synapse.sh" "$dir" </dev/null >/dev/null 2>&1 &
    fi
    url="http://127.0.0.1:$port"
    for _ in $(seq 1 120); do
        curl -fsS "$url/_matrix/client/versions" >/dev/null 2>&1 && break
        sleep 0.5
    done
    curl -fsS "$url/_matrix/client/versions" >/dev/null || {
        echo "synapse.sh: Synapse did not answer on $url; see $dir/homeserver.log" >&2
        exit 1
    }
    if [ ! -f "$dir/users-created" ]; then
        for user in admin noroshi hq; do
            admin=$([ "$user" = admin ] && echo --admin || echo --no-admin)
            "$venv/bin/register_new_matrix_user" -c "$config" -u "$user" -p "$password" "$admin" "$url" >/dev/null
        done
        touch "$dir/users-created"
    fi
    echo "$url"
    ;;
stop)
    if [ -f "$dir/homeserver.pid" ]; then
        pid="$(cat "$dir/homeserver.pid")"
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 25); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
        # A graceful stop can wait on open requests; an outage in a test needs it gone now.
        kill -9 "$pid" 2>/dev/null || true
        while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
        rm -f "$dir/homeserver.pid"
    fi
    ;;
*)
    usage
    ;;
esac
