"""python-upgrade-fleet: the migration across a fleet of repositories.

    python-upgrade-fleet status [--json | --markdown | --html FILE] [--template SRC] [--audit]
                                [--bluegreen-state NAME=FILE]... PATH...
    python-upgrade-fleet apply [--template SRC] [--data-file ORG.yml] [-d KEY=VALUE]... [--vcs-ref REF]
                               [--branch NAME] [--jobs N] [--dry-run] [--json] [--push] [--finish] PATH...

Each PATH is a repository checkout or a folder of checkouts (one level down).
status: exit 0 when no repository needs action, 1 when any is behind its template, past end of
life, past its retire date, blocked by its audit or has a problem, 2 on usage errors.
apply: copies the template into each repository that lacks it and updates those that have it, each
on a new branch (default python-upgrade/<current>-to-<target>), committed; a repository with
uncommitted changes, a conflict or a refused answer is left exactly as it was and reported. With
--finish, a repository in the dual phase past its retire date is finished instead (its own
python-upgrade/finish.py: its references moved to the target, then phase=finished). Exit 1
when any repository failed, 2 on usage errors; stopped by SIGINT or SIGTERM, the repositories in
progress are left as they were (their branch undone) and it exits 130 or 143.
"""

from __future__ import annotations

import argparse
import datetime
import json
import signal
import sys
from pathlib import Path

from python_upgrade_fleet import render
from python_upgrade_fleet.apply import DEFAULT_BRANCH, Stopped, apply, stop_on_signals
from python_upgrade_fleet.status import status


def main(argv: list[str] | None = None) -> int:
    # The whole docstring: the usage of both verbs and their exit codes, as written.
    parser = argparse.ArgumentParser(
        prog="python-upgrade-fleet", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    verbs = parser.add_subparsers(dest="verb", required=True)
    show = verbs.add_parser("status", help="where each repository stands")
    formats = show.add_mutually_exclusive_group()
    formats.add_argument("--json", action="store_true", help="the documented JSON (README: Fleet)")
    formats.add_argument("--markdown", action="store_true", help="a Markdown table")
    formats.add_argument("--html", metavar="FILE", help="one self-contained page with the table and charts")
    show.add_argument(
        "--template",
        help="the template's repository (path or URL) whose tags count as releases; "
        "default: each repository's _src_path",
    )
    show.add_argument("--audit", action="store_true", help="run each repository's audit now (no tests)")
    show.add_argument(
        "--bluegreen-state",
        action="append",
        default=[],
        metavar="NAME=FILE",
        help="the blue-green state file of a repository (NAME: its folder name or path), e.g. "
        "copied from its host; default: the state dir its bluegreen.conf names, if on this host",
    )
    show.add_argument("--today", help=argparse.SUPPRESS)  # tests: judge deadlines against a fixed day
    show.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    roll = verbs.add_parser("apply", help="copy or update the template in each repository, on a branch")
    roll.add_argument(
        "--template", help="the template (path or URL); default: each rendered repository's _src_path"
    )
    roll.add_argument(
        "--data-file", help="answers every repository gets (the organisation's file, as copier's --data-file)"
    )
    roll.add_argument(
        "-d", "--data", action="append", default=[], metavar="KEY=VALUE", help="an answer, as copier's -d"
    )
    roll.add_argument(
        "--vcs-ref", help="the template release (a tag) to copy or update to; default: its newest"
    )
    roll.add_argument(
        "--branch",
        default=DEFAULT_BRANCH,
        help="the new branch ({current}, {target} and {phase} are filled in; default %(default)s)",
    )
    roll.add_argument("--jobs", type=int, default=1, help="repositories at once")
    roll.add_argument("--dry-run", action="store_true", help="say what would happen, change nothing")
    roll.add_argument("--json", action="store_true", help="the results as JSON")
    roll.add_argument("--push", action="store_true", help="push each new branch to its remote (origin)")
    roll.add_argument(
        "--finish",
        action="store_true",
        help="finish the repositories past their retire date (python-upgrade/finish.py) instead of updating",
    )
    roll.add_argument("--today", help=argparse.SUPPRESS)  # tests: judge the retire date against a fixed day
    roll.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    args = parser.parse_args(argv)

    missing = [str(p) for p in args.paths if not p.exists()]
    if missing:
        parser.error(f"no such path: {', '.join(missing)}")
    if args.verb == "apply":
        return run_apply(parser, args)
    today = datetime.date.fromisoformat(args.today) if args.today else None
    states = {}
    for pair in args.bluegreen_state:
        name, sep, file = pair.partition("=")
        if not sep or not name or not Path(file).is_file():
            parser.error(f"--bluegreen-state {pair}: give NAME=FILE, FILE an existing state file")
        states[name] = Path(file)
    report = status(args.paths, today=today, template=args.template, audit=args.audit, states=states)
    if args.json:
        print(json.dumps(report, indent=2))
    elif args.html:
        Path(args.html).write_text(render.page(report))
        print(f"{args.html}: {len(report['repos'])} repositories")
    else:
        print(render.markdown(report), end="")
    return 1 if any(row["needs_action"] for row in report["repos"]) else 0


def run_apply(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    if args.data_file and not Path(args.data_file).is_file():
        parser.error(f"--data-file {args.data_file}: no such file")
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    bad = next((pair for pair in args.data if "=" not in pair), None)
    if bad:
        parser.error(f"-d {bad}: give KEY=VALUE")

    def progress(result: dict) -> None:
        if not args.json:
            mark = "ok  " if result["ok"] else "FAIL"
            print(f"{mark} {result['path']}: {result['reason']}", flush=True)

    stop_on_signals()
    try:
        results = apply(
            args.paths,
            template=args.template,
            data_file=args.data_file,
            data=args.data,
            branch=args.branch,
            jobs=args.jobs,
            vcs_ref=args.vcs_ref,
            dry_run=args.dry_run,
            push=args.push,
            progress=progress,
            finish=(args.today or datetime.date.today().isoformat()) if args.finish else None,
        )
    except Stopped as stopped:
        name = signal.Signals(stopped.signum).name
        print(
            f"python-upgrade-fleet apply: stopped by {name}; the repositories in progress are as they were",
            file=sys.stderr,
        )
        return 128 + stopped.signum
    if args.json:
        print(json.dumps({"repos": results}, indent=2))
    else:
        print()
        print("| repository | action | versions | template | branch | result |")
        print("|---|---|---|---|---|---|")
        for r in results:
            print(
                f"| {r['path']} | {r['action'] or ''} | {r['versions'] or ''} | "
                f"{r['template_version'] or ''} | {r['branch'] or ''} | "
                f"{'ok' if r['ok'] else 'FAILED: ' + r['reason']} |"
            )
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
