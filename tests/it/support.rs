//! Shared helpers: fixture copies, running the binary, the validator python.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A copy of `fixtures/<name>` in a fresh temporary directory, under
/// `<tmp>/<subdir>/<name>`, made ready to use (the scoping fixture's git
/// dependency is turned into a real git repository).
pub struct Fixture {
    _tmp: tempfile::TempDir,
    /// The copy's directory.
    pub dir: PathBuf,
}

impl Fixture {
    pub fn new(name: &str) -> Fixture {
        Fixture::at(name, "checkout")
    }

    /// Like [`Fixture::new`] but under a chosen parent directory name.
    pub fn at(name: &str, subdir: &str) -> Fixture {
        let tmp = tempfile::Builder::new()
            .prefix("relgate-it-")
            .tempdir()
            .expect("temp dir");
        let dir = tmp.path().join(subdir).join(name.rsplit('/').next().unwrap());
        copy_dir(&repo().join("fixtures").join(name), &dir);
        if dir.join("make-gitdep.sh").is_file() {
            let out = Command::new("sh")
                .arg(dir.join("make-gitdep.sh"))
                .arg(&dir)
                .output()
                .expect("sh");
            assert!(
                out.status.success(),
                "make-gitdep.sh: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Fixture { _tmp: tmp, dir }
    }

    /// The manifest of the workspace (for scoping: `ws/Cargo.toml`).
    pub fn manifest(&self) -> PathBuf {
        let ws = self.dir.join("ws/Cargo.toml");
        if ws.is_file() {
            ws
        } else {
            self.dir.join("Cargo.toml")
        }
    }

    /// A path in the temporary directory, outside the workspace.
    pub fn scratch(&self, name: &str) -> PathBuf {
        self._tmp.path().join(name)
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            if entry.file_name() == "target" {
                continue;
            }
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// `relgate` with a fixed `SOURCE_DATE_EPOCH` and no colour.
pub fn relgate() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_relgate"));
    cmd.env("SOURCE_DATE_EPOCH", "1700000000").env("NO_COLOR", "1");
    cmd
}

/// Runs `relgate sbom` on a manifest and returns the document, asserting success.
pub fn sbom(manifest: &Path, format: &str, extra: &[&str]) -> Vec<u8> {
    let out = relgate()
        .args(["sbom", "--format", format, "--manifest-path"])
        .arg(manifest)
        .args(extra)
        .output()
        .unwrap();
    assert_success(&out);
    out.stdout
}

pub fn assert_success(out: &Output) {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The python interpreter of the pinned validator venv.
///
/// Never skips: without the validators the conformance tests fail, with the
/// command that installs them.
pub fn validator_python() -> PathBuf {
    let candidate = std::env::var_os("RELGATE_CONFORMANCE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("target/conformance-venv/bin/python"));
    assert!(
        candidate.is_file(),
        "the pinned SBOM validators are not installed ({} missing): run `cargo xtask test`, \
         which creates the venv from tests/conformance/requirements.txt",
        candidate.display()
    );
    candidate
}

/// Runs tests/conformance/check_sbom.py on a document; panics with its report on failure.
pub fn validate(kind: &str, doc: &[u8], label: &str) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(match kind {
        "cdx-xml" => "sbom.cdx.xml",
        "spdx-json" => "sbom.spdx.json",
        "spdx3-json" => "sbom.spdx3.json",
        _ => "sbom.cdx.json",
    });
    std::fs::write(&file, doc).unwrap();
    let out = Command::new(validator_python())
        .arg(repo().join("tests/conformance/check_sbom.py"))
        .arg(kind)
        .arg(&file)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{label}: independent validators rejected the document (exit {:?}):\n{report}\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        report.contains("PASS"),
        "{label}: validator printed no result:\n{report}"
    );
}

pub fn json(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes).expect("valid JSON")
}

/// `(name, version)` of every CycloneDX component (root excluded), sorted.
pub fn cdx_components(doc: &serde_json::Value) -> Vec<(String, String)> {
    let mut v: Vec<_> = doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_owned(),
                c["version"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    v.sort();
    v
}

/// The package set of `cargo tree -e normal,build ARGS` in `root` (run by
/// the test, not by relgate: cargo is the oracle for what a package is
/// built from), or `None` when cargo refuses the arguments.
pub fn cargo_tree_set(root: &Path, args: &[&str]) -> Option<std::collections::BTreeSet<(String, String)>> {
    let out = Command::new(env!("CARGO"))
        .args([
            "tree",
            "--locked",
            "--prefix=none",
            "--edges=normal,build",
            "--format={p}",
        ])
        .args(args)
        .current_dir(root)
        .output()
        .unwrap();
    if !out.status.success() {
        return None;
    }
    Some(
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .filter_map(|l| {
                let mut parts = l.split_whitespace();
                let name = parts.next()?;
                let version = parts.next()?.strip_prefix('v')?;
                Some((name.to_owned(), version.to_owned()))
            })
            .collect(),
    )
}

/// Fails (never skips) unless `cargo auditable` runs: `cargo xtask test`
/// installs the pinned cargo-auditable into target/tools and puts it on PATH.
pub fn require_cargo_auditable() {
    let ok = Command::new("cargo")
        .args(["auditable", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "cargo-auditable is not on PATH: run `cargo xtask test`, which installs the pinned version into target/tools"
    );
}

/// The BSI TR-03183-2 v2.1 gaps tests/conformance/check_bsi.py finds in a
/// document (`kind` `cdx-json` or `spdx3-json`): component → requirement ids.
pub fn bsi_gaps(kind: &str, doc: &[u8]) -> std::collections::BTreeMap<String, Vec<String>> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sbom.json");
    std::fs::write(&file, doc).unwrap();
    let out = Command::new(validator_python())
        .arg(repo().join("tests/conformance/check_bsi.py"))
        .arg(kind)
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "check_bsi.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json(&out.stdout);
    assert_eq!(
        report["gaps"].as_object().is_none_or(|g| g.is_empty()),
        out.status.code() == Some(0)
    );
    serde_json::from_value(report["gaps"].clone()).unwrap()
}
