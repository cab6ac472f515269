//! Problems found in a scenario file, each located by file, field path, line and column.

use std::fmt;
use std::path::{Path, PathBuf};

/// One problem with a scenario: where it is and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file the problem is in (the scenario, or a data file it refers to).
    pub file: PathBuf,
    /// Dotted field path, e.g. `cpu_pool.web.servers` or `workflow.w.steps[1].after[0]`;
    /// empty for a problem with the file as a whole.
    pub path: String,
    /// 1-based line and column, where known.
    pub line_col: Option<(usize, usize)>,
    /// What is wrong: what was expected and what was found.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some((line, col)) = self.line_col {
            write!(f, ":{line}:{col}")?;
        }
        if !self.path.is_empty() {
            write!(f, ": {}", self.path)?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Every problem found in one scenario (never empty when returned as an error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioErrors {
    /// The scenario file.
    pub file: PathBuf,
    /// The problems, in file order where known.
    pub problems: Vec<Diagnostic>,
}

impl fmt::Display for ScenarioErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        writeln!(
            f,
            "{}: {n} problem{} in the scenario",
            self.file.display(),
            if n == 1 { "" } else { "s" }
        )?;
        for p in &self.problems {
            writeln!(f, "  {p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ScenarioErrors {}

impl ScenarioErrors {
    /// A single problem with the file as a whole (missing, unreadable…).
    pub fn whole_file(file: &Path, message: impl Into<String>) -> Self {
        ScenarioErrors {
            file: file.to_path_buf(),
            problems: vec![Diagnostic {
                file: file.to_path_buf(),
                path: String::new(),
                line_col: None,
                message: message.into(),
            }],
        }
    }
}

/// 1-based (line, column) of byte `offset` in `src`; the column counts characters.
pub fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(src.len());
    // Step back to a char boundary so slicing cannot panic.
    let mut end = offset;
    while !src.is_char_boundary(end) {
        end -= 1;
    }
    let before = &src[..end];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before[line_start..].chars().count() + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based_and_count_chars() {
        let src = "a = 1\nbé = 2\n";
        assert_eq!(line_col(src, 0), (1, 1));
        assert_eq!(line_col(src, 6), (2, 1));
        // 'é' is two bytes; offset 9 is the space after it.
        assert_eq!(line_col(src, 9), (2, 3));
        assert_eq!(line_col(src, 1000), (3, 1));
    }
}
