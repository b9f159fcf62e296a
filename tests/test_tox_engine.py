"""tox in the rendered sample creates real envs on real interpreters and runs the tests on each."""

from __future__ import annotations

import pytest

from engine import (
    ENGINE_PAIRS,
    NEWEST_PAIRS,
    render_sample,
    require_interpreters,
    tox,
    tox_in_sid,
    tox_results,
)

pytestmark = [pytest.mark.tox, pytest.mark.slow]
# The newest pairs run in a Docker container of Debian sid (tox_in_sid).
PAIRS = [pytest.param(c, t, id=f"{c}-{t}") for c, t in ENGINE_PAIRS] + [
    pytest.param(c, t, id=f"{c}-{t}", marks=pytest.mark.docker) for c, t in NEWEST_PAIRS
]


@pytest.mark.parametrize(("current", "target"), PAIRS)
def test_tox_runs_the_tests_on_both_interpreters(tmp_path, current, target):
    project = render_sample(tmp_path / "sample", current_python=current, target_python=target)
    cur, tgt = "py" + current.replace(".", ""), "py" + target.replace(".", "")
    if (current, target) in NEWEST_PAIRS:  # no 3.14/3.15 here: Debian sid's, in a container
        result = tox_in_sid(project, cur, tgt, versions=(current, target))
    else:
        require_interpreters(current, target)
        result = tox(project, cur, tgt)
    assert result.returncode == 0, result.stdout[-4000:]
    assert tox_results(result.stdout) == {cur: "OK", tgt: "OK"}
    # The env's own interpreter printed its version (the first command of every env).
    assert f"Python {current}." in result.stdout and f"Python {target}." in result.stdout
    assert "3 passed" in result.stdout


def test_a_target_only_failure_fails_only_the_target_env(tmp_path):
    require_interpreters("3.11", "3.12")
    project = render_sample(tmp_path / "sample", current_python="3.11", target_python="3.12")
    (project / "tests" / "test_target_only.py").write_text(
        "import sys\n\ndef test_breaks_on_3_12():\n    assert sys.version_info < (3, 12)\n"
    )
    result = tox(project, "py311", "py312")
    assert result.returncode != 0
    assert tox_results(result.stdout) == {"py311": "OK", "py312": "FAIL"}


def test_deprecations_env_turns_warnings_into_failures(tmp_path):
    require_interpreters("3.11")
    project = render_sample(tmp_path / "sample", current_python="3.11", target_python="3.12")
    result = tox(project, "deprecations")
    assert result.returncode == 0, result.stdout[-3000:]
    (project / "tests" / "test_deprecated.py").write_text(
        "import warnings\n\ndef test_uses_something_deprecated():\n"
        "    warnings.warn('going away in the target', DeprecationWarning)\n"
    )
    result = tox(project, "py311", "deprecations")
    assert tox_results(result.stdout) == {"py311": "OK", "deprecations": "FAIL"}
    assert "DeprecationWarning: going away in the target" in result.stdout


def test_lint_env_refuses_syntax_newer_than_current(tmp_path):
    project = render_sample(tmp_path / "sample", current_python="3.11", target_python="3.12")
    result = tox(project, "lint")
    assert result.returncode == 0, result.stdout[-3000:]
    (project / "aliases.py").write_text("type Port = int\n")  # PEP 695: 3.12 syntax
    result = tox(project, "lint")
    assert tox_results(result.stdout) == {"lint": "FAIL"}
    assert "aliases.py" in result.stdout
