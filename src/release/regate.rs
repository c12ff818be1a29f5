//! `relgate gate --dir`: re-checks a signed release directory at publish
//! time (signature, every file against its own subject, ticket TTL, ledger,
//! every rule on the facts the release saw).

use std::path::{Path, PathBuf};

use super::build::ledger_fact;
use super::staged::sha256;
use crate::collect::{self, Env};
use crate::error::{Error, Result};
use crate::gate::facts::*;

/// What `relgate gate --dir` found.
#[derive(Debug, Clone)]
pub struct Regate {
    /// Provenance verification (signature, subjects): check id, passed, detail.
    pub checks: Vec<(String, bool, String)>,
    /// The verdict now.
    pub verdict: crate::gate::Verdict,
    /// The verdict the release recorded.
    pub recorded: String,
    /// Why the verdict now differs from the recorded one (empty: same).
    pub differences: Vec<String>,
}

impl Regate {
    /// Publishable: verification passed and the gate passes now.
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|(_, ok, _)| *ok) && self.verdict.passed()
    }
}

/// Inputs of [`regate`].
#[derive(Debug, Clone, Default)]
pub struct RegateOptions {
    /// The release directory.
    pub dir: PathBuf,
    /// Trusted public keys.
    pub keys: Vec<PathBuf>,
    /// The contract (default: relgate.toml / Cargo.toml metadata beside the manifest).
    pub contract: Option<PathBuf>,
    /// The workspace manifest, to find the contract and the ledger.
    pub manifest_path: Option<PathBuf>,
    /// The ledger (default from the contract).
    pub ledger: Option<PathBuf>,
    /// Gate time (default: the clock).
    pub now: Option<i64>,
}

/// Re-checks a release directory at publish time: signature, subjects ==
/// checksums.txt == the directory's files, then every rule again on the
/// recorded facts with a fresh `now`, `ledger` and `provenance`.
pub fn regate(opts: &RegateOptions, env: &dyn Env) -> Result<Regate> {
    let dir = &opts.dir;
    let read = |name: &str, what: &'static str| collect::inputs::read(&dir.join(name), what);
    let gate_bytes = read("gate.json", "gate.json")?;
    let doc = crate::emit::gate::parse(&gate_bytes).map_err(|reason| Error::Input {
        what: "gate.json",
        path: dir.join("gate.json"),
        reason,
    })?;
    let checksums = String::from_utf8(read("checksums.txt", "checksums.txt")?).map_err(|_| Error::Input {
        what: "checksums.txt",
        path: dir.join("checksums.txt"),
        reason: "not UTF-8".into(),
    })?;
    let lines = collect::artifacts::parse_checksums(&checksums, &dir.join("checksums.txt"))?;
    let manifest = collect::manifest_or_cwd(opts.manifest_path.as_deref())?;
    let root = manifest.parent().map(Path::to_path_buf).unwrap_or_default();
    let contract = collect::release::contract(&root, opts.contract.as_deref())?;
    let compiled = crate::gate::rules::compile(&contract).map_err(Error::Rule)?;

    let mut checks = Vec::new();
    // The directory holds exactly the listed files plus the two that list them.
    let on_disk = collect::probe::dir_names(dir, "release directory")?;
    let mut expected: Vec<String> = lines.iter().map(|(n, _)| n.clone()).collect();
    expected.push("checksums.txt".into());
    expected.push("provenance.intoto.jsonl".into());
    expected.sort();
    let extra: Vec<&String> = on_disk.iter().filter(|f| !expected.contains(f)).collect();
    let missing: Vec<&String> = expected.iter().filter(|f| !on_disk.contains(f)).collect();
    checks.push((
        "files".to_owned(),
        extra.is_empty() && missing.is_empty(),
        if extra.is_empty() && missing.is_empty() {
            format!("{} files, each listed in checksums.txt", lines.len())
        } else {
            format!("not listed in checksums.txt: {extra:?}; listed but missing: {missing:?}")
        },
    ));
    let verdict = crate::verify(
        &crate::VerifyOptions {
            provenance: dir.join("provenance.intoto.jsonl"),
            keys: opts.keys.clone(),
            threshold: 1,
            builder_ids: contract.release.builder_id.iter().cloned().collect(),
            source_uri: None,
            max_age: None,
            ledger: None,
            artifacts: lines
                .iter()
                .filter(|(n, _)| missing.iter().all(|m| *m != n))
                .map(|(n, _)| dir.join(n))
                .collect(),
        },
        env,
    )?;
    for c in &verdict.checks {
        if c.status != crate::provenance::verify::Status::Skipped {
            checks.push((
                c.id.to_owned(),
                c.status == crate::provenance::verify::Status::Pass,
                c.detail.clone(),
            ));
        }
    }
    let statement: Option<serde_json::Value> = verdict
        .statement
        .as_ref()
        .filter(|_| verdict.verified())
        .and_then(|b| serde_json::from_slice(b).ok());
    let mut provenance = None;
    if let Some(st) = &statement {
        let mut subjects: Vec<(String, String)> = st["subject"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|s| {
                        (
                            s["name"].as_str().unwrap_or_default().to_owned(),
                            s["digest"]["sha256"].as_str().unwrap_or_default().to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        subjects.sort();
        let mut listed = lines.clone();
        listed.sort();
        checks.push((
            "subjects-are-checksums".into(),
            subjects == listed,
            if subjects == listed {
                format!(
                    "the {} subjects are exactly the lines of checksums.txt",
                    subjects.len()
                )
            } else {
                "the signed subjects differ from checksums.txt".into()
            },
        ));
        let meta = &st["predicate"]["runDetails"]["metadata"];
        let bundle = read("provenance.intoto.jsonl", "provenance bundle")?;
        provenance = Some(ProvenanceFact {
            invocation_id: meta["invocationId"].as_str().unwrap_or_default().to_owned(),
            finished_on: meta["finishedOn"].as_str().unwrap_or_default().to_owned(),
            sha256: sha256(&bundle),
            keyids: Vec::new(),
        });
        if let Some(p) = &provenance {
            checks.push((
                "release-id".into(),
                p.invocation_id == doc.release.id,
                format!(
                    "gate.json's release {} and the provenance's invocation {}",
                    doc.release.id, p.invocation_id
                ),
            ));
        }
    }
    let ledger_path = match &opts.ledger {
        Some(p) => p.clone(),
        None => root.join(&contract.release.ledger),
    };
    let (_, ledger) = collect::release::ledger(&ledger_path)?;
    let mut facts = doc.facts.clone();
    facts.now = crate::emit::rfc3339(opts.now.unwrap_or_else(|| env.now()))?;
    facts.ledger = ledger_fact(
        &ledger,
        provenance
            .as_ref()
            .map(|p| (p.invocation_id.as_str(), p.sha256.as_str())),
    );
    facts.provenance = provenance;
    let now_verdict = crate::gate::evaluate(&contract, &compiled, &facts).map_err(Error::Rule)?;
    let mut differences = Vec::new();
    if contract.sha256 != doc.contract.sha256 {
        differences.push(format!(
            "the contract changed since the release (sha256 {} then, {} now)",
            &doc.contract.sha256[..12.min(doc.contract.sha256.len())],
            &contract.sha256[..12]
        ));
    }
    for r in &now_verdict.rules {
        let then = doc
            .rules
            .iter()
            .find(|t| t.id == r.id)
            .map(|t| t.status.as_str())
            .unwrap_or("absent");
        if then != r.status {
            let why = r
                .failures
                .first()
                .map(|f| format!(": {}", f.message))
                .unwrap_or_default();
            differences.push(format!("{}: {then} at release, {} now{why}", r.id, r.status));
        }
    }
    Ok(Regate {
        checks,
        verdict: now_verdict,
        recorded: doc.result,
        differences,
    })
}
