"""python-upgrade/poetry_install.py as a plain program, imported from template/: it asks Poetry only for
the groups the project has, needs an environment to install into, and names the Poetry it installs
once (the callers pass the template's pinned version). Poetry and the tool's Python are stand-in
scripts here that record how they were called; tests/test_tox_engine.py runs the real Poetry."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from conftest import load_program

poetry_install = load_program("poetry_install")


def fake_tool(directory: Path, groups: str) -> Path:
    """A tool virtualenv whose `python` reports the project's groups and whose `poetry` logs its argv."""
    bin_dir = directory / "bin"
    bin_dir.mkdir(parents=True)
    log = directory / "calls"
    for name, body in (("python", f'echo "{groups}"'), ("poetry", f'echo "$*" >> "{log}"')):
        script = bin_dir / name
        script.write_text(f"#!/bin/sh\n{body}\n")
        script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return log


def test_only_the_groups_the_project_has(tmp_path, monkeypatch, capsys):
    log = fake_tool(tmp_path / "tool", "main,test")
    monkeypatch.setenv("VIRTUAL_ENV", str(tmp_path / "env"))
    assert poetry_install.main(["--tool", str(tmp_path / "tool"), "--no-root", "main,dev,test"]) == 0
    assert log.read_text().split("\n")[0] == "install --no-interaction --compile --only main,test --no-root"
    assert "groups main,test (asked: main,dev,test; the project has: main,test)" in capsys.readouterr().out


def test_a_project_without_the_asked_groups_installs_only_itself(tmp_path, monkeypatch):
    log = fake_tool(tmp_path / "tool", "dev")
    monkeypatch.setenv("VIRTUAL_ENV", str(tmp_path / "env"))
    assert poetry_install.main(["--tool", str(tmp_path / "tool"), "main"]) == 0
    assert log.read_text().strip() == "install --no-interaction --compile --only-root"


def test_no_environment_to_install_into(tmp_path, monkeypatch):
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    with pytest.raises(SystemExit) as stop:
        poetry_install.main(["--tool", str(tmp_path / "tool"), "main"])
    assert "VIRTUAL_ENV is not set" in str(stop.value)


def test_no_poetry_in_the_tool_and_no_version_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("VIRTUAL_ENV", str(tmp_path / "env"))
    with pytest.raises(SystemExit) as stop:
        poetry_install.main(["--tool", str(tmp_path / "tool"), "main"])
    assert "give --poetry VERSION" in str(stop.value)
    assert not (tmp_path / "tool").exists()
