//! Pure: which advisories affect which packages.
//!
//! RustSec describes crates.io crates, so only packages from crates.io are
//! matched (by name, and version against the advisory's patched and
//! unaffected ranges); workspace members, git and path crates, and crates
//! of other registries are not. Withdrawn advisories were left out when
//! the database was read. Yanked versions come from cargo's local index
//! cache, as collected; a package it has no entry for is unknown.

use std::collections::BTreeMap;

use crate::collect::advisories::Database;
use crate::collect::index_cache::{State, Yank};
use crate::gate::facts::{AdvisoriesFact, AdvisoryMatchFact, PackageFact, YankedFact};

/// The `advisories` fact: the database's summary and every match, sorted
/// by advisory id then package and version.
pub fn facts(
    db: &Database,
    configured_path: &str,
    packages: &[PackageFact],
    yanks: &BTreeMap<(String, String), State>,
) -> AdvisoriesFact {
    let mut by_crate: BTreeMap<&str, Vec<&crate::collect::advisories::Advisory>> = BTreeMap::new();
    for a in &db.advisories {
        by_crate.entry(a.package.as_str()).or_default().push(a);
    }
    let mut matches = Vec::new();
    for p in packages.iter().filter(|p| from_crates_io(p)) {
        for a in by_crate.get(p.name.as_str()).into_iter().flatten() {
            if a.affects(&p.version) {
                matches.push(AdvisoryMatchFact {
                    id: a.id.clone(),
                    package: p.name.clone(),
                    version: p.version.clone(),
                    kind: a.kind.id().into(),
                    severity: a.severity.map(str::to_owned),
                    score: a.score,
                    title: a.title.clone(),
                    url: a.url.clone(),
                    aliases: a.aliases.clone(),
                    patched: a.patched.clone(),
                    date: a.date.clone(),
                });
            }
        }
    }
    matches.sort_by(|a, b| (&a.id, &a.package, &a.version).cmp(&(&b.id, &b.package, &b.version)));
    matches.dedup();
    AdvisoriesFact {
        checked: true,
        database: Some(configured_path.to_owned()),
        last_commit: db.last_commit.and_then(|t| crate::emit::rfc3339(t).ok()),
        advisories: db.advisories.len() as u64,
        matches,
        yanked: yanked(packages, yanks),
    }
}

/// The yanked state of every crates.io package, from the cache's answers
/// (`yanks`, by name and version; a package without one is unknown).
fn yanked(packages: &[PackageFact], yanks: &BTreeMap<(String, String), State>) -> YankedFact {
    let mut fact = YankedFact::default();
    let mut oldest: Option<i64> = None;
    for p in packages.iter().filter(|p| from_crates_io(p)) {
        let label = format!("{}@{}", p.name, p.version);
        match yanks.get(&(p.name.clone(), p.version.clone())) {
            Some(s) if s.yank != Yank::Unknown => {
                fact.checked += 1;
                if s.yank == Yank::Yanked {
                    fact.yanked.push(label);
                }
                if let Some(t) = s.fetched {
                    oldest = Some(oldest.map_or(t, |o| o.min(t)));
                }
            }
            _ => fact.unknown.push(label),
        }
    }
    fact.yanked.sort();
    fact.yanked.dedup();
    fact.unknown.sort();
    fact.unknown.dedup();
    fact.oldest_entry = oldest.and_then(|t| crate::emit::rfc3339(t).ok());
    fact
}

/// A package from crates.io (the SBOM gives crates.io packages, and only
/// those, a crates.io download URL).
pub fn from_crates_io(p: &PackageFact) -> bool {
    p.source_kind == "registry"
        && !p.workspace_member
        && p.source
            .as_deref()
            .is_some_and(|s| s.starts_with("https://crates.io/api/v1/crates/"))
}
