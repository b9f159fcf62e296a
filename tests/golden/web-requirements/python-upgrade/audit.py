#!/usr/bin/env python3
"""Migration audit for shop: Python 3.12 -> 3.13.

    python python-upgrade/audit.py [--json] [--no-wheels] [--no-tests] [--exclude DIR ...] [ROOT]
    tox -c tox-python-upgrade.ini run -e audit

Three checks, each a list of blockers:
  1. removed stdlib modules: every .py file is parsed with `ast`; each import of a module that
     3.13 no longer has is reported as path:line with its replacement.
  2. wheels: pip's own resolver works out what each version would install (ranges, unpinned and
     transitive requirements included; a lock file's pins as they are), on python3.12 and
     python3.13 where they are on PATH; each package is then checked for a Linux x86_64 wheel
     for both versions. A package blocks 3.13 only when it cannot be installed there: no wheel
     for 3.13 while 3.12 has one, or it must compile and build_packages has no
     compiler. An sdist that builds a pure-Python wheel is no blocker. The first version with a
     3.13 wheel is named.
  3. deprecations: the tests on this interpreter with DeprecationWarning as an error (the first
     failing test and the first warning are named, for pytest, unittest and Django's runner).
Exit 0 when the project is ready, 1 when something blocks, 2 on usage errors. With $GITHUB_STEP_SUMMARY
set, a Markdown report is appended to it. Stdlib only (runs on either interpreter); rendered by
copier-python-upgrade with the data for this pair of versions.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

CURRENT = "3.12"
TARGET = "3.13"
# module -> [release that removed it, what to use instead]
REMOVED = {"aifc": ["3.13", "no replacement in the stdlib (soundfile, pydub)"], "audioop": ["3.13", "audioop-lts (PyPI)"], "cgi": ["3.13", "email.message / urllib.parse (multipart on PyPI)"], "cgitb": ["3.13", "traceback / faulthandler"], "chunk": ["3.13", "no replacement in the stdlib"], "crypt": ["3.13", "hashlib, bcrypt or passlib (PyPI)"], "imghdr": ["3.13", "filetype or puremagic (PyPI)"], "lib2to3": ["3.13", "parso or libcst (PyPI)"], "mailcap": ["3.13", "mimetypes"], "msilib": ["3.13", "no replacement in the stdlib"], "nis": ["3.13", "no replacement in the stdlib"], "nntplib": ["3.13", "pynntp (PyPI)"], "ossaudiodev": ["3.13", "no replacement in the stdlib (pyalsaaudio)"], "pipes": ["3.13", "shlex.quote / subprocess"], "sndhdr": ["3.13", "filetype (PyPI)"], "spwd": ["3.13", "python-pam (PyPI)"], "sunau": ["3.13", "no replacement in the stdlib"], "telnetlib": ["3.13", "telnetlib3 (PyPI)"], "tkinter.tix": ["3.13", "tkinter.ttk"], "uu": ["3.13", "base64"], "xdrlib": ["3.13", "struct"]}
TEST_SETUP_COMMAND = ""
TEST_COMMAND = "python -m pytest"
TEST_ENV = {}
DEPENDENCY_LAYOUT = "requirements"
# A requirement that must compile can, where the build stages get a compiler (build_packages).
COMPILER = False
DEPENDENCY_FILES = ["requirements.txt", "requirements-dev.txt"]
SKIP_DIRS = {".git", ".hg", ".tox", ".nox", ".venv", "venv", "node_modules", "__pycache__", "build", "dist",
             "site-packages", ".mypy_cache", ".pytest_cache", ".ruff_cache"}
# Linux x86_64, as the images build it (glibc-based manylinux wheels, and pure-Python wheels).
PLATFORMS = ["manylinux_2_36_x86_64", "manylinux_2_34_x86_64", "manylinux_2_28_x86_64", "manylinux_2_17_x86_64",
             "manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64", "linux_x86_64"]


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
def load_toml(path):
    try:
        import tomllib
    except ImportError:  # tomllib is newer than this interpreter: pip vendors the same reader
        from pip._vendor import tomli as tomllib
    with open(path, "rb") as handle:
        return tomllib.load(handle)


def declared(root):
    """The project's requirement strings (for pip's resolver) and what the lock files pin."""
    if DEPENDENCY_LAYOUT == "requirements":
        args = []
        for name in DEPENDENCY_FILES:
            args += ["-r", os.path.join(root, name)]
        return args, []
    if DEPENDENCY_LAYOUT == "pyproject":
        return [root + "[dev]"], []
    lock = load_toml(os.path.join(root, DEPENDENCY_FILES[0]))
    pins = []
    for package in lock.get("package", []):
        source = package.get("source", {})
        if "version" in package and not {"editable", "virtual", "directory"} & set(source):
            pins.append((package["name"].lower().replace("_", "-"), package["version"]))
    return [], pins


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


def resolve(root, args, version):
    """({name: version} that pip's resolver installs on that version, how): ranges, unpinned and
    transitive requirements included. None when no such interpreter is here."""
    python = interpreter(version)
    if python is None:
        return None, f"no python{version} here"
    with tempfile.TemporaryDirectory() as target:
        report = os.path.join(target, "report.json")
        result = subprocess.run([python, "-m", "pip", "install", "--dry-run", "--quiet", "--ignore-installed",
                                 "--disable-pip-version-check", "--report", report] + args,
                                cwd=root, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            return None, "pip could not resolve on {}: {}".format(version, (result.stderr.strip().splitlines()
                                                                       or ["?"])[-1])
        with open(report) as handle:
            installs = json.load(handle)["install"]
    found = {}
    for item in installs:
        if "dir_info" in item.get("download_info", {}):  # the project itself, or a local path
            continue
        found[item["metadata"]["name"].lower().replace("_", "-")] = item["metadata"]["version"]
    return found, f"resolved by pip on {os.path.basename(python)}"


def version_key(version):
    return tuple(int(part) for part in re.findall(r"\d+", version.split("+")[0]))


def is_prerelease(version):
    return bool(re.search(r"(a|b|rc|dev)\d*", version))


def wheel_for(name, version, python):
    """{"wheel": filename or None, "first": first version with a wheel, "error": text} via pip."""
    with tempfile.TemporaryDirectory() as target:
        report = os.path.join(target, "report.json")
        command = [sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--ignore-installed",
                   "--no-deps", "--only-binary", ":all:", "--python-version", python, "--implementation", "cp",
                   "--target", os.path.join(target, "t"), "--report", report, "--disable-pip-version-check"]
        for platform in PLATFORMS:
            command += ["--platform", platform]
        result = subprocess.run(command + [f"{name}=={version}"], capture_output=True, text=True, check=False)
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


def pure_python(name, version):
    """Whether the sdist of name==version builds a pure-Python wheel (py3-none-any) here."""
    with tempfile.TemporaryDirectory() as target:
        result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-binary", name,
                                 "--disable-pip-version-check", "-w", target, f"{name}=={version}"],
                                capture_output=True, text=True, check=False)
        wheels = [f for f in os.listdir(target) if f.endswith(".whl")]
    return result.returncode == 0 and bool(wheels) and wheels[0].endswith("-none-any.whl")


def verdict(current, target, pure):
    """(blocker?, what happens on the target) for one package."""
    if target["error"] or current["error"]:
        return False, "unknown: {}".format((target["error"] or current["error"])[0])
    if target["wheel"]:
        return False, "wheel"
    if current["wheel"]:
        if COMPILER:
            return False, "no wheel: compiles from source (build_packages has a compiler)"
        return True, (f"no wheel, while {CURRENT} has one: must compile, and build_packages has no compiler "
                      "(add build-essential, or move to the first version with a wheel)")
    if pure:
        return False, "no wheel on either: builds a pure-Python wheel from the sdist, as today"
    if COMPILER:
        return False, "no wheel on either: compiles from source (build_packages has a compiler)"
    return True, "no wheel on either and it must compile: build_packages has no compiler"


def check_wheels(root):
    """One row per package pip would install on either version (or that a lock file pins)."""
    args, pins = declared(root)
    notes = []
    if args:
        wanted = {}
        for version in (CURRENT, TARGET):
            found, how = resolve(root, args, version)
            notes.append(f"{version}: {how}")
            for name, pinned in (found or {}).items():
                wanted.setdefault((name, pinned), version)
        pins = sorted(wanted)
    jobs = [(name, version, python) for name, version in pins for python in (CURRENT, TARGET)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda job: wheel_for(*job), jobs))
    rows = []
    for i, (name, version) in enumerate(pins):
        current, target = answers[2 * i], answers[2 * i + 1]
        pure = not current["wheel"] and not target["wheel"] and pure_python(name, version)
        blocker, what = verdict(current, target, pure)
        rows.append({"name": name, "version": version, "current": current, "target": target,
                     "blocker": blocker, "verdict": what})
    return rows, notes


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
    env = dict(os.environ, **{k: str(v) for k, v in TEST_ENV.items()})
    # `python` in the commands is this interpreter, as in a tox env or a virtualenv.
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    output, returncode = "", 0
    if TEST_SETUP_COMMAND:
        setup = subprocess.run(["sh", "-c", TEST_SETUP_COMMAND], cwd=root, env=env, capture_output=True, text=True,
                               check=False)
        output, returncode = setup.stdout + setup.stderr, setup.returncode
    if returncode == 0:
        env["PYTHONWARNINGS"] = "error::DeprecationWarning"
        result = subprocess.run(["sh", "-c", TEST_COMMAND], cwd=root, env=env, capture_output=True, text=True,
                                check=False)
        output, returncode = result.stdout + result.stderr, result.returncode
    test, warning = first_failure(output)
    summary = [line.strip("= ") for line in output.splitlines()
               if re.search(r"\d+ (passed|failed|error)|^Ran \d+ tests?|^FAILED \(|^OK\b", line)]
    return {"command": TEST_COMMAND, "python": sys.version.split()[0], "returncode": returncode,
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
    args = parser.parse_args(argv)
    root = os.path.abspath(args.root)
    if not os.path.isdir(root):
        parser.error(f"{args.root} is not a directory")

    imports, unparsable = scan_imports(root, {os.path.normpath(e) for e in args.exclude})
    wheels, resolution = (None, []) if args.no_wheels else check_wheels(root)
    tests = None if args.no_tests else run_deprecation_tests(root)
    blockers = (len(imports) + len(unparsable) + sum(row["blocker"] for row in wheels or [])
                + (1 if tests and tests["blocker"] else 0))
    report = {"current": CURRENT, "target": TARGET, "removed_imports": imports, "unparsable": unparsable,
              "wheels": wheels, "resolution": resolution, "deprecations": tests, "blockers": blockers,
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
