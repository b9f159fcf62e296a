"""CPython version knowledge: one `Minor` record per minor version, and what follows from the records.

Pure: no I/O, no clock. Versions are always strings like "3.12" (never floats: YAML reads an unquoted
3.10 as 3.1); a free-threaded build is written with a "t" suffix: "3.13t".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Minor:
    """What the template knows of one CPython minor version: the one place to add a new one."""

    released: str  # first release of 3.X.0
    end_of_life: str  # planned end of life
    supported: bool  # a migration may start from or go to it (released); else experimental CI lanes only
    free_threaded: bool  # an official free-threaded (PEP 703) build exists
    debian_suites: tuple[str, ...]  # suites of the official python:<v>-slim-<suite> images
    removed: dict[str, str] = field(default_factory=dict)  # standard-library modules removed in it -> instead


# Sources: devguide.python.org/versions, the release PEPs (569, 596, 619, 664, 693, 719, 745, 790),
# "What's New" of each release, and Docker Hub's python tags.
MINORS: dict[str, Minor] = {
    "3.8": Minor("2019-10-14", "2024-10-07", True, False, ("bullseye", "bookworm"), {"macpath": "os.path"}),
    "3.9": Minor(
        "2020-10-05",
        "2025-10-31",
        True,
        False,
        ("bullseye", "bookworm", "trixie"),
        {"_dummy_thread": "_thread", "dummy_threading": "threading"},
    ),
    "3.10": Minor(
        "2021-10-04",
        "2026-10-31",
        True,
        False,
        ("bullseye", "bookworm", "trixie"),
        {
            "formatter": "no replacement; format text yourself",
            "parser": "ast",
            "symbol": "ast / token",
        },
    ),
    "3.11": Minor(
        "2022-10-24",
        "2027-10-31",
        True,
        False,
        ("bullseye", "bookworm", "trixie"),
        {"binhex": "base64 / binascii"},
    ),
    "3.12": Minor(
        "2023-10-02",
        "2028-10-31",
        True,
        False,
        ("bullseye", "bookworm", "trixie"),
        {
            "distutils": "setuptools (setup), packaging.version (versions), sysconfig / shutil",
            "imp": "importlib",
            "asynchat": "asyncio",
            "asyncore": "asyncio",
            "smtpd": "aiosmtpd",
        },
    ),
    # PEP 594 ("dead batteries"), plus lib2to3 and tkinter.tix.
    "3.13": Minor(
        "2024-10-07",
        "2029-10-31",
        True,
        True,
        ("bullseye", "bookworm", "trixie"),
        {
            "aifc": "no replacement in the stdlib (soundfile, pydub)",
            "audioop": "audioop-lts (PyPI)",
            "cgi": "email.message / urllib.parse (multipart on PyPI)",
            "cgitb": "traceback / faulthandler",
            "chunk": "no replacement in the stdlib",
            "crypt": "hashlib, bcrypt or passlib (PyPI)",
            "imghdr": "filetype or puremagic (PyPI)",
            "lib2to3": "parso or libcst (PyPI)",
            "mailcap": "mimetypes",
            "msilib": "no replacement in the stdlib",
            "nis": "no replacement in the stdlib",
            "nntplib": "pynntp (PyPI)",
            "ossaudiodev": "no replacement in the stdlib (pyalsaaudio)",
            "pipes": "shlex.quote / subprocess",
            "sndhdr": "filetype (PyPI)",
            "spwd": "python-pam (PyPI)",
            "sunau": "no replacement in the stdlib",
            "telnetlib": "telnetlib3 (PyPI)",
            "tkinter.tix": "tkinter.ttk",
            "uu": "base64",
            "xdrlib": "struct",
        },
    ),
    "3.14": Minor("2025-10-07", "2030-10-31", True, True, ("bookworm", "trixie")),
    "3.15": Minor("2026-10-01", "2031-10-31", True, True, ("bookworm", "trixie")),
    # Not released: known for experimental CI lanes only.
    "3.16": Minor("2027-10-01", "2032-10-31", False, True, ("bookworm", "trixie")),
}

# Views of MINORS, in release order.
RELEASES: dict[str, tuple[str, str]] = {v: (m.released, m.end_of_life) for v, m in MINORS.items()}
SUPPORTED = tuple(v for v, m in MINORS.items() if m.supported)
# A migration starts from any supported minor but the newest, which has nothing newer to move to yet.
STARTS = SUPPORTED[:-1]
FREE_THREADED = tuple(v for v, m in MINORS.items() if m.free_threaded)
DEBIAN_SUITES: dict[str, tuple[str, ...]] = {v: m.debian_suites for v, m in MINORS.items()}
REMOVED_MODULES: dict[str, dict[str, str]] = {v: dict(m.removed) for v, m in MINORS.items()}
# Every pair a migration may take, one minor at a time (tests render and run these).
PAIRS: tuple[tuple[str, str], ...] = tuple(zip(SUPPORTED, SUPPORTED[1:]))

# The C library of each Debian suite: the newest manylinux_2_N wheel tag its images can install.
DEBIAN_GLIBC: dict[str, str] = {"bullseye": "2.31", "bookworm": "2.36", "trixie": "2.41"}

# Package names apt no longer installs by that name in a suite: virtual packages with several providers
# (apt refuses them: "netcat is a virtual package") and renames. A package copied from an old image's
# Dockerfile gets the name its new suite has. (A sole provider, as the t64 renames of trixie, apt picks
# by itself.)
DEBIAN_RENAMED: dict[str, dict[str, str]] = {
    "bookworm": {
        "netcat": "netcat-openbsd",
        "libmysqlclient-dev": "default-libmysqlclient-dev",
        "mysql-client": "default-mysql-client",
        "libgdk-pixbuf2.0-0": "libgdk-pixbuf-2.0-0",
    },
    "trixie": {
        "netcat": "netcat-openbsd",
        "libmysqlclient-dev": "default-libmysqlclient-dev",
        "mysql-client": "default-mysql-client",
        "libgdk-pixbuf2.0-0": "libgdk-pixbuf-2.0-0",
    },
}

_VERSION = re.compile(r"^[0-9]+\.[0-9]+t?$")


def key(version: str) -> tuple[int, int]:
    """'3.9' -> (3, 9), to sort and compare minors ('3.13t' sorts as 3.13)."""
    major, minor = version.rstrip("t").split(".")
    return int(major), int(minor)


def py_tag(version: str) -> str:
    """'3.12' -> 'py312', '3.13t' -> 'py313t' (tox env names, wheel tags, ruff targets)."""
    major, minor = key(version)
    return f"py{major}{minor}" + ("t" if version.endswith("t") else "")


def next_minor(version: object) -> str:
    """'3.11' -> '3.12'; "" for anything that is not a version (the answer check names it)."""
    if not isinstance(version, str) or not _VERSION.match(version):
        return ""
    major, minor = key(version)
    return f"{major}.{minor + 1}"


def versions_between(current: str, target: str) -> list[str]:
    """The known minors from current to target, both included: ('3.10', '3.12') -> 3.10, 3.11, 3.12."""
    low, high = key(current), key(target)
    return [v for v in RELEASES if low <= key(v) <= high]


def removed_modules(current: str, target: str) -> dict[str, tuple[str, str]]:
    """Modules present in current and gone in target: {module: (removed in, replacement)}."""
    removed: dict[str, tuple[str, str]] = {}
    for version in versions_between(current, target)[1:]:
        for module, replacement in REMOVED_MODULES[version].items():
            removed[module] = (version, replacement)
    return removed


# What a release removed that has a replacement working on both sides of a migration: rewritten by
# python-upgrade/fix.py (tox -e fix). "module.name": "module.name" for functions, and the unittest
# method aliases 3.12 removed (TestCase.assertEquals and its kind: renamed where they are called).
REWRITES: dict[str, dict[str, str]] = {
    "3.12": {
        "imp.reload": "importlib.reload",
        "unittest.assertEquals": "assertEqual",
        "unittest.assertNotEquals": "assertNotEqual",
        "unittest.assert_": "assertTrue",
        "unittest.failUnless": "assertTrue",
        "unittest.failIf": "assertFalse",
        "unittest.failUnlessEqual": "assertEqual",
        "unittest.failIfEqual": "assertNotEqual",
        "unittest.assertAlmostEquals": "assertAlmostEqual",
        "unittest.assertNotAlmostEquals": "assertNotAlmostEqual",
        "unittest.failUnlessAlmostEqual": "assertAlmostEqual",
        "unittest.failIfAlmostEqual": "assertNotAlmostEqual",
        "unittest.failUnlessRaises": "assertRaises",
        "unittest.assertRegexpMatches": "assertRegex",
        "unittest.assertNotRegexpMatches": "assertNotRegex",
        "unittest.assertRaisesRegexp": "assertRaisesRegex",
    },
    "3.13": {
        "pipes.quote": "shlex.quote",
    },
}


# Maintained backports of removed modules, the same import name: what fix.py adds as a dependency with
# an environment marker (`standard-cgi; python_version >= "3.13"`) where uses are left, so nothing
# changes on the current version. setuptools provides `distutils` again (its distutils-precedence.pth).
BACKPORTS: dict[str, dict[str, str]] = {
    "3.12": {
        "distutils": "setuptools",
        "asyncore": "standard-asyncore",
        "asynchat": "standard-asynchat",
        "smtpd": "standard-smtpd",
    },
    "3.13": {
        m: f"standard-{m}"
        for m in (
            "aifc",
            "cgi",
            "cgitb",
            "chunk",
            "crypt",
            "imghdr",
            "mailcap",
            "nntplib",
            "pipes",
            "sndhdr",
            "sunau",
            "telnetlib",
            "uu",
            "xdrlib",
        )
    },
}


def backports(current: str, target: str) -> dict[str, tuple[str, str]]:
    """{module: (backport, removed in)} for the modules a migration from current to target loses."""
    found: dict[str, tuple[str, str]] = {}
    for version in versions_between(current, target)[1:]:
        for module, package in BACKPORTS.get(version, {}).items():
            found[module] = (package, version)
    return found


def rewrites(current: str, target: str) -> dict[str, str]:
    """The rewrites a migration from current to target needs (REWRITES of the releases after current)."""
    found: dict[str, str] = {}
    for version in versions_between(current, target)[1:]:
        found.update(REWRITES.get(version, {}))
    return found


def release_date(version: str) -> str:
    return RELEASES[version.rstrip("t")][0]


def end_of_life(version: str) -> str:
    return RELEASES[version.rstrip("t")][1]


def has_free_threading(version: str) -> bool:
    return version.rstrip("t") in FREE_THREADED


def free_threaded(version: str) -> bool:
    """'3.14t' names the free-threaded build of 3.14 (a Jinja test: select("free_threaded"))."""
    return str(version).endswith("t")


def debian_packages(packages: str, suite: str) -> str:
    """Debian package names as `suite` installs them (`netcat` -> `netcat-openbsd` in bookworm)."""
    renamed = DEBIAN_RENAMED.get(str(suite), {})
    return " ".join(renamed.get(name, name) for name in str(packages).split())


def end_of_life_note(version: str, today: str) -> str:
    """'3.10 stopped getting security fixes on 2026-10-31' once that date is past `today` (ISO), else ""."""
    eol = RELEASES.get(str(version).rstrip("t"), ("", ""))[1]
    return f"{version} stopped getting security fixes on {eol}" if eol and eol < today else ""
