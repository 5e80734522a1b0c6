//! Line-level reading of keepalived.conf: comments, quotes, braces, `include`,
//! `@id` conditional lines, `$NAME=value` definitions and substitution.
//!
//! The output is a flat list of lines of words, each word with the span it came from,
//! across all included files. Block structure is built by [`crate::syntax`].

use crate::codes;
use conf_diag::Loader;
use conf_diag::{Diagnostic, Diagnostics, FileId, SourceMap, Span};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Maximum include nesting, against include loops.
const MAX_INCLUDE_DEPTH: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub text: String,
    pub span: Span,
    /// Written in double quotes (so `{`/`}` inside are plain text).
    pub quoted: bool,
    /// The word as written, quotes and backslashes included (after `$NAME` substitution):
    /// script lines are split again from this text, the way keepalived splits them.
    pub raw: String,
    /// The blanks between the previous word of the line (or its start) and this one.
    pub pre: String,
}

impl Word {
    pub fn is_open(&self) -> bool {
        !self.quoted && self.text == "{"
    }
    pub fn is_close(&self) -> bool {
        !self.quoted && self.text == "}"
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub words: Vec<Word>,
}

#[derive(Debug, Clone, Default)]
pub struct LexOptions {
    /// The `-i` config id selecting `@id` lines (keepalived defaults it to the host name).
    pub config_id: Option<String>,
}

pub struct Lexer<'a> {
    loader: &'a dyn Loader,
    opts: &'a LexOptions,
    pub map: SourceMap,
    pub diags: Diagnostics,
    pub lines: Vec<Line>,
    defs: HashMap<String, String>,
    /// Lines holding U+00A0, per file, for the one summary warning.
    nbsp_lines: Vec<(FileId, Vec<usize>, Span)>,
    open_files: Vec<PathBuf>,
}

impl<'a> Lexer<'a> {
    pub fn new(loader: &'a dyn Loader, opts: &'a LexOptions) -> Self {
        Lexer {
            loader,
            opts,
            map: SourceMap::new(),
            diags: Diagnostics::new(),
            lines: Vec::new(),
            defs: HashMap::new(),
            nbsp_lines: Vec::new(),
            open_files: Vec::new(),
        }
    }

    /// Read the main file. Returns false if it could not be read at all.
    pub fn lex_root(&mut self, path: &Path) -> Result<(), std::io::Error> {
        let text = self.loader.read(path)?;
        let id = self.map.add(path.display().to_string(), text);
        self.open_files.push(path.to_path_buf());
        self.lex_file(id, path, 0);
        self.open_files.pop();
        self.finish_nbsp();
        Ok(())
    }

    /// Lex text that did not come from a file (tests, fuzzing).
    pub fn lex_text(&mut self, name: &str, text: &str) {
        let id = self.map.add(name, text);
        self.lex_file(id, Path::new(name), 0);
        self.finish_nbsp();
    }

    fn finish_nbsp(&mut self) {
        for (file, lines, first) in std::mem::take(&mut self.nbsp_lines) {
            let list = conf_diag::line_ranges(&lines);
            self.diags.push(
                Diagnostic::warning(
                    codes::NBSP,
                    format!(
                        "non-breaking spaces (U+00A0) in {} on line{} {list}, read as spaces",
                        self.map.name(file),
                        if lines.len() == 1 { "" } else { "s" }
                    ),
                )
                .at(first)
                .help("this usually comes from copying a config out of a web page; replace them with plain spaces"),
            );
        }
    }

    fn lex_file(&mut self, file: FileId, path: &Path, depth: usize) {
        let text = match self.map.file(file) {
            Some(f) => f.text.clone(),
            None => return,
        };
        let mut nbsp: Vec<usize> = Vec::new();
        let mut first_nbsp: Option<Span> = None;
        let mut offset = 0usize;
        for (idx, raw) in text.split('\n').enumerate() {
            let line_start = offset;
            offset += raw.len() + 1;
            let raw = raw.strip_suffix('\r').unwrap_or(raw);
            if let Some(pos) = raw.find('\u{a0}') {
                nbsp.push(idx + 1);
                first_nbsp.get_or_insert(Span::new(file, line_start + pos, line_start + pos + 2));
            }
            self.lex_line(file, path, line_start, raw, depth);
        }
        if let Some(first) = first_nbsp {
            self.nbsp_lines.push((file, nbsp, first));
        }
    }

    fn lex_line(&mut self, file: FileId, path: &Path, base: usize, raw: &str, depth: usize) {
        let mut words = split_words(file, base, raw, &mut self.diags);
        if words.is_empty() {
            return;
        }
        // `@id` / `@^id`: the line applies only to (or to all but) one config id.
        if let Some(sel) = words[0].text.strip_prefix('@') {
            let (negate, id) = match sel.strip_prefix('^') {
                Some(id) => (true, id),
                None => (false, sel),
            };
            let matches = self.opts.config_id.as_deref() == Some(id);
            if matches == negate {
                return;
            }
            words.remove(0);
            if words.is_empty() {
                return;
            }
        }
        // `$NAME=value` defines a substitution for the lines after it.
        if let Some(def) = words[0].text.strip_prefix('$') {
            if let Some((name, first)) = def.split_once('=') {
                if is_def_name(name) {
                    let mut value = first.to_string();
                    for w in &words[1..] {
                        if !value.is_empty() {
                            value.push(' ');
                        }
                        value.push_str(&w.text);
                    }
                    self.defs.insert(name.to_string(), value);
                    return;
                }
            }
        }
        if !self.defs.is_empty() {
            words = self.substitute(words);
            if words.is_empty() {
                return;
            }
        }
        if words[0].text == "include" && !words[0].quoted {
            self.include(path, &words, depth);
            return;
        }
        self.lines.push(Line { words });
    }

    fn substitute(&self, words: Vec<Word>) -> Vec<Word> {
        let mut out = Vec::with_capacity(words.len());
        for w in words {
            if !w.text.contains('$') {
                out.push(w);
                continue;
            }
            let text = expand(&w.text, &self.defs);
            if w.quoted || !text.contains(char::is_whitespace) {
                let raw = expand(&w.raw, &self.defs);
                out.push(Word { text, raw, ..w });
            } else {
                // A definition can stand for several words (or whole blocks' openings).
                for (k, part) in text.split_whitespace().enumerate() {
                    out.push(Word {
                        text: part.to_string(),
                        span: w.span,
                        quoted: false,
                        raw: part.to_string(),
                        pre: if k == 0 { w.pre.clone() } else { " ".into() },
                    });
                }
            }
        }
        out
    }

    fn include(&mut self, path: &Path, words: &[Word], depth: usize) {
        let kw = &words[0];
        if words.len() < 2 {
            self.diags.push(
                Diagnostic::error(codes::MISSING_ARG, "`include` needs a file name or pattern")
                    .at(kw.span)
                    .help("write e.g. `include /etc/keepalived/conf.d/*.conf`"),
            );
            return;
        }
        if depth >= MAX_INCLUDE_DEPTH {
            self.diags.push(
                Diagnostic::error(codes::INCLUDE, "includes nested too deeply")
                    .at(kw.span.to(words[words.len() - 1].span))
                    .help("check for a file that includes itself"),
            );
            return;
        }
        let dir = path.parent().unwrap_or(Path::new("."));
        for pat in &words[1..] {
            let full = if Path::new(&pat.text).is_absolute() {
                PathBuf::from(&pat.text)
            } else {
                dir.join(&pat.text)
            };
            let pattern = full.to_string_lossy().into_owned();
            let matches = if has_glob_chars(&pat.text) {
                self.loader.glob(&pattern)
            } else {
                vec![full.clone()]
            };
            if matches.is_empty() {
                self.diags.push(
                    Diagnostic::warning(
                        codes::INCLUDE,
                        format!("`include {}` matches no file", pat.text),
                    )
                    .at(pat.span)
                    .label("nothing included")
                    .help(format!("patterns are relative to {}", dir.display())),
                );
                continue;
            }
            for m in matches {
                if self.open_files.contains(&m) {
                    self.diags.push(
                        Diagnostic::error(
                            codes::INCLUDE,
                            format!("{} includes itself", m.display()),
                        )
                        .at(pat.span)
                        .help("remove the circular include"),
                    );
                    continue;
                }
                match self.loader.read(&m) {
                    Ok(text) => {
                        let id = self.map.add_included(
                            m.display().to_string(),
                            text,
                            Some(kw.span.to(pat.span)),
                        );
                        self.open_files.push(m.clone());
                        self.lex_file(id, &m, depth + 1);
                        self.open_files.pop();
                    }
                    Err(e) => self.diags.push(
                        Diagnostic::warning(
                            codes::INCLUDE,
                            format!("cannot read included file {}: {e}", m.display()),
                        )
                        .at(pat.span)
                        .label("not included"),
                    ),
                }
            }
        }
    }
}

fn has_glob_chars(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

fn is_def_name(name: &str) -> bool {
    !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit())
}

/// Replace `$NAME` and `${NAME}` by their definitions; unknown names stay as written.
fn expand(text: &str, defs: &HashMap<String, String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        let (name, consumed) = if let Some(inner) = after.strip_prefix('{') {
            match inner.find('}') {
                Some(end) => (&inner[..end], end + 2),
                None => ("", 0),
            }
        } else {
            // Unbraced, the name runs to the end of the word (or the next `$`):
            // keepalived leaves `10.0.0.$V/24` alone.
            let end = after.find('$').unwrap_or(after.len());
            (&after[..end], end)
        };
        match defs.get(name) {
            Some(v) if !name.is_empty() => {
                out.push_str(v);
                rest = &after[consumed..];
            }
            _ => {
                out.push('$');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn is_space(c: char) -> bool {
    c == ' ' || c == '\t' || c == '\u{a0}' || c == '\x0b' || c == '\x0c' || c == '\r'
}

/// Split one line into words: whitespace separates, `#` and `!` start a comment
/// outside quotes, `"…"` is one word, `{` and `}` are words of their own.
pub fn split_words(file: FileId, base: usize, raw: &str, diags: &mut Diagnostics) -> Vec<Word> {
    let mut words = Vec::new();
    let mut chars = raw.char_indices().peekable();
    // Where the blanks before the next word start.
    let mut gap = 0usize;
    let word = |text: String, i: usize, end: usize, quoted: bool, gap: usize| Word {
        text,
        span: Span::new(file, base + i, base + end),
        quoted,
        raw: raw[i..end].to_string(),
        pre: raw[gap..i].to_string(),
    };
    while let Some(&(i, c)) = chars.peek() {
        if is_space(c) {
            chars.next();
            continue;
        }
        if c == '#' || c == '!' {
            break;
        }
        if c == '{' || c == '}' {
            chars.next();
            words.push(word(c.to_string(), i, i + 1, false, gap));
            gap = i + 1;
            continue;
        }
        if c == '"' {
            chars.next();
            let mut text = String::new();
            let mut end = raw.len();
            let mut closed = false;
            for (j, d) in chars.by_ref() {
                if d == '"' {
                    end = j + 1;
                    closed = true;
                    break;
                }
                text.push(d);
            }
            if !closed {
                diags.push(
                    Diagnostic::warning(codes::QUOTE, "quoted string is not closed on this line")
                        .at(Span::new(file, base + i, base + end))
                        .help("add the closing `\"`; the rest of the line was taken as the string"),
                );
            }
            words.push(word(text, i, end, true, gap));
            gap = end;
            continue;
        }
        let mut end = raw.len();
        let mut text = String::new();
        let mut in_ref = false;
        while let Some(&(j, d)) = chars.peek() {
            // `${NAME}` is one word: its braces are not blocks.
            // A comment may start inside a word (`51#x` is 51), as keepalived reads it.
            if is_space(d)
                || d == '"'
                || d == '#'
                || d == '!'
                || (!in_ref && (d == '{' || d == '}'))
            {
                end = j;
                break;
            }
            if d == '$' && raw[j + 1..].starts_with('{') {
                in_ref = true;
            } else if in_ref && d == '}' {
                in_ref = false;
            }
            text.push(d);
            chars.next();
        }
        words.push(word(text, i, end, false, gap));
        gap = end;
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;
    use conf_diag::MemLoader;

    fn lex(text: &str, id: Option<&str>) -> (Vec<Vec<String>>, Diagnostics) {
        let loader = MemLoader::new();
        let opts = LexOptions {
            config_id: id.map(str::to_string),
        };
        let mut lx = Lexer::new(&loader, &opts);
        lx.lex_text("t.conf", text);
        let lines = lx
            .lines
            .iter()
            .map(|l| l.words.iter().map(|w| w.text.clone()).collect())
            .collect();
        (lines, lx.diags)
    }

    #[test]
    fn words_comments_quotes_braces() {
        let (lines, d) = lex(
            "vrrp_script chk{ # c\r\n  script \"/bin/a && b #1\" ! x\n}\n! all\n# all\nvirtual_router_id 51#x\n",
            None,
        );
        assert_eq!(
            lines,
            vec![
                vec!["vrrp_script", "chk", "{"],
                vec!["script", "/bin/a && b #1"],
                vec!["}"],
                vec!["virtual_router_id", "51"]
            ]
        );
        assert!(d.is_empty());
    }

    #[test]
    fn nbsp_is_space_with_one_warning() {
        let (lines, d) = lex("a\u{a0}b\n\u{a0}\nc\u{a0}\n", None);
        assert_eq!(lines, vec![vec!["a", "b"], vec!["c"]]);
        assert_eq!(d.len(), 1);
        let msg = &d.iter().next().unwrap().message;
        assert!(msg.contains("lines 1-3"), "{msg}");
    }

    #[test]
    fn conditional_lines() {
        let text = "@lb01 priority 101\n@lb02 priority 100\n@^lb01 state BACKUP\n";
        assert_eq!(lex(text, Some("lb01")).0, vec![vec!["priority", "101"]]);
        assert_eq!(
            lex(text, Some("lb02")).0,
            vec![vec!["priority", "100"], vec!["state", "BACKUP"]]
        );
    }

    #[test]
    fn definitions_and_substitution() {
        let text = "$IF=eth0\n$VIPS=10.0.0.1 10.0.0.2\ninterface $IF\nx ${IF}.5 $VIPS $NOPE VI_$IF 1.$IF/24\n";
        assert_eq!(
            lex(text, None).0,
            vec![
                vec!["interface", "eth0"],
                vec!["x", "eth0.5", "10.0.0.1", "10.0.0.2", "$NOPE", "VI_eth0", "1.$IF/24"]
            ]
        );
    }

    #[test]
    fn include_relative_glob_and_loop() {
        let loader = MemLoader::new()
            .with(
                "/etc/k/main.conf",
                "include conf.d/*.conf\ninclude self.conf\n",
            )
            .with("/etc/k/conf.d/b.conf", "bee\n")
            .with("/etc/k/conf.d/a.conf", "ay\n")
            .with("/etc/k/self.conf", "include self.conf\n");
        let opts = LexOptions::default();
        let mut lx = Lexer::new(&loader, &opts);
        lx.lex_root(Path::new("/etc/k/main.conf")).unwrap();
        let words: Vec<&str> = lx.lines.iter().map(|l| l.words[0].text.as_str()).collect();
        assert_eq!(words, vec!["ay", "bee"]);
        assert!(lx
            .diags
            .iter()
            .any(|d| d.message.contains("includes itself")));
    }

    #[test]
    fn unclosed_quote_warns() {
        let (lines, d) = lex("script \"abc def\n", None);
        assert_eq!(lines, vec![vec!["script", "abc def"]]);
        assert_eq!(d.len(), 1);
    }
}
