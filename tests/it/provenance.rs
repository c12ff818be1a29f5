//! keygen / attest / countersign / verify through the binary, the spec's
//! statement cases, and a tamper property test through the library.

use std::path::{Path, PathBuf};
use std::process::Output;

use base64::Engine;
use proptest::prelude::*;
use relgate::provenance::dsse::{Envelope, IN_TOTO};
use relgate::provenance::keys::{PrivateKey, PublicKey};
use relgate::provenance::statement::{self, Params, Subject};
use relgate::provenance::verify::{verify, Policy, Status};

use crate::support::{assert_success, relgate, repo};

struct Dir {
    tmp: tempfile::TempDir,
}

impl Dir {
    fn new() -> Dir {
        Dir {
            tmp: tempfile::Builder::new()
                .prefix("relgate-prov-")
                .tempdir()
                .unwrap(),
        }
    }
    fn path(&self, p: &str) -> PathBuf {
        self.tmp.path().join(p)
    }
    fn file(&self, name: &str, content: &[u8]) -> PathBuf {
        let p = self.path(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, content).unwrap();
        p
    }
    fn keygen(&self, name: &str) -> (PathBuf, PathBuf) {
        let out = relgate()
            .args(["keygen", "--out-dir"])
            .arg(self.path("keys"))
            .args(["--name", name])
            .output()
            .unwrap();
        assert_success(&out);
        (
            self.path(&format!("keys/{name}.key")),
            self.path(&format!("keys/{name}.pub")),
        )
    }
}

fn run(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Output {
    let mut cmd = relgate();
    for a in args {
        cmd.arg(a);
    }
    cmd.output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn attest(key: &Path, out: &Path, extra: &[&str], artifacts: &[&Path]) -> Output {
    let mut cmd = relgate();
    cmd.arg("attest")
        .arg("--key")
        .arg(key)
        .arg("-o")
        .arg(out)
        .args(extra);
    cmd.arg("--manifest-path")
        .arg(repo().join("fixtures/minimal/Cargo.toml"));
    cmd.args(artifacts);
    cmd.output().unwrap()
}

fn verify_cli(bundle: &Path, keys: &[&Path], extra: &[&str], artifacts: &[&Path]) -> Output {
    let mut cmd = relgate();
    cmd.arg("verify").arg("--provenance").arg(bundle);
    for k in keys {
        cmd.arg("--key").arg(k);
    }
    cmd.args(extra).args(artifacts);
    cmd.output().unwrap()
}

#[test]
fn keygen_writes_a_private_key_only_its_owner_can_read() {
    use std::os::unix::fs::PermissionsExt;
    let d = Dir::new();
    let (key, public) = d.keygen("ci");
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let pem = std::fs::read_to_string(&key).unwrap();
    assert!(
        pem.starts_with("-----BEGIN PRIVATE KEY-----\n") && pem.len() < 130,
        "PKCS#8 v1: {pem}"
    );
    assert!(std::fs::read_to_string(&public)
        .unwrap()
        .starts_with("-----BEGIN PUBLIC KEY-----"));
    // OpenSSL reads both (PKCS#8 v2 would be rejected by OpenSSL 3.0).
    for (f, args) in [
        (&key, vec!["pkey", "-noout", "-in"]),
        (&public, vec!["pkey", "-pubin", "-noout", "-in"]),
    ] {
        let o = std::process::Command::new("openssl")
            .args(args)
            .arg(f)
            .output()
            .expect("openssl on PATH");
        assert!(
            o.status.success(),
            "openssl rejected {}: {}",
            f.display(),
            String::from_utf8_lossy(&o.stderr)
        );
    }
    // Never overwrites.
    let again = relgate()
        .args(["keygen", "--out-dir"])
        .arg(d.path("keys"))
        .args(["--name", "ci"])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
}

#[test]
fn attest_then_verify_with_every_policy_check() {
    let d = Dir::new();
    let (key, public) = d.keygen("k");
    let a = d.file("a.bin", b"artifact a");
    let dir_file = d.file("dist/b.bin", b"artifact b");
    let bundle = d.path("p.intoto.jsonl");
    let o = attest(
        &key,
        &bundle,
        &[
            "--builder-id",
            "https://ci.example/b",
            "--source-uri",
            "https://github.com/example/x",
            "--invocation-id",
            "inv-1",
        ],
        &[&a, &d.path("dist")],
    );
    assert_success(&o);
    let ok = verify_cli(
        &bundle,
        &[&public],
        &[
            "--builder-id",
            "https://ci.example/b",
            "--source-uri",
            "https://github.com/example/x",
            "--max-age",
            "1h",
        ],
        &[&a, &dir_file],
    );
    assert_success(&ok);
    assert!(stdout(&ok).ends_with("verified\n"), "{}", stdout(&ok));

    // --format json: a verdict object with every check.
    let json = verify_cli(&bundle, &[&public], &["--format", "json"], &[&a]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["verified"], true);
    let ids: Vec<&str> = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "envelope",
            "payload-type",
            "signature",
            "statement",
            "subjects",
            "predicate-type",
            "builder-id",
            "source",
            "external-parameters",
            "max-age",
            "replay",
            "verification-summary"
        ]
    );

    // --print-statement prints exactly the signed payload.
    let printed = verify_cli(&bundle, &[&public], &["--print-statement"], &[&a]);
    assert_success(&printed);
    let env: Envelope = serde_json::from_slice(std::fs::read(&bundle).unwrap().trim_ascii_end()).unwrap();
    let mut payload = env.payload_bytes().unwrap();
    payload.push(b'\n');
    assert_eq!(printed.stdout, payload);
    let st: serde_json::Value = serde_json::from_slice(&env.payload_bytes().unwrap()).unwrap();
    assert_eq!(st["predicate"]["runDetails"]["metadata"]["invocationId"], "inv-1");
    assert_eq!(
        st["predicate"]["buildDefinition"]["externalParameters"]["source"]["uri"],
        "https://github.com/example/x"
    );
    let names: Vec<&str> = st["subject"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["a.bin", "dist/b.bin"]);
}

#[test]
fn each_failed_check_is_named() {
    let d = Dir::new();
    let (key, public) = d.keygen("k");
    let (_, other_public) = d.keygen("other");
    let a = d.file("a.bin", b"artifact a");
    let bundle = d.path("p.intoto.jsonl");
    assert_success(&attest(
        &key,
        &bundle,
        &["--builder-id", "https://ci.example/b", "--invocation-id", "inv-7"],
        &[&a],
    ));
    let ledger = d.file(
        "ledger.jsonl",
        b"{\"version\":\"0.1.0\",\"invocation_id\":\"inv-7\"}\n",
    );
    let cases: Vec<(Vec<&Path>, Vec<&str>, &str)> = vec![
        (vec![&other_public], vec![], "signature"),
        (
            vec![&public],
            vec!["--builder-id", "https://evil.example"],
            "builder-id",
        ),
        (
            vec![&public],
            vec!["--source-uri", "https://github.com/other/repo"],
            "source",
        ),
        (vec![&public], vec!["--max-age", "0s"], "max-age"),
        (
            vec![&public],
            vec!["--ledger", ledger.to_str().unwrap()],
            "replay",
        ),
        (
            vec![&public, &other_public],
            vec!["--threshold", "2"],
            "signature",
        ),
    ];
    for (keys, extra, failed) in cases {
        let mut extra = extra;
        if failed == "max-age" {
            std::thread::sleep(std::time::Duration::from_millis(1100));
        }
        extra.extend(["--format", "json"]);
        let o = verify_cli(&bundle, &keys, &extra, &[&a]);
        assert_eq!(o.status.code(), Some(1), "{failed}: {}", stdout(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert!(
            v["failed"].as_array().unwrap().iter().any(|f| f == failed),
            "{failed} not named: {v}"
        );
        assert_eq!(v["verified"], false);
    }
    // A changed artifact.
    std::fs::write(&a, b"artifact A").unwrap();
    let o = verify_cli(&bundle, &[&public], &[], &[&a]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("FAIL subjects"), "{}", stdout(&o));
}

#[test]
fn several_signers_meet_a_threshold_of_distinct_keys() {
    let d = Dir::new();
    let (k1, p1) = d.keygen("one");
    let (k2, p2) = d.keygen("two");
    let (k3, p3) = d.keygen("three");
    let a = d.file("a.bin", b"x");
    let bundle = d.path("p.intoto.jsonl");
    let o = relgate()
        .arg("attest")
        .args([
            "--key".as_ref(),
            k1.as_os_str(),
            "--key".as_ref(),
            k2.as_os_str(),
            "-o".as_ref(),
            bundle.as_os_str(),
        ])
        .arg(&a)
        .output()
        .unwrap();
    assert_success(&o);
    assert_success(&verify_cli(
        &bundle,
        &[&p1, &p2, &p3],
        &["--threshold", "2"],
        &[&a],
    ));
    assert_eq!(
        verify_cli(&bundle, &[&p1, &p2, &p3], &["--threshold", "3"], &[&a])
            .status
            .code(),
        Some(1)
    );
    // A third signer countersigns later, on another machine.
    assert_success(&run(&[&"countersign", &"--key", &k3, &bundle]));
    assert_success(&verify_cli(
        &bundle,
        &[&p1, &p2, &p3],
        &["--threshold", "3"],
        &[&a],
    ));
    // The same key signing twice still counts once.
    assert_success(&run(&[&"countersign", &"--key", &k3, &bundle]));
    let o = verify_cli(&bundle, &[&p3], &["--format", "json"], &[&a]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let sig = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "signature")
        .unwrap();
    assert!(sig["detail"].as_str().unwrap().starts_with("1 of 1"), "{sig}");
    // More keys required than given is a usage error.
    assert_eq!(
        verify_cli(&bundle, &[&p1], &["--threshold", "2"], &[&a])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn signing_key_from_the_environment_and_permission_warning() {
    use std::os::unix::fs::PermissionsExt;
    let d = Dir::new();
    let (key, public) = d.keygen("k");
    let a = d.file("a.bin", b"x");
    let bundle = d.path("p.intoto.jsonl");
    let o = relgate()
        .env("RELGATE_SIGNING_KEY", std::fs::read_to_string(&key).unwrap())
        .arg("attest")
        .arg("-o")
        .arg(&bundle)
        .arg(&a)
        .output()
        .unwrap();
    assert_success(&o);
    assert!(
        !String::from_utf8_lossy(&o.stderr).contains("PRIVATE KEY"),
        "key material in output"
    );
    assert_success(&verify_cli(&bundle, &[&public], &[], &[&a]));

    let none = relgate()
        .env_remove("RELGATE_SIGNING_KEY")
        .arg("attest")
        .arg("-o")
        .arg(&bundle)
        .arg(&a)
        .output()
        .unwrap();
    assert_eq!(none.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&none.stderr).contains("no signing key"));

    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let o = attest(&key, &bundle, &[], &[&a]);
    assert_success(&o);
    assert!(String::from_utf8_lossy(&o.stderr).contains("readable by group or others"));
}

#[test]
fn unusable_input_is_exit_2_never_a_verdict() {
    let d = Dir::new();
    let (key, public) = d.keygen("k");
    let a = d.file("a.bin", b"x");
    let bundle = d.path("p.intoto.jsonl");
    assert_success(&attest(&key, &bundle, &[], &[&a]));
    let env: serde_json::Value = serde_json::from_slice(&std::fs::read(&bundle).unwrap()).unwrap();
    let mut bad_b64 = env.clone();
    bad_b64["payload"] = "%%%not base64%%%".into();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("not JSON", b"hello".to_vec()),
        ("no envelope", b"{\"a\":1}\n".to_vec()),
        ("bad base64", serde_json::to_vec(&bad_b64).unwrap()),
        ("empty", Vec::new()),
    ];
    for (what, bytes) in cases {
        let f = d.file("bad.jsonl", &bytes);
        let o = verify_cli(&f, &[&public], &[], &[&a]);
        assert_eq!(
            o.status.code(),
            Some(2),
            "{what}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(String::from_utf8_lossy(&o.stderr).contains("hint:"), "{what}");
    }
    let o = verify_cli(&d.path("missing.jsonl"), &[&public], &[], &[&a]);
    assert_eq!(o.status.code(), Some(2));
    let o = verify_cli(&bundle, &[&key], &[], &[&a]);
    assert_eq!(o.status.code(), Some(2), "a private key passed as a public key");
    let secret = std::fs::read_to_string(&key).unwrap();
    let body = secret.lines().nth(1).unwrap();
    assert!(
        !String::from_utf8_lossy(&o.stderr).contains(body),
        "key material echoed"
    );
    let o = verify_cli(&bundle, &[&public], &[], &[&d.path("missing.bin")]);
    assert_eq!(o.status.code(), Some(2));
    let o = verify_cli(&bundle, &[&public], &["--max-age", "soon"], &[&a]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn checksums_file_subjects_are_rechecked() {
    let d = Dir::new();
    let (key, public) = d.keygen("k");
    let a = d.file("rel/a.bin", b"aaa");
    let b = d.file("rel/b.bin", b"bbb");
    let hash = |p: &Path| relgate::collect::artifacts::sha256_file(p).unwrap();
    let checksums = d.file(
        "rel/checksums.txt",
        format!("{}  a.bin\n{}  b.bin\n", hash(&a), hash(&b)).as_bytes(),
    );
    let bundle = d.path("p.intoto.jsonl");
    let o = relgate()
        .arg("attest")
        .arg("--key")
        .arg(&key)
        .arg("--checksums")
        .arg(&checksums)
        .arg("-o")
        .arg(&bundle)
        .output()
        .unwrap();
    assert_success(&o);
    assert_success(&verify_cli(&bundle, &[&public], &[], &[&a, &b]));
    // A line that no longer matches its file is refused: nothing unhashed is signed.
    std::fs::write(&b, b"changed").unwrap();
    let o = relgate()
        .arg("attest")
        .arg("--key")
        .arg(&key)
        .arg("--checksums")
        .arg(&checksums)
        .arg("-o")
        .arg(&bundle)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("b.bin"));
}

// ---- library level: statement cases from the in-toto attestation spec, and tampering ----

fn test_key() -> PrivateKey {
    PrivateKey::from_seed([42; 32])
}

fn artifact() -> Subject {
    relgate::collect::artifacts::digest_file(
        &repo().join("fixtures/minimal/Cargo.toml"),
        "Cargo.toml".into(),
        false,
    )
    .unwrap()
}

fn policy() -> Policy {
    Policy {
        threshold: 1,
        now: 1_700_000_100,
        ..Policy::default()
    }
}

fn signed(statement: &serde_json::Value) -> Vec<u8> {
    let payload = serde_json::to_vec(statement).unwrap();
    Envelope::sign(IN_TOTO, &payload, &[&test_key()])
        .to_json_line()
        .into_bytes()
}

fn statement_with(kind: &str) -> serde_json::Value {
    serde_json::json!({
        "_type": kind,
        "subject": [{"name": "Cargo.toml", "digest": {"sha256": artifact().sha256}}],
        "predicateType": statement::SLSA_PROVENANCE_V1,
        "predicate": {
            "buildDefinition": {"buildType": statement::BUILD_TYPE, "externalParameters": {"workspace": "Cargo.toml"}},
            "runDetails": {"builder": {"id": "urn:b"}, "metadata": {"invocationId": "i", "finishedOn": "2023-11-14T22:13:20Z"}}
        }
    })
}

/// The in-toto attestation spec's valid and invalid statements
/// (go/v1/statement_test.go cases, written from the spec as our own fixtures).
#[test]
fn statement_cases_from_the_attestation_spec() {
    let keys = [test_key().public()];
    let verdict = |st: &serde_json::Value| verify(&signed(st), &keys, &[artifact()], &policy()).unwrap();
    let failed = |st: &serde_json::Value| verdict(st).failed();

    assert!(
        verdict(&statement_with(statement::STATEMENT_V1)).verified(),
        "valid v1"
    );
    assert!(
        verdict(&statement_with(statement::STATEMENT_V01)).verified(),
        "valid v0.1 (GitHub's generators)"
    );
    assert_eq!(
        failed(&statement_with("https://in-toto.io/Statement/v2")),
        ["statement"],
        "unknown _type"
    );
    assert_eq!(
        failed(&statement_with("https://example.com/Statement/v1")),
        ["statement"],
        "bad _type"
    );
    let mut st = statement_with(statement::STATEMENT_V1);
    st["subject"] = serde_json::json!([]);
    assert_eq!(failed(&st), ["subjects"], "empty subject list");
    let mut st = statement_with(statement::STATEMENT_V1);
    st["subject"] = serde_json::json!([{"name": "Cargo.toml"}]);
    assert_eq!(failed(&st), ["subjects"], "subject without digest");
    let mut st = statement_with(statement::STATEMENT_V1);
    st.as_object_mut().unwrap().remove("predicateType");
    assert_eq!(failed(&st), ["predicate-type"], "missing predicateType");
    let mut st = statement_with(statement::STATEMENT_V1);
    st["predicateType"] = "https://slsa.dev/provenance/v0.2".into();
    assert_eq!(failed(&st), ["predicate-type"], "other predicate");
    let mut st = statement_with(statement::STATEMENT_V1);
    st["predicate"]["buildDefinition"]["externalParameters"]["surprise"] = true.into();
    assert_eq!(failed(&st), ["external-parameters"], "unknown external parameter");
    let not_an_object = Envelope::sign(IN_TOTO, b"[1,2]", &[&test_key()]).to_json_line();
    let v = verify(not_an_object.as_bytes(), &keys, &[artifact()], &policy()).unwrap();
    assert_eq!(v.failed(), ["statement"]);
    // Unknown fields are ignored (monotonic principle: ignoring them never allows more).
    let mut st = statement_with(statement::STATEMENT_V1);
    st["extra_field"] = 1.into();
    assert!(verdict(&st).verified());
    // Other payload types are refused even when signed.
    let other = Envelope::sign(
        "text/plain",
        &serde_json::to_vec(&statement_with(statement::STATEMENT_V1)).unwrap(),
        &[&test_key()],
    );
    let v = verify(other.to_json_line().as_bytes(), &keys, &[artifact()], &policy()).unwrap();
    assert!(v.failed().contains(&"payload-type"));
    assert!(v
        .checks
        .iter()
        .filter(|c| c.id == "subjects")
        .all(|c| c.status == Status::Skipped));
}

/// A real statement as attest writes it.
fn real_bundle() -> (Vec<u8>, PublicKey) {
    let a = artifact();
    let params = Params {
        subjects: vec![a],
        builder_id: "urn:b".into(),
        invocation_id: "urn:uuid:1".into(),
        source_uri: Some("https://github.com/example/x".into()),
        source_ref: Some("refs/tags/v1".into()),
        commit: Some("0".repeat(40)),
        workspace: "Cargo.toml".into(),
        profile: "release".into(),
        features: vec![],
        target: "x86_64-unknown-linux-gnu".into(),
        lock_sha256: Some("1".repeat(64)),
        rustc_version: "1.95.0".into(),
        relgate_version: "0".into(),
        started_on: 1_700_000_000,
        finished_on: 1_700_000_001,
        parts: Vec::new(),
    };
    let payload = statement::payload(&params).unwrap();
    let key = test_key();
    (
        Envelope::sign(IN_TOTO, &payload, &[&key])
            .to_json_line()
            .into_bytes(),
        key.public(),
    )
}

#[derive(Debug, Clone)]
enum Tamper {
    Payload(usize, u8),
    PayloadType(usize, u8),
    Signature(usize, u8),
    Keyid(usize, u8),
    Artifact(usize, u8),
    RawByte(usize, u8),
}

fn tamper() -> impl Strategy<Value = Tamper> {
    let flip = (any::<usize>(), 1u8..=255);
    prop_oneof![
        flip.clone().prop_map(|(i, x)| Tamper::Payload(i, x)),
        flip.clone().prop_map(|(i, x)| Tamper::PayloadType(i, x)),
        flip.clone().prop_map(|(i, x)| Tamper::Signature(i, x)),
        flip.clone().prop_map(|(i, x)| Tamper::Keyid(i, x)),
        flip.clone().prop_map(|(i, x)| Tamper::Artifact(i, x)),
        flip.prop_map(|(i, x)| Tamper::RawByte(i, x)),
    ]
}

fn flip_ascii(s: &str, i: usize, x: u8) -> String {
    let mut b = s.as_bytes().to_vec();
    let i = i % b.len();
    // Stay printable ASCII so the envelope is still JSON: the change must be caught by verification.
    b[i] = b' ' + ((b[i] - b' ' + (x % 94).max(1)) % 95);
    String::from_utf8(b).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    /// Any change to what was signed, to the signature or keyid, or to the
    /// artifact is a failed verification or unusable input. A raw byte flip
    /// that leaves everything signed intact (e.g. the key `"keyid"` becomes an
    /// unknown field, so the signature simply has no keyid hint) may still
    /// verify — but then only the original statement, byte for byte: nothing
    /// unsigned is ever accepted.
    #[test]
    fn tampering_never_verifies(t in tamper()) {
        let (bundle, public) = real_bundle();
        let mut env: Envelope = serde_json::from_slice(bundle.trim_ascii_end()).unwrap();
        let mut artifacts = vec![artifact()];
        let b64 = base64::engine::general_purpose::STANDARD;
        let tampered: Vec<u8> = match t {
            Tamper::Payload(i, x) => {
                let mut p = env.payload_bytes().unwrap();
                let n = p.len();
                p[i % n] ^= x;
                env.payload = b64.encode(p);
                serde_json::to_vec(&env).unwrap()
            }
            Tamper::PayloadType(i, x) => {
                env.payload_type = flip_ascii(&env.payload_type, i, x);
                serde_json::to_vec(&env).unwrap()
            }
            Tamper::Signature(i, x) => {
                let mut s = b64.decode(&env.signatures[0].sig).unwrap();
                let n = s.len();
                s[i % n] ^= x;
                env.signatures[0].sig = b64.encode(s);
                serde_json::to_vec(&env).unwrap()
            }
            Tamper::Keyid(i, x) => {
                env.signatures[0].keyid = flip_ascii(&env.signatures[0].keyid, i, x);
                serde_json::to_vec(&env).unwrap()
            }
            Tamper::Artifact(i, x) => {
                let mut content = std::fs::read(repo().join("fixtures/minimal/Cargo.toml")).unwrap();
                let n = content.len();
                content[i % n] ^= x;
                let dir = tempfile::tempdir().unwrap();
                let f = dir.path().join("Cargo.toml");
                std::fs::write(&f, content).unwrap();
                artifacts = vec![relgate::collect::artifacts::digest_file(&f, "Cargo.toml".into(), false).unwrap()];
                bundle.clone()
            }
            Tamper::RawByte(i, x) => {
                let mut b = bundle.clone();
                let n = b.len() - 1; // keep the final newline
                b[i % n] ^= x;
                b
            }
        };
        let raw = matches!(t, Tamper::RawByte(..));
        let original: Envelope = serde_json::from_slice(real_bundle().0.trim_ascii_end()).unwrap();
        match verify(&tampered, &[public], &artifacts, &policy()) {
            Err(_) => {} // unusable input: exit 2
            Ok(v) if raw && v.verified() => {
                let signed = original.payload_bytes().unwrap();
                prop_assert_eq!(v.statement.as_deref(), Some(signed.as_slice()));
            }
            Ok(v) => prop_assert!(!v.verified(), "tampered bundle verified: {:?}", v.checks),
        }
    }
}

/// The case the property test found: the key `"keyid"` renamed. The hint is
/// gone, the signed bytes are not: it verifies, as the same statement.
#[test]
fn a_lost_keyid_hint_still_verifies_the_same_statement() {
    let (bundle, public) = real_bundle();
    let text = String::from_utf8(bundle.clone())
        .unwrap()
        .replacen("\"keyid\"", "\"keyie\"", 1);
    let v = verify(text.as_bytes(), &[public], &[artifact()], &policy()).unwrap();
    assert!(v.verified());
    let original: Envelope = serde_json::from_slice(bundle.trim_ascii_end()).unwrap();
    assert_eq!(v.statement.unwrap(), original.payload_bytes().unwrap());
}

#[test]
fn the_untampered_bundle_verifies() {
    // The property above is only meaningful if the original passes.
    let (bundle, public) = real_bundle();
    let v = verify(&bundle, &[public], &[artifact()], &policy()).unwrap();
    assert!(v.verified(), "{:?}", v.checks);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    /// Through the binary: a flipped byte anywhere in the bundle, or in the
    /// artifact, exits 1 (failed verification) or 2 (undecodable). Exit 0 only
    /// where nothing signed changed (see `tampering_never_verifies`): then the
    /// verified statement is the original one.
    #[test]
    fn tampering_through_the_cli_exits_1_or_2(in_bundle in any::<bool>(), pos in any::<usize>(), x in 1u8..=255) {
        let (bundle, public) = real_bundle();
        let d = Dir::new();
        let public_file = d.file("k.pub", public.to_pem().as_bytes());
        let mut artifact = std::fs::read(repo().join("fixtures/minimal/Cargo.toml")).unwrap();
        let mut bundle = bundle;
        if in_bundle {
            let n = bundle.len() - 1;
            bundle[pos % n] ^= x;
        } else {
            let n = artifact.len();
            artifact[pos % n] ^= x;
        }
        let bundle_file = d.file("p.intoto.jsonl", &bundle);
        let artifact_file = d.file("Cargo.toml", &artifact);
        let o = verify_cli(&bundle_file, &[&public_file], &["--print-statement"], &[&artifact_file]);
        let code = o.status.code();
        if code == Some(0) {
            let original: Envelope = serde_json::from_slice(real_bundle().0.trim_ascii_end()).unwrap();
            let mut expected = original.payload_bytes().unwrap();
            expected.push(b'\n');
            prop_assert!(in_bundle, "a changed artifact verified");
            prop_assert_eq!(o.stdout, expected, "a tampered bundle verified another statement");
            return Ok(());
        }
        prop_assert!(code == Some(1) || code == Some(2), "exit {:?}: {}", code, stdout(&o));
        if code == Some(1) {
            prop_assert!(String::from_utf8_lossy(&o.stderr).contains("FAIL "), "a failure must be named: {}", String::from_utf8_lossy(&o.stderr));
        }
    }
}
