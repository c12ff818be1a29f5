//! `relgate release`, `gate`, `ledger`, `schema`, `explain` and `init`, end
//! to end on `fixtures/release` (package `demo` 0.2.0, no dependencies),
//! copied into a temporary directory and committed to a fresh git
//! repository. Most releases use `--no-build --artifact notes.txt` for
//! speed; one test does the real `cargo build` and `cargo test`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Instant;

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::support::{assert_success, cargo_tree_set, json, relgate, repo, validator_python, Fixture};

/// Commit dates are fixed so two checkouts of the fixture get the same commit.
const GIT_DATE: &str = "2023-11-14T22:13:20+00:00";

/// The files of a passing `--no-build --artifact notes.txt` release without a baseline.
const RELEASE_FILES: [&str; 11] = [
    "checksums.txt",
    "gate.json",
    "metrics.json",
    "metrics.prom",
    "notes.txt",
    "provenance.intoto.jsonl",
    "provenance.sigstore.json",
    "report.md",
    "sbom.cdx.json",
    "sbom.spdx.json",
    "traces.ndjson",
];

/// Metrics that measure time or memory and differ from run to run.
const TIMING_METRICS: [&str; 4] = [
    "release.stage.duration",
    "release.build.duration",
    "relgate.peak_rss",
    "relgate.cpu.time",
];

/// A release-ready checkout of fixtures/release: schema lock written, every
/// file committed, a fresh signing key and one small artifact beside it.
struct Ws {
    fx: Fixture,
    key: PathBuf,
    public: PathBuf,
    artifact: PathBuf,
}

impl Ws {
    fn new() -> Ws {
        Ws::of("release")
    }

    fn of(fixture: &str) -> Ws {
        let fx = Fixture::new(fixture);
        let ws = Ws {
            key: fx.scratch("keys/relgate.key"),
            public: fx.scratch("keys/relgate.pub"),
            artifact: fx.scratch("notes.txt"),
            fx,
        };
        std::fs::create_dir_all(ws.fx.scratch("home")).unwrap();
        assert_success(
            &ws.cmd()
                .args(["schema", "lock", "--manifest-path"])
                .arg(ws.manifest())
                .output()
                .unwrap(),
        );
        ws.git(&["init", "-q"]);
        ws.commit("init");
        assert_success(
            &ws.cmd()
                .args(["keygen", "--out-dir"])
                .arg(ws.fx.scratch("keys"))
                .output()
                .unwrap(),
        );
        std::fs::write(&ws.artifact, b"release notes for demo\n").unwrap();
        ws
    }

    /// The checkout (the workspace root).
    fn root(&self) -> &Path {
        &self.fx.dir
    }

    fn manifest(&self) -> PathBuf {
        self.root().join("Cargo.toml")
    }

    fn ledger(&self) -> PathBuf {
        self.root().join("release-ledger.jsonl")
    }

    /// A path in the temporary directory, outside the checkout.
    fn scratch(&self, name: &str) -> PathBuf {
        self.fx.scratch(name)
    }

    /// `relgate`, isolated from a developer's signing key, invocation id and git state.
    fn cmd(&self) -> Command {
        let mut c = relgate();
        for var in [
            "RELGATE_SIGNING_KEY",
            "RELGATE_INVOCATION_ID",
            "GIT_DIR",
            "GIT_WORK_TREE",
            "GIT_INDEX_FILE",
        ] {
            c.env_remove(var);
        }
        c
    }

    /// Runs git in the checkout, with no system or user configuration.
    fn git(&self, args: &[&str]) -> Output {
        let out = Command::new("git")
            .args([
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@t",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(["-c", "tag.gpgsign=false", "-c", "init.defaultBranch=main"])
            .args(args)
            .current_dir(self.root())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", self.scratch("home"))
            .env("GIT_AUTHOR_DATE", GIT_DATE)
            .env("GIT_COMMITTER_DATE", GIT_DATE)
            .env_remove("GIT_CONFIG_GLOBAL")
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .env_remove("GIT_INDEX_FILE")
            .output()
            .expect("git");
        assert_success(&out);
        out
    }

    fn commit(&self, message: &str) {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", message]);
    }

    fn head(&self) -> String {
        String::from_utf8(self.git(&["rev-parse", "HEAD"]).stdout)
            .unwrap()
            .trim()
            .to_owned()
    }

    /// Replaces `from` with `to` in a file of the checkout.
    fn edit(&self, rel: &str, from: &str, to: &str) {
        let path = self.root().join(rel);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{rel} has no `{from}`");
        std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
    }

    /// Writes a contract outside the checkout (so the tree stays clean);
    /// it says `first-release = true` unless it sets `first-release` itself.
    fn contract(&self, name: &str, text: &str) -> String {
        let path = self.scratch(&format!("contracts/{name}.toml"));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let text = if text.contains("first-release") {
            text.to_owned()
        } else if text.contains("[release]\n") {
            text.replacen("[release]\n", "[release]\nfirst-release = true\n", 1)
        } else {
            format!("{text}\n[release]\nfirst-release = true\n")
        };
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_owned()
    }

    /// `relgate release --quiet --manifest-path M --out OUT`.
    fn release_cmd(&self, out: &Path) -> Command {
        let mut c = self.cmd();
        c.args(["release", "--quiet", "--manifest-path"])
            .arg(self.manifest())
            .arg("--out")
            .arg(out);
        c
    }

    /// A fast release signed with the real key: `--no-build --artifact notes.txt`.
    fn release(&self, out: &Path, extra: &[&str]) -> Output {
        self.release_cmd(out)
            .args(["--no-build", "--artifact"])
            .arg(&self.artifact)
            .arg("--key")
            .arg(&self.key)
            .args(extra)
            .output()
            .unwrap()
    }

    /// A fast dry run (example key, no ledger line).
    fn dry_run(&self, out: &Path, extra: &[&str]) -> Output {
        self.release_cmd(out)
            .args(["--no-build", "--dry-run", "--artifact"])
            .arg(&self.artifact)
            .args(extra)
            .output()
            .unwrap()
    }

    /// `relgate ledger revoke --version V --reason R --ledger L --key KEY`.
    fn revoke_cmd(&self, version: &str, reason: &str, ledger: &Path) -> Command {
        let mut c = self.cmd();
        c.args([
            "ledger",
            "revoke",
            "--version",
            version,
            "--reason",
            reason,
            "--ledger",
        ])
        .arg(ledger)
        .arg("--key")
        .arg(&self.key);
        c
    }

    fn gate(&self, dir: &Path, extra: &[&str]) -> Output {
        self.cmd()
            .args(["gate", "--dir"])
            .arg(dir)
            .arg("--key")
            .arg(&self.public)
            .arg("--manifest-path")
            .arg(self.manifest())
            .args(extra)
            .output()
            .unwrap()
    }
}

fn example_public() -> PathBuf {
    repo().join("keys-example/example.pub")
}

fn text(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The command's output (stdout and stderr) says `needle`.
fn assert_says(out: &Output, needle: &str) {
    let said = text(out);
    assert!(said.contains(needle), "expected {needle:?} in:\n{said}");
}

fn assert_exit(out: &Output, code: i32, what: &str) {
    assert_eq!(out.status.code(), Some(code), "{what}: {}", text(out));
}

fn rejected(out: &Path) -> PathBuf {
    let mut name = out.file_name().unwrap().to_os_string();
    name.push(".rejected");
    out.with_file_name(name)
}

fn read_json(path: &Path) -> Value {
    json(&std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

/// The verdict of rule `id` in a gate.json.
fn rule<'a>(gate: &'a Value, id: &str) -> &'a Value {
    gate["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("no rule {id} in gate.json: {gate:#}"))
}

fn names(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

fn sha256_file(path: &Path) -> String {
    Sha256::digest(std::fs::read(path).unwrap())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A gate failure: exit 1, no release directory, `<out>.rejected/gate.json`
/// names `id` as failing, and nothing anywhere was signed. Returns gate.json.
fn assert_rejected(out: &Path, o: &Output, id: &str) -> Value {
    assert_exit(o, 1, &format!("a release failing {id}"));
    assert!(!out.exists(), "{} exists after a rejected release", out.display());
    let rej = rejected(out);
    let gate = read_json(&rej.join("gate.json"));
    assert_eq!(gate["result"], "fail", "{gate:#}");
    assert_eq!(rule(&gate, id)["status"], "fail", "{:#}", rule(&gate, id));
    assert!(rej.join("report.md").is_file());
    for dir in [&rej, out] {
        assert!(
            !dir.join("provenance.intoto.jsonl").exists(),
            "a rejected release signed something in {}",
            dir.display()
        );
    }
    assert!(!rej.join("checksums.txt").exists());
    assert!(
        String::from_utf8_lossy(&o.stdout).contains(id),
        "the summary does not name {id}: {}",
        text(o)
    );
    gate
}

/// checksums.txt as (name, sha256), in file order.
fn checksums(dir: &Path) -> Vec<(String, String)> {
    std::fs::read_to_string(dir.join("checksums.txt"))
        .unwrap()
        .lines()
        .map(|l| {
            let (digest, name) = l.split_once("  ").unwrap_or_else(|| panic!("bad line {l:?}"));
            assert!(
                digest.len() == 64 && digest.bytes().all(|b| b.is_ascii_hexdigit()),
                "bad digest in {l:?}"
            );
            (name.to_owned(), digest.to_owned())
        })
        .collect()
}

/// A complete release directory: checksums.txt lists exactly the other
/// files (the provenance and its Sigstore form aside), every digest
/// matches (`sha256sum -c`), and `relgate verify` accepts the provenance,
/// in both forms, for all of them.
fn assert_complete(dir: &Path, public: &Path) {
    let lines = checksums(dir);
    let listed: BTreeSet<String> = lines.iter().map(|(n, _)| n.clone()).collect();
    assert_eq!(listed.len(), lines.len(), "a file is listed twice");
    let mut on_disk = names(dir);
    assert!(on_disk.remove("checksums.txt"));
    for provenance in ["provenance.intoto.jsonl", "provenance.sigstore.json"] {
        assert!(on_disk.remove(provenance), "no {provenance} in {}", dir.display());
    }
    assert_eq!(listed, on_disk, "checksums.txt vs the files of {}", dir.display());
    for (name, digest) in &lines {
        assert_eq!(&sha256_file(&dir.join(name)), digest, "{name}: sha256 mismatch");
    }
    for provenance in ["provenance.intoto.jsonl", "provenance.sigstore.json"] {
        let o = Command::new(env!("CARGO_BIN_EXE_relgate"))
            .arg("verify")
            .arg("--provenance")
            .arg(dir.join(provenance))
            .arg("--key")
            .arg(public)
            .args(lines.iter().map(|(n, _)| dir.join(n)))
            .output()
            .unwrap();
        assert_success(&o);
    }
}

fn python(script: &str, args: &[&dyn AsRef<std::ffi::OsStr>]) -> Output {
    let mut cmd = Command::new(validator_python());
    cmd.arg(repo().join("tests/conformance").join(script));
    for a in args {
        cmd.arg(a);
    }
    cmd.output().unwrap()
}

fn validate_against(schema_file: &str, doc: &Value) {
    let schema = read_json(&repo().join("schemas").join(schema_file));
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{schema_file}: {errors:#?}");
}

fn rfc3339_from_now(hours: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::hours(hours))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

const BASE: &str = "version = 1\n[release]\nrun-tests = false\nbaseline = \"none\"\n";

// ── 1. a passing release ────────────────────────────────────────────────

#[test]
fn a_passing_release_is_complete_signed_recorded_and_publishable() {
    let ws = Ws::new();
    let out = ws.scratch("rel");
    let o = ws.release(&out, &["--format", "json"]);
    assert_success(&o);
    let summary = json(&o.stdout);
    assert_eq!(summary["released"], true, "{summary:#}");
    assert_eq!(summary["version"], "0.2.0");
    assert!(!rejected(&out).exists());

    let expected: BTreeSet<String> = RELEASE_FILES.iter().map(|s| s.to_string()).collect();
    assert_eq!(names(&out), expected, "no compat_report.json without a baseline");
    assert_complete(&out, &ws.public);
    let listed: Vec<PathBuf> = checksums(&out).iter().map(|(n, _)| out.join(n)).collect();
    // Neither checksums.txt nor the two provenance files are listed.
    assert_eq!(listed.len(), RELEASE_FILES.len() - 3);
    assert_eq!(
        std::fs::read(out.join("notes.txt")).unwrap(),
        std::fs::read(&ws.artifact).unwrap()
    );

    // The in-toto reference implementation agrees.
    let bundle = out.join("provenance.intoto.jsonl");
    let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"verify", &bundle, &ws.public];
    for a in &listed {
        args.push(a);
    }
    let v = python("intoto_interop.py", &args);
    assert!(v.status.success(), "in-toto reference: {}", text(&v));
    // ...and rejects the bundle for another key.
    let other = example_public();
    let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"verify", &bundle, &other];
    for a in &listed {
        args.push(a);
    }
    assert_exit(&python("intoto_interop.py", &args), 1, "reference, wrong key");
    // sigstore-js verifies the same provenance as a Sigstore bundle.
    let keyid = json(
        std::fs::read_to_string(&bundle)
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .as_bytes(),
    )["signatures"][0]["keyid"]
        .as_str()
        .unwrap()
        .to_owned();
    let s = crate::interop::sigstore_js(&out.join("provenance.sigstore.json"), &ws.public, &keyid);
    assert!(s.status.success(), "sigstore-js: {}", text(&s));

    let traces = out.join("traces.ndjson");
    let t = python("check_otlp.py", &[&traces]);
    assert!(t.status.success(), "check_otlp: {}", text(&t));

    let metrics = read_json(&out.join("metrics.json"));
    assert_eq!(metrics["schema"], "metrics/v1");
    validate_against("metrics.schema.json", &metrics);
    assert!(metrics["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["name"] == "release.artifact.size" && m["attributes"]["artifact"] == "notes.txt"));

    let gate = read_json(&out.join("gate.json"));
    assert_eq!(gate["schema"], "gate/v1");
    assert_eq!(gate["result"], "pass", "{gate:#}");
    validate_against("gate.schema.json", &gate);
    assert_eq!(gate["release"]["commit"], ws.head().as_str());
    assert_eq!(gate["release"]["dry_run"], false);
    assert_eq!(rule(&gate, "license-allowlist")["status"], "pass");
    assert_eq!(rule(&gate, "tests-passed")["status"], "skipped");
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(report.contains("RELEASED"), "{report}");

    let ledger = std::fs::read_to_string(ws.ledger()).unwrap();
    assert_eq!(ledger.lines().count(), 1, "{ledger}");
    let entry = json(ledger.lines().next().unwrap().as_bytes());
    assert_eq!(entry["version"], "0.2.0");
    assert_eq!(entry["invocation_id"], summary["invocation_id"]);
    assert_eq!(entry["provenance_sha256"].as_str().unwrap(), sha256_file(&bundle));
    let v = ws
        .cmd()
        .args(["ledger", "verify", "--ledger"])
        .arg(ws.ledger())
        .arg("--key")
        .arg(&ws.public)
        .output()
        .unwrap();
    assert_success(&v);

    let g = ws.gate(&out, &[]);
    assert_success(&g);
    assert!(
        String::from_utf8_lossy(&g.stdout).contains("publishable"),
        "{}",
        text(&g)
    );
    // The example key is not trusted for this release.
    let g = ws
        .cmd()
        .args(["gate", "--dir"])
        .arg(&out)
        .arg("--key")
        .arg(example_public())
        .arg("--manifest-path")
        .arg(ws.manifest())
        .output()
        .unwrap();
    assert_exit(&g, 1, "gate with an untrusted key");
}

#[test]
fn a_real_build_releases_the_binary_after_the_tests_pass() {
    let ws = Ws::new();
    let contract = ws.contract(
        "build",
        "version = 1\n[release]\nrun-tests = true\nbaseline = \"none\"\n[invariants.license-allowlist]\nallow = [\"MIT\"]\n",
    );
    let out = ws.scratch("rel");
    let o = ws
        .release_cmd(&out)
        .arg("--key")
        .arg(&ws.key)
        .args(["--contract", &contract])
        .env("CARGO_TARGET_DIR", ws.scratch("target"))
        .output()
        .unwrap();
    assert_success(&o);
    let bin = out.join("demo");
    assert!(bin.is_file(), "no binary `demo` in {:?}", names(&out));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert!(std::fs::metadata(&bin).unwrap().permissions().mode() & 0o111 != 0);
    }
    let run = Command::new(&bin).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&run.stdout).trim(), "5");
    assert_complete(&out, &ws.public);
    assert!(checksums(&out).iter().any(|(n, _)| n == "demo"));
    let gate = read_json(&out.join("gate.json"));
    assert_eq!(gate["result"], "pass");
    assert_eq!(rule(&gate, "tests-passed")["status"], "pass", "{gate:#}");
    let tests = &gate["facts"]["tests"];
    assert!(tests["passed"].as_u64().unwrap() >= 1, "{tests:#}");
    assert_eq!(tests["failed"], 0);
    assert!(gate["facts"]["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["name"] == "demo" && a["kind"] == "binary"));
}

// ── 2. every built-in invariant, violated ───────────────────────────────

#[test]
fn license_allowlist_rejects_the_workspace_license() {
    let ws = Ws::new();
    let c = ws.contract(
        "license",
        &format!(
            "{BASE}[invariants.license-allowlist]\nallow = [\"Apache-2.0\"]\ninclude-workspace = true\n"
        ),
    );
    let out = ws.scratch("rel");
    let gate = assert_rejected(&out, &ws.release(&out, &["--contract", &c]), "license-allowlist");
    let failures = rule(&gate, "license-allowlist")["failures"].to_string();
    assert!(failures.contains("demo@0.2.0"), "{failures}");
    assert!(!ws.ledger().exists(), "a rejected release was recorded");
}

#[test]
fn tests_passed_rejects_inconclusive_tests() {
    let ws = Ws::new();
    let c = ws.contract(
        "tests",
        "version = 1\n[release]\nrun-tests = true\ntest-command = [\"false\"]\nbaseline = \"none\"\n",
    );
    let out = ws.scratch("rel");
    let gate = assert_rejected(&out, &ws.release(&out, &["--contract", &c]), "tests-passed");
    let failures = rule(&gate, "tests-passed")["failures"].to_string();
    assert!(failures.contains("conclusive"), "{failures}");
}

#[test]
fn performance_budget_rejects_a_large_artifact() {
    let ws = Ws::new();
    let c = ws.contract(
        "budget",
        &format!("{BASE}[invariants.performance-budget]\nmax-artifact-bytes = 10\n"),
    );
    let out = ws.scratch("rel");
    let gate = assert_rejected(&out, &ws.release(&out, &["--contract", &c]), "performance-budget");
    let failures = rule(&gate, "performance-budget")["failures"].to_string();
    assert!(failures.contains("notes.txt"), "{failures}");
    // The rejected directory holds the evidence, not the artifacts.
    assert!(!rejected(&out).join("notes.txt").exists());
}

#[test]
fn schema_lock_rejects_a_declared_schema_missing_from_the_lock() {
    let ws = Ws::new();
    std::fs::create_dir_all(ws.root().join("schemas")).unwrap();
    std::fs::write(
        ws.root().join("schemas/demo.schema.json"),
        r#"{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"a":{"type":"string"}}}"#,
    )
    .unwrap();
    ws.commit("declare a schema");
    let c = ws.contract(
        "schemas",
        &format!("{BASE}[schemas]\npaths = [\"schemas/demo.schema.json\"]\n"),
    );
    let out = ws.scratch("rel");
    let gate = assert_rejected(&out, &ws.release(&out, &["--contract", &c]), "schema-lock");
    assert_eq!(
        gate["schema_lock"]["status"], "drift",
        "{:#}",
        gate["schema_lock"]
    );
    assert!(rule(&gate, "schema-lock")["failures"]
        .to_string()
        .contains("schemas/demo.schema.json"));
}

#[test]
fn nonce_unique_rejects_a_replayed_invocation_id() {
    let ws = Ws::new();
    let first = ws.scratch("first");
    assert_success(&ws.release(&first, &["--invocation-id", "urn:uuid:replayed"]));
    let second = ws.scratch("second");
    let o = ws.release(&second, &["--invocation-id", "urn:uuid:replayed"]);
    let gate = assert_rejected(&second, &o, "nonce-unique");
    assert!(rule(&gate, "nonce-unique")["failures"]
        .to_string()
        .contains("replay"));
    assert_eq!(std::fs::read_to_string(ws.ledger()).unwrap().lines().count(), 1);
    // The first release is untouched.
    assert_complete(&first, &ws.public);
}

#[test]
fn semver_bump_sufficient_rejects_a_patch_bump_after_a_removal() {
    let ws = Ws::new();
    ws.git(&["tag", "v0.2.0"]);
    std::fs::write(
        ws.root().join("src/lib.rs"),
        "//! The demo library: `add` is gone.\n\n/// Does nothing.\npub fn other() {}\n\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn other() {\n        super::other();\n    }\n}\n",
    )
    .unwrap();
    std::fs::write(
        ws.root().join("src/main.rs"),
        "fn main() {\n    demo::other();\n}\n",
    )
    .unwrap();
    ws.edit("Cargo.toml", "version = \"0.2.0\"", "version = \"0.2.1\"");
    ws.edit("Cargo.lock", "version = \"0.2.0\"", "version = \"0.2.1\"");
    ws.commit("remove add, bump to 0.2.1");
    let out = ws.scratch("rel");
    let o = ws.release(&out, &["--baseline", "git:v0.2.0"]);
    let gate = assert_rejected(&out, &o, "semver-bump-sufficient");
    let compat = &gate["facts"]["compat"];
    assert_eq!(compat["ran"], true);
    assert_eq!(compat["required_bump"], "major", "{compat:#}");
    assert_eq!(compat["next_version_at_least"], "0.3.0", "{compat:#}");
    assert!(rejected(&out).join("compat_report.json").is_file());
}

// canonical-format is not tested here: every artifact it checks is rendered
// by relgate itself from in-memory facts, so it cannot be made to fail from
// outside the process (its unit tests cover the invariant).

#[test]
fn ticket_ttl_refuses_an_old_release_directory_at_publish_time() {
    let ws = Ws::new();
    let out = ws.scratch("rel");
    assert_success(&ws.release(&out, &[]));
    let gate = read_json(&out.join("gate.json"));
    assert_eq!(
        rule(&gate, "ticket-ttl")["status"],
        "pass",
        "not yet applicable at release time"
    );

    assert_success(&ws.gate(&out, &["--now", &rfc3339_from_now(1)]));
    let o = ws.gate(&out, &["--now", &rfc3339_from_now(25)]);
    assert_exit(&o, 1, "gate 25 hours after the release");
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("FAIL ticket-ttl"), "{}", text(&o));
    assert!(stdout.contains("NOT PUBLISHABLE"), "{}", text(&o));
    // The directory itself is still intact.
    assert_complete(&out, &ws.public);
}

#[test]
fn no_git_or_path_deps_rejects_a_path_dependency_outside_the_workspace() {
    let ws = Ws::new();
    let ext = ws.scratch("extdep");
    std::fs::create_dir_all(ext.join("src")).unwrap();
    std::fs::write(
        ext.join("Cargo.toml"),
        "[package]\nname = \"extdep\"\nversion = \"0.1.0\"\nedition = \"2021\"\nlicense = \"MIT\"\n",
    )
    .unwrap();
    std::fs::write(ext.join("src/lib.rs"), "pub fn ext() {}\n").unwrap();
    ws.edit(
        "Cargo.toml",
        "[dependencies]\n",
        &format!(
            "[dependencies]\nextdep = {{ path = {:?} }}\n",
            ext.to_str().unwrap()
        ),
    );
    let lock = Command::new("cargo")
        .args(["generate-lockfile", "--offline", "--manifest-path"])
        .arg(ws.manifest())
        .output()
        .unwrap();
    assert_success(&lock);
    assert!(std::fs::read_to_string(ws.root().join("Cargo.lock"))
        .unwrap()
        .contains("extdep"));
    ws.commit("add a path dependency");
    let out = ws.scratch("rel");
    let gate = assert_rejected(&out, &ws.release(&out, &[]), "no-git-or-path-deps");
    let failures = rule(&gate, "no-git-or-path-deps")["failures"].to_string();
    assert!(failures.contains("extdep@0.1.0"), "{failures}");
    assert_eq!(rule(&gate, "license-allowlist")["status"], "pass");
}

// ── 3. user rules and waivers ───────────────────────────────────────────

#[test]
fn user_rules_fail_warn_and_are_waived_until_the_waiver_expires() {
    let ws = Ws::new();
    let rule_text = "[[rule]]\nid = \"version-one\"\nseverity = \"deny\"\nassert = 'release.version == \"1.0.0\"'\nmessage = '\"version \" + release.version + \" is not 1.0.0\"'\n";

    let c = ws.contract("deny", &format!("{BASE}{rule_text}"));
    let out = ws.scratch("deny");
    let gate = assert_rejected(&out, &ws.dry_run(&out, &["--contract", &c]), "version-one");
    assert!(rule(&gate, "version-one")["failures"]
        .to_string()
        .contains("version 0.2.0 is not 1.0.0"));
    assert_eq!(rule(&gate, "version-one")["kind"], "user");

    let c = ws.contract(
        "warn",
        &format!("{BASE}{}", rule_text.replace("\"deny\"", "\"warn\"")),
    );
    let out = ws.scratch("warn");
    assert_success(&ws.dry_run(&out, &["--contract", &c]));
    assert_eq!(
        rule(&read_json(&out.join("gate.json")), "version-one")["status"],
        "warn"
    );

    let waiver = |until: &str| {
        format!("{BASE}{rule_text}[[waiver]]\nrule = \"version-one\"\nreason = \"demo is pre-1.0 (TICKET-1)\"\nuntil = \"{until}\"\n")
    };
    let c = ws.contract("waived", &waiver("2099-12-31"));
    let out = ws.scratch("waived");
    assert_success(&ws.dry_run(&out, &["--contract", &c]));
    let gate = read_json(&out.join("gate.json"));
    assert_eq!(gate["result"], "pass");
    let r = rule(&gate, "version-one");
    assert_eq!(r["status"], "waived", "{r:#}");
    assert_eq!(r["waived"][0]["reason"], "demo is pre-1.0 (TICKET-1)");
    assert_eq!(gate["waivers"][0]["status"], "used", "{:#}", gate["waivers"]);
    assert_eq!(rule(&gate, "waiver-expired")["status"], "pass");

    let c = ws.contract("expired", &waiver("2020-01-01"));
    let out = ws.scratch("expired");
    let gate = assert_rejected(&out, &ws.dry_run(&out, &["--contract", &c]), "waiver-expired");
    assert_eq!(gate["waivers"][0]["status"], "expired", "{:#}", gate["waivers"]);
    assert_eq!(
        rule(&gate, "version-one")["status"],
        "fail",
        "an expired waiver waives nothing"
    );
}

// ── 4. rules that cannot be evaluated ───────────────────────────────────

#[test]
fn rule_errors_are_exit_2_and_write_nothing() {
    let ws = Ws::new();
    for (name, assert) in [
        ("no-such-field", "release.no_such_field == 1"),
        ("does-not-parse", "release.version == == ("),
        ("unknown-name", "nosuch.version == \"1.0.0\""),
        ("not-a-bool", "release.version"),
    ] {
        let c = ws.contract(
            name,
            &format!("{BASE}[[rule]]\nid = \"{name}\"\nassert = '{assert}'\n"),
        );
        let out = ws.scratch(name);
        let o = ws.release(&out, &["--contract", &c]);
        assert_exit(&o, 2, &format!("rule `{assert}`"));
        assert!(!out.exists(), "{name}: {} written", out.display());
        assert!(!rejected(&out).exists(), "{name}: a rejected report was written");
        assert!(
            String::from_utf8_lossy(&o.stderr).contains(name),
            "{name}: the error does not name the rule: {}",
            text(&o)
        );
    }
    assert!(!ws.ledger().exists());
}

// ── 5. preflight ────────────────────────────────────────────────────────

#[test]
fn preflight_refuses_the_example_key_a_dirty_tree_and_a_missing_lock() {
    let ws = Ws::new();

    let out = ws.scratch("example");
    let o = ws
        .release_cmd(&out)
        .args(["--no-build", "--artifact"])
        .arg(&ws.artifact)
        .arg("--key")
        .arg(repo().join("keys-example/example.key"))
        .output()
        .unwrap();
    assert_exit(&o, 2, "the example key without --dry-run");
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("example key"),
        "{}",
        text(&o)
    );
    assert!(!out.exists() && !rejected(&out).exists());

    let out = ws.scratch("nokey");
    let o = ws
        .release_cmd(&out)
        .args(["--no-build", "--artifact"])
        .arg(&ws.artifact)
        .output()
        .unwrap();
    assert_exit(&o, 2, "no key and no --dry-run");
    assert!(!out.exists());

    // --dry-run without a key signs with the example key and records nothing.
    let out = ws.scratch("dry");
    assert_success(&ws.dry_run(&out, &[]));
    assert_complete(&out, &example_public());
    assert!(!ws.ledger().exists(), "a dry run wrote the ledger");
    let gate = read_json(&out.join("gate.json"));
    assert_eq!(gate["release"]["dry_run"], true);
    assert!(std::fs::read_to_string(out.join("report.md"))
        .unwrap()
        .contains("Dry run"));

    // A modified tracked file.
    std::fs::write(ws.root().join("src/lib.rs"), "pub fn add() {}\n").unwrap();
    let out = ws.scratch("dirty");
    let o = ws.release(&out, &[]);
    assert_exit(&o, 2, "a dirty work tree");
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("uncommitted"),
        "{}",
        text(&o)
    );
    assert!(!out.exists() && !rejected(&out).exists());
    let o = ws.dry_run(&out, &["--allow-dirty"]);
    assert_success(&o);
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("dirty"),
        "{}",
        text(&o)
    );
    assert_complete(&out, &example_public());
    ws.git(&["checkout", "--", "src/lib.rs"]);

    // No Cargo.lock (committed, so the tree is clean).
    ws.git(&["rm", "-q", "Cargo.lock"]);
    ws.commit("no lock");
    let out = ws.scratch("nolock");
    let o = ws.release(&out, &[]);
    assert_exit(&o, 2, "no Cargo.lock");
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("Cargo.lock"),
        "{}",
        text(&o)
    );
    assert!(!out.exists() && !rejected(&out).exists());
    assert!(!ws.ledger().exists());
}

// ── 6. idempotent re-runs ───────────────────────────────────────────────

fn without_timing_metrics(metrics: &Value) -> Value {
    Value::Array(
        metrics
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| {
                m["timing"] != true && !TIMING_METRICS.contains(&m["name"].as_str().unwrap_or_default())
            })
            .cloned()
            .collect(),
    )
}

fn stable_metrics_json(dir: &Path) -> Value {
    let mut doc = read_json(&dir.join("metrics.json"));
    let all = doc["metrics"].as_array().unwrap().len();
    doc["metrics"] = without_timing_metrics(&doc["metrics"]);
    assert!(
        doc["metrics"].as_array().unwrap().len() < all,
        "no timing metric was flagged"
    );
    doc
}

fn stable_metrics_prom(dir: &Path) -> String {
    let families: Vec<String> = TIMING_METRICS.iter().map(|m| m.replace('.', "_")).collect();
    std::fs::read_to_string(dir.join("metrics.prom"))
        .unwrap()
        .lines()
        .filter(|l| !families.iter().any(|f| l.contains(f.as_str())))
        .map(|l| format!("{l}\n"))
        .collect()
}

fn stable_gate(dir: &Path) -> Value {
    let mut doc = read_json(&dir.join("gate.json"));
    doc.as_object_mut()
        .unwrap()
        .remove("now")
        .expect("gate.json has `now`");
    let facts = doc["facts"].as_object_mut().unwrap();
    facts.remove("now").expect("facts have `now`");
    let metrics = without_timing_metrics(&facts["metrics"]);
    facts.insert("metrics".into(), metrics);
    doc
}

fn stable_report(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("report.md"))
        .unwrap()
        .lines()
        .filter(|l| !l.contains("gate time") && !TIMING_METRICS.iter().any(|m| l.contains(m)))
        .map(|l| format!("{l}\n"))
        .collect()
}

fn assert_same_release(a: &Path, b: &Path) {
    for f in ["sbom.cdx.json", "sbom.spdx.json"] {
        assert!(
            std::fs::read(a.join(f)).unwrap() == std::fs::read(b.join(f)).unwrap(),
            "{f} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
    assert_eq!(stable_metrics_json(a), stable_metrics_json(b), "metrics.json");
    assert_eq!(stable_metrics_prom(a), stable_metrics_prom(b), "metrics.prom");
    assert_eq!(stable_gate(a), stable_gate(b), "gate.json");
    assert_eq!(stable_report(a), stable_report(b), "report.md");
}

/// What a release left beside `out` besides its lock file (which stays, by design).
fn hidden_siblings(out: &Path) -> Vec<String> {
    let prefix = format!(".{}.relgate-", out.file_name().unwrap().to_string_lossy());
    names(out.parent().unwrap())
        .into_iter()
        .filter(|n| n.starts_with(&prefix) && !n.ends_with(".relgate-lock"))
        .collect()
}

#[test]
fn re_running_a_release_gives_the_same_artifacts_and_replaces_the_directory() {
    let a = Ws::new();
    let b = Ws::new();
    assert_ne!(a.root(), b.root());
    assert_eq!(
        a.head(),
        b.head(),
        "the two checkouts should have the same commit"
    );
    let id = ["--invocation-id", "urn:uuid:00000000-0000-4000-8000-000000000001"];
    let (out_a, out_b) = (a.scratch("rel"), b.scratch("rel"));
    assert_success(&a.dry_run(&out_a, &id));
    assert_success(&b.dry_run(&out_b, &id));
    assert_same_release(&out_a, &out_b);

    // Again into the same directory: replaced in one piece, still verifying.
    // The directory being replaced holds the previous metrics.json, which
    // the performance budget now compares with (so gate.json and report.md
    // differ by design); the artifacts do not.
    assert_success(&a.dry_run(&out_a, &id));
    assert_complete(&out_a, &example_public());
    for f in ["sbom.cdx.json", "sbom.spdx.json"] {
        assert!(
            std::fs::read(out_a.join(f)).unwrap() == std::fs::read(out_b.join(f)).unwrap(),
            "{f}"
        );
    }
    assert_eq!(
        stable_metrics_json(&out_a),
        stable_metrics_json(&out_b),
        "metrics.json"
    );
    assert_eq!(
        stable_metrics_prom(&out_a),
        stable_metrics_prom(&out_b),
        "metrics.prom"
    );
    let gate = read_json(&out_a.join("gate.json"));
    assert!(
        gate["facts"]["previous_metrics"].is_array(),
        "the replaced metrics.json was not compared"
    );
    assert_eq!(rule(&gate, "performance-budget")["status"], "pass");
    assert!(
        hidden_siblings(&out_a).is_empty(),
        "{:?}",
        hidden_siblings(&out_a)
    );
    assert!(!rejected(&out_a).exists());
}

// ── 7. kill -9 at any moment ────────────────────────────────────────────

#[test]
fn a_killed_release_leaves_the_previous_or_the_new_complete_directory() {
    let ws = Ws::new();
    let out = ws.scratch("rel");
    let previous = out.with_file_name(".rel.relgate-previous");
    let started = Instant::now();
    assert_success(&ws.dry_run(&out, &[]));
    let one_run = started.elapsed();
    assert_complete(&out, &example_public());

    const ITERATIONS: u32 = 12;
    let mut interrupted = 0;
    for i in 0..ITERATIONS {
        let delay = one_run.mul_f64(f64::from(i) / f64::from(ITERATIONS - 1));
        let mut child = ws
            .release_cmd(&out)
            .args(["--no-build", "--dry-run", "--artifact"])
            .arg(&ws.artifact)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        if child.try_wait().unwrap().is_none() {
            interrupted += 1;
        }
        let _ = child.kill(); // SIGKILL on unix
        child.wait().unwrap();
        assert!(
            out.exists() || previous.exists(),
            "iteration {i} ({delay:?}): neither the release directory nor the previous one is left"
        );
        if out.exists() {
            assert_complete(&out, &example_public());
        }
    }
    assert!(
        interrupted >= 1,
        "no run was interrupted (one run takes {one_run:?})"
    );

    // The next run cleans up whatever a killed run left behind.
    assert_success(&ws.dry_run(&out, &[]));
    assert_complete(&out, &example_public());
    assert!(
        hidden_siblings(&out).is_empty(),
        "left behind: {:?}",
        hidden_siblings(&out)
    );
    assert!(!ws.ledger().exists());
}

// ── 8. the ledger ───────────────────────────────────────────────────────

#[test]
fn the_ledger_chains_releases_detects_tampering_and_revokes() {
    let ws = Ws::new();
    let first = ws.scratch("rel-0.2.0");
    assert_success(&ws.release(&first, &[]));
    ws.edit("Cargo.toml", "version = \"0.2.0\"", "version = \"0.3.0\"");
    ws.edit("Cargo.lock", "version = \"0.2.0\"", "version = \"0.3.0\"");
    ws.commit("0.3.0");
    let second = ws.scratch("rel-0.3.0");
    assert_success(&ws.release(&second, &[]));

    let ledger_cmd = |sub: &str, ledger: &Path| {
        let mut c = ws.cmd();
        c.args(["ledger", sub, "--ledger"]).arg(ledger);
        c
    };
    let verify = |ledger: &Path| {
        ledger_cmd("verify", ledger)
            .arg("--key")
            .arg(&ws.public)
            .output()
            .unwrap()
    };
    let ledger = ws.ledger();
    let text_before = std::fs::read_to_string(&ledger).unwrap();
    let lines: Vec<&str> = text_before.lines().collect();
    assert_eq!(lines.len(), 2, "{text_before}");
    assert_success(&verify(&ledger));
    assert_exit(
        &ledger_cmd("verify", &ledger)
            .arg("--key")
            .arg(example_public())
            .output()
            .unwrap(),
        1,
        "ledger verify with another key",
    );

    let edited = ws.scratch("edited.jsonl");
    assert!(lines[0].contains("\"version\":\"0.2.0\""), "{}", lines[0]);
    std::fs::write(
        &edited,
        format!(
            "{}\n{}\n",
            lines[0].replace("\"version\":\"0.2.0\"", "\"version\":\"0.2.9\""),
            lines[1]
        ),
    )
    .unwrap();
    assert_exit(&verify(&edited), 1, "a ledger with an edited version");

    let swapped = ws.scratch("swapped.jsonl");
    std::fs::write(&swapped, format!("{}\n{}\n", lines[1], lines[0])).unwrap();
    assert_exit(&verify(&swapped), 1, "a ledger with swapped lines");

    let truncated = ws.scratch("truncated.jsonl");
    std::fs::write(&truncated, format!("{}\n", lines[0])).unwrap();
    let head = json(
        &ledger_cmd("show", &ledger)
            .args(["--format", "json"])
            .output()
            .unwrap()
            .stdout,
    )["head"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_success(
        &ledger_cmd("verify", &ledger)
            .args(["--key"])
            .arg(&ws.public)
            .args(["--head", &head])
            .output()
            .unwrap(),
    );
    assert_exit(
        &ledger_cmd("verify", &truncated)
            .args(["--key"])
            .arg(&ws.public)
            .args(["--head", &head])
            .output()
            .unwrap(),
        1,
        "a truncated ledger against a pinned head",
    );

    assert_success(&ws.gate(&first, &[]));
    let o = ledger_cmd("revoke", &ledger)
        .args(["--version", "0.2.0", "--reason", "r", "--key"])
        .arg(&ws.key)
        .output()
        .unwrap();
    assert_success(&o);
    let show = ledger_cmd("show", &ledger).output().unwrap();
    assert_success(&show);
    let shown = String::from_utf8_lossy(&show.stdout);
    assert!(shown.contains("revoked"), "{shown}");
    assert_eq!(std::fs::read_to_string(&ledger).unwrap().lines().count(), 3);
    assert_success(&verify(&ledger));

    let o = ws.gate(&first, &[]);
    assert_exit(&o, 1, "gate of a revoked release");
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("FAIL nonce-unique") && stdout.contains("revoked"),
        "{}",
        text(&o)
    );
    assert_success(&ws.gate(&second, &[]));
}

// ── 9. explain and init ─────────────────────────────────────────────────

#[test]
fn explain_describes_rules_and_init_writes_a_valid_contract_once() {
    let tmp = tempfile::tempdir().unwrap();
    let o = relgate()
        .args(["explain", "tests-passed"])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert_success(&o);
    assert!(String::from_utf8_lossy(&o.stdout).contains("tests-passed"));
    let o = relgate()
        .args(["explain", "nope"])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert_exit(&o, 2, "explain of an unknown id");
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("tests-passed"),
        "lists the known ids: {}",
        text(&o)
    );

    let dir = tmp.path().join("project");
    std::fs::create_dir_all(&dir).unwrap();
    // No Cargo.toml: nothing to initialise.
    let o = relgate().args(["init", "--dir"]).arg(&dir).output().unwrap();
    assert_exit(&o, 2, "init without a Cargo.toml");
    assert!(!dir.join("relgate.toml").exists());
    std::fs::write(dir.join("Cargo.toml"), "").unwrap();
    // A workflow of the user's own is kept; the others are written. The
    // repository's tags are bare versions, so the workflow's filter is too.
    let workflow = dir.join(".github/workflows/release.yml");
    std::fs::create_dir_all(workflow.parent().unwrap()).unwrap();
    std::fs::write(&workflow, "# mine\n").unwrap();
    let git = |args: &[&str]| {
        let o = Command::new("git")
            .args([
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@t",
                "-c",
                "commit.gpgsign=false",
                "-c",
                "tag.gpgsign=false",
            ])
            .args(args)
            .current_dir(&dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env_remove("GIT_DIR")
            .output()
            .unwrap();
        assert_success(&o);
    };
    git(&["init", "-q"]);
    git(&["commit", "-q", "--allow-empty", "-m", "x"]);
    git(&["tag", "15.1.0"]);
    git(&["tag", "15.2.0"]);
    let o = relgate().args(["init", "--dir"]).arg(&dir).output().unwrap();
    assert_success(&o);
    let said = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(said.contains("kept .github/workflows/release.yml"), "{said}");
    assert_eq!(std::fs::read_to_string(&workflow).unwrap(), "# mine\n");
    for f in ["relgate.toml", "xtask/src/release.rs.example"] {
        assert!(dir.join(f).is_file(), "init did not write {f}");
    }
    // No ledger yet: the starter contract says this is the first release,
    // so the first `relgate release` does not stop on the missing ledger.
    let starter = std::fs::read_to_string(dir.join("relgate.toml")).unwrap();
    assert!(starter.contains("\nfirst-release = true\n"), "{starter}");
    // --force overwrites, with the tag filter of this repository.
    let o = relgate()
        .args(["init", "--force", "--dir"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_success(&o);
    let written = std::fs::read_to_string(&workflow).unwrap();
    assert!(written.contains(r#"tags: ["[0-9]+.*"]"#), "{written}");
    // A second run keeps everything.
    let contract = std::fs::read(dir.join("relgate.toml")).unwrap();
    std::fs::write(dir.join("relgate.toml"), b"version = 1\n").unwrap();
    let o = relgate().args(["init", "--dir"]).arg(&dir).output().unwrap();
    assert_success(&o);
    assert_eq!(
        std::fs::read(dir.join("relgate.toml")).unwrap(),
        b"version = 1\n",
        "init overwrote relgate.toml"
    );
    std::fs::write(dir.join("relgate.toml"), contract).unwrap();

    let o = relgate()
        .args(["explain", "binary-size", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .output()
        .unwrap();
    assert_success(&o);
    assert!(String::from_utf8_lossy(&o.stdout).contains("binary-size"));
}

// ── 10. schema lock and check ───────────────────────────────────────────

#[test]
fn schema_check_classifies_a_removed_property_as_breaking() {
    let ws = Ws::new();
    let schema = ws.root().join("schemas/demo.schema.json");
    std::fs::create_dir_all(schema.parent().unwrap()).unwrap();
    std::fs::write(
        &schema,
        r#"{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer"}}}"#,
    )
    .unwrap();
    let c = ws.contract(
        "schemas",
        &format!("{BASE}[schemas]\npaths = [\"schemas/demo.schema.json\"]\n"),
    );
    let schema_cmd = |sub: &str| {
        ws.cmd()
            .args(["schema", sub, "--manifest-path"])
            .arg(ws.manifest())
            .args(["--contract", &c])
            .output()
            .unwrap()
    };
    // The lock made at setup does not have the declared schema yet.
    assert_exit(&schema_cmd("check"), 1, "check before locking the new schema");
    assert_success(&schema_cmd("lock"));
    let o = schema_cmd("check");
    assert_success(&o);
    assert!(String::from_utf8_lossy(&o.stdout).contains("ok"), "{}", text(&o));

    std::fs::write(
        &schema,
        r#"{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"a":{"type":"string"}}}"#,
    )
    .unwrap();
    let o = schema_cmd("check");
    assert_exit(&o, 1, "check after removing a property");
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("breaking") && stdout.contains("major"),
        "{}",
        text(&o)
    );
    assert!(stdout.contains("schemas/demo.schema.json"), "{}", text(&o));
}

/// Every package an SBOM describes: metadata.component and components.
fn sbom_set(doc: &Value) -> BTreeSet<(String, String)> {
    let root = &doc["metadata"]["component"];
    std::iter::once(root)
        .chain(doc["components"].as_array().unwrap())
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_owned(),
                c["version"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// fixtures/members: `app` (a binary) over `alpha` and `beta`; `gamma`
/// turns on beta's optional dependency `extra` (publish = false), which
/// `app` never builds; `relgate-it-delta-4f1c9` has no tag and is on no
/// registry. The members are tagged at 0.1.0, then alpha gains a function
/// (0.1.1, sufficient) and beta loses one (0.1.1, insufficient).
#[test]
fn a_multi_member_release_ships_what_cargo_builds_and_checks_every_library() {
    let ws = Ws::of("members");
    for m in ["alpha", "beta", "gamma"] {
        ws.git(&["tag", &format!("{m}-0.1.0")]);
    }
    for m in ["alpha", "beta", "gamma"] {
        ws.edit(
            &format!("crates/{m}/Cargo.toml"),
            "version = \"0.1.0\"",
            "version = \"0.1.1\"",
        );
    }
    ws.edit(
        "crates/alpha/src/lib.rs",
        "pub fn one()",
        "pub fn added() {}\n\npub fn one()",
    );
    ws.edit("crates/beta/src/lib.rs", "pub fn removed() {}\n", "");
    let lock = Command::new(env!("CARGO"))
        .args(["generate-lockfile", "--offline"])
        .current_dir(ws.root())
        .output()
        .unwrap();
    assert_success(&lock);
    ws.commit("alpha adds, beta removes");

    let out = ws.scratch("out");
    let o = ws.dry_run(&out, &[]);
    assert_exit(&o, 1, "beta's bump is insufficient");
    let gate = assert_rejected(&out, &o, "semver-bump-sufficient");
    let semver = rule(&gate, "semver-bump-sufficient");
    let failed: Vec<&str> = semver["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["item"].as_str().unwrap())
        .collect();
    assert_eq!(failed, ["beta"], "{semver}");

    let members = gate["facts"]["compat"]["members"].as_array().unwrap();
    let status = |name: &str| -> (String, Option<String>) {
        let m = members
            .iter()
            .find(|m| m["package"] == name)
            .unwrap_or_else(|| panic!("{name} is not among {members:?}"));
        (
            m["status"].as_str().unwrap().to_owned(),
            m["baseline"].as_str().map(str::to_owned),
        )
    };
    assert_eq!(
        status("alpha"),
        ("compared".into(), Some("git:alpha-0.1.0".into()))
    );
    assert_eq!(status("beta"), ("compared".into(), Some("git:beta-0.1.0".into())));
    assert_eq!(
        status("gamma"),
        ("compared".into(), Some("git:gamma-0.1.0".into()))
    );
    assert_eq!(status("relgate-it-delta-4f1c9").0, "first-release");
    let skipped: Vec<(&str, &str)> = gate["facts"]["compat"]["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["package"].as_str().unwrap(), s["reason"].as_str().unwrap()))
        .collect();
    assert_eq!(
        skipped,
        [("app", "no library target"), ("extra", "publish = false")]
    );

    // The SBOM is what app is built from: cargo tree's set, extra not in it.
    let rejected_dir = rejected(&out);
    let sbom = read_json(&rejected_dir.join("sbom.cdx.json"));
    let want = cargo_tree_set(ws.root(), &["-p", "app"]).expect("cargo tree");
    assert_eq!(sbom_set(&sbom), want);
    assert!(!want.iter().any(|(n, _)| n == "extra"), "{want:?}");
    assert_eq!(sbom["metadata"]["component"]["name"], "app");
    let report = std::fs::read_to_string(rejected_dir.join("report.md")).unwrap();
    assert!(
        report.contains(&format!("{} components in", want.len())),
        "{report}"
    );
    assert!(
        report.contains("| `beta` 0.1.1 | `git:beta-0.1.0` | **insufficient**"),
        "{report}"
    );
    assert!(
        report.contains("| `extra` | — | not checked: publish = false"),
        "{report}"
    );

    // `relgate sbom -p gamma` resolves gamma alone: extra is there.
    let one = ws
        .cmd()
        .args(["sbom", "-p", "gamma", "--manifest-path"])
        .arg(ws.manifest())
        .output()
        .unwrap();
    assert_success(&one);
    assert_eq!(
        sbom_set(&json(&one.stdout)),
        cargo_tree_set(ws.root(), &["-p", "gamma"]).expect("cargo tree")
    );

    // An explicit baseline is never ignored, and one that does not exist
    // fails the gate for every member instead of passing as a first release.
    let o = ws.dry_run(&ws.scratch("out-missing"), &["--baseline", "git:no-such-tag"]);
    assert_exit(&o, 1, "an unreachable baseline");
    let gate = assert_rejected(&ws.scratch("out-missing"), &o, "semver-bump-sufficient");
    let failed: BTreeSet<&str> = rule(&gate, "semver-bump-sufficient")["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["item"].as_str().unwrap())
        .collect();
    assert_eq!(
        failed,
        ["alpha", "beta", "gamma", "relgate-it-delta-4f1c9"]
            .into_iter()
            .collect()
    );
}

/// report.md's verify commands, pasted into a shell at the workspace root,
/// verify the release: the key path is `[release] public-key`, and a
/// `source-uri` written with `git+` is not doubled.
#[test]
fn report_md_verify_commands_work_when_pasted() {
    let ws = Ws::new();
    std::fs::create_dir_all(ws.root().join("keys")).unwrap();
    std::fs::copy(&ws.public, ws.root().join("keys/release.pub")).unwrap();
    ws.edit(
        "relgate.toml",
        "[release]\n",
        "[release]\npublic-key = \"keys/release.pub\"\nsource-uri = \"git+https://example.com/demo\"\n",
    );
    ws.commit("public key and source");
    let out = ws.root().join("dist");
    assert_success(&ws.release(&out, &[]));
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    let block = report
        .split("## Verify\n\n```sh\n")
        .nth(1)
        .and_then(|r| r.split("\n```").next())
        .unwrap_or_else(|| panic!("no verify block in {report}"));
    assert!(block.contains("KEY=$PWD/keys/release.pub"), "{block}");
    let statement = std::fs::read_to_string(out.join("provenance.intoto.jsonl")).unwrap();
    assert!(!statement.contains("git+git+"), "doubled git+ in the provenance");
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_relgate")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let o = Command::new("sh")
        .args(["-ec", block])
        .current_dir(ws.root())
        .env("PATH", path)
        .env_remove("RELGATE_SIGNING_KEY")
        .output()
        .unwrap();
    assert_success(&o);

    // The same commands fail on a tampered release.
    std::fs::write(out.join("notes.txt"), b"tampered\n").unwrap();
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_relgate")).parent().unwrap();
    let o = Command::new("sh")
        .args(["-ec", block])
        .current_dir(ws.root())
        .env(
            "PATH",
            format!(
                "{}:{}",
                bin_dir.display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .output()
        .unwrap();
    assert!(
        !o.status.success(),
        "the pasted commands passed a tampered release"
    );
}

/// Rule mistakes are exit 2 before any work: an unknown field, also under
/// an `each` that is empty in this release, and an `assert` that is not a boolean.
#[test]
fn rule_mistakes_fail_at_preflight() {
    let ws = Ws::new();
    for (name, rule, needle) in [
        (
            "typo",
            "each = 'artifacts.filter(a, a.kind == \"binary\")'\nassert = \"it.sizebytes < 10\"",
            "sizebytes",
        ),
        ("not-bool", "assert = \"1 + 1\"", "not a bool"),
        ("typo-top", "assert = \"compat.sufficent\"", "sufficent"),
    ] {
        let c = ws.contract(
            name,
            &format!("version = 1\n[release]\nrun-tests = false\nbaseline = \"none\"\n\n[[rule]]\nid = \"{name}\"\n{rule}\n"),
        );
        let out = ws.scratch(&format!("out-{name}"));
        let o = ws.dry_run(&out, &["--contract", &c]);
        assert_exit(&o, 2, name);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(needle), "{name}: {err}");
        assert!(
            !out.exists() && !rejected(&out).exists(),
            "{name}: something was written"
        );
        assert!(
            !err.contains("[3/"),
            "{name}: work started before the error: {err}"
        );
    }
}

/// `relgate release --plan` prints what preflight decided and does nothing.
#[test]
fn release_plan_prints_the_plan_and_does_no_work() {
    let ws = Ws::of("members");
    let out = ws.scratch("planned");
    let o = ws
        .release_cmd(&out)
        .args(["--plan", "--dry-run", "--format", "json"])
        .output()
        .unwrap();
    assert_success(&o);
    let plan = json(&o.stdout);
    assert_eq!(plan["shipped"], serde_json::json!(["app"]), "{plan:#}");
    assert_eq!(plan["stages"].as_array().unwrap().len(), 13);
    assert_eq!(plan["stages"][0]["id"], "preflight");
    assert_eq!(plan["commit"], ws.head().as_str());
    assert!(
        !out.exists() && !rejected(&out).exists(),
        "--plan wrote something"
    );
    let o = ws
        .release_cmd(&out)
        .args(["--plan", "--dry-run"])
        .output()
        .unwrap();
    assert_success(&o);
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("what cargo builds for app"),
        "{}",
        text(&o)
    );
}

/// One tampering step on a signed release directory.
#[derive(Debug, Clone)]
enum Tamper {
    /// Exchange the bytes of two files.
    Swap(usize, usize),
    /// Copy one file's bytes over another.
    CopyOver(usize, usize),
    /// Rewrite a file with its own bytes (a new inode, nothing changed).
    Rewrite(usize),
    /// Replace a file by a symbolic link to an identical copy outside.
    Symlink(usize),
    /// Replace a file by a hard link to an identical copy outside.
    HardLink(usize),
    /// Replace a file by an empty directory.
    Directory(usize),
    /// Remove a file.
    Remove(usize),
    /// Rename a file to a name nothing lists.
    Rename(usize),
    /// Add a file nothing lists.
    Extra,
    /// Change checksums.txt's bytes but not what its lines mean (found by an
    /// adversarial pass: CRLF, blank lines, `*` markers, uppercase hex,
    /// another order, no final newline).
    Reformat(u8),
}

fn tamper_strategy(n: usize) -> impl proptest::strategy::Strategy<Value = Tamper> {
    use proptest::prelude::*;
    prop_oneof![
        (0..n, 0..n).prop_map(|(a, b)| Tamper::Swap(a, b)),
        (0..n, 0..n).prop_map(|(a, b)| Tamper::CopyOver(a, b)),
        (0..n).prop_map(Tamper::Rewrite),
        (0..n).prop_map(Tamper::Symlink),
        (0..n).prop_map(Tamper::HardLink),
        (0..n).prop_map(Tamper::Directory),
        (0..n).prop_map(Tamper::Remove),
        (0..n).prop_map(Tamper::Rename),
        Just(Tamper::Extra),
        (0u8..6).prop_map(Tamper::Reformat),
    ]
}

/// Applies `ops` to `dir` (files `names`); returns whether every name still
/// holds a plain file (no link, directory or removal happened).
fn apply_tampering(dir: &Path, outside: &Path, names: &[String], ops: &[Tamper]) -> bool {
    let mut plain = true;
    for (k, op) in ops.iter().enumerate() {
        let p = |i: usize| dir.join(&names[i]);
        let bytes = |i: usize| std::fs::read(p(i)).ok();
        let replace = |i: usize| {
            let _ = std::fs::remove_file(p(i));
            let _ = std::fs::remove_dir_all(p(i));
        };
        match *op {
            Tamper::Swap(a, b) => {
                if let (Some(x), Some(y)) = (bytes(a), bytes(b)) {
                    if std::fs::symlink_metadata(p(a)).is_ok_and(|m| m.is_file())
                        && std::fs::symlink_metadata(p(b)).is_ok_and(|m| m.is_file())
                    {
                        std::fs::write(p(a), y).unwrap();
                        std::fs::write(p(b), x).unwrap();
                    }
                }
            }
            Tamper::CopyOver(a, b) => {
                if let Some(x) = bytes(a) {
                    if std::fs::symlink_metadata(p(b)).is_ok_and(|m| m.is_file()) {
                        std::fs::write(p(b), x).unwrap();
                    }
                }
            }
            Tamper::Rewrite(a) => {
                if let Some(x) = bytes(a) {
                    if std::fs::symlink_metadata(p(a)).is_ok_and(|m| m.is_file()) {
                        replace(a);
                        std::fs::write(p(a), x).unwrap();
                    }
                }
            }
            Tamper::Symlink(a) | Tamper::HardLink(a) => {
                let copy = outside.join(format!("copy-{k}"));
                std::fs::write(&copy, bytes(a).unwrap_or_default()).unwrap();
                replace(a);
                if matches!(op, Tamper::Symlink(_)) {
                    std::os::unix::fs::symlink(&copy, p(a)).unwrap();
                } else {
                    std::fs::hard_link(&copy, p(a)).unwrap();
                }
                plain = false;
            }
            Tamper::Directory(a) => {
                replace(a);
                std::fs::create_dir(p(a)).unwrap();
                plain = false;
            }
            Tamper::Remove(a) => {
                replace(a);
                plain = false;
            }
            Tamper::Rename(a) => {
                if std::fs::rename(p(a), dir.join(format!("renamed-{k}"))).is_ok() {
                    plain = false;
                }
            }
            Tamper::Extra => {
                std::fs::write(dir.join(format!("extra-{k}")), b"extra\n").unwrap();
                plain = false;
            }
            Tamper::Reformat(how) => {
                let path = dir.join("checksums.txt");
                if let Ok(text) = std::fs::read_to_string(&path) {
                    let new = match how {
                        0 => text.replace('\n', "\r\n"),
                        1 => format!("{text}\n   \n"),
                        2 => text.replace("  ", " *"),
                        3 => text.to_uppercase(),
                        4 => {
                            let mut lines: Vec<&str> = text.lines().collect();
                            lines.reverse();
                            lines.iter().map(|l| format!("{l}\n")).collect()
                        }
                        _ => text.trim_end().to_owned(),
                    };
                    if std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_file()) {
                        std::fs::write(&path, new).unwrap();
                    }
                }
            }
        }
    }
    plain
}

/// (name, bytes) of every entry of a directory; `None` for a non-file.
fn dir_contents(dir: &Path) -> BTreeSet<(String, Option<Vec<u8>>)> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let meta = std::fs::symlink_metadata(e.path()).unwrap();
            let bytes = meta.is_file().then(|| std::fs::read(e.path()).unwrap());
            (e.file_name().to_string_lossy().into_owned(), bytes)
        })
        .collect()
}

#[test]
fn gate_dir_refuses_every_tampered_directory_and_accepts_only_the_signed_files() {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};
    let ws = Ws::new();
    std::fs::write(ws.scratch("second.bin"), b"a second released file\n").unwrap();
    let signed = ws.scratch("signed");
    let out = ws
        .release_cmd(&signed)
        .args(["--no-build", "--artifact"])
        .arg(&ws.artifact)
        .arg("--artifact")
        .arg(ws.scratch("second.bin"))
        .arg("--key")
        .arg(&ws.key)
        .output()
        .unwrap();
    assert_success(&out);
    assert_success(&ws.gate(&signed, &[]));
    let original = dir_contents(&signed);
    let names: Vec<String> = original.iter().map(|(n, _)| n.clone()).collect();
    let n = names.len();
    let mut runner = TestRunner::new(Config {
        cases: 64,
        failure_persistence: None,
        ..Config::default()
    });
    let round = std::cell::Cell::new(0);
    runner
        .run(&proptest::collection::vec(tamper_strategy(n), 1..4), |ops| {
            round.set(round.get() + 1);
            let case = ws.scratch(&format!("tampered-{}", round.get()));
            let outside = ws.scratch(&format!("outside-{}", round.get()));
            std::fs::create_dir_all(&outside).unwrap();
            copy_tree(&signed, &case);
            let plain = apply_tampering(&case, &outside, &names, &ops);
            let unchanged = plain && dir_contents(&case) == original;
            let gate = ws.gate(&case, &[]);
            let code = gate.status.code();
            prop_assert!(
                code == Some(if unchanged { 0 } else { 1 }),
                "{ops:?}: unchanged={unchanged}, gate exited {code:?}\n{}",
                text(&gate)
            );
            Ok(())
        })
        .unwrap();
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::write(to.join(e.file_name()), std::fs::read(e.path()).unwrap()).unwrap();
        }
    }
}

/// Runs `cmd` and kills it after `secs`: a hang fails the test instead of
/// blocking it.
fn bounded(mut cmd: Command, secs: u64) -> Output {
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let deadline = Instant::now() + std::time::Duration::from_secs(secs);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!("{cmd:?} ran longer than {secs}s\n{}", text(&out));
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// Sets the fixture's version (manifest and lock) and commits it.
fn bump(ws: &Ws, from: &str, to: &str) {
    ws.edit(
        "Cargo.toml",
        &format!("version = \"{from}\""),
        &format!("version = \"{to}\""),
    );
    ws.edit(
        "Cargo.lock",
        &format!("version = \"{from}\""),
        &format!("version = \"{to}\""),
    );
    ws.commit(to);
}

#[test]
fn concurrent_releases_and_revokes_lose_nothing() {
    let ws = Ws::new();
    let out = ws.scratch("rel");
    let ledger = ws.ledger();
    let mut version = "0.2.0".to_owned();
    let mut released: Vec<(String, String)> = Vec::new(); // (version, invocation id)
    const ROUNDS: usize = 20;
    for round in 0..ROUNDS {
        if round > 0 {
            let next = format!("0.3.{round}");
            bump(&ws, &version, &next);
            version = next;
        }
        // Two releases of the same version into one directory and one
        // ledger: one records it; the other waits and is rejected by the
        // gate (the version is taken, exit 1) or fails at once on the lock
        // (exit 2) — never both, and never a mix of the two.
        let runs: Vec<(String, std::process::Child)> = (0..2)
            .map(|k| {
                let id = format!("urn:uuid:00000000-0000-4000-8000-{:06}{:06}", round, k);
                let mut c = ws.release_cmd(&out);
                c.args(["--no-build", "--artifact"])
                    .arg(&ws.artifact)
                    .arg("--key")
                    .arg(&ws.key)
                    .args(["--invocation-id", &id])
                    .args(if k == 0 {
                        &["--wait-lock", "30"][..]
                    } else {
                        &[][..]
                    })
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped());
                (id, c.spawn().unwrap())
            })
            .collect();
        let mut winners = Vec::new();
        for (id, child) in runs {
            let o = child.wait_with_output().unwrap();
            match o.status.code() {
                Some(0) => winners.push(id),
                Some(1 | 2) => {}
                other => panic!("round {round}: release exited {other:?}\n{}", text(&o)),
            }
        }
        assert_eq!(winners.len(), 1, "round {round}: {winners:?} released {version}");
        released.push((version.clone(), winners[0].clone()));
        assert_complete(&out, &ws.public);
        let ledger_text = std::fs::read_to_string(&ledger).unwrap();
        for (_, id) in &released {
            assert!(
                ledger_text.contains(id.as_str()),
                "round {round}: {id} is not in the ledger"
            );
        }
        let gate = read_json(&out.join("gate.json"));
        assert_eq!(gate["release"]["id"], winners[0].as_str(), "round {round}");
    }
    // Two revokes at once, of two releases, 10 times: both land.
    for pair in released.chunks(2) {
        let children: Vec<std::process::Child> = pair
            .iter()
            .map(|(v, _)| {
                let mut c = ws.cmd();
                c.args(["ledger", "revoke", "--ledger"])
                    .arg(&ledger)
                    .arg("--key")
                    .arg(&ws.key)
                    .args([
                        "--version",
                        v,
                        "--reason",
                        "concurrency test",
                        "--wait-lock",
                        "30",
                    ])
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped());
                c.spawn().unwrap()
            })
            .collect();
        for child in children {
            assert_success(&child.wait_with_output().unwrap());
        }
    }
    let verify = ws
        .cmd()
        .args(["ledger", "verify", "--ledger"])
        .arg(&ledger)
        .arg("--key")
        .arg(&ws.public)
        .output()
        .unwrap();
    assert_success(&verify);
    let ledger_text = std::fs::read_to_string(&ledger).unwrap();
    let revocations = ledger_text
        .lines()
        .filter(|l| l.contains("\"kind\":\"revocation\""))
        .count();
    assert_eq!(revocations, ROUNDS, "{ledger_text}");
    assert_eq!(ledger_text.lines().count(), 2 * ROUNDS);
    assert_exit(&ws.gate(&out, &[]), 1, "gate --dir of a revoked release");
    assert!(hidden_siblings(&out).is_empty(), "{:?}", hidden_siblings(&out));
}

#[test]
fn a_kill_at_any_write_step_leaves_release_and_entry_together() {
    for point in ["after-journal", "after-swap", "after-ledger"] {
        let ws = Ws::new();
        let out = ws.scratch("rel");
        let killed = ws
            .release_cmd(&out)
            .args(["--no-build", "--artifact"])
            .arg(&ws.artifact)
            .arg("--key")
            .arg(&ws.key)
            .env("RELGATE_FAILPOINT", point)
            .output()
            .unwrap();
        assert_eq!(
            killed.status.code(),
            None,
            "{point}: not killed\n{}",
            text(&killed)
        );
        // The next command that touches the ledger completes or drops the append.
        let show = ws
            .cmd()
            .args(["ledger", "show", "--ledger"])
            .arg(ws.ledger())
            .output()
            .unwrap();
        let journal = ws.root().join(".release-ledger.jsonl.relgate-pending");
        assert!(!journal.exists(), "{point}: the journal is left");
        if point == "after-journal" {
            assert!(!out.exists(), "{point}: a directory without its entry");
            assert!(
                !ws.ledger().exists() || std::fs::read_to_string(ws.ledger()).unwrap().is_empty(),
                "{point}: an entry without its directory"
            );
            assert_success(&ws.release(&out, &[]));
        } else {
            assert_success(&show);
            assert_complete(&out, &ws.public);
            let gate = read_json(&out.join("gate.json"));
            let id = gate["release"]["id"].as_str().unwrap();
            assert!(
                text(&show).contains(id),
                "{point}: {id} is not in the ledger\n{}",
                text(&show)
            );
        }
        assert_success(&ws.gate(&out, &[]));
    }
}

#[test]
fn special_and_oversized_files_are_refused_by_every_command_that_reads_them() {
    let ws = Ws::new();
    let out = ws.scratch("rel");
    assert_success(&ws.release(&out, &[]));
    let fifo = ws.scratch("fifo");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let big = ws.scratch("big.jsonl");
    std::fs::File::create(&big).unwrap().set_len(65 << 20).unwrap();
    // --out as a symbolic link, and a FIFO where the previous metrics.json
    // stood: exit 2, never a replaced link or "no previous metrics".
    let link = ws.scratch("rel-link");
    std::os::unix::fs::symlink(&out, &link).unwrap();
    let o = bounded(
        {
            let mut c = ws.release_cmd(&link);
            c.args(["--no-build", "--artifact"])
                .arg(&ws.artifact)
                .arg("--key")
                .arg(&ws.key);
            c
        },
        60,
    );
    assert_exit(&o, 2, "release --out SYMLINK");
    assert_says(&o, "symbolic link");
    let fifo_out = ws.scratch("rel-fifo");
    copy_tree(&out, &fifo_out);
    std::fs::remove_file(fifo_out.join("metrics.json")).unwrap();
    assert!(Command::new("mkfifo")
        .arg(fifo_out.join("metrics.json"))
        .status()
        .unwrap()
        .success());
    let o = bounded(
        {
            let mut c = ws.release_cmd(&fifo_out);
            c.args(["--no-build", "--dry-run", "--artifact"])
                .arg(&ws.artifact);
            c
        },
        60,
    );
    assert_exit(&o, 2, "release over a directory whose metrics.json is a FIFO");
    assert_says(&o, "not a regular file");
    let zero = PathBuf::from("/dev/zero");
    for (bad, needle) in [
        (&zero, "not a regular file"),
        (&fifo, "not a regular file"),
        (&big, "larger than"),
    ] {
        let mut cmds: Vec<(&str, Command)> = Vec::new();
        for sub in ["show", "verify"] {
            let mut c = ws.cmd();
            c.args(["ledger", sub, "--ledger"])
                .arg(bad)
                .arg("--key")
                .arg(&ws.public);
            if sub == "show" {
                c = ws.cmd();
                c.args(["ledger", sub, "--ledger"]).arg(bad);
            }
            cmds.push(("ledger", c));
        }
        cmds.push(("ledger revoke", ws.revoke_cmd("0.2.0", "r", bad)));
        let mut c = ws.cmd();
        c.args(["gate", "--dir"])
            .arg(&out)
            .arg("--key")
            .arg(&ws.public)
            .arg("--manifest-path")
            .arg(ws.manifest())
            .arg("--ledger")
            .arg(bad);
        cmds.push(("gate --ledger", c));
        let mut c = ws.release_cmd(&ws.scratch("other"));
        c.args(["--no-build", "--artifact"])
            .arg(&ws.artifact)
            .arg("--key")
            .arg(&ws.key)
            .arg("--ledger")
            .arg(bad);
        cmds.push(("release --ledger", c));
        let mut c = ws.release_cmd(&ws.scratch("other"));
        c.args(["--no-build", "--key"])
            .arg(&ws.key)
            .arg("--contract")
            .arg(bad);
        cmds.push(("release --contract", c));
        let mut c = ws.cmd();
        c.args(["verify", "--provenance"])
            .arg(bad)
            .arg("--key")
            .arg(&ws.public)
            .arg(&ws.artifact);
        cmds.push(("verify --provenance", c));
        let mut c = ws.cmd();
        c.args(["verify", "--provenance"])
            .arg(out.join("provenance.intoto.jsonl"))
            .arg("--key")
            .arg(&ws.public)
            .arg("--ledger")
            .arg(bad)
            .arg(&ws.artifact);
        cmds.push(("verify --ledger", c));
        let mut c = ws.release_cmd(&ws.scratch("other"));
        c.args(["--no-build", "--artifact"])
            .arg(&ws.artifact)
            .arg("--key")
            .arg(bad);
        cmds.push(("release --key", c));
        let mut c = ws.cmd();
        c.args(["countersign", "--key"])
            .arg(&ws.key)
            .arg("-o")
            .arg(ws.scratch("cs.jsonl"))
            .arg(bad);
        cmds.push(("countersign BUNDLE", c));
        let mut c = ws.cmd();
        c.args(["attest", "--key"])
            .arg(&ws.key)
            .arg("-o")
            .arg(ws.scratch("att.jsonl"))
            .arg("--checksums")
            .arg(bad);
        cmds.push(("attest --checksums", c));
        if bad != &big {
            let mut c = ws.cmd();
            c.args(["attest", "--key"])
                .arg(&ws.key)
                .arg("-o")
                .arg(ws.scratch("att.jsonl"))
                .arg(bad);
            cmds.push(("attest ARTIFACT", c));
            let mut c = ws.cmd();
            c.args(["verify", "--provenance"])
                .arg(out.join("provenance.intoto.jsonl"))
                .arg("--key")
                .arg(&ws.public)
                .arg(bad);
            cmds.push(("verify ARTIFACT", c));
        }
        for (what, cmd) in cmds {
            let o = bounded(cmd, 60);
            assert_exit(&o, 2, &format!("{what} {}", bad.display()));
            assert!(
                text(&o).contains(needle),
                "{what} {}: {}",
                bad.display(),
                text(&o)
            );
        }
        // In a release directory, a special file where a listed one stood is a finding.
        for name in ["gate.json", "checksums.txt", "notes.txt"] {
            let dir = ws.scratch(&format!(
                "special-{}-{name}",
                bad.file_name().unwrap().to_string_lossy()
            ));
            copy_tree(&out, &dir);
            std::fs::remove_file(dir.join(name)).unwrap();
            std::os::unix::fs::symlink(bad, dir.join(name)).unwrap();
            let mut c = ws.cmd();
            c.args(["gate", "--dir"])
                .arg(&dir)
                .arg("--key")
                .arg(&ws.public)
                .arg("--manifest-path")
                .arg(ws.manifest());
            let o = bounded(c, 60);
            assert_exit(&o, 1, &format!("gate --dir with {name} -> {}", bad.display()));
            assert_says(&o, &format!("`{name}` is a symbolic link"));
        }
    }
}

#[test]
fn gate_dir_trusts_only_the_ledger_and_contract_the_release_saw() {
    let ws = Ws::new();
    let out = ws.scratch("rel");
    assert_success(&ws.release(&out, &[]));
    assert_success(&ws.gate(&out, &[]));
    // A ticket signed after the gate time is not fresh.
    let o = ws.gate(&out, &["--now", "2001-01-01T00:00:00Z"]);
    assert_exit(&o, 1, "gate --dir at a time before the release");
    assert_says(&o, "after the gate time");
    // A dry run (example key) reads the real ledger, says what it could not
    // check, and still refuses a ledger whose chain is broken.
    let dry = ws.dry_run(&ws.scratch("dry"), &["--wait-lock", "5"]);
    assert_exit(&dry, 1, "a dry run of a version already in the ledger");
    assert_says(&dry, "signatures were not checked");
    let revoke = ws
        .revoke_cmd("0.2.0", "bad build", &ws.ledger())
        .output()
        .unwrap();
    assert_success(&revoke);
    assert_exit(&ws.gate(&out, &[]), 1, "gate --dir of a revoked release");

    // A typo in --ledger: no file is not an empty history (the contract
    // allows a missing ledger here, so the release's own entry is missing).
    let typo = ws.scratch("release-ledgr.jsonl");
    let o = ws.gate(&out, &["--ledger", typo.to_str().unwrap()]);
    assert_exit(&o, 1, "gate --dir with a ledger that does not record the release");
    assert_says(&o, "does not record this release");
    // Without first-release, a missing ledger is an error.
    let strict = ws.contract("strict", "version = 1\n[release]\nfirst-release = false\nrun-tests = false\nbaseline = \"none\"\n[invariants.license-allowlist]\nallow = [\"MIT\"]\n");
    let o = ws.gate(&out, &["--ledger", typo.to_str().unwrap(), "--contract", &strict]);
    assert_exit(&o, 2, "gate --dir with a missing ledger");
    assert_says(&o, "does not exist");

    // A truncated copy (the release's entry without its revocation) is
    // refused when the head seen earlier is pinned.
    let head = ws
        .cmd()
        .args(["ledger", "verify", "--ledger"])
        .arg(ws.ledger())
        .arg("--key")
        .arg(&ws.public)
        .output()
        .unwrap();
    let head = text(&head)
        .split_whitespace()
        .find(|w| w.starts_with("sha256:"))
        .unwrap()
        .to_owned();
    let truncated = ws.scratch("truncated.jsonl");
    let full = std::fs::read_to_string(ws.ledger()).unwrap();
    std::fs::write(&truncated, format!("{}\n", full.lines().next().unwrap())).unwrap();
    let o = ws.gate(
        &out,
        &["--ledger", truncated.to_str().unwrap(), "--ledger-head", &head],
    );
    assert_exit(&o, 1, "gate --dir with a truncated ledger and a pinned head");
    assert_says(&o, "does not hold the pinned head");
    assert_says(&o, "not the contract's");

    // The revocation edited without re-signing: the ledger does not verify.
    let ledger_text = std::fs::read_to_string(ws.ledger()).unwrap();
    let edited = ws.scratch("edited.jsonl");
    std::fs::write(&edited, ledger_text.replace("bad build", "typo, ignore")).unwrap();
    let o = ws.gate(&out, &["--ledger", edited.to_str().unwrap()]);
    assert_exit(&o, 2, "gate --dir with an edited ledger");
    assert_says(&o, "does not verify");

    // Run from elsewhere without --manifest-path: no silent default contract.
    let o = ws
        .cmd()
        .args(["gate", "--dir"])
        .arg(&out)
        .arg("--key")
        .arg(&ws.public)
        .current_dir(ws.scratch("home"))
        .output()
        .unwrap();
    assert_exit(&o, 2, "gate --dir away from the workspace");
    assert_says(&o, "the release read its contract from");
}

/// `ledger show` lists what a ledger says before anything is verified:
/// a multibyte `commit` is shortened by characters, never sliced mid-byte.
#[test]
fn ledger_show_never_slices_a_string_mid_character() {
    let ws = Ws::new();
    let ledger = ws.scratch("hostile.jsonl");
    let line = serde_json::json!({
        "kind": "release",
        "seq": 1,
        "version": "1.0.0",
        "commit": "ééééééééééééééé",
        "invocation_id": "urn:uuid:00000000-0000-4000-8000-000000000001",
        "provenance_sha256": "00".repeat(32),
        "time": "2026-01-01T00:00:00Z",
        "prev": format!("sha256:{}", "00".repeat(32)),
        "keyid": "k",
        "sig": "AAAA",
    });
    std::fs::write(&ledger, format!("{line}\n")).unwrap();
    let o = ws
        .cmd()
        .args(["ledger", "show", "--ledger"])
        .arg(&ledger)
        .output()
        .unwrap();
    assert_success(&o);
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(stdout.contains("  éééééééééééé\n"), "{stdout}");
    // The same ledger does not verify: nothing in it is trusted.
    let o = ws
        .cmd()
        .args(["ledger", "verify", "--ledger"])
        .arg(&ledger)
        .arg("--key")
        .arg(&ws.public)
        .output()
        .unwrap();
    assert_exit(&o, 1, "ledger verify of an unsigned ledger");
}

/// A second writer waits with a notice up to --wait-lock, then fails with
/// exit 2; without --wait-lock it fails at once.
#[test]
fn a_held_lock_makes_the_second_writer_wait_then_fail() {
    let ws = Ws::new();
    let out = ws.scratch("rel");
    let holder = std::fs::File::create(ws.scratch(".rel.relgate-lock")).unwrap();
    holder.lock().unwrap();
    let started = Instant::now();
    let o = ws.release(&out, &["--wait-lock", "1"]);
    assert_exit(&o, 2, "release while another holds the lock");
    assert!(started.elapsed() >= std::time::Duration::from_secs(1));
    assert_says(&o, "waiting for another relgate writing");
    assert_says(&o, "is locked by another relgate");
    let o = ws.release(&out, &[]);
    assert_exit(&o, 2, "release without --wait-lock");
    assert!(!text(&o).contains("waiting"), "{}", text(&o));
    assert!(!out.exists());
    holder.unlock().unwrap();
    assert_success(&ws.release(&out, &[]));
}

/// Found by the second adversarial pass: a `--ledger` that is a symbolic
/// link was replaced by a file, so a revocation never reached the real
/// ledger and the revoked release stayed publishable.
#[test]
fn a_symlinked_ledger_is_followed_not_replaced() {
    let ws = Ws::new();
    let out = ws.scratch("rel");
    assert_success(&ws.release(&out, &[]));
    let link = ws.scratch("link.jsonl");
    std::os::unix::fs::symlink(ws.ledger(), &link).unwrap();
    let revoke = ws.revoke_cmd("0.2.0", "via a link", &link).output().unwrap();
    assert_success(&revoke);
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    assert!(std::fs::read_to_string(ws.ledger())
        .unwrap()
        .contains("via a link"));
    assert_exit(
        &ws.gate(&out, &[]),
        1,
        "gate --dir of a release revoked through a link",
    );
    // Malformed --ledger-head and a control character in an invocation id: exit 2.
    assert_exit(
        &ws.gate(&out, &["--ledger-head", "sha256:abc"]),
        2,
        "a malformed --ledger-head",
    );
    let o = ws.dry_run(&ws.scratch("dry"), &["--invocation-id", "x\u{1b}[31mred"]);
    assert_exit(&o, 2, "an invocation id with an escape character");
}

/// `relgate release plan` on fixtures/members (`app` 0.2.0 ships; the
/// publishable libraries are alpha, beta, gamma and relgate-it-delta-4f1c9;
/// `extra` is `publish = false`): one build part per target, compat shards
/// dealt in name order, the matrix naming the plan file's digest, and the
/// same bytes from a second checkout in another folder.
/// This machine's target triple (`rustc -vV`'s host line).
fn host_triple() -> String {
    String::from_utf8(Command::new("rustc").arg("-vV").output().unwrap().stdout)
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_owned))
        .unwrap()
}

#[test]
fn a_release_plan_names_the_commit_and_one_part_per_target() {
    let ws = Ws::of("members");
    let host = host_triple();
    let plan_in = |root: &Path, file: &Path, format: &str| -> Output {
        ws.cmd()
            .current_dir(root)
            .args([
                "release",
                "plan",
                "--invocation-id",
                "inv-plan-1",
                "--compat-shards",
                "2",
            ])
            .arg(format!("--targets={host},aarch64-apple-darwin"))
            .args(["--format", format, "--out"])
            .arg(file)
            .output()
            .unwrap()
    };
    let file = ws.scratch("plan.json");
    let o = plan_in(ws.root(), &file, "json");
    assert_success(&o);
    let bytes = std::fs::read(&file).unwrap();
    assert_eq!(o.stdout, bytes, "--format json prints the file it writes");
    let plan = json(&bytes);
    let head = String::from_utf8(ws.git(&["rev-parse", "HEAD"]).stdout).unwrap();
    assert_eq!(plan["commit"], head.trim());
    assert_eq!(
        (plan["package"].as_str(), plan["version"].as_str()),
        (Some("app"), Some("0.2.0"))
    );
    assert_eq!(plan["invocationId"], "inv-plan-1");
    let contract = std::fs::read(ws.root().join("relgate.toml")).unwrap();
    assert_eq!(
        plan["contract"]["sha256"],
        format!("{:x}", Sha256::digest(&contract))
    );
    let parts: Vec<(String, String, Vec<String>)> = plan["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["id"].as_str().unwrap().to_owned(),
                p["kind"].as_str().unwrap().to_owned(),
                p["packages"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|n| n.as_str().unwrap().to_owned())
                    .collect(),
            )
        })
        .collect();
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    assert_eq!(
        parts,
        vec![
            (format!("build-{host}"), "build".into(), s(&["app"])),
            ("build-aarch64-apple-darwin".into(), "build".into(), s(&["app"])),
            ("compat-1-of-2".into(), "compat".into(), s(&["alpha", "gamma"])),
            (
                "compat-2-of-2".into(),
                "compat".into(),
                s(&["beta", "relgate-it-delta-4f1c9"])
            ),
        ]
    );

    // The matrix: one line, one entry per part, each naming the plan's digest.
    let o = plan_in(ws.root(), &ws.scratch("plan-again.json"), "github-matrix");
    assert_success(&o);
    assert_eq!(
        o.stdout.iter().filter(|b| **b == b'\n').count(),
        1,
        "one line for $GITHUB_OUTPUT"
    );
    let matrix = json(&o.stdout);
    let digest = format!("sha256:{:x}", Sha256::digest(&bytes));
    let include = matrix["include"].as_array().unwrap();
    assert_eq!(include.len(), 4);
    for (entry, (id, kind, _)) in include.iter().zip(&parts) {
        assert_eq!(
            (&entry["part"], &entry["kind"]),
            (&Value::from(id.as_str()), &Value::from(kind.as_str()))
        );
        assert_eq!(entry["plan-digest"], digest);
    }
    assert_eq!(std::fs::read(ws.scratch("plan-again.json")).unwrap(), bytes);

    // Another checkout of the same commit, in another folder: the same plan.
    let clone = ws.scratch("second-checkout");
    let c = Command::new("git")
        .args(["clone", "-q"])
        .arg(ws.root())
        .arg(&clone)
        .output()
        .unwrap();
    assert_success(&c);
    let o = plan_in(&clone, &ws.scratch("plan-clone.json"), "json");
    assert_success(&o);
    assert_eq!(std::fs::read(ws.scratch("plan-clone.json")).unwrap(), bytes);

    // What cannot be planned is exit 2, and nothing is written.
    let refused = |args: &[&str], what: &str| {
        let out = ws.scratch("refused.json");
        let o = ws
            .cmd()
            .current_dir(ws.root())
            .args(["release", "plan", "--out"])
            .arg(&out)
            .args(args)
            .output()
            .unwrap();
        assert_exit(&o, 2, what);
        assert!(!out.exists(), "{what}: nothing written");
    };
    refused(&["--targets", "no-such-target-triple"], "an unknown target");
    refused(&["--compat-shards", "5"], "more shards than library members");
    refused(
        &["--runs-on", "aarch64-apple-darwin=mac"],
        "a runner for an unplanned target",
    );
    std::fs::write(
        ws.root().join("src/main.rs"),
        "fn main() { println!(\"dirty\"); }\n",
    )
    .unwrap();
    refused(&[], "a dirty tree");
}

/// `relgate release part` on fixtures/members: the host part builds `app`
/// for the host and runs the contract's test command; the other target's
/// part (no build: no cross toolchain here) records its tests as not run
/// on this runner. Each part's signed manifest names every file by digest,
/// the plan's digest, the part, the commit and the runner; its SBOM is what
/// `cargo tree` resolves for `app` on that target. A part from another
/// plan, commit or contract is refused (exit 2) and writes nothing.
#[test]
fn release_parts_build_their_target_and_sign_a_manifest_bound_to_the_plan() {
    let ws = Ws::of("members");
    let host = host_triple();
    let cross = if host.starts_with("aarch64-apple") {
        "x86_64-unknown-linux-gnu"
    } else {
        "aarch64-apple-darwin"
    };
    ws.edit(
        "relgate.toml",
        "run-tests = false",
        "run-tests = true\ntest-command = [\"sh\", \"-c\", \"echo 'test result: ok. 2 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out'\"]",
    );
    ws.commit("tests on");
    let plan_file = ws.scratch("plan.json");
    let o = ws
        .cmd()
        .current_dir(ws.root())
        .args(["release", "plan", "--invocation-id", "inv-parts-1", "--out"])
        .arg(&plan_file)
        .arg(format!("--targets={host},{cross}"))
        .output()
        .unwrap();
    assert_success(&o);
    let plan_bytes = std::fs::read(&plan_file).unwrap();
    let digest = format!("sha256:{:x}", Sha256::digest(&plan_bytes));
    let head = String::from_utf8(ws.git(&["rev-parse", "HEAD"]).stdout)
        .unwrap()
        .trim()
        .to_owned();
    let part = |id: &str, out: &Path, extra: &[&str]| -> Output {
        ws.cmd()
            .current_dir(ws.root())
            .args(["release", "part", "--quiet", "--plan"])
            .arg(&plan_file)
            .args(["--part", id, "--key"])
            .arg(&ws.key)
            .arg("--out")
            .arg(out)
            .args(extra)
            .output()
            .unwrap()
    };
    let public = relgate::collect::inputs::public_key(&ws.public).unwrap();
    let statement_of = |dir: &Path| -> Value {
        let line = std::fs::read(dir.join("part.intoto.jsonl")).unwrap();
        let envelope = relgate::provenance::dsse::Envelope::parse(&line).unwrap();
        let payload = envelope.payload_bytes().unwrap();
        let check = envelope
            .check_signatures(&payload, std::slice::from_ref(&public))
            .unwrap();
        assert_eq!(
            check.verified_keys,
            [public.keyid().to_owned()],
            "signed by the part key"
        );
        json(&payload)
    };

    // The host part: a real build, the tests run.
    let host_dir = ws.scratch(&format!("parts/build-{host}"));
    let o = part(&format!("build-{host}"), &host_dir, &["--plan-digest", &digest]);
    assert_success(&o);
    let st = statement_of(&host_dir);
    let mut on_disk: Vec<String> = std::fs::read_dir(&host_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    let exe = format!("app{}", std::env::consts::EXE_SUFFIX);
    let mut expected = vec![
        exe.clone(),
        "metrics.json".into(),
        "metrics.prom".into(),
        "part.intoto.jsonl".into(),
        "sbom.cdx.json".into(),
        "sbom.spdx.json".into(),
        "traces.ndjson".into(),
    ];
    expected.sort();
    assert_eq!(on_disk, expected);
    let subjects = digest_pairs(&st["subject"], "name");
    let mut files: Vec<(String, String)> = expected
        .iter()
        .filter(|n| *n != "part.intoto.jsonl")
        .map(|n| {
            (
                n.clone(),
                format!("{:x}", Sha256::digest(std::fs::read(host_dir.join(n)).unwrap())),
            )
        })
        .collect();
    files.sort();
    assert_eq!(subjects, files, "every file but the manifest, by its own digest");
    let p = &st["predicate"];
    assert_eq!(st["predicateType"], "https://relgate.dev/release-part/v1");
    assert_eq!(p["plan"], digest);
    assert_eq!(p["part"], format!("build-{host}"));
    assert_eq!(p["commit"], head);
    assert_eq!(p["invocationId"], "inv-parts-1");
    assert_eq!(p["target"], host);
    assert_eq!(p["runner"]["host"], host);
    assert_eq!(p["tests"]["status"], "passed");
    assert_eq!(
        (p["tests"]["passed"].as_u64(), p["tests"]["ignored"].as_u64()),
        (Some(2), Some(1))
    );
    // The binary is the one cargo built for the host, and it runs.
    let run = Command::new(host_dir.join(&exe)).output().unwrap();
    assert_success(&run);
    // One trace for the whole release: the plan's invocation id.
    let traces = std::fs::read_to_string(host_dir.join("traces.ndjson")).unwrap();
    assert!(traces.contains("inv-parts-1"), "{traces}");
    let sbom_set = |dir: &Path| -> BTreeSet<(String, String)> {
        crate::support::cdx_components(&read_json(&dir.join("sbom.cdx.json")))
            .into_iter()
            .collect()
    };
    let tree = |target: &str| {
        cargo_tree_set(
            ws.root(),
            &["-p", "app", "-e", "normal,build", "--target", target],
        )
        .unwrap()
    };
    let mut with_root = sbom_set(&host_dir);
    with_root.insert(("app".into(), "0.2.0".into()));
    assert_eq!(with_root, tree(&host));

    // The other target's part: no cross toolchain here, so no build; its
    // tests are not run on this runner, and never reported as passed.
    let cross_dir = ws.scratch(&format!("parts/build-{cross}"));
    let o = {
        let mut c = ws.cmd();
        c.current_dir(ws.root())
            .args(["release", "part", "--quiet", "--no-build", "--plan"])
            .arg(&plan_file)
            .args(["--part", &format!("build-{cross}"), "--key"])
            .arg(&ws.key)
            .arg("--artifact")
            .arg(&ws.artifact)
            .arg("--out")
            .arg(&cross_dir);
        c.output().unwrap()
    };
    assert_success(&o);
    let st = statement_of(&cross_dir);
    assert_eq!(st["predicate"]["tests"]["status"], "not-run");
    assert_eq!(st["predicate"]["target"], cross);
    assert!(String::from_utf8_lossy(&o.stderr).contains("not run on this runner"));
    let mut with_root = sbom_set(&cross_dir);
    with_root.insert(("app".into(), "0.2.0".into()));
    assert_eq!(with_root, tree(cross));

    // Refused, exit 2, nothing written.
    let refused = |what: &str, o: Output, out: &Path| {
        assert_exit(&o, 2, what);
        assert!(!out.exists(), "{what}: nothing written");
    };
    let out = ws.scratch("parts/refused");
    refused(
        "a plan digest the file does not have",
        part(&format!("build-{host}"), &out, &["--plan-digest", "sha256:00"]),
        &out,
    );
    refused(
        "a part the plan does not have",
        part("build-nowhere", &out, &[]),
        &out,
    );
    let other = ws.scratch("other.toml");
    std::fs::write(
        &other,
        "version = 1\n[release]\nfirst-release = true\nrun-tests = false\n",
    )
    .unwrap();
    refused(
        "another contract",
        part(
            &format!("build-{host}"),
            &out,
            &["--contract", other.to_str().unwrap()],
        ),
        &out,
    );
    ws.edit("src/main.rs", "fn main()", "// another commit\nfn main()");
    ws.commit("another commit");
    refused("another commit", part(&format!("build-{host}"), &out, &[]), &out);
}

/// A release built on two "runners": the plan job, one clone per part
/// (only the part directories travel, as CI artifacts), and the merge in
/// a third checkout. The merged directory passes `relgate gate --dir`, its
/// provenance names each part manifest by digest, and the binaries carry
/// their target. A missing, duplicated, tampered, foreign-signed,
/// other-commit or half-written part refuses the merge: exit 1, nothing
/// written.
#[test]
fn a_release_merged_from_parts_on_separate_checkouts_verifies_and_refuses_bad_parts() {
    let ws = Ws::of("members");
    let host = host_triple();
    let cross = if host.starts_with("aarch64-apple") {
        "x86_64-unknown-linux-gnu"
    } else {
        "aarch64-apple-darwin"
    };
    let (id_host, id_cross) = (format!("build-{host}"), format!("build-{cross}"));
    let plan_file = ws.scratch("plan.json");
    let o = ws
        .cmd()
        .current_dir(ws.root())
        .args(["release", "plan", "--invocation-id", "inv-merge-1", "--out"])
        .arg(&plan_file)
        .arg(format!("--targets={host},{cross}"))
        .output()
        .unwrap();
    assert_success(&o);
    let clone = |name: &str| -> PathBuf {
        let dir = ws.scratch(name);
        assert_success(
            &Command::new("git")
                .args(["clone", "-q"])
                .arg(ws.root())
                .arg(&dir)
                .output()
                .unwrap(),
        );
        dir
    };
    let run_part = |checkout: &Path, id: &str, key: &Path, out: &Path, build: bool| -> Output {
        let mut c = ws.cmd();
        c.current_dir(checkout)
            .args(["release", "part", "--quiet", "--plan"])
            .arg(&plan_file)
            .args(["--part", id, "--key"])
            .arg(key)
            .arg("--out")
            .arg(out);
        if !build {
            c.arg("--no-build").arg("--artifact").arg(&ws.artifact);
        }
        c.output().unwrap()
    };
    let runner_a = clone("runner-a");
    let runner_b = clone("runner-b");
    let part_a = ws.scratch("uploads/a");
    let part_b = ws.scratch("uploads/b");
    assert_success(&run_part(&runner_a, &id_host, &ws.key, &part_a, true));
    assert_success(&run_part(&runner_b, &id_cross, &ws.key, &part_b, false));

    // The fan-in runner downloads each artifact into its own directory.
    let merger = clone("runner-merge");
    let download = |name: &str, parts: &[(&str, &Path)]| -> PathBuf {
        let dir = ws.scratch(name);
        for (artifact, from) in parts {
            copy_tree(from, &dir.join(format!("relgate-part-{artifact}")));
        }
        dir
    };
    // `relgate release merge` on the fan-in checkout `dir`, `extra` added.
    let merge_at = |dir: &Path, parts: &Path, extra: &[&std::ffi::OsStr], out: &Path| -> Output {
        ws.cmd()
            .current_dir(dir)
            .args(["release", "merge", "--quiet", "--plan"])
            .arg(&plan_file)
            .arg("--parts")
            .arg(parts)
            .arg("--key")
            .arg(&ws.key)
            .args(extra)
            .arg("--out")
            .arg(out)
            .output()
            .unwrap()
    };
    let merge = |parts: &Path, out: &Path| merge_at(&merger, parts, &["--dry-run".as_ref()], out);
    // The merge copies each part file beside the release while it hashes
    // it; nothing of that may be left behind, merged or refused.
    let leftovers = |out: &Path| -> Vec<String> {
        let prefix = format!(".{}.relgate-staging", out.file_name().unwrap().to_string_lossy());
        std::fs::read_dir(out.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(&prefix))
            .collect()
    };
    let good = download("downloads", &[(&id_host, &part_a), (&id_cross, &part_b)]);
    let out = ws.scratch("release");
    let o = merge(&good, &out);
    assert_success(&o);
    assert_eq!(leftovers(&out), Vec::<String>::new());
    let names: BTreeSet<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    for expected in [
        format!("app-{host}"),
        format!("notes-{cross}.txt"),
        format!("part-{id_host}.intoto.jsonl"),
        format!("part-{id_cross}.intoto.jsonl"),
        format!("sbom-{id_host}.cdx.json"),
        format!("sbom-{id_cross}.spdx.json"),
        "provenance.intoto.jsonl".into(),
        "checksums.txt".into(),
        "report.md".into(),
    ] {
        assert!(names.contains(&expected), "{expected} in {names:?}");
    }
    assert_eq!(
        std::fs::read(out.join(format!("app-{host}"))).unwrap(),
        std::fs::read(part_a.join("app")).unwrap(),
        "the host part's binary, unchanged"
    );
    // The host part checked its executable against its own SBOM; the
    // merge reports it under the shipped name (built without
    // cargo-auditable: not checkable, so the invariant says so).
    let merged_gate = read_json(&out.join("gate.json"));
    let binaries = &merged_gate["facts"]["binaries"];
    assert_eq!(binaries.as_array().map(Vec::len), Some(1), "{binaries:#}");
    assert_eq!(binaries[0]["name"], format!("app-{host}"));
    assert_eq!(binaries[0]["auditable"], false);
    let r = rule(&merged_gate, "sbom-matches-binary");
    assert_eq!(r["status"], "skipped", "{r:#}");
    assert!(
        r["note"].as_str().unwrap().contains(&format!("`app-{host}`")),
        "{r:#}"
    );
    // The fan-in runner can name its advisory database like a release.
    let db = advisory_db(&ws, "db-merge", Some(0));
    let out_db = ws.scratch("release-db");
    let o = merge_at(
        &merger,
        &good,
        &["--dry-run".as_ref(), "--advisory-db".as_ref(), db.as_os_str()],
        &out_db,
    );
    assert_success(&o);
    let advisories = &read_json(&out_db.join("gate.json"))["facts"]["advisories"];
    assert_eq!(advisories["checked"], true, "{advisories:#}");
    // Six advisories in fixtures/advisory-db, one withdrawn (its README).
    assert_eq!(advisories["advisories"], 5, "{advisories:#}");
    // report.md: one section per part, with its runner, tests and files.
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    let app_digest = format!("{:x}", Sha256::digest(std::fs::read(part_a.join("app")).unwrap()));
    for needle in [
        "## Parts".to_owned(),
        format!("### `{id_host}` — {host}"),
        format!("### `{id_cross}` — {cross}"),
        "Tests: **not-required**".to_owned(),
        format!("| `app-{host}` | `{app_digest}` |"),
        format!("| `notes-{cross}.txt` |"),
    ] {
        assert!(report.contains(&needle), "{needle} in report.md:\n{report}");
    }
    let gate = ws
        .cmd()
        .current_dir(&merger)
        .args(["gate", "--dir"])
        .arg(&out)
        .arg("--key")
        .arg(&ws.public)
        .output()
        .unwrap();
    assert_success(&gate);
    assert!(
        String::from_utf8_lossy(&gate.stdout)
            .contains("PASS parts: 2 part manifest(s) verify; each of 6 shipped file(s)"),
        "{}",
        text(&gate)
    );
    let (statement, _) = bundle_statement(&out.join("provenance.intoto.jsonl"), 0);
    let resolved = statement["predicate"]["buildDefinition"]["resolvedDependencies"]
        .as_array()
        .unwrap();
    for id in [&id_host, &id_cross] {
        let name = format!("part-{id}.intoto.jsonl");
        let digest = format!("{:x}", Sha256::digest(std::fs::read(out.join(&name)).unwrap()));
        assert!(
            resolved
                .iter()
                .any(|r| r["name"] == name.as_str() && r["digest"]["sha256"] == digest.as_str()),
            "{name} named by digest in {resolved:?}"
        );
    }
    assert_eq!(
        statement["predicate"]["runDetails"]["metadata"]["invocationId"],
        "inv-merge-1"
    );
    // The in-toto reference implementation verifies the merged provenance
    // over every file checksums.txt lists.
    let listed: Vec<PathBuf> = checksums(&out).iter().map(|(n, _)| out.join(n)).collect();
    assert!(listed.len() >= 9, "{listed:?}");
    let bundle = out.join("provenance.intoto.jsonl");
    let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"verify", &bundle, &ws.public];
    for a in &listed {
        args.push(a);
    }
    let v = python("intoto_interop.py", &args);
    assert!(v.status.success(), "in-toto reference: {}", text(&v));
    // relgate verify, given the release's files, checks the part manifests too.
    let v = ws
        .cmd()
        .args(["verify", "--provenance"])
        .arg(&bundle)
        .arg("--key")
        .arg(&ws.public)
        .args(&listed)
        .output()
        .unwrap();
    assert_success(&v);
    assert!(
        String::from_utf8_lossy(&v.stdout).contains("parts: 2 part manifest(s) verify"),
        "{}",
        text(&v)
    );

    // Bad parts: exit 1, the problem named, nothing written.
    let refused = |case: &str, parts: &Path, problem: &str| {
        let out = ws.scratch(&format!("refused-{case}"));
        let o = merge(parts, &out);
        assert_exit(&o, 1, case);
        let stdout = String::from_utf8_lossy(&o.stdout);
        assert!(stdout.contains(problem), "{case}: `{problem}` in {stdout}");
        assert!(!out.exists(), "{case}: nothing written");
        assert_eq!(leftovers(&out), Vec::<String>::new(), "{case}");
    };
    let missing = download("dl-missing", &[(&id_host, &part_a)]);
    refused("missing", &missing, &format!("missing {id_cross}"));
    // A real (not dry-run) merge refused for a missing part touches
    // neither the ledger (not even its lock file) nor --out; on a fresh
    // fan-in runner, as `gate --dir` above took the ledger's lock here.
    let fresh = clone("runner-merge-real");
    let out_real = ws.scratch("refused-real");
    let o = merge_at(&fresh, &missing, &[], &out_real);
    assert_exit(&o, 1, "a real merge with a part missing");
    assert!(!out_real.exists(), "nothing written");
    for untouched in ["release-ledger.jsonl", ".release-ledger.jsonl.relgate-lock"] {
        assert!(!fresh.join(untouched).exists(), "{untouched} left alone");
    }
    // Checks that fail before any part is read leave no lock file either.
    let out_nested = ws.scratch("not-yet/there/release");
    let o = merge(&ws.scratch("no-such-downloads"), &out_nested);
    assert_exit(&o, 2, "unreadable --parts");
    assert!(!ws.scratch("not-yet").exists(), "nothing created for --out");
    let dup = download("dl-dup", &[(&id_host, &part_a), (&id_cross, &part_b)]);
    copy_tree(&part_a, &dup.join("relgate-part-again"));
    refused("duplicated", &dup, &format!("duplicated {id_host}"));
    let tampered = download("dl-tampered", &[(&id_host, &part_a), (&id_cross, &part_b)]);
    let exe = tampered.join(format!("relgate-part-{id_host}")).join("app");
    let mut bytes = std::fs::read(&exe).unwrap();
    bytes[100] ^= 1;
    std::fs::write(&exe, bytes).unwrap();
    refused("tampered", &tampered, &format!("tampered {id_host}"));
    let extra = download("dl-extra", &[(&id_host, &part_a), (&id_cross, &part_b)]);
    std::fs::write(
        extra.join(format!("relgate-part-{id_cross}")).join("unsigned.sh"),
        b"#!/bin/sh\n",
    )
    .unwrap();
    refused("an unsigned extra file", &extra, &format!("tampered {id_cross}"));
    // Signed by a key the merge does not trust.
    let other_keys = ws.scratch("other-keys");
    assert_success(
        &ws.cmd()
            .args(["keygen", "--out-dir"])
            .arg(&other_keys)
            .output()
            .unwrap(),
    );
    let part_other_key = ws.scratch("uploads/other-key");
    assert_success(&run_part(
        &runner_b,
        &id_cross,
        &other_keys.join("relgate.key"),
        &part_other_key,
        false,
    ));
    let other_key_parts = download("dl-key", &[(&id_host, &part_a), (&id_cross, &part_other_key)]);
    refused("another key", &other_key_parts, &format!("unsigned {id_cross}"));
    // Trusted with --part-key, the same parts merge; `gate --dir` then
    // checks the embedded manifests too, and needs that key to trust them.
    let out_keyed = ws.scratch("release-part-key");
    let part_pub = other_keys.join("relgate.pub");
    let o = merge_at(
        &merger,
        &other_key_parts,
        &["--dry-run".as_ref(), "--part-key".as_ref(), part_pub.as_os_str()],
        &out_keyed,
    );
    assert_success(&o);
    let gate_dir = |extra: &[&std::ffi::OsStr]| -> Output {
        ws.cmd()
            .current_dir(&merger)
            .args(["gate", "--dir"])
            .arg(&out_keyed)
            .arg("--key")
            .arg(&ws.public)
            .args(extra)
            .output()
            .unwrap()
    };
    let o = gate_dir(&[]);
    assert_exit(&o, 1, "gate --dir without the part key");
    assert!(
        String::from_utf8_lossy(&o.stdout).contains(&format!(
            "FAIL parts: part-{id_cross}.intoto.jsonl: no valid signature"
        )),
        "{}",
        text(&o)
    );
    let keyed_files: Vec<PathBuf> = checksums(&out_keyed)
        .iter()
        .map(|(n, _)| out_keyed.join(n))
        .collect();
    let verify_keyed = |extra: &[&std::ffi::OsStr]| -> Output {
        ws.cmd()
            .args(["verify", "--provenance"])
            .arg(out_keyed.join("provenance.intoto.jsonl"))
            .arg("--key")
            .arg(&ws.public)
            .args(extra)
            .args(&keyed_files)
            .output()
            .unwrap()
    };
    let v = verify_keyed(&[]);
    assert_exit(&v, 1, "verify without the part key");
    assert!(
        String::from_utf8_lossy(&v.stdout).contains("FAIL parts"),
        "{}",
        text(&v)
    );
    assert_success(&verify_keyed(&["--part-key".as_ref(), part_pub.as_os_str()]));
    let o = gate_dir(&["--part-key".as_ref(), part_pub.as_os_str()]);
    assert_success(&o);
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("PASS parts: 2 part manifest(s) verify"),
        "{}",
        text(&o)
    );
    // Signed by the right key, but naming another commit.
    let forged = download("dl-commit", &[(&id_host, &part_a), (&id_cross, &part_b)]);
    let manifest = forged
        .join(format!("relgate-part-{id_cross}"))
        .join("part.intoto.jsonl");
    let env = relgate::provenance::dsse::Envelope::parse(&std::fs::read(&manifest).unwrap()).unwrap();
    let mut st = json(&env.payload_bytes().unwrap());
    st["predicate"]["commit"] = Value::from("1111111111111111111111111111111111111111");
    let key =
        relgate::provenance::keys::PrivateKey::from_pem(&std::fs::read_to_string(&ws.key).unwrap()).unwrap();
    let resigned = relgate::provenance::dsse::Envelope::sign(
        relgate::provenance::dsse::IN_TOTO,
        &serde_json::to_vec(&st).unwrap(),
        &[&key],
    );
    std::fs::write(&manifest, resigned.to_json_line()).unwrap();
    refused("another commit", &forged, &format!("other-commit {id_cross}"));
    // A part killed before it wrote its manifest is no part at all.
    let half = download("dl-half", &[(&id_host, &part_a)]);
    let partial = half.join(format!("relgate-part-{id_cross}"));
    copy_tree(&part_b, &partial);
    std::fs::remove_file(partial.join("part.intoto.jsonl")).unwrap();
    refused("a half-written part", &half, &format!("missing {id_cross}"));
}

/// Compat spread over two runners (`--compat-shards 2`): on fixtures/members
/// tagged at 0.1.0, alpha gains a function and beta loses one (both 0.1.1:
/// beta's bump is insufficient); delta has no tag and is on no registry.
/// Each compat part compares its dealt members (alpha, gamma | beta,
/// delta) in its own clone; the merge reads their signed results instead
/// of comparing again and reaches the one-machine release's verdict,
/// member for member. A tampered or missing compat part refuses the merge.
#[test]
fn compat_shards_on_separate_runners_reach_the_one_machine_verdict() {
    let ws = Ws::of("members");
    for m in ["alpha", "beta", "gamma"] {
        ws.git(&["tag", &format!("{m}-0.1.0")]);
        ws.edit(
            &format!("crates/{m}/Cargo.toml"),
            "version = \"0.1.0\"",
            "version = \"0.1.1\"",
        );
    }
    ws.edit(
        "crates/alpha/src/lib.rs",
        "pub fn one()",
        "pub fn added() {}\n\npub fn one()",
    );
    ws.edit("crates/beta/src/lib.rs", "pub fn removed() {}\n", "");
    let lock = Command::new(env!("CARGO"))
        .args(["generate-lockfile", "--offline"])
        .current_dir(ws.root())
        .output()
        .unwrap();
    assert_success(&lock);
    ws.commit("alpha adds, beta removes");
    let host = host_triple();

    // One machine: the reference verdict.
    let single = ws.scratch("single");
    let o = ws.dry_run(&single, &["--invocation-id", "inv-shards-1"]);
    let single_gate = assert_rejected(&single, &o, "semver-bump-sufficient");

    let plan_file = ws.scratch("plan.json");
    let o = ws
        .cmd()
        .current_dir(ws.root())
        .args([
            "release",
            "plan",
            "--invocation-id",
            "inv-shards-1",
            "--compat-shards",
            "2",
            "--out",
        ])
        .arg(&plan_file)
        .arg(format!("--targets={host}"))
        .output()
        .unwrap();
    assert_success(&o);
    let plan = read_json(&plan_file);
    let shard = |id: &str| -> Vec<String> {
        let p = plan["parts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == id)
            .unwrap();
        assert_eq!(p["kind"], "compat");
        p["packages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(shard("compat-1-of-2"), ["alpha", "gamma"]);
    assert_eq!(shard("compat-2-of-2"), ["beta", "relgate-it-delta-4f1c9"]);

    let run_part = |name: &str, id: &str| -> PathBuf {
        let checkout = ws.scratch(&format!("runner-{name}"));
        assert_success(
            &Command::new("git")
                .args(["clone", "-q"])
                .arg(ws.root())
                .arg(&checkout)
                .output()
                .unwrap(),
        );
        let out = ws.scratch(&format!("uploads/{name}"));
        let o = ws
            .cmd()
            .current_dir(&checkout)
            .args(["release", "part", "--quiet", "--no-build", "--plan"])
            .arg(&plan_file)
            .args(["--part", id, "--key"])
            .arg(&ws.key)
            .arg("--artifact")
            .arg(&ws.artifact)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        assert_success(&o);
        out
    };
    let build_id = format!("build-{host}");
    let build = run_part("build", &build_id);
    let shard1 = run_part("shard1", "compat-1-of-2");
    let shard2 = run_part("shard2", "compat-2-of-2");
    let mut names: Vec<String> = std::fs::read_dir(&shard1)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["compat.json", "part.intoto.jsonl", "traces.ndjson"]);
    let results = read_json(&shard2.join("compat.json"));
    let statuses: Vec<(&str, &str)> = results["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["package"].as_str().unwrap(), m["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        statuses,
        [("beta", "compared"), ("relgate-it-delta-4f1c9", "first-release")]
    );

    let merger = ws.scratch("runner-merge");
    assert_success(
        &Command::new("git")
            .args(["clone", "-q"])
            .arg(ws.root())
            .arg(&merger)
            .output()
            .unwrap(),
    );
    // Without the tags here, a merge that compared again would find no
    // baselines: the verdict below can only come from the parts.
    for m in ["alpha", "beta", "gamma"] {
        let tag = format!("{m}-0.1.0");
        let d = Command::new("git")
            .args(["tag", "-d", &tag])
            .current_dir(&merger)
            .output()
            .unwrap();
        assert_success(&d);
    }
    let download = |name: &str, parts: &[(&str, &Path)]| -> PathBuf {
        let dir = ws.scratch(name);
        for (id, from) in parts {
            copy_tree(from, &dir.join(format!("relgate-part-{id}")));
        }
        dir
    };
    // `relgate release merge` on the fan-in checkout `dir`, `extra` added.
    let merge_at = |dir: &Path, parts: &Path, extra: &[&std::ffi::OsStr], out: &Path| -> Output {
        ws.cmd()
            .current_dir(dir)
            .args(["release", "merge", "--quiet", "--plan"])
            .arg(&plan_file)
            .arg("--parts")
            .arg(parts)
            .arg("--key")
            .arg(&ws.key)
            .args(extra)
            .arg("--out")
            .arg(out)
            .output()
            .unwrap()
    };
    let merge = |parts: &Path, out: &Path| merge_at(&merger, parts, &["--dry-run".as_ref()], out);
    let all = [
        (build_id.as_str(), build.as_path()),
        ("compat-1-of-2", &shard1),
        ("compat-2-of-2", &shard2),
    ];
    let out = ws.scratch("merged");
    let o = merge(&download("dl", &all), &out);
    let gate = assert_rejected(&out, &o, "semver-bump-sufficient");
    assert_eq!(
        gate["facts"]["compat"], single_gate["facts"]["compat"],
        "the shards' verdict is the one-machine verdict"
    );
    let failed: Vec<&str> = rule(&gate, "semver-bump-sufficient")["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["item"].as_str().unwrap())
        .collect();
    assert_eq!(failed, ["beta"]);
    let rej = rejected(&out);
    assert_eq!(
        std::fs::read(rej.join("compat_report.json")).unwrap(),
        std::fs::read(rejected(&single).join("compat_report.json")).unwrap()
    );
    let report = std::fs::read_to_string(rej.join("report.md")).unwrap();
    assert!(
        report.contains("Compared 2 library member(s) with their baselines: beta, relgate-it-delta-4f1c9 (`compat-compat-2-of-2.json`"),
        "{report}"
    );

    // A compat part's results changed after signing, or one missing: refused.
    let refused = |case: &str, parts: &Path, problem: &str| {
        let out = ws.scratch(&format!("refused-{case}"));
        let o = merge(parts, &out);
        assert_exit(&o, 1, case);
        let stdout = String::from_utf8_lossy(&o.stdout);
        assert!(stdout.contains(problem), "{case}: `{problem}` in {stdout}");
        assert!(
            !out.exists() && !rejected(&out).exists(),
            "{case}: nothing written"
        );
    };
    let tampered = download("dl-tampered", &all);
    let file = tampered.join("relgate-part-compat-2-of-2").join("compat.json");
    let text = std::fs::read_to_string(&file).unwrap();
    let forged = text.replacen("\"sufficient\": false", "\"sufficient\": true", 1);
    assert_ne!(forged, text);
    std::fs::write(&file, forged).unwrap();
    refused("tampered compat", &tampered, "tampered compat-2-of-2");
    refused(
        "missing compat",
        &download("dl-missing", &all[..2]),
        "missing compat-2-of-2",
    );
}

/// A copy of fixtures/advisory-db as a git checkout whose one commit is
/// dated `days_ago` days back (`None`: a plain directory, no git).
fn advisory_db(ws: &Ws, name: &str, days_ago: Option<u64>) -> PathBuf {
    let db = ws.scratch(name);
    copy_tree(&repo().join("fixtures/advisory-db"), &db);
    if let Some(days) = days_ago {
        let when = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            - days * 86_400;
        let date = format!("@{when} +0000");
        for args in [&["init", "-q"][..], &["add", "-A"], &["commit", "-q", "-m", "db"]] {
            let o = Command::new("git")
                .args([
                    "-c",
                    "user.name=t",
                    "-c",
                    "user.email=t@t",
                    "-c",
                    "commit.gpgsign=false",
                ])
                .args(args)
                .current_dir(&db)
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .env("GIT_AUTHOR_DATE", &date)
                .env("GIT_COMMITTER_DATE", &date)
                .env_remove("GIT_DIR")
                .output()
                .unwrap();
            assert_success(&o);
        }
    }
    db
}

/// fixtures/advisory-db against fixtures/large (its README says, from each
/// advisory's text, which must match the versions in Cargo.lock): the
/// unwaived regex vulnerability and the unmaintained bytes crate (whose
/// waiver expired) fail the release; tokio's is waived with its reason;
/// serde's range and the withdrawn time advisory do not match; idna's
/// notice is reported only. A stale or undated database fails; a missing
/// one is exit 2 before anything is built.
#[test]
fn known_vulnerabilities_fail_the_release_unless_waived_and_a_stale_database_fails() {
    let ws = Ws::of("large");
    let fresh = advisory_db(&ws, "db-fresh", Some(0));
    let contract = |name: &str, db: &Path| -> String {
        ws.contract(
            name,
            &format!(
                "version = 1\n[release]\nrun-tests = false\nbaseline = \"none\"\n[advisories]\ndb = \"{}\"\n\
                 [[waiver]]\nrule = \"no-known-vulnerabilities\"\nmatch = 'it.id == \"RUSTSEC-2099-0002\"'\nreason = \"the closed-channel path is not reachable from here (SEC-12)\"\nuntil = \"2099-12-31\"\njustification = \"vulnerable_code_not_in_execute_path\"\n\
                 [[waiver]]\nrule = \"no-known-vulnerabilities\"\nmatch = 'it.id == \"RUSTSEC-2099-0004\"'\nreason = \"replacement planned\"\nuntil = \"2020-01-01\"\n",
                db.display()
            ),
        )
    };
    let out = ws.scratch("out");
    let o = ws.dry_run(&out, &["--contract", &contract("fresh", &fresh)]);
    let gate = assert_rejected(&out, &o, "no-known-vulnerabilities");
    let r = rule(&gate, "no-known-vulnerabilities");
    let items = |key: &str| -> Vec<String> {
        r[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["item"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        items("failures"),
        ["RUSTSEC-2099-0001 regex@1.13.2", "RUSTSEC-2099-0004 bytes@1.12.2"],
        "{r:#}"
    );
    assert_eq!(items("waived"), ["RUSTSEC-2099-0002 tokio@1.54.1"], "{r:#}");
    assert_eq!(rule(&gate, "waiver-expired")["status"], "fail");
    let facts = &gate["facts"]["advisories"];
    // Every crates.io package's yanked state is either known from cargo's
    // local index cache or listed as not checked; none is silently skipped.
    let crates_io = gate["facts"]["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| {
            p["source"]
                .as_str()
                .is_some_and(|s| s.starts_with("https://crates.io/api/v1/crates/"))
        })
        .count() as u64;
    let y = &facts["yanked"];
    assert_eq!(
        y["checked"].as_u64().unwrap() + y["unknown"].as_array().unwrap().len() as u64,
        crates_io,
        "{y:#}"
    );
    let matched: Vec<(&str, &str)> = facts["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["id"].as_str().unwrap(), m["kind"].as_str().unwrap()))
        .collect();
    assert_eq!(
        matched,
        [
            ("RUSTSEC-2099-0001", "vulnerability"),
            ("RUSTSEC-2099-0002", "vulnerability"),
            ("RUSTSEC-2099-0004", "unmaintained"),
            ("RUSTSEC-2099-0006", "notice"),
        ]
    );
    assert_eq!(facts["advisories"], 5, "six files, one withdrawn");
    assert_eq!(facts["matches"][0]["severity"], "high");
    let stdout = text(&o);
    assert!(stdout.contains("RUSTSEC-2099-0001"), "{stdout}");
    // The decisions as OpenVEX, in the rejected directory too.
    let vex_path = rejected(&out).join("vex.openvex.json");
    let vex = read_json(&vex_path);
    let statuses: Vec<(&str, &str)> = vex["statements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["vulnerability"]["name"].as_str().unwrap(),
                s["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        [
            ("RUSTSEC-2099-0001", "affected"),
            ("RUSTSEC-2099-0002", "not_affected"),
            ("RUSTSEC-2099-0004", "affected"),
            ("RUSTSEC-2099-0006", "affected"),
        ]
    );
    let s = &vex["statements"];
    assert!(
        s[1]["impact_statement"]
            .as_str()
            .unwrap()
            .contains("the closed-channel path is not reachable from here (SEC-12)"),
        "{s:#}"
    );
    // The waiver's justification, as OpenVEX's label (only on not_affected).
    assert_eq!(s[1]["justification"], "vulnerable_code_not_in_execute_path");
    assert!(s[0].get("justification").is_none(), "{s:#}");
    assert_eq!(
        s[0]["action_statement"],
        "upgrade regex from 1.13.2 to a version matching >=1.13.3"
    );
    assert_eq!(
        s[0]["products"][0]["subcomponents"][0]["@id"],
        "pkg:cargo/regex@1.13.2"
    );
    assert!(s[2]["action_statement"]
        .as_str()
        .unwrap()
        .contains("no fixed version of bytes"));
    // Valid against the published OpenVEX schema; the same validator
    // rejects an `affected` statement without an action statement.
    let schema = repo().join("../shared/schemas/openvex-0.2.0.json");
    assert!(schema.is_file(), "{} is missing", schema.display());
    let validate = |doc: &Path| -> Output {
        Command::new(validator_python())
            .args([
                "-c",
                "import json,sys,jsonschema; jsonschema.validate(json.load(open(sys.argv[1])), json.load(open(sys.argv[2])))",
            ])
            .arg(doc)
            .arg(&schema)
            .output()
            .unwrap()
    };
    let v = validate(&vex_path);
    assert!(v.status.success(), "OpenVEX schema: {}", text(&v));
    let mut broken = vex.clone();
    broken["statements"][0]
        .as_object_mut()
        .unwrap()
        .remove("action_statement");
    let broken_path = ws.scratch("broken.openvex.json");
    std::fs::write(&broken_path, serde_json::to_vec(&broken).unwrap()).unwrap();
    assert!(
        !validate(&broken_path).status.success(),
        "the schema check must reject it"
    );
    // The same decisions as CycloneDX VEX, naming sbom.cdx.json's components
    // by BOM-Link; the pinned CycloneDX validators (schema, and
    // cyclonedx-python-lib deserialisation) accept it.
    let cdx_vex = std::fs::read(rejected(&out).join("vex.cdx.json")).unwrap();
    crate::support::validate("cdx-json", &cdx_vex, "vex.cdx.json");
    let cdx_vex = json(&cdx_vex);
    let sbom = read_json(&rejected(&out).join("sbom.cdx.json"));
    let serial = sbom["serialNumber"]
        .as_str()
        .unwrap()
        .strip_prefix("urn:uuid:")
        .unwrap();
    let regex_ref = sbom["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "regex")
        .unwrap()["bom-ref"]
        .as_str()
        .unwrap()
        .to_owned();
    let v = &cdx_vex["vulnerabilities"];
    assert_eq!(v.as_array().unwrap().len(), 4);
    assert_eq!(v[0]["id"], "RUSTSEC-2099-0001");
    assert_eq!(
        v[0]["affects"][0]["ref"],
        format!("urn:cdx:{serial}/1#{regex_ref}")
    );
    assert_eq!(v[0]["analysis"]["state"], "exploitable");
    assert_eq!(v[0]["analysis"]["response"][0], "update");
    assert_eq!(v[1]["analysis"]["state"], "not_affected");
    assert!(v[1]["analysis"]["detail"].as_str().unwrap().contains("SEC-12"));
    assert_eq!(v[1]["analysis"]["justification"], "code_not_reachable");
    assert!(v[0]["analysis"].get("justification").is_none());
    let report = std::fs::read_to_string(rejected(&out).join("report.md")).unwrap();
    for needle in [
        "## Vulnerabilities",
        "| [RUSTSEC-2099-0001](https://example.invalid/relgate-fixture/RUSTSEC-2099-0001) | `regex@1.13.2` | vulnerability | high | **denied** (affected) |",
        "| `tokio@1.54.1` | vulnerability | medium | waived (not affected) | the closed-channel path is not reachable from here (SEC-12) | 2099-12-31 |",
        "| RUSTSEC-2099-0006 | `idna@1.1.0` | notice | — | reported (affected) |",
    ] {
        assert!(report.contains(needle), "{needle} in report.md:\n{report}");
    }

    // Waive the rest: the release passes with a fresh database only.
    let all_waived = |name: &str, db: &Path| -> String {
        ws.contract(
            name,
            &format!(
                "version = 1\n[release]\nrun-tests = false\nbaseline = \"none\"\n[advisories]\ndb = \"{}\"\n\
                 [[waiver]]\nrule = \"no-known-vulnerabilities\"\nmatch = 'it.id != \"advisory-db\" && has(it.package)'\nreason = \"accepted for the fixture\"\nuntil = \"2099-12-31\"\n",
                db.display()
            ),
        )
    };
    let o = ws.dry_run(
        &ws.scratch("out-waived"),
        &["--contract", &all_waived("waived", &fresh)],
    );
    assert_success(&o);
    // Released: both VEX documents are listed in checksums.txt, so the
    // provenance covers them.
    let listed: Vec<String> = checksums(&ws.scratch("out-waived"))
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    for name in ["vex.openvex.json", "vex.cdx.json"] {
        assert!(listed.iter().any(|n| n == name), "{name} in {listed:?}");
    }
    for (case, db, why) in [
        (
            "stale",
            advisory_db(&ws, "db-stale", Some(30)),
            "older than max-db-age 7d",
        ),
        ("undated", advisory_db(&ws, "db-undated", None), "age is unknown"),
    ] {
        let out = ws.scratch(&format!("out-{case}"));
        let o = ws.dry_run(&out, &["--contract", &all_waived(case, &db)]);
        let gate = assert_rejected(&out, &o, "no-known-vulnerabilities");
        let r = rule(&gate, "no-known-vulnerabilities");
        assert_eq!(r["failures"][0]["item"], "advisory-db", "{case}: {r:#}");
        assert!(
            r["failures"][0]["message"].as_str().unwrap().contains(why),
            "{case}: {r:#}"
        );
    }
    // A missing database: exit 2, nothing written.
    let out = ws.scratch("out-missing");
    let o = ws.dry_run(
        &out,
        &["--contract", &all_waived("missing", &ws.scratch("no-such-db"))],
    );
    assert_exit(&o, 2, "a missing advisory database");
    assert!(!out.exists() && !rejected(&out).exists());
    assert!(text(&o).contains("advisory database"), "{}", text(&o));
}

/// Replaces `binary`'s `.dep-v0` section with zlib(`json`) (objcopy, from binutils).
fn with_dep_list(binary: &Path, json: &[u8], to: &Path) {
    let section = to.with_extension("dep");
    std::fs::write(&section, zlib(json)).unwrap();
    let o = Command::new("objcopy")
        .arg("--update-section")
        .arg(format!(".dep-v0={}", section.display()))
        .arg(binary)
        .arg(to)
        .output()
        .expect("objcopy (binutils) must be installed");
    assert_success(&o);
}

/// zlib-compresses with python's zlib (no compression crate in relgate's tests).
fn zlib(data: &[u8]) -> Vec<u8> {
    let mut child = Command::new("python3")
        .args([
            "-c",
            "import sys,zlib;sys.stdout.buffer.write(zlib.compress(sys.stdin.buffer.read(),9))",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(data).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert_success(&out);
    out.stdout
}

/// fixtures/auditable built with cargo-auditable (its README lists, from
/// its manifests, the four packages the binary must embed). The release
/// compares that list with the SBOM and passes; `sbom --from-binary`
/// describes the same packages and passes the validators; a plain binary
/// fails `require-auditable`; an SBOM that no longer has `itoa` (made
/// optional and off) while the shipped binary does fails by name; a
/// hostile list (two roots, an index out of range, a decompression bomb)
/// is exit 2 with nothing written.
#[test]
fn an_auditable_binary_is_checked_against_the_sbom_that_describes_it() {
    crate::support::require_cargo_auditable();
    let ws = Ws::of("auditable");
    let out = ws.scratch("out");
    let o = ws.release_cmd(&out).arg("--dry-run").output().unwrap();
    assert_success(&o);
    let gate = read_json(&out.join("gate.json"));
    assert_eq!(rule(&gate, "sbom-matches-binary")["status"], "pass", "{gate:#}");
    assert_eq!(
        gate["facts"]["binaries"],
        serde_json::json!([{
            "name": "auditable-demo",
            "auditable": true,
            "root": "auditable-demo@0.3.0",
            "format": 1,
            "packages": 4,
            "sbom_components": 4,
            "root_in_sbom": true,
            "not_in_sbom": [],
            "not_in_binary": []
        }])
    );
    let binary = ws.scratch("shipped/auditable-demo");
    std::fs::create_dir_all(binary.parent().unwrap()).unwrap();
    std::fs::copy(out.join("auditable-demo"), &binary).unwrap();

    // An auditor with only the binary.
    let expected: BTreeSet<(String, String)> = [
        ("auditable-demo", "0.3.0"),
        ("helper", "0.1.0"),
        ("itoa", "1.0.19"),
        ("stamp", "0.1.0"),
    ]
    .iter()
    .map(|(n, v)| (n.to_string(), v.to_string()))
    .collect();
    for (format, kind) in [
        ("cyclonedx-json", "cdx-json"),
        ("spdx-json", "spdx-json"),
        ("cyclonedx-xml", "cdx-xml"),
    ] {
        let o = ws
            .cmd()
            .args(["sbom", "--format", format, "--from-binary"])
            .arg(&binary)
            .output()
            .unwrap();
        assert_success(&o);
        crate::support::validate(kind, &o.stdout, &format!("sbom --from-binary {format}"));
        if format == "cyclonedx-json" {
            let doc = json(&o.stdout);
            assert_eq!(doc["metadata"]["component"]["name"], "auditable-demo");
            assert_eq!(sbom_set(&doc), expected, "{doc:#}");
        }
    }
    for (file, says) in [
        (ws.manifest(), "not an executable"),
        (PathBuf::from("/dev/null"), "not a regular file"),
    ] {
        let o = ws
            .cmd()
            .args(["sbom", "--from-binary"])
            .arg(&file)
            .output()
            .unwrap();
        assert_exit(&o, 2, "sbom --from-binary on a file that is not a binary");
        assert_says(&o, says);
    }

    // A binary built without cargo-auditable: not checkable, a failure when required.
    let plain_target = ws.scratch("plain-target");
    let o = Command::new("cargo")
        .args(["build", "--release", "--locked", "--quiet", "--manifest-path"])
        .arg(ws.manifest())
        .arg("--target-dir")
        .arg(&plain_target)
        .output()
        .unwrap();
    assert_success(&o);
    let plain = plain_target.join("release/auditable-demo");
    let o = ws
        .cmd()
        .args(["sbom", "--from-binary"])
        .arg(&plain)
        .output()
        .unwrap();
    assert_exit(&o, 2, "sbom --from-binary on a plain binary");
    assert_says(&o, "no embedded dependency list");
    let out2 = ws.scratch("out-plain");
    let o = ws
        .release_cmd(&out2)
        .args(["--dry-run", "--no-build", "--artifact"])
        .arg(&plain)
        .output()
        .unwrap();
    let gate = assert_rejected(&out2, &o, "sbom-matches-binary");
    let r = rule(&gate, "sbom-matches-binary");
    assert!(
        r["failures"][0]["message"]
            .as_str()
            .unwrap()
            .contains("no embedded dependency list"),
        "{r:#}"
    );
    let lenient = ws.contract(
        "lenient",
        "version = 1\n[release]\nrun-tests = false\nbaseline = \"none\"\n[invariants.license-allowlist]\nallow = [\"MIT\", \"Apache-2.0\"]\n",
    );
    let o = ws
        .release_cmd(&out2)
        .args(["--dry-run", "--no-build", "--contract", &lenient, "--artifact"])
        .arg(&plain)
        .output()
        .unwrap();
    assert_success(&o);
    let r = rule(&read_json(&out2.join("gate.json")), "sbom-matches-binary").clone();
    assert_eq!(r["status"], "skipped", "{r:#}");
    assert!(
        r["note"].as_str().unwrap_or_default().contains("not checkable"),
        "{r:#}"
    );

    // Hostile lists: exit 2, nothing written.
    let bomb = {
        let mut j = b"{\"packages\":[],\"pad\":\"".to_vec();
        j.extend(std::iter::repeat_n(b' ', 9 << 20));
        j.extend(b"\"}");
        j
    };
    for (label, list) in [
        (
            "two roots",
            br#"{"packages":[{"name":"a","version":"1.0.0","source":"local","root":true},{"name":"b","version":"1.0.0","source":"local","root":true}]}"#.to_vec(),
        ),
        (
            "an index out of range",
            br#"{"packages":[{"name":"a","version":"1.0.0","source":"local","root":true,"dependencies":[7]}]}"#.to_vec(),
        ),
        (
            "a cycle",
            br#"{"packages":[{"name":"a","version":"1.0.0","source":"local","root":true,"dependencies":[1]},{"name":"b","version":"1.0.0","source":"crates.io","dependencies":[0]}]}"#.to_vec(),
        ),
        ("a decompression bomb", bomb),
    ] {
        let hostile = ws.scratch("hostile/auditable-demo");
        std::fs::create_dir_all(hostile.parent().unwrap()).unwrap();
        with_dep_list(&binary, &list, &hostile);
        let o = ws.cmd().args(["sbom", "--from-binary"]).arg(&hostile).output().unwrap();
        assert_exit(&o, 2, label);
        assert_says(&o, "embedded dependency list");
        let out3 = ws.scratch("out-hostile");
        let o = ws
            .release_cmd(&out3)
            .args(["--dry-run", "--no-build", "--artifact"])
            .arg(&hostile)
            .output()
            .unwrap();
        assert_exit(&o, 2, label);
        assert!(!out3.exists() && !rejected(&out3).exists(), "{label}: something was written");
    }

    // The SBOM no longer has itoa; the shipped binary does.
    ws.edit(
        "Cargo.toml",
        "itoa = \"1\"",
        "itoa = { version = \"1\", optional = true }",
    );
    ws.commit("itoa optional");
    let out4 = ws.scratch("out-tampered");
    let o = ws
        .release_cmd(&out4)
        .args(["--dry-run", "--no-build", "--artifact"])
        .arg(&binary)
        .output()
        .unwrap();
    let gate = assert_rejected(&out4, &o, "sbom-matches-binary");
    assert_eq!(
        gate["facts"]["binaries"][0]["not_in_sbom"],
        serde_json::json!(["itoa@1.0.19 (crates.io)"])
    );
    assert_eq!(
        gate["facts"]["binaries"][0]["not_in_binary"],
        serde_json::json!([])
    );
    let message = rule(&gate, "sbom-matches-binary")["failures"][0]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        message.contains("in the binary but not in the SBOM: itoa@1.0.19 (crates.io)"),
        "{message}"
    );
    let report = std::fs::read_to_string(rejected(&out4).join("report.md")).unwrap();
    assert!(report.contains("itoa@1.0.19 (crates.io)"), "{report}");
}

/// (`key`, sha256) of every resource descriptor in a JSON array.
fn digest_pairs(list: &Value, key: &str) -> Vec<(String, String)> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d[key].as_str().unwrap().to_owned(),
                d["digest"]["sha256"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// The payload of the bundle's `n`th line (0-based) and its envelope line.
fn bundle_statement(bundle: &Path, n: usize) -> (Value, String) {
    let text = std::fs::read_to_string(bundle).unwrap();
    let line = text
        .lines()
        .nth(n)
        .unwrap_or_else(|| panic!("no line {n} in {text}"));
    let env = relgate::provenance::dsse::Envelope::parse(line.as_bytes()).unwrap();
    (json(&env.payload_bytes().unwrap()), line.to_owned())
}

/// A release's bundle is its provenance and the gate's signed verdict (a
/// SLSA VSA v1 naming the provenance line, the SBOMs, gate.json and the
/// schema lock by digest, and the contract as policy); `gate --dir
/// --vsa-key` appends its own verdict, PASSED or FAILED, and the ledger
/// still binds the bundle as released. `relgate verify` and the in-toto
/// reference check every verdict; a verdict signed by another key, one
/// that is inconsistent, or a line of junk is refused.
#[test]
fn the_bundle_carries_signed_verdicts_that_verify_and_the_ledger_still_binds() {
    let ws = Ws::new();
    let out = ws.scratch("rel");
    assert_success(&ws.release(&out, &[]));
    let bundle = out.join("provenance.intoto.jsonl");
    assert_eq!(std::fs::read_to_string(&bundle).unwrap().lines().count(), 2);
    let (provenance, provenance_line) = bundle_statement(&bundle, 0);
    let (vsa, _) = bundle_statement(&bundle, 1);
    assert_eq!(vsa["predicateType"], "https://slsa.dev/verification_summary/v1");
    assert_eq!(vsa["subject"], provenance["subject"]);
    let p = &vsa["predicate"];
    assert_eq!(p["verificationResult"], "PASSED");
    assert_eq!(p["verifiedLevels"], serde_json::json!(["SLSA_BUILD_LEVEL_1"]));
    assert_eq!(p["resourceUri"], "pkg:cargo/demo@0.2.0");
    let gate = read_json(&out.join("gate.json"));
    assert_eq!(p["policy"]["digest"]["sha256"], gate["contract"]["sha256"]);
    let inputs: BTreeSet<(String, String)> =
        digest_pairs(&p["inputAttestations"], "uri").into_iter().collect();
    let listed: std::collections::BTreeMap<String, String> = checksums(&out).into_iter().collect();
    let expected: BTreeSet<(String, String)> = [
        (
            "provenance.intoto.jsonl".to_owned(),
            format!("{:x}", Sha256::digest(provenance_line.as_bytes())),
        ),
        ("sbom.cdx.json".into(), listed["sbom.cdx.json"].clone()),
        ("sbom.spdx.json".into(), listed["sbom.spdx.json"].clone()),
        ("gate.json".into(), listed["gate.json"].clone()),
        (
            "schemas.lock".into(),
            sha256_file(&ws.root().join("schemas.lock")),
        ),
    ]
    .into_iter()
    .collect();
    assert_eq!(inputs, expected);

    let verify = |extra: &[&Path]| -> Output {
        let mut c = ws.cmd();
        c.args(["verify", "--provenance"])
            .arg(&bundle)
            .arg("--key")
            .arg(&ws.public);
        for a in extra {
            c.arg(a);
        }
        c.arg(out.join("notes.txt")).output().unwrap()
    };
    let reference = |b: &Path| python("intoto_interop.py", &[&"verify-vsa", &b, &ws.public]);
    let o = verify(&[]);
    assert_success(&o);
    assert_says(&o, "PASS verification-summary: 1 signed verdict(s)");
    let r = reference(&bundle);
    assert!(r.status.success(), "{}", text(&r));
    assert_says(&r, "verdicts=1 PASSED@");

    // Publish time: a verdict appended; the ledger still binds the bundle.
    let key = ws.key.to_str().unwrap().to_owned();
    let o = ws.gate(&out, &["--vsa-key", &key]);
    assert_success(&o);
    assert_says(&o, "signed verification summary (PASSED) appended");
    assert_eq!(std::fs::read_to_string(&bundle).unwrap().lines().count(), 3);
    let o = ws.gate(&out, &[]);
    assert_success(&o);
    assert_says(&o, "PASS ledger:");
    let o = ws.gate(&out, &["--now", "2099-01-01T00:00:00Z", "--vsa-key", &key]);
    assert_exit(&o, 1, "gate --dir past the ticket's TTL");
    assert_says(&o, "signed verification summary (FAILED) appended");
    let (last, _) = bundle_statement(&bundle, 3);
    assert_eq!(last["predicate"]["verificationResult"], "FAILED");
    assert_eq!(last["predicate"]["verifiedLevels"], serde_json::json!(["FAILED"]));
    assert_eq!(last["predicate"]["timeVerified"], "2099-01-01T00:00:00Z");
    let r = reference(&bundle);
    assert!(r.status.success(), "{}", text(&r));
    assert_says(&r, "verdicts=3");
    // An auditor sees the latest verdict failed; publish-time re-checks
    // reach their own verdict (earlier ones are history).
    let o = verify(&[]);
    assert_exit(&o, 1, "verify with a FAILED latest verdict");
    assert_says(&o, "FAIL verification-summary");
    assert_success(&ws.gate(&out, &[]));
    // The example key signs no verdict on a real release.
    let example = repo().join("keys-example/example.key");
    let o = ws.gate(&out, &["--vsa-key", example.to_str().unwrap()]);
    assert_exit(&o, 2, "the example key as the verdict key");

    // Negative controls, for relgate and the reference alike.
    let released = std::fs::read(&bundle).unwrap();
    let other_keys = ws.scratch("other-keys");
    assert_success(
        &ws.cmd()
            .args(["keygen", "--out-dir"])
            .arg(&other_keys)
            .output()
            .unwrap(),
    );
    let (_, vsa_line) = bundle_statement(&bundle, 1);
    let vsa_payload = relgate::provenance::dsse::Envelope::parse(vsa_line.as_bytes())
        .unwrap()
        .payload_bytes()
        .unwrap();
    let resign = |payload: &[u8], key: &Path| -> Vec<u8> {
        let file = ws.scratch("payload.json");
        std::fs::write(&file, payload).unwrap();
        let env = ws.scratch("env.jsonl");
        let o = python(
            "intoto_interop.py",
            &[&"sign-raw", &key, &"application/vnd.in-toto+json", &file, &env],
        );
        assert!(o.status.success(), "{}", text(&o));
        std::fs::read(&env).unwrap()
    };
    let maybe = String::from_utf8(vsa_payload.clone())
        .unwrap()
        .replace("\"PASSED\"", "\"MAYBE\"");
    for (label, extra) in [
        (
            "a verdict signed by another key",
            resign(&vsa_payload, &other_keys.join("relgate.key")),
        ),
        ("an inconsistent verdict", resign(maybe.as_bytes(), &ws.key)),
    ] {
        let mut bytes = released.clone();
        bytes.extend(extra);
        std::fs::write(&bundle, &bytes).unwrap();
        let o = verify(&[]);
        assert_exit(&o, 1, label);
        assert_says(&o, "FAIL verification-summary");
        assert_exit(&reference(&bundle), 1, &format!("the reference on {label}"));
        assert_exit(&ws.gate(&out, &[]), 1, &format!("gate --dir on {label}"));
    }
    for (junk, says) in [
        (&b"not an envelope\n"[..], "FAIL envelope"),
        // JSON that is no envelope: ignored by the verifier, so the ledger
        // (which binds the bundle as released) is what refuses it.
        (&b"{\"note\":\"appended\"}\n"[..], "FAIL ledger"),
    ] {
        let mut bytes = released.clone();
        bytes.extend(junk);
        std::fs::write(&bundle, &bytes).unwrap();
        let o = ws.gate(&out, &[]);
        assert_exit(&o, 1, "gate --dir on a bundle with a line of junk");
        assert_says(&o, says);
    }
    std::fs::write(&bundle, &released).unwrap();
    assert_success(&ws.gate(&out, &[]));
}

/// `[sbom] profile = "bsi-tr-03183-2"`: the released executable's SHA-512
/// and file properties are in sbom.cdx.json, and `sbom-profile` names every
/// field the SBOM lacks until the package and the contract provide them.
#[test]
fn sbom_profile_names_missing_fields_until_the_release_provides_them() {
    let ws = Ws::new();
    // Any executable will do: the file's kind is read from its magic bytes.
    let exe = ws.scratch("bin/demo-cli");
    std::fs::create_dir_all(exe.parent().unwrap()).unwrap();
    std::fs::copy(Path::new("/bin/true"), &exe).unwrap();
    let base = "version = 1\n[release]\nrun-tests = false\nbaseline = \"none\"\n[invariants.license-allowlist]\nallow = [\"MIT\"]\n[sbom]\nprofile = \"bsi-tr-03183-2\"\n";
    let run = |contract: &str, out: &Path| {
        ws.release_cmd(out)
            .args(["--no-build", "--artifact"])
            .arg(&exe)
            .arg("--key")
            .arg(&ws.key)
            .args(["--contract", contract])
            .output()
            .unwrap()
    };
    let out = ws.scratch("rel-profile");
    let o = run(&ws.contract("profile", base), &out);
    let gate = assert_rejected(&out, &o, "sbom-profile");
    let failures: Vec<&str> = rule(&gate, "sbom-profile")["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        failures,
        [
            "SBOM lacks sbom-creator",
            "demo@0.2.0 lacks creator, source-uri, deployable-uri"
        ],
        "{gate:#}"
    );
    let sbom = std::fs::read(rejected(&out).join("sbom.cdx.json")).unwrap();
    crate::support::validate("cdx-json", &sbom, "release sbom.cdx.json with the bsi profile");
    // TR-03183-2 accepts no SPDX 2: a profiled release writes SPDX 3.0.1 too.
    let spdx3 = std::fs::read(rejected(&out).join("sbom.spdx3.json")).unwrap();
    crate::support::validate(
        "spdx3-json",
        &spdx3,
        "release sbom.spdx3.json with the bsi profile",
    );
    let sbom = json(&sbom);
    let root = &sbom["metadata"]["component"];
    let want: String = sha2::Sha512::digest(std::fs::read(&exe).unwrap())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert!(root["hashes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|h| h["alg"] == "SHA-512" && h["content"] == want.as_str()));
    let props: Vec<(&str, &str)> = root["properties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap(), p["value"].as_str().unwrap()))
        .collect();
    for p in [
        ("bsi:component:filename", "demo-cli"),
        ("bsi:component:executable", "executable"),
        ("bsi:component:archive", "no archive"),
        ("bsi:component:structured", "unstructured"),
    ] {
        assert!(props.contains(&p), "{p:?} not in {props:?}");
    }

    // Without a profile nothing is checked, and the gate says so.
    let out = ws.scratch("rel-no-profile");
    let plain = base.replace("[sbom]\nprofile = \"bsi-tr-03183-2\"\n", "");
    let o = ws.dry_run(&out, &["--contract", &ws.contract("no-profile", &plain)]);
    assert_success(&o);
    let r = rule(&read_json(&out.join("gate.json")), "sbom-profile").clone();
    assert_eq!(r["status"], "skipped", "{r:#}");

    // A creator and a repository in the manifest, a download URL in the contract: the profile is met.
    ws.edit(
        "Cargo.toml",
        "license = \"MIT\"\n",
        "license = \"MIT\"\nauthors = [\"Demo Team <demo@example.com>\"]\nrepository = \"https://github.com/example/demo\"\n",
    );
    ws.commit("creator and repository");
    let full = format!("{base}download-url = \"https://example.com/demo/v{{version}}/{{file}}\"\n");
    let out = ws.scratch("rel-profile-met");
    let o = run(&ws.contract("profile-met", &full), &out);
    assert_success(&o);
    let gate = read_json(&out.join("gate.json"));
    assert_eq!(rule(&gate, "sbom-profile")["status"], "pass", "{gate:#}");
    let bytes = std::fs::read(out.join("sbom.cdx.json")).unwrap();
    assert_eq!(crate::support::bsi_gaps("cdx-json", &bytes), Default::default());
    let spdx3 = std::fs::read(out.join("sbom.spdx3.json")).unwrap();
    assert_eq!(crate::support::bsi_gaps("spdx3-json", &spdx3), Default::default());
    assert!(checksums(&out).iter().any(|(n, _)| n == "sbom.spdx3.json"));
    // Publishable: `gate --dir` binds every file, sbom.spdx3.json included.
    assert_success(&ws.gate(&out, &[]));
    let sbom = json(&bytes);
    let dist: Vec<&Value> = sbom["metadata"]["component"]["externalReferences"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["type"] == "distribution")
        .collect();
    assert_eq!(dist.len(), 1, "{sbom:#}");
    assert_eq!(dist[0]["url"], "https://example.com/demo/v0.2.0/demo-cli");
    assert_eq!(dist[0]["hashes"][0]["content"], want.as_str());
    assert_eq!(
        sbom["metadata"]["manufacturer"]["contact"][0]["email"],
        "demo@example.com"
    );
}
