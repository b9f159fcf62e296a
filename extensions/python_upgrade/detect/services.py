"""The backing services the tests use (databases, caches, brokers): the `services:` of the CI job that
runs them, the compose services that job starts, else the database-like services of a compose file."""

from __future__ import annotations

import re
from pathlib import Path

from .files import files, read, yaml_file
from .rule import Rule

# Images of the backing services tests use (databases, caches, brokers), by their registry names.
_BACKING = re.compile(
    r"(?:^|/)(postgres|postgis|pgvector|timescaledb|mysql|mariadb|redis|valkey|memcached|mongo|"
    r"rabbitmq|elasticsearch|opensearch|minio)\b[^/]*$",
    re.I,
)
# The port and readiness check of each kind of backing service, as its official image documents them.
_SERVICE_DEFAULTS = {
    "postgres": (5432, "pg_isready"),
    "postgis": (5432, "pg_isready"),
    "pgvector": (5432, "pg_isready"),
    "timescaledb": (5432, "pg_isready"),
    "mysql": (3306, "mysqladmin ping -h 127.0.0.1"),
    "mariadb": (3306, "mariadb-admin ping -h 127.0.0.1"),
    "redis": (6379, "redis-cli ping"),
    "valkey": (6379, "valkey-cli ping"),
    "memcached": (11211, ""),
    "mongo": (27017, ""),
    "rabbitmq": (5672, ""),
}
COMPOSE_DEFAULTS = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")
COMPOSE_OVERRIDES = (
    "compose.override.yaml",
    "compose.override.yml",
    "docker-compose.override.yaml",
    "docker-compose.override.yml",
)
_COMPOSE_UP = re.compile(r"^docker[ -]compose\b(?P<head>.*?)\s+up\b(?P<tail>.*)$")
# `docker compose up` options that take a value (the rest are flags or --opt=value).
_COMPOSE_UP_VALUES = {
    "--scale",
    "--timeout",
    "-t",
    "--wait-timeout",
    "--exit-code-from",
    "--pull",
    "--attach",
    "--no-attach",
}


def backing_kind(image: str) -> str:
    """postgres for `postgres:16-alpine` or `docker.io/library/postgres@sha256:...`; "" for other images."""
    kind = _BACKING.search(str(image).split("@")[0].rsplit(":", 1)[0])
    return kind.group(1).lower() if kind else ""


def _health_cmd(options: str) -> str:
    """--health-cmd of a GitHub Actions service's `options` (quoted or one word)."""
    m = re.search(r"""--health-cmd[= ](?:"([^"]*)"|'([^']*)'|(\S+))""", options or "")
    return next((g for g in m.groups() if g), "") if m else ""


def ports_of(entries) -> tuple[int | None, int | None]:
    """(host port, container port) of the first `ports:` entry ("5432:5432", 5432, {published, target})."""
    for entry in entries or []:
        if isinstance(entry, dict):
            target, published = entry.get("target"), entry.get("published", entry.get("target"))
            if str(target).isdigit():
                host = str(published).split("-")[0]
                return int(host) if host.isdigit() else int(target), int(target)
            continue
        m = re.fullmatch(r"(?:\d+\.\d+\.\d+\.\d+:)?(?:(\d+):)?(\d+)(?:/tcp)?", str(entry).strip())
        if m:
            return int(m.group(1) or m.group(2)), int(m.group(2))
    return None, None


def service_spec(image, env, ports, health) -> dict:
    host, container = ports_of(ports)
    port, check = _SERVICE_DEFAULTS.get(backing_kind(image), (None, ""))
    host, container, health = host or port, container or port, health or check
    spec = {"image": str(image)}
    if isinstance(env, list):
        env = dict(str(e).split("=", 1) for e in env if "=" in str(e))
    literal = (
        {
            str(k): str(v).lower() if isinstance(v, bool) else str(v)
            for k, v in (env or {}).items()
            if isinstance(v, (str, int, float, bool)) and "${" not in str(v)
        }
        if isinstance(env, dict)
        else {}
    )
    if literal:
        spec["env"] = literal
    if host:
        spec["port"] = host
    if container and container != host:
        spec["container_port"] = container
    if health:
        spec["health"] = health
    return spec


# GitHub Actions that start a backing service on the runner instead of a job's `services:`, with the
# inputs each documents: (official image, version input, port input, {input: the image's variable},
# the image's environment where the action's own defaults differ from the image's).
SERVICE_ACTIONS = {
    "supercharge/redis-github-action": ("redis", "redis-version", "redis-port", {}, {}),
    "shogo82148/actions-setup-redis": ("redis", "redis-version", "redis-port", {}, {}),
    "supercharge/mongodb-github-action": (
        "mongo",
        "mongodb-version",
        "mongodb-port",
        {
            "mongodb-username": "MONGO_INITDB_ROOT_USERNAME",
            "mongodb-password": "MONGO_INITDB_ROOT_PASSWORD",
            "mongodb-db": "MONGO_INITDB_DATABASE",
        },
        {},
    ),
    "ikalnytskyi/action-setup-postgres": (
        "postgres",
        "postgres-version",
        "port",
        {"username": "POSTGRES_USER", "password": "POSTGRES_PASSWORD", "database": "POSTGRES_DB"},
        {"POSTGRES_USER": "postgres", "POSTGRES_PASSWORD": "postgres", "POSTGRES_DB": "postgres"},
    ),
    "harmon758/postgresql-action": (
        "postgres",
        "postgresql version",
        "",
        {
            "postgresql db": "POSTGRES_DB",
            "postgresql user": "POSTGRES_USER",
            "postgresql password": "POSTGRES_PASSWORD",
        },
        {"POSTGRES_HOST_AUTH_METHOD": "trust"},
    ),
    "ankane/setup-postgres": (
        "postgres",
        "postgres-version",
        "",
        {"database": "POSTGRES_DB"},
        {"POSTGRES_HOST_AUTH_METHOD": "trust"},
    ),
    "ankane/setup-mysql": (
        "mysql",
        "mysql-version",
        "",
        {"database": "MYSQL_DATABASE"},
        {"MYSQL_ALLOW_EMPTY_PASSWORD": "yes"},
    ),
    "ankane/setup-mariadb": (
        "mariadb",
        "mariadb-version",
        "",
        {"database": "MARIADB_DATABASE"},
        {"MARIADB_ALLOW_EMPTY_ROOT_PASSWORD": "yes"},
    ),
    "mirromutth/mysql-action": (
        "mysql",
        "mysql version",
        "host port",
        {
            "mysql database": "MYSQL_DATABASE",
            "mysql root password": "MYSQL_ROOT_PASSWORD",
            "mysql user": "MYSQL_USER",
            "mysql password": "MYSQL_PASSWORD",
        },
        {},
    ),
    "getong/mariadb-action": (
        "mariadb",
        "mariadb version",
        "host port",
        {
            "mysql database": "MARIADB_DATABASE",
            "mysql root password": "MARIADB_ROOT_PASSWORD",
            "mysql user": "MARIADB_USER",
            "mysql password": "MARIADB_PASSWORD",
        },
        {},
    ),
    "getong/rabbitmq-action": (
        "rabbitmq",
        "rabbitmq version",
        "host port",
        {"rabbitmq user": "RABBITMQ_DEFAULT_USER", "rabbitmq password": "RABBITMQ_DEFAULT_PASS"},
        {},
    ),
    "niden/actions-memcached": ("memcached", "", "", {}, {}),
}


def action_services(job: dict) -> dict[str, dict]:
    """The backing services a job's steps start through an action (SERVICE_ACTIONS), as job_services
    gives them; a step with an `if:` (one cell of a database matrix) is not needed by every run."""
    found: dict[str, dict] = {}
    steps = job.get("steps") if isinstance(job, dict) else None
    for step in steps if isinstance(steps, list) else []:
        if not isinstance(step, dict) or "if" in step or not isinstance(step.get("uses"), str):
            continue
        known = SERVICE_ACTIONS.get(step["uses"].split("@")[0].lower())
        if known is None:
            continue
        image, version_input, port_input, variables, defaults = known
        given = (
            {str(k): v for k, v in (step.get("with") or {}).items()}
            if isinstance(step.get("with"), dict)
            else {}
        )
        literal = {
            k: str(v) for k, v in given.items() if isinstance(v, (str, int, float)) and "${{" not in str(v)
        }
        version = literal.get(version_input, "") if version_input else ""
        env = dict(defaults) | {variables[k]: v for k, v in literal.items() if k in variables}
        port = literal.get(port_input, "") if port_input else ""
        default_port = _SERVICE_DEFAULTS.get(image, (None, ""))[0]
        ports = [f"{port}:{default_port}"] if port and default_port else None
        found.setdefault(image, service_spec(f"{image}:{version}" if version else image, env, ports, ""))
    return found


def job_services(job: dict) -> dict[str, dict]:
    """A GitHub Actions job's `services:` with a literal image, as {name: {image, env, port, health}},
    and the services its steps start through an action (action_services)."""
    found = action_services(job)
    services = job.get("services") if isinstance(job, dict) else None
    for name, service in (services or {}).items() if isinstance(services, dict) else ():
        if (
            isinstance(service, dict)
            and isinstance(service.get("image"), str)
            and "${{" not in service["image"]
        ):
            found[str(name)] = service_spec(
                service["image"],
                service.get("env"),
                service.get("ports"),
                _health_cmd(str(service.get("options") or "")),
            )
    return found


def _compose_health(service: dict) -> str:
    test = (
        (service.get("healthcheck") or {}).get("test")
        if isinstance(service.get("healthcheck"), dict)
        else None
    )
    if isinstance(test, list) and test and test[0] in ("CMD", "CMD-SHELL"):
        return " ".join(map(str, test[1:])) if test[0] == "CMD" else str(test[1]) if len(test) > 1 else ""
    return test if isinstance(test, str) else ""


def dotenv(path: Path) -> dict[str, str]:
    """KEY=value lines of a .env file (what compose reads for ${VAR} in the project directory)."""
    values = {}
    for line in read(path).splitlines():
        m = re.match(r"\s*(?:export\s+)?([A-Za-z_]\w*)\s*=\s*(.*?)\s*$", line)
        if m and not line.lstrip().startswith("#"):
            values[m.group(1)] = m.group(2).strip("'\"")
    return values


def interpolate(value: object, env: dict[str, str]) -> str | None:
    """Compose's ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error} and $VAR from env; None when a
    variable has no value and no default (the service cannot be known from the repository)."""
    text, missing = str(value), []

    def one(m: re.Match) -> str:
        name, op, default = m.group(1) or m.group(4), m.group(2) or "", m.group(3) or ""
        if name in env and (env[name] or op not in (":-", ":?")):
            return env[name]
        if op in (":-", "-"):
            return interpolate(default, env) or ""
        missing.append(name)
        return ""

    text = re.sub(r"\$\{([A-Za-z_]\w*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_]\w*)", one, text.replace("$$", "\0"))
    return None if missing else text.replace("\0", "$")


def compose_files(directory: Path, names: list[str]) -> list[Path]:
    """The files compose reads in `directory`: the -f ones, else the compose file and its override."""
    if names:
        return [directory / f for f in names]
    base = [directory / f for f in COMPOSE_DEFAULTS if (directory / f).is_file()][:1]
    return base + [directory / f for f in COMPOSE_OVERRIDES if (directory / f).is_file()][:1] if base else []


def compose_services(paths: list[Path]) -> dict[str, dict]:
    """The services of these compose files, merged as compose merges them: environment and ports
    added to, other keys replaced."""
    merged: dict[str, dict] = {}
    for path in paths:
        data = yaml_file(path) or {}
        services = data.get("services") if isinstance(data, dict) else None
        for name, service in (services or {}).items() if isinstance(services, dict) else ():
            if not isinstance(service, dict):
                continue
            into = merged.setdefault(str(name), {})
            for key, value in service.items():
                if key == "environment" and isinstance(value, (dict, list)):
                    env = (
                        value
                        if isinstance(value, dict)
                        else dict(str(e).split("=", 1) if "=" in str(e) else (str(e), None) for e in value)
                    )
                    into["environment"] = {**into.get("environment", {}), **env}
                elif key == "ports" and isinstance(value, list):
                    into["ports"] = [*into.get("ports", []), *value]
                else:
                    into[key] = value
    return merged


def compose_up(line: str, directory: Path, repo: Path) -> tuple[dict[str, dict], str] | None:
    """({name: spec}, where) of the services a `docker compose up [SERVICE...]` step starts: the named
    ones (all those with a database, cache or broker image when none is named), with ${VAR} taken from
    the project's .env; a service built from source, or whose image needs a variable nobody sets, is
    left out."""
    m = _COMPOSE_UP.match(line.strip())
    if not m:
        return None
    head, tail = m.group("head").split(), m.group("tail").split()
    names_f = [head[i + 1] for i, word in enumerate(head[:-1]) if word in ("-f", "--file")]
    names_f += [word.split("=", 1)[1] for word in head if word.startswith("--file=")]
    names, skip = [], False
    for word in tail:
        if word in ("&&", ";", "|", "||"):
            break
        if skip:
            skip = False
            continue
        if word.startswith("-"):
            skip = word in _COMPOSE_UP_VALUES
            continue
        names.append(word)
    paths = compose_files(directory, names_f)
    services = compose_services(paths)
    env = dotenv(directory / ".env")
    wanted = names or [n for n, svc in services.items() if backing_kind(str(svc.get("image", "")))]
    found = {}
    for name in wanted:
        service = services.get(name) or {}
        image = interpolate(service.get("image", ""), env) if "build" not in service else None
        if not image:
            continue
        environment = {
            k: interpolate(v, env) for k, v in (service.get("environment") or {}).items() if v is not None
        }
        ports = [
            interpolate(port, env) if isinstance(port, str) else port for port in service.get("ports", [])
        ]
        found[name] = service_spec(
            image,
            {k: v for k, v in environment.items() if v is not None},
            [p for p in ports if p],
            _compose_health(service),
        )
    read_from = " + ".join(str(path.relative_to(repo)) for path in paths)
    return (found, f"`{line.strip()}` in the test job, from {read_from}") if found else None


# ------------------------------------------------------------------------------------------- rules
class CiJobServices(Rule):
    """the services: of the test job in {where}

    The job that runs the tests says what they need, nothing included: its services:, and what its
    steps start through an action that documents its service (supercharge/redis-github-action,
    ikalnytskyi/action-setup-postgres, ankane/setup-mysql, ...), unless the step runs only for some
    cells of a matrix (`if:`)."""

    question = "test_services"

    def find(self, facts):
        job = facts.test_job
        if job is None or job["started"]:
            return None
        return (job["services"], {"where": job["where"]}) if job["services"] else None


class CiComposeUp(Rule):
    """{started} in {where}

    The compose services the test job starts (`docker compose up -d db`), as compose reads them."""

    question = "test_services"

    def find(self, facts):
        job = facts.test_job
        return (
            (job["services"], {"started": job["started"], "where": job["where"]})
            if job and job["started"]
            else None
        )


class CiJobWithoutServices(Rule):
    """the test job in {where} has no services:"""

    question = "test_services"

    def find(self, facts):
        return ({}, {"where": facts.test_job["where"]}) if facts.test_job is not None else None


class ComposeBackingServices(Rule):
    """the database/cache services of {file} (a guess: no CI job runs the tests)"""

    question = "test_services"
    guess = True

    def find(self, facts):
        for path in files(
            facts.root,
            (
                "docker-compose.yml",
                "docker-compose.yaml",
                "compose.yml",
                "compose.yaml",
                "docker-compose.dev.yml",
                "compose.dev.yml",
                "docker-compose.override.yml",
            ),
            depth=1,
        ):
            found = {
                name: service_spec(
                    service["image"],
                    service.get("environment"),
                    service.get("ports"),
                    _compose_health(service),
                )
                for name, service in compose_services([path]).items()
                if isinstance(service.get("image"), str)
                and "build" not in service
                and backing_kind(service["image"])
                and "${" not in service["image"]
            }
            if found:
                return found, {"file": path.relative_to(facts.repo)}
        return None
