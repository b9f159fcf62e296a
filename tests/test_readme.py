"""The README's commands, run as a new user runs them: read from README.md itself (so a changed command
is the one tested), from a fresh copy of this repository, with pipx making fresh virtualenvs in a fresh
folder, and nothing on PATH from this suite's own virtualenv: what the README installs is all there is."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, require
from render import ANSWERS_FILE
from gitrepo import git

pytestmark = [pytest.mark.network, pytest.mark.slow]


def readme_commands(heading: str) -> list[str]:
    """The command lines of the ```sh blocks under a README heading (## or ###), comments dropped."""
    text = (ROOT / "README.md").read_text()
    section = re.search(rf"(?ms)^#+ {re.escape(heading)}\s*$(.*?)(?=^## |\Z)", text)
    assert section, f"README.md has no section {heading!r}"
    lines = []
    for block in re.findall(r"(?ms)^```sh\n(.*?)^```", section.group(1)):
        lines += [re.sub(r"\s+#.*$", "", line).strip() for line in block.splitlines() if line.strip()]
    return lines


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> dict:
    """A fresh copy of this repository committed in git (what a clone holds), an empty pipx home, and a
    PATH with only the system's tools, pipx itself and what pipx installs."""
    root = tmp_path_factory.mktemp("readme")
    clone = root / "copier-python-upgrade"
    shutil.copytree(
        ROOT,
        clone,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "__pycache__", ".pytest_cache", "*.egg-info", "build", ".tox"
        ),
    )
    git(clone, "init", "-q", "-b", "main")
    git(clone, "add", "-A")
    git(clone, "commit", "-q", "-m", "a fresh clone")
    tools = root / "tools"
    tools.mkdir()
    pipx = shutil.which("pipx") or str(Path(sys.executable).with_name("pipx"))
    require(Path(pipx).exists(), "pipx is not installed (pip install -e '.[test]')")
    (tools / "pipx").symlink_to(pipx)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("VIRTUAL_ENV", "PIPX_"))}
    env |= {
        "PIPX_HOME": str(root / "pipx"),
        "PIPX_BIN_DIR": str(root / "bin"),
        "PIPX_MAN_DIR": str(root / "man"),
        "PATH": os.pathsep.join([str(root / "bin"), str(tools), "/usr/local/bin", "/usr/bin", "/bin"]),
    }
    return {"root": root, "clone": clone, "env": env}


def run(command: str, world: dict, substitutions: dict[str, str], cwd: Path | None = None) -> str:
    for placeholder, value in substitutions.items():
        command = command.replace(placeholder, value)
    result = subprocess.run(
        ["bash", "-c", command],
        cwd=cwd or world["root"],
        env=world["env"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode in (0, 1), f"{command}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout + result.stderr


def test_the_copy_command_works_on_a_real_repository_from_nothing(world, tmp_path):
    """Set up's first command, as written: pipx installs copier and its loader, copier renders the
    template into a real repository, and the programs it rendered answer --help on plain python3."""
    from test_real_repos import real_repo  # noqa: PLC0415 - extraction helpers of the real-repository tests

    repo = real_repo(tmp_path, "microblog")
    commands = readme_commands("Set up")
    assert len(commands) == 2 and commands[1] == "bash .ci/run", commands  # render; test
    run(
        commands[0],
        world,
        {"path/to/copier-python-upgrade": str(world["clone"]), "path/to/your-repo": str(repo)},
    )
    assert (world["root"] / "bin" / "copier").exists()  # pipx's copier, not this suite's
    answers = (repo / ANSWERS_FILE).read_text()
    assert "current_python: '3.11'" in answers and "app_kind: web" in answers, answers
    for program in ("audit", "compare", "load", "smoke"):
        result = subprocess.run(
            ["python3", f"python-upgrade/{program}.py", "--help"],
            cwd=repo,
            capture_output=True,
            text=True,
            env=world["env"],
            timeout=60,
        )
        assert result.returncode == 0 and result.stdout.startswith("usage:"), (program, result.stderr)


def test_the_fleet_commands_work_from_a_fresh_install(world, tmp_path):
    """The Fleet section's commands, as written: pipx installs the command from the clone (its declared
    dependencies are all it gets), apply rolls the template out over real repositories with the
    organisation file, and status writes its page."""
    from test_real_repos import real_repo  # noqa: PLC0415

    folder = tmp_path / "src"
    folder.mkdir()
    for name in ("microblog", "django-locallibrary-tutorial"):
        real_repo(folder, name)
    commands = readme_commands("Fleet")
    assert [c.split()[:2] for c in commands] == [
        ["pipx", "install"],
        ["python-upgrade-fleet", "apply"],
        ["python-upgrade-fleet", "status"],
    ], commands
    page = tmp_path / "fleet.html"
    substitutions = {
        "git+https://github.com/org/copier-python-upgrade.git": f"git+file://{world['clone']}",
        "https://github.com/org/copier-python-upgrade.git": str(world["clone"]),
        "org.yml": str(world["clone"] / "docs" / "org.example.yml"),
        "~/src/": str(folder),
        "fleet.html": str(page),
    }
    run(commands[0], world, substitutions)
    assert (world["root"] / "bin" / "python-upgrade-fleet").exists()
    applied = run(commands[1], world, substitutions)
    for name, current in (("microblog", "3.11"), ("django-locallibrary-tutorial", "3.10")):
        assert f"python-upgrade/{current}-to-3.13" in git(folder / name, "branch", "--show-current"), applied
        assert "target_python: '3.13'" in (folder / name / ANSWERS_FILE).read_text()
    run(commands[2], world, substitutions)
    shown = page.read_text()
    assert "microblog" in shown and "django-locallibrary-tutorial" in shown and "3.13" in shown
