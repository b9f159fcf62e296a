"""python-upgrade/poetry_install.py as a plain program, imported from template/: it asks Poetry only for
the groups the project has, needs an environment to install into, and names the Poetry it installs
once (the callers pass the template's pinned version). Poetry and the tool's Python are stand-in
scripts here that record how they were called; tests/test_tox_engine.py runs the real Poetry."""

from __future__ import annotations

import stat
import sys
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


def test_the_release_for_this_interpreter():
    minor = "{}.{}".format(*sys.version_info[:2])
    assert poetry_install.release_for(f"2.5.1,{minor}=1.8.5") == "1.8.5"
    assert poetry_install.release_for("2.5.1,3.1=1.0.0") == "2.5.1"


def test_a_project_that_is_no_package_installs_nothing_of_itself(tmp_path, monkeypatch, capsys):
    """package-mode = false, or a legacy project without a module of its name: --only-root is Poetry's
    --no-root, nothing fails."""
    monkeypatch.setenv("VIRTUAL_ENV", str(tmp_path / "env"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[tool.poetry]\nname = "app"\npackage-mode = false\n')
    log = fake_tool(tmp_path / "tool", "main")
    assert poetry_install.main(["--tool", str(tmp_path / "tool"), "--only-root"]) == 0
    assert not log.exists() and "package-mode = false" in capsys.readouterr().out
    (tmp_path / "pyproject.toml").write_text('[tool.poetry]\nname = "app"\n')
    poetry = tmp_path / "tool" / "bin" / "poetry"
    poetry.write_text('#!/bin/sh\necho "No file/folder found for package app" >&2\nexit 1\n')
    assert poetry_install.main(["--tool", str(tmp_path / "tool"), "--only-root"]) == 0
    assert "no package" in capsys.readouterr().out
    poetry.write_text('#!/bin/sh\necho "something else broke" >&2\nexit 1\n')
    assert poetry_install.main(["--tool", str(tmp_path / "tool"), "--only-root"]) == 1
