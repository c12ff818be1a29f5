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

use super::api::{Api, ApiItem, Bump, Func, Gen, Impl, Repr, Shape, Span};
use super::kinds::Kind;

/// One classified change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Public path of the item (or `Cargo.toml` for manifest changes).
    pub path: String,
    /// Item kind (`function`, `struct`, ..., `feature`, `manifest`).
    pub item_kind: String,
    /// What kind of change (its id, class and rule are in the kinds table).
    pub kind: Kind,
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

impl Change {
    /// The bump this change requires.
    pub fn class(&self) -> Bump {
        self.kind.class()
    }
}

struct Diff<'a> {
    path: &'a str,
    old: &'a ApiItem,
    new: &'a ApiItem,
    out: &'a mut Vec<Change>,
}

impl Diff<'_> {
    /// A change shown with its own old and new signatures (an impl, not the type's).
    fn push_sigs(&mut self, kind: Kind, detail: String, old: Option<String>, new: Option<String>) {
        self.out.push(Change {
            path: self.path.to_owned(),
            item_kind: self.new.kind.to_owned(),
            kind,
            detail,
            old,
            new,
            old_span: self.old.span.clone(),
            new_span: self.new.span.clone(),
        });
    }

    fn push(&mut self, kind: Kind, detail: String) {
        self.out.push(Change {
            path: self.path.to_owned(),
            item_kind: self.new.kind.to_owned(),
            kind,
            detail,
            old: Some(self.old.signature.clone()),
            new: Some(self.new.signature.clone()),
            old_span: self.old.span.clone(),
            new_span: self.new.span.clone(),
        });
    }
}

fn removed(path: &str, o: &ApiItem, kind: Kind, detail: String) -> Change {
    Change {
        path: path.to_owned(),
        item_kind: o.kind.to_owned(),
        kind,
        detail,
        old: Some(o.signature.clone()),
        new: None,
        old_span: o.span.clone(),
        new_span: None,
    }
}

/// Every API change from `old` to `new`, sorted by path then kind.
pub fn diff(old: &Api, new: &Api) -> Vec<Change> {
    let mut out = Vec::new();
    for (path, o) in &old.items {
        match new.items.get(path) {
            None if new.hidden.contains(path) => out.push(removed(
                path,
                o,
                Kind::ItemNowHidden,
                format!("{} `{path}` is now #[doc(hidden)]: no longer public API", o.kind),
            )),
            None => out.push(removed(
                path,
                o,
                Kind::ItemRemoved,
                format!("{} `{path}` is no longer public at this path", o.kind),
            )),
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
            let detail = if old.hidden.contains(path) {
                format!("{} `{path}` is no longer #[doc(hidden)]", n.kind)
            } else {
                format!("new public {} `{path}`", n.kind)
            };
            out.push(Change {
                path: path.clone(),
                item_kind: n.kind.to_owned(),
                kind: Kind::ItemAdded,
                detail,
                old: None,
                new: Some(n.signature.clone()),
                old_span: None,
                new_span: n.span.clone(),
            });
        }
    }
    out.sort_by(|a, b| (&a.path, a.kind.id()).cmp(&(&b.path, b.kind.id())));
    out
}

/// Interior mutability makes every use of a `const` a fresh copy.
fn interior_mutable(ty: &str) -> bool {
    [
        "Cell",
        "RefCell",
        "UnsafeCell",
        "OnceCell",
        "Atomic",
        "Mutex",
        "RwLock",
        "Once",
        "Lazy",
        "Condvar",
    ]
    .iter()
    .any(|t| {
        ty.split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .any(|w| w == *t || (t == &"Atomic" && w.starts_with("Atomic")))
    })
}

fn compare(d: &mut Diff<'_>) {
    if d.old.kind != d.new.kind {
        let detail = format!("was a {}, now a {}", d.old.kind, d.new.kind);
        match (&d.old.shape, &d.new.shape) {
            (Shape::Static(a, mutable), Shape::Constant(b)) if a == b && !mutable => {
                if interior_mutable(a) {
                    d.push(
                        Kind::InteriorMutableStaticBecameConst,
                        format!(
                            "static of interior-mutable type `{a}` became a const: every use is a fresh copy"
                        ),
                    )
                } else {
                    d.push(
                        Kind::StaticBecameConst,
                        format!("static became a const of the same type `{a}`"),
                    )
                }
            }
            (Shape::Constant(_), Shape::Static(..)) => d.push(Kind::ConstBecameStatic, detail),
            _ => d.push(Kind::ItemKindChanged, detail),
        }
        return;
    }
    if !d.old.deprecated && d.new.deprecated {
        d.push(Kind::Deprecated, "newly #[deprecated]".into());
    }
    if !d.old.must_use && d.new.must_use {
        d.push(Kind::MustUseAdded, "newly #[must_use]".into());
    }
    let (old, new) = (d.old.shape.clone(), d.new.shape.clone());
    match (&old, &new) {
        (Shape::Function(a), Shape::Function(b)) => function(d, a, b),
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
            // Outside the crate a struct's form matters only when it has
            // public fields or can be built or matched (no private fields).
            let form_visible = |x: &BTreeMap<String, String>, p: bool| !x.is_empty() || !p;
            if fa != fb {
                if form_visible(xa, *pa) || form_visible(xb, *pb) {
                    d.push(
                        Kind::StructFormChanged,
                        format!("{fa} struct became a {fb} struct"),
                    );
                } else {
                    d.push(
                        Kind::StructFormChangedPrivate,
                        format!("{fa} struct became a {fb} struct; all its fields are private, so no code outside the crate can tell"),
                    );
                }
            }
            for (f, t) in xa {
                match xb.get(f) {
                    None => d.push(
                        Kind::FieldRemoved,
                        format!("public field `{f}` removed or made private"),
                    ),
                    Some(t2) if t2 != t => d.push(Kind::FieldTypeChanged, format!("field `{f}`: {t} → {t2}")),
                    _ => {}
                }
            }
            let constructible_before = !pa && !na;
            for f in xb.keys().filter(|f| !xa.contains_key(*f)) {
                if constructible_before && fa == fb {
                    d.push(
                        Kind::FieldAddedToConstructibleStruct,
                        format!("public field `{f}` added: struct literals and patterns that name every field break"),
                    );
                } else {
                    d.push(Kind::FieldAdded, format!("public field `{f}` added"));
                }
            }
            if !pa && *pb && !xa.is_empty() && !na && fa == fb {
                d.push(
                    Kind::StructGainedPrivateFields,
                    "gained private fields: no longer constructible outside the crate".into(),
                );
            }
            exhaustiveness(d, *na, *nb, false);
            repr_change(d, ra, rb);
            generics(d, ga, gb);
            impls(d, ia, ib, gb);
        }
        (
            Shape::Enum {
                variants: va,
                non_exhaustive: na,
                hidden_variants: ha,
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
                ..
            },
        ) => {
            for (v, s) in va {
                match vb.get(v) {
                    None => d.push(Kind::VariantRemoved, format!("variant `{v}` removed")),
                    Some(s2) if s2 != s => {
                        d.push(Kind::VariantChanged, format!("variant `{v}`{s} → `{v}`{s2}"))
                    }
                    _ => {}
                }
            }
            for v in vb.keys().filter(|v| !va.contains_key(*v)) {
                if *na || *ha {
                    d.push(
                        Kind::VariantAdded,
                        format!(
                            "variant `{v}` added to an enum that {}",
                            if *na {
                                "is #[non_exhaustive]"
                            } else {
                                "has a #[doc(hidden)] catch-all variant"
                            }
                        ),
                    );
                } else {
                    d.push(
                        Kind::VariantAddedToExhaustiveEnum,
                        format!("variant `{v}` added: exhaustive matches break"),
                    );
                }
            }
            exhaustiveness(d, *na, *nb, *ha);
            repr_change(d, ra, rb);
            generics(d, ga, gb);
            impls(d, ia, ib, gb);
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
                    None => d.push(Kind::TraitItemRemoved, format!("associated item `{n}` removed")),
                    Some(s2) if s2 != s => d.push(
                        Kind::TraitItemSignatureChanged,
                        format!("`{}` → `{}`", s.shown, s2.shown),
                    ),
                    _ => {}
                }
                if pa.contains_key(n) && rb.contains_key(n) && !xa {
                    d.push(
                        Kind::TraitItemDefaultRemoved,
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
                        Kind::SealedTraitItemAdded,
                        format!("`{}` added to a sealed trait", s.shown),
                    );
                } else {
                    d.push(
                        Kind::TraitRequiredItemAdded,
                        format!("`{}` added without a default: implementors break ({n})", s.shown),
                    );
                }
            }
            for (_, s) in pb
                .iter()
                .filter(|(n, _)| !ra.contains_key(*n) && !pa.contains_key(*n))
            {
                d.push(
                    Kind::TraitProvidedItemAdded,
                    format!("`{}` added with a default", s.shown),
                );
            }
            for s in sb.difference(sa) {
                match (xa, xb) {
                    // Implementors must now implement the supertrait too.
                    (false, false) => d.push(Kind::SupertraitAdded, format!("supertrait `{s}` added")),
                    // A private supertrait sealed the trait: reported as `trait-sealed` below.
                    (false, true) => {}
                    (true, _) => d.push(
                        Kind::SealedTraitSupertraitAdded,
                        format!("supertrait `{s}` added to a sealed trait"),
                    ),
                }
            }
            for s in sa.difference(sb) {
                d.push(
                    Kind::SupertraitRemoved,
                    format!("supertrait `{s}` removed: `T: Trait` no longer implies `T: {s}`"),
                );
            }
            if !xa && *xb {
                d.push(
                    Kind::TraitSealed,
                    "now sealed: can no longer be implemented outside the crate".into(),
                );
            }
            if *da && !db {
                d.push(
                    Kind::TraitNoLongerDynCompatible,
                    "no longer usable as `dyn` trait".into(),
                );
            }
            if ua != ub {
                d.push(Kind::TraitUnsafetyChanged, format!("unsafe trait: {ua} → {ub}"));
            }
            generics(d, ga, gb);
        }
        (Shape::Constant(a), Shape::Constant(b)) if a != b => {
            d.push(Kind::ConstantTypeChanged, format!("{a} → {b}"))
        }
        (Shape::Static(a, ma), Shape::Static(b, mb)) => {
            if a != b {
                d.push(Kind::StaticTypeChanged, format!("{a} → {b}"));
            }
            if ma != mb {
                d.push(Kind::StaticMutabilityChanged, format!("mutable: {ma} → {mb}"));
            }
        }
        (Shape::TypeAlias(a, ga), Shape::TypeAlias(b, gb)) => {
            if a != b {
                d.push(Kind::TypeAliasTargetChanged, format!("{a} → {b}"));
            }
            generics(d, ga, gb);
        }
        (Shape::ReExport(a), Shape::ReExport(b)) if a != b => d.push(
            Kind::ReexportTargetChanged,
            format!("re-exported `{a}`, now `{b}`: uses of the old item at this path break"),
        ),
        _ => {}
    }
}

fn function(d: &mut Diff<'_>, a: &Func, b: &Func) {
    if a.receiver != b.receiver {
        d.push(
            Kind::MethodReceiverChanged,
            format!(
                "receiver {} → {}",
                a.receiver.as_deref().unwrap_or("none"),
                b.receiver.as_deref().unwrap_or("none")
            ),
        );
    }
    if a.params.len() != b.params.len() {
        d.push(
            Kind::FunctionParameterCountChanged,
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
        d.push(Kind::FunctionParameterTypesChanged, diffs.join(", "));
    }
    if a.output != b.output {
        d.push(
            Kind::FunctionReturnTypeChanged,
            format!("{} → {}", a.output, b.output),
        );
    }
    if !a.is_unsafe && b.is_unsafe {
        d.push(Kind::FunctionNowUnsafe, "became unsafe".into());
    }
    if a.is_unsafe && !b.is_unsafe {
        d.push(Kind::FunctionNoLongerUnsafe, "no longer unsafe".into());
    }
    if a.is_const && !b.is_const {
        d.push(Kind::FunctionNoLongerConst, "no longer const fn".into());
    }
    if !a.is_const && b.is_const {
        d.push(Kind::FunctionNowConst, "now const fn".into());
    }
    if a.abi != b.abi {
        d.push(
            Kind::FunctionAbiChanged,
            format!("extern \"{}\" → extern \"{}\"", a.abi, b.abi),
        );
    }
    generics(d, &a.generics, &b.generics);
}

/// `hidden_catch_all`: the old enum had a `#[doc(hidden)]` variant, so
/// supported code could not match it exhaustively anyway.
fn exhaustiveness(d: &mut Diff<'_>, before: bool, after: bool, hidden_catch_all: bool) {
    if !before && after {
        if hidden_catch_all {
            d.push(
                Kind::NonExhaustiveReplacedHiddenVariant,
                "newly #[non_exhaustive], replacing a #[doc(hidden)] catch-all variant".into(),
            );
        } else {
            d.push(Kind::NowNonExhaustive, "newly #[non_exhaustive]".into());
        }
    }
    if before && !after {
        d.push(Kind::NoLongerNonExhaustive, "no longer #[non_exhaustive]".into());
    }
}

/// Adding `repr(C)`, `repr(transparent)` or an integer repr to a type with
/// the default repr is minor; removing or changing any part, or adding
/// `packed` / `align`, is major.
fn repr_change(d: &mut Diff<'_>, a: &Repr, b: &Repr) {
    if a == b {
        return;
    }
    let detail = format!("{} → {}", a.render(), b.render());
    let removed = (a.kind.is_some() && b.kind.is_none())
        || (a.int.is_some() && b.int.is_none())
        || (a.packed.is_some() && b.packed.is_none())
        || (a.align.is_some() && b.align.is_none());
    let changed = (a.kind.is_some() && b.kind.is_some() && a.kind != b.kind)
        || (a.int.is_some() && b.int.is_some() && a.int != b.int)
        || a.packed != b.packed && b.packed.is_some()
        || a.align != b.align && b.align.is_some();
    if changed {
        d.push(Kind::ReprChanged, detail);
    } else if removed {
        d.push(Kind::ReprRemoved, detail);
    } else {
        d.push(Kind::ReprAdded, detail);
    }
}

/// Generic parameters (canonical names, so renaming is no change): added
/// without a default, removed or changed kind is major; a defaulted type
/// parameter added after the others is minor; bounds tightened are major,
/// relaxed minor; defaults changed are major.
fn generics(d: &mut Diff<'_>, a: &Gen, b: &Gen) {
    let explicit = |g: &Gen| -> Vec<(String, String, bool)> {
        g.iter()
            .filter(|(_, p)| !p.synthetic && p.kind != "where")
            .map(|(n, p)| (n.clone(), p.kind.clone(), p.default.is_some()))
            .collect()
    };
    let (ea, eb) = (explicit(a), explicit(b));
    let common = ea.len().min(eb.len());
    if ea[..common].iter().zip(&eb[..common]).any(|(x, y)| x.1 != y.1) {
        d.push(
            Kind::GenericParametersChanged,
            "generic parameter kinds changed".into(),
        );
        return;
    }
    if ea.len() != eb.len() {
        if eb.len() > ea.len()
            && eb[ea.len()..]
                .iter()
                .all(|(_, k, default)| *default && k == "type")
        {
            d.push(
                Kind::GenericParameterAddedWithDefault,
                format!(
                    "{} → {} generic parameters; the new ones have defaults",
                    ea.len(),
                    eb.len()
                ),
            );
        } else {
            d.push(
                Kind::GenericParametersChanged,
                format!("{} → {} generic parameters", ea.len(), eb.len()),
            );
            return;
        }
    }
    let map = |g: &Gen| -> BTreeMap<String, (BTreeSet<String>, Option<String>)> {
        g.iter()
            .map(|(n, p)| (n.clone(), (p.bounds.clone(), p.default.clone())))
            .collect()
    };
    let (ma, mb) = (map(a), map(b));
    for (n, (bounds_b, default_b)) in &mb {
        let Some((bounds_a, default_a)) = ma.get(n).cloned().or_else(|| {
            // A new where-clause on something that is not a parameter.
            n.starts_with("where ").then(Default::default)
        }) else {
            continue; // a parameter added with a default: reported above
        };
        // A bound the old bounds imply (`Iterator` ⇒ `IntoIterator`) is not a new requirement.
        let added: Vec<&String> = bounds_b
            .difference(&bounds_a)
            .filter(|b| !bounds_a.iter().any(|a| implies(a, b)))
            .collect();
        let removed: Vec<&String> = bounds_a.difference(bounds_b).collect();
        let shown = |n: &str| n.to_owned();
        if !added.is_empty() {
            d.push(
                Kind::BoundAdded,
                format!(
                    "`{}` gained bound(s) {}",
                    shown(n),
                    added.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" + ")
                ),
            );
        }
        if !removed.is_empty() {
            d.push(
                Kind::BoundRemoved,
                format!(
                    "`{}` lost bound(s) {}",
                    shown(n),
                    removed.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" + ")
                ),
            );
        }
        if default_a != *default_b && ma.contains_key(n) {
            d.push(
                Kind::GenericDefaultChanged,
                format!(
                    "default of `{n}`: {} → {}",
                    default_a.as_deref().unwrap_or("none"),
                    default_b.as_deref().unwrap_or("none")
                ),
            );
        }
    }
    for (n, (bounds_a, _)) in &ma {
        if n.starts_with("where ") && !mb.contains_key(n) && !bounds_a.is_empty() {
            d.push(
                Kind::BoundRemoved,
                format!(
                    "`{n}` lost bound(s) {}",
                    bounds_a
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(" + ")
                ),
            );
        }
    }
}

/// `a` implies `b` through the standard library's supertraits and blanket
/// impls (`Copy: Clone`, `Eq: PartialEq`, `Iterator ⇒ IntoIterator`...),
/// with the same generic arguments.
fn implies(a: &str, b: &str) -> bool {
    const TABLE: [(&str, &str); 8] = [
        (
            "core::iter::traits::iterator::Iterator",
            "core::iter::traits::collect::IntoIterator",
        ),
        ("core::marker::Copy", "core::clone::Clone"),
        ("core::cmp::Eq", "core::cmp::PartialEq"),
        ("core::cmp::Ord", "core::cmp::PartialOrd"),
        ("core::cmp::Ord", "core::cmp::Eq"),
        ("core::ops::function::Fn", "core::ops::function::FnMut"),
        ("core::ops::function::FnMut", "core::ops::function::FnOnce"),
        ("core::ops::function::Fn", "core::ops::function::FnOnce"),
    ];
    let split = |s: &str| match s.find(['<', '(']) {
        Some(i) => (s[..i].to_owned(), s[i..].to_owned()),
        None => (s.to_owned(), String::new()),
    };
    let ((na, aa), (nb, ab)) = (split(a), split(b));
    aa == ab && TABLE.iter().any(|(x, y)| *x == na && *y == nb)
}

const AUTO: [&str; 5] = ["Send", "Sync", "Unpin", "UnwindSafe", "RefUnwindSafe"];

/// Trait impls of a type, compared by coverage: an old impl is lost only
/// when no new impl covers it (same trait, the new impl's parameters
/// matching the old one's types, bounds no stricter on the parameters that
/// stay generic); a new impl no old impl covers is a gain. rustdoc lists
/// auto traits a type does *not* implement as negative impls (`!Send`): a
/// negative impl appearing is a loss, one disappearing a gain.
fn impls(d: &mut Diff<'_>, a: &[Impl], b: &[Impl], new_generics: &Gen) {
    // The old impls as the new crate reads them: `Self<T>` is `Self<T, D>`
    // when the type gained a parameter with default `D`.
    let defaults: Vec<Option<String>> = new_generics
        .iter()
        .filter(|(_, p)| !p.synthetic && p.kind != "where")
        .map(|(_, p)| p.default.clone())
        .collect();
    let padded: Vec<Impl> = a
        .iter()
        .map(|i| Impl {
            for_: pad_self(&i.for_, &defaults),
            ..i.clone()
        })
        .collect();
    let a = padded.as_slice();
    let positive = |v: &[Impl]| -> Vec<Impl> { v.iter().filter(|i| !i.negative).cloned().collect() };
    let negative = |v: &[Impl]| -> BTreeMap<String, String> {
        v.iter()
            .filter(|i| i.negative)
            .map(|i| (i.trait_name().to_owned(), i.render()))
            .collect()
    };
    let (pa, pb) = (positive(a), positive(b));
    let (na, nb) = (negative(a), negative(b));
    // trait → (old impl, new impl), as written.
    let mut lost: BTreeMap<String, (Option<String>, Option<String>)> = BTreeMap::new();
    let mut gained: BTreeMap<String, (Option<String>, Option<String>)> = BTreeMap::new();
    for old in &pa {
        if !pb.iter().any(|new| covers(new, old)) {
            let replacement = pb
                .iter()
                .find(|n| n.trait_name() == old.trait_name())
                .map(Impl::render);
            lost.insert(old.trait_name().to_owned(), (Some(old.render()), replacement));
        }
    }
    for new in &pb {
        if !pa.iter().any(|old| covers(old, new)) {
            let before = pa.iter().find(|o| covers(new, o)).map(Impl::render);
            gained
                .entry(new.trait_name().to_owned())
                .or_insert((before, Some(new.render())));
        }
    }
    for (t, shown) in nb.iter().filter(|(t, _)| !na.contains_key(*t)) {
        lost.entry(t.clone()).or_insert((None, Some(shown.clone())));
    }
    for (t, shown) in na.iter().filter(|(t, _)| !nb.contains_key(*t)) {
        gained.entry(t.clone()).or_insert((Some(shown.clone()), None));
    }
    let last = |t: &str| t.rsplit("::").next().unwrap_or(t).to_owned();
    for (t, (old, new)) in &lost {
        let kind = if AUTO.contains(&last(t).as_str()) {
            Kind::AutoTraitImplRemoved
        } else {
            Kind::TraitImplRemoved
        };
        d.push_sigs(
            kind,
            format!("no longer implements {t}"),
            old.clone(),
            new.clone(),
        );
    }
    for (t, (old, new)) in gained.iter().filter(|(t, _)| !lost.contains_key(*t)) {
        let kind = match last(t).as_str() {
            "Copy" => Kind::CopyImplAdded,
            l if AUTO.contains(&l) => Kind::AutoTraitImplAdded,
            _ => Kind::TraitImplAdded,
        };
        let why = match (kind, old.is_some()) {
            (Kind::CopyImplAdded, _) => {
                ": values are now copied where they were moved (closures, by-value uses)"
            }
            (_, true) if !matches!(kind, Kind::AutoTraitImplAdded) => {
                " (the new impl is more general than the old one)"
            }
            _ => "",
        };
        d.push_sigs(kind, format!("now implements {t}{why}"), old.clone(), new.clone());
    }
}

/// `Self<A>` with the missing trailing arguments filled from `defaults`.
fn pad_self(for_: &str, defaults: &[Option<String>]) -> String {
    let Some(args) = for_.strip_prefix("Self") else {
        return for_.to_owned();
    };
    let inner = args
        .strip_prefix('<')
        .and_then(|a| a.strip_suffix('>'))
        .unwrap_or("");
    let mut parts: Vec<String> = if inner.is_empty() {
        Vec::new()
    } else {
        super::api::split_top(inner)
    };
    if parts.len() >= defaults.len() {
        return for_.to_owned();
    }
    for d in &defaults[parts.len()..] {
        match d {
            Some(d) => parts.push(d.clone()),
            None => return for_.to_owned(),
        }
    }
    format!("Self<{}>", parts.join(", "))
}

/// Does `general` cover every type `specific` implements the trait for?
/// `general`'s `?N` parameters match any type; `specific`'s are opaque.
fn covers(general: &Impl, specific: &Impl) -> bool {
    if general.trait_name() != specific.trait_name() {
        return false;
    }
    let mut bindings: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let pattern = tokens(&format!("{} for {}", general.trait_, general.for_));
    let target = tokens(&format!("{} for {}", specific.trait_, specific.for_));
    if !unify(&pattern, &target, &mut bindings) {
        return false;
    }
    // Bounds no stricter on parameters that stay generic.
    for (i, bounds) in general.bounds.iter().enumerate() {
        let Some(bound) = bindings.get(&format!("?{i}")) else {
            continue;
        };
        let [one] = bound.as_slice() else {
            continue; // instantiated with a concrete type: assumed to satisfy its bounds
        };
        let Some(j) = one.strip_prefix('?').and_then(|j| j.parse::<usize>().ok()) else {
            continue;
        };
        let empty = BTreeMap::new();
        let old: BTreeSet<String> = specific
            .bounds
            .get(j)
            .into_iter()
            .flatten()
            .map(|b| substitute(b, &empty))
            .collect();
        let substituted: BTreeSet<String> = bounds.iter().map(|b| substitute(b, &bindings)).collect();
        if !substituted.is_subset(&old) {
            return false;
        }
    }
    true
}

fn tokens(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_alphanumeric() || c == '_' || c == ':' || c == '?' || c == '$' {
            cur.push(c);
            continue;
        }
        if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        if c == '-' && chars.peek() == Some(&'>') {
            chars.next();
            out.push("->".into());
        } else if !c.is_whitespace() {
            out.push(c.to_string());
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn is_var(t: &str) -> bool {
    t.strip_prefix('?')
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Matches `pattern` (whose `?N` tokens are variables standing for one
/// type each) against `target`.
fn unify(pattern: &[String], target: &[String], bindings: &mut BTreeMap<String, Vec<String>>) -> bool {
    let (mut i, mut j) = (0, 0);
    while i < pattern.len() {
        let p = &pattern[i];
        if is_var(p) {
            // One type: up to the next top-level delimiter.
            let start = j;
            let mut depth = 0i32;
            while j < target.len() {
                match target[j].as_str() {
                    "<" | "(" | "[" => depth += 1,
                    ">" | ")" | "]" if depth == 0 => break,
                    ">" | ")" | "]" => depth -= 1,
                    "," | ";" | "for" if depth == 0 => break,
                    _ => {}
                }
                j += 1;
            }
            if start == j {
                return false;
            }
            let seq = target[start..j].to_vec();
            match bindings.get(p) {
                Some(b) if *b != seq => return false,
                Some(_) => {}
                None => {
                    bindings.insert(p.clone(), seq);
                }
            }
            i += 1;
            continue;
        }
        if target.get(j) != Some(p) {
            return false;
        }
        i += 1;
        j += 1;
    }
    j == target.len()
}

fn substitute(s: &str, bindings: &BTreeMap<String, Vec<String>>) -> String {
    tokens(s)
        .into_iter()
        .map(|t| match bindings.get(&t) {
            Some(seq) => seq.join(" "),
            None => t,
        })
        .collect::<Vec<_>>()
        .join(" ")
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
    let change =
        |kind: Kind, item_kind: &str, path: String, detail: String, o: Option<String>, n: Option<String>| {
            Change {
                path,
                item_kind: item_kind.into(),
                kind,
                detail,
                old: o,
                new: n,
                old_span: None,
                new_span: None,
            }
        };
    for f in old.features.difference(&new.features) {
        out.push(change(
            Kind::FeatureRemoved,
            "feature",
            format!("feature `{f}`"),
            "Cargo feature removed: dependents enabling it fail to build".into(),
            Some(f.clone()),
            None,
        ));
    }
    for f in new.features.difference(&old.features) {
        out.push(change(
            Kind::FeatureAdded,
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
                Kind::MsrvRaised,
                "manifest",
                "Cargo.toml rust-version".into(),
                format!("minimum supported Rust raised {a} → {b}"),
                old.rust_version.clone(),
                new.rust_version.clone(),
            ));
        }
    } else if old.rust_version.is_none() && new.rust_version.is_some() {
        out.push(change(
            Kind::MsrvDeclared,
            "manifest",
            "Cargo.toml rust-version".into(),
            "minimum supported Rust declared".into(),
            None,
            new.rust_version.clone(),
        ));
    }
    // Crates named in signatures or in the types' trait impls.
    let used: BTreeSet<String> = api
        .items
        .values()
        .flat_map(|i| {
            let impls: Vec<String> = match &i.shape {
                Shape::Struct { impls, .. } | Shape::Enum { impls, .. } => {
                    impls.iter().map(Impl::render).collect()
                }
                _ => Vec::new(),
            };
            std::iter::once(i.signature.clone())
                .chain(impls)
                .collect::<Vec<_>>()
        })
        .flat_map(|sig| {
            sig.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
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
                Kind::PublicDependencyMajorBump,
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
    let required = changes.iter().map(Change::class).max().unwrap_or(Bump::None);
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
            kind: Kind::ItemAdded,
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
    /// The feature set the current side was documented with, and why.
    pub new_features: crate::collect::rustdoc::FeatureChoice,
    /// The feature set the baseline was documented with, and why.
    pub old_features: crate::collect::rustdoc::FeatureChoice,
    /// Target documented (`host` triple when none given).
    pub target: String,
    /// Every change.
    pub changes: Vec<Change>,
    /// The verdict.
    pub verdict: Verdict,
}
