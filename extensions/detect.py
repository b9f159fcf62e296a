"""Detection: what a repository says about itself, read from its files by documented conventions.

Used only for the *defaults* of copier.yml questions and the "where" in their help. Copier records
the answers, so `copier update` replays them and never re-detects; nothing here is rendered into a
file. Read-only, tolerant of anything malformed.

Where the Python project sits (`project_dir`): the repository root when it holds a project file
(pyproject.toml, setup.py, requirements*.txt, Pipfile, manage.py, a lock file), else the one
sub-directory that does (`backend/`, `src/`). Everything below is read from there; CI and git from
the repository root.

Which Python production runs (`current_python`). Sources disagree in real repos; what production
runs wins over what is merely supported:
  1. the app's Dockerfile: the image its final stage is built from (every stage read, ARG/ENV expanded)
  2. .python-version (pyenv), runtime.txt, Pipfile's [requires] python_version
  3. CI matrices and tox envs: the newest version tested that still has a newer one to move to
  4. trove classifiers: likewise
  5. requires-python / python_requires: the oldest version still supported
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import re
import sys
from pathlib import Path

import yaml
from jinja2.ext import Extension


def _sibling(name: str):
    """extensions/NAME.py, loaded by path (Copier loads this file by path, not as a package)."""
    full = f"python_upgrade_{name}"
    if full not in sys.modules:
        spec = importlib.util.spec_from_file_location(full, Path(__file__).with_name(f"{name}.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[full] = module
        spec.loader.exec_module(module)
    return sys.modules[full]


dockerfile = _sibling("dockerfile")

_VERSION = re.compile(r"(?<![\d.])3\.(\d{1,2})(?![\d])")
_IGNORED_DIRS = {".git", ".tox", ".venv", "venv", "node_modules", "python-upgrade", "site-packages", ".nox",
                 "__pycache__", "build", "dist"}
# Directories whose manifests belong to something else (fixtures, docs, editor containers, CI actions).
_FOREIGN_DIRS = {"tests", "test", "testing", "fixtures", "docs", "doc", "examples", "example", ".github",
                 ".devcontainer", "news", "changelog.d"}
PROJECT_FILES = ("pyproject.toml", "setup.py", "setup.cfg", "requirements.txt", "Pipfile", "manage.py", "uv.lock",
                 "poetry.lock", "pdm.lock")

# (label, rule) in priority order; see the module docstring.
RULES = (
    ("Dockerfile", "what production runs"),
    (".python-version", "pinned interpreter"),
    ("runtime.txt", "pinned interpreter"),
    ("Pipfile", "pinned interpreter"),
    ("CI / tox", "newest version tested"),
    ("classifiers", "newest version listed"),
    ("requires-python", "oldest version supported"),
)


def _key(version: str) -> tuple[int, int]:
    major, minor = version.split(".")
    return int(major), int(minor)


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace") if path.is_file() and path.stat().st_size < 1_000_000 else ""
    except OSError:
        return ""


def _files(root: Path, patterns: tuple[str, ...], depth: int = 3) -> list[Path]:
    found = []
    for pattern in patterns:
        for path in sorted(root.glob(pattern)):
            rel = path.relative_to(root).parts
            if len(rel) <= depth and not _IGNORED_DIRS & set(rel[:-1]) and path not in found:
                found.append(path)
    return found


def _versions(text: str) -> list[str]:
    return [f"3.{m}" for m in _VERSION.findall(text)]


def _braces(text: str) -> str:
    """tox's brace factors expanded: py3{10-12} -> py310,py311,py312; py3{8,9} -> py38,py39."""
    def one(match: re.Match) -> str:
        head, body, tail = match.group(1), match.group(2), match.group(3)
        items = []
        for part in body.split(","):
            lo, dash, hi = part.strip().partition("-")
            if dash and lo.isdigit() and hi.isdigit() and int(hi) - int(lo) < 50:
                items += [str(n) for n in range(int(lo), int(hi) + 1)]
            else:
                items.append(part.strip())
        return ",".join(head + item + tail for item in items)
    return re.sub(r"([\w.]*)\{([^{}]+)\}([\w.-]*)", one, text)


def _root(dst_path: object, project_dir: object = ".") -> tuple[Path, Path]:
    """(repository root, project directory) for dst_path and the project_dir answer."""
    repo = Path(str(dst_path))
    project = repo / str(project_dir or ".")
    return repo, project if project.is_dir() else repo


# --------------------------------------------------------------------------- the project directory
def detect_project_dir(dst_path: object) -> dict:
    """{'value': "." or a sub-directory, 'why'}: the directory holding the Python project's files."""
    repo = Path(str(dst_path))
    if not repo.is_dir():
        return {"value": ".", "why": ""}
    member, why = _workspace_app(repo)
    if member:
        return {"value": member, "why": why}
    if any((repo / name).is_file() for name in PROJECT_FILES):
        return {"value": ".", "why": ""}
    candidates = []
    for marker in PROJECT_FILES:
        for path in _files(repo, (f"*/{marker}", f"*/*/{marker}"), depth=3):
            rel = path.parent.relative_to(repo)
            if not _FOREIGN_DIRS & set(rel.parts):
                candidates.append(rel)
    if not candidates:
        return {"value": ".", "why": ""}
    best = max(set(candidates), key=lambda d: (candidates.count(d), -len(d.parts), str(d)))
    found = sorted(name for name in PROJECT_FILES if (repo / best / name).is_file())
    return {"value": best.as_posix(), "why": f"{best.as_posix()}/ holds {', '.join(found)}; the root holds none"}


def _workspace_members(root: Path) -> list[Path]:
    """The member directories of the uv workspace rooted at root (`[tool.uv.workspace]` members globs,
    less its excludes), each holding a pyproject.toml; [] where root is no workspace root."""
    workspace = ((_toml(root / "pyproject.toml").get("tool") or {}).get("uv") or {}).get("workspace")
    if not isinstance(workspace, dict):
        return []
    excluded = {p for pattern in workspace.get("exclude") or [] for p in root.glob(str(pattern))}
    members = [p for pattern in workspace.get("members") or [] for p in sorted(root.glob(str(pattern)))]
    return [p for p in dict.fromkeys(members) if p not in excluded and (p / "pyproject.toml").is_file()]


def _workspace_app(repo: Path) -> tuple[str, str]:
    """The member a *virtual* uv workspace root (`[tool.uv.workspace]`, no `[project]`) holds the app in:
    the one member no other member depends on, else the one with a Dockerfile or manage.py."""
    data = _toml(repo / "pyproject.toml")
    if "project" in data or not (repo / "uv.lock").is_file():
        return "", ""
    members = _workspace_members(repo)
    names = {m: str((_toml(m / "pyproject.toml").get("project") or {}).get("name", "")) for m in members}
    needed = set()
    for m in members:
        for requirement in (_toml(m / "pyproject.toml").get("project") or {}).get("dependencies") or []:
            needed.add(re.split(r"[\s<>=!~;\[(]", str(requirement), maxsplit=1)[0].lower().replace("_", "-"))
    apps = [m for m in members if names[m].lower().replace("_", "-") not in needed]
    served = [m for m in apps if (m / "Dockerfile").is_file() or (m / "manage.py").is_file()]
    chosen = served[:1] if len(served) == 1 else apps if len(apps) == 1 else []
    if not chosen:
        return "", ""
    rel = chosen[0].relative_to(repo).as_posix()
    how = "the member with a Dockerfile or manage.py" if served else "the member no other member depends on"
    return rel, f"pyproject.toml is a virtual uv workspace (no [project]); {rel}/ is {how}"


def detect_workspace(dst_path: object, project_dir: object = ".") -> dict:
    """{'value': {'root', 'package'}, 'why'}: where the uv workspace holding project_dir has its lock,
    relative to project_dir ('.' when project_dir holds its own uv.lock), and the member's
    [project].name that `uv sync --package` installs."""
    repo, project = _root(dst_path, project_dir)
    lock = _upwards(repo, project, "uv.lock") if repo.is_dir() else None
    if lock is None or lock.parent == project:
        return {"value": {"root": ".", "package": ""}, "why": ""}
    root = Path(*[".."] * len(project.relative_to(lock.parent).parts)).as_posix()
    package = str((_toml(project / "pyproject.toml").get("project") or {}).get("name", ""))
    member = project.relative_to(lock.parent).as_posix()
    return {"value": {"root": root, "package": package},
            "why": f"{lock.relative_to(repo).as_posix()} is the lock of a workspace with member {member}/ "
                   f"(its [project].name {package or 'missing'})"}


def workspace_error(dst_path: object, project_dir: object, field: str, value: object) -> str:
    """workspace_root must be project_dir itself or a parent of it holding uv.lock."""
    if not isinstance(value, str) or not value:
        return f"{field}: empty; give . when project_dir holds uv.lock"
    if value != "." and set(Path(value).parts) != {".."}:
        return f"{field}: {value} must be . or a parent of project_dir (.., ../..), where uv.lock sits"
    repo, project = _root(dst_path, project_dir)
    if is_new(dst_path) or value == ".":
        return ""
    where = (project / value).resolve()
    if repo.resolve() not in (where, *where.parents):
        return f"{field}: {value} from project_dir {project_dir} leaves the repository"
    if not (where / "uv.lock").is_file():
        shown = (Path(str(project_dir)) / value / "uv.lock").as_posix()
        return f"{field}: {shown} does not exist; give the directory holding uv.lock, relative to project_dir"
    return ""


def workspace_package_error(dst_path: object, project_dir: object, workspace_root: object, field: str,
                            value: object) -> str:
    """workspace_package must be a member the workspace's uv.lock knows ([manifest] members)."""
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", value):
        return f"{field}: {value!r} is not a package name; give project_dir's [project].name"
    repo, project = _root(dst_path, project_dir)
    lock = project / str(workspace_root or ".") / "uv.lock"
    members = (_toml(lock).get("manifest") or {}).get("members") or []
    if is_new(dst_path) or not members or value in members:
        return ""
    return f"{field}: {value} is not a member of the workspace in uv.lock (it has {', '.join(members)})"


# ------------------------------------------------------------------------------------- Dockerfiles
def _app_dockerfile(repo: Path, project: Path):
    """(path, final stage) of the Dockerfile that builds the app, or (None, None).

    Every Dockerfile of the project (up to four levels down; CI actions, docs, tests and our own
    left out) is parsed; the app's is the one that runs Python and has a start command, a plain
    `Dockerfile` name before a `-dev`/`.dev`/`.worker` variant, the shallower first."""
    best, best_key = (None, None), None
    roots = [project] if project == repo else [project, repo]
    seen = set()
    for root in roots:
        for path in _files(root, ("Dockerfile", "Dockerfile*", "*.Dockerfile", "*.dockerfile", "**/Dockerfile",
                                  "**/Dockerfile*", "**/*.Dockerfile"), depth=4):
            rel = path.relative_to(repo)
            if (path in seen or path.name.endswith(".dockerignore") or _FOREIGN_DIRS & set(rel.parts[:-1])
                    or not path.is_file()):
                continue
            seen.add(path)
            stages = dockerfile.parse(_read(path))
            if not stages:
                continue
            final = stages[-1]
            text = _read(path)
            python = bool(dockerfile.python_version(final.image) or re.search(r"(?:^|/)python(?::|@|$)", final.image)
                          or re.search(r"\b(?:pip|uv|poetry|pipenv|pdm)\b", text))
            if not python:
                continue
            variant = bool(re.search(r"dev|worker|test|ci\b|local", path.name.lower().replace("dockerfile", "")))
            key = (bool(final.last("CMD") or final.last("ENTRYPOINT")), not variant, path.name == "Dockerfile",
                   root == project, -len(rel.parts))
            if best_key is None or key > best_key:
                best, best_key = (path, final), key
    return best


# --------------------------------------------------------------------------------- Python version
def _sources(repo: Path, project: Path) -> dict[str, tuple[list[str], str]]:
    """{label: (versions found, newest first, where)} for every source that names a version."""
    sources: dict[str, tuple[list[str], str]] = {}

    def add(label: str, versions: list[str], where: str) -> None:
        versions = sorted(set(versions), key=_key, reverse=True)
        if versions and label not in sources:
            sources[label] = (versions, where)

    path, final = _app_dockerfile(repo, project)
    if path is not None and dockerfile.python_version(final.image):
        add("Dockerfile", [dockerfile.python_version(final.image)], f"{path.relative_to(repo)} (FROM {final.image})")
    text = _read(project / ".python-version").strip()
    add(".python-version", _versions(text.splitlines()[0] if text else ""), ".python-version")
    add("runtime.txt", _versions(_read(project / "runtime.txt"))[:1], "runtime.txt")
    pipfile = re.search(r"""(?m)^\s*python_(?:full_)?version\s*=\s*["'](3\.\d+)""", _read(project / "Pipfile"))
    if pipfile:
        add("Pipfile", [pipfile.group(1)], "Pipfile ([requires] python_version)")

    tested: list[str] = []
    where = []
    for path in _files(repo, (".github/workflows/*.yml", ".github/workflows/*.yaml", ".gitlab-ci.yml")):
        if path.name == "python-upgrade.yml":
            continue
        found = []
        lines = _read(path).splitlines()
        for i, line in enumerate(lines):
            if re.search(r"python(-version)?\s*:|python_version|image:\s*\S*python:", line, re.I):
                found += _versions(line)
                # A matrix list written one item a line, under the key.
                for following in lines[i + 1:i + 12]:
                    if not re.match(r"\s*-\s*['\"]?3\.\d", following):
                        break
                    found += _versions(following)
        if found:
            tested += found
            where.append(str(path.relative_to(repo)))
    for name in ("tox.ini", "tox.toml", "setup.cfg", "pyproject.toml", "noxfile.py"):
        text = _read(project / name)
        if name == "pyproject.toml":  # only its [tool.tox] tables
            block = re.search(r"(?ms)^\[tool\.tox\].*?(?=^\[(?!tool\.tox)|\Z)", text)
            text = block.group(0) if block else ""
        text = _braces(text)
        envs = [f"3.{e}" for e in re.findall(r"(?<![\w.])py3(\d{1,2})(?![\d])", text)]
        envs += [f"3.{e}" for e in re.findall(r"(?<![\w.])3\.(\d{1,2})(?=-|,|\s|$|['\"])", text)] if name != "setup.cfg" else []
        if envs:
            tested += envs
            where.append(name)
    if tested:
        add("CI / tox", tested, ", ".join(where))

    for name in ("pyproject.toml", "setup.cfg", "setup.py"):
        text = _read(project / name)
        m = re.search(r"""(?:requires-python|python_requires)\s*[=:]\s*['"]?\s*>=?\s*(3\.\d{1,2})""", text)
        if m:
            add("requires-python", [m.group(1)], f"{name} ({m.group(0).split('=', 1)[-1].strip(' :')})")
        classifiers = re.findall(r"Programming Language :: Python :: (3\.\d{1,2})", text)
        if classifiers:
            add("classifiers", classifiers, f"{name} classifiers")
    return sources


def detect_python(dst_path: object, supported: tuple[str, ...] | list[str], project_dir: object = ".") -> dict:
    """{'version': chosen "3.X" or "", 'why': one line, 'found': [lines]} for the repo at dst_path.

    Versions outside `supported`, and the newest supported one (no target after it), are listed in
    'found' but never chosen; a source that lists several (a CI matrix) offers its newest below that."""
    repo, project = _root(dst_path, project_dir)
    if not repo.is_dir():
        return {"version": "", "why": "", "found": []}
    sources = _sources(repo, project)
    found, chosen, why = [], "", ""
    for label, rule in RULES:
        if label not in sources:
            continue
        versions, where = sources[label]
        usable = [v for v in versions if v in supported and v != supported[-1]]
        version = usable[0] if usable else versions[0]
        note = ""
        if version not in supported:
            note = f" (outside {supported[0]}-{supported[-1]}, not used)"
        elif version == supported[-1]:
            note = " (the newest supported: nothing newer to migrate to yet, not used)"
        elif versions[0] != version:
            note = f" ({versions[0]} too, the newest supported: nothing newer to migrate to)"
        found.append(f"{version} from {where}{note}")
        if not chosen and (not note or version in usable):
            chosen, why = version, f"{version} from {where}: {rule}"
    return {"version": chosen, "why": why, "found": found}


# ---------------------------------------------------------------------------- dependency layout
def _toml(path: Path) -> dict:
    try:
        import tomllib
    except ImportError:  # pragma: no cover - Copier runs on 3.11+ here, but be tolerant
        return {}
    try:
        return tomllib.loads(_read(path))
    except (ValueError, TypeError):
        return {}


def _upwards(repo: Path, project: Path, name: str) -> Path | None:
    """name in the project directory or a parent up to the repository root (a uv workspace's lock)."""
    directory = project
    while True:
        if (directory / name).is_file():
            return directory / name
        if directory == repo or repo not in directory.parents:
            return None
        directory = directory.parent


def groups_of(dst_path: object, project_dir: object, layout: str) -> list[str]:
    """The extras / dependency groups / Pipfile categories the project declares for `layout`."""
    repo, project = _root(dst_path, project_dir)
    data = _toml(project / "pyproject.toml")
    if layout == "pipenv":
        pipfile = _toml(project / "Pipfile")
        return [k for k, v in pipfile.items() if isinstance(v, dict) and k not in ("source", "requires", "scripts",
                                                                                     "pipenv", "packages")]
    names: list[str] = []
    if layout == "poetry":
        names += list(((data.get("tool") or {}).get("poetry") or {}).get("group", {}) or {})
    if layout in ("uv", "pdm", "pyproject", "poetry"):
        names += list(data.get("dependency-groups") or {})
    if layout in ("pdm",):
        names += list((((data.get("tool") or {}).get("pdm") or {}).get("dev-dependencies")) or {})
    if layout in ("pyproject", "pdm", "uv"):
        names += list(((data.get("project") or {}).get("optional-dependencies")) or {})
    return list(dict.fromkeys(names))


def detect_layout(dst_path: object, project_dir: object = ".") -> dict:
    """Dependency layout and files: {'layout', 'requirements', 'test_requirements', 'test_extra', 'why'}."""
    repo, project = _root(dst_path, project_dir)
    result = {"layout": "", "requirements": "", "test_requirements": "", "test_extra": "", "why": ""}
    if not repo.is_dir():
        return result
    pyproject = _read(project / "pyproject.toml")
    for layout, lock in (("uv", "uv.lock"), ("poetry", "poetry.lock"), ("pdm", "pdm.lock"), ("pipenv", "Pipfile.lock")):
        found = _upwards(repo, project, lock)
        if found is not None:
            result["layout"], result["why"] = layout, f"{found.relative_to(repo)}"
            break
    if not result["layout"] and (project / "Pipfile").is_file():
        result["layout"], result["why"] = "pipenv", "Pipfile (no lock yet)"
    for name in ("requirements.txt", "requirements/production.txt", "requirements/prod.txt", "requirements/base.txt",
                 "requirements/main.txt", "requirements/common.txt"):
        if (project / name).is_file():
            result["requirements"] = name
            break
    # The test file, if there is one (none: the tests need only the runtime requirements).
    for name in ("requirements-test.txt", "requirements-tests.txt", "requirements-dev.txt", "requirements_test.txt",
                 "requirements_dev.txt", "test-requirements.txt", "dev-requirements.txt", "test_requirements.txt",
                 "dev_requirements.txt", "requirements-testing.txt", "requirements/test.txt", "requirements/tests.txt",
                 "requirements/testing.txt", "requirements/dev.txt", "requirements/development.txt",
                 "requirements/local.txt"):
        if (project / name).is_file():
            result["test_requirements"] = name
            break
    if not result["layout"]:
        if result["requirements"]:
            result["layout"], result["why"] = "requirements", result["requirements"]
        elif re.search(r"(?m)^\[project\]", pyproject):
            result["layout"], result["why"] = "pyproject", "pyproject.toml [project] and no lock file"
    # The extra / group holding the tests: the first of these names that the project declares.
    groups = groups_of(repo, project.relative_to(repo), result["layout"]) if result["layout"] else []
    for name in ("test", "tests", "testing", "dev", "dev-packages"):
        if name in groups:
            result["test_extra"] = name
            break
    return result


def group_error(dst_path: object, project_dir: object, layout: str, field: str, value: object) -> str:
    """An extra / group answer the project does not declare (a new, empty destination has none yet)."""
    if layout == "requirements" or not isinstance(value, str) or not value or is_new(dst_path):
        return ""
    names = groups_of(dst_path, project_dir, layout)
    if value in names:
        return ""
    where = "Pipfile" if layout == "pipenv" else "pyproject.toml"
    has = f"it has {', '.join(names)}" if names else "it declares none"
    return f"{field}: {where} has no group or extra named {value} ({has}); give one, or '' for none"


def dir_error(dst_path: object, field: str, value: object) -> str:
    if not isinstance(value, str) or not value:
        return f"{field}: empty; give . for the repository root"
    if value.startswith("/") or ".." in Path(value).parts:
        return f"{field}: {value} must be a directory inside the repository, relative to its root"
    if is_new(dst_path) or (Path(str(dst_path)) / value).is_dir():
        return ""
    return f"{field}: {value}/ does not exist in this repository"


# ------------------------------------------------------------------------------- the application
# What kind of project this is, how it starts, where it listens, how its tests run. Sources, in the
# order production trusts them: the existing Dockerfile (what production runs), the Procfile, compose
# files, Cloud Foundry manifests, then the code and the dependencies themselves. Each answer comes
# with the reason shown in the question's help.

WEB_FRAMEWORKS = ("django", "flask", "fastapi", "starlette", "aiohttp", "tornado", "bottle", "pyramid",
                  "falcon", "sanic", "quart", "litestar", "masonite")
WEB_SERVERS = ("gunicorn", "uvicorn", "hypercorn", "waitress", "daphne", "granian", "uwsgi")
WORKERS = ("celery", "rq", "dramatiq", "arq", "huey", "saq")
# Health route names, the ones that test the process alone first (a readiness check may need a database).
HEALTH_ORDER = ("livez", "live", "liveness", "healthz", "health", "health-check", "health_check", "healthcheck",
                "ping", "status", "readyz", "ready", "readiness")
HEALTH_NAMES = r"(?:livez?|liveness|healthz?|health[-_]?check|ping|status|readyz?|readiness)"
# Setup steps found before a start command: ones that produce files for the image (build_command);
# the others (migrate, db upgrade) are release steps, left out: run once per deploy, not per container.
BUILD_STEP = re.compile(r"collectstatic|compilemessages|compress\b|(?:translate|pybabel|babel)\s+compile|"
                        r"compile_?translations|assets\s+build")
RELEASE_STEP = re.compile(r"\bmigrate\b|\bupgrade\b|alembic|createcachetable|loaddata|\binit[-_]?db\b")
_SHELL_SPLIT = re.compile(r"\s*(?:&&|;|\|\|)\s*")
_RUNNERS = ("uv run", "poetry run", "pipenv run", "pdm run", "hatch run", "rye run", "python -m poetry run")
# Runner options that take a value (uv run --with x, --python 3.12, --package name ...).
_RUNNER_VALUE_FLAGS = {"--with", "--python", "-p", "--package", "--group", "--extra", "--env-file", "--directory",
                       "--project", "--index", "--with-requirements"}
# Web servers: the flags that say where they listen (removed) and how to say $PORT instead, each as
# the server's documentation spells it.
LISTEN = {
    "gunicorn": (("-b", "--bind"), "--bind 0.0.0.0:$PORT"),
    "hypercorn": (("-b", "--bind"), "--bind 0.0.0.0:$PORT"),
    "uvicorn": (("--host", "--port"), "--host 0.0.0.0 --port $PORT"),
    "granian": (("--host", "--port"), "--host 0.0.0.0 --port $PORT"),
    "daphne": (("-b", "--bind", "-p", "--port"), "-b 0.0.0.0 --port $PORT"),
    "waitress-serve": (("--port", "--listen", "--host"), "--listen=0.0.0.0:$PORT"),
    "fastapi run": (("--host", "--port"), "--host 0.0.0.0 --port $PORT"),
    "litestar run": (("--host", "-H", "--port", "-p"), "--host 0.0.0.0 --port $PORT"),
    "flask run": (("--host", "-h", "--port", "-p"), "--host 0.0.0.0 --port $PORT"),
}
_SERVES = re.compile(r"\b(?:gunicorn|uvicorn|hypercorn|daphne|granian|uwsgi|waitress-serve|fastapi\s+run|"
                     r"litestar\s+(?:--app\s+\S+\s+)?run|flask\s+run|runserver)\b")


def _requirement_names(root: Path) -> set[str]:
    """Distribution names the project depends on (any requirements file, pyproject, setup files, Pipfile)."""
    text = "\n".join(_read(p) for p in _files(root, ("requirements*.txt", "requirements/*.txt", "*requirements*.in")))
    names = {m.lower() for m in re.findall(r"(?m)^\s*([A-Za-z][A-Za-z0-9._-]*)", text)}
    for name in ("pyproject.toml", "setup.cfg", "setup.py", "Pipfile"):
        body = _read(root / name)
        names |= {m.lower() for m in re.findall(r"""(?m)^\s*["']?([A-Za-z][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(?:[<>=!~^]=?|=\s*["{]|["',])""", body)}
    return {n.replace("_", "-") for n in names}


def _runtime_names(root: Path) -> set[str]:
    """Distribution names production installs: the runtime requirements file(s), [project]
    dependencies, Poetry's main dependencies, Pipfile [packages] (not test or dev groups)."""
    text = "\n".join(_read(p) for p in _files(root, ("requirements.txt", "requirements/*.txt"))
                     if not re.search(r"test|dev|local|lint|doc", p.name))
    specs = re.findall(r"(?m)^\s*([A-Za-z][A-Za-z0-9._-]*)", text)
    data = _toml(root / "pyproject.toml")
    specs += [str(d) for d in (data.get("project") or {}).get("dependencies") or []]
    specs += list((((data.get("tool") or {}).get("poetry") or {}).get("dependencies")) or {})
    specs += list((_toml(root / "Pipfile").get("packages")) or {})
    return {re.split(r"[\s\[<>=!~;@]", s.strip(), maxsplit=1)[0].lower().replace("_", "-") for s in specs if s.strip()}


def clean_command(command: str) -> str:
    """A start or test line as the image runs it: `exec` and runner prefixes (uv run, poetry run …)
    dropped, `uv run -m x` -> `python -m x`, an absolute path to an executable -> its name,
    `./manage.py` -> `python manage.py`. Leading VAR=value assignments are kept."""
    words = command.strip().split()
    env = []
    while words and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=\S*", words[0]):
        env.append(words.pop(0))
    rest = " ".join(words)
    rest = re.sub(r"^exec\s+", "", rest)
    for runner in _RUNNERS:
        if rest == runner or rest.startswith(runner + " "):
            words = rest[len(runner):].split()
            while words and words[0].startswith("--") or (words and words[0] in _RUNNER_VALUE_FLAGS):
                flag = words.pop(0)
                if flag in _RUNNER_VALUE_FLAGS and "=" not in flag and words:
                    words.pop(0)
            rest = " ".join(words)
            break
    if rest.startswith("-m "):
        rest = "python " + rest
    head, _, tail = rest.partition(" ")
    if head.startswith("/") and re.search(r"/(?:s?bin|\.venv/bin|venv/bin)/[\w.-]+$", head):
        head = head.rsplit("/", 1)[-1]
    if head in ("./manage.py", "manage.py"):
        head = "python manage.py"
    rest = f"{head} {tail}".strip()
    return " ".join(env + [rest]).strip()


def _listen_on_port(command: str) -> tuple[str, int | None]:
    """The command rewritten to listen on $PORT on every interface, and the port it named."""
    port = None
    for server, (flags, listen) in LISTEN.items():
        spelled = r"(?:\s+--app\s+\S+)?\s+".join(re.escape(word) for word in server.split())
        match = re.search(rf"(?:^|\s|/){spelled}(?=\s|$)", command)
        if not match:
            continue
        pattern = rf"(?:^|\s)(?:{'|'.join(re.escape(f) for f in flags)})(?:=|\s+)(\S+)"
        for value in re.findall(pattern, command):
            digits = re.search(r"(\d{2,5})$", value)
            if digits and port is None:
                port = int(digits.group(1))
        command = re.sub(pattern, "", command)
        match = re.search(rf"(?:^|\s|/){spelled}(?=\s|$)", command)
        command = command[:match.end()] + " " + listen + command[match.end():]
        return " ".join(command.split()), port
    if re.search(r"(?:^|\s|/)uwsgi(?=\s|$)", command):
        flag = re.search(r"(?:^|\s)(--http-socket|--http)(?:=|\s+)(\S+)", command)
        if flag:
            digits = re.search(r"(\d{2,5})$", flag.group(2))
            port = int(digits.group(1)) if digits else None
            command = command.replace(flag.group(0), f" {flag.group(1)} 0.0.0.0:$PORT", 1)
        else:
            command = re.sub(r"(?:^|\s|/)uwsgi(?=\s|$)", lambda m: m.group(0) + " --http-socket 0.0.0.0:$PORT", command,
                             count=1)
        return " ".join(command.split()), port
    found = re.search(r"\brunserver\s+(?:[\w.]*:)?(\d{2,5})\b", command)
    if found:
        port = int(found.group(1))
    if re.search(r"\brunserver\b", command):
        command = re.sub(r"\brunserver(\s+[\w.]*:?\d{2,5}\b)?", "runserver 0.0.0.0:$PORT", command, count=1)
    return " ".join(command.split()), port


def _split_start(command: str) -> tuple[str, list[str], list[str]]:
    """`a && b; server` -> (server, [build steps], [release steps left out])."""
    segments = [s.strip() for s in _SHELL_SPLIT.split(command) if s.strip()]
    if len(segments) < 2:
        return command.strip(), [], []
    build = [s for s in segments[:-1] if BUILD_STEP.search(s)]
    release = [s for s in segments[:-1] if not BUILD_STEP.search(s)]
    return segments[-1], build, release


def _script_lines(path: Path) -> list[str]:
    text = re.sub(r"\\[ \t]*\r?\n", " ", _read(path))
    return [" ".join(line.split()) for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]


def _image_path(project: Path, dockerfile_path: Path | None, stage, path: str) -> Path | None:
    """The repository file an image path (`/code/start.sh`, `./init.sh`) was copied from."""
    candidates = []
    if stage is not None:
        workdir = dockerfile.workdir(stage)
        absolute = path if path.startswith("/") else workdir.rstrip("/") + "/" + path.removeprefix("./")
        mapping = dockerfile.copies(stage)
        if absolute in mapping:
            candidates.append(mapping[absolute])
        for dest, source in mapping.items():
            if absolute.startswith(dest + "/") and source.rstrip("/") in (".", "./"):
                candidates.append(absolute[len(dest) + 1:])
            elif absolute.startswith(dest + "/"):
                candidates.append(source.rstrip("/") + "/" + absolute[len(dest) + 1:])
        if absolute.startswith(workdir.rstrip("/") + "/"):
            candidates.append(absolute[len(workdir.rstrip("/")) + 1:])
    candidates.append(path.removeprefix("./").removeprefix("/app/"))
    for candidate in candidates:
        for base in (project, dockerfile_path.parent if dockerfile_path else project):
            file = base / candidate.removeprefix("./")
            if file.is_file():
                return file
    return None


def _source_paths(project: Path, dockerfile_path: Path, stage, command: str) -> str:
    """A start command with the old image's paths of the repository's files (`uwsgi /code/etc/uwsgi.ini`)
    turned into the paths they have in the source tree, which is the production image's WORKDIR."""
    words = command.split(" ")
    for i, word in enumerate(words[1:], 1):
        if word.startswith("/") and re.fullmatch(r"[\w./-]+", word):
            file = _image_path(project, dockerfile_path, stage, word)
            if file is not None and file.is_relative_to(project):
                words[i] = str(file.relative_to(project))
    return " ".join(words)


def _script_command(project: Path, words: list[str], rest: list[str], dockerfile_path=None, stage=None):
    """A start command whose first word is a script of the repository -> (command, release steps,
    the script's path), following `exec "$@"` (an entrypoint that runs the CMD after its set-up)."""
    if words and words[0] in ("sh", "bash", "/bin/sh", "/bin/bash") and len(words) > 1 and words[1] != "-c":
        words = words[1:]
    if not words:
        return " ".join(rest), [], ""
    script = _image_path(project, dockerfile_path, stage, words[0])
    if script is None or script.suffix == ".py":
        return " ".join(words + rest), [], ""
    lines = _script_lines(script)
    release = [line for line in lines if RELEASE_STEP.search(line) and not _SERVES.search(line)]
    if any(re.fullmatch(r"exec\s+\"?\$[@*]\"?", line) for line in lines):
        return " ".join(rest), release, str(script.relative_to(project))
    for line in reversed(lines):
        if line.startswith("exec ") or _SERVES.search(line):
            return line, release, str(script.relative_to(project))
    return " ".join(words + rest), [], ""


def _unwrap(words: list[str]) -> list[str]:
    """Init wrappers (tini --, dumb-init) and sh -c "…" taken off a start command."""
    while words and words[0].rsplit("/", 1)[-1] in ("tini", "tini-static", "dumb-init"):
        words = words[1:]
        while words and words[0].startswith("-"):
            words = words[1:]
    if len(words) >= 3 and words[0] in ("sh", "bash", "/bin/sh", "/bin/bash") and words[1] == "-c":
        return words[2].split()
    return words


def _procfile(root: Path) -> dict[str, str]:
    entries = {}
    for line in _read(root / "Procfile").splitlines():
        name, sep, command = line.partition(":")
        if sep and re.fullmatch(r"[\w-]+", name.strip()) and command.strip():
            entries.setdefault(name.strip(), command.strip())
    return entries


def _compose(root: Path) -> list[tuple[str, str, int | None]]:
    """(file, command, container port) of each compose service that builds this repository."""
    found = []
    for path in _files(root, ("docker-compose.yml", "docker-compose.yaml", "compose.yml", "compose.yaml"), depth=1):
        try:
            data = yaml.safe_load(_read(path)) or {}
        except yaml.YAMLError:
            continue
        services = data.get("services") if isinstance(data, dict) else None
        for service in (services or {}).values() if isinstance(services, dict) else ():
            if not isinstance(service, dict) or "build" not in service:
                continue
            command = service.get("command") or ""
            command = " ".join(map(str, command)) if isinstance(command, list) else str(command)
            port = None
            for entry in service.get("ports") or []:
                m = re.search(r"(\d{2,5})(?:/tcp)?$", str(entry.get("target", "")) if isinstance(entry, dict) else str(entry))
                if m:
                    port = int(m.group(1))
                    break
            found.append((path.name, command, port))
    return found


def _cloud_foundry(repo: Path, project: Path) -> list[tuple[str, str]]:
    """(command, where) of Cloud Foundry manifests' `applications[].command` (manifest*.yml)."""
    found = []
    for path in _files(repo, ("manifest*.yml", "manifest*.yaml", "*/manifest*.yml", "*/*/manifest*.yaml",
                              "*/*/manifest*.yml"), depth=3):
        try:
            data = yaml.safe_load(_read(path)) or {}
        except yaml.YAMLError:
            continue
        for app in (data.get("applications") or []) if isinstance(data, dict) else []:
            if isinstance(app, dict) and isinstance(app.get("command"), str):
                found.append((app["command"], f"{path.relative_to(repo)} (Cloud Foundry command)"))
                break
        if found:
            break
    return found


def _python_sources(root: Path, depth: int = 6) -> list[Path]:
    skip = {"tests", "test", "migrations", "docs", "doc", "examples", "fixtures"}
    return [p for p in _files(root, ("*.py", "*/*.py", "*/*/*.py", "*/*/*/*.py", "*/*/*/*/*.py", "*/*/*/*/*/*.py"), depth=depth)
            if not skip & set(p.relative_to(root).parts[:-1])][:800]


def _module(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts and parts[0] == "src" and len(parts) > 1:
        parts = parts[1:]
    return ".".join(parts)


def _entry_point(root: Path, names: set[str]) -> tuple[str, str]:
    """(a start command, where) for a web app found in the code, or ("", "")."""
    if (root / "manage.py").is_file():
        for wsgi in sorted(root.glob("*/wsgi.py")) + sorted(root.glob("*/*/wsgi.py")):
            module = ".".join(wsgi.relative_to(root).with_suffix("").parts)
            return f"gunicorn {module}", f"manage.py and {wsgi.relative_to(root)} (Django)"
    flask_app = re.search(r"(?m)^\s*FLASK_APP\s*=\s*(\S+)", _read(root / ".flaskenv") + "\n" + _read(root / ".env"))
    if flask_app:
        module = flask_app.group(1).strip("'\"").removesuffix(".py").replace("/", ".")
        module, _, attr = module.partition(":")
        return f"gunicorn {module}:{attr or 'app'}", f".flaskenv (FLASK_APP={flask_app.group(1)})"
    for path in _python_sources(root, depth=3):
        text = _read(path)
        module = _module(root, path)
        m = re.search(r"(?m)^(\w+)\s*=\s*(Flask|FastAPI|Starlette|Quart|Litestar|Sanic)\(", text)
        if m:
            server = "gunicorn" if m.group(2) == "Flask" else "uvicorn"
            return f"{server} {module}:{m.group(1)}", f"{path.relative_to(root)} ({m.group(2)} app `{m.group(1)}`)"
        m = re.search(r"(?m)^def (\w+)\(\s*environ\s*,\s*start_response\s*\)", text)
        if m:
            return f"gunicorn {module}:{m.group(1)}", f"{path.relative_to(root)} (WSGI callable `{m.group(1)}`)"
    return "", ""


# ------------------------------------------------------------------------------------ health path
_URL_PATH = re.compile(r"https?://(?:localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\])(?::[\w${}]+)?(/[^\s'\"|;)]*)")


def _healthcheck_path(project: Path, path: Path | None, stage) -> tuple[str, str]:
    """(path, script) the app's own Dockerfile HEALTHCHECK requests, in its command (script "") or in
    the script it runs."""
    if stage is None:
        return "", ""
    check = stage.last("HEALTHCHECK")
    if not check or check.upper().startswith("NONE"):
        return "", ""
    command = re.sub(r"^(?:--\S+\s+)*CMD(?:-SHELL)?\s+", "", check, flags=re.I)
    m = _URL_PATH.search(command)
    if m:
        return m.group(1), ""
    words = dockerfile.exec_form(command)
    script = _image_path(project, path, stage, words[0]) if words else None
    if script is not None and script.suffix != ".py":
        m = _URL_PATH.search(_read(script))
        if m:
            return m.group(1), str(script.relative_to(project))
    return "", ""


def _route_rank(name: str) -> int:
    key = name.strip("/").split("/")[-1].lower()
    return HEALTH_ORDER.index(key) if key in HEALTH_ORDER else len(HEALTH_ORDER)


def _routes(root: Path, names: str = HEALTH_NAMES, declared: bool = False) -> list[tuple[str, str]]:
    """(full path, file) of every route whose last segment matches `names` (health-named ones by
    default) and that takes no parameter, with the prefixes of the URL
    includes (Django `include()`), routers (`include_router(prefix=)`, `APIRouter(prefix=)`) and
    blueprints (`url_prefix=`) that lead to it."""
    sources = _python_sources(root)
    texts = {p: _read(p) for p in sources}
    modules = {_module(root, p): p for p in sources}
    # file -> (prefix, the file that includes it under that prefix)
    prefix: dict[Path, list[tuple[str, Path]]] = {}

    def add(target: Path | None, value: str, by: Path) -> None:
        if target is not None and target != by:
            prefix.setdefault(target, []).append((value, by))

    for path, text in texts.items():
        # Django: path("api/v3/", include("apiv3.urls")) -> apiv3/urls.py is under /api/v3/.
        for m in re.finditer(r"""(?:path|re_path|url)\(\s*r?["']\^?([^"']*)["']\s*,\s*include\(\s*\(?\s*["']([\w.]+)["']""", text):
            add(modules.get(m.group(2)), m.group(1).rstrip("$"), path)
        # FastAPI / Flask: include_router(name, prefix=...), register_blueprint(name, url_prefix=...).
        # A router included with no prefix still puts the includer's prefix in front of its routes.
        for m in re.finditer(r"""(?:include_router|register_blueprint)\(\s*([\w.]+)(?:[^)]*?(?:url_)?prefix\s*=\s*(["'][^"']*["']|[A-Za-z_][\w.]*))?""", text):
            name = m.group(1).split(".")[0]
            imported = re.search(rf"(?m)^from\s+([\w.]+)\s+import\s+[^\n]*?\b(\w+)\s+as\s+{name}\b", text) or re.search(
                rf"(?m)^from\s+([\w.]+)\s+import\s+(?:[^\n]*,\s*)?({name})\b", text)
            target = None
            if imported:
                module = imported.group(1)
                target = modules.get(module) or modules.get(f"{module}.{imported.group(2)}") or modules.get(
                    f"{module}.__init__")
            add(target or (path if re.search(rf"(?m)^{name}\s*=", text) else None), _literal(m.group(2) or '""', texts),
                path)
    # Prefixes declared where the router is made.
    own = {}
    for path, text in texts.items():
        m = re.search(r"""(?:APIRouter|Blueprint|Router)\([^)]*?(?:url_)?prefix\s*=\s*["']([^"']*)["']""", text) or re.search(
            r"""(?m)^    path\s*=\s*["'](/[^"']*)["']\s*$""", text)  # a Litestar Controller's path
        if m:
            own[path] = m.group(1)

    def full(path: Path, depth: int = 0) -> str:
        parent = ""
        if path in prefix and depth < 5:
            value, by = prefix[path][0]
            if value.startswith("?"):
                unresolved.append(value[1:])
                value = ""
            # the file that includes this one may be included under a prefix too, and have its own
            parent = full(by, depth + 1)
            parent += "/" + value.strip("/") if value.strip("/") else ""
        return parent + ("/" + own[path].strip("/") if own.get(path, "").strip("/") else "")

    route = re.compile(rf"""(?:route|get|head|api_route|path|re_path|url|add_url_rule|add_route)\(\s*r?["']\^?/?((?:[\w-]+/)*{names}/?)\$?["']""")
    keyword = re.compile(rf"""@(?:get|head|route|api_route)\([^)]*?\bpath\s*=\s*["']/?((?:[\w-]+/)*{names}/?)["']""")
    if declared:  # only a decorator's or Django path()'s own argument, never a dict's .get("...")
        route = re.compile(rf"""(?:@[\w.]+\.(?:get|head|route)|(?<![\w.])(?:path|re_path))\(\s*r?["']\^?/?((?:[\w-]+/)*{names}/?)\$?["']""")
    found = []
    for path, text in texts.items():
        for m in list(route.finditer(text)) + list(keyword.finditer(text)):
            unresolved: list[str] = []
            where = str(path.relative_to(root))
            route_path = f"{full(path)}/{m.group(1)}".replace("//", "/")
            if unresolved:
                where += f" (a guess: the prefix {unresolved[0]} has no literal value in the code; add it)"
            found.append((route_path, where))
    return found


def _literal(expression: str, texts: dict[Path, str]) -> str:
    """A prefix as written: a string literal's value, or the literal a name (`settings.API_V1_STR`,
    `API_PREFIX`) is assigned anywhere in the code (`API_V1_STR: str = "/api/v1"`); "?NAME" when none is."""
    if expression[:1] in "\"'":
        return expression[1:-1]
    name = expression.split(".")[-1]
    assigned = re.compile(rf"""(?m)^\s*{re.escape(name)}\s*(?::\s*[\w\[\], |]+)?=\s*["']([^"']*)["']""")
    for text in texts.values():
        found = assigned.search(text)
        if found:
            return found.group(1)
    return "?" + expression


# ------------------------------------------------------------------------------------------ tests
def _workflows(repo: Path) -> list[tuple[Path, dict]]:
    """(path, parsed mapping) of every GitHub Actions workflow but ours; unreadable ones left out."""
    found = []
    for path in _files(repo, (".github/workflows/*.yml", ".github/workflows/*.yaml")):
        if path.name == "python-upgrade.yml":
            continue
        try:
            data = yaml.safe_load(_read(path)) or {}
        except yaml.YAMLError:
            continue
        if isinstance(data, dict):
            found.append((path, data))
    return found


def _ci_jobs(repo: Path) -> list[tuple[str, dict, dict]]:
    """(where, its workflow, the job) for every CI job, a workflow named for tests or CI first (others
    may test something downstream), then in file order."""
    jobs = []
    for path, data in sorted(_workflows(repo), key=lambda w: not re.search(r"test|ci|check", w[0].name, re.I)):
        for job in (data.get("jobs") or {}).values() if isinstance(data.get("jobs"), dict) else ():
            if isinstance(job, dict):
                jobs.append((str(path.relative_to(repo)), data, job))
    return jobs


def _run_steps(job: dict) -> list[dict]:
    return [step for step in job.get("steps") or [] if isinstance(step, dict) and isinstance(step.get("run"), str)]


def _run_lines(step: dict) -> list[str]:
    """The command lines of a step's `run:`, continuation lines joined, blank and comment lines dropped."""
    lines = (line.strip() for line in re.sub(r"\\[ \t]*\n", " ", step["run"]).splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def _ci_steps(repo: Path) -> list[tuple[str, dict, str, dict]]:
    """(run line, env of its workflow, job and step, where, the job) for every CI step, in file order."""
    steps = []
    for where, data, job in _ci_jobs(repo):
        for step in _run_steps(job):
            env = {}
            for scope in (data, job, step):
                if isinstance(scope.get("env"), dict):
                    env |= scope["env"]
            steps += [(line, env, where, job) for line in _run_lines(step)]
    return steps


# Images of the backing services tests use (databases, caches, brokers), by their registry names.
_BACKING = re.compile(r"(?:^|/)(postgres|postgis|pgvector|timescaledb|mysql|mariadb|redis|valkey|memcached|mongo|"
                      r"rabbitmq|elasticsearch|opensearch|minio)\b[^/]*$", re.I)


def _backing_kind(image: str) -> str:
    """postgres for `postgres:16-alpine` or `docker.io/library/postgres@sha256:...`; "" for other images."""
    kind = _BACKING.search(str(image).split("@")[0].rsplit(":", 1)[0])
    return kind.group(1).lower() if kind else ""


def _health_cmd(options: str) -> str:
    """--health-cmd of a GitHub Actions service's `options` (quoted or one word)."""
    m = re.search(r"""--health-cmd[= ](?:"([^"]*)"|'([^']*)'|(\S+))""", options or "")
    return next((g for g in m.groups() if g), "") if m else ""


def _ports(entries) -> tuple[int | None, int | None]:
    """(host port, container port) of the first `ports:` entry ("5432:5432", 5432, {published, target})."""
    for entry in entries or []:
        if isinstance(entry, dict):
            target, published = entry.get("target"), entry.get("published", entry.get("target"))
            if str(target).isdigit():
                return int(str(published).split("-")[0]) if str(published).split("-")[0].isdigit() else int(target), int(target)
            continue
        m = re.fullmatch(r"(?:\d+\.\d+\.\d+\.\d+:)?(?:(\d+):)?(\d+)(?:/tcp)?", str(entry).strip())
        if m:
            return int(m.group(1) or m.group(2)), int(m.group(2))
    return None, None


# The port and readiness check of each kind of backing service, as its official image documents them.
_SERVICE_DEFAULTS = {
    "postgres": (5432, "pg_isready"), "postgis": (5432, "pg_isready"), "pgvector": (5432, "pg_isready"),
    "timescaledb": (5432, "pg_isready"), "mysql": (3306, "mysqladmin ping -h 127.0.0.1"),
    "mariadb": (3306, "mariadb-admin ping -h 127.0.0.1"), "redis": (6379, "redis-cli ping"),
    "valkey": (6379, "valkey-cli ping"), "memcached": (11211, ""), "mongo": (27017, ""), "rabbitmq": (5672, ""),
}


def _service(image, env, ports, health) -> dict:
    host, container = _ports(ports)
    port, check = _SERVICE_DEFAULTS.get(_backing_kind(image), (None, ""))
    host, container, health = host or port, container or port, health or check
    spec = {"image": str(image)}
    if isinstance(env, list):
        env = dict(str(e).split("=", 1) for e in env if "=" in str(e))
    literal = {str(k): str(v).lower() if isinstance(v, bool) else str(v) for k, v in (env or {}).items()
               if isinstance(v, (str, int, float, bool)) and "${" not in str(v)} if isinstance(env, dict) else {}
    if literal:
        spec["env"] = literal
    if host:
        spec["port"] = host
    if container and container != host:
        spec["container_port"] = container
    if health:
        spec["health"] = health
    return spec


def _job_services(job: dict) -> dict[str, dict]:
    """A GitHub Actions job's `services:` with a literal image, as {name: {image, env, port, health}}."""
    found = {}
    services = job.get("services") if isinstance(job, dict) else None
    for name, service in (services or {}).items() if isinstance(services, dict) else ():
        if isinstance(service, dict) and isinstance(service.get("image"), str) and "${{" not in service["image"]:
            found[str(name)] = _service(service["image"], service.get("env"), service.get("ports"),
                                        _health_cmd(str(service.get("options") or "")))
    return found


def _service_ports(value: str, ports: dict) -> str:
    """`${{ job.services.postgres.ports[5432] }}` (the host port Actions mapped) -> the service's port."""
    return re.sub(r"\$\{\{\s*job\.services\.([\w-]+)\.ports\[['\"]?(\d+)['\"]?\]\s*\}\}",
                  lambda m: str(ports.get(m.group(1)) or m.group(2)), value)


def _compose_health(service: dict) -> str:
    test = (service.get("healthcheck") or {}).get("test") if isinstance(service.get("healthcheck"), dict) else None
    if isinstance(test, list) and test and test[0] in ("CMD", "CMD-SHELL"):
        return " ".join(map(str, test[1:])) if test[0] == "CMD" else str(test[1]) if len(test) > 1 else ""
    return test if isinstance(test, str) else ""


_COMPOSE_DEFAULTS = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")
_COMPOSE_OVERRIDES = ("compose.override.yaml", "compose.override.yml", "docker-compose.override.yaml",
                      "docker-compose.override.yml")
_COMPOSE_UP = re.compile(r"^docker[ -]compose\b(?P<head>.*?)\s+up\b(?P<tail>.*)$")
# `docker compose up` options that take a value (the rest are flags or --opt=value).
_COMPOSE_UP_VALUES = {"--scale", "--timeout", "-t", "--wait-timeout", "--exit-code-from", "--pull", "--attach",
                      "--no-attach"}


def _dotenv(path: Path) -> dict[str, str]:
    """KEY=value lines of a .env file (what compose reads for ${VAR} in the project directory)."""
    values = {}
    for line in _read(path).splitlines():
        m = re.match(r"\s*(?:export\s+)?([A-Za-z_]\w*)\s*=\s*(.*?)\s*$", line)
        if m and not line.lstrip().startswith("#"):
            values[m.group(1)] = m.group(2).strip("'\"")
    return values


def _interpolate(value: object, env: dict[str, str]) -> str | None:
    """Compose's ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error} and $VAR from env; None when a
    variable has no value and no default (the service cannot be known from the repository)."""
    text, missing = str(value), []

    def one(m: re.Match) -> str:
        name, op, default = m.group(1) or m.group(4), m.group(2) or "", m.group(3) or ""
        if name in env and (env[name] or op not in (":-", ":?")):
            return env[name]
        if op in (":-", "-"):
            return _interpolate(default, env) or ""
        missing.append(name)
        return ""

    text = re.sub(r"\$\{([A-Za-z_]\w*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_]\w*)", one, text.replace("$$", "\0"))
    return None if missing else text.replace("\0", "$")


def _compose_files(directory: Path, files: list[str]) -> list[Path]:
    """The files compose reads in `directory`: the -f ones, else the compose file and its override."""
    if files:
        return [directory / f for f in files]
    base = [directory / f for f in _COMPOSE_DEFAULTS if (directory / f).is_file()][:1]
    return base + [directory / f for f in _COMPOSE_OVERRIDES if (directory / f).is_file()][:1] if base else []


def _compose_services(paths: list[Path]) -> dict[str, dict]:
    """The services of these compose files, merged as compose merges them: environment and ports
    added to, other keys replaced."""
    merged: dict[str, dict] = {}
    for path in paths:
        try:
            data = yaml.safe_load(_read(path)) or {}
        except yaml.YAMLError:
            continue
        services = data.get("services") if isinstance(data, dict) else None
        for name, service in (services or {}).items() if isinstance(services, dict) else ():
            if not isinstance(service, dict):
                continue
            into = merged.setdefault(str(name), {})
            for key, value in service.items():
                if key == "environment" and isinstance(value, (dict, list)):
                    env = value if isinstance(value, dict) else dict(
                        str(e).split("=", 1) if "=" in str(e) else (str(e), None) for e in value)
                    into["environment"] = {**into.get("environment", {}), **env}
                elif key == "ports" and isinstance(value, list):
                    into["ports"] = [*into.get("ports", []), *value]
                else:
                    into[key] = value
    return merged


def _compose_up(line: str, directory: Path, repo: Path) -> tuple[dict[str, dict], str] | None:
    """({name: spec}, where) of the services a `docker compose up [SERVICE...]` step starts: the named
    ones (all those with a database, cache or broker image when none is named), with ${VAR} taken from
    the project's .env; a service built from source, or whose image needs a variable nobody sets, is
    left out."""
    m = _COMPOSE_UP.match(line.strip())
    if not m:
        return None
    head, tail = m.group("head").split(), m.group("tail").split()
    files = [head[i + 1] for i, word in enumerate(head[:-1]) if word in ("-f", "--file")]
    files += [word.split("=", 1)[1] for word in head if word.startswith("--file=")]
    names, skip = [], False
    for word in tail:
        if skip or word in ("&&", ";", "|", "||"):
            if word in ("&&", ";", "|", "||"):
                break
            skip = False
            continue
        if word.startswith("-"):
            skip = word in _COMPOSE_UP_VALUES
            continue
        names.append(word)
    paths = _compose_files(directory, files)
    services = _compose_services(paths)
    env = _dotenv(directory / ".env")
    wanted = names or [n for n, svc in services.items() if _backing_kind(str(svc.get("image", "")))]
    found = {}
    for name in wanted:
        service = services.get(name) or {}
        image = _interpolate(service.get("image", ""), env) if "build" not in service else None
        if not image:
            continue
        environment = {k: _interpolate(v, env) for k, v in (service.get("environment") or {}).items() if v is not None}
        ports = [_interpolate(port, env) if isinstance(port, str) else port for port in service.get("ports", [])]
        found[name] = _service(image, {k: v for k, v in environment.items() if v is not None},
                               [p for p in ports if p], _compose_health(service))
    read = " + ".join(str(path.relative_to(repo)) for path in paths)
    return (found, f"`{line.strip()}` in the test job, from {read}") if found else None


def _runs_tests(command: str, directory: Path, depth: int = 1) -> bool:
    """Whether a CI line runs the tests: a test runner, tox or nox, or a shell script that does (one
    script deep: `bash scripts/tests-start.sh` that calls `bash scripts/test.sh` running pytest)."""
    if re.match(r"docker[ -]compose\b", command):
        return False
    if TEST_RUNNER.search(command) or re.search(r"(?:^|\s)(?:tox|nox)\b", command):
        return True
    script = re.search(r"(?:^|\s)(?:bash|sh|\.)?\s*(\.?/?[\w./-]+\.sh)\b", command)
    if not script or depth < 0:
        return False
    text = _read(directory / script.group(1))
    return any(_runs_tests(clean_command(line), directory, depth - 1) for line in text.splitlines()
               if line.strip() and not line.lstrip().startswith("#"))


def _job_steps(job: dict, repo: Path) -> list[tuple[str, Path]]:
    """(run line, the directory it runs in) for each step of a job."""
    default = ((job.get("defaults") or {}).get("run") or {}).get("working-directory") if isinstance(
        job.get("defaults"), dict) else None
    return [(line, repo / str(step.get("working-directory") or default or "."))
            for step in _run_steps(job) for line in _run_lines(step)]


def detect_services(dst_path: object, project_dir: object = ".") -> dict:
    """{'value': {name: {image, env, port, health}}, 'why'}: the backing services the tests use: the
    `services:` of the CI job that runs them, or the compose services that job starts (`docker compose
    up -d db`), else the compose services whose image is a database, cache or broker (postgres, mysql,
    redis, ...)."""
    repo, root = _root(dst_path, project_dir)
    if not repo.is_dir():
        return {"value": {}, "why": ""}
    for where, _, job in _ci_jobs(repo):
        steps = _job_steps(job, repo)
        if not any(_runs_tests(clean_command(line), directory) for line, directory in steps):
            continue
        # The job that runs the tests says what they need, nothing included.
        services = _job_services(job)
        if services:
            return {"value": services, "why": f"the services: of the test job in {where}"}
        for line, directory in steps:
            started = _compose_up(line, directory, repo)
            if started:
                return {"value": started[0], "why": f"{started[1]} in {where}"}
        return {"value": {}, "why": f"the test job in {where} has no services:"}
    for path in _files(root, ("docker-compose.yml", "docker-compose.yaml", "compose.yml", "compose.yaml",
                              "docker-compose.dev.yml", "compose.dev.yml", "docker-compose.override.yml"), depth=1):
        found = {name: _service(service["image"], service.get("environment"), service.get("ports"),
                                _compose_health(service))
                 for name, service in _compose_services([path]).items()
                 if isinstance(service.get("image"), str)
                 and "build" not in service and _backing_kind(service["image"])
                 and "${" not in service["image"]}
        if found:
            return {"value": found, "why": f"the database/cache services of {path.relative_to(repo)} "
                                           "(a guess: no CI job runs the tests)"}
    return {"value": {}, "why": ""}


def _tox_commands(text: str) -> list[str]:
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


def _django_settings(root: Path) -> list[Path]:
    """Django's settings files: the module manage.py names (DJANGO_SETTINGS_MODULE), then the usual
    places (settings.py at the root, in a package, or a settings/ package)."""
    found = []
    m = re.search(r"""DJANGO_SETTINGS_MODULE["']\s*,\s*["']([\w.]+)["']""", _read(root / "manage.py"))
    if m:
        base = root.joinpath(*m.group(1).split("."))
        found += [p for p in (base.with_suffix(".py"), base / "__init__.py") if p.is_file()]
        found += sorted(base.glob("*.py")) if base.is_dir() else []
    found += sorted(root.glob("settings*.py")) + sorted(root.glob("*/settings*.py")) + sorted(root.glob("*/settings/*.py"))
    return [p for p in dict.fromkeys(found) if "tests" not in p.relative_to(root).parts]


# A line that runs a project's tests (CI steps, tox commands).
TEST_RUNNER = re.compile(r"(?:^|\s)(?:pytest|py\.test|-m pytest|-m unittest|manage\.py test|-m manage test|nose2|trial)\b")


# ------------------------------------------------------------------------------ image contents
_BUILD_PACKAGES = ("build-essential", "gcc", "g++", "make", "pkg-config", "cmake", "cargo", "rustc", "git")
_NOT_NEEDED = ("ca-certificates", "curl", "wget", "tini", "dumb-init", "gnupg", "procps", "apt-utils")
_PYTHON_TOOLS = {"pip", "setuptools", "wheel", "uv", "pipenv", "poetry", "pdm", "virtualenv", "pip-tools", "hatch"}


def _shell_vars(run: str, known: dict[str, str]) -> str:
    """A RUN line with its own `VAR="a b" &&` assignments (and the stage's ARG/ENV) expanded."""
    variables = dict(known)
    for m in re.finditer(r"""(?:^|[;&|]\s*|\s)([A-Za-z_]\w*)=("[^"]*"|'[^']*'|\S+)""", run):
        variables[m.group(1)] = m.group(2).strip("'\"")
    return dockerfile.expand(run, variables)


def _packages(stages: list, final) -> tuple[str, str]:
    """Debian packages an existing Dockerfile installs: (build ones of every stage, runtime ones of
    the final stage and the stages it is built from)."""
    def installed(stage_list) -> list[str]:
        packages = []
        for stage in stage_list:
            known = {}
            for key, value in (i for s in stage.chain() for i in s.instructions):
                if key in ("ENV", "ARG"):
                    known.update(dockerfile._assignments(value))
                if key != "RUN":
                    continue
                run = _shell_vars(value, known)
                for m in re.finditer(r"apt-get\s+(?:-\S+\s+)*install\s+([^&;|]+)", run):
                    packages += [w for w in m.group(1).split() if not w.startswith("-")
                                 and re.fullmatch(r"[a-z0-9][a-z0-9+.-]+", w)]
        return packages

    every = installed(stages)
    build = [p for p in every if p.endswith("-dev") or p in _BUILD_PACKAGES]
    runtime = [p for p in installed(final.chain()) if p not in build and p not in _NOT_NEEDED]
    return " ".join(dict.fromkeys(build)), " ".join(dict.fromkeys(runtime))


def _app_packages(final, names: set[str]) -> str:
    """Python packages the app's image installs beside its dependency files (`pip install uwsgi -r
    requirements.txt`, `pip install uvicorn[standard]`), that the project does not declare."""
    found = []
    for run in final.all("RUN"):
        for m in re.finditer(r"(?:\buv\s+)?\bpip3?\s+install\s+([^&;|]+)", run):
            words = m.group(1).split()
            skip = False
            for word in words:
                if skip:
                    skip = False
                    continue
                if word in ("-r", "-c", "-e", "--requirement", "--constraint", "--editable", "-t", "--target",
                            "--prefix", "--root", "-i", "--index-url", "--extra-index-url", "--python"):
                    skip = True
                    continue
                if word.startswith("-") or "/" in word or word in (".", "..") or word.endswith((".whl", ".txt")):
                    continue
                name = re.split(r"[\[<>=!~;]", word.strip("'\""))[0].lower().replace("_", "-")
                if name and name not in _PYTHON_TOOLS | names and re.fullmatch(r"[a-z0-9][a-z0-9.-]*", name):
                    found.append(word.strip("'\""))
    return " ".join(dict.fromkeys(found))


_ENV_NOISE = re.compile(r"^(?:PATH|PYTHON\w*|PIP_\w+|UV_\w+|POETRY_\w+|PIPENV_\w+|VIRTUAL_ENV|LANG|LC_\w+|PORT|HOME|"
                        r"DEBIAN_FRONTEND|GPG_KEY|TZ)$")


def _app_env(final) -> dict[str, str]:
    """The environment the app's image sets for the app itself (settings modules, app paths)."""
    return {k: v for k, v in dockerfile.env(final).items()
            if not _ENV_NOISE.match(k) and "$" not in v and not re.search(r"secret|password|token|key", k, re.I)}


def _testpaths(root: Path) -> tuple[list[str], str]:
    """pytest's `testpaths` (pyproject [tool.pytest.ini_options], pytest.ini, tox.ini [pytest],
    setup.cfg [tool:pytest]) that are directories of the project."""
    options = _toml(root / "pyproject.toml").get("tool", {}).get("pytest", {}).get("ini_options", {})
    paths, where = options.get("testpaths", []), "pyproject.toml [tool.pytest.ini_options] testpaths"
    if isinstance(paths, str):
        paths = paths.split()
    for name, section in (("pytest.ini", "pytest"), ("tox.ini", "pytest"), ("setup.cfg", "tool:pytest")):
        if paths:
            break
        m = re.search(rf"(?ms)^\[{re.escape(section)}\]\s*$(.*?)(?=^\[|\Z)", _read(root / name))
        line = re.search(r"(?m)^testpaths\s*=\s*((?:.*\n?)(?:[ \t]+\S.*\n?)*)", m.group(1)) if m else None
        if line:
            paths, where = line.group(1).split(), f"{name} [{section}] testpaths"
    paths = [str(p).strip("/") for p in paths if isinstance(p, str)]
    # Only directories of tests: `testpaths = ["app"]` (tests beside the code) holds the app itself.
    return [p for p in paths if p and ".." not in p and (root / p).is_dir()
            and Path(p).name in ("tests", "test", "testing", "functional_tests", "integration_tests")], where


def detect_excludes(dst_path: object, project_dir: object = ".") -> dict:
    """{'value': [path], 'why'}: what the production image leaves out of the source: pytest's
    testpaths that are test directories, else the top-level tests/ or test/ directory (a guess: nothing says the app does not
    import it)."""
    repo, root = _root(dst_path, project_dir)
    if not root.is_dir():
        return {"value": [], "why": ""}
    paths, where = _testpaths(root)
    if paths:
        return {"value": paths, "why": where}
    code = _python_sources(root, 4)  # the tests themselves left out
    dirs = [d for d in ("tests", "test") if (root / d).is_dir()
            and not any(re.search(rf"(?m)^\s*(?:from|import)\s+{d}\b", _read(p)) for p in code)]
    return {"value": dirs, "why": f"the {'/, '.join(dirs)}/ directory (a guess: no testpaths say so)" if dirs else ""}


def detect_writable_dirs(dst_path: object, project_dir: object = ".") -> dict:
    """{'value': [path], 'why'}: directories of the source tree the app writes to: Django's
    MEDIA_ROOT under the project's BASE_DIR, and the old image's VOLUMEs and `mkdir`s under its WORKDIR."""
    repo, root = _root(dst_path, project_dir)
    found: dict[str, str] = {}
    if not root.is_dir():
        return {"value": [], "why": ""}
    for path in _django_settings(root):
        m = re.search(r"""(?m)^MEDIA_ROOT\s*=\s*(?:[A-Z_]*(?:DIR|ROOT)\s*/\s*|os\.path\.join\(\s*[A-Z_]*(?:DIR|ROOT)\s*,\s*)["']([\w./-]+)["']""",
                      _read(path))
        if m and ".." not in m.group(1):
            found.setdefault(m.group(1).strip("/"), f"MEDIA_ROOT in {path.relative_to(root)}")
    path, final = _app_dockerfile(repo, root)
    if final is not None:
        workdir = dockerfile.workdir(final).rstrip("/")
        where = str(path.relative_to(repo))
        volumes = [v for value in final.all("VOLUME") for v in re.findall(r"[\w./-]+", value)]
        made = [d for run in final.all("RUN") for m in re.finditer(r"\bmkdir\s+(?:-\S+\s+)*([^&;|]+)", run)
                for d in m.group(1).split() if not d.startswith("-")]
        for d in volumes + made:
            relative = d[len(workdir) + 1:] if workdir and d.startswith(workdir + "/") else (
                d if not d.startswith("/") and "$" not in d else "")
            relative = relative.strip("/")
            if relative and ".." not in relative and re.fullmatch(r"[\w./-]+", relative):
                found.setdefault(relative, f"{where} ({'VOLUME' if d in volumes else 'mkdir'} under WORKDIR)")
    return {"value": list(found), "why": "; ".join(f"{k}: {v}" for k, v in found.items())}


def detect_scm_version(dst_path: object, project_dir: object = ".") -> dict:
    """{'value', 'why'}: the build backend that takes the project's version from git, which a Docker
    build context leaves out: hatch-vcs ([tool.hatch.version] source = "vcs"), setuptools-scm
    ([tool.setuptools_scm], or use_scm_version in setup.py), pdm-backend ([tool.pdm.version] source =
    "scm"), poetry-dynamic-versioning ([tool.poetry-dynamic-versioning] enable = true)."""
    repo, root = _root(dst_path, project_dir)
    data = _toml(root / "pyproject.toml")
    tool = data.get("tool", {}) if isinstance(data.get("tool"), dict) else {}
    requires = " ".join(str(r) for r in data.get("build-system", {}).get("requires", []) or []).lower()
    if str(tool.get("hatch", {}).get("version", {}).get("source", "")) == "vcs":
        return {"value": "hatch-vcs", "why": 'pyproject.toml [tool.hatch.version] source = "vcs"'}
    if str(tool.get("pdm", {}).get("version", {}).get("source", "")) == "scm":
        return {"value": "pdm-backend", "why": 'pyproject.toml [tool.pdm.version] source = "scm"'}
    if tool.get("poetry-dynamic-versioning", {}).get("enable") is True:
        return {"value": "poetry-dynamic-versioning", "why": "pyproject.toml [tool.poetry-dynamic-versioning] enable = true"}
    if "setuptools_scm" in tool or re.search(r"setuptools[-_]scm", requires):
        return {"value": "setuptools-scm", "why": "pyproject.toml [tool.setuptools_scm] / build-system requires"}
    if re.search(r"\buse_scm_version\s*=", _read(root / "setup.py")):
        return {"value": "setuptools-scm", "why": "setup.py use_scm_version"}
    return {"value": "", "why": ""}


def detect_probe_host(dst_path: object, project_dir: object = ".") -> dict:
    """{'value', 'why'}: the Host header health probes send: a loopback name Django's literal
    ALLOWED_HOSTS accepts (127.0.0.1, localhost), else its first plain host name; localhost when it
    allows any host or is empty, or the settings are not Django's (a guess then)."""
    repo, root = _root(dst_path, project_dir)
    for path in _django_settings(root) if root.is_dir() else []:
        m = re.search(r"(?m)^ALLOWED_HOSTS\s*=\s*(\[[^\]]*\]|\([^)]*\))", _read(path))
        if not m:
            continue
        try:
            hosts = [h for h in ast.literal_eval(m.group(1)) if isinstance(h, str)]
        except (ValueError, SyntaxError):
            continue
        where = f"ALLOWED_HOSTS in {path.relative_to(root)}"
        for host in ("localhost", "127.0.0.1", "[::1]"):
            if host in hosts:
                return {"value": host, "why": where}
        if not hosts or "*" in hosts:
            return {"value": "localhost", "why": where}
        plain = [h for h in hosts if not h.startswith(".")]
        return {"value": plain[0] if plain else "app" + hosts[0], "why": where}
    return {"value": "localhost", "why": ""}


def detect_image(dst_path: object, project_dir: object = ".") -> dict:
    """{'suite', 'why'}: the Debian suite the app's image is built on, where its base names one."""
    repo, project = _root(dst_path, project_dir)
    if not repo.is_dir():
        return {"suite": "", "why": ""}
    path, final = _app_dockerfile(repo, project)
    suite = dockerfile.suite(final.image) if final is not None else ""
    return {"suite": suite, "why": f"{path.relative_to(repo)} (FROM {final.image})" if suite else ""}


def detect_branches(dst_path: object) -> dict:
    """{'value': [branch], 'why'}: the branch CI runs on pushes to: the remote's default branch
    (origin/HEAD), else the branches an existing workflow runs on for pushes, else the checked-out one."""
    repo = Path(str(dst_path))
    remote = re.search(r"ref:\s*refs/remotes/\w+/(\S+)", _read(repo / ".git" / "refs" / "remotes" / "origin" / "HEAD"))
    if remote:
        return {"value": [remote.group(1)], "why": "the remote's default branch (origin/HEAD)"}
    for path, data in _workflows(repo):
        on = data.get("on", data.get(True)) or {}
        push = on.get("push") if isinstance(on, dict) else None
        branches = push.get("branches") if isinstance(push, dict) else None
        if isinstance(branches, list) and branches and all(isinstance(b, str) and "*" not in b for b in branches):
            return {"value": [str(b) for b in branches], "why": f"the push branches of {path.relative_to(repo)}"}
    head = re.search(r"ref:\s*refs/heads/(\S+)", _read(repo / ".git" / "HEAD"))
    if head:
        return {"value": [head.group(1)], "why": "the checked-out branch"}
    return {"value": [], "why": ""}


# ------------------------------------------------------------------------ detect_app, as rules
# Each rule reads one source for one question. APP_RULES holds them in the order production trusts
# the sources; for each question the first rule that finds a value wins. A rule's docstring, first
# paragraph, is the "where" the question's help shows ({names} filled from what it found); the rest
# says why the rule holds. What several rules read is read once, in Facts.
class Facts:
    """The repository as the rules see it; `values` holds what earlier rules found."""

    def __init__(self, repo: Path, root: Path, values: dict):
        self.repo, self.root, self.values = repo, root, values

    @functools.cached_property
    def names(self) -> set[str]:
        return _requirement_names(self.root)

    @functools.cached_property
    def django(self) -> bool:
        return (self.root / "manage.py").is_file() or "django" in self.names

    @functools.cached_property
    def dockerfile(self) -> tuple[Path | None, object]:
        return _app_dockerfile(self.repo, self.root)

    @property
    def final(self):
        return self.dockerfile[1]

    @property
    def file(self) -> str:
        return str(self.dockerfile[0].relative_to(self.repo)) if self.dockerfile[0] is not None else ""

    @functools.cached_property
    def procfile(self) -> dict[str, str]:
        return _procfile(self.root)

    @functools.cached_property
    def starts(self) -> list[tuple[str, str, list[str]]]:
        """(command, where, release steps) of every start command: the existing Dockerfile, then the
        Procfile, Cloud Foundry and compose."""
        starts = []
        path, final = self.dockerfile
        if path is not None:
            entry = _unwrap(dockerfile.exec_form(final.last("ENTRYPOINT")))
            cmd = _unwrap(dockerfile.exec_form(final.last("CMD")))
            if entry:
                command, release, script = _script_command(self.root, entry, cmd, path, final)
                how = f"{script}, its ENTRYPOINT, then the CMD" if script and command == " ".join(cmd) else (
                    f"{script}, run by its ENTRYPOINT" if script else "ENTRYPOINT/CMD")
            else:
                command, release, script = _script_command(self.root, cmd, [], path, final)
                how = f"{script}, its CMD" if script else "CMD"
            if command.strip():
                starts.append((_source_paths(self.root, path, final, command.strip()), f"{self.file} ({how})", release))
        for name in ("web", "worker"):
            if name in self.procfile:
                starts.append((self.procfile[name], f"Procfile `{name}:`", []))
        for command, where in _cloud_foundry(self.repo, self.root):
            script_command, release, script = _script_command(self.root, command.split(), [])
            starts.append((script_command, f"{where}{', ' + script if script else ''}", release))
        for file, command, _ in self.compose:
            if command and not re.search(r"\n|\bif\b|\bthen\b", command):
                starts.append((command, f"{file} (command)", []))
        return starts

    @functools.cached_property
    def compose(self) -> list[tuple[str, str, int | None]]:
        """(file, command, published port) of each compose service."""
        return _compose(self.root)

    @functools.cached_property
    def code(self) -> tuple[str, str]:
        """(command, where) of the entry point the code itself names."""
        return _entry_point(self.root, self.names)

    @functools.cached_property
    def serving(self) -> list[tuple[str, str, list[str]]]:
        serving = [s for s in self.starts if not s[1].startswith("Procfile `worker") and (
            s[1].startswith("Procfile `web") or _SERVES.search(clean_command(s[0])))]
        return serving or [s for s in self.starts if "Dockerfile" in s[1] and "app_port" in self.values]

    @property
    def kind(self) -> str:
        return self.values.get("app_kind", "")

    @functools.cached_property
    def web(self) -> dict:
        """The server's start command taken apart: server, port, build and release steps, where."""
        command, where, release = self.serving[0] if self.serving else (*self.code, [])
        server, build, more = _split_start(command)
        server = clean_command(server)
        ini = [w for w in server.split() if w.endswith(".ini")]
        if server.startswith("uwsgi") and ini and "$(PORT)" in _read(self.root / ini[0]):
            port = None  # its ini file already listens on $(PORT)
        else:
            server, port = _listen_on_port(server)
        release = [clean_command(r) for r in release + more]
        return {"server": server, "port": port, "build": " && ".join(clean_command(b) for b in build),
                "release": " && ".join(release), "where": where}

    @functools.cached_property
    def worker(self) -> dict:
        command, where = (self.procfile["worker"], "Procfile `worker:`") if "worker" in self.procfile else (
            self.starts[0][:2] if self.starts else ("", ""))
        server, build, _ = _split_start(command)
        return {"command": clean_command(server), "build": " && ".join(build), "where": where}

    @functools.cached_property
    def ci_test(self) -> dict:
        """The CI step that runs the tests: its command, env (service ports filled in), setup steps."""
        steps = _ci_steps(self.repo)
        for i, (line, env, where, job) in enumerate(steps):
            command = clean_command(line)
            if TEST_RUNNER.search(command) and not command.startswith(("pip", "tox", "nox", "docker")):
                ports = {name: spec.get("port") for name, spec in _job_services(job).items()}
                env = {k: _service_ports(str(v), ports) if isinstance(v, str) else v for k, v in env.items()}
                clean = {str(k): str(v).lower() if isinstance(v, bool) else str(v) for k, v in env.items()
                         if isinstance(v, (str, int, float, bool)) and "${{" not in str(v)
                         and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", str(k))}
                setup = [clean_command(s) for s, _, w, _ in steps[:i] if w == where and BUILD_STEP.search(s)]
                return {"command": command, "env": clean, "setup": " && ".join(setup), "where": where}
        return {}


class Rule:
    """A source read for one question (`fact`); find() returns (value, details) or None."""

    fact = ""

    def find(self, facts: Facts) -> tuple[object, dict] | None:
        raise NotImplementedError

    @classmethod
    def where(cls, details: dict) -> str:
        return " ".join((cls.__doc__ or "").split("\n\n")[0].split()).format(**details)


class DockerfileExpose(Rule):
    """{file} (EXPOSE)

    The port the old image declares is the port its server listens on."""
    fact = "app_port"

    def find(self, facts):
        if facts.final is None:
            return None
        ports = [int(p) for e in facts.final.all("EXPOSE") for p in re.findall(r"\b(\d{2,5})\b", e)]
        return (ports[0], {"file": facts.file}) if ports else None


class DockerfileBuildPackages(Rule):
    """{file} (apt-get install, every stage)

    Compilers and headers a builder stage installs are what the requirements need to build."""
    fact = "build_packages"

    def find(self, facts):
        if facts.final is None:
            return None
        return _packages(dockerfile.parse(_read(facts.dockerfile[0])), facts.final)[0], {"file": facts.file}


class DockerfileRuntimePackages(Rule):
    """{file} (apt-get install of the final stage)

    The libraries the old production image installs are what the app loads at run time."""
    fact = "runtime_packages"

    def find(self, facts):
        if facts.final is None:
            return None
        return _packages(dockerfile.parse(_read(facts.dockerfile[0])), facts.final)[1], {"file": facts.file}


class DockerfileAppPackages(Rule):
    """{file} (pip install beside the dependency files)

    A server or extra the image installs next to `-r requirements.txt` is needed in production."""
    fact = "app_packages"

    def find(self, facts):
        return (_app_packages(facts.final, _runtime_names(facts.root)), {"file": facts.file}) if facts.final else None


class DockerfileEnv(Rule):
    """{file} (ENV of the final stage)

    Settings the old image sets (DJANGO_SETTINGS_MODULE, ...), less interpreter and tool noise."""
    fact = "app_env"

    def find(self, facts):
        return (_app_env(facts.final), {"file": facts.file}) if facts.final else None


class DockerfileBuildSteps(Rule):
    """{file} (RUN)

    Steps the old image runs to build assets (collectstatic, compress, compilemessages)."""
    fact = "build_command"

    def find(self, facts):
        if facts.final is None:
            return None
        steps = [clean_command(s) for run in facts.final.all("RUN") for s in _SHELL_SPLIT.split(run)
                 if BUILD_STEP.search(s) and not re.search(r"\bpip\b", s)]
        return " && ".join(steps), {"file": facts.file}


class DockerfileHealthcheck(Rule):
    """{script}the HEALTHCHECK of {name}

    The path the old image's own health check requests (in its command or the script it runs)."""
    fact = "health_path"

    def find(self, facts):
        path, script = _healthcheck_path(facts.root, *facts.dockerfile)
        if not path:
            return None
        return path, {"script": f"{script}, " if script else "", "name": facts.dockerfile[0].name}


class ComposePorts(Rule):
    """{file} (ports)

    The container port a compose file publishes."""
    fact = "app_port"

    def find(self, facts):
        for file, _, port in facts.compose:
            if port:
                return port, {"file": file}
        return None


class StartsAServer(Rule):
    """{where} starts a server

    A start command (Dockerfile, Procfile `web:`, Cloud Foundry, compose) that runs a WSGI/ASGI server,
    or a Dockerfile command with an EXPOSE."""
    fact = "app_kind"

    def find(self, facts):
        return ("web", {"where": facts.serving[0][1]}) if facts.serving else None


class ProcfileWorker(Rule):
    """Procfile `worker:`

    A Procfile with a worker and no web process."""
    fact = "app_kind"

    def find(self, facts):
        return ("worker", {}) if "worker" in facts.procfile else None


class EntryPointAndServer(Rule):
    """{where} and a WSGI/ASGI server in the dependencies

    The code names an app object and a server is installed to run it."""
    fact = "app_kind"

    def find(self, facts):
        command, where = facts.code
        return ("web", {"where": where}) if command and facts.names & set(WEB_SERVERS) else None


class QueueWorker(Rule):
    """{name} in the dependencies

    A task queue and no web framework: something that works a queue."""
    fact = "app_kind"

    def find(self, facts):
        if facts.names & set(WORKERS) and not facts.names & set(WEB_FRAMEWORKS):
            return "worker", {"name": sorted(facts.names & set(WORKERS))[0]}
        return None


class EntryPointAndFramework(Rule):
    """{where}

    The code names an app object of a web framework."""
    fact = "app_kind"

    def find(self, facts):
        command, where = facts.code
        return ("web", {"where": where}) if command and facts.names & set(WEB_FRAMEWORKS) else None


class ServerDependency(Rule):
    """{name} (a web server) in the dependencies"""
    fact = "app_kind"

    def find(self, facts):
        servers = facts.names & set(WEB_SERVERS)
        return ("web", {"name": sorted(servers)[0]}) if servers else None


class PackageOnly(Rule):
    """a package (pyproject.toml / setup.py) with no server, Procfile or Dockerfile command"""
    fact = "app_kind"

    def find(self, facts):
        pyproject = _read(facts.root / "pyproject.toml")
        if (facts.root / "setup.py").is_file() or "[project]" in pyproject or "[tool.poetry]" in pyproject:
            return "library", {}
        return None


class ReleaseSteps(Rule):
    """{where} (run before the server starts)

    Migrations and other once-per-deploy steps the start command runs first are left out of it."""
    fact = "release_command"

    def find(self, facts):
        return (facts.web["release"], facts.web) if facts.kind == "web" else None


class ServerCommand(Rule):
    """{where}, set to listen on $PORT{note}

    The server's command, rewritten to listen on $PORT the way its documentation says."""
    fact = "app_command"

    def find(self, facts):
        if facts.kind != "web":
            return None
        release = facts.web["release"]
        note = f"; left out (release steps, run them once per deploy): {release}" if release else ""
        return facts.web["server"], {**facts.web, "note": note}


class StartBuildSteps(Rule):
    """{where}

    Build steps (collectstatic, compress) chained before the server in its start command."""
    fact = "build_command"

    def find(self, facts):
        return (facts.web["build"], facts.web) if facts.kind == "web" else None


class ServerPort(Rule):
    """{where}

    The port the server's command named before it was set to $PORT."""
    fact = "app_port"

    def find(self, facts):
        return (facts.web["port"], facts.web) if facts.kind == "web" else None


class HealthRoute(Rule):
    """a health route in {file}, with the prefixes that lead to it{also}

    A route named like a health check (livez, healthz, health, ping, status, ...), under the prefixes
    of the URL includes, routers and blueprints that lead to it."""
    fact = "health_path"

    def find(self, facts):
        if facts.kind != "web":
            return None
        routes = sorted(_routes(facts.root), key=lambda r: (_route_rank(r[0]), r[0].count("/"), r[0]))
        if not routes:
            return None
        also = f" ({len(routes) - 1} more: {', '.join(p for p, _ in routes[1:4])})" if len(routes) > 1 else ""
        return routes[0][0], {"file": routes[0][1], "also": also}


class HealthLiteral(Rule):
    """the path {literal} in {file}"""
    fact = "health_path"

    def find(self, facts):
        if facts.kind != "web":
            return None
        literal = re.compile(rf"""["']/({HEALTH_NAMES}/?)["']""")
        for path in _python_sources(facts.root):
            m = literal.search(_read(path))
            if m:
                return f"/{m.group(1)}", {"literal": m.group(0), "file": path.relative_to(facts.root)}
        return None


class DjangoAdminLogin(Rule):
    """a guess: no health route found; Django's admin login page answers without a database or a login
    (add a real health check that tests what the app needs)"""
    fact = "health_path"

    def find(self, facts):
        urls = list(facts.root.glob("*/urls.py")) + list(facts.root.glob("*/*/urls.py"))
        if facts.kind == "web" and facts.django and any("admin.site.urls" in _read(p) for p in urls):
            return "/admin/login/", {}
        return None


class RootPage(Rule):
    """a guess: no health route found; the root page (add a real health check that tests what the app needs)"""
    fact = "health_path"

    def find(self, facts):
        return ("/", {}) if facts.kind == "web" else None


class WorkerCommand(Rule):
    """{where}

    The worker's start command (Procfile `worker:`, else the first start command found)."""
    fact = "app_command"

    def find(self, facts):
        return (facts.worker["command"], facts.worker) if facts.kind == "worker" else None


class WorkerBuildSteps(Rule):
    """{where}

    Build steps chained before the worker in its start command."""
    fact = "build_command"

    def find(self, facts):
        return (facts.worker["build"], facts.worker) if facts.kind == "worker" else None


class CiTestStep(Rule):
    """the test step of {where}

    The CI step that runs a test runner (pytest, unittest, manage.py test, nose2, trial), its runner
    prefix (uv run, poetry run, ...) dropped."""
    fact = "test_command"

    def find(self, facts):
        return (facts.ci_test["command"], facts.ci_test) if facts.ci_test else None


class CiTestEnv(Rule):
    """the env of that step and its job in {where}

    Literal values only; a service's mapped port becomes its port on localhost."""
    fact = "test_env"

    def find(self, facts):
        return (facts.ci_test["env"], facts.ci_test) if facts.ci_test else None


class CiSetupSteps(Rule):
    """the steps before it in {where}

    Build steps (collectstatic, compilemessages) the same job runs before the tests."""
    fact = "test_setup_command"

    def find(self, facts):
        return (facts.ci_test["setup"], facts.ci_test) if facts.ci_test else None


class ToxCommands(Rule):
    """tox.ini's commands"""
    fact = "test_command"

    def find(self, facts):
        tox = [c for c in _tox_commands(_read(facts.root / "tox.ini")) if TEST_RUNNER.search(c)]
        return (tox[0], {}) if tox else None


class DjangoTestRunner(Rule):
    """manage.py (Django's test runner)"""
    fact = "test_command"

    def find(self, facts):
        return ("python manage.py test", {}) if facts.django else None


class PytestConfigured(Rule):
    """pytest in the dependencies or configuration"""
    fact = "test_command"

    def find(self, facts):
        root = facts.root
        if ({"pytest"} & facts.names or (root / "pytest.ini").is_file() or (root / "conftest.py").is_file()
                or "[tool.pytest" in _read(root / "pyproject.toml") or "[tool:pytest]" in _read(root / "setup.cfg")):
            return "python -m pytest", {}
        return None


class UnittestFiles(Rule):
    """unittest tests ({file})"""
    fact = "test_command"

    def find(self, facts):
        tests = _files(facts.root, ("test*.py", "tests/test*.py", "*/tests/test*.py", "tests/*/test*.py"))
        if tests and all("unittest" in _read(p) for p in tests[:20]):
            return "python -m unittest", {"file": tests[0].relative_to(facts.root)}
        return None


class DjangoStaticRoot(Rule):
    """Django with STATIC_ROOT: templates need the collected static files"""
    fact = "test_setup_command"

    def find(self, facts):
        settings = "\n".join(_read(p) for p in _django_settings(facts.root)) if facts.django else ""
        if re.search(r"(?m)^\s*STATIC_ROOT\s*=", settings):
            return "python manage.py collectstatic --noinput", {}
        return None


APP_RULES: tuple[type[Rule], ...] = (
    DockerfileExpose, DockerfileBuildPackages, DockerfileRuntimePackages, DockerfileAppPackages, DockerfileEnv,
    DockerfileBuildSteps, DockerfileHealthcheck, ComposePorts,
    StartsAServer, ProcfileWorker, EntryPointAndServer, QueueWorker, EntryPointAndFramework, ServerDependency,
    PackageOnly,
    ReleaseSteps, ServerCommand, StartBuildSteps, ServerPort, HealthRoute, HealthLiteral, DjangoAdminLogin, RootPage,
    WorkerCommand, WorkerBuildSteps,
    CiTestStep, CiTestEnv, CiSetupSteps, ToxCommands, DjangoTestRunner, PytestConfigured, UnittestFiles,
    DjangoStaticRoot,
)


_NOT_LOADED = re.compile(rf"(?:^|/)(?:{HEALTH_NAMES}|admin|login|logout|signup|register|static|media|docs|redoc|"
                         r"openapi\.json|metrics|favicon\.ico|robots\.txt|me|[\w-]*auth[\w-]*|accounts?|users?|token|"
                         r"password\w*|__\w+__|\d{3})(?:/|$)")


def detect_load_paths(dst_path: object, project_dir: object = ".") -> dict:
    """{'value': [paths], 'why'}: up to five GET routes without parameters that the code names literally
    (Flask/FastAPI/Starlette decorators, Django path(), with their prefixes), less health checks,
    admin, login and static pages; ["/"] where none is visible."""
    repo, root = _root(dst_path, project_dir)
    if not repo.is_dir():
        return {"value": ["/"], "why": ""}
    routes = _routes(root, r"[\w.-]+", declared=True)
    found = sorted({path for path, _ in routes if not _NOT_LOADED.search(path)},
                   key=lambda p: (p.count("/"), p))
    if not found:
        return {"value": ["/"], "why": "a guess: no route without parameters found in the code; the root page"}
    files = sorted({where.split(" (")[0] for path, where in routes if path in found[:5]})
    return {"value": found[:5], "why": f"a guess: routes without parameters in {', '.join(files[:3])} "
                                       "(GET and no login assumed)"}


def detect_app(dst_path: object, project_dir: object = ".") -> dict:
    """{'value': {question: value}, 'why': {question: where}} from APP_RULES: for each question the
    first rule that finds a value. A question missing from 'value' was not detected (its plain
    default holds). ('value', not 'values': Jinja's dot would find the dict method.)"""
    repo, root = _root(dst_path, project_dir)
    values: dict = {}
    why: dict = {}
    if not repo.is_dir():
        return {"value": values, "why": why}
    facts = Facts(repo, root, values)
    for rule in APP_RULES:
        if rule.fact in values:
            continue
        found = rule().find(facts)
        if found is not None and found[0] not in ("", None, {}):
            values[rule.fact], why[rule.fact] = found[0], rule.where(found[1])
    return {"value": values, "why": why}


def is_new(dst_path: object) -> bool:
    """A destination with nothing in it yet (a new project): no file to detect anything from."""
    root = Path(str(dst_path))
    return not root.is_dir() or not any(p.name != ".git" for p in root.iterdir())


def file_error(dst_path: object, field: str, value: object, project_dir: object = ".") -> str:
    """An answer naming a file the project does not have (a new, empty destination has none yet)."""
    if not isinstance(value, str) or not value or is_new(dst_path):
        return ""
    where = Path(str(dst_path)) / str(project_dir or ".")
    shown = value if str(project_dir or ".") == "." else f"{project_dir}/{value}"
    return "" if (where / value).is_file() else f"{field}: {shown} does not exist in this repository"


class DetectExtension(Extension):
    """The detect_* functions and the fact checks as Jinja globals, for question defaults and help."""

    def __init__(self, environment):
        super().__init__(environment)
        environment.globals.update(detect_python=detect_python, detect_layout=detect_layout, detect_app=detect_app,
                                   detect_project_dir=detect_project_dir, detect_image=detect_image, detect_workspace=detect_workspace, detect_load_paths=detect_load_paths,
                                   workspace_error=workspace_error, workspace_package_error=workspace_package_error,
                                   detect_branches=detect_branches, detect_excludes=detect_excludes, detect_scm_version=detect_scm_version, detect_services=detect_services, detect_probe_host=detect_probe_host,
                                   detect_writable_dirs=detect_writable_dirs, file_error=file_error, group_error=group_error, groups_of=groups_of,
                                   dir_error=dir_error, is_new=is_new)
