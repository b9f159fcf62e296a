"""A small WSGI service for the template's end-to-end tests (served by gunicorn on $PORT).

GET /healthz   -> 200 "ok"
GET /version   -> 200 {"python": "3.12.1", "implementation": "cpython"}
GET /echo?q=.. -> 200 the query, HTML-escaped by markupsafe (a third-party dependency with C speedups)
Any other path -> 200 {"color": $APP_COLOR, "python": ...}

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
