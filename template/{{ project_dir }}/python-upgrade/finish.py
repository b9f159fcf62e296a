"""Finish the migration: the project's own files moved to the target, then our files (phase=finished).

    tox -c tox-python-upgrade.ini run -e finish            # or: python python-upgrade/finish.py
    python python-upgrade/finish.py --check                # what it would change; exit 1 if anything

For the day the target has run in production long enough. `copier update -d phase=finished` moves this
template's files only; the project's own still name the old version wherever they did. This moves each
reference the census finds (python-upgrade/census.py), in the file's own style:

  an application  every reference older than the target, in production images, run time, CI, tests and
                  tooling, becomes the target (`FROM python:3.9-slim-bookworm` keeps its variant and
                  suite: `python:3.10-slim-bookworm`; a tag without a suite gets debian_suite's, the
                  image the dual phase tested; a patch release is dropped, as the target's is not
                  known here); a list that already names the target loses the old entry (a CI matrix,
                  tox's env_list, classifiers); requires-python's lower bound moves up.
  a library       its users still run the old version: the target is added where the support range is
                  listed (CI matrix, tox's env_list, classifiers), nothing is dropped.

A reference it cannot move safely (a tox factor group, an exact version a tool needs such as asdf's) is
listed with file:line and left alone. Then, where copier is here (tox's env installs it), it runs
`copier update --trust --defaults --skip-answered -d phase=finished`, which needs the template's source
the answers name. A tree with uncommitted changes is refused in one line; a second run changes nothing.

Written by copier-python-upgrade (the template's python-upgrade/ folder); plain Python 3.8+, no
dependencies beyond copier for the last step. Edits here are yours; `copier update` merges them.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys

import census

HERE = os.path.dirname(os.path.abspath(__file__))
ANSWERS = ".copier-answers.python-upgrade.yml"
# Lock files record the range they were made for: a layout with one locks again after it moves.
LOCK_AGAIN = {"poetry": "poetry lock", "uv": "uv lock", "pdm": "pdm lock", "pipenv": "pipenv lock"}
# What an application moves; package metadata is handled apart (a range, classifiers).
MOVED = ("production image", "run time", "CI", "tests", "tooling")


def version_re(version: str) -> str:
    """A version token (3.9, 3.9.7, 3.9.*) not inside a longer number."""
    return rf"(?<![\d.]){re.escape(version)}(?:\.\d+|\.\*)?(?![\d])"


def replaced(text: str, old: str, new: str) -> str:
    """Each spelling of `old` in a line as `new`: 3.9(.7), py39, python3.9, --py39-plus."""
    major, minor = old.split(".")
    new_major, new_minor = new.split(".")
    text = re.sub(rf"(?<![\w.]){re.escape(old)}\.\*", f"{new}.*", text)
    text = re.sub(version_re(old), new, text)
    return re.sub(rf"\bpy{major}{minor}\b", f"py{new_major}{new_minor}", text)


def without(text: str, old: str) -> str | None:
    """An inline list's item naming `old` removed (`["3.9", "3.10"]`, `py39, py310`); None where the
    line is not such a list."""
    for item in (rf"[\"']?{version_re(old)}[\"']?", rf"py{old.replace('.', '')}\b"):
        new = re.sub(rf"\s*,\s*{item}(?=\s*[\],\n]|\s*$)|{item}\s*,\s*", "", text, count=1)
        if new != text:
            return new
    return None


def moved_range(text: str, old: str, target: str) -> str:
    """A range's lower bound moved from `old` to `target` (`>=3.8` -> `>=3.9`, `^3.8` -> `^3.9`,
    `==3.8.*` -> `==3.9.*`), and an upper bound that would exclude the target raised past it
    (`>=3.8,<3.9` -> `>=3.9,<3.10`)."""
    text = re.sub(
        rf"(>=|\^|~=|~|==)(\s*){version_re(old)}",
        lambda m: m.group(1) + m.group(2) + (f"{target}.*" if m.group(0).endswith(".*") else target),
        text,
    )
    major, minor = (int(n) for n in target.split("."))
    return re.sub(
        r"<(\s*)3\.(\d+)(?![\d.])",
        lambda m: m.group(0) if int(m.group(2)) > minor else f"<{m.group(1)}{major}.{minor + 1}",
        text,
    )


def read_answers(path: str) -> dict:
    """The answers copier recorded (`key: value` lines at the top level; lists and mappings skipped)."""
    answers = {}
    try:
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                m = re.match(r"^(\w+):\s*(?:'([^']*)'|\"([^\"]*)\"|([^\s#\[{][^#]*?))\s*$", line)
                if m:
                    answers[m.group(1)] = next(g for g in m.groups()[1:] if g is not None)
    except OSError:
        pass
    return answers


def plan(root: str, target: str, library: bool, layout: str = "", suite: str = "") -> tuple[dict, list[str]]:
    """({path: {line number: new line, or None to delete}}, [what is left, file:line and why])."""
    references = census.Census(root).run()
    edits: dict[str, dict[int, str | None]] = {}
    left = []
    lines_of: dict[str, list[str]] = {}

    def lines(path: str) -> list[str]:
        if path not in lines_of:
            with open(os.path.join(root, path), encoding="utf-8") as handle:
                lines_of[path] = handle.read().split("\n")
        return lines_of[path]

    targets = {(r["file"], r["setting"]) for r in references if target in r["versions"]}
    for r in references:
        old = [v for v in r["versions"] if census.key(v) < census.key(target)]
        if not old:
            continue
        where = f"{r['file']}:{r['line']}"
        text = lines(r["file"])[r["line"] - 1]
        kind, setting = r["kind"], r["setting"]
        if library:
            if target in r["versions"] or setting not in (
                "python-version",
                "python-version (matrix)",
                "tox env_list",
                "classifiers",
            ):
                continue
            newest = max(old, key=census.key)
            if setting == "classifiers":
                if (r["file"], "classifiers") in targets or r["versions"] != [newest]:
                    continue
                if newest != max(
                    (
                        v
                        for x in references
                        if x["setting"] == "classifiers" and x["file"] == r["file"]
                        for v in x["versions"]
                    ),
                    key=census.key,
                ):
                    continue
                edits.setdefault(r["file"], {})[r["line"]] = text + "\n" + replaced(text, newest, target)
            elif setting == "python-version (matrix)":
                if (r["file"], setting) not in targets and newest == max(
                    (
                        v
                        for x in references
                        if x["file"] == r["file"]
                        and x["setting"] == setting
                        and abs(x["line"] - r["line"]) < 10
                        for v in x["versions"]
                    ),
                    key=census.key,
                ):
                    edits.setdefault(r["file"], {})[r["line"]] = text + "\n" + replaced(text, newest, target)
            else:
                m = re.search(rf"[\"']?{version_re(newest)}[\"']?|py{newest.replace('.', '')}\b", text)
                if m and "," in text:
                    item = m.group(0)
                    edits.setdefault(r["file"], {})[r["line"]] = (
                        text[: m.end()] + ", " + replaced(item, newest, target) + text[m.end() :]
                    )
                else:
                    left.append(
                        f"{where}: {setting} names {', '.join(old)} (a library keeps it): add {target} by "
                        "hand"
                    )
            continue
        if kind == "package metadata":
            if setting == "classifiers":
                edits.setdefault(r["file"], {})[r["line"]] = (
                    None if (r["file"], "classifiers") in targets else replaced(text, old[0], target)
                )
            elif setting in ("requires-python", "Poetry's python") and layout in LOCK_AGAIN:
                left.append(
                    f"{where}: {setting} ({text.strip()}): {moved_range(text, old[0], target).strip()}, then "
                    f"`{LOCK_AGAIN[layout]}` (the lock records the range)"
                )
            elif setting in ("requires-python", "python_requires", "Poetry's python"):
                edits.setdefault(r["file"], {})[r["line"]] = moved_range(text, old[0], target)
            continue
        if kind not in MOVED:
            continue
        if setting == "[requires] python_version" and layout == "pipenv":
            left.append(
                f"{where}: {setting} ({text.strip()}): to {target}, then `pipenv lock` (Pipfile.lock "
                "holds the Pipfile's hash)"
            )
            continue
        if setting == ".tool-versions python":
            left.append(
                f"{where}: {setting} names an exact release ({text.strip()}): asdf needs the full "
                f"{target}.x you install"
            )
            continue
        if re.search(r"py3\{", text):
            left.append(f"{where}: {setting} ({text.strip()}): a factor group, move it by hand")
            continue
        if target in r["versions"] or (
            setting == "python-version (matrix)" and (r["file"], setting) in targets
        ):
            # A list that names the target already: the old entries go.
            if setting == "python-version (matrix)":
                edits.setdefault(r["file"], {})[r["line"]] = None
                continue
            new = text
            for version in old:
                new = without(new, version) or new
            if any(
                re.search(version_re(v), new) or re.search(rf"py{v.replace('.', '')}\b", new) for v in old
            ):
                left.append(f"{where}: {setting} ({text.strip()}): cannot drop {', '.join(old)} safely")
                continue
            edits.setdefault(r["file"], {})[r["line"]] = new
            continue
        new = text
        for version in old:
            new = replaced(new, version, target)
        if len(old) > 1:  # a list of old versions only: one entry, the target
            new = re.sub(rf"([\"']?{re.escape(target)}[\"']?)(?:\s*,\s*\1)+", r"\1", new)
        if suite and kind == "production image":
            # A suite the target has no image for (python:3.9-slim-buster moving to 3.12, which has no
            # buster image) becomes debian_suite, which both versions have (detection keeps the old
            # image's suite where the target has it too).
            new = re.sub(
                rf"(\bpython:{re.escape(target)}-(?:slim-)?)(buster|bullseye|bookworm|trixie|forky)\b",
                lambda m: m.group(1) + suite,
                new,
            )
            # An official tag without its Debian suite (python:3.9-slim) follows the newest suite: the
            # target's image is the one the dual phase tested, on debian_suite.
            new = re.sub(
                rf"(\bpython:{re.escape(target)})(-slim)?(?=[\s\"']|$)",
                lambda m: f"{m.group(0)}-{suite}",
                new,
            )
        edits.setdefault(r["file"], {})[r["line"]] = new
    return {p: e for p, e in edits.items() if any(v != lines(p)[n - 1] for n, v in e.items())}, left


def apply(root: str, edits: dict) -> None:
    for path, changes in edits.items():
        full = os.path.join(root, path)
        with open(full, encoding="utf-8") as handle:
            lines = handle.read().split("\n")
        for number in sorted(changes, reverse=True):
            if changes[number] is None:
                del lines[number - 1]
            else:
                lines[number - 1] = changes[number]
        with open(full, "w", encoding="utf-8") as handle:
            handle.write("\n".join(lines))


def git(root: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", root, *args], capture_output=True, text=True, check=False)


def copier_command() -> list[str] | None:
    if shutil.which("copier"):
        return ["copier"]
    try:
        import copier  # noqa: F401
    except ImportError:
        return None
    return [sys.executable, "-m", "copier"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if something would")
    parser.add_argument("--no-update", action="store_true", help="move the project's files only, not ours")
    args = parser.parse_args(argv)
    root = census.repository_root(os.path.dirname(HERE))
    answers = read_answers(os.path.join(root, ANSWERS))
    if not answers.get("target_python"):
        parser.error(f"no {ANSWERS} with a target_python in {root}: run it in a rendered repository")
    target = answers["target_python"]
    edits, left = plan(
        root,
        target,
        answers.get("app_kind") == "library",
        answers.get("dependency_layout", ""),
        answers.get("debian_suite", ""),
    )
    for path, changes in sorted(edits.items()):
        for number, new in sorted(changes.items()):
            print(
                f"finish: {path}:{number}: "
                + ("removed" if new is None else new.strip().replace("\n", " + "))
            )
    for line in left:
        print(f"finish: left: {line}")
    if args.check:
        if answers.get("phase") != "finished":
            print("finish: phase=finished would follow (copier update)", file=sys.stderr)
        if edits:
            print(
                f"finish: {sum(len(c) for c in edits.values())} line(s) would move to {target}",
                file=sys.stderr,
            )
        return 1 if edits or answers.get("phase") != "finished" else 0
    if git(root, "status", "--porcelain").stdout.strip():
        print(
            "finish: the tree has uncommitted changes: commit or stash them first (copier update needs a "
            "clean tree, and this run's changes should be one commit)",
            file=sys.stderr,
        )
        return 1
    update = None
    if answers.get("phase") == "finished":
        if not edits:
            print(
                f"finish: nothing to move: no reference older than {target} is left, phase=finished",
                file=sys.stderr,
            )
            return 0
    elif not args.no_update:
        command = copier_command()
        if command is None:
            print(
                "finish: copier is not here: run `copier update --trust --defaults --skip-answered -d "
                "phase=finished` afterwards (tox -e finish installs it)",
                file=sys.stderr,
            )
        else:
            update = subprocess.run(
                [
                    *command,
                    "update",
                    "--trust",
                    "--defaults",
                    "--skip-answered",
                    "--quiet",
                    "-d",
                    "phase=finished",
                    "--answers-file",
                    ANSWERS,
                ],
                cwd=root,
                check=False,
            )
            if update.returncode:
                print(
                    f"finish: copier update failed (exit {update.returncode}); the project's files are as "
                    "they were",
                    file=sys.stderr,
                )
                return update.returncode
    apply(root, edits)
    moved = sum(len(c) for c in edits.values())
    print(
        f"finish: {moved} line(s) moved to {target}"
        + (", phase=finished" if update is not None else "")
        + (f"; {len(left)} left (above)" if left else "")
        + ": review `git diff`, then commit",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
