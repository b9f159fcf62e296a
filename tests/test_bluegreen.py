"""Blue-green cutover behind real nginx, with real app instances on Python 3.11 (blue) and 3.12
(green), under continuous load on loopback, for both runtimes, and under faults."""

from __future__ import annotations

import datetime
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import time

from pathlib import Path

import pytest

from bluegreen import BLUE, GREEN, Writer, make_venv, notes, render_site, site
from conftest import require
from engine import build, ensure_base_images

pytestmark = [pytest.mark.nginx, pytest.mark.slow]


@pytest.fixture(scope="module")
def venv_colors(tmp_path_factory):
    root = tmp_path_factory.mktemp("bg-venv")
    project = render_site(root, "venv")
    requirements = project / "requirements.txt"
    return project, {
        "BG_BLUE_VENV": str(make_venv(BLUE, root / "venv-blue", requirements)),
        "BG_GREEN_VENV": str(make_venv(GREEN, root / "venv-green", requirements)),
    }


@pytest.fixture(scope="module")
def docker_colors(tmp_path_factory):
    root = tmp_path_factory.mktemp("bg-docker")
    project = render_site(root, "docker")
    ensure_base_images(BLUE, GREEN)
    colors = {"BG_DOCKER": os.environ.get("DOCKER", "/usr/bin/docker")}
    for color, stage in (("BLUE", "production-current"), ("GREEN", "production-target")):
        tag = f"python-upgrade-bg/sample:{stage}"
        result = build(project, stage, tag)
        assert result.returncode == 0, result.stderr[-4000:]
        colors[f"BG_{color}_IMAGE"] = tag
    return project, colors


@pytest.fixture
def venv_site(venv_colors, tmp_path):
    project, colors = venv_colors
    s = site(project, tmp_path / "state", "venv", colors)
    yield s
    s.cleanup()


def ok(result) -> None:
    assert result.returncode == 0, f"rc={result.returncode}\n{result.stdout}\n{result.stderr}"


def fleet_view(s) -> dict:
    """What `python-upgrade-fleet status` reads from this installation's state file."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "python_upgrade_fleet.cli",
            "status",
            "--json",
            "--bluegreen-state",
            f"{s.project.name}={s.state / 'state'}",
            str(s.project),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    (row,) = json.loads(result.stdout)["repos"]
    return row["bluegreen"]


def lifecycle(s) -> None:
    """deploy -> shift 10 -> promote -> rollback -> promote -> finalize under load: no failed request.
    The app keeps notes on disk (SQLite in data/, a file each in uploads/; state_dirs): written all
    along through nginx, none is lost, green finds blue's and blue finds green's after a rollback."""
    with s.under_load() as load:
        assert load.wait_for(time.monotonic() - 60, 100)
        writer = Writer(s.listen_port).start()
        while len(writer.acknowledged) < 5 and not writer.failures:
            time.sleep(0.05)
        ok(s.run("deploy"))
        ok(s.run("shift", "10"))
        window = load.wait_for(time.monotonic(), 1500, seconds=90)
        share = 100 * sum(r.python == GREEN for r in window) / len(window)
        assert 7 <= share <= 13, f"green got {share:.1f}% at the 10% step"
        seen = fleet_view(s)
        assert (seen["phase"], seen["live"], seen["candidate"], seen["target_share"]) == (
            "shifting",
            "blue",
            "green",
            10,
        )

        ok(s.run("promote"))
        assert s.state_values()["LIVE"] == "green"
        assert set(s.sample(30)) == {GREEN}
        written = len(writer.acknowledged)
        seen_by_green = notes(s.port_of("green"))
        assert seen_by_green["python"].startswith(GREEN) and seen_by_green["notes"] >= written
        by_blue = sum(python == BLUE for _, python in writer.acknowledged)
        assert by_blue >= 5, writer.acknowledged[:10]
        seen = fleet_view(s)
        assert (seen["phase"], seen["live_python"], seen["target_share"]) == ("promoted", GREEN, 100)
        assert seen["promoted_at"] == datetime.datetime.now(datetime.timezone.utc).date().isoformat()

        t0 = time.monotonic()
        result = s.run("rollback")
        ok(result)
        written = len(writer.acknowledged)
        by_green = sum(python == GREEN for _, python in writer.acknowledged)
        seen_by_blue = notes(s.port_of("blue"))
        assert seen_by_blue["python"].startswith(BLUE) and seen_by_blue["notes"] >= written and by_green > 0
        after = load.wait_for(t0, 300, seconds=30)
        greens = [r.t for r in after if r.python == GREEN]
        switched = (max(greens) - t0) if greens else 0.0
        assert switched <= 1.0, f"green still answered {switched:.2f}s after rollback began"
        assert all(r.python == BLUE for r in after if r.t > t0 + 1.0)

        ok(s.run("promote"))
        ok(s.run("finalize"))
        time.sleep(1)
        writer.stop()
    kept = notes(s.port_of("green"))
    assert writer.failures == [], writer.failures[:5]
    assert kept["notes"] == len(writer.acknowledged) == kept["files"], (kept, len(writer.acknowledged))
    state = s.assert_consistent()
    assert state["LIVE"] == "green" and state["PREVIOUS"] == "" and state["PHASE"] == "finalized"
    assert load.failures() == [], load.failures()[:5]
    assert len(load.records) > 3000
    print(
        f"{len(load.records)} requests, 0 failed, {load.retries} retried on a reload-closed keep-alive "
        f"connection; green {share:.1f}% at 10%; rollback switched in {switched:.2f}s; "
        f"{len(writer.acknowledged)} notes written ({by_blue} by blue before the promote, {by_green} by "
        f"green before the rollback), {kept['notes']} kept, 0 lost"
    )
    audit = (s.state / "audit.log").read_text()
    for action in ("deploy", "shift", "promote", "rollback", "finalize"):
        assert f"\t{action}\t" in audit


def test_lifecycle_under_load_venv(venv_site):
    lifecycle(venv_site)


@pytest.mark.docker
def test_lifecycle_under_load_docker(docker_colors, tmp_path):
    project, colors = docker_colors
    s = site(project, tmp_path / "state", "docker", colors)
    try:
        lifecycle(s)
    finally:
        s.cleanup()


# --------------------------------------------------------------------------------------------- signals
def alive(pid_file) -> bool:
    """The process runs (a zombie, dead but not yet reaped by an init that does not reap, does not)."""
    try:
        stat = Path(f"/proc/{int(pid_file.read_text())}/stat").read_text()
    except (OSError, ValueError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.parametrize("signal_name", ["SIGTERM", "SIGINT"])
def test_a_signal_during_the_release_stops_it_and_starts_nothing(venv_site, tmp_path, signal_name):
    """Stopped while the release command runs: its whole process tree is gone, green never started,
    the state file and the traffic are as they were; one line, exit 128 + n."""
    s = venv_site
    ok(s.run("start"))
    before = s.state_values()
    marker = tmp_path / "release-pid"
    release = f"sh -c 'echo $$ > {marker}; exec sleep 300'"
    process = s.popen("deploy", extra_env={"BG_RELEASE_COMMAND": release})
    deadline = time.monotonic() + 30
    while not (marker.exists() and marker.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert alive(marker)
    process.send_signal(getattr(signal, signal_name))
    _, err = process.communicate(timeout=30)
    assert process.returncode == 128 + getattr(signal, signal_name), err
    assert f"error: stopped by {signal_name}; traffic stays as the state file says (blue 100%" in err, err
    assert not alive(marker)  # the release command's own children too (its process group)
    assert not (s.state / "green.pid").exists()
    assert s.state_values() == before and set(s.sample(10)) == {BLUE}


def test_a_signal_while_green_starts_stops_green(venv_site, tmp_path):
    s = venv_site
    ok(s.run("start"))
    process = s.popen("deploy", extra_env={"BG_APP_COMMAND": "sleep 600", "BG_HEALTH_TIMEOUT": "120"})
    pid_file = s.state / "green.pid"
    deadline = time.monotonic() + 60
    while not (pid_file.exists() and alive(pid_file)) and time.monotonic() < deadline:
        time.sleep(0.05)
    green = tmp_path / "green.pid"
    shutil.copyfile(pid_file, green)
    time.sleep(1)  # in wait_healthy
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 143, err
    assert "stopped by SIGTERM; stopped green, which was starting" in err, err
    assert not alive(green)
    assert s.state_values()["CANDIDATE"] == "" and set(s.sample(10)) == {BLUE}


# ---------------------------------------------------------------------------------------------- faults
def test_green_never_healthy(venv_site):
    s = venv_site
    ok(s.run("start"))
    result = s.run("deploy", extra_env={"BG_APP_COMMAND": "sleep 600", "BG_HEALTH_TIMEOUT": "3"})
    assert result.returncode == 4
    assert (
        "green never answered 2xx on /healthz (Host: localhost) within 3s (last: no answer)" in result.stderr
    )
    assert "no traffic moved" in result.stderr
    state = s.assert_consistent()
    assert state["LIVE"] == "blue" and state["PHASE"] == "idle"
    assert not (s.state / "green.pid").exists()


def test_a_redirect_or_a_refused_host_is_not_healthy(venv_site):
    """The gate sends Host: probe_host and follows no redirect: an https redirect or a 400 for the
    host fails the deploy, and the message says which it was."""
    s = venv_site
    ok(s.run("start"))
    redirected = s.run(
        "deploy",
        extra_env={"SAMPLE_HEALTH_REDIRECT": "https://shop.example.com/healthz", "BG_HEALTH_TIMEOUT": "3"},
    )
    assert redirected.returncode == 4
    assert (
        "(last: HTTP 301, a redirect to https://shop.example.com/healthz (not followed))" in redirected.stderr
    )
    refused = s.run("deploy", extra_env={"SAMPLE_ALLOWED_HOST": "shop.internal", "BG_HEALTH_TIMEOUT": "3"})
    assert (
        refused.returncode == 4
        and "(last: HTTP 400 (a refused Host header? BG_HEALTH_HOST=localhost" in refused.stderr
    )
    # With the Host the app accepts, the same app is healthy.
    ok(s.run("deploy", extra_env={"SAMPLE_ALLOWED_HOST": "shop.internal", "BG_HEALTH_HOST": "shop.internal"}))
    assert s.state_values()["PHASE"] == "deployed" and s.state_values()["CANDIDATE"] == "green"


def test_the_env_file_and_the_release_command(venv_colors, tmp_path):
    """Both colors get BG_ENV_FILE (app_env_file); the release command runs once, with the new
    color's interpreter and the env file, before the new color starts; a failing one starts nothing."""
    project, colors = venv_colors
    env_file = tmp_path / "app.env"
    env_file.write_text("APP_COLOR=from-the-env-file\n")
    marker = tmp_path / "released"
    release = (
        f"python -c \"import os, platform; open('{marker}', 'a').write("
        f"os.environ['APP_COLOR'] + ' ' + platform.python_version() + chr(10))\""
    )
    settings = {"BG_ENV_FILE": str(env_file), "BG_RELEASE_COMMAND": release}
    s = site(project, tmp_path / "state", "venv", colors)
    try:
        ok(s.run("start", extra_env=settings))  # blue, after its release command
        (line,) = marker.read_text().splitlines()
        assert line.startswith(f"from-the-env-file {BLUE}.")
        ok(s.run("start", extra_env=settings))  # blue is up: nothing runs again
        ok(s.run("deploy", extra_env=settings))
        lines = marker.read_text().splitlines()
        assert len(lines) == 2 and lines[1].startswith(f"from-the-env-file {GREEN}.")
        for port in (s.env["BG_BLUE_PORT"], s.env["BG_GREEN_PORT"]):
            conn = http.client.HTTPConnection("127.0.0.1", int(port), timeout=5)
            conn.request("GET", "/")
            assert json.loads(conn.getresponse().read())["color"] == "from-the-env-file"
            conn.close()
    finally:
        s.cleanup()

    other = site(project, tmp_path / "state-2", "venv", colors)
    try:
        ok(other.run("start"))
        failing = other.run("deploy", extra_env=settings | {"BG_RELEASE_COMMAND": "exit 3"})
        assert failing.returncode == 4 and "the release command failed for green" in failing.stderr
        assert not (other.state / "green.pid").exists()
        missing = other.run("deploy", extra_env={"BG_ENV_FILE": str(tmp_path / "nowhere.env")})
        assert (
            missing.returncode == 6
            and "nowhere.env is not readable (the app_env_file answer" in missing.stderr
        )
    finally:
        other.cleanup()


def test_green_killed_during_the_canary(venv_site):
    s = venv_site
    with s.under_load() as load:
        ok(s.run("deploy"))
        ok(s.run("shift", "10"))
        load.wait_for(time.monotonic(), 200)
        os.killpg(int((s.state / "green.pid").read_text()), signal.SIGKILL)
        result = s.run("promote")
        assert result.returncode == 4, result.stderr
        assert "rolled back" in result.stderr
        load.wait_for(time.monotonic(), 200)
    state = s.assert_consistent()
    assert state["LIVE"] == "blue"
    # nginx retried the refused connections on blue: the clients saw no error.
    assert load.failures() == []


def test_green_failing_5_percent_rolls_back_with_the_numbers(venv_site):
    s = venv_site
    with s.under_load():
        ok(s.run("deploy", extra_env={"SAMPLE_FAIL_PERCENT": "5"}))  # only green starts here
        result = s.run("promote", extra_env={"BG_BAKE_SECONDS": "6"})
    assert result.returncode == 8, result.stderr
    line = next(x for x in result.stderr.splitlines() if "analysis failed" in x)
    assert "green at 10%" in line and "5xx" in line and "max 1%" in line and "p99" in line and "RSS" in line
    assert "rolled back (analysis failed" in result.stderr
    state = s.assert_consistent()
    assert state["LIVE"] == "blue" and state["PREVIOUS"] == "green"


def test_no_data_is_inconclusive_not_a_pass(venv_site):
    s = venv_site
    ok(s.run("start"))
    ok(s.run("deploy"))
    result = s.run("promote", extra_env={"BG_BAKE_SECONDS": "1"})  # no load: no requests reach green
    assert result.returncode == 7, result.stderr
    assert "inconclusive" in result.stderr and "0 requests" in result.stderr
    state = s.state_values()
    assert state["CANDIDATE"] == "green" and state["WEIGHT"] == "10"  # paused, not promoted
    assert s.served_generation() == state["GENERATION"]
    ok(s.run("rollback"))
    s.assert_consistent()


def test_a_config_that_fails_nginx_t_reloads_nothing(venv_site):
    s = venv_site
    ok(s.run("start"))
    ok(s.run("deploy"))
    before = s.state_values()
    conf = (s.state / "nginx" / "conf" / "nginx.conf").read_text()
    result = s.run("shift", "10", extra_env={"BG_LISTEN": f"127.0.0.1:{s.listen_port} bogus_flag"})
    assert result.returncode == 5, result.stderr
    assert "nginx -t refused the new config" in result.stderr and "nothing reloaded" in result.stderr
    assert (s.state / "nginx" / "conf" / "nginx.conf").read_text() == conf
    assert s.state_values() == before
    assert s.served_generation() == before["GENERATION"]
    assert set(s.sample(30)) == {BLUE}
    ok(s.run("rollback"))
    s.assert_consistent()


def test_sigkill_mid_shift_and_the_next_run_recovers(venv_site):
    s = venv_site
    with s.under_load() as load:
        ok(s.run("deploy"))
        promote = s.popen("promote", extra_env={"BG_BAKE_SECONDS": "30"})
        deadline = time.monotonic() + 30
        while s.state_values().get("WEIGHT") != "10" and time.monotonic() < deadline:
            time.sleep(0.1)
        assert s.state_values()["WEIGHT"] == "10"
        os.kill(promote.pid, signal.SIGKILL)
        promote.wait()
        status = s.run("status")
        ok(status)
        assert "blue 90% / green 10%" in status.stdout
        ok(s.run("rollback"))
    state = s.assert_consistent()
    assert state["LIVE"] == "blue"
    assert load.failures() == []


def test_two_runs_at_once_the_second_is_refused(venv_site):
    s = venv_site
    with s.under_load():
        ok(s.run("deploy"))
        first = s.popen("promote", extra_env={"BG_BAKE_SECONDS": "5", "BG_STEPS": "10 100"})
        deadline = time.monotonic() + 30
        while s.state_values().get("WEIGHT") != "10" and time.monotonic() < deadline:
            time.sleep(0.1)
        second = s.run("shift", "50")
        assert second.returncode == 3 and "holds" in second.stderr
        first.wait(timeout=120)
        assert first.returncode == 0, first.stderr.read()
    assert s.state_values()["LIVE"] == "green"


def test_dry_run_changes_nothing(venv_site):
    s = venv_site
    ok(s.run("start"))
    ok(s.run("deploy"))
    before = s.state_values()
    conf = (s.state / "nginx" / "conf" / "nginx.conf").read_text()
    result = s.run("--dry-run", "shift", "10")
    ok(result)
    assert "dry run: would change blue 100% / green 0% to blue 90% / green 10%" in result.stderr
    assert s.state_values() == before
    assert (s.state / "nginx" / "conf" / "nginx.conf").read_text() == conf
    assert "\tshift\t" not in (s.state / "audit.log").read_text()
    help_text = s.run("--help")
    ok(help_text)
    assert "Exit codes" in help_text.stdout


def test_staging_canary_traffic_from_the_locustfile(venv_site):
    """BG_BAKE_LOAD=1: where no users send requests, promote sends python-upgrade/locustfile.py's own
    during each bake (real locust), enough to pass a healthy green and to roll back a faulty one."""
    s = venv_site
    locust = shutil.which("locust")
    require(locust, "locust is not installed (pip install -e '.[test]')")
    canary = {"BG_BAKE_LOAD": "1", "BG_LOCUST": locust, "BG_BAKE_SECONDS": "8", "BG_STEPS": "10 100"}
    ok(s.run("start"))
    missing = s.run("promote", extra_env=canary | {"BG_LOCUST": "no-such-locust"})
    assert (
        missing.returncode == 2
        and "BG_BAKE_LOAD=1 but BG_LOCUST (no-such-locust) is not installed" in missing.stderr
    )
    ok(s.run("deploy"))
    promoted = s.run("promote", extra_env=canary)
    ok(promoted)
    assert "bake traffic: 10 locust users" in promoted.stderr
    state = s.assert_consistent()
    assert state["LIVE"] == "green"
    # Nothing outlives its bake.
    assert not [
        line
        for line in subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout.splitlines()
        if "locust" in line and f"127.0.0.1:{s.listen_port}" in line
    ]

    ok(s.run("finalize"))
    ok(s.run("deploy", extra_env={"SAMPLE_FAIL_PERCENT": "5"}))  # blue again, now failing 5%
    rolled = s.run("promote", extra_env=canary)
    assert rolled.returncode == 8, rolled.stderr
    assert "rolled back (analysis failed" in rolled.stderr
    state = s.assert_consistent()
    assert state["LIVE"] == "green"
