#!/usr/bin/env python3
"""Both production images under the same load, side by side, before any user is moved.

    tox -c tox-python-upgrade.ini run -e load [-- --rounds 5 --seconds 10 --users 10 ...]
    python3 python-upgrade/load.py [--current IMAGE] [--target IMAGE] [--build] [-e NAME=VALUE ...]

The project's facts come from python-upgrade/load.json (rendered from the answers; edit them there or
with `copier update`); the requests come from python-upgrade/locustfile.py, which is yours.

1. The images production-current and production-target are taken by tag (load.json "images"), and
   built from python-upgrade/Dockerfile where a tag is missing (or with --build).
2. Both start side by side, each with the same --cpus and --memory, on host networking with $PORT
   set to a free port and load.json "env" (smoke_env) as the environment. Each container's memory
   (anonymous memory of its cgroup, `docker stats` where the cgroup is not readable) is sampled
   every half second from the moment it starts. Without Docker, `--runtime venv` (bluegreen.sh's venv
   runtime) starts app_command from a virtualenv per version (tox's .tox/pyXY by default) with no
   limits, and samples the proportional memory (PSS) of its process group.
3. Once both answer 2xx on health_path, locust runs headless against each in alternating rounds
   (current, target, current, target, ...) with the same users, spawn rate and duration, so machine
   noise hits both.
4. Per version: time from start to first 2xx, requests per second, failure rate, p50/p95/p99, the
   start-up memory peak, the steady memory and its slope. Each target/current ratio gets a verdict
   from the rounds: an exact two-sided rank test (Mann-Whitney U) at 5%; a difference inside the
   noise is "no difference", not better or worse. The start-up peak and time to first 2xx come from
   one start each: their ratio is shown without a verdict.
5. python-upgrade/load/report.md, latency.svg, memory.svg and results.json are written.

Exit 1 when the target is significantly worse beyond a gate of the cutover (load.json "gates",
overridden by BG_MAX_5XX_PERCENT, BG_MAX_P99_MS, BG_MAX_P99_PERCENT, BG_MIN_P99_DELTA_MS,
BG_MAX_RSS_PERCENT like bluegreen.conf): failure rate above max_5xx_percent, p99 above max_p99_ms or
above max_p99_percent of the current one (once it is min_p99_delta_ms slower), steady memory above max_rss_percent of the current one; and when the start-up
memory peak is above max_rss_percent of the current one. Each failing measure is named with its
numbers. Exit 0 otherwise, 2 when the comparison could not run. Every wait is bounded; traffic goes
to 127.0.0.1 only. Stdlib only (locust runs as its own program); $DOCKER names the client.
"""

import argparse
import csv
import http.client
import itertools
import json
import math
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).parent
DATA = HERE / "load.json"
VERSIONS = ("current", "target")
# (key, label, higher is worse)
MEASURES = (
    ("rps", "requests per second", False),
    ("failure_percent", "failures (%)", True),
    ("p50_ms", "p50 (ms)", True),
    ("p95_ms", "p95 (ms)", True),
    ("p99_ms", "p99 (ms)", True),
    ("steady_mib", "steady memory (MiB)", True),
)
KRR_HEADROOM = 1.15  # memory request = limit = the highest usage seen + 15%, as KRR's simple strategy


def fail(message):
    print(f"load.py: {message}", file=sys.stderr)
    sys.exit(2)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def healthy(port, path, host):
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=3)
        conn.request("GET", path, headers={"Host": host})
        return 200 <= conn.getresponse().status < 300
    except OSError:
        return False


# ------------------------------------------------------------------------------------- statistics
def median(values):
    return statistics.median(values) if values else float("nan")


def rank_test(a, b):
    """Two-sided p-value of the Mann-Whitney U statistic, exact by enumerating every split of the
    pooled values (ties included) up to 20 values, else its normal approximation."""
    if not a or not b:
        return 1.0
    pooled = list(a) + list(b)

    def u(first, second):
        return sum((x > y) + 0.5 * (x == y) for x in first for y in second)

    n, m = len(a), len(b)
    centre = n * m / 2
    observed = abs(u(a, b) - centre)
    if n + m <= 20:
        extreme = total = 0
        for chosen in itertools.combinations(range(n + m), n):
            rest = [pooled[i] for i in range(n + m) if i not in chosen]
            total += 1
            extreme += abs(u([pooled[i] for i in chosen], rest) - centre) >= observed - 1e-9
        return extreme / total
    sigma = math.sqrt(n * m * (n + m + 1) / 12)
    return math.erfc(observed / sigma / math.sqrt(2)) if sigma else 1.0


def verdict(current, target, higher_is_worse, alpha=0.05):
    """'worse', 'better' or 'no difference' for the target, from the rounds."""
    if rank_test(current, target) >= alpha:
        return "no difference"
    up = median(target) > median(current)
    return "worse" if up == higher_is_worse else "better"


def slope_per_minute(samples):
    """Least-squares slope of (seconds, MiB) samples, in MiB per minute."""
    if len(samples) < 3:
        return 0.0
    xs, ys = [s for s, _ in samples], [m for _, m in samples]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return 60 * sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den if den else 0.0


# --------------------------------------------------------------------------------- the containers
def cgroup_files(container_id):
    """memory.stat of the container's cgroup: v2 (systemd or cgroupfs driver) or v1."""
    return [Path(p) for p in (
        f"/sys/fs/cgroup/system.slice/docker-{container_id}.scope/memory.stat",
        f"/sys/fs/cgroup/docker/{container_id}/memory.stat",
        f"/sys/fs/cgroup/memory/docker/{container_id}/memory.stat",
        f"/sys/fs/cgroup/memory/system.slice/docker-{container_id}.scope/memory.stat",
    )]


def read_anon(path):
    fields = dict(line.split() for line in path.read_text().splitlines() if line.count(" ") == 1)
    for key in ("anon", "total_rss", "rss"):
        if key in fields:
            return int(fields[key])
    return None


class Instance:
    """One production build of a version, started on a free port; its memory is sampled every half
    second from the moment it starts."""

    limits = ""

    def __init__(self, label, version, probe):
        self.label, self.version, self.probe = label, version, probe
        self.port = free_port()
        self.samples = []  # (seconds since start, MiB)
        self.first_ok = None
        self.started = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self):
        """Memory every half second; until the first 2xx, the health path every tenth of a second, so
        each version's time to its first answer is its own."""
        next_sample = 0.0
        while not self._stop.is_set():
            now = time.monotonic() - self.started
            if self.first_ok is None and healthy(self.port, *self.probe):
                self.first_ok = time.monotonic() - self.started
            if now >= next_sample:
                value = self.memory()
                if value is not None:
                    self.samples.append((now, value))
                next_sample = now + 0.5
            self._stop.wait(0.1 if self.first_ok is None else 0.5)

    def remove(self):
        self._stop.set()
        self._thread.join(timeout=5)


class Container(Instance):
    """The production image in Docker, with --cpus and --memory."""

    def __init__(self, docker, image, version, args, env, probe):
        super().__init__(image, version, probe)
        self.docker = docker
        self.limits = f"--cpus {args.cpus} --memory {args.memory}"
        command = [docker, "run", "--detach", "--network", "host", "--cpus", str(args.cpus),
                   "--memory", args.memory, "--env", f"PORT={self.port}",
                   *[item for pair in env for item in ("--env", pair)], image]
        started = subprocess.run(command, capture_output=True, text=True, check=False)
        if started.returncode != 0:
            fail(f"{image}: docker run failed: {started.stderr.strip()[-300:]}")
        self.id = started.stdout.strip()
        self.started = time.monotonic()
        self.stat = next((p for p in cgroup_files(self.id) if p.is_file()), None)
        self._thread.start()

    def memory(self):
        if self.stat is not None:
            try:
                value = read_anon(self.stat)
                if value is not None:
                    return value / 2**20
            except OSError:
                pass
        result = subprocess.run([self.docker, "stats", "--no-stream", "--format", "{{.MemUsage}}", self.id],
                                capture_output=True, text=True, check=False)
        return parse_size(result.stdout.split("/")[0].strip())

    def running(self):
        state = subprocess.run([self.docker, "inspect", "--format", "{{.State.Running}}", self.id],
                               capture_output=True, text=True, check=False)
        return state.stdout.strip() == "true"

    def logs(self):
        result = subprocess.run([self.docker, "logs", "--tail", "30", self.id], capture_output=True, text=True,
                                check=False)
        return (result.stdout + result.stderr)[-3000:]

    def remove(self):
        super().remove()
        subprocess.run([self.docker, "rm", "--force", "--volumes", self.id], capture_output=True, check=False)


class Process(Instance):
    """The app command from a virtualenv of the version (bluegreen.sh's venv runtime), in the project
    directory. No CPU or memory limit: the report says so."""

    limits = "none (venv runtime)"

    def __init__(self, venv, app_command, version, env, workdir, probe):
        super().__init__(f"{venv} ({app_command})", version, probe)
        self._log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (the server's output; closed in remove())
        environment = dict(os.environ, PORT=str(self.port), VIRTUAL_ENV=str(venv),
                           PATH=f"{venv}/bin{os.pathsep}{os.environ.get('PATH', '')}")
        environment.update(pair.split("=", 1) for pair in env)
        self.process = subprocess.Popen(["sh", "-c", f"exec {app_command}"], cwd=workdir, env=environment,
                                        stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        self.started = time.monotonic()
        self._thread.start()

    def memory(self):
        """Proportional set size (PSS) of the whole process group: forked workers share pages."""
        total = 0
        for pid in process_group(self.process.pid):
            try:
                rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
                total += int(next(line.split()[1] for line in rollup.splitlines() if line.startswith("Pss:")))
            except (OSError, StopIteration, ValueError):
                continue
        return total / 1024 if total else None

    def running(self):
        return self.process.poll() is None

    def logs(self):
        self._log.seek(0)
        return self._log.read()[-3000:]

    def remove(self):
        super().remove()
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=15)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)
        self._log.close()


def process_group(pgid):
    """Every process id in the process group (the server and its workers)."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:
            pids.append(int(stat.parent.name))
    return pids


def parse_size(amount):
    """'12.5MiB' (docker stats) in MiB, or None."""
    units = {"KiB": 1 / 1024, "MiB": 1, "GiB": 1024, "B": 1 / 2**20, "kB": 1 / 1024, "MB": 1, "GB": 1024}
    for unit, factor in sorted(units.items(), key=lambda u: -len(u[0])):
        if amount.endswith(unit):
            try:
                return float(amount[: -len(unit)]) * factor
            except ValueError:
                return None
    return None


def ensure_image(docker, data, version, image, rebuild):
    present = subprocess.run([docker, "image", "inspect", image], capture_output=True, check=False).returncode == 0
    if present and not rebuild:
        return
    command = [docker, "build", "--network", "host", "-f", data["dockerfile"], "--target", f"production-{version}",
               "-t", image, data["context"]]
    print(f"load.py: building {image}: {' '.join(command)}", flush=True)
    built = subprocess.run(command, env=dict(os.environ, DOCKER_BUILDKIT="1"), check=False)
    if built.returncode != 0:
        fail(f"{image}: the build failed (exit {built.returncode}); run the command above to see why")


# ------------------------------------------------------------------------------------------ locust
def locust_round(locust, locustfile, container, args, workdir, name):
    prefix = workdir / name
    command = [locust, "-f", str(locustfile), "--headless", "--users", str(args.users), "--spawn-rate",
               str(args.spawn_rate), "--run-time", f"{args.seconds}s", "--host", f"http://127.0.0.1:{container.port}",
               "--csv", str(prefix), "--only-summary", "--stop-timeout", "2", "--exit-code-on-error", "0",
               "--loglevel", "WARNING"]
    began = time.monotonic() - container.started
    result = subprocess.run(command, capture_output=True, text=True, timeout=args.seconds + 60, check=False)
    ended = time.monotonic() - container.started
    stats = Path(f"{prefix}_stats.csv")
    if result.returncode != 0 or not stats.is_file():
        fail(f"locust failed (exit {result.returncode}) against {container.label}: "
             f"{(result.stderr or result.stdout).strip()[-500:]}")
    with stats.open(newline="") as handle:
        row = next((r for r in csv.DictReader(handle) if r["Name"] == "Aggregated"), None)
    if row is None or not int(row["Request Count"]):
        fail(f"locust sent no request to {container.label}; check python-upgrade/locustfile.py")
    requests, failures = int(row["Request Count"]), int(row["Failure Count"])
    memory = [m for s, m in container.samples if began <= s <= ended]
    return {"rps": float(row["Requests/s"]), "failure_percent": 100.0 * failures / requests,
            "p50_ms": float(row["50%"]), "p95_ms": float(row["95%"]), "p99_ms": float(row["99%"]),
            "steady_mib": median(memory) if memory else float("nan"), "requests": requests,
            "window": [began, ended]}


# ------------------------------------------------------------------------------------------ output
COLORS = {"current": "#2b6cb0", "target": "#2f855a"}


def svg(width, height, title, results, body):
    """An SVG document: the title, a legend naming each version's Python, and the body's elements."""
    legend = [f'<text x="{width - 230 + 115 * i}" y="16" fill="{COLORS[v]}">{v} ({results[v]["python"]})</text>'
              for i, v in enumerate(VERSIONS)]
    return "\n".join([(f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
                      'font-family="sans-serif" font-size="12">'), f'<text x="10" y="16">{title}</text>',
                      *legend, *body, "</svg>"]) + "\n"


def bar_chart(results):
    """Latency percentiles per version: the median of the rounds of p50, p95 and p99."""
    width, height, left, top, bottom = 560, 260, 50, 40, 30
    values = [(v, k, median([r[k] for r in results[v]["rounds"]])) for k in ("p50_ms", "p95_ms", "p99_ms")
              for v in VERSIONS]
    peak = max((x for _, _, x in values if not math.isnan(x)), default=1.0) or 1.0
    body = [f'<line x1="{left - 5}" y1="{height - bottom}" x2="{width - 10}" y2="{height - bottom}" stroke="#999"/>']
    for i, (version, key, value) in enumerate(values):
        group, inner = divmod(i, 2)
        x = left + group * 160 + inner * 50
        h = 0 if math.isnan(value) else (height - top - bottom - 15) * value / peak
        y = height - bottom - h
        body.append(f'<rect x="{x}" y="{y:.1f}" width="44" height="{h:.1f}" fill="{COLORS[version]}"/>')
        body.append(f'<text x="{x}" y="{y - 3:.1f}">{value:.0f} ms</text>')
        if inner == 0:
            body.append(f'<text x="{x + 30}" y="{height - 12}">{key.split("_")[0]}</text>')
    return svg(width, height, "latency, median of the rounds", results, body)


def memory_chart(results):
    """Each version's memory over time, from its start, with the first 2xx marked."""
    width, height, left, top, bottom = 600, 280, 60, 40, 35
    samples = {v: results[v]["memory"] for v in VERSIONS}
    t_max = max((s for v in VERSIONS for s, _ in samples[v]), default=1.0) or 1.0
    m_max = max((m for v in VERSIONS for _, m in samples[v]), default=1.0) or 1.0

    def xy(s, m):
        return left + (width - left - 15) * s / t_max, height - bottom - (height - top - bottom) * m / m_max

    body = [f'<line x1="{left}" y1="{top}" x2="{left}" y2="{height - bottom}" stroke="#999"/>',
            f'<line x1="{left}" y1="{height - bottom}" x2="{width - 15}" y2="{height - bottom}" stroke="#999"/>',
            f'<text x="5" y="{top + 4}">{m_max:.0f} MiB</text>', f'<text x="5" y="{height - bottom}">0</text>',
            f'<text x="{left}" y="{height - 15}">0 s</text>',
            f'<text x="{width - 60}" y="{height - 15}">{t_max:.0f} s</text>']
    for version in VERSIONS:
        points = " ".join("{:.1f},{:.1f}".format(*xy(s, m)) for s, m in samples[version])
        body.append(f'<polyline fill="none" stroke="{COLORS[version]}" stroke-width="1.5" points="{points}"/>')
        first_ok = results[version].get("first_ok_s")
        if first_ok is not None:
            x, _ = xy(first_ok, 0)
            body.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{height - bottom}" stroke="{COLORS[version]}" '
                        'stroke-dasharray="3,3"/>')
    return svg(width, height, "memory from the start (dashed: first 2xx)", results, body)


def recommendation(results, kubernetes):
    highest = max((m for v in ("target",) for _, m in results[v]["memory"]), default=0.0)
    mib = int(math.ceil(highest * KRR_HEADROOM / 16) * 16)
    lines = [(f"Memory for the target: request = limit = {mib}Mi (the highest usage seen, "
             f"{highest:.0f} MiB, + 15%, KRR's simple rule; a short run: confirm it against production history).")]
    if kubernetes:
        request, limit = kubernetes["request_mib"], kubernetes["limit_mib"]
        if mib > limit:
            lines.append(f"deploy/kubernetes/rollout.yaml limits memory to {limit}Mi: raise it to at least {mib}Mi, "
                         "or the new pods may be killed as OOM at start-up.")
        elif mib > request:
            lines.append(f"deploy/kubernetes/rollout.yaml requests {request}Mi: raise the request to {mib}Mi "
                         f"(the limit {limit}Mi holds).")
        else:
            lines.append(f"deploy/kubernetes/rollout.yaml (request {request}Mi, limit {limit}Mi) covers it.")
    return lines


def gates_of(data):
    gates = dict(data["gates"])
    for key in gates:
        value = os.environ.get(f"BG_{key.upper()}")
        if value:
            gates[key] = float(value)
    return gates


def judge(results, gates):
    """[(measure, message)] for every gate the target fails, and the table rows."""
    rows, failures = [], []
    cur, tgt = results["current"], results["target"]
    for key, label, worse_up in MEASURES:
        a, b = [r[key] for r in cur["rounds"]], [r[key] for r in tgt["rounds"]]
        mc, mt = median(a), median(b)
        ratio = mt / mc if mc else (1.0 if mt == mc else float("inf"))
        said = verdict(a, b, worse_up)
        rows.append((label, mc, mt, ratio, said))
        if said != "worse":
            continue
        if key == "failure_percent" and mt > gates["max_5xx_percent"]:
            failures.append((key, (f"failures {mt:.2f}% on the target ({mc:.2f}% on the current), "
                                  f"above max_5xx_percent {gates['max_5xx_percent']:g}%")))
        # A ratio of two small latencies is noise to a user (2 ms against 1 ms): the ratio gate applies
        # once the target is slower by more than min_p99_delta_ms.
        slower = mt - mc > gates["min_p99_delta_ms"]
        if key == "p99_ms" and (mt > gates["max_p99_ms"] or (slower and 100 * ratio > gates["max_p99_percent"])):
            failures.append((key, (f"p99 {mt:.0f} ms on the target ({mc:.0f} ms on the current, {100 * ratio:.0f}%), "
                                  f"above max_p99_ms {gates['max_p99_ms']:g} or max_p99_percent "
                                  f"{gates['max_p99_percent']:g}% (and {gates['min_p99_delta_ms']:g} ms slower)")))
        if key == "steady_mib" and 100 * ratio > gates["max_rss_percent"]:
            failures.append((key, (f"steady memory {mt:.0f} MiB on the target ({mc:.0f} MiB on the current, "
                                  f"{100 * ratio:.0f}%), above max_rss_percent {gates['max_rss_percent']:g}%")))
    for key, label in (("startup_peak_mib", "start-up memory peak (MiB)"), ("first_ok_s", "start to first 2xx (s)")):
        mc, mt = cur[key], tgt[key]
        ratio = mt / mc if mc else float("inf")
        rows.append((label, mc, mt, ratio, "one start each"))
        if key == "startup_peak_mib" and 100 * ratio > gates["max_rss_percent"]:
            failures.append((key, (f"start-up memory peak {mt:.0f} MiB on the target ({mc:.0f} MiB on the current, "
                                  f"{100 * ratio:.0f}%), above max_rss_percent {gates['max_rss_percent']:g}%")))
    for version in VERSIONS:
        rows.append((f"memory slope under load, {version} (MiB/min)", None, None, None,
                     f"{results[version]['slope_mib_per_min']:+.1f}"))
    return rows, failures


def report(data, args, results, rows, failures, advice):
    lines = [f"# Load comparison: Python {data['current']} (current) and {data['target']} (target)", "",
             (f"{args.rounds} rounds of {args.seconds} s each, alternating, {args.users} users (spawn rate "
             f"{args.spawn_rate}/s); limits of each: {results['current']['limits']}; "
             f"current {results['current']['image']}, target {results['target']['image']}."), "",
             "| measure | current | target | target / current | verdict |", "|---|---|---|---|---|"]
    for label, mc, mt, ratio, said in rows:
        if mc is None:
            lines.append(f"| {label} | | | | {said} |")
        else:
            lines.append(f"| {label} | {mc:.2f} | {mt:.2f} | {ratio:.2f} | {said} |")
    lines += ["", ("Verdicts: exact two-sided Mann-Whitney U over the rounds at 5%; \"no difference\" means the "
              "difference is inside the noise of this run."), ""]
    lines += ["## Gates", ""] + ([f"- FAIL {m}" for _, m in failures] or ["- none failed"]) + [""]
    lines += ["## Memory", ""] + [f"- {line}" for line in advice] + ["", "![latency](latency.svg)",
                                                                     "![memory](memory.svg)", ""]
    return "\n".join(lines)


def main(argv=None):
    # Read as a source (outside a rendered project) there is no load.json: --help still answers.
    data = json.loads(DATA.read_text()) if DATA.is_file() else None
    facts = data or {"runtime": "docker", "images": {"current": None, "target": None}, "current": "", "target": ""}
    tags = {v: "py" + facts[v].replace(".", "") for v in VERSIONS}
    parser = argparse.ArgumentParser(description="compare both production images under the same load")
    parser.add_argument("--runtime", choices=("docker", "venv"), default=facts["runtime"],
                        help="docker: the production images; venv: app_command from a virtualenv per version "
                             "(bluegreen_runtime, default %(default)s)")
    parser.add_argument("--current", default=facts["images"]["current"], help="image of the current version")
    parser.add_argument("--target", default=facts["images"]["target"], help="image of the target version")
    parser.add_argument("--build", action="store_true", help="build both images even when their tags exist")
    parser.add_argument("--current-venv", default=str(HERE.parent / ".tox" / tags["current"]),
                        help="venv runtime: the current version's virtualenv (default: tox's, `tox run -e "
                             f"{tags['current']}` makes it)")
    parser.add_argument("--target-venv", default=str(HERE.parent / ".tox" / tags["target"]),
                        help="venv runtime: the target version's virtualenv")
    parser.add_argument("--rounds", type=int, default=5, help="rounds per version (at least 4 for a verdict)")
    parser.add_argument("--seconds", type=int, default=10, help="length of each round")
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--spawn-rate", type=float, default=10.0)
    parser.add_argument("--cpus", default="1", help="docker run --cpus for each container")
    parser.add_argument("--memory", default="1g", help="docker run --memory for each container")
    parser.add_argument("--health-seconds", type=float, default=60.0)
    parser.add_argument("--locustfile", default=str(HERE / "locustfile.py"))
    parser.add_argument("--out", default=str(HERE / "load"))
    parser.add_argument("-e", "--env", action="append", default=[], help="NAME=VALUE for both versions")
    args = parser.parse_args(argv)
    if data is None:
        fail(f"no {DATA}: run it from a project the template was rendered into")
    if args.rounds < 1 or args.seconds < 1:
        fail("--rounds and --seconds must be at least 1")
    bad = next((pair for pair in args.env if "=" not in pair), None)
    if bad is not None:
        fail(f"-e {bad}: give NAME=VALUE")
    docker = os.environ.get("DOCKER", "docker")
    locust = shutil.which("locust")
    if locust is None:
        fail("locust is not installed here; run it through tox: tox -c tox-python-upgrade.ini run -e load")
    env = [f"{key}={value}" for key, value in sorted(data["env"].items())] + args.env

    images = {"current": args.current, "target": args.target}
    venvs = {"current": Path(args.current_venv), "target": Path(args.target_venv)}
    for version in VERSIONS:  # everything both need, before either starts
        if args.runtime == "docker":
            ensure_image(docker, data, version, images[version], args.build)
        elif not (venvs[version] / "bin" / "python").exists():
            fail(f"--{version}-venv {venvs[version]}: no virtualenv there; make it with "
                 f"`tox -c tox-python-upgrade.ini run -e {tags[version]} --notest` or pass another")
    probe = (data["health_path"], data["probe_host"])

    def start(version):
        if args.runtime == "docker":
            return Container(docker, images[version], version, args, env, probe)
        return Process(venvs[version], data["app_command"], version, env, HERE.parent, probe)

    containers = {}
    try:
        for version in VERSIONS:
            containers[version] = start(version)
        deadline = time.monotonic() + args.health_seconds
        while any(c.first_ok is None for c in containers.values()):
            for c in containers.values():
                if c.first_ok is None and not c.running():
                    print(c.logs(), file=sys.stderr)
                    fail(f"{c.label} exited before it answered on {data['health_path']}; "
                         "run python-upgrade/smoke.py on it")
            if time.monotonic() > deadline:
                late = [c for c in containers.values() if c.first_ok is None]
                print(late[0].logs(), file=sys.stderr)
                fail(f"{late[0].label} gave no 2xx on {data['health_path']} (Host: {data['probe_host']}) within "
                     f"{args.health_seconds:g} s; check health_path and smoke_env with python-upgrade/smoke.py")
            time.sleep(0.25)
        time.sleep(3.0)  # the start-up settles (workers forked after the first answer) before any load
        rounds = {v: [] for v in VERSIONS}
        with tempfile.TemporaryDirectory() as work:
            for number in range(args.rounds):
                for version in VERSIONS:
                    result = locust_round(locust, Path(args.locustfile), containers[version], args, Path(work),
                                          f"{version}-{number}")
                    rounds[version].append(result)
                    print(f"round {number + 1}/{args.rounds} {version} ({data[version]}): {result['rps']:.0f} req/s, "
                          f"p99 {result['p99_ms']:.0f} ms, failures {result['failure_percent']:.2f}%, "
                          f"{result['steady_mib']:.0f} MiB", flush=True)
        time.sleep(0.6)  # the last memory sample
    finally:
        for c in containers.values():
            c.remove()

    results = {}
    for version, c in containers.items():
        under_load = [(s, m) for s, m in c.samples if s >= rounds[version][0]["window"][0]]
        results[version] = {
            "image": c.label, "python": data[version], "rounds": rounds[version], "first_ok_s": c.first_ok,
            # Start-up: from the start until its first round of load (a server answers before all
            # of its workers are up; by the first round they are).
            "startup_peak_mib": max([m for s, m in c.samples if s <= rounds[version][0]["window"][0]]
                                    or [m for _, m in c.samples] or [float("nan")]),
            "slope_mib_per_min": slope_per_minute(under_load), "memory": c.samples, "limits": c.limits,
        }
    gates = gates_of(data)
    rows, failures = judge(results, gates)
    advice = recommendation(results, data.get("kubernetes"))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.md").write_text(report(data, args, results, rows, failures, advice))
    (out / "latency.svg").write_text(bar_chart(results))
    (out / "memory.svg").write_text(memory_chart(results))
    (out / "results.json").write_text(json.dumps({"results": results, "gates": gates, "failures": failures,
                                                  "advice": advice}, indent=2) + "\n")
    print()
    print((out / "report.md").read_text())
    for _, message in failures:
        print(f"load.py: target significantly worse: {message}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
