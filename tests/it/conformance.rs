//! Every fixture, every format, through the independent validators
//! (cyclonedx-python-lib JSON/XML schema, pyspdxtools, ntia-conformance-checker,
//! packageurl-python, license-expression) via tests/conformance/check_sbom.py.

use crate::support::{json, sbom, validate, Fixture};

const FORMATS: [(&str, &str); 3] = [
    ("cyclonedx-json", "cdx-json"),
    ("cyclonedx-xml", "cdx-xml"),
    ("spdx-json", "spdx-json"),
];

fn check_fixture(name: &str, extra: &[&str]) {
    let fx = Fixture::new(name);
    for (format, kind) in FORMATS {
        let doc = sbom(&fx.manifest(), format, extra);
        let text = String::from_utf8_lossy(&doc);
        let tmp = fx
            .dir
            .parent()
            .unwrap()
            .parent()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        assert!(
            !text.contains(&tmp),
            "{name} {format}: the checkout path {tmp} leaked into the SBOM"
        );
        validate(kind, &doc, &format!("{name} {format} {extra:?}"));
    }
}

#[test]
fn minimal_passes_every_validator() {
    check_fixture("minimal", &[]);
}

#[test]
fn scoping_passes_every_validator() {
    check_fixture("scoping", &[]);
    check_fixture(
        "scoping",
        &["--features", "extra", "--target", "x86_64-pc-windows-msvc"],
    );
}

#[test]
fn virtual_workspace_passes_every_validator() {
    check_fixture("virtual", &[]);
    check_fixture("virtual", &["-p", "vcli"]);
}

/// A real workspace of 426 locked crates.io packages, downloaded and resolved by cargo
/// during the test run.
#[test]
fn large_real_workspace_passes_every_validator() {
    check_fixture("large", &[]);
    let fx = Fixture::new("large");
    let doc = json(&sbom(&fx.manifest(), "cyclonedx-json", &[]));
    let comps = doc["components"].as_array().unwrap();
    assert!(
        comps.len() > 300,
        "expected several hundred components, got {}",
        comps.len()
    );
    for c in comps {
        assert!(
            c["hashes"][0]["content"].as_str().is_some_and(|h| h.len() == 64),
            "no SHA-256: {}",
            c["name"]
        );
        assert!(c["licenses"].is_array(), "no license: {}", c["name"]);
        assert!(
            c["supplier"]["name"].as_str().is_some_and(|s| !s.is_empty()),
            "no supplier: {}",
            c["name"]
        );
    }
}
