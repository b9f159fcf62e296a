"""The audit's lock-file pins (audit.py imported from template/): what the images install, which leaves
out packages that only other platforms get (pywin32 behind `sys_platform == 'win32'`), in each lock
format the template reads. Found on real locks: a Windows-only pin reported as a blocker."""

from __future__ import annotations

import json
import tarfile

import pytest

from conftest import load_program

UV_LOCK = """version = 1
[[package]]
name = "app"
version = "0.1.0"
source = { virtual = "." }
dependencies = [
    { name = "colorama", marker = "sys_platform == 'win32'" },
    { name = "pywin32", marker = "sys_platform == 'win32'" },
    { name = "tomli", marker = "python_full_version < '3.11'" },
    { name = "uvloop", marker = "sys_platform != 'win32' and platform_python_implementation == 'CPython'" },
    { name = "requests" },
]
[package.optional-dependencies]
dev = [{ name = "colorama" }]

[[package]]
name = "colorama"
version = "0.4.6"
source = { registry = "https://pypi.org/simple" }
[[package]]
name = "pywin32"
version = "311"
source = { registry = "https://pypi.org/simple" }
[[package]]
name = "tomli"
version = "2.2.1"
source = { registry = "https://pypi.org/simple" }
[[package]]
name = "uvloop"
version = "0.21.0"
source = { registry = "https://pypi.org/simple" }
[[package]]
name = "requests"
version = "2.32.3"
source = { registry = "https://pypi.org/simple" }
"""

POETRY_LOCK = """[[package]]
name = "click"
version = "8.1.8"
[package.dependencies]
colorama = {version = "*", markers = "platform_system == \\"Windows\\""}
[[package]]
name = "colorama"
version = "0.4.6"
[[package]]
name = "numpy"
version = "2.2.0"
[[package]]
name = "scipy"
version = "1.15.0"
[package.dependencies]
numpy = [
    {version = ">=1.23", markers = "python_version < \\"3.12\\""},
    {version = ">=1.26", markers = "python_version >= \\"3.12\\""},
]
"""

PDM_LOCK = """[[package]]
name = "pywin32"
version = "311"
marker = "sys_platform == \\"win32\\""
[[package]]
name = "anyio"
version = "4.8.0"
marker = "python_version >= \\"3.9\\""
[[package]]
name = "keyring"
version = "25.6.0"
dependencies = [
    "pywin32-ctypes>=0.2.0; sys_platform == \\"win32\\"",
    "jaraco-classes",
]
[[package]]
name = "pywin32-ctypes"
version = "0.2.3"
[[package]]
name = "jaraco-classes"
version = "3.4.0"
"""


@pytest.fixture
def audit(monkeypatch):
    module = load_program("audit")

    def pins(tmp_path, name, text, current="3.11", target="3.12"):
        (tmp_path / name).write_text(text)
        monkeypatch.setattr(module, "DATA", {**module.DATA, "dependency_files": [name]})
        monkeypatch.setattr(module, "CURRENT", current)
        monkeypatch.setattr(module, "TARGET", target)
        return dict(module.lock_pins(str(tmp_path)))

    return pins


def test_uv_lock_keeps_what_linux_installs(audit, tmp_path):
    pins = audit(tmp_path, "uv.lock", UV_LOCK)
    # colorama: win32 on one edge, unconditional in the dev extra; tomli: below 3.11 only.
    assert pins == {"colorama": "0.4.6", "uvloop": "0.21.0", "requests": "2.32.3"}
    assert "tomli" in audit(tmp_path, "uv.lock", UV_LOCK, current="3.10", target="3.11")


def test_poetry_lock_markers_on_dependency_tables_and_lists(audit, tmp_path):
    assert audit(tmp_path, "poetry.lock", POETRY_LOCK) == {
        "click": "8.1.8",
        "numpy": "2.2.0",
        "scipy": "1.15.0",
    }


def test_pdm_lock_marker_on_the_package(audit, tmp_path):
    # Older locks: PEP 508 strings in the requiring package's dependencies.
    assert audit(tmp_path, "pdm.lock", PDM_LOCK) == {
        "anyio": "4.8.0",
        "keyring": "25.6.0",
        "jaraco-classes": "3.4.0",
    }


def test_pipfile_lock_markers(audit, tmp_path):
    lock = {
        "default": {
            "pywin32": {"version": "==311", "markers": "sys_platform == 'win32'"},
            "gunicorn": {"version": "==23.0.0"},
        },
        "develop": {"pytest": {"version": "==8.3.5", "markers": "python_version >= '3.8'"}},
    }
    assert audit(tmp_path, "Pipfile.lock", json.dumps(lock)) == {"gunicorn": "23.0.0", "pytest": "8.3.5"}


@pytest.mark.parametrize(
    ("target", "compiler", "blocker", "words"),
    [
        (
            {"wheel": None, "first": "3.2.4", "error": None, "sdist": False},
            True,
            True,
            "no 3.12 wheel and no source distribution to compile (binary only): move to 3.2.4, the first "
            "version with one",
        ),
        (
            {"wheel": None, "first": None, "error": None, "sdist": False},
            False,
            True,
            "no version has a 3.12 wheel yet",
        ),
        (
            {"wheel": None, "first": "2.0.1", "error": None, "sdist": True},
            False,
            True,
            "must compile, and build_packages has no compiler (add build-essential, or move to 2.0.1)",
        ),
        ({"wheel": None, "first": None, "error": None, "sdist": True}, True, False, "compiles from source"),
        ({"wheel": "x.whl", "first": None, "error": None}, False, False, "wheel"),
    ],
)
def test_verdicts_name_what_to_do(monkeypatch, target, compiler, blocker, words):
    module = load_program("audit")
    monkeypatch.setattr(module, "DATA", {**module.DATA, "compiler": compiler})
    monkeypatch.setattr(module, "CURRENT", "3.11")
    monkeypatch.setattr(module, "TARGET", "3.12")
    current = {"wheel": "old.whl", "first": None, "error": None}
    found, what = module.verdict(current, target, pure=False)
    assert found is blocker and words in what, what


@pytest.mark.parametrize(
    ("rust", "blocker", "words"),
    [
        (
            False,
            True,
            "must compile, and build_packages has no Rust toolchain (add cargo rustc (its build is Rust's), "
            "or move to 2.0.1)",
        ),
        (True, False, "compiles from source (build_packages has a Rust toolchain)"),
    ],
)
def test_a_rust_build_asks_for_rust_not_build_essential(monkeypatch, rust, blocker, words):
    module = load_program("audit")
    monkeypatch.setattr(module, "DATA", {**module.DATA, "compiler": True, "rust": rust})
    monkeypatch.setattr(module, "CURRENT", "3.11")
    monkeypatch.setattr(module, "TARGET", "3.12")
    current = {"wheel": "old.whl", "first": None, "error": None}
    target = {"wheel": None, "first": "2.0.1", "error": None, "sdist": True}
    found, what = module.verdict(current, target, pure=False, needs="rust")
    assert found is blocker and words in what, what


def test_what_compiling_an_sdist_needs_is_read_from_its_build_backend(tmp_path):
    module = load_program("audit")
    for name, backend, expected in (("fast", "maturin>=1.0", "rust"), ("plain", "setuptools>=61", "c")):
        root = tmp_path / name / f"{name}-1.0"
        root.mkdir(parents=True)
        (root / "pyproject.toml").write_text(f'[build-system]\nrequires = ["{backend}"]\n')
        archive = tmp_path / f"{name}-1.0.tar.gz"
        with tarfile.open(archive, "w:gz") as tar:
            tar.add(root, arcname=f"{name}-1.0")
        assert module.read_build_needs(archive.name, archive.as_uri()) == expected
