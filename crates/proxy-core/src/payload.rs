//! Fetches on the first bytes of a TCP stream (content inspection): `payload(off,len)`,
//! `payload_lv(off,len_size)`, `req_ssl_hello_type` / `rep_ssl_hello_type`, `req.len`,
//! `req.ssl_sni`. Each answers `Need` while the bytes it looks at have not arrived yet,
//! so the caller can wait (within `tcp-request inspect-delay`) or give up.

use crate::acl::{Fetch, Value};

/// The outcome of a fetch on a buffer that may still grow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Got {
    Values(Vec<Value>),
    /// More bytes are needed to answer.
    Need,
}

/// `payload(off,len)`: `len` bytes at `off` (len 0: to the end of the buffer).
pub fn payload(buf: &[u8], off: usize, len: usize) -> Option<&[u8]> {
    if len == 0 {
        return buf.get(off..);
    }
    buf.get(off..off.checked_add(len)?)
}

/// `payload_lv(off,len_size)`: a big-endian length of `len_size` bytes at `off`, then
/// that many bytes (HAProxy's form for SSL session ids at 43,1).
pub fn payload_lv(buf: &[u8], off: usize, len_size: usize) -> Option<&[u8]> {
    let len_bytes = buf.get(off..off.checked_add(len_size)?)?;
    let len = len_bytes
        .iter()
        .fold(0usize, |a, b| (a << 8) | usize::from(*b));
    let start = off + len_size;
    buf.get(start..start.checked_add(len)?)
}

/// The handshake type of a TLS record that starts the buffer (1 ClientHello,
/// 2 ServerHello), if it is one.
pub fn ssl_hello_type(buf: &[u8]) -> Option<u8> {
    match buf {
        [0x16, 0x03, _, _, _, t, ..] => Some(*t),
        _ => None,
    }
}

/// The server name a TLS ClientHello asks for (its SNI extension).
pub fn ssl_sni(buf: &[u8]) -> Option<String> {
    if ssl_hello_type(buf)? != 1 {
        return None;
    }
    // record(5) + handshake header(4) + version(2) + random(32)
    let mut p = 5 + 4 + 2 + 32;
    let sid = usize::from(*buf.get(p)?);
    p += 1 + sid;
    let suites = usize::from(u16::from_be_bytes([*buf.get(p)?, *buf.get(p + 1)?]));
    p += 2 + suites;
    let comp = usize::from(*buf.get(p)?);
    p += 1 + comp;
    let ext_len = usize::from(u16::from_be_bytes([*buf.get(p)?, *buf.get(p + 1)?]));
    p += 2;
    let end = p + ext_len;
    while p + 4 <= end {
        let typ = u16::from_be_bytes([*buf.get(p)?, *buf.get(p + 1)?]);
        let len = usize::from(u16::from_be_bytes([*buf.get(p + 2)?, *buf.get(p + 3)?]));
        p += 4;
        if typ == 0 {
            // server_name list: list length(2), type(1), name length(2), name
            let name_len = usize::from(u16::from_be_bytes([*buf.get(p + 3)?, *buf.get(p + 4)?]));
            let name = buf.get(p + 5..p + 5 + name_len)?;
            return String::from_utf8(name.to_vec()).ok();
        }
        p += len;
    }
    None
}

/// Answer a content fetch from the request (`req`) or response (`rep`) bytes so far.
/// Fetches that do not look at content give `None` (ask the connection instead).
pub fn fetch(f: &Fetch, req: &[u8], rep: &[u8]) -> Option<Got> {
    let bin = |b: Option<&[u8]>| match b {
        Some(v) => Got::Values(vec![Value::Bin(v.to_vec())]),
        None => Got::Need,
    };
    Some(match f {
        Fetch::Payload { response, off, len } => {
            bin(payload(if *response { rep } else { req }, *off, *len))
        }
        Fetch::PayloadLv {
            response,
            off,
            len_size,
        } => bin(payload_lv(
            if *response { rep } else { req },
            *off,
            *len_size,
        )),
        Fetch::SslHelloType { response } => {
            let b = if *response { rep } else { req };
            match (ssl_hello_type(b), b.len() >= 6) {
                (Some(t), _) => Got::Values(vec![Value::Int(i64::from(t))]),
                // Six bytes and still not a hello: it will never be one.
                (None, true) => Got::Values(Vec::new()),
                (None, false) => Got::Need,
            }
        }
        Fetch::ReqLen => Got::Values(vec![Value::Int(req.len() as i64)]),
        Fetch::Sni => match ssl_sni(req) {
            Some(n) => Got::Values(vec![Value::Str(n)]),
            None if req.len() < 5 => Got::Need,
            None => {
                let record = 5 + usize::from(u16::from_be_bytes([req[3], req[4]]));
                if ssl_hello_type(req).is_some() && req.len() < record {
                    Got::Need
                } else {
                    Got::Values(Vec::new())
                }
            }
        },
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::ssl_client_hello;

    /// A ClientHello with a session id and an SNI extension, built by hand.
    fn hello_with(session_id: &[u8], sni: &str) -> Vec<u8> {
        let mut body = vec![0x03, 0x03];
        body.extend_from_slice(&[1; 32]);
        body.push(session_id.len() as u8);
        body.extend_from_slice(session_id);
        body.extend_from_slice(&[0x00, 0x02, 0xc0, 0x2f, 0x01, 0x00]);
        let name = sni.as_bytes();
        let mut ext = vec![0x00, 0x00];
        ext.extend_from_slice(&((name.len() + 5) as u16).to_be_bytes());
        ext.extend_from_slice(&((name.len() + 3) as u16).to_be_bytes());
        ext.push(0);
        ext.extend_from_slice(&(name.len() as u16).to_be_bytes());
        ext.extend_from_slice(name);
        body.extend_from_slice(&(ext.len() as u16).to_be_bytes());
        body.extend_from_slice(&ext);
        let mut hs = vec![0x01, 0x00];
        hs.extend_from_slice(&(body.len() as u16).to_be_bytes());
        hs.extend_from_slice(&body);
        let mut rec = vec![0x16, 0x03, 0x01];
        rec.extend_from_slice(&(hs.len() as u16).to_be_bytes());
        rec.extend_from_slice(&hs);
        rec
    }

    #[test]
    fn session_id_at_43_and_sni() {
        let h = hello_with(&[0xab; 32], "exch.example.org");
        assert_eq!(ssl_hello_type(&h), Some(1));
        assert_eq!(payload_lv(&h, 43, 1), Some(&[0xab; 32][..]));
        assert_eq!(ssl_sni(&h).as_deref(), Some("exch.example.org"));
        assert_eq!(
            ssl_sni(&ssl_client_hello([0; 32])),
            None,
            "no SNI extension"
        );
    }

    #[test]
    fn partial_data_asks_for_more() {
        let h = hello_with(&[7; 32], "a.b");
        let f = Fetch::PayloadLv {
            response: false,
            off: 43,
            len_size: 1,
        };
        assert_eq!(fetch(&f, &h[..40], &[]), Some(Got::Need));
        assert_eq!(fetch(&f, &h[..60], &[]), Some(Got::Need));
        assert_eq!(
            fetch(&f, &h, &[]),
            Some(Got::Values(vec![Value::Bin(vec![7; 32])]))
        );
        let t = Fetch::SslHelloType { response: false };
        assert_eq!(fetch(&t, &h[..3], &[]), Some(Got::Need));
        assert_eq!(
            fetch(&t, b"GET / HTTP/1.1\r\n", &[]),
            Some(Got::Values(vec![]))
        );
        assert_eq!(fetch(&Fetch::Sni, &h[..20], &[]), Some(Got::Need));
        assert_eq!(fetch(&Fetch::Src, &h, &[]), None);
        assert_eq!(payload(b"abcdef", 2, 3), Some(&b"cde"[..]));
        assert_eq!(payload(b"abc", 2, 3), None);
    }
}
