//! Bad LLM input: unknown catalog names, models that do not fit, bad traces, misplaced fields.

use super::support::{find, problems, problems_in};
use infersim::scenario::parse_str;
use std::path::{Path, PathBuf};

fn scenario(pool: &str, step: &str, arrivals: &str) -> String {
    format!(
        r#"[scenario]
horizon = "1h"

[arrivals.a]
workflow = "w"
{arrivals}

[gpu_pool.g]
{pool}

[[workflow.w.steps]]
name = "s"
kind = "llm"
pool = "g"
{step}
"#
    )
}

const POOL: &str = "model = \"llama-3.1-70b\"\ngpu = \"h100-sxm\"\ntensor_parallel = 4";
const TOKENS: &str = "input_tokens = 100\noutput_tokens = 10";

#[test]
fn unknown_gpu_and_model_names_list_the_known_ones() {
    let ps = problems(&scenario(
        "model = \"llama-70b\"\ngpu = \"h100\"",
        TOKENS,
        "rate_per_s = 1",
    ));
    let gpu = find(&ps, "gpu_pool.g.gpu");
    assert!(
        gpu.message.contains("unknown GPU \"h100\""),
        "{}",
        gpu.message
    );
    assert!(gpu.message.contains("h100-sxm") && gpu.message.contains("mi300x"));
    assert_eq!(gpu.line_col, Some((10, 1)), "the line of `gpu = `");
    let model = find(&ps, "gpu_pool.g.model");
    assert!(model.message.contains("llama-3.1-70b"), "{}", model.message);
}

#[test]
fn a_model_that_does_not_fit_says_how_much_memory_is_missing() {
    // Llama-3.1-405B in BF16 (~811 GB of weights) on 4 x 80 GB.
    let ps = problems(&scenario(
        "model = \"llama-3.1-405b\"\ngpu = \"h100-sxm\"\ntensor_parallel = 4",
        TOKENS,
        "rate_per_s = 1",
    ));
    let p = find(&ps, "gpu_pool.g.tensor_parallel");
    assert!(p.message.contains("does not fit"), "{}", p.message);
    assert!(p.message.contains("GB missing"), "{}", p.message);
    // The missing amount: weights + reserve − usable memory, in GB.
    let missing: f64 = p
        .message
        .split(" GB missing")
        .next()
        .and_then(|s| s.rsplit(' ').next())
        .and_then(|s| s.parse().ok())
        .expect("a number before 'GB missing'");
    assert!((480.0..560.0).contains(&missing), "{missing}");
}

#[test]
fn steps_and_pools_are_checked_against_each_other() {
    // An llm step on a CPU pool, tokens on a cpu step, no tokens without a trace.
    let src = r#"[scenario]
horizon = "1h"

[arrivals.a]
workflow = "w"
rate_per_s = 1

[cpu_pool.c]
servers = 1
service = { dist = "exponential", mean_s = 1 }

[gpu_pool.g]
model = "llama-3.1-8b"
gpu = "h100-sxm"

[[workflow.w.steps]]
name = "on-cpu"
kind = "llm"
pool = "c"
input_tokens = 10
output_tokens = 10

[[workflow.w.steps]]
name = "tokens-on-cpu"
pool = "c"
input_tokens = 10

[[workflow.w.steps]]
name = "no-tokens"
kind = "llm"
pool = "g"

[[workflow.w.steps]]
name = "bad-dist"
kind = "llm"
pool = "g"
input_tokens = { dist = "lognormal", mean = 0 }
output_tokens = "lots"
"#;
    let ps = problems(src);
    assert!(
        find(&ps, "workflow.w.steps[0].pool")
            .message
            .contains("it is a CPU pool")
    );
    find(&ps, "workflow.w.steps[1].input_tokens");
    find(&ps, "workflow.w.steps[3].input_tokens.mean");
    find(&ps, "workflow.w.steps[3].input_tokens.cv");
    find(&ps, "workflow.w.steps[3].output_tokens");
    let ps = problems(&scenario(
        POOL,
        "input_tokens = { dist = \"exponential\", mean = 100, cv = 3 }\noutput_tokens = 5",
        "rate_per_s = 1",
    ));
    let p = find(&ps, "workflow.w.steps[0].input_tokens.cv");
    assert!(
        p.message.contains("not a parameter of the exponential"),
        "{}",
        p.message
    );
    // With the other steps fixed, the missing tokens are reported.
    let src = src
        .replace(
            "pool = \"c\"\ninput_tokens = 10\noutput_tokens = 10",
            "pool = \"g\"\ninput_tokens = 10\noutput_tokens = 10",
        )
        .replace("pool = \"c\"\ninput_tokens = 10\n", "pool = \"c\"\n")
        .replace(
            "input_tokens = { dist = \"lognormal\", mean = 0 }\noutput_tokens = \"lots\"\n",
            "input_tokens = 5\noutput_tokens = 5\n",
        );
    let ps = problems(&src);
    let p = find(&ps, "workflow.w.steps[name = \"no-tokens\"].input_tokens");
    assert!(p.message.contains("without a trace"), "{}", p.message);
}

fn trace_dir(name: &str, body: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(name), body).unwrap();
    let scenario = dir.path().join("s.toml");
    (dir, scenario)
}

#[test]
fn a_bad_trace_names_the_file_line_and_column() {
    let body = "TIMESTAMP,ContextTokens,GeneratedTokens\n\
                2023-11-16 18:15:46.6805900,374,44\n\
                2023-11-16 18:15:50.9951690,abc,109\n\
                2023-11-16 18:15:40.0000000,10,5\n";
    let (_d, file) = trace_dir("t.csv", body);
    let src = scenario(POOL, "", "process = \"trace\"\ntrace = \"t.csv\"");
    let ps = problems_in(&src, &file);
    let head = find(&ps, "arrivals.a.trace");
    assert!(head.message.contains("t.csv"), "{}", head.message);
    let bad = find(&ps, "column ContextTokens");
    assert_eq!(bad.line_col.map(|l| l.0), Some(3));
    assert!(bad.file.ends_with("t.csv"));
    assert!(
        ps.iter()
            .any(|p| p.line_col.map(|l| l.0) == Some(4) && p.message.contains("earlier")),
        "unsorted rows are named: {ps:#?}"
    );

    // A missing column names it.
    let (_d, file) = trace_dir("t.csv", "TIMESTAMP,ContextTokens\n2023-11-16 18:15:46,1\n");
    let ps = problems_in(&src, &file);
    assert!(
        ps.iter().any(|p| p.message.contains("GeneratedTokens")),
        "{ps:#?}"
    );

    // A missing file names the path.
    let ps = problems_in(
        &scenario(POOL, "", "process = \"trace\"\ntrace = \"nope.jsonl\""),
        Path::new("/nonexistent/s.toml"),
    );
    assert!(
        ps.iter().any(|p| p.message.contains("nope.jsonl")),
        "{ps:#?}"
    );
}

#[test]
fn trace_fields_need_a_trace_process() {
    let ps = problems(&scenario(POOL, TOKENS, "rate_per_s = 1\ntime_scale = 0.5"));
    find(&ps, "arrivals.a.time_scale");
    let ps = problems(&scenario(
        POOL,
        TOKENS,
        "process = \"trace\"\ntrace = \"x.csv\"\ntime_scale = -1",
    ));
    find(&ps, "arrivals.a.time_scale");
}

#[test]
fn pool_limits_are_checked() {
    let ps = problems(&scenario(
        &format!(
            "{POOL}\nreplicas = -1\nmax_num_seqs = 0\ngpu_memory_utilization = 1.5\nrouting = \"random\""
        ),
        TOKENS,
        "rate_per_s = 1",
    ));
    for f in [
        "replicas",
        "max_num_seqs",
        "gpu_memory_utilization",
        "routing",
    ] {
        find(&ps, &format!("gpu_pool.g.{f}"));
    }
    let ps = problems(&scenario(
        "model = \"llama-3.1-70b\"\ngpu = \"h100-sxm\"\ntensor_parallel = 3",
        TOKENS,
        "rate_per_s = 1",
    ));
    let p = find(&ps, "gpu_pool.g.tensor_parallel");
    assert!(p.message.contains("64 attention heads"), "{}", p.message);
}

#[test]
fn a_scenario_can_add_a_gpu_from_its_datasheet() {
    let src = scenario(
        "model = \"llama-3.1-8b\"\ngpu = \"my-gpu\"",
        TOKENS,
        "rate_per_s = 1",
    ) + r#"
[gpu.my-gpu]
bf16_tflops = 500
fp8_tflops = 1000
hbm_gb = 96
mem_bw_tbps = 4.0
tdp_w = 600
idle_w = 60
interconnect_gbps = 450
price_usd = 20000
calibration_proxy = "h100-sxm"
"#;
    let s = parse_str(&src, Path::new("ok.toml")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.gpu_pools[0].gpu.hbm_gb, 96.0);
    assert!(s.gpu_pools[0].perf_source.contains("h100-sxm"));
    // A wrong field is named.
    let bad = src.replace("hbm_gb = 96", "hbm_gb = -96");
    let ps = problems(&bad);
    assert!(
        ps.iter()
            .any(|p| p.path == "gpu.my-gpu" && p.message.contains("hbm_gb")),
        "{ps:#?}"
    );
}

#[test]
fn a_measured_kv_block_count_still_needs_the_weights_to_fit() {
    let ps = problems(&scenario(
        "model = \"llama-3.1-405b\"\ngpu = \"h100-sxm\"\ntensor_parallel = 4\nkv_blocks = 10",
        TOKENS,
        "rate_per_s = 1",
    ));
    let p = find(&ps, "gpu_pool.g.tensor_parallel");
    assert!(p.message.contains("does not fit"), "{}", p.message);
}

#[test]
fn an_absurd_gpu_gives_a_clock_error_not_a_silent_result() {
    // 1e-12 TFLOP/s: an iteration takes longer than the simulation clock holds.
    let src = scenario(
        "model = \"llama-3.1-8b\"\ngpu = \"slow\"",
        TOKENS,
        "rate_per_s = 1\nmax_arrivals = 1",
    ) + r#"
[gpu.slow]
bf16_tflops = 1e-12
fp8_tflops = 1e-12
hbm_gb = 80
mem_bw_tbps = 3
tdp_w = 700
idle_w = 70
interconnect_gbps = 450
price_usd = 1
calibration_proxy = "h100-sxm"
"#;
    let s = parse_str(&src, Path::new("slow.toml")).unwrap_or_else(|e| panic!("{e}"));
    let e = infersim::run::run_replication(&s, 0, &infersim::run::NoProgress).unwrap_err();
    assert!(e.is_input_error());
    assert!(e.to_string().contains("gpu_pool.g"), "{e}");
}
