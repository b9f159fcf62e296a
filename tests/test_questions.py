"""The table of questions (extensions/python_upgrade/questions.py) against copier.yml, and what one copy
costs: every question reads its when, default, check and help from the table, and a copy runs each
detection rule once."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
import yaml
from copier import run_copy

from conftest import ROOT
from python_upgrade import questions
from python_upgrade.detect import RULES

COPIER = yaml.safe_load((ROOT / "copier.yml").read_text())
ASKED = {name: spec for name, spec in COPIER.items() if not name.startswith("_") and name != "answers_check"}


class Conf(dict):
    """copier's _copier_conf: read by item, as its LazyDict is."""


def answers(tmp_path: Path, defaults: bool = True, data: dict | None = None, **given) -> questions.Answers:
    context = {"_copier_conf": Conf(dst_path=tmp_path, defaults=defaults, data=data or {}), **given}
    return questions.Answers(context, {})


def test_every_question_reads_its_row_of_the_table():
    assert set(ASKED) == set(questions.QUESTIONS), set(ASKED) ^ set(questions.QUESTIONS)
    for name, spec in ASKED.items():
        assert spec["default"] == f"{{{{ question_default('{name}') }}}}", name
        row = questions.QUESTIONS[name]
        if row.when is not questions.ALWAYS:
            assert spec.get("when") == f"{{{{ question_asked('{name}') }}}}", name
        else:
            assert "when" not in spec, name
        if row.check is not None:
            assert spec.get("validator") == f"{{{{ question_check('{name}') }}}}", name
        else:
            assert "validator" not in spec, name
        if name in RULES and name != "current_python":
            assert f"question_found('{name}')" in spec["help"], name
    assert COPIER["answers_check"] == {"type": "str", "when": False, "default": "{{ check_answers() }}"}


def test_a_check_runs_at_a_prompt_and_waits_for_the_end_without_one(tmp_path):
    at_prompt = answers(tmp_path, defaults=False, app_port="http")
    assert questions.check(at_prompt, "app_port") == "app_port: 'http' is not a port number (1 to 65535)"
    assert questions.check(answers(tmp_path, app_port="http"), "app_port") == ""


def test_the_final_check_names_the_origin_and_the_fix(tmp_path):
    base = {
        "project_name": "shop",
        "project_dir": ".",
        "current_python": "3.11",
        "target_python": "3.16",
        "app_kind": "library",
        "retire_after_days": 7,
        "test_command": "pytest",
        "test_setup_command": "",
        "dependency_layout": "pyproject",
        "test_extra": "",
        "build_packages": "",
        "base_image": "python",
        "debian_suite": "bookworm",
        "ci_branches": ["main"],
        "experimental_pythons": [],
        "test_env": {},
        "test_services": {},
    }
    with pytest.raises(questions.UserMessageError) as raised:
        questions.check_all(answers(tmp_path, **base))
    message = str(raised.value)
    assert "\n" not in message and message.startswith("target_python: 3.16 is outside")
    assert message.endswith(
        "(value from the template's default (the next minor after current_python 3.11); "
        "give another with -d target_python=...)"
    )
    with pytest.raises(
        questions.UserMessageError, match=r"value from -d or --data-file: target_python=3\.16"
    ):
        questions.check_all(answers(tmp_path, data={"target_python": "3.16"}, **base))
    # A question that is not asked is not checked.
    assert (
        questions.check_all(answers(tmp_path, **base | {"target_python": "3.12", "app_port": "http"})) == ""
    )
    with pytest.raises(questions.UserMessageError, match="app_port: 'http' is not a port number"):
        questions.check_all(
            answers(
                tmp_path,
                **base
                | {
                    "target_python": "3.12",
                    "app_port": "http",
                    "app_kind": "web",
                    "app_command": "gunicorn app:app",
                    "health_path": "/",
                    "probe_host": "localhost",
                    "release_command": "",
                    "smoke_env": {},
                    "phase": "finished",
                    "build_command": "",
                    "runtime_packages": "",
                    "app_packages": "",
                    "app_env": {},
                    "image_excludes": [],
                    "writable_dirs": [],
                    "kubernetes": False,
                },
            )
        )


def rendered_into(tmp_path: Path, files: dict[str, str | bytes]) -> Path:
    repo = tmp_path / "repo"
    for name, content in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return repo


def detection_runs():
    """The rule counter of the detection package the last copy loaded (extensions/jinja.py loads it per
    template folder, and copier clones a git template into a new folder for each copy)."""
    return [
        m
        for name, m in sys.modules.items()
        if name.startswith("_python_upgrade_") and name.endswith(".detect")
    ][-1].RUNS


@pytest.mark.parametrize("shape", ["sample", "backend"])
def test_one_copy_runs_each_detection_rule_once(tmp_path, shape):
    """--defaults into the sample app, and into a project in a sub-directory (project_dir is found from
    the root first): every question's default, help, check and the final check share one detection,
    so each rule runs once (the detection used to run 14 times a copy)."""
    if shape == "sample":
        repo = tmp_path / "sample"
        shutil.copytree(ROOT / "tests" / "sample_app", repo)
    else:
        repo = rendered_into(
            tmp_path,
            {
                "backend/pyproject.toml": '[project]\nname = "api"\n',
                "backend/uv.lock": "",
                "backend/manage.py": "",
                "frontend/package.json": "{}",
            },
        )
    run_copy(
        str(ROOT), repo, data={"project_name": "x"}, defaults=True, unsafe=True, quiet=True, vcs_ref="HEAD"
    )
    runs = detection_runs()
    every = {rule.__name__ for rules in RULES.values() for rule in rules}
    assert runs and set(runs) <= every, runs
    assert max(runs.values()) == 1, {name: n for name, n in runs.items() if n > 1}
    if shape == "backend":
        assert "project_dir: backend" in (repo / ".copier-answers.python-upgrade.yml").read_text()


def test_files_detection_cannot_read_are_named_and_the_copy_still_works(tmp_path, capsys):
    repo = rendered_into(
        tmp_path,
        {
            "requirements.txt": b"\x00\x01\x02binary",
            "pyproject.toml": "[project\nname = x\n",
            "app.py": "print('hi')\n",
        },
    )
    run_copy(str(ROOT), repo, data={"project_name": "x"}, defaults=True, unsafe=True, vcs_ref="HEAD")
    said = capsys.readouterr()
    lines = [line for line in (said.out + said.err).splitlines() if line.startswith("Note: ")]
    assert lines == [
        "Note: pyproject.toml could not be read: invalid TOML (Expected ']' at the end of a table "
        "declaration (at line 1, column 9)); read as empty.",
        "Note: requirements.txt could not be read: a binary file; read as empty.",
    ], lines
    assert (repo / "python-upgrade" / "Dockerfile").is_file()
