//! Same inputs, same bytes: across runs, checkout folders, and the order in
//! which members, dependencies and cargo's own output are listed.

use std::collections::BTreeMap;

use proptest::prelude::*;
use relgate::collect::cargo::{facts_from, Input, Metadata};
use relgate::collect::toolchain::parse_cfg;
use relgate::facts::Toolchain;
use relgate::{SbomFormat, Scope};

use crate::support::{relgate, sbom, Fixture};

const FORMATS: [&str; 4] = ["cyclonedx-json", "cyclonedx-xml", "spdx-json", "spdx3-json"];

/// Every format at every spec version, and the BSI profile in both formats
/// that hold it: the variants the byte-for-byte tests run.
const VARIANTS: [(&str, &[&str]); 10] = [
    ("cyclonedx-json", &[]),
    ("cyclonedx-json", &["--spec-version", "1.5"]),
    ("cyclonedx-json", &["--spec-version", "1.7"]),
    ("cyclonedx-json", &["--profile", "bsi-tr-03183-2"]),
    ("cyclonedx-xml", &[]),
    ("cyclonedx-xml", &["--spec-version", "1.5"]),
    (
        "cyclonedx-xml",
        &["--spec-version", "1.7", "--profile", "bsi-tr-03183-2"],
    ),
    ("spdx-json", &[]),
    ("spdx3-json", &[]),
    ("spdx3-json", &["--profile", "bsi-tr-03183-2"]),
];

#[test]
fn two_runs_give_identical_bytes() {
    let fx = Fixture::new("scoping");
    for (f, extra) in VARIANTS {
        assert_eq!(
            sbom(&fx.manifest(), f, extra),
            sbom(&fx.manifest(), f, extra),
            "{f} {extra:?}"
        );
    }
}

#[test]
fn two_checkout_folders_give_identical_bytes() {
    // Different parent directories, same workspace; the scoping fixture's
    // Cargo.lock even records its git dependency by absolute file:// URL.
    for name in ["scoping", "virtual"] {
        let a = Fixture::at(name, "first-checkout");
        let b = Fixture::at(name, "elsewhere/second");
        for (f, extra) in VARIANTS {
            assert_eq!(
                sbom(&a.manifest(), f, extra),
                sbom(&b.manifest(), f, extra),
                "{name} {f} {extra:?}"
            );
        }
    }
}

#[test]
fn source_date_epoch_sets_the_document_timestamps() {
    let fx = Fixture::new("minimal");
    let cdx = String::from_utf8(sbom(&fx.manifest(), "cyclonedx-json", &[])).unwrap();
    assert!(cdx.contains("\"timestamp\": \"2023-11-14T22:13:20Z\""), "{cdx}");
    let spdx = String::from_utf8(sbom(&fx.manifest(), "spdx-json", &[])).unwrap();
    assert!(spdx.contains("\"created\": \"2023-11-14T22:13:20Z\""), "{spdx}");
    let spdx3 = String::from_utf8(sbom(&fx.manifest(), "spdx3-json", &[])).unwrap();
    assert!(spdx3.contains("\"created\": \"2023-11-14T22:13:20Z\""), "{spdx3}");
    // A different timestamp is a different document: serial number and namespace change too.
    let out = relgate()
        .env("SOURCE_DATE_EPOCH", "1700000001")
        .args(["sbom", "--manifest-path"])
        .arg(fx.manifest())
        .output()
        .unwrap();
    let other = String::from_utf8(out.stdout).unwrap();
    let serial = |s: &str| s.lines().find(|l| l.contains("serialNumber")).unwrap().to_owned();
    assert_ne!(serial(&cdx), serial(&other));
}

#[test]
fn without_source_date_epoch_the_clock_is_used_in_whole_seconds() {
    let fx = Fixture::new("minimal");
    let out = relgate()
        .env_remove("SOURCE_DATE_EPOCH")
        .args(["sbom", "--format", "spdx-json", "--manifest-path"])
        .arg(fx.manifest())
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let created = doc["creationInfo"]["created"].as_str().unwrap();
    assert_eq!(created.len(), "2026-01-01T00:00:00Z".len(), "{created}");
    assert!(
        created.as_bytes()[0] == b'2' && created.ends_with('Z'),
        "{created}"
    );
}

/// Rewrites the virtual fixture's manifests with members and dependencies in the given orders.
fn shuffle_manifests(dir: &std::path::Path, members: &[usize], deps: &[usize]) {
    let all = ["crates/vcli", "crates/vcore", "crates/vinternal"];
    let list: Vec<String> = members.iter().map(|i| format!("\"{}\"", all[*i])).collect();
    let root = dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&root).unwrap();
    std::fs::write(
        &root,
        text.replace(
            "members = [\"crates/*\"]",
            &format!("members = [{}]", list.join(", ")),
        ),
    )
    .unwrap();
    let vcli = dir.join("crates/vcli/Cargo.toml");
    let text = std::fs::read_to_string(&vcli).unwrap();
    let (head, tail) = text.split_once("[dependencies]\n").unwrap();
    let lines: Vec<&str> = tail.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), deps.len(), "fixture changed: {lines:?}");
    let shuffled: Vec<&str> = deps.iter().map(|i| lines[*i]).collect();
    std::fs::write(&vcli, format!("{head}[dependencies]\n{}\n", shuffled.join("\n"))).unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4, failure_persistence: None, ..ProptestConfig::default() })]

    /// Listing workspace members and dependencies in another order changes nothing.
    #[test]
    fn manifest_order_does_not_change_the_bytes(
        members in Just(vec![0usize, 1, 2]).prop_shuffle(),
        deps in Just(vec![0usize, 1, 2, 3]).prop_shuffle(),
    ) {
        let reference = Fixture::new("virtual");
        let shuffled = Fixture::new("virtual");
        shuffle_manifests(&shuffled.dir, &members, &deps);
        for f in FORMATS {
            prop_assert_eq!(sbom(&reference.manifest(), f, &[]), sbom(&shuffled.manifest(), f, &[]), "{}", f);
        }
    }
}

/// `cargo metadata` output for the virtual fixture (network: crates are fetched once).
fn recorded_metadata(fx: &Fixture) -> serde_json::Value {
    let out = std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args([
            "metadata",
            "--format-version=1",
            "--locked",
            "--filter-platform=x86_64-unknown-linux-gnu",
        ])
        .arg("--manifest-path")
        .arg(fx.manifest())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Pure pipeline: recorded metadata → facts → every format.
fn render_all(metadata: &serde_json::Value, lock: &str) -> BTreeMap<&'static str, Vec<u8>> {
    let metadata: Metadata = serde_json::from_value(metadata.clone()).unwrap();
    // A fixed x86_64 Linux cfg set, as `rustc --print cfg` prints it.
    let cfg = parse_cfg(
        "debug_assertions\npanic=\"unwind\"\ntarget_arch=\"x86_64\"\ntarget_endian=\"little\"\n\
         target_env=\"gnu\"\ntarget_family=\"unix\"\ntarget_os=\"linux\"\ntarget_pointer_width=\"64\"\n\
         target_vendor=\"unknown\"\nunix\n",
    )
    .unwrap();
    let scope = Scope::default();
    let input = Input {
        metadata,
        lock: relgate::collect::lockfile::parse(lock).unwrap(),
        scope: &scope,
        target: "x86_64-unknown-linux-gnu".into(),
        target_cfg: cfg.clone(),
        host_cfg: cfg,
        toolchain: Toolchain {
            rustc_version: "1.95.0".into(),
            host: "x86_64-unknown-linux-gnu".into(),
        },
        git: None,
        timestamp: 1_700_000_000,
        resolver: relgate::collect::cargo::FeatureResolver::V2,
        workspace_license: None,
    };
    let facts = facts_from(input, &|_| None).unwrap();
    let model = relgate::analyze::sbom::model(&facts).unwrap();
    SbomFormat::ALL
        .iter()
        .map(|f| {
            (
                f.name(),
                relgate::emit::sbom(&model, *f, relgate::CdxVersion::default()).unwrap(),
            )
        })
        .collect()
}

/// Reorders every array cargo could list in any order.
fn permute(v: &mut serde_json::Value, seed: &mut u64) {
    fn shuffle(a: &mut [serde_json::Value], seed: &mut u64) {
        for i in (1..a.len()).rev() {
            *seed ^= *seed << 13;
            *seed ^= *seed >> 7;
            *seed ^= *seed << 17;
            a.swap(i, (*seed % (i as u64 + 1)) as usize);
        }
    }
    for key in ["packages", "workspace_members", "workspace_default_members"] {
        if let Some(a) = v[key].as_array_mut() {
            shuffle(a, seed);
        }
    }
    if let Some(nodes) = v["resolve"]["nodes"].as_array_mut() {
        shuffle(nodes, seed);
        for n in nodes {
            for key in ["deps", "dependencies", "features"] {
                if let Some(a) = n[key].as_array_mut() {
                    shuffle(a, seed);
                }
            }
            if let Some(deps) = n["deps"].as_array_mut() {
                for d in deps {
                    if let Some(k) = d["dep_kinds"].as_array_mut() {
                        shuffle(k, seed);
                    }
                }
            }
        }
    }
    if let Some(pkgs) = v["packages"].as_array_mut() {
        for p in pkgs {
            for key in ["dependencies", "targets", "authors"] {
                if key == "authors" {
                    continue; // author order is meaningful (the first is the supplier)
                }
                if let Some(a) = p[key].as_array_mut() {
                    shuffle(a, seed);
                }
            }
        }
    }
}

#[test]
fn cargo_output_order_does_not_change_the_bytes() {
    let fx = Fixture::new("virtual");
    let metadata = recorded_metadata(&fx);
    let lock = std::fs::read_to_string(fx.dir.join("Cargo.lock")).unwrap();
    let reference = render_all(&metadata, &lock);
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 64,
        ..ProptestConfig::default()
    });
    runner
        .run(&any::<u64>(), |seed| {
            let mut shuffled = metadata.clone();
            let mut s = seed | 1;
            permute(&mut shuffled, &mut s);
            prop_assert_eq!(&render_all(&shuffled, &lock), &reference);
            Ok(())
        })
        .unwrap();
}
