"""Collect requirement files for the Dockerfile's dependency layers, includes and all.

    python requirements.py SOURCE OUT FILE [FILE ...]

Copies each FILE (relative to SOURCE) to OUT at the same relative path, and every file it includes
with -r/--requirement or -c/--constraint, recursively, so relative includes resolve as they do in
the repository. Lines that need the source tree (-e ., ./libs/pkg, file:...) are commented out in
the copies and gathered in OUT/.local-requirements.txt, which the Dockerfile installs after the source is copied.
A FILE whose requirements (includes too) carry --hash gets --require-hashes: pip turns that mode on by
itself, uv only checks the hashes that are there.
The dependency layers then depend on these files alone: a source change does not reinstall them.
Stdlib only; runs on any Python 3.
"""

import os
import re
import sys

INCLUDE = re.compile(r"^\s*(-r|--requirement|-c|--constraint)(?:\s+|=)(\S+)")
HASH = re.compile(r"(^|\s)--hash[=\s]")
LOCAL = re.compile(r"^\s*(?:(?:-e|--editable)(?:\s+|=))?(\.|\.\.|\.{1,2}/\S*|/\S+|file:\S+)(?:\s|$|\[)")


def collect(source, out, name, seen, local):
    """Copy one file and its includes; True when any of them has a --hash."""
    path = os.path.normpath(name)
    if path in seen:
        return seen[path]
    if not os.path.isfile(os.path.join(source, path)):
        sys.exit(f"requirements.py: {path} is named but does not exist")
    seen[path] = hashed = False
    lines = []
    with open(os.path.join(source, path)) as handle:
        for line in handle:
            include = INCLUDE.match(line)
            if include:
                included = collect(source, out, os.path.join(os.path.dirname(path), include.group(2)), seen, local)
                hashed |= included and include.group(1) in ("-r", "--requirement")  # constraints do not switch it on
            elif HASH.search(line.split(" #")[0]):
                hashed = True
            if LOCAL.match(line.split(" #")[0]):
                local.append(line.strip())
                line = "# installed with the source (python-upgrade/requirements.py): " + line
            lines.append(line)
    os.makedirs(os.path.join(out, os.path.dirname(path)), exist_ok=True)
    with open(os.path.join(out, path), "w") as handle:
        handle.writelines(lines)
    seen[path] = hashed
    return hashed


def main(argv):
    if len(argv) < 4:
        sys.exit(__doc__)
    source, out = argv[1], argv[2]
    seen, local = {}, []
    for name in argv[3:]:
        if collect(source, out, name, seen, local):
            path = os.path.join(out, os.path.normpath(name))
            with open(path) as handle:
                text = handle.read()
            with open(path, "w") as handle:
                handle.write("--require-hashes  # python-upgrade/requirements.py: this file pins hashes\n" + text)
    with open(os.path.join(out, ".local-requirements.txt"), "w") as handle:
        handle.write("# local requirements, installed after the source is copied\n")
        handle.writelines(line + "\n" for line in local)


if __name__ == "__main__":
    main(sys.argv)
