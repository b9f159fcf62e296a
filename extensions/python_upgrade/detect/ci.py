"""What the project's CI runs: its GitHub Actions workflows, the job and step that run the tests,
what they set and run first, and the branches it runs on."""

from __future__ import annotations

import re
from pathlib import Path

from .automation import resolve
from .files import files, read, yaml_file
from .rule import Rule
from .shell import BUILD_STEP, INSTALL_STEP, RELEASE_STEP, TEST_RUNNER


def workflows(repo: Path) -> list[tuple[Path, dict]]:
    """(path, parsed mapping) of every GitHub Actions workflow but ours; unreadable ones left out."""
    found = []
    for path in files(repo, (".github/workflows/*.yml", ".github/workflows/*.yaml")):
        if path.name == "python-upgrade.yml":
            continue
        data = yaml_file(path)
        if isinstance(data, dict):
            found.append((path, data))
    return found


def ci_jobs(repo: Path) -> list[tuple[str, dict, dict]]:
    """(where, its workflow, the job) for every CI job, a workflow named for tests or CI first (others
    may test something downstream), then in file order."""
    jobs = []
    for path, data in sorted(workflows(repo), key=lambda w: not re.search(r"test|ci|check", w[0].name, re.I)):
        for job in (data.get("jobs") or {}).values() if isinstance(data.get("jobs"), dict) else ():
            if isinstance(job, dict):
                jobs.append((str(path.relative_to(repo)), data, job))
    return jobs


def run_steps(job: dict) -> list[dict]:
    return [
        step for step in job.get("steps") or [] if isinstance(step, dict) and isinstance(step.get("run"), str)
    ]


def run_lines(step: dict) -> list[str]:
    """The command lines of a step's `run:`, continuation lines joined, blank and comment lines dropped."""
    lines = (line.strip() for line in re.sub(r"\\[ \t]*\n", " ", step["run"]).splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def job_lines(job: dict, data: dict, repo: Path) -> list[tuple[str, dict, Path]]:
    """(command line, env of its workflow, job and step, the directory it runs in) of every step of a
    job, each followed into the project's automation (make, just, npm, gulp, nox, its scripts)."""
    default = (
        ((job.get("defaults") or {}).get("run") or {}).get("working-directory")
        if isinstance(job.get("defaults"), dict)
        else None
    )
    lines = []
    for step in run_steps(job):
        env = {}
        for scope in (data, job, step):
            if isinstance(scope.get("env"), dict):
                env |= scope["env"]
        directory = repo / str(step.get("working-directory") or default or ".")
        for line in run_lines(step):
            lines += [(resolved, env, directory) for resolved in resolve(line, directory, repo)]
    return lines


def is_test_line(command: str) -> bool:
    """A command that runs a test runner itself (not an installer, tox, nox or a container)."""
    return bool(TEST_RUNNER.search(command)) and not command.startswith(("pip", "tox", "nox", "docker"))


def test_jobs(repo: Path, job_services, compose_up) -> list[dict]:
    """The CI jobs that run the tests, each {where, job, lines, test (index of the test line or None),
    services (what it starts: its services:, or the compose services it brings up, with where)}; jobs
    that need no backing service first (the cheapest to reproduce: a matrix over databases runs the
    same tests on SQLite too), then in file order."""
    found = []
    for where, data, job in ci_jobs(repo):
        lines = job_lines(job, data, repo)
        test = next((i for i, (command, _, _) in enumerate(lines) if is_test_line(command)), None)
        if test is None and not any(re.search(r"(?:^|\s)(?:tox|nox)\b", command) for command, _, _ in lines):
            continue
        services, how = job_services(job), ""
        if not services:
            for command, _, directory in lines:
                started = compose_up(command, directory, repo)
                if started:
                    services, how = started
                    break
        found.append(
            {"where": where, "job": job, "lines": lines, "test": test, "services": services, "started": how}
        )
    return sorted(found, key=lambda j: bool(j["services"]))


def tox_commands(text: str) -> list[str]:
    """The [testenv] commands of a tox.ini, factor prefixes (`tests: `) and {posargs} dropped."""
    block = re.search(r"(?ms)^\[testenv\]\s*$(.*?)(?=^\[|\Z)", text)
    commands = re.search(r"(?ms)^commands\s*=\s*(.*?)(?=^\S|\Z)", block.group(1) if block else "")
    lines = []
    for line in (commands.group(1) if commands else "").splitlines():
        line = re.sub(r"^\s*[\w{},.-]+:\s+", "", line.strip())
        line = re.sub(r"\s*\{posargs[^}]*\}", "", line).strip()
        if line:
            lines.append(line)
    return lines


def service_ports(value: str, ports: dict) -> str:
    """`${{ job.services.postgres.ports[5432] }}` (the host port Actions mapped) -> the service's port."""
    return re.sub(
        r"\$\{\{\s*job\.services\.([\w-]+)\.ports\[['\"]?(\d+)['\"]?\]\s*\}\}",
        lambda m: str(ports.get(m.group(1)) or m.group(2)),
        value,
    )


def ci_test(test_job: dict | None) -> dict:
    """The test step of the chosen test job: its command (`"$@"` dropped: tox appends its arguments),
    env (service ports filled in), the build and release steps before it in the job, where."""
    if not test_job or test_job["test"] is None:
        return {}
    command, env, _ = test_job["lines"][test_job["test"]]
    command = " ".join(w for w in command.split() if w not in ('"$@"', "$@", "${@}", '"${@}"', "$*"))
    ports = {name: spec.get("port") for name, spec in test_job["services"].items()}
    env = {k: service_ports(str(v), ports) if isinstance(v, str) else v for k, v in env.items()}
    clean = {
        str(k): str(v).lower() if isinstance(v, bool) else str(v)
        for k, v in env.items()
        if isinstance(v, (str, int, float, bool))
        and "${{" not in str(v)
        and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", str(k))
    }
    before = [line for line, _, _ in test_job["lines"][: test_job["test"]]]
    setup = [
        line
        for line in before
        if (BUILD_STEP.search(line) or RELEASE_STEP.search(line)) and not INSTALL_STEP.search(line)
    ]
    return {"command": command, "env": clean, "setup": " && ".join(setup), "where": test_job["where"]}


# ------------------------------------------------------------------------------------------- rules
class CiTestStep(Rule):
    """the test step of {where}

    The CI step that runs a test runner (pytest, unittest, manage.py test, nose2, trial), its runner
    prefix (uv run, poetry run, ...) dropped."""

    question = "test_command"

    def find(self, facts):
        return (facts.ci_test["command"], facts.ci_test) if facts.ci_test else None


class CiTestEnv(Rule):
    """the env of that step and its job in {where}

    Literal values only; a service's mapped port becomes its port on localhost."""

    question = "test_env"

    def find(self, facts):
        return (facts.ci_test["env"], facts.ci_test) if facts.ci_test else None


class CiSetupSteps(Rule):
    """the steps before it in {where}

    Build steps (collectstatic, compilemessages) the same job runs before the tests."""

    question = "test_setup_command"

    def find(self, facts):
        return (facts.ci_test["setup"], facts.ci_test) if facts.ci_test else None


class ToxCommands(Rule):
    """tox.ini's commands"""

    question = "test_command"

    def find(self, facts):
        tox = [c for c in tox_commands(read(facts.root / "tox.ini")) if TEST_RUNNER.search(c)]
        return (tox[0], {}) if tox else None


class RemoteDefaultBranch(Rule):
    """the remote's default branch (origin/HEAD)"""

    question = "ci_branches"

    def find(self, facts):
        remote = re.search(
            r"ref:\s*refs/remotes/\w+/(\S+)",
            read(facts.repo / ".git" / "refs" / "remotes" / "origin" / "HEAD"),
        )
        return ([remote.group(1)], {}) if remote else None


class WorkflowPushBranches(Rule):
    """the push branches of {file}"""

    question = "ci_branches"

    def find(self, facts):
        for path, data in workflows(facts.repo):
            on = data.get("on", data.get(True)) or {}
            push = on.get("push") if isinstance(on, dict) else None
            branches = push.get("branches") if isinstance(push, dict) else None
            if (
                isinstance(branches, list)
                and branches
                and all(isinstance(b, str) and "*" not in b for b in branches)
            ):
                return [str(b) for b in branches], {"file": path.relative_to(facts.repo)}
        return None


class CheckedOutBranch(Rule):
    """the checked-out branch"""

    question = "ci_branches"

    def find(self, facts):
        head = re.search(r"ref:\s*refs/heads/(\S+)", read(facts.repo / ".git" / "HEAD"))
        return ([head.group(1)], {}) if head else None
