"""Copy benchmark: `copier copy --trust --defaults` into every real project of ../shared/real-repos,
with this template and another one (an older commit, say) side by side in one run.

    python benchmarks/copy_time.py [--other PATH] [--runs 3] [--out docs/benchmarks-copy.md]

Each run copies into a fresh extraction of the project (git init, one commit), in a new Python process
(`python -m copier`, as a user runs it), alternating the templates; the median of --runs is reported,
with the answers of both compared (they must be the same, or the table says which differ).
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from render import ANSWERS_FILE, load_yaml  # noqa: E402
from test_real_repos import TABLE, real_repo  # noqa: E402


def copy_seconds(template: Path, work: Path, name: str) -> tuple[float, dict]:
    repo = real_repo(work, name)
    began = time.perf_counter()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "copier",
            "copy",
            "--trust",
            "--defaults",
            "--quiet",
            "--vcs-ref",
            "HEAD",
            str(template),
            str(repo),
        ],
        capture_output=True,
        text=True,
        env=os.environ | {"COPIER_SETTINGS_PATH": str(work / "settings.yml")},
        timeout=600,
    )
    seconds = time.perf_counter() - began
    assert result.returncode == 0, result.stderr[-2000:]
    answers = dict(load_yaml(repo / ANSWERS_FILE))
    return seconds, {k: v for k, v in answers.items() if k not in ("_commit", "_src_path")}


def label(template: Path) -> str:
    """A template checkout by its commit (and `+changes` where its tree has uncommitted ones)."""
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=template, capture_output=True, text=True
    )
    dirty = subprocess.run(
        ["git", "status", "--porcelain"], cwd=template, capture_output=True, text=True
    ).stdout
    return (head.stdout.strip() or template.name) + ("+changes" if dirty.strip() else "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--other", type=Path, help="another template folder (a git checkout) to compare with")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", default=str(ROOT / "docs" / "benchmarks-copy.md"))
    args = parser.parse_args()
    templates = {label(ROOT): ROOT} | ({label(args.other): args.other.resolve()} if args.other else {})
    labels = list(templates)
    this, other = labels[0], labels[-1]
    rows = []
    with tempfile.TemporaryDirectory(prefix="copy-bench-") as tmp:
        work = Path(tmp)
        (work / "settings.yml").write_text("{}\n")
        for name in TABLE:
            seconds: dict[str, list[float]] = {which: [] for which in templates}
            answers: dict[str, dict] = {}
            for i in range(args.runs):
                for which, template in templates.items():
                    case = work / f"{name}-{len(seconds[which])}-{labels.index(which)}"
                    case.mkdir()
                    took, answers[which] = copy_seconds(template, case, name)
                    seconds[which].append(took)
            same = (
                ""
                if len(answers) < 2
                else (
                    "same answers"
                    if answers[this] == answers[other]
                    else "answers differ: "
                    + ", ".join(
                        sorted(
                            k
                            for k in answers[this].keys() | answers[other].keys()
                            if answers[this].get(k) != answers[other].get(k)
                        )
                    )
                )
            )
            medians = {which: statistics.median(values) for which, values in seconds.items()}
            print(name, {which: f"{m:.2f}" for which, m in medians.items()}, same, flush=True)
            rows.append((name, medians, same))
    head = " | ".join(f"{which} (s)" for which in labels)
    lines = [
        f"# Copy benchmark ({datetime.date.today().isoformat()})",
        "",
        f"`python benchmarks/copy_time.py{' --other CHECKOUT' if args.other else ''} --runs {args.runs}`"
        f" on {os.cpu_count()} cores: wall seconds of `python -m copier copy --trust --defaults` into each "
        f"real project of ../shared/real-repos (a new process each, the median of {args.runs}, the "
        "templates alternating).",
        "",
        f"| project | {head} |{' ratio | answers |' if len(labels) > 1 else ''}",
        "|---|" + "---|" * len(labels) + ("---|---|" if len(labels) > 1 else ""),
    ]
    for name, medians, same in rows:
        cells = " | ".join(f"{medians[which]:.2f}" for which in labels)
        extra = f" {medians[this] / medians[other]:.2f} | {same} |" if len(labels) > 1 else ""
        lines.append(f"| {name} | {cells} |{extra}")
    text = "\n".join(lines) + "\n"
    print(text)
    Path(args.out).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
