//! What cargo builds for the selected packages alone: cargo's feature
//! resolver (versions 2 and 3) replayed over `cargo metadata`'s output.
//!
//! `cargo metadata` resolves the whole workspace at once, with the
//! features every member asks for unified; a release ships one package,
//! built alone, so an optional dependency that only another member enables
//! is not in it. Asking `cargo tree -p` costs a second resolve as long as
//! `cargo metadata` itself; this module answers the same question from the
//! declarations `cargo metadata` already printed:
//!
//! - the selected packages start with the requested features (`default`
//!   unless `--no-default-features`, `--features`, or all of them);
//! - a feature enables the features and optional dependencies it lists
//!   (`f`, `dep:d`, `d/f`, weak `d?/f`, and the implicit feature of an
//!   optional dependency, which `cargo metadata` lists as `d = ["dep:d"]`);
//! - a dependency is followed when it is not a dev-dependency, its
//!   `target` cfg matches (build dependencies on the host, the rest on the
//!   unit's platform), and it is not optional or is enabled; it receives
//!   its declared features, `default` unless `default-features = false`,
//!   and the `d/f` requests of its parent;
//! - build dependencies and proc-macros (and everything below them) are
//!   resolved apart from the target's units, as resolver 2 does, so a
//!   feature a build script needs never enables a dependency of the
//!   shipped code.
//!
//! Every dependency this replay follows must be an edge of cargo's own
//! resolve; one that is not is an inconsistency (exit 2), never a guess.
//! Resolver 1 (editions before 2021 without `resolver = "2"`) unifies
//! differently; for it `collect` still asks `cargo tree`.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::str::FromStr;

use cargo_metadata::PackageId;
use cargo_platform::{Cfg, Platform};

use super::metadata::{DeclaredDep, Metadata};
use crate::config::Features;
use crate::error::{Error, Result};
use crate::facts::DepKinds;

/// Where a unit runs: on the target, or on the host (build scripts, proc-macros).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Side {
    Target,
    Host,
}

/// A package built on one side.
type Unit = (usize, Side);

/// A platform: its triple and `rustc --print cfg`.
pub struct Platformed<'a> {
    /// Target triple.
    pub triple: &'a str,
    /// cfg values.
    pub cfg: &'a [Cfg],
}

/// What cargo builds: packages, and the dependency edges it follows
/// between them (each marked normal or build, as declared).
#[derive(Debug, Default)]
pub struct Built {
    /// Every package built, the roots included.
    pub packages: BTreeSet<PackageId>,
    /// `(from, to)` → how `from` declares `to`.
    pub edges: BTreeMap<(PackageId, PackageId), DepKinds>,
}

/// What cargo builds for `roots` with `features` (resolver 2 or 3).
pub fn selected(
    metadata: &Metadata,
    roots: &[&PackageId],
    features: &Features,
    target: &Platformed<'_>,
    host: &Platformed<'_>,
) -> Result<Built> {
    let graph = Graph::new(metadata)?;
    // cargo refuses a feature none of the selected packages has; so do we.
    for f in features.normalized() {
        let known = roots.iter().any(|r| {
            graph.index(r).is_ok_and(|i| {
                let pkg = &metadata.packages[i];
                match f.split_once('/') {
                    Some((dep, _)) => {
                        let dep = dep.strip_suffix('?').unwrap_or(dep);
                        pkg.dependencies.iter().any(|d| d.key() == dep)
                    }
                    None => pkg.features.contains_key(&f),
                }
            })
        });
        if !known {
            return Err(Error::InvalidOption(format!(
                "none of the selected packages has the feature `{f}`"
            )));
        }
    }
    let mut requested: BTreeMap<(usize, Side), BTreeSet<String>> = BTreeMap::new();
    let mut work = Vec::new();
    // unit → (dependency unit, declared as a build dependency).
    let mut unit_edges: BTreeMap<Unit, BTreeSet<(Unit, bool)>> = BTreeMap::new();
    let mut starts: Vec<Unit> = Vec::new();
    for root in roots {
        let i = graph.index(root)?;
        let pkg = &metadata.packages[i];
        let mut wanted: BTreeSet<String> = features.normalized().into_iter().collect();
        if features.all_features {
            wanted.extend(pkg.features.keys().cloned());
            wanted.extend(
                pkg.dependencies
                    .iter()
                    .filter(|d| d.optional)
                    .map(|d| format!("dep:{}", d.key())),
            );
        }
        if !features.no_default_features {
            wanted.insert("default".into());
        }
        // A selected proc-macro is built for the host; cargo also activates
        // its features as a normal unit, so its dependencies' features
        // unify with the target's (what it builds is found from the host
        // unit only, below).
        let sides: &[Side] = if graph.proc_macro[i] {
            &[Side::Host, Side::Target]
        } else {
            &[Side::Target]
        };
        for side in sides {
            requested
                .entry((i, *side))
                .or_default()
                .extend(wanted.iter().cloned());
            work.push((i, *side));
        }
        starts.push((i, sides[0]));
    }
    while let Some(unit) = work.pop() {
        let (i, side) = unit;
        let pkg = &metadata.packages[i];
        let on = Enabled::close(pkg, &requested[&unit]);
        for dep in &pkg.dependencies {
            let Some(build) = dep.followed_kind() else {
                continue;
            };
            let platform = if build || side == Side::Host { host } else { target };
            if !dep.applies_on(platform)? || (dep.optional && !on.deps.contains(dep.key())) {
                continue;
            }
            let mut child_features: BTreeSet<String> = dep.features.iter().cloned().collect();
            if dep.uses_default_features {
                child_features.insert("default".into());
            }
            if let Some(extra) = on.dep_features.get(dep.key()) {
                child_features.extend(extra.iter().cloned());
            }
            for child in graph.edges_for(i, dep, metadata)? {
                let child_side = if build || side == Side::Host || graph.proc_macro[child] {
                    Side::Host
                } else {
                    Side::Target
                };
                let key = (child, child_side);
                unit_edges.entry(unit).or_default().insert((key, build));
                let fresh = !requested.contains_key(&key);
                let entry = requested.entry(key).or_default();
                let before = entry.len();
                entry.extend(child_features.iter().cloned());
                if fresh || entry.len() > before {
                    work.push(key);
                }
            }
        }
    }
    // What is built: the units reachable from the selected packages' own.
    let mut seen: BTreeSet<Unit> = starts.iter().copied().collect();
    let mut edges: BTreeMap<(usize, usize), DepKinds> = BTreeMap::new();
    while let Some(unit) = starts.pop() {
        for &(child, build) in unit_edges.get(&unit).into_iter().flatten() {
            let kinds = edges.entry((unit.0, child.0)).or_default();
            if build {
                kinds.build = true;
            } else {
                kinds.normal = true;
            }
            if seen.insert(child) {
                starts.push(child);
            }
        }
    }
    let id = |i: usize| metadata.packages[i].id.clone();
    Ok(Built {
        packages: seen.iter().map(|(i, _)| id(*i)).collect(),
        edges: edges.into_iter().map(|((a, b), k)| ((id(a), id(b)), k)).collect(),
    })
}

/// What a unit's requested features switch on.
#[derive(Default)]
struct Enabled<'p> {
    deps: HashSet<&'p str>,
    dep_features: HashMap<&'p str, BTreeSet<String>>,
}

impl<'p> Enabled<'p> {
    /// The closure of `requested` over the package's `[features]` table.
    fn close(pkg: &'p super::metadata::Package, requested: &BTreeSet<String>) -> Enabled<'p> {
        let mut on = Enabled::default();
        let mut seen: HashSet<String> = HashSet::new();
        let mut weak: Vec<(String, String)> = Vec::new();
        let mut stack: Vec<String> = requested.iter().cloned().collect();
        let key_of = |name: &str| pkg.dependencies.iter().map(DeclaredDep::key).find(|k| *k == name);
        while let Some(value) = stack.pop() {
            if !seen.insert(value.clone()) {
                continue;
            }
            if let Some(dep) = value.strip_prefix("dep:") {
                if let Some(k) = key_of(dep) {
                    on.deps.insert(k);
                }
            } else if let Some((dep, feature)) = value.split_once('/') {
                if let Some(dep) = dep.strip_suffix('?') {
                    weak.push((dep.to_owned(), feature.to_owned()));
                } else if let Some(k) = key_of(dep) {
                    on.deps.insert(k);
                    on.dep_features.entry(k).or_default().insert(feature.to_owned());
                    // Before weak dependencies, `d/f` also switched on a
                    // feature named `d`; cargo still does.
                    if pkg.features.contains_key(dep) {
                        stack.push(dep.to_owned());
                    }
                }
            } else if let Some(items) = pkg.features.get(&value) {
                stack.extend(items.iter().cloned());
            } else if let Some(k) = key_of(&value) {
                // An optional dependency's implicit feature, when the
                // table does not spell it out.
                on.deps.insert(k);
            }
        }
        for (dep, feature) in weak {
            let Some(k) = key_of(&dep) else { continue };
            let always = pkg.dependencies.iter().any(|d| d.key() == k && !d.optional);
            if always || on.deps.contains(k) {
                on.dep_features.entry(k).or_default().insert(feature);
            }
        }
        on
    }
}

/// cargo's resolve, indexed.
struct Graph<'m> {
    index: HashMap<&'m PackageId, usize>,
    /// Per package: (extern name, dependency index) of each resolve edge.
    edges: Vec<Vec<(&'m str, usize)>>,
    proc_macro: Vec<bool>,
}

impl<'m> Graph<'m> {
    fn new(metadata: &'m Metadata) -> Result<Self> {
        let index: HashMap<&PackageId, usize> = metadata
            .packages
            .iter()
            .enumerate()
            .map(|(i, p)| (&p.id, i))
            .collect();
        let resolve = metadata
            .resolve
            .as_ref()
            .ok_or_else(|| Error::Inconsistent("cargo metadata returned no resolve graph".into()))?;
        let mut edges = vec![Vec::new(); metadata.packages.len()];
        let unknown = |id: &PackageId| Error::Inconsistent(format!("resolve names unknown package {id}"));
        for node in &resolve.nodes {
            let from = *index.get(&node.id).ok_or_else(|| unknown(&node.id))?;
            for d in &node.deps {
                let to = *index.get(&d.pkg).ok_or_else(|| unknown(&d.pkg))?;
                edges[from].push((d.name.as_str(), to));
            }
        }
        let proc_macro = metadata
            .packages
            .iter()
            .map(|p| {
                p.targets
                    .iter()
                    .any(|t| t.kind.contains(&cargo_metadata::TargetKind::ProcMacro))
            })
            .collect();
        Ok(Graph {
            index,
            edges,
            proc_macro,
        })
    }

    fn index(&self, id: &PackageId) -> Result<usize> {
        self.index
            .get(id)
            .copied()
            .ok_or_else(|| Error::Inconsistent(format!("the selected package {id} is not in the resolve")))
    }

    /// The resolve edges of package `from` that `dep` declares: same
    /// package name, the extern name of a rename, a version the
    /// requirement accepts. Ambiguity keeps every candidate (more, never
    /// less); none at all is an inconsistency.
    fn edges_for(&self, from: usize, dep: &DeclaredDep, metadata: &Metadata) -> Result<Vec<usize>> {
        let named: Vec<(&str, usize)> = self.edges[from]
            .iter()
            .copied()
            .filter(|(_, to)| metadata.packages[*to].name == dep.name)
            .collect();
        let renamed: Vec<(&str, usize)> = match &dep.rename {
            Some(r) => {
                let extern_name = r.replace('-', "_");
                named.iter().copied().filter(|(n, _)| *n == extern_name).collect()
            }
            None => {
                let renames: HashSet<String> = metadata.packages[from]
                    .dependencies
                    .iter()
                    .filter_map(|d| d.rename.as_ref().map(|r| r.replace('-', "_")))
                    .collect();
                named
                    .iter()
                    .copied()
                    .filter(|(n, _)| !renames.contains(*n))
                    .collect()
            }
        };
        let candidates = if renamed.is_empty() { named } else { renamed };
        let matching: Vec<usize> = match cargo_metadata::semver::VersionReq::parse(&dep.req) {
            Ok(req) => candidates
                .iter()
                .filter(|(_, to)| {
                    cargo_metadata::semver::Version::parse(&metadata.packages[*to].version)
                        .is_ok_and(|v| req.matches(&v))
                })
                .map(|(_, to)| *to)
                .collect(),
            Err(_) => Vec::new(),
        };
        let chosen: Vec<usize> = if matching.is_empty() {
            candidates.iter().map(|(_, to)| *to).collect()
        } else {
            matching
        };
        if chosen.is_empty() {
            return Err(Error::Inconsistent(format!(
                "{} {} depends on {} ({}), but cargo metadata's resolve has no such edge",
                metadata.packages[from].name, metadata.packages[from].version, dep.name, dep.req
            )));
        }
        Ok(chosen)
    }
}

impl DeclaredDep {
    /// The name features use for this dependency: its rename, else its name.
    pub fn key(&self) -> &str {
        self.rename.as_deref().unwrap_or(&self.name)
    }

    /// `Some(true)` for a build dependency, `Some(false)` for a normal
    /// one, `None` for a dev-dependency (never built for a release).
    fn followed_kind(&self) -> Option<bool> {
        match self.kind.as_deref() {
            None | Some("normal") => Some(false),
            Some("build") => Some(true),
            _ => None,
        }
    }

    /// Whether the dependency's `target` cfg holds on `platform`.
    fn applies_on(&self, platform: &Platformed<'_>) -> Result<bool> {
        let Some(spec) = &self.target else { return Ok(true) };
        let parsed = Platform::from_str(spec).map_err(|e| {
            Error::Inconsistent(format!(
                "cargo metadata gives the platform `{spec}` of {}: {e}",
                self.name
            ))
        })?;
        Ok(parsed.matches(platform.triple, platform.cfg))
    }
}
