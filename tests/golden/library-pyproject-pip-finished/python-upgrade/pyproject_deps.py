"""Print the dependencies that pyproject.toml declares, one per line, for `pip install -r`.

    python pyproject_deps.py pyproject.toml                    # [project] dependencies
    python pyproject_deps.py pyproject.toml --only-extra test  # one extra, or a [dependency-groups] group

The Dockerfile uses it to install dependencies in a layer of their own, before the source is copied,
so that a source change does not reinstall them. Stdlib only (pip's vendored TOML reader where
the interpreter has no tomllib).
"""

import sys

try:
    import tomllib
except ImportError:  # tomllib is newer than this interpreter
    from pip._vendor import tomli as tomllib


def group(groups, name, seen=()):
    """A PEP 735 dependency group with its {include-group = ...} entries expanded."""
    deps = []
    for entry in groups.get(name, []):
        if isinstance(entry, dict) and entry.get("include-group") not in seen + (name,):
            deps += group(groups, entry["include-group"], seen + (name,))
        elif isinstance(entry, str):
            deps.append(entry)
    return deps


def main(argv):
    if len(argv) not in (2, 4) or (len(argv) == 4 and argv[2] != "--only-extra"):
        sys.exit(__doc__)
    with open(argv[1], "rb") as handle:
        data = tomllib.load(handle)
    project = data.get("project", {})
    if "dependencies" in project.get("dynamic", []):
        sys.exit("pyproject_deps.py: [project] dependencies are dynamic; use dependency_layout=requirements")
    if len(argv) == 4:
        extras = project.get("optional-dependencies", {})
        groups = data.get("dependency-groups", {})
        if argv[3] in extras:
            deps = extras[argv[3]]
        elif argv[3] in groups:
            deps = group(groups, argv[3])
        else:
            sys.exit(f"pyproject_deps.py: no extra or dependency group named {argv[3]!r} in {argv[1]}")
    else:
        deps = project.get("dependencies", [])
    # An extra may name the project itself ("app[other]"): those come with the project, skip them.
    name = project.get("name", "").lower().replace("_", "-")
    for dep in deps:
        if not dep.lower().replace("_", "-").startswith(name + "[") or not name:
            print(dep)


if __name__ == "__main__":
    main(sys.argv)
