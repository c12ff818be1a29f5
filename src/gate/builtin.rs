//! The built-in invariants: stable ids, on by default, parameters in
//! `[invariants.<id>]`. Each is a pure function of the contract and the
//! facts; missing evidence fails closed.

use serde_json::json;

use crate::config::contract::{Contract, BUILTIN_IDS, WAIVER_EXPIRED};
use crate::gate::facts::{Facts, MemberStatus, MetricFact};
use crate::gate::rules::license_allowed;

/// One failing item of a built-in invariant.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// Short label (`serde@1.0.0`, an artifact name, a schema name).
    pub item: String,
    /// What is wrong.
    pub message: String,
    /// What a waiver's `match` sees as `it`.
    pub data: serde_json::Value,
}

/// The outcome of one invariant.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Not applicable or turned off, and why.
    Skipped(String),
    /// Checked; the failures (empty: it holds) and a note.
    Checked(Vec<Failure>, Option<String>),
}

/// What `relgate explain ID` prints for a built-in id.
pub fn explain(id: &str) -> Option<&'static str> {
    Some(match id {
        "tests-passed" => "tests-passed: when `[release] run-tests` is true (the default), the release runs the test command (default `cargo test --workspace --locked`) and requires conclusive results: the command ran, exited 0, its `test result:` lines were read, no test failed and at least one passed. Missing or unreadable evidence fails.",
        "semver-bump-sufficient" => "semver-bump-sufficient: the version change from the baseline (previous release) must be at least the bump the compatibility report requires, under Cargo's rules (for 0.x, a change of the left-most non-zero component is major). Every publishable library member of the workspace is checked against its own baseline (the last ledger release's commit, else its highest earlier tag, else its previous version on crates.io); a member that cannot be compared fails the gate. Schema-lock drift adds its own required bump to `release.package`. A member with provably no earlier version (a first release) passes; the baseline `none` skips the check and says so.",
        "schema-lock" => "schema-lock: the canonical sha256 of relgate's artifact schemas and of every schema in `[schemas] paths` must match the lock file (`[schemas] lock`, default schemas.lock). Drift is classified breaking (major), additive (minor) or documentation-only (none). Only `relgate schema lock` updates the lock.",
        "canonical-format" => "canonical-format: every JSON artifact relgate writes validates against its schema (compat_report.json, metrics.json), and rendering every artifact a second time from the same facts gives the same bytes.",
        "license-allowlist" => "license-allowlist: with `[invariants.license-allowlist] allow = [...]`, every dependency's SPDX expression must be satisfiable with allowed licenses only (`MIT OR GPL-3.0` passes with MIT allowed). A crate without a license is NOASSERTION, allowed only if listed. `include-workspace = true` checks members too.",
        "no-git-or-path-deps" => "no-git-or-path-deps: dependencies must come from a registry. Git dependencies (`allow-git = true` to permit) and path dependencies outside the workspace (`allow-path = true`) fail.",
        "performance-budget" => "performance-budget: budgets on metrics.json — max-artifact-bytes, max-total-bytes, max-build-seconds, max-peak-rss-bytes (relgate's own), max-cpu-seconds (relgate's own) — and no metric in `regression-metrics` (default release.artifact.size) may grow by more than `regression-tolerance` (default 0.10) against the previous release's metrics.json.",
        "nonce-unique" => "nonce-unique: the release's invocation id and version must not already be in the ledger (a replay), and the invocation id must not be revoked. At publish time (`relgate gate --dir`) the release's own ledger entry is not a conflict.",
        "ticket-ttl" => "ticket-ttl: a signed release directory is a ticket to publish; `relgate gate --dir` refuses it once the provenance's finishedOn is older than `max-ticket-ttl` (default 24h). At release time it is recorded as not yet applicable.",
        "no-known-vulnerabilities" => "no-known-vulnerabilities: with `[advisories] db = \"PATH\"` (or --advisory-db), a local copy of the RustSec advisory database (relgate never fetches it), every crates.io package of the SBOM is matched by name and version against the advisories. A vulnerability at or above `severity-threshold` (default `none`: every one, those without a CVSS score too) fails, and so does an informational advisory whose kind is in `deny-informational` (default unmaintained and unsound); the rest are reported. Waive one with `match = 'it.id == \"RUSTSEC-…\"'` and a reason. The database's last commit must be at most `max-db-age` old (default 7d): an older copy, or one whose date is unknown (not a git checkout), fails, so a stale database cannot pass. Without a database nothing is checked and the gate says so.",
        "sbom-matches-binary" => "sbom-matches-binary: every released executable that carries cargo-auditable's embedded dependency list (`[release] auditable = true` builds with `cargo auditable build`) must name exactly the packages the SBOM lists for it — its package and everything that reaches through normal and build dependencies — compared by name, version and source kind (crates.io, registry, git, local). Packages on one side only are listed by name. An executable without the list is not checkable: reported, and a failure with `require-auditable = true`. The list is read as cargo-auditable advises (bounded size and decompression, one root, no cycles); a malformed one is an error.",
        "sbom-profile" => "sbom-profile: with `[sbom] profile = \"bsi-tr-03183-2\"`, the release's CycloneDX SBOM (1.6 or later) carries the fields of BSI TR-03183-2 v2.1.0 — the SHA-512 of every registry crate's `.crate` archive (its SHA-256 checked against Cargo.lock) and of every released executable, file names, executable/archive/structured properties, creators, source and download URIs — and every delivered component (the root and what it reaches at run time) must have all of them. Each component lacking one fails, with the fields named: `sbom-creator`, `creator` (an e-mail or URL: `authors` e-mails, `repository`, `homepage`), `filename` and `hash` (a path or git dependency has no published archive), `licence`, `source-uri`, `deployable-uri`. Waive one with `match = 'it.component == \"name@version\"'`. Without a profile nothing is checked and the gate says so.",
        WAIVER_EXPIRED => "waiver-expired: a `[[waiver]]` past its `until` date (UTC, inclusive) no longer waives anything and fails the gate until it is renewed with a new reason or removed.",
        _ => return None,
    })
}

/// Evaluates built-in invariant `id`.
pub fn evaluate(id: &str, c: &Contract, f: &Facts) -> Outcome {
    let inv = &c.invariants;
    match id {
        "tests-passed" => {
            if !inv.tests_passed.enabled {
                return off(id);
            }
            if !c.release.run_tests {
                return Outcome::Skipped("`[release] run-tests = false`: tests are not required".into());
            }
            tests_passed(f)
        }
        "semver-bump-sufficient" if inv.semver_bump_sufficient.enabled => semver(f),
        "schema-lock" if inv.schema_lock.enabled => schema_lock(f),
        "canonical-format" if inv.canonical_format.enabled => canonical(f),
        "license-allowlist" => {
            let l = &inv.license_allowlist;
            if l.enabled == Some(false) {
                return off(id);
            }
            if l.allow.is_empty() {
                return Outcome::Skipped("no `allow` list configured".into());
            }
            let failures = f
                .packages
                .iter()
                .filter(|p| l.include_workspace || !p.workspace_member)
                .filter(|p| !license_allowed(&p.license, &l.allow))
                .map(|p| Failure {
                    item: format!("{}@{}", p.name, p.version),
                    message: format!(
                        "{}@{} is licensed `{}`, which the allow list does not satisfy",
                        p.name, p.version, p.license
                    ),
                    data: json!(p),
                })
                .collect();
            Outcome::Checked(failures, None)
        }
        "no-git-or-path-deps" if inv.no_git_or_path_deps.enabled => {
            let p = &inv.no_git_or_path_deps;
            let failures = f
                .packages
                .iter()
                .filter(|d| !d.workspace_member)
                .filter(|d| {
                    (d.source_kind == "git" && !p.allow_git) || (d.source_kind == "path" && !p.allow_path)
                })
                .map(|d| Failure {
                    item: format!("{}@{}", d.name, d.version),
                    message: format!(
                        "{}@{} comes from a {} source ({})",
                        d.name,
                        d.version,
                        d.source_kind,
                        d.source.as_deref().unwrap_or("unknown")
                    ),
                    data: json!(d),
                })
                .collect();
            Outcome::Checked(failures, None)
        }
        "no-known-vulnerabilities" if inv.no_known_vulnerabilities.enabled => advisories(c, f),
        "sbom-matches-binary" if inv.sbom_matches_binary.enabled => {
            binaries(f, inv.sbom_matches_binary.require_auditable)
        }
        "performance-budget" if inv.performance_budget.enabled => budget(c, f),
        "nonce-unique" if inv.nonce_unique.enabled => nonce(f),
        "ticket-ttl" if inv.ticket_ttl.enabled => ttl(c, f),
        "sbom-profile" if inv.sbom_profile.enabled => match c.sbom.profile() {
            None => {
                Outcome::Skipped("no `[sbom] profile` in the contract: no SBOM profile is required".into())
            }
            Some(p) => sbom_profile(p, f),
        },
        _ if BUILTIN_IDS.contains(&id) => off(id),
        _ => Outcome::Skipped(format!("`{id}` is not a built-in invariant")),
    }
}

/// `no-known-vulnerabilities`.
fn advisories(c: &Contract, f: &Facts) -> Outcome {
    let a = &f.advisories;
    if !a.checked {
        return Outcome::Skipped(
            "no advisory database configured (`[advisories] db` or --advisory-db): known vulnerabilities were not checked"
                .into(),
        );
    }
    let cfg = &c.advisories;
    let mut failures = Vec::new();
    let max_age = crate::config::parse_duration(&cfg.max_db_age).unwrap_or(7 * 86_400);
    let parse = |s: &str| {
        chrono::DateTime::parse_from_rfc3339(s)
            .map(|d| d.timestamp())
            .ok()
    };
    match (a.last_commit.as_deref().and_then(parse), parse(&f.now)) {
        (Some(at), Some(now)) if now - at > max_age => failures.push(fail(
            "advisory-db",
            format!(
                "the advisory database's last commit is {} ({} days old), older than max-db-age {}: update the copy (git pull)",
                a.last_commit.as_deref().unwrap_or_default(),
                (now - at) / 86_400,
                cfg.max_db_age
            ),
            json!({"database": a.database, "last_commit": a.last_commit}),
        )),
        (Some(_), Some(_)) => {}
        _ => failures.push(fail(
            "advisory-db",
            "the advisory database's age is unknown (not a git checkout, or no commit date): a stale copy cannot be ruled out".into(),
            json!({"database": a.database, "last_commit": a.last_commit}),
        )),
    }
    let rank = |s: &str| crate::config::contract::SEVERITIES.iter().position(|x| *x == s);
    let threshold = rank(&cfg.severity_threshold).unwrap_or(0);
    let mut reported = 0;
    for m in &a.matches {
        let denies = if m.kind == "vulnerability" {
            // No CVSS score: the severity is unknown, so it denies.
            m.severity
                .as_deref()
                .and_then(rank)
                .is_none_or(|r| r >= threshold)
        } else {
            cfg.deny_informational.contains(&m.kind)
        };
        if !denies {
            reported += 1;
            continue;
        }
        let fixed = if m.patched.is_empty() {
            "no fixed version".to_owned()
        } else {
            format!("fixed in {}", m.patched.join(" or "))
        };
        let what = match (m.kind.as_str(), m.severity.as_deref()) {
            ("vulnerability", Some(sev)) => format!("{sev} vulnerability"),
            ("vulnerability", None) => "vulnerability (no CVSS score)".into(),
            (kind, _) => format!("{kind} (informational)"),
        };
        failures.push(fail(
            &format!("{} {}@{}", m.id, m.package, m.version),
            format!(
                "{}@{}: {} {what}: {} ({fixed})",
                m.package, m.version, m.id, m.title
            ),
            json!(m),
        ));
    }
    let y = &a.yanked;
    if cfg.yanked == "deny" {
        for v in &y.yanked {
            failures.push(fail(
                &format!("yanked {v}"),
                format!("{v} is yanked on crates.io (per the local index cache): update Cargo.lock"),
                json!({"id": "yanked", "package": v, "kind": "yanked"}),
            ));
        }
    }
    let mut note = format!(
        "{} advisories in {} (last commit {}); {} match(es){}",
        a.advisories,
        a.database.as_deref().unwrap_or("the database"),
        a.last_commit.as_deref().unwrap_or("unknown"),
        a.matches.len(),
        if reported > 0 {
            format!(", {reported} below the threshold or informational, reported only")
        } else {
            String::new()
        }
    );
    note.push_str(&format!(
        "; yanked (local crates.io index cache{}): {} of {} known{}{}",
        y.oldest_entry
            .as_deref()
            .map(|t| format!(", oldest entry {t}"))
            .unwrap_or_default(),
        y.yanked.len(),
        y.checked,
        if y.yanked.is_empty() || cfg.yanked == "deny" {
            String::new()
        } else {
            format!(" ({}, reported only)", y.yanked.join(", "))
        },
        if y.unknown.is_empty() {
            String::new()
        } else {
            format!(
                ", {} not in the cache (yanked state not checked)",
                y.unknown.len()
            )
        }
    ));
    Outcome::Checked(failures, Some(note))
}

/// `sbom-profile`: every gap is a failure; no fact (the profile was not
/// evaluated) fails too.
fn sbom_profile(p: crate::config::Profile, f: &Facts) -> Outcome {
    let Some(fact) = &f.sbom_profile else {
        return Outcome::Checked(
            vec![Failure {
                item: p.name().into(),
                message: format!("the SBOM was not checked against the {} profile", p.name()),
                data: json!({"component": "SBOM", "missing": []}),
            }],
            None,
        );
    };
    let failures = fact
        .gaps
        .iter()
        .map(|g| Failure {
            item: g.component.clone(),
            message: format!("{} lacks {}", g.component, g.missing.join(", ")),
            data: json!(g),
        })
        .collect();
    let note = format!(
        "{} delivered component(s) checked against {}{}",
        fact.components,
        fact.profile,
        if fact.archives_missing.is_empty() {
            String::new()
        } else {
            format!(
                "; {} crate archive(s) not in cargo's cache",
                fact.archives_missing.len()
            )
        }
    );
    Outcome::Checked(failures, Some(note))
}

/// `sbom-matches-binary`.
fn binaries(f: &Facts, require: bool) -> Outcome {
    if f.binaries.is_empty() {
        return Outcome::Skipped("no executable is released: no binary to compare with the SBOM".into());
    }
    let (listed, unlisted): (Vec<_>, Vec<_>) = f.binaries.iter().partition(|b| b.auditable);
    let names = |v: &[&crate::gate::facts::BinaryFact]| {
        v.iter()
            .map(|b| format!("`{}`", b.name))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if listed.is_empty() && !require {
        return Outcome::Skipped(format!(
            "not checkable: {} carries no embedded dependency list (build with `[release] auditable = true`, or require it with `require-auditable = true`)",
            names(&unlisted)
        ));
    }
    let mut failures = Vec::new();
    for b in &f.binaries {
        if !b.auditable {
            if require {
                failures.push(fail(
                    &b.name,
                    match &b.unreadable {
                        Some(why) => format!(
                            "{}'s embedded dependency list was not read ({why}): it cannot be checked against the SBOM",
                            b.name
                        ),
                        None => format!(
                            "{} carries no embedded dependency list (cargo-auditable): it cannot be checked against the SBOM",
                            b.name
                        ),
                    },
                    json!(b),
                ));
            }
            continue;
        }
        let root = b.root.as_deref().unwrap_or("?");
        if !b.root_in_sbom {
            failures.push(fail(
                &b.name,
                format!(
                    "{} was built from {root}, which the SBOM does not describe",
                    b.name
                ),
                json!(b),
            ));
            continue;
        }
        if b.not_in_sbom.is_empty() && b.not_in_binary.is_empty() {
            continue;
        }
        let mut parts = Vec::new();
        if !b.not_in_sbom.is_empty() {
            parts.push(format!(
                "in the binary but not in the SBOM: {}",
                b.not_in_sbom.join("; ")
            ));
        }
        if !b.not_in_binary.is_empty() {
            parts.push(format!(
                "in the SBOM but not in the binary: {}",
                b.not_in_binary.join("; ")
            ));
        }
        failures.push(fail(
            &b.name,
            format!("{} ({root}) differs from the SBOM — {}", b.name, parts.join("; ")),
            json!(b),
        ));
    }
    let mut note = format!(
        "{} of {} executable(s) compared with the SBOM by their embedded dependency list",
        listed.len(),
        f.binaries.len()
    );
    if !unlisted.is_empty() && !require {
        note.push_str(&format!("; not checkable (no list): {}", names(&unlisted)));
    }
    Outcome::Checked(failures, Some(note))
}

fn off(id: &str) -> Outcome {
    Outcome::Skipped(format!("turned off (`[invariants.{id}] enabled = false`)"))
}

fn fail(item: &str, message: String, data: serde_json::Value) -> Failure {
    Failure {
        item: item.to_owned(),
        message,
        data,
    }
}

fn tests_passed(f: &Facts) -> Outcome {
    let t = &f.tests;
    let data = json!(t);
    let failure = if !t.ran {
        Some("tests are required but did not run: no test evidence".to_owned())
    } else if !t.conclusive {
        Some(format!(
            "the test command `{}` gave no conclusive result (exit code {})",
            t.command.join(" "),
            t.exit_code.map_or("none".into(), |c| c.to_string())
        ))
    } else if t.failed > 0 || t.exit_code != Some(0) {
        Some(format!(
            "{} test(s) failed ({} passed, exit code {})",
            t.failed,
            t.passed,
            t.exit_code.map_or("none".into(), |c| c.to_string())
        ))
    } else if t.passed == 0 {
        Some("the test command ran no test: 0 passed is no evidence".to_owned())
    } else {
        None
    };
    let note = format!("{} passed, {} failed, {} ignored", t.passed, t.failed, t.ignored);
    Outcome::Checked(
        failure
            .into_iter()
            .map(|m| fail("tests", m, data.clone()))
            .collect(),
        Some(note),
    )
}

fn semver(f: &Facts) -> Outcome {
    let c = &f.compat;
    if c.members.is_empty() {
        if !c.skipped.is_empty() {
            let list: Vec<String> = c
                .skipped
                .iter()
                .map(|s| format!("{} ({})", s.package, s.reason))
                .collect();
            return Outcome::Skipped(format!(
                "no publishable library member, so no public API to compare: {}",
                list.join(", ")
            ));
        }
        return release_package_semver(f);
    }
    if c.members.iter().all(|m| m.status == MemberStatus::NotCompared) {
        return Outcome::Skipped(format!(
            "baseline `none`: the public API of {} was not compared",
            c.members
                .iter()
                .map(|m| m.package.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let mut failures = Vec::new();
    let mut notes = Vec::new();
    for m in &c.members {
        let data = json!(m);
        match m.status {
            MemberStatus::Failed => failures.push(fail(
                &m.package,
                format!(
                    "{} {} could not be compared with an earlier version, so its bump is unchecked: {}",
                    m.package,
                    m.version,
                    m.reason.as_deref().unwrap_or("no reason recorded")
                ),
                data,
            )),
            MemberStatus::Compared => {
                let prev = m.previous_version.as_deref().unwrap_or("?");
                let required = m.required_bump.as_deref().unwrap_or("?");
                let declared = m.declared_bump.as_deref().unwrap_or("?");
                notes.push(format!(
                    "{} {prev} → {}: declares {declared}, requires {required}",
                    m.package, m.version
                ));
                if !m.sufficient {
                    failures.push(fail(
                        &m.package,
                        format!(
                            "{}: the changes since {prev} require a {required} bump, but {prev} → {} is {declared}; release at least {}",
                            m.package,
                            m.version,
                            m.next_version_at_least.as_deref().unwrap_or("a higher version")
                        ),
                        data,
                    ));
                }
            }
            MemberStatus::FirstRelease => notes.push(format!("{} {}: first release", m.package, m.version)),
            MemberStatus::NotCompared => notes.push(format!(
                "{} {}: not compared (baseline `none`)",
                m.package, m.version
            )),
        }
    }
    Outcome::Checked(failures, Some(notes.join("; ")))
}

/// `gate.json` written before members were recorded: the release package only.
fn release_package_semver(f: &Facts) -> Outcome {
    let c = &f.compat;
    if !c.ran {
        return Outcome::Checked(
            Vec::new(),
            Some("first release: no baseline to compare with".into()),
        );
    }
    let prev = f.release.previous_version.as_deref().unwrap_or("?");
    let note = format!(
        "{prev} → {}: declares {}, requires {}",
        f.release.version, c.declared_bump, c.required_bump
    );
    if c.sufficient {
        return Outcome::Checked(Vec::new(), Some(note));
    }
    let m = format!(
        "the changes since {prev} require a {} bump, but {prev} → {} is {}; release at least {}",
        c.required_bump,
        f.release.version,
        c.declared_bump,
        c.next_version_at_least.as_deref().unwrap_or("a higher version")
    );
    Outcome::Checked(vec![fail(&f.release.version, m, json!(c))], Some(note))
}

fn schema_lock(f: &Facts) -> Outcome {
    let s = &f.schema_lock;
    match s.status.as_str() {
        "ok" => Outcome::Checked(
            Vec::new(),
            Some(format!("{} schema(s) match {}", s.schemas.len(), s.lock)),
        ),
        "missing" => Outcome::Checked(
            vec![fail(
                &s.lock,
                format!("no schema lock ({}): run `relgate schema lock`", s.lock),
                json!(s),
            )],
            None,
        ),
        _ => Outcome::Checked(
            s.drift
                .iter()
                .map(|d| {
                    fail(
                        &d.schema,
                        format!(
                            "schema {} {} ({}, requires a {} bump): {}",
                            d.schema,
                            d.change,
                            d.classification,
                            d.required_bump,
                            d.reasons.join("; ")
                        ),
                        json!(d),
                    )
                })
                .collect(),
            None,
        ),
    }
}

fn canonical(f: &Facts) -> Outcome {
    let failures = f
        .canonical
        .iter()
        .flat_map(|c| {
            let mut out = Vec::new();
            if !c.errors.is_empty() {
                out.push(fail(
                    &c.artifact,
                    format!(
                        "{} does not validate against {}: {}",
                        c.artifact,
                        c.schema.as_deref().unwrap_or("its schema"),
                        c.errors.join("; ")
                    ),
                    json!(c),
                ));
            }
            if !c.reemit_identical {
                out.push(fail(
                    &c.artifact,
                    format!(
                        "{} is not reproducible: rendering it again gave different bytes",
                        c.artifact
                    ),
                    json!(c),
                ));
            }
            out
        })
        .collect();
    Outcome::Checked(
        failures,
        Some(format!("{} artifact(s) checked", f.canonical.len())),
    )
}

fn sum(metrics: &[MetricFact], name: &str) -> Option<f64> {
    let v: Vec<f64> = metrics
        .iter()
        .filter(|m| m.name == name)
        .map(|m| m.value)
        .collect();
    (!v.is_empty()).then(|| v.iter().sum())
}

fn budget(c: &Contract, f: &Facts) -> Outcome {
    let b = &c.invariants.performance_budget;
    let mut failures = Vec::new();
    let mut checked = 0;
    if let Some(max) = b.max_artifact_bytes {
        checked += 1;
        for m in f.metrics.iter().filter(|m| m.name == "release.artifact.size") {
            if m.value > max as f64 {
                let name = m.attributes.get("artifact").cloned().unwrap_or_default();
                failures.push(fail(
                    &name,
                    format!("{name} is {} bytes, over the {max}-byte budget", m.value),
                    json!(m),
                ));
            }
        }
    }
    let scalar: [(&str, Option<f64>, &str); 4] = [
        (
            "release.artifact.size",
            b.max_total_bytes.map(|v| v as f64),
            "total artifact size (bytes)",
        ),
        ("release.build.duration", b.max_build_seconds, "build time (s)"),
        (
            "relgate.peak_rss",
            b.max_peak_rss_bytes.map(|v| v as f64),
            "relgate peak memory (bytes)",
        ),
        ("relgate.cpu.time", b.max_cpu_seconds, "relgate CPU time (s)"),
    ];
    for (name, max, what) in scalar {
        let Some(max) = max else { continue };
        checked += 1;
        match sum(&f.metrics, name) {
            Some(v) if v > max => failures.push(fail(
                name,
                format!("{what} is {v}, over the budget of {max}"),
                json!({"name": name, "value": v, "budget": max}),
            )),
            Some(_) => {}
            None => failures.push(fail(
                name,
                format!("{what}: metric `{name}` is missing, so the budget cannot be checked"),
                json!({"name": name}),
            )),
        }
    }
    let mut compared = 0;
    if let Some(prev) = &f.previous_metrics {
        for m in f
            .metrics
            .iter()
            .filter(|m| b.regression_metrics.contains(&m.name))
        {
            let Some(p) = prev
                .iter()
                .find(|p| p.name == m.name && p.attributes == m.attributes)
            else {
                continue;
            };
            compared += 1;
            if p.value > 0.0 && m.value > p.value * (1.0 + b.regression_tolerance) {
                let label = m.attributes.values().cloned().collect::<Vec<_>>().join(",");
                let item = if label.is_empty() {
                    m.name.clone()
                } else {
                    format!("{} {label}", m.name)
                };
                failures.push(fail(
                    &item,
                    format!(
                        "{item} grew from {} to {} (+{:.1} %), over the {:.1} % tolerance",
                        p.value,
                        m.value,
                        (m.value / p.value - 1.0) * 100.0,
                        b.regression_tolerance * 100.0
                    ),
                    json!({"name": m.name, "attributes": m.attributes, "value": m.value, "previous": p.value}),
                ));
            }
        }
    }
    let note = match (&f.previous_metrics, checked) {
        (None, 0) => "no budget configured and no previous metrics to compare with".to_owned(),
        (None, n) => format!("{n} budget(s) checked; no previous metrics to compare with"),
        (Some(_), n) => {
            format!("{n} budget(s) checked; {compared} metric(s) compared with the previous release")
        }
    };
    Outcome::Checked(failures, Some(note))
}

fn nonce(f: &Facts) -> Outcome {
    let r = &f.release;
    let mut failures = Vec::new();
    if f.ledger.ids.contains(&r.id) {
        failures.push(fail(
            &r.id,
            format!("invocation id {} is already in the ledger: a replay", r.id),
            json!(r),
        ));
    }
    if f.ledger.versions.contains(&r.version) {
        failures.push(fail(
            &r.version,
            format!("version {} was already released (it is in the ledger)", r.version),
            json!(r),
        ));
    }
    if f.ledger.revoked.contains(&r.id) {
        failures.push(fail(
            &r.id,
            format!("invocation id {} was revoked in the ledger", r.id),
            json!(r),
        ));
    }
    Outcome::Checked(failures, Some(format!("ledger head {}", f.ledger.head)))
}

fn ttl(c: &Contract, f: &Facts) -> Outcome {
    let Some(p) = &f.provenance else {
        return Outcome::Checked(
            Vec::new(),
            Some(format!(
                "applies at publish time: `relgate gate --dir` refuses the directory {} after signing",
                c.invariants.ticket_ttl.max_ticket_ttl
            )),
        );
    };
    let parse = |s: &str| chrono::DateTime::parse_from_rfc3339(s).map(|d| d.timestamp());
    let max = c.ticket_ttl_seconds();
    match (parse(&p.finished_on), parse(&f.now)) {
        (Ok(done), Ok(now)) => {
            let age = now - done;
            let note = Some(format!("signed {}s ago; ticket valid for {}s", age, max));
            // Clocks differ by minutes at most; a ticket from the future is
            // a wrong clock or a wrong --now, never a fresh ticket.
            if age < -300 {
                Outcome::Checked(
                    vec![fail(
                        &p.invocation_id,
                        format!(
                            "the release was signed at {}, {}s after the gate time {}: check the clock or --now",
                            p.finished_on, -age, f.now
                        ),
                        json!(p),
                    )],
                    note,
                )
            } else if age > max {
                Outcome::Checked(
                    vec![fail(
                        &p.invocation_id,
                        format!(
                            "the release was signed at {} and is {}s old, over max-ticket-ttl {} — make a new release",
                            p.finished_on, age, c.invariants.ticket_ttl.max_ticket_ttl
                        ),
                        json!(p),
                    )],
                    note,
                )
            } else {
                Outcome::Checked(Vec::new(), note)
            }
        }
        _ => Outcome::Checked(
            vec![fail(
                &p.invocation_id,
                format!("finishedOn `{}` is not an RFC 3339 time", p.finished_on),
                json!(p),
            )],
            None,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::facts::{AdvisoriesFact, AdvisoryMatchFact};

    fn m(id: &str, kind: &str, severity: Option<&str>) -> AdvisoryMatchFact {
        AdvisoryMatchFact {
            id: id.into(),
            package: "p".into(),
            version: "1.0.0".into(),
            kind: kind.into(),
            severity: severity.map(str::to_owned),
            ..AdvisoryMatchFact::default()
        }
    }

    fn failing(contract: &str, now: &str, last_commit: Option<&str>) -> Vec<String> {
        let c = Contract::from_toml(contract, "relgate.toml").unwrap();
        let f = Facts {
            now: now.into(),
            advisories: AdvisoriesFact {
                yanked: Default::default(),
                checked: true,
                database: Some("db".into()),
                last_commit: last_commit.map(str::to_owned),
                advisories: 6,
                matches: vec![
                    m("A-low", "vulnerability", Some("low")),
                    m("B-high", "vulnerability", Some("high")),
                    m("C-unscored", "vulnerability", None),
                    m("D-unmaintained", "unmaintained", None),
                    m("E-unsound", "unsound", None),
                    m("F-notice", "notice", None),
                ],
            },
            ..Facts::default()
        };
        match evaluate("no-known-vulnerabilities", &c, &f) {
            Outcome::Checked(failures, _) => failures.into_iter().map(|x| x.item).collect(),
            Outcome::Skipped(why) => vec![format!("skipped: {why}")],
        }
    }

    #[test]
    fn vulnerabilities_deny_by_threshold_and_informational_kinds_as_configured() {
        let fresh = ("2026-12-03T00:00:00Z", Some("2026-12-01T00:00:00Z"));
        let ids = |v: Vec<String>| {
            v.into_iter()
                .map(|i| i.split(' ').next().unwrap().to_owned())
                .collect::<Vec<_>>()
        };
        let defaults = "version = 1\n[advisories]\ndb = \"db\"\n";
        assert_eq!(
            ids(failing(defaults, fresh.0, fresh.1)),
            ["A-low", "B-high", "C-unscored", "D-unmaintained", "E-unsound"]
        );
        let strict = "version = 1\n[advisories]\ndb = \"db\"\nseverity-threshold = \"high\"\ndeny-informational = [\"notice\"]\n";
        assert_eq!(
            ids(failing(strict, fresh.0, fresh.1)),
            ["B-high", "C-unscored", "F-notice"]
        );
        let stale = failing(defaults, "2026-12-30T00:00:00Z", fresh.1);
        assert_eq!(stale[0], "advisory-db");
        assert_eq!(failing(defaults, fresh.0, None)[0], "advisory-db");
        let off = "version = 1\n[advisories]\ndb = \"db\"\n[invariants.no-known-vulnerabilities]\nenabled = false\n";
        assert!(failing(off, fresh.0, fresh.1)[0].starts_with("skipped: turned off"));
        for bad in [
            "version = 1\n[advisories]\nseverity-threshold = \"severe\"\n",
            "version = 1\n[advisories]\ndeny-informational = [\"yanked\"]\n",
            "version = 1\n[advisories]\nmax-db-age = \"soon\"\n",
        ] {
            assert!(Contract::from_toml(bad, "relgate.toml").is_err(), "{bad}");
        }
    }

    fn binaries_outcome(contract: &str, binaries: Vec<crate::gate::facts::BinaryFact>) -> Outcome {
        let c = Contract::from_toml(contract, "relgate.toml").unwrap();
        let f = Facts {
            binaries,
            ..Facts::default()
        };
        evaluate("sbom-matches-binary", &c, &f)
    }

    #[test]
    fn binaries_must_match_the_sbom_and_unlisted_ones_fail_only_when_required() {
        use crate::gate::facts::BinaryFact;
        let good = BinaryFact {
            name: "app".into(),
            auditable: true,
            root: Some("app@1.0.0".into()),
            root_in_sbom: true,
            ..BinaryFact::default()
        };
        let plain = BinaryFact {
            name: "tool".into(),
            ..BinaryFact::default()
        };
        let drifted = BinaryFact {
            name: "other".into(),
            not_in_sbom: vec!["itoa@1.0.0 (crates.io)".into()],
            not_in_binary: vec!["helper@0.1.0 (local)".into()],
            ..good.clone()
        };
        let foreign = BinaryFact {
            name: "foreign".into(),
            root_in_sbom: false,
            ..good.clone()
        };
        let lenient = "version = 1\n";
        let strict = "version = 1\n[invariants.sbom-matches-binary]\nrequire-auditable = true\n";
        assert!(matches!(binaries_outcome(lenient, vec![]), Outcome::Skipped(_)));
        match binaries_outcome(lenient, vec![plain.clone()]) {
            Outcome::Skipped(why) => {
                assert!(why.contains("not checkable") && why.contains("`tool`"), "{why}")
            }
            other => panic!("{other:?}"),
        }
        let items = |o: Outcome| match o {
            Outcome::Checked(f, _) => f.into_iter().map(|f| (f.item, f.message)).collect::<Vec<_>>(),
            Outcome::Skipped(why) => panic!("skipped: {why}"),
        };
        assert_eq!(
            items(binaries_outcome(lenient, vec![good.clone(), plain.clone()])),
            vec![]
        );
        let failed = items(binaries_outcome(
            strict,
            vec![good.clone(), plain, drifted, foreign],
        ));
        let names: Vec<&str> = failed.iter().map(|(i, _)| i.as_str()).collect();
        assert_eq!(names, ["tool", "other", "foreign"]);
        assert!(failed[1]
            .1
            .contains("in the binary but not in the SBOM: itoa@1.0.0 (crates.io)"));
        assert!(failed[1]
            .1
            .contains("in the SBOM but not in the binary: helper@0.1.0 (local)"));
        assert!(failed[2].1.contains("which the SBOM does not describe"));
        let off = "version = 1\n[invariants.sbom-matches-binary]\nenabled = false\n";
        assert!(matches!(binaries_outcome(off, vec![good]), Outcome::Skipped(_)));
    }

    #[test]
    fn yanked_versions_are_reported_or_denied_as_configured() {
        use crate::gate::facts::YankedFact;
        let facts = Facts {
            now: "2026-12-03T00:00:00Z".into(),
            advisories: AdvisoriesFact {
                checked: true,
                database: Some("db".into()),
                last_commit: Some("2026-12-02T00:00:00Z".into()),
                yanked: YankedFact {
                    checked: 2,
                    yanked: vec!["demo@1.0.1".into()],
                    unknown: vec!["other@2.0.0".into()],
                    oldest_entry: Some("2026-12-01T00:00:00Z".into()),
                },
                ..AdvisoriesFact::default()
            },
            ..Facts::default()
        };
        let run = |contract: &str| {
            let c = Contract::from_toml(contract, "relgate.toml").unwrap();
            match evaluate("no-known-vulnerabilities", &c, &facts) {
                Outcome::Checked(f, note) => {
                    (f.into_iter().map(|x| x.item).collect::<Vec<_>>(), note.unwrap())
                }
                Outcome::Skipped(why) => panic!("{why}"),
            }
        };
        let (failures, note) = run("version = 1\n[advisories]\ndb = \"db\"\n");
        assert!(failures.is_empty(), "{failures:?}");
        assert!(
            note.contains("1 of 2 known (demo@1.0.1, reported only)"),
            "{note}"
        );
        assert!(
            note.contains("1 not in the cache (yanked state not checked)"),
            "{note}"
        );
        let (failures, _) = run("version = 1\n[advisories]\ndb = \"db\"\nyanked = \"deny\"\n");
        assert_eq!(failures, ["yanked demo@1.0.1"]);
        assert!(Contract::from_toml("[advisories]\nyanked = \"maybe\"\n", "relgate.toml").is_err());
    }

    #[test]
    fn fixed_ranges_are_told_apart() {
        // RustSec ranges hold commas themselves (`>= 1.2.3, < 2`).
        let c = Contract::from_toml("version = 1\n[advisories]\ndb = \"db\"\n", "relgate.toml").unwrap();
        let f = Facts {
            now: "2026-12-03T00:00:00Z".into(),
            advisories: AdvisoriesFact {
                checked: true,
                last_commit: Some("2026-12-02T00:00:00Z".into()),
                matches: vec![AdvisoryMatchFact {
                    patched: vec![">=1.2.3, <2.0.0".into(), ">=2.0.1".into()],
                    ..m("A", "vulnerability", Some("high"))
                }],
                ..AdvisoriesFact::default()
            },
            ..Facts::default()
        };
        let Outcome::Checked(failures, _) = evaluate("no-known-vulnerabilities", &c, &f) else {
            panic!("skipped")
        };
        assert!(
            failures[0]
                .message
                .ends_with("(fixed in >=1.2.3, <2.0.0 or >=2.0.1)"),
            "{}",
            failures[0].message
        );
    }
}
