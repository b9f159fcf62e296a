"""The settings an app needs to start, for the smoke check and the load comparison (never baked into an
image): the example environment file the project documents (`.env.example` and its kind), a secret
its settings read from the environment with nothing to fall back on, and what its tests run with."""

from __future__ import annotations

import re
from pathlib import Path

from .django import settings_files
from .files import read
from .rule import Rule
from .services import dotenv

EXAMPLE_ENV_FILES = (
    ".env.example",
    ".env.sample",
    ".env.template",
    ".env.dist",
    "example.env",
    "env.example",
    "sample.env",
    ".env.local.example",
)
# A value given to a secret the app needs to start, where nothing else gives one: for a throwaway
# container, never for production.
THROWAWAY = "smoke-test-only-not-a-secret"
_SECRET = re.compile(r"SECRET|KEY|TOKEN|SALT|PASSWORD", re.I)


def example_env(root) -> tuple[dict[str, str], str]:
    """({name: value}, file) of the first example environment file the project has."""
    for name in EXAMPLE_ENV_FILES:
        values = dotenv(root / name)
        if values:
            return {k: v if v or not _SECRET.search(k) else THROWAWAY for k, v in values.items()}, name
    return {}, ""


def required_secret(root) -> str:
    """SECRET_KEY where Django's settings read it from the environment with no literal fallback."""
    for path in settings_files(root):
        text = read(path)
        m = re.search(r"(?m)^SECRET_KEY\s*=\s*(.+)$", text)
        if not m:
            continue
        value = m.group(1)
        reads_env = re.search(r"environ|getenv|env\(|config\(", value)
        falls_back = re.search(r"""(?:,\s*|or\s+|default\s*=\s*)["'][^"']+["']""", value)
        return "SECRET_KEY" if reads_env and not falls_back else ""
    return ""


# Where a project tells its platform which settings module production runs, production's first: the
# DigitalOcean App spec, Heroku's app.json, Render's blueprint, Fly's fly.toml, the Procfile, compose,
# then the development container's environment.
SETTINGS_MODULE_FILES = (
    ".do/*.yaml",
    ".do/*.yml",
    "app.yaml",
    "app.json",
    "render.yaml",
    "fly.toml",
    "Procfile",
    "docker-compose*.yml",
    "compose*.yaml",
    "compose*.yml",
    ".devcontainer.json",
    ".devcontainer/devcontainer.json",
)


def settings_module(root: Path) -> tuple[str, str]:
    """(module, file) of DJANGO_SETTINGS_MODULE where nothing in manage.py gives it a default: the
    first dotted name after it in the platform files above that is a settings module of the project
    (test and CI settings left out), or ("", "")."""
    if re.search(r"DJANGO_SETTINGS_MODULE", read(root / "manage.py")):
        return "", ""
    for pattern in SETTINGS_MODULE_FILES:
        for path in sorted(root.glob(pattern)):
            text = read(path)
            for m in re.finditer(r"DJANGO_SETTINGS_MODULE", text):
                for name in re.findall(r"\b([A-Za-z_]\w*(?:\.[\w-]+)+)\b", text[m.end() : m.end() + 200])[:1]:
                    parts = name.split(".")
                    module = root.joinpath(*parts)
                    tests = re.search(r"test|(?:^|[_-])ci$", parts[-1])
                    if not tests and (
                        module.with_suffix(".py").is_file() or (module / "__init__.py").is_file()
                    ):
                        return name, str(path.relative_to(root))
    return "", ""


def reachable(value: str) -> bool:
    """A value that does not point at a host the smoke check has not (`postgres://...@db:5432`, a compose
    service's name): a URL's host must be this machine's."""
    host = re.match(r"^[a-z][\w+.-]*://(?:[^@/]*@)?([^:/?#]+)", value)
    return not host or host.group(1) in ("localhost", "127.0.0.1", "::1", "[::1]", "0.0.0.0")


class StartSettings(Rule):
    """{where}

    What the app needs to start beside production's infrastructure: the tests' environment from CI
    (test_env, next to the tests' services), else the project's example environment file (less what
    points at other hosts, as compose's service names); and a throwaway SECRET_KEY where Django's
    settings read one from the environment with nothing to fall back on; DJANGO_SETTINGS_MODULE where
    manage.py sets none, from the file that tells the project's platform (settings_module)."""

    question = "smoke_env"
    needs = ("test_env",)

    def find(self, facts):
        tests = dict(facts.found("test_env") or {})
        values, where = dict(tests), ["test_env"] if tests else []
        if not tests:
            example, file = example_env(facts.root)
            values = {k: v for k, v in example.items() if reachable(v)}
            where = [file] if values else []
        module, file = settings_module(facts.root) if facts.django else ("", "")
        if module and "DJANGO_SETTINGS_MODULE" not in values:
            values["DJANGO_SETTINGS_MODULE"] = module
            where.append(f"DJANGO_SETTINGS_MODULE from {file} (manage.py gives none)")
        secret = required_secret(facts.root) if facts.django else ""
        if secret and secret not in values:
            values[secret] = THROWAWAY
            where.append(f"a throwaway {secret} (the settings read it from the environment)")
        # Only test_env: the question's own default (the test_env answered) says the same.
        return (values, {"where": ", ".join(where)}) if values and values != tests else None
