//! The registry walk: every keyword, option, action and bind/server option haproxy-conf
//! knows has one status, and this test holds each to it. A `runs` entry must change
//! the plan the daemon runs (with dead-code lints, a field the plan carries is a field
//! the daemon reads); an ignored one must warn, a refused one must be an error. An entry
//! with no sample here fails the test, so a new keyword cannot land unaccounted for.
#![cfg(test)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::cli::Args;
use conf_diag::Diagnostics;
use haproxy_conf::build::{BIND_OPTS, SERVER_OPTS};
use haproxy_conf::codes;
use haproxy_conf::registry::{self, Keyword, Status};
use haproxy_conf::tokenizer::NoEnv;

/// Where a sample line goes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum At {
    Global,
    Defaults,
    Frontend,
    Backend,
}

/// A sample for a `runs` entry: context lines (in their sections), then the line itself.
struct Sample {
    table: &'static str,
    name: &'static str,
    context: &'static [(At, &'static str)],
    at: At,
    line: &'static str,
}

const fn s(table: &'static str, name: &'static str, at: At, line: &'static str) -> Sample {
    Sample {
        table,
        name,
        context: &[],
        at,
        line,
    }
}

const fn sc(
    table: &'static str,
    name: &'static str,
    context: &'static [(At, &'static str)],
    at: At,
    line: &'static str,
) -> Sample {
    Sample {
        table,
        name,
        context,
        at,
        line,
    }
}

use At::{Backend as B, Defaults as D, Frontend as F, Global as G};

/// `runs` entries whose line sets what proxyd does anyway, with why: the walk checks
/// they are parsed without a problem.
const NEUTRAL: &[(&str, &str, &str)] = &[
    (
        "global",
        "default-path",
        "only `current` is taken: proxyd reads relative names from its working directory",
    ),
    (
        "global",
        "h2-workaround-bogus-websocket-clients",
        "what proxyd always does: its HTTP/2 SETTINGS do not announce RFC 8441 WebSockets, so clients open an HTTP/1.1 connection for them",
    ),
    (
        "global",
        "noreuseport",
        "what proxyd always does: it sets no SO_REUSEPORT (reloads pass the listening sockets on)",
    ),
    (
        "global",
        "zero-warning",
        "a -c setting (warnings become fatal), tested in check_rules_apply",
    ),
    (
        "proxy",
        "retry-on",
        "only `conn-failure` and `none` are taken: what proxyd does",
    ),
    (
        "server",
        "check-proto",
        "`h1` (HTTP checks) and `none` (TCP checks) are what proxyd's checks speak; h2 and fcgi are refused",
    ),
    (
        "server",
        "no-sslv3",
        "SSLv3 is outside the versions servers are offered (HAProxy's default range starts at TLSv1.0), so taking it out changes nothing",
    ),
    (
        "server",
        "no-send-proxy-v2-ssl",
        "the default: `send-proxy-v2-ssl` is refused",
    ),
    (
        "server",
        "no-send-proxy-v2-ssl-cn",
        "the default: `send-proxy-v2-ssl-cn` is refused",
    ),
    (
        "bind",
        "proto",
        "`proto h1` is the default; other protocols are refused",
    ),
    (
        "bind",
        "verify",
        "`verify none` is the default; optional and required are refused",
    ),
];

fn samples(errorfile: &str) -> Vec<Sample> {
    let _ = errorfile;
    vec![
        // global
        s("global", "maxconn", G, "maxconn 123"),
        s("global", "user", G, "user nobody"),
        s("global", "group", G, "group nogroup"),
        s("global", "uid", G, "uid 65534"),
        s("global", "gid", G, "gid 65534"),
        s("global", "chroot", G, "chroot /tmp"),
        s("global", "daemon", G, "daemon"),
        s("global", "pidfile", G, "pidfile /tmp/walk.pid"),
        // The section's peer `walk1` is this process only under that name.
        sc(
            "global",
            "localpeer",
            &[(G, "@PEERS@")],
            G,
            "localpeer walk1",
        ),
        s("global", "nbthread", G, "nbthread 3"),
        s("global", "master-worker", G, "master-worker"),
        s("global", "hard-stop-after", G, "hard-stop-after 30s"),
        s("global", "grace", G, "grace 2s"),
        s(
            "global",
            "h1-accept-payload-with-any-method",
            G,
            "h1-accept-payload-with-any-method",
        ),
        s(
            "global",
            "h2-workaround-bogus-websocket-clients",
            G,
            "h2-workaround-bogus-websocket-clients",
        ),
        s("global", "noreuseport", G, "noreuseport"),
        sc(
            "global",
            "server-state-file",
            &[(B, "load-server-state-from-file global")],
            G,
            "server-state-file /nonexistent/state",
        ),
        sc(
            "global",
            "server-state-base",
            &[(B, "load-server-state-from-file local")],
            G,
            "server-state-base /nonexistent",
        ),
        sc(
            "proxy",
            "load-server-state-from-file",
            &[(G, "server-state-file /nonexistent/state")],
            B,
            "load-server-state-from-file global",
        ),
        sc(
            "proxy",
            "server-state-file-name",
            &[(B, "load-server-state-from-file local")],
            B,
            "server-state-file-name st",
        ),
        s(
            "global",
            "stats socket",
            G,
            "stats socket /tmp/walk-api.sock mode 600 level admin",
        ),
        sc(
            "global",
            "stats timeout",
            &[(G, "stats socket /tmp/walk-api.sock")],
            G,
            "stats timeout 1m",
        ),
        s("global", "tune.bufsize", G, "tune.bufsize 32768"),
        s("global", "tune.maxrewrite", G, "tune.maxrewrite 2048"),
        s(
            "global",
            "tune.h2.max-concurrent-streams",
            G,
            "tune.h2.max-concurrent-streams 7",
        ),
        s(
            "global",
            "tune.h2.initial-window-size",
            G,
            "tune.h2.initial-window-size 7000",
        ),
        s(
            "global",
            "tune.h2.header-table-size",
            G,
            "tune.h2.header-table-size 7000",
        ),
        s(
            "global",
            "tune.h2.max-frame-size",
            G,
            "tune.h2.max-frame-size 32768",
        ),
        sc(
            "global",
            "ssl-default-bind-options",
            &[(F, "bind 127.0.0.1:18443 ssl crt @CERT@")],
            G,
            "ssl-default-bind-options ssl-min-ver TLSv1.3",
        ),
        sc(
            "global",
            "ssl-server-verify",
            &[(B, "server c 127.0.0.1:18082 check check-ssl")],
            G,
            "ssl-server-verify none",
        ),
        sc(
            "global",
            "crt-base",
            &[(F, "bind 127.0.0.1:18443 ssl crt @CERTNAME@")],
            G,
            "crt-base @CERTDIR@",
        ),
        sc(
            "global",
            "ca-base",
            &[(B, "server c 127.0.0.1:18082 ssl ca-file @CERTNAME@")],
            G,
            "ca-base @CERTDIR@",
        ),
        sc(
            "global",
            "ssl-default-server-options",
            &[(B, "server c 127.0.0.1:18082 ssl verify none")],
            G,
            "ssl-default-server-options ssl-max-ver TLSv1.2",
        ),
        s("global", "ulimit-n", G, "ulimit-n 4000"),
        s("global", "nosplice", G, "nosplice"),
        s("global", "zero-warning", G, "zero-warning"),
        s("global", "default-path", G, "default-path current"),
        // proxies
        s("proxy", "mode", D, "mode tcp"),
        s("proxy", "bind", F, "bind 127.0.0.1:18090"),
        s("proxy", "maxconn", F, "maxconn 77"),
        s("proxy", "id", F, "id 42"),
        sc(
            "proxy",
            "email-alert mailers",
            &[
                (G, "@MAILERS@"),
                (D, "email-alert from a@example.com"),
                (D, "email-alert to b@example.com"),
            ],
            B,
            "email-alert mailers walkmta",
        ),
        sc(
            "proxy",
            "email-alert from",
            &[
                (G, "@MAILERS@"),
                (B, "email-alert mailers walkmta"),
                (B, "email-alert to b@example.com"),
            ],
            B,
            "email-alert from a@example.com",
        ),
        sc(
            "proxy",
            "email-alert to",
            &[
                (G, "@MAILERS@"),
                (B, "email-alert mailers walkmta"),
                (B, "email-alert from a@example.com"),
            ],
            B,
            "email-alert to b@example.com",
        ),
        sc(
            "proxy",
            "email-alert level",
            &[
                (G, "@MAILERS@"),
                (B, "email-alert mailers walkmta"),
                (B, "email-alert from a@example.com"),
                (B, "email-alert to b@example.com"),
            ],
            B,
            "email-alert level info",
        ),
        sc(
            "proxy",
            "email-alert myhostname",
            &[
                (G, "@MAILERS@"),
                (B, "email-alert mailers walkmta"),
                (B, "email-alert from a@example.com"),
                (B, "email-alert to b@example.com"),
            ],
            B,
            "email-alert myhostname lb1",
        ),
        s("proxy", "backlog", F, "backlog 77"),
        s("proxy", "timeout client", F, "timeout client 7s"),
        s("proxy", "timeout server", B, "timeout server 7s"),
        s("proxy", "timeout connect", B, "timeout connect 7s"),
        s(
            "proxy",
            "timeout http-request",
            F,
            "timeout http-request 7s",
        ),
        s(
            "proxy",
            "timeout http-keep-alive",
            F,
            "timeout http-keep-alive 7s",
        ),
        s("proxy", "timeout queue", B, "timeout queue 7s"),
        s("proxy", "timeout tunnel", B, "timeout tunnel 7s"),
        s("proxy", "timeout client-fin", F, "timeout client-fin 7s"),
        s("proxy", "timeout server-fin", B, "timeout server-fin 7s"),
        s("proxy", "timeout check", B, "timeout check 7s"),
        s("proxy", "timeout tarpit", F, "timeout tarpit 7s"),
        s("proxy", "retries", B, "retries 7"),
        s("proxy", "http-reuse", B, "http-reuse never"),
        s("proxy", "balance", B, "balance leastconn"),
        sc(
            "proxy",
            "hash-type",
            &[(B, "balance source")],
            B,
            "hash-type consistent",
        ),
        s("proxy", "server", B, "server z 127.0.0.1:18099"),
        s("proxy", "default-server", D, "default-server inter 7s"),
        s("proxy", "acl", F, "acl a path_beg /a"),
        sc(
            "proxy",
            "use_backend",
            &[(At::Backend, "")],
            F,
            "use_backend be2 if { path_beg /b }",
        ),
        s("proxy", "default_backend", F, "default_backend be2"),
        s("proxy", "use-server", B, "use-server s1 if { path /one }"),
        s("proxy", "http-request", F, "http-request deny"),
        s(
            "proxy",
            "http-response",
            B,
            "http-response set-header X-A b",
        ),
        s(
            "proxy",
            "http-after-response",
            F,
            "http-after-response set-header X-A b",
        ),
        s("proxy", "compression", F, "compression algo gzip"),
        s("proxy", "unique-id-format", F, "unique-id-format %[src]"),
        sc(
            "proxy",
            "unique-id-header",
            &[(F, "unique-id-format %[src]")],
            F,
            "unique-id-header X-Id",
        ),
        s("proxy", "tcp-request", F, "tcp-request connection reject"),
        // tcp-response content rules run in tcp mode only.
        sc(
            "proxy",
            "tcp-response",
            &[(At::Defaults, "mode tcp")],
            B,
            "tcp-response content reject",
        ),
        s("proxy", "redirect", F, "redirect location /x"),
        s("proxy", "stats enable", F, "stats enable"),
        s("proxy", "stats uri", F, "stats uri /st"),
        sc(
            "proxy",
            "stats realm",
            &[(F, "stats enable")],
            F,
            "stats realm R",
        ),
        sc(
            "proxy",
            "stats auth",
            &[(F, "stats enable")],
            F,
            "stats auth a:b",
        ),
        sc(
            "proxy",
            "stats admin",
            &[(F, "stats enable")],
            F,
            "stats admin if TRUE",
        ),
        sc(
            "proxy",
            "stats hide-version",
            &[(F, "stats enable")],
            F,
            "stats hide-version",
        ),
        sc(
            "proxy",
            "stats refresh",
            &[(F, "stats enable")],
            F,
            "stats refresh 5s",
        ),
        sc(
            "proxy",
            "stats scope",
            &[(F, "stats enable")],
            F,
            "stats scope .",
        ),
        // A table alone holds nothing: what it changes is that stick rules can run.
        sc(
            "proxy",
            "stick-table",
            &[(B, "stick on src")],
            B,
            "stick-table type ip size 1k",
        ),
        sc(
            "proxy",
            "stick on",
            &[(B, "stick-table type ip size 1k")],
            B,
            "stick on src",
        ),
        sc(
            "proxy",
            "stick match",
            &[(B, "stick-table type ip size 1k")],
            B,
            "stick match src",
        ),
        sc(
            "proxy",
            "stick store-request",
            &[(B, "stick-table type ip size 1k")],
            B,
            "stick store-request src",
        ),
        sc(
            "proxy",
            "stick store-response",
            &[(B, "stick-table type binary len 32 size 1k")],
            B,
            "stick store-response payload_lv(43,1)",
        ),
        s("proxy", "cookie", B, "cookie SRV insert"),
        sc(
            "proxy",
            "dynamic-cookie-key",
            &[(B, "cookie SRV insert dynamic")],
            B,
            "dynamic-cookie-key k",
        ),
        s("proxy", "errorfile", F, "errorfile 503 @ERRORFILE@"),
        sc(
            "proxy",
            "errorfiles",
            &[(At::Global, "@HTTPERRORS@")],
            F,
            "errorfiles errs",
        ),
        s("proxy", "errorloc", F, "errorloc 503 http://x/"),
        s("proxy", "errorloc302", F, "errorloc302 503 http://x/"),
        s("proxy", "errorloc303", F, "errorloc303 503 http://x/"),
        s(
            "proxy",
            "http-error",
            F,
            "http-error status 503 content-type text/plain string sorry",
        ),
        s("proxy", "monitor-uri", F, "monitor-uri /m"),
        sc(
            "proxy",
            "monitor fail",
            &[(F, "monitor-uri /m")],
            F,
            "monitor fail if TRUE",
        ),
        sc(
            "proxy",
            "http-check",
            &[(B, "option httpchk")],
            B,
            "http-check expect status 204",
        ),
        sc(
            "proxy",
            "tcp-check",
            &[(B, "option tcp-check")],
            B,
            "tcp-check expect string OK",
        ),
        s("proxy", "disabled", F, "disabled"),
        sc("proxy", "enabled", &[(F, "disabled")], F, "enabled"),
        s("proxy", "source", B, "source 127.0.0.2"),
        sc(
            "proxy",
            "clitcpka-cnt",
            &[(F, "option clitcpka")],
            F,
            "clitcpka-cnt 3",
        ),
        sc(
            "proxy",
            "clitcpka-idle",
            &[(F, "option clitcpka")],
            F,
            "clitcpka-idle 3s",
        ),
        sc(
            "proxy",
            "clitcpka-intvl",
            &[(F, "option clitcpka")],
            F,
            "clitcpka-intvl 3s",
        ),
        sc(
            "proxy",
            "srvtcpka-cnt",
            &[(B, "option srvtcpka")],
            B,
            "srvtcpka-cnt 3",
        ),
        sc(
            "proxy",
            "srvtcpka-idle",
            &[(B, "option srvtcpka")],
            B,
            "srvtcpka-idle 3s",
        ),
        sc(
            "proxy",
            "srvtcpka-intvl",
            &[(B, "option srvtcpka")],
            B,
            "srvtcpka-intvl 3s",
        ),
        s("proxy", "retry-on", B, "retry-on conn-failure"),
        // options
        // Logging: each against a frontend that logs somewhere.
        sc(
            "global",
            "log",
            &[(F, "log global")],
            G,
            "log 127.0.0.1:514 local0",
        ),
        sc(
            "global",
            "log-tag",
            &[(G, "log 127.0.0.1:514 local0"), (F, "log global")],
            G,
            "log-tag walk",
        ),
        sc(
            "global",
            "log-send-hostname",
            &[(G, "log 127.0.0.1:514 local0"), (F, "log global")],
            G,
            "log-send-hostname walk",
        ),
        s("proxy", "log", F, "log 127.0.0.1:514 local0"),
        sc(
            "proxy",
            "log-format",
            &[(F, "log 127.0.0.1:514 local0")],
            F,
            "log-format %ci",
        ),
        sc(
            "proxy",
            "log-tag",
            &[(F, "log 127.0.0.1:514 local0")],
            F,
            "log-tag walk",
        ),
        sc(
            "proxy",
            "capture request header",
            &[(F, "log 127.0.0.1:514 local0")],
            F,
            "capture request header Host len 10",
        ),
        sc(
            "proxy",
            "capture response header",
            &[(F, "log 127.0.0.1:514 local0")],
            F,
            "capture response header Server len 10",
        ),
        sc(
            "proxy",
            "capture cookie",
            &[(F, "log 127.0.0.1:514 local0")],
            F,
            "capture cookie c len 10",
        ),
        sc(
            "option",
            "httplog",
            &[(F, "log 127.0.0.1:514 local0")],
            F,
            "option httplog",
        ),
        sc(
            "option",
            "httpslog",
            &[(F, "log 127.0.0.1:514 local0")],
            F,
            "option httpslog",
        ),
        sc(
            "option",
            "tcplog",
            &[(F, "log 127.0.0.1:514 local0")],
            F,
            "option tcplog",
        ),
        sc(
            "option",
            "dontlognull",
            &[(F, "log 127.0.0.1:514 local0")],
            F,
            "option dontlognull",
        ),
        sc(
            "option",
            "dontlog-normal",
            &[(F, "log 127.0.0.1:514 local0")],
            F,
            "option dontlog-normal",
        ),
        sc(
            "option",
            "log-separate-errors",
            &[(F, "log 127.0.0.1:514 local0")],
            F,
            "option log-separate-errors",
        ),
        s("option", "forwardfor", F, "option forwardfor"),
        s("option", "originalto", F, "option originalto"),
        s("option", "http-server-close", B, "option http-server-close"),
        s("option", "httpclose", F, "option httpclose"),
        s(
            "option",
            "disable-h2-upgrade",
            F,
            "option disable-h2-upgrade",
        ),
        s(
            "option",
            "http-buffer-request",
            F,
            "option http-buffer-request",
        ),
        sc(
            "option",
            "http-keep-alive",
            &[(D, "option httpclose")],
            F,
            "option http-keep-alive",
        ),
        s(
            "option",
            "http-restrict-req-hdr-names",
            F,
            "option http-restrict-req-hdr-names reject",
        ),
        s("option", "redispatch", B, "option redispatch"),
        s("option", "httpchk", B, "option httpchk"),
        s("option", "ssl-hello-chk", B, "option ssl-hello-chk"),
        sc(
            "option",
            "tcp-check",
            &[(B, "tcp-check expect string OK")],
            B,
            "option tcp-check",
        ),
        s("option", "allbackups", B, "option allbackups"),
        s("option", "tcpka", F, "option tcpka"),
        s("option", "clitcpka", F, "option clitcpka"),
        s("option", "srvtcpka", B, "option srvtcpka"),
        s("option", "persist", B, "option persist"),
        s(
            "option",
            "prefer-last-server",
            B,
            "option prefer-last-server",
        ),
        s("option", "nolinger", F, "option nolinger"),
        // http-request actions
        s("http-request", "allow", F, "http-request allow"),
        s(
            "http-request",
            "set-var",
            F,
            "http-request set-var(txn.x) src",
        ),
        s(
            "http-request",
            "set-var-fmt",
            F,
            "http-request set-var-fmt(txn.x) %ci",
        ),
        s(
            "http-request",
            "unset-var",
            F,
            "http-request unset-var(txn.x)",
        ),
        s(
            "http-request",
            "deny",
            F,
            "http-request deny deny_status 429",
        ),
        s("http-request", "tarpit", F, "http-request tarpit"),
        s(
            "http-request",
            "return",
            F,
            "http-request return status 204",
        ),
        s(
            "http-request",
            "redirect",
            F,
            "http-request redirect location /r",
        ),
        s("http-request", "reject", F, "http-request reject"),
        s(
            "http-request",
            "wait-for-body",
            F,
            "http-request wait-for-body time 1s at-least 1k",
        ),
        s(
            "http-request",
            "set-timeout",
            B,
            "http-request set-timeout server 2s",
        ),
        s("http-request", "auth", F, "http-request auth realm admin"),
        s(
            "http-request",
            "use-service",
            F,
            "http-request use-service prometheus-exporter",
        ),
        s(
            "http-request",
            "set-header",
            F,
            "http-request set-header X-A b",
        ),
        s(
            "http-request",
            "add-header",
            F,
            "http-request add-header X-A b",
        ),
        s(
            "http-request",
            "del-header",
            F,
            "http-request del-header X-A -m beg",
        ),
        s(
            "http-request",
            "replace-header",
            F,
            "http-request replace-header X-A a b",
        ),
        s(
            "http-request",
            "replace-value",
            F,
            "http-request replace-value X-A a b",
        ),
        s("http-request", "set-path", F, "http-request set-path /p"),
        s(
            "http-request",
            "set-pathq",
            F,
            "http-request set-pathq /p?q",
        ),
        s(
            "http-request",
            "replace-path",
            F,
            "http-request replace-path /a /b",
        ),
        s(
            "http-request",
            "replace-pathq",
            F,
            "http-request replace-pathq /a /b",
        ),
        s("http-request", "set-uri", F, "http-request set-uri /u"),
        s(
            "http-request",
            "replace-uri",
            F,
            "http-request replace-uri /a /b",
        ),
        s("http-request", "set-query", F, "http-request set-query q=1"),
        s(
            "http-request",
            "set-method",
            F,
            "http-request set-method POST",
        ),
        // http-response actions
        s("http-response", "allow", B, "http-response allow"),
        s(
            "http-response",
            "set-var",
            B,
            "http-response set-var(txn.x) src",
        ),
        s(
            "http-response",
            "set-var-fmt",
            B,
            "http-response set-var-fmt(txn.x) %ci",
        ),
        s(
            "http-response",
            "unset-var",
            B,
            "http-response unset-var(txn.x)",
        ),
        s("http-response", "deny", B, "http-response deny"),
        s(
            "http-response",
            "set-header",
            B,
            "http-response set-header X-A b",
        ),
        s(
            "http-response",
            "add-header",
            B,
            "http-response add-header X-A b",
        ),
        s(
            "http-response",
            "del-header",
            B,
            "http-response del-header X-A",
        ),
        s(
            "http-response",
            "replace-header",
            B,
            "http-response replace-header X-A a b",
        ),
        s(
            "http-response",
            "replace-value",
            B,
            "http-response replace-value X-A a b",
        ),
        s(
            "http-response",
            "set-status",
            B,
            "http-response set-status 503",
        ),
        sc(
            "http-request",
            "cache-use",
            &[(At::Global, "@CACHE@")],
            F,
            "http-request cache-use c1",
        ),
        sc(
            "http-response",
            "cache-store",
            &[(At::Global, "@CACHE@")],
            B,
            "http-response cache-store c1",
        ),
        // http-after-response actions
        s(
            "http-after-response",
            "allow",
            F,
            "http-after-response allow",
        ),
        s(
            "http-after-response",
            "set-header",
            F,
            "http-after-response set-header X-A b",
        ),
        s(
            "http-after-response",
            "add-header",
            F,
            "http-after-response add-header X-A b",
        ),
        s(
            "http-after-response",
            "del-header",
            F,
            "http-after-response del-header X-A",
        ),
        s(
            "http-after-response",
            "replace-header",
            F,
            "http-after-response replace-header X-A a b",
        ),
        s(
            "http-after-response",
            "replace-value",
            F,
            "http-after-response replace-value X-A a b",
        ),
        s(
            "http-after-response",
            "set-status",
            F,
            "http-after-response set-status 500",
        ),
        s(
            "http-after-response",
            "set-var",
            F,
            "http-after-response set-var(txn.x) src",
        ),
        s(
            "http-after-response",
            "set-var-fmt",
            F,
            "http-after-response set-var-fmt(txn.x) %ci",
        ),
        s(
            "http-after-response",
            "unset-var",
            F,
            "http-after-response unset-var(txn.x)",
        ),
        // tcp variables
        s(
            "tcp-request connection",
            "set-var",
            F,
            "tcp-request connection set-var(sess.x) src",
        ),
        s(
            "tcp-request connection",
            "set-var-fmt",
            F,
            "tcp-request connection set-var-fmt(sess.x) %ci",
        ),
        s(
            "tcp-request connection",
            "unset-var",
            F,
            "tcp-request connection unset-var(sess.x)",
        ),
        s(
            "tcp-request session",
            "set-var",
            F,
            "tcp-request session set-var(sess.x) src",
        ),
        s(
            "tcp-request session",
            "set-var-fmt",
            F,
            "tcp-request session set-var-fmt(sess.x) %ci",
        ),
        s(
            "tcp-request session",
            "unset-var",
            F,
            "tcp-request session unset-var(sess.x)",
        ),
        s(
            "tcp-request content",
            "set-var",
            F,
            "tcp-request content set-var(txn.x) src",
        ),
        s(
            "tcp-request content",
            "set-var-fmt",
            F,
            "tcp-request content set-var-fmt(txn.x) %ci",
        ),
        s(
            "tcp-request content",
            "unset-var",
            F,
            "tcp-request content unset-var(txn.x)",
        ),
        // stick counters
        sc(
            "http-request",
            "track-sc0",
            &[(F, "stick-table type ip size 1k store gpc0,gpc1,gpt0")],
            F,
            "http-request track-sc0 src",
        ),
        sc(
            "http-request",
            "track-sc1",
            &[(F, "stick-table type ip size 1k store gpc0,gpc1,gpt0")],
            F,
            "http-request track-sc1 src",
        ),
        sc(
            "http-request",
            "track-sc2",
            &[(F, "stick-table type ip size 1k store gpc0,gpc1,gpt0")],
            F,
            "http-request track-sc2 src",
        ),
        sc(
            "http-request",
            "sc-inc-gpc0",
            &[(F, "stick-table type ip size 1k store gpc0,gpc1,gpt0")],
            F,
            "http-request sc-inc-gpc0(0)",
        ),
        sc(
            "http-request",
            "sc-inc-gpc1",
            &[(F, "stick-table type ip size 1k store gpc0,gpc1,gpt0")],
            F,
            "http-request sc-inc-gpc1(1)",
        ),
        sc(
            "http-request",
            "sc-set-gpt0",
            &[(F, "stick-table type ip size 1k store gpc0,gpc1,gpt0")],
            F,
            "http-request sc-set-gpt0(0) 7",
        ),
        sc(
            "tcp-request connection",
            "track-sc0",
            &[(F, "stick-table type ip size 1k store gpc0,gpc1,gpt0")],
            F,
            "tcp-request connection track-sc0 src",
        ),
        sc(
            "tcp-request connection",
            "track-sc1",
            &[(F, "stick-table type ip size 1k store gpc0,gpc1,gpt0")],
            F,
            "tcp-request connection track-sc1 src",
        ),
        sc(
            "tcp-request connection",
            "track-sc2",
            &[(F, "stick-table type ip size 1k store gpc0,gpc1,gpt0")],
            F,
            "tcp-request connection track-sc2 src",
        ),
        sc(
            "tcp-request connection",
            "sc-inc-gpc0",
            &[(F, "stick-table type ip size 1k store gpc0,gpc1,gpt0")],
            F,
            "tcp-request connection sc-inc-gpc0(0)",
        ),
        sc(
            "tcp-request connection",
            "sc-inc-gpc1",
            &[(F, "stick-table type ip size 1k store gpc0,gpc1,gpt0")],
            F,
            "tcp-request connection sc-inc-gpc1(1)",
        ),
        sc(
            "tcp-request connection",
            "sc-set-gpt0",
            &[(F, "stick-table type ip size 1k store gpc0,gpc1,gpt0")],
            F,
            "tcp-request connection sc-set-gpt0(0) 7",
        ),
        sc(
            "tcp-request session",
            "track-sc0",
            &[(F, "stick-table type ip size 1k store gpc0,gpc1,gpt0")],
            F,
            "tcp-request session track-sc0 src",
        ),
        sc(
            "tcp-request session",
            "track-sc1",
            &[(F, "stick-table type ip size 1k store gpc0,gpc1,gpt0")],
            F,
            "tcp-request session track-sc1 src",
        ),
        sc(
            "tcp-request session",
            "track-sc2",
            &[(F, "stick-table type ip size 1k store gpc0,gpc1,gpt0")],
            F,
            "tcp-request session track-sc2 src",
        ),
        sc(
            "tcp-request session",
            "sc-inc-gpc0",
            &[(F, "stick-table type ip size 1k store gpc0,gpc1,gpt0")],
            F,
            "tcp-request session sc-inc-gpc0(0)",
        ),
        sc(
            "tcp-request session",
            "sc-inc-gpc1",
            &[(F, "stick-table type ip size 1k store gpc0,gpc1,gpt0")],
            F,
            "tcp-request session sc-inc-gpc1(1)",
        ),
        sc(
            "tcp-request session",
            "sc-set-gpt0",
            &[(F, "stick-table type ip size 1k store gpc0,gpc1,gpt0")],
            F,
            "tcp-request session sc-set-gpt0(0) 7",
        ),
        sc(
            "tcp-request content",
            "track-sc0",
            &[(F, "stick-table type ip size 1k store gpc0,gpc1,gpt0")],
            F,
            "tcp-request content track-sc0 src",
        ),
        sc(
            "tcp-request content",
            "track-sc1",
            &[(F, "stick-table type ip size 1k store gpc0,gpc1,gpt0")],
            F,
            "tcp-request content track-sc1 src",
        ),
        sc(
            "tcp-request content",
            "track-sc2",
            &[(F, "stick-table type ip size 1k store gpc0,gpc1,gpt0")],
            F,
            "tcp-request content track-sc2 src",
        ),
        sc(
            "tcp-request content",
            "sc-inc-gpc0",
            &[(F, "stick-table type ip size 1k store gpc0,gpc1,gpt0")],
            F,
            "tcp-request content sc-inc-gpc0(0)",
        ),
        sc(
            "tcp-request content",
            "sc-inc-gpc1",
            &[(F, "stick-table type ip size 1k store gpc0,gpc1,gpt0")],
            F,
            "tcp-request content sc-inc-gpc1(1)",
        ),
        sc(
            "tcp-request content",
            "sc-set-gpt0",
            &[(F, "stick-table type ip size 1k store gpc0,gpc1,gpt0")],
            F,
            "tcp-request content sc-set-gpt0(0) 7",
        ),
        sc(
            "http-response",
            "sc-inc-gpc0",
            &[(B, "stick-table type ip size 1k store gpc0,gpc1,gpt0")],
            B,
            "http-response sc-inc-gpc0(0)",
        ),
        sc(
            "http-response",
            "sc-inc-gpc1",
            &[(B, "stick-table type ip size 1k store gpc0,gpc1,gpt0")],
            B,
            "http-response sc-inc-gpc1(1)",
        ),
        sc(
            "http-response",
            "sc-set-gpt0",
            &[(B, "stick-table type ip size 1k store gpc0,gpc1,gpt0")],
            B,
            "http-response sc-set-gpt0(0) 7",
        ),
        // tcp actions
        s(
            "tcp-request connection",
            "accept",
            F,
            "tcp-request connection accept",
        ),
        s(
            "tcp-request connection",
            "reject",
            F,
            "tcp-request connection reject",
        ),
        s(
            "tcp-request connection",
            "expect-proxy",
            F,
            "tcp-request connection expect-proxy layer4",
        ),
        s(
            "tcp-request session",
            "accept",
            F,
            "tcp-request session accept",
        ),
        s(
            "tcp-request session",
            "reject",
            F,
            "tcp-request session reject",
        ),
        s(
            "tcp-request content",
            "accept",
            F,
            "tcp-request content accept",
        ),
        s(
            "tcp-request content",
            "reject",
            F,
            "tcp-request content reject",
        ),
        sc(
            "tcp-response content",
            "accept",
            &[(At::Defaults, "mode tcp")],
            B,
            "tcp-response content accept",
        ),
        sc(
            "tcp-response content",
            "reject",
            &[(At::Defaults, "mode tcp")],
            B,
            "tcp-response content reject",
        ),
    ]
}

/// Server options: the option's words (appended to a server line), and context.
fn server_samples() -> Vec<(&'static str, &'static str, &'static str)> {
    // (option, words, default-server line before it or "")
    vec![
        ("check", "check", ""),
        ("resolvers", "resolvers dns", "@RESOLVERS@"),
        ("no-check", "no-check", "default-server check"),
        ("inter", "check inter 7s", ""),
        ("fastinter", "check fastinter 7s", ""),
        ("downinter", "check downinter 7s", ""),
        ("rise", "check rise 7", ""),
        ("fall", "check fall 7", ""),
        ("weight", "weight 7", ""),
        ("id", "id 9", ""),
        ("backup", "backup", ""),
        ("no-backup", "no-backup", "default-server backup"),
        ("maxconn", "maxconn 7", ""),
        ("maxqueue", "maxqueue 7", "default-server maxqueue 3"),
        ("port", "check port 7", ""),
        ("addr", "check addr 127.0.0.7", ""),
        ("check-ssl", "check check-ssl verify none", ""),
        (
            "no-check-ssl",
            "check no-check-ssl",
            "default-server check-ssl verify none",
        ),
        ("verify", "check check-ssl verify none", ""),
        ("ssl", "ssl verify none", ""),
        ("sni", "ssl verify none sni str(x.example)", ""),
        ("ca-file", "ssl ca-file @CERT@", ""),
        ("crt", "ssl verify none crt @CERT@", ""),
        ("verifyhost", "ssl ca-file @CERT@ verifyhost x.example", ""),
        (
            "no-verifyhost",
            "ssl ca-file @CERT@ no-verifyhost",
            "default-server verifyhost x.example",
        ),
        ("alpn", "ssl verify none alpn http/1.1", ""),
        ("proto", "proto h2", ""),
        ("ws", "proto h2 ws h1", ""),
        (
            "check-alpn",
            "check ssl verify none check-alpn http/1.1",
            "",
        ),
        ("check-proto", "check check-proto h1", ""),
        ("force-tlsv12", "ssl verify none force-tlsv12", ""),
        ("force-tlsv13", "ssl verify none force-tlsv13", ""),
        ("no-sslv3", "ssl verify none no-sslv3", ""),
        (
            "no-tlsv10",
            "ssl verify none no-tlsv10 no-tlsv11 no-tlsv12",
            "",
        ),
        (
            "no-tlsv11",
            "ssl verify none no-tlsv10 no-tlsv11 no-tlsv12",
            "",
        ),
        (
            "no-tlsv12",
            "ssl verify none no-tlsv10 no-tlsv11 no-tlsv12",
            "",
        ),
        ("no-tlsv13", "ssl verify none no-tlsv13", ""),
        ("ssl-min-ver", "ssl verify none ssl-min-ver TLSv1.3", ""),
        ("ssl-max-ver", "ssl verify none ssl-max-ver TLSv1.2", ""),
        (
            "tls-tickets",
            "ssl verify none tls-tickets",
            "default-server no-tls-tickets",
        ),
        ("no-tls-tickets", "ssl verify none no-tls-tickets", ""),
        (
            "ssl-reuse",
            "ssl verify none ssl-reuse",
            "default-server no-ssl-reuse",
        ),
        ("no-ssl-reuse", "ssl verify none no-ssl-reuse", ""),
        (
            "check-sni",
            "check check-ssl verify none check-sni x.example",
            "",
        ),
        ("send-proxy", "send-proxy", ""),
        ("send-proxy-v2", "send-proxy-v2", ""),
        (
            "no-send-proxy",
            "no-send-proxy",
            "default-server send-proxy",
        ),
        (
            "no-send-proxy-v2",
            "no-send-proxy-v2",
            "default-server send-proxy-v2",
        ),
        ("check-send-proxy", "check check-send-proxy", ""),
        ("cookie", "cookie s7", ""),
        ("disabled", "disabled", ""),
        ("enabled", "enabled", "default-server disabled"),
        ("init-addr", "init-addr none", ""),
        ("resolve-prefer", "resolve-prefer ipv6", ""),
        ("on-marked-down", "on-marked-down shutdown-sessions", ""),
        ("on-marked-up", "on-marked-up shutdown-backup-sessions", ""),
        ("on-error", "observe layer4 on-error mark-down", ""),
        ("error-limit", "observe layer4 error-limit 7", ""),
        ("observe", "observe layer7", ""),
        ("slowstart", "slowstart 7s", ""),
        ("agent-check", "agent-check agent-port 7", ""),
        (
            "no-agent-check",
            "no-agent-check",
            "default-server agent-check agent-port 7",
        ),
        ("agent-port", "agent-check agent-port 7", ""),
        ("agent-inter", "agent-check agent-port 7 agent-inter 7s", ""),
        (
            "agent-addr",
            "agent-check agent-port 7 agent-addr 127.0.0.7",
            "",
        ),
        ("agent-send", "agent-check agent-port 7 agent-send hi", ""),
        ("track", "track s2", ""),
        ("redir", "redir http://r.example", ""),
        ("non-stick", "non-stick", ""),
        ("source", "source 127.0.0.2", ""),
        ("tcp-ut", "tcp-ut 7s", ""),
        ("pool-max-conn", "pool-max-conn 7", ""),
        ("pool-purge-delay", "pool-purge-delay 7s", ""),
        ("no-ssl", "no-ssl", "default-server ssl verify none"),
        ("no-send-proxy-v2-ssl", "no-send-proxy-v2-ssl", ""),
        ("no-send-proxy-v2-ssl-cn", "no-send-proxy-v2-ssl-cn", ""),
    ]
}

/// Bind options: (option, bind line, frontend context line or "").
fn bind_samples() -> Vec<(&'static str, &'static str, &'static str)> {
    vec![
        ("ssl", "bind 127.0.0.1:18443 ssl crt @CERT@", ""),
        ("crt", "bind 127.0.0.1:18443 ssl crt @CERT@", ""),
        (
            "alpn",
            "bind 127.0.0.1:18443 ssl crt @CERT@ alpn http/1.1",
            "",
        ),
        ("v4v6", "bind [::]:18091 v4v6", ""),
        ("v6only", "bind [::]:18091 v6only", ""),
        ("accept-proxy", "bind 127.0.0.1:18091 accept-proxy", ""),
        ("transparent", "bind 127.0.0.1:18091 transparent", ""),
        ("interface", "bind 127.0.0.1:18091 interface lo", ""),
        ("maxconn", "bind 127.0.0.1:18091 maxconn 7", ""),
        ("backlog", "bind 127.0.0.1:18091 backlog 7", ""),
        ("mode", "bind unix@/tmp/walk.sock mode 600", ""),
        ("user", "bind unix@/tmp/walk.sock user nobody", ""),
        ("group", "bind unix@/tmp/walk.sock group nogroup", ""),
        ("uid", "bind unix@/tmp/walk.sock uid 65534", ""),
        ("gid", "bind unix@/tmp/walk.sock gid 65534", ""),
        ("mss", "bind 127.0.0.1:18091 mss 1400", ""),
        ("tcp-ut", "bind 127.0.0.1:18091 tcp-ut 7s", ""),
        ("proto", "bind 127.0.0.1:18091 proto h1", ""),
        (
            "ssl-min-ver",
            "bind 127.0.0.1:18443 ssl crt @CERT@ ssl-min-ver TLSv1.3",
            "",
        ),
        (
            "ssl-max-ver",
            "bind 127.0.0.1:18443 ssl crt @CERT@ ssl-max-ver TLSv1.2",
            "",
        ),
        (
            "no-tlsv12",
            "bind 127.0.0.1:18443 ssl crt @CERT@ no-tlsv12",
            "",
        ),
        (
            "no-tlsv13",
            "bind 127.0.0.1:18443 ssl crt @CERT@ no-tlsv13",
            "",
        ),
        (
            "force-tlsv12",
            "bind 127.0.0.1:18443 ssl crt @CERT@ force-tlsv12",
            "",
        ),
        (
            "force-tlsv13",
            "bind 127.0.0.1:18443 ssl crt @CERT@ force-tlsv13",
            "",
        ),
        (
            "strict-sni",
            "bind 127.0.0.1:18443 ssl crt @CERT@ strict-sni",
            "",
        ),
        (
            "verify",
            "bind 127.0.0.1:18443 ssl crt @CERT@ verify none",
            "",
        ),
        (
            "ca-file",
            "bind 127.0.0.1:18443 ssl crt @CERT@ verify optional ca-file @CERT@",
            "",
        ),
    ]
}

/// Files the samples name.
struct Files {
    dir: tempfile::TempDir,
}

impl Files {
    fn new() -> Files {
        let dir = tempfile::tempdir().unwrap();
        let cert = dir.path().join("site.pem");
        let out = std::process::Command::new("openssl")
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=walk",
                "-keyout",
            ])
            .arg(dir.path().join("k.pem"))
            .arg("-out")
            .arg(dir.path().join("c.pem"))
            .output()
            .expect("openssl");
        assert!(out.status.success());
        let pem = std::fs::read_to_string(dir.path().join("c.pem")).unwrap()
            + &std::fs::read_to_string(dir.path().join("k.pem")).unwrap();
        std::fs::write(&cert, pem).unwrap();
        std::fs::write(
            dir.path().join("503.http"),
            "HTTP/1.0 503 Service Unavailable\r\n\r\nsorry\n",
        )
        .unwrap();
        Files { dir }
    }

    fn fill(&self, text: &str) -> String {
        let d = self.dir.path().display().to_string();
        text.replace("@CERTDIR@", &d)
            .replace("@CERTNAME@", "site.pem")
            .replace("@CERT@", &format!("{d}/site.pem"))
            .replace("@ERRORFILE@", &format!("{d}/503.http"))
            .replace(
                "@HTTPERRORS@",
                &format!("http-errors errs\n    errorfile 503 {d}/503.http"),
            )
            .replace(
                "@RESOLVERS@",
                "resolvers dns\n    nameserver ns1 127.0.0.53:53",
            )
            .replace("@CACHE@", "cache c1\n    total-max-size 4")
            .replace("@MAILERS@", "mailers walkmta\n    mailer m1 127.0.0.1:25")
            .replace("@PEERS@", "peers mesh\n    peer walk1 127.0.0.1:18090")
    }
}

/// A marker `Files::fill` replaces with a whole section.
fn is_section(line: &str) -> bool {
    line == "@HTTPERRORS@"
        || line == "@RESOLVERS@"
        || line == "@CACHE@"
        || line == "@MAILERS@"
        || line == "@PEERS@"
}

/// The base configuration with lines added to its sections.
fn config(lines: &[(At, &str)], server_extra: &str) -> String {
    let pick = |at: At| -> String {
        lines
            .iter()
            .filter(|(a, l)| *a == at && !l.is_empty() && !is_section(l))
            .map(|(_, l)| format!("    {l}\n"))
            .collect()
    };
    let sections: String = lines
        .iter()
        .filter(|(_, l)| is_section(l))
        .map(|(_, l)| format!("{l}\n"))
        .collect();
    format!(
        "global\n{}defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n{}{sections}frontend fe\n    bind 127.0.0.1:18080\n    default_backend be\n{}backend be\n{}    server s1 localhost:18081 {server_extra}\n    server s2 127.0.0.1:18082 check\nbackend be2\n    server t 127.0.0.1:18083\n",
        pick(At::Global),
        pick(At::Defaults),
        pick(At::Frontend),
        pick(At::Backend),
    )
}

/// The plan of a config (or its errors), printed.
fn fingerprint(text: &str) -> (String, Diagnostics) {
    let loaded = haproxy_conf::load_str("walk.cfg", text, &NoEnv);
    let mut diags = loaded.diags;
    if diags.has_errors() {
        return (format!("errors: {diags:?}"), diags);
    }
    let plan = super::plan(&loaded.config, &Args::default(), &mut diags);
    (format!("{plan:#?}"), diags)
}

fn table(name: &str) -> &'static [Keyword] {
    match name {
        "global" => registry::GLOBAL,
        "proxy" => registry::PROXY,
        "option" => registry::OPTIONS,
        t => registry::ACTION_TABLES
            .iter()
            .find(|(n, _)| *n == t)
            .map(|(_, k)| *k)
            .unwrap_or(&[]),
    }
}

#[test]
fn every_keyword_that_runs_changes_the_plan() {
    let files = Files::new();
    let samples = samples("");
    let mut problems = Vec::new();
    let mut tables: Vec<(&str, &[Keyword])> = vec![
        ("global", registry::GLOBAL),
        ("proxy", registry::PROXY),
        ("option", registry::OPTIONS),
    ];
    tables.extend(registry::ACTION_TABLES.iter().copied());
    let mut checked = 0;
    for (tname, t) in &tables {
        for kw in t.iter().filter(|k| k.status == Status::Supported) {
            let neutral = NEUTRAL
                .iter()
                .any(|(tb, n, _)| tb == tname && *n == kw.name);
            let Some(sm) = samples
                .iter()
                .find(|x| x.table == *tname && x.name == kw.name)
            else {
                problems.push(format!("{tname} `{}` runs but has no sample here", kw.name));
                continue;
            };
            let mut with: Vec<(At, &str)> = sm.context.to_vec();
            let base_text = files.fill(&config(&with, ""));
            with.push((sm.at, sm.line));
            let text = files.fill(&config(&with, ""));
            let (a, _) = fingerprint(&base_text);
            let (b, diags) = fingerprint(&text);
            checked += 1;
            // A base that does not run and a line that makes it run is a change too.
            if b.starts_with("errors") || diags.has_errors() {
                problems.push(format!(
                    "{tname} `{}`: `{}` is refused: {b}",
                    kw.name, sm.line
                ));
            } else if neutral {
                continue;
            } else if a == b {
                problems.push(format!(
                    "{tname} `{}` runs, but `{}` changes nothing in the plan",
                    kw.name, sm.line
                ));
            }
        }
    }
    for (opt, _, st) in SERVER_OPTS
        .iter()
        .filter(|(_, _, st)| *st == Status::Supported)
    {
        let _ = st;
        let neutral = NEUTRAL.iter().any(|(tb, n, _)| *tb == "server" && n == opt);
        let Some((_, words, ctx)) = server_samples().into_iter().find(|(n, _, _)| n == opt) else {
            problems.push(format!("server option `{opt}` runs but has no sample here"));
            continue;
        };
        // Without the option: the same words less the option's own.
        let (own, rest) = own_words(words, opt);
        let ctx_lines: Vec<(At, &str)> = if ctx.is_empty() {
            vec![]
        } else {
            vec![(B, ctx)]
        };
        let (a, _) = fingerprint(&files.fill(&config(&ctx_lines, &rest)));
        let (b, diags) = fingerprint(&files.fill(&config(&ctx_lines, words)));
        checked += 1;
        if b.starts_with("errors") || diags.has_errors() {
            problems.push(format!("server option `{opt}`: `{words}` is refused: {b}"));
        } else if !neutral && a == b {
            problems.push(format!(
                "server option `{opt}` runs, but `{own}` changes nothing in the plan"
            ));
        }
    }
    for (opt, _, _) in BIND_OPTS
        .iter()
        .filter(|(_, _, st)| *st == Status::Supported)
    {
        let neutral = NEUTRAL.iter().any(|(tb, n, _)| *tb == "bind" && n == opt);
        let Some((_, line, _)) = bind_samples().into_iter().find(|(n, _, _)| n == opt) else {
            problems.push(format!("bind option `{opt}` runs but has no sample here"));
            continue;
        };
        let (own, rest) = own_words(line, opt);
        let (a, _) = fingerprint(&files.fill(&config(&[(F, rest.as_str())], "")));
        let (b, diags) = fingerprint(&files.fill(&config(&[(F, line)], "")));
        checked += 1;
        if b.starts_with("errors") || diags.has_errors() {
            problems.push(format!("bind option `{opt}`: `{line}` is refused: {b}"));
        } else if !neutral && a == b {
            problems.push(format!(
                "bind option `{opt}` runs, but `{own}` changes nothing in the plan"
            ));
        }
    }
    assert!(checked > 200, "only {checked} entries checked");
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// `words` less the option `opt` (and its value when it takes one): what the line is
/// without it. `ssl` stays when removing `crt` (a bind without `crt` is an error).
fn own_words(words: &str, opt: &str) -> (String, String) {
    let ws: Vec<&str> = words.split_whitespace().collect();
    let Some(i) = ws.iter().position(|w| *w == opt) else {
        return (opt.to_string(), words.to_string());
    };
    let takes = SERVER_OPTS
        .iter()
        .chain(BIND_OPTS.iter())
        .find(|(n, _, _)| *n == opt)
        .is_some_and(|(_, t, _)| *t);
    let end = if takes { i + 2 } else { i + 1 };
    let own = ws[i..end.min(ws.len())].join(" ");
    let mut rest: Vec<&str> = ws[..i].to_vec();
    rest.extend_from_slice(&ws[end.min(ws.len())..]);
    // A TLS bind needs its certificate: removing `ssl` removes `crt FILE` too, and
    // removing `crt` keeps the bind plain.
    if opt == "ssl" || opt == "crt" {
        if let Some(j) = rest.iter().position(|w| *w == "crt" || *w == "ssl") {
            rest.truncate(j);
        }
    }
    (own, rest.join(" "))
}

#[test]
fn ignored_entries_warn_and_refused_ones_are_errors() {
    let mut problems = Vec::new();
    // A line is tried with a value and without one (the warning or the error comes
    // before the value is read, but a keyword taking none refuses an extra word first).
    let check = |what: String, text: String, st: Status, problems: &mut Vec<String>| {
        let want = match st {
            Status::Ignored(_) => codes::NOT_IMPLEMENTED,
            Status::Refused(_) => codes::REFUSED,
            _ => return,
        };
        let bare = text.replace(" 1\n", "\n");
        let has = |t: &str| {
            haproxy_conf::load_str("walk.cfg", t, &NoEnv)
                .diags
                .has_code(want)
        };
        if !has(&text) && !has(&bare) {
            problems.push(format!("{what}: no {want} for\n{text}"));
        }
    };
    let section_for = |mask: u8| {
        if mask & registry::F != 0 {
            "frontend fe\n    bind 127.0.0.1:18080\n"
        } else if mask & registry::B != 0 {
            "backend be\n"
        } else if mask & registry::L != 0 {
            "listen li\n    bind 127.0.0.1:18080\n"
        } else {
            "defaults\n"
        }
    };
    for kw in registry::GLOBAL {
        check(
            format!("global `{}`", kw.name),
            format!("global\n    {} 1\n", kw.name),
            kw.status,
            &mut problems,
        );
    }
    for kw in registry::PROXY {
        check(
            format!("`{}`", kw.name),
            format!("{}    {} 1\n", section_for(kw.sections), kw.name),
            kw.status,
            &mut problems,
        );
    }
    for kw in registry::OPTIONS {
        check(
            format!("`option {}`", kw.name),
            format!("{}    option {}\n", section_for(kw.sections), kw.name),
            kw.status,
            &mut problems,
        );
    }
    for (t, table) in registry::ACTION_TABLES {
        let (section, kw) = match *t {
            "http-request" => ("frontend fe\n    bind 127.0.0.1:18080\n", "http-request"),
            "http-response" => ("backend be\n", "http-response"),
            "http-after-response" => (
                "frontend fe\n    bind 127.0.0.1:18080\n",
                "http-after-response",
            ),
            "tcp-request connection" => (
                "frontend fe\n    bind 127.0.0.1:18080\n",
                "tcp-request connection",
            ),
            "tcp-request session" => (
                "frontend fe\n    bind 127.0.0.1:18080\n",
                "tcp-request session",
            ),
            "tcp-request content" => (
                "frontend fe\n    bind 127.0.0.1:18080\n",
                "tcp-request content",
            ),
            _ => ("backend be\n", "tcp-response content"),
        };
        for a in table.iter() {
            check(
                format!("{t} `{}`", a.name),
                format!("{section}    {kw} {} x\n", a.name),
                a.status,
                &mut problems,
            );
        }
    }
    for (opt, takes, st) in SERVER_OPTS {
        let v = if *takes { " 1" } else { "" };
        check(
            format!("server option `{opt}`"),
            format!("backend be\n    server s 127.0.0.1:80 {opt}{v}\n"),
            *st,
            &mut problems,
        );
    }
    for (opt, takes, st) in BIND_OPTS {
        let v = if *takes { " 1" } else { "" };
        check(
            format!("bind option `{opt}`"),
            format!("frontend fe\n    bind 127.0.0.1:80 {opt}{v}\n"),
            *st,
            &mut problems,
        );
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn neutral_entries_are_accounted_for() {
    // Every entry said to change nothing must exist and run.
    for (t, name, why) in NEUTRAL {
        assert!(!why.is_empty());
        let found = match *t {
            "server" => SERVER_OPTS
                .iter()
                .any(|(n, _, st)| n == name && *st == Status::Supported),
            "bind" => BIND_OPTS
                .iter()
                .any(|(n, _, st)| n == name && *st == Status::Supported),
            t => table(t)
                .iter()
                .any(|k| k.name == *name && k.status == Status::Supported),
        };
        assert!(found, "{t} {name} is not a running entry");
    }
}
