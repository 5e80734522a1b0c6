//! Writing a log-format string: literal text, `%[expr]` samples and `%xx` variables with
//! their `+Q`/`+X`/`+E` options. In HAProxy 2.6 (measured through `lf-string`) `+Q` and
//! `+X` apply to `%xx` variables only; `+E` to both.

use super::{value, Sample, Value};
use haproxy_conf::sample::fmt::{Alias, Fmt, FmtOpts, FmtPart};
use std::borrow::Cow;
use std::net::IpAddr;

/// A `%xx` variable's value, as the data plane knows it. What HAProxy quotes (`+Q`) and
/// encodes depends on the kind: names and addresses are quoted, numbers, dates and
/// termination states never; request-line parts and captured headers are encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AliasValue<'a> {
    /// A name (`<NOSRV>`, a proxy, a cookie...): quoted with `+Q`; empty is missing.
    /// Borrowed where it can be: a log line writes some twenty of these per request.
    Text(Cow<'a, str>),
    /// Written as it is, never quoted (dates, `%ts`, `%ms`).
    Raw(Cow<'a, str>),
    Int(i64),
    Ip(IpAddr),
    /// A part of the request line: `"`, `#`, controls and bytes from 0x7f are written
    /// `#XX`; quoted with `+Q`, even when empty.
    Url(Cow<'a, str>),
    /// Captured headers: `{a|b}` (`list`: `"a" "b"`, a missing one `-`).
    Captures {
        list: bool,
        items: &'a [Option<String>],
    },
    /// The request line (`%r`), encoded as `Url` each part, without joining them first.
    Request {
        method: &'a str,
        uri: &'a str,
        version: Option<&'a str>,
    },
    /// A short value written as it is, kept on the stack (dates, termination states).
    Inline(Inline),
    /// Writes nothing at all, not even a separator after it (`%hr` without captures).
    Nothing,
}

/// A short text on the stack: a log line writes a few of these per request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Inline {
    buf: [u8; 40],
    len: u8,
}

impl Default for Inline {
    fn default() -> Self {
        Inline {
            buf: [0; 40],
            len: 0,
        }
    }
}

impl Inline {
    /// Appends `b`; what does not fit is cut (nothing written here is that long).
    pub fn push(&mut self, b: &[u8]) -> &mut Self {
        let at = usize::from(self.len);
        let n = b.len().min(self.buf.len() - at);
        self.buf[at..at + n].copy_from_slice(&b[..n]);
        self.len += n as u8;
        self
    }

    /// Appends `n` in decimal, at least `width` digits (zero-padded).
    pub fn push_int(&mut self, n: u64, width: usize) -> &mut Self {
        let mut digits = itoa::Buffer::new();
        let d = digits.format(n).as_bytes();
        for _ in d.len()..width {
            self.push(b"0");
        }
        self.push(d)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..usize::from(self.len)]
    }
}

/// An IPv4 address in dotted form, on the stack: every log line and many rules write one.
pub fn ipv4_text(ip: std::net::Ipv4Addr) -> Inline {
    let mut out = Inline::default();
    for (i, o) in ip.octets().into_iter().enumerate() {
        if i > 0 {
            out.push(b".");
        }
        out.push_int(u64::from(o), 0);
    }
    out
}

/// Where a format is written: a rule's value (a header, a body, a variable) or a log
/// line. They differ as HAProxy 2.6 differs (measured): in a log line a run of spaces is
/// one separator, a missing value is `-` (`""` with `+Q`), `+Q` also quotes samples and
/// samples are written as they are; in a rule's value spaces are kept, a missing value is
/// nothing and controls in samples are written `%XX`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Rule,
    Log,
}

/// What the data plane tells about the `%xx` variables (None: no value).
pub trait Aliases {
    fn alias(&self, a: Alias) -> Option<AliasValue<'_>>;
}

fn escape(out: &mut Vec<u8>, b: &[u8]) {
    for &c in b {
        if matches!(c, b'"' | b'\\' | b']') {
            out.push(b'\\');
        }
        out.push(c);
    }
}

/// `escape` as a value: borrowed when nothing needs a backslash.
fn escaped(b: &[u8]) -> Cow<'_, [u8]> {
    if !b.iter().any(|c| matches!(c, b'"' | b'\\' | b']')) {
        return Cow::Borrowed(b);
    }
    let mut out = Vec::with_capacity(b.len() + 4);
    escape(&mut out, b);
    Cow::Owned(out)
}

/// Replaces what `out` holds from `at` by `f` of it, when `f` changes it.
fn rewrite_tail(out: &mut Vec<u8>, at: usize, f: fn(&[u8]) -> Cow<'_, [u8]>) {
    if let Cow::Owned(new) = f(&out[at..]) {
        out.truncate(at);
        out.extend_from_slice(&new);
    }
}

/// Control characters (but tab) and DEL become `%XX`, as HAProxy writes samples in
/// rules.
fn encode_controls(b: &[u8]) -> Cow<'_, [u8]> {
    if !b.iter().any(|&c| (c < 0x20 && c != b'\t') || c == 0x7f) {
        return Cow::Borrowed(b);
    }
    let mut out = Vec::with_capacity(b.len() + 8);
    for &c in b {
        if (c < 0x20 && c != b'\t') || c == 0x7f {
            out.extend_from_slice(format!("%{c:02X}").as_bytes());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `#XX` for the bytes a log line must not carry as they are: controls, 0x7f and above,
/// and `extra` (`"#` in request lines, `"#{|}` in captured headers).
fn hash_encode<'b>(b: &'b [u8], extra: &[u8]) -> Cow<'b, [u8]> {
    let plain = |c: &u8| (0x20..0x7f).contains(c) && !extra.contains(c);
    if b.iter().all(plain) {
        return Cow::Borrowed(b);
    }
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = Vec::with_capacity(b.len() + 8);
    for c in b {
        if plain(c) {
            out.push(*c);
        } else {
            out.extend_from_slice(&[b'#', HEX[usize::from(c >> 4)], HEX[usize::from(c & 15)]]);
        }
    }
    Cow::Owned(out)
}

fn put(out: &mut Vec<u8>, text: &[u8], opts: FmtOpts, quote: bool) {
    if quote {
        out.push(b'"');
    }
    if opts.escape {
        escape(out, text);
    } else {
        out.extend_from_slice(text);
    }
    if quote {
        out.push(b'"');
    }
}

/// A value that is not there: `""` when quoted, `-` when mandatory (by default in a log
/// line), else nothing.
fn missing(out: &mut Vec<u8>, opts: FmtOpts, target: Target) {
    if opts.quote {
        out.extend_from_slice(b"\"\"");
    } else if opts.mandatory.unwrap_or(target == Target::Log) {
        out.push(b'-');
    }
}

fn alias_value(out: &mut Vec<u8>, v: Option<AliasValue<'_>>, opts: FmtOpts, target: Target) {
    match v {
        None => missing(out, opts, target),
        Some(AliasValue::Text(t)) if t.is_empty() => missing(out, opts, target),
        Some(AliasValue::Text(t)) => put(out, t.as_bytes(), opts, opts.quote),
        Some(AliasValue::Raw(t)) => put(out, t.as_bytes(), opts, false),
        Some(AliasValue::Int(n)) if opts.hex => put(out, format!("{n:X}").as_bytes(), opts, false),
        Some(AliasValue::Int(n)) => put(out, itoa::Buffer::new().format(n).as_bytes(), opts, false),
        Some(AliasValue::Ip(IpAddr::V4(ip))) if opts.hex => put(
            out,
            format!("{:08X}", u32::from(ip)).as_bytes(),
            opts,
            opts.quote,
        ),
        Some(AliasValue::Ip(IpAddr::V4(ip))) => {
            put(out, ipv4_text(ip).as_bytes(), opts, opts.quote)
        }
        Some(AliasValue::Ip(ip)) => {
            // On the stack: the longest address is 45 bytes.
            let mut buf = [0u8; 48];
            let mut w = std::io::Cursor::new(&mut buf[..]);
            let n = match std::io::Write::write_fmt(&mut w, format_args!("{ip}")) {
                Ok(()) => w.position() as usize,
                Err(_) => 0,
            };
            put(out, &buf[..n], opts, opts.quote)
        }
        Some(AliasValue::Url(u)) => put(out, &hash_encode(u.as_bytes(), b"\"#"), opts, opts.quote),
        Some(AliasValue::Request {
            method,
            uri,
            version,
        }) => {
            if opts.quote {
                out.push(b'"');
            }
            let parts = [Some(method), Some(uri), version];
            for (i, part) in parts.into_iter().flatten().enumerate() {
                if i > 0 {
                    out.push(b' ');
                }
                let unquoted = FmtOpts {
                    quote: false,
                    ..opts
                };
                put(out, &hash_encode(part.as_bytes(), b"\"#"), unquoted, false);
            }
            if opts.quote {
                out.push(b'"');
            }
        }
        Some(AliasValue::Inline(t)) => put(out, t.as_bytes(), opts, false),
        Some(AliasValue::Captures { list: false, items }) => {
            let mut inner = vec![b'{'];
            for (i, c) in items.iter().enumerate() {
                if i > 0 {
                    inner.push(b'|');
                }
                if let Some(c) = c {
                    inner.extend_from_slice(&hash_encode(c.as_bytes(), b"\"#{|}"));
                }
            }
            inner.push(b'}');
            put(out, &inner, opts, opts.quote);
        }
        Some(AliasValue::Captures { list: true, items }) => {
            for (i, c) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b' ');
                }
                match c {
                    Some(c) => put(out, &hash_encode(c.as_bytes(), b"\"#{|}"), opts, opts.quote),
                    None if opts.quote => out.extend_from_slice(b"\"\""),
                    None => out.push(b'-'),
                }
            }
        }
        Some(AliasValue::Nothing) => {}
    }
}

/// The bytes of `fmt` for this request, as a rule's value.
pub fn render(fmt: &Fmt, s: &dyn Sample, a: &dyn Aliases) -> Vec<u8> {
    render_for(fmt, s, a, Target::Rule)
}

/// The bytes of `fmt` as a log line.
pub fn render_log(fmt: &Fmt, s: &dyn Sample, a: &dyn Aliases) -> Vec<u8> {
    render_for(fmt, s, a, Target::Log)
}

/// The bytes of `fmt` for `target`.
pub fn render_for(fmt: &Fmt, s: &dyn Sample, a: &dyn Aliases, target: Target) -> Vec<u8> {
    // A log line is a few hundred bytes: one allocation instead of a series of regrowths.
    let mut out = Vec::with_capacity(if target == Target::Log { 256 } else { 32 });
    // In a log line: whether the last thing written was a separator (or nothing yet).
    let mut last_space = true;
    for p in &fmt.parts {
        match p {
            FmtPart::Lit(t) => out.extend_from_slice(t.as_bytes()),
            FmtPart::Sep(run) if target == Target::Rule => out.extend_from_slice(run.as_bytes()),
            FmtPart::Sep(_) => {
                if !last_space {
                    out.push(b' ');
                    last_space = true;
                }
                continue;
            }
            FmtPart::Sample { expr, opts } => {
                // Written in place: no copy of the value on the way (a header value with
                // `%[src]` is written at every request); the rare encodings rewrite it.
                let quote = target == Target::Log && opts.quote;
                let start = out.len();
                if quote {
                    out.push(b'"');
                }
                let at = out.len();
                if let Some(v) = value(expr, s) {
                    v.write_text(&mut out);
                }
                if target == Target::Log && out.len() == at {
                    out.truncate(start);
                    missing(&mut out, *opts, target);
                } else {
                    if target == Target::Rule {
                        rewrite_tail(&mut out, at, encode_controls);
                    }
                    if opts.escape {
                        rewrite_tail(&mut out, at, escaped);
                    }
                    if quote {
                        out.push(b'"');
                    }
                }
            }
            FmtPart::Alias { alias, opts } => {
                let v = a.alias(*alias);
                if v == Some(AliasValue::Nothing) {
                    continue;
                }
                alias_value(&mut out, v, *opts, target);
            }
        }
        last_space = false;
    }
    out
}

/// `render` as a string (header values, redirect targets), invalid UTF-8 replaced.
pub fn render_string(fmt: &Fmt, s: &dyn Sample, a: &dyn Aliases) -> String {
    match fmt.as_literal() {
        Some(t) => t,
        None => String::from_utf8_lossy(&render(fmt, s, a)).into_owned(),
    }
}

impl From<Value> for AliasValue<'static> {
    fn from(v: Value) -> AliasValue<'static> {
        match v {
            Value::Int(n) => AliasValue::Int(n),
            Value::Ip(ip) => AliasValue::Ip(ip),
            other => AliasValue::Text(Cow::Owned(
                String::from_utf8_lossy(&other.text()).into_owned(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Req;
    impl Sample for Req {
        fn fetch(&self, f: &haproxy_conf::sample::Fetch) -> Vec<Value> {
            match f {
                haproxy_conf::sample::Fetch::Src => vec![Value::Ip("127.0.0.1".parse().unwrap())],
                _ => Vec::new(),
            }
        }
        fn now(&self) -> (i64, u32) {
            (784_111_777, 0)
        }
    }
    impl Aliases for Req {
        fn alias(&self, a: Alias) -> Option<AliasValue<'_>> {
            match a {
                Alias::ClientIp => Some(AliasValue::Ip("127.0.0.1".parse().unwrap())),
                Alias::ClientPort => Some(AliasValue::Int(60714)),
                Alias::Frontend => Some(AliasValue::Text("f".into())),
                Alias::CapturedReqHeaders | Alias::CapturedResHeaders => Some(AliasValue::Nothing),
                _ => None,
            }
        }
    }

    proptest::proptest! {
        /// The hand-written IPv4 and hash encodings write what the plain ones would.
        #[test]
        fn fast_paths_write_what_the_slow_ones_do(ip: u32, b: Vec<u8>, q: bool) {
            let ip = std::net::Ipv4Addr::from(ip);
            let opts = FmtOpts { quote: q, ..FmtOpts::default() };
            let mut out = Vec::new();
            alias_value(&mut out, Some(AliasValue::Ip(IpAddr::V4(ip))), opts, Target::Log);
            let want = if q { format!("\"{ip}\"") } else { ip.to_string() };
            proptest::prop_assert_eq!(String::from_utf8_lossy(&out), want);
            let slow: String = b
                .iter()
                .map(|&c| if (0x20..0x7f).contains(&c) && c != b'"' && c != b'#' {
                    (c as char).to_string()
                } else {
                    format!("#{c:02X}")
                })
                .collect();
            proptest::prop_assert_eq!(hash_encode(&b, b"\"#").into_owned(), slow.into_bytes());
        }
    }

    proptest::proptest! {
        /// The request line written part by part is the line written whole, encoded.
        #[test]
        fn request_parts_write_what_the_whole_line_does(
            m: String, u: String, v: Option<String>, q: bool, e: bool,
        ) {
            let opts = FmtOpts { quote: q, escape: e, ..FmtOpts::default() };
            let whole = match &v {
                Some(v) => format!("{m} {u} {v}"),
                None => format!("{m} {u}"),
            };
            let (mut a, mut b) = (Vec::new(), Vec::new());
            let parts = AliasValue::Request { method: &m, uri: &u, version: v.as_deref() };
            alias_value(&mut a, Some(parts), opts, Target::Log);
            alias_value(&mut b, Some(AliasValue::Url(whole.into())), opts, Target::Log);
            proptest::prop_assert_eq!(a, b);
        }

        /// A short value on the stack holds what was pushed, digits zero-padded.
        #[test]
        fn inline_pushes(a: String, n: u32, w in 0usize..8) {
            let mut t = Inline::default();
            t.push(a.as_bytes()).push_int(u64::from(n), w);
            let want = format!("{a}{n:0w$}");
            let cut = want.len().min(40);
            proptest::prop_assert_eq!(t.as_bytes(), &want.as_bytes()[..cut]);
        }
    }

    fn r(text: &str) -> String {
        let f = haproxy_conf::sample::fmt::parse(text).unwrap();
        render_string(&f, &Req, &Req)
    }

    #[test]
    fn options_as_measured() {
        assert_eq!(r("%ci:%cp %f"), "127.0.0.1:60714 f");
        assert_eq!(r("%{+Q}ci"), "\"127.0.0.1\"");
        assert_eq!(r("%{+X}cp"), "ED2A");
        assert_eq!(r("%{+Q}[src]"), "127.0.0.1");
        assert_eq!(r("[%[req.hdr(x)]]"), "[]");
        assert_eq!(r("%{+Q}ID"), "\"\"");
        assert_eq!(r("%{+E}[str(a\\\"b)]"), "a\\\"b");
        assert_eq!(r("100%%"), "100%");
        // In a rule's value spaces are kept and a missing value is nothing (measured).
        assert_eq!(r("  %[str()]  x"), "    x");
        assert_eq!(r("%ci  %[str()]  %f"), "127.0.0.1    f");
    }

    fn l(text: &str) -> String {
        let f = haproxy_conf::sample::fmt::parse(text).unwrap();
        String::from_utf8(render_for(&f, &Req, &Req, Target::Log)).unwrap()
    }

    #[test]
    fn log_lines_as_measured() {
        // One separator per run, none at the start; a value written (even empty) is
        // followed by one.
        assert_eq!(l(" x  y "), "x y ");
        assert_eq!(l("%[str()] x"), "- x");
        assert_eq!(l("%ci  %{-M}[str()]  %f"), "127.0.0.1  f");
        assert_eq!(
            l("%{+Q}[str()]|%{+Q}[str(2)]|%{+Q}ci %{+Q}cp"),
            "\"\"|\"2\"|\"127.0.0.1\" 60714"
        );
        assert_eq!(l("[%hr %hs]"), "[ ]");
        assert_eq!(l("%{+Q}ID|%ID"), "\"\"|-");
        assert_eq!(l("%[str(a\x01)]"), "a\x01");
    }
}
