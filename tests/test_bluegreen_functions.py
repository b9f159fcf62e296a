"""bluegreen.sh's functions one at a time: the script is a plain file in template/ (no Jinja), sourced
here with a rendered bluegreen.conf (the golden web render's), so it defines its functions and runs
nothing. The whole cutover behind real nginx is tests/test_bluegreen.py."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT, require

SCRIPT = (
    ROOT
    / "template"
    / "{{ project_dir }}"
    / "{% if app_kind == 'web' and phase == 'dual' %}deploy{% endif %}"
    / "bluegreen"
    / "bluegreen.sh"
)
CONF = ROOT / "tests" / "golden" / "web-requirements" / "deploy" / "bluegreen" / "bluegreen.conf"


@pytest.fixture
def bash(tmp_path):
    require(shutil.which("bash"), "bash is not installed")

    def run(body: str) -> subprocess.CompletedProcess:
        script = f'set -euo pipefail\nsource "{SCRIPT}"\n{body}\n'
        env = {
            "PATH": "/usr/bin:/bin",
            "BG_CONFIG": str(CONF),
            "BG_STATE_DIR": str(tmp_path / "state"),
            "BG_BLUE_PORT": "8001",
            "BG_GREEN_PORT": "8002",
        }
        return subprocess.run(
            ["bash", "-c", script], capture_output=True, text=True, env=env, timeout=60, cwd=tmp_path
        )

    (tmp_path / "state").mkdir()
    return run


def test_sourcing_runs_nothing(bash):
    result = bash("echo sourced; type cmd_promote >/dev/null && echo defined")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["sourced", "defined"] and result.stderr == ""


def test_the_container_prefix_comes_from_the_conf(bash):
    result = bash("container green")
    assert result.stdout.strip() == "shop-green"  # the golden render's project name, slugged


@pytest.mark.parametrize(
    ("live", "candidate", "weight", "servers"),
    [
        ("blue", "", 0, ["127.0.0.1:8001 max_fails=0"]),
        (
            "blue",
            "green",
            10,
            ["127.0.0.1:8001 weight=90 max_fails=0", "127.0.0.1:8002 weight=10 max_fails=0"],
        ),
        ("blue", "green", 100, ["127.0.0.1:8002 max_fails=0"]),
        ("green", "blue", 0, ["127.0.0.1:8002 max_fails=0"]),
    ],
)
def test_nginx_upstreams_follow_the_split(bash, tmp_path, live, candidate, weight, servers):
    result = bash(f"LIVE={live} CANDIDATE={candidate} WEIGHT={weight} GENERATION=3; render_nginx nginx.conf")
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "nginx.conf").read_text()
    assert [
        line.strip().removeprefix("server ").rstrip(";")
        for line in text.splitlines()
        if line.strip().startswith("server 127.")
    ] == servers
    assert 'return 200 "3\\n"' in text  # the generation nginx answers


@pytest.mark.parametrize(
    ("state", "named"),
    [
        ("LIVE=purple\n", "LIVE=purple"),
        ("LIVE=blue\nPHASE=halfway\n", "PHASE=halfway"),
        ("LIVE=blue\nWEIGHT=ten\n", ""),
    ],
)
def test_a_corrupt_state_file_stops_with_exit_6(bash, tmp_path, state, named):
    (tmp_path / "state" / "state").write_text(state)
    result = bash("load_state")
    assert result.returncode == 6
    assert "corrupt state file" in result.stderr and named in result.stderr


def test_only_the_state_keys_are_read_and_all_are_written(bash, tmp_path):
    (tmp_path / "state" / "state").write_text("LIVE=green\nPATH=/nowhere\nPHASE=promoted\n")
    result = bash('load_state; echo "$LIVE $PHASE $PATH"; save_state')
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[:2] == ["green", "promoted"] and "/nowhere" not in result.stdout
    keys = [line.split("=")[0] for line in (tmp_path / "state" / "state").read_text().splitlines()]
    assert keys == ["LIVE", "CANDIDATE", "WEIGHT", "PREVIOUS", "PHASE", "GENERATION", "PROMOTED_AT"]


def test_state_round_trips(bash, tmp_path):
    result = bash(
        "LIVE=green CANDIDATE=blue WEIGHT=25 PREVIOUS=blue PHASE=shifting GENERATION=7 PROMOTED_AT=0; "
        'save_state; LIVE=blue WEIGHT=0; load_state; echo "$LIVE $CANDIDATE $WEIGHT $(split)"'
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("green blue 25 ")
    assert (tmp_path / "state" / "state").read_text().splitlines()[0] == "LIVE=green"


def access_log(path: Path, green: list[tuple[int, float]], blue: int) -> None:
    """nginx's bluegreen log format: msec|status|upstream_addr|upstream_status|upstream_time|request_time."""
    lines = [f"1.0|{status}|127.0.0.1:8002|{status}|{seconds:.3f}|{seconds:.3f}" for status, seconds in green]
    lines += ["1.0|200|127.0.0.1:8001|200|0.005|0.005"] * blue
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


def analyse(bash, tmp_path, green, rss=("100000", "100000"), **limits) -> tuple[int, str]:
    access_log(tmp_path / "state" / "nginx" / "logs" / "access.log", green, blue=50)
    settings = " ".join(f"BG_{k.upper()}={v}" for k, v in limits.items())
    # Memory comes from /proc of the running colors: stubbed here, one value per color.
    result = bash(
        f"{settings}; LIVE=blue CANDIDATE=green WEIGHT=10; "
        f'rss_kib() {{ if [ "$1" = green ]; then echo {rss[0]}; else echo {rss[1]}; fi; }}; '
        'set +e; analyse 0; echo "rc=$?"'
    )
    verdict, code = result.stdout.strip().rsplit("\n", 1)
    return int(code.removeprefix("rc=")), verdict


def test_analysis_passes_fails_and_pauses_on_the_numbers(bash, tmp_path):
    fine = [(200, 0.010)] * 98 + [(200, 0.300)] * 2  # nearest rank: the 99th of 100 is 300 ms
    code, verdict = analyse(bash, tmp_path, fine, min_requests=20, max_p99_ms=500, max_5xx_percent=1)
    assert code == 0 and verdict.startswith("passed: green at 10%: 100 requests, 5xx 0"), verdict
    assert "p99 300 ms" in verdict

    slow = [(200, 0.010)] * 97 + [(200, 0.900)] * 3
    code, verdict = analyse(bash, tmp_path, slow, min_requests=20, max_p99_ms=500, max_5xx_percent=1)
    assert code == 1 and verdict.startswith("failed:") and "p99 900 ms" in verdict, verdict

    errors = [(200, 0.010)] * 95 + [(502, 0.010)] * 5
    code, verdict = analyse(bash, tmp_path, errors, min_requests=20, max_p99_ms=500, max_5xx_percent=1)
    assert code == 1 and "5xx 5 (5.0%, max 1%)" in verdict, verdict

    code, verdict = analyse(bash, tmp_path, fine[:10], min_requests=20, max_p99_ms=500, max_5xx_percent=1)
    assert code == 2 and verdict.startswith("inconclusive, too few requests (min 20)"), verdict

    code, verdict = analyse(
        bash,
        tmp_path,
        fine,
        rss=("300000", "100000"),
        min_requests=20,
        max_p99_ms=500,
        max_5xx_percent=1,
        max_rss_percent=150,
    )
    assert code == 1 and "(300%, max 150%)" in verdict, verdict
