"""The image production runs today: which Dockerfile builds the app, what it installs, sets, declares
and copies; and what the new images must leave out of the source."""

from __future__ import annotations

import re
from pathlib import Path

from .. import dockerfile
from .files import FOREIGN_DIRS, files, read, toml
from .rule import Rule
from .shell import BUILD_STEP, SHELL_SPLIT, clean_command


def app_dockerfile(repo: Path, project: Path):
    """(path, final stage) of the Dockerfile that builds the app, or (None, None).

    Every Dockerfile of the project (up to four levels down; CI actions, docs, tests and our own
    left out) is parsed; the app's is the one that runs Python and has a start command, a plain
    `Dockerfile` name before a `-dev`/`.dev`/`.worker` variant, one built on Debian before an Alpine
    or distroless variant (the new images are Debian's: its packages carry over), the shallower
    first."""
    best, best_key = (None, None), None
    roots = [project] if project == repo else [project, repo]
    seen = set()
    for root in roots:
        for path in files(
            root,
            (
                "Dockerfile",
                "Dockerfile*",
                "*.Dockerfile",
                "*.dockerfile",
                "**/Dockerfile",
                "**/Dockerfile*",
                "**/*.Dockerfile",
            ),
            depth=4,
        ):
            rel = path.relative_to(repo)
            if (
                path in seen
                or path.name.endswith(".dockerignore")
                or FOREIGN_DIRS & set(rel.parts[:-1])
                or not path.is_file()
            ):
                continue
            seen.add(path)
            text = read(path)
            stages = dockerfile.parse(text)
            if not stages:
                continue
            final = stages[-1]
            python = bool(
                dockerfile.python_version(final.image)
                or re.search(r"(?:^|/)python(?::|@|$)", final.image)
                or re.search(r"\b(?:pip|uv|poetry|pipenv|pdm)\b", text)
            )
            if not python:
                continue
            variant = bool(
                re.search(r"dev|worker|test|ci\b|local", path.name.lower().replace("dockerfile", ""))
            )
            # Our images are Debian's: an Alpine or distroless variant's packages do not carry over.
            debian = not re.search(r"alpine|distroless|musl", f"{final.image} {path.name}".lower())
            key = (
                bool(final.last("CMD") or final.last("ENTRYPOINT")),
                not variant,
                debian,
                path.name == "Dockerfile",
                root == project,
                -len(rel.parts),
            )
            if best_key is None or key > best_key:
                best, best_key = (path, final), key
    return best


def image_path(project: Path, dockerfile_path: Path | None, stage, path: str) -> Path | None:
    """The repository file an image path (`/code/start.sh`, `./init.sh`) was copied from."""
    candidates = []
    if stage is not None:
        workdir = dockerfile.workdir(stage)
        absolute = path if path.startswith("/") else workdir.rstrip("/") + "/" + path.removeprefix("./")
        mapping = dockerfile.copies(stage)
        if absolute in mapping:
            candidates.append(mapping[absolute])
        for dest, source in mapping.items():
            if absolute.startswith(dest + "/") and source.rstrip("/") in (".", "./"):
                candidates.append(absolute[len(dest) + 1 :])
            elif absolute.startswith(dest + "/"):
                candidates.append(source.rstrip("/") + "/" + absolute[len(dest) + 1 :])
        if absolute.startswith(workdir.rstrip("/") + "/"):
            candidates.append(absolute[len(workdir.rstrip("/")) + 1 :])
    candidates.append(path.removeprefix("./").removeprefix("/app/"))
    for candidate in candidates:
        for base in (project, dockerfile_path.parent if dockerfile_path else project):
            file = base / candidate.removeprefix("./")
            if file.is_file():
                return file
    return None


def source_paths(project: Path, dockerfile_path: Path, stage, command: str) -> str:
    """A start command with the old image's paths of the repository's files (`uwsgi /code/etc/uwsgi.ini`)
    turned into the paths they have in the source tree, which is the production image's WORKDIR."""
    words = command.split(" ")
    for i, word in enumerate(words[1:], 1):
        if word.startswith("/") and re.fullmatch(r"[\w./-]+", word):
            file = image_path(project, dockerfile_path, stage, word)
            if file is not None and file.is_relative_to(project):
                words[i] = str(file.relative_to(project))
    return " ".join(words)


_BUILD_PACKAGES = ("build-essential", "gcc", "g++", "make", "pkg-config", "cmake", "cargo", "rustc", "git")
_NOT_NEEDED = ("ca-certificates", "curl", "wget", "tini", "dumb-init", "gnupg", "procps", "apt-utils")
_PYTHON_TOOLS = {
    "pip",
    "setuptools",
    "wheel",
    "uv",
    "pipenv",
    "poetry",
    "pdm",
    "virtualenv",
    "pip-tools",
    "hatch",
}
_ENV_NOISE = re.compile(
    r"^(?:PATH|PYTHON\w*|PIP_\w+|UV_\w+|POETRY_\w+|PIPENV_\w+|VIRTUAL_ENV|LANG|LC_\w+|PORT|HOME|"
    r"DEBIAN_FRONTEND|GPG_KEY|TZ)$"
)


def _shell_vars(run: str, known: dict[str, str]) -> str:
    """A RUN line with its own `VAR="a b" &&` assignments (and the stage's ARG/ENV) expanded."""
    variables = dict(known)
    for m in re.finditer(r"""(?:^|[;&|]\s*|\s)([A-Za-z_]\w*)=("[^"]*"|'[^']*'|\S+)""", run):
        variables[m.group(1)] = m.group(2).strip("'\"")
    return dockerfile.expand(run, variables)


def packages(stages: list, final) -> tuple[str, str]:
    """Debian packages an existing Dockerfile installs: (build ones of every stage, runtime ones of
    the final stage and the stages it is built from)."""

    def installed(stage_list) -> list[str]:
        found = []
        for stage in stage_list:
            known = {}
            for key, value in (i for s in stage.chain() for i in s.instructions):
                if key in ("ENV", "ARG"):
                    known.update(dockerfile._assignments(value))
                if key != "RUN":
                    continue
                run = _shell_vars(value, known)
                for m in re.finditer(r"apt-get\s+(?:-\S+\s+)*install\s+([^&;|]+)", run):
                    found += [
                        w
                        for w in m.group(1).split()
                        if not w.startswith("-") and re.fullmatch(r"[a-z0-9][a-z0-9+.-]+", w)
                    ]
        return found

    every = installed(stages)
    build = [p for p in every if p.endswith("-dev") or p in _BUILD_PACKAGES]
    runtime = [p for p in installed(final.chain()) if p not in build and p not in _NOT_NEEDED]
    return " ".join(dict.fromkeys(build)), " ".join(dict.fromkeys(runtime))


def app_packages(stages, names: set[str]) -> str:
    """Python packages the app's image installs beside its dependency files (`pip install uwsgi -r
    requirements.txt`, `pip install uvicorn[standard]`, a builder's `pip wheel uwsgi -r ...` whose
    wheels the final stage installs), that the project does not declare."""
    found = []
    for run in (run for stage in stages for key, run in stage.instructions if key == "RUN"):
        for m in re.finditer(r"(?:\buv\s+)?\bpip3?\s+(?:install|wheel)\s+([^&;|]+)", run):
            words = m.group(1).split()
            skip = False
            for word in words:
                if skip:
                    skip = False
                    continue
                if word in (
                    "-r",
                    "-c",
                    "-e",
                    "--requirement",
                    "--constraint",
                    "--editable",
                    "-t",
                    "--target",
                    "--prefix",
                    "--root",
                    "-i",
                    "--index-url",
                    "--extra-index-url",
                    "--python",
                ):
                    skip = True
                    continue
                if (
                    word.startswith("-")
                    or "/" in word
                    or word in (".", "..")
                    or word.endswith((".whl", ".txt"))
                ):
                    continue
                name = re.split(r"[\[<>=!~;]", word.strip("'\""))[0].lower().replace("_", "-")
                if name and name not in _PYTHON_TOOLS | names and re.fullmatch(r"[a-z0-9][a-z0-9.-]*", name):
                    found.append(word.strip("'\""))
    return " ".join(dict.fromkeys(found))


def app_env(final) -> dict[str, str]:
    """The environment the app's image sets for the app itself (settings modules, app paths)."""
    return {
        k: v
        for k, v in dockerfile.env(final).items()
        if not _ENV_NOISE.match(k) and "$" not in v and not re.search(r"secret|password|token|key", k, re.I)
    }


def testpaths(root: Path) -> tuple[list[str], str]:
    """pytest's `testpaths` (pyproject [tool.pytest.ini_options], pytest.ini, tox.ini [pytest],
    setup.cfg [tool:pytest]) that are directories of the project."""
    options = toml(root / "pyproject.toml").get("tool", {}).get("pytest", {}).get("ini_options", {})
    paths, where = options.get("testpaths", []), "pyproject.toml [tool.pytest.ini_options] testpaths"
    if isinstance(paths, str):
        paths = paths.split()
    for name, section in (("pytest.ini", "pytest"), ("tox.ini", "pytest"), ("setup.cfg", "tool:pytest")):
        if paths:
            break
        m = re.search(rf"(?ms)^\[{re.escape(section)}\]\s*$(.*?)(?=^\[|\Z)", read(root / name))
        line = re.search(r"(?m)^testpaths\s*=\s*((?:.*\n?)(?:[ \t]+\S.*\n?)*)", m.group(1)) if m else None
        if line:
            paths, where = line.group(1).split(), f"{name} [{section}] testpaths"
    paths = [str(p).strip("/") for p in paths if isinstance(p, str)]
    # Only directories of tests: `testpaths = ["app"]` (tests beside the code) holds the app itself.
    return [
        p
        for p in paths
        if p
        and ".." not in p
        and (root / p).is_dir()
        and Path(p).name in ("tests", "test", "testing", "functional_tests", "integration_tests")
    ], where


# ------------------------------------------------------------------------------ rules: the old image
class DockerfileExpose(Rule):
    """{file} (EXPOSE)

    The port the old image declares is the port its server listens on."""

    question = "app_port"

    def find(self, facts):
        if facts.final is None:
            return None
        ports = [int(p) for e in facts.final.all("EXPOSE") for p in re.findall(r"\b(\d{2,5})\b", e)]
        return (ports[0], {"file": facts.file}) if ports else None


class DockerfileBuildPackages(Rule):
    """{file} (apt-get install, every stage)

    Compilers and headers a builder stage installs are what the requirements need to build."""

    question = "build_packages"

    def find(self, facts):
        return (facts.image_packages[0], {"file": facts.file}) if facts.final is not None else None


class DockerfileRuntimePackages(Rule):
    """{file} (apt-get install of the final stage)

    The libraries the old production image installs are what the app loads at run time."""

    question = "runtime_packages"

    def find(self, facts):
        return (facts.image_packages[1], {"file": facts.file}) if facts.final is not None else None


class DockerfileAppPackages(Rule):
    """{file} (pip install beside the dependency files)

    A server or extra the image installs next to `-r requirements.txt` (or builds a wheel of in a
    stage it copies from) is needed in production."""

    question = "app_packages"

    def find(self, facts):
        if not facts.stages:
            return None
        stages = dockerfile.feeding(facts.stages, facts.stages[-1])
        return app_packages(stages, facts.runtime_names), {"file": facts.file}


class DockerfileEnv(Rule):
    """{file} (ENV of the final stage)

    Settings the old image sets (DJANGO_SETTINGS_MODULE, ...), less interpreter and tool noise."""

    question = "app_env"

    def find(self, facts):
        return (app_env(facts.final), {"file": facts.file}) if facts.final else None


class DockerfileBuildSteps(Rule):
    """{file} (RUN)

    Steps the old image runs to build assets (collectstatic, compress, compilemessages)."""

    question = "build_command"

    def find(self, facts):
        if facts.final is None:
            return None
        steps = [
            clean_command(s)
            for run in facts.final.all("RUN")
            for s in SHELL_SPLIT.split(run)
            if BUILD_STEP.search(s) and not re.search(r"\bpip\b", s)
        ]
        return " && ".join(steps), {"file": facts.file}


class DockerfileSuite(Rule):
    """{file} (FROM {image})

    The Debian suite the old image's base names (python:3.12-slim-bookworm): the new images keep it."""

    question = "debian_suite"

    def find(self, facts):
        suite = dockerfile.suite(facts.final.image) if facts.final is not None else ""
        return (suite, {"file": facts.file, "image": facts.final.image}) if suite else None


# ------------------------------------------------------------------------ rules: what the image holds
class PytestTestpaths(Rule):
    """{where}

    pytest's testpaths that are test directories: the production image leaves them out."""

    question = "image_excludes"

    def find(self, facts):
        paths, where = testpaths(facts.root)
        return (paths, {"where": where}) if paths else None


class TestsDirectory(Rule):
    """the {names}/ directory (a guess: no testpaths say so)

    The top-level tests/ or test/ directory, where no code of the app imports from it."""

    question = "image_excludes"
    guess = True

    def find(self, facts):
        code = facts.python_sources(4)  # the tests themselves left out
        dirs = [
            d
            for d in ("tests", "test")
            if (facts.root / d).is_dir()
            and not any(re.search(rf"(?m)^\s*(?:from|import)\s+{d}\b", read(p)) for p in code)
        ]
        return (dirs, {"names": "/, ".join(dirs)}) if dirs else None


class GitVersion(Rule):
    """{where}

    The build backend that takes the project's version from git, which a Docker build context leaves
    out: hatch-vcs ([tool.hatch.version] source = "vcs"), setuptools-scm ([tool.setuptools_scm], or
    use_scm_version in setup.py), pdm-backend ([tool.pdm.version] source = "scm"),
    poetry-dynamic-versioning ([tool.poetry-dynamic-versioning] enable = true)."""

    question = "scm_version"

    def find(self, facts):
        data = toml(facts.root / "pyproject.toml")
        tool = data.get("tool", {}) if isinstance(data.get("tool"), dict) else {}
        requires = " ".join(str(r) for r in data.get("build-system", {}).get("requires", []) or []).lower()
        if str(tool.get("hatch", {}).get("version", {}).get("source", "")) == "vcs":
            return "hatch-vcs", {"where": 'pyproject.toml [tool.hatch.version] source = "vcs"'}
        if str(tool.get("pdm", {}).get("version", {}).get("source", "")) == "scm":
            return "pdm-backend", {"where": 'pyproject.toml [tool.pdm.version] source = "scm"'}
        if tool.get("poetry-dynamic-versioning", {}).get("enable") is True:
            return "poetry-dynamic-versioning", {
                "where": "pyproject.toml [tool.poetry-dynamic-versioning] enable = true"
            }
        if "setuptools_scm" in tool or re.search(r"setuptools[-_]scm", requires):
            return "setuptools-scm", {"where": "pyproject.toml [tool.setuptools_scm] / build-system requires"}
        if re.search(r"\buse_scm_version\s*=", read(facts.root / "setup.py")):
            return "setuptools-scm", {"where": "setup.py use_scm_version"}
        return None
