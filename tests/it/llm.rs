//! GPU serving: closed forms for a lone request, fast-forward against stepping, saturation,
//! and accounting of every call.

use super::support::scenario_from_str;
use infersim::domain::Scenario;
use infersim::domain::llm::perf::{BatchShape, IterationModel};
use infersim::engine::nanos_from_f64;
use infersim::metrics::ReplicationResult;
use infersim::run::{NoProgress, run_replication};

/// One GPU pool of Llama-3.1-70B on 4 x H100, one `llm` step per task.
fn llm_scenario(arrivals: &str, tokens: &str, pool_extra: &str, meta_extra: &str) -> String {
    format!(
        r#"
[scenario]
name = "llm"
seed = 11
{meta_extra}

[arrivals.a]
workflow = "w"
{arrivals}

[gpu_pool.g]
model = "llama-3.1-70b"
gpu = "h100-sxm"
tensor_parallel = 4
{pool_extra}

[[workflow.w.steps]]
name = "call"
kind = "llm"
pool = "g"
{tokens}
"#
    )
}

fn run1(s: &Scenario) -> ReplicationResult {
    run_replication(s, 0, &NoProgress).expect("runs")
}

fn ns(model: &IterationModel, shape: BatchShape) -> u64 {
    nanos_from_f64(model.time_s(&shape) * 1e9).max(1)
}

#[test]
fn a_lone_request_has_ttft_of_its_prefill_and_tpot_of_its_decode_iterations() {
    let (p, o) = (1000u64, 50u64);
    let mut s = scenario_from_str(&llm_scenario(
        "process = \"renewal\"\ninterarrival = { dist = \"deterministic\", mean_s = 1 }\nmax_arrivals = 1",
        &format!("input_tokens = {p}\noutput_tokens = {o}"),
        "",
        "",
    ));
    s.record_calls = true;
    let g = &s.gpu_pools[0];
    let model = IterationModel::new(&g.gpu, &g.model, g.tensor_parallel, g.perf);
    let r = run1(&s);
    let call = r.gpu_pools[0].records[0].seq;
    // Prefill: one iteration of the whole prompt (1000 tokens < max_num_batched_tokens).
    let prefill = ns(
        &model,
        BatchShape {
            prefill_tokens: p,
            prefill_attn: p as f64 * (p as f64 / 2.0),
            ..BatchShape::default()
        },
    );
    assert_eq!(call.first_token.0 - call.arrived.0, prefill, "TTFT");
    // Decode iteration j reads the prompt and the j + 1 tokens emitted so far.
    let decode: u64 = (0..o - 1)
        .map(|j| {
            ns(
                &model,
                BatchShape {
                    decode_seqs: 1,
                    decode_ctx: p + j + 1,
                    ..BatchShape::default()
                },
            )
        })
        .sum();
    assert_eq!(call.last_token.0 - call.first_token.0, decode);
    let tpot = &r.gpu_pools[0].calls.tpot;
    assert_eq!(tpot.count(), 1);
    assert_eq!(tpot.sum_ns(), u128::from(decode / (o - 1)), "TPOT");
    assert_eq!(
        r.gpu_pools[0].calls.wait.max_s(),
        Some(0.0),
        "no wait alone"
    );
    // MFU's numerator: the prefill's and each decode iteration's model FLOPs at peak.
    let prefill_shape = BatchShape {
        prefill_tokens: p,
        prefill_attn: p as f64 * (p as f64 / 2.0),
        ..BatchShape::default()
    };
    let ideal: f64 = model.ideal_s(&prefill_shape).0
        + (0..o - 1)
            .map(|j| {
                let d = BatchShape {
                    decode_seqs: 1,
                    decode_ctx: p + j + 1,
                    ..BatchShape::default()
                };
                model.ideal_s(&d).0
            })
            .sum::<f64>();
    let got = r.gpu_pools[0].calls.ideal_compute_s;
    assert!((got - ideal).abs() <= 1e-12 * ideal, "{got} vs {ideal}");
    // Independently: 2 x active parameters per token over 4 x 989 TFLOP/s, plus attention.
    let dense = 2.0 * g.model.params_active * (p + o - 1) as f64 / (4.0 * 989e12);
    assert!(
        got > dense && got < 1.05 * dense,
        "{got} vs dense-only {dense}"
    );
}

/// A Poisson stream at `rate_per_s` of lognormal calls on `replicas` replicas for 20 minutes,
/// all calls recorded.
fn busy(rate_per_s: f64, replicas: u32, extra: &str, drain: bool) -> Scenario {
    let mut s = scenario_from_str(&llm_scenario(
        &format!("rate_per_s = {rate_per_s}"),
        "input_tokens = { dist = \"lognormal\", mean = 1200, cv = 1.0, max = 16000 }\noutput_tokens = { dist = \"lognormal\", mean = 250, cv = 1.2, max = 4000 }",
        &format!("replicas = {replicas}\n{extra}"),
        &format!("horizon = \"20m\"\ndrain = {drain}"),
    ));
    s.record_calls = true;
    s
}

#[test]
fn fast_forward_gives_the_timings_of_stepping_every_iteration() {
    // A small KV cache (preemptions) and the default one, with every router.
    for extra in [
        "kv_blocks = 600\nrouting = \"least_kv_load\"",
        "routing = \"round_robin\"",
        "",
    ] {
        let ff = busy(3.0, 2, extra, true);
        let mut step = ff.clone();
        step.gpu_pools[0].fast_forward = false;
        let (a, b) = (run1(&ff), run1(&step));
        let (ra, rb) = (&a.gpu_pools[0], &b.gpu_pools[0]);
        assert!(ra.records.len() > 3000, "{}", ra.records.len());
        assert_eq!(ra.records, rb.records, "[{extra}] per-call timings differ");
        assert_eq!(ra.calls.itl.sum_ns(), rb.calls.itl.sum_ns());
        assert_eq!(ra.calls.preemptions, rb.calls.preemptions);
        assert_eq!(ra.kv_integral, rb.kv_integral);
        assert_eq!(ra.busy_integral, rb.busy_integral);
        assert!(
            a.events * 3 < b.events,
            "fast-forward {} events vs stepping {}",
            a.events,
            b.events
        );
        if extra.contains("kv_blocks") {
            assert!(ra.calls.preemptions > 0, "a 9,600-token cache must preempt");
        }
    }
}

#[test]
fn fast_forward_equals_stepping_when_a_horizon_cuts_decode_runs() {
    // No drain: the run stops at 20 minutes in the middle of decode runs; the tokens of the
    // iterations that ended before it count.
    for extra in ["kv_blocks = 600", ""] {
        let ff = busy(3.0, 2, extra, false);
        let mut step = ff.clone();
        step.gpu_pools[0].fast_forward = false;
        let (a, b) = (run1(&ff), run1(&step));
        let (ra, rb) = (&a.gpu_pools[0], &b.gpu_pools[0]);
        assert!(ra.running_at_end > 0, "calls are decoding at the horizon");
        assert_eq!(ra.records, rb.records);
        assert_eq!(ra.calls.output_tokens, rb.calls.output_tokens);
        assert_eq!(ra.calls.iterations, rb.calls.iterations);
        assert_eq!(ra.calls.itl.count(), rb.calls.itl.count());
        assert_eq!(ra.calls.itl.sum_ns(), rb.calls.itl.sum_ns());
        assert_eq!(ra.kv_integral, rb.kv_integral);
        assert_eq!(ra.kv_windows, rb.kv_windows);
        assert_eq!(ra.running_integral, rb.running_integral);
        // Summed per replica in the same order in both modes: bit for bit.
        assert_eq!(ra.calls.ideal_compute_s, rb.calls.ideal_compute_s);
        assert_eq!(ra.calls.ideal_memory_s, rb.calls.ideal_memory_s);
    }
}

#[test]
fn every_call_is_accounted_for_and_kv_is_released() {
    // Without drain: arrived = completed + waiting + running at the end.
    let s = busy(6.0, 1, "kv_blocks = 2000", false);
    let r = run1(&s);
    let p = &r.gpu_pools[0];
    assert_eq!(
        p.arrivals,
        p.calls.completed + p.waiting_at_end + p.running_at_end + p.rejected
    );
    assert!(p.waiting_at_end + p.running_at_end > 0, "overloaded");
    // With drain: everything completes and the cache ends empty.
    let s = busy(1.0, 1, "kv_blocks = 2000", true);
    let r = run1(&s);
    let p = &r.gpu_pools[0];
    assert_eq!(p.arrivals, p.calls.completed);
    assert_eq!(p.waiting_at_end + p.running_at_end, 0);
    assert_eq!(
        p.kv_blocks_free_at_end, 2000,
        "every KV block allocated was freed"
    );
    assert_eq!(p.records.len() as u64, p.calls.completed);
}

#[test]
fn a_call_that_can_never_fit_is_rejected_with_a_count() {
    let s = scenario_from_str(&llm_scenario(
        "rate_per_s = 1\nmax_arrivals = 5",
        "input_tokens = 5000\noutput_tokens = 10",
        "kv_blocks = 100",
        "",
    ));
    let r = run1(&s);
    assert_eq!(r.gpu_pools[0].rejected, 5);
    assert_eq!(r.gpu_pools[0].calls.completed, 0);
    assert_eq!(r.workflows[0].completed, 5, "tasks go on without the call");
}

#[test]
fn under_overload_throughput_plateaus_at_capacity_and_the_queue_grows() {
    // Fixed-size calls; the batch is limited to 32 sequences, so a saturated replica decodes
    // 32 sequences per iteration.
    let run_at = |rate: f64| {
        let s = scenario_from_str(&llm_scenario(
            &format!("rate_per_s = {rate}"),
            "input_tokens = 200\noutput_tokens = 400",
            "max_num_seqs = 32",
            "horizon = \"10m\"",
        ));
        let r = run1(&s);
        let p = r.gpu_pools[0].clone();
        let g = &s.gpu_pools[0];
        (
            p,
            IterationModel::new(&g.gpu, &g.model, g.tensor_parallel, g.perf),
        )
    };
    let (lo, model) = run_at(20.0);
    let (hi, _) = run_at(40.0);
    let t = 600.0;
    let (x_lo, x_hi) = (
        lo.calls.output_tokens as f64 / t,
        hi.calls.output_tokens as f64 / t,
    );
    // Capacity: 32 sequences per decode iteration at the mean context (200 + 200 tokens);
    // every 400 iterations each sequence is replaced, and its 200-token prefill rides along.
    let decode = model.time_s(&BatchShape {
        decode_seqs: 32,
        decode_ctx: 32 * 400,
        ..BatchShape::default()
    });
    let capacity = 32.0 / decode;
    assert!(
        (x_hi - x_lo).abs() / x_lo < 0.02,
        "throughput plateaus: {x_lo} vs {x_hi} tokens/s"
    );
    assert!(
        (x_hi / capacity - 1.0).abs() < 0.10,
        "throughput {x_hi} tokens/s vs capacity {capacity}"
    );
    assert!(hi.waiting_at_end > lo.waiting_at_end);
    assert!(
        lo.waiting_at_end > 1000,
        "the queue grows: {}",
        lo.waiting_at_end
    );
}

#[test]
fn the_real_conversation_trace_replays_identically_with_and_without_fast_forward() {
    let ff = super::support::scenario("scenarios/azure-conv-h100.toml");
    let mut ff = ff;
    ff.record_calls = true;
    let mut step = ff.clone();
    step.gpu_pools[0].fast_forward = false;
    let (a, b) = (run1(&ff), run1(&step));
    let (ra, rb) = (&a.gpu_pools[0], &b.gpu_pools[0]);
    assert_eq!(
        ra.records.len(),
        19_366,
        "every trace request completes (drain)"
    );
    assert_eq!(ra.records, rb.records, "per-request timings differ");
    assert_eq!(ra.calls.itl.sum_ns(), rb.calls.itl.sum_ns());
    let per_call = a.events as f64 / 19_366.0;
    assert!(per_call <= 6.0, "{per_call} events per LLM call");
    assert!(b.events > 3 * a.events, "stepping: {} events", b.events);
}

#[test]
fn every_trace_request_is_accounted_for_at_a_horizon() {
    let mut s = super::support::scenario("scenarios/azure-conv-h100.toml");
    s.drain = false;
    s.horizon = Some(infersim::engine::SimDuration::from_secs(20 * 60));
    let r = run1(&s);
    let p = &r.gpu_pools[0];
    let w = &r.workflows[0];
    // Requests of the first 20 minutes of the trace (offsets strictly below the horizon).
    let infersim::domain::ArrivalProcess::Trace(t) = &s.arrivals[0].process else {
        panic!("a trace scenario")
    };
    let expected = t
        .requests
        .iter()
        .filter(|q| q.at_ns < 1_200_000_000_000)
        .count() as u64;
    assert_eq!(w.started, expected);
    assert_eq!(p.arrivals, expected);
    assert_eq!(
        p.arrivals,
        p.calls.completed + p.waiting_at_end + p.running_at_end + p.rejected
    );
    assert_eq!(w.completed + w.in_flight_at_end, w.started);
    assert!(p.running_at_end > 0, "calls are in flight at 20 minutes");
}

#[test]
fn a_call_longer_than_the_models_context_is_rejected() {
    // Llama-3.1-70B accepts 131,072 tokens of context.
    let s = scenario_from_str(&llm_scenario(
        "rate_per_s = 1\nmax_arrivals = 3",
        "input_tokens = 131000\noutput_tokens = 100",
        "",
        "",
    ));
    let r = run1(&s);
    assert_eq!(
        (r.gpu_pools[0].rejected, r.gpu_pools[0].calls.completed),
        (3, 0)
    );
}

#[test]
fn every_router_spreads_simultaneous_long_prompts_over_idle_replicas() {
    // Eight 4,000-token prompts 10 ms apart on four replicas: a replica busy with a prefill
    // is loaded (queued or cached tokens, or calls), so the next call goes to an idle one.
    for routing in ["round_robin", "least_outstanding", "least_kv_load"] {
        let mut s = scenario_from_str(&llm_scenario(
            "process = \"renewal\"\ninterarrival = { dist = \"deterministic\", mean_s = 0.01 }\nmax_arrivals = 8",
            "input_tokens = 4000\noutput_tokens = 20",
            &format!("replicas = 4\nrouting = \"{routing}\""),
            "",
        ));
        s.record_calls = true;
        let r = run1(&s);
        let mut recs = r.gpu_pools[0].records.clone();
        recs.sort_by_key(|c| c.seq.serial);
        let replicas: Vec<u32> = recs.iter().map(|c| c.replica).collect();
        assert_eq!(replicas, [0, 1, 2, 3, 0, 1, 2, 3], "{routing}");
    }
}

#[test]
fn per_task_gpu_time_adds_up_to_the_gpus_busy_time() {
    // Drained: every iteration's time is shared among the calls of its batch (by tokens
    // processed), so the tasks' GPU seconds add up to busy replica time x GPUs per replica.
    for extra in ["kv_blocks = 600", "routing = \"round_robin\""] {
        let s = busy(3.0, 2, extra, true);
        let r = run1(&s);
        let p = &r.gpu_pools[0];
        let busy_gpu_s = p.busy_integral as f64 / 1e9 * 4.0;
        let tasks_gpu_s: f64 = r.workflows.iter().map(|w| w.usage.gpu_s).sum();
        // Shares are rounded down to 1/256 ns per call and iteration.
        let rounding = p.calls.iterations as f64 * 256.0 / 256.0 * 1e-9 * 4.0;
        assert!(
            (busy_gpu_s - tasks_gpu_s).abs() <= rounding,
            "[{extra}] busy {busy_gpu_s} GPU-s vs tasks {tasks_gpu_s} GPU-s"
        );
        let w = &r.workflows[0];
        assert_eq!(
            w.usage.llm_calls + p.rejected,
            w.completed,
            "one call per task"
        );
        assert_eq!(w.usage.output_tokens, p.calls.output_tokens);
    }
}
