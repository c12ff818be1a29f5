//! Builders of the gate's facts from what a release collected (called by
//! `release`, which owns the staged files and hands over plain values): the
//! release package, the SBOM summary, metrics and the ledger.

use crate::config::contract::Contract;
use crate::emit::metrics::Metric;
use crate::error::{Error, Result};
use crate::gate::facts::*;
use crate::provenance::ledger;

/// The package that carries the release version.
pub struct PackageRef {
    /// Its name.
    pub name: String,
    /// Its version: the release's.
    pub version: String,
}

/// The release's package: `[release] package`, else the root package,
/// else the only member.
pub fn release_package(facts: &crate::facts::ReleaseFacts, contract: &Contract) -> Result<PackageRef> {
    // Every member, also those the shipped packages do not reach.
    let members: Vec<&crate::facts::PackageId> = facts.workspace.members.iter().collect();
    let pick = |p: &crate::facts::PackageId| PackageRef {
        name: p.name.clone(),
        version: p.version.clone(),
    };
    if let Some(name) = &contract.release.package {
        return members
            .iter()
            .find(|p| &p.name == name)
            .map(|p| pick(p))
            .ok_or_else(|| Error::UnknownPackage {
                name: name.clone(),
                members: members
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
    }
    if let Some(root) = facts.workspace.root_package.as_ref() {
        return Ok(pick(root));
    }
    match members.as_slice() {
        [only] => Ok(pick(only)),
        _ => Err(Error::Contract {
            origin: contract.origin.clone().unwrap_or_else(|| "relgate defaults".into()),
            reason: "the workspace has no root package and several members: name the one that carries the release version with `[release] package = \"NAME\"`".into(),
        }),
    }
}

/// `packages` and `sbom` as rules see them, from the SBOM model.
pub fn sbom_facts(
    model: &crate::analyze::sbom::Sbom,
    facts: &crate::facts::ReleaseFacts,
) -> (Vec<PackageFact>, SbomFact) {
    use crate::analyze::license::License;
    let mut packages = Vec::new();
    // `components` counts what the tables below it list, so they add up:
    // every package, the root when it is one (a synthetic workspace root is not).
    let mut sbom = SbomFact::default();
    let members: std::collections::BTreeSet<(&str, &str)> = facts
        .packages
        .values()
        .filter(|p| p.workspace_member)
        .map(|p| (p.id.name.as_str(), p.id.version.as_str()))
        .collect();
    // The root is a real package, or (several members, no root package) a
    // synthetic component describing the workspace: not a package.
    let root_is_package = facts
        .packages
        .values()
        .any(|p| p.id.name == model.root.name && p.id.version == model.root.version)
        && !model
            .components
            .iter()
            .any(|c| c.name == model.root.name && c.version == model.root.version);
    let root = root_is_package.then_some(&model.root);
    for c in root.into_iter().chain(&model.components) {
        let license = match &c.license {
            License::Expression { expr, .. } => expr.clone(),
            License::None => "NOASSERTION".into(),
        };
        let member = members.contains(&(c.name.as_str(), c.version.as_str()));
        let source_kind = if member { "path" } else { c.source_kind };
        sbom.components += 1;
        *sbom.by_source_kind.entry(source_kind.to_owned()).or_default() += 1;
        *sbom.licenses.entry(license.clone()).or_default() += 1;
        if matches!(c.license, License::None) {
            sbom.unlicensed.push(format!("{}@{}", c.name, c.version));
        }
        packages.push(PackageFact {
            name: c.name.clone(),
            version: c.version.clone(),
            license,
            source_kind: source_kind.to_owned(),
            source: c.download_url.clone().or_else(|| c.homepage.clone()),
            kind: match c.reach {
                crate::analyze::sbom::Reach::Runtime => "normal",
                crate::analyze::sbom::Reach::Build => "build",
            }
            .into(),
            workspace_member: member,
        });
    }
    packages.sort_by(|a, b| (&a.name, &a.version).cmp(&(&b.name, &b.version)));
    packages.dedup();
    (packages, sbom)
}

/// A metric point; `timing` marks it as a documented timing field.
pub fn metric(name: &str, unit: &str, value: f64, attrs: &[(&str, &str)], timing: bool) -> Metric {
    Metric {
        timing,
        ..Metric::new(name, unit, value, attrs)
    }
}

/// A metric as rules see it.
pub fn metric_fact(m: Metric) -> MetricFact {
    MetricFact {
        name: m.name,
        unit: m.unit,
        value: m.value,
        attributes: m.attributes,
    }
}

/// The ledger as rules see it; `own` excludes this release's own entry
/// (at publish time it is already recorded).
pub fn ledger_fact(l: &ledger::Ledger, own: Option<(&str, &str)>) -> LedgerFact {
    let mut ids = Vec::new();
    let mut versions = Vec::new();
    for e in &l.entries {
        if let ledger::Entry::Release(r) = e {
            let is_own =
                own.is_some_and(|(id, digest)| r.invocation_id == id && r.provenance_sha256 == digest);
            if !is_own {
                ids.push(r.invocation_id.clone());
                versions.push(r.version.clone());
            }
        }
    }
    LedgerFact {
        ids,
        versions,
        revoked: l.revoked().into_keys().collect(),
        head: l.head.clone(),
    }
}
