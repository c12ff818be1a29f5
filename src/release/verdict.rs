//! The gate stage: every rule evaluated on the facts (on a bounded thread,
//! within the contract's rule timeout), and `gate.json`, which must
//! validate against relgate's own schema.

use super::schemas::validate;
use super::ReleasePlan;
use crate::error::{Error, Result};
use crate::gate::facts::Facts;
use crate::gate::Verdict;

/// The verdict on `facts` and its `gate.json`.
pub(super) fn decide(plan: &ReleasePlan, facts: &Facts) -> Result<(Verdict, Vec<u8>)> {
    let verdict =
        crate::gate::bounded::evaluate(&plan.contract, &plan.compiled, facts).map_err(Error::Rule)?;
    let doc = crate::emit::gate::doc(&verdict, facts, &plan.contract);
    let json = crate::emit::gate::render(&doc);
    let errors = validate("relgate:gate", &json)?;
    if !errors.is_empty() {
        return Err(Error::Inconsistent(format!(
            "gate.json does not validate against its own schema: {}",
            errors.join("; ")
        )));
    }
    Ok((verdict, json))
}
