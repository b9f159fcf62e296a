"""The repository as the rules see it. What several rules read is read here, once per detection run
(a cached property); what earlier rules decided is `found(question)`."""

from __future__ import annotations

import functools
import importlib.util
import re
from pathlib import Path

from .. import dockerfile
from .ci import ci_test, test_jobs
from .files import files, read
from .image import app_dockerfile, packages
from .layout import requirement_names, runtime_names
from .rule import Finding
from .services import compose_up, job_services
from .shell import SERVES, clean_command, listen_on_port, split_start
from .starts import cloud_foundry, compose_builds, dockerfile_start, entry_point, procfile, script_command

# The census the template ships (python-upgrade/census.py): where a repository names its Python, read
# once for detection (current_python) and by the audit, the finish step and the fleet.
CENSUS = (
    Path(__file__).resolve().parents[3] / "template" / "{{ project_dir }}" / "python-upgrade" / "census.py"
)


@functools.lru_cache(maxsize=None)
def census_module():
    spec = importlib.util.spec_from_file_location(f"python_upgrade_census_{id(CENSUS)}", CENSUS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_PYTHON_FILES = ("*.py", "*/*.py", "*/*/*.py", "*/*/*/*.py", "*/*/*/*/*.py", "*/*/*/*/*/*.py")


class Facts:
    """`repo` is the repository root, `root` the project directory (project_dir) in it."""

    def __init__(self, repo: Path, root: Path, new: bool = False):
        self.repo, self.root, self.new = repo, root, new
        self.findings: dict[str, Finding] = {}
        self._versions: dict[type, object] = {}
        self._sources: dict[int, list[Path]] = {}

    def found(self, question: str) -> object:
        """The value detection decided for a question the asking rule `needs` ("" when none)."""
        finding = self.findings.get(question)
        return finding.value if finding is not None else ""

    # ------------------------------------------------------------------------------------ the code
    @functools.cached_property
    def names(self) -> set[str]:
        """Every distribution the project depends on, in any requirements or project file."""
        return requirement_names(self.root)

    @functools.cached_property
    def runtime_names(self) -> set[str]:
        """The distributions production installs (no test or dev groups)."""
        return runtime_names(self.root)

    @functools.cached_property
    def django(self) -> bool:
        return (self.root / "manage.py").is_file() or "django" in self.names

    def python_sources(self, depth: int = 6) -> list[Path]:
        """The project's Python files up to `depth` parts deep (tests, migrations, docs and examples left
        out), at most 800."""
        if depth not in self._sources:
            skip = {"tests", "test", "migrations", "docs", "doc", "examples", "fixtures"}
            found = files(self.root, _PYTHON_FILES, depth=depth)
            self._sources[depth] = [p for p in found if not skip & set(p.relative_to(self.root).parts[:-1])][
                :800
            ]
        return self._sources[depth]

    def module(self, path: Path) -> str:
        """The dotted module name of a project file (a src/ layout's src left out)."""
        parts = list(path.relative_to(self.root).with_suffix("").parts)
        if parts and parts[0] == "src" and len(parts) > 1:
            parts = parts[1:]
        return ".".join(parts)

    @functools.cached_property
    def census(self) -> list[dict]:
        """Every reference to a Python version in the repository ({kind, file, line, versions, setting,
        text}, file relative to the repository), less this template's own files."""
        return census_module().Census(str(self.repo)).run()

    def named(self, *settings: str, kinds: tuple[str, ...] = (), here: bool = True) -> list[dict]:
        """The census references of these settings (or kinds), in the project's directory if `here`."""
        prefix = "" if self.root == self.repo else self.root.relative_to(self.repo).as_posix() + "/"
        return [
            r
            for r in self.census
            if (r["setting"] in settings or r["kind"] in kinds)
            and (not here or (r["file"].startswith(prefix) and "/" not in r["file"][len(prefix) :]))
        ]

    def python_versions(self, source) -> tuple[list[str], str] | None:
        """What a current_python source finds (detect/python.py), read once."""
        kind = type(source)
        if kind not in self._versions:
            self._versions[kind] = source.versions(self)
        return self._versions[kind]

    # ------------------------------------------------------------------------------ the old image
    @functools.cached_property
    def dockerfile(self) -> tuple[Path | None, object]:
        return app_dockerfile(self.repo, self.root)

    @property
    def final(self):
        return self.dockerfile[1]

    @property
    def file(self) -> str:
        return str(self.dockerfile[0].relative_to(self.repo)) if self.dockerfile[0] is not None else ""

    @functools.cached_property
    def stages(self) -> list:
        """Every stage of the app's Dockerfile, parsed once ([] without one); the last is `final`."""
        return dockerfile.parse(read(self.dockerfile[0])) if self.dockerfile[0] is not None else []

    @functools.cached_property
    def image_packages(self) -> tuple[str, str]:
        """(build packages of every stage, runtime packages of the final stage) of the app's Dockerfile."""
        return packages(self.stages, self.final)

    # ------------------------------------------------------------------------ how the app starts
    @functools.cached_property
    def procfile(self) -> dict[str, str]:
        return procfile(self.root)

    @functools.cached_property
    def compose(self) -> list[tuple[str, str, int | None]]:
        """(file, command, published port) of each compose service that builds the project."""
        return compose_builds(self.root)

    @functools.cached_property
    def starts(self) -> list[tuple[str, str, list[str]]]:
        """(command, where, release steps) of every start command: the existing Dockerfile, then the
        Procfile, Cloud Foundry and compose."""
        starts = []
        path, final = self.dockerfile
        if path is not None:
            start = dockerfile_start(self.root, self.repo, path, final)
            if start:
                starts.append(start)
        for name in ("web", "worker"):
            if name in self.procfile:
                # `web: bash start.sh`: the script's server line, its release steps left out.
                command, release, script = script_command(self.root, self.procfile[name].split(), [])
                starts.append((command, f"Procfile `{name}:`{', ' + script if script else ''}", release))
        for command, where in cloud_foundry(self.repo):
            script, release, followed = script_command(self.root, command.split(), [])
            starts.append((script, f"{where}{', ' + followed if followed else ''}", release))
        for file, command, _ in self.compose:
            if command and not re.search(r"\n|\bif\b|\bthen\b", command):
                starts.append((command, f"{file} (command)", []))
        return starts

    @functools.cached_property
    def code(self) -> tuple[str, str]:
        """(command, where) of the entry point the code itself names."""
        return entry_point(self)

    @functools.cached_property
    def exposes(self) -> bool:
        """The old image or a compose file publishes a port."""
        return bool(
            self.final is not None
            and any(re.search(r"\b\d{2,5}\b", e) for e in self.final.all("EXPOSE"))
            or any(port for _, _, port in self.compose)
        )

    @functools.cached_property
    def serving(self) -> list[tuple[str, str, list[str]]]:
        """The start commands that serve HTTP: a server's command, a Procfile `web:`, or the old image's
        command where it publishes a port."""
        serving = [
            s
            for s in self.starts
            if not s[1].startswith("Procfile `worker")
            and (s[1].startswith("Procfile `web") or SERVES.search(clean_command(s[0])))
        ]
        return serving or [s for s in self.starts if "Dockerfile" in s[1] and self.exposes]

    @functools.cached_property
    def web(self) -> dict:
        """The server's start command taken apart: server, port, build and release steps, where."""
        command, where, release = self.serving[0] if self.serving else (*self.code, [])
        server, build, more = split_start(command)
        server = clean_command(server)
        ini = [w for w in server.split() if w.endswith(".ini")]
        if server.startswith("uwsgi") and ini and "$(PORT)" in read(self.root / ini[0]):
            port = None  # its ini file already listens on $(PORT)
        else:
            server, port = listen_on_port(server)
        release = [clean_command(r) for r in release + more]
        return {
            "server": server,
            "port": port,
            "build": " && ".join(clean_command(b) for b in build),
            "release": " && ".join(release),
            "where": where,
        }

    @functools.cached_property
    def worker(self) -> dict:
        command, where = (
            (self.procfile["worker"], "Procfile `worker:`")
            if "worker" in self.procfile
            else (self.starts[0][:2] if self.starts else ("", ""))
        )
        server, build, _ = split_start(command)
        return {"command": clean_command(server), "build": " && ".join(build), "where": where}

    # ------------------------------------------------------------------------------------ the tests
    @functools.cached_property
    def test_job(self) -> dict | None:
        """The CI job that runs the tests (detect/ci.py test_jobs: one needing no service first), or None."""
        jobs = test_jobs(self.repo, job_services, compose_up)
        return jobs[0] if jobs else None

    @functools.cached_property
    def ci_test(self) -> dict:
        """That job's test step: its command, env (service ports filled in), setup steps, where."""
        return ci_test(self.test_job)
