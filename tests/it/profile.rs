//! SBOM profiles end to end: `relgate sbom --profile bsi-tr-03183-2` hashes
//! the `.crate` archives cargo downloaded (checked here against the files
//! themselves, hashed by this test) and refuses an archive whose SHA-256 is
//! not Cargo.lock's; a release with `[sbom] profile` reports every missing
//! field through the `sbom-profile` invariant.

use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha512};

use crate::support::{assert_success, bsi_gaps, json, relgate, validate, Fixture};

/// A private CARGO_HOME holding the minimal fixture's crates, so the test
/// can damage archives without touching the machine's cache.
fn fetched_minimal() -> (Fixture, PathBuf) {
    let fx = Fixture::new("minimal");
    let home = fx.dir.parent().unwrap().join("cargo-home");
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["fetch", "--locked", "--manifest-path"])
        .arg(fx.manifest())
        .env("CARGO_HOME", &home)
        .output()
        .unwrap();
    assert_success(&out);
    (fx, home)
}

fn archive(home: &Path, file: &str) -> PathBuf {
    let cache = home.join("registry/cache");
    for index in std::fs::read_dir(&cache).unwrap() {
        let p = index.unwrap().path().join(file);
        if p.is_file() {
            return p;
        }
    }
    panic!("{file} not in {}", cache.display())
}

fn sbom_with(fx: &Fixture, home: &Path, extra: &[&str]) -> std::process::Output {
    relgate()
        .args(["sbom", "--profile", "bsi-tr-03183-2", "--manifest-path"])
        .arg(fx.manifest())
        .args(extra)
        .env("CARGO_HOME", home)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .unwrap()
}

fn props(c: &serde_json::Value) -> Vec<(String, String)> {
    c["properties"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|p| {
                    (
                        p["name"].as_str().unwrap().to_owned(),
                        p["value"].as_str().unwrap().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn bsi_profile_hashes_each_crate_archive_and_refuses_one_the_lock_file_does_not_name() {
    let (fx, home) = fetched_minimal();
    let out = sbom_with(&fx, &home, &[]);
    assert_success(&out);
    let doc = json(&out.stdout);
    assert_eq!(doc["specVersion"], "1.6");
    // The SBOM's creator, reachable by e-mail (the root's `authors`).
    assert_eq!(
        doc["metadata"]["manufacturer"]["contact"][0]["email"],
        "jane@example.com"
    );
    let comps = doc["components"].as_array().unwrap();
    assert_eq!(comps.len(), 2, "{doc:#}");
    for c in comps {
        let file = format!(
            "{}-{}.crate",
            c["name"].as_str().unwrap(),
            c["version"].as_str().unwrap()
        );
        let want = hex(&Sha512::digest(std::fs::read(archive(&home, &file)).unwrap()));
        let hashes = c["hashes"].as_array().unwrap();
        assert!(
            hashes
                .iter()
                .any(|h| h["alg"] == "SHA-512" && h["content"] == want.as_str()),
            "{file}: {hashes:?}"
        );
        let dist = c["externalReferences"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["type"] == "distribution")
            .unwrap();
        assert_eq!(dist["hashes"][0]["content"], want.as_str());
        assert!(dist["url"]
            .as_str()
            .unwrap()
            .starts_with("https://crates.io/api/v1/crates/"));
        let p = props(c);
        for (k, v) in [
            ("bsi:component:filename", file.as_str()),
            ("bsi:component:executable", "non-executable"),
            ("bsi:component:archive", "archive"),
            ("bsi:component:structured", "structured"),
        ] {
            assert!(p.contains(&(k.to_owned(), v.to_owned())), "{file}: {k} {p:?}");
        }
        assert!(c["manufacturer"]["name"].is_string(), "{file}: no creator");
    }
    validate("cdx-json", &out.stdout, "minimal bsi-tr-03183-2 json");
    let xml = sbom_with(
        &fx,
        &home,
        &["--format", "cyclonedx-xml", "--spec-version", "1.7"],
    );
    assert_success(&xml);
    validate("cdx-xml", &xml.stdout, "minimal bsi-tr-03183-2 xml 1.7");
    // `relgate sbom` builds nothing: the root's own file is named as missing,
    // by relgate and by the independent requirement table, in both formats.
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("minimal@0.1.0 (filename, hash, deployable-uri)"),
        "{err}"
    );
    let spdx3 = sbom_with(&fx, &home, &["--format", "spdx3-json"]);
    assert_success(&spdx3);
    validate("spdx3-json", &spdx3.stdout, "minimal bsi-tr-03183-2 spdx3");
    // Read from fixtures/minimal: itoa and smallvec come from crates.io with
    // a repository and a download URL; `minimal` is not built by `relgate sbom`.
    let root_only: std::collections::BTreeMap<String, Vec<String>> = [(
        "minimal@0.1.0".to_owned(),
        [
            "filename",
            "hash",
            "executable",
            "archive",
            "structured",
            "deployable-uri",
        ]
        .map(String::from)
        .to_vec(),
    )]
    .into();
    assert_eq!(bsi_gaps("cdx-json", &out.stdout), root_only);
    assert_eq!(bsi_gaps("spdx3-json", &spdx3.stdout), root_only);

    // An archive that is not the one Cargo.lock pins: exit 2, nothing written.
    let itoa = archive(&home, &format!("itoa-{}.crate", version_of(comps, "itoa")));
    let good = std::fs::read(&itoa).unwrap();
    let mut bad = good.clone();
    bad.push(0);
    std::fs::write(&itoa, &bad).unwrap();
    let o = sbom_with(&fx, &home, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(o.stdout.is_empty());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("Cargo.lock pins itoa"), "{err}");

    // An archive missing from the cache: `cargo metadata` fetches it again
    // (it reads every dependency's manifest), and it is hashed as before.
    std::fs::write(&itoa, &good).unwrap();
    let smallvec = archive(
        &home,
        &format!("smallvec-{}.crate", version_of(comps, "smallvec")),
    );
    let before = std::fs::read(&smallvec).unwrap();
    std::fs::remove_file(&smallvec).unwrap();
    let o = sbom_with(&fx, &home, &[]);
    assert_success(&o);
    assert_eq!(std::fs::read(&smallvec).unwrap(), before);
    assert_eq!(o.stdout, out.stdout);

    // Formats that cannot hold the fields are refused.
    for extra in [&["--format", "spdx-json"][..], &["--spec-version", "1.5"]] {
        let o = sbom_with(&fx, &home, extra);
        assert_eq!(o.status.code(), Some(2), "{extra:?}");
        assert!(String::from_utf8_lossy(&o.stderr).contains("needs CycloneDX 1.6 or later or SPDX 3.0.1"));
    }
}

fn version_of(comps: &[serde_json::Value], name: &str) -> String {
    comps
        .iter()
        .find(|c| c["name"] == name)
        .and_then(|c| c["version"].as_str())
        .unwrap()
        .to_owned()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
