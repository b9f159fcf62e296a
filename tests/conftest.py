"""Test isolation and engine checks shared by every test module.

- No Copier user settings leak in: COPIER_SETTINGS_PATH points at a settings file holding `{}`
  (copier 9.19 rejects a truly empty file).
- pyenv answers for the interpreters the tests use (its shims only resolve versions that are named).
- In CI (CI=true) a missing engine (docker, nginx, an interpreter, a linter) fails the test; locally
  it skips with the reason.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Snapshots the tests use as a user's world: real repositories, GitHub Actions releases (see the
# developers' guide). They sit beside the clone; PYTHON_UPGRADE_SHARED points elsewhere.
SHARED = Path(os.environ.get("PYTHON_UPGRADE_SHARED") or ROOT.parent / "shared")

_settings = Path(tempfile.mkdtemp(prefix="copier-settings-")) / "settings.yml"
_settings.write_text("{}\n")
os.environ["COPIER_SETTINGS_PATH"] = str(_settings)
# The interpreters pyenv gives this machine (and CI's), one file for .ci/run and the tests.
PYENV_VERSION = (ROOT / "tests" / "engines" / "pyenv-version").read_text().strip()
os.environ.setdefault("PYENV_VERSION", PYENV_VERSION)
# Git identity for the repositories the tests create (commits need one; CI machines may have none).
for key, value in {
    "GIT_AUTHOR_NAME": "python-upgrade tests",
    "GIT_AUTHOR_EMAIL": "tests@example.invalid",
    "GIT_COMMITTER_NAME": "python-upgrade tests",
    "GIT_COMMITTER_EMAIL": "tests@example.invalid",
}.items():
    os.environ.setdefault(key, value)

# The sample application's own tests run inside rendered projects, not in this suite.
collect_ignore = ["sample_app", "golden"]

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


# The template's logic (extensions/python_upgrade/), imported as the package it is: `from python_upgrade
# import versions`. Copier loads the same package through extensions/jinja.py.
sys.path.insert(0, str(ROOT / "extensions"))


# The plain programs the template ships, copied under their plain names: their files in template/ carry a
# Copier condition (`{% if app_kind == 'web' %}probe.py{% endif %}`), and they import each other
# (facts, probe) by those plain names from their own folder, as they do in a rendered project (a link
# would not do: Python puts the folder of the file a link points to on the path).
PROGRAMS = Path(tempfile.mkdtemp(prefix="python-upgrade-programs-"))
for _source in (ROOT / "template" / "{{ project_dir }}" / "python-upgrade").iterdir():
    _plain = re.search(r"(\w+\.py)(?:\{%|$)", _source.name)
    if _plain and not _source.name.endswith(".jinja"):
        shutil.copyfile(_source, PROGRAMS / _plain.group(1))
sys.path.append(str(PROGRAMS))


def load_program(name: str):
    """A plain program the template ships (template/{{ project_dir }}/python-upgrade/), imported as a
    module from its plain name (PROGRAMS)."""
    loader = importlib.machinery.SourceFileLoader(name, str(PROGRAMS / f"{name}.py"))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(name, loader))
    loader.exec_module(module)
    return module


def require(condition: object, reason: str) -> None:
    """Skip locally, fail in CI: a missing engine in CI is a missing feature, not a pass."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI=true and {reason}")
    pytest.skip(reason)
