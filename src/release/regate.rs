//! `relgate gate --dir`: re-checks a signed release directory at publish
//! time (signature, every file against its own subject, ticket TTL, ledger,
//! every rule on the facts the release saw).

use std::path::{Path, PathBuf};

use super::staged::sha256;
use crate::collect::{self, Env};
use crate::error::{Error, Result};
use crate::gate::build::ledger_fact;
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
    /// This verdict as a verification summary of the signed release (none
    /// when the directory is not the signed release: nothing to vouch for).
    pub summary: Option<crate::provenance::vsa::Summary>,
    /// The sha256 of the bundle the verdict was reached on.
    pub bundle_sha256: Option<String>,
    /// The release was a dry run (signed with the example key).
    pub dry_run: bool,
}

impl Regate {
    /// Publishable: verification passed and the gate passes now.
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|(_, ok, _)| *ok) && self.verdict.passed()
    }

    /// `relgate gate --dir --format json`'s document.
    pub fn summary(&self) -> serde_json::Value {
        serde_json::json!({
            "publishable": self.passed(),
            "recorded": self.recorded,
            "result": self.verdict.result,
            "checks": self.checks.iter().map(|(id, ok, d)| serde_json::json!({"id": id, "pass": ok, "detail": d})).collect::<Vec<_>>(),
            "differences": self.differences,
            "rules": self.verdict.rules,
        })
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
    /// More keys the ledger may be signed with (besides `keys`).
    pub ledger_keys: Vec<PathBuf>,
    /// How long to wait for another relgate holding the ledger (default: fail at once).
    pub wait_lock: std::time::Duration,
    /// A ledger head seen earlier (`sha256:…`): the ledger must still hold it,
    /// so a truncated or older copy (missing a revocation) is refused.
    pub ledger_head: Option<String>,
    /// Called once when it has to wait for the ledger's lock.
    pub on_wait: Option<fn(&Path)>,
    /// Keys the embedded part manifests of a merged release may be signed
    /// with (besides `keys`).
    pub part_keys: Vec<PathBuf>,
}

/// The Sigstore form of the provenance, beside it.
const SIGSTORE: &str = "provenance.sigstore.json";

/// `sigstore-bundle`: `provenance.sigstore.json` (present: the `files`
/// check requires it) holds exactly the provenance envelope of the bundle
/// (`line`, its bytes).
fn sigstore_check(dir: &Path, provenance_line: Option<&[u8]>) -> Result<Option<(String, bool, String)>> {
    let path = dir.join(SIGSTORE);
    let bytes = collect::inputs::read(&path, "Sigstore bundle")?;
    let inside = crate::provenance::sigstore::envelope(&bytes);
    let provenance = provenance_line.and_then(|l| crate::provenance::dsse::Envelope::parse(l).ok());
    let (ok, detail) = match (inside, provenance) {
        (Ok(a), Some(b)) if a == b => (true, format!("{SIGSTORE} holds the provenance envelope")),
        (Ok(_), _) => (
            false,
            format!("{SIGSTORE} does not hold the verified provenance envelope"),
        ),
        (Err(e), _) => (false, format!("{SIGSTORE}: {e}")),
    };
    Ok(Some(("sigstore-bundle".into(), ok, detail)))
}

/// The directory against checksums.txt, as `sha256sum -c` and more: it
/// holds exactly the listed files plus checksums.txt and the provenance,
/// each a plain file (no link, directory or special file in its place), and
/// every listed file has the digest of its own line.
fn binding_checks(
    entries: &[(String, collect::artifacts::Entry)],
    lines: &[(String, String)],
) -> Vec<(String, bool, String)> {
    use collect::artifacts::Entry;
    let mut expected: Vec<&str> = lines.iter().map(|(n, _)| n.as_str()).collect();
    // The Sigstore bundle is checked against the provenance below.
    expected.extend(["checksums.txt", "provenance.intoto.jsonl", SIGSTORE]);
    let mut problems = Vec::new();
    for (name, entry) in entries {
        if !expected.contains(&name.as_str()) {
            problems.push(format!("`{name}` is not listed in checksums.txt"));
        } else if let Some(why) = entry.refusal() {
            problems.push(format!("`{name}` {why}"));
        }
    }
    for name in &expected {
        if !entries.iter().any(|(n, _)| n == name) {
            problems.push(format!("`{name}` is missing"));
        }
    }
    let bad_names: Vec<&str> = lines
        .iter()
        .map(|(n, _)| n.as_str())
        .filter(|n| n.contains(['/', '\\']) || *n == "." || *n == ".." || expected[lines.len()..].contains(n))
        .collect();
    for n in bad_names {
        problems.push(format!(
            "checksums.txt lists `{n}`, which cannot be a released file's name"
        ));
    }
    let files = check(
        "files",
        problems,
        format!("{} plain files, each listed in checksums.txt", lines.len()),
    );
    let mismatched: Vec<String> = lines
        .iter()
        .filter_map(|(name, want)| match entries.iter().find(|(n, _)| n == name) {
            Some((_, Entry::File { sha256 })) if sha256 == want => None,
            Some((_, Entry::File { sha256 })) => {
                Some(format!("`{name}` has sha256 {sha256}, its line says {want}"))
            }
            _ => Some(format!("`{name}` is not a plain file to check")),
        })
        .collect();
    let own_lines = check(
        "checksums",
        mismatched,
        format!("each of the {} files has the digest of its own line", lines.len()),
    );
    vec![files, own_lines]
}

/// A check that passes when nothing was found (`passed` is its detail),
/// else fails listing what was.
fn check(id: &str, problems: Vec<String>, passed: String) -> (String, bool, String) {
    let ok = problems.is_empty();
    (id.to_owned(), ok, if ok { passed } else { problems.join("; ") })
}

/// Re-checks a release directory at publish time: signature, subjects ==
/// checksums.txt == the directory's files, then every rule again on the
/// recorded facts with a fresh `now`, `ledger` and `provenance`.
pub fn regate(opts: &RegateOptions, env: &dyn Env) -> Result<Regate> {
    if let Some(head) = &opts.ledger_head {
        let hex = head.strip_prefix("sha256:").unwrap_or(head);
        if hex.len() != 64
            || !hex
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        {
            return Err(Error::InvalidOption(format!(
                "--ledger-head `{head}` is not `sha256:` and 64 lowercase hex digits (as `relgate ledger verify` prints it)"
            )));
        }
    }
    let dir = &opts.dir;
    let read = |name: &str, what: &'static str| collect::inputs::read(&dir.join(name), what);
    let entries = collect::artifacts::release_entries(dir)?;
    // Nothing is read through a link, a directory or a special file.
    let unusable: Vec<String> = ["checksums.txt", "gate.json", "provenance.intoto.jsonl"]
        .iter()
        .filter_map(|name| match entries.iter().find(|(n, _)| n == name) {
            None => Some(format!("`{name}` is missing")),
            Some((_, e)) => e.refusal().map(|why| format!("`{name}` {why}")),
        })
        .collect();
    if !unusable.is_empty() {
        return Ok(not_a_release(vec![("files".into(), false, unusable.join("; "))]));
    }
    // checksums.txt is not signed itself: anything unreadable in it is a
    // directory that is not the release (exit 1), like any other file.
    let parsed = read("checksums.txt", "checksums.txt")
        .map_err(|e| e.to_string())
        .and_then(|b| String::from_utf8(b).map_err(|_| "checksums.txt is not UTF-8".to_owned()))
        .and_then(|text| {
            collect::artifacts::parse_checksums(&text, &dir.join("checksums.txt"))
                .map(|lines| (text, lines))
                .map_err(|e| e.to_string())
        });
    let (checksums_text, lines) = match parsed {
        Ok(p) => p,
        Err(why) => return Ok(not_a_release(vec![("checksums".into(), false, why)])),
    };
    let manifest = collect::manifest_or_cwd(opts.manifest_path.as_deref())?;
    let root = manifest.parent().map(Path::to_path_buf).unwrap_or_default();
    let contract = collect::release::contract(&root, opts.contract.as_deref())?;
    let compiled = crate::gate::bounded::compile(&contract).map_err(Error::Rule)?;

    let mut checks = binding_checks(&entries, &lines);
    // The signature and subjects are checked over the plain files listed,
    // with the digests just computed (each file is hashed once); the
    // binding checks above name everything else.
    let digests = lines
        .iter()
        .filter_map(|(name, _)| match entries.iter().find(|(n, _)| n == name) {
            Some((_, collect::artifacts::Entry::File { sha256 })) => {
                Some(crate::provenance::statement::Subject {
                    name: name.clone(),
                    sha256: sha256.clone(),
                    sha512: None,
                })
            }
            _ => None,
        })
        .collect();
    let verdict = crate::verify_digests(
        &crate::VerifyOptions {
            provenance: dir.join("provenance.intoto.jsonl"),
            keys: opts.keys.clone(),
            threshold: 1,
            builder_ids: contract.release.builder_id.iter().cloned().collect(),
            source_uri: None,
            max_age: None,
            ledger: None,
            artifacts: Vec::new(),
            // Checked below, with the directory's own digests.
            part_keys: Vec::new(),
            // Earlier verdicts are history: this run reaches its own.
            summaries_as_history: true,
        },
        digests,
        env,
    );
    // A provenance that is not a bundle is a tampered directory, like any
    // other file out of place.
    let verdict = match verdict {
        Ok(v) => v,
        Err(Error::Envelope(e)) => {
            checks.push(("envelope".into(), false, e.to_string()));
            return Ok(not_a_release(checks));
        }
        Err(e) => return Err(e),
    };
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
    let Some(st) = statement.filter(|_| checks.iter().all(|(_, ok, _)| *ok)) else {
        // Nothing in the directory is trusted: gate.json is not read.
        return Ok(not_a_release(checks));
    };
    let listing = checksums_check(&signed_subjects(&st), &lines, &checksums_text);
    let same = listing.1;
    checks.push(listing);
    if !same {
        return Ok(not_a_release(checks));
    }
    // gate.json is now bound to a signed subject: its bytes are the release's.
    let gate_bytes = read("gate.json", "gate.json")?;
    let doc = crate::emit::gate::parse(&gate_bytes).map_err(|reason| Error::Input {
        what: "gate.json",
        path: dir.join("gate.json"),
        reason,
    })?;
    let mut differences = contract_differences(&doc, &contract, opts.contract.is_some(), &manifest)?;
    let meta = &st["predicate"]["runDetails"]["metadata"];
    let bundle = read("provenance.intoto.jsonl", "provenance bundle")?;
    let mut provenance = ProvenanceFact {
        invocation_id: meta["invocationId"].as_str().unwrap_or_default().to_owned(),
        finished_on: meta["finishedOn"].as_str().unwrap_or_default().to_owned(),
        sha256: sha256(&bundle),
        keyids: Vec::new(),
    };
    checks.push((
        "release-id".into(),
        provenance.invocation_id == doc.release.id,
        format!(
            "gate.json's release {} and the provenance's invocation {}",
            doc.release.id, provenance.invocation_id
        ),
    ));
    let hashed: std::collections::BTreeMap<String, String> = entries
        .iter()
        .filter_map(|(n, e)| match e {
            collect::artifacts::Entry::File { sha256 } => Some((n.clone(), sha256.clone())),
            _ => None,
        })
        .collect();
    let mut part_trust = collect::inputs::public_keys(&opts.keys)?;
    part_trust.extend(collect::inputs::public_keys(&opts.part_keys)?);
    if let Some(c) = super::merge::embedded_parts_check(dir, &hashed, &part_trust, &provenance.invocation_id)
    {
        checks.push(c);
    }
    let line = provenance_line(&bundle, verdict.statement.as_deref());
    checks.extend(sigstore_check(dir, line)?);
    let ledger = ledger_checks(
        opts,
        (&root, &contract, &doc),
        (&mut provenance, &bundle),
        &mut checks,
        &mut differences,
    )?;
    let mut facts = doc.facts.clone();
    facts.now = crate::emit::rfc3339(opts.now.unwrap_or_else(|| env.now()))?;
    facts.ledger = ledger_fact(
        &ledger.parsed,
        Some((provenance.invocation_id.as_str(), provenance.sha256.as_str())),
    );
    facts.provenance = Some(provenance);
    let now_verdict = crate::gate::bounded::evaluate(&contract, &compiled, &facts).map_err(Error::Rule)?;
    differences.extend(rule_differences(&doc, &now_verdict));
    let lock = collect::release::read_optional(&root.join(&contract.schemas.lock), "schema lock")?
        .map(|b| (contract.schemas.lock.clone(), sha256(&b)));
    let passed = checks.iter().all(|(_, ok, _)| *ok) && now_verdict.passed();
    let summary = line.map(sha256).map(|line| {
        super::sign::summary(
            signed_subjects(&st)
                .into_iter()
                .map(|(name, sha256)| crate::provenance::statement::Subject {
                    name,
                    sha256,
                    sha512: None,
                })
                .collect(),
            &line,
            (&contract.origin, &contract.sha256),
            &super::sign::Verdict {
                package: (&doc.release.package, &doc.release.version),
                passed,
                time: facts.now.clone(),
                lock,
            },
        )
    });
    Ok(Regate {
        checks,
        verdict: now_verdict,
        recorded: doc.result,
        differences,
        summary,
        bundle_sha256: Some(sha256(&bundle)),
        dry_run: doc.release.dry_run,
    })
}

/// The bundle line whose envelope carries `statement` (the verified
/// provenance), without its newline.
fn provenance_line<'a>(bundle: &'a [u8], statement: Option<&[u8]>) -> Option<&'a [u8]> {
    let statement = statement?;
    bundle.split(|b| *b == b'\n').map(|l| l.trim_ascii()).find(|l| {
        crate::provenance::dsse::Envelope::parse(l)
            .ok()
            .and_then(|e| e.payload_bytes().ok())
            .is_some_and(|p| p == statement)
    })
}

/// `relgate gate --dir --vsa-key`: signs the verdict `r` reached as a SLSA
/// verification summary and appends it to the directory's bundle, under
/// the directory's lock, only if the bundle is still the one the verdict
/// was reached on. Returns whether it passed.
pub fn append_summary(
    dir: &Path,
    r: &Regate,
    key: &crate::provenance::keys::PrivateKey,
    wait: std::time::Duration,
    on_wait: &dyn Fn(&Path),
) -> Result<bool> {
    let (Some(summary), Some(seen)) = (&r.summary, &r.bundle_sha256) else {
        return Err(Error::Preflight {
            reason: "the directory is not the signed release, so there is no provenance to sign a verdict on"
                .into(),
            fix: "re-run the release; `relgate gate --dir` lists what is wrong".into(),
        });
    };
    let example = crate::provenance::keys::PrivateKey::from_pem(super::EXAMPLE_KEY_PEM)
        .map(|k| k.keyid().to_owned())
        .unwrap_or_default();
    if key.keyid() == example && !r.dry_run {
        return Err(Error::Preflight {
            reason:
                "the verdict key is the public example key from keys-example/, which anyone can sign with"
                    .into(),
            fix: "create a real key with `relgate keygen --out-dir DIR`".into(),
        });
    }
    let _lock = crate::write::lock(dir, wait, on_wait)?;
    let path = dir.join("provenance.intoto.jsonl");
    let bundle = collect::inputs::read(&path, "provenance bundle")?;
    if &sha256(&bundle) != seen {
        return Err(Error::Preflight {
            reason: "the provenance bundle changed while the directory was re-checked".into(),
            fix: "run `relgate gate --dir` again".into(),
        });
    }
    let payload = crate::provenance::vsa::payload(summary);
    let envelope =
        crate::provenance::dsse::Envelope::sign(crate::provenance::dsse::IN_TOTO, &payload, &[key]);
    let mut bytes = bundle;
    if !bytes.is_empty() && !bytes.ends_with(b"\n") {
        bytes.push(b'\n');
    }
    bytes.extend_from_slice(envelope.to_json_line().as_bytes());
    crate::write::file_atomic(&path, &bytes)?;
    Ok(summary.passed)
}

/// The digests the bundle may have had when it was released: its own, and
/// that of every shorter run of whole lines after which only verification
/// summaries follow (the verdicts `gate --dir --vsa-key` appends; their
/// signatures are checked by `verification-summary`).
pub(crate) fn released_digests(bundle: &[u8]) -> Vec<String> {
    let mut digests = vec![sha256(bundle)];
    let mut end = bundle.len();
    // Walk back over trailing summary lines.
    while end > 0 {
        let body = &bundle[..end];
        let body = body.strip_suffix(b"\n").unwrap_or(body);
        let start = body.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        let line = &body[start..];
        let is_summary = crate::provenance::dsse::Envelope::parse(line)
            .ok()
            .and_then(|e| e.payload_bytes().ok())
            .and_then(|p| crate::provenance::vsa::predicate_type(&p))
            .is_some_and(|t| t == crate::provenance::vsa::VSA_V1);
        if !is_summary || start == 0 {
            break;
        }
        end = start;
        digests.push(sha256(&bundle[..end]));
    }
    digests
}

/// A failed re-check of a directory that is not (or no longer) the signed
/// release: nothing in it was trusted, so no rule ran.
fn not_a_release(checks: Vec<(String, bool, String)>) -> Regate {
    Regate {
        checks,
        verdict: crate::gate::Verdict {
            result: "fail".into(),
            now: String::new(),
            rules: Vec::new(),
            waivers: Vec::new(),
        },
        recorded: "(not read: the directory is not the signed release)".into(),
        differences: Vec::new(),
        summary: None,
        bundle_sha256: None,
        dry_run: false,
    }
}

/// checksums.txt against the signed subjects: the same (name, digest) set,
/// and byte for byte what a release writes of them (sorted `SHA256  NAME`
/// lines), so no byte of the one unsigned file is free.
fn checksums_check(
    subjects: &[(String, String)],
    lines: &[(String, String)],
    text: &str,
) -> (String, bool, String) {
    let mut listed = lines.to_vec();
    listed.sort();
    let canonical: String = subjects.iter().map(|(n, d)| format!("{d}  {n}\n")).collect();
    let same = subjects == listed && canonical == text;
    let detail = if same {
        format!(
            "checksums.txt is exactly the {} signed subjects, as relgate writes them",
            subjects.len()
        )
    } else if subjects == listed {
        "checksums.txt lists the signed subjects but not byte for byte as relgate writes them (sorted `SHA256  NAME` lines, LF, lowercase hex, nothing else)".into()
    } else {
        "the signed subjects differ from checksums.txt".into()
    };
    ("subjects-are-checksums".into(), same, detail)
}

/// Why each rule's status now differs from the one the release recorded.
fn rule_differences(doc: &crate::emit::gate::GateDoc, now: &crate::gate::Verdict) -> Vec<String> {
    let mut out = Vec::new();
    for r in &now.rules {
        let then = doc
            .rules
            .iter()
            .find(|t| t.id == r.id)
            .map(|t| t.status.as_str())
            .unwrap_or("absent");
        if r.status != then {
            let why = r
                .failures
                .first()
                .map(|f| format!(": {}", f.message))
                .unwrap_or_default();
            out.push(format!("{}: {then} at release, {} now{why}", r.id, r.status));
        }
    }
    out
}

/// The ledger `gate --dir` trusts: locked, recovered and verified; it must
/// hold the head the release saw (and `--ledger-head`) and the release's own
/// entry. A `--ledger` other than the contract's is named.
fn ledger_checks(
    opts: &RegateOptions,
    (root, contract, doc): (
        &Path,
        &crate::config::contract::Contract,
        &crate::emit::gate::GateDoc,
    ),
    (provenance, bundle): (&mut ProvenanceFact, &[u8]),
    checks: &mut Vec<(String, bool, String)>,
    differences: &mut Vec<String>,
) -> Result<super::ledger_guard::Trusted> {
    let ledger_path = super::ledger_guard::resolve(&match &opts.ledger {
        Some(p) => p.clone(),
        None => root.join(&contract.release.ledger),
    })?;
    let mut trusted = collect::inputs::public_keys(&opts.keys)?;
    trusted.extend(collect::inputs::public_keys(&opts.ledger_keys)?);
    let ledger = super::ledger_guard::trusted(
        &ledger_path,
        &trusted,
        contract.release.first_release,
        opts.wait_lock,
        &|p| {
            if let Some(f) = opts.on_wait {
                f(p)
            }
        },
    )?;
    // The ledger binds the bundle as released; verdicts appended since
    // (`gate --dir --vsa-key`) follow it as whole lines.
    if let Some(e) = ledger.parsed.find(&provenance.invocation_id) {
        if released_digests(bundle).contains(&e.provenance_sha256) {
            provenance.sha256 = e.provenance_sha256.clone();
        }
    }
    let contract_ledger = super::ledger_guard::resolve(&root.join(&contract.release.ledger))?;
    let same_file = |a: &Path, b: &Path| match (collect::probe::canonical(a), collect::probe::canonical(b)) {
        (Some(x), Some(y)) => x == y,
        _ => std::path::absolute(a).ok() == std::path::absolute(b).ok(),
    };
    if opts.ledger.is_some() && !same_file(&ledger_path, &contract_ledger) {
        differences.push(format!(
            "the ledger read is {}, not the contract's {}: a copy may lack later revocations (pin it with --ledger-head)",
            ledger_path.display(),
            contract_ledger.display()
        ));
    }
    if let Some(head) = &opts.ledger_head {
        checks.push(super::ledger_guard::pinned_check(&ledger, &ledger_path, head));
    }
    checks.push(super::ledger_guard::recorded_check(
        &ledger,
        &ledger_path,
        &doc.facts.ledger.head,
        (!doc.release.dry_run).then_some((provenance.invocation_id.as_str(), provenance.sha256.as_str())),
    ));
    Ok(ledger)
}

/// The (name, sha256) of every signed subject, sorted.
fn signed_subjects(st: &serde_json::Value) -> Vec<(String, String)> {
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
    subjects
}

/// The contract now against the one gate.json records. A contract that could
/// not be found (the defaults) where the release read one is an error, never
/// a silent default; a changed contract is named with both digests.
fn contract_differences(
    doc: &crate::emit::gate::GateDoc,
    contract: &crate::config::contract::Contract,
    explicit: bool,
    manifest: &Path,
) -> Result<Vec<String>> {
    let short = |s: &str| s.chars().take(12).collect::<String>();
    let recorded = doc.contract.origin.as_deref();
    if contract.origin.is_none() && !explicit {
        if let Some(origin) = recorded {
            return Err(Error::InvalidOption(format!(
                "the release read its contract from `{origin}` (sha256 {}), but none is beside {}; \
                 run from the workspace, or pass --manifest-path or --contract",
                short(&doc.contract.sha256),
                manifest.display()
            )));
        }
    }
    let mut out = Vec::new();
    if contract.sha256 != doc.contract.sha256 {
        out.push(format!(
            "the contract changed since the release: {} (sha256 {}) then, {} (sha256 {}) now",
            recorded.unwrap_or("the defaults"),
            short(&doc.contract.sha256),
            contract.origin.as_deref().unwrap_or("the defaults"),
            short(&contract.sha256)
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contract_digests_are_shortened_by_characters() {
        let contract = crate::config::contract::Contract::from_toml("", "relgate.toml").unwrap();
        let mut doc = crate::emit::gate::GateDoc {
            schema: crate::gate::SCHEMA.into(),
            release: crate::emit::gate::ReleaseRef {
                id: String::new(),
                package: String::new(),
                version: String::new(),
                commit: None,
                dry_run: false,
            },
            contract: crate::emit::gate::ContractRef {
                origin: Some("relgate.toml".into()),
                sha256: "é".repeat(40),
            },
            result: "pass".into(),
            now: String::new(),
            rules: Vec::new(),
            waivers: Vec::new(),
            schema_lock: Default::default(),
            facts: Default::default(),
        };
        let d = contract_differences(&doc, &contract, false, Path::new("Cargo.toml")).unwrap();
        assert!(d[0].contains(&"é".repeat(12)), "{d:?}");
        doc.contract.sha256 = contract.sha256.clone();
        assert!(
            contract_differences(&doc, &contract, false, Path::new("Cargo.toml"))
                .unwrap()
                .is_empty()
        );
    }
}
