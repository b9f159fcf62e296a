"""What kind of project this is and how it runs: web service, worker or library; its start command,
port, release and build steps; and how its tests run where CI does not say."""

from __future__ import annotations

import re
from pathlib import Path

from .django import settings_files
from .files import files, read
from .rule import Rule
from .shell import clean_command

WEB_FRAMEWORKS = (
    "django",
    "flask",
    "fastapi",
    "starlette",
    "aiohttp",
    "tornado",
    "bottle",
    "pyramid",
    "falcon",
    "sanic",
    "quart",
    "litestar",
    "masonite",
)
WEB_SERVERS = ("gunicorn", "uvicorn", "hypercorn", "waitress", "daphne", "granian", "uwsgi")
WORKERS = ("celery", "rq", "dramatiq", "arq", "huey", "saq")


# ---------------------------------------------------------------------------------------- app_kind
class StartsAServer(Rule):
    """{where}, which starts a server

    A start command (Dockerfile, Procfile `web:`, Cloud Foundry, compose) that runs a WSGI/ASGI server,
    or a Dockerfile command with an EXPOSE."""

    question = "app_kind"

    def find(self, facts):
        return ("web", {"where": facts.serving[0][1]}) if facts.serving else None


class ProcfileWorker(Rule):
    """Procfile `worker:`

    A Procfile with a worker and no web process."""

    question = "app_kind"

    def find(self, facts):
        return ("worker", {}) if "worker" in facts.procfile else None


class EntryPointAndServer(Rule):
    """{where} and a WSGI/ASGI server in the dependencies

    The code names an app object and a server is installed to run it."""

    question = "app_kind"

    def find(self, facts):
        command, where = facts.code
        return ("web", {"where": where}) if command and facts.names & set(WEB_SERVERS) else None


class QueueWorker(Rule):
    """{name} in the dependencies

    A task queue and no web framework: something that works a queue."""

    question = "app_kind"

    def find(self, facts):
        if facts.names & set(WORKERS) and not facts.names & set(WEB_FRAMEWORKS):
            return "worker", {"name": sorted(facts.names & set(WORKERS))[0]}
        return None


class EntryPointAndFramework(Rule):
    """{where}

    The code names an app object of a web framework."""

    question = "app_kind"

    def find(self, facts):
        command, where = facts.code
        return ("web", {"where": where}) if command and facts.names & set(WEB_FRAMEWORKS) else None


class ServerDependency(Rule):
    """{name} (a web server) in the dependencies"""

    question = "app_kind"

    def find(self, facts):
        servers = facts.names & set(WEB_SERVERS)
        return ("web", {"name": sorted(servers)[0]}) if servers else None


# Words of a command that keeps running (a worker, a consumer, a scheduler), not a one-shot tool.
_LONG_RUNNING = re.compile(
    r"(?:^|[\s:_-])(?:worker|workers|work|consume|consumer|listen|listener|daemon|scheduler|beat|"
    r"agent|bot|poll|poller|watch|watcher|serve|run|start|loop)(?:$|[\s:_-])"
)


class ImageRunsAService(Rule):
    """{where} runs `{command}` and keeps running

    A package whose image starts its own long-running command (a queue worker, a consumer, a
    scheduler: the command's words say so, or the image has a HEALTHCHECK) is a service, even where
    it is also published as a library. A one-shot tool's image (`ENTRYPOINT ["mytool"]`) is not."""

    question = "app_kind"

    def find(self, facts):
        path, final = facts.dockerfile
        starts = [s for s in facts.starts if "Dockerfile" in s[1]]
        if final is None or not starts or not starts[0][0]:
            return None
        command = clean_command(starts[0][0])
        if _LONG_RUNNING.search(command) or final.all("HEALTHCHECK"):
            return "worker", {"where": starts[0][1], "command": command}
        return None


class PackageOnly(Rule):
    """a package (pyproject.toml / setup.py) with no server, Procfile or Dockerfile command"""

    question = "app_kind"

    def find(self, facts):
        pyproject = read(facts.root / "pyproject.toml")
        if (facts.root / "setup.py").is_file() or "[project]" in pyproject or "[tool.poetry]" in pyproject:
            return "library", {}
        return None


# ----------------------------------------------------------------------------- a web service's start
class ReleaseSteps(Rule):
    """{where} (run before the server starts)

    Migrations and other once-per-deploy steps the start command runs first are left out of it."""

    question = "release_command"
    needs = ("app_kind",)

    def find(self, facts):
        return (facts.web["release"], facts.web) if facts.found("app_kind") == "web" else None


class ServerCommand(Rule):
    """{where}, set to listen on $PORT{note}

    The server's command, rewritten to listen on $PORT the way its documentation says."""

    question = "app_command"
    needs = ("app_kind",)

    def find(self, facts):
        if facts.found("app_kind") != "web":
            return None
        release = facts.web["release"]
        note = f"; left out (release steps, run them once per deploy): {release}" if release else ""
        return facts.web["server"], {**facts.web, "note": note}


class StartBuildSteps(Rule):
    """{where}

    Build steps (collectstatic, compress) chained before the server in its start command."""

    question = "build_command"
    needs = ("app_kind",)

    def find(self, facts):
        return (facts.web["build"], facts.web) if facts.found("app_kind") == "web" else None


class ComposePorts(Rule):
    """{file} (ports)

    The container port a compose file publishes."""

    question = "app_port"

    def find(self, facts):
        for file, _, port in facts.compose:
            if port:
                return port, {"file": file}
        return None


class ServerPort(Rule):
    """{where}

    The port the server's command named before it was set to $PORT."""

    question = "app_port"
    needs = ("app_kind",)

    def find(self, facts):
        return (facts.web["port"], facts.web) if facts.found("app_kind") == "web" else None


# -------------------------------------------------------------------------------------- a worker
class WorkerCommand(Rule):
    """{where}

    The worker's start command (Procfile `worker:`, else the first start command found)."""

    question = "app_command"
    needs = ("app_kind",)

    def find(self, facts):
        return (facts.worker["command"], facts.worker) if facts.found("app_kind") == "worker" else None


class WorkerBuildSteps(Rule):
    """{where}

    Build steps chained before the worker in its start command."""

    question = "build_command"
    needs = ("app_kind",)

    def find(self, facts):
        return (facts.worker["build"], facts.worker) if facts.found("app_kind") == "worker" else None


# ------------------------------------------------------------------- the tests, where CI does not say
class DjangoTestRunner(Rule):
    """manage.py (Django's test runner)"""

    question = "test_command"

    def find(self, facts):
        return ("python manage.py test", {}) if facts.django else None


class PytestConfigured(Rule):
    """pytest in the dependencies or configuration"""

    question = "test_command"

    def find(self, facts):
        root = facts.root
        if (
            {"pytest"} & facts.names
            or (root / "pytest.ini").is_file()
            or (root / "conftest.py").is_file()
            or "[tool.pytest" in read(root / "pyproject.toml")
            or "[tool:pytest]" in read(root / "setup.cfg")
        ):
            return "python -m pytest", {}
        return None


def unittest_discovers(directory: Path, depth: int = 0) -> bool:
    """Whether `python -m unittest` run in directory finds a test file: a test*.py there or in a package
    below (unittest descends only into directories with an __init__.py)."""
    if any(p.is_file() for p in directory.glob("test*.py")):
        return True
    return depth < 4 and any(
        (d / "__init__.py").is_file() and unittest_discovers(d, depth + 1)
        for d in sorted(directory.iterdir())
        if d.is_dir() and not d.name.startswith(".")
    )


class UnittestFiles(Rule):
    """unittest tests ({file}){start}

    Where discovery from the root would find nothing (a tests/ folder without __init__.py), the folder
    is given as its start directory."""

    question = "test_command"

    def find(self, facts):
        tests = files(facts.root, ("test*.py", "tests/test*.py", "*/tests/test*.py", "tests/*/test*.py"))
        if tests and all("unittest" in read(p) for p in tests[:20]):
            first = tests[0].relative_to(facts.root)
            if unittest_discovers(facts.root):
                return "python -m unittest", {"file": first, "start": ""}
            start = first.parent.as_posix()
            note = f"; {start}/ has no __init__.py, so discovery starts there"
            return f"python -m unittest discover -s {start}", {"file": first, "start": note}
        return None


class DjangoStaticRoot(Rule):
    """Django with STATIC_ROOT: templates need the collected static files"""

    question = "test_setup_command"

    def find(self, facts):
        settings = "\n".join(read(p) for p in settings_files(facts.root)) if facts.django else ""
        if re.search(r"(?m)^\s*STATIC_ROOT\s*=", settings):
            return "python manage.py collectstatic --noinput", {}
        return None
