"""Golden renders: a few variants rendered in full and kept under tests/golden/, so every template
change shows up as a reviewable diff of what users get.

    PYTHON_UPGRADE_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_golden.py   # accept the new renders

The plain programs (template files without .jinja: audit.py, load.py, bluegreen.sh, ...) are copied
as they are: the golden copy lists them in PLAIN.txt, and the test checks each rendered one is its
template source byte for byte, instead of keeping a second copy of them. The versions are chosen far
from their end of life (the runbook's note depends on the day).
"""

from __future__ import annotations

import difflib
import os
import re
import shutil
from pathlib import Path

import pytest

from conftest import ROOT
from render import ANSWERS_FILE, rendered

GOLDEN = ROOT / "tests" / "golden"
UPDATE = os.environ.get("PYTHON_UPGRADE_UPDATE_GOLDEN") == "1"
BASE = {"project_name": "shop", "current_python": "3.12", "target_python": "3.13"}
VARIANTS = {
    "web-requirements": {},
    "web-poetry-kubernetes": {
        "dependency_layout": "poetry",
        "kubernetes": True,
        "image_repository": "registry.example.com/team/shop",
        "test_services": {
            "postgres": {
                "image": "postgres:16",
                "port": 5432,
                "health": "pg_isready",
                "env": {"POSTGRES_PASSWORD": "postgres"},
            }
        },
        "test_env": {"DATABASE_URL": "postgres://postgres:postgres@localhost:5432/postgres"},
    },
    "library-pyproject-pip-finished": {
        "app_kind": "library",
        "dependency_layout": "pyproject",
        "installer": "pip",
        "phase": "finished",
    },
}


def plain_sources() -> dict[str, Path]:
    """{rendered path: template source} of every plain file: its path with the Copier conditions taken
    out ({% if ... %}audit.py{% endif %} -> audit.py) and {{ project_dir }} as the root (as here)."""
    sources = {}
    for source in (ROOT / "template").rglob("*"):
        if source.is_file() and source.suffix != ".jinja":
            rendered_path = re.sub(r"\{%.*?%\}", "", str(source.relative_to(ROOT / "template")))
            sources[rendered_path.replace("{{ project_dir }}/", "")] = source
    return sources


def contents(root: Path) -> dict[str, str]:
    """Every rendered file by path; the answers file without the lines naming this checkout."""
    files = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        text = path.read_text()
        if path.name == ANSWERS_FILE:
            text = "".join(
                line for line in text.splitlines(True) if not line.startswith(("_commit:", "_src_path:"))
            )
        files[str(path.relative_to(root))] = text
    return files


@pytest.mark.parametrize("variant", VARIANTS)
def test_render_matches_the_golden_copy(copie, variant):
    project = rendered(copie, **BASE, **VARIANTS[variant])
    got = contents(project)
    sources = plain_sources()
    plain = sorted(name for name in got if name in sources)
    for name in plain:  # copied as they are
        assert (project / name).read_bytes() == sources[name].read_bytes(), (
            f"{name} is not its template source"
        )
        del got[name]
    got["PLAIN.txt"] = "".join(f"{name}\n" for name in plain)
    golden = GOLDEN / variant
    if UPDATE:
        shutil.rmtree(golden, ignore_errors=True)
        for name, text in got.items():
            (golden / name).parent.mkdir(parents=True, exist_ok=True)
            (golden / name).write_text(text)
    assert golden.is_dir(), f"no golden copy of {variant}: run with PYTHON_UPGRADE_UPDATE_GOLDEN=1"
    want = contents(golden)
    assert sorted(got) == sorted(want), "rendered files differ from the golden copy's"
    diff = [
        line
        for name in want
        for line in difflib.unified_diff(
            want[name].splitlines(),
            got[name].splitlines(),
            f"golden/{variant}/{name}",
            f"rendered/{name}",
            lineterm="",
        )
    ]
    assert not diff, (
        "the render changed; review and accept with PYTHON_UPGRADE_UPDATE_GOLDEN=1:\n" + "\n".join(diff[:80])
    )
