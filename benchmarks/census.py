"""Census benchmark: python-upgrade/census.py on each real project of ../shared/real-repos.

    python benchmarks/census.py [--runs 5] [--out docs/benchmarks-census.md]

Each project extracted as tests/test_real_repos.py does; the census (every file that names a Python
version, read and listed with file:line) run in this process, `--runs` times, the median reported, with
the references it found by kind. Goal: under a second per project.
"""

from __future__ import annotations

import argparse
import collections
import datetime
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from conftest import load_program  # noqa: E402
from test_real_repos import TABLE, real_repo  # noqa: E402

census = load_program("census")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", default=str(ROOT / "docs" / "benchmarks-census.md"))
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="census-bench-") as tmp:
        for name in TABLE:
            repo = real_repo(Path(tmp) / name, name)
            files = sum(1 for p in repo.rglob("*") if p.is_file() and ".git" not in p.parts)
            seconds, references = [], []
            for _ in range(args.runs):
                began = time.perf_counter()
                references = census.Census(str(repo)).run()
                seconds.append(time.perf_counter() - began)
            kinds = collections.Counter(r["kind"] for r in references)
            rows.append((name, files, statistics.median(seconds), max(seconds), kinds))
            print(
                f"{name}: {statistics.median(seconds) * 1000:.0f} ms, {len(references)} references",
                flush=True,
            )
    lines = [
        f"# Census benchmark ({datetime.date.today().isoformat()})",
        "",
        f"`python benchmarks/census.py --runs {args.runs}`: `python-upgrade/census.py` on each project of "
        f"`../shared/real-repos`, in one process on {sys.implementation.name} "
        f"{'.'.join(map(str, sys.version_info[:3]))}, 2 cores; the median and the slowest of "
        f"{args.runs} runs. Goal: under a second per project.",
        "",
        "| project | files | median (ms) | slowest (ms) | references by kind |",
        "|---|---|---|---|---|",
    ]
    for name, files, median, slowest, kinds in rows:
        found = ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())) or "none"
        lines.append(f"| {name} | {files} | {median * 1000:.0f} | {slowest * 1000:.0f} | {found} |")
    worst = max(r[3] for r in rows)
    lines += ["", f"Slowest run of any project: {worst * 1000:.0f} ms (goal: under 1000 ms).", ""]
    Path(args.out).write_text("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
