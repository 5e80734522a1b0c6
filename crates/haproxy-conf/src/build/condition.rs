//! `if|unless` conditions: named ACLs, anonymous `{ … }` ACLs, `!`, implicit AND, `or`/`||`.

use crate::codes;
use crate::model::{Acl, AclRef, AclTerm, Condition};
use crate::source::Word;
use conf_diag::{Diagnostic, Diagnostics};

/// ACLs HAProxy predefines.
pub const PREDEFINED_ACLS: &[&str] = &[
    "FALSE",
    "HTTP",
    "HTTP_1.0",
    "HTTP_1.1",
    "HTTP_CONTENT",
    "HTTP_URL_ABS",
    "HTTP_URL_SLASH",
    "HTTP_URL_STAR",
    "LOCALHOST",
    "METH_CONNECT",
    "METH_DELETE",
    "METH_GET",
    "METH_HEAD",
    "METH_OPTIONS",
    "METH_POST",
    "METH_PUT",
    "METH_TRACE",
    "RDP_COOKIE",
    "REQ_CONTENT",
    "TRUE",
    "WAIT_END",
];

/// Splits `words` at `if`/`unless`: the words before, and the parsed condition.
pub fn split<'w>(words: &'w [Word], diags: &mut Diagnostics) -> (&'w [Word], Option<Condition>) {
    let Some(pos) = words
        .iter()
        .position(|w| w.text == "if" || w.text == "unless")
    else {
        return (words, None);
    };
    let unless = words[pos].text == "unless";
    let rest = &words[pos + 1..];
    if rest.is_empty() {
        diags.push(
            Diagnostic::error(
                codes::MISSING_ARG,
                format!("`{}` without a condition", words[pos].text),
            )
            .at(words[pos].span)
            .help("name an ACL after it, e.g. `if is_api` or `if { path_beg /api }`"),
        );
        return (&words[..pos], None);
    }
    (&words[..pos], Some(parse_terms(rest, unless, diags)))
}

fn parse_terms(words: &[Word], unless: bool, diags: &mut Diagnostics) -> Condition {
    let mut any_of: Vec<Vec<AclTerm>> = vec![Vec::new()];
    let mut i = 0;
    let mut negate = false;
    while i < words.len() {
        let w = &words[i];
        // `!{ … }`: the negation may be glued to the brace.
        let text = if w.text == "!{" {
            negate = !negate;
            "{"
        } else {
            w.text.as_str()
        };
        match text {
            "or" | "||" => {
                any_of.push(Vec::new());
                i += 1;
            }
            "!" => {
                negate = !negate;
                i += 1;
            }
            "{" => {
                let Some(close) = words[i + 1..].iter().position(|x| x.text == "}") else {
                    diags.push(
                        Diagnostic::error(codes::BAD_VALUE, "anonymous ACL `{` is not closed")
                            .at(w.span)
                            .help("close it with ` }` (a space before the brace)"),
                    );
                    return Condition { unless, any_of };
                };
                let inner = &words[i + 1..i + 1 + close];
                let span = w.span.to(words[i + 1 + close].span);
                match inner.split_first() {
                    Some((fetch, rest)) => {
                        let (flags, patterns) = split_flags(rest);
                        push(
                            &mut any_of,
                            AclTerm {
                                negate,
                                acl: AclRef::Anonymous(Acl {
                                    name: String::new(),
                                    fetch: fetch.text.clone(),
                                    flags,
                                    patterns,
                                    span,
                                }),
                                span,
                            },
                        );
                    }
                    None => diags.push(
                        Diagnostic::error(codes::BAD_VALUE, "empty anonymous ACL `{ }`")
                            .at(span)
                            .help("write a fetch and patterns inside, e.g. `{ path_beg /api }`"),
                    ),
                }
                negate = false;
                i += close + 2;
            }
            t => {
                let (neg, name) = match t.strip_prefix('!') {
                    Some(n) => (true, n),
                    None => (false, t),
                };
                push(
                    &mut any_of,
                    AclTerm {
                        negate: negate ^ neg,
                        acl: AclRef::Named(name.to_string()),
                        span: w.span,
                    },
                );
                negate = false;
                i += 1;
            }
        }
    }
    any_of.retain(|g| !g.is_empty());
    Condition { unless, any_of }
}

fn push(any_of: &mut [Vec<AclTerm>], t: AclTerm) {
    if let Some(last) = any_of.last_mut() {
        last.push(t);
    }
}

/// `-i`, `-m beg`, `-f file`... before the patterns; `--` ends the flags.
pub fn split_flags(words: &[Word]) -> (Vec<String>, Vec<String>) {
    let mut flags = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let t = words[i].text.as_str();
        if t == "--" {
            i += 1;
            break;
        }
        if !t.starts_with('-') || t.len() < 2 {
            break;
        }
        flags.push(t.to_string());
        // Flags with an argument.
        if matches!(t, "-m" | "-f" | "-M" | "-u") {
            if let Some(a) = words.get(i + 1) {
                flags.push(a.text.clone());
                i += 1;
            }
        }
        i += 1;
    }
    let patterns = words[i.min(words.len())..]
        .iter()
        .map(|w| w.text.clone())
        .collect();
    (flags, patterns)
}
