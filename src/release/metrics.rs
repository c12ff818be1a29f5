//! The metrics stage: `metrics.json` / `metrics.prom` from what the
//! release measured. Sizes and counts are reproducible; durations, CPU and
//! memory are flagged `timing`.

use super::schemas::canonical_check;
use crate::emit::metrics::{Metric, MetricsDoc, ReleaseRef};
use crate::emit::traces::Stage as Span;
use crate::error::Result;
use crate::gate::build::{metric, metric_fact};
use crate::gate::facts::{ArtifactFact, CanonicalFact, MetricFact, SbomFact, TestsFact};

/// What the metrics are computed from.
pub(super) struct Inputs<'a> {
    pub(super) artifacts: &'a [ArtifactFact],
    pub(super) sbom: &'a SbomFact,
    pub(super) compat_changes: usize,
    pub(super) tests: &'a TestsFact,
    /// `None` with `--no-build`.
    pub(super) build_seconds: Option<f64>,
    pub(super) stages: &'a [Span],
    pub(super) release: ReleaseRef,
    /// relgate's own peak RSS (bytes) and CPU time (seconds), when known.
    pub(super) usage: (Option<u64>, Option<f64>),
}

/// `metrics.json`, `metrics.prom` and the metrics as rules see them.
pub(super) struct Rendered {
    pub(super) json: Vec<u8>,
    pub(super) prom: Vec<u8>,
    pub(super) facts: Vec<MetricFact>,
}

/// The metrics stage's output, and `metrics.json`'s canonical check (valid
/// against its schema, the same bytes when rendered again).
pub(super) fn render(i: &Inputs) -> Result<(Rendered, CanonicalFact)> {
    let doc = document(i);
    let json = crate::emit::metrics::render_json(&doc);
    let canonical = canonical_check(
        "metrics.json",
        "relgate:metrics",
        &json,
        crate::emit::metrics::render_json(&doc) == json,
    )?;
    Ok((
        Rendered {
            prom: crate::emit::metrics::render_prom(&doc),
            facts: doc.metrics.iter().cloned().map(metric_fact).collect(),
            json,
        },
        canonical,
    ))
}

/// The metrics document of a release.
pub(super) fn document(i: &Inputs) -> MetricsDoc {
    let mut metrics: Vec<Metric> = i
        .artifacts
        .iter()
        .map(|a| {
            metric(
                "release.artifact.size",
                "By",
                a.size_bytes as f64,
                &[("artifact", &a.name)],
                false,
            )
        })
        .collect();
    metrics.push(metric(
        "release.sbom.components",
        "{component}",
        i.sbom.components as f64,
        &[],
        false,
    ));
    for (kind, n) in &i.sbom.by_source_kind {
        metrics.push(metric(
            "release.sbom.components.by_source",
            "{component}",
            *n as f64,
            &[("source_kind", kind)],
            false,
        ));
    }
    metrics.push(metric(
        "release.compat.changes",
        "{change}",
        i.compat_changes as f64,
        &[],
        false,
    ));
    if i.tests.ran {
        metrics.push(metric(
            "release.i.tests.passed",
            "{test}",
            i.tests.passed as f64,
            &[],
            false,
        ));
        metrics.push(metric(
            "release.i.tests.failed",
            "{test}",
            i.tests.failed as f64,
            &[],
            false,
        ));
        metrics.push(metric(
            "release.i.tests.ignored",
            "{test}",
            i.tests.ignored as f64,
            &[],
            false,
        ));
    }
    if let Some(secs) = i.build_seconds {
        metrics.push(metric("release.build.duration", "s", secs, &[], true));
    }
    for s in i.stages {
        let secs = (s.end_unix_nanos - s.start_unix_nanos) as f64 / 1e9;
        metrics.push(metric(
            "release.stage.duration",
            "s",
            secs,
            &[("stage", &s.name)],
            true,
        ));
    }
    let (rss, cpu) = i.usage;
    if let Some(rss) = rss {
        metrics.push(metric("relgate.peak_rss", "By", rss as f64, &[], true));
    }
    if let Some(cpu) = cpu {
        metrics.push(metric("relgate.cpu.time", "s", cpu, &[], true));
    }
    MetricsDoc {
        release: i.release.clone(),
        metrics,
    }
}
