//! HTML building blocks of the report pages: escaping, the stylesheet, headline cards,
//! figures and tables. Pages are self-contained: inline CSS and SVG, no script, no external
//! asset.

use super::headline::Headline;
use crate::report::chart::Chart;

/// Escapes text for HTML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The stylesheet: a readable screen page that prints cleanly on A4 or Letter (cards and
/// figures never split across pages).
pub const CSS: &str = "
:root { --ink: #1e1e1e; --muted: #5a5a5a; --line: #dcdcdc; --accent: #0072b2; }
* { box-sizing: border-box; }
body { font-family: 'DejaVu Sans', 'Helvetica Neue', Arial, sans-serif; color: var(--ink);
  margin: 0 auto; max-width: 1040px; padding: 24px; line-height: 1.4; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 28px 0 10px; border-bottom: 2px solid var(--line); padding-bottom: 4px; }
.meta { color: var(--muted); font-size: 13px; margin: 0 0 18px; }
.kpis { display: grid; grid-template-columns: repeat(3, 1fr); gap: 12px; }
.kpi { border: 1px solid var(--line); border-left: 5px solid var(--accent); border-radius: 4px;
  padding: 10px 12px; break-inside: avoid; }
.kpi .label { font-size: 13px; color: var(--muted); }
.kpi .value { font-size: 28px; font-weight: bold; margin: 2px 0; }
.kpi .detail { font-size: 12px; color: var(--muted); }
.kpi.absent { border-left-color: var(--line); }
.kpi .delta { font-size: 13px; }
.better { color: #007a55; } .worse { color: #b03a00; }
figure { margin: 14px 0 22px; break-inside: avoid; page-break-inside: avoid; }
figure svg { width: 100%; height: auto; display: block; }
figcaption { font-size: 13px; color: var(--muted); margin-top: 2px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; margin: 6px 0 14px; break-inside: auto; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: right; }
td { white-space: nowrap; }
.setup { font-size: 14px; margin: 14px 0 0; }
.wide { overflow-x: auto; }
th:first-child, td:first-child { text-align: left; }
th { background: #f4f4f4; }
tr { break-inside: avoid; }
.note { font-size: 12px; color: var(--muted); }
@media print {
  body { max-width: none; padding: 0; }
  h2, h3 { break-after: avoid; page-break-after: avoid; }
  .kpis { grid-template-columns: repeat(3, 1fr); }
}
@page { margin: 14mm; }
";

/// A whole page: `title` and `body` (already HTML).
pub fn document(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        escape(title)
    )
}

/// A headline card. `data-value` holds the exact number and `data-group`, `data-metric`,
/// `data-stat` its `summary.csv` row, so a reader can check the page against the file.
pub fn card(h: &Headline, extra: &str) -> String {
    let source = match h.source {
        Some((g, m, s)) => format!(
            " data-group=\"{}\" data-metric=\"{}\" data-stat=\"{}\"",
            escape(g),
            escape(m),
            escape(s)
        ),
        None => String::new(),
    };
    let value = h
        .value
        .map_or(String::new(), |v| format!(" data-value=\"{v}\""));
    format!(
        "<div class=\"kpi{}\" id=\"{}\"{source}{value}><div class=\"label\">{}</div>\
         <div class=\"value\">{}</div><div class=\"detail\">{}</div>{extra}</div>\n",
        if h.value.is_none() { " absent" } else { "" },
        h.id,
        escape(h.label),
        escape(&h.text),
        escape(&h.detail)
    )
}

/// A figure: the chart's SVG inline, with its caption and the names of its files.
pub fn figure(chart: &Chart, svg: &str) -> String {
    // The XML declaration plotters may emit is not allowed inside HTML.
    let svg = svg
        .trim_start_matches(|c: char| c != '<')
        .trim_start_matches("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
        .trim_start();
    format!(
        "<figure id=\"chart-{id}\">\n{svg}\n<figcaption>{} <span class=\"note\">charts/{id}.svg, charts/{id}.png</span></figcaption>\n</figure>\n",
        escape(&chart.caption),
        id = chart.id,
    )
}

/// A table: header cells and rows of cells (text, escaped here).
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut s = String::from("<table>\n<thead><tr>");
    for h in header {
        s.push_str(&format!("<th>{}</th>", escape(h)));
    }
    s.push_str("</tr></thead>\n<tbody>\n");
    for r in rows {
        s.push_str("<tr>");
        for c in r {
            s.push_str(&format!("<td>{}</td>", escape(c)));
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</tbody>\n</table>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_the_page_needs_nothing_from_outside() {
        assert_eq!(escape("a<b & \"c\"'"), "a&lt;b &amp; &quot;c&quot;&#39;");
        let page = document("x < y", &table(&["a"], &[vec!["<1>".into()]]));
        assert!(page.contains("<title>x &lt; y</title>"));
        assert!(page.contains("<td>&lt;1&gt;</td>"));
        for external in ["<script", "<link", "src=", "url(", "@import"] {
            assert!(!page.contains(external), "{external}");
        }
    }
}
