#!/usr/bin/env python3
"""BSI TR-03183-2 v2.1.0 field check for relgate's SBOMs, in both formats.

Usage: python check_bsi.py {cdx-json|spdx3-json} FILE

Every requirement of the guideline's data-field tables (section 5.2: Table 2
SBOM fields, Table 3 component fields, the additional fields of Tables 4 and
5 which are SHALL when the data exists, and the prohibition of vulnerability
data in section 5.1) is a row of REQUIREMENTS below, with the field it reads
in CycloneDX 1.6+ JSON and in SPDX 3.0.1 JSON-LD. The field choices follow
the guideline's appendix 8.2 mapping tables (CycloneDX property names from
BSI's own taxonomy, `bsi:component:*`). It is written from the guideline, not
from relgate's code, so it can disagree with relgate.

The components checked are the delivered ones: the SBOM's primary component
and everything it reaches at run time (CycloneDX: `scope` not `excluded`;
SPDX 3: packages reachable from the root through `dependsOn` relationships
whose `scope` is not `build`).

Prints one JSON object: {"requirements": [...ids], "gaps": {"SBOM" or
"name@version": [requirement ids]}}. Exit 0 when there is no gap, 1 when
there is one, 2 on a usage error or an unreadable/unsupported document.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any, Callable, Dict, List, Optional, Tuple

SHA512_RE = re.compile(r"^[0-9a-f]{128}$")
URL_RE = re.compile(r"^https?://[^\s/]+")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+$")


def _fail(msg: str) -> None:
    print(f"check_bsi: {msg}", file=sys.stderr)
    sys.exit(2)


# --------------------------------------------------------------------------
# CycloneDX 1.6+ JSON
# --------------------------------------------------------------------------


class Cdx:
    def __init__(self, doc: Dict[str, Any]):
        if doc.get("bomFormat") != "CycloneDX":
            _fail("not a CycloneDX document")
        sv = str(doc.get("specVersion"))
        if sv not in ("1.6", "1.7"):
            _fail(f"TR-03183-2 v2.1 needs CycloneDX 1.6 or later, this is {sv}")
        self.doc = doc
        meta = doc.get("metadata") or {}
        self.root = meta.get("component") or {}
        comps = [c for c in doc.get("components") or [] if c.get("scope") != "excluded"]
        self.components = [self.root] + comps

    @staticmethod
    def name(c: Dict[str, Any]) -> str:
        return f"{c.get('name')}@{c.get('version')}"

    @staticmethod
    def props(c: Dict[str, Any], name: str) -> List[str]:
        return [p.get("value") for p in c.get("properties") or [] if p.get("name") == name]

    @staticmethod
    def refs(c: Dict[str, Any], kind: str) -> List[Dict[str, Any]]:
        return [r for r in c.get("externalReferences") or [] if r.get("type") == kind]

    @staticmethod
    def reachable(entity: Optional[Dict[str, Any]]) -> bool:
        if not isinstance(entity, dict):
            return False
        if any(URL_RE.match(u or "") for u in entity.get("url") or []):
            return True
        return any(EMAIL_RE.match(c.get("email") or "") for c in entity.get("contact") or [])


def cdx_sbom_creator(d: Cdx) -> bool:
    return Cdx.reachable((d.doc.get("metadata") or {}).get("manufacturer"))


def cdx_timestamp(d: Cdx) -> bool:
    return bool((d.doc.get("metadata") or {}).get("timestamp"))


def cdx_sbom_uri(d: Cdx) -> bool:
    return str(d.doc.get("serialNumber", "")).startswith("urn:uuid:")


def cdx_no_vulnerabilities(d: Cdx) -> bool:
    return not d.doc.get("vulnerabilities")


def cdx_creator(d: Cdx, c: Dict[str, Any]) -> bool:
    return Cdx.reachable(c.get("manufacturer"))


def cdx_filename(d: Cdx, c: Dict[str, Any]) -> bool:
    return any(v for v in Cdx.props(c, "bsi:component:filename"))


def cdx_dependencies(d: Cdx, c: Dict[str, Any]) -> bool:
    ref = c.get("bom-ref")
    listed = any(x.get("ref") == ref for x in d.doc.get("dependencies") or [])
    complete = any(
        comp.get("aggregate") in ("complete", "incomplete", "unknown")
        and ref in (comp.get("dependencies") or []) + (comp.get("assemblies") or [])
        for comp in d.doc.get("compositions") or []
    )
    return listed and complete


def cdx_licences(d: Cdx, c: Dict[str, Any]) -> bool:
    for entry in c.get("licenses") or []:
        if entry.get("expression"):
            return True
        lic = entry.get("license") or {}
        if lic.get("id") or lic.get("name"):
            return True
    return False


def cdx_hash(d: Cdx, c: Dict[str, Any]) -> bool:
    hashes = list(c.get("hashes") or [])
    for r in Cdx.refs(c, "distribution"):
        hashes += r.get("hashes") or []
    return any(h.get("alg") == "SHA-512" and SHA512_RE.match(h.get("content") or "") for h in hashes)


def cdx_prop(name: str, values: Tuple[str, str]) -> Callable[[Cdx, Dict[str, Any]], bool]:
    return lambda d, c: any(v in values for v in Cdx.props(c, name))


def cdx_source_uri(d: Cdx, c: Dict[str, Any]) -> bool:
    return any(URL_RE.match(r.get("url") or "") for r in Cdx.refs(c, "source-distribution") + Cdx.refs(c, "vcs"))


def cdx_deployable_uri(d: Cdx, c: Dict[str, Any]) -> bool:
    return any(URL_RE.match(r.get("url") or "") for r in Cdx.refs(c, "distribution"))


def cdx_unique_id(d: Cdx, c: Dict[str, Any]) -> bool:
    return bool(c.get("purl") or c.get("cpe") or (c.get("swid") or {}).get("tagId"))


# --------------------------------------------------------------------------
# SPDX 3.0.1 JSON-LD
# --------------------------------------------------------------------------


class Spdx3:
    def __init__(self, doc: Dict[str, Any]):
        if doc.get("@context") != "https://spdx.org/rdf/3.0.1/spdx-context.jsonld":
            _fail("not an SPDX 3.0.1 JSON-LD document")
        graph = doc.get("@graph") or []
        self.graph = graph
        self.by_id = {n.get("spdxId") or n.get("@id"): n for n in graph}
        self.info = next((n for n in graph if n.get("type") == "CreationInfo"), {})
        sboms = [n for n in graph if n.get("type") == "software_Sbom"]
        if len(sboms) != 1:
            _fail(f"expected one software_Sbom, found {len(sboms)}")
        self.sbom = sboms[0]
        roots = self.sbom.get("rootElement") or []
        self.root = self.by_id.get(roots[0]) if roots else None
        if not self.root:
            _fail("the software_Sbom has no root element")
        self.rels: Dict[Tuple[str, str], List[Dict[str, Any]]] = {}
        for n in graph:
            if n.get("type") in ("Relationship", "LifecycleScopedRelationship"):
                self.rels.setdefault((n.get("from"), n.get("relationshipType")), []).append(n)
        # Delivered: the root and what it reaches through non-build dependsOn / contains.
        seen, todo = [], [self.root["spdxId"]]
        while todo:
            i = todo.pop()
            if i in seen or i not in self.by_id:
                continue
            seen.append(i)
            for kind in ("dependsOn", "contains"):
                for r in self.rels.get((i, kind), []):
                    if r.get("scope") != "build":
                        todo.extend(r.get("to") or [])
        self.components = [self.by_id[i] for i in seen if self.by_id[i].get("type") == "software_Package"]

    @staticmethod
    def name(p: Dict[str, Any]) -> str:
        return f"{p.get('name')}@{p.get('software_packageVersion')}"

    def targets(self, p: Dict[str, Any], kind: str) -> List[Dict[str, Any]]:
        out = []
        for r in self.rels.get((p.get("spdxId"), kind), []):
            out += [self.by_id[t] for t in r.get("to") or [] if t in self.by_id]
        return out

    def files(self, p: Dict[str, Any]) -> List[Dict[str, Any]]:
        return [f for f in self.targets(p, "hasDistributionArtifact") if f.get("type") == "software_File"]

    def reachable_agent(self, agent_id: str) -> bool:
        a = self.by_id.get(agent_id) or {}
        if a.get("type") not in ("Person", "Organization"):
            return False
        for x in a.get("externalIdentifier") or []:
            t, v = x.get("externalIdentifierType"), x.get("identifier") or ""
            if (t == "email" and EMAIL_RE.match(v)) or (t in ("urlScheme", "other") and URL_RE.match(v)):
                return True
        return False


def s3_sbom_creator(d: Spdx3) -> bool:
    return any(d.reachable_agent(a) for a in d.info.get("createdBy") or [])


def s3_timestamp(d: Spdx3) -> bool:
    return bool(d.info.get("created"))


def s3_sbom_uri(d: Spdx3) -> bool:
    return bool(URL_RE.match(d.sbom.get("spdxId") or ""))


def s3_no_vulnerabilities(d: Spdx3) -> bool:
    return not any(str(n.get("type", "")).startswith("security_") for n in d.graph)


def s3_creator(d: Spdx3, p: Dict[str, Any]) -> bool:
    return any(d.reachable_agent(a) for a in p.get("originatedBy") or [])


def s3_filename(d: Spdx3, p: Dict[str, Any]) -> bool:
    return any(f.get("name") for f in d.files(p))


def s3_dependencies(d: Spdx3, p: Dict[str, Any]) -> bool:
    rels = d.rels.get((p.get("spdxId"), "dependsOn"), []) + d.rels.get((p.get("spdxId"), "contains"), [])
    return bool(rels) and all(r.get("completeness") in ("complete", "incomplete", "noAssertion") for r in rels)


def s3_licences(d: Spdx3, p: Dict[str, Any]) -> bool:
    lic = d.targets(p, "hasConcludedLicense") + d.targets(p, "hasDeclaredLicense")
    return any(x.get("simplelicensing_licenseExpression") for x in lic)


def s3_hash(d: Spdx3, p: Dict[str, Any]) -> bool:
    return any(
        h.get("algorithm") == "sha512" and SHA512_RE.match(h.get("hashValue") or "")
        for f in d.files(p)
        for h in f.get("verifiedUsing") or []
    )


def s3_purpose(values: Tuple[str, ...]) -> Callable[[Spdx3, Dict[str, Any]], bool]:
    # The property is stated when the file's purposes are given; `values`
    # are the purposes that express it (absence of "executable" says
    # non-executable, absence of "archive" says no archive).
    def check(d: Spdx3, p: Dict[str, Any]) -> bool:
        for f in d.files(p):
            purposes = set(f.get("software_additionalPurpose") or []) | {f.get("software_primaryPurpose")}
            if not values or purposes & set(values):
                return True
        return False

    return check


def s3_source_uri(d: Spdx3, p: Dict[str, Any]) -> bool:
    return any(
        r.get("externalRefType") in ("sourceArtifact", "vcs") and any(URL_RE.match(x) for x in r.get("locator") or [])
        for r in p.get("externalRef") or []
    )


def s3_deployable_uri(d: Spdx3, p: Dict[str, Any]) -> bool:
    return any(
        r.get("externalRefType") == "binaryArtifact" and any(URL_RE.match(x) for x in r.get("locator") or [])
        for f in d.files(p)
        for r in f.get("externalRef") or []
    )


def s3_unique_id(d: Spdx3, p: Dict[str, Any]) -> bool:
    return bool(p.get("software_packageUrl")) or any(
        x.get("externalIdentifierType") in ("cpe22", "cpe23", "swid", "packageUrl") for x in p.get("externalIdentifier") or []
    )


# --------------------------------------------------------------------------
# The table: (id, section, field, CycloneDX reader, SPDX 3 reader)
# --------------------------------------------------------------------------

SBOM_LEVEL = [
    ("sbom-creator", "5.2.1", "Creator of the SBOM (e-mail, else URL)", cdx_sbom_creator, s3_sbom_creator),
    ("timestamp", "5.2.1", "Timestamp", cdx_timestamp, s3_timestamp),
    ("sbom-uri", "5.2.3", "SBOM-URI", cdx_sbom_uri, s3_sbom_uri),
    ("no-vulnerabilities", "5.1", "No vulnerability information in the SBOM", cdx_no_vulnerabilities, s3_no_vulnerabilities),
]

COMPONENT_LEVEL = [
    ("creator", "5.2.2", "Component creator (e-mail, else URL)", cdx_creator, s3_creator),
    ("name", "5.2.2", "Component name", lambda d, c: bool(c.get("name")), lambda d, p: bool(p.get("name"))),
    ("version", "5.2.2", "Component version", lambda d, c: bool(c.get("version")), lambda d, p: bool(p.get("software_packageVersion"))),
    ("filename", "5.2.2", "Filename of the component", cdx_filename, s3_filename),
    ("dependencies", "5.2.2", "Dependencies on other components, completeness stated", cdx_dependencies, s3_dependencies),
    ("licences", "5.2.2", "Distribution licences", cdx_licences, s3_licences),
    ("hash", "5.2.2", "Hash value (SHA-512) of the deployable component", cdx_hash, s3_hash),
    ("executable", "5.2.2", "Executable property", cdx_prop("bsi:component:executable", ("executable", "non-executable")), s3_purpose(())),
    ("archive", "5.2.2", "Archive property", cdx_prop("bsi:component:archive", ("archive", "no archive")), s3_purpose(())),
    ("structured", "5.2.2", "Structured property", cdx_prop("bsi:component:structured", ("structured", "unstructured")), s3_purpose(("container", "firmware"))),
    ("source-uri", "5.2.4", "Source code URI", cdx_source_uri, s3_source_uri),
    ("deployable-uri", "5.2.4", "URI of the deployable form of the component", cdx_deployable_uri, s3_deployable_uri),
    ("unique-id", "5.2.4", "Other unique identifiers (purl, CPE, SWID)", cdx_unique_id, s3_unique_id),
    ("original-licences", "5.2.4", "Original licences", cdx_licences, s3_licences),
]


def check(kind: str, doc: Dict[str, Any]) -> Dict[str, List[str]]:
    col = 3 if kind == "cdx-json" else 4
    d: Any = Cdx(doc) if kind == "cdx-json" else Spdx3(doc)
    gaps: Dict[str, List[str]] = {}
    missing = [row[0] for row in SBOM_LEVEL if not row[col](d)]
    if missing:
        gaps["SBOM"] = missing
    for c in d.components:
        missing = [row[0] for row in COMPONENT_LEVEL if not row[col](d, c)]
        if missing:
            gaps[d.name(c)] = missing
    return gaps


def main(argv: List[str]) -> int:
    if len(argv) != 3 or argv[1] not in ("cdx-json", "spdx3-json"):
        print("usage: check_bsi.py {cdx-json|spdx3-json} FILE", file=sys.stderr)
        return 2
    try:
        with open(argv[2], encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        print(f"check_bsi: cannot read {argv[2]}: {e}", file=sys.stderr)
        return 2
    if not isinstance(doc, dict):
        _fail("top level is not a JSON object")
    gaps = check(argv[1], doc)
    ids = [r[0] for r in SBOM_LEVEL + COMPONENT_LEVEL]
    print(json.dumps({"requirements": ids, "gaps": gaps}, indent=2, sort_keys=True))
    return 1 if gaps else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
