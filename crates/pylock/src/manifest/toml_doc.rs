//! Reading TOML documents with every value's position (`pyproject.toml`, `pylock.toml`), so
//! that each error names the file, line and column of the value at fault.

use std::borrow::Cow;
use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// A TOML value with its span.
pub type Value<'i> = Spanned<DeValue<'i>>;

/// A TOML document value that is not what was expected, with where it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}:{line}:{column}: {message}", path.display())]
pub struct TomlError {
    /// The file.
    pub path: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

/// A parsed document and its source, to turn spans into positions.
pub struct Doc<'i> {
    /// The file.
    pub path: &'i Path,
    /// Its text.
    pub text: &'i str,
    /// The top-level table.
    pub root: DeTable<'i>,
}

impl<'i> Doc<'i> {
    /// Parse `text` (read from `path`).
    pub fn parse(path: &'i Path, text: &'i str) -> Result<Self, TomlError> {
        match DeTable::parse(text) {
            Ok(root) => Ok(Self {
                path,
                text,
                root: root.into_inner(),
            }),
            Err(e) => {
                let at = e.span().map_or(0, |s| s.start);
                Err(error_at(path, text, at, e.message().to_owned()))
            }
        }
    }

    /// An error at byte `offset`.
    pub fn err_at(&self, offset: usize, message: impl Into<String>) -> TomlError {
        error_at(self.path, self.text, offset, message.into())
    }

    /// An error at the start of `span`.
    pub fn err(&self, span: Range<usize>, message: impl Into<String>) -> TomlError {
        self.err_at(span.start, message)
    }

    /// `value` as a table.
    pub fn table<'v>(
        &self,
        value: &'v Value<'i>,
        what: &str,
    ) -> Result<&'v DeTable<'i>, TomlError> {
        match value.get_ref() {
            DeValue::Table(t) => Ok(t),
            _ => Err(self.err(value.span(), format!("{what} must be a table"))),
        }
    }

    /// `value` as an array.
    pub fn array<'v>(
        &self,
        value: &'v Value<'i>,
        what: &str,
    ) -> Result<&'v [Value<'i>], TomlError> {
        match value.get_ref() {
            DeValue::Array(a) => Ok(a),
            _ => Err(self.err(value.span(), format!("{what} must be an array"))),
        }
    }

    /// `value` as a string.
    pub fn string<'v>(&self, value: &'v Value<'i>, what: &str) -> Result<&'v str, TomlError> {
        match value.get_ref() {
            DeValue::String(s) => Ok(s),
            _ => Err(self.err(value.span(), format!("{what} must be a string"))),
        }
    }

    /// An optional string field of `table`.
    pub fn opt_string<'v>(
        &self,
        table: &'v DeTable<'i>,
        key: &str,
    ) -> Result<Option<(&'v str, Range<usize>)>, TomlError> {
        table
            .get(key)
            .map(|v| Ok((self.string(v, &format!("`{key}`"))?, v.span())))
            .transpose()
    }

    /// An optional array-of-strings field of `table`, with each string's span.
    pub fn opt_strings<'v>(
        &self,
        table: &'v DeTable<'i>,
        key: &str,
    ) -> Result<Vec<(&'v str, Range<usize>)>, TomlError> {
        let Some(value) = table.get(key) else {
            return Ok(Vec::new());
        };
        self.array(value, &format!("`{key}`"))?
            .iter()
            .map(|v| Ok((self.string(v, &format!("an entry of `{key}`"))?, v.span())))
            .collect()
    }
}

/// The text of a key.
pub fn key<'a>(k: &'a Spanned<Cow<'_, str>>) -> &'a str {
    k.get_ref()
}

fn error_at(path: &Path, text: &str, offset: usize, message: String) -> TomlError {
    let (line, column) = super::line_col(text, offset);
    TomlError {
        path: path.to_owned(),
        line,
        column,
        message,
    }
}
