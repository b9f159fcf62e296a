"""Where the app keeps data on disk, for writable_dirs (and state_dirs, which defaults to it): Django's
MEDIA_ROOT, the directory of an SQLite database its settings or a database URL name, and the old
image's VOLUMEs and `mkdir`s.

An SQLite file in the project's root or a package's directory is not in a directory both colors can
share (it sits beside the code in /app): it is named in the answer's help, with the way out, and not
answered."""

from __future__ import annotations

import ast
import re
from pathlib import Path, PurePosixPath

from .. import dockerfile
from . import image
from .django import settings_files
from .environment import EXAMPLE_ENV_FILES
from .files import read
from .rule import Rule
from .services import dotenv
from .starts import compose_state_paths

# `sqlite:///relative/app.db`, `sqlite:////absolute/app.db` (SQLAlchemy, dj-database-url, databases).
_SQLITE_URL = re.compile(r"""\bsqlite(?:\+\w+)?:///([^\s"'?]+)""")
_SQLITE_PREFIX = re.compile(r"^sqlite(?:\+\w+)?:///$")
_SQLITE_FILE = re.compile(r"\.(?:sqlite3?|db)$")
# A name settings give the project's directory (Django's BASE_DIR, Flask's basedir), where the module
# that sets it is not read (`from .base import *` elsewhere): taken for the project's root.
_BASE = re.compile(r"^(?:[A-Z_]*(?:DIR|ROOT|PATH)|basedir|base_dir|BASEDIR|here|HERE)$")
# Settings naming a directory the app writes files to: Django's media, Flask's usual upload settings.
_UPLOAD_SETTINGS = ("MEDIA_ROOT", "UPLOAD_FOLDER", "UPLOAD_DIR", "UPLOADS_DEFAULT_DEST")
_SAME = {"abspath", "realpath", "normpath", "Path", "PurePath", "str", "fspath", "resolve", "absolute"}


class ModulePaths:
    """The paths a settings or config module builds, each as the project sees it: "a/b" under the
    project's root ("." for the root), "/x/y" absolute, None where it cannot be known. Module-level
    names are evaluated in order (`BASE_DIR = Path(__file__).resolve().parent.parent`, `PROJECT_DIR =
    os.path.dirname(os.path.dirname(os.path.abspath(__file__)))`), shared by the modules read together
    (a settings package's base module first)."""

    def __init__(self, root: Path, names: dict[str, str] | None = None):
        self.root = root
        self.names: dict[str, str] = names if names is not None else {}
        self.file = "."

    def read(self, path: Path) -> ast.Module | None:
        try:
            tree = ast.parse(read(path))
        except (SyntaxError, ValueError):
            return None
        self.file = path.relative_to(self.root).as_posix()
        for node in tree.body:
            if (
                isinstance(node, ast.Assign)
                and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)
            ):
                value = self.value(node.value)
                if value is not None:
                    self.names.setdefault(node.targets[0].id, value)
        return tree

    @staticmethod
    def _parent(path: str | None, times: int = 1) -> str | None:
        for _ in range(times):
            if path is None or path == "/":
                return None
            parent = str(PurePosixPath(path).parent) if path != "." else None
            path = parent
        return path

    @staticmethod
    def _join(path: str | None, part: str) -> str | None:
        if path is None:
            return None
        if part.startswith("/"):
            return part
        joined = PurePosixPath(path, part).as_posix()
        return None if ".." in PurePosixPath(joined).parts else str(PurePosixPath(joined))

    def value(self, node: ast.AST) -> str | None:
        """The path an expression builds, or None."""
        if isinstance(node, ast.Name):
            if node.id == "__file__":
                return self.file
            return self.names.get(node.id, "." if _BASE.match(node.id) else None)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("/"):
            return node.value.rstrip("/") or "/"
        if isinstance(node, ast.IfExp):  # `... if DEBUG else <production's>`
            debug = "DEBUG" in ast.unparse(node.test)
            negated = isinstance(node.test, ast.UnaryOp) and isinstance(node.test.op, ast.Not)
            first, second = (node.orelse, node.body) if debug and not negated else (node.body, node.orelse)
            value = self.value(first)
            return value if value is not None else self.value(second)
        if isinstance(node, ast.Call) and ast.unparse(node.func) in ("os.environ.get", "os.getenv", "getenv"):
            default = node.args[1] if len(node.args) == 2 else None  # the value where nothing is set
            return self.value(default) if default is not None else None
        if isinstance(node, ast.Attribute) and node.attr == "parent":
            return self._parent(self.value(node.value))
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute):
            if node.value.attr == "parents" and isinstance(node.slice, ast.Constant):
                return self._parent(self.value(node.value.value), int(node.slice.value) + 1)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            right = node.right
            if isinstance(right, ast.Constant) and isinstance(right.value, str):
                return self._join(self.value(node.left), right.value)
        if isinstance(node, ast.Call):
            func = node.func
            name = (
                func.attr
                if isinstance(func, ast.Attribute)
                else func.id
                if isinstance(func, ast.Name)
                else ""
            )
            if name in ("resolve", "absolute") and isinstance(func, ast.Attribute) and not node.args:
                return self.value(func.value)
            if name == "dirname" and len(node.args) == 1:
                return self._parent(self.value(node.args[0]))
            if name in _SAME and len(node.args) == 1:
                return self.value(node.args[0])
            if name == "join" and node.args and ast.unparse(func) != "str.join":
                path = self.value(node.args[0])
                for arg in node.args[1:]:
                    if isinstance(arg, ast.Call) and ast.unparse(arg.func) in ("os.environ.get", "os.getenv"):
                        arg = arg.args[1] if len(arg.args) == 2 else arg
                    if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
                        return None
                    path = self._join(path, arg.value)
                return path
        return None

    def sqlite_file(self, node: ast.AST) -> str | None:
        """The database file an SQLite URL names: a literal, `"sqlite:///" + <path>`, or an f-string."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            m = _SQLITE_URL.search(node.value)
            return m.group(1) if m else None
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left = node.left
            if (
                isinstance(left, ast.Constant)
                and isinstance(left.value, str)
                and _SQLITE_PREFIX.match(left.value)
            ):
                return self.value(node.right)
        if isinstance(node, ast.JoinedStr) and node.values:
            head = node.values[0]
            if (
                isinstance(head, ast.Constant)
                and isinstance(head.value, str)
                and head.value.startswith("sqlite")
            ):
                text = ""
                for part in node.values:
                    if isinstance(part, ast.Constant):
                        text += str(part.value)
                    else:
                        path = self.value(part.value) if isinstance(part, ast.FormattedValue) else None
                        if path is None:
                            return None
                        text += path
                m = _SQLITE_URL.search(text)
                return m.group(1) if m else None
        return None


def _in_module(paths: ModulePaths, tree: ast.Module) -> tuple[list[tuple[str, str]], list[str]]:
    """([(upload directory, setting)], [SQLite files]) a module names."""
    uploads, databases = [], []
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            if node.targets[0].id in _UPLOAD_SETTINGS:
                uploads.append((paths.value(node.value), node.targets[0].id))
    for node in ast.walk(tree):
        database = paths.sqlite_file(node)
        if database is None and isinstance(node, ast.Dict):  # Django's {"ENGINE": ...sqlite3, "NAME": ...}
            values = {k.value: v for k, v in zip(node.keys, node.values) if isinstance(k, ast.Constant)}
            engine = values.get("ENGINE")
            if "NAME" in values and isinstance(engine, ast.Constant) and "sqlite" in str(engine.value):
                name = values["NAME"]
                options = name.values if isinstance(name, ast.BoolOp) else [name]
                database = next((p for p in map(paths.value, options) if p is not None), None)
        if database is None and isinstance(node, (ast.BinOp, ast.Call)):
            built = paths.value(node)
            database = built if built and _SQLITE_FILE.search(built) else None
        if database:
            databases.append(database)
    return [u for u in uploads if u[0]], databases


def stored(root: Path, sources: list[Path]) -> tuple[dict[str, str], dict[str, str]]:
    """({upload directory: where}, {SQLite file: where}), each as the app sees it from the project's
    root (relative, or absolute), from Django's settings, the project's config modules and its example
    environment file. `:memory:` and test databases are left out."""
    uploads: dict[str, str] = {}
    databases: dict[str, str] = {}
    config = [p for p in sources if re.search(r"settings|config|conf$|database|db", p.stem)]
    # A settings package's modules share their names (`from .base import *`): base first.
    ordered = sorted(dict.fromkeys(settings_files(root) + config), key=lambda p: (p.stem != "base", str(p)))
    shared: dict[str, dict[str, str]] = {}
    for path in ordered:
        paths = ModulePaths(root, shared.setdefault(str(path.parent), {}))
        tree = paths.read(path)
        if tree is None:
            continue
        where = path.relative_to(root).as_posix()
        found_uploads, found_databases = _in_module(paths, tree)
        for directory, setting in found_uploads:
            uploads.setdefault(directory, f"{setting} in {where}")
        for file in found_databases:
            databases.setdefault(file, f"SQLite in {where}")
    for name in EXAMPLE_ENV_FILES:
        for key, value in dotenv(root / name).items():
            for m in _SQLITE_URL.finditer(value):
                databases.setdefault(m.group(1), f"{key} in {name}")
    databases = {
        f: w
        for f, w in databases.items()
        if ":memory:" not in f and "test" not in PurePosixPath(f).name.lower()
    }
    return uploads, databases


class WritableDirectories(Rule):
    """{where}

    The upload directory the settings or a config module build (Django's MEDIA_ROOT, Flask's
    UPLOAD_FOLDER), each base directory followed to where it points; the directory of the SQLite
    database they or the example environment file name (sqlite:/// URLs, a sqlite3 engine's NAME); the
    old image's VOLUMEs (absolute ones outside /app too), its `mkdir`s under its WORKDIR and those
    elsewhere it gives to the app's user (`chown`)."""

    question = "writable_dirs"

    def find(self, facts):
        found: dict[str, str] = {}
        path, final = facts.dockerfile
        workdir = dockerfile.workdir(final).rstrip("/") if final is not None else ""

        def shareable(d: str) -> str:
            """A directory as writable_dirs holds it: under the old WORKDIR made relative, an absolute
            one outside it kept; "" where it cannot be a volume (the project's root, a variable)."""
            d = d.rstrip("/")
            if "$" in d or not d or d in (".", "/", "/app", workdir):
                return ""
            if workdir and d.startswith(workdir + "/"):
                d = d[len(workdir) + 1 :]
            elif d.startswith("/"):
                return d
            d = d[2:] if d.startswith("./") else d
            return d if ".." not in d and re.fullmatch(r"[\w./-]+", d) else ""

        def beside_code(d: str) -> bool:
            return not d.startswith("/") and any((facts.root / d).glob("*.py"))

        unshared = []
        uploads, databases = stored(facts.root, facts.python_sources(3))
        for directory, where in uploads.items():
            if shareable(directory) and not beside_code(directory):
                found.setdefault(shareable(directory), where)
        for file, where in databases.items():
            directory = str(PurePosixPath(file).parent)
            if shareable(directory) and not beside_code(directory):
                found.setdefault(shareable(directory), where)
            else:
                unshared.append((file, where))

        def owned(d: str, run: str) -> bool:
            """An absolute directory the same RUN gives to a user other than root (`chown -R 1001 /d`)."""
            return any(
                d in m.group(2).split() and not re.match(r"(?:0|root)\b", m.group(1))
                for m in re.finditer(r"\bchown\s+(?:-\S+\s+)*(\S+)\s+([^&;|]+)", run)
            )

        if final is not None:
            where = str(path.relative_to(facts.repo))
            volumes = [v for value in final.all("VOLUME") for v in re.findall(r"[\w./-]+", value)]
            made = [
                d
                for run in final.all("RUN")
                for m in re.finditer(r"\bmkdir\s+(?:-\S+\s+)*([^&;|]+)", run)
                for d in m.group(1).split()
                if not d.startswith("-")
                and (not d.startswith("/") or d.startswith(workdir + "/") or owned(d, run))
            ]
            for d in volumes + made:
                shared = shareable(d)
                if shared and not any(shared.startswith(f"{other}/") for other in found):
                    kind = ("VOLUME" if d in volumes else "mkdir") + (
                        "" if shared[0] == "/" else " under WORKDIR"
                    )
                    found.setdefault(shared, f"{where} ({kind})")
        for file, paths in compose_state_paths(facts.root):
            for variable, directory in paths.items():
                if shareable(directory):
                    found.setdefault(shareable(directory), f"{file} (a volume, and {variable} names it)")
        where = [f"{k}: {v}" for k, v in found.items()] + [
            f"the SQLite database {file} ({source}) sits beside the code, where the two colors cannot share"
            f" it: point it into a directory of its own (data/{PurePosixPath(file).name}) and answer"
            " writable_dirs"
            for file, source in unshared
        ]
        # An empty answer with the note decides (DECIDES_EMPTY): the help says why nothing is shared.
        return (list(found), {"where": "; ".join(where)}) if where else None


class ComposeStatePaths(Rule):
    """{file} (environment: of the service that builds the app, each naming a directory it mounts a
    volume at), and the old image's ENV

    Settings that tell the app where its state is (`UPLOAD_FOLDER=/var/uploads` beside a volume at
    /var/uploads): without them the app writes elsewhere, often beside its code, where the colors
    share nothing. Paths only, never a secret or a host."""

    question = "app_env"

    def find(self, facts):
        found: dict[str, str] = image.app_env(facts.final) if facts.final is not None else {}
        files = []
        for file, paths in compose_state_paths(facts.root):
            found.update(paths)
            files.append(file)
        return (found, {"file": ", ".join(dict.fromkeys(files))}) if files else None


class CodeGivenToUser(Rule):
    """{where}

    An image that gives its code directory to the app's user (`COPY --chown=1001 . .`, `chown -R
    1001 /opt/app` of its WORKDIR) runs an app that writes there; so does one whose settings put its
    SQLite database in a package's folder. The new image, which runs as its own user, does the same."""

    question = "code_writable"

    def find(self, facts):
        path, final = facts.dockerfile
        if final is not None:
            workdir = dockerfile.workdir(final).rstrip("/")
            where = str(path.relative_to(facts.repo))
            for key, value in final.instructions:
                words = value.split()
                if key == "COPY" and any(
                    w.startswith("--chown=") and not re.match(r"--chown=(?:0|root)\b", w) for w in words
                ):
                    dest = [w for w in words if not w.startswith("--")][-1:]
                    if dest and dest[0].rstrip("/") in (".", workdir, "") and "." in words:
                        return True, {"where": f"{where} (COPY --chown of the code)"}
                if key == "RUN" and workdir not in ("", "/"):
                    for m in re.finditer(r"\bchown\s+(?:-\S+\s+)*(\S+)\s+([^&;|]+)", value):
                        if (
                            re.search(r"\bchown\s+-\w*R", m.group(0))
                            and not re.match(r"(?:0|root)\b", m.group(1))
                            and workdir in [d.rstrip("/") for d in m.group(2).split()]
                        ):
                            return True, {"where": f"{where} (chown -R of its WORKDIR, {workdir})"}
        _, databases = stored(facts.root, facts.python_sources(3))
        for file, source in databases.items():
            parent = str(PurePosixPath(file).parent)
            if (
                not file.startswith("/")
                and parent not in ("", ".")
                and any((facts.root / parent).glob("*.py"))
            ):
                return True, {"where": f"the SQLite database {file} ({source}), in a package's folder"}
        return None
