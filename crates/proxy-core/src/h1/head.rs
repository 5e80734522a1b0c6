//! Response heads and request heads of HTTP/1.x.

use std::mem::MaybeUninit;
use std::ops::Range;

/// HAProxy's default `tune.http.maxhdr`: a head with more fields is refused.
const MAX_FIELDS: usize = 101;

/// Why a response head (or trailer section) cannot be used: the request fails (502).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeadError {
    #[error("invalid response head: {0}")]
    Invalid(&'static str),
    #[error("response head larger than the buffer ({0} bytes)")]
    TooLarge(usize),
    #[error("more than {MAX_FIELDS} header fields")]
    TooManyFields,
    #[error("invalid or conflicting Content-Length")]
    BadLength,
}

/// One header field: its name and value, as ranges of the parsed buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub name: Range<usize>,
    pub value: Range<usize>,
}

/// A parsed response head; `len` bytes of the buffer, every range inside them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// HTTP/1.1 (else HTTP/1.0).
    pub http11: bool,
    pub status: u16,
    pub reason: Range<usize>,
    pub fields: Vec<Field>,
    pub len: usize,
}

/// Where `part` (a slice of `buf`) sits in `buf`.
fn range_in(buf: &[u8], part: &[u8]) -> Range<usize> {
    let start = (part.as_ptr() as usize).saturating_sub(buf.as_ptr() as usize);
    start..start + part.len()
}

/// The fields httparse found, as ranges of `buf`.
fn field_ranges(buf: &[u8], found: &[httparse::Header<'_>]) -> Vec<Field> {
    found
        .iter()
        .map(|h| Field {
            name: range_in(buf, h.name.as_bytes()),
            value: range_in(buf, h.value),
        })
        .collect()
}

fn map_err(e: httparse::Error) -> HeadError {
    match e {
        httparse::Error::TooManyHeaders => HeadError::TooManyFields,
        httparse::Error::HeaderName => HeadError::Invalid("header name"),
        httparse::Error::HeaderValue => HeadError::Invalid("header value"),
        httparse::Error::NewLine => HeadError::Invalid("line ending"),
        httparse::Error::Status => HeadError::Invalid("status"),
        httparse::Error::Token => HeadError::Invalid("token"),
        httparse::Error::Version => HeadError::Invalid("version"),
    }
}

/// The response head at the start of `buf`: `None` while it is not whole (an error once
/// `max` bytes came without its end).
pub fn parse_response(buf: &[u8], max: usize) -> Result<Option<Head>, HeadError> {
    // Left uninitialised: zeroing 101 fields cost more than parsing a head.
    let mut fields = [const { MaybeUninit::uninit() }; MAX_FIELDS];
    let mut r = httparse::Response::new(&mut []);
    let parsed = httparse::ParserConfig::default().parse_response_with_uninit_headers(
        &mut r,
        buf,
        &mut fields,
    );
    let len = match parsed.map_err(map_err)? {
        httparse::Status::Complete(len) => len,
        httparse::Status::Partial if buf.len() >= max => return Err(HeadError::TooLarge(max)),
        httparse::Status::Partial => return Ok(None),
    };
    if len > max {
        return Err(HeadError::TooLarge(max));
    }
    let (Some(version), Some(status)) = (r.version, r.code) else {
        return Err(HeadError::Invalid("status line"));
    };
    let reason = range_in(buf, r.reason.unwrap_or("").as_bytes());
    let fields = field_ranges(buf, r.headers);
    Ok(Some(Head {
        http11: version == 1,
        status,
        reason,
        fields,
        len,
    }))
}

/// A trailer section (after the last chunk), `len` bytes with its final empty line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trailers {
    pub fields: Vec<Field>,
    pub len: usize,
}

/// The trailer section at the start of `buf`: `None` while it is not whole.
pub fn parse_trailers(buf: &[u8], max: usize) -> Result<Option<Trailers>, HeadError> {
    let mut fields = [httparse::EMPTY_HEADER; MAX_FIELDS];
    let (len, found) = match httparse::parse_headers(buf, &mut fields).map_err(map_err)? {
        httparse::Status::Complete(c) => c,
        httparse::Status::Partial if buf.len() >= max => return Err(HeadError::TooLarge(max)),
        httparse::Status::Partial => return Ok(None),
    };
    if len > max {
        return Err(HeadError::TooLarge(max));
    }
    Ok(Some(Trailers {
        fields: field_ranges(buf, found),
        len,
    }))
}

/// How a response body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// No body (HEAD, 1xx, 204, 304).
    Empty,
    Length(u64),
    Chunked,
    /// Until the server closes.
    UntilClose,
}

/// A response's framing, and whether the connection can take another request after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    pub framing: Framing,
    pub reusable: bool,
}

/// How the body of `head` (the response to a HEAD request when `to_head`) is delimited
/// (RFC 9112 6.3): no body for HEAD, 1xx, 204 and 304; Transfer-Encoding over
/// Content-Length (the connection is then not reused: such a message could be read two
/// ways); chunked only as the last coding, else until close; Content-Length values all
/// equal and all digits, else an error; neither: until close. One pass over the fields.
pub fn response_plan(head: &Head, buf: &[u8], to_head: bool) -> Result<Plan, HeadError> {
    let mut close = false;
    let mut has_length = false;
    let mut last_coding: Option<&[u8]> = None;
    let mut length: Result<Option<u64>, HeadError> = Ok(None);
    for f in &head.fields {
        let (name, value) = (&buf[f.name.clone()], &buf[f.value.clone()]);
        match name.len() {
            10 if name.eq_ignore_ascii_case(b"connection") => {
                close |= super::server::has_token(value, b"close");
            }
            14 if name.eq_ignore_ascii_case(b"content-length") => {
                has_length = true;
                for v in value.split(|&b| b == b',') {
                    let Ok(prev) = length else { break };
                    length = match (super::server::parse_length(v), prev) {
                        (None, _) => Err(HeadError::BadLength),
                        (Some(n), Some(p)) if p != n => Err(HeadError::BadLength),
                        (Some(n), _) => Ok(Some(n)),
                    };
                }
            }
            17 if name.eq_ignore_ascii_case(b"transfer-encoding") => {
                let mut codings = value.split(|&b| b == b',').map(<[u8]>::trim_ascii);
                if let Some(c) = codings.rfind(|c| !c.is_empty()) {
                    last_coding = Some(c);
                }
            }
            _ => {}
        }
    }
    let keep = head.http11 && !close;
    if to_head || head.status / 100 == 1 || head.status == 204 || head.status == 304 {
        return Ok(Plan {
            framing: Framing::Empty,
            reusable: keep,
        });
    }
    if let Some(last) = last_coding {
        // HTTP/1.0 has no transfer codings: such a response is refused (as hyper does).
        if !head.http11 {
            return Err(HeadError::Invalid(
                "Transfer-Encoding in an HTTP/1.0 response",
            ));
        }
        return Ok(if last.eq_ignore_ascii_case(b"chunked") {
            Plan {
                framing: Framing::Chunked,
                reusable: keep && !has_length,
            }
        } else {
            Plan {
                framing: Framing::UntilClose,
                reusable: false,
            }
        });
    }
    Ok(match length? {
        Some(n) => Plan {
            framing: Framing::Length(n),
            reusable: keep,
        },
        None => Plan {
            framing: Framing::UntilClose,
            reusable: false,
        },
    })
}

/// Appends a request head: `METHOD TARGET HTTP/1.x`, the fields as given, the empty line.
pub fn encode_request_head<'a>(
    out: &mut Vec<u8>,
    method: &str,
    target: &str,
    http11: bool,
    fields: impl Iterator<Item = (&'a [u8], &'a [u8])>,
) {
    out.extend_from_slice(method.as_bytes());
    out.push(b' ');
    out.extend_from_slice(target.as_bytes());
    out.extend_from_slice(if http11 {
        b" HTTP/1.1\r\n"
    } else {
        b" HTTP/1.0\r\n"
    });
    for (n, v) in fields {
        out.extend_from_slice(n);
        out.extend_from_slice(b": ");
        out.extend_from_slice(v);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(raw: &str, to_head: bool) -> Result<Plan, HeadError> {
        let buf = raw.as_bytes();
        let head = parse_response(buf, 16384)?.ok_or(HeadError::Invalid("partial"))?;
        response_plan(&head, buf, to_head)
    }

    fn p(framing: Framing, reusable: bool) -> Result<Plan, HeadError> {
        Ok(Plan { framing, reusable })
    }

    #[test]
    fn parses_a_head_into_ranges() {
        let buf = b"HTTP/1.1 404 Not Here\r\nServer: x\r\nContent-Length:  3 \r\n\r\nabc";
        let h = parse_response(buf, 1000).unwrap().unwrap();
        assert_eq!((h.http11, h.status, h.len), (true, 404, buf.len() - 3));
        assert_eq!(&buf[h.reason.clone()], b"Not Here");
        let f: Vec<(&[u8], &[u8])> = h
            .fields
            .iter()
            .map(|f| (&buf[f.name.clone()], &buf[f.value.clone()]))
            .collect();
        assert_eq!(
            f,
            [
                (&b"Server"[..], &b"x"[..]),
                (&b"Content-Length"[..], &b"3"[..])
            ]
        );
        assert_eq!(parse_response(&buf[..20], 1000), Ok(None));
        assert_eq!(parse_response(&buf[..20], 20), Err(HeadError::TooLarge(20)));
        assert!(parse_response(b"HTTP/1.1 200 OK\r\nA\r\n\r\n", 100).is_err());
        assert!(parse_response(b"HTTP/1.1 200 OK\r\nA: b\r\n c\r\n\r\n", 100).is_err());
        assert!(parse_response(b"HTTP/1.1 200 OK\r\nA : b\r\n\r\n", 100).is_err());
    }

    #[test]
    fn framing_follows_rfc_9112() {
        use Framing::*;
        let ok = "HTTP/1.1 200 OK\r\n";
        assert_eq!(
            plan(&format!("{ok}Content-Length: 5\r\n\r\n"), false),
            p(Length(5), true)
        );
        assert_eq!(
            plan(&format!("{ok}Content-Length: 5\r\n\r\n"), true),
            p(Empty, true)
        );
        assert_eq!(
            plan("HTTP/1.1 204 No\r\nContent-Length: 5\r\n\r\n", false),
            p(Empty, true)
        );
        assert_eq!(plan("HTTP/1.1 304 No\r\n\r\n", false), p(Empty, true));
        assert_eq!(plan(&format!("{ok}\r\n"), false), p(UntilClose, false));
        assert_eq!(
            plan(
                &format!("{ok}Transfer-Encoding: gzip, Chunked\r\n\r\n"),
                false
            ),
            p(Chunked, true)
        );
        assert_eq!(
            plan(
                &format!("{ok}Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"),
                false
            ),
            p(Chunked, false),
            "both: the coding wins, the connection is not reused"
        );
        assert_eq!(
            plan(
                &format!("{ok}Transfer-Encoding: chunked, gzip\r\n\r\n"),
                false
            ),
            p(UntilClose, false)
        );
        assert_eq!(
            plan(
                &format!("{ok}Content-Length: 5\r\nContent-Length: 5, 5\r\n\r\n"),
                false
            ),
            p(Length(5), true)
        );
        for bad in [
            "5\r\nContent-Length: 6",
            "+5",
            "-1",
            "5 5",
            "0x5",
            "",
            "99999999999999999999",
        ] {
            assert_eq!(
                plan(&format!("{ok}Content-Length: {bad}\r\n\r\n"), false),
                Err(HeadError::BadLength),
                "{bad}"
            );
        }
        assert_eq!(
            plan(
                &format!("{ok}Connection: keep-alive, Close\r\nContent-Length: 0\r\n\r\n"),
                false
            ),
            p(Length(0), false)
        );
        assert!(plan(
            "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
            false
        )
        .is_err());
        assert_eq!(
            plan("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n", false),
            p(Length(1), false),
            "HTTP/1.0: not reused"
        );
    }

    #[test]
    fn trailers_are_fields_and_an_empty_line() {
        let buf = b"Grpc-Status: 0\r\nX: y\r\n\r\nrest";
        let t = parse_trailers(buf, 100).unwrap().unwrap();
        assert_eq!(t.len, buf.len() - 4);
        assert_eq!(&buf[t.fields[1].value.clone()], b"y");
        assert_eq!(parse_trailers(b"\r\n", 100).unwrap().unwrap().len, 2);
        assert_eq!(parse_trailers(b"X: y\r\n", 100), Ok(None));
        assert!(parse_trailers(b"X: y\r\n", 6).is_err());
    }

    #[test]
    fn request_heads_are_written_as_given() {
        let mut out = Vec::new();
        let fields = [(&b"host"[..], &b"a"[..]), (&b"x-y"[..], &b"1"[..])];
        encode_request_head(&mut out, "GET", "/p?q", true, fields.into_iter());
        assert_eq!(out, b"GET /p?q HTTP/1.1\r\nhost: a\r\nx-y: 1\r\n\r\n");
    }
}
