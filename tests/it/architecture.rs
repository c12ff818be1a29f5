//! "Only collect reads the world, only write writes": outside `collect/`,
//! `write.rs` and `main.rs`, no source file touches the file system, runs a
//! process or reads the clock itself (test modules excepted).

use std::path::Path;

use crate::support::repo;

/// What reading the world looks like in Rust source.
const FORBIDDEN: [&str; 12] = [
    "std::fs",
    "fs::read",
    "fs::write",
    "fs::metadata",
    "Command::new",
    "std::process::Command",
    "SystemTime",
    "Instant::now",
    ".is_file()",
    ".is_dir()",
    ".exists()",
    "read_dir(",
];

fn allowed(rel: &str) -> bool {
    rel.starts_with("collect/") || rel == "write.rs" || rel == "main.rs"
}

fn scan(dir: &Path, root: &Path, found: &mut Vec<String>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            scan(&path, root, found);
            continue;
        }
        if path.extension().and_then(|e| e.to_str()) != Some("rs") {
            continue;
        }
        let rel = path
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if allowed(&rel) {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for (n, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("#[cfg(test)]") {
                break;
            }
            let code = line.split("//").next().unwrap_or("");
            for f in FORBIDDEN {
                if code.contains(f) {
                    found.push(format!("src/{rel}:{}: `{f}` in `{}`", n + 1, line.trim()));
                }
            }
        }
    }
}

#[test]
fn only_collect_reads_and_only_write_writes() {
    let src = repo().join("src");
    let mut found = Vec::new();
    scan(&src, &src, &mut found);
    assert!(
        found.is_empty(),
        "reads of the world outside collect/ and write.rs:\n{}",
        found.join("\n")
    );
}

/// The scanner finds what it looks for (so the test above can fail).
#[test]
fn the_scanner_sees_a_forbidden_call() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("analyze")).unwrap();
    std::fs::write(
        dir.path().join("analyze/x.rs"),
        "fn f() { let _ = std::fs::read(\"a\"); }\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("write.rs"),
        "fn g() { std::fs::write(\"a\", b\"\").unwrap(); }\n",
    )
    .unwrap();
    let mut found = Vec::new();
    scan(dir.path(), dir.path(), &mut found);
    assert!(!found.is_empty(), "the scanner missed std::fs::read");
    assert!(
        found.iter().all(|f| f.starts_with("src/analyze/x.rs:1")),
        "{found:?}"
    );
}
