"""The documentation: built strictly as a site, its generated pages current, its links whole, and what
it states about the programs (their flags) and the template (ranges, defaults) true of the code."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import PROGRAMS, ROOT, require
from python_upgrade import questions, versions

PAGES = [ROOT / "README.md", ROOT / "CHANGELOG.md", *sorted((ROOT / "docs").rglob("*.md"))]


def test_the_generated_pages_are_current():
    """docs/generate.py writes the questions, files and real-projects references and the generated
    blocks (README's questions, troubleshooting's refusals and exit codes) from the code."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "generate.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr


def test_the_site_builds_strictly(tmp_path):
    """mkdocs build --strict: every page in the nav, every link and anchor resolves."""
    mkdocs = shutil.which("mkdocs") or str(Path(sys.executable).with_name("mkdocs"))
    require(Path(mkdocs).exists(), "mkdocs is not installed (pip install -e '.[test]')")
    result = subprocess.run(
        [mkdocs, "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def test_relative_links_outside_the_site_resolve():
    """README.md and CHANGELOG.md are read on the forge, not in the site: their links must resolve too."""
    for page in (ROOT / "README.md", ROOT / "CHANGELOG.md"):
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text()):
            if not re.match(r"[a-z]+:", target):
                assert (page.parent / target).exists(), f"{page.name} links to {target}, which does not exist"


def help_flags(*command: str) -> set[str]:
    result = subprocess.run(list(command), capture_output=True, text=True, timeout=60, cwd=PROGRAMS)
    assert result.returncode == 0, result.stderr
    return set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", result.stdout))


# Other tools' flags the pages name on the same lines as ours.
OTHERS = {
    "--trust",
    "--defaults",
    "--data-file",
    "--vcs-ref",
    "--skip-answered",
    "--answers-file",
    "--quiet",
    "--target",
    "--network",
    "--progress",
    "--build-arg",
    "--notest",
    "--strict",
    "--site-dir",
    "--help",
    "--with",
    "--force",
    "--dry-run",
    "--tags",
    "--abbrev",
    "--watch",
    "--env-file",
    "--rm",
    "--check",
}


def test_every_flag_the_pages_give_a_program_is_one_it_takes():
    """A `--flag` on a line of the documentation that names one of our programs is one of its flags (or
    of the tool it is passed through: copier, tox, docker...)."""
    python = sys.executable
    programs = {
        "audit.py": help_flags(python, "audit.py", "--help"),
        "compare.py": help_flags(python, "compare.py", "--help"),
        "load.py": help_flags(python, "load.py", "--help"),
        "smoke.py": help_flags(python, "smoke.py", "--help"),
        "services.py": help_flags(python, "services.py", "--help"),
        "probe.py": help_flags(python, "probe.py", "--help"),
        "poetry_install.py": help_flags(python, "poetry_install.py", "--help"),
        "python-upgrade-fleet": help_flags(python, "-m", "python_upgrade_fleet.cli", "status", "--help")
        | help_flags(python, "-m", "python_upgrade_fleet.cli", "apply", "--help"),
        "-e audit": help_flags(python, "audit.py", "--help"),
        "-e compare": help_flags(python, "compare.py", "--help"),
        "-e load": help_flags(python, "load.py", "--help"),
    }
    checked = 0
    for page in PAGES:
        text = page.read_text()
        # Commands: code spans and the lines of code blocks; a flag after one of our programs' names.
        commands = re.findall(r"`([^`\n]+)`", text) + [
            line for block in re.findall(r"(?ms)^```\w*\n(.*?)^```", text) for line in block.splitlines()
        ]
        for command in commands:
            if "benchmarks/" in command:  # the benchmarks are programs of their own
                continue
            for program, flags in programs.items():
                if program not in command:
                    continue
                for flag in re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", command.split(program, 1)[1]):
                    checked += 1
                    assert flag in flags | OTHERS, (
                        f"{page.relative_to(ROOT)}: `{command}`: {flag} is no flag of {program}"
                    )
    assert checked >= 10  # the pages do give flags: this test reads them


def test_the_stated_ranges_and_defaults_are_the_codes():
    """What current_python's help, scm_version's help and the questions' fallbacks state, checked against
    the checks, the Dockerfile and the workflow."""
    copier = yaml.safe_load((ROOT / "copier.yml").read_text())
    helped = copier["current_python"]["help"]
    assert "{{ SUPPORTED[0] }}" in helped and "{{ SUPPORTED[-2] }}" in helped
    check = questions.QUESTIONS["current_python"].check
    assert check(None, versions.SUPPORTED[-2]) == "" and check(None, versions.SUPPORTED[-1]) != ""
    assert "PROJECT_VERSION, default 0.0.0" in copier["scm_version"]["help"]
    assert (
        "ARG PROJECT_VERSION=0.0.0"
        in next(ROOT.glob("template/*/python-upgrade/Dockerfile.jinja")).read_text()
    )
    assert (
        "git describe --tags --abbrev=0"
        in (ROOT / "template" / ".github" / "workflows" / "python-upgrade.yml.jinja").read_text()
    )
    assert questions.QUESTIONS["health_path"].fallback == "/"


@pytest.mark.parametrize("name", ["LICENSE", "CHANGELOG.md", "mkdocs.yml"])
def test_the_project_files_are_there(name):
    assert (ROOT / name).is_file()
