"""Reading an existing Dockerfile the way BuildKit does: every stage, `ARG` and `ENV` expanded, the
final stage's instructions inherited from the stages it is built `FROM`.

Pure functions over text; detection (detect/) asks them what production runs (base image, Python
version, Debian suite, start command, ports, packages, health check). Nothing here is rendered.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field

_VAR = re.compile(r"\$\{(\w+)(?::?[-+]([^}]*))?\}|\$(\w+)")
SUITES = ("buster", "bullseye", "bookworm", "trixie", "forky")


@dataclass
class Stage:
    base: str  # the FROM image, variables expanded
    name: str  # the AS name, or ""
    instructions: list[tuple[str, str]] = field(default_factory=list)  # (NAME, value), expanded
    parent: "Stage | None" = None  # the stage it is built FROM, if any

    def chain(self) -> list["Stage"]:
        """This stage and the stages it is built from, the first base first."""
        stages, stage = [], self
        while stage is not None and stage not in stages:
            stages.insert(0, stage)
            stage = stage.parent
        return stages

    def all(self, name: str) -> list[str]:
        """Every value of one instruction in this stage and the stages it inherits, in build order."""
        return [value for stage in self.chain() for key, value in stage.instructions if key == name]

    def last(self, name: str) -> str:
        found = self.all(name)
        return found[-1] if found else ""

    @property
    def image(self) -> str:
        """The image the chain starts from (a registry image, not a stage)."""
        return self.chain()[0].base


def expand(value: str, variables: dict[str, str]) -> str:
    """`${A}`, `$A` and `${A:-default}` expanded with what is known; unknown ones stay as written."""

    def one(match: re.Match) -> str:
        name = match.group(1) or match.group(3)
        if name in variables:
            return variables[name]
        if match.group(2) is not None and "-" in match.group(0):
            return match.group(2)
        return match.group(0)

    for _ in range(3):  # a value naming another variable (BUILDER_IMAGE=python:${PYTHON_VERSION})
        new = _VAR.sub(one, value)
        if new == value:
            break
        value = new
    return value


def _assignments(value: str) -> dict[str, str]:
    """`A=1 B="two words"` or the old `A 1` form -> {A: "1", B: "two words"}."""
    try:
        words = shlex.split(value, posix=True)
    except ValueError:
        words = value.split()
    if words and "=" not in words[0]:
        return {words[0]: " ".join(words[1:])} if len(words) > 1 else {}
    return dict(w.split("=", 1) for w in words if "=" in w)


def parse(text: str) -> list[Stage]:
    """The stages of a Dockerfile, in order; tolerant of anything malformed."""
    # Comment lines go before continuations are joined, as BuildKit drops them: a comment inside a
    # `RUN apt-get install a \` list is no package.
    text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    joined = re.sub(r"\\[ \t]*\r?\n", " ", text)
    lines = [line.strip() for line in joined.splitlines()]
    lines = [line for line in lines if line and not line.startswith("#")]
    global_args: dict[str, str] = {}
    stages: list[Stage] = []
    variables: dict[str, str] = {}
    for line in lines:
        name, _, value = line.partition(" ")
        name, value = name.upper(), value.strip()
        if name == "FROM":
            words = [w for w in value.split() if not w.startswith("--platform")]
            base = expand(words[0], global_args) if words else ""
            alias = words[2] if len(words) >= 3 and words[1].lower() == "as" else ""
            parent = next((s for s in reversed(stages) if s.name and s.name == base), None)
            variables = dict(global_args)
            if parent is not None:
                for key, val in parent.instructions:
                    if key == "ENV":
                        variables.update(_assignments(val))
            stages.append(Stage(base, alias, parent=parent))
            continue
        if name == "ARG":
            try:
                words = shlex.split(value)
            except ValueError:
                words = value.split()
            for word in words:
                key, eq, default = word.partition("=")
                default = default.strip("'\"")
                if not stages:
                    global_args[key] = default if eq else global_args.get(key, "")
                elif eq:
                    variables.setdefault(key, default)
                elif key in global_args:
                    variables[key] = global_args[key]
                if stages and key in variables:
                    stages[-1].instructions.append(("ARG", shlex.join([f"{key}={variables[key]}"])))
            continue
        if not stages:
            continue
        if name in ("ENV", "WORKDIR", "COPY", "ADD", "EXPOSE", "USER"):
            value = expand(value, variables)
        if name == "ENV":
            variables.update(_assignments(value))
        stages[-1].instructions.append((name, value))
    return stages


def exec_form(value: str) -> list[str]:
    """CMD/ENTRYPOINT as words: `["a", "b"]` -> [a, b]; a shell form -> its words."""
    value = value.strip()
    if value.startswith("["):
        try:
            words = json.loads(value)
            return [str(w) for w in words] if isinstance(words, list) else []
        except ValueError:
            return []
    try:
        return shlex.split(value)
    except ValueError:
        return value.split()


def python_version(image: str) -> str:
    """`python:3.12-slim`, `…/uv:python3.12-bookworm-slim`, `…/python-312` -> "3.12"; else ""."""
    m = re.search(r"python[:\-]?(3\.\d{1,2})(?!\d)", image)
    return m.group(1) if m else ""


def suite(image: str) -> str:
    m = re.search(rf"\b({'|'.join(SUITES)})\b", image)
    return m.group(1) if m else ""


def env(stage: Stage) -> dict[str, str]:
    """The environment a container of this stage starts with (ENV of the whole chain)."""
    result: dict[str, str] = {}
    for value in stage.all("ENV"):
        result.update(_assignments(value))
    return result


def feeding(stages: list[Stage], final: Stage) -> list[Stage]:
    """The final stage's chain and the chains of the stages it copies from (`COPY --from=builder`),
    transitively: every stage whose work ends up in the image (a builder's `pip wheel` included)."""
    by_name = {s.name: s for s in stages if s.name}
    found: list[Stage] = []
    todo = [final]
    while todo:
        for stage in todo.pop().chain():
            if stage in found:
                continue
            found.append(stage)
            for key, value in stage.instructions:
                m = re.search(r"--from=(\S+)", value) if key in ("COPY", "ADD") else None
                if m and m.group(1) in by_name:
                    todo.append(by_name[m.group(1)])
    return found


def copies(stage: Stage) -> dict[str, str]:
    """{destination in the image: source in the build context} of the chain's COPY/ADD lines
    (a destination directory maps to its source directory)."""
    mapping: dict[str, str] = {}
    workdir = "/"
    for stage_ in stage.chain():
        for key, value in stage_.instructions:
            if key == "WORKDIR":
                workdir = value if value.startswith("/") else workdir.rstrip("/") + "/" + value
            if key not in ("COPY", "ADD"):
                continue
            words = [w for w in exec_form(value) if not w.startswith("--")]
            if len(words) < 2:
                continue
            *sources, dest = words
            if not dest.startswith("/"):
                dest = workdir.rstrip("/") + "/" + dest
            for source in sources:
                if len(sources) == 1 and not dest.endswith("/"):
                    mapping[dest.rstrip("/")] = source
                else:
                    mapping[dest.rstrip("/") + "/" + source.rstrip("/").split("/")[-1]] = source
    return mapping


def workdir(stage: Stage) -> str:
    result = "/"
    for value in stage.all("WORKDIR"):
        result = value if value.startswith("/") else result.rstrip("/") + "/" + value
    return result
