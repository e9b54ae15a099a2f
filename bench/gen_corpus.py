#!/usr/bin/env python3
"""Generates the deterministic Kubernetes manifest corpus of the aksguard benchmark.

    python3 bench/gen_corpus.py OUT_DIR [--objects 10000] [--variant default|rbac|policy]
                                        [--layout files|stream|both] [--seed N]

Writes, under OUT_DIR:
  files/     the objects as many files across namespace directories, the way a repository of
             Helm charts or kustomize bases looks: one object per file or several per file,
             mostly .yaml, some .yml and .json, with `# Source:` comments and the odd empty
             document that `helm template` leaves behind;
  all.yaml   the same documents as one multi-document stream (what `helm template ... |` gives);
  manifest.json  counts (objects, documents, bytes, kinds) for the benchmark script.

The objects are realistic rather than minimal: workloads of every kind (Deployment,
StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Pod, ReplicationController) with full pod
templates, Services, ConfigMaps with block scalars, ServiceAccounts, RBAC, NetworkPolicies,
Ingresses, Namespaces, HPAs, PDBs and a few `kind: List` documents. Block and flow style,
plain and quoted scalars, anchors, aliases and merge keys are mixed in. Output depends only
on the arguments (fixed seed, Python standard library only, no hash randomisation).
"""

import argparse
import hashlib
import json
import os
import random
import re
import shutil
import sys

DEFAULT_SEED = 20250101
GENERATOR_VERSION = 1

# ---------------------------------------------------------------------------------------------
# Values with a YAML presentation


class Raw:
    """A scalar written verbatim in YAML (e.g. `1e3`), `value` in JSON."""

    def __init__(self, text, value):
        self.text = text
        self.value = value


class Quoted:
    """A string that must be written quoted ('"' or "'")."""

    def __init__(self, text, quote='"'):
        self.text = text
        self.quote = quote


class Anchor:
    """`&name value`."""

    def __init__(self, name, value):
        self.name = name
        self.value = value


class Alias:
    """`*name`; `value` is what the alias stands for (used for JSON and merges)."""

    def __init__(self, name, value):
        self.name = name
        self.value = value


class Flow:
    """A mapping or sequence written in flow style (`{a: 1}`, `[a, b]`)."""

    def __init__(self, value):
        self.value = value


class Comment:
    """Used as a mapping key: a `# text` line in YAML, nothing in JSON."""

    _n = 0

    def __init__(self, text):
        Comment._n += 1
        self.text = text
        self.id = Comment._n

    def __hash__(self):
        return self.id

    def __eq__(self, other):
        return self is other


def plain_value(v):
    """The JSON data model of a presented value (aliases expanded, merge keys applied)."""
    if isinstance(v, (Anchor, Alias, Flow)):
        return plain_value(v.value)
    if isinstance(v, Raw):
        return v.value
    if isinstance(v, Quoted):
        return v.text
    if isinstance(v, dict):
        out = {}
        merged = []
        for k, x in v.items():
            if isinstance(k, Comment):
                continue
            if k == "<<":
                merged.append(plain_value(x))
                continue
            out[k] = plain_value(x)
        for m in merged:
            for k, x in m.items():
                out.setdefault(k, x)
        return out
    if isinstance(v, list):
        return [plain_value(x) for x in v]
    return v


# ---------------------------------------------------------------------------------------------
# YAML emitter

YAML11_WORDS = {
    "y", "n", "yes", "no", "on", "off", "true", "false", "null", "~",
}
# Strings starting with a digit that stay strings in YAML 1.1: quantities and percentages.
QUANTITY = re.compile(r"^[0-9]+(\.[0-9]+)?(m|k|Ki|Mi|Gi|Ti|M|G|T|%)$")
PRINTABLE = re.compile(r"^[ -~]*$")


def needs_quotes(s, flow=False):
    """True when `s` cannot be written as a plain scalar (or would not read back as a string
    with YAML 1.1 rules, as kubectl reads it)."""
    if s == "" or s != s.strip() or not PRINTABLE.match(s):
        return True
    low = s.lower()
    if low in YAML11_WORDS or low.lstrip("+-") in (".inf", ".nan"):
        return True
    if s[0] in "0123456789+.":
        return not QUANTITY.match(s)
    if s[0] == "-":
        # `--flag` and `-c` are plain; `-1` and `- x` are not.
        if not s[1:2].isalpha() and not s.startswith("--"):
            return True
    elif s[0] in "?:,[]{}#&*!|>'\"%@`<=":
        return True
    if ": " in s or " #" in s or s.endswith(":"):
        return True
    if any(c in s for c in ",[]{}"):
        return True
    if flow and (":" in s or "#" in s):
        return True
    return False


class Emitter:
    """Writes one document in block style with per-document style choices."""

    def __init__(self, rng, indent_sequences, flow_prob, quote_prob):
        self.rng = rng
        self.indent_sequences = indent_sequences
        self.flow_prob = flow_prob
        self.quote_prob = quote_prob

    # scalars

    def quote(self, s, q=None):
        if q is None:
            q = "'" if ("\\" not in s and "\n" not in s and self.rng.random() < 0.5) else '"'
        if q == "'" and "\n" not in s:
            return "'" + s.replace("'", "''") + "'"
        return json.dumps(s)

    def scalar(self, v, flow=False):
        if isinstance(v, Raw):
            return v.text
        if isinstance(v, Quoted):
            return self.quote(v.text, v.quote)
        if v is None:
            return "null"
        if v is True:
            return "true"
        if v is False:
            return "false"
        if isinstance(v, int):
            return str(v)
        if isinstance(v, float):
            return repr(v)
        s = v
        if needs_quotes(s, flow):
            return self.quote(s)
        if self.rng.random() < self.quote_prob:
            return self.quote(s)
        return s

    def key(self, k):
        if k == "<<":
            return k
        if needs_quotes(k):
            return json.dumps(k)
        return k

    @staticmethod
    def is_scalar(v):
        return isinstance(v, (str, int, float, bool, Raw, Quoted)) or v is None

    def flowable(self, v):
        if isinstance(v, dict):
            return (
                0 < len(v) <= 4
                and all(self.is_scalar(x) and not (isinstance(x, str) and "\n" in x)
                        for x in v.values())
                and not any(isinstance(k, Comment) or k == "<<" for k in v)
            )
        if isinstance(v, list):
            return 0 < len(v) <= 6 and all(
                self.is_scalar(x) and not (isinstance(x, str) and "\n" in x) for x in v
            )
        return False

    def flow(self, v):
        if isinstance(v, Flow):
            v = v.value
        if isinstance(v, dict):
            inner = ", ".join(
                f"{self.key(k)}: {self.flow(x)}" for k, x in v.items()
            )
            return "{" + inner + "}"
        if isinstance(v, list):
            return "[" + ", ".join(self.flow(x) for x in v) + "]"
        if isinstance(v, Alias):
            return "*" + v.name
        return self.scalar(v, flow=True)

    def block_scalar(self, s, indent):
        chomp = "" if s.endswith("\n") else "-"
        style = "|"
        body = s[:-1] if s.endswith("\n") else s
        pad = " " * indent
        lines = [pad + ln if ln else "" for ln in body.split("\n")]
        return style + chomp, lines

    # collections

    def node_after_key(self, prefix, v, indent, out):
        """Writes `prefix` (a `key:` or `-`) followed by node `v` whose block content sits at
        `indent`."""
        anchor = ""
        if isinstance(v, Anchor):
            anchor = " &" + v.name
            v = v.value
        if isinstance(v, Alias):
            out.append(f"{prefix} *{v.name}")
            return
        if isinstance(v, str) and "\n" in v and not v.startswith(" "):
            head, lines = self.block_scalar(v, indent)
            out.append(f"{prefix}{anchor} {head}")
            out.extend(lines)
            return
        if self.is_scalar(v):
            out.append(f"{prefix}{anchor} {self.scalar(v)}")
            return
        if isinstance(v, Flow) or (self.flowable(v) and self.rng.random() < self.flow_prob):
            out.append(f"{prefix}{anchor} {self.flow(v)}")
            return
        if isinstance(v, (dict, list)) and len(v) == 0:
            out.append(f"{prefix}{anchor} {'{}' if isinstance(v, dict) else '[]'}")
            return
        if isinstance(v, dict):
            if prefix.endswith("-") and not anchor and not isinstance(next(iter(v)), Comment):
                # Compact `- key: value` form.
                sub = []
                self.mapping(v, indent, sub)
                first = sub[0]
                sub[0] = prefix + " " + first[indent:]
                out.extend(sub)
            else:
                out.append(prefix + anchor)
                self.mapping(v, indent, out)
            return
        if isinstance(v, list):
            out.append(prefix + anchor)
            self.sequence(v, indent, out)
            return
        raise TypeError(f"cannot emit {type(v)}")

    def mapping(self, m, indent, out):
        pad = " " * indent
        for k, v in m.items():
            if isinstance(k, Comment):
                out.append(f"{pad}# {k.text}")
                continue
            inner = v.value if isinstance(v, Anchor) else v
            if isinstance(inner, list) and not isinstance(inner, Flow):
                child = indent + 2 if self.indent_sequences else indent
            else:
                child = indent + 2
            self.node_after_key(f"{pad}{self.key(k)}:", v, child, out)

    def sequence(self, s, indent, out):
        pad = " " * indent
        for v in s:
            if isinstance(v, list):
                v = Flow(v)
            self.node_after_key(f"{pad}-", v, indent + 2, out)

    def document(self, obj):
        out = []
        self.mapping(obj, 0, out)
        return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------------------------
# Vocabulary

NAMESPACES = [
    "payments", "checkout", "catalog", "search", "identity", "accounts", "orders", "shipping",
    "inventory", "pricing", "recommendations", "notifications", "media", "analytics",
    "reporting", "billing", "fraud", "loyalty", "partner-api", "mobile-bff", "web",
    "monitoring", "logging", "tracing", "ingress-nginx", "cert-manager", "external-dns",
    "kube-system", "gatekeeper-system", "flux-system", "argocd", "data-platform", "ml-serving",
    "batch-jobs", "etl", "streaming", "cache", "databases", "security-tools", "default",
]
ADJECTIVES = [
    "fast", "blue", "quiet", "stable", "edge", "core", "north", "smart", "prime", "delta",
    "omega", "rapid", "solid", "bright", "lunar", "micro", "hyper", "urban", "cloud", "terra",
]
NOUNS = [
    "api", "gateway", "worker", "frontend", "backend", "scheduler", "indexer", "consumer",
    "producer", "proxy", "cache", "store", "broker", "sync", "exporter", "collector", "agent",
    "controller", "operator", "renderer", "resolver", "auth", "ledger", "mailer", "importer",
]
TEAMS = ["team-alpha", "team-bravo", "platform", "sre", "data", "growth", "security", "core"]
ENVIRONMENTS = ["prod", "staging", "dev", "qa"]

REGISTRY_IMAGES = [
    # (repository, tags) as found in real clusters, from many registries.
    ("nginx", ["1.25.3", "1.25.3-alpine", "stable", "latest", None]),
    ("redis", ["7.2.4", "7.2-alpine", "latest"]),
    ("postgres", ["16.1", "15.5-bullseye"]),
    ("busybox", ["1.36", "latest", None]),
    ("library/alpine", ["3.19", "3.18.5"]),
    ("docker.io/bitnami/kafka", ["3.6.1-debian-11-r0", "3.6"]),
    ("docker.io/grafana/grafana", ["10.2.3", "latest"]),
    ("mcr.microsoft.com/dotnet/aspnet", ["8.0", "8.0-jammy-chiseled", "6.0.25"]),
    ("mcr.microsoft.com/oss/kubernetes/pause", ["3.9"]),
    ("mcr.microsoft.com/azuremonitor/containerinsights/ciprod", ["3.1.16"]),
    ("mcr.microsoft.com/oss/azure/secrets-store/provider-azure", ["v1.5.0"]),
    ("contosoprod.azurecr.io/shop/{app}", ["1.4.2", "v2.0.0-rc.1", "2024.01.15-3f2a1bc", "latest"]),
    ("contosodev.azurecr.io/{team}/{app}", ["dev", "sha-8c1e2f7", "0.9.12"]),
    ("fabrikam.azurecr.io/platform/{app}", ["3.2.1", "3.2"]),
    ("ghcr.io/{team}/{app}", ["v1.8.0", "main", "pr-1423"]),
    ("quay.io/prometheus/node-exporter", ["v1.7.0"]),
    ("quay.io/prometheus/prometheus", ["v2.48.1"]),
    ("quay.io/jetstack/cert-manager-controller", ["v1.13.3"]),
    ("registry.k8s.io/ingress-nginx/controller", ["v1.9.5"]),
    ("registry.k8s.io/kube-state-metrics/kube-state-metrics", ["v2.10.1"]),
    ("gcr.io/distroless/static-debian12", ["nonroot", "latest"]),
    ("public.ecr.aws/aws-observability/aws-otel-collector", ["v0.35.0"]),
    ("localhost:5000/{app}", ["dev", None]),
    ("registry.gitlab.com/contoso/{app}/server", ["1.0.7"]),
    ("harbor.internal.contoso.com:8443/library/{app}", ["2.1.0", "2.1.0-hotfix"]),
]

CONFIG_SNIPPETS = {
    "nginx.conf": """worker_processes auto;
error_log /dev/stderr warn;
pid /tmp/nginx.pid;

events {
    worker_connections 1024;
}

http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    log_format main '$remote_addr - $remote_user [$time_local] "$request" '
                    '$status $body_bytes_sent "$http_referer" '
                    '"$http_user_agent" "$http_x_forwarded_for"';
    access_log /dev/stdout main;
    sendfile on;
    keepalive_timeout 65;
    client_max_body_size 16m;

    upstream backend {
        server {app}.{ns}.svc.cluster.local:8080;
        keepalive 32;
    }

    server {
        listen 8080;
        server_name _;
        location /healthz {
            return 200 'ok';
        }
        location / {
            proxy_pass http://backend;
            proxy_set_header Host $host;
            proxy_set_header X-Request-Id $request_id;
            proxy_read_timeout 30s;
        }
    }
}
""",
    "application.properties": """server.port=8080
server.shutdown=graceful
spring.application.name={app}
spring.datasource.url=jdbc:postgresql://postgres.databases.svc:5432/{app}
spring.datasource.hikari.maximum-pool-size=20
spring.jpa.open-in-view=false
management.endpoints.web.exposure.include=health,info,prometheus
management.endpoint.health.probes.enabled=true
logging.level.root=INFO
logging.level.com.contoso={level}
feature.checkout.v2=true
feature.search.fuzzy=false
""",
    "config.yaml": """# rendered by the platform chart
---
service:
  name: {app}
  environment: {env}
  port: 8080
  metrics:
    enabled: true
    path: /metrics
logging:
  level: {level}
  format: json
upstreams:
  - name: catalog
    url: http://catalog-api.catalog.svc:8080
    timeout: 2s
  - name: pricing
    url: http://pricing-api.pricing.svc:8080
    timeout: 500ms
retry:
  attempts: 3
  backoff: [100ms, 400ms, 1600ms]
""",
    "settings.json": """{
  "service": "{app}",
  "environment": "{env}",
  "cache": {"ttlSeconds": 300, "maxEntries": 10000},
  "featureFlags": {"newCheckout": true, "darkMode": false, "betaSearch": true},
  "endpoints": [
    "https://{app}.{env}.contoso.com/api",
    "https://{app}-internal.{ns}.svc.cluster.local:8443"
  ]
}
""",
    "entrypoint.sh": """#!/bin/sh
set -eu
echo "starting {app} in {env}"
if [ -f /config/settings.json ]; then
  export APP_SETTINGS=/config/settings.json
fi
for i in $(seq 1 30); do
  if nc -z postgres.databases.svc 5432; then
    break
  fi
  echo "waiting for database ($i)"
  sleep 2
done
exec /app/server --config /config/config.yaml "$@"
""",
    "prometheus.yml": """global:
  scrape_interval: 30s
  evaluation_interval: 30s
scrape_configs:
  - job_name: kubernetes-pods
    kubernetes_sd_configs:
      - role: pod
    relabel_configs:
      - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_scrape]
        action: keep
        regex: true
      - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_path]
        action: replace
        target_label: __metrics_path__
        regex: (.+)
      - source_labels: [__meta_kubernetes_namespace]
        action: replace
        target_label: namespace
""",
    "logback.xml": """<configuration>
  <appender name="STDOUT" class="ch.qos.logback.core.ConsoleAppender">
    <encoder class="net.logstash.logback.encoder.LogstashEncoder"/>
  </appender>
  <logger name="com.contoso.{app}" level="{level}"/>
  <root level="INFO">
    <appender-ref ref="STDOUT"/>
  </root>
</configuration>
""",
}

API_GROUP_RESOURCES = [
    ("", ["pods", "pods/log", "services", "endpoints", "configmaps", "secrets", "events",
          "persistentvolumeclaims", "serviceaccounts", "namespaces", "nodes", "pods/exec"]),
    ("apps", ["deployments", "statefulsets", "daemonsets", "replicasets", "deployments/scale"]),
    ("batch", ["jobs", "cronjobs"]),
    ("networking.k8s.io", ["ingresses", "networkpolicies"]),
    ("rbac.authorization.k8s.io", ["roles", "rolebindings", "clusterroles", "clusterrolebindings"]),
    ("coordination.k8s.io", ["leases"]),
    ("autoscaling", ["horizontalpodautoscalers"]),
    ("policy", ["poddisruptionbudgets"]),
    ("monitoring.coreos.com", ["servicemonitors", "podmonitors", "prometheusrules"]),
    ("cert-manager.io", ["certificates", "issuers", "certificaterequests"]),
]
VERB_SETS = [
    ["get", "list", "watch"],
    ["get", "list", "watch", "create", "update", "patch", "delete"],
    ["get"],
    ["create"],
    ["*"],
    ["get", "update", "patch"],
    ["list", "watch"],
]

# ---------------------------------------------------------------------------------------------
# Objects


class Gen:
    def __init__(self, seed, variant):
        self.rng = random.Random(seed)
        self.variant = variant

    # helpers

    def p(self, prob):
        return self.rng.random() < prob

    def pick(self, seq):
        return seq[self.rng.randrange(len(seq))]

    def weighted(self, pairs):
        total = sum(w for _, w in pairs)
        x = self.rng.random() * total
        for v, w in pairs:
            x -= w
            if x < 0:
                return v
        return pairs[-1][0]

    def hexstr(self, n):
        return "".join(self.pick("0123456789abcdef") for _ in range(n))

    def uuid(self):
        return "-".join(self.hexstr(n) for n in (8, 4, 4, 4, 12))

    def labels(self, app, component=None, extra=True):
        lab = {
            "app.kubernetes.io/name": app,
            "app.kubernetes.io/instance": f"{app}-{self.pick(ENVIRONMENTS)}",
        }
        if component:
            lab["app.kubernetes.io/component"] = component
        if extra:
            if self.p(0.7):
                lab["app.kubernetes.io/part-of"] = self.pick(NOUNS) + "-suite"
            if self.p(0.6):
                lab["app.kubernetes.io/managed-by"] = self.pick(["Helm", "kustomize", "argocd"])
            if self.p(0.5):
                major, minor = self.rng.randrange(0, 5), self.rng.randrange(0, 20)
                lab["helm.sh/chart"] = f"{app}-{major}.{minor}.{self.rng.randrange(0, 9)}"
            if self.p(0.4):
                lab["team"] = self.pick(TEAMS)
        return lab

    def metadata(self, name, ns, app, component=None, cluster=False):
        m = {"name": name}
        if ns and not cluster:
            if self.p(0.93):
                m["namespace"] = ns
        m["labels"] = self.labels(app, component)
        if self.p(0.5):
            ann = {}
            if self.p(0.5):
                ann["meta.helm.sh/release-name"] = app
                ann["meta.helm.sh/release-namespace"] = ns or "default"
            if self.p(0.3):
                ann["contoso.com/owner"] = f"{self.pick(TEAMS)}@contoso.com"
            if self.p(0.2):
                ann["contoso.com/runbook"] = f"https://wiki.contoso.com/runbooks/{app}"
            if ann:
                m["annotations"] = ann
        return m

    def image(self, app, team):
        repo, tags = self.pick(REGISTRY_IMAGES)
        repo = repo.replace("{app}", app).replace("{team}", team)
        tag = self.pick(tags)
        digest = None
        if self.p(0.18):
            digest = "sha256:" + self.hexstr(64)
        if digest and self.p(0.5):
            return f"{repo}@{digest}"
        s = repo if tag is None else f"{repo}:{tag}"
        if digest:
            s += "@" + digest
        return s

    def quantity_cpu(self):
        return self.weighted([
            ("100m", 5), ("250m", 4), ("50m", 2), ("500m", 3), (Raw("0.5", 0.5), 2),
            (1, 2), (Raw("2", 2), 1), ("1500m", 1), (Quoted("1"), 1), (Raw("0.25", 0.25), 1),
        ])

    def quantity_mem(self):
        return self.weighted([
            ("128Mi", 4), ("256Mi", 4), ("512Mi", 4), ("1Gi", 3), ("2Gi", 2), ("64Mi", 2),
            (Raw("1e3", 1000.0), 1), ("1G", 1), ("129M", 1), (134217728, 1), ("1.5Gi", 1),
            (Quoted("768Mi", "'"), 1),
        ])

    def resources(self, anchors):
        r = {}
        if self.p(0.9):
            r["requests"] = {"cpu": self.quantity_cpu(), "memory": self.quantity_mem()}
            if self.p(0.1):
                r["requests"]["ephemeral-storage"] = "1Gi"
        if self.p(0.7):
            lim = {"memory": self.quantity_mem()}
            if self.p(0.6):
                lim["cpu"] = self.quantity_cpu()
            r["limits"] = lim
        return r

    def env(self, app, ns):
        out = []
        n = self.weighted([(0, 1), (3, 2), (6, 3), (10, 3), (16, 3), (24, 2)])
        names = ["LOG_LEVEL", "PORT", "ENVIRONMENT", "DB_HOST", "DB_PORT", "DB_NAME",
                 "DB_PASSWORD", "REDIS_URL", "JAVA_OPTS", "ASPNETCORE_URLS", "OTEL_SERVICE_NAME",
                 "OTEL_EXPORTER_OTLP_ENDPOINT", "POD_NAME", "POD_NAMESPACE", "NODE_NAME",
                 "API_KEY", "FEATURE_FLAGS", "GOMAXPROCS", "TZ", "HTTP_PROXY", "NO_PROXY",
                 "AZURE_CLIENT_ID", "AZURE_TENANT_ID", "KAFKA_BROKERS", "CACHE_TTL"]
        for i in range(n):
            name = names[(i * 7 + len(app)) % len(names)] if i < len(names) else f"EXTRA_{i}"
            kind = self.weighted([("value", 10), ("secret", 3), ("cm", 2), ("field", 2),
                                  ("resource", 1)])
            if kind == "value":
                val = self.weighted([
                    ("info", 2), (Quoted("8080"), 2), ("production", 1),
                    (f"http://otel-collector.monitoring.svc:4317", 1),
                    ("-XX:MaxRAMPercentage=75.0 -XX:+UseG1GC", 1), (Quoted("true"), 2),
                    ("Europe/Amsterdam", 1), (Quoted("2"), 1), ("http://+:8080", 1),
                    (f"{app}.{ns}.svc.cluster.local,10.0.0.0/8,.svc", 1),
                    (str(self.rng.randrange(1000, 99999)), 1),
                ])
                out.append({"name": name, "value": val})
            elif kind == "secret":
                out.append({"name": name, "valueFrom": {"secretKeyRef": {
                    "name": f"{app}-secrets", "key": name.lower().replace("_", "-")}}})
            elif kind == "cm":
                ref = {"name": f"{app}-config", "key": name.lower()}
                if self.p(0.3):
                    ref["optional"] = True
                out.append({"name": name, "valueFrom": {"configMapKeyRef": ref}})
            elif kind == "field":
                out.append({"name": name, "valueFrom": {"fieldRef": {
                    "apiVersion": "v1",
                    "fieldPath": self.pick(["metadata.name", "metadata.namespace",
                                            "spec.nodeName", "status.podIP"])}}})
            else:
                out.append({"name": name, "valueFrom": {"resourceFieldRef": {
                    "containerName": app, "resource": "limits.cpu", "divisor": "1"}}})
        return out

    def probe(self, port):
        kind = self.weighted([("http", 6), ("tcp", 2), ("exec", 2), ("grpc", 1)])
        if kind == "http":
            p = {"httpGet": {"path": self.pick(["/healthz", "/ready", "/actuator/health/liveness",
                                                "/health", "/"]),
                             "port": self.pick([port, "http", Quoted("8080")])}}
            if self.p(0.2):
                p["httpGet"]["scheme"] = "HTTP"
        elif kind == "tcp":
            p = {"tcpSocket": {"port": port}}
        elif kind == "exec":
            p = {"exec": {"command": self.pick([
                ["cat", "/tmp/healthy"], ["/bin/sh", "-c", "pg_isready -U postgres"],
                ["redis-cli", "ping"]])}}
        else:
            p = {"grpc": {"port": port}}
        if self.p(0.7):
            p["initialDelaySeconds"] = self.pick([0, 5, 10, 15, 30])
        if self.p(0.7):
            p["periodSeconds"] = self.pick([5, 10, 20])
        if self.p(0.4):
            p["timeoutSeconds"] = self.pick([1, 2, 5])
        if self.p(0.4):
            p["failureThreshold"] = self.pick([3, 5, 6])
        return p

    def container_security(self, level):
        if level == "hardened":
            sc = {
                "allowPrivilegeEscalation": False,
                "readOnlyRootFilesystem": True,
                "runAsNonRoot": True,
                "capabilities": {"drop": Flow(["ALL"]) if self.p(0.5) else ["ALL"]},
            }
            if self.p(0.5):
                sc["runAsUser"] = self.pick([1000, 10001, 65532])
            if self.p(0.4):
                sc["seccompProfile"] = {"type": "RuntimeDefault"}
            return sc
        if level == "partial":
            sc = {}
            if self.p(0.6):
                sc["allowPrivilegeEscalation"] = self.p(0.3)
            if self.p(0.5):
                sc["runAsUser"] = self.pick([0, 1000, 1001])
            if self.p(0.3):
                sc["capabilities"] = {"add": self.pick([["NET_BIND_SERVICE"], ["NET_ADMIN"],
                                                        ["SYS_TIME"], ["CHOWN", "SETUID"]])}
            if self.p(0.2):
                sc["readOnlyRootFilesystem"] = False
            return sc or None
        if level == "privileged":
            sc = {"privileged": True}
            if self.p(0.5):
                sc["capabilities"] = {"add": ["SYS_ADMIN", "NET_ADMIN"]}
            if self.p(0.3):
                sc["runAsUser"] = 0
            if self.p(0.1):
                sc["procMount"] = "Unmasked"
            if self.p(0.1):
                sc["seLinuxOptions"] = {"type": "spc_t"}
            return sc
        return None

    def container(self, name, app, team, ns, level, init, anchors):
        c = {"name": name, "image": self.image(app, team)}
        if self.p(0.4):
            c["imagePullPolicy"] = self.pick(["IfNotPresent", "Always", "Never"])
        if self.p(0.35):
            c["command"] = self.pick([["/app/server"], ["/bin/sh", "-c"], ["dotnet", f"{app}.dll"],
                                      ["java", "-jar", "/app/app.jar"]])
        if self.p(0.45):
            args = self.pick([
                ["--port=8080", "--log-level=info"],
                ["--config", "/config/config.yaml", "--metrics-addr=:9090"],
                [f"exec /app/server --config /config/config.yaml --name {app}"],
                ["--leader-elect", "--v=2", f"--namespace={ns}"],
            ])
            if len(args) == 1 and self.p(0.5):
                # A long shell line folded the way people write them.
                args = [f"until nc -z postgres.databases.svc 5432; do echo waiting; sleep 2; done\n"
                        f"exec /app/server --config /config/config.yaml --name {app}\n"]
            c["args"] = args
        port = self.pick([80, 8080, 8443, 3000, 5000, 9090, 6379, 5432])
        if not init and self.p(0.85):
            ports = [{"name": "http", "containerPort": port, "protocol": "TCP"}]
            if self.p(0.4):
                ports.append({"name": "metrics", "containerPort": 9102})
            if self.p(0.04):
                ports[0]["hostPort"] = port
            c["ports"] = ports
        env = self.env(app, ns)
        if env:
            c["env"] = env
        if self.p(0.25):
            c["envFrom"] = [{"configMapRef": {"name": f"{app}-config"}}]
            if self.p(0.5):
                c["envFrom"].append({"secretRef": {"name": f"{app}-secrets", "optional": True}})
        if self.p(0.85):
            res = self.resources(anchors)
            if "res" in anchors and self.p(0.5):
                if self.p(0.6):
                    c["resources"] = Alias("res", anchors["res"])
                else:
                    merged = {"<<": Alias("res", anchors["res"]),
                              "limits": {"memory": self.quantity_mem()}}
                    c["resources"] = merged
            elif "res" not in anchors and self.p(0.12):
                anchors["res"] = res
                c["resources"] = Anchor("res", res)
            else:
                c["resources"] = res
        if not init:
            if self.p(0.6):
                c["livenessProbe"] = self.probe(port)
            if self.p(0.6):
                c["readinessProbe"] = self.probe(port)
            if self.p(0.15):
                c["startupProbe"] = self.probe(port)
        sc = self.container_security(level)
        if sc is not None and self.p(0.9):
            c["securityContext"] = sc
        mounts = []
        if self.p(0.5):
            mounts.append({"name": "config", "mountPath": "/config", "readOnly": True})
        if self.p(0.4):
            mounts.append({"name": "tmp", "mountPath": "/tmp"})
        if self.p(0.1):
            mounts.append({"name": "host", "mountPath": "/host", "readOnly": self.p(0.5)})
        if self.p(0.15):
            mounts.append({"name": "data", "mountPath": "/var/lib/data", "subPath": app})
        if mounts:
            c["volumeMounts"] = mounts
        if self.p(0.1):
            c["lifecycle"] = {"preStop": {"exec": {"command": ["/bin/sh", "-c", "sleep 10"]}}}
        if self.p(0.1):
            c["terminationMessagePolicy"] = "FallbackToLogsOnError"
        return c

    def pod_spec(self, app, ns, team, kind):
        anchors = {}
        level = self.weighted([("hardened", 4), ("partial", 4), ("none", 3), ("privileged", 1)])
        if kind == "DaemonSet" and self.p(0.4):
            level = "privileged"
        spec = {}
        if self.p(0.75):
            spec["serviceAccountName"] = app if self.p(0.8) else "default"
        if self.p(0.3):
            spec["automountServiceAccountToken"] = self.p(0.2)
        if level == "privileged" or (kind == "DaemonSet" and self.p(0.5)):
            if self.p(0.5):
                spec["hostNetwork"] = True
            if self.p(0.3):
                spec["hostPID"] = True
            if self.p(0.1):
                spec["hostIPC"] = True
            if spec.get("hostNetwork") and self.p(0.7):
                spec["dnsPolicy"] = "ClusterFirstWithHostNet"
        if level == "hardened":
            psc = {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
            if self.p(0.6):
                psc["runAsUser"] = 10001
                psc["runAsGroup"] = 10001
                psc["fsGroup"] = 10001
            spec["securityContext"] = psc
        elif self.p(0.3):
            psc = {"fsGroup": self.pick([1000, 2000, 0])}
            if self.p(0.1):
                psc["sysctls"] = [{"name": self.pick(["net.ipv4.tcp_keepalive_time",
                                                      "kernel.msgmax", "net.core.somaxconn"]),
                                   "value": Quoted("600")}]
            if self.p(0.1):
                psc["seLinuxOptions"] = {"level": "s0:c123,c456"}
            spec["securityContext"] = psc
        if kind in ("Job", "CronJob"):
            spec["restartPolicy"] = self.pick(["OnFailure", "Never"])
        elif kind == "Pod" and self.p(0.5):
            spec["restartPolicy"] = "Always"
        if self.p(0.25):
            spec["initContainers"] = [
                self.container(f"init-{self.pick(['config', 'migrate', 'wait-db', 'perms'])}",
                               app, team, ns, level, True, anchors)
                for _ in range(self.weighted([(1, 4), (2, 1)]))
            ]
            for i, c in enumerate(spec["initContainers"]):
                c["name"] = f"{c['name']}-{i}"
        n = self.weighted([(1, 45), (2, 38), (3, 17)])
        containers = [self.container(app, app, team, ns, level, False, anchors)]
        sidecars = ["istio-proxy", "log-shipper", "oauth2-proxy", "cloudsql-proxy", "envoy"]
        for i in range(1, n):
            containers.append(self.container(sidecars[(i + len(app)) % len(sidecars)], app, team,
                                             ns, level, False, anchors))
        spec["containers"] = containers
        vols = []
        if self.p(0.5):
            vols.append({"name": "config", "configMap": {"name": f"{app}-config",
                                                         "defaultMode": Raw("0644", 420)
                                                         if self.p(0.3) else 420}})
        if self.p(0.4):
            ed = {}
            if self.p(0.3):
                ed["medium"] = "Memory"
            if self.p(0.4):
                ed["sizeLimit"] = "64Mi"
            vols.append({"name": "tmp", "emptyDir": ed})
        if self.p(0.1) or level == "privileged":
            hp = {"path": self.pick(["/var/log", "/var/run/docker.sock", "/", "/proc",
                                     "/etc/kubernetes",
                                     "/var/lib/kubelet"])}
            if self.p(0.5):
                hp["type"] = self.pick(["Directory", "Socket", "DirectoryOrCreate"])
            vols.append({"name": "host", "hostPath": hp})
        if self.p(0.15):
            vols.append({"name": "data", "persistentVolumeClaim": {"claimName": f"{app}-data"}})
        if self.p(0.15):
            vols.append({"name": "secrets-store", "csi": {
                "driver": "secrets-store.csi.k8s.io", "readOnly": True,
                "volumeAttributes": {"secretProviderClass": f"{app}-kv"}}})
        if self.p(0.1):
            vols.append({"name": "token", "projected": {"sources": [{"serviceAccountToken": {
                "path": "token", "expirationSeconds": 3600,
                "audience": "api://AzureADTokenExchange"}}]}})
        if vols:
            spec["volumes"] = vols
        if self.p(0.5):
            spec["nodeSelector"] = {"kubernetes.io/os": "linux"}
            if self.p(0.3):
                spec["nodeSelector"]["agentpool"] = self.pick(["system", "user", "gpu", "spot"])
        if self.p(0.3):
            spec["tolerations"] = [{"key": "CriticalAddonsOnly", "operator": "Exists"}]
            if self.p(0.4):
                spec["tolerations"].append({"key": "kubernetes.azure.com/scalesetpriority",
                                            "operator": "Equal", "value": "spot",
                                            "effect": "NoSchedule"})
        if self.p(0.25):
            spec["affinity"] = {"podAntiAffinity": {
                "preferredDuringSchedulingIgnoredDuringExecution": [{
                    "weight": 100,
                    "podAffinityTerm": {
                        "labelSelector": {"matchLabels": {"app.kubernetes.io/name": app}},
                        "topologyKey": "kubernetes.io/hostname"}}]}}
        if self.p(0.12):
            spec["topologySpreadConstraints"] = [{
                "maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone",
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": {"matchLabels": {"app.kubernetes.io/name": app}}}]
        if self.p(0.2):
            spec["imagePullSecrets"] = [{"name": "acr-pull"}]
        if self.p(0.25):
            spec["terminationGracePeriodSeconds"] = self.pick([10, 30, 60, 120])
        if self.p(0.1):
            spec["priorityClassName"] = self.pick(["high-priority", "system-cluster-critical"])
        if self.p(0.05):
            spec["runtimeClassName"] = "kata-mshv-vm-isolation"
        return spec

    def pod_template(self, app, ns, team, kind, sel_labels):
        meta = {}
        if isinstance(sel_labels, Anchor):
            meta["labels"] = Alias(sel_labels.name, sel_labels.value)
        else:
            meta["labels"] = dict(sel_labels)
            if self.p(0.4):
                meta["labels"]["version"] = self.pick(["v1", "v2", "canary"])
        if self.p(0.45):
            ann = {}
            if self.p(0.6):
                ann["prometheus.io/scrape"] = Quoted("true")
                ann["prometheus.io/port"] = Quoted("9102")
            if self.p(0.3):
                ann["checksum/config"] = self.hexstr(64)
            if self.p(0.2):
                ann["container.apparmor.security.beta.kubernetes.io/" + app] = self.pick(
                    ["runtime/default", "unconfined"])
            if self.p(0.2):
                ann["sidecar.istio.io/inject"] = Quoted("true")
            if ann:
                meta["annotations"] = ann
        return {"metadata": meta, "spec": self.pod_spec(app, ns, team, kind)}

    def workload(self, kind, app, ns, team):
        api = {"Deployment": "apps/v1", "StatefulSet": "apps/v1", "DaemonSet": "apps/v1",
               "ReplicaSet": "apps/v1", "Job": "batch/v1", "CronJob": "batch/v1", "Pod": "v1",
               "ReplicationController": "v1"}[kind]
        name = app if kind != "ReplicaSet" else f"{app}-{self.hexstr(10)}"
        obj = {"apiVersion": api, "kind": kind,
               "metadata": self.metadata(name, ns, app, "server")}
        sel = {"app.kubernetes.io/name": app, "app.kubernetes.io/instance": app}
        if kind in ("Deployment", "StatefulSet", "ReplicaSet", "DaemonSet") and self.p(0.1):
            sel = Anchor("labels", sel)
        if kind == "Pod":
            obj["metadata"]["labels"].update(sel)
            obj["spec"] = self.pod_spec(app, ns, team, kind)
            return obj
        spec = {}
        if kind in ("Deployment", "StatefulSet", "ReplicaSet", "ReplicationController"):
            spec["replicas"] = self.pick([1, 2, 3, 3, 5, 10])
        if kind == "StatefulSet":
            spec["serviceName"] = f"{app}-headless"
            if self.p(0.4):
                spec["podManagementPolicy"] = "Parallel"
        if kind == "Deployment":
            if self.p(0.5):
                spec["revisionHistoryLimit"] = self.pick([3, 5, 10])
            if self.p(0.5):
                spec["strategy"] = {"type": "RollingUpdate",
                                    "rollingUpdate": {"maxSurge": self.pick(["25%", 1]),
                                                      "maxUnavailable": self.pick([0, "25%"])}}
        if kind == "DaemonSet" and self.p(0.5):
            spec["updateStrategy"] = {"type": "RollingUpdate",
                                      "rollingUpdate": {"maxUnavailable": 1}}
        if kind == "ReplicationController":
            spec["selector"] = dict(sel)
        elif kind not in ("Job", "CronJob"):
            spec["selector"] = {"matchLabels": sel}
        tmpl = self.pod_template(app, ns, team, kind, sel if kind != "Job" else {"job": app})
        if kind == "CronJob":
            obj["spec"] = {
                "schedule": self.pick(["*/5 * * * *", "0 3 * * *", "@hourly", "30 1 * * 0"]),
                "concurrencyPolicy": self.pick(["Forbid", "Replace", "Allow"]),
                "successfulJobsHistoryLimit": 3,
                "failedJobsHistoryLimit": 1,
                "jobTemplate": {"spec": {"backoffLimit": self.pick([0, 2, 6]),
                                         "template": tmpl}},
            }
            if self.p(0.3):
                obj["spec"]["timeZone"] = "Etc/UTC"
            return obj
        if kind == "Job":
            spec["backoffLimit"] = self.pick([0, 3, 6])
            if self.p(0.5):
                spec["ttlSecondsAfterFinished"] = 86400
            if self.p(0.3):
                spec["completions"] = 5
                spec["parallelism"] = 2
        spec["template"] = tmpl
        if kind == "StatefulSet" and self.p(0.7):
            spec["volumeClaimTemplates"] = [{
                "metadata": {"name": "data"},
                "spec": {"accessModes": ["ReadWriteOnce"],
                         "storageClassName": self.pick(["managed-csi", "managed-csi-premium",
                                                        "azurefile-csi"]),
                         "resources": {"requests": {
                             "storage": self.pick(["8Gi", "32Gi", "128Gi"])}}}}]
        obj["spec"] = spec
        return obj

    def service(self, app, ns, headless=False):
        typ = self.weighted([("ClusterIP", 7), ("LoadBalancer", 2), ("NodePort", 1)])
        name = f"{app}-headless" if headless else app
        obj = {"apiVersion": "v1", "kind": "Service",
               "metadata": self.metadata(name, ns, app, "server")}
        if typ == "LoadBalancer" and self.p(0.6):
            obj["metadata"].setdefault("annotations", {})[
                "service.beta.kubernetes.io/azure-load-balancer-internal"] = Quoted("true")
        spec = {}
        if headless:
            spec["clusterIP"] = "None"
        elif typ != "ClusterIP" or self.p(0.4):
            spec["type"] = typ
        ports = [{"name": "http", "port": self.pick([80, 8080, 443]),
                  "targetPort": self.pick(["http", 8080, Quoted("8080")]), "protocol": "TCP"}]
        if typ == "NodePort":
            ports[0]["nodePort"] = self.rng.randrange(30000, 32767)
        if self.p(0.35):
            ports.append({"name": "metrics", "port": 9102, "targetPort": "metrics"})
        spec["ports"] = ports
        spec["selector"] = {"app.kubernetes.io/name": app, "app.kubernetes.io/instance": app}
        if typ == "LoadBalancer" and self.p(0.4):
            spec["loadBalancerSourceRanges"] = ["10.0.0.0/8", "192.168.0.0/16"]
        if typ == "LoadBalancer" and self.p(0.3):
            spec["externalTrafficPolicy"] = "Local"
        if self.p(0.1):
            spec["sessionAffinity"] = "ClientIP"
        obj["spec"] = spec
        return obj

    def configmap(self, app, ns, suffix="config"):
        env = self.pick(ENVIRONMENTS)
        level = self.pick(["debug", "info", "warn"])
        data = {}
        keys = list(CONFIG_SNIPPETS)
        for i in range(self.weighted([(1, 2), (2, 4), (3, 3), (4, 2)])):
            k = keys[(i * 3 + self.rng.randrange(len(keys))) % len(keys)]
            if k in data:
                continue
            text = CONFIG_SNIPPETS[k]
            for a, b in (("{app}", app), ("{ns}", ns), ("{env}", env), ("{level}", level)):
                text = text.replace(a, b)
            if self.p(0.2):
                text = text.rstrip("\n")
            data[k] = text
        if self.p(0.6):
            data["LOG_LEVEL"] = level
            data["ENVIRONMENT"] = env
            data["MAX_CONNECTIONS"] = Quoted(str(self.pick([10, 50, 100])))
            data["FEATURE_X_ENABLED"] = Quoted("false", "'")
        obj = {"apiVersion": "v1", "kind": "ConfigMap",
               "metadata": self.metadata(f"{app}-{suffix}", ns, app), "data": data}
        if self.p(0.05):
            obj["immutable"] = True
        return obj

    def service_account(self, app, ns):
        obj = {"apiVersion": "v1", "kind": "ServiceAccount",
               "metadata": self.metadata(app, ns, app)}
        if self.p(0.25):
            obj["metadata"].setdefault("annotations", {})[
                "azure.workload.identity/client-id"] = self.uuid()
        if self.p(0.3):
            obj["automountServiceAccountToken"] = False
        if self.p(0.1):
            obj["imagePullSecrets"] = [{"name": "acr-pull"}]
        return obj

    def rules(self, n):
        out = []
        for _ in range(n):
            group, resources = self.pick(API_GROUP_RESOURCES)
            res = sorted({self.pick(resources) for _ in range(self.rng.randrange(1, 4))})
            verbs = self.pick(VERB_SETS)
            rule = {"apiGroups": [group], "resources": res, "verbs": verbs}
            if self.p(0.08):
                rule = {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}
            elif self.p(0.08):
                rule["resourceNames"] = [f"{self.pick(NOUNS)}-lock"]
            out.append(rule)
        return out

    def role(self, app, ns, cluster):
        kind = "ClusterRole" if cluster else "Role"
        obj = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind,
               "metadata": self.metadata(app if not cluster else f"{ns}:{app}", ns, app,
                                         cluster=cluster)}
        heavy = self.variant == "rbac"
        obj["rules"] = self.rules(self.rng.randrange(1, 9 if heavy else 5))
        if cluster and self.p(0.1):
            labels = obj["metadata"]["labels"]
            labels["rbac.authorization.k8s.io/aggregate-to-view"] = Quoted("true")
        if cluster and self.p(0.05):
            obj["rules"].append({"nonResourceURLs": ["/metrics", "/healthz"], "verbs": ["get"]})
        return obj

    def binding(self, app, ns, cluster, role_name=None):
        kind = "ClusterRoleBinding" if cluster else "RoleBinding"
        role_kind = "ClusterRole" if cluster or self.p(0.2) else "Role"
        if role_name is None:
            role_name = self.pick(["view", "edit", "admin", "cluster-admin"]) \
                if role_kind == "ClusterRole" else app
        obj = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind,
               "metadata": self.metadata(app if not cluster else f"{ns}:{app}", ns, app,
                                         cluster=cluster),
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind,
                           "name": role_name}}
        subjects = [{"kind": "ServiceAccount", "name": app, "namespace": ns}]
        extra = self.rng.randrange(0, 5 if self.variant == "rbac" else 2)
        for _ in range(extra):
            subjects.append(self.pick([
                {"kind": "Group", "apiGroup": "rbac.authorization.k8s.io",
                 "name": self.uuid()},
                {"kind": "User", "apiGroup": "rbac.authorization.k8s.io",
                 "name": f"{self.pick(['alice', 'bob', 'carol', 'dave'])}@contoso.com"},
                {"kind": "Group", "apiGroup": "rbac.authorization.k8s.io",
                 "name": "system:authenticated"},
                {"kind": "ServiceAccount", "name": "default", "namespace": ns},
            ]))
        obj["subjects"] = subjects
        return obj

    def network_policy(self, app, ns, default_deny=False):
        obj = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
               "metadata": self.metadata("default-deny" if default_deny else f"{app}-netpol",
                                         ns, app)}
        if default_deny:
            obj["spec"] = {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
            return obj
        spec = {"podSelector": {"matchLabels": {"app.kubernetes.io/name": app}}}
        types = ["Ingress"] + (["Egress"] if self.p(0.5) else [])
        spec["policyTypes"] = types
        n_rules = 1 + self.rng.randrange(0, 4 if self.variant == "policy" else 2)
        ingress = []
        for _ in range(n_rules):
            frm = self.pick([
                [{"namespaceSelector": {"matchLabels": {
                    "kubernetes.io/metadata.name": self.pick(NAMESPACES)}}}],
                [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": self.pick(NOUNS)}}}],
                [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}}],
                [{"namespaceSelector": {}}],
            ])
            ingress.append({"from": frm, "ports": [{"protocol": "TCP",
                                                    "port": self.pick([8080, 80, 9102])}]})
        spec["ingress"] = ingress
        if "Egress" in types:
            spec["egress"] = [
                {"to": [{"namespaceSelector": {"matchLabels": {
                             "kubernetes.io/metadata.name": "kube-system"}},
                         "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
                 "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]},
            ]
            if self.p(0.3):
                spec["egress"].append({"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]})
        obj["spec"] = spec
        return obj

    def ingress(self, app, ns):
        host = f"{app}.{self.pick(ENVIRONMENTS)}.contoso.com"
        obj = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
               "metadata": self.metadata(app, ns, app)}
        ann = obj["metadata"].setdefault("annotations", {})
        if self.p(0.5):
            ann["cert-manager.io/cluster-issuer"] = "letsencrypt-prod"
        if self.p(0.4):
            ann["nginx.ingress.kubernetes.io/ssl-redirect"] = Quoted("true")
        if self.p(0.2):
            ann["nginx.ingress.kubernetes.io/configuration-snippet"] = (
                "more_set_headers \"X-Frame-Options: DENY\";\n"
                "more_set_headers \"X-Content-Type-Options: nosniff\";\n")
        spec = {"ingressClassName": self.pick(["nginx", "webapprouting.kubernetes.azure.com",
                                                "azure-application-gateway"])}
        if self.p(0.7):
            spec["tls"] = [{"hosts": [host], "secretName": f"{app}-tls"}]
        paths = [{"path": "/", "pathType": "Prefix",
                  "backend": {"service": {"name": app, "port": {"number": 80}}}}]
        if self.p(0.3):
            paths.append({"path": "/api", "pathType": "Prefix",
                          "backend": {"service": {"name": app, "port": {"name": "http"}}}})
        spec["rules"] = [{"host": host, "http": {"paths": paths}}]
        obj["spec"] = spec
        return obj

    def namespace(self, ns):
        obj = {"apiVersion": "v1", "kind": "Namespace",
               "metadata": {"name": ns, "labels": {"kubernetes.io/metadata.name": ns}}}
        if self.p(0.6 if self.variant != "policy" else 1.0):
            level = self.pick(["restricted", "baseline", "privileged"])
            obj["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] = level
            if self.p(0.5):
                obj["metadata"]["labels"]["pod-security.kubernetes.io/enforce-version"] = "latest"
            if self.p(0.5):
                obj["metadata"]["labels"]["pod-security.kubernetes.io/warn"] = "restricted"
        if self.p(0.3):
            obj["metadata"]["labels"]["istio-injection"] = "enabled"
        return obj

    def hpa(self, app, ns):
        return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                "metadata": self.metadata(app, ns, app),
                "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment",
                                            "name": app},
                         "minReplicas": 2, "maxReplicas": self.pick([5, 10, 20]),
                         "metrics": [{"type": "Resource", "resource": {
                             "name": "cpu", "target": {"type": "Utilization",
                                                       "averageUtilization": 70}}}]}}

    def pdb(self, app, ns):
        spec = {"selector": {"matchLabels": {"app.kubernetes.io/name": app}}}
        if self.p(0.5):
            spec["minAvailable"] = 1
        else:
            spec["maxUnavailable"] = "25%"
        return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
                "metadata": self.metadata(app, ns, app), "spec": spec}

    # one application: a workload and what usually comes with it

    def app_objects(self, app, ns, team):
        kind = self.weighted([
            ("Deployment", 45), ("StatefulSet", 12), ("DaemonSet", 7), ("ReplicaSet", 4),
            ("Job", 8), ("CronJob", 9), ("Pod", 10), ("ReplicationController", 5),
        ])
        objs = []
        v = self.variant
        if self.p(0.6 if v == "default" else 1.0):
            objs.append(("serviceaccount", self.service_account(app, ns)))
        if self.p(0.55):
            objs.append(("configmap", self.configmap(app, ns)))
            if self.p(0.25):
                objs.append(("configmap-env", self.configmap(app, ns, "env")))
        objs.append((kind.lower(), self.workload(kind, app, ns, team)))
        if self.p(0.3):
            # A second workload of the same chart (a worker, a migration job, a cron).
            kind2 = self.weighted([("Deployment", 5), ("Job", 2), ("CronJob", 2), ("Pod", 1)])
            objs.append((f"{kind2.lower()}-worker",
                         self.workload(kind2, f"{app}-worker", ns, team)))
        if kind not in ("Job", "CronJob") and self.p(0.8 if kind != "Pod" else 0.3):
            objs.append(("service", self.service(app, ns)))
            if kind == "StatefulSet":
                objs.append(("service-headless", self.service(app, ns, headless=True)))
            if self.p(0.3):
                objs.append(("ingress", self.ingress(app, ns)))
        if self.p({"default": 0.35, "rbac": 1.0, "policy": 0.3}[v]):
            objs.append(("role", self.role(app, ns, False)))
            objs.append(("rolebinding", self.binding(app, ns, False, app)))
        if self.p({"default": 0.1, "rbac": 0.6, "policy": 0.05}[v]) or kind == "DaemonSet":
            objs.append(("clusterrole", self.role(app, ns, True)))
            objs.append(("clusterrolebinding", self.binding(app, ns, True, f"{ns}:{app}")))
        if self.p({"default": 0.45, "rbac": 0.2, "policy": 1.0}[v]):
            objs.append(("networkpolicy", self.network_policy(app, ns)))
        if kind == "Deployment" and self.p(0.2):
            objs.append(("hpa", self.hpa(app, ns)))
        if kind in ("Deployment", "StatefulSet") and self.p(0.2):
            objs.append(("pdb", self.pdb(app, ns)))
        return objs


# ---------------------------------------------------------------------------------------------
# Layout


def render_yaml(gen, obj):
    em = Emitter(gen.rng, indent_sequences=gen.p(0.5), flow_prob=gen.rng.choice([0.0, 0.1, 0.3]),
                 quote_prob=gen.rng.choice([0.0, 0.02, 0.15]))
    return em.document(obj)


def render_json(gen, obj):
    return json.dumps(plain_value(obj), indent=gen.pick([2, 4])) + "\n"


def generate(out_dir, count, variant, layouts, seed):
    gen = Gen(seed, variant)
    files = []  # (relative path, [documents as text], objects)
    kinds = {}
    objects = 0
    ns_index = 0
    app_names = set()
    chart = 0

    def note_kind(obj):
        k = obj["kind"]
        kinds[k] = kinds.get(k, 0) + 1

    while objects < count:
        ns = NAMESPACES[ns_index % len(NAMESPACES)]
        round_ = ns_index // len(NAMESPACES)
        ns_index += 1
        nsdir = ns if round_ == 0 else f"{ns}-{round_}"
        # The namespace itself and its default-deny policy.
        head = [gen.namespace(ns)]
        if gen.p(0.7 if variant != "policy" else 1.0):
            head.append(gen.network_policy("default", ns, default_deny=True))
        head = head[: count - objects]
        for o in head:
            note_kind(o)
        files.append((f"{nsdir}/namespace.yaml", [render_yaml(gen, o) for o in head], len(head)))
        objects += len(head)
        team = gen.pick(TEAMS)
        for _ in range(gen.rng.randrange(25, 60)):
            if objects >= count:
                break
            base = f"{gen.pick(ADJECTIVES)}-{gen.pick(NOUNS)}"
            app = base
            i = 2
            while (nsdir, app) in app_names:
                app = f"{base}-{i}"
                i += 1
            app_names.add((nsdir, app))
            objs = gen.app_objects(app, ns, team)[: count - objects]
            chart += 1
            for _, o in objs:
                note_kind(o)
                if gen.p(0.1):
                    # Objects exported from a cluster carry their last `kubectl apply`.
                    applied = json.dumps(plain_value(o), separators=(",", ":")) + "\n"
                    o["metadata"].setdefault("annotations", {})[
                        "kubectl.kubernetes.io/last-applied-configuration"] = applied
            objects += len(objs)
            style = gen.weighted([("per-object", 6), ("bundle", 3), ("list", 0.15)])
            ext = ".yml" if gen.p(0.1) else ".yaml"
            if style == "list" and len(objs) > 1:
                # `kubectl get -o yaml` output: one List document holding the objects.
                lst = {"apiVersion": "v1", "kind": "List",
                       "items": [plain_value(o) for _, o in objs],
                       "metadata": {"resourceVersion": ""}}
                files.append((f"{nsdir}/{app}{ext}", [render_yaml(gen, lst)], len(objs)))
            elif style == "bundle" or style == "list":
                docs = []
                for part, o in objs:
                    text = f"# Source: {app}/templates/{part}.yaml\n" + render_yaml(gen, o)
                    docs.append(text)
                if gen.p(0.05):
                    # helm template leaves an empty document for a template that renders nothing
                    docs.append(f"# Source: {app}/templates/tests/test-connection.yaml\n")
                files.append((f"{nsdir}/{app}{ext}", docs, len(objs)))
            else:
                for part, o in objs:
                    if gen.p(0.04):
                        files.append((f"{nsdir}/{app}/{part}.json", [render_json(gen, o)], 1))
                    else:
                        text = render_yaml(gen, o)
                        if gen.p(0.5):
                            text = f"# Source: {app}/templates/{part}.yaml\n" + text
                        files.append((f"{nsdir}/{app}/{part}{ext}", [text], 1))

    files.sort(key=lambda f: f[0])
    manifest = {
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "variant": variant,
        "objects": objects,
        "kinds": dict(sorted(kinds.items())),
        "layouts": {},
    }

    if layouts in ("files", "both"):
        root = os.path.join(out_dir, "files")
        total = 0
        documents = 0
        for rel, docs, _ in files:
            path = os.path.join(root, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            if len(docs) == 1:
                text = docs[0]
            else:
                # Multi-document files, with or without a leading marker.
                lead = "---\n" if gen.p(0.5) else ""
                text = lead + "---\n".join(docs)
            with open(path, "w", encoding="utf-8", newline="\n") as f:
                f.write(text)
            total += len(text.encode("utf-8"))
            documents += len(docs)
        manifest["layouts"]["files"] = {
            "path": "files", "files": len(files), "documents": documents, "bytes": total,
        }

    if layouts in ("stream", "both"):
        path = os.path.join(out_dir, "all.yaml")
        total = 0
        documents = 0
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            for rel, docs, _ in files:
                for d in docs:
                    text = f"---\n# Source: files/{rel}\n{d}"
                    f.write(text)
                    total += len(text.encode("utf-8"))
                    documents += 1
        manifest["layouts"]["stream"] = {
            "path": "all.yaml", "files": 1, "documents": documents, "bytes": total,
        }
    return manifest


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out_dir", help="output directory (files/, all.yaml, manifest.json)")
    ap.add_argument("objects", nargs="?", type=int, default=10000,
                    help="number of Kubernetes objects (default 10000)")
    ap.add_argument("--objects", dest="objects_opt", type=int, metavar="N",
                    help="same as the positional argument")
    ap.add_argument("--variant", choices=["default", "rbac", "policy"], default="default")
    ap.add_argument("--layout", choices=["files", "stream", "both"], default="both")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = ap.parse_args()
    count = args.objects_opt if args.objects_opt is not None else args.objects
    if count < 1:
        ap.error("the object count must be at least 1")

    out = args.out_dir
    files_dir = os.path.join(out, "files")
    manifest_path = os.path.join(out, "manifest.json")
    if os.path.exists(files_dir) and not os.path.exists(manifest_path):
        sys.exit(f"gen_corpus: {files_dir} exists but was not written by this script "
                 f"(no {manifest_path}); refusing to replace it")
    os.makedirs(out, exist_ok=True)
    # Replace the whole previous corpus, so that nothing stale is left beside the new manifest.
    if os.path.exists(manifest_path):
        os.remove(manifest_path)
    if os.path.exists(files_dir):
        shutil.rmtree(files_dir)
    if os.path.exists(os.path.join(out, "all.yaml")):
        os.remove(os.path.join(out, "all.yaml"))

    manifest = generate(out, count, args.variant, args.layout, args.seed)
    with open(__file__, "rb") as f:
        manifest["generator_sha256"] = hashlib.sha256(f.read()).hexdigest()
    manifest["requested_objects"] = count
    with open(manifest_path, "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    for name, lay in manifest["layouts"].items():
        print(f"gen_corpus: {name}: {lay['path']}: {lay['files']} files, {lay['documents']} "
              f"documents, {manifest['objects']} objects, {lay['bytes'] / 1e6:.1f} MB "
              f"({lay['bytes'] / manifest['objects']:.0f} B/object)")


if __name__ == "__main__":
    main()
