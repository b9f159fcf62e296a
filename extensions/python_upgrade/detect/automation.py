"""What a command of the project's own automation ends up running, followed the way each tool documents
its file: a Makefile target's recipe, a justfile recipe, an npm script, a gulp task's spawned commands,
a nox session's session.run calls, a shell script of the repository (with or without .sh).

    resolve("uv run make test", repo) -> ["pytest -rf --cov=CTFd ... -n auto"]

A line that is none of those resolves to itself (cleaned: runner prefixes dropped). Following stops
three levels deep, and at a file it cannot read.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

from .files import read
from .shell import clean_command, script_lines

_DEPTH = 3


def _words(line: str) -> list[str]:
    try:
        return shlex.split(line)
    except ValueError:
        return line.split()


def make_recipe(directory: Path, target: str, makefile: str = "") -> list[str] | None:
    """The recipe lines of a Makefile target (`@`/`-` prefixes dropped, continuations joined)."""
    names = [makefile] if makefile else ["GNUmakefile", "makefile", "Makefile"]
    for name in names:
        text = read(directory / name)
        if not text:
            continue
        text = re.sub(r"\\\n[ \t]*", " ", text)
        m = re.search(rf"(?m)^{re.escape(target)}\s*:(?!=)[^\n]*\n((?:\t[^\n]*\n?|[ \t]*\n)*)", text)
        if m:
            return [
                line.strip().lstrip("@-").strip()
                for line in m.group(1).splitlines()
                if line.strip() and not line.strip().startswith("#")
            ]
        return None
    return None


def just_recipe(directory: Path, target: str) -> list[str] | None:
    """The lines of a justfile recipe (indented lines after `name:` or `name args:`)."""
    for name in ("justfile", "Justfile", ".justfile"):
        text = read(directory / name)
        if not text:
            continue
        m = re.search(
            rf"(?m)^@?{re.escape(target)}(?:\s+[^:\n]*)?:[^\n]*\n"
            r"((?:[ \t]+[^\n]*\n?|[ \t]*\n)*)",
            text,
        )
        return (
            [
                line.strip().lstrip("@-").strip()
                for line in m.group(1).splitlines()
                if line.strip() and not line.strip().startswith("#")
            ]
            if m
            else None
        )
    return None


def npm_script(directory: Path, target: str) -> list[str] | None:
    """package.json's scripts.TARGET, split at && and ;."""
    try:
        scripts = json.loads(read(directory / "package.json") or "{}").get("scripts") or {}
    except ValueError:
        return None
    command = scripts.get(target)
    return (
        [part.strip() for part in re.split(r"&&|;", command) if part.strip()]
        if isinstance(command, str)
        else None
    )


def gulp_task(directory: Path, target: str) -> list[str] | None:
    """The commands a gulp task runs: the function `gulp.task("NAME", fn)` or `exports.NAME = fn` names,
    its spawn("prog", ["arg", ...]) and exec/execSync("command") calls, in order."""
    text = read(directory / "gulpfile.js")
    if not text:
        return None
    named = re.search(rf"""gulp\.task\(\s*["']{re.escape(target)}["']\s*,\s*(\w+)""", text) or re.search(
        rf"exports\.{re.escape(target)}\s*=\s*(\w+)", text
    )
    if not named:
        return None
    body = re.search(rf"function\s+{named.group(1)}\s*\([^)]*\)\s*\{{(.*?)\n\}}", text, re.S)
    if not body:
        return None
    commands = []
    for m in re.finditer(
        r"""(?:spawn|spawnSync)\(\s*["']([\w.-]+)["']\s*,\s*\[([^\]]*)\]"""
        r"""|\b(?:es|exec|execSync)\(\s*["']([^"']+)["']""",
        body.group(1),
    ):
        if m.group(1):
            args = re.findall(r"""["']([^"']*)["']""", m.group(2))
            commands.append(" ".join([m.group(1), *args]))
        else:
            commands.append(m.group(3))
    return commands


def nox_session(directory: Path, target: str | None) -> list[str] | None:
    """The session.run(...) calls of a nox session (the first one when none is named)."""
    text = read(directory / "noxfile.py")
    if not text:
        return None
    sessions = re.findall(r"@nox\.session[^\n]*\n\s*def\s+(\w+)\([^)]*\):\n((?:[ \t]+[^\n]*\n?|\n)*)", text)
    for name, body in sessions:
        if target in (None, name):
            return [
                " ".join(re.findall(r"""["']([^"']+)["']""", args))
                for args in re.findall(r"session\.run\(([^)]*)\)", body)
            ]
    return None


def _target(words: list[str], flags_with_values: set[str]) -> tuple[str | None, dict]:
    options, target, skip = {}, None, None
    for word in words:
        if skip:
            options[skip], skip = word, None
        elif word in flags_with_values:
            skip = word
        elif word.startswith("-") or "=" in word:
            continue
        elif target is None:
            target = word
    return target, options


def resolve(line: str, directory: Path, repo: Path, depth: int = _DEPTH) -> list[str]:
    """The command lines `line` runs in `directory`, followed into the project's automation."""
    command = clean_command(line)
    if depth <= 0:
        return [command]
    words = _words(command)
    if not words:
        return []
    head, rest = words[0], words[1:]
    found: list[str] | None = None
    where = directory
    if head in ("make", "gmake"):
        target, options = _target(rest, {"-C", "-f", "--directory", "--file", "-j"})
        where = directory / (options.get("-C") or options.get("--directory") or ".")
        found = (
            make_recipe(where, target or "", options.get("-f") or options.get("--file") or "")
            if target
            else None
        )
    elif head == "just":
        target, _ = _target(rest, {"-f", "--justfile", "-d", "--working-directory"})
        found = just_recipe(directory, target) if target else None
    elif head in ("npm", "yarn", "pnpm") and rest:
        target = rest[1] if rest[0] == "run" and len(rest) > 1 else rest[0]
        found = npm_script(directory, target)
    elif head == "gulp" or (head == "npx" and rest[:1] == ["gulp"]):
        args = rest[1:] if head == "npx" else rest
        found = gulp_task(directory, args[0] if args else "default")
    elif head == "nox":
        target, options = _target(rest, {"-s", "--session", "-e", "-f", "--noxfile"})
        found = nox_session(directory, options.get("-s") or options.get("--session") or options.get("-e"))
    else:
        script = head if head not in ("bash", "sh") or not rest else rest[0]
        path = (
            (directory / script).resolve()
            if re.fullmatch(r"\.?/?[\w./-]+", script) and "/" in script or (script.endswith(".sh"))
            else None
        )
        if (
            path is not None
            and path.is_file()
            and path.is_relative_to(repo.resolve())
            and path.suffix != ".py"
        ):
            # The script's lines; its "$@" is what the caller passes (tox appends its own arguments).
            found = [re.sub(r'\s*"?\$\{?[@*]\}?"?', "", line) for line in script_lines(read(path))]
    if found is None:
        return [command]
    return [resolved for step in found for resolved in resolve(step, where, repo, depth - 1)]
