//! Snapshots of every format for every small fixture.
//!
//! The toolchain is an input relgate does not control, so the facts are
//! collected for real and then pinned to a fixed rustc version before
//! rendering; everything else is the real pipeline. Review changes with
//! `cargo insta review`; the independent validators (conformance.rs) are
//! what says the documents are right, these say they did not change.

use relgate::{CdxVersion, Env, SbomFormat, Scope};

use crate::support::Fixture;

/// The real environment, with a fixed document timestamp.
struct FixedEpoch;

impl Env for FixedEpoch {
    fn var(&self, name: &str) -> Option<String> {
        match name {
            "SOURCE_DATE_EPOCH" => Some("1700000000".into()),
            _ => std::env::var(name).ok(),
        }
    }
    fn now(&self) -> i64 {
        panic!("the clock must not be read when SOURCE_DATE_EPOCH is set")
    }
}

fn snapshot(fixture: &str, extra: Scope) {
    let fx = Fixture::new(fixture);
    let scope = Scope {
        manifest_path: Some(fx.manifest()),
        ..extra
    };
    let mut facts = relgate::collect::gather(&scope, &FixedEpoch).unwrap();
    facts.toolchain.rustc_version = "1.95.0".into();
    facts.git = None;
    let model = relgate::analyze::sbom::model(&facts).unwrap();
    for format in SbomFormat::ALL {
        let versions: &[CdxVersion] = if format.is_cyclonedx() {
            &CdxVersion::ALL
        } else {
            &[CdxVersion::V1_6]
        };
        for &version in versions {
            let bytes = relgate::emit::sbom(&model, format, version).unwrap();
            let tag = if format.is_cyclonedx() {
                format!("-{}", version.as_str())
            } else {
                String::new()
            };
            let name = format!("{}{tag}-{}", fixture.replace('/', "-"), format.file_name());
            insta::assert_snapshot!(name, String::from_utf8(bytes).unwrap());
        }
    }
}

#[test]
fn minimal() {
    snapshot("minimal", Scope::default());
}

#[test]
fn scoping() {
    snapshot("scoping", Scope::default());
}

#[test]
fn virtual_workspace() {
    snapshot("virtual", Scope::default());
}
