//! Public-API snapshots: rustdoc JSON on the stable toolchain, and baselines.
//!
//! `cargo rustdoc --lib -- -Z unstable-options --output-format json
//! --document-hidden-items` under `RUSTC_BOOTSTRAP=<crate>` (scoped to the
//! documented crate, so no dependency sees a "nightly" compiler), in a
//! scratch target directory under `target/relgate/`. Baselines: `git:REV`
//! (the whole tree at the revision, extracted with `git archive`, the work
//! tree untouched), `path:DIR`, `registry:VERSION` (the published crate
//! through a placeholder package, with its published manifest read by
//! `cargo metadata`), `rustdoc:FILE`. Without one, [`member_baseline`]
//! picks the highest tag naming a lower version, else the previous version
//! on crates.io, else a first release. [`auto_features`] chooses each
//! side's feature set (docs.rs's, else every feature not looking unstable,
//! falling back to the defaults). Snapshots of immutable baselines (a git
//! commit, a registry version) are cached by crate, source, features,
//! target, rustc version and snapshot flags.
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::process::run;
use super::Env;
use crate::analyze::compat::Manifest;
use crate::config::Features;
use crate::error::{Error, Result};

/// A library package whose API is compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrateInfo {
    /// Package name.
    pub name: String,
    /// Version.
    pub version: String,
    /// Library target name (`-` → `_`).
    pub lib_name: String,
    /// Its manifest.
    pub manifest: PathBuf,
    /// The workspace's target directory.
    pub target_dir: PathBuf,
    /// The workspace root (rustdoc's relative span paths start there).
    pub workspace_root: PathBuf,
    /// Features, MSRV, dependencies.
    pub manifest_facts: Manifest,
    /// `[features]` as cargo reports it (implicit optional-dependency features included).
    pub features_table: BTreeMap<String, Vec<String>>,
    /// `[package.metadata.docs.rs]`, when present.
    pub docs_rs: Option<DocsRs>,
}

/// The part of `[package.metadata.docs.rs]` that says what docs.rs builds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct DocsRs {
    /// `features = [...]`.
    #[serde(default)]
    pub features: Vec<String>,
    /// `all-features = true`.
    #[serde(default)]
    pub all_features: bool,
    /// `no-default-features = true`.
    #[serde(default)]
    pub no_default_features: bool,
}

/// The feature set a side was documented with, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureChoice {
    /// The flags passed to cargo.
    pub features: Features,
    /// Why this set (`--features given`, `[package.metadata.docs.rs]`, ...).
    pub reason: String,
}

/// Names that look unstable or internal (cargo-semver-checks' heuristic):
/// left out of the default comparison.
fn unstable_looking(name: &str) -> bool {
    matches!(name, "unstable" | "nightly" | "bench" | "no_std")
        || name.starts_with('_')
        || name.starts_with("unstable-")
        || name.starts_with("unstable_")
}

/// The features to document a crate with when none were asked for: what
/// docs.rs builds (`[package.metadata.docs.rs]`), else every feature that
/// does not look unstable or internal.
pub fn auto_features(info: &CrateInfo) -> FeatureChoice {
    if let Some(d) = &info.docs_rs {
        let mut features: Vec<String> = d
            .features
            .iter()
            .filter(|f| info.features_table.contains_key(*f) || f.contains('/'))
            .cloned()
            .collect();
        features.sort();
        return FeatureChoice {
            features: Features {
                features,
                all_features: d.all_features,
                no_default_features: d.no_default_features,
            },
            reason: "what docs.rs builds ([package.metadata.docs.rs])".into(),
        };
    }
    let all: Vec<String> = info
        .features_table
        .keys()
        .filter(|f| *f != "default")
        .cloned()
        .collect();
    let features: Vec<String> = all.iter().filter(|f| !unstable_looking(f)).cloned().collect();
    let left_out: Vec<&String> = all.iter().filter(|f| unstable_looking(f)).collect();
    let reason = if all.is_empty() {
        "the crate has no features".to_owned()
    } else if left_out.is_empty() {
        "every feature".to_owned()
    } else {
        format!(
            "every feature except those that look unstable or internal ({})",
            left_out.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
        )
    };
    FeatureChoice {
        features: Features {
            features,
            all_features: false,
            no_default_features: false,
        },
        reason,
    }
}

#[derive(Deserialize)]
struct NoDeps {
    packages: Vec<NoDepsPackage>,
    workspace_members: Vec<String>,
    target_directory: PathBuf,
    workspace_root: PathBuf,
}

#[derive(Deserialize)]
struct NoDepsPackage {
    name: String,
    version: String,
    id: String,
    manifest_path: PathBuf,
    #[serde(default)]
    features: BTreeMap<String, Vec<String>>,
    rust_version: Option<String>,
    #[serde(default)]
    dependencies: Vec<NoDepsDependency>,
    #[serde(default)]
    targets: Vec<NoDepsTarget>,
    #[serde(default)]
    metadata: Option<serde_json::Value>,
    /// `publish = false` is `Some([])`.
    #[serde(default)]
    publish: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct NoDepsDependency {
    name: String,
    req: String,
    kind: Option<String>,
    rename: Option<String>,
}

#[derive(Deserialize)]
struct NoDepsTarget {
    name: String,
    kind: Vec<String>,
}

/// Reads the package (`-p`, or the only/root library member) from `cargo metadata --no-deps`.
pub fn crate_info(manifest: &Path, package: Option<&str>, env: &dyn Env) -> Result<CrateInfo> {
    select_package(&no_deps(manifest, env)?, manifest, package)
}

/// The package of `manifest`'s workspace that [`crate_info`] picks.
fn select_package(meta: &NoDeps, manifest: &Path, package: Option<&str>) -> Result<CrateInfo> {
    let members: Vec<&NoDepsPackage> = meta
        .packages
        .iter()
        .filter(|p| meta.workspace_members.contains(&p.id))
        .collect();
    let libs = |p: &&NoDepsPackage| {
        p.targets.iter().any(|t| {
            t.kind
                .iter()
                .any(|k| k == "lib" || k == "proc-macro" || k.ends_with("lib"))
        })
    };
    let pkg = match package {
        Some(name) => {
            members
                .iter()
                .find(|p| p.name == name)
                .copied()
                .ok_or_else(|| Error::UnknownPackage {
                    name: name.to_owned(),
                    members: members
                        .iter()
                        .map(|p| p.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                })?
        }
        None => {
            let own = members.iter().find(|p| p.manifest_path == manifest).copied();
            let lib_members: Vec<&NoDepsPackage> = members.iter().copied().filter(|p| libs(p)).collect();
            match (own, lib_members.as_slice()) {
                (Some(p), _) => p,
                (None, [only]) => only,
                _ => {
                    return Err(Error::InvalidOption(format!(
                        "the workspace has several library packages ({}); choose one with -p",
                        lib_members
                            .iter()
                            .map(|p| p.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )))
                }
            }
        }
    };
    package_info(pkg, &meta.target_directory, &meta.workspace_root)
}

fn package_info(pkg: &NoDepsPackage, target_dir: &Path, workspace_root: &Path) -> Result<CrateInfo> {
    let lib = pkg
        .targets
        .iter()
        .find(|t| {
            t.kind
                .iter()
                .any(|k| k == "lib" || k == "proc-macro" || k.ends_with("lib"))
        })
        .ok_or_else(|| Error::NoLibrary {
            package: pkg.name.clone(),
        })?;
    let dependencies = pkg
        .dependencies
        .iter()
        .filter(|d| d.kind.is_none())
        .map(|d| (d.rename.clone().unwrap_or_else(|| d.name.clone()), d.req.clone()))
        .collect();
    Ok(CrateInfo {
        name: pkg.name.clone(),
        version: pkg.version.clone(),
        lib_name: lib.name.replace('-', "_"),
        manifest: pkg.manifest_path.clone(),
        target_dir: target_dir.to_path_buf(),
        workspace_root: workspace_root.to_path_buf(),
        features_table: pkg.features.clone(),
        docs_rs: pkg
            .metadata
            .as_ref()
            .and_then(|m| m.get("docs").and_then(|d| d.get("rs")))
            .and_then(|d| serde_json::from_value(d.clone()).ok()),
        manifest_facts: Manifest {
            features: pkg
                .features
                .keys()
                .filter(|f| *f != "default")
                .cloned()
                .collect::<BTreeSet<_>>(),
            rust_version: pkg.rust_version.clone(),
            dependencies,
        },
    })
}

/// Members left out of a workspace comparison: (package, why).
pub type Skipped = Vec<(String, String)>;

/// Every publishable library member of the workspace (sorted by name),
/// and the members left out with the reason.
pub fn workspace_libraries(manifest: &Path, env: &dyn Env) -> Result<(Vec<CrateInfo>, Skipped)> {
    libraries_of(&no_deps(manifest, env)?)
}

/// The workspace's members as a release sees them, from one `cargo
/// metadata --no-deps`: those with a binary target, and the library
/// members as [`workspace_libraries`] lists them.
pub struct Members {
    /// Members with a binary target, by name.
    pub binaries: Vec<String>,
    /// Library members, by name.
    pub libraries: Vec<CrateInfo>,
    /// Members with no library to compare, and why.
    pub skipped: Skipped,
    /// Every member's version, by name.
    pub versions: BTreeMap<String, String>,
    /// The member whose manifest is the workspace's root manifest, if any.
    pub root_package: Option<String>,
}

/// [`Members`] of the workspace of `manifest`.
pub fn members(manifest: &Path, env: &dyn Env) -> Result<Members> {
    let meta = no_deps(manifest, env)?;
    let (libraries, skipped) = libraries_of(&meta)?;
    let member = |p: &&NoDepsPackage| meta.workspace_members.contains(&p.id);
    let root_manifest = meta.workspace_root.join("Cargo.toml");
    Ok(Members {
        binaries: binaries_of(&meta),
        libraries,
        skipped,
        versions: meta
            .packages
            .iter()
            .filter(member)
            .map(|p| (p.name.clone(), p.version.clone()))
            .collect(),
        root_package: meta
            .packages
            .iter()
            .filter(member)
            .find(|p| p.manifest_path == root_manifest)
            .map(|p| p.name.clone()),
    })
}

fn libraries_of(meta: &NoDeps) -> Result<(Vec<CrateInfo>, Skipped)> {
    let mut libs = Vec::new();
    let mut skipped = Vec::new();
    for p in meta
        .packages
        .iter()
        .filter(|p| meta.workspace_members.contains(&p.id))
    {
        if p.publish.as_ref().is_some_and(Vec::is_empty) {
            skipped.push((p.name.clone(), "publish = false".to_owned()));
            continue;
        }
        match package_info(p, &meta.target_directory, &meta.workspace_root) {
            Ok(info) => libs.push(info),
            Err(Error::NoLibrary { .. }) => skipped.push((p.name.clone(), "no library target".to_owned())),
            Err(e) => return Err(e),
        }
    }
    libs.sort_by(|a, b| a.name.cmp(&b.name));
    skipped.sort();
    Ok((libs, skipped))
}

/// The workspace members with a binary target, by name (what a release
/// builds when the contract names no packages).
fn binaries_of(meta: &NoDeps) -> Vec<String> {
    let mut out: Vec<String> = meta
        .packages
        .iter()
        .filter(|p| meta.workspace_members.contains(&p.id))
        .filter(|p| p.targets.iter().any(|t| t.kind.iter().any(|k| k == "bin")))
        .map(|p| p.name.clone())
        .collect();
    out.sort();
    out
}

/// Where a member's baseline comes from when none was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberBaseline {
    /// A tag, or the previous version on crates.io.
    Found(Baseline),
    /// Provably no earlier version: no tag, and crates.io has none below this one.
    FirstRelease(String),
}

/// The member's baseline: the highest tag naming its lower version (bare
/// `v1.2.3` tags only when `shared_version`), else the highest version below
/// it on crates.io, else a first release. An unreachable registry is an
/// error, never a first release.
pub fn member_baseline(info: &CrateInfo, shared_version: bool, env: &dyn Env) -> Result<MemberBaseline> {
    if let Some(b) = tag_baseline(info, shared_version) {
        return Ok(MemberBaseline::Found(b));
    }
    match registry_previous(info, env)? {
        Some(v) => Ok(MemberBaseline::Found(Baseline::Registry(v))),
        None => Ok(MemberBaseline::FirstRelease(format!(
            "first release of {}: no git tag names an earlier version and crates.io has no version below {}",
            info.name, info.version
        ))),
    }
}

/// The highest version of the crate on crates.io below the current one
/// (cargo resolves `<VERSION` in a placeholder package); `None` when the
/// crate or such a version is not there.
pub fn registry_previous(info: &CrateInfo, env: &dyn Env) -> Result<Option<String>> {
    let place = info
        .target_dir
        .join("relgate")
        .join("compat")
        .join("registry-lookup")
        .join(&info.name);
    let manifest = placeholder(
        &place,
        &format!(
            "{} = {{ version = \"<{}\", default-features = false }}",
            info.name, info.version
        ),
    )?;
    let _ = std::fs::remove_file(place.join("Cargo.lock"));
    let stdout = match cargo_metadata(&manifest, false, env)? {
        Ok(stdout) => stdout,
        Err(stderr) if stderr.contains("no matching package named") || stderr.contains("failed to select a version") => {
            return Ok(None)
        }
        Err(stderr) => {
            return Err(Error::InvalidOption(format!(
                "could not ask crates.io for earlier versions of {} (so relgate cannot tell whether this is a first release): {stderr}",
                info.name
            )))
        }
    };
    Ok(packages(&stdout)?
        .into_iter()
        .find(|p| p.name == info.name && p.id.contains("registry"))
        .map(|p| p.version))
}

/// A placeholder package in `place` (its own workspace, an empty library)
/// whose only dependency is the TOML line `dependency`; returns its manifest.
fn placeholder(place: &Path, dependency: &str) -> Result<PathBuf> {
    std::fs::create_dir_all(place.join("src")).map_err(|source| Error::Write {
        path: place.to_path_buf(),
        source,
    })?;
    let manifest = format!(
        "[package]\nname = \"relgate-baseline-placeholder\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n[workspace]\n\n[dependencies]\n{dependency}\n"
    );
    let mpath = place.join("Cargo.toml");
    crate::write::file_atomic(&mpath, manifest.as_bytes())?;
    crate::write::file_atomic(&place.join("src/lib.rs"), b"")?;
    Ok(mpath)
}

/// `cargo metadata` of `manifest` (`--no-deps` when asked): its stdout, or
/// its stderr (trimmed) when cargo failed.
fn cargo_metadata(
    manifest: &Path,
    no_deps: bool,
    env: &dyn Env,
) -> Result<std::result::Result<Vec<u8>, String>> {
    let cargo = env.var("CARGO").unwrap_or_else(|| "cargo".into());
    let dir = manifest.parent().unwrap_or(Path::new("."));
    let m = manifest.to_string_lossy();
    let mut args = vec![
        "metadata",
        "--format-version=1",
        "--color=never",
        "--manifest-path",
        &m,
    ];
    if no_deps {
        args.push("--no-deps");
    }
    let out = run(&cargo, &args, dir, &[])?;
    Ok(if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_owned())
    })
}

/// The packages of a full `cargo metadata` document.
fn packages(stdout: &[u8]) -> Result<Vec<NoDepsPackage>> {
    #[derive(Deserialize)]
    struct Full {
        packages: Vec<NoDepsPackage>,
    }
    serde_json::from_slice::<Full>(stdout)
        .map(|f| f.packages)
        .map_err(|e| Error::ToolOutput {
            program: "cargo metadata".into(),
            reason: e.to_string(),
        })
}

/// The JSON of `name` `version` from crates.io in a full `cargo metadata`
/// document (another source's package of that name only when there is none).
fn registry_package(stdout: &[u8], name: &str, version: &str) -> Result<String> {
    let bad = |reason: String| Error::ToolOutput {
        program: "cargo metadata".into(),
        reason,
    };
    let doc: serde_json::Value = serde_json::from_slice(stdout).map_err(|e| bad(e.to_string()))?;
    let packages = doc["packages"]
        .as_array()
        .ok_or_else(|| bad("no packages".into()))?;
    let named = |p: &&serde_json::Value| p["name"] == name && p["version"] == version;
    let from_registry = |p: &&serde_json::Value| p["id"].as_str().is_some_and(|id| id.contains("registry"));
    packages
        .iter()
        .filter(named)
        .find(from_registry)
        .or_else(|| packages.iter().find(named))
        .map(|p| p.to_string())
        .ok_or_else(|| Error::Inconsistent(format!("cargo resolved no {name} {version}")))
}

/// Stores a snapshot in the cache; a cache that cannot be written only costs time.
fn store_snapshot(path: &Path, bytes: &[u8]) {
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let _ = crate::write::file_atomic(path, bytes);
}

fn no_deps(manifest: &Path, env: &dyn Env) -> Result<NoDeps> {
    let stdout = cargo_metadata(manifest, true, env)?.map_err(|stderr| Error::CargoMetadata { stderr })?;
    serde_json::from_slice(&stdout).map_err(|e| Error::ToolOutput {
        program: "cargo metadata".into(),
        reason: e.to_string(),
    })
}

/// Builds the rustdoc JSON of a library package and returns its bytes.
pub fn snapshot(
    info: &CrateInfo,
    package_spec: Option<&str>,
    features: &Features,
    target: Option<&str>,
    scratch: &Path,
    env: &dyn Env,
) -> Result<Vec<u8>> {
    let cargo = env.var("CARGO").unwrap_or_else(|| "cargo".into());
    let dir = info.manifest.parent().unwrap_or(Path::new("."));
    let mut args: Vec<String> = vec![
        "rustdoc".into(),
        "--lib".into(),
        "--color=never".into(),
        "--manifest-path".into(),
        info.manifest.to_string_lossy().into_owned(),
        "--target-dir".into(),
        scratch.to_string_lossy().into_owned(),
    ];
    if let Some(p) = package_spec {
        args.extend(["-p".into(), p.into()]);
    }
    args.extend(features.cargo_args());
    if let Some(t) = target {
        args.extend(["--target".into(), t.into()]);
    }
    args.extend([
        "--".into(),
        "-Z".into(),
        "unstable-options".into(),
        "--output-format".into(),
        "json".into(),
        // Hidden items are kept so that hiding one is seen (and filtered in analyze::api).
        "--document-hidden-items".into(),
        "--cap-lints".into(),
        "allow".into(),
    ]);
    let doc = match target {
        Some(t) => scratch.join(t).join("doc"),
        None => scratch.join("doc"),
    };
    let reuse = Reuse::new(&doc, &info.lib_name, &cargo, &args);
    let _held = reuse.lock(scratch)?;
    reuse.prepare();
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run(&cargo, &argv, dir, &[("RUSTC_BOOTSTRAP", info.lib_name.as_str())])?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = stderr
            .lines()
            .rev()
            .take(25)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        return Err(Error::Rustdoc {
            package: format!("{} {}", info.name, info.version),
            stderr: tail.join("\n"),
        });
    }
    let json = super::inputs::read_limited(&reuse.json, "rustdoc JSON", super::inputs::MAX_RUSTDOC)?;
    reuse.record();
    Ok(json)
}

/// Lets cargo's own freshness check skip an unchanged crate.
///
/// cargo fingerprints a doc unit by its HTML output (`doc/<lib>/index.html`)
/// and, seeing none after a JSON build, documents the crate again on every
/// run. After a successful build relgate writes that file as an empty
/// marker, so the next run with the same command is `Fresh` exactly when
/// cargo finds nothing changed (sources, dependencies, flags, toolchain,
/// build-script inputs). Several feature sets share one JSON path, so the
/// command that wrote the JSON is recorded beside it; any other command
/// removes the marker first and documents for real. The whole step holds
/// a lock on the scratch directory, so two relgate runs cannot interleave
/// one's JSON with the other's record.
struct Reuse {
    json: PathBuf,
    marker: PathBuf,
    record: PathBuf,
    key: String,
}

impl Reuse {
    fn new(doc: &Path, lib_name: &str, cargo: &str, args: &[String]) -> Self {
        let mut h = Sha256::new();
        for part in std::iter::once(cargo).chain(args.iter().map(String::as_str)) {
            h.update(part.as_bytes());
            h.update([0]);
        }
        Reuse {
            json: doc.join(format!("{lib_name}.json")),
            marker: doc.join(lib_name).join("index.html"),
            record: doc.join(format!("{lib_name}.json.relgate-command")),
            key: crate::analyze::sbom::hex(&h.finalize()),
        }
    }

    /// An exclusive lock on `scratch`, released when dropped.
    fn lock(&self, scratch: &Path) -> Result<std::fs::File> {
        let path = scratch.join("relgate-rustdoc.lock");
        let io = |e: std::io::Error| Error::Input {
            what: "rustdoc scratch lock",
            path: path.clone(),
            reason: e.to_string(),
        };
        std::fs::create_dir_all(scratch).map_err(io)?;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io)?;
        file.lock().map_err(io)?;
        Ok(file)
    }

    /// Forces a real build unless the JSON on disk came from this command.
    fn prepare(&self) {
        let same = std::fs::read_to_string(&self.record).is_ok_and(|k| k == self.key);
        if !same || !self.json.is_file() {
            let _ = std::fs::remove_file(&self.marker);
            let _ = std::fs::remove_file(&self.record);
        }
    }

    /// Marks the JSON as this command's; failing only costs the next run time.
    fn record(&self) {
        let written = self
            .marker
            .parent()
            .map(std::fs::create_dir_all)
            .and_then(|r| r.ok())
            .and_then(|()| std::fs::write(&self.marker, b"").ok())
            .and_then(|()| std::fs::write(&self.record, &self.key).ok());
        if written.is_none() {
            let _ = std::fs::remove_file(&self.marker);
        }
    }
}

pub use crate::config::Baseline;

/// The default baseline: the highest git tag that names a version below `current`
/// (`v1.2.3`, `1.2.3`, `NAME-v1.2.3`, `NAME-1.2.3`, `NAME@1.2.3`, `NAME/v1.2.3`).
pub fn default_baseline(info: &CrateInfo) -> Result<Baseline> {
    tag_baseline(info, true).ok_or_else(|| {
        Error::InvalidOption(format!(
            "no git tag names a version of {} below {}; pass --baseline git:REV, path:DIR, registry:VERSION or rustdoc:FILE",
            info.name, info.version
        ))
    })
}

/// The highest git tag naming a release of the crate below its current
/// version (`name-v1.2.3`, `name-1.2.3`, `name@1.2.3`, `name/v1.2.3`,
/// `v1.2.3`, `1.2.3`), if any.
///
/// `bare`: also accept tags without the crate's name (`v1.2.3`, `1.2.3`),
/// right when the workspace's members share one version.
pub fn tag_baseline(info: &CrateInfo, bare: bool) -> Option<Baseline> {
    let dir = info.manifest.parent().unwrap_or(Path::new("."));
    let current = cargo_metadata::semver::Version::parse(&info.version).ok();
    let tags = super::git::tags(dir);
    let name = &info.name;
    let best = tags
        .iter()
        .filter_map(|t| {
            let v = [
                format!("{name}-v"),
                format!("{name}-"),
                format!("{name}@"),
                format!("{name}/v"),
                "v".into(),
                String::new(),
            ]
            .iter()
            .take(if bare { 6 } else { 4 })
            .find_map(|p| {
                t.strip_prefix(p.as_str())
                    .and_then(|v| cargo_metadata::semver::Version::parse(v).ok())
            })?;
            Some((v, t.to_owned()))
        })
        .filter(|(v, _)| v.pre.is_empty() && current.as_ref().is_none_or(|c| v < c))
        .max();
    best.map(|(_, tag)| Baseline::Git(tag))
}

/// What the snapshots are built with: part of the cache key, so a change
/// of flags never reuses an old snapshot.
const SNAPSHOT_FLAGS: &str = "rustdoc json --document-hidden-items v2";

/// Where the snapshot of `source` (`git <commit>`, `registry <version>`) is cached.
fn cache_path(
    current: &CrateInfo,
    source: &str,
    features: &Features,
    target: Option<&str>,
    rustc_version: &str,
) -> PathBuf {
    let key = format!(
        "{SNAPSHOT_FLAGS}\n{}\n{}\n{}\n{:?}\n{}\n{}\n{}",
        current.name,
        source,
        features.normalized().join(","),
        (features.all_features, features.no_default_features),
        target.unwrap_or("host"),
        rustc_version,
        rustdoc_types::FORMAT_VERSION
    );
    let digest = Sha256::digest(key.as_bytes());
    current
        .target_dir
        .join("relgate")
        .join("compat")
        .join("cache")
        .join(format!(
            "{}.json",
            digest
                .iter()
                .take(16)
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        ))
}

/// The rustdoc JSON of the crate at `commit` (a full hash), from the cache
/// when it is there — without reading the commit's manifest, which only a
/// baseline needs. `choice` is the current side's feature set.
pub fn commit_snapshot(
    commit: &str,
    current: &CrateInfo,
    choice: &FeatureChoice,
    target: Option<&str>,
    rustc_version: &str,
    env: &dyn Env,
) -> Result<(Vec<u8>, FeatureChoice)> {
    let path = cache_path(
        current,
        &format!("git {commit}"),
        &choice.features,
        target,
        rustc_version,
    );
    if let Ok(json) = std::fs::read(&path) {
        return Ok((json, choice.clone()));
    }
    baseline_snapshot(
        &Baseline::Git(commit.to_owned()),
        current,
        Some(&choice.features).filter(|_| choice.reason == EXPLICIT),
        target,
        rustc_version,
        env,
    )
    .map(|(json, _, choice)| (json, choice))
}

/// The current side's rustdoc JSON; an automatic feature choice that
/// does not document falls back to the default features.
pub fn document_current(
    info: &CrateInfo,
    spec: &str,
    choice: FeatureChoice,
    asked: bool,
    target: Option<&str>,
    scratch: &Path,
    env: &dyn Env,
) -> Result<(Vec<u8>, FeatureChoice)> {
    document_with(info, choice, asked, |f| {
        snapshot(info, Some(spec), f, target, scratch, env)
    })
}

/// The reason recorded when the caller named the features.
pub const EXPLICIT: &str = "the features given on the command line";

/// The feature set for a side: the caller's, else [`auto_features`].
pub fn choose_features(info: &CrateInfo, asked: Option<&Features>) -> FeatureChoice {
    match asked {
        Some(f) => FeatureChoice {
            features: f.clone(),
            reason: EXPLICIT.into(),
        },
        None => auto_features(info),
    }
}

/// Documents `info` with `choice`; when an automatic choice other than the
/// default features fails to document, falls back to the default features
/// and says so in the reason. `place` writes the features where cargo reads
/// them and returns the flags for `cargo rustdoc`.
fn document_with(
    info: &CrateInfo,
    choice: FeatureChoice,
    asked: bool,
    mut document: impl FnMut(&Features) -> Result<Vec<u8>>,
) -> Result<(Vec<u8>, FeatureChoice)> {
    match document(&choice.features) {
        Ok(json) => Ok((json, choice)),
        Err(e) if !asked && choice.features != Features::default() => {
            let json = document(&Features::default()).map_err(|_| e)?;
            Ok((
                json,
                FeatureChoice {
                    features: Features::default(),
                    reason: format!(
                        "the default features: {} ({}) did not document for {} {}",
                        describe(&choice.features),
                        choice.reason,
                        info.name,
                        info.version
                    ),
                },
            ))
        }
        Err(e) => Err(e),
    }
}

/// `default`, `all features`, `default + a, b`, `a, b (no default)`.
pub fn describe(f: &Features) -> String {
    if f.all_features {
        return "all features".into();
    }
    let list = f.normalized();
    match (f.no_default_features, list.is_empty()) {
        (false, true) => "default features".into(),
        (false, false) => format!("default features + {}", list.join(", ")),
        (true, true) => "no features".into(),
        (true, false) => format!("{} (no default features)", list.join(", ")),
    }
}

/// The baseline's rustdoc JSON, its package facts (`None` for rustdoc
/// files) and the feature set it was documented with. `features` is what
/// the caller asked for (`None`: choose per [`auto_features`]).
pub fn baseline_snapshot(
    baseline: &Baseline,
    current: &CrateInfo,
    features: Option<&Features>,
    target: Option<&str>,
    rustc_version: &str,
    env: &dyn Env,
) -> Result<(Vec<u8>, Option<CrateInfo>, FeatureChoice)> {
    let work = current.target_dir.join("relgate").join("compat");
    let scratch = work.join("baseline-target");
    let cache_key = |source: &str, f: &Features| cache_path(current, source, f, target, rustc_version);
    // Cached by source and feature set: a hit needs no rustdoc run.
    let cached_or = |info: &CrateInfo, source: &str| -> Result<(Vec<u8>, FeatureChoice)> {
        let choice = choose_features(info, features);
        if let Ok(json) = std::fs::read(cache_key(source, &choice.features)) {
            return Ok((json, choice));
        }
        let (json, choice) = document_with(info, choice, features.is_some(), |f| {
            snapshot(info, None, f, target, &scratch, env)
        })?;
        store_snapshot(&cache_key(source, &choice.features), &json);
        Ok((json, choice))
    };
    match baseline {
        Baseline::Rustdoc(file) => Ok((
            super::inputs::read_limited(file, "baseline rustdoc JSON", super::inputs::MAX_RUSTDOC)?,
            None,
            FeatureChoice {
                features: Features::default(),
                reason: "as built into the rustdoc JSON file (unknown to relgate)".into(),
            },
        )),
        Baseline::Path(p) => {
            let manifest = if p.is_dir() {
                p.join("Cargo.toml")
            } else {
                p.clone()
            };
            if !manifest.is_file() {
                return Err(Error::ManifestNotFound { path: manifest });
            }
            let manifest = std::path::absolute(&manifest).map_err(|_| Error::ManifestNotFound {
                path: manifest.clone(),
            })?;
            let info = crate_info(&manifest, Some(&current.name), env)
                .or_else(|_| crate_info(&manifest, None, env))?;
            let choice = choose_features(&info, features);
            let (json, choice) = document_with(&info, choice, features.is_some(), |f| {
                snapshot(&info, None, f, target, &scratch, env)
            })?;
            Ok((json, Some(info), choice))
        }
        Baseline::Git(rev) => {
            let dir = current.manifest.parent().unwrap_or(Path::new("."));
            let git = |args: &[&str]| -> Result<String> {
                let out = run("git", args, dir, &[])?;
                if !out.status.success() {
                    return Err(Error::InvalidOption(format!(
                        "git {}: {}",
                        args.join(" "),
                        String::from_utf8_lossy(&out.stderr).trim()
                    )));
                }
                Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
            };
            let commit = git(&["rev-parse", "--verify", &format!("{rev}^{{commit}}")])?;
            let top = PathBuf::from(git(&["rev-parse", "--show-toplevel"])?);
            let rel = current
                .manifest
                .strip_prefix(&top)
                .map(Path::to_path_buf)
                .unwrap_or_else(|_| PathBuf::from("Cargo.toml"));
            // The whole tree at the commit, so a member documents inside its
            // own workspace with that workspace's lock file.
            let tree = work.join("git").join(&commit);
            let manifest = tree.join(&rel);
            if !tree.join(".relgate-extracted").is_file() {
                // Extracted beside it and renamed into place: members that
                // share the commit may extract it at the same time.
                static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
                let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let partial = tree.with_extension(format!("partial-{}-{n}", std::process::id()));
                let _ = std::fs::remove_dir_all(&partial);
                std::fs::create_dir_all(&partial).map_err(|source| Error::Write {
                    path: partial.clone(),
                    source,
                })?;
                extract(&top, &commit, &partial)?;
                let _ = std::fs::write(partial.join(".relgate-extracted"), &commit);
                if !tree.join(".relgate-extracted").is_file() {
                    let _ = std::fs::remove_dir_all(&tree);
                }
                if std::fs::rename(&partial, &tree).is_err() {
                    let _ = std::fs::remove_dir_all(&partial);
                }
            }
            if !manifest.is_file() {
                return Err(Error::InvalidOption(format!(
                    "{} does not exist at {rev} ({commit})",
                    rel.display()
                )));
            }
            let info = git_crate_info(&manifest, current, &commit, &rel, rustc_version, env)?;
            let (json, choice) = cached_or(&info, &format!("git {commit}"))?;
            Ok((json, Some(info), choice))
        }
        Baseline::Registry(version) => {
            registry_snapshot(current, version, features, target, rustc_version, env)
        }
    }
}

/// [`crate_info`] of the member at `manifest` in a commit's extracted tree.
/// The commit's files never change, so `cargo metadata --no-deps` of the
/// tree is cached beside its rustdoc snapshots (keyed by commit, member
/// path and toolchain): a warm run asks cargo nothing for the baseline.
fn git_crate_info(
    manifest: &Path,
    current: &CrateInfo,
    commit: &str,
    rel: &Path,
    rustc_version: &str,
    env: &dyn Env,
) -> Result<CrateInfo> {
    let key = cache_path(
        current,
        &format!("git facts {commit} {}", rel.display()),
        &Features::default(),
        None,
        rustc_version,
    );
    let cached = std::fs::read(&key)
        .ok()
        .and_then(|b| serde_json::from_slice::<NoDeps>(&b).ok())
        .filter(|m| m.packages.iter().all(|p| p.manifest_path.is_file()));
    let meta = match cached {
        Some(m) => m,
        None => {
            let stdout =
                cargo_metadata(manifest, true, env)?.map_err(|stderr| Error::CargoMetadata { stderr })?;
            let meta = serde_json::from_slice::<NoDeps>(&stdout).map_err(|e| Error::ToolOutput {
                program: "cargo metadata".into(),
                reason: e.to_string(),
            })?;
            store_snapshot(&key, &stdout);
            meta
        }
    };
    select_package(&meta, manifest, Some(&current.name))
}

/// A version published on crates.io, documented through a placeholder
/// package that depends on exactly that version. The published manifest
/// (features, MSRV, dependencies, docs.rs metadata) is read from `cargo
/// metadata` of the placeholder, so registry baselines carry the same facts
/// as the current side.
fn registry_snapshot(
    current: &CrateInfo,
    version: &str,
    asked: Option<&Features>,
    target: Option<&str>,
    rustc_version: &str,
    env: &dyn Env,
) -> Result<(Vec<u8>, Option<CrateInfo>, FeatureChoice)> {
    let work = current.target_dir.join("relgate").join("compat");
    let place = work.join("registry").join(format!("{}-{version}", current.name));
    let write_placeholder = |features: &Features, all: &[String]| -> Result<PathBuf> {
        let list: Vec<String> = if features.all_features {
            all.to_vec()
        } else {
            features.normalized()
        };
        placeholder(
            &place,
            &format!(
                "{} = {{ version = \"={version}\", default-features = {}, features = [{}] }}",
                current.name,
                features.all_features || !features.no_default_features,
                list.iter()
                    .map(|x| format!("\"{x}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    };
    // 1. The published package's own facts (immutable for a published
    // version, so cached: a warm run asks cargo nothing for the baseline).
    let facts_path = cache_path(
        current,
        &format!("registry facts {version}"),
        &Features::default(),
        None,
        rustc_version,
    );
    let cached_facts = std::fs::read(&facts_path)
        .ok()
        .and_then(|b| serde_json::from_slice::<NoDepsPackage>(&b).ok())
        .filter(|p| p.manifest_path.is_file());
    let pkg = match cached_facts {
        Some(p) => p,
        None => {
            let mpath = write_placeholder(&Features::default(), &[])?;
            let stdout = cargo_metadata(&mpath, false, env)?.map_err(|stderr| {
                if stderr.contains("yanked") {
                    Error::InvalidOption(format!(
                        "{} {version} is yanked on crates.io, so cargo will not resolve it without a lock file that pins it; \
                         compare with git:TAG or path:DIR of that release, or with registry: another version",
                        current.name
                    ))
                } else {
                    Error::InvalidOption(format!(
                        "{} {version} could not be resolved from crates.io: {stderr}",
                        current.name
                    ))
                }
            })?;
            let raw = registry_package(&stdout, &current.name, version)?;
            store_snapshot(&facts_path, raw.as_bytes());
            serde_json::from_str::<NoDepsPackage>(&raw).map_err(|e| Error::ToolOutput {
                program: "cargo metadata".into(),
                reason: e.to_string(),
            })?
        }
    };
    let pkg = &pkg;
    let root = pkg.manifest_path.parent().unwrap_or(Path::new("/")).to_path_buf();
    let info = package_info(pkg, &current.target_dir, &root)?;
    // 2. Document it with the chosen features.
    let source = format!("registry {version}");
    let choice = choose_features(&info, asked);
    let all: Vec<String> = info
        .features_table
        .keys()
        .filter(|f| *f != "default")
        .cloned()
        .collect();
    if let Ok(json) = std::fs::read(cache_path(
        current,
        &source,
        &choice.features,
        target,
        rustc_version,
    )) {
        return Ok((json, Some(info), choice));
    }
    let spec = format!("{}@{version}", current.name);
    let (json, choice) = document_with(&info, choice, asked.is_some(), |f| {
        let placeholder = write_placeholder(f, &all)?;
        let doc_info = CrateInfo {
            manifest: placeholder,
            ..info.clone()
        };
        snapshot(
            &doc_info,
            Some(&spec),
            &Features::default(),
            target,
            &work.join("baseline-target"),
            env,
        )
    })?;
    store_snapshot(
        &cache_path(current, &source, &choice.features, target, rustc_version),
        &json,
    );
    Ok((json, Some(info), choice))
}

/// `git archive COMMIT | tar -x -C DEST`.
fn extract(repo: &Path, commit: &str, dest: &Path) -> Result<()> {
    let mut archive = Command::new("git")
        .args(["archive", "--format=tar", commit])
        .current_dir(repo)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Error::ToolMissing {
            program: "git".into(),
            reason: e.to_string(),
        })?;
    let stdout = archive
        .stdout
        .take()
        .ok_or_else(|| Error::Inconsistent("git archive has no stdout".into()))?;
    let tar = Command::new("tar")
        .args(["-x", "-f", "-", "-C"])
        .arg(dest)
        .stdin(stdout)
        .output()
        .map_err(|e| Error::ToolMissing {
            program: "tar".into(),
            reason: e.to_string(),
        })?;
    let status = archive.wait().map_err(|e| Error::ToolMissing {
        program: "git".into(),
        reason: e.to_string(),
    })?;
    if !status.success() || !tar.status.success() {
        return Err(Error::InvalidOption(format!(
            "could not extract {commit}: {}",
            String::from_utf8_lossy(&tar.stderr).trim()
        )));
    }
    Ok(())
}
