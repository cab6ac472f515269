//! Same scenario and seed: byte-identical outputs, whatever the thread count.

use super::support::repo;
use assert_cmd::Command;
use std::path::Path;

fn run_cli(out: &Path, threads: &str, seed: &str) {
    Command::cargo_bin("infersim")
        .unwrap()
        .args([
            "run",
            "scenarios/quickstart.toml",
            "--quiet",
            "--threads",
            threads,
            "--seed",
            seed,
        ])
        .arg("--out")
        .arg(out)
        .current_dir(repo(""))
        .assert()
        .success();
}

/// `run.json` without its `execution` block (threads and timings).
fn run_json_without_execution(dir: &Path) -> serde_json::Value {
    let mut v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("run.json")).unwrap()).unwrap();
    v.as_object_mut()
        .unwrap()
        .remove("execution")
        .expect("run.json has an execution block");
    v
}

#[test]
fn one_and_two_threads_give_byte_identical_outputs() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b, c) = (
        tmp.path().join("t1"),
        tmp.path().join("t2"),
        tmp.path().join("seed"),
    );
    run_cli(&a, "1", "5");
    run_cli(&b, "2", "5");
    run_cli(&c, "2", "6");
    for f in [
        "summary.csv",
        "timeseries.csv",
        "distributions.csv",
        "report.html",
        "charts/latency_cdf_task_latency.svg",
        "charts/latency_cdf_task_latency.png",
    ] {
        let (x, y) = (
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
        );
        assert!(x.len() > 1000, "{f} has content");
        assert!(x == y, "{f} differs between 1 and 2 threads");
        assert!(
            x != std::fs::read(c.join(f)).unwrap(),
            "{f}: another seed must change it"
        );
    }
    assert_eq!(
        run_json_without_execution(&a),
        run_json_without_execution(&b)
    );
}
