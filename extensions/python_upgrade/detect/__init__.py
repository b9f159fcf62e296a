"""Detection: what a repository says about itself, read from its files by each tool's documented
conventions, for the *defaults* of copier.yml's questions and the "where" in their help.

    detect(dst_path, project_dir) -> Detection: {question: Finding(value, why, guess, notes)}

Copier records the answers, so `copier update` replays them and never re-detects; nothing here is
rendered into a file. Read-only, tolerant of anything malformed (a file it cannot read or parse is
noted in `Detection.unreadable`).

Every detector is a small rule (detect/rule.py) in the module of its family: project.py (where the
project sits), python.py (which Python production runs), layout.py (dependencies), image.py (the old
image), starts.py + app.py (how the app runs), routes.py (health and load paths), ci.py (what CI
runs), services.py (what the tests need), storage.py (where the app keeps data on disk), django.py
(Django's settings). `RULES` below says which rules answer each question, in priority order: the
first that finds a value wins. A rule that reads
another question's detected value names it in `needs`, and that question is decided first.
"""

from __future__ import annotations

import collections
from pathlib import Path

from ..versions import STARTS
from . import app, ci, django, environment, image, layout, project, python, routes, services, storage
from .facts import Facts
from .files import Reading, is_new, locate, reading
from .rule import Finding, Rule

RULES: dict[str, tuple[type[Rule], ...]] = {
    "project_dir": (project.WorkspaceApp, project.ProjectFilesBelow),
    "current_python": (
        python.DockerfileFrom,
        python.PythonVersionFile,
        python.RuntimeTxt,
        python.PipfileVersion,
        python.TestedVersions,
        python.Classifiers,
        python.RequiresPython,
    ),
    # The old image first (what production runs), then the Procfile, compose and the code.
    "app_kind": (
        app.StartsAServer,
        app.ProcfileWorker,
        app.EntryPointAndServer,
        app.QueueWorker,
        app.EntryPointAndFramework,
        app.ServerDependency,
        app.ImageRunsAService,
        app.PackageOnly,
    ),
    "app_command": (app.ServerCommand, app.WorkerCommand),
    "app_port": (image.DockerfileExpose, app.ComposePorts, app.ServerPort),
    "health_path": (
        routes.DockerfileHealthcheck,
        routes.HealthRoute,
        routes.HealthLiteral,
        routes.DjangoAdminLogin,
        routes.FastAPIDocs,
        routes.RootPage,
    ),
    "probe_host": (django.AllowedHosts,),
    "release_command": (app.ReleaseSteps,),
    "build_command": (image.DockerfileBuildSteps, app.StartBuildSteps, app.WorkerBuildSteps),
    "test_command": (
        ci.CiTestStep,
        ci.ToxCommands,
        app.DjangoTestRunner,
        app.PytestConfigured,
        app.UnittestFiles,
    ),
    "test_setup_command": (ci.CiSetupSteps, app.DjangoStaticRoot),
    "test_env": (ci.CiTestEnv,),
    "test_services": (
        services.CiJobServices,
        services.CiComposeUp,
        services.CiJobWithoutServices,
        services.ComposeBackingServices,
    ),
    "smoke_env": (environment.StartSettings,),
    "load_paths": (routes.CodeRoutes, routes.RootPageLoad),
    # A lock names its tool; without one, the requirements files a project exports come before a Pipfile.
    "dependency_layout": (
        layout.LockFile,
        layout.RequirementsLayout,
        layout.PipfileWithoutLock,
        layout.PyprojectLayout,
    ),
    "requirements_file": (layout.ImageRequirements, layout.RequirementsFile),
    "test_requirements_file": (layout.TestRequirementsFile,),
    "test_extra": (layout.TestGroup,),
    "workspace_root": (project.WorkspaceLock,),
    "workspace_package": (project.WorkspaceMember,),
    "build_packages": (image.DockerfileBuildPackages,),
    "runtime_packages": (image.DockerfileRuntimePackages,),
    "app_packages": (image.DockerfileAppPackages,),
    "app_env": (storage.ComposeStatePaths, image.DockerfileEnv),
    "image_excludes": (image.PytestTestpaths, image.TestsDirectory),
    "writable_dirs": (storage.WritableDirectories,),
    "code_writable": (storage.CodeGivenToUser,),
    "scm_version": (image.GitVersion,),
    "debian_suite": (image.DockerfileSuite,),
    "ci_branches": (ci.RemoteDefaultBranch, ci.WorkflowPushBranches, ci.CheckedOutBranch),
}
# Rules whose empty answer still decides (`the test job has no services:`); for the others an empty
# value means "not found here", and the next rule is asked.
DECIDES_EMPTY = (services.CiJobWithoutServices, ci.CiSetupSteps, storage.WritableDirectories)
# How often each rule ran in this process (one copy runs each once): for profiling, and the tests.
RUNS: collections.Counter = collections.Counter()


class Detection:
    """{question: Finding} of one repository, each question decided when first asked (with the
    questions its rules need), each file read once; `unreadable` maps the files detection could not
    read to why."""

    def __init__(self, repo: Path, root: Path):
        self.exists = repo.is_dir()
        self.state = Reading(repo)
        self.facts = Facts(repo, root, new=is_new(repo))
        self.top = Facts(repo, repo)  # project_dir is found from the repository root
        self.decided: dict[str, Finding | None] = {}

    @property
    def unreadable(self) -> dict[str, str]:
        return dict(self.state.unreadable)

    def get(self, question: str, default: Finding | None = None) -> Finding | None:
        if question not in self.decided:
            for rule in RULES.get(question, ()):
                for needed in rule.needs:
                    self.get(needed)
            finding = None
            if self.exists and question in RULES:
                with reading(self.state):
                    finding = decide(question, self.top if question == "project_dir" else self.facts)
            self.decided[question] = finding
            if finding is not None:
                self.facts.findings[question] = finding
        found = self.decided[question]
        return found if found is not None else default

    def __getitem__(self, question: str) -> Finding:
        found = self.get(question)
        if found is None:
            raise KeyError(question)
        return found

    def __contains__(self, question: object) -> bool:
        return isinstance(question, str) and self.get(question) is not None

    def items(self) -> list[tuple[str, Finding]]:
        """Every question detection found, all of them decided."""
        return [(q, self.decided[q]) for q in order() if self.get(q) is not None]


def order(rules: dict[str, tuple[type[Rule], ...]] = RULES) -> list[str]:
    """The questions in an order where each comes after the questions its rules need."""
    done: list[str] = []

    def visit(question: str, path: tuple[str, ...]) -> None:
        if question in done:
            return
        if question in path:
            raise ValueError(f"detection rules need each other in a circle: {' -> '.join((*path, question))}")
        for rule in rules.get(question, ()):
            for needed in rule.needs:
                visit(needed, (*path, question))
        done.append(question)

    for question in rules:
        visit(question, ())
    return done


def decide(question: str, facts: Facts) -> Finding | None:
    """The finding of the first rule of a question that finds a value."""
    if question == "current_python":
        for rule in RULES[question]:
            RUNS[rule.__name__] += 1
        return python.python_finding(facts, RULES[question])
    for rule in RULES[question]:
        RUNS[rule.__name__] += 1
        found = rule().find(facts)
        if found is not None and (found[0] not in ("", None, {}, []) or rule in DECIDES_EMPTY):
            return rule.finding(found)
    return None


def detect(dst_path: object, project_dir: object = ".") -> Detection:
    """The findings for the repository at dst_path with the project in project_dir, decided as asked."""
    return Detection(*locate(dst_path, project_dir))


__all__ = ["RULES", "Detection", "Finding", "Rule", "STARTS", "detect", "is_new", "locate", "order"]
