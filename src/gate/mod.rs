//! The release gate: contract rules and built-in invariants over the
//! [`facts::Facts`] of a release → a [`Verdict`].
//!
//! Findings are data: a failed rule is a [`RuleVerdict`] with failures,
//! never an `Err`. An `Err` ([`rules::RuleError`]) means a rule could not be
//! evaluated, which the binary reports as exit 2 — never as a pass.
//!
//! Waivers apply to failures of one rule whose `match` (with `it` bound to
//! the failing item) holds, until the end of their `until` day (UTC). An
//! expired waiver waives nothing and fails the gate as `waiver-expired`.

pub mod bounded;
pub mod build;
pub mod builtin;
pub mod facts;
pub mod rules;

use serde::{Deserialize, Serialize};

use crate::config::contract::{Contract, Severity, BUILTIN_IDS, WAIVER_EXPIRED};
use facts::Facts;
use rules::{Compiled, RuleError};

/// The schema id of `gate.json`.
pub const SCHEMA: &str = "gate/v1";

/// The gate's decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// `pass` or `fail`.
    pub result: String,
    /// Gate time (RFC 3339).
    pub now: String,
    /// Every rule, built-ins first.
    pub rules: Vec<RuleVerdict>,
    /// Every waiver and whether it was used.
    pub waivers: Vec<WaiverStatus>,
}

/// One rule's verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleVerdict {
    /// Stable id.
    pub id: String,
    /// `builtin` or `user`.
    pub kind: String,
    /// `deny` or `warn`.
    pub severity: String,
    /// What came of it.
    pub status: RuleStatus,
    /// Unwaived failures.
    pub failures: Vec<ItemFailure>,
    /// Waived failures.
    pub waived: Vec<WaivedFailure>,
    /// Context (why skipped, what was compared).
    pub note: Option<String>,
}

/// A failing item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemFailure {
    /// Label.
    pub item: String,
    /// Message.
    pub message: String,
}

/// A failure a waiver covers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WaivedFailure {
    /// Label.
    pub item: String,
    /// Message.
    pub message: String,
    /// The waiver's reason.
    pub reason: String,
    /// The waiver's last day.
    pub until: String,
    /// The waiver's OpenVEX justification label, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
}

/// A waiver and what became of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WaiverStatus {
    /// Rule id.
    pub rule: String,
    /// The `match` expression.
    #[serde(rename = "match")]
    pub matches: Option<String>,
    /// Reason.
    pub reason: String,
    /// Last day.
    pub until: String,
    /// OpenVEX justification label, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    /// What became of it.
    pub status: WaiverState,
}

/// What came of one rule. The ids are wire format (gate.json, report.md,
/// `gate --dir`): frozen by a test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleStatus {
    /// Checked, nothing failed.
    Pass,
    /// A `deny` rule failed: the gate fails.
    Fail,
    /// A `warn` rule failed: reported only.
    Warn,
    /// Every failure is covered by a waiver.
    Waived,
    /// Not checked (turned off, not applicable); the note says why.
    Skipped,
}

impl RuleStatus {
    /// Every status, in report order.
    pub const ALL: [RuleStatus; 5] = [
        RuleStatus::Pass,
        RuleStatus::Fail,
        RuleStatus::Warn,
        RuleStatus::Waived,
        RuleStatus::Skipped,
    ];

    /// The id on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            RuleStatus::Pass => "pass",
            RuleStatus::Fail => "fail",
            RuleStatus::Warn => "warn",
            RuleStatus::Waived => "waived",
            RuleStatus::Skipped => "skipped",
        }
    }

    /// What the status means, for `relgate explain` and the docs.
    pub fn explain(self) -> &'static str {
        match self {
            RuleStatus::Pass => "the rule was checked and nothing failed",
            RuleStatus::Fail => "a `deny` rule failed: the gate fails and nothing is signed",
            RuleStatus::Warn => "a `warn` rule failed: reported, the gate still passes",
            RuleStatus::Waived => {
                "every failure is covered by an unexpired waiver (reason and until are listed)"
            }
            RuleStatus::Skipped => {
                "not checked (turned off or not applicable); the note says why — never a pass"
            }
        }
    }
}

impl std::fmt::Display for RuleStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for RuleStatus {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// What became of one waiver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WaiverState {
    /// It covered at least one failure.
    Used,
    /// Nothing it covers failed.
    Unused,
    /// Past its `until`: it covers nothing and fails `waiver-expired`.
    Expired,
}

impl WaiverState {
    /// Every state.
    pub const ALL: [WaiverState; 3] = [WaiverState::Used, WaiverState::Unused, WaiverState::Expired];

    /// The id on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            WaiverState::Used => "used",
            WaiverState::Unused => "unused",
            WaiverState::Expired => "expired",
        }
    }
}

impl PartialEq<&str> for WaiverState {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl Verdict {
    /// Whether the gate passed.
    pub fn passed(&self) -> bool {
        self.result == "pass"
    }

    /// Failing `deny` rules, for one-line summaries.
    pub fn failed_rules(&self) -> Vec<&str> {
        self.rules
            .iter()
            .filter(|r| r.status == RuleStatus::Fail)
            .map(|r| r.id.as_str())
            .collect()
    }
}

struct Pending {
    item: String,
    message: String,
    data: cel::Value,
}

/// Evaluates every built-in invariant and user rule.
pub fn evaluate(contract: &Contract, compiled: &Compiled, facts: &Facts) -> Result<Verdict, RuleError> {
    let now_ts = chrono::DateTime::parse_from_rfc3339(&facts.now)
        .map(|d| d.timestamp())
        .map_err(|e| RuleError {
            rule: "now".into(),
            field: "now",
            reason: format!("`{}` is not RFC 3339: {e}", facts.now),
        })?;
    // The facts become CEL values only when an expression will read them
    // (built-in invariants read the facts directly): on a 300-package
    // workspace the conversion is a millisecond or two of every release.
    let expressions = !compiled.rules.is_empty() || compiled.waivers.iter().any(|w| w.matches.is_some());
    let value = match expressions {
        true => facts.to_value(),
        false => serde_json::Value::Null,
    };
    let ctx = rules::context(&value);
    let mut used = vec![false; compiled.waivers.len()];
    let mut out = Vec::new();

    let mut apply = |id: &str,
                     severity: Severity,
                     kind: &str,
                     pending: Vec<Pending>,
                     note: Option<String>|
     -> Result<RuleVerdict, RuleError> {
        let mut failures = Vec::new();
        let mut waived = Vec::new();
        'item: for p in pending {
            for (i, w) in compiled.waivers.iter().enumerate() {
                if w.rule != id || w.until_ts < now_ts {
                    continue;
                }
                let hit = match &w.matches {
                    None => true,
                    Some(m) => {
                        bounded::note_rule(&format!("waiver for {id}"));
                        let mut inner = ctx.new_inner_scope();
                        inner.add_variable_from_value("it", p.data.clone());
                        rules::eval_bool(&inner, m, &format!("waiver for {id}"), "match")?
                    }
                };
                if hit {
                    used[i] = true;
                    waived.push(WaivedFailure {
                        item: p.item,
                        message: p.message,
                        reason: w.reason.clone(),
                        until: w.until.clone(),
                        justification: w.justification.clone(),
                    });
                    continue 'item;
                }
            }
            failures.push(ItemFailure {
                item: p.item,
                message: p.message,
            });
        }
        let status = match (failures.is_empty(), waived.is_empty(), severity) {
            (false, _, Severity::Deny) => RuleStatus::Fail,
            (false, _, Severity::Warn) => RuleStatus::Warn,
            (true, false, _) => RuleStatus::Waived,
            (true, true, _) => RuleStatus::Pass,
        };
        Ok(RuleVerdict {
            id: id.to_owned(),
            kind: kind.to_owned(),
            severity: severity.name().to_owned(),
            status,
            failures,
            waived,
            note,
        })
    };

    for id in BUILTIN_IDS {
        match builtin::evaluate(id, contract, facts) {
            builtin::Outcome::Skipped(why) => out.push(RuleVerdict {
                id: id.to_owned(),
                kind: "builtin".into(),
                severity: "deny".into(),
                status: RuleStatus::Skipped,
                failures: Vec::new(),
                waived: Vec::new(),
                note: Some(why),
            }),
            builtin::Outcome::Checked(failures, note) => {
                let pending = failures
                    .into_iter()
                    .map(|f| Pending {
                        item: f.item,
                        message: f.message,
                        data: rules::to_cel(&f.data),
                    })
                    .collect();
                out.push(apply(id, Severity::Deny, "builtin", pending, note)?);
            }
        }
    }

    for rule in &compiled.rules {
        bounded::note_rule(&rule.id);
        let mut pending = Vec::new();
        let message = |scope: &cel::Context, label: &str| -> Result<String, RuleError> {
            match &rule.message {
                Some(m) => rules::eval_string(scope, m, &rule.id),
                None => Ok(format!("{label}: failed `{}`", rule.assert.source)),
            }
        };
        match &rule.each {
            None => {
                if !rules::eval_bool(&ctx, &rule.assert, &rule.id, "assert")? {
                    pending.push(Pending {
                        item: rule.id.clone(),
                        message: message(&ctx, &rule.id)?,
                        data: cel::Value::Null,
                    });
                }
            }
            Some(each) => {
                for item in rules::eval_list(&ctx, each, &rule.id)?.iter() {
                    let mut inner = ctx.new_inner_scope();
                    inner.add_variable_from_value("it", item.clone());
                    if !rules::eval_bool(&inner, &rule.assert, &rule.id, "assert")? {
                        let label = rules::item_label(item);
                        pending.push(Pending {
                            message: message(&inner, &label)?,
                            item: label,
                            data: item.clone(),
                        });
                    }
                }
            }
        }
        let note = rule.description.clone();
        out.push(apply(&rule.id, rule.severity, "user", pending, note)?);
    }

    let expired: Vec<ItemFailure> = compiled
        .waivers
        .iter()
        .filter(|w| w.until_ts < now_ts)
        .map(|w| ItemFailure {
            item: w.rule.clone(),
            message: format!(
                "the waiver for `{}` (\"{}\") expired on {}: renew it with a new date and reason, or remove it",
                w.rule, w.reason, w.until
            ),
        })
        .collect();
    out.push(RuleVerdict {
        id: WAIVER_EXPIRED.into(),
        kind: "builtin".into(),
        severity: "deny".into(),
        status: if expired.is_empty() {
            RuleStatus::Pass
        } else {
            RuleStatus::Fail
        },
        failures: expired,
        waived: Vec::new(),
        note: Some(format!("{} waiver(s) in the contract", compiled.waivers.len())),
    });

    let waivers = compiled
        .waivers
        .iter()
        .zip(&used)
        .map(|(w, used)| WaiverStatus {
            rule: w.rule.clone(),
            matches: w.matches.as_ref().map(|m| m.source.clone()),
            reason: w.reason.clone(),
            until: w.until.clone(),
            justification: w.justification.clone(),
            status: if w.until_ts < now_ts {
                WaiverState::Expired
            } else if *used {
                WaiverState::Used
            } else {
                WaiverState::Unused
            },
        })
        .collect();
    let passed = out.iter().all(|r| r.status != RuleStatus::Fail);
    Ok(Verdict {
        result: if passed { "pass" } else { "fail" }.into(),
        now: facts.now.clone(),
        rules: out,
        waivers,
    })
}

/// What `relgate explain ID` says: a built-in's description, a compat
/// change kind's rule and reference, or a user rule's definition from the
/// contract.
pub fn explain(id: &str, contract: &Contract) -> Option<String> {
    if let Some(text) = builtin::explain(id) {
        return Some(text.to_owned());
    }
    if let Some(kind) = crate::analyze::kinds::Kind::from_id(id) {
        return Some(kind.explain());
    }
    if id == "parts-complete" {
        let mut s = crate::release::PARTS_COMPLETE.to_owned();
        for k in crate::release::ProblemKind::ALL {
            s.push_str(&format!("\n  {:<13} {}", k.id(), k.explain()));
        }
        return Some(s);
    }
    let r = contract.rules.iter().find(|r| r.id == id)?;
    let mut s = format!(
        "{}: user rule ({}) from {}\n",
        r.id,
        r.severity.name(),
        contract.origin.as_deref().unwrap_or("the contract")
    );
    if let Some(d) = &r.description {
        s.push_str(&format!("  {d}\n"));
    }
    if let Some(e) = &r.each {
        s.push_str(&format!("  each:    {e}\n"));
    }
    s.push_str(&format!("  assert:  {}\n", r.assert));
    if let Some(m) = &r.message {
        s.push_str(&format!("  message: {m}\n"));
    }
    for w in contract.waivers.iter().filter(|w| w.rule == id) {
        s.push_str(&format!(
            "  waiver until {}{}: {}\n",
            w.until,
            w.matches
                .as_deref()
                .map(|m| format!(" where {m}"))
                .unwrap_or_default(),
            w.reason
        ));
    }
    Some(s.trim_end().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::facts::*;

    fn facts() -> Facts {
        Facts {
            release: ReleaseFact {
                id: "urn:uuid:1".into(),
                package: "demo".into(),
                version: "1.1.0".into(),
                previous_version: Some("1.0.0".into()),
                ..Default::default()
            },
            packages: vec![
                PackageFact {
                    name: "demo".into(),
                    version: "1.1.0".into(),
                    license: "MIT".into(),
                    source_kind: "path".into(),
                    workspace_member: true,
                    kind: "normal".into(),
                    ..Default::default()
                },
                PackageFact {
                    name: "gpl".into(),
                    version: "2.0.0".into(),
                    license: "GPL-3.0-only".into(),
                    source_kind: "registry".into(),
                    kind: "normal".into(),
                    ..Default::default()
                },
            ],
            compat: CompatFact {
                ran: true,
                required_bump: "minor".into(),
                declared_bump: "minor".into(),
                sufficient: true,
                ..Default::default()
            },
            tests: TestsFact {
                required: true,
                ran: true,
                conclusive: true,
                passed: 3,
                exit_code: Some(0),
                ..Default::default()
            },
            schema_lock: SchemaLockFact {
                status: "ok".into(),
                ..Default::default()
            },
            now: "2026-11-22T10:00:00Z".into(),
            ..Default::default()
        }
    }

    fn run(toml: &str, f: &Facts) -> Result<Verdict, RuleError> {
        let c = Contract::from_toml(toml, "t").unwrap();
        let compiled = rules::compile(&c)?;
        evaluate(&c, &compiled, f)
    }

    fn status<'a>(v: &'a Verdict, id: &str) -> &'a str {
        v.rules.iter().find(|r| r.id == id).unwrap().status.as_str()
    }

    #[test]
    fn status_ids_are_frozen_and_explained() {
        let ids: Vec<&str> = RuleStatus::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(ids, ["pass", "fail", "warn", "waived", "skipped"]);
        for s in RuleStatus::ALL {
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
            assert!(!s.explain().is_empty());
        }
        let ids: Vec<&str> = WaiverState::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(ids, ["used", "unused", "expired"]);
        for s in WaiverState::ALL {
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
    }

    #[test]
    fn defaults_pass_on_good_facts() {
        let v = run("", &facts()).unwrap();
        assert!(v.passed(), "{v:#?}");
        assert_eq!(status(&v, "license-allowlist"), "skipped");
    }

    #[test]
    fn license_rule_fails_then_is_waived_then_waiver_expires() {
        let base = "[invariants.license-allowlist]\nallow = [\"MIT\"]\n";
        let v = run(base, &facts()).unwrap();
        assert_eq!(status(&v, "license-allowlist"), "fail");
        assert_eq!(v.rules[4].failures[0].item, "gpl@2.0.0");
        let waiver = |until: &str| {
            format!("{base}[[waiver]]\nrule = \"license-allowlist\"\nmatch = 'it.name == \"gpl\"'\nreason = \"legal ok\"\nuntil = \"{until}\"\n")
        };
        let v = run(&waiver("2026-11-22"), &facts()).unwrap();
        assert!(v.passed());
        assert_eq!(status(&v, "license-allowlist"), "waived");
        assert_eq!(v.waivers[0].status, "used");
        let v = run(&waiver("2026-11-21"), &facts()).unwrap();
        assert!(!v.passed());
        assert_eq!(status(&v, "license-allowlist"), "fail");
        assert_eq!(status(&v, WAIVER_EXPIRED), "fail");
        assert_eq!(v.waivers[0].status, "expired");
    }

    #[test]
    fn a_waiver_match_reads_every_fact_even_without_rules() {
        // With no `[[rule]]`, the facts are turned into CEL values only for
        // a waiver's `match`; one reading a top-level fact must see it.
        let base = "[invariants.license-allowlist]\nallow = [\"MIT\"]\n";
        let waiver = |package: &str| {
            format!("{base}[[waiver]]\nrule = \"license-allowlist\"\nmatch = 'release.package == \"{package}\" && it.name == \"gpl\"'\nreason = \"legal ok\"\nuntil = \"2026-11-22\"\n")
        };
        let v = run(&waiver("demo"), &facts()).unwrap();
        assert_eq!(status(&v, "license-allowlist"), "waived", "{v:#?}");
        let v = run(&waiver("other"), &facts()).unwrap();
        assert_eq!(status(&v, "license-allowlist"), "fail");
    }

    #[test]
    fn user_rules_each_and_warn() {
        let toml = r#"
[[rule]]
id = "no-gpl"
severity = "warn"
each = "packages.filter(p, !p.workspace_member)"
assert = "!it.license.contains('GPL')"
message = "it.name + ' is ' + it.license"
"#;
        let v = run(toml, &facts()).unwrap();
        assert!(v.passed());
        let r = v.rules.iter().find(|r| r.id == "no-gpl").unwrap();
        assert_eq!(r.status, "warn");
        assert_eq!(r.failures[0].message, "gpl is GPL-3.0-only");
    }

    #[test]
    fn evaluation_error_is_an_error_not_a_pass() {
        let toml = "[[rule]]\nid = \"x\"\nassert = \"release.no_such_field == 1\"\n";
        assert!(run(toml, &facts()).is_err());
        let toml = "[[rule]]\nid = \"x\"\neach = \"release\"\nassert = \"true\"\n";
        assert!(run(toml, &facts()).is_err());
    }

    #[test]
    fn missing_test_evidence_fails() {
        let mut f = facts();
        f.tests = TestsFact {
            required: true,
            ..Default::default()
        };
        let v = run("", &f).unwrap();
        assert_eq!(status(&v, "tests-passed"), "fail");
        let v = run("[release]\nrun-tests = false\n", &f).unwrap();
        assert_eq!(status(&v, "tests-passed"), "skipped");
    }

    #[test]
    fn ticket_ttl_and_nonce() {
        let mut f = facts();
        f.provenance = Some(ProvenanceFact {
            invocation_id: "urn:uuid:1".into(),
            finished_on: "2026-11-21T09:00:00Z".into(),
            ..Default::default()
        });
        let v = run("", &f).unwrap();
        assert_eq!(status(&v, "ticket-ttl"), "fail");
        let v = run("[invariants.ticket-ttl]\nmax-ticket-ttl = \"2d\"\n", &f).unwrap();
        assert_eq!(status(&v, "ticket-ttl"), "pass");
        // A replayed invocation id, then an already released version.
        f.ledger.ids.push("urn:uuid:1".into());
        let v = run("", &f).unwrap();
        assert_eq!(status(&v, "nonce-unique"), "fail");
        let v = run("", &facts_with_ledger()).unwrap();
        assert_eq!(status(&v, "nonce-unique"), "fail");
    }

    #[test]
    fn canonical_format_fails_on_schema_errors_and_unstable_bytes() {
        let mut f = facts();
        f.canonical = vec![
            CanonicalFact {
                artifact: "metrics.json".into(),
                schema: Some("relgate:metrics".into()),
                errors: vec!["/metrics/0: \"unit\" is a required property".into()],
                reemit_identical: true,
            },
            CanonicalFact {
                artifact: "sbom.cdx.json".into(),
                schema: None,
                errors: Vec::new(),
                reemit_identical: false,
            },
            CanonicalFact {
                artifact: "sbom.spdx.json".into(),
                schema: None,
                errors: Vec::new(),
                reemit_identical: true,
            },
        ];
        let v = run("", &f).unwrap();
        let r = v.rules.iter().find(|r| r.id == "canonical-format").unwrap();
        assert_eq!(r.status, "fail");
        let items: Vec<&str> = r.failures.iter().map(|x| x.item.as_str()).collect();
        assert_eq!(items, ["metrics.json", "sbom.cdx.json"]);
        assert!(!v.passed());
    }

    fn facts_with_ledger() -> Facts {
        let mut f = facts();
        f.ledger.versions.push("1.1.0".into());
        f
    }
}
