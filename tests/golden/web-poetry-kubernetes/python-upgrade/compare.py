#!/usr/bin/env python3
"""Compare the current Python and the target on this project: time and peak memory of one command.

    tox -c tox-python-upgrade.ini run -e compare
    tox -c tox-python-upgrade.ini run -e compare -- --runs 9 --command "python -m myapp.bench"

The versions and the default command (the test suite) come from python-upgrade/migration.json.
Brings both versions' tox environments (pyXY) up to date (tox --notest: dependencies, no tests),
then runs the command in each of them, alternating between them, N times each. Prints the median
and best wall time, the target/current ratio and the peak resident memory of each, as a Markdown
table, and writes it with an SVG bar chart to --out. Newer interpreters can start with a larger
resident set: look at the memory row before a cutover. Stdlib only.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys

DATA_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "migration.json")
# Read as a source (outside a rendered project) there is no such file: main() says so.
if os.path.isfile(DATA_FILE):
    with open(DATA_FILE) as _handle:
        DATA = json.load(_handle)
else:
    DATA = {"current": "", "target": "", "test_command": ""}
CURRENT, TARGET = DATA["current"], DATA["target"]
ENVS = {version: "py" + version.replace(".", "") for version in (CURRENT, TARGET)}
DEFAULT_COMMAND = DATA["test_command"]

# Runs one command and reports its wall time and the peak RSS of the processes it waited for.
MEASURE = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
code = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
elapsed = time.perf_counter() - start
rss_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"code": code, "seconds": elapsed, "rss_mib": rss_kib / 1024}))
"""


def prepare_envs(work_dir):
    """Both versions' tox environments, created or updated without running the tests."""
    command = [sys.executable, "-m", "tox", "-c", "tox-python-upgrade.ini", "--workdir", work_dir,
               "run", "--notest", "-e", f"{ENVS[CURRENT]},{ENVS[TARGET]}"]
    if subprocess.run(command, stdout=sys.stderr, check=False).returncode != 0:
        sys.exit("compare.py: could not prepare the tox environments: {}".format(" ".join(command)))
    return {v: os.path.join(work_dir, ENVS[v], "bin", "python") for v in (CURRENT, TARGET)}


def measure(python, command):
    env = dict(os.environ)
    bin_dir = os.path.dirname(python)
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    env["VIRTUAL_ENV"] = os.path.dirname(bin_dir)
    out = subprocess.run([sys.executable, "-c", MEASURE] + command, env=env, capture_output=True, text=True,
                         check=True).stdout
    return json.loads(out)


def svg_chart(results):
    """Two groups of bars (time, memory), current vs target, scaled per group."""
    width, height, bar = 520, 240, 60
    colors = {CURRENT: "#4a78c2", TARGET: "#3f9e5a"}
    parts = [(f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" '
             'font-size="12">'),
             f'<text x="10" y="18" font-size="14">Python {CURRENT} (blue) vs {TARGET} (green)</text>']
    for group, (key, unit) in enumerate((("median_s", "s"), ("peak_rss_mib", "MiB"))):
        top = max(results[v][key] for v in (CURRENT, TARGET)) or 1
        x0 = 40 + group * 240
        parts.append('<text x="{}" y="{}">{}</text>'.format(x0, height - 8, "median time" if group == 0 else "peak RSS"))
        for i, version in enumerate((CURRENT, TARGET)):
            value = results[version][key]
            h = (height - 80) * value / top
            x, y = x0 + i * (bar + 20), height - 30 - h
            parts.append(f'<rect x="{x}" y="{y:.1f}" width="{bar}" height="{h:.1f}" fill="{colors[version]}"/>')
            parts.append(f'<text x="{x}" y="{y - 4:.1f}">{value:.2f} {unit}</text>')
            parts.append(f'<text x="{x + 18}" y="{height - 18}">{version}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=f"Python {CURRENT} vs {TARGET}: time and memory")
    parser.add_argument("--command", default=DEFAULT_COMMAND, help="command to measure (default: the tests)")
    parser.add_argument("--runs", type=int, default=5, help="runs per version (default 5)")
    parser.add_argument("--tox-work-dir", default=".tox", help="where tox keeps its environments")
    parser.add_argument("--out", default="python-upgrade/compare", help="directory for compare.md and compare.svg")
    args = parser.parse_args(argv)
    if not CURRENT:
        parser.error(f"no {DATA_FILE}: run the comparison from a project the template was rendered into")
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    command = shlex.split(args.command)
    pythons = prepare_envs(args.tox_work_dir)

    samples = {CURRENT: [], TARGET: []}
    for run in range(args.runs):
        order = (CURRENT, TARGET) if run % 2 == 0 else (TARGET, CURRENT)
        for version in order:
            sample = measure(pythons[version], command)
            if sample["code"] != 0:
                sys.exit("compare.py: `{}` failed on Python {} (exit {})".format(args.command, version, sample["code"]))
            samples[version].append(sample)
            print("run {}/{} Python {}: {:.3f} s, {:.1f} MiB".format(run + 1, args.runs, version, sample["seconds"],
                                                               sample["rss_mib"]), file=sys.stderr)
    results = {v: {"median_s": statistics.median(s["seconds"] for s in samples[v]),
                   "best_s": min(s["seconds"] for s in samples[v]),
                   "peak_rss_mib": max(s["rss_mib"] for s in samples[v])} for v in (CURRENT, TARGET)}
    c, t = results[CURRENT], results[TARGET]
    table = [
        f"Python {CURRENT} vs {TARGET}: `{args.command}`, {args.runs} runs each, alternating",
        "",
        f"| | {CURRENT} | {TARGET} | {TARGET} / {CURRENT} |",
        "|---|---|---|---|",
        "| median time (s) | {:.3f} | {:.3f} | {:.2f} |".format(c["median_s"], t["median_s"], t["median_s"] / c["median_s"]),
        "| best time (s) | {:.3f} | {:.3f} | {:.2f} |".format(c["best_s"], t["best_s"], t["best_s"] / c["best_s"]),
        "| peak RSS (MiB) | {:.1f} | {:.1f} | {:.2f} |".format(c["peak_rss_mib"], t["peak_rss_mib"],
                                                    t["peak_rss_mib"] / c["peak_rss_mib"]),
    ]
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "compare.md"), "w") as handle:
        handle.write("\n".join(table) + "\n")
    with open(os.path.join(args.out, "compare.svg"), "w") as handle:
        handle.write(svg_chart(results))
    print("\n".join(table))
    print("\nwritten: {}, {}".format(os.path.join(args.out, "compare.md"), os.path.join(args.out, "compare.svg")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
