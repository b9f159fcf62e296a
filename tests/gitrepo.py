"""git for the repositories the tests make (a user's checkout, a tagged copy of the template): one
helper, so every test commits the same way."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


def git(cwd: Path, *args: str) -> str:
    """`git ARGS` in cwd; its output, or CalledProcessError with it."""
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def commit(repo: Path, message: str, day: str | None = None) -> None:
    """Everything in the working tree committed, dated `day` (YYYY-MM-DD, noon UTC) when given."""
    git(repo, "add", "-A")
    env = os.environ | (
        {"GIT_AUTHOR_DATE": f"{day}T12:00:00+00:00", "GIT_COMMITTER_DATE": f"{day}T12:00:00+00:00"}
        if day
        else {}
    )
    subprocess.run(["git", "commit", "-q", "-m", message], cwd=repo, check=True, env=env, capture_output=True)
