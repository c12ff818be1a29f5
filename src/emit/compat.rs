//! `compat_report.json` (schema `schemas/compat_report.schema.json`) and the
//! human rendering of a compatibility report, grouped by class, breaking
//! changes first.

use serde::{Deserialize, Serialize};

use crate::analyze::api::{Bump, Span};
use crate::analyze::compat::{Change, Report};
use crate::collect::rustdoc::{describe, FeatureChoice};
use crate::error::{Error, Result};
use crate::{MemberCompat, WorkspaceCompat};

/// The schema id written into every report.
pub const SCHEMA: &str = "relgate/compat_report/v1";

// The wire types: written by [`json`] and [`workspace_json`], read back by
// [`parse_workspace`] (a compat part's results, at the merge).

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Json {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    schema: Option<String>,
    package: String,
    old_version: String,
    new_version: String,
    baseline: String,
    required_bump: String,
    declared_bump: String,
    sufficient: bool,
    next_version_at_least: String,
    rustc_version: String,
    rustdoc_format_version: u32,
    features: Vec<String>,
    all_features: bool,
    no_default_features: bool,
    target: String,
    feature_sets: FeatureSets,
    summary: Summary,
    changes: Vec<JsonChange>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FeatureSets {
    current: FeatureSet,
    baseline: FeatureSet,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FeatureSet {
    features: Vec<String>,
    all_features: bool,
    no_default_features: bool,
    described: String,
    reason: String,
}

fn feature_set(c: &FeatureChoice) -> FeatureSet {
    FeatureSet {
        features: c.features.normalized(),
        all_features: c.features.all_features,
        no_default_features: c.features.no_default_features,
        described: describe(&c.features),
        reason: c.reason.clone(),
    }
}

impl FeatureSet {
    fn choice(self) -> FeatureChoice {
        FeatureChoice {
            features: crate::config::Features {
                features: self.features,
                all_features: self.all_features,
                no_default_features: self.no_default_features,
            },
            reason: self.reason,
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Summary {
    major: usize,
    minor: usize,
    none: usize,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonChange {
    path: String,
    item_kind: String,
    kind: String,
    class: String,
    required_bump: String,
    detail: String,
    old: Option<Side>,
    new: Option<Side>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Side {
    signature: String,
    span: Option<JsonSpan>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonSpan {
    file: String,
    line: usize,
    end_line: usize,
}

fn side(sig: &Option<String>, span: &Option<Span>) -> Option<Side> {
    sig.as_deref().map(|signature| Side {
        signature: signature.to_owned(),
        span: span.as_ref().map(|s| JsonSpan {
            file: s.file.clone(),
            line: s.line,
            end_line: s.end_line,
        }),
    })
}

fn unside(side: Option<Side>) -> (Option<String>, Option<Span>) {
    match side {
        None => (None, None),
        Some(s) => (
            Some(s.signature),
            s.span.map(|j| Span {
                file: j.file,
                line: j.line,
                end_line: j.end_line,
            }),
        ),
    }
}

fn bump(name: &str) -> std::result::Result<Bump, String> {
    [Bump::None, Bump::Patch, Bump::Minor, Bump::Major]
        .into_iter()
        .find(|b| b.name() == name)
        .ok_or_else(|| format!("`{name}` is not a bump (none, patch, minor, major)"))
}

impl Json {
    /// The report this was written from; every kind and bump must be known
    /// and each change's class must be its kind's.
    fn report(self) -> std::result::Result<Report, String> {
        let mut changes = Vec::new();
        for c in self.changes {
            let kind = crate::analyze::kinds::Kind::from_id(&c.kind)
                .ok_or_else(|| format!("{}: unknown change kind `{}`", c.path, c.kind))?;
            if kind.class().name() != c.class || c.class != c.required_bump {
                return Err(format!(
                    "{}: change `{}` is class {}, not {}",
                    c.path,
                    c.kind,
                    kind.class().name(),
                    c.class
                ));
            }
            let (old, old_span) = unside(c.old);
            let (new, new_span) = unside(c.new);
            changes.push(Change {
                path: c.path,
                item_kind: c.item_kind,
                kind,
                detail: c.detail,
                old,
                new,
                old_span,
                new_span,
            });
        }
        Ok(Report {
            package: self.package,
            old_version: self.old_version,
            new_version: self.new_version,
            baseline: self.baseline,
            rustc_version: self.rustc_version,
            format_version: self.rustdoc_format_version,
            new_features: self.feature_sets.current.choice(),
            old_features: self.feature_sets.baseline.choice(),
            target: self.target,
            changes,
            verdict: crate::analyze::compat::Verdict {
                required: bump(&self.required_bump)?,
                declared: bump(&self.declared_bump)?,
                sufficient: self.sufficient,
                next_version_at_least: self.next_version_at_least,
            },
        })
    }
}

/// Reads a workspace `compat_report.json` back (what [`workspace_json`]
/// wrote): every member as it was compared, first released or failed.
/// Strict: unknown fields, kinds or statuses are errors.
pub fn parse_workspace(bytes: &[u8]) -> std::result::Result<WorkspaceCompat, String> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Doc {
        schema: String,
        workspace: bool,
        #[allow(dead_code)]
        sufficient: bool,
        members: Vec<serde_json::Map<String, serde_json::Value>>,
        skipped: Vec<Skipped>,
    }
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Skipped {
        package: String,
        reason: String,
    }
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct NotCompared {
        package: String,
        new_version: String,
        reason: String,
    }
    let doc: Doc = super::strict_json::from_slice(bytes)?;
    if doc.schema != SCHEMA || !doc.workspace {
        return Err(format!("not a {SCHEMA} workspace report"));
    }
    let mut members = Vec::new();
    for mut m in doc.members {
        let status = m
            .remove("status")
            .and_then(|s| s.as_str().map(str::to_owned))
            .ok_or("a member has no status")?;
        let value = serde_json::Value::Object(m);
        let bad = |e: serde_json::Error| format!("a `{status}` member: {e}");
        members.push(match status.as_str() {
            "compared" => {
                let j: Json = serde_json::from_value(value).map_err(bad)?;
                MemberCompat::Compared(Box::new(j.report()?))
            }
            "first-release" => {
                let n: NotCompared = serde_json::from_value(value).map_err(bad)?;
                MemberCompat::FirstRelease {
                    package: n.package,
                    version: n.new_version,
                    reason: n.reason,
                }
            }
            "not-compared" => {
                let n: NotCompared = serde_json::from_value(value).map_err(bad)?;
                MemberCompat::Failed {
                    package: n.package,
                    version: n.new_version,
                    error: n.reason,
                }
            }
            other => return Err(format!("unknown member status `{other}`")),
        });
    }
    Ok(WorkspaceCompat {
        members,
        skipped: doc.skipped.into_iter().map(|s| (s.package, s.reason)).collect(),
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

fn doc(r: &Report) -> Json {
    let count = |b: Bump| r.changes.iter().filter(|c| c.class() == b).count();
    Json {
        schema: Some(SCHEMA.to_owned()),
        package: r.package.clone(),
        old_version: r.old_version.clone(),
        new_version: r.new_version.clone(),
        baseline: r.baseline.clone(),
        required_bump: r.verdict.required.name().to_owned(),
        declared_bump: r.verdict.declared.name().to_owned(),
        sufficient: r.verdict.sufficient,
        next_version_at_least: r.verdict.next_version_at_least.clone(),
        rustc_version: r.rustc_version.clone(),
        rustdoc_format_version: r.format_version,
        features: r.new_features.features.normalized(),
        all_features: r.new_features.features.all_features,
        no_default_features: r.new_features.features.no_default_features,
        target: r.target.clone(),
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
                path: c.path.clone(),
                item_kind: c.item_kind.clone(),
                kind: c.kind.id().to_owned(),
                class: c.class().name().to_owned(),
                required_bump: c.class().name().to_owned(),
                detail: c.detail.clone(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::kinds::Kind;
    use crate::collect::rustdoc::FeatureChoice;

    fn report() -> Report {
        let choice = |features: &[&str], reason: &str| FeatureChoice {
            features: crate::config::Features {
                features: features.iter().map(|f| (*f).to_owned()).collect(),
                all_features: false,
                no_default_features: true,
            },
            reason: reason.into(),
        };
        let change = |kind: Kind, span: bool| Change {
            path: format!("lib::{}", kind.id()),
            item_kind: "function".into(),
            kind,
            detail: "in words".into(),
            old: Some("pub fn f()".into()),
            new: span.then(|| "pub fn f(x: u8)".into()),
            old_span: span.then(|| Span {
                file: "src/lib.rs".into(),
                line: 3,
                end_line: 5,
            }),
            new_span: None,
        };
        let changes: Vec<Change> = Kind::ALL
            .iter()
            .enumerate()
            .map(|(i, k)| change(*k, i % 2 == 0))
            .collect();
        let old = cargo_metadata::semver::Version::new(1, 2, 3);
        let new = cargo_metadata::semver::Version::new(1, 3, 0);
        Report {
            package: "lib".into(),
            old_version: old.to_string(),
            new_version: new.to_string(),
            baseline: "git:v1.2.3".into(),
            rustc_version: "1.91.0".into(),
            format_version: 57,
            new_features: choice(&["a", "b"], "docs.rs metadata"),
            old_features: choice(&[], "defaults"),
            target: "x86_64-unknown-linux-gnu".into(),
            verdict: crate::analyze::compat::verdict(&old, &new, &changes),
            changes: {
                // Read back in the order written: breaking first, then by path.
                let mut c = changes;
                c.sort_by(|a, b| {
                    b.class()
                        .cmp(&a.class())
                        .then(a.path.cmp(&b.path))
                        .then(a.kind.cmp(&b.kind))
                });
                c
            },
        }
    }

    #[test]
    fn a_workspace_report_reads_back_as_written() {
        let ws = WorkspaceCompat {
            members: vec![
                MemberCompat::Compared(Box::new(report())),
                MemberCompat::FirstRelease {
                    package: "new".into(),
                    version: "0.1.0".into(),
                    reason: "first release of new: no tag".into(),
                },
                MemberCompat::Failed {
                    package: "broken".into(),
                    version: "2.0.0".into(),
                    error: "rustdoc failed".into(),
                },
            ],
            skipped: vec![("bin".into(), "no library target".into())],
        };
        let bytes = workspace_json(&ws).unwrap();
        let back = parse_workspace(&bytes).unwrap();
        assert_eq!(workspace_json(&back).unwrap(), bytes);
        match (&back.members[0], &ws.members[0]) {
            (MemberCompat::Compared(a), MemberCompat::Compared(b)) => assert_eq!(a, b),
            other => panic!("{other:?}"),
        }
        assert_eq!(back.skipped, ws.skipped);
    }

    #[test]
    fn a_report_that_does_not_add_up_is_refused() {
        let ws = WorkspaceCompat {
            members: vec![MemberCompat::Compared(Box::new(report()))],
            skipped: Vec::new(),
        };
        let text = String::from_utf8(workspace_json(&ws).unwrap()).unwrap();
        for (from, to, why) in [
            ("\"kind\": \"", "\"kind\": \"x-", "unknown change kind"),
            (
                "\"status\": \"compared\"",
                "\"status\": \"great\"",
                "unknown member status",
            ),
            (
                "\"workspace\": true",
                "\"workspace\": true, \"workspace\": true",
                "duplicate key",
            ),
            (
                "\"baseline\": \"git:v1.2.3\"",
                "\"baseline\": \"git:v1.2.3\", \"extra\": 1",
                "unknown field",
            ),
        ] {
            let bad = text.replacen(from, to, 1);
            assert_ne!(bad, text, "{from}");
            let err = parse_workspace(bad.as_bytes()).unwrap_err();
            assert!(err.contains(why), "{from}: {err}");
        }
        let wrong_class = text.replacen("\"class\": \"major\"", "\"class\": \"minor\"", 1);
        assert_ne!(wrong_class, text);
        assert!(parse_workspace(wrong_class.as_bytes())
            .unwrap_err()
            .contains("is class major"));
    }
}
