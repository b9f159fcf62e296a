"""A small WSGI service for the template's end-to-end tests (served by gunicorn on $PORT).

GET /healthz   -> 200 "ok"
GET /version   -> 200 {"python": "3.12.1", "implementation": "cpython"}
GET /echo?q=.. -> 200 the query, HTML-escaped by markupsafe (a third-party dependency with C speedups)
POST /notes    -> 200 {"id": N, "python": ...}: the body kept as a row of data/notes.db (SQLite) and a
                  file uploads/N.txt; 500 before `python app.py migrate` made the table
GET /notes     -> 200 {"notes": rows, "files": files in uploads/, "python": ...}
Any other path -> 200 {"color": $APP_COLOR, "python": ...}

State on disk, as an app with uploads and an SQLite database keeps it: `python app.py migrate` (the
release command) makes the table; both directories are relative to the working directory.

SAMPLE_FAIL_PERCENT=N answers 500 to about N% of requests (deterministic: every request whose
counter hits the pattern, spread evenly), for fault tests; SAMPLE_SLOW_PERCENT=N delays about N%
by SAMPLE_SLOW_MS (300); SAMPLE_STARTUP_MB=N holds N MiB from the start; SAMPLE_FAULT_PYTHON=X.Y
keeps these faults to that Python version. SAMPLE_HEALTH_REDIRECT=URL makes /healthz redirect
there (as an app behind an https redirect does); SAMPLE_ALLOWED_HOST=NAME answers 400 to any other
Host header (as Django's ALLOWED_HOSTS does).
"""

import itertools
import json
import os
import platform
import sqlite3
import sys
import time
from urllib.parse import parse_qs

from markupsafe import escape

_counter = itertools.count()
# SAMPLE_FAULT_PYTHON=3.12 keeps every fault below to that Python version (a regression of one version).
_FAULTY = os.environ.get("SAMPLE_FAULT_PYTHON", "") in ("", ".".join(platform.python_version_tuple()[:2]))
FAIL_PERCENT = int(os.environ.get("SAMPLE_FAIL_PERCENT", "0")) if _FAULTY else 0
SLOW_PERCENT = int(os.environ.get("SAMPLE_SLOW_PERCENT", "0")) if _FAULTY else 0
SLOW_SECONDS = int(os.environ.get("SAMPLE_SLOW_MS", "300")) / 1000
# SAMPLE_STARTUP_MB=N holds N MiB from the start (memory that starts higher on one version).
_BALLAST = bytearray(int(os.environ.get("SAMPLE_STARTUP_MB", "0")) * 2**20 if _FAULTY else 0)
for _i in range(0, len(_BALLAST), 4096):
    _BALLAST[_i] = 1  # touched, so it is resident


DATABASE = os.path.join("data", "notes.db")
UPLOADS = "uploads"


def _database():
    db = sqlite3.connect(DATABASE, timeout=30)
    db.execute("PRAGMA journal_mode=wal")  # readers do not wait for the writer (two colors, one file)
    return db


def migrate():
    os.makedirs(os.path.dirname(DATABASE), exist_ok=True)
    with _database() as db:
        db.execute("CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT, python TEXT)")
    os.makedirs(UPLOADS, exist_ok=True)


def _notes(environ, start_response):
    python = platform.python_version()
    if environ.get("REQUEST_METHOD") == "POST":
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)).decode()
        try:
            with _database() as db:
                note = db.execute("INSERT INTO notes (body, python) VALUES (?, ?)", (body, python)).lastrowid
        except sqlite3.Error as error:
            return _respond(start_response, "500 Internal Server Error", json.dumps({"error": str(error)}))
        with open(os.path.join(UPLOADS, f"{note}.txt"), "w") as upload:
            upload.write(body)
        return _respond(start_response, "200 OK", json.dumps({"id": note, "python": python}))
    try:
        with _database() as db:
            count = db.execute("SELECT count(*) FROM notes").fetchone()[0]
    except sqlite3.Error as error:
        return _respond(start_response, "500 Internal Server Error", json.dumps({"error": str(error)}))
    files = len(os.listdir(UPLOADS)) if os.path.isdir(UPLOADS) else 0
    return _respond(start_response, "200 OK", json.dumps({"notes": count, "files": files, "python": python}))


def _respond(start_response, status, body, content_type="application/json"):
    data = body.encode()
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(data)))])
    return [data]


def app(environ, start_response):
    path = environ.get("PATH_INFO", "/")
    allowed = os.environ.get("SAMPLE_ALLOWED_HOST")
    if allowed and environ.get("HTTP_HOST", "").split(":")[0] != allowed:
        return _respond(start_response, "400 Bad Request", "Bad Request (400)\n", "text/plain")
    if path == "/healthz" and os.environ.get("SAMPLE_HEALTH_REDIRECT"):
        start_response(
            "301 Moved Permanently",
            [("Location", os.environ["SAMPLE_HEALTH_REDIRECT"]), ("Content-Length", "0")],
        )
        return [b""]
    if path == "/healthz":
        return _respond(start_response, "200 OK", "ok\n", "text/plain")
    if path == "/notes":
        return _notes(environ, start_response)
    count = next(_counter)
    # Spread over every hundred requests (37 is prime to 100), not in a burst at its start: a
    # short window of requests still sees about FAIL_PERCENT of them fail.
    if FAIL_PERCENT and (count * 37) % 100 < FAIL_PERCENT:
        return _respond(start_response, "500 Internal Server Error", '{"error": "injected"}')
    if SLOW_PERCENT and (count * 7) % 100 < SLOW_PERCENT:
        time.sleep(SLOW_SECONDS)
    if path == "/version":
        return _respond(
            start_response,
            "200 OK",
            json.dumps(
                {
                    "python": platform.python_version(),
                    "implementation": platform.python_implementation().lower(),
                }
            ),
        )
    if path == "/echo":
        query = parse_qs(environ.get("QUERY_STRING", "")).get("q", [""])[0]
        return _respond(start_response, "200 OK", str(escape(query)), "text/html")
    return _respond(
        start_response,
        "200 OK",
        json.dumps({"color": os.environ.get("APP_COLOR", ""), "python": platform.python_version()}),
    )


if __name__ == "__main__" and sys.argv[1:] == ["migrate"]:
    migrate()
