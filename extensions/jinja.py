"""What copier loads (copier.yml's `_jinja_extensions`, through copier-template-extensions): the
template's Jinja globals, filters and tests, and the context hook that adds the derived values.

The logic lives in the package beside this file, `extensions/python_upgrade/` (plain modules with
normal imports, unit-tested): versions.py, pins.py, checks.py, questions.py, detect/, context.py,
filters.py. Copier loads extensions by file path, so this file loads that package by path too, under
a name unique to this template folder: `copier update` renders the old and the new release of the
template in one process, and each must get its own code.
"""

from __future__ import annotations

import datetime
import hashlib
import importlib
import importlib.util
import sys
from pathlib import Path

from jinja2 import pass_context
from jinja2.ext import Extension

try:
    from copier_template_extensions import ContextHook
except ImportError:  # imported without the loader installed
    ContextHook = Extension


def _package() -> str:
    """The name python_upgrade/ is imported under for this folder (imported the first time)."""
    folder = Path(__file__).resolve().with_name("python_upgrade")
    name = "_python_upgrade_" + hashlib.sha256(str(folder).encode()).hexdigest()[:12]
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, folder / "__init__.py", submodule_search_locations=[str(folder)]
        )
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return name


PACKAGE = _package()
checks = importlib.import_module(f"{PACKAGE}.checks")
context = importlib.import_module(f"{PACKAGE}.context")
filters = importlib.import_module(f"{PACKAGE}.filters")
pins = importlib.import_module(f"{PACKAGE}.pins")
questions = importlib.import_module(f"{PACKAGE}.questions")
versions = importlib.import_module(f"{PACKAGE}.versions")

# Functions the templates call, as globals and as filters: {{ py_tag(v) }} or {{ v | py_tag }}.
EXPORTS = {
    f.__name__: f
    for f in (
        versions.py_tag,
        versions.next_minor,
        versions.versions_between,
        versions.removed_modules,
        versions.release_date,
        versions.end_of_life,
        versions.has_free_threading,
        versions.end_of_life_note,
        versions.debian_packages,
        filters.shell_quote,
        filters.slug,
        filters.data_json,
        filters.prefix,
        filters.looks_secret,
        filters.start_check,
        filters.workspace_paths,
        checks.suite_error,
        pins.poetry_for,
        pins.poetry_versions,
    )
}
# What copier.yml's questions call with the answers so far: their when, default, check and help.
QUESTION_FUNCTIONS = {
    "question_asked": questions.asked,
    "question_default": questions.default,
    "question_check": questions.check,
    "question_found": questions.found,
    "question_python_found": questions.python_found,
    "question_groups": questions.groups,
    "check_answers": questions.check_all,
    "unreadable_files": questions.unreadable,
    "ignored_files": questions.ignored,
}


class Globals(Extension):
    """The template's globals and filters, and the question functions over one detection per copy."""

    def __init__(self, environment):
        super().__init__(environment)
        detections: dict = {}  # this copy's detection, shared by every question: each rule runs once

        def with_answers(function):
            @pass_context
            def call(render_context, *args):
                return function(questions.Answers(render_context, detections), *args)

            return call

        environment.globals.update(EXPORTS)
        environment.filters.update(EXPORTS)
        environment.tests["free_threaded"] = versions.free_threaded
        environment.globals.update({name: with_answers(f) for name, f in QUESTION_FUNCTIONS.items()})
        environment.globals.update({f"{tool}_version": version for tool, version in pins.TOOLS.items()})
        environment.globals.update(
            SUPPORTED=list(versions.SUPPORTED),
            GATES=dict(pins.GATES),
            KUBERNETES_RESOURCES=dict(pins.KUBERNETES_RESOURCES),
            DEBIAN_GLIBC=dict(versions.DEBIAN_GLIBC),
            SCM_VERSION_ENV=dict(pins.SCM_VERSION_ENV),
        )
        # The one impure input, made here and passed to the pure functions: the day of the render.
        environment.globals["TODAY"] = datetime.date.today().isoformat()


class DerivedContext(ContextHook):
    """Adds context.derived(answers) to the context of every rendered file."""

    def hook(self, render_context: dict) -> None:
        render_context.update(context.derived(render_context))
