//! Whether a crates.io version is yanked, as far as this machine knows
//! offline: cargo's local cache of the crates.io sparse index
//! (`$CARGO_HOME/registry/index/index.crates.io-*/.cache/`), which cargo
//! fills as it resolves. relgate never fetches the index; a crate whose
//! entry is not cached is "unknown", never "not yanked", and the cache's
//! age is reported with the answer (a version yanked after the last fetch
//! is not known here).
//!
//! A cache file is cargo's binary format: one byte of cache version, four
//! of index format version, the index version string, a NUL, then pairs of
//! (version string, NUL, index JSON line, NUL). Only regular files of at
//! most [`MAX_ENTRY_FILE`] bytes are read; anything else is "unknown".

use std::path::{Path, PathBuf};

/// Largest cache file read (the biggest crates.io index files are a few MiB).
pub const MAX_ENTRY_FILE: u64 = 16 << 20;

/// What the cache says about one version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Yank {
    /// The cached index entry says it is yanked.
    Yanked,
    /// The cached index entry says it is not.
    Live,
    /// No cached entry for this version.
    Unknown,
}

/// The cache's answer for one crate version, and when the file was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    /// The answer.
    pub yank: Yank,
    /// The cache file's modification time (Unix seconds), when read.
    pub fetched: Option<i64>,
}

/// `$CARGO_HOME` (else `$HOME/.cargo`).
pub fn cargo_home(env: &dyn super::Env) -> Option<PathBuf> {
    env.var("CARGO_HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .or_else(|| env.var("HOME").map(|h| Path::new(&h).join(".cargo")))
}

/// The cache directories of crates.io's sparse index under `cargo_home`.
pub fn crates_io_caches(cargo_home: &Path) -> Vec<PathBuf> {
    let index = cargo_home.join("registry").join("index");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&index)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("index.crates.io-"))
        .map(|e| e.path().join(".cache"))
        .filter(|p| std::fs::symlink_metadata(p).is_ok_and(|m| m.is_dir()))
        .collect();
    dirs.sort();
    dirs
}

/// The index's path of a crate (`1/a`, `2/ab`, `3/a/abc`, `ab/cd/abcd…`), lowercased.
pub fn entry_path(name: &str) -> PathBuf {
    let n = name.to_ascii_lowercase();
    match n.len() {
        0 => PathBuf::new(),
        1 => Path::new("1").join(&n),
        2 => Path::new("2").join(&n),
        3 => Path::new("3").join(&n[..1]).join(&n),
        _ => Path::new(&n[..2]).join(&n[2..4]).join(&n),
    }
}

/// What the caches say about `name` `version`: the first cache (of
/// several cargo versions') that has the version decides.
pub fn state(caches: &[PathBuf], name: &str, version: &str) -> State {
    let rel = entry_path(name);
    for dir in caches {
        let path = dir.join(&rel);
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if !meta.is_file() || meta.len() > MAX_ENTRY_FILE {
            continue;
        }
        if let Some(yanked) = read_entry(&path, meta.len(), version) {
            let fetched = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map(|d| d.as_secs() as i64);
            return State {
                yank: if yanked { Yank::Yanked } else { Yank::Live },
                fetched,
            };
        }
    }
    State {
        yank: Yank::Unknown,
        fetched: None,
    }
}

/// What the caches under `$CARGO_HOME` say about each (name, version).
pub fn states<'a>(
    env: &dyn super::Env,
    crates: impl Iterator<Item = (&'a str, &'a str)>,
) -> std::collections::BTreeMap<(String, String), State> {
    let caches = cargo_home(env).map(|h| crates_io_caches(&h)).unwrap_or_default();
    crates
        .map(|(n, v)| ((n.to_owned(), v.to_owned()), state(&caches, n, v)))
        .collect()
}

/// How much of a large cache file is searched first: versions are listed
/// in publication order, so a locked (usually recent) one is near the end.
const TAIL: u64 = 256 << 10;

/// The yanked flag of `version` in the cache file at `path` (of `len`
/// bytes): its header is checked, then its last [`TAIL`] bytes are
/// searched, and only when the version is not there the whole file.
fn read_entry(path: &Path, len: u64, version: &str) -> Option<bool> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = std::fs::File::open(path).ok()?;
    if len <= TAIL {
        let mut bytes = Vec::with_capacity(len as usize);
        file.take(MAX_ENTRY_FILE).read_to_end(&mut bytes).ok()?;
        return parse(&bytes, version);
    }
    let mut header = [0u8; 5];
    file.read_exact(&mut header).ok()?;
    if !matches!(header[0], 3 | 4) {
        return None;
    }
    file.seek(SeekFrom::Start(len - TAIL)).ok()?;
    let mut tail = Vec::with_capacity(TAIL as usize);
    file.by_ref().take(TAIL).read_to_end(&mut tail).ok()?;
    // The first field of the tail may be cut: it is never taken as a version.
    let mut fields = tail.split(|b| *b == 0).skip(1).peekable();
    while let Some(field) = fields.next() {
        if field == version.as_bytes() {
            if let Some(line) = fields.peek().filter(|l| l.first() == Some(&b'{')) {
                return yanked_of(line, version);
            }
        }
    }
    file.seek(SeekFrom::Start(0)).ok()?;
    let mut bytes = Vec::with_capacity(len as usize);
    file.take(MAX_ENTRY_FILE).read_to_end(&mut bytes).ok()?;
    parse(&bytes, version)
}

/// The `yanked` flag of an index JSON line that must be `version`'s.
fn yanked_of(line: &[u8], version: &str) -> Option<bool> {
    let entry: serde_json::Value = serde_json::from_slice(line).ok()?;
    if entry.get("vers").and_then(|x| x.as_str()) != Some(version) {
        return None;
    }
    Some(entry.get("yanked").and_then(|y| y.as_bool()).unwrap_or(false))
}

/// Whether the cache file's entry for `version` is yanked (`None`: no such
/// entry, or a file relgate does not understand).
pub fn parse(bytes: &[u8], version: &str) -> Option<bool> {
    // Cache versions 3 and 4 share this layout.
    if bytes.len() < 5 || !matches!(bytes[0], 3 | 4) {
        return None;
    }
    let mut fields = bytes[5..].split(|b| *b == 0);
    fields.next()?; // the index version
    while let (Some(v), Some(line)) = (fields.next(), fields.next()) {
        if v == version.as_bytes() {
            return yanked_of(line, version);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache_file(entries: &[(&str, bool)]) -> Vec<u8> {
        let mut b = vec![3u8, 2, 0, 0, 0];
        b.extend(b"etag: \"abc\"\0");
        for (v, yanked) in entries {
            b.extend(v.as_bytes());
            b.push(0);
            b.extend(format!(r#"{{"name":"demo","vers":"{v}","deps":[],"cksum":"00","features":{{}},"yanked":{yanked}}}"#).as_bytes());
            b.push(0);
        }
        b
    }

    #[test]
    fn the_index_cache_answers_only_for_versions_it_holds() {
        let f = cache_file(&[("1.0.0", false), ("1.0.1", true)]);
        assert_eq!(parse(&f, "1.0.0"), Some(false));
        assert_eq!(parse(&f, "1.0.1"), Some(true));
        assert_eq!(parse(&f, "1.0.2"), None);
        assert_eq!(parse(&f[..3], "1.0.0"), None);
        let mut other = f.clone();
        other[0] = 9;
        assert_eq!(
            parse(&other, "1.0.0"),
            None,
            "an unknown cache version is not read"
        );
        assert_eq!(entry_path("a"), Path::new("1/a"));
        assert_eq!(entry_path("Ab"), Path::new("2/ab"));
        assert_eq!(entry_path("syn"), Path::new("3/s/syn"));
        assert_eq!(entry_path("Serde_Json"), Path::new("se/rd/serde_json"));

        let dir = tempfile::tempdir().unwrap();
        let cache = dir
            .path()
            .join("registry/index/index.crates.io-1949cf8c6b5b557f/.cache");
        std::fs::create_dir_all(cache.join("de/mo")).unwrap();
        std::fs::write(cache.join("de/mo/demo"), &f).unwrap();
        let caches = crates_io_caches(dir.path());
        assert_eq!(caches, std::slice::from_ref(&cache));
        assert_eq!(state(&caches, "demo", "1.0.1").yank, Yank::Yanked);
        assert_eq!(state(&caches, "demo", "1.0.0").yank, Yank::Live);
        assert!(state(&caches, "demo", "1.0.0").fetched.is_some());
        assert_eq!(state(&caches, "demo", "2.0.0").yank, Yank::Unknown);
        assert_eq!(state(&caches, "nope", "1.0.0").yank, Yank::Unknown);
        // A cache file larger than the tail searched first: a version near
        // its start is found by the whole-file read, one at its end in the tail.
        let many: Vec<(String, bool)> = (0..8000).map(|i| (format!("0.{i}.0"), i % 7 == 0)).collect();
        let refs: Vec<(&str, bool)> = many.iter().map(|(v, y)| (v.as_str(), *y)).collect();
        let big = cache_file(&refs);
        assert!(big.len() as u64 > 2 * TAIL);
        std::fs::create_dir_all(cache.join("bi/gg")).unwrap();
        std::fs::write(cache.join("bi/gg/bigger"), &big).unwrap();
        for i in [0, 1, 7, 4000, 7994, 7997, 7999] {
            let v = format!("0.{i}.0");
            let yanked = i % 7 == 0;
            let want = if yanked { Yank::Yanked } else { Yank::Live };
            assert_eq!(state(&caches, "bigger", &v).yank, want, "{v}");
            assert_eq!(parse(&big, &v), Some(yanked), "{v}");
        }
        assert_eq!(state(&caches, "bigger", "9.9.9").yank, Yank::Unknown);
        // A directory (or any special file) where the entry should be: unknown.
        std::fs::create_dir_all(cache.join("we/ir/weird")).unwrap();
        assert_eq!(state(&caches, "weird", "1.0.0").yank, Yank::Unknown);
    }
}
