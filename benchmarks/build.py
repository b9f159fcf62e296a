"""Build benchmark: the rendered dual-version Dockerfile against the naive layout most guides show.

    python benchmarks/build.py [--current 3.11] [--target 3.12] [--runs 1] [--out docs/benchmarks.md]

Both layouts build the same project (the sample app plus a realistic set of dependencies) for both
versions, side by side in one run, on the same BuildKit engine and base images:

- ours:  python-upgrade/Dockerfile, `--target all` (both test stages and both production images in
         one BuildKit solve: deps layer, wheelhouse cache mount, slim base), then the two production
         targets tagged from the cache.
- naive: per version `FROM python:<v>-<suite>` (full image), copy requirements, `pip install
         --no-cache-dir`, copy source, run tests; production from the full image the same way.

Measured: cold dual build (build cache and cache mounts pruned), rebuild after a source-only change,
rebuild after bumping one requirement, and the production image size. Prints the ratios and writes
them to docs/benchmarks.md. Speed goals are ratios measured in one run, not timed tests.
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

from engine import docker, ensure_base_images, render_sample  # noqa: E402

EXTRA_REQUIREMENTS = """flask==3.1.0
requests==2.32.2
pydantic==2.10.6
sqlalchemy==2.0.38
python-dateutil==2.9.0.post0
pyyaml==6.0.2
"""
BUMP = ("requests==2.32.2", "requests==2.32.3")

NAIVE = """FROM python:{v}-{suite} AS test-{color}
WORKDIR /app
COPY requirements.txt requirements-dev.txt ./
RUN pip install --no-cache-dir -r requirements.txt -r requirements-dev.txt
COPY . .
RUN python -m pytest

FROM python:{v}-{suite} AS production-{color}
WORKDIR /app
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "app:app"]
"""


def build(project: Path, dockerfile: str, target: str, tag: str) -> float:
    start = time.monotonic()
    result = docker("build", "--progress=plain", "--network", "host", "-f", dockerfile, "--target", target,
                    "-t", tag, ".", cwd=project, timeout=1800)
    elapsed = time.monotonic() - start
    if result.returncode != 0:
        sys.exit(f"build of {target} ({dockerfile}) failed:\n{result.stderr[-4000:]}")
    return elapsed


class Layout:
    def __init__(self, name: str, dockerfile: str, targets: list[str]):
        self.name, self.dockerfile, self.targets = name, dockerfile, targets

    def build_all(self, project: Path) -> float:
        return sum(build(project, self.dockerfile, t, f"bench-{self.name}:{t}") for t in self.targets)

    def production_size(self) -> int:
        tag = f"bench-{self.name}:production-target"
        return int(docker("image", "inspect", "-f", "{{.Size}}", tag, check=True).stdout)


def prune() -> None:
    docker("builder", "prune", "-af", check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--current", default="3.11")
    parser.add_argument("--target", default="3.12")
    parser.add_argument("--suite", default="bookworm")
    parser.add_argument("--runs", type=int, default=1, help="cold builds per layout (median taken)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    args = parser.parse_args()

    os.environ["VARIANT"] = "full"
    ensure_base_images(args.current, args.target, suite=args.suite)
    project = render_sample(Path(tempfile.mkdtemp(prefix="bench-")) / "app",
                            current_python=args.current, target_python=args.target, debian_suite=args.suite)
    with open(project / "requirements.txt", "a") as handle:
        handle.write(EXTRA_REQUIREMENTS)
    (project / "naive.Dockerfile").write_text("\n".join(
        NAIVE.format(v=v, suite=args.suite, color=c) for c, v in (("current", args.current), ("target", args.target))))

    ours = Layout("ours", "python-upgrade/Dockerfile", ["all", "production-current", "production-target"])
    naive = Layout("naive", "naive.Dockerfile",
                   ["test-current", "production-current", "test-target", "production-target"])
    results: dict[str, dict[str, float]] = {"ours": {}, "naive": {}}

    colds: dict[str, list[float]] = {"ours": [], "naive": []}
    for run in range(args.runs):
        for layout in (naive, ours) if run % 2 == 0 else (ours, naive):
            prune()
            colds[layout.name].append(layout.build_all(project))
            print(f"cold {layout.name} run {run + 1}: {colds[layout.name][-1]:.1f} s", flush=True)
    for layout in (ours, naive):
        results[layout.name]["cold"] = statistics.median(colds[layout.name])

    # Warm caches for both, then a source-only change, then one requirement bumped.
    for layout in (ours, naive):
        layout.build_all(project)
    app = project / "app.py"
    app.write_text(app.read_text() + "\n# source-only change\n")
    for layout in (ours, naive):
        results[layout.name]["source"] = layout.build_all(project)
    requirements = project / "requirements.txt"
    requirements.write_text(requirements.read_text().replace(*BUMP))
    for layout in (ours, naive):
        results[layout.name]["bump"] = layout.build_all(project)
    for layout in (ours, naive):
        results[layout.name]["size"] = layout.production_size() / 1e6

    o, n = results["ours"], results["naive"]
    rows = [
        ("cold dual build (s)", o["cold"], n["cold"], o["cold"] / n["cold"], "ours / naive", "≤ 0.7"),
        ("source-only rebuild (s)", o["source"], n["source"], o["source"] / o["cold"], "ours / our cold", "≤ 0.1"),
        ("one requirement bumped (s)", o["bump"], n["bump"], o["bump"] / n["bump"], "ours / naive", "≤ 0.5"),
        ("production image (MB)", o["size"], n["size"], o["size"] / n["size"], "ours / naive", "≤ 0.25"),
    ]
    goals = {"≤ 0.7": 0.7, "≤ 0.1": 0.1, "≤ 0.5": 0.5, "≤ 0.25": 0.25}
    standin = "offline stand-in" in docker("image", "inspect", "-f", "{{json .Config.Labels}}",
                                           f"python:{args.target}-slim-{args.suite}", check=True).stdout
    lines = [
        "# Build benchmark",
        "",
        f"Measured {datetime.date.today().isoformat()} on {os.cpu_count()} cores with",
        "`python benchmarks/build.py" + (f" --runs {args.runs}" if args.runs != 1 else "") + "`"
        f" (Python {args.current} → {args.target}, Debian {args.suite}, BuildKit, `--network host`).",
        "",
        "Project: the test suite's sample app plus flask, requests, pydantic, sqlalchemy, python-dateutil,",
        "pyyaml. *ours* is the rendered `python-upgrade/Dockerfile`: `--target all` (both versions' tests",
        "and production images in one BuildKit solve), then both production images tagged from the cache;",
        "*naive* is per-version `FROM python:<v>-<suite>` (full image), `pip install",
        "--no-cache-dir` of the requirements, copy source, run tests, and production from the full image.",
        "",
        "| measure | ours | naive | ratio | of | goal | met |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, ours_value, naive_value, ratio, of, goal in rows:
        met = "yes" if ratio <= goals[goal] else "**no**"
        lines.append(f"| {name} | {ours_value:.1f} | {naive_value:.1f} | {ratio:.2f} | {of} | {goal} | {met} |")
    lines += [
        "",
        "Base images: " + ("offline stand-ins built by `tests/engines/base_images.sh` (debootstrap'd"
                           " Debian minbase + the local pyenv interpreter laid out as the official slim"
                           " image; the full image is that plus the buildpack-deps packages), since no"
                           " registry was reachable." if standin else "the official python images."),
        "Cold builds prune the whole BuildKit cache (layers and cache mounts) first; base images stay.",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
