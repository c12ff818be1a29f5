//! API diff classification and the semver verdict.
//!
//! [`diff`] compares two [`Api`]s and [`manifest_changes`] two manifests;
//! every [`Change`] has a stable `kind` id and a class. [`verdict`] applies
//! Cargo's rules with the `semver` crate: the required bump is the highest
//! class; the declared bump is what the version change means (for `0.y.z`
//! a change of `y` is major, of `z` minor); the release is sufficient when
//! declared ≥ required.

use std::collections::{BTreeMap, BTreeSet};

use cargo_metadata::semver::Version;

use super::api::{Api, ApiItem, Bump, Func, Gen, Shape, Span};

/// One classified change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Public path of the item (or `Cargo.toml` for manifest changes).
    pub path: String,
    /// Item kind (`function`, `struct`, ..., `feature`, `manifest`).
    pub item_kind: String,
    /// Stable change id, e.g. `function-parameter-types-changed`.
    pub kind: String,
    /// The bump it requires.
    pub class: Bump,
    /// What changed, in words.
    pub detail: String,
    /// Old signature.
    pub old: Option<String>,
    /// New signature.
    pub new: Option<String>,
    /// Old source span.
    pub old_span: Option<Span>,
    /// New source span.
    pub new_span: Option<Span>,
}

struct Diff<'a> {
    path: &'a str,
    old: &'a ApiItem,
    new: &'a ApiItem,
    out: &'a mut Vec<Change>,
}

impl Diff<'_> {
    fn push(&mut self, kind: &str, class: Bump, detail: String) {
        self.out.push(Change {
            path: self.path.to_owned(),
            item_kind: self.new.kind.to_owned(),
            kind: kind.to_owned(),
            class,
            detail,
            old: Some(self.old.signature.clone()),
            new: Some(self.new.signature.clone()),
            old_span: self.old.span.clone(),
            new_span: self.new.span.clone(),
        });
    }
}

/// Every API change from `old` to `new`, sorted by path then kind.
pub fn diff(old: &Api, new: &Api) -> Vec<Change> {
    let mut out = Vec::new();
    for (path, o) in &old.items {
        match new.items.get(path) {
            None => out.push(Change {
                path: path.clone(),
                item_kind: o.kind.to_owned(),
                kind: format!("{}-removed", o.kind),
                class: Bump::Major,
                detail: format!("{} `{path}` is no longer public at this path", o.kind),
                old: Some(o.signature.clone()),
                new: None,
                old_span: o.span.clone(),
                new_span: None,
            }),
            Some(n) => compare(&mut Diff {
                path,
                old: o,
                new: n,
                out: &mut out,
            }),
        }
    }
    for (path, n) in &new.items {
        if !old.items.contains_key(path) {
            out.push(Change {
                path: path.clone(),
                item_kind: n.kind.to_owned(),
                kind: format!("{}-added", n.kind),
                class: Bump::Minor,
                detail: format!("new public {} `{path}`", n.kind),
                old: None,
                new: Some(n.signature.clone()),
                old_span: None,
                new_span: n.span.clone(),
            });
        }
    }
    out.sort_by(|a, b| (&a.path, &a.kind).cmp(&(&b.path, &b.kind)));
    out
}

fn compare(d: &mut Diff<'_>) {
    if d.old.kind != d.new.kind {
        let detail = format!("was a {}, now a {}", d.old.kind, d.new.kind);
        d.push("item-kind-changed", Bump::Major, detail);
        return;
    }
    if !d.old.deprecated && d.new.deprecated {
        d.push("deprecated", Bump::Minor, "newly #[deprecated]".into());
    }
    if !d.old.must_use && d.new.must_use {
        d.push("must-use-added", Bump::Minor, "newly #[must_use]".into());
    }
    let (old, new) = (d.old.shape.clone(), d.new.shape.clone());
    match (&old, &new) {
        (Shape::Function(a), Shape::Function(b)) => function(d, a, b, false),
        (
            Shape::Struct {
                form: fa,
                fields: xa,
                private_fields: pa,
                non_exhaustive: na,
                repr: ra,
                generics: ga,
                impls: ia,
            },
            Shape::Struct {
                form: fb,
                fields: xb,
                private_fields: pb,
                non_exhaustive: nb,
                repr: rb,
                generics: gb,
                impls: ib,
            },
        ) => {
            if fa != fb {
                d.push(
                    "struct-form-changed",
                    Bump::Major,
                    format!("{fa} struct became a {fb} struct"),
                );
            }
            for (f, t) in xa {
                match xb.get(f) {
                    None => d.push(
                        "field-removed",
                        Bump::Major,
                        format!("public field `{f}` removed or made private"),
                    ),
                    Some(t2) if t2 != t => d.push(
                        "field-type-changed",
                        Bump::Major,
                        format!("field `{f}`: {t} → {t2}"),
                    ),
                    _ => {}
                }
            }
            let constructible_before = !pa && !na;
            for f in xb.keys().filter(|f| !xa.contains_key(*f)) {
                if constructible_before && fa == fb {
                    d.push(
                        "field-added-to-constructible-struct",
                        Bump::Major,
                        format!("public field `{f}` added: struct literals and patterns that name every field break"),
                    );
                } else {
                    d.push("field-added", Bump::Minor, format!("public field `{f}` added"));
                }
            }
            if !pa && *pb && !xa.is_empty() && !na {
                d.push(
                    "struct-gained-private-fields",
                    Bump::Major,
                    "gained private fields: no longer constructible outside the crate".into(),
                );
            }
            exhaustiveness(d, *na, *nb);
            repr_change(d, ra, rb);
            generics(d, ga, gb, "type");
            impls(d, ia, ib);
        }
        (
            Shape::Enum {
                variants: va,
                non_exhaustive: na,
                repr: ra,
                generics: ga,
                impls: ia,
            },
            Shape::Enum {
                variants: vb,
                non_exhaustive: nb,
                repr: rb,
                generics: gb,
                impls: ib,
            },
        ) => {
            for (v, s) in va {
                match vb.get(v) {
                    None => d.push("variant-removed", Bump::Major, format!("variant `{v}` removed")),
                    Some(s2) if s2 != s => d.push(
                        "variant-changed",
                        Bump::Major,
                        format!("variant `{v}`{s} → `{v}`{s2}"),
                    ),
                    _ => {}
                }
            }
            for v in vb.keys().filter(|v| !va.contains_key(*v)) {
                if *na {
                    d.push(
                        "variant-added",
                        Bump::Minor,
                        format!("variant `{v}` added to a #[non_exhaustive] enum"),
                    );
                } else {
                    d.push(
                        "variant-added-to-exhaustive-enum",
                        Bump::Major,
                        format!("variant `{v}` added: exhaustive matches break"),
                    );
                }
            }
            exhaustiveness(d, *na, *nb);
            repr_change(d, ra, rb);
            generics(d, ga, gb, "type");
            impls(d, ia, ib);
        }
        (
            Shape::Trait {
                required: ra,
                provided: pa,
                supertraits: sa,
                generics: ga,
                dyn_compatible: da,
                sealed: xa,
                is_unsafe: ua,
            },
            Shape::Trait {
                required: rb,
                provided: pb,
                supertraits: sb,
                generics: gb,
                dyn_compatible: db,
                sealed: xb,
                is_unsafe: ub,
            },
        ) => {
            for (n, s) in ra.iter().chain(pa) {
                match rb.get(n).or(pb.get(n)) {
                    None => d.push(
                        "trait-item-removed",
                        Bump::Major,
                        format!("associated item `{n}` removed"),
                    ),
                    Some(s2) if s2 != s => d.push(
                        "trait-item-signature-changed",
                        Bump::Major,
                        format!("`{s}` → `{s2}`"),
                    ),
                    _ => {}
                }
                if pa.contains_key(n) && rb.contains_key(n) && !xa {
                    d.push(
                        "trait-item-default-removed",
                        Bump::Major,
                        format!("`{n}` lost its default: implementors must now define it"),
                    );
                }
            }
            for (n, s) in rb
                .iter()
                .filter(|(n, _)| !ra.contains_key(*n) && !pa.contains_key(*n))
            {
                if *xb {
                    d.push(
                        "sealed-trait-item-added",
                        Bump::Minor,
                        format!("`{s}` added to a sealed trait"),
                    );
                } else {
                    d.push(
                        "trait-required-item-added",
                        Bump::Major,
                        format!("`{s}` added without a default: implementors break ({n})"),
                    );
                }
            }
            for (_, s) in pb
                .iter()
                .filter(|(n, _)| !ra.contains_key(*n) && !pa.contains_key(*n))
            {
                d.push(
                    "trait-provided-item-added",
                    Bump::Minor,
                    format!("`{s}` added with a default"),
                );
            }
            for s in sb.difference(sa) {
                match (xa, xb) {
                    // Implementors must now implement the supertrait too.
                    (false, false) => {
                        d.push("supertrait-added", Bump::Major, format!("supertrait `{s}` added"))
                    }
                    // A private supertrait sealed the trait: reported as `trait-sealed` below.
                    (false, true) => {}
                    (true, _) => d.push(
                        "supertrait-added",
                        Bump::Minor,
                        format!("supertrait `{s}` added to a sealed trait"),
                    ),
                }
            }
            for s in sa.difference(sb) {
                d.push(
                    "supertrait-removed",
                    Bump::Minor,
                    format!("supertrait `{s}` removed"),
                );
            }
            if !xa && *xb {
                d.push(
                    "trait-sealed",
                    Bump::Major,
                    "now sealed: can no longer be implemented outside the crate".into(),
                );
            }
            if *da && !db {
                d.push(
                    "trait-no-longer-dyn-compatible",
                    Bump::Major,
                    "no longer usable as `dyn` trait".into(),
                );
            }
            if ua != ub {
                d.push(
                    "trait-unsafety-changed",
                    Bump::Major,
                    format!("unsafe trait: {ua} → {ub}"),
                );
            }
            generics(d, ga, gb, "trait");
        }
        (Shape::Constant(a), Shape::Constant(b)) if a != b => {
            d.push("constant-type-changed", Bump::Major, format!("{a} → {b}"))
        }
        (Shape::Static(a, ma), Shape::Static(b, mb)) => {
            if a != b {
                d.push("static-type-changed", Bump::Major, format!("{a} → {b}"));
            }
            if ma != mb {
                d.push(
                    "static-mutability-changed",
                    Bump::Major,
                    format!("mutable: {ma} → {mb}"),
                );
            }
        }
        (Shape::TypeAlias(a, ga), Shape::TypeAlias(b, gb)) => {
            if a != b {
                d.push("type-alias-target-changed", Bump::Major, format!("{a} → {b}"));
            }
            generics(d, ga, gb, "type");
        }
        _ => {}
    }
}

fn function(d: &mut Diff<'_>, a: &Func, b: &Func, _in_trait: bool) {
    if a.receiver != b.receiver {
        d.push(
            "method-receiver-changed",
            Bump::Major,
            format!(
                "receiver {} → {}",
                a.receiver.as_deref().unwrap_or("none"),
                b.receiver.as_deref().unwrap_or("none")
            ),
        );
    }
    if a.params.len() != b.params.len() {
        d.push(
            "function-parameter-count-changed",
            Bump::Major,
            format!("{} → {} parameters", a.params.len(), b.params.len()),
        );
    } else if a
        .params
        .iter()
        .zip(&b.params)
        .skip(usize::from(a.receiver.is_some()))
        .any(|(x, y)| x != y)
    {
        let diffs: Vec<String> = a
            .params
            .iter()
            .zip(&b.params)
            .filter(|(x, y)| x != y)
            .map(|(x, y)| format!("{x} → {y}"))
            .collect();
        d.push("function-parameter-types-changed", Bump::Major, diffs.join(", "));
    }
    if a.output != b.output {
        d.push(
            "function-return-type-changed",
            Bump::Major,
            format!("{} → {}", a.output, b.output),
        );
    }
    if !a.is_unsafe && b.is_unsafe {
        d.push("function-now-unsafe", Bump::Major, "became unsafe".into());
    }
    if a.is_unsafe && !b.is_unsafe {
        d.push(
            "function-no-longer-unsafe",
            Bump::Minor,
            "no longer unsafe".into(),
        );
    }
    if a.is_const && !b.is_const {
        d.push(
            "function-no-longer-const",
            Bump::Major,
            "no longer const fn".into(),
        );
    }
    if !a.is_const && b.is_const {
        d.push("function-now-const", Bump::Minor, "now const fn".into());
    }
    if a.abi != b.abi {
        d.push(
            "function-abi-changed",
            Bump::Major,
            format!("extern \"{}\" → extern \"{}\"", a.abi, b.abi),
        );
    }
    generics(d, &a.generics, &b.generics, "function");
}

fn exhaustiveness(d: &mut Diff<'_>, before: bool, after: bool) {
    if !before && after {
        d.push(
            "now-non-exhaustive",
            Bump::Major,
            "newly #[non_exhaustive]".into(),
        );
    }
    if before && !after {
        d.push(
            "no-longer-non-exhaustive",
            Bump::Minor,
            "no longer #[non_exhaustive]".into(),
        );
    }
}

fn repr_change(d: &mut Diff<'_>, a: &Option<String>, b: &Option<String>) {
    if a != b {
        d.push(
            "repr-changed",
            Bump::Major,
            format!(
                "repr {} → {}",
                a.as_deref().unwrap_or("Rust"),
                b.as_deref().unwrap_or("Rust")
            ),
        );
    }
}

/// Generic parameters: added/removed (non-synthetic) and bounds tightened are
/// major; bounds relaxed are minor; defaults changed are major.
fn generics(d: &mut Diff<'_>, a: &Gen, b: &Gen, what: &str) {
    let explicit = |g: &Gen| -> Vec<(String, String)> {
        g.iter()
            .filter(|(_, p)| !p.synthetic && p.kind != "where")
            .map(|(n, p)| (n.clone(), p.kind.clone()))
            .collect()
    };
    let (ea, eb) = (explicit(a), explicit(b));
    if ea.len() != eb.len() {
        d.push(
            &format!("{what}-generic-parameters-changed"),
            Bump::Major,
            format!("{} → {} generic parameters", ea.len(), eb.len()),
        );
        return;
    }
    if ea.iter().zip(&eb).any(|(x, y)| x.1 != y.1) {
        d.push(
            &format!("{what}-generic-parameters-changed"),
            Bump::Major,
            "generic parameter kinds changed".into(),
        );
        return;
    }
    let map = |g: &Gen| -> BTreeMap<String, (BTreeSet<String>, Option<String>)> {
        g.iter()
            .map(|(n, p)| (n.clone(), (p.bounds.clone(), p.default.clone())))
            .collect()
    };
    let (ma, mb) = (map(a), map(b));
    for (n, (bounds_b, default_b)) in &mb {
        let (bounds_a, default_a) = ma.get(n).cloned().unwrap_or_default();
        let added: Vec<&String> = bounds_b.difference(&bounds_a).collect();
        let removed: Vec<&String> = bounds_a.difference(bounds_b).collect();
        if !added.is_empty() {
            d.push(
                &format!("{what}-bound-added"),
                Bump::Major,
                format!(
                    "`{n}` gained bound(s) {}",
                    added.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" + ")
                ),
            );
        }
        if !removed.is_empty() {
            d.push(
                &format!("{what}-bound-removed"),
                Bump::Minor,
                format!(
                    "`{n}` lost bound(s) {}",
                    removed.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" + ")
                ),
            );
        }
        if default_a != *default_b && ma.contains_key(n) {
            d.push(
                &format!("{what}-generic-default-changed"),
                Bump::Major,
                format!(
                    "default of `{n}`: {} → {}",
                    default_a.as_deref().unwrap_or("none"),
                    default_b.as_deref().unwrap_or("none")
                ),
            );
        }
    }
}

/// Trait impls of a type: losing one is major (auto traits and derives too),
/// gaining one minor. rustdoc lists auto traits a type does *not* implement
/// as negative impls (`!Send`): a negative impl appearing is a loss, one
/// disappearing a gain.
fn impls(d: &mut Diff<'_>, a: &BTreeSet<String>, b: &BTreeSet<String>) {
    const AUTO: [&str; 5] = ["Send", "Sync", "Unpin", "UnwindSafe", "RefUnwindSafe"];
    let kind = |t: &str, lost: bool| {
        let last = t.rsplit("::").next().unwrap_or(t);
        match (AUTO.contains(&last), lost) {
            (true, true) => "auto-trait-impl-removed",
            (true, false) => "auto-trait-impl-added",
            (false, true) => "trait-impl-removed",
            (false, false) => "trait-impl-added",
        }
    };
    let mut lost = BTreeSet::new();
    let mut gained = BTreeSet::new();
    for t in a.difference(b) {
        match t.strip_prefix('!') {
            Some(positive) => gained.insert(positive.to_owned()),
            None => lost.insert(t.clone()),
        };
    }
    for t in b.difference(a) {
        match t.strip_prefix('!') {
            Some(positive) => lost.insert(positive.to_owned()),
            None => gained.insert(t.clone()),
        };
    }
    for t in &lost {
        d.push(kind(t, true), Bump::Major, format!("no longer implements {t}"));
    }
    for t in gained.difference(&lost) {
        d.push(kind(t, false), Bump::Minor, format!("now implements {t}"));
    }
}

/// Manifest facts compared between the two versions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    /// Declared features (including implicit optional-dependency features).
    pub features: BTreeSet<String>,
    /// `rust-version`.
    pub rust_version: Option<String>,
    /// Normal dependencies: name → version requirement.
    pub dependencies: BTreeMap<String, String>,
}

/// Feature, MSRV and public dependency changes. `api` is the new API, used
/// to tell which dependencies are public (their crate appears in signatures).
pub fn manifest_changes(old: &Manifest, new: &Manifest, api: &Api) -> Vec<Change> {
    let mut out = Vec::new();
    let change = |kind: &str,
                  class,
                  item_kind: &str,
                  path: String,
                  detail: String,
                  o: Option<String>,
                  n: Option<String>| Change {
        path,
        item_kind: item_kind.into(),
        kind: kind.into(),
        class,
        detail,
        old: o,
        new: n,
        old_span: None,
        new_span: None,
    };
    for f in old.features.difference(&new.features) {
        out.push(change(
            "feature-removed",
            Bump::Major,
            "feature",
            format!("feature `{f}`"),
            "Cargo feature removed: dependents enabling it fail to build".into(),
            Some(f.clone()),
            None,
        ));
    }
    for f in new.features.difference(&old.features) {
        out.push(change(
            "feature-added",
            Bump::Minor,
            "feature",
            format!("feature `{f}`"),
            "Cargo feature added".into(),
            None,
            Some(f.clone()),
        ));
    }
    let msrv = |v: &Option<String>| v.as_deref().and_then(|s| Version::parse(&pad(s)).ok());
    if let (Some(a), Some(b)) = (msrv(&old.rust_version), msrv(&new.rust_version)) {
        if b > a {
            out.push(change(
                "msrv-raised",
                Bump::Minor,
                "manifest",
                "Cargo.toml rust-version".into(),
                format!("minimum supported Rust raised {a} → {b}"),
                old.rust_version.clone(),
                new.rust_version.clone(),
            ));
        }
    } else if old.rust_version.is_none() && new.rust_version.is_some() {
        out.push(change(
            "msrv-declared",
            Bump::Minor,
            "manifest",
            "Cargo.toml rust-version".into(),
            "minimum supported Rust declared".into(),
            None,
            new.rust_version.clone(),
        ));
    }
    let used: BTreeSet<String> = api
        .items
        .values()
        .flat_map(|i| {
            i.signature
                .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .filter_map(|t| t.split_once("::").map(|(k, _)| k.to_owned()))
                .collect::<Vec<_>>()
        })
        .collect();
    for (dep, req_b) in &new.dependencies {
        let Some(req_a) = old.dependencies.get(dep) else {
            continue;
        };
        let major = |r: &str| {
            let v = r.trim_start_matches(['^', '=', '~', ' ']);
            let mut parts = v.split('.');
            let first = parts.next().unwrap_or("0").to_owned();
            if first == "0" {
                format!("0.{}", parts.next().unwrap_or("0"))
            } else {
                first
            }
        };
        if major(req_a) != major(req_b) && used.contains(&dep.replace('-', "_")) {
            out.push(change(
                "public-dependency-major-bump",
                Bump::Major,
                "dependency",
                format!("dependency `{dep}`"),
                format!("`{dep}` appears in the public API and moved {req_a} → {req_b}: its types are not the old ones"),
                Some(req_a.clone()),
                Some(req_b.clone()),
            ));
        }
    }
    out
}

fn pad(v: &str) -> String {
    match v.matches('.').count() {
        0 => format!("{v}.0.0"),
        1 => format!("{v}.0"),
        _ => v.to_owned(),
    }
}

/// The semver verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Highest change class ("major" means breaking, whatever 0.x makes of it).
    pub required: Bump,
    /// What the version change declares under Cargo's rules.
    pub declared: Bump,
    /// declared ≥ required.
    pub sufficient: bool,
    /// The lowest version that would be sufficient.
    pub next_version_at_least: String,
}

/// Applies Cargo's semver rules.
pub fn verdict(old: &Version, new: &Version, changes: &[Change]) -> Verdict {
    let required = changes.iter().map(|c| c.class).max().unwrap_or(Bump::None);
    let declared = declared_bump(old, new);
    let next = next_version(old, required);
    Verdict {
        required,
        declared,
        sufficient: declared >= required && new >= old,
        next_version_at_least: next.to_string(),
    }
}

/// What going from `old` to `new` means to Cargo.
pub fn declared_bump(old: &Version, new: &Version) -> Bump {
    if new <= old {
        return Bump::None;
    }
    if old.major != new.major {
        return Bump::Major;
    }
    if old.major == 0 {
        if old.minor != new.minor {
            return Bump::Major;
        }
        if old.minor == 0 {
            return if old.patch != new.patch {
                Bump::Major
            } else {
                Bump::Patch
            };
        }
        return if old.patch != new.patch {
            Bump::Minor
        } else {
            Bump::Patch
        };
    }
    if old.minor != new.minor {
        Bump::Minor
    } else {
        Bump::Patch // a patch, pre-release or build change
    }
}

/// The lowest version after `old` that declares at least `bump`.
pub fn next_version(old: &Version, bump: Bump) -> Version {
    let v = |ma, mi, pa| Version::new(ma, mi, pa);
    match (bump, old.major, old.minor) {
        (Bump::Major, 0, 0) => v(0, 0, old.patch + 1),
        (Bump::Major, 0, _) => v(0, old.minor + 1, 0),
        (Bump::Major, _, _) => v(old.major + 1, 0, 0),
        (Bump::Minor, 0, 0) => v(0, 0, old.patch + 1),
        (Bump::Minor, 0, _) => v(0, old.minor, old.patch + 1),
        (Bump::Minor, _, _) => v(old.major, old.minor + 1, 0),
        (Bump::Patch | Bump::None, _, _) => v(old.major, old.minor, old.patch + 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    #[test]
    fn cargo_rules() {
        assert_eq!(declared_bump(&v("1.2.3"), &v("2.0.0")), Bump::Major);
        assert_eq!(declared_bump(&v("1.2.3"), &v("1.3.0")), Bump::Minor);
        assert_eq!(declared_bump(&v("1.2.3"), &v("1.2.4")), Bump::Patch);
        assert_eq!(declared_bump(&v("0.2.3"), &v("0.3.0")), Bump::Major);
        assert_eq!(declared_bump(&v("0.2.3"), &v("0.2.4")), Bump::Minor);
        assert_eq!(declared_bump(&v("0.0.3"), &v("0.0.4")), Bump::Major);
        assert_eq!(declared_bump(&v("1.2.3"), &v("1.2.3")), Bump::None);
        assert_eq!(next_version(&v("1.2.3"), Bump::Major), v("2.0.0"));
        assert_eq!(next_version(&v("0.2.3"), Bump::Major), v("0.3.0"));
        assert_eq!(next_version(&v("0.2.3"), Bump::Minor), v("0.2.4"));
        assert_eq!(next_version(&v("1.2.3"), Bump::Minor), v("1.3.0"));
        assert_eq!(next_version(&v("1.2.3"), Bump::None), v("1.2.4"));
        let none: Vec<Change> = vec![];
        assert!(verdict(&v("1.0.0"), &v("1.0.1"), &none).sufficient);
        assert!(
            verdict(&v("1.0.0"), &v("1.0.0"), &none).sufficient,
            "no change needs no bump"
        );
        let minor = vec![Change {
            path: "c::f".into(),
            item_kind: "function".into(),
            kind: "function-added".into(),
            class: Bump::Minor,
            detail: String::new(),
            old: None,
            new: None,
            old_span: None,
            new_span: None,
        }];
        let same = verdict(&v("1.0.0"), &v("1.0.0"), &minor);
        assert!(!same.sufficient);
        assert_eq!(same.next_version_at_least, "1.1.0");
        assert!(
            !verdict(&v("1.0.0"), &v("0.9.0"), &none).sufficient,
            "a lower version never suffices"
        );
    }
}

/// Everything `compat_report.json` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Package name.
    pub package: String,
    /// Baseline version.
    pub old_version: String,
    /// Current version.
    pub new_version: String,
    /// The baseline spec, e.g. `git:v1.0.0`.
    pub baseline: String,
    /// rustc release that produced both snapshots.
    pub rustc_version: String,
    /// rustdoc JSON format version.
    pub format_version: u32,
    /// Features documented.
    pub features: Vec<String>,
    /// `--all-features`.
    pub all_features: bool,
    /// `--no-default-features`.
    pub no_default_features: bool,
    /// Target documented (`host` triple when none given).
    pub target: String,
    /// Every change.
    pub changes: Vec<Change>,
    /// The verdict.
    pub verdict: Verdict,
}
