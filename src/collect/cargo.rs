//! `cargo metadata` → packages, dependency edges and workspace facts.
//!
//! [`metadata`] runs cargo once, with `--locked` (relgate never rewrites
//! `Cargo.lock`), exactly as a user would. [`facts_from`] is pure: it keeps
//! the dependency edges whose platform matches (normal and dev edges for the
//! target, build edges for the host) and only touches the world through the
//! `read_text` callback it is given for license files.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Component, Path, PathBuf};

pub use super::metadata::Metadata;
use cargo_metadata::{DependencyKind, TargetKind};

use super::lockfile::Lockfile;
use super::process::{failed, run};
use super::toolchain::Cfg;
use super::Env;
use crate::config::Scope;
use crate::error::{Error, Result};
use crate::facts::{
    DepKinds, Git, LicenseFile, Package, PackageId, RegistryIndex, ReleaseFacts, Selection, Source,
    Toolchain, Workspace,
};

/// Runs `cargo metadata` for the scope and parses its output.
pub fn metadata(scope: &Scope, manifest: Option<&Path>, env: &dyn Env, cwd: &Path) -> Result<Metadata> {
    let cargo = env.var("CARGO").unwrap_or_else(|| "cargo".into());
    let mut args: Vec<String> = vec![
        "metadata".into(),
        "--format-version=1".into(),
        "--locked".into(),
        "--color=never".into(),
    ];
    if let Some(p) = manifest {
        args.push("--manifest-path".into());
        args.push(p.to_string_lossy().into_owned());
    }
    args.extend(scope.features.cargo_args());
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run(&cargo, &argv, cwd, &[])?;
    if !out.status.success() {
        return Err(Error::CargoMetadata {
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        });
    }
    serde_json::from_slice(&out.stdout).map_err(|e| Error::ToolOutput {
        program: "cargo metadata".into(),
        reason: e.to_string(),
    })
}

/// Everything [`facts_from`] needs, already read.
pub struct Input<'a> {
    /// Parsed `cargo metadata` output.
    pub metadata: Metadata,
    /// Parsed `Cargo.lock`.
    pub lock: Lockfile,
    /// The requested scope.
    pub scope: &'a Scope,
    /// Target triple dependencies are resolved for.
    pub target: String,
    /// `rustc --print cfg` for the target.
    pub target_cfg: Vec<Cfg>,
    /// `rustc --print cfg` for the host (build dependencies run there).
    pub host_cfg: Vec<Cfg>,
    /// Toolchain facts.
    pub toolchain: Toolchain,
    /// Git facts.
    pub git: Option<Git>,
    /// Document timestamp.
    pub timestamp: i64,
    /// The workspace's feature resolver, which decides how named packages
    /// are pruned (see [`FeatureResolver`]).
    pub resolver: FeatureResolver,
    /// `[workspace.package] license` of the root manifest.
    pub workspace_license: Option<String>,
}

/// The workspace's feature resolver (`resolver = ...`, or the root's edition).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeatureResolver {
    /// Resolver 1: the facts are pruned to `cargo tree`'s list afterwards
    /// ([`keep_only`]); `facts_from` keeps every edge of the resolve that
    /// holds on the target or the host.
    V1,
    /// Resolver 2 or 3: `facts_from` replays cargo's feature resolution for
    /// the named packages ([`super::features`]).
    V2,
}

/// Builds [`ReleaseFacts`] from raw inputs. `read_text` reads a license file.
pub fn facts_from(input: Input<'_>, read_text: &dyn Fn(&Path) -> Option<String>) -> Result<ReleaseFacts> {
    let Input {
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
    } = input;
    let root_dir = PathBuf::from(metadata.workspace_root.as_std_path());
    let mut warnings = Vec::new();

    // Map cargo's opaque ids (which embed absolute paths) to relocatable ids.
    let mut ids: HashMap<&cargo_metadata::PackageId, PackageId> = HashMap::new();
    for p in &metadata.packages {
        let source = match &p.source {
            None => {
                let dir = p
                    .manifest_path
                    .parent()
                    .map(|d| d.as_std_path())
                    .unwrap_or(Path::new(""));
                Source::Path {
                    path: relative_path(&root_dir, dir),
                }
            }
            Some(s) => parse_source(&s.repr, &root_dir)?,
        };
        let id = PackageId {
            name: p.name.clone(),
            version: p.version.clone(),
            source,
        };
        ids.insert(&p.id, id);
    }
    let id_of = |cid: &cargo_metadata::PackageId| {
        ids.get(cid)
            .cloned()
            .ok_or_else(|| Error::Inconsistent(format!("resolve names unknown package {cid}")))
    };

    let members: BTreeSet<PackageId> = metadata
        .workspace_members
        .iter()
        .map(id_of)
        .collect::<Result<_>>()?;
    let resolve = metadata
        .resolve
        .as_ref()
        .ok_or_else(|| Error::Inconsistent("cargo metadata returned no resolve graph".into()))?;

    let mut deps_of: HashMap<PackageId, BTreeMap<PackageId, DepKinds>> = HashMap::new();
    for node in &resolve.nodes {
        let mut deps = BTreeMap::new();
        for d in &node.deps {
            let mut kinds = DepKinds::default();
            for k in &d.dep_kinds {
                // Build scripts run on the host; everything else on the target.
                let (platform_name, cfg) = match k.kind {
                    DependencyKind::Build => (toolchain.host.as_str(), &host_cfg),
                    _ => (target.as_str(), &target_cfg),
                };
                // Under resolver 1 `cargo tree` bounds the package set, and a
                // package may be built on the host (below a build dependency
                // or proc-macro): an edge for either platform is kept.
                let on_host = resolver == FeatureResolver::V1
                    && k.target
                        .as_ref()
                        .is_none_or(|p| p.matches(&toolchain.host, &host_cfg));
                if !k.target.as_ref().is_none_or(|p| p.matches(platform_name, cfg)) && !on_host {
                    continue;
                }
                match k.kind {
                    DependencyKind::Build => kinds.build = true,
                    DependencyKind::Development => kinds.dev = true,
                    _ => kinds.normal = true,
                }
            }
            if d.dep_kinds.is_empty() {
                kinds.normal = true; // cargo older than 1.41 reports no kinds
            }
            if kinds != DepKinds::default() {
                deps.insert(id_of(&d.pkg)?, kinds);
            }
        }
        deps_of.insert(id_of(&node.id)?, deps);
    }

    let mut packages = BTreeMap::new();
    for p in &metadata.packages {
        let id = id_of(&p.id)?;
        let source_repr = p.source.as_ref().map(|s| s.repr.as_str());
        let checksum = source_repr
            .and_then(|s| lock.checksum(&p.name, &id.version, s))
            .map(str::to_owned);
        if matches!(id.source, Source::Registry { .. }) && checksum.is_none() {
            warnings.push(format!("{id}: Cargo.lock records no checksum"));
        }
        let license_file = p.license_file.as_ref().map(|lf| {
            let pkg_dir = p
                .manifest_path
                .parent()
                .map(|d| d.as_std_path())
                .unwrap_or(Path::new(""));
            let text = read_text(&pkg_dir.join(lf.as_std_path()));
            if text.is_none() {
                warnings.push(format!(
                    "{id}: license file `{lf}` could not be read as UTF-8 text"
                ));
            }
            LicenseFile {
                path: lf.as_str().replace('\\', "/"),
                text,
            }
        });
        let non_empty =
            |s: &Option<String>| s.as_ref().map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let package = Package {
            description: non_empty(&p.description)
                .map(|d| d.split_whitespace().collect::<Vec<_>>().join(" ")),
            authors: p
                .authors
                .iter()
                .map(|a| a.trim().to_owned())
                .filter(|a| !a.is_empty())
                .collect(),
            license: non_empty(&p.license),
            license_file,
            repository: non_empty(&p.repository),
            homepage: non_empty(&p.homepage),
            documentation: non_empty(&p.documentation),
            archive: checksum.as_ref().and_then(|_| {
                super::archives::archive_path(p.manifest_path.as_std_path(), &p.name, &id.version)
            }),
            checksum,
            workspace_member: members.contains(&id),
            publishable: p.publish.as_ref().is_none_or(|r| !r.is_empty()),
            has_bin: p.targets.iter().any(|t| t.kind.contains(&TargetKind::Bin)),
            proc_macro: p.targets.iter().any(|t| t.kind.contains(&TargetKind::ProcMacro)),
            deps: deps_of.remove(&id).unwrap_or_default(),
            id: id.clone(),
        };
        if packages.insert(id.clone(), package).is_some() {
            return Err(Error::Inconsistent(format!("two packages map to {id}")));
        }
    }

    let roots = select_roots(scope, &members)?;
    if resolver == FeatureResolver::V2 {
        let cargo_roots: Vec<&cargo_metadata::PackageId> = metadata
            .packages
            .iter()
            .map(|p| &p.id)
            .filter(|cid| ids.get(cid).is_some_and(|id| roots.contains(id)))
            .collect();
        let built = super::features::selected(
            &metadata,
            &cargo_roots,
            &scope.features,
            &super::features::Platformed {
                triple: &target,
                cfg: &target_cfg,
            },
            &super::features::Platformed {
                triple: &toolchain.host,
                cfg: &host_cfg,
            },
        )?;
        let keep: BTreeSet<PackageId> = built.packages.iter().map(id_of).collect::<Result<_>>()?;
        retain(&mut packages, &keep);
        // The edges cargo follows, each on the side it is built for (a build
        // dependency's own dependencies are chosen by the host's cfg).
        for p in packages.values_mut() {
            p.deps.clear();
        }
        for ((from, to), kinds) in &built.edges {
            if let Some(p) = packages.get_mut(&id_of(from)?) {
                p.deps.insert(id_of(to)?, *kinds);
            }
        }
    }
    let relgate_meta = metadata.workspace_metadata.get("relgate");
    let meta_str = |key: &str| {
        relgate_meta
            .and_then(|m| m.get(key))
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    };
    let root_package = resolve.root.as_ref().map(id_of).transpose()?;
    let name = meta_str("name")
        .or_else(|| root_package.as_ref().map(|r| r.name.clone()))
        .or_else(|| root_dir.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "workspace".into());
    let workspace = Workspace {
        name,
        version: meta_str("version"),
        supplier: meta_str("supplier"),
        license: workspace_license,
        root_package,
        members,
    };
    let selection = Selection {
        target_is_host: scope.target.is_none() || scope.target.as_deref() == Some(toolchain.host.as_str()),
        target,
        features: scope.features.normalized(),
        all_features: scope.features.all_features,
        no_default_features: scope.features.no_default_features,
    };
    warnings.sort();
    warnings.dedup();
    let facts = ReleaseFacts {
        workspace,
        packages,
        roots,
        selection,
        toolchain,
        git,
        timestamp,
        warnings,
    };
    drop(ids);
    discard(metadata);
    Ok(facts)
}

/// Frees a large value on a thread of its own: `cargo metadata` of a
/// 400-package workspace takes milliseconds to free, and nothing waits
/// for it (inline when no thread can be started).
fn discard<T: Send + 'static>(value: T) {
    // When the thread cannot start, the closure (and the value) is dropped here.
    let _ = std::thread::Builder::new()
        .name("relgate-free".into())
        .spawn(move || drop(value));
}

fn select_roots(scope: &Scope, members: &BTreeSet<PackageId>) -> Result<BTreeSet<PackageId>> {
    if scope.packages.is_empty() {
        return Ok(members.clone());
    }
    let mut roots = BTreeSet::new();
    for wanted in &scope.packages {
        let (name, version) = match wanted.split_once('@') {
            Some((n, v)) => (n, Some(v)),
            None => (wanted.as_str(), None),
        };
        let found: Vec<_> = members
            .iter()
            .filter(|m| m.name == name && version.is_none_or(|v| m.version == v))
            .collect();
        if found.is_empty() {
            let names: Vec<_> = members.iter().map(|m| m.name.as_str()).collect();
            return Err(Error::UnknownPackage {
                name: wanted.clone(),
                members: names.join(", "),
            });
        }
        roots.extend(found.into_iter().cloned());
    }
    Ok(roots)
}

/// Parses cargo's source string (`registry+URL`, `sparse+URL`, `git+URL?ref#commit`).
fn parse_source(repr: &str, root_dir: &Path) -> Result<Source> {
    const CRATES_IO: [&str; 2] = [
        "registry+https://github.com/rust-lang/crates.io-index",
        "sparse+https://index.crates.io/",
    ];
    if CRATES_IO.contains(&repr) {
        return Ok(Source::Registry {
            index: RegistryIndex::CratesIo,
        });
    }
    if let Some(url) = repr.strip_prefix("registry+") {
        return Ok(Source::Registry {
            index: RegistryIndex::Other(url.to_owned()),
        });
    }
    if repr.starts_with("sparse+") {
        return Ok(Source::Registry {
            index: RegistryIndex::Other(repr.to_owned()),
        });
    }
    if let Some(rest) = repr.strip_prefix("git+") {
        let (before, commit) = rest
            .split_once('#')
            .ok_or_else(|| Error::Inconsistent(format!("git source without a commit: {repr}")))?;
        let (url, query) = match before.split_once('?') {
            Some((u, q)) => (u, Some(q.to_owned())),
            None => (before, None),
        };
        return Ok(Source::Git {
            url: relocatable_url(url, root_dir),
            commit: commit.to_owned(),
            reference: query,
        });
    }
    if let Some(path) = repr.strip_prefix("path+file://") {
        return Ok(Source::Path {
            path: relative_path(root_dir, Path::new(path)),
        });
    }
    Err(Error::Inconsistent(format!("unknown package source {repr}")))
}

/// `file://` URLs point into the build machine; keep them relative to the workspace root.
fn relocatable_url(url: &str, root_dir: &Path) -> String {
    match url.strip_prefix("file://") {
        Some(path) => format!(
            "file:{}",
            relative_path(root_dir, Path::new(&percent_decode(path)))
        ),
        None => super::git::strip_credentials(url),
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `path` relative to `base`, `/`-separated, `.` when equal; `..` where it leaves `base`.
pub(crate) fn relative_path(base: &Path, path: &Path) -> String {
    let norm = |p: &Path| -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for c in p.components() {
            match c {
                Component::ParentDir => {
                    out.pop();
                }
                Component::CurDir => {}
                Component::Normal(s) => out.push(s.to_string_lossy().into_owned()),
                Component::RootDir | Component::Prefix(_) => out.clear(),
            }
        }
        out
    };
    let (b, p) = (norm(base), norm(path));
    let common = b.iter().zip(&p).take_while(|(x, y)| x == y).count();
    let mut parts: Vec<&str> = std::iter::repeat_n("..", b.len() - common).collect();
    parts.extend(p[common..].iter().map(String::as_str));
    if parts.is_empty() {
        ".".into()
    } else {
        parts.join("/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths() {
        let r = |a: &str, b: &str| relative_path(Path::new(a), Path::new(b));
        assert_eq!(r("/w/ws", "/w/ws"), ".");
        assert_eq!(r("/w/ws", "/w/ws/crates/a"), "crates/a");
        assert_eq!(r("/w/ws", "/w/gitdep"), "../gitdep");
        assert_eq!(r("/w/ws", "/w/ws/./a/../b"), "b");
    }

    #[test]
    fn sources() {
        let root = Path::new("/tmp/x/ws");
        assert_eq!(
            parse_source("sparse+https://index.crates.io/", root).unwrap(),
            Source::Registry {
                index: RegistryIndex::CratesIo
            }
        );
        assert_eq!(
            parse_source("git+https://u:secret@github.com/a/b?branch=main#abc123", root).unwrap(),
            Source::Git {
                url: "https://github.com/a/b".into(),
                commit: "abc123".into(),
                reference: Some("branch=main".into())
            }
        );
        assert_eq!(
            parse_source("git+file:///tmp/x/gitdep%20src#abc", root).unwrap(),
            Source::Git {
                url: "file:../gitdep src".into(),
                commit: "abc".into(),
                reference: None
            }
        );
        assert!(parse_source("weird+thing", root).is_err());
    }
}

/// One package of `cargo tree`'s output: name, version and the source
/// hint cargo prints in parentheses (a path or git URL; empty for crates.io).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct TreeEntry {
    /// Crate name.
    pub name: String,
    /// Version.
    pub version: String,
    /// `(…)` after the version, without the parentheses.
    pub hint: String,
}

/// What cargo resolves for `scope.packages` alone (features not unified
/// with other members): `cargo tree -e normal,build` on the target.
pub fn tree(
    scope: &Scope,
    manifest: Option<&Path>,
    target: &str,
    env: &dyn Env,
    cwd: &Path,
) -> Result<Vec<TreeEntry>> {
    let cargo = env.var("CARGO").unwrap_or_else(|| "cargo".into());
    let mut args: Vec<String> = [
        "tree",
        "--locked",
        "--color=never",
        "--prefix=none",
        "--edges=normal,build",
        "--format={p}",
    ]
    .map(str::to_owned)
    .to_vec();
    args.push(format!("--target={target}"));
    if let Some(p) = manifest {
        args.push("--manifest-path".into());
        args.push(p.to_string_lossy().into_owned());
    }
    for p in &scope.packages {
        args.push("-p".into());
        args.push(p.clone());
    }
    if scope.packages.is_empty() {
        args.push("--workspace".into());
    }
    args.extend(scope.features.cargo_args());
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run(&cargo, &argv, cwd, &[])?;
    if !out.status.success() {
        return Err(failed("cargo", &argv, &out.stderr));
    }
    let text = String::from_utf8(out.stdout).map_err(|e| Error::ToolOutput {
        program: "cargo tree".into(),
        reason: e.to_string(),
    })?;
    let mut entries: Vec<TreeEntry> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(parse_tree_line)
        .collect::<Result<_>>()?;
    entries.sort();
    entries.dedup();
    Ok(entries)
}

/// `name v1.2.3`, `name v1.2.3 (/path)`, `… (proc-macro)`, `… (*)`.
fn parse_tree_line(line: &str) -> Result<TreeEntry> {
    let bad = || Error::ToolOutput {
        program: "cargo tree".into(),
        reason: format!("unexpected line `{line}`"),
    };
    let mut rest = line.trim();
    for suffix in [" (*)", " (proc-macro)"] {
        rest = rest.strip_suffix(suffix).unwrap_or(rest);
    }
    let (name, rest) = rest.split_once(' ').ok_or_else(bad)?;
    let (version, hint) = match rest.split_once(' ') {
        Some((v, h)) => (v, h.trim()),
        None => (rest, ""),
    };
    let version = version.strip_prefix('v').ok_or_else(bad)?;
    let hint = hint
        .strip_prefix('(')
        .and_then(|h| h.strip_suffix(')'))
        .unwrap_or(hint);
    Ok(TreeEntry {
        name: name.to_owned(),
        version: version.to_owned(),
        hint: hint.to_owned(),
    })
}

/// Keeps only the packages `cargo tree` listed (and the edges between
/// them). Each entry must name exactly one package of the resolve.
pub fn keep_only(facts: &mut crate::facts::ReleaseFacts, entries: &[TreeEntry]) -> Result<()> {
    let mut keep = BTreeSet::new();
    for e in entries {
        let candidates: Vec<&PackageId> = facts
            .packages
            .keys()
            .filter(|id| id.name == e.name && id.version == e.version)
            .collect();
        let chosen = match candidates.as_slice() {
            [one] => (*one).clone(),
            [] => {
                return Err(Error::Inconsistent(format!(
                    "cargo tree lists {} {} but cargo metadata does not",
                    e.name, e.version
                )))
            }
            several => {
                let by_hint: Vec<&&PackageId> = several
                    .iter()
                    .filter(|id| match &id.source {
                        Source::Registry { .. } => e.hint.is_empty() || e.hint.starts_with("registry"),
                        Source::Git { url, .. } => {
                            !e.hint.is_empty() && e.hint.contains(url.trim_end_matches(".git"))
                        }
                        _ => !e.hint.is_empty() && e.hint.starts_with('/'),
                    })
                    .collect();
                match by_hint.as_slice() {
                    [one] => (**one).clone(),
                    _ => {
                        return Err(Error::Inconsistent(format!(
                            "cannot tell which of {} packages {} {} cargo tree means ({})",
                            several.len(),
                            e.name,
                            e.version,
                            e.hint
                        )))
                    }
                }
            }
        };
        keep.insert(chosen);
    }
    retain(&mut facts.packages, &keep);
    if let Some(missing) = facts.roots.iter().find(|r| !keep.contains(*r)) {
        return Err(Error::Inconsistent(format!(
            "cargo tree does not list the selected package {missing}"
        )));
    }
    Ok(())
}

/// Keeps only the packages in `keep`, and the edges between them.
fn retain(packages: &mut BTreeMap<PackageId, Package>, keep: &BTreeSet<PackageId>) {
    packages.retain(|id, _| keep.contains(id));
    for p in packages.values_mut() {
        p.deps.retain(|d, _| keep.contains(d));
    }
}
