//! The stages of a release, in order, and the clock that times them:
//! progress events, and the spans of `traces.ndjson`.

use crate::emit::traces::{AttrValue, Stage as Span};

/// Progress events, for a progress bar or log lines.
#[derive(Debug, Clone, PartialEq)]
pub enum Progress {
    /// A stage began.
    Started {
        /// Stage name.
        stage: &'static str,
        /// 1-based position.
        index: usize,
        /// Number of stages.
        total: usize,
    },
    /// A stage ended.
    Finished {
        /// Stage name.
        stage: &'static str,
        /// Wall time.
        seconds: f64,
    },
}

/// The stages of a release, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    /// Contract, rules, key, lock, git, ledger, paths: everything checked before work.
    Preflight,
    /// `cargo metadata` (features replayed for what ships), toolchain, git.
    Collect,
    /// `cargo build --release --locked` of the shipped packages.
    Build,
    /// The test command.
    Test,
    /// The SBOMs of what ships.
    Sbom,
    /// The schema lock against the schemas now.
    SchemaLock,
    /// Every library member against its baseline.
    Compat,
    /// `metrics.json` and `metrics.prom`.
    Metrics,
    /// Built-in invariants and rules.
    Gate,
    /// `report.md`.
    Report,
    /// `checksums.txt` and the DSSE-signed provenance.
    Sign,
    /// The release directory, swapped in atomically.
    Write,
    /// The signed ledger line.
    Ledger,
}

impl Stage {
    /// Every stage, in order.
    pub const ALL: [Stage; 13] = [
        Stage::Preflight,
        Stage::Collect,
        Stage::Build,
        Stage::Test,
        Stage::Sbom,
        Stage::SchemaLock,
        Stage::Compat,
        Stage::Metrics,
        Stage::Gate,
        Stage::Report,
        Stage::Sign,
        Stage::Write,
        Stage::Ledger,
    ];

    /// The id progress lines, metrics and trace spans use.
    pub fn id(self) -> &'static str {
        STAGES[self as usize]
    }

    /// What the stage does.
    pub fn explain(self) -> &'static str {
        match self {
            Stage::Preflight => "checks the contract (rules type-checked), key, Cargo.lock, git tree, ledger, schemas and paths before any work",
            Stage::Collect => "reads cargo metadata (and works out what cargo builds for the shipped packages), the toolchain and git",
            Stage::Build => "builds the shipped packages with cargo build --release --locked",
            Stage::Test => "runs the test command and reads libtest's counts",
            Stage::Sbom => "renders the CycloneDX and SPDX SBOMs of what ships",
            Stage::SchemaLock => "compares the schemas now with the schema lock",
            Stage::Compat => "compares every publishable library member with its own baseline",
            Stage::Metrics => "writes metrics.json and metrics.prom",
            Stage::Gate => "evaluates the built-in invariants, rules and waivers",
            Stage::Report => "renders report.md",
            Stage::Sign => "writes checksums.txt and signs the provenance",
            Stage::Write => "swaps the release directory in atomically",
            Stage::Ledger => "appends the signed ledger line",
        }
    }
}

/// The stage ids, in order (`Stage::id`).
pub const STAGES: [&str; 13] = [
    "preflight",
    "collect",
    "build",
    "test",
    "sbom",
    "schema-lock",
    "compat",
    "metrics",
    "gate",
    "report",
    "sign",
    "write",
    "ledger",
];

pub(super) struct Clock<'a> {
    /// Where the time comes from (the injected environment).
    pub(super) env: &'a dyn crate::collect::Env,
    pub(super) stages: Vec<Span>,
    pub(super) progress: &'a mut dyn FnMut(Progress),
    pub(super) current: Option<(&'static str, u128)>,
}

impl Clock<'_> {
    pub(super) fn start(&mut self, stage: Stage) {
        self.finish(Vec::new());
        let index = stage as usize + 1;
        let stage = stage.id();
        (self.progress)(Progress::Started {
            stage,
            index,
            total: STAGES.len(),
        });
        self.current = Some((stage, self.env.now_nanos()));
    }

    /// [`Clock::start`] for a stage that began at `start` (Unix nanoseconds
    /// from the same clock): a merge's preflight, run before its parts were
    /// verified.
    pub(super) fn started_at(&mut self, stage: Stage, start: u128) {
        self.start(stage);
        if let Some((_, at)) = self.current.as_mut() {
            *at = start;
        }
    }

    pub(super) fn finish(&mut self, attributes: Vec<(String, AttrValue)>) {
        if let Some((stage, start)) = self.current.take() {
            let end = self.env.now_nanos();
            (self.progress)(Progress::Finished {
                stage,
                seconds: (end - start) as f64 / 1e9,
            });
            self.stages.push(Span {
                name: stage.into(),
                start_unix_nanos: start,
                end_unix_nanos: end,
                error: None,
                attributes,
                events: Vec::new(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Stage, STAGES};

    /// The ids are part of metrics.json, traces and progress output:
    /// renaming or reordering one is a breaking change.
    #[test]
    fn stage_ids_are_frozen() {
        let ids: Vec<&str> = Stage::ALL.iter().map(|s| s.id()).collect();
        assert_eq!(ids, STAGES);
        assert_eq!(
            ids.join(" "),
            "preflight collect build test sbom schema-lock compat metrics gate report sign write ledger"
        );
        for s in Stage::ALL {
            assert!(!s.explain().is_empty());
        }
    }
}
