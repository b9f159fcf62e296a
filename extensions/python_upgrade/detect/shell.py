"""Shell command lines as start and test commands: runner prefixes dropped, steps taken apart, servers
set to listen on $PORT the way each server's documentation spells it. Pure functions over text."""

from __future__ import annotations

import re

# Setup steps found before a start command: ones that produce files for the image (build_command);
# the others (migrate, db upgrade) are release steps, left out: run once per deploy, not per container.
BUILD_STEP = re.compile(
    r"collectstatic|compilemessages|compress\b|(?:translate|pybabel|babel)\s+compile|"
    r"compile_?translations|assets\s+build"
)
RELEASE_STEP = re.compile(r"\bmigrate\b|\bupgrade\b|alembic|createcachetable|loaddata|\binit[-_]?db\b")
# A line that installs packages (`pip install --upgrade pip`): never a build or release step.
INSTALL_STEP = re.compile(
    r"\b(?:pip3?|uv\s+pip|apt-get|apt|apk|npm|yarn|poetry|pipenv|pdm|uv)\s+(?:install|add|sync)\b"
)
SHELL_SPLIT = re.compile(r"\s*(?:&&|;|\|\|)\s*")
# A line that runs a project's tests (CI steps, tox commands).
TEST_RUNNER = re.compile(
    r"(?:^|\s)(?:pytest|py\.test|-m pytest|-m unittest|manage\.py test|-m manage test|nose2|trial)\b"
)
_RUNNERS = ("uv run", "poetry run", "pipenv run", "pdm run", "hatch run", "rye run", "python -m poetry run")
# Runner options that take a value (uv run --with x, --python 3.12, --package name ...).
_RUNNER_VALUE_FLAGS = {
    "--with",
    "--python",
    "-p",
    "--package",
    "--group",
    "--extra",
    "--env-file",
    "--directory",
    "--project",
    "--index",
    "--with-requirements",
}
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
SERVES = re.compile(
    r"\b(?:gunicorn|uvicorn|hypercorn|daphne|granian|uwsgi|waitress-serve|fastapi\s+run|"
    r"litestar\s+(?:--app\s+\S+\s+)?run|flask\s+run|runserver)\b"
)


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
            words = rest[len(runner) :].split()
            while words and words[0].startswith("--") or (words and words[0] in _RUNNER_VALUE_FLAGS):
                flag = words.pop(0)
                if flag in _RUNNER_VALUE_FLAGS and "=" not in flag and words:
                    words.pop(0)
            rest = " ".join(words)
            break
    # Coverage's instrumentation is CI's concern, not the migration's: `coverage run [options] -m x` runs
    # what `python -m x` runs (its options: --source=..., -p, --rcfile x ...).
    coverage = re.match(
        r"^(?:python3?\s+-m\s+)?coverage\s+run\s+((?:--?[\w-]+(?:=\S+|\s+(?!-m\b)[^-\s]\S*)?\s+)*?)"
        r"(-m\s+\S+|\S+\.py)(.*)$",
        rest,
    )
    if coverage:
        rest = f"python {coverage.group(2)}{coverage.group(3)}"
    if rest.startswith("-m "):
        rest = "python " + rest
    head, _, tail = rest.partition(" ")
    if head.startswith("/") and re.search(r"/(?:s?bin|\.venv/bin|venv/bin)/[\w.-]+$", head):
        head = head.rsplit("/", 1)[-1]
    if head in ("./manage.py", "manage.py"):
        head = "python manage.py"
    rest = f"{head} {tail}".strip()
    return " ".join(env + [rest]).strip()


def listen_on_port(command: str) -> tuple[str, int | None]:
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
        command = command[: match.end()] + " " + listen + command[match.end() :]
        return " ".join(command.split()), port
    if re.search(r"(?:^|\s|/)uwsgi(?=\s|$)", command):
        flag = re.search(r"(?:^|\s)(--http-socket|--http)(?:=|\s+)(\S+)", command)
        if flag:
            digits = re.search(r"(\d{2,5})$", flag.group(2))
            port = int(digits.group(1)) if digits else None
            command = command.replace(flag.group(0), f" {flag.group(1)} 0.0.0.0:$PORT", 1)
        else:
            command = re.sub(
                r"(?:^|\s|/)uwsgi(?=\s|$)",
                lambda m: m.group(0) + " --http-socket 0.0.0.0:$PORT",
                command,
                count=1,
            )
        return " ".join(command.split()), port
    found = re.search(r"\brunserver\s+(?:[\w.]*:)?(\d{2,5})\b", command)
    if found:
        port = int(found.group(1))
    if re.search(r"\brunserver\b", command):
        command = re.sub(r"\brunserver(\s+[\w.]*:?\d{2,5}\b)?", "runserver 0.0.0.0:$PORT", command, count=1)
    return " ".join(command.split()), port


def split_start(command: str) -> tuple[str, list[str], list[str]]:
    """`a && b; server` -> (server, [build steps], [release steps left out])."""
    segments = [s.strip() for s in SHELL_SPLIT.split(command) if s.strip()]
    if len(segments) < 2:
        return command.strip(), [], []
    build = [s for s in segments[:-1] if BUILD_STEP.search(s)]
    release = [s for s in segments[:-1] if not BUILD_STEP.search(s)]
    return segments[-1], build, release


def script_lines(text: str) -> list[str]:
    """A shell script's command lines: continuation lines joined, blank and comment lines dropped."""
    text = re.sub(r"\\[ \t]*\r?\n", " ", text)
    return [
        " ".join(line.split())
        for line in text.splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]


def unwrap(words: list[str]) -> list[str]:
    """Init wrappers (tini --, dumb-init) and sh -c "…" taken off a start command."""
    while words and words[0].rsplit("/", 1)[-1] in ("tini", "tini-static", "dumb-init"):
        words = words[1:]
        while words and words[0].startswith("-"):
            words = words[1:]
    if len(words) >= 3 and words[0] in ("sh", "bash", "/bin/sh", "/bin/bash") and words[1] == "-c":
        return words[2].split()
    return words
