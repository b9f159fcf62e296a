"""Values derived from the answers, computed once for every rendered file (the context hook in
extensions/jinja.py).

The templates only test and print these; none of them computes its own copy. Add a derived value
here (and to tests/test_context.py), not as a `{% set %}` at the top of a template.

    cur, tgt          py tags of current_python and target_python ("py311")
    live              the versions the rendered files still build and test: [[role, version], ...]
    runs              the project runs as a service or worker (app_kind is not "library")
    counts_tests      test_command's runner passes when it finds no test (Django's, unittest, nose2): it
                      runs through python-upgrade/tests_ran.py, which fails then
    tox_uv            tox installs with uv (tox-uv): a requirements/pyproject/pdm/pipenv project, installer uv
    uv                the image installs with uv: tox_uv, or a uv project
    lock              the lock file exported to requirements for installs (pdm.lock, Pipfile.lock) or ""
    dependency_files  the files that pin or declare the dependencies, relative to project_dir
    pip_cache_files   the files that key CI's pip cache, relative to the repository root (none for uv)
    here              project_dir as a prefix of repository paths ("" at the root, else "backend/")
    ws                where Docker builds from (filters.workspace_paths): context, from_project, member
    name              the project's name as images, containers and Kubernetes objects spell it (slug)
    oldest            the oldest version the rendered files still build, which production runs: current in
                      the dual phase, target once finished
    memory            the Kubernetes memory request and limit (MiB): the limit is max_rss_percent of it
    compiler          build_packages holds a compiler (build-essential, gcc, g++, clang)
    rust              build_packages holds Rust's toolchain (cargo, rustc), which maturin builds need
    testenv_deps      the [testenv] deps of tox-python-upgrade.ini, which the audit env extends
    removed           the stdlib modules current has and target removed: {module: (removed in, instead)}
    rewrites          what of it python-upgrade/fix.py rewrites: {"imp.reload": "importlib.reload", ...}
    backports         the backports fix.py adds where uses are left: {module: (package, removed in)}
    state             the state directories (state_dirs) as containers mount them: [{path, name}], the
                      path in the image and its volume's name suffix
"""

from __future__ import annotations

import re

from .filters import slug, workspace_paths
from .pins import GATES, KUBERNETES_RESOURCES, TOOLS
from .versions import backports, py_tag, removed_modules, rewrites

# The answers every derived value needs; while Copier is still asking (a question's default or help is
# rendered before later answers exist), nothing is derived.
NEEDS = ("current_python", "target_python", "phase", "app_kind", "dependency_layout", "project_dir")
EXPORTED = ("requirements", "pyproject", "pdm", "pipenv")  # layouts installed from requirements-style files
LOCKS = {"pdm": "pdm.lock", "pipenv": "Pipfile.lock"}
VERSION = re.compile(r"^3\.\d{1,2}$")
COMPILERS = ("build-essential", "gcc", "g++", "clang")


def testenv_deps(answers: dict, layout: str, tox_uv: bool) -> list[str]:
    """The [testenv] deps lines: the requirement files, else what installs a lock (uv; tomli for pdm's
    reader on old interpreters), else nothing (pyproject and poetry install themselves)."""
    if layout == "requirements":
        return [
            f"-r {f}" for f in (answers.get("requirements_file"), answers.get("test_requirements_file")) if f
        ]
    if layout in LOCKS:
        return ([f"uv=={TOOLS['uv']}"] if tox_uv else []) + (
            ['tomli; python_version < "3.11"'] if layout == "pdm" else []
        )
    if layout == "uv":
        return [f"uv=={TOOLS['uv']}"]
    return []


# Test runners that print "Ran 0 tests" and exit 0 where they find no test (Django's, unittest before
# 3.12, nose2): their command runs through python-upgrade/tests_ran.py, which fails then.
ZERO_TESTS_PASS = re.compile(r"(?:manage\.py|django-admin|-m\s+django)\s+test\b|-m\s+unittest\b|\bnose2\b")


def derived(answers: dict) -> dict:
    """Every derived value, from the answers (see the module's docstring); {} before they exist, or
    while one is malformed (its question's validator says so in one line, not this hook)."""
    if any(answers.get(key) is None for key in NEEDS):
        return {}
    if not all(VERSION.match(str(answers[key])) for key in ("current_python", "target_python")):
        return {}
    layout = answers["dependency_layout"]
    current, target = str(answers["current_python"]), str(answers["target_python"])
    project_dir = str(answers["project_dir"] or ".")
    tox_uv = layout in EXPORTED and answers.get("installer", "uv") == "uv"
    workspace_root = str(answers.get("workspace_root") or ".") if layout == "uv" else "."
    if layout == "requirements":
        files = [f for f in (answers.get("requirements_file"), answers.get("test_requirements_file")) if f]
    elif layout == "pyproject":
        files = ["pyproject.toml"]
    elif layout == "uv":
        files = ["uv.lock" if workspace_root == "." else f"{workspace_root}/uv.lock"]
    else:
        files = [LOCKS.get(layout, f"{layout}.lock")]
    here = "" if project_dir == "." else f"{project_dir}/"
    return {
        "cur": py_tag(current),
        "tgt": py_tag(target),
        "live": [["target", target]]
        if answers["phase"] == "finished"
        else [["current", current], ["target", target]],
        "runs": answers["app_kind"] != "library",
        "counts_tests": bool(ZERO_TESTS_PASS.search(str(answers.get("test_command") or ""))),
        "tox_uv": tox_uv,
        "uv": tox_uv or layout == "uv",
        "lock": LOCKS.get(layout, ""),
        "dependency_files": files,
        "pip_cache_files": [] if layout == "uv" else [here + f for f in files],
        "here": here,
        "ws": workspace_paths(project_dir, workspace_root),
        "name": slug(answers.get("project_name") or ""),
        "oldest": target if answers["phase"] == "finished" else current,
        "memory": {
            "request_mib": KUBERNETES_RESOURCES["memory_request_mib"],
            "limit_mib": KUBERNETES_RESOURCES["memory_request_mib"] * GATES["max_rss_percent"] // 100,
        },
        "compiler": any(p in COMPILERS for p in str(answers.get("build_packages") or "").split()),
        "rust": {"cargo", "rustc"} <= set(str(answers.get("build_packages") or "").split()),
        "testenv_deps": testenv_deps(answers, layout, tox_uv),
        "removed": removed_modules(current, target),
        "rewrites": rewrites(current, target),
        "backports": backports(current, target),
        "state": state_mounts(answers),
    }


def state_mounts(answers: dict) -> list[dict]:
    """The app's state directories (state_dirs) as the containers mount them: the path in the image
    (relative ones under /app, its WORKDIR) and a name for its volume, unique within the project."""
    dirs = answers.get("state_dirs") if answers.get("app_kind") == "web" else []
    mounts = []
    for path in dirs if isinstance(dirs, list) else []:
        path = str(path).rstrip("/")
        inside = path[2:] if path.startswith("./") else path
        mounts.append(
            {
                "path": path if path.startswith("/") else f"/app/{inside}",
                "name": slug(path.strip("/").replace("/", "-")) or "state",
            }
        )
    return mounts
