"""The load comparison (python-upgrade/load.py, `tox -e load`): its statistics and gates as functions,
then real locust against the sample app on two real interpreters (venv runtime) and against two
real production images (Docker), with faults that appear on the target version only."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import load_program
from engine import docker_cli, ensure_base_images, render_sample, require_interpreters, tox
from gitrepo import commit, git

load = load_program("load")

GATES = {
    "max_5xx_percent": 1,
    "max_p99_ms": 1000,
    "max_p99_percent": 150,
    "min_p99_delta_ms": 50,
    "max_rss_percent": 150,
}


# ------------------------------------------------------------------------------------------ functions
def test_the_rank_test_is_exact_for_small_samples():
    # Four rounds each, fully separated: 2 of the 70 splits are as extreme (two-sided).
    assert load.rank_test([1, 2, 3, 4], [5, 6, 7, 8]) == pytest.approx(2 / 70)
    assert load.rank_test([1, 2, 3], [4, 5, 6]) == pytest.approx(
        2 / 20
    )  # three rounds can never be significant
    assert load.rank_test([1, 1, 1, 1], [1, 1, 1, 1]) == 1.0
    assert load.rank_test([1, 5, 2, 6], [3, 4, 7, 0]) > 0.5


def test_verdicts_say_no_difference_inside_the_noise():
    assert load.verdict([10, 11, 12, 13], [20, 21, 22, 23], higher_is_worse=True) == "worse"
    assert load.verdict([10, 11, 12, 13], [20, 21, 22, 23], higher_is_worse=False) == "better"
    assert load.verdict([10, 12, 11, 13], [11, 10, 13, 12], higher_is_worse=True) == "no difference"
    # Three rounds: a verdict needs at least four.
    assert load.verdict([1, 2, 3], [7, 8, 9], higher_is_worse=True) == "no difference"


def results(current: dict, target: dict, peak=(30.0, 30.0)) -> dict:
    """Two versions' rounds from per-measure lists (the other measures equal)."""
    base = {
        "rps": [80, 81, 79, 80],
        "failure_percent": [0, 0, 0, 0],
        "p50_ms": [2, 2, 2, 2],
        "p95_ms": [5, 6, 5, 6],
        "p99_ms": [9, 10, 11, 12],
        "steady_mib": [30, 30, 31, 31],
    }

    def rounds(over):
        values = base | over
        return [{key: values[key][i] for key in values} for i in range(4)]

    return {
        "current": {
            "rounds": rounds(current),
            "startup_peak_mib": peak[0],
            "first_ok_s": 0.3,
            "slope_mib_per_min": 0.1,
            "memory": [(0.5, peak[0])],
        },
        "target": {
            "rounds": rounds(target),
            "startup_peak_mib": peak[1],
            "first_ok_s": 0.3,
            "slope_mib_per_min": 0.2,
            "memory": [(0.5, peak[1])],
        },
    }


def test_gates_fail_only_what_is_worse_beyond_them():
    _, failures = load.judge(results({}, {}), GATES)
    assert failures == []
    # Significantly slower, but by 10 ms: a ratio of small numbers is not a regression.
    _, failures = load.judge(results({}, {"p99_ms": [20, 21, 22, 23]}), GATES)
    assert failures == []
    _, failures = load.judge(results({}, {"p99_ms": [300, 310, 290, 305]}), GATES)
    assert [key for key, _ in failures] == ["p99_ms"]
    assert "p99 302 ms on the target (10 ms on the current" in failures[0][1]
    _, failures = load.judge(results({}, {"failure_percent": [4, 5, 3, 6]}), GATES)
    assert [key for key, _ in failures] == ["failure_percent"]
    assert "above max_5xx_percent 1%" in failures[0][1]
    _, failures = load.judge(results({}, {"steady_mib": [200, 201, 202, 203]}, peak=(30.0, 220.0)), GATES)
    assert [key for key, _ in failures] == ["steady_mib", "startup_peak_mib"]
    # Worse but inside the gate (memory +20%): reported, not failed.
    rows, failures = load.judge(results({}, {"steady_mib": [36, 36, 37, 37]}), GATES)
    assert failures == [] and ("steady memory (MiB)", 30.5, 36.5, pytest.approx(36.5 / 30.5), "worse") in rows


def test_the_memory_recommendation_names_the_rollout_value_to_change():
    measured = results({}, {}, peak=(100.0, 300.0))
    measured["target"]["memory"] = [(0.5, 290.0), (1.0, 300.0)]
    advice = load.recommendation(measured, {"request_mib": 256, "limit_mib": 384})
    assert advice[0].startswith(
        "Memory for the target: request = limit = 352Mi (the highest usage seen, 300 MiB"
    )
    assert "raise the request to 352Mi" in advice[1]
    advice = load.recommendation(measured, {"request_mib": 256, "limit_mib": 320})
    assert "limits memory to 320Mi: raise it to at least 352Mi" in advice[1]
    assert len(load.recommendation(measured, None)) == 1


def test_the_memory_slope():
    assert load.slope_per_minute([(0, 10), (30, 15), (60, 20)]) == pytest.approx(10.0)
    assert load.slope_per_minute([(0, 10), (1, 10)]) == 0.0


# ------------------------------------------------------------------------------------ real engines
def run_load(project, *args):
    # Four rounds: the fewest that can give a verdict at 5%. Five seconds each: locust's own start
    # eats into a round, and a busy machine must still see requests in every one.
    return tox(project, "load", posargs=("--rounds", "4", "--seconds", "5", *args), timeout=900)


def report_of(project, out):
    report = (project / out / "report.md").read_text()
    for chart in ("latency.svg", "memory.svg"):
        root = ET.fromstring((project / out / chart).read_text())  # well-formed SVG
        assert root.tag.endswith("svg") and len(list(root.iter())) > 5
    data = json.loads((project / out / "results.json").read_text())
    assert len(data["results"]["current"]["rounds"]) == len(data["results"]["target"]["rounds"]) == 4
    return report, data


@pytest.fixture(scope="module")
def venv_project(tmp_path_factory):
    """The sample on 3.11 -> 3.12 with tox's virtualenvs made: the no-Docker path."""
    require_interpreters("3.11", "3.12")
    project = render_sample(
        tmp_path_factory.mktemp("load") / "sample", current_python="3.11", target_python="3.12"
    )
    made = tox(project, "py311", "py312", posargs=())
    assert made.returncode == 0, made.stdout[-3000:]
    return project


@pytest.mark.slow
@pytest.mark.tox
def test_no_fault_is_no_difference_and_exit_0(venv_project):
    result = run_load(venv_project, "--runtime", "venv", "--out", "python-upgrade/load-clean")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    report, data = report_of(venv_project, "python-upgrade/load-clean")
    assert "| failures (%) | 0.00 | 0.00 | 1.00 | no difference |" in report
    assert "- none failed" in report and data["failures"] == []
    for version in ("current", "target"):
        rounds = data["results"][version]["rounds"]
        assert all(r["requests"] > 20 for r in rounds)
        # Memory sampled from the start, from the process group (gunicorn's workers included).
        assert data["results"][version]["startup_peak_mib"] > 10
        assert data["results"][version]["first_ok_s"] < 30


FAULTS = {
    # fault env (target only) -> the measures that must fail, and must not
    "slow": (["SAMPLE_SLOW_PERCENT=5", "SAMPLE_SLOW_MS=300"], {"p99_ms"}),
    "5xx": (["SAMPLE_FAIL_PERCENT=5"], {"failure_percent"}),
    "startup-memory": (["SAMPLE_STARTUP_MB=120"], {"steady_mib", "startup_peak_mib"}),
}


@pytest.mark.slow
@pytest.mark.tox
@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_fault_of_the_target_only_is_flagged_by_its_measure(venv_project, fault):
    env, measures = FAULTS[fault]
    out = f"python-upgrade/load-{fault}"
    args = ["--runtime", "venv", "--out", out, "-e", "SAMPLE_FAULT_PYTHON=3.12"]
    for pair in env:
        args += ["-e", pair]
    result = run_load(venv_project, *args)
    assert result.returncode == 1, result.stdout[-4000:] + result.stderr[-2000:]
    _, data = report_of(venv_project, out)
    assert {key for key, _ in data["failures"]} == measures
    for key, message in data["failures"]:
        assert f"load.py: target significantly worse: {message}" in result.stdout + result.stderr


REGRESSION = """
# A change that holds 120 MiB from the start on the target version only.
if sys.version_info >= (3, 12):
    _REGRESSION = bytearray(120 * 2**20)
    for _i in range(0, len(_REGRESSION), 4096):
        _REGRESSION[_i] = 1
"""


@pytest.mark.slow
@pytest.mark.docker
@pytest.mark.tox
def test_two_production_images_with_the_same_limits_measure_the_tree_as_it_is(tmp_path):
    """The default runtime: both images built from the rendered Dockerfile and the tree as it is, at
    every run (no flag): a change committed between two runs is what the second measures, and each
    report names the images' ids and the revision they were built from. Run with --cpus and --memory,
    memory read from each container's cgroup. The app's state (state_dirs) is a volume per version
    that its release command migrates first: /notes answers from its table."""
    ensure_base_images("3.11", "3.12")
    project = render_sample(
        tmp_path / "sample",
        current_python="3.11",
        target_python="3.12",
        project_name="load-sample",
        writable_dirs=["data", "uploads"],
        release_command="python app.py migrate",
        load_paths=["/", "/notes"],
    )
    (project / ".gitignore").write_text(".tox/\npython-upgrade/load/\n")
    git(project, "init", "-q", "-b", "main")
    commit(project, "the sample")
    limits = ("--cpus", "1", "--memory", "512m")

    first = run_load(project, *limits)
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-2000:]
    assert "load.py: building load-sample:3.12" in first.stdout
    report, data = report_of(project, "python-upgrade/load")
    revision = git(project, "rev-parse", "--short", "HEAD").strip()
    for version in ("current", "target"):
        result = data["results"][version]
        assert result["revision"] == revision and result["image_id"].startswith("sha256:"), result
        assert f"({result['image_id'][7:19]}, built from {revision})" in report
        assert all(r["failure_percent"] == 0 for r in result["rounds"])  # /notes has its table
    assert "limits of each: --cpus 1 --memory 512m" in report
    peaks = {v: data["results"][v]["startup_peak_mib"] for v in ("current", "target")}

    app = project / "app.py"
    app.write_text(app.read_text() + REGRESSION)
    commit(project, "hold memory on 3.12")
    second = run_load(project, *limits)
    assert second.returncode == 1, second.stdout[-4000:] + second.stderr[-2000:]
    report, data = report_of(project, "python-upgrade/load")
    changed = git(project, "rev-parse", "--short", "HEAD").strip()
    assert data["results"]["target"]["revision"] == changed != revision
    assert {key for key, _ in data["failures"]} == {"steady_mib", "startup_peak_mib"}
    current, target = (data["results"][v]["startup_peak_mib"] for v in ("current", "target"))
    assert (
        target - peaks["target"] > 200 and abs(current - peaks["current"]) < 50
    )  # two workers, 120 MiB each

    # Stopped mid-round (a CI cancel): both containers and their volumes are gone.
    docker = docker_cli()[0]
    process = subprocess.Popen(
        [str(project / ".tox" / "load" / "bin" / "python"), "python-upgrade/load.py", "--reuse", *limits],
        cwd=project,
        env=os.environ | {"DOCKER": docker},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert "round 1/5 current" in next(line for line in process.stdout if line.startswith("round "))
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 143, err
    assert err.strip().splitlines()[-1] == "load.py: stopped by SIGTERM; what it started is stopped"
    for kind in ("ps", "volume"):
        listed = subprocess.run(
            [
                docker,
                *(["ps", "-a"] if kind == "ps" else ["volume", "ls"]),
                "-q",
                "--filter",
                "name=python-upgrade-load-",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        assert listed == [], (kind, listed)


@pytest.mark.slow
@pytest.mark.tox
@pytest.mark.parametrize("signal_name", ["SIGTERM", "SIGINT"])
def test_stopped_by_a_signal_the_venv_runtime_leaves_no_server_and_no_temporary_files(
    venv_project, tmp_path, signal_name
):
    made = tox(venv_project, "load", posargs=("--help",))
    assert made.returncode == 0, made.stdout[-2000:]
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    process = subprocess.Popen(
        [
            str(venv_project / ".tox" / "load" / "bin" / "python"),
            "python-upgrade/load.py",
            "--runtime",
            "venv",
        ],
        cwd=venv_project,
        env=os.environ | {"TMPDIR": str(temporary)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    next(line for line in process.stdout if line.startswith("round "))
    servers = gunicorns(venv_project)
    assert len(servers) >= 2, servers  # both versions' gunicorn (and workers) were running
    process.send_signal(getattr(signal, signal_name))
    _, err = process.communicate(timeout=120)
    assert process.returncode == 128 + getattr(signal, signal_name), err
    assert err.strip().splitlines()[-1] == f"load.py: stopped by {signal_name}; what it started is stopped"
    assert gunicorns(venv_project) == []
    assert list(temporary.iterdir()) == []


def gunicorns(project) -> list[int]:
    """Live gunicorn processes whose working directory is the project."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if "gunicorn" in (proc / "cmdline").read_text() and os.readlink(proc / "cwd") == str(project):
                state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
                if state != "Z":
                    found.append(int(proc.name))
        except OSError:
            continue
    return found
