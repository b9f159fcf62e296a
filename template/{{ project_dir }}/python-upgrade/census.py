"""Every place the repository names a Python version, by kind, with file:line: the census.

    python python-upgrade/census.py                   # a table of every reference, by kind
    python python-upgrade/census.py --json            # the same, for the fleet
    python python-upgrade/census.py --older-than 3.10 --check
                                                      # exit 1, naming file:line, while a production,
                                                      # run-time or CI reference names a version older
                                                      # than 3.10 (the rendered workflow runs this once
                                                      # the migration is finished)

A migration is finished when production runs the target, not when our files say so: the project's own
Dockerfile, `.python-version`, `runtime.txt`, its CI matrix and `setup-python` steps, compose and
Kubernetes image tags still naming the old version mean some of it still runs there. Each file is read
the way its tool documents the setting:

  production image  Dockerfiles' FROM python:<v>... (and the ARG default a FROM uses), compose `image:`
                    and build args, Kubernetes and Helm `image:` / `tag:` values
  run time          .python-version (pyenv, uv, Heroku, Render), runtime.txt (python-3.9.7), Pipfile's
                    python_version
  CI                GitHub Actions `python-version:` (a value or a matrix list) and `container:`/`image:`
                    tags, GitLab CI and CircleCI images
  tests             tox's env_list / envlist (py39) and basepython, nox's python=
  tooling           ruff and black target-version, mypy's python_version, pyright's pythonVersion,
                    pre-commit's default_language_version, .tool-versions (asdf, mise)
  package metadata  requires-python / python_requires (the lower bound), Poetry's python, classifiers

This template's own files (python-upgrade/, tox-python-upgrade.ini, the python-upgrade workflow, deploy/)
are left out: `copier update -d phase=finished` moves them.

Written by copier-python-upgrade (the template's python-upgrade/ folder); plain Python 3.8+, no
dependencies. Edits here are yours; `copier update` merges them.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys

KINDS = ("production image", "run time", "CI", "tests", "tooling", "package metadata")
# What still runs the old version: a reference of these kinds keeps a migration from being finished.
RUNS = ("production image", "run time", "CI")
OURS = (
    "python-upgrade/",
    "tox-python-upgrade.ini",
    ".github/workflows/python-upgrade.yml",
    "deploy/bluegreen/",
    "deploy/kubernetes/",
    ".copier-answers",
)
SKIP_DIRS = {
    ".git",
    ".tox",
    ".nox",
    ".venv",
    "venv",
    "node_modules",
    "__pycache__",
    "site-packages",
    "dist",
    "build",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    # Data, not the project's own settings: test fixtures and the templates a tool writes out.
    "fixtures",
    "testdata",
    "test_data",
    "templates",
}

# Hidden folders read: CI's and the dev container's.
DOT_DIRS = (".github", ".circleci", ".gitlab", ".devcontainer")

VERSION = r"3\.\d{1,2}"
# An image tag of the official images and of images named after Python's version (python:3.9-slim,
# ghcr.io/astral-sh/uv:python3.12-bookworm-slim, cimg/python:3.9, pypy stays out: not CPython).
IMAGE = re.compile(
    rf"""(?:^|[\s"'=/])(?:python|cimg/python|[\w.-]+/python):(?:python)?({VERSION})(?:[.\w-]*)|"""
    rf""":python({VERSION})[\w.-]*"""
)


def minor(text: str) -> str:
    """ "3.9.7" -> "3.9"; "" where it is not a CPython 3 version."""
    m = re.match(rf"^\s*({VERSION})(?:\.\d+)?\b", text)
    return m.group(1) if m else ""


def key(version: str) -> tuple[int, int]:
    major, _, rest = version.partition(".")
    return int(major), int(rest)


def py_tag(text: str) -> str:
    """ "py39" -> "3.9"; "" otherwise."""
    m = re.fullmatch(r"py3(\d{1,2})", text)
    return f"3.{m.group(1)}" if m else ""


class Census:
    """The references found under root: [{kind, file, line, versions, setting, text}]."""

    def __init__(self, root: str):
        self.root = root
        self.references: list[dict] = []

    def add(self, kind: str, path: str, number: int, versions, setting: str, text: str) -> None:
        versions = sorted({v for v in versions if v}, key=key)
        if versions:
            self.references.append(
                {
                    "kind": kind,
                    "file": os.path.relpath(path, self.root).replace(os.sep, "/"),
                    "line": number,
                    "versions": versions,
                    "setting": setting,
                    "text": text.strip()[:160],
                }
            )

    # ------------------------------------------------------------------------------------- files
    def files(self):
        for directory, dirs, names in os.walk(self.root):
            dirs[:] = sorted(
                d for d in dirs if (d not in SKIP_DIRS and not d.startswith(".")) or d in DOT_DIRS
            )
            for name in sorted(names):
                path = os.path.join(directory, name)
                relative = os.path.relpath(path, self.root).replace(os.sep, "/")
                if not any(
                    relative == o or relative.startswith(o) or f"/{o}" in f"/{relative}" for o in OURS
                ):
                    yield relative, path

    def run(self) -> list[dict]:
        for relative, path in self.files():
            name = relative.rsplit("/", 1)[-1]
            reader = None
            if name.startswith("Dockerfile") or name.endswith((".Dockerfile", ".dockerfile")):
                # A CI action's own image is CI; one for development (Dockerfile-dev, the dev container's)
                # is tooling.
                development = r"(?:^|[-._])(?:dev|develop|development|local)(?:$|[-._])"
                if relative.startswith(".github/"):
                    reader = self.ci_dockerfile
                elif re.search(development, name, re.IGNORECASE) or relative.startswith(".devcontainer/"):
                    reader = self.dev_dockerfile
                else:
                    reader = self.dockerfile
            elif name in (".devcontainer.json", "devcontainer.json"):
                reader = self.devcontainer
            elif name in (".readthedocs.yml", ".readthedocs.yaml"):
                reader = self.readthedocs
            elif name in (".python-version", "runtime.txt"):
                reader = self.version_file
            elif name == "Pipfile":
                reader = self.pipfile
            elif name == "pyproject.toml":
                reader = self.pyproject
            elif name in ("setup.cfg", "tox.ini", "mypy.ini", ".mypy.ini"):
                reader = self.ini
            elif name == "setup.py":
                reader = self.setup_py
            elif name in ("ruff.toml", ".ruff.toml"):
                reader = self.ruff_toml
            elif name == "pyrightconfig.json":
                reader = self.pyright
            elif name == ".tool-versions":
                reader = self.tool_versions
            elif name == ".pre-commit-config.yaml":
                reader = self.pre_commit
            elif name == "noxfile.py":
                reader = self.noxfile
            elif relative.startswith(".github/workflows/") and name.endswith((".yml", ".yaml")):
                reader = self.workflow
            elif name == ".gitlab-ci.yml" or relative.startswith(".circleci/"):
                reader = self.ci_images
            elif re.fullmatch(r"(?:docker-)?compose(?:\.[\w-]+)?\.ya?ml", name):
                reader = self.compose
            elif name.endswith((".yaml", ".yml")) and re.search(
                r"(?:^|/)(?:k8s|kubernetes|helm|charts?|deploy|"
                r"manifests?|kustomize)(?:/|$)",
                relative,
            ):
                reader = self.manifest
            if reader is not None:
                try:
                    with open(path, encoding="utf-8") as handle:
                        lines = handle.read().splitlines()
                except (OSError, UnicodeDecodeError):
                    continue
                reader(path, lines)
        return self.references

    # ----------------------------------------------------------------------------------- readers
    def ci_dockerfile(self, path, lines):
        """A Dockerfile of the CI's own (a local action's under .github/): CI, not production."""
        self.dockerfile(path, lines, kind="CI")

    def dev_dockerfile(self, path, lines):
        """An image for development: tooling."""
        self.dockerfile(path, lines, kind="tooling")

    def devcontainer(self, path, lines):
        for number, line in enumerate(lines, 1):
            if re.search(r"\"image\"\s*:", line):
                self.add("tooling", path, number, image_versions(line), "devcontainer image", line)

    def readthedocs(self, path, lines):
        for number, line in enumerate(lines, 1):
            m = re.match(rf"^\s*python\s*:\s*[\"']?({VERSION})", line)
            if m:
                self.add("tooling", path, number, [m.group(1)], "Read the Docs build python", line)

    def dockerfile(self, path, lines, kind="production image"):
        defaults = {}
        for number, line in enumerate(lines, 1):
            m = re.match(r"^\s*ARG\s+(\w+)=[\"']?([^\s\"']+)", line, re.IGNORECASE)
            if m:
                defaults[m.group(1)] = (number, m.group(2), line)
                continue
            m = re.match(r"^\s*FROM\s+(?:--platform=\S+\s+)?(\S+)", line, re.IGNORECASE)
            if not m:
                continue
            image = m.group(1)
            for name in re.findall(r"\$\{?(\w+)", image):
                if name in defaults:
                    at, value, text = defaults[name]
                    expanded = re.sub(rf"\$\{{?{name}(?::?-[^}}]*)?\}}?", value, image)
                    found = image_versions(expanded)
                    if found:
                        self.add(kind, path, at, found, f"ARG {name} (used by FROM)", text)
            self.add(kind, path, number, image_versions(image), "FROM", line)

    def version_file(self, path, lines):
        setting = os.path.basename(path)
        for number, line in enumerate(lines, 1):
            text = line.split("#")[0].strip()
            text = re.sub(r"^python-", "", text)  # runtime.txt: python-3.9.7
            if text:
                self.add("run time", path, number, [minor(text)], setting, line)

    def pipfile(self, path, lines):
        for number, line in enumerate(lines, 1):
            m = re.match(r"^\s*python_(?:full_)?version\s*=\s*[\"']([\d.]+)", line)
            if m:
                self.add("run time", path, number, [minor(m.group(1))], "[requires] python_version", line)

    def pyproject(self, path, lines):
        section = ""
        in_classifiers = False
        for number, line in enumerate(lines, 1):
            stripped = line.strip()
            header = re.match(r"^\[\[?([^\]]+)\]\]?\s*$", stripped)
            if header:
                section, in_classifiers = header.group(1).strip(), False
                continue
            if re.match(r"^classifiers\s*=", stripped):
                in_classifiers = True
            if in_classifiers:
                for v in re.findall(rf"Programming Language :: Python :: ({VERSION})\b", line):
                    self.add("package metadata", path, number, [v], "classifiers", line)
                if "]" in stripped:
                    in_classifiers = False
                continue
            value = stripped.partition("=")[2]
            if section == "project" and stripped.startswith("requires-python"):
                self.add("package metadata", path, number, [lower_bound(value)], "requires-python", line)
            elif section in ("tool.poetry.dependencies", "tool.poetry.group.main.dependencies") and re.match(
                r"^python\s*=", stripped
            ):
                self.add("package metadata", path, number, [lower_bound(value)], "Poetry's python", line)
            elif section in ("tool.ruff", "tool.black", "tool.isort") and re.match(
                r"^(?:target-version|target_version|py_version)\s*=", stripped
            ):
                found = [py_tag(t) for t in re.findall(r"py3\d{1,2}", value)]
                found += [f"3.{n}" for n in re.findall(r"^\s*[\"']?3(\d{2})\b", value)]
                self.add(
                    "tooling", path, number, found, f"[{section}] {stripped.split('=')[0].strip()}", line
                )
            elif section == "tool.mypy" and stripped.startswith("python_version"):
                self.add(
                    "tooling", path, number, [minor(value.strip(" \"'"))], "[tool.mypy] python_version", line
                )
            elif section in ("tool.pyright", "tool.basedpyright") and stripped.startswith("pythonVersion"):
                self.add(
                    "tooling", path, number, [minor(value.strip(" \"'"))], f"[{section}] pythonVersion", line
                )
            elif section in ("tool.tox", "tool.tox.legacy_tox_ini") or "envlist" in stripped:
                self.tox_line(path, number, line)

    def ini(self, path, lines):
        section = ""
        name = os.path.basename(path)
        for number, line in enumerate(lines, 1):
            stripped = line.strip()
            header = re.match(r"^\[([^\]]+)\]", stripped)
            if header:
                section = header.group(1).strip()
                continue
            if stripped.startswith(("#", ";")):
                continue
            if name == "tox.ini" or section.startswith("tox"):
                self.tox_line(path, number, line)
            elif re.match(r"^python_requires\s*=", stripped):
                self.add(
                    "package metadata",
                    path,
                    number,
                    [lower_bound(stripped.partition("=")[2])],
                    "python_requires",
                    line,
                )
            elif section.startswith("mypy") and re.match(r"^python_version\s*=", stripped):
                self.add(
                    "tooling",
                    path,
                    number,
                    [minor(stripped.partition("=")[2])],
                    f"[{section}] python_version",
                    line,
                )
            for v in re.findall(rf"Programming Language :: Python :: ({VERSION})\b", line):
                self.add("package metadata", path, number, [v], "classifiers", line)

    def tox_line(self, path, number, line):
        stripped = line.strip()
        if stripped.startswith(("#", ";")):
            return
        if (
            re.match(r"^(?:env_?list|envlist|requires)\b", stripped)
            or re.match(r"^py3\d", stripped)
            or (re.match(r"^[\w{},.-]+(?:\s*,\s*[\w{},.-]+)*,?$", stripped) and "py3" in stripped)
        ):
            found = []
            for word in re.findall(r"py3(\d{1,2})", stripped):
                found.append(f"3.{word}")
            for group in re.findall(r"py3\{([\d,]+)\}", stripped):
                found += [f"3.{n}" for n in group.split(",") if n]
            # tox 4's ranges: py3{10-13}, py3{10-} (to the newest it knows; here, the first only).
            for low, high in re.findall(r"py3\{(\d+)-(\d*)\}", stripped):
                found += [f"3.{n}" for n in range(int(low), int(high or low) + 1)]
            self.add("tests", path, number, found, "tox env_list", line)
        elif re.match(r"^base_?python\s*=", stripped):
            m = re.search(rf"python({VERSION})|py3(\d\d?)\b", stripped)
            if m:
                self.add("tests", path, number, [m.group(1) or f"3.{m.group(2)}"], "tox basepython", line)

    def setup_py(self, path, lines):
        for number, line in enumerate(lines, 1):
            m = re.search(r"python_requires\s*=\s*[\"']([^\"']+)", line)
            if m:
                self.add("package metadata", path, number, [lower_bound(m.group(1))], "python_requires", line)
            for v in re.findall(rf"Programming Language :: Python :: ({VERSION})\b", line):
                self.add("package metadata", path, number, [v], "classifiers", line)

    def ruff_toml(self, path, lines):
        for number, line in enumerate(lines, 1):
            m = re.match(r"^\s*target-version\s*=\s*[\"'](py3\d+)", line)
            if m:
                self.add("tooling", path, number, [py_tag(m.group(1))], "ruff target-version", line)

    def pyright(self, path, lines):
        for number, line in enumerate(lines, 1):
            m = re.search(rf"\"pythonVersion\"\s*:\s*\"({VERSION})", line)
            if m:
                self.add("tooling", path, number, [m.group(1)], "pythonVersion", line)

    def tool_versions(self, path, lines):
        for number, line in enumerate(lines, 1):
            words = line.split("#")[0].split()
            if words[:1] == ["python"]:
                self.add(
                    "tooling", path, number, [minor(w) for w in words[1:]], ".tool-versions python", line
                )

    def pre_commit(self, path, lines):
        for number, line in enumerate(lines, 1):
            m = re.match(rf"^\s*(?:python|language_version)\s*:\s*[\"']?python({VERSION})", line)
            if m:
                self.add("tooling", path, number, [m.group(1)], "pre-commit python version", line)
            for n in re.findall(r"--py3(\d{1,2})-plus\b", line):
                self.add("tooling", path, number, [f"3.{n}"], "pyupgrade --py3X-plus", line)

    def noxfile(self, path, lines):
        for number, line in enumerate(lines, 1):
            if re.search(r"\bpython\s*=|PYTHON_VERSIONS\s*=|@nox\.session", line):
                self.add(
                    "tests", path, number, re.findall(rf"[\"']({VERSION})[\"']", line), "nox python", line
                )

    def workflow(self, path, lines):
        matrix_key = None
        for number, line in enumerate(lines, 1):
            stripped = line.split("#")[0].rstrip()
            m = re.match(r"^(\s*)-?\s*python(?:-version|_version|)\s*:\s*(.*)$", stripped)
            if m and m.group(2).strip() and "${{" not in m.group(2):
                value = m.group(2)
                found = [minor(v) for v in re.findall(rf"[\"']?({VERSION})(?:\.\d+)?[\"']?", value)]
                # The text is read, not the YAML: an unquoted 3.10 stays 3.10 here.
                self.add("CI", path, number, found, "python-version", line)
                matrix_key = len(m.group(1)) if value.strip() in ("", "|") else None
                continue
            if m and not m.group(2).strip():
                matrix_key = len(m.group(1))
                continue
            if matrix_key is not None:
                item = re.match(r"^(\s*)-\s*[\"']?([\d.]+)[\"']?\s*$", stripped)
                if item and len(item.group(1)) >= matrix_key:
                    self.add("CI", path, number, [minor(item.group(2))], "python-version (matrix)", line)
                    continue
                matrix_key = None
            self.add("CI", path, number, image_versions(stripped), "image", line)

    def ci_images(self, path, lines):
        for number, line in enumerate(lines, 1):
            self.add("CI", path, number, image_versions(line.split("#")[0]), "image", line)

    def compose(self, path, lines):
        for number, line in enumerate(lines, 1):
            text = line.split("#")[0]
            if re.match(r"^\s*(?:-\s*)?image\s*:", text):
                self.add("production image", path, number, image_versions(text), "compose image", line)
            m = re.match(rf"^\s*(?:-\s*)?[\"']?PYTHON_VERSION[\"']?\s*[:=]\s*[\"']?({VERSION})", text)
            if m:
                self.add("production image", path, number, [m.group(1)], "compose build arg", line)

    def manifest(self, path, lines):
        for number, line in enumerate(lines, 1):
            text = line.split("#")[0]
            if re.match(r"^\s*(?:-\s*)?(?:image|tag|repository)\s*:", text):
                self.add("production image", path, number, image_versions(text), "image", line)


def image_versions(text: str) -> list[str]:
    return [a or b for a, b in IMAGE.findall(text)]


def lower_bound(spec: str) -> str:
    """The lowest version a range admits: ">=3.9,<4" -> "3.9", "^3.9" -> "3.9", "==3.9.*" -> "3.9"."""
    spec = spec.strip().strip("\"'")
    m = re.search(rf"(?:>=|\^|~=?|==)\s*({VERSION})", spec) or re.search(rf">\s*({VERSION})", spec)
    if m:
        return m.group(1)
    return ""


def older(references: list[dict], version: str, kinds=RUNS) -> list[dict]:
    """The references of these kinds that name a version older than `version`."""
    return [r for r in references if r["kind"] in kinds and any(key(v) < key(version) for v in r["versions"])]


def markdown(references: list[dict], older_than: str = "") -> list[str]:
    lines = []
    for kind in KINDS:
        found = [r for r in references if r["kind"] == kind]
        if not found:
            continue
        lines += [f"### {kind} ({len(found)})", "", "| where | setting | version |", "|---|---|---|"]
        for r in found:
            mark = " (older)" if older_than and any(key(v) < key(older_than) for v in r["versions"]) else ""
            lines.append(f"| `{r['file']}:{r['line']}` | {r['setting']} | {', '.join(r['versions'])}{mark} |")
        lines.append("")
    return lines or ["No file of the project names a Python version."]


def repository_root(start: str) -> str:
    here = os.path.abspath(start)
    while True:
        if os.path.exists(os.path.join(here, ".git")):
            return here
        parent = os.path.dirname(here)
        if parent == here:
            return os.path.abspath(start)
        here = parent


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", help="where to look (default: the git repository holding this folder)")
    parser.add_argument("--json", action="store_true", help="the references as JSON")
    parser.add_argument("--older-than", metavar="VERSION", help="mark (and with --check, refuse) older ones")
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit 1 while a production, run-time or CI reference is older than --older-than",
    )
    args = parser.parse_args(argv)
    if args.check and not args.older_than:
        parser.error("--check needs --older-than VERSION")
    if args.older_than and not minor(args.older_than):
        parser.error(f"--older-than: {args.older_than!r} is not a Python version such as 3.12")
    root = args.root or repository_root(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    references = Census(root).run()
    left = older(references, minor(args.older_than)) if args.older_than else []
    if args.json:
        print(json.dumps({"root": root, "references": references, "older": left}, indent=2))
    else:
        print("\n".join(markdown(references, minor(args.older_than or ""))))
    if args.check and left:
        for r in left:
            print(
                f"census: {r['file']}:{r['line']}: {r['setting']} names {', '.join(r['versions'])}, "
                f"older than {args.older_than} ({r['kind']}): move it to {args.older_than}",
                file=sys.stderr,
            )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
