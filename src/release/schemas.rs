//! Schema lock and artifact schemas: the lock's facts, validation of
//! relgate's own JSON artifacts, and the re-emission check.

use sha2::Digest;
use std::path::{Path, PathBuf};

use crate::analyze::schema;
use crate::collect;
use crate::config::contract::Contract;
use crate::error::{Error, Result};
use crate::gate::facts::*;

/// The schema-lock stage: the schemas now against the lock.
pub(super) fn schema_lock_fact(plan: &super::ReleasePlan) -> Result<SchemaLockFact> {
    let (lock, now, lock_rel) = (plan.lock.as_ref(), &plan.schemas_now, plan.lock_rel.as_str());
    let names: Vec<String> = now.iter().map(|c| c.name.clone()).collect();
    let Some(lock) = lock else {
        return Ok(SchemaLockFact {
            status: "missing".into(),
            lock: lock_rel.into(),
            schemas: names,
            drift: Vec::new(),
        });
    };
    let status = schema::check(lock, now).map_err(|e| Error::SchemaLock(e.to_string()))?;
    Ok(SchemaLockFact {
        status: status.status.into(),
        lock: lock_rel.into(),
        schemas: names,
        drift: status
            .drift
            .iter()
            .map(|d| SchemaDriftFact {
                schema: d.schema.clone(),
                change: serde_json::to_value(d.change)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                classification: d.classification.as_str().into(),
                required_bump: d.required_bump.into(),
                reasons: d.reasons.clone(),
            })
            .collect(),
    })
}

/// Every schema must be JSON and a JSON Schema the validator can compile.
pub(super) fn check_schemas(schemas: &[schema::Current]) -> Result<()> {
    for c in schemas {
        let doc: serde_json::Value = serde_json::from_slice(&c.raw)
            .map_err(|e| Error::SchemaLock(format!("{} is not JSON: {e}", c.name)))?;
        jsonschema::validator_for(&doc)
            .map_err(|e| Error::SchemaLock(format!("{} is not a valid JSON Schema: {e}", c.name)))?;
    }
    Ok(())
}

/// Validates `bytes` against one of relgate's built-in schemas.
pub fn validate(schema_name: &str, bytes: &[u8]) -> Result<Vec<String>> {
    let validator = validator(schema_name)?;
    let doc: serde_json::Value = match serde_json::from_slice(bytes) {
        Ok(d) => d,
        Err(e) => return Ok(vec![format!("not JSON: {e}")]),
    };
    Ok(validator
        .iter_errors(&doc)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect())
}

/// The built-in schemas a release validates its own artifacts against.
const RELEASE_SCHEMAS: [&str; 3] = ["relgate:gate", "relgate:metrics", "relgate:compat_report"];

/// Compiles the validators a release will use, so the stages after
/// `cargo metadata` find them ready (called beside it, on a side thread).
pub(super) fn warm() {
    for name in RELEASE_SCHEMAS {
        let _ = validator(name);
    }
}

/// The compiled validator of a built-in schema, compiled once per process.
fn validator(schema_name: &str) -> Result<std::sync::Arc<jsonschema::Validator>> {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex, OnceLock};
    static COMPILED: OnceLock<Mutex<HashMap<String, Arc<jsonschema::Validator>>>> = OnceLock::new();
    let cache = COMPILED.get_or_init(Default::default);
    if let Some(v) = cache.lock().ok().and_then(|m| m.get(schema_name).cloned()) {
        return Ok(v);
    }
    let raw = collect::release::BUILTIN_SCHEMAS
        .iter()
        .find(|(n, _, _)| *n == schema_name)
        .map(|(_, _, raw)| *raw)
        .ok_or_else(|| Error::Inconsistent(format!("no built-in schema {schema_name}")))?;
    let schema: serde_json::Value = serde_json::from_slice(raw)
        .map_err(|e| Error::Inconsistent(format!("built-in schema {schema_name}: {e}")))?;
    let validator = Arc::new(
        jsonschema::validator_for(&schema)
            .map_err(|e| Error::Inconsistent(format!("built-in schema {schema_name}: {e}")))?,
    );
    if let Ok(mut m) = cache.lock() {
        m.entry(schema_name.to_owned())
            .or_insert_with(|| Arc::clone(&validator));
    }
    Ok(validator)
}

pub(super) fn canonical_check(
    artifact: &str,
    schema_name: &str,
    bytes: &[u8],
    reemit_identical: bool,
) -> Result<CanonicalFact> {
    Ok(CanonicalFact {
        artifact: artifact.into(),
        schema: Some(schema_name.into()),
        errors: validate(schema_name, bytes)?,
        reemit_identical,
    })
}

/// `relgate schema lock`/`check`: the current schemas, the lock as it is
/// (if any), and the check of one against the other.
pub fn schema_status(
    manifest_path: Option<&Path>,
    contract: Option<&Path>,
) -> Result<(
    PathBuf,
    Vec<schema::Current>,
    Option<schema::Lock>,
    schema::Status,
)> {
    let manifest = collect::manifest_or_cwd(manifest_path)?;
    let root = manifest.parent().map(Path::to_path_buf).unwrap_or_default();
    let contract = collect::release::contract(&root, contract)?;
    let (now, lock, _) = load_schemas(&root, &contract)?;
    let status = schema::check(lock.as_ref().unwrap_or(&schema::Lock::default()), &now)
        .map_err(|e| Error::SchemaLock(e.to_string()))?;
    Ok((root.join(&contract.schemas.lock), now, lock, status))
}

/// The schemas as they are now (each a valid JSON Schema), the lock, if
/// any, and the sha256 of its bytes.
pub(super) fn load_schemas(
    root: &Path,
    contract: &Contract,
) -> Result<(Vec<schema::Current>, Option<schema::Lock>, Option<String>)> {
    let now = collect::release::schemas(root, contract)?;
    check_schemas(&now)?;
    let lock_path = root.join(&contract.schemas.lock);
    let bytes = collect::release::read_optional(&lock_path, "schema lock")?;
    let sha256 = bytes
        .as_deref()
        .map(|b| crate::analyze::sbom::hex(&sha2::Sha256::digest(b)));
    let lock = bytes
        .map(|b| {
            schema::Lock::parse(&String::from_utf8_lossy(&b))
                .map_err(|e| Error::SchemaLock(format!("{}: {e}", lock_path.display())))
        })
        .transpose()?;
    Ok((now, lock, sha256))
}
