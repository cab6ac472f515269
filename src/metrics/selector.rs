//! Selectors: one `summary.csv` observation named in text, `[GROUP] METRIC [STAT]`
//! (`slo_attainment`, `ttft_s p99`, `pool:servers wait_s mean`, `site it_power_kw max`),
//! as used by sweep charts and planner targets.

/// The statistics a `summary.csv` row may carry.
pub const STATS: [&str; 10] = [
    "mean", "p50", "p90", "p95", "p99", "p999", "max", "count", "total", "value",
];

/// One observation of `summary.csv`: its group, metric and statistic.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Selector {
    /// `all` (default), `site`, `workflow:<name>`, `pool:<name>`, `rack:<name>`, `step:<…>`.
    pub group: String,
    /// Metric name as in `summary.csv` (`ttft_s`).
    pub metric: String,
    /// Statistic (`mean` by default).
    pub stat: String,
}

impl Selector {
    /// Parses `[GROUP] METRIC [STAT]`: a first word that is `all`, `site` or holds a `:` is
    /// the group (default `all`); a last word among [`STATS`] is the statistic (default
    /// `mean`).
    ///
    /// # Errors
    /// A message when there is no metric or more than three words.
    pub fn parse(s: &str) -> Result<Selector, String> {
        let mut words: Vec<&str> = s.split_whitespace().collect();
        let group = match words.first() {
            Some(w) if *w == "all" || *w == "site" || w.contains(':') => words.remove(0),
            _ => "all",
        };
        let stat = match words.last() {
            Some(w) if words.len() > 1 && STATS.contains(w) => words.pop().unwrap_or("mean"),
            _ => "mean",
        };
        match words.as_slice() {
            [metric] => Ok(Selector {
                group: group.into(),
                metric: (*metric).into(),
                stat: stat.into(),
            }),
            _ => Err(format!(
                "expected `[GROUP] METRIC [STAT]` (e.g. `ttft_s p99` or `pool:servers wait_s \
                 mean`), found {s:?}"
            )),
        }
    }

    /// Whether a row of `group`, `metric`, `stat` is this one.
    pub fn matches(&self, group: &str, metric: &str, stat: &str) -> bool {
        self.group == group && self.metric == metric && self.stat == stat
    }

    /// `GROUP METRIC STAT`, with `all` left out.
    pub fn text(&self) -> String {
        if self.group == "all" {
            format!("{} {}", self.metric, self.stat)
        } else {
            format!("{} {} {}", self.group, self.metric, self.stat)
        }
    }

    /// A file-name-safe id: `group_metric_stat` with `:` and `.` as `-`.
    pub fn id(&self) -> String {
        format!("{}_{}_{}", self.group, self.metric, self.stat).replace([':', '.'], "-")
    }

    /// The message for a selector that matches none of `known` rows (`(group, metric,
    /// stat)`), naming the nearest ones.
    pub fn not_found<'a>(
        &self,
        known: impl IntoIterator<Item = (&'a str, &'a str, &'a str)>,
    ) -> String {
        let mut near: Vec<(f64, String)> = known
            .into_iter()
            .map(|(g, m, s)| {
                let score = strsim::jaro_winkler(&self.group, g)
                    + 2.0 * strsim::jaro_winkler(&self.metric, m)
                    + strsim::jaro_winkler(&self.stat, s);
                let text = Selector {
                    group: g.into(),
                    metric: m.into(),
                    stat: s.into(),
                }
                .text();
                (score, text)
            })
            .collect();
        near.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        near.dedup_by(|a, b| a.1 == b.1);
        let names: Vec<String> = near
            .into_iter()
            .take(3)
            .map(|(_, t)| format!("`{t}`"))
            .collect();
        format!(
            "no summary.csv row `{}` (group {}, metric {}, stat {}); nearest: {}",
            self.text(),
            self.group,
            self.metric,
            self.stat,
            if names.is_empty() {
                "none".into()
            } else {
                names.join(", ")
            }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_parse_with_defaults() {
        let s = Selector::parse("ttft_s p99").unwrap();
        assert_eq!(
            (s.group.as_str(), s.metric.as_str(), s.stat.as_str()),
            ("all", "ttft_s", "p99")
        );
        let s = Selector::parse("pool:servers wait_s").unwrap();
        assert_eq!(
            (s.group.as_str(), s.stat.as_str()),
            ("pool:servers", "mean")
        );
        assert_eq!(s.text(), "pool:servers wait_s mean");
        assert_eq!(s.id(), "pool-servers_wait_s_mean");
        let s = Selector::parse("site it_power_kw max").unwrap();
        assert!(s.matches("site", "it_power_kw", "max"));
        assert_eq!(
            Selector::parse("slo_attainment").unwrap().text(),
            "slo_attainment mean"
        );
        assert!(Selector::parse("").is_err());
        assert!(Selector::parse("a b c d").is_err());
        let e = Selector::parse("ttft p99").unwrap().not_found([
            ("all", "ttft_s", "p99"),
            ("all", "tpot_s", "p99"),
            ("all", "e2e_s", "mean"),
        ]);
        assert!(e.contains("nearest: `ttft_s p99`"), "{e}");
    }
}
