"""python-upgrade/finish.py's plan: each reference the census finds moved to the target in its file's
own style (an application), or the target added where a library lists its range. The whole program on
a real repository, with copier update and the fleet: tests/test_fleet.py."""

from __future__ import annotations

from pathlib import Path

from conftest import load_program

finish = load_program("finish")

FILES = {
    "Dockerfile": "FROM python:3.11.9-slim-bookworm AS build\nFROM python:3.11-slim-bookworm\n",
    ".python-version": "3.11.7\n",
    "pyproject.toml": '[project]\nrequires-python = ">=3.11"\nclassifiers = [\n'
    '    "Programming Language :: Python :: 3.11",\n    "Programming Language :: Python :: 3.12",\n]\n'
    '[tool.ruff]\ntarget-version = "py311"\n',
    "tox.ini": "[tox]\nenv_list = py311, py312, lint\n",
    ".github/workflows/ci.yml": "jobs:\n  t:\n    strategy:\n      matrix:\n        python-version:\n"
    '          - "3.11"\n          - "3.12"\n  lint:\n    steps:\n      - with:\n'
    '          python-version: "3.11"\n',
    ".tool-versions": "python 3.11.7\n",
}


def write(root: Path) -> Path:
    for name, text in FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_an_application_moves_every_reference_in_its_own_style(tmp_path):
    root = write(tmp_path)
    edits, left = finish.plan(str(root), "3.12", library=False, layout="requirements")
    finish.apply(str(root), edits)
    assert (root / "Dockerfile").read_text() == (
        "FROM python:3.12-slim-bookworm AS build\nFROM python:3.12-slim-bookworm\n"
    )
    assert (root / ".python-version").read_text() == "3.12\n"
    assert (root / "pyproject.toml").read_text() == (
        '[project]\nrequires-python = ">=3.12"\nclassifiers = [\n'
        '    "Programming Language :: Python :: 3.12",\n]\n[tool.ruff]\ntarget-version = "py312"\n'
    )
    assert (root / "tox.ini").read_text() == "[tox]\nenv_list = py312, lint\n"
    assert (root / ".github/workflows/ci.yml").read_text() == (
        "jobs:\n  t:\n    strategy:\n      matrix:\n        python-version:\n"
        '          - "3.12"\n  lint:\n    steps:\n      - with:\n          python-version: "3.12"\n'
    )
    assert left == [
        ".tool-versions:1: .tool-versions python names an exact release (python 3.11.7): asdf needs the "
        "full 3.12.x you install"
    ]
    # A second plan finds nothing left to move.
    assert finish.plan(str(root), "3.12", library=False, layout="requirements")[0] == {}


def test_a_tag_without_its_suite_gets_the_one_the_dual_phase_tested(tmp_path):
    (tmp_path / "Dockerfile").write_text(
        "FROM python:3.11.9-slim\nFROM python:3.11\nFROM python:3.11-alpine\n"
        "FROM python:3.11.4-slim-buster AS b\nFROM python:3.11-slim-bookworm\n"
    )
    edits, _ = finish.plan(str(tmp_path), "3.12", library=False, suite="bookworm")
    assert edits == {
        "Dockerfile": {
            1: "FROM python:3.12-slim-bookworm",
            2: "FROM python:3.12-bookworm",
            3: "FROM python:3.12-alpine",
            4: "FROM python:3.12-slim-bookworm AS b",  # 3.12 has no buster image: debian_suite
            5: "FROM python:3.12-slim-bookworm",
        }
    }


def test_a_range_moves_its_lower_bound_and_an_upper_bound_that_would_exclude_the_target():
    assert finish.moved_range('requires-python = ">=3.9,<3.10"', "3.9", "3.10") == (
        'requires-python = ">=3.10,<3.11"'
    )
    assert finish.moved_range('python = "^3.9"', "3.9", "3.10") == 'python = "^3.10"'
    assert finish.moved_range('requires-python = "==3.9.*"', "3.9", "3.10") == 'requires-python = "==3.10.*"'
    assert finish.moved_range('python_requires=">=3.9, <4"', "3.9", "3.10") == 'python_requires=">=3.10, <4"'
    assert finish.moved_range('requires-python = ">=3.9,<3.13"', "3.9", "3.10") == (
        'requires-python = ">=3.10,<3.13"'
    )


def test_a_locked_range_is_named_with_the_lock_command(tmp_path):
    root = write(tmp_path)
    edits, left = finish.plan(str(root), "3.12", library=False, layout="uv")
    assert 2 not in edits.get("pyproject.toml", {})
    assert any("pyproject.toml:2: requires-python" in line and "`uv lock`" in line for line in left)


def test_a_library_adds_the_target_and_drops_nothing(tmp_path):
    root = tmp_path
    (root / "pyproject.toml").write_text(
        '[project]\nrequires-python = ">=3.10"\nclassifiers = [\n'
        '    "Programming Language :: Python :: 3.10",\n    "Programming Language :: Python :: 3.11",\n]\n'
    )
    (root / "tox.ini").write_text("[tox]\nenv_list = py310, py311\n")
    (root / ".github").mkdir()
    (root / ".github/workflows").mkdir()
    (root / ".github/workflows/ci.yml").write_text('        python-version: ["3.10", "3.11"]\n')
    edits, left = finish.plan(str(root), "3.12", library=True)
    finish.apply(str(root), edits)
    assert (root / "pyproject.toml").read_text() == (
        '[project]\nrequires-python = ">=3.10"\nclassifiers = [\n'
        '    "Programming Language :: Python :: 3.10",\n    "Programming Language :: Python :: 3.11",\n'
        '    "Programming Language :: Python :: 3.12",\n]\n'
    )
    assert (root / "tox.ini").read_text() == "[tox]\nenv_list = py310, py311, py312\n"
    assert (
        root / ".github/workflows/ci.yml"
    ).read_text() == '        python-version: ["3.10", "3.11", "3.12"]\n'
    assert finish.plan(str(root), "3.12", library=True)[0] == {}
