//! `requests.csv`: one row per finished LLM call (`run --requests-csv`).

use crate::domain::Scenario;
use crate::metrics::ReplicationResult;

/// Header of `requests.csv`.
pub const REQUESTS_HEADER: [&str; 13] = [
    "scenario",
    "replication",
    "pool",
    "replica",
    "call",
    "arrival_s",
    "first_token_s",
    "last_token_s",
    "input_tokens",
    "output_tokens",
    "preemptions",
    "ttft_s",
    "cached_tokens",
];

/// Seconds with nanosecond precision, exactly as simulated.
fn secs(ns: u64) -> String {
    format!("{}.{:09}", ns / 1_000_000_000, ns % 1_000_000_000)
}

/// Writes the finished calls of replication `r`, per pool (scenario order), in the order of
/// their arrival at the pool (`call` numbers them from 0).
///
/// # Errors
/// The writer's error.
pub fn write_requests<W: std::io::Write>(
    w: &mut csv::Writer<W>,
    spec: &Scenario,
    r: &ReplicationResult,
) -> Result<(), csv::Error> {
    for (p, pr) in spec.gpu_pools.iter().zip(&r.gpu_pools) {
        let mut records = pr.records.clone();
        records.sort_by_key(|c| c.seq.serial);
        for c in &records {
            let s = &c.seq;
            w.write_record([
                spec.name.as_str(),
                &r.replication.to_string(),
                p.name.as_str(),
                &c.replica.to_string(),
                &s.serial.to_string(),
                &secs(s.arrived.0),
                &secs(s.first_token.0),
                &secs(s.last_token.0),
                &s.prompt.to_string(),
                &s.output.to_string(),
                &s.preemptions.to_string(),
                &secs(s.first_token.0 - s.arrived.0),
                &s.cached.to_string(),
            ])?;
        }
    }
    Ok(())
}
