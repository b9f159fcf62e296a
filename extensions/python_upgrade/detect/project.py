"""Where the Python project sits in the repository (project_dir), and the uv workspace around it."""

from __future__ import annotations

import re
from pathlib import Path

from .files import FOREIGN_DIRS, PROJECT_FILES, files, toml, upwards
from .rule import Rule


def workspace_members(root: Path) -> list[Path]:
    """The member directories of the uv workspace rooted at root (`[tool.uv.workspace]` members globs,
    less its excludes), each holding a pyproject.toml; [] where root is no workspace root."""
    workspace = ((toml(root / "pyproject.toml").get("tool") or {}).get("uv") or {}).get("workspace")
    if not isinstance(workspace, dict):
        return []
    excluded = {p for pattern in workspace.get("exclude") or [] for p in root.glob(str(pattern))}
    members = [p for pattern in workspace.get("members") or [] for p in sorted(root.glob(str(pattern)))]
    return [p for p in dict.fromkeys(members) if p not in excluded and (p / "pyproject.toml").is_file()]


class WorkspaceApp(Rule):
    """pyproject.toml, a virtual uv workspace (no [project]) whose app is {member}/, {how}

    The member a virtual uv workspace root holds the app in: the one member no other member depends
    on, else the one with a Dockerfile or manage.py."""

    question = "project_dir"

    def find(self, facts):
        repo = facts.repo
        data = toml(repo / "pyproject.toml")
        if "project" in data or not (repo / "uv.lock").is_file():
            return None
        members = workspace_members(repo)
        names = {m: str((toml(m / "pyproject.toml").get("project") or {}).get("name", "")) for m in members}
        needed = set()
        for m in members:
            for requirement in (toml(m / "pyproject.toml").get("project") or {}).get("dependencies") or []:
                needed.add(
                    re.split(r"[\s<>=!~;\[(]", str(requirement), maxsplit=1)[0].lower().replace("_", "-")
                )
        apps = [m for m in members if names[m].lower().replace("_", "-") not in needed]
        served = [m for m in apps if (m / "Dockerfile").is_file() or (m / "manage.py").is_file()]
        chosen = served[:1] if len(served) == 1 else apps if len(apps) == 1 else []
        if not chosen:
            return None
        member = chosen[0].relative_to(repo).as_posix()
        how = (
            "the member with a Dockerfile or manage.py" if served else "the member no other member depends on"
        )
        return member, {"member": member, "how": how}


class ProjectFilesBelow(Rule):
    """{dir}/, which holds {names} (the root holds none)

    The root holds no project file (pyproject.toml, setup.py, requirements.txt, Pipfile, manage.py, a
    lock), and one sub-directory does (backend/, src/): the one with the most of them."""

    question = "project_dir"

    def find(self, facts):
        repo = facts.repo
        if any((repo / name).is_file() for name in PROJECT_FILES):
            return None
        candidates = []
        for marker in PROJECT_FILES:
            for path in files(repo, (f"*/{marker}", f"*/*/{marker}"), depth=3):
                rel = path.parent.relative_to(repo)
                if not FOREIGN_DIRS & set(rel.parts):
                    candidates.append(rel)
        if not candidates:
            return None
        best = max(set(candidates), key=lambda d: (candidates.count(d), -len(d.parts), str(d)))
        found = sorted(name for name in PROJECT_FILES if (repo / best / name).is_file())
        return best.as_posix(), {"dir": best.as_posix(), "names": ", ".join(found)}


def workspace_lock(facts) -> Path | None:
    """The uv.lock of a workspace whose member project_dir is (a lock above it), or None."""
    lock = upwards(facts.repo, facts.root, "uv.lock") if facts.repo.is_dir() else None
    return None if lock is None or lock.parent == facts.root else lock


class WorkspaceLock(Rule):
    """{lock}, the lock of a workspace with member {member}/ (its [project].name {package})

    Docker builds from where uv.lock sits, so the lock and the other members are in the context."""

    question = "workspace_root"

    def find(self, facts):
        lock = workspace_lock(facts)
        if lock is None:
            return None
        root = Path(*[".."] * len(facts.root.relative_to(lock.parent).parts)).as_posix()
        return root, self.details(facts, lock)

    @staticmethod
    def details(facts, lock: Path) -> dict:
        package = str((toml(facts.root / "pyproject.toml").get("project") or {}).get("name", ""))
        return {
            "lock": lock.relative_to(facts.repo).as_posix(),
            "member": facts.root.relative_to(lock.parent).as_posix(),
            "package": package or "missing",
        }


class WorkspaceMember(Rule):
    """{project}/pyproject.toml ([project].name)

    Every `uv sync` installs the member project_dir holds, by its name."""

    question = "workspace_package"

    def find(self, facts):
        lock = workspace_lock(facts)
        package = (
            str((toml(facts.root / "pyproject.toml").get("project") or {}).get("name", "")) if lock else ""
        )
        return (package, {"project": facts.root.relative_to(facts.repo).as_posix()}) if package else None
