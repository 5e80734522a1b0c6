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

/// Split a command the way keepalived does (whitespace, with '…' and "…" quoting).
pub fn command(words: &[Word]) -> Option<Command> {
    let first = words.first()?;
    let span = first.span.to(words[words.len() - 1].span);
    let raw = words
        .iter()
        .map(|w| w.text.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    let argv = split_command(&raw);
    let shell = has_shell_operators(&raw);
    Some(Command {
        raw,
        argv,
        shell,
        span,
    })
}

pub fn split_command(raw: &str) -> Vec<String> {
    let mut argv = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    for c in raw.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => cur.push(c),
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                in_word = true;
            }
            None if c.is_whitespace() => {
                if in_word {
                    argv.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            None => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        argv.push(cur);
    }
    argv
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
