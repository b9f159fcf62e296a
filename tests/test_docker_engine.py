"""BuildKit really builds the rendered stages: tests run inside the right Python, a failing test
stops the production image, and the production images serve, unprivileged, without test tools."""

from __future__ import annotations

import json
import re
import time
import uuid

import pytest

from engine import (
    ENGINE_PAIRS,
    NEWEST_PAIRS,
    build,
    docker,
    ensure_base_images,
    free_port,
    render_sample,
    version_of,
    wait_http,
)

pytestmark = [pytest.mark.docker, pytest.mark.slow]

PAIRS = ENGINE_PAIRS + NEWEST_PAIRS
# Every pair with the default installer (uv), and one with pip.
CASES = [pytest.param(c, t, "uv", id=f"{c}-{t}") for c, t in PAIRS] + [
    pytest.param("3.11", "3.12", "pip", id="3.11-3.12-pip")
]


@pytest.fixture(scope="module", autouse=True)
def base_images():
    ensure_base_images(*sorted({v for pair in PAIRS for v in pair}))


def run_container(image: str, port: int) -> str:
    name = f"python-upgrade-test-{uuid.uuid4().hex[:8]}"
    docker("run", "-d", "--name", name, "--network", "host", "-e", f"PORT={port}", image, check=True)
    return name


def health_status(name: str) -> str:
    out = docker("inspect", "--format", "{{json .State.Health}}", name, check=True).stdout
    return json.loads(out)["Status"]


@pytest.mark.parametrize(("current", "target", "installer"), CASES)
def test_stages_build_test_and_serve(tmp_path, current, target, installer):
    project = render_sample(
        tmp_path / "sample",
        current_python=current,
        target_python=target,
        installer=installer,
        writable_dirs=["var/uploads"],
    )
    # Files the build must not see (python-upgrade/Dockerfile.dockerignore).
    (project / ".env").write_text("SECRET=do-not-ship\n")
    (project / ".venv").mkdir()
    (project / ".venv" / "marker").write_text("host venv\n")

    # 1. Each test stage runs the sample's tests on its own interpreter.
    for color, version in (("current", current), ("target", target)):
        result = build(project, f"test-{color}")
        assert result.returncode == 0, result.stderr[-5000:]
        assert f"test-{color}: Python {version}." in result.stderr
        assert "3 passed" in result.stderr
        assert ("uv pip install" in result.stderr) is (installer == "uv")

    # 2. Production images: serve the health path on $PORT with the right Python, as non-root,
    #    without test dependencies or the ignored files; HEALTHCHECK turns healthy.
    containers = []
    try:
        for color, version in (("current", current), ("target", target)):
            tag = f"python-upgrade-test/sample:{version}-{color}"
            result = build(project, f"production-{color}", tag)
            assert result.returncode == 0, result.stderr[-5000:]
            port = free_port()
            containers.append((run_container(tag, port), port, version, tag))
        for name, port, version, tag in containers:
            assert wait_http(f"http://127.0.0.1:{port}/healthz")[0] == 200
            assert version_of(f"http://127.0.0.1:{port}/version").startswith(version + ".")
            uid = docker("exec", name, "id", "-u", check=True).stdout.strip()
            assert uid == "10001"
            no_pytest = docker("run", "--rm", "--network", "host", tag, "python", "-c", "import pytest")
            assert no_pytest.returncode != 0 and "No module named 'pytest'" in no_pytest.stderr
            no_pip = docker("run", "--rm", "--network", "host", tag, "python", "-m", "pip", "--version")
            assert no_pip.returncode != 0
            no_uv = docker(
                "run", "--rm", "--network", "host", tag, "sh", "-c", "command -v uv || ls /opt/tools"
            )
            assert no_uv.returncode != 0 and not no_uv.stdout.strip()
            # Bytecode compiled at build time and valid (stdlib, venv, source): the app's imports,
            # as its user, load code from .pyc files only, none compiled from source.
            verbose = docker(
                "run",
                "--rm",
                "--network",
                "host",
                tag,
                "python",
                "-v",
                "-c",
                "import app, gunicorn.app.wsgiapp, markupsafe",
                check=True,
            ).stderr
            loaded = re.findall(r"^# code object from '?([^'\n]+)'?$", verbose, re.M)
            assert len(loaded) > 50 and [path for path in loaded if not path.endswith(".pyc")] == []
            assert any(p.startswith("/app/") for p in loaded) and any(
                p.startswith("/opt/venv/") for p in loaded
            )
            ls = docker(
                "run", "--rm", "--network", "host", tag, "ls", "-A", "/app", check=True
            ).stdout.split()
            assert "app.py" in ls and "README.md" in ls
            assert ".env" not in ls and ".venv" not in ls and ".git" not in ls
            # The app, not its tests (image_excludes, detected) nor this template's files.
            assert not {"tests", "python-upgrade", "tox-python-upgrade.ini"} & set(ls), ls
            owners = docker(
                "run",
                "--rm",
                "--network",
                "host",
                tag,
                "stat",
                "-c",
                "%u %n",
                "/app",
                "/app/var/uploads",
                "/app/app.py",
                check=True,
            ).stdout.split("\n")
            assert owners[:3] == ["10001 /app", "10001 /app/var/uploads", "0 /app/app.py"], owners
            marker = docker(
                "run", "--rm", "--network", "host", tag, "cat", "/opt/python-upgrade/tests-passed", check=True
            ).stdout
            assert marker.startswith(version + ".")
        deadline = time.monotonic() + 90
        pending = {name for name, *_ in containers}
        while pending and time.monotonic() < deadline:
            pending = {name for name in pending if health_status(name) != "healthy"}
            time.sleep(1)
        assert not pending, f"HEALTHCHECK never reported healthy for {pending}"
    finally:
        for name, *_ in containers:
            docker("rm", "-f", name)


def test_a_target_only_failure_stops_the_target_image(tmp_path):
    project = render_sample(tmp_path / "sample", current_python="3.11", target_python="3.12")
    (project / "tests" / "test_target_only.py").write_text(
        "import sys\n\ndef test_breaks_on_3_12():\n    assert sys.version_info < (3, 12)\n"
    )
    assert build(project, "test-current").returncode == 0
    failed = build(project, "test-target")
    assert failed.returncode != 0 and "test_breaks_on_3_12" in failed.stderr
    # Building only the production image still runs (and fails on) the target's tests.
    failed = build(project, "production-target")
    assert failed.returncode != 0 and "test_breaks_on_3_12" in failed.stderr
    assert build(project, "production-current").returncode == 0
    # ... and the one-command dual build.
    failed = build(project, "all")
    assert failed.returncode != 0 and "test_breaks_on_3_12" in failed.stderr
