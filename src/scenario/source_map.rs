//! Where every key of a parsed TOML document sits: field path -> byte spans.
//!
//! Built once from the spanned document, it lets validation (which works on plain values)
//! report line and column for a field path, and lets a serde error's byte span be named by the
//! field path it falls in.

use std::collections::BTreeMap;
use std::ops::Range;
use toml::de::{DeTable, DeValue};

/// Byte spans of one field: its key (absent for array elements) and its value.
#[derive(Debug, Clone, PartialEq, Eq)]
struct FieldSpans {
    key: Option<Range<usize>>,
    value: Range<usize>,
}

/// Field path -> spans, for one document.
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    fields: BTreeMap<String, FieldSpans>,
}

impl SourceMap {
    /// Indexes every key and array element of `root`.
    pub fn new(root: &DeTable<'_>) -> Self {
        let mut map = SourceMap::default();
        map.walk_table("", root);
        map
    }

    fn walk_table(&mut self, prefix: &str, table: &DeTable<'_>) {
        for (key, value) in table.iter() {
            let path = join(prefix, key.get_ref());
            self.fields.insert(
                path.clone(),
                FieldSpans {
                    key: Some(key.span()),
                    value: value.span(),
                },
            );
            self.walk_value(&path, value.get_ref());
        }
    }

    fn walk_value(&mut self, path: &str, value: &DeValue<'_>) {
        match value {
            DeValue::Table(t) => self.walk_table(path, t),
            DeValue::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let item_path = format!("{path}[{i}]");
                    self.fields.insert(
                        item_path.clone(),
                        FieldSpans {
                            key: None,
                            value: item.span(),
                        },
                    );
                    self.walk_value(&item_path, item.get_ref());
                }
            }
            _ => {}
        }
    }

    /// The byte offset to report for `path`: its value, or (for a field that is missing) the
    /// nearest enclosing field that exists.
    pub fn offset_of(&self, path: &str) -> Option<usize> {
        let mut p = path;
        loop {
            if let Some(f) = self.fields.get(p) {
                return Some(f.key.as_ref().map_or(f.value.start, |k| k.start));
            }
            p = parent(p)?;
        }
    }

    /// The deepest field path whose key or value span contains byte `offset`.
    pub fn path_at(&self, offset: usize) -> Option<&str> {
        self.fields
            .iter()
            .filter(|(_, f)| {
                f.value.contains(&offset) || f.key.as_ref().is_some_and(|k| k.contains(&offset))
            })
            .min_by_key(|(_, f)| {
                let k = f.key.as_ref().map_or(usize::MAX, |k| k.len());
                f.value.len().min(k)
            })
            .map(|(p, _)| p.as_str())
    }
}

/// `prefix.key`, quoting keys that are not bare TOML keys.
pub fn join(prefix: &str, key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    let key = if bare {
        key.to_string()
    } else {
        format!("{key:?}")
    };
    if prefix.is_empty() {
        key
    } else {
        format!("{prefix}.{key}")
    }
}

/// The enclosing path of `path` (`a.b[2]` -> `a.b`, `a.b` -> `a`), `None` at the top.
fn parent(path: &str) -> Option<&str> {
    if path.is_empty() {
        return None;
    }
    if path.ends_with(']') {
        return path.rfind('[').map(|i| &path[..i]);
    }
    Some(path.rfind('.').map_or("", |i| &path[..i]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_offsets() {
        let src =
            "[cpu_pool.web]\nservers = 4\n[[workflow.w.steps]]\nname = \"a\"\nafter = [\"x\"]\n";
        let doc = DeTable::parse(src).unwrap();
        let map = SourceMap::new(doc.get_ref());
        let servers = map.offset_of("cpu_pool.web.servers").unwrap();
        assert_eq!(&src[servers..servers + 7], "servers");
        // a missing field falls back to its table
        let missing = map.offset_of("cpu_pool.web.service").unwrap();
        assert!(missing < servers);
        let after0 = map.offset_of("workflow.w.steps[0].after[0]").unwrap();
        assert_eq!(&src[after0..after0 + 3], "\"x\"");
        assert_eq!(
            map.path_at(after0 + 1),
            Some("workflow.w.steps[0].after[0]")
        );
        assert_eq!(map.path_at(servers + 1), Some("cpu_pool.web.servers"));
    }

    #[test]
    fn parent_paths() {
        assert_eq!(parent("a.b[2]"), Some("a.b"));
        assert_eq!(parent("a.b"), Some("a"));
        assert_eq!(parent("a"), Some(""));
        assert_eq!(parent(""), None);
        assert_eq!(join("a", "b c"), "a.\"b c\"");
    }
}
