//! The typed haproxy.cfg model, defaults resolved: what the data plane runs from.
//! Spans are kept (not serialised) for later diagnostics.

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
    pub mailers: Vec<Mailers>,
    pub resolvers: Vec<Resolvers>,
    pub http_errors: Vec<HttpErrors>,
    pub peers: Vec<NamedSection>,
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
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Global {
    pub log: Vec<LogTarget>,
    pub log_tag: Option<String>,
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
    pub daemon: bool,
    pub master_worker: bool,
    pub pidfile: Option<String>,
    pub nbthread: Option<u32>,
    pub stats_sockets: Vec<StatsSocket>,
    pub stats_timeout_ms: Option<u64>,
    pub tune_bufsize: u64,
    pub tune_maxrewrite: Option<u64>,
    pub hard_stop_after_ms: Option<u64>,
    pub ssl_default_bind_ciphers: Option<String>,
    pub ssl_default_bind_ciphersuites: Option<String>,
    pub ssl_default_bind_options: Vec<String>,
    pub ssl_default_server_options: Vec<String>,
    pub ca_base: Option<String>,
    /// `zero-warning`: warnings are fatal, as with `-dW`.
    pub zero_warning: bool,
    pub crt_base: Option<String>,
    /// Other global settings read but not acted on: keyword and words.
    pub other: Vec<(String, Vec<String>)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum LogTarget {
    /// `log global`: use the global section's targets.
    Global,
    Target {
        /// `127.0.0.1:514`, `udp@host:port`, `/dev/log`, `stdout`, `ring@name`...
        address: String,
        format: Option<String>,
        len: Option<u32>,
        facility: String,
        level: Option<String>,
        minlevel: Option<String>,
    },
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
    Uri {
        args: Vec<String>,
    },
    UrlParam {
        param: String,
        args: Vec<String>,
    },
    Hdr {
        name: String,
        use_domain_only: bool,
    },
    Random {
        draws: u32,
    },
    RdpCookie {
        cookie: Option<String>,
    },
    Hash {
        expr: String,
    },
}

/// `option NAME args…` / `no option NAME`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OptionSetting {
    pub enabled: bool,
    pub args: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bind {
    pub addrs: Vec<ListenAddr>,
    pub name: Option<String>,
    pub ssl: bool,
    pub crt: Vec<String>,
    pub alpn: Option<String>,
    pub v4v6: bool,
    pub v6only: bool,
    pub accept_proxy: bool,
    pub transparent: bool,
    pub defer_accept: bool,
    pub interface: Option<String>,
    pub maxconn: Option<u64>,
    pub backlog: Option<u64>,
    /// Other options, kept as written.
    pub other: Vec<String>,
    #[serde(skip)]
    pub span: Span,
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
    pub check_port: Option<u16>,
    pub check_addr: Option<String>,
    pub check_ssl: bool,
    pub ssl: bool,
    pub verify: Option<String>,
    pub sni: Option<String>,
    pub send_proxy: bool,
    pub send_proxy_v2: bool,
    pub cookie: Option<String>,
    pub disabled: bool,
    pub init_addr: Option<String>,
    pub resolvers: Option<String>,
    pub on_marked_down: Option<String>,
    pub on_marked_up: Option<String>,
    pub slowstart_ms: Option<u64>,
    pub other: Vec<String>,
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
            check_port: None,
            check_addr: None,
            check_ssl: false,
            ssl: false,
            verify: None,
            sni: None,
            send_proxy: false,
            send_proxy_v2: false,
            cookie: None,
            disabled: false,
            init_addr: None,
            resolvers: None,
            on_marked_down: None,
            on_marked_up: None,
            slowstart_ms: None,
            other: Vec::new(),
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

/// `acl NAME FETCH [flags] [patterns…]`, or an anonymous `{ … }` one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Acl {
    pub name: String,
    pub fetch: String,
    pub flags: Vec<String>,
    pub patterns: Vec<String>,
    #[serde(skip)]
    pub span: Span,
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RuleKind {
    HttpRequest,
    HttpResponse,
    HttpAfterResponse,
    TcpRequestConnection,
    TcpRequestSession,
    TcpRequestContent,
    TcpResponseContent,
    Redirect,
    Block,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rule {
    pub kind: RuleKind,
    pub action: String,
    pub args: Vec<String>,
    pub cond: Option<Condition>,
    #[serde(skip)]
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UseBackend {
    pub backend: String,
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StickTable {
    pub table_type: String,
    pub len: Option<u64>,
    pub size: String,
    pub expire_ms: Option<u64>,
    pub peers: Option<String>,
    pub store: Vec<String>,
    pub nopurge: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StickRule {
    /// `on`, `match`, `store-request`, `store-response`.
    pub kind: String,
    pub pattern: String,
    pub table: Option<String>,
    pub cond: Option<Condition>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorFile {
    pub status: u16,
    pub file: String,
    #[serde(skip)]
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cookie {
    pub name: String,
    pub options: Vec<String>,
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HttpCheck {
    /// `expect`, `send`, `connect`, `disable-on-404`, `send-state`, `comment`, `set-var`...
    pub directive: String,
    pub args: Vec<String>,
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
    pub maxconn: Option<u64>,
    pub fullconn: Option<u64>,
    pub backlog: Option<u64>,
    pub timeouts: Timeouts,
    pub retries: u32,
    pub options: BTreeMap<String, OptionSetting>,
    pub balance: Balance,
    pub hash_type: Option<String>,
    pub default_server: ServerOpts,
    pub servers: Vec<Server>,
    pub acls: Vec<Acl>,
    pub use_backends: Vec<UseBackend>,
    pub default_backend: Option<String>,
    #[serde(skip)]
    pub default_backend_span: Option<Span>,
    pub rules: Vec<Rule>,
    pub stats: Stats,
    pub stick_table: Option<StickTable>,
    pub stick_rules: Vec<StickRule>,
    pub cookie: Option<Cookie>,
    pub errorfiles: Vec<ErrorFile>,
    pub errorfiles_groups: Vec<String>,
    pub log: Vec<LogTarget>,
    pub log_format: Option<String>,
    pub monitor_uri: Option<String>,
    pub httpchk: Option<HttpChk>,
    pub http_checks: Vec<HttpCheck>,
    pub tcp_checks: Vec<HttpCheck>,
    pub email_alert: EmailAlert,
    pub capture: Vec<Vec<String>>,
    pub unique_id_format: Option<String>,
    /// `tcp-request inspect-delay`.
    pub inspect_delay_ms: Option<u64>,
    pub other: Vec<(String, Vec<String>)>,
    #[serde(skip)]
    pub mode_span: Option<Span>,
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
            maxconn: None,
            fullconn: None,
            backlog: None,
            timeouts: Timeouts::default(),
            retries: 3,
            options: BTreeMap::new(),
            balance: Balance::Roundrobin,
            hash_type: None,
            default_server: ServerOpts::default(),
            servers: Vec::new(),
            acls: Vec::new(),
            use_backends: Vec::new(),
            default_backend: None,
            default_backend_span: None,
            rules: Vec::new(),
            stats: Stats::default(),
            stick_table: None,
            stick_rules: Vec::new(),
            cookie: None,
            errorfiles: Vec::new(),
            errorfiles_groups: Vec::new(),
            log: Vec::new(),
            log_format: None,
            monitor_uri: None,
            httpchk: None,
            http_checks: Vec::new(),
            tcp_checks: Vec::new(),
            email_alert: EmailAlert::default(),
            capture: Vec::new(),
            unique_id_format: None,
            inspect_delay_ms: None,
            other: Vec::new(),
            mode_span: None,
        }
    }

    /// A new proxy inheriting what a defaults section passes on.
    pub fn from_defaults(kind: ProxyKind, name: String, span: Span, d: &Proxy) -> Self {
        let mut p = Proxy::new(kind, name, span);
        p.defaults = Some(d.name.clone());
        p.mode = d.mode;
        p.maxconn = d.maxconn;
        p.fullconn = d.fullconn;
        p.backlog = d.backlog;
        p.timeouts = d.timeouts.clone();
        p.retries = d.retries;
        p.options = d.options.clone();
        p.balance = d.balance.clone();
        p.hash_type = d.hash_type.clone();
        p.default_server = d.default_server.clone();
        p.default_backend = d.default_backend.clone();
        p.default_backend_span = d.default_backend_span;
        p.stats = d.stats.clone();
        p.cookie = d.cookie.clone();
        p.errorfiles = d.errorfiles.clone();
        p.log = d.log.clone();
        p.log_format = d.log_format.clone();
        p.monitor_uri = d.monitor_uri.clone();
        p.httpchk = d.httpchk.clone();
        p.http_checks = d.http_checks.clone();
        p.email_alert = d.email_alert.clone();
        p.unique_id_format = d.unique_id_format.clone();
        p
    }

    pub fn option(&self, name: &str) -> bool {
        self.options.get(name).is_some_and(|o| o.enabled)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Userlist {
    pub name: String,
    pub users: Vec<(String, String)>,
    pub groups: Vec<String>,
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
