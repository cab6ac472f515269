//! Helpers shared by the integration tests.

use infersim::domain::Scenario;
use infersim::metrics::{Metric, ReplicationResult, SummaryRow, summarize};
use infersim::run::{NoProgress, run_replications};
use infersim::scenario::Diagnostic;
use std::path::{Path, PathBuf};

/// Path of a file in the repository.
pub fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// The `infersim` binary, run from the repository's root (scenario paths are relative to
/// it).
pub fn infersim() -> assert_cmd::Command {
    let mut c = assert_cmd::Command::cargo_bin("infersim").unwrap();
    c.current_dir(repo(""));
    c
}

/// Loads a bundled scenario or fails the test with the diagnostics.
pub fn scenario(rel: &str) -> Scenario {
    infersim::scenario::load(&repo(rel)).unwrap_or_else(|e| panic!("{e}"))
}

/// Parses scenario text (as if from `inline.toml` in the temp folder `dir`).
pub fn scenario_from_str(src: &str) -> Scenario {
    infersim::scenario::parse_str(src, Path::new("inline.toml")).unwrap_or_else(|e| panic!("{e}"))
}

/// Runs every replication of `s` on 2 threads.
pub fn run(s: &Scenario) -> Vec<ReplicationResult> {
    run_replications(s, Some(2), &NoProgress).expect("simulation runs")
}

/// The `(value, ci95_half_width)` of a summary row.
pub fn stat(rows: &[SummaryRow], group: &str, metric: Metric, stat: &str) -> (f64, f64) {
    let r = rows
        .iter()
        .find(|r| r.group == group && r.metric == metric && r.stat == stat)
        .unwrap_or_else(|| panic!("no row {group} {metric:?} {stat}"));
    (
        r.value.expect("a value"),
        r.ci95_half_width.unwrap_or(f64::NAN),
    )
}

/// Summary of a run.
pub fn summary(s: &Scenario) -> Vec<SummaryRow> {
    summarize(s, &run(s))
}

/// Statistical acceptance used by every oracle test: the estimate lies within three 95 %
/// half-widths of the exact value (about 99.9 % coverage if the model is right), and the
/// half-width itself is below `max_rel_half_width` of the exact value, so the test has the
/// power to catch an error of that size. Seeds are fixed in the scenario files.
pub fn assert_oracle(name: &str, estimate: (f64, f64), exact: f64, max_rel_half_width: f64) {
    let (value, h) = estimate;
    assert!(
        h.is_finite() && h <= max_rel_half_width * exact,
        "{name}: half-width {h} exceeds {max_rel_half_width} x {exact}: the test would be too weak"
    );
    assert!(
        (value - exact).abs() <= 3.0 * h,
        "{name}: estimate {value} ± {h} (95 %) is not within 3 half-widths of the exact {exact}"
    );
}

/// The problems of scenario text `src` read as if from `file`; fails the test if it is valid.
pub fn problems_in(src: &str, file: &Path) -> Vec<Diagnostic> {
    match infersim::scenario::parse_str(src, file) {
        Ok(_) => panic!("expected errors for:\n{src}"),
        Err(e) => e.problems,
    }
}

/// The problems of scenario text `src` (as if from `bad.toml`).
pub fn problems(src: &str) -> Vec<Diagnostic> {
    problems_in(src, Path::new("bad.toml"))
}

/// The problem at field path `path`; fails the test, listing them all, if there is none.
pub fn find<'a>(ps: &'a [Diagnostic], path: &str) -> &'a Diagnostic {
    ps.iter()
        .find(|p| p.path == path)
        .unwrap_or_else(|| panic!("no problem at {path}; got:\n{ps:#?}"))
}
