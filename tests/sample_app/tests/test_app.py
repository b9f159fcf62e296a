import json
import sys

from app import app


def call(path, query=""):
    seen = {}

    def start_response(status, headers):
        seen["status"] = status

    body = b"".join(app({"PATH_INFO": path, "QUERY_STRING": query}, start_response))
    return seen["status"], body.decode()


def test_reports_the_interpreter():
    print("sample tests on Python", sys.version)
    status, body = call("/version")
    assert status == "200 OK"
    assert json.loads(body)["python"].startswith(f"{sys.version_info[0]}.{sys.version_info[1]}.")


def test_health():
    assert call("/healthz") == ("200 OK", "ok\n")


def test_echo_escapes_html():
    assert call("/echo", "q=%3Cb%3E")[1] == "&lt;b&gt;"
