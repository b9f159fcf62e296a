"""The rendered workflow's pins and inputs, checked against the actions' real releases
(../shared/actions/refs.tsv and each pinned commit's action.yml), and the experimental lanes' mapping."""

from __future__ import annotations

import pytest
from copier import run_copy

from actions import action_yml, newest, pins, releases
from conftest import ROOT
from render import loads_yaml
from test_render import PATHS

VARIANTS = {
    "web-requirements": {},
    "worker-poetry": {"app_kind": "worker", "dependency_layout": "poetry", "app_command": "python -m worker"},
    "library-finished": {"app_kind": "library", "phase": "finished"},
    "lanes": {
        "current_python": "3.13",
        "target_python": "3.14",
        "experimental_pythons": ["3.15", "3.16", "3.14t", "3.15t"],
    },
    "real-steps": PATHS["web-real-steps"],
}


@pytest.fixture(scope="module")
def workflows(tmp_path_factory) -> dict[str, str]:
    out = tmp_path_factory.mktemp("workflows")
    rendered = {}
    for name, answers in VARIANTS.items():
        run_copy(str(ROOT), out / name, data=answers, defaults=True, unsafe=True, quiet=True, vcs_ref="HEAD")
        rendered[name] = (out / name / ".github" / "workflows" / "python-upgrade.yml").read_text()
    return rendered


def test_every_action_is_pinned_to_its_newest_release_by_sha(workflows):
    for name, workflow in workflows.items():
        uses = [line for line in workflow.splitlines() if "uses:" in line]
        found = pins(workflow)
        assert len(found) == len(uses), (
            f"{name}: a `uses:` line is not `owner/repo@<full sha> # vX.Y.Z`: {uses}"
        )
        for action, sha, tag in found:
            release = newest(action)
            assert (sha, tag) == (release.sha, release.tag), (
                f"{name}: {action}@{sha} # {tag}, newest is {release}"
            )
            assert release.runs != "node20", f"{action} {tag} runs on node20, which GitHub's runners dropped"
            assert action_yml(release)["runs"]["using"] == release.runs


def test_every_input_exists_in_the_pinned_action(workflows):
    for name, workflow in workflows.items():
        jobs = loads_yaml(workflow)["jobs"]
        for job_name, job in jobs.items():
            for step in job["steps"]:
                if "uses" not in step:
                    continue
                action, sha = step["uses"].split("@")
                (release,) = [r for r in releases() if r.sha == sha]
                inputs = set(action_yml(release).get("inputs") or {})
                unknown = set(step.get("with") or {}) - inputs
                assert not unknown, (
                    f"{name}/{job_name}: {action} {release.tag} has no input {sorted(unknown)}"
                )


def test_free_threaded_lanes_use_setup_pythons_input_and_the_t_tox_env(workflows):
    """No free-threaded interpreter exists on these machines: the mapping is what can be proven here."""
    tox_job = loads_yaml(workflows["lanes"])["jobs"]["tox"]
    lanes = {lane["toxenv"]: dict(lane) for lane in tox_job["strategy"]["matrix"]["include"]}
    assert lanes["py314t"] == {
        "python": "3.14",
        "toxenv": "py314t",
        "experimental": True,
        "freethreaded": True,
    }
    assert lanes["py315t"] == {
        "python": "3.15",
        "toxenv": "py315t",
        "experimental": True,
        "freethreaded": True,
    }
    assert lanes["py316"] == {"python": "3.16", "toxenv": "py316", "experimental": True}
    assert lanes["py314"]["experimental"] is False and "freethreaded" not in lanes["py314"]
    setup = next(s for s in tox_job["steps"] if s.get("uses", "").startswith("actions/setup-python@"))
    assert setup["with"]["freethreaded"] == "${{ matrix.freethreaded || false }}"
    assert setup["with"]["allow-prereleases"] is True  # 3.16 is a pre-release today
    assert tox_job["continue-on-error"] == "${{ matrix.experimental }}"
    # Without free-threaded lanes the input is not rendered at all.
    plain = loads_yaml(workflows["web-requirements"])["jobs"]["tox"]
    assert (
        "freethreaded" not in next(s for s in plain["steps"] if "setup-python" in s.get("uses", ""))["with"]
    )
