"""Every Python program the template ships is a plain file (no Jinja), imported here from template/ as a
module: importing runs nothing and `main` exists. The ones people run by hand answer `--help` before
any project data is read, and without their rendered data file they stop with one line that says so.
Their behaviour has its own tests (test_load, test_services, test_audit, test_poetry_install, ...)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest

from conftest import PROGRAMS as PLAIN, ROOT, load_program, require
from python_upgrade import versions

FOLDER = ROOT / "template" / "{{ project_dir }}" / "python-upgrade"
# Each program's name from its conditional file name: "{% if phase == 'dual' %}audit.py{% endif %}" -> audit.
PROGRAMS = sorted(re.search(r"(\w+)\.py", p.name).group(1) for p in FOLDER.iterdir() if ".py" in p.name)
# Run by people (MIGRATION.md, tox), with their data file: (program, the file it reads).
BY_HAND = {
    "audit": "migration.json",
    "compare": "migration.json",
    "load": "service.json",
    "smoke": "service.json",
    "services": "services.json",
    "probe": None,
    "census": None,
    "fix": "migration.json",
}


def test_every_program_is_found_and_none_is_a_template():
    assert {
        "audit",
        "compare",
        "load",
        "smoke",
        "services",
        "poetry_install",
        "probe",
        "facts",
        "census",
    } <= set(PROGRAMS)
    assert not [path.name for path in FOLDER.iterdir() if ".py" in path.name and path.name.endswith(".jinja")]


@pytest.mark.parametrize("name", [p for p in PROGRAMS if p not in ("locustfile", "facts")])
def test_imports_without_running_anything(name, capsys):
    module = load_program(name)
    assert callable(module.main)
    assert capsys.readouterr() == ("", "")


def run(name: str, *args: str) -> subprocess.CompletedProcess:
    """The program run as a user runs it, from its folder (under its plain name, beside the others)."""
    return subprocess.run(
        [sys.executable, str(PLAIN / f"{name}.py"), *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=PLAIN,
    )


@pytest.mark.parametrize("name", sorted(BY_HAND))
def test_help_answers_and_no_data_file_is_one_line(name):
    helped = run(name, "--help")
    assert helped.returncode == 0 and helped.stdout.startswith("usage:"), helped.stderr[-1000:]
    if BY_HAND[name] is None:  # the probe takes everything as arguments
        return
    assert not (FOLDER / BY_HAND[name]).exists()  # the source folder has no rendered data
    refused = run(name, *(["list"] if name == "services" else []))
    assert refused.returncode != 0 and "Traceback" not in refused.stderr, refused.stderr[-1000:]
    lines = refused.stderr.strip().splitlines()
    assert BY_HAND[name] in lines[-1], lines


def test_every_program_compiles_on_the_oldest_interpreter_a_migration_starts_from():
    """The programs run on the project's own interpreters (tox envs, the images): the oldest supported
    minor must compile them (no newer syntax slips in, from a hand or a formatter)."""
    oldest = versions.SUPPORTED[0]
    require(
        shutil.which(f"python{oldest}"), f"python{oldest} is not on PATH (export PYENV_VERSION, see .ci/run)"
    )
    for program in sorted(PLAIN.glob("*.py")):
        result = subprocess.run(
            [
                f"python{oldest}",
                "-c",
                "import sys; compile(open(sys.argv[1]).read(), sys.argv[1], 'exec')",
                str(program),
            ],
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, f"{program.name} on Python {oldest}: {result.stderr[-800:]}"
