"""Where each repository of a fleet stands in its migration: read from its own files and git history.

Everything comes from the repository: the answers file copier-python-upgrade records
(`.copier-answers.python-upgrade.yml`: template version, phase, versions, retire_after_days), the
rendered `python-upgrade/migration.json` (each version's end of life), the audit's last report
(`python-upgrade/audit-report.json`, the audit's `--json` as CI or a person wrote it), and git (since
when the answers have said `phase: dual`). Nothing here writes.
"""

from __future__ import annotations

import datetime
import json
import re
import subprocess
from pathlib import Path

import yaml

ANSWERS = ".copier-answers.python-upgrade.yml"
AUDIT_REPORT = Path("python-upgrade") / "audit-report.json"
DEFAULT_RETIRE_AFTER_DAYS = 7


def git(repo: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=False)


def repositories(paths: list[Path]) -> list[Path]:
    """Each PATH that is a repository (it has .git or an answers file), else its subfolders that are."""
    found = []
    for path in paths:
        if (path / ".git").exists() or (path / ANSWERS).is_file():
            found.append(path)
        elif path.is_dir():
            found += sorted(p for p in path.iterdir() if p.is_dir() and ((p / ".git").exists() or (p / ANSWERS).is_file()))
    return found


def version_key(ref: str) -> tuple[int, ...]:
    """v1.2.3, 1.2.3, v2 (a tag) or v1.2.3-4-gabc1234 (git describe past a tag) as numbers."""
    base = re.split(r"-\d+-g[0-9a-f]+$", ref.strip())[0]
    return tuple(int(n) for n in re.findall(r"\d+", base))


def latest_tag(source: str) -> tuple[str | None, str | None]:
    """(the newest version tag of a template repository, problem)."""
    listed = subprocess.run(["git", "ls-remote", "--tags", "--refs", source], capture_output=True, text=True,
                            check=False, timeout=120)
    if listed.returncode != 0:
        return None, f"template {source} not reachable: {(listed.stderr.strip().splitlines() or ['?'])[-1]}"
    tags = [line.split("refs/tags/", 1)[1] for line in listed.stdout.splitlines() if "refs/tags/" in line]
    tags = [t for t in tags if version_key(t)]
    return (max(tags, key=version_key), None) if tags else (None, f"template {source} has no version tags")


def dual_since(repo: Path) -> str | None:
    """The commit date (ISO day) since which the committed answers have said `phase: dual` without a
    break, or None (not dual, or the answers are not committed)."""
    log = git(repo, "log", "--format=%H %cs", "--", ANSWERS)
    since = None
    for line in log.stdout.splitlines():
        commit, day = line.split()
        shown = git(repo, "show", f"{commit}:{ANSWERS}")
        try:
            phase = (yaml.safe_load(shown.stdout) or {}).get("phase", "dual") if shown.returncode == 0 else None
        except yaml.YAMLError:
            phase = None
        if phase != "dual":
            break
        since = day
    return since


def audit_summary(repo: Path, project_dir: str) -> dict | None:
    path = repo / project_dir / AUDIT_REPORT
    if not path.is_file():
        return None
    try:
        report = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        return {"ready": None, "blockers": None, "source": str(AUDIT_REPORT), "problem": f"unreadable: {error}"}
    return {"ready": report.get("ready"), "blockers": report.get("blockers"), "source": str(AUDIT_REPORT),
            "target": report.get("target")}


def run_audit(repo: Path, project_dir: str) -> dict | None:
    """The audit run now (--audit): removed imports and wheels, not the tests."""
    where = repo / project_dir
    if not (where / "python-upgrade" / "audit.py").is_file():
        return None
    result = subprocess.run(["python3", "python-upgrade/audit.py", "--json", "--no-tests"], cwd=where,
                            capture_output=True, text=True, check=False, timeout=900)
    try:
        report = json.loads(result.stdout)
    except ValueError:
        return {"ready": None, "blockers": None, "source": "--audit",
                "problem": (result.stderr.strip().splitlines() or ["no report"])[-1]}
    return {"ready": report["ready"], "blockers": report["blockers"], "source": "--audit", "target": report["target"]}


def status_of(repo: Path, today: datetime.date, template: str | None = None, audit: bool = False,
              tags: dict | None = None) -> dict:
    """One repository's row: the documented JSON fields (README: Fleet)."""
    row = {"path": str(repo), "rendered": False, "template_version": None, "latest_template_version": None,
           "behind": None, "phase": None, "current_python": None, "target_python": None, "end_of_life": None,
           "past_eol": None, "dual_since": None, "retire_after_days": None, "retire_due": None,
           "retire_overdue": None, "audit": None, "problems": [], "needs_action": []}
    if not (repo / ".git").exists():
        row["problems"].append("not a git repository")
    answers_path = repo / ANSWERS
    if not answers_path.is_file():
        row["problems"].append(f"no {ANSWERS}: the template is not rendered here")
        return finish(row)
    try:
        answers = yaml.safe_load(answers_path.read_text()) or {}
        if not isinstance(answers, dict):
            raise ValueError("not a mapping")
    except (yaml.YAMLError, ValueError, OSError) as error:
        row["problems"].append(f"{ANSWERS} unreadable: {str(error).splitlines()[0]}")
        return finish(row)
    row["rendered"] = True
    row["template_version"] = str(answers.get("_commit") or "") or None
    row["phase"] = answers.get("phase", "dual")
    row["current_python"], row["target_python"] = answers.get("current_python"), answers.get("target_python")
    project_dir = str(answers.get("project_dir") or ".")

    source = template or answers.get("_src_path")
    if source:
        tags = {} if tags is None else tags
        if source not in tags:
            tags[source] = latest_tag(str(source))
        latest, problem = tags[source]
        if problem:
            row["problems"].append(problem)
        elif row["template_version"]:
            row["latest_template_version"] = latest
            row["behind"] = version_key(latest) > version_key(row["template_version"])
    else:
        row["problems"].append("the answers name no template (_src_path)")

    data_path = repo / project_dir / "python-upgrade" / "migration.json"
    if row["phase"] == "dual" and data_path.is_file():
        try:
            eol = json.loads(data_path.read_text()).get("end_of_life") or {}
        except ValueError:
            eol = {}
        row["end_of_life"] = eol.get("current")
        if row["end_of_life"]:
            row["past_eol"] = today.isoformat() > row["end_of_life"]

    if row["phase"] == "dual":
        days = answers.get("retire_after_days", DEFAULT_RETIRE_AFTER_DAYS)
        row["retire_after_days"] = int(days)
        row["dual_since"] = dual_since(repo)
        if row["dual_since"]:
            due = datetime.date.fromisoformat(row["dual_since"]) + datetime.timedelta(days=int(days))
            row["retire_due"] = due.isoformat()
            row["retire_overdue"] = today > due
        else:
            row["problems"].append(f"{ANSWERS} is not committed: no date for the dual phase")
    row["audit"] = run_audit(repo, project_dir) if audit else audit_summary(repo, project_dir)
    return finish(row)


def finish(row: dict) -> dict:
    """The reasons a platform lead acts on this repository."""
    if row["behind"]:
        row["needs_action"].append(f"behind the template ({row['template_version']} < {row['latest_template_version']})")
    if row["past_eol"]:
        row["needs_action"].append(f"Python {row['current_python']} past its end of life ({row['end_of_life']})")
    if row["retire_overdue"]:
        row["needs_action"].append(f"dual since {row['dual_since']}: retire {row['current_python']} "
                                   f"(due {row['retire_due']})")
    if row["audit"] and row["audit"].get("ready") is False:
        row["needs_action"].append(f"audit: {row['audit']['blockers']} blocker(s)")
    row["needs_action"] += [f"problem: {p}" for p in row["problems"]]
    return row


def status(paths: list[Path], today: datetime.date | None = None, template: str | None = None,
           audit: bool = False) -> dict:
    today = today or datetime.date.today()
    tags: dict = {}
    repos = [status_of(repo, today, template, audit, tags) for repo in repositories(paths)]
    return {"generated": today.isoformat(), "template": template, "repos": repos}
