//! The client side of HTTP/1.x without I/O: a request head read from bytes, and a response
//! head written with the framing its body gets. Only plain requests are taken here (no body,
//! no upgrade, no `Expect`, no `TE`, not CONNECT: what nearly every request is); anything
//! else, a malformed head included, is `Other`, for the caller to hand the connection to a
//! full HTTP/1.1 implementation, which then reads the very same bytes.

use super::head::Field;
use std::ops::Range;

/// At most this many header fields in a request head taken here (hyper's server default,
/// so that a head with more goes to the fallback, which refuses it as before).
pub const MAX_FIELDS: usize = 100;
/// A longer request target goes to the fallback (which answers 414).
pub const MAX_TARGET: usize = 65534;

/// A plain request head: `len` bytes of the buffer, every range inside them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: Range<usize>,
    pub target: Range<usize>,
    /// HTTP/1.1 (else HTTP/1.0).
    pub http11: bool,
    pub fields: Vec<Field>,
    pub len: usize,
    /// Whether the client lets the connection stay open after the response (HTTP/1.1
    /// unless `Connection: close`; HTTP/1.0 only with `Connection: keep-alive`).
    pub keep_alive: bool,
}

/// What the start of a client's buffer holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    /// Not a whole head yet (and shorter than the limit).
    Partial,
    Plain(Request),
    /// Anything else: a request with a body or an upgrade, or a head that is invalid or
    /// too large.
    Other,
}

/// Fields whose presence makes a request more than a plain one.
const NOT_PLAIN: [&[u8]; 5] = [
    b"content-length",
    b"transfer-encoding",
    b"te",
    b"expect",
    b"upgrade",
];

/// Whether a comma-separated field value names `token`.
pub fn has_token(value: &[u8], token: &[u8]) -> bool {
    value
        .split(|&b| b == b',')
        .any(|t| t.trim_ascii().eq_ignore_ascii_case(token))
}

/// Where `part` (a slice of `buf`) sits in `buf`.
fn range_in(buf: &[u8], part: &[u8]) -> Range<usize> {
    let start = (part.as_ptr() as usize).saturating_sub(buf.as_ptr() as usize);
    start..start + part.len()
}

/// The request head at the start of `buf`, if it is a plain one; `max` is the largest
/// head allowed (a longer one is `Other`).
pub fn parse_request(buf: &[u8], max: usize) -> Parsed {
    // Left uninitialised: zeroing the fields cost more than parsing a head.
    let mut found = [const { std::mem::MaybeUninit::uninit() }; MAX_FIELDS];
    let mut r = httparse::Request::new(&mut []);
    let len = match r.parse_with_uninit_headers(buf, &mut found) {
        Ok(httparse::Status::Complete(len)) if len <= max => len,
        Ok(httparse::Status::Partial) if buf.len() < max => return Parsed::Partial,
        _ => return Parsed::Other,
    };
    let (Some(method), Some(target), Some(version)) = (r.method, r.path, r.version) else {
        return Parsed::Other;
    };
    if method == "CONNECT" || target.len() > MAX_TARGET {
        return Parsed::Other;
    }
    let http11 = version == 1;
    let mut keep_alive = http11;
    let mut close = false;
    let mut fields = Vec::with_capacity(r.headers.len());
    for h in r.headers.iter() {
        let name = h.name.as_bytes();
        if NOT_PLAIN.iter().any(|n| name.eq_ignore_ascii_case(n)) {
            return Parsed::Other;
        }
        if name.eq_ignore_ascii_case(b"connection") {
            // Once a field asks to close, a later `keep-alive` does not undo it.
            if close || has_token(h.value, b"close") {
                close = true;
                keep_alive = false;
            } else if !keep_alive {
                keep_alive = has_token(h.value, b"keep-alive");
            }
        }
        fields.push(Field {
            name: range_in(buf, name),
            value: range_in(buf, h.value),
        });
    }
    Parsed::Plain(Request {
        method: range_in(buf, method.as_bytes()),
        target: range_in(buf, target.as_bytes()),
        http11,
        fields,
        len,
        keep_alive,
    })
}

/// What the response's body is, as far as is known before it is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyLen {
    /// Nothing at all (the body has ended before it began).
    Empty,
    Known(u64),
    Unknown,
}

/// How the body goes on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Out {
    /// Exactly this many bytes (0: none are sent, whatever the body holds).
    Length(u64),
    Chunked,
    /// As it comes, then the connection is closed.
    UntilClose,
}

/// A written head: the body's framing, and whether the connection can take another
/// request after this response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Encoded {
    pub out: Out,
    pub keep_alive: bool,
}

/// The facts about the exchange a response head depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exchange {
    /// The request was HTTP/1.0 (the response is written as HTTP/1.0).
    pub http10: bool,
    /// The request was HEAD (no body is sent, its length is kept).
    pub head: bool,
    /// The connection may stay open (the client and the configuration allow it).
    pub keep_alive: bool,
}

/// Why a response cannot be written as it is: the connection is closed instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    #[error("interim response status {0} cannot end a request")]
    Interim(u16),
    #[error("conflicting or invalid Content-Length in the response")]
    BadLength,
    #[error("both Content-Length and Transfer-Encoding in the response")]
    LengthAndCoding,
}

/// Whether a response to this exchange can carry a body.
fn can_have_body(x: &Exchange, status: u16) -> bool {
    !x.head && can_have_length(status)
}

fn can_have_length(status: u16) -> bool {
    status >= 200 && status != 204 && status != 304
}

/// A Content-Length value (or one element of a list of them): digits only, trimmed.
pub(super) fn parse_length(v: &[u8]) -> Option<u64> {
    let v = v.trim_ascii();
    if v.is_empty() || v.len() > 19 || !v.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(v.iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0')))
}

fn line(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    out.extend_from_slice(name);
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

/// Appends the response head: status line, the fields (names as given: lower case from a
/// header map), the framing fields the body needs, the empty line. Framing as RFC 9112 6
/// says and as hyper's server did before this path existed: a known length is sent as
/// Content-Length, an unknown one chunked (HTTP/1.1) or until close (HTTP/1.0); HEAD, 1xx,
/// 204 and 304 send no body; `Connection` values are written on one line, `close` added
/// when the connection ends after an HTTP/1.1 response, `keep-alive` when an HTTP/1.0
/// client's connection stays open.
/// `fields` gives the fields each time it is called (they are looked through more than once).
pub fn encode_response_head<'a, I>(
    out: &mut Vec<u8>,
    (status, reason): (u16, &[u8]),
    x: &Exchange,
    body: BodyLen,
    fields: impl Fn() -> I,
) -> Result<Encoded, EncodeError>
where
    I: Iterator<Item = (&'a [u8], &'a [u8])>,
{
    if status < 200 {
        return Err(EncodeError::Interim(status));
    }
    let start = out.len();
    if !x.http10 && status == 200 && reason == b"OK" {
        out.extend_from_slice(b"HTTP/1.1 200 OK\r\n");
    } else {
        out.extend_from_slice(if x.http10 { b"HTTP/1.0 " } else { b"HTTP/1.1 " });
        out.extend_from_slice(itoa::Buffer::new().format(status).as_bytes());
        out.push(b' ');
        out.extend_from_slice(reason);
        out.extend_from_slice(b"\r\n");
    }
    let is = |n: &[u8], w: &[u8]| n.eq_ignore_ascii_case(w);
    let conn_values = || fields().filter(|(n, _)| is(n, b"connection"));
    let mut keep_alive = x.keep_alive && !conn_values().any(|(_, v)| has_token(v, b"close"));
    let mut add_conn: Option<&[u8]> = None;
    if x.http10 {
        if keep_alive && !conn_values().any(|(_, v)| has_token(v, b"keep-alive")) {
            add_conn = Some(b"keep-alive");
        }
    } else if !keep_alive && !conn_values().any(|(_, v)| has_token(v, b"close")) {
        add_conn = Some(b"close");
    }
    let chunk_ok = !x.http10 && can_have_body(x, status);
    let mut framing: Option<Out> = None;
    let (mut wrote_conn, mut wrote_te, mut wrote_len) = (false, false, false);
    for (name, value) in fields() {
        if is(name, b"connection") {
            if !wrote_conn {
                wrote_conn = true;
                let mut all = conn_values().map(|(_, v)| v);
                out.extend_from_slice(b"connection: ");
                if let Some(first) = all.next() {
                    out.extend_from_slice(first);
                }
                for v in all.chain(add_conn.take()) {
                    out.extend_from_slice(b", ");
                    out.extend_from_slice(v);
                }
                out.extend_from_slice(b"\r\n");
            }
        } else if is(name, b"content-length") {
            if wrote_te {
                out.truncate(start);
                return Err(EncodeError::LengthAndCoding);
            }
            let n = parse_length(value);
            match body {
                // Later values: one length only (an unknown body goes by it).
                _ if wrote_len => {
                    if body == BodyLen::Unknown && framing != n.map(Out::Length) {
                        out.truncate(start);
                        return Err(EncodeError::BadLength);
                    }
                }
                BodyLen::Empty if !x.head => {}
                BodyLen::Empty => {
                    wrote_len = true;
                    framing = Some(Out::Length(0));
                    line(out, name, value);
                }
                // A response to HEAD keeps the length it announces.
                BodyLen::Known(0) if x.head => {
                    wrote_len = true;
                    framing = Some(Out::Length(0));
                    line(out, b"content-length", value);
                }
                // The body's own length, whatever the field said: what is sent is what
                // the client counts.
                BodyLen::Known(k) => {
                    wrote_len = true;
                    framing = Some(Out::Length(k));
                    line(
                        out,
                        b"content-length",
                        itoa::Buffer::new().format(k).as_bytes(),
                    );
                }
                BodyLen::Unknown => {
                    let Some(n) = n else {
                        out.truncate(start);
                        return Err(EncodeError::BadLength);
                    };
                    wrote_len = true;
                    framing = Some(Out::Length(n));
                    line(out, b"content-length", value);
                }
            }
        } else if is(name, b"transfer-encoding") {
            if !chunk_ok || wrote_te {
                continue;
            }
            if wrote_len {
                out.truncate(start);
                return Err(EncodeError::LengthAndCoding);
            }
            wrote_te = true;
            framing = Some(Out::Chunked);
            let mut all = fields()
                .filter(|(n, _)| is(n, b"transfer-encoding"))
                .map(|(_, v)| v);
            out.extend_from_slice(b"transfer-encoding: ");
            let mut last: &[u8] = b"";
            if let Some(first) = all.next() {
                out.extend_from_slice(first);
                last = first;
            }
            for v in all {
                out.extend_from_slice(b", ");
                out.extend_from_slice(v);
                last = v;
            }
            let last_coding = last.rsplit(|&b| b == b',').next().unwrap_or(b"");
            if !last_coding.trim_ascii().eq_ignore_ascii_case(b"chunked") {
                out.extend_from_slice(b", chunked");
            }
            out.extend_from_slice(b"\r\n");
        } else if is(name, b"trailer") && !chunk_ok {
            // No trailers without chunks.
        } else {
            line(out, name, value);
        }
    }
    if let Some(v) = add_conn {
        line(out, b"connection", v);
    }
    let mut out_framing = match framing {
        Some(f) => f,
        None => match body {
            BodyLen::Unknown if chunk_ok => {
                line(out, b"transfer-encoding", b"chunked");
                Out::Chunked
            }
            BodyLen::Unknown if can_have_body(x, status) => Out::UntilClose,
            BodyLen::Unknown => Out::Length(0),
            BodyLen::Empty | BodyLen::Known(0) => {
                if can_have_length(status) && !x.head {
                    line(out, b"content-length", b"0");
                }
                Out::Length(0)
            }
            BodyLen::Known(n) => {
                if can_have_length(status) {
                    line(
                        out,
                        b"content-length",
                        itoa::Buffer::new().format(n).as_bytes(),
                    );
                    Out::Length(n)
                } else {
                    Out::Length(0)
                }
            }
        },
    };
    if !can_have_body(x, status) {
        out_framing = Out::Length(0);
    }
    if out_framing == Out::UntilClose {
        keep_alive = false;
    }
    out.extend_from_slice(b"\r\n");
    Ok(Encoded {
        out: out_framing,
        keep_alive,
    })
}

/// Appends the size line of a chunk of `n` bytes (its data and CRLF follow).
pub fn chunk_size_line(out: &mut Vec<u8>, n: usize) {
    let mut digits = [0u8; 16];
    let mut i = digits.len();
    let mut v = n;
    loop {
        i -= 1;
        digits[i] = b"0123456789abcdef"[v & 15];
        v >>= 4;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
    out.extend_from_slice(b"\r\n");
}

/// The end of a chunked body (no trailers).
pub const LAST_CHUNK: &[u8] = b"0\r\n\r\n";

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn plain(raw: &str) -> Request {
        match parse_request(raw.as_bytes(), 8192) {
            Parsed::Plain(r) => r,
            other => panic!("{raw:?}: {other:?}"),
        }
    }

    #[test]
    fn reads_a_plain_head_into_ranges() {
        let raw = "GET /a?b HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\nGET /next";
        let r = plain(raw);
        let b = raw.as_bytes();
        assert_eq!(&b[r.method.clone()], b"GET");
        assert_eq!(&b[r.target.clone()], b"/a?b");
        assert!(r.http11 && r.keep_alive);
        assert_eq!(r.len, raw.find("GET /next").unwrap());
        let f: Vec<_> = r
            .fields
            .iter()
            .map(|f| (&b[f.name.clone()], &b[f.value.clone()]))
            .collect();
        assert_eq!(
            f,
            vec![(&b"Host"[..], &b"x"[..]), (&b"Accept"[..], &b"*/*"[..])]
        );
    }

    #[test]
    fn keep_alive_as_each_version_says() {
        assert!(!plain("GET / HTTP/1.0\r\n\r\n").keep_alive);
        assert!(plain("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").keep_alive);
        assert!(!plain("GET / HTTP/1.1\r\nConnection: foo, close\r\n\r\n").keep_alive);
        assert!(
            !plain("GET / HTTP/1.0\r\nConnection: close\r\nConnection: keep-alive\r\n\r\n")
                .keep_alive
        );
        assert!(plain("GET / HTTP/1.1\r\nConnection: keep-alive\r\n\r\n").keep_alive);
    }

    #[test]
    fn anything_but_a_plain_request_goes_elsewhere() {
        for raw in [
            "POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
            "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
            "GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n",
            "GET / HTTP/1.1\r\nExpect: 100-continue\r\n\r\n",
            "GET / HTTP/1.1\r\nTE: trailers\r\n\r\n",
            "CONNECT a:443 HTTP/1.1\r\n\r\n",
            "GET / HTTP/1.1\r\nbad header\r\n\r\n",
            "GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n",
            "GET /\0 HTTP/1.1\r\n\r\n",
            "GET / HTTP/2.0\r\n\r\n",
        ] {
            assert_eq!(
                parse_request(raw.as_bytes(), 8192),
                Parsed::Other,
                "{raw:?}"
            );
        }
        let many: String = (0..=MAX_FIELDS).map(|i| format!("X{i}: v\r\n")).collect();
        let raw = format!("GET / HTTP/1.1\r\n{many}\r\n");
        assert_eq!(parse_request(raw.as_bytes(), 1 << 20), Parsed::Other);
        // Too large, whole or not.
        assert_eq!(parse_request(b"GET / HTTP/1.1\r\n\r\n", 10), Parsed::Other);
        assert_eq!(parse_request(b"GET / HTTP/1.1\r\nX: y", 10), Parsed::Other);
        assert_eq!(
            parse_request(b"GET / HTTP/1.1\r\nX: y", 100),
            Parsed::Partial
        );
    }

    fn encode(
        status: u16,
        x: Exchange,
        body: BodyLen,
        fields: &[(&str, &str)],
    ) -> (String, Result<Encoded, EncodeError>) {
        let mut out = Vec::new();
        let reason: &[u8] = if status == 200 { b"OK" } else { b"Reason" };
        let r = encode_response_head(&mut out, (status, reason), &x, body, || {
            fields.iter().map(|(n, v)| (n.as_bytes(), v.as_bytes()))
        });
        (String::from_utf8(out).unwrap(), r)
    }

    const KA11: Exchange = Exchange {
        http10: false,
        head: false,
        keep_alive: true,
    };

    fn enc(out: Out, keep_alive: bool) -> Result<Encoded, EncodeError> {
        Ok(Encoded { out, keep_alive })
    }

    #[test]
    fn framing_of_known_unknown_and_empty_bodies() {
        let (h, r) = encode(200, KA11, BodyLen::Known(13), &[("server", "x")]);
        assert_eq!(
            h,
            "HTTP/1.1 200 OK\r\nserver: x\r\ncontent-length: 13\r\n\r\n"
        );
        assert_eq!(r, enc(Out::Length(13), true));
        let (h, r) = encode(404, KA11, BodyLen::Unknown, &[]);
        assert_eq!(
            h,
            "HTTP/1.1 404 Reason\r\ntransfer-encoding: chunked\r\n\r\n"
        );
        assert_eq!(r, enc(Out::Chunked, true));
        let (h, r) = encode(200, KA11, BodyLen::Empty, &[("content-length", "0")]);
        assert_eq!(h, "HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n");
        assert_eq!(r, enc(Out::Length(0), true));
        // The server's length is kept when the body's size is not known.
        let (h, r) = encode(200, KA11, BodyLen::Unknown, &[("content-length", "5")]);
        assert_eq!(h, "HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n");
        assert_eq!(r, enc(Out::Length(5), true));
        // A body of known size is framed by its size, not by a field that disagrees.
        let (h, r) = encode(200, KA11, BodyLen::Known(2), &[("content-length", "5")]);
        assert_eq!(h, "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n");
        assert_eq!(r, enc(Out::Length(2), true));
        let (_, r) = encode(
            200,
            KA11,
            BodyLen::Unknown,
            &[("content-length", "5"), ("content-length", "6")],
        );
        assert_eq!(r, Err(EncodeError::BadLength));
        let (h, r) = encode(
            200,
            KA11,
            BodyLen::Unknown,
            &[("transfer-encoding", "gzip")],
        );
        assert_eq!(
            h,
            "HTTP/1.1 200 OK\r\ntransfer-encoding: gzip, chunked\r\n\r\n"
        );
        assert_eq!(r, enc(Out::Chunked, true));
    }

    #[test]
    fn no_body_for_head_204_and_304() {
        let head = Exchange { head: true, ..KA11 };
        let (h, r) = encode(200, head, BodyLen::Empty, &[("content-length", "42")]);
        assert_eq!(h, "HTTP/1.1 200 OK\r\ncontent-length: 42\r\n\r\n");
        assert_eq!(r, enc(Out::Length(0), true));
        let (h, r) = encode(200, head, BodyLen::Known(42), &[]);
        assert_eq!(h, "HTTP/1.1 200 OK\r\ncontent-length: 42\r\n\r\n");
        assert_eq!(r, enc(Out::Length(0), true));
        let (h, r) = encode(
            204,
            KA11,
            BodyLen::Unknown,
            &[("transfer-encoding", "chunked")],
        );
        assert_eq!(h, "HTTP/1.1 204 Reason\r\n\r\n");
        assert_eq!(r, enc(Out::Length(0), true));
        let (h, _) = encode(304, KA11, BodyLen::Known(0), &[]);
        assert_eq!(h, "HTTP/1.1 304 Reason\r\n\r\n");
        assert!(encode(100, KA11, BodyLen::Empty, &[]).1.is_err());
    }

    #[test]
    fn connection_fields_say_what_happens_next() {
        let close = Exchange {
            keep_alive: false,
            ..KA11
        };
        let (h, r) = encode(200, close, BodyLen::Known(0), &[]);
        assert_eq!(
            h,
            "HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 0\r\n\r\n"
        );
        assert_eq!(r, enc(Out::Length(0), false));
        let (h, r) = encode(200, KA11, BodyLen::Known(0), &[("connection", "close")]);
        assert_eq!(
            h,
            "HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 0\r\n\r\n"
        );
        assert_eq!(r, enc(Out::Length(0), false));
        let (h, _) = encode(
            200,
            close,
            BodyLen::Known(0),
            &[("connection", "x"), ("a", "b"), ("connection", "y")],
        );
        assert_eq!(
            h,
            "HTTP/1.1 200 OK\r\nconnection: x, y, close\r\na: b\r\ncontent-length: 0\r\n\r\n"
        );
        // HTTP/1.0: keep-alive said when the connection stays; an unknown length closes it.
        let ka10 = Exchange {
            http10: true,
            ..KA11
        };
        let (h, r) = encode(200, ka10, BodyLen::Known(1), &[]);
        assert_eq!(
            h,
            "HTTP/1.0 200 OK\r\nconnection: keep-alive\r\ncontent-length: 1\r\n\r\n"
        );
        assert_eq!(r, enc(Out::Length(1), true));
        let (h, r) = encode(
            200,
            ka10,
            BodyLen::Unknown,
            &[("transfer-encoding", "chunked")],
        );
        assert_eq!(h, "HTTP/1.0 200 OK\r\nconnection: keep-alive\r\n\r\n");
        assert_eq!(r, enc(Out::UntilClose, false));
        let (h, r) = encode(
            200,
            Exchange {
                keep_alive: false,
                ..ka10
            },
            BodyLen::Known(1),
            &[],
        );
        assert_eq!(h, "HTTP/1.0 200 OK\r\ncontent-length: 1\r\n\r\n");
        assert_eq!(r, enc(Out::Length(1), false));
    }

    #[test]
    fn chunk_sizes_in_hex() {
        for (n, s) in [(0, "0\r\n"), (13, "d\r\n"), (65536, "10000\r\n")] {
            let mut out = Vec::new();
            chunk_size_line(&mut out, n);
            assert_eq!(out, s.as_bytes());
        }
    }

    proptest! {
        /// Whatever the fields, a written head reads back (with the response parser used
        /// towards servers) with the framing the encoder chose.
        #[test]
        fn written_heads_read_back_with_their_framing(
            status in prop_oneof![Just(200u16), Just(204), Just(304), Just(404), 200u16..600],
            http10 in any::<bool>(),
            head in any::<bool>(),
            keep_alive in any::<bool>(),
            body in prop_oneof![
                Just(BodyLen::Empty),
                Just(BodyLen::Unknown),
                (0u64..1_000_000).prop_map(BodyLen::Known),
            ],
            extra in proptest::collection::vec(
                ("[a-z][a-z-]{0,10}", "[ -~]{0,20}"),
                0..6,
            ),
            conn in proptest::option::of(prop_oneof![Just("close"), Just("keep-alive"), Just("x")]),
        ) {
            let mut fields: Vec<(String, String)> = extra
                .into_iter()
                .filter(|(n, _)| !["content-length", "transfer-encoding", "connection", "trailer"]
                    .contains(&n.as_str()))
                .map(|(n, v)| (n, v.trim().to_string()))
                .collect();
            if let Some(c) = conn {
                fields.push(("connection".into(), c.into()));
            }
            let x = Exchange { http10, head, keep_alive };
            let mut out = Vec::new();
            let e = encode_response_head(
                &mut out,
                (status, b"R"),
                &x,
                body,
                || fields.iter().map(|(n, v)| (n.as_bytes(), v.as_bytes())),
            ).unwrap();
            let parsed = super::super::parse_response(&out, 1 << 20).unwrap().unwrap();
            prop_assert_eq!(parsed.len, out.len());
            prop_assert_eq!(parsed.status, status);
            prop_assert_eq!(parsed.http11, !http10);
            let plan = super::super::response_plan(&parsed, &out, head).unwrap();
            let expect = match e.out {
                Out::Length(0) => [super::super::Framing::Empty, super::super::Framing::Length(0)]
                    .contains(&plan.framing),
                Out::Length(n) => plan.framing == super::super::Framing::Length(n),
                Out::Chunked => plan.framing == super::super::Framing::Chunked,
                Out::UntilClose => plan.framing == super::super::Framing::UntilClose,
            };
            prop_assert!(expect, "{:?} vs {:?}", e, plan);
            // A client reading this head keeps the connection exactly when we do (an
            // HTTP/1.0 client reads `keep-alive`).
            if e.keep_alive && !http10 {
                prop_assert!(plan.reusable || plan.framing == super::super::Framing::UntilClose);
            }
            if !e.keep_alive && !http10 {
                prop_assert!(!plan.reusable);
            }
        }
    }
}
