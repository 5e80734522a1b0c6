//! `if|unless` conditions: named ACLs, anonymous `{ … }` ACLs, `!`, implicit AND, `or`/`||`.

use crate::codes;
use crate::model::{Acl, AclRef, AclSources, AclTerm, Condition};
use crate::sample::{self, MatchMethod, SampleError};
use crate::source::Word;
use conf_diag::{Diagnostic, Diagnostics, Span};

/// ACLs HAProxy predefines.
pub const PREDEFINED_ACLS: &[&str] = &[
    "FALSE",
    "HTTP",
    "HTTP_1.0",
    "HTTP_1.1",
    "HTTP_2.0",
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
                    Some((crit, rest)) => {
                        if let Some(acl) = typed_acl("", crit, rest, span, diags) {
                            push(
                                &mut any_of,
                                AclTerm {
                                    negate,
                                    acl: AclRef::Anonymous(acl),
                                    span,
                                },
                            );
                        }
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

/// A sample or ACL problem as a diagnostic at `span`: refused (HAProxy accepts it,
/// proxyd cannot run it yet) or simply wrong.
pub fn sample_diag(e: SampleError, span: Span) -> Diagnostic {
    let code = if e.refused {
        codes::REFUSED
    } else {
        codes::BAD_VALUE
    };
    let mut d = Diagnostic::error(code, e.message)
        .at(span)
        .label(if e.refused {
            "not supported by proxyd yet"
        } else {
            "invalid"
        });
    if let Some(h) = e.help {
        d = d.help(h);
    }
    d
}

/// One ACL line (or `{ }` block), typed: `criterion [flags] [patterns]`.
pub fn typed_acl(
    name: &str,
    crit: &Word,
    rest: &[Word],
    span: Span,
    diags: &mut Diagnostics,
) -> Option<Acl> {
    let (expr, mut method) = match sample::parse_criterion(&crit.text) {
        Ok(v) => v,
        Err(e) => {
            diags.push(sample_diag(e, crit.span));
            return None;
        }
    };
    let mut nocase = false;
    let mut from_files: Vec<String> = Vec::new();
    let mut files: Vec<(String, Vec<String>)> = Vec::new();
    let mut map_keys = false;
    let mut i = 0;
    while i < rest.len() {
        let w = &rest[i];
        let t = w.text.as_str();
        if t == "--" {
            i += 1;
            break;
        }
        if !t.starts_with('-') || t.len() < 2 {
            break;
        }
        match t {
            "-i" => nocase = true,
            "-n" => {}
            // `-f` files are map files: their keys are the patterns.
            "-M" => map_keys = true,
            "-m" | "-u" | "-f" => {
                let Some(v) = rest.get(i + 1) else {
                    diags.push(
                        Diagnostic::error(
                            codes::MISSING_ARG,
                            format!("ACL flag `{t}` expects a value"),
                        )
                        .at(w.span),
                    );
                    return None;
                };
                match t {
                    "-m" => match MatchMethod::named(&v.text) {
                        Some(m) => method = m,
                        None => {
                            let mut d = Diagnostic::error(
                                codes::BAD_VALUE,
                                format!("unknown match method `-m {}`", v.text),
                            )
                            .at(v.span);
                            if let Some(s) =
                                conf_diag::did_you_mean(&v.text, MatchMethod::NAMES.iter().copied())
                            {
                                d = d.help(format!("did you mean `{s}`?"));
                            }
                            diags.push(d);
                            return None;
                        }
                    },
                    // The ACL's unique id: only the runtime API uses it.
                    "-u" => {}
                    // `-f FILE`: a pattern per line.
                    _ => match std::fs::read_to_string(&v.text) {
                        Ok(text) => {
                            // As HAProxy reads them: `#` in the first column, leading
                            // blanks dropped, trailing ones kept (measured).
                            let mut these = Vec::new();
                            for l in text.lines() {
                                if l.starts_with('#') {
                                    continue;
                                }
                                let l = l.trim_start_matches([' ', '\t']).trim_end_matches('\r');
                                if l.is_empty() {
                                    continue;
                                }
                                let l = if map_keys {
                                    l.split([' ', '\t']).next().unwrap_or_default()
                                } else {
                                    l
                                };
                                these.push(l.to_string());
                            }
                            from_files.extend(these.iter().cloned());
                            files.push((v.text.clone(), these));
                        }
                        Err(e) => {
                            diags.push(
                                Diagnostic::error(
                                    codes::BAD_VALUE,
                                    format!("ACL pattern file `{}`: {e}", v.text),
                                )
                                .at(v.span)
                                .help("give a readable file (one pattern per line)"),
                            );
                            return None;
                        }
                    },
                }
                i += 1;
            }
            _ => {
                diags.push(
                    Diagnostic::error(codes::BAD_VALUE, format!("unknown ACL flag `{t}`"))
                        .at(w.span)
                        .help("flags: -i, -m METHOD, -n, -u ID, -f FILE, -M, --"),
                );
                return None;
            }
        }
        i += 1;
    }
    let inline: Vec<String> = rest[i.min(rest.len())..]
        .iter()
        .map(|w| w.text.clone())
        .collect();
    let words: Vec<String> = inline.iter().cloned().chain(from_files).collect();
    let pat_span = rest.get(i).map(|w| w.span).unwrap_or(crit.span);
    match sample::patterns(method, nocase, &words) {
        Ok(patterns) => Some(Acl {
            name: name.to_string(),
            expr,
            method,
            nocase,
            patterns,
            sources: AclSources { inline, files },
            span,
        }),
        Err(e) => {
            diags.push(sample_diag(e, pat_span));
            None
        }
    }
}
