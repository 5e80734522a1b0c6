//! Splits one haproxy.cfg line into words, as HAProxy splits them: spaces and tabs separate,
//! `#` starts a comment, `\` escapes, `"…"` groups (with escapes and `$VAR` expansion),
//! `'…'` groups literally; `$VAR` / `${VAR}` / `${VAR-default}` expand inside double quotes
//! only (HAProxy leaves them literal elsewhere; addresses expand them on their own).
//!
//! The grammar of a word is written with nom; expansion goes through an [`Env`] so tests
//! never touch the process environment.

use nom::branch::alt;
use nom::bytes::complete::{tag, take_while, take_while1, take_while_m_n};
use nom::character::complete::{anychar, char};
use nom::combinator::{map, opt, value};
use nom::multi::many0;
use nom::sequence::{delimited, preceded};
use nom::{IResult, Parser};
use std::collections::HashMap;

/// Where `$VAR` values come from.
pub trait Env {
    fn get(&self, name: &str) -> Option<String>;
}

impl Env for HashMap<String, String> {
    fn get(&self, name: &str) -> Option<String> {
        HashMap::get(self, name).cloned()
    }
}

/// No variables at all.
pub struct NoEnv;
impl Env for NoEnv {
    fn get(&self, _: &str) -> Option<String> {
        None
    }
}

/// A piece of a word before expansion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Lit(String),
    Var {
        name: String,
        default: Option<String>,
    },
    /// `${NAME[*]}`: the value's words become separate words.
    List(String),
    /// `\x` not followed by two hex digits (an error in HAProxy).
    BadEscape,
}

/// A word as written: its pieces and byte range in the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawWord {
    pub pieces: Vec<Piece>,
    pub start: usize,
    pub end: usize,
    /// Some part was quoted (so an empty expansion still makes a word).
    pub quoted: bool,
}

/// Problems the tokenizer itself finds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LexIssue {
    UnclosedQuote {
        at: usize,
    },
    BadEscape {
        at: usize,
    },
    TooManyWords {
        at: usize,
    },
    /// U+00A0 read as a space.
    Nbsp {
        at: usize,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LexedLine {
    pub words: Vec<RawWord>,
    pub issues: Vec<LexIssue>,
    /// Byte offset of the `#` that starts a comment, if any.
    pub comment_at: Option<usize>,
}

fn is_space(c: char) -> bool {
    c == ' ' || c == '\t' || c == '\r' || c == '\u{a0}'
}

fn is_plain(c: char) -> bool {
    !is_space(c) && !matches!(c, '"' | '\'' | '\\' | '#')
}

fn is_var_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// `\x`: the escapes HAProxy knows; any other character stands for itself.
fn escape(i: &str) -> IResult<&str, Piece> {
    preceded(
        char('\\'),
        alt((
            map(
                preceded(
                    char('x'),
                    take_while_m_n(2, 2, |c: char| c.is_ascii_hexdigit()),
                ),
                |h: &str| {
                    let b = u8::from_str_radix(h, 16).unwrap_or(b'?');
                    Piece::Lit(char::from(b).to_string())
                },
            ),
            map(char('x'), |_| Piece::BadEscape),
            value(Piece::Lit("\r".into()), char('r')),
            value(Piece::Lit("\n".into()), char('n')),
            value(Piece::Lit("\t".into()), char('t')),
            map(anychar, |c| Piece::Lit(c.to_string())),
        )),
    )
    .parse(i)
}

/// `$NAME`, `${NAME}`, `${NAME-default}`; a lone `$` is literal.
fn var(i: &str) -> IResult<&str, Piece> {
    preceded(
        char('$'),
        alt((
            map(
                delimited(tag("{"), take_while1(is_var_char), tag("[*]}")),
                |n: &str| Piece::List(n.to_string()),
            ),
            map(
                delimited(
                    char('{'),
                    (
                        take_while1(is_var_char),
                        opt(preceded(char('-'), take_while(|c| c != '}'))),
                    ),
                    char('}'),
                ),
                |(n, d): (&str, Option<&str>)| Piece::Var {
                    name: n.to_string(),
                    default: d.map(str::to_string),
                },
            ),
            map(take_while1(is_var_char), |n: &str| Piece::Var {
                name: n.to_string(),
                default: None,
            }),
            map(tag(""), |_| Piece::Lit("$".into())),
        )),
    )
    .parse(i)
}

fn plain(i: &str) -> IResult<&str, Piece> {
    map(take_while1(is_plain), |s: &str| Piece::Lit(s.to_string())).parse(i)
}

/// Inside double quotes: escapes and variables work, spaces and `#` are text.
fn dq_inner(i: &str) -> IResult<&str, Vec<Piece>> {
    many0(alt((
        escape,
        var,
        map(
            take_while1(|c| !matches!(c, '"' | '\\' | '$')),
            |s: &str| Piece::Lit(s.to_string()),
        ),
    )))
    .parse(i)
}

/// One segment of a word; the bool says whether it was quoted, the option whether
/// a quote was left open.
fn segment(i: &str) -> IResult<&str, (Vec<Piece>, bool, bool)> {
    alt((
        map(
            preceded(char('"'), (dq_inner, opt(char('"')))),
            |(p, close)| (p, true, close.is_none()),
        ),
        map(
            preceded(char('\''), (take_while(|c| c != '\''), opt(char('\'')))),
            |(s, close): (&str, Option<char>)| {
                (vec![Piece::Lit(s.to_string())], true, close.is_none())
            },
        ),
        map(escape, |p| (vec![p], false, false)),
        map(plain, |p| (vec![p], false, false)),
    ))
    .parse(i)
}

/// Tokenize one line (without its line end).
pub fn lex_line(line: &str) -> LexedLine {
    let mut out = LexedLine::default();
    for (pos, c) in line.char_indices() {
        if c == '\u{a0}' {
            out.issues.push(LexIssue::Nbsp { at: pos });
        }
    }
    let mut rest = line;
    loop {
        rest = rest.trim_start_matches(is_space);
        if rest.starts_with('#') {
            out.comment_at = Some(line.len() - rest.len());
            break;
        }
        if rest.is_empty() {
            break;
        }
        let start = line.len() - rest.len();
        let mut word = RawWord {
            pieces: Vec::new(),
            start,
            end: start,
            quoted: false,
        };
        while let Ok((r, (pieces, quoted, unclosed))) = segment(rest) {
            if r.len() == rest.len() {
                break;
            }
            if unclosed {
                out.issues.push(LexIssue::UnclosedQuote {
                    at: line.len() - rest.len(),
                });
            }
            if pieces.contains(&Piece::BadEscape) {
                out.issues.push(LexIssue::BadEscape {
                    at: line.len() - rest.len(),
                });
            }
            word.pieces.extend(pieces);
            word.quoted |= quoted;
            rest = r;
        }
        word.end = line.len() - rest.len();
        if word.end == start {
            // Nothing matched (cannot happen with the segments above); skip a char.
            let mut chars = rest.chars();
            chars.next();
            rest = chars.as_str();
            continue;
        }
        out.words.push(word);
    }
    if out.words.len() > MAX_WORDS {
        let at = out.words[MAX_WORDS].start;
        out.issues.push(LexIssue::TooManyWords { at });
        out.words.truncate(MAX_WORDS);
    }
    out
}

/// HAProxy reads at most this many words per line.
pub const MAX_WORDS: usize = 64;

/// Expand a word's variables. `None` when the word disappears (an unquoted word whose
/// variables are all empty, as HAProxy drops it).
pub fn expand(word: &RawWord, env: &dyn Env, undefined: &mut Vec<String>) -> Option<String> {
    let mut s = String::new();
    for p in &word.pieces {
        match p {
            Piece::Lit(t) => s.push_str(t),
            Piece::BadEscape => s.push_str("\\x"),
            Piece::List(name) => match env.get(name) {
                Some(v) => s.push_str(&v),
                None => undefined.push(name.clone()),
            },
            Piece::Var { name, default } => match env.get(name) {
                Some(v) => s.push_str(&v),
                None => match default {
                    Some(d) => s.push_str(d),
                    None => undefined.push(name.clone()),
                },
            },
        }
    }
    if s.is_empty() && !word.quoted {
        None
    } else {
        Some(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        let env: HashMap<String, String> = [
            ("HOME".to_string(), "/root".to_string()),
            ("P".to_string(), "80".to_string()),
        ]
        .into_iter()
        .collect();
        let mut undef = Vec::new();
        lex_line(line)
            .words
            .iter()
            .filter_map(|w| expand(w, &env, &mut undef))
            .collect()
    }

    #[test]
    fn splits_and_comments() {
        assert_eq!(words("  bind  *:80\t# web"), vec!["bind", "*:80"]);
        assert_eq!(words("# all comment"), Vec::<String>::new());
        assert_eq!(words("acl a path /x#frag"), vec!["acl", "a", "path", "/x"]);
    }

    #[test]
    fn escapes_and_quotes() {
        assert_eq!(
            words(r"stats realm Haproxy\ Statistics"),
            vec!["stats", "realm", "Haproxy Statistics"]
        );
        assert_eq!(
            words(r#"x "a b" 'c $HOME' "d $HOME" e\#f"#),
            vec!["x", "a b", "c $HOME", "d /root", "e#f"]
        );
        assert_eq!(words(r#"x ab"cd ef"gh"#), vec!["x", "abcd efgh"]);
        assert_eq!(words(r"x \x41\n"), vec!["x", "A\n"]);
    }

    #[test]
    fn variables_expand_in_double_quotes_only() {
        assert_eq!(
            words(r#"bind ":$P" ":${P}" "${NOPE-8080}" '$P' $P"#),
            vec!["bind", ":80", ":80", "8080", "$P", "$P"]
        );
        assert_eq!(words(r#"x "${P[*]}""#), vec!["x", "80"]);
        let l = lex_line(r"x \xZZ");
        assert!(matches!(l.issues[0], LexIssue::BadEscape { .. }));
        let many = format!("x{}", " w".repeat(70));
        assert!(matches!(
            lex_line(&many).issues[0],
            LexIssue::TooManyWords { .. }
        ));
        assert_eq!(words(r#"x "$NOPE""#), vec!["x", ""]);
        assert_eq!(words("x a$"), vec!["x", "a$"]);
    }

    #[test]
    fn nbsp_is_space_and_reported() {
        let l = lex_line("\u{a0}\u{a0}mode http");
        assert_eq!(l.words.len(), 2);
        assert_eq!(l.issues.len(), 2);
    }

    #[test]
    fn unclosed_quote_reported() {
        let l = lex_line("x \"abc");
        assert_eq!(l.words.len(), 2);
        assert!(matches!(l.issues[0], LexIssue::UnclosedQuote { .. }));
    }
}
