//! Engine throughput (criterion): the bare kernel with a trivial model, and the full scenario
//! model on the M/M/4 of `scenarios/oracles/mmc.toml` with every statistic on, GPU serving
//! (the conversation trace), agentic workflows, the facility, and the fleet-scale scenario.
//! Run: `cargo bench --bench engine`. Peers side by side: `python3 benches/peers.py`.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use infersim::engine::{Model, ScheduleError, Scheduler, SimDuration, SimTime, Simulation};
use infersim::run::{NoProgress, run_replication};
use std::hint::black_box;
use std::path::Path;

/// Each event schedules the next one a pseudo-random delay later until `left` runs out; a
/// fixed population of `width` chains keeps the heap at that size.
struct Chains {
    left: u64,
    x: u64,
}

impl Model for Chains {
    type Event = u32;
    type Error = ScheduleError;
    fn handle(&mut self, s: &mut Scheduler<u32>, e: u32) -> Result<(), ScheduleError> {
        if self.left > 0 {
            self.left -= 1;
            // xorshift delay in [1, 1024] ns
            self.x ^= self.x << 13;
            self.x ^= self.x >> 7;
            self.x ^= self.x << 17;
            s.schedule_in(SimDuration(1 + (self.x & 1023)), e)?;
        }
        Ok(())
    }
}

fn kernel(c: &mut Criterion) {
    let mut g = c.benchmark_group("kernel");
    let events = 1_000_000u64;
    g.throughput(Throughput::Elements(events));
    for width in [8u32, 1024] {
        g.bench_with_input(BenchmarkId::new("events", width), &width, |b, &width| {
            b.iter(|| {
                let mut sim = Simulation::new(Chains {
                    left: events,
                    x: 88172645463325252,
                });
                for i in 0..width {
                    sim.scheduler_mut().schedule_at(SimTime(0), i).unwrap();
                }
                sim.run(None, |_, _| {}).unwrap();
                black_box(sim.events())
            })
        });
    }
    g.finish();
}

fn mmc_model(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/oracles/mmc.toml");
    let mut spec = infersim::scenario::load(&path).expect("bundled scenario is valid");
    let customers = 200_000u64;
    spec.arrivals[0].max_arrivals = Some(customers);
    let mut g = c.benchmark_group("model");
    g.throughput(Throughput::Elements(customers));
    g.sample_size(20);
    g.bench_function("mm4_customers", |b| {
        b.iter(|| black_box(run_replication(&spec, 0, &NoProgress).unwrap().events))
    });
    g.finish();
}

/// The whole Azure conversation trace (19,366 requests) on four Llama-3.1-70B replicas:
/// loading (trace parsing included) and the replay, per request.
fn conv_trace(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/azure-conv-h100.toml");
    let spec = infersim::scenario::load(&path).expect("bundled scenario is valid");
    let mut g = c.benchmark_group("llm");
    g.throughput(Throughput::Elements(19_366));
    g.sample_size(20);
    g.bench_function("conv_trace_load", |b| {
        b.iter(|| black_box(infersim::scenario::load(&path).unwrap().arrivals.len()))
    });
    g.bench_function("conv_trace_replay", |b| {
        b.iter(|| black_box(run_replication(&spec, 0, &NoProgress).unwrap().events))
    });
    g.finish();
}

/// The coding-agent scenario (loops, subagent fan-out, growing context, prefix cache), one
/// replication of its hour, at its own arrival rate and at 10x the rate on a 10x fleet (the
/// same load per server): per task, the 10x run should cost no more than the 1x run.
fn agentic(c: &mut Criterion) {
    use infersim::domain::{ArrivalProcess, Dist};
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/coding-agent.toml");
    let base = infersim::scenario::load(&path).expect("bundled scenario is valid");
    let mut g = c.benchmark_group("agentic");
    g.sample_size(10);
    for scale in [1u32, 10] {
        let mut spec = base.clone();
        spec.replications = 1;
        for a in &mut spec.arrivals {
            if let ArrivalProcess::Renewal(Dist::Exponential { mean_s }) = &mut a.process {
                *mean_s /= f64::from(scale);
            }
        }
        spec.gpu_pools.iter_mut().for_each(|p| p.replicas *= scale);
        spec.cpu_pools.iter_mut().for_each(|p| p.servers *= scale);
        let tasks = run_replication(&spec, 0, &NoProgress)
            .unwrap()
            .workflows
            .iter()
            .map(|w| w.started)
            .sum::<u64>();
        g.throughput(Throughput::Elements(tasks));
        g.bench_function(
            BenchmarkId::new("coding_agent_hour", format!("{scale}x")),
            |b| b.iter(|| black_box(run_replication(&spec, 0, &NoProgress).unwrap().events)),
        );
    }
    g.finish();
}

/// The facility's cost: three afternoon hours (12:00-15:00) of `hot-afternoon.toml`, when
/// the air-cooled racks throttle, with the facility and with it removed (the same serving
/// model and arrivals); events and time per LLM call.
fn facility(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/hot-afternoon.toml");
    let mut spec = infersim::scenario::load(&path).expect("bundled scenario is valid");
    spec.replications = 1;
    spec.start = Some(jiff::civil::date(2026, 7, 15).at(12, 0, 0, 0));
    spec.horizon = Some(infersim::engine::SimDuration::from_secs(3 * 3600));
    let mut bare = spec.clone();
    bare.facility = None;
    let mut g = c.benchmark_group("facility");
    g.sample_size(10);
    for (name, s) in [
        ("hot_afternoon_3h", &spec),
        ("same_without_facility", &bare),
    ] {
        let r = run_replication(s, 0, &NoProgress).unwrap();
        g.throughput(Throughput::Elements(r.gpu_pools[0].calls.completed));
        g.bench_function(name, |b| {
            b.iter(|| black_box(run_replication(s, 0, &NoProgress).unwrap().events))
        });
    }
    g.finish();
}

/// The fleet-scale benchmark (`scenarios/bench/fleet-1000gpu.toml`: 1,024 GPUs in five pools,
/// four agentic workflows, ~2,640 LLM calls/s) cut to its first simulated minute, per LLM
/// call completed. The whole hour, as a user runs it: `python3 benches/fleet.py`.
fn fleet(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/bench/fleet-1000gpu.toml");
    let mut spec = infersim::scenario::load(&path).expect("bundled scenario is valid");
    spec.horizon = Some(infersim::engine::SimDuration::from_secs(60));
    let r = run_replication(&spec, 0, &NoProgress).unwrap();
    let calls: u64 = r.gpu_pools.iter().map(|p| p.calls.completed).sum();
    let mut g = c.benchmark_group("fleet");
    g.sample_size(10);
    g.throughput(Throughput::Elements(calls));
    g.bench_function("fleet_1000gpu_first_minute", |b| {
        b.iter(|| black_box(run_replication(&spec, 0, &NoProgress).unwrap().events))
    });
    g.finish();
}

criterion_group! {
    name = benches;
    // No plots: criterion's plotters backend looks for system fonts, which a bare machine
    // lacks; the numbers are in the terminal and target/criterion/*/estimates.json.
    config = Criterion::default().without_plots();
    targets = kernel, mmc_model, conv_trace, agentic, facility, fleet
}
criterion_main!(benches);
