"""The template in real repositories (../shared/real-repos), copied into as a user would: extract,
`git init`, commit, `copier copy --trust --defaults`. Detection must choose the answers in
tests/data/real_repos.yml with no -d at all; with only the answers a person must give (`by_hand`,
each with its reason), tox passes on both versions, `docker build --target all` passes, each
production image answers its health path, and the audit tells the truth."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tarfile
import time
from pathlib import Path

import pytest
from copier import run_copy

from gitrepo import git
from conftest import ROOT, SHARED, require
from bluegreen import Load, site
from engine import (
    build,
    docker,
    docker_cli,
    ensure_base_images,
    require_interpreters,
    tox,
    tox_in_sid,
    tox_results,
)
from render import ANSWERS_FILE, load_yaml

REAL = SHARED / "real-repos"
TABLE = load_yaml(ROOT / "tests" / "data" / "real_repos.yml")
# The projects whose tox and Docker runs this machine can give (the others say why not, in `not_here`
# or `not_run`).
RUNS_HERE = [name for name, entry in TABLE.items() if not {"not_here", "not_run"} & set(entry)]
# Poetry reaches this machine's index only through a simple-index source (its proxy answers 404 for
# PyPI's per-version JSON API): the one edit the cleo test makes to the repository, before copying.
SIMPLE_SOURCE = (
    '\n[[tool.poetry.source]]\nname = "simple"\nurl = "https://pypi.org/simple/"\npriority = "primary"\n'
)

pytestmark = [pytest.mark.slow]


def real_repo(tmp_path: Path, name: str) -> Path:
    archive = REAL / f"{name}.tar.gz"
    require(archive.is_file(), f"{archive} is missing (../shared/real-repos)")
    repo = tmp_path / name
    with tarfile.open(archive) as tar:
        # Some snapshots hold the project in a folder of its name, others at the archive's root.
        nested = all(m.name == name or m.name.startswith(f"{name}/") for m in tar.getmembers())
        tar.extractall(tmp_path if nested else repo, filter="data")
    if name == "cleo":
        with (repo / "pyproject.toml").open("a") as handle:
            handle.write(SIMPLE_SOURCE)
        poetry = shutil.which("poetry")
        require(poetry, "poetry is not installed (pip install -e '.[test]')")
        subprocess.run([poetry, "lock"], cwd=repo, check=True, capture_output=True, timeout=900)
    # pypi.python.org (an old name of PyPI that redirects to pypi.org) does not resolve on this machine:
    # a requirements file that names it as its index gets pypi.org, the one edit of this kind.
    for requirements in repo.glob("requirements*.txt"):
        text = requirements.read_text()
        if "://pypi.python.org/simple" in text:
            requirements.write_text(text.replace("://pypi.python.org/simple", "://pypi.org/simple"))
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "the repository as it is")
    # A snapshot made by `git archive` records the tag it was described by; a clone has that tag, and
    # versions read from git (hatch-vcs, setuptools-scm) need it.
    described = re.search(
        r"(?m)^describe-name:\s*(\S+?)-\d+-g[0-9a-f]+\s*$",
        (repo / ".git_archival.txt").read_text() if (repo / ".git_archival.txt").is_file() else "",
    )
    if described:
        git(repo, "tag", described.group(1))
    return repo


def copy(repo: Path, answers: dict) -> dict:
    run_copy(str(ROOT), repo, data=answers, defaults=True, unsafe=True, quiet=True, vcs_ref="HEAD")
    return dict(load_yaml(repo / ANSWERS_FILE))


def services(project: Path, answers: dict, action: str) -> None:
    """python-upgrade/services.py as a user runs it before tox or docker build (host networking here),
    with stand-ins of the service images built from Debian's packages."""
    if action == "up":
        images = sorted({spec["image"] for spec in answers["test_services"].values()})
        made = subprocess.run(
            ["bash", str(ROOT / "tests" / "engines" / "base_images.sh"), "service", *images],
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert made.returncode == 0, made.stderr[-3000:]
    result = subprocess.run(
        ["python3", "python-upgrade/services.py", action, "--network", "host"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "DOCKER": docker_cli()[0]},
    )
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]


def smoke_passes(repo: Path, tag: str) -> str:
    """python-upgrade/smoke.py on a production image, as a user runs it: it must pass; its output."""
    smoke = subprocess.run(
        ["python3", "python-upgrade/smoke.py", tag],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "DOCKER": docker_cli()[0]},
    )
    assert smoke.returncode == 0, smoke.stdout + smoke.stderr[-3000:]
    assert "answered 200 on http://127.0.0.1:" in smoke.stdout
    return smoke.stdout


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    """Each real repository with the template copied in with only the by-hand answers (made once),
    its tests' backing services started (removed when the module ends)."""
    made = {}

    def get(name: str) -> tuple[Path, dict]:
        if name not in made:
            repo = real_repo(tmp_path_factory.mktemp(name), name)
            answers = copy(repo, dict(TABLE[name]["by_hand"]))
            made[name] = (repo, answers)
            if answers.get("test_services"):
                services(repo / answers["project_dir"], answers, "up")
        return made[name]

    yield get
    for repo, answers in made.values():
        if answers.get("test_services"):
            services(repo / answers["project_dir"], answers, "down")


@pytest.mark.parametrize("name", list(TABLE))
def test_defaults_alone_choose_the_table(tmp_path, name):
    repo = real_repo(tmp_path, name)
    before = {p: p.read_bytes() for p in repo.rglob("*") if p.is_file() and ".git" not in p.parts}
    answers = copy(repo, {})
    plain = json.loads(json.dumps({key: answers.get(key) for key in TABLE[name]["detected"]}))
    assert plain == json.loads(
        json.dumps(dict(TABLE[name]["detected"]))
    )  # mappings compared without their order
    status = git(repo, "status", "--porcelain", "--untracked-files=all").splitlines()
    assert status and all(line.startswith("?? ") for line in status), status
    assert all(p.read_bytes() == content for p, content in before.items())
    project = repo / answers["project_dir"]
    assert (project / "python-upgrade" / "Dockerfile").is_file() and (
        repo / ".github/workflows/python-upgrade.yml"
    ).is_file()
    if answers["app_kind"] == "library":
        assert not (project / "deploy").exists()
        for path in ("python-upgrade/Dockerfile", "python-upgrade/MIGRATION.md"):
            text = (project / path).read_text()
            assert not re.search(r"blue|green|canary|production image", text, re.I), path
    runbook = (project / "python-upgrade" / "MIGRATION.md").read_text()
    numbers = [int(n) for n in re.findall(r"(?m)^## (\d+)\. ", runbook)]
    assert numbers == list(range(1, len(numbers) + 1)), numbers


@pytest.mark.tox
@pytest.mark.parametrize("name", RUNS_HERE)
def test_tox_passes_on_both_versions(prepared, name):
    repo, answers = prepared(name)
    current, target = answers["current_python"], answers["target_python"]
    cur, tgt = "py" + current.replace(".", ""), "py" + target.replace(".", "")
    if all(shutil.which(f"python{v}") for v in (current, target)):
        result = tox(repo, cur, tgt, timeout=1500)
    else:  # cleo: 3.14 -> 3.15, which this machine has only as Debian sid's, in a container
        result = tox_in_sid(repo, cur, tgt, versions=(current, target))
    assert result.returncode == 0, result.stdout[-6000:]
    assert tox_results(result.stdout) == {cur: "OK", tgt: "OK"}
    assert f"Python {current}." in result.stdout and f"Python {target}." in result.stdout


@pytest.mark.docker
@pytest.mark.parametrize("name", RUNS_HERE)
def test_docker_builds_both_and_production_answers(prepared, name):
    repo, answers = prepared(name)
    current, target = answers["current_python"], answers["target_python"]
    ensure_base_images(current, target)
    result = build(repo, "all")
    assert result.returncode == 0, result.stderr[-6000:]
    assert f"test-current: Python {current}." in result.stderr
    assert f"test-target: Python {target}." in result.stderr
    if answers["app_kind"] != "web" or "smoke_not_here" in TABLE[name]:
        return
    for color in ("current", "target"):
        tag = f"python-upgrade-real/{name}:{color}"
        assert build(repo, f"production-{color}", tag=tag).returncode == 0
        smoke_passes(repo, tag)
        # Production images hold no compiler, even where the test stages needed one.
        assert (
            docker(
                "run", "--rm", "--entrypoint", "sh", tag, "-c", "command -v gcc || echo none"
            ).stdout.strip()
            == "none"
        )


@pytest.mark.docker
def test_a_django_service_on_sqlite_passes_smoke_with_defaults(tmp_path):
    """babybuddy keeps its data in SQLite (data/db.sqlite3 under BASE_DIR) and uploads in media/; its
    Procfile migrates before the server starts. With --defaults alone both production images pass
    smoke.py: the release command (migrate) runs first with the state volumes the app then mounts,
    and nothing is left behind."""
    repo = real_repo(tmp_path, "babybuddy")
    answers = copy(repo, {})
    assert (
        answers["state_dirs"] == ["media", "data"]
        and answers["release_command"] == "python manage.py migrate"
    )
    ensure_base_images(answers["current_python"], answers["target_python"])

    def volumes() -> set[str]:
        return set(docker("volume", "ls", "-q", "--filter", "name=python-upgrade-smoke-").stdout.split())

    before = volumes()
    for color in ("current", "target"):
        tag = f"python-upgrade-real/babybuddy:{color}"
        result = build(repo, f"production-{color}", tag=tag)
        assert result.returncode == 0, result.stderr[-4000:]
        smoke = smoke_passes(repo, tag)
        assert "smoke.py: release command: python manage.py migrate" in smoke
        left = docker("ps", "-aq", "--filter", f"ancestor={tag}").stdout.split()
        assert left == [] and volumes() <= before, (left, volumes() - before)


@pytest.mark.docker
@pytest.mark.slow
def test_a_flask_service_that_writes_beside_its_code_passes_smoke_with_defaults(tmp_path):
    """CTFd's image gives its code to its user (its SQLite file is CTFd/ctfd.db) and its compose file
    points uploads and logs at volumes (UPLOAD_FOLDER=/var/uploads); its entrypoint migrates before
    gunicorn. With --defaults alone the current production image passes smoke.py, its state in the
    volumes. The target is refused by the project's own range (requires-python = ">=3.11,<3.12"): the
    build stops at uv's line naming it, and the audit names it as the blocker to fix first."""
    repo = real_repo(tmp_path, "CTFd")
    answers = copy(repo, {})
    assert answers["code_writable"] is True
    assert answers["app_env"] == {"UPLOAD_FOLDER": "/var/uploads", "LOG_FOLDER": "/var/log/CTFd"}
    ensure_base_images(answers["current_python"], answers["target_python"])
    tag = "python-upgrade-real/ctfd:current"
    result = build(repo, "production-current", tag=tag)
    assert result.returncode == 0, result.stderr[-4000:]
    smoke = smoke_passes(repo, tag)
    assert "smoke.py: release command: flask db upgrade" in smoke
    assert docker("ps", "-aq", "--filter", f"ancestor={tag}").stdout.split() == []
    target = build(repo, "production-target")
    assert target.returncode != 0
    assert "incompatible with the project's Python requirement: `==3.11.*`" in target.stderr, target.stderr[
        -3000:
    ]
    audit = subprocess.run(
        ["python3", "python-upgrade/audit.py", "--no-tests"],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert audit.returncode == 1, audit.stdout + audit.stderr[-3000:]
    assert (
        "pyproject.toml [project] requires-python says `>=3.11,<3.12`: widen it to admit 3.12 and lock again"
        in audit.stdout
    ), audit.stdout
    # What else the target removed that CTFd imports: named with file:line.
    assert "`CTFd/config.py:4`: `distutils.util` (removed in 3.12)" in audit.stdout


@pytest.mark.docker
@pytest.mark.nginx
def test_bluegreen_runs_a_django_service_with_its_env_file(prepared, tmp_path):
    """djangopackages behind real nginx, its production images with an env file (the smoke
    environment: the stand-in Postgres, a test SECRET_KEY), its release command (migrate) before
    green starts: deploy, shift 10, promote, rollback under load, no request failed."""
    repo, answers = prepared("djangopackages")
    project = repo / answers["project_dir"]
    colors = {"BG_DOCKER": docker_cli()[0]}
    for color, stage in (("BLUE", "production-current"), ("GREEN", "production-target")):
        tag = f"python-upgrade-real/djangopackages:{stage}"
        result = build(repo, stage, tag=tag)
        assert result.returncode == 0, result.stderr[-4000:]
        colors[f"BG_{color}_IMAGE"] = tag
    env_file = tmp_path / "app.env"
    env_file.write_text("".join(f"{key}={value}\n" for key, value in answers["smoke_env"].items()))
    s = site(
        project,
        tmp_path / "state",
        "docker",
        colors | {"BG_ENV_FILE": str(env_file)},
        name_prefix="djangopackages",
    )
    ports = {s.env["BG_BLUE_PORT"]: "blue", s.env["BG_GREEN_PORT"]: "green"}

    def color(response, body) -> str:
        return ports.get((response.getheader("X-Upstream") or "").rsplit(":", 1)[-1], "")

    try:
        # A first install: the database gets its tables once, before anything serves (the release
        # command by hand); from then on `deploy` runs it before each new color.
        docker(
            "run",
            "--rm",
            "--network",
            "host",
            "--env-file",
            str(env_file),
            colors["BG_BLUE_IMAGE"],
            "sh",
            "-c",
            answers["release_command"],
            check=True,
        )
        result = s.run("start")
        assert result.returncode == 0, result.stderr
        load = Load(s.listen_port, path=answers["health_path"], identify=color).start()
        try:
            assert len(load.wait_for(time.monotonic(), 50)) >= 50
            deploy = s.run("deploy")
            assert deploy.returncode == 0, deploy.stderr
            assert "release command for green: python -m manage migrate --noinput" in deploy.stderr
            assert s.run("shift", "10").returncode == 0
            window = load.wait_for(time.monotonic(), 600, seconds=90)
            share = 100 * sum(r.python == "green" for r in window) / len(window)
            assert 5 <= share <= 15, f"green got {share:.1f}% at the 10% step"
            promote = s.run("promote")
            assert promote.returncode == 0, promote.stdout + promote.stderr
            t1 = time.monotonic()
            promoted = [r for r in load.wait_for(t1, 150, seconds=30) if r.t > t1 + 1.0]
            assert promoted and all(r.python == "green" for r in promoted)
            t0 = time.monotonic()
            assert s.run("rollback").returncode == 0
            after = load.wait_for(t0, 200, seconds=30)
            assert all(r.python == "blue" for r in after if r.t > t0 + 1.0)
        finally:
            load.stop()
        assert load.failures() == [], load.failures()[:5]
        print(f"djangopackages under load: {len(load.records)} requests, 0 failed, green {share:.1f}% at 10%")
    finally:
        s.cleanup()


@pytest.mark.tox
@pytest.mark.parametrize("name", ["microblog", "django-locallibrary-tutorial"])
def test_the_audit_tells_the_truth(tmp_path, name):
    """No false blocker: sdist-only pure-Python packages pass, every resolved package is checked; the
    one package that cannot install on the target without a compiler is named with that reason."""
    repo = real_repo(tmp_path, name)
    answers = copy(repo, {})  # detection alone: no build_packages
    require_interpreters(answers["current_python"], answers["target_python"])
    result = tox(repo, "audit", posargs=("--json", "--no-tests"), timeout=1500)
    report = json.loads(result.stdout[result.stdout.index("{\n") : result.stdout.rindex("\n}") + 2])
    rows = {row["name"]: row for row in report["wheels"]}
    blockers = {name for name, row in rows.items() if row["blocker"]}
    if name == "microblog":
        assert blockers == {"multidict"}, blockers
        assert "must compile, and build_packages has no compiler" in rows["multidict"]["verdict"]
        for pure in ("flask-mail", "langdetect"):
            assert not rows[pure]["blocker"] and "pure-Python" in rows[pure]["verdict"]
        assert len(rows) > 50  # transitive requirements are checked, not only the pins
        assert result.returncode == 1
    else:
        assert blockers == set() and result.returncode == 0, result.stdout[-3000:]
        assert {"django", "asgiref", "sqlparse"} <= set(rows)  # ranges resolved by pip, transitive included
