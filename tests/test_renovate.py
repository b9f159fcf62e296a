"""Template releases reach repositories through Renovate's copier manager, configured as
docs/renovate/ ships it: Renovate 44's validator accepts both files and refuses a wrong one; Renovate
itself, run on a repository rendered from release v1 of a tagged git copy of this template, finds
release v2; and Renovate's copier artifact step, under that configuration, runs `copier update
--trust` to v2 and keeps the repository's own edit. Without the repository's opt-in the same step
stops at copier's refusal of an untrusted template instead of half-updating.

Renovate cannot open a pull request here (no Git host; its `local` platform stops after lookups), so
the artifact step is driven through Renovate's own module by tests/engines/renovate_artifacts.mjs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from copier import run_copy

from conftest import ROOT, require
from gitrepo import git
from test_update import tagged_template

CONFIG = ROOT / "docs" / "renovate" / "config.js"
REPO_CONFIG = ROOT / "docs" / "renovate" / "renovate.json"
ANSWERS = ".copier-answers.python-upgrade.yml"


@pytest.fixture(scope="module")
def renovate() -> Path:
    """The folder tests/engines/renovate.sh fills (Node 24, Renovate 44)."""
    require(shutil.which("npm"), "npm is not installed (Renovate and Node 24 come from npm)")
    result = subprocess.run(
        ["bash", str(ROOT / "tests" / "engines" / "renovate.sh")], capture_output=True, text=True, timeout=900
    )
    require(result.returncode == 0, f"Renovate could not be installed: {result.stderr[-500:]}")
    return Path(result.stdout.strip())


@pytest.fixture(scope="module")
def repository(tmp_path_factory) -> tuple[Path, str]:
    """A repository rendered from release v1, with an edit of its own and the shipped renovate.json.
    The template is recorded by URL, as Renovate needs it (a bare path is not a URL to Renovate)."""
    root = tmp_path_factory.mktemp("renovate")
    source = f"git+file://{tagged_template(root)}"
    repo = root / "service"
    repo.mkdir()
    (repo / "requirements.txt").write_text("markupsafe==3.0.2\n")
    (repo / "requirements-dev.txt").write_text("pytest==8.3.5\n")
    git(repo, "init", "-q", "-b", "main")
    run_copy(
        source,
        repo,
        data={"current_python": "3.11", "target_python": "3.12"},
        defaults=True,
        unsafe=True,
        quiet=True,
        vcs_ref="v1",
    )
    tox = repo / "tox-python-upgrade.ini"
    tox.write_text(tox.read_text() + "\n# our own note, kept across template releases\n")
    shutil.copy(REPO_CONFIG, repo / "renovate.json")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "python-upgrade v1")
    return repo, source


def run(renovate: Path, tool: str, *args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(renovate / "bin" / tool), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        env=os.environ | {"LOG_FORMAT": "json", **env},
    )


def test_validator_accepts_the_shipped_configuration(renovate, tmp_path):
    for config in (CONFIG, REPO_CONFIG):
        shutil.copy(config, tmp_path / config.name)
    result = run(
        renovate, "renovate-config-validator", "--strict", cwd=tmp_path, RENOVATE_CONFIG_FILE="config.js"
    )
    assert result.returncode == 0, result.stdout[-2000:]
    messages = [json.loads(line)["msg"] for line in result.stdout.splitlines() if line.startswith("{")]
    assert {"Validating config.js", "Validating renovate.json"} <= set(messages), messages
    # The validator does check: the option spelt wrong is refused.
    (tmp_path / "renovate.json").write_text(
        REPO_CONFIG.read_text().replace('"ignoreScripts"', '"ignoreScript"')
    )
    result = run(renovate, "renovate-config-validator", "--strict", "renovate.json", cwd=tmp_path)
    assert result.returncode != 0
    assert "packageRules[0].ignoreScript" in result.stdout


def test_renovate_finds_the_new_template_release(renovate, repository):
    repo, source = repository
    result = run(
        renovate,
        "renovate",
        "--platform=local",
        "--enabled-managers=copier",
        cwd=repo,
        RENOVATE_CONFIG_FILE=str(CONFIG),
        LOG_LEVEL="debug",
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    found = [
        json.loads(line)["config"]
        for line in result.stdout.splitlines()
        if '"msg":"packageFiles with updates"' in line
    ]
    assert found, result.stdout[-3000:]
    (package_file,) = found[-1]["copier"]
    assert package_file["packageFile"] == ANSWERS
    (dep,) = package_file["deps"]
    assert (dep["depName"], dep["currentValue"]) == (source, "v1")
    assert [update["newValue"] for update in dep["updates"]] == ["v2"]


def artifacts(renovate: Path, repo: Path, repo_config: Path) -> dict:
    node = renovate / "bin" / "node"
    module = renovate / "renovate" / "node_modules" / "renovate"
    result = subprocess.run(
        [
            str(node),
            str(ROOT / "tests" / "engines" / "renovate_artifacts.mjs"),
            str(module),
            str(repo),
            ANSWERS,
            "v2",
            str(CONFIG),
            str(repo_config),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env=os.environ | {"LOG_LEVEL": "warn"},
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return json.loads(result.stdout.splitlines()[-1])


def test_renovate_updates_the_repository_trusted_and_keeps_its_edits(renovate, repository, tmp_path):
    repo = tmp_path / "branch"
    git(tmp_path, "clone", "-q", str(repository[0]), str(repo))
    out = artifacts(renovate, repo, REPO_CONFIG)
    assert out["ignoreScripts"] is False
    assert out["errors"] == []
    assert {f["path"] for f in out["files"]} == {ANSWERS, "tox-python-upgrade.ini"}
    assert "_commit: v2\n" in (repo / ANSWERS).read_text()
    tox = (repo / "tox-python-upgrade.ini").read_text()
    assert "# v2: a new line" in tox
    assert "# our own note, kept across template releases" in tox
    assert "<<<<<<<" not in tox


def test_without_the_repository_opt_in_copier_refuses_and_nothing_changes(renovate, repository, tmp_path):
    repo = tmp_path / "branch"
    git(tmp_path, "clone", "-q", str(repository[0]), str(repo))
    plain = tmp_path / "renovate.json"
    plain.write_text(json.dumps({"extends": ["config:recommended"]}))
    out = artifacts(renovate, repo, plain)
    assert out["ignoreScripts"] is True
    assert out["files"] == []
    (error,) = out["errors"]
    assert "unsafe feature: jinja_extensions" in error
    assert git(repo, "status", "--porcelain") == ""
