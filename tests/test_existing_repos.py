"""Copying into repositories that already have their own Dockerfile, tox config, CI, ... changes none
of their files; detection picks the Python production runs and the dependency layout; the rendered
tox config runs the repository's own tests on both versions (real interpreters)."""

from __future__ import annotations

import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest
from copier import run_copy

from gitrepo import git
from conftest import ROOT, require
from engine import build, ensure_base_images, require_interpreters, tox, tox_results
from render import ANSWERS_FILE, load_yaml

pytestmark = [pytest.mark.tox, pytest.mark.slow]

TEST_FILE = textwrap.dedent("""\
    import sys

    from markupsafe import escape


    def test_escape():
        print("fixture tests on", sys.version)
        assert str(escape("<x>")) == "&lt;x&gt;"
""")

OTHER_TEMPLATE_ANSWERS = "_commit: v3.2.0\n_src_path: gh:someone/other-template\nlicense: MIT\n"

SHAPES = {
    # A requirements.txt web app with its own Dockerfile, tox.ini, CI, .dockerignore, .python-version,
    # MIGRATION.md and another template's answers file. Production (Dockerfile) says 3.10; the
    # support ranges say 3.8 .. 3.10 and .python-version a stale 3.9.
    "requirements-web": {
        "files": {
            "app.py": "def app(environ, start_response):\n    start_response('200 OK', [])\n    return "
            "[b'ok']\n",
            "requirements.txt": "gunicorn==23.0.0\nmarkupsafe==3.0.2\n",
            "requirements-test.txt": "pytest==8.3.5\n",
            "tests/test_app.py": TEST_FILE,
            "Dockerfile": 'FROM python:3.10-slim-bookworm\nCOPY . /app\nCMD ["gunicorn", "app:app"]\n',
            ".dockerignore": ".git\n",
            "tox.ini": "[tox]\nenvlist = py38, py39, py310\n\n[testenv]\ndeps = -r requirements-test.txt\n"
            "commands = pytest\n",
            ".github/workflows/ci.yml": "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    "
            "strategy:\n"
            "      matrix:\n        python-version: ['3.8', '3.9', '3.10']\n"
            "    steps:\n      - run: tox\n",
            ".python-version": "3.9.18\n",
            "MIGRATION.md": "# Our own migration notes\n",
            ".copier-answers.yml": OTHER_TEMPLATE_ANSWERS,
        },
        "answers": {},
        "expect": {
            "current_python": "3.10",
            "target_python": "3.11",
            "dependency_layout": "requirements",
            "requirements_file": "requirements.txt",
            "test_requirements_file": "requirements-test.txt",
        },
    },
    # pyproject with extras and a uv.lock (tests in a dependency group), a tox.toml of its own.
    "uv-pyproject": {
        "files": {
            "pyproject.toml": textwrap.dedent("""\
                [project]
                name = "uvapp"
                version = "0.1.0"
                requires-python = ">=3.11"
                dependencies = ["markupsafe==3.0.2"]

                [project.optional-dependencies]
                yaml = ["pyyaml==6.0.2"]

                [dependency-groups]
                dev = ["pytest==8.3.5"]
                """),
            "uvapp/__init__.py": "",
            "uvapp/__main__.py": "print('uvapp')\n",
            "tests/test_app.py": TEST_FILE,
            "tox.toml": 'env_list = ["py312"]\n',
            ".python-version": "3.12\n",
        },
        "lock": ["uv", "lock"],
        "answers": {"app_kind": "worker", "app_command": "python -m uvapp"},
        "expect": {
            "current_python": "3.12",
            "target_python": "3.13",
            "dependency_layout": "uv",
            "test_extra": "dev",
        },
    },
    # A uv workspace: the app at the root, a library member it depends on (uv's Docker guide:
    # --no-install-workspace before the source is there; --no-install-project fails on members).
    "uv-workspace": {
        "files": {
            "pyproject.toml": textwrap.dedent("""\
                [project]
                name = "wsapp"
                version = "0.1.0"
                requires-python = ">=3.12"
                dependencies = ["wslib", "markupsafe==3.0.2"]

                [dependency-groups]
                dev = ["pytest==8.3.5"]

                [tool.uv.sources]
                wslib = { workspace = true }

                [tool.uv.workspace]
                members = ["packages/*"]

                [build-system]
                requires = ["hatchling"]
                build-backend = "hatchling.build"
                """),
            "src/wsapp/__init__.py": "",
            "src/wsapp/__main__.py": "import wslib\nprint(wslib.NAME)\n",
            "packages/wslib/pyproject.toml": textwrap.dedent("""\
                [project]
                name = "wslib"
                version = "0.1.0"
                requires-python = ">=3.12"
                dependencies = ["pyyaml==6.0.2"]

                [build-system]
                requires = ["hatchling"]
                build-backend = "hatchling.build"
                """),
            "packages/wslib/src/wslib/__init__.py": "NAME = 'wslib'\n",
            "tests/test_app.py": TEST_FILE
            + "\n\ndef test_member():\n    import wslib, yaml\n    assert wslib.NAME\n",
            ".python-version": "3.12\n",
        },
        "lock": ["uv", "lock"],
        "answers": {"app_kind": "worker", "app_command": "python -m wsapp"},
        "expect": {
            "current_python": "3.12",
            "target_python": "3.13",
            "dependency_layout": "uv",
            "test_extra": "dev",
        },
    },
    # The app in backend/, a member of a virtual uv workspace at the root (no [project] there) whose
    # uv.lock is the only one, beside a frontend and a library member the app depends on: the shape of
    # fastapi/full-stack-fastapi-template. Docker builds from the root; tox runs in backend/.
    "uv-workspace-member": {
        "files": {
            "pyproject.toml": textwrap.dedent("""\
                [tool.uv.workspace]
                members = ["backend", "packages/*"]

                [dependency-groups]
                lint = ["ruff==0.11.0"]
                """),
            "frontend/package.json": '{"name": "frontend", "private": true}\n',
            "backend/pyproject.toml": textwrap.dedent("""\
                [project]
                name = "api"
                version = "0.1.0"
                requires-python = ">=3.12"
                dependencies = ["shared", "markupsafe==3.0.2"]

                [dependency-groups]
                dev = ["pytest==8.3.5"]

                [tool.uv.sources]
                shared = { workspace = true }

                [build-system]
                requires = ["hatchling"]
                build-backend = "hatchling.build"
                """),
            "backend/.python-version": "3.12\n",
            "backend/api/__init__.py": "",
            "backend/api/__main__.py": "import shared\nprint(shared.NAME)\n",
            "backend/tests/test_api.py": TEST_FILE
            + "\n\ndef test_member():\n    import shared\n    assert shared.NAME\n",
            "packages/shared/pyproject.toml": textwrap.dedent("""\
                [project]
                name = "shared"
                version = "0.1.0"
                requires-python = ">=3.12"
                dependencies = ["pyyaml==6.0.2"]

                [build-system]
                requires = ["hatchling"]
                build-backend = "hatchling.build"
                """),
            "packages/shared/src/shared/__init__.py": "NAME = 'shared'\n",
        },
        "lock": ["uv", "lock"],
        "dir": "backend",
        "answers": {"app_kind": "worker", "app_command": "python -m api"},
        "expect": {
            "project_dir": "backend",
            "current_python": "3.12",
            "target_python": "3.13",
            "dependency_layout": "uv",
            "workspace_root": "..",
            "workspace_package": "api",
            "test_extra": "dev",
        },
    },
    # A poetry project (package-mode = false), Python read off its CI matrix.
    "poetry": {
        "files": {
            "pyproject.toml": textwrap.dedent("""\
                [tool.poetry]
                package-mode = false

                [tool.poetry.dependencies]
                python = ">=3.11,<4"
                markupsafe = "3.0.2"

                [tool.poetry.group.test.dependencies]
                pytest = "8.3.5"

                # The simple index as the source (as with a mirror): the test machine's proxy answers
                # 404 for PyPI's per-version JSON API, which poetry's built-in source needs.
                [[tool.poetry.source]]
                name = "simple"
                url = "https://pypi.org/simple/"
                priority = "primary"
                """),
            "worker.py": "print('worker')\n",
            "tests/test_app.py": TEST_FILE,
            ".github/workflows/tests.yaml": "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n"
            "      - uses: actions/setup-python@v5\n        with:\n"
            "          python-version: '3.11'\n",
        },
        "lock": ["poetry", "lock"],
        "answers": {"app_kind": "worker", "app_command": "python -m worker"},
        "expect": {
            "current_python": "3.11",
            "target_python": "3.12",
            "dependency_layout": "poetry",
            "test_extra": "test",
        },
    },
    # A library with no web service: pyproject extras, tox envs up to 3.12.
    "library": {
        "files": {
            "pyproject.toml": textwrap.dedent("""\
                [build-system]
                requires = ["setuptools>=61"]
                build-backend = "setuptools.build_meta"

                [project]
                name = "mylib"
                version = "1.0.0"
                requires-python = ">=3.9"
                dependencies = ["markupsafe==3.0.2"]
                classifiers = [
                    "Programming Language :: Python :: 3.9",
                    "Programming Language :: Python :: 3.12",
                ]

                [project.optional-dependencies]
                test = ["pytest==8.3.5"]

                [tool.setuptools]
                packages = ["mylib"]
                """),
            "mylib/__init__.py": "VERSION = '1.0.0'\n",
            "tests/test_lib.py": TEST_FILE
            + "\n\ndef test_import():\n    import mylib\n    assert mylib.VERSION\n",
            "tox.ini": "[tox]\nenvlist = py39,py310,py311,py312\n",
        },
        "answers": {"app_kind": "library"},
        "expect": {
            "current_python": "3.12",
            "target_python": "3.13",
            "dependency_layout": "pyproject",
            "test_extra": "test",
        },
    },
    # pip-compile style: every runtime requirement pinned with its hashes (pip's hash-checking mode,
    # which uv turns on only when asked: requirements.py asks), test requirements without.
    "requirements-hashes": {
        "files": {
            "requirements.in": "markupsafe==3.0.2\n",
            "requirements-test.txt": "pytest==8.3.5\n",
            ".python-version": "3.12\n",
            "tests/test_app.py": TEST_FILE,
        },
        "lock": [
            "uv",
            "pip",
            "compile",
            "--quiet",
            "--universal",
            "--generate-hashes",
            "requirements.in",
            "-o",
            "requirements.txt",
        ],
        "answers": {},
        "expect": {
            "current_python": "3.12",
            "target_python": "3.13",
            "dependency_layout": "requirements",
            "requirements_file": "requirements.txt",
            "test_requirements_file": "requirements-test.txt",
            "app_kind": "library",
        },
    },
    # Requirement files as real projects nest them: includes (-r) and constraints (-c) in other
    # folders, a test file that includes the runtime one, the project itself as `-e .`; and a
    # Django-style setup step before the tests with environment variables for them.
    "requirements-includes": {
        "files": {
            "requirements.txt": "-r requirements/production.txt\n",
            "requirements/production.txt": "-c ../constraints/pins.txt\nmarkupsafe\n-e .\n",
            "constraints/pins.txt": "markupsafe==3.0.2\n",
            "requirements/test.txt": "-r ../requirements.txt\npytest==8.3.5\n",
            "pyproject.toml": textwrap.dedent("""\
                [build-system]
                requires = ["setuptools>=61"]
                build-backend = "setuptools.build_meta"

                [project]
                name = "incl"
                version = "0.1.0"

                [tool.setuptools]
                packages = ["incl"]
                """),
            "incl/__init__.py": "import markupsafe\n\nVERSION = markupsafe.__version__\n",
            "incl/__main__.py": "import time\n\nwhile True:\n    time.sleep(60)\n",
            "setup_step.py": "import pathlib\n\npathlib.Path('generated').mkdir(exist_ok=True)\n"
            "pathlib.Path('generated/ready.txt').write_text('collected')\n",
            "tests/test_app.py": TEST_FILE
            + textwrap.dedent("""

                def test_local_package_and_setup_step():
                    import os
                    import pathlib

                    import incl
                    assert incl.VERSION == "3.0.2"
                    assert pathlib.Path("generated/ready.txt").read_text() == "collected"
                    assert os.environ["APP_MODE"] == "test"
                """),
        },
        "answers": {
            "app_kind": "worker",
            "app_command": "python -m incl",
            "test_setup_command": "python setup_step.py",
            "test_env": {"APP_MODE": "test"},
            "build_command": "python setup_step.py",
        },
        "expect": {
            "current_python": "3.11",
            "target_python": "3.12",
            "dependency_layout": "requirements",
            "requirements_file": "requirements.txt",
            "test_requirements_file": "requirements/test.txt",
            "test_command": "python -m pytest",
        },
    },
    # Poetry with no runtime dependencies at all (no `main` group), tests in a `dev` group.
    "poetry-no-main": {
        "files": {
            "pyproject.toml": textwrap.dedent("""\
                [project]
                name = "nomain"
                version = "0.1.0"
                requires-python = ">=3.11"

                [tool.poetry]
                packages = [{ include = "nomain", from = "src" }]

                [tool.poetry.group.dev.dependencies]
                pytest = "8.3.5"
                markupsafe = "3.0.2"

                [[tool.poetry.source]]
                name = "simple"
                url = "https://pypi.org/simple/"
                priority = "primary"

                [build-system]
                requires = ["poetry-core>=2.0"]
                build-backend = "poetry.core.masonry.api"
                """),
            "src/nomain/__init__.py": "ANSWER = 42\n",
            "tests/test_app.py": TEST_FILE
            + "\n\ndef test_root_installed():\n    import nomain\n    assert nomain.ANSWER == 42\n",
            ".github/workflows/ci.yml": "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    strategy:\n"
            "      matrix:\n        python-version: ['3.11', '3.12']\n    steps:\n"
            "      - run: poetry install\n      - run: poetry run pytest -q\n",
        },
        "lock": ["poetry", "lock"],
        "answers": {},
        "expect": {
            "current_python": "3.12",
            "target_python": "3.13",
            "dependency_layout": "poetry",
            "test_extra": "dev",
            "app_kind": "library",
            "test_command": "pytest -q",
        },
    },
}


def existing_repo(tmp_path: Path, shape: str) -> Path:
    """The shape's files, locked where it has a lock file, committed in a git repository."""
    spec = SHAPES[shape]
    repo = tmp_path / shape
    for name, text in spec["files"].items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    if "lock" in spec:
        tool = shutil.which(spec["lock"][0])
        require(tool, f"{spec['lock'][0]} is not installed (pip install -e '.[test]')")
        subprocess.run([tool, *spec["lock"][1:]], cwd=repo, check=True, capture_output=True, timeout=600)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "the repo as it was")
    return repo


def copy_into(repo: Path, shape: str) -> None:
    """As a user runs it: no terminal, only what detection cannot know is given."""
    run_copy(
        str(ROOT), repo, data=SHAPES[shape]["answers"], defaults=True, unsafe=True, quiet=True, vcs_ref="HEAD"
    )


@pytest.mark.parametrize("shape", SHAPES)
def test_copy_into_an_existing_repo(tmp_path, shape):
    spec = SHAPES[shape]
    repo = existing_repo(tmp_path, shape)
    before = {p: p.read_bytes() for p in repo.rglob("*") if p.is_file() and ".git" not in p.parts}
    copy_into(repo, shape)

    status = git(repo, "status", "--porcelain", "--untracked-files=all").splitlines()
    assert status and all(line.startswith("?? ") for line in status), status
    assert all(p.read_bytes() == content for p, content in before.items())
    new = sorted(line[3:] for line in status)
    here = "" if spec.get("dir", ".") == "." else spec["dir"] + "/"
    assert (
        ANSWERS_FILE in new
        and f"{here}tox-python-upgrade.ini" in new
        and f"{here}python-upgrade/Dockerfile" in new
    )

    answers = load_yaml(repo / ANSWERS_FILE)
    assert {key: answers[key] for key in spec["expect"]} == spec["expect"]

    current, target = spec["expect"]["current_python"], spec["expect"]["target_python"]
    require_interpreters(current, target)
    cur, tgt = "py" + current.replace(".", ""), "py" + target.replace(".", "")
    result = tox(repo / spec.get("dir", "."), cur, tgt)
    assert result.returncode == 0, result.stdout[-5000:]
    assert tox_results(result.stdout) == {cur: "OK", tgt: "OK"}
    assert f"fixture tests on {current}." in result.stdout or "passed" in result.stdout
    assert f"Python {current}." in result.stdout and f"Python {target}." in result.stdout


@pytest.mark.docker
@pytest.mark.parametrize("shape", SHAPES)
def test_the_rendered_dockerfile_builds_the_detected_layout(tmp_path, shape):
    """`--target all`: both test stages run the repo's tests on their interpreter, with the
    dependency layout that was detected (requirements, uv, poetry, pyproject)."""
    repo = existing_repo(tmp_path, shape)
    copy_into(repo, shape)
    current, target = SHAPES[shape]["expect"]["current_python"], SHAPES[shape]["expect"]["target_python"]
    ensure_base_images(current, target)
    project = repo / SHAPES[shape].get("dir", ".")
    answers = load_yaml(repo / ANSWERS_FILE)
    # From the project's directory, with the context its Dockerfile's header names (workspace_root).
    result = build(project, "all", context=answers.get("workspace_root", "."))
    assert result.returncode == 0, result.stderr[-5000:]
    assert f"test-current: Python {current}." in result.stderr
    assert f"test-target: Python {target}." in result.stderr
