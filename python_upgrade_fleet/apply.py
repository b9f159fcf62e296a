"""Roll the template out: copy it into every repository that lacks it, update those that have it,
each on a new branch, committed; a repository that cannot take it is left exactly as it was."""

from __future__ import annotations

import io
import multiprocessing
import os
import signal
import subprocess
import sys
import uuid
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import yaml

import datetime

from python_upgrade_fleet.status import ANSWERS, DEFAULT_RETIRE_AFTER_DAYS, dual_since, git, repositories

DEFAULT_BRANCH = "python-upgrade/{current}-to-{target}"


class Stopped(BaseException):
    """SIGINT or SIGTERM: raised where the run was, so each repository's half-made branch is undone."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _stop(signum, frame):
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the clean-up is not interrupted
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise Stopped(signum)


def stop_on_signals() -> None:
    """SIGINT and SIGTERM raise Stopped (Python's default for SIGTERM skips every clean-up)."""
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)


def last_line(result: subprocess.CompletedProcess) -> str:
    """Copier's (or git's) one-line reason: the last line it printed that says something."""
    lines = [line.strip() for line in (result.stderr + "\n" + result.stdout).splitlines() if line.strip()]
    errors = [line for line in lines if "error" in line.lower() or "refus" in line.lower() or ": " in line]
    return (errors or lines or [f"exit {result.returncode}"])[-1]


def copier_command(
    repo: Path, action: str, template: str | None, data_file: str | None, data: list[str], vcs_ref: str | None
) -> list[str]:
    """copier's command-line arguments, after `copier`."""
    command = [action, "--trust", "--defaults", "--quiet"]
    if action == "update":
        command += ["--answers-file", ANSWERS, "--conflict", "inline"]
    if data_file:
        command += ["--data-file", data_file]
    for pair in data:
        command += ["--data", pair]
    if vcs_ref:
        command += ["--vcs-ref", vcs_ref]
    return [*command, *([template] if action == "copy" else []), str(repo)]


def run_copier(arguments: list[str]) -> subprocess.CompletedProcess:
    """copier's own command line, run in this process: the same options, answers and messages as
    `python -m copier ARGUMENTS`, without starting an interpreter and importing copier again for each
    repository (half of a copy's time). Each call runs alone in a worker process of `apply`'s pool,
    since copier changes the working directory while it updates. Where copier's CLI class cannot be
    imported (a future copier), the command runs as a subprocess instead."""
    os.environ["GIT_TERMINAL_PROMPT"] = "0"
    try:
        from copier.__main__ import CopierApp
    except ImportError:
        return subprocess.run(
            [sys.executable, "-m", "copier", *arguments],
            capture_output=True,
            text=True,
            check=False,
            timeout=1800,
        )
    out, err = io.StringIO(), io.StringIO()
    cwd = Path.cwd()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            _, code = CopierApp.run(["copier", *arguments], exit=False)
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else 1
        except Exception as error:  # noqa: BLE001 - any failure is this repository's reason, the others go on
            print(f"{type(error).__name__}: {error}", file=sys.stderr)
            code = 1
        finally:
            os.chdir(cwd)
    return subprocess.CompletedProcess(arguments, code or 0, out.getvalue(), err.getvalue())


def apply_one(
    repo: Path,
    template: str | None,
    data_file: str | None,
    data: list[str],
    branch: str,
    vcs_ref: str | None,
    dry_run: bool,
    push: bool,
    finish: str | None = None,
) -> dict:
    """{path, action, branch, versions, template_version, ok, reason} for one repository. With `finish`
    (today, ISO), a repository in the dual phase past its retire date is finished instead of updated:
    its python-upgrade/finish.py moves its own references, then copier update sets phase=finished."""
    result = {
        "path": str(repo),
        "action": None,
        "branch": None,
        "versions": None,
        "template_version": None,
        "ok": False,
        "reason": "",
    }
    if not (repo / ".git").exists():
        result["reason"] = "not a git repository"
        return result
    rendered = (repo / ANSWERS).is_file()
    result["action"] = "update" if rendered else "copy"
    if rendered and finish and retire_due(repo, finish):
        result["action"] = "finish"
    if not rendered and not template:
        result["reason"] = "not rendered yet: give --template SRC to copy the template in"
        return result
    if git(repo, "status", "--porcelain").stdout.strip():
        result["reason"] = "uncommitted changes: commit or stash them first (left as it was)"
        return result
    if dry_run:
        result.update(ok=True, reason=f"would {result['action']} on a new branch")
        return result
    start = (
        git(repo, "symbolic-ref", "--quiet", "--short", "HEAD").stdout.strip()
        or git(repo, "rev-parse", "HEAD").stdout.strip()
    )
    work = f"python-upgrade/apply-{uuid.uuid4().hex[:8]}"
    made = git(repo, "checkout", "-q", "-b", work)
    if made.returncode != 0:
        result["reason"] = last_line(made)
        return result

    def undo(reason: str) -> dict:
        git(repo, "reset", "-q", "--hard", "HEAD")
        git(repo, "clean", "-q", "-fd")
        git(repo, "checkout", "-q", start)
        git(repo, "branch", "-q", "-D", work)
        result["reason"] = reason
        return result

    try:
        return _apply_on_branch(repo, result, template, data_file, data, branch, vcs_ref, push, undo, work)
    except Stopped as stopped:
        return undo(f"stopped by {signal.Signals(stopped.signum).name}: left as it was")


def retire_due(repo: Path, today: str) -> bool:
    """The answers say phase dual, and its retire date (dual since + retire_after_days) has passed."""
    answers = yaml.safe_load((repo / ANSWERS).read_text()) or {}
    since = dual_since(repo)
    if answers.get("phase", "dual") != "dual" or not since:
        return False
    days = int(answers.get("retire_after_days", DEFAULT_RETIRE_AFTER_DAYS))
    return datetime.date.fromisoformat(today) > datetime.date.fromisoformat(since) + datetime.timedelta(days)


def run_finish(repo: Path) -> subprocess.CompletedProcess:
    """The repository's own python-upgrade/finish.py, with this interpreter (it has copier)."""
    answers = yaml.safe_load((repo / ANSWERS).read_text()) or {}
    program = repo / str(answers.get("project_dir") or ".") / "python-upgrade" / "finish.py"
    if not program.is_file():
        return subprocess.CompletedProcess(
            [], 1, "", "no python-upgrade/finish.py: update the template first (apply without --finish)"
        )
    return subprocess.run([sys.executable, str(program)], cwd=repo, capture_output=True, text=True)


def _apply_on_branch(repo, result, template, data_file, data, branch, vcs_ref, push, undo, work) -> dict:
    if result["action"] == "finish":
        ran = run_finish(repo)
        if ran.returncode != 0:
            return undo(f"finish: {last_line(ran)}")
    else:
        ran = run_copier(copier_command(repo, result["action"], template, data_file, data, vcs_ref))
        if ran.returncode != 0:
            return undo(f"copier {result['action']}: {last_line(ran)}")
    conflicted = git(repo, "grep", "-l", "--untracked", "-e", "^<<<<<<< ", "--", ".").stdout.split()
    rejects = [
        line[3:]
        for line in git(repo, "status", "--porcelain", "--untracked-files=all").stdout.splitlines()
        if line.endswith(".rej")
    ]
    if conflicted or rejects:
        return undo(
            f"conflict with the project's edits in {', '.join((conflicted + rejects)[:3])}: "
            "run copier update by hand there"
        )
    answers = yaml.safe_load((repo / ANSWERS).read_text()) or {}
    current, target = answers.get("current_python"), answers.get("target_python")
    phase = answers.get("phase", "dual")
    result["versions"] = f"{current} -> {target}" if phase == "dual" else str(target)
    result["template_version"] = str(answers.get("_commit") or "")
    if not git(repo, "status", "--porcelain").stdout.strip():
        return undo(f"nothing to change: already at {result['template_version']} with these answers")
    final = branch.format(current=current, target=target, phase=phase)
    if git(repo, "rev-parse", "--verify", "--quiet", f"refs/heads/{final}").returncode == 0:
        return undo(f"branch {final} exists already: merge or delete it, or give --branch")
    git(repo, "add", "-A")
    what = f"Python {current} -> {target}" if phase == "dual" else f"Python {target} (finished)"
    committed = git(
        repo,
        "commit",
        "-q",
        "-m",
        f"python-upgrade: {what} (copier-python-upgrade {result['template_version']}, {result['action']})",
    )
    if committed.returncode != 0:
        return undo(f"git commit: {last_line(committed)}")
    git(repo, "branch", "-q", "-m", work, final)
    result["branch"] = final
    if push:
        pushed = git(repo, "push", "-q", "-u", "origin", final)
        if pushed.returncode != 0:
            result["reason"] = f"committed on {final}, push failed: {last_line(pushed)}"
            return result
    done = {"copy": "copied", "update": "updated", "finish": "finished"}[result["action"]]
    result.update(ok=True, reason=f"{done} on {final}" + (", pushed" if push else ""))
    return result


def apply(
    paths: list[Path],
    template: str | None = None,
    data_file: str | None = None,
    data: list[str] | None = None,
    branch: str = DEFAULT_BRANCH,
    jobs: int = 1,
    vcs_ref: str | None = None,
    dry_run: bool = False,
    push: bool = False,
    progress=None,
    finish: str | None = None,
) -> list[dict]:
    """One result per repository, in the order given; `progress(result)` as each one finishes.
    Repositories run in `jobs` worker processes (copier runs inside them, see run_copier)."""
    repos = repositories(paths)
    if not dry_run:
        # Imported once here: forked workers inherit it instead of importing it each.
        import copier  # noqa: F401, PLC0415
    results: dict[Path, dict] = {}
    # Stopped (SIGINT, SIGTERM): the queued repositories are not started, each worker is told to stop
    # (its repository's branch undone, see apply_one), and Stopped goes on to the command line.
    pool = ProcessPoolExecutor(max_workers=max(1, min(jobs, len(repos) or 1)), initializer=stop_on_signals)
    futures: dict = {}
    try:
        futures = {
            pool.submit(
                apply_one, repo, template, data_file, list(data or []), branch, vcs_ref, dry_run, push, finish
            ): repo
            for repo in repos
        }
        for future in as_completed(futures):
            results[futures[future]] = result = future.result()
            if progress:
                progress(result)
    except Stopped:
        for future in futures:
            future.cancel()
        for worker in multiprocessing.active_children():
            os.kill(worker.pid, signal.SIGTERM)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return [results[repo] for repo in repos]
