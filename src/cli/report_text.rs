//! Short plain-text summaries printed by `run` and `validate`.

use crate::domain::{Scenario, StepKind};
use crate::metrics::{Metric, SummaryRow};
use crate::report::RunInfo;
use std::fmt::Write;
use std::path::Path;

/// The value of a summary row, if there is one.
pub(super) fn value(rows: &[SummaryRow], group: &str, metric: Metric, stat: &str) -> Option<f64> {
    rows.iter()
        .find(|r| r.group == group && r.metric == metric && r.stat == stat)
        .and_then(|r| r.value)
}

fn find(rows: &[SummaryRow], group: &str, metric: Metric, stat: &str) -> String {
    value(rows, group, metric, stat).map_or_else(
        || "-".into(),
        |v| match stat {
            // Totals are means over replications: keep a fraction when there is one, so
            // that a rare outcome is not rounded away.
            "total" if v.fract() != 0.0 => format!("{v:.2}"),
            "total" | "count" => format!("{v:.0}"),
            _ => format!("{v:.4}"),
        },
    )
}

/// What `validate` prints: the scenario's parts and each pool's offered load.
pub fn describe(spec: &Scenario) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "ok: scenario `{}`: {} arrival process(es), {} workflow(s), {} CPU pool(s), {} GPU pool(s); seed {}, {} replication(s)",
        spec.name,
        spec.arrivals.len(),
        spec.workflows.len(),
        spec.cpu_pools.len(),
        spec.gpu_pools.len(),
        spec.seed,
        spec.replications
    );
    for a in &spec.arrivals {
        let _ = writeln!(
            s,
            "  arrivals.{}: {:.4} tasks/s of workflow `{}`",
            a.name,
            spec.arrival_rate(a),
            spec.workflows[a.workflow.0 as usize].name
        );
    }
    for w in &spec.workflows {
        let deadline = w.deadline.map_or(String::new(), |d| {
            format!(", deadline {} s", d.as_secs_f64())
        });
        let _ = writeln!(
            s,
            "  workflow.{}: {} step(s){deadline}",
            w.name,
            w.steps.len()
        );
        // Predecessors of every step, from the successor lists, in one pass.
        let mut after: Vec<Vec<&str>> = vec![Vec::new(); w.steps.len()];
        let mut handles: Vec<Vec<&str>> = vec![Vec::new(); w.steps.len()];
        for p in &w.steps {
            for &succ in &p.successors {
                after[succ as usize].push(p.name.as_str());
            }
            if let crate::domain::OnFailure::Handler(h) = p.on_failure {
                handles[h as usize].push(p.name.as_str());
            }
        }
        for (i, (st, after)) in w.steps.iter().zip(after).enumerate() {
            let what = match &st.kind {
                StepKind::Cpu { pool, service } => format!(
                    "cpu on `{}`, mean service {:.4} s",
                    spec.cpu_pools[pool.0 as usize].name,
                    service.mean_s()
                ),
                StepKind::Delay { duration } => format!("delay, mean {:.4} s", duration.mean_s()),
                StepKind::Llm {
                    route,
                    input,
                    output,
                    ..
                } => {
                    let tokens = |t: &crate::domain::TokenSource| match t {
                        crate::domain::TokenSource::Trace => "from the trace".to_string(),
                        crate::domain::TokenSource::Dist { dist, .. } => {
                            format!("mean {:.0}", dist.mean_s())
                        }
                    };
                    format!(
                        "llm on `{}`, input tokens {}, output tokens {}",
                        route
                            .pools()
                            .iter()
                            .map(|p| spec.gpu_pools[p.0 as usize].name.as_str())
                            .collect::<Vec<_>>()
                            .join("`/`"),
                        tokens(input),
                        tokens(output)
                    )
                }
                StepKind::Human { pool, service } => format!(
                    "human review on `{}`, mean {:.4} s",
                    spec.human_pools[pool.0 as usize].name,
                    service.mean_s()
                ),
                StepKind::Call { workflow } => {
                    format!(
                        "call of workflow `{}`",
                        spec.workflows[workflow.0 as usize].name
                    )
                }
            };
            let after = if st.handler {
                format!("in place of {} when it fails", handles[i].join(", "))
            } else if after.is_empty() {
                "when the workflow starts".to_string()
            } else {
                format!("after {}", after.join(", "))
            };
            let mut extra = String::new();
            match st.join {
                crate::domain::Join::All => {}
                crate::domain::Join::First(k) => extra += &format!(", done at the first {k}"),
                crate::domain::Join::Quorum(k) => extra += &format!(", quorum {k}"),
            }
            if st.repeat.fixed() != Some(1) {
                extra += &format!(", repeated {:.4} times on average", st.repeat.mean());
            }
            if st.success_prob < 1.0 {
                extra += &format!(", succeeds with p = {}", st.success_prob);
            }
            if st.retry.max_attempts > 1 {
                extra += &format!(", up to {} attempts", st.retry.max_attempts);
                if let Some(f) = st.retry.from {
                    extra += &format!(" (re-running from {})", w.steps[f as usize].name);
                }
            }
            if let crate::domain::OnFailure::Handler(h) = st.on_failure {
                extra += &format!(", on failure {}", w.steps[h as usize].name);
            }
            let _ = writeln!(
                s,
                "    {}: {what}, x{} in parallel{extra}, {after}",
                st.name,
                match &st.fanout {
                    crate::domain::Fanout::Count(c) => format!("{:.4}", c.mean()),
                    crate::domain::Fanout::ForEach(j) =>
                        format!("one per copy of {}", w.steps[*j as usize].name),
                }
            );
        }
    }
    for (p, rho) in spec.cpu_pools.iter().zip(spec.offered_load()) {
        let _ = writeln!(
            s,
            "  cpu_pool.{}: {} server(s), offered load {rho:.4}",
            p.name, p.servers
        );
    }
    for (p, rho) in spec.human_pools.iter().zip(spec.human_offered_load()) {
        let hours = p.hours.map_or("around the clock".to_string(), |h| {
            let days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
                .iter()
                .zip(h.days)
                .filter(|(_, on)| *on)
                .map(|(d, _)| *d)
                .collect::<Vec<_>>()
                .join(" ");
            format!(
                "{:02}:{:02}-{:02}:{:02} on {days}",
                h.from_s / 3600,
                h.from_s / 60 % 60,
                h.to_s / 3600,
                h.to_s / 60 % 60
            )
        });
        let _ = writeln!(
            s,
            "  human_pool.{}: {} reviewer(s), {hours}, ${} per review, offered load {rho:.4} (around the clock)",
            p.name, p.reviewers, p.cost_per_review_usd
        );
    }
    for p in &spec.gpu_pools {
        let kv_tokens = p.kv_blocks * u64::from(p.block_size);
        let _ = writeln!(
            s,
            "  gpu_pool.{}: {} replica(s) of {} on {} x {}; KV cache {} blocks of {} tokens ({} tokens, {:.1} GB) per replica; roofline {}",
            p.name,
            p.replicas,
            p.model_name,
            p.tensor_parallel,
            p.gpu_name,
            p.kv_blocks,
            p.block_size,
            kv_tokens,
            kv_tokens as f64 * p.model.kv_bytes_per_token() / 1e9,
            p.perf_source
        );
    }
    s.push_str(&super::facility_text::describe(spec));
    s.push_str(&super::cost_text::describe(spec));
    s.push_str(&super::cost_text::describe_plan(spec));
    s
}

/// What `run` prints: headline figures per workflow and pool, and where the files are.
pub fn run_summary(spec: &Scenario, rows: &[SummaryRow], info: &RunInfo, dir: &Path) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{}: {} replication(s), seed {}, {} events in {:.2} s ({:.1} M events/s)",
        spec.name,
        spec.replications,
        spec.seed,
        info.events_all_replications,
        info.execution.wall_s,
        info.execution.events_per_s / 1e6
    );
    if !spec.overrides.is_empty() {
        let _ = writeln!(s, "  changed with --set {}", spec.overrides.join(", "));
    }
    for (i, w) in spec.workflows.iter().enumerate() {
        if !spec.starts_tasks(crate::domain::WorkflowId(i as u32)) {
            continue;
        }
        let g = format!("workflow:{}", w.name);
        let _ = writeln!(
            s,
            "  workflow {:<16} tasks started {}  ended {}  in flight at end {}  latency mean {} s  p50 {} s  p99 {} s",
            w.name,
            find(rows, &g, Metric::TasksStarted, "total"),
            find(rows, &g, Metric::TasksCompleted, "total"),
            find(rows, &g, Metric::TasksInFlightAtEnd, "total"),
            find(rows, &g, Metric::TaskLatencyS, "mean"),
            find(rows, &g, Metric::TaskLatencyS, "p50"),
            find(rows, &g, Metric::TaskLatencyS, "p99"),
        );
        let _ = writeln!(
            s,
            "           {:<16} succeeded {}  failed: deadline {}  retries exhausted {}  budget {}  SLO attainment {}",
            "",
            find(rows, &g, Metric::TasksSucceeded, "total"),
            find(rows, &g, Metric::TasksFailedDeadline, "total"),
            find(rows, &g, Metric::TasksFailedRetriesExhausted, "total"),
            find(rows, &g, Metric::TasksFailedBudget, "total"),
            find(rows, &g, Metric::SloAttainment, "mean"),
        );
        let _ = writeln!(
            s,
            "           {:<16} per task: LLM calls {}  tool calls {}  reviews {}  tokens {} ({} cached)  GPU-s {}",
            "",
            find(rows, &g, Metric::LlmCallsPerTask, "mean"),
            find(rows, &g, Metric::ToolCallsPerTask, "mean"),
            find(rows, &g, Metric::HumanReviewsPerTask, "mean"),
            find(rows, &g, Metric::TokensPerTask, "mean"),
            find(rows, &g, Metric::CachedTokensPerTask, "mean"),
            find(rows, &g, Metric::GpuSecondsPerTask, "mean"),
        );
    }
    let queues = spec
        .human_pools
        .iter()
        .map(|p| ("reviewers", &p.name))
        .chain(spec.cpu_pools.iter().map(|p| ("pool", &p.name)));
    for (label, name) in queues {
        let g = format!("pool:{name}");
        let _ = writeln!(
            s,
            "  {label:<8} {name:<16} utilization {}  wait mean {} s  p99 {} s",
            find(rows, &g, Metric::Utilization, "mean"),
            find(rows, &g, Metric::WaitS, "mean"),
            find(rows, &g, Metric::WaitS, "p99"),
        );
    }
    for p in &spec.gpu_pools {
        let g = format!("pool:{}", p.name);
        let _ = writeln!(
            s,
            "  gpu pool {:<16} calls {}  TTFT p50 {} s  p99 {} s  TPOT p50 {} s  p99 {} s  MFU {}  MBU {}  KV {}  preemptions {}",
            p.name,
            find(rows, &g, Metric::CallsCompleted, "total"),
            find(rows, &g, Metric::TtftS, "p50"),
            find(rows, &g, Metric::TtftS, "p99"),
            find(rows, &g, Metric::TpotS, "p50"),
            find(rows, &g, Metric::TpotS, "p99"),
            find(rows, &g, Metric::Mfu, "mean"),
            find(rows, &g, Metric::Mbu, "mean"),
            find(rows, &g, Metric::KvUtilization, "mean"),
            find(rows, &g, Metric::Preemptions, "total"),
        );
    }
    s.push_str(&super::facility_text::summary(spec, rows));
    s.push_str(&super::cost_text::summary(spec, rows));
    let requests = if spec.record_calls {
        ", requests.csv"
    } else {
        ""
    };
    let _ = writeln!(
        s,
        "wrote {}/{{summary.csv, timeseries.csv, distributions.csv, run.json{requests}}}",
        dir.display()
    );
    s
}

/// Warnings about a finished run (printed to stderr, even with `--quiet`).
pub fn run_warnings(spec: &Scenario, rows: &[SummaryRow]) -> Vec<String> {
    let mut out = super::facility_text::warnings(spec);
    for p in &spec.gpu_pools {
        let g = format!("pool:{}", p.name);
        if !p.perf_source.starts_with("calibrated ") {
            out.push(format!(
                "note: gpu_pool.{}: {} (iteration times are extrapolated, see docs/ARCHITECTURE.md)",
                p.name, p.perf_source
            ));
        }
        // Saturation: more calls wait, on average or at the end, than all batches can hold.
        let slots = f64::from(p.replicas) * f64::from(p.max_num_seqs);
        let (queue, at_end) = (
            value(rows, &g, Metric::QueueLength, "mean").unwrap_or(0.0),
            value(rows, &g, Metric::CallsWaitingAtEnd, "total").unwrap_or(0.0),
        );
        // A pool with no replica (an overflow target not yet bought) takes no call: it is
        // saturated only if calls wait there.
        if (queue >= slots || at_end >= slots) && (slots > 0.0 || queue > 0.0 || at_end > 0.0) {
            out.push(format!(
                "warning: gpu_pool.{} is saturated: {queue:.0} calls wait on average and {at_end:.0} at the end, more than its {slots:.0} batch slots ({} replicas x max_num_seqs {}); its queue grows while the load lasts: add replicas or lower the load",
                p.name, p.replicas, p.max_num_seqs
            ));
        }
        let rejected = find(rows, &g, Metric::CallsRejected, "total");
        if rejected != "0" && rejected != "-" {
            out.push(format!(
                "warning: {rejected} call(s) per replication on gpu_pool.{} were rejected: longer than {}'s context of {} tokens, or never fitting in a replica's KV cache ({} tokens)",
                p.name,
                p.model_name,
                p.model.max_context_tokens,
                p.kv_blocks * u64::from(p.block_size)
            ));
        }
    }
    out
}
