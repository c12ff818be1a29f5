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
    let digests_given = digests.as_ref().map(|_| ());
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
        summaries_as_history: opts.summaries_as_history,
    };
    let mut verdict = provenance::verify::verify(&bundle, &keys, &artifacts, &policy)?;
    if digests_given.is_none() {
        if let Some(check) = parts_check(opts, &artifacts, &verdict)? {
            verdict.checks.push(check);
        }
    }
    Ok(verdict)
}

/// A merged release's part manifests among the artifacts (given as files):
/// each signed by a `--key` or `--part-key`, naming the verified
/// statement's invocation id, and each file it signed that the merge ships
/// among the artifacts with that digest. `None` without part manifests.
fn parts_check(
    opts: &VerifyOptions,
    artifacts: &[provenance::statement::Subject],
    verdict: &provenance::verify::Verdict,
) -> Result<Option<provenance::verify::Check>> {
    use provenance::verify::{Check, Status};
    let manifests: Vec<&std::path::PathBuf> = opts
        .artifacts
        .iter()
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .and_then(crate::release::part_id_of)
                .is_some()
        })
        .collect();
    if manifests.is_empty() {
        let nested = artifacts.iter().any(|a| {
            a.name
                .rsplit('/')
                .next()
                .and_then(crate::release::part_id_of)
                .is_some()
                && a.name.contains('/')
        });
        return Ok(nested.then(|| Check {
            id: "parts",
            status: Status::Skipped,
            detail: "part manifests were passed inside a directory: pass the release's files to check them"
                .into(),
        }));
    }
    let Some(statement) = verdict.statement.as_ref().filter(|_| verdict.verified()) else {
        return Ok(Some(Check {
            id: "parts",
            status: Status::Skipped,
            detail: "the provenance did not verify, so its part manifests were not checked".into(),
        }));
    };
    let invocation = serde_json::from_slice::<serde_json::Value>(statement)
        .ok()
        .and_then(|v| {
            v["predicate"]["runDetails"]["metadata"]["invocationId"]
                .as_str()
                .map(str::to_owned)
        })
        .unwrap_or_default();
    let mut trusted = collect::inputs::public_keys(&opts.keys)?;
    trusted.extend(collect::inputs::public_keys(&opts.part_keys)?);
    let files: std::collections::BTreeMap<String, String> = artifacts
        .iter()
        .map(|a| (a.name.clone(), a.sha256.clone()))
        .collect();
    let mut out = None;
    // Part manifests from one directory at a time (the release's).
    let dirs: std::collections::BTreeSet<&std::path::Path> =
        manifests.iter().filter_map(|p| p.parent()).collect();
    for dir in dirs {
        if let Some((_, ok, detail)) =
            crate::release::embedded_parts_check(dir, &files, &trusted, &invocation)
        {
            let failed = !ok;
            out = Some(Check {
                id: "parts",
                status: if ok { Status::Pass } else { Status::Fail },
                detail,
            });
            if failed {
                break;
            }
        }
    }
    Ok(out)
}
