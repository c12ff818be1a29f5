//! The only phase that reads the outside world.
//!
//! [`gather`] runs one `cargo metadata --locked` and, at the same time on
//! another thread, `rustc -vV`, `rustc --print cfg` and git; works out
//! what cargo builds for the selected packages by replaying its feature
//! resolver over the metadata ([`features`]; a resolver-1 workspace asks
//! `cargo tree -e normal,build` and is pruned by [`cargo::keep_only`]); reads
//! `Cargo.lock`, the license files it needs and the root manifest (what
//! `cargo metadata` does not report: its feature resolver and
//! `[workspace.package] license`), and turns all of it into
//! [`ReleaseFacts`]. A program that exits with an error is
//! [`crate::Error::ToolFailed`] with what it printed (`process::failed`). Platform-specific dependencies are decided here, from
//! rustc's cfg values: normal dependencies for the target, build
//! dependencies for the host (where build scripts run).
//! Turning raw inputs into facts is a pure function ([`cargo::facts_from`])
//! so tests can feed it recorded or shuffled inputs.
//!
//! For a release, [`release`] reads the rest: the contract, the schemas and
//! their lock, the ledger, the build (`cargo build --release --locked`),
//! the tests (libtest's result lines) and relgate's own resource use;
//! [`rustdoc`] documents both sides of compat (with a commit-keyed cache);
//! [`advisories`] reads a local RustSec advisory database (bounded, dated
//! by its last git commit) and [`index_cache`] cargo's local crates.io
//! index cache (yanked versions, offline); [`archives`] hashes the `.crate` archives cargo downloaded (SBOM
//! profiles); [`inputs`] reads keys and bundles, [`artifacts`] hashes files and reads
//! checksum files, [`probe`] answers path questions and span timestamps
//! for the rest of the crate.

pub mod advisories;
pub mod archives;
pub mod artifacts;
pub mod auditable;
pub mod cargo;
pub mod features;
pub mod git;
pub mod index_cache;
pub mod inputs;
pub mod lockfile;
pub mod metadata;
pub mod probe;
mod process;
pub mod release;
pub mod rustdoc;
pub mod toolchain;

use std::path::{Path, PathBuf};

use crate::config::Scope;
use crate::error::{Error, Result};
use crate::facts::ReleaseFacts;

/// The parts of the environment relgate consults, injectable for tests.
pub trait Env: Sync {
    /// An environment variable, if set and valid UTF-8.
    fn var(&self, name: &str) -> Option<String>;
    /// The current time in Unix seconds.
    fn now(&self) -> i64;
    /// The current time in Unix nanoseconds, for span and stage timings
    /// (documented timing fields); the system clock unless overridden.
    fn now_nanos(&self) -> u128 {
        probe::nanos()
    }
}

/// The real process environment and clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemEnv;

impl Env for SystemEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
    fn now(&self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0)
    }
}

/// Document timestamp: `SOURCE_DATE_EPOCH` when set, else the clock.
pub fn document_timestamp(env: &dyn Env) -> Result<i64> {
    match env.var("SOURCE_DATE_EPOCH") {
        None => Ok(env.now()),
        Some(v) => v
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|t| *t >= 0 && *t < 253_402_300_800) // before year 10000
            .ok_or(Error::BadSourceDateEpoch { value: v }),
    }
}

/// A fresh invocation id, `urn:uuid:<random v4>`, from the OS's randomness.
pub fn random_invocation_id() -> Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|e| Error::Inconsistent(format!("no randomness from the OS: {e}")))?;
    Ok(format!(
        "urn:uuid:{}",
        uuid::Builder::from_random_bytes(bytes).into_uuid()
    ))
}

/// The absolute path of `manifest`, or `./Cargo.toml` when none is given.
pub fn manifest_or_cwd(manifest: Option<&Path>) -> Result<PathBuf> {
    match manifest {
        Some(p) => std::path::absolute(p).map_err(|_| Error::ManifestNotFound {
            path: p.to_path_buf(),
        }),
        None => std::env::current_dir()
            .map(|d| d.join("Cargo.toml"))
            .map_err(|e| Error::InvalidOption(format!("cannot read the current directory: {e}"))),
    }
}

/// Reads the workspace selected by `scope` and returns its facts.
pub fn gather(scope: &Scope, env: &dyn Env) -> Result<ReleaseFacts> {
    gather_inner(scope, env, None, &mut || None)
}

/// What a release already read at preflight: the git state, the toolchain
/// and the host's cfg values.
pub type Known = (
    Option<crate::facts::Git>,
    crate::facts::Toolchain,
    Vec<toolchain::Cfg>,
);

/// [`gather`] with the git state already read (a release reads it once, at
/// preflight) and, when given, `cargo metadata` already run.
pub fn gather_with_git(
    scope: &Scope,
    env: &dyn Env,
    known: Known,
    prefetched: &mut dyn FnMut() -> Option<Prefetched>,
) -> Result<ReleaseFacts> {
    gather_inner(scope, env, Some(known), prefetched)
}

/// `cargo metadata --locked` run ahead of time (a release starts it before
/// preflight, so the longest read overlaps the checks); [`gather_with_git`]
/// uses it only for the same manifest and the default features.
pub struct Prefetched {
    manifest: PathBuf,
    metadata: Result<metadata::Metadata>,
}

/// Runs `cargo metadata --locked` for the absolute `manifest`, with the
/// default features, on the caller's thread.
pub fn prefetch_metadata(manifest: &Path, env: &dyn Env) -> Prefetched {
    let dir = manifest.parent().map(Path::to_path_buf).unwrap_or_default();
    let scope = Scope {
        manifest_path: Some(manifest.to_path_buf()),
        ..Scope::default()
    };
    Prefetched {
        manifest: manifest.to_path_buf(),
        metadata: cargo::metadata(&scope, Some(manifest), env, &dir),
    }
}

fn gather_inner(
    scope: &Scope,
    env: &dyn Env,
    known: Option<Known>,
    prefetched: &mut dyn FnMut() -> Option<Prefetched>,
) -> Result<ReleaseFacts> {
    let timestamp = document_timestamp(env)?;
    let manifest = manifest_path(scope)?;
    let manifest_dir = match &manifest {
        Some(m) => m.parent().map(Path::to_path_buf).unwrap_or_default(),
        None => std::env::current_dir()
            .map_err(|e| Error::InvalidOption(format!("cannot read the current directory: {e}")))?,
    };
    let lock_path = find_lockfile(&manifest_dir)?;
    let dir = manifest_dir.as_path();

    // Only cargo metadata takes long. Everything else runs beside it, one
    // process at a time on one thread, so it never takes more than the one
    // core cargo leaves free.
    std::thread::scope(|s| {
        let side = s.spawn(|| {
            let (toolchain, git, host_cfg) = match known {
                Some((g, t, c)) => (Ok(t), g, Ok(c)),
                None => (
                    toolchain::version(env, dir),
                    git::read(dir),
                    toolchain::cfg(env, dir, None),
                ),
            };
            let target_cfg = scope.target.as_deref().map(|t| toolchain::cfg(env, dir, Some(t)));
            // Read beside cargo too: the lock file found first is almost
            // always the workspace's (checked below, once metadata says).
            let lock = lockfile::read(&lock_path);
            (toolchain, host_cfg, target_cfg, git, lock)
        });
        // Joined only now, so the side thread's reads run beside it.
        let reusable = prefetched().filter(|p| {
            manifest.as_deref() == Some(p.manifest.as_path())
                && scope.features == crate::config::Features::default()
        });
        let metadata = match reusable {
            Some(p) => p.metadata,
            None => cargo::metadata(scope, manifest.as_deref(), env, dir),
        };
        let (toolchain, host_cfg, target_cfg, git, lock) = side
            .join()
            .map_err(|_| Error::Inconsistent("the toolchain/git collector thread panicked".into()))?;
        let toolchain = toolchain?;
        let host_cfg = host_cfg?;
        let target_cfg = match target_cfg {
            Some(t) => t?,
            None => host_cfg.clone(),
        };
        let metadata = metadata?;
        let workspace_root = PathBuf::from(metadata.workspace_root.as_std_path());
        let lock = if lock_path.parent() == Some(workspace_root.as_path()) {
            lock?
        } else {
            // The lock file found first belongs to an enclosing directory, not
            // this workspace; cargo's --locked run proves one exists at the root.
            lockfile::read(&workspace_root.join("Cargo.lock"))?
        };
        let RootManifest {
            resolver,
            license: workspace_license,
        } = root_manifest(&workspace_root, &metadata)?;
        // Named packages are described as cargo builds them alone, not with
        // features unified across the workspace: replayed from the metadata
        // (resolver 2 and 3), or listed by `cargo tree` (resolver 1, with
        // `--workspace` when no package is named).
        let tree = (resolver == cargo::FeatureResolver::V1).then(|| {
            let target = scope.target.as_deref().unwrap_or(&toolchain.host);
            cargo::tree(scope, manifest.as_deref(), target, env, dir)
        });
        let target = scope.target.clone().unwrap_or_else(|| toolchain.host.clone());
        let input = cargo::Input {
            metadata,
            lock,
            scope,
            target,
            target_cfg,
            host_cfg,
            toolchain,
            git,
            timestamp,
            resolver,
            workspace_license,
        };
        let mut facts = cargo::facts_from(input, &read_text_file)?;
        if let Some(tree) = tree {
            cargo::keep_only(&mut facts, &tree?)?;
        }
        Ok(facts)
    })
}

/// What relgate reads from the root manifest itself (`cargo metadata` does
/// not report it).
struct RootManifest {
    resolver: cargo::FeatureResolver,
    /// `[workspace.package] license`.
    license: Option<String>,
}

/// The root manifest's facts. The workspace's feature resolver: `resolver`
/// in the root manifest's `[workspace]` or `[package]`, else the root
/// package's edition (2021 and later mean 2); a virtual workspace without
/// `resolver` uses 1, as cargo does.
fn root_manifest(root: &Path, metadata: &metadata::Metadata) -> Result<RootManifest> {
    let path = root.join("Cargo.toml");
    let bytes = inputs::read_limited(&path, "workspace manifest", inputs::MAX_DOCUMENT)?;
    let text = String::from_utf8_lossy(&bytes);
    let doc: toml::Table = toml::from_str(&text).map_err(|e| Error::Input {
        what: "workspace manifest",
        path: path.clone(),
        reason: e.to_string(),
    })?;
    let declared = ["workspace", "package"]
        .iter()
        .find_map(|t| doc.get(*t)?.get("resolver")?.as_str().map(str::to_owned));
    let v1 = match declared {
        Some(r) => r == "1",
        None => {
            let root_id = metadata.resolve.as_ref().and_then(|r| r.root.as_ref());
            let edition = root_id
                .and_then(|id| metadata.packages.iter().find(|p| &p.id == id))
                .map(|p| p.edition.as_str());
            !matches!(edition, Some(e) if e >= "2021")
        }
    };
    let license = doc
        .get("workspace")
        .and_then(|w| w.get("package"))
        .and_then(|p| p.get("license"))
        .and_then(|l| l.as_str())
        .map(str::to_owned);
    Ok(RootManifest {
        resolver: if v1 {
            cargo::FeatureResolver::V1
        } else {
            cargo::FeatureResolver::V2
        },
        license,
    })
}

/// A license file's text: a regular file of at most 1 MiB (a device or FIFO
/// named as `license-file` is skipped, never read).
fn read_text_file(path: &Path) -> Option<String> {
    let bytes = inputs::read_limited(path, "license file", 1 << 20).ok()?;
    String::from_utf8(bytes).ok()
}

/// The absolute manifest path, when one was given.
fn manifest_path(scope: &Scope) -> Result<Option<PathBuf>> {
    let Some(p) = &scope.manifest_path else {
        return Ok(None);
    };
    if !p.is_file() {
        return Err(Error::ManifestNotFound { path: p.clone() });
    }
    std::path::absolute(p)
        .map(Some)
        .map_err(|_| Error::ManifestNotFound { path: p.clone() })
}

/// `Cargo.lock` lives at the workspace root: the manifest's directory or an ancestor.
fn find_lockfile(manifest_dir: &Path) -> Result<PathBuf> {
    manifest_dir
        .ancestors()
        .map(|d| d.join("Cargo.lock"))
        .find(|p| p.is_file())
        .ok_or_else(|| Error::MissingLockfile {
            workspace_root: manifest_dir.to_path_buf(),
        })
}

/// What a provenance statement records about the workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvenanceInputs {
    /// Commit and dirty state.
    pub git: Option<crate::facts::Git>,
    /// Remote and ref.
    pub origin: git::Origin,
    /// The manifest, relative to the repository root (`Cargo.toml` outside git).
    pub workspace: String,
    /// SHA-256 of the workspace's Cargo.lock, when there is one.
    pub lock_sha256: Option<String>,
    /// rustc release and host.
    pub toolchain: crate::facts::Toolchain,
    /// Target triple (the host unless given).
    pub target: String,
}

/// The provenance inputs of a workspace whose facts are already gathered:
/// git state, toolchain and target come from `facts`; only the remote and
/// the lock file's digest are read.
pub fn provenance_inputs_from(
    manifest: &Path,
    facts: &ReleaseFacts,
    origin: git::Origin,
) -> Result<ProvenanceInputs> {
    let dir = manifest.parent().map(Path::to_path_buf).unwrap_or_default();
    let workspace = match &origin.toplevel {
        Some(top) => cargo::relative_path(top, manifest),
        None => "Cargo.toml".into(),
    };
    let lock_sha256 = match find_lockfile(&dir) {
        Ok(lock) => Some(artifacts::sha256_file(&lock)?),
        Err(_) => None,
    };
    Ok(ProvenanceInputs {
        git: facts.git.clone(),
        origin,
        workspace,
        lock_sha256,
        target: facts.selection.target.clone(),
        toolchain: facts.toolchain.clone(),
    })
}

/// Reads the workspace facts a provenance statement records. Needs no
/// `cargo metadata`: the manifest's directory, its git checkout, the
/// nearest Cargo.lock and rustc.
pub fn provenance_inputs(
    manifest: Option<&Path>,
    target: Option<&str>,
    env: &dyn Env,
) -> Result<ProvenanceInputs> {
    let manifest = manifest_or_cwd(manifest)?;
    let dir = manifest.parent().map(Path::to_path_buf).unwrap_or_default();
    let toolchain = toolchain::version(env, &dir)?;
    let (git, origin) = git::read_with_origin(&dir);
    let workspace = match &origin.toplevel {
        Some(top) => cargo::relative_path(top, &manifest),
        None => "Cargo.toml".into(),
    };
    let lock_sha256 = match find_lockfile(&dir) {
        Ok(lock) => Some(artifacts::sha256_file(&lock)?),
        Err(_) => None,
    };
    Ok(ProvenanceInputs {
        git,
        origin,
        workspace,
        lock_sha256,
        target: target
            .map(str::to_owned)
            .unwrap_or_else(|| toolchain.host.clone()),
        toolchain,
    })
}
