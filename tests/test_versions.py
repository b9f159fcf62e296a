"""Unit tests of extensions/versions.py: the version knowledge, called directly."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from conftest import ROOT

_spec = importlib.util.spec_from_file_location("versions", ROOT / "extensions" / "versions.py")
versions = importlib.util.module_from_spec(_spec)
sys.modules["versions"] = versions
_spec.loader.exec_module(versions)


def test_every_supported_minor_has_dates_suites_and_removals():
    for v in versions.SUPPORTED:
        released, eol = versions.RELEASES[v]
        assert released < eol
        assert v in versions.REMOVED_MODULES and v in versions.DEBIAN_SUITES
    assert versions.SUPPORTED == ("3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.14")
    # Release dates increase with the version (string order of ISO dates).
    dates = [versions.release_date(v) for v in versions.RELEASES]
    assert dates == sorted(dates)


@pytest.mark.parametrize(
    ("version", "tag"), [("3.8", "py38"), ("3.10", "py310"), ("3.12", "py312"), ("3.13t", "py313t")]
)
def test_py_tag(version, tag):
    assert versions.py_tag(version) == tag


def test_next_minor_and_between():
    assert versions.next_minor("3.9") == "3.10"
    assert versions.next_minor("3.11") == "3.12"
    assert versions.versions_between("3.10", "3.13") == ["3.10", "3.11", "3.12", "3.13"]
    assert versions.versions_between("3.12", "3.12") == ["3.12"]


def test_removed_modules_cover_the_releases_crossed():
    removed = versions.removed_modules("3.11", "3.12")
    assert set(removed) == {"distutils", "imp", "asynchat", "asyncore", "smtpd"}
    assert removed["imp"] == ("3.12", "importlib")
    pep594 = {"aifc", "audioop", "cgi", "cgitb", "chunk", "crypt", "imghdr", "mailcap", "msilib", "nis",
              "nntplib", "ossaudiodev", "pipes", "sndhdr", "spwd", "sunau", "telnetlib", "uu", "xdrlib"}
    assert pep594 <= set(versions.removed_modules("3.12", "3.13"))
    assert "distutils" not in versions.removed_modules("3.12", "3.13")
    # Crossing two releases accumulates both sets.
    both = versions.removed_modules("3.11", "3.13")
    assert {"distutils", "telnetlib", "lib2to3"} <= set(both)
    assert versions.removed_modules("3.13", "3.14") == {}


def test_free_threading_and_dates():
    assert not versions.has_free_threading("3.12")
    assert versions.has_free_threading("3.13") and versions.has_free_threading("3.14t")
    assert versions.end_of_life("3.8") == "2024-10-07"
    assert versions.release_date("3.12") == "2023-10-02"


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("3.x", "not a Python minor version"),
        ("2.7", "outside the supported range"),
        ("4.0", "outside the supported range"),
        ("3.12.1.5", "not a Python minor version"),
        ("3.1", "unquoted YAML 3.10 is the number 3.1"),
        ("3.15", "outside the supported range"),
        (3.1, "not a string"),
        ("", "not a Python minor version"),
    ],
)
def test_version_error_names_the_field(value, fragment):
    message = versions.version_error("current_python", value)
    assert message.startswith("current_python: ") and fragment in message


def test_valid_versions_have_no_error():
    for v in versions.SUPPORTED:
        assert versions.version_error("current_python", v) == ""


def test_target_must_be_newer():
    assert versions.target_error("3.11", "3.12") == ""
    assert "must be newer" in versions.target_error("3.12", "3.12")
    assert "must be newer" in versions.target_error("3.12", "3.10")
    assert versions.target_error("3.12", "3.x").startswith("target_python: ")


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        ([3.14], "is a number"),
        (["3.14", "3.14"], "listed twice"),
        (["3.12t"], "no free-threaded build"),
        (["3.12"], "already current_python or target_python"),
        (["3.99"], "not a known release"),
        ("3.14", "expected a list"),
        (["py314"], "not a version"),
    ],
)
def test_experimental_errors(values, fragment):
    message = versions.experimental_error(values, "3.11", "3.12")
    assert message.startswith("experimental_pythons: ") and fragment in message


def test_experimental_accepts_lanes():
    assert versions.experimental_error(["3.13", "3.13t", "3.15"], "3.11", "3.12") == ""
    assert versions.experimental_error([], "3.11", "3.12") == ""


@pytest.mark.parametrize(("value", "ok"), [(8000, True), (1, True), (65535, True), (0, False),
                                            (99999, False), ("http", False), (True, False)])
def test_port_error(value, ok):
    assert (versions.port_error("app_port", value) == "") is ok


def test_suite_error():
    assert versions.suite_error("bookworm", ["3.8", "3.9"]) == ""
    assert "python:3.8-slim-trixie" in versions.suite_error("trixie", ["3.8", "3.9"])


@pytest.mark.parametrize(
    ("command", "strict"),
    [
        ("python -m pytest", "python -W error::DeprecationWarning -m pytest"),
        ("python3.12 -m pytest -q", "python3.12 -W error::DeprecationWarning -m pytest -q"),
        ("pytest -q", "env PYTHONWARNINGS=error::DeprecationWarning pytest -q"),
    ],
)
def test_warnings_as_errors(command, strict):
    assert versions.warnings_as_errors(command) == strict


def test_slug():
    assert versions.slug("My App!") == "my-app"
    assert versions.slug("___") == "app"
