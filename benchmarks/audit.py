"""Audit benchmark: the wheel check through uv against pip, side by side in one run.

    python benchmarks/audit.py [--only NAME ...] [--out docs/benchmarks-audit.md]
    python benchmarks/audit.py --direct microblog [--runs 3]

--direct: the audit run as a user runs it outside tox (`python3.X python-upgrade/audit.py`, no uv on
PATH nor beside that interpreter, so it fetches the pinned uv) against the tox path (`tox -e audit`,
which installs uv into its env), both from empty caches (pip's, uv's, the audit's, a new .tox), tests
left out; the section between the `direct` markers of the output file is replaced.

Cases: a fixture of 59 pinned packages (a Flask/Celery/Postgres service, 3.11 -> 3.12) and every
real project in ../shared/real-repos, copied into as tests/test_real_repos.py does (--defaults plus the
by-hand answers of tests/data/real_repos.yml). For each, `python-upgrade/audit.py --no-tests --json`
runs on this interpreter with pip (the audit as it was: pip resolves per version, then one pip
process per package and version) once cold (and, for the fixture, once warm: pip gains little from
its cache, and each run takes minutes), then with uv (one `uv pip compile` per version, both at
once, for Linux x86_64 without the interpreters; wheels from the index's file lists) cold and warm,
--runs times each (the median is reported: a lookup lost by the resolver costs a run 5 s). Cold:
empty pip, uv and index-list caches; warm: the same caches again. The verdicts are compared: the
same blockers, and the packages either path checked.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from engine import render_sample  # noqa: E402
from test_real_repos import TABLE, copy, real_repo  # noqa: E402

FIXTURE = ROOT / "benchmarks" / "data" / "service.txt"


def fixture(work: Path) -> Path:
    project = render_sample(work / "service-59", current_python="3.11", target_python="3.12")
    (project / "requirements.txt").write_text(FIXTURE.read_text())
    (project / "requirements-dev.txt").write_text("pytest==8.3.5\n")
    return project


def real(work: Path, name: str) -> Path:
    repo = real_repo(work, name)
    answers = copy(repo, dict(TABLE[name].get("by_hand") or {}))
    return repo / answers.get("project_dir", ".")


def median_run(project: Path, resolver: str, caches: list[Path]) -> tuple[float, dict | None, str]:
    """The median of several runs (each with its own caches), with the report of the first."""
    runs = [run(project, resolver, cache) for cache in caches]
    return statistics.median(r[0] for r in runs), runs[0][1], runs[0][2]


def run(project: Path, resolver: str, caches: Path) -> tuple[float, dict | None, str]:
    env = os.environ | {
        "PIP_CACHE_DIR": str(caches / "pip"),
        "UV_CACHE_DIR": str(caches / "uv"),
        "PYTHON_UPGRADE_CACHE": str(caches / "index"),
    }
    began = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "python-upgrade/audit.py", "--no-tests", "--json", "--resolver", resolver],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    seconds = time.perf_counter() - began
    try:
        return seconds, json.loads(result.stdout), ""
    except json.JSONDecodeError:
        return seconds, None, (result.stderr.strip().splitlines() or ["no output"])[-1]


def verdicts(report: dict | None) -> tuple[frozenset, int]:
    rows = (report or {}).get("wheels") or []
    return frozenset(row["name"] for row in rows if row["blocker"]), len(rows)


def direct_against_tox(work: Path, name: str, runs: int) -> list[str]:
    """Wall seconds of the audit run directly without uv and through tox, from empty caches, median of
    `runs` each, as Markdown lines."""
    project = real(work, name)
    data = json.loads((project / "python-upgrade" / "migration.json").read_text())
    python = shutil.which(f"python{data['current']}")
    assert python and subprocess.run([python, "-c", "import uv"], capture_output=True).returncode, (
        f"python{data['current']} must be here, without the uv package"
    )
    plain_path = os.pathsep.join(
        p for p in os.environ["PATH"].split(os.pathsep) if not (Path(p) / "uv").exists()
    )
    seconds: dict[str, list[float]] = {"direct": [], "tox": []}
    load = os.getloadavg()[0]
    for i in range(runs):
        for how in ("direct", "tox"):
            caches = work / f"caches-{how}-{i}"
            env = os.environ | {
                "PIP_CACHE_DIR": str(caches / "pip"),
                "UV_CACHE_DIR": str(caches / "uv"),
                "PYTHON_UPGRADE_CACHE": str(caches / "audit"),
            }
            if how == "direct":
                command = [python, "python-upgrade/audit.py", "--no-tests", "--json"]
                env["PATH"] = plain_path
            else:
                shutil.rmtree(project / ".tox", ignore_errors=True)
                command = [
                    sys.executable,
                    "-m",
                    "tox",
                    "-c",
                    "tox-python-upgrade.ini",
                    "run",
                    "-e",
                    "audit",
                    "--",
                    "--no-tests",
                    "--json",
                ]
            began = time.perf_counter()
            result = subprocess.run(
                command, cwd=project, env=env, capture_output=True, text=True, timeout=1800
            )
            seconds[how].append(time.perf_counter() - began)
            assert result.returncode in (0, 1), result.stdout[-2000:] + result.stderr[-2000:]
            if how == "direct":
                assert re.search(r"fetched uv \S+ from", result.stderr), result.stderr[-2000:]
            print(f"{name} {how} run {i + 1}: {seconds[how][-1]:.1f} s", flush=True)
    direct, tox = statistics.median(seconds["direct"]), statistics.median(seconds["tox"])
    return [
        f"## Run directly, without uv ({datetime.date.today().isoformat()})",
        "",
        f"`python benchmarks/audit.py --direct {name} --runs {runs}`: {name} ({data['current']} → "
        f"{data['target']}), `--no-tests`, each run from empty pip, uv and audit caches (and a new `.tox`), "
        f"the median of {runs}. Directly: `python{data['current']} python-upgrade/audit.py` with no uv on "
        "PATH "
        "or beside that interpreter, so the audit fetches the pinned uv wheel from the index first. Through "
        "tox: `tox -c tox-python-upgrade.ini run -e audit`, whose env installs uv (and the requirements).",
        "",
        "| path | runs (s) | median (s) |",
        "|---|---|---|",
        f"| directly, uv fetched | {', '.join(f'{s:.1f}' for s in seconds['direct'])} | {direct:.1f} |",
        f"| tox | {', '.join(f'{s:.1f}' for s in seconds['tox'])} | {tox:.1f} |",
        "",
        f"Directly / tox: {direct / tox:.2f} (goal: at most 1.5).",
        "",
        f"The two paths take turns, run by run. Load average before the first run: {load:.1f} on "
        f"{os.cpu_count()} cores. Runs of one path differ in steps of about 5 s, the lost DNS lookups "
        "described above; a run beside the test suite (2026-12-07, on cd9da2e) measured 17.5 s against "
        "9.6 s, so the ratio is worth reading only from a quiet machine's median.",
        "",
    ]


def replace_section(path: Path, marker: str, lines: list[str]) -> None:
    """The lines between `<!-- marker -->` and `<!-- /marker -->` of the file, replaced (appended the
    first time)."""
    text = path.read_text() if path.exists() else ""
    block = f"<!-- {marker} -->\n" + "\n".join(lines) + f"\n<!-- /{marker} -->\n"
    pattern = re.compile(rf"<!-- {marker} -->\n.*?<!-- /{marker} -->\n", re.S)
    path.write_text(
        pattern.sub(lambda _: block, text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + block
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="case names (service-59 and the real projects)")
    parser.add_argument("--out", default=str(ROOT / "docs" / "benchmarks-audit.md"))
    parser.add_argument("--runs", type=int, default=3, help="uv runs per temperature (median)")
    parser.add_argument(
        "--direct", metavar="NAME", help="a real project: the audit run directly without uv, against tox"
    )
    args = parser.parse_args()
    if args.direct:
        with tempfile.TemporaryDirectory(prefix="audit-direct-") as tmp:
            lines = direct_against_tox(Path(tmp), args.direct, args.runs)
        print("\n".join(lines))
        replace_section(Path(args.out), "direct", lines)
        return 0
    names = ["service-59", *TABLE]
    if args.only:
        names = [n for n in names if n in args.only]
    rows = []
    with tempfile.TemporaryDirectory(prefix="audit-bench-") as tmp:
        work = Path(tmp)
        for name in names:
            case = work / name
            case.mkdir()
            project = fixture(case) if name == "service-59" else real(case, name)
            data = json.loads((project / "python-upgrade" / "migration.json").read_text())
            measured = {("pip", "cold"): run(project, "pip", case / "caches-pip")}
            if name == "service-59":
                measured["pip", "warm"] = run(project, "pip", case / "caches-pip")
            caches = [case / f"caches-uv-{i}" for i in range(args.runs)]
            measured["uv", "cold"] = median_run(project, "uv", caches)
            measured["uv", "warm"] = median_run(project, "uv", caches)
            for (resolver, temperature), (seconds, report, error) in measured.items():
                print(
                    f"{name}: {resolver} {temperature} {seconds:.1f} s "
                    f"{verdicts(report)[1]} packages, blockers {sorted(verdicts(report)[0])} {error}",
                    flush=True,
                )
            rows.append((name, data, measured))

    lines = [
        f"# Audit benchmark ({datetime.date.today().isoformat()})",
        "",
        f"`python benchmarks/audit.py` on {os.cpu_count()} cores, Python {sys.version.split()[0]}, one run; "
        "seconds of wall time of `audit.py --no-tests --json` (removed imports and the wheel matrix). "
        f"pip: the audit as it was, one run; uv: the fast path, the median of {args.runs} runs. "
        "Cold: empty pip, "
        "uv and index caches; warm: a second run with them.",
        "",
        "| case | versions | layout | packages (pip / uv) | pip cold | pip warm | uv cold | uv warm | "
        "cold speed-up | blockers (pip / uv) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, data, measured in rows:
        pip_blockers, pip_count = verdicts(measured["pip", "cold"][1])
        uv_blockers, uv_count = verdicts(measured["uv", "cold"][1])
        same = "same" if pip_blockers == uv_blockers else "differ"
        speed = measured["pip", "cold"][0] / measured["uv", "cold"][0]
        blockers = ", ".join(sorted(uv_blockers)) or "none"
        if pip_blockers != uv_blockers:
            blockers = f"{', '.join(sorted(pip_blockers)) or 'none'} / {blockers}"
        lines.append(
            f"| {name} | {data['current']} → {data['target']} | {data['dependency_layout']} | "
            f"{pip_count} / {uv_count} | "
            + " | ".join(
                f"{measured[key][0]:.1f}" if key in measured else "-"
                for key in (("pip", "cold"), ("pip", "warm"), ("uv", "cold"), ("uv", "warm"))
            )
            + f" | {speed:.0f}× | {same}: {blockers} |"
        )
    notes = [
        f"- {name} ({resolver}): {note}"
        for name, _, measured in rows
        for resolver in ("pip", "uv")
        for note in (measured[resolver, "cold"][1] or {}).get("resolution", [])
        if "resolved by" not in note
    ]
    if notes:
        lines += ["", "Resolutions that did not happen (where the package lists differ):", "", *notes]
    text = "\n".join(lines) + "\n"
    print(text)
    Path(args.out).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
