//! Charts and pages end to end: every chart of the quickstart and of the growth scenario is
//! drawn and not blank, `report.html` is self-contained and its headline figures match
//! `summary.csv`, `report` and `compare` work from output folders and say clearly what is
//! wrong with a bad one, and a real browser renders the page.

use super::support::infersim;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn run_to(scenario: &str, out: &Path, extra: &[&str]) {
    infersim()
        .args(["run", scenario, "--quiet", "--out"])
        .arg(out)
        .args(extra)
        .assert()
        .success();
}

/// Decodes a PNG into RGB pixels, checking its size.
fn pixels(path: &Path) -> Vec<[u8; 3]> {
    let dec = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = dec.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!((info.width, info.height), (960, 440), "{}", path.display());
    assert_eq!(info.color_type, png::ColorType::Rgb);
    buf[..info.buffer_size()]
        .chunks_exact(3)
        .map(|p| [p[0], p[1], p[2]])
        .collect()
}

/// Share of pixels that are not white, and the number of distinct colours.
fn ink(path: &Path) -> (f64, usize) {
    let px = pixels(path);
    let non_white = px.iter().filter(|p| **p != [255, 255, 255]).count();
    let mut colours: Vec<[u8; 3]> = px.clone();
    colours.sort_unstable();
    colours.dedup();
    (non_white as f64 / px.len() as f64, colours.len())
}

/// Chart ids in `dir/charts` (from the SVG files).
fn chart_ids(dir: &Path) -> Vec<String> {
    let mut ids: Vec<String> = std::fs::read_dir(dir.join("charts"))
        .unwrap()
        .filter_map(|e| {
            let p = e.unwrap().path();
            (p.extension()? == "svg").then(|| p.file_stem().unwrap().to_string_lossy().into())
        })
        .collect();
    ids.sort();
    ids
}

/// Every chart exists as SVG and PNG, the PNG is not blank, and a chart with data has
/// plotted more than axes (colours beyond the text's greys).
fn check_charts(dir: &Path, must_have_data: &[&str]) {
    let ids = chart_ids(dir);
    assert!(!ids.is_empty());
    for id in &ids {
        let svg = std::fs::read_to_string(dir.join(format!("charts/{id}.svg"))).unwrap();
        assert!(
            svg.contains("<svg") && svg.trim_end().ends_with("</svg>"),
            "{id}"
        );
        let (share, colours) = ink(&dir.join(format!("charts/{id}.png")));
        assert!(share > 0.005, "{id}.png is blank ({share})");
        let empty = svg.contains("No data:");
        if must_have_data.contains(&id.as_str()) {
            assert!(!empty, "{id} should have data");
            // Anti-aliased text alone gives greys; palette colours give many more.
            assert!(colours > 40, "{id}.png has only {colours} colours");
        }
    }
}

/// `summary.csv` as `(group, metric, stat) -> value`.
fn summary(dir: &Path) -> BTreeMap<(String, String, String), f64> {
    let mut r = csv::Reader::from_path(dir.join("summary.csv")).unwrap();
    r.records()
        .filter_map(|rec| {
            let rec = rec.unwrap();
            let v: f64 = rec[4].parse().ok()?;
            Some(((rec[1].into(), rec[2].into(), rec[3].into()), v))
        })
        .collect()
}

/// The headline cards of a page: `(group, metric, stat, data-value, shown text)`.
fn headline_cards(html: &str) -> Vec<(String, String, String, f64, String)> {
    let attr = |tag: &str, name: &str| -> Option<String> {
        let k = tag.find(&format!("{name}=\""))? + name.len() + 2;
        Some(tag[k..k + tag[k..].find('"')?].to_string())
    };
    let mut out = Vec::new();
    for part in html.split("<div class=\"kpi").skip(1) {
        let tag = &part[..part.find('>').unwrap()];
        let (Some(g), Some(m), Some(s), Some(v)) = (
            attr(tag, "data-group"),
            attr(tag, "data-metric"),
            attr(tag, "data-stat"),
            attr(tag, "data-value"),
        ) else {
            continue;
        };
        let k = part.find("class=\"value\">").unwrap() + "class=\"value\">".len();
        let text = part[k..k + part[k..].find('<').unwrap()].to_string();
        out.push((g, m, s, v.parse().unwrap(), text));
    }
    out
}

fn check_headlines_match_summary(html: &str, dir: &Path, expect: usize) {
    let sum = summary(dir);
    let cards = headline_cards(html);
    assert!(cards.len() >= expect, "{} headline figures", cards.len());
    for (g, m, s, v, text) in cards {
        let want = sum
            .get(&(g.clone(), m.clone(), s.clone()))
            .unwrap_or_else(|| panic!("{g},{m},{s} is not in summary.csv"));
        assert_eq!(v, *want, "{g},{m},{s}");
        assert!(!text.is_empty() && text != "–", "{m} shown as {text:?}");
    }
}

fn assert_self_contained(html: &str) {
    for bad in ["<script", "<link", "src=", "url(", "@import", "href=\"http"] {
        assert!(!html.contains(bad), "the page refers outside itself: {bad}");
    }
    assert!(html.starts_with("<!DOCTYPE html>"));
}

#[test]
fn the_quickstart_report_has_every_chart_and_its_headlines_match_summary_csv() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("q");
    run_to("scenarios/quickstart.toml", &out, &[]);
    let ids = chart_ids(&out);
    for id in [
        "latency_percentiles_task_latency",
        "latency_cdf_ttft",
        "task_latency_over_time",
        "ttft_over_time",
        "utilization_over_time",
        "queue_over_time",
        "site_power",
        "rack_power",
        "cooling",
        "ambient",
        "pue",
        "spend_cumulative",
        "cost_per_task",
    ] {
        assert!(ids.iter().any(|i| i == id), "no chart {id}: {ids:?}");
    }
    check_charts(
        &out,
        &[
            "latency_cdf_task_latency",
            "utilization_over_time",
            "site_power",
            "spend_cumulative",
            "cost_per_task",
        ],
    );
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert_self_contained(&html);
    // Cost per task, SLO attainment, p99 latency, peak power, spend (no runway: one run).
    check_headlines_match_summary(&html, &out, 5);
    // Every chart is inline, in order, and the tables follow.
    assert_eq!(html.matches("<figure").count(), ids.len());
    let charts_at = html.find("<figure").unwrap();
    assert!(html.find("class=\"kpis\"").unwrap() < charts_at);
    assert!(html.find("<h3>Workflows</h3>").unwrap() > charts_at);

    // `report` on the folder gives the same bytes as `run` wrote.
    let again = tmp.path().join("again");
    infersim()
        .args(["report", "--quiet"])
        .arg(&out)
        .arg("--out")
        .arg(&again)
        .assert()
        .success()
        .stdout("");
    for f in std::iter::once("report.html".to_string())
        .chain(ids.iter().map(|i| format!("charts/{i}.svg")))
        .chain(ids.iter().map(|i| format!("charts/{i}.png")))
    {
        assert_eq!(
            std::fs::read(out.join(&f)).unwrap(),
            std::fs::read(again.join(&f)).unwrap(),
            "{f}"
        );
    }
}

#[test]
fn the_growth_scenario_charts_its_months_runway_and_purchase() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("g");
    // One replication: the charts, not the statistics, are under test (~25 s on 2 cores).
    run_to(
        "scenarios/adoption-growth.toml",
        &out,
        &["--replications", "1"],
    );
    check_charts(
        &out,
        &[
            "slo_over_time",
            "p99_over_time",
            "unit_cost_vs_spend",
            "spend_cumulative",
            "utilization_over_time",
            "site_power",
        ],
    );
    let slo = std::fs::read_to_string(out.join("charts/slo_over_time.svg")).unwrap();
    assert!(slo.contains("runway ends 2027-"), "runway marked");
    assert!(slo.contains("+4 large_b200"), "the B200 purchase is marked");
    assert!(slo.contains("target 0.95"));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert_self_contained(&html);
    check_headlines_match_summary(&html, &out, 5);
    assert!(html.contains("id=\"runway\"") && html.contains("the SLO first breaks on 2027-"));
    assert!(html.contains("<h3>Months</h3>") && html.contains("<td>2028-06</td>"));
}

#[test]
fn a_chart_without_data_says_so_on_the_chart() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("mm1");
    // An M/M/1 queue: no GPU, no facility, no prices.
    run_to("scenarios/oracles/mm1.toml", &out, &[]);
    let svg = std::fs::read_to_string(out.join("charts/site_power.svg")).unwrap();
    assert!(
        svg.contains("No data: this run has no [site] or racks"),
        "{svg}"
    );
    let svg = std::fs::read_to_string(out.join("charts/cost_per_task.svg")).unwrap();
    assert!(svg.contains("No data: this run has no [cost] prices"));
    let svg = std::fs::read_to_string(out.join("charts/latency_cdf_ttft.svg")).unwrap();
    assert!(svg.contains("No data:"));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("not priced: add a [cost] section"));
}

#[test]
fn compare_puts_runs_side_by_side_with_changes_against_the_first() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    run_to("scenarios/quickstart.toml", &a, &["--no-report"]);
    run_to(
        "scenarios/quickstart.toml",
        &b,
        &["--no-report", "--seed", "9"],
    );
    assert!(
        !a.join("report.html").exists(),
        "--no-report writes no page"
    );
    let out = tmp.path().join("cmp");
    infersim()
        .arg("compare")
        .args([&a, &b])
        .arg("--out")
        .arg(&out)
        .assert()
        .success()
        .stdout(predicates::str::contains("compared 2 runs"));
    let html = std::fs::read_to_string(out.join("compare.html")).unwrap();
    assert_self_contained(&html);
    // Same scenario name twice: the runs are told apart by folder (its last two parts).
    let tmp_name = tmp
        .path()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    assert!(
        html.contains(&format!("<th>{tmp_name}/a</th><th>{tmp_name}/b</th>")),
        "{html}"
    );
    let sa = summary(&a);
    let v = sa[&(
        "all".to_string(),
        "cost_per_successful_task_usd".to_string(),
        "mean".to_string(),
    )];
    assert!(html.contains(&format!("data-value=\"{v}\"")));
    assert!(html.contains("class=\"delta"), "deltas shown");
    for id in [
        "compare_task_latency_cdf",
        "compare_cost_per_task",
        "compare_site_power",
    ] {
        let (share, colours) = ink(&out.join(format!("charts/{id}.png")));
        assert!(share > 0.005 && colours > 40, "{id}");
    }
    // One folder is not a comparison.
    infersim().arg("compare").arg(&a).assert().code(1);
}

#[test]
fn report_names_the_folder_or_file_that_is_wrong() {
    let tmp = tempfile::tempdir().unwrap();
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    infersim()
        .arg("report")
        .arg(&empty)
        .assert()
        .code(1)
        .stderr(predicates::str::contains("not an infersim run output"));
    infersim()
        .args(["report", "no/such/folder"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("no/such/folder: no such folder"));

    let out = tmp.path().join("q");
    run_to("scenarios/quickstart.toml", &out, &["--no-report"]);
    let corrupt = |file: &str, edit: &dyn Fn(String) -> String, expect: &str| {
        let dir = tmp.path().join(format!("bad-{}", file.replace('.', "-")));
        copy_dir(&out, &dir);
        let p = dir.join(file);
        let text = std::fs::read_to_string(&p).unwrap_or_default();
        let edited = edit(text);
        if edited.is_empty() {
            std::fs::remove_file(&p).unwrap();
        } else {
            std::fs::write(&p, edited).unwrap();
        }
        infersim()
            .arg("report")
            .arg(&dir)
            .assert()
            .code(1)
            .stderr(predicates::str::contains(expect));
        assert!(
            !dir.join("report.html").exists(),
            "nothing written for {file}"
        );
    };
    corrupt(
        "timeseries.csv",
        &|_| String::new(),
        "timeseries.csv: missing",
    );
    corrupt(
        "summary.csv",
        &|t| {
            // Line 4 (the third data row): its value is not a number.
            t.lines()
                .enumerate()
                .map(|(i, l)| {
                    let mut f: Vec<&str> = l.split(',').collect();
                    if i == 3 {
                        f[4] = "abc";
                    }
                    f.join(",")
                })
                .collect::<Vec<_>>()
                .join("\n")
        },
        "summary.csv: line 4: field 5",
    );
    corrupt(
        "timeseries.csv",
        &|t| format!("{t}quickstart,0,60\n"),
        "timeseries.csv: line",
    );
    corrupt(
        "run.json",
        &|t| t.replace("\"seed\"", "\"sed\""),
        "run.json: line",
    );
    corrupt(
        "distributions.csv",
        &|t| t.replacen("scenario,group", "scenario,groups", 1),
        "distributions.csv: line 1: header is",
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        if p.is_file() {
            std::fs::copy(&p, to.join(p.file_name().unwrap())).unwrap();
        }
    }
}

/// Headless Chromium, if installed (`.ci/run` installs Debian's `chromium`).
fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|c| {
            std::process::Command::new(c)
                .arg("--version")
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|_| PathBuf::from(c))
        })
}

fn chromium_args(profile: &Path) -> Vec<String> {
    [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([format!("--user-data-dir={}", profile.display())])
    .collect()
}

#[test]
fn a_real_browser_renders_the_report_with_its_headline_figures() {
    let Some(browser) = chromium() else {
        assert!(
            std::env::var_os("INFERSIM_REQUIRE_BROWSER").is_none(),
            "INFERSIM_REQUIRE_BROWSER is set but no chromium is installed"
        );
        eprintln!("skipped: no chromium (`.ci/run` installs it)");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("q");
    run_to("scenarios/quickstart.toml", &out, &[]);
    let page = format!("file://{}", out.join("report.html").display());
    // Kept after the test for a person to look at: target/tmp/report-screenshot.png.
    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-screenshot.png");
    let o = std::process::Command::new(&browser)
        .args(chromium_args(&tmp.path().join("profile-a")))
        .arg("--window-size=1100,2400")
        .arg(format!("--screenshot={}", shot.display()))
        .arg(&page)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // The screenshot shows the page: not blank, with the palette's colours.
    let dec = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&shot).unwrap()));
    let mut reader = dec.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!((info.width, info.height), (1100, 2400));
    let step = info.color_type.samples();
    let px: Vec<&[u8]> = buf[..info.buffer_size()].chunks_exact(step).collect();
    let inked = px.iter().filter(|p| p[..3] != [255, 255, 255]).count();
    assert!(
        inked as f64 / px.len() as f64 > 0.02,
        "the screenshot is blank ({inked} pixels)"
    );
    let blue = px
        .iter()
        .filter(|p| p[2] > 150 && p[0] < 60 && p[1] > 80 && p[1] < 150)
        .count();
    assert!(blue > 100, "no chart line or card accent rendered ({blue})");

    // The DOM as rendered: the headline figures are there and match summary.csv.
    let o = std::process::Command::new(&browser)
        .args(chromium_args(&tmp.path().join("profile-b")))
        .arg("--dump-dom")
        .arg(&page)
        .output()
        .unwrap();
    assert!(o.status.success());
    let dom = String::from_utf8(o.stdout).unwrap();
    assert!(dom.contains("<svg"), "charts are in the rendered DOM");
    check_headlines_match_summary(&dom, &out, 5);
    let sum = summary(&out);
    let p99 = sum[&("all".into(), "task_latency_s".into(), "p99".into())];
    let shown = infersim::report::chart::style::number(p99);
    assert!(dom.contains(&format!("{shown} s")), "p99 {shown} s shown");
}

#[test]
fn a_report_replaces_only_its_own_files_and_no_report_removes_an_old_page() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("q");
    std::fs::create_dir_all(out.join("charts")).unwrap();
    std::fs::write(out.join("charts/mine.png"), b"a user's picture").unwrap();
    std::fs::write(out.join("charts/notes.svg"), b"<svg/>").unwrap();
    run_to("scenarios/quickstart.toml", &out, &[]);
    assert!(out.join("report.html").is_file() && out.join("charts/site_power.svg").is_file());
    // The same folder again without a page: the old page and its charts would describe
    // results that are no longer there.
    run_to(
        "scenarios/quickstart.toml",
        &out,
        &["--no-report", "--replications", "1"],
    );
    assert!(!out.join("report.html").exists());
    assert!(!out.join("charts/site_power.svg").exists());
    assert!(!out.join("charts/site_power.png").exists());
    assert_eq!(
        std::fs::read(out.join("charts/mine.png")).unwrap(),
        b"a user's picture"
    );
    assert!(out.join("charts/notes.svg").is_file());
}
