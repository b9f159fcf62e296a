"""Rendering helpers: answers that make a complete project, and readers for what it contains."""

from __future__ import annotations

import io
import re
from pathlib import Path

from ruamel.yaml import YAML

ANSWERS_FILE = ".copier-answers.python-upgrade.yml"

# A Python minor version standing alone (not part of 4.3.1, 0.13.9 or 3.12.1).
VERSION_RE = re.compile(r"(?<![\w.])3\.(\d{1,2})(?![\d]|\.\d)")


def rendered(copie, **answers) -> Path:
    """Render the template with copie (pytest-copie) and return the project dir; fail loudly."""
    result = copie.copy(extra_answers=answers)
    assert result.exit_code == 0, f"copier failed for {answers}: {result.exception!r}"
    assert result.project_dir is not None
    return result.project_dir


def rendered_files(project: Path) -> list[Path]:
    """Every file in a rendered project, git's own (when it is a repository) aside."""
    return [p for p in project.rglob("*") if p.is_file() and ".git" not in p.relative_to(project).parts]


def load_yaml(path: Path):
    """Round-trip YAML load: `on:` stays the string "on" (not True, as with YAML 1.1 loaders)."""
    return loads_yaml(path.read_text())


def loads_yaml(text: str):
    return YAML(typ="rt").load(io.StringIO(text))


def versions_in(text: str) -> set[str]:
    return {f"3.{m}" for m in VERSION_RE.findall(text)}
