//! `compat_report.json` (schema `schemas/compat_report.schema.json`) and the
//! human rendering of a compatibility report, grouped by class, breaking
//! changes first.

use serde::Serialize;

use crate::analyze::api::{Bump, Span};
use crate::analyze::compat::{Change, Report};
use crate::collect::rustdoc::{describe, FeatureChoice};
use crate::error::{Error, Result};
use crate::{MemberCompat, WorkspaceCompat};

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
    features: Vec<String>,
    all_features: bool,
    no_default_features: bool,
    target: &'a str,
    feature_sets: FeatureSets<'a>,
    summary: Summary,
    changes: Vec<JsonChange<'a>>,
}

#[derive(Serialize)]
struct FeatureSets<'a> {
    current: FeatureSet<'a>,
    baseline: FeatureSet<'a>,
}

#[derive(Serialize)]
struct FeatureSet<'a> {
    features: Vec<String>,
    all_features: bool,
    no_default_features: bool,
    described: String,
    reason: &'a str,
}

fn feature_set(c: &FeatureChoice) -> FeatureSet<'_> {
    FeatureSet {
        features: c.features.normalized(),
        all_features: c.features.all_features,
        no_default_features: c.features.no_default_features,
        described: describe(&c.features),
        reason: &c.reason,
    }
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
        b.class()
            .cmp(&a.class())
            .then(a.path.cmp(&b.path))
            .then(a.kind.cmp(&b.kind))
    });
    v
}

/// `compat_report.json` for a workspace: one entry per library member
/// (each a complete report without `schema`, or why it was not compared),
/// the members left out, and whether every compared member's bump suffices.
pub fn workspace_json(ws: &WorkspaceCompat) -> Result<Vec<u8>> {
    let mut members = Vec::new();
    for m in &ws.members {
        members.push(match m {
            MemberCompat::Compared(r) => {
                let mut v = serde_json::to_value(doc(r)).map_err(emit_error)?;
                if let Some(o) = v.as_object_mut() {
                    o.remove("schema");
                    o.insert("status".into(), "compared".into());
                }
                v
            }
            MemberCompat::FirstRelease {
                package,
                version,
                reason,
            } => serde_json::json!({"status": "first-release", "package": package, "new_version": version, "reason": reason}),
            MemberCompat::Failed { package, version, error } => {
                serde_json::json!({"status": "not-compared", "package": package, "new_version": version, "reason": error})
            }
        });
    }
    let doc = serde_json::json!({
        "schema": SCHEMA,
        "workspace": true,
        "sufficient": ws.sufficient() && ws.failed().is_empty(),
        "members": members,
        "skipped": ws.skipped.iter().map(|(p, r)| serde_json::json!({"package": p, "reason": r})).collect::<Vec<_>>(),
    });
    let mut out = serde_json::to_vec_pretty(&doc).map_err(emit_error)?;
    out.push(b'\n');
    Ok(out)
}

/// The workspace report for a terminal: one section per member.
pub fn workspace_human(ws: &WorkspaceCompat) -> String {
    let mut s = String::new();
    for m in &ws.members {
        match m {
            MemberCompat::Compared(r) => s.push_str(&human(r)),
            MemberCompat::FirstRelease {
                package,
                version,
                reason,
            } => s.push_str(&format!("{package} {version}: not compared: {reason}\n")),
            MemberCompat::Failed {
                package,
                version,
                error,
            } => s.push_str(&format!("{package} {version}: NOT COMPARED (error): {error}\n")),
        }
        s.push('\n');
    }
    for (p, r) in &ws.skipped {
        s.push_str(&format!("{p}: left out ({r})\n"));
    }
    let failed = ws.failed();
    s.push_str(&if !failed.is_empty() {
        format!("undecided: {} could not be compared\n", failed.join(", "))
    } else if ws.sufficient() {
        "every compared member's declared bump suffices\n".to_owned()
    } else {
        "INSUFFICIENT: at least one member needs a larger bump\n".to_owned()
    });
    s
}

fn emit_error(e: serde_json::Error) -> Error {
    Error::Emit {
        artifact: "compat report",
        reason: e.to_string(),
    }
}

/// `compat_report.json`.
pub fn json(r: &Report) -> Result<Vec<u8>> {
    let mut out = serde_json::to_vec_pretty(&doc(r)).map_err(emit_error)?;
    out.push(b'\n');
    Ok(out)
}

fn doc(r: &Report) -> Json<'_> {
    let count = |b: Bump| r.changes.iter().filter(|c| c.class() == b).count();
    Json {
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
        features: r.new_features.features.normalized(),
        all_features: r.new_features.features.all_features,
        no_default_features: r.new_features.features.no_default_features,
        target: &r.target,
        feature_sets: FeatureSets {
            current: feature_set(&r.new_features),
            baseline: feature_set(&r.old_features),
        },
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
                kind: c.kind.id(),
                class: c.class().name(),
                required_bump: c.class().name(),
                detail: &c.detail,
                old: side(&c.old, &c.old_span),
                new: side(&c.new, &c.new_span),
            })
            .collect(),
    }
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
            .filter(|c| c.class() == class)
            .collect();
        if group.is_empty() {
            continue;
        }
        s.push_str(&format!("\n{title}: {}\n", group.len()));
        for c in group {
            s.push_str(&format!("  {} [{}] {}\n", c.path, c.kind.id(), c.detail));
            if let Some(span) = c.new_span.as_ref().or(c.old_span.as_ref()) {
                s.push_str(&format!("      at {}:{}\n", span.file, span.line));
            }
        }
    }
    s.push_str(&format!(
        "features compared: {} ({})",
        describe(&r.new_features.features),
        r.new_features.reason
    ));
    if r.old_features != r.new_features {
        s.push_str(&format!(
            "; baseline: {} ({})",
            describe(&r.old_features.features),
            r.old_features.reason
        ));
    }
    s.push('\n');
    if r.changes.is_empty() {
        s.push_str("\nNo public API change.\n");
    }
    s
}
