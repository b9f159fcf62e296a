"""python-upgrade/census.py: every place a repository names its Python, by kind, with file:line, read
the way each tool documents the setting; this template's own files left out; --check for the ratchet."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import PROGRAMS
from test_real_repos import TABLE, real_repo

PROGRAM = str(PROGRAMS / "census.py")

FILES = {
    "Dockerfile": "ARG PYTHON_VERSION=3.11\nFROM python:${PYTHON_VERSION}-slim-bookworm AS build\n"
    "FROM docker.io/library/python:3.11.9-slim\nCMD app\n",
    "docker/Dockerfile-dev": "FROM python:3.10\n",
    ".devcontainer/Dockerfile": "ARG VARIANT=3.11-bookworm\n"
    "FROM mcr.microsoft.com/devcontainers/python:${VARIANT}\n",
    ".python-version": "3.11.7\n",
    "runtime.txt": "python-3.11.7\n",
    "Pipfile": '[requires]\npython_version = "3.11"\n',
    ".tool-versions": "nodejs 20.1.0\npython 3.11.7\n",
    "pyproject.toml": '[project]\nname = "x"\nrequires-python = ">=3.11,<4"\nclassifiers = [\n'
    '    "Programming Language :: Python :: 3.11",\n    "License :: OSI Approved",\n]\n'
    '[tool.ruff]\ntarget-version = "py311"\n[tool.mypy]\npython_version = "3.11"\n',
    "tox.ini": "[tox]\nenv_list = py311, py312, lint\n[testenv:lint]\nbasepython = python3.11\n",
    ".github/workflows/ci.yml": "jobs:\n  test:\n    strategy:\n      matrix:\n        python-version:\n"
    '          - "3.10"\n          - "3.11"\n    steps:\n      - uses: actions/setup-python@v5\n'
    "        with:\n          python-version: ${{ matrix.python-version }}\n  lint:\n"
    '    container: python:3.11-slim\n    steps:\n      - with:\n          python-version: "3.12"\n',
    "docker-compose.yml": "services:\n  app:\n    build:\n      args:\n        PYTHON_VERSION: 3.11\n"
    "  worker:\n    image: python:3.11-alpine\n",
    "k8s/deployment.yaml": "spec:\n  containers:\n    - image: python:3.11-slim\n",
    ".pre-commit-config.yaml": "default_language_version:\n  python: python3.11\nrepos:\n  - hooks:\n"
    "      - id: pyupgrade\n        args: [--py311-plus]\n",
    # Not the project's own settings: this template's files, fixtures, a virtualenv.
    "python-upgrade/Dockerfile": "FROM python:3.11-slim\n",
    "tox-python-upgrade.ini": "[tox]\nenv_list = py311\n",
    ".github/workflows/python-upgrade.yml": 'with:\n  python-version: "3.11"\n',
    "tests/fixtures/pyproject.toml": '[project]\nrequires-python = ">=3.6"\n',
    ".venv/pyvenv.cfg": "version = 3.11.7\n",
}


def census(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, PROGRAM, "--root", str(root), *args], capture_output=True, text=True, timeout=60
    )


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_every_reference_by_kind_with_file_and_line(tmp_path):
    import json

    found = json.loads(census(write(tmp_path, FILES), "--json").stdout)["references"]
    seen = {(r["kind"], f"{r['file']}:{r['line']}", ",".join(r["versions"])) for r in found}
    assert seen == {
        ("production image", "Dockerfile:1", "3.11"),  # the ARG a FROM uses
        ("production image", "Dockerfile:3", "3.11"),
        ("tooling", "docker/Dockerfile-dev:1", "3.10"),
        ("tooling", ".devcontainer/Dockerfile:1", "3.11"),
        ("run time", ".python-version:1", "3.11"),
        ("run time", "runtime.txt:1", "3.11"),
        ("run time", "Pipfile:2", "3.11"),
        ("tooling", ".tool-versions:2", "3.11"),
        ("package metadata", "pyproject.toml:3", "3.11"),
        ("package metadata", "pyproject.toml:5", "3.11"),
        ("tooling", "pyproject.toml:9", "3.11"),
        ("tooling", "pyproject.toml:11", "3.11"),
        ("tests", "tox.ini:2", "3.11,3.12"),
        ("tests", "tox.ini:4", "3.11"),
        ("CI", ".github/workflows/ci.yml:6", "3.10"),
        ("CI", ".github/workflows/ci.yml:7", "3.11"),
        ("CI", ".github/workflows/ci.yml:13", "3.11"),
        ("CI", ".github/workflows/ci.yml:16", "3.12"),
        ("production image", "docker-compose.yml:5", "3.11"),
        ("production image", "docker-compose.yml:7", "3.11"),
        ("production image", "k8s/deployment.yaml:3", "3.11"),
        ("tooling", ".pre-commit-config.yaml:2", "3.11"),
        ("tooling", ".pre-commit-config.yaml:6", "3.11"),
    }


def test_check_names_each_reference_left_where_the_app_runs(tmp_path):
    root = write(tmp_path, FILES)
    result = census(root, "--older-than", "3.12", "--check")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    # Production images, run time and CI; tests, tooling and metadata are listed, not refused.
    assert len(lines) == 11, lines  # 5 production image, 3 run time, 3 CI
    assert (
        "census: Dockerfile:3: FROM names 3.11, older than 3.12 (production image): move it to 3.12" in lines
    )
    assert "| `tox.ini:2` | tox env_list | 3.11, 3.12 (older) |" in result.stdout
    for name in ("Dockerfile", "docker/Dockerfile-dev", "Pipfile", ".tool-versions", "docker-compose.yml"):
        (root / name).unlink()
    for name in (".python-version", "runtime.txt", "k8s/deployment.yaml", ".github/workflows/ci.yml"):
        (root / name).write_text((root / name).read_text().replace("3.11", "3.12").replace("3.10", "3.12"))
    assert census(root, "--older-than", "3.12", "--check").returncode == 0
    assert census(root, "--check").returncode == 2  # --check needs --older-than
    assert "is not a Python version" in census(root, "--older-than", "three").stderr


@pytest.mark.parametrize("name", list(TABLE))
def test_the_census_of_each_real_project_in_under_a_second(tmp_path, name):
    """Each shared project's census, whatever it holds, in under a second (docs/benchmarks-census.md has
    the measured times); the version detection chose for production is among the references."""
    repo = real_repo(tmp_path, name)
    began = time.perf_counter()
    result = census(repo, "--json")
    assert time.perf_counter() - began < 5  # the budget with an interpreter's start on a busy machine
    assert result.returncode == 0, result.stderr
    import json

    references = json.loads(result.stdout)["references"]
    current = str(TABLE[name]["detected"].get("current_python") or "")
    if current and name != "microblog":  # microblog's image is python:slim: no version named
        assert any(current in r["versions"] for r in references), (current, references)
