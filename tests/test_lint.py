"""Rendered output is clean under the linters users already run: hadolint, shellcheck, actionlint
(which runs shellcheck on `run:` blocks) and the GitHub-workflows JSON schema."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from copier import run_copy

from conftest import ROOT, require
from render import load_yaml
from test_render import PAIRS, PATHS


@pytest.fixture(scope="module")
def projects(tmp_path_factory) -> list[Path]:
    """Every version pair (default answers) and every question path, rendered once for all linters."""
    out = tmp_path_factory.mktemp("lint")
    variants = {f"pair-{c}-{t}": {"current_python": c, "target_python": t} for c, t in PAIRS}
    variants |= {f"path-{name}": answers for name, answers in PATHS.items()}
    variants["pair-3.13-3.14-lanes"] = {
        "current_python": "3.13",
        "target_python": "3.14",
        "experimental_pythons": ["3.15", "3.14t"],
    }
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
        if (
            path.suffix == ".sh"
            or (first.startswith("#!") and first.rstrip().endswith(("sh", "bash")))
            or "# shellcheck shell=" in head
        ):
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
                result = subprocess.run(
                    ["shellcheck", *args, relative], cwd=project, capture_output=True, text=True
                )
                assert result.returncode == 0, (
                    f"shellcheck {' '.join(args)} {relative} in {project.name}:\n{result.stdout}"
                )
            checked += 1
    assert checked >= 2 * len(PAIRS)


def test_actionlint(projects):
    require(shutil.which("shellcheck"), "actionlint needs shellcheck to check run: blocks")
    run_linter("actionlint", *[str(p / ".github" / "workflows" / "python-upgrade.yml") for p in projects])


def test_github_workflow_schema(projects):
    run_linter(
        "check-jsonschema",
        "--builtin-schema",
        "vendor.github-workflows",
        *[str(p / ".github" / "workflows" / "python-upgrade.yml") for p in projects],
    )


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
    programs = [
        p for p in (ROOT / "template").rglob("*") if p.is_file() and ".py" in p.name and p.suffix != ".jinja"
    ]
    assert len(programs) >= 8, programs
    sources = [
        ROOT / "extensions",
        ROOT / "tests",
        ROOT / "python_upgrade_fleet",
        ROOT / "benchmarks",
        *programs,
    ]
    run_linter("ruff", "check", "--no-cache", "--exclude", "tests/golden", *map(str, sources))


def test_template_file_names_are_portable():
    """Every template path can be checked out on Windows too (no `"` `<` `>` `|` `?` `*` or `:` in a
    name), and only files with something to render end in .jinja."""
    for path in (ROOT / "template").rglob("*"):
        rel = path.relative_to(ROOT / "template")
        assert not set('"<>|?*:') & set(str(rel)), rel
        if path.is_file() and path.suffix == ".jinja":
            assert "{{" in path.read_text() or "{%" in path.read_text(), (
                f"{rel}: nothing to render, drop .jinja"
            )


# ------------------------------------------------------------------------- pipes under pipefail
# A reader that stops before its input ends (grep -q, grep -m, head, sed ...q, awk ... exit) at the end
# of a pipe: the writer may still be writing, gets SIGPIPE, and under `set -o pipefail` the whole pipe
# fails at random (tests/engines/base_images.sh took a version pyenv has for one it lacks that way).
_EARLY_READER = re.compile(
    r"""^(?:!\s*)?(?:
        head\b
      | grep\s+(?:-\S*\s+)*?(?:-[A-Za-z]*[qm][A-Za-z0-9]*|--quiet|--silent|--max-count)\b
      | sed\s+.*(?:\bq\b|;q\b|\dq\b)
      | awk\s+.*\bexit\b
    )""",
    re.X,
)


def early_exiting_readers(text: str) -> list[str]:
    """`line: command` of every pipe in a shell text whose last reader may stop reading early."""
    lines, start, current = [], 0, ""
    for number, line in enumerate(text.splitlines(), 1):  # continuation lines joined, numbered by the first
        start, current = (start or number), current + line
        if line.endswith("\\"):
            current = current[:-1] + " "
            continue
        lines.append((start, current))
        start, current = 0, ""
    found = []
    for number, line in lines:
        code = line.strip()
        if not code or code.startswith("#"):
            continue
        # Where the pipes are, with quoted strings blanked out (a `|` inside them is no pipe); each reader
        # is then read as written.
        bare = re.sub(r"'[^']*'|\"(?:[^\"\\]|\\.)*\"", lambda m: "_" * len(m.group(0)), code)
        pipes = [m.start() for m in re.finditer(r"(?<![|>])\|(?![|&])", bare)]
        for start, end in zip(pipes, [*pipes[1:], len(code)]):
            if _EARLY_READER.match(code[start + 1 : end].strip()):
                found.append(f"{number}: {code}")
                break
    return found


def test_the_pipe_check_finds_early_readers_and_nothing_else():
    assert early_exiting_readers('pyenv versions --bare | grep -qE "^3\\.12"\n')
    assert early_exiting_readers("docker ps | head -n 1\n")
    assert early_exiting_readers("a | sed -n '1p;q'\n")
    assert early_exiting_readers("cmd \\\n  | grep -m1 x\n")
    assert not early_exiting_readers('grep -q x <<<"$versions"\n')
    assert not early_exiting_readers("a || grep -q x file\n")
    assert not early_exiting_readers("echo 'a | head' | grep -c x\n")
    assert not early_exiting_readers("# pyenv versions | grep -q x\n")


def own_shell_scripts() -> list[Path]:
    """Every shell script this repository runs or ships, as tracked by git (the golden copies aside)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split("\0")
    scripts = []
    for name in listed:
        path = ROOT / name
        if name.startswith("tests/golden/") or not path.is_file():
            continue
        first = path.read_text(errors="replace").split("\n", 1)[0]
        if path.suffix == ".sh" or (first.startswith("#!") and first.rstrip().endswith(("sh", "bash"))):
            scripts.append(path)
    return scripts


def test_own_shell_scripts_pass_shellcheck_and_have_no_early_reader_in_a_pipe():
    """.ci/run, the test engines' scripts and the shell programs the template ships: shellcheck at the
    strictest severity, and no pipe that can fail at random under pipefail."""
    require(shutil.which("shellcheck"), "shellcheck is not installed (pip install -e '.[test]')")
    scripts = own_shell_scripts()
    names = {str(p.relative_to(ROOT)) for p in scripts}
    assert {".ci/run", "tests/engines/base_images.sh", "tests/engines/renovate.sh"} <= names, names
    assert any(name.endswith("bluegreen/bluegreen.sh") for name in names), names
    for script in scripts:
        result = subprocess.run(
            ["shellcheck", "--severity=style", str(script)], capture_output=True, text=True
        )
        assert result.returncode == 0, f"shellcheck {script.relative_to(ROOT)}:\n{result.stdout}"
        assert early_exiting_readers(script.read_text()) == [], script.relative_to(ROOT)


def test_rendered_shell_has_no_early_reader_in_a_pipe(projects):
    """The same pipe check on every rendered shell script and every `run:` block of the workflow."""
    checked = 0
    for project in projects:
        for script in shell_scripts(project):
            assert early_exiting_readers(script.read_text()) == [], script
            checked += 1
        workflow = load_yaml(project / ".github" / "workflows" / "python-upgrade.yml")
        for job in workflow["jobs"].values():
            for step in job.get("steps", []):
                if "run" in step:
                    assert early_exiting_readers(str(step["run"])) == [], (project.name, step["run"])
                    checked += 1
    assert checked > len(projects)
