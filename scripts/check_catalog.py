#!/usr/bin/env python3
"""Validate the aksguard control catalogue (src/catalog/controls.yaml).

Checks, against the schema the Rust loader (src/catalog/mod.rs) expects:
  * every control has the required keys and no unknown keys, with the right types
    (strings that YAML would mistype, e.g. unquoted 5.4.1 or yes, are reported);
  * id format <CODE>-<3 digits>, unique ids and names, id code matching the layer;
  * enum values (layer, severity, automation, evidence) and kebab-case names;
  * `covers` names existing items of items.tsv and every item is covered by some control;
  * partial and manual controls have a `question` and `attestation` evidence;
  * xref uses only known tool keys and lists of strings; references are https URLs;
  * optionally (--concepts), `concept` is a key of concepts.md.

Exit status 0 when the catalogue is valid, 1 otherwise. Requires PyYAML.
"""

from __future__ import annotations

import argparse
import collections
import csv
import re
import sys
from pathlib import Path

try:
    import yaml
except ImportError:  # pragma: no cover - environment problem, not a catalogue problem
    sys.exit("check_catalog.py needs PyYAML: pip install pyyaml")

ROOT = Path(__file__).resolve().parent.parent

LAYERS = {
    "control-plane": "CP",
    "network-edge": "NE",
    "admission-governance": "AD",
    "cluster-networking": "NW",
    "identity-access": "ID",
    "workload-security": "WL",
    "observability-response": "OB",
    "data-protection": "DP",
    "supply-chain": "SC",
    "secrets-hygiene": "SH",
    "organization": "OR",
}
SEVERITIES = ["critical", "high", "medium", "low", "info"]
AUTOMATIONS = ["automated", "partial", "manual"]
EVIDENCE = ["manifest", "cluster", "aks", "azure", "dockerfile", "repo", "attestation"]
XREF_TOOLS = {
    "checkov", "trivy", "kubescape", "kube-linter", "polaris",
    "azure-policy", "psrule", "cis-aks", "defender",
}

# key -> (required, expected python type)
SCHEMA = {
    "id": (True, str),
    "name": (True, str),
    "title": (True, str),
    "layer": (True, str),
    "severity": (True, str),
    "automation": (True, str),
    "evidence": (True, list),
    "concept": (True, str),
    "covers": (True, list),
    "summary": (True, str),
    "rationale": (True, str),
    "remediation": (True, str),
    "example": (False, str),
    "fixed": (False, str),
    "question": (False, str),
    "references": (True, list),
    "xref": (False, dict),
}

ID_RE = re.compile(r"^([A-Z]{2})-(\d{3})$")
NAME_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
CONCEPT_RE = re.compile(r"^[A-Z][A-Z0-9_]*$")


def load_items(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    header, body = rows[0], [r for r in rows[1:] if r and r[0].strip()]
    if header[0] != "id":
        raise SystemExit(f"{path}: first column should be 'id', found {header[0]!r}")
    return [r[0].strip() for r in body]


def load_concepts(path: Path) -> set[str]:
    keys = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^\|\s*([A-Z][A-Z0-9_]+)\s*\|", line)
        if m:
            keys.add(m.group(1))
    return keys


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--controls", type=Path, default=ROOT / "src/catalog/controls.yaml")
    ap.add_argument("--items", type=Path, default=ROOT / "src/catalog/items.tsv")
    ap.add_argument("--concepts", type=Path, default=None,
                    help="concepts.md; when given, every control's concept must be one of its keys")
    ap.add_argument("-q", "--quiet", action="store_true", help="print errors only")
    args = ap.parse_args()

    errors: list[str] = []
    warnings: list[str] = []

    try:
        data = yaml.safe_load(args.controls.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        print(f"error: {args.controls}: invalid YAML: {e}", file=sys.stderr)
        return 1
    if not isinstance(data, list):
        print(f"error: {args.controls}: top level must be a list of controls", file=sys.stderr)
        return 1

    items = load_items(args.items)
    item_set = set(items)
    if len(item_set) != len(items):
        dup = [i for i, n in collections.Counter(items).items() if n > 1]
        errors.append(f"items.tsv: duplicate item ids {dup}")
    concepts = load_concepts(args.concepts) if args.concepts else None

    seen_ids: dict[str, int] = {}
    seen_names: dict[str, str] = {}
    covered: dict[str, list[str]] = collections.defaultdict(list)

    for n, c in enumerate(data, 1):
        if not isinstance(c, dict):
            errors.append(f"control #{n}: not a mapping")
            continue
        cid = c.get("id") if isinstance(c.get("id"), str) else f"#{n}"
        where = f"{cid}"

        for key in c:
            if key not in SCHEMA:
                errors.append(f"{where}: unknown key '{key}'")
        for key, (required, typ) in SCHEMA.items():
            if key not in c or c[key] is None:
                if required:
                    errors.append(f"{where}: missing required key '{key}'")
                continue
            val = c[key]
            if not isinstance(val, typ):
                errors.append(f"{where}: '{key}' must be {typ.__name__}, got {type(val).__name__} ({val!r})")
                continue
            if typ is str and not val.strip():
                errors.append(f"{where}: '{key}' is empty")
            if typ is list:
                for v in val:
                    if not isinstance(v, str):
                        errors.append(f"{where}: '{key}' entry {v!r} is {type(v).__name__}, quote it")

        # id, layer
        cid_val = c.get("id")
        layer = c.get("layer")
        if isinstance(cid_val, str):
            m = ID_RE.match(cid_val)
            if not m:
                errors.append(f"{where}: id must look like WL-001")
            elif isinstance(layer, str) and layer in LAYERS and m.group(1) != LAYERS[layer]:
                errors.append(f"{where}: id code {m.group(1)} does not match layer {layer} ({LAYERS[layer]})")
            if cid_val in seen_ids:
                errors.append(f"{where}: duplicate id (also control #{seen_ids[cid_val]})")
            seen_ids[cid_val] = n
        if isinstance(layer, str) and layer not in LAYERS:
            errors.append(f"{where}: unknown layer '{layer}' (one of {', '.join(LAYERS)})")

        name = c.get("name")
        if isinstance(name, str):
            if not NAME_RE.match(name):
                errors.append(f"{where}: name '{name}' is not a kebab-case slug")
            if name in seen_names:
                errors.append(f"{where}: duplicate name '{name}' (also {seen_names[name]})")
            seen_names[name] = cid

        sev = c.get("severity")
        if isinstance(sev, str) and sev not in SEVERITIES:
            errors.append(f"{where}: unknown severity '{sev}' (one of {', '.join(SEVERITIES)})")
        auto = c.get("automation")
        if isinstance(auto, str) and auto not in AUTOMATIONS:
            errors.append(f"{where}: unknown automation '{auto}' (one of {', '.join(AUTOMATIONS)})")

        ev = c.get("evidence")
        if isinstance(ev, list):
            if not ev:
                errors.append(f"{where}: evidence is empty")
            for e in ev:
                if isinstance(e, str) and e not in EVIDENCE:
                    errors.append(f"{where}: unknown evidence '{e}' (one of {', '.join(EVIDENCE)})")
            if len(set(map(str, ev))) != len(ev):
                errors.append(f"{where}: evidence lists a source twice")
            if auto in ("partial", "manual") and "attestation" not in ev:
                errors.append(f"{where}: {auto} control must list 'attestation' evidence")
            if auto == "manual" and any(e != "attestation" for e in ev):
                warnings.append(f"{where}: manual control lists evidence other than attestation")
            if auto == "automated" and ev == ["attestation"]:
                errors.append(f"{where}: automated control with attestation-only evidence")

        if auto in ("partial", "manual") and not (isinstance(c.get("question"), str) and c["question"].strip()):
            errors.append(f"{where}: {auto} control needs a 'question' to attest")
        if auto == "automated" and "question" in c:
            warnings.append(f"{where}: automated control has a question (only partial/manual are attested)")
        if "fixed" in c and "example" not in c:
            warnings.append(f"{where}: 'fixed' without 'example'")

        concept = c.get("concept")
        if isinstance(concept, str):
            if not CONCEPT_RE.match(concept):
                errors.append(f"{where}: concept '{concept}' is not an UPPER_SNAKE key")
            elif concepts is not None and concept not in concepts:
                errors.append(f"{where}: concept '{concept}' is not a key of {args.concepts}")

        cov = c.get("covers")
        if isinstance(cov, list):
            if len(set(map(str, cov))) != len(cov):
                errors.append(f"{where}: covers lists an item twice")
            for i in cov:
                if isinstance(i, str):
                    if i not in item_set:
                        errors.append(f"{where}: covers unknown item '{i}'")
                    else:
                        covered[i].append(str(cid_val))

        refs = c.get("references")
        if isinstance(refs, list):
            if not refs:
                errors.append(f"{where}: references is empty")
            for r in refs:
                if isinstance(r, str) and not re.match(r"^https://\S+$", r):
                    errors.append(f"{where}: reference '{r}' is not an https URL")

        xref = c.get("xref")
        if isinstance(xref, dict):
            for tool, ids in xref.items():
                if tool not in XREF_TOOLS:
                    errors.append(f"{where}: unknown xref tool '{tool}' (one of {', '.join(sorted(XREF_TOOLS))})")
                if not isinstance(ids, list) or not ids:
                    errors.append(f"{where}: xref.{tool} must be a non-empty list")
                    continue
                for v in ids:
                    if not isinstance(v, str) or not v.strip():
                        errors.append(f"{where}: xref.{tool} entry {v!r} must be a non-empty string (quote it)")

    uncovered = [i for i in items if i not in covered]
    for i in uncovered:
        errors.append(f"item {i} is not covered by any control")

    for w in warnings:
        if not args.quiet:
            print(f"warning: {w}")
    for e in errors:
        print(f"error: {e}", file=sys.stderr)

    if not args.quiet:
        controls = [c for c in data if isinstance(c, dict)]
        print(f"\n{len(controls)} controls, {len(covered)}/{len(items)} items covered "
              f"({sum(len(v) for v in covered.values())} item-control links)")
        by_layer = collections.OrderedDict((l, collections.Counter()) for l in LAYERS)
        for c in controls:
            if c.get("layer") in by_layer:
                by_layer[c["layer"]][c.get("automation")] += 1
        print(f"\n{'layer':24} {'code':4} {'total':>5} " + " ".join(f"{a:>9}" for a in AUTOMATIONS))
        for layer, cnt in by_layer.items():
            print(f"{layer:24} {LAYERS[layer]:4} {sum(cnt.values()):5} "
                  + " ".join(f"{cnt[a]:9}" for a in AUTOMATIONS))
        tot = collections.Counter(c.get("automation") for c in controls)
        print(f"{'total':24} {'':4} {len(controls):5} " + " ".join(f"{tot[a]:9}" for a in AUTOMATIONS))
        sev = collections.Counter(c.get("severity") for c in controls)
        print("\nseverity: " + ", ".join(f"{s} {sev[s]}" for s in SEVERITIES))
        empty = [c.get("id") for c in controls if c.get("covers") == []]
        if empty:
            print(f"controls without checklist items (covers: []): {', '.join(map(str, empty))}")

    if errors:
        print(f"\nFAILED: {len(errors)} error(s) in {args.controls}", file=sys.stderr)
        return 1
    if not args.quiet:
        print("\nOK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
