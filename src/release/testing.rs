//! The test stage: `[release] test-command` (default `cargo test
//! --workspace --locked`) in the workspace root, its counts read from
//! libtest's `test result:` lines; not run when `run-tests = false`.

use super::ReleasePlan;
use crate::collect;
use crate::gate::facts::TestsFact;

/// Runs the tests the contract asks for.
pub(super) fn run(plan: &ReleasePlan) -> TestsFact {
    let contract = &plan.contract;
    if !contract.release.run_tests {
        return TestsFact::default();
    }
    let cmd = contract
        .release
        .test_command
        .clone()
        .unwrap_or_else(collect::release::default_test_command);
    collect::release::tests(&plan.root, &cmd)
}
