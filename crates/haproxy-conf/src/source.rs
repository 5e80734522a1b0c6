//! Reading: files and directories given with `-f`, line tokenizing, the `.if` family of
//! directives, and grouping lines into sections. Every line keeps its span.

use crate::codes;
use crate::cond::{self, CondContext};
use crate::tokenizer::{self, Env, LexIssue};
use conf_diag::{Diagnostic, Diagnostics, FileId, Loader, SourceMap, Span};
use serde::Serialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub text: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub words: Vec<Word>,
    /// The comment at the end of the line (text after `#`), if any.
    pub comment: Option<Word>,
}

impl Line {
    pub fn span(&self) -> Span {
        match (self.words.first(), self.words.last()) {
            (Some(a), Some(b)) => a.span.to(b.span),
            _ => Span::new(FileId(0), 0, 0),
        }
    }
    pub fn word(&self, i: usize) -> Option<&str> {
        self.words.get(i).map(|w| w.text.as_str())
    }
    /// Span of words `from..` (or of the line when there are none).
    pub fn span_from(&self, from: usize) -> Span {
        match (self.words.get(from), self.words.last()) {
            (Some(a), Some(b)) => a.span.to(b.span),
            _ => self.span(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SectionKind {
    Global,
    Defaults,
    Frontend,
    Backend,
    Listen,
    Userlist,
    Mailers,
    Peers,
    Resolvers,
    Cache,
    Program,
    HttpErrors,
    Ring,
    /// FastCGI applications (only `use-fcgi-app` uses one, and proxyd refuses that).
    FcgiApp,
    /// A syslog forwarder.
    LogForward,
}

impl SectionKind {
    pub const ALL: [(&'static str, SectionKind); 15] = [
        ("global", SectionKind::Global),
        ("defaults", SectionKind::Defaults),
        ("frontend", SectionKind::Frontend),
        ("backend", SectionKind::Backend),
        ("listen", SectionKind::Listen),
        ("userlist", SectionKind::Userlist),
        ("mailers", SectionKind::Mailers),
        ("peers", SectionKind::Peers),
        ("resolvers", SectionKind::Resolvers),
        ("cache", SectionKind::Cache),
        ("program", SectionKind::Program),
        ("http-errors", SectionKind::HttpErrors),
        ("ring", SectionKind::Ring),
        ("fcgi-app", SectionKind::FcgiApp),
        ("log-forward", SectionKind::LogForward),
    ];

    pub fn from_keyword(w: &str) -> Option<SectionKind> {
        Self::ALL.iter().find(|(k, _)| *k == w).map(|(_, s)| *s)
    }

    pub fn keyword(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, s)| *s == self)
            .map(|(k, _)| *k)
            .unwrap_or("?")
    }

    pub fn is_proxy(self) -> bool {
        matches!(
            self,
            SectionKind::Defaults
                | SectionKind::Frontend
                | SectionKind::Backend
                | SectionKind::Listen
        )
    }
}

#[derive(Debug, Clone)]
pub struct Section {
    pub kind: SectionKind,
    /// The section line itself (`frontend web *:80`).
    pub header: Line,
    pub lines: Vec<Line>,
}

/// The HAProxy version whose configuration language proxyd speaks (for `version_atleast`).
pub const COMPAT_VERSION: &str = "2.6.12";

/// Build features `feature()` answers yes to.
pub const FEATURES: &[&str] = &[
    "OPENSSL",
    "THREAD",
    "LINUX_SPLICE",
    "TPROXY",
    "GETADDRINFO",
    "PRCTL",
];

struct Ctx<'a> {
    env: &'a dyn Env,
}

impl CondContext for Ctx<'_> {
    fn defined(&self, name: &str) -> bool {
        self.env.get(name).is_some()
    }
    fn feature(&self, name: &str) -> bool {
        FEATURES.contains(&name)
    }
    fn version(&self) -> &str {
        COMPAT_VERSION
    }
}

/// One `.if` level.
struct IfFrame {
    /// The enclosing level is active.
    parent: bool,
    /// A branch of this `.if` was taken already.
    taken: bool,
    /// The current branch is active.
    active: bool,
    else_seen: bool,
    span: Span,
}

pub struct Reader<'a> {
    loader: &'a dyn Loader,
    env: &'a dyn Env,
    pub map: SourceMap,
    pub diags: Diagnostics,
    pub sections: Vec<Section>,
}

impl<'a> Reader<'a> {
    pub fn new(loader: &'a dyn Loader, env: &'a dyn Env) -> Self {
        Reader {
            loader,
            env,
            map: SourceMap::new(),
            diags: Diagnostics::new(),
            sections: Vec::new(),
        }
    }

    /// Read each `-f` argument: a file, or a directory whose `*.cfg` files are read in name order.
    pub fn read_paths(&mut self, paths: &[PathBuf]) {
        for p in paths {
            if self.loader.is_dir(p) {
                let files: Vec<PathBuf> = self
                    .loader
                    .list_dir(p)
                    .into_iter()
                    // As HAProxy: `*.cfg` files only, dot files skipped.
                    .filter(|f| f.extension().is_some_and(|e| e == "cfg"))
                    .filter(|f| {
                        !f.file_name()
                            .is_some_and(|n| n.to_string_lossy().starts_with('.'))
                    })
                    .collect();
                for f in files {
                    self.read_file(&f);
                }
            } else {
                self.read_file(p);
            }
        }
    }

    fn read_file(&mut self, path: &Path) {
        match self.loader.read(path) {
            Ok(text) => {
                let id = self.map.add(path.display().to_string(), text);
                self.read_source(id);
            }
            Err(e) => self.diags.push(
                Diagnostic::error(
                    codes::READ,
                    format!("cannot read configuration file {}: {e}", path.display()),
                )
                .help("check the path given with -f (default /etc/haproxy/haproxy.cfg)"),
            ),
        }
    }

    /// Read text that did not come from a file (tests, fuzzing).
    pub fn read_text(&mut self, name: &str, text: &str) {
        let id = self.map.add(name, text);
        self.read_source(id);
    }

    fn read_source(&mut self, file: FileId) {
        let text = match self.map.file(file) {
            Some(f) => f.text.clone(),
            None => return,
        };
        let mut offset = 0usize;
        let mut ifs: Vec<IfFrame> = Vec::new();
        let mut nbsp_lines: Vec<usize> = Vec::new();
        let mut first_nbsp: Option<Span> = None;
        for (idx, raw) in text.split('\n').enumerate() {
            let base = offset;
            offset += raw.len() + 1;
            let raw = raw.strip_suffix('\r').unwrap_or(raw);
            let lexed = tokenizer::lex_line(raw);
            for issue in &lexed.issues {
                match issue {
                    LexIssue::Nbsp { at } => {
                        if nbsp_lines.last() != Some(&(idx + 1)) {
                            nbsp_lines.push(idx + 1);
                        }
                        first_nbsp.get_or_insert(Span::new(file, base + at, base + at + 2));
                    }
                    LexIssue::BadEscape { at } => self.diags.push(
                        Diagnostic::error(
                            codes::QUOTE,
                            "`\\x` must be followed by two hexadecimal digits",
                        )
                        .at(Span::new(
                            file,
                            base + at,
                            base + raw[*at..].char_indices().nth(4).map(|(i, _)| at + i).unwrap_or(raw.len()),
                        ))
                        .help("write e.g. `\\x41`, or `\\\\x` for a literal backslash"),
                    ),
                    LexIssue::TooManyWords { at } => self.diags.push(
                        Diagnostic::error(
                            codes::QUOTE,
                            format!("more than {} words on one line", tokenizer::MAX_WORDS),
                        )
                        .at(Span::new(file, base + at, base + raw.len()))
                        .help("HAProxy reads at most 64 words per line: split the list (e.g. several acl lines with the same name)"),
                    ),
                    LexIssue::UnclosedQuote { at } => self.diags.push(
                        Diagnostic::error(codes::QUOTE, "quote is not closed on this line")
                            .at(Span::new(file, base + at, base + raw.len()))
                            .help("close the quote; HAProxy does not continue quotes on the next line"),
                    ),
                }
            }
            let mut undefined = Vec::new();
            let mut words: Vec<Word> = Vec::new();
            for w in &lexed.words {
                let span = Span::new(file, base + w.start, base + w.end);
                if let [tokenizer::Piece::List(name)] = w.pieces.as_slice() {
                    // `"${NAME[*]}"` becomes one word per word of the value.
                    let value = self.env.get(name).unwrap_or_default();
                    words.extend(value.split_whitespace().map(|t| Word {
                        text: t.to_string(),
                        span,
                    }));
                    continue;
                }
                match tokenizer::expand(w, self.env, &mut undefined) {
                    // An empty quoted word ends the line's arguments, as in HAProxy.
                    Some(text) if text.is_empty() => break,
                    Some(text) => words.push(Word {
                        text,
                        span: Span::new(file, base + w.start, base + w.end),
                    }),
                    None => {}
                }
            }
            let active = ifs.last().is_none_or(|f| f.active);
            let Some(first) = words.first() else { continue };
            if first.text.starts_with('.') && self.directive(&words, &mut ifs) {
                continue;
            }
            if !active {
                continue;
            }
            for name in undefined {
                self.diags.push(
                    Diagnostic::warning(
                        codes::ENV,
                        format!("environment variable `{name}` is not set; it expands to nothing"),
                    )
                    .at(Span::new(file, base, base + raw.len()))
                    .help(format!("set it, or give a default: ${{{name}-value}}")),
                );
            }
            let comment = lexed.comment_at.map(|at| Word {
                text: raw[at..].trim_end().to_string(),
                span: Span::new(file, base + at, base + raw.trim_end().len().max(at)),
            });
            self.push_line(Line { words, comment });
        }
        let last_line = {
            let end = text.trim_end_matches('\n').len();
            let start = text[..end].rfind('\n').map(|i| i + 1).unwrap_or(0);
            Span::new(file, start, end)
        };
        for f in ifs {
            self.diags.push(
                Diagnostic::error(codes::DIRECTIVE, "the file ends inside an `.if` block")
                    .at(last_line)
                    .label("no `.endif` before the end")
                    .note(Some(f.span), "the `.if` opened here")
                    .help("add `.endif`"),
            );
        }
        if !text.is_empty() && !text.ends_with('\n') {
            self.diags.push(
                Diagnostic::error(
                    codes::QUOTE,
                    "the last line has no line end: the file may have been cut short",
                )
                .at(last_line)
                .help("check that the file is complete, then end it with a newline (HAProxy refuses such files too)"),
            );
        }
        if let Some(first) = first_nbsp {
            self.diags.push(
                Diagnostic::warning(
                    codes::NBSP,
                    format!(
                        "non-breaking spaces (U+00A0) in {} on line{} {}, read as spaces",
                        self.map.name(file),
                        if nbsp_lines.len() == 1 { "" } else { "s" },
                        conf_diag::line_ranges(&nbsp_lines)
                    ),
                )
                .at(first)
                .help("this usually comes from copying a config out of a web page; replace them with plain spaces (HAProxy rejects them)"),
            );
        }
    }

    /// Handles `.if`-family lines; returns false for an unknown `.word` (then a keyword).
    fn directive(&mut self, words: &[Word], ifs: &mut Vec<IfFrame>) -> bool {
        let kw = &words[0];
        let rest: Vec<&str> = words[1..].iter().map(|w| w.text.as_str()).collect();
        let active = ifs.last().is_none_or(|f| f.active);
        let span = words[0].span.to(words[words.len() - 1].span);
        let eval = |me: &mut Self| -> bool {
            let text = rest.join(" ");
            match cond::parse(&text).and_then(|e| cond::eval(&e, &Ctx { env: me.env })) {
                Ok(b) => b,
                Err(msg) => {
                    me.diags.push(
                        Diagnostic::error(codes::DIRECTIVE, msg)
                            .at(span)
                            .help("predicates: defined(), feature(), streq(), strneq(), version_atleast(), version_before(); combine with !, &&, ||"),
                    );
                    false
                }
            }
        };
        match kw.text.as_str() {
            ".if" => {
                let v = active && eval(self);
                ifs.push(IfFrame {
                    parent: active,
                    taken: v,
                    active: v,
                    else_seen: false,
                    span,
                });
            }
            ".elif" | ".else" => {
                let is_else = kw.text == ".else";
                let Some(top) = ifs.last() else {
                    self.diags.push(
                        Diagnostic::error(codes::DIRECTIVE, format!("`{}` without `.if`", kw.text))
                            .at(kw.span)
                            .help("remove it, or add the `.if` it belongs to"),
                    );
                    return true;
                };
                if top.else_seen {
                    self.diags.push(
                        Diagnostic::error(codes::DIRECTIVE, format!("`{}` after `.else`", kw.text))
                            .at(kw.span),
                    );
                }
                let (parent, taken) = (top.parent, top.taken);
                let v = parent && !taken && (is_else || eval(self));
                if let Some(top) = ifs.last_mut() {
                    top.active = v;
                    top.taken |= v;
                    top.else_seen |= is_else;
                }
            }
            ".endif" => {
                if ifs.pop().is_none() {
                    self.diags.push(
                        Diagnostic::error(codes::DIRECTIVE, "`.endif` without `.if`")
                            .at(kw.span)
                            .help("remove it"),
                    );
                }
            }
            ".diag" | ".notice" | ".warning" | ".alert" => {
                if active {
                    let msg = rest.join(" ");
                    let d = match kw.text.as_str() {
                        ".alert" => Diagnostic::error(codes::USER_MESSAGE, msg),
                        ".warning" => Diagnostic::warning(codes::USER_MESSAGE, msg),
                        _ => Diagnostic::notice(codes::USER_MESSAGE, msg),
                    };
                    self.diags.push(d.at(span));
                }
            }
            _ => return false,
        }
        true
    }

    fn push_line(&mut self, line: Line) {
        let first = line.words[0].text.as_str();
        if let Some(kind) = SectionKind::from_keyword(first) {
            self.sections.push(Section {
                kind,
                header: line,
                lines: Vec::new(),
            });
            return;
        }
        match self.sections.last_mut() {
            Some(s) => s.lines.push(line),
            None => {
                let w = &line.words[0];
                self.diags.push(
                    Diagnostic::error(
                        codes::OUT_OF_SECTION,
                        format!("`{}` is outside any section", w.text),
                    )
                    .at(w.span)
                    .label("no section above")
                    .help("put it inside `global`, `defaults`, `frontend`, `backend` or `listen`"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokenizer::NoEnv;
    use conf_diag::MemLoader;
    use std::collections::HashMap;

    fn read(text: &str, env: &dyn Env) -> Reader<'static> {
        let loader: &'static MemLoader = Box::leak(Box::new(MemLoader::new()));
        let env: &'static dyn Env = Box::leak(Box::new(
            ["A", "B"]
                .iter()
                .filter(|k| env.get(k).is_some())
                .map(|k| (k.to_string(), env.get(k).unwrap_or_default()))
                .collect::<HashMap<String, String>>(),
        ));
        let mut r = Reader::new(loader, env);
        r.read_text("t.cfg", text);
        r
    }

    #[test]
    fn sections_whatever_the_indentation() {
        let r = read(
            "global\n  daemon\n  defaults\n mode http\nfrontend f\n bind :80\n",
            &NoEnv,
        );
        let kinds: Vec<SectionKind> = r.sections.iter().map(|s| s.kind).collect();
        assert_eq!(
            kinds,
            vec![
                SectionKind::Global,
                SectionKind::Defaults,
                SectionKind::Frontend
            ]
        );
        assert_eq!(r.sections[2].lines[0].word(1), Some(":80"));
    }

    #[test]
    fn if_elif_else() {
        let env: HashMap<String, String> =
            [("A".to_string(), "1".to_string())].into_iter().collect();
        let text = "global\n.if defined(A)\n a1\n.elif defined(B)\n b1\n.else\n c1\n.endif\n.if defined(B)\n x\n.else\n y\n.endif\n";
        let r = read(text, &env);
        let kws: Vec<&str> = r.sections[0]
            .lines
            .iter()
            .filter_map(|l| l.word(0))
            .collect();
        assert_eq!(kws, vec!["a1", "y"]);
        assert!(r.diags.is_empty(), "{:?}", r.diags);
    }

    #[test]
    fn directives_report() {
        let r = read(
            "global\n.alert \"stop here\"\n.warning careful\n.if 1\n",
            &NoEnv,
        );
        assert_eq!(r.diags.count(conf_diag::Severity::Error), 2);
        assert_eq!(r.diags.count(conf_diag::Severity::Warning), 1);
    }

    #[test]
    fn outside_section_and_nbsp() {
        let r = read("mode http\nglobal\n\u{a0}\u{a0}daemon\n", &NoEnv);
        assert!(r.diags.has_code(codes::OUT_OF_SECTION));
        assert!(r.diags.has_code(codes::NBSP));
        assert_eq!(r.sections[0].lines[0].word(0), Some("daemon"));
    }
}
