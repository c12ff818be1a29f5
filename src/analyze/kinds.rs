//! Every change kind `relgate compat` can report, as data.
//!
//! One table: the id written to `compat_report.json`, the class the change
//! requires, a one-line rule, the Cargo SemVer reference section (or the
//! documented reason where the reference is silent) and a fixture pair
//! under `fixtures/compat/` that produces it. The classifier only emits
//! [`Kind`]s, `relgate explain <kind>` prints [`Kind::explain`], and a test
//! fails when a kind has no fixture that produces it.

use super::api::Bump;

const SEMVER: &str = "https://doc.rust-lang.org/cargo/reference/semver.html";

macro_rules! kinds {
    ($( $variant:ident = $id:literal, $class:ident, $rule:literal, $reference:literal, $example:literal; )*) => {
        /// A change kind (see the module docs).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Kind {
            $(
                #[doc = concat!("`", $id, "`; its rule is [`Kind::rule`].")]
                $variant,
            )*
        }

        impl Kind {
            /// Every kind, in table order.
            pub const ALL: &'static [Kind] = &[$(Kind::$variant),*];

            /// The stable id (`item-removed`, ...).
            pub fn id(self) -> &'static str {
                match self { $(Kind::$variant => $id,)* }
            }

            /// The bump this kind requires.
            pub fn class(self) -> Bump {
                match self { $(Kind::$variant => Bump::$class,)* }
            }

            /// The rule, in one line.
            pub fn rule(self) -> &'static str {
                match self { $(Kind::$variant => $rule,)* }
            }

            /// A Cargo SemVer reference anchor (`#...`), or why relgate chose this class.
            pub fn reference(self) -> &'static str {
                match self { $(Kind::$variant => $reference,)* }
            }

            /// The fixture pair that produces it: `fixtures/compat/<name>` (or, for
            /// schema drift, the test that does).
            pub fn example(self) -> &'static str {
                match self { $(Kind::$variant => $example,)* }
            }
        }
    };
}

kinds! {
    // Items.
    ItemRemoved = "item-removed", Major,
        "A public item (or a re-export of another crate's item) is no longer reachable at its public path.",
        "#item-remove", "function_removed";
    ItemNowHidden = "item-now-hidden", Major,
        "A public item became #[doc(hidden)]: it leaves the supported public API.",
        "relgate: hidden items are not public API, so hiding one removes it (cargo-semver-checks' *_now_doc_hidden lints are major too)",
        "item_now_doc_hidden";
    ItemAdded = "item-added", Minor,
        "A new public item (or an item that is no longer #[doc(hidden)]).",
        "#item-new", "function_added";
    ItemKindChanged = "item-kind-changed", Major,
        "An item changed kind (struct to enum, function to constant, ...): every use of the old kind breaks.",
        "#item-remove (the old item is gone; a different kind stands at its path)", "struct_became_enum";
    ConstBecameStatic = "const-became-static", Major,
        "A `const` became a `static`: uses in const contexts and patterns break.",
        "relgate: statics cannot be used in patterns, array lengths or const evaluation", "const_became_static";
    StaticBecameConst = "static-became-const", Minor,
        "A `static` became a `const` of the same type: reads, calls and references still compile; only code that takes its raw address (`addr_of!`, `&raw const`) or relies on one shared instance breaks.",
        "relgate: for an immutable static of a type without interior mutability that breakage is contrived; classified as an addition (const contexts now work)",
        "static_became_const";
    InteriorMutableStaticBecameConst = "interior-mutable-static-became-const", Major,
        "A `static` of an interior-mutable type (atomics, Cell, Mutex, ...) became a `const`: each use is a fresh copy, so writes are lost.",
        "relgate: compiles but changes behaviour of every writer", "interior_mutable_static_became_const";
    ReexportTargetChanged = "reexport-target-changed", Major,
        "A `pub use` of another crate's item now points at a different item.",
        "#item-remove (the old item is no longer at this path)", "reexport_target_changed";
    Deprecated = "deprecated", Minor,
        "An item became #[deprecated].",
        "#item-new (a new warning; cargo-semver-checks' *_deprecated lints are minor)", "item_deprecated";
    MustUseAdded = "must-use-added", Minor,
        "An item became #[must_use].",
        "relgate: new warnings only (cargo-semver-checks: *_must_use_added, minor)", "must_use_added";
    // Structs and unions.
    StructFormChanged = "struct-form-changed", Major,
        "A struct changed form (tuple, plain, unit) while it had public fields or could be built or matched outside the crate.",
        "relgate: tuple patterns and constructors break (cargo-semver-checks: tuple_struct_to_plain_struct)",
        "struct_tuple_to_plain";
    StructFormChangedPrivate = "struct-form-changed-private", None,
        "A struct whose fields are all private changed form (tuple <-> plain): invisible outside the crate.",
        "#struct-tuple-normal-with-private", "private_tuple_struct_to_plain";
    FieldRemoved = "field-removed", Major,
        "A public field was removed or made private.",
        "#item-remove", "struct_field_removed";
    FieldTypeChanged = "field-type-changed", Major,
        "A public field's type changed.",
        "#item-remove (reads, writes and literals of the field break)", "struct_field_type_changed";
    FieldAddedToConstructibleStruct = "field-added-to-constructible-struct", Major,
        "A public field was added to a struct that had no private fields and was not #[non_exhaustive]: literals and exhaustive patterns break.",
        "#struct-add-public-field-when-no-private",
        "struct_pub_field_added_to_exhaustive_struct_with_all_pub_fields";
    FieldAdded = "field-added", Minor,
        "A public field was added to a struct that could not be built outside the crate.",
        "#struct-private-fields-with-private", "struct_field_added_to_non_exhaustive_struct";
    StructGainedPrivateFields = "struct-gained-private-fields", Major,
        "A struct with only public fields gained a private field: it can no longer be built or exhaustively matched outside the crate.",
        "#struct-add-private-field-when-public", "struct_private_field_added";
    NowNonExhaustive = "now-non-exhaustive", Major,
        "A struct, enum or variant became #[non_exhaustive].",
        "#attr-adding-non-exhaustive", "struct_made_non_exhaustive";
    NonExhaustiveReplacedHiddenVariant = "non-exhaustive-replaced-hidden-variant", None,
        "An enum with a #[doc(hidden)] catch-all variant became #[non_exhaustive]: supported code already had to match with `_`.",
        "relgate: the hidden variant was never public API, so exhaustive matches were already unsupported",
        "enum_hidden_variant_to_non_exhaustive";
    NoLongerNonExhaustive = "no-longer-non-exhaustive", Minor,
        "A type is no longer #[non_exhaustive].",
        "relgate: an addition (it can now be built or matched exhaustively)", "struct_no_longer_non_exhaustive";
    ReprAdded = "repr-added", Minor,
        "`repr(C)`, `repr(transparent)` or an enum's integer repr was added to a type that had the default repr.",
        "#repr-c-add, #repr-transparent-add, #repr-int-enum-add", "repr_c_added";
    ReprRemoved = "repr-removed", Major,
        "A `repr` was removed: the layout guarantee others rely on (FFI, transmute) is gone.",
        "#repr-c-remove, #repr-transparent-remove, #repr-int-enum-remove, #repr-packed-remove, #repr-align-remove",
        "repr_changed";
    ReprChanged = "repr-changed", Major,
        "A `repr` was changed (another integer, kind, packing or alignment), or `packed` / `align` was added.",
        "#repr-int-enum-change, #repr-packed-add, #repr-packed-n-change, #repr-align-add, #repr-align-n-change",
        "enum_repr_int_changed";
    // Enums.
    VariantRemoved = "variant-removed", Major,
        "An enum variant was removed.",
        "#item-remove", "enum_variant_removed";
    VariantChanged = "variant-changed", Major,
        "An enum variant's fields changed.",
        "#enum-fields-new", "enum_variant_field_changed";
    VariantAddedToExhaustiveEnum = "variant-added-to-exhaustive-enum", Major,
        "A variant was added to an enum that is not #[non_exhaustive]: exhaustive matches break.",
        "#enum-variant-new", "enum_variant_added";
    VariantAdded = "variant-added", Minor,
        "A variant was added to a #[non_exhaustive] enum.",
        "#enum-variant-new (allowed with #[non_exhaustive])", "enum_variant_added_to_non_exhaustive_enum";
    // Traits.
    TraitItemRemoved = "trait-item-removed", Major,
        "An associated item of a trait was removed.",
        "#item-remove", "trait_method_removed";
    TraitItemSignatureChanged = "trait-item-signature-changed", Major,
        "An associated item of a trait changed signature.",
        "#trait-item-signature", "trait_method_signature_changed";
    TraitItemDefaultRemoved = "trait-item-default-removed", Major,
        "An associated item of an implementable trait lost its default: implementors must now define it.",
        "#trait-new-item-no-default", "trait_method_default_removed";
    TraitRequiredItemAdded = "trait-required-item-added", Major,
        "An associated item without a default was added to a trait others can implement.",
        "#trait-new-item-no-default", "trait_method_added_without_default";
    TraitProvidedItemAdded = "trait-provided-item-added", Minor,
        "An associated item with a default was added to a trait.",
        "#trait-new-default-item", "trait_method_added_with_default";
    SealedTraitItemAdded = "sealed-trait-item-added", Minor,
        "An associated item was added to a sealed trait (no one else can implement it).",
        "relgate: only the crate implements a sealed trait", "sealed_trait_method_added";
    SupertraitAdded = "supertrait-added", Major,
        "A supertrait was added to a trait others can implement: implementors must implement it too.",
        "#generic-bounds-tighten (a supertrait is a bound on Self)", "trait_supertrait_added";
    SealedTraitSupertraitAdded = "sealed-trait-supertrait-added", Minor,
        "A supertrait was added to a sealed trait.",
        "relgate: only the crate implements a sealed trait", "sealed_trait_supertrait_added";
    SupertraitRemoved = "supertrait-removed", Major,
        "A supertrait was removed: code using the supertrait's items through `T: Trait` breaks.",
        "#generic-bounds-loosen does not apply to supertraits: users relied on the implied bound (cargo-semver-checks: trait_removed_supertrait)",
        "trait_supertrait_removed";
    TraitSealed = "trait-sealed", Major,
        "A trait became sealed: implementations outside the crate break.",
        "#item-remove (implementing it is no longer possible)", "trait_made_sealed";
    TraitNoLongerDynCompatible = "trait-no-longer-dyn-compatible", Major,
        "A trait is no longer dyn-compatible: `dyn Trait` breaks.",
        "#trait-object-safety", "trait_not_dyn_compatible";
    TraitUnsafetyChanged = "trait-unsafety-changed", Major,
        "A trait became `unsafe` or stopped being `unsafe`: every implementation must change.",
        "relgate: `impl` and `unsafe impl` must match the trait", "trait_made_unsafe";
    // Constants, statics, aliases.
    ConstantTypeChanged = "constant-type-changed", Major,
        "A constant's type changed.",
        "#item-remove (uses typed as the old type break)", "const_type_changed";
    StaticTypeChanged = "static-type-changed", Major,
        "A static's type changed.",
        "#item-remove (uses typed as the old type break)", "static_type_changed";
    StaticMutabilityChanged = "static-mutability-changed", Major,
        "A static became or stopped being `mut`.",
        "relgate: `static mut` needs `unsafe` at every use, and writes to a non-mut static do not compile",
        "static_mutability_changed";
    TypeAliasTargetChanged = "type-alias-target-changed", Major,
        "A type alias names another type.",
        "#item-remove (the alias's meaning changed)", "type_alias_target_changed";
    // Functions and methods.
    MethodReceiverChanged = "method-receiver-changed", Major,
        "A method's receiver changed (`self`, `&self`, `&mut self`, none).",
        "#fn-change-arity", "method_receiver_changed";
    FunctionParameterCountChanged = "function-parameter-count-changed", Major,
        "A function gained or lost parameters.",
        "#fn-change-arity", "function_param_added";
    FunctionParameterTypesChanged = "function-parameter-types-changed", Major,
        "A parameter's type changed.",
        "#fn-generalize-mismatch", "function_param_type_changed";
    FunctionReturnTypeChanged = "function-return-type-changed", Major,
        "A function's return type changed.",
        "#fn-generalize-mismatch", "function_return_type_changed";
    FunctionNowUnsafe = "function-now-unsafe", Major,
        "A function became `unsafe`: calls outside `unsafe` blocks break.",
        "relgate: callers must add `unsafe` (cargo-semver-checks: function_unsafe_added)", "function_now_unsafe";
    FunctionNoLongerUnsafe = "function-no-longer-unsafe", Minor,
        "A function is no longer `unsafe`.",
        "relgate: callers keep compiling (an `unused_unsafe` warning at most)", "function_no_longer_unsafe";
    FunctionNoLongerConst = "function-no-longer-const", Major,
        "A `const fn` is no longer `const`: calls in const contexts break.",
        "relgate: cargo-semver-checks: function_const_removed", "function_no_longer_const";
    FunctionNowConst = "function-now-const", Minor,
        "A function became `const fn`.",
        "relgate: an addition (cargo-semver-checks: function_now_const, minor)", "const_fn_made";
    FunctionAbiChanged = "function-abi-changed", Major,
        "A function's ABI changed (`extern \"C\"`, unwinding, ...).",
        "relgate: function pointers and FFI callers break (cargo-semver-checks: function_abi_now_unwind etc.)",
        "function_abi_changed";
    // Generics.
    GenericParametersChanged = "generic-parameters-changed", Major,
        "Generic parameters were added without a default, removed, or changed kind (type / const).",
        "relgate: turbofish calls and type paths that name the parameters break (cargo-semver-checks: *_requires_more_generic_type_params)",
        "function_generic_param_added";
    GenericParameterAddedWithDefault = "generic-parameter-added-with-default", Minor,
        "A type gained a generic parameter with a default after its existing ones.",
        "#generic-new-default", "type_generic_param_added_with_default";
    BoundAdded = "bound-added", Major,
        "A generic parameter, where-clause or associated type gained a bound.",
        "#generic-bounds-tighten", "function_bound_added";
    BoundRemoved = "bound-removed", Minor,
        "A bound was removed.",
        "#generic-bounds-loosen", "function_bound_removed";
    GenericDefaultChanged = "generic-default-changed", Major,
        "A generic parameter's default changed or was removed.",
        "relgate: code naming the type without that parameter now means another type", "generic_default_changed";
    // Trait implementations.
    TraitImplRemoved = "trait-impl-removed", Major,
        "A type no longer implements a trait (no new impl covers the old one).",
        "#item-remove (cargo-semver-checks: derive_trait_impl_removed and others)", "trait_impl_removed";
    TraitImplAdded = "trait-impl-added", Minor,
        "A type implements a new trait.",
        "#impl-item-new", "trait_impl_added";
    AutoTraitImplRemoved = "auto-trait-impl-removed", Major,
        "A type lost an auto trait (Send, Sync, Unpin, UnwindSafe, RefUnwindSafe).",
        "relgate: cargo-semver-checks: auto_trait_impl_removed", "auto_trait_lost";
    AutoTraitImplAdded = "auto-trait-impl-added", Minor,
        "A type gained an auto trait.",
        "relgate: an addition", "auto_trait_gained";
    CopyImplAdded = "copy-impl-added", Major,
        "A type newly implements `Copy`: `move` closures and by-value uses now copy instead of move, so mutations after a move are silently lost.",
        "relgate: closure captures change (rust-lang/rust#100905): some closures stop compiling (E0373), others silently copy; cargo-semver-checks' copy_impl_added is major too",
        "copy_impl_added";
    // The manifest.
    FeatureRemoved = "feature-removed", Major,
        "A Cargo feature was removed: dependents enabling it fail to build.",
        "#cargo-feature-remove", "cargo_feature_removed";
    FeatureAdded = "feature-added", Minor,
        "A Cargo feature was added.",
        "#cargo-feature-add", "cargo_feature_added";
    MsrvRaised = "msrv-raised", Minor,
        "`rust-version` was raised.",
        "#env-new-rust (possibly breaking; classed minor)", "msrv_raised";
    MsrvDeclared = "msrv-declared", Minor,
        "`rust-version` was declared for the first time.",
        "#env-new-rust (possibly breaking; classed minor)", "msrv_declared";
    PublicDependencyMajorBump = "public-dependency-major-bump", Major,
        "A dependency whose items appear in the public API moved to an incompatible version.",
        "relgate: its types are new types to dependents (the Cargo reference's #item-remove applies to them)",
        "public_dependency_major_bump";
    // Schema drift (from the schema lock, in a release).
    SchemaBreaking = "schema-breaking", Major,
        "A locked JSON Schema drifted incompatibly (a property removed, a type or constraint changed).",
        "relgate: analyze::schema's classification", "schema: tests/it/release.rs";
    SchemaAdditive = "schema-additive", Minor,
        "A locked JSON Schema gained an optional property or a definition.",
        "relgate: analyze::schema's classification", "schema: tests/it/release.rs";
    SchemaDocumentationOnly = "schema-documentation-only", None,
        "A locked JSON Schema changed only its annotations.",
        "relgate: analyze::schema's classification", "schema: tests/it/release.rs";
}

impl Kind {
    /// The kind with this id.
    pub fn from_id(id: &str) -> Option<Kind> {
        Kind::ALL.iter().copied().find(|k| k.id() == id)
    }

    /// The kind a schema drift classification maps to.
    pub fn for_schema_drift(classification: &str) -> Kind {
        match classification {
            "additive" => Kind::SchemaAdditive,
            "documentation-only" => Kind::SchemaDocumentationOnly,
            _ => Kind::SchemaBreaking,
        }
    }

    /// What `relgate explain <kind>` prints.
    pub fn explain(self) -> String {
        let reference = match self.reference().strip_prefix("relgate: ") {
            Some(reason) => format!("relgate's choice: {reason}"),
            None => format!("Cargo SemVer reference: {SEMVER}{}", self.reference()),
        };
        let example = match self.example().strip_prefix("schema: ") {
            Some(test) => format!("produced by the schema lock (tested in {test})"),
            None => format!("fixtures/compat/{}", self.example()),
        };
        format!(
            "{} (compat change kind, class {})\n\n{}\n\n{reference}\nExample: {example}\n",
            self.id(),
            self.class().name(),
            self.rule()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ids are part of compat_report.json: renaming one is a breaking
    /// change of the report, so the list is frozen here.
    #[test]
    fn ids_are_frozen_and_unique() {
        let ids: Vec<&str> = Kind::ALL.iter().map(|k| k.id()).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), ids.len(), "duplicate ids");
        assert_eq!(
            ids.join(" "),
            "item-removed item-now-hidden item-added item-kind-changed const-became-static static-became-const \
             interior-mutable-static-became-const reexport-target-changed deprecated must-use-added \
             struct-form-changed struct-form-changed-private field-removed field-type-changed \
             field-added-to-constructible-struct field-added struct-gained-private-fields now-non-exhaustive \
             non-exhaustive-replaced-hidden-variant no-longer-non-exhaustive repr-added repr-removed repr-changed \
             variant-removed variant-changed variant-added-to-exhaustive-enum variant-added trait-item-removed \
             trait-item-signature-changed trait-item-default-removed trait-required-item-added \
             trait-provided-item-added sealed-trait-item-added supertrait-added sealed-trait-supertrait-added \
             supertrait-removed trait-sealed trait-no-longer-dyn-compatible trait-unsafety-changed \
             constant-type-changed static-type-changed static-mutability-changed type-alias-target-changed \
             method-receiver-changed function-parameter-count-changed function-parameter-types-changed \
             function-return-type-changed function-now-unsafe function-no-longer-unsafe function-no-longer-const \
             function-now-const function-abi-changed generic-parameters-changed generic-parameter-added-with-default \
             bound-added bound-removed generic-default-changed trait-impl-removed trait-impl-added \
             auto-trait-impl-removed auto-trait-impl-added copy-impl-added feature-removed feature-added \
             msrv-raised msrv-declared public-dependency-major-bump schema-breaking schema-additive \
             schema-documentation-only"
        );
        for k in Kind::ALL {
            assert_eq!(Kind::from_id(k.id()), Some(*k));
            assert!(k.id().bytes().all(|b| b.is_ascii_lowercase() || b == b'-'));
            assert!(!k.rule().is_empty() && !k.reference().is_empty() && !k.example().is_empty());
            assert!(k.explain().contains(k.class().name()));
        }
    }
}
