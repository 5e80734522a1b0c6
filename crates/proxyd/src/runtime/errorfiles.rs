//! `errorfile CODE FILE`: the file is a whole HTTP response (status line, headers, body),
//! sent as it is when proxyd would answer CODE itself.

use haproxy_conf::model::Proxy;
use std::collections::HashMap;

pub fn load(p: &Proxy) -> Result<HashMap<u16, bytes::Bytes>, String> {
    let mut out = HashMap::new();
    for e in &p.errorfiles {
        let raw = std::fs::read(&e.file).map_err(|err| format!("errorfile {}: {err}", e.file))?;
        out.insert(e.status, bytes::Bytes::from(raw));
    }
    Ok(out)
}

/// A raw response, split.
pub struct Raw<'a> {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: &'a [u8],
}

/// Split a raw response into status, headers and body.
pub fn parse(raw: &[u8]) -> Option<Raw<'_>> {
    let head_end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, i + 4))
        .or_else(|| {
            raw.windows(2)
                .position(|w| w == b"\n\n")
                .map(|i| (i, i + 2))
        })?;
    let head = std::str::from_utf8(&raw[..head_end.0]).ok()?;
    let mut lines = head.lines();
    let status = lines.next()?.split_whitespace().nth(1)?.parse().ok()?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Some(Raw {
        status,
        headers,
        body: &raw[head_end.1..],
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn raw_responses() {
        let raw = b"HTTP/1.0 503 Service Unavailable\r\nCache-Control: no-cache\r\nContent-Type: text/html\r\n\r\n<h1>sorry</h1>\n";
        let super::Raw {
            status: st,
            headers: h,
            body,
        } = super::parse(raw).unwrap();
        assert_eq!(st, 503);
        assert_eq!(h[1], ("Content-Type".to_string(), "text/html".to_string()));
        assert_eq!(body, b"<h1>sorry</h1>\n");
        assert!(super::parse(b"garbage").is_none());
    }
}
