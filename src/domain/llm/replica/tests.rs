use super::*;
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
    let mut r = Replica::new(c);
    let mut areas = PoolLevels::new(SimDuration::from_secs(60));
    let mut sched = Scheduler::new();
    for (i, &(at, _, _)) in calls.iter().enumerate() {
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
                let (_, p, o) = calls[i];
                assert!(r.fits(p, o));
                r.submit(now, Seq::new(0, 0, i as u64, p, o, now), &mut areas)
            }
            Ev::Wake(g) => r.on_event(now, g, &Linear, &mut stats, &mut areas, &mut done),
        };
        if let Some(w) = wake {
            sched
                .schedule_late_at(w.at, Ev::Wake(w.generation))
                .unwrap();
        }
    }
    done.sort_by_key(|s| s.serial);
    (done, stats, events, r)
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
