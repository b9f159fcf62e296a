"""How the app starts today, from every place a project says so: its Dockerfile's ENTRYPOINT/CMD (and
the script they run), the Procfile, Cloud Foundry manifests, compose files, and the code itself."""

from __future__ import annotations

import re
from pathlib import Path

from .. import dockerfile
from .files import files, read, yaml_file
from .image import image_path, source_paths
from .shell import RELEASE_STEP, SERVES, script_lines, unwrap


def script_command(project: Path, words: list[str], rest: list[str], dockerfile_path=None, stage=None):
    """A start command whose first word is a script of the repository -> (command, release steps,
    the script's path), following `exec "$@"` (an entrypoint that runs the CMD after its set-up)."""
    if words and words[0] in ("sh", "bash", "/bin/sh", "/bin/bash") and len(words) > 1 and words[1] != "-c":
        words = words[1:]
    if not words:
        return " ".join(rest), [], ""
    script = image_path(project, dockerfile_path, stage, words[0])
    if script is None or script.suffix == ".py":
        return " ".join(words + rest), [], ""
    lines = script_lines(read(script))
    release = [
        line
        for line in lines
        if (RELEASE_STEP.search(line) or migrating_command(project, line)) and not SERVES.search(line)
    ]
    if any(re.fullmatch(r"exec\s+\"?\$[@*]\"?", line) for line in lines):
        return " ".join(rest), release, str(script.relative_to(project))
    for line in reversed(lines):
        if line.startswith("exec ") or SERVES.search(line):
            return with_defaults(line, lines), release, str(script.relative_to(project))
    return " ".join(words + rest), [], ""


# What a project's own command runs when it migrates: Flask-Migrate's upgrade(), Django's
# call_command("migrate"), SQLAlchemy's create_all(), Alembic's command.upgrade.
_MIGRATES = re.compile(r"\bupgrade\(|call_command\(\s*[\"'](?:migrate|createcachetable)|\.create_all\(")


def migrating_command(project: Path, line: str) -> str:
    """The file of the project's own CLI command a start script line runs, where that command migrates
    (`flask deploy`, a @app.cli.command() whose body calls upgrade(); `python manage.py setup`, a
    Django management command calling call_command("migrate")), else ""."""
    m = re.fullmatch(r"(?:python3?\s+-m\s+)?flask\s+([\w-]+)", line)
    if m:
        name = m.group(1)
        for path in files(project, ("*.py", "*/*.py", "*/*/*.py"), depth=3):
            text = read(path)
            if "command" not in text or name.replace("-", "_") not in text:
                continue
            for f in re.finditer(
                r"(?m)^@[\w.]*command\((?:\s*[\"']([\w-]+)[\"'])?[^)]*\)\s*\n(?:@.*\n)*def\s+(\w+)\(", text
            ):
                if (f.group(1) or f.group(2).replace("_", "-")) in (name, name.replace("_", "-")):
                    body = re.match(r"(?s).*?(?=^\S|\Z)", text[f.end() :].split("\n", 1)[-1], re.M)
                    if body and _MIGRATES.search(body.group(0)):
                        return str(path.relative_to(project))
        return ""
    m = re.fullmatch(r"(?:python3?\s+)?(?:\./)?manage\.py\s+([\w-]+)(?:\s.*)?", line)
    if m:
        for path in files(
            project,
            (f"*/management/commands/{m.group(1)}.py", f"*/*/management/commands/{m.group(1)}.py"),
            depth=5,
        ):
            if _MIGRATES.search(read(path)):
                return str(path.relative_to(project))
    return ""


def with_defaults(command: str, lines: list[str]) -> str:
    """A script's server line with the variables the script sets before it written with their values:
    `WORKERS=${WORKERS:-1}` then `--workers $WORKERS` gives `--workers ${WORKERS:-1}`, so the default
    holds and the environment still overrides it, as in the script."""
    values = {}
    for line in lines:
        m = re.fullmatch(
            r"(?:export\s+)?([A-Za-z_]\w*)=(\$\{\1:?-[^}]*\}|\"[^\"$`]*\"|'[^']*'|[^\s$`;&|]*)", line
        )
        if m:
            values[m.group(1)] = m.group(2)

    def one(match: re.Match) -> str:
        name = match.group(1) or match.group(2)
        value = values.get(name)
        if value is None or name == "PORT":
            return match.group(0)
        return value if value.startswith("${") else value.strip("'\"")

    return re.sub(r"\$\{([A-Za-z_]\w*)\}|\$([A-Za-z_]\w*)", one, command)


def dockerfile_start(root: Path, repo: Path, path: Path, final) -> tuple[str, str, list[str]] | None:
    """(command, where, release steps) of the app's Dockerfile: its ENTRYPOINT and CMD, followed into
    the script they run."""
    entry = unwrap(dockerfile.exec_form(final.last("ENTRYPOINT")))
    cmd = unwrap(dockerfile.exec_form(final.last("CMD")))
    if entry:
        command, release, script = script_command(root, entry, cmd, path, final)
        how = (
            f"{script}, its ENTRYPOINT, then the CMD"
            if script and command == " ".join(cmd)
            else (f"{script}, run by its ENTRYPOINT" if script else "ENTRYPOINT/CMD")
        )
    else:
        command, release, script = script_command(root, cmd, [], path, final)
        how = f"{script}, its CMD" if script else "CMD"
    if not command.strip():
        return None
    return source_paths(root, path, final, command.strip()), f"{path.relative_to(repo)} ({how})", release


def procfile(root: Path) -> dict[str, str]:
    entries = {}
    for line in read(root / "Procfile").splitlines():
        name, sep, command = line.partition(":")
        if sep and re.fullmatch(r"[\w-]+", name.strip()) and command.strip():
            entries.setdefault(name.strip(), command.strip())
    return entries


def compose_app_services(root: Path):
    """(compose file, service) of each compose service that builds this repository (`build:`)."""
    for path in files(
        root, ("docker-compose.yml", "docker-compose.yaml", "compose.yml", "compose.yaml"), depth=1
    ):
        data = yaml_file(path) or {}
        services = data.get("services") if isinstance(data, dict) else None
        for service in (services or {}).values() if isinstance(services, dict) else ():
            if isinstance(service, dict) and "build" in service:
                yield path, service


def compose_builds(root: Path) -> list[tuple[str, str, int | None]]:
    """(file, command, container port) of each compose service that builds this repository."""
    found = []
    for path, service in compose_app_services(root):
        command = service.get("command") or ""
        command = " ".join(map(str, command)) if isinstance(command, list) else str(command)
        port = None
        for entry in service.get("ports") or []:
            m = re.search(
                r"(\d{2,5})(?:/tcp)?$",
                str(entry.get("target", "")) if isinstance(entry, dict) else str(entry),
            )
            if m:
                port = int(m.group(1))
                break
        found.append((path.name, command, port))
    return found


def compose_state_paths(root: Path) -> list[tuple[str, dict[str, str]]]:
    """(file, {variable: directory}) of each compose service that builds this repository: the
    variables of its `environment:` that name a directory the service mounts a volume at
    (`UPLOAD_FOLDER=/var/uploads` beside `.data/uploads:/var/uploads`). Those tell the app where its
    state is; without them it writes elsewhere (often beside its code)."""
    found = []
    for path, service in compose_app_services(root):
        mounts = set()
        for entry in service.get("volumes") or []:
            target = entry.get("target") if isinstance(entry, dict) else str(entry).split(":")[1:2]
            target = target[0] if isinstance(target, list) and target else target
            if isinstance(target, str) and target.startswith("/"):
                mounts.add(target.rstrip("/"))
        environment = service.get("environment") or {}
        if isinstance(environment, list):
            environment = dict(str(e).partition("=")[::2] for e in environment)
        paths = {
            str(k): str(v).rstrip("/")
            for k, v in environment.items()
            if isinstance(v, str) and v.rstrip("/") in mounts and v.rstrip("/") not in ("", "/app")
        }
        if paths:
            found.append((path.name, paths))
    return found


def cloud_foundry(repo: Path) -> list[tuple[str, str]]:
    """(command, where) of Cloud Foundry manifests' `applications[].command` (manifest*.yml)."""
    for path in files(
        repo,
        ("manifest*.yml", "manifest*.yaml", "*/manifest*.yml", "*/*/manifest*.yaml", "*/*/manifest*.yml"),
        depth=3,
    ):
        data = yaml_file(path) or {}
        for app in (data.get("applications") or []) if isinstance(data, dict) else []:
            if isinstance(app, dict) and isinstance(app.get("command"), str):
                return [(app["command"], f"{path.relative_to(repo)} (Cloud Foundry command)")]
    return []


def entry_point(facts) -> tuple[str, str]:
    """(a start command, where) for a web app found in the code, or ("", "")."""
    root = facts.root
    if (root / "manage.py").is_file():
        for wsgi in sorted(root.glob("*/wsgi.py")) + sorted(root.glob("*/*/wsgi.py")):
            module = ".".join(wsgi.relative_to(root).with_suffix("").parts)
            return f"gunicorn {module}", f"manage.py and {wsgi.relative_to(root)} (Django)"
    flask_app = re.search(
        r"(?m)^\s*FLASK_APP\s*=\s*(\S+)", read(root / ".flaskenv") + "\n" + read(root / ".env")
    )
    if flask_app:
        module = flask_app.group(1).strip("'\"").removesuffix(".py").replace("/", ".")
        module, _, attr = module.partition(":")
        return f"gunicorn {module}:{attr or 'app'}", f".flaskenv (FLASK_APP={flask_app.group(1)})"
    for path in facts.python_sources(3):
        text = read(path)
        module = facts.module(path)
        m = re.search(r"(?m)^(\w+)\s*=\s*(Flask|FastAPI|Starlette|Quart|Litestar|Sanic)\(", text)
        if m:
            server = "gunicorn" if m.group(2) == "Flask" else "uvicorn"
            return (
                f"{server} {module}:{m.group(1)}",
                f"{path.relative_to(root)} ({m.group(2)} app `{m.group(1)}`)",
            )
        m = re.search(r"(?m)^def (\w+)\(\s*environ\s*,\s*start_response\s*\)", text)
        if m:
            return (
                f"gunicorn {module}:{m.group(1)}",
                f"{path.relative_to(root)} (WSGI callable `{m.group(1)}`)",
            )
    return "", ""
