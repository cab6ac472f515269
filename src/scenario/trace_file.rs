//! Request traces for replay: when real LLM requests arrived and how many tokens each had.
//!
//! Two formats, chosen from the file's extension or given explicitly ([`TraceFormat`]):
//! - **Azure CSV** (`.csv`): the Azure LLM inference traces (Microsoft, November 2023,
//!   CC-BY-4.0; the data behind the Splitwise paper). A header names the columns, which may come
//!   in any order (other columns are ignored): `TIMESTAMP` (a wall-clock date-time such as
//!   `2023-11-16 18:15:46.6805900`, 0 to 9 fractional digits, a space or `T` between date and
//!   time, no time zone), `ContextTokens` (prompt length) and `GeneratedTokens` (output length).
//! - **JSONL** (`.jsonl`): one JSON object per line with `timestamp` (a number of milliseconds,
//!   relative or absolute), `input_length` and `output_length` (other fields are ignored, as in
//!   the Mooncake traces); blank lines are skipped.
//!
//! # Arrival times
//! Each request's arrival is its offset from the trace's *first request*, in integer
//! nanoseconds, computed exactly: CSV date-times are read as civil times (no time zone, no
//! daylight-saving shift, no leap second) and subtracted by `jiff`; JSON numbers are read from
//! their decimal text, not through `f64`, and rounded once to the nearest nanosecond (ties to
//! even). The offsets are then multiplied by `time_scale`: the exact product of the offset and
//! the `f64` value of `time_scale` (every finite `f64` is an exact binary fraction) is rounded
//! to the nearest nanosecond, ties to even. So `0.5` halves every even offset exactly (and
//! makes arrivals twice as dense), `1.0` changes nothing, and no offset moves by more than half
//! a nanosecond from the exact scaled value.
//!
//! # Problems
//! Every row is checked: timestamps that do not parse or go backwards, token counts that are
//! not whole numbers, are negative, zero or above `u32::MAX`, malformed JSON, an empty trace.
//! Up to [`MAX_TRACE_PROBLEMS`] problems are collected, each with the file, the 1-based line
//! (the CSV header is line 1) and the column or field, then reading stops ("... and more").

use super::diagnostics::Diagnostic;
use super::load::read_regular_file;
use jiff::civil::DateTime;
use jiff::fmt::temporal::DateTimeParser;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::fmt;
use std::path::{Path, PathBuf};

/// Largest trace file read [bytes] (1 GiB, about 30 million Azure CSV rows).
pub const MAX_TRACE_BYTES: u64 = 1 << 30;

/// Most problems reported for one trace; reading stops at the next one.
pub const MAX_TRACE_PROBLEMS: usize = 20;

/// The columns an Azure CSV trace must have: arrival time, prompt tokens, generated tokens.
pub const AZURE_COLUMNS: [&str; 3] = ["TIMESTAMP", "ContextTokens", "GeneratedTokens"];

/// One request of a trace (the domain's type: the replay uses these rows as they are).
pub use crate::domain::TraceRequest;

/// A whole trace, read and validated by [`read_trace`].
#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    /// The requests in arrival order (never empty); the first one arrives at 0.
    pub requests: Vec<TraceRequest>,
    /// The file the trace was read from.
    pub source: PathBuf,
    /// The format it was read as.
    pub format: TraceFormat,
    /// The first request's timestamp as written in the file (a date-time for Azure CSV, a
    /// number of milliseconds for JSONL), for reports.
    pub first_timestamp: String,
    /// The factor applied to the arrival offsets (> 0; 1 = as recorded).
    pub time_scale: f64,
}

impl Trace {
    /// Offset of the last arrival from the first [ns], after `time_scale`.
    pub fn span_ns(&self) -> u64 {
        self.requests.last().map_or(0, |r| r.at_ns)
    }
}

/// The layout of a trace file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TraceFormat {
    /// CSV with a header and the columns `TIMESTAMP`, `ContextTokens`, `GeneratedTokens`
    /// (the Azure LLM inference traces); extension `.csv`.
    AzureCsv,
    /// One JSON object a line with `timestamp` [ms], `input_length`, `output_length`;
    /// extension `.jsonl`.
    Jsonl,
}

impl TraceFormat {
    /// The format named by `path`'s extension (`.csv` or `.jsonl`, any case), if any.
    pub fn from_path(path: &Path) -> Option<TraceFormat> {
        let ext = path.extension()?.to_str()?;
        if ext.eq_ignore_ascii_case("csv") {
            Some(TraceFormat::AzureCsv)
        } else if ext.eq_ignore_ascii_case("jsonl") {
            Some(TraceFormat::Jsonl)
        } else {
            None
        }
    }

    /// A human-readable name, for messages.
    pub fn name(self) -> &'static str {
        match self {
            TraceFormat::AzureCsv => "Azure CSV",
            TraceFormat::Jsonl => "JSONL",
        }
    }
}

/// One problem with a trace file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceProblem {
    /// 1-based line (the CSV header is line 1); `None` for the file as a whole.
    pub line: Option<usize>,
    /// Where in the line: `column NAME` (CSV) or `field NAME` (JSONL); `None` for the whole
    /// line or file.
    pub field: Option<String>,
    /// What was expected and what was found.
    pub message: String,
}

/// Why a trace could not be read: every problem found, up to [`MAX_TRACE_PROBLEMS`].
///
/// Displays one problem a line as `FILE:LINE: column NAME: expected ..., found ...`, then
/// `... and more` when reading stopped early.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct TraceError {
    /// The trace file.
    pub file: PathBuf,
    /// The problems in file order (never empty).
    pub problems: Vec<TraceProblem>,
    /// Whether reading stopped after [`MAX_TRACE_PROBLEMS`] problems with more to find.
    pub more: bool,
}

impl fmt::Display for TraceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{}", self.file.display())?;
            if let Some(line) = p.line {
                write!(f, ":{line}")?;
            }
            if let Some(field) = &p.field {
                write!(f, ": {field}")?;
            }
            write!(f, ": {}", p.message)?;
        }
        if self.more {
            write!(f, "\n... and more")?;
        }
        Ok(())
    }
}

impl TraceError {
    /// A single problem with the file as a whole (missing, unreadable, empty…).
    pub fn whole_file(file: &Path, message: impl Into<String>) -> Self {
        TraceError {
            file: file.to_path_buf(),
            problems: vec![TraceProblem {
                line: None,
                field: None,
                message: message.into(),
            }],
            more: false,
        }
    }

    /// The problems as scenario diagnostics in the trace file (column 1 of each line), with a
    /// last `... and more` when reading stopped early.
    pub fn to_diagnostics(&self) -> Vec<Diagnostic> {
        let mut out: Vec<Diagnostic> = self
            .problems
            .iter()
            .map(|p| Diagnostic {
                file: self.file.clone(),
                path: p.field.clone().unwrap_or_default(),
                line_col: p.line.map(|l| (l, 1)),
                message: p.message.clone(),
            })
            .collect();
        if self.more {
            out.push(Diagnostic {
                file: self.file.clone(),
                path: String::new(),
                line_col: None,
                message: format!(
                    "... and more (only the first {MAX_TRACE_PROBLEMS} problems are listed)"
                ),
            });
        }
        out
    }
}

/// Reads the trace at `path` and scales its arrival offsets by `time_scale`.
///
/// `format` `None` chooses it from the extension (`.csv` Azure CSV, `.jsonl` JSONL).
/// `time_scale` > 0 multiplies every offset (0.5 = arrivals twice as dense); see the module
/// documentation for the exact rounding. The file is read whole, at most [`MAX_TRACE_BYTES`].
///
/// # Errors
/// [`TraceError`] with up to [`MAX_TRACE_PROBLEMS`] problems: a missing, unreadable, special
/// or too large file; an unknown extension; a `time_scale` that is not finite and > 0; a
/// missing or repeated CSV column; malformed JSON; a timestamp that does not parse or is
/// earlier than the one before; a token count that is not a whole number, negative, zero or
/// above `u32::MAX`; an offset beyond `u64` nanoseconds; a trace with no requests.
pub fn read_trace(
    path: &Path,
    format: Option<TraceFormat>,
    time_scale: f64,
) -> Result<Trace, TraceError> {
    let Some(scale) = Scale::new(time_scale) else {
        return Err(TraceError {
            file: path.to_path_buf(),
            problems: vec![TraceProblem {
                line: None,
                field: Some("time_scale".to_string()),
                message: format!("expected a finite number > 0, found {time_scale}"),
            }],
            more: false,
        });
    };
    let Some(format) = format.or_else(|| TraceFormat::from_path(path)) else {
        let ext = path.extension().map_or_else(
            || "no extension".to_string(),
            |e| format!("`.{}`", e.to_string_lossy()),
        );
        return Err(TraceError::whole_file(
            path,
            format!(
                "expected a trace file ending in .csv (Azure CSV) or .jsonl (JSONL), found {ext}; give the format explicitly"
            ),
        ));
    };
    let bytes = read_regular_file(path, MAX_TRACE_BYTES)
        .map_err(|e| TraceError::whole_file(path, format!("cannot read the trace file: {e}")))?;
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let rows = text.iter().filter(|b| **b == b'\n').count() + 1;
    let mut b = Builder {
        problems: Vec::new(),
        more: false,
        requests: Vec::with_capacity(rows),
        scale,
        first: None,
        first_text: String::new(),
        prev: None,
        prev_text: Vec::new(),
    };
    match format {
        TraceFormat::AzureCsv => read_azure_csv(text, &mut b),
        TraceFormat::Jsonl => read_jsonl(text, &mut b),
    }
    if b.problems.is_empty() && b.requests.is_empty() {
        let message = match format {
            TraceFormat::AzureCsv => {
                "no requests: expected at least one row after the header".to_string()
            }
            TraceFormat::Jsonl => "no requests: expected at least one JSON object".to_string(),
        };
        b.problems.push(TraceProblem {
            line: None,
            field: None,
            message,
        });
    }
    if !b.problems.is_empty() {
        return Err(TraceError {
            file: path.to_path_buf(),
            problems: b.problems,
            more: b.more,
        });
    }
    Ok(Trace {
        requests: b.requests,
        source: path.to_path_buf(),
        format,
        first_timestamp: b.first_text,
        time_scale,
    })
}

/// `time_scale` as an exact binary fraction `mant × 2^exp`.
#[derive(Debug, Clone, Copy)]
struct Scale {
    mant: u64,
    exp: i32,
}

impl Scale {
    /// The exact value of a finite `x` > 0; `None` otherwise.
    fn new(x: f64) -> Option<Scale> {
        if !(x.is_finite() && x > 0.0) {
            return None;
        }
        let bits = x.to_bits();
        let biased = ((bits >> 52) & 0x7ff) as i32;
        let frac = bits & ((1 << 52) - 1);
        let (mant, exp) = if biased == 0 {
            (frac, -1074) // subnormal
        } else {
            (frac | (1 << 52), biased - 1075)
        };
        let tz = mant.trailing_zeros();
        Some(Scale {
            mant: mant >> tz,
            exp: exp + tz as i32,
        })
    }

    /// `ns × scale` rounded to the nearest integer, ties to even; `None` beyond `u64`.
    fn apply(self, ns: u64) -> Option<u64> {
        // < 2^64 × 2^53: fits in u128.
        let p = u128::from(ns) * u128::from(self.mant);
        let q = if self.exp >= 0 {
            let e = self.exp as u32;
            if p != 0 && (e >= 128 || p.leading_zeros() < e) {
                return None;
            }
            p.checked_shl(e).unwrap_or(0)
        } else {
            let s = self.exp.unsigned_abs();
            if s >= 128 {
                0 // p < 2^117, so p / 2^s < 1/2
            } else {
                let q = p >> s;
                let r = p & ((1u128 << s) - 1);
                let half = 1u128 << (s - 1);
                if r > half || (r == half && q & 1 == 1) {
                    q + 1
                } else {
                    q
                }
            }
        };
        u64::try_from(q).ok()
    }
}

/// Turns parsed rows into requests: order, offsets, scaling, problems.
struct Builder {
    problems: Vec<TraceProblem>,
    more: bool,
    requests: Vec<TraceRequest>,
    scale: Scale,
    /// The first request's time [ns from an arbitrary origin].
    first: Option<i128>,
    first_text: String,
    /// The line and time of the last valid timestamp, and its text in `prev_text`.
    prev: Option<(usize, i128)>,
    prev_text: Vec<u8>,
}

impl Builder {
    /// Records a problem; false once the list is full and reading must stop.
    fn problem(&mut self, line: usize, field: Option<&str>, message: String) -> bool {
        if self.problems.len() == MAX_TRACE_PROBLEMS {
            self.more = true;
            return false;
        }
        self.problems.push(TraceProblem {
            line: Some(line),
            field: field.map(str::to_string),
            message,
        });
        true
    }

    fn full(&self) -> bool {
        self.more
    }

    /// Checks the timestamp of `line`, `t` [ns] written as `text`, against the one before;
    /// returns its arrival offset [ns] after `time_scale`, `None` after a problem.
    fn time(&mut self, line: usize, ts_field: &str, t: i128, text: &[u8]) -> Option<u64> {
        let mut ok = true;
        if let Some((prev_line, prev_t)) = self.prev
            && t < prev_t
        {
            let msg = format!(
                "unsorted: line {line} is earlier than line {prev_line} ({} < {})",
                String::from_utf8_lossy(text),
                String::from_utf8_lossy(&self.prev_text),
            );
            self.problem(line, Some(ts_field), msg);
            ok = false;
        }
        self.prev = Some((line, t));
        self.prev_text.clear();
        self.prev_text.extend_from_slice(text);
        let first = *self.first.get_or_insert_with(|| {
            self.first_text = String::from_utf8_lossy(text).into_owned();
            t
        });
        if !ok || t < first {
            return None; // reported above, or on an earlier line
        }
        let at_ns = u64::try_from(t - first)
            .ok()
            .and_then(|ns| self.scale.apply(ns));
        if at_ns.is_none() {
            self.problem(
                line,
                Some(ts_field),
                format!(
                    "expected an arrival within about 584 years of the first (u64 nanoseconds, after time_scale), found {}",
                    String::from_utf8_lossy(text)
                ),
            );
        }
        at_ns
    }

    /// Adds a request whose parts were all valid, while the trace has no problem.
    fn push(&mut self, at_ns: Option<u64>, input: Option<u32>, output: Option<u32>) {
        if let (Some(at_ns), Some(input_tokens), Some(output_tokens)) = (at_ns, input, output)
            && self.problems.is_empty()
        {
            self.requests.push(TraceRequest {
                at_ns,
                input_tokens,
                output_tokens,
            });
        }
    }
}

/// Which count a token field holds, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tokens {
    Input,
    Output,
}

/// A token count: ASCII digits (surrounding spaces allowed), 1 to `u32::MAX`.
fn parse_tokens(raw: &[u8], which: Tokens) -> Result<u32, String> {
    let raw = raw.trim_ascii();
    let what = match which {
        Tokens::Input => "prompt",
        Tokens::Output => "generated",
    };
    let (negative, digits) = match raw.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, raw),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(if raw.is_empty() {
            format!("expected a whole number of {what} tokens, found an empty field")
        } else {
            format!(
                "expected a whole number of {what} tokens, found {}",
                shown(raw)
            )
        });
    }
    let text = String::from_utf8_lossy(raw);
    if negative {
        return Err(format!(
            "expected a whole number of {what} tokens >= 1, found {text} (negative)"
        ));
    }
    let mut n: u64 = 0;
    for d in digits {
        // Saturates: anything past u64 is past u32 too.
        n = n
            .checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(d - b'0')))
            .unwrap_or(u64::MAX);
    }
    match u32::try_from(n) {
        Ok(0) => Err(match which {
            Tokens::Input => {
                "expected at least 1 prompt token (a prompt has at least one token), found 0"
                    .to_string()
            }
            Tokens::Output => {
                "expected at least 1 generated token (at least one token is generated), found 0"
                    .to_string()
            }
        }),
        Ok(n) => Ok(n),
        Err(_) => Err(format!(
            "expected at most {} {what} tokens (u32), found {text}",
            u32::MAX
        )),
    }
}

/// `raw` quoted for a message, cut to 60 characters.
fn shown(raw: &[u8]) -> String {
    let s = String::from_utf8_lossy(raw);
    if s.chars().count() > 60 {
        let cut: String = s.chars().take(60).collect();
        format!("{cut:?}…")
    } else {
        format!("{s:?}")
    }
}

/// Origin of CSV times; any fixed date-time would do, as only differences are kept.
const EPOCH: DateTime = DateTime::constant(1970, 1, 1, 0, 0, 0, 0);

static DATETIME_PARSER: DateTimeParser = DateTimeParser::new();

/// A CSV timestamp [ns since 1970-01-01 00:00, civil], e.g. `2023-11-16 18:15:46.6805900`.
fn parse_civil(raw: &[u8]) -> Result<i128, String> {
    const EXAMPLE: &str = "2023-11-16 18:15:46.6805900";
    if raw.is_empty() {
        return Err(format!(
            "expected a date-time such as {EXAMPLE}, found an empty field"
        ));
    }
    // jiff accepts and drops an offset (`+01:00`, `Z` is refused) when reading a civil
    // date-time; a trace with offsets could mix zones, so refuse them outright.
    let time_part = raw
        .iter()
        .position(|b| matches!(b, b' ' | b'T' | b't'))
        .map_or(&raw[..0], |i| &raw[i + 1..]);
    if time_part
        .iter()
        .any(|b| matches!(b, b'+' | b'-' | b'Z' | b'z' | b'['))
    {
        return Err(format!(
            "expected a date-time without time zone such as {EXAMPLE}, found {}",
            shown(raw)
        ));
    }
    match DATETIME_PARSER.parse_datetime(raw) {
        Ok(dt) => Ok(dt.duration_since(EPOCH).as_nanos()),
        Err(e) => Err(format!(
            "expected a date-time such as {EXAMPLE}, found {} ({e})",
            shown(raw)
        )),
    }
}

/// The 1-based line where `rec` starts. The csv crate places a record after blank lines at
/// the first blank line; count those.
fn record_line(text: &[u8], rec: &csv::ByteRecord) -> usize {
    let Some(pos) = rec.position() else { return 0 };
    let start = usize::try_from(pos.byte()).unwrap_or(usize::MAX);
    let blank = text
        .get(start..)
        .unwrap_or_default()
        .iter()
        .take_while(|b| matches!(b, b'\r' | b'\n'))
        .filter(|b| **b == b'\n')
        .count();
    pos.line() as usize + blank
}

/// Reads an Azure CSV trace into `b`.
fn read_azure_csv(text: &[u8], b: &mut Builder) {
    if text.trim_ascii().is_empty() {
        b.problems.push(TraceProblem {
            line: None,
            field: None,
            message: format!(
                "the file is empty; expected a header `{}` and one row per request",
                AZURE_COLUMNS.join(",")
            ),
        });
        return;
    }
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(text);
    let header = match rdr.byte_headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            b.problem(1, None, format!("malformed CSV header: {e}"));
            return;
        }
    };
    // Index of each wanted column in the header.
    let mut idx = [0usize; 3];
    let mut header_ok = true;
    for (slot, name) in idx.iter_mut().zip(AZURE_COLUMNS) {
        let mut at = header
            .iter()
            .enumerate()
            .filter(|(_, h)| h.trim_ascii() == name.as_bytes())
            .map(|(i, _)| i);
        let label = format!("column {name}");
        match (at.next(), at.next()) {
            (Some(i), None) => *slot = i,
            (None, _) => {
                header_ok = false;
                b.problem(
                    1,
                    Some(&label),
                    format!(
                        "missing; expected a header with the columns {} (any order), found: {}",
                        AZURE_COLUMNS.join(", "),
                        header
                            .iter()
                            .map(String::from_utf8_lossy)
                            .collect::<Vec<_>>()
                            .join(",")
                    ),
                );
            }
            (Some(i), Some(j)) => {
                header_ok = false;
                b.problem(
                    1,
                    Some(&label),
                    format!(
                        "expected the column once, found it as fields {} and {}",
                        i + 1,
                        j + 1
                    ),
                );
            }
        }
    }
    if !header_ok {
        return;
    }
    let [ts_i, in_i, out_i] = idx;
    let needed = ts_i.max(in_i).max(out_i) + 1;
    let labels = AZURE_COLUMNS.map(|n| format!("column {n}"));
    let mut rec = csv::ByteRecord::new();
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as usize);
                b.problem(line, None, format!("malformed CSV: {e}"));
                break;
            }
        }
        let line = record_line(text, &rec);
        if rec.len() < needed {
            let msg = format!(
                "expected at least {needed} fields as in the header, found {}",
                rec.len()
            );
            if !b.problem(line, None, msg) {
                break;
            }
            continue;
        }
        let ts_raw = rec[ts_i].trim_ascii();
        let at_ns = match parse_civil(ts_raw) {
            Ok(t) => b.time(line, &labels[0], t, ts_raw),
            Err(m) => {
                b.problem(line, Some(&labels[0]), m);
                None
            }
        };
        let input = match parse_tokens(&rec[in_i], Tokens::Input) {
            Ok(n) => Some(n),
            Err(m) => {
                b.problem(line, Some(&labels[1]), m);
                None
            }
        };
        let output = match parse_tokens(&rec[out_i], Tokens::Output) {
            Ok(n) => Some(n),
            Err(m) => {
                b.problem(line, Some(&labels[2]), m);
                None
            }
        };
        b.push(at_ns, input, output);
        if b.full() {
            break;
        }
    }
}

/// The fields of one JSONL line that a trace uses, as written.
#[derive(Deserialize)]
struct JsonRow<'a> {
    #[serde(borrow)]
    timestamp: Option<&'a RawValue>,
    #[serde(borrow)]
    input_length: Option<&'a RawValue>,
    #[serde(borrow)]
    output_length: Option<&'a RawValue>,
}

/// Largest JSONL timestamp magnitude [ns] (10^30 ns, about 3 × 10^13 years): differences of
/// two never overflow.
const MAX_JSON_NS: i128 = 1_000_000_000_000_000_000_000_000_000_000;

/// A JSON number of milliseconds, exactly, rounded to the nearest nanosecond (ties to even).
/// `None` when `raw` is not a JSON number or is out of range.
fn json_ms_to_ns(raw: &[u8]) -> Option<i128> {
    let (negative, rest) = match raw.split_first() {
        Some((b'-', r)) => (true, r),
        _ => (false, raw),
    };
    let mut i = 0;
    let mut mant: i128 = 0;
    fn digit(mant: &mut i128, d: u8) -> Option<()> {
        *mant = mant.checked_mul(10)?.checked_add(i128::from(d - b'0'))?;
        Some(())
    }
    let int_start = i;
    while i < rest.len() && rest[i].is_ascii_digit() {
        digit(&mut mant, rest[i])?;
        i += 1;
    }
    if i == int_start {
        return None;
    }
    let mut frac_digits: i64 = 0;
    if rest.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while i < rest.len() && rest[i].is_ascii_digit() {
            digit(&mut mant, rest[i])?;
            i += 1;
        }
        if i == start {
            return None;
        }
        frac_digits = (i - start) as i64;
    }
    let mut exp: i64 = 0;
    if matches!(rest.get(i), Some(b'e' | b'E')) {
        i += 1;
        let neg_exp = match rest.get(i) {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        let start = i;
        while i < rest.len() && rest[i].is_ascii_digit() {
            exp = (exp * 10 + i64::from(rest[i] - b'0')).min(1_000_000);
            i += 1;
        }
        if i == start {
            return None;
        }
        if neg_exp {
            exp = -exp;
        }
    }
    if i != rest.len() {
        return None;
    }
    // value [ns] = mant × 10^(exp − frac_digits + 6)
    let pow = exp - frac_digits + 6;
    let ns = if mant == 0 {
        0
    } else if pow >= 0 {
        let p = u32::try_from(pow).ok()?;
        mant.checked_mul(10i128.checked_pow(p)?)?
    } else if pow < -38 {
        0 // mant < 2^127 < 10^39 / 2: rounds to 0
    } else {
        let d = 10i128.pow((-pow) as u32);
        let (q, r) = (mant / d, mant % d);
        if 2 * r > d || (2 * r == d && q & 1 == 1) {
            q + 1
        } else {
            q
        }
    };
    if ns > MAX_JSON_NS {
        return None;
    }
    Some(if negative { -ns } else { ns })
}

/// `serde_json`'s message without its ` at line L column C` suffix, and the column.
fn json_message(e: &serde_json::Error) -> String {
    let full = e.to_string();
    let msg = full
        .rsplit_once(" at line ")
        .map_or(full.as_str(), |(m, _)| m);
    format!("malformed JSON at character {}: {msg}", e.column())
}

/// Reads a JSONL trace into `b`.
fn read_jsonl(text: &[u8], b: &mut Builder) {
    for (i, raw_line) in text.split(|c| *c == b'\n').enumerate() {
        let line = i + 1;
        let raw_line = raw_line.strip_suffix(b"\r").unwrap_or(raw_line);
        if raw_line.trim_ascii().is_empty() {
            continue;
        }
        // serde would also take an array `[timestamp, input, output]`: refuse it.
        let parsed = if raw_line.trim_ascii_start().first() == Some(&b'{') {
            serde_json::from_slice::<JsonRow<'_>>(raw_line).map_err(|e| json_message(&e))
        } else {
            Err(format!(
                "expected a JSON object such as {{\"timestamp\": 0, \"input_length\": 100, \"output_length\": 20}}, found {}",
                shown(raw_line.trim_ascii())
            ))
        };
        let row = match parsed {
            Ok(r) => r,
            Err(msg) => {
                if !b.problem(line, None, msg) {
                    break;
                }
                continue;
            }
        };
        let at_ns = match row.timestamp {
            None => {
                b.problem(
                    line,
                    Some("field timestamp"),
                    "missing; expected a number of milliseconds".to_string(),
                );
                None
            }
            Some(v) => match json_ms_to_ns(v.get().as_bytes()) {
                Some(t) => b.time(line, "field timestamp", t, v.get().as_bytes()),
                None => {
                    let s = v.get();
                    let msg = if s.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
                        format!("expected a number of milliseconds within ±10^24, found {s}")
                    } else {
                        format!(
                            "expected a number of milliseconds, found {}",
                            shown(s.as_bytes())
                        )
                    };
                    b.problem(line, Some("field timestamp"), msg);
                    None
                }
            },
        };
        let mut count = |v: Option<&RawValue>, field: &str, which: Tokens| match v {
            None => {
                b.problem(
                    line,
                    Some(field),
                    "missing; expected a whole number of tokens".to_string(),
                );
                None
            }
            Some(v) => match parse_tokens(v.get().as_bytes(), which) {
                Ok(n) => Some(n),
                Err(m) => {
                    b.problem(line, Some(field), m);
                    None
                }
            },
        };
        let input = count(row.input_length, "field input_length", Tokens::Input);
        let output = count(row.output_length, "field output_length", Tokens::Output);
        b.push(at_ns, input, output);
        if b.full() {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn data(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("scenarios/data")
            .join(name)
    }

    /// Writes `content` to `name` in a fresh temporary folder.
    fn fixture(name: &str, content: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::File::create(&path)
            .unwrap()
            .write_all(content.as_bytes())
            .unwrap();
        (dir, path)
    }

    fn csv_err(rows: &str) -> TraceError {
        let (_d, p) = fixture(
            "t.csv",
            &format!("TIMESTAMP,ContextTokens,GeneratedTokens\n{rows}"),
        );
        read_trace(&p, None, 1.0).unwrap_err()
    }

    /// The one problem of `e`, as (line, field, message).
    fn only(e: &TraceError) -> (Option<usize>, Option<&str>, &str) {
        assert_eq!(e.problems.len(), 1, "{e}");
        let p = &e.problems[0];
        (p.line, p.field.as_deref(), p.message.as_str())
    }

    #[test]
    fn conversation_trace_matches_the_published_figures() {
        let t = read_trace(&data("AzureLLMInferenceTrace_conv_2023.csv"), None, 1.0).unwrap();
        assert_eq!(t.requests.len(), 19_366);
        assert_eq!(t.format, TraceFormat::AzureCsv);
        assert_eq!(t.first_timestamp, "2023-11-16 18:15:46.6805900");
        assert_eq!(t.requests[0].at_ns, 0);
        assert_eq!(t.requests[0].input_tokens, 374);
        assert_eq!(t.requests[0].output_tokens, 44);
        // 19:14:08.4025270 − 18:15:46.6805900 = 58 min 21.721937 s, exactly.
        assert_eq!(t.span_ns(), 3_501_721_937_000);
        let n = t.requests.len() as f64;
        let mean_in = t
            .requests
            .iter()
            .map(|r| f64::from(r.input_tokens))
            .sum::<f64>()
            / n;
        let mean_out = t
            .requests
            .iter()
            .map(|r| f64::from(r.output_tokens))
            .sum::<f64>()
            / n;
        assert!((mean_in / 1155.0 - 1.0).abs() < 0.01, "{mean_in}");
        assert!((mean_out / 211.0 - 1.0).abs() < 0.01, "{mean_out}");
        assert!(t.requests.windows(2).all(|w| w[0].at_ns <= w[1].at_ns));
    }

    /// Parse time of the conversation trace: run with
    /// `cargo test --release --lib conversation_trace_parse_time -- --ignored --nocapture`.
    #[test]
    #[ignore = "timing; meaningful in release mode only"]
    fn conversation_trace_parse_time() {
        let path = data("AzureLLMInferenceTrace_conv_2023.csv");
        let mut best = std::time::Duration::MAX;
        for _ in 0..50 {
            let start = std::time::Instant::now();
            let t = read_trace(&path, None, 1.0).unwrap();
            best = best.min(start.elapsed());
            assert_eq!(t.requests.len(), 19_366);
        }
        println!("conversation trace (19,366 rows): best of 50 {best:?}");
    }

    #[test]
    fn code_trace_has_8819_requests() {
        let t = read_trace(&data("AzureLLMInferenceTrace_code_2023.csv"), None, 1.0).unwrap();
        assert_eq!(t.requests.len(), 8_819);
        assert_eq!(t.requests[0].at_ns, 0);
        // 19:14:19.9280160 − 18:17:03.9799600 = 57 min 15.948056 s.
        assert_eq!(t.span_ns(), 3_435_948_056_000);
    }

    #[test]
    fn half_time_scale_halves_offsets_exactly() {
        let path = data("AzureLLMInferenceTrace_conv_2023.csv");
        let one = read_trace(&path, None, 1.0).unwrap();
        let half = read_trace(&path, None, 0.5).unwrap();
        assert_eq!(half.span_ns() * 2, one.span_ns());
        assert_eq!(half.time_scale, 0.5);
        for (a, b) in one.requests.iter().zip(&half.requests) {
            // Offsets are whole multiples of 100 ns (7 fractional digits): even.
            assert_eq!(a.at_ns, 2 * b.at_ns);
            assert_eq!(
                (a.input_tokens, a.output_tokens),
                (b.input_tokens, b.output_tokens)
            );
        }
    }

    #[test]
    fn scaling_rounds_to_nearest_ties_to_even() {
        let half = Scale::new(0.5).unwrap();
        assert_eq!(half.apply(3), Some(2)); // 1.5 -> 2
        assert_eq!(half.apply(5), Some(2)); // 2.5 -> 2
        assert_eq!(half.apply(7), Some(4)); // 3.5 -> 4
        let tenth = Scale::new(0.1).unwrap();
        assert_eq!(tenth.apply(3_501_721_937_000), Some(350_172_193_700));
        assert_eq!(tenth.apply(14), Some(1)); // 1.4000000000000000777 -> 1
        assert_eq!(Scale::new(3.0).unwrap().apply(7), Some(21));
        assert_eq!(Scale::new(2.0).unwrap().apply(u64::MAX), None);
        assert_eq!(Scale::new(1.0).unwrap().apply(u64::MAX), Some(u64::MAX));
        assert_eq!(Scale::new(1e300).unwrap().apply(0), Some(0));
        assert_eq!(
            Scale::new(f64::MIN_POSITIVE / 4.0).unwrap().apply(u64::MAX),
            Some(0)
        );
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(Scale::new(bad).is_none());
        }
    }

    #[test]
    fn columns_by_name_in_any_order_with_extra_ones() {
        let (_d, p) = fixture(
            "t.csv",
            "GeneratedTokens,extra,TIMESTAMP,ContextTokens\r\n\
             5,x,2023-11-16T18:15:46,10\r\n\
             6,y,2023-11-16 18:15:47.5,11\r\n\
             7,z,2023-11-16 18:15:47.500000001,12",
        );
        let t = read_trace(&p, None, 1.0).unwrap();
        let got: Vec<_> = t
            .requests
            .iter()
            .map(|r| (r.at_ns, r.input_tokens, r.output_tokens))
            .collect();
        assert_eq!(
            got,
            [(0, 10, 5), (1_500_000_000, 11, 6), (1_500_000_001, 12, 7)]
        );
        assert_eq!(t.first_timestamp, "2023-11-16T18:15:46");
    }

    #[test]
    fn offsets_cross_midnight_and_month_ends() {
        let t = {
            let (_d, p) = fixture(
                "t.csv",
                "TIMESTAMP,ContextTokens,GeneratedTokens\n\
                 2023-11-30 23:59:59.9999999,1,1\n\
                 2023-12-01 00:00:00.0000001,1,1\n",
            );
            read_trace(&p, None, 1.0).unwrap()
        };
        assert_eq!(t.span_ns(), 200);
    }

    #[test]
    fn blank_lines_and_a_byte_order_mark_keep_line_numbers() {
        let (_d, p) = fixture(
            "t.csv",
            "\u{feff}TIMESTAMP,ContextTokens,GeneratedTokens\r\n\
             2023-11-16 18:15:46,1,1\r\n\r\n\r\n\
             2023-11-16 18:15:47,0,1\r\n\n\
             2023-11-16 18:15:48,1,1,\"an extra field\non two lines\"\n\
             2023-11-16 18:15:49,1,x\n",
        );
        let e = read_trace(&p, None, 1.0).unwrap_err();
        let lines: Vec<_> = e.problems.iter().map(|p| p.line.unwrap()).collect();
        assert_eq!(lines, [5, 9], "{e}");
        let (_d, p) = fixture(
            "t.csv",
            "\u{feff}TIMESTAMP,ContextTokens,GeneratedTokens\n\n2023-11-16 18:15:46,1,1\n\n",
        );
        assert_eq!(read_trace(&p, None, 1.0).unwrap().requests.len(), 1);
    }

    #[test]
    fn missing_column_names_it_and_shows_the_header() {
        let (_d, p) = fixture(
            "t.csv",
            "TIMESTAMP,ContextTokens,Output\n2023-11-16 18:15:46,1,1\n",
        );
        let e = read_trace(&p, None, 1.0).unwrap_err();
        let (line, field, msg) = only(&e);
        assert_eq!((line, field), (Some(1), Some("column GeneratedTokens")));
        assert!(
            msg.contains("found: TIMESTAMP,ContextTokens,Output"),
            "{msg}"
        );
        let shown = e.to_string();
        assert!(
            shown.starts_with(&format!(
                "{}:1: column GeneratedTokens: missing",
                p.display()
            )),
            "{shown}"
        );
    }

    #[test]
    fn repeated_column_is_an_error() {
        let (_d, p) = fixture(
            "t.csv",
            "TIMESTAMP,ContextTokens,GeneratedTokens,ContextTokens\n2023-11-16 18:15:46,1,1,2\n",
        );
        let e = read_trace(&p, None, 1.0).unwrap_err();
        let (line, field, msg) = only(&e);
        assert_eq!((line, field), (Some(1), Some("column ContextTokens")));
        assert!(msg.contains("fields 2 and 4"), "{msg}");
    }

    #[test]
    fn bad_token_counts_name_line_and_column() {
        let cases = [
            (
                "2023-11-16 18:15:46,abc,5",
                "column ContextTokens",
                "expected a whole number of prompt tokens, found \"abc\"",
            ),
            (
                "2023-11-16 18:15:46,12.5,5",
                "column ContextTokens",
                "found \"12.5\"",
            ),
            (
                "2023-11-16 18:15:46,,5",
                "column ContextTokens",
                "found an empty field",
            ),
            (
                "2023-11-16 18:15:46,-3,5",
                "column ContextTokens",
                "found -3 (negative)",
            ),
            (
                "2023-11-16 18:15:46,5,-3",
                "column GeneratedTokens",
                "found -3 (negative)",
            ),
            (
                "2023-11-16 18:15:46,0,5",
                "column ContextTokens",
                "a prompt has at least one token",
            ),
            (
                "2023-11-16 18:15:46,5,0",
                "column GeneratedTokens",
                "at least one token is generated",
            ),
            (
                "2023-11-16 18:15:46,4294967296,5",
                "column ContextTokens",
                "expected at most 4294967295 prompt tokens (u32), found 4294967296",
            ),
            (
                "2023-11-16 18:15:46,5,99999999999999999999999",
                "column GeneratedTokens",
                "found 99999999999999999999999",
            ),
        ];
        for (row, col, want) in cases {
            let e = csv_err(&format!("2023-11-16 18:15:45,1,1\n{row}\n"));
            let (line, field, msg) = only(&e);
            assert_eq!((line, field), (Some(3), Some(col)), "{row}");
            assert!(msg.contains(want), "{row}: {msg}");
            let shown = e.to_string();
            assert!(
                shown.contains(&format!("t.csv:3: {col}: expected")),
                "{shown}"
            );
        }
        // The largest count is accepted.
        let (_d, p) = fixture(
            "t.csv",
            "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46, 4294967295 ,1\n",
        );
        assert_eq!(
            read_trace(&p, None, 1.0).unwrap().requests[0].input_tokens,
            u32::MAX
        );
    }

    #[test]
    fn bad_timestamps_name_line_and_column() {
        let cases = [
            (
                "yesterday,1,1",
                "expected a date-time such as 2023-11-16 18:15:46.6805900, found \"yesterday\"",
            ),
            ("2023-11-31 00:00:00,1,1", "found \"2023-11-31 00:00:00\""),
            (
                "2023-11-16 18:15:46.1234567890,1,1",
                "found \"2023-11-16 18:15:46.1234567890\"",
            ),
            ("2023-11-16 18:15:46+01:00,1,1", "without time zone"),
            ("2023-11-16T18:15:46Z,1,1", "without time zone"),
            (",1,1", "found an empty field"),
        ];
        for (row, want) in cases {
            let e = csv_err(&format!("2023-11-16 18:15:45,1,1\n{row}\n"));
            let (line, field, msg) = only(&e);
            assert_eq!((line, field), (Some(3), Some("column TIMESTAMP")), "{row}");
            assert!(msg.contains(want), "{row}: {msg}");
        }
    }

    #[test]
    fn unsorted_timestamps_name_both_lines() {
        let e = csv_err(
            "2023-11-16 18:15:46.5,1,1\n2023-11-16 18:15:46.5,1,1\n2023-11-16 18:15:46.4999999,1,1\n",
        );
        let (line, field, msg) = only(&e);
        assert_eq!((line, field), (Some(4), Some("column TIMESTAMP")));
        assert_eq!(
            msg,
            "unsorted: line 4 is earlier than line 3 (2023-11-16 18:15:46.4999999 < 2023-11-16 18:15:46.5)"
        );
    }

    #[test]
    fn short_rows_and_empty_traces() {
        let e = csv_err("2023-11-16 18:15:46,1\n");
        let (line, field, msg) = only(&e);
        assert_eq!((line, field), (Some(2), None));
        assert_eq!(msg, "expected at least 3 fields as in the header, found 2");

        let e = csv_err("");
        assert_eq!(
            only(&e),
            (
                None,
                None,
                "no requests: expected at least one row after the header"
            )
        );
        let (_d, p) = fixture("t.csv", "");
        let e = read_trace(&p, None, 1.0).unwrap_err();
        assert!(only(&e).2.starts_with("the file is empty"));
        let (_d, p) = fixture("t.jsonl", "\n  \n");
        let e = read_trace(&p, None, 1.0).unwrap_err();
        assert_eq!(only(&e).2, "no requests: expected at least one JSON object");
    }

    #[test]
    fn problems_stop_after_twenty_with_and_more() {
        let rows: String = (0..30)
            .map(|i| format!("2023-11-16 18:15:{i:02},{i},1\n"))
            .collect();
        // Row i (line i + 2) has i prompt tokens: line 2 (0 tokens) and lines 32.. do not exist.
        let bad: String = rows.replace(",1\n", ",x\n");
        let e = csv_err(&bad);
        assert_eq!(e.problems.len(), MAX_TRACE_PROBLEMS);
        assert!(e.more);
        assert_eq!(e.problems[0].line, Some(2));
        assert_eq!(e.problems[1].line, Some(2)); // zero prompt tokens and a bad output
        assert!(e.to_string().ends_with("\n... and more"), "{e}");
        let d = e.to_diagnostics();
        assert_eq!(d.len(), MAX_TRACE_PROBLEMS + 1);
        assert!(d.last().unwrap().message.starts_with("... and more"));

        // Exactly twenty problems: no "and more".
        let e = csv_err(
            &rows
                .replacen(",1\n", ",x\n", 20)
                .replacen("18:15:00,0", "18:15:00,1", 1),
        );
        assert_eq!(e.problems.len(), 20);
        assert!(!e.more, "{e}");
    }

    #[test]
    fn missing_folder_and_unknown_extension_name_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.csv");
        let e = read_trace(&missing, None, 1.0).unwrap_err();
        assert!(
            e.to_string().starts_with(&format!(
                "{}: cannot read the trace file",
                missing.display()
            )),
            "{e}"
        );

        let folder = dir.path().join("folder.csv");
        std::fs::create_dir(&folder).unwrap();
        let e = read_trace(&folder, None, 1.0).unwrap_err();
        assert!(
            e.to_string()
                .contains("folder.csv: cannot read the trace file: it is a folder"),
            "{e}"
        );

        let (_d, p) = fixture(
            "t.txt",
            "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46,1,1\n",
        );
        let e = read_trace(&p, None, 1.0).unwrap_err();
        assert!(only(&e).2.contains("found `.txt`"), "{e}");
        // An explicit format reads it.
        assert_eq!(
            read_trace(&p, Some(TraceFormat::AzureCsv), 1.0)
                .unwrap()
                .requests
                .len(),
            1
        );

        let e = read_trace(&p, Some(TraceFormat::AzureCsv), 0.0).unwrap_err();
        assert_eq!(
            only(&e),
            (
                None,
                Some("time_scale"),
                "expected a finite number > 0, found 0"
            )
        );
    }

    #[test]
    fn jsonl_round_trip() {
        let reqs = [
            TraceRequest {
                at_ns: 0,
                input_tokens: 6_755,
                output_tokens: 500,
            },
            TraceRequest {
                at_ns: 1_000_000,
                input_tokens: 1,
                output_tokens: 1,
            },
            TraceRequest {
                at_ns: 1_000_001,
                input_tokens: 300,
                output_tokens: 2,
            },
            TraceRequest {
                at_ns: 27_482_123_456,
                input_tokens: u32::MAX,
                output_tokens: 52,
            },
        ];
        // Absolute epoch milliseconds with a nanosecond fraction: beyond f64's precision.
        let base_ms: u64 = 1_700_000_000_123;
        let mut text = String::from("\n");
        for r in &reqs {
            let ns = u128::from(base_ms) * 1_000_000 + u128::from(r.at_ns);
            text += &format!(
                "{{\"timestamp\": {}.{:06}, \"input_length\": {}, \"output_length\": {}, \"hash_ids\": [1, 2]}}\r\n\n",
                ns / 1_000_000,
                ns % 1_000_000,
                r.input_tokens,
                r.output_tokens
            );
        }
        let (_d, p) = fixture("t.jsonl", &text);
        let t = read_trace(&p, None, 1.0).unwrap();
        assert_eq!(t.format, TraceFormat::Jsonl);
        assert_eq!(t.requests, reqs);
        assert_eq!(t.first_timestamp, "1700000000123.000000");

        let (_d, p) = fixture(
            "t.jsonl",
            "{\"timestamp\": 0, \"input_length\": 1, \"output_length\": 1}\n\
             {\"timestamp\": 2.5e3, \"input_length\": 1, \"output_length\": 1}\n",
        );
        assert_eq!(read_trace(&p, None, 2.0).unwrap().span_ns(), 5_000_000_000);
    }

    #[test]
    fn json_numbers_are_exact() {
        assert_eq!(json_ms_to_ns(b"0"), Some(0));
        assert_eq!(json_ms_to_ns(b"-1.5"), Some(-1_500_000));
        assert_eq!(json_ms_to_ns(b"0.0000005"), Some(0)); // 0.5 ns -> even
        assert_eq!(json_ms_to_ns(b"0.0000015"), Some(2));
        assert_eq!(json_ms_to_ns(b"1E-6"), Some(1));
        assert_eq!(json_ms_to_ns(b"1e-400"), Some(0));
        assert_eq!(json_ms_to_ns(b"17e11"), Some(1_700_000_000_000_000_000));
        assert_eq!(json_ms_to_ns(b"1e400"), None);
        assert_eq!(json_ms_to_ns(b"\"5\""), None);
        assert_eq!(json_ms_to_ns(b"5."), None);
        assert_eq!(json_ms_to_ns(b"null"), None);
    }

    #[test]
    fn bad_jsonl_lines_name_line_and_field() {
        let good = "{\"timestamp\": 10, \"input_length\": 1, \"output_length\": 1}";
        let cases = [
            (
                "{\"timestamp\": 11, \"input_length\": 0, \"output_length\": 1}",
                Some("field input_length"),
                "a prompt has at least one token",
            ),
            (
                "{\"timestamp\": 11, \"input_length\": 1, \"output_length\": 0}",
                Some("field output_length"),
                "at least one token is generated",
            ),
            (
                "{\"timestamp\": 11, \"input_length\": -1, \"output_length\": 1}",
                Some("field input_length"),
                "(negative)",
            ),
            (
                "{\"timestamp\": 11, \"input_length\": \"7\", \"output_length\": 1}",
                Some("field input_length"),
                "found \"\\\"7\\\"\"",
            ),
            (
                "{\"timestamp\": 11, \"input_length\": 1, \"output_length\": 4294967296}",
                Some("field output_length"),
                "(u32)",
            ),
            (
                "{\"timestamp\": 11, \"input_length\": 1}",
                Some("field output_length"),
                "missing",
            ),
            (
                "{\"timestamp\": \"now\", \"input_length\": 1, \"output_length\": 1}",
                Some("field timestamp"),
                "expected a number of milliseconds, found",
            ),
            (
                "{\"timestamp\": 9.99, \"input_length\": 1, \"output_length\": 1}",
                Some("field timestamp"),
                "unsorted: line 3 is earlier than line 1 (9.99 < 10)",
            ),
            (
                "{\"timestamp\": 11, \"input_length\": 1, ",
                None,
                "malformed JSON at character",
            ),
            ("[11, 1, 1]", None, "expected a JSON object"),
        ];
        for (bad, field, want) in cases {
            let (_d, p) = fixture("t.jsonl", &format!("{good}\n\n{bad}\n"));
            let e = read_trace(&p, None, 1.0).unwrap_err();
            let (line, f, msg) = only(&e);
            assert_eq!((line, f), (Some(3), field), "{bad}: {msg}");
            assert!(msg.contains(want), "{bad}: {msg}");
        }
    }
}
