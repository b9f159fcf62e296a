"""deploy/kubernetes/ against the real schemas, for every version pair and phase: no cluster can run
here, so the proof is the schemas a cluster would apply them with, plus the cross-checks a reviewer
does by hand.

- Core objects (Service; the Rollout's pod template as a Deployment's, the smoke check as a Job) with
  kubernetes-validate, strict (an unknown field fails).
- Rollout and AnalysisTemplate with the openAPIV3Schema of Argo Rollouts v1.9.1's CRDs
  (../shared/argo-rollouts), also strict: the API server would prune an unknown field in silence.
- Selectors, ports, probes, templates and their arguments, images and tags, the user, the gates.
"""

from __future__ import annotations

import copy
import re
from functools import cache
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from conftest import SHARED, require
from render import load_yaml, rendered
from test_render import PAIRS, stages

CRDS = SHARED / "argo-rollouts"


def documents(path: Path) -> list[dict]:
    return [doc for doc in YAML(typ="safe").load_all(path.read_text()) if doc]


@cache
def crd_schema(name: str) -> dict:
    require((CRDS / name).is_file(), f"{CRDS / name} is missing (../shared/argo-rollouts)")
    crd = YAML(typ="safe").load((CRDS / name).read_text())
    (version,) = [v for v in crd["spec"]["versions"] if v["served"] and v["storage"]]
    return version["schema"]["openAPIV3Schema"]


def unknown_fields(value, schema: dict, path: str = "") -> list[str]:
    """Fields the schema does not declare (what `kubectl apply --validate=strict` refuses)."""
    found = []
    if isinstance(value, dict) and schema.get("type") == "object":
        properties = schema.get("properties")
        if properties is None or schema.get("x-kubernetes-preserve-unknown-fields"):
            extra = schema.get("additionalProperties")
            if isinstance(extra, dict):
                for key, item in value.items():
                    found += unknown_fields(item, extra, f"{path}.{key}")
            return found
        for key, item in value.items():
            if key not in properties:
                found.append(f"{path}.{key}")
            else:
                found += unknown_fields(item, properties[key], f"{path}.{key}")
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            found += unknown_fields(item, schema["items"], f"{path}[{index}]")
    return found


def validate_crd(doc: dict, crd: str) -> None:
    import jsonschema

    schema = crd_schema(crd)
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(doc), key=str)
    assert not errors, "\n".join(f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:10])
    unknown = unknown_fields(doc, schema)
    assert not unknown, f"{doc['kind']} has fields its CRD does not declare: {unknown}"


def validate_core(doc: dict) -> None:
    try:
        import kubernetes_validate
    except ImportError:
        require(False, "kubernetes-validate is not installed (pip install -e '.[test]')")
        return
    kubernetes_validate.validate(doc, kubernetes_validate.latest_version(), strict=True)


def validate_pod_template(rollout: dict) -> None:
    """The Rollout's pod template against the core schemas, as a Deployment's (what Argo embeds)."""
    validate_core(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "pod-template-check"},
            "spec": {"selector": rollout["spec"]["selector"], "template": rollout["spec"]["template"]},
        }
    )


def conf_value(conf: str, name: str) -> str:
    return re.search(rf'^: "\$\{{{name}:=([^}}]*)\}}"$', conf, re.M).group(1)


CASES = [pytest.param(c, t, phase, id=f"{c}-{t}-{phase}") for c, t in PAIRS for phase in ("dual", "finished")]


@pytest.mark.parametrize(("current", "target", "phase"), CASES)
def test_manifests_validate_and_agree(copie, current, target, phase):
    answers = {
        "project_name": "shop",
        "current_python": current,
        "target_python": target,
        "phase": phase,
        "kubernetes": True,
        "app_port": 8080,
        "health_path": "/-/health",
        "image_repository": "registry.example.com/team/shop",
        "probe_host": "shop.internal",
        "kubernetes_env_from": {"configMaps": ["shop-config"], "secrets": ["shop-secrets"]},
    }
    project = rendered(copie, **answers)
    repo = answers["image_repository"]
    kube = project / "deploy" / "kubernetes"
    objects = documents(kube / "rollout.yaml") + documents(kube / "analysis.yaml")
    by_kind: dict[str, list[dict]] = {}
    for doc in objects:
        by_kind.setdefault(doc["kind"], []).append(doc)
    assert sorted(by_kind) == ["AnalysisTemplate", "Rollout", "Service"]
    (rollout,) = by_kind["Rollout"]
    services = {s["metadata"]["name"]: s for s in by_kind["Service"]}
    templates = {t["metadata"]["name"]: t for t in by_kind["AnalysisTemplate"]}

    # The schemas: Argo's CRDs for its kinds; Kubernetes' own for the core objects and the pod and
    # Job specs inside them.
    validate_crd(rollout, "rollout-crd.yaml")
    for template in templates.values():
        validate_crd(template, "analysis-template-crd.yaml")
    for service in services.values():
        validate_core(service)
    pod = rollout["spec"]["template"]
    validate_pod_template(rollout)

    # Selectors: the Rollout's match its pods; the Services select those pods.
    labels = pod["metadata"]["labels"]
    assert rollout["spec"]["selector"]["matchLabels"].items() <= labels.items()
    strategy = rollout["spec"]["strategy"]["blueGreen"]
    assert set(services) == {strategy["activeService"], strategy["previewService"]}
    (container,) = pod["spec"]["containers"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    for service in services.values():
        assert service["spec"]["selector"].items() <= labels.items()
        (port,) = service["spec"]["ports"]
        assert port["port"] == 8080 and ports[port["targetPort"]] == 8080
    assert {"name": "PORT", "value": "8080"} in container["env"]
    # The app's settings and secrets by name (kubernetes_env_from), never their values.
    assert container["envFrom"] == [
        {"configMapRef": {"name": "shop-config"}},
        {"secretRef": {"name": "shop-secrets"}},
    ]

    # Probes on the health path, on the app's port, with the Host header the app accepts (probe_host).
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {
            "path": "/-/health",
            "port": "http",
            "httpHeaders": [{"name": "Host", "value": "shop.internal"}],
        }

    # The gated switch: no automatic promotion, analysis before and after, the old pods kept.
    assert strategy["autoPromotionEnabled"] is False
    conf_path = project / "deploy" / "bluegreen" / "bluegreen.conf"
    gates = {
        "BG_KEEP_OLD_SECONDS": "3600",
        "BG_MAX_RSS_PERCENT": "150",
        "BG_MAX_5XX_PERCENT": "1",
        "BG_MAX_P99_MS": "1000",
        "BG_MIN_REQUESTS": "50",
    }
    if phase == "dual":  # bluegreen.conf is there: the same gates, read from it
        conf = conf_path.read_text()
        gates = {name: conf_value(conf, name) for name in gates}
    else:
        assert not conf_path.exists()
    assert strategy["scaleDownDelaySeconds"] == int(gates["BG_KEEP_OLD_SECONDS"])

    # Every referenced template exists; the Rollout gives every argument a template needs and none it
    # does not declare; every {{args.x}} a template uses is declared in it.
    for when in ("prePromotionAnalysis", "postPromotionAnalysis"):
        analysis = strategy[when]
        given = {a["name"] for a in analysis["args"]}
        for ref in analysis["templates"]:
            template = templates[ref["templateName"]]
            declared = {a["name"] for a in template["spec"]["args"]}
            required = {a["name"] for a in template["spec"]["args"] if "value" not in a}
            assert required <= given <= declared, (ref, required, given, declared)
    for name, template in templates.items():
        declared = {a["name"] for a in template["spec"]["args"]}
        used = set(re.findall(r"\{\{\s*args\.([\w-]+)\s*\}\}", str(template["spec"]["metrics"])))
        assert used <= declared, (name, used - declared)
    referenced = {
        ref["templateName"]
        for when in ("prePromotionAnalysis", "postPromotionAnalysis")
        for ref in strategy[when]["templates"]
    }
    assert referenced == set(templates)

    # The gates: the same numbers as bluegreen.conf; no data is inconclusive (a failure condition
    # beside every success condition).
    metrics = {m["name"]: m for t in templates.values() for m in t["spec"]["metrics"]}
    for metric in metrics.values():  # a Job passes on exit 0 and fails otherwise
        assert "job" in metric["provider"] or {"successCondition", "failureCondition"} <= metric.keys()
    assert (
        metrics["memory-percent-of-old"]["successCondition"] == f"result[0] <= {gates['BG_MAX_RSS_PERCENT']}"
    )
    assert metrics["error-percent"]["successCondition"] == f"result[0] <= {gates['BG_MAX_5XX_PERCENT']}"
    assert metrics["p99-ms"]["successCondition"] == f"result[0] <= {gates['BG_MAX_P99_MS']}"
    assert metrics["requests"]["successCondition"] == f"result[0] >= {gates['BG_MIN_REQUESTS']}"
    for metric in metrics.values():
        if "prometheus" in metric["provider"]:
            assert "or on() vector(NaN)" in metric["provider"]["prometheus"]["query"]

    # Images: what runs today (the target once finished), the smoke check on the target's own image;
    # both are the Dockerfile's production targets, tagged with the version as its comment tags them.
    running = current if phase == "dual" else target
    assert container["image"] == f"{repo}:{running}"
    smoke = metrics["smoke"]["provider"]["job"]
    (smoke_container,) = smoke["spec"]["template"]["spec"]["containers"]
    assert smoke_container["image"] == f"{repo}:{target}"
    # The image's own probe (python-upgrade/probe.py, copied there by the production stage) against the
    # preview Service on app_port, with probe_host, for a minute.
    assert smoke_container["command"] == [
        "python",
        "/opt/python-upgrade/probe.py",
        "--wait",
        "60",
        "--address",
        "{{args.rollout}}-preview:8080",
        "--host",
        "shop.internal",
        "/-/health",
    ]
    validate_core(
        {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "smoke-check"}, "spec": smoke["spec"]}
    )
    dockerfile = (project / "python-upgrade" / "Dockerfile").read_text()
    st = stages(dockerfile)
    for color in ("current", "target") if phase == "dual" else ("target",):
        assert (
            "COPY python-upgrade/probe.py /opt/python-upgrade/probe.py" in st[f"production-{color}"]["lines"]
        )
    colors = {"current": current, "target": target} if phase == "dual" else {"target": target}
    for color, version in colors.items():
        assert st[f"production-{color}"]["from"].endswith(f":{version}-slim-bookworm")
    assert f"--target production-target -t {repo}:{target} ." in dockerfile

    # The image's user.
    (user,) = {
        line.split()[1]
        for name, s in st.items()
        if name.startswith("production-")
        for line in s["lines"]
        if line.startswith("USER ")
    }
    uid, gid = (int(x) for x in user.split(":"))
    for spec in (pod["spec"], smoke["spec"]["template"]["spec"]):
        context = spec["securityContext"]
        assert (context["runAsUser"], context["runAsGroup"], context["runAsNonRoot"]) == (uid, gid, True)

    # Memory: the limit leaves the new version the gate's share of the request.
    resources = container["resources"]
    request = int(resources["requests"]["memory"].removesuffix("Mi"))
    limit = int(resources["limits"]["memory"].removesuffix("Mi"))
    assert limit == request * int(gates["BG_MAX_RSS_PERCENT"]) // 100

    runbook = (project / "python-upgrade" / "MIGRATION.md").read_text()
    if phase == "dual":
        for command in (
            "set image shop app=registry.example.com/team/shop:" + target,
            "get rollout shop --watch",
            "promote shop",
            "abort shop",
            "undo shop",
        ):
            assert f"kubectl argo rollouts {command}" in runbook


def test_no_kubernetes_unless_asked_or_without_a_web_service(copie):
    assert not (rendered(copie) / "deploy" / "kubernetes").exists()
    worker = rendered(copie, app_kind="worker", app_command="python -m worker", kubernetes=True)
    assert not (worker / "deploy").exists()
    saved = load_yaml(
        rendered(copie, project_name="My Shop", kubernetes=True) / ".copier-answers.python-upgrade.yml"
    )
    assert saved["kubernetes"] is True and saved["image_repository"] == "my-shop"  # the Dockerfile's tag


def test_the_schema_checks_catch_what_a_cluster_would_refuse_or_drop(copie):
    kube = rendered(copie, kubernetes=True) / "deploy" / "kubernetes"
    rollout, service = documents(kube / "rollout.yaml")[:2]
    template = documents(kube / "analysis.yaml")[0]
    broken = [
        (rollout, "rollout-crd.yaml", lambda d: d["spec"]["strategy"]["blueGreen"].update(autoPromote=False)),
        (rollout, "rollout-crd.yaml", lambda d: d["spec"].update(replicas="two")),
        (
            rollout,
            "rollout-crd.yaml",
            lambda d: d["spec"]["template"]["spec"]["containers"][0].update(imagePullPolcy="x"),
        ),
        (
            template,
            "analysis-template-crd.yaml",
            lambda d: d["spec"]["metrics"][0].update(sucessCondition="true"),
        ),
    ]
    for doc, crd, breakage in broken:
        validate_crd(doc, crd)
        changed = copy.deepcopy(doc)
        breakage(changed)
        with pytest.raises(AssertionError):
            validate_crd(changed, crd)
    validate_core(service)
    changed = copy.deepcopy(service)
    changed["spec"]["prots"] = changed["spec"].pop("ports")
    with pytest.raises(Exception, match="prots"):
        validate_core(changed)


def test_state_and_release_reach_the_pods(copie):
    """state_dirs: a ReadWriteMany claim at each directory in the app's container and the release
    command's init container, the pods' group owning them; release_command: an init
    container with the pod's own image, settings and state, so the preview pods are migrated."""
    project = rendered(
        copie,
        project_name="notes",
        kubernetes=True,
        writable_dirs=["data", "/var/uploads"],
        release_command="python manage.py migrate --noinput",
        kubernetes_env_from={"configMaps": [], "secrets": ["notes-secrets"]},
    )
    saved = load_yaml(project / ".copier-answers.python-upgrade.yml")
    assert saved["state_dirs"] == ["data", "/var/uploads"]  # the default: everything the app writes
    objects = documents(project / "deploy" / "kubernetes" / "rollout.yaml")
    (rollout,) = [doc for doc in objects if doc["kind"] == "Rollout"]
    claims = [doc for doc in objects if doc["kind"] == "PersistentVolumeClaim"]
    for claim in claims:
        validate_core(claim)
        assert claim["spec"]["accessModes"] == ["ReadWriteMany"]  # both versions' pods at once, any node
    validate_crd(rollout, "rollout-crd.yaml")
    pod = rollout["spec"]["template"]
    validate_pod_template(rollout)
    spec = pod["spec"]
    assert spec["volumes"] == [
        {"name": f"state-{suffix}", "persistentVolumeClaim": {"claimName": f"notes-state-{suffix}"}}
        for suffix in ("data", "var-uploads")
    ]
    assert [c["metadata"]["name"] for c in claims] == ["notes-state-data", "notes-state-var-uploads"]
    assert spec["securityContext"]["fsGroup"] == spec["securityContext"]["runAsGroup"]
    mounts = [
        {"name": "state-data", "mountPath": "/app/data"},
        {"name": "state-var-uploads", "mountPath": "/var/uploads"},
    ]
    (app,) = spec["containers"]
    (release,) = spec["initContainers"]
    assert app["volumeMounts"] == mounts and release["volumeMounts"] == mounts
    assert release["image"] == app["image"] and release["envFrom"] == app["envFrom"]
    assert release["command"] == ["/bin/sh", "-c", "python manage.py migrate --noinput"]

    # Without state and release command: neither.
    plain = documents(rendered(copie, kubernetes=True) / "deploy" / "kubernetes" / "rollout.yaml")
    assert "PersistentVolumeClaim" not in {doc["kind"] for doc in plain}
    assert "initContainers" not in plain[0]["spec"]["template"]["spec"]
