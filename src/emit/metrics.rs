//! `metrics.json` (schema `schemas/metrics.schema.json`, id `metrics/v1`)
//! and its Prometheus rendering `metrics.prom` (text exposition format
//! 0.0.4, without timestamps so the Pushgateway accepts it).
//!
//! Both renderings are pure and byte-stable: metrics are sorted, numbers
//! are written integral-as-integer or rounded to at most 6 decimals, and
//! nothing depends on the order the caller built the list in.
//!
//! Metrics flagged [`Metric::timing`] (wall time, CPU, memory) differ from
//! run to run by nature; they are rendered like every other metric but are
//! excluded from the byte-reproducibility promise made for the release
//! artifacts. A metric whose value is not finite (NaN, ±∞) has no meaning as
//! evidence and cannot be written as a JSON number: both renderings leave it
//! out.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::io;

use serde::{Deserialize, Serialize};

/// The schema id written into every `metrics.json`.
pub const SCHEMA_ID: &str = "metrics/v1";

/// One measured value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metric {
    /// Dotted OpenTelemetry-style name, e.g. `release.artifact.size`.
    pub name: String,
    /// UCUM unit as OpenTelemetry uses it: `By`, `s`, `{component}`, `{test}`.
    pub unit: String,
    /// The value; integral values are written as JSON integers.
    pub value: f64,
    /// Dimensions of the value (`artifact`, `target`, `stage`, ...).
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
    /// True for wall/CPU/memory figures that differ run to run; such metrics
    /// are excluded from byte-reproducibility checks.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub timing: bool,
}

impl Metric {
    /// A metric that is the same on every run (`timing: false`).
    pub fn new(name: &str, unit: &str, value: f64, attributes: &[(&str, &str)]) -> Metric {
        Metric {
            name: name.into(),
            unit: unit.into(),
            value,
            attributes: attributes
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            timing: false,
        }
    }
}

/// Which release a metrics document describes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseRef {
    /// Release id (the invocation or release-plan id).
    pub id: String,
    /// The version being released.
    pub version: String,
    /// The commit released, when known; omitted from the JSON otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
}

/// A `metrics.json` document.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricsDoc {
    /// The release measured.
    pub release: ReleaseRef,
    /// The measurements, in any order (rendering sorts them).
    pub metrics: Vec<Metric>,
}

#[derive(Serialize)]
struct JsonOut<'a> {
    schema: &'static str,
    release: &'a ReleaseRef,
    metrics: Vec<&'a Metric>,
}

/// What [`parse_json`] reads once the schema id is checked.
#[derive(Deserialize)]
struct JsonIn {
    release: ReleaseRef,
    metrics: Vec<Metric>,
}

/// Total order on metrics: (name, attributes), then the remaining fields so
/// that the output never depends on input order.
fn metric_order(a: &Metric, b: &Metric) -> Ordering {
    a.name
        .cmp(&b.name)
        .then_with(|| a.attributes.cmp(&b.attributes))
        .then_with(|| a.unit.cmp(&b.unit))
        .then_with(|| a.value.total_cmp(&b.value))
        .then_with(|| a.timing.cmp(&b.timing))
}

/// The finite metrics of `doc`, sorted.
fn sorted(doc: &MetricsDoc) -> Vec<&Metric> {
    let mut v: Vec<&Metric> = doc.metrics.iter().filter(|m| m.value.is_finite()).collect();
    v.sort_by(|a, b| metric_order(a, b));
    v
}

/// Formats a finite number the way both renderings write it: integral
/// values as integers (`7340032`), others rounded to at most 6 decimals
/// with trailing zeros removed (`1.5`, `0.333333`). Never an exponent,
/// never `-0`.
fn format_number(v: f64) -> String {
    let mut s = if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.6}");
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    };
    if s == "-0" {
        s = "0".to_owned();
    }
    s
}

/// serde_json's pretty formatter (2 spaces) with our number format.
struct Formatter(serde_json::ser::PrettyFormatter<'static>);

impl serde_json::ser::Formatter for Formatter {
    fn write_f64<W: ?Sized + io::Write>(&mut self, w: &mut W, value: f64) -> io::Result<()> {
        w.write_all(format_number(value).as_bytes())
    }
    fn begin_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + io::Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + io::Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_value(w)
    }
}

/// Renders `metrics.json`:
/// `{"schema":"metrics/v1","release":{...},"metrics":[...]}`, pretty-printed
/// with 2 spaces and a trailing newline. Metrics are sorted by
/// (name, attributes); integral values are written as JSON integers
/// (`7340032`, not `7340032.0`), others rounded to at most 6 decimals.
/// Non-finite values are left out (see the module docs).
pub fn render_json(doc: &MetricsDoc) -> Vec<u8> {
    let out = JsonOut {
        schema: SCHEMA_ID,
        release: &doc.release,
        metrics: sorted(doc),
    };
    let mut buf = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(
        &mut buf,
        Formatter(serde_json::ser::PrettyFormatter::with_indent(b"  ")),
    );
    // Serializing plain structs of strings, finite floats, booleans and
    // string maps into a Vec cannot fail; should it ever, the document is
    // left incomplete rather than the process aborted.
    if out.serialize(&mut ser).is_err() {
        buf.clear();
    }
    buf.push(b'\n');
    buf
}

/// Parses a `metrics.json` (e.g. the previous release's) back into a
/// [`MetricsDoc`]. Unknown fields are ignored (tolerant reader); the
/// `schema` field must be [`SCHEMA_ID`]. Errors name the problem and, for
/// malformed JSON, where it is.
pub fn parse_json(bytes: &[u8]) -> Result<MetricsDoc, String> {
    // Check the schema id first, so a document of another version is
    // reported as such rather than as a confusing field mismatch.
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| format!("metrics.json is not valid JSON: {e}"))?;
    match value.get("schema") {
        None => return Err("metrics.json has no `schema` field".to_owned()),
        Some(serde_json::Value::String(s)) if s == SCHEMA_ID => {}
        Some(other) => {
            return Err(format!(
                "metrics.json has schema {other}, expected \"{SCHEMA_ID}\""
            ))
        }
    }
    let doc: JsonIn =
        serde_json::from_value(value).map_err(|e| format!("metrics.json does not match {SCHEMA_ID}: {e}"))?;
    Ok(MetricsDoc {
        release: doc.release,
        metrics: doc.metrics,
    })
}

/// Help text for the metric names relgate itself produces.
const HELP: &[(&str, &str)] = &[
    ("release.artifact.size", "Size of a release artifact."),
    (
        "release.gate.rule.failures",
        "Number of failing items per contract rule.",
    ),
    ("release.sbom.components", "Number of components in the SBOM."),
    ("release.stage.duration", "Wall time of a release pipeline stage."),
];

/// Prometheus unit suffix for a UCUM unit (without the leading `_`), or
/// `None` when the unit adds nothing (annotations like `{component}`, `1`
/// for plain counts is treated as dimensionless too).
fn unit_suffix(unit: &str) -> Option<String> {
    match unit {
        "" | "1" => None,
        "By" => Some("bytes".to_owned()),
        "s" => Some("seconds".to_owned()),
        "ms" => Some("milliseconds".to_owned()),
        "%" => Some("percent".to_owned()),
        u if u.starts_with('{') && u.ends_with('}') => None,
        // Anything else is appended as-is after sanitizing, as the
        // OpenTelemetry→Prometheus compatibility rules do.
        u => {
            let s: String = u
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect::<String>()
                .trim_matches('_')
                .to_owned();
            (!s.is_empty()).then_some(s)
        }
    }
}

/// `release.artifact.size` + `By` → `release_artifact_size_bytes`; the
/// result matches `[a-zA-Z_:][a-zA-Z0-9_:]*`.
fn prom_name(name: &str, unit: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == ':' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    if let Some(suffix) = unit_suffix(unit) {
        if !out.ends_with(&format!("_{suffix}")) {
            out.push('_');
            out.push_str(&suffix);
        }
    }
    out
}

/// A label name matching `[a-zA-Z_][a-zA-Z0-9_]*`.
fn label_name(key: &str) -> String {
    let mut out: String = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

/// Label value escaping: `\` → `\\`, `"` → `\"`, newline → `\n`.
fn escape_label_value(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// HELP text escaping: `\` → `\\`, newline → `\n`.
fn escape_help(v: &str) -> String {
    v.replace('\\', "\\\\").replace('\n', "\\n")
}

/// The sanitized labels of a metric, sorted by label name. Attribute keys
/// that sanitize to the same label name have their values joined with `;`
/// (in key order), so a sample never repeats a label.
fn labels(m: &Metric) -> Vec<(String, String)> {
    let mut merged: BTreeMap<String, String> = BTreeMap::new();
    for (k, v) in &m.attributes {
        merged
            .entry(label_name(k))
            .and_modify(|cur| {
                cur.push(';');
                cur.push_str(v);
            })
            .or_insert_with(|| v.clone());
    }
    merged.into_iter().collect()
}

/// Renders `metrics.prom` in the Prometheus text exposition format 0.0.4,
/// without timestamps. Dots in names become underscores and the unit adds a
/// suffix (`By` → `_bytes`, `s` → `_seconds`, `{annotation}` → none). Each
/// family has one `# HELP` and one `# TYPE <name> gauge` line; families are
/// sorted by name and samples by labels. Label values are escaped (`\\`,
/// `\"`, `\n`), label names sanitized to `[a-zA-Z_][a-zA-Z0-9_]*`, values
/// formatted like in `metrics.json`. When several metrics give the same
/// series (family and labels) only the first in sort order is kept, since a
/// repeated series is rejected by Prometheus; non-finite values are left out.
pub fn render_prom(doc: &MetricsDoc) -> Vec<u8> {
    // family name → (dotted name of its first metric, samples by labels)
    type Samples = BTreeMap<Vec<(String, String)>, f64>;
    let mut families: BTreeMap<String, (&str, Samples)> = BTreeMap::new();
    for m in sorted(doc) {
        let family = families
            .entry(prom_name(&m.name, &m.unit))
            .or_insert_with(|| (m.name.as_str(), BTreeMap::new()));
        family.1.entry(labels(m)).or_insert(m.value);
    }
    let mut out = String::new();
    for (name, (dotted, samples)) in &families {
        let help = HELP
            .iter()
            .find(|(n, _)| n == dotted)
            .map_or_else(|| format!("relgate metric {dotted}"), |(_, h)| (*h).to_owned());
        out.push_str(&format!("# HELP {name} {}\n", escape_help(&help)));
        out.push_str(&format!("# TYPE {name} gauge\n"));
        for (labels, value) in samples {
            out.push_str(name);
            if !labels.is_empty() {
                let body: Vec<String> = labels
                    .iter()
                    .map(|(k, v)| format!("{k}=\"{}\"", escape_label_value(v)))
                    .collect();
                out.push('{');
                out.push_str(&body.join(","));
                out.push('}');
            }
            out.push(' ');
            out.push_str(&format_number(*value));
            out.push('\n');
        }
    }
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metric(name: &str, unit: &str, value: f64, attrs: &[(&str, &str)]) -> Metric {
        Metric::new(name, unit, value, attrs)
    }

    fn sample() -> MetricsDoc {
        let mut duration = metric("release.stage.duration", "s", 1.5, &[("stage", "sbom")]);
        duration.timing = true;
        MetricsDoc {
            release: ReleaseRef {
                id: "rel-2025-11-22-a1".into(),
                version: "1.4.0".into(),
                commit: Some("0123abcd".into()),
            },
            metrics: vec![
                metric("release.sbom.components", "{component}", 212.0, &[]),
                duration,
                metric(
                    "release.artifact.size",
                    "By",
                    7_340_032.0,
                    &[
                        ("target", "x86_64-unknown-linux-gnu"),
                        ("artifact", "tool-x86_64-unknown-linux-gnu.tar.gz"),
                    ],
                ),
                metric(
                    "release.gate.rule.failures",
                    "{item}",
                    1.0,
                    &[("rule", "binary-size-budget")],
                ),
            ],
        }
    }

    fn text(b: Vec<u8>) -> String {
        String::from_utf8(b).expect("utf-8")
    }

    #[test]
    fn numbers() {
        assert_eq!(format_number(7_340_032.0), "7340032");
        assert_eq!(format_number(1.5), "1.5");
        assert_eq!(format_number(1.0 / 3.0), "0.333333");
        assert_eq!(format_number(2.000_000_1), "2");
        assert_eq!(format_number(-0.0), "0");
        assert_eq!(format_number(-0.000_000_1), "0");
        assert_eq!(format_number(1e20), "100000000000000000000");
        assert_eq!(format_number(1e-7), "0");
        assert_eq!(format_number(-2.25), "-2.25");
    }

    #[test]
    fn json_integral_values_have_no_fraction() {
        let s = text(render_json(&sample()));
        assert!(s.contains("\"value\": 7340032,\n"), "{s}");
        assert!(s.contains("\"value\": 212,\n"), "{s}");
        assert!(s.contains("\"value\": 1.5,\n"), "{s}");
        assert!(!s.contains(".0,"), "{s}");
    }

    #[test]
    fn json_shape_and_order() {
        let s = text(render_json(&sample()));
        assert!(
            s.starts_with("{\n  \"schema\": \"metrics/v1\",\n  \"release\": {\n"),
            "{s}"
        );
        assert!(s.ends_with("}\n") && !s.ends_with("\n\n"), "{s}");
        let names: Vec<usize> = [
            "release.artifact.size",
            "release.gate.rule.failures",
            "release.sbom.components",
            "release.stage.duration",
        ]
        .iter()
        .map(|n| s.find(n).expect("present"))
        .collect();
        assert!(names.windows(2).all(|w| w[0] < w[1]), "{s}");
        // timing is written only when true
        assert_eq!(s.matches("\"timing\": true").count(), 1, "{s}");
        assert!(!s.contains("\"timing\": false"), "{s}");
        // empty attributes still present
        assert!(s.contains("\"attributes\": {}"), "{s}");
        // input order does not matter
        let mut reversed = sample();
        reversed.metrics.reverse();
        assert_eq!(render_json(&reversed), render_json(&sample()));
    }

    #[test]
    fn json_round_trips() {
        let doc = sample();
        let parsed = parse_json(&render_json(&doc)).expect("parses");
        let mut expected = doc.clone();
        expected.metrics.sort_by(metric_order);
        assert_eq!(parsed, expected);
        // rendering the parsed document gives the same bytes
        assert_eq!(render_json(&parsed), render_json(&doc));

        let no_commit = MetricsDoc {
            release: ReleaseRef {
                commit: None,
                ..doc.release.clone()
            },
            metrics: vec![],
        };
        let bytes = render_json(&no_commit);
        assert!(!text(bytes.clone()).contains("commit"));
        assert_eq!(parse_json(&bytes).expect("parses"), no_commit);
    }

    #[test]
    fn json_non_finite_values_are_left_out() {
        let mut doc = sample();
        doc.metrics.push(metric("x.nan", "1", f64::NAN, &[]));
        doc.metrics.push(metric("x.inf", "1", f64::INFINITY, &[]));
        assert_eq!(render_json(&doc), render_json(&sample()));
        assert_eq!(render_prom(&doc), render_prom(&sample()));
    }

    #[test]
    fn parse_errors_name_the_problem() {
        let e = parse_json(b"{").unwrap_err();
        assert!(e.contains("not valid JSON"), "{e}");
        let e = parse_json(br#"{"release":{"id":"a","version":"1"},"metrics":[]}"#).unwrap_err();
        assert!(e.contains("schema"), "{e}");
        let e = parse_json(br#"{"schema":"metrics/v2","release":{"id":"a","version":"1"},"metrics":[]}"#)
            .unwrap_err();
        assert!(e.contains("metrics/v2"), "{e}");
        let e = parse_json(
            br#"{"schema":"metrics/v1","release":{"id":"a","version":"1"},"metrics":[{"name":"a","unit":"s","value":"x"}]}"#,
        )
        .unwrap_err();
        assert!(e.contains("metrics/v1"), "{e}");
        // unknown fields are tolerated
        let ok = parse_json(
            br#"{"schema":"metrics/v1","extra":1,"release":{"id":"a","version":"1"},"metrics":[{"name":"a","unit":"s","value":2,"new":true}]}"#,
        )
        .expect("tolerant");
        assert_eq!(ok.metrics[0].value, 2.0);
        assert!(ok.metrics[0].attributes.is_empty());
    }

    #[test]
    fn prom_matches_reference_shape() {
        let s = text(render_prom(&sample()));
        let expected = "\
# HELP release_artifact_size_bytes Size of a release artifact.
# TYPE release_artifact_size_bytes gauge
release_artifact_size_bytes{artifact=\"tool-x86_64-unknown-linux-gnu.tar.gz\",target=\"x86_64-unknown-linux-gnu\"} 7340032
# HELP release_gate_rule_failures Number of failing items per contract rule.
# TYPE release_gate_rule_failures gauge
release_gate_rule_failures{rule=\"binary-size-budget\"} 1
# HELP release_sbom_components Number of components in the SBOM.
# TYPE release_sbom_components gauge
release_sbom_components 212
# HELP release_stage_duration_seconds Wall time of a release pipeline stage.
# TYPE release_stage_duration_seconds gauge
release_stage_duration_seconds{stage=\"sbom\"} 1.5
";
        assert_eq!(s, expected);
    }

    #[test]
    fn prom_escapes_labels_and_has_no_timestamps() {
        let doc = MetricsDoc {
            release: sample().release,
            metrics: vec![
                metric(
                    "relgate.test.count",
                    "{test}",
                    3.0,
                    &[("suite name", "a\"b\\c\nd"), ("9lives", "x")],
                ),
                metric("relgate.test.count", "{test}", 4.0, &[("suite name", "plain")]),
            ],
        };
        let s = text(render_prom(&doc));
        assert_eq!(s.matches("# TYPE relgate_test_count gauge\n").count(), 1, "{s}");
        assert_eq!(s.matches("# HELP relgate_test_count ").count(), 1, "{s}");
        assert!(
            s.contains("# HELP relgate_test_count relgate metric relgate.test.count\n"),
            "{s}"
        );
        assert!(
            s.contains("relgate_test_count{_9lives=\"x\",suite_name=\"a\\\"b\\\\c\\nd\"} 3\n"),
            "{s}"
        );
        assert!(s.contains("relgate_test_count{suite_name=\"plain\"} 4\n"), "{s}");
        // every sample line is `name{labels} value`, nothing after the value
        for line in s.lines().filter(|l| !l.starts_with('#')) {
            let value = line.rsplit(' ').next().expect("value");
            assert!(value.parse::<f64>().is_ok(), "{line}");
            let rest = &line[..line.len() - value.len() - 1];
            assert!(rest.ends_with('}') || !rest.contains(' '), "{line}");
        }
    }

    #[test]
    fn prom_one_family_per_name_and_no_duplicate_series() {
        let doc = MetricsDoc {
            release: sample().release,
            metrics: vec![
                metric("a.b", "By", 1.0, &[("k", "1")]),
                metric("a_b", "By", 2.0, &[("k", "2")]),
                metric("a.b", "By", 5.0, &[("k", "1")]),
                metric("a.b", "By", 3.0, &[("x.y", "p"), ("x_y", "q")]),
            ],
        };
        let s = text(render_prom(&doc));
        assert_eq!(s.matches("# TYPE a_b_bytes gauge").count(), 1, "{s}");
        assert!(s.contains("a_b_bytes{k=\"1\"} 1\n"), "{s}");
        assert!(!s.contains(" 5\n"), "{s}");
        assert!(s.contains("a_b_bytes{x_y=\"p;q\"} 3\n"), "{s}");
    }

    #[test]
    fn prom_names() {
        assert_eq!(
            prom_name("release.artifact.size", "By"),
            "release_artifact_size_bytes"
        );
        assert_eq!(
            prom_name("release.stage.duration", "s"),
            "release_stage_duration_seconds"
        );
        assert_eq!(
            prom_name("relgate.duration.seconds", "s"),
            "relgate_duration_seconds"
        );
        assert_eq!(
            prom_name("release.sbom.components", "{component}"),
            "release_sbom_components"
        );
        assert_eq!(prom_name("9.x-y", "1"), "_9_x_y");
        assert_eq!(label_name(""), "_");
    }

    #[test]
    fn json_matches_schema() {
        let schema: serde_json::Value =
            serde_json::from_str(include_str!("../../schemas/metrics.schema.json")).expect("schema is JSON");
        let validator = jsonschema::validator_for(&schema).expect("schema compiles");
        let mut doc = sample();
        let good: serde_json::Value = serde_json::from_slice(&render_json(&doc)).expect("JSON");
        assert!(validator.is_valid(&good));
        doc.release.commit = None;
        let good: serde_json::Value = serde_json::from_slice(&render_json(&doc)).expect("JSON");
        assert!(validator.is_valid(&good));
        let mut bad = good.clone();
        bad["metrics"][0]["extra"] = serde_json::json!(1);
        assert!(!validator.is_valid(&bad));
        let mut bad = good;
        bad["schema"] = serde_json::json!("metrics/v2");
        assert!(!validator.is_valid(&bad));
    }
}
