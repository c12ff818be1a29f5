//! The real-crate corpus: `tests/corpus/pairs.toml` lists published crate
//! release pairs with the bump each needs, judged by reading both sources
//! (never from relgate's output). Each pair's new version is fetched from
//! crates.io by cargo into `target/corpus/` (never committed) and compared
//! with `--baseline registry:OLD`; any pair whose required bump differs is
//! a failure, printed with its findings.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{relgate, repo};

#[derive(serde::Deserialize)]
struct Corpus {
    pair: Vec<Pair>,
}

#[derive(serde::Deserialize)]
struct Pair {
    #[serde(rename = "crate")]
    name: String,
    old: String,
    new: String,
    expected: String,
    workspace_member: bool,
    justification: String,
    #[serde(default)]
    features: Option<Vec<String>>,
}

/// The published source of `name` `version`, copied out of cargo's registry
/// cache into `dir` (cargo resolves and downloads it through a placeholder
/// package), with an empty `[workspace]` so cargo never looks upward.
fn fetch(name: &str, version: &str, dir: &Path) -> PathBuf {
    let dest = dir.join("src").join(format!("{name}-{version}"));
    if dest.join("Cargo.toml").is_file() {
        return dest;
    }
    let place = dir.join("fetch").join(format!("{name}-{version}"));
    std::fs::create_dir_all(place.join("src")).unwrap();
    std::fs::write(
        place.join("Cargo.toml"),
        format!(
            "[package]\nname = \"corpus-fetch\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n[workspace]\n\n[dependencies]\n{name} = {{ version = \"={version}\", default-features = false }}\n"
        ),
    )
    .unwrap();
    std::fs::write(place.join("src/lib.rs"), "").unwrap();
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["metadata", "--format-version=1", "--manifest-path"])
        .arg(place.join("Cargo.toml"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cargo could not fetch {name} {version}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let manifest = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name && p["version"] == version)
        .and_then(|p| p["manifest_path"].as_str())
        .map(PathBuf::from)
        .unwrap_or_else(|| panic!("{name} {version} not resolved"));
    let tmp = dest.with_extension("partial");
    let _ = std::fs::remove_dir_all(&tmp);
    copy_dir(manifest.parent().unwrap(), &tmp);
    let mut toml = std::fs::read_to_string(tmp.join("Cargo.toml")).unwrap();
    if !toml.contains("\n[workspace]") {
        toml.push_str("\n[workspace]\n");
    }
    std::fs::write(tmp.join("Cargo.toml"), toml).unwrap();
    std::fs::rename(&tmp, &dest).unwrap();
    dest
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let t = e.file_type().unwrap();
        if t.is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else if t.is_file() {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

#[test]
fn real_crate_corpus_gets_the_bump_judged_from_the_sources() {
    let text = std::fs::read_to_string(repo().join("tests/corpus/pairs.toml")).unwrap();
    let corpus: Corpus = toml::from_str(&text).unwrap();
    let pairs = corpus.pair;
    let count = |e: &str| pairs.iter().filter(|p| p.expected == e).count();
    assert!(pairs.len() >= 30, "only {} pairs", pairs.len());
    assert!(count("major") >= 8, "only {} breaking pairs", count("major"));
    assert!(pairs.iter().filter(|p| p.workspace_member).count() >= 5);
    assert!(pairs.iter().all(|p| !p.justification.is_empty()));
    let dir = repo().join("target").join("corpus");
    let mut failures = Vec::new();
    for p in &pairs {
        let src = fetch(&p.name, &p.new, &dir);
        let mut cmd = relgate();
        cmd.arg("compat")
            .arg("--manifest-path")
            .arg(src.join("Cargo.toml"))
            .arg("--baseline")
            .arg(format!("registry:{}", p.old))
            .arg("--format=json")
            .env("CARGO_TARGET_DIR", dir.join("target"));
        if let Some(f) = &p.features {
            cmd.arg("--features").arg(f.join(","));
        }
        let out = cmd.output().unwrap();
        let label = format!("{} {} → {}", p.name, p.old, p.new);
        let Ok(report) = serde_json::from_slice::<serde_json::Value>(&out.stdout) else {
            failures.push(format!(
                "{label}: no report (exit {:?}): {}",
                out.status.code(),
                String::from_utf8_lossy(&out.stderr)
                    .lines()
                    .rev()
                    .take(8)
                    .collect::<Vec<_>>()
                    .join(" | ")
            ));
            continue;
        };
        let required = report["required_bump"].as_str().unwrap_or("?");
        // Machine paths never appear, whatever the baseline.
        let text = String::from_utf8_lossy(&out.stdout);
        if text.contains("/.cargo/") || text.contains(&*dir.to_string_lossy()) {
            failures.push(format!("{label}: a path of this machine in the report"));
        }
        if required != p.expected {
            let findings: Vec<String> = report["changes"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|c| c["class"] != "none")
                .take(12)
                .map(|c| format!("    {} [{}] {} {}", c["class"], c["kind"], c["path"], c["detail"]))
                .collect();
            failures.push(format!(
                "{label}: expected {}, relgate says {required} (features: {})\n    why expected: {}\n{}",
                p.expected,
                report["feature_sets"]["current"]["described"],
                p.justification,
                findings.join("\n")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} corpus pairs wrong:\n{}",
        failures.len(),
        pairs.len(),
        failures.join("\n")
    );
}
