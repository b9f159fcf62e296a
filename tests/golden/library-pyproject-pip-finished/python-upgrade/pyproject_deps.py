"""Print the dependencies that pyproject.toml declares, one per line, for `pip install -r`.

    python pyproject_deps.py pyproject.toml                    # [project] dependencies
    python pyproject_deps.py pyproject.toml --only-extra test  # one optional-dependencies extra

The Dockerfile uses it to install dependencies in a layer of their own, before the source is copied,
so that a source change does not reinstall them. Stdlib only (pip's vendored TOML reader where
the interpreter has no tomllib).
"""

import sys

try:
    import tomllib
except ImportError:  # tomllib is newer than this interpreter
    from pip._vendor import tomli as tomllib


def main(argv):
    if len(argv) not in (2, 4) or (len(argv) == 4 and argv[2] != "--only-extra"):
        sys.exit(__doc__)
    with open(argv[1], "rb") as handle:
        project = tomllib.load(handle).get("project", {})
    if "dependencies" in project.get("dynamic", []):
        sys.exit("pyproject_deps.py: [project] dependencies are dynamic; use dependency_layout=requirements")
    if len(argv) == 4:
        extras = project.get("optional-dependencies", {})
        if argv[3] not in extras:
            sys.exit(f"pyproject_deps.py: no optional-dependencies extra named {argv[3]!r} in {argv[1]}")
        deps = extras[argv[3]]
    else:
        deps = project.get("dependencies", [])
    # An extra may name the project itself ("app[other]"): those come with the project, skip them.
    name = project.get("name", "").lower().replace("_", "-")
    for dep in deps:
        if not dep.lower().replace("_", "-").startswith(name + "[") or not name:
            print(dep)


if __name__ == "__main__":
    main(sys.argv)
