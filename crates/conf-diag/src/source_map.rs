//! Files, include chains and byte spans, with line/column lookup.

use serde::Serialize;

/// Index of a file in a [`SourceMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct FileId(pub u32);

/// A byte range in one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Self {
        Span {
            file,
            start: start as u32,
            end: end.max(start) as u32,
        }
    }

    /// The smallest span covering both (same file assumed; otherwise `self`).
    pub fn to(self, other: Span) -> Span {
        if self.file != other.file {
            return self;
        }
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// 1-based line and column (column counted in characters, as editors show it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LineCol {
    pub line: usize,
    pub col: usize,
}

#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The name as the user gave it (or as the include resolved it).
    pub name: String,
    pub text: String,
    /// Byte offset of the start of each line.
    line_starts: Vec<usize>,
    /// Where this file was included from, if it was.
    pub included_from: Option<Span>,
}

impl SourceFile {
    fn new(name: String, text: String, included_from: Option<Span>) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        SourceFile {
            name,
            text,
            line_starts,
            included_from,
        }
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// 0-based line index containing byte `offset`.
    fn line_index(&self, offset: usize) -> usize {
        match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        }
    }

    /// Text of 1-based line `line`, without its line end.
    pub fn line_text(&self, line: usize) -> &str {
        let Some(&start) = self.line_starts.get(line.wrapping_sub(1)) else {
            return "";
        };
        let end = self
            .line_starts
            .get(line)
            .copied()
            .unwrap_or(self.text.len());
        let s = self.text.get(start..end).unwrap_or("");
        s.trim_end_matches(['\n', '\r'])
    }

    pub fn line_col(&self, offset: usize) -> LineCol {
        let offset = offset.min(self.text.len());
        let idx = self.line_index(offset);
        let start = self.line_starts[idx];
        let col = self
            .text
            .get(start..offset)
            .map(|s| s.chars().count())
            .unwrap_or(0)
            + 1;
        LineCol { line: idx + 1, col }
    }
}

/// All files read for one configuration, in the order they were read.
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> FileId {
        self.add_included(name, text, None)
    }

    pub fn add_included(
        &mut self,
        name: impl Into<String>,
        text: impl Into<String>,
        included_from: Option<Span>,
    ) -> FileId {
        let id = FileId(self.files.len() as u32);
        self.files
            .push(SourceFile::new(name.into(), text.into(), included_from));
        id
    }

    pub fn file(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f))
    }

    pub fn name(&self, id: FileId) -> &str {
        self.file(id)
            .map(|f| f.name.as_str())
            .unwrap_or("<unknown>")
    }

    pub fn line_col(&self, span: Span) -> LineCol {
        self.file(span.file)
            .map(|f| f.line_col(span.start as usize))
            .unwrap_or(LineCol { line: 0, col: 0 })
    }

    /// The text a span covers.
    pub fn snippet(&self, span: Span) -> &str {
        self.file(span.file)
            .and_then(|f| f.text.get(span.start as usize..span.end as usize))
            .unwrap_or("")
    }

    /// `file:line:col` for a span.
    pub fn location(&self, span: Span) -> String {
        let lc = self.line_col(span);
        format!("{}:{}:{}", self.name(span.file), lc.line, lc.col)
    }

    /// The include chain of a file, innermost first (spans of the `include` lines).
    pub fn include_chain(&self, id: FileId) -> Vec<Span> {
        let mut chain = Vec::new();
        let mut cur = id;
        while let Some(sp) = self.file(cur).and_then(|f| f.included_from) {
            if chain.contains(&sp) || chain.len() > 64 {
                break;
            }
            chain.push(sp);
            cur = sp.file;
        }
        chain
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_chars() {
        let mut sm = SourceMap::new();
        let f = sm.add("a.conf", "ab\n\u{a0}xy\nlast");
        let off = "ab\n\u{a0}x".len();
        assert_eq!(
            sm.line_col(Span::new(f, off, off + 1)),
            LineCol { line: 2, col: 3 }
        );
        assert_eq!(sm.file(f).unwrap().line_text(2), "\u{a0}xy");
        assert_eq!(sm.file(f).unwrap().line_text(3), "last");
        assert_eq!(sm.file(f).unwrap().line_text(9), "");
    }

    #[test]
    fn include_chain_innermost_first() {
        let mut sm = SourceMap::new();
        let a = sm.add("a", "include b\n");
        let b = sm.add_included("b", "include c\n", Some(Span::new(a, 0, 9)));
        let c = sm.add_included("c", "x\n", Some(Span::new(b, 0, 9)));
        let chain = sm.include_chain(c);
        assert_eq!(chain.len(), 2);
        assert_eq!(chain[0].file, b);
        assert_eq!(chain[1].file, a);
    }
}
