//! Sample fetches, typed: where a value comes from (`path`, `hdr(host,-1)`, `src`,
//! `var(txn.user)`, `str(abc)`...), with their arguments checked here once.

use super::lex::Call;
use super::var::VarRef;
use super::{bad, refused, SampleError, ValueType};
use crate::samples;
use serde::Serialize;
use std::net::{Ipv4Addr, Ipv6Addr};

/// Where a value comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Fetch {
    /// The request's path (no query string).
    Path,
    /// The request target as received (`url`).
    Url,
    /// The path and the query string (`pathq`).
    PathQ,
    /// The query string, without the `?` (`query`).
    Query,
    /// The Host header (first value, port included) followed by the path (`base`).
    Base,
    Method,
    /// The HTTP version of the request: `1.0`, `1.1` (`req.ver`).
    ReqVer,
    /// Whether the request (or, in TCP mode, the buffered bytes) is valid HTTP.
    ProtoHttp,
    /// A request header's values; `full`: not split on commas (`fhdr`); `occ`: one
    /// occurrence (1 = first, -1 = last), else all of them.
    Hdr {
        name: String,
        occ: Option<i64>,
        full: bool,
    },
    /// How many values a request header has (`hdr_cnt`); `full`: lines (`fhdr_cnt`).
    HdrCnt {
        name: String,
        full: bool,
    },
    /// A request header's values read as integers (`hdr_val`).
    HdrVal(String),
    /// A request header's values read as addresses (`hdr_ip`).
    HdrIp {
        name: String,
        occ: Option<i64>,
    },
    /// All the request's header lines as one string (`req.hdrs`).
    ReqHdrs,
    /// The request's header names joined by `delim` (`req.hdr_names`).
    ReqHdrNames(String),
    /// A request cookie (`req.cook(name)`, `cook(name)`).
    Cook(String),
    /// How many times a cookie appears (all cookies without a name).
    CookCnt(Option<String>),
    /// A request cookie's value as an integer (`req.cook_val`).
    CookVal(String),
    /// A query-string parameter (`url_param`, `urlp`); `delim` separates parameters.
    UrlParam {
        name: String,
        delim: Option<String>,
    },
    /// The address (`url_ip`) and port (`url_port`) of an absolute request target.
    UrlIp,
    UrlPort,
    /// HAProxy's 32-bit hashes of `url` / `base`, alone or followed by the client address.
    Url32 {
        with_src: bool,
    },
    Base32 {
        with_src: bool,
    },
    /// Whether this is the first request of its connection.
    HttpFirstReq,
    /// `capture.req.hdr(N)` / `capture.res.hdr(N)`: the N-th `capture request|response
    /// header` of the frontend.
    CaptureReqHdr(usize),
    CaptureResHdr(usize),
    /// `capture.req.method|uri|ver`: the request line as received.
    CaptureReqMethod,
    CaptureReqUri,
    CaptureReqVer,
    /// The response's status code.
    Status,
    /// The response's headers, as their request counterparts (`res.hdr`, `shdr`...).
    ResHdr {
        name: String,
        occ: Option<i64>,
        full: bool,
    },
    ResHdrCnt {
        name: String,
        full: bool,
    },
    ResHdrVal(String),
    ResHdrIp {
        name: String,
        occ: Option<i64>,
    },
    ResHdrs,
    ResHdrNames(String),
    /// The response's HTTP version (`1.1`).
    ResVer,
    /// A cookie the response sets (`res.cook(name)`, `scook(name)`).
    ResCook(String),
    ResCookCnt(Option<String>),
    ResCookVal(String),
    Src,
    Dst,
    SrcPort,
    DstPort,
    /// Whether the connection came in over TLS.
    SslFc,
    /// The TLS SNI the client sent (`req.ssl_sni`, `ssl_fc_sni`).
    Sni,
    SslFcHasSni,
    /// The TLS version (`TLSv1.3`), cipher and ALPN protocol of the client connection.
    SslFcProtocol,
    SslFcCipher,
    SslFcAlpn,
    /// Connection and TLS error codes (`fc_err`, `ssl_fc_err`, `ssl_c_err`,
    /// `ssl_c_ca_err`: 0 on a connection that got this far) and `ssl_fc_is_resumed`.
    FcErr,
    SslFcErr,
    SslCErr,
    SslCCaErr,
    SslFcIsResumed,
    /// Always true / always false (`always_true`, `always_false`).
    Const(bool),
    /// Constants: `str(x)`, `int(n)`, `bool(b)`, `ipv4(a)`, `ipv6(a)`, `bin(hex)`,
    /// `meth(m)`.
    Str(String),
    Int(i64),
    Ipv4(Ipv4Addr),
    Ipv6(Ipv6Addr),
    Bin(Vec<u8>),
    Meth(String),
    /// `var(name[,default])`.
    Var {
        var: VarRef,
        default: Option<String>,
    },
    /// An environment variable (`env(NAME)`).
    Env(String),
    /// `date([offset][,unit])`: now since the epoch, in seconds (or ms, us), plus offset.
    Date {
        offset: i64,
        per_second: i64,
    },
    /// The microseconds of the current second (`date_us`).
    DateUs,
    Hostname,
    /// `rand([range])`: a random integer below range (else 32 bits).
    Rand(Option<u64>),
    /// `uuid([4])`: a random UUID.
    Uuid,
    FeName,
    FeId,
    BeName,
    BeId,
    /// Whether the process is stopping.
    Stopping,
    /// `req.payload(off,len)` / `res.payload(...)` (and the old `payload`).
    Payload {
        response: bool,
        off: usize,
        len: usize,
    },
    /// `req.payload_lv(off,len_size)` / `res.payload_lv(...)` (and `payload_lv`).
    PayloadLv {
        response: bool,
        off: usize,
        len_size: usize,
    },
    /// `req_ssl_hello_type` / `rep_ssl_hello_type`.
    SslHelloType {
        response: bool,
    },
    /// `req.len`: bytes of request data buffered so far.
    ReqLen,
    /// `req.body`, `req.body_len` (bytes of it buffered), `req.body_size` (its
    /// Content-Length, else what is buffered), `req.body_param([NAME])` (a url-encoded
    /// field, the first without a name).
    ReqBody,
    ReqBodyLen,
    ReqBodySize,
    ReqBodyParam(Option<String>),
    /// `req.rdp_cookie_cnt`: RDP cookies in the request buffer (0 or 1).
    RdpCookieCnt,
    /// `wait_end`: true once content inspection has waited its whole `inspect-delay`.
    WaitEnd,
    /// `nbsrv([BACKEND])`: usable servers of that backend (else the current one).
    Nbsrv(Option<String>),
    /// `srv_is_up([BACKEND/]SERVER)`.
    SrvIsUp {
        backend: Option<String>,
        server: String,
    },
    /// `hdr()` and `cookie()`: the request's in request rules, the response's in
    /// response rules (HAProxy 2.6; its other header fetches are request-only).
    Contextual(Box<Fetch>),
    /// A stick counter's data (`sc_http_req_rate(0)`, `sc1_conn_cur`,
    /// `src_get_gpc0(table)`); `table`: look the tracked key up in that table instead.
    Sc {
        of: ScOf,
        data: ScData,
        table: Option<String>,
    },
    /// Entries in use (`table_cnt`) / room left (`table_avl`) in a table (else the
    /// proxy's own).
    TableCnt(Option<String>),
    TableAvl(Option<String>),
    /// The request's id (`unique-id`, from `unique-id-format`).
    UniqueId,
    /// New sessions (`fe_sess_rate`) or HTTP requests (`fe_req_rate`) per second on a
    /// frontend (else the current one).
    FeRate {
        frontend: Option<String>,
        requests: bool,
    },
    /// New sessions per second on a backend / a server.
    BeSessRate(Option<String>),
    SrvSessRate {
        backend: Option<String>,
        server: String,
    },
    /// A backend's queue and free slots.
    BeLoad {
        backend: Option<String>,
        what: BeLoad,
    },
    /// Requests waiting for a server.
    SrvQueue {
        backend: Option<String>,
        server: String,
    },
    /// `be_server_timeout` / `be_tunnel_timeout` (the backend's setting) and
    /// `cur_server_timeout` / `cur_tunnel_timeout` (what `set-timeout` gave this stream).
    Timeout {
        tunnel: bool,
        current: bool,
    },
    /// The client's certificate (`ssl_c_*`).
    SslC(SslC),
    /// Connections open now on a frontend (`fe_conn`), a backend (`be_conn`), a server
    /// (`srv_conn`); without a name, the proxy's own.
    FeConn(Option<String>),
    BeConn(Option<String>),
    SrvConn {
        backend: Option<String>,
        server: String,
    },
    /// `http_auth(USERLIST)`: the request's Basic credentials are valid there.
    HttpAuth(String),
    /// `http_auth_group(USERLIST)`: the user name when the credentials are valid; in
    /// an ACL (`groups`), the user's groups, which the patterns name.
    HttpAuthGroup {
        userlist: String,
        groups: bool,
    },
    /// The Authorization header's scheme (`basic`, `bearer`...), and a Basic header's user
    /// and password.
    HttpAuthType,
    HttpAuthUser,
    HttpAuthPass,
}

/// A backend's load (`queue`, `avg_queue`, `connslots`, `be_conn_free`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum BeLoad {
    Queue,
    AvgQueue,
    ConnSlots,
    ConnFree,
}

/// What an `ssl_c_*` fetch reads of the client's certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum SslC {
    Used,
    Verify,
    /// `ssl_c_s_dn([entry[,occ]])` / `ssl_c_i_dn(...)`: the whole name, or one entry
    /// (occurrence from the start, negative from the end).
    Dn {
        issuer: bool,
        entry: Option<String>,
        occ: i64,
    },
    Serial,
    Der,
    Sha1,
    NotBefore,
    NotAfter,
    Version,
}

/// Which entry a stick counter fetch reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ScOf {
    /// The entry tracked by counter N (`sc0_*`, `sc_*(N)`).
    Slot(u8),
    /// The client address's entry (`src_*`).
    Src,
}

/// What a stick counter fetch reads (or does).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ScData {
    Get(crate::model::StoreKind),
    /// `kbytes_in` / `kbytes_out`: the byte counts over 1024.
    Kbytes {
        out: bool,
    },
    /// `inc_gpc0/1`: increments, gives the new value.
    IncGpc(u8),
    /// `clr_gpc0/1`: gives the value, sets 0.
    ClrGpc(u8),
    /// `sc_tracked`: whether the counter tracks something.
    Tracked,
    /// `trackers`: how many counters track the entry.
    Trackers,
    /// `src_updt_conn_cnt`: counts a connection, gives the new count.
    UpdtConnCnt,
}

/// How many stick counters a connection has (HAProxy's default `tune.stick-counters`).
pub const STICK_COUNTERS: u8 = 3;

/// `sc_*`, `sc0_*`..`sc2_*`, `src_*`, `table_cnt`, `table_avl`; None for other names.
fn stick_fetch(call: &Call) -> Option<Result<Fetch, SampleError>> {
    use crate::model::StoreKind as K;
    let name = call.name.as_str();
    let args = call.args();
    if name == "table_cnt" || name == "table_avl" {
        if args.len() > 1 {
            return Some(Err(bad(
                format!("`{}` takes at most 1 argument", call.shown()),
                None,
            )));
        }
        let t = args.first().filter(|a| !a.is_empty()).cloned();
        return Some(Ok(if name == "table_cnt" {
            Fetch::TableCnt(t)
        } else {
            Fetch::TableAvl(t)
        }));
    }
    let (of, rest) = if let Some(r) = name.strip_prefix("sc_") {
        (None, r)
    } else if let Some(r) = name.strip_prefix("src_") {
        (Some(ScOf::Src), r)
    } else {
        let b = name.as_bytes();
        if b.len() > 4 && b[0] == b's' && b[1] == b'c' && b[2].is_ascii_digit() && b[3] == b'_' {
            (Some(ScOf::Slot(b[2] - b'0')), &name[4..])
        } else {
            return None;
        }
    };
    let data = match rest {
        "get_gpc0" => ScData::Get(K::Gpc0),
        "get_gpc1" => ScData::Get(K::Gpc1),
        "get_gpt0" => ScData::Get(K::Gpt0),
        "gpc0_rate" => ScData::Get(K::Gpc0Rate),
        "gpc1_rate" => ScData::Get(K::Gpc1Rate),
        "inc_gpc0" => ScData::IncGpc(0),
        "inc_gpc1" => ScData::IncGpc(1),
        "clr_gpc0" => ScData::ClrGpc(0),
        "clr_gpc1" => ScData::ClrGpc(1),
        "kbytes_in" => ScData::Kbytes { out: false },
        "kbytes_out" => ScData::Kbytes { out: true },
        "tracked" if of != Some(ScOf::Src) => ScData::Tracked,
        "trackers" => ScData::Trackers,
        "updt_conn_cnt" if of == Some(ScOf::Src) => ScData::UpdtConnCnt,
        "bytes_in_rate" | "bytes_out_rate" | "conn_cnt" | "conn_cur" | "conn_rate"
        | "sess_cnt" | "sess_rate" | "http_req_cnt" | "http_req_rate" | "http_err_cnt"
        | "http_err_rate" | "http_fail_cnt" | "http_fail_rate" => {
            ScData::Get(K::named(rest)?)
        }
        "get_gpc" | "inc_gpc" | "clr_gpc" | "get_gpt" | "gpc_rate" => {
            return Some(Err(refused(format!(
                "sample fetch `{name}` (the gpc/gpt arrays) is not run by proxyd yet: use the gpc0, gpc1 and gpt0 forms"
            ))))
        }
        _ => return None,
    };
    let (of, table_at) = match of {
        Some(o) => (o, 0),
        None => {
            let n = match args.first().map(|a| a.parse::<u8>()) {
                Some(Ok(n)) => n,
                _ => {
                    return Some(Err(bad(
                        format!("`{}` needs a stick counter number", call.shown()),
                        Some(format!("write `{name}(0)` for the counter of track-sc0")),
                    )))
                }
            };
            (ScOf::Slot(n), 1)
        }
    };
    if let ScOf::Slot(n) = of {
        if n >= STICK_COUNTERS {
            return Some(Err(bad(
                format!(
                    "`{}`: stick counter {n} does not exist (0 to {})",
                    call.shown(),
                    STICK_COUNTERS - 1
                ),
                None,
            )));
        }
    }
    if args.len() > table_at + 1 {
        return Some(Err(bad(
            format!(
                "`{}` takes at most {} argument(s)",
                call.shown(),
                table_at + 1
            ),
            None,
        )));
    }
    Some(Ok(Fetch::Sc {
        of,
        data,
        table: args.get(table_at).filter(|a| !a.is_empty()).cloned(),
    }))
}

impl Fetch {
    /// The response counterpart of a request header fetch (`hdr` in response rules).
    pub fn on_response(&self) -> Option<Fetch> {
        Some(match self {
            Fetch::Hdr { name, occ, full } => Fetch::ResHdr {
                name: name.clone(),
                occ: *occ,
                full: *full,
            },
            Fetch::HdrCnt { name, full } => Fetch::ResHdrCnt {
                name: name.clone(),
                full: *full,
            },
            Fetch::HdrVal(n) => Fetch::ResHdrVal(n.clone()),
            Fetch::HdrIp { name, occ } => Fetch::ResHdrIp {
                name: name.clone(),
                occ: *occ,
            },
            Fetch::Cook(n) => Fetch::ResCook(n.clone()),
            _ => return None,
        })
    }

    /// Whether the fetch needs the request's headers, which HAProxy does not keep for
    /// response rules (`method` and `capture.req.*` it keeps).
    pub fn needs_request_headers(&self) -> bool {
        matches!(
            self,
            Fetch::Path
                | Fetch::Url
                | Fetch::PathQ
                | Fetch::Query
                | Fetch::Base
                | Fetch::ReqVer
                | Fetch::Hdr { .. }
                | Fetch::HdrCnt { .. }
                | Fetch::HdrVal(_)
                | Fetch::HdrIp { .. }
                | Fetch::ReqHdrs
                | Fetch::ReqHdrNames(_)
                | Fetch::Cook(_)
                | Fetch::CookCnt(_)
                | Fetch::CookVal(_)
                | Fetch::UrlParam { .. }
                | Fetch::UrlIp
                | Fetch::UrlPort
                | Fetch::Url32 { .. }
                | Fetch::Base32 { .. }
                | Fetch::HttpAuth(_)
                | Fetch::HttpAuthGroup { .. }
                | Fetch::HttpAuthType
                | Fetch::HttpAuthUser
                | Fetch::HttpAuthPass
                | Fetch::ReqBody
                | Fetch::ReqBodyLen
                | Fetch::ReqBodySize
                | Fetch::ReqBodyParam(_)
        )
    }

    /// Whether the fetch reads the request's body (what `option http-buffer-request` and
    /// `wait-for-body` wait for).
    pub fn reads_body(&self) -> bool {
        matches!(
            self,
            Fetch::ReqBody | Fetch::ReqBodyLen | Fetch::ReqBodySize | Fetch::ReqBodyParam(_)
        )
    }

    pub fn output(&self) -> ValueType {
        match self {
            Fetch::Contextual(f) => f.output(),
            Fetch::Path
            | Fetch::Url
            | Fetch::PathQ
            | Fetch::Query
            | Fetch::Base
            | Fetch::Method
            | Fetch::ReqVer
            | Fetch::Hdr { .. }
            | Fetch::ReqHdrs
            | Fetch::ReqHdrNames(_)
            | Fetch::Cook(_)
            | Fetch::UrlParam { .. }
            | Fetch::CaptureReqMethod
            | Fetch::CaptureReqUri
            | Fetch::CaptureReqVer
            | Fetch::CaptureReqHdr(_)
            | Fetch::CaptureResHdr(_)
            | Fetch::Sni
            | Fetch::SslFcProtocol
            | Fetch::SslFcCipher
            | Fetch::SslFcAlpn
            | Fetch::Str(_)
            | Fetch::Meth(_)
            | Fetch::Var { .. }
            | Fetch::Env(_)
            | Fetch::Hostname
            | Fetch::Uuid
            | Fetch::FeName
            | Fetch::BeName
            | Fetch::ResHdr { .. }
            | Fetch::ResHdrs
            | Fetch::ResHdrNames(_)
            | Fetch::ResVer
            | Fetch::ResCook(_) => ValueType::Str,
            Fetch::HdrCnt { .. }
            | Fetch::HdrVal(_)
            | Fetch::CookCnt(_)
            | Fetch::CookVal(_)
            | Fetch::UrlPort
            | Fetch::Url32 { .. }
            | Fetch::Base32 { .. }
            | Fetch::SrcPort
            | Fetch::DstPort
            | Fetch::SslHelloType { .. }
            | Fetch::ReqLen
            | Fetch::ReqBodyLen
            | Fetch::ReqBodySize
            | Fetch::RdpCookieCnt
            | Fetch::Nbsrv(_)
            | Fetch::Int(_)
            | Fetch::Date { .. }
            | Fetch::DateUs
            | Fetch::Rand(_)
            | Fetch::FeId
            | Fetch::BeId
            | Fetch::FcErr
            | Fetch::SslFcErr
            | Fetch::SslCErr
            | Fetch::SslCCaErr
            | Fetch::Status
            | Fetch::ResHdrCnt { .. }
            | Fetch::ResHdrVal(_)
            | Fetch::ResCookCnt(_)
            | Fetch::ResCookVal(_) => ValueType::Int,
            Fetch::Src
            | Fetch::Dst
            | Fetch::HdrIp { .. }
            | Fetch::ResHdrIp { .. }
            | Fetch::UrlIp => ValueType::Ip,
            Fetch::Ipv4(_) | Fetch::Ipv6(_) => ValueType::Ip,
            Fetch::SslFc
            | Fetch::SslFcHasSni
            | Fetch::SslFcIsResumed
            | Fetch::Const(_)
            | Fetch::ProtoHttp
            | Fetch::WaitEnd
            | Fetch::HttpFirstReq
            | Fetch::Stopping
            | Fetch::SrvIsUp { .. } => ValueType::Bool,
            Fetch::Payload { .. } | Fetch::PayloadLv { .. } | Fetch::Bin(_) | Fetch::ReqBody => {
                ValueType::Bin
            }
            Fetch::ReqBodyParam(_) => ValueType::Str,
            Fetch::Sc {
                data: ScData::Tracked,
                ..
            } => ValueType::Bool,
            Fetch::Sc { .. } | Fetch::TableCnt(_) | Fetch::TableAvl(_) => ValueType::Int,
            Fetch::HttpAuth(_) => ValueType::Bool,
            Fetch::FeConn(_) | Fetch::BeConn(_) | Fetch::SrvConn { .. } => ValueType::Int,
            Fetch::Timeout { .. }
            | Fetch::FeRate { .. }
            | Fetch::BeSessRate(_)
            | Fetch::SrvSessRate { .. }
            | Fetch::BeLoad { .. }
            | Fetch::SrvQueue { .. } => ValueType::Int,
            Fetch::UniqueId => ValueType::Str,
            Fetch::SslC(c) => match c {
                SslC::Used => ValueType::Bool,
                SslC::Verify | SslC::Version => ValueType::Int,
                SslC::Serial | SslC::Der | SslC::Sha1 => ValueType::Bin,
                SslC::Dn { .. } | SslC::NotBefore | SslC::NotAfter => ValueType::Str,
            },
            Fetch::HttpAuthGroup { .. }
            | Fetch::HttpAuthType
            | Fetch::HttpAuthUser
            | Fetch::HttpAuthPass => ValueType::Str,
        }
    }

    /// Whether the fetch reads an HTTP message (it means nothing in `mode tcp`).
    pub fn is_http(&self) -> bool {
        if let Fetch::Contextual(f) = self {
            return f.is_http();
        }
        matches!(
            self,
            Fetch::Path
                | Fetch::Url
                | Fetch::PathQ
                | Fetch::Query
                | Fetch::Base
                | Fetch::Method
                | Fetch::ReqVer
                | Fetch::Hdr { .. }
                | Fetch::HdrCnt { .. }
                | Fetch::HdrVal(_)
                | Fetch::HdrIp { .. }
                | Fetch::ReqHdrs
                | Fetch::ReqHdrNames(_)
                | Fetch::Cook(_)
                | Fetch::CookCnt(_)
                | Fetch::CookVal(_)
                | Fetch::UrlParam { .. }
                | Fetch::UrlIp
                | Fetch::UrlPort
                | Fetch::Url32 { .. }
                | Fetch::Base32 { .. }
                | Fetch::HttpFirstReq
                | Fetch::CaptureReqMethod
                | Fetch::CaptureReqUri
                | Fetch::CaptureReqVer
                | Fetch::HttpAuth(_)
                | Fetch::HttpAuthGroup { .. }
                | Fetch::HttpAuthType
                | Fetch::HttpAuthUser
                | Fetch::HttpAuthPass
        ) || self.is_response()
            || self.reads_body()
    }

    /// Whether the fetch needs the response's headers, which HAProxy does not keep for
    /// log lines (the status it keeps).
    pub fn needs_response_headers(&self) -> bool {
        self.is_response() && !matches!(self, Fetch::Status)
    }

    /// Whether the fetch reads the HTTP response (it means nothing in request rules).
    pub fn is_response(&self) -> bool {
        matches!(
            self,
            Fetch::Status
                | Fetch::ResHdr { .. }
                | Fetch::ResHdrCnt { .. }
                | Fetch::ResHdrVal(_)
                | Fetch::ResHdrIp { .. }
                | Fetch::ResHdrs
                | Fetch::ResHdrNames(_)
                | Fetch::ResVer
                | Fetch::ResCook(_)
                | Fetch::ResCookCnt(_)
                | Fetch::ResCookVal(_)
        )
    }

    /// The variable the fetch reads, if any.
    pub fn var(&self) -> Option<&VarRef> {
        match self {
            Fetch::Var { var, .. } => Some(var),
            _ => None,
        }
    }
}

fn number<T: std::str::FromStr>(word: &str, what: &str, call: &Call) -> Result<T, SampleError> {
    word.parse::<T>().map_err(|_| {
        bad(
            format!("`{word}` is not a number ({what}) in `{}`", call.shown()),
            None,
        )
    })
}

fn hex_bytes(w: &str) -> Option<Vec<u8>> {
    if !w.len().is_multiple_of(2) {
        return None;
    }
    (0..w.len())
        .step_by(2)
        .map(|i| w.get(i..i + 2).and_then(|p| u8::from_str_radix(p, 16).ok()))
        .collect()
}

/// The fetch `call` (its name without an ACL suffix), checked.
pub fn fetch(call: &Call) -> Result<Fetch, SampleError> {
    let f = fetch_one(call)?;
    Ok(if matches!(call.name.as_str(), "hdr" | "cookie") {
        Fetch::Contextual(Box::new(f))
    } else {
        f
    })
}

fn fetch_one(call: &Call) -> Result<Fetch, SampleError> {
    if let Some(r) = stick_fetch(call) {
        return r;
    }
    let name = call.name.as_str();
    let args = call.args();
    let whole = call.shown();
    let arg = |i: usize, what: &str| -> Result<String, SampleError> {
        args.get(i)
            .filter(|a| !a.is_empty())
            .cloned()
            .ok_or_else(|| {
                bad(
                    format!("`{whole}` needs a {what} in parentheses"),
                    Some(format!("write `{name}(<{what}>)`")),
                )
            })
    };
    let opt = |i: usize| args.get(i).filter(|a| !a.is_empty()).cloned();
    let too_many = |max: usize| -> Result<(), SampleError> {
        if args.len() > max {
            Err(bad(
                format!("`{whole}` takes at most {max} argument(s)"),
                None,
            ))
        } else {
            Ok(())
        }
    };
    let occurrence = |i: usize| -> Result<Option<i64>, SampleError> {
        match args.get(i) {
            Some(o) if !o.is_empty() => Ok(Some(number::<i64>(o, "occurrence", call)?)),
            _ => Ok(None),
        }
    };
    let payload = |response: bool, lv: bool| -> Result<Fetch, SampleError> {
        if args.len() < 2 {
            return Err(bad(
                format!("`{whole}` needs (offset,length)"),
                Some(format!("write e.g. `{name}(0,3)`")),
            ));
        }
        let off = number(&args[0], "offset", call)?;
        let second = number(&args[1], "length", call)?;
        if lv && args.len() > 2 {
            return Err(refused(format!(
                "`{whole}`: payload_lv with an offset argument is not run by proxyd yet"
            )));
        }
        too_many(2)?;
        Ok(if lv {
            Fetch::PayloadLv {
                response,
                off,
                len_size: second,
            }
        } else {
            Fetch::Payload {
                response,
                off,
                len: second,
            }
        })
    };
    let no_args = |f: Fetch| -> Result<Fetch, SampleError> {
        too_many(0)?;
        Ok(f)
    };
    Ok(match name {
        "path" => no_args(Fetch::Path)?,
        "url" => no_args(Fetch::Url)?,
        "pathq" => no_args(Fetch::PathQ)?,
        "query" => no_args(Fetch::Query)?,
        "base" => no_args(Fetch::Base)?,
        "method" => no_args(Fetch::Method)?,
        "req.ver" | "req_ver" => no_args(Fetch::ReqVer)?,
        "req.proto_http" | "req_proto_http" => no_args(Fetch::ProtoHttp)?,
        "hdr" | "req.hdr" | "req.fhdr" => {
            let full = name.ends_with("fhdr");
            // Without a name, `hdr` is every value of every header.
            let n = if name.ends_with("fhdr") {
                arg(0, "header name")?
            } else {
                opt(0).ok_or_else(|| {
                    refused(format!(
                        "`{whole}` without a header name is not run by proxyd yet"
                    ))
                })?
            };
            too_many(2)?;
            Fetch::Hdr {
                name: n.to_ascii_lowercase(),
                occ: occurrence(1)?,
                full,
            }
        }
        "hdr_cnt" | "req.hdr_cnt" | "req.fhdr_cnt" => {
            too_many(1)?;
            Fetch::HdrCnt {
                name: arg(0, "header name")?.to_ascii_lowercase(),
                full: name.contains("fhdr"),
            }
        }
        "hdr_val" | "req.hdr_val" => {
            too_many(2)?;
            if args.len() > 1 {
                return Err(refused(format!(
                    "`{whole}`: an occurrence argument is not run by proxyd yet"
                )));
            }
            Fetch::HdrVal(arg(0, "header name")?.to_ascii_lowercase())
        }
        "hdr_ip" | "req.hdr_ip" => {
            too_many(2)?;
            Fetch::HdrIp {
                name: arg(0, "header name")?.to_ascii_lowercase(),
                occ: occurrence(1)?,
            }
        }
        "req.hdrs" => no_args(Fetch::ReqHdrs)?,
        "req.hdr_names" => {
            too_many(1)?;
            Fetch::ReqHdrNames(args.first().cloned().unwrap_or_else(|| ",".into()))
        }
        "cook" | "req.cook" | "cookie" => {
            too_many(1)?;
            match opt(0) {
                Some(c) => Fetch::Cook(c),
                None => {
                    return Err(refused(format!(
                        "`{whole}` without a cookie name is not run by proxyd yet"
                    )))
                }
            }
        }
        "cook_cnt" | "req.cook_cnt" => {
            too_many(1)?;
            Fetch::CookCnt(opt(0))
        }
        "cook_val" | "req.cook_val" => {
            too_many(1)?;
            Fetch::CookVal(arg(0, "cookie name")?)
        }
        "url_param" | "urlp" => {
            too_many(2)?;
            let n = opt(0).ok_or_else(|| {
                refused(format!(
                    "`{whole}` without a parameter name is not run by proxyd yet"
                ))
            })?;
            Fetch::UrlParam {
                name: n,
                delim: opt(1),
            }
        }
        "url_ip" => no_args(Fetch::UrlIp)?,
        "url_port" => no_args(Fetch::UrlPort)?,
        "url32" => no_args(Fetch::Url32 { with_src: false })?,
        "url32+src" => no_args(Fetch::Url32 { with_src: true })?,
        "base32" => no_args(Fetch::Base32 { with_src: false })?,
        "base32+src" => no_args(Fetch::Base32 { with_src: true })?,
        "http_first_req" => no_args(Fetch::HttpFirstReq)?,
        "capture.req.hdr" | "capture.res.hdr" => {
            too_many(1)?;
            let n: usize = number(&arg(0, "capture number")?, "capture number", call)?;
            if name == "capture.req.hdr" {
                Fetch::CaptureReqHdr(n)
            } else {
                Fetch::CaptureResHdr(n)
            }
        }
        "capture.req.method" => no_args(Fetch::CaptureReqMethod)?,
        "capture.req.uri" => no_args(Fetch::CaptureReqUri)?,
        "capture.req.ver" => no_args(Fetch::CaptureReqVer)?,
        "status" => no_args(Fetch::Status)?,
        "res.hdr" | "shdr" | "res.fhdr" => {
            let full = name == "res.fhdr";
            let n = if full {
                arg(0, "header name")?
            } else {
                opt(0).ok_or_else(|| {
                    refused(format!(
                        "`{whole}` without a header name is not run by proxyd yet"
                    ))
                })?
            };
            too_many(2)?;
            Fetch::ResHdr {
                name: n.to_ascii_lowercase(),
                occ: occurrence(1)?,
                full,
            }
        }
        "res.hdr_cnt" | "shdr_cnt" | "res.fhdr_cnt" => {
            too_many(1)?;
            Fetch::ResHdrCnt {
                name: arg(0, "header name")?.to_ascii_lowercase(),
                full: name.contains("fhdr"),
            }
        }
        "res.hdr_val" | "shdr_val" => {
            too_many(2)?;
            if args.len() > 1 {
                return Err(refused(format!(
                    "`{whole}`: an occurrence argument is not run by proxyd yet"
                )));
            }
            Fetch::ResHdrVal(arg(0, "header name")?.to_ascii_lowercase())
        }
        "res.hdr_ip" | "shdr_ip" => {
            too_many(2)?;
            Fetch::ResHdrIp {
                name: arg(0, "header name")?.to_ascii_lowercase(),
                occ: occurrence(1)?,
            }
        }
        "res.hdrs" => no_args(Fetch::ResHdrs)?,
        "res.hdr_names" => {
            too_many(1)?;
            Fetch::ResHdrNames(args.first().cloned().unwrap_or_else(|| ",".into()))
        }
        "res.ver" | "resp_ver" => no_args(Fetch::ResVer)?,
        "res.cook" | "scook" => {
            too_many(1)?;
            match opt(0) {
                Some(c) => Fetch::ResCook(c),
                None => {
                    return Err(refused(format!(
                        "`{whole}` without a cookie name is not run by proxyd yet"
                    )))
                }
            }
        }
        "res.cook_cnt" | "scook_cnt" => {
            too_many(1)?;
            Fetch::ResCookCnt(opt(0))
        }
        "res.cook_val" | "scook_val" => {
            too_many(1)?;
            Fetch::ResCookVal(arg(0, "cookie name")?)
        }
        "src" => no_args(Fetch::Src)?,
        "dst" => no_args(Fetch::Dst)?,
        "src_port" => no_args(Fetch::SrcPort)?,
        "dst_port" => no_args(Fetch::DstPort)?,
        "ssl_fc" => no_args(Fetch::SslFc)?,
        "ssl_fc_sni" | "req.ssl_sni" | "req_ssl_sni" => no_args(Fetch::Sni)?,
        "ssl_fc_has_sni" => no_args(Fetch::SslFcHasSni)?,
        "ssl_fc_protocol" => no_args(Fetch::SslFcProtocol)?,
        "ssl_fc_cipher" => no_args(Fetch::SslFcCipher)?,
        "ssl_fc_alpn" => no_args(Fetch::SslFcAlpn)?,
        "fc_err" => no_args(Fetch::FcErr)?,
        "ssl_fc_err" => no_args(Fetch::SslFcErr)?,
        "ssl_c_err" => no_args(Fetch::SslCErr)?,
        "ssl_c_ca_err" => no_args(Fetch::SslCCaErr)?,
        "ssl_fc_is_resumed" => no_args(Fetch::SslFcIsResumed)?,
        "always_true" => no_args(Fetch::Const(true))?,
        "always_false" => no_args(Fetch::Const(false))?,
        "str" => {
            too_many(1)?;
            Fetch::Str(args.first().cloned().unwrap_or_default())
        }
        "int" => {
            too_many(1)?;
            Fetch::Int(number(&arg(0, "integer")?, "integer", call)?)
        }
        "bool" => {
            too_many(1)?;
            let a = arg(0, "boolean")?;
            Fetch::Const(match a.as_str() {
                "true" | "1" => true,
                "false" | "0" => false,
                other => match other.parse::<i64>() {
                    Ok(n) => n != 0,
                    Err(_) => {
                        return Err(bad(
                            format!("`{whole}`: `{other}` is not a boolean (true, false, 1, 0)"),
                            None,
                        ))
                    }
                },
            })
        }
        "ipv4" => {
            too_many(1)?;
            Fetch::Ipv4(number(&arg(0, "IPv4 address")?, "IPv4 address", call)?)
        }
        "ipv6" => {
            too_many(1)?;
            Fetch::Ipv6(number(&arg(0, "IPv6 address")?, "IPv6 address", call)?)
        }
        "bin" => {
            too_many(1)?;
            let h = arg(0, "hexadecimal string")?;
            Fetch::Bin(
                hex_bytes(&h).ok_or_else(|| {
                    bad(format!("`{whole}`: `{h}` is not hexadecimal bytes"), None)
                })?,
            )
        }
        "meth" => {
            too_many(1)?;
            Fetch::Meth(arg(0, "method")?)
        }
        "var" => {
            too_many(2)?;
            let v = arg(0, "variable name")?;
            Fetch::Var {
                var: VarRef::parse(&v).map_err(|e| bad(format!("`{whole}`: {e}"), None))?,
                default: args.get(1).cloned(),
            }
        }
        "env" => {
            too_many(1)?;
            Fetch::Env(arg(0, "variable name")?)
        }
        "date" => {
            too_many(2)?;
            let offset = match opt(0) {
                Some(o) => number(&o, "offset", call)?,
                None => 0,
            };
            let per_second = match opt(1).as_deref() {
                None | Some("s") => 1,
                Some("ms") => 1_000,
                Some("us") => 1_000_000,
                Some(other) => {
                    return Err(bad(
                        format!("`{whole}`: unknown unit `{other}` (s, ms or us)"),
                        None,
                    ))
                }
            };
            Fetch::Date { offset, per_second }
        }
        "date_us" => no_args(Fetch::DateUs)?,
        "hostname" => no_args(Fetch::Hostname)?,
        "rand" => {
            too_many(1)?;
            Fetch::Rand(match opt(0) {
                Some(r) => Some(number(&r, "range", call)?),
                None => None,
            })
        }
        "uuid" => {
            too_many(1)?;
            if opt(0).is_some_and(|v| v != "4") {
                return Err(bad(format!("`{whole}`: only version 4 UUIDs exist"), None));
            }
            Fetch::Uuid
        }
        "fe_name" => no_args(Fetch::FeName)?,
        "fe_id" => no_args(Fetch::FeId)?,
        "be_name" => no_args(Fetch::BeName)?,
        "be_id" => no_args(Fetch::BeId)?,
        "stopping" => no_args(Fetch::Stopping)?,
        "req_ssl_hello_type" | "req.ssl_hello_type" => {
            no_args(Fetch::SslHelloType { response: false })?
        }
        "rep_ssl_hello_type" | "res.ssl_hello_type" => {
            no_args(Fetch::SslHelloType { response: true })?
        }
        "req.len" | "req_len" => no_args(Fetch::ReqLen)?,
        "req.body" => no_args(Fetch::ReqBody)?,
        "req.body_len" => no_args(Fetch::ReqBodyLen)?,
        "req.body_size" => no_args(Fetch::ReqBodySize)?,
        "req.body_param" => {
            too_many(1)?;
            Fetch::ReqBodyParam(opt(0))
        }
        "req.rdp_cookie_cnt" | "rdp_cookie_cnt" | "req_rdp_cookie_cnt" => {
            if !args.is_empty() {
                return Err(refused(format!(
                    "`{whole}`: a cookie name argument is not run by proxyd yet"
                )));
            }
            Fetch::RdpCookieCnt
        }
        "wait_end" => no_args(Fetch::WaitEnd)?,
        "nbsrv" => {
            too_many(1)?;
            Fetch::Nbsrv(opt(0))
        }
        "unique-id" => no_args(Fetch::UniqueId)?,
        "be_server_timeout" | "be_tunnel_timeout" | "cur_server_timeout" | "cur_tunnel_timeout" => {
            no_args(Fetch::Timeout {
                tunnel: name.ends_with("tunnel_timeout"),
                current: name.starts_with("cur_"),
            })?
        }
        "ssl_c_used" => no_args(Fetch::SslC(SslC::Used))?,
        "ssl_c_verify" => no_args(Fetch::SslC(SslC::Verify))?,
        "ssl_c_serial" => no_args(Fetch::SslC(SslC::Serial))?,
        "ssl_c_der" => no_args(Fetch::SslC(SslC::Der))?,
        "ssl_c_sha1" => no_args(Fetch::SslC(SslC::Sha1))?,
        "ssl_c_notbefore" => no_args(Fetch::SslC(SslC::NotBefore))?,
        "ssl_c_notafter" => no_args(Fetch::SslC(SslC::NotAfter))?,
        "ssl_c_version" => no_args(Fetch::SslC(SslC::Version))?,
        "ssl_c_s_dn" | "ssl_c_i_dn" => {
            if args.len() > 2 {
                return Err(refused(format!(
                    "`{whole}`: the format argument (rfc2253) is not run by proxyd yet"
                )));
            }
            Fetch::SslC(SslC::Dn {
                issuer: name == "ssl_c_i_dn",
                entry: opt(0),
                occ: match args.get(1).filter(|a| !a.is_empty()) {
                    Some(o) => number::<i64>(o, "occurrence", call)?,
                    None => 1,
                },
            })
        }
        "fe_conn" => {
            too_many(1)?;
            Fetch::FeConn(opt(0))
        }
        "be_conn" => {
            too_many(1)?;
            Fetch::BeConn(opt(0))
        }
        "srv_conn" | "srv_is_up" | "srv_sess_rate" | "srv_queue" => {
            too_many(1)?;
            let t = arg(0, "server name")?;
            let (backend, server) = match t.split_once('/') {
                Some((b, s)) => (Some(b.to_string()), s.to_string()),
                None => (None, t),
            };
            match name {
                "srv_conn" => Fetch::SrvConn { backend, server },
                "srv_is_up" => Fetch::SrvIsUp { backend, server },
                "srv_sess_rate" => Fetch::SrvSessRate { backend, server },
                _ => Fetch::SrvQueue { backend, server },
            }
        }
        "fe_sess_rate" | "fe_req_rate" => {
            too_many(1)?;
            Fetch::FeRate {
                frontend: opt(0),
                requests: name == "fe_req_rate",
            }
        }
        "be_sess_rate" => {
            too_many(1)?;
            Fetch::BeSessRate(opt(0))
        }
        "queue" | "avg_queue" | "connslots" | "be_conn_free" => {
            too_many(1)?;
            Fetch::BeLoad {
                backend: opt(0),
                what: match name {
                    "queue" => BeLoad::Queue,
                    "avg_queue" => BeLoad::AvgQueue,
                    "connslots" => BeLoad::ConnSlots,
                    _ => BeLoad::ConnFree,
                },
            }
        }
        "http_auth" | "http_auth_group" => {
            too_many(1)?;
            let ul = arg(0, "userlist name")?;
            if name == "http_auth" {
                Fetch::HttpAuth(ul)
            } else {
                Fetch::HttpAuthGroup {
                    userlist: ul,
                    groups: false,
                }
            }
        }
        "http_auth_type" => no_args(Fetch::HttpAuthType)?,
        "http_auth_user" => no_args(Fetch::HttpAuthUser)?,
        "http_auth_pass" => no_args(Fetch::HttpAuthPass)?,
        "payload" | "req.payload" => payload(false, false)?,
        "payload_lv" | "req.payload_lv" => payload(false, true)?,
        "res.payload" => payload(true, false)?,
        "res.payload_lv" => payload(true, true)?,
        _ if samples::is_known_fetch(name) => {
            return Err(refused(format!(
                "sample fetch `{name}` is not run by proxyd yet"
            )))
        }
        _ => {
            return Err(bad(
                format!("unknown sample fetch `{name}`"),
                conf_diag::did_you_mean(name, samples::fetch_names())
                    .map(|s| format!("did you mean `{s}`?")),
            ))
        }
    })
}
