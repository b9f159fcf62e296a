"""The table of questions: for every answer, when it is asked, how it is checked, and its default
where detection finds nothing. copier.yml reads each question's `when`, `default`, `validator` and
the "Detected: ..." part of its `help` from here, and its last question checks every answer with the
same table, so a check is written once and runs at a prompt and under --defaults alike:

    health_path:
      type: str
      help: >-
        HTTP path that answers 2xx when the service is healthy ...
        {{ question_found("health_path") }}
      default: "{{ question_default('health_path') }}"
      when: "{{ question_asked('health_path') }}"
      validator: "{{ question_check('health_path') }}"

Adding a question: the question in copier.yml (as above), its row in QUESTIONS, its README row.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from . import checks, gitignore
from .detect import Detection, Finding, detect, is_new
from .detect.layout import groups_of
from .detect.files import locate
from .filters import slug
from .versions import SUPPORTED, end_of_life_note, next_minor

try:
    from copier.errors import UserMessageError
except ImportError:  # the unit tests import this module without copier
    UserMessageError = ValueError


class Answers:
    """The answers given so far, as a question's default, help, `when` and check see them; a missing
    answer is None. `found(name)` is the finding detection made for a question."""

    def __init__(self, context, detections: dict):
        self._context, self._detections = context, detections

    def __getattr__(self, name: str):
        value = self._context.get(name)
        return None if value is None or type(value).__name__ in ("Undefined", "StrictUndefined") else value

    @property
    def dst(self) -> Path:
        return Path(str(self.conf("dst_path")))

    def conf(self, name: str) -> object:
        """A value of copier's _copier_conf (dst_path, defaults, data, ...)."""
        return self._context["_copier_conf"][name]

    def detection(self, question: str) -> Detection:
        """Detection for the repository, one for this copy (every rule runs once). project_dir is found
        from the repository root, before it is answered; the rest in the project_dir answered."""
        dst = str(self.dst)
        same = [d for (where, _), d in self._detections.items() if where == dst]
        if question == "project_dir" and same:
            return same[0]
        key = (dst, "." if question == "project_dir" else str(self.project_dir or "."))
        if key not in self._detections:
            self._detections[key] = detection = detect(self.dst, key[1])
            if same and "project_dir" in same[0].decided:  # decided once, from the root
                detection.decided["project_dir"] = same[0].decided["project_dir"]
        return self._detections[key]

    def found(self, question: str) -> Finding | None:
        return self.detection(question).get(question)


@dataclass(frozen=True)
class Condition:
    """When a question is asked, as the README says it and as a test of the answers."""

    text: str
    test: Callable[[Answers], bool]

    def __call__(self, answers: Answers) -> bool:
        return bool(self.test(answers))


ALWAYS = Condition("always", lambda a: True)
RUNS = Condition("app_kind is web or worker", lambda a: a.app_kind != "library")
WEB = Condition("app_kind is web", lambda a: a.app_kind == "web")
WEB_DUAL = Condition("app_kind is web and phase is dual", lambda a: a.app_kind == "web" and a.phase == "dual")
KUBERNETES = Condition("app_kind is web and kubernetes", lambda a: a.app_kind == "web" and bool(a.kubernetes))
REQUIREMENTS = Condition("dependency_layout is requirements", lambda a: a.dependency_layout == "requirements")
NOT_REQUIREMENTS = Condition(
    "dependency_layout is not requirements", lambda a: a.dependency_layout != "requirements"
)
EXPORTED = Condition(
    "dependency_layout is requirements, pyproject, pdm or pipenv",
    lambda a: a.dependency_layout in ("requirements", "pyproject", "pdm", "pipenv"),
)
UV = Condition("dependency_layout is uv", lambda a: a.dependency_layout == "uv")
UV_MEMBER = Condition(
    "dependency_layout is uv and workspace_root is not .",
    lambda a: a.dependency_layout == "uv" and a.workspace_root != ".",
)


@dataclass(frozen=True)
class Question:
    """One answer's row: when it is asked, its check (one line naming the question, or ""), its
    default where nothing is detected, and how a refusal names where a default came from."""

    when: Condition = ALWAYS
    check: Callable[[Answers, object], str] | None = None
    fallback: Callable[[Answers], object] | object = None
    # Where a value that was not given came from, for a refusal: None says "detected: <why>" when
    # detection found the question, else the template's default.
    origin: Callable[[Answers, Finding | None], str] | None = None
    # Whether a detected value may be the default (debian_suite: only a suite both versions have).
    usable: Callable[[Answers, object], bool] | None = None
    # Said in the help when nothing is detected.
    unfound: str = ""
    # The fallback in words, where it is computed (the reference, docs/reference/questions.md, shows it).
    fallback_text: str = ""

    def default(self, answers: Answers, name: str) -> object:
        found = answers.found(name)
        if (
            found is not None
            and found.value not in ("", None)
            and (self.usable is None or self.usable(answers, found.value))
        ):
            return found.value
        return self.fallback(answers) if callable(self.fallback) else self.fallback


def _detected_only(answers: Answers, found: Finding | None) -> str:
    return "detected" if found is not None and found.value else ""


QUESTIONS: dict[str, Question] = {
    "project_name": Question(
        check=lambda a, v: checks.command_error("project_name", v),
        fallback=lambda a: a.dst.resolve().name,
        fallback_text="the repository folder's name",
    ),
    "project_dir": Question(
        check=lambda a, v: checks.repository_dir_error(a.dst, "project_dir", v), fallback="."
    ),
    "current_python": Question(
        check=lambda a, v: checks.version_error("current_python", v, SUPPORTED[:-1]), fallback="3.11"
    ),
    "target_python": Question(
        check=lambda a, v: checks.target_error(a.current_python, v),
        fallback=lambda a: next_minor(a.current_python),
        fallback_text="the next minor after current_python",
        origin=lambda a, f: f"the next minor after current_python {a.current_python}",
    ),
    "experimental_pythons": Question(
        check=lambda a, v: checks.experimental_error(v, a.current_python, a.target_python), fallback=[]
    ),
    "app_kind": Question(
        fallback=lambda a: "web" if is_new(a.dst) else "library",
        fallback_text="`web` for a new, empty repository, else `library`",
        unfound="Nothing in this repository says how it runs",
    ),
    "phase": Question(fallback="dual"),
    "retire_after_days": Question(check=lambda a, v: checks.days_error("retire_after_days", v), fallback=7),
    "app_command": Question(
        when=RUNS,
        check=lambda a, v: checks.command_error("app_command", v),
        fallback=lambda a: (
            "gunicorn --bind 0.0.0.0:$PORT app:app" if a.app_kind == "web" else "python -m worker"
        ),
        unfound="Nothing in this repository says how it starts",
        fallback_text="`gunicorn --bind 0.0.0.0:$PORT app:app` (web), else `python -m worker`",
    ),
    "app_port": Question(when=WEB, check=lambda a, v: checks.port_error("app_port", v), fallback=8000),
    "health_path": Question(when=WEB, check=lambda a, v: checks.health_error("health_path", v), fallback="/"),
    "probe_host": Question(
        when=WEB,
        check=lambda a, v: checks.host_error("probe_host", v),
        fallback="localhost",
        origin=lambda a, f: "",
        unfound="A guess: nothing names the hosts the app accepts",
    ),
    "release_command": Question(
        when=WEB, check=lambda a, v: checks.command_error("release_command", v, False), fallback=""
    ),
    "app_env_file": Question(
        when=WEB_DUAL,
        check=lambda a, v: checks.host_path_error("app_env_file", v),
        fallback="",
        origin=lambda a, f: "",
    ),
    "test_command": Question(
        check=lambda a, v: (
            checks.command_error("test_command", v)
            or checks.repository_tests_error(a.dst, a.project_dir, "test_command", v)
        ),
        fallback="python -m pytest",
    ),
    "test_setup_command": Question(
        check=lambda a, v: checks.command_error("test_setup_command", v, False), fallback=""
    ),
    "test_env": Question(check=lambda a, v: checks.env_error("test_env", v), fallback={}),
    "test_services": Question(
        check=lambda a, v: checks.services_error("test_services", v),
        fallback={},
        origin=lambda a, f: f"detected: {f.why}" if f is not None and f.value else "",
    ),
    "smoke_env": Question(
        when=WEB,
        check=lambda a, v: checks.env_error("smoke_env", v),
        fallback=lambda a: a.test_env or {},
        fallback_text="test_env (what the tests run with)",
        origin=lambda a, f: "",
    ),
    "load_paths": Question(
        when=WEB_DUAL, check=lambda a, v: checks.load_paths_error("load_paths", v), fallback=["/"]
    ),
    "build_command": Question(
        when=RUNS, check=lambda a, v: checks.command_error("build_command", v, False), fallback=""
    ),
    "dependency_layout": Question(
        check=lambda a, v: checks.repository_lock_error(a.dst, a.project_dir, "dependency_layout", v),
        fallback="requirements",
    ),
    "installer": Question(when=EXPORTED, fallback="uv"),
    "workspace_root": Question(
        when=UV,
        check=lambda a, v: checks.repository_workspace_error(a.dst, a.project_dir, "workspace_root", v),
        fallback=".",
    ),
    "workspace_package": Question(
        when=UV_MEMBER,
        check=lambda a, v: checks.repository_member_error(
            a.dst, a.project_dir, a.workspace_root, "workspace_package", v
        ),
        fallback="",
        origin=_detected_only,
    ),
    "requirements_file": Question(
        when=REQUIREMENTS,
        check=lambda a, v: (
            checks.path_error("requirements_file", v)
            or checks.repository_file_error(a.dst, "requirements_file", v, a.project_dir)
        ),
        fallback="requirements.txt",
        origin=lambda a, f: "detected" if f is not None else "nothing detected: no requirements file found",
    ),
    "test_requirements_file": Question(
        when=REQUIREMENTS,
        check=lambda a, v: (
            checks.path_error("test_requirements_file", v, False, a.requirements_file)
            or checks.repository_file_error(a.dst, "test_requirements_file", v, a.project_dir)
        ),
        fallback=lambda a: "requirements-dev.txt" if is_new(a.dst) else "",
        fallback_text="`requirements-dev.txt` for a new, empty repository, else empty (none)",
        origin=_detected_only,
    ),
    "test_extra": Question(
        when=NOT_REQUIREMENTS,
        check=lambda a, v: (
            (checks.name_error("test_extra", v) if v else "")
            or checks.repository_group_error(a.dst, a.project_dir, a.dependency_layout, "test_extra", v)
        ),
        fallback=lambda a: ("test" if a.dependency_layout == "pyproject" else "dev") if is_new(a.dst) else "",
        fallback_text="`test` (pyproject) or `dev` for a new, empty repository, else empty (none)",
        origin=_detected_only,
    ),
    "build_packages": Question(check=lambda a, v: checks.packages_error("build_packages", v), fallback=""),
    "runtime_packages": Question(
        when=RUNS, check=lambda a, v: checks.packages_error("runtime_packages", v), fallback=""
    ),
    "app_packages": Question(
        when=RUNS, check=lambda a, v: checks.requirements_error("app_packages", v), fallback=""
    ),
    "app_env": Question(when=RUNS, check=lambda a, v: checks.env_error("app_env", v), fallback={}),
    "image_excludes": Question(
        when=RUNS, check=lambda a, v: checks.paths_error("image_excludes", v), fallback=[]
    ),
    "writable_dirs": Question(
        when=RUNS, check=lambda a, v: checks.paths_error("writable_dirs", v, absolute=True), fallback=[]
    ),
    "state_dirs": Question(
        when=WEB,
        check=lambda a, v: (
            checks.state_dirs_error("state_dirs", v, a.writable_dirs)
            or checks.repository_state_error(a.dst, a.project_dir, "state_dirs", v)
        ),
        fallback=lambda a: a.writable_dirs or [],
        fallback_text="writable_dirs (everything the app writes is kept)",
        origin=lambda a, f: "writable_dirs",
    ),
    "code_writable": Question(
        when=RUNS, fallback=False, unfound="Nothing detected: the app writes only to writable_dirs"
    ),
    "scm_version": Question(
        fallback="", unfound="Nothing detected: the version is written in the project's files"
    ),
    "base_image": Question(check=lambda a, v: checks.image_error("base_image", v), fallback="python"),
    "debian_suite": Question(
        check=lambda a, v: checks.suite_error(v, [a.current_python, a.target_python]),
        fallback="bookworm",
        usable=lambda a, suite: (
            suite in ("bullseye", "bookworm", "trixie")
            and not checks.suite_error(suite, [a.current_python, a.target_python])
        ),
        origin=lambda a, f: f"detected: {f.why}" if f is not None and f.value == a.debian_suite else "",
    ),
    "ci_branches": Question(check=lambda a, v: checks.branches_error("ci_branches", v), fallback=["main"]),
    "bluegreen_runtime": Question(when=WEB, fallback="docker"),
    "kubernetes": Question(when=WEB, fallback=False),
    "image_repository": Question(
        when=KUBERNETES,
        check=lambda a, v: checks.image_error("image_repository", v),
        fallback=lambda a: slug(a.project_name),
        fallback_text="project_name as images spell it (a slug)",
        origin=lambda a, f: "",
    ),
    "kubernetes_env_from": Question(
        when=KUBERNETES,
        check=lambda a, v: checks.env_from_error("kubernetes_env_from", v),
        fallback={"configMaps": [], "secrets": []},
        origin=lambda a, f: "",
    ),
}


# ---------------------------------------------------------------------- what copier.yml's Jinja calls
def asked(answers: Answers, name: str) -> bool:
    """A question's `when`."""
    return QUESTIONS[name].when(answers)


def default(answers: Answers, name: str) -> object:
    """A question's default, as copier.yml's `default:` renders it (lists and mappings as JSON)."""
    value = QUESTIONS[name].default(answers, name)
    return json.dumps(value) if isinstance(value, (dict, list)) else ("" if value is None else value)


def check(answers: Answers, name: str) -> str:
    """A question's validator at a prompt. Without prompts (--defaults, Renovate's update) copier
    checks nothing; `check_all` checks every answer at the end instead, naming where each came from
    (copier would also drop a recorded answer that fails its validator, silently)."""
    if answers.conf("defaults"):
        return ""
    row = QUESTIONS[name]
    return row.check(answers, getattr(answers, name)) if row.check else ""


def _shown(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def found(answers: Answers, name: str) -> str:
    """The "Detected: ..." sentence of a question's help: the detected value and where it came from,
    "a guess" where it is one, or what the question's row says when nothing was found."""
    finding = answers.found(name)
    if finding is None or finding.value in ("", None, [], {}):
        if finding is not None and finding.why:
            return f"Nothing detected: {finding.why}."
        return f"{QUESTIONS[name].unfound}." if QUESTIONS[name].unfound else ""
    return f"Detected: {_shown(finding.value)}, {'' if finding.guess else 'from '}{finding.why}."


def python_found(answers: Answers) -> str:
    """current_python's help: every source that names a version, the one chosen and why, and the
    end-of-life note of the default."""
    finding = answers.found("current_python")
    text = ""
    if finding is not None and finding.notes:
        text = f"Found in this repository: {'; '.join(finding.notes)}."
        if finding.value:
            text += f" Default: {finding.why} (production sources win over support ranges)."
    else:
        text = "Nothing in this repository names a Python version."
    eol = end_of_life_note(
        str(finding.value if finding is not None and finding.value else "3.11"), answers.TODAY or ""
    )
    return text + (f" Note: {eol}." if eol else "")


def groups(answers: Answers) -> str:
    """test_extra's help: the extras and groups the project declares for its layout."""
    names = groups_of(locate(answers.dst, answers.project_dir)[1], str(answers.dependency_layout or ""))
    return f"This project declares: {', '.join(names)}." if names else "This project declares none."


def check_all(answers: Answers) -> str:
    """Every answer checked at once, for runs without prompts: the first error stops the copy with one
    line naming the question, the value, where it came from and the -d that fixes it; nothing is
    written. Answers given with -d or --data-file are named as such (copier merges both)."""
    given = answers.conf("data") or {}
    for name, row in QUESTIONS.items():
        if row.check is None or not row.when(answers):
            continue
        value = getattr(answers, name)
        error = row.check(answers, value)
        if not error:
            continue
        if name in given:
            shown = value if isinstance(value, str) and "\n" not in value else repr(value)
            source = f"-d or --data-file: {name}={shown}"
        else:
            finding = answers.found(name)
            origin = (
                row.origin(answers, finding)
                if row.origin
                else (
                    f"detected: {finding.why}"
                    if finding is not None and finding.value not in ("", None, [], {})
                    else ""
                )
            )
            source = (
                origin
                if origin.startswith("detected")
                else (f"the template's default{' (' + origin + ')' if origin else ''}")
            )
        raise UserMessageError(f"{error} (value from {source}; give another with -d {name}=...)")
    return ""


def unreadable(answers: Answers) -> str:
    """One line per repository file detection could not read, with what it assumed instead."""
    notes = {}
    for detection in answers._detections.values():
        notes |= detection.unreadable
    return "\n".join(f"Note: {path} could not be read: {why}." for path, why in sorted(notes.items()))


def ignored(answers: Answers) -> str:
    """One line per file the template wrote that the repository's git ignores (gitignore.py)."""
    return gitignore.notes(
        answers.dst,
        str(answers.project_dir or "."),
        str(answers.conf("answers_file") or ".copier-answers.yml"),
    )
