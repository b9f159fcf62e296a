"""python-upgrade/lock_requirements.py (pdm and pipenv layouts), imported and run as a plain program
on locks of the real projects in ../shared/real-repos and on small locks written here."""

from __future__ import annotations

import json
import subprocess
import tarfile
from pathlib import Path

import pytest

from conftest import SHARED, load_program, require

lock_requirements = load_program("lock_requirements")
SOURCE = Path(lock_requirements.__file__)


def extract(tmp_path, name, member):
    archive = SHARED / "real-repos" / f"{name}.tar.gz"
    require(archive.is_file(), f"{archive} is missing")
    with tarfile.open(archive) as tar:
        tar.extractall(
            tmp_path,
            members=[m for m in tar.getmembers() if m.name.startswith(f"{name}/{member}")],
            filter="data",
        )
    return tmp_path / name


def test_pdm_lock_groups_hashes_and_the_project_itself(tmp_path):
    project = extract(tmp_path, "pdm", "p")  # pdm.lock and pyproject.toml
    lock_requirements.main(["x", str(project / "pdm.lock"), str(tmp_path / "out"), "default", "test"])
    text = (tmp_path / "out" / "requirements.txt").read_text()
    assert "rich==" in text and "pytest-xdist==" in text and "--hash=sha256:" in text
    assert "mkdocstrings" not in text  # the doc group was not asked for
    assert "tomli==" in text and 'python_version < "3.11"' in text  # markers kept
    assert (
        tmp_path / "out" / "local.txt"
    ).read_text() == ".\n"  # pdm is a package: installed from the source
    with pytest.raises(SystemExit, match="has no group 'nope'"):
        lock_requirements.main(["x", str(project / "pdm.lock"), str(tmp_path / "out"), "nope"])


def test_pipfile_lock_categories_git_and_hashes(tmp_path):
    project = extract(tmp_path, "manage.get.gov", "src/Pipfile")
    lock_requirements.main(
        ["x", str(project / "src" / "Pipfile.lock"), str(tmp_path / "out"), "default", "dev-packages"]
    )
    text = (tmp_path / "out" / "requirements.txt").read_text()
    assert "django==" in text.lower() and "bandit==" in text
    # A git pin has no hash, so no line carries one (pip's hash mode is all or nothing).
    assert "fred-epplib @ git+https://github.com/cisagov/epplib.git@" in text and "--hash" not in text


def test_local_paths_and_a_lock_without_groups(tmp_path):
    lock = tmp_path / "Pipfile.lock"
    lock.write_text(
        json.dumps(
            {
                "_meta": {},
                "default": {
                    "mylib": {"path": "./libs/mylib", "editable": True},
                    "six": {
                        "version": "==1.16.0",
                        "hashes": ["sha256:aa"],
                        "markers": "python_version >= '3'",
                    },
                },
            }
        )
    )
    lock_requirements.main(["x", str(lock), str(tmp_path / "out"), "default"])
    assert (tmp_path / "out" / "requirements.txt").read_text() == (
        "six==1.16.0 ; python_version >= '3' \\\n    --hash=sha256:aa\n"
    )
    assert (tmp_path / "out" / "local.txt").read_text() == "./libs/mylib\n"
    pdm = tmp_path / "pdm.lock"
    pdm.write_text('[metadata]\ngroups = ["default"]\n[[package]]\nname = "six"\nversion = "1.16.0"\n')
    with pytest.raises(SystemExit, match="inherit_metadata"):
        lock_requirements.main(["x", str(pdm), str(tmp_path / "out"), "default"])


@pytest.mark.parametrize("version", ["3.8", "3.10"])
def test_runs_where_the_interpreter_has_no_tomllib(tmp_path, version):
    """3.8-3.10 have no tomllib: pip's vendored reader stands in (as in the images' own Python)."""
    import shutil

    python = shutil.which(f"python{version}")
    require(python, f"python{version} is not installed")
    project = extract(tmp_path, "pdm", "p")
    result = subprocess.run(
        [python, str(SOURCE), str(project / "pdm.lock"), str(tmp_path / "out"), "default"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "pins from" in result.stdout and "rich==" in (tmp_path / "out" / "requirements.txt").read_text()
