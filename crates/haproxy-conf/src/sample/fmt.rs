//! log-format strings, typed: literal text, `%[expr]` sample expressions and `%xx`
//! variables with their `%{+Q,+X,+E}` options. Used by header actions, `redirect`,
//! `return lf-string`, `set-var-fmt`, `log-format` and the other `*-format` keywords.
//! Parsed as HAProxy 2.6 parses them; its error texts are the model for ours.

use super::{parse_expr, Expr, SampleError};
use serde::Serialize;

/// `%{...}` options.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct FmtOpts {
    /// `+Q`: in double quotes.
    pub quote: bool,
    /// `+X`: numbers in hexadecimal.
    pub hex: bool,
    /// `+E`: `"`, `\`, `]` escaped with a backslash.
    pub escape: bool,
    /// `+M` / `-M`: a missing value written `-` or as nothing; unset, as the place
    /// decides (`-` in log lines, nothing in rules).
    pub mandatory: Option<bool>,
}

/// The `%` variables of log-format (HAProxy's configuration manual, 8.2.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Alias {
    /// `%B` bytes from server to client.
    BytesRead,
    /// `%CC` / `%CS` captured request / response cookie.
    CapturedReqCookie,
    CapturedResCookie,
    /// `%H` the host name.
    Hostname,
    /// `%HM`, `%HP`, `%HPO`, `%HQ`, `%HU`, `%HV`: parts of the request line.
    HttpMethod,
    HttpPath,
    HttpPathOnly,
    HttpQuery,
    HttpUri,
    HttpVersion,
    /// `%ID` the unique id.
    UniqueId,
    /// `%ST` the status code.
    Status,
    /// `%T` GMT date, `%Tl` local date, `%Ts` timestamp.
    GmtDate,
    LocalDate,
    Timestamp,
    /// The timers: `%Ta`, `%Tc`, `%Td`, `%Th`, `%Ti`, `%Tq`, `%TR`, `%Tr`, `%Tt`, `%Tu`, `%Tw`.
    Ta,
    Tc,
    Td,
    Th,
    Ti,
    Tq,
    TR,
    Tr,
    Tt,
    Tu,
    Tw,
    /// `%U` bytes from client to server.
    BytesUploaded,
    /// `%ac` `%bc` `%fc` `%sc` connection counts; `%bq` `%sq` queues.
    ActConn,
    BeConn,
    FeConn,
    SrvConn,
    BeQueue,
    SrvQueue,
    /// `%b` backend, `%bi`/`%bp` the address connecting to the server.
    Backend,
    BackendSourceIp,
    BackendSourcePort,
    /// `%ci`/`%cp` the client, `%fi`/`%fp` the address it reached.
    ClientIp,
    ClientPort,
    FrontendIp,
    FrontendPort,
    /// `%f` frontend, `%ft` frontend with `~` when over TLS.
    Frontend,
    FrontendTransport,
    /// `%lc` the frontend's log counter.
    LogCounter,
    /// `%hr` `%hrl` `%hs` `%hsl` captured headers.
    CapturedReqHeaders,
    CapturedReqHeadersList,
    CapturedResHeaders,
    CapturedResHeadersList,
    /// `%ms` accept date milliseconds.
    AcceptMs,
    Pid,
    /// `%r` the request line.
    Request,
    /// `%rc` retries, `%rt` request counter.
    Retries,
    RequestCounter,
    /// `%s` server, `%si`/`%sp` its address.
    Server,
    ServerIp,
    ServerPort,
    /// `%sslc` / `%sslv` TLS cipher and version.
    SslCipher,
    SslVersion,
    /// `%t` accept date, `%tr` `%trg` `%trl` request dates.
    AcceptDate,
    RequestDate,
    RequestGmtDate,
    RequestLocalDate,
    /// `%ts` / `%tsc` termination state.
    TermState,
    TermStateCookie,
}

const ALIASES: &[(&str, Alias)] = &[
    ("B", Alias::BytesRead),
    ("CC", Alias::CapturedReqCookie),
    ("CS", Alias::CapturedResCookie),
    ("H", Alias::Hostname),
    ("HM", Alias::HttpMethod),
    ("HP", Alias::HttpPath),
    ("HPO", Alias::HttpPathOnly),
    ("HQ", Alias::HttpQuery),
    ("HU", Alias::HttpUri),
    ("HV", Alias::HttpVersion),
    ("ID", Alias::UniqueId),
    ("ST", Alias::Status),
    ("T", Alias::GmtDate),
    ("Ta", Alias::Ta),
    ("Tc", Alias::Tc),
    ("Td", Alias::Td),
    ("Th", Alias::Th),
    ("Ti", Alias::Ti),
    ("Tl", Alias::LocalDate),
    ("Tq", Alias::Tq),
    ("TR", Alias::TR),
    ("Tr", Alias::Tr),
    ("Ts", Alias::Timestamp),
    ("Tt", Alias::Tt),
    ("Tu", Alias::Tu),
    ("Tw", Alias::Tw),
    ("U", Alias::BytesUploaded),
    ("ac", Alias::ActConn),
    ("b", Alias::Backend),
    ("bc", Alias::BeConn),
    ("bi", Alias::BackendSourceIp),
    ("bp", Alias::BackendSourcePort),
    ("bq", Alias::BeQueue),
    ("ci", Alias::ClientIp),
    ("cp", Alias::ClientPort),
    ("f", Alias::Frontend),
    ("fc", Alias::FeConn),
    ("fi", Alias::FrontendIp),
    ("fp", Alias::FrontendPort),
    ("ft", Alias::FrontendTransport),
    ("lc", Alias::LogCounter),
    ("hr", Alias::CapturedReqHeaders),
    ("hrl", Alias::CapturedReqHeadersList),
    ("hs", Alias::CapturedResHeaders),
    ("hsl", Alias::CapturedResHeadersList),
    ("ms", Alias::AcceptMs),
    ("pid", Alias::Pid),
    ("r", Alias::Request),
    ("rc", Alias::Retries),
    ("rt", Alias::RequestCounter),
    ("s", Alias::Server),
    ("sc", Alias::SrvConn),
    ("si", Alias::ServerIp),
    ("sp", Alias::ServerPort),
    ("sq", Alias::SrvQueue),
    ("sslc", Alias::SslCipher),
    ("sslv", Alias::SslVersion),
    ("t", Alias::AcceptDate),
    ("tr", Alias::RequestDate),
    ("trg", Alias::RequestGmtDate),
    ("trl", Alias::RequestLocalDate),
    ("ts", Alias::TermState),
    ("tsc", Alias::TermStateCookie),
];

impl Alias {
    pub fn named(name: &str) -> Option<Alias> {
        ALIASES.iter().find(|(n, _)| *n == name).map(|(_, a)| *a)
    }

    pub fn name(self) -> &'static str {
        ALIASES
            .iter()
            .find(|(_, a)| *a == self)
            .map(|(n, _)| *n)
            .unwrap_or("?")
    }

    pub fn names() -> impl Iterator<Item = &'static str> {
        ALIASES.iter().map(|(n, _)| *n)
    }
}

/// One piece of a log-format string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum FmtPart {
    Lit(String),
    /// A run of spaces, as written. In a log line it is one separator: one space, and
    /// none at the start or right after another (HAProxy's log lines: `a  b` is `a b`,
    /// ` x` is `x`); in a rule's value (headers, bodies, variables) the spaces are kept
    /// as they are (measured with HAProxy 2.6).
    Sep(String),
    Sample {
        expr: Expr,
        opts: FmtOpts,
    },
    Alias {
        alias: Alias,
        opts: FmtOpts,
    },
}

/// A log-format string.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Fmt {
    pub parts: Vec<FmtPart>,
}

impl Fmt {
    /// A literal value (no `%`).
    pub fn literal(text: &str) -> Fmt {
        Fmt {
            parts: if text.is_empty() {
                Vec::new()
            } else {
                vec![FmtPart::Lit(text.to_string())]
            },
        }
    }

    /// The text when the string has no variable part, as a rule's value writes it.
    pub fn as_literal(&self) -> Option<String> {
        let mut out = String::new();
        for p in &self.parts {
            match p {
                FmtPart::Lit(t) | FmtPart::Sep(t) => out.push_str(t),
                _ => return None,
            }
        }
        Some(out)
    }

    pub fn samples(&self) -> impl Iterator<Item = &Expr> {
        self.parts.iter().filter_map(|p| match p {
            FmtPart::Sample { expr, .. } => Some(expr),
            _ => None,
        })
    }

    pub fn aliases(&self) -> impl Iterator<Item = Alias> + '_ {
        self.parts.iter().filter_map(|p| match p {
            FmtPart::Alias { alias, .. } => Some(*alias),
            _ => None,
        })
    }
}

fn err(message: String, help: Option<&str>) -> SampleError {
    SampleError {
        message,
        help: help.map(str::to_string),
        refused: false,
    }
}

/// The end of a `%[...]` expression: the `]` outside parentheses and quotes.
fn expr_end(chars: &[char], from: usize) -> Option<usize> {
    let (mut depth, mut quote) = (0usize, None::<char>);
    let mut i = from;
    while i < chars.len() {
        let c = chars[i];
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some('"'), '\\') => i += 1,
            (Some(_), _) => {}
            (None, '\\') => i += 1,
            (None, '\'' | '"') if depth > 0 => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') => depth = depth.saturating_sub(1),
            (None, ']') if depth == 0 => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

/// Parse a log-format string.
pub fn parse(text: &str) -> Result<Fmt, SampleError> {
    let chars: Vec<char> = text.chars().collect();
    let mut parts = Vec::new();
    let mut lit = String::new();
    // `%{...}o` sets options for every variable after it.
    let mut base = FmtOpts::default();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == ' ' {
            if !lit.is_empty() {
                parts.push(FmtPart::Lit(std::mem::take(&mut lit)));
            }
            match parts.last_mut() {
                Some(FmtPart::Sep(run)) => run.push(' '),
                _ => parts.push(FmtPart::Sep(" ".into())),
            }
            i += 1;
            continue;
        }
        if c != '%' {
            lit.push(c);
            i += 1;
            continue;
        }
        i += 1;
        let Some(&next) = chars.get(i) else {
            return Err(err(
                format!("`{text}`: the string ends after `%`"),
                Some("write `%%` for a `%`"),
            ));
        };
        if next == '%' {
            lit.push('%');
            i += 1;
            continue;
        }
        let mut opts = base;
        if next == '{' {
            let close = chars[i..].iter().position(|&c| c == '}').map(|p| i + p);
            let Some(close) = close else {
                return Err(err(format!("`{text}`: `%{{` is not closed"), None));
            };
            let inner: String = chars[i + 1..close].iter().collect();
            for o in inner.split(',') {
                let (on, flag) = match o.split_at_checked(1) {
                    Some(("+", f)) => (true, f),
                    Some(("-", f)) => (false, f),
                    _ => continue,
                };
                match flag {
                    "Q" => opts.quote = on,
                    "X" => opts.hex = on,
                    "E" => opts.escape = on,
                    "M" => opts.mandatory = Some(on),
                    // HAProxy ignores flags it does not know.
                    _ => {}
                }
            }
            i = close + 1;
        }
        if chars.get(i) == Some(&'[') {
            let Some(end) = expr_end(&chars, i + 1) else {
                let rest: String = chars[i + 1..].iter().collect();
                return Err(err(format!("`{text}`: missing `]` after `{rest}`"), None));
            };
            let inner: String = chars[i + 1..end].iter().collect();
            if inner.is_empty() {
                return Err(err(format!("`{text}`: `%[]` holds no sample fetch"), None));
            }
            let expr = parse_expr(&inner)?;
            if !lit.is_empty() {
                parts.push(FmtPart::Lit(std::mem::take(&mut lit)));
            }
            parts.push(FmtPart::Sample { expr, opts });
            i = end + 1;
            continue;
        }
        let start = i;
        while i < chars.len() && chars[i].is_ascii_alphanumeric() {
            i += 1;
        }
        let name: String = chars[start..i].iter().collect();
        if name == "o" {
            base = opts;
            continue;
        }
        if name.is_empty() {
            return Err(err(
                if start == text.chars().count() {
                    format!("`{text}`: `%{{...}}` options without a variable")
                } else {
                    format!("`{text}`: unexpected `{}` after `%`", chars[start])
                },
                Some("write `%%` for a `%`"),
            ));
        }
        let Some(alias) = Alias::named(&name) else {
            return Err(SampleError {
                message: format!("`{text}`: no log-format variable `%{name}`"),
                help: Some(match conf_diag::did_you_mean(&name, Alias::names()) {
                    Some(s) => format!("did you mean `%{s}`? (`%%` writes a `%`)"),
                    None => "see the log-format variables (%ci, %ft, %b, %s, %Tr, %ST...); `%%` writes a `%`".into(),
                }),
                refused: false,
            });
        };
        if !lit.is_empty() {
            parts.push(FmtPart::Lit(std::mem::take(&mut lit)));
        }
        parts.push(FmtPart::Alias { alias, opts });
    }
    if !lit.is_empty() {
        parts.push(FmtPart::Lit(lit));
    }
    Ok(Fmt { parts })
}

#[cfg(test)]
mod tests {
    use super::super::Fetch;
    use super::*;

    #[test]
    fn parts() {
        let f = parse("%ci:%cp [%tr] %{+Q}r %[src,ipmask(24)] 100%%").unwrap();
        assert_eq!(f.parts.len(), 13, "{f:?}");
        assert_eq!(
            f.parts[0],
            FmtPart::Alias {
                alias: Alias::ClientIp,
                opts: FmtOpts::default()
            }
        );
        assert_eq!(f.parts[3], FmtPart::Sep(" ".into()));
        assert!(matches!(
            &f.parts[8],
            FmtPart::Alias { alias: Alias::Request, opts } if opts.quote
        ));
        assert!(matches!(&f.parts[10], FmtPart::Sample { expr, .. } if expr.fetch == Fetch::Src));
        assert_eq!(f.parts[12], FmtPart::Lit("100%".into()));
        assert_eq!(
            parse(" a  b ").unwrap().as_literal().as_deref(),
            Some(" a  b ")
        );
        assert_eq!(
            parse("plain").unwrap().as_literal().as_deref(),
            Some("plain")
        );
        assert_eq!(parse("").unwrap().parts, vec![]);
        // `]` inside the expression's parentheses is part of it.
        let f = parse("%[path,regsub([/]+,/,g)]").unwrap();
        assert_eq!(f.parts.len(), 1);
    }

    #[test]
    fn errors_as_haproxy_reports_them() {
        assert!(parse("%cix").unwrap_err().message.contains("%cix"));
        assert!(parse("a%").is_err());
        assert!(parse("%[src").is_err());
        assert!(parse("%{+Q}").is_err());
        assert!(parse("%[]").is_err());
        assert!(parse("% x").is_err());
        assert!(parse("%{+Z}ci").is_ok(), "unknown flags are ignored");
        // `%o` carries its options to the variables after it.
        let f = parse("%{+Q}o %ci %{-Q}b").unwrap();
        assert!(matches!(&f.parts[1], FmtPart::Alias { opts, .. } if opts.quote));
        assert!(matches!(&f.parts[3], FmtPart::Alias { opts, .. } if !opts.quote));
        assert_eq!(f.parts[0], FmtPart::Sep(" ".into()));
        let e = parse("%Tx").unwrap_err();
        assert!(e.help.unwrap_or_default().contains("did you mean"));
    }
}
