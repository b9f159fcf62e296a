"""The app's URL paths: the health check it answers (its image's HEALTHCHECK, a health route in the
code with the prefixes that lead to it) and the pages worth loading in the load comparison."""

from __future__ import annotations

import re
from pathlib import Path

from .. import dockerfile
from .files import read
from .image import image_path
from .rule import Rule

# Health route names, the ones that test the process alone first (a readiness check may need a database).
HEALTH_ORDER = (
    "livez",
    "live",
    "liveness",
    "healthz",
    "health",
    "health-check",
    "health_check",
    "healthcheck",
    "ping",
    "status",
    "readyz",
    "ready",
    "readiness",
)
HEALTH_NAMES = r"(?:livez?|liveness|healthz?|health[-_]?check|ping|status|readyz?|readiness)"
_URL_PATH = re.compile(r"https?://(?:localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\])(?::[\w${}]+)?(/[^\s'\"|;)]*)")
# Pages a load test should not hit: health checks, admin, login and static pages, API docs.
_NOT_LOADED = re.compile(
    rf"(?:^|/)(?:{HEALTH_NAMES}|admin|login|logout|signup|register|static|media|docs|redoc|"
    r"openapi\.json|metrics|favicon\.ico|robots\.txt|me|[\w-]*auth[\w-]*|accounts?|users?|token|"
    r"password\w*|__\w+__|\d{3})(?:/|$)"
)


def healthcheck_path(project: Path, path: Path | None, stage) -> tuple[str, str]:
    """(path, script) the app's own Dockerfile HEALTHCHECK requests, in its command (script "") or in
    the script it runs."""
    if stage is None:
        return "", ""
    check = stage.last("HEALTHCHECK")
    if not check or check.upper().startswith("NONE"):
        return "", ""
    command = re.sub(r"^(?:--\S+\s+)*CMD(?:-SHELL)?\s+", "", check, flags=re.I)
    m = _URL_PATH.search(command)
    if m:
        return m.group(1), ""
    words = dockerfile.exec_form(command)
    script = image_path(project, path, stage, words[0]) if words else None
    if script is not None and script.suffix != ".py":
        m = _URL_PATH.search(read(script))
        if m:
            return m.group(1), str(script.relative_to(project))
    return "", ""


def route_rank(name: str) -> int:
    key = name.strip("/").split("/")[-1].lower()
    return HEALTH_ORDER.index(key) if key in HEALTH_ORDER else len(HEALTH_ORDER)


def _literal(expression: str, texts: dict[Path, str]) -> str:
    """A prefix as written: a string literal's value, or the literal a name (`settings.API_V1_STR`,
    `API_PREFIX`) is assigned anywhere in the code (`API_V1_STR: str = "/api/v1"`); "?NAME" when none is."""
    if expression[:1] in "\"'":
        return expression[1:-1]
    name = expression.split(".")[-1]
    assigned = re.compile(rf"""(?m)^\s*{re.escape(name)}\s*(?::\s*[\w\[\], |]+)?=\s*["']([^"']*)["']""")
    for text in texts.values():
        found = assigned.search(text)
        if found:
            return found.group(1)
    return "?" + expression


def routes(facts, names: str = HEALTH_NAMES, declared: bool = False) -> list[tuple[str, str]]:
    """(full path, file) of every route whose last segment matches `names` (health-named ones by
    default) and that takes no parameter, with the prefixes of the URL includes (Django `include()`),
    routers (`include_router(prefix=)`, `APIRouter(prefix=)`) and blueprints (`url_prefix=`) that
    lead to it."""
    root = facts.root
    sources = facts.python_sources()
    texts = {p: read(p) for p in sources}
    modules = {facts.module(p): p for p in sources}
    # file -> (prefix, the file that includes it under that prefix)
    prefix: dict[Path, list[tuple[str, Path]]] = {}

    def add(target: Path | None, value: str, by: Path) -> None:
        if target is not None and target != by:
            prefix.setdefault(target, []).append((value, by))

    for path, text in texts.items():
        # Django: path("api/v3/", include("apiv3.urls")) -> apiv3/urls.py is under /api/v3/.
        for m in re.finditer(
            r"""(?:path|re_path|url)\(\s*r?["']\^?([^"']*)["']\s*,\s*include\(\s*\(?\s*["']([\w.]+)["']""",
            text,
        ):
            add(modules.get(m.group(2)), m.group(1).rstrip("$"), path)
        # FastAPI / Flask: include_router(name, prefix=...), register_blueprint(name, url_prefix=...).
        # A router included with no prefix still puts the includer's prefix in front of its routes.
        for m in re.finditer(
            r"""(?:include_router|register_blueprint)\(\s*([\w.]+)(?:[^)]*?(?:url_)?prefix\s*=\s*(["'][^"']*["']|[A-Za-z_][\w.]*))?""",
            text,
        ):
            name = m.group(1).split(".")[0]
            imported = re.search(
                rf"(?m)^from\s+([\w.]+)\s+import\s+[^\n]*?\b(\w+)\s+as\s+{name}\b", text
            ) or re.search(rf"(?m)^from\s+([\w.]+)\s+import\s+(?:[^\n]*,\s*)?({name})\b", text)
            target = None
            if imported:
                module = imported.group(1)
                target = (
                    modules.get(module)
                    or modules.get(f"{module}.{imported.group(2)}")
                    or modules.get(f"{module}.__init__")
                )
            add(
                target or (path if re.search(rf"(?m)^{name}\s*=", text) else None),
                _literal(m.group(2) or '""', texts),
                path,
            )
    # Prefixes declared where the router is made.
    own = {}
    for path, text in texts.items():
        m = re.search(
            r"""(?:APIRouter|Blueprint|Router)\([^)]*?(?:url_)?prefix\s*=\s*["']([^"']*)["']""", text
        ) or re.search(r"""(?m)^    path\s*=\s*["'](/[^"']*)["']\s*$""", text)  # a Litestar Controller's path
        if m:
            own[path] = m.group(1)

    def full(path: Path, depth: int = 0) -> str:
        parent = ""
        if path in prefix and depth < 5:
            value, by = prefix[path][0]
            if value.startswith("?"):
                unresolved.append(value[1:])
                value = ""
            # the file that includes this one may be included under a prefix too, and have its own
            parent = full(by, depth + 1)
            parent += "/" + value.strip("/") if value.strip("/") else ""
        return parent + ("/" + own[path].strip("/") if own.get(path, "").strip("/") else "")

    route = re.compile(
        rf"""(?:route|get|head|api_route|path|re_path|url|add_url_rule|add_route)\(\s*r?["']\^?/?((?:[\w-]+/)*{names}/?)\$?["']"""
    )
    keyword = re.compile(
        rf"""@(?:get|head|route|api_route)\([^)]*?\bpath\s*=\s*["']/?((?:[\w-]+/)*{names}/?)["']"""
    )
    if declared:  # only a decorator's or Django path()'s own argument, never a dict's .get("...")
        route = re.compile(
            rf"""(?:@[\w.]+\.(?:get|head|route)|(?<![\w.])(?:path|re_path))\(\s*r?["']\^?/?((?:[\w-]+/)*{names}/?)\$?["']"""
        )
    found = []
    for path, text in texts.items():
        for m in list(route.finditer(text)) + list(keyword.finditer(text)):
            if declared and not plain_get(text, m.start()):
                continue
            unresolved: list[str] = []
            where = str(path.relative_to(root))
            route_path = f"{full(path)}/{m.group(1)}".replace("//", "/")
            if unresolved:
                where += f" (a guess: the prefix {unresolved[0]} has no literal value in the code; add it)"
            found.append((route_path, where))
    return found


_GUARDED = re.compile(r"login|auth|admin|permission|require|staff|superuser|token", re.I)


def plain_get(text: str, start: int) -> bool:
    """Whether the route declared at `start` answers a plain GET with no login: its methods include GET
    (or none are named), and no decorator between it and its function (@login_required,
    @admins_only, @permission_required(...)), nor a wrapper of the view in a Django path(), guards it."""
    opening = text.find("(", start)
    depth, end = 0, opening
    for end in range(opening, len(text)):
        depth += {"(": 1, ")": -1}.get(text[end], 0)
        if depth == 0:
            break
    call = text[start : end + 1]  # the route's own call: path("x/", view), @bp.route("/x", methods=[...])
    methods = re.search(r"methods\s*=\s*[\[(]([^\])]*)", call)
    if methods and "GET" not in methods.group(1).upper():
        return False
    if re.search(r"\.(?:post|put|patch|delete)\(", call):
        return False
    if not call.startswith("@"):  # path("x/", login_required(view)): the view's wrapper
        return "," not in call or not _GUARDED.search(call.split(",", 1)[1])
    following = text[end + 1 :]
    decorators = following[: following.find("def ")] if "def " in following else ""
    return not any(_GUARDED.search(d) for d in decorators.splitlines() if d.strip().startswith("@"))


# ------------------------------------------------------------------------------------------- rules
class DockerfileHealthcheck(Rule):
    """{script}the HEALTHCHECK of {name}

    The path the old image's own health check requests (in its command or the script it runs)."""

    question = "health_path"

    def find(self, facts):
        path, script = healthcheck_path(facts.root, *facts.dockerfile)
        if not path:
            return None
        return path, {"script": f"{script}, " if script else "", "name": facts.dockerfile[0].name}


class HealthRoute(Rule):
    """a health route in {file}, with the prefixes that lead to it{also}

    A route named like a health check (livez, healthz, health, ping, status, ...), under the prefixes
    of the URL includes, routers and blueprints that lead to it."""

    question = "health_path"
    needs = ("app_kind",)

    def find(self, facts):
        if facts.found("app_kind") != "web":
            return None
        found = sorted(routes(facts), key=lambda r: (route_rank(r[0]), r[0].count("/"), r[0]))
        if not found:
            return None
        also = f" ({len(found) - 1} more: {', '.join(p for p, _ in found[1:4])})" if len(found) > 1 else ""
        return found[0][0], {"file": found[0][1], "also": also}


class HealthLiteral(Rule):
    """the path {literal} in {file}"""

    question = "health_path"
    needs = ("app_kind",)

    def find(self, facts):
        if facts.found("app_kind") != "web":
            return None
        literal = re.compile(rf"""["']/({HEALTH_NAMES}/?)["']""")
        for path in facts.python_sources():
            m = literal.search(read(path))
            if m:
                return f"/{m.group(1)}", {"literal": m.group(0), "file": path.relative_to(facts.root)}
        return None


class DjangoAdminLogin(Rule):
    """a guess: no health route found; Django's admin login page answers without a database or a login
    (add a real health check that tests what the app needs)"""

    question = "health_path"
    needs = ("app_kind",)
    guess = True

    def find(self, facts):
        urls = list(facts.root.glob("*/urls.py")) + list(facts.root.glob("*/*/urls.py"))
        if (
            facts.found("app_kind") == "web"
            and facts.django
            and any("admin.site.urls" in read(p) for p in urls)
        ):
            return "/admin/login/", {}
        return None


class FastAPIDocs(Rule):
    """a guess: no health route found; FastAPI's interactive docs page, {docs} ({file}), which FastAPI
    serves by default and answers without a database or a login (add a real health check that tests
    what the app needs)"""

    question = "health_path"
    needs = ("app_kind",)
    guess = True

    def find(self, facts):
        if facts.found("app_kind") != "web":
            return None
        for path in facts.python_sources():
            text = read(path)
            if re.search(r"\bFastAPI\(", text) and re.search(
                r"^\s*(?:from fastapi import|import fastapi)", text, re.M
            ):
                # docs_url=None turns the page off; a literal path moves it (FastAPI(docs_url="/api/docs"),
                # or a settings field `docs_url: str = "/api/docs"` passed on).
                moved = [
                    m.group(1)
                    for source in facts.python_sources()
                    for m in re.finditer(
                        r"""\bdocs_url\s*(?::\s*\w+\s*)?=\s*(None|["'][^"']*["'])""", read(source)
                    )
                ]
                if moved and all(m == "None" for m in moved):
                    return None
                docs = next(
                    (m.strip("\"'") for m in moved if m != "None" and m.strip("\"'").startswith("/")), "/docs"
                )
                return docs, {"docs": docs, "file": path.relative_to(facts.root)}
        return None


class RootPage(Rule):
    """a guess: no health route found; the root page (add a real health check that tests what the app
    needs)"""

    question = "health_path"
    needs = ("app_kind",)
    guess = True

    def find(self, facts):
        return ("/", {}) if facts.found("app_kind") == "web" else None


class CodeRoutes(Rule):
    """a guess: routes without parameters in {files} (GET and no login assumed)

    Up to five GET routes without parameters that the code names literally (Flask/FastAPI/Starlette
    decorators, Django path(), with their prefixes), less health checks, admin, login and static pages."""

    question = "load_paths"
    guess = True

    def find(self, facts):
        found_routes = routes(facts, r"[\w.-]+", declared=True)
        found = sorted(
            {path for path, _ in found_routes if not _NOT_LOADED.search(path)},
            key=lambda p: (p.count("/"), p),
        )
        if not found:
            return None
        names = sorted({where.split(" (")[0] for path, where in found_routes if path in found[:5]})
        return found[:5], {"files": ", ".join(names[:3])}


class RootPageLoad(Rule):
    """a guess: no route without parameters found in the code; the root page"""

    question = "load_paths"
    guess = True

    def find(self, facts):
        return ["/"], {}
