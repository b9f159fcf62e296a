"""Which Python production runs today (current_python). Sources disagree in real repositories; what
production runs wins over what is merely supported, in this order (RULES["current_python"]):

  1. the app's Dockerfile: the image its final stage is built from (every stage read, ARG/ENV expanded)
  2. .python-version (pyenv), runtime.txt, Pipfile's [requires] python_version
  3. CI matrices and tox envs: the newest version tested that still has a newer one to move to
  4. trove classifiers: likewise
  5. requires-python / python_requires: the oldest version still supported

Each source is a VersionSource rule: `versions(facts)` returns every version it names with where, and
the first source with a version a migration can start from wins. Every source found is listed in the
question's help, chosen or not, with why not.
"""

from __future__ import annotations

import re

from .. import dockerfile
from ..versions import STARTS, SUPPORTED, key
from .files import braces, files, read, versions_in
from .rule import Finding, Rule


class VersionSource(Rule):
    """A source of Python versions; `rule` says what it stands for."""

    question = "current_python"
    rule = ""

    def versions(self, facts) -> tuple[list[str], str] | None:
        """(versions found, newest first, where) or None."""
        raise NotImplementedError

    def find(self, facts):
        found = facts.python_versions(self)
        if found is None:
            return None
        versions, where = found
        usable = [v for v in versions if v in STARTS]
        return (usable[0], {"where": where, "rule": self.rule}) if usable else None

    def line(self, facts) -> str:
        """What the help lists for this source: the version it offers and why it is not used, if not."""
        versions, where = facts.python_versions(self)
        usable = [v for v in versions if v in STARTS]
        version = usable[0] if usable else versions[0]
        note = ""
        if version not in SUPPORTED:
            note = f" (outside {SUPPORTED[0]}-{SUPPORTED[-1]}, not used)"
        elif version == SUPPORTED[-1]:
            note = " (the newest supported: nothing newer to migrate to yet, not used)"
        elif versions[0] != version:
            note = f" ({versions[0]} too, the newest supported: nothing newer to migrate to)"
        return f"{version} from {where}{note}"

    @classmethod
    def where(cls, details: dict) -> str:
        return f"{details['where']}: {details['rule']}"


def newest_first(versions: list[str]) -> list[str]:
    return sorted(set(versions), key=key, reverse=True)


class DockerfileFrom(VersionSource):
    """The app's Dockerfile: the image its final stage is built from."""

    rule = "what production runs"

    def versions(self, facts):
        path, final = facts.dockerfile
        version = dockerfile.python_version(final.image) if final is not None else ""
        return ([version], f"{path.relative_to(facts.repo)} (FROM {final.image})") if version else None


class PythonVersionFile(VersionSource):
    """.python-version (pyenv, uv): its first line."""

    rule = "pinned interpreter"

    def versions(self, facts):
        text = read(facts.root / ".python-version").strip()
        found = versions_in(text.splitlines()[0] if text else "")
        return (newest_first(found), ".python-version") if found else None


class RuntimeTxt(VersionSource):
    """runtime.txt (Heroku and its kind): python-3.X.Y."""

    rule = "pinned interpreter"

    def versions(self, facts):
        found = versions_in(read(facts.root / "runtime.txt"))[:1]
        return (found, "runtime.txt") if found else None


class PipfileVersion(VersionSource):
    """Pipfile's [requires] python_version."""

    rule = "pinned interpreter"

    def versions(self, facts):
        m = re.search(
            r"""(?m)^\s*python_(?:full_)?version\s*=\s*["'](3\.\d+)""", read(facts.root / "Pipfile")
        )
        return ([m.group(1)], "Pipfile ([requires] python_version)") if m else None


class TestedVersions(VersionSource):
    """CI matrices (GitHub Actions, GitLab CI) and tox envs: the newest version tested."""

    rule = "newest version tested"

    def versions(self, facts):
        tested: list[str] = []
        where = []
        for path in files(
            facts.repo, (".github/workflows/*.yml", ".github/workflows/*.yaml", ".gitlab-ci.yml")
        ):
            if path.name == "python-upgrade.yml":
                continue
            found = []
            lines = read(path).splitlines()
            for i, line in enumerate(lines):
                if re.search(r"python(-version)?\s*:|python_version|image:\s*\S*python:", line, re.I):
                    found += versions_in(line)
                    # A matrix list written one item a line, under the key.
                    for following in lines[i + 1 : i + 12]:
                        if not re.match(r"\s*-\s*['\"]?3\.\d", following):
                            break
                        found += versions_in(following)
            if found:
                tested += found
                where.append(str(path.relative_to(facts.repo)))
        for name in ("tox.ini", "tox.toml", "setup.cfg", "pyproject.toml", "noxfile.py"):
            text = read(facts.root / name)
            if name == "pyproject.toml":  # only its [tool.tox] tables
                block = re.search(r"(?ms)^\[tool\.tox\].*?(?=^\[(?!tool\.tox)|\Z)", text)
                text = block.group(0) if block else ""
            text = braces(text)
            envs = [f"3.{e}" for e in re.findall(r"(?<![\w.])py3(\d{1,2})(?![\d])", text)]
            if name != "setup.cfg":
                envs += [f"3.{e}" for e in re.findall(r"(?<![\w.])3\.(\d{1,2})(?=-|,|\s|$|['\"])", text)]
            if envs:
                tested += envs
                where.append(name)
        return (newest_first(tested), ", ".join(where)) if tested else None


class Classifiers(VersionSource):
    """Trove classifiers (Programming Language :: Python :: 3.X): the newest listed."""

    rule = "newest version listed"

    def versions(self, facts):
        for name in ("pyproject.toml", "setup.cfg", "setup.py"):
            found = re.findall(r"Programming Language :: Python :: (3\.\d{1,2})", read(facts.root / name))
            if found:
                return newest_first(found), f"{name} classifiers"
        return None


class RequiresPython(VersionSource):
    """requires-python / python_requires: the oldest version still supported."""

    rule = "oldest version supported"

    def versions(self, facts):
        for name in ("pyproject.toml", "setup.cfg", "setup.py"):
            m = re.search(
                r"""(?:requires-python|python_requires)\s*[=:]\s*['"]?\s*>=?\s*(3\.\d{1,2})""",
                read(facts.root / name),
            )
            if m:
                return [m.group(1)], f"{name} ({m.group(0).split('=', 1)[-1].strip(' :')})"
        return None


def python_finding(facts, sources: tuple[type[VersionSource], ...]) -> Finding | None:
    """current_python's finding: the first source with a usable version, and every source in the notes."""
    notes = tuple(source().line(facts) for source in sources if facts.python_versions(source()) is not None)
    for source in sources:
        found = source().find(facts)
        if found is not None:
            return Finding(found[0], f"{found[0]} from {source.where(found[1])}", notes=notes)
    return Finding("", "", notes=notes) if notes else None
