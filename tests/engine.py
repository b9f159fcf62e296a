"""Real engines for the end-to-end tests: interpreters, tox, a BuildKit Docker engine, base images,
and the sample application rendered with the template."""

from __future__ import annotations

import functools
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

from copier import run_copy

from conftest import PYENV_VERSION, ROOT, require
from python_upgrade import pins, versions

SAMPLE = ROOT / "tests" / "sample_app"
# The minors pyenv gives this machine (tests/engines/pyenv-version); newer ones come from Debian sid.
PYENV_MINORS = {".".join(v.split(".")[:2]) for v in PYENV_VERSION.split(":")}
_PAIRS = versions.PAIRS
# The three newest pairs that go through tox on this machine's interpreters, and through Docker.
ENGINE_PAIRS = [pair for pair in _PAIRS if set(pair) <= PYENV_MINORS][-3:]
# The newest migrations, on Debian sid's real interpreters (base images: tests/engines/base_images.sh;
# tox: a sid container, see test_tox_engine.py).
NEWEST_PAIRS = [pair for pair in _PAIRS if not set(pair) <= PYENV_MINORS]


def image_versions() -> list[str]:
    """The versions whose base images the engine tests build on (.ci/run makes them first)."""
    return sorted(
        {v for pair in ENGINE_PAIRS + NEWEST_PAIRS for v in pair}, key=lambda v: tuple(map(int, v.split(".")))
    )


def render_sample(dst: Path, **answers) -> Path:
    """The sample app copied to dst, with the template rendered into it (as a user would)."""
    shutil.copytree(SAMPLE, dst, ignore=shutil.ignore_patterns("__pycache__", ".tox", ".pytest_cache"))
    data = {"project_name": "sample", "app_command": "gunicorn --bind 127.0.0.1:$PORT --workers 2 app:app"}
    data |= answers
    run_copy(str(ROOT), dst, data=data, defaults=True, unsafe=True, quiet=True, vcs_ref="HEAD")
    return dst


def require_interpreters(*versions: str) -> None:
    for v in versions:
        require(shutil.which(f"python{v}"), f"python{v} is not on PATH (export PYENV_VERSION, see .ci/run)")


def tox(
    project: Path, *envs: str, posargs: tuple[str, ...] = (), timeout: int = 900
) -> subprocess.CompletedProcess:
    """`tox -c tox-python-upgrade.ini run -e ENVS [-- POSARGS]` in the rendered project."""
    require(shutil.which("tox"), "tox is not installed")
    return subprocess.run(
        [
            "tox",
            "-c",
            "tox-python-upgrade.ini",
            "run",
            "-e",
            ",".join(envs),
            *(("--", *posargs) if posargs else ()),
        ],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def tool_version(tool: str = "tox") -> str:
    """The version of a tool the rendered files pin (extensions/python_upgrade/pins.py: TOOLS)."""
    return pins.TOOLS[tool]


def tox_in_sid(
    project: Path, *envs: str, versions: tuple[str, ...], timeout: int = 1500
) -> subprocess.CompletedProcess:
    """tox for versions this machine has no interpreter for: in a container of Debian sid with its
    real python3.X for each of `versions` (tests/engines/base_images.sh tox-runner), the project
    mounted at its own path, as the same command a user runs."""
    docker_cli()
    made = subprocess.run(
        [
            "bash",
            str(ROOT / "tests" / "engines" / "base_images.sh"),
            "tox-runner",
            tool_version("tox"),
            tool_version("tox_uv"),
            *versions,
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert made.returncode == 0, made.stderr[-3000:]
    image = made.stdout.split()[-1]
    return docker(
        "run",
        "--rm",
        "--network",
        "host",
        "-v",
        f"{project}:{project}",
        "-w",
        str(project),
        image,
        "tox",
        "-c",
        "tox-python-upgrade.ini",
        "run",
        "-e",
        ",".join(envs),
        timeout=timeout,
    )


def tox_results(output: str) -> dict[str, str]:
    """{env: "OK" | "FAIL"} from tox's closing summary lines ("  py311: OK (3.2=setup ...)")."""
    results = {}
    for line in output.splitlines():
        parts = line.strip().split(": ", 1)
        if len(parts) == 2 and parts[1].split(" ")[0] in ("OK", "FAIL"):
            results[parts[0]] = parts[1].split(" ")[0]
    return results


# ---------------------------------------------------------------------------------------------- docker
@functools.cache
def docker_cli() -> list[str]:
    """A BuildKit-capable client talking to a running engine: $DOCKER, else the Debian client
    /usr/bin/docker, used with DOCKER_BUILDKIT=1 (the docker 28 client first on PATH needs buildx)."""
    client = os.environ.get("DOCKER") or ("/usr/bin/docker" if Path("/usr/bin/docker").exists() else "docker")
    require(shutil.which(client), f"no docker client ({client})")
    info = subprocess.run([client, "info", "--format", "{{.ServerVersion}}"], capture_output=True, text=True)
    require(
        info.returncode == 0, f"no Docker engine answers ({info.stderr.strip()[:200]}); .ci/run starts one"
    )
    return [client]


def docker(
    *args: str, timeout: int = 900, check: bool = False, cwd: Path | None = None
) -> subprocess.CompletedProcess:
    env = os.environ | {"DOCKER_BUILDKIT": "1"}
    result = subprocess.run(
        [*docker_cli(), *args], capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd
    )
    if check:
        assert result.returncode == 0, (
            f"docker {' '.join(args)} failed:\n{result.stdout[-3000:]}{result.stderr[-5000:]}"
        )
    return result


def ensure_base_images(*versions: str, suite: str = "bookworm") -> None:
    """python:<v>-slim-<suite>: present, pulled, or an offline stand-in (the script logs which)."""
    docker_cli()
    result = subprocess.run(
        ["bash", str(ROOT / "tests" / "engines" / "base_images.sh"), suite, *versions],
        capture_output=True,
        text=True,
        timeout=900,
    )
    print(result.stderr)
    assert result.returncode == 0, result.stderr[-3000:]


def build(
    project: Path, target: str, tag: str | None = None, context: str = "."
) -> subprocess.CompletedProcess:
    """BuildKit build of one stage of the rendered Dockerfile, run from the project root as the
    Dockerfile's header says (context: `..` for a uv workspace member); output (stderr) is the plain
    progress log."""
    args = [
        "build",
        "--progress=plain",
        "--network",
        "host",
        "-f",
        "python-upgrade/Dockerfile",
        "--target",
        target,
    ]
    if tag:
        args += ["-t", tag]
    return docker(*args, context, cwd=project)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url: str, timeout: float = 2.0) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.status, response.read().decode()


def wait_http(url: str, seconds: float = 30.0) -> tuple[int, str]:
    deadline = time.monotonic() + seconds
    while True:
        try:
            return http_get(url)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def version_of(url: str) -> str:
    return json.loads(wait_http(url)[1])["python"]


def marked_processes(marker: str) -> list[int]:
    """Live processes (zombies left out) whose environment holds PYTHON_UPGRADE_TEST_MARK=marker: a
    program started with it and everything it started, whatever session or group they moved to."""
    needle = f"PYTHON_UPGRADE_TEST_MARK={marker}".encode()
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if needle in (proc / "environ").read_bytes().split(b"\0"):
                if (proc / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
                    found.append(int(proc.name))
        except OSError:
            continue
    return found


def as_in_a_terminal() -> None:
    """preexec_fn for a process a test stops with SIGINT: SIGINT and SIGQUIT back to their defaults, as
    a terminal's shell gives a foreground command. A test run started in the background of a
    non-interactive shell (`.ci/run &`) inherits them ignored, and bash cannot trap a signal ignored
    when it started, so its `trap ... INT` would never run there."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGQUIT, signal.SIG_DFL)


def stop_midway(
    command: list[str], cwd: Path, ready, signal_name: str, tmp: Path
) -> subprocess.CompletedProcess:
    """Start `command` (with its own TMPDIR and a marker in its environment), wait until `ready(pids)`
    says it is at work (pids: its processes), send the signal, and prove nothing it started is left:
    no process, no temporary file. The finished process, its stderr captured."""
    import signal
    import time
    import uuid

    marker = uuid.uuid4().hex
    tmp.mkdir(parents=True, exist_ok=True)
    env = os.environ | {"PYTHON_UPGRADE_TEST_MARK": marker, "TMPDIR": str(tmp)}
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=as_in_a_terminal,
    )
    deadline = time.monotonic() + 300
    while not ready(marked_processes(marker)):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "never got to work"
        time.sleep(0.1)
    process.send_signal(getattr(signal, signal_name))
    out, err = process.communicate(timeout=120)
    time.sleep(0.5)
    assert process.returncode == 128 + getattr(signal, signal_name), (process.returncode, err[-3000:])
    assert marked_processes(marker) == [], "left running"
    assert list(tmp.iterdir()) == [], "temporary files left"
    return subprocess.CompletedProcess(command, process.returncode, out, err)


def command_lines(pids: list[int]) -> list[str]:
    lines = []
    for pid in pids:
        try:
            lines.append(Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode())
        except OSError:
            continue
    return lines
