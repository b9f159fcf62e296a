"""Helpers the templates call to write values the way each file needs them (Jinja filters and
globals): quoting, names, JSON, paths. Pure functions of their arguments."""

from __future__ import annotations

import json
import posixpath
import re
import shlex


def shell_quote(command: str) -> str:
    """One shell word, as tox and sh read it: a b -> 'a b'; it's -> 'it'"'"'s'."""
    return shlex.quote(str(command))


def slug(value: str) -> str:
    """A Docker-image-safe name: 'My App!' -> 'my-app'."""
    return re.sub(r"[^a-z0-9]+", "-", str(value).lower()).strip("-") or "app"


def data_json(value: object) -> str:
    """A rendered data file's JSON, as a person would write it (Jinja's tojson escapes ' < > &)."""
    return json.dumps(value, indent=2, sort_keys=True) + "\n"


def prefix(value: object, head: str) -> str:
    """head + value, as a filter over lists: paths | map("prefix", "backend/")."""
    return f"{head}{value}"


def looks_secret(names: object) -> bool:
    """Any of these variable names reads like a secret to linters (hadolint DL3064: key, secret,
    password, token, ...): the rendered ENV then says why that is not one."""
    return any(re.search(r"(?i)pass|secret|token|key|auth|credential|cert", str(n)) for n in (names or []))


def start_check(command: object) -> dict:
    """A shell test that the production image has what `command` runs: {'check', 'what'}.
    `gunicorn app:app` -> command -v gunicorn; `python -m uvicorn` -> the module is importable;
    `python manage.py runserver` -> manage.py is there. Leading VAR=value words and exec are skipped."""
    words = [w for w in shlex.split(str(command)) if w]
    while words and (re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", words[0]) or words[0] == "exec"):
        words.pop(0)
    if not words:
        return {"check": "true", "what": "nothing"}
    if re.fullmatch(r"python3?(\.\d+)?", words[0]) and len(words) > 2 and words[1] == "-m":
        module = words[2]
        return {
            "check": 'python -c "import importlib.util, sys; '
            f"sys.exit(importlib.util.find_spec('{module}') is None)\"",
            "what": f"the module {module}",
        }
    if re.fullmatch(r"python3?(\.\d+)?", words[0]) and len(words) > 1 and words[1].endswith(".py"):
        return {"check": f"test -f {shlex.quote(words[1])}", "what": words[1]}
    return {"check": f"command -v {shlex.quote(words[0])} >/dev/null", "what": words[0]}


def workspace_paths(project_dir: object, workspace_root: object) -> dict:
    """Where Docker builds from when project_dir is a uv workspace member whose lock sits above it:
    {'context': the build context relative to the repository root, 'from_project': the same relative
    to project_dir, 'member': project_dir relative to that context ('' when it is the context)}."""
    project = posixpath.normpath(str(project_dir or "."))
    up = posixpath.normpath(str(workspace_root or "."))
    context = posixpath.normpath(posixpath.join(project, up))
    member = "" if up == "." else posixpath.relpath(project, context)
    return {"context": context, "from_project": up, "member": member}
