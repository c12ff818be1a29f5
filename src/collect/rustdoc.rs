//! Public-API snapshots: rustdoc JSON on the stable toolchain, and baselines.
//!
//! `cargo rustdoc --lib -- -Z unstable-options --output-format json` under
//! `RUSTC_BOOTSTRAP=<crate>` (scoped to the documented crate, so no
//! dependency sees a "nightly" compiler), in a scratch target directory
//! under `target/relgate/`. Baselines: `git:REV` (extracted with `git
//! archive`, the work tree untouched), `path:DIR`, `registry:VERSION` (the
//! published crate, through a placeholder workspace), `rustdoc:FILE`; by
//! default the highest git tag naming a version below the current one.
//! Snapshots of immutable baselines (a git commit, a registry version) are
//! cached by crate, version, source, features, target and rustc version.

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
    /// Features, MSRV, dependencies.
    pub manifest_facts: Manifest,
}

#[derive(Deserialize)]
struct NoDeps {
    packages: Vec<NoDepsPackage>,
    workspace_members: Vec<String>,
    target_directory: PathBuf,
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
    let cargo = env.var("CARGO").unwrap_or_else(|| "cargo".into());
    let dir = manifest.parent().unwrap_or(Path::new("."));
    let m = manifest.to_string_lossy();
    let out = run(
        &cargo,
        &[
            "metadata",
            "--format-version=1",
            "--no-deps",
            "--color=never",
            "--manifest-path",
            &m,
        ],
        dir,
        &[],
    )?;
    if !out.status.success() {
        return Err(Error::CargoMetadata {
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        });
    }
    let meta: NoDeps = serde_json::from_slice(&out.stdout).map_err(|e| Error::ToolOutput {
        program: "cargo metadata".into(),
        reason: e.to_string(),
    })?;
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
        target_dir: meta.target_directory.clone(),
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
    let f = features.normalized();
    if !f.is_empty() {
        args.push(format!("--features={}", f.join(",")));
    }
    if features.all_features {
        args.push("--all-features".into());
    }
    if features.no_default_features {
        args.push("--no-default-features".into());
    }
    if let Some(t) = target {
        args.extend(["--target".into(), t.into()]);
    }
    args.extend([
        "--".into(),
        "-Z".into(),
        "unstable-options".into(),
        "--output-format".into(),
        "json".into(),
        "--cap-lints".into(),
        "allow".into(),
    ]);
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
    let doc = match target {
        Some(t) => scratch.join(t).join("doc"),
        None => scratch.join("doc"),
    };
    let file = doc.join(format!("{}.json", info.lib_name));
    std::fs::read(&file).map_err(|e| Error::Input {
        what: "rustdoc JSON",
        path: file,
        reason: e.to_string(),
    })
}

/// Where the baseline comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Baseline {
    /// A git revision of this repository.
    Git(String),
    /// A crate directory (or its Cargo.toml).
    Path(PathBuf),
    /// A version published on crates.io.
    Registry(String),
    /// A prebuilt rustdoc JSON file.
    Rustdoc(PathBuf),
}

impl std::str::FromStr for Baseline {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.split_once(':') {
            Some(("git", r)) if !r.is_empty() => Ok(Baseline::Git(r.into())),
            Some(("path", p)) if !p.is_empty() => Ok(Baseline::Path(p.into())),
            Some(("registry", v)) if !v.is_empty() => Ok(Baseline::Registry(v.into())),
            Some(("rustdoc", f)) if !f.is_empty() => Ok(Baseline::Rustdoc(f.into())),
            _ => Err(format!(
                "`{s}` is not a baseline: use git:REV, path:DIR, registry:VERSION or rustdoc:FILE"
            )),
        }
    }
}

impl std::fmt::Display for Baseline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Baseline::Git(r) => write!(f, "git:{r}"),
            Baseline::Path(p) => write!(f, "path:{}", p.display()),
            Baseline::Registry(v) => write!(f, "registry:{v}"),
            Baseline::Rustdoc(p) => write!(f, "rustdoc:{}", p.display()),
        }
    }
}

/// The default baseline: the highest git tag that names a version below `current`
/// (`v1.2.3`, `1.2.3`, `NAME-v1.2.3`, `NAME-1.2.3`, `NAME@1.2.3`, `NAME/v1.2.3`).
pub fn default_baseline(info: &CrateInfo) -> Result<Baseline> {
    tag_baseline(info).ok_or_else(|| {
        Error::InvalidOption(format!(
            "no git tag names a version of {} below {}; pass --baseline git:REV, path:DIR, registry:VERSION or rustdoc:FILE",
            info.name, info.version
        ))
    })
}

/// The highest git tag naming a release of the crate below its current
/// version (`name-v1.2.3`, `name-1.2.3`, `name@1.2.3`, `name/v1.2.3`,
/// `v1.2.3`, `1.2.3`), if any.
pub fn tag_baseline(info: &CrateInfo) -> Option<Baseline> {
    let dir = info.manifest.parent().unwrap_or(Path::new("."));
    let current = cargo_metadata::semver::Version::parse(&info.version).ok();
    let tags = run("git", &["tag", "--list"], dir, &[])
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    let name = &info.name;
    let best = tags
        .lines()
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

/// Where the snapshot of `source` (`git <commit>`, `registry <version>`) is cached.
fn cache_path(
    current: &CrateInfo,
    source: &str,
    features: &Features,
    target: Option<&str>,
    rustc_version: &str,
) -> PathBuf {
    let key = format!(
        "{}\n{}\n{}\n{:?}\n{}\n{}\n{}",
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
/// baseline needs.
pub fn commit_snapshot(
    commit: &str,
    current: &CrateInfo,
    features: &Features,
    target: Option<&str>,
    rustc_version: &str,
    env: &dyn Env,
) -> Result<Vec<u8>> {
    let path = cache_path(current, &format!("git {commit}"), features, target, rustc_version);
    if let Ok(json) = std::fs::read(&path) {
        return Ok(json);
    }
    baseline_snapshot(
        &Baseline::Git(commit.to_owned()),
        current,
        features,
        target,
        rustc_version,
        env,
    )
    .map(|(json, _)| json)
}

/// The baseline's rustdoc JSON and its package facts (`None` for rustdoc files).
pub fn baseline_snapshot(
    baseline: &Baseline,
    current: &CrateInfo,
    features: &Features,
    target: Option<&str>,
    rustc_version: &str,
    env: &dyn Env,
) -> Result<(Vec<u8>, Option<CrateInfo>)> {
    let work = current.target_dir.join("relgate").join("compat");
    let cache_key = |source: &str| cache_path(current, source, features, target, rustc_version);
    let cached = |path: &Path, info: CrateInfo| -> Option<(Vec<u8>, Option<CrateInfo>)> {
        std::fs::read(path).ok().map(|b| (b, Some(info)))
    };
    let store = |path: &Path, bytes: &[u8]| {
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = crate::write::file_atomic(path, bytes);
    };
    match baseline {
        Baseline::Rustdoc(file) => Ok((super::inputs::read(file, "baseline rustdoc JSON")?, None)),
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
            let json = snapshot(&info, None, features, target, &work.join("baseline-target"), env)?;
            Ok((json, Some(info)))
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
            let tree = work.join("git").join(&commit);
            let manifest = tree.join(&rel);
            if !manifest.is_file() {
                let _ = std::fs::remove_dir_all(&tree);
                std::fs::create_dir_all(&tree).map_err(|source| Error::Write {
                    path: tree.clone(),
                    source,
                })?;
                extract(dir, &commit, &tree)?;
            }
            if !manifest.is_file() {
                return Err(Error::InvalidOption(format!(
                    "{} does not exist at {rev} ({commit})",
                    rel.display()
                )));
            }
            let info = crate_info(&manifest, Some(&current.name), env)?;
            let path = cache_key(&format!("git {commit}"));
            if let Some(hit) = cached(&path, info.clone()) {
                return Ok(hit);
            }
            let json = snapshot(&info, None, features, target, &work.join("baseline-target"), env)?;
            store(&path, &json);
            Ok((json, Some(info)))
        }
        Baseline::Registry(version) => {
            let place = work.join("registry").join(format!("{}-{version}", current.name));
            std::fs::create_dir_all(place.join("src")).map_err(|source| Error::Write {
                path: place.clone(),
                source,
            })?;
            let f = features.normalized();
            let manifest = format!(
                "[package]\nname = \"relgate-baseline-placeholder\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n[workspace]\n\n[dependencies]\n{} = {{ version = \"={version}\", default-features = {}, features = [{}] }}\n",
                current.name,
                !features.no_default_features,
                f.iter().map(|x| format!("\"{x}\"")).collect::<Vec<_>>().join(", ")
            );
            let mpath = place.join("Cargo.toml");
            std::fs::write(&mpath, manifest).map_err(|source| Error::Write {
                path: mpath.clone(),
                source,
            })?;
            std::fs::write(place.join("src/lib.rs"), "").map_err(|source| Error::Write {
                path: place.clone(),
                source,
            })?;
            let info = CrateInfo {
                name: current.name.clone(),
                version: version.clone(),
                lib_name: current.lib_name.clone(),
                manifest: mpath.clone(),
                target_dir: current.target_dir.clone(),
                manifest_facts: Manifest::default(),
            };
            let path = cache_key(&format!("registry {version}"));
            if let Some(hit) = cached(&path, info.clone()) {
                return Ok(hit);
            }
            let spec = format!("{}@{version}", current.name);
            let json = snapshot(
                &info,
                Some(&spec),
                &Features::default(),
                target,
                &work.join("baseline-target"),
                env,
            )?;
            store(&path, &json);
            Ok((json, Some(info)))
        }
    }
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
