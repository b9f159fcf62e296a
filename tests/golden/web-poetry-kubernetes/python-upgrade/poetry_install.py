"""Install a Poetry project's dependency groups with Poetry running from a virtualenv of its own.

    python python-upgrade/poetry_install.py [--tool DIR] [--poetry VERSION] [--no-root | --only-root] [GROUP,GROUP...]

Poetry installs into the environment named by $VIRTUAL_ENV (tox's env, the image's /opt/venv) and
never into its own, so it cannot rewrite its own dependencies there. Only the groups the project
has are asked for: a project without runtime dependencies has no `main` group, and
`poetry install --only main` would fail on it. The tool virtualenv (DIR, default
.tox/.python-upgrade-poetry) is made once, with Poetry VERSION (the callers, tox and the Dockerfile,
name the version the template pins). Stdlib only.
"""

import argparse
import os
import subprocess
import sys
import venv

GROUPS = "from poetry.factory import Factory; print(','.join(Factory().create_poetry().package.dependency_group_names()))"


def tool(directory, version):
    """The tool virtualenv's bin directory, made (and Poetry VERSION installed) the first time."""
    bin_dir = os.path.join(directory, "Scripts" if os.name == "nt" else "bin")
    if not os.path.exists(os.path.join(bin_dir, "poetry")):
        if not version:
            sys.exit(f"poetry_install.py: no Poetry in {directory}: give --poetry VERSION to install one there")
        venv.create(directory, with_pip=True, clear=True)
        subprocess.run([os.path.join(bin_dir, "python"), "-m", "pip", "install", "--quiet",
                        "--disable-pip-version-check", f"poetry=={version}"], check=True)
    return bin_dir


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("groups", nargs="?", default="", help="comma-separated groups, e.g. main,dev")
    parser.add_argument("--tool", default=os.path.join(".tox", ".python-upgrade-poetry"))
    parser.add_argument("--poetry", metavar="VERSION", help="the Poetry to install in --tool if it has none")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--no-root", action="store_true", help="dependencies only, not the project itself")
    mode.add_argument("--only-root", action="store_true", help="the project itself only")
    args = parser.parse_args(argv)
    if not os.environ.get("VIRTUAL_ENV"):
        sys.exit("poetry_install.py: VIRTUAL_ENV is not set: which environment should Poetry install into?")
    bin_dir = tool(args.tool, args.poetry)
    # --compile: bytecode as it installs, as pip and uv do (a production image starts without compiling).
    command = [os.path.join(bin_dir, "poetry"), "install", "--no-interaction", "--compile"]
    if args.only_root:
        return subprocess.run(command + ["--only-root"], check=False).returncode
    have = subprocess.run([os.path.join(bin_dir, "python"), "-c", GROUPS], check=True, capture_output=True,
                          text=True).stdout.strip().split(",")
    wanted = [group for group in args.groups.split(",") if group in have]
    print(f"poetry_install.py: groups {','.join(wanted) or 'none'} (asked: {args.groups}; "
          f"the project has: {','.join(have)})")
    if not wanted:
        return 0 if args.no_root else subprocess.run(command + ["--only-root"], check=False).returncode
    only = ["--only", ",".join(wanted)] + (["--no-root"] if args.no_root else [])
    return subprocess.run(command + only, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
