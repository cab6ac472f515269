//! `--set PATH=VALUE`: a run with a changed field equals a run of the file written with that
//! change, and a wrong path or value is a clear, located error.

use super::support::{infersim, repo};
use predicates::str::contains;

#[test]
fn a_set_run_equals_a_run_of_the_edited_file() {
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(repo("scenarios/oracles/mmc.toml")).unwrap();
    let edited = text
        .replace("servers = 4\n", "servers = 5\n")
        .replace("rate_per_s = 3.6", "rate_per_s = 4.2")
        .replace("max_arrivals = 1_000_000", "max_arrivals = 20_000");
    assert_ne!(edited, text);
    let file = tmp.path().join("mmc.toml");
    std::fs::write(&file, edited).unwrap();
    let (a, b) = (tmp.path().join("set"), tmp.path().join("edited"));
    infersim()
        .args([
            "run",
            "scenarios/oracles/mmc.toml",
            "--quiet",
            "--no-report",
        ])
        .args(["--set", "cpu_pool.servers.servers=5"])
        .args(["--set", "arrivals.customers.rate_per_s=4.2"])
        .args(["--set", "arrivals.customers.max_arrivals=20000"])
        .arg("--out")
        .arg(&a)
        .assert()
        .success();
    infersim()
        .args(["run", "--quiet", "--no-report"])
        .arg(&file)
        .arg("--out")
        .arg(&b)
        .assert()
        .success();
    for f in ["summary.csv", "timeseries.csv", "distributions.csv"] {
        let (x, y) = (
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
        );
        assert!(x == y, "{f} differs between --set and the edited file");
    }
    let run: serde_json::Value =
        serde_json::from_slice(&std::fs::read(a.join("run.json")).unwrap()).unwrap();
    assert_eq!(run["set"][0], "cpu_pool.servers.servers=5");
    assert_eq!(run["set"].as_array().unwrap().len(), 3);
    // The page says the run was changed.
    infersim().arg("report").arg(&a).assert().success();
    let page = std::fs::read_to_string(a.join("report.html")).unwrap();
    assert!(page.contains(
        "changed with --set cpu_pool.servers.servers=5, arrivals.customers.rate_per_s=4.2"
    ));
}

#[test]
fn a_wrong_path_or_value_is_named_with_the_nearest_keys_or_its_line() {
    let run = |set: &str| {
        infersim()
            .args([
                "run",
                "scenarios/oracles/mmc.toml",
                "--quiet",
                "--no-report",
            ])
            .args(["--set", set, "--out", "/nonexistent/never-written"])
            .assert()
            .code(1)
    };
    run("cpu_pool.sevrers.servers=5").stderr(contains(
        "--set cpu_pool.sevrers.servers=5: there is no `cpu_pool.sevrers` in the scenario (nearest: servers)",
    ));
    run("cpu_pool.servers.servers=five").stderr(contains(
        "mmc.toml:17:11: cpu_pool.servers.servers: invalid type: string \"five\"",
    ));
    run("cpu_pool.servers.service.mean_s.x=1").stderr(contains(
        "`cpu_pool.servers.service.mean_s` is a value, not a table",
    ));
    run("cpu_pool.servers.sevrers=5").stderr(contains("unknown field `sevrers`"));
    run("servers").stderr(contains("expected PATH=VALUE"));
}
