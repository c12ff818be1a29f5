//! Interoperability with the Python in-toto reference (securesystemslib 1.6,
//! in-toto 3.1, in-toto-attestation 0.9.3; pinned in
//! tests/conformance/requirements.txt) and OpenSSL, via
//! tests/conformance/intoto_interop.py. Fails, never skips, when the
//! reference is missing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::{assert_success, relgate, repo, validator_python};

fn interop(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Output {
    let mut cmd = Command::new(validator_python());
    cmd.arg(repo().join("tests/conformance/intoto_interop.py"));
    for a in args {
        cmd.arg(a);
    }
    cmd.output().unwrap()
}

fn ok(o: &Output, what: &str) {
    assert!(
        o.status.success(),
        "{what}: exit {:?}\n{}{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

struct Setup {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    key: PathBuf,
    public: PathBuf,
    artifacts: Vec<PathBuf>,
}

fn setup() -> Setup {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    assert_success(
        &relgate()
            .args(["keygen", "--out-dir"])
            .arg(dir.join("keys"))
            .output()
            .unwrap(),
    );
    let artifacts = vec![dir.join("app.tar.gz"), dir.join("notes.txt")];
    std::fs::write(&artifacts[0], vec![7u8; 100_000]).unwrap();
    std::fs::write(&artifacts[1], b"release notes\n").unwrap();
    Setup {
        key: dir.join("keys/relgate.key"),
        public: dir.join("keys/relgate.pub"),
        _tmp: tmp,
        dir,
        artifacts,
    }
}

fn relgate_attest(s: &Setup, out: &Path, extra: &[&str]) {
    let o = relgate()
        .arg("attest")
        .arg("--key")
        .arg(&s.key)
        .arg("-o")
        .arg(out)
        .args(extra)
        .arg("--manifest-path")
        .arg(repo().join("Cargo.toml"))
        .args(&s.artifacts)
        .output()
        .unwrap();
    assert_success(&o);
}

fn relgate_verify(bundle: &Path, public: &Path, artifacts: &[PathBuf]) -> Output {
    relgate()
        .arg("verify")
        .arg("--provenance")
        .arg(bundle)
        .arg("--key")
        .arg(public)
        .args(artifacts)
        .output()
        .unwrap()
}

#[test]
fn the_reference_verifies_relgate_envelopes() {
    let s = setup();
    let bundle = s.dir.join("relgate.intoto.jsonl");
    relgate_attest(
        &s,
        &bundle,
        &["--sha512", "--builder-id", "https://ci.example/builder"],
    );
    let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"verify", &bundle, &s.public];
    for a in &s.artifacts {
        args.push(a);
    }
    ok(
        &interop(&args),
        "securesystemslib + in-toto-attestation verify a relgate bundle",
    );

    // And rejects it once an artifact changes.
    std::fs::write(&s.artifacts[1], b"other notes\n").unwrap();
    let o = interop(&args);
    assert_eq!(
        o.status.code(),
        Some(1),
        "the reference accepted a changed artifact"
    );
}

#[test]
fn relgate_verifies_reference_envelopes() {
    let s = setup();
    let bundle = s.dir.join("python.intoto.jsonl");
    let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"sign", &s.key, &bundle];
    for a in &s.artifacts {
        args.push(a);
    }
    ok(&interop(&args), "the reference signs with a relgate key");
    let o = relgate_verify(&bundle, &s.public, &s.artifacts);
    assert_success(&o);
    let (_, other_public) = (0, s.dir.join("other.pub"));
    assert_success(
        &relgate()
            .args(["keygen", "--name", "other", "--out-dir"])
            .arg(&s.dir)
            .output()
            .unwrap(),
    );
    assert_eq!(
        relgate_verify(&bundle, &other_public, &s.artifacts).status.code(),
        Some(1)
    );
}

#[test]
fn signatures_and_keyids_are_byte_identical_to_the_reference() {
    let s = setup();
    let bundle = s.dir.join("relgate.intoto.jsonl");
    relgate_attest(&s, &bundle, &[]);
    let env: relgate::provenance::dsse::Envelope =
        serde_json::from_slice(std::fs::read(&bundle).unwrap().trim_ascii_end()).unwrap();
    let payload = s.dir.join("payload.bin");
    std::fs::write(&payload, env.payload_bytes().unwrap()).unwrap();
    let raw = s.dir.join("raw.json");
    ok(
        &interop(&[
            &"sign-raw",
            &s.key,
            &"application/vnd.in-toto+json",
            &payload,
            &raw,
        ]),
        "sign-raw",
    );
    let reference: serde_json::Value = serde_json::from_slice(&std::fs::read(&raw).unwrap()).unwrap();
    assert_eq!(reference["payload"], env.payload);
    assert_eq!(
        reference["signatures"][0]["sig"], env.signatures[0].sig,
        "Ed25519 is deterministic: same bytes"
    );
    assert_eq!(reference["signatures"][0]["keyid"], env.signatures[0].keyid);

    let keyid = interop(&[&"keyid", &s.public]);
    ok(&keyid, "keyid");
    assert_eq!(
        String::from_utf8_lossy(&keyid.stdout).trim(),
        env.signatures[0].keyid
    );
}

#[test]
fn relgate_key_files_load_in_openssl_pyca_and_in_toto() {
    let s = setup();
    ok(
        &interop(&[&"load-private", &s.key]),
        "pyca/cryptography and the in-toto loader read the private key",
    );
    let o = Command::new("openssl")
        .args(["pkey", "-noout", "-in"])
        .arg(&s.key)
        .output()
        .expect("openssl");
    ok(&o, "openssl pkey reads the private key");
    let o = Command::new("openssl")
        .args(["pkey", "-pubin", "-noout", "-in"])
        .arg(&s.public)
        .output()
        .expect("openssl");
    ok(&o, "openssl pkey reads the public key");
}

#[test]
fn the_example_keys_are_a_valid_pair() {
    let key = repo().join("keys-example/example.key");
    let public = repo().join("keys-example/example.pub");
    let text = std::fs::read_to_string(&key).unwrap();
    let private = relgate::provenance::keys::PrivateKey::from_pem(&text).unwrap();
    let public =
        relgate::provenance::keys::PublicKey::from_pem(&std::fs::read_to_string(public).unwrap()).unwrap();
    assert_eq!(private.public(), public);
    ok(
        &interop(&[&"load-private", &key]),
        "example key loads in the reference",
    );
}

/// `node tests/conformance/sigstore_verify.cjs BUNDLE PUB KEYID` (sigstore-js's
/// @sigstore/verify, pinned in tests/conformance/npm; `cargo xtask test`
/// installs it). Fails, never skips, without node or the package.
pub fn sigstore_js(bundle: &Path, public: &Path, keyid: &str) -> Output {
    let script = repo().join("tests/conformance/sigstore_verify.cjs");
    let module = repo().join("tests/conformance/npm/node_modules/@sigstore/verify");
    assert!(
        module.is_dir(),
        "{} is missing: run `cargo xtask test`, which runs npm ci in tests/conformance/npm",
        module.display()
    );
    Command::new("node")
        .arg(script)
        .arg(bundle)
        .arg(public)
        .arg(keyid)
        .output()
        .expect("node is required for the sigstore-js interop test")
}

/// `attest --sigstore` writes a Sigstore bundle v0.3 that sigstore-js
/// verifies with the public key alone (no transparency log, thresholds of
/// zero) and rejects once one payload bit flips; relgate verifies the
/// bundle in the v0.3 and v0.2 layouts like the `.intoto.jsonl`, and
/// refuses a bundle without a DSSE envelope as unusable input.
#[test]
fn sigstore_js_verifies_relgate_sigstore_bundles_and_rejects_a_flipped_bit() {
    let s = setup();
    let jsonl = s.dir.join("relgate.intoto.jsonl");
    let bundle = s.dir.join("relgate.sigstore.json");
    let bundle_arg = bundle.to_str().unwrap().to_owned();
    relgate_attest(&s, &jsonl, &["--sigstore", &bundle_arg]);
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&bundle).unwrap()).unwrap();
    assert_eq!(doc["mediaType"], "application/vnd.dev.sigstore.bundle.v0.3+json");
    let envelope: serde_json::Value =
        serde_json::from_slice(std::fs::read(&jsonl).unwrap().trim_ascii_end()).unwrap();
    assert_eq!(
        doc["dsseEnvelope"], envelope,
        "the same envelope as the .intoto.jsonl"
    );
    let keyid = envelope["signatures"][0]["keyid"].as_str().unwrap().to_owned();
    assert_eq!(doc["verificationMaterial"]["publicKey"]["hint"], keyid.as_str());

    ok(
        &sigstore_js(&bundle, &s.public, &keyid),
        "sigstore-js verifies relgate's bundle",
    );
    ok(
        &relgate_verify(&bundle, &s.public, &s.artifacts),
        "relgate verifies its Sigstore bundle",
    );
    let other = s.dir.join("other-keys");
    assert_success(
        &relgate()
            .args(["keygen", "--out-dir"])
            .arg(&other)
            .output()
            .unwrap(),
    );
    assert_eq!(
        sigstore_js(&bundle, &other.join("relgate.pub"), &keyid)
            .status
            .code(),
        Some(1),
        "sigstore-js accepted another key"
    );

    // One payload bit flipped: both refuse it.
    let mut flipped = doc.clone();
    let mut payload =
        relgate::provenance::dsse::decode_base64(doc["dsseEnvelope"]["payload"].as_str().unwrap()).unwrap();
    payload[10] ^= 1;
    use base64::Engine;
    flipped["dsseEnvelope"]["payload"] = base64::engine::general_purpose::STANDARD.encode(&payload).into();
    let flipped_path = s.dir.join("flipped.sigstore.json");
    std::fs::write(&flipped_path, serde_json::to_vec(&flipped).unwrap()).unwrap();
    let o = sigstore_js(&flipped_path, &s.public, &keyid);
    assert_eq!(
        o.status.code(),
        Some(1),
        "sigstore-js accepted a flipped bit: {}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert_eq!(
        relgate_verify(&flipped_path, &s.public, &s.artifacts)
            .status
            .code(),
        Some(1)
    );

    // The v0.2 layout reads too; a message-signature bundle is not an attestation.
    let mut v02 = doc.clone();
    v02["mediaType"] = "application/vnd.dev.sigstore.bundle+json;version=0.2".into();
    let v02_path = s.dir.join("v02.sigstore.json");
    std::fs::write(&v02_path, serde_json::to_vec(&v02).unwrap()).unwrap();
    ok(
        &relgate_verify(&v02_path, &s.public, &s.artifacts),
        "relgate verifies a v0.2 bundle",
    );
    let mut message = doc.clone();
    let obj = message.as_object_mut().unwrap();
    obj.remove("dsseEnvelope");
    obj.insert(
        "messageSignature".into(),
        serde_json::json!({"messageDigest": {"algorithm": "SHA2_256", "digest": "AA=="}, "signature": "AA=="}),
    );
    let message_path = s.dir.join("message.sigstore.json");
    std::fs::write(&message_path, serde_json::to_vec(&message).unwrap()).unwrap();
    let o = relgate_verify(&message_path, &s.public, &s.artifacts);
    assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("message signature"));
}
