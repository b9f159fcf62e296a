"""The example page: the template on a real project, every output as the tools print it.

    python docs/examples/make.py [--out docs/examples]

Takes the microblog snapshot from ../shared/real-repos (a real Flask service nobody here wrote),
commits it in a new git repository, and writes OUT/index.md with what a user sees: the copy
(`copier copy --trust --defaults`, nothing else) and its message, the answers it recorded, the files it
added, the start of the rendered Dockerfile, and the audit's report (`audit.py --no-tests`, from the
real package index); and OUT/fleet.png, the fleet's page of that repository in headless Chromium.
Run it again after a change to what users see; the page says the day it was made.
"""

from __future__ import annotations

import argparse
import datetime
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

from gitrepo import commit, git  # noqa: E402
from test_real_repos import real_repo  # noqa: E402

PROJECT = "microblog"


def run(command: list[str], cwd: Path, env: dict | None = None) -> tuple[int, str]:
    result = subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, env=os.environ | (env or {}), timeout=900
    )
    return result.returncode, (result.stdout + result.stderr).strip()


def fenced(text: str, kind: str = "text") -> list[str]:
    return [f"```{kind}", text.rstrip(), "```", ""]


def screenshot(page: Path, png: Path) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("make.py: no chromium here (apt install chromium) for the fleet page's picture")
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                "--window-size=1200,900",
                f"--screenshot={png}",
                page.as_uri(),
            ],
            capture_output=True,
            timeout=120,
            check=True,
        )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "examples")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="example-") as tmp:
        work = Path(tmp)
        repo = real_repo(work, PROJECT)
        settings = work / "settings.yml"
        settings.write_text("{}\n")
        env = {"COPIER_SETTINGS_PATH": str(settings)}
        code, copied = run(
            [sys.executable, "-m", "copier", "copy", "--trust", "--defaults", str(ROOT), "."], repo, env
        )
        if code:
            raise SystemExit(f"make.py: the copy failed:\n{copied}")
        message = copied[copied.index("Python ") :] if "Python " in copied else copied
        answers = (repo / ".copier-answers.python-upgrade.yml").read_text()
        answers = "\n".join(
            line for line in answers.splitlines() if not line.startswith(("_commit", "_src_path"))
        )
        added = git(repo, "status", "--short", "--untracked-files=all")
        dockerfile = "\n".join((repo / "python-upgrade" / "Dockerfile").read_text().splitlines()[:40])
        commit(repo, "python-upgrade: rendered")
        code, audit = run([sys.executable, "python-upgrade/audit.py", "--no-tests"], repo)
        report = audit[audit.index("# Python") :] if "# Python" in audit else audit
        page = work / "fleet.html"
        run([sys.executable, "-m", "python_upgrade_fleet.cli", "status", "--html", str(page), PROJECT], work)
        screenshot(page, args.out / "fleet.png")

    day = datetime.date.today().isoformat()
    lines = [
        f"# An example: {PROJECT}",
        "",
        f"Made by `python docs/examples/make.py` on {day}, from the snapshot of "
        "[miguelgrinberg/microblog](https://github.com/miguelgrinberg/microblog), a Flask service with "
        "a `requirements.txt`, a Dockerfile `FROM python:slim` and a `boot.sh` that migrates and then "
        "starts gunicorn. Nothing was answered by hand.",
        "",
        "## The copy",
        "",
        "In the repository, with its work committed:",
        "",
        *fenced("copier copy --trust --defaults path/to/copier-python-upgrade .", "sh"),
        "Copier's closing message:",
        "",
        *fenced(message),
        "The answers it recorded (`.copier-answers.python-upgrade.yml`): each detected from the repository "
        "or the template's default, as the questions' help says.",
        "",
        *fenced(answers, "yaml"),
        "What it added (`git status`): nothing of the project's own files changed.",
        "",
        *fenced(added),
        "The start of `python-upgrade/Dockerfile`:",
        "",
        *fenced(dockerfile, "dockerfile"),
        "## The audit",
        "",
        "`python3 python-upgrade/audit.py --no-tests` (the same as "
        "`tox -c tox-python-upgrade.ini run -e audit -- --no-tests`), its report:",
        "",
        *[line.replace("# ", "### ", 1) if line.startswith("#") else line for line in report.splitlines()],
        "",
        "## The fleet's page",
        "",
        "`python-upgrade-fleet status --html fleet.html .` after the commit, in headless Chromium:",
        "",
        "![the fleet page](fleet.png)",
        "",
    ]
    (args.out / "index.md").write_text("\n".join(lines))
    print(f"wrote {args.out / 'index.md'} and {args.out / 'fleet.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
