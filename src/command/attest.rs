//! `relgate keygen`, `attest` and `countersign`: keys, and signed
//! provenance over artifacts.

use crate::{collect, config, provenance};
use crate::{AttestOptions, Env, Error, Result};

/// A new key pair from the operating system's randomness.
pub fn keygen() -> Result<provenance::keys::PrivateKey> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| Error::Inconsistent(format!("no randomness from the OS: {e}")))?;
    Ok(provenance::keys::PrivateKey::from_seed(seed))
}

/// The result of [`attest`].
#[derive(Debug, Clone)]
pub struct AttestOutput {
    /// The bundle: one DSSE envelope line.
    pub bundle: Vec<u8>,
    /// The same envelope as a Sigstore bundle v0.3 (the first key's hint).
    pub sigstore: Vec<u8>,
    /// The signed statement (the envelope's payload).
    pub statement: Vec<u8>,
    /// Number of subjects.
    pub subjects: usize,
    /// keyids that signed.
    pub keyids: Vec<String>,
    /// Warnings for the user.
    pub warnings: Vec<String>,
}

/// Hashes the artifacts and signs a SLSA provenance statement over them.
pub fn attest(opts: &AttestOptions, env: &dyn Env) -> Result<AttestOutput> {
    let started_on = env.now();
    let mut warnings = Vec::new();
    let sources = if opts.keys.is_empty() {
        vec![collect::inputs::KeySource::Env]
    } else {
        opts.keys.clone()
    };
    let keys = sources
        .iter()
        .map(|k| collect::inputs::private_key(k, env, &mut warnings))
        .collect::<Result<Vec<_>>>()?;
    let mut subjects = collect::artifacts::digest_paths(&opts.artifacts, opts.sha512)?;
    if let Some(c) = &opts.checksums {
        subjects.extend(collect::artifacts::verified_checksums(c, opts.sha512)?);
        subjects.sort_by(|a, b| a.name.cmp(&b.name));
        subjects.dedup();
        if subjects.windows(2).any(|w| w[0].name == w[1].name) {
            return Err(Error::InvalidOption(
                "an artifact and a checksum line share a name but not a digest".into(),
            ));
        }
    }
    if subjects.is_empty() {
        return Err(Error::InvalidOption(
            "nothing to attest: pass ARTIFACT... or --checksums FILE".into(),
        ));
    }
    let ws = collect::provenance_inputs(opts.manifest_path.as_deref(), opts.target.as_deref(), env)?;
    let invocation_id = match &opts.invocation_id {
        Some(id) => id.clone(),
        None => collect::random_invocation_id()?,
    };
    let params = provenance::statement::Params {
        subjects: subjects.clone(),
        builder_id: opts
            .builder_id
            .clone()
            .unwrap_or_else(|| provenance::statement::DEFAULT_BUILDER_ID.into()),
        invocation_id,
        source_uri: opts.source_uri.clone().or(ws.origin.remote.clone()),
        source_ref: ws.origin.reference.clone(),
        commit: ws.git.as_ref().map(|g| g.commit.clone()),
        workspace: ws.workspace.clone(),
        profile: opts.profile.clone(),
        features: config::Features {
            features: opts.features.clone(),
            ..Default::default()
        }
        .normalized(),
        target: ws.target.clone(),
        lock_sha256: ws.lock_sha256.clone(),
        rustc_version: ws.toolchain.rustc_version.clone(),
        relgate_version: env!("CARGO_PKG_VERSION").into(),
        started_on,
        finished_on: env.now(),
        parts: Vec::new(),
    };
    if ws.git.as_ref().is_some_and(|g| g.dirty) {
        warnings.push(
            "the git work tree has uncommitted changes: the attested commit does not describe them".into(),
        );
    }
    let statement = provenance::statement::payload(&params).map_err(|reason| Error::Emit {
        artifact: "provenance statement",
        reason,
    })?;
    let refs: Vec<&provenance::keys::PrivateKey> = keys.iter().collect();
    let envelope = provenance::dsse::Envelope::sign(provenance::dsse::IN_TOTO, &statement, &refs);
    Ok(AttestOutput {
        bundle: envelope.to_json_line().into_bytes(),
        sigstore: provenance::sigstore::bundle(
            &envelope,
            keys.first().map(|k| k.keyid()).unwrap_or_default(),
        ),
        statement,
        subjects: subjects.len(),
        keyids: keys.iter().map(|k| k.keyid().to_owned()).collect(),
        warnings,
    })
}

/// Adds a signature by `key` to every envelope of a bundle.
pub fn countersign(
    bundle: &[u8],
    key: &collect::inputs::KeySource,
    env: &dyn Env,
) -> Result<(Vec<u8>, Vec<String>)> {
    let mut warnings = Vec::new();
    let key = collect::inputs::private_key(key, env, &mut warnings)?;
    let text = std::str::from_utf8(bundle)
        .map_err(|_| provenance::dsse::EnvelopeError::NotAnEnvelope("the bundle is not UTF-8 text".into()))?;
    let mut out = String::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let mut env = provenance::dsse::Envelope::parse(line.as_bytes())?;
        let payload = env.payload_bytes()?;
        env.add_signature(&payload, &key);
        out.push_str(&env.to_json_line());
    }
    if out.is_empty() {
        return Err(provenance::dsse::EnvelopeError::NotAnEnvelope("the bundle is empty".into()).into());
    }
    Ok((out.into_bytes(), warnings))
}
