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
//!
//! Shapes are normalized before comparison and signatures are kept for
//! display only: generic parameters are named by position (`$0`, `$1`...,
//! so renaming one changes nothing), `where` clauses are merged into the
//! parameters' bounds (`where Self: B` into the supertraits), bounds are
//! sets, default type arguments of local types are filled in, and trait
//! impls keep their own parameters as pattern variables (`?0`...) so that
//! [`crate::analyze::compat`] can tell whether a new impl covers an old one.
//! `#[doc(hidden)]` items are not public API: they are recorded in
//! [`Api::hidden`] and compared by nothing else. Re-exports of other crates'
//! items are items of their own ([`Shape::ReExport`]).

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

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
        repr: Repr,
        /// Generics.
        generics: Gen,
        /// Trait impls (auto traits and derives included).
        impls: Vec<Impl>,
    },
    /// An enum.
    Enum {
        /// Variant name → rendered shape.
        variants: BTreeMap<String, String>,
        /// `#[non_exhaustive]`.
        non_exhaustive: bool,
        /// Has a `#[doc(hidden)]` variant (a catch-all others must not name).
        hidden_variants: bool,
        /// `#[repr(..)]`.
        repr: Repr,
        /// Generics.
        generics: Gen,
        /// Trait impls.
        impls: Vec<Impl>,
    },
    /// A trait.
    Trait {
        /// Associated items without a default: name → signature.
        required: BTreeMap<String, Sig>,
        /// Associated items with a default: name → signature.
        provided: BTreeMap<String, Sig>,
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
    /// A re-export of another crate's item: the item's canonical path.
    ReExport(String),
    /// Anything compared by existence only (modules, macros).
    Exists,
}

/// A signature compared in canonical form and shown as written.
#[derive(Debug, Clone)]
pub struct Sig {
    /// Canonical (parameters named by position): what is compared.
    pub canon: String,
    /// As written: what a reader sees.
    pub shown: String,
}

impl PartialEq for Sig {
    fn eq(&self, other: &Sig) -> bool {
        self.canon == other.canon
    }
}

impl Eq for Sig {}

/// A `#[repr(..)]`, in parts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Repr {
    /// `c`, `transparent` or `simd` (`None`: the default representation).
    pub kind: Option<String>,
    /// An enum's integer type.
    pub int: Option<String>,
    /// `packed(N)`.
    pub packed: Option<u64>,
    /// `align(N)`.
    pub align: Option<u64>,
}

impl Repr {
    /// `repr(C, u8)`, or `default` when there is none.
    pub fn render(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        parts.extend(
            self.kind
                .iter()
                .map(|k| if k == "c" { "C".into() } else { k.clone() }),
        );
        parts.extend(self.int.iter().cloned());
        parts.extend(self.packed.map(|n| format!("packed({n})")));
        parts.extend(self.align.map(|n| format!("align({n})")));
        if parts.is_empty() {
            "default".into()
        } else {
            format!("repr({})", parts.join(", "))
        }
    }
}

/// A trait impl of a type, with the impl's own generic parameters as
/// pattern variables `?0`, `?1`... (in declaration order).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Impl {
    /// The trait, with its arguments: `core::ops::Add<W<?0>>`.
    pub trait_: String,
    /// The implementing type: `W<?0>`.
    pub for_: String,
    /// Bounds of each pattern variable (where-clauses merged), by index.
    pub bounds: Vec<BTreeSet<String>>,
    /// `impl !Trait for ..` (rustdoc lists auto traits a type lacks this way).
    pub negative: bool,
    /// `impl<T: Clone> From<Vec<T>> for W<T>`, as written (display only).
    pub shown: String,
}

impl Impl {
    /// The impl as written, for a reader.
    pub fn render(&self) -> String {
        self.shown.clone()
    }

    /// The trait's path without arguments.
    pub fn trait_name(&self) -> &str {
        self.trait_.split('<').next().unwrap_or(&self.trait_)
    }
}

/// A crate's public API.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Api {
    /// Public path → item.
    pub items: BTreeMap<String, ApiItem>,
    /// Public paths of `#[doc(hidden)]` items (not public API).
    pub hidden: BTreeSet<String>,
}

/// Compiler-internal marker traits: implemented by derives, never named by users.
const INTERNAL_TRAITS: [&str; 4] = ["StructuralPartialEq", "StructuralEq", "Freeze", "UnsafeUnpin"];

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
    /// Generic parameter names in scope → their canonical names, innermost last.
    names: RefCell<Vec<(String, String)>>,
    /// Render canonical names (shapes) or the written ones (signatures).
    canonical: std::cell::Cell<bool>,
    /// The type whose impls are being rendered: shown as `Self`.
    self_id: RefCell<Option<Id>>,
    /// `impl From<T> for X` impls of the crate, by the local type `T`.
    from_impls: HashMap<&'a Id, Vec<&'a rustdoc_types::Impl>>,
}

/// What pass 1 found: a public path and the item there, or a hidden one.
enum Found<'a> {
    Item(String, &'a Id),
    /// A `pub use` of an item rustdoc has no entry for (another crate's).
    External(String, String, &'a Item),
    Hidden(String),
}

impl Api {
    /// The public API of a crate (spans as rustdoc wrote them, absolute
    /// paths of the build machine cut down to `src/...`).
    pub fn from_rustdoc(krate: &Crate) -> Api {
        Api::from_rustdoc_at(krate, None)
    }

    /// [`Api::from_rustdoc`] with every span relative to the crate's
    /// directory (`src/lib.rs`); `root` is `(crate dir, the directory
    /// rustdoc's relative paths start from)`.
    pub fn from_rustdoc_at(krate: &Crate, root: Option<(&Path, &Path)>) -> Api {
        let mut w = Walker {
            krate,
            public: HashMap::new(),
            names: RefCell::new(Vec::new()),
            canonical: std::cell::Cell::new(false),
            self_id: RefCell::new(None),
            from_impls: from_impls(krate),
        };
        let root_name = krate
            .index
            .get(&krate.root)
            .and_then(|i| i.name.clone())
            .unwrap_or_else(|| "crate".into());
        // Pass 1: public paths of every reachable item.
        let mut found: Vec<Found<'_>> = Vec::new();
        let mut seen = BTreeSet::new();
        w.collect(&krate.root, &root_name, &mut found, &mut seen, 0);
        let mut located: Vec<(String, &Id)> = Vec::new();
        let mut api = Api::default();
        for f in found {
            match f {
                Found::Item(path, id) => located.push((path, id)),
                Found::Hidden(path) => {
                    api.hidden.insert(path);
                }
                Found::External(path, target, item) => {
                    let name = path.rsplit("::").next().unwrap_or(&path).to_owned();
                    let last = target.rsplit("::").next().unwrap_or(&target);
                    let signature = if last == name {
                        format!("pub use {target}")
                    } else {
                        format!("pub use {target} as {name}")
                    };
                    api.items.entry(path).or_insert(ApiItem {
                        kind: "re-export",
                        signature,
                        shape: Shape::ReExport(target),
                        span: span_of(item),
                        deprecated: item.deprecation.is_some(),
                        must_use: false,
                    });
                }
            }
        }
        located.sort_by(|a, b| a.0.len().cmp(&b.0.len()).then(a.0.cmp(&b.0)));
        for (path, id) in &located {
            w.public.entry(*id).or_insert_with(|| path.clone());
        }
        // Pass 2: shapes.
        for (path, id) in &located {
            if let Some(item) = krate.index.get(*id) {
                for (p, a) in w.describe(path, id, item, &mut api.hidden) {
                    api.items.entry(p).or_insert(a);
                }
            }
        }
        // A path both hidden and public (re-exported without the attribute) is public.
        let public: Vec<String> = api
            .hidden
            .iter()
            .filter(|p| api.items.contains_key(*p))
            .cloned()
            .collect();
        for p in public {
            api.hidden.remove(&p);
        }
        for item in api.items.values_mut() {
            if let Some(span) = &mut item.span {
                span.file = relative_file(&span.file, root);
            }
        }
        api
    }
}

/// A span's file relative to the crate directory: rustdoc reports it
/// relative to where cargo ran (a workspace root) or, for registry and git
/// dependencies, as an absolute path of the build machine.
fn relative_file(file: &str, root: Option<(&Path, &Path)>) -> String {
    let p = Path::new(file);
    let clean = |p: &Path| -> Option<String> {
        let mut parts: Vec<String> = Vec::new();
        for c in p.components() {
            match c {
                std::path::Component::Normal(s) => parts.push(s.to_string_lossy().into_owned()),
                std::path::Component::ParentDir => {
                    parts.pop()?;
                }
                _ => {}
            }
        }
        Some(parts.join("/"))
    };
    if let Some((crate_dir, cwd)) = root {
        let abs = if p.is_absolute() {
            p.to_path_buf()
        } else {
            cwd.join(p)
        };
        if let Some(r) = abs.strip_prefix(crate_dir).ok().and_then(clean) {
            return r;
        }
    }
    if p.is_absolute() {
        // Never the build machine's path: from the crate's `src/` when it
        // shows, else the file name alone.
        let text = file.replace('\\', "/");
        return match text.rfind("/src/") {
            Some(i) => text[i + 1..].to_owned(),
            None => p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        };
    }
    file.replace('\\', "/")
}

/// `#[doc(hidden)]`.
fn hidden(item: &Item) -> bool {
    item.attrs.iter().any(|a| match a {
        rustdoc_types::Attribute::Other(s) => {
            let s = s.to_ascii_lowercase();
            s.contains("doc") && s.contains("hidden")
        }
        _ => false,
    })
}

impl<'a> Walker<'a> {
    fn collect(
        &self,
        module: &'a Id,
        prefix: &str,
        out: &mut Vec<Found<'a>>,
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
                    if u.is_glob {
                        let Some(target) = u.id.as_ref() else { continue };
                        match self.krate.index.get(target).map(|t| &t.inner) {
                            Some(ItemEnum::Module(_)) => self.collect(target, prefix, out, seen, depth + 1),
                            Some(ItemEnum::Enum(e)) => {
                                for v in &e.variants {
                                    if let Some(name) = self.krate.index.get(v).and_then(|i| i.name.clone()) {
                                        out.push(Found::Item(format!("{prefix}::{name}"), v));
                                    }
                                }
                            }
                            _ => {}
                        }
                        continue;
                    }
                    let path = format!("{prefix}::{}", u.name);
                    let target =
                        u.id.as_ref()
                            .and_then(|t| self.krate.index.get(t).map(|i| (t, i)));
                    match target {
                        _ if hidden(item) => out.push(Found::Hidden(path)),
                        Some((_, t)) if hidden(t) => out.push(Found::Hidden(path)),
                        Some((t, _)) => self.add(path, t, out, seen, depth),
                        None => {
                            // Another crate's item: its canonical path, else the written one.
                            let target =
                                u.id.as_ref()
                                    .and_then(|t| self.krate.paths.get(t))
                                    .map(|s| s.path.join("::"))
                                    .unwrap_or_else(|| u.source.clone());
                            out.push(Found::External(path, target, item));
                        }
                    }
                }
                ItemEnum::Impl(_) | ItemEnum::ExternCrate { .. } => {}
                _ => {
                    if let Some(name) = &item.name {
                        let path = format!("{prefix}::{name}");
                        if hidden(item) {
                            out.push(Found::Hidden(path));
                        } else {
                            self.add(path, id, out, seen, depth);
                        }
                    }
                }
            }
        }
    }

    fn add(
        &self,
        path: String,
        id: &'a Id,
        out: &mut Vec<Found<'a>>,
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
        out.push(Found::Item(path, id));
    }

    /// Runs `f` with `params` in scope under canonical names `{prefix}N`
    /// (numbered after the names already in scope).
    fn scoped<T>(&self, g: &Generics, prefix: &str, f: impl FnOnce() -> T) -> T {
        let before = self.names.borrow().len();
        {
            let mut names = self.names.borrow_mut();
            let base = names.iter().filter(|(_, c)| c.starts_with(prefix)).count();
            let mut n = 0;
            for p in &g.params {
                if let GenericParamDefKind::Lifetime { .. } = p.kind {
                    continue;
                }
                if matches!(
                    p.kind,
                    GenericParamDefKind::Type {
                        is_synthetic: true,
                        ..
                    }
                ) {
                    continue;
                }
                names.push((p.name.clone(), format!("{prefix}{}", base + n)));
                n += 1;
            }
        }
        let out = f();
        self.names.borrow_mut().truncate(before);
        out
    }

    /// Another crate's trait without its crate name (`de::Deserialize`):
    /// facade crates re-export one trait under two crates (`serde` and
    /// `serde_core`), and the two sides may resolve different ones.
    fn external_without_crate(&self, p: &rustdoc_types::Path, rendered: String) -> String {
        if self.krate.index.contains_key(&p.id) {
            return rendered;
        }
        match rendered.split_once("::") {
            Some((krate, rest)) if !matches!(krate, "core" | "alloc" | "std") => rest.to_owned(),
            _ => rendered,
        }
    }

    /// Runs `f` rendering the type `id` as `Self`.
    fn with_self<T>(&self, id: Option<&Id>, f: impl FnOnce() -> T) -> T {
        let before = self.self_id.replace(id.cloned());
        let out = f();
        *self.self_id.borrow_mut() = before;
        out
    }

    /// Runs `f` rendering canonical names (`true`) or written ones.
    fn rendering<T>(&self, canonical: bool, f: impl FnOnce() -> T) -> T {
        let before = self.canonical.replace(canonical);
        let out = f();
        self.canonical.set(before);
        out
    }

    /// Shape (canonical) and signature (as written) of one item, plus its
    /// inherent methods and associated consts as items of their own.
    fn describe(
        &self,
        path: &str,
        id: &'a Id,
        item: &'a Item,
        hidden_paths: &mut BTreeSet<String>,
    ) -> Vec<(String, ApiItem)> {
        let mut out = Vec::new();
        let name = path.rsplit("::").next().unwrap_or(path);
        let both = |f: &dyn Fn() -> (Shape, String)| -> (Shape, String) {
            let (shape, _) = self.rendering(true, f);
            let (_, sig) = self.rendering(false, f);
            (shape, sig)
        };
        let (kind, (shape, signature)) = match &item.inner {
            ItemEnum::Module(_) => ("module", (Shape::Exists, format!("pub mod {name}"))),
            ItemEnum::Function(f) => (
                "function",
                both(&|| {
                    self.scoped(&f.generics, "$", || {
                        let func = self.func(f);
                        let sig = self.fn_sig(name, &func);
                        (Shape::Function(func), sig)
                    })
                }),
            ),
            ItemEnum::Struct(s) => {
                let impls = self.impls(path, Some(id), &s.impls, &mut out, hidden_paths);
                let shape = both(&|| {
                    self.scoped(&s.generics, "$", || {
                        let (form, fields, private_fields) = self.struct_fields(&s.kind);
                        let generics = self.generics(&s.generics);
                        let sig = format!(
                            "pub struct {name}{}{}",
                            render_gen(&generics),
                            render_fields(form, &fields, private_fields)
                        );
                        let shape = Shape::Struct {
                            form,
                            fields,
                            private_fields,
                            non_exhaustive: non_exhaustive(item),
                            repr: repr(item),
                            generics,
                            impls: impls.clone(),
                        };
                        (shape, sig)
                    })
                });
                ("struct", shape)
            }
            ItemEnum::Union(u) => {
                let impls = self.impls(path, Some(id), &u.impls, &mut out, hidden_paths);
                let shape = both(&|| {
                    self.scoped(&u.generics, "$", || {
                        let mut fields = BTreeMap::new();
                        let mut private = u.has_stripped_fields;
                        for f in &u.fields {
                            match self.field(f) {
                                Some((n, ty)) => {
                                    fields.insert(n, ty);
                                }
                                None => private = true,
                            }
                        }
                        let generics = self.generics(&u.generics);
                        let sig = format!(
                            "pub union {name}{}{}",
                            render_gen(&generics),
                            render_fields("plain", &fields, private)
                        );
                        let shape = Shape::Struct {
                            form: "union",
                            fields,
                            private_fields: private,
                            non_exhaustive: non_exhaustive(item),
                            repr: repr(item),
                            generics,
                            impls: impls.clone(),
                        };
                        (shape, sig)
                    })
                });
                ("union", shape)
            }
            ItemEnum::Enum(e) => {
                let impls = self.impls(path, Some(id), &e.impls, &mut out, hidden_paths);
                let shape = both(&|| {
                    self.scoped(&e.generics, "$", || {
                        let mut variants = BTreeMap::new();
                        let mut hidden_variants = false;
                        for v in &e.variants {
                            let Some(vi) = self.krate.index.get(v) else {
                                continue;
                            };
                            let ItemEnum::Variant(var) = &vi.inner else {
                                continue;
                            };
                            if hidden(vi) {
                                hidden_variants = true;
                                continue;
                            }
                            variants.insert(vi.name.clone().unwrap_or_default(), self.variant(vi, var));
                        }
                        let generics = self.generics(&e.generics);
                        let mut shown: Vec<String> =
                            variants.iter().map(|(v, s)| format!("{v}{s}")).collect();
                        if hidden_variants {
                            shown.push("/* hidden variants */".into());
                        }
                        let sig = format!(
                            "pub enum {name}{} {{ {} }}",
                            render_gen(&generics),
                            shown.join(", ")
                        );
                        let shape = Shape::Enum {
                            variants,
                            non_exhaustive: non_exhaustive(item) || e.has_stripped_variants,
                            hidden_variants,
                            repr: repr(item),
                            generics,
                            impls: impls.clone(),
                        };
                        (shape, sig)
                    })
                });
                ("enum", shape)
            }
            ItemEnum::Trait(t) => (
                "trait",
                both(&|| self.scoped(&t.generics, "$", || self.trait_(name, t))),
            ),
            ItemEnum::Constant { type_, .. } => {
                let (shape, sig) = both(&|| {
                    let t = self.ty(type_);
                    (Shape::Constant(t.clone()), format!("pub const {name}: {t}"))
                });
                ("constant", (shape, sig))
            }
            ItemEnum::Static(st) => {
                let (shape, sig) = both(&|| {
                    let t = self.ty(&st.type_);
                    let m = if st.is_mutable { "mut " } else { "" };
                    (
                        Shape::Static(t.clone(), st.is_mutable),
                        format!("pub static {m}{name}: {t}"),
                    )
                });
                ("static", (shape, sig))
            }
            ItemEnum::TypeAlias(a) => (
                "type-alias",
                both(&|| {
                    self.scoped(&a.generics, "$", || {
                        let t = self.ty(&a.type_);
                        let g = self.generics(&a.generics);
                        let sig = format!("pub type {name}{} = {t}", render_gen(&g));
                        (Shape::TypeAlias(t, g), sig)
                    })
                }),
            ),
            ItemEnum::Macro(_) => ("macro", (Shape::Exists, format!("macro_rules! {name}"))),
            ItemEnum::ProcMacro(_) => ("proc-macro", (Shape::Exists, format!("proc macro {name}"))),
            ItemEnum::Variant(_) => ("variant", (Shape::Exists, format!("variant {name}"))),
            ItemEnum::TraitAlias(_) => ("trait-alias", (Shape::Exists, format!("trait alias {name}"))),
            _ => return out,
        };
        out.push((
            path.to_owned(),
            ApiItem {
                kind,
                signature: format!("{}{signature}", attr_prefix(item)),
                shape,
                span: span_of(item),
                deprecated: item.deprecation.is_some(),
                must_use: must_use(item),
            },
        ));
        out
    }

    /// A struct's form, public fields (name or index → type) and whether it
    /// has private (or hidden) fields.
    fn struct_fields(&self, kind: &StructKind) -> (&'static str, BTreeMap<String, String>, bool) {
        match kind {
            StructKind::Unit => ("unit", BTreeMap::new(), false),
            StructKind::Tuple(ids) => {
                let mut fields = BTreeMap::new();
                let mut private = false;
                for (i, f) in ids.iter().enumerate() {
                    match f.as_ref().and_then(|f| self.field(f)) {
                        Some((_, ty)) => {
                            fields.insert(i.to_string(), ty);
                        }
                        None => private = true,
                    }
                }
                ("tuple", fields, private)
            }
            StructKind::Plain {
                fields,
                has_stripped_fields,
            } => {
                let mut map = BTreeMap::new();
                let mut private = *has_stripped_fields;
                for f in fields {
                    match self.field(f) {
                        Some((n, ty)) => {
                            map.insert(n, ty);
                        }
                        None => private = true,
                    }
                }
                ("plain", map, private)
            }
        }
    }

    fn variant(&self, vi: &Item, var: &rustdoc_types::Variant) -> String {
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
        if non_exhaustive(vi) {
            format!("{shape} #[non_exhaustive]")
        } else {
            shape
        }
    }

    fn trait_(&self, name: &str, t: &rustdoc_types::Trait) -> (Shape, String) {
        let mut required = BTreeMap::new();
        let mut provided = BTreeMap::new();
        for id in &t.items {
            let Some(ti) = self.krate.index.get(id) else {
                continue;
            };
            let n = ti.name.clone().unwrap_or_default();
            let render = |canonical: bool| {
                self.rendering(canonical, || match &ti.inner {
                    ItemEnum::Function(f) => self.scoped(&f.generics, "$", || {
                        let func = self.func(f);
                        Some((self.fn_sig(&n, &func), f.has_body))
                    }),
                    ItemEnum::AssocType { bounds, type_, .. } => Some((
                        format!(
                            "type {n}{}",
                            render_bounds(
                                &bounds
                                    .iter()
                                    .map(|b| self.bound(b))
                                    .filter(|b| !b.is_empty())
                                    .collect()
                            )
                        ),
                        type_.is_some(),
                    )),
                    ItemEnum::AssocConst { type_, value } => {
                        Some((format!("const {n}: {}", self.ty(type_)), value.is_some()))
                    }
                    _ => None,
                })
            };
            let (Some((canon, has_default)), Some((shown, _))) = (render(true), render(false)) else {
                continue;
            };
            let sig = Sig { canon, shown };
            if has_default {
                if !hidden(ti) {
                    provided.insert(n, sig);
                }
            } else {
                required.insert(n, sig);
            }
        }
        let mut generics = self.generics(&t.generics);
        // `trait T where Self: B` is `trait T: B`.
        let mut supertraits: BTreeSet<String> = t
            .bounds
            .iter()
            .map(|b| self.bound(b))
            .filter(|b| !b.is_empty())
            .collect();
        generics.retain(|(n, p)| {
            if p.kind == "where" && n == "where Self" {
                supertraits.extend(p.bounds.iter().cloned());
                false
            } else {
                true
            }
        });
        let private_bound = |b: &GenericBound| match b {
            GenericBound::TraitBound { trait_, .. } => {
                self.krate.index.contains_key(&trait_.id) && !self.public.contains_key(&trait_.id)
            }
            _ => false,
        };
        let where_self = t.generics.where_predicates.iter().flat_map(|w| match w {
            WherePredicate::BoundPredicate {
                type_: Type::Generic(s),
                bounds,
                ..
            } if s == "Self" => bounds.iter().collect::<Vec<_>>(),
            _ => Vec::new(),
        });
        let sealed = t.bounds.iter().chain(where_self).any(private_bound);
        let items: Vec<String> = required
            .values()
            .map(|s| format!("{};", s.shown))
            .chain(provided.values().map(|s| format!("{} {{ .. }}", s.shown)))
            .collect();
        let sig = format!(
            "pub {}trait {name}{}{}{} {{ {} }}",
            if t.is_unsafe { "unsafe " } else { "" },
            render_gen(&generics),
            render_bounds(&supertraits),
            render_where(&generics),
            items.join(" ")
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
        (shape, sig)
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
        if item.visibility != Visibility::Public || hidden(item) {
            return None;
        }
        match &item.inner {
            ItemEnum::StructField(t) => Some((item.name.clone().unwrap_or_default(), self.ty(t))),
            _ => None,
        }
    }

    /// Trait impls of a type (compiler-internal markers and blanket impls
    /// left out), and its public inherent methods and associated consts as
    /// items of their own.
    fn impls(
        &self,
        type_path: &str,
        self_id: Option<&Id>,
        ids: &[Id],
        out: &mut Vec<(String, ApiItem)>,
        hidden_paths: &mut BTreeSet<String>,
    ) -> Vec<Impl> {
        let mut traits = Vec::new();
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
                    let last = tr.path.rsplit("::").next().unwrap_or(&tr.path);
                    if INTERNAL_TRAITS.contains(&last) {
                        continue;
                    }
                    let mut i = self.rendering(true, || {
                        self.scoped(&imp.generics, "?", || {
                            let gen = self.generics(&imp.generics);
                            let bounds = gen
                                .iter()
                                .filter(|(_, p)| p.kind != "where")
                                .map(|(_, p)| p.bounds.clone())
                                .collect();
                            Impl {
                                trait_: self.external_without_crate(tr, self.path(tr)),
                                // The type itself is `Self`, whatever its public path.
                                for_: self.with_self(self_id, || self.ty(&imp.for_)),
                                bounds,
                                negative: imp.is_negative,
                                shown: String::new(),
                            }
                        })
                    });
                    i.shown = self.rendering(false, || {
                        let g = self.generics(&imp.generics);
                        format!(
                            "impl{} {}{} for {}{}",
                            render_gen(&g),
                            if imp.is_negative { "!" } else { "" },
                            self.path(tr),
                            self.ty(&imp.for_),
                            render_where(&g)
                        )
                    });
                    traits.push(i);
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
                        if hidden(mi) {
                            hidden_paths.insert(path);
                            continue;
                        }
                        let common = |kind, signature: String, shape| ApiItem {
                            kind,
                            signature: format!("{}{signature}", attr_prefix(mi)),
                            shape,
                            span: span_of(mi),
                            deprecated: mi.deprecation.is_some(),
                            must_use: must_use(mi),
                        };
                        let in_impl = |canonical: bool| {
                            self.rendering(canonical, || {
                                self.scoped(&imp.generics, "$", || match &mi.inner {
                                    ItemEnum::Function(f) => self.scoped(&f.generics, "$", || {
                                        let func = self.func(f);
                                        Some(("method", self.fn_sig(n, &func), Shape::Function(func)))
                                    }),
                                    ItemEnum::AssocConst { type_, .. } => {
                                        let t = self.ty(type_);
                                        Some((
                                            "associated-const",
                                            format!("pub const {n}: {t}"),
                                            Shape::Constant(t),
                                        ))
                                    }
                                    _ => None,
                                })
                            })
                        };
                        if let (Some((kind, _, shape)), Some((_, sig, _))) = (in_impl(true), in_impl(false)) {
                            out.push((path, common(kind, sig, shape)));
                        }
                    }
                }
            }
        }
        traits.extend(self.implied_into_impls(self_id));
        traits.sort();
        traits.dedup();
        traits
    }

    /// `impl From<Self> for X` anywhere in the crate gives the type `Into<X>`
    /// through the standard library's blanket impl; rustdoc files such an
    /// impl under `X`, so it is added here as the `Into` impl users see.
    fn implied_into_impls(&self, self_id: Option<&Id>) -> Vec<Impl> {
        let Some(self_id) = self_id else { return Vec::new() };
        let mut out = Vec::new();
        for imp in self.from_impls.get(self_id).into_iter().flatten() {
            let Some(source) = from_source(imp) else { continue };
            let mut i = self.rendering(true, || {
                self.scoped(&imp.generics, "?", || {
                    let gen = self.generics(&imp.generics);
                    Impl {
                        trait_: format!("core::convert::Into<{}>", self.ty(&imp.for_)),
                        for_: self.with_self(Some(self_id), || self.ty(source)),
                        bounds: gen
                            .iter()
                            .filter(|(_, p)| p.kind != "where")
                            .map(|(_, p)| p.bounds.clone())
                            .collect(),
                        negative: false,
                        shown: String::new(),
                    }
                })
            });
            i.shown = self.rendering(false, || {
                let g = self.generics(&imp.generics);
                format!(
                    "impl{} core::convert::Into<{}> for {}{} (from `impl From<{}> for {}`)",
                    render_gen(&g),
                    self.ty(&imp.for_),
                    self.ty(source),
                    render_where(&g),
                    self.ty(source),
                    self.ty(&imp.for_)
                )
            });
            out.push(i);
        }
        out
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
            let name = if param.synthetic {
                p.name.clone()
            } else {
                self.ty(&Type::Generic(p.name.clone()))
            };
            out.push((name, param));
        }
        for w in &g.where_predicates {
            if let WherePredicate::BoundPredicate { type_, bounds, .. } = w {
                let bounds: BTreeSet<String> = bounds
                    .iter()
                    .map(|b| self.bound(b))
                    .filter(|b| !b.is_empty())
                    .collect();
                if let Type::Generic(n) = type_ {
                    let canonical = self.ty(type_);
                    if let Some((_, p)) = out.iter_mut().find(|(name, _)| *name == canonical || name == n) {
                        p.bounds.extend(bounds);
                        continue;
                    }
                }
                let target = format!("where {}", self.ty(type_));
                if let Some((_, p)) = out.iter_mut().find(|(name, _)| *name == target) {
                    p.bounds.extend(bounds);
                    continue;
                }
                out.push((
                    target,
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
        if self.canonical.get() && self.self_id.borrow().as_ref() == Some(&p.id) {
            let args = p.args.as_deref().map(|a| self.args(a)).unwrap_or_default();
            return format!("Self{}", self.fill_defaults(&p.id, "Self", args));
        }
        let name = self
            .public
            .get(&p.id)
            .cloned()
            .or_else(|| self.krate.paths.get(&p.id).map(|s| s.path.join("::")))
            .unwrap_or_else(|| p.path.clone());
        // Facade crates re-export `X_core`'s items as `X` (serde, futures...),
        // and the two sides may resolve either: one name in shapes.
        let name = match name.split_once("::") {
            Some((krate, rest))
                if self.canonical.get()
                    && !self.krate.index.contains_key(&p.id)
                    && krate.ends_with("_core") =>
            {
                format!("{}::{rest}", krate.trim_end_matches("_core"))
            }
            _ => name,
        };
        let mut args = match p.args.as_deref() {
            None => String::new(),
            Some(a) => self.args(a),
        };
        if self.canonical.get() {
            args = self.fill_defaults(&p.id, &name, args);
        }
        format!("{name}{args}")
    }

    /// Default type arguments written out: `Set<T>` is `Set<T, Default>` when
    /// the type declares `Set<T, S = Default>` (local types, and std's hash
    /// collections).
    fn fill_defaults(&self, id: &Id, name: &str, args: String) -> String {
        let defaults: Vec<Option<String>> = match self.krate.index.get(id).map(|i| &i.inner) {
            Some(ItemEnum::Struct(rustdoc_types::Struct { generics, .. }))
            | Some(ItemEnum::Enum(rustdoc_types::Enum { generics, .. }))
            | Some(ItemEnum::Union(rustdoc_types::Union { generics, .. }))
            | Some(ItemEnum::Trait(rustdoc_types::Trait { generics, .. })) => generics
                .params
                .iter()
                .filter_map(|p| match &p.kind {
                    GenericParamDefKind::Lifetime { .. } => None,
                    GenericParamDefKind::Type { default, .. } => Some(default.as_ref().map(|t| self.ty(t))),
                    GenericParamDefKind::Const { default, .. } => Some(default.clone()),
                })
                .collect(),
            _ => match name {
                "std::collections::hash::map::HashMap" => {
                    vec![None, None, Some("std::hash::random::RandomState".into())]
                }
                "std::collections::hash::set::HashSet" => {
                    vec![None, Some("std::hash::random::RandomState".into())]
                }
                _ => return args,
            },
        };
        if defaults.iter().all(Option::is_none) || args.starts_with('(') {
            return args;
        }
        let inner = args
            .strip_prefix('<')
            .and_then(|a| a.strip_suffix('>'))
            .unwrap_or("");
        let mut parts = split_top(inner);
        let positional = parts.iter().filter(|p| !is_constraint(p)).count();
        if positional >= defaults.len() {
            return args;
        }
        let mut filled: Vec<String> = parts.iter().filter(|p| !is_constraint(p)).cloned().collect();
        for d in &defaults[positional..] {
            match d {
                Some(d) => filled.push(d.clone()),
                None => return args,
            }
        }
        filled.extend(parts.drain(..).filter(|p| is_constraint(p)));
        format!("<{}>", filled.join(", "))
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
            Type::Generic(s) => {
                if self.canonical.get() {
                    if let Some((_, c)) = self.names.borrow().iter().rev().find(|(n, _)| n == s) {
                        return c.clone();
                    }
                }
                s.clone()
            }
            Type::Primitive(s) => s.clone(),
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
                args: _,
                self_type,
                trait_: Some(tr),
            } if self.canonical.get()
                && name == "Item"
                && self.krate.paths.get(&tr.id).map(|s| s.path.join("::")).as_deref()
                    == Some("core::iter::traits::iterator::Iterator") =>
            {
                // `Iterator::Item` is `IntoIterator::Item` for every iterator.
                format!(
                    "<{} as core::iter::traits::collect::IntoIterator>::Item",
                    self.ty(self_type)
                )
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

fn repr(item: &Item) -> Repr {
    let mut out = Repr::default();
    for a in &item.attrs {
        if let rustdoc_types::Attribute::Repr(r) = a {
            let kind = format!("{:?}", r.kind).to_lowercase();
            if kind != "rust" {
                out.kind = Some(kind);
            }
            out.int = out.int.take().or_else(|| r.int.clone());
            out.packed = out.packed.or(r.packed);
            out.align = out.align.or(r.align);
        }
    }
    out
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

/// `impl From<T> for X` impls by the local type `T`.
fn from_impls(krate: &Crate) -> HashMap<&Id, Vec<&rustdoc_types::Impl>> {
    let mut out: HashMap<&Id, Vec<&rustdoc_types::Impl>> = HashMap::new();
    for item in krate.index.values() {
        let ItemEnum::Impl(imp) = &item.inner else {
            continue;
        };
        let Some(tr) = &imp.trait_ else { continue };
        if imp.is_negative
            || krate.paths.get(&tr.id).map(|s| s.path.join("::")).as_deref() != Some("core::convert::From")
        {
            continue;
        }
        if let Some(Type::ResolvedPath(p)) = from_source(imp) {
            if krate.index.contains_key(&p.id) {
                out.entry(&p.id).or_default().push(imp);
            }
        }
    }
    out
}

/// `T` of `impl From<T> for X`.
fn from_source(imp: &rustdoc_types::Impl) -> Option<&Type> {
    match imp.trait_.as_ref()?.args.as_deref()? {
        GenericArgs::AngleBracketed { args, .. } => match args.first()? {
            GenericArg::Type(t) => Some(t),
            _ => None,
        },
        _ => None,
    }
}

/// Splits `a, B<c, d>, e` at its top-level commas.
pub(crate) fn split_top(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut cur = String::new();
    for c in s.chars() {
        match c {
            '<' | '(' | '[' => depth += 1,
            '>' | ')' | ']' => depth -= 1,
            ',' if depth == 0 => {
                out.push(cur.trim().to_owned());
                cur.clear();
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_owned());
    }
    out
}

/// `Name = T` or `Name: Bound` in a generic argument list.
fn is_constraint(arg: &str) -> bool {
    let head: String = arg
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    !head.is_empty() && {
        let rest = arg[head.len()..].trim_start();
        (rest.starts_with('=') && !rest.starts_with("=="))
            || (rest.starts_with(':') && !rest.starts_with("::"))
    }
}

/// ` where X: B` for where-clauses that are not on a parameter.
fn render_where(g: &Gen) -> String {
    let w: Vec<String> = g
        .iter()
        .filter(|(_, p)| p.kind == "where")
        .map(|(n, p)| format!("{}{}", n.trim_start_matches("where "), render_bounds(&p.bounds)))
        .collect();
    if w.is_empty() {
        String::new()
    } else {
        format!(" where {}", w.join(", "))
    }
}

/// The attributes that are API, written before a signature.
fn attr_prefix(item: &Item) -> String {
    let mut out = String::new();
    if item.deprecation.is_some() {
        out.push_str("#[deprecated] ");
    }
    if must_use(item) {
        out.push_str("#[must_use] ");
    }
    if non_exhaustive(item) {
        out.push_str("#[non_exhaustive] ");
    }
    let r = repr(item);
    if r != Repr::default() {
        out.push_str(&format!("#[{}] ", r.render()));
    }
    out
}

fn must_use(item: &Item) -> bool {
    item.attrs
        .iter()
        .any(|a| matches!(a, rustdoc_types::Attribute::MustUse { .. }))
}

/// ` { pub a: u8, /* private fields */ }`, `(pub u8, /* private */)`, `;`.
fn render_fields(form: &str, fields: &BTreeMap<String, String>, private: bool) -> String {
    match form {
        "unit" => ";".into(),
        "tuple" => {
            let n = fields
                .keys()
                .filter_map(|k| k.parse::<usize>().ok())
                .max()
                .map_or(0, |m| m + 1);
            let mut parts: Vec<String> = (0..n)
                .map(|i| {
                    fields
                        .get(&i.to_string())
                        .map_or("_".into(), |t| format!("pub {t}"))
                })
                .collect();
            if private {
                parts.push("/* private fields */".into());
            }
            format!("({});", parts.join(", "))
        }
        _ => {
            let mut parts: Vec<String> = fields.iter().map(|(n, t)| format!("pub {n}: {t}")).collect();
            if private {
                parts.push("/* private fields */".into());
            }
            if parts.is_empty() {
                " {}".into()
            } else {
                format!(" {{ {} }}", parts.join(", "))
            }
        }
    }
}
