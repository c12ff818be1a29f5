//! `relgate compat`: one library, or every selected workspace member,
//! against its baseline.

use crate::{analyze, collect};
use crate::{CompatOptions, Env, Error, Result};

/// Compares the public API of a library with a baseline and decides whether
/// the declared version bump suffices.
pub fn compat(opts: &CompatOptions, env: &dyn Env) -> Result<analyze::compat::Report> {
    use collect::rustdoc;
    let manifest = compat_manifest(opts)?;
    if opts.workspace || opts.packages.len() > 1 {
        return Err(Error::InvalidOption(
            "several packages: use relgate::compat_workspace".into(),
        ));
    }
    let info = rustdoc::crate_info(&manifest, opts.packages.first().map(String::as_str), env)?;
    let baseline = match &opts.baseline {
        Some(b) => b.clone(),
        None => match rustdoc::member_baseline(&info, true, env)? {
            rustdoc::MemberBaseline::Found(b) => b,
            rustdoc::MemberBaseline::FirstRelease(reason) => {
                return Err(Error::InvalidOption(format!(
                    "{reason}; nothing to compare with (pass --baseline git:REV, path:DIR, registry:VERSION or rustdoc:FILE)"
                )))
            }
        },
    };
    compat_against(opts, &info, baseline, None, None, env)
}

fn compat_manifest(opts: &CompatOptions) -> Result<std::path::PathBuf> {
    match &opts.manifest_path {
        Some(p) if !collect::probe::is_file(p) => Err(Error::ManifestNotFound { path: p.clone() }),
        other => collect::manifest_or_cwd(other.as_deref()),
    }
}

/// One library member of a workspace comparison.
#[derive(Debug, Clone)]
pub enum MemberCompat {
    /// Compared with its baseline.
    Compared(Box<analyze::compat::Report>),
    /// Provably the first release of this member: nothing to compare.
    FirstRelease {
        /// Package.
        package: String,
        /// Its version.
        version: String,
        /// Why relgate knows.
        reason: String,
    },
    /// relgate could not compare it (the error, rendered).
    Failed {
        /// Package.
        package: String,
        /// Its version.
        version: String,
        /// What went wrong.
        error: String,
    },
}

impl MemberCompat {
    /// The package this result is about.
    pub fn package(&self) -> &str {
        match self {
            MemberCompat::Compared(r) => &r.package,
            MemberCompat::FirstRelease { package, .. } | MemberCompat::Failed { package, .. } => package,
        }
    }
}

/// [`compat_workspace`]'s result: one entry per library member, by name.
#[derive(Debug, Clone)]
pub struct WorkspaceCompat {
    /// The members compared (or not, with the reason).
    pub members: Vec<MemberCompat>,
    /// Members left out, with the reason (`publish = false`, no library).
    pub skipped: Vec<(String, String)>,
}

impl WorkspaceCompat {
    /// Every member that was compared has a sufficient bump.
    pub fn sufficient(&self) -> bool {
        self.members.iter().all(|m| match m {
            MemberCompat::Compared(r) => r.verdict.sufficient,
            _ => true,
        })
    }

    /// Members relgate could not compare.
    pub fn failed(&self) -> Vec<&str> {
        self.members
            .iter()
            .filter_map(|m| match m {
                MemberCompat::Failed { package, .. } => Some(package.as_str()),
                _ => None,
            })
            .collect()
    }
}

/// Compares every selected library member (`--workspace`, or each `-p`)
/// with its own baseline: `--baseline` when given (a git revision or path
/// shared by all), else per member the highest tag naming its lower
/// version, else its previous version on crates.io, else a first release.
/// Members run concurrently (cargo's target-directory lock serialises the
/// rustdoc builds, which share their dependency builds).
pub fn compat_workspace(opts: &CompatOptions, env: &dyn Env) -> Result<WorkspaceCompat> {
    use collect::rustdoc;
    let manifest = compat_manifest(opts)?;
    if matches!(
        opts.baseline,
        Some(rustdoc::Baseline::Registry(_)) | Some(rustdoc::Baseline::Rustdoc(_))
    ) {
        return Err(Error::InvalidOption(
            "registry:VERSION and rustdoc:FILE name one crate's baseline; with several packages use git:REV, or let relgate pick each member's".into(),
        ));
    }
    let (libs, mut skipped) = rustdoc::workspace_libraries(&manifest, env)?;
    let selected: Vec<rustdoc::CrateInfo> = if opts.packages.is_empty() {
        libs
    } else {
        let mut out = Vec::new();
        for name in &opts.packages {
            match libs.iter().find(|l| &l.name == name) {
                Some(l) => out.push(l.clone()),
                None => out.push(rustdoc::crate_info(&manifest, Some(name), env)?),
            }
        }
        skipped.clear();
        out
    };
    let shared = shared_version(&selected);
    let decide = |info: &rustdoc::CrateInfo| match &opts.baseline {
        Some(b) => Ok(rustdoc::MemberBaseline::Found(b.clone())),
        None => rustdoc::member_baseline(info, shared, env),
    };
    Ok(WorkspaceCompat {
        members: compat_members(opts, &selected, &decide, None, None, env),
        skipped,
    })
}

/// All members carry one version (bare `v1.2.3` tags may then name theirs).
pub(crate) fn shared_version(members: &[collect::rustdoc::CrateInfo]) -> bool {
    let versions: std::collections::BTreeSet<&str> = members.iter().map(|l| l.version.as_str()).collect();
    versions.len() <= 1
}

/// Compares each of `selected` with the baseline `decide` gives it, on as
/// many threads as there are cores (cargo's target-directory lock
/// serialises the rustdoc builds, which share their dependency builds).
/// A member that cannot be compared is [`MemberCompat::Failed`], never left out.
pub(crate) fn compat_members(
    opts: &CompatOptions,
    selected: &[collect::rustdoc::CrateInfo],
    decide: &(dyn Fn(&collect::rustdoc::CrateInfo) -> Result<collect::rustdoc::MemberBaseline> + Sync),
    clean_commit: Option<&str>,
    toolchain: Option<&crate::facts::Toolchain>,
    env: &dyn Env,
) -> Vec<MemberCompat> {
    use collect::rustdoc;
    let one = |info: &rustdoc::CrateInfo| -> MemberCompat {
        let failed = |e: Error| MemberCompat::Failed {
            package: info.name.clone(),
            version: info.version.clone(),
            error: format!("{e}"),
        };
        let baseline = match decide(info) {
            Ok(rustdoc::MemberBaseline::Found(b)) => b,
            Ok(rustdoc::MemberBaseline::FirstRelease(reason)) => {
                return MemberCompat::FirstRelease {
                    package: info.name.clone(),
                    version: info.version.clone(),
                    reason,
                }
            }
            Err(e) => return failed(e),
        };
        match compat_against(opts, info, baseline, clean_commit, toolchain, env) {
            Ok(r) => MemberCompat::Compared(Box::new(r)),
            Err(e) => failed(e),
        }
    };
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).max(1);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..workers.min(selected.len()) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let Some(info) = selected.get(i) else { break };
                let r = one(info);
                if let Ok(mut v) = results.lock() {
                    v.push((i, r));
                }
            });
        }
    });
    let mut results: std::collections::BTreeMap<usize, MemberCompat> =
        results.into_inner().unwrap_or_default().into_iter().collect();
    // A member whose thread died is a failure, never a member left out.
    selected
        .iter()
        .enumerate()
        .map(|(i, info)| {
            results.remove(&i).unwrap_or_else(|| MemberCompat::Failed {
                package: info.name.clone(),
                version: info.version.clone(),
                error: "the comparison did not finish (its thread panicked)".into(),
            })
        })
        .collect()
}

/// [`compat`] for an already located library and a decided baseline.
pub(crate) fn compat_against(
    opts: &CompatOptions,
    info: &collect::rustdoc::CrateInfo,
    baseline: collect::rustdoc::Baseline,
    clean_commit: Option<&str>,
    toolchain: Option<&crate::facts::Toolchain>,
    env: &dyn Env,
) -> Result<analyze::compat::Report> {
    use collect::rustdoc;
    let manifest = &info.manifest;
    let dir = manifest
        .parent()
        .map(std::path::Path::to_path_buf)
        .unwrap_or_default();
    // `rustc -vV` (when the caller has not read it) is needed before
    // documenting only for a clean commit (its cache key); otherwise it
    // runs beside the current side's rustdoc.
    let early = match (toolchain, clean_commit) {
        (Some(t), _) => Some(t.clone()),
        (None, Some(_)) => Some(collect::toolchain::version(env, &dir)?),
        (None, None) => None,
    };
    let scratch = info
        .target_dir
        .join("relgate")
        .join("compat")
        .join("current-target");
    // name@version: the graph may hold another version of the same crate.
    let spec = format!("{}@{}", info.name, info.version);
    let asked = opts.features.as_ref();
    // The two sides are independent: document them at the same time, each
    // in its own target directory, and parse each as soon as it is ready.
    let side = |json: Vec<u8>,
                root: Option<(&std::path::Path, &std::path::Path)>|
     -> Result<(rustdoc_types::Crate, analyze::api::Api)> {
        let krate = analyze::api::parse_rustdoc(&json)?;
        let api = analyze::api::Api::from_rustdoc_at(&krate, root);
        Ok((krate, api))
    };
    let root_of = |i: &rustdoc::CrateInfo| {
        (
            i.manifest
                .parent()
                .map(std::path::Path::to_path_buf)
                .unwrap_or_default(),
            i.workspace_root.clone(),
        )
    };
    let (current, baseline_side) = std::thread::scope(|s| {
        let old = s.spawn(|| {
            let toolchain = match &early {
                Some(t) => t.clone(),
                None => collect::toolchain::version(env, &dir)?,
            };
            let (json, old_info, choice) = rustdoc::baseline_snapshot(
                &baseline,
                info,
                asked,
                opts.target.as_deref(),
                &toolchain.rustc_version,
                env,
            )?;
            let root = old_info.as_ref().map(root_of);
            let parsed = side(json, root.as_ref().map(|(a, b)| (a.as_path(), b.as_path())))?;
            Ok::<_, Error>((parsed, old_info, choice, toolchain))
        });
        // A clean checkout is exactly its commit: document the commit, through
        // the same cache as baselines, so a re-run reuses the snapshot.
        let choice = rustdoc::choose_features(info, asked);
        let new = match (clean_commit, &early) {
            (Some(commit), Some(toolchain)) => rustdoc::commit_snapshot(
                commit,
                info,
                &choice,
                opts.target.as_deref(),
                &toolchain.rustc_version,
                env,
            ),
            _ => rustdoc::document_current(
                info,
                &spec,
                choice,
                asked.is_some(),
                opts.target.as_deref(),
                &scratch,
                env,
            ),
        }
        .and_then(|(json, choice)| {
            let (crate_dir, ws) = root_of(info);
            side(json, Some((&crate_dir, &ws))).map(|p| (p, choice))
        });
        (
            new,
            old.join()
                .unwrap_or_else(|_| Err(Error::Inconsistent("the baseline thread panicked".into()))),
        )
    });
    let ((new_krate, new_api), new_features) = current?;
    let ((old_krate, old_api), old_info, old_features, toolchain) = baseline_side?;
    let mut changes = analyze::compat::diff(&old_api, &new_api);
    // Every baseline but a bare rustdoc file carries its manifest facts.
    if let Some(old) = old_info.as_ref() {
        changes.extend(analyze::compat::manifest_changes(
            &old.manifest_facts,
            &info.manifest_facts,
            &new_api,
        ));
    }
    let old_version = old_info
        .as_ref()
        .map(|o| o.version.clone())
        .or_else(|| old_krate.crate_version.clone())
        .ok_or_else(|| Error::InvalidOption("the baseline rustdoc JSON records no crate version".into()))?;
    let parse = |v: &str| {
        cargo_metadata::semver::Version::parse(v)
            .map_err(|e| Error::InvalidOption(format!("version `{v}` is not semver: {e}")))
    };
    let verdict = analyze::compat::verdict(&parse(&old_version)?, &parse(&info.version)?, &changes);
    Ok(analyze::compat::Report {
        package: info.name.clone(),
        old_version,
        new_version: info.version.clone(),
        baseline: baseline.to_string(),
        rustc_version: toolchain.rustc_version.clone(),
        format_version: new_krate.format_version,
        new_features,
        old_features,
        target: opts.target.clone().unwrap_or(toolchain.host),
        changes,
        verdict,
    })
}
