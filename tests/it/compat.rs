//! `relgate compat` on every old/new pair under fixtures/compat (each with
//! its expected class), report snapshots, the committed JSON Schema,
//! baselines and exit codes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::{assert_success, relgate, repo, validator_python, Fixture};

fn compat(dir: &Path, extra: &[&str]) -> Output {
    relgate()
        .arg("compat")
        .arg("--manifest-path")
        .arg(dir.join("new/Cargo.toml"))
        .arg("--baseline")
        .arg(format!("path:{}", dir.join("old").display()))
        .args(extra)
        .output()
        .unwrap()
}

/// (class, path, kind): a `none` pair without a kind must report nothing
/// above class none.
fn expected(dir: &Path) -> (String, String, Option<String>) {
    let text = std::fs::read_to_string(dir.join("expected.toml")).unwrap();
    let v: toml::Table = toml::from_str(&text).unwrap();
    (
        v["class"].as_str().unwrap().to_owned(),
        v["path"].as_str().unwrap().to_owned(),
        v.get("kind").and_then(|k| k.as_str()).map(str::to_owned),
    )
}

/// JSON report with the toolchain-dependent fields (inputs relgate does not control) pinned.
fn stable_report(stdout: &[u8]) -> String {
    let mut v: serde_json::Value = serde_json::from_slice(stdout).unwrap();
    v["rustc_version"] = "[rustc]".into();
    v["target"] = "[target]".into();
    v["baseline"] = "path:[old]".into();
    serde_json::to_string_pretty(&v).unwrap()
}

fn validate_schema(report: &[u8], label: &str) {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("compat_report.json");
    std::fs::write(&f, report).unwrap();
    let out = Command::new(validator_python())
        .args([
            "-c",
            "import json,sys,jsonschema; jsonschema.validate(json.load(open(sys.argv[1])), json.load(open(sys.argv[2])))",
        ])
        .arg(&f)
        .arg(repo().join("schemas/compat_report.schema.json"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{label}: report violates the schema:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every pair: the required bump equals the expected class, the change is
/// reported at the expected path, the verdict and exit code follow (every
/// `new` declares 1.0.0 → 1.0.1), and the report matches its snapshot.
#[test]
fn every_fixture_pair_gets_its_expected_class() {
    let fx = Fixture::new("compat");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&fx.dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("expected.toml").is_file())
        .collect();
    cases.sort();
    assert!(cases.len() >= 40, "only {} fixture pairs", cases.len());
    let results: Vec<(PathBuf, Output)> = std::thread::scope(|s| {
        let chunks: Vec<&[PathBuf]> = cases.chunks(cases.len().div_ceil(2)).collect();
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| {
                s.spawn(move || {
                    chunk
                        .iter()
                        .map(|c| (c.clone(), compat(c, &["--format", "json"])))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    let mut failures = Vec::new();
    let mut produced: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> =
        Default::default();
    for (case, out) in &results {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let (class, path, kind) = expected(case);
        let Ok(report) = serde_json::from_slice::<serde_json::Value>(&out.stdout) else {
            failures.push(format!(
                "{name}: no report (exit {:?}): {}",
                out.status.code(),
                String::from_utf8_lossy(&out.stderr)
            ));
            continue;
        };
        let changes = report["changes"].as_array().unwrap();
        for c in changes {
            produced
                .entry(c["kind"].as_str().unwrap().to_owned())
                .or_default()
                .insert(name.clone());
            if c["old"]["signature"].is_string()
                && c["old"]["signature"] == c["new"]["signature"]
                && c["class"] != "none"
            {
                failures.push(format!(
                    "{name}: a {} change whose old and new signatures read the same: {c}",
                    c["kind"]
                ));
            }
        }
        let required = report["required_bump"].as_str().unwrap();
        if required != class {
            failures.push(format!(
                "{name}: expected {class}, got {required}: {}",
                report["changes"]
            ));
            continue;
        }
        if let Some(kind) = &kind {
            if !changes.iter().any(|c| c["kind"] == kind.as_str()) {
                failures.push(format!(
                    "{name}: expected a `{kind}` change: {}",
                    report["changes"]
                ));
                continue;
            }
        }
        let paths: Vec<&str> = changes.iter().map(|c| c["path"].as_str().unwrap()).collect();
        if (class != "none" || kind.is_some())
            && !paths.iter().any(|p| {
                *p == path
                    || p.starts_with(&format!("{path}::"))
                    || path.starts_with(p)
                    || p.starts_with("feature")
            })
        {
            failures.push(format!("{name}: no change at {path}: {paths:?}"));
            continue;
        }
        let sufficient = class == "none";
        if report["sufficient"] != sufficient || out.status.code() != Some(if sufficient { 0 } else { 1 }) {
            failures.push(format!(
                "{name}: sufficient/exit code wrong: exit {:?}",
                out.status.code()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} pairs wrong:\n{}",
        failures.len(),
        results.len(),
        failures.join("\n")
    );
    // Every kind in the table is produced by the fixture it names, and
    // nothing outside the table is emitted.
    for k in relgate::analyze::kinds::Kind::ALL {
        if k.example().starts_with("schema:") {
            continue;
        }
        assert!(
            produced
                .get(k.id())
                .is_some_and(|pairs| pairs.contains(k.example())),
            "kind `{}`: its example fixture `{}` does not produce it (produced by {:?})",
            k.id(),
            k.example(),
            produced.get(k.id())
        );
    }
    for kind in produced.keys() {
        assert!(
            relgate::analyze::kinds::Kind::from_id(kind).is_some(),
            "`{kind}` is emitted but not in the kinds table"
        );
    }
    for (case, out) in &results {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        validate_schema(&out.stdout, &name);
        insta::assert_snapshot!(format!("compat-{name}"), stable_report(&out.stdout));
    }
}

#[test]
fn human_output_groups_breaking_first() {
    let fx = Fixture::new("compat/function_removed");
    let out = compat(&fx.dir, &[]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("INSUFFICIENT: the next version must be at least 2.0.0"),
        "{text}"
    );
    assert!(text.contains("Breaking changes (major): 1"), "{text}");
}

#[test]
fn rustdoc_file_baseline_and_format_version_check() {
    let fx = Fixture::new("compat/function_added");
    // Produce the old side's rustdoc JSON once through a path baseline run, then reuse it.
    let _ = compat(&fx.dir, &[]);
    let json = std::fs::read_dir(fx.dir.join("new/target/relgate/compat/baseline-target/doc"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "json"))
        .expect("baseline rustdoc JSON");
    let out = relgate()
        .arg("compat")
        .arg("--manifest-path")
        .arg(fx.dir.join("new/Cargo.toml"))
        .arg("--baseline")
        .arg(format!("rustdoc:{}", json.display()))
        .arg("--format=json")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["required_bump"], "minor");

    // Another format version: a clear error naming the supported one, never a verdict.
    let mut doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    doc["format_version"] = 61.into();
    let other = fx.scratch("v61.json");
    std::fs::write(&other, serde_json::to_vec(&doc).unwrap()).unwrap();
    let out = relgate()
        .arg("compat")
        .arg("--manifest-path")
        .arg(fx.dir.join("new/Cargo.toml"))
        .arg("--baseline")
        .arg(format!("rustdoc:{}", other.display()))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("format version 61") && stderr.contains("format version 57"),
        "{stderr}"
    );
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(["-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false"])
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A repository whose tag v1.0.0 is the old side and whose work tree is the new side.
#[test]
fn git_baselines_and_the_default_tag() {
    let fx = Fixture::new("compat/function_return_type_changed");
    let repo_dir = fx.scratch("repo");
    std::fs::create_dir_all(repo_dir.join("src")).unwrap();
    for f in ["Cargo.toml", "src/lib.rs"] {
        std::fs::copy(fx.dir.join("old").join(f), repo_dir.join(f)).unwrap();
    }
    std::fs::write(repo_dir.join(".gitignore"), "target/\nCargo.lock\n").unwrap();
    git(&repo_dir, &["init", "-q", "-b", "main"]);
    git(&repo_dir, &["add", "-A"]);
    git(
        &repo_dir,
        &["-c", "commit.gpgsign=false", "commit", "-q", "-m", "1.0.0"],
    );
    git(&repo_dir, &["tag", "v1.0.0"]);
    for f in ["Cargo.toml", "src/lib.rs"] {
        std::fs::copy(fx.dir.join("new").join(f), repo_dir.join(f)).unwrap();
    }
    let status_before = Command::new("git")
        .args(["status", "--porcelain"])
        .current_dir(&repo_dir)
        .output()
        .unwrap()
        .stdout;
    for baseline in [None, Some("git:v1.0.0"), Some("git:HEAD")] {
        let mut cmd = relgate();
        cmd.arg("compat")
            .arg("--manifest-path")
            .arg(repo_dir.join("Cargo.toml"))
            .arg("--format=json");
        if let Some(b) = baseline {
            cmd.args(["--baseline", b]);
        }
        let out = cmd.output().unwrap();
        let report: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|_| panic!("{baseline:?}: {}", String::from_utf8_lossy(&out.stderr)));
        assert_eq!(report["baseline"], baseline.unwrap_or("git:v1.0.0"));
        assert_eq!(report["required_bump"], "major", "{baseline:?}");
        assert_eq!(out.status.code(), Some(1));
    }
    // The work tree was not touched (only target/, which git ignores).
    let status_after = Command::new("git")
        .args(["status", "--porcelain"])
        .current_dir(&repo_dir)
        .output()
        .unwrap()
        .stdout;
    assert_eq!(status_before, status_after);
    // A second run reuses the cached baseline snapshot.
    let cache = repo_dir.join("target/relgate/compat/cache");
    assert!(
        std::fs::read_dir(&cache).map(|d| d.count()).unwrap_or(0) >= 1,
        "no cached baseline"
    );
}

#[test]
fn errors_are_exit_2_never_compatible() {
    let fx = Fixture::new("compat/function_removed");
    let cases: Vec<(Vec<String>, &str)> = vec![
        (vec!["--baseline".into(), "tag:v1".into()], "is not a baseline"),
        (
            vec![
                "--baseline".into(),
                format!("path:{}", fx.scratch("nowhere").display()),
            ],
            "manifest not found",
        ),
        (
            vec!["--baseline".into(), "git:no-such-rev".into()],
            "git rev-parse",
        ),
        (
            vec!["-p".into(), "nope".into(), "--baseline".into(), "path:x".into()],
            "not a member",
        ),
    ];
    for (args, needle) in cases {
        let out = relgate()
            .arg("compat")
            .arg("--manifest-path")
            .arg(fx.dir.join("new/Cargo.toml"))
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(needle),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // A crate that does not document is an error, not "compatible".
    std::fs::write(fx.dir.join("new/src/lib.rs"), "pub fn broken( {").unwrap();
    let out = compat(&fx.dir, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("rustdoc could not document"));
    assert_success(&relgate().arg("compat").arg("--help").output().unwrap());
}

/// A real published crate against its previous release on crates.io.
#[test]
fn registry_baseline_of_a_published_crate() {
    // cargo fetches itoa 1.0.19 for the minimal fixture; copy its source.
    let fx = Fixture::new("minimal");
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["metadata", "--format-version=1", "--locked", "--manifest-path"])
        .arg(fx.manifest())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let itoa = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "itoa")
        .unwrap();
    assert_eq!(itoa["version"], "1.0.19", "fixture changed");
    let src = Path::new(itoa["manifest_path"].as_str().unwrap())
        .parent()
        .unwrap()
        .to_path_buf();
    let copy = fx.scratch("itoa");
    let cp = Command::new("cp")
        .arg("-r")
        .arg(&src)
        .arg(&copy)
        .status()
        .unwrap();
    assert!(cp.success());
    let manifest = copy.join("Cargo.toml");
    let mut text = std::fs::read_to_string(&manifest).unwrap();
    text.push_str("\n[workspace]\n");
    std::fs::write(&manifest, text).unwrap();
    let out = relgate()
        .arg("compat")
        .arg("--manifest-path")
        .arg(&manifest)
        .args(["--baseline", "registry:1.0.18", "--format", "json"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(report["old_version"], "1.0.18");
    assert_eq!(report["required_bump"], "none", "{}", report["changes"]);
    assert_eq!(out.status.code(), Some(0));
}

/// A generated workspace with library members under `crates/*`, tags per
/// member and a binary package: `--workspace` compares every library member
/// with its own git baseline (extracted as a whole tree, so members below
/// the root document), a member with no tag and not on crates.io is a first
/// release, the binary is left out, and `-p` works for one member.
#[test]
fn workspace_members_each_against_their_own_baseline() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    let write = |rel: &str, text: &str| {
        let p = ws.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    let member = |name: &str, version: &str| {
        format!(
            "[package]\nname = \"{name}\"\nversion = \"{version}\"\nedition = \"2021\"\nlicense = \"MIT\"\n"
        )
    };
    write(
        "Cargo.toml",
        "[workspace]\nmembers = [\"crates/*\", \"app\"]\nresolver = \"2\"\n",
    );
    write("crates/alpha/Cargo.toml", &member("relgate-ws-alpha", "1.0.0"));
    write("crates/alpha/src/lib.rs", "pub fn a() {}\npub fn gone() {}\n");
    write("crates/beta/Cargo.toml", &member("relgate-ws-beta", "0.1.0"));
    write("crates/beta/src/lib.rs", "pub fn b() {}\n");
    write("app/Cargo.toml", &member("relgate-ws-app", "1.0.0"));
    write("app/src/main.rs", "fn main() {}\n");
    let git = |args: &[&str]| git(&ws, args);
    git(&["init", "-q"]);
    git(&["add", "-A"]);
    git(&["commit", "-qm", "first"]);
    git(&["tag", "relgate-ws-alpha-v1.0.0"]);
    git(&["tag", "relgate-ws-beta-0.1.0"]);
    // The next release: alpha removes a function under a patch bump, beta
    // adds one under 0.1.1 (a minor change for 0.y.z), gamma is new.
    write("crates/alpha/Cargo.toml", &member("relgate-ws-alpha", "1.0.1"));
    write("crates/alpha/src/lib.rs", "pub fn a() {}\n");
    write("crates/beta/Cargo.toml", &member("relgate-ws-beta", "0.1.1"));
    write("crates/beta/src/lib.rs", "pub fn b() {}\npub fn b2() {}\n");
    write(
        "crates/gamma/Cargo.toml",
        &member("relgate-ws-gamma-never-published-7f3a", "0.1.0"),
    );
    write("crates/gamma/src/lib.rs", "pub fn g() {}\n");
    git(&["add", "-A"]);
    git(&["commit", "-qm", "second"]);

    let out = relgate()
        .arg("compat")
        .arg("--workspace")
        .arg("--manifest-path")
        .arg(ws.join("Cargo.toml"))
        .arg("--format=json")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stderr}\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    validate_schema(&out.stdout, "workspace report");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["workspace"], true);
    assert_eq!(report["sufficient"], false);
    let members = report["members"].as_array().unwrap();
    let find = |name: &str| {
        members
            .iter()
            .find(|m| m["package"] == name)
            .unwrap_or_else(|| panic!("{name}: {report}"))
    };
    let alpha = find("relgate-ws-alpha");
    assert_eq!(alpha["status"], "compared");
    assert_eq!(alpha["baseline"], "git:relgate-ws-alpha-v1.0.0");
    assert_eq!(alpha["sufficient"], false);
    let change = &alpha["changes"][0];
    assert_eq!(change["kind"], "item-removed");
    assert_eq!(change["path"], "relgate_ws_alpha::gone");
    assert_eq!(
        change["old"]["span"]["file"], "src/lib.rs",
        "spans relative to the member"
    );
    let beta = find("relgate-ws-beta");
    assert_eq!(beta["baseline"], "git:relgate-ws-beta-0.1.0");
    assert_eq!(beta["required_bump"], "minor");
    assert_eq!(beta["sufficient"], true);
    let gamma = find("relgate-ws-gamma-never-published-7f3a");
    assert_eq!(gamma["status"], "first-release", "{gamma}");
    assert_eq!(report["skipped"][0]["package"], "relgate-ws-app");

    // One member below the root, on its own.
    let out = relgate()
        .arg("compat")
        .arg("-p")
        .arg("relgate-ws-beta")
        .arg("--manifest-path")
        .arg(ws.join("Cargo.toml"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("baseline git:relgate-ws-beta-0.1.0"), "{text}");
}

/// `relgate explain KIND` prints the kind's row of the table: its class, its
/// rule, the reference and the fixture pair that produces it.
#[test]
fn explain_prints_a_change_kind() {
    let out = relgate().args(["explain", "repr-added"]).output().unwrap();
    assert_success(&out);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("class minor"), "{text}");
    assert!(text.contains("semver.html#repr-c-add"), "{text}");
    assert!(text.contains("fixtures/compat/repr_c_added"), "{text}");
    let out = relgate().args(["explain", "copy-impl-added"]).output().unwrap();
    assert_success(&out);
    assert!(String::from_utf8_lossy(&out.stdout).contains("class major"));
}
