//! The sign stage: checksums.txt of every file, then the SLSA provenance
//! over them (every file but checksums.txt is a subject), signed in a DSSE
//! envelope, followed in the same bundle by the gate's verdict as a signed
//! SLSA Verification Summary (`provenance::vsa`) over the same subjects;
//! and the provenance envelope again as a Sigstore bundle
//! (`provenance.sigstore.json`).

use super::staged::Staged;
use crate::config::contract::Contract;
use crate::error::{Error, Result};
use crate::provenance::keys::PrivateKey;
use crate::provenance::statement::{self, Params, Subject};
use crate::write;

/// What a release signs besides its files.
pub(super) struct Signing<'a> {
    /// The contract (builder id, source URI).
    pub contract: &'a Contract,
    /// The provenance inputs read beside the build.
    pub inputs: &'a crate::collect::ProvenanceInputs,
    /// The invocation id.
    pub invocation_id: &'a str,
    /// The released commit.
    pub commit: Option<String>,
    /// The signing key.
    pub key: &'a PrivateKey,
    /// When the release started and finished (Unix seconds, injected clock).
    pub started_on: i64,
    /// See `started_on`.
    pub finished_on: i64,
    /// The part manifests a merged release was built from, (name, sha256).
    pub parts: Vec<(String, String)>,
    /// The verdict the bundle's verification summary records.
    pub verdict: Verdict<'a>,
}

/// What the verification summary says besides the subjects.
pub(super) struct Verdict<'a> {
    /// The release package and version (`pkg:cargo/NAME@VERSION`).
    pub package: (&'a str, &'a str),
    /// The gate passed (a release signs only then).
    pub passed: bool,
    /// The gate's time, RFC 3339.
    pub time: String,
    /// The schema lock (path, sha256 of its bytes), when there is one.
    pub lock: Option<(String, String)>,
}

/// The verification summary of a bundle whose provenance line hashes to
/// `provenance_line` (its bytes without the newline): the subjects, and as
/// inputs the provenance, the SBOMs, gate.json and the schema lock.
pub(crate) fn summary(
    subjects: Vec<Subject>,
    provenance_line: &str,
    contract: (&Option<String>, &str),
    v: &Verdict,
) -> crate::provenance::vsa::Summary {
    let mut inputs = vec![(
        crate::provenance::vsa::PROVENANCE_URI.to_owned(),
        provenance_line.to_owned(),
    )];
    inputs.extend(
        subjects
            .iter()
            .filter(|s| s.name.starts_with("sbom") || s.name == "gate.json")
            .map(|s| (s.name.clone(), s.sha256.clone())),
    );
    inputs.extend(v.lock.clone());
    crate::provenance::vsa::Summary {
        subjects,
        resource_uri: format!(
            "pkg:cargo/{}@{}",
            crate::analyze::purl::encode(v.package.0),
            crate::analyze::purl::encode(v.package.1)
        ),
        policy: (
            contract.0.clone().unwrap_or_else(|| "relgate.toml".into()),
            contract.1.to_owned(),
        ),
        inputs,
        passed: v.passed,
        time: v.time.clone(),
    }
}

/// Adds checksums.txt and provenance.intoto.jsonl to `files` (sorted by
/// name first); returns every file's (name, sha256) and the provenance's
/// sha256.
pub(super) fn sign(files: &mut Vec<Staged>, s: &Signing) -> Result<(Vec<(String, String)>, String)> {
    files.sort_by(|a, b| a.entry.name.cmp(&b.entry.name));
    let mut digests = Staged::digests(files);
    let checksums: String = digests.iter().map(|(n, d)| format!("{d}  {n}\n")).collect();
    files.push(Staged::new(
        "checksums.txt",
        write::Content::Bytes(checksums.into_bytes()),
        false,
    )?);
    digests.push(("checksums.txt".into(), files[files.len() - 1].sha256.clone()));
    let ws = s.inputs;
    let params = Params {
        subjects: digests
            .iter()
            .filter(|(n, _)| n != "checksums.txt")
            .map(|(n, d)| Subject {
                name: n.clone(),
                sha256: d.clone(),
                sha512: None,
            })
            .collect(),
        builder_id: s
            .contract
            .release
            .builder_id
            .clone()
            .unwrap_or_else(|| statement::DEFAULT_BUILDER_ID.into()),
        invocation_id: s.invocation_id.to_owned(),
        source_uri: s.contract.release.source_uri.clone().or(ws.origin.remote.clone()),
        source_ref: ws.origin.reference.clone(),
        commit: s.commit.clone(),
        workspace: ws.workspace.clone(),
        profile: "release".into(),
        features: Vec::new(),
        target: ws.target.clone(),
        lock_sha256: ws.lock_sha256.clone(),
        rustc_version: ws.toolchain.rustc_version.clone(),
        relgate_version: env!("CARGO_PKG_VERSION").into(),
        started_on: s.started_on,
        finished_on: s.finished_on,
        parts: s.parts.clone(),
    };
    let payload = statement::payload(&params).map_err(|reason| Error::Emit {
        artifact: "provenance statement",
        reason,
    })?;
    let envelope =
        crate::provenance::dsse::Envelope::sign(crate::provenance::dsse::IN_TOTO, &payload, &[s.key]);
    let line = envelope.to_json_line();
    let line_sha256 = super::staged::sha256(line.trim_end().as_bytes());
    let vsa = crate::provenance::vsa::payload(&summary(
        params.subjects.clone(),
        &line_sha256,
        (&s.contract.origin, &s.contract.sha256),
        &s.verdict,
    ));
    let verdict = crate::provenance::dsse::Envelope::sign(crate::provenance::dsse::IN_TOTO, &vsa, &[s.key]);
    let bundle = format!("{line}{}", verdict.to_json_line()).into_bytes();
    let signed = Staged::new("provenance.intoto.jsonl", write::Content::Bytes(bundle), false)?;
    let provenance_sha256 = signed.sha256.clone();
    digests.push(("provenance.intoto.jsonl".into(), provenance_sha256.clone()));
    files.push(signed);
    // The same provenance envelope as a Sigstore bundle (public-key hint).
    let sigstore = Staged::new(
        "provenance.sigstore.json",
        write::Content::Bytes(crate::provenance::sigstore::bundle(&envelope, s.key.keyid())),
        false,
    )?;
    digests.push(("provenance.sigstore.json".into(), sigstore.sha256.clone()));
    files.push(sigstore);
    Ok((digests, provenance_sha256))
}
