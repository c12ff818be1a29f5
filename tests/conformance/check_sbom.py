#!/usr/bin/env python3
"""Independent SBOM conformance checker for relgate's integration tests.

Usage: python check_sbom.py KIND FILE
  KIND: cdx-json | cdx-xml | spdx-json | spdx3-json

Runs every applicable check against FILE using third-party validators that are
pinned in requirements.txt next to this script (cyclonedx-python-lib,
spdx-tools, ntia-conformance-checker, packageurl-python, license-expression,
spdx-python-model for SPDX 3) plus a few semantic checks written here.  Prints one line per check:

  PASS <check>
  FAIL <check>: <reason, first few errors>

Exit status: 0 if every check passed, 1 if any check failed, 2 on a usage
error or when FILE cannot be read.

A validator that cannot be imported or whose CLI is missing is a FAIL, never
a skip: a conformance harness that silently does less than it claims is worse
than none.
"""

from __future__ import annotations

import atexit
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, List, Optional, Tuple

KINDS = ("cdx-json", "cdx-xml", "spdx-json", "spdx3-json")
USAGE = "usage: check_sbom.py {cdx-json|cdx-xml|spdx-json|spdx3-json} FILE"

HERE = Path(__file__).resolve().parent
# The direct validator dependencies whose installed version must equal the pin
# in requirements.txt (so a PASS always means "passed the pinned validators").
PINNED_DIRECT = (
    "cyclonedx-python-lib",
    "spdx-tools",
    "ntia-conformance-checker",
    "packageurl-python",
    "license-expression",
    "spdx-python-model",
)

MAX_ERRORS = 5  # errors quoted per FAIL line
MAX_LINE = 4000  # hard cap on one FAIL line
SUBPROCESS_TIMEOUT = 300

# Absolute filesystem paths that must never leak into a published SBOM.
ABS_PATH_RE = re.compile(
    r"/home/|/tmp/|/root/|/work/|/Users/|file:///|\b[A-Za-z]:\\"
)
# Web URLs are not file-system paths: `https://crates.io/api/v1/crates/home/...`
# names the crate `home`, it does not leak a home directory.
WEB_URL_RE = re.compile(r"https?://[^\s\"'<>]+")
# A LicenseRef, optionally qualified by an external DocumentRef.
LICENSEREF_RE = re.compile(
    r"(?<![A-Za-z0-9.:-])((?:DocumentRef-[A-Za-z0-9.\-]+:)?LicenseRef-[A-Za-z0-9.\-]+)"
)
SPDXID_RE = re.compile(r"^SPDXRef-[A-Za-z0-9.\-]+$")
CDX_NS_RE = re.compile(r"^\{http://cyclonedx\.org/schema/bom/(\d+\.\d+)\}bom$")


class CheckFailed(Exception):
    """Raised by a check with a list of human-readable problems."""

    def __init__(self, problems: Iterable[str]):
        self.problems = [str(p) for p in problems] or ["(no detail)"]
        super().__init__("; ".join(self.problems))


class Missing(Exception):
    """A validator module or CLI is not installed."""


def _one_line(text: str) -> str:
    text = " | ".join(part.strip() for part in str(text).splitlines() if part.strip())
    return text if len(text) <= MAX_LINE else text[: MAX_LINE - 15] + " ...(truncated)"


def _summarise(problems: List[str]) -> str:
    shown = problems[:MAX_ERRORS]
    more = len(problems) - len(shown)
    out = "; ".join(shown)
    if more > 0:
        out += f"; (+{more} more)"
    return out


def _require(problems: List[str]) -> None:
    if problems:
        raise CheckFailed(problems)


def _import(module: str):
    try:
        return __import__(module, fromlist=["_"])
    except ImportError as e:  # pragma: no cover - exercised only when broken
        raise Missing(f"python module '{module}' not importable under {sys.executable}: {e}")


def _venv_cli(name: str) -> str:
    """Locate a console script installed next to the running interpreter.

    sys.executable is deliberately *not* resolved: in a venv it is a symlink
    whose parent directory is the venv's bin/ (Scripts\\ on Windows).
    """
    bindir = Path(sys.executable).parent
    for cand in (bindir / name, bindir / f"{name}.exe"):
        if cand.is_file() and os.access(cand, os.X_OK):
            return str(cand)
    raise Missing(f"console script '{name}' not found in {bindir} (install requirements.txt into this venv)")


# --------------------------------------------------------------------------
# Generic helpers
# --------------------------------------------------------------------------


def walk_strings(node: Any, path: str = "$") -> Iterator[Tuple[str, str]]:
    """Yield (json-path, string) for every key and string value in a JSON tree."""
    if isinstance(node, dict):
        for k, v in node.items():
            sub = f"{path}.{k}"
            if isinstance(k, str):
                yield (sub + " (key)", k)
            yield from walk_strings(v, sub)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from walk_strings(v, f"{path}[{i}]")
    elif isinstance(node, str):
        yield (path, node)


def abs_path_problems(strings: Iterable[Tuple[str, str]]) -> List[str]:
    problems = []
    for where, s in strings:
        m = ABS_PATH_RE.search(WEB_URL_RE.sub("", s))
        if m:
            snippet = s if len(s) <= 120 else s[:117] + "..."
            problems.append(f"{where}: absolute path marker {m.group(0)!r} in {snippet!r}")
    return problems


def check_purl(purl: Any, where: str) -> Optional[str]:
    packageurl = _import("packageurl")
    if not isinstance(purl, str) or not purl.strip():
        return f"{where}: missing purl"
    try:
        packageurl.PackageURL.from_string(purl)
    except Exception as e:  # any exception = unparseable
        return f"{where}: purl {purl!r} does not parse: {e}"
    return None


_SPDX_LICENSING = None


def _spdx_licensing():
    global _SPDX_LICENSING
    if _SPDX_LICENSING is None:
        le = _import("license_expression")
        _SPDX_LICENSING = le.get_spdx_licensing()
    return _SPDX_LICENSING


def license_expression_problem(expr: Any, where: str) -> Optional[str]:
    """Validate an expression that contains only SPDX license-list symbols."""
    if not isinstance(expr, str) or not expr.strip():
        return f"{where}: empty license expression"
    licensing = _spdx_licensing()
    try:
        info = licensing.validate(expr)
    except Exception as e:
        # license-expression 30.4.4's validate() itself crashes on some
        # malformed input (AttributeError: 'ExpressionError' object has no
        # attribute 'token_string'); parse() then yields the real reason.
        reason = f"{type(e).__name__}: {e}"
        try:
            licensing.parse(expr, validate=True, strict=True)
        except Exception as e2:
            reason = f"{type(e2).__name__}: {e2}"
        return f"{where}: license expression {expr!r} rejected: {reason}"
    if info.errors or info.invalid_symbols:
        return (
            f"{where}: license expression {expr!r} invalid: "
            f"errors={list(info.errors)} invalid_symbols={list(info.invalid_symbols)}"
        )
    return None


# --------------------------------------------------------------------------
# Checks shared by every kind
# --------------------------------------------------------------------------


def check_validator_versions() -> None:
    """Installed validator versions must equal the pins in requirements.txt."""
    from importlib import metadata

    req = HERE / "requirements.txt"
    try:
        lines = req.read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise Missing(f"cannot read {req}: {e}")
    pins = {}
    for line in lines:
        line = line.split("#", 1)[0].strip()
        m = re.match(r"^([A-Za-z0-9_.\-]+)(\[[^\]]*\])?==([^\s;]+)", line)
        if m:
            pins[re.sub(r"[-_.]+", "-", m.group(1)).lower()] = m.group(3)
    problems = []
    for name in PINNED_DIRECT:
        want = pins.get(name)
        if want is None:
            problems.append(f"{name} not pinned in {req.name}")
            continue
        try:
            have = metadata.version(name)
        except metadata.PackageNotFoundError:
            raise Missing(f"distribution '{name}' not installed under {sys.executable}")
        if have != want:
            problems.append(f"{name} installed {have}, pinned {want}")
    _require(problems)


# --------------------------------------------------------------------------
# CycloneDX JSON
# --------------------------------------------------------------------------


def _cdx_json_components(doc: dict) -> Iterator[Tuple[str, dict]]:
    """metadata.component and every (nested) entry of components[]."""

    def rec(comps: Any, path: str) -> Iterator[Tuple[str, dict]]:
        if isinstance(comps, list):
            for i, c in enumerate(comps):
                if isinstance(c, dict):
                    p = f"{path}[{i}]"
                    yield (p, c)
                    yield from rec(c.get("components"), p + ".components")

    meta = doc.get("metadata")
    if isinstance(meta, dict) and isinstance(meta.get("component"), dict):
        mc = meta["component"]
        yield ("$.metadata.component", mc)
        yield from rec(mc.get("components"), "$.metadata.component.components")
    yield from rec(doc.get("components"), "$.components")


def _collect_json_bom_refs(node: Any, path: str = "$") -> Iterator[Tuple[str, str]]:
    """Every "bom-ref" declared anywhere (components, services, tools, ...)."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "bom-ref":
                yield (path, v)
            else:
                yield from _collect_json_bom_refs(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _collect_json_bom_refs(v, f"{path}[{i}]")


def _json_licenses_arrays(node: Any, path: str = "$") -> Iterator[Tuple[str, list]]:
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "licenses" and isinstance(v, list):
                yield (f"{path}.licenses", v)
            else:
                yield from _json_licenses_arrays(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _json_licenses_arrays(v, f"{path}[{i}]")


def cdx_license_problems(
    licenses: Iterable[Tuple[str, Optional[str], Optional[str]]]
) -> List[str]:
    """licenses: (where, expression-or-None, license-id-or-None)."""
    cdx_spdx = _import("cyclonedx.spdx")
    problems = []
    for where, expr, lid in licenses:
        if expr is not None:
            # CycloneDX has no way to declare a LicenseRef's text, and
            # license-expression's SPDX index also accepts scancode's
            # "LicenseRef-scancode-*" keys, which are not SPDX ids: reject
            # every LicenseRef so only real SPDX-list symbols pass.
            refs = LICENSEREF_RE.findall(expr)
            if refs:
                problems.append(
                    f"{where}: license expression {expr!r} uses undeclarable {refs} "
                    f"(CycloneDX has no LicenseRef declarations)"
                )
                continue
            p = license_expression_problem(expr, where)
            if p:
                problems.append(p)
        if lid is not None:
            if not cdx_spdx.is_supported_id(lid):
                problems.append(f"{where}: license.id {lid!r} is not a known SPDX license id")
    return problems


def structure_problem(expr: str, where: str) -> Optional[str]:
    """The structure of an expression whose LicenseRefs are all declared.

    Declared LicenseRefs are valid by definition; they are stood in for with a
    plain SPDX license id so license-expression checks the structure
    (operators, parentheses, WITH exceptions) of the rest.
    """
    substituted = LICENSEREF_RE.sub("MIT", expr)
    err = license_expression_problem(substituted, where)
    if err and substituted != expr:
        err += f" (after substituting declared LicenseRefs in {expr!r})"
    return err


def cdx_json_checks(doc: Any, raw: str) -> List[Tuple[str, Callable[[], None]]]:
    def schema() -> None:
        cv_json = _import("cyclonedx.validation.json")
        cv_schema = _import("cyclonedx.schema")
        if not isinstance(doc, dict):
            raise CheckFailed(["top level is not a JSON object"])
        sv = doc.get("specVersion")
        try:
            version = cv_schema.SchemaVersion.from_version(str(sv))
        except Exception:
            raise CheckFailed([f"unsupported or missing specVersion {sv!r}"])
        errs = cv_json.JsonStrictValidator(version).validate_str(raw, all_errors=True)
        if errs is None:
            return
        errs = list(errs) if not isinstance(errs, cv_json.JsonValidationError) else [errs]
        problems = []
        for e in errs:
            d = getattr(e, "data", None)
            loc = "/".join(str(x) for x in getattr(d, "absolute_path", []) or [])
            msg = getattr(d, "message", None) or str(e)
            problems.append(f"[{loc or '<root>'}] {msg}")
        raise CheckFailed([f"JsonStrictValidator({version.to_version()}): {len(problems)} error(s)"] + problems)

    def bom_refs() -> None:
        seen = {}
        problems = []
        for where, ref in _collect_json_bom_refs(doc):
            if not isinstance(ref, str) or not ref:
                problems.append(f"{where}: empty/non-string bom-ref {ref!r}")
                continue
            if ref in seen:
                problems.append(f"duplicate bom-ref {ref!r} at {seen[ref]} and {where}")
            else:
                seen[ref] = where
        _require(problems)

    def dependency_refs() -> None:
        declared = {r for _, r in _collect_json_bom_refs(doc) if isinstance(r, str)}
        problems = []
        seen_refs = set()
        deps = doc.get("dependencies", []) if isinstance(doc, dict) else []
        for i, d in enumerate(deps or []):
            if not isinstance(d, dict):
                problems.append(f"$.dependencies[{i}] is not an object")
                continue
            ref = d.get("ref")
            if ref not in declared:
                problems.append(f"$.dependencies[{i}].ref {ref!r} matches no bom-ref")
            if ref in seen_refs:
                problems.append(f"$.dependencies[{i}].ref {ref!r} has more than one dependency entry")
            seen_refs.add(ref)
            for j, t in enumerate(d.get("dependsOn", []) or []):
                if t not in declared:
                    problems.append(f"$.dependencies[{i}].dependsOn[{j}] {t!r} matches no bom-ref")
            for j, t in enumerate(d.get("provides", []) or []):
                if t not in declared:
                    problems.append(f"$.dependencies[{i}].provides[{j}] {t!r} matches no bom-ref")
        _require(problems)

    def purls() -> None:
        problems = []
        n = 0
        for where, comp in _cdx_json_components(doc):
            n += 1
            p = check_purl(comp.get("purl"), f"{where} ({comp.get('name')!r})")
            if p:
                problems.append(p)
        if n == 0:
            problems.append("document has no components at all")
        _require(problems)

    def versions() -> None:
        problems = []
        for where, comp in _cdx_json_components(doc):
            v = comp.get("version")
            if not isinstance(v, str) or not v.strip():
                problems.append(f"{where} ({comp.get('name')!r}): missing version")
        _require(problems)

    def licenses() -> None:
        items = []
        problems = []
        for where, arr in _json_licenses_arrays(doc):
            for i, entry in enumerate(arr):
                w = f"{where}[{i}]"
                if not isinstance(entry, dict):
                    problems.append(f"{w}: not an object")
                    continue
                if "expression" in entry:
                    items.append((w + ".expression", entry["expression"], None))
                lic = entry.get("license")
                if isinstance(lic, dict) and "id" in lic:
                    items.append((w + ".license.id", None, lic["id"]))
        problems += cdx_license_problems(items)
        _require(problems)

    def deserialize() -> None:
        # cyclonedx-python-lib's Bom.from_json round-trips valid 1.5 documents
        # (verified against samples/good.cdx.json), so it is kept as a check.
        bom_mod = _import("cyclonedx.model.bom")
        try:
            bom = bom_mod.Bom.from_json(doc)
        except Exception as e:
            raise CheckFailed([f"Bom.from_json raised {type(e).__name__}: {e}"])
        want = len(doc.get("components", []) or [])
        have = len(bom.components)
        if want != have:
            raise CheckFailed([f"Bom.from_json kept {have} of {want} top-level components"])

    return [
        ("cyclonedx-schema", schema),
        ("cyclonedx-deserialize", deserialize),
        ("bom-ref-unique", bom_refs),
        ("dependency-refs", dependency_refs),
        ("purl", purls),
        ("version", versions),
        ("license", licenses),
        ("no-absolute-paths", lambda: _require(abs_path_problems(walk_strings(doc)))),
    ]


# --------------------------------------------------------------------------
# CycloneDX XML
# --------------------------------------------------------------------------


def cdx_xml_checks(root: ET.Element, raw: str) -> List[Tuple[str, Callable[[], None]]]:
    m = CDX_NS_RE.match(root.tag)
    ns_version = m.group(1) if m else None
    ns = f"{{http://cyclonedx.org/schema/bom/{ns_version}}}" if ns_version else ""

    def need_ns() -> None:
        if not ns_version:
            raise CheckFailed([f"root element {root.tag!r} is not a CycloneDX <bom> in namespace http://cyclonedx.org/schema/bom/X.Y"])

    def components() -> Iterator[Tuple[str, ET.Element]]:
        def rec(container: Optional[ET.Element], path: str) -> Iterator[Tuple[str, ET.Element]]:
            if container is None:
                return
            for i, c in enumerate(container.findall(f"{ns}component")):
                p = f"{path}/component[{i + 1}]"
                yield (p, c)
                yield from rec(c.find(f"{ns}components"), p + "/components")

        meta = root.find(f"{ns}metadata")
        if meta is not None:
            mc = meta.find(f"{ns}component")
            if mc is not None:
                yield ("/bom/metadata/component", mc)
                yield from rec(mc.find(f"{ns}components"), "/bom/metadata/component/components")
        yield from rec(root.find(f"{ns}components"), "/bom/components")

    def label(path: str, c: ET.Element) -> str:
        return f"{path} ({c.findtext(f'{ns}name')!r})"

    def schema() -> None:
        need_ns()
        cv_xml = _import("cyclonedx.validation.xml")
        cv_schema = _import("cyclonedx.schema")
        try:
            version = cv_schema.SchemaVersion.from_version(ns_version)
        except Exception:
            raise CheckFailed([f"unsupported CycloneDX namespace version {ns_version!r}"])
        errs = cv_xml.XmlValidator(version).validate_str(raw, all_errors=True)
        if errs is None:
            return
        errs = list(errs) if not isinstance(errs, cv_xml.XmlValidationError) else [errs]
        problems = [str(e) for e in errs]
        raise CheckFailed([f"XmlValidator({ns_version}): {len(problems)} error(s)"] + problems)

    def deserialize() -> None:
        need_ns()
        bom_mod = _import("cyclonedx.model.bom")
        try:
            bom = bom_mod.Bom.from_xml(root)
        except Exception as e:
            raise CheckFailed([f"Bom.from_xml raised {type(e).__name__}: {e}"])
        comps = root.find(f"{ns}components")
        want = len(comps.findall(f"{ns}component")) if comps is not None else 0
        have = len(bom.components)
        if want != have:
            raise CheckFailed([f"Bom.from_xml kept {have} of {want} top-level components"])

    def all_bom_refs() -> List[Tuple[str, str]]:
        return [(el.tag.replace(ns, ""), el.get("bom-ref")) for el in root.iter() if el.get("bom-ref") is not None]

    def bom_refs() -> None:
        need_ns()
        seen = {}
        problems = []
        for tag, ref in all_bom_refs():
            if not ref:
                problems.append(f"<{tag}> has an empty bom-ref")
            elif ref in seen:
                problems.append(f"duplicate bom-ref {ref!r} on <{seen[ref]}> and <{tag}>")
            else:
                seen[ref] = tag
        _require(problems)

    def dependency_refs() -> None:
        need_ns()
        declared = {r for _, r in all_bom_refs()}
        problems = []
        deps = root.find(f"{ns}dependencies")
        seen_top = set()
        if deps is not None:
            for top in deps.findall(f"{ns}dependency"):
                ref = top.get("ref")
                if ref in seen_top:
                    problems.append(f"dependency ref {ref!r} has more than one top-level entry")
                seen_top.add(ref)
            for el in deps.iter():
                if el.tag in (f"{ns}dependency", f"{ns}provides"):
                    ref = el.get("ref")
                    if ref not in declared:
                        problems.append(f"<{el.tag.replace(ns, '')} ref={ref!r}> matches no bom-ref")
        _require(problems)

    def purls() -> None:
        need_ns()
        problems = []
        n = 0
        for path, c in components():
            n += 1
            p = check_purl(c.findtext(f"{ns}purl"), label(path, c))
            if p:
                problems.append(p)
        if n == 0:
            problems.append("document has no components at all")
        _require(problems)

    def versions() -> None:
        need_ns()
        problems = []
        for path, c in components():
            v = c.findtext(f"{ns}version")
            if not v or not v.strip():
                problems.append(f"{label(path, c)}: missing version")
        _require(problems)

    def licenses() -> None:
        need_ns()
        items = []
        for lics in root.iter(f"{ns}licenses"):
            for i, child in enumerate(list(lics)):
                w = f"<licenses>[{i + 1}]"
                if child.tag == f"{ns}expression":
                    items.append((w + "/expression", child.text or "", None))
                elif child.tag == f"{ns}license":
                    lid = child.find(f"{ns}id")
                    if lid is not None:
                        items.append((w + "/license/id", None, (lid.text or "").strip()))
        _require(cdx_license_problems(items))

    def no_abs_paths() -> None:
        strings = []
        for el in root.iter():
            tag = el.tag.replace(ns, "") if ns else el.tag
            if el.text and el.text.strip():
                strings.append((f"<{tag}> text", el.text))
            if el.tail and el.tail.strip():
                strings.append((f"<{tag}> tail", el.tail))
            for k, v in el.attrib.items():
                strings.append((f"<{tag} @{k}>", v))
        _require(abs_path_problems(strings))

    return [
        ("cyclonedx-schema", schema),
        ("cyclonedx-deserialize", deserialize),
        ("bom-ref-unique", bom_refs),
        ("dependency-refs", dependency_refs),
        ("purl", purls),
        ("version", versions),
        ("license", licenses),
        ("no-absolute-paths", no_abs_paths),
    ]


# --------------------------------------------------------------------------
# SPDX 2.x JSON
# --------------------------------------------------------------------------


def _run_cli(argv: List[str]) -> Tuple[int, str]:
    try:
        proc = subprocess.run(
            argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=SUBPROCESS_TIMEOUT,
            env={**os.environ, "PYTHONIOENCODING": "utf-8"},
        )
    except subprocess.TimeoutExpired:
        raise CheckFailed([f"{Path(argv[0]).name} timed out after {SUBPROCESS_TIMEOUT}s"])
    return proc.returncode, proc.stdout or ""


def spdx_json_checks(doc: Any, path: Path) -> List[Tuple[str, Callable[[], None]]]:
    # pyspdxtools and sbomcheck pick the parser from the file name, so give
    # them a *.spdx.json name if FILE has none.
    tool_path = {"p": None}

    def cli_input() -> str:
        if tool_path["p"] is None:
            if path.name.endswith(".json"):
                tool_path["p"] = str(path)
            else:
                tmpdir = tempfile.mkdtemp(prefix="check_sbom_")
                atexit.register(shutil.rmtree, tmpdir, True)
                dst = Path(tmpdir) / (path.name + ".spdx.json")
                shutil.copyfile(path, dst)
                tool_path["p"] = str(dst)
        return tool_path["p"]

    def pyspdxtools() -> None:
        exe = _venv_cli("pyspdxtools")
        rc, out = _run_cli([exe, "-i", cli_input()])
        if rc != 0:
            raise CheckFailed([f"pyspdxtools exited {rc}: {_one_line(out) or '(no output)'}"])

    def ntia() -> None:
        exe = _venv_cli("sbomcheck")
        rc, out = _run_cli([exe, "--comply", "ntia", cli_input()])
        if rc != 0:
            keep = [
                ln.strip()
                for ln in out.splitlines()
                if ln.strip()
                and not ln.rstrip().endswith("| True")
                and not set(ln.strip()) <= set("-|")
                and not ln.startswith("Requirement ")
            ]
            raise CheckFailed([f"sbomcheck --comply ntia exited {rc}: {_one_line(chr(10).join(keep)) or '(no output)'}"])

    def elements() -> List[Tuple[str, Any]]:
        out = [("$.SPDXID", doc.get("SPDXID"))]
        for section in ("packages", "files", "snippets"):
            for i, el in enumerate(doc.get(section, []) or []):
                out.append((f"$.{section}[{i}].SPDXID", el.get("SPDXID") if isinstance(el, dict) else None))
        return out

    def spdxids() -> None:
        problems = []
        seen = {}
        if doc.get("SPDXID") != "SPDXRef-DOCUMENT":
            problems.append(f"document SPDXID is {doc.get('SPDXID')!r}, expected 'SPDXRef-DOCUMENT'")
        for where, sid in elements():
            if not isinstance(sid, str) or not SPDXID_RE.match(sid):
                problems.append(f"{where} {sid!r} is not SPDXRef-[A-Za-z0-9.-]+")
                continue
            if sid in seen:
                problems.append(f"duplicate SPDXID {sid!r} at {seen[sid]} and {where}")
            else:
                seen[sid] = where
        _require(problems)

    def relationships() -> None:
        ids = {sid for _, sid in elements() if isinstance(sid, str)}
        ext_docs = {
            r.get("externalDocumentId")
            for r in doc.get("externalDocumentRefs", []) or []
            if isinstance(r, dict)
        }

        def resolves(x: Any) -> bool:
            if x in ids or x in ("SPDXRef-DOCUMENT", "NONE", "NOASSERTION"):
                return True
            if isinstance(x, str) and x.startswith("DocumentRef-") and ":" in x:
                return x.split(":", 1)[0] in ext_docs
            return False

        problems = []
        for i, r in enumerate(doc.get("relationships", []) or []):
            if not isinstance(r, dict):
                problems.append(f"$.relationships[{i}] is not an object")
                continue
            for key in ("spdxElementId", "relatedSpdxElement"):
                if not resolves(r.get(key)):
                    problems.append(
                        f"$.relationships[{i}].{key} {r.get(key)!r} ({r.get('relationshipType')}) matches no element"
                    )
        for i, x in enumerate(doc.get("documentDescribes", []) or []):
            if not resolves(x):
                problems.append(f"$.documentDescribes[{i}] {x!r} matches no element")
        for i, p in enumerate(doc.get("packages", []) or []):
            for j, x in enumerate((p or {}).get("hasFiles", []) or []):
                if not resolves(x):
                    problems.append(f"$.packages[{i}].hasFiles[{j}] {x!r} matches no element")
        _require(problems)

    def purls() -> None:
        problems = []
        pkgs = doc.get("packages", []) or []
        if not pkgs:
            problems.append("document has no packages")
        for i, p in enumerate(pkgs):
            where = f"$.packages[{i}] ({p.get('name')!r})"
            found = 0
            for j, ref in enumerate(p.get("externalRefs", []) or []):
                if ref.get("referenceType") != "purl":
                    continue
                w = f"{where}.externalRefs[{j}]"
                if ref.get("referenceCategory") != "PACKAGE-MANAGER":
                    problems.append(f"{w}: purl ref has referenceCategory {ref.get('referenceCategory')!r}, expected 'PACKAGE-MANAGER'")
                    continue
                found += 1
                err = check_purl(ref.get("referenceLocator"), w)
                if err:
                    problems.append(err)
            if not found:
                problems.append(f"{where}: no PACKAGE-MANAGER/purl externalRef")
        _require(problems)

    def licenses() -> None:
        problems = []
        declared = set()
        for i, e in enumerate(doc.get("hasExtractedLicensingInfos", []) or []):
            lid = e.get("licenseId") if isinstance(e, dict) else None
            if not isinstance(lid, str) or not re.fullmatch(r"LicenseRef-[A-Za-z0-9.\-]+", lid):
                problems.append(f"$.hasExtractedLicensingInfos[{i}].licenseId {lid!r} is not LicenseRef-[A-Za-z0-9.-]+")
            elif lid in declared:
                problems.append(f"$.hasExtractedLicensingInfos[{i}].licenseId {lid!r} declared twice")
            else:
                declared.add(lid)

        def check(expr: Any, where: str) -> None:
            if expr in ("NOASSERTION", "NONE"):
                return
            if not isinstance(expr, str):
                problems.append(f"{where}: license expression {expr!r} is not a string")
                return
            refs = LICENSEREF_RE.findall(expr)
            undeclared = [r for r in refs if r not in declared]
            if undeclared:
                problems.append(
                    f"{where}: {expr!r} uses LicenseRef(s) {undeclared} not declared in hasExtractedLicensingInfos"
                )
                return
            err = structure_problem(expr, where)
            if err:
                problems.append(err)

        for section, keys in (
            ("packages", ("licenseDeclared", "licenseConcluded")),
            ("files", ("licenseConcluded",)),
            ("snippets", ("licenseConcluded",)),
        ):
            for i, el in enumerate(doc.get(section, []) or []):
                if not isinstance(el, dict):
                    continue
                for key in keys:
                    if key in el:
                        check(el[key], f"$.{section}[{i}].{key}")
        _require(problems)

    return [
        ("pyspdxtools", pyspdxtools),
        ("ntia", ntia),
        ("spdxid-unique", spdxids),
        ("relationship-refs", relationships),
        ("purl", purls),
        ("license", licenses),
        ("no-absolute-paths", lambda: _require(abs_path_problems(walk_strings(doc)))),
    ]


# --------------------------------------------------------------------------
# SPDX 3.0.1 JSON-LD
# --------------------------------------------------------------------------

SPDX3_CONTEXT = "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"
# Named individuals a reference may name instead of an element in the graph.
SPDX3_INDIVIDUALS = {
    "NoneElement",
    "NoAssertionElement",
    "expandedlicensing_NoneLicense",
    "expandedlicensing_NoAssertionLicense",
}
# Properties (compact names, as relgate writes them) whose values name elements.
SPDX3_REF_ONE = ("from", "suppliedBy", "dataLicense", "creationInfo")
SPDX3_REF_MANY = ("to", "rootElement", "element", "originatedBy", "createdBy", "createdUsing")


def spdx3_json_checks(doc: Any) -> List[Tuple[str, Callable[[], None]]]:
    """spdx-python-model (SPDX's own generated bindings) plus semantic checks.

    The bindings' JSON-LD deserializer is strict: an unknown type or
    property, a value of the wrong type, an enum value outside the
    vocabulary or a node that needs an IRI and has none raises. Their
    validation of required and maximum cardinalities runs when an object is
    encoded, so every object is encoded on its own, and then the whole set
    is re-serialised and read back to check that no element is lost.
    """
    state: dict = {}
    graph = doc.get("@graph") if isinstance(doc.get("@graph"), list) else []
    nodes = [n for n in graph if isinstance(n, dict)]

    def model():
        if "model" not in state:
            state["model"] = _import("spdx_python_model.bindings.v3_0_1.model")
        return state["model"]

    def load(data: Any):
        m = model()
        objset = m.SHACLObjectSet()
        m.JSONLDDeserializer().deserialize_data(data, objset)
        return objset

    def deserialize() -> None:
        m = model()
        problems = []
        if doc.get("@context") != SPDX3_CONTEXT:
            problems.append(f"@context is {doc.get('@context')!r}, expected {SPDX3_CONTEXT!r}")
        extra = sorted(set(doc) - {"@context", "@graph"})
        if extra:
            problems.append(f"unexpected top-level keys {extra}")
        if not isinstance(doc.get("@graph"), list) or not doc["@graph"]:
            problems.append("no @graph list")
        _require(problems)
        try:
            objset = load(doc)
        except Exception as e:
            raise CheckFailed([f"JSONLDDeserializer rejected the document: {type(e).__name__}: {e}"])
        # The bindings read a node of an unknown IRI type as an extensible
        # object (SPDX 3 extensions); relgate writes none, so here any such
        # node is an unknown type.
        unknown = sorted(
            f"{o.get_type()} {o._id}" for o in objset.foreach() if isinstance(o, m.SHACLExtensibleObject)
        )
        if unknown:
            raise CheckFailed([f"unknown type (not in the SPDX 3.0.1 model): {u}" for u in unknown])
        state["objset"] = objset

    def need_objset():
        if "objset" not in state:
            raise CheckFailed(["not deserialised (see spdx3-deserialize)"])
        return state["objset"]

    def validate() -> None:
        m = model()
        objset = need_objset()
        problems = []
        n = 0
        objs = sorted(objset.foreach(), key=lambda o: str(o._id))
        for obj in objs:
            n += 1
            # Encode this object alone: the others count as written, so a
            # reference to them is an IRI and each error names its object.
            st = m.EncodeState(objset)
            st.written_objects = {o for o in objs if o is not obj}
            try:
                obj.encode(m.JSONLDEncoder(), st)
            except Exception as e:
                problems.append(f"{obj.get_compact_type() or obj.get_type()} {obj._id}: {type(e).__name__}: {e}")
        if n == 0:
            problems.append("no objects")
        _require(problems)

    def roundtrip() -> None:
        m = model()
        objset = need_objset()
        try:
            data = m.JSONLDSerializer().serialize_data(objset, force_at_graph=True)
            again = load(json.loads(json.dumps(data)))
        except Exception as e:
            raise CheckFailed([f"re-serialisation failed: {type(e).__name__}: {e}"])

        def elements(objs) -> dict:
            return {
                o._id: (o.get_compact_type() or o.get_type())
                for o in objs
                if o._id and not str(o._id).startswith("_:")
            }

        want = {n.get("spdxId"): n.get("type") for n in nodes if n.get("spdxId")}
        have = elements(again.foreach())
        problems = [f"{i} ({t}) lost in the round trip" for i, t in sorted(want.items()) if i not in have]
        problems += [
            f"{i} was {t}, round trip made it {have[i]}"
            for i, t in sorted(want.items())
            if i in have and have[i] != t
        ]
        if len(list(again.foreach())) < len(nodes):
            problems.append(f"{len(nodes)} graph nodes in, {len(list(again.foreach()))} objects after the round trip")
        _require(problems)

    def spec_version() -> None:
        infos = [n for n in nodes if n.get("type") == "CreationInfo"]
        problems = [] if infos else ["no CreationInfo"]
        for n in infos:
            if n.get("specVersion") != "3.0.1":
                problems.append(f"CreationInfo {n.get('@id')!r}: specVersion {n.get('specVersion')!r}, expected '3.0.1'")
        _require(problems)

    def ids() -> dict:
        out = {}
        for n in nodes:
            for key in ("spdxId", "@id"):
                if isinstance(n.get(key), str):
                    out[n[key]] = n
        return out

    def refs() -> None:
        defined = ids()
        problems = []
        seen = set()
        for i, n in enumerate(nodes):
            sid = n.get("spdxId") or n.get("@id")
            if sid in seen:
                problems.append(f"$.@graph[{i}]: id {sid!r} defined twice")
            seen.add(sid)
            label = f"$.@graph[{i}] ({n.get('type')} {sid})"
            for key in SPDX3_REF_ONE + SPDX3_REF_MANY:
                if key not in n:
                    continue
                vals = n[key] if isinstance(n[key], list) else [n[key]]
                for v in vals:
                    if isinstance(v, dict):
                        continue  # an inline object, checked by the bindings
                    if v not in defined and v not in SPDX3_INDIVIDUALS:
                        problems.append(f"{label}.{key} {v!r} matches no element in the graph")
            for e in n.get("simplelicensing_customIdToUri", []) or []:
                v = e.get("value") if isinstance(e, dict) else None
                if v not in defined:
                    problems.append(f"{label}.simplelicensing_customIdToUri {e!r} matches no element in the graph")
        if not any("relationshipType" in n for n in nodes):
            problems.append("no relationships")
        _require(problems)

    def packages() -> List[Tuple[str, dict]]:
        return [
            (f"$.@graph[{i}] ({n.get('name')!r})", n)
            for i, n in enumerate(graph)
            if isinstance(n, dict) and n.get("type") == "software_Package"
        ]

    def purls() -> None:
        problems = []
        pkgs = packages()
        if not pkgs:
            problems.append("document has no software_Package")
        for where, p in pkgs:
            err = check_purl(p.get("software_packageUrl"), f"{where}.software_packageUrl")
            if err:
                problems.append(err)
        _require(problems)

    def versions() -> None:
        problems = []
        for where, p in packages():
            v = p.get("software_packageVersion")
            if not isinstance(v, str) or not v.strip():
                problems.append(f"{where}: missing software_packageVersion")
        _require(problems)

    def licenses() -> None:
        defined = ids()
        problems = []
        for i, n in enumerate(nodes):
            if n.get("type") != "simplelicensing_LicenseExpression":
                continue
            where = f"$.@graph[{i}].simplelicensing_licenseExpression"
            expr = n.get("simplelicensing_licenseExpression")
            if not isinstance(expr, str):
                problems.append(f"{where}: {expr!r} is not a string")
                continue
            mapped = {}
            for e in n.get("simplelicensing_customIdToUri", []) or []:
                if isinstance(e, dict):
                    mapped[e.get("key")] = e.get("value")
            undeclared = [
                r
                for r in LICENSEREF_RE.findall(expr)
                if r not in mapped
                or defined.get(mapped[r], {}).get("type") != "simplelicensing_SimpleLicensingText"
            ]
            if undeclared:
                problems.append(
                    f"{where}: {expr!r} uses LicenseRef(s) {undeclared} not mapped by "
                    f"simplelicensing_customIdToUri to a simplelicensing_SimpleLicensingText"
                )
                continue
            err = structure_problem(expr, where)
            if err:
                problems.append(err)
        _require(problems)

    return [
        ("spdx3-deserialize", deserialize),
        ("spdx3-validate", validate),
        ("spdx3-roundtrip", roundtrip),
        ("spec-version", spec_version),
        ("relationship-refs", refs),
        ("purl", purls),
        ("version", versions),
        ("license", licenses),
        ("no-absolute-paths", lambda: _require(abs_path_problems(walk_strings(doc)))),
    ]


# --------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------


def run_checks(checks: List[Tuple[str, Callable[[], None]]]) -> bool:
    ok = True
    for name, fn in checks:
        try:
            fn()
        except CheckFailed as e:
            ok = False
            print(f"FAIL {name}: {_one_line(_summarise(e.problems))}", flush=True)
        except Missing as e:
            ok = False
            print(f"FAIL {name}: MISSING VALIDATOR: {_one_line(str(e))}", flush=True)
        except Exception as e:  # a crashing check is a failing check
            ok = False
            print(f"FAIL {name}: internal error {type(e).__name__}: {_one_line(str(e))}", flush=True)
        else:
            print(f"PASS {name}", flush=True)
    return ok


def main(argv: List[str]) -> int:
    if len(argv) != 3 or argv[1] not in KINDS:
        print(USAGE, file=sys.stderr)
        return 2
    kind, path = argv[1], Path(argv[2])
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        print(f"check_sbom: cannot read {path}: {e}", file=sys.stderr)
        return 2

    checks: List[Tuple[str, Callable[[], None]]] = [("validator-versions", check_validator_versions)]
    if kind in ("cdx-json", "spdx-json", "spdx3-json"):
        try:
            doc = json.loads(raw)
            if not isinstance(doc, dict):
                raise ValueError("top level is not a JSON object")
        except ValueError as e:
            checks.append(("parse", lambda e=e: _require([f"invalid JSON: {e}"])))
            return 0 if run_checks(checks) else 1
        checks.append(("parse", lambda: None))
        if kind == "cdx-json":
            checks += cdx_json_checks(doc, raw)
        elif kind == "spdx-json":
            checks += spdx_json_checks(doc, path)
        else:
            checks += spdx3_json_checks(doc)
    else:
        try:
            root = ET.fromstring(raw.encode("utf-8"))
        except ET.ParseError as e:
            checks.append(("parse", lambda e=e: _require([f"invalid XML: {e}"])))
            return 0 if run_checks(checks) else 1
        checks.append(("parse", lambda: None))
        checks += cdx_xml_checks(root, raw)
    return 0 if run_checks(checks) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
