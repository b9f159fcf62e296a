"""Detection: what Python and which dependency layout a repository uses, read from its files.

Used only for the *defaults* of copier.yml questions (current_python, dependency_layout, the
requirements files, test_extra). Copier records the answers, so `copier update` replays them and
never re-detects; nothing here is rendered into a file. Read-only, tolerant of anything malformed.

Sources disagree in real repos. What production runs wins over what is merely supported:
  1. Dockerfile `FROM python:X.Y...` (any Dockerfile in the repo, ours excluded)
  2. .python-version (pyenv)
  3. runtime.txt (python-X.Y.Z)
  4. CI matrices and tox envs: the newest version already tested
  5. requires-python / python_requires: the oldest version still supported
  6. trove classifiers: the newest listed
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import yaml
from jinja2.ext import Extension

_VERSION = re.compile(r"(?<![\d.])3\.(\d{1,2})(?![\d])")
_IGNORED_DIRS = {".git", ".tox", ".venv", "venv", "node_modules", "python-upgrade", "site-packages"}

# (label, rule) in priority order; see the module docstring.
RULES = (
    ("Dockerfile", "what production runs"),
    (".python-version", "pinned interpreter"),
    ("runtime.txt", "pinned interpreter"),
    ("CI / tox", "newest version tested"),
    ("requires-python", "oldest version supported"),
    ("classifiers", "newest version listed"),
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
            if len(rel) <= depth and not _IGNORED_DIRS & set(rel[:-1]):
                found.append(path)
    return found


def _versions(text: str) -> list[str]:
    return [f"3.{m}" for m in _VERSION.findall(text)]


def _sources(root: Path) -> dict[str, tuple[list[str], str]]:
    """{label: (versions found, where)} for every source that names a version."""
    sources: dict[str, tuple[list[str], str]] = {}

    def add(label: str, versions: list[str], where: str) -> None:
        if versions and label not in sources:
            sources[label] = (versions, where)

    for path in _files(root, ("Dockerfile", "*.Dockerfile", "Dockerfile.*", "*/Dockerfile", "*/*.Dockerfile")):
        if path.name.endswith(".dockerignore"):
            continue
        froms = re.findall(r"(?im)^\s*FROM\s+(?:--platform=\S+\s+)?(?:\S+/)?python:(3\.\d{1,2})", _read(path))
        if froms:  # the last FROM python: is the final (production) stage of a multi-stage file
            add("Dockerfile", froms[-1:], f"{path.relative_to(root)} (FROM python:{froms[-1]}...)")
    text = _read(root / ".python-version").strip()
    add(".python-version", _versions(text.splitlines()[0] if text else ""), ".python-version")
    add("runtime.txt", _versions(_read(root / "runtime.txt")), "runtime.txt")

    tested: list[str] = []
    where = []
    for path in _files(root, (".github/workflows/*.yml", ".github/workflows/*.yaml", ".gitlab-ci.yml")):
        if path.name == "python-upgrade.yml":
            continue
        text = _read(path)
        found = []
        for line in text.splitlines():
            if re.search(r"python(-version)?\s*:|python_version|image:\s*\S*python:", line, re.I):
                found += _versions(line)
        if found:
            tested += found
            where.append(str(path.relative_to(root)))
    for name in ("tox.ini", "tox.toml", "setup.cfg", "pyproject.toml"):
        text = _read(root / name)
        if name == "pyproject.toml":  # only its [tool.tox] tables
            block = re.search(r"(?ms)^\[tool\.tox\].*?(?=^\[(?!tool\.tox)|\Z)", text)
            text = block.group(0) if block else ""
        envs = re.findall(r"(?<![\w.])py3(\d{1,2})(?![\d])", text)
        if envs:
            tested += [f"3.{e}" for e in envs]
            where.append(name)
    if tested:
        add("CI / tox", [max(tested, key=_key)], ", ".join(where))

    for name in ("pyproject.toml", "setup.cfg", "setup.py"):
        text = _read(root / name)
        m = re.search(r"""(?:requires-python|python_requires)\s*[=:]\s*['"]?\s*>=?\s*(3\.\d{1,2})""", text)
        if m:
            add("requires-python", [m.group(1)], f"{name} ({m.group(0).split('=', 1)[-1].strip(' :')})")
        classifiers = re.findall(r"Programming Language :: Python :: (3\.\d{1,2})", text)
        if classifiers:
            add("classifiers", [max(classifiers, key=_key)], f"{name} classifiers")
    return sources


def detect_python(dst_path: object, supported: tuple[str, ...] | list[str]) -> dict:
    """{'version': chosen "3.X" or "", 'why': one line, 'found': [lines]} for the repo at dst_path.

    Versions outside `supported`, and the newest supported one (no target after it), are listed in
    'found' but never chosen."""
    root = Path(str(dst_path))
    if not root.is_dir():
        return {"version": "", "why": "", "found": []}
    sources = _sources(root)
    found, chosen, why = [], "", ""
    for label, rule in RULES:
        if label not in sources:
            continue
        versions, where = sources[label]
        version = versions[0]
        note = ""
        if version not in supported:
            note = f" (outside {supported[0]}-{supported[-1]}, not used)"
        elif version == supported[-1]:
            note = f" (the newest supported: nothing newer to migrate to yet, not used)"
        found.append(f"{version} from {where}{note}")
        if not chosen and not note:
            chosen, why = version, f"{version} from {where}: {rule}"
    return {"version": chosen, "why": why, "found": found}


def detect_layout(dst_path: object) -> dict:
    """Dependency layout and files: {'layout', 'requirements', 'test_requirements', 'test_extra'}."""
    root = Path(str(dst_path))
    result = {"layout": "", "requirements": "", "test_requirements": "", "test_extra": ""}
    if not root.is_dir():
        return result
    pyproject = _read(root / "pyproject.toml")
    if (root / "uv.lock").is_file():
        result["layout"] = "uv"
    elif (root / "poetry.lock").is_file():
        result["layout"] = "poetry"
    for name in ("requirements.txt", "requirements/production.txt", "requirements/prod.txt", "requirements/base.txt",
                 "requirements/main.txt", "requirements/common.txt"):
        if (root / name).is_file():
            result["requirements"] = name
            break
    # The test file, if there is one (none: the tests need only the runtime requirements).
    for name in ("requirements-test.txt", "requirements-tests.txt", "requirements-dev.txt", "requirements_test.txt",
                 "requirements_dev.txt", "test-requirements.txt", "dev-requirements.txt", "test_requirements.txt",
                 "dev_requirements.txt", "requirements-testing.txt", "requirements/test.txt", "requirements/tests.txt",
                 "requirements/testing.txt", "requirements/dev.txt", "requirements/development.txt",
                 "requirements/local.txt"):
        if (root / name).is_file():
            result["test_requirements"] = name
            break
    if not result["layout"]:
        if result["requirements"]:
            result["layout"] = "requirements"
        elif re.search(r"(?m)^\[project\]", pyproject):
            result["layout"] = "pyproject"
    # The extra / group holding the tests: the first of these names that the pyproject declares.
    groups = set(re.findall(r"(?m)^\[tool\.poetry\.group\.([\w-]+)\.dependencies\]", pyproject))
    for block in re.finditer(r"(?ms)^\[(project\.optional-dependencies|dependency-groups)\](.*?)(?=^\[|\Z)", pyproject):
        groups |= set(re.findall(r"(?m)^([\w-]+)\s*=", block.group(2)))
    for name in ("test", "tests", "testing", "dev"):
        if name in groups:
            result["test_extra"] = name
            break
    return result


# ------------------------------------------------------------------------------- the application
# What kind of project this is, how it starts, where it listens, how its tests run. Sources, in the
# order production trusts them: the existing Dockerfile (what production runs), the Procfile, compose
# files, then the code and the dependencies themselves. Each answer comes with the reason shown in
# the question's help.

WEB_FRAMEWORKS = ("django", "flask", "fastapi", "starlette", "aiohttp", "tornado", "bottle", "pyramid",
                  "falcon", "sanic", "quart", "litestar", "masonite")
WEB_SERVERS = ("gunicorn", "uvicorn", "hypercorn", "waitress", "daphne", "granian", "uwsgi")
WORKERS = ("celery", "rq", "dramatiq", "arq", "huey")
HEALTH_NAMES = r"(?:healthz?|health[-_]?check|healthcheck|livez?|readyz?|readiness|liveness|ping|status)"
# Setup steps found before a start command: ones that produce files for the image (build_command);
# the others (migrate, db upgrade) are release steps, left out: run once per deploy, not per container.
BUILD_STEP = re.compile(r"collectstatic|compilemessages|(?:translate|pybabel|babel)\s+compile|compile_?translations")
_SHELL_SPLIT = re.compile(r"\s*(?:&&|;|\|\|)\s*")
_RUNNER_PREFIX = re.compile(r"^(?:poetry run|uv run|pipenv run|pdm run|hatch run|rye run|python -m poetry run)\s+")


def _requirement_names(root: Path) -> set[str]:
    """Distribution names the project depends on (any requirements file, pyproject, setup files)."""
    text = "\n".join(_read(p) for p in _files(root, ("requirements*.txt", "requirements/*.txt", "*requirements*.in")))
    names = {m.lower() for m in re.findall(r"(?m)^\s*([A-Za-z][A-Za-z0-9._-]*)", text)}
    for name in ("pyproject.toml", "setup.cfg", "setup.py", "Pipfile"):
        body = _read(root / name)
        names |= {m.lower() for m in re.findall(r"""(?m)^\s*["']?([A-Za-z][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(?:[<>=!~^]=?|=\s*["{]|["',])""", body)}
    return {n.replace("_", "-") for n in names}


def _dockerfile(root: Path) -> tuple[Path | None, str]:
    """The project's own Dockerfile (ours excluded) and the text of its final stage."""
    for path in _files(root, ("Dockerfile", "Dockerfile.*", "*.Dockerfile", "*/Dockerfile", "*/*.Dockerfile"), depth=2):
        if path.name.endswith(".dockerignore"):
            continue
        text = _read(path)
        stages = re.split(r"(?im)^\s*FROM\s", text)
        if len(stages) > 1:
            return path, stages[-1]
    return None, ""


def _instruction(stage: str, name: str) -> list[str]:
    """Every `NAME ...` instruction of a Dockerfile stage, continuation lines joined."""
    joined = re.sub(r"\\\s*\n", " ", stage)
    return [m.strip() for m in re.findall(rf"(?im)^\s*{name}\s+(.+)$", joined)]


def _exec_form(value: str) -> str:
    """`["gunicorn", "-b", ":5000", "app:app"]` -> a shell line; a shell form is kept as it is."""
    if value.startswith("["):
        try:
            return " ".join(shlex.quote(part) for part in json.loads(value))
        except (ValueError, TypeError):
            return ""
    return value


def _script_command(root: Path, command: str) -> tuple[str, str]:
    """A start command that runs a script of the repository (./boot.sh) -> the command it execs."""
    words = command.split()
    if words and words[0] in ("sh", "bash", "/bin/sh", "/bin/bash"):
        words = words[1:]
    if not words:
        return command, ""
    script = root / words[0].removeprefix("/app/").removeprefix("./")
    if not script.is_file() or script.suffix == ".py":
        return command, ""
    lines = [line.strip() for line in _read(script).splitlines() if line.strip() and not line.strip().startswith("#")]
    for line in reversed(lines):
        if line.startswith("exec ") or any(re.match(rf"(?:python -m )?{server}\b", line) for server in WEB_SERVERS):
            return line.removeprefix("exec ").strip(), words[0]
    return command, ""


def _listen_on_port(command: str) -> tuple[str, int | None]:
    """The command rewritten to listen on $PORT on every interface, and the port it named."""
    port = None
    found = re.search(r"(?:^|\s)(?:-b|--bind|--listen|--port|-p)(?:=|\s+)(?:[\w.\[\]:-]*:)?(\d{2,5})\b", command)
    if not found:
        found = re.search(r"\brunserver\s+(?:[\w.]*:)?(\d{2,5})\b", command)
    if found:
        port = int(found.group(1))
    words = command.split()
    server = next((w for w in words if w in WEB_SERVERS or w == "waitress-serve"), "")
    if server == "gunicorn" or (server in ("hypercorn", "granian") and "--bind" in command):
        command = re.sub(r"(?:^|\s)(?:-b|--bind)(?:=|\s+)\S+", "", command)
        command = re.sub(rf"\b{server}\b", f"{server} --bind 0.0.0.0:$PORT", command, count=1)
    elif server in ("uvicorn", "daphne", "hypercorn", "granian"):
        host_flag = "-b" if server == "daphne" else "--host"
        command = re.sub(r"(?:^|\s)(?:--port|-p)(?:=|\s+)\S+", "", command)
        command = re.sub(r"(?:^|\s)(?:--host|-b)(?:=|\s+)\S+", "", command)
        command = re.sub(rf"\b{server}\b", f"{server} {host_flag} 0.0.0.0 --port $PORT", command, count=1)
    elif server == "waitress-serve":
        command = re.sub(r"(?:^|\s)--(?:port|listen|host)(?:=|\s+)\S+", "", command)
        command = command.replace("waitress-serve", "waitress-serve --listen=0.0.0.0:$PORT", 1)
    elif re.search(r"\bflask run\b", command):
        command = re.sub(r"(?:^|\s)(?:--port|-p|--host|-h)(?:=|\s+)\S+", "", command)
        command = command.replace("flask run", "flask run --host 0.0.0.0 --port $PORT", 1)
    elif re.search(r"\brunserver\b", command):
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
        for service in (services or {}).values():
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


def _python_sources(root: Path, depth: int = 4) -> list[Path]:
    skip = {"tests", "test", "migrations", "docs", "doc", "examples"}
    return [p for p in _files(root, ("*.py", "*/*.py", "*/*/*.py", "*/*/*/*.py"), depth=depth)
            if not skip & set(p.relative_to(root).parts[:-1])][:400]


def _entry_point(root: Path, names: set[str]) -> tuple[str, str]:
    """(a start command, where) for a web app found in the code, or ("", "")."""
    if (root / "manage.py").is_file():
        for wsgi in sorted(root.glob("*/wsgi.py")):
            return f"gunicorn {wsgi.parent.name}.wsgi", f"manage.py and {wsgi.parent.name}/wsgi.py (Django)"
    flask_app = re.search(r"(?m)^\s*FLASK_APP\s*=\s*(\S+)", _read(root / ".flaskenv") + "\n" + _read(root / ".env"))
    if flask_app:
        module = flask_app.group(1).strip("'\"").removesuffix(".py").replace("/", ".")
        module, _, attr = module.partition(":")
        return f"gunicorn {module}:{attr or 'app'}", f".flaskenv (FLASK_APP={flask_app.group(1)})"
    for path in _python_sources(root, depth=2):
        text = _read(path)
        module = ".".join(path.relative_to(root).with_suffix("").parts)
        m = re.search(r"(?m)^(\w+)\s*=\s*(Flask|FastAPI|Starlette|Quart|Litestar|Sanic)\(", text)
        if m:
            server = "gunicorn" if m.group(2) == "Flask" else "uvicorn"
            return f"{server} {module}:{m.group(1)}", f"{path.relative_to(root)} ({m.group(2)} app `{m.group(1)}`)"
        m = re.search(r"(?m)^def (\w+)\(\s*environ\s*,\s*start_response\s*\)", text)
        if m:
            return f"gunicorn {module}:{m.group(1)}", f"{path.relative_to(root)} (WSGI callable `{m.group(1)}`)"
    return "", ""


def _health_path(root: Path, django: bool) -> tuple[str, str]:
    route = re.compile(rf"""(?:route|get|api_route|path|re_path|add_url_rule|add_route)\(\s*r?["']\^?/?({HEALTH_NAMES})/?\$?["']""")
    literal = re.compile(rf"""["']/({HEALTH_NAMES})["']""")
    sources = _python_sources(root)
    for path in sources:
        m = route.search(_read(path))
        if m:
            slash = "/" if django else ""
            return f"/{m.group(1)}{slash}", f"a health route in {path.relative_to(root)}"
    for path in sources:
        m = literal.search(_read(path))
        if m:
            return f"/{m.group(1)}", f"the path {m.group(0)} in {path.relative_to(root)}"
    if django and any("admin.site.urls" in _read(p) for p in root.glob("*/urls.py")):
        return ("/admin/login/", "no health route found; Django's admin login page answers without a database "
                "or a login (add a real health check that tests what the app needs)")
    return "/", "no health route found; the root page (add a real health check that tests what the app needs)"


def _ci_steps(root: Path) -> list[tuple[str, dict]]:
    """(run line, env of its workflow, job and step) for every CI step, in file order."""
    steps = []
    workflows = _files(root, (".github/workflows/*.yml", ".github/workflows/*.yaml"))
    # A workflow named for tests or CI first (others may test something downstream).
    for path in sorted(workflows, key=lambda p: not re.search(r"test|ci|check", p.name, re.I)):
        if path.name == "python-upgrade.yml":
            continue
        try:
            data = yaml.safe_load(_read(path)) or {}
        except yaml.YAMLError:
            continue
        if not isinstance(data, dict):
            continue
        for job in (data.get("jobs") or {}).values():
            if not isinstance(job, dict):
                continue
            for step in job.get("steps") or []:
                if isinstance(step, dict) and isinstance(step.get("run"), str):
                    env = {}
                    for scope in (data, job, step):
                        if isinstance(scope.get("env"), dict):
                            env |= scope["env"]
                    for line in step["run"].splitlines():
                        if line.strip() and not line.strip().startswith("#"):
                            steps.append((line.strip(), env, str(path.relative_to(root))))
    return steps


def _tests(root: Path, names: set[str], django: bool) -> dict:
    """test_command, test_setup_command and test_env, each with the reason."""
    result = {"test_command": ("", ""), "test_setup_command": ("", ""), "test_env": ({}, "")}
    runner = re.compile(r"(?:^|\s)(?:pytest|py\.test|-m pytest|-m unittest|manage\.py test|nose2|trial)\b")
    steps = _ci_steps(root)
    for i, (line, env, where) in enumerate(steps):
        command = _RUNNER_PREFIX.sub("", line)
        if runner.search(command) and not command.startswith(("pip", "tox", "nox")):
            result["test_command"] = (command, f"the test step of {where}")
            clean = {str(k): str(v).lower() if isinstance(v, bool) else str(v) for k, v in env.items()
                     if isinstance(v, (str, int, float, bool)) and "${{" not in str(v)
                     and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", str(k))}
            if clean:
                result["test_env"] = (clean, f"the env of that step in {where}")
            setup = [_RUNNER_PREFIX.sub("", s) for s, _, w in steps[:i] if w == where and BUILD_STEP.search(s)]
            if setup:
                result["test_setup_command"] = (" && ".join(setup), f"the steps before it in {where}")
            break
    if not result["test_command"][0]:
        tox = re.search(r"(?ms)^commands\s*=\s*\n?\s*(.+?)$", _read(root / "tox.ini"))
        if tox and runner.search(tox.group(1)):
            command = re.sub(r"\s*\{posargs[^}]*\}", "", tox.group(1)).strip()
            result["test_command"] = (command, "tox.ini's commands")
        elif django:
            result["test_command"] = ("python manage.py test", "manage.py (Django's test runner)")
        elif ({"pytest"} & names or (root / "pytest.ini").is_file() or (root / "conftest.py").is_file()
              or "[tool.pytest" in _read(root / "pyproject.toml") or "[tool:pytest]" in _read(root / "setup.cfg")):
            result["test_command"] = ("python -m pytest", "pytest in the dependencies or configuration")
        else:
            tests = _files(root, ("test*.py", "tests/test*.py", "*/tests/test*.py", "tests/*/test*.py"))
            if tests and all("unittest" in _read(p) for p in tests[:20]):
                result["test_command"] = ("python -m unittest", f"unittest tests ({tests[0].relative_to(root)})")
    if django and not result["test_setup_command"][0]:
        settings = "\n".join(_read(p) for p in root.glob("*/settings*.py")) + "\n".join(
            _read(p) for p in root.glob("*/settings/*.py"))
        if re.search(r"(?m)^\s*STATIC_ROOT\s*=", settings):
            result["test_setup_command"] = ("python manage.py collectstatic --noinput",
                                            "Django with STATIC_ROOT: templates need the collected static files")
    return result


def _packages(stage: str) -> tuple[str, str]:
    """Debian packages an existing Dockerfile installs: (build ones, runtime ones)."""
    packages = []
    for run in _instruction(stage, "RUN"):
        for m in re.finditer(r"apt-get\s+(?:-\S+\s+)*install\s+((?:[^&;|]+))", run):
            packages += [w for w in m.group(1).split() if not w.startswith("-") and re.fullmatch(r"[a-z0-9][a-z0-9+.-]+", w)]
    build = [p for p in packages if p.endswith("-dev") or p in ("build-essential", "gcc", "g++", "make", "pkg-config",
                                                               "cmake", "cargo", "rustc", "git")]
    runtime = [p for p in packages if p not in build and p not in ("ca-certificates", "curl", "wget")]
    return " ".join(dict.fromkeys(build)), " ".join(dict.fromkeys(runtime))


def detect_app(dst_path: object) -> dict:
    """{'value': {question: value}, 'why': {question: reason}} for app_kind, app_command, app_port,
    health_path, test_command, test_setup_command, test_env, build_command, build_packages and
    runtime_packages. A question missing from 'value' was not detected (its plain default holds).
    ('value', not 'values': Jinja's dot would find the dict method.)"""
    root = Path(str(dst_path))
    values: dict = {}
    why: dict = {}
    if not root.is_dir():
        return {"value": values, "why": why}

    def found(question: str, value, reason: str) -> None:
        if question not in values and value not in ("", None, {}):
            values[question], why[question] = value, reason

    names = _requirement_names(root)
    django = (root / "manage.py").is_file() or "django" in names
    dockerfile, stage = _dockerfile(root)
    procfile = _procfile(root)

    # The start command: the existing Dockerfile, then the Procfile, then compose, then the code.
    starts: list[tuple[str, str]] = []
    if dockerfile is not None:
        where = str(dockerfile.relative_to(root))
        entry = " ".join(_exec_form(v) for v in (_instruction(stage, "ENTRYPOINT")[-1:] + _instruction(stage, "CMD")[-1:]))
        if entry.strip():
            command, script = _script_command(root, entry.strip())
            starts.append((command, f"{where} ({'CMD/ENTRYPOINT' if not script else script + ', run by its ENTRYPOINT'})"))
        expose = [int(p) for e in _instruction(stage, "EXPOSE") for p in re.findall(r"\b(\d{2,5})\b", e)]
        if expose:
            found("app_port", expose[0], f"{where} (EXPOSE)")
        build, runtime = _packages(stage)
        found("build_packages", build, f"{where} (apt-get install)")
        found("runtime_packages", runtime, f"{where} (apt-get install)")
        steps = [s for run in _instruction(stage, "RUN") for s in _SHELL_SPLIT.split(run)
                 if BUILD_STEP.search(s) and not re.search(r"\bpip\b", s)]
        found("build_command", " && ".join(steps), f"{where} (RUN)")
    for name in ("web", "worker"):
        if name in procfile:
            starts.append((procfile[name], f"Procfile `{name}:`"))
    for file, command, port in _compose(root):
        if command:
            starts.append((command, f"{file} (command)"))
        if port:
            found("app_port", port, f"{file} (ports)")
    code_command, code_where = _entry_point(root, names)

    # app_kind: something that serves, else something that works a queue, else a library.
    serving = [(c, w) for c, w in starts if not w.startswith("Procfile `worker") and (
        w.startswith("Procfile `web") or any(s in c for s in WEB_SERVERS) or re.search(r"runserver|flask run", c))]
    serving = serving or [(c, w) for c, w in starts if "Dockerfile" in w and "app_port" in values]
    if serving:
        found("app_kind", "web", f"{serving[0][1]} starts a server")
    elif "worker" in procfile:
        found("app_kind", "worker", "Procfile `worker:`")
    elif code_command and names & set(WEB_SERVERS):
        found("app_kind", "web", f"{code_where} and a WSGI/ASGI server in the dependencies")
    elif names & set(WORKERS) and not names & set(WEB_FRAMEWORKS):
        found("app_kind", "worker", f"{sorted(names & set(WORKERS))[0]} in the dependencies")
    elif code_command and names & set(WEB_FRAMEWORKS):
        found("app_kind", "web", f"{code_where}")
    elif names & set(WEB_SERVERS):
        found("app_kind", "web", f"{sorted(names & set(WEB_SERVERS))[0]} (a web server) in the dependencies")
    elif ((root / "setup.py").is_file() or "[project]" in _read(root / "pyproject.toml")
          or "[tool.poetry]" in _read(root / "pyproject.toml")):
        found("app_kind", "library", "a package (pyproject.toml / setup.py) with no server, Procfile or Dockerfile command")
    kind = values.get("app_kind", "")

    if kind == "web":
        command, where = serving[0] if serving else (code_command, code_where)
        server, build, release = _split_start(command)
        server, port = _listen_on_port(server)
        note = f"; left out (release steps, run them once per deploy): {' && '.join(release)}" if release else ""
        found("app_command", server, f"{where}, set to listen on $PORT{note}")
        found("build_command", " && ".join(build), where)
        found("app_port", port, where)
        found("health_path", *_health_path(root, django))
    elif kind == "worker":
        command, where = (procfile["worker"], "Procfile `worker:`") if "worker" in procfile else (
            starts[0] if starts else ("", ""))
        server, build, _ = _split_start(command)
        found("app_command", server, where)
        found("build_command", " && ".join(build), where)

    for question, (value, reason) in _tests(root, names, django).items():
        found(question, value, reason)
    return {"value": values, "why": why}


def is_new(dst_path: object) -> bool:
    """A destination with nothing in it yet (a new project): no file to detect anything from."""
    root = Path(str(dst_path))
    return not root.is_dir() or not any(p.name != ".git" for p in root.iterdir())


def file_error(dst_path: object, field: str, value: object) -> str:
    """An answer naming a file the repository does not have (a new, empty destination has none yet)."""
    if not isinstance(value, str) or not value or is_new(dst_path):
        return ""
    return "" if (Path(str(dst_path)) / value).is_file() else f"{field}: {value} does not exist in this repository"


class DetectExtension(Extension):
    """detect_python, detect_layout and detect_app as Jinja globals, for question defaults and help."""

    def __init__(self, environment):
        super().__init__(environment)
        environment.globals.update(detect_python=detect_python, detect_layout=detect_layout, detect_app=detect_app,
                                   file_error=file_error, is_new=is_new)

