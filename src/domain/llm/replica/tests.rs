use super::*;
use crate::domain::llm::catalog::Catalog;
use crate::domain::llm::perf::IterationModel;
use crate::domain::llm::pool::{GpuPool, Routing};
use crate::engine::{Scheduler, SimDuration};

/// A made-up roofline: 5 ms overhead, 0.1 ms per prefill token, 20 ns per context token read
/// and 0.2 ms per decoding sequence, so decode iterations lengthen as contexts grow.
struct Linear;
impl IterationTime for Linear {
    fn time_ns(&self, s: &BatchShape) -> u64 {
        5_000_000 + 100_000 * s.prefill_tokens + 20 * s.decode_ctx + 200_000 * s.decode_seqs
    }
}

fn cfg(fast_forward: bool, kv_blocks: u64) -> ReplicaConfig {
    ReplicaConfig {
        max_num_seqs: 8,
        max_num_batched_tokens: 512,
        block_size: 16,
        kv_blocks,
        fast_forward,
        stop_at: SimTime::MAX,
    }
}

#[derive(Debug, Clone, Copy)]
enum Ev {
    Arrive(usize),
    Wake(u32),
}

/// Drives one replica through `calls` = (arrival ns, prompt, output); returns the finished
/// calls sorted by serial, the stats, the events handled and the replica.
fn drive(calls: &[(u64, u32, u32)], c: ReplicaConfig) -> (Vec<Seq>, CallStats, u64, Replica) {
    let reqs: Vec<(u64, CallRequest)> = calls
        .iter()
        .map(|&(at, prompt, output)| (at, req(prompt, 0, output)))
        .collect();
    let d = drive_reqs(&reqs, c, &Linear);
    (d.done, d.stats, d.events, d.replica)
}

/// A request of `prompt` tokens (`cached` of them a prefix-cache hit) and `output` out.
fn req(prompt: u32, cached: u32, output: u32) -> CallRequest {
    CallRequest {
        task: 0,
        step: 0,
        tag: 0,
        prompt,
        cached,
        output,
    }
}

/// What [`drive_reqs`] returns.
struct Driven {
    /// Finished calls, sorted by serial.
    done: Vec<Seq>,
    stats: CallStats,
    events: u64,
    replica: Replica,
    /// ∫ busy dt of the replica [ns].
    busy_ns: i128,
}

/// Drives one replica through `calls` = (arrival ns, request) with iteration times `model`;
/// call `i` has serial `i`.
fn drive_reqs<M: IterationTime>(
    calls: &[(u64, CallRequest)],
    c: ReplicaConfig,
    model: &M,
) -> Driven {
    let mut r = Replica::new(c);
    let mut areas = PoolLevels::new(SimDuration::from_secs(60));
    let mut sched = Scheduler::new();
    for (i, &(at, _)) in calls.iter().enumerate() {
        sched.schedule_at(SimTime(at), Ev::Arrive(i)).unwrap();
    }
    let mut stats = CallStats::default();
    let mut done = Vec::new();
    let mut events = 0;
    while let Some(ev) = sched.pop() {
        events += 1;
        let now = sched.now();
        let wake = match ev {
            Ev::Arrive(i) => {
                let q = calls[i].1;
                assert!(r.fits(q.prompt, q.output));
                r.submit(now, Seq::from_request(&q, i as u64, now), &mut areas)
            }
            Ev::Wake(g) => r.on_event(
                now,
                g,
                model,
                &mut stats,
                &mut areas,
                &mut done,
                &mut FullClock,
            ),
        };
        if let Some(w) = wake {
            sched
                .schedule_late_at(w.at, Ev::Wake(w.generation))
                .unwrap();
        }
    }
    let end = sched.now();
    r.close_levels(end, &mut areas);
    let busy_ns = areas.busy.finish(end).0;
    done.sort_by_key(|s| s.serial);
    Driven {
        done,
        stats,
        events,
        replica: r,
        busy_ns,
    }
}

#[test]
fn a_lone_request_has_ttft_of_its_prefill_and_tpot_of_its_decode_steps() {
    let (p, o) = (100u32, 11u32);
    let (done, stats, _, _) = drive(&[(1_000, p, o)], cfg(true, 1000));
    let s = done[0];
    let prefill = 5_000_000 + 100_000 * u64::from(p);
    assert_eq!(
        s.first_token.0 - 1_000,
        prefill,
        "TTFT = one prefill iteration"
    );
    // Decode iteration j reads the prompt and the j + 1 tokens emitted so far.
    let decode: u64 = (0..u64::from(o - 1))
        .map(|j| 5_000_000 + 200_000 + 20 * (u64::from(p) + j + 1))
        .sum();
    assert_eq!(s.last_token.0 - s.first_token.0, decode);
    assert_eq!(stats.tpot.count(), 1);
    assert_eq!(stats.tpot.sum_ns(), u128::from(decode / u64::from(o - 1)));
    assert_eq!(
        stats.itl.count(),
        u64::from(o - 1),
        "one ITL sample per gap"
    );
    assert_eq!(stats.input_tokens, u64::from(p));
    assert_eq!(stats.output_tokens, u64::from(o));
}

#[test]
fn a_one_token_output_has_no_tpot_and_no_itl() {
    let (done, stats, _, _) = drive(&[(0, 50, 1)], cfg(true, 100));
    assert_eq!(done[0].first_token, done[0].last_token);
    assert_eq!((stats.tpot.count(), stats.itl.count()), (0, 0));
    assert_eq!(stats.e2e.count(), 1);
}

/// Pseudo-random calls (a fixed LCG, so the test needs no RNG crate state).
fn calls(n: usize, seed: u64, gap_ns: u64) -> Vec<(u64, u32, u32)> {
    let mut x = seed;
    let mut next = || {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        x >> 33
    };
    let mut t = 0;
    (0..n)
        .map(|_| {
            t += next() % (2 * gap_ns);
            (t, 1 + (next() % 700) as u32, 1 + (next() % 300) as u32)
        })
        .collect()
}

#[test]
fn fast_forward_gives_the_timings_of_stepping_with_fewer_events() {
    for (kv_blocks, seed) in [(10_000, 1), (120, 2), (64, 3)] {
        let calls = calls(300, seed, 40_000_000);
        let (ff, ff_stats, ff_events, _) = drive(&calls, cfg(true, kv_blocks));
        let (step, step_stats, step_events, _) = drive(&calls, cfg(false, kv_blocks));
        assert_eq!(ff.len(), 300);
        assert_eq!(ff, step, "kv_blocks {kv_blocks}: per-call timings differ");
        assert_eq!(ff_stats.preemptions, step_stats.preemptions);
        assert_eq!(ff_stats.iterations, step_stats.iterations);
        assert_eq!(ff_stats.itl.sum_ns(), step_stats.itl.sum_ns());
        assert_eq!(ff_stats.itl.count(), step_stats.itl.count());
        assert!(
            ff_events * 3 < step_events,
            "fast-forward should save events: {ff_events} vs {step_events}"
        );
        if kv_blocks == 64 {
            assert!(ff_stats.preemptions > 0, "a small cache must preempt");
        }
    }
}

#[test]
fn kv_blocks_are_conserved_and_all_calls_finish() {
    let calls = calls(200, 9, 10_000_000);
    let (done, stats, _, r) = drive(&calls, cfg(true, 80));
    assert_eq!(done.len(), 200);
    assert_eq!(stats.completed, 200);
    assert_eq!(r.free_blocks, 80, "every block allocated is freed");
    assert_eq!(r.kv_tokens, 0);
    assert_eq!(r.waiting_tokens, 0);
    assert_eq!(r.outstanding(), 0);
    let output: u64 = calls.iter().map(|c| u64::from(c.2)).sum();
    assert_eq!(
        stats.output_tokens, output,
        "every output token emitted once"
    );
}

#[test]
fn preemption_recomputes_the_latest_admitted_call() {
    // Two calls that cannot both hold their peak KV: 4 blocks of 16 tokens; each needs 3.
    let c = ReplicaConfig {
        max_num_seqs: 4,
        max_num_batched_tokens: 512,
        block_size: 16,
        kv_blocks: 4,
        fast_forward: true,
        stop_at: SimTime::MAX,
    };
    let (done, stats, _, r) = drive(&[(0, 16, 30), (0, 16, 30)], c);
    assert!(stats.preemptions >= 1);
    assert_eq!(
        done[0].preemptions, 0,
        "the first admitted call is never the victim"
    );
    assert!(done[1].preemptions >= 1);
    assert!(done[1].last_token > done[0].last_token);
    assert_eq!(r.free_blocks, 4);
}

#[test]
fn a_call_that_never_fits_is_detected() {
    let r = Replica::new(cfg(true, 10));
    assert!(r.fits(100, 61)); // 160 tokens = 10 blocks
    assert!(!r.fits(100, 62));
}

#[test]
fn a_very_long_output_runs_in_bounded_segments_with_the_same_timings() {
    let calls = [(0, 10, 40_000), (5_000_000_000, 100, 50)];
    let (ff, _, ff_events, _) = drive(&calls, cfg(true, 10_000));
    let (step, _, step_events, _) = drive(&calls, cfg(false, 10_000));
    assert_eq!(ff, step);
    // 40,000 decode iterations in runs of at most MAX_RUN_ITERATIONS, plus the second call.
    assert!(
        (40_000 / MAX_RUN_ITERATIONS..40).contains(&ff_events),
        "{ff_events}"
    );
    assert!(step_events > 40_000);
}

/// The iteration model of the scenarios: Llama 3.1 8B on H100 SXM, TP 1.
fn h100_llama8b() -> IterationModel {
    let cat = Catalog::builtin();
    let (coeffs, _) = cat.perf("h100-sxm", 1).unwrap();
    IterationModel::new(
        cat.gpu("h100-sxm").unwrap(),
        cat.model("llama-3.1-8b").unwrap(),
        1,
        coeffs,
    )
}

#[test]
fn a_cached_prefix_is_not_prefilled_but_is_attended_to() {
    let model = h100_llama8b();
    let (prompt, cached) = (4096u32, 4000u32);
    let d = drive_reqs(&[(1_000, req(prompt, cached, 1))], cfg(true, 1000), &model);
    let s = d.done[0];
    // One iteration prefilling the 96 computed tokens, each attending over the 4,000 cached
    // tokens and half the chunk on average.
    let expected = BatchShape {
        prefill_tokens: 96,
        prefill_attn: 96.0 * (4000.0 + 48.0),
        decode_seqs: 0,
        decode_ctx: 0,
    };
    let ttft = s.first_token.0 - 1_000;
    assert_eq!(ttft, IterationTime::time_ns(&model, &expected));
    // The same, up to the rounding to the nanosecond.
    let ttft_s = model.time_s(&expected);
    assert!(
        (ttft as f64 - ttft_s * 1e9).abs() <= 0.5,
        "TTFT {ttft} ns vs the model's {ttft_s} s"
    );
    assert_eq!(d.stats.iterations, 1);
    assert_eq!((s.cached, s.prompt), (cached, prompt));
    assert_eq!(d.stats.input_tokens, u64::from(prompt), "the whole prompt");
    // Far cheaper than prefilling the 4,096 tokens (8 chunks of 512).
    let uncached = drive_reqs(&[(1_000, req(prompt, 0, 1))], cfg(true, 1000), &model);
    assert_eq!(uncached.stats.iterations, 8);
    assert!(ttft * 5 < uncached.done[0].first_token.0 - 1_000);
    assert_eq!(d.replica.free_blocks, 1000);
    assert_eq!(d.replica.kv_tokens, 0);
}

#[test]
fn an_admitted_call_holds_blocks_for_its_cached_prefix_at_once() {
    let mut r = Replica::new(cfg(true, 1000));
    let mut areas = PoolLevels::new(SimDuration::from_secs(60));
    let mut stats = CallStats::default();
    let mut done = Vec::new();
    let q = CallRequest {
        tag: 77,
        ..req(4096, 4000, 3)
    };
    let w = r
        .submit(SimTime(0), Seq::from_request(&q, 0, SimTime(0)), &mut areas)
        .unwrap();
    assert_eq!(
        r.kv_load(SimTime(0)),
        4096,
        "a waiting call loads its whole prompt"
    );
    // The start: admission and the first iteration's plan.
    let w = r
        .on_event(
            w.at,
            w.generation,
            &Linear,
            &mut stats,
            &mut areas,
            &mut done,
            &mut FullClock,
        )
        .unwrap();
    assert_eq!(r.running.len(), 1);
    assert_eq!(
        r.running[0].blocks,
        4096 / 16,
        "cached + first chunk, at once"
    );
    assert_eq!(r.free_blocks, 1000 - 256);
    assert_eq!(r.kv_tokens, 4000, "the cached prefix is held");
    assert_eq!(
        r.running[0].chunk, 96,
        "only the uncached tokens are computed"
    );
    assert_eq!(r.kv_load(SimTime(1)), 4096);
    let mut wake = Some(w);
    while let Some(w) = wake {
        wake = r.on_event(
            w.at,
            w.generation,
            &Linear,
            &mut stats,
            &mut areas,
            &mut done,
            &mut FullClock,
        );
    }
    assert_eq!(done.len(), 1);
    assert_eq!(
        (done[0].tag, done[0].cached),
        (77, 4000),
        "returned unchanged"
    );
    assert_eq!((r.free_blocks, r.kv_tokens), (1000, 0));
}

#[test]
fn the_cached_prefix_is_clamped_to_leave_one_prompt_token() {
    let s = Seq::from_request(&req(10, 50, 1), 0, SimTime(0));
    assert_eq!(s.cached, 9);
    let d = drive_reqs(&[(0, req(10, 10, 2))], cfg(true, 100), &Linear);
    assert_eq!(d.done[0].cached, 9);
    assert_eq!(
        d.done[0].first_token.0,
        5_000_000 + 100_000,
        "one token prefilled"
    );
}

/// Calls of [`calls`] with a pseudo-random cached prefix (none for about a third).
fn cached_calls(n: usize, seed: u64, gap_ns: u64) -> Vec<(u64, CallRequest)> {
    calls(n, seed, gap_ns)
        .into_iter()
        .enumerate()
        .map(|(i, (at, p, o))| {
            let cached = match i % 3 {
                0 => 0,
                1 => p / 2,
                _ => p.saturating_sub(3),
            };
            (at, req(p, cached, o))
        })
        .collect()
}

#[test]
fn cached_calls_fast_forward_exactly_and_conserve_blocks() {
    for (kv_blocks, seed) in [(10_000, 4), (64, 5)] {
        let calls = cached_calls(300, seed, 40_000_000);
        let ff = drive_reqs(&calls, cfg(true, kv_blocks), &Linear);
        let step = drive_reqs(&calls, cfg(false, kv_blocks), &Linear);
        assert_eq!(ff.done.len(), 300);
        assert_eq!(ff.done, step.done, "kv_blocks {kv_blocks}");
        assert_eq!(ff.stats.iterations, step.stats.iterations);
        for r in [&ff.replica, &step.replica] {
            assert_eq!(r.free_blocks, kv_blocks, "every block allocated is freed");
            assert_eq!((r.kv_tokens, r.waiting_tokens), (0, 0));
        }
        if kv_blocks == 64 {
            assert!(ff.stats.preemptions > 0, "a small cache must preempt");
            // A preempted call keeps its cached prefix: finished calls report it unchanged.
            for (s, (_, q)) in ff.done.iter().zip(&calls) {
                assert_eq!(s.cached, q.cached);
            }
        }
    }
}

#[test]
fn a_preempted_call_skips_its_cached_prefix_again() {
    // As in the preemption test, but the victim has 12 of its 16 prompt tokens cached.
    let c = ReplicaConfig {
        max_num_seqs: 4,
        max_num_batched_tokens: 512,
        block_size: 16,
        kv_blocks: 4,
        fast_forward: true,
        stop_at: SimTime::MAX,
    };
    let d = drive_reqs(&[(0, req(16, 0, 30)), (0, req(16, 12, 30))], c, &Linear);
    assert!(d.done[1].preemptions >= 1);
    assert_eq!(d.done[1].cached, 12);
    assert_eq!(d.replica.free_blocks, 4);
    assert_eq!(d.replica.kv_tokens, 0);
}

#[test]
fn submit_call_without_a_cached_prefix_changes_nothing() {
    let model = h100_llama8b();
    let c = cfg(true, 64);
    let calls = calls(200, 11, 5_000_000);
    let run = |via_call: bool| {
        let mut pool = GpuPool::new(
            2,
            c,
            Routing::LeastKvLoad,
            model,
            SimDuration::from_secs(60),
            true,
            131_072,
        );
        #[derive(Debug, Clone, Copy)]
        enum PEv {
            Arrive(usize),
            Wake(u32, u32),
        }
        let mut sched = Scheduler::new();
        for (i, &(at, _, _)) in calls.iter().enumerate() {
            sched.schedule_at(SimTime(at), PEv::Arrive(i)).unwrap();
        }
        let mut done = Vec::new();
        while let Some(ev) = sched.pop() {
            let now = sched.now();
            let (replica, wake) = match ev {
                PEv::Arrive(i) => {
                    let (_, p, o) = calls[i];
                    let r = if via_call {
                        pool.submit_call(
                            now,
                            CallRequest {
                                task: i as u32,
                                step: 1,
                                tag: 0,
                                prompt: p,
                                cached: 0,
                                output: o,
                            },
                        )
                    } else {
                        pool.submit(now, i as u32, 1, p, o)
                    };
                    r.unwrap()
                }
                PEv::Wake(r, g) => (r, pool.on_event(now, r, g, &mut done)),
            };
            if let Some(w) = wake {
                sched
                    .schedule_late_at(w.at, PEv::Wake(replica, w.generation))
                    .unwrap();
            }
        }
        done.sort_by_key(|s| s.serial);
        (done, pool.stats.preemptions, pool.cached_tokens)
    };
    let (a, pa, ca) = run(false);
    let (b, pb, cb) = run(true);
    assert_eq!(a.len(), 200);
    assert_eq!(a, b, "same timings, shares and tokens");
    assert_eq!(pa, pb);
    assert!(pa > 0, "the comparison covers preemptions");
    assert_eq!((ca, cb), (0, 0));
}

/// Σ shares of the finished calls against the replica's busy time: shares are rounded down,
/// by less than one unit per sequence and iteration.
fn assert_shares_add_up(d: &Driven, max_num_seqs: u32) {
    let shares: u128 = d
        .done
        .iter()
        .map(|s| u128::from(s.replica_time_share))
        .sum();
    let busy = d.busy_ns as u128 * u128::from(SHARE_SCALE);
    let slack = u128::from(d.stats.iterations) * u128::from(max_num_seqs);
    assert!(
        shares <= busy && busy - shares <= slack,
        "shares {shares} vs busy {busy} (1/{SHARE_SCALE} ns), slack {slack}"
    );
}

#[test]
fn cached_tokens_take_no_share_and_the_shares_add_up_to_the_busy_time() {
    // A plain call and, alongside it, the same long call with and without a cached prefix.
    let with = |cached: u32| {
        drive_reqs(
            &[(0, req(1000, 0, 50)), (0, req(2000, cached, 50))],
            cfg(true, 10_000),
            &Linear,
        )
    };
    let (cached, uncached) = (with(1900), with(0));
    assert!(
        cached.done[1].replica_time_share * 2 < uncached.done[1].replica_time_share,
        "cached {} vs uncached {}",
        cached.done[1].replica_time_share,
        uncached.done[1].replica_time_share
    );
    assert_shares_add_up(&cached, 8);
    assert_shares_add_up(&uncached, 8);
    // A stream of cached and uncached calls, with preemptions.
    for kv_blocks in [10_000, 64] {
        let d = drive_reqs(
            &cached_calls(200, 7, 10_000_000),
            cfg(true, kv_blocks),
            &Linear,
        );
        assert_eq!(d.done.len(), 200);
        assert_shares_add_up(&d, 8);
    }
}
