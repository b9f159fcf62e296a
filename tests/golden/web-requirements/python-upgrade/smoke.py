#!/usr/bin/env python3
"""Smoke check of a production image: run its release command, start it, wait for its health path.

    python3 python-upgrade/smoke.py [IMAGE] [--path PATH] [--host HOST] [--seconds 60] [-e NAME=VALUE ...]

    DOCKER_BUILDKIT=1 docker build -f python-upgrade/Dockerfile --target production-target -t IMAGE .
    python3 python-upgrade/smoke.py IMAGE

The project's facts come from python-upgrade/smoke.json (rendered from the answers health_path,
probe_host, smoke_env and release_command; edit them there or with `copier update`). The image runs
as it runs in production (its own CMD and user) on host networking, with $PORT set to a free port and
smoke_env as its environment. The release command (migrations) runs first, in a container of the
same image with the same environment, as a deploy would run it.

The check passes when the path answers 2xx before the time is up. Probes send `Host: <probe_host>`
and never follow a redirect. A failure says which it was, with the answer to change: the container
exited, the app refused the host, it redirected (to https, say), it answered 4xx or 5xx, or nothing
answered. Stdlib only; $DOCKER names the client (default: docker).
"""

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

DATA = Path(__file__).with_name("smoke.json")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def probe(port, path, host, timeout=5.0):
    """(status, location, body start) of one GET, redirects not followed; status 0 when nothing answers."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path, headers={"Host": host, "User-Agent": "python-upgrade-smoke"})
        response = connection.getresponse()
        return response.status, response.getheader("Location") or "", response.read(2000).decode("utf-8", "replace")
    except OSError:
        return 0, "", ""
    finally:
        connection.close()


def diagnosis(status, location, body, host, path):
    """What a non-2xx answer means, and the answer (question) to change."""
    if status == 0:
        return "nothing answered on $PORT: check app_command (it must listen on $PORT)"
    if 300 <= status < 400:
        hint = ("an https redirect: turn the app's SSL redirect off in smoke_env (e.g. SECURE_SSL_REDIRECT=false)"
                if location.startswith("https:") else "point health_path at a page that answers itself")
        return "redirected ({}) to {}: {}".format(status, location or "?", hint)
    if status == 400 and ("DisallowedHost" in body or "Invalid HTTP_HOST" in body or "Invalid host" in body
                          or "Bad Request (400)" in body):
        return f"refused the host {host!r} (400): add it to the app's allowed hosts in smoke_env, or change probe_host"
    if 400 <= status < 500:
        return f"answered {status} on {path}: check health_path (and smoke_env if it needs a login or a setting)"
    return f"answered {status}: the app failed (its log is above); check smoke_env and release_command"


def docker_env(env, extra):
    args = []
    for key, value in sorted(env.items()):
        args += ["--env", f"{key}={value}"]
    for item in extra:
        args += ["--env", item]
    return args


def main(argv=None):
    # Read as a source (outside a rendered project) there is no smoke.json: --help still answers.
    data = json.loads(DATA.read_text()) if DATA.is_file() else None
    facts = data or {}
    parser = argparse.ArgumentParser(description="start a production image and wait for its health path")
    parser.add_argument("image", nargs="?", default=facts.get("image"))
    parser.add_argument("--path", default=facts.get("health_path"))
    parser.add_argument("--host", default=facts.get("probe_host"), help="the Host header of the probes")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--no-release", action="store_true", help="skip the release command")
    parser.add_argument("-e", "--env", action="append", default=[], help="NAME=VALUE for the container")
    args = parser.parse_args(argv)
    if data is None:
        parser.error(f"no {DATA}: run it from a project the template was rendered into")
    docker = os.environ.get("DOCKER", "docker")
    env = docker_env(data["env"], args.env)

    if data["release_command"] and not args.no_release:
        print("smoke.py: release command: {}".format(data["release_command"]))
        release = subprocess.run([docker, "run", "--rm", "--network", "host", *env, args.image,
                                  "sh", "-c", data["release_command"]], capture_output=True, text=True, check=False)
        if release.returncode != 0:
            print(release.stdout[-3000:] + release.stderr[-3000:], file=sys.stderr)
            print(f"smoke.py: {args.image}: the release command failed (exit {release.returncode}); "
                  "check release_command and smoke_env", file=sys.stderr)
            return 1

    port = free_port()
    command = [docker, "run", "--detach", "--network", "host", "--env", f"PORT={port}", *env, args.image]
    container = subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip()
    url = f"http://127.0.0.1:{port}{args.path} (Host: {args.host})"
    last = (0, "", "")
    try:
        deadline = time.monotonic() + args.seconds
        while time.monotonic() < deadline:
            last = probe(port, args.path, args.host)
            if 200 <= last[0] < 300:
                print(f"smoke.py: {args.image} answered {last[0]} on {url}")
                return 0
            state = subprocess.run([docker, "inspect", "--format", "{{.State.Running}} {{.State.ExitCode}}", container],
                                   capture_output=True, text=True, check=False).stdout.split()
            if state[:1] != ["true"]:
                reason = "the container exited (code {}): check app_command and smoke_env".format((state[1:] or ["?"])[0])
                break
            if last[0] and not 500 <= last[0] < 600:
                # A redirect, a refused host or a 4xx does not change by waiting.
                reason = diagnosis(*last, args.host, args.path)
                break
            time.sleep(0.5)
        else:
            reason = diagnosis(*last, args.host, args.path)
        logs = subprocess.run([docker, "logs", "--tail", "60", container], capture_output=True, text=True,
                              check=False)
        print(logs.stdout + logs.stderr, file=sys.stderr)
        print(f"smoke.py: {args.image}: {url} never answered 2xx: {reason}", file=sys.stderr)
        return 1
    finally:
        subprocess.run([docker, "rm", "--force", "--volumes", container], capture_output=True, check=False)


if __name__ == "__main__":
    sys.exit(main())
