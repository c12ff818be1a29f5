//! The public API of a crate, from rustdoc JSON, and the diff of two of them.
//!
//! [`Api::from_rustdoc`] walks every public item reachable from the crate
//! root, following `pub use` (also globs and renames), and records each
//! under its public path with a canonical *shape*: types rendered with
//! lifetimes dropped (elided and explicit lifetimes are the same API),
//! `async fn` rendered as `fn -> impl Future<Output = T>`, parameter names
//! left out, and local types named by their public path (so moving an item
//! behind an unchanged `pub use` changes nothing). [`crate::analyze::compat::diff`] compares two
//! APIs item by item and classifies every change as major, minor or none.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use rustdoc_types::{
    Abi, Crate, GenericArg, GenericArgs, GenericBound, GenericParamDefKind, Generics, Id, Item, ItemEnum,
    StructKind, Term, TraitBoundModifier, Type, VariantKind, Visibility, WherePredicate,
};

/// A change class, ordered: `None < Patch < Minor < Major`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Bump {
    /// No API change.
    None,
    /// A fix with no API change.
    Patch,
    /// A compatible addition.
    Minor,
    /// A breaking change.
    Major,
}

impl Bump {
    /// `none`, `patch`, `minor`, `major`.
    pub fn name(self) -> &'static str {
        match self {
            Bump::None => "none",
            Bump::Patch => "patch",
            Bump::Minor => "minor",
            Bump::Major => "major",
        }
    }
}

/// Where an item is defined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    /// File, relative to the crate root as rustdoc reports it.
    pub file: String,
    /// First line.
    pub line: usize,
    /// Last line.
    pub end_line: usize,
}

/// One public item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiItem {
    /// `function`, `struct`, `enum`, `trait`, `method`, ...
    pub kind: &'static str,
    /// Human-readable signature.
    pub signature: String,
    /// What is compared.
    pub shape: Shape,
    /// Source location.
    pub span: Option<Span>,
    /// `#[deprecated]`.
    pub deprecated: bool,
    /// `#[must_use]`.
    pub must_use: bool,
}

/// Generic parameters: (name, kind + bounds + default) in order, lifetimes left out.
pub type Gen = Vec<(String, GenParam)>;

/// One generic parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenParam {
    /// `type` or `const TYPE`.
    pub kind: String,
    /// Bounds (including where-clauses on the parameter), sorted.
    pub bounds: BTreeSet<String>,
    /// Default, if any.
    pub default: Option<String>,
    /// `impl Trait` in argument position.
    pub synthetic: bool,
}

/// A function's comparable shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Func {
    /// Parameter types (the receiver included, first).
    pub params: Vec<String>,
    /// Return type (`()` when none).
    pub output: String,
    /// `self`, `&self`, `&mut self`, `self: Box<Self>`... when a method.
    pub receiver: Option<String>,
    /// Generics.
    pub generics: Gen,
    /// `const fn`.
    pub is_const: bool,
    /// `unsafe fn`.
    pub is_unsafe: bool,
    /// ABI, e.g. `Rust`, `C`.
    pub abi: String,
    /// Has a body (trait methods: provided).
    pub has_body: bool,
}

/// The comparable shape of an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shape {
    /// A free function or a method.
    Function(Func),
    /// A struct or union.
    Struct {
        /// `plain`, `tuple`, `unit` or `union`.
        form: &'static str,
        /// Public fields: name (or index) → type.
        fields: BTreeMap<String, String>,
        /// Has private or hidden fields.
        private_fields: bool,
        /// `#[non_exhaustive]`.
        non_exhaustive: bool,
        /// `#[repr(..)]`.
        repr: Option<String>,
        /// Generics.
        generics: Gen,
        /// Trait impls (auto traits and derives included), as rendered trait paths.
        impls: BTreeSet<String>,
    },
    /// An enum.
    Enum {
        /// Variant name → rendered shape.
        variants: BTreeMap<String, String>,
        /// `#[non_exhaustive]`.
        non_exhaustive: bool,
        /// `#[repr(..)]`.
        repr: Option<String>,
        /// Generics.
        generics: Gen,
        /// Trait impls.
        impls: BTreeSet<String>,
    },
    /// A trait.
    Trait {
        /// Associated items without a default: name → signature.
        required: BTreeMap<String, String>,
        /// Associated items with a default: name → signature.
        provided: BTreeMap<String, String>,
        /// Supertrait bounds.
        supertraits: BTreeSet<String>,
        /// Generics.
        generics: Gen,
        /// Usable as `dyn Trait`.
        dyn_compatible: bool,
        /// Implementable only inside the crate (a supertrait is not public).
        sealed: bool,
        /// `unsafe trait`.
        is_unsafe: bool,
    },
    /// A constant: its type.
    Constant(String),
    /// A static: type and mutability.
    Static(String, bool),
    /// A type alias: target and generics.
    TypeAlias(String, Gen),
    /// Anything compared by existence only (modules, macros, re-exports of other crates).
    Exists,
}

/// A crate's public API.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Api {
    /// Public path → item.
    pub items: BTreeMap<String, ApiItem>,
}

/// A rustdoc JSON document relgate cannot read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RustdocError {
    /// Another `format_version`.
    #[error("rustdoc JSON format version {found}; this relgate reads format version {supported} (the stable toolchain's; Rust 1.93 to 1.95)")]
    FormatVersion {
        /// In the document.
        found: u32,
        /// Supported.
        supported: u32,
    },
    /// Not rustdoc JSON.
    #[error("not rustdoc JSON: {0}")]
    Parse(String),
}

/// Parses rustdoc JSON after checking its `format_version` (serde alone
/// would accept other versions silently).
pub fn parse_rustdoc(json: &[u8]) -> Result<Crate, RustdocError> {
    #[derive(serde::Deserialize)]
    struct Version {
        format_version: u32,
    }
    let v: Version = serde_json::from_slice(json).map_err(|e| RustdocError::Parse(e.to_string()))?;
    if v.format_version != rustdoc_types::FORMAT_VERSION {
        return Err(RustdocError::FormatVersion {
            found: v.format_version,
            supported: rustdoc_types::FORMAT_VERSION,
        });
    }
    serde_json::from_slice(json).map_err(|e| RustdocError::Parse(e.to_string()))
}

struct Walker<'a> {
    krate: &'a Crate,
    /// Local id → public path (the first, shortest one found).
    public: HashMap<&'a Id, String>,
}

impl Api {
    /// The public API of a crate.
    pub fn from_rustdoc(krate: &Crate) -> Api {
        let mut w = Walker {
            krate,
            public: HashMap::new(),
        };
        let root_name = krate
            .index
            .get(&krate.root)
            .and_then(|i| i.name.clone())
            .unwrap_or_else(|| "crate".into());
        // Pass 1: public paths of every reachable item.
        let mut found: Vec<(String, &Id)> = Vec::new();
        let mut seen = BTreeSet::new();
        w.collect(&krate.root, &root_name, &mut found, &mut seen, 0);
        found.sort_by(|a, b| a.0.len().cmp(&b.0.len()).then(a.0.cmp(&b.0)));
        for (path, id) in &found {
            w.public.entry(*id).or_insert_with(|| path.clone());
        }
        // Pass 2: shapes.
        let mut items = BTreeMap::new();
        for (path, id) in &found {
            if let Some(item) = krate.index.get(*id) {
                for (p, a) in w.describe(path, item) {
                    items.entry(p).or_insert(a);
                }
            }
        }
        Api { items }
    }
}

impl<'a> Walker<'a> {
    fn collect(
        &self,
        module: &'a Id,
        prefix: &str,
        out: &mut Vec<(String, &'a Id)>,
        seen: &mut BTreeSet<(String, &'a Id)>,
        depth: usize,
    ) {
        if depth > 32 {
            return; // re-export cycles
        }
        let Some(Item {
            inner: ItemEnum::Module(m),
            ..
        }) = self.krate.index.get(module)
        else {
            return;
        };
        for id in &m.items {
            let Some(item) = self.krate.index.get(id) else {
                continue;
            };
            if item.visibility != Visibility::Public {
                continue;
            }
            match &item.inner {
                ItemEnum::Use(u) => {
                    let Some(target) = u.id.as_ref() else {
                        // A re-export rustdoc did not inline (another crate's item).
                        continue;
                    };
                    if u.is_glob {
                        match self.krate.index.get(target).map(|t| &t.inner) {
                            Some(ItemEnum::Module(_)) => self.collect(target, prefix, out, seen, depth + 1),
                            Some(ItemEnum::Enum(e)) => {
                                for v in &e.variants {
                                    if let Some(name) = self.krate.index.get(v).and_then(|i| i.name.clone()) {
                                        out.push((format!("{prefix}::{name}"), v));
                                    }
                                }
                            }
                            _ => {}
                        }
                    } else {
                        let path = format!("{prefix}::{}", u.name);
                        self.add(path, target, out, seen, depth);
                    }
                }
                ItemEnum::Impl(_) | ItemEnum::ExternCrate { .. } => {}
                _ => {
                    if let Some(name) = &item.name {
                        self.add(format!("{prefix}::{name}"), id, out, seen, depth);
                    }
                }
            }
        }
    }

    fn add(
        &self,
        path: String,
        id: &'a Id,
        out: &mut Vec<(String, &'a Id)>,
        seen: &mut BTreeSet<(String, &'a Id)>,
        depth: usize,
    ) {
        if !seen.insert((path.clone(), id)) {
            return;
        }
        if matches!(
            self.krate.index.get(id).map(|i| &i.inner),
            Some(ItemEnum::Module(_))
        ) {
            self.collect(id, &path, out, seen, depth + 1);
        }
        out.push((path, id));
    }

    fn describe(&self, path: &str, item: &'a Item) -> Vec<(String, ApiItem)> {
        let base = |kind, signature: String, shape| ApiItem {
            kind,
            signature,
            shape,
            span: span_of(item),
            deprecated: item.deprecation.is_some(),
            must_use: item
                .attrs
                .iter()
                .any(|a| matches!(a, rustdoc_types::Attribute::MustUse { .. })),
        };
        let name = path.rsplit("::").next().unwrap_or(path);
        let mut out = Vec::new();
        let shape_and_sig = match &item.inner {
            ItemEnum::Module(_) => ("module", format!("pub mod {name}"), Shape::Exists),
            ItemEnum::Function(f) => {
                let func = self.func(f);
                ("function", self.fn_sig(name, &func), Shape::Function(func))
            }
            ItemEnum::Struct(s) => {
                let (form, fields, private_fields) = match &s.kind {
                    StructKind::Unit => ("unit", BTreeMap::new(), false),
                    StructKind::Tuple(ids) => {
                        let mut fields = BTreeMap::new();
                        let mut hidden = false;
                        for (i, f) in ids.iter().enumerate() {
                            match f.as_ref().and_then(|f| self.field(f)) {
                                Some((_, ty)) => {
                                    fields.insert(i.to_string(), ty);
                                }
                                None => hidden = true,
                            }
                        }
                        ("tuple", fields, hidden)
                    }
                    StructKind::Plain {
                        fields,
                        has_stripped_fields,
                    } => {
                        let mut map = BTreeMap::new();
                        let mut hidden = *has_stripped_fields;
                        for f in fields {
                            match self.field(f) {
                                Some((n, ty)) => {
                                    map.insert(n, ty);
                                }
                                None => hidden = true,
                            }
                        }
                        ("plain", map, hidden)
                    }
                };
                let generics = self.generics(&s.generics);
                let impls = self.impls(path, &s.impls, &mut out);
                let sig = format!("pub struct {name}{}", render_gen(&generics));
                let shape = Shape::Struct {
                    form,
                    fields,
                    private_fields,
                    non_exhaustive: non_exhaustive(item),
                    repr: repr(item),
                    generics,
                    impls,
                };
                ("struct", sig, shape)
            }
            ItemEnum::Union(u) => {
                let mut fields = BTreeMap::new();
                let mut hidden = u.has_stripped_fields;
                for f in &u.fields {
                    match self.field(f) {
                        Some((n, ty)) => {
                            fields.insert(n, ty);
                        }
                        None => hidden = true,
                    }
                }
                let generics = self.generics(&u.generics);
                let impls = self.impls(path, &u.impls, &mut out);
                let sig = format!("pub union {name}{}", render_gen(&generics));
                let shape = Shape::Struct {
                    form: "union",
                    fields,
                    private_fields: hidden,
                    non_exhaustive: non_exhaustive(item),
                    repr: repr(item),
                    generics,
                    impls,
                };
                ("union", sig, shape)
            }
            ItemEnum::Enum(e) => {
                let mut variants = BTreeMap::new();
                for v in &e.variants {
                    if let Some(vi) = self.krate.index.get(v) {
                        if let ItemEnum::Variant(var) = &vi.inner {
                            let shape = match &var.kind {
                                VariantKind::Plain => String::new(),
                                VariantKind::Tuple(ids) => format!(
                                    "({})",
                                    ids.iter()
                                        .map(|f| f
                                            .as_ref()
                                            .and_then(|f| self.variant_field(f))
                                            .map_or("_".into(), |(_, t)| t))
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                ),
                                VariantKind::Struct {
                                    fields,
                                    has_stripped_fields,
                                } => format!(
                                    "{{ {}{} }}",
                                    fields
                                        .iter()
                                        .filter_map(|f| self.variant_field(f))
                                        .map(|(n, t)| format!("{n}: {t}"))
                                        .collect::<Vec<_>>()
                                        .join(", "),
                                    if *has_stripped_fields { ", .." } else { "" }
                                ),
                            };
                            let shape = if non_exhaustive(vi) {
                                format!("{shape} #[non_exhaustive]")
                            } else {
                                shape
                            };
                            variants.insert(vi.name.clone().unwrap_or_default(), shape);
                        }
                    }
                }
                let generics = self.generics(&e.generics);
                let impls = self.impls(path, &e.impls, &mut out);
                let sig = format!("pub enum {name}{}", render_gen(&generics));
                let shape = Shape::Enum {
                    variants,
                    non_exhaustive: non_exhaustive(item) || e.has_stripped_variants,
                    repr: repr(item),
                    generics,
                    impls,
                };
                ("enum", sig, shape)
            }
            ItemEnum::Trait(t) => {
                let mut required = BTreeMap::new();
                let mut provided = BTreeMap::new();
                for id in &t.items {
                    let Some(ti) = self.krate.index.get(id) else {
                        continue;
                    };
                    let n = ti.name.clone().unwrap_or_default();
                    let (sig, has_default) = match &ti.inner {
                        ItemEnum::Function(f) => {
                            let func = self.func(f);
                            (self.fn_sig(&n, &func), f.has_body)
                        }
                        ItemEnum::AssocType { bounds, type_, .. } => (
                            format!(
                                "type {n}{}",
                                render_bounds(&bounds.iter().map(|b| self.bound(b)).collect())
                            ),
                            type_.is_some(),
                        ),
                        ItemEnum::AssocConst { type_, value } => {
                            (format!("const {n}: {}", self.ty(type_)), value.is_some())
                        }
                        _ => continue,
                    };
                    if has_default {
                        provided.insert(n, sig);
                    } else {
                        required.insert(n, sig);
                    }
                }
                let supertraits: BTreeSet<String> = t.bounds.iter().map(|b| self.bound(b)).collect();
                let sealed = t.bounds.iter().any(|b| match b {
                    GenericBound::TraitBound { trait_, .. } => {
                        self.krate.index.contains_key(&trait_.id) && !self.public.contains_key(&trait_.id)
                    }
                    _ => false,
                });
                let generics = self.generics(&t.generics);
                let sig = format!(
                    "pub {}trait {name}{}{}",
                    if t.is_unsafe { "unsafe " } else { "" },
                    render_gen(&generics),
                    render_bounds(&supertraits)
                );
                let shape = Shape::Trait {
                    required,
                    provided,
                    supertraits,
                    generics,
                    dyn_compatible: t.is_dyn_compatible,
                    sealed,
                    is_unsafe: t.is_unsafe,
                };
                ("trait", sig, shape)
            }
            ItemEnum::Constant { type_, .. } => {
                let t = self.ty(type_);
                ("constant", format!("pub const {name}: {t}"), Shape::Constant(t))
            }
            ItemEnum::Static(s) => {
                let t = self.ty(&s.type_);
                let m = if s.is_mutable { "mut " } else { "" };
                (
                    "static",
                    format!("pub static {m}{name}: {t}"),
                    Shape::Static(t, s.is_mutable),
                )
            }
            ItemEnum::TypeAlias(a) => {
                let t = self.ty(&a.type_);
                let g = self.generics(&a.generics);
                (
                    "type-alias",
                    format!("pub type {name}{} = {t}", render_gen(&g)),
                    Shape::TypeAlias(t, g),
                )
            }
            ItemEnum::Macro(_) => ("macro", format!("macro_rules! {name}"), Shape::Exists),
            ItemEnum::ProcMacro(_) => ("proc-macro", format!("proc macro {name}"), Shape::Exists),
            ItemEnum::Variant(_) => ("variant", format!("variant {name}"), Shape::Exists),
            ItemEnum::TraitAlias(_) => ("trait-alias", format!("trait alias {name}"), Shape::Exists),
            _ => return out,
        };
        let (kind, signature, shape) = shape_and_sig;
        out.push((path.to_owned(), base(kind, signature, shape)));
        out
    }

    /// A variant's field: as public as the enum (rustdoc marks it `default`).
    fn variant_field(&self, id: &Id) -> Option<(String, String)> {
        match &self.krate.index.get(id)?.inner {
            ItemEnum::StructField(t) => Some((
                self.krate.index.get(id)?.name.clone().unwrap_or_default(),
                self.ty(t),
            )),
            _ => None,
        }
    }

    fn field(&self, id: &Id) -> Option<(String, String)> {
        let item = self.krate.index.get(id)?;
        if item.visibility != Visibility::Public {
            return None;
        }
        match &item.inner {
            ItemEnum::StructField(t) => Some((item.name.clone().unwrap_or_default(), self.ty(t))),
            _ => None,
        }
    }

    /// Trait impls of a type (as rendered trait paths), and its public inherent
    /// methods and associated consts as items of their own.
    fn impls(&self, type_path: &str, ids: &[Id], out: &mut Vec<(String, ApiItem)>) -> BTreeSet<String> {
        let mut traits = BTreeSet::new();
        for id in ids {
            let Some(Item {
                inner: ItemEnum::Impl(imp),
                ..
            }) = self.krate.index.get(id)
            else {
                continue;
            };
            if imp.blanket_impl.is_some() {
                continue; // `impl<T> From<T> for T` and the like: not this type's
            }
            match &imp.trait_ {
                Some(tr) => {
                    let mut s = self.path(tr);
                    if imp.is_negative {
                        s = format!("!{s}");
                    }
                    traits.insert(s);
                }
                None => {
                    for m in &imp.items {
                        let Some(mi) = self.krate.index.get(m) else {
                            continue;
                        };
                        if mi.visibility != Visibility::Public {
                            continue;
                        }
                        let Some(n) = &mi.name else { continue };
                        let path = format!("{type_path}::{n}");
                        let span = span_of(mi);
                        let common = |kind, signature, shape| ApiItem {
                            kind,
                            signature,
                            shape,
                            span: span.clone(),
                            deprecated: mi.deprecation.is_some(),
                            must_use: mi
                                .attrs
                                .iter()
                                .any(|a| matches!(a, rustdoc_types::Attribute::MustUse { .. })),
                        };
                        match &mi.inner {
                            ItemEnum::Function(f) => {
                                let func = self.func(f);
                                out.push((
                                    path,
                                    common("method", self.fn_sig(n, &func), Shape::Function(func)),
                                ));
                            }
                            ItemEnum::AssocConst { type_, .. } => {
                                let t = self.ty(type_);
                                out.push((
                                    path,
                                    common(
                                        "associated-const",
                                        format!("pub const {n}: {t}"),
                                        Shape::Constant(t),
                                    ),
                                ));
                            }
                            _ => {}
                        }
                    }
                }
            }
        }
        traits
    }

    fn func(&self, f: &rustdoc_types::Function) -> Func {
        let mut params: Vec<String> = f.sig.inputs.iter().map(|(_, t)| self.ty(t)).collect();
        let receiver = f
            .sig
            .inputs
            .first()
            .filter(|(n, _)| n == "self")
            .map(|(_, t)| match t {
                Type::Generic(s) if s == "Self" => "self".to_owned(),
                Type::BorrowedRef {
                    is_mutable: true,
                    type_,
                    ..
                } if matches!(&**type_, Type::Generic(s) if s == "Self") => "&mut self".into(),
                Type::BorrowedRef {
                    is_mutable: false,
                    type_,
                    ..
                } if matches!(&**type_, Type::Generic(s) if s == "Self") => "&self".into(),
                other => format!("self: {}", self.ty(other)),
            });
        if let (Some(r), Some(first)) = (&receiver, params.first_mut()) {
            *first = r.clone();
        }
        let mut output = f
            .sig
            .output
            .as_ref()
            .map_or_else(|| "()".to_owned(), |t| self.ty(t));
        if f.header.is_async {
            // `async fn f() -> T` is `fn f() -> impl Future<Output = T>`.
            output = format!("impl core::future::future::Future<Output = {output}>");
        }
        Func {
            params,
            output,
            receiver,
            generics: self.generics(&f.generics),
            is_const: f.header.is_const,
            is_unsafe: f.header.is_unsafe,
            abi: abi(&f.header.abi),
            has_body: f.has_body,
        }
    }

    fn fn_sig(&self, name: &str, f: &Func) -> String {
        format!(
            "pub {}{}{}fn {name}{}({}){}",
            if f.is_const { "const " } else { "" },
            if f.is_unsafe { "unsafe " } else { "" },
            if f.abi == "Rust" {
                String::new()
            } else {
                format!("extern \"{}\" ", f.abi)
            },
            render_gen(&f.generics),
            f.params.join(", "),
            if f.output == "()" {
                String::new()
            } else {
                format!(" -> {}", f.output)
            }
        )
    }

    fn generics(&self, g: &Generics) -> Gen {
        let mut out: Gen = Vec::new();
        for p in &g.params {
            let param = match &p.kind {
                GenericParamDefKind::Lifetime { .. } => continue,
                GenericParamDefKind::Type {
                    bounds,
                    default,
                    is_synthetic,
                } => GenParam {
                    kind: "type".into(),
                    bounds: bounds
                        .iter()
                        .map(|b| self.bound(b))
                        .filter(|b| !b.is_empty())
                        .collect(),
                    default: default.as_ref().map(|t| self.ty(t)),
                    synthetic: *is_synthetic,
                },
                GenericParamDefKind::Const { type_, default } => GenParam {
                    kind: format!("const {}", self.ty(type_)),
                    bounds: BTreeSet::new(),
                    default: default.clone(),
                    synthetic: false,
                },
            };
            out.push((p.name.clone(), param));
        }
        for w in &g.where_predicates {
            if let WherePredicate::BoundPredicate { type_, bounds, .. } = w {
                let bounds: BTreeSet<String> = bounds
                    .iter()
                    .map(|b| self.bound(b))
                    .filter(|b| !b.is_empty())
                    .collect();
                if let Type::Generic(n) = type_ {
                    if let Some((_, p)) = out.iter_mut().find(|(name, _)| name == n) {
                        p.bounds.extend(bounds);
                        continue;
                    }
                }
                out.push((
                    format!("where {}", self.ty(type_)),
                    GenParam {
                        kind: "where".into(),
                        bounds,
                        default: None,
                        synthetic: false,
                    },
                ));
            }
        }
        out
    }

    fn bound(&self, b: &GenericBound) -> String {
        match b {
            GenericBound::TraitBound { trait_, modifier, .. } => {
                let p = self.path(trait_);
                match modifier {
                    TraitBoundModifier::Maybe => format!("?{p}"),
                    TraitBoundModifier::MaybeConst => format!("~const {p}"),
                    TraitBoundModifier::None => p,
                }
            }
            GenericBound::Outlives(_) | GenericBound::Use(_) => String::new(),
        }
    }

    /// A path: the public path for local items, the canonical path otherwise.
    fn path(&self, p: &rustdoc_types::Path) -> String {
        let name = self
            .public
            .get(&p.id)
            .cloned()
            .or_else(|| self.krate.paths.get(&p.id).map(|s| s.path.join("::")))
            .unwrap_or_else(|| p.path.clone());
        match p.args.as_deref() {
            None => name,
            Some(a) => format!("{name}{}", self.args(a)),
        }
    }

    fn args(&self, a: &GenericArgs) -> String {
        match a {
            GenericArgs::AngleBracketed { args, constraints } => {
                let mut parts: Vec<String> = args
                    .iter()
                    .filter_map(|g| match g {
                        GenericArg::Lifetime(_) => None,
                        GenericArg::Type(t) => Some(self.ty(t)),
                        GenericArg::Const(c) => Some(c.expr.clone()),
                        GenericArg::Infer => Some("_".into()),
                    })
                    .collect();
                for c in constraints {
                    parts.push(match &c.binding {
                        rustdoc_types::AssocItemConstraintKind::Equality(Term::Type(t)) => {
                            format!("{} = {}", c.name, self.ty(t))
                        }
                        rustdoc_types::AssocItemConstraintKind::Equality(Term::Constant(k)) => {
                            format!("{} = {}", c.name, k.expr)
                        }
                        rustdoc_types::AssocItemConstraintKind::Constraint(b) => {
                            format!(
                                "{}{}",
                                c.name,
                                render_bounds(&b.iter().map(|b| self.bound(b)).collect())
                            )
                        }
                    });
                }
                if parts.is_empty() {
                    String::new()
                } else {
                    format!("<{}>", parts.join(", "))
                }
            }
            GenericArgs::Parenthesized { inputs, output } => format!(
                "({}){}",
                inputs.iter().map(|t| self.ty(t)).collect::<Vec<_>>().join(", "),
                output
                    .as_ref()
                    .map_or(String::new(), |o| format!(" -> {}", self.ty(o)))
            ),
            GenericArgs::ReturnTypeNotation => "(..)".into(),
        }
    }

    /// A type, canonically (lifetimes dropped).
    fn ty(&self, t: &Type) -> String {
        match t {
            Type::ResolvedPath(p) => self.path(p),
            Type::DynTrait(d) => format!(
                "dyn {}",
                d.traits
                    .iter()
                    .map(|p| self.path(&p.trait_))
                    .collect::<Vec<_>>()
                    .join(" + ")
            ),
            Type::Generic(s) | Type::Primitive(s) => s.clone(),
            Type::FunctionPointer(f) => {
                let f2 = rustdoc_types::Function {
                    sig: f.sig.clone(),
                    generics: Generics {
                        params: vec![],
                        where_predicates: vec![],
                    },
                    header: f.header.clone(),
                    has_body: false,
                };
                let func = self.func(&f2);
                format!(
                    "{}{}fn({}){}",
                    if func.is_unsafe { "unsafe " } else { "" },
                    if func.abi == "Rust" {
                        String::new()
                    } else {
                        format!("extern \"{}\" ", func.abi)
                    },
                    func.params.join(", "),
                    if func.output == "()" {
                        String::new()
                    } else {
                        format!(" -> {}", func.output)
                    }
                )
            }
            Type::Tuple(ts) => format!(
                "({})",
                ts.iter().map(|t| self.ty(t)).collect::<Vec<_>>().join(", ")
            ),
            Type::Slice(t) => format!("[{}]", self.ty(t)),
            Type::Array { type_, len } => format!("[{}; {len}]", self.ty(type_)),
            Type::Pat { type_, .. } => self.ty(type_),
            Type::ImplTrait(bounds) => {
                let b: Vec<String> = bounds
                    .iter()
                    .map(|b| self.bound(b))
                    .filter(|b| !b.is_empty())
                    .collect();
                format!("impl {}", b.join(" + "))
            }
            Type::Infer => "_".into(),
            Type::RawPointer { is_mutable, type_ } => {
                format!(
                    "*{} {}",
                    if *is_mutable { "mut" } else { "const" },
                    self.ty(type_)
                )
            }
            Type::BorrowedRef {
                is_mutable, type_, ..
            } => {
                format!("&{}{}", if *is_mutable { "mut " } else { "" }, self.ty(type_))
            }
            Type::QualifiedPath {
                name,
                args,
                self_type,
                trait_,
            } => format!(
                "<{}{}>::{name}{}",
                self.ty(self_type),
                trait_
                    .as_ref()
                    .map_or(String::new(), |t| format!(" as {}", self.path(t))),
                args.as_deref().map_or(String::new(), |a| self.args(a))
            ),
        }
    }
}

fn span_of(item: &Item) -> Option<Span> {
    item.span.as_ref().map(|s| Span {
        file: s.filename.to_string_lossy().replace('\\', "/"),
        line: s.begin.0,
        end_line: s.end.0,
    })
}

fn abi(a: &Abi) -> String {
    match a {
        Abi::Rust => "Rust".into(),
        Abi::C { unwind } => if *unwind { "C-unwind" } else { "C" }.into(),
        Abi::Cdecl { .. } => "cdecl".into(),
        Abi::Stdcall { .. } => "stdcall".into(),
        Abi::Fastcall { .. } => "fastcall".into(),
        Abi::Aapcs { .. } => "aapcs".into(),
        Abi::Win64 { .. } => "win64".into(),
        Abi::SysV64 { .. } => "sysv64".into(),
        Abi::System { unwind } => if *unwind { "system-unwind" } else { "system" }.into(),
        Abi::Other(s) => s.clone(),
    }
}

fn non_exhaustive(item: &Item) -> bool {
    item.attrs
        .iter()
        .any(|a| matches!(a, rustdoc_types::Attribute::NonExhaustive))
}

fn repr(item: &Item) -> Option<String> {
    item.attrs.iter().find_map(|a| match a {
        rustdoc_types::Attribute::Repr(r) => Some(
            format!("{:?}", r.kind).to_lowercase()
                + &r.int.as_ref().map_or(String::new(), |i| format!(", {i}")),
        ),
        _ => None,
    })
}

fn render_bounds(b: &BTreeSet<String>) -> String {
    if b.is_empty() {
        String::new()
    } else {
        format!(": {}", b.iter().cloned().collect::<Vec<_>>().join(" + "))
    }
}

fn render_gen(g: &Gen) -> String {
    let params: Vec<String> = g
        .iter()
        .filter(|(_, p)| p.kind != "where" && !p.synthetic)
        .map(|(n, p)| {
            let head = if p.kind == "type" {
                n.clone()
            } else {
                format!("{} {n}", p.kind)
            };
            format!(
                "{head}{}{}",
                render_bounds(&p.bounds),
                p.default.as_ref().map_or(String::new(), |d| format!(" = {d}"))
            )
        })
        .collect();
    if params.is_empty() {
        String::new()
    } else {
        format!("<{}>", params.join(", "))
    }
}
