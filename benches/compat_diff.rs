//! The diff phase of `relgate compat` on a large API: parse two rustdoc JSON
//! files (format version checked), walk the public API, diff and classify.
//!
//! Run: `cargo bench --bench compat_diff -- OLD.json NEW.json` (the xtask
//! `cargo xtask bench compat` produces syn's JSON with all features).

// A benchmark reports on stdout.
#![allow(clippy::disallowed_macros)]

use std::time::Instant;

use relgate::analyze::api::{parse_rustdoc, Api};
use relgate::analyze::compat::diff;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    // `cargo test --all-targets` runs this binary with no arguments and no
    // `--bench`: there is nothing to measure then, and nothing failed.
    if std::env::args().len() == 1 {
        eprintln!(
            "compat_diff: not run (no inputs); `cargo xtask bench compat` runs it with syn's rustdoc JSON"
        );
        return;
    }
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let [old, new] = args.as_slice() else {
        eprintln!("usage: cargo bench --bench compat_diff -- OLD.json NEW.json");
        std::process::exit(2);
    };
    let (old, new) = (
        std::fs::read(old).expect("old JSON"),
        std::fs::read(new).expect("new JSON"),
    );
    let (mut parse, mut walk, mut classify) = (Vec::new(), Vec::new(), Vec::new());
    let mut summary = (0, 0, 0);
    let mut last = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let (a, b) = (
            parse_rustdoc(&old).expect("old"),
            parse_rustdoc(&new).expect("new"),
        );
        parse.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let (x, y) = (Api::from_rustdoc(&a), Api::from_rustdoc(&b));
        walk.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let changes = diff(&x, &y);
        classify.push(t.elapsed().as_secs_f64());
        summary = (
            a.index.len() + b.index.len(),
            x.items.len() + y.items.len(),
            changes.len(),
        );
        last = changes;
    }
    let (p, w, c) = (median(parse), median(walk), median(classify));
    println!("compat diff phase on two rustdoc JSON files ({} index items, {} public API items, {} changes), median of 5:", summary.0, summary.1, summary.2);
    println!(
        "  parse (serde, both files) {:.3} s   walk public API {:.3} s   diff + classify {:.3} s",
        p, w, c
    );
    println!(
        "  diff phase (walk + diff + classify) {:.3} s   target: <= 0.2 s   (with parsing: {:.3} s)",
        w + c,
        p + w + c
    );
    let mut by_class = std::collections::BTreeMap::new();
    for ch in &last {
        *by_class.entry(ch.class().name()).or_insert(0) += 1;
    }
    println!("  changes by class: {by_class:?}");
    if std::env::args().any(|a| a == "--list") {
        for ch in last
            .iter()
            .filter(|c| c.class() == relgate::analyze::api::Bump::Major)
        {
            println!("  major {} [{}] {}", ch.path, ch.kind.id(), ch.detail);
        }
    }
}
