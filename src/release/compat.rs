//! The compat stage: every publishable library member against its own
//! baseline, folded into the gate's facts and `compat_report.json`.

use std::path::Path;

use crate::collect::rustdoc;
use crate::collect::{self, Env};
use crate::config::CompatOptions;
use crate::error::{Error, Result};
use crate::gate::facts::{CompatChangeFact, CompatFact, SchemaLockFact};

/// Every publishable library member against its own baseline: the
/// explicit one (`--baseline` or the contract), else the last ledger
/// release's commit (when the member existed there), else its highest
/// earlier tag, else its previous version on crates.io. `None` when the
/// baseline is `none`.
pub(super) fn members(plan: &super::ReleasePlan, env: &dyn Env) -> Result<ReleaseCompat> {
    members_of(plan, &plan.members.libraries, env)
}

/// [`members`] for `libs` only (a compat part's shard).
pub(super) fn members_of(
    plan: &super::ReleasePlan,
    libs: &[rustdoc::CrateInfo],
    env: &dyn Env,
) -> Result<ReleaseCompat> {
    let (manifest, explicit, ledger) = (&plan.manifest, &plan.explicit, &plan.ledger);
    let clean_commit = plan.clean_commit.as_deref();
    let skipped = plan.members.skipped.clone();
    let fixed = match explicit {
        Explicit::None => {
            return Ok(ReleaseCompat {
                members: Vec::new(),
                not_compared: libs.iter().map(|l| (l.name.clone(), l.version.clone())).collect(),
                skipped,
            })
        }
        Explicit::Baseline(b) => Some(b.clone()),
        Explicit::Unset => None,
    };
    if matches!(
        fixed,
        Some(rustdoc::Baseline::Registry(_)) | Some(rustdoc::Baseline::Rustdoc(_))
    ) && libs.len() > 1
    {
        return Err(Error::InvalidOption(format!(
            "registry:VERSION and rustdoc:FILE name one crate's baseline, but {} library members are checked; use git:REV, or leave the baseline out to let relgate pick each member's",
            libs.len()
        )));
    }
    let dir = manifest.parent().unwrap_or(Path::new("."));
    let from_ledger = ledger
        .last_release()
        .and_then(|e| e.commit.clone())
        .filter(|c| collect::git::has_commit(dir, c));
    let shared = crate::command::compat::shared_version(libs);
    let decide = |info: &rustdoc::CrateInfo| -> Result<rustdoc::MemberBaseline> {
        if let Some(b) = &fixed {
            return Ok(rustdoc::MemberBaseline::Found(b.clone()));
        }
        let member_dir = info.manifest.parent().unwrap_or(Path::new("."));
        match &from_ledger {
            Some(c) if collect::git::has_file_at(member_dir, c, "Cargo.toml") => {
                Ok(rustdoc::MemberBaseline::Found(rustdoc::Baseline::Git(c.clone())))
            }
            _ => rustdoc::member_baseline(info, shared, env),
        }
    };
    let opts = CompatOptions {
        manifest_path: Some(manifest.to_path_buf()),
        packages: Vec::new(),
        workspace: true,
        baseline: None,
        features: None,
        target: None,
    };
    Ok(ReleaseCompat {
        members: crate::command::compat::compat_members(
            &opts,
            libs,
            &decide,
            clean_commit,
            Some(&plan.toolchain),
            env,
        ),
        not_compared: Vec::new(),
        skipped,
    })
}

/// The release's comparison from a merge's compat parts: each library
/// member's result as its part signed it, in the plan's member order. A
/// library member no part compared fails (never left out).
pub(super) fn from_parts(plan: &super::ReleasePlan, mut shards: Vec<crate::MemberCompat>) -> ReleaseCompat {
    use crate::MemberCompat;
    let mut members = Vec::new();
    for lib in &plan.members.libraries {
        match shards.iter().position(|m| m.package() == lib.name) {
            Some(i) => members.push(shards.remove(i)),
            None => members.push(MemberCompat::Failed {
                package: lib.name.clone(),
                version: lib.version.clone(),
                error: "no compat part of the plan compared it".into(),
            }),
        }
    }
    // A part's member this checkout does not list as a library stays visible.
    members.extend(shards);
    ReleaseCompat {
        members,
        not_compared: Vec::new(),
        skipped: plan.members.skipped.clone(),
    }
}

/// The baseline the caller fixed, if any.
#[derive(Debug, Clone)]
pub(super) enum Explicit {
    /// Neither `--baseline` nor `[release] baseline`.
    Unset,
    /// `none`: no comparison.
    None,
    /// One baseline for every member.
    Baseline(rustdoc::Baseline),
}

impl Explicit {
    pub(super) fn parse(spec: Option<&str>) -> Result<Explicit> {
        match spec {
            None => Ok(Explicit::Unset),
            Some("none") => Ok(Explicit::None),
            Some(s) => s.parse().map(Explicit::Baseline).map_err(Error::InvalidOption),
        }
    }
}

/// The release's comparison of its library members.
pub(super) struct ReleaseCompat {
    pub(super) members: Vec<crate::MemberCompat>,
    /// (package, version) of members not compared because the baseline is `none`.
    pub(super) not_compared: Vec<(String, String)>,
    pub(super) skipped: Vec<(String, String)>,
}

/// The comparison as the release records it.
pub(super) struct MergedCompat {
    /// `release.package`'s report, schema drift included.
    pub(super) report: Option<crate::analyze::compat::Report>,
    pub(super) fact: CompatFact,
    /// `compat_report.json`.
    pub(super) json: Option<Vec<u8>>,
    /// What `compat_report.json` was rendered from.
    pub(super) source: Option<CompatSource>,
    /// Why `release.package` was not compared, for report.md.
    pub(super) note: String,
}

impl MergedCompat {
    /// `compat_report.json` checked: valid against its schema, and the same
    /// bytes when rendered again from what it was rendered from.
    pub(super) fn canonical(&self) -> Result<Option<crate::gate::facts::CanonicalFact>> {
        let Some(json) = &self.json else { return Ok(None) };
        let again = self.source.as_ref().map(CompatSource::render).transpose()?;
        super::schemas::canonical_check(
            "compat_report.json",
            "relgate:compat_report",
            json,
            again.as_ref() == Some(json),
        )
        .map(Some)
    }
}

/// `compat_report.json`: one report, or one per member.
pub(super) enum CompatSource {
    One(Box<crate::analyze::compat::Report>),
    Workspace(crate::WorkspaceCompat),
}

impl CompatSource {
    pub(super) fn render(&self) -> Result<Vec<u8>> {
        match self {
            CompatSource::One(r) => crate::emit::compat::json(r),
            CompatSource::Workspace(w) => crate::emit::compat::workspace_json(w),
        }
    }
}

/// Folds the members' comparisons into the gate's facts. Schema-lock drift
/// is a change of `release.package`, so it joins that member's report.
pub(super) fn merge_compat(
    rc: ReleaseCompat,
    package: &str,
    schema_lock: &SchemaLockFact,
) -> Result<MergedCompat> {
    use crate::gate::facts::{CompatMemberFact, CompatSkippedFact, MemberStatus};
    use crate::MemberCompat;
    let mut members = Vec::new();
    let mut facts = Vec::new();
    let mut report = None;
    for m in rc.members {
        match m {
            MemberCompat::Compared(mut r) => {
                if r.package == package {
                    for d in &schema_lock.drift {
                        r.changes.push(crate::analyze::compat::Change {
                            path: format!("schema:{}", d.schema),
                            item_kind: "schema".into(),
                            kind: crate::analyze::kinds::Kind::for_schema_drift(&d.classification),
                            detail: d.reasons.join("; "),
                            old: None,
                            new: None,
                            old_span: None,
                            new_span: None,
                        });
                    }
                    let parse = |v: &str| cargo_metadata::semver::Version::parse(v).ok();
                    if let (Some(o), Some(n)) = (parse(&r.old_version), parse(&r.new_version)) {
                        r.verdict = crate::analyze::compat::verdict(&o, &n, &r.changes);
                    }
                    report = Some((*r).clone());
                }
                facts.push(CompatMemberFact {
                    package: r.package.clone(),
                    version: r.new_version.clone(),
                    status: MemberStatus::Compared,
                    baseline: Some(r.baseline.clone()),
                    previous_version: Some(r.old_version.clone()),
                    required_bump: Some(r.verdict.required.name().into()),
                    declared_bump: Some(r.verdict.declared.name().into()),
                    sufficient: r.verdict.sufficient,
                    next_version_at_least: Some(r.verdict.next_version_at_least.clone()),
                    changes: r.changes.len() as u64,
                    reason: None,
                });
                members.push(MemberCompat::Compared(r));
            }
            MemberCompat::FirstRelease {
                package,
                version,
                reason,
            } => {
                facts.push(CompatMemberFact {
                    package: package.clone(),
                    version: version.clone(),
                    status: MemberStatus::FirstRelease,
                    reason: Some(reason.clone()),
                    ..CompatMemberFact::default()
                });
                members.push(MemberCompat::FirstRelease {
                    package,
                    version,
                    reason,
                });
            }
            MemberCompat::Failed {
                package,
                version,
                error,
            } => {
                facts.push(CompatMemberFact {
                    package: package.clone(),
                    version: version.clone(),
                    status: MemberStatus::Failed,
                    reason: Some(error.clone()),
                    ..CompatMemberFact::default()
                });
                members.push(MemberCompat::Failed {
                    package,
                    version,
                    error,
                });
            }
        }
    }
    for (package, version) in &rc.not_compared {
        facts.push(CompatMemberFact {
            package: package.clone(),
            version: version.clone(),
            status: MemberStatus::NotCompared,
            reason: Some("the baseline is `none`".into()),
            ..CompatMemberFact::default()
        });
    }
    let skipped: Vec<CompatSkippedFact> = rc
        .skipped
        .iter()
        .map(|(package, reason)| CompatSkippedFact {
            package: package.clone(),
            reason: reason.clone(),
        })
        .collect();
    let own = facts.iter().find(|m| m.package == package);
    let note = match own.map(|m| m.status) {
        Some(MemberStatus::Compared) => String::new(),
        Some(MemberStatus::FirstRelease) => {
            let reason = own
                .and_then(|m| m.reason.as_deref())
                .unwrap_or("no earlier version");
            // member_baseline's reason starts with "first release of NAME: ".
            let why = reason.split_once(": ").map_or(reason, |(_, why)| why);
            format!("First release of `{package}`: {why}.")
        }
        Some(MemberStatus::NotCompared) => "No baseline (`none`): the public API was not compared.".into(),
        Some(MemberStatus::Failed) => format!(
            "`{package}` could not be compared, so the gate fails: {}",
            own.and_then(|m| m.reason.as_deref())
                .unwrap_or("no reason recorded")
        ),
        None => match skipped.iter().find(|s| s.package == package) {
            Some(s) => format!("`{package}` is not compared ({}).", s.reason),
            None => format!("`{package}` is not a library member."),
        },
    };
    let fact = match &report {
        Some(r) => CompatFact {
            ran: true,
            baseline: Some(r.baseline.clone()),
            required_bump: r.verdict.required.name().into(),
            declared_bump: r.verdict.declared.name().into(),
            sufficient: r.verdict.sufficient,
            next_version_at_least: Some(r.verdict.next_version_at_least.clone()),
            changes: r
                .changes
                .iter()
                .map(|c| CompatChangeFact {
                    path: c.path.clone(),
                    kind: c.kind.id().into(),
                    class: c.class().name().into(),
                    detail: c.detail.clone(),
                })
                .collect(),
            members: facts,
            skipped,
        },
        None => CompatFact {
            members: facts,
            skipped,
            ..CompatFact::default()
        },
    };
    let source = match (members.len(), members.pop()) {
        (_, None) => None,
        (1, Some(MemberCompat::Compared(r))) => Some(CompatSource::One(r)),
        (_, Some(last)) => {
            members.push(last);
            Some(CompatSource::Workspace(crate::WorkspaceCompat {
                members,
                skipped: rc.skipped,
            }))
        }
    };
    let json = source.as_ref().map(CompatSource::render).transpose()?;
    Ok(MergedCompat {
        report,
        fact,
        json,
        source,
        note,
    })
}
