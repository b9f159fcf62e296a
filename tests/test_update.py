"""`copier update` carries a project through the migration: edits survive, conflicts show, versions
advance everywhere, and finishing leaves a consistent single-version project. The template is a
tagged git copy of this working tree (v1, then v2 with a change), as users get it."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from copier import run_copy, run_update

from gitrepo import commit, git
from conftest import ROOT
from render import ANSWERS_FILE, load_yaml, rendered_files
from test_render import check_project


def tagged_template(tmp_path: Path) -> Path:
    """This template as a git repository tagged v1, plus v2 that changes the tox config's header."""
    tpl = tmp_path / "template-repo"
    shutil.copytree(
        ROOT,
        tpl,
        ignore=shutil.ignore_patterns(".git", ".venv", "__pycache__", ".pytest_cache", "*.egg-info"),
    )
    git(tpl, "init", "-q", "-b", "main")
    git(tpl, "add", "-A")
    git(tpl, "commit", "-q", "-m", "v1")
    git(tpl, "tag", "v1")
    tox = tpl / "template" / "{{ project_dir }}" / "tox-python-upgrade.ini.jinja"
    text = tox.read_text()
    text = text.replace(
        "skip_missing_interpreters = false", "skip_missing_interpreters = false\n# v2: a new line"
    )
    text = text.replace(
        "description = run the tests on Python {base_python}",
        "description = v2 runs the tests on {base_python}",
    )
    tox.write_text(text)
    git(tpl, "commit", "-q", "-am", "v2")
    git(tpl, "tag", "v2")
    return tpl


@pytest.fixture
def project(tmp_path) -> tuple[Path, Path]:
    tpl = tagged_template(tmp_path)
    dst = tmp_path / "project"
    run_copy(
        str(tpl),
        dst,
        data={"current_python": "3.11", "target_python": "3.12"},
        defaults=True,
        unsafe=True,
        quiet=True,
        vcs_ref="v1",
    )
    # The dependency files the answers name (an update checks that they exist).
    (dst / "requirements.txt").write_text("markupsafe==3.0.2\n")
    (dst / "requirements-dev.txt").write_text("pytest==8.3.5\n")
    git(dst, "init", "-q", "-b", "main")
    git(dst, "add", "-A")
    git(dst, "commit", "-q", "-m", "python-upgrade v1")
    return tpl, dst


def update(dst: Path, ref: str = "v2", **data) -> None:
    run_update(
        dst,
        data=data,
        defaults=True,
        unsafe=True,
        overwrite=True,
        quiet=True,
        answers_file=ANSWERS_FILE,
        vcs_ref=ref,
    )


def test_edits_survive_an_update(project):
    _, dst = project
    ignore = dst / "python-upgrade" / "Dockerfile.dockerignore"
    ignore.write_text(ignore.read_text() + "secrets/\n")
    runbook = dst / "python-upgrade" / "MIGRATION.md"
    runbook.write_text(runbook.read_text() + "\n## Our notes\n\nCall the on-call first.\n")
    commit(dst, "our edits")

    update(dst)
    assert load_yaml(dst / ANSWERS_FILE)["_commit"] == "v2"
    tox = (dst / "tox-python-upgrade.ini").read_text()
    assert "# v2: a new line" in tox and "v2 runs the tests" in tox
    assert ignore.read_text().endswith("secrets/\n")
    assert "Call the on-call first." in runbook.read_text()
    assert not any("<<<<<<<" in p.read_text() for p in rendered_files(dst))


def test_a_conflicting_edit_shows_conflict_markers(project):
    _, dst = project
    tox = dst / "tox-python-upgrade.ini"
    tox.write_text(
        tox.read_text().replace(
            "description = run the tests on Python {base_python}", "description = our own description"
        )
    )
    commit(dst, "conflicting edit")

    update(dst)
    text = tox.read_text()
    assert "<<<<<<<" in text and ">>>>>>>" in text
    assert "our own description" in text and "v2 runs the tests" in text


def test_advancing_the_versions_leaves_no_trace_of_the_old_one(project):
    _, dst = project
    ignore = dst / "python-upgrade" / "Dockerfile.dockerignore"
    ignore.write_text(ignore.read_text() + "secrets/\n")
    commit(dst, "our edit")

    update(dst, current_python="3.12", target_python="3.13")
    check_project(dst, {"current_python": "3.12", "target_python": "3.13"})
    stale = [
        f"{p.relative_to(dst)}:{n}"
        for p in rendered_files(dst)
        for n, line in enumerate(p.read_text().splitlines(), 1)
        if re.search(r"(?<![\w.])3\.11(?![\d]|\.\d)|py311", line)
    ]
    assert stale == []
    assert ignore.read_text().endswith("secrets/\n")


def test_finishing_leaves_a_single_version_project(project):
    _, dst = project
    runbook = dst / "python-upgrade" / "MIGRATION.md"

    update(dst, phase="finished")
    check_project(dst, {"current_python": "3.11", "target_python": "3.12", "phase": "finished"})
    assert not (dst / "deploy").exists()
    assert not (dst / "python-upgrade" / "audit.py").exists()
    assert "on Python 3.12" in runbook.read_text()
    # The project is clean apart from what the update changed, and the answers record the phase.
    assert load_yaml(dst / ANSWERS_FILE)["phase"] == "finished"


def test_kubernetes_images_follow_the_versions_and_finishing_keeps_a_single_version_rollout(tmp_path):
    tpl = tagged_template(tmp_path)
    dst = tmp_path / "project"
    run_copy(
        str(tpl),
        dst,
        data={
            "current_python": "3.11",
            "target_python": "3.12",
            "kubernetes": True,
            "image_repository": "registry.example.com/shop",
        },
        defaults=True,
        unsafe=True,
        quiet=True,
        vcs_ref="v1",
    )
    (dst / "requirements.txt").write_text("markupsafe==3.0.2\n")
    (dst / "requirements-dev.txt").write_text("pytest==8.3.5\n")
    rollout = dst / "deploy" / "kubernetes" / "rollout.yaml"
    git(dst, "init", "-q", "-b", "main")
    commit(dst, "python-upgrade v1")
    rollout.write_text(
        rollout.read_text().replace("  replicas: 2\n", "  replicas: 6\n")
    )  # the team's own edit
    commit(dst, "6 replicas")

    update(dst, current_python="3.12", target_python="3.13")
    text = rollout.read_text()
    assert "image: registry.example.com/shop:3.12\n" in text and "replicas: 6" in text
    assert "app=registry.example.com/shop:3.13" in text
    assert (
        "image: registry.example.com/shop:3.13\n"
        in (dst / "deploy" / "kubernetes" / "analysis.yaml").read_text()
    )
    commit(dst, "3.12 -> 3.13")

    update(dst, phase="finished")
    text = rollout.read_text()
    assert (
        "image: registry.example.com/shop:3.13\n" in text
        and "shop:3.12" not in text
        and "replicas: 6" in text
    )
    assert not (dst / "deploy" / "bluegreen").exists()
    assert (dst / "deploy" / "kubernetes" / "analysis.yaml").exists()


def test_a_release_that_moves_a_file_carries_edits_across_with_a_migration(project):
    """How a release that moves a rendered file must ship (README, "Releases"): the move alone, the
    content unchanged, plus an "after" `_migrations` entry that puts the project's committed copy of
    the old path at the new one. (A "before" move loses the edits: copier diffs the project against
    a fresh render of the old version, so the moved file looks user-added and the new render wins.)"""
    tpl, dst = project
    runbook = dst / "python-upgrade" / "MIGRATION.md"
    runbook.write_text(runbook.read_text() + "\n## Our notes\n\nCall the on-call first.\n")
    commit(dst, "our notes")

    git(
        tpl,
        "mv",
        "template/{{ project_dir }}/python-upgrade/MIGRATION.md.jinja",
        "template/{{ project_dir }}/python-upgrade/RUNBOOK.md.jinja",
    )
    old, new = "python-upgrade/MIGRATION.md", "python-upgrade/RUNBOOK.md"
    with open(tpl / "copier.yml", "a") as handle:
        handle.write(
            "\n_migrations:\n"
            "  - version: v3\n"
            f'    command: "[ -e {old} ] || ! git cat-file -e HEAD:{old} 2>/dev/null '
            f'|| git show HEAD:{old} > {new}"\n'
        )
    git(tpl, "commit", "-q", "-am", "v3: the runbook is python-upgrade/RUNBOOK.md")
    git(tpl, "tag", "v3")

    update(dst, ref="v3")
    moved = dst / new
    assert not runbook.exists()
    assert "Call the on-call first." in moved.read_text()
    assert "Python 3.11 → 3.12" in moved.read_text()
    assert "<<<<<<<" not in moved.read_text()


def test_the_locustfile_is_rendered_once_and_then_the_projects(tmp_path):
    """`_skip_if_exists`: a newer template's locustfile never replaces (or merges into) the project's."""
    tpl = tagged_template(tmp_path)
    locustfile = next((tpl / "template" / "{{ project_dir }}" / "python-upgrade").glob("*locustfile.py*"))
    locustfile.write_text(locustfile.read_text() + "# v3 of the template's locustfile\n")
    git(tpl, "commit", "-q", "-am", "v3")
    git(tpl, "tag", "v3")
    dst = tmp_path / "web"
    dst.mkdir()
    (dst / "requirements.txt").write_text("gunicorn==23.0.0\n")
    (dst / "app.py").write_text("def app(environ, start_response):\n    return []\n")
    run_copy(
        str(tpl),
        dst,
        data={
            "current_python": "3.11",
            "target_python": "3.12",
            "app_kind": "web",
            "app_command": "gunicorn --bind 0.0.0.0:$PORT app:app",
        },
        defaults=True,
        unsafe=True,
        quiet=True,
        vcs_ref="v1",
    )
    ours = dst / "python-upgrade" / "locustfile.py"
    ours.write_text(ours.read_text().replace("@task(5)", "@task(9)") + "# our checkout scenario\n")
    git(dst, "init", "-q", "-b", "main")
    commit(dst, "python-upgrade v1 and our scenarios")
    edited = ours.read_text()

    update(dst, ref="v3")
    assert load_yaml(dst / ANSWERS_FILE)["_commit"] == "v3"
    assert ours.read_text() == edited
    assert "v2 runs the tests" in (dst / "tox-python-upgrade.ini").read_text()  # the rest did update
