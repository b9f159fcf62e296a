"""CPython version knowledge, as plain functions, exposed to Copier's Jinja environment.

Everything here is pure: no I/O, no clock. The template, copier.yml's validators and the unit tests
call the same functions, so a fact lives in exactly one place.

Versions are always strings like "3.12" (never floats: YAML reads an unquoted 3.10 as 3.1).
A free-threaded build is written with a "t" suffix: "3.13t".
"""

from __future__ import annotations

import datetime
import json
import posixpath
import re
import shlex
from dataclasses import dataclass, field

from jinja2.ext import Extension

try:
    from copier.errors import UserMessageError
except ImportError:  # the unit tests import this module without copier
    UserMessageError = ValueError

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
    "3.9": Minor("2020-10-05", "2025-10-31", True, False, ("bullseye", "bookworm", "trixie"),
                 {"_dummy_thread": "_thread", "dummy_threading": "threading"}),
    "3.10": Minor("2021-10-04", "2026-10-31", True, False, ("bullseye", "bookworm", "trixie"), {
        "formatter": "no replacement; format text yourself",
        "parser": "ast",
        "symbol": "ast / token",
    }),
    "3.11": Minor("2022-10-24", "2027-10-31", True, False, ("bullseye", "bookworm", "trixie"),
                  {"binhex": "base64 / binascii"}),
    "3.12": Minor("2023-10-02", "2028-10-31", True, False, ("bullseye", "bookworm", "trixie"), {
        "distutils": "setuptools (setup), packaging.version (versions), sysconfig / shutil",
        "imp": "importlib",
        "asynchat": "asyncio",
        "asyncore": "asyncio",
        "smtpd": "aiosmtpd",
    }),
    # PEP 594 ("dead batteries"), plus lib2to3 and tkinter.tix.
    "3.13": Minor("2024-10-07", "2029-10-31", True, True, ("bullseye", "bookworm", "trixie"), {
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
    }),
    "3.14": Minor("2025-10-07", "2030-10-31", True, True, ("bookworm", "trixie")),
    "3.15": Minor("2026-10-01", "2031-10-31", True, True, ("bookworm", "trixie")),
    # Not released: known for experimental CI lanes only.
    "3.16": Minor("2027-10-01", "2032-10-31", False, True, ("bookworm", "trixie")),
}

# Views of MINORS, in release order, for the functions below and the templates.
RELEASES: dict[str, tuple[str, str]] = {v: (m.released, m.end_of_life) for v, m in MINORS.items()}
SUPPORTED = tuple(v for v, m in MINORS.items() if m.supported)
FREE_THREADED = tuple(v for v, m in MINORS.items() if m.free_threaded)
DEBIAN_SUITES: dict[str, tuple[str, ...]] = {v: m.debian_suites for v, m in MINORS.items()}
REMOVED_MODULES: dict[str, dict[str, str]] = {v: dict(m.removed) for v, m in MINORS.items()}
# Every pair a migration may take, one minor at a time (tests render and run these).
PAIRS: tuple[tuple[str, str], ...] = tuple(zip(SUPPORTED, SUPPORTED[1:]))

# The C library of each Debian suite: the newest manylinux_2_N wheel tag its images can install.
DEBIAN_GLIBC: dict[str, str] = {"bullseye": "2.31", "bookworm": "2.36", "trixie": "2.41"}

# The variable each git-versioning build backend reads instead of asking git (a Docker build has no
# .git): its documented override. hatch-vcs is setuptools-scm underneath.
SCM_VERSION_ENV = {
    "setuptools-scm": "SETUPTOOLS_SCM_PRETEND_VERSION",
    "hatch-vcs": "SETUPTOOLS_SCM_PRETEND_VERSION",
    "pdm-backend": "PDM_BUILD_SCM_VERSION",
    "poetry-dynamic-versioning": "POETRY_DYNAMIC_VERSIONING_BYPASS",
}

# The Kubernetes Rollout's resources (deploy/kubernetes/rollout.yaml); load.py compares its memory
# recommendation with them. The memory limit is max_rss_percent of the request.
KUBERNETES_RESOURCES = {"cpu_request": "100m", "memory_request_mib": 256}

# Tools the rendered files pin (one place to bump them).
TOOLS = {"tox": "4.67.15", "tox_uv": "1.37.1", "uv": "0.13.9", "poetry": "2.5.1", "ruff": "0.17.6", "locust": "2.47.0"}

# The cutover's gates, one set for both engines: deploy/bluegreen/bluegreen.conf (nginx on one host)
# and deploy/kubernetes/analysis.yaml (Argo Rollouts). The new version fails on more 5xx or a slower
# p99, or on a resident memory above this share of the old version's (a newer interpreter can start
# bigger); with fewer requests than min_requests the verdict is "no data", not a pass.
GATES = {
    "health_timeout_seconds": 60,
    "min_requests": 50,
    "max_5xx_percent": 1,
    "max_p99_ms": 1000,
    # The load comparison only: the target's p99 against the current one's, in percent, judged once
    # the target is slower by more than min_p99_delta_ms (2 ms against 1 ms is noise to a user).
    "max_p99_percent": 150,
    "min_p99_delta_ms": 50,
    "max_rss_percent": 150,
    "keep_old_seconds": 3600,
}

_EXPERIMENTAL = re.compile(r"^3\.(0|[1-9][0-9]?)t?$")


def _key(version: str) -> tuple[int, int]:
    major, minor = version.rstrip("t").split(".")
    return int(major), int(minor)


def version_error(field: str, value: object, allowed: tuple[str, ...] = SUPPORTED) -> str:
    """An error message naming the field, or "" when value is one of the allowed minors."""
    if not isinstance(value, str):
        return (
            f"{field}: {value!r} is not a string; write versions quoted, e.g. '3.10' "
            "(unquoted YAML 3.10 is the number 3.1)"
        )
    if not re.fullmatch(r"[0-9]+\.[0-9]+", value):
        return f"{field}: {value!r} is not a Python minor version like '3.12'"
    if value not in allowed:
        hint = ""
        if value == "3.1":
            hint = " (if you meant 3.10, quote it: unquoted YAML 3.10 is the number 3.1)"
        return f"{field}: {value} is outside the supported range {allowed[0]} to {allowed[-1]}{hint}"
    return ""


def port_error(field: str, value: object) -> str:
    """A TCP port as an int 1-65535 (YAML-typed answers: 'http' arrives as a string)."""
    if isinstance(value, bool) or not isinstance(value, int):
        return f"{field}: {value!r} is not a port number (1 to 65535)"
    if not 1 <= value <= 65535:
        return f"{field}: {value} is not a port (1 to 65535)"
    return ""


def target_error(current: str, target: str) -> str:
    """Validation of target_python against current_python, naming the field."""
    message = version_error("target_python", target)
    if message:
        return message
    if not version_error("current_python", current) and _key(target) <= _key(current):
        return f"target_python: {target} must be newer than current_python {current}"
    return ""


def experimental_error(values: object, current: str, target: str) -> str:
    """Validation of experimental_pythons: a list of "3.X" or "3.Xt" strings, none repeated."""
    field = "experimental_pythons"
    if values in (None, ""):
        return ""
    if not isinstance(values, list):
        return f"{field}: expected a list of quoted versions such as ['3.14', '3.13t'], got {values!r}"
    seen: set[str] = set()
    for value in values:
        if isinstance(value, (int, float)):
            return f"{field}: {value} is a number, not a string: quote each version ('{value}')"
        if not isinstance(value, str) or not _EXPERIMENTAL.match(value):
            return f"{field}: {value!r} is not a version like '3.14' or '3.13t' (quote each one)"
        if value.rstrip("t") not in RELEASES:
            return f"{field}: {value} is not a known release ({', '.join(RELEASES)})"
        if value.endswith("t") and value[:-1] not in FREE_THREADED:
            return f"{field}: {value} has no free-threaded build (those start with {FREE_THREADED[0]})"
        if value in (current, target):
            return f"{field}: {value} is already current_python or target_python"
        if value in seen:
            return f"{field}: {value} is listed twice"
        seen.add(value)
    return ""


def py_tag(version: str) -> str:
    """'3.12' -> 'py312', '3.13t' -> 'py313t' (tox env names, wheel tags, ruff targets)."""
    major, minor = _key(version)
    return f"py{major}{minor}" + ("t" if version.endswith("t") else "")


def next_minor(version: object) -> str:
    """'3.11' -> '3.12'; "" for anything that is not a version (the answer check names it)."""
    if not isinstance(version, str) or not re.fullmatch(r"[0-9]+\.[0-9]+t?", version):
        return ""
    major, minor = _key(version)
    return f"{major}.{minor + 1}"


def versions_between(current: str, target: str) -> list[str]:
    """The known minors from current to target, both included: ('3.10', '3.12') -> 3.10, 3.11, 3.12."""
    low, high = _key(current), _key(target)
    return [v for v in RELEASES if low <= _key(v) <= high]


def removed_modules(current: str, target: str) -> dict[str, tuple[str, str]]:
    """Modules present in current and gone in target: {module: (removed in, replacement)}."""
    removed: dict[str, tuple[str, str]] = {}
    for version in versions_between(current, target)[1:]:
        for module, replacement in REMOVED_MODULES[version].items():
            removed[module] = (version, replacement)
    return removed


def release_date(version: str) -> str:
    return RELEASES[version.rstrip("t")][0]


def end_of_life(version: str) -> str:
    return RELEASES[version.rstrip("t")][1]


def has_free_threading(version: str) -> bool:
    return version.rstrip("t") in FREE_THREADED


def free_threaded(version: str) -> bool:
    """'3.14t' names the free-threaded build of 3.14 (a Jinja test: select("free_threaded"))."""
    return str(version).endswith("t")


def suite_error(suite: str, versions: list[str]) -> str:
    for version in versions:
        if version in RELEASES and suite not in DEBIAN_SUITES[version]:
            return f"debian_suite: there is no python:{version}-slim-{suite} image; use one of {DEBIAN_SUITES[version]}"
    return ""


def shell_quote(command: str) -> str:
    """One shell word, as tox and sh read it: a b -> 'a b'; it's -> 'it'"'"'s'."""
    return shlex.quote(str(command))


def slug(value: str) -> str:
    """A Docker-image-safe name: 'My App!' -> 'my-app'."""
    return re.sub(r"[^a-z0-9]+", "-", str(value).lower()).strip("-") or "app"


def end_of_life_note(version: str, today: str) -> str:
    """'3.10 stopped getting security fixes on 2026-10-31' once that date is past `today` (ISO), else ""."""
    eol = RELEASES.get(version.rstrip("t"), ("", ""))[1]
    return f"{version} stopped getting security fixes on {eol}" if eol and eol < today else ""


# ---------------------------------------------------------------------------------------------- answers
# One function per kind of answer; copier.yml's validators and the final check call the same ones.
_PACKAGE = re.compile(r"^[a-z0-9][a-z0-9+.-]+$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def command_error(field: str, value: object, required: bool = True) -> str:
    """A shell command line: one line; empty only where the question is optional."""
    if not isinstance(value, str):
        return f"{field}: {value!r} is not a command line (a string)"
    if "\n" in value.strip():
        return f"{field}: must be a single line (join steps with &&)"
    if required and not value.strip():
        return f"{field}: must not be empty"
    return ""


def path_error(field: str, value: object, required: bool = True, other: str = "") -> str:
    """A file path relative to the project, no spaces; empty only where the question is optional;
    never the same file as `other` (the runtime requirements, for the test ones)."""
    if not isinstance(value, str) or (required and not value.strip()):
        return f"{field}: must name a file (a path relative to the project)"
    if value and (re.search(r"\s", value) or value.startswith("/") or ".." in value.split("/")):
        return f"{field}: {value!r} must be a path inside the project, without spaces"
    if value and value == other:
        return f"{field}: must differ from requirements_file (leave it empty for none)"
    return ""


def packages_error(field: str, value: object) -> str:
    """Debian package names separated by spaces (e.g. 'build-essential libpq-dev'), or empty."""
    if not isinstance(value, str):
        return f"{field}: {value!r} is not a list of Debian package names separated by spaces"
    for name in value.split():
        if not _PACKAGE.match(name):
            return f"{field}: {name!r} is not a Debian package name (lowercase letters, digits, + - .)"
    return ""


def env_error(field: str, value: object) -> str:
    """A mapping of environment variable names to single-line values."""
    if value in (None, ""):
        return ""
    if not isinstance(value, dict):
        return f"{field}: expected a mapping such as {{DJANGO_SETTINGS_MODULE: app.settings}}, got {value!r}"
    for name, item in value.items():
        if not isinstance(name, str) or not _ENV_NAME.match(name):
            return f"{field}: {name!r} is not an environment variable name"
        if isinstance(item, (dict, list)) or item is None or "\n" in str(item):
            return f"{field}: the value of {name} must be a single-line string"
    return ""


def health_error(field: str, value: object) -> str:
    if not isinstance(value, str) or not value.startswith("/"):
        return f"{field}: {value!r} must start with /"
    if not re.fullmatch(r"/[A-Za-z0-9._~%/:@+=,-]*", value):
        return f"{field}: {value!r} must be a plain URL path (no spaces, quotes, ? or #)"
    return ""


def image_error(field: str, value: object) -> str:
    """An image repository without a tag: python, registry.example.com:5000/library/python."""
    if not isinstance(value, str) or not re.fullmatch(r"[a-z0-9][a-z0-9._/:-]*[a-z0-9]", value) or ":" in value.split("/")[-1]:
        return f"{field}: {value!r} is not an image repository without a tag (e.g. python)"
    return ""


def name_error(field: str, value: object) -> str:
    """An extra or dependency-group name."""
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", value):
        return f"{field}: {value!r} is not an extra or group name"
    return ""


_REQUIREMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9._,-]+\])?([<>=!~]=?[A-Za-z0-9.*+!-]+(,[<>=!~]=?[A-Za-z0-9.*+!-]+)*)?$")
_BRANCH = re.compile(r"^[A-Za-z0-9._/*-]+$")


_RELATIVE_PATH = re.compile(r"^(?!/)(?!.*(?:^|/)\.\.(?:/|$))[A-Za-z0-9._/-]+$")


def paths_error(field: str, value: object) -> str:
    """A list of paths inside the project (relative, no `..`, no spaces or quotes): [tests, media]."""
    if value in (None, ""):
        return ""
    if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
        return f"{field}: {value!r} must be a list of paths inside the project, e.g. [tests]"
    bad = [p for p in value if not _RELATIVE_PATH.match(p) or p.strip("/") in ("", ".")]
    return f"{field}: {bad[0]!r} is not a path inside the project (relative, no '..', e.g. media/uploads)" if bad else ""


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def load_paths_error(field: str, value: object) -> str:
    """A list of request paths for the load comparison: "/x" or {path: "/x", weight: 3, method: GET}."""
    if not isinstance(value, list) or not value:
        return f"{field}: {value!r} must be a list of paths, e.g. [/, /api/items] or [{{path: /, weight: 3}}]"
    for entry in value:
        spec = entry if isinstance(entry, dict) else {"path": entry}
        path, weight, method = spec.get("path"), spec.get("weight", 1), str(spec.get("method", "GET")).upper()
        if set(spec) - {"path", "weight", "method"}:
            return f"{field}: {entry!r} has keys other than path, weight and method"
        if not isinstance(path, str) or not path.startswith("/") or any(c.isspace() for c in path):
            return f"{field}: {path!r} is not a request path (it starts with /, no spaces)"
        if not isinstance(weight, int) or isinstance(weight, bool) or weight < 1:
            return f"{field}: weight {weight!r} of {path} must be a whole number of at least 1"
        if method not in _METHODS:
            return f"{field}: method {method!r} of {path} is not one of {', '.join(_METHODS)}"
    return ""


_SERVICE_KEYS = {"image", "env", "port", "container_port", "health", "command"}


def services_error(field: str, value: object) -> str:
    """Backing services: {name: {image, env, port, container_port, health, command}}; image and port required."""
    if value in (None, "", {}):
        return ""
    if not isinstance(value, dict):
        return f"{field}: expected a mapping such as {{postgres: {{image: 'postgres:16', port: 5432, health: pg_isready}}}}, got {value!r}"
    for name, spec in value.items():
        if not isinstance(name, str) or not re.fullmatch(r"[a-z0-9][a-z0-9_.-]*", name):
            return f"{field}: {name!r} is not a service name (lower-case letters, digits, - _ .)"
        if not isinstance(spec, dict) or not isinstance(spec.get("image"), str) or not spec["image"]:
            return f"{field}.{name}: needs an image, e.g. {{image: 'postgres:16', port: 5432}}"
        unknown = sorted(set(spec) - _SERVICE_KEYS)
        if unknown:
            return f"{field}.{name}: unknown key {unknown[0]!r} (keys: {', '.join(sorted(_SERVICE_KEYS))})"
        for key in ("port", "container_port"):
            if key in spec and (not isinstance(spec[key], int) or not 0 < spec[key] < 65536):
                return f"{field}.{name}.{key}: {spec[key]!r} is not a port number"
        if "port" not in spec:
            return f"{field}.{name}: needs the port the tests reach it on, e.g. port: 5432"
        error = env_error(f"{field}.{name}.env", spec.get("env"))
        if error:
            return error
        for key in ("health", "command"):
            if key in spec and not isinstance(spec[key], str):
                return f"{field}.{name}.{key}: {spec[key]!r} must be a shell command"
    return ""


def data_json(value: object) -> str:
    """A rendered data file's JSON, as a person would write it (Jinja's tojson escapes ' < > &)."""
    return json.dumps(value, indent=2, sort_keys=True) + "\n"


_HOST = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::\d{1,5})?$")
_K8S_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?$")


def host_error(field: str, value: object) -> str:
    """A Host header value: a host name or address, with an optional :port."""
    if not isinstance(value, str) or not _HOST.match(value):
        return f"{field}: {value!r} is not a host name (e.g. localhost or app.example.com)"
    return ""


def host_path_error(field: str, value: object) -> str:
    """A file on the deploy host: empty, or an absolute path without spaces or quotes."""
    if value in (None, ""):
        return ""
    if not isinstance(value, str) or not re.fullmatch(r"/[A-Za-z0-9._/-]+", value):
        return f"{field}: {value!r} must be an absolute path on the host, e.g. /etc/app/app.env"
    return ""


def env_from_error(field: str, value: object) -> str:
    """{configMaps: [name], secrets: [name]} with Kubernetes object names."""
    if value in (None, "", {}):
        return ""
    if not isinstance(value, dict) or set(value) - {"configMaps", "secrets"}:
        return f"{field}: expected {{configMaps: [app-config], secrets: [app-secrets]}}, got {value!r}"
    for key, names in value.items():
        if not isinstance(names, list) or not all(isinstance(n, str) and _K8S_NAME.match(n) for n in names):
            return f"{field}.{key}: {names!r} must be a list of Kubernetes names (lower case, digits, - .)"
    return ""


def looks_secret(names: object) -> bool:
    """Any of these variable names reads like a secret to linters (hadolint DL3064: key, secret,
    password, token, ...): the rendered ENV then says why that is not one."""
    return any(re.search(r"(?i)pass|secret|token|key|auth|credential|cert", str(n)) for n in (names or []))


def requirements_error(field: str, value: object) -> str:
    """Python requirements separated by spaces: uvicorn[standard] gunicorn==23.0.0."""
    if not isinstance(value, str):
        return f"{field}: {value!r} must be Python requirements separated by spaces"
    bad = [word for word in value.split() if not _REQUIREMENT.match(word)]
    return f"{field}: {bad[0]!r} is not a Python requirement (e.g. uvicorn[standard] or gunicorn==23.0.0)" if bad else ""


def branches_error(field: str, value: object) -> str:
    if not isinstance(value, list) or not value or not all(isinstance(b, str) and _BRANCH.match(b) for b in value):
        return f"{field}: {value!r} must be a list of branch names, e.g. [main]"
    return ""


def start_check(command: object) -> dict:
    """A shell test that the production image has what `command` runs: {'check', 'what'}.
    `gunicorn app:app` -> command -v gunicorn; `python -m uvicorn` -> the module is importable;
    `python manage.py runserver` -> manage.py is there. Leading VAR=value words and exec are skipped."""
    words = [w for w in shlex.split(str(command)) if w]
    while words and (re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", words[0]) or words[0] == "exec"):
        words.pop(0)
    if not words:
        return {"check": "true", "what": "nothing"}
    if re.fullmatch(r"python3?(\.\d+)?", words[0]) and len(words) > 2 and words[1] == "-m":
        module = words[2]
        return {"check": f"python -c \"import importlib.util, sys; sys.exit(importlib.util.find_spec('{module}') is None)\"",
                "what": f"the module {module}"}
    if re.fullmatch(r"python3?(\.\d+)?", words[0]) and len(words) > 1 and words[1].endswith(".py"):
        return {"check": f"test -f {shlex.quote(words[1])}", "what": words[1]}
    return {"check": f"command -v {shlex.quote(words[0])} >/dev/null", "what": words[0]}


def prefix(value: object, head: str) -> str:
    """head + value, as a filter over lists: paths | map("prefix", "backend/")."""
    return f"{head}{value}"


def workspace_paths(project_dir: object, workspace_root: object) -> dict:
    """Where Docker builds from when project_dir is a uv workspace member whose lock sits above it:
    {'context': the build context relative to the repository root, 'from_project': the same relative
    to project_dir, 'member': project_dir relative to that context ('' when it is the context)}."""
    project = posixpath.normpath(str(project_dir or "."))
    up = posixpath.normpath(str(workspace_root or "."))
    context = posixpath.normpath(posixpath.join(project, up))
    member = "" if up == "." else posixpath.relpath(project, context)
    return {"context": context, "from_project": up, "member": member}


def refuse(checks: list, given: object) -> str:
    """The final check of every answer, for runs without prompts (--defaults): the first error
    stops the copy with one line naming the question, the value, where it came from and the -d
    that fixes it; nothing is written. `checks` holds [question, value, error, origin] rows, where
    origin says how a default was reached ("" for the template's plain default); `given` holds the
    answers given with -d or --data-file (copier merges both into one mapping, so the message names
    both). Returns "" when every answer is valid."""
    for question, value, error, origin in checks:
        if not error:
            continue
        if question in (given or {}):
            shown = value if isinstance(value, str) and "\n" not in value else repr(value)
            source = f"-d or --data-file: {question}={shown}"
        elif origin.startswith("detected"):
            source = origin
        else:
            source = f"the template's default{' (' + origin + ')' if origin else ''}"
        raise UserMessageError(f"{error} (value from {source}; give another with -d {question}=...)")
    return ""


EXPORTS = {
    f.__name__: f
    for f in (
        version_error,
        target_error,
        port_error,
        experimental_error,
        py_tag,
        next_minor,
        versions_between,
        removed_modules,
        release_date,
        end_of_life,
        has_free_threading,
        suite_error,
        shell_quote,
        slug,
        end_of_life_note,
        command_error,
        path_error,
        packages_error,
        env_error,
        health_error,
        image_error,
        name_error,
        requirements_error,
        branches_error,
        start_check,
        paths_error,
        services_error,
        looks_secret,
        host_error,
        host_path_error,
        env_from_error,
        data_json,
        prefix,
        workspace_paths,
        load_paths_error,
        refuse,
    )
}


class VersionsExtension(Extension):
    """Makes every function above a Jinja global and a filter: {{ py_tag(v) }} or {{ v | py_tag }}."""

    def __init__(self, environment):
        super().__init__(environment)
        environment.globals.update(EXPORTS)
        environment.filters.update(EXPORTS)
        environment.tests["free_threaded"] = free_threaded
        environment.globals.update({f"{tool}_version": version for tool, version in TOOLS.items()})
        environment.globals["SUPPORTED"] = list(SUPPORTED)
        environment.globals["GATES"] = dict(GATES)
        environment.globals["KUBERNETES_RESOURCES"] = dict(KUBERNETES_RESOURCES)
        environment.globals["DEBIAN_GLIBC"] = dict(DEBIAN_GLIBC)
        environment.globals["SCM_VERSION_ENV"] = dict(SCM_VERSION_ENV)
        # The one impure input, made here and passed to the pure functions: the day of the render.
        environment.globals["TODAY"] = datetime.date.today().isoformat()
