//! Reading a scenario file: bytes -> spanned TOML -> raw sections (serde) -> validation.
//!
//! Every section entry (`[cpu_pool.web]`, `[workflow.support]`…) is deserialized on its own,
//! so one bad entry does not hide problems in the others; validation then adds every semantic
//! problem. All problems come back together, each with file, field path, line and column.

use super::diagnostics::{Diagnostic, ScenarioErrors, line_col};
use super::raw::{
    RawArrivals, RawCpuPool, RawGpuPool, RawHumanPool, RawRack, RawRow, RawScenarioMeta, RawSite,
    RawWorkflow, RawWorkload,
};
use super::source_map::{SourceMap, join};
use crate::domain::Scenario;
use crate::domain::llm::{GpuSpec, ModelSpec};
use serde::de::DeserializeOwned;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use toml::Spanned;
use toml::de::{DeArray, DeString, DeTable, DeValue, ValueDeserializer};
use toml::map::Map;

/// The top-level sections a scenario may have.
pub const SECTIONS: [&str; 16] = [
    "scenario",
    "arrivals",
    "cpu_pool",
    "gpu_pool",
    "human_pool",
    "gpu",
    "model",
    "workflow",
    "site",
    "row",
    "rack",
    "cost",
    "fleet",
    "epochs",
    "workload",
    "plan",
];

/// The raw sections of a file, each entry deserialized independently (absent when it failed).
#[derive(Debug, Default)]
pub struct RawSections {
    pub meta: RawScenarioMeta,
    pub arrivals: BTreeMap<String, RawArrivals>,
    pub cpu_pools: BTreeMap<String, RawCpuPool>,
    pub gpu_pools: BTreeMap<String, RawGpuPool>,
    pub human_pools: BTreeMap<String, RawHumanPool>,
    /// GPUs added to (or replacing entries of) the built-in catalog.
    pub gpus: BTreeMap<String, GpuSpec>,
    /// Models added to (or replacing entries of) the built-in catalog.
    pub models: BTreeMap<String, ModelSpec>,
    pub workflows: BTreeMap<String, RawWorkflow>,
    /// `[site]`, when present.
    pub site: Option<RawSite>,
    /// `[row.NAME]`.
    pub rows: BTreeMap<String, RawRow>,
    /// `[rack.NAME]`.
    pub racks: BTreeMap<String, RawRack>,
    /// `[cost]`, when present.
    pub cost: Option<super::raw::RawCost>,
    /// `[[fleet]]` changes, in file order.
    pub fleet: Vec<super::raw::RawFleetChange>,
    /// `[epochs]`, when present.
    pub epochs: Option<super::raw::RawEpochs>,
    /// `[workload]`, when present.
    pub workload: Option<RawWorkload>,
    /// `[plan]` (the planner's targets), when present.
    pub plan: Option<super::raw::RawPlan>,
    /// What failed to deserialize (already reported), so that validation does not report
    /// follow-on problems ("unknown pool" for a pool that exists but is malformed…).
    pub broken: Broken,
}

/// Entries that failed to deserialize, per section.
#[derive(Debug, Default)]
pub struct Broken {
    /// `[scenario]` failed.
    pub meta: bool,
    /// Arrival processes by name.
    pub arrivals: BTreeSet<String>,
    /// CPU pools by name.
    pub cpu_pools: BTreeSet<String>,
    /// GPU pools by name.
    pub gpu_pools: BTreeSet<String>,
    /// Human pools by name.
    pub human_pools: BTreeSet<String>,
    /// Catalog entries (GPUs and models) by name.
    pub catalog: BTreeSet<String>,
    /// Workflows by name.
    pub workflows: BTreeSet<String>,
    /// Facility entries (`site`, rows, racks) that failed.
    pub facility: bool,
    /// `[cost]` failed.
    pub cost: bool,
    /// `[[fleet]]` or `[epochs]` failed.
    pub plan: bool,
    /// `[workload]` failed.
    pub workload: bool,
    /// `[plan]` failed.
    pub planner: bool,
}

/// Fields whose value must be a table, at any depth, with an example for the message.
const TABLE_FIELDS: [(&str, &str); 6] = [
    (
        "retry",
        "a table such as { max_attempts = 3, backoff = \"2s\", from = \"step\" }",
    ),
    (
        "service",
        "a distribution table such as { dist = \"exponential\", mean_s = 1.0 }",
    ),
    (
        "duration",
        "a distribution table such as { dist = \"exponential\", mean_s = 1.0 }",
    ),
    (
        "interarrival",
        "a distribution table such as { dist = \"exponential\", mean_s = 1.0 }",
    ),
    (
        "working_hours",
        "a table such as { from = \"09:00\", to = \"17:00\", days = [\"mon\", \"tue\"] }",
    ),
    (
        "growth",
        "a table such as { kind = \"logistic\", ceiling = 10, midpoint = \"2027-09-01\", rise = \"180d\" }",
    ),
];

/// Arrays whose items must be tables (by the end of their path), with an example.
const TABLE_ITEMS: [(&str, &str); 2] = [
    (
        ".steps",
        "a step table such as { name = \"s\", pool = \"p\" }",
    ),
    (
        ".route",
        "a rule table such as { max_input_tokens = 4000, pool = \"small\" }",
    ),
];

/// Collects problems while a scenario is read and validated.
pub struct Ctx<'a> {
    pub file: PathBuf,
    pub base_dir: PathBuf,
    src: &'a str,
    map: SourceMap,
    problems: Vec<Diagnostic>,
}

impl<'a> Ctx<'a> {
    /// Adds problems found in another file (a trace), already located.
    pub fn push_all(&mut self, diagnostics: Vec<Diagnostic>) {
        self.problems.extend(diagnostics);
    }

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

    fn err_at_span(&mut self, path: &str, span: std::ops::Range<usize>, message: String) {
        self.problems.push(Diagnostic {
            file: self.file.clone(),
            path: path.to_string(),
            line_col: Some(line_col(self.src, span.start)),
            message,
        });
    }

    /// Reports values whose shape is wrong before serde sees them: a distribution given as
    /// something other than a table, a step that is not a table. Returns whether all is well.
    fn check_shapes(&mut self, path: &str, value: &Spanned<DeValue<'_>>) -> bool {
        let mut ok = true;
        match value.get_ref() {
            DeValue::Table(t) => {
                for (k, v) in t.iter() {
                    let key: &str = k.get_ref();
                    let p = join(path, key);
                    let table_field = TABLE_FIELDS.iter().find(|(f, _)| *f == key);
                    if let Some((_, example)) = table_field
                        && !v.get_ref().is_table()
                    {
                        let found = v.get_ref().type_str();
                        self.err_at_span(
                            &p,
                            v.span(),
                            format!("expected {example}, found {found}"),
                        );
                        ok = false;
                    } else {
                        ok &= self.check_shapes(&p, v);
                    }
                }
            }
            DeValue::Array(items) => {
                let example = TABLE_ITEMS
                    .iter()
                    .find(|(suffix, _)| path.ends_with(suffix))
                    .map(|(_, example)| *example);
                for (i, item) in items.iter().enumerate() {
                    let p = format!("{path}[{i}]");
                    if let Some(example) = example
                        && !item.get_ref().is_table()
                    {
                        let found = item.get_ref().type_str();
                        self.err_at_span(
                            &p,
                            item.span(),
                            format!("expected {example}, found {found}"),
                        );
                        ok = false;
                    } else {
                        ok &= self.check_shapes(&p, item);
                    }
                }
            }
            _ => {}
        }
        ok
    }

    /// Deserializes the table `value` at `path` into `T`. Each field is first deserialized on
    /// its own (every field of the raw structs is optional), so every unknown or mistyped
    /// field is reported, not only the first.
    fn de_table<T: DeserializeOwned>(
        &mut self,
        path: &str,
        value: Spanned<DeValue<'_>>,
        what: &str,
    ) -> Option<T> {
        let span = value.span();
        let DeValue::Table(t) = value.get_ref() else {
            let found = value.get_ref().type_str();
            self.err_at_span(
                path,
                span,
                format!("expected a table describing {what}, found {found}"),
            );
            return None;
        };
        let mut ok = self.check_shapes(path, &value);
        if ok {
            for (k, v) in t.iter() {
                let mut one = Map::new();
                one.insert(k.clone(), v.clone());
                let single = Spanned::new(span.clone(), DeValue::Table(one));
                if let Err(e) = T::deserialize(ValueDeserializer::from(single)) {
                    if !self.item_field_errors::<T>(k, v, &span) {
                        self.toml_error(&e);
                    }
                    ok = false;
                }
            }
        }
        if ok { self.de::<T>(value) } else { None }
    }

    /// For a field holding an array of tables (`steps = [...]`), deserializes each field of
    /// each item on its own, as the only field of the only item, so that every bad field of
    /// every item is reported (serde stops at the first). Returns whether any was found.
    fn item_field_errors<T: DeserializeOwned>(
        &mut self,
        key: &Spanned<DeString<'_>>,
        value: &Spanned<DeValue<'_>>,
        span: &std::ops::Range<usize>,
    ) -> bool {
        let DeValue::Array(items) = value.get_ref() else {
            return false;
        };
        let mut found = false;
        for item in items.iter() {
            let DeValue::Table(fields) = item.get_ref() else {
                continue;
            };
            for (ik, iv) in fields.iter() {
                let mut inner = Map::new();
                inner.insert(ik.clone(), iv.clone());
                let mut array = DeArray::new();
                array.push(Spanned::new(item.span(), DeValue::Table(inner)));
                let mut outer = Map::new();
                outer.insert(
                    key.clone(),
                    Spanned::new(value.span(), DeValue::Array(array)),
                );
                let single = Spanned::new(span.clone(), DeValue::Table(outer));
                if let Err(e) = T::deserialize(ValueDeserializer::from(single)) {
                    self.toml_error(&e);
                    found = true;
                }
            }
        }
        found
    }

    /// Whether any problem has been reported.
    pub fn has_problems(&self) -> bool {
        !self.problems.is_empty()
    }

    fn into_errors(mut self) -> ScenarioErrors {
        // File order where known; problems without a position keep their order at the end.
        // Problems in data files the scenario names (traces) follow the scenario's own.
        let file = self.file.clone();
        self.problems.sort_by_key(|d| {
            (
                d.file != file,
                d.line_col.map_or((usize::MAX, usize::MAX), |lc| lc),
            )
        });
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
        broken: &mut BTreeSet<String>,
    ) -> BTreeMap<String, T> {
        self.section_map_with(
            section,
            value,
            what,
            broken,
            valid_entity_name,
            Self::de_table,
        )
    }

    /// Like `section_map`, with whole entries deserialized at once (structs with required
    /// fields: the catalog's specs), so only an entry's first problem is reported.
    fn section_map_whole<T: DeserializeOwned>(
        &mut self,
        section: &str,
        value: Spanned<DeValue<'_>>,
        what: &str,
        broken: &mut BTreeSet<String>,
    ) -> BTreeMap<String, T> {
        // Catalog names may hold dots (`llama-3.1-70b`): quote them in TOML keys.
        let valid = |n: &str| valid_entity_name(&n.replace('.', "_"));
        self.section_map_with(
            section,
            value,
            what,
            broken,
            valid,
            |ctx, _path, v, _what| ctx.de::<T>(v),
        )
    }

    fn section_map_with<T>(
        &mut self,
        section: &str,
        value: Spanned<DeValue<'_>>,
        what: &str,
        broken: &mut BTreeSet<String>,
        valid_name: impl Fn(&str) -> bool,
        de: impl Fn(&mut Self, &str, Spanned<DeValue<'_>>, &str) -> Option<T>,
    ) -> BTreeMap<String, T> {
        let mut out = BTreeMap::new();
        let span = value.span();
        match value.into_inner() {
            DeValue::Table(t) => {
                for (name, entry) in t {
                    let name = name.into_inner().into_owned();
                    let path = join(section, &name);
                    if !valid_name(&name) {
                        self.err(
                            &path,
                            format!(
                                "expected a name of at most {MAX_NAME_LEN} letters, digits, '_' or '-', found {name:?}"
                            ),
                        );
                        broken.insert(name);
                        continue;
                    }
                    match de(self, &path, entry, &format!("{what} `{name}`")) {
                        Some(v) => {
                            out.insert(name, v);
                        }
                        None => {
                            broken.insert(name);
                        }
                    }
                }
            }
            other => {
                let found = other.type_str();
                self.err_at_span(
                    section,
                    span,
                    format!(
                        "expected a table of named {what}s (`[{section}.NAME]`), found {found}"
                    ),
                );
            }
        }
        out
    }
}

/// Names of pools, workflows, steps and arrival processes: letters, digits, `_` and `-`, so
/// that field paths, random-stream names and output groups are unambiguous.
pub fn valid_entity_name(n: &str) -> bool {
    (1..=MAX_NAME_LEN).contains(&n.len())
        && n.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Longest name accepted (pools, workflows, steps, arrivals, the scenario).
pub const MAX_NAME_LEN: usize = 64;

/// Largest scenario file accepted [bytes].
pub const MAX_SCENARIO_BYTES: u64 = 16 << 20;

/// Reads a regular file of at most `max_bytes` (not a device, pipe or folder, which could be
/// endless).
///
/// # Errors
/// The I/O error, or `InvalidInput` for a special file or one that is too large.
pub fn read_regular_file(path: &Path, max_bytes: u64) -> std::io::Result<Vec<u8>> {
    let meta = std::fs::metadata(path)?;
    if meta.is_dir() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "it is a folder",
        ));
    }
    if !meta.is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "it is not a regular file (a device, pipe or socket)",
        ));
    }
    if meta.len() > max_bytes {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("it has {} bytes; at most {max_bytes} are read", meta.len()),
        ));
    }
    std::fs::read(path)
}

/// Reads and validates the scenario at `path`. Relative data files are resolved from the
/// scenario's folder.
///
/// # Errors
/// [`ScenarioErrors`] listing every problem: a missing or unreadable file, malformed TOML,
/// unknown fields or sections, wrong types, out-of-range numbers, unknown references, cycles.
pub fn load(path: &Path) -> Result<Scenario, ScenarioErrors> {
    load_with(path, &[])
}

/// As [`load`], with `sets` (`--set PATH=VALUE`) applied to the parsed file before
/// validation.
///
/// # Errors
/// As [`load`]; also an override whose path does not exist (with the nearest keys).
pub fn load_with(path: &Path, sets: &[super::Override]) -> Result<Scenario, ScenarioErrors> {
    load_sized(path, sets, &[])
}

/// As [`load_with`], without the `[[fleet]]` changes of the GPU pools `unplanned`: the
/// planner sizes those pools for the whole horizon.
///
/// # Errors
/// As [`load_with`].
pub fn load_sized(
    path: &Path,
    sets: &[super::Override],
    unplanned: &[String],
) -> Result<Scenario, ScenarioErrors> {
    let bytes = read_regular_file(path, MAX_SCENARIO_BYTES).map_err(|e| {
        ScenarioErrors::whole_file(path, format!("cannot read the scenario file: {e}"))
    })?;
    let src = String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let good = &e.as_bytes()[..at];
        let line = good.iter().filter(|b| **b == b'\n').count() + 1;
        let col = good.iter().rev().take_while(|b| **b != b'\n').count() + 1;
        let mut errs = ScenarioErrors::whole_file(
            path,
            format!("the file is not UTF-8 text (invalid byte at offset {at})"),
        );
        errs.problems[0].line_col = Some((line, col));
        errs
    })?;
    let mut spec = parse_with(&src, path, sets, unplanned)?;
    spec.overrides = sets.iter().map(super::Override::text).collect();
    Ok(spec)
}

/// Validates scenario text `src` as if read from `file`.
///
/// # Errors
/// As [`load`], except for reading the file.
pub fn parse_str(src: &str, file: &Path) -> Result<Scenario, ScenarioErrors> {
    parse_with(src, file, &[], &[])
}

/// As [`parse_str`], with `sets` applied to the parsed document first.
fn parse_with<'i>(
    src: &'i str,
    file: &Path,
    sets: &'i [super::Override],
    unplanned: &[String],
) -> Result<Scenario, ScenarioErrors> {
    let (mut root, syntax) = DeTable::parse_recoverable(src);
    if syntax.is_empty()
        && let Err(message) = super::overrides::apply(&mut root, sets)
    {
        return Err(ScenarioErrors::whole_file(file, message));
    }
    if syntax.is_empty() {
        super::overrides::drop_fleet(&mut root, unplanned);
    }
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
        // The recovering parser can report one mistake twice.
        ctx.problems.dedup();
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
                match ctx.de_table::<RawScenarioMeta>("scenario", value, "the run settings") {
                    Some(m) => raw.meta = m,
                    None => raw.broken.meta = true,
                }
            }
            "arrivals" => {
                raw.arrivals = ctx.section_map(
                    "arrivals",
                    value,
                    "arrival process",
                    &mut raw.broken.arrivals,
                )
            }
            "cpu_pool" => {
                raw.cpu_pools =
                    ctx.section_map("cpu_pool", value, "CPU pool", &mut raw.broken.cpu_pools)
            }
            "gpu_pool" => {
                raw.gpu_pools =
                    ctx.section_map("gpu_pool", value, "GPU pool", &mut raw.broken.gpu_pools)
            }
            "human_pool" => {
                raw.human_pools = ctx.section_map(
                    "human_pool",
                    value,
                    "human pool",
                    &mut raw.broken.human_pools,
                )
            }
            "gpu" => raw.gpus = ctx.section_map_whole("gpu", value, "GPU", &mut raw.broken.catalog),
            "model" => {
                raw.models = ctx.section_map_whole("model", value, "model", &mut raw.broken.catalog)
            }
            "workflow" => {
                raw.workflows =
                    ctx.section_map("workflow", value, "workflow", &mut raw.broken.workflows)
            }
            "site" => match ctx.de_table::<RawSite>("site", value, "the site") {
                Some(site) => raw.site = Some(site),
                None => raw.broken.facility = true,
            },
            "fleet" => {
                let mut one = Map::new();
                one.insert(Spanned::new(0..0, DeString::from("fleet")), value);
                let wrapped = Spanned::new(0..0, DeValue::Table(one));
                match ctx.de_table::<super::raw::RawFleetSection>("", wrapped, "the fleet plan") {
                    Some(f) => raw.fleet = f.fleet.unwrap_or_default(),
                    None => raw.broken.plan = true,
                }
            }
            "epochs" => {
                match ctx.de_table::<super::raw::RawEpochs>("epochs", value, "the epoch plan") {
                    Some(e) => raw.epochs = Some(e),
                    None => raw.broken.plan = true,
                }
            }
            "cost" => match ctx.de_table::<super::raw::RawCost>("cost", value, "the prices") {
                Some(c) => raw.cost = Some(c),
                None => raw.broken.cost = true,
            },
            "row" => {
                let mut broken = BTreeSet::new();
                raw.rows = ctx.section_map("row", value, "row", &mut broken);
                raw.broken.facility |= !broken.is_empty();
            }
            "rack" => {
                let mut broken = BTreeSet::new();
                raw.racks = ctx.section_map("rack", value, "rack", &mut broken);
                raw.broken.facility |= !broken.is_empty();
            }
            "plan" => match ctx.de_table::<super::raw::RawPlan>("plan", value, "the planner") {
                Some(p) => raw.plan = Some(p),
                None => raw.broken.planner = true,
            },
            "workload" => match ctx.de_table::<RawWorkload>("workload", value, "the workload") {
                Some(w) => raw.workload = Some(w),
                None => raw.broken.workload = true,
            },
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
