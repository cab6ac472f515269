//! `infersim sweep`: the grid in a fixed order, each point equal to a plain `run` with the
//! same `--set`, byte-identical on any thread count, and clear errors.

use super::support::infersim;
use predicates::str::contains;
use std::path::Path;

fn sweep(out: &Path, threads: &str) {
    infersim()
        .args(["sweep", "scenarios/oracles/mmc.toml", "--quiet"])
        .args(["--set", "cpu_pool.servers.servers=4,5"])
        .args(["--set", "arrivals.customers.max_arrivals=3000,6000"])
        .args(["--replications", "2", "--threads", threads])
        .arg("--out")
        .arg(out)
        .assert()
        .success()
        .stdout("");
}

#[test]
fn each_point_equals_a_run_with_the_same_changes_in_grid_order() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("t1"), tmp.path().join("t2"));
    sweep(&a, "1");
    sweep(&b, "2");
    let text = std::fs::read_to_string(a.join("sweep.csv")).unwrap();
    assert!(
        text == std::fs::read_to_string(b.join("sweep.csv")).unwrap(),
        "sweep.csv differs between 1 and 2 threads"
    );
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "scenario,point,cpu_pool.servers.servers,arrivals.customers.max_arrivals,group,metric,stat,value,ci95_half_width,unit"
    );
    // The first --set varies slowest.
    let points: Vec<(String, String, String)> = text
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[1].to_string(), f[2].to_string(), f[3].to_string())
        })
        .collect();
    let mut order = points.clone();
    order.dedup();
    assert_eq!(
        order,
        [
            ("0".into(), "4".into(), "3000".into()),
            ("1".into(), "4".into(), "6000".into()),
            ("2".into(), "5".into(), "3000".into()),
            ("3".into(), "5".into(), "6000".into()),
        ]
    );
    // Point 2 against `run --set` of the same changes: the same summary rows.
    let run = tmp.path().join("run");
    infersim()
        .args([
            "run",
            "scenarios/oracles/mmc.toml",
            "--quiet",
            "--no-report",
        ])
        .args(["--set", "cpu_pool.servers.servers=5"])
        .args(["--set", "arrivals.customers.max_arrivals=3000"])
        .args(["--replications", "2"])
        .arg("--out")
        .arg(&run)
        .assert()
        .success();
    let summary = std::fs::read_to_string(run.join("summary.csv")).unwrap();
    let from_run: Vec<String> = summary
        .lines()
        .skip(1)
        .map(|l| l.split_once(',').unwrap().1.to_string())
        .collect();
    let from_sweep: Vec<String> = text
        .lines()
        .skip(1)
        .filter(|l| l.split(',').nth(1) == Some("2"))
        .map(|l| l.splitn(5, ',').nth(4).unwrap().to_string())
        .collect();
    assert!(from_run.len() > 20);
    assert_eq!(from_sweep, from_run);
}

#[test]
fn a_sweep_names_a_wrong_path_or_value_before_running_anything() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("never");
    infersim()
        .args(["sweep", "scenarios/oracles/mmc.toml"])
        .args(["--set", "cpu_pool.servrs.servers=4,5"])
        .arg("--out")
        .arg(&out)
        .assert()
        .code(1)
        .stderr(contains(
            "there is no `cpu_pool.servrs` in the scenario (nearest: servers)",
        ));
    infersim()
        .args(["sweep", "scenarios/oracles/mmc.toml"])
        .args(["--set", "cpu_pool.servers.servers=4,lots"])
        .arg("--out")
        .arg(&out)
        .assert()
        .code(1)
        .stderr(contains("sweep point 1 (cpu_pool.servers.servers=lots)"))
        .stderr(contains("invalid type: string \"lots\""));
    infersim()
        .args(["sweep", "scenarios/oracles/mmc.toml"])
        .args(["--set", "cpu_pool.servers.servers=4,5"])
        .args(["--set", "cpu_pool.servers.servers=6"])
        .assert()
        .code(1)
        .stderr(contains("`cpu_pool.servers.servers` is swept twice"));
    infersim()
        .args(["sweep", "scenarios/oracles/mmc.toml", "--set", "x=1,,2"])
        .assert()
        .code(1)
        .stderr(contains("an empty value"));
    infersim()
        .args(["sweep", "scenarios/oracles/mmc.toml"])
        .assert()
        .code(1)
        .stderr(contains("--set"));
    assert!(!out.exists(), "nothing written");
}
