"""The install line, as the README and docs/install.md write it, on a distribution as a new user has it:
Debian bookworm with its own python3, pip and pipx (Debian marks its Python EXTERNALLY-MANAGED, as
Ubuntu 24.04 does), in a container built from Debian's packages. Plain `pip install` is refused there;
the documented line installs copier with pipx and renders the template into a repository."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from conftest import ROOT
from engine import docker, docker_cli
from gitrepo import commit, git

pytestmark = [pytest.mark.docker, pytest.mark.network, pytest.mark.slow]


def sh_blocks(path) -> list[str]:
    """The command lines of a Markdown file's ```sh blocks, in order."""
    return [
        line
        for block in re.findall(r"(?ms)^```sh\n(.*?)^```", path.read_text())
        for line in block.splitlines()
        if line.strip()
    ]


def test_the_documented_install_works_where_plain_pip_is_refused(tmp_path):
    docker_cli()
    made = subprocess.run(
        ["bash", str(ROOT / "tests" / "engines" / "base_images.sh"), "distribution", "bookworm"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert made.returncode == 0, made.stderr[-3000:]
    image = made.stdout.split()[-1]

    # The template as a clone holds it, and a repository to render it into.
    template = tmp_path / "copier-python-upgrade"
    shutil.copytree(
        ROOT,
        template,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "__pycache__", ".pytest_cache", "*.egg-info", "build", ".tox", "site"
        ),
    )
    git(template, "init", "-q", "-b", "main")
    commit(template, "a fresh clone")
    repo = tmp_path / "service"
    shutil.copytree(ROOT / "tests" / "sample_app", repo)
    git(repo, "init", "-q", "-b", "main")
    commit(repo, "the service")

    render = sh_blocks(ROOT / "README.md")[0]
    install = sh_blocks(ROOT / "docs" / "install.md")[0]
    assert render.startswith(install + " && copier copy --trust --defaults "), (render, install)
    line = render.replace("path/to/copier-python-upgrade", "/template").replace("path/to/your-repo", "/repo")
    script = "\n".join(
        [
            "set -u",
            'python3 -m pip install copier==9.19.1 > /tmp/pip.log 2>&1; echo "plain pip: exit $?"',
            "grep -c externally-managed-environment /tmp/pip.log",
            # What `pipx ensurepath` and a new shell give: pipx's bin directory on PATH.
            'export PATH="$HOME/.local/bin:$PATH"',
            "git config --global --add safe.directory '*'",
            line,
        ]
    )
    result = docker(
        "run",
        "--rm",
        "--network",
        "host",
        "-v",
        f"{template}:/template",
        "-v",
        f"{repo}:/repo",
        image,
        "bash",
        "-c",
        script,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert result.stdout.splitlines()[:2] == ["plain pip: exit 1", "1"], result.stdout[-2000:]
    assert "rendered" in result.stdout + result.stderr
    answers = (repo / ".copier-answers.python-upgrade.yml").read_text()
    assert "app_kind: web" in answers and (repo / "python-upgrade" / "Dockerfile").is_file()
