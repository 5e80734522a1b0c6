//! The bytes of HAProxy's peers protocol (version 2.x): the handshake lines, the
//! message framing (a class byte, a type byte, and for types 128 and up a length and a
//! body) and the "encoded integers" every number travels as. Sans-IO: `parse` takes what
//! was read so far and says how much one message used.

use thiserror::Error;

/// What a connecting peer announces: the protocol and the version HAProxy 2.6 sends.
pub const PROTOCOL: &str = "HAProxyS";
pub const VERSION: &str = "2.1";

/// A message body larger than this is refused (HAProxy's limit is its buffer size).
pub const MAX_BODY: usize = 64 * 1024;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum WireError {
    #[error("an encoded integer runs past 64 bits")]
    IntTooLong,
    #[error("a message of {0} bytes is over the {MAX_BODY}-byte limit")]
    TooLarge(u64),
    #[error("unknown message class {0} type {1}")]
    Unknown(u8, u8),
    #[error("a message body ends early")]
    Short,
    #[error("bad handshake: {0}")]
    Handshake(&'static str),
}

/// Appends `v` as an encoded integer: below 240 one byte; else the low 4 bits with the
/// top nibble set, then 7 bits a byte with the high bit saying more follow (each byte's
/// whole value counts, as the format defines it).
pub fn put_int(out: &mut Vec<u8>, v: u64) {
    if v < 240 {
        out.push(v as u8);
        return;
    }
    out.push((v as u8) | 0xf0);
    let mut v = (v - 240) >> 4;
    while v >= 128 {
        out.push((v as u8) | 0x80);
        v = (v - 128) >> 7;
    }
    out.push(v as u8);
}

/// Reads an encoded integer at `*at`, moving past it. `Ok(None)`: more bytes needed.
pub fn get_int(buf: &[u8], at: &mut usize) -> Result<Option<u64>, WireError> {
    let Some(&b0) = buf.get(*at) else {
        return Ok(None);
    };
    let mut i = *at + 1;
    let mut v = u64::from(b0);
    if b0 >= 240 {
        let mut shift = 4u32;
        loop {
            let Some(&b) = buf.get(i) else {
                return Ok(None);
            };
            i += 1;
            if shift > 60 {
                return Err(WireError::IntTooLong);
            }
            v = v
                .checked_add(u64::from(b) << shift)
                .ok_or(WireError::IntTooLong)?;
            shift += 7;
            if b < 128 {
                break;
            }
        }
    }
    *at = i;
    Ok(Some(v))
}

/// An integer inside a body that is known to be whole: a missing byte is an error.
pub fn body_int(buf: &[u8], at: &mut usize) -> Result<u64, WireError> {
    get_int(buf, at)?.ok_or(WireError::Short)
}

/// `n` bytes of a body.
pub fn body_bytes<'a>(buf: &'a [u8], at: &mut usize, n: usize) -> Result<&'a [u8], WireError> {
    let end = at.checked_add(n).ok_or(WireError::Short)?;
    let s = buf.get(*at..end).ok_or(WireError::Short)?;
    *at = end;
    Ok(s)
}

fn body_u32(buf: &[u8], at: &mut usize) -> Result<u32, WireError> {
    let b = body_bytes(buf, at, 4)?;
    Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

const CLASS_CONTROL: u8 = 0;
const CLASS_ERROR: u8 = 1;
const CLASS_TABLE: u8 = 10;

/// A table definition: what the sender calls the table and what its updates carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Define {
    /// The sender's number for the table (switch and ack messages name it).
    pub id: u64,
    pub name: String,
    /// Key type on the wire: 2 signed integer, 4 IPv4, 5 IPv6, 6 string, 7 binary.
    pub key_type: u64,
    /// Key size (strings: the maximum, plus one).
    pub key_len: u64,
    /// Bit N set: data type N follows in every update, in bit order.
    pub types: u64,
    /// The table's `expire`, milliseconds.
    pub expire: u64,
    /// The period of each rate the table stores: (data type, milliseconds).
    pub periods: Vec<(u64, u64)>,
}

impl Define {
    /// Whether a peer's definition is of this table: the same name, key type and key
    /// size (what it stores may differ: what one side lacks is dropped). HAProxy
    /// ignores a table that differs in any of these.
    pub fn same_table(&self, theirs: &Define) -> bool {
        self.name == theirs.name
            && self.key_type == theirs.key_type
            && self.key_len == theirs.key_len
    }
}

/// An entry update: the sender's update number (none: the previous one plus one), the
/// milliseconds the entry has left (timed updates), and the key and data, which only
/// the table's definition can read (`super::entry`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Update {
    pub id: Option<u32>,
    pub expire: Option<u32>,
    pub body: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Msg {
    ResyncRequest,
    ResyncFinished,
    ResyncPartial,
    ResyncConfirm,
    Heartbeat,
    ProtocolError,
    SizeLimit,
    Define(Define),
    Switch(u64),
    Update(Update),
    Ack {
        table: u64,
        update: u32,
    },
    /// A message with a body this side does not know: skipped.
    Other(u8, u8),
}

impl Msg {
    pub fn encode(&self, out: &mut Vec<u8>) {
        let (class, ty) = match self {
            Msg::ResyncRequest => (CLASS_CONTROL, 0),
            Msg::ResyncFinished => (CLASS_CONTROL, 1),
            Msg::ResyncPartial => (CLASS_CONTROL, 2),
            Msg::ResyncConfirm => (CLASS_CONTROL, 3),
            Msg::Heartbeat => (CLASS_CONTROL, 4),
            Msg::ProtocolError => (CLASS_ERROR, 0),
            Msg::SizeLimit => (CLASS_ERROR, 1),
            Msg::Update(u) => (
                CLASS_TABLE,
                match (u.id.is_some(), u.expire.is_some()) {
                    (true, false) => 128,
                    (false, false) => 129,
                    (true, true) => 133,
                    (false, true) => 134,
                },
            ),
            Msg::Define(_) => (CLASS_TABLE, 130),
            Msg::Switch(_) => (CLASS_TABLE, 131),
            Msg::Ack { .. } => (CLASS_TABLE, 132),
            Msg::Other(c, t) => (*c, *t),
        };
        out.push(class);
        out.push(ty);
        if ty < 128 {
            return;
        }
        let mut body = Vec::new();
        match self {
            Msg::Define(d) => {
                put_int(&mut body, d.id);
                put_int(&mut body, d.name.len() as u64);
                body.extend_from_slice(d.name.as_bytes());
                put_int(&mut body, d.key_type);
                put_int(&mut body, d.key_len);
                put_int(&mut body, d.types);
                put_int(&mut body, d.expire);
                for (t, p) in &d.periods {
                    put_int(&mut body, *t);
                    put_int(&mut body, *p);
                }
            }
            Msg::Switch(id) => put_int(&mut body, *id),
            Msg::Ack { table, update } => {
                put_int(&mut body, *table);
                body.extend_from_slice(&update.to_be_bytes());
            }
            Msg::Update(u) => {
                if let Some(id) = u.id {
                    body.extend_from_slice(&id.to_be_bytes());
                }
                if let Some(x) = u.expire {
                    body.extend_from_slice(&x.to_be_bytes());
                }
                body.extend_from_slice(&u.body);
            }
            _ => {}
        }
        put_int(out, body.len() as u64);
        out.extend_from_slice(&body);
    }
}

/// One message from the start of `buf`: `Ok(None)` while it is incomplete, else the
/// message and the bytes it took.
pub fn parse(buf: &[u8]) -> Result<Option<(Msg, usize)>, WireError> {
    let (Some(&class), Some(&ty)) = (buf.first(), buf.get(1)) else {
        return Ok(None);
    };
    if ty < 128 {
        let m = match (class, ty) {
            (CLASS_CONTROL, 0) => Msg::ResyncRequest,
            (CLASS_CONTROL, 1) => Msg::ResyncFinished,
            (CLASS_CONTROL, 2) => Msg::ResyncPartial,
            (CLASS_CONTROL, 3) => Msg::ResyncConfirm,
            (CLASS_CONTROL, 4) => Msg::Heartbeat,
            (CLASS_ERROR, 0) => Msg::ProtocolError,
            (CLASS_ERROR, 1) => Msg::SizeLimit,
            // Reserved: a peer sending it is not speaking this protocol.
            (255, _) => return Err(WireError::Unknown(class, ty)),
            // Others are two bytes long and skipped, as HAProxy does.
            _ => Msg::Other(class, ty),
        };
        return Ok(Some((m, 2)));
    }
    let mut at = 2;
    let Some(len) = get_int(buf, &mut at)? else {
        return Ok(None);
    };
    if len > MAX_BODY as u64 {
        return Err(WireError::TooLarge(len));
    }
    let end = at + len as usize;
    let Some(b) = buf.get(at..end) else {
        return Ok(None);
    };
    let mut i = 0;
    let m = match (class, ty) {
        (CLASS_TABLE, 128 | 129 | 133 | 134) => {
            let id = matches!(ty, 128 | 133)
                .then(|| body_u32(b, &mut i))
                .transpose()?;
            let expire = matches!(ty, 133 | 134)
                .then(|| body_u32(b, &mut i))
                .transpose()?;
            Msg::Update(Update {
                id,
                expire,
                body: b[i..].to_vec(),
            })
        }
        (CLASS_TABLE, 130) => {
            let id = body_int(b, &mut i)?;
            let n = body_int(b, &mut i)?;
            let name = body_bytes(b, &mut i, usize::try_from(n).map_err(|_| WireError::Short)?)?;
            let name = String::from_utf8_lossy(name).into_owned();
            let key_type = body_int(b, &mut i)?;
            let key_len = body_int(b, &mut i)?;
            let types = body_int(b, &mut i)?;
            // Older senders stop here.
            let expire = if i < b.len() { body_int(b, &mut i)? } else { 0 };
            let mut periods = Vec::new();
            while i < b.len() {
                let t = body_int(b, &mut i)?;
                let p = body_int(b, &mut i)?;
                periods.push((t, p));
            }
            Msg::Define(Define {
                id,
                name,
                key_type,
                key_len,
                types,
                expire,
                periods,
            })
        }
        (CLASS_TABLE, 131) => Msg::Switch(body_int(b, &mut i)?),
        (CLASS_TABLE, 132) => {
            let table = body_int(b, &mut i)?;
            let update = body_u32(b, &mut i)?;
            Msg::Ack { table, update }
        }
        _ => Msg::Other(class, ty),
    };
    Ok(Some((m, end)))
}

/// The hello a connecting peer sends: protocol and version, the name of the peer it
/// wants, and its own name with its process id.
pub fn hello(remote: &str, local: &str, pid: u32) -> String {
    format!("{PROTOCOL} {VERSION}\n{remote}\n{local} {pid} 1\n")
}

/// A received hello: the version's major and minor, the peer it asks for, and the name
/// of the peer that connects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hello {
    pub major: u32,
    pub minor: u32,
    pub wanted: String,
    pub from: String,
}

/// The three hello lines from the start of `buf`: `Ok(None)` while incomplete.
pub fn parse_hello(buf: &[u8]) -> Result<Option<(Hello, usize)>, WireError> {
    let mut lines = Vec::with_capacity(3);
    let mut start = 0;
    while lines.len() < 3 {
        let Some(n) = buf[start..].iter().position(|&b| b == b'\n') else {
            if buf.len() > 1024 {
                return Err(WireError::Handshake("hello longer than 1024 bytes"));
            }
            return Ok(None);
        };
        let line = std::str::from_utf8(&buf[start..start + n])
            .map_err(|_| WireError::Handshake("hello is not text"))?;
        lines.push(line.trim_end_matches('\r'));
        start += n + 1;
    }
    let mut first = lines[0].split(' ');
    if first.next() != Some(PROTOCOL) {
        return Err(WireError::Handshake("not the peers protocol"));
    }
    let (major, minor) = first
        .next()
        .and_then(|v| v.split_once('.'))
        .and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)))
        .ok_or(WireError::Handshake("no version"))?;
    let from = lines[2]
        .split(' ')
        .next()
        .filter(|s| !s.is_empty())
        .ok_or(WireError::Handshake("no peer name"))?;
    Ok(Some((
        Hello {
            major,
            minor,
            wanted: lines[1].to_string(),
            from: from.to_string(),
        },
        start,
    )))
}

/// Handshake status codes.
pub mod status {
    pub const OK: u16 = 200;
    pub const TRY_AGAIN: u16 = 300;
    pub const PROTOCOL_ERROR: u16 = 501;
    pub const BAD_VERSION: u16 = 502;
    pub const LOCAL_NAME_MISMATCH: u16 = 503;
    pub const REMOTE_NAME_MISMATCH: u16 = 504;
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Bytes from hex text (as captured from HAProxy).
    pub(crate) fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn integers_as_haproxy_writes_them() {
        for (v, bytes) in [
            (0u64, "00"),
            (239, "ef"),
            (240, "f000"),
            (1557, "f552"),
            (30000, "f0c40d"),
            (60000, "f0971c"),
            (10000, "f0e203"),
            (8194, "f2f102"),
            (300, "fc03"),
        ] {
            let mut out = Vec::new();
            put_int(&mut out, v);
            assert_eq!(out, hex(bytes), "{v}");
            let mut at = 0;
            assert_eq!(get_int(&out, &mut at), Ok(Some(v)));
            assert_eq!(at, out.len());
        }
    }

    /// A definition and an update HAProxy 2.6 sent for `stick-table type ip size 1k
    /// expire 30s store http_req_cnt,http_req_rate(10s),conn_cnt,gpc0,server_id`.
    #[test]
    fn reads_what_haproxy_sends() {
        let b = hex("0a8213010673745f7372630404f552f0c40d0af0e203");
        let (m, n) = parse(&b).unwrap().unwrap();
        assert_eq!(n, b.len());
        assert_eq!(
            m,
            Msg::Define(Define {
                id: 1,
                name: "st_src".into(),
                key_type: 4,
                key_len: 4,
                types: 1557,
                expire: 30000,
                periods: vec![(10, 10000)],
            })
        );
        let mut again = Vec::new();
        m.encode(&mut again);
        assert_eq!(again, b);
        let b = hex("0a800f000000027f00000100000101000100");
        let (m, _) = parse(&b).unwrap().unwrap();
        assert_eq!(
            m,
            Msg::Update(Update {
                id: Some(2),
                expire: None,
                body: hex("7f00000100000101000100"),
            })
        );
        let b = hex("0a84050100000001");
        assert_eq!(
            parse(&b).unwrap().unwrap().0,
            Msg::Ack {
                table: 1,
                update: 1
            }
        );
        assert_eq!(parse(&hex("0004")).unwrap(), Some((Msg::Heartbeat, 2)));
    }

    #[test]
    fn a_table_is_the_same_by_name_and_key() {
        let d = |name: &str, key_type, key_len| Define {
            id: 1,
            name: name.into(),
            key_type,
            key_len,
            types: 1,
            expire: 0,
            periods: vec![],
        };
        let mine = d("be", 6, 33);
        let mut other = d("be", 6, 33);
        other.id = 9;
        other.types = 6;
        assert!(
            mine.same_table(&other),
            "numbers and stored types may differ"
        );
        assert!(
            !mine.same_table(&d("be", 6, 17)),
            "string keys of another length"
        );
        assert!(!mine.same_table(&d("be", 7, 33)));
        assert!(!mine.same_table(&d("fe", 6, 33)));
    }

    #[test]
    fn hello_lines() {
        let h = hello("pyB", "hapA", 27570);
        assert_eq!(h, "HAProxyS 2.1\npyB\nhapA 27570 1\n");
        let (got, n) = parse_hello(h.as_bytes()).unwrap().unwrap();
        assert_eq!(n, h.len());
        assert_eq!(
            got,
            Hello {
                major: 2,
                minor: 1,
                wanted: "pyB".into(),
                from: "hapA".into()
            }
        );
        assert_eq!(parse_hello(b"HAProxyS 2.1\npyB\n").unwrap(), None);
        assert!(parse_hello(b"HTTP/1.1 2.1\na\nb 1 1\n").is_err());
    }

    fn any_msg() -> impl Strategy<Value = Msg> {
        prop_oneof![
            Just(Msg::ResyncRequest),
            Just(Msg::ResyncFinished),
            Just(Msg::ResyncPartial),
            Just(Msg::ResyncConfirm),
            Just(Msg::Heartbeat),
            Just(Msg::ProtocolError),
            any::<u64>().prop_map(Msg::Switch),
            (any::<u64>(), any::<u32>()).prop_map(|(table, update)| Msg::Ack { table, update }),
            (
                any::<Option<u32>>(),
                any::<Option<u32>>(),
                proptest::collection::vec(any::<u8>(), 0..64)
            )
                .prop_map(|(id, expire, body)| Msg::Update(Update {
                    id,
                    expire,
                    body
                })),
            (
                any::<u64>(),
                "[a-z_]{0,20}",
                any::<u64>(),
                any::<u64>(),
                any::<u64>(),
                any::<u64>(),
                proptest::collection::vec((any::<u64>(), any::<u64>()), 0..4)
            )
                .prop_map(|(id, name, key_type, key_len, types, expire, periods)| {
                    Msg::Define(Define {
                        id,
                        name,
                        key_type,
                        key_len,
                        types,
                        expire,
                        periods,
                    })
                }),
        ]
    }

    proptest! {
        #[test]
        fn every_integer_reads_back(v in any::<u64>()) {
            let mut out = Vec::new();
            put_int(&mut out, v);
            let mut at = 0;
            prop_assert_eq!(get_int(&out, &mut at), Ok(Some(v)));
            prop_assert_eq!(at, out.len());
            // Any prefix is incomplete, never wrong.
            for cut in 0..out.len() {
                let mut at = 0;
                prop_assert_eq!(get_int(&out[..cut], &mut at), Ok(None));
            }
        }

        #[test]
        fn every_message_reads_back(m in any_msg()) {
            let mut out = Vec::new();
            m.encode(&mut out);
            out.extend_from_slice(b"\x00\x04");
            prop_assert_eq!(parse(&out), Ok(Some((m, out.len() - 2))));
            for cut in 0..out.len() - 2 {
                prop_assert_eq!(parse(&out[..cut]), Ok(None));
            }
        }

        #[test]
        fn any_bytes_are_parsed_or_refused(b in proptest::collection::vec(any::<u8>(), 0..80)) {
            if let Ok(Some((_, n))) = parse(&b) {
                prop_assert!(n <= b.len());
            }
            let _ = parse_hello(&b);
        }
    }
}
