//! The keyword registry: every keyword proxyd knows, where it may appear, and what proxyd
//! does with it. `docs/haproxy-compat.md` is generated from this table.

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
    /// Read into the typed model for the data plane.
    Supported,
    /// Read, not acted on: warning "not supported yet, ignored". Never for keywords that
    /// restrict access or steer traffic.
    Ignored,
    /// Restricts access or steers traffic and is not implemented: an error.
    Refused,
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

use Status::{Ignored as I, Legacy, Refused as R, Supported as S};

pub const GLOBAL: &[Keyword] = &[
    k("log", G, S),
    k("log-tag", G, S),
    k("maxconn", G, S),
    k("user", G, S),
    k("group", G, S),
    k("uid", G, S),
    k("gid", G, S),
    k("chroot", G, S),
    k("daemon", G, S),
    k("master-worker", G, S),
    k("pidfile", G, S),
    k("nbthread", G, S),
    k("stats socket", G, S),
    k("stats timeout", G, S),
    k("stats maxconn", G, I),
    k(
        "stats bind-process",
        G,
        Legacy("(removed; nothing to write)"),
    ),
    k("tune.bufsize", G, S),
    k("tune.maxrewrite", G, S),
    k("hard-stop-after", G, S),
    k("ssl-default-bind-ciphers", G, S),
    k("ssl-default-bind-ciphersuites", G, S),
    k("ssl-default-bind-options", G, S),
    k("ssl-default-server-ciphers", G, I),
    k("ssl-default-server-ciphersuites", G, I),
    k("ssl-default-server-options", G, S),
    k("ssl-server-verify", G, S),
    k("ssl-dh-param-file", G, I),
    k("ca-base", G, S),
    k("crt-base", G, S),
    k(
        "nbproc",
        G,
        Legacy("nbthread (nbproc is ignored: proxyd runs one process with threads)"),
    ),
    k("spread-checks", G, I),
    k("node", G, I),
    k("description", G, I),
    k("unix-bind", G, I),
    k("ulimit-n", G, I),
    k("setenv", G, I),
    k("presetenv", G, I),
    k("resetenv", G, I),
    k("unsetenv", G, I),
    k("server-state-file", G, I),
    k("server-state-base", G, I),
    k("localpeer", G, I),
    k("cpu-map", G, I),
    k("external-check", G, I),
    k("insecure-fork-wanted", G, I),
    k("quiet", G, I),
    k("busy-polling", G, I),
    k("maxsslconn", G, I),
    k("maxconnrate", G, I),
    k("maxsessrate", G, I),
    k("maxpipes", G, I),
    k("noepoll", G, I),
    k("nosplice", G, I),
    k("set-dumpable", G, I),
    k("zero-warning", G, S),
    k(
        "tune.chksize",
        G,
        Legacy("tune.bufsize (tune.chksize is ignored)"),
    ),
    k("strict-limits", G, I),
    k("expose-experimental-directives", G, I),
    k("h1-case-adjust", G, I),
    k("log-send-hostname", G, I),
    k("lua-load", G, R),
    k("lua-prepend-path", G, I),
    k("tune.ssl.default-dh-param", G, I),
    k("tune.ssl.cachesize", G, I),
    k("tune.ssl.lifetime", G, I),
    k("tune.http.maxhdr", G, I),
    k("tune.maxaccept", G, I),
    k("tune.maxpollevents", G, I),
    k("tune.rcvbuf.client", G, I),
    k("tune.rcvbuf.server", G, I),
    k("tune.sndbuf.client", G, I),
    k("tune.sndbuf.server", G, I),
    k("tune.h2.max-concurrent-streams", G, I),
    k("tune.idletimer", G, I),
    k("tune.pipesize", G, I),
    k("tune.comp.maxlevel", G, I),
];

pub const PROXY: &[Keyword] = &[
    k("mode", DFBL, S),
    k("bind", FL, S),
    k("maxconn", DFL, S),
    k("fullconn", DBL, S),
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
    k("default-server", DBL, S),
    k("server-template", BL, R),
    k("acl", FBL, S),
    k("use_backend", FL, S),
    k("default_backend", DFL, S),
    k("use-server", BL, R),
    k("http-request", FBL, S),
    k("http-response", FBL, S),
    k("http-after-response", FBL, S),
    k("tcp-request", FBL, S),
    k("tcp-response", BL, S),
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
    k("stats show-legends", DFBL, S),
    k("stats show-node", DFBL, S),
    k("stats show-desc", DFBL, I),
    k("stats scope", DFBL, S),
    k("stats http-request", FBL, R),
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
    k("errorfile", DFBL, S),
    k("errorfiles", DFBL, S),
    k("errorloc", DFBL, S),
    k("errorloc302", DFBL, S),
    k("errorloc303", DFBL, S),
    k("log", DFBL, S),
    k("log-format", DFL, S),
    k("log-format-sd", DFL, I),
    k("log-tag", DFBL, I),
    k("monitor-uri", DFL, S),
    k("monitor fail", FL, I),
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
    k("description", FBL, I),
    k("disabled", DFBL, S),
    k("enabled", DFBL, S),
    k("id", FBL, I),
    k("bind-process", DFBL, Legacy("(removed; nothing to write)")),
    k("dispatch", BL, R),
    k("source", DBL, I),
    k("http-reuse", DBL, I),
    k("compression", DFBL, I),
    k("filter", FBL, I),
    k("rate-limit sessions", DFL, R),
    k("persist rdp-cookie", DBL, I),
    k("force-persist", FBL, I),
    k("ignore-persist", FBL, I),
    k("load-server-state-from-file", DBL, I),
    k("server-state-file-name", DBL, I),
    k("http-send-name-header", DBL, I),
    k("max-keep-alive-queue", DBL, I),
    k("grace", DFBL, Legacy("(removed; ignored)")),
    k("external-check command", DBL, I),
    k("external-check path", DBL, I),
    k("declare capture", FL, I),
    k("retry-on", DBL, I),
    k("http-error", DFBL, I),
    k("clitcpka-cnt", DFL, I),
    k("clitcpka-idle", DFL, I),
    k("clitcpka-intvl", DFL, I),
    k("srvtcpka-cnt", DBL, I),
    k("srvtcpka-idle", DBL, I),
    k("srvtcpka-intvl", DBL, I),
];

/// `option NAME` (and `no option NAME`).
pub const OPTIONS: &[Keyword] = &[
    k("httplog", DFL, S),
    k("tcplog", DFL, S),
    k("dontlognull", DFL, S),
    k("dontlog-normal", DFL, S),
    k("log-health-checks", DBL, S),
    k("log-separate-errors", DFL, S),
    k("logasap", DFL, S),
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
    k("http-pretend-keepalive", DFBL, S),
    k("http-buffer-request", DFBL, S),
    k("http-no-delay", DFBL, I),
    k("http-use-proxy-header", DFL, I),
    k("http-ignore-probes", DFL, I),
    k("http-restrict-req-hdr-names", DFBL, I),
    k("redispatch", DBL, S),
    k("httpchk", DBL, S),
    k("ssl-hello-chk", DBL, S),
    k("tcp-check", DBL, S),
    k("mysql-check", DBL, R),
    k("pgsql-check", DBL, R),
    k("redis-check", DBL, R),
    k("smtpchk", DBL, R),
    k("ldap-check", DBL, R),
    k("spop-check", DBL, R),
    k("external-check", DBL, R),
    k("allbackups", DBL, S),
    k("abortonclose", DBL, S),
    k("splice-auto", DFBL, S),
    k("splice-request", DFBL, S),
    k("splice-response", DFBL, S),
    k("tcpka", DFBL, S),
    k("clitcpka", DFL, S),
    k("srvtcpka", DBL, S),
    k("persist", DBL, S),
    k("prefer-last-server", DBL, S),
    k("nolinger", DFBL, S),
    k("contstats", DFL, I),
    k("independent-streams", DFBL, I),
    k("socket-stats", DFL, I),
    k("accept-invalid-http-request", DFL, I),
    k("accept-invalid-http-response", DBL, I),
    k("checkcache", DBL, I),
    k("disable-h2-upgrade", DFL, I),
    k("transparent", DBL, I),
    k("tcp-smart-accept", DFL, I),
    k("tcp-smart-connect", DBL, I),
    k("h1-case-adjust-bogus-client", DFL, I),
    k("h1-case-adjust-bogus-server", DBL, I),
    k("idle-close-on-response", DFL, I),
    k("http_proxy", DFBL, R),
];

/// `http-request` / `http-response` actions proxyd reads (with their arguments).
pub const HTTP_ACTIONS: &[&str] = &[
    "allow",
    "deny",
    "tarpit",
    "auth",
    "redirect",
    "return",
    "set-header",
    "add-header",
    "del-header",
    "replace-header",
    "replace-value",
    "set-path",
    "set-pathq",
    "replace-path",
    "replace-pathq",
    "set-uri",
    "replace-uri",
    "set-query",
    "set-method",
    "set-status",
    "set-var",
    "unset-var",
    "set-log-level",
    "capture",
    "set-src",
    "set-dst",
    "set-dst-port",
    "early-hint",
    "normalize-uri",
    "disable-l7-retry",
    "wait-for-body",
    "track-sc0",
    "track-sc1",
    "track-sc2",
    "sc-inc-gpc0",
    "sc-inc-gpc1",
    "set-timeout",
    "del-acl",
    "add-acl",
    "del-map",
    "set-map",
    "silent-drop",
    "reject",
    "strict-mode",
    "cache-use",
    "cache-store",
    "use-service",
];

/// `tcp-request` / `tcp-response` actions proxyd reads.
pub const TCP_ACTIONS: &[&str] = &[
    "accept",
    "reject",
    "close",
    "expect-proxy",
    "expect-netscaler-cip",
    "capture",
    "set-var",
    "unset-var",
    "track-sc0",
    "track-sc1",
    "track-sc2",
    "sc-inc-gpc0",
    "sc-inc-gpc1",
    "set-src",
    "set-dst",
    "set-dst-port",
    "silent-drop",
    "switch-mode",
    "use-service",
    "do-resolve",
    "set-log-level",
    "set-mark",
    "set-tos",
    "send-spoe-group",
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

/// docs/haproxy-compat.md's keyword part, generated from the tables.
pub fn markdown() -> String {
    let mut o = String::from(
        "# haproxy.cfg keywords in proxyd\n\n\
         Generated from `crates/haproxy-conf/src/registry.rs` \
         (`UPDATE_DOCS=1 cargo test -p haproxy-conf --test docs_fresh` rewrites it; the test \
         fails when it is stale).\n\n\
         - **supported**: read into the typed model the data plane runs from.\n\
         - **ignored**: read, not acted on yet: a warning, the rest loads. Never used for a \
         keyword that restricts access or steers traffic.\n\
         - **refused**: restricts access or steers traffic and is not implemented: an error, \
         so a config never runs with a rule silently missing.\n\
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
            let status = match kw.status {
                Status::Supported => "supported".to_string(),
                Status::Ignored => "ignored (warning)".to_string(),
                Status::Refused => "refused (error)".to_string(),
                Status::Legacy(modern) => format!("legacy: {modern}"),
            };
            o.push_str(&format!(
                "| `{}` | {} | {status} |\n",
                kw.name,
                sections_text(kw.sections)
            ));
        }
    }
    o.push_str("\n## http-request / http-response actions\n\n");
    o.push_str(
        &HTTP_ACTIONS
            .iter()
            .map(|a| format!("`{a}`"))
            .collect::<Vec<_>>()
            .join(", "),
    );
    o.push_str(
        "\n\nAny other action is refused (an error).\n\n## tcp-request / tcp-response actions\n\n",
    );
    o.push_str(
        &TCP_ACTIONS
            .iter()
            .map(|a| format!("`{a}`"))
            .collect::<Vec<_>>()
            .join(", "),
    );
    o.push_str("\n\nAny other action is refused (an error).\n");
    o
}
