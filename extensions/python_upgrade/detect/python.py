"""Which Python production runs today (current_python). Sources disagree in real repositories; what
production runs wins over what is merely supported, in this order (RULES["current_python"]):

  1. the app's Dockerfile: the image its final stage is built from (every stage read, ARG/ENV expanded)
  2. .python-version (pyenv), runtime.txt, Pipfile's [requires] python_version
  3. CI matrices and tox envs: the newest version tested that still has a newer one to move to
  4. trove classifiers: likewise
  5. requires-python / python_requires: the oldest version still supported

Each source is a VersionSource rule: `versions(facts)` returns every version it names with where, and
the first source with a version a migration can start from wins. Sources 2-5 read the census
(`facts.census`: template/{{ project_dir }}/python-upgrade/census.py, which the template also ships):
one reading of where a repository names its Python, for detection, the audit, `-e finish` and the
fleet. A new place a project names its version goes into census.py, never here. Every source found
is listed in the question's help, chosen or not, with why not.
"""

from __future__ import annotations


from .. import dockerfile
from ..versions import STARTS, SUPPORTED, key
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


def in_census(facts, *settings: str, kinds: tuple[str, ...] = (), here: bool = True, first: bool = False):
    """(versions, newest first, "file, file") of the census references of these settings or kinds; with
    `first`, of the first file that has any."""
    found = facts.named(*settings, kinds=kinds, here=here)
    if first and found:
        found = [r for r in found if r["file"] == found[0]["file"]]
    if not found:
        return None
    where = ", ".join(dict.fromkeys(r["file"] for r in found))
    return newest_first([v for r in found for v in r["versions"]]), where


class PythonVersionFile(VersionSource):
    """.python-version (pyenv, uv): its first line."""

    rule = "pinned interpreter"

    def versions(self, facts):
        found = facts.named(".python-version")
        return (newest_first(found[0]["versions"]), found[0]["file"]) if found else None


class RuntimeTxt(VersionSource):
    """runtime.txt (Heroku and its kind): python-3.X.Y."""

    rule = "pinned interpreter"

    def versions(self, facts):
        found = facts.named("runtime.txt")
        return (found[0]["versions"], found[0]["file"]) if found else None


class PipfileVersion(VersionSource):
    """Pipfile's [requires] python_version."""

    rule = "pinned interpreter"

    def versions(self, facts):
        found = facts.named("[requires] python_version")
        return (found[0]["versions"], f"{found[0]['file']} ([requires] python_version)") if found else None


class TestedVersions(VersionSource):
    """CI (GitHub Actions, GitLab CI: python-version keys, matrices, images) and tox or nox envs: the
    newest version tested."""

    rule = "newest version tested"

    def versions(self, facts):
        ci = in_census(facts, kinds=("CI",), here=False)
        tests = in_census(facts, kinds=("tests",))
        if not ci and not tests:
            return None
        versions = (ci[0] if ci else []) + (tests[0] if tests else [])
        return newest_first(versions), ", ".join(found[1] for found in (ci, tests) if found)


class Classifiers(VersionSource):
    """Trove classifiers (Programming Language :: Python :: 3.X): the newest listed."""

    rule = "newest version listed"

    def versions(self, facts):
        found = in_census(facts, "classifiers", first=True)
        return (found[0], f"{found[1]} classifiers") if found else None


class RequiresPython(VersionSource):
    """requires-python / python_requires: the oldest version still supported."""

    rule = "oldest version supported"

    def versions(self, facts):
        found = facts.named("requires-python", "python_requires")
        if not found:
            return None
        spec = found[0]["text"].split("=", 1)[-1].strip(" :,")
        return found[0]["versions"], f"{found[0]['file']} ({spec})"


def python_finding(facts, sources: tuple[type[VersionSource], ...]) -> Finding | None:
    """current_python's finding: the first source with a usable version, and every source in the notes."""
    notes = tuple(source().line(facts) for source in sources if facts.python_versions(source()) is not None)
    for source in sources:
        found = source().find(facts)
        if found is not None:
            return Finding(found[0], f"{found[0]} from {source.where(found[1])}", notes=notes)
    return Finding("", "", notes=notes) if notes else None
