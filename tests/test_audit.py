"""The rendered audit (removed stdlib imports, wheels through pip and the real package index,
deprecations) and the version comparison, on real interpreters."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from copier import run_copy

from conftest import ROOT
from engine import (
    command_lines,
    render_sample,
    require_interpreters,
    stop_midway,
    tool_version,
    tox,
    tox_results,
)

LEGACY = """\
import os
import distutils.core
from distutils.version import LooseVersion


def load(name):
    import imp
    return imp.find_module(name)


class Server:
    def serve(self):
        import asyncore, json
        return asyncore.loop


from tkinter import ttk  # still in 3.12: not reported
"""


def audit(
    project: Path, *args: str, python: str = sys.executable, env: dict | None = None
) -> subprocess.CompletedProcess:
    """The rendered audit, run as users run it; `env` adds variables to this process's environment."""
    return subprocess.run(
        [python, "python-upgrade/audit.py", *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
        env=os.environ | (env or {}),
    )


@pytest.fixture
def legacy_project(tmp_path) -> Path:
    project = render_sample(tmp_path / "legacy", current_python="3.11", target_python="3.12")
    (project / "legacy").mkdir()
    (project / "legacy" / "tools.py").write_text(LEGACY)
    (project / "legacy" / "broken.py").write_text("x = 1\n\ndef f(:\n    pass\n")
    # Fixtures the audit must not walk into.
    (project / ".venv" / "lib").mkdir(parents=True)
    (project / ".venv" / "lib" / "old.py").write_text("import imp\n")
    return project


def test_removed_imports_are_reported_with_path_line_and_replacement(legacy_project):
    result = audit(legacy_project, "--json", "--no-wheels", "--no-tests")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    found = {(f["path"], f["line"], f["module"]) for f in report["removed_imports"]}
    assert found == {
        ("legacy/tools.py", 2, "distutils"),
        ("legacy/tools.py", 3, "distutils"),
        ("legacy/tools.py", 7, "imp"),
        ("legacy/tools.py", 13, "asyncore"),
    }
    by_module = {f["module"]: f for f in report["removed_imports"]}
    assert by_module["imp"]["replacement"] == "importlib" and by_module["imp"]["removed_in"] == "3.12"
    assert "packaging" in by_module["distutils"]["replacement"]
    assert report["unparsable"] == [
        {"path": "legacy/broken.py", "line": 3, "error": report["unparsable"][0]["error"]}
    ]
    assert report["unparsable"][0]["error"].startswith("syntax error")
    assert report["blockers"] == 5 and report["ready"] is False
    text = audit(legacy_project, "--no-wheels", "--no-tests").stdout
    assert "`legacy/tools.py:7`: `imp` (removed in 3.12) -> use importlib" in text
    assert "`legacy/broken.py:3`: syntax error" in text


def test_the_audit_runs_on_the_oldest_interpreter_too(legacy_project):
    require_interpreters("3.8")
    result = audit(legacy_project, "--json", "--no-wheels", "--no-tests", python="python3.8")
    assert result.returncode == 1, result.stderr
    assert len(json.loads(result.stdout)["removed_imports"]) == 4


def test_exclude_leaves_a_directory_out(legacy_project):
    result = audit(legacy_project, "--json", "--no-wheels", "--no-tests", "--exclude", "legacy")
    assert result.returncode == 0, result.stdout
    assert json.loads(result.stdout)["removed_imports"] == []


@pytest.mark.parametrize("resolver", ["uv", "pip"])
def test_wheel_matrix_flags_numpy_without_a_312_wheel(legacy_project, tmp_path, resolver):
    """The same truth from uv (resolution + the index's file lists) and from pip (the fallback)."""
    (legacy_project / "requirements.txt").write_text("numpy==1.25.2\nmarkupsafe==3.0.2\nrequests>=2\n")
    summary = tmp_path / "summary.md"
    result = audit(
        legacy_project,
        "--json",
        "--no-tests",
        "--exclude",
        "legacy",
        "--resolver",
        resolver,
        env={"GITHUB_STEP_SUMMARY": str(summary), "PYTHON_UPGRADE_CACHE": str(tmp_path / "cache")},
    )
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["resolver"] == resolver
    # pip needs numpy's metadata from its sdist on 3.12 (no wheel), and that build needs distutils:
    # its 3.12 resolution fails, and the rows come from 3.11's. uv reads the metadata from any wheel.
    assert report["resolution"][0].startswith(f"3.11: resolved by {resolver}"), report["resolution"]
    assert report["resolution"][1].startswith(
        "3.12: resolved by uv" if resolver == "uv" else "3.12: pip could not"
    )
    rows = {row["name"]: row for row in report["wheels"]}
    numpy = rows["numpy"]
    assert numpy["current"]["wheel"].startswith("numpy-1.25.2-cp311-cp311-manylinux")
    assert numpy["target"]["wheel"] is None and numpy["target"]["error"] is None
    assert numpy["target"]["first"] == "1.26.0" and numpy["blocker"] is True
    assert "no wheel, while 3.11 has one: must compile" in numpy["verdict"]
    assert rows["markupsafe"]["blocker"] is False and "cp312" in rows["markupsafe"]["target"]["wheel"]
    # The range is resolved by pip, and what it pulls in is checked too.
    assert {"requests", "urllib3", "idna", "certifi"} <= set(rows)
    assert report["blockers"] == 1
    written = summary.read_text()
    assert (
        "| numpy | 1.25.2 | wheel | no wheel | **blocker**: no wheel, while 3.11 has one: must compile"
        in written
    )


def test_a_target_without_its_interpreter_here(tmp_path):
    """3.14 -> 3.15 on a machine with neither interpreter: uv resolves for both on Linux x86_64, the
    index's file lists say which wheels exist; pip can only say it has nothing to resolve with."""
    project = render_sample(tmp_path / "newest", current_python="3.14", target_python="3.15")
    assert not shutil.which("python3.15")
    (project / "requirements.txt").write_text("msgpack==1.2.1\nmarkupsafe==3.0.4\nrequests>=2\n")
    env = {"PYTHON_UPGRADE_CACHE": str(tmp_path / "cache")}
    result = audit(project, "--json", "--no-tests", env=env)
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["resolution"] == [
        "3.14: resolved by uv for 3.14 on x86_64-manylinux_2_36",
        "3.15: resolved by uv for 3.15 on x86_64-manylinux_2_36",
    ]
    rows = {row["name"]: row for row in report["wheels"]}
    # msgpack 1.2.1 has cp314 wheels and none for cp315; 1.2.2 is the first that has.
    assert rows["msgpack"]["blocker"] is True and rows["msgpack"]["target"]["first"] == "1.2.2"
    assert rows["msgpack"]["current"]["wheel"].startswith("msgpack-1.2.1-cp314-cp314-manylinux")
    assert (
        rows["markupsafe"]["blocker"] is False
        and "-cp315-cp315-manylinux" in rows["markupsafe"]["target"]["wheel"]
    )
    assert {"requests", "urllib3", "idna", "certifi", "charset-normalizer"} <= set(rows)
    assert report["blockers"] == 1
    # A second run answers from the caches (uv's and the index lists'): the same report.
    again = audit(project, "--json", "--no-tests", env=env)
    assert json.loads(again.stdout)["wheels"] == report["wheels"]
    # pip, the fallback, resolves only on interpreters that exist here.
    fallback = json.loads(audit(project, "--json", "--no-tests", "--resolver", "pip", env=env).stdout)
    assert fallback["resolution"] == ["3.14: no python3.14 here", "3.15: no python3.15 here"]
    assert fallback["wheels"] == []


def rendered_audit(tmp_path, **answers):
    project = render_sample(tmp_path / "unit", **answers)
    spec = importlib.util.spec_from_file_location("audit", project / "python-upgrade" / "audit.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_wheel_tags_as_the_images_install_them(tmp_path):
    audit_py = rendered_audit(tmp_path, current_python="3.11", target_python="3.12", debian_suite="bookworm")
    fits = audit_py.wheel_fits
    assert fits("numpy-1.26.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", "3.12")
    assert not fits("numpy-1.25.2-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", "3.12")
    assert fits("cryptography-43.0.0-cp39-abi3-manylinux_2_28_x86_64.whl", "3.12")  # the stable ABI
    assert not fits("cryptography-43.0.0-cp313-abi3-manylinux_2_28_x86_64.whl", "3.12")
    assert fits("six-1.16.0-py2.py3-none-any.whl", "3.12")
    assert not fits("x-1.0-cp312-cp312-manylinux_2_39_x86_64.whl", "3.12")  # bookworm's glibc is 2.36
    assert not fits("x-1.0-cp312-cp312-musllinux_1_2_x86_64.whl", "3.12")
    assert not fits("x-1.0-cp312-cp312-manylinux_2_17_aarch64.whl", "3.12")
    assert not fits("x-1.0-cp312-cp312t-manylinux_2_17_x86_64.whl", "3.12")  # free-threaded only
    files = [
        ("numpy-1.26.0-cp312-cp312-manylinux_2_17_x86_64.whl", False, None, None),
        ("numpy-1.26.1-cp312-cp312-manylinux_2_17_x86_64.whl", True, None, None),  # yanked
        ("numpy-2.0.0rc1-cp312-cp312-manylinux_2_17_x86_64.whl", False, None, None),
        ("numpy-1.25.2-cp311-cp311-manylinux_2_17_x86_64.whl", False, None, None),
    ]
    assert audit_py.wheel_answer(files, "numpy", "1.25.2", "3.12") == {
        "wheel": None,
        "first": "1.26.0",
        "error": None,
        "sdist": False,
    }
    with_sdist = [*files, ("numpy-1.25.2.tar.gz", False, None, "https://example.invalid/numpy-1.25.2.tar.gz")]
    assert audit_py.wheel_answer(with_sdist, "numpy", "1.25.2", "3.12")["sdist"] is True
    assert audit_py.wheel_answer(files, "numpy", "1.25.2", "3.11")["wheel"].startswith("numpy-1.25.2-cp311")
    # A wheel whose Requires-Python leaves the version out installs nowhere there (imagesize 2.0.0).
    imagesize = [
        ("imagesize-2.0.0-py2.py3-none-any.whl", False, "<3.15,>=3.10", None),
        ("imagesize-2.0.1-py3-none-any.whl", False, ">=3.10", None),
    ]
    assert audit_py.wheel_answer(imagesize, "imagesize", "2.0.0", "3.14")["wheel"] == imagesize[0][0]
    assert audit_py.wheel_answer(imagesize, "imagesize", "2.0.0", "3.15") == {
        "wheel": None,
        "first": "2.0.1",
        "error": None,
        "sdist": False,
    }
    allowed = audit_py.python_allowed
    assert allowed(">=2.7,!=3.0.*,!=3.1.*", "3.12") and not allowed("!=3.12.*", "3.12")
    assert allowed("~=3.10", "3.13") and not allowed("~=3.10.0", "3.11") and allowed(None, "3.15")
    page = (
        '<a href="../../packages/zope_interface-6.0.tar.gz#sha256=1" data-yanked="">'
        "zope_interface-6.0.tar.gz</a>"
    )
    assert audit_py.parse_simple_html(page, "https://example.invalid/simple/zope-interface/") == [
        (
            "zope_interface-6.0.tar.gz",
            True,
            None,
            "https://example.invalid/packages/zope_interface-6.0.tar.gz#sha256=1",
        )
    ]


def test_a_clean_project_is_ready_through_tox(tmp_path):
    """The sample app, audited the way users run it: tox env on current, tests included."""
    require_interpreters("3.11")
    project = render_sample(tmp_path / "clean", current_python="3.11", target_python="3.12")
    result = tox(project, "audit")
    assert result.returncode == 0, result.stdout[-4000:]
    assert tox_results(result.stdout) == {"audit": "OK"}
    assert "Ready for 3.12." in result.stdout
    assert "3 passed" in result.stdout


def test_deprecations_are_a_blocker(tmp_path):
    project = render_sample(tmp_path / "deprecated", current_python="3.11", target_python="3.12")
    (project / "tests" / "test_old_api.py").write_text(
        "import warnings\n\ndef test_old():\n    warnings.warn('old api', DeprecationWarning)\n"
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--target",
            str(project / "_deps"),
            "-r",
            str(project / "requirements.txt"),
            "-r",
            str(project / "requirements-dev.txt"),
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )
    result = audit(
        project, "--json", "--no-wheels", "--exclude", "_deps", env={"PYTHONPATH": str(project / "_deps")}
    )
    report = json.loads(result.stdout)
    assert result.returncode == 1
    assert report["deprecations"]["blocker"] is True
    assert "1 failed" in report["deprecations"]["summary"]
    assert report["deprecations"]["first_failure"] == "tests/test_old_api.py::test_old"
    assert "DeprecationWarning: old api" in report["deprecations"]["first_warning"]


def test_compare_measures_both_interpreters(tmp_path):
    require_interpreters("3.11", "3.12")
    project = render_sample(tmp_path / "compare", current_python="3.11", target_python="3.12")
    result = tox(project, "compare", posargs=("--runs", "3"))
    assert result.returncode == 0, result.stdout[-4000:]
    assert tox_results(result.stdout) == {"compare": "OK"}
    table = (project / "python-upgrade" / "compare" / "compare.md").read_text()
    assert "| | 3.11 | 3.12 | 3.12 / 3.11 |" in table
    rows = {
        line.split("|")[1].strip(): line.split("|")[2:5]
        for line in table.splitlines()
        if line.startswith("| ")
    }
    for name in ("median time (s)", "best time (s)", "peak RSS (MiB)"):
        current, target, ratio = (float(cell) for cell in rows[name])
        assert current > 0 and target > 0
        assert abs(ratio - target / current) < 0.02
    svg = ET.parse(project / "python-upgrade" / "compare" / "compare.svg").getroot()
    assert len(svg.findall("{http://www.w3.org/2000/svg}rect")) == 4


def test_a_pipfile_lock_is_audited_as_locked(tmp_path):
    """The pipenv layout: Pipfile.lock's pins (default and develop) as they are, no resolution."""
    project = tmp_path / "pipenv"
    shutil.copytree(
        Path(__file__).parent / "sample_app", project, ignore=shutil.ignore_patterns("__pycache__")
    )
    (project / "Pipfile").write_text('[packages]\nmarkupsafe = "==3.0.2"\n\n[dev-packages]\npytest = "*"\n')
    (project / "Pipfile.lock").write_text(
        json.dumps(
            {
                "_meta": {"requires": {"python_version": "3.11"}},
                "default": {"markupsafe": {"version": "==3.0.2"}, "numpy": {"version": "==1.25.2"}},
                "develop": {"pytest": {"version": "==8.3.5"}},
            }
        )
    )
    run_copy(
        str(ROOT),
        project,
        data={
            "project_name": "pipenv",
            "current_python": "3.11",
            "target_python": "3.12",
            "dependency_layout": "pipenv",
            "app_command": "gunicorn app:app",
        },
        defaults=True,
        unsafe=True,
        quiet=True,
        vcs_ref="HEAD",
    )
    result = audit(project, "--json", "--no-tests", env={"PYTHON_UPGRADE_CACHE": str(tmp_path / "cache")})
    report = json.loads(result.stdout)
    assert {row["name"]: row["blocker"] for row in report["wheels"]} == {
        "markupsafe": False,
        "numpy": True,
        "pytest": False,
    }
    assert result.returncode == 1


@pytest.mark.network
def test_the_audit_run_directly_fetches_the_pinned_uv_once(tmp_path):
    """Run as a user runs it outside tox, on a plain interpreter with no uv on PATH or beside it: the
    pinned uv comes from the index into the cache (said in one line on stderr, never in --json), the
    fast path answers, and the next run takes it from the cache without a word."""
    project = render_sample(tmp_path / "direct", current_python="3.11", target_python="3.12")
    (project / "requirements.txt").write_text("markupsafe==3.0.2\nrequests>=2\n")
    require_interpreters("3.11")
    python = shutil.which("python3.11")
    assert subprocess.run([python, "-c", "import uv"], capture_output=True).returncode != 0
    env = {
        "PYTHON_UPGRADE_CACHE": str(tmp_path / "cache"),
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "PYENV_VERSION": os.environ["PYENV_VERSION"],
    }
    result = audit(project, "--json", "--no-tests", python=python, env=env)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["resolver"] == "uv" and {"markupsafe", "requests", "urllib3"} <= {
        r["name"] for r in report["wheels"]
    }
    version = tool_version("uv")
    fetched = [line for line in result.stderr.splitlines() if "fetched uv" in line]
    assert fetched == [
        f"audit: no uv on PATH: fetched uv {version} from https://pypi.org/simple into "
        f"{tmp_path / 'cache' / f'uv-{version}' / 'uv'} (kept for the next runs)"
    ], result.stderr
    assert "audit: packages looked up on the index:" in result.stderr
    again = audit(project, "--json", "--no-tests", python=python, env=env)
    assert again.returncode == 0 and "fetched uv" not in again.stderr
    assert json.loads(again.stdout)["wheels"] == report["wheels"]


def test_a_project_range_that_excludes_the_target_is_a_blocker(tmp_path):
    """requires-python = ">=3.11,<3.12" (CTFd's): nothing installs on 3.12 until the project widens it;
    Poetry's caret range is read as Poetry reads it."""
    project = render_sample(tmp_path / "ranged", current_python="3.11", target_python="3.12")
    (project / "pyproject.toml").write_text('[project]\nname = "x"\nrequires-python = ">=3.11,<3.12"\n')
    result = audit(project, "--json", "--no-wheels", "--no-tests")
    report = json.loads(result.stdout)
    assert result.returncode == 1 and report["blockers"] == 1
    assert report["requires_python"] == {
        "spec": ">=3.11,<3.12",
        "where": "pyproject.toml [project] requires-python",
        "admits_target": False,
    }
    text = audit(project, "--no-wheels", "--no-tests").stdout
    assert "pyproject.toml [project] requires-python says `>=3.11,<3.12`: widen it to admit 3.12" in text
    (project / "pyproject.toml").write_text('[tool.poetry.dependencies]\npython = "^3.9"\n')
    report = json.loads(audit(project, "--json", "--no-wheels", "--no-tests").stdout)
    assert report["requires_python"]["spec"] == ">=3.9,<4" and report["requires_python"]["admits_target"]


# --------------------------------------------------------------------------------------------- signals
@pytest.fixture(scope="module")
def compared(tmp_path_factory) -> Path:
    """The sample with both tox environments made (compare.py's first step)."""
    require_interpreters("3.11", "3.12")
    project = render_sample(
        tmp_path_factory.mktemp("compare") / "sample", current_python="3.11", target_python="3.12"
    )
    made = tox(project, "compare", posargs=("--runs", "1", "--command", "python -c pass"))
    assert made.returncode == 0, made.stdout[-3000:]
    return project


@pytest.mark.parametrize("signal_name", ["SIGTERM", "SIGINT"])
def test_compare_stopped_by_a_signal_leaves_nothing(compared, tmp_path, signal_name):
    """Stopped while the measured command runs: the command (a grandchild) is gone too."""
    slow = "python -c 'import time; time.sleep(300)'"
    result = stop_midway(
        [sys.executable, "python-upgrade/compare.py", "--runs", "1", "--command", slow],
        compared,
        lambda pids: any(
            "time.sleep(300)" in line and "compare.py" not in line for line in command_lines(pids)
        ),
        signal_name,
        tmp_path / "tmp",
    )
    assert (
        result.stderr.strip().splitlines()[-1]
        == f"compare.py: stopped by {signal_name}; what it started is stopped"
    )


@pytest.mark.parametrize("signal_name", ["SIGTERM", "SIGINT"])
def test_the_audit_stopped_by_a_signal_leaves_nothing(legacy_project, tmp_path, signal_name):
    """Stopped while pip resolves (its processes run in worker threads): they end, the audit's
    temporary directories are removed."""
    (legacy_project / "requirements.txt").write_text("numpy==1.25.2\nmarkupsafe==3.0.2\nrequests>=2\n")
    result = stop_midway(
        [
            sys.executable,
            "python-upgrade/audit.py",
            "--no-tests",
            "--resolver",
            "pip",
            "--exclude",
            "legacy",
        ],
        legacy_project,
        lambda pids: any(" -m pip " in f" {line} " for line in command_lines(pids)),
        signal_name,
        tmp_path / "tmp",
    )
    assert (
        result.stderr.strip().splitlines()[-1]
        == f"audit.py: stopped by {signal_name}; what it started is stopped"
    )
