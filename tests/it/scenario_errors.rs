//! Bad scenarios: every problem reported, each with its field path, line and column.

use super::support::{find, problems};
use infersim::scenario::parse_str;
use std::path::Path;

const GOOD: &str = r#"[scenario]
horizon = "1h"

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
fn the_base_scenario_is_valid() {
    let s = parse_str(GOOD, Path::new("good.toml")).unwrap();
    assert_eq!(s.name, "good");
    assert_eq!(s.horizon.unwrap().0, 3_600_000_000_000);
}

#[test]
fn unknown_field_is_named_with_its_line_and_column() {
    let src = GOOD.replace("servers = 2", "srevers = 2");
    let ps = problems(&src);
    let p = find(&ps, "cpu_pool.p.srevers");
    assert!(
        p.message.contains("unknown field `srevers`"),
        "{}",
        p.message
    );
    assert!(
        p.message.contains("servers"),
        "lists the expected fields: {}",
        p.message
    );
    assert_eq!(p.line_col, Some((9, 1)));
}

#[test]
fn negative_and_nan_rates_are_rejected() {
    let ps = problems(&GOOD.replace("rate_per_s = 1.0", "rate_per_s = -3"));
    let p = find(&ps, "arrivals.a.rate_per_s");
    assert!(p.message.contains("found -3"), "{}", p.message);
    assert_eq!(p.line_col, Some((6, 1)));
    let ps = problems(&GOOD.replace("rate_per_s = 1.0", "rate_per_s = nan"));
    assert!(
        find(&ps, "arrivals.a.rate_per_s")
            .message
            .contains("found NaN")
    );
}

#[test]
fn unknown_pool_lists_the_defined_pools() {
    let ps = problems(&GOOD.replace("pool = \"p\"", "pool = \"gpu\""));
    let p = find(&ps, "workflow.w.steps[0].pool");
    assert!(p.message.contains("unknown pool \"gpu\""), "{}", p.message);
    assert!(p.message.contains("defined CPU pools: p"), "{}", p.message);
}

#[test]
fn malformed_toml_gives_line_and_column() {
    let ps = problems("[scenario\nname = 1\n");
    assert_eq!(ps.len(), 1, "{ps:#?}");
    assert!(
        ps[0].message.starts_with("malformed TOML"),
        "{}",
        ps[0].message
    );
    assert_eq!(ps[0].line_col.map(|(l, _)| l), Some(1));
}

#[test]
fn every_problem_is_listed_not_just_the_first() {
    let src = GOOD
        .replace("servers = 2", "servers = 0")
        .replace("rate_per_s = 1.0", "rate_per_s = 0")
        .replace("horizon = \"1h\"", "horizon = \"ten minutes\"")
        .replace("mean_s = 0.5", "mean_s = 0.5, cv = 2")
        + "\n[gpu_pool.x]\nreplicas = 1\n";
    let ps = problems(&src);
    for path in [
        "scenario.horizon",
        "arrivals.a.rate_per_s",
        "cpu_pool.p.servers",
        "cpu_pool.p.service.cv",
        "gpu_pool.x.model",
        "gpu_pool.x.gpu",
    ] {
        find(&ps, path);
    }
    // file order
    let lines: Vec<usize> = ps
        .iter()
        .filter_map(|p| p.line_col.map(|(l, _)| l))
        .collect();
    assert!(lines.windows(2).all(|w| w[0] <= w[1]), "{lines:?}");
}

#[test]
fn one_bad_entry_does_not_hide_problems_in_another() {
    let src = GOOD.to_string()
        + "\n[cpu_pool.q]\nservers = \"four\"\n\n[cpu_pool.r]\nservers = 1\nservice = { dist = \"weird\" }\n";
    let ps = problems(&src);
    assert!(
        find(&ps, "cpu_pool.q.servers")
            .message
            .contains("invalid type")
    );
    assert!(
        find(&ps, "cpu_pool.r.service.dist")
            .message
            .contains("unknown distribution \"weird\"")
    );
}

#[test]
fn workflow_graph_problems() {
    let cyc = GOOD.replace(
        "steps = [{ name = \"s\", pool = \"p\" }]",
        "steps = [{ name = \"a\", pool = \"p\", after = [\"b\"] }, { name = \"b\", pool = \"p\", after = [\"a\"] }, { name = \"c\", pool = \"p\", after = [\"nope\"] }]",
    );
    let ps = problems(&cyc);
    assert!(
        find(&ps, "workflow.w.steps[2].after[0]")
            .message
            .contains("unknown step \"nope\"")
    );
    let cyc = cyc.replace(", after = [\"nope\"]", "");
    let ps = problems(&cyc);
    let p = find(&ps, "workflow.w.steps");
    assert!(
        p.message.contains("cycle among steps: a, b"),
        "{}",
        p.message
    );
}

#[test]
fn a_run_that_would_never_end_is_rejected() {
    let ps = problems(&GOOD.replace("horizon = \"1h\"", ""));
    assert!(
        find(&ps, "arrivals.a.max_arrivals")
            .message
            .contains("never end")
    );
}

#[test]
fn distribution_parameters_are_checked_per_family() {
    let bad = [
        (
            "{ dist = \"lognormal\", mean_s = 1 }",
            "cpu_pool.p.service.cv",
            "missing",
        ),
        (
            "{ dist = \"erlang\", k = 0, mean_s = 1 }",
            "cpu_pool.p.service.k",
            "found 0",
        ),
        (
            "{ dist = \"uniform\", min_s = 2, max_s = 1 }",
            "cpu_pool.p.service.max_s",
            "max_s > min_s",
        ),
        (
            "{ dist = \"hyperexponential\", mean_s = 1, cv = 0.5 }",
            "cpu_pool.p.service.cv",
            "cv > 1",
        ),
        (
            "{ dist = \"hyperexponential\", probs = [0.5, 0.4], means_s = [1, 2] }",
            "cpu_pool.p.service.probs",
            "summing to 1",
        ),
        ("{ mean_s = 1 }", "cpu_pool.p.service.dist", "missing"),
        (
            "{ dist = \"empirical\", file = \"nope.csv\", column = \"s\" }",
            "cpu_pool.p.service.file",
            "cannot read",
        ),
    ];
    for (dist, path, needle) in bad {
        let ps = problems(&GOOD.replace("{ dist = \"exponential\", mean_s = 0.5 }", dist));
        let p = find(&ps, path);
        assert!(p.message.contains(needle), "{dist}: {}", p.message);
    }
}

#[test]
fn empirical_data_errors_name_the_data_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("svc.csv"), "service_s\n0.5\n0.7\nabc\n").unwrap();
    let src = GOOD.replace(
        "{ dist = \"exponential\", mean_s = 0.5 }",
        "{ dist = \"empirical\", file = \"svc.csv\", column = \"service_s\" }",
    );
    let file = dir.path().join("s.toml");
    let e = parse_str(&src, &file).unwrap_err();
    let p = &e.problems[0];
    assert_eq!(p.file, dir.path().join("svc.csv"));
    assert_eq!(p.line_col, Some((4, 1)));
    assert!(p.message.contains("found \"abc\""), "{}", p.message);
    // and a good file loads, with the column's mean
    std::fs::write(dir.path().join("svc.csv"), "id,service_s\n1,0.5\n2,1.5\n").unwrap();
    let s = parse_str(&src, &file).unwrap();
    assert_eq!(s.offered_load()[0], 1.0 * 1.0 / 2.0);
}

#[test]
fn every_bad_field_of_a_table_is_reported() {
    // Type errors in one table used to hide each other (serde stops at the first).
    let src = GOOD
        .replace(
            "horizon = \"1h\"",
            "horizon = \"8x\"\ncolour = \"red\"\nseed = -1\ninterval = \"-5s\"",
        )
        .replace("rate_per_s = 1.0", "rate_per_s = nan\nmax_arrivals = -3");
    let ps = problems(&src);
    for path in [
        "scenario.colour",
        "scenario.seed",
        "arrivals.a.max_arrivals",
    ] {
        find(&ps, path);
    }
    // and no invented follow-on problems
    assert!(
        !ps.iter().any(|p| p.message.contains("never end")),
        "{ps:#?}"
    );
    assert!(
        !ps.iter().any(|p| p.message.contains("no arrival process")),
        "{ps:#?}"
    );
}

#[test]
fn a_cycle_is_reported_alongside_other_step_problems() {
    let src = GOOD.replace(
        "steps = [{ name = \"s\", pool = \"p\" }]",
        "steps = [{ name = \"a\", pool = \"nope\", after = [\"b\"] }, { name = \"b\", pool = \"p\", after = [\"a\"] }]",
    );
    let ps = problems(&src);
    find(&ps, "workflow.w.steps[0].pool");
    assert!(find(&ps, "workflow.w.steps").message.contains("cycle"));
}

#[test]
fn a_broken_pool_service_gives_no_follow_on_problem() {
    let ps = problems(&GOOD.replace("mean_s = 0.5 }", "mean_s = -0.5 }"));
    assert_eq!(ps.len(), 1, "{ps:#?}");
    assert_eq!(ps[0].path, "cpu_pool.p.service.mean_s");
}

#[test]
fn names_must_be_plain() {
    // Dots, slashes and spaces would make field paths, stream names and folders ambiguous.
    let ps = problems(&GOOD.replace("[cpu_pool.p]", "[cpu_pool.\"gpu.small\"]"));
    assert!(
        find(&ps, "cpu_pool.\"gpu.small\"")
            .message
            .contains("letters, digits")
    );
    let ps = problems(&GOOD.replace("name = \"s\"", "name = \"a/b\""));
    assert!(
        find(&ps, "workflow.w.steps[0].name")
            .message
            .contains("letters, digits")
    );
    let ps = problems(&GOOD.replace("horizon = \"1h\"", "horizon = \"1h\"\nname = \"../up\""));
    find(&ps, "scenario.name");
    let e = parse_str(GOOD, Path::new("dir/...toml")).unwrap_err();
    assert!(
        e.problems[0]
            .message
            .contains("cannot name the output folder"),
        "{e}"
    );
}

#[test]
fn arrays_where_tables_belong_are_rejected() {
    let ps = problems(&GOOD.replace("[scenario]\nhorizon = \"1h\"", "scenario = [\"x\", 1]\n[z]"));
    assert!(
        find(&ps, "scenario").message.contains("expected a table"),
        "{ps:#?}"
    );
    let ps = problems(&GOOD.replace(
        "service = { dist = \"exponential\", mean_s = 0.5 }",
        "service = [\"exponential\", 0.5]",
    ));
    assert!(
        find(&ps, "cpu_pool.p.service")
            .message
            .contains("expected a distribution table")
    );
}

#[test]
fn values_that_would_break_the_run_are_rejected_up_front() {
    let cases = [
        // every gap would round to 0 ns: the clock would never move
        (
            GOOD.replace("rate_per_s = 1.0", "rate_per_s = 1e12"),
            "arrivals.a.rate_per_s",
            "at most a million",
        ),
        (
            GOOD.replace("servers = 2", "servers = 4294967295"),
            "cpu_pool.p.servers",
            "from 1 to 1000000",
        ),
        (
            GOOD.replace("mean_s = 0.5 }", "mean_s = 1e12 }"),
            "cpu_pool.p.service",
            "at most 1e9",
        ),
        (
            GOOD.replace(
                "{ dist = \"exponential\", mean_s = 0.5 }",
                "{ dist = \"gamma\", mean_s = 0.5, cv = 1e-300 }",
            ),
            "cpu_pool.p.service.cv",
            "from 0.001 to 100",
        ),
        (
            GOOD.replace(
                "{ dist = \"exponential\", mean_s = 0.5 }",
                "{ dist = \"weibull\", shape = 0.001, mean_s = 0.5 }",
            ),
            "cpu_pool.p.service.shape",
            "from 0.1 to 100",
        ),
        (
            GOOD.replace("horizon = \"1h\"", "horizon = \"1h\"\ninterval = \"1ns\""),
            "scenario.interval",
            "time-series windows",
        ),
        (
            GOOD.replace("horizon = \"1h\"", "interval = \"1ms\"")
                .replace(
                    "rate_per_s = 1.0",
                    "rate_per_s = 1.0\nmax_arrivals = 10_000_000",
                ),
            "scenario.interval",
            "time-series windows",
        ),
        (
            GOOD.replace("horizon = \"1h\"", "horizon = true"),
            "scenario.horizon",
            "a duration such as",
        ),
        (
            GOOD.replace("horizon = \"1h\"", "horizon = 1e308"),
            "scenario.horizon",
            "",
        ),
    ];
    for (src, path, needle) in cases {
        let ps = problems(&src);
        let p = find(&ps, path);
        assert!(p.message.contains(needle), "{path}: {}", p.message);
    }
}

#[test]
fn shapes_and_forms_are_checked() {
    let cases = [
        (
            "{ dist = \"gamma\", shape = 1e-300, scale_s = 1 }",
            "cpu_pool.p.service.shape",
            "from 0.001 to 1000000, found 1e-300",
        ),
        (
            "{ dist = \"weibull\", shape = 0.001, mean_s = 1 }",
            "cpu_pool.p.service.shape",
            "from 0.1 to 100",
        ),
        (
            "{ dist = \"gamma\", mean_s = 1, cv = 0.5, shape = 4 }",
            "cpu_pool.p.service",
            "not a mix",
        ),
        (
            "{ dist = \"hyperexponential\", probs = [], means_s = [] }",
            "cpu_pool.p.service.probs",
            "at least one branch",
        ),
        (
            "{ dist = \"exponential\", mean_s = 1e300 }",
            "cpu_pool.p.service",
            "1e300",
        ),
    ];
    for (dist, path, needle) in cases {
        let ps = problems(&GOOD.replace("{ dist = \"exponential\", mean_s = 0.5 }", dist));
        let p = find(&ps, path);
        assert!(p.message.contains(needle), "{dist}: {}", p.message);
        assert!(p.message.len() < 400, "no 300-digit numbers: {}", p.message);
    }
    let long = "x".repeat(65);
    let ps = problems(&GOOD.replace("[cpu_pool.p]", &format!("[cpu_pool.{long}]")));
    assert!(ps[0].message.contains("at most 64"), "{}", ps[0].message);
}

#[test]
fn a_bad_deadline_names_the_workflow() {
    for bad in ["\"soon\"", "0", "-5"] {
        let src = GOOD.replace("[workflow.w]", &format!("[workflow.w]\ndeadline = {bad}"));
        let ps = problems(&src);
        find(&ps, "workflow.w.deadline");
    }
}

#[test]
fn a_bad_start_says_what_a_start_looks_like() {
    for bad in [
        "\"Monday 9am\"",
        "\"2026-02-30T09:00\"",
        "\"2026-03-02 25:00\"",
    ] {
        let src = GOOD.replace("[scenario]", &format!("[scenario]\nstart = {bad}"));
        let ps = problems(&src);
        let p = find(&ps, "scenario.start");
        assert!(
            p.message
                .contains("expected a local date and time such as \"2026-03-02T09:00\""),
            "{}",
            p.message
        );
    }
}
