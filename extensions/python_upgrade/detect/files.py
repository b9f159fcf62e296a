"""Reading the destination repository: tolerant of anything malformed, read-only.

Inside `reading()` (one detection run) every file is read and parsed once, and a file that cannot be
read or parsed (binary, not UTF-8, invalid TOML or YAML) is noted with what detection assumed
instead, for the copy to say in one line.
"""

from __future__ import annotations

import contextlib
import contextvars
import re
from dataclasses import dataclass, field
from pathlib import Path

import tomllib  # copier-template-extensions, which loads this, needs Python 3.11 anyway

import yaml

# Never read: version control, virtualenvs, caches, build output and this template's own files.
IGNORED_DIRS = {
    ".git",
    ".tox",
    ".venv",
    "venv",
    "node_modules",
    "python-upgrade",
    "site-packages",
    ".nox",
    "__pycache__",
    "build",
    "dist",
}
# Directories whose manifests belong to something else (fixtures, docs, editor containers, CI actions).
FOREIGN_DIRS = {
    "tests",
    "test",
    "testing",
    "fixtures",
    "docs",
    "doc",
    "examples",
    "example",
    ".github",
    ".devcontainer",
    "news",
    "changelog.d",
}
# What makes a directory a Python project.
PROJECT_FILES = (
    "pyproject.toml",
    "setup.py",
    "setup.cfg",
    "requirements.txt",
    "Pipfile",
    "manage.py",
    "uv.lock",
    "poetry.lock",
    "pdm.lock",
)
_VERSION = re.compile(r"(?<![\d.])3\.(\d{1,2})(?![\d])")
_LIMIT = 1_000_000  # bytes; a larger file is no manifest


@dataclass
class Reading:
    """What one detection run has read, and what it could not read."""

    root: Path | None = None
    texts: dict[Path, str] = field(default_factory=dict)
    parsed: dict[tuple[str, Path], object] = field(default_factory=dict)
    unreadable: dict[str, str] = field(default_factory=dict)  # repository path -> why, and what was assumed


_READING: contextvars.ContextVar[Reading | None] = contextvars.ContextVar(
    "python_upgrade_reading", default=None
)


@contextlib.contextmanager
def reading(state: Reading):
    """Reads inside this block are kept in `state` (each file read once) and unreadable files noted there."""
    token = _READING.set(state)
    try:
        yield state
    finally:
        _READING.reset(token)


def _note(path: Path, problem: str) -> None:
    state = _READING.get()
    if state is None or state.root is None:
        return
    try:
        shown = path.relative_to(state.root).as_posix()
    except ValueError:
        shown = str(path)
    state.unreadable.setdefault(shown, problem)


def read(path: Path) -> str:
    """The text of a file, "" when it is missing, too large, binary or not UTF-8 (the last two noted)."""
    state = _READING.get()
    if state is not None and path in state.texts:
        return state.texts[path]
    text = ""
    try:
        if (
            state is not None
            and state.root is not None
            and not path.resolve().is_relative_to(state.root.resolve())
        ):
            return ""  # outside the destination (a `COPY ../x`, a link out of it): never read
        if path.is_file() and path.stat().st_size < _LIMIT:
            data = path.read_bytes()
            if b"\0" in data[:8192]:
                _note(path, "a binary file; read as empty")
            else:
                try:
                    text = data.decode("utf-8")
                except UnicodeDecodeError:
                    _note(path, "not UTF-8; read as far as it decodes")
                    text = data.decode("utf-8", errors="replace")
    except OSError:
        text = ""
    if state is not None:
        state.texts[path] = text
    return text


def _parsed(kind: str, path: Path, parse):
    state = _READING.get()
    if state is not None and (kind, path) in state.parsed:
        return state.parsed[kind, path]
    text = read(path)
    try:
        value = parse(text) if text.strip() else None
    except Exception as error:  # noqa: BLE001 - any parse error: the file is unreadable, detection goes on
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        _note(path, f"invalid {kind} ({first}); read as empty")
        value = None
    if state is not None:
        state.parsed[kind, path] = value
    return value


def toml(path: Path) -> dict:
    """A TOML file as a dict ({} when missing or invalid, the latter noted)."""
    value = _parsed("TOML", path, tomllib.loads)
    return value if isinstance(value, dict) else {}


def yaml_file(path: Path) -> object:
    """A YAML file's data (None when missing or invalid, the latter noted)."""
    return _parsed("YAML", path, yaml.safe_load)


def files(root: Path, patterns: tuple[str, ...], depth: int = 3) -> list[Path]:
    """Files below root matching the glob patterns, at most `depth` parts deep, ignored directories
    left out."""
    found = []
    for pattern in patterns:
        for path in sorted(root.glob(pattern)):
            rel = path.relative_to(root).parts
            if len(rel) <= depth and not IGNORED_DIRS & set(rel[:-1]) and path not in found:
                found.append(path)
    return found


def upwards(repo: Path, project: Path, name: str) -> Path | None:
    """name in the project directory or a parent up to the repository root (a uv workspace's lock)."""
    directory = project
    while True:
        if (directory / name).is_file():
            return directory / name
        if directory == repo or repo not in directory.parents:
            return None
        directory = directory.parent


def versions_in(text: str) -> list[str]:
    """Every "3.X" standing alone in a text."""
    return [f"3.{m}" for m in _VERSION.findall(text)]


def braces(text: str) -> str:
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


def locate(dst_path: object, project_dir: object = ".") -> tuple[Path, Path]:
    """(repository root, project directory) for dst_path and the project_dir answer."""
    repo = Path(str(dst_path))
    project = repo / str(project_dir or ".")
    return repo, project if project.is_dir() else repo


def is_new(dst_path: object) -> bool:
    """A destination with nothing in it yet (a new project): no file to detect anything from."""
    root = Path(str(dst_path))
    return not root.is_dir() or not any(p.name != ".git" for p in root.iterdir())
