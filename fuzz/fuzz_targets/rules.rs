//! Fuzzes the CEL front end of the gate's rules: the bounds checked before
//! parsing, the cel parser, name resolution, and the type check on the
//! specimen facts (which evaluates the expression). Any panic, stack
//! overflow or hang is a bug; a `RuleError` is the expected outcome.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(source) = std::str::from_utf8(data) {
        let _ = relgate::gate::rules::compile_assert(source);
    }
});
