#!/usr/bin/env python3
"""Smoke check of a production image of shop: start it, wait for /healthz.

    python3 python-upgrade/smoke.py IMAGE [--path /healthz] [--seconds 60] [-e NAME=VALUE ...]

    DOCKER_BUILDKIT=1 docker build -f python-upgrade/Dockerfile --target production-target -t shop:3.13 .
    python3 python-upgrade/smoke.py shop:3.13

Runs the image as it runs in production (its own CMD and user) on host networking with $PORT set to
a free port, and passes when the path answers 2xx (redirects followed) before the time is up. It
fails, printing the container's log, when the container exits or the path never answers: a wrong
app_command or health_path fails here, in CI, not at the cutover. Stdlib only; $DOCKER names the
client (default: docker).
"""

import argparse
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main(argv=None):
    parser = argparse.ArgumentParser(description="start a production image and wait for its health path")
    parser.add_argument("image")
    parser.add_argument("--path", default="/healthz")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("-e", "--env", action="append", default=[], help="NAME=VALUE for the container")
    args = parser.parse_args(argv)
    docker = os.environ.get("DOCKER", "docker")
    port = free_port()
    command = [docker, "run", "--detach", "--network", "host", "--env", "PORT=%d" % port]
    for item in args.env:
        command += ["--env", item]
    container = subprocess.run(command + [args.image], check=True, capture_output=True, text=True).stdout.strip()
    url = "http://127.0.0.1:%d%s" % (port, args.path)
    last = "no answer"
    try:
        deadline = time.monotonic() + args.seconds
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    print("smoke.py: %s answered %d on %s" % (args.image, response.status, url))
                    return 0
            except urllib.error.HTTPError as error:
                last = "HTTP %d" % error.code
            except OSError as error:
                last = str(error)
            running = subprocess.run([docker, "inspect", "--format", "{{.State.Running}}", container],
                                     capture_output=True, text=True).stdout.strip()
            if running != "true":
                last = "the container exited"
                break
            time.sleep(0.5)
        logs = subprocess.run([docker, "logs", "--tail", "60", container], capture_output=True, text=True)
        print(logs.stdout + logs.stderr, file=sys.stderr)
        print("smoke.py: %s: %s never answered 2xx (%s)" % (args.image, url, last), file=sys.stderr)
        return 1
    finally:
        subprocess.run([docker, "rm", "--force", container], capture_output=True)


if __name__ == "__main__":
    sys.exit(main())
