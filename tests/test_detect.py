"""Unit tests of detection (extensions/python_upgrade/detect/) on small repositories written by the
tests: detect(repo, project_dir) answers each question with a Finding (value, where it came from)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import ROOT
from python_upgrade import checks
from python_upgrade.detect import RULES, detect, image, layout, order, services, shell
from python_upgrade.detect.files import is_new
from python_upgrade.versions import SUPPORTED


def finding_of(root: Path, question: str, project_dir: str = ".", empty: object = None) -> dict:
    """{'value', 'why'} of one question ({empty, ""} where nothing was found)."""
    finding = detect(root, project_dir).get(question)
    return {"value": finding.value if finding else empty, "why": finding.why if finding else ""}


def detect_python(root: Path, project_dir: str = ".") -> dict:
    """current_python's finding: the version chosen, why, and every source found."""
    finding = detect(root, project_dir).get("current_python")
    if finding is None:
        return {"version": "", "why": "", "found": []}
    return {
        "version": finding.value,
        "why": finding.why if finding.value else "",
        "found": list(finding.notes),
    }


def detect_layout(root: Path, project_dir: str = ".") -> dict:
    result = detect(root, project_dir)
    names = {
        "layout": "dependency_layout",
        "requirements": "requirements_file",
        "test_requirements": "test_requirements_file",
        "test_extra": "test_extra",
    }
    return {key: result[question].value if question in result else "" for key, question in names.items()}


def detect_app(root: Path, project_dir: str = ".") -> dict:
    """{'value': {question: value}, 'why': {question: where}} of every question detected."""
    result = detect(root, project_dir)
    return {"value": {q: f.value for q, f in result.items()}, "why": {q: f.why for q, f in result.items()}}


def repo(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def test_production_sources_beat_support_ranges(tmp_path):
    root = repo(
        tmp_path,
        {
            "Dockerfile": "FROM python:3.10-slim AS build\nRUN true\nFROM python:3.11-slim-bookworm\nCMD "
            "app\n",
            ".python-version": "3.9.18\n",
            "pyproject.toml": '[project]\nrequires-python = ">=3.8"\nclassifiers = ["Programming Language :: '
            'Python :: 3.12"]\n',
            "tox.ini": "[tox]\nenv_list = py38, py39, py310, py311, py312\n",
            ".github/workflows/ci.yml": "jobs:\n  t:\n    strategy:\n      matrix:\n        python-version: "
            "['3.8', '3.12']\n",
        },
    )
    found = detect_python(root)
    # The final FROM python: line is what production runs.
    assert found["version"] == "3.11"
    assert found["why"].startswith("3.11 from Dockerfile")
    assert any(line.startswith("3.9 from .python-version") for line in found["found"])
    assert any(line.startswith("3.12 from .github/workflows/ci.yml, tox.ini") for line in found["found"])
    assert any(line.startswith("3.8 from pyproject.toml") for line in found["found"])


@pytest.mark.parametrize(
    ("files", "version", "source"),
    [
        ({".python-version": "3.10.13\n"}, "3.10", ".python-version"),
        ({"runtime.txt": "python-3.9.18\n"}, "3.9", "runtime.txt"),
        ({"tox.ini": "[tox]\nenvlist = py39,py310,py311\n"}, "3.11", "tox.ini"),
        ({"setup.cfg": "[options]\npython_requires = >=3.10\n"}, "3.10", "setup.cfg"),
        (
            {
                "pyproject.toml": '[tool.poetry.dependencies]\npython = "^3.11"\n[project]\nrequires-python '
                '= ">=3.12"\n'
            },
            "3.12",
            "pyproject.toml",
        ),
        ({"docker/Dockerfile": "FROM docker.io/library/python:3.13-slim\n"}, "3.13", "docker/Dockerfile"),
        ({".gitlab-ci.yml": "test:\n  image: python:3.12\n"}, "3.12", ".gitlab-ci.yml"),
    ],
)
def test_each_source(tmp_path, files, version, source):
    found = detect_python(repo(tmp_path, files))
    assert found["version"] == version
    assert source in found["why"]


def test_versions_outside_the_range_are_shown_but_not_chosen(tmp_path):
    root = repo(tmp_path, {"Dockerfile": "FROM python:3.7-slim\n", ".python-version": "3.10\n"})
    found = detect_python(root)
    assert found["version"] == "3.10"
    assert (
        f"3.7 from Dockerfile (FROM python:3.7-slim) (outside {SUPPORTED[0]}-{SUPPORTED[-1]}, not used)"
        in found["found"]
    )


def test_our_own_files_and_venvs_are_ignored(tmp_path):
    root = repo(
        tmp_path,
        {
            "python-upgrade/Dockerfile": "FROM python:3.12-slim-bookworm AS deps-target\n",
            ".github/workflows/python-upgrade.yml": "python: '3.12'\n",
            ".venv/Dockerfile": "FROM python:3.9\n",
        },
    )
    assert detect_python(root) == {"version": "", "why": "", "found": []}


def test_missing_or_temporary_destination(tmp_path):
    assert detect_python(tmp_path / "nope")["version"] == ""
    assert detect_layout(tmp_path / "nope")["layout"] == ""


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {"requirements.txt": "", "requirements-test.txt": ""},
            {
                "layout": "requirements",
                "requirements": "requirements.txt",
                "test_requirements": "requirements-test.txt",
            },
        ),
        (
            {"requirements/base.txt": "", "requirements/dev.txt": ""},
            {
                "layout": "requirements",
                "requirements": "requirements/base.txt",
                "test_requirements": "requirements/dev.txt",
            },
        ),
        (
            {
                "pyproject.toml": '[project]\nname = "x"\n[project.optional-dependencies]\ntests = '
                '["pytest"]\n'
            },
            {"layout": "pyproject", "test_extra": "tests"},
        ),
        (
            {
                "pyproject.toml": '[project]\nname = "x"\n[dependency-groups]\ndev = ["pytest"]\n',
                "uv.lock": "",
            },
            {"layout": "uv", "test_extra": "dev"},
        ),
        (
            {
                "pyproject.toml": '[tool.poetry]\nname = "x"\n[tool.poetry.group.test.dependencies]\npytest '
                '= "*"\n',
                "poetry.lock": "",
            },
            {"layout": "poetry", "test_extra": "test"},
        ),
    ],
)
def test_layout(tmp_path, files, expected):
    found = detect_layout(repo(tmp_path, files))
    assert {key: found[key] for key in expected} == expected


# ------------------------------------------------------------------------------------ the application
def app(tmp_path: Path, files: dict[str, str]) -> dict:
    return detect_app(repo(tmp_path, files))["value"]


@pytest.mark.parametrize(
    ("files", "expect"),
    [
        # Procfile: the server is the last step; build steps kept, release steps (migrate) left out.
        (
            {
                "Procfile": "web: python manage.py migrate && python manage.py collectstatic --no-input && "
                "gunicorn site.wsgi\n",
                "manage.py": "",
                "requirements.txt": "django==5.1\ngunicorn\n",
            },
            {
                "app_kind": "web",
                "app_command": "gunicorn --bind 0.0.0.0:$PORT site.wsgi",
                "build_command": "python manage.py collectstatic --no-input",
                "test_command": "python manage.py test",
            },
        ),
        # An existing Dockerfile's exec-form CMD, its EXPOSE and its apt-get packages.
        (
            {
                "Dockerfile": "FROM python:3.12-slim\nRUN apt-get update && apt-get install -y "
                "--no-install-recommends "
                "gcc libpq-dev libpq5 \\\n    curl\nEXPOSE 9000\n"
                'CMD ["uvicorn", "svc.main:app", "--host", "127.0.0.1", "--port", "9000"]\n'
            },
            {
                "app_kind": "web",
                "app_command": "uvicorn --host 0.0.0.0 --port $PORT svc.main:app",
                "app_port": 9000,
                "build_packages": "gcc libpq-dev",
                "runtime_packages": "libpq5",
            },
        ),
        # An ENTRYPOINT script that execs the server.
        (
            {
                "Dockerfile": 'FROM python:slim\nENTRYPOINT ["./boot.sh"]\n',
                "boot.sh": "#!/bin/sh\nflask db upgrade\nexec gunicorn -b :5000 --access-logfile - app:app\n",
            },
            {
                "app_kind": "web",
                "app_command": "gunicorn --bind 0.0.0.0:$PORT --access-logfile - app:app",
                "app_port": 5000,
            },
        ),
        # compose: command and ports of the service that builds this repository.
        (
            {
                "compose.yaml": "services:\n  web:\n    build: .\n    command: waitress-serve --port=8080 "
                "app:app\n"
                "    ports: ['80:8080']\n  db:\n    image: postgres\n"
            },
            {
                "app_kind": "web",
                "app_command": "waitress-serve --listen=0.0.0.0:$PORT app:app",
                "app_port": 8080,
            },
        ),
        # The code: a FastAPI app and uvicorn in the dependencies, with a health route.
        (
            {
                "requirements.txt": "fastapi==0.115.0\nuvicorn==0.30.0\n",
                "api.py": "from fastapi import FastAPI\napp = FastAPI()\n\n@app.get('/health')\ndef "
                "health():\n    return {}\n",
            },
            {
                "app_kind": "web",
                "app_command": "uvicorn --host 0.0.0.0 --port $PORT api:app",
                "health_path": "/health",
            },
        ),
        # A worker: Procfile worker: and no web process.
        (
            {"Procfile": "worker: celery -A proj worker\n", "requirements.txt": "celery==5.4\n"},
            {"app_kind": "worker", "app_command": "celery -A proj worker"},
        ),
        # A library: a package with no server; tests from CI with their env, runner prefix dropped.
        (
            {
                "pyproject.toml": '[project]\nname = "lib"\n',
                ".github/workflows/tests.yml": "env:\n  PYTHONDEVMODE: '1'\n  TOKEN: ${{ secrets.T }}\n"
                "jobs:\n  t:\n"
                "    steps:\n      - run: uv run pytest -x\n",
            },
            {"app_kind": "library", "test_command": "pytest -x", "test_env": {"PYTHONDEVMODE": "1"}},
        ),
        # unittest layout, no pytest anywhere; tox commands win over it.
        (
            {"tests.py": "import unittest\n", "setup.py": ""},
            {"app_kind": "library", "test_command": "python -m unittest"},
        ),
        (
            {"tox.ini": "[testenv]\ncommands =\n    pytest -q {posargs}\n", "setup.py": ""},
            {"test_command": "pytest -q"},
        ),
    ],
)
def test_app_sources(tmp_path, files, expect):
    found = app(tmp_path, files)
    assert {key: found.get(key) for key in expect} == expect


def test_every_detected_answer_says_where(tmp_path):
    result = detect_app(
        repo(tmp_path, {"Procfile": "web: gunicorn app:app\n", "requirements.txt": "flask\n"})
    )
    assert set(result["value"]) <= set(result["why"])
    assert result["why"]["app_command"].startswith("Procfile `web:`")
    assert "no health route found" in result["why"]["health_path"]


def test_django_health_path_and_test_setup(tmp_path):
    found = app(
        tmp_path,
        {
            "manage.py": "",
            "requirements.txt": "Django==5.1\n",
            "site/wsgi.py": "",
            "site/settings.py": "STATIC_ROOT = 'static'\n",
            "site/urls.py": "urlpatterns = [path('admin/', admin.site.urls)]\n",
        },
    )
    assert found["health_path"] == "/admin/login/"
    assert found["test_setup_command"] == "python manage.py collectstatic --noinput"
    assert found["app_command"] == "gunicorn --bind 0.0.0.0:$PORT site.wsgi"


@pytest.mark.parametrize(
    "files",
    [
        {"Procfile": "\x00\x01garbage", "Dockerfile": 'FROM\nCMD ["unterminated\n'},
        {"compose.yaml": "services: [1, 2", ".github/workflows/x.yml": "jobs: {t: {steps: oops}}"},
        {".github/workflows/x.yml": "- just\n- a list\n", "compose.yml": "services:\n  web: 3\n"},
        {"Dockerfile": 'FROM python:3.12\nENTRYPOINT ["./missing.sh"]\n'},
    ],
)
def test_malformed_files_are_tolerated(tmp_path, files):
    detect_app(repo(tmp_path, files))


def test_the_newest_supported_version_is_not_chosen_as_current(tmp_path):
    newest = SUPPORTED[-1]
    root = repo(tmp_path, {".python-version": f"{newest}.0\n", "runtime.txt": "python-3.12.4\n"})
    found = detect_python(root)
    assert found["version"] == "3.12"
    assert any("nothing newer to migrate to" in line for line in found["found"])


def test_new_and_missing_files(tmp_path):
    assert is_new(tmp_path / "nope") and is_new(tmp_path)
    (tmp_path / ".git").mkdir()
    assert (
        is_new(tmp_path)
        and checks.repository_file_error(tmp_path, "requirements_file", "requirements.txt") == ""
    )
    (tmp_path / "app.py").write_text("")
    assert checks.repository_file_error(tmp_path, "requirements_file", "requirements.txt") == (
        "requirements_file: requirements.txt does not exist in this repository"
    )


def test_a_plain_wsgi_callable_with_a_server_is_a_web_app(tmp_path):
    found = app(
        tmp_path,
        {
            "requirements.txt": "gunicorn==23.0.0\n",
            "app.py": "def app(environ, start_response):\n    if environ['PATH_INFO'] == '/healthz':\n"
            "        pass\n",
        },
    )
    assert found["app_kind"] == "web"
    assert found["app_command"] == "gunicorn --bind 0.0.0.0:$PORT app:app"
    assert found["health_path"] == "/healthz"


# ------------------------------------------------------------------- rules added for real layouts
@pytest.mark.parametrize(
    ("command", "expected", "port"),
    [
        (
            "uwsgi --http :8000 --module wsgi:application --master",
            "uwsgi --http 0.0.0.0:$PORT --module wsgi:application --master",
            8000,
        ),
        (
            "uwsgi --http-socket=0.0.0.0:9000 --ini uwsgi.ini",
            "uwsgi --http-socket 0.0.0.0:$PORT --ini uwsgi.ini",
            9000,
        ),
        ("fastapi run app/main.py --port 80", "fastapi run --host 0.0.0.0 --port $PORT app/main.py", 80),
        (
            "litestar --app app:create_app run --host 127.0.0.1 --port 8001",
            "litestar --app app:create_app run --host 0.0.0.0 --port $PORT",
            8001,
        ),
        ("hypercorn --bind 0.0.0.0:5000 app:app", "hypercorn --bind 0.0.0.0:$PORT app:app", 5000),
        (
            "daphne -b 0.0.0.0 -p 8001 proj.asgi:application",
            "daphne -b 0.0.0.0 --port $PORT proj.asgi:application",
            8001,
        ),
        (
            "granian --interface asgi --port 8000 app:app",
            "granian --host 0.0.0.0 --port $PORT --interface asgi app:app",
            8000,
        ),
        ("python manage.py runserver 0.0.0.0:8000", "python manage.py runserver 0.0.0.0:$PORT", 8000),
    ],
)
def test_every_server_listens_on_port(command, expected, port):
    assert shell.listen_on_port(command) == (expected, port)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("uv run --locked -m manage collectstatic --noinput", "python -m manage collectstatic --noinput"),
        ("uv run --with x pytest", "pytest"),
        ("exec /venv/bin/uvicorn app:app", "uvicorn app:app"),
        ("./manage.py test", "python manage.py test"),
        (
            "DATABASE_URL=sqlite://:memory: poetry run python manage.py compress",
            "DATABASE_URL=sqlite://:memory: python manage.py compress",
        ),
    ],
)
def test_commands_as_the_image_runs_them(line, expected):
    assert shell.clean_command(line) == expected


def test_every_dockerfile_stage_args_and_an_entrypoint_that_runs_the_cmd(tmp_path):
    found = app(
        tmp_path,
        {
            "deploy/docker/Dockerfile": (
                "ARG PYTHON_VERSION=3.12\nARG BASE=python:${PYTHON_VERSION}-slim-bullseye\n"
                'FROM ${BASE} AS build\nARG DEPS="libpq-dev gcc"\nRUN apt-get install -y $DEPS\n'
                "FROM build AS runtime\nENV DJANGO_SETTINGS_MODULE=site.settings.prod PATH=/venv/bin:$PATH\n"
                'RUN BUILD="libxml2" && apt-get install -y $BUILD libpq5 && pip install -r requirements.txt '
                "uwsgi\n"
                'COPY docker/entry.sh /entry.sh\nENTRYPOINT ["/usr/bin/tini", "--", "/entry.sh"]\n'
                'CMD ["/venv/bin/uwsgi", "--http", ":8000", "--module", "site.wsgi"]\n'
            ),
            "docker/entry.sh": "#!/bin/sh\nset -e\nuntil pg_isready; do sleep 1; done\npython manage.py "
            'migrate\nexec "$@"\n',
            "requirements.txt": "django\n",
            "manage.py": "",
        },
    )
    assert found["app_command"] == "uwsgi --http 0.0.0.0:$PORT --module site.wsgi"
    assert found["app_port"] == 8000
    assert found["build_packages"] == "libpq-dev gcc"
    assert found["runtime_packages"] == "libxml2 libpq5"
    assert found["app_packages"] == "uwsgi"
    assert found["app_env"] == {"DJANGO_SETTINGS_MODULE": "site.settings.prod"}
    result = detect_app(tmp_path)
    assert (
        "left out (release steps, run them once per deploy): python manage.py migrate"
        in result["why"]["app_command"]
    )
    assert detect_python(tmp_path)["version"] == "3.12"
    assert finding_of(tmp_path, "debian_suite")["value"] == "bullseye"


def test_health_routes_with_their_prefixes(tmp_path):
    files = {
        "requirements.txt": "fastapi\nuvicorn\n",
        "app/main.py": "from fastapi import FastAPI\nfrom app.probe.views import router as probe_router\napp "
        "= FastAPI()\n"
        "app.include_router(probe_router, prefix='/probe')\n",
        "app/probe/views.py": "router = APIRouter()\n@router.get('/health')\ndef h(): ...\n"
        "@router.get('/live')\ndef l(): ...\n",
    }
    assert app(tmp_path, files)["health_path"] == "/probe/live"


@pytest.mark.parametrize(
    ("main", "settings", "expected"),
    [
        ("app = FastAPI()\n", "", "/docs"),
        ("app = FastAPI(**settings.kwargs)\n", 'class S:\n    docs_url: str = "/api/docs"\n', "/api/docs"),
        ("app = FastAPI(docs_url=None)\n", "", "/"),  # no docs page: the root page, the last guess
    ],
)
def test_a_fastapi_app_without_a_health_route_is_probed_on_its_docs_page(tmp_path, main, settings, expected):
    files = {
        "requirements.txt": "fastapi\nuvicorn\n",
        "app/main.py": "from fastapi import FastAPI\n" + main,
        "app/settings.py": settings,
        "app/views.py": "@router.get('/items/{id}')\ndef h(id): ...\n",
    }
    assert app(tmp_path, files)["health_path"] == expected


def test_django_include_prefix_and_the_dockerfile_healthcheck(tmp_path):
    django = {
        "manage.py": "",
        "requirements.txt": "django\n",
        "site/wsgi.py": "",
        "site/urls.py": "urlpatterns = [path('api/v3/', include('apiv3.urls'))]\n",
        "apiv3/urls.py": "urlpatterns = [path('status/', views.status)]\n",
    }
    assert app(tmp_path / "a", django)["health_path"] == "/api/v3/status/"
    with_check = dict(
        django,
        Dockerfile='FROM python:3.12\nCOPY check.sh /check.sh\nHEALTHCHECK CMD ["/check.sh"]\n'
        "CMD gunicorn site.wsgi\n",
        **{"check.sh": "curl -f http://localhost:8000/health/\n"},
    )
    found = detect_app(repo(tmp_path / "b", with_check))
    assert found["value"]["health_path"] == "/health/" and "HEALTHCHECK" in found["why"]["health_path"]


def test_a_project_in_a_subdirectory(tmp_path):
    root = repo(
        tmp_path,
        {
            "backend/pyproject.toml": '[project]\nname = "x"\n',
            "backend/Pipfile": "[packages]\n",
            "backend/Pipfile.lock": "{}",
            "backend/manage.py": "",
            "frontend/package.json": "{}",
            "tests/fixtures/pyproject.toml": "",
            ".github/workflows/ci.yml": "on: push\n",
        },
    )
    assert finding_of(root, "project_dir", empty=".")["value"] == "backend"
    assert detect_layout(root, "backend")["layout"] == "pipenv"
    assert (
        checks.repository_dir_error(root, "project_dir", "nope")
        == "project_dir: nope/ does not exist in this repository"
    )
    assert checks.repository_file_error(root, "requirements_file", "r.txt", "backend") == (
        "requirements_file: backend/r.txt does not exist in this repository"
    )


@pytest.mark.parametrize(
    ("files", "kind", "groups"),
    [
        (
            {
                "pyproject.toml": '[project]\nname = "x"\n[dependency-groups]\ntest = ["pytest"]\n',
                "pdm.lock": "",
            },
            "pdm",
            ["test"],
        ),
        (
            {"Pipfile": "[packages]\nx = '*'\n[dev-packages]\npytest = '*'\n", "Pipfile.lock": "{}"},
            "pipenv",
            ["dev-packages"],
        ),
        ({"pyproject.toml": '[project]\nname = "x"\n', "uv.lock": ""}, "uv", []),
    ],
)
def test_pdm_pipenv_and_groups_that_exist(tmp_path, files, kind, groups):
    root = repo(tmp_path, files)
    result = detect_layout(root)
    assert result["layout"] == kind and layout.groups_of(root, kind) == groups
    assert result["test_extra"] == (groups[0] if groups else "")
    error = checks.repository_group_error(root, ".", kind, "test_extra", "nope")
    assert error.startswith("test_extra: ") and "no group or extra named nope" in error


def test_the_newest_tested_below_the_newest_supported(tmp_path):
    newest, below = SUPPORTED[-1], SUPPORTED[-2]
    envs = f"py3{{10-{newest.split('.')[1]}}}-tests"
    root = repo(
        tmp_path,
        {
            "tox.ini": f"[tox]\nenv_list = {envs}\n",
            "pyproject.toml": '[project]\nrequires-python = ">=3.10"\n',
        },
    )
    found = detect_python(root)
    assert found["version"] == below and f"{newest} too, the newest supported" in found["found"][0]


def test_ci_branches(tmp_path):
    root = repo(tmp_path, {".git/HEAD": "ref: refs/heads/master\n"})
    assert finding_of(root, "ci_branches")["value"] == ["master"]
    repo(tmp_path, {".github/workflows/ci.yml": "on:\n  push:\n    branches: [develop, main]\n"})
    assert finding_of(root, "ci_branches")["value"] == ["develop", "main"]
    repo(tmp_path, {".git/refs/remotes/origin/HEAD": "ref: refs/remotes/origin/trunk\n"})
    assert finding_of(root, "ci_branches") == {
        "value": ["trunk"],
        "why": "the remote's default branch (origin/HEAD)",
    }


def test_what_the_production_image_leaves_out(tmp_path):
    # pytest's testpaths, when they are test directories; tests beside the code are not one.
    root = repo(
        tmp_path / "a",
        {
            "pyproject.toml": '[tool.pytest.ini_options]\ntestpaths = ["src/py/tests"]\n',
            "src/py/tests/test_x.py": "",
        },
    )
    assert finding_of(root, "image_excludes", empty=[])["value"] == ["src/py/tests"]
    root = repo(
        tmp_path / "b",
        {
            "pyproject.toml": '[tool.pytest.ini_options]\ntestpaths = ["app"]\n',
            "app/main.py": "",
            "app/test_main.py": "",
        },
    )
    assert finding_of(root, "image_excludes", empty=[])["value"] == []
    root = repo(
        tmp_path / "c",
        {"setup.cfg": "[tool:pytest]\ntestpaths =\n    tests\n    missing\n", "tests/test_x.py": ""},
    )
    assert finding_of(root, "image_excludes", empty=[]) == {
        "value": ["tests"],
        "why": "setup.cfg [tool:pytest] testpaths",
    }
    # A top-level tests/ is a guess, and not made when the app imports from it.
    root = repo(tmp_path / "d", {"tests/__init__.py": "", "tests/test_x.py": "", "app.py": "import os\n"})
    assert (
        finding_of(root, "image_excludes", empty=[])["value"] == ["tests"]
        and "a guess" in finding_of(root, "image_excludes", empty=[])["why"]
    )
    root = repo(
        tmp_path / "e",
        {"tests/__init__.py": "", "tests/factories.py": "", "app.py": "from tests import factories\n"},
    )
    assert finding_of(root, "image_excludes", empty=[])["value"] == []


def test_directories_the_app_writes_to(tmp_path):
    root = repo(
        tmp_path / "a",
        {
            "manage.py": 'os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_conf.settings.prod")\n',
            "site_conf/settings/prod.py": 'MEDIA_ROOT = BASE_DIR / "uploads"\n',
            "Dockerfile": "FROM python:3.12-slim\nWORKDIR /srv/app\nRUN mkdir -p /srv/app/var/log /tmp/x\n"
            "VOLUME /srv/app/data\nCMD app\n",
        },
    )
    found = finding_of(root, "writable_dirs", empty=[])
    assert found["value"] == ["uploads", "data", "var/log"]
    assert (
        "MEDIA_ROOT in site_conf/settings/prod.py" in found["why"] and "VOLUME under WORKDIR" in found["why"]
    )
    root = repo(
        tmp_path / "b", {"settings.py": "MEDIA_ROOT = os.path.join(PROJECT_DIR, 'media')\n", "manage.py": ""}
    )
    assert finding_of(root, "writable_dirs", empty=[])["value"] == ["media"]
    root = repo(tmp_path / "c", {"settings.py": "MEDIA_ROOT = '/var/media'\n", "manage.py": ""})
    assert finding_of(root, "writable_dirs", empty=[])["value"] == ["/var/media"]


@pytest.mark.parametrize(
    ("files", "expected", "where"),
    [
        (  # Django's settings: the sqlite3 engine's NAME built from BASE_DIR, either way
            {
                "manage.py": "",
                "site/settings.py": 'DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3",'
                ' "NAME": os.getenv("DB_NAME") or os.path.join(BASE_DIR, "data/db.sqlite3")}}\n',
            },
            ["data"],
            "data: SQLite in site/settings.py",
        ),
        (
            {
                "manage.py": "",
                "settings.py": 'DATABASES = {"default": {"NAME": BASE_DIR / "var" / "db" / "x.sqlite3"}}\n',
            },
            ["var/db"],
            "var/db: SQLite in settings.py",
        ),
        (  # a config module's default URL, and an absolute one in the example environment file
            {
                "app/config.py": 'DB = os.environ.get("DATABASE_URL", "sqlite:///instance/app.db")\n',
                ".env.example": "DATABASE_URL=sqlite:////var/lib/app/app.db\nTEST_DB=sqlite:///:memory:\n",
            },
            ["instance", "/var/lib/app"],
            "/var/lib/app: DATABASE_URL in .env.example",
        ),
        (  # the old image: an absolute VOLUME, a directory made and given to the app's user
            {
                "Dockerfile": "FROM python:3.12-slim\nWORKDIR /opt/app\n"
                "RUN mkdir -p /var/uploads /var/cache/x && chown -R 1001:1001 /var/uploads\n"
                'VOLUME ["/srv/files"]\nCMD app\n',
            },
            ["/srv/files", "/var/uploads"],
            "/var/uploads: Dockerfile (mkdir)",
        ),
        (  # in the project's root no volume can share it: nothing answered, the help says why
            {"config.py": "SQLALCHEMY_DATABASE_URI = 'sqlite:///' + os.path.join(basedir, 'app.db')\n"},
            [],
            "the SQLite database app.db (SQLite in config.py) sits beside the code",
        ),
        (  # each base directory followed to where it points, from the module that sets it
            {
                "manage.py": "",
                "shop/__init__.py": "",
                "shop/settings/base.py": "PROJECT_DIR = os.path.dirname(\n"
                "    os.path.dirname(os.path.abspath(__file__)))\n"
                "BASE_DIR = Path(__file__).resolve().parents[2]\n"
                'MEDIA_ROOT = os.path.join(PROJECT_DIR, "media")\n'
                'DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3",'
                ' "NAME": BASE_DIR / "db" / "x.db"}}\n',
                "shop/settings/production.py": "from .base import *\nSTATIC_ROOT = PROJECT_DIR / 'static'\n",
            },
            ["shop/media", "db"],
            "shop/media: MEDIA_ROOT in shop/settings/base.py",
        ),
        (  # a database in a package's directory sits beside the code: named, not answered
            {
                "pkg/__init__.py": "",
                "pkg/config.py": 'URL = f"sqlite:///{os.path.dirname(os.path.abspath(__file__))}/x.db"\n',
            },
            [],
            "the SQLite database pkg/x.db (SQLite in pkg/config.py) sits beside the code",
        ),
        (  # tests' databases and in-memory ones are not the app's state
            {"settings.py": 'DATABASES = {"default": {"NAME": BASE_DIR / "tmp" / "test.sqlite3"}}\n'},
            None,
            "",
        ),
    ],
)
def test_where_the_app_keeps_data_on_disk(tmp_path, files, expected, where):
    found = finding_of(repo(tmp_path, files), "writable_dirs")
    if expected is None:
        assert found["value"] is None
        return
    assert found["value"] == expected
    assert where in found["why"]


@pytest.mark.parametrize(
    ("files", "value", "where"),
    [
        (  # the old image gives its code to its user
            {
                "Dockerfile": "FROM python:3.12-slim\nWORKDIR /opt/app\n"
                "COPY --chown=1001:1001 . /opt/app\nCMD app\n"
            },
            True,
            "Dockerfile (COPY --chown of the code)",
        ),
        (
            {
                "Dockerfile": "FROM python:3.12-slim\nWORKDIR /opt/app\nCOPY . .\n"
                "RUN useradd app && chown -R app:app /var/log/app /opt/app\nCMD app\n"
            },
            True,
            "chown -R of its WORKDIR, /opt/app",
        ),
        (  # root keeps the code; a directory given away is writable_dirs' business
            {
                "Dockerfile": "FROM python:3.12-slim\nWORKDIR /opt/app\nCOPY . .\n"
                "RUN mkdir /data && chown -R 1001 /data\nCOPY --chown=root . /opt/app\nCMD app\n"
            },
            None,
            "",
        ),
        (  # a SQLite database in a package's folder
            {
                "pkg/__init__.py": "",
                "pkg/config.py": 'URL = f"sqlite:///{os.path.dirname(os.path.abspath(__file__))}/x.db"\n',
            },
            True,
            "the SQLite database pkg/x.db (SQLite in pkg/config.py), in a package's folder",
        ),
        (  # in the root, /app itself is the user's: nothing more is needed
            {"config.py": "SQLALCHEMY_DATABASE_URI = 'sqlite:///' + os.path.join(basedir, 'app.db')\n"},
            None,
            "",
        ),
    ],
)
def test_an_app_that_writes_beside_its_code(tmp_path, files, value, where):
    found = finding_of(repo(tmp_path, files), "code_writable")
    assert found["value"] == value
    assert where in (found["why"] or "")


def test_compose_settings_that_point_the_app_at_its_volumes(tmp_path):
    root = repo(
        tmp_path,
        {
            "Dockerfile": "FROM python:3.12-slim\nENV APP_MODE=production\nCMD app\n",
            "docker-compose.yml": "services:\n  web:\n    build: .\n    environment:\n"
            "      - UPLOAD_FOLDER=/var/uploads\n      - DATABASE_URL=mysql://db/app\n"
            "      - LOG_DIR=/var/log/x\n"
            "    volumes:\n      - .data/uploads:/var/uploads\n      - .:/opt/app:ro\n"
            "  db:\n    image: mysql\n    environment:\n      DATA: /var/lib/mysql\n"
            "    volumes: [db:/var/lib/mysql]\n",
        },
    )
    # Only the variable naming a directory the app's service mounts: not the database host, not a
    # path nothing mounts, not another service's.
    env = finding_of(root, "app_env")
    assert env["value"] == {"APP_MODE": "production", "UPLOAD_FOLDER": "/var/uploads"}
    assert "docker-compose.yml (environment:" in env["why"]
    dirs = finding_of(root, "writable_dirs")
    assert dirs["value"] == ["/var/uploads"]
    assert "docker-compose.yml (a volume, and UPLOAD_FOLDER names it)" in dirs["why"]


@pytest.mark.parametrize(
    ("files", "backend"),
    [
        (
            {
                "pyproject.toml": '[build-system]\nrequires = ["hatchling", "hatch-vcs"]\n'
                '[tool.hatch.version]\nsource = "vcs"\n'
            },
            "hatch-vcs",
        ),
        (
            {"pyproject.toml": '[build-system]\nrequires = ["setuptools>=64", "setuptools-scm>=8"]\n'},
            "setuptools-scm",
        ),
        ({"pyproject.toml": "[tool.setuptools_scm]\n"}, "setuptools-scm"),
        ({"setup.py": "setup(name='x', use_scm_version=True)\n"}, "setuptools-scm"),
        ({"pyproject.toml": '[tool.pdm.version]\nsource = "scm"\n'}, "pdm-backend"),
        ({"pyproject.toml": '[tool.pdm.version]\nsource = "file"\npath = "x.py"\n'}, ""),
        (
            {"pyproject.toml": "[tool.poetry-dynamic-versioning]\nenable = true\n"},
            "poetry-dynamic-versioning",
        ),
        ({"pyproject.toml": '[project]\nname = "x"\nversion = "1.0"\n'}, ""),
    ],
)
def test_versions_read_from_git(tmp_path, files, backend):
    found = finding_of(repo(tmp_path, files), "scm_version", empty="")
    assert found["value"] == backend and bool(found["why"]) is bool(backend)


def test_image_paths_in_the_start_command_become_source_paths(tmp_path):
    root = repo(
        tmp_path,
        {
            "Dockerfile": 'FROM python:3.12-slim\nWORKDIR /code\nCOPY . /code/\nEXPOSE 8000\nCMD ["uwsgi", '
            '"/code/etc/uwsgi.ini"]\n',
            "etc/uwsgi.ini": "[uwsgi]\nhttp-socket = :8000\nmodule = site.wsgi\n",
            "requirements.txt": "uwsgi\n",
        },
    )
    found = detect_app(root)["value"]
    assert found["app_kind"] == "web"
    assert found["app_command"].startswith("uwsgi") and "etc/uwsgi.ini" in found["app_command"]
    assert "/code/" not in found["app_command"]
    # An ini file that already listens on $(PORT) (uWSGI's environment placeholder) is left alone.
    (root / "etc/uwsgi.ini").write_text("[uwsgi]\nhttp-socket = :$(PORT)\n")
    assert detect_app(root)["value"]["app_command"] == "uwsgi etc/uwsgi.ini"


def test_backing_services_of_the_test_job(tmp_path):
    root = repo(
        tmp_path / "a",
        {
            ".github/workflows/ci.yml": """
jobs:
  test:
    services:
      postgres:
        image: postgres:15
        env: {POSTGRES_PASSWORD: postgres, POSTGRES_DB: app}
        ports: ['5433:5432']
        options: --health-cmd "pg_isready -U postgres" --health-interval 10s
      cache:
        image: redis:7
    steps:
      - run: pytest
        env:
          DATABASE_URL: 'postgres://postgres:postgres@localhost:${{ job.services.postgres.ports[5432] }}/app'
""",
            "requirements.txt": "pytest\n",
        },
    )
    found = finding_of(root, "test_services", empty={})
    assert found["value"] == {
        "postgres": {
            "image": "postgres:15",
            "env": {"POSTGRES_PASSWORD": "postgres", "POSTGRES_DB": "app"},
            "port": 5433,
            "container_port": 5432,
            "health": "pg_isready -U postgres",
        },
        "cache": {"image": "redis:7", "port": 6379, "health": "redis-cli ping"},
    }
    assert found["why"] == "the services: of the test job in .github/workflows/ci.yml"
    # The port Actions mapped, in the test step's env, is the service's port.
    assert detect_app(root)["value"]["test_env"] == {
        "DATABASE_URL": "postgres://postgres:postgres@localhost:5433/app"
    }


def test_backing_services_from_compose_only_without_a_test_job(tmp_path):
    compose = {
        "compose.yml": """
services:
  web: {build: ., command: gunicorn app:app}
  db:
    image: postgres:16-alpine
    environment: [POSTGRES_PASSWORD=secret]
    healthcheck: {test: ["CMD-SHELL", "pg_isready -U postgres"]}
  mail: {image: mailhog/mailhog}
""",
        "requirements.txt": "pytest\n",
    }
    found = finding_of(repo(tmp_path / "a", compose), "test_services", empty={})
    assert found["value"] == {
        "db": {
            "image": "postgres:16-alpine",
            "env": {"POSTGRES_PASSWORD": "secret"},
            "port": 5432,
            "health": "pg_isready -U postgres",
        }
    }
    assert "a guess" in found["why"]
    # A CI job that runs the tests without services says they need none.
    with_ci = repo(
        tmp_path / "b",
        compose | {".github/workflows/t.yml": "jobs:\n  t:\n    steps:\n      - run: pytest\n"},
    )
    assert finding_of(with_ci, "test_services", empty={}) == {
        "value": {},
        "why": "the test job in .github/workflows/t.yml has no services:",
    }


COMPOSE_UP_REPO = {
    ".github/workflows/test-backend.yml": """
jobs:
  test-backend:
    steps:
      - run: docker compose down -v --remove-orphans
      - run: docker compose up -d --wait db mailpit
      - name: Run tests
        run: uv run bash scripts/tests-start.sh "Coverage"
        working-directory: backend
""",
    "compose.yml": """
services:
  db:
    image: postgres:${POSTGRES_VERSION:-17}
    healthcheck: {test: ["CMD-SHELL", "pg_isready -U postgres -d app"]}
    environment:
      - POSTGRES_PASSWORD=${POSTGRES_PASSWORD:?Variable not set}
      - POSTGRES_DB=app
      - PGDATA=/var/lib/postgresql/data/pgdata
  backend: {build: ./backend}
  cache: {image: "${REGISTRY}/redis:7"}
""",
    # Compose merges the override by default: the ports come from there.
    "compose.override.yml": 'services:\n  db:\n    ports: ["5433:5432"]\n  mailpit:\n    image: '
    'axllent/mailpit\n    ports: ["1025:1025"]\n',
    ".env": "# read by compose\nPOSTGRES_PASSWORD=changethis\n",
    # The test step runs a script that runs another that runs pytest.
    "backend/scripts/tests-start.sh": "#!/bin/sh\nset -e\npython app/pre_start.py\nbash scripts/test.sh "
    '"$@"\n',
    "backend/scripts/test.sh": "#!/bin/sh\ncoverage run -m pytest tests/\n",
    "backend/pyproject.toml": "[project]\nname = 'app'\n",
}


def test_services_the_test_job_starts_with_docker_compose(tmp_path):
    root = repo(tmp_path / "a", COMPOSE_UP_REPO)
    found = finding_of(root, "test_services", "backend", empty={})
    assert found["value"] == {
        "db": {
            "image": "postgres:17",
            "env": {
                "POSTGRES_PASSWORD": "changethis",
                "POSTGRES_DB": "app",
                "PGDATA": "/var/lib/postgresql/data/pgdata",
            },
            "port": 5433,
            "container_port": 5432,
            "health": "pg_isready -U postgres -d app",
        },
        "mailpit": {"image": "axllent/mailpit", "port": 1025},
    }
    assert found["why"] == (
        "`docker compose up -d --wait db mailpit` in the test job, from compose.yml + "
        "compose.override.yml in .github/workflows/test-backend.yml"
    )
    # No service named: the database-like ones; an image that needs an unset variable is left out.
    unnamed = repo(
        tmp_path / "b",
        COMPOSE_UP_REPO
        | {
            ".github/workflows/test-backend.yml": COMPOSE_UP_REPO[
                ".github/workflows/test-backend.yml"
            ].replace("up -d --wait db mailpit", "-f compose.yml up -d")
        },
    )
    assert set(finding_of(unnamed, "test_services", "backend", empty={})["value"]) == {"db"}
    # Without the .env value the password is unknown: the database stays, its env without it.
    bare = repo(tmp_path / "c", {k: v for k, v in COMPOSE_UP_REPO.items() if k != ".env"})
    assert (
        "POSTGRES_PASSWORD"
        not in finding_of(bare, "test_services", "backend", empty={})["value"]["db"]["env"]
    )


def test_compose_interpolation():
    env = {"A": "1", "EMPTY": ""}
    assert services.interpolate("x${A}y$A", env) == "x1y1"
    assert (
        services.interpolate("${B:-dflt}", env) == "dflt" and services.interpolate("${EMPTY:-d}", env) == "d"
    )
    assert services.interpolate("${EMPTY-d}", env) == "" and services.interpolate("$$HOME", env) == "$HOME"
    assert services.interpolate("${B:?set it}", env) is None and services.interpolate("$B", env) is None


@pytest.mark.parametrize(
    ("hosts", "probe"),
    [
        ("['.railway.app', '127.0.0.1']", "127.0.0.1"),
        ("['*']", "localhost"),
        ("[]", "localhost"),
        ("['shop.example.com', 'localhost']", "localhost"),
        ("['shop.example.com']", "shop.example.com"),
        ("os.environ['HOSTS'].split(',')", "localhost"),
    ],
)
def test_the_host_header_probes_send(tmp_path, hosts, probe):
    root = repo(tmp_path, {"manage.py": "", "site/settings.py": f"ALLOWED_HOSTS = {hosts}\n"})
    found = finding_of(root, "probe_host", empty="localhost")
    assert found["value"] == probe
    assert bool(found["why"]) is hosts.startswith("[")


def test_a_member_of_a_virtual_uv_workspace(tmp_path):
    """The root holds only the workspace (no [project]) and the one uv.lock: the app is the member no
    other member depends on; Docker must build from the root (workspace_root ..), uv sync --package."""
    root = repo(
        tmp_path,
        {
            "pyproject.toml": '[tool.uv.workspace]\nmembers = ["backend", "libs/*"]\nexclude = ["libs/old"]\n'
            "",
            "uv.lock": 'version = 1\n[manifest]\nmembers = ["api", "shared"]\n',
            "backend/pyproject.toml": '[project]\nname = "api"\ndependencies = ["shared>=1", "fastapi"]\n',
            "libs/shared/pyproject.toml": '[project]\nname = "shared"\n',
            "libs/old/pyproject.toml": '[project]\nname = "old"\n',
            "frontend/package.json": "{}",
        },
    )
    assert finding_of(root, "project_dir", empty=".")["value"] == "backend"
    workspace = finding_of(root, "workspace_root", "backend")
    assert workspace["value"] == ".." and "uv.lock" in workspace["why"]
    assert finding_of(root, "workspace_package", "backend")["value"] == "api"
    assert detect_layout(root, "backend")["layout"] == "uv"
    assert finding_of(root, "workspace_root", ".")["value"] is None  # the lock is project_dir's own: "."
    assert checks.repository_workspace_error(root, "backend", "workspace_root", "..") == ""
    assert checks.repository_workspace_error(root, "backend", "workspace_root", "../..") == (
        "workspace_root: ../.. from project_dir backend leaves the repository"
    )
    assert checks.repository_workspace_error(root, "backend", "workspace_root", "libs").startswith(
        "workspace_root: libs must be"
    )
    assert checks.repository_member_error(root, "backend", "..", "workspace_package", "shared") == ""
    assert checks.repository_member_error(root, "backend", "..", "workspace_package", "app") == (
        "workspace_package: app is not a member of the workspace in uv.lock (it has api, shared)"
    )


def test_router_prefixes_through_includes_and_settings(tmp_path):
    """A router included without a prefix inherits its includer's; a prefix held in settings is read
    from its literal assignment, and one that has none is said to be a guess."""
    files = {
        "requirements.txt": "fastapi\nuvicorn\n",
        "app/core/config.py": 'class Settings:\n    API_V1_STR: str = "/api/v1"\n',
        "app/main.py": "from app.api.main import api_router\nfrom app.core.config import settings\n"
        "app = FastAPI()\napp.include_router(api_router, prefix=settings.API_V1_STR)\n",
        "app/api/main.py": "from app.api.routes import utils\napi_router = APIRouter()\n"
        "api_router.include_router(utils.router)\n",
        "app/api/routes/utils.py": 'router = APIRouter(prefix="/utils")\n@router.get("/health-check/")\ndef '
        "h(): ...\n",
    }
    assert app(tmp_path / "a", files)["health_path"] == "/api/v1/utils/health-check/"
    files["app/core/config.py"] = "class Settings:\n    API_V1_STR: str = os.environ['PREFIX']\n"
    found = detect_app(repo(tmp_path / "b", files))
    assert found["value"]["health_path"] == "/utils/health-check/"
    assert "a guess: the prefix settings.API_V1_STR has no literal value" in found["why"]["health_path"]


def test_every_rule_names_its_question_and_says_where_in_its_docstring():
    """RULES is the registry: each rule answers the question it is listed under, one copier.yml asks;
    its docstring's first paragraph is the "where" shown (a rule without one could not tell the user
    anything); what it needs is decided before it, and no two rules need each other."""
    import yaml

    questions = yaml.safe_load((ROOT / "copier.yml").read_text())
    every = [rule for rules in RULES.values() for rule in rules]
    for question, rules in RULES.items():
        assert question in questions, f"RULES[{question!r}] is no question"
        for rule in rules:
            assert rule.question == question, (
                f"{rule.__name__} answers {rule.question!r}, listed under {question!r}"
            )
            assert (rule.__doc__ or "").strip(), f"{rule.__name__} has no docstring"
            assert set(rule.needs) <= set(RULES), rule.__name__
    assert len({rule.__name__ for rule in every}) == len(every)
    decided = order()
    for question, rules in RULES.items():
        for needed in (n for rule in rules for n in rule.needs):
            assert decided.index(needed) < decided.index(question), (needed, question)


def test_each_reason_is_the_docstring_of_the_rule_that_found_it(tmp_path):
    files = {
        "Dockerfile": "FROM python:3.12\nEXPOSE 5000\nRUN apt-get install -y libpq5\nCMD gunicorn app:app\n",
        "requirements.txt": "flask\ngunicorn\n",
        "app.py": "app = Flask(__name__)\n",
        "tests/test_x.py": "import unittest\n",
    }
    found = detect_app(repo(tmp_path, files))
    assert (
        found["why"]["app_port"]
        == image.DockerfileExpose.where({"file": "Dockerfile"})
        == "Dockerfile (EXPOSE)"
    )
    assert found["why"]["app_kind"] == "Dockerfile (CMD), which starts a server"
    assert found["why"]["runtime_packages"] == "Dockerfile (apt-get install of the final stage)"
    assert found["why"]["health_path"].startswith("a guess: no health route found; the root page")


def test_load_paths_are_the_plain_get_routes_with_their_prefixes(tmp_path):
    root = repo(
        tmp_path,
        {
            "app/main.py": "from fastapi import FastAPI\nfrom app.api import router\napp = FastAPI()\n"
            "app.include_router(router, prefix='/api/v1')\n"
            "@app.get('/')\ndef index(): ...\n@app.get('/healthz')\ndef health(): ...\n",
            "app/api.py": "from fastapi import APIRouter\nrouter = APIRouter()\n"
            "@router.get('/items')\ndef items(): ...\n@router.get('/items/{item_id}')\ndef item(item_id): "
            "...\n"
            "@router.get('/login')\ndef login(): ...\n@router.post('/orders')\ndef order(): ...\n"
            "def other(data):\n    return data.get('/not-a-route')\n",
        },
    )
    found = finding_of(root, "load_paths")
    assert found["value"] == ["/api/v1/items"], found
    assert found["why"].startswith("a guess: routes without parameters in app/api.py")
    # Nothing visible: the root page, said to be a guess.
    empty = repo(tmp_path / "empty", {"app.py": "app = object()\n"})
    assert finding_of(empty, "load_paths") == {
        "value": ["/"],
        "why": "a guess: no route without parameters found in the code; the root page",
    }
    assert finding_of(tmp_path / "missing", "load_paths")["value"] is None


# ------------------------------------------------ following what the project's own automation runs
MAKE_CI = """
jobs:
  db:
    services:
      postgres: {image: postgres, ports: ['5432:5432']}
    steps:
      - run: uv run make test
        env: {TESTING_DATABASE_URL: 'postgres://postgres@localhost/x'}
  lite:
    steps:
      - run: |
          sudo rm -f /etc/boto.cfg
          uv run make test
        env: {TESTING_DATABASE_URL: 'sqlite://'}
"""


def test_a_make_target_is_followed_and_the_job_without_services_is_preferred(tmp_path):
    root = repo(
        tmp_path,
        {
            ".github/workflows/sqlite.yml": MAKE_CI,
            "Makefile": "lint:\n\truff check .\n\ntest:\n\t@pytest -rf --cov=app \\\n\t\t-n auto\n",
            "pyproject.toml": '[project]\nname = "app"\n',
        },
    )
    found = detect_app(root)["value"]
    assert found["test_command"] == "pytest -rf --cov=app -n auto"
    assert found["test_env"] == {"TESTING_DATABASE_URL": "sqlite://"}
    assert finding_of(root, "test_services", empty={}) == {
        "value": {},
        "why": "the test job in .github/workflows/sqlite.yml has no services:",
    }


def test_a_gulp_task_a_script_without_extension_and_coverage_are_followed(tmp_path):
    gulp = repo(
        tmp_path / "gulp",
        {
            ".github/workflows/ci.yml": "jobs:\n  test:\n    steps:\n      - run: gulp lint\n      - run: "
            "gulp coverage\n",
            "gulpfile.js": 'function coverage(cb) {\n  spawn(\n    "pipenv",\n    ["run", "coverage", "run", '
            '"manage.py", '
            '"test", "--settings=site.settings.test", "--parallel"],\n  );\n}\n'
            'gulp.task("coverage", coverage);\n',
            "manage.py": "",
        },
    )
    assert (
        detect_app(gulp)["value"]["test_command"]
        == "python manage.py test --settings=site.settings.test --parallel"
    )
    script = repo(
        tmp_path / "script",
        {
            ".github/workflows/tests.yml": "jobs:\n  t:\n    steps:\n      - run: |\n          poetry run "
            "alembic "
            "upgrade head\n          poetry run ./scripts/test\n",
            "scripts/test": "#!/usr/bin/env bash\nset -e\npytest --cov=app ${@}\n",
        },
    )
    found = detect_app(script)["value"]
    assert found["test_command"] == "pytest --cov=app"
    assert found["test_setup_command"] == "alembic upgrade head"  # a release step the job runs first


def test_a_start_script_keeps_the_defaults_it_sets_and_a_procfile_script_is_followed(tmp_path):
    root = repo(
        tmp_path / "entry",
        {
            "Dockerfile": 'FROM python:3.11-slim\nEXPOSE 8000\nENTRYPOINT ["/opt/app/docker-entrypoint.sh"]\n'
            "COPY . /opt/app\n",
            "docker-entrypoint.sh": "#!/bin/bash\nWORKERS=${WORKERS:-1}\nLOG=${LOG:--}\npython ping.py\n"
            "flask db upgrade\n"
            "exec gunicorn 'app:create_app()' --bind '0.0.0.0:8000' --workers $WORKERS "
            '--access-logfile "$LOG"\n',
        },
    )
    found = detect_app(root)["value"]
    assert found["app_command"] == (
        "gunicorn --bind 0.0.0.0:$PORT 'app:create_app()' --workers ${WORKERS:-1} "
        '--access-logfile "${LOG:--}"'
    )
    assert found["release_command"] == "flask db upgrade"
    procfile = repo(
        tmp_path / "procfile",
        {
            "Procfile": "web: bash Procfile.sh\n",
            "Procfile.sh": "#!/bin/bash\npython manage.py migrate\ngunicorn site.wsgi:application --timeout "
            "30\n",
            "manage.py": "",
            "requirements.txt": "django\n",
        },
    )
    found = detect_app(procfile)["value"]
    assert found["app_command"] == "gunicorn --bind 0.0.0.0:$PORT site.wsgi:application --timeout 30"
    assert found["release_command"] == "python manage.py migrate"


def test_the_projects_own_command_that_migrates_is_a_release_step(tmp_path):
    """A start script's `flask deploy` (a CLI command of the project whose body calls upgrade()), in a
    retry loop, and a Django management command that calls migrate: followed into the code."""
    flask = repo(
        tmp_path / "flask",
        {
            "Dockerfile": 'FROM python:3.11-slim\nEXPOSE 5000\nENTRYPOINT ["./boot.sh"]\nCOPY . /home/app\n'
            "WORKDIR /home/app\n",
            "boot.sh": "#!/bin/sh\nwhile true; do\n    flask deploy\n    if [ $? = 0 ]; then\n        break\n"
            "    fi\n    sleep 5\ndone\nflask profile\nexec gunicorn -b :5000 app:app\n",
            "app.py": "@app.cli.command()\ndef deploy():\n    upgrade()\n\n\n@app.cli.command()\n"
            "@click.option('--length')\ndef profile(length):\n    run_profiler()\n",
            "requirements.txt": "flask\ngunicorn\n",
        },
    )
    assert detect_app(flask)["value"]["release_command"] == "flask deploy"
    django = repo(
        tmp_path / "django",
        {
            "Procfile": "web: sh start.sh\n",
            "start.sh": "python manage.py setup_site\npython manage.py check\ngunicorn site.wsgi\n",
            "manage.py": "",
            "site/management/commands/setup_site.py": "def handle(self):\n    call_command('migrate')\n",
            "requirements.txt": "django\n",
        },
    )
    assert detect_app(django)["value"]["release_command"] == "python manage.py setup_site"


def test_an_install_step_before_the_tests_is_not_a_setup_step(tmp_path):
    root = repo(
        tmp_path,
        {
            ".github/workflows/tests.yml": "jobs:\n  t:\n    steps:\n      - run: |\n          python -m pip "
            "install --upgrade pip\n          pip install -r requirements.txt\n      - run: python manage.py "
            "collectstatic --noinput\n      - run: python manage.py test\n",
            "manage.py": "",
        },
    )
    assert detect_app(root)["value"]["test_setup_command"] == "python manage.py collectstatic --noinput"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("coverage run manage.py test", "python manage.py test"),
        ("coverage run --source=app -p -m pytest -x", "python -m pytest -x"),
        ("python -m coverage run --rcfile .coveragerc -m pytest", "python -m pytest"),
        ("coverage report", "coverage report"),
    ],
)
def test_coverage_is_ci_s_concern(line, expected):
    assert shell.clean_command(line) == expected


def test_a_comment_inside_a_continued_run_is_no_package(tmp_path):
    root = repo(
        tmp_path,
        {
            "Dockerfile": "FROM python:3.12-slim\nRUN apt-get update && apt-get install -y \\\n"
            "    # the database client\n    libpq5 \\\n    # images\n    libjpeg62-turbo \\\n"
            "    && rm -rf /var/lib/apt/lists/*\nCMD gunicorn app:app\n",
        },
    )
    assert detect_app(root)["value"]["runtime_packages"] == "libpq5 libjpeg62-turbo"


def test_what_the_app_needs_to_start_for_the_smoke_check(tmp_path):
    """The example environment file, less what points at another host (a compose service's name); a
    throwaway SECRET_KEY where Django's settings read one with nothing to fall back on; and CI's test
    environment first where there is one."""
    django = {
        "manage.py": 'os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site.settings")\n',
        "site/settings.py": 'SECRET_KEY = os.environ.get("SECRET_KEY") or None\n',
        ".env.example": "DEBUG=True\nCACHE_URL=redis://redis:6379/0\n"
        "DATABASE_URL=postgres://u:p@localhost/db\n",
    }
    found = finding_of(repo(tmp_path / "a", django), "smoke_env")
    assert found["value"] == {
        "DEBUG": "True",
        "DATABASE_URL": "postgres://u:p@localhost/db",
        "SECRET_KEY": "smoke-test-only-not-a-secret",
    }
    assert found["why"] == ".env.example, a throwaway SECRET_KEY (the settings read it from the environment)"
    with_default = django | {"site/settings.py": 'SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only")\n'}
    assert "SECRET_KEY" not in finding_of(repo(tmp_path / "b", with_default), "smoke_env")["value"]
    with_ci = django | {
        ".github/workflows/t.yml": "jobs:\n  t:\n    steps:\n      - run: python manage.py test\n"
        "        env: {SECRET_KEY: for-tests}\n"
    }
    assert finding_of(repo(tmp_path / "c", with_ci), "smoke_env")["value"] is None  # test_env says it all


def test_an_exported_requirements_file_before_a_pipfile_without_lock_and_poetry_s_dev_table(tmp_path):
    pipenv = repo(
        tmp_path / "pipenv", {"Pipfile": "[packages]\ndjango = '*'\n", "requirements.txt": "django==5.1\n"}
    )
    assert detect_layout(pipenv)["layout"] == "requirements"
    assert checks.repository_lock_error(pipenv, ".", "dependency_layout", "pipenv").startswith(
        "dependency_layout: pipenv installs from Pipfile.lock, which this project does not have: run `pipenv "
        "lock`"
    )
    poetry = repo(
        tmp_path / "poetry",
        {
            "pyproject.toml": '[tool.poetry]\nname = "x"\n[tool.poetry.dev-dependencies]\npytest = "^7.1"\n',
            "poetry.lock": "",
        },
    )
    assert detect_layout(poetry) | {"requirements": ""} == {
        "layout": "poetry",
        "requirements": "",
        "test_requirements": "",
        "test_extra": "dev",
    }


def test_load_paths_leave_out_what_needs_a_login_or_is_no_get(tmp_path):
    root = repo(
        tmp_path,
        {
            "app/views.py": "bp = Blueprint('main', __name__)\n"
            "@bp.route('/explore')\n@login_required\ndef explore(): ...\n"
            "@bp.route('/attempt', methods=['POST'])\ndef attempt(): ...\n"
            "@bp.route('/scoreboard', methods=['GET'])\ndef scoreboard(): ...\n"
            "@bp.route('/writers')\ndef writers(): ...\n"
            "@bp.route('/admin-stats')\n@admins_only\ndef stats(): ...\n",
            "site/urls.py": "urlpatterns = [path('dash/', login_required(views.dash)), path('about/', "
            "views.about)]\n",
        },
    )
    assert finding_of(root, "load_paths")["value"] == ["/scoreboard", "/writers", "/about/"]


def test_a_unittest_command_that_would_run_no_test_is_refused_and_never_chosen(tmp_path):
    files = {
        "tests/test_app.py": "import unittest\n\n\nclass T(unittest.TestCase):\n    pass\n",
        "app.py": "",
    }
    root = repo(tmp_path / "a", files)
    assert detect_app(root)["value"]["test_command"] == "python -m unittest discover -s tests"
    error = checks.repository_tests_error(root, ".", "test_command", "python -m unittest")
    assert error.startswith("test_command: `python -m unittest` runs no test here: tests/ has no __init__.py")
    assert "python -m unittest discover -s tests" in error
    assert (
        checks.repository_tests_error(root, ".", "test_command", "python -m unittest discover -s tests") == ""
    )
    with_pytest = repo(tmp_path / "b", {**files, "requirements.txt": "pytest\n"})
    assert detect_app(with_pytest)["value"]["test_command"] == "python -m pytest"
    package = repo(tmp_path / "c", {**files, "tests/__init__.py": ""})
    assert detect_app(package)["value"]["test_command"] == "python -m unittest"
    assert checks.repository_tests_error(package, ".", "test_command", "python -m unittest") == ""


def test_a_service_an_action_starts_is_a_test_service(tmp_path):
    root = repo(
        tmp_path,
        {
            ".github/workflows/ci.yml": "jobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n"
            "      - uses: actions/checkout@v4\n"
            "      - uses: supercharge/redis-github-action@1.8.0\n"
            "        with:\n          redis-version: '7'\n"
            "      - uses: ikalnytskyi/action-setup-postgres@v7\n        with:\n          database: app\n"
            "      - uses: ankane/setup-mariadb@v1\n        if: matrix.db == 'mariadb'\n"
            "      - run: python -m pytest\n",
            "requirements.txt": "pytest\n",
        },
    )
    found = finding_of(root, "test_services")
    assert found["value"] == {
        "redis": {"image": "redis:7", "port": 6379, "health": "redis-cli ping"},
        "postgres": {
            "image": "postgres",
            "env": {"POSTGRES_USER": "postgres", "POSTGRES_PASSWORD": "postgres", "POSTGRES_DB": "app"},
            "port": 5432,
            "health": "pg_isready",
        },
    }
    assert found["why"] == "the services: of the test job in .github/workflows/ci.yml"


@pytest.mark.parametrize(
    ("dockerfile", "kind"),
    [
        (
            "FROM python:3.12-slim\nCOPY . /app\nRUN pip install /app\n"
            'ENTRYPOINT ["mylib-worker", "--queue", "jobs"]\n',
            "worker",
        ),
        (
            "FROM python:3.12-slim\nRUN pip install .\n"
            'CMD ["poetry", "run", "python", "-m", "mylib", "consume"]\n',
            "worker",
        ),
        ('FROM python:3.12-slim\nRUN pip install .\nHEALTHCHECK CMD mylib ping\nCMD ["mylib"]\n', "worker"),
        ('FROM python:3.12-slim\nRUN pip install .\nENTRYPOINT ["mylib"]\n', "library"),  # a one-shot tool
    ],
)
def test_a_package_whose_image_runs_its_own_long_running_command_is_a_service(tmp_path, dockerfile, kind):
    root = repo(tmp_path, {"pyproject.toml": '[project]\nname = "mylib"\n', "Dockerfile": dockerfile})
    found = detect_app(root)
    assert found["value"]["app_kind"] == kind, found["why"].get("app_kind")
    if kind == "worker":
        assert found["value"]["app_command"] and "Dockerfile" in found["why"]["app_kind"]


def test_the_requirements_file_the_old_image_installs_is_the_runtime_one(tmp_path):
    root = repo(
        tmp_path,
        {
            "requirements.txt": "-r requirements/heroku.txt\n",
            "requirements/heroku.txt": "psycopg2\n",
            "requirements/docker.txt": "pymysql\n",
            "Dockerfile": "FROM python:3.11-slim AS build\nCOPY requirements requirements\n"
            "RUN pip wheel --wheel-dir /w -r ./requirements/docker.txt\nFROM python:3.11-slim\nCMD app\n",
        },
    )
    found = finding_of(root, "requirements_file")
    assert found == {
        "value": "requirements/docker.txt",
        "why": "Dockerfile (`pip wheel -r requirements/docker.txt`)",
    }


def test_a_server_a_builder_stage_makes_a_wheel_of_is_an_app_package(tmp_path):
    root = repo(
        tmp_path,
        {
            "requirements.txt": "django\npsycopg\n",
            "Dockerfile": "FROM python:3.12-slim AS builder\nCOPY requirements.txt /tmp/\n"
            'RUN pip wheel --wheel-dir /wheels apprise uwsgi "psycopg[c]" -r /tmp/requirements.txt\n'
            "FROM python:3.12-slim AS tests\nRUN pip install pytest-xdist\n"
            "FROM python:3.12-slim\nCOPY --from=builder /wheels /wheels\nRUN pip install /wheels/*\n"
            'CMD ["uwsgi", "uwsgi.ini"]\n',
        },
    )
    assert finding_of(root, "app_packages")["value"] == "apprise uwsgi"  # not the unused stage's
