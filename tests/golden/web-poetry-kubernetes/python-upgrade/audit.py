#!/usr/bin/env python3
"""Migration audit: the current Python -> the target (python-upgrade/migration.json, rendered from the answers).

    python python-upgrade/audit.py [--json] [--no-wheels] [--no-tests] [--resolver auto|uv|pip]
                                   [--refresh] [--exclude DIR ...] [ROOT]
    tox -c tox-python-upgrade.ini run -e audit

Three checks, each a list of blockers:
  1. removed stdlib modules: every .py file is parsed with `ast`; each import of a module that the
     target no longer has is reported as path:line with its replacement.
  2. wheels: what each version would install is resolved for Linux x86_64 (the images' platform and
     C library), ranges, unpinned and transitive requirements included, a lock file's pins as they
     are. With uv (on PATH, the `uv` package beside this interpreter, else the pinned release fetched
     once from the index into the cache: it is a wheel holding the binary) both versions resolve at
     once with `uv pip compile --python-version X.Y --python-platform x86_64-manylinux_2_N`, whether
     or not that interpreter is here, and each package's wheels are read from the index's own file
     list (PEP 691 JSON, or the simple HTML page); resolutions and file lists are kept in a cache
     for an hour (--refresh ignores it). Where uv cannot be had, pip resolves on the interpreters found
     on PATH and is asked once per package (slower; the report says so). A package blocks the target only when it cannot be installed
     there: no wheel for the target while the current version has one, or it must compile and
     build_packages has no compiler. An sdist that builds a pure-Python wheel is no blocker. The
     first version with a target wheel is named.
  3. deprecations: the tests on this interpreter with DeprecationWarning as an error (the first
     failing test and the first warning are named, for pytest, unittest and Django's runner).
Exit 0 when the project is ready, 1 when something blocks, 2 on usage errors. With $GITHUB_STEP_SUMMARY
set, a Markdown report is appended to it. Progress goes to stderr, the report to stdout. Stdlib only; runs on every supported interpreter.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import html
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
DATA_FILE = os.path.join(HERE, "migration.json")
# The project's facts, rendered from the answers. Read as a source (outside a rendered project) there is
# no such file: the module still imports, and main() says what is missing.
MISSING = {"current": "", "target": "", "removed": {}, "glibc": "2.36", "dependency_layout": "", "dependency_files": [],
           "test_extra": "", "compiler": False, "test_env": {}, "test_setup_command": "", "test_command": "",
           "uv": ""}
if os.path.isfile(DATA_FILE):
    with open(DATA_FILE) as _handle:
        DATA = json.load(_handle)
else:
    DATA = MISSING
CURRENT, TARGET = DATA["current"], DATA["target"]
# module -> [release that removed it, what to use instead]
REMOVED = DATA["removed"]
SKIP_DIRS = {".git", ".hg", ".tox", ".nox", ".venv", "venv", "node_modules", "__pycache__", "build", "dist",
             "site-packages", ".mypy_cache", ".pytest_cache", ".ruff_cache"}
# Linux x86_64 as the images build it: glibc-based manylinux wheels up to the image's C library.
GLIBC = tuple(int(part) for part in DATA["glibc"].split("."))
LEGACY_MANYLINUX = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}
# uv knows manylinux platforms up to 2.40: a newer C library installs everything 2.40 does.
UV_PLATFORM = "x86_64-manylinux_{}_{}".format(*min(GLIBC, (2, 40)))
PIP_PLATFORMS = [f"manylinux_2_{minor}_x86_64" for minor in range(GLIBC[1], 16, -1)] + [
    "manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64", "linux_x86_64"]
INDEX = (os.environ.get("UV_DEFAULT_INDEX") or os.environ.get("UV_INDEX_URL") or os.environ.get("PIP_INDEX_URL")
         or "https://pypi.org/simple").rstrip("/")
CACHE_SECONDS = 3600


# ---------------------------------------------------------------------------------------------- 1. imports
def removed_in(name):
    """The removed module that an import of the dotted name `name` touches, or None."""
    parts = name.split(".")
    for i in range(len(parts), 0, -1):
        if ".".join(parts[:i]) in REMOVED:
            return ".".join(parts[:i])
    return None


def scan_file(path, rel):
    """([removed-import findings], [unparsable findings]) for one file."""
    try:
        with open(path, "rb") as handle:
            tree = ast.parse(handle.read(), filename=rel)
    except SyntaxError as error:
        return [], [{"path": rel, "line": error.lineno or 0, "error": f"syntax error: {error.msg}"}]
    except (ValueError, OSError) as error:
        return [], [{"path": rel, "line": 0, "error": str(error)}]
    found = []
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module] + [node.module + "." + alias.name for alias in node.names]
        elif (isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None))
              in ("import_module", "__import__") and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)):
            names = [node.args[0].value]
        for name in names:
            module = removed_in(name)
            if module:
                version, replacement = REMOVED[module]
                found.append({"path": rel, "line": node.lineno, "import": name, "module": module,
                              "removed_in": version, "replacement": replacement})
                break
    return found, []


def scan_imports(root, exclude):
    found, unparsable = [], []
    for directory, dirs, files in os.walk(root):
        rel_dir = os.path.relpath(directory, root)
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and os.path.normpath(os.path.join(rel_dir, d))
                         not in exclude and not os.path.exists(os.path.join(directory, d, "pyvenv.cfg")))
        for name in sorted(files):
            if name.endswith(".py"):
                rel = os.path.normpath(os.path.join(rel_dir, name))
                imports, errors = scan_file(os.path.join(directory, name), rel)
                found += imports
                unparsable += errors
    return found, unparsable


# ---------------------------------------------------------------------------------------------- 2. wheels
def normalize(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def version_key(version):
    return tuple(int(part) for part in re.findall(r"\d+", version.split("+")[0]))


def is_prerelease(version):
    return bool(re.search(r"(a|b|rc|dev)\d*", version))


def load_toml(path):
    try:
        import tomllib
    except ImportError:  # tomllib is newer than this interpreter: pip vendors the same reader
        from pip._vendor import tomli as tomllib
    with open(path, "rb") as handle:
        return tomllib.load(handle)


def on_linux(markers):
    """Whether a package installs on the images (Linux x86_64, CPython, either version) given the
    environment markers of every place the lock requires it; None in the list means unconditionally.
    A marker this interpreter cannot evaluate (no pip to read it, an extra) counts as true."""
    if not markers or None in markers:
        return True
    try:
        from pip._vendor.packaging.markers import InvalidMarker, Marker
    except ImportError:  # no pip here: keep every pin rather than guess
        return True
    base = {"sys_platform": "linux", "platform_system": "Linux", "os_name": "posix", "platform_machine": "x86_64",
            "implementation_name": "cpython", "platform_python_implementation": "CPython", "extra": ""}
    for text in markers:
        if "extra" in text:
            return True
        try:
            marker = Marker(text)
        except InvalidMarker:
            return True
        if any(marker.evaluate(dict(base, python_version=v, python_full_version=f"{v}.0")) for v in (CURRENT, TARGET)):
            return True
    return False


def requirement_edge(entry):
    """(name, {"marker": ...}) of one dependency a lock lists: a table (uv.lock) or a PEP 508 string
    (pdm.lock: "pywin32>=300; sys_platform == 'win32'")."""
    if isinstance(entry, dict):
        return entry.get("name"), entry
    requirement, _, marker = str(entry).partition(";")
    name = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    return (name.group(1) if name else requirement.strip()), {"marker": marker.strip() or None}


def lock_pins(root):
    """[(name, version)] a lock file pins (uv.lock, poetry.lock, pdm.lock, Pipfile.lock) for the images:
    the project itself left out, and packages that only other platforms install (pywin32 behind
    `sys_platform == 'win32'`)."""
    path = os.path.join(root, DATA["dependency_files"][0])
    if path.endswith("Pipfile.lock"):
        with open(path) as handle:
            lock = json.load(handle)
        return sorted({(normalize(name), spec["version"].lstrip("=")) for section in ("default", "develop")
                       for name, spec in lock.get(section, {}).items()
                       if str(spec.get("version", "")).startswith("==") and on_linux([spec.get("markers")])})
    packages = load_toml(path).get("package", [])
    # The markers on every edge that requires a package (uv.lock: tables with `marker`; poetry.lock: a
    # `markers` key in a dependency's table); pdm.lock puts one `marker` on the package itself.
    edges = {}
    for package in packages:
        groups = [package.get("dependencies", [])]
        groups += list(package.get("optional-dependencies", {}).values()) + list(package.get("dev-dependencies", {}).values())
        for group in groups:
            items = group.items() if isinstance(group, dict) else (requirement_edge(d) for d in group)
            for name, spec in items:
                # poetry.lock: "1.0", {version, markers}, or a list of those for several constraints.
                for one in spec if isinstance(spec, list) else [spec]:
                    marker = (one.get("marker") or one.get("markers")) if isinstance(one, dict) else None
                    edges.setdefault(normalize(str(name)), []).append(marker)
    pins = set()
    for package in packages:
        source = package.get("source", {})
        if "version" not in package or {"editable", "virtual", "directory"} & set(source):
            continue
        name = normalize(package["name"])
        markers = [package["marker"]] if package.get("marker") else edges.get(name)
        if on_linux(markers):
            pins.add((name, package["version"]))
    return sorted(pins)


def say(message):
    """One line of progress on stderr (the report, and --json, stay on stdout)."""
    print(f"audit: {message}", file=sys.stderr, flush=True)


class Counter:
    """`checked 20 of 55 packages` on stderr now and then (every 5 s at most), and once at the end."""

    def __init__(self, what, total):
        self.what, self.total, self.done, self.shown = what, total, 0, time.monotonic()
        self.lock = threading.Lock()

    def step(self):
        with self.lock:
            self.done += 1
            if self.done == self.total or time.monotonic() - self.shown >= 5:
                self.shown = time.monotonic()
                say(f"{self.what}: {self.done} of {self.total}")


# ------------------------------------------------------------------------------- the fast path: uv
def find_uv():
    """uv's executable: on PATH, the `uv` package installed beside this interpreter, the pinned
    release fetched earlier into the cache, else that release fetched now (fetch_uv); None."""
    found = shutil.which("uv")
    if found:
        return found
    try:
        from uv import find_uv_bin
        return find_uv_bin()
    except (ImportError, FileNotFoundError):
        pass
    return fetch_uv(DATA["uv"]) if DATA["uv"] else None


def host_wheel(filename):
    """Whether a wheel of uv runs on this machine (its OS, processor and C library)."""
    machine = platform.machine().lower()
    arch = {"amd64": "x86_64", "arm64": "aarch64" if sys.platform.startswith("linux") else "arm64"}.get(machine, machine)
    if sys.platform.startswith("linux"):
        libc = "manylinux" if platform.libc_ver()[0] == "glibc" else "musllinux"
        return libc in filename and filename.endswith(f"_{arch}.whl")
    if sys.platform == "darwin":
        return "macosx" in filename and (f"_{arch}." in filename or "universal2" in filename)
    if sys.platform == "win32":
        return filename.endswith({"x86_64": "win_amd64.whl", "arm64": "win_arm64.whl"}.get(arch, "win32.whl"))
    return False


def fetch_uv(version):
    """The path of uv `version` in the cache, fetched from the index the first time: its wheel for this
    machine, checked against the index's sha256, the binary taken out of it. None (with the reason
    said) where that fails: the audit then asks pip."""
    name = "uv.exe" if sys.platform == "win32" else "uv"
    binary = os.path.join(os.path.dirname(cache_dir()), f"uv-{version}", name)
    if os.access(binary, os.X_OK):
        return binary
    try:
        entries = index_page("uv")
        wheels = [e for e in entries if e[0].startswith(f"uv-{version}-") and e[0].endswith(".whl") and host_wheel(e[0])]
        if not wheels:
            raise OSError(f"no uv {version} wheel for this machine on {INDEX}")
        filename, _, _, url, sha256 = wheels[0]
        with urllib.request.urlopen(url, timeout=120) as response:
            body = response.read()
        if sha256 and hashlib.sha256(body).hexdigest() != sha256:
            raise OSError(f"{filename} does not match the index's sha256")
        os.makedirs(os.path.dirname(binary), exist_ok=True)
        with tempfile.NamedTemporaryFile(suffix=".whl") as wheel:
            wheel.write(body)
            wheel.flush()
            with zipfile.ZipFile(wheel.name) as archive:
                member = next(m for m in archive.namelist() if m.endswith(f".data/scripts/{name}"))
                with archive.open(member) as source, open(binary + ".tmp", "wb") as out:
                    shutil.copyfileobj(source, out)
        os.chmod(binary + ".tmp", 0o755)
        os.replace(binary + ".tmp", binary)
    except (OSError, ValueError, StopIteration, zipfile.BadZipFile, urllib.error.URLError) as error:
        say(f"no uv here and none could be fetched ({getattr(error, 'reason', error) or 'no binary in the wheel'}): "
            "pip resolves instead, slower")
        return None
    say(f"no uv on PATH: fetched uv {version} from {INDEX} into {binary} (kept for the next runs)")
    return binary


def pyproject_selector(root):
    """uv's --extra or --group for the test extra of a pyproject project ([] when there is none)."""
    name = DATA["test_extra"]
    if not name:
        return []
    data = load_toml(os.path.join(root, "pyproject.toml"))
    if name in data.get("project", {}).get("optional-dependencies", {}):
        return ["--extra", name]
    if name in data.get("dependency-groups", {}):
        return ["--group", "pyproject.toml:" + name]
    return []


def uv_inputs(root):
    if DATA["dependency_layout"] == "requirements":
        return list(DATA["dependency_files"])
    return ["pyproject.toml"] + pyproject_selector(root)


def input_files(root, names):
    """The dependency files and every file they include (-r, -c), for the resolution's cache key."""
    seen, todo = [], [os.path.join(root, name) for name in names if name.endswith((".txt", ".toml", ".in"))]
    while todo:
        path = os.path.normpath(todo.pop())
        if path in seen or not os.path.isfile(path):
            continue
        seen.append(path)
        with open(path, errors="replace") as handle:
            for line in handle:
                match = re.match(r"^\s*(?:-r|-c|--requirement|--constraint)[\s=]+(\S+)", line)
                if match:
                    todo.append(os.path.join(os.path.dirname(path), match.group(1)))
    return sorted(seen)


def resolve_uv(uv, root, version, refresh=False):
    """({name: version} for Linux x86_64 on that version, how), resolved by uv without its interpreter.
    Kept for an hour, keyed on the dependency files' contents (uv rebuilds an sdist's metadata on
    every run where the index sends no caching headers)."""
    # --python: this interpreter builds any sdist's metadata; markers and wheels follow --python-version.
    # No download of a missing interpreter: the resolution does not need it.
    command = [uv, "pip", "compile", *uv_inputs(root), "--python-version", version, "--python-platform", UV_PLATFORM,
               "--python", sys.executable, "--no-python-downloads", "--no-header", "--no-annotate", "--quiet",
               "--default-index", INDEX]
    key = hashlib.sha256(json.dumps(command[1:]).encode())
    for path in input_files(root, uv_inputs(root)):
        with open(path, "rb") as handle:
            key.update(handle.read())
    kept = cached("resolution", key.hexdigest())
    how = f"resolved by uv for {version} on {UV_PLATFORM}"
    found = None if refresh else recall(kept, CACHE_SECONDS)
    if found is not None:
        return found, how
    result = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["?"])[-1]
        return None, f"uv could not resolve for {version}: {last}"
    found = {}
    for line in result.stdout.splitlines():
        match = re.match(r"^([A-Za-z0-9][\w.-]*)(?:\[[^\]]*\])?==([^\s;\\]+)", line.strip())
        if match:
            found[normalize(match.group(1))] = match.group(2)
    keep(kept, found)
    return found, how


_LOOKUPS = {}
_LOOKUP_LOCK = threading.Lock()
_GETADDRINFO = socket.getaddrinfo


def getaddrinfo_once(host, port, *args, **kwargs):
    """socket.getaddrinfo, asked once per host for the whole run: many lookups at once can lose one
    and wait out the resolver's timeout (5 s), which would be most of the audit's time."""
    key = (host, port, args, tuple(sorted(kwargs.items())))
    with _LOOKUP_LOCK:
        if key not in _LOOKUPS:
            _LOOKUPS[key] = _GETADDRINFO(host, port, *args, **kwargs)
    return _LOOKUPS[key]


def cache_dir():
    base = os.environ.get("PYTHON_UPGRADE_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "python-upgrade")
    return os.path.join(base, "index")


def cached(kind, key):
    """The cache file for one answer of a kind (resolution, files-v2, pure)."""
    return os.path.join(cache_dir(), f"{kind}-{hashlib.sha256(key.encode()).hexdigest()[:24]}.json")


def recall(path, max_age):
    """What keep() wrote there, if it is younger than max_age seconds (None: for good); else None."""
    try:
        if max_age is None or time.time() - os.path.getmtime(path) < max_age:
            with open(path) as handle:
                return json.load(handle)
    except (OSError, ValueError):
        pass
    return None


def keep(path, value):
    """Write an answer to the cache whole (a temporary file, then a rename); no cache, same answer."""
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path + ".tmp", "w") as handle:
            json.dump(value, handle)
        os.replace(path + ".tmp", path)
    except OSError:
        pass


def parse_simple_html(text, page):
    """[(filename, yanked, requires_python, url)] from a PEP 503 page."""
    files = []
    for attrs, label in re.findall(r"<a\s([^>]*)>([^<]*)</a>", text, re.IGNORECASE):
        requires = re.search(r'data-requires-python="([^"]*)"', attrs)
        href = re.search(r'href="([^"]*)"', attrs)
        files.append((html.unescape(label.strip()), "data-yanked" in attrs,
                      html.unescape(requires.group(1)) if requires else None,
                      urllib.parse.urljoin(page, html.unescape(href.group(1))) if href else None))
    return files


def index_page(name):
    """[(filename, yanked, requires_python, url, sha256 or None)] of one project, asked of the index now
    (PEP 691 JSON, or the simple HTML page); raises OSError where it does not answer."""
    page = f"{INDEX}/{name}/"
    request = urllib.request.Request(page, headers={
        "Accept": "application/vnd.pypi.simple.v1+json, text/html;q=0.1", "User-Agent": "python-upgrade-audit"})
    with urllib.request.urlopen(request, timeout=60) as response:
        kind, body = response.headers.get("Content-Type", ""), response.read().decode("utf-8", "replace")
    if "json" in kind:
        return [(f["filename"], bool(f.get("yanked")), f.get("requires-python"), urllib.parse.urljoin(page, f["url"]),
                 (f.get("hashes") or {}).get("sha256")) for f in json.loads(body)["files"]]
    return [(*entry, (re.search(r"#sha256=([0-9a-f]{64})", entry[3] or "") or [None, None])[1])
            for entry in parse_simple_html(body, page)]


def index_files(name, refresh=False):
    """([(filename, yanked, requires_python, url)], error) of one project on the index, cached for an hour."""
    path = cached("files-v2", f"{INDEX} {name}")
    files = None if refresh else recall(path, CACHE_SECONDS)
    if files is not None:
        return [tuple(item) for item in files], None
    try:
        files = [entry[:4] for entry in index_page(name)]
    except (urllib.error.URLError, OSError, ValueError) as error:
        return None, f"{INDEX}/{name}/: {getattr(error, 'reason', error)}"
    keep(path, files)
    return files, None


def platform_ok(tag):
    if tag == "any":
        return True
    match = re.fullmatch(r"manylinux_(\d+)_(\d+)_x86_64", tag)
    if match:
        return (int(match.group(1)), int(match.group(2))) <= GLIBC
    legacy = re.fullmatch(r"(manylinux\w+?)_x86_64", tag)
    return bool(legacy) and LEGACY_MANYLINUX.get(legacy.group(1), (99, 0)) <= GLIBC


def wheel_fits(filename, python):
    """Whether a wheel installs on CPython `python` (X.Y) on Linux x86_64 with the images' glibc."""
    parts = filename[:-4].split("-")
    if len(parts) < 5:
        return False
    pythons, abis, platforms = parts[-3].split("."), parts[-2].split("."), parts[-1].split(".")
    major, minor = (int(x) for x in python.split("."))
    if not any(platform_ok(tag) for tag in platforms):
        return False
    for py in pythons:
        for abi in abis:
            if abi == "none" and py in ("py3", f"py{major}{minor}", f"py{major}", f"cp{major}{minor}"):
                return True
            if abi == f"cp{major}{minor}" and py == f"cp{major}{minor}":
                return True
            stable = re.fullmatch(rf"cp{major}(\d+)", py)
            if abi == "abi3" and stable and int(stable.group(1)) <= minor:
                return True
    return False


def python_allowed(spec, python):
    """Whether CPython `python` (X.Y, taken as X.Y.0) meets a file's Requires-Python (PEP 440 clauses)."""
    have = tuple(int(x) for x in python.split(".")) + (0,)
    for clause in (spec or "").split(","):
        match = re.match(r"^\s*(~=|===|==|!=|<=|>=|<|>)\s*([\w.*+!-]+)\s*$", clause)
        if not match:
            continue
        op, value = match.groups()
        if value.endswith(".*"):
            prefix = tuple(int(x) for x in re.findall(r"\d+", value[:-2]))
            same = have[:len(prefix)] == prefix
            if (op == "==" and not same) or (op == "!=" and same):
                return False
            continue
        want = tuple(int(x) for x in re.findall(r"\d+", value.split("+")[0]))
        size = max(len(want), len(have))
        a, b = have + (0,) * (size - len(have)), want + (0,) * (size - len(want))
        ok = {"==": a == b, "===": a == b, "!=": a != b, "<=": a <= b, ">=": a >= b, "<": a < b, ">": a > b,
              "~=": a >= b and a[:len(want) - 1] == b[:len(want) - 1]}[op]
        if not ok:
            return False
    return True


def wheel_answer(files, name, version, python):
    """{"wheel", "first", "error"} for name==version on `python`, from the index's file list."""
    prefix = re.compile(rf"^{name_pattern(name)}-([^-]+)-", re.IGNORECASE)
    by_version = {}
    for filename, yanked, requires, *_ in files:
        match = prefix.match(filename)
        if (filename.endswith(".whl") and match and not yanked and wheel_fits(filename, python)
                and python_allowed(requires, python)):
            by_version.setdefault(match.group(1), []).append(filename)
    own = next((min(found) for v, found in by_version.items() if version_key(v) == version_key(version)
                and v.replace("_", "-") == version.replace("_", "-")), None)
    if own:
        return {"wheel": own, "first": None, "error": None}
    later = sorted((v for v in by_version if not is_prerelease(v) and version_key(v) > version_key(version)),
                   key=version_key)
    # Whether there is anything to compile: a binary-only package (psycopg-binary) has no sdist.
    return {"wheel": None, "first": later[0] if later else None, "error": None,
            "sdist": sdist_of(files, name, version) is not None}


def name_pattern(name):
    """A regular expression for the project name as file names spell it (- _ . alike, any case)."""
    return "[-_.]".join(re.escape(part) for part in normalize(name).split("-"))


def sdist_of(files, name, version):
    """(filename, url) of name==version's source distribution, or None."""
    for filename, yanked, _, url in files:
        if (not yanked and url and filename.lower().endswith((".tar.gz", ".zip"))
                and re.match(rf"^{name_pattern(name)}-{re.escape(version)}\.", filename, re.IGNORECASE)):
            return filename, url
    return None


def pure_python_uv(uv, name, version, files):
    """Whether name==version's sdist builds a pure-Python wheel (uv build on the downloaded sdist).
    A released sdist does not change: the answer is kept in the cache for good."""
    found = sdist_of(files, name, version)
    if found is None:
        return False
    sdist, url = found
    kept = cached("pure", url)
    answer = recall(kept, None)
    if answer is None:
        answer = build_is_pure(uv, sdist, url)
        if answer is not None:
            keep(kept, answer)
    return bool(answer)


def build_is_pure(uv, sdist, url):
    """True/False from building the sdist; None when it could not be fetched (not kept)."""
    with tempfile.TemporaryDirectory() as work:
        archive = os.path.join(work, sdist)
        try:
            urllib.request.urlretrieve(url, archive)
        except (urllib.error.URLError, OSError):
            return None
        out = os.path.join(work, "out")
        result = subprocess.run([uv, "build", "--wheel", "--out-dir", out, "--python", sys.executable,
                                 "--no-python-downloads", archive], capture_output=True, text=True, check=False)
        wheels = [f for f in os.listdir(out) if f.endswith(".whl")] if os.path.isdir(out) else []
    return result.returncode == 0 and bool(wheels) and wheels[0].endswith("-none-any.whl")


def wanted_pins(root, resolve, workers):
    """([(name, version)], notes): what either version's resolution installs (`workers` at once), or,
    for a lock file, its pins as they are."""
    if DATA["dependency_layout"] not in ("requirements", "pyproject"):
        return lock_pins(root), []
    with ThreadPoolExecutor(max_workers=workers) as pool:
        resolved = list(pool.map(resolve, (CURRENT, TARGET)))
    notes, wanted = [], {}
    for version, (found, how) in zip((CURRENT, TARGET), resolved):
        notes.append(f"{version}: {how}")
        for name, pinned in (found or {}).items():
            wanted.setdefault((name, pinned), version)
    return sorted(wanted), notes


def wheel_rows(pins, answers, pure_python):
    """One row per pin from its (current, target) answers; the sdist is built only where neither
    version has a wheel."""
    rows = []
    for (name, version), (current, target) in zip(pins, answers):
        pure = not current["wheel"] and not target["wheel"] and pure_python(name, version)
        blocker, what = verdict(current, target, pure)
        rows.append({"name": name, "version": version, "current": current, "target": target,
                     "blocker": blocker, "verdict": what})
    return rows


def check_wheels_uv(uv, root, refresh):
    if DATA["dependency_layout"] in ("requirements", "pyproject"):
        say(f"resolving what {CURRENT} and {TARGET} install (uv, for {UV_PLATFORM})")
    pins, notes = wanted_pins(root, lambda version: resolve_uv(uv, root, version, refresh), workers=2)
    names = sorted({name for name, _ in pins})
    socket.getaddrinfo = getaddrinfo_once
    counter = Counter("packages looked up on the index", len(names))

    def listing(name):
        found = index_files(name, refresh)
        counter.step()
        return found

    with ThreadPoolExecutor(max_workers=16) as pool:
        listings = dict(zip(names, pool.map(listing, names)))

    def answers(name, version):
        files, error = listings[name]
        if error:
            unknown = {"wheel": None, "first": None, "error": [error]}
            return unknown, unknown
        return tuple(wheel_answer(files, name, version, python) for python in (CURRENT, TARGET))

    def pure_python(name, version):
        files, error = listings[name]
        return not error and pure_python_uv(uv, name, version, files)

    return wheel_rows(pins, [answers(*pin) for pin in pins], pure_python), notes


# ------------------------------------------------------------------------- the fallback: pip, slower
def interpreter(version):
    """A python<version> on PATH that has pip (this one for the current version), or None."""
    if sys.version.startswith(version + "."):
        return sys.executable
    for name in ("python" + version, "python" + version.replace(".", "")):
        for directory in os.environ.get("PATH", "").split(os.pathsep):
            path = os.path.join(directory, name)
            if os.access(path, os.X_OK) and subprocess.run([path, "-m", "pip", "--version"],
                                                           capture_output=True, check=False).returncode == 0:
                return path
    return None


def pip_args(root):
    if DATA["dependency_layout"] == "requirements":
        args = []
        for name in DATA["dependency_files"]:
            args += ["-r", os.path.join(root, name)]
        return args
    return [root + (f"[{DATA['test_extra']}]" if DATA["test_extra"] else "")]


def resolve_pip(root, args, version):
    """({name: version} that pip's resolver installs on that version, how): ranges, unpinned and
    transitive requirements included. None when no such interpreter is here."""
    python = interpreter(version)
    if python is None:
        return None, f"no python{version} here"
    with tempfile.TemporaryDirectory() as target:
        report = os.path.join(target, "report.json")
        result = subprocess.run([python, "-m", "pip", "install", "--dry-run", "--quiet", "--ignore-installed",
                                 "--disable-pip-version-check", "--report", report, *args],
                                cwd=root, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            last = (result.stderr.strip().splitlines() or ["?"])[-1]
            return None, f"pip could not resolve on {version}: {last}"
        with open(report) as handle:
            installs = json.load(handle)["install"]
    found = {}
    for item in installs:
        if "dir_info" in item.get("download_info", {}):  # the project itself, or a local path
            continue
        found[normalize(item["metadata"]["name"])] = item["metadata"]["version"]
    return found, f"resolved by pip on {os.path.basename(python)} (no uv here: slower, and only where that interpreter is)"


def wheel_for_pip(name, version, python):
    """{"wheel": filename or None, "first": first version with a wheel, "error": text} via pip."""
    with tempfile.TemporaryDirectory() as target:
        report = os.path.join(target, "report.json")
        command = [sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--ignore-installed",
                   "--no-deps", "--only-binary", ":all:", "--python-version", python, "--implementation", "cp",
                   "--target", os.path.join(target, "t"), "--report", report, "--disable-pip-version-check"]
        for platform in PIP_PLATFORMS:
            command += ["--platform", platform]
        result = subprocess.run([*command, f"{name}=={version}"], capture_output=True, text=True, check=False)
        if result.returncode == 0:
            with open(report) as handle:
                url = json.load(handle)["install"][0]["download_info"]["url"]
            return {"wheel": url.rsplit("/", 1)[-1], "first": None, "error": None}
    if "No matching distribution found" not in result.stderr:
        return {"wheel": None, "first": None, "error": result.stderr.strip().splitlines()[-1:] or ["pip failed"]}
    # pip lists the versions that do have a compatible wheel: "(from versions: 1.26.0, 1.26.1, ...)".
    listed = re.search(r"\(from versions: ([^)]*)\)", result.stderr)
    candidates = [v.strip() for v in listed.group(1).split(",")] if listed else []
    later = sorted((v for v in candidates if v and v != "none" and not is_prerelease(v)
                    and version_key(v) > version_key(version)), key=version_key)
    return {"wheel": None, "first": later[0] if later else None, "error": None}


def pure_python_pip(name, version):
    """Whether the sdist of name==version builds a pure-Python wheel (py3-none-any) here."""
    with tempfile.TemporaryDirectory() as target:
        result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-binary", name,
                                 "--disable-pip-version-check", "-w", target, f"{name}=={version}"],
                                capture_output=True, text=True, check=False)
        wheels = [f for f in os.listdir(target) if f.endswith(".whl")]
    return result.returncode == 0 and bool(wheels) and wheels[0].endswith("-none-any.whl")


def check_wheels_pip(root):
    # One version after the other: each resolution is a pip process on that version's interpreter.
    say(f"resolving what {CURRENT} and {TARGET} install (pip, on the interpreters here: slower than uv)")
    pins, notes = wanted_pins(root, lambda version: resolve_pip(root, pip_args(root), version), workers=1)
    jobs = [(name, version, python) for name, version in pins for python in (CURRENT, TARGET)]
    counter = Counter("wheels asked of pip (a package on each version)", len(jobs))

    def answer(job):
        found = wheel_for_pip(*job)
        counter.step()
        return found

    with ThreadPoolExecutor(max_workers=8) as pool:
        flat = list(pool.map(answer, jobs))
    return wheel_rows(pins, list(zip(flat[0::2], flat[1::2])), pure_python_pip), notes


def verdict(current, target, pure):
    """(blocker?, what happens on the target) for one package."""
    if target["error"] or current["error"]:
        return False, "unknown: {}".format((target["error"] or current["error"])[0])
    if target["wheel"]:
        return False, "wheel"
    first = target.get("first")
    if target.get("sdist") is False:  # known: nothing to compile, whatever the compiler
        move = f"move to {first}, the first version with one" if first else f"no version has a {TARGET} wheel yet"
        return True, f"no {TARGET} wheel and no source distribution to compile (binary only): {move}"
    if current["wheel"]:
        if DATA["compiler"]:
            return False, "no wheel: compiles from source (build_packages has a compiler)"
        return True, (f"no wheel, while {CURRENT} has one: must compile, and build_packages has no compiler "
                      f"(add build-essential, or move to {first or 'the first version with a wheel'})")
    if pure:
        return False, "no wheel on either: builds a pure-Python wheel from the sdist, as today"
    if DATA["compiler"]:
        return False, "no wheel on either: compiles from source (build_packages has a compiler)"
    return True, "no wheel on either and it must compile: build_packages has no compiler"


def check_wheels(root, resolver="auto", refresh=False):
    """(rows, notes, resolver used): one row per package either version would install (or a lock pins)."""
    uv = find_uv() if resolver in ("auto", "uv") else None
    if resolver == "uv" and uv is None:
        raise SystemExit("audit.py: --resolver uv, but no uv here (pip install uv, or --resolver pip)")
    if uv:
        rows, notes = check_wheels_uv(uv, root, refresh)
        return rows, notes, "uv"
    rows, notes = check_wheels_pip(root)
    return rows, notes, "pip"


# ---------------------------------------------------------------------------------------------- 3. tests
def first_failure(output):
    """(the first failing test, the first DeprecationWarning line) in pytest, unittest or Django output."""
    test = None
    for line in output.splitlines():
        # pytest: "FAILED tests/test_x.py::test_y - DeprecationWarning: ..."; unittest and Django:
        # "ERROR: test_y (tests.test_x.Case.test_y)" / "FAIL: ...".
        match = re.match(r"^(?:FAILED|ERROR) (\S+::\S+)", line) or re.match(r"^(?:ERROR|FAIL): (test\S* \(.*\))", line)
        if match:
            test = match.group(1)
            break
    warning = next((line.strip() for line in output.splitlines() if re.search(r"DeprecationWarning\b.*:", line)), None)
    return test, warning


def run_deprecation_tests(root):
    """The tests on this interpreter with DeprecationWarning as an error, run as tox runs them."""
    say(f"running the tests with DeprecationWarning as an error: {DATA['test_command']}")
    env = dict(os.environ, **{k: str(v) for k, v in DATA["test_env"].items()})
    # `python` in the commands is this interpreter, as in a tox env or a virtualenv.
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    output, returncode = "", 0
    if DATA["test_setup_command"]:
        setup = subprocess.run(["sh", "-c", DATA["test_setup_command"]], cwd=root, env=env, capture_output=True, text=True,
                               check=False)
        output, returncode = setup.stdout + setup.stderr, setup.returncode
    if returncode == 0:
        env["PYTHONWARNINGS"] = "error::DeprecationWarning"
        result = subprocess.run(["sh", "-c", DATA["test_command"]], cwd=root, env=env, capture_output=True, text=True,
                                check=False)
        output, returncode = result.stdout + result.stderr, result.returncode
    test, warning = first_failure(output)
    summary = [line.strip("= ") for line in output.splitlines()
               if re.search(r"\d+ (passed|failed|error)|^Ran \d+ tests?|^FAILED \(|^OK\b", line)]
    return {"command": DATA["test_command"], "python": sys.version.split()[0], "returncode": returncode,
            "summary": ", ".join(summary[-2:]) if summary else f"exit code {returncode}",
            "first_failure": test, "first_warning": warning, "blocker": returncode != 0}


# ---------------------------------------------------------------------------------------------- report
def wheel_cell(answer):
    if answer["error"]:
        return "unknown ({})".format(answer["error"][0])
    return "wheel" if answer["wheel"] else "no wheel"


def report_lines(report):
    lines = [f"# Python {CURRENT} -> {TARGET} audit", ""]
    imports, unparsable = report["removed_imports"], report["unparsable"]
    lines.append("## Removed stdlib modules ({} import{})".format(len(imports), "" if len(imports) == 1 else "s"))
    if not REMOVED:
        lines.append(f"No stdlib module is removed between {CURRENT} and {TARGET}.")
    for f in imports:
        lines.append("- `{}:{}`: `{}` (removed in {}) -> use {}".format(f["path"], f["line"], f["import"],
                                                                    f["removed_in"], f["replacement"]))
    if unparsable:
        lines += ["", f"## Files that could not be parsed ({len(unparsable)})"]
        lines += ["- `{}:{}`: {}".format(f["path"], f["line"], f["error"]) for f in unparsable]
    if report["wheels"] is not None:
        lines += ["", "## Wheels on Linux x86_64 ({})".format("; ".join(report["resolution"])) if report["resolution"]
                  else "## Wheels on Linux x86_64 (pinned by the lock file)", "",
                  f"| package | version | {CURRENT} | {TARGET} | on {TARGET} | first version with a {TARGET} wheel |",
                  "|---|---|---|---|---|---|"]
        for row in report["wheels"]:
            first = row["target"]["first"] or ("-" if row["target"]["wheel"] or row["target"]["error"] else "none")
            lines.append("| {} | {} | {} | {} | {}{} | {} |".format(
                row["name"], row["version"], wheel_cell(row["current"]), wheel_cell(row["target"]),
                "**blocker**: " if row["blocker"] else "", row["verdict"], first))
    tests = report["deprecations"]
    if tests is not None:
        lines += ["", "## Deprecations (tests on {} with DeprecationWarning as an error)".format(tests["python"]),
                  "", "`{}`: {}".format(tests["command"], tests["summary"])]
        if tests["first_failure"]:
            lines.append("- first failing test: `{}`".format(tests["first_failure"]))
        if tests["first_warning"]:
            lines.append("- first warning: `{}`".format(tests["first_warning"]))
    verdict = f"Ready for {TARGET}." if not report["blockers"] else f"{report['blockers']} blocker(s) before {TARGET}."
    lines += ["", f"**{verdict}**"]
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=f"Python {CURRENT} -> {TARGET} migration audit")
    parser.add_argument("root", nargs="?", default=".")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--no-wheels", action="store_true", help="skip the wheel matrix (no package index)")
    parser.add_argument("--no-tests", action="store_true", help="skip the deprecation test run")
    parser.add_argument("--exclude", action="append", default=[], help="a directory to leave out (repeatable)")
    parser.add_argument("--resolver", choices=("auto", "uv", "pip"), default="auto",
                        help="auto: uv where it is here, else pip (default)")
    parser.add_argument("--refresh", action="store_true", help="ask the index again, not the hour-old cache")
    args = parser.parse_args(argv)
    if DATA is MISSING:
        parser.error(f"no {DATA_FILE}: run the audit from a project the template was rendered into")
    root = os.path.abspath(args.root)
    if not os.path.isdir(root):
        parser.error(f"{args.root} is not a directory")

    imports, unparsable = scan_imports(root, {os.path.normpath(e) for e in args.exclude})
    wheels, resolution, resolver = (None, [], None) if args.no_wheels else check_wheels(root, args.resolver,
                                                                                        args.refresh)
    tests = None if args.no_tests else run_deprecation_tests(root)
    blockers = (len(imports) + len(unparsable) + sum(row["blocker"] for row in wheels or [])
                + (1 if tests and tests["blocker"] else 0))
    report = {"current": CURRENT, "target": TARGET, "removed_imports": imports, "unparsable": unparsable,
              "wheels": wheels, "resolution": resolution, "resolver": resolver, "deprecations": tests,
              "blockers": blockers,
              "ready": blockers == 0}

    text = "\n".join(report_lines(report))
    print(json.dumps(report, indent=2) if args.json else text)
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a") as handle:
            handle.write(text + "\n")
    return 0 if report["ready"] else 1


if __name__ == "__main__":
    sys.exit(main())
