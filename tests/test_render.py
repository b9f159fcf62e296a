"""Render every question path and every version pair; parse what comes out and cross-check it."""

from __future__ import annotations

import configparser
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT
from python_upgrade import context as derived_values, versions
from engine import tool_version
from render import ANSWERS_FILE, load_yaml, rendered, rendered_files, versions_in

PAIRS = list(versions.PAIRS)  # every migration one minor at a time

# One answer set per question path (app kinds x dependency layouts x runtimes, mirror, suite, lanes).
PATHS = {
    "web-requirements-docker": {},
    "web-requirements-pip": {"installer": "pip"},
    "web-kubernetes": {"kubernetes": True, "image_repository": "registry.example.com/team/app"},
    "library-pyproject-pip": {"app_kind": "library", "dependency_layout": "pyproject", "installer": "pip"},
    "web-pyproject-venv": {"dependency_layout": "pyproject", "bluegreen_runtime": "venv"},
    "web-uv": {"dependency_layout": "uv", "test_extra": "test"},
    "web-uv-services": {
        "dependency_layout": "uv",
        "test_extra": "test",
        "scm_version": "hatch-vcs",
        "writable_dirs": ["media"],
        "image_excludes": ["tests"],
        "test_env": {
            "DATABASE_URL": "postgres://app:it's-a-test@localhost:5433/app",
            "SECRET_KEY": "test-only",
        },
        "test_services": {
            "db": {
                "image": "postgres:16",
                "port": 5433,
                "container_port": 5432,
                "env": {"POSTGRES_USER": "app", "POSTGRES_PASSWORD": "it's-a-test"},
                "health": 'pg_isready -U "app"',
            },
            "cache": {"image": "redis:7", "port": 6379, "health": "redis-cli ping"},
        },
    },
    "web-poetry": {"dependency_layout": "poetry", "runtime_packages": "netcat libpq5"},
    "web-pdm-served": {
        "dependency_layout": "pdm",
        "test_extra": "test",
        "app_packages": "uvicorn[standard] uwsgi==2.0.28",
        "app_env": {"DJANGO_SETTINGS_MODULE": "site.settings.prod"},
        "debian_suite": "bullseye",
        "ci_branches": ["master", "release/*"],
        "build_packages": "build-essential libpq-dev",
        "app_command": "python -m uvicorn --host 0.0.0.0 --port $PORT app:app",
    },
    "web-pipenv-pip": {"dependency_layout": "pipenv", "installer": "pip", "test_extra": "dev-packages"},
    "library-uv-no-group": {"app_kind": "library", "dependency_layout": "uv", "test_extra": ""},
    "library-pdm-no-group": {"app_kind": "library", "dependency_layout": "pdm", "test_extra": ""},
    "worker-requirements": {"app_kind": "worker", "app_command": "python -m worker --queue default"},
    "library-pyproject": {"app_kind": "library", "dependency_layout": "pyproject"},
    "library-custom": {
        "app_kind": "library",
        "requirements_file": "requirements/base.txt",
        "test_requirements_file": "requirements/test.txt",
        "test_command": "pytest -q tests",
    },
    "finished-web": {
        "phase": "finished",
        "current_python": "3.11",
        "target_python": "3.12",
        "experimental_pythons": ["3.13"],
    },
    "finished-library-uv": {"phase": "finished", "app_kind": "library", "dependency_layout": "uv"},
    # What real projects need: compilers for the dependency stages, a runtime library, steps around the
    # tests and the build, test environment variables, no test requirements file.
    "web-real-steps": {
        "test_requirements_file": "",
        "build_packages": "build-essential libpq-dev",
        "runtime_packages": "libpq5",
        "test_command": "python manage.py collectstatic --noinput && python manage.py test",
        "test_setup_command": "python manage.py migrate --noinput",
        "test_env": {"DJANGO_SETTINGS_MODULE": "site.settings_test", "DEBUG": "0"},
        "build_command": "python manage.py collectstatic --noinput",
        "app_command": "gunicorn --bind 0.0.0.0:$PORT site.wsgi",
        "health_path": "/admin/login/",
    },
    "mirror-trixie-lanes": {
        "base_image": "registry.example.com/mirror/python",
        "debian_suite": "trixie",
        "current_python": "3.12",
        "target_python": "3.13",
        "experimental_pythons": ["3.14", "3.13t", "3.14t"],
        "app_port": 9000,
        "health_path": "/-/ready",
    },
}


def stages(dockerfile: str) -> dict[str, dict]:
    """{stage: {"from": image or parent stage, "lines": [instructions]}} of a Dockerfile."""
    result, current = {}, None
    for line in dockerfile.splitlines():
        m = re.match(r"FROM (\S+) AS (\S+)$", line)
        if m:
            current = result[m.group(2)] = {"from": m.group(1), "lines": []}
        elif current is not None and line and not line.startswith("#"):
            current["lines"].append(line)
    return result


def check_project(project: Path, answers: dict) -> None:
    """The cross-checks every rendered project must pass."""
    current, target = answers.get("current_python", "3.11"), answers.get("target_python")
    saved = load_yaml(project / ANSWERS_FILE)
    assert saved["current_python"] == current and isinstance(saved["current_python"], str)
    target = target or saved["target_python"]
    assert isinstance(saved["target_python"], str)
    experimental = answers.get("experimental_pythons", [])
    kind = answers.get("app_kind", "web")
    suite = answers.get("debian_suite", "bookworm")
    base = answers.get("base_image", "python")
    finished = answers.get("phase", "dual") == "finished"
    live = [("target", target)] if finished else [("current", current), ("target", target)]
    live_versions = [v for _, v in live]
    allowed = set(live_versions) | {v.rstrip("t") for v in experimental}

    # Dockerfile: literal FROM lines per version, production gated on the test stage of its own version.
    dockerfile = (project / "python-upgrade" / "Dockerfile").read_text()
    st = stages(dockerfile)
    assert versions_in(dockerfile) == set(live_versions)
    assert {name for name in st if name.startswith("deps-")} == {f"deps-{color}" for color, _ in live}
    for color, version in live:
        assert st[f"deps-{color}"]["from"] == f"{base}:{version}-slim-{suite}"
        assert st[f"test-{color}"]["from"] == f"deps-{color}"
        if kind == "library":
            assert f"production-{color}" not in st
            continue
        prod = st[f"production-{color}"]
        assert prod["from"] == f"{base}:{version}-slim-{suite}"
        assert any(f"COPY --from=test-{color} /tmp/tests-passed" in line for line in prod["lines"])
        assert not any(
            re.search(r"COPY --from=\S+-(current|target)", line) and f"-{color} " not in line
            for line in prod["lines"]
        ), "production stage copies from the other version"
        assert "USER 10001:10001" in prod["lines"]
        assert ("HEALTHCHECK" in "\n".join(prod["lines"])) is (kind == "web")
    assert not dockerfile.startswith("# syntax=")
    # The installer: uv (a build-only tools stage; tox through tox-uv) or pip; uv never in production.
    layout = answers.get("dependency_layout", "requirements")
    derived = derived_values.derived(saved)  # the values every template reads (python_upgrade/context.py)
    uv = derived["uv"]
    assert ("tools" in st) is uv
    for name, stage in st.items():
        installs = [line for line in stage["lines"] if re.search(r"\b(pip|uv)\b.* (install|sync) ", line)]
        if name.startswith(("deps-", "test-", "app-")):
            assert all(("uv " in line) is uv for line in installs if "poetry" not in line), (name, installs)
        if name.startswith("production-"):
            assert not any("uv" in line.split() for line in stage["lines"]), name
    tox_uv = derived["tox_uv"]
    # `--target all` depends on both versions' final stages.
    final = "test" if kind == "library" else "production"
    assert st["all"]["from"] == "scratch"
    assert {line.split()[1] for line in st["all"]["lines"]} == {
        f"--from={final}-{color}" for color, _ in live
    }

    # tox: one env per version, deprecations on current, every CI lane maps to a tox env.
    tox = configparser.ConfigParser(interpolation=None)
    tox.read(project / "tox-python-upgrade.ini")
    assert ("tox-uv>=" in tox["tox"]["requires"]) is tox_uv
    env_list = [e.strip() for e in tox["tox"]["env_list"].split(",")]
    cur_tag = "py" + current.replace(".", "")
    tags = ["py" + v.replace(".", "") for v in live_versions]
    assert env_list == [*tags, "deprecations", "lint"]
    assert tox["testenv:deprecations"]["base_python"] == tags[0]
    assert f"--target-version {tags[0]}" in tox["testenv:lint"]["commands"]
    assert (
        tox.has_section("testenv:audit") is not finished
        and tox.has_section("testenv:compare") is not finished
    )
    assert "DeprecationWarning" in tox["testenv:deprecations"]["commands"]
    test_command = answers.get("test_command", "python -m pytest")
    assert test_command in tox["testenv"]["commands"]
    assert versions_in((project / "tox-python-upgrade.ini").read_text()) <= allowed

    # Workflow: parsed YAML (with `on` kept a string), matrix = both versions + experimental lanes.
    workflow_path = project / ".github" / "workflows" / "python-upgrade.yml"
    workflow = load_yaml(workflow_path)
    assert set(workflow["on"]) == {"push", "pull_request", "workflow_dispatch"}
    assert dict(workflow["permissions"]) == {"contents": "read"}
    assert "concurrency" in workflow
    tox_job = workflow["jobs"]["tox"]
    assert tox_job["strategy"]["fail-fast"] is False
    lanes = tox_job["strategy"]["matrix"]["include"]
    # A free-threaded lane ("3.14t") asks setup-python for 3.14 with `freethreaded` and runs py314t.
    assert [lane["python"] + ("t" if lane.get("freethreaded") else "") for lane in lanes] == [
        *live_versions,
        *experimental,
    ]
    assert all(isinstance(lane["python"], str) for lane in lanes)
    assert [lane["experimental"] for lane in lanes] == [False] * len(live) + [True] * len(experimental)
    assert lanes[0]["toxenv"] == f"{tags[0]},deprecations,lint"
    for lane in lanes:
        first = lane["toxenv"].split(",")[0]
        assert first == "py" + lane["python"].replace(".", "") + ("t" if lane.get("freethreaded") else "")
    assert versions_in(workflow_path.read_text()) <= allowed
    for job in workflow["jobs"].values():
        assert "timeout-minutes" in job
        for step in job["steps"]:
            if "uses" in step:
                assert re.fullmatch(r"[\w-]+/[\w-]+@[0-9a-f]{40}", step["uses"]), step["uses"]
    docker_job = workflow["jobs"]["docker"]
    assert [(c["color"], c["python"]) for c in docker_job["strategy"]["matrix"]["include"]] == live
    builds = [s["with"] for s in docker_job["steps"] if "build-push-action" in s.get("uses", "")]
    assert builds[0]["target"] == "test-${{ matrix.color }}"
    assert builds[0]["file"] == "python-upgrade/Dockerfile"
    assert "scope=python-upgrade-${{ matrix.color }}" in builds[0]["cache-to"]
    setup = next(s for s in tox_job["steps"] if "setup-python" in s.get("uses", ""))
    install_tox = next(s["run"] for s in tox_job["steps"] if s.get("name") == "Install tox")
    assert ("pipx inject tox tox-uv==" in install_tox) is tox_uv
    expected_paths = {
        "requirements": {
            answers.get("requirements_file", "requirements.txt"),
            answers.get("test_requirements_file", "requirements-dev.txt"),
        }
        - {""},
        "pyproject": {"pyproject.toml"},
        "uv": set(),  # uv keeps its own cache: setup-python's pip cache has nothing to key on
        "poetry": {"poetry.lock"},
        "pdm": {"pdm.lock"},
        "pipenv": {"Pipfile.lock"},
    }[layout]
    assert set(setup["with"].get("cache-dependency-path", "").split()) == expected_paths
    assert (setup["with"].get("cache") == "pip") is bool(expected_paths)

    assert ("audit" in workflow["jobs"]) is not finished
    for tool in ("audit.py", "compare.py"):
        assert (project / "python-upgrade" / tool).exists() is not finished
    if not finished:
        audit_job = workflow["jobs"]["audit"]
        audit_setup = next(s for s in audit_job["steps"] if "setup-python" in s.get("uses", ""))
        assert audit_setup["with"]["python-version"] == current
        assert any("run -e audit" in s.get("run", "") for s in audit_job["steps"])
        assert tox["testenv:audit"]["base_python"] == cur_tag
        assert "GITHUB_STEP_SUMMARY" in tox["testenv:audit"]["pass_env"]
        assert tox["testenv:compare"]["deps"].split() == [
            f"tox=={tool_version('tox')}",
            *([f"tox-uv=={tool_version('tox_uv')}"] if tox_uv else []),
        ]
        # The audit and compare tools (plain programs) read this pair's data from migration.json.
        for tool in ("audit.py", "compare.py"):
            compile((project / "python-upgrade" / tool).read_text(), tool, "exec")
        audit_data = json.loads((project / "python-upgrade" / "migration.json").read_text())
        assert (audit_data["current"], audit_data["target"]) == (current, target)
        assert audit_data["dependency_layout"] == saved["dependency_layout"]
        assert audit_data["glibc"] == {"bullseye": "2.31", "bookworm": "2.36", "trixie": "2.41"}[suite]
        assert tox["testenv:audit"]["deps"].split("\n")[-1].strip() == f"uv=={tool_version('uv')}"

    # Every file reads as if written by hand: no leading or doubled blank lines (Python's two before a
    # definition aside), no trailing whitespace, one final newline.
    for path in rendered_files(project):
        text = path.read_text()
        assert not text.startswith("\n") and text.endswith("\n") and not text.endswith("\n\n"), path
        assert path.suffix == ".py" or "\n\n\n" not in text, path
        assert not re.search(r"[ \t]$", text, re.M), path

    # The runbook and the blue-green settings name the same versions.
    runbook = (project / "python-upgrade" / "MIGRATION.md").read_text()
    assert (f"on Python {target}" if finished else f"Python {current} → {target}") in runbook
    bluegreen = project / "deploy" / "bluegreen"
    assert bluegreen.exists() is (kind == "web" and not finished)
    if bluegreen.exists():
        conf = (bluegreen / "bluegreen.conf").read_text()
        assert f"BG_BLUE_PYTHON:={current}}}" in conf and f"BG_GREEN_PYTHON:={target}}}" in conf
        # The script is a plain file, copied as it is: the versions are the conf's alone.
        source = (
            ROOT
            / "template"
            / "{{ project_dir }}"
            / "{% if app_kind == 'web' and phase == 'dual' %}deploy{% endif %}"
        )
        assert (bluegreen / "bluegreen.sh").read_text() == (source / "bluegreen" / "bluegreen.sh").read_text()


@pytest.mark.parametrize("name", PATHS)
def test_question_paths_render_consistently(copie, name):
    answers = PATHS[name]
    project = rendered(copie, **answers)
    check_project(project, answers)


@pytest.mark.parametrize(("current", "target"), PAIRS, ids=[f"{c}-{t}" for c, t in PAIRS])
def test_version_pairs_render_consistently(copie, current, target):
    answers = {"current_python": current, "target_python": target}
    project = rendered(copie, **answers)
    check_project(project, answers)


def test_default_target_is_the_next_minor(copie):
    project = rendered(copie, current_python="3.9")
    assert load_yaml(project / ANSWERS_FILE)["target_python"] == "3.10"


def test_3_10_is_never_3_1(copie):
    project = rendered(copie, current_python="3.10", target_python="3.11")
    text = (project / ANSWERS_FILE).read_text()
    assert "current_python: '3.10'" in text
    assert "python:3.10-slim-bookworm" in (project / "python-upgrade" / "Dockerfile").read_text()
    assert "py310" in (project / "tox-python-upgrade.ini").read_text()
    assert '"3.10"' in (project / ".github" / "workflows" / "python-upgrade.yml").read_text()
    for path in project.rglob("*"):
        if path.is_file():
            assert not re.search(r"(?<![\w.])3\.1(?![\d.])", path.read_text()), path


def copier_cli(dst: Path, *args: str, quiet: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "copier",
            "copy",
            "--trust",
            "--defaults",
            *(["--quiet"] if quiet else []),
            *args,
            str(ROOT),
            str(dst),
        ],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


BAD = [
    (["-d", "current_python=3.12", "-d", "target_python=3.12"], "target_python: 3.12 must be newer"),
    (["-d", "current_python=3.12", "-d", "target_python=3.11"], "target_python: 3.11 must be newer"),
    (["-d", "current_python=3.x"], "current_python: '3.x' is not a Python minor version"),
    (["-d", "current_python=2.7"], "current_python: 2.7 is outside the supported range"),
    (["-d", "current_python=4.0"], "current_python: 4.0 is outside the supported range"),
    (["-d", "current_python=3.12.1.5"], "current_python: '3.12.1.5' is not a Python minor version"),
    (["-d", "target_python=3.12.1.5"], "target_python: '3.12.1.5' is not a Python minor version"),
    (["-d", "app_kind=web", "-d", "app_port=99999"], "app_port: 99999 is not a port"),
    (["-d", "app_kind=web", "-d", "app_port=http"], "app_port: 'http' is not a port number"),
    (["-d", "app_kind=web", "-d", "health_path=healthz"], "health_path: 'healthz' must start with /"),
    (
        ["-d", "app_kind=web", "-d", "health_path=/health z"],
        "health_path: '/health z' must be a plain URL path",
    ),
    (["-d", "project_name="], "project_name: must not be empty"),
    (["-d", "app_kind=worker", "-d", "app_command="], "app_command: must not be empty"),
    (["-d", "test_command="], "test_command: must not be empty"),
    (["-d", "experimental_pythons=[3.14]"], "experimental_pythons: 3.14 is a number"),
    (["-d", "experimental_pythons=['3.12t']"], "experimental_pythons: 3.12t has no free-threaded build"),
    (["-d", "base_image=python:3.12"], "base_image: 'python:3.12' is not an image repository"),
    (
        ["-d", "current_python=3.8", "-d", "debian_suite=trixie"],
        "debian_suite: there is no python:3.8-slim-trixie",
    ),
    (
        ["-d", "requirements_file=requirements.txt", "-d", "test_requirements_file=requirements.txt"],
        "test_requirements_file: must differ",
    ),
    (
        ["-d", "test_requirements_file=requirements-dev.txt"],
        "test_requirements_file: requirements-dev.txt does not exist in this repository",
    ),
    (
        ["-d", "requirements_file=requirements/prod.txt"],
        "requirements_file: requirements/prod.txt does not exist",
    ),
    (["-d", "build_packages=build-essential Libpq"], "build_packages: 'Libpq' is not a Debian package name"),
    (
        ["-d", "app_kind=web", "-d", "runtime_packages=libpq5;true"],
        "runtime_packages: 'libpq5;true' is not a Debian",
    ),
    (["-d", "test_env=[1]"], "test_env: expected a mapping"),
    (["-d", "test_setup_command=a\nb"], "test_setup_command: must be a single line"),
    (["-d", "test_services={db: {port: 5432}}"], "test_services.db: needs an image"),
    (["-d", "test_services={db: {image: 'postgres:16'}}"], "test_services.db: needs the port"),
    (
        ["-d", "test_services={db: {image: 'postgres:16', port: 5432, ports: [1]}}"],
        "test_services.db: unknown key 'ports'",
    ),
    (
        ["-d", "app_kind=web", "-d", "writable_dirs=[../up]"],
        "writable_dirs: '../up' is not a path inside the project",
    ),
    (["-d", "app_kind=web", "-d", "image_excludes=tests"], "image_excludes: 'tests' must be a list"),
]


@pytest.mark.parametrize(("args", "message"), BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_answers_are_refused_and_nothing_is_written(tmp_path, args, message):
    """One line naming the question, the value, where it came from and the -d that fixes it."""
    dst = tmp_path / "project"
    dst.mkdir()
    (dst / "requirements.txt").write_text("markupsafe==3.0.2\n")
    result = copier_cli(dst, *args)
    assert result.returncode != 0
    field = message.split(":")[0]
    question = field.split(".")[0]  # test_services.db -> the question test_services
    lines = [line for line in result.stderr.splitlines() if line.startswith(field + ":")]
    assert len(lines) == 1 and message in lines[0], result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert (
        "(value from -d or --data-file: " + question in lines[0]
        and f"give another with -d {question}=..." in lines[0]
    )
    assert sorted(p.name for p in dst.iterdir()) == ["requirements.txt"]
    assert (dst / "requirements.txt").read_text() == "markupsafe==3.0.2\n"


def test_unquoted_3_10_in_a_data_file_is_refused_with_a_hint(tmp_path):
    data = tmp_path / "answers.yml"
    data.write_text("current_python: 3.10\n")  # YAML reads the float 3.1
    dst = tmp_path / "project"
    result = copier_cli(dst, "--data-file", str(data))
    assert result.returncode != 0
    assert "current_python: 3.1 is outside the supported range" in result.stderr
    assert "quote it" in result.stderr
    assert not dst.exists() or not any(dst.iterdir())


def test_copy_without_a_terminal_writes_the_namespaced_answers_file(tmp_path):
    dst = tmp_path / "project"
    result = copier_cli(dst)
    assert result.returncode == 0, result.stderr
    assert (dst / ANSWERS_FILE).is_file()
    assert not (dst / ".copier-answers.yml").exists()


@pytest.mark.parametrize(
    ("files", "message", "origin"),
    [
        # Nothing detectable: the template's default names a file this repository does not have.
        (
            {"pyproject.toml": "[tool.black]\nline-length = 100\n", "tool.py": "print()\n"},
            "requirements_file: requirements.txt does not exist in this repository",
            "value from the template's default (nothing detected: no requirements file found)",
        ),
        # A detected value that cannot be used.
        (
            {
                "Dockerfile": 'FROM python:3.12-slim\nEXPOSE 99999\nCMD ["gunicorn", "app:app"]\n',
                "requirements.txt": "gunicorn\n",
            },
            "app_port: 99999 is not a port",
            "value from detected: Dockerfile (EXPOSE)",
        ),
    ],
)
def test_refused_defaults_say_where_they_came_from(tmp_path, files, message, origin):
    dst = tmp_path / "project"
    for name, text in files.items():
        (dst / name).parent.mkdir(parents=True, exist_ok=True)
        (dst / name).write_text(text)
    result = copier_cli(dst)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if message in line]
    assert len(lines) == 1 and origin in lines[0], result.stderr[-2000:]
    assert sorted(p.name for p in dst.iterdir()) == sorted(files)


def test_a_current_version_past_its_end_of_life_stands_out_after_copy(tmp_path):
    # 3.10's end of life (2026-10-31) is in the past for every run of this test; 3.13's is 2029-10.
    old = copier_cli(tmp_path / "old", "-d", "current_python=3.10", "-d", "target_python=3.11", quiet=False)
    assert old.returncode == 0, old.stderr
    note = "3.10 stopped getting security fixes on 2026-10-31"
    assert f"Python 3.10 -> 3.11 rendered. Note: {note}; this migration comes first." in old.stderr
    assert f"**{note}**" in (tmp_path / "old" / "python-upgrade" / "MIGRATION.md").read_text()
    new = copier_cli(tmp_path / "new", "-d", "current_python=3.13", "-d", "target_python=3.14", quiet=False)
    assert new.returncode == 0, new.stderr
    assert "Python 3.13 -> 3.14 rendered.\nNext: read python-upgrade/MIGRATION.md" in new.stderr
    assert "security fixes" not in new.stderr


def test_requirements_py_asks_for_hash_checking_where_pip_would(copie, tmp_path):
    """pip turns on hash-checking for a file with any --hash; uv only when told: requirements.py tells it
    in the copies, per top-level file (an included file's hashes count, a constraint file's do not)."""
    project = rendered(copie)
    src = tmp_path / "src"
    files = {
        "requirements.txt": "-r base.txt\n-c pins.txt\n",
        "base.txt": "markupsafe==3.0.2 \\\n    --hash=sha256:" + "0" * 64 + "\n",
        "pins.txt": "pytest==8.3.5 --hash=sha256:" + "1" * 64 + "\n",
        "requirements-test.txt": "-c pins.txt\npytest==8.3.5\n",
    }
    for name, text in files.items():
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        (src / name).write_text(text)
    out = tmp_path / "out"
    subprocess.run(
        [
            sys.executable,
            str(project / "python-upgrade" / "requirements.py"),
            str(src),
            str(out),
            "requirements.txt",
            "requirements-test.txt",
        ],
        check=True,
    )
    assert (out / "requirements.txt").read_text().startswith("--require-hashes  #")
    assert (out / "requirements.txt").read_text().endswith(files["requirements.txt"])
    assert (out / "requirements-test.txt").read_text() == files["requirements-test.txt"]
    assert (out / "base.txt").read_text() == files["base.txt"]


def test_a_project_in_a_subdirectory(tmp_path):
    """project_dir: the project's files render there, the workflow and the answers stay at the root
    and run their steps and builds there."""
    from copier import run_copy
    from render import load_yaml

    run_copy(
        str(ROOT),
        tmp_path,
        data={"project_dir": "backend", "dependency_layout": "pipenv", "test_extra": "dev-packages"},
        defaults=True,
        unsafe=True,
        quiet=True,
        vcs_ref="HEAD",
    )
    assert (tmp_path / "backend" / "python-upgrade" / "Dockerfile").is_file()
    assert (tmp_path / "backend" / "tox-python-upgrade.ini").is_file()
    assert (tmp_path / "backend" / "deploy" / "bluegreen" / "bluegreen.sh").is_file()
    assert (tmp_path / "backend" / "python-upgrade" / "lock_requirements.py").is_file()
    assert not (tmp_path / "python-upgrade").exists() and not (tmp_path / "backend" / ".github").exists()
    workflow = load_yaml(tmp_path / ".github" / "workflows" / "python-upgrade.yml")
    assert workflow["defaults"]["run"]["working-directory"] == "backend"
    docker_steps = [s for s in workflow["jobs"]["docker"]["steps"] if "with" in s and "context" in s["with"]]
    assert docker_steps and all(
        s["with"]["context"] == "backend" and s["with"]["file"] == "backend/python-upgrade/Dockerfile"
        for s in docker_steps
    )
    tox_setup = next(s for s in workflow["jobs"]["tox"]["steps"] if "setup-python" in s.get("uses", ""))
    assert tox_setup["with"]["cache-dependency-path"] == "backend/Pipfile.lock"
    assert (tmp_path / ".copier-answers.python-upgrade.yml").is_file()


def test_a_package_the_suite_names_otherwise_is_installed_by_its_name_there(copie):
    """netcat (an old image's name) is a virtual package with several providers in bookworm, which apt
    refuses: the production image installs netcat-openbsd, and says why."""
    project = rendered(copie, runtime_packages="netcat libpq5", debian_suite="bookworm")
    dockerfile = (project / "python-upgrade" / "Dockerfile").read_text()
    assert "--no-install-recommends netcat-openbsd libpq5" in dockerfile
    assert "# Named as bookworm names them (the answer says: netcat libpq5)." in dockerfile
    assert "netcat libpq5" in (project / ANSWERS_FILE).read_text()


def test_the_directories_the_app_writes_to_exist_before_the_tests(copie):
    """writable_dirs are rarely in the tree (a SQLite file's data/ is ignored by git): the test stage and
    tox make them first, as CI jobs do with `mkdir data`; tox only the ones inside the project."""
    project = rendered(copie, writable_dirs=["data", "/var/uploads"])
    dockerfile = (project / "python-upgrade" / "Dockerfile").read_text()
    assert dockerfile.count("    && mkdir -p data /var/uploads \\\n") == 2  # test-current, test-target
    tox = (project / "tox-python-upgrade.ini").read_text()
    made = '    python -c "import os, sys; [os.makedirs(d, exist_ok=True) for d in sys.argv[1:]]" data\n'
    assert tox.count(made) == 2  # the version envs and deprecations
