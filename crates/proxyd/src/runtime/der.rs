//! The few fields of an X.509 certificate that checking a server's name the way HAProxy
//! does needs, and that webpki does not give: the subject's common names and the DNS
//! names (HAProxy matches both), the validity dates and the raw issuer and subject (a
//! self-signed certificate trusted as it is). A minimal DER reader: anything it does not
//! understand makes the certificate unreadable, which fails the verification.

/// One DER element: its tag, its contents, and what follows it.
fn element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (len, &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

/// The contents of an element with tag `want`, and what follows.
fn expect(input: &[u8], want: u8) -> Option<(&[u8], &[u8])> {
    let (tag, body, rest) = element(input)?;
    (tag == want).then_some((body, rest))
}

const SEQUENCE: u8 = 0x30;
const SET: u8 = 0x31;
const OID: u8 = 0x06;
/// 2.5.4.3, commonName.
const CN: &[u8] = &[0x55, 0x04, 0x03];
/// 2.5.29.17, subjectAltName.
const SAN: &[u8] = &[0x55, 0x1d, 0x11];

/// What proxyd reads of a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    /// The certificate's version as written in it (0 for v1, 2 for v3).
    pub version: i64,
    /// The serial number's bytes as encoded.
    pub serial: Vec<u8>,
    /// The validity dates as the certificate writes them (`YYMMDDhhmmssZ`).
    pub not_before_text: String,
    pub not_after_text: String,
    pub issuer: Vec<u8>,
    pub subject: Vec<u8>,
    /// Seconds since the epoch.
    pub not_before: i64,
    pub not_after: i64,
    pub common_names: Vec<String>,
    pub dns_names: Vec<String>,
}

impl CertInfo {
    /// Issued by itself (issuer and subject are the same name).
    pub fn self_issued(&self) -> bool {
        self.issuer == self.subject
    }
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// UTCTime (`YYMMDDHHMMSSZ`) or GeneralizedTime (`YYYYMMDDHHMMSSZ`).
fn time(tag: u8, body: &[u8]) -> Option<i64> {
    let text = std::str::from_utf8(body).ok()?;
    let digits = text.strip_suffix('Z')?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let num = |s: &str| s.parse::<i64>().ok();
    let (year, rest) = match (tag, digits.len()) {
        (0x17, 12) => {
            let yy = num(&digits[..2])?;
            (if yy < 50 { 2000 + yy } else { 1900 + yy }, &digits[2..])
        }
        (0x18, 14) => (num(&digits[..4])?, &digits[4..]),
        _ => return None,
    };
    let (mo, d, h, mi, s) = (
        num(&rest[0..2])?,
        num(&rest[2..4])?,
        num(&rest[4..6])?,
        num(&rest[6..8])?,
        num(&rest[8..10])?,
    );
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    Some(days_from_civil(year, mo, d) * 86_400 + h * 3600 + mi * 60 + s)
}

/// A directory string as text (UTF8String, PrintableString, IA5String, T61String,
/// BMPString).
fn text(tag: u8, body: &[u8]) -> Option<String> {
    match tag {
        0x0c | 0x13 | 0x16 | 0x14 => Some(String::from_utf8_lossy(body).into_owned()),
        0x1e => {
            let units: Vec<u16> = body
                .chunks(2)
                .map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))
                .collect();
            Some(String::from_utf16_lossy(&units))
        }
        _ => None,
    }
}

/// The common names of a Name (a sequence of sets of type-value pairs).
fn common_names(mut name: &[u8]) -> Option<Vec<String>> {
    let mut out = Vec::new();
    while !name.is_empty() {
        let (mut set, rest) = expect(name, SET)?;
        name = rest;
        while !set.is_empty() {
            let (atv, rest) = expect(set, SEQUENCE)?;
            set = rest;
            let (oid, value) = expect(atv, OID)?;
            if oid == CN {
                let (tag, body, _) = element(value)?;
                if let Some(t) = text(tag, body) {
                    out.push(t);
                }
            }
        }
    }
    Some(out)
}

/// The short names OpenSSL writes for name attributes.
fn attr_name(oid: &[u8]) -> String {
    match oid {
        [0x55, 0x04, 0x03] => "CN".into(),
        [0x55, 0x04, 0x06] => "C".into(),
        [0x55, 0x04, 0x07] => "L".into(),
        [0x55, 0x04, 0x08] => "ST".into(),
        [0x55, 0x04, 0x0a] => "O".into(),
        [0x55, 0x04, 0x0b] => "OU".into(),
        [0x55, 0x04, 0x05] => "serialNumber".into(),
        [0x55, 0x04, 0x0c] => "title".into(),
        [0x55, 0x04, 0x2a] => "GN".into(),
        [0x55, 0x04, 0x04] => "SN".into(),
        [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01] => "emailAddress".into(),
        [0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19] => "DC".into(),
        [0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x01] => "UID".into(),
        other => {
            // Dotted form for the others.
            let mut parts = Vec::new();
            if let Some((&first, rest)) = other.split_first() {
                parts.push((first / 40).to_string());
                parts.push((first % 40).to_string());
                let mut n: u64 = 0;
                for &b in rest {
                    n = (n << 7) | u64::from(b & 0x7f);
                    if b & 0x80 == 0 {
                        parts.push(n.to_string());
                        n = 0;
                    }
                }
            }
            parts.join(".")
        }
    }
}

/// The attributes of a Name (the contents of its SEQUENCE), in order.
pub fn name_attrs(mut name: &[u8]) -> Option<Vec<(String, String)>> {
    let mut out = Vec::new();
    while !name.is_empty() {
        let (mut set, rest) = expect(name, SET)?;
        name = rest;
        while !set.is_empty() {
            let (atv, rest) = expect(set, SEQUENCE)?;
            set = rest;
            let (oid, value) = expect(atv, OID)?;
            let (tag, body, _) = element(value)?;
            out.push((attr_name(oid), text(tag, body).unwrap_or_default()));
        }
    }
    Some(out)
}

/// A Name as OpenSSL writes it on one line: `/C=FR/O=Example/CN=client`.
pub fn oneline(name: &[u8]) -> Option<String> {
    Some(
        name_attrs(name)?
            .iter()
            .map(|(k, v)| format!("/{k}={v}"))
            .collect(),
    )
}

/// The DNS names of a subjectAltName extension's value.
fn dns_names(value: &[u8]) -> Option<Vec<String>> {
    let (mut names, _) = expect(value, SEQUENCE)?;
    let mut out = Vec::new();
    while !names.is_empty() {
        let (tag, body, rest) = element(names)?;
        names = rest;
        // dNSName: [2] IMPLICIT IA5String.
        if tag == 0x82 {
            out.push(String::from_utf8_lossy(body).into_owned());
        }
    }
    Some(out)
}

/// Read a certificate (DER). None when it is not one this reader understands.
pub fn parse(der: &[u8]) -> Option<CertInfo> {
    let (cert, _) = expect(der, SEQUENCE)?;
    let (tbs, _) = expect(cert, SEQUENCE)?;
    let mut rest = tbs;
    // [0] EXPLICIT version, optional.
    if let Some((0xa0, _, after)) = element(rest) {
        rest = after;
    }
    let mut version = 0;
    if let Some((0xa0, v, _)) = element(tbs) {
        version =
            expect(v, 0x02).map(|(n, _)| n.iter().fold(0i64, |a, &b| (a << 8) | i64::from(b)))?;
    }
    let (serial, r) = expect(rest, 0x02)?;
    let (_sig, r) = expect(r, SEQUENCE)?;
    let (tag, issuer, r) = element(r)?;
    if tag != SEQUENCE {
        return None;
    }
    let issuer_raw = issuer.to_vec();
    let (validity, r) = expect(r, SEQUENCE)?;
    let (t1, nb, v) = element(validity)?;
    let (t2, na, _) = element(v)?;
    let (not_before, not_after) = (time(t1, nb)?, time(t2, na)?);
    let (subject, r) = expect(r, SEQUENCE)?;
    let (_spki, mut r) = expect(r, SEQUENCE)?;
    let mut dns = Vec::new();
    while !r.is_empty() {
        let (tag, body, after) = element(r)?;
        r = after;
        if tag != 0xa3 {
            continue;
        }
        let (mut exts, _) = expect(body, SEQUENCE)?;
        while !exts.is_empty() {
            let (ext, after) = expect(exts, SEQUENCE)?;
            exts = after;
            let (oid, mut e) = expect(ext, OID)?;
            // critical BOOLEAN, optional.
            if let Some((0x01, _, after)) = element(e) {
                e = after;
            }
            let (value, _) = expect(e, 0x04)?;
            if oid == SAN {
                dns.extend(dns_names(value)?);
            }
        }
    }
    Some(CertInfo {
        version,
        serial: serial.to_vec(),
        not_before_text: String::from_utf8_lossy(nb).into_owned(),
        not_after_text: String::from_utf8_lossy(na).into_owned(),
        issuer: issuer_raw,
        subject: subject.to_vec(),
        not_before,
        not_after,
        common_names: common_names(subject)?,
        dns_names: dns,
    })
}

/// Whether `host` matches a certificate name as HAProxy 2.6 matches them (measured):
/// without case; a `*` in the first label of the pattern stands for any characters of
/// the host's first label (`*.example.org`, `w*.example.net`, `f*o.example.com`), only
/// there, and only when the pattern has more than one label.
pub fn host_matches(pattern: &str, host: &str) -> bool {
    let (p, h) = (pattern.to_ascii_lowercase(), host.to_ascii_lowercase());
    let Some((first, rest)) = p.split_once('.') else {
        return p == h;
    };
    if first.matches('*').count() != 1 || rest.contains('*') {
        return p == h;
    }
    let Some((hfirst, hrest)) = h.split_once('.') else {
        return false;
    };
    if hrest != rest {
        return false;
    }
    let (pre, post) = first.split_once('*').unwrap_or((first, ""));
    hfirst.len() >= pre.len() + post.len() && hfirst.starts_with(pre) && hfirst.ends_with(post)
}

/// Whether the certificate is for `host`: one of its DNS names or of its subject's
/// common names matches (HAProxy looks at both).
pub fn names_match(c: &CertInfo, host: &str) -> bool {
    c.dns_names
        .iter()
        .chain(c.common_names.iter())
        .any(|n| host_matches(n, host))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_as_haproxy_matches_them() {
        // Measured with HAProxy 2.6.12 (`sni str(NAME)` against these certificate names).
        assert!(host_matches("*.example.org", "a.example.org"));
        assert!(host_matches("*.example.org", "A.EXAMPLE.ORG"));
        assert!(!host_matches("*.example.org", "a.b.example.org"));
        assert!(!host_matches("*.example.org", "example.org"));
        assert!(host_matches("w*.example.net", "www.example.net"));
        assert!(host_matches("*w.example.net", "w.example.net"));
        assert!(host_matches("f*o.example.com", "fooo.example.com"));
        assert!(host_matches("f*o.example.com", "fo.example.com"));
        assert!(!host_matches("a.*.example.io", "a.b.example.io"));
        assert!(!host_matches("x*", "xyz"));
        assert!(host_matches("good.example", "GOOD.example"));
        assert!(!host_matches("good.example", "bad.example"));
    }

    #[test]
    fn times_and_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(time(0x17, b"700101000000Z"), Some(0));
        assert_eq!(time(0x17, b"491231235959Z"), Some(2_524_607_999));
        assert_eq!(time(0x18, b"20380119031408Z"), Some(2_147_483_648));
        assert_eq!(time(0x17, b"7001010000Z"), None);
        assert_eq!(element(&[0x30, 0x82, 0x00]), None);
    }
}
