"""The files this template writes that the repository's git ignores: a `.*` line in .gitignore hides
the answers file, and then `git add -A` leaves it out, and `copier update`, Renovate and the fleet
find no answers. Named after a copy or an update, one line each, with the line that keeps it."""

from __future__ import annotations

import subprocess
from pathlib import Path

# What the template writes, relative to project_dir (and the workflow, relative to the repository).
WRITTEN = ("python-upgrade", "tox-python-upgrade.ini", "deploy/bluegreen", "deploy/kubernetes")
WORKFLOW = ".github/workflows/python-upgrade.yml"


def written(dst: Path, project_dir: str, answers_file: str) -> list[str]:
    """The template's files as they are in the repository now, relative to its root."""
    here = "" if project_dir in ("", ".") else project_dir.rstrip("/") + "/"
    found = []
    for name in (answers_file, WORKFLOW, *(here + w for w in WRITTEN)):
        path = dst / name
        if path.is_file():
            found.append(name)
        elif path.is_dir():
            found += sorted(str(p.relative_to(dst)) for p in path.rglob("*") if p.is_file())
    return found


def ignored(dst: Path, paths: list[str]) -> list[tuple[str, str]]:
    """(path, "source:line: pattern") for each path git ignores; tracked files are never ignored."""
    if not paths or not (dst / ".git").exists():
        return []
    done = subprocess.run(
        ["git", "-C", str(dst), "check-ignore", "--verbose", "--stdin"],
        input="\n".join(paths) + "\n",
        capture_output=True,
        text=True,
        check=False,
    )
    hits = []
    for line in done.stdout.splitlines():  # <source>:<linenum>:<pattern> TAB <pathname>
        where, _, path = line.partition("\t")
        source, number, pattern = (where.split(":", 2) + ["", ""])[:3]
        if path and not pattern.startswith("!"):
            hits.append((path, f"{source}:{number}: {pattern}"))
    return hits


def notes(dst: Path, project_dir: str, answers_file: str) -> str:
    """One line per ignored file: which line ignores it and what keeps it. `git add -f` always does
    (git never ignores a tracked file); a `!path` line only where no folder above it is ignored, since
    git cannot re-include a file whose folder is excluded."""
    files = written(dst, project_dir, answers_file)
    folders = sorted({str(parent) + "/" for f in files for parent in Path(f).parents if str(parent) != "."})
    hits = dict(ignored(dst, files + folders))
    lines = []
    for path in files:
        if path not in hits:
            continue
        hidden = [f for f in folders if f in hits and path.startswith(f)]
        keep = f"`git add -f {path}` keeps it" + (
            "" if hidden else f" (or a line !{path} in .gitignore below it)"
        )
        lines.append(f"Note: git ignores {path} ({hits[path]}); {keep}, else it is left out of every commit")
    return "\n".join(lines)
