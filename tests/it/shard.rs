//! `sweep --shard K/N` and `merge`: three shards run as separate processes merge into
//! exactly the unsharded sweep's folder (every file, byte for byte), and bad shard specs and
//! mismatched or incomplete shard sets are clear errors.

use super::support::infersim;
use predicates::str::contains;
use std::collections::BTreeMap;
use std::path::Path;

const SCENARIO: &str = "scenarios/quickstart.toml";

fn sweep_cmd(out: &Path, extra: &[&str]) -> std::process::Command {
    let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("infersim"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["sweep", SCENARIO, "--quiet", "--replications", "2"])
        .args(["--set", "gpu_pool.llama70b.replicas=2,3,4"])
        .args(["--set", "cpu_pool.policy.servers=1,2"])
        .args(["--set", "workflow.chat.deadline=20s,30s"])
        .args(["--chart", "ttft_s p99"])
        .args(extra)
        .arg("--out")
        .arg(out);
    c
}

/// Every file under `dir`, by relative path.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().display().to_string();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

#[test]
fn three_shards_in_separate_processes_merge_into_the_unsharded_sweep() {
    let tmp = tempfile::tempdir().unwrap();
    let whole = tmp.path().join("whole");
    assert!(
        sweep_cmd(&whole, &["--threads", "2"])
            .status()
            .unwrap()
            .success()
    );
    // The three shards run at once, as three processes (as on three machines).
    let shards: Vec<_> = (1..=3)
        .map(|k| tmp.path().join(format!("shard{k}")))
        .collect();
    let children: Vec<_> = shards
        .iter()
        .enumerate()
        .map(|(i, d)| {
            sweep_cmd(d, &["--shard", &format!("{}/3", i + 1), "--threads", "1"])
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    // A shard holds its share of sweep.csv and no charts.
    let s2 = std::fs::read_to_string(shards[1].join("sweep.csv")).unwrap();
    let pts: std::collections::BTreeSet<&str> = s2
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap())
        .collect();
    assert_eq!(pts.into_iter().collect::<Vec<_>>(), ["1", "10", "4", "7"]);
    assert!(!shards[1].join("charts").exists() || files(&shards[1].join("charts")).is_empty());

    let merged = tmp.path().join("merged");
    infersim()
        .arg("merge")
        .args([&shards[2], &shards[0], &shards[1]])
        .arg("--out")
        .arg(&merged)
        .arg("--quiet")
        .assert()
        .success()
        .stdout("");
    let (a, b) = (files(&whole), files(&merged));
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "the same files"
    );
    for (name, bytes) in &a {
        assert!(
            b[name] == *bytes,
            "{name} differs between the whole sweep and the merge"
        );
    }
    for want in [
        "sweep.csv",
        "sweep.json",
        "sweep_points.csv",
        "charts/sweep_pareto.png",
        "charts/sweep_all_ttft_s_p99.svg",
    ] {
        assert!(a.contains_key(want), "{want} missing");
    }

    // A missing shard, a shard given twice, and a shard of another sweep.
    infersim()
        .arg("merge")
        .args([&shards[0], &shards[1]])
        .arg("--out")
        .arg(tmp.path().join("m2"))
        .assert()
        .code(1)
        .stderr(contains("missing shard(s) 3/3"));
    infersim()
        .arg("merge")
        .args([&shards[0], &shards[1], &shards[1]])
        .arg("--out")
        .arg(tmp.path().join("m3"))
        .assert()
        .code(1)
        .stderr(contains("shard 2/3 is given twice"));
    let other = tmp.path().join("other");
    let mut c = sweep_cmd(&other, &["--shard", "3/3", "--seed", "9"]);
    assert!(c.status().unwrap().success());
    infersim()
        .arg("merge")
        .args([&shards[0], &shards[1], &other])
        .arg("--out")
        .arg(tmp.path().join("m4"))
        .assert()
        .code(1)
        .stderr(contains("is not a shard of the same sweep"));
    infersim()
        .arg("merge")
        .arg(tmp.path().join("nowhere"))
        .assert()
        .code(1)
        .stderr(contains("no such folder"));
    infersim()
        .arg("merge")
        .arg(&whole)
        .arg("--out")
        .arg(&whole)
        .assert()
        .code(1)
        .stderr(contains("is one of the shards' folders"));
    assert!(
        !tmp.path().join("m2").exists(),
        "a failed merge writes nothing"
    );
}

#[test]
fn shard_specs_out_of_range_are_refused() {
    for bad in ["0/3", "4/3", "3", "1/0", "a/b"] {
        infersim()
            .args(["sweep", SCENARIO, "--set", "gpu_pool.llama70b.replicas=2,3"])
            .args(["--shard", bad])
            .assert()
            .code(1)
            .stderr(contains("expected a shard as K/N with 1 <= K <= N"));
    }
}

#[test]
fn a_chart_of_an_unknown_metric_names_the_nearest() {
    let tmp = tempfile::tempdir().unwrap();
    infersim()
        .args(["sweep", SCENARIO, "--replications", "1"])
        .args(["--set", "gpu_pool.llama70b.replicas=2,3"])
        .args(["--chart", "ttft p99"])
        .arg("--out")
        .arg(tmp.path().join("x"))
        .assert()
        .code(1)
        .stderr(contains("no summary.csv row `ttft p99`"))
        .stderr(contains("nearest: `ttft_s p99`"));
}

#[test]
fn the_slurm_array_files_run_and_merge_into_the_unsharded_sweep() {
    // deploy/slurm/*.sbatch run as their array tasks would (bash, with the variables Slurm
    // sets), then the merge, against one unsharded sweep of the same arguments.
    let tmp = tempfile::tempdir().unwrap();
    let bin = assert_cmd::cargo::cargo_bin("infersim");
    let shards = tmp.path().join("shards");
    let script = |name: &str| {
        let mut c = std::process::Command::new("bash");
        c.current_dir(env!("CARGO_MANIFEST_DIR"))
            .arg(format!("deploy/slurm/{name}"))
            .env("INFERSIM", &bin)
            .env("INFERSIM_SHARDS", &shards)
            .env("INFERSIM_OUT", tmp.path().join("merged"))
            .env("SLURM_CPUS_PER_TASK", "1");
        c
    };
    for k in 1..=8 {
        let ok = script("sweep.sbatch")
            .env("SLURM_ARRAY_TASK_ID", k.to_string())
            .status()
            .unwrap()
            .success();
        assert!(ok, "array task {k}");
    }
    assert!(script("merge.sbatch").status().unwrap().success());
    let whole = tmp.path().join("whole");
    infersim()
        .args([
            "sweep",
            "scenarios/quickstart.toml",
            "--quiet",
            "--replications",
            "3",
        ])
        .args(["--set", "gpu_pool.llama70b.replicas=2,3,4"])
        .args(["--set", "cpu_pool.retrieval.servers=1,2,4,8"])
        .arg("--out")
        .arg(&whole)
        .assert()
        .success();
    let (a, b) = (files(&whole), files(&tmp.path().join("merged")));
    assert_eq!(a.len(), b.len());
    for (name, bytes) in &a {
        assert!(b[name] == *bytes, "{name} differs");
    }
}
