#!/usr/bin/env python3
"""Independent OTLP/JSON conformance check for relgate's traces.ndjson.

Usage: python check_otlp.py FILE

Every non-empty line of FILE must be one OTLP/JSON `TracesData` object.  Each
line is parsed with the reference protobuf bindings (opentelemetry-proto,
pinned in requirements.txt next to this script) after converting the hex ids
to base64: OTLP/JSON writes traceId/spanId/parentSpanId as hex, protobuf's own
JSON mapping expects base64 for `bytes` -- the only documented difference
between the two encodings.  Before converting, each id must be lowercase hex
of the right length (32 for trace ids, 16 for span ids) and not all zero.

Across the file: every span has the same traceId, exactly one span has no
parentSpanId (the root), and every parentSpanId names a span in the file.

Exit status: 0 and "OTLP PASS <n> spans" on success; 1 and "OTLP FAIL: <reason>"
on the first problem; 2 on a usage error, an unreadable file, or missing
reference modules (never a silent skip).
"""

from __future__ import annotations

import base64
import json
import re
import sys
from typing import Any, Dict, List, Optional

USAGE = "usage: check_otlp.py FILE"
HEX_RE = {32: re.compile(r"^[0-9a-f]{32}$"), 16: re.compile(r"^[0-9a-f]{16}$")}
ID_FIELDS = (("traceId", 32), ("spanId", 16), ("parentSpanId", 16))


class Fail(Exception):
    """A conformance failure, with a human-readable reason."""


def _hex_to_b64(where: str, field: str, value: Any, length: int) -> str:
    if not isinstance(value, str) or not HEX_RE[length].match(value):
        raise Fail(f"{where}: {field} {value!r} is not {length} lowercase hex characters")
    if set(value) == {"0"}:
        raise Fail(f"{where}: {field} is all zero")
    return base64.b64encode(bytes.fromhex(value)).decode("ascii")


def _spans(obj: Any, where: str) -> List[Dict[str, Any]]:
    """Every span dict of one TracesData object (structure is checked by protobuf)."""
    out: List[Dict[str, Any]] = []
    if not isinstance(obj, dict):
        raise Fail(f"{where}: not a JSON object")
    for rs in obj.get("resourceSpans") or []:
        for ss in (rs or {}).get("scopeSpans") or []:
            for sp in (ss or {}).get("spans") or []:
                if isinstance(sp, dict):
                    out.append(sp)
    return out


def check(path: str, TracesData: Any, json_format: Any) -> int:
    try:
        with open(path, "r", encoding="utf-8") as f:
            lines = f.read().split("\n")
    except (OSError, UnicodeDecodeError) as e:
        print(f"OTLP ERROR: cannot read {path}: {e}", file=sys.stderr)
        return 2

    seen: List[Dict[str, Any]] = []  # (traceId, spanId, parentSpanId, where)
    for no, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"line {no}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise Fail(f"{where}: not JSON: {e}")
        spans = _spans(obj, where)
        if not spans:
            raise Fail(f"{where}: no spans")
        for sp in spans:
            ids: Dict[str, Optional[str]] = {}
            for field, length in ID_FIELDS:
                if field in sp:
                    ids[field] = sp[field]
                    sp[field] = _hex_to_b64(where, field, sp[field], length)
                elif field != "parentSpanId":
                    raise Fail(f"{where}: span without {field}")
            for ev in sp.get("events") or []:
                if not isinstance(ev, dict) or "timeUnixNano" not in ev:
                    raise Fail(f"{where}: event without timeUnixNano")
            seen.append(
                {
                    "trace": ids["traceId"],
                    "span": ids["spanId"],
                    "parent": ids.get("parentSpanId"),
                    "where": where,
                    "name": sp.get("name"),
                }
            )
        try:
            json_format.Parse(json.dumps(obj), TracesData(), ignore_unknown_fields=False)
        except json_format.ParseError as e:
            raise Fail(f"{where}: not a valid TracesData: {e}")

    if not seen:
        raise Fail("no spans in file")
    traces = {s["trace"] for s in seen}
    if len(traces) != 1:
        raise Fail(f"{len(traces)} different traceIds: {sorted(traces)}")
    ids = [s["span"] for s in seen]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise Fail(f"duplicate spanIds: {dup}")
    roots = [s for s in seen if s["parent"] is None]
    if len(roots) != 1:
        raise Fail(
            f"{len(roots)} spans without parentSpanId (expected exactly 1): "
            + ", ".join(f"{r['name']!r} ({r['where']})" for r in roots)
        )
    known = set(ids)
    for s in seen:
        if s["parent"] is not None and s["parent"] not in known:
            raise Fail(f"{s['where']}: parentSpanId {s['parent']} is not a span in the file")
    print(f"OTLP PASS {len(seen)} spans")
    return 0


def main(argv: List[str]) -> int:
    if len(argv) != 2:
        print(USAGE, file=sys.stderr)
        return 2
    try:
        from google.protobuf import json_format
        from opentelemetry.proto.trace.v1.trace_pb2 import TracesData
    except ImportError as e:
        print(
            f"OTLP ERROR: reference modules not importable under {sys.executable}: {e} "
            "(install requirements.txt into this venv)",
            file=sys.stderr,
        )
        return 2
    try:
        return check(argv[1], TracesData, json_format)
    except Fail as e:
        print(f"OTLP FAIL: {e}")
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
