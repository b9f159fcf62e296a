"""python-upgrade/fix.py: what the target removed from the standard library, rewritten with LibCST
where a replacement runs on both versions (comments and formatting kept); what has none listed."""

from __future__ import annotations

import pytest

from conftest import load_program
from engine import render_sample, require_interpreters, tox
from python_upgrade.versions import rewrites

fix = load_program("fix")

SOURCE = """import imp  # plugins are reloaded
import os
import pipes


def again(module):
    # a comment that stays
    return imp.reload(module)   # odd spacing stays


def shell(words):
    return " ".join(pipes.quote(w) for w in words)


def finder():
    return imp.find_module("x")
"""

TESTS = """import unittest
from pipes import quote


class T(unittest.TestCase):
    def test_quote(self):
        self.assertEquals(quote("a b"), "'a b'")
        self.assertRegexpMatches("abc", r"b")
        with self.assertRaisesRegexp(ValueError, "x"):
            raise ValueError("x")
"""


def test_rewrites_keep_everything_else_and_list_what_has_no_replacement():
    functions, aliases = fix.split(rewrites("3.11", "3.13"))
    new, changes, left = fix.fix_source(SOURCE, functions, aliases)
    assert new == SOURCE.replace(
        "import imp  # plugins are reloaded\n", "import imp  # plugins are reloaded\nimport importlib\n"
    ).replace("import pipes", "import shlex").replace(
        "imp.reload(module)", "importlib.reload(module)"
    ).replace("pipes.quote", "shlex.quote")
    # imp stays for find_module, which has no replacement: listed, with importlib imported beside it.
    assert left == [(16, "imp.find_module: no rewrite, by hand")]
    assert (1, "import importlib added beside import imp") in changes
    assert fix.fix_source(new, functions, aliases)[0] == new  # a second run changes nothing

    new, changes, left = fix.fix_source(TESTS, functions, aliases)
    assert new == (
        TESTS.replace("from pipes import", "from shlex import")
        .replace("assertEquals", "assertEqual")
        .replace("assertRegexpMatches", "assertRegex")
        .replace("assertRaisesRegexp", "assertRaisesRegex")
    )
    assert left == []


@pytest.mark.parametrize(
    ("source", "left"),
    [
        ("from imp import *\n", [(1, "from imp import *: rewrite by hand")]),
        ("import imp\n\nloader = imp\n", [(3, "imp used as a module object: by hand")]),
        (
            "from imp import reload, find_module\n",
            [(1, "from imp import ...: names without a rewrite, by hand")],
        ),
    ],
)
def test_what_cannot_be_rewritten_safely_is_left_and_listed(source, left):
    functions, aliases = fix.split(rewrites("3.11", "3.12"))
    new, changes, found = fix.fix_source(source, functions, aliases)
    assert (new, changes, found) == (source, [], left)


def test_only_the_releases_after_current_count():
    assert "pipes.quote" not in rewrites("3.12", "3.12") and "imp.reload" not in rewrites("3.12", "3.13")
    assert rewrites("3.12", "3.13") == {"pipes.quote": "shlex.quote"}


@pytest.mark.tox
@pytest.mark.network
def test_tox_fix_makes_the_target_pass_and_the_current_keep_passing(tmp_path):
    """The sample app on 3.12 -> 3.13 with code that quotes through `pipes` and parses a header with
    `cgi` (both gone in 3.13): the target's tests fail; `tox -e fix -- --check` names the changes;
    `tox -e fix` rewrites pipes.quote to shlex.quote and adds cgi's backport for 3.13 only; both
    versions pass; a second run changes nothing."""
    require_interpreters("3.12", "3.13")
    project = render_sample(tmp_path / "sample", current_python="3.12", target_python="3.13")
    (project / "shell.py").write_text(
        "import pipes\n\n\ndef line(words):\n    return ' '.join(pipes.quote(w) for w in words)\n"
    )
    (project / "tests" / "test_shell.py").write_text(
        "from shell import line\n\n\ndef test_line():\n    assert line(['a b', 'c']) == \"'a b' c\"\n"
    )
    # cgi.parse_header has no stdlib replacement that reads the same: the backport, for 3.13 only.
    (project / "web.py").write_text(
        "import cgi\n\n\ndef kind(header):\n    return cgi.parse_header(header)[0]\n"
    )
    (project / "tests" / "test_web.py").write_text(
        "from web import kind\n\n\ndef test_kind():\n"
        "    assert kind('text/html; charset=utf-8') == 'text/html'\n"
    )
    requirements = (project / "requirements.txt").read_text()
    before = tox(project, "py313")
    assert before.returncode != 0 and "No module named 'pipes'" in before.stdout + before.stderr
    check = tox(project, "fix", posargs=("--check",))
    assert check.returncode == 1 and "fix: shell.py:1: import pipes -> import shlex" in check.stdout, (
        check.stdout
    )
    assert "import pipes" in (project / "shell.py").read_text()
    done = tox(project, "fix")
    assert done.returncode == 0 and "fix: 2 file(s) changed, 0 use(s) left" in done.stdout + done.stderr, (
        done.stdout + done.stderr
    )
    assert (project / "shell.py").read_text() == (
        "import shlex\n\n\ndef line(words):\n    return ' '.join(shlex.quote(w) for w in words)\n"
    )
    assert (
        project / "requirements.txt"
    ).read_text() == requirements + 'standard-cgi; python_version >= "3.13"\n'
    assert 'fix: requirements.txt: standard-cgi; python_version >= "3.13" (added)' in done.stdout
    after = tox(project, "py312", "py313")
    assert after.returncode == 0, after.stdout[-3000:]
    again = tox(project, "fix", posargs=("--check",))
    assert (
        again.returncode == 0 and "fix: 0 file(s) would change" in again.stdout + again.stderr
    )  # nothing left


@pytest.mark.parametrize(
    ("layout", "text", "added", "by_hand"),
    [
        ("requirements", "flask==3.0.0", ['requirements.txt: standard-cgi; python_version >= "3.13"'], []),
        ("requirements", "standard-cgi==2.0\n", [], []),  # named already: left as it is
        (
            "requirements",
            "flask==3.0.0 \\\n    --hash=sha256:abc\n",
            [],
            [
                "requirements.txt pins with hashes: add 'standard-cgi; python_version >= \"3.13\"' to its "
                "source and compile it again"
            ],
        ),
        ("uv", "", [], ["uv add 'standard-cgi; python_version >= \"3.13\"'"]),
    ],
)
def test_a_backport_goes_where_the_layout_keeps_dependencies(
    tmp_path, monkeypatch, layout, text, added, by_hand
):
    monkeypatch.setattr(fix, "DATA", {"dependency_layout": layout, "dependency_files": ["requirements.txt"]})
    (tmp_path / "requirements.txt").write_text(text)
    found = fix.add_backports(str(tmp_path), {"cgi": ("standard-cgi", "3.13")}, check=False)
    assert found == (added, by_hand)
    expected = text + ("\n" if added else "") + ('standard-cgi; python_version >= "3.13"\n' if added else "")
    assert (tmp_path / "requirements.txt").read_text() == expected


def test_json_for_the_fleet(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(
        fix,
        "DATA",
        {
            "current": "3.12",
            "target": "3.13",
            "rewrites": rewrites("3.12", "3.13"),
            "backports": {"cgi": ["standard-cgi", "3.13"]},
            "dependency_layout": "requirements",
            "dependency_files": ["requirements.txt"],
        },
    )
    (tmp_path / "requirements.txt").write_text("flask==3.0.0\n")
    (tmp_path / "a.py").write_text("import cgi\nimport pipes\n\nq = pipes.quote\n")
    assert fix.main(["--json", "--check", str(tmp_path)]) == 1
    import json

    report = json.loads(capsys.readouterr().out)
    assert report == {
        "changed": ["a.py:2: import pipes -> import shlex", "a.py:4: pipes.quote -> shlex.quote"],
        "added": ['requirements.txt: standard-cgi; python_version >= "3.13"'],
        "left": [],
    }
    assert (tmp_path / "a.py").read_text() == "import cgi\nimport pipes\n\nq = pipes.quote\n"  # --check
