//! `infersim plan`: on M/M/c the planner finds the Erlang-C server count; on the quickstart
//! its fleet meets every target when run on its own and one unit less of any pool does not;
//! unreachable targets name the target and the best reached; bad `[plan]` input is named.

use super::support::infersim;
use predicates::str::contains;
use std::path::Path;

/// Erlang C mean wait in queue of M/M/c [s]: `lambda` arrivals/s, `mu` services/s per server.
fn erlang_c_wq(lambda: f64, mu: f64, c: u32) -> f64 {
    let a = lambda / mu;
    if a >= f64::from(c) {
        return f64::INFINITY;
    }
    let mut term = 1.0; // a^k / k!
    let mut sum = 0.0;
    for k in 0..c {
        sum += term;
        term *= a / f64::from(k + 1);
    }
    let top = term * f64::from(c) / (f64::from(c) - a);
    let p_wait = top / (sum + top);
    p_wait / (f64::from(c) * mu - lambda)
}

/// `(header, rows)` of a CSV file.
fn csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let h = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|x| x.unwrap().iter().map(String::from).collect())
        .collect();
    (h, rows)
}

fn col(h: &[String], name: &str) -> usize {
    h.iter()
        .position(|c| c == name)
        .unwrap_or_else(|| panic!("no column {name}"))
}

/// The planned units of `pool` at the (first) date.
fn planned(dir: &Path, pool: &str) -> u32 {
    let (h, rows) = csv(&dir.join("plan.csv"));
    let r = rows.iter().find(|r| r[col(&h, "pool")] == pool).unwrap();
    r[col(&h, "planned")].parse().unwrap()
}

#[test]
fn on_mmc_the_planner_finds_the_erlang_c_server_count() {
    let (lambda, mu) = (3.6, 1.0);
    let tmp = tempfile::tempdir().unwrap();
    for target in [0.5, 0.1, 0.03] {
        let want = (1..100)
            .find(|&c| erlang_c_wq(lambda, mu, c) <= target)
            .unwrap();
        // The targets sit away from the closed form's steps (Wq(c) and Wq(c-1) at least
        // 15 % from the limit), so 4 x 200,000 customers decide them.
        assert!(erlang_c_wq(lambda, mu, want) < 0.85 * target);
        assert!(erlang_c_wq(lambda, mu, want - 1) > 1.15 * target);
        let out = tmp.path().join(format!("p{target}"));
        infersim()
            .args(["plan", "scenarios/oracles/mmc-plan.toml", "--quiet"])
            .arg("--set")
            .arg(format!(
                "plan.targets=[\"pool:servers wait_s mean <= {target}\"]"
            ))
            .arg("--out")
            .arg(&out)
            .assert()
            .success()
            .stdout("");
        assert_eq!(planned(&out, "servers"), want, "Wq <= {target} s");
        // The chosen fleet's wait is within its CI of the closed form.
        let (h, rows) = csv(&out.join("plan_targets.csv"));
        let v: f64 = rows[0][col(&h, "value")].parse().unwrap();
        let hw: f64 = rows[0][col(&h, "ci95_half_width")].parse().unwrap();
        let exact = erlang_c_wq(lambda, mu, want);
        assert!(
            (v - exact).abs() <= 3.0 * hw.max(0.02 * exact),
            "Wq({want}) = {v} +- {hw}, Erlang C {exact}"
        );
    }
    assert_eq!(
        (erlang_c_wq(3.6, 1.0, 4) * 1e6).round() / 1e6,
        1.969383,
        "the oracle of mmc.toml"
    );
}

/// The quickstart's summary.csv value of `(group, metric, stat)` after `run` with `sets`.
fn run_value(tmp: &Path, name: &str, sets: &[String], sel: (&str, &str, &str)) -> f64 {
    let out = tmp.join(name);
    let mut c = infersim();
    c.args(["run", "scenarios/quickstart.toml", "--quiet", "--no-report"]);
    for s in sets {
        c.arg("--set").arg(s);
    }
    c.arg("--out").arg(&out).assert().success();
    let (h, rows) = csv(&out.join("summary.csv"));
    let r = rows
        .iter()
        .find(|r| r[1] == sel.0 && r[2] == sel.1 && r[3] == sel.2)
        .unwrap();
    r[col(&h, "value")].parse().unwrap()
}

#[test]
fn the_plan_meets_every_target_and_one_unit_less_does_not() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("plan");
    infersim()
        .args(["plan", "scenarios/quickstart.toml", "--out"])
        .arg(&out)
        .assert()
        .success()
        .stdout(contains("option: "))
        .stdout(contains("wrote "));
    let (h, rows) = csv(&out.join("plan.csv"));
    let option = rows[0][col(&h, "option")].clone();
    let option_sets: Vec<String> = match option.as_str() {
        "as-written" => vec![],
        "b200-tp2" => vec![
            "gpu_pool.llama70b.gpu=\"b200\"".into(),
            "gpu_pool.llama70b.tensor_parallel=2".into(),
        ],
        o => panic!("unknown option {o}"),
    };
    let pools = [
        ("llama70b", "gpu_pool.llama70b.replicas"),
        ("policy", "cpu_pool.policy.servers"),
        ("retrieval", "cpu_pool.retrieval.servers"),
    ];
    let counts: Vec<u32> = pools.iter().map(|(p, _)| planned(&out, p)).collect();
    let sets = |less: Option<usize>| -> Vec<String> {
        let mut s = option_sets.clone();
        for (i, ((_, path), n)) in pools.iter().zip(&counts).enumerate() {
            s.push(format!("{path}={}", n - u32::from(less == Some(i))));
        }
        s
    };
    // The targets, checked by plain runs (not by the planner's own records).
    let meets = |name: &str, s: &[String]| {
        let slo = run_value(
            tmp.path(),
            &format!("{name}-slo"),
            s,
            ("all", "slo_attainment", "mean"),
        );
        let ttft = run_value(
            tmp.path(),
            &format!("{name}-ttft"),
            s,
            ("all", "ttft_s", "p99"),
        );
        let capped = run_value(
            tmp.path(),
            &format!("{name}-cap"),
            s,
            ("rack:r1", "power_capped_s", "total"),
        );
        slo >= 0.99 && ttft <= 1.0 && capped <= 0.0
    };
    assert!(
        meets("planned", &sets(None)),
        "the planned fleet {counts:?} misses a target"
    );
    for (i, (pool, _)) in pools.iter().enumerate() {
        // min is 1: a pool at 1 has no "one less".
        if counts[i] > 1 {
            assert!(
                !meets(&format!("less-{pool}"), &sets(Some(i))),
                "one {pool} unit less than {counts:?} still meets every target"
            );
        }
    }
    assert!(counts[0] > 1, "the GPU pool is what the targets bind");
    // On another GPU type nothing is owned: the whole pool is a purchase.
    let (h, buys) = csv(&out.join("purchases.csv"));
    if option == "b200-tp2" {
        assert_eq!(buys.len(), 1);
        assert_eq!(buys[0][col(&h, "gpu")], "b200");
        assert_eq!(buys[0][col(&h, "add_replicas")], counts[0].to_string());
        assert_eq!(buys[0][col(&h, "add_gpus")], (2 * counts[0]).to_string());
    } else {
        assert!(buys.is_empty(), "the scenario owns its H100s");
    }
    for f in [
        "plan_targets.csv",
        "purchases.csv",
        "plan_evaluations.csv",
        "plan.json",
        "charts/plan_capacity.png",
        "charts/plan_demand.svg",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
}

#[test]
fn the_plan_is_byte_identical_on_1_and_2_threads() {
    let tmp = tempfile::tempdir().unwrap();
    let mut texts = Vec::new();
    for t in ["1", "2"] {
        let out = tmp.path().join(t);
        infersim()
            .args([
                "plan",
                "scenarios/quickstart.toml",
                "--quiet",
                "--threads",
                t,
                "--out",
            ])
            .arg(&out)
            .assert()
            .success();
        texts.push(
            [
                "plan.csv",
                "plan_evaluations.csv",
                "plan_targets.csv",
                "plan.json",
                "charts/plan_capacity.svg",
            ]
            .map(|f| std::fs::read(out.join(f)).unwrap()),
        );
    }
    assert!(
        texts[0] == texts[1],
        "plan outputs differ between 1 and 2 threads"
    );
}

#[test]
fn unreachable_targets_name_the_target_and_the_best_reached() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("x");
    infersim()
        .args(["plan", "scenarios/oracles/mmc-plan.toml", "--quiet"])
        .args([
            "--set",
            "plan.targets=[\"pool:servers wait_s mean <= 0.1\"]",
        ])
        .args(["--set", "plan.pool.servers.max=5"])
        .arg("--out")
        .arg(&out)
        .assert()
        .code(1)
        .stderr(contains("no fleet within the bounds"))
        .stderr(contains("servers=5"))
        .stderr(contains(
            "`pool:servers wait_s mean <= 0.1` (best reached 0.2",
        ));
    // Nothing is lost: what was run is written.
    let (h, rows) = csv(&out.join("plan_targets.csv"));
    assert_eq!(rows[0][col(&h, "fleet")], "largest (best reached)");
    assert!(out.join("plan_evaluations.csv").is_file());
}

#[test]
fn bad_plan_sections_are_named() {
    let tmp = tempfile::tempdir().unwrap();
    let cases: [(&str, &str); 6] = [
        (
            "[plan]\ntargets = [\"wait_s <= 1\"]\n[plan.pool.sevrers]\n",
            "unknown pool \"sevrers\"",
        ),
        (
            "[plan]\ntargets = [\"wait_s mean 1\"]\n[plan.pool.servers]\n",
            "plan.targets[0]",
        ),
        (
            "[plan]\ntargets = [\"wait_s <= 1\"]\n[plan.pool.servers]\nmin = 5\nmax = 2\n",
            "plan.pool.servers.max",
        ),
        ("[plan]\ntargets = [\"wait_s <= 1\"]\n", "no pool to size"),
        (
            "[plan]\ntargets = [\"wait_s <= 1\"]\nevery = \"7d\"\n[plan.pool.servers]\n",
            "needs [epochs]",
        ),
        (
            "[plan]\ntargets = [\"wait_s <= 1\"]\nmaxx = 2\n[plan.pool.servers]\n",
            "maxx",
        ),
    ];
    let base = std::fs::read_to_string(super::support::repo("scenarios/oracles/mmc.toml")).unwrap();
    for (i, (plan, want)) in cases.iter().enumerate() {
        let f = tmp.path().join(format!("s{i}.toml"));
        std::fs::write(&f, format!("{base}\n{plan}")).unwrap();
        infersim()
            .arg("plan")
            .arg(&f)
            .assert()
            .code(1)
            .stderr(contains(*want));
    }
    // No [plan] at all.
    infersim()
        .args(["plan", "scenarios/oracles/mmc.toml"])
        .assert()
        .code(1)
        .stderr(contains("no [plan] section"));
    // A target naming no row of summary.csv.
    infersim()
        .args(["plan", "scenarios/oracles/mmc-plan.toml"])
        .args(["--set", "plan.targets=[\"pool:servers wait mean <= 1\"]"])
        .arg("--out")
        .arg(tmp.path().join("y"))
        .assert()
        .code(1)
        .stderr(contains("nearest: `pool:servers wait_s mean`"));
    // An option whose change names no field.
    let f = tmp.path().join("opt.toml");
    std::fs::write(
        &f,
        format!("{base}\n[plan]\ntargets = [\"pool:servers wait_s <= 1\"]\n[plan.pool.servers]\n[[plan.option]]\nname = \"x\"\nset = {{ \"cpu_pool.servers.servce\" = 2 }}\n"),
    )
    .unwrap();
    infersim()
        .arg("plan")
        .arg(&f)
        .assert()
        .code(1)
        .stderr(contains("plan option \"x\""));
}

#[test]
fn plan_shards_by_option_merge_into_the_unsharded_plan() {
    let tmp = tempfile::tempdir().unwrap();
    let whole = tmp.path().join("whole");
    infersim()
        .args(["plan", "scenarios/quickstart.toml", "--quiet", "--out"])
        .arg(&whole)
        .assert()
        .success();
    let shards: Vec<_> = (1..=2).map(|k| tmp.path().join(format!("s{k}"))).collect();
    let children: Vec<_> = shards
        .iter()
        .enumerate()
        .map(|(i, d)| {
            std::process::Command::new(assert_cmd::cargo::cargo_bin("infersim"))
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .args([
                    "plan",
                    "scenarios/quickstart.toml",
                    "--quiet",
                    "--threads",
                    "1",
                ])
                .args(["--shard", &format!("{}/2", i + 1), "--out"])
                .arg(d)
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    // A shard holds its options' searches only.
    let names: Vec<String> = std::fs::read_dir(&shards[0])
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["plan_options.json"]);
    let merged = tmp.path().join("merged");
    infersim()
        .arg("merge")
        .args([&shards[1], &shards[0]])
        .arg("--out")
        .arg(&merged)
        .arg("--quiet")
        .assert()
        .success()
        .stdout("");
    let mut n = 0;
    for f in [
        "plan.csv",
        "plan_targets.csv",
        "purchases.csv",
        "plan_evaluations.csv",
        "plan_options.json",
        "plan.json",
        "charts/plan_capacity.svg",
        "charts/plan_capacity.png",
        "charts/plan_demand.svg",
        "charts/plan_demand.png",
    ] {
        let (a, b) = (
            std::fs::read(whole.join(f)).unwrap(),
            std::fs::read(merged.join(f)).unwrap(),
        );
        assert!(a == b, "{f} differs between the whole plan and the merge");
        n += 1;
    }
    assert_eq!(n, 10);
    infersim()
        .arg("merge")
        .args([&shards[0], &shards[1]])
        .arg("--out")
        .arg(&shards[1])
        .assert()
        .code(1)
        .stderr(contains("is one of the shards' folders"));
    infersim()
        .arg("merge")
        .arg(&shards[0])
        .arg("--out")
        .arg(tmp.path().join("m1"))
        .assert()
        .code(1)
        .stderr(contains("missing shard(s) 2/2"));
    infersim()
        .arg("merge")
        .args([&shards[0], &whole])
        .arg("--out")
        .arg(tmp.path().join("m2"))
        .assert()
        .code(1)
        .stderr(contains("shard"));
}

#[test]
fn more_bad_plan_sections_are_named() {
    let tmp = tempfile::tempdir().unwrap();
    let base = std::fs::read_to_string(super::support::repo("scenarios/oracles/mmc.toml")).unwrap();
    let cases: [(&str, &str); 5] = [
        ("[plan]\ntargets = []\n[plan.pool.servers]\n", "no target"),
        (
            "[plan]\ntargets = [\"wait_s =< 1\"]\n[plan.pool.servers]\n",
            "use `<=` (at most) or `>=`",
        ),
        (
            "[plan]\ntargets = [\"wait_s <= 1\"]\n[plan.pool.servers]\nlead_time = \"30d\"\n",
            "a lead time applies to GPU pools",
        ),
        (
            "[plan]\ntargets = [\"wait_s <= 1\"]\n[plan.pool.servers]\nmin = 0\n",
            "a CPU or human pool needs a server",
        ),
        (
            "[plan]\ntargets = [\"wait_s <= 1\"]\n[plan.pool.servers]\n[[plan.option]]\nname = \"as-written\"\nset = { \"cpu_pool.servers.service.mean_s\" = 0.5 }\n",
            "not \"as-written\"",
        ),
    ];
    for (i, (plan, want)) in cases.iter().enumerate() {
        let f = tmp.path().join(format!("m{i}.toml"));
        std::fs::write(&f, format!("{base}\n{plan}")).unwrap();
        infersim()
            .arg("validate")
            .arg(&f)
            .assert()
            .code(1)
            .stderr(contains(*want));
    }
}
