"""Rendered output is clean under the linters users already run: hadolint, shellcheck, actionlint
(which runs shellcheck on `run:` blocks) and the GitHub-workflows JSON schema."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from copier import run_copy

from conftest import ROOT, require
from test_render import PAIRS, PATHS


@pytest.fixture(scope="module")
def projects(tmp_path_factory) -> list[Path]:
    """Every version pair (default answers) and every question path, rendered once for all linters."""
    out = tmp_path_factory.mktemp("lint")
    variants = {f"pair-{c}-{t}": {"current_python": c, "target_python": t} for c, t in PAIRS}
    variants |= {f"path-{name}": answers for name, answers in PATHS.items()}
    variants["pair-3.13-3.14-lanes"] = {"current_python": "3.13", "target_python": "3.14",
                                         "experimental_pythons": ["3.15", "3.14t"]}
    dirs = []
    for name, answers in variants.items():
        run_copy(str(ROOT), out / name, data=answers, defaults=True, unsafe=True, quiet=True, vcs_ref="HEAD")
        dirs.append(out / name)
    return dirs


def run_linter(tool: str, *args: str) -> None:
    require(shutil.which(tool), f"{tool} is not installed (pip install -e '.[test]')")
    result = subprocess.run([tool, *args], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{tool} failed:\n{result.stdout[-4000:]}\n{result.stderr[-2000:]}"


def test_hadolint(projects):
    run_linter("hadolint", *[str(p / "python-upgrade" / "Dockerfile") for p in projects])


def shell_scripts(project: Path) -> list[Path]:
    """Every rendered shell file: a shell shebang, a .sh name, or a `# shellcheck shell=` directive."""
    found = []
    for path in sorted(project.rglob("*")):
        if not path.is_file() or ".git" in path.parts:
            continue
        head = path.read_text(errors="replace")[:300]
        first = head.split("\n", 1)[0]
        if path.suffix == ".sh" or (first.startswith("#!") and first.rstrip().endswith(("sh", "bash"))) \
                or "# shellcheck shell=" in head:
            found.append(path)
    return found


def test_shellcheck_as_users_call_it(projects):
    """Plain `shellcheck FILE` from the repository root (pre-commit's hook, most CI linters), one file
    at a time, and `shellcheck -x` following the sourced config, at the strictest severity."""
    require(shutil.which("shellcheck"), "shellcheck is not installed (pip install -e '.[test]')")
    checked = 0
    for project in projects:
        for script in shell_scripts(project):
            relative = str(script.relative_to(project))
            for args in (["--severity=style"], ["--external-sources", "--severity=style"]):
                result = subprocess.run(["shellcheck", *args, relative], cwd=project, capture_output=True, text=True)
                assert result.returncode == 0, f"shellcheck {' '.join(args)} {relative} in {project.name}:\n{result.stdout}"
            checked += 1
    assert checked >= 2 * len(PAIRS)


def test_actionlint(projects):
    require(shutil.which("shellcheck"), "actionlint needs shellcheck to check run: blocks")
    run_linter("actionlint", *[str(p / ".github" / "workflows" / "python-upgrade.yml") for p in projects])


def test_github_workflow_schema(projects):
    run_linter("check-jsonschema", "--builtin-schema", "vendor.github-workflows",
               *[str(p / ".github" / "workflows" / "python-upgrade.yml") for p in projects])


def test_pyproject_deps_helper_is_valid_python(projects):
    helpers = [p / "python-upgrade" / "pyproject_deps.py" for p in projects]
    helpers = [h for h in helpers if h.exists()]
    assert helpers, "no variant uses the pyproject layout"
    for helper in helpers:
        compile(helper.read_text(), str(helper), "exec")


def test_ruff_on_every_rendered_python_file_and_on_our_sources(projects):
    """`ruff check` with its defaults (no config: the project's own may be stricter, never looser) on
    every rendered Python program, and on this template's extensions, plain programs and tests."""
    rendered = sorted(str(p) for project in projects for p in (project / "python-upgrade").rglob("*.py"))
    assert rendered
    run_linter("ruff", "check", "--isolated", "--no-cache", *rendered)
    # The template's plain programs as sources too (their names end in `.py{% endif %}`).
    programs = [p for p in (ROOT / "template").rglob("*") if p.is_file() and ".py" in p.name and p.suffix != ".jinja"]
    assert len(programs) >= 8, programs
    sources = [ROOT / "extensions", ROOT / "tests", ROOT / "python_upgrade_fleet", ROOT / "benchmarks", *programs]
    run_linter("ruff", "check", "--no-cache", "--exclude", "tests/golden", *map(str, sources))


def test_shellcheck_on_the_template_shell_programs_as_sources():
    """The shell programs the template ships are plain files (no Jinja): shellcheck reads them as they
    are in this repository, before any render, at the strictest severity."""
    require(shutil.which("shellcheck"), "shellcheck is not installed (pip install -e '.[test]')")
    programs = [p for p in (ROOT / "template").rglob("*.sh") if p.is_file()]
    assert programs, "no plain shell program in template/"
    for program in programs:
        result = subprocess.run(["shellcheck", "--severity=style", str(program)], capture_output=True, text=True)
        assert result.returncode == 0, f"shellcheck {program.relative_to(ROOT)}:\n{result.stdout}"


def test_template_file_names_are_portable():
    """Every template path can be checked out on Windows too (no `"` `<` `>` `|` `?` `*` or `:` in a
    name), and only files with something to render end in .jinja."""
    for path in (ROOT / "template").rglob("*"):
        rel = path.relative_to(ROOT / "template")
        assert not set('"<>|?*:') & set(str(rel)), rel
        if path.is_file() and path.suffix == ".jinja":
            assert "{{" in path.read_text() or "{%" in path.read_text(), f"{rel}: nothing to render, drop .jinja"
