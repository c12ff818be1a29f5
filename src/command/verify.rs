//! `relgate verify`: a provenance bundle against pinned keys, the
//! artifacts' digests and the policy.

use crate::{collect, provenance};
use crate::{Env, Error, Result, VerifyOptions};

/// Verifies a provenance bundle against pinned keys, artifacts and policy.
pub fn verify(opts: &VerifyOptions, env: &dyn Env) -> Result<provenance::verify::Verdict> {
    verify_with(opts, None, env)
}

/// [`verify`] with the artifacts' digests already computed (`gate --dir`
/// hashes the release directory once, for the binding checks, and reuses
/// the digests); `opts.artifacts` is then not read.
pub fn verify_digests(
    opts: &VerifyOptions,
    digests: Vec<provenance::statement::Subject>,
    env: &dyn Env,
) -> Result<provenance::verify::Verdict> {
    verify_with(opts, Some(digests), env)
}

fn verify_with(
    opts: &VerifyOptions,
    digests: Option<Vec<provenance::statement::Subject>>,
    env: &dyn Env,
) -> Result<provenance::verify::Verdict> {
    if opts.keys.is_empty() {
        return Err(Error::InvalidOption(
            "pass at least one --key PUB to verify against".into(),
        ));
    }
    if opts.threshold > opts.keys.len() {
        return Err(Error::InvalidOption(format!(
            "--threshold {} is more than the {} key(s) given",
            opts.threshold,
            opts.keys.len()
        )));
    }
    let bundle = collect::inputs::read(&opts.provenance, "provenance bundle")?;
    let keys = collect::inputs::public_keys(&opts.keys)?;
    let seen = match &opts.ledger {
        None => None,
        Some(path) => {
            let text =
                String::from_utf8(collect::inputs::read(path, "ledger")?).map_err(|_| Error::Input {
                    what: "ledger",
                    path: path.clone(),
                    reason: "not UTF-8".into(),
                })?;
            Some(
                provenance::verify::ledger_invocations(&text).map_err(|reason| Error::Input {
                    what: "ledger",
                    path: path.clone(),
                    reason,
                })?,
            )
        }
    };
    let artifacts = match digests {
        Some(d) => d,
        None => collect::artifacts::digest_paths(&opts.artifacts, provenance::verify::wants_sha512(&bundle))?,
    };
    let policy = provenance::verify::Policy {
        threshold: opts.threshold,
        builder_ids: opts.builder_ids.clone(),
        source_uri: opts.source_uri.clone(),
        max_age: opts.max_age,
        seen_invocations: seen,
        now: env.now(),
    };
    Ok(provenance::verify::verify(&bundle, &keys, &artifacts, &policy)?)
}
