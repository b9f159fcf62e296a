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

import re
from pathlib import Path

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

    Versions outside `supported` are listed in 'found' but never chosen."""
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
        note = "" if version in supported else f" (outside {supported[0]}-{supported[-1]}, not used)"
        found.append(f"{version} from {where}{note}")
        if not chosen and version in supported:
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
    for name in ("requirements.txt", "requirements/base.txt", "requirements/prod.txt", "requirements/main.txt"):
        if (root / name).is_file():
            result["requirements"] = name
            break
    for name in ("requirements-dev.txt", "requirements-test.txt", "requirements_dev.txt", "requirements_test.txt",
                 "dev-requirements.txt", "test-requirements.txt", "requirements/dev.txt", "requirements/test.txt"):
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


class DetectExtension(Extension):
    """detect_python(path) and detect_layout(path) as Jinja globals, for question defaults and help."""

    def __init__(self, environment):
        super().__init__(environment)
        environment.globals.update(detect_python=detect_python, detect_layout=detect_layout)
