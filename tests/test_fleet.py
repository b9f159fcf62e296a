"""python-upgrade-fleet status over a folder of real git repositories rendered from a tagged git copy
of this template (v1, v2): phases, versions, template version and the behind flag, the dual phase's
age from git history, end of life, the audit's last report, exit codes, and the four formats, the
HTML page in a real headless Chromium."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from copier import run_copy

from conftest import ROOT, require
from render import ANSWERS_FILE
from gitrepo import commit, git
from test_update import tagged_template

TODAY = "2026-12-03"


def fleet(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "python_upgrade_fleet.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def rendered_repo(root: Path, name: str, template: Path, ref: str, day: str, **answers) -> Path:
    """A repository with the template copied in at `ref` and committed on `day`."""
    repo = root / name
    repo.mkdir(parents=True)
    (repo / "requirements.txt").write_text("markupsafe==3.0.2\n")
    (repo / "requirements-dev.txt").write_text("pytest==8.3.5\n")
    git(repo, "init", "-q", "-b", "main")
    run_copy(
        str(template),
        repo,
        data={"current_python": "3.11", "target_python": "3.12", **answers},
        defaults=True,
        unsafe=True,
        quiet=True,
        vcs_ref=ref,
    )
    commit(repo, "python-upgrade", day)
    return repo


@pytest.fixture(scope="module")
def repos(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("fleet")
    template = tagged_template(root)
    repos = root / "repos"
    # Dual since 2026-11-20 (7 days: due 11-27, overdue on 12-03), on the old template release.
    old = rendered_repo(repos, "billing", template, "v1", "2026-11-20")
    # A later commit that keeps the phase does not reset the count.
    (old / "README.md").write_text("billing\n")
    commit(old, "docs", "2026-11-25")
    # Dual since 2026-12-01 with 14 days to run; current template; its audit has two blockers.
    recent = rendered_repo(repos, "shop", template, "v2", "2026-12-01", retire_after_days=14)
    (recent / "python-upgrade" / "audit-report.json").write_text(
        json.dumps({"ready": False, "blockers": 2, "target": "3.12"})
    )
    # 3.10 is past its end of life (2026-10-31); the repository was finished once, then dual again.
    eol = rendered_repo(
        repos,
        "legacy",
        template,
        "v2",
        "2026-10-01",
        current_python="3.10",
        target_python="3.11",
        phase="finished",
    )
    run_copy(
        str(template),
        eol,
        data={"current_python": "3.10", "target_python": "3.11", "phase": "dual"},
        defaults=True,
        unsafe=True,
        quiet=True,
        vcs_ref="v2",
        overwrite=True,
    )
    commit(eol, "dual again", "2026-12-02")
    # Finished and current: nothing to do.
    rendered_repo(repos, "search", template, "v2", "2026-11-01", phase="finished")
    # Not rendered.
    plain = repos / "website"
    plain.mkdir()
    git(plain, "init", "-q", "-b", "main")
    return repos, template


def test_status_json_says_where_each_repository_stands(repos):
    folder, template = repos
    result = fleet("status", "--json", "--template", str(template), "--today", TODAY, str(folder))
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    rows = {Path(row["path"]).name: row for row in report["repos"]}
    assert sorted(rows) == ["billing", "legacy", "search", "shop", "website"]
    for row in report["repos"]:
        assert {
            "path",
            "rendered",
            "template_version",
            "behind",
            "phase",
            "current_python",
            "target_python",
            "past_eol",
            "dual_since",
            "retire_due",
            "audit",
            "problems",
        } <= set(row)

    billing = rows["billing"]
    assert (billing["template_version"], billing["latest_template_version"], billing["behind"]) == (
        "v1",
        "v2",
        True,
    )
    assert (billing["phase"], billing["current_python"], billing["target_python"]) == ("dual", "3.11", "3.12")
    assert (billing["dual_since"], billing["retire_due"], billing["retire_overdue"]) == (
        "2026-11-20",
        "2026-11-27",
        True,
    )
    assert billing["past_eol"] is False and billing["end_of_life"] == "2027-10-31"

    shop = rows["shop"]
    assert shop["behind"] is False and shop["retire_due"] == "2026-12-15" and shop["retire_overdue"] is False
    assert shop["audit"] == {
        "ready": False,
        "blockers": 2,
        "source": "python-upgrade/audit-report.json",
        "target": "3.12",
    }
    assert shop["needs_action"] == ["audit: 2 blocker(s)"]

    legacy = rows["legacy"]
    assert legacy["past_eol"] is True and legacy["end_of_life"] == "2026-10-31"
    assert legacy["dual_since"] == "2026-12-02"  # the finished commit before it breaks the run

    search = rows["search"]
    assert search["phase"] == "finished" and search["needs_action"] == [] and search["dual_since"] is None
    assert search["state"] == "done" and search["census"]["older"] == []
    assert (billing["state"], website["state"] if (website := rows["website"]) else None) == (
        "dual",
        "not rendered",
    )

    website = rows["website"]
    assert website["rendered"] is False and website["problems"][0].startswith(
        "no .copier-answers.python-upgrade.yml"
    )


def test_exit_0_when_nothing_needs_action_and_2_on_usage(repos):
    folder, template = repos
    clean = fleet("status", "--template", str(template), "--today", TODAY, str(folder / "search"))
    assert clean.returncode == 0, clean.stdout + clean.stderr
    # Nothing of its own names Python 3.11 (the census finds no reference): done, not only finished.
    assert "| search | done | 3.12 | v2 |" in clean.stdout.replace(str(folder) + "/", "")
    assert fleet("status", str(folder / "nowhere")).returncode == 2
    assert fleet("status", "--json", "--markdown", str(folder)).returncode == 2
    # Without --template the answers' own _src_path is asked.
    own = json.loads(fleet("status", "--json", "--today", TODAY, str(folder / "billing")).stdout)
    assert own["repos"][0]["behind"] is True


def test_markdown_lists_every_repository_with_its_reasons(repos):
    folder, template = repos
    text = fleet("status", "--markdown", "--template", str(template), "--today", TODAY, str(folder)).stdout
    lines = [line for line in text.splitlines() if line.startswith(f"| {folder}")]
    assert len(lines) == 5
    billing = next(line for line in lines if "/billing |" in line)
    assert (
        "v1 (behind v2)" in billing and "2026-11-20" in billing and "retire 3.11 (due 2026-11-27)" in billing
    )


def test_the_html_page_in_a_real_browser(repos, tmp_path):
    folder, template = repos
    page = tmp_path / "fleet.html"
    result = fleet("status", "--html", str(page), "--template", str(template), "--today", TODAY, str(folder))
    assert result.returncode == 1 and page.is_file()
    text = page.read_text()
    assert "http" not in text.replace("http://www.w3.org/2000/svg", "")  # self-contained: nothing to fetch
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    require(chromium, "chromium is not installed (apt-get install chromium; .ci/run does)")
    shown = subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--enable-logging=stderr",
            "--v=0",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shown.returncode == 0, shown.stderr[-2000:]
    assert "CONSOLE" not in shown.stderr and "Uncaught" not in shown.stderr, shown.stderr[-2000:]
    dom = shown.stdout
    for name in ("billing", "legacy", "search", "shop", "website"):
        assert f"{folder}/{name}</td>" in dom
    assert "5 repositories, 4 need action" in dom
    assert dom.count("<svg") == 3 and "today 2026-12-03" in dom and "end of life 2026-10-31 (past)" in dom
    picture = tmp_path / "fleet.png"
    subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--screenshot={picture}",
            "--window-size=1200,1400",
            page.as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )
    assert picture.stat().st_size > 10_000


# ------------------------------------------------------------------------------------------- apply
def plain_repo(root: Path, name: str) -> Path:
    repo = root / name
    repo.mkdir(parents=True)
    (repo / "requirements.txt").write_text("markupsafe==3.0.2\n")
    (repo / "requirements-dev.txt").write_text("pytest==8.3.5\n")
    git(repo, "init", "-q", "-b", "main")
    commit(repo, "the project", "2026-11-01")
    return repo


def head(repo: Path) -> tuple[str, str, str]:
    """(branch, commit, status) of a repository."""
    return (
        git(repo, "branch", "--show-current").strip(),
        git(repo, "rev-parse", "HEAD").strip(),
        git(repo, "status", "--porcelain"),
    )


def test_apply_copies_updates_and_leaves_a_dirty_repository_alone(tmp_path):
    template = tagged_template(tmp_path)
    folder = tmp_path / "repos"
    fresh = plain_repo(folder, "fresh")
    rendered = rendered_repo(folder, "rendered", template, "v1", "2026-11-20")
    ignore = rendered / "python-upgrade" / "Dockerfile.dockerignore"
    ignore.write_text(ignore.read_text() + "secrets/\n")
    commit(rendered, "our edit", "2026-11-21")
    dirty = plain_repo(folder, "dirty")
    (dirty / "wip.py").write_text("print('work in progress')\n")
    before = head(dirty)
    org = tmp_path / "org.yml"
    org.write_text("installer: pip\nretire_after_days: 14\n")

    dry = fleet("apply", "--dry-run", "--template", str(template), str(folder))
    assert (
        dry.returncode == 1
        and "would copy on a new branch" in dry.stdout
        and "uncommitted changes" in dry.stdout
    )
    assert head(fresh)[0] == "main" and not (fresh / ".copier-answers.python-upgrade.yml").exists()

    result = fleet(
        "apply",
        "--template",
        str(template),
        "--data-file",
        str(org),
        "-d",
        "current_python=3.11",
        "-d",
        "target_python=3.12",
        "--vcs-ref",
        "v2",
        "--jobs",
        "2",
        "--json",
        str(folder),
    )
    assert result.returncode == 1, result.stderr
    rows = {Path(r["path"]).name: r for r in json.loads(result.stdout)["repos"]}
    assert rows["dirty"]["ok"] is False and rows["dirty"]["reason"].startswith("uncommitted changes")
    assert head(dirty) == before and git(dirty, "branch", "--list").split() == ["*", "main"]
    for name, action in (("fresh", "copy"), ("rendered", "update")):
        row = rows[name]
        assert row["ok"] and row["action"] == action and row["branch"] == "python-upgrade/3.11-to-3.12", row
        repo = folder / name
        assert head(repo)[0] == "python-upgrade/3.11-to-3.12" and head(repo)[2] == ""
        message = git(repo, "log", "-1", "--format=%s").strip()
        assert message == f"python-upgrade: Python 3.11 -> 3.12 (copier-python-upgrade v2, {action})"
        answers = (repo / ".copier-answers.python-upgrade.yml").read_text()
        assert "_commit: v2" in answers and "installer: pip" in answers and "retire_after_days: 14" in answers
    assert ignore.read_text().endswith("secrets/\n")  # the project's edit survived the update
    assert (rows["fresh"]["reason"], rows["rendered"]["reason"]) == (
        "copied on python-upgrade/3.11-to-3.12",
        "updated on python-upgrade/3.11-to-3.12",
    )

    # A new template release, rolled out again: the rendered repositories update and keep their edits.
    tox = template / "template" / "{{ project_dir }}" / "tox-python-upgrade.ini.jinja"
    tox.write_text(tox.read_text().replace("# v2: a new line", "# v3: another line"))
    git(template, "commit", "-q", "-am", "v3")
    git(template, "tag", "v3")
    again = fleet("apply", "--branch", "python-upgrade/template-{phase}", str(fresh), str(rendered))
    assert again.returncode == 0, again.stdout + again.stderr
    assert again.stdout.count("updated on python-upgrade/template-dual") == 2
    for repo in (fresh, rendered):
        assert "_commit: v3" in (repo / ".copier-answers.python-upgrade.yml").read_text()
        assert "# v3: another line" in (repo / "tox-python-upgrade.ini").read_text()
    assert ignore.read_text().endswith("secrets/\n")
    # Nothing new to take: refused, and left as it was.
    state = head(fresh)
    same = fleet("apply", "--branch", "python-upgrade/again", str(fresh))
    assert same.returncode == 1 and "nothing to change: already at v3" in same.stdout and head(fresh) == state


def test_apply_pushes_to_the_branchs_remote_only_when_asked(tmp_path):
    template = tagged_template(tmp_path)
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    repo = plain_repo(tmp_path / "repos", "service")
    git(repo, "remote", "add", "origin", str(remote))
    git(repo, "push", "-q", "origin", "main")
    done = fleet(
        "apply",
        "--template",
        str(template),
        "-d",
        "current_python=3.12",
        "-d",
        "target_python=3.13",
        "--push",
        str(repo),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "pushed" in done.stdout
    branches = git(remote, "branch", "--list").split()
    assert "python-upgrade/3.12-to-3.13" in branches


def test_apply_leaves_a_conflicting_repository_as_it_was(tmp_path):
    template = tagged_template(tmp_path)
    repo = rendered_repo(tmp_path / "repos", "clash", template, "v1", "2026-11-20")
    tox = repo / "tox-python-upgrade.ini"
    tox.write_text(
        tox.read_text().replace(
            "description = run the tests on Python {base_python}", "description = our own description"
        )
    )
    commit(repo, "our description", "2026-11-21")
    state = head(repo)
    result = fleet("apply", "--vcs-ref", "v2", str(repo))
    assert result.returncode == 1
    assert "conflict with the project's edits in tox-python-upgrade.ini" in result.stdout
    assert head(repo) == state and git(repo, "branch", "--list").split() == ["*", "main"]
    assert "our own description" in tox.read_text() and "<<<<<<<" not in tox.read_text()


def test_apply_reports_copiers_refusal_of_an_answer_in_one_line(tmp_path):
    template = tagged_template(tmp_path)
    repo = rendered_repo(tmp_path / "repos", "service", template, "v1", "2026-11-20")
    state = head(repo)
    # Its current version is 3.11: a target of 3.11 is refused by the question's validator.
    result = fleet("apply", "--vcs-ref", "v2", "-d", "target_python=3.11", "--json", str(repo))
    assert result.returncode == 1, result.stdout + result.stderr
    (row,) = json.loads(result.stdout)["repos"]
    reason = row["reason"]
    assert row["ok"] is False and reason.startswith("copier update: ") and "\n" not in reason, reason
    assert "target_python" in reason, reason
    assert head(repo) == state and git(repo, "branch", "--list").split() == ["*", "main"]


def service_repo(root: Path, name: str, state_dir: str) -> Path:
    """A web service's checkout as status reads it: committed answers and the rendered bluegreen.conf
    (its state directory moved from /var/lib, as a host's operator may set it)."""
    repo = root / name
    (repo / "deploy" / "bluegreen").mkdir(parents=True)
    (repo / ANSWERS_FILE).write_text(
        "_commit: v2\n_src_path: nowhere\nphase: dual\ncurrent_python: '3.11'\n"
        "target_python: '3.12'\nretire_after_days: 7\n"
    )
    (repo / "deploy" / "bluegreen" / "bluegreen.conf").write_text(
        f': "${{BG_LISTEN:=127.0.0.1:8080}}"\n: "${{BG_STATE_DIR:={state_dir}}}"\n'
    )
    git(repo, "init", "-q", "-b", "main")
    commit(repo, "python-upgrade", "2026-11-01")
    return repo


def test_status_shows_the_cutover_from_the_blue_green_state(tmp_path):
    repos = tmp_path / "repos"
    found = tmp_path / "host" / "shop-bluegreen"
    found.mkdir(parents=True)
    # As bluegreen.sh writes it after `promote` on 2026-11-20 (epoch seconds).
    (found / "state").write_text(
        "LIVE=green\nCANDIDATE=\nWEIGHT=0\nPREVIOUS=blue\nPHASE=promoted\nGENERATION=4\n"
        "PROMOTED_AT=1795176000\n"
    )
    service_repo(repos, "shop", str(found))
    service_repo(repos, "billing", "/nonexistent/billing-bluegreen")
    given = tmp_path / "billing.state"
    given.write_text(
        "LIVE=blue\nCANDIDATE=green\nWEIGHT=10\nPREVIOUS=\nPHASE=shifting\nGENERATION=2\nPROMOTED_AT=0\n"
    )
    service_repo(repos, "broken", "/nonexistent/broken-bluegreen")
    bad = tmp_path / "broken.state"
    bad.write_text("LIVE=purple\n")
    service_repo(repos, "quiet", "/nonexistent/quiet-bluegreen")

    result = fleet(
        "status",
        "--json",
        "--today",
        TODAY,
        "--bluegreen-state",
        f"billing={given}",
        "--bluegreen-state",
        f"broken={bad}",
        str(repos),
    )
    rows = {Path(r["path"]).name: r for r in json.loads(result.stdout)["repos"]}
    shop, billing = rows["shop"]["bluegreen"], rows["billing"]["bluegreen"]
    assert (shop["source"], shop["phase"], shop["live"], shop["live_python"]) == (
        str(found / "state"),
        "promoted",
        "green",
        "3.12",
    )
    assert (shop["target_share"], shop["promoted_at"], shop["finalize_due"]) == (
        100,
        "2026-11-20",
        "2026-11-27",
    )
    assert shop["finalize_overdue"] is True
    assert any("run bluegreen.sh finalize" in reason for reason in rows["shop"]["needs_action"])
    assert (
        billing["phase"],
        billing["live_python"],
        billing["candidate"],
        billing["weight"],
        billing["target_share"],
    ) == ("shifting", "3.11", "green", 10, 10)
    assert not any("finalize" in reason for reason in rows["billing"]["needs_action"])
    assert any("blue-green state" in p and "LIVE=purple" in p for p in rows["broken"]["problems"])
    assert rows["quiet"]["bluegreen"] is None

    table = fleet(
        "status", "--markdown", "--today", TODAY, "--bluegreen-state", f"billing={given}", str(repos)
    )
    assert (
        "shifting: 10% on 3.12" in table.stdout
        and "promoted: 100% on 3.12 (promoted 2026-11-20)" in table.stdout
    )
    wrong = fleet("status", "--bluegreen-state", "billing", str(repos))
    assert wrong.returncode == 2 and "--bluegreen-state billing: give NAME=FILE" in wrong.stderr


@pytest.mark.slow
def test_apply_and_status_over_real_repositories_with_the_organisation_file(tmp_path):
    """Five real projects of ../shared/real-repos in one folder, rolled out in one command with the
    shipped docs/org.example.yml (target 3.13 for the whole fleet): each detects its own current
    version; the one already at 3.13 is refused by the target's validator and the dirty one is left
    alone, both reported; a new template release reaches the rendered ones and keeps their edits; status
    then shows each one's phase, versions and template version."""
    from test_real_repos import real_repo  # noqa: PLC0415 - extraction helpers of the real-repository tests

    template = tagged_template(tmp_path)
    folder = tmp_path / "fleet"
    folder.mkdir()
    names = ("microblog", "django-locallibrary-tutorial", "djangopackages", "litestar-fullstack", "attrs")
    for name in names:
        real_repo(folder, name)
    dirty = folder / "attrs"
    (dirty / "README.md").write_text((dirty / "README.md").read_text() + "\nwork in progress\n")
    before = head(dirty)
    org = ROOT / "docs" / "org.example.yml"

    result = fleet(
        "apply",
        "--template",
        str(template),
        "--vcs-ref",
        "v1",
        "--data-file",
        str(org),
        "--jobs",
        "2",
        "--json",
        str(folder),
    )
    assert result.returncode == 1, result.stdout + result.stderr
    rows = {Path(r["path"]).name: r for r in json.loads(result.stdout)["repos"]}
    expected = {"microblog": "3.11", "django-locallibrary-tutorial": "3.10", "djangopackages": "3.12"}
    for name, current in expected.items():
        assert rows[name]["ok"], rows[name]
        assert (
            rows[name]["versions"] == f"{current} -> 3.13"
            and rows[name]["branch"] == f"python-upgrade/{current}-to-3.13"
        )
        answers = (folder / name / ANSWERS_FILE).read_text()
        assert (
            "base_image: registry.example.com/mirror/python" in answers and "retire_after_days: 14" in answers
        )
    refused = rows["litestar-fullstack"]
    assert (
        not refused["ok"]
        and "target_python: 3.13 must be newer than current_python 3.13" in refused["reason"]
    )
    assert (
        head(folder / "litestar-fullstack")[0] == "main"
        and not (folder / "litestar-fullstack" / ANSWERS_FILE).exists()
    )
    assert (
        not rows["attrs"]["ok"]
        and rows["attrs"]["reason"].startswith("uncommitted changes")
        and head(dirty) == before
    )

    # Each project merges its branch and one edits a rendered file; then a template release is rolled out.
    for name, current in expected.items():
        git(folder / name, "checkout", "-q", "main")
        git(folder / name, "merge", "-q", "--ff-only", f"python-upgrade/{current}-to-3.13")
        git(folder / name, "branch", "-q", "-d", f"python-upgrade/{current}-to-3.13")
    blog = folder / "microblog"
    ignore = blog / "python-upgrade" / "Dockerfile.dockerignore"
    ignore.write_text(ignore.read_text() + "instance/\n")
    commit(blog, "our ignore", "2026-12-01")
    tox = template / "template" / "{{ project_dir }}" / "tox-python-upgrade.ini.jinja"
    tox.write_text(tox.read_text().replace("# v2: a new line", "# v3: another line"))
    git(template, "commit", "-q", "-am", "v3")
    git(template, "tag", "v3")
    again = fleet("apply", "--jobs", "2", "--json", *(str(folder / name) for name in expected))
    assert again.returncode == 0, again.stdout + again.stderr
    for row in json.loads(again.stdout)["repos"]:
        assert row["ok"] and row["action"] == "update" and row["template_version"] == "v3", row
    for name in expected:
        assert "# v3: another line" in (folder / name / "tox-python-upgrade.ini").read_text()
    assert ignore.read_text().endswith("instance/\n")

    report = fleet("status", "--json", "--template", str(template), str(folder))
    assert report.returncode == 1  # two repositories are not rendered
    seen = {Path(r["path"]).name: r for r in json.loads(report.stdout)["repos"]}
    for name, current in expected.items():
        row = seen[name]
        assert (row["rendered"], row["phase"], row["current_python"], row["target_python"]) == (
            True,
            "dual",
            current,
            "3.13",
        ), row
        assert (row["template_version"], row["behind"], row["retire_after_days"]) == ("v3", False, 14), row
    assert not seen["attrs"]["rendered"] and not seen["litestar-fullstack"]["rendered"]
    table = fleet("status", "--markdown", "--template", str(template), str(folder)).stdout
    assert all(name in table for name in names) and "3.10 → 3.13" in table


def test_an_untagged_template_is_said_once_and_no_repository_needs_action_for_it(tmp_path):
    """A template with no release tags yet: the report says so once (JSON notes, Markdown, page); no
    repository is behind it or needs action for it."""
    template = tmp_path / "template-repo"
    shutil.copytree(
        ROOT, template, ignore=shutil.ignore_patterns(".git", ".venv", "__pycache__", "*.egg-info")
    )
    git(template, "init", "-q", "-b", "main")
    commit(template, "no release yet")
    repo = rendered_repo(tmp_path / "repos", "shop", template, "HEAD", "2026-12-01", retire_after_days=14)
    result = fleet("status", "--json", "--today", TODAY, str(repo))
    report = json.loads(result.stdout)
    assert report["notes"] == [
        f"template {template} has no version tags: tag each release (v0.1.0, ...; "
        "docs/releasing.md), and `behind` says which repositories are behind it"
    ]
    (row,) = report["repos"]
    assert row["behind"] is None and row["problems"] == [] and row["needs_action"] == [], row
    assert result.returncode == 0, result.stderr
    table = fleet("status", "--today", TODAY, str(repo)).stdout
    assert table.count("has no version tags") == 1


def test_an_ignored_answers_file_is_named_at_copy_and_needs_action_in_the_fleet(tmp_path, capsys):
    """A repository whose .gitignore hides dotfiles (`.*`): the copy names each file git ignores, with
    the line that ignores it and what keeps it; committed as `git add -A` commits, the answers file is
    left out, and the fleet says so until it is tracked."""
    template = tagged_template(tmp_path)
    repo = plain_repo(tmp_path / "repos", "shop")
    (repo / ".gitignore").write_text("*.pyc\n.*\n!.gitignore\n")
    commit(repo, "ignore dotfiles", "2026-11-02")
    run_copy(str(template), repo, data={"current_python": "3.11"}, defaults=True, unsafe=True, vcs_ref="v2")
    said = capsys.readouterr()
    notes = [line for line in (said.out + said.err).splitlines() if line.startswith("Note: git ignores")]
    assert notes == [
        "Note: git ignores .copier-answers.python-upgrade.yml (.gitignore:2: .*); `git add -f "
        ".copier-answers.python-upgrade.yml` keeps it (or a line !.copier-answers.python-upgrade.yml in "
        ".gitignore below it), else it is left out of every commit",
        "Note: git ignores .github/workflows/python-upgrade.yml (.gitignore:2: .*); `git add -f "
        ".github/workflows/python-upgrade.yml` keeps it, else it is left out of every commit",
    ], notes
    commit(repo, "python-upgrade", "2026-11-20")
    assert ANSWERS_FILE not in git(repo, "ls-files")
    result = fleet("status", "--json", "--today", TODAY, str(repo))
    (row,) = json.loads(result.stdout)["repos"]
    assert result.returncode == 1 and row["problems"] == [
        f"{ANSWERS_FILE} is not tracked by git (ignored by .gitignore:2:.*): `git add -f {ANSWERS_FILE}` "
        "and commit it, or copier update, Renovate and apply find no answers"
    ], row
    git(repo, "add", "-f", ANSWERS_FILE)
    commit(repo, "keep the answers", "2026-11-20")
    (row,) = json.loads(fleet("status", "--json", "--today", TODAY, str(repo)).stdout)["repos"]
    assert row["problems"] == [], row


@pytest.mark.parametrize("signal_name", ["SIGTERM", "SIGINT"])
def test_apply_stopped_by_a_signal_leaves_each_repository_as_it_was(tmp_path, signal_name):
    """SIGTERM (a CI cancel) or SIGINT mid-copy: the repository in progress is left as it was (its
    working branch gone, clean, on main), the ones not started untouched, one line, exit 128 + n."""
    import signal
    import time

    template = tagged_template(tmp_path)
    folder = tmp_path / "repos"
    repos = [plain_repo(folder, f"r{n}") for n in range(3)]
    before = {repo: head(repo) for repo in repos}
    process = subprocess.Popen(
        [sys.executable, "-m", "python_upgrade_fleet.cli", "apply", "--template", str(template), str(folder)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not any(
        "python-upgrade/apply-" in git(repo, "branch", "--list") for repo in repos
    ):
        time.sleep(0.02)
    time.sleep(0.3)  # copier is at work on it
    process.send_signal(getattr(signal, signal_name))
    out, err = process.communicate(timeout=120)
    assert process.returncode == 128 + getattr(signal, signal_name), (out, err)
    assert err.strip().splitlines()[-1] == (
        f"python-upgrade-fleet apply: stopped by {signal_name}; the repositories in progress are as they were"
    )
    for repo in repos:
        branches = git(repo, "branch", "--list", "--format=%(refname:short)").split()
        assert not [b for b in branches if b.startswith("python-upgrade/apply-")], branches
        if "python-upgrade/3.11-to-3.12" in branches:  # finished before the signal: a whole commit
            assert head(repo)[2] == ""
        else:
            assert head(repo) == before[repo], repo


def test_a_real_service_finished_by_our_files_alone_is_not_done(tmp_path):
    """fastapi-realworld-example-app (Python 3.9 in its Dockerfile and three workflows) rendered with
    phase=finished: our files name 3.10 only, its own still name 3.9, so status says "finished", with
    the references, and needs action. Moved by hand as a careful person would, it is done; a
    reference added back fails the rendered workflow's census job, naming file:line."""
    import yaml

    from test_real_repos import copy, real_repo

    repo = real_repo(tmp_path, "fastapi-realworld-example-app")
    answers = copy(repo, {"phase": "finished"})
    assert (answers["current_python"], answers["target_python"]) == ("3.9", "3.10")
    commit(repo, "python-upgrade: finished", "2026-12-01")

    def row() -> tuple[dict, int]:
        result = fleet("status", "--json", "--today", TODAY, str(repo))
        return json.loads(result.stdout)["repos"][0], result.returncode

    before, code = row()
    assert (before["phase"], before["state"], code) == ("finished", "finished", 1)
    older = {(r["kind"], f"{r['file']}:{r['line']}") for r in before["census"]["older"]}
    assert older == {
        ("production image", "Dockerfile:1"),
        ("CI", ".github/workflows/conduit.yml:20"),
        ("CI", ".github/workflows/styles.yml:20"),
        ("CI", ".github/workflows/tests.yml:20"),
    }
    assert any(
        a.startswith("finished by its answers, but 4 reference(s) still name Python older than 3.10")
        and "Dockerfile:1" in a
        for a in before["needs_action"]
    )

    for name in ("Dockerfile", *(f".github/workflows/{w}.yml" for w in ("conduit", "styles", "tests"))):
        path = repo / name
        path.write_text(
            path.read_text().replace("python:3.9.10-slim", "python:3.10-slim").replace("[3.9]", "[3.10]")
        )
    commit(repo, "Python 3.10 everywhere", "2026-12-02")
    after, code = row()
    assert (after["state"], after["census"]["older"], after["needs_action"], code) == ("done", [], [], 0)

    workflow = yaml.safe_load((repo / ".github" / "workflows" / "python-upgrade.yml").read_text())
    step = workflow["jobs"]["census"]["steps"][-1]["run"]
    assert subprocess.run(["sh", "-c", step], cwd=repo, capture_output=True).returncode == 0
    (repo / "runtime.txt").write_text("python-3.9.20\n")
    ratchet = subprocess.run(["sh", "-c", step], cwd=repo, capture_output=True, text=True)
    assert ratchet.returncode == 1
    assert (
        "census: runtime.txt:1: runtime.txt names 3.9, older than 3.10 (run time): move it to 3.10"
        in ratchet.stderr
    )


@pytest.mark.tox
def test_finish_moves_a_real_service_and_the_fleet_calls_it_done(tmp_path):
    """fastapi-realworld-example-app in the dual phase (3.9 -> 3.10), as a team has it after the
    cutover: `tox -e finish -- --check` lists what would move and changes nothing; a dirty tree is
    refused; `tox -e finish` moves its Dockerfile and workflows to 3.10 in their own style, leaves the
    Poetry range to `poetry lock` (named), and sets phase=finished through copier update; the fleet then
    says done; a second run changes nothing."""
    from test_real_repos import real_repo

    template = tagged_template(tmp_path)
    repo = real_repo(tmp_path / "repos", "fastapi-realworld-example-app")
    run_copy(str(template), repo, data={}, defaults=True, unsafe=True, quiet=True, vcs_ref="v2")
    commit(repo, "python-upgrade", "2026-11-01")
    env = dict(os.environ)  # COPIER_SETTINGS_PATH: conftest points it at a file holding {}

    def finish(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "tox",
                "-q",
                "-c",
                "tox-python-upgrade.ini",
                "run",
                "-e",
                "finish",
                "--",
                *args,
            ],
            cwd=repo,
            capture_output=True,
            text=True,
            timeout=600,
            env=env,
        )

    check = finish("--check")
    assert check.returncode == 1, check.stdout + check.stderr
    assert "finish: Dockerfile:1: FROM python:3.10-slim-bookworm" in check.stdout
    assert "finish: .github/workflows/tests.yml:20: python-version: [3.10]" in check.stdout
    assert git(repo, "status", "--porcelain") == ""

    (repo / "notes.txt").write_text("work in progress\n")
    dirty = finish()
    assert dirty.returncode == 1 and "finish: the tree has uncommitted changes" in dirty.stderr
    (repo / "notes.txt").unlink()
    assert git(repo, "status", "--porcelain") == ""

    done = finish()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "phase: finished" in (repo / ANSWERS_FILE).read_text()
    assert (repo / "Dockerfile").read_text().splitlines()[0] == "FROM python:3.10-slim-bookworm"
    assert "python-version: [3.10]" in (repo / ".github" / "workflows" / "tests.yml").read_text()
    assert (
        'finish: left: pyproject.toml:9: Poetry\'s python (python = "^3.9"): python = "^3.10", then '
        "`poetry lock`" in done.stdout
    )
    own = git(
        repo,
        "diff",
        "--numstat",
        "--",
        "Dockerfile",
        ".github/workflows/conduit.yml",
        ".github/workflows/styles.yml",
        ".github/workflows/tests.yml",
        "pyproject.toml",
    )
    assert [line.split()[:2] for line in own.splitlines()] == [["1", "1"]] * 4  # one line each, no more
    assert "<<<<<<<" not in (repo / "tox-python-upgrade.ini").read_text()
    git(repo, "add", "-A")
    commit(repo, "Python 3.10: finished", "2026-12-02")

    row = json.loads(fleet("status", "--json", "--today", TODAY, str(repo)).stdout)["repos"][0]
    assert (row["phase"], row["state"]) == ("finished", "done"), row["needs_action"]
    again = finish()
    assert again.returncode == 0 and "finish: nothing to move" in again.stderr
    assert git(repo, "status", "--porcelain") == ""


def test_apply_finish_finishes_only_what_is_past_its_retire_date(tmp_path):
    """`apply --finish`: a repository dual since 2026-11-01 (retire after 7 days) is finished on a
    branch, its own Dockerfile moved; one dual since yesterday is only updated (nothing to change)."""
    from test_real_repos import real_repo

    template = tagged_template(tmp_path)
    old = real_repo(tmp_path / "repos" / "a", "fastapi-realworld-example-app")
    run_copy(str(template), old, data={}, defaults=True, unsafe=True, quiet=True, vcs_ref="v2")
    commit(old, "python-upgrade", "2026-11-01")
    fresh = rendered_repo(tmp_path / "repos", "fresh", template, "v2", "2026-12-02")
    result = fleet("apply", "--finish", "--today", TODAY, "--json", str(old), str(fresh))
    rows = {Path(r["path"]).name: r for r in json.loads(result.stdout)["repos"]}
    finished, updated = rows["fastapi-realworld-example-app"], rows["fresh"]
    assert (finished["action"], finished["ok"], finished["branch"]) == (
        "finish",
        True,
        "python-upgrade/3.9-to-3.10",
    )
    assert (
        git(old, "show", f"{finished['branch']}:Dockerfile").splitlines()[0]
        == "FROM python:3.10-slim-bookworm"
    )
    assert "phase: finished" in git(old, "show", f"{finished['branch']}:{ANSWERS_FILE}")
    assert updated["action"] == "update" and "nothing to change" in updated["reason"]
