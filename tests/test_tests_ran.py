"""python-upgrade/tests_ran.py: the test command of a runner that passes with no test (Django's,
unittest, nose2) fails when it ran none; otherwise its output and exit code are the command's own."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from conftest import PROGRAMS

PROGRAM = str(PROGRAMS / "tests_ran.py")


def ran(command: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, PROGRAM, command, *args], capture_output=True, text=True, timeout=60
    )


def test_a_runner_that_found_nothing_fails_in_one_line():
    # What unittest and Django's runner print on stderr when discovery finds nothing.
    result = ran("printf '\\n----\\nRan 0 tests in 0.000s\\n\\nOK\\n' >&2")
    assert result.returncode == 1
    assert "Ran 0 tests in 0.000s\n\nOK" in result.stderr  # the command's output passes through
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("tests_ran: test_command `printf") and "ran no test ('Ran 0 tests in" in last
    assert "copier update -d test_command=" in last


def test_unittest_from_3_12_exits_5_and_gets_the_same_line():
    result = ran("echo 'NO TESTS RAN' >&2; exit 5")
    assert result.returncode == 5 and "ran no test (exit 5)" in result.stderr


@pytest.mark.parametrize(
    ("command", "code"),
    [
        ("echo 'Ran 3 tests in 0.010s'; echo OK", 0),
        ("echo 'Ran 1 test in 0.010s' >&2; echo FAILED >&2; exit 1", 1),
        # A failing run that also ran nothing is the runner's failure, said by the runner.
        ("echo 'Ran 0 tests in 0.000s' >&2; exit 2", 2),
    ],
)
def test_other_runs_keep_their_output_and_exit_code(command, code):
    result = ran(command)
    assert result.returncode == code
    assert "tests_ran:" not in result.stderr
    assert "Ran " in result.stdout + result.stderr


def test_arguments_reach_the_command_as_tox_posargs_do():
    result = ran('echo "args:$*"; echo "Ran 2 tests in 0.1s"', "-k", "two words")
    assert result.returncode == 0 and "args:-k two words" in result.stdout


def test_a_signal_stops_the_command_and_nothing_is_left(tmp_path):
    marker = tmp_path / "pid"
    process = subprocess.Popen(
        [sys.executable, PROGRAM, f"echo $$ > {marker}; exec sleep 60"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 20
    while not (marker.exists() and marker.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.05)
    child = int(marker.read_text())
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=20) == 128 + signal.SIGTERM
    time.sleep(0.2)
    assert not os.path.exists(f"/proc/{child}") or "zombie" in open(f"/proc/{child}/status").read().lower()
