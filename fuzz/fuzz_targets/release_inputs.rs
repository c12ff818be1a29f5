//! Fuzzes the files `relgate gate --dir`, `relgate ledger` and
//! `relgate schema` read from disk: a ledger (parse and verify, with and
//! without a pinned head), a schema lock, a gate.json, a checksums.txt,
//! strict JSON (duplicate keys), and a contract (TOML only; rules have
//! their own target, `rules`). Any panic is a bug;
//! errors and findings are expected outcomes.

#![no_main]

use libfuzzer_sys::fuzz_target;
use relgate::provenance::keys::PrivateKey;

fuzz_target!(|data: &[u8]| {
    let key = PrivateKey::from_seed([3; 32]).public();
    let _ = relgate::emit::gate::parse(data);
    let _ = relgate::emit::strict_json::check(data);
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = relgate::provenance::ledger::Ledger::parse(text);
    let _ = relgate::provenance::ledger::verify(text, &[key.clone()], None);
    let _ = relgate::provenance::ledger::verify(text, &[key], Some("sha256:00"));
    let _ = relgate::analyze::schema::Lock::parse(text);
    let _ = relgate::collect::artifacts::parse_checksums(text, std::path::Path::new("checksums.txt"));
    let _ = relgate::config::contract::Contract::from_toml(text, "fuzz");
    let _ = relgate::config::contract::Contract::from_cargo_toml(text, "fuzz");
});
