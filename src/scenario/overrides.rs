//! `--set PATH=VALUE`: a change to one scenario field by its dotted path
//! (`gpu_pool.large.replicas=8`, `workload.growth.ceiling=5`), applied to the parsed TOML
//! before validation, so that a changed scenario is checked exactly like a written one and
//! its problems point at the line of the field it replaced.

use std::borrow::Cow;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// One `--set PATH=VALUE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    /// The path's keys: `["gpu_pool", "large", "replicas"]`.
    pub path: Vec<String>,
    /// The value as written: a TOML value (`8`, `0.95`, `true`, `"x"`, `[1, 2]`), or any
    /// other text taken as a string (`5m`, `2027-07-01`, `logistic`).
    pub value: String,
}

impl Override {
    /// Parses `PATH=VALUE`.
    ///
    /// # Errors
    /// A message when there is no `=`, the path is empty or has an empty key.
    pub fn parse(s: &str) -> Result<Override, String> {
        let (path, value) = s
            .split_once('=')
            .ok_or_else(|| format!("`{s}`: expected PATH=VALUE, e.g. gpu_pool.large.replicas=8"))?;
        let path: Vec<String> = path
            .trim()
            .split('.')
            .map(|k| k.trim().to_string())
            .collect();
        if path.iter().any(String::is_empty) {
            return Err(format!(
                "`{s}`: the path needs keys separated by dots, e.g. gpu_pool.large.replicas"
            ));
        }
        Ok(Override {
            path,
            value: value.trim().to_string(),
        })
    }

    /// `PATH=VALUE` as given.
    pub fn text(&self) -> String {
        format!("{}={}", self.path.join("."), self.value)
    }
}

/// The value of an override: TOML if it parses as a number, boolean, string or array;
/// otherwise (durations, dates, names) the text as a string.
fn value_of(text: &str) -> DeValue<'_> {
    match DeValue::parse(text) {
        Ok(v) => match v.into_inner() {
            // A bare date is a date string in scenario files.
            DeValue::Datetime(_) | DeValue::Table(_) => DeValue::String(Cow::Borrowed(text)),
            v => v,
        },
        Err(_) => DeValue::String(Cow::Borrowed(text)),
    }
}

/// The keys of `table` nearest to `key` (edit distance), at most three, for "did you mean".
fn near<'a>(table: &'a DeTable<'_>, key: &str) -> Vec<&'a str> {
    let mut keys: Vec<(usize, &str)> = table
        .iter()
        .map(|(k, _)| {
            let k: &str = k.get_ref();
            (strsim::levenshtein(k, key), k)
        })
        .collect();
    keys.sort();
    keys.into_iter().take(3).map(|(_, k)| k).collect()
}

/// Applies `sets` in order to the document `root`. A new value takes the span of the one it
/// replaces (or of its table, for a field the file did not write), so problems with it are
/// located at that line.
///
/// # Errors
/// A message naming the override when a table on its path does not exist (with the nearest
/// keys there) or is not a table.
pub fn apply<'i>(root: &mut Spanned<DeTable<'i>>, sets: &'i [Override]) -> Result<(), String> {
    for o in sets {
        let span = root.span();
        let mut table: &mut DeTable<'i> = root.get_mut();
        let mut table_span = span;
        let (last, parents) = o.path.split_last().expect("a path has a key");
        for (depth, key) in parents.iter().enumerate() {
            let at = o.path[..=depth].join(".");
            let is_key = |k: &Spanned<Cow<'i, str>>| {
                let k: &str = k.get_ref();
                k == key
            };
            let missing = format!(
                "--set {}: there is no `{at}` in the scenario{}",
                o.text(),
                match near(table, key) {
                    hint if hint.is_empty() => String::new(),
                    hint => format!(" (nearest: {})", hint.join(", ")),
                }
            );
            let (_, value) = table.iter_mut().find(|(k, _)| is_key(k)).ok_or(missing)?;
            table_span = value.span();
            match value.get_mut() {
                DeValue::Table(t) => table = t,
                _ => {
                    return Err(format!(
                        "--set {}: `{at}` is a value, not a table",
                        o.text()
                    ));
                }
            }
        }
        let new = value_of(&o.value);
        let existing = table.iter_mut().find(|(k, _)| {
            let k: &str = k.get_ref();
            k == last
        });
        match existing {
            Some((_, v)) => {
                let span = v.span();
                *v = Spanned::new(span, new);
            }
            None => {
                let at = table_span.start..table_span.start;
                table.insert(
                    Spanned::new(at.clone(), Cow::Borrowed(last.as_str())),
                    Spanned::new(at, new),
                );
            }
        }
    }
    Ok(())
}

/// Removes the `[[fleet]]` entries of the GPU pools `pools` from the document: the planner
/// sizes those pools itself, for the whole horizon.
pub fn drop_fleet(root: &mut Spanned<DeTable<'_>>, pools: &[String]) {
    if pools.is_empty() {
        return;
    }
    let Some((_, v)) = root.get_mut().iter_mut().find(|(k, _)| {
        let k: &str = k.get_ref();
        k == "fleet"
    }) else {
        return;
    };
    if let DeValue::Array(entries) = v.get_mut() {
        let all = std::mem::replace(entries, toml::de::DeArray::new());
        *entries = all
            .into_iter()
            .filter(|e| {
                let DeValue::Table(t) = e.get_ref() else {
                    return true;
                };
                !t.iter().any(|(k, v)| {
                    let k: &str = k.get_ref();
                    k == "pool"
                        && matches!(v.get_ref(), DeValue::String(p) if pools.iter().any(|q| q == p.as_ref()))
                })
            })
            .collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_parse_and_say_what_is_wrong() {
        let o = Override::parse("gpu_pool.large.replicas = 8").unwrap();
        assert_eq!(o.path, ["gpu_pool", "large", "replicas"]);
        assert_eq!(o.value, "8");
        assert_eq!(o.text(), "gpu_pool.large.replicas=8");
        assert!(
            Override::parse("replicas")
                .unwrap_err()
                .contains("PATH=VALUE")
        );
        assert!(
            Override::parse("gpu_pool..replicas=1")
                .unwrap_err()
                .contains("dots")
        );
    }

    #[test]
    fn values_are_toml_or_else_strings() {
        assert!(matches!(value_of("8"), DeValue::Integer(_)));
        assert!(matches!(value_of("0.95"), DeValue::Float(_)));
        assert!(matches!(value_of("true"), DeValue::Boolean(true)));
        assert!(matches!(value_of("[1, 2]"), DeValue::Array(_)));
        for s in ["5m", "2027-07-01", "logistic"] {
            assert!(
                matches!(value_of(s), DeValue::String(ref x) if x == s),
                "{s}"
            );
        }
        assert!(matches!(value_of("\"x y\""), DeValue::String(ref x) if x == "x y"));
    }
}
