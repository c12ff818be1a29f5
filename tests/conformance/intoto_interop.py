#!/usr/bin/env python3
"""Interop harness: relgate's DSSE / in-toto provenance vs. the Python reference.

Uses the reference implementations pinned in requirements.txt next to this
script: securesystemslib (DSSE Envelope, SSlibKey, CryptoSigner), in-toto (its
PKCS#8 key loader) and in-toto-attestation (Statement v1 / SLSA Provenance v1
protobuf bindings), plus pyca/cryptography for the PEM files.

Usage:
  intoto_interop.py verify BUNDLE PUBKEY_PEM [ARTIFACT...]
      Verify the first envelope of BUNDLE (.intoto.jsonl) with the public key
      (SPKI PEM), threshold 1; require payloadType application/vnd.in-toto+json,
      a Statement v1 whose predicateType is SLSA Provenance v1, a statement and
      predicate that parse into the in-toto-attestation protos (strictly: an
      unknown field is an error, `vendor_field` extension fields excepted), and
      every ARTIFACT's sha256 among the subjects' digests.
  intoto_interop.py verify-vsa BUNDLE PUBKEY_PEM
      Verify every other envelope of BUNDLE with the key, threshold 1: each
      must be a Statement v1 whose predicateType is SLSA Verification
      Summary v1, whose predicate parses strictly into the reference's VSA v1
      protobuf (verifier.id, resourceUri, policy, verificationResult PASSED or
      FAILED, verifiedLevels present), whose subjects are exactly the
      provenance's (first line), and whose inputAttestations name the first
      line by its sha256. Prints each verdict; no VSA line is a failure.
  intoto_interop.py sign PRIVKEY_PEM OUT_BUNDLE ARTIFACT...
      Write a one-line bundle with a Statement v1 + minimal SLSA v1 predicate
      over the artifacts, signed by securesystemslib's CryptoSigner.
  intoto_interop.py sign-raw PRIVKEY_PEM PAYLOAD_TYPE PAYLOAD_FILE OUT
      Sign PAYLOAD_FILE's bytes exactly as given; write the envelope (one line).
  intoto_interop.py keyid PUBKEY_PEM
      Print securesystemslib's default keyid of the key.
  intoto_interop.py load-private PRIVKEY_PEM
      Load the key with pyca/cryptography and with in-toto's PKCS#8 loader;
      print the keyid both agree on.
  intoto_interop.py versions
      Import every reference module and check the installed versions equal the
      pins in requirements.txt (used by selftest.sh).

Exit status: 0 success; 1 failure, with one line `FAIL <command>: <reason>` on
stderr; 2 usage error or an input file that cannot be read.  A reference
module that cannot be imported is a failure (exit 1), never a skip.
"""

from __future__ import annotations

import argparse
import copy
import datetime
import hashlib
import json
import os
import re
import sys
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

STATEMENT_V1 = "https://in-toto.io/Statement/v1"
SLSA_PROVENANCE_V1 = "https://slsa.dev/provenance/v1"
SLSA_VSA_V1 = "https://slsa.dev/verification_summary/v1"
INTOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json"

BUILD_TYPE = "https://github.com/relgate/relgate/blob/main/docs/build-type-v1.md"
BUILDER_ID = "urn:relgate:builder:local:v1"

# Reference distributions whose installed version must equal the pin in
# requirements.txt (checked by `versions`).
PINNED_DIRECT = ("in-toto", "securesystemslib", "in-toto-attestation", "cryptography")

# Known DigestSet algorithms and their hex lengths (in-toto digest_set.md).
DIGEST_HEX_LEN = {"sha256": 64, "sha384": 96, "sha512": 128, "sha1": 40}
RFC3339_UTC_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
# SLSA / in-toto extension field: `<vendor>_<field>`; spec fields have no `_`
# (apart from the Statement's `_type`, which never matches: no leading `_`).
EXTENSION_FIELD_RE = re.compile(r"^[A-Za-z0-9]+_[A-Za-z0-9_]+$")


class Fail(Exception):
    """A check failed: exit 1 with this one-line reason."""


class Unusable(Exception):
    """An input file cannot be read: exit 2."""


# --------------------------------------------------------------------------
# helpers


def _one_line(s: str, limit: int = 1000) -> str:
    s = " ".join(str(s).split())
    return s if len(s) <= limit else s[: limit - 3] + "..."


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as e:
        raise Unusable(f"cannot read {path}: {e.strerror or e}") from e


def _write(path: str, data: bytes) -> None:
    try:
        Path(path).write_bytes(data)
    except OSError as e:
        raise Unusable(f"cannot write {path}: {e.strerror or e}") from e


def _sha256_file(path: str) -> str:
    h = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    except OSError as e:
        raise Unusable(f"cannot read {path}: {e.strerror or e}") from e
    return h.hexdigest()


def _exc(e: BaseException) -> str:
    return f"{type(e).__name__}: {_one_line(str(e)) or '(no detail)'}"


def _modules() -> dict[str, Any]:
    """Import the reference modules; a missing one is a Fail, never a skip."""
    try:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        from cryptography.hazmat.primitives.serialization import (
            load_pem_private_key,
            load_pem_public_key,
        )
        from google.protobuf import json_format
        from in_toto.models._signer import load_crypto_signer_from_pkcs8_file
        from in_toto_attestation.predicates.provenance.v1 import provenance_pb2
        from in_toto_attestation.predicates.vsa.v1 import vsa_pb2
        from in_toto_attestation.v1 import statement_pb2
        from in_toto_attestation.v1.statement import Statement
        from securesystemslib.dsse import Envelope
        from securesystemslib.signer import CryptoSigner, SSlibKey
    except ImportError as e:
        raise Fail(f"MISSING MODULE: {_exc(e)} (install requirements.txt)") from e
    return dict(locals())


def _load_public(m: dict[str, Any], path: str):
    data = _read(path)
    try:
        return m["SSlibKey"].from_crypto(m["load_pem_public_key"](data))
    except Exception as e:  # noqa: BLE001 - any parse error is a failure
        raise Fail(f"public key {path}: {_exc(e)}") from e


def _load_signer(m: dict[str, Any], path: str):
    data = _read(path)
    try:
        return m["CryptoSigner"](m["load_pem_private_key"](data, password=None))
    except Exception as e:  # noqa: BLE001
        raise Fail(f"private key {path}: {_exc(e)}") from e


def _envelope_line(m: dict[str, Any], signer, payload_type: str, payload: bytes) -> bytes:
    env = m["Envelope"](payload=payload, payload_type=payload_type, signatures={})
    env.sign(signer)
    return (json.dumps(env.to_dict(), separators=(",", ":")) + "\n").encode()


def _now_rfc3339() -> str:
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    return now.strftime("%Y-%m-%dT%H:%M:%SZ")


def _strip_extensions(obj: Any, descriptor) -> int:
    """Remove `vendor_field` extension keys from the JSON objects that map to
    proto messages (not to google.protobuf.Struct/Value, which take anything),
    so the strict parse rejects only genuinely unknown fields.  Returns how many
    were removed."""
    if not isinstance(obj, dict) or descriptor.full_name.startswith("google.protobuf."):
        return 0
    removed = 0
    by_json = {f.json_name: f for f in descriptor.fields}
    by_json.update({f.name: f for f in descriptor.fields})
    for key in list(obj):
        field = by_json.get(key)
        if field is None:
            if EXTENSION_FIELD_RE.match(key):
                del obj[key]
                removed += 1
            continue
        if field.message_type is None:
            continue
        if field.message_type.GetOptions().map_entry:
            continue
        values = obj[key] if isinstance(obj[key], list) else [obj[key]]
        for v in values:
            removed += _strip_extensions(v, field.message_type)
    return removed


# --------------------------------------------------------------------------
# subcommands


def cmd_verify(args: argparse.Namespace) -> str:
    m = _modules()
    key = _load_public(m, args.pubkey)
    raw = _read(args.bundle)
    digests = {a: _sha256_file(a) for a in args.artifacts}

    first = raw.split(b"\n", 1)[0].strip()
    if not first:
        raise Fail(f"{args.bundle}: first line is empty (no envelope)")
    try:
        env_dict = json.loads(first)
    except ValueError as e:
        raise Fail(f"first line is not JSON: {_exc(e)}") from e
    if not isinstance(env_dict, dict):
        raise Fail("first line is not a JSON object")
    try:
        # from_dict rewrites the signature dicts in place: hand it a copy.
        env = m["Envelope"].from_dict(copy.deepcopy(env_dict))
    except Exception as e:  # noqa: BLE001 - KeyError, FormatError, binascii.Error, ...
        raise Fail(f"Envelope.from_dict: {_exc(e)}") from e
    try:
        env.verify([key], 1)
    except Exception as e:  # noqa: BLE001 - VerificationError, ValueError
        raise Fail(f"signature: {_exc(e)} (keyid {key.keyid})") from e
    if env.payload_type != INTOTO_PAYLOAD_TYPE:
        raise Fail(f"payloadType {env.payload_type!r}, expected {INTOTO_PAYLOAD_TYPE!r}")

    # Everything below reads env.payload: the exact bytes that were verified.
    try:
        text = env.payload.decode("utf-8")
        st = json.loads(text)
    except ValueError as e:
        raise Fail(f"payload is not UTF-8 JSON: {_exc(e)}") from e
    if not isinstance(st, dict):
        raise Fail("payload is not a JSON object")
    if st.get("_type") != STATEMENT_V1:
        raise Fail(f"_type {st.get('_type')!r}, expected {STATEMENT_V1!r}")
    if st.get("predicateType") != SLSA_PROVENANCE_V1:
        raise Fail(f"predicateType {st.get('predicateType')!r}, expected {SLSA_PROVENANCE_V1!r}")
    subjects = st.get("subject")
    if not isinstance(subjects, list) or not subjects:
        raise Fail("subject is not a non-empty list")
    for i, s in enumerate(subjects):
        d = s.get("digest") if isinstance(s, dict) else None
        if not isinstance(d, dict) or not d:
            raise Fail(f"subject[{i}] has no digest")
        for alg, n in DIGEST_HEX_LEN.items():
            if alg in d and not (isinstance(d[alg], str) and re.fullmatch(f"[0-9a-f]{{{n}}}", d[alg])):
                raise Fail(f"subject[{i}].digest.{alg} is not {n} lowercase hex: {d[alg]!r}")

    # Structure, with the in-toto-attestation bindings.
    jf = m["json_format"]
    st_copy = copy.deepcopy(st)
    n_ext = _strip_extensions(st_copy, m["statement_pb2"].Statement.DESCRIPTOR)
    try:
        pb = jf.ParseDict(st_copy, m["statement_pb2"].Statement())
        m["Statement"].copy_from_pb(pb).validate()
    except Exception as e:  # noqa: BLE001 - ParseError, ValueError
        raise Fail(f"in-toto-attestation Statement: {_exc(e)}") from e
    pred = copy.deepcopy(st.get("predicate"))
    if not isinstance(pred, dict):
        raise Fail("predicate is not a JSON object")
    n_ext += _strip_extensions(pred, m["provenance_pb2"].Provenance.DESCRIPTOR)
    try:
        prov = jf.ParseDict(pred, m["provenance_pb2"].Provenance())
    except Exception as e:  # noqa: BLE001
        raise Fail(f"in-toto-attestation SLSA v1 Provenance: {_exc(e)}") from e
    # Required by SLSA v1 (the proto parse does not enforce presence).
    if not prov.HasField("build_definition") or not prov.build_definition.build_type:
        raise Fail("predicate.buildDefinition.buildType is missing")
    if not prov.build_definition.HasField("external_parameters"):
        raise Fail("predicate.buildDefinition.externalParameters is missing")
    if not prov.HasField("run_details") or not prov.run_details.builder.id:
        raise Fail("predicate.runDetails.builder.id is missing")
    md = (pred.get("runDetails") or {}).get("metadata") or {}
    for f in ("startedOn", "finishedOn"):
        if f in md and not (isinstance(md[f], str) and RFC3339_UTC_RE.match(md[f])):
            raise Fail(f"runDetails.metadata.{f} is not RFC 3339 UTC with Z: {md[f]!r}")

    have = {s["digest"].get("sha256") for s in subjects}
    for a, d in digests.items():
        if d not in have:
            raise Fail(f"subject digest mismatch: sha256 {d} of {a} is in no subject")

    return (
        f"OK keyid={key.keyid} predicateType={st['predicateType']} "
        f"builder={prov.run_details.builder.id} subjects={len(subjects)} "
        f"artifacts={len(digests)} extension-fields={n_ext}"
    )


def _verified_statement(m: dict[str, Any], key, line: bytes, what: str) -> dict:
    try:
        env = m["Envelope"].from_dict(copy.deepcopy(json.loads(line)))
    except Exception as e:  # noqa: BLE001
        raise Fail(f"{what}: Envelope.from_dict: {_exc(e)}") from e
    try:
        env.verify([key], 1)
    except Exception as e:  # noqa: BLE001
        raise Fail(f"{what}: signature: {_exc(e)} (keyid {key.keyid})") from e
    if env.payload_type != INTOTO_PAYLOAD_TYPE:
        raise Fail(f"{what}: payloadType {env.payload_type!r}")
    try:
        st = json.loads(env.payload.decode("utf-8"))
    except ValueError as e:
        raise Fail(f"{what}: payload is not UTF-8 JSON: {_exc(e)}") from e
    if not isinstance(st, dict) or st.get("_type") != STATEMENT_V1:
        raise Fail(f"{what}: not an in-toto Statement v1")
    jf = m["json_format"]
    try:
        pb = jf.ParseDict(copy.deepcopy(st), m["statement_pb2"].Statement())
        m["Statement"].copy_from_pb(pb).validate()
    except Exception as e:  # noqa: BLE001
        raise Fail(f"{what}: in-toto-attestation Statement: {_exc(e)}") from e
    return st


def _subject_set(st: dict) -> set:
    return {(s.get("name"), (s.get("digest") or {}).get("sha256")) for s in st.get("subject") or []}


def cmd_verify_vsa(args: argparse.Namespace) -> str:
    m = _modules()
    key = _load_public(m, args.pubkey)
    lines = [l.strip() for l in _read(args.bundle).split(b"\n") if l.strip()]
    if len(lines) < 2:
        raise Fail("the bundle has no line after the provenance")
    provenance = _verified_statement(m, key, lines[0], "line 1")
    if provenance.get("predicateType") != SLSA_PROVENANCE_V1:
        raise Fail(f"line 1 is not SLSA Provenance v1: {provenance.get('predicateType')!r}")
    first_digest = hashlib.sha256(lines[0]).hexdigest()
    results = []
    for n, line in enumerate(lines[1:], start=2):
        st = _verified_statement(m, key, line, f"line {n}")
        if st.get("predicateType") != SLSA_VSA_V1:
            raise Fail(f"line {n}: predicateType {st.get('predicateType')!r}, expected {SLSA_VSA_V1!r}")
        pred = copy.deepcopy(st.get("predicate"))
        if not isinstance(pred, dict):
            raise Fail(f"line {n}: predicate is not a JSON object")
        # The spec makes verifiedLevels an array of strings; the reference's
        # v1 binding (in-toto-attestation 0.9.3, the latest on PyPI) declares
        # a single string (in-toto/attestation#425, fix #429 not released).
        # It is checked here against the spec and left out of the strict
        # parse, which checks every other field.
        levels = pred.pop("verifiedLevels", None)
        if not (isinstance(levels, list) and levels and all(isinstance(x, str) and x for x in levels)):
            raise Fail(f"line {n}: verifiedLevels is not a non-empty array of strings: {levels!r}")
        try:
            vsa = m["json_format"].ParseDict(pred, m["vsa_pb2"].VerificationSummary())
        except Exception as e:  # noqa: BLE001
            raise Fail(f"line {n}: in-toto-attestation VSA v1: {_exc(e)}") from e
        if not vsa.verifier.id or not vsa.resource_uri or not vsa.policy.uri:
            raise Fail(f"line {n}: verifier.id, resourceUri and policy.uri are required")
        if vsa.verification_result not in ("PASSED", "FAILED"):
            raise Fail(f"line {n}: verificationResult {vsa.verification_result!r}")
        if vsa.verification_result == "FAILED" and levels != ["FAILED"]:
            raise Fail(f"line {n}: a FAILED verdict must list verifiedLevels [\"FAILED\"]")
        if _subject_set(st) != _subject_set(provenance):
            raise Fail(f"line {n}: its subjects are not exactly the provenance's")
        if not any(a.digest.get("sha256") == first_digest for a in vsa.input_attestations):
            raise Fail(f"line {n}: no inputAttestation has the provenance line's sha256 {first_digest}")
        results.append(f"{vsa.verification_result}@{vsa.time_verified.ToJsonString()}")
    return f"OK keyid={key.keyid} verdicts={len(results)} " + " ".join(results)


def cmd_sign(args: argparse.Namespace) -> str:
    m = _modules()
    signer = _load_signer(m, args.privkey)
    started = _now_rfc3339()
    subjects = [
        {"name": os.path.basename(a), "digest": {"sha256": _sha256_file(a)}}
        for a in args.artifacts
    ]
    statement = {
        "_type": STATEMENT_V1,
        "subject": subjects,
        "predicateType": SLSA_PROVENANCE_V1,
        "predicate": {
            "buildDefinition": {
                "buildType": BUILD_TYPE,
                "externalParameters": {
                    "workspace": "Cargo.toml",
                    "profile": "release",
                    "features": [],
                    "target": "x86_64-unknown-linux-gnu",
                },
            },
            "runDetails": {
                "builder": {"id": BUILDER_ID},
                "metadata": {
                    "invocationId": f"urn:uuid:{uuid.uuid4()}",
                    "startedOn": started,
                    "finishedOn": _now_rfc3339(),
                },
            },
        },
    }
    payload = json.dumps(statement, separators=(",", ":")).encode()
    _write(args.out, _envelope_line(m, signer, INTOTO_PAYLOAD_TYPE, payload))
    return f"OK wrote {args.out} keyid={signer.public_key.keyid} subjects={len(subjects)}"


def cmd_sign_raw(args: argparse.Namespace) -> str:
    m = _modules()
    signer = _load_signer(m, args.privkey)
    payload = _read(args.payload_file)
    _write(args.out, _envelope_line(m, signer, args.payload_type, payload))
    return f"OK wrote {args.out} keyid={signer.public_key.keyid} payload-bytes={len(payload)}"


def cmd_keyid(args: argparse.Namespace) -> str:
    m = _modules()
    return _load_public(m, args.pubkey).keyid


def cmd_load_private(args: argparse.Namespace) -> str:
    m = _modules()
    data = _read(args.privkey)
    try:
        k = m["load_pem_private_key"](data, password=None)
    except Exception as e:  # noqa: BLE001
        raise Fail(f"pyca/cryptography load_pem_private_key: {_exc(e)}") from e
    if not isinstance(k, m["Ed25519PrivateKey"]):
        raise Fail(f"not an Ed25519 key: {type(k).__name__}")
    try:
        signer = m["load_crypto_signer_from_pkcs8_file"](args.privkey)
    except Exception as e:  # noqa: BLE001
        raise Fail(f"in-toto load_crypto_signer_from_pkcs8_file: {_exc(e)}") from e
    keyid = m["SSlibKey"].from_crypto(k.public_key()).keyid
    if signer.public_key.keyid != keyid:
        raise Fail(f"loaders disagree: keyid {keyid} vs {signer.public_key.keyid}")
    return f"OK ed25519 keyid={keyid}"


def cmd_versions(args: argparse.Namespace) -> str:
    _modules()
    from importlib import metadata

    pins: dict[str, str] = {}
    req = HERE / "requirements.txt"
    for line in _read(str(req)).decode().splitlines():
        mm = re.match(r"^([A-Za-z0-9_.\-]+)(\[[^\]]*\])?==(\S+)", line)
        if mm:
            pins[mm.group(1).lower().replace("_", "-")] = mm.group(3)
    out = []
    for dist in PINNED_DIRECT:
        try:
            have = metadata.version(dist)
        except metadata.PackageNotFoundError as e:
            raise Fail(f"MISSING MODULE: distribution {dist} is not installed") from e
        want = pins.get(dist)
        if want is None:
            raise Fail(f"{dist} is not pinned in {req}")
        if have != want:
            raise Fail(f"{dist} {have} installed, {want} pinned in requirements.txt")
        out.append(f"{dist}=={have}")
    return "OK " + " ".join(out)


# --------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # exit 2, like argparse, on any usage error
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        sys.exit(2)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="intoto_interop.py", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True, parser_class=_Parser)
    s = sub.add_parser("verify")
    s.add_argument("bundle")
    s.add_argument("pubkey")
    s.add_argument("artifacts", nargs="*")
    s.set_defaults(fn=cmd_verify)
    s = sub.add_parser("verify-vsa")
    s.add_argument("bundle")
    s.add_argument("pubkey")
    s.set_defaults(fn=cmd_verify_vsa)
    s = sub.add_parser("sign")
    s.add_argument("privkey")
    s.add_argument("out")
    s.add_argument("artifacts", nargs="+")
    s.set_defaults(fn=cmd_sign)
    s = sub.add_parser("sign-raw")
    s.add_argument("privkey")
    s.add_argument("payload_type")
    s.add_argument("payload_file")
    s.add_argument("out")
    s.set_defaults(fn=cmd_sign_raw)
    s = sub.add_parser("keyid")
    s.add_argument("pubkey")
    s.set_defaults(fn=cmd_keyid)
    s = sub.add_parser("load-private")
    s.add_argument("privkey")
    s.set_defaults(fn=cmd_load_private)
    s = sub.add_parser("versions")
    s.set_defaults(fn=cmd_versions)
    return p


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv[1:])
    try:
        print(args.fn(args), flush=True)
        return 0
    except Fail as e:
        print(f"FAIL {args.cmd}: {_one_line(str(e))}", file=sys.stderr, flush=True)
        return 1
    except Unusable as e:
        print(f"ERROR {args.cmd}: {_one_line(str(e))}", file=sys.stderr, flush=True)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
