//! `traces.ndjson`: the release pipeline run as OpenTelemetry spans, one
//! OTLP/JSON `TracesData` object per line (the OTLP file-exporter format,
//! loadable by the collector's `otlpjsonfile` receiver, Jaeger, or any
//! OTLP/HTTP endpoint).
//!
//! Written by hand from our own stage records, following the "JSON Protobuf
//! Encoding" rules of `opentelemetry-proto`: ids as lowercase hex, enums as
//! integers, lowerCamelCase keys, 64-bit integers as decimal strings. Span
//! attributes follow the CI/CD semantic conventions (`cicd.pipeline.*`).
//!
//! Ids are deterministic: the trace id derives from the invocation id and
//! each span id from the trace id, the span name and its position, so the
//! same run always gives the same bytes.

use serde::{Serialize, Serializer};
use sha2::{Digest, Sha256};

/// How a pipeline run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunResult {
    /// Every stage passed.
    Success,
    /// The run failed (a stage failed or the gate said no).
    Failure,
}

/// A span or event attribute value.
#[derive(Debug, Clone, PartialEq)]
pub enum AttrValue {
    /// A string.
    Str(String),
    /// A 64-bit integer (written as a decimal string, as OTLP/JSON wants).
    Int(i64),
    /// A boolean.
    Bool(bool),
    /// A double; NaN and infinities are written as the strings `"NaN"`,
    /// `"Infinity"`, `"-Infinity"` (the protobuf JSON mapping).
    Double(f64),
}

/// Something that happened at a point in time within a stage.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Event name, e.g. `gate.rule.failed`.
    pub name: String,
    /// When it happened, nanoseconds since the Unix epoch.
    pub time_unix_nanos: u128,
    /// Event attributes, in order.
    pub attributes: Vec<(String, AttrValue)>,
}

/// One stage of the pipeline (becomes an INTERNAL span under the run span).
#[derive(Debug, Clone, PartialEq)]
pub struct Stage {
    /// Stage name (`build`, `test`, `sbom`, ...).
    pub name: String,
    /// Start, nanoseconds since the Unix epoch.
    pub start_unix_nanos: u128,
    /// End, nanoseconds since the Unix epoch.
    pub end_unix_nanos: u128,
    /// Why the stage failed, if it did (becomes an ERROR status).
    pub error: Option<String>,
    /// Span attributes, in order. Keys the renderer sets itself
    /// (`cicd.pipeline.task.*`) and repeated keys are dropped: OTLP keys are
    /// unique.
    pub attributes: Vec<(String, AttrValue)>,
    /// Events within the stage.
    pub events: Vec<Event>,
}

/// One pipeline run (becomes a SERVER span, the root of the trace).
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    /// The invocation id; the trace id derives from it.
    pub invocation_id: String,
    /// Pipeline name, e.g. `release` (the root span's name).
    pub pipeline: String,
    /// relgate's own version (`service.version`, scope version).
    pub service_version: String,
    /// The commit released, when known (`vcs.ref.head.revision`).
    pub commit: Option<String>,
    /// The version being released (`release.version`).
    pub version: String,
    /// How the run ended.
    pub result: RunResult,
    /// The stages, in order.
    pub stages: Vec<Stage>,
    /// Start, nanoseconds since the Unix epoch.
    pub start_unix_nanos: u128,
    /// End, nanoseconds since the Unix epoch.
    pub end_unix_nanos: u128,
}

/// `SPAN_KIND_INTERNAL`.
const KIND_INTERNAL: u8 = 1;
/// `SPAN_KIND_SERVER`.
const KIND_SERVER: u8 = 2;
/// `STATUS_CODE_OK`.
const STATUS_OK: u8 = 1;
/// `STATUS_CODE_ERROR`.
const STATUS_ERROR: u8 = 2;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TracesData<'a> {
    resource_spans: [ResourceSpans<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResourceSpans<'a> {
    resource: Resource<'a>,
    scope_spans: [ScopeSpans<'a>; 1],
}

#[derive(Serialize)]
struct Resource<'a> {
    attributes: &'a [KeyValue],
}

#[derive(Serialize)]
struct ScopeSpans<'a> {
    scope: Scope<'a>,
    spans: [Span; 1],
}

#[derive(Serialize)]
struct Scope<'a> {
    name: &'static str,
    version: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Span {
    trace_id: String,
    span_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent_span_id: Option<String>,
    name: String,
    kind: u8,
    start_time_unix_nano: String,
    end_time_unix_nano: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    attributes: Vec<KeyValue>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    events: Vec<JsonEvent>,
    status: Status,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonEvent {
    time_unix_nano: String,
    name: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    attributes: Vec<KeyValue>,
}

#[derive(Serialize)]
struct Status {
    code: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
}

#[derive(Serialize)]
struct KeyValue {
    key: String,
    value: AnyValue,
}

/// OTLP `AnyValue`: `{"stringValue":..}`, `{"intValue":"7"}`, ...
#[derive(Serialize)]
enum AnyValue {
    #[serde(rename = "stringValue")]
    Str(String),
    #[serde(rename = "intValue")]
    Int(String),
    #[serde(rename = "boolValue")]
    Bool(bool),
    #[serde(rename = "doubleValue")]
    Double(JsonDouble),
}

/// A double as the protobuf JSON mapping writes it.
struct JsonDouble(f64);

impl Serialize for JsonDouble {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let v = self.0;
        if v.is_finite() {
            s.serialize_f64(v)
        } else if v.is_nan() {
            s.serialize_str("NaN")
        } else if v > 0.0 {
            s.serialize_str("Infinity")
        } else {
            s.serialize_str("-Infinity")
        }
    }
}

fn any_value(v: &AttrValue) -> AnyValue {
    match v {
        AttrValue::Str(s) => AnyValue::Str(s.clone()),
        AttrValue::Int(i) => AnyValue::Int(i.to_string()),
        AttrValue::Bool(b) => AnyValue::Bool(*b),
        AttrValue::Double(d) => AnyValue::Double(JsonDouble(*d)),
    }
}

fn kv(key: &str, value: AnyValue) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value,
    }
}

fn str_kv(key: &str, value: &str) -> KeyValue {
    kv(key, AnyValue::Str(value.to_owned()))
}

/// Appends `extra` to `out`, skipping keys already present (the first
/// occurrence wins, so renderer-set keys beat caller-set ones).
fn push_unique(out: &mut Vec<KeyValue>, extra: &[(String, AttrValue)]) {
    for (k, v) in extra {
        if !out.iter().any(|e| e.key == *k) {
            out.push(kv(k, any_value(v)));
        }
    }
}

/// OTLP timestamps are `fixed64`: larger values are clamped to `u64::MAX`.
fn nanos(t: u128) -> String {
    u64::try_from(t).unwrap_or(u64::MAX).to_string()
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    s
}

/// The first `N` bytes of `digest`, never all zero (an all-zero id is
/// invalid in OTLP).
fn id_bytes<const N: usize>(digest: &[u8]) -> [u8; N] {
    let mut id = [0u8; N];
    for (dst, src) in id.iter_mut().zip(digest) {
        *dst = *src;
    }
    if id.iter().all(|b| *b == 0) {
        id[N - 1] = 1;
    }
    id
}

/// Trace id: the first 16 bytes of `sha256("relgate-trace\0" + invocation_id)`.
fn trace_id(invocation_id: &str) -> [u8; 16] {
    let mut h = Sha256::new();
    h.update(b"relgate-trace\0");
    h.update(invocation_id.as_bytes());
    id_bytes(&h.finalize())
}

/// Span id: the first 8 bytes of
/// `sha256("relgate-span\0" + trace_id + name + "\0" + index as u64 BE)`.
fn span_id(trace: &[u8; 16], name: &str, index: usize) -> [u8; 8] {
    let mut h = Sha256::new();
    h.update(b"relgate-span\0");
    h.update(trace);
    h.update(name.as_bytes());
    h.update(b"\0");
    h.update((index as u64).to_be_bytes());
    id_bytes(&h.finalize())
}

/// `cicd.pipeline.task.type` for the stage names that have one.
fn task_type(stage: &str) -> Option<&'static str> {
    match stage {
        "build" => Some("build"),
        "test" => Some("test"),
        _ => None,
    }
}

fn resource_attributes(run: &Run) -> Vec<KeyValue> {
    let mut attrs = vec![
        str_kv("service.name", "relgate"),
        str_kv("service.version", &run.service_version),
        str_kv("cicd.pipeline.name", &run.pipeline),
        str_kv("cicd.pipeline.run.id", &run.invocation_id),
    ];
    if let Some(commit) = &run.commit {
        attrs.push(str_kv("vcs.ref.head.revision", commit));
    }
    attrs.push(str_kv("release.version", &run.version));
    attrs
}

fn run_span(run: &Run, trace: &[u8; 16], id: &[u8; 8]) -> Span {
    let failed_stage = run.stages.iter().find(|s| s.error.is_some());
    let mut attributes = Vec::new();
    let status = match run.result {
        RunResult::Success => {
            attributes.push(str_kv("cicd.pipeline.result", "success"));
            Status {
                code: STATUS_OK,
                message: None,
            }
        }
        RunResult::Failure => {
            attributes.push(str_kv("cicd.pipeline.result", "failure"));
            // error.type: the class of the failure; the failed stage's name
            // when one is known, else the semconv fallback `_OTHER`.
            let error_type = failed_stage.map_or("_OTHER", |s| s.name.as_str());
            attributes.push(str_kv("error.type", error_type));
            let message = match failed_stage {
                Some(Stage {
                    name, error: Some(e), ..
                }) => format!("stage {name} failed: {e}"),
                _ => format!("{} failed", run.pipeline),
            };
            Status {
                code: STATUS_ERROR,
                message: Some(message),
            }
        }
    };
    Span {
        trace_id: hex(trace),
        span_id: hex(id),
        parent_span_id: None,
        name: run.pipeline.clone(),
        kind: KIND_SERVER,
        start_time_unix_nano: nanos(run.start_unix_nanos),
        end_time_unix_nano: nanos(run.end_unix_nanos),
        attributes,
        events: Vec::new(),
        status,
    }
}

fn stage_span(stage: &Stage, trace: &[u8; 16], id: &[u8; 8], parent: &[u8; 8]) -> Span {
    let mut attributes = vec![str_kv("cicd.pipeline.task.name", &stage.name)];
    if let Some(t) = task_type(&stage.name) {
        attributes.push(str_kv("cicd.pipeline.task.type", t));
    }
    push_unique(&mut attributes, &stage.attributes);
    let events = stage
        .events
        .iter()
        .map(|e| {
            let mut attributes = Vec::new();
            push_unique(&mut attributes, &e.attributes);
            JsonEvent {
                time_unix_nano: nanos(e.time_unix_nanos),
                name: e.name.clone(),
                attributes,
            }
        })
        .collect();
    let status = match &stage.error {
        None => Status {
            code: STATUS_OK,
            message: None,
        },
        Some(e) => Status {
            code: STATUS_ERROR,
            message: Some(e.clone()),
        },
    };
    Span {
        trace_id: hex(trace),
        span_id: hex(id),
        parent_span_id: Some(hex(parent)),
        name: stage.name.clone(),
        kind: KIND_INTERNAL,
        start_time_unix_nano: nanos(stage.start_unix_nanos),
        end_time_unix_nano: nanos(stage.end_unix_nanos),
        attributes,
        events,
        status,
    }
}

/// Renders `traces.ndjson`: one OTLP/JSON `TracesData` object per line
/// (`{"resourceSpans":[...]}`), one span per line, each line compact JSON
/// followed by `\n`.
///
/// The first line holds the pipeline-run span (name = [`Run::pipeline`],
/// kind SERVER, `cicd.pipeline.result` `success`|`failure`, and `error.type`
/// on failure); then one INTERNAL span per stage, child of the run span,
/// with `cicd.pipeline.task.name` and, for `build`/`test`,
/// `cicd.pipeline.task.type`. Every span has a status: OK, or ERROR with a
/// message. Every line carries the resource attributes `service.name`
/// (`relgate`), `service.version`, `cicd.pipeline.name`,
/// `cicd.pipeline.run.id` (the invocation id), `vcs.ref.head.revision` (when
/// the commit is known) and `release.version`, and the instrumentation
/// scope `relgate`/[`Run::service_version`].
pub fn render(run: &Run) -> Vec<u8> {
    let trace = trace_id(&run.invocation_id);
    let root = span_id(&trace, &run.pipeline, 0);
    let resource = resource_attributes(run);
    let mut spans = vec![run_span(run, &trace, &root)];
    for (i, stage) in run.stages.iter().enumerate() {
        let id = span_id(&trace, &stage.name, i + 1);
        spans.push(stage_span(stage, &trace, &id, &root));
    }
    let mut out = Vec::new();
    for span in spans {
        let line = TracesData {
            resource_spans: [ResourceSpans {
                resource: Resource {
                    attributes: &resource,
                },
                scope_spans: [ScopeSpans {
                    scope: Scope {
                        name: "relgate",
                        version: &run.service_version,
                    },
                    spans: [span],
                }],
            }],
        };
        // Plain structs of strings, integers, booleans and finite floats
        // always serialize; a line that somehow did not is left out rather
        // than written half.
        if serde_json::to_writer(&mut out, &line).is_ok() {
            out.push(b'\n');
        }
    }
    out
}

/// Marks the gate span of a failed release: its error names the failed
/// rules, one `gate.rule.failed` event per rule.
pub fn mark_gate(mut stages: Vec<Stage>, verdict: &crate::gate::Verdict) -> Vec<Stage> {
    if !verdict.passed() {
        if let Some(s) = stages.iter_mut().find(|s| s.name == "gate") {
            s.error = Some(format!("failed rules: {}", verdict.failed_rules().join(", ")));
            s.events = verdict
                .rules
                .iter()
                .filter(|r| r.status == crate::gate::RuleStatus::Fail)
                .map(|r| Event {
                    name: "gate.rule.failed".into(),
                    time_unix_nanos: s.end_unix_nanos,
                    attributes: vec![
                        ("rule.id".into(), AttrValue::Str(r.id.clone())),
                        ("rule.failures".into(), AttrValue::Int(r.failures.len() as i64)),
                    ],
                })
                .collect();
        }
    }
    stages
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn sample(result: RunResult) -> Run {
        let failed = result == RunResult::Failure;
        Run {
            invocation_id: "inv-120912".into(),
            pipeline: "release".into(),
            service_version: "0.1.0".into(),
            commit: Some("0123456789abcdef0123456789abcdef01234567".into()),
            version: "1.4.0".into(),
            result,
            start_unix_nanos: 1_544_712_660_000_000_000,
            end_unix_nanos: 1_544_712_670_000_000_000,
            stages: vec![
                Stage {
                    name: "build".into(),
                    start_unix_nanos: 1_544_712_660_000_000_000,
                    end_unix_nanos: 1_544_712_661_000_000_000,
                    error: None,
                    attributes: vec![
                        ("release.artifact.count".into(), AttrValue::Int(7)),
                        ("cicd.pipeline.task.name".into(), AttrValue::Str("spoof".into())),
                        ("cached".into(), AttrValue::Bool(false)),
                        ("ratio".into(), AttrValue::Double(0.5)),
                        ("weird".into(), AttrValue::Double(f64::NAN)),
                    ],
                    events: vec![],
                },
                Stage {
                    name: "gate".into(),
                    start_unix_nanos: 1_544_712_661_000_000_000,
                    end_unix_nanos: 1_544_712_662_000_000_000,
                    error: failed.then(|| "binary-size-budget failed".into()),
                    attributes: vec![],
                    events: vec![Event {
                        name: "gate.rule.failed".into(),
                        time_unix_nanos: 1_544_712_661_500_000_000,
                        attributes: vec![("rule.id".into(), AttrValue::Str("binary-size-budget".into()))],
                    }],
                },
            ],
        }
    }

    fn lines(run: &Run) -> Vec<Value> {
        let out = render(run);
        assert_eq!(out.last(), Some(&b'\n'));
        String::from_utf8(out)
            .expect("utf-8")
            .lines()
            .map(|l| serde_json::from_str(l).expect("each line is JSON"))
            .collect()
    }

    fn span(line: &Value) -> &Value {
        &line["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    }

    fn attr<'a>(attrs: &'a Value, key: &str) -> Option<&'a Value> {
        attrs
            .as_array()?
            .iter()
            .find(|kv| kv["key"] == key)
            .map(|kv| &kv["value"])
    }

    #[test]
    fn ids_are_deterministic_hex_and_nonzero() {
        let run = sample(RunResult::Success);
        assert_eq!(render(&run), render(&run));
        let t = trace_id("inv-120912");
        let mut h = Sha256::new();
        h.update(b"relgate-trace\0inv-120912");
        assert_eq!(t[..], h.finalize()[..16]);
        let ls = lines(&run);
        assert_eq!(ls.len(), 3);
        let mut span_ids = Vec::new();
        for l in &ls {
            let s = span(l);
            let tid = s["traceId"].as_str().expect("traceId");
            let sid = s["spanId"].as_str().expect("spanId");
            assert_eq!(tid, hex(&t));
            assert_eq!(tid.len(), 32);
            assert_eq!(sid.len(), 16);
            for id in [tid, sid] {
                assert!(id
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
                assert!(id.bytes().any(|b| b != b'0'));
            }
            span_ids.push(sid.to_owned());
        }
        span_ids.sort();
        span_ids.dedup();
        assert_eq!(span_ids.len(), 3);
        // another invocation gets another trace
        let mut other = run.clone();
        other.invocation_id = "inv-2".into();
        assert_ne!(span(&lines(&other)[0])["traceId"], span(&ls[0])["traceId"]);
        // all-zero digests still give a valid id
        assert_eq!(id_bytes::<8>(&[0; 32]), [0, 0, 0, 0, 0, 0, 0, 1]);
    }

    #[test]
    fn structure_and_timestamps_as_strings() {
        let ls = lines(&sample(RunResult::Success));
        let root = span(&ls[0]);
        assert_eq!(root["name"], "release");
        assert_eq!(root["kind"], 2);
        assert!(root.get("parentSpanId").is_none());
        assert_eq!(root["startTimeUnixNano"], "1544712660000000000");
        assert_eq!(root["endTimeUnixNano"], "1544712670000000000");
        assert_eq!(
            attr(&root["attributes"], "cicd.pipeline.result").expect("result")["stringValue"],
            "success"
        );
        assert!(attr(&root["attributes"], "error.type").is_none());
        assert_eq!(root["status"], serde_json::json!({"code": 1}));
        for l in &ls[1..] {
            let s = span(l);
            assert_eq!(s["kind"], 1);
            assert_eq!(s["parentSpanId"], root["spanId"]);
            assert!(s["startTimeUnixNano"].is_string());
            assert!(s["endTimeUnixNano"].is_string());
        }
        let build = span(&ls[1]);
        let a = &build["attributes"];
        assert_eq!(
            attr(a, "cicd.pipeline.task.name").expect("name")["stringValue"],
            "build"
        );
        assert_eq!(
            attr(a, "cicd.pipeline.task.type").expect("type")["stringValue"],
            "build"
        );
        assert_eq!(attr(a, "release.artifact.count").expect("int")["intValue"], "7");
        assert_eq!(attr(a, "cached").expect("bool")["boolValue"], false);
        assert_eq!(attr(a, "ratio").expect("double")["doubleValue"], 0.5);
        assert_eq!(attr(a, "weird").expect("nan")["doubleValue"], "NaN");
        let keys: Vec<&Value> = a.as_array().expect("array").iter().map(|kv| &kv["key"]).collect();
        assert_eq!(
            keys.iter().filter(|k| **k == "cicd.pipeline.task.name").count(),
            1
        );
        let gate = span(&ls[2]);
        assert!(attr(&gate["attributes"], "cicd.pipeline.task.type").is_none());
        let ev = &gate["events"][0];
        assert_eq!(ev["timeUnixNano"], "1544712661500000000");
        assert_eq!(ev["name"], "gate.rule.failed");
        // resource and scope on every line
        for l in &ls {
            let rs = &l["resourceSpans"][0];
            let r = &rs["resource"]["attributes"];
            assert_eq!(attr(r, "service.name").expect("svc")["stringValue"], "relgate");
            assert_eq!(attr(r, "service.version").expect("ver")["stringValue"], "0.1.0");
            assert_eq!(
                attr(r, "cicd.pipeline.name").expect("p")["stringValue"],
                "release"
            );
            assert_eq!(
                attr(r, "cicd.pipeline.run.id").expect("id")["stringValue"],
                "inv-120912"
            );
            assert!(attr(r, "vcs.ref.head.revision").is_some());
            assert_eq!(attr(r, "release.version").expect("rv")["stringValue"], "1.4.0");
            assert_eq!(
                rs["scopeSpans"][0]["scope"],
                serde_json::json!({"name": "relgate", "version": "0.1.0"})
            );
        }
    }

    #[test]
    fn failed_stage_and_run_have_error_status() {
        let ls = lines(&sample(RunResult::Failure));
        let root = span(&ls[0]);
        assert_eq!(
            attr(&root["attributes"], "cicd.pipeline.result").expect("r")["stringValue"],
            "failure"
        );
        assert_eq!(
            attr(&root["attributes"], "error.type").expect("e")["stringValue"],
            "gate"
        );
        assert_eq!(root["status"]["code"], 2);
        assert_eq!(
            root["status"]["message"],
            "stage gate failed: binary-size-budget failed"
        );
        let build = span(&ls[1]);
        assert_eq!(build["status"], serde_json::json!({"code": 1}));
        let gate = span(&ls[2]);
        assert_eq!(
            gate["status"],
            serde_json::json!({"code": 2, "message": "binary-size-budget failed"})
        );
    }

    #[test]
    fn no_commit_no_revision_and_huge_times_clamp() {
        let mut run = sample(RunResult::Failure);
        run.commit = None;
        run.stages.clear();
        run.end_unix_nanos = u128::MAX;
        let ls = lines(&run);
        assert_eq!(ls.len(), 1);
        let rs = &ls[0]["resourceSpans"][0];
        assert!(attr(&rs["resource"]["attributes"], "vcs.ref.head.revision").is_none());
        let root = span(&ls[0]);
        assert_eq!(root["endTimeUnixNano"], u64::MAX.to_string());
        assert_eq!(
            attr(&root["attributes"], "error.type").expect("e")["stringValue"],
            "_OTHER"
        );
        assert_eq!(root["status"]["message"], "release failed");
    }
}
