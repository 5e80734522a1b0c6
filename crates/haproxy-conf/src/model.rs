//! The typed haproxy.cfg model, defaults resolved: what the data plane runs from.
//! Spans are kept (not serialised) for later diagnostics.

use crate::actions::{HttpReqAction, HttpRespAction, Redirect, Rule, TcpAction};
use crate::sample::{Expr, MatchMethod, Pattern};
pub use crate::srv_tls::{TlsVersion, TlsVersions};
use crate::values::{ListenAddr, ServerAddr};
use conf_diag::Span;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, Serialize)]
pub struct Config {
    pub global: Global,
    /// Every proxy (frontend, backend, listen) in file order; defaults are already applied.
    pub proxies: Vec<Proxy>,
    pub userlists: Vec<Userlist>,
    /// `cache NAME` sections.
    pub caches: Vec<CacheSection>,
    pub mailers: Vec<Mailers>,
    pub resolvers: Vec<Resolvers>,
    pub http_errors: Vec<HttpErrors>,
    pub peers: Vec<PeersSection>,
    /// Sections read but not used by proxyd yet (cache, program, ring).
    pub other_sections: Vec<NamedSection>,
}

impl Config {
    pub fn proxy(&self, name: &str, cap: Cap) -> Option<&Proxy> {
        self.proxies
            .iter()
            .find(|p| p.name == name && p.kind.has(cap))
    }
    pub fn backends(&self) -> impl Iterator<Item = &Proxy> {
        self.proxies.iter().filter(|p| p.kind.has(Cap::Backend))
    }
    pub fn frontends(&self) -> impl Iterator<Item = &Proxy> {
        self.proxies.iter().filter(|p| p.kind.has(Cap::Frontend))
    }
    /// A proxy's numeric id (`fe_id`, `be_id`, the runtime API's `iid`): its `id`, or
    /// the next number no `id` took, in the order proxies are declared, from 1 (from 2
    /// with a `stats socket`, whose own proxy HAProxy numbers 1).
    pub fn proxy_id(&self, name: &str) -> u32 {
        let taken: std::collections::HashSet<u64> =
            self.proxies.iter().filter_map(|p| p.id).collect();
        let mut next: u64 = if self.global.stats_sockets.is_empty() {
            1
        } else {
            2
        };
        for p in &self.proxies {
            let id = match p.id {
                Some(id) => id,
                None => {
                    while taken.contains(&next) {
                        next += 1;
                    }
                    next += 1;
                    next - 1
                }
            };
            if p.name == name {
                return u32::try_from(id).unwrap_or(0);
            }
        }
        0
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Global {
    pub log: Vec<LogTarget>,
    pub log_tag: Option<String>,
    /// `log-send-hostname [NAME]`: Some("") is the system's host name.
    pub log_send_hostname: Option<String>,
    pub maxconn: Option<u64>,
    pub user: Option<String>,
    pub group: Option<String>,
    #[serde(skip)]
    pub user_span: Option<Span>,
    #[serde(skip)]
    pub group_span: Option<Span>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub chroot: Option<String>,
    #[serde(skip)]
    pub chroot_span: Option<Span>,
    pub daemon: bool,
    pub master_worker: bool,
    pub pidfile: Option<String>,
    /// `localpeer`: this process's name in `peers` sections (`-L` wins; else the host
    /// name).
    pub local_peer: Option<String>,
    pub nbthread: Option<u32>,
    pub stats_sockets: Vec<StatsSocket>,
    pub stats_timeout_ms: Option<u64>,
    pub tune_bufsize: u64,
    pub tune_maxrewrite: Option<u64>,
    /// `tune.h2.max-concurrent-streams`, `initial-window-size`, `header-table-size`,
    /// `max-frame-size` (None: HAProxy's defaults).
    pub tune_h2: [Option<u64>; 4],
    pub hard_stop_after_ms: Option<u64>,
    /// `grace`: how long listeners go on accepting after SIGUSR1 (the `stopping` fetch
    /// says true meanwhile).
    pub grace_ms: Option<u64>,
    /// `h1-accept-payload-with-any-method`: HTTP/1.0 GET, HEAD and DELETE requests
    /// may carry a body (refused with 413 otherwise).
    pub h1_payload_any_method: bool,
    /// `server-state-file` and `server-state-base`: the servers' states saved before
    /// a reload (`show servers state`), read at start.
    pub server_state_file: Option<String>,
    pub server_state_base: Option<String>,
    pub ssl_default_bind_ciphers: Option<String>,
    pub ssl_default_bind_ciphersuites: Option<String>,
    /// `ssl-default-bind-options`: the TLS versions binds accept by default.
    pub ssl_default_bind_min_ver: Option<String>,
    pub ssl_default_bind_max_ver: Option<String>,
    pub ca_base: Option<String>,
    /// `zero-warning`: warnings are fatal, as with `-dW`.
    pub zero_warning: bool,
    pub crt_base: Option<String>,
    /// `ssl-server-verify none|required` (HAProxy's default: required).
    pub ssl_server_verify_none: bool,
    /// `ssl-default-server-options`: the TLS versions servers allow by default.
    pub ssl_default_server_versions: TlsVersions,
    /// `ssl-default-server-options no-tls-tickets`.
    pub ssl_default_server_no_tickets: bool,
    /// `ulimit-n`: the file descriptor limit to set.
    pub ulimit_n: Option<u64>,
    /// `nosplice`: copy TCP sessions instead of splicing them.
    pub nosplice: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum LogTarget {
    /// `log global`: use the global section's targets.
    Global,
    Target(crate::logging::LogSink),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatsSocket {
    pub address: String,
    pub mode: Option<String>,
    pub user: Option<String>,
    pub group: Option<String>,
    pub level: String,
    pub expose_fd_listeners: bool,
}

/// What a proxy section can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProxyKind {
    Defaults,
    Frontend,
    Backend,
    Listen,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cap {
    Frontend,
    Backend,
}

impl ProxyKind {
    pub fn has(self, cap: Cap) -> bool {
        matches!(
            (self, cap),
            (ProxyKind::Listen, _)
                | (ProxyKind::Frontend, Cap::Frontend)
                | (ProxyKind::Backend, Cap::Backend)
        )
    }
    pub fn keyword(self) -> &'static str {
        match self {
            ProxyKind::Defaults => "defaults",
            ProxyKind::Frontend => "frontend",
            ProxyKind::Backend => "backend",
            ProxyKind::Listen => "listen",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    #[default]
    Tcp,
    Http,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Timeouts {
    pub client: Option<u64>,
    pub server: Option<u64>,
    pub connect: Option<u64>,
    pub http_request: Option<u64>,
    pub http_keep_alive: Option<u64>,
    pub queue: Option<u64>,
    pub tunnel: Option<u64>,
    pub client_fin: Option<u64>,
    pub server_fin: Option<u64>,
    pub check: Option<u64>,
    pub tarpit: Option<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(tag = "algorithm", rename_all = "kebab-case")]
pub enum Balance {
    #[default]
    Roundrobin,
    StaticRr,
    Leastconn,
    First,
    Source,
    /// `balance uri [len N] [depth N] [whole] [path-only]`.
    Uri {
        len: Option<u32>,
        depth: Option<u32>,
        whole: bool,
        path_only: bool,
    },
    UrlParam {
        param: String,
    },
    Hdr {
        name: String,
        use_domain_only: bool,
    },
    Random {
        draws: u32,
    },
}

impl Balance {
    /// The algorithm's keyword (the stats report's `algo` column).
    pub fn name(&self) -> &'static str {
        match self {
            Balance::Roundrobin => "roundrobin",
            Balance::StaticRr => "static-rr",
            Balance::Leastconn => "leastconn",
            Balance::First => "first",
            Balance::Source => "source",
            Balance::Uri { .. } => "uri",
            Balance::UrlParam { .. } => "url_param",
            Balance::Hdr { .. } => "hdr",
            Balance::Random { .. } => "random",
        }
    }
}

/// `http-reuse`: idle server connections are shared by requests as HAProxy's modes say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HttpReuse {
    /// Every request opens its own connection.
    Never,
    /// A client's first request opens its own connection; later ones may use an idle one
    /// (a server closing an idle connection then fails only a request the client may
    /// retry).
    #[default]
    Safe,
    /// Any request may use an idle connection that has served a request before.
    Aggressive,
    /// Any request may use any idle connection.
    Always,
}

/// `hash-type map-based|consistent [sdbm|djb2|crc32] [avalanche]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct HashType {
    pub consistent: bool,
    pub function: HashFunction,
    pub avalanche: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HashFunction {
    #[default]
    Sdbm,
    Djb2,
    Crc32,
}

/// `option forwardfor [except NET] [header NAME] [if-none]`, and `option originalto
/// [except NET] [header NAME]` (if-none unused).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AddrHeader {
    pub header: String,
    pub except: Option<(std::net::IpAddr, u8)>,
    pub if_none: bool,
}

/// `bind ... verify optional|required`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ClientVerify {
    /// A certificate is asked for; one that is sent must verify.
    Optional,
    /// A certificate that verifies is needed.
    Required,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bind {
    pub addrs: Vec<ListenAddr>,
    pub name: Option<String>,
    pub ssl: bool,
    pub crt: Vec<String>,
    /// ALPN protocols offered, in order (`alpn h2,http/1.1`).
    pub alpn: Option<Vec<String>>,
    /// `proto NAME`: force a protocol (h2 is refused until proxyd speaks it).
    pub proto: Option<String>,
    pub v4v6: bool,
    pub v6only: bool,
    pub accept_proxy: bool,
    /// `transparent`: accept connections for any address (IP_TRANSPARENT).
    pub transparent: bool,
    pub interface: Option<String>,
    pub maxconn: Option<u64>,
    pub backlog: Option<u64>,
    /// `strict-sni`: refuse a TLS handshake whose SNI matches no certificate.
    pub strict_sni: bool,
    /// `verify none|optional|required`: client certificates (None: `none`).
    pub verify: Option<ClientVerify>,
    /// `ca-file`: the CAs client certificates must lead to.
    pub ca_file: Option<String>,
    /// `ssl-min-ver` / `ssl-max-ver`: `TLSv1.2`, `TLSv1.3`.
    pub ssl_min_ver: Option<String>,
    pub ssl_max_ver: Option<String>,
    /// Unix socket permissions: `mode` (octal), `user`/`uid`, `group`/`gid`.
    pub unix_mode: Option<u32>,
    pub unix_user: Option<String>,
    pub unix_group: Option<String>,
    /// `tcp-ut`, `mss`: TCP socket options.
    pub tcp_user_timeout_ms: Option<u64>,
    pub mss: Option<u32>,
    #[serde(skip)]
    pub span: Span,
}

/// `agent-check` settings of a server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Agent {
    pub port: Option<u16>,
    pub addr: Option<String>,
    pub inter_ms: Option<u64>,
    /// `agent-send STRING`: sent on connecting.
    pub send: Option<String>,
}

/// `observe layer4|layer7`: what counts as an error of live traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Observe {
    Layer4,
    Layer7,
}

/// `on-error`: what `error-limit` consecutive errors of live traffic do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OnError {
    /// Run checks at `fastinter` (the default).
    #[default]
    Fastinter,
    FailCheck,
    SuddenDeath,
    MarkDown,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServerOpts {
    pub check: bool,
    pub inter_ms: u64,
    pub fastinter_ms: Option<u64>,
    pub downinter_ms: Option<u64>,
    pub rise: u32,
    pub fall: u32,
    pub weight: u32,
    pub backup: bool,
    pub maxconn: Option<u64>,
    pub maxqueue: Option<u64>,
    pub minconn: Option<u64>,
    pub check_port: Option<u16>,
    pub check_addr: Option<String>,
    /// `check-ssl` (Some(true)) / `no-check-ssl` (Some(false)); None: checks speak TLS
    /// when traffic does and they go to the server's own address and port.
    pub check_ssl: Option<bool>,
    pub check_send_proxy: bool,
    pub ssl: bool,
    /// `verify none|required`.
    pub verify: Option<String>,
    /// `sni EXPR`: the server name sent with traffic, from the request.
    pub sni: Option<Expr>,
    /// `check-sni NAME`: the server name checks send.
    pub check_sni: Option<String>,
    /// `ca-file FILE` (or `@system-ca`), as written (`ca-base` applies to relative names).
    pub ca_file: Option<String>,
    /// `verifyhost NAME` (`no-verifyhost` clears it).
    pub verifyhost: Option<String>,
    /// `crt FILE`: the client certificate and key (`crt-base` applies).
    pub crt: Option<String>,
    /// `alpn LIST` / `check-alpn LIST`.
    pub alpn: Option<Vec<String>>,
    /// `proto h1|h2|none`: the protocol spoken to the server whatever ALPN says.
    pub proto: Option<String>,
    /// `ws auto|h1|h2`: the protocol of WebSocket streams (None: `auto`).
    pub ws: Option<String>,
    pub check_alpn: Option<Vec<String>>,
    /// `ssl-min-ver`, `ssl-max-ver`, `force-*`, `no-*`.
    pub tls_versions: TlsVersions,
    /// `ssl-reuse` / `no-ssl-reuse`: TLS sessions resumed (the default).
    pub ssl_reuse: bool,
    /// `tls-tickets` / `no-tls-tickets`: TLSv1.2 session tickets (the default).
    pub tls_tickets: bool,
    pub send_proxy: bool,
    pub send_proxy_v2: bool,
    pub cookie: Option<String>,
    pub disabled: bool,
    pub init_addr: Option<String>,
    /// `resolvers NAME`: the name is followed with the system resolver; checked to exist.
    pub resolvers: Option<String>,
    /// `resolve-prefer ipv4|ipv6`.
    pub resolvers_prefer: Option<String>,
    pub on_marked_down: Option<String>,
    pub on_marked_up: Option<String>,
    pub slowstart_ms: Option<u64>,
    pub agent_check: bool,
    pub agent: Agent,
    /// `track [BACKEND/]SERVER`: take that server's health instead of checking.
    pub track: Option<String>,
    /// `redir PREFIX`: answer GET/HEAD requests with a 302 to this server's prefix.
    pub redir: Option<String>,
    /// `non-stick`: never stored in a stick table.
    pub non_stick: bool,
    pub observe: Option<Observe>,
    pub on_error: OnError,
    pub error_limit: u32,
    /// `id N`: the server's numeric id (HAProxy numbers them from 1 otherwise).
    pub id: Option<u32>,
    /// `tfo`, `tcp-ut`: TCP options towards the server.
    pub tcp_user_timeout_ms: Option<u64>,
    /// `pool-max-conn`: idle connections kept for reuse (-1 unlimited, 0 none).
    pub pool_max_conn: Option<i64>,
    /// `pool-purge-delay`.
    pub pool_purge_delay_ms: Option<u64>,
    /// `max-reuse N`: requests per server connection (-1 unlimited).
    pub max_reuse: Option<i64>,
    /// `source ADDR[:PORT]`: the address to connect from.
    pub source: Option<String>,
}

impl Default for ServerOpts {
    fn default() -> Self {
        ServerOpts {
            check: false,
            inter_ms: 2000,
            fastinter_ms: None,
            downinter_ms: None,
            rise: 2,
            fall: 3,
            weight: 1,
            backup: false,
            maxconn: None,
            maxqueue: None,
            minconn: None,
            check_port: None,
            check_addr: None,
            check_ssl: None,
            check_send_proxy: false,
            ssl: false,
            verify: None,
            sni: None,
            check_sni: None,
            ca_file: None,
            verifyhost: None,
            crt: None,
            alpn: None,
            proto: None,
            ws: None,
            check_alpn: None,
            tls_versions: TlsVersions::default(),
            ssl_reuse: true,
            tls_tickets: true,
            send_proxy: false,
            send_proxy_v2: false,
            cookie: None,
            disabled: false,
            init_addr: None,
            resolvers: None,
            resolvers_prefer: None,
            on_marked_down: None,
            on_marked_up: None,
            slowstart_ms: None,
            agent_check: false,
            agent: Agent {
                port: None,
                addr: None,
                inter_ms: None,
                send: None,
            },
            track: None,
            redir: None,
            non_stick: false,
            observe: None,
            on_error: OnError::Fastinter,
            error_limit: 10,
            id: None,
            tcp_user_timeout_ms: None,
            pool_max_conn: None,
            pool_purge_delay_ms: None,
            max_reuse: None,
            source: None,
        }
    }
}

impl ServerOpts {
    /// Whether health checks speak TLS: `check-ssl`, or `ssl` when they go to the
    /// server's own address and port (no `addr`, no `port`) unless `no-check-ssl`.
    pub fn check_tls(&self) -> bool {
        self.check_ssl
            .unwrap_or(self.ssl && self.check_port.is_none() && self.check_addr.is_none())
    }

    /// Whether the server's certificate is verified: `verify`, else the global
    /// `ssl-server-verify` (required unless it says none).
    pub fn verify_required(&self, g: &Global) -> bool {
        match self.verify.as_deref() {
            Some("none") => false,
            Some(_) => true,
            None => !g.ssl_server_verify_none,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Server {
    pub name: String,
    pub addr: ServerAddr,
    pub opts: ServerOpts,
    #[serde(skip)]
    pub span: Span,
    #[serde(skip)]
    pub addr_span: Span,
}

/// `acl NAME CRITERION [flags] [patterns…]`, or an anonymous `{ … }` one, typed: the
/// expression, how it matches and the patterns in the form the method needs. Several
/// lines with one name make one ACL that matches when any line does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Acl {
    pub name: String,
    pub expr: Expr,
    pub method: MatchMethod,
    /// `-i`: strings compared without case (patterns are lowercase already).
    pub nocase: bool,
    pub patterns: Vec<Pattern>,
    /// Where the patterns came from, as written: the line's own, then each `-f` file's
    /// (the runtime API changes them and the patterns are made again).
    #[serde(skip)]
    pub sources: AclSources,
    #[serde(skip)]
    pub span: Span,
}

/// An ACL line's pattern words: its own, and each `-f` file's by path.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AclSources {
    pub inline: Vec<String>,
    pub files: Vec<(String, Vec<String>)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum AclRef {
    Named(String),
    Anonymous(Acl),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AclTerm {
    pub negate: bool,
    pub acl: AclRef,
    #[serde(skip)]
    pub span: Span,
}

/// `if|unless` followed by terms ANDed together, groups separated by `or`/`||`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Condition {
    pub unless: bool,
    pub any_of: Vec<Vec<AclTerm>>,
}

/// A proxy's rules by phase, each list in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Rules {
    pub http_request: Vec<Rule<HttpReqAction>>,
    /// `redirect` lines: evaluated after the http-request rules, as HAProxy does.
    pub redirect: Vec<Rule<Redirect>>,
    pub http_response: Vec<Rule<HttpRespAction>>,
    /// `http-after-response`: on every response, the proxy's own ones too.
    pub http_after_response: Vec<Rule<HttpRespAction>>,
    pub tcp_request_connection: Vec<Rule<TcpAction>>,
    /// After the PROXY header and the TLS handshake: sees the addresses the header gave.
    pub tcp_request_session: Vec<Rule<TcpAction>>,
    pub tcp_request_content: Vec<Rule<TcpAction>>,
    pub tcp_response_content: Vec<Rule<TcpAction>>,
}

impl Rules {
    /// No rule at all.
    pub fn is_empty(&self) -> bool {
        self.http_request.is_empty()
            && self.redirect.is_empty()
            && self.http_response.is_empty()
            && self.http_after_response.is_empty()
            && self.tcp_request_connection.is_empty()
            && self.tcp_request_session.is_empty()
            && self.tcp_request_content.is_empty()
            && self.tcp_response_content.is_empty()
    }

    /// The conditions of every rule.
    pub fn conditions(&self) -> impl Iterator<Item = &Condition> {
        self.http_request
            .iter()
            .filter_map(|r| r.cond.as_ref())
            .chain(self.redirect.iter().filter_map(|r| r.cond.as_ref()))
            .chain(self.http_response.iter().filter_map(|r| r.cond.as_ref()))
            .chain(
                self.http_after_response
                    .iter()
                    .filter_map(|r| r.cond.as_ref()),
            )
            .chain(
                self.tcp_request_connection
                    .iter()
                    .filter_map(|r| r.cond.as_ref()),
            )
            .chain(
                self.tcp_request_session
                    .iter()
                    .filter_map(|r| r.cond.as_ref()),
            )
            .chain(
                self.tcp_request_content
                    .iter()
                    .filter_map(|r| r.cond.as_ref()),
            )
            .chain(
                self.tcp_response_content
                    .iter()
                    .filter_map(|r| r.cond.as_ref()),
            )
    }

    /// Where the first HTTP rule (request, redirect or response) is, if any.
    pub fn first_http(&self) -> Option<Span> {
        self.http_request
            .first()
            .map(|r| r.span)
            .or(self.redirect.first().map(|r| r.span))
            .or(self.http_response.first().map(|r| r.span))
            .or(self.http_after_response.first().map(|r| r.span))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UseBackend {
    pub backend: String,
    /// A name written as log-format (`%[req.hdr(host),lower]`), chosen at run time.
    pub dynamic: Option<crate::sample::fmt::Fmt>,
    pub cond: Option<Condition>,
    #[serde(skip)]
    pub span: Span,
}

/// `use-server NAME [if|unless COND]`: that server, when up, ahead of persistence and
/// balancing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UseServer {
    pub server: String,
    /// A name written as log-format, chosen at run time.
    pub dynamic: Option<crate::sample::fmt::Fmt>,
    pub cond: Option<Condition>,
    #[serde(skip)]
    pub span: Span,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    pub enabled: bool,
    pub uri: Option<String>,
    pub realm: Option<String>,
    pub auth: Vec<String>,
    pub hide_version: bool,
    pub refresh_ms: Option<u64>,
    pub admin: Option<Condition>,
    pub show_legends: bool,
    pub show_node: Option<String>,
    pub scope: Vec<String>,
    #[serde(skip)]
    pub span: Option<Span>,
}

/// The key type of a stick table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TableType {
    Ip,
    Ipv6,
    Integer,
    String,
    Binary,
}

/// A compression algorithm (`compression algo ...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CompAlgo {
    Identity,
    Gzip,
    /// The zlib format.
    Deflate,
    /// Deflate without the zlib wrapper (announced as `deflate` too).
    RawDeflate,
}

impl CompAlgo {
    pub fn named(n: &str) -> Option<CompAlgo> {
        Some(match n {
            "identity" => CompAlgo::Identity,
            "gzip" => CompAlgo::Gzip,
            "deflate" => CompAlgo::Deflate,
            "raw-deflate" => CompAlgo::RawDeflate,
            _ => return None,
        })
    }

    /// The token clients name it with in `Accept-Encoding` (and `Content-Encoding`).
    pub fn token(self) -> &'static str {
        match self {
            CompAlgo::Identity => "identity",
            CompAlgo::Gzip => "gzip",
            CompAlgo::Deflate | CompAlgo::RawDeflate => "deflate",
        }
    }
}

/// `compression algo A... | type T... | offload`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Compression {
    pub algos: Vec<CompAlgo>,
    /// Content types compressed (prefixes, without case); empty: any.
    pub types: Vec<String>,
    /// Take `Accept-Encoding` away from requests so that servers send plain bodies.
    pub offload: bool,
}

/// What a stick table entry keeps beside its key (`store ...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StoreKind {
    ServerId,
    Gpt0,
    Gpc0,
    Gpc0Rate,
    Gpc1,
    Gpc1Rate,
    ConnCnt,
    ConnCur,
    ConnRate,
    SessCnt,
    SessRate,
    HttpReqCnt,
    HttpReqRate,
    HttpErrCnt,
    HttpErrRate,
    HttpFailCnt,
    HttpFailRate,
    BytesInCnt,
    BytesInRate,
    BytesOutCnt,
    BytesOutRate,
}

impl StoreKind {
    pub const ALL: [StoreKind; 21] = [
        StoreKind::ServerId,
        StoreKind::Gpt0,
        StoreKind::Gpc0,
        StoreKind::Gpc0Rate,
        StoreKind::Gpc1,
        StoreKind::Gpc1Rate,
        StoreKind::ConnCnt,
        StoreKind::ConnCur,
        StoreKind::ConnRate,
        StoreKind::SessCnt,
        StoreKind::SessRate,
        StoreKind::HttpReqCnt,
        StoreKind::HttpReqRate,
        StoreKind::HttpErrCnt,
        StoreKind::HttpErrRate,
        StoreKind::HttpFailCnt,
        StoreKind::HttpFailRate,
        StoreKind::BytesInCnt,
        StoreKind::BytesInRate,
        StoreKind::BytesOutCnt,
        StoreKind::BytesOutRate,
    ];

    /// HAProxy's name (`http_req_rate`).
    pub fn name(self) -> &'static str {
        match self {
            StoreKind::ServerId => "server_id",
            StoreKind::Gpt0 => "gpt0",
            StoreKind::Gpc0 => "gpc0",
            StoreKind::Gpc0Rate => "gpc0_rate",
            StoreKind::Gpc1 => "gpc1",
            StoreKind::Gpc1Rate => "gpc1_rate",
            StoreKind::ConnCnt => "conn_cnt",
            StoreKind::ConnCur => "conn_cur",
            StoreKind::ConnRate => "conn_rate",
            StoreKind::SessCnt => "sess_cnt",
            StoreKind::SessRate => "sess_rate",
            StoreKind::HttpReqCnt => "http_req_cnt",
            StoreKind::HttpReqRate => "http_req_rate",
            StoreKind::HttpErrCnt => "http_err_cnt",
            StoreKind::HttpErrRate => "http_err_rate",
            StoreKind::HttpFailCnt => "http_fail_cnt",
            StoreKind::HttpFailRate => "http_fail_rate",
            StoreKind::BytesInCnt => "bytes_in_cnt",
            StoreKind::BytesInRate => "bytes_in_rate",
            StoreKind::BytesOutCnt => "bytes_out_cnt",
            StoreKind::BytesOutRate => "bytes_out_rate",
        }
    }

    pub fn named(name: &str) -> Option<StoreKind> {
        StoreKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Rates take a period: `http_req_rate(10s)`.
    pub fn is_rate(self) -> bool {
        self.name().ends_with("_rate")
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// One `store` item; `period_ms` for rates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Store {
    pub kind: StoreKind,
    pub period_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StickTable {
    pub table_type: TableType,
    /// Key length for string and binary keys.
    pub len: Option<u64>,
    /// Entries at most.
    pub size: u64,
    pub expire_ms: Option<u64>,
    pub nopurge: bool,
    /// The data kept per entry (`store`).
    pub store: Vec<Store>,
    /// `peers NAME`: the section whose peers share this table.
    pub peers: Option<String>,
    #[serde(skip)]
    pub peers_span: Span,
    #[serde(skip)]
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StickKind {
    On,
    Match,
    StoreRequest,
    StoreResponse,
}

impl StickKind {
    pub fn keyword(self) -> &'static str {
        match self {
            StickKind::On => "stick on",
            StickKind::Match => "stick match",
            StickKind::StoreRequest => "stick store-request",
            StickKind::StoreResponse => "stick store-response",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StickRule {
    pub kind: StickKind,
    pub expr: Expr,
    /// `table NAME`: another proxy's table (the proxy's own otherwise).
    pub table: Option<String>,
    pub cond: Option<Condition>,
    #[serde(skip)]
    pub span: Span,
}

/// What answers instead of one of proxyd's own error pages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum ErrorPage {
    /// `errorfile CODE FILE`: a whole raw HTTP response.
    File(String),
    /// `errorloc[302|303] CODE URL`: a redirection.
    Location { code: u16, url: String },
    /// `http-error status CODE ...`.
    Reply(crate::actions::Reply),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorFile {
    pub status: u16,
    pub page: ErrorPage,
    #[serde(skip)]
    pub span: Span,
}

/// TCP keep-alive probes (`clitcpka-*` / `srvtcpka-*`); None: the system's default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct TcpKa {
    pub cnt: Option<u32>,
    pub idle_ms: Option<u64>,
    pub intvl_ms: Option<u64>,
}

/// How the persistence cookie is handled (HAProxy's cookie modes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CookieMode {
    /// Neither inserted nor rewritten: the application sets it.
    #[default]
    Passive,
    Rewrite,
    Insert,
    Prefix,
}

/// `cookie NAME [rewrite|insert|prefix] [indirect] [nocache] ...`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Cookie {
    pub name: String,
    pub mode: CookieMode,
    pub indirect: bool,
    pub nocache: bool,
    pub postonly: bool,
    pub preserve: bool,
    pub httponly: bool,
    pub secure: bool,
    pub domains: Vec<String>,
    /// Seconds.
    pub maxidle: Option<u64>,
    pub maxlife: Option<u64>,
    pub dynamic: bool,
    pub attrs: Vec<String>,
}

/// `option httpchk [METHOD] [URI] [VERSION]` (the version may hide headers, old style).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HttpChk {
    pub method: String,
    pub uri: String,
    pub version: String,
    /// Headers found in the old form `HTTP/1.1\r\nHost:\ www`.
    pub headers: Vec<(String, String)>,
}

/// What an `expect` step of a check looks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum ExpectMatch {
    /// `status 200`, `status 200-399`, `status 200,204`.
    Status(Vec<(u16, u16)>),
    RStatus(crate::sample::Regex),
    /// The body (http-check) or the data read (tcp-check) contains it.
    String(String),
    RString(crate::sample::Regex),
    /// `binary HEX` (tcp-check): the data read contains these bytes.
    Binary(Vec<u8>),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Expect {
    pub negate: bool,
    pub what: ExpectMatch,
    /// `min-recv N`: bytes to wait for before judging.
    pub min_recv: Option<usize>,
}

/// `http-check connect` / `tcp-check connect` options.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CheckConnect {
    pub port: Option<u16>,
    pub addr: Option<std::net::IpAddr>,
    pub send_proxy: bool,
    pub ssl: bool,
    pub sni: Option<String>,
    pub linger: bool,
}

/// One step of a health check sequence (`tcp-check` / `http-check` lines).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum CheckStep {
    Connect(CheckConnect),
    /// tcp-check `send` / `send-binary`: bytes to write.
    Send(Vec<u8>),
    /// http-check `send`: the parts of the request it sets.
    HttpSend {
        method: Option<String>,
        uri: Option<String>,
        version: Option<String>,
        headers: Vec<(String, String)>,
        body: Option<String>,
    },
    Expect(Expect),
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EmailAlert {
    pub mailers: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub level: Option<String>,
    pub myhostname: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Proxy {
    pub kind: ProxyKind,
    pub name: String,
    #[serde(skip)]
    pub span: Span,
    /// The defaults section it inherited from, if any.
    pub defaults: Option<String>,
    pub mode: Mode,
    pub disabled: bool,
    pub binds: Vec<Bind>,
    /// `id N`: the proxy's numeric id, instead of the next free one.
    pub id: Option<u64>,
    pub maxconn: Option<u64>,
    pub fullconn: Option<u64>,
    pub backlog: Option<u64>,
    pub timeouts: Timeouts,
    pub retries: u32,
    /// `retry-on`: whether a failed connection is retried (`conn-failure`, the
    /// default); `retry-on none` retries nothing.
    pub retry_on_conn_failure: bool,
    /// `option NAME` (true) / `no option NAME` (false); arguments are typed below.
    pub options: BTreeMap<String, bool>,
    pub forwardfor: Option<AddrHeader>,
    pub originalto: Option<AddrHeader>,
    pub balance: Balance,
    pub hash_type: HashType,
    /// `http-reuse`: which requests may go over an idle server connection.
    pub http_reuse: HttpReuse,
    /// `compression algo|type|offload`.
    pub compression: Option<Compression>,
    pub default_server: ServerOpts,
    pub servers: Vec<Server>,
    pub acls: Vec<Acl>,
    pub use_backends: Vec<UseBackend>,
    pub use_servers: Vec<UseServer>,
    pub default_backend: Option<String>,
    #[serde(skip)]
    pub default_backend_span: Option<Span>,
    pub rules: Rules,
    pub stats: Stats,
    pub stick_table: Option<StickTable>,
    pub stick_rules: Vec<StickRule>,
    pub cookie: Option<Cookie>,
    pub errorfiles: Vec<ErrorFile>,
    pub errorfiles_groups: Vec<(String, Span)>,
    pub log: Vec<LogTarget>,
    pub log_format: Option<String>,
    /// How traffic lines are written: the last of `log-format`, `option httplog`,
    /// `option httpslog`, `option tcplog` (None: HAProxy's default "Connect from" line).
    pub log_style: Option<crate::logging::LogStyle>,
    #[serde(skip)]
    pub log_format_span: Option<Span>,
    /// `error-log-format`: lines for connections that failed before a request.
    pub error_log_format: Option<crate::sample::fmt::Fmt>,
    pub log_tag: Option<String>,
    /// `capture request header`, `capture response header`, `capture cookie`.
    pub captures: Vec<crate::logging::Capture>,
    pub monitor_uri: Option<String>,
    /// `monitor fail if|unless COND`: the monitor URI answers 503 when it holds.
    pub monitor_fail: Vec<Condition>,
    pub httpchk: Option<HttpChk>,
    pub http_checks: Vec<CheckStep>,
    pub tcp_checks: Vec<CheckStep>,
    /// `dynamic-cookie-key`: the secret of `cookie ... dynamic`.
    pub dynamic_cookie_key: Option<String>,
    pub email_alert: EmailAlert,
    pub capture: Vec<Vec<String>>,
    /// `unique-id-format`: each request's id (`%ID`, `unique-id`).
    pub unique_id_format: Option<crate::sample::fmt::Fmt>,
    /// `unique-id-header NAME`: the id sent to servers in this header.
    pub unique_id_header: Option<String>,
    /// `tcp-request inspect-delay`.
    pub inspect_delay_ms: Option<u64>,
    /// `tcp-response inspect-delay`.
    pub response_inspect_delay_ms: Option<u64>,
    pub clitcpka: TcpKa,
    pub srvtcpka: TcpKa,
    /// `option http-restrict-req-hdr-names`: None preserve, Some(false) delete,
    /// Some(true) reject.
    pub restrict_req_hdr_names: Option<bool>,
    /// `load-server-state-from-file`: where the servers' states saved before a reload
    /// come from.
    pub load_server_state: Option<LoadServerState>,
    /// `server-state-file-name`: the file of `load-server-state-from-file local`
    /// (None: the backend's name).
    pub server_state_file_name: Option<String>,
    #[serde(skip)]
    pub mode_span: Option<Span>,
}

/// `load-server-state-from-file`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LoadServerState {
    /// The global `server-state-file`.
    Global,
    /// The backend's own file (`server-state-file-name`, else its name), under
    /// `server-state-base`.
    Local,
    None,
}

impl Proxy {
    pub fn new(kind: ProxyKind, name: String, span: Span) -> Self {
        Proxy {
            kind,
            name,
            span,
            defaults: None,
            mode: Mode::Tcp,
            disabled: false,
            binds: Vec::new(),
            id: None,
            maxconn: None,
            fullconn: None,
            backlog: None,
            timeouts: Timeouts::default(),
            retries: 3,
            retry_on_conn_failure: true,
            options: BTreeMap::new(),
            forwardfor: None,
            originalto: None,
            balance: Balance::Roundrobin,
            hash_type: HashType::default(),
            http_reuse: HttpReuse::default(),
            compression: None,
            default_server: ServerOpts::default(),
            servers: Vec::new(),
            acls: Vec::new(),
            use_backends: Vec::new(),
            use_servers: Vec::new(),
            default_backend: None,
            default_backend_span: None,
            rules: Rules::default(),
            stats: Stats::default(),
            stick_table: None,
            stick_rules: Vec::new(),
            cookie: None,
            errorfiles: Vec::new(),
            errorfiles_groups: Vec::new(),
            log: Vec::new(),
            log_format: None,
            log_style: None,
            log_format_span: None,
            error_log_format: None,
            log_tag: None,
            captures: Vec::new(),
            monitor_uri: None,
            monitor_fail: Vec::new(),
            httpchk: None,
            http_checks: Vec::new(),
            tcp_checks: Vec::new(),
            dynamic_cookie_key: None,
            email_alert: EmailAlert::default(),
            capture: Vec::new(),
            unique_id_format: None,
            unique_id_header: None,
            inspect_delay_ms: None,
            response_inspect_delay_ms: None,
            clitcpka: TcpKa::default(),
            srvtcpka: TcpKa::default(),
            restrict_req_hdr_names: None,
            load_server_state: None,
            server_state_file_name: None,
            mode_span: None,
        }
    }

    /// A new proxy inheriting what a defaults section passes on.
    pub fn from_defaults(kind: ProxyKind, name: String, span: Span, d: &Proxy) -> Self {
        // Every field is named here, so that a new one must be sorted into inherited or
        // not (a defaults keyword that was not carried over would be silently lost).
        let Proxy {
            // The proxy's own identity and contents: never inherited.
            kind: _,
            name: defaults_name,
            span: _,
            defaults: _,
            binds: _,
            id: _,
            servers: _,
            use_backends: _,
            use_servers: _,
            stick_table: _,
            stick_rules: _,
            captures: _,
            capture: _,
            monitor_fail: _,
            // ACLs of a named defaults section are its own rules' (HAProxy does not show
            // them to the sections using it).
            acls: _,
            mode_span: _,
            mode,
            disabled,
            maxconn,
            fullconn,
            backlog,
            timeouts,
            retries,
            retry_on_conn_failure,
            options,
            forwardfor,
            originalto,
            balance,
            hash_type,
            http_reuse,
            compression,
            default_server,
            default_backend,
            default_backend_span,
            rules,
            stats,
            cookie,
            errorfiles,
            errorfiles_groups,
            log,
            log_format,
            log_style,
            log_format_span,
            error_log_format,
            log_tag,
            monitor_uri,
            httpchk,
            http_checks,
            tcp_checks,
            dynamic_cookie_key,
            email_alert,
            unique_id_format,
            unique_id_header,
            inspect_delay_ms,
            response_inspect_delay_ms,
            clitcpka,
            srvtcpka,
            restrict_req_hdr_names,
            load_server_state,
            server_state_file_name: _,
        } = d;
        let mut p = Proxy::new(kind, name, span);
        p.defaults = Some(defaults_name.clone());
        // A named defaults section's rules run before the proxy's own.
        p.rules = rules.clone();
        p.mode = *mode;
        p.disabled = *disabled;
        p.maxconn = *maxconn;
        p.fullconn = *fullconn;
        p.backlog = *backlog;
        p.timeouts = timeouts.clone();
        p.retries = *retries;
        p.retry_on_conn_failure = *retry_on_conn_failure;
        p.options = options.clone();
        p.forwardfor = forwardfor.clone();
        p.originalto = originalto.clone();
        p.balance = balance.clone();
        p.hash_type = *hash_type;
        p.http_reuse = *http_reuse;
        p.compression = compression.clone();
        p.default_server = default_server.clone();
        p.default_backend = default_backend.clone();
        p.default_backend_span = *default_backend_span;
        p.stats = stats.clone();
        p.cookie = cookie.clone();
        p.errorfiles = errorfiles.clone();
        p.log = log.clone();
        p.log_format = log_format.clone();
        p.log_style = log_style.clone();
        p.log_format_span = *log_format_span;
        p.error_log_format = error_log_format.clone();
        p.log_tag = log_tag.clone();
        p.monitor_uri = monitor_uri.clone();
        p.httpchk = httpchk.clone();
        p.http_checks = http_checks.clone();
        p.tcp_checks = tcp_checks.clone();
        p.dynamic_cookie_key = dynamic_cookie_key.clone();
        p.errorfiles_groups = errorfiles_groups.clone();
        p.clitcpka = *clitcpka;
        p.srvtcpka = *srvtcpka;
        p.restrict_req_hdr_names = *restrict_req_hdr_names;
        p.load_server_state = *load_server_state;
        p.email_alert = email_alert.clone();
        p.unique_id_format = unique_id_format.clone();
        p.unique_id_header = unique_id_header.clone();
        p.inspect_delay_ms = *inspect_delay_ms;
        p.response_inspect_delay_ms = *response_inspect_delay_ms;
        p
    }

    pub fn option(&self, name: &str) -> bool {
        self.options.get(name).copied().unwrap_or(false)
    }
}

/// A `cache` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CacheSection {
    pub name: String,
    /// `total-max-size`, in bytes (written in megabytes).
    pub total_bytes: u64,
    /// `max-object-size` in bytes (else a 256th of the total).
    pub max_object: u64,
    /// `max-age`: the longest an object is kept, in seconds (60 by default).
    pub max_age_s: u64,
    #[serde(skip)]
    pub span: Span,
}

#[derive(Debug, Clone, Serialize)]
pub struct Userlist {
    pub name: String,
    pub users: Vec<User>,
    pub groups: Vec<Group>,
}

/// A `user` line of a userlist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub name: String,
    /// None: no password line (such a user never authenticates).
    pub password: Option<Password>,
    /// The groups it names (`groups a,b`), besides the groups that name it.
    pub groups: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Password {
    /// `insecure-password TEXT`.
    Insecure(String),
    /// `password HASH`: a crypt(3) hash (`$6$...`, `$5$...`, `$1$...`, DES).
    Hashed(String),
}

/// A `group` line: its name and the users it names (`users a,b`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Group {
    pub name: String,
    pub users: Vec<String>,
}

impl Userlist {
    /// The groups `user` belongs to (named by the user or naming it), in file order.
    pub fn groups_of(&self, user: &str) -> Vec<&str> {
        let named: Vec<&str> = self
            .users
            .iter()
            .filter(|u| u.name == user)
            .flat_map(|u| u.groups.iter().map(String::as_str))
            .collect();
        self.groups
            .iter()
            .filter(|g| named.contains(&g.name.as_str()) || g.users.iter().any(|u| u == user))
            .map(|g| g.name.as_str())
            .collect()
    }
}

/// A `peers` section: the processes that share stick tables, this one among them.
#[derive(Debug, Clone, Serialize)]
pub struct PeersSection {
    pub name: String,
    pub peers: Vec<Peer>,
    /// `disabled`: nothing is shared through it.
    pub disabled: bool,
    #[serde(skip)]
    pub span: Span,
}

/// `peer NAME ADDR:PORT` (or `server NAME [ADDR:PORT]`; the local one may have no
/// address when a `bind` line gives it).
#[derive(Debug, Clone, Serialize)]
pub struct Peer {
    pub name: String,
    pub addr: Option<std::net::SocketAddr>,
    #[serde(skip)]
    pub span: Span,
}

#[derive(Debug, Clone, Serialize)]
pub struct Mailers {
    pub name: String,
    pub timeout_mail_ms: Option<u64>,
    pub mailers: Vec<(String, String)>,
    #[serde(skip)]
    pub span: Span,
}

#[derive(Debug, Clone, Serialize)]
pub struct Resolvers {
    pub name: String,
    pub nameservers: Vec<(String, String)>,
    pub other: Vec<(String, Vec<String>)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct HttpErrors {
    pub name: String,
    pub errorfiles: Vec<(u16, String)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct NamedSection {
    pub kind: String,
    pub name: Option<String>,
    pub lines: Vec<Vec<String>>,
}
