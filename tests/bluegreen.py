"""Harness for the blue-green tests: real nginx in front of real app instances on two Pythons
(loopback only), the rendered deploy/bluegreen/bluegreen.sh driving them, and a load client
that counts every response."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import subprocess
import threading
import uuid
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from conftest import require
from engine import as_in_a_terminal, free_port, render_sample, require_interpreters

BLUE, GREEN = "3.11", "3.12"
APP_COMMAND = "gunicorn --bind 127.0.0.1:$PORT --workers 2 --graceful-timeout 10 app:app"


def minor(version: str) -> str:
    """'3.12.1' -> '3.12'."""
    return ".".join(version.split(".")[:2])


@dataclass
class Record:
    t: float
    status: int  # 0: no response
    python: str
    retried: bool


class Load:
    """Keep-alive clients on loopback, bounded in time; every request is recorded."""

    def __init__(
        self, port: int, threads: int = 3, max_seconds: float = 240.0, path: str = "/", identify=None
    ):
        """`identify(response, body)` names what answered (default: the sample app's JSON "python")."""
        self.port, self.threads, self.max_seconds = port, threads, max_seconds
        self.path, self.identify = path, identify
        self.records: list[Record] = []
        self.retries = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._workers = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]

    def _connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)

    def _once(self, conn: http.client.HTTPConnection) -> tuple[int, str]:
        conn.request("GET", self.path)
        response = conn.getresponse()
        body = response.read()
        if self.identify is not None:
            return response.status, self.identify(response, body)
        python = json.loads(body).get("python", "") if response.status == 200 else ""
        return response.status, minor(python)

    def _run(self) -> None:
        deadline = time.monotonic() + self.max_seconds
        conn, reused = self._connect(), False
        while not self._stop.is_set() and time.monotonic() < deadline:
            retried = False
            try:
                status, python = self._once(conn)
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as error:
                conn.close()
                conn = self._connect()
                if not reused:
                    status, python = 0, type(error).__name__
                else:
                    # A reused keep-alive connection closed by a reload: one retry, counted.
                    retried = True
                    try:
                        status, python = self._once(conn)
                    except OSError as again:
                        status, python = 0, type(again).__name__
            except OSError as error:
                conn.close()
                conn = self._connect()
                status, python = 0, type(error).__name__
            reused = status != 0
            with self._lock:
                self.records.append(Record(time.monotonic(), status, python, retried))
                self.retries += retried
            time.sleep(0.002)
        conn.close()

    def start(self) -> "Load":
        for worker in self._workers:
            worker.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for worker in self._workers:
            worker.join(timeout=15)

    def since(self, t: float) -> list[Record]:
        with self._lock:
            return [r for r in self.records if r.t >= t]

    def wait_for(self, t: float, count: int, seconds: float = 60.0) -> list[Record]:
        deadline = time.monotonic() + seconds
        while len(self.since(t)) < count and time.monotonic() < deadline:
            time.sleep(0.1)
        return self.since(t)

    def failures(self) -> list[Record]:
        return [r for r in self.records if not 200 <= r.status < 300]


class Writer:
    """Notes written through nginx (the sample app's POST /notes: a row in its SQLite database and an
    uploaded file), one at a time until stopped; each acknowledged write is counted with the Python
    that took it, each failure kept."""

    def __init__(self, port: int, pause: float = 0.02):
        self.port, self.pause = port, pause
        self.acknowledged: list[tuple[int, str]] = []  # (id, python)
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def write(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request("POST", "/notes", body=b"a note", headers={"Content-Type": "text/plain"})
            response = conn.getresponse()
            body = response.read()
            if response.status == 200:
                answer = json.loads(body)
                self.acknowledged.append((answer["id"], minor(answer["python"])))
            else:
                self.failures.append(f"{response.status} {body[:200]!r}")
        except OSError as error:
            self.failures.append(type(error).__name__)
        finally:
            conn.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.write()
            time.sleep(self.pause)

    def start(self) -> "Writer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=15)


def notes(port: int) -> dict:
    """GET /notes straight from one color's port: {"notes", "files", "python"}."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", "/notes")
        response = conn.getresponse()
        body = response.read()
        assert response.status == 200, body
        return json.loads(body)
    finally:
        conn.close()


@dataclass
class Site:
    """One blue-green installation: the rendered project, its settings and state dir."""

    project: Path
    env: dict
    state: Path
    listen_port: int
    runtime: str
    name_prefix: str = "sample"  # bluegreen.sh's container names: <project slug>-<color>

    @property
    def script(self) -> Path:
        return self.project / "deploy" / "bluegreen" / "bluegreen.sh"

    def run(
        self, *args: str, extra_env: dict | None = None, timeout: float = 180
    ) -> subprocess.CompletedProcess:
        env = self.env | (extra_env or {})
        return subprocess.run(
            ["bash", str(self.script), *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=self.project,
        )

    def popen(self, *args: str, extra_env: dict | None = None) -> subprocess.Popen:
        return subprocess.Popen(
            ["bash", str(self.script), *args],
            env=self.env | (extra_env or {}),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=self.project,
            preexec_fn=as_in_a_terminal,
        )

    @contextmanager
    def under_load(self):
        """Blue serving behind nginx (`start`), with the load client running for the block."""
        result = self.run("start")
        assert result.returncode == 0, result.stderr
        load = Load(self.listen_port).start()
        try:
            yield load
        finally:
            load.stop()

    def state_values(self) -> dict:
        text = (self.state / "state").read_text()
        return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)

    def served_generation(self) -> str:
        conn = http.client.HTTPConnection("127.0.0.1", self.listen_port, timeout=5)
        conn.request("GET", "/__bluegreen/generation")
        return conn.getresponse().read().decode().strip()

    def sample(self, n: int = 60) -> list[str]:
        """Pythons that answer n fresh requests through nginx."""
        seen = []
        for _ in range(n):
            conn = http.client.HTTPConnection("127.0.0.1", self.listen_port, timeout=5)
            conn.request("GET", "/")
            response = conn.getresponse()
            assert response.status == 200
            seen.append(minor(json.loads(response.read())["python"]))
            conn.close()
        return seen

    def python_of(self, color: str) -> str:
        return BLUE if color == "blue" else GREEN

    def assert_consistent(self) -> dict:
        """All traffic on one healthy color, and the state file, nginx and traffic agree."""
        state = self.state_values()
        assert state["CANDIDATE"] == "" and state["WEIGHT"] == "0", state
        assert self.served_generation() == state["GENERATION"]
        assert set(self.sample()) == {self.python_of(state["LIVE"])}
        assert not list(self.state.glob("state.tmp.*"))
        return state

    def port_of(self, color: str) -> int:
        return int(self.env[f"BG_{color.upper()}_PORT"])

    def cleanup(self) -> None:
        pid_file = self.state / "nginx" / "logs" / "nginx.pid"
        if pid_file.exists():
            try:
                os.kill(int(pid_file.read_text()), signal.SIGQUIT)
            except (ProcessLookupError, ValueError):
                pass
        for color in ("blue", "green"):
            pid = self.state / f"{color}.pid"
            if pid.exists():
                try:
                    os.killpg(int(pid.read_text()), signal.SIGKILL)
                except (ProcessLookupError, ValueError, PermissionError):
                    pass
            if self.runtime == "docker":
                subprocess.run(
                    [self.env["BG_DOCKER"], "rm", "-f", f"{self.name_prefix}-{color}"], capture_output=True
                )
        if self.runtime == "docker":
            volumes = [v.split(":")[0] for v in self.env.get("BG_VOLUMES", "").split()]
            subprocess.run([self.env["BG_DOCKER"], "volume", "rm", "-f", *volumes], capture_output=True)


def require_nginx() -> str:
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    require(nginx, "nginx is not installed (apt-get install nginx-light; .ci/run does)")
    require(shutil.which("curl") and shutil.which("flock"), "curl and flock are needed by bluegreen.sh")
    return nginx


def make_venv(python: str, path: Path, requirements: Path) -> Path:
    subprocess.run([f"python{python}", "-m", "venv", str(path)], check=True, capture_output=True)
    subprocess.run(
        [str(path / "bin" / "python"), "-m", "pip", "install", "-q", "-r", str(requirements)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    return path


def render_site(root: Path, runtime: str) -> Path:
    """The sample app with its state on disk (data/ holds its SQLite database, uploads/ its files;
    state_dirs defaults to both) and its release command (the table)."""
    require_interpreters(BLUE, GREEN)
    return render_sample(
        root / "project",
        current_python=BLUE,
        target_python=GREEN,
        bluegreen_runtime=runtime,
        app_command=APP_COMMAND,
        writable_dirs=["data", "uploads"],
        release_command="python app.py migrate",
    )


def site(project: Path, state: Path, runtime: str, colors: dict, name_prefix: str = "sample") -> Site:
    """Settings for one test: free loopback ports, its own state dir, short bake and keep times."""
    nginx = require_nginx()
    listen = free_port()
    env = dict(os.environ) | {
        "BG_LISTEN": f"127.0.0.1:{listen}",
        "BG_BLUE_PORT": str(free_port()),
        "BG_GREEN_PORT": str(free_port()),
        "BG_STATE_DIR": str(state),
        "BG_NGINX": nginx,
        "BG_RUNTIME": runtime,
        "BG_APP_DIR": str(project),
        "BG_HEALTH_TIMEOUT": "40",
        "BG_STEPS": "10 50 100",
        "BG_BAKE_SECONDS": "3",
        "BG_KEEP_OLD_SECONDS": "0",
        "BG_MIN_REQUESTS": "20",
        "BG_MAX_P99_MS": "2000",
        "BG_STOP_TIMEOUT": "10",
        **colors,
    }
    if runtime == "docker":  # the state's volumes, this test's own (bluegreen.conf names them by project)
        unique = f"python-upgrade-test-{uuid.uuid4().hex[:8]}"
        env["BG_VOLUMES"] = f"{unique}-data:/app/data {unique}-uploads:/app/uploads"
    else:  # the venv runtime keeps it in BG_APP_DIR, shared by the module's tests: emptied for each
        for folder in ("data", "uploads"):
            shutil.rmtree(project / folder, ignore_errors=True)
    return Site(project, env, state, listen, runtime, name_prefix)
