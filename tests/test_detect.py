"""Unit tests of extensions/detect.py on small repositories written by the tests."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from conftest import ROOT

_spec = importlib.util.spec_from_file_location("detect", ROOT / "extensions" / "detect.py")
detect = importlib.util.module_from_spec(_spec)
sys.modules["detect"] = detect
_spec.loader.exec_module(detect)

SUPPORTED = ("3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.14")


def repo(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def test_production_sources_beat_support_ranges(tmp_path):
    root = repo(tmp_path, {
        "Dockerfile": "FROM python:3.10-slim AS build\nRUN true\nFROM python:3.11-slim-bookworm\nCMD app\n",
        ".python-version": "3.9.18\n",
        "pyproject.toml": '[project]\nrequires-python = ">=3.8"\nclassifiers = ["Programming Language :: Python :: 3.12"]\n',
        "tox.ini": "[tox]\nenv_list = py38, py39, py310, py311, py312\n",
        ".github/workflows/ci.yml": "jobs:\n  t:\n    strategy:\n      matrix:\n        python-version: ['3.8', '3.12']\n",
    })
    found = detect.detect_python(root, SUPPORTED)
    # The final FROM python: line is what production runs.
    assert found["version"] == "3.11"
    assert found["why"].startswith("3.11 from Dockerfile")
    assert any(line.startswith("3.9 from .python-version") for line in found["found"])
    assert any(line.startswith("3.12 from .github/workflows/ci.yml, tox.ini") for line in found["found"])
    assert any(line.startswith("3.8 from pyproject.toml") for line in found["found"])


@pytest.mark.parametrize(
    ("files", "version", "source"),
    [
        ({".python-version": "3.10.13\n"}, "3.10", ".python-version"),
        ({"runtime.txt": "python-3.9.18\n"}, "3.9", "runtime.txt"),
        ({"tox.ini": "[tox]\nenvlist = py39,py310,py311\n"}, "3.11", "tox.ini"),
        ({"setup.cfg": "[options]\npython_requires = >=3.10\n"}, "3.10", "setup.cfg"),
        ({"pyproject.toml": '[tool.poetry.dependencies]\npython = "^3.11"\n[project]\nrequires-python = ">=3.12"\n'},
         "3.12", "pyproject.toml"),
        ({"docker/Dockerfile": "FROM docker.io/library/python:3.13-slim\n"}, "3.13", "docker/Dockerfile"),
        ({".gitlab-ci.yml": "test:\n  image: python:3.12\n"}, "3.12", ".gitlab-ci.yml"),
    ],
)
def test_each_source(tmp_path, files, version, source):
    found = detect.detect_python(repo(tmp_path, files), SUPPORTED)
    assert found["version"] == version
    assert source in found["why"]


def test_versions_outside_the_range_are_shown_but_not_chosen(tmp_path):
    root = repo(tmp_path, {"Dockerfile": "FROM python:3.7-slim\n", ".python-version": "3.10\n"})
    found = detect.detect_python(root, SUPPORTED)
    assert found["version"] == "3.10"
    assert "3.7 from Dockerfile (FROM python:3.7...) (outside 3.8-3.14, not used)" in found["found"]


def test_our_own_files_and_venvs_are_ignored(tmp_path):
    root = repo(tmp_path, {
        "python-upgrade/Dockerfile": "FROM python:3.12-slim-bookworm AS deps-target\n",
        ".github/workflows/python-upgrade.yml": "python: '3.12'\n",
        ".venv/Dockerfile": "FROM python:3.9\n",
    })
    assert detect.detect_python(root, SUPPORTED) == {"version": "", "why": "", "found": []}


def test_missing_or_temporary_destination(tmp_path):
    assert detect.detect_python(tmp_path / "nope", SUPPORTED)["version"] == ""
    assert detect.detect_layout(tmp_path / "nope")["layout"] == ""


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"requirements.txt": "", "requirements-test.txt": ""},
         {"layout": "requirements", "requirements": "requirements.txt", "test_requirements": "requirements-test.txt"}),
        ({"requirements/base.txt": "", "requirements/dev.txt": ""},
         {"layout": "requirements", "requirements": "requirements/base.txt", "test_requirements": "requirements/dev.txt"}),
        ({"pyproject.toml": '[project]\nname = "x"\n[project.optional-dependencies]\ntests = ["pytest"]\n'},
         {"layout": "pyproject", "test_extra": "tests"}),
        ({"pyproject.toml": '[project]\nname = "x"\n[dependency-groups]\ndev = ["pytest"]\n', "uv.lock": ""},
         {"layout": "uv", "test_extra": "dev"}),
        ({"pyproject.toml": '[tool.poetry]\nname = "x"\n[tool.poetry.group.test.dependencies]\npytest = "*"\n',
          "poetry.lock": ""}, {"layout": "poetry", "test_extra": "test"}),
    ],
)
def test_layout(tmp_path, files, expected):
    found = detect.detect_layout(repo(tmp_path, files))
    assert {key: found[key] for key in expected} == expected
