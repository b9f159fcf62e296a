"""How the project declares its dependencies: the layout (a lock file, requirements files, pyproject),
its files, its extras and groups, and the names of what it depends on."""

from __future__ import annotations

import re
from pathlib import Path

from .files import files, read, toml, upwards
from .rule import Rule

LOCKS = (("uv", "uv.lock"), ("poetry", "poetry.lock"), ("pdm", "pdm.lock"), ("pipenv", "Pipfile.lock"))
REQUIREMENTS = (
    "requirements.txt",
    "requirements/production.txt",
    "requirements/prod.txt",
    "requirements/base.txt",
    "requirements/main.txt",
    "requirements/common.txt",
)
TEST_REQUIREMENTS = (
    "requirements-test.txt",
    "requirements-tests.txt",
    "requirements-dev.txt",
    "requirements_test.txt",
    "requirements_dev.txt",
    "test-requirements.txt",
    "dev-requirements.txt",
    "test_requirements.txt",
    "dev_requirements.txt",
    "requirements-testing.txt",
    "requirements/test.txt",
    "requirements/tests.txt",
    "requirements/testing.txt",
    "requirements/dev.txt",
    "requirements/development.txt",
    "requirements/local.txt",
)
# The extra / group holding the tests: the first of these names the project declares.
TEST_GROUPS = ("test", "tests", "testing", "dev", "dev-packages")


def groups_of(project: Path, layout: str) -> list[str]:
    """The extras / dependency groups / Pipfile categories the project declares for `layout`."""
    data = toml(project / "pyproject.toml")
    if layout == "pipenv":
        pipfile = toml(project / "Pipfile")
        return [
            k
            for k, v in pipfile.items()
            if isinstance(v, dict) and k not in ("source", "requires", "scripts", "pipenv", "packages")
        ]
    names: list[str] = []
    if layout == "poetry":
        poetry = (data.get("tool") or {}).get("poetry") or {}
        names += list(poetry.get("group", {}) or {})
        if poetry.get("dev-dependencies"):  # the legacy table: Poetry 1.2+ installs it as the group dev
            names.append("dev")
    if layout in ("uv", "pdm", "pyproject", "poetry"):
        names += list(data.get("dependency-groups") or {})
    if layout in ("pdm",):
        names += list((((data.get("tool") or {}).get("pdm") or {}).get("dev-dependencies")) or {})
    if layout in ("pyproject", "pdm", "uv"):
        names += list(((data.get("project") or {}).get("optional-dependencies")) or {})
    return list(dict.fromkeys(names))


def requirement_names(root: Path) -> set[str]:
    """Distribution names the project depends on (any requirements file, pyproject, setup files, Pipfile)."""
    text = "\n".join(
        read(p) for p in files(root, ("requirements*.txt", "requirements/*.txt", "*requirements*.in"))
    )
    names = {m.lower() for m in re.findall(r"(?m)^\s*([A-Za-z][A-Za-z0-9._-]*)", text)}
    for name in ("pyproject.toml", "setup.cfg", "setup.py", "Pipfile"):
        body = read(root / name)
        names |= {
            m.lower()
            for m in re.findall(
                r"""(?m)^\s*["']?([A-Za-z][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(?:[<>=!~^]=?|=\s*["{]|["',])""",
                body,
            )
        }
    return {n.replace("_", "-") for n in names}


def runtime_names(root: Path) -> set[str]:
    """Distribution names production installs: the runtime requirements file(s), [project]
    dependencies, Poetry's main dependencies, Pipfile [packages] (not test or dev groups)."""
    text = "\n".join(
        read(p)
        for p in files(root, ("requirements.txt", "requirements/*.txt"))
        if not re.search(r"test|dev|local|lint|doc", p.name)
    )
    specs = re.findall(r"(?m)^\s*([A-Za-z][A-Za-z0-9._-]*)", text)
    data = toml(root / "pyproject.toml")
    specs += [str(d) for d in (data.get("project") or {}).get("dependencies") or []]
    specs += list((((data.get("tool") or {}).get("poetry") or {}).get("dependencies")) or {})
    specs += list((toml(root / "Pipfile").get("packages")) or {})
    return {
        re.split(r"[\s\[<>=!~;@]", s.strip(), maxsplit=1)[0].lower().replace("_", "-")
        for s in specs
        if s.strip()
    }


def first_file(project: Path, names: tuple[str, ...]) -> str:
    return next((name for name in names if (project / name).is_file()), "")


class LockFile(Rule):
    """{file}

    A lock file names its tool (uv, Poetry, PDM, Pipenv), in project_dir or above it for a uv workspace."""

    question = "dependency_layout"

    def find(self, facts):
        for layout, lock in LOCKS:
            found = upwards(facts.repo, facts.root, lock)
            if found is not None:
                return layout, {"file": found.relative_to(facts.repo)}
        return None


class PipfileWithoutLock(Rule):
    """Pipfile (no lock yet: run `pipenv lock` and commit Pipfile.lock)

    A Pipfile and no requirements file: Pipenv's project; the images install its lock."""

    question = "dependency_layout"

    def find(self, facts):
        return ("pipenv", {}) if (facts.root / "Pipfile").is_file() else None


class RequirementsLayout(Rule):
    """{file}

    Requirements files and no lock: pip installs them."""

    question = "dependency_layout"

    def find(self, facts):
        found = first_file(facts.root, REQUIREMENTS)
        return ("requirements", {"file": found}) if found else None


class PyprojectLayout(Rule):
    """pyproject.toml [project] and no lock file"""

    question = "dependency_layout"

    def find(self, facts):
        return (
            ("pyproject", {}) if re.search(r"(?m)^\[project\]", read(facts.root / "pyproject.toml")) else None
        )


class ImageRequirements(Rule):
    """{file} (`pip {verb} -r {name}`)

    The requirements file the old image installs is what production runs on, whatever other files
    (a Heroku one, a dev one) sit beside it."""

    question = "requirements_file"

    def find(self, facts):
        for stage in facts.stages:  # a builder stage's `pip wheel -r` counts too
            for run in stage.all("RUN"):
                for m in re.finditer(r"\bpip3?\s+(?:install|wheel)\b[^&;|]*?\s-r\s*([\w./-]+)", run):
                    name = m.group(1).removeprefix("./")
                    if (facts.root / name).is_file():
                        where = {"file": facts.file, "name": name}
                        return name, where | {"verb": "wheel" if " wheel" in m.group(0) else "install"}
        return None


class RequirementsFile(Rule):
    """{file}

    The runtime requirements file, by the names projects give it."""

    question = "requirements_file"

    def find(self, facts):
        found = first_file(facts.root, REQUIREMENTS)
        return (found, {"file": found}) if found else None


class TestRequirementsFile(Rule):
    """{file}

    The test requirements file, by the names projects give it; none when the tests need only the
    runtime requirements."""

    question = "test_requirements_file"

    def find(self, facts):
        found = first_file(facts.root, TEST_REQUIREMENTS)
        return (found, {"file": found}) if found else None


class TestGroup(Rule):
    """{where}, which declares {name}

    The extra or group holding the tests: the first of test, tests, testing, dev, dev-packages the
    project declares for its layout."""

    question = "test_extra"
    needs = ("dependency_layout",)

    def find(self, facts):
        layout = facts.found("dependency_layout")
        names = groups_of(facts.root, layout) if layout else []
        name = next((n for n in TEST_GROUPS if n in names), "")
        return (
            (name, {"where": "Pipfile" if layout == "pipenv" else "pyproject.toml", "name": name})
            if name
            else None
        )
