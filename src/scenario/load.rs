//! Reading a scenario file: bytes -> spanned TOML -> raw sections (serde) -> validation.
//!
//! Every section entry (`[cpu_pool.web]`, `[workflow.support]`…) is deserialized on its own,
//! so one bad entry does not hide problems in the others; validation then adds every semantic
//! problem. All problems come back together, each with file, field path, line and column.

use super::diagnostics::{Diagnostic, ScenarioErrors, line_col};
use super::raw::{RawArrivals, RawCpuPool, RawScenarioMeta, RawWorkflow};
use super::source_map::{SourceMap, join};
use crate::domain::Scenario;
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

/// The top-level sections a scenario may have.
pub const SECTIONS: [&str; 4] = ["scenario", "arrivals", "cpu_pool", "workflow"];

/// The raw sections of a file, each entry deserialized independently (absent when it failed).
#[derive(Debug, Default)]
pub struct RawSections {
    pub meta: RawScenarioMeta,
    pub arrivals: BTreeMap<String, RawArrivals>,
    pub cpu_pools: BTreeMap<String, RawCpuPool>,
    pub workflows: BTreeMap<String, RawWorkflow>,
    /// Names of entries that failed to deserialize (already reported), so that references to
    /// them are not reported a second time as "unknown".
    pub broken: Vec<String>,
}

/// Collects problems while a scenario is read and validated.
pub struct Ctx<'a> {
    pub file: PathBuf,
    pub base_dir: PathBuf,
    src: &'a str,
    map: SourceMap,
    problems: Vec<Diagnostic>,
}

impl<'a> Ctx<'a> {
    /// Reports a problem at field `path` of the scenario file.
    pub fn err(&mut self, path: &str, message: impl Into<String>) {
        let line_col = self.map.offset_of(path).map(|o| line_col(self.src, o));
        self.problems.push(Diagnostic {
            file: self.file.clone(),
            path: path.to_string(),
            line_col,
            message: message.into(),
        });
    }

    /// Reports a problem in another file (a data file the scenario refers to).
    pub fn err_in_file(&mut self, file: PathBuf, path: &str, line: Option<usize>, message: String) {
        self.problems.push(Diagnostic {
            file,
            path: path.to_string(),
            line_col: line.map(|l| (l, 1)),
            message,
        });
    }

    fn toml_error(&mut self, e: &toml::de::Error) {
        let (path, line_col) = match e.span() {
            Some(span) => (
                self.map.path_at(span.start).unwrap_or("").to_string(),
                Some(line_col(self.src, span.start)),
            ),
            None => (String::new(), None),
        };
        self.problems.push(Diagnostic {
            file: self.file.clone(),
            path,
            line_col,
            message: e.message().trim().to_string(),
        });
    }

    fn de<T: DeserializeOwned>(&mut self, value: Spanned<DeValue<'_>>) -> Option<T> {
        match T::deserialize(ValueDeserializer::from(value)) {
            Ok(v) => Some(v),
            Err(e) => {
                self.toml_error(&e);
                None
            }
        }
    }

    /// Whether any problem has been reported.
    pub fn has_problems(&self) -> bool {
        !self.problems.is_empty()
    }

    fn into_errors(mut self) -> ScenarioErrors {
        // File order where known; problems without a position keep their order at the end.
        self.problems
            .sort_by_key(|d| d.line_col.map_or((usize::MAX, usize::MAX), |lc| lc));
        ScenarioErrors {
            file: self.file,
            problems: self.problems,
        }
    }

    fn section_map<T: DeserializeOwned>(
        &mut self,
        section: &str,
        value: Spanned<DeValue<'_>>,
        what: &str,
        broken: &mut Vec<String>,
    ) -> BTreeMap<String, T> {
        let mut out = BTreeMap::new();
        let span = value.span();
        match value.into_inner() {
            DeValue::Table(t) => {
                for (name, entry) in t {
                    let name = name.into_inner().into_owned();
                    if !entry.get_ref().is_table() {
                        let path = join(section, &name);
                        let found = entry.get_ref().type_str();
                        self.err(
                            &path,
                            format!("expected a table describing {what} `{name}`, found {found}"),
                        );
                        broken.push(name);
                        continue;
                    }
                    match self.de::<T>(entry) {
                        Some(v) => {
                            out.insert(name, v);
                        }
                        None => broken.push(name),
                    }
                }
            }
            other => {
                let found = other.type_str();
                let (line, col) = line_col(self.src, span.start);
                self.problems.push(Diagnostic {
                    file: self.file.clone(),
                    path: section.to_string(),
                    line_col: Some((line, col)),
                    message: format!(
                        "expected a table of named {what}s (`[{section}.NAME]`), found {found}"
                    ),
                });
            }
        }
        out
    }
}

/// Reads and validates the scenario at `path`. Relative data files are resolved from the
/// scenario's folder.
///
/// # Errors
/// [`ScenarioErrors`] listing every problem: a missing or unreadable file, malformed TOML,
/// unknown fields or sections, wrong types, out-of-range numbers, unknown references, cycles.
pub fn load(path: &Path) -> Result<Scenario, ScenarioErrors> {
    let bytes = std::fs::read(path).map_err(|e| {
        ScenarioErrors::whole_file(path, format!("cannot read the scenario file: {e}"))
    })?;
    let src = String::from_utf8(bytes).map_err(|e| {
        ScenarioErrors::whole_file(
            path,
            format!(
                "the file is not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        )
    })?;
    parse_str(&src, path)
}

/// Validates scenario text `src` as if read from `file`.
///
/// # Errors
/// As [`load`], except for reading the file.
pub fn parse_str(src: &str, file: &Path) -> Result<Scenario, ScenarioErrors> {
    let (root, syntax) = DeTable::parse_recoverable(src);
    let mut ctx = Ctx {
        file: file.to_path_buf(),
        base_dir: file.parent().map(Path::to_path_buf).unwrap_or_default(),
        src,
        map: SourceMap::new(root.get_ref()),
        problems: Vec::new(),
    };
    if !syntax.is_empty() {
        for e in &syntax {
            ctx.toml_error(e);
        }
        for d in &mut ctx.problems {
            d.message = format!("malformed TOML: {}", d.message);
        }
        return Err(ctx.into_errors());
    }

    let mut raw = RawSections::default();
    for (key, value) in root.into_inner() {
        let key = key.into_inner().into_owned();
        match key.as_str() {
            "scenario" => {
                if let Some(m) = ctx.de::<RawScenarioMeta>(value) {
                    raw.meta = m;
                }
            }
            "arrivals" => {
                raw.arrivals =
                    ctx.section_map("arrivals", value, "arrival process", &mut raw.broken)
            }
            "cpu_pool" => {
                raw.cpu_pools = ctx.section_map("cpu_pool", value, "CPU pool", &mut raw.broken)
            }
            "workflow" => {
                raw.workflows = ctx.section_map("workflow", value, "workflow", &mut raw.broken)
            }
            other => {
                let path = join("", other);
                ctx.err(
                    &path,
                    format!(
                        "unknown section `{other}`, expected one of: {}",
                        SECTIONS.join(", ")
                    ),
                );
            }
        }
    }

    let scenario = super::validate::validate(&mut ctx, &raw, src.as_bytes());
    match scenario {
        Some(s) if !ctx.has_problems() => Ok(s),
        _ => Err(ctx.into_errors()),
    }
}
