"""Unit tests of the version knowledge (python_upgrade/versions.py), the answers' checks (checks.py) and
the helpers the templates call (filters.py), called directly."""

from __future__ import annotations

import pytest

from python_upgrade import checks, filters, versions


def test_every_supported_minor_has_dates_suites_and_removals():
    for v in versions.SUPPORTED:
        released, eol = versions.RELEASES[v]
        assert released < eol
        assert v in versions.REMOVED_MODULES and v in versions.DEBIAN_SUITES
        assert set(versions.DEBIAN_SUITES[v]) <= set(versions.DEBIAN_GLIBC), v
    # One record per minor, in order, none skipped: supported ones first, then experimental ones.
    minors = list(versions.MINORS)
    assert all(versions.next_minor(a) == b for a, b in zip(minors, minors[1:])), minors
    assert minors[: len(versions.SUPPORTED)] == list(versions.SUPPORTED)
    assert versions.PAIRS == tuple(zip(versions.SUPPORTED, versions.SUPPORTED[1:]))
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
    pep594 = {
        "aifc",
        "audioop",
        "cgi",
        "cgitb",
        "chunk",
        "crypt",
        "imghdr",
        "mailcap",
        "msilib",
        "nis",
        "nntplib",
        "ossaudiodev",
        "pipes",
        "sndhdr",
        "spwd",
        "sunau",
        "telnetlib",
        "uu",
        "xdrlib",
    }
    assert pep594 <= set(versions.removed_modules("3.12", "3.13"))
    assert "distutils" not in versions.removed_modules("3.12", "3.13")
    # Crossing two releases accumulates both sets.
    both = versions.removed_modules("3.11", "3.13")
    assert {"distutils", "telnetlib", "lib2to3"} <= set(both)
    assert versions.removed_modules("3.13", "3.14") == {}


def test_free_threading_and_dates():
    assert not versions.has_free_threading("3.12")
    assert versions.has_free_threading("3.13") and versions.has_free_threading("3.14t")
    assert versions.free_threaded("3.14t") and not versions.free_threaded("3.14")
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
        (versions.next_minor(versions.SUPPORTED[-1]), "outside the supported range"),  # not released yet
        (3.1, "not a string"),
        ("", "not a Python minor version"),
    ],
)
def test_version_error_names_the_field(value, fragment):
    message = checks.version_error("current_python", value)
    assert message.startswith("current_python: ") and fragment in message


def test_valid_versions_have_no_error():
    for v in versions.SUPPORTED:
        assert checks.version_error("current_python", v) == ""


def test_target_must_be_newer():
    assert checks.target_error("3.11", "3.12") == ""
    assert "must be newer" in checks.target_error("3.12", "3.12")
    assert "must be newer" in checks.target_error("3.12", "3.10")
    assert checks.target_error("3.12", "3.x").startswith("target_python: ")


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        ([3.14], "is a number"),
        (["3.14", "3.14"], "listed twice"),
        (["3.12t"], "no free-threaded build"),
        (["3.12"], "already current_python or target_python"),
        (["3.99"], "not a known release"),
        (["3.12t"], "no free-threaded build"),
        ("3.14", "expected a list"),
        (["py314"], "not a version"),
    ],
)
def test_experimental_errors(values, fragment):
    message = checks.experimental_error(values, "3.11", "3.12")
    assert message.startswith("experimental_pythons: ") and fragment in message


def test_experimental_accepts_lanes():
    assert checks.experimental_error(["3.13", "3.13t", "3.15"], "3.11", "3.12") == ""
    assert checks.experimental_error(["3.16", "3.14t", "3.15t"], "3.14", "3.15") == ""
    assert checks.experimental_error([], "3.11", "3.12") == ""


@pytest.mark.parametrize(
    ("value", "ok"),
    [(8000, True), (1, True), (65535, True), (0, False), (99999, False), ("http", False), (True, False)],
)
def test_port_error(value, ok):
    assert (checks.port_error("app_port", value) == "") is ok


def test_suite_error():
    assert checks.suite_error("bookworm", ["3.8", "3.9"]) == ""
    assert "python:3.8-slim-trixie" in checks.suite_error("trixie", ["3.8", "3.9"])


def test_end_of_life_note_judges_against_the_day_given():
    assert (
        versions.end_of_life_note("3.10", "2026-11-22") == "3.10 stopped getting security fixes on 2026-10-31"
    )
    assert versions.end_of_life_note("3.10", "2026-10-30") == ""
    assert versions.end_of_life_note("3.11", "2026-11-22") == ""


@pytest.mark.parametrize(
    ("check", "args", "fragment"),
    [
        (checks.command_error, ("test_command", "a\nb"), "single line"),
        (checks.command_error, ("test_command", " "), "must not be empty"),
        (checks.path_error, ("requirements_file", "my file.txt"), "without spaces"),
        (checks.path_error, ("requirements_file", "../x.txt"), "inside the project"),
        (checks.path_error, ("test_requirements_file", "r.txt", False, "r.txt"), "must differ"),
        (checks.packages_error, ("build_packages", "build-essential Libpq-dev"), "'Libpq-dev'"),
        (checks.packages_error, ("build_packages", "gcc;rm"), "not a Debian package name"),
        (checks.env_error, ("test_env", ["A=1"]), "expected a mapping"),
        (checks.env_error, ("test_env", {"1A": "x"}), "not an environment variable name"),
        (checks.env_error, ("test_env", {"A": "x\ny"}), "single-line"),
        (checks.health_error, ("health_path", "healthz"), "must start with /"),
        (checks.health_error, ("health_path", "/a b"), "plain URL path"),
        (checks.image_error, ("base_image", "python:3.12"), "without a tag"),
        (checks.name_error, ("test_extra", "a b"), "not an extra or group name"),
    ],
)
def test_answer_errors_name_the_field(check, args, fragment):
    message = check(*args)
    assert message.startswith(args[0] + ": ") and fragment in message


@pytest.mark.parametrize(
    ("check", "args"),
    [
        (checks.command_error, ("test_setup_command", "", False)),
        (
            checks.command_error,
            ("test_command", "python manage.py collectstatic --noinput && python manage.py test"),
        ),
        (checks.path_error, ("test_requirements_file", "", False, "requirements.txt")),
        (checks.path_error, ("requirements_file", "requirements/production.txt")),
        (checks.packages_error, ("build_packages", "")),
        (checks.packages_error, ("build_packages", "build-essential libpq-dev g++")),
        (checks.env_error, ("test_env", {"DJANGO_SETTINGS_MODULE": "app.settings", "N": 3})),
        (checks.health_error, ("health_path", "/admin/login/")),
        (checks.image_error, ("base_image", "registry.example.com:5000/library/python")),
    ],
)
def test_valid_answers_have_no_error(check, args):
    assert check(*args) == ""


def test_shell_quote():
    assert filters.shell_quote("python -m pytest") == "'python -m pytest'"
    assert filters.shell_quote("echo it's") == """'echo it'"'"'s'"""


def test_slug():
    assert filters.slug("My App!") == "my-app"
    assert filters.slug("___") == "app"


def test_paths_error():
    assert checks.paths_error("writable_dirs", ["media", "var/log"]) == ""
    assert checks.paths_error("writable_dirs", []) == ""
    assert "must be a list" in checks.paths_error("writable_dirs", "media")
    for bad in ("/abs", "../up", "a/../b", "has space", ".", "a'b"):
        assert checks.paths_error("image_excludes", [bad]).startswith(
            f"image_excludes: {bad!r} is not a path inside"
        )
    # writable_dirs (and state_dirs) take a data directory of the image outside the project too.
    assert checks.paths_error("writable_dirs", ["/var/uploads", "/datastore"], absolute=True) == ""
    for bad in ("/", "/app", "/tmp/", "/../etc", "/a b"):
        assert "is not a path inside the project (relative, or absolute outside /app" in checks.paths_error(
            "writable_dirs", [bad], absolute=True
        ), bad


def test_state_dirs_error(tmp_path):
    assert checks.state_dirs_error("state_dirs", ["data", "/var/uploads"], ["data", "/var/uploads/"]) == ""
    assert checks.state_dirs_error("state_dirs", [], ["data"]) == ""
    assert checks.state_dirs_error("state_dirs", ["media"], ["data"]) == (
        "state_dirs: media is not in writable_dirs, so the app user could not write to it; "
        "add it there too (-d writable_dirs=...)"
    )
    (tmp_path / "app.py").write_text("")
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "models.py").write_text("")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "notes.db").write_text("")
    assert checks.repository_state_error(tmp_path, ".", "state_dirs", ["data", "/var/uploads"]) == ""
    assert checks.repository_state_error(tmp_path, ".", "state_dirs", ["shop"]).startswith(
        "state_dirs: shop/ holds the project's code (shop/models.py); a volume there would hide"
    )


def test_services_error():
    ok = {
        "db": {
            "image": "postgres:16",
            "port": 5432,
            "env": {"POSTGRES_PASSWORD": "x"},
            "health": "pg_isready",
        }
    }
    assert checks.services_error("test_services", ok) == ""
    assert checks.services_error("test_services", {}) == ""
    assert "expected a mapping" in checks.services_error("test_services", ["db"])
    assert checks.services_error("test_services", {"DB": {"image": "x", "port": 1}}).startswith(
        "test_services: 'DB'"
    )
    assert "needs an image" in checks.services_error("test_services", {"db": {"port": 1}})
    assert "needs the port" in checks.services_error("test_services", {"db": {"image": "x"}})
    assert "is not a port" in checks.services_error("test_services", {"db": {"image": "x", "port": 70000}})
    assert "test_services.db.env" in checks.services_error(
        "test_services", {"db": {"image": "x", "port": 1, "env": [1]}}
    )


def test_data_json_reads_like_a_hand_written_file():
    assert filters.data_json({"b": "it's <a>", "a": 1}) == '{\n  "a": 1,\n  "b": "it\'s <a>"\n}\n'


def test_load_paths_error():
    assert checks.load_paths_error("load_paths", ["/", "/api/items"]) == ""
    assert checks.load_paths_error("load_paths", [{"path": "/cart", "weight": 3, "method": "post"}]) == ""
    assert checks.load_paths_error("load_paths", "/") == (
        "load_paths: '/' must be a list of paths, e.g. [/, /api/items] or [{path: /, weight: 3}]"
    )
    assert "is not a request path" in checks.load_paths_error("load_paths", ["api/items"])
    assert "weight 0 of /x must be a whole number" in checks.load_paths_error(
        "load_paths", [{"path": "/x", "weight": 0}]
    )
    assert "method 'FETCH' of /x is not one of GET" in checks.load_paths_error(
        "load_paths", [{"path": "/x", "method": "fetch"}]
    )
    assert "has keys other than" in checks.load_paths_error("load_paths", [{"path": "/x", "users": 3}])


def test_debian_packages_are_named_as_the_suite_names_them():
    assert versions.debian_packages("netcat libpq5", "bookworm") == "netcat-openbsd libpq5"
    assert versions.debian_packages("netcat libpq5", "bullseye") == "netcat libpq5"
    assert versions.debian_packages("", "trixie") == ""
