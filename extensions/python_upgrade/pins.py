"""What the rendered files pin and judge by, one place each: tool versions, the cutover's gates, the
Kubernetes resources, and the variables git-versioning build backends read. Bump a tool here."""

from __future__ import annotations

# Tools the rendered files pin (tox.ini, the Dockerfile's tools stage, the workflow, migration.json).
TOOLS = {
    "tox": "4.67.15",
    "tox_uv": "1.37.1",
    "uv": "0.13.9",
    "poetry": "2.5.1",
    "ruff": "0.17.6",
    "locust": "2.47.0",
    # tox -e finish runs copier update: the releases README.md and pyproject.toml pin.
    "copier": "9.19.1",
    "copier_template_extensions": "0.3.4",
    # tox -e fix rewrites code with it.
    "libcst": "1.9.0",
}

# Poetry for the minors the pinned one no longer runs on (poetry 2.5 needs 3.10): the newest release
# that runs there. Poetry runs on the project's own interpreter (in the image and in tox).
POETRY_FOR = {"3.8": "1.8.5", "3.9": "2.2.1"}


def poetry_for(version: str) -> str:
    """The Poetry release that runs on Python `version`."""
    return POETRY_FOR.get(str(version), TOOLS["poetry"])


def poetry_versions(live: list) -> str:
    """poetry_install.py's --poetry: the pinned release, and the one for each of the `live` versions
    ([[role, version], ...]) the pinned one does not run on."""
    versions = [str(version) for _, version in live]
    return ",".join([TOOLS["poetry"], *(f"{v}={POETRY_FOR[v]}" for v in versions if v in POETRY_FOR)])


# The cutover's gates, one set for both engines: deploy/bluegreen/bluegreen.conf (nginx on one host)
# and deploy/kubernetes/analysis.yaml (Argo Rollouts). The new version fails on more 5xx or a slower
# p99, or on a resident memory above this share of the old version's (a newer interpreter can start
# bigger); with fewer requests than min_requests the verdict is "no data", not a pass.
GATES = {
    "health_timeout_seconds": 60,
    "min_requests": 50,
    "max_5xx_percent": 1,
    "max_p99_ms": 1000,
    # The load comparison only: the target's p99 against the current one's, in percent, judged once
    # the target is slower by more than min_p99_delta_ms (2 ms against 1 ms is noise to a user).
    "max_p99_percent": 150,
    "min_p99_delta_ms": 50,
    "max_rss_percent": 150,
    "keep_old_seconds": 3600,
}

# The Kubernetes Rollout's resources (deploy/kubernetes/rollout.yaml); load.py compares its memory
# recommendation with them. The memory limit is max_rss_percent of the request.
KUBERNETES_RESOURCES = {"cpu_request": "100m", "memory_request_mib": 256}

# The variable each git-versioning build backend reads instead of asking git (a Docker build has no
# .git): its documented override. hatch-vcs is setuptools-scm underneath.
SCM_VERSION_ENV = {
    "setuptools-scm": "SETUPTOOLS_SCM_PRETEND_VERSION",
    "hatch-vcs": "SETUPTOOLS_SCM_PRETEND_VERSION",
    "pdm-backend": "PDM_BUILD_SCM_VERSION",
    "poetry-dynamic-versioning": "POETRY_DYNAMIC_VERSIONING_BYPASS",
}
