"""The Kubernetes manifests (deploy/k8s), validated without a cluster.

Each overlay is rendered with `kubectl kustomize`; the core kinds are checked by
`kubernetes-validate --strict` against the schemas of one Kubernetes version, the operators'
custom resources (CloudNativePG, RabbitMQ Cluster Operator, External Secrets) against the
CRD schemas kept in deploy/k8s/crd-schemas/ with `jsonschema`; then the rules the operating
guide promises: probes, limits, non-root; a NetworkPolicy per service; every variable given
to a service is one of its settings, and each overlay's configuration is accepted by the
services' own settings classes (APP_ENV=production with production's required secrets).
"""

from __future__ import annotations

import base64
import copy
import importlib
import importlib.util
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy/k8s"
CRD_SCHEMAS = K8S / "crd-schemas"
OVERLAYS = ["dev", "production"]
SERVICES = ["identity", "family", "booking", "billing", "notify", "web"]
# The ones whose APIs the web portal calls (WEB_<NAME>_URL).
APIS = ["identity", "family", "booking", "billing", "notify"]
# The schemas kubernetes-validate ships for this version (its newest is the default).
KUBERNETES_VERSION = "1.32.0"
# Made by the operators at run time, not by the manifests: their keys.
OPERATOR_SECRETS = {
    "portail-db-app": {"username": "portail", "password": "x" * 24},
    "portail-bus-default-user": {"username": "portail", "password": "x" * 24},
}
REFERENCE = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")

# Required, not skipped: CI proves the overlays render (kubectl is on the machines).
KUBECTL = shutil.which("kubectl") or "/usr/bin/kubectl"


def render(overlay: str) -> list[dict[str, Any]]:
    result = subprocess.run(
        [KUBECTL, "kustomize", str(K8S / "overlays" / overlay)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


@pytest.fixture(scope="module", params=OVERLAYS)
def rendered(request: pytest.FixtureRequest) -> tuple[str, list[dict[str, Any]]]:
    return request.param, render(request.param)


def crd_schemas() -> dict[tuple[str, str], dict[str, Any]]:
    schemas = {}
    for path in sorted(CRD_SCHEMAS.glob("*.json")):
        schema = json.loads(path.read_text())
        for gvk in schema["x-kubernetes-group-version-kind"]:
            schemas[(f"{gvk['group']}/{gvk['version']}", gvk["kind"])] = strict(schema)
    return schemas


def strict(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema refusing unknown fields, as the API server's strict field validation does
    (objects that declare properties and do not preserve unknown fields)."""
    schema = copy.deepcopy(schema)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if (
                "properties" in node
                and not node.get("x-kubernetes-preserve-unknown-fields")
                and "additionalProperties" not in node
            ):
                node["additionalProperties"] = False
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    return schema


def by_kind(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] == kind]


def pod_spec(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["spec"]["template"]["spec"]


def test_every_resource_validates(rendered: tuple[str, list[dict[str, Any]]]) -> None:
    overlay, docs = rendered
    custom = crd_schemas()
    errors: list[str] = []
    for doc in docs:
        name = f"{overlay}: {doc['kind']} {doc['metadata']['name']}"
        schema = custom.get((doc["apiVersion"], doc["kind"]))
        if schema is not None:
            validator = jsonschema.Draft7Validator(schema)
            errors += [f"{name}: {e.json_path}: {e.message}" for e in validator.iter_errors(doc)]
            continue
        try:
            kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.SchemaNotFoundError:
            errors.append(f"{name}: no schema for {doc['apiVersion']} (add its CRD's)")
        except kubernetes_validate.ValidationError as exc:
            errors.append(f"{name}: {exc.message} at {'/'.join(map(str, exc.path))}")
    assert not errors, "\n".join(errors)


def test_kinds_the_guide_describes(rendered: tuple[str, list[dict[str, Any]]]) -> None:
    overlay, docs = rendered
    names = {(d["kind"], d["metadata"]["name"]) for d in docs}
    for svc in [*SERVICES, "gateway"]:
        for kind in ("Deployment", "Service", "PodDisruptionBudget", "NetworkPolicy"):
            assert (kind, svc) in names, f"{overlay}: no {kind} {svc}"
    assert {n for k, n in names if k == "HorizontalPodAutoscaler"} == {"booking", "gateway"}
    assert ("Cluster", "portail-db") in names
    assert ("Pooler", "portail-db-pooler-rw") in names
    assert ("Ingress", "portail") in names
    (bus,) = by_kind(docs, "RabbitmqCluster")
    if overlay == "production":
        assert bus["spec"]["replicas"] == 3
        assert by_kind(docs, "ScheduledBackup"), "production has no Postgres backups"
        assert not by_kind(docs, "Secret"), "production secrets come from the secret store"
    # Operators make the databases and brokers: nothing hand-written.
    assert not by_kind(docs, "StatefulSet")


def test_deployments_are_probed_limited_and_unprivileged(
    rendered: tuple[str, list[dict[str, Any]]],
) -> None:
    overlay, docs = rendered
    for doc in by_kind(docs, "Deployment"):
        spec = pod_spec(doc)
        name = f"{overlay}: {doc['metadata']['name']}"
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", name
        for container in spec.get("initContainers", []) + spec["containers"]:
            where = f"{name}/{container['name']}"
            limits = container["resources"]["limits"]
            assert {"cpu", "memory"} <= set(limits), where
            assert {"cpu", "memory"} <= set(container["resources"]["requests"]), where
            security = container["securityContext"]
            assert security["allowPrivilegeEscalation"] is False, where
            assert security["capabilities"]["drop"] == ["ALL"], where
            assert security["readOnlyRootFilesystem"] is True, where
        for container in spec["containers"]:
            where = f"{name}/{container['name']}"
            assert "readinessProbe" in container, where
            assert "livenessProbe" in container, where
        if doc["metadata"]["name"] in SERVICES:
            (app,) = spec["containers"]
            assert app["readinessProbe"]["httpGet"]["path"] == "/readyz", name
            assert app["livenessProbe"]["httpGet"]["path"] == "/healthz", name
            (migrate,) = spec["initContainers"]
            assert migrate["command"][-1] == "migrate", name


def test_only_the_gateway_reaches_the_services(
    rendered: tuple[str, list[dict[str, Any]]],
) -> None:
    overlay, docs = rendered
    policies = {
        p["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/name"]: p
        for p in by_kind(docs, "NetworkPolicy")
    }
    for svc in SERVICES:
        policy = policies[svc]
        assert set(policy["spec"]["policyTypes"]) == {"Ingress", "Egress"}, svc
        sources = [peer for rule in policy["spec"]["ingress"] for peer in rule["from"]]
        gateway = {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "gateway"}}}
        monitoring = {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}
        }
        allowed = {json.dumps(peer, sort_keys=True) for peer in (gateway, monitoring)}
        if svc in APIS:  # the web portal calls their APIs
            web = {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "web"}}}
            assert any(rule["from"] == [web] for rule in policy["spec"]["ingress"]), (
                f"{overlay}: web does not reach {svc}"
            )
            allowed.add(json.dumps(web, sort_keys=True))
        if svc == "identity":  # the JWKS, read by the other services
            allowed.add(
                json.dumps(
                    {"podSelector": {"matchLabels": {"app.kubernetes.io/component": "service"}}},
                    sort_keys=True,
                )
            )
        for peer in sources:
            assert json.dumps(peer, sort_keys=True) in allowed, f"{overlay}: {svc} from {peer}"


# -- the variables given to the services ------------------------------------------------


def settings_type(svc: str) -> Any:
    if str(ROOT / "services" / svc) not in sys.path:
        sys.path.insert(0, str(ROOT / "services" / svc))
    return importlib.import_module(f"{svc}.app").definition().settings_type


def settings_names(svc: str) -> set[str]:
    return set(settings_type(svc)().describe())


def gateway_names() -> set[str]:
    """The variables scripts/gateway.py reads (asked of its own settings_from_env)."""
    spec = importlib.util.spec_from_file_location("gateway_script", ROOT / "scripts/gateway.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    asked: set[str] = set()

    class Recording(dict[str, str]):
        def get(self, key: str, default: Any = None) -> Any:
            asked.add(key)
            return default

    module.settings_from_env(Recording())
    return asked


def secret_value(key: str) -> str:
    """A stand-in the settings accept for a secret the cluster provides."""
    if key in ("HEALTH_RECORD_KEYS", "BANK_DETAILS_KEYS"):
        return "k1:" + base64.b64encode(b"k" * 32).decode()
    if key in ("HEALTH_RECORD_CURRENT_KEY", "BANK_DETAILS_CURRENT_KEY"):
        return "k1"
    return "s" * 48


def container_env(docs: list[dict[str, Any]], container: dict[str, Any]) -> dict[str, str]:
    """The environment the container gets: ConfigMaps' values as rendered, secrets' keys
    (from the Secret, ExternalSecret or operator that makes them) with stand-in values,
    $(VAR) references expanded."""
    config_maps = {d["metadata"]["name"]: d.get("data", {}) for d in by_kind(docs, "ConfigMap")}
    secrets: dict[str, dict[str, str]] = {
        name: dict(keys) for name, keys in OPERATOR_SECRETS.items()
    }
    for doc in by_kind(docs, "Secret"):
        data = {k: base64.b64decode(v).decode() for k, v in doc.get("data", {}).items()}
        secrets[doc["metadata"]["name"]] = data | doc.get("stringData", {})
    for doc in by_kind(docs, "ExternalSecret"):
        secrets[doc["spec"]["target"]["name"]] = {
            item["secretKey"]: secret_value(item["secretKey"]) for item in doc["spec"]["data"]
        }
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            env |= config_maps[source["configMapRef"]["name"]]
        else:
            env |= secrets[source["secretRef"]["name"]]
    for item in container.get("env", []):
        if "value" in item:
            env[item["name"]] = REFERENCE.sub(lambda m: env[m[1]], item["value"])
        elif "secretKeyRef" in item["valueFrom"]:
            ref = item["valueFrom"]["secretKeyRef"]
            env[item["name"]] = secrets[ref["name"]][ref["key"]]
        else:
            ref = item["valueFrom"]["configMapKeyRef"]
            env[item["name"]] = config_maps[ref["name"]][ref["key"]]
    return env


def composing_only(container: dict[str, Any]) -> set[str]:
    """Variables set only to be referenced as $(VAR) by another (DB_USER in DATABASE_URL)."""
    values = " ".join(item.get("value", "") for item in container.get("env", []))
    return set(REFERENCE.findall(values))


def service_containers(docs: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    for doc in by_kind(docs, "Deployment"):
        name = doc["metadata"]["name"]
        if name in SERVICES:
            spec = pod_spec(doc)
            for container in spec.get("initContainers", []) + spec["containers"]:
                yield name, container


def test_variables_are_the_services_settings(rendered: tuple[str, list[dict[str, Any]]]) -> None:
    overlay, docs = rendered
    for svc, container in service_containers(docs):
        env = container_env(docs, container)
        unknown = set(env) - settings_names(svc) - composing_only(container)
        assert not unknown, f"{overlay}: {svc}/{container['name']} is given {sorted(unknown)}"
    (gateway,) = pod_spec(
        next(d for d in docs if d["metadata"]["name"] == "gateway" and d["kind"] == "Deployment")
    )["containers"]
    unknown = set(container_env(docs, gateway)) - gateway_names()
    assert not unknown, f"{overlay}: the gateway is given {sorted(unknown)}"


def test_the_services_accept_their_configuration(
    rendered: tuple[str, list[dict[str, Any]]],
) -> None:
    overlay, docs = rendered
    for svc, container in service_containers(docs):
        env = container_env(docs, container)
        settings = settings_type(svc).from_env(env)  # raises SettingsError if refused
        assert settings.http_host == "0.0.0.0"
        assert settings.migrate_on_start is False  # the init container migrates
        if overlay == "production":
            assert settings.environment == "production", svc
        port = next((p["containerPort"] for p in container.get("ports", [])), settings.http_port)
        assert settings.http_port == port, svc
    if overlay == "production":
        identity = next(c for s, c in service_containers(docs) if s == "identity")
        assert {"SIGNING_KEY_SECRET", "CAPTCHA_HMAC_KEY"} <= set(container_env(docs, identity))
        family = next(c for s, c in service_containers(docs) if s == "family")
        assert "HEALTH_RECORD_KEYS" in container_env(docs, family)
        billing = next(c for s, c in service_containers(docs) if s == "billing")
        assert "BANK_DETAILS_KEYS" in container_env(docs, billing)


def test_the_gateway_routes_to_every_service(rendered: tuple[str, list[dict[str, Any]]]) -> None:
    _, docs = rendered
    services = {d["metadata"]["name"]: d for d in by_kind(docs, "Service")}
    gateway = next(d for d in by_kind(docs, "Deployment") if d["metadata"]["name"] == "gateway")
    env = container_env(docs, pod_spec(gateway)["containers"][0])
    for svc in SERVICES:
        host, port = env[f"GATEWAY_UPSTREAM_{svc.upper()}"].split(":")
        assert host == svc
        assert int(port) in {p["port"] for p in services[svc]["spec"]["ports"]}


def test_the_portal_reaches_every_service(rendered: tuple[str, list[dict[str, Any]]]) -> None:
    """web calls the services by their Service names and ports, and its policy lets it."""
    overlay, docs = rendered
    services = {d["metadata"]["name"]: d for d in by_kind(docs, "Service")}
    web = next(d for d in by_kind(docs, "Deployment") if d["metadata"]["name"] == "web")
    env = container_env(docs, pod_spec(web)["containers"][0])
    policy = next(p for p in by_kind(docs, "NetworkPolicy") if p["metadata"]["name"] == "web")
    egress = {
        (peer["podSelector"]["matchLabels"].get("app.kubernetes.io/name"), port["port"])
        for rule in policy["spec"]["egress"]
        for peer in rule["to"]
        if "podSelector" in peer
        for port in rule.get("ports", [])
    }
    for svc in APIS:
        url = env[f"WEB_{svc.upper()}_URL"]
        match = re.fullmatch(r"http://([a-z-]+):(\d+)", url)
        assert match and match[1] == svc, f"{overlay}: WEB_{svc.upper()}_URL={url}"
        port = int(match[2])
        assert port in {p["port"] for p in services[svc]["spec"]["ports"]}, url
        assert (svc, port) in egress, f"{overlay}: web may not reach {svc}:{port}"
    if overlay == "production":
        assert env["WEB_TENANT"] != "demo", "production serves a real town"


def test_crd_schemas_are_the_served_versions() -> None:
    """Each kept schema names where it came from and the resource it checks."""
    files = sorted(CRD_SCHEMAS.glob("*.json"))
    assert {f.name for f in files} >= {
        "postgresql.cnpg.io_clusters.json",
        "postgresql.cnpg.io_poolers.json",
        "rabbitmq.com_rabbitmqclusters.json",
    }
    for path in files:
        schema = json.loads(path.read_text())
        assert schema["x-source"], path.name
        jsonschema.Draft7Validator.check_schema(schema)
