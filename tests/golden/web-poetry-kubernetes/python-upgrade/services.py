#!/usr/bin/env python3
"""Start and stop the backing services the tests need (python-upgrade/services.json, the
test_services answer), as containers, for tox and for the Docker test stages.

    python3 python-upgrade/services.py up      # start each one (or reuse it) and wait until it is ready
    python3 python-upgrade/services.py down    # remove the containers `up` started
    python3 python-upgrade/services.py list    # what services.json holds

Each service runs as the container python-upgrade-<project>-<name>, published on localhost:<port>.
A port that already answers (a database of your own, CI's services:) is used as it is and nothing
is started. `--network host` (or PYTHON_UPGRADE_SERVICES_NETWORK=host) runs the containers on the
host's network instead of publishing ports, for engines without a bridge network. The Docker test
stages reach the services through the build's host network:

    python3 python-upgrade/services.py up
    DOCKER_BUILDKIT=1 docker build --network host -f python-upgrade/Dockerfile --target all .

Stdlib only; $DOCKER names the client (default: docker). A service that does not get ready in
--seconds fails with its log and one line naming it.
"""

import argparse
import json
import os
import shlex
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

DATA = Path(__file__).with_name("services.json")


def load(path=DATA):
    data = json.loads(path.read_text())
    return data["project"], data["services"]


def answers(port, host="127.0.0.1"):
    """True when something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def container_name(project, name):
    return f"python-upgrade-{project}-{name}"


def run_command(docker, project, name, spec, network):
    """The `docker run` that starts one service."""
    command = [docker, "run", "--detach", "--name", container_name(project, name),
               "--label", f"python-upgrade.project={project}"]
    if network == "host":
        command += ["--network", "host"]
    else:
        command += ["--publish", "127.0.0.1:{}:{}".format(spec["port"], spec.get("container_port", spec["port"]))]
    for key, value in sorted(spec.get("env", {}).items()):
        command += ["--env", f"{key}={value}"]
    command.append(spec["image"])
    # The image's own entrypoint gets the command's words, as compose's `command:` does.
    return command + shlex.split(spec.get("command", ""))


def state(docker, name):
    """'running', 'exited', ... or '' when there is no such container (or no docker client)."""
    try:
        result = subprocess.run([docker, "inspect", "--format", "{{.State.Status}}", name], capture_output=True, text=True, check=False)
    except FileNotFoundError:
        return ""
    return result.stdout.strip() if result.returncode == 0 else ""


def listen_port(spec, network):
    """Where the tests reach the service: its published port, or on the host's network its own."""
    return spec.get("container_port", spec["port"]) if network == "host" else spec["port"]


def ready(docker, container, spec, port):
    """The service's health command succeeds in its container (else: its port answers)."""
    if spec.get("health"):
        result = subprocess.run([docker, "exec", container, "sh", "-c", spec["health"]], capture_output=True, check=False)
        return result.returncode == 0 and answers(port)
    return answers(port)


def up(docker, project, services, network, seconds):
    for name, spec in services.items():
        container, port = container_name(project, name), listen_port(spec, network)
        status = state(docker, container)
        if status != "running" and answers(port):
            print(f"services.py: {name}: localhost:{port} already answers; using it as it is")
            continue
        if status and status != "running":
            subprocess.run([docker, "rm", "--force", container], capture_output=True, check=False)
            status = ""
        if not status:
            if shutil.which(docker) is None:
                print(("services.py: {}: nothing answers on localhost:{} and there is no docker client ({}) to start {};"
                      " start it yourself or set $DOCKER").format(name, port, docker, spec["image"]), file=sys.stderr)
                return 1
            started = subprocess.run(run_command(docker, project, name, spec, network), capture_output=True,
                                     text=True, check=False)
            if started.returncode != 0:
                reason = (started.stderr.strip().splitlines() or ["no reason given"])[-1]
                print(f"services.py: {name}: docker run {spec['image']} failed ({reason}); "
                      f"check test_services.{name}.image", file=sys.stderr)
                return 1
        deadline = time.monotonic() + seconds
        while not ready(docker, container, spec, port):
            if state(docker, container) != "running" or time.monotonic() > deadline:
                logs = subprocess.run([docker, "logs", "--tail", "40", container], capture_output=True, text=True,
                                      check=False)
                print(logs.stdout + logs.stderr, file=sys.stderr)
                why = "exited" if state(docker, container) != "running" else f"is not ready after {seconds:g}s"
                print(f"services.py: {name} ({spec['image']}) {why} on localhost:{port}; check test_services.{name}",
                      file=sys.stderr)
                return 1
            time.sleep(0.5)
        print("services.py: {} ({}) ready on localhost:{}".format(name, spec["image"], port))
    return 0


def down(docker, project, services):
    for name in services:
        subprocess.run([docker, "rm", "--force", "--volumes", container_name(project, name)], capture_output=True,
                       check=False)
        print(f"services.py: {name} removed")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description="start or stop the tests' backing services")
    parser.add_argument("action", choices=["up", "down", "list"])
    parser.add_argument("--network", default=os.environ.get("PYTHON_UPGRADE_SERVICES_NETWORK", "publish"),
                        choices=["publish", "host"])
    parser.add_argument("--seconds", type=float, default=90.0)
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args(argv)
    if not args.data.is_file():
        parser.error(f"no {args.data}: run it from a project the template was rendered into, or give --data")
    project, services = load(args.data)
    docker = os.environ.get("DOCKER", "docker")
    if args.action == "list":
        for name, spec in services.items():
            print("{}\t{}\tlocalhost:{}".format(name, spec["image"], spec["port"]))
        return 0
    if args.action == "down":
        return down(docker, project, services)
    return up(docker, project, services, args.network, args.seconds)


if __name__ == "__main__":
    sys.exit(main())
