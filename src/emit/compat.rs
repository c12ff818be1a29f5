//! `compat_report.json` (schema `schemas/compat_report.schema.json`) and the
//! human rendering of a compatibility report, grouped by class, breaking
//! changes first.

use serde::Serialize;

use crate::analyze::api::{Bump, Span};
use crate::analyze::compat::{Change, Report};
use crate::error::{Error, Result};

/// The schema id written into every report.
pub const SCHEMA: &str = "relgate/compat_report/v1";

#[derive(Serialize)]
struct Json<'a> {
    schema: &'static str,
    package: &'a str,
    old_version: &'a str,
    new_version: &'a str,
    baseline: &'a str,
    required_bump: &'static str,
    declared_bump: &'static str,
    sufficient: bool,
    next_version_at_least: &'a str,
    rustc_version: &'a str,
    rustdoc_format_version: u32,
    features: &'a [String],
    all_features: bool,
    no_default_features: bool,
    target: &'a str,
    summary: Summary,
    changes: Vec<JsonChange<'a>>,
}

#[derive(Serialize)]
struct Summary {
    major: usize,
    minor: usize,
    none: usize,
}

#[derive(Serialize)]
struct JsonChange<'a> {
    path: &'a str,
    item_kind: &'a str,
    kind: &'a str,
    class: &'static str,
    required_bump: &'static str,
    detail: &'a str,
    old: Option<Side<'a>>,
    new: Option<Side<'a>>,
}

#[derive(Serialize)]
struct Side<'a> {
    signature: &'a str,
    span: Option<JsonSpan<'a>>,
}

#[derive(Serialize)]
struct JsonSpan<'a> {
    file: &'a str,
    line: usize,
    end_line: usize,
}

fn side<'a>(sig: &'a Option<String>, span: &'a Option<Span>) -> Option<Side<'a>> {
    sig.as_deref().map(|signature| Side {
        signature,
        span: span.as_ref().map(|s| JsonSpan {
            file: &s.file,
            line: s.line,
            end_line: s.end_line,
        }),
    })
}

/// Changes sorted for reading: breaking first, then by path.
fn ordered(changes: &[Change]) -> Vec<&Change> {
    let mut v: Vec<&Change> = changes.iter().collect();
    v.sort_by(|a, b| {
        b.class
            .cmp(&a.class)
            .then(a.path.cmp(&b.path))
            .then(a.kind.cmp(&b.kind))
    });
    v
}

/// `compat_report.json`.
pub fn json(r: &Report) -> Result<Vec<u8>> {
    let count = |b: Bump| r.changes.iter().filter(|c| c.class == b).count();
    let doc = Json {
        schema: SCHEMA,
        package: &r.package,
        old_version: &r.old_version,
        new_version: &r.new_version,
        baseline: &r.baseline,
        required_bump: r.verdict.required.name(),
        declared_bump: r.verdict.declared.name(),
        sufficient: r.verdict.sufficient,
        next_version_at_least: &r.verdict.next_version_at_least,
        rustc_version: &r.rustc_version,
        rustdoc_format_version: r.format_version,
        features: &r.features,
        all_features: r.all_features,
        no_default_features: r.no_default_features,
        target: &r.target,
        summary: Summary {
            major: count(Bump::Major),
            minor: count(Bump::Minor),
            none: count(Bump::None),
        },
        changes: ordered(&r.changes)
            .into_iter()
            .map(|c| JsonChange {
                path: &c.path,
                item_kind: &c.item_kind,
                kind: &c.kind,
                class: c.class.name(),
                required_bump: c.class.name(),
                detail: &c.detail,
                old: side(&c.old, &c.old_span),
                new: side(&c.new, &c.new_span),
            })
            .collect(),
    };
    let mut out = serde_json::to_vec_pretty(&doc).map_err(|e| Error::Emit {
        artifact: "compat report",
        reason: e.to_string(),
    })?;
    out.push(b'\n');
    Ok(out)
}

/// The report for a terminal.
pub fn human(r: &Report) -> String {
    let v = &r.verdict;
    let mut s = format!(
        "{} {} → {} (baseline {})\nrequired bump: {}   declared bump: {}   {}\n",
        r.package,
        r.old_version,
        r.new_version,
        r.baseline,
        v.required.name(),
        v.declared.name(),
        if v.sufficient {
            "sufficient".to_owned()
        } else {
            format!(
                "INSUFFICIENT: the next version must be at least {}",
                v.next_version_at_least
            )
        }
    );
    for (class, title) in [
        (Bump::Major, "Breaking changes (major)"),
        (Bump::Minor, "Additions and compatible changes (minor)"),
    ] {
        let group: Vec<&Change> = ordered(&r.changes)
            .into_iter()
            .filter(|c| c.class == class)
            .collect();
        if group.is_empty() {
            continue;
        }
        s.push_str(&format!("\n{title}: {}\n", group.len()));
        for c in group {
            s.push_str(&format!("  {} [{}] {}\n", c.path, c.kind, c.detail));
            if let Some(span) = c.new_span.as_ref().or(c.old_span.as_ref()) {
                s.push_str(&format!("      at {}:{}\n", span.file, span.line));
            }
        }
    }
    if r.changes.is_empty() {
        s.push_str("\nNo public API change.\n");
    }
    s
}
