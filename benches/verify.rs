//! The non-hashing part of `relgate verify`, in microseconds: parse the
//! bundle, decode, check the Ed25519 signature over PAE, parse the verified
//! statement and apply every policy check. Artifact digests are precomputed
//! (hashing is measured against sha256sum by `cargo xtask bench verify`).
//!
//! Run: `cargo bench --bench verify` (prints p50 / p95 / p99 over 5000 runs).

// A benchmark reports on stdout.
#![allow(clippy::disallowed_macros)]

use std::time::Instant;

use relgate::provenance::dsse::{Envelope, IN_TOTO};
use relgate::provenance::keys::{PrivateKey, PublicKey};
use relgate::provenance::statement::{payload, Params, Subject};
use relgate::provenance::verify::{verify, Policy};

fn main() {
    const RUNS: usize = 5000;
    let key = PrivateKey::from_seed([3; 32]);
    let public_pem = key.public().to_pem();
    // A release-sized statement: one large artifact and twenty small files.
    let subjects: Vec<Subject> = (0..21)
        .map(|i| Subject {
            name: format!("dist/file-{i:02}"),
            sha256: format!("{i:064x}"),
            sha512: None,
        })
        .collect();
    let params = Params {
        subjects: subjects.clone(),
        builder_id: "https://ci.example/builder".into(),
        invocation_id: "urn:uuid:00000000-0000-4000-8000-000000000001".into(),
        source_uri: Some("https://github.com/example/project".into()),
        source_ref: Some("refs/tags/v1.0.0".into()),
        commit: Some("a".repeat(40)),
        workspace: "Cargo.toml".into(),
        profile: "release".into(),
        features: vec![],
        target: "x86_64-unknown-linux-gnu".into(),
        lock_sha256: Some("b".repeat(64)),
        rustc_version: "1.95.0".into(),
        relgate_version: env!("CARGO_PKG_VERSION").into(),
        started_on: 1_700_000_000,
        finished_on: 1_700_000_060,
        parts: Vec::new(),
    };
    let statement = payload(&params).expect("statement");
    let bundle = Envelope::sign(IN_TOTO, &statement, &[&key])
        .to_json_line()
        .into_bytes();
    let policy = Policy {
        threshold: 1,
        builder_ids: vec!["https://ci.example/builder".into()],
        source_uri: Some("https://github.com/example/project".into()),
        max_age: Some(86_400),
        seen_invocations: Some(Default::default()),
        now: 1_700_000_100,
        summaries_as_history: false,
    };

    let mut samples = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let t = Instant::now();
        let keys = [PublicKey::from_pem(&public_pem).expect("key")];
        let verdict = verify(&bundle, &keys, &subjects, &policy).expect("usable");
        assert!(verdict.verified(), "{:?}", verdict.checks);
        samples.push(t.elapsed().as_secs_f64() * 1e6);
    }
    samples.sort_by(f64::total_cmp);
    let pct = |p: f64| samples[((samples.len() as f64 * p) as usize).min(samples.len() - 1)];
    println!(
        "verify without hashing ({RUNS} runs, {} subjects, {} byte bundle):",
        subjects.len(),
        bundle.len()
    );
    println!(
        "  p50 {:.0} us   p95 {:.0} us   p99 {:.0} us",
        pct(0.50),
        pct(0.95),
        pct(0.99)
    );
    println!("  budget: p95 < 1000 us (the original specification allowed 25 ms)");
}
