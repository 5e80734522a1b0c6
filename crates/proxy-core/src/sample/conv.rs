//! Converters: each casts its input to the type it takes, as HAProxy does, then transforms
//! it. A converter that cannot work on its input (a failed cast, bad base64...) gives no
//! value, and the whole expression then gives none.

use super::{Kind, Sample, Value};
use crate::hash;
use base64::Engine;
use haproxy_conf::sample::conv::{Arith, Converter, Digest, Hash32, IntArg, JsonInput, StrArg};
use haproxy_conf::sample::VarRef;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The converters in order; None as soon as one gives nothing.
pub fn apply_all(convs: &[Converter], v: Value, s: &dyn Sample) -> Option<Value> {
    convs.iter().try_fold(v, |v, c| apply(c, v, s))
}

fn var(s: &dyn Sample, v: &VarRef) -> Option<Value> {
    s.vars()?.get(v)
}

fn int_arg(a: &IntArg, s: &dyn Sample) -> Option<i64> {
    match a {
        IntArg::Const(n) => Some(*n),
        IntArg::Var(v) => match var(s, v)?.cast(Kind::Int)? {
            Value::Int(n) => Some(n),
            _ => None,
        },
    }
}

fn as_str(v: Value) -> Option<String> {
    match v.cast(Kind::Str)? {
        Value::Str(s) => Some(s),
        _ => None,
    }
}

fn as_int(v: Value) -> Option<i64> {
    match v.cast(Kind::Int)? {
        Value::Int(n) => Some(n),
        _ => None,
    }
}

fn as_bin(v: Value) -> Option<Vec<u8>> {
    match v.cast(Kind::Bin)? {
        Value::Bin(b) => Some(b),
        _ => None,
    }
}

fn as_bool(v: Value) -> Option<bool> {
    match v.cast(Kind::Bool)? {
        Value::Bool(b) => Some(b),
        _ => None,
    }
}

/// One converter.
pub fn apply(c: &Converter, v: Value, s: &dyn Sample) -> Option<Value> {
    Some(match c {
        Converter::Lower => Value::Str(as_str(v)?.to_ascii_lowercase()),
        Converter::Upper => Value::Str(as_str(v)?.to_ascii_uppercase()),
        Converter::Length => Value::Int(as_str(v)?.len() as i64),
        Converter::Ltrim(chars) => Value::Str(
            as_str(v)?
                .trim_start_matches(|c| chars.contains(c))
                .to_string(),
        ),
        Converter::Rtrim(chars) => Value::Str(
            as_str(v)?
                .trim_end_matches(|c| chars.contains(c))
                .to_string(),
        ),
        Converter::CutCrlf => {
            let t = as_str(v)?;
            let end = t.find(['\r', '\n']).unwrap_or(t.len());
            Value::Str(t[..end].to_string())
        }
        Converter::Bytes { offset, length } => {
            let b = as_bin(v)?;
            let off = usize::try_from(*offset).ok()?;
            if off >= b.len() {
                return None;
            }
            let rest = &b[off..];
            let take = match length {
                Some(l) => usize::try_from(*l).ok()?.min(rest.len()),
                None => rest.len(),
            };
            Value::Bin(rest[..take].to_vec())
        }
        Converter::Field {
            index,
            delims,
            count,
        } => Value::Str(field(&as_str(v)?, *index, delims, *count, false)?),
        Converter::Word {
            index,
            delims,
            count,
        } => Value::Str(field(&as_str(v)?, *index, delims, *count, true)?),
        Converter::Regsub {
            regex,
            with,
            global,
        } => {
            let t = as_str(v)?;
            let rep = haproxy_conf::actions::replacement(with);
            let out = if *global {
                regex.0.replace_all(&t, rep.as_str())
            } else {
                regex.0.replace(&t, rep.as_str())
            };
            Value::Str(out.into_owned())
        }
        Converter::Concat {
            start,
            var: vr,
            end,
        } => {
            let mut t = as_str(v)?;
            t.push_str(start);
            if let Some(x) = vr.as_ref().and_then(|vr| var(s, vr)).and_then(as_str) {
                t.push_str(&x);
            }
            t.push_str(end);
            Value::Str(t)
        }
        Converter::AddItem {
            delim,
            var: vr,
            suffix,
        } => {
            let mut t = as_str(v)?;
            let item = vr.as_ref().and_then(|vr| var(s, vr)).and_then(as_str);
            if !t.is_empty() && (item.as_ref().is_some_and(|i| !i.is_empty()) || !suffix.is_empty())
            {
                t.push_str(delim);
            }
            if let Some(i) = item {
                t.push_str(&i);
            }
            t.push_str(suffix);
            Value::Str(t)
        }
        Converter::UrlDec { form } => Value::Str(url_dec(&as_str(v)?, *form)?),
        Converter::UrlEnc => Value::Str(url_enc(&as_str(v)?)),
        Converter::Base64 => {
            Value::Str(base64::engine::general_purpose::STANDARD.encode(as_bin(v)?))
        }
        Converter::Ub64enc => {
            Value::Str(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(as_bin(v)?))
        }
        Converter::B64dec => Value::Bin(
            base64::engine::general_purpose::STANDARD
                .decode(as_str(v)?)
                .ok()?,
        ),
        Converter::Ub64dec => Value::Bin(ub64dec(&as_str(v)?)?),
        Converter::Hex => Value::Str(hex_upper(&as_bin(v)?)),
        Converter::Hex2i => {
            // Measured: empty is 0, a non-hex digit fails, overflow keeps the low bits.
            let t = as_str(v)?;
            let mut n: u64 = 0;
            for c in t.chars() {
                n = (n << 4) | u64::from(c.to_digit(16)?);
            }
            Value::Int(n as i64)
        }
        Converter::Htonl => Value::Bin((as_int(v)? as u32).to_be_bytes().to_vec()),
        Converter::Be2dec {
            sep,
            chunk,
            truncate,
        } => Value::Str(be2(&as_bin(v)?, sep, *chunk, *truncate, |c| {
            c.iter()
                .fold(0u64, |n, &b| (n << 8) | u64::from(b))
                .to_string()
        })),
        Converter::Be2hex {
            sep,
            chunk,
            truncate,
        } => Value::Str(be2(&as_bin(v)?, sep, *chunk, *truncate, hex_upper)),
        Converter::Json(mode) => Value::Str(json(&as_bin(v)?, *mode)?),
        Converter::Ipmask { v4, v6 } => {
            let ip = match v.cast(Kind::Ip)? {
                Value::Ip(ip) => ip,
                _ => return None,
            };
            // A v4-mapped IPv6 address is masked as the IPv4 address it is.
            let ip = match ip {
                IpAddr::V6(a) => a.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
                v => v,
            };
            Value::Ip(match ip {
                IpAddr::V4(a) => {
                    let m = if *v4 == 0 {
                        0
                    } else {
                        u32::MAX << (32 - u32::from(*v4))
                    };
                    IpAddr::V4(Ipv4Addr::from(u32::from(a) & m))
                }
                IpAddr::V6(a) => {
                    let l = (*v6)?;
                    let m = if l == 0 {
                        0
                    } else {
                        u128::MAX << (128 - u32::from(l))
                    };
                    IpAddr::V6(Ipv6Addr::from(u128::from(a) & m))
                }
            })
        }
        Converter::Arith(op, arg) => {
            let n = as_int(v)?;
            let m = int_arg(arg, s)?;
            Value::Int(match op {
                Arith::Add => n.saturating_add(m),
                Arith::Sub => n.saturating_sub(m),
                Arith::Mul => n.saturating_mul(m),
                Arith::Div => {
                    if m == 0 {
                        i64::MAX
                    } else {
                        n.checked_div(m).unwrap_or(i64::MAX)
                    }
                }
                Arith::Mod => {
                    if m == 0 {
                        0
                    } else {
                        n.checked_rem(m).unwrap_or(0)
                    }
                }
                Arith::And => n & m,
                Arith::Or => n | m,
                Arith::Xor => n ^ m,
            })
        }
        Converter::Neg => Value::Int(as_int(v)?.wrapping_neg()),
        Converter::Cpl => Value::Int(!as_int(v)?),
        Converter::Not => Value::Bool(as_int(v)? == 0),
        Converter::Bool => Value::Bool(as_int(v)? != 0),
        Converter::Odd => Value::Bool(as_int(v)? & 1 == 1),
        Converter::Even => Value::Bool(as_int(v)? & 1 == 0),
        Converter::Iif(t, f) => Value::Str(if as_bool(v)? { t.clone() } else { f.clone() }),
        Converter::Hash32 { hash: h, avalanche } => {
            let b = as_bin(v)?;
            let n = match h {
                Hash32::Crc32 => hash::crc32(&b),
                Hash32::Crc32c => hash::crc32c(&b),
                Hash32::Djb2 => hash::djb2(&b),
                Hash32::Sdbm => hash::sdbm(&b),
                Hash32::Wt6 => hash::wt6(&b),
            };
            Value::Int(i64::from(if *avalanche { hash::avalanche(n) } else { n }))
        }
        Converter::Xxh32(seed) => {
            Value::Int(i64::from(xxhash_rust::xxh32::xxh32(&as_bin(v)?, *seed)))
        }
        Converter::Xxh64(seed) => Value::Int(xxhash_rust::xxh64::xxh64(&as_bin(v)?, *seed) as i64),
        Converter::Xxh3(seed) => {
            Value::Int(xxhash_rust::xxh3::xxh3_64_with_seed(&as_bin(v)?, *seed) as i64)
        }
        Converter::Digest(d) => Value::Bin(digest(*d, &as_bin(v)?)),
        Converter::Hmac(d, key) => {
            let key = match key {
                StrArg::Const(k) => k.clone(),
                StrArg::Var(vr) => as_str(var(s, vr)?)?,
            };
            let key = base64::engine::general_purpose::STANDARD.decode(key).ok()?;
            Value::Bin(hmac(*d, &key, &as_bin(v)?)?)
        }
        Converter::Strcmp(vr) => {
            let a = as_str(v)?;
            let b = as_str(var(s, vr)?)?;
            let (a, b) = (a.as_bytes(), b.as_bytes());
            let n = a.len().min(b.len());
            let d = a[..n]
                .iter()
                .zip(&b[..n])
                .find(|(x, y)| x != y)
                .map(|(x, y)| i64::from(*x) - i64::from(*y))
                .unwrap_or(a.len() as i64 - b.len() as i64);
            Value::Int(d)
        }
        Converter::SecureMemcmp(vr) => {
            let a = as_bin(v)?;
            let b = as_bin(var(s, vr)?)?;
            Value::Bool(
                a.len() == b.len() && a.iter().zip(&b).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0,
            )
        }
        // The value passes on only when it was stored (measured with HAProxy 2.6).
        Converter::SetVar(vr, conds) => {
            if !s.vars()?.set(vr, v.clone(), conds) {
                return None;
            }
            v
        }
        Converter::UnsetVar(vr) => {
            if let Some(sc) = s.vars() {
                sc.unset(vr);
            }
            v
        }
        Converter::Time {
            utc,
            format,
            offset,
        } => {
            let t = as_int(v)?.saturating_add(*offset);
            Value::Str(strftime(t, format, *utc)?)
        }
        Converter::HttpDate { offset, per_second } => {
            let t = as_int(v)?.saturating_add(*offset);
            let secs = t.div_euclid(*per_second);
            // With a unit below the second HAProxy writes the fraction as a plain number
            // (5 ms is `.5`).
            let frac = if *per_second > 1 {
                format!(".{}", t.rem_euclid(*per_second))
            } else {
                String::new()
            };
            Value::Str(strftime(
                secs,
                &format!("%a, %d %b %Y %H:%M:%S{frac} GMT"),
                true,
            )?)
        }
        Converter::HostOnly => {
            let t = as_str(v)?;
            Value::Str(host_port(&t).0.to_ascii_lowercase())
        }
        Converter::PortOnly => {
            let t = as_str(v)?;
            Value::Int(host_port(&t).1.and_then(|p| p.parse().ok()).unwrap_or(0))
        }
        Converter::Nbsrv => Value::Int(s.nbsrv(&as_str(v)?)?),
        Converter::Map(m) => s.map(m, &v)?,
        Converter::Table { data, table } => s.table(*data, table, &v)?,
    })
}

/// `field` and `word`: the `index`-th piece (from the end when negative) and `count - 1`
/// more (0: all the rest), delimiters kept between them. `word` skips empty pieces.
fn field(t: &str, index: i64, delims: &str, count: i64, words: bool) -> Option<String> {
    // Pieces as (start, end) byte ranges.
    let mut pieces = Vec::new();
    let mut start = 0;
    for (i, c) in t.char_indices() {
        if delims.contains(c) {
            pieces.push((start, i));
            start = i + c.len_utf8();
        }
    }
    pieces.push((start, t.len()));
    if words {
        pieces.retain(|(a, b)| a < b);
    }
    let n = pieces.len() as i64;
    let (first, last) = if index > 0 {
        let first = index - 1;
        let last = if count == 0 { n - 1 } else { first + count - 1 };
        (first, last.min(n - 1))
    } else {
        let last = n + index;
        let first = if count == 0 { 0 } else { last - count + 1 };
        (first.max(0), last)
    };
    if first < 0 || first >= n || last < first {
        return None;
    }
    let (a, _) = pieces[first as usize];
    let (_, b) = pieces[last as usize];
    Some(t[a..b].to_string())
}

fn hex_upper(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}

fn be2(
    b: &[u8],
    sep: &str,
    chunk: usize,
    truncate: bool,
    show: impl Fn(&[u8]) -> String,
) -> String {
    let mut parts = Vec::new();
    for c in b.chunks(chunk.max(1)) {
        if truncate && c.len() < chunk {
            break;
        }
        parts.push(show(c));
    }
    parts.join(sep)
}

pub(crate) fn url_dec(t: &str, form: bool) -> Option<String> {
    let b = t.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut in_query = form;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let h = b.get(i + 1..i + 3)?;
                let h = std::str::from_utf8(h).ok()?;
                out.push(u8::from_str_radix(h, 16).ok()?);
                i += 3;
                continue;
            }
            b'?' => {
                in_query = true;
                out.push(b'?');
            }
            b'+' if in_query => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

fn url_enc(t: &str) -> String {
    let mut out = String::with_capacity(t.len());
    for &b in t.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// base64url decoding as HAProxy 2.6 does it (measured): `=` counts as the digit 63,
/// a trailing group of 2 or 3 digits gives 1 or 2 bytes, 1 digit fails.
fn ub64dec(t: &str) -> Option<Vec<u8>> {
    let digit = |c: u8| -> Option<u32> {
        Some(u32::from(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' | b'=' => 63,
            _ => return None,
        }))
    };
    let b = t.as_bytes();
    let mut out = Vec::with_capacity(b.len() * 3 / 4);
    for group in b.chunks(4) {
        let mut n = 0u32;
        for &c in group {
            n = (n << 6) | digit(c)?;
        }
        match group.len() {
            4 => out.extend_from_slice(&n.to_be_bytes()[1..]),
            3 => out.extend_from_slice(&(n << 6).to_be_bytes()[1..3]),
            2 => out.push((n >> 4) as u8),
            _ => return None,
        }
    }
    Some(out)
}

/// `json()`: a JSON string body (without its quotes).
fn json(b: &[u8], mode: JsonInput) -> Option<String> {
    let mut out = String::with_capacity(b.len());
    let esc = |out: &mut String, c: u32| match c {
        0x22 => out.push_str("\\\""),
        0x5c => out.push_str("\\\\"),
        0x2f => out.push_str("\\/"),
        0x08 => out.push_str("\\b"),
        0x0c => out.push_str("\\f"),
        0x0a => out.push_str("\\n"),
        0x0d => out.push_str("\\r"),
        0x09 => out.push_str("\\t"),
        c if !(0x20..=0x7e).contains(&c) => out.push_str(&format!("\\u{c:04x}")),
        c => out.push(char::from_u32(c).unwrap_or('?')),
    };
    match mode {
        JsonInput::Ascii => b.iter().for_each(|&c| esc(&mut out, u32::from(c))),
        _ => {
            let silent = matches!(mode, JsonInput::Utf8s | JsonInput::Utf8ps);
            for chunk in b.utf8_chunks() {
                for c in chunk.valid().chars() {
                    let c = u32::from(c);
                    if c > 0xffff {
                        if silent {
                            continue;
                        }
                        return None;
                    }
                    esc(&mut out, c);
                }
                if !chunk.invalid().is_empty() && !silent {
                    return None;
                }
            }
        }
    }
    Some(out)
}

fn digest(d: Digest, b: &[u8]) -> Vec<u8> {
    use sha2::Digest as _;
    match d {
        Digest::Md5 => md5::Md5::digest(b).to_vec(),
        Digest::Sha1 => sha1::Sha1::digest(b).to_vec(),
        Digest::Sha224 => sha2::Sha224::digest(b).to_vec(),
        Digest::Sha256 => sha2::Sha256::digest(b).to_vec(),
        Digest::Sha384 => sha2::Sha384::digest(b).to_vec(),
        Digest::Sha512 => sha2::Sha512::digest(b).to_vec(),
    }
}

fn hmac(d: Digest, key: &[u8], b: &[u8]) -> Option<Vec<u8>> {
    use hmac::{Hmac, Mac};
    fn run<M: Mac + hmac::digest::KeyInit>(key: &[u8], b: &[u8]) -> Option<Vec<u8>> {
        let mut m = <M as hmac::digest::KeyInit>::new_from_slice(key).ok()?;
        m.update(b);
        Some(m.finalize().into_bytes().to_vec())
    }
    match d {
        Digest::Md5 => run::<Hmac<md5::Md5>>(key, b),
        Digest::Sha1 => run::<Hmac<sha1::Sha1>>(key, b),
        Digest::Sha224 => run::<Hmac<sha2::Sha224>>(key, b),
        Digest::Sha256 => run::<Hmac<sha2::Sha256>>(key, b),
        Digest::Sha384 => run::<Hmac<sha2::Sha384>>(key, b),
        Digest::Sha512 => run::<Hmac<sha2::Sha512>>(key, b),
    }
}

/// A date formatted with strftime(3)'s directives, in UTC or local time. `%Z` is what
/// glibc writes: `GMT` for UTC, the zone's name for local time (`UTC` when the local
/// offset is zero; chrono knows no other names).
pub fn strftime(t: i64, format: &str, utc: bool) -> Option<String> {
    use chrono::{Local, Offset, TimeZone, Utc};
    use std::fmt::Write;
    let mut out = String::new();
    if utc {
        let d = Utc.timestamp_opt(t, 0).single()?;
        let format = format.replace("%Z", "GMT");
        write!(out, "{}", d.format(&format)).ok()?;
    } else {
        let d = Local.timestamp_opt(t, 0).single()?;
        let format = if d.offset().fix().local_minus_utc() == 0 {
            format.replace("%Z", "UTC")
        } else {
            format.to_string()
        };
        write!(out, "{}", d.format(&format)).ok()?;
    }
    Some(out)
}

thread_local! {
    /// The last text of each (format, zone) asked for, with its second: log lines ask
    /// for the same second's date thousands of times.
    static DATES: std::cell::RefCell<Vec<(String, bool, i64, String)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// `strftime`, remembered per format for the last second asked (same result).
pub fn strftime_memo(t: i64, format: &str, utc: bool) -> Option<String> {
    strftime_memo_with(t, format, utc, str::to_string)
}

/// `strftime_memo`'s text handed to `f`, without a copy when it is remembered.
pub fn strftime_memo_with<R>(
    t: i64,
    format: &str,
    utc: bool,
    f: impl FnOnce(&str) -> R,
) -> Option<R> {
    DATES.with(|m| {
        let mut m = m.borrow_mut();
        if let Some(e) = m.iter().find(|e| e.2 == t && e.1 == utc && e.0 == format) {
            return Some(f(&e.3));
        }
        let s = strftime(t, format, utc)?;
        match m.iter().position(|e| e.1 == utc && e.0 == format) {
            Some(i) => {
                m[i].2 = t;
                m[i].3.clone_from(&s);
            }
            None if m.len() < 16 => m.push((format.to_string(), utc, t, s.clone())),
            None => {}
        }
        Some(f(&s))
    })
}

/// A Host header value split into host and port: `name:80`, `[::1]:80`, `1.2.3.4`.
fn host_port(t: &str) -> (&str, Option<&str>) {
    if let Some(rest) = t.strip_prefix('[') {
        return match rest.split_once(']') {
            Some((h, p)) => (&t[..h.len() + 2], p.strip_prefix(':')),
            None => (t, None),
        };
    }
    match t.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => (h, Some(p)),
        _ => (t, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Nothing;
    impl Sample for Nothing {
        fn fetch(&self, _: &haproxy_conf::sample::Fetch) -> Vec<Value> {
            Vec::new()
        }
        fn now(&self) -> (i64, u32) {
            (784_111_777, 0)
        }
    }

    fn run(text: &str, v: Value) -> Option<Value> {
        let e = haproxy_conf::sample::parse_expr(&format!("src,{text}")).unwrap();
        apply_all(&e.converters, v, &Nothing)
    }

    fn s(t: &str) -> Value {
        Value::Str(t.into())
    }

    #[test]
    fn fields_and_words_as_documented() {
        // The examples of HAProxy's manual.
        let x = || s("f1_f2_f3__f5");
        assert_eq!(run("field(5,_)", x()), Some(s("f5")));
        assert_eq!(run("field(2,_,0)", x()), Some(s("f2_f3__f5")));
        assert_eq!(run("field(2,_,2)", x()), Some(s("f2_f3")));
        assert_eq!(run("field(-2,_,3)", x()), Some(s("f2_f3_")));
        assert_eq!(run("field(-3,_,0)", x()), Some(s("f1_f2_f3")));
        assert_eq!(run("word(4,_)", x()), Some(s("f5")));
        assert_eq!(run("word(2,_,0)", x()), Some(s("f2_f3__f5")));
        assert_eq!(run("word(3,_,2)", x()), Some(s("f3__f5")));
        assert_eq!(run("word(-2,_,3)", x()), Some(s("f1_f2_f3")));
        assert_eq!(run("word(-3,_,0)", x()), Some(s("f1_f2")));
        assert_eq!(run("word(1,/)", s("/f1/f2/f3/f4")), Some(s("f1")));
    }

    #[test]
    fn be2_as_documented() {
        let b = || Value::Bin(vec![1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(run("be2dec(:,2)", b()), Some(s("258:772:1286:7")));
        assert_eq!(run("be2dec(-,2,1)", b()), Some(s("258-772-1286")));
        assert_eq!(run("be2dec(,2,1)", b()), Some(s("2587721286")));
        assert_eq!(
            run("be2dec(.,1)", Value::Bin(vec![127, 0, 0, 1])),
            Some(s("127.0.0.1"))
        );
        assert_eq!(run("be2hex", b()), Some(s("01020304050607")));
        assert_eq!(run("be2hex(:,2)", b()), Some(s("0102:0304:0506:07")));
        assert_eq!(run("be2hex(--,2,1)", b()), Some(s("0102--0304--0506")));
        assert_eq!(
            run("be2hex(,3,1)", Value::Bin(vec![1, 2, 3, 4, 5, 6, 7, 8])),
            Some(s("010203040506"))
        );
    }

    #[test]
    fn arithmetic_as_measured() {
        // HAProxy 2.6: saturating, x/0 = i64::MAX, x%0 = 0, C signs.
        assert_eq!(
            run("add(1)", Value::Int(i64::MAX)),
            Some(Value::Int(i64::MAX))
        );
        assert_eq!(run("div(0)", Value::Int(5)), Some(Value::Int(i64::MAX)));
        assert_eq!(run("mod(0)", Value::Int(5)), Some(Value::Int(0)));
        assert_eq!(run("div(2)", Value::Int(-7)), Some(Value::Int(-3)));
        assert_eq!(run("mod(2)", Value::Int(-7)), Some(Value::Int(-1)));
        assert_eq!(run("add(1)", s("12abc")), Some(Value::Int(13)));
        assert_eq!(run("add(1)", s("")), None);
        assert_eq!(
            run("ipmask(24)", Value::Ip("::ffff:1.2.3.4".parse().unwrap())),
            Some(Value::Ip("1.2.3.0".parse().unwrap()))
        );
        assert_eq!(run("ipmask(24)", Value::Ip("::1".parse().unwrap())), None);
        assert_eq!(run("hex", Value::Int(258)), Some(s("0000000000000102")));
        assert_eq!(run("bool", s("x")), Some(Value::Bool(false)));
    }

    #[test]
    fn encodings_and_hosts() {
        assert_eq!(run("base64", s("abc")), Some(s("YWJj")));
        assert_eq!(run("b64dec", s("YWJj")), Some(Value::Bin(b"abc".to_vec())));
        assert_eq!(run("b64dec", s("!!")), None);
        assert_eq!(run("url_dec", s("a%20b+c?d+e")), Some(s("a b+c?d e")));
        assert_eq!(run("url_dec(1)", s("a+b")), Some(s("a b")));
        assert_eq!(run("json", s("a\"b/c")), Some(s("a\\\"b\\/c")));
        assert_eq!(
            run("host_only", s("Example.COM:8080")),
            Some(s("example.com"))
        );
        assert_eq!(run("port_only", s("[::1]:80")), Some(Value::Int(80)));
        assert_eq!(run("port_only", s("host")), Some(Value::Int(0)));
        assert_eq!(run("regsub(a+,x,g)", s("caaabaa")), Some(s("cxbx")));
        assert_eq!(run("iif(yes,no)", Value::Bool(false)), Some(s("no")));
        assert_eq!(
            run("http_date", Value::Int(784111777)),
            Some(s("Sun, 06 Nov 1994 08:49:37 GMT"))
        );
    }
}
