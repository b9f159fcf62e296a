"""python_upgrade/context.py: the values derived from the answers once, for every template."""

from __future__ import annotations

import pytest

from python_upgrade import context


BASE = {
    "current_python": "3.11",
    "target_python": "3.12",
    "phase": "dual",
    "app_kind": "web",
    "project_dir": ".",
    "dependency_layout": "requirements",
    "installer": "uv",
    "requirements_file": "requirements.txt",
    "test_requirements_file": "requirements-dev.txt",
    "workspace_root": ".",
}


def test_nothing_is_derived_while_copier_is_still_asking():
    assert context.derived({"current_python": "3.11"}) == {}
    assert context.derived({**BASE, "phase": None}) == {}
    # A malformed version is its validator's to report, in one line: the hook stays out of the way.
    assert context.derived({**BASE, "current_python": "3.x"}) == {}
    assert context.derived({**BASE, "target_python": "3.12.1.5"}) == {}


def test_versions_and_what_runs():
    values = context.derived(BASE)
    assert (values["cur"], values["tgt"]) == ("py311", "py312")
    assert values["live"] == [["current", "3.11"], ["target", "3.12"]]
    assert context.derived({**BASE, "phase": "finished"})["live"] == [["target", "3.12"]]
    assert values["runs"] and not context.derived({**BASE, "app_kind": "library"})["runs"]


@pytest.mark.parametrize(
    ("command", "counts"),
    [
        ("python manage.py test --settings=app.settings.test --parallel", True),
        ("DJANGO_SETTINGS_MODULE=x django-admin test", True),
        ("python -m unittest discover -s tests", True),
        ("python -m nose2 -v", True),
        ("pytest -x tests", False),
        ("python -m pytest --pyargs manage", False),
        ("make test", False),
    ],
)
def test_runners_that_pass_with_no_test_run_through_tests_ran(command, counts):
    assert context.derived({**BASE, "test_command": command})["counts_tests"] is counts


@pytest.mark.parametrize(
    ("layout", "installer", "tox_uv", "uv", "lock", "files", "cache"),
    [
        (
            "requirements",
            "uv",
            True,
            True,
            "",
            ["requirements.txt", "requirements-dev.txt"],
            ["requirements.txt", "requirements-dev.txt"],
        ),
        (
            "requirements",
            "pip",
            False,
            False,
            "",
            ["requirements.txt", "requirements-dev.txt"],
            ["requirements.txt", "requirements-dev.txt"],
        ),
        ("pyproject", "uv", True, True, "", ["pyproject.toml"], ["pyproject.toml"]),
        ("pdm", "uv", True, True, "pdm.lock", ["pdm.lock"], ["pdm.lock"]),
        ("pipenv", "pip", False, False, "Pipfile.lock", ["Pipfile.lock"], ["Pipfile.lock"]),
        ("poetry", "uv", False, False, "", ["poetry.lock"], ["poetry.lock"]),
        ("uv", "uv", False, True, "", ["uv.lock"], []),  # uv keeps its own cache: nothing keys pip's
    ],
)
def test_installers_and_dependency_files(layout, installer, tox_uv, uv, lock, files, cache):
    values = context.derived({**BASE, "dependency_layout": layout, "installer": installer})
    assert (values["tox_uv"], values["uv"], values["lock"]) == (tox_uv, uv, lock)
    assert (values["dependency_files"], values["pip_cache_files"]) == (files, cache)


def test_a_project_in_a_subdirectory_and_a_uv_workspace_member():
    values = context.derived({**BASE, "project_dir": "backend", "test_requirements_file": ""})
    assert values["here"] == "backend/" and values["pip_cache_files"] == ["backend/requirements.txt"]
    assert values["ws"] == {"context": "backend", "from_project": ".", "member": ""}
    member = context.derived(
        {**BASE, "project_dir": "packages/api", "dependency_layout": "uv", "workspace_root": "../.."}
    )
    assert member["dependency_files"] == ["../../uv.lock"] and member["pip_cache_files"] == []
    assert member["ws"] == {"context": ".", "from_project": "../..", "member": "packages/api"}
    # workspace_root counts for uv projects only.
    assert context.derived({**BASE, "workspace_root": ".."})["ws"]["context"] == "."


def test_names_memory_compiler_removals_and_tox_deps():
    values = context.derived({**BASE, "project_name": "My Shop!", "build_packages": "libpq-dev gcc"})
    assert values["name"] == "my-shop" and values["compiler"] is True
    assert context.derived({**BASE, "build_packages": "libpq-dev"})["compiler"] is False
    assert values["oldest"] == "3.11" and context.derived({**BASE, "phase": "finished"})["oldest"] == "3.12"
    assert values["memory"] == {"request_mib": 256, "limit_mib": 384}
    assert (
        context.derived({**BASE, "current_python": "3.12", "target_python": "3.13"})["removed"]["cgi"][0]
        == "3.13"
    )
    assert set(values["removed"]) == {"distutils", "imp", "asynchat", "asyncore", "smtpd"}
    assert values["testenv_deps"] == ["-r requirements.txt", "-r requirements-dev.txt"]
    assert context.derived({**BASE, "dependency_layout": "pdm"})["testenv_deps"] == [
        "uv==" + context.TOOLS["uv"],
        'tomli; python_version < "3.11"',
    ]
    assert context.derived({**BASE, "dependency_layout": "poetry"})["testenv_deps"] == []
