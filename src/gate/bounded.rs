//! Rules run with a time budget and a stack of their own.
//!
//! A CEL expression within the source bounds of [`super::rules`] can still
//! be slow (two nested macros over long lists around an `in`, a regex
//! compiled per element). Compiling (whose type check evaluates every
//! expression) and evaluating therefore run on a thread with a 256 MiB
//! stack, and the caller waits at most `[release] rule-timeout`: past it,
//! the rule being evaluated is named in a [`RuleError`] (exit 2), never a
//! pass. The abandoned thread runs on until the process ends — the CLI
//! exits at once; a library caller should do the same.

use std::cell::RefCell;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::facts::Facts;
use super::rules::{Compiled, RuleError};
use super::Verdict;
use crate::config::contract::Contract;

/// The stack of the thread that parses and evaluates rules.
const STACK: usize = 256 << 20;

thread_local! {
    static CURRENT: RefCell<Option<Arc<Mutex<String>>>> = const { RefCell::new(None) };
}

/// Records which rule is being worked on (read if the budget runs out).
pub(crate) fn note_rule(id: &str) {
    CURRENT.with(|c| {
        if let Some(m) = c.borrow().as_ref() {
            if let Ok(mut s) = m.lock() {
                id.clone_into(&mut s);
            }
        }
    });
}

fn budget(contract: &Contract) -> Duration {
    let secs = crate::config::parse_duration(&contract.release.rule_timeout).unwrap_or(30);
    Duration::from_secs(secs.max(1) as u64)
}

fn run<T: Send + 'static>(
    limit: Duration,
    work: impl FnOnce() -> Result<T, RuleError> + Send + 'static,
) -> Result<T, RuleError> {
    let current = Arc::new(Mutex::new(String::from("(built-in invariants)")));
    let (tx, rx) = mpsc::channel();
    let shared = Arc::clone(&current);
    let spawned = std::thread::Builder::new()
        .name("relgate-rules".into())
        .stack_size(STACK)
        .spawn(move || {
            CURRENT.with(|c| *c.borrow_mut() = Some(shared));
            let _ = tx.send(work());
        });
    let failed = |reason: String| RuleError {
        rule: current.lock().map(|s| s.clone()).unwrap_or_default(),
        field: "assert",
        reason,
    };
    if let Err(e) = spawned {
        return Err(failed(format!("cannot start the rule thread: {e}")));
    }
    match rx.recv_timeout(limit) {
        Ok(result) => result,
        Err(RecvTimeoutError::Timeout) => Err(failed(format!(
            "did not finish within {} s (`[release] rule-timeout`); simplify the expression (nested macros over long lists, `in` or `matches` inside them)",
            limit.as_secs()
        ))),
        Err(RecvTimeoutError::Disconnected) => Err(failed("the rule evaluator failed (a bug in relgate or cel)".into())),
    }
}

/// [`super::rules::compile`] within the contract's rule budget.
pub fn compile(contract: &Contract) -> Result<Arc<Compiled>, RuleError> {
    let owned = contract.clone();
    run(budget(contract), move || {
        super::rules::compile(&owned).map(Arc::new)
    })
}

/// [`super::evaluate`] within the contract's rule budget.
pub fn evaluate(contract: &Contract, compiled: &Arc<Compiled>, facts: &Facts) -> Result<Verdict, RuleError> {
    let (c, r, f) = (contract.clone(), Arc::clone(compiled), facts.clone());
    run(budget(contract), move || super::evaluate(&c, &r, &f))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slow_rule_is_an_error_naming_it_not_a_hang() {
        let toml = "[release]\nrule-timeout = \"1s\"\n[[rule]]\nid = \"slow\"\nassert = '''[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40].all(a, !\"x\".matches(\"\\\\w{200}\"))'''\n";
        let contract = Contract::from_toml(toml, "relgate.toml").unwrap();
        let started = std::time::Instant::now();
        let err = compile(&contract).unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(10));
        assert_eq!(err.rule, "slow", "{err}");
        assert!(err.reason.contains("did not finish"), "{err}");
    }
}
