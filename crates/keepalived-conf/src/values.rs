//! Parsing of single values (numbers, durations, addresses, commands) with diagnostics.

use crate::codes;
use crate::lexer::Word;
use crate::model::Command;
use conf_diag::{Diagnostic, Diagnostics};
use std::net::IpAddr;

/// An integer in `lo..=hi`; reports and returns None otherwise.
pub fn int_in(diags: &mut Diagnostics, kw: &str, w: &Word, lo: i64, hi: i64) -> Option<i64> {
    match w.text.parse::<i64>() {
        Ok(v) if (lo..=hi).contains(&v) => Some(v),
        Ok(v) => {
            diags.push(
                Diagnostic::error(codes::OUT_OF_RANGE, format!("`{kw}` {v} is out of range"))
                    .at(w.span)
                    .label(format!("must be {lo}..{hi}"))
                    .help(format!("use a whole number from {lo} to {hi}")),
            );
            None
        }
        Err(_) => {
            diags.push(
                Diagnostic::error(
                    codes::BAD_VALUE,
                    format!("`{kw}` expects a whole number, found `{}`", w.text),
                )
                .at(w.span)
                .label("not a number")
                .help(format!("use a whole number from {lo} to {hi}")),
            );
            None
        }
    }
}

/// A decimal number of seconds in `lo..=hi`, returned in microseconds.
pub fn seconds_in(diags: &mut Diagnostics, kw: &str, w: &Word, lo: f64, hi: f64) -> Option<u64> {
    let ok = !w.text.is_empty()
        && w.text.chars().all(|c| c.is_ascii_digit() || c == '.')
        && w.text.matches('.').count() <= 1;
    match w.text.parse::<f64>() {
        Ok(v) if ok && v >= lo && v <= hi => Some((v * 1_000_000.0).round() as u64),
        Ok(v) if ok => {
            diags.push(
                Diagnostic::error(codes::OUT_OF_RANGE, format!("`{kw}` {v} is out of range"))
                    .at(w.span)
                    .label(format!("must be {lo}..{hi} seconds"))
                    .help(format!("use a number of seconds from {lo} to {hi}")),
            );
            None
        }
        _ => {
            diags.push(
                Diagnostic::error(
                    codes::BAD_VALUE,
                    format!("`{kw}` expects a number of seconds, found `{}`", w.text),
                )
                .at(w.span)
                .label("not a number")
                .help("write seconds as a number, e.g. `1` or `0.5`"),
            );
            None
        }
    }
}

pub fn ip(diags: &mut Diagnostics, kw: &str, w: &Word) -> Option<IpAddr> {
    match w.text.parse::<IpAddr>() {
        Ok(a) => Some(a),
        Err(_) => {
            diags.push(
                Diagnostic::error(
                    codes::BAD_ADDRESS,
                    format!("`{kw}`: `{}` is not an IP address", w.text),
                )
                .at(w.span)
                .label("not an IPv4 or IPv6 address")
                .help("write an address such as 192.168.10.3 or fd00::3"),
            );
            None
        }
    }
}

/// `ADDR[/LEN]`, with the prefix checked against the family.
pub fn ip_prefix(diags: &mut Diagnostics, w: &Word) -> Option<(IpAddr, u8, bool)> {
    let (a, p) = match w.text.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (w.text.as_str(), None),
    };
    let Ok(addr) = a.parse::<IpAddr>() else {
        diags.push(
            Diagnostic::error(
                codes::BAD_ADDRESS,
                format!("`{}` is not an IP address", w.text),
            )
            .at(w.span)
            .label("not an IPv4 or IPv6 address")
            .help("write an address such as 192.168.10.3, 192.168.10.3/24 or fd00::3/64"),
        );
        return None;
    };
    let max = if addr.is_ipv4() { 32 } else { 128 };
    match p {
        None => Some((addr, max, false)),
        Some(p) => match p.parse::<u8>() {
            Ok(n) if n <= max => Some((addr, n, true)),
            _ => {
                diags.push(
                    Diagnostic::error(
                        codes::BAD_ADDRESS,
                        format!("prefix length `/{p}` is not valid for {addr}"),
                    )
                    .at(w.span)
                    .label(format!("must be /0../{max}"))
                    .help(format!("use a prefix length from 0 to {max}")),
                );
                None
            }
        },
    }
}

/// Words keepalived treats as the start of a shell construct it will not interpret.
const SHELL_OPS: &[&str] = &["&&", "||", "|", ";", "$(", "`", ">", "<", "&"];

/// A quote left open at the end of a script line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("missing terminating {0}")]
pub struct Unterminated(pub char);

/// The text of a node's arguments as written (quotes, backslashes and the blanks between
/// words kept), which keepalived splits again for script keywords.
pub fn raw_args(words: &[Word]) -> String {
    let mut s = String::new();
    for w in words {
        if !s.is_empty() {
            s.push_str(&w.pre);
        }
        s.push_str(&w.raw);
    }
    s
}

fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c')
}

/// One backslash escape (the backslash already read): `\a \b \E \f \n \r \t \v`, up to
/// three octal digits, `\x` and hex digits, `\cC` (control-C); any other `\C` is C.
fn escape(it: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<char> {
    let c = it.next()?;
    Some(match c {
        'a' => '\x07',
        'b' => '\x08',
        'E' => '\x1b',
        'f' => '\x0c',
        'n' => '\n',
        'r' => '\r',
        't' => '\t',
        'v' => '\x0b',
        '0'..='7' => {
            let mut v = c.to_digit(8).unwrap_or(0);
            for _ in 0..2 {
                match it.peek().and_then(|d| d.to_digit(8)) {
                    Some(d) => {
                        v = v * 8 + d;
                        it.next();
                    }
                    None => break,
                }
            }
            char::from((v & 0xff) as u8)
        }
        'x' => {
            let mut v: u32 = 0;
            let mut any = false;
            while let Some(d) = it.peek().and_then(|d| d.to_digit(16)) {
                v = (v << 4 | d) & 0xff;
                any = true;
                it.next();
            }
            if any {
                char::from(v as u8)
            } else {
                'x'
            }
        }
        'c' => match it.next() {
            Some(k) if k.is_ascii() => char::from((k as u8) & 0x1f),
            Some(k) => k,
            None => 'c',
        },
        other => other,
    })
}

/// Split text into words the way keepalived splits script lines and commands: blanks
/// separate words; `"…"` and `'…'` group (the quote characters are dropped, and quoted and
/// unquoted parts next to each other make one word); a backslash escapes the next
/// character, inside quotes too (`\'` inside '…' is a quote character, unlike the shell).
pub fn split_quoted(text: &str) -> Result<Vec<String>, Unterminated> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut it = text.chars().peekable();
    while let Some(c) = it.next() {
        match quote {
            _ if c == '\\' => {
                // keepalived refuses a line ending in a lone backslash.
                cur.push(escape(&mut it).ok_or(Unterminated('\\'))?);
                in_word = true;
            }
            Some(q) if c == q => quote = None,
            Some(_) => cur.push(c),
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                in_word = true;
            }
            None if is_blank(c) => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            None => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if let Some(q) = quote {
        return Err(Unterminated(q));
    }
    if in_word {
        out.push(cur);
    }
    Ok(out)
}

/// A command string (the first word of a script line) as a [`Command`].
pub fn command_from(cmd: &str, span: conf_diag::Span) -> Result<Command, Unterminated> {
    Ok(Command {
        raw: cmd.to_string(),
        argv: split_quoted(cmd)?,
        shell: has_shell_operators(cmd),
        user: None,
        span,
    })
}

/// Split a command as keepalived does (whitespace, with '…' and "…" quoting).
pub fn split_command(raw: &str) -> Vec<String> {
    split_quoted(raw).unwrap_or_else(|_| raw.split_whitespace().map(str::to_string).collect())
}

/// True if the command uses shell syntax outside quotes.
pub fn has_shell_operators(raw: &str) -> bool {
    let mut quote: Option<char> = None;
    let chars: Vec<char> = raw.chars().collect();
    for (idx, &c) in chars.iter().enumerate() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => quote = Some(c),
            None => {
                let rest: String = chars[idx..].iter().take(2).collect();
                if SHELL_OPS.iter().any(|op| rest.starts_with(op)) {
                    return true;
                }
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_group_and_escapes_like_keepalived() {
        // Measured with keepalived 2.2.7 (arguments a check script received).
        let q = |s: &str| split_quoted(s).unwrap();
        assert_eq!(q("'/x -0 haproxy'"), vec!["/x -0 haproxy"]);
        assert_eq!(q("/x -0 haproxy"), vec!["/x", "-0", "haproxy"]);
        assert_eq!(q("/x a 'b c' d"), vec!["/x", "a", "b c", "d"]);
        assert_eq!(q("/x x \"y z\" w"), vec!["/x", "x", "y z", "w"]);
        assert_eq!(q("'/x'y   z"), vec!["/xy", "z"]);
        assert_eq!(q("/x\"a b\" c"), vec!["/xa b", "c"]);
        assert_eq!(q("\"/x a\\tb\""), vec!["/x a\tb"]);
        assert_eq!(q("\\x41\\101 \\\\q"), vec!["AA", "\\q"]);
        assert_eq!(q("\"'a\\\"b' c\""), vec!["'a\"b' c"]);
        assert_eq!(q("two  'x   y'"), vec!["two", "x   y"]);
        assert_eq!(q("'/x'\"\" '' \"\" e"), vec!["/x", "", "", "e"]);
        assert_eq!(split_quoted("'/x a"), Err(Unterminated('\'')));
        // Inside '…' a backslash escapes too: `\'` does not end the quote.
        assert_eq!(q("'/x a\\' b'"), vec!["/x a' b"]);
        assert_eq!(split_quoted("/x a\\"), Err(Unterminated('\\')));
        assert_eq!(split_quoted("\"/x a\\\""), Err(Unterminated('"')));
    }

    #[test]
    fn splits_like_keepalived() {
        assert_eq!(
            split_command("/usr/bin/curl -k 'https://x/y z' \"a b\""),
            vec!["/usr/bin/curl", "-k", "https://x/y z", "a b"]
        );
    }

    #[test]
    fn shell_operators() {
        assert!(has_shell_operators(
            "/usr/bin/killall -0 haproxy && /usr/bin/curl -k 'https://localhost/'"
        ));
        assert!(has_shell_operators("pidof haproxy | wc -l"));
        assert!(has_shell_operators("check > /dev/null"));
        assert!(!has_shell_operators("/usr/bin/killall -0 haproxy"));
        assert!(!has_shell_operators("/bin/echo 'a && b'"));
    }
}
