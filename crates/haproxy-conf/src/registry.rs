//! The keyword registry: every keyword proxyd knows, where it may appear, and what proxyd
//! does with it: it runs, it is ignored with a warning (only where it cannot change who
//! gets in or where traffic goes), or it is refused with the reason. `docs/haproxy-compat.md`
//! is generated from these tables, and proxyd's registry-walk test checks each `Supported`
//! entry changes what the daemon runs.

/// Sections a keyword may appear in (bit set).
pub const G: u8 = 1;
pub const D: u8 = 2;
pub const F: u8 = 4;
pub const B: u8 = 8;
pub const L: u8 = 16;
pub const FL: u8 = F | L;
pub const BL: u8 = B | L;
pub const FBL: u8 = F | B | L;
pub const DFL: u8 = D | F | L;
pub const DBL: u8 = D | B | L;
pub const DFBL: u8 = D | F | B | L;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Read into the typed model and run by the daemon.
    Supported,
    /// Read (and checked), not acted on: a warning with the reason. Never for keywords
    /// that restrict access or steer traffic.
    Ignored(&'static str),
    /// Restricts access or steers traffic and is not run yet: an error with the reason.
    Refused(&'static str),
    /// An old spelling: accepted with a warning that shows the modern one.
    Legacy(&'static str),
}

#[derive(Debug, Clone, Copy)]
pub struct Keyword {
    pub name: &'static str,
    pub sections: u8,
    pub status: Status,
}

const fn k(name: &'static str, sections: u8, status: Status) -> Keyword {
    Keyword {
        name,
        sections,
        status,
    }
}

/// An action (or option of a bind/server line): the sections field is unused.
const fn a(name: &'static str, status: Status) -> Keyword {
    Keyword {
        name,
        sections: 0,
        status,
    }
}

use Status::{Ignored as I, Legacy, Refused as R, Supported as S};

const LOGS: &str =
    "this part of logging is not run by proxyd yet (traffic lines are written, see docs/proxyd.md)";
const API: &str = "proxyd does not limit the runtime API's sessions yet";
const TUNE: &str = "a tuning knob proxyd has no equivalent for";
const TLS_CIPHERS: &str = "proxyd uses rustls' safe cipher suites and groups";
const TRACK: &str = "proxyd runs stick counter actions in tcp-request and http-request rules (and sc-inc-gpc0/1, sc-set-gpt0 in http-response), not here yet";
const SC_ARRAYS: &str =
    "the gpc/gpt arrays are not kept by proxyd yet: use sc-inc-gpc0/1 and sc-set-gpt0";
pub const VARS: &str =
    "check-scoped variables are not kept yet, and nothing a check runs reads them";
pub const TCP_VARS: &str =
    "variables set by tcp-response rules are not kept yet (tcp-request, http-request and http-response set-var are)";
const LATER: &str = "proxyd cannot run it yet";
const HTTPCLIENT: &str = "proxyd has no internal HTTP client (HAProxy's is for Lua and the CLI)";
const OPENSSL_PROVIDERS: &str = "proxyd uses rustls, without OpenSSL providers";
const COMPRESSION_LIMITS: &str =
    "proxyd does not stop compressing under load: responses are compressed as the rules say";

pub const GLOBAL: &[Keyword] = &[
    k("log", G, S),
    k("log-tag", G, S),
    k("log-send-hostname", G, S),
    k("maxconn", G, S),
    k("user", G, S),
    k("group", G, S),
    k("uid", G, S),
    k("gid", G, S),
    k("chroot", G, S),
    k("default-path", G, S),
    k("daemon", G, S),
    k("master-worker", G, S),
    k("pidfile", G, S),
    k("nbthread", G, S),
    k("stats socket", G, S),
    k("stats timeout", G, S),
    k("stats maxconn", G, I(API)),
    k(
        "stats bind-process",
        G,
        Legacy("(removed; nothing to write)"),
    ),
    k("tune.bufsize", G, S),
    k("tune.maxrewrite", G, S),
    k("hard-stop-after", G, S),
    k("grace", G, S),
    k("ssl-default-bind-ciphers", G, I(TLS_CIPHERS)),
    k("ssl-default-bind-ciphersuites", G, I(TLS_CIPHERS)),
    k("ssl-default-bind-curves", G, I(TLS_CIPHERS)),
    k("ssl-default-bind-sigalgs", G, I(TLS_CIPHERS)),
    k("ssl-default-bind-options", G, S),
    k("ssl-default-server-ciphers", G, I(TLS_CIPHERS)),
    k("ssl-default-server-ciphersuites", G, I(TLS_CIPHERS)),
    k("ssl-default-server-options", G, S),
    k("ssl-server-verify", G, S),
    k("ssl-dh-param-file", G, I(TLS_CIPHERS)),
    k("ca-base", G, S),
    k("crt-base", G, S),
    k(
        "nbproc",
        G,
        Legacy("nbthread (nbproc is ignored: proxyd runs one process with threads)"),
    ),
    k("spread-checks", G, I(TUNE)),
    k("node", G, I("the stats page does not show a node name yet")),
    k(
        "description",
        G,
        I("the stats page does not show a description yet"),
    ),
    k(
        "unix-bind",
        G,
        R("it changes where unix sockets are bound and who may use them; proxyd cannot apply it yet"),
    ),
    k("ulimit-n", G, S),
    k(
        "setenv",
        G,
        R("proxyd does not change its environment while reading the file yet, so later `$VAR`s would differ"),
    ),
    k(
        "presetenv",
        G,
        R("proxyd does not change its environment while reading the file yet, so later `$VAR`s would differ"),
    ),
    k(
        "resetenv",
        G,
        R("proxyd does not change its environment while reading the file yet, so later `$VAR`s would differ"),
    ),
    k(
        "unsetenv",
        G,
        R("proxyd does not change its environment while reading the file yet, so later `$VAR`s would differ"),
    ),
    k("server-state-file", G, S),
    k("server-state-base", G, S),
    k("localpeer", G, S),
    k("cpu-map", G, I(TUNE)),
    k("external-check", G, I("external checks are refused where they are used")),
    k(
        "insecure-fork-wanted",
        G,
        I("external checks are refused where they are used"),
    ),
    k("quiet", G, I("proxyd prints warnings at start in any case")),
    k("busy-polling", G, I(TUNE)),
    k("maxsslconn", G, I(TUNE)),
    k(
        "maxconnrate",
        G,
        R("it limits who gets in under load; proxyd has no rate limits yet"),
    ),
    k(
        "maxsessrate",
        G,
        R("it limits who gets in under load; proxyd has no rate limits yet"),
    ),
    k("maxpipes", G, I(TUNE)),
    k("noepoll", G, I(TUNE)),
    k("nosplice", G, S),
    k("set-dumpable", G, I(TUNE)),
    k("zero-warning", G, S),
    k(
        "tune.chksize",
        G,
        Legacy("tune.bufsize (tune.chksize is ignored)"),
    ),
    k("strict-limits", G, I(TUNE)),
    k("expose-experimental-directives", G, I(TUNE)),
    k(
        "h1-case-adjust",
        G,
        I("proxyd writes header names in lower case"),
    ),
    k("h1-case-adjust-file", G, I("proxyd writes header names in lower case")),
    k("lua-load", G, R("proxyd does not run Lua")),
    k("lua-load-per-thread", G, R("proxyd does not run Lua")),
    k("lua-prepend-path", G, I("proxyd does not run Lua")),
    k("tune.ssl.default-dh-param", G, I(TLS_CIPHERS)),
    k("tune.ssl.cachesize", G, I(TUNE)),
    k("tune.ssl.lifetime", G, I(TUNE)),
    k("tune.http.maxhdr", G, I(TUNE)),
    k("tune.maxaccept", G, I(TUNE)),
    k("tune.maxpollevents", G, I(TUNE)),
    k("tune.rcvbuf.client", G, I(TUNE)),
    k("tune.rcvbuf.server", G, I(TUNE)),
    k("tune.sndbuf.client", G, I(TUNE)),
    k("tune.sndbuf.server", G, I(TUNE)),
    k("tune.h2.max-concurrent-streams", G, S),
    k("tune.h2.initial-window-size", G, S),
    k("tune.h2.header-table-size", G, S),
    k("tune.h2.max-frame-size", G, S),
    k("tune.idletimer", G, I(TUNE)),
    k("tune.pipesize", G, I(TUNE)),
    k("tune.comp.maxlevel", G, I(TUNE)),
    // What proxyd always does.
    k("h2-workaround-bogus-websocket-clients", G, S),
    k("noreuseport", G, S),
    k("cluster-secret", G, I("it is for QUIC, which proxyd does not speak")),
    k(
        "fd-hard-limit",
        G,
        I("proxyd does not size its descriptor limit from maxconn (`ulimit-n` sets it)"),
    ),
    k("h1-accept-payload-with-any-method", G, S),
    k(
        "httpclient.resolvers.id",
        G,
        I(HTTPCLIENT),
    ),
    k(
        "httpclient.resolvers.prefer",
        G,
        I(HTTPCLIENT),
    ),
    k(
        "httpclient.ssl.ca-file",
        G,
        I(HTTPCLIENT),
    ),
    k(
        "httpclient.ssl.verify",
        G,
        I(HTTPCLIENT),
    ),
    k(
        "insecure-setuid-wanted",
        G,
        I("external checks are refused where they are used"),
    ),
    k("max-spread-checks", G, I(TUNE)),
    k(
        "maxcompcpuusage",
        G,
        I(COMPRESSION_LIMITS),
    ),
    k(
        "maxcomprate",
        G,
        I(COMPRESSION_LIMITS),
    ),
    k("maxzlibmem", G, I(TUNE)),
    k(
        "maxsslrate",
        G,
        R("it limits who gets in under load; proxyd has no rate limits yet"),
    ),
    k(
        "mworker-max-reloads",
        G,
        I("old workers end when their sessions are done or at `hard-stop-after`, whatever their number of reloads"),
    ),
    k("no-memory-trimming", G, I(TUNE)),
    k("noevports", G, I(TUNE)),
    k("nokqueue", G, I(TUNE)),
    k("nopoll", G, I(TUNE)),
    k("nogetaddrinfo", G, I("proxyd resolves names with the system resolver")),
    k("numa-cpu-mapping", G, I(TUNE)),
    k(
        "pp2-never-send-local",
        G,
        R("it changes what health checks send to `send-proxy-v2` servers; proxyd cannot apply it yet"),
    ),
    k("profiling.tasks", G, I(TUNE)),
    k(
        "set-var",
        G,
        R("process-wide variables set at start are not kept by proxyd yet, so rules reading them would differ"),
    ),
    k("ssl-mode-async", G, I(TLS_CIPHERS)),
    k("ssl-engine", G, I("proxyd uses rustls, without OpenSSL engines")),
    k("ssl-provider", G, I(OPENSSL_PROVIDERS)),
    k("ssl-provider-path", G, I(OPENSSL_PROVIDERS)),
    k("ssl-propquery", G, I(OPENSSL_PROVIDERS)),
    k(
        "ssl-skip-self-issued-ca",
        G,
        I("proxyd sends the chain as the certificate file has it"),
    ),
];

pub const PROXY: &[Keyword] = &[
    k("mode", DFBL, S),
    k("bind", FL, S),
    k("maxconn", DFL, S),
    k(
        "fullconn",
        DBL,
        I("it only scales server `minconn`, which proxyd does not run (maxconn applies)"),
    ),
    k("backlog", DFL, S),
    k("timeout client", DFL, S),
    k("timeout server", DBL, S),
    k("timeout connect", DBL, S),
    k("timeout http-request", DFBL, S),
    k("timeout http-keep-alive", DFBL, S),
    k("timeout queue", DFBL, S),
    k("timeout tunnel", DBL, S),
    k("timeout client-fin", DFL, S),
    k("timeout server-fin", DBL, S),
    k("timeout check", DBL, S),
    k("timeout tarpit", DFBL, S),
    k("contimeout", DBL, Legacy("timeout connect")),
    k("clitimeout", DFL, Legacy("timeout client")),
    k("srvtimeout", DBL, Legacy("timeout server")),
    k("retries", DBL, S),
    k("redispatch", DBL, Legacy("option redispatch")),
    k("balance", DBL, S),
    k("hash-type", DBL, S),
    k("server", BL, S),
    k(
        "transparent",
        DBL,
        R("the old spelling of `option transparent` (connecting to the address the client asked for), which proxyd cannot run yet"),
    ),
    k(
        "use-fcgi-app",
        BL,
        R("proxyd does not speak FastCGI to servers: put an HTTP server (nginx, php-fpm's HTTP front) before the application"),
    ),
    k("default-server", DBL, S),
    k("server-template", BL, R("servers from DNS records are not run yet")),
    k("acl", FBL, S),
    k("use_backend", FL, S),
    k("default_backend", DFL, S),
    k("use-server", BL, S),
    k("http-request", DFBL, S),
    k("http-response", DFBL, S),
    k("http-after-response", DFBL, S),
    k("tcp-request", DFBL, S),
    k("tcp-response", DBL, S),
    k("redirect", FBL, S),
    k("block", FBL, Legacy("http-request deny")),
    k("reqadd", FBL, Legacy("http-request add-header")),
    k("reqdel", FBL, Legacy("http-request del-header")),
    k("reqidel", FBL, Legacy("http-request del-header")),
    k(
        "reqrep",
        FBL,
        Legacy("http-request replace-header / replace-path / replace-uri"),
    ),
    k(
        "reqirep",
        FBL,
        Legacy("http-request replace-header / replace-path / replace-uri"),
    ),
    k("reqdeny", FBL, Legacy("http-request deny")),
    k("reqideny", FBL, Legacy("http-request deny")),
    k("reqallow", FBL, Legacy("http-request allow")),
    k("reqiallow", FBL, Legacy("http-request allow")),
    k(
        "reqpass",
        FBL,
        Legacy("(nothing: it only skipped other req* rules)"),
    ),
    k(
        "reqipass",
        FBL,
        Legacy("(nothing: it only skipped other req* rules)"),
    ),
    k("reqtarpit", FBL, Legacy("http-request tarpit")),
    k("reqitarpit", FBL, Legacy("http-request tarpit")),
    k("rspadd", FBL, Legacy("http-response add-header")),
    k("rspdel", FBL, Legacy("http-response del-header")),
    k("rspidel", FBL, Legacy("http-response del-header")),
    k(
        "rsprep",
        FBL,
        Legacy("http-response replace-header / replace-value"),
    ),
    k(
        "rspirep",
        FBL,
        Legacy("http-response replace-header / replace-value"),
    ),
    k("rspdeny", FBL, Legacy("http-response deny")),
    k("rspideny", FBL, Legacy("http-response deny")),
    k("stats enable", DFBL, S),
    k("stats uri", DFBL, S),
    k("stats realm", DFBL, S),
    k("stats auth", DFBL, S),
    k("stats hide-version", DFBL, S),
    k("stats refresh", DFBL, S),
    k("stats admin", FBL, S),
    k("stats show-legends", DFBL, I("the stats page has no legends yet")),
    k("stats show-node", DFBL, I("the stats page does not show a node name yet")),
    k("stats show-desc", DFBL, I("the stats page does not show a description yet")),
    k("stats scope", DFBL, S),
    k("stats http-request", FBL, R(LATER)),
    k(
        "stats bind-process",
        DFBL,
        Legacy("(removed; nothing to write)"),
    ),
    k("stick-table", FBL, S),
    k("stick on", BL, S),
    k("stick match", BL, S),
    k("stick store-request", BL, S),
    k("stick store-response", BL, S),
    k("cookie", DBL, S),
    k("dynamic-cookie-key", DBL, S),
    k("errorfile", DFBL, S),
    k("errorfiles", DFBL, S),
    k("errorloc", DFBL, S),
    k("errorloc302", DFBL, S),
    k("errorloc303", DFBL, S),
    k("http-error", DFBL, S),
    k("log", DFBL, S),
    k("log-format", DFL, S),
    k("error-log-format", DFL, I("connection errors (failed TLS handshakes) are not logged yet")),
    k("log-format-sd", DFL, I("rfc5424 lines are sent without structured data")),
    k("log-tag", DFBL, S),
    k("monitor-uri", DFL, S),
    k("monitor fail", FL, S),
    k(
        "monitor-net",
        DFL,
        Legacy("(removed in HAProxy 2.2; ignored)"),
    ),
    k("http-check", DBL, S),
    k("tcp-check", DBL, S),
    k("email-alert mailers", DFBL, S),
    k("email-alert from", DFBL, S),
    k("email-alert to", DFBL, S),
    k("email-alert level", DFBL, S),
    k("email-alert myhostname", DFBL, S),
    k("capture request header", FL, S),
    k("capture response header", FL, S),
    k("capture cookie", FL, S),
    k("unique-id-format", DFL, S),
    k("unique-id-header", DFL, S),
    k("description", FBL, I("the stats page does not show a description yet")),
    k("disabled", DFBL, S),
    k("enabled", DFBL, S),
    k("id", FBL, S),
    k("bind-process", DFBL, Legacy("(removed; nothing to write)")),
    k("dispatch", BL, R(LATER)),
    k("source", DBL, S),
    k("http-reuse", DBL, S),
    k("compression", DFBL, S),
    k(
        "filter",
        FBL,
        I("the trace filter changes no byte of what proxyd forwards, and `filter compression` only declares what `compression` lines run; spoe, cache, bandwidth and FastCGI filters are refused"),
    ),
    k("rate-limit sessions", DFL, R("it limits who gets in under load; proxyd has no rate limits yet")),
    k("persist rdp-cookie", DBL, R(LATER)),
    k("force-persist", FBL, R(LATER)),
    k("ignore-persist", FBL, R(LATER)),
    k("load-server-state-from-file", DBL, S),
    k("server-state-file-name", BL, S),
    k(
        "http-send-name-header",
        DBL,
        I("the server name header is not added yet"),
    ),
    k("max-keep-alive-queue", DBL, I(TUNE)),
    k("grace", DFBL, Legacy("(removed; ignored)")),
    k("external-check command", DBL, I("external checks are refused where they are used")),
    k("external-check path", DBL, I("external checks are refused where they are used")),
    k("declare capture", FL, I(LOGS)),
    k("retry-on", DBL, S),
    k("clitcpka-cnt", DFL, S),
    k("clitcpka-idle", DFL, S),
    k("clitcpka-intvl", DFL, S),
    k("srvtcpka-cnt", DBL, S),
    k("srvtcpka-idle", DBL, S),
    k("srvtcpka-intvl", DBL, S),
];

/// `option NAME` (and `no option NAME`).
pub const OPTIONS: &[Keyword] = &[
    k("httplog", DFL, S),
    k("httpslog", DFL, S),
    k("tcplog", DFL, S),
    k("dontlognull", DFL, S),
    k("dontlog-normal", DFL, S),
    k(
        "log-health-checks",
        DBL,
        I("health check changes are reported on stderr, not in the log targets yet"),
    ),
    k("log-separate-errors", DFL, S),
    k(
        "logasap",
        DFL,
        I("lines are written when the exchange ends, not as soon as the response starts"),
    ),
    k("forwardfor", DFBL, S),
    k("originalto", DFBL, S),
    k("http-server-close", DFBL, S),
    k("httpclose", DFBL, S),
    k("forceclose", DFBL, Legacy("option httpclose")),
    k("http-keep-alive", DFBL, S),
    k(
        "http-tunnel",
        DFBL,
        Legacy(
            "(removed in HAProxy 2.1: tunnel mode is gone; option http-keep-alive is the default)",
        ),
    ),
    k(
        "http-pretend-keepalive",
        DFBL,
        I("proxyd never asks servers to close: there is nothing to pretend"),
    ),
    k("http-buffer-request", DFBL, S),
    k("http-no-delay", DFBL, I(TUNE)),
    k(
        "http-use-proxy-header",
        DFL,
        I("proxy requests are not served"),
    ),
    k("http-ignore-probes", DFL, I(LOGS)),
    k("http-restrict-req-hdr-names", DFBL, S),
    k("redispatch", DBL, S),
    k("httpchk", DBL, S),
    k("ssl-hello-chk", DBL, S),
    k("tcp-check", DBL, S),
    k(
        "mysql-check",
        DBL,
        R("MySQL health checks are not run yet; servers would be judged differently"),
    ),
    k(
        "pgsql-check",
        DBL,
        R("PostgreSQL health checks are not run yet; servers would be judged differently"),
    ),
    k(
        "redis-check",
        DBL,
        R("Redis health checks are not run yet; servers would be judged differently"),
    ),
    k(
        "smtpchk",
        DBL,
        R("SMTP health checks are not run yet; servers would be judged differently"),
    ),
    k(
        "ldap-check",
        DBL,
        R("LDAP health checks are not run yet; servers would be judged differently"),
    ),
    k(
        "spop-check",
        DBL,
        R("SPOP health checks are not run yet; servers would be judged differently"),
    ),
    k(
        "external-check",
        DBL,
        R("external health checks are not run yet; servers would be judged differently"),
    ),
    k("allbackups", DBL, S),
    k(
        "abortonclose",
        DBL,
        I("a request whose client left is still sent; its response is dropped"),
    ),
    k(
        "splice-auto",
        DFBL,
        I("proxyd splices TCP sessions between plain sockets by default"),
    ),
    k(
        "splice-request",
        DFBL,
        I("proxyd splices TCP sessions between plain sockets by default"),
    ),
    k(
        "splice-response",
        DFBL,
        I("proxyd splices TCP sessions between plain sockets by default"),
    ),
    k("tcpka", DFBL, S),
    k("clitcpka", DFL, S),
    k("srvtcpka", DBL, S),
    k("persist", DBL, S),
    k("prefer-last-server", DBL, S),
    k("nolinger", DFBL, S),
    k("contstats", DFL, I(TUNE)),
    k("independent-streams", DFBL, I(TUNE)),
    k("socket-stats", DFL, I(TUNE)),
    k(
        "accept-invalid-http-request",
        DFL,
        I("proxyd stays strict: invalid requests get 400 as without this option"),
    ),
    k(
        "accept-invalid-http-response",
        DBL,
        I("proxyd stays strict: invalid responses give 502 as without this option"),
    ),
    k("checkcache", DBL, I(TUNE)),
    k("disable-h2-upgrade", DFL, S),
    k("transparent", DBL, R(LATER)),
    k("tcp-smart-accept", DFL, I(TUNE)),
    k("tcp-smart-connect", DBL, I(TUNE)),
    k(
        "h1-case-adjust-bogus-client",
        DFL,
        I("proxyd writes header names in lower case"),
    ),
    k(
        "h1-case-adjust-bogus-server",
        DBL,
        I("proxyd writes header names in lower case"),
    ),
    k("idle-close-on-response", DFL, I(TUNE)),
    k("http_proxy", DFBL, R(LATER)),
];

/// `http-request` actions.
pub const HTTP_REQUEST_ACTIONS: &[Keyword] = &[
    a("allow", S),
    a("deny", S),
    a("tarpit", S),
    a("return", S),
    a("redirect", S),
    a("reject", S),
    a("set-header", S),
    a("add-header", S),
    a("del-header", S),
    a("replace-header", S),
    a("replace-value", S),
    a("set-path", S),
    a("set-pathq", S),
    a("replace-path", S),
    a("replace-pathq", S),
    a("set-uri", S),
    a("replace-uri", S),
    a("set-query", S),
    a("set-method", S),
    a("auth", S),
    a("set-var", S),
    a("set-var-fmt", S),
    a("unset-var", S),
    a("set-log-level", I(LOGS)),
    a("capture", I(LOGS)),
    a("set-src", R(LATER)),
    a("set-src-port", R(LATER)),
    a("set-dst", R(LATER)),
    a("set-dst-port", R(LATER)),
    a(
        "early-hint",
        I("103 Early Hints are not sent; the final response is the same"),
    ),
    a("normalize-uri", R(LATER)),
    a("disable-l7-retry", I("proxyd does not retry at layer 7")),
    a("wait-for-body", S),
    a(
        "wait-for-handshake",
        I("proxyd does not accept TLS early data, so it never waits"),
    ),
    a("track-sc0", S),
    a("track-sc1", S),
    a("track-sc2", S),
    a("sc-inc-gpc", R(SC_ARRAYS)),
    a("sc-inc-gpc0", S),
    a("sc-inc-gpc1", S),
    a("sc-set-gpt", R(SC_ARRAYS)),
    a("sc-set-gpt0", S),
    a("set-timeout", S),
    a("set-priority-class", I(TUNE)),
    a("set-priority-offset", I(TUNE)),
    a("set-nice", I(TUNE)),
    a(
        "set-mark",
        R("it steers packets through policy routing; proxyd cannot set it yet"),
    ),
    a(
        "set-tos",
        R("it steers packets through policy routing; proxyd cannot set it yet"),
    ),
    a("del-acl", R(LATER)),
    a("add-acl", R(LATER)),
    a("del-map", R(LATER)),
    a("set-map", R(LATER)),
    a("silent-drop", R(LATER)),
    a(
        "strict-mode",
        I("rewrites proxyd cannot apply are refused when the file is read"),
    ),
    a("cache-use", S),
    a("do-resolve", R(LATER)),
    a("send-spoe-group", R(LATER)),
    a("use-service", S),
];

/// `http-response` actions.
pub const HTTP_RESPONSE_ACTIONS: &[Keyword] = &[
    a("allow", S),
    a("deny", S),
    a("set-header", S),
    a("add-header", S),
    a("del-header", S),
    a("replace-header", S),
    a("replace-value", S),
    a("set-status", S),
    a("redirect", R(LATER)),
    a("return", R(LATER)),
    a("set-var", S),
    a("set-var-fmt", S),
    a("unset-var", S),
    a("set-log-level", I(LOGS)),
    a("capture", I(LOGS)),
    a("track-sc0", R(TRACK)),
    a("track-sc1", R(TRACK)),
    a("track-sc2", R(TRACK)),
    a("sc-inc-gpc", R(SC_ARRAYS)),
    a("sc-inc-gpc0", S),
    a("sc-inc-gpc1", S),
    a("sc-set-gpt", R(SC_ARRAYS)),
    a("sc-set-gpt0", S),
    a("set-nice", I(TUNE)),
    a(
        "set-mark",
        R("it steers packets through policy routing; proxyd cannot set it yet"),
    ),
    a(
        "set-tos",
        R("it steers packets through policy routing; proxyd cannot set it yet"),
    ),
    a("del-acl", R(LATER)),
    a("add-acl", R(LATER)),
    a("del-map", R(LATER)),
    a("set-map", R(LATER)),
    a("silent-drop", R(LATER)),
    a(
        "strict-mode",
        I("rewrites proxyd cannot apply are refused when the file is read"),
    ),
    a("cache-store", S),
    a("send-spoe-group", R(LATER)),
    a("wait-for-body", R(LATER)),
];

/// `http-after-response` actions (HAProxy 2.6 has no deny here).
pub const HTTP_AFTER_RESPONSE_ACTIONS: &[Keyword] = &[
    a("allow", S),
    a("set-header", S),
    a("add-header", S),
    a("del-header", S),
    a("replace-header", S),
    a("replace-value", S),
    a("set-status", S),
    a("set-var", S),
    a("set-var-fmt", S),
    a("unset-var", S),
    a("set-log-level", I(LOGS)),
    a("capture", I(LOGS)),
    a("del-acl", R(LATER)),
    a("del-map", R(LATER)),
    a("set-map", R(LATER)),
    a(
        "strict-mode",
        I("rewrites proxyd cannot apply are refused when the file is read"),
    ),
];

/// `tcp-request connection` actions.
pub const TCP_CONNECTION_ACTIONS: &[Keyword] = &[
    a("accept", S),
    a("reject", S),
    a("expect-proxy", S),
    a("expect-netscaler-cip", R(LATER)),
    a("set-var", S),
    a("set-var-fmt", S),
    a("unset-var", S),
    a("track-sc0", S),
    a("track-sc1", S),
    a("track-sc2", S),
    a("sc-inc-gpc", R(SC_ARRAYS)),
    a("sc-inc-gpc0", S),
    a("sc-inc-gpc1", S),
    a("sc-set-gpt", R(SC_ARRAYS)),
    a("sc-set-gpt0", S),
    a("set-src", R(LATER)),
    a("set-src-port", R(LATER)),
    a("set-dst", R(LATER)),
    a("set-dst-port", R(LATER)),
    a(
        "set-mark",
        R("it steers packets through policy routing; proxyd cannot set it yet"),
    ),
    a(
        "set-tos",
        R("it steers packets through policy routing; proxyd cannot set it yet"),
    ),
    a("silent-drop", R(LATER)),
];

/// `tcp-request session` actions.
pub const TCP_SESSION_ACTIONS: &[Keyword] = &[
    a("accept", S),
    a("reject", S),
    a("set-var", S),
    a("set-var-fmt", S),
    a("unset-var", S),
    a("track-sc0", S),
    a("track-sc1", S),
    a("track-sc2", S),
    a("sc-inc-gpc", R(SC_ARRAYS)),
    a("sc-inc-gpc0", S),
    a("sc-inc-gpc1", S),
    a("sc-set-gpt", R(SC_ARRAYS)),
    a("sc-set-gpt0", S),
    a("set-src", R(LATER)),
    a("set-src-port", R(LATER)),
    a("set-dst", R(LATER)),
    a("set-dst-port", R(LATER)),
    a(
        "set-mark",
        R("it steers packets through policy routing; proxyd cannot set it yet"),
    ),
    a(
        "set-tos",
        R("it steers packets through policy routing; proxyd cannot set it yet"),
    ),
    a("silent-drop", R(LATER)),
];

/// `tcp-request content` actions.
pub const TCP_CONTENT_ACTIONS: &[Keyword] = &[
    a("accept", S),
    a("reject", S),
    a("capture", I(LOGS)),
    a("set-log-level", I(LOGS)),
    a("set-var", S),
    a("set-var-fmt", S),
    a("unset-var", S),
    a("track-sc0", S),
    a("track-sc1", S),
    a("track-sc2", S),
    a("sc-inc-gpc", R(SC_ARRAYS)),
    a("sc-inc-gpc0", S),
    a("sc-inc-gpc1", S),
    a("sc-set-gpt", R(SC_ARRAYS)),
    a("sc-set-gpt0", S),
    a("set-src", R(LATER)),
    a("set-src-port", R(LATER)),
    a("set-dst", R(LATER)),
    a("set-dst-port", R(LATER)),
    a("set-priority-class", I(TUNE)),
    a("set-priority-offset", I(TUNE)),
    a("set-nice", I(TUNE)),
    a(
        "set-mark",
        R("it steers packets through policy routing; proxyd cannot set it yet"),
    ),
    a(
        "set-tos",
        R("it steers packets through policy routing; proxyd cannot set it yet"),
    ),
    a("silent-drop", R(LATER)),
    a("switch-mode", R(LATER)),
    a("use-service", R(LATER)),
    a("do-resolve", R(LATER)),
    a("send-spoe-group", R(LATER)),
];

/// `tcp-response content` actions.
pub const TCP_RESPONSE_ACTIONS: &[Keyword] = &[
    a("accept", S),
    a("reject", S),
    a("close", R(LATER)),
    a("set-log-level", I(LOGS)),
    a("set-var", R(TCP_VARS)),
    a("set-var-fmt", R(TCP_VARS)),
    a("unset-var", R(TCP_VARS)),
    a("sc-inc-gpc", R(TRACK)),
    a("sc-inc-gpc0", R(TRACK)),
    a("sc-inc-gpc1", R(TRACK)),
    a("sc-set-gpt", R(TRACK)),
    a("sc-set-gpt0", R(TRACK)),
    a("set-nice", I(TUNE)),
    a(
        "set-mark",
        R("it steers packets through policy routing; proxyd cannot set it yet"),
    ),
    a(
        "set-tos",
        R("it steers packets through policy routing; proxyd cannot set it yet"),
    ),
    a("silent-drop", R(LATER)),
    a("send-spoe-group", R(LATER)),
];

pub fn lookup(table: &[Keyword], name: &str) -> Option<Keyword> {
    table.iter().copied().find(|k| k.name == name)
}

/// Every table with a title, for documentation.
pub const TABLES: &[(&str, &[Keyword])] = &[
    ("global", GLOBAL),
    ("proxies (defaults, frontend, backend, listen)", PROXY),
    ("option", OPTIONS),
];

fn sections_text(mask: u8) -> String {
    let mut v = Vec::new();
    for (bit, name) in [
        (G, "global"),
        (D, "defaults"),
        (F, "frontend"),
        (B, "backend"),
        (L, "listen"),
    ] {
        if mask & bit != 0 {
            v.push(name);
        }
    }
    v.join(", ")
}

fn status_text(st: Status) -> String {
    match st {
        Status::Supported => "runs".to_string(),
        Status::Ignored(why) => format!("ignored, with a warning: {why}"),
        Status::Refused(why) => format!("refused (error): {why}"),
        Status::Legacy(modern) => format!("legacy: {modern}"),
    }
}

/// docs/haproxy-compat.md's keyword part, generated from the tables.
pub fn markdown() -> String {
    let mut o = String::from(
        "# haproxy.cfg keywords in proxyd\n\n\
         Generated from `crates/haproxy-conf/src/registry.rs` and the option tables of \
         `crates/haproxy-conf/src/build/server.rs` (`UPDATE_DOCS=1 cargo test -p haproxy-conf \
         --test docs_fresh` rewrites it; the test fails when it is stale).\n\n\
         Every keyword has one status, and `proxyd -c` runs the same checks and plan \
         building as the daemon, so a file `-c` accepts is a file proxyd starts:\n\n\
         - **runs**: read into the typed model and acted on by the daemon (proxyd's \
         registry-walk test checks that each one changes what the daemon runs).\n\
         - **ignored**: read and checked, not acted on: a warning with the reason. Only for \
         keywords that cannot change who gets in or where traffic goes.\n\
         - **refused**: HAProxy accepts it, proxyd cannot run it yet, and it decides who \
         gets in or where traffic goes: an error at `-c` and at start, with the reason.\n\
         - **legacy**: an old spelling from HAProxy 1.x tutorials: accepted with a warning that \
         shows the modern one (HAProxy 2.6 rejects most of these).\n\n\
         Sections: `userlist`, `mailers`, `resolvers`, `http-errors` and `peers` are read; \
         `cache`, `program` and `ring` are read and ignored with a warning.\n\n\
         How proxyd reads the file and where it deliberately differs from HAProxy 2.6: \
         [haproxy-behaviour.md](haproxy-behaviour.md).\n",
    );
    for (title, table) in TABLES {
        o.push_str(&format!(
            "\n## {title}\n\n| keyword | sections | status |\n|---|---|---|\n"
        ));
        for kw in table.iter() {
            o.push_str(&format!(
                "| `{}` | {} | {} |\n",
                kw.name,
                sections_text(kw.sections),
                status_text(kw.status)
            ));
        }
    }
    for (title, table) in ACTION_TABLES {
        o.push_str(&format!(
            "\n## {title} actions\n\n| action | status |\n|---|---|\n"
        ));
        for kw in table.iter() {
            o.push_str(&format!("| `{}` | {} |\n", kw.name, status_text(kw.status)));
        }
        o.push_str("\nAny other action is unknown (an error).\n");
    }
    for (title, table) in [
        ("bind", crate::build::BIND_OPTS),
        ("server and default-server", crate::build::SERVER_OPTS),
    ] {
        o.push_str(&format!(
            "\n## {title} options\n\n| option | takes a value | status |\n|---|---|---|\n"
        ));
        for (name, takes, st) in table.iter() {
            o.push_str(&format!(
                "| `{name}` | {} | {} |\n",
                if *takes { "yes" } else { "no" },
                status_text(*st)
            ));
        }
    }
    o
}

/// The action tables, for documentation and the registry walk.
pub const ACTION_TABLES: &[(&str, &[Keyword])] = &[
    ("http-request", HTTP_REQUEST_ACTIONS),
    ("http-response", HTTP_RESPONSE_ACTIONS),
    ("http-after-response", HTTP_AFTER_RESPONSE_ACTIONS),
    ("tcp-request connection", TCP_CONNECTION_ACTIONS),
    ("tcp-request session", TCP_SESSION_ACTIONS),
    ("tcp-request content", TCP_CONTENT_ACTIONS),
    ("tcp-response content", TCP_RESPONSE_ACTIONS),
];
