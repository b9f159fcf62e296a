"""What a Django project's settings say: where they are and the hosts they accept (its media root and
database: storage.py)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from .files import read
from .rule import Rule


def settings_files(root: Path) -> list[Path]:
    """Django's settings files: the module manage.py names (DJANGO_SETTINGS_MODULE), then the usual
    places (settings.py at the root, in a package, or a settings/ package)."""
    found = []
    m = re.search(r"""DJANGO_SETTINGS_MODULE["']\s*,\s*["']([\w.]+)["']""", read(root / "manage.py"))
    if m:
        base = root.joinpath(*m.group(1).split("."))
        found += [p for p in (base.with_suffix(".py"), base / "__init__.py") if p.is_file()]
        found += sorted(base.glob("*.py")) if base.is_dir() else []
    found += (
        sorted(root.glob("settings*.py"))
        + sorted(root.glob("*/settings*.py"))
        + sorted(root.glob("*/settings/*.py"))
    )
    return [p for p in dict.fromkeys(found) if "tests" not in p.relative_to(root).parts]


class AllowedHosts(Rule):
    """{file}

    The Host header probes send: a loopback name Django's literal ALLOWED_HOSTS accepts (127.0.0.1,
    localhost), else its first plain host name; localhost where it allows any host or is empty."""

    question = "probe_host"

    def find(self, facts):
        for path in settings_files(facts.root) if facts.root.is_dir() else []:
            m = re.search(r"(?m)^ALLOWED_HOSTS\s*=\s*(\[[^\]]*\]|\([^)]*\))", read(path))
            if not m:
                continue
            try:
                hosts = [h for h in ast.literal_eval(m.group(1)) if isinstance(h, str)]
            except (ValueError, SyntaxError):
                continue
            details = {"file": f"ALLOWED_HOSTS in {path.relative_to(facts.root)}"}
            for host in ("localhost", "127.0.0.1", "[::1]"):
                if host in hosts:
                    return host, details
            if not hosts or "*" in hosts:
                return "localhost", details
            plain = [h for h in hosts if not h.startswith(".")]
            return (plain[0] if plain else "app" + hosts[0]), details
        return None
