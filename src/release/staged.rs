//! Files bound for the release directory, each hashed once when staged:
//! the facts, `checksums.txt` and the signed subjects all read that digest.

use crate::gate::facts::ArtifactFact;
use std::path::{Path, PathBuf};

use crate::collect;
use crate::error::Result;
use crate::write;

/// A file bound for the release directory, hashed once when it is staged.
pub(super) struct Staged {
    pub(super) entry: write::Entry,
    pub(super) sha256: String,
    pub(super) size: u64,
}

impl Staged {
    pub(super) fn new(name: &str, content: write::Content, executable: bool) -> Result<Staged> {
        let (size, sha256) = match &content {
            write::Content::Bytes(b) => (b.len() as u64, sha256(b)),
            write::Content::Copy(p) | write::Content::Move(p) => {
                (collect::probe::len(p), collect::artifacts::sha256_file(p)?)
            }
        };
        Ok(Staged {
            entry: write::Entry {
                name: name.to_owned(),
                content,
                executable,
            },
            sha256,
            size,
        })
    }

    /// A verified part's file, copied into the merge's scratch directory
    /// while it was hashed: `sha256` and `size` are those of the copy's
    /// bytes, which are moved into the release as they are.
    pub(super) fn moved(name: &str, copy: PathBuf, sha256: String, size: u64, executable: bool) -> Staged {
        Staged {
            size,
            entry: write::Entry {
                name: name.to_owned(),
                content: write::Content::Move(copy),
                executable,
            },
            sha256,
        }
    }

    pub(super) fn digests(files: &[Staged]) -> Vec<(String, String)> {
        files
            .iter()
            .map(|f| (f.entry.name.clone(), f.sha256.clone()))
            .collect()
    }

    pub(super) fn entries(files: Vec<Staged>) -> Vec<write::Entry> {
        files.into_iter().map(|f| f.entry).collect()
    }
}

pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(super) fn sha256(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex(&Sha256::digest(bytes))
}

/// File names relgate writes into a release directory.
pub const RESERVED: [&str; 15] = [
    "sbom.cdx.json",
    "sbom.spdx.json",
    "sbom.spdx3.json",
    "compat_report.json",
    "metrics.json",
    "metrics.prom",
    "traces.ndjson",
    "gate.json",
    "report.md",
    "vex.openvex.json",
    "vex.cdx.json",
    "checksums.txt",
    "provenance.intoto.jsonl",
    "provenance.sigstore.json",
    "relgate.toml",
];

/// `<out>.rejected`, beside `<out>`.
pub fn rejected_dir(out: &Path) -> PathBuf {
    let mut name = out.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".rejected");
    out.with_file_name(name)
}

/// The files of a release before the gate: the built binaries (copied,
/// executable), both SBOMs and the compat report.
pub(super) fn evidence(
    names: &std::collections::BTreeMap<String, std::path::PathBuf>,
    cdx: Vec<u8>,
    spdx: Vec<u8>,
    compat_json: Option<&Vec<u8>>,
) -> Result<Vec<Staged>> {
    let mut files: Vec<Staged> = Vec::new();
    for (name, path) in names {
        files.push(Staged::new(name, write::Content::Copy(path.clone()), true)?);
    }
    files.push(Staged::new("sbom.cdx.json", write::Content::Bytes(cdx), false)?);
    files.push(Staged::new("sbom.spdx.json", write::Content::Bytes(spdx), false)?);
    if let Some(j) = compat_json {
        files.push(Staged::new(
            "compat_report.json",
            write::Content::Bytes(j.clone()),
            false,
        )?);
    }
    Ok(files)
}

/// `artifacts` as rules see them: every file staged so far, by kind.
pub(super) fn artifact_facts(files: &[Staged]) -> Vec<ArtifactFact> {
    files
        .iter()
        .map(|f| ArtifactFact {
            name: f.entry.name.clone(),
            kind: match f.entry.name.as_str() {
                "sbom.cdx.json" | "sbom.spdx.json" | "sbom.spdx3.json" => "sbom",
                "compat_report.json" => "compat-report",
                _ => "binary",
            }
            .into(),
            size_bytes: f.size,
            sha256: f.sha256.clone(),
        })
        .collect()
}
