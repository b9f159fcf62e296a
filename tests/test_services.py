"""python-upgrade/services.py (test_services): the `docker run` it builds, and on a real engine with
a stand-in Redis built from Debian's packages (tests/engines/base_images.sh service): start, wait,
reuse, a port someone else answers, a service that never gets ready, a missing image, remove."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, load_program
from engine import docker, docker_cli, free_port

services = load_program("services")
SOURCE = Path(services.__file__)


def test_the_docker_run_of_a_service():
    spec = {
        "image": "postgres:16",
        "port": 5433,
        "container_port": 5432,
        "env": {"POSTGRES_PASSWORD": "it's"},
    }
    published = services.run_command("docker", "shop", "db", spec, "publish")
    assert published == [
        "docker",
        "run",
        "--detach",
        "--name",
        "python-upgrade-shop-db",
        "--label",
        "python-upgrade.project=shop",
        "--publish",
        "127.0.0.1:5433:5432",
        "--env",
        "POSTGRES_PASSWORD=it's",
        "postgres:16",
    ]
    host = services.run_command("docker", "shop", "db", spec | {"command": "postgres -c 'fsync=off'"}, "host")
    assert (
        "--network" in host
        and "--publish" not in host
        and host[-4:] == ["postgres:16", "postgres", "-c", "fsync=off"]
    )
    # On the host's network the service listens on its own port.
    assert services.listen_port(spec, "host") == 5432 and services.listen_port(spec, "publish") == 5433


def run(data: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SOURCE), *args, "--network", "host", "--data", str(data)],
        capture_output=True,
        text=True,
        timeout=180,
        env={"DOCKER": docker_cli()[0], "PATH": "/usr/bin:/bin"},
    )


def container_id(name: str) -> str:
    return docker("inspect", "--format", "{{.Id}}", name).stdout.strip()


@pytest.mark.docker
def test_services_start_wait_reuse_and_go(tmp_path):
    made = subprocess.run(
        ["bash", str(ROOT / "tests" / "engines" / "base_images.sh"), "service", "redis:7"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert made.returncode == 0, made.stderr[-3000:]
    port = free_port()
    data = tmp_path / "services.json"
    cache = {
        "image": "redis:7",
        "port": port,
        "health": f"redis-cli -p {port} ping | grep -q PONG",
        "command": f"redis-server --port {port} --protected-mode no --save ''",
    }
    data.write_text(json.dumps({"project": "svc-test", "services": {"cache": cache}}))
    name = "python-upgrade-svc-test-cache"
    try:
        started = run(data, "up")
        assert started.returncode == 0, started.stderr
        assert f"cache (redis:7) ready on localhost:{port}" in started.stdout
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(b"PING\r\n")
            assert sock.recv(16) == b"+PONG\r\n"
        first = container_id(name)
        again = run(data, "up")
        assert again.returncode == 0 and container_id(name) == first
        assert run(data, "down").returncode == 0 and container_id(name) == ""

        # A port that already answers (someone's own database, CI's services:) is used as it is.
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", port))
            taken.listen()
            used = run(data, "up")
            assert (
                used.returncode == 0 and f"localhost:{port} already answers; using it as it is" in used.stdout
            )
            assert container_id(name) == ""

        # Never ready: the log, then one line naming the answer to check.
        data.write_text(
            json.dumps({"project": "svc-test", "services": {"cache": cache | {"health": "false"}}})
        )
        late = run(data, "up", "--seconds", "3")
        assert late.returncode == 1
        assert late.stderr.strip().splitlines()[-1] == (
            f"services.py: cache (redis:7) is not ready after 3s on localhost:{port}; "
            "check test_services.cache"
        )
        run(data, "down")

        # An image that does not exist anywhere.
        data.write_text(
            json.dumps(
                {"project": "svc-test", "services": {"cache": cache | {"image": "python-upgrade-none/x:1"}}}
            )
        )
        missing = run(data, "up")
        assert (
            missing.returncode == 1 and "test_services.cache.image" in missing.stderr.strip().splitlines()[-1]
        )
    finally:
        docker("rm", "--force", name)
