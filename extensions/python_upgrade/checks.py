"""The check of every kind of answer: each returns "" when the value is good, else one line naming
the question and what is wrong. questions.py says which check each question gets; the ones that
read the repository (a file, a group, a workspace) say so in their name's first word."""

from __future__ import annotations

import re
from pathlib import Path

from .detect.app import unittest_discovers
from .detect.files import is_new, locate, toml
from .detect.layout import groups_of
from .versions import DEBIAN_SUITES, FREE_THREADED, RELEASES, SUPPORTED, key

_PACKAGE = re.compile(r"^[a-z0-9][a-z0-9+.-]+$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_EXPERIMENTAL = re.compile(r"^3\.(0|[1-9][0-9]?)t?$")
_REQUIREMENT = re.compile(
    r"^[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9._,-]+\])?"
    r"([<>=!~]=?[A-Za-z0-9.*+!-]+(,[<>=!~]=?[A-Za-z0-9.*+!-]+)*)?$"
)
_BRANCH = re.compile(r"^[A-Za-z0-9._/*-]+$")
_RELATIVE_PATH = re.compile(r"^(?!/)(?!.*(?:^|/)\.\.(?:/|$))[A-Za-z0-9._/-]+$")
_HOST = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::\d{1,5})?$")
_K8S_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?$")
_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
_SERVICE_KEYS = {"image", "env", "port", "container_port", "health", "command"}


# ---------------------------------------------------------------------------------------- versions
def version_error(field: str, value: object, allowed: tuple[str, ...] = SUPPORTED) -> str:
    """A Python minor version as a quoted string ('3.12'), one of the allowed ones."""
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


def target_error(current: str, target: str) -> str:
    """A supported minor version, newer than current_python."""
    message = version_error("target_python", target)
    if message:
        return message
    if not version_error("current_python", current) and key(target) <= key(current):
        return f"target_python: {target} must be newer than current_python {current}"
    return ""


def experimental_error(values: object, current: str, target: str) -> str:
    """A list of quoted versions ('3.16', or '3.14t' for a free-threaded build), each known, none
    repeated, none of them current_python or target_python."""
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


def suite_error(suite: str, versions: list[str]) -> str:
    """A Debian suite both versions have a python:<version>-slim-<suite> image for."""
    for version in versions:
        if version in RELEASES and suite not in DEBIAN_SUITES[version]:
            return (
                f"debian_suite: there is no python:{version}-slim-{suite} image; "
                f"use one of {DEBIAN_SUITES[version]}"
            )
    return ""


# ------------------------------------------------------------------------------------- plain values
def days_error(field: str, value: object) -> str:
    """A whole number of days, at least 1."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        return f"{field}: {value} must be a whole number of days, at least 1 (e.g. 7)"
    return ""


def port_error(field: str, value: object) -> str:
    """A TCP port, a whole number from 1 to 65535."""
    if isinstance(value, bool) or not isinstance(value, int):
        return f"{field}: {value!r} is not a port number (1 to 65535)"
    if not 1 <= value <= 65535:
        return f"{field}: {value} is not a port (1 to 65535)"
    return ""


def command_error(field: str, value: object, required: bool = True) -> str:
    """One line (join steps with &&); empty only where the question is optional."""
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
    """A plain URL path starting with / (no spaces, quotes, ? or #)."""
    if not isinstance(value, str) or not value.startswith("/"):
        return f"{field}: {value!r} must start with /"
    if not re.fullmatch(r"/[A-Za-z0-9._~%/:@+=,-]*", value):
        return f"{field}: {value!r} must be a plain URL path (no spaces, quotes, ? or #)"
    return ""


def image_error(field: str, value: object) -> str:
    """An image repository without a tag: python, registry.example.com:5000/library/python."""
    if (
        not isinstance(value, str)
        or not re.fullmatch(r"[a-z0-9][a-z0-9._/:-]*[a-z0-9]", value)
        or ":" in value.split("/")[-1]
    ):
        return f"{field}: {value!r} is not an image repository without a tag (e.g. python)"
    return ""


def name_error(field: str, value: object) -> str:
    """An extra or dependency-group name."""
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", value):
        return f"{field}: {value!r} is not an extra or group name"
    return ""


def paths_error(field: str, value: object, absolute: bool = False) -> str:
    """A list of paths inside the project (relative, no `..`, no spaces or quotes): [tests, media].
    With `absolute`, a path of the image outside the project is one too (/var/uploads), never / itself."""
    if value in (None, ""):
        return ""
    if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
        return f"{field}: {value!r} must be a list of paths inside the project, e.g. [tests]"
    bad = [
        p
        for p in value
        if not _RELATIVE_PATH.match(p[1:] if absolute and p.startswith("/") else p)
        or p.strip("/") in ("", ".")
        or (absolute and p.rstrip("/") in ("/app", "/opt/venv", "/usr", "/etc", "/bin", "/lib", "/tmp"))
    ]
    allowed = "relative, or absolute outside /app, no '..'" if absolute else "relative, no '..'"
    return (
        f"{field}: {bad[0]!r} is not a path inside the project ({allowed}, e.g. media/uploads)" if bad else ""
    )


def state_dirs_error(field: str, value: object, writable: object) -> str:
    """The app's state directories: paths (as writable_dirs takes them) that writable_dirs lists, since
    the app user must own them."""
    error = paths_error(field, value, absolute=True)
    if error or not value:
        return error
    owned = {str(p).strip("/") for p in (writable if isinstance(writable, list) else [])}
    missing = [p for p in value if p.strip("/") not in owned]
    return (
        f"{field}: {missing[0]} is not in writable_dirs, so the app user could not write to it; "
        f"add it there too (-d writable_dirs=...)"
        if missing
        else ""
    )


def repository_state_error(dst_path: object, project_dir: object, field: str, value: object) -> str:
    """A state directory holds data, not the project's code: a volume mounted over code would show the
    new color the old color's copy of it."""
    if not isinstance(value, list) or is_new(dst_path):
        return ""
    root = Path(str(dst_path)) / str(project_dir or ".")
    for path in value:
        if not isinstance(path, str) or path.startswith("/"):
            continue
        code = next((p for p in sorted((root / path).rglob("*.py")) if p.is_file()), None)
        if code is not None:
            return (
                f"{field}: {path}/ holds the project's code ({code.relative_to(root)}); a volume there "
                f"would hide the new version's code. Keep the data in a directory of its own (the app's "
                f"setting for it, e.g. a database path in smoke_env) and give that"
            )
    return ""


def repository_tests_error(dst_path: object, project_dir: object, field: str, value: object) -> str:
    """`python -m unittest` (discovery from the project's root, no start directory) runs no test where
    no test*.py sits in the root or in a package: unittest descends only into directories with an
    __init__.py, and "Ran 0 tests ... OK" passes on Python before 3.12."""
    if not isinstance(value, str) or is_new(dst_path):
        return ""
    words = value.split()
    if (
        words[:3] != ["python", "-m", "unittest"]
        or any(w in ("-s", "--start-directory") for w in words)
        or (len(words) > 3 and words[3] != "discover")
    ):
        return ""
    root = Path(str(dst_path)) / str(project_dir or ".")
    if not root.is_dir() or unittest_discovers(root):
        return ""
    folders = [d.name for d in sorted(root.iterdir()) if d.is_dir() and any(d.rglob("test*.py"))]
    where = f"{folders[0]}/ has no __init__.py" if folders else "no test*.py file is in a package"
    return (
        f"{field}: `{value}` runs no test here: {where}, and unittest descends only into packages; "
        f"answer {field} with the runner the tests use (python -m pytest, or python -m unittest discover "
        f"-s {folders[0] if folders else 'tests'})"
    )


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


def services_error(field: str, value: object) -> str:
    """Backing services: {name: {image, env, port, container_port, health, command}}; image and port
    required."""
    if value in (None, "", {}):
        return ""
    if not isinstance(value, dict):
        return (
            f"{field}: expected a mapping such as {{postgres: {{image: 'postgres:16', port: 5432, "
            f"health: pg_isready}}}}, got {value!r}"
        )
    for name, spec in value.items():
        if not isinstance(name, str) or not re.fullmatch(r"[a-z0-9][a-z0-9_.-]*", name):
            return f"{field}: {name!r} is not a service name (lower-case letters, digits, - _ .)"
        if not isinstance(spec, dict) or not isinstance(spec.get("image"), str) or not spec["image"]:
            return f"{field}.{name}: needs an image, e.g. {{image: 'postgres:16', port: 5432}}"
        unknown = sorted(set(spec) - _SERVICE_KEYS)
        if unknown:
            return f"{field}.{name}: unknown key {unknown[0]!r} (keys: {', '.join(sorted(_SERVICE_KEYS))})"
        for port in ("port", "container_port"):
            if port in spec and (not isinstance(spec[port], int) or not 0 < spec[port] < 65536):
                return f"{field}.{name}.{port}: {spec[port]!r} is not a port number"
        if "port" not in spec:
            return f"{field}.{name}: needs the port the tests reach it on, e.g. port: 5432"
        error = env_error(f"{field}.{name}.env", spec.get("env"))
        if error:
            return error
        for command in ("health", "command"):
            if command in spec and not isinstance(spec[command], str):
                return f"{field}.{name}.{command}: {spec[command]!r} must be a shell command"
    return ""


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
    """A mapping {configMaps: [name], secrets: [name]} of Kubernetes object names."""
    if value in (None, "", {}):
        return ""
    if not isinstance(value, dict) or set(value) - {"configMaps", "secrets"}:
        return f"{field}: expected {{configMaps: [app-config], secrets: [app-secrets]}}, got {value!r}"
    for kind, names in value.items():
        if not isinstance(names, list) or not all(isinstance(n, str) and _K8S_NAME.match(n) for n in names):
            return f"{field}.{kind}: {names!r} must be a list of Kubernetes names (lower case, digits, - .)"
    return ""


def requirements_error(field: str, value: object) -> str:
    """Python requirements separated by spaces: uvicorn[standard] gunicorn==23.0.0."""
    if not isinstance(value, str):
        return f"{field}: {value!r} must be Python requirements separated by spaces"
    bad = [word for word in value.split() if not _REQUIREMENT.match(word)]
    return (
        f"{field}: {bad[0]!r} is not a Python requirement (e.g. uvicorn[standard] or gunicorn==23.0.0)"
        if bad
        else ""
    )


def branches_error(field: str, value: object) -> str:
    """A non-empty list of branch names."""
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(b, str) and _BRANCH.match(b) for b in value)
    ):
        return f"{field}: {value!r} must be a list of branch names, e.g. [main]"
    return ""


# ------------------------------------------------------------------------- facts of the repository
def repository_dir_error(dst_path: object, field: str, value: object) -> str:
    """A directory inside the repository that exists (a new, empty destination has none yet)."""
    if not isinstance(value, str) or not value:
        return f"{field}: empty; give . for the repository root"
    if value.startswith("/") or ".." in Path(value).parts:
        return f"{field}: {value} must be a directory inside the repository, relative to its root"
    if is_new(dst_path) or (Path(str(dst_path)) / value).is_dir():
        return ""
    return f"{field}: {value}/ does not exist in this repository"


def repository_file_error(dst_path: object, field: str, value: object, project_dir: object = ".") -> str:
    """A file the project has (a new, empty destination has none yet, and is not checked)."""
    if not isinstance(value, str) or not value or is_new(dst_path):
        return ""
    where = Path(str(dst_path)) / str(project_dir or ".")
    shown = value if str(project_dir or ".") == "." else f"{project_dir}/{value}"
    return "" if (where / value).is_file() else f"{field}: {shown} does not exist in this repository"


def repository_group_error(
    dst_path: object, project_dir: object, layout: str, field: str, value: object
) -> str:
    """An extra, group or Pipfile category the project declares (a new, empty destination is not checked)."""
    if layout == "requirements" or not isinstance(value, str) or not value or is_new(dst_path):
        return ""
    names = groups_of(locate(dst_path, project_dir)[1], layout)
    if value in names:
        return ""
    where = "Pipfile" if layout == "pipenv" else "pyproject.toml"
    has = f"it has {', '.join(names)}" if names else "it declares none"
    return f"{field}: {where} has no group or extra named {value} ({has}); give one, or '' for none"


# The lock each layout installs from (uv's may sit above project_dir: workspace_root says where).
LAYOUT_LOCKS = {
    "poetry": ("poetry.lock", "poetry lock"),
    "pdm": ("pdm.lock", "pdm lock"),
    "pipenv": ("Pipfile.lock", "pipenv lock"),
}


def repository_lock_error(dst_path: object, project_dir: object, field: str, value: object) -> str:
    """A layout whose lock file the project has (the images install from the lock)."""
    if value not in LAYOUT_LOCKS or is_new(dst_path):
        return ""
    lock, command = LAYOUT_LOCKS[value]
    if (locate(dst_path, project_dir)[1] / lock).is_file():
        return ""
    return (
        f"{field}: {value} installs from {lock}, which this project does not have: run `{command}` and "
        "commit it, or give the layout it has (requirements, pyproject)"
    )


def repository_workspace_error(dst_path: object, project_dir: object, field: str, value: object) -> str:
    """`.` or a parent of project_dir (`..`, `../..`) inside the repository, where uv.lock sits."""
    if not isinstance(value, str) or not value:
        return f"{field}: empty; give . when project_dir holds uv.lock"
    if value != "." and set(Path(value).parts) != {".."}:
        return f"{field}: {value} must be . or a parent of project_dir (.., ../..), where uv.lock sits"
    repo, project = locate(dst_path, project_dir)
    if is_new(dst_path) or value == ".":
        return ""
    where = (project / value).resolve()
    if repo.resolve() not in (where, *where.parents):
        return f"{field}: {value} from project_dir {project_dir} leaves the repository"
    if not (where / "uv.lock").is_file():
        shown = (Path(str(project_dir)) / value / "uv.lock").as_posix()
        return f"{field}: {shown} does not exist; give the directory holding uv.lock, relative to project_dir"
    return ""


def repository_member_error(
    dst_path: object, project_dir: object, workspace_root: object, field: str, value: object
) -> str:
    """A member the workspace's uv.lock knows (its [manifest] members)."""
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", value):
        return f"{field}: {value!r} is not a package name; give project_dir's [project].name"
    _, project = locate(dst_path, project_dir)
    lock = project / str(workspace_root or ".") / "uv.lock"
    members = (toml(lock).get("manifest") or {}).get("members") or []
    if is_new(dst_path) or not members or value in members:
        return ""
    return f"{field}: {value} is not a member of the workspace in uv.lock (it has {', '.join(members)})"
