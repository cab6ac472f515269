//! The binary: exit codes, messages on bad input, outputs on good input.

use super::support::{infersim, repo};
use assert_cmd::Command;
use predicates::prelude::*;
use std::path::Path;

/// `infersim run SCENARIO --out OUT`, ready for more arguments.
fn run_to(scenario: &Path, out: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut c = infersim();
    c.arg("run").arg(scenario).arg("--out").arg(out);
    c
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

const GOOD: &str = r#"[scenario]
horizon = "10m"
[arrivals.a]
workflow = "w"
rate_per_s = 1.0
[cpu_pool.p]
servers = 2
service = { dist = "exponential", mean_s = 0.5 }
[workflow.w]
steps = [{ name = "s", pool = "p" }]
"#;

#[test]
fn missing_file_exits_1_and_names_it() {
    infersim()
        .args(["run", "no/such/scenario.toml"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no/such/scenario.toml"))
        .stderr(predicate::str::contains("cannot read the scenario file"));
}

#[test]
fn each_bad_input_exits_1_with_field_line_and_expectation() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "malformed.toml",
            GOOD.replace("[cpu_pool.p]", "[cpu_pool.p"),
            "malformed TOML",
        ),
        (
            "unknown.toml",
            GOOD.replace("servers = 2", "servers = 2\ncolour = \"red\""),
            "cpu_pool.p.colour: unknown field `colour`",
        ),
        (
            "negative.toml",
            GOOD.replace("rate_per_s = 1.0", "rate_per_s = -1.0"),
            "arrivals.a.rate_per_s: expected the arrival rate [1/s] (a finite number > 0), found -1",
        ),
        (
            "nan.toml",
            GOOD.replace("rate_per_s = 1.0", "rate_per_s = nan"),
            "found NaN",
        ),
        (
            "pool.toml",
            GOOD.replace("pool = \"p\"", "pool = \"q\""),
            "workflow.w.steps[0].pool: unknown pool \"q\"",
        ),
    ];
    for (name, text, needle) in cases {
        let path = write(dir.path(), name, &text);
        for cmd in ["run", "validate"] {
            infersim()
                .arg(cmd)
                .arg(&path)
                .assert()
                .code(1)
                .stderr(predicate::str::contains(needle))
                .stderr(predicate::str::contains(format!("{name}:")));
        }
    }
}

#[test]
fn line_and_column_point_at_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "s.toml",
        &GOOD.replace("servers = 2", "servers = -2"),
    );
    infersim()
        .arg("validate")
        .arg(&path)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "s.toml:7:1: cpu_pool.p.servers: expected a whole number of servers from 1 to 1000000, found -2",
        ));
}

#[test]
fn bad_arguments_exit_1() {
    for args in [
        vec!["run", "scenarios/quickstart.toml", "--interval", "soon"],
        vec!["run", "scenarios/quickstart.toml", "--replications", "0"],
        vec!["run", "scenarios/quickstart.toml", "--threads", "0"],
        vec!["run", "scenarios/quickstart.toml", "--seed", "-1"],
        vec!["frobnicate"],
    ] {
        infersim().args(&args).assert().code(1);
    }
}

#[test]
fn help_shows_examples_and_exits_0() {
    infersim()
        .args(["run", "--help"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("Examples:"))
        .stdout(predicate::str::contains("--replications"));
}

#[test]
fn a_good_run_writes_its_outputs_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let scen = write(dir.path(), "ok.toml", GOOD);
    let out = dir.path().join("out");
    run_to(&scen, &out)
        .args(["--interval", "1m", "--replications", "3"])
        .assert()
        .success()
        .stdout(predicate::str::contains("pool     p"));
    let summary = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    assert!(summary.starts_with("scenario,group,metric,stat,value,ci95_half_width,unit\n"));
    assert!(summary.contains("ok,pool:p,wait_s,p999,"));
    let ts = std::fs::read_to_string(out.join("timeseries.csv")).unwrap();
    // 3 replications x 10 one-minute windows x 3 series of the pool
    assert_eq!(
        ts.lines().filter(|l| l.contains(",pool:p,")).count(),
        3 * 10 * 3
    );
    // and the task-latency p99 of each window in which tasks ended
    assert!(ts.contains(",task_latency_p99_s,workflow:"));
    assert!(ts.contains("ok,2,540,utilization,pool:p,"));
    let run: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("run.json")).unwrap()).unwrap();
    assert_eq!(run["replications"], 3);
    assert_eq!(run["scenario_sha256"].as_str().unwrap().len(), 64);
    assert!(run["execution"]["events_per_s"].as_f64().unwrap() > 0.0);
    // no temporary files left behind, in the folder or under charts/
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "charts",
            "distributions.csv",
            "report.html",
            "run.json",
            "summary.csv",
            "timeseries.csv"
        ],
    );
    let charts: Vec<String> = std::fs::read_dir(out.join("charts"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        charts
            .iter()
            .all(|n| n.ends_with(".svg") || n.ends_with(".png")),
        "{charts:?}"
    );
}

#[test]
fn an_unstable_pool_is_flagged() {
    let dir = tempfile::tempdir().unwrap();
    let scen = write(
        dir.path(),
        "hot.toml",
        &GOOD.replace("rate_per_s = 1.0", "rate_per_s = 5.0"),
    );
    infersim()
        .arg("validate")
        .arg(&scen)
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "offered load 1.250 >= 1 (unstable)",
        ));
}

#[test]
fn a_closed_stdout_is_not_an_error() {
    // `infersim validate … | head -c 0`: the write fails with EPIPE, the exit code stays 0.
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("infersim"))
        .args(["validate", "scenarios/quickstart.toml"])
        .current_dir(repo(""))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            drop(child.stdout.take());
            child.wait()
        })
        .unwrap();
    assert_eq!(out.code(), Some(0));
}

#[test]
fn an_unwritable_out_folder_is_bad_input_said_once() {
    let dir = tempfile::tempdir().unwrap();
    let scen = write(dir.path(), "ok.toml", GOOD);
    let blocker = write(dir.path(), "afile", "x");
    let out = run_to(&scen, &blocker)
        .assert()
        .code(1)
        .get_output()
        .stderr
        .clone();
    let msg = String::from_utf8(out).unwrap();
    assert!(msg.contains("cannot write"), "{msg}");
    assert_eq!(msg.matches("os error").count(), 1, "the cause once: {msg}");
}

#[test]
fn a_time_past_the_clock_is_bad_input() {
    // Mean 1e9 s with cv 100: a few draws exceed the ~584-year clock.
    let dir = tempfile::tempdir().unwrap();
    let src = GOOD
        .replace(
            "{ dist = \"exponential\", mean_s = 0.5 }",
            "{ dist = \"lognormal\", mean_s = 1e9, cv = 100 }",
        )
        .replace("horizon = \"10m\"", "horizon = \"10m\"\ndrain = true");
    let scen = write(dir.path(), "huge.toml", &src);
    run_to(&scen, dir.path().join("o"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "runs past the end of the simulation clock",
        ))
        .stderr(predicate::str::contains(
            "workflow.w.steps[name = \"s\"].service",
        ));
}

#[test]
fn a_horizon_run_reports_the_full_horizon_and_plain_seconds_work() {
    let dir = tempfile::tempdir().unwrap();
    // Few arrivals: the last event comes well before the 10-minute horizon.
    let scen = write(
        dir.path(),
        "slow.toml",
        &GOOD.replace("rate_per_s = 1.0", "rate_per_s = 0.01"),
    );
    let out = dir.path().join("o");
    run_to(&scen, &out)
        .args(["--interval", "60", "--quiet"])
        .assert()
        .success();
    let run: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("run.json")).unwrap()).unwrap();
    assert_eq!(run["simulated_time_s"][0], 600.0);
    assert_eq!(run["interval_s"], 60.0);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(out.join("summary.csv"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o644);
    }
}

#[test]
fn a_run_whose_clock_stalls_stops_with_a_clear_error() {
    // Mean inter-arrival 1 µs passes validation, but almost every gap is 1e-300 s, which
    // rounds to 0 ns: the clock cannot advance. The run must stop (stall or overload guard),
    // exit 1 and say why, instead of spinning and eating memory.
    let dir = tempfile::tempdir().unwrap();
    let src = GOOD.replace(
        "rate_per_s = 1.0",
        "process = \"renewal\"\ninterarrival = { dist = \"hyperexponential\", probs = [0.999999999999, 0.000000000001], means_s = [1e-300, 1e6] }",
    );
    let scen = write(dir.path(), "stall.toml", &src);
    let out = run_to(&scen, dir.path().join("o"))
        .assert()
        .code(1)
        .get_output()
        .stderr
        .clone();
    let msg = String::from_utf8(out).unwrap();
    assert!(
        msg.contains("stopped advancing") || msg.contains("tasks in flight"),
        "{msg}"
    );
}

#[test]
fn the_quickstart_writes_requests_csv_with_one_row_per_finished_call() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("qs");
    infersim()
        .current_dir(repo(""))
        .args(["run", "scenarios/quickstart.toml", "--requests-csv"])
        .arg("--out")
        .arg(&out)
        .assert()
        .success()
        .stdout(predicates::str::contains("gpu pool llama70b"))
        .stdout(predicates::str::contains("requests.csv"));
    let summary = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    let completed: f64 = summary
        .lines()
        .find(|l| l.contains(",pool:llama70b,calls_completed,total,"))
        .and_then(|l| l.split(',').nth(4))
        .and_then(|v| v.parse().ok())
        .expect("calls_completed row");
    let mut rd = csv::Reader::from_path(out.join("requests.csv")).unwrap();
    assert_eq!(
        rd.headers().unwrap().iter().collect::<Vec<_>>(),
        infersim::report::REQUESTS_HEADER.to_vec()
    );
    let rows: Vec<csv::StringRecord> = rd.records().map(|r| r.unwrap()).collect();
    // Every replication's calls; the mean over replications is in summary.csv.
    let replications = 3.0;
    assert_eq!(rows.len() as f64, completed * replications);
    for r in &rows {
        let t = |i: usize| r[i].parse::<f64>().unwrap();
        assert!(
            t(5) <= t(6) && t(6) <= t(7),
            "arrival <= first <= last token: {r:?}"
        );
    }
    for metric in [
        "ttft_s",
        "tpot_s",
        "itl_s",
        "e2e_s",
        "kv_utilization",
        "batch_size",
    ] {
        assert!(
            summary.contains(&format!(",pool:llama70b,{metric},")),
            "{metric}"
        );
    }
    let ts = std::fs::read_to_string(out.join("timeseries.csv")).unwrap();
    assert!(ts.contains(",kv_utilization,pool:llama70b,"));
}

#[test]
fn a_saturated_gpu_pool_is_flagged_on_stderr_even_when_quiet() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "sat.toml",
        r#"[scenario]
horizon = "2m"
[arrivals.a]
workflow = "w"
rate_per_s = 60
[gpu_pool.g]
model = "llama-3.1-8b"
gpu = "h100-sxm"
max_num_seqs = 16
[[workflow.w.steps]]
name = "s"
kind = "llm"
pool = "g"
input_tokens = 1000
output_tokens = 200
"#,
    );
    run_to(&f, dir.path().join("out"))
        .arg("--quiet")
        .assert()
        .success()
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains("gpu_pool.g is saturated"))
        .stderr(predicate::str::contains("no calibration at TP1"));
}

#[test]
fn synchronous_failures_retried_in_nested_calls_do_not_overflow_the_stack() {
    // An LLM call too large for the KV cache fails at once; 100 attempts inside a call step
    // with 100 attempts nest 10,000 retries on the native stack: the process aborts (stack
    // overflow) instead of finishing (tests/data/workflows/rejected_call_retry_overflow.toml).
    // Retries go through the event list: the run finishes.
    let dir = tempfile::tempdir().unwrap();
    for f in ["rejected_call_retry_overflow", "sync_retry_recursion"] {
        run_to(
            &repo(&format!("tests/data/workflows/{f}.toml")),
            dir.path().join(f),
        )
        .arg("--quiet")
        .assert()
        .success();
    }
}

#[test]
fn a_deep_call_chain_is_an_error_or_runs_not_a_stack_overflow() {
    // 6,000 workflows each calling the next: start_frame/start_step/start_attempt recurse
    // once per level and overflow the worker thread's stack (abort, exit 134).
    let dir = tempfile::tempdir().unwrap();
    let n = 6000;
    let mut src = String::from(
        "[scenario]\nseed = 1\ndrain = true\n[arrivals.a]\nworkflow = \"w\"\nprocess = \"renewal\"\ninterarrival = { dist = \"deterministic\", mean_s = 100 }\nmax_arrivals = 1\n[workflow.w]\nsteps = [ { name = \"s\", kind = \"call\", workflow = \"c1\" } ]\n",
    );
    for i in 1..n {
        src += &format!(
            "[workflow.c{i}]\nsteps = [ {{ name = \"s\", kind = \"call\", workflow = \"c{}\" }} ]\n",
            i + 1
        );
    }
    src += &format!(
        "[workflow.c{n}]\nsteps = [ {{ name = \"s\", kind = \"delay\", duration = {{ dist = \"deterministic\", mean_s = 1 }} }} ]\n"
    );
    let f = write(dir.path(), "deep.toml", &src);
    run_to(&f, dir.path().join("out"))
        .arg("--quiet")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("workflow.w.steps[0].workflow"))
        .stderr(predicate::str::contains(
            "nest 6001 workflows deep; at most 64",
        ));
}
