"""Where each repository of a fleet stands in its migration: read from its own files and git history.

Everything comes from the repository: the answers file copier-python-upgrade records
(`.copier-answers.python-upgrade.yml`: template version, phase, versions, retire_after_days), the
rendered `python-upgrade/migration.json` (each version's end of life), the audit's last report
(`python-upgrade/audit-report.json`, the audit's `--json` as CI or a person wrote it), git (since
when the answers have said `phase: dual`), and the blue-green state file of
`deploy/bluegreen/bluegreen.sh` where one is given or sits where the rendered `bluegreen.conf` puts
it on this host. Nothing here writes.
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
            found += sorted(
                p for p in path.iterdir() if p.is_dir() and ((p / ".git").exists() or (p / ANSWERS).is_file())
            )
    return found


def version_key(ref: str) -> tuple[int, ...]:
    """v1.2.3, 1.2.3, v2 (a tag) or v1.2.3-4-gabc1234 (git describe past a tag) as numbers."""
    base = re.split(r"-\d+-g[0-9a-f]+$", ref.strip())[0]
    return tuple(int(n) for n in re.findall(r"\d+", base))


# A template without releases is the template's fact, not each repository's: said once, at the top.
UNTAGGED = (
    "template {source} has no version tags: tag each release (v0.1.0, ...; docs/releasing.md), "
    "and `behind` says which repositories are behind it"
)


def latest_tag(source: str) -> tuple[str | None, str | None]:
    """(the newest version tag of a template repository, problem)."""
    listed = subprocess.run(
        ["git", "ls-remote", "--tags", "--refs", source],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    if listed.returncode != 0:
        return None, f"template {source} not reachable: {(listed.stderr.strip().splitlines() or ['?'])[-1]}"
    tags = [line.split("refs/tags/", 1)[1] for line in listed.stdout.splitlines() if "refs/tags/" in line]
    tags = [t for t in tags if version_key(t)]
    return (max(tags, key=version_key), None) if tags else (None, UNTAGGED.format(source=source))


def dual_since(repo: Path) -> str | None:
    """The commit date (ISO day) since which the committed answers have said `phase: dual` without a
    break, or None (not dual, or the answers are not committed)."""
    log = git(repo, "log", "--format=%H %cs", "--", ANSWERS)
    since = None
    for line in log.stdout.splitlines():
        commit, day = line.split()
        shown = git(repo, "show", f"{commit}:{ANSWERS}")
        try:
            phase = (
                (yaml.safe_load(shown.stdout) or {}).get("phase", "dual") if shown.returncode == 0 else None
            )
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
        return {
            "ready": None,
            "blockers": None,
            "source": str(AUDIT_REPORT),
            "problem": f"unreadable: {error}",
        }
    return {
        "ready": report.get("ready"),
        "blockers": report.get("blockers"),
        "source": str(AUDIT_REPORT),
        "target": report.get("target"),
    }


BLUEGREEN_CONF = Path("deploy") / "bluegreen" / "bluegreen.conf"


def state_file(repo: Path, project_dir: str, given: dict[str, Path]) -> Path | None:
    """The blue-green state file for a repository: given (`--bluegreen-state NAME=FILE`, NAME the
    repository's folder name or path), else `$BG_STATE_DIR/state` with the default that the rendered
    bluegreen.conf sets, when this host has it (status run where the cutover runs)."""
    for key in (repo.name, str(repo)):
        if key in given:
            return given[key]
    conf = repo / project_dir / BLUEGREEN_CONF
    if not conf.is_file():
        return None
    match = re.search(r'^: "\$\{BG_STATE_DIR:=([^}]+)\}"', conf.read_text(), re.MULTILINE)
    if not match or "$" in match.group(1):
        return None
    path = Path(match.group(1)) / "state"
    return path if path.is_file() else None


def bluegreen_summary(path: Path, current: str | None, target: str | None) -> dict:
    """The cutover as bluegreen.sh recorded it: phase, the live color and its Python, the candidate and
    its weight, the share of traffic on the target version (green), and when green was promoted."""
    summary = {
        "source": str(path),
        "phase": None,
        "live": None,
        "live_python": None,
        "candidate": None,
        "weight": None,
        "target_share": None,
        "promoted_at": None,
        "finalize_due": None,
        "finalize_overdue": None,
        "problem": None,
    }
    try:
        values = dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
        live, candidate = values["LIVE"], values.get("CANDIDATE", "")
        weight, promoted = int(values.get("WEIGHT") or 0), int(values.get("PROMOTED_AT") or 0)
        if live not in ("blue", "green") or candidate not in ("", "blue", "green") or not 0 <= weight <= 100:
            raise ValueError(f"LIVE={live} CANDIDATE={candidate} WEIGHT={weight}")
    except (OSError, KeyError, ValueError) as error:
        summary["problem"] = f"blue-green state {path} unreadable: {error}"
        return summary
    python = {"blue": current, "green": target}
    green = (
        (weight if candidate == "green" else 0)
        if live == "blue"
        else (100 - weight if candidate == "blue" else 100)
    )
    summary.update(
        phase=values.get("PHASE") or "idle",
        live=live,
        live_python=python[live],
        candidate=candidate or None,
        weight=weight if candidate else None,
        target_share=green,
        promoted_at=datetime.datetime.fromtimestamp(promoted, datetime.timezone.utc).date().isoformat()
        if promoted
        else None,
    )
    return summary


def run_audit(repo: Path, project_dir: str) -> dict | None:
    """The audit run now (--audit): removed imports and wheels, not the tests."""
    where = repo / project_dir
    if not (where / "python-upgrade" / "audit.py").is_file():
        return None
    result = subprocess.run(
        ["python3", "python-upgrade/audit.py", "--json", "--no-tests"],
        cwd=where,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    try:
        report = json.loads(result.stdout)
    except ValueError:
        return {
            "ready": None,
            "blockers": None,
            "source": "--audit",
            "problem": (result.stderr.strip().splitlines() or ["no report"])[-1],
        }
    return {
        "ready": report["ready"],
        "blockers": report["blockers"],
        "source": "--audit",
        "target": report["target"],
    }


def status_of(
    repo: Path,
    today: datetime.date,
    template: str | None = None,
    audit: bool = False,
    tags: dict | None = None,
    states: dict[str, Path] | None = None,
) -> dict:
    """One repository's row: the documented JSON fields (README: Fleet)."""
    row = {
        "path": str(repo),
        "rendered": False,
        "template_version": None,
        "latest_template_version": None,
        "behind": None,
        "phase": None,
        "current_python": None,
        "target_python": None,
        "end_of_life": None,
        "past_eol": None,
        "dual_since": None,
        "retire_after_days": None,
        "retire_due": None,
        "retire_overdue": None,
        "audit": None,
        "bluegreen": None,
        "census": None,
        "state": "not rendered",
        "problems": [],
        "needs_action": [],
    }
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
    untracked = (repo / ".git").exists() and git(repo, "ls-files", "--error-unmatch", ANSWERS).returncode != 0
    if untracked:
        rule = git(repo, "check-ignore", "--verbose", ANSWERS).stdout.split("\t")[0].strip()
        row["problems"].append(
            f"{ANSWERS} is not tracked by git{f' (ignored by {rule})' if rule else ''}: "
            f"`git add -f {ANSWERS}` and commit it, or copier update, Renovate and apply find no answers"
        )
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
        if problem == UNTAGGED.format(source=source):
            row["template_note"] = problem
        elif problem:
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
        elif not untracked:
            row["problems"].append(f"{ANSWERS} is not committed: no date for the dual phase")
    row["audit"] = run_audit(repo, project_dir) if audit else audit_summary(repo, project_dir)
    row["app_kind"] = answers.get("app_kind", "web")
    row["census"] = census_of(repo, project_dir, row["target_python"], row["app_kind"])
    state = state_file(repo, project_dir, states or {})
    if state:
        row["bluegreen"] = bluegreen_summary(state, row["current_python"], row["target_python"])
        if row["bluegreen"]["problem"]:
            row["problems"].append(row["bluegreen"]["problem"])
        # Green has served all traffic since its promotion: after retire_after_days, blue can go.
        promoted = row["bluegreen"]["promoted_at"]
        if row["bluegreen"]["phase"] == "promoted" and promoted and row["retire_after_days"] is not None:
            due = datetime.date.fromisoformat(promoted) + datetime.timedelta(days=row["retire_after_days"])
            row["bluegreen"]["finalize_due"] = due.isoformat()
            row["bluegreen"]["finalize_overdue"] = today > due
    return finish(row)


def load_census(path: Path):
    """The repository's own python-upgrade/census.py (the template renders it), as a module."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"python_upgrade_census_{abs(hash(str(path)))}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def census_of(repo: Path, project_dir: str, target: object, app_kind: object) -> dict | None:
    """The repository's references to Python older than the target where it runs (production images,
    run time and CI; a library keeps testing the versions its users run, so only the first two), by
    the census.py it renders. None where it has none (rendered by a template before the census)."""
    path = repo / project_dir / "python-upgrade" / "census.py"
    if not path.is_file() or not target:
        return None
    try:
        census = load_census(path)
        references = census.Census(str(repo)).run()
        kinds = ("production image", "run time") if app_kind == "library" else census.RUNS
        older = census.older(references, str(target), kinds)
    except Exception as error:  # the repository's copy may be edited: one line, never a traceback
        return {"problem": f"python-upgrade/census.py failed: {type(error).__name__}: {error}"}
    by_kind: dict[str, int] = {}
    for r in older:
        by_kind[r["kind"]] = by_kind.get(r["kind"], 0) + 1
    return {
        "references": len(references),
        "older": [{k: r[k] for k in ("kind", "file", "line", "setting", "versions")} for r in older],
        "older_by_kind": by_kind,
    }


def state_of(row: dict) -> str:
    """ "done" only when the phase is finished, the census finds nothing older than the target where
    the app runs, and the cutover (where its state is known) is finalized; else the phase, or
    "finished" for a repository that says so while something still runs the old version."""
    if not row["rendered"]:
        return "not rendered"
    if row["phase"] != "finished":
        return str(row["phase"])
    census = row["census"]
    if not census or census.get("problem") or census["older"]:
        return "finished"
    bluegreen = row["bluegreen"]
    if bluegreen and not bluegreen.get("problem") and bluegreen["phase"] not in ("finalized", "idle"):
        return "finished"
    return "done"


def finish(row: dict) -> dict:
    """The reasons a platform lead acts on this repository."""
    row["state"] = state_of(row)
    census = row["census"]
    if row["phase"] == "finished" and row["rendered"] and row["state"] != "done":
        if census is None:
            row["needs_action"].append(
                "finished by its answers, but not verified: no python-upgrade/census.py (copier update)"
            )
        elif census.get("problem"):
            row["problems"].append(census["problem"])
        elif census["older"]:
            first = ", ".join(f"{r['file']}:{r['line']}" for r in census["older"][:3])
            more = f" and {len(census['older']) - 3} more" if len(census["older"]) > 3 else ""
            row["needs_action"].append(
                f"finished by its answers, but {len(census['older'])} reference(s) still name Python older "
                f"than {row['target_python']} where it runs: {first}{more}"
            )
        elif row["bluegreen"]:
            row["needs_action"].append(
                f"finished by its answers, but the cutover is {row['bluegreen']['phase']}: finalize it"
            )
    if row["behind"]:
        row["needs_action"].append(
            f"behind the template ({row['template_version']} < {row['latest_template_version']})"
        )
    if row["past_eol"]:
        row["needs_action"].append(
            f"Python {row['current_python']} past its end of life ({row['end_of_life']})"
        )
    if row["retire_overdue"]:
        row["needs_action"].append(
            f"dual since {row['dual_since']}: retire {row['current_python']} (due {row['retire_due']})"
        )
    if row["bluegreen"] and row["bluegreen"].get("finalize_overdue"):
        row["needs_action"].append(
            f"green (Python {row['target_python']}) serves all traffic since "
            f"{row['bluegreen']['promoted_at']}: run bluegreen.sh finalize"
        )
    if row["audit"] and row["audit"].get("ready") is False:
        row["needs_action"].append(f"audit: {row['audit']['blockers']} blocker(s)")
    row["needs_action"] += [f"problem: {p}" for p in row["problems"]]
    return row


def status(
    paths: list[Path],
    today: datetime.date | None = None,
    template: str | None = None,
    audit: bool = False,
    states: dict[str, Path] | None = None,
) -> dict:
    today = today or datetime.date.today()
    tags: dict = {}
    repos = [status_of(repo, today, template, audit, tags, states) for repo in repositories(paths)]
    notes = sorted({row.pop("template_note") for row in repos if "template_note" in row})
    return {"generated": today.isoformat(), "template": template, "notes": notes, "repos": repos}
