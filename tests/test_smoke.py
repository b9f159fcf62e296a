"""python-upgrade/smoke.py on a real engine: the sample app keeps notes in SQLite under data/ and files
under uploads/ (state_dirs), and its release command makes the table. The app's container finds what
the release command's container made: through one set of temporary volumes, and, for what it wrote
elsewhere, by starting from the release container's filesystem. Stopped with SIGTERM or SIGINT, nothing it
started is left: no container, no volume, no image."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from engine import build, docker_cli, ensure_base_images, render_sample, require_interpreters

pytestmark = [pytest.mark.docker]
TAG = "python-upgrade-smoke/sample:3.12"


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    require_interpreters("3.11", "3.12")
    ensure_base_images("3.11", "3.12")
    project = render_sample(
        tmp_path_factory.mktemp("smoke") / "sample",
        current_python="3.11",
        target_python="3.12",
        writable_dirs=["data", "uploads", "cache"],
        release_command="python app.py migrate",
        health_path="/notes",  # answers 200 only where the release command's table is
        # Nothing makes cache/ (not the tree, not the app): the test stage makes writable_dirs first.
        test_command="python -m pytest && test -d cache",
    )
    built = build(project, "production-target", TAG)
    assert built.returncode == 0, built.stderr[-4000:]
    return project


def smoke(project, *args, **popen):
    command = [sys.executable, "python-upgrade/smoke.py", TAG, *args]
    env = os.environ | {"DOCKER": docker_cli()[0]}
    if popen:
        return subprocess.Popen(command, cwd=project, env=env, text=True, **popen)
    return subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, timeout=300)


def leftovers() -> tuple[list[str], list[str]]:
    """Containers of the image (running or not) and smoke volumes and images still there."""
    docker = docker_cli()[0]
    containers = subprocess.run(
        [docker, "ps", "-aq", "--filter", f"ancestor={TAG}"], capture_output=True, text=True, check=True
    ).stdout.split()
    volumes = subprocess.run(
        [docker, "volume", "ls", "-q", "--filter", "name=python-upgrade-smoke-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    images = subprocess.run(
        [docker, "images", "-q", "--filter", "reference=python-upgrade-smoke-*"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return containers, volumes + images


def test_the_release_commands_effect_reaches_the_app(project):
    result = smoke(project)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert "smoke.py: release command: python app.py migrate" in result.stdout
    assert "answered 200 on http://127.0.0.1:" in result.stdout
    assert leftovers() == ([], [])

    # With no state_dirs the app starts from the release container's filesystem: the table is there
    # (as an SQLite file beside the code would be, which no volume shares).
    data = project / "python-upgrade" / "service.json"
    facts = json.loads(data.read_text())
    data.write_text(json.dumps(facts | {"state": []}))
    try:
        result = smoke(project, "--seconds", "30")
    finally:
        data.write_text(json.dumps(facts))
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert leftovers() == ([], [])
    # Without the release command, the app has no table: the check above is not passing by chance.
    result = smoke(project, "--no-release", "--seconds", "10")
    assert result.returncode == 1 and "never answered 2xx: answered 500" in result.stderr, result.stderr[
        -2000:
    ]
    assert leftovers() == ([], [])


@pytest.mark.parametrize("signal_name", ["SIGTERM", "SIGINT"])
def test_stopped_by_a_signal_it_leaves_nothing(project, signal_name):
    # No release: the app answers 500, which smoke.py waits out, until the signal.
    process = smoke(
        project, "--no-release", "--seconds", "120", stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 60
    while not leftovers()[0] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert leftovers()[0] and leftovers()[1], "the app's container and volumes never came"
    time.sleep(1)
    process.send_signal(getattr(signal, signal_name))
    _, err = process.communicate(timeout=60)
    assert process.returncode == 128 + getattr(signal, signal_name), err
    assert err.strip().splitlines()[-1] == f"smoke.py: stopped by {signal_name}; what it started is stopped"
    assert leftovers() == ([], [])


def test_an_image_that_is_not_there_is_named_in_one_line(project):
    command = [sys.executable, "python-upgrade/smoke.py", "python-upgrade-smoke/never-built:1"]
    result = subprocess.run(
        command, cwd=project, env=os.environ | {"DOCKER": docker_cli()[0]}, capture_output=True, text=True
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "smoke.py: no image python-upgrade-smoke/never-built:1 on this Docker engine: build it first "
        "(DOCKER_BUILDKIT=1 docker build -f python-upgrade/Dockerfile --target production-target "
        "-t python-upgrade-smoke/never-built:1 .)"
    ]
    assert leftovers() == ([], [])
