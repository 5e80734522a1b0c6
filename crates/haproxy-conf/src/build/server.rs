//! `server`, `default-server` and `bind` lines with their options.

use super::Builder;
use crate::codes;
use crate::model::{Bind, Observe, OnError, Proxy, Server, ServerOpts};
use crate::source::Line;
use crate::values;
use conf_diag::Diagnostic;

use crate::registry::Status::{self, Ignored as I, Refused as R, Supported as S};

/// A `server`/`bind` option: its name, whether it takes a value, and what proxyd does.
pub type Opt = (&'static str, bool, Status);

const TLS_SRV: &str =
    "proxyd speaks TLS to servers only for health checks (`check-ssl`), with rustls' defaults";
const TLS_BIND: &str = "proxyd uses rustls' safe protocol versions, cipher suites and groups";
const TUNING: &str = "a tuning knob proxyd has no equivalent for";

/// Server (and default-server) options, HAProxy 2.6's list.
pub const SERVER_OPTS: &[Opt] = &[
    ("check", false, S),
    ("no-check", false, S),
    ("inter", true, S),
    ("fastinter", true, S),
    ("downinter", true, S),
    ("rise", true, S),
    ("fall", true, S),
    ("weight", true, S),
    ("backup", false, S),
    ("no-backup", false, S),
    ("maxconn", true, S),
    ("maxqueue", true, S),
    (
        "minconn",
        true,
        I("dynamic limits (minconn with fullconn) are not run: maxconn applies"),
    ),
    ("port", true, S),
    ("addr", true, S),
    ("check-ssl", false, S),
    ("no-check-ssl", false, S),
    (
        "ssl",
        false,
        R("TLS towards servers is not run by proxyd yet (only for health checks, with `check-ssl`)"),
    ),
    ("no-ssl", false, S),
    ("verify", true, S),
    ("sni", true, S),
    ("check-sni", true, S),
    ("send-proxy", false, S),
    ("send-proxy-v2", false, S),
    ("no-send-proxy", false, S),
    ("no-send-proxy-v2", false, S),
    ("check-send-proxy", false, S),
    (
        "send-proxy-v2-ssl",
        false,
        R("PROXY v2 TLS fields are not sent by proxyd yet"),
    ),
    (
        "send-proxy-v2-ssl-cn",
        false,
        R("PROXY v2 TLS fields are not sent by proxyd yet"),
    ),
    ("no-send-proxy-v2-ssl", false, S),
    ("no-send-proxy-v2-ssl-cn", false, S),
    (
        "proxy-v2-options",
        true,
        R("PROXY v2 extra fields are not sent by proxyd yet"),
    ),
    ("cookie", true, S),
    ("disabled", false, S),
    ("enabled", false, S),
    ("init-addr", true, S),
    // Runs: the name is followed (looked up every 10 s, a new address used), through
    // the system resolver; the warning says so where the section's nameservers differ.
    ("resolvers", true, S),
    ("resolve-prefer", true, S),
    (
        "resolve-net",
        true,
        I("names are resolved with the system resolver (/etc/resolv.conf), which has no such setting"),
    ),
    (
        "resolve-opts",
        true,
        I("names are resolved with the system resolver (/etc/resolv.conf), which has no such setting"),
    ),
    ("on-marked-down", true, S),
    ("on-marked-up", true, S),
    ("on-error", true, S),
    ("error-limit", true, S),
    ("observe", true, S),
    ("slowstart", true, S),
    ("agent-check", false, S),
    ("no-agent-check", false, S),
    ("agent-port", true, S),
    ("agent-inter", true, S),
    ("agent-addr", true, S),
    ("agent-send", true, S),
    ("track", true, S),
    ("redir", true, S),
    ("non-stick", false, S),
    (
        "id",
        true,
        I("numeric server ids only show in the runtime API, which comes later"),
    ),
    ("source", true, S),
    (
        "usesrc",
        true,
        R("transparent source addresses need TPROXY, which proxyd does not set up yet"),
    ),
    ("tcp-ut", true, S),
    ("pool-max-conn", true, S),
    ("pool-purge-delay", true, I(TUNING)),
    ("pool-low-conn", true, I(TUNING)),
    ("max-reuse", true, I(TUNING)),
    ("tfo", false, I(TUNING)),
    ("no-tfo", false, I(TUNING)),
    (
        "proto",
        true,
        R("only HTTP/1.1 is spoken to servers for now"),
    ),
    (
        "namespace",
        true,
        R("connecting from another network namespace is not run yet"),
    ),
    (
        "socks4",
        true,
        R("connecting through a SOCKS4 proxy is not run yet"),
    ),
    (
        "check-via-socks4",
        false,
        R("connecting through a SOCKS4 proxy is not run yet"),
    ),
    ("check-proto", true, I(TLS_SRV)),
    ("check-alpn", true, I(TLS_SRV)),
    ("ca-file", true, I(TLS_SRV)),
    ("crt", true, I(TLS_SRV)),
    ("crl-file", true, I(TLS_SRV)),
    ("alpn", true, I(TLS_SRV)),
    ("npn", true, I(TLS_SRV)),
    ("ciphers", true, I(TLS_SRV)),
    ("ciphersuites", true, I(TLS_SRV)),
    ("force-sslv3", false, I(TLS_SRV)),
    ("force-tlsv10", false, I(TLS_SRV)),
    ("force-tlsv11", false, I(TLS_SRV)),
    ("force-tlsv12", false, I(TLS_SRV)),
    ("force-tlsv13", false, I(TLS_SRV)),
    ("no-sslv3", false, I(TLS_SRV)),
    ("no-tlsv10", false, I(TLS_SRV)),
    ("no-tlsv11", false, I(TLS_SRV)),
    ("no-tlsv12", false, I(TLS_SRV)),
    ("no-tlsv13", false, I(TLS_SRV)),
    ("ssl-min-ver", true, I(TLS_SRV)),
    ("ssl-max-ver", true, I(TLS_SRV)),
    ("no-verifyhost", false, I(TLS_SRV)),
    ("verifyhost", true, I(TLS_SRV)),
    ("no-tls-tickets", false, I(TLS_SRV)),
    ("tls-tickets", false, I(TLS_SRV)),
    ("allow-0rtt", false, I(TLS_SRV)),
    ("ssl-reuse", false, I(TLS_SRV)),
    ("no-ssl-reuse", false, I(TLS_SRV)),
    ("ws", true, I("only HTTP/1.1 is spoken to servers for now")),
    ("log-proto", true, I("proxyd does not send logs yet")),
];

/// Bind options, HAProxy 2.6's list.
pub const BIND_OPTS: &[Opt] = &[
    ("name", true, I("listener names only show in logs and the runtime API, which come later")),
    ("ssl", false, S),
    ("crt", true, S),
    (
        "crt-list",
        true,
        R("certificate lists (with per-certificate options) are not read by proxyd yet; name the files with `crt`"),
    ),
    (
        "ca-file",
        true,
        I("client certificates are not requested (`verify none`), so no CA is needed"),
    ),
    ("alpn", true, S),
    ("npn", true, I("NPN is obsolete; rustls negotiates with ALPN")),
    ("v4v6", false, S),
    ("v6only", false, S),
    ("accept-proxy", false, S),
    (
        "accept-netscaler-cip",
        true,
        R("the NetScaler client-IP header is not read by proxyd yet"),
    ),
    ("transparent", false, S),
    (
        "defer-accept",
        false,
        I("connections are accepted as they come; a server waiting for data is not needed"),
    ),
    ("interface", true, S),
    ("maxconn", true, S),
    ("backlog", true, S),
    ("mode", true, S),
    ("user", true, S),
    ("group", true, S),
    ("uid", true, S),
    ("gid", true, S),
    ("level", true, I("stats sockets come with the runtime API")),
    ("severity-output", true, I("stats sockets come with the runtime API")),
    ("expose-fd", true, I("stats sockets come with the runtime API")),
    ("process", true, I("proxyd runs one process")),
    ("thread", true, I(TUNING)),
    ("shards", true, I(TUNING)),
    ("tfo", false, I(TUNING)),
    ("mss", true, S),
    ("nice", true, I(TUNING)),
    ("id", true, I("listener ids only show in the runtime API, which comes later")),
    ("tcp-ut", true, S),
    (
        "namespace",
        true,
        R("listening in another network namespace is not run yet"),
    ),
    ("proto", true, S),
    ("ciphers", true, I(TLS_BIND)),
    ("ciphersuites", true, I(TLS_BIND)),
    ("curves", true, I(TLS_BIND)),
    ("ecdhe", true, I(TLS_BIND)),
    ("ssl-min-ver", true, S),
    ("ssl-max-ver", true, S),
    ("no-sslv3", false, I("rustls never speaks SSLv3")),
    ("no-tlsv10", false, I("rustls never speaks TLSv1.0")),
    ("no-tlsv11", false, I("rustls never speaks TLSv1.1")),
    ("no-tlsv12", false, S),
    ("no-tlsv13", false, S),
    (
        "force-sslv3",
        false,
        R("rustls does not speak SSLv3, so those clients could not connect"),
    ),
    (
        "force-tlsv10",
        false,
        R("rustls does not speak TLSv1.0, so those clients could not connect"),
    ),
    (
        "force-tlsv11",
        false,
        R("rustls does not speak TLSv1.1, so those clients could not connect"),
    ),
    ("force-tlsv12", false, S),
    ("force-tlsv13", false, S),
    ("strict-sni", false, S),
    ("prefer-client-ciphers", false, I(TLS_BIND)),
    ("verify", true, S),
    (
        "crl-file",
        true,
        R("client certificates are not verified by proxyd yet"),
    ),
    (
        "ca-verify-file",
        true,
        R("client certificates are not verified by proxyd yet"),
    ),
    (
        "crt-ignore-err",
        true,
        R("client certificates are not verified by proxyd yet"),
    ),
    (
        "ca-ignore-err",
        true,
        R("client certificates are not verified by proxyd yet"),
    ),
    ("no-ca-names", false, I("client certificates are not requested")),
    (
        "generate-certificates",
        false,
        R("certificates are not generated on the fly by proxyd"),
    ),
    (
        "ca-sign-file",
        true,
        R("certificates are not generated on the fly by proxyd"),
    ),
    (
        "ca-sign-pass",
        true,
        R("certificates are not generated on the fly by proxyd"),
    ),
    ("allow-0rtt", false, I("TLS early data is not accepted (the handshake completes first)")),
    ("no-tls-tickets", false, I("rustls issues no session tickets unless told to")),
    ("tls-ticket-keys", true, I("rustls issues no session tickets unless told to")),
    ("quic-cc-algo", true, I("proxyd does not speak QUIC")),
    ("quic-force-retry", false, I("proxyd does not speak QUIC")),
];

fn lookup(table: &[Opt], name: &str) -> Option<(bool, Status)> {
    table
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, v, st)| (*v, *st))
}

/// `1s` or `1000` as milliseconds, for options written as times.
fn time_ms(v: &str) -> Result<u64, String> {
    values::parse_time_ms(v)
}

impl Builder<'_> {
    fn unknown_option(&mut self, what: &str, w: &crate::source::Word, table: &[Opt]) {
        let mut d = Diagnostic::error(
            codes::UNKNOWN_KEYWORD,
            format!("unknown {what} option `{}`", w.text),
        )
        .at(w.span)
        .label("unknown option");
        if let Some(s) = conf_diag::did_you_mean(&w.text, table.iter().map(|(n, _, _)| *n)) {
            d = d.help(format!("did you mean `{s}`?"));
        }
        self.diags.push(d);
    }

    /// Walks the options of a `server`/`default-server`/`bind` line from word `from`:
    /// unknown ones and missing values are errors, ignored ones warn, refused ones are
    /// errors; `apply` gets each option that runs or is ignored (to check its value, as
    /// HAProxy does) with its value word.
    fn options_of(
        &mut self,
        what: &str,
        table: &[Opt],
        line: &Line,
        from: usize,
        mut apply: impl FnMut(&mut Self, &str, Option<&crate::source::Word>, usize),
    ) {
        let mut i = from;
        while let Some(w) = line.words.get(i) {
            let name = w.text.as_str();
            let Some((takes, status)) = lookup(table, name) else {
                self.unknown_option(what, w, table);
                i += 1;
                continue;
            };
            if takes && line.words.get(i + 1).is_none() {
                self.diags.push(
                    Diagnostic::error(
                        codes::MISSING_ARG,
                        format!("{what} option `{name}` expects a value"),
                    )
                    .at(w.span)
                    .help(format!("write `{name} <value>`")),
                );
                return;
            }
            let span = if takes {
                w.span.to(line.words[i + 1].span)
            } else {
                w.span
            };
            match status {
                Status::Supported | Status::Legacy(_) => {
                    apply(self, name, line.words.get(i + 1).filter(|_| takes), i)
                }
                Status::Ignored(why) => {
                    self.diags.push(
                        Diagnostic::warning(
                            codes::NOT_IMPLEMENTED,
                            format!("{what} option `{name}` is not run by proxyd yet, ignored"),
                        )
                        .at(span)
                        .label("ignored")
                        .help(why.to_string()),
                    );
                    apply(self, name, line.words.get(i + 1).filter(|_| takes), i);
                }
                Status::Refused(why) => self.diags.push(
                    Diagnostic::error(
                        codes::REFUSED,
                        format!("{what} option `{name}` is not run by proxyd yet"),
                    )
                    .at(span)
                    .label("not supported by proxyd yet")
                    .help(format!(
                        "{why}; HAProxy accepts it: remove it or keep this proxy on HAProxy for now"
                    )),
                ),
            }
            i += if takes { 2 } else { 1 };
        }
    }

    pub(super) fn server(&mut self, p: &mut Proxy, line: &Line, a: usize) {
        let Some(name) = self.arg(line, a, "a name", "server") else {
            return;
        };
        let Some(addr_w) = self.arg(line, a + 1, "an address", "server") else {
            return;
        };
        let addr_text = self.expand_address(&addr_w.text);
        let addr = match values::parse_server_addr(&addr_text) {
            Ok(addr) => addr,
            Err(e) => {
                self.diags.push(
                    Diagnostic::error(
                        if e.message.contains("port") {
                            codes::BAD_PORT
                        } else {
                            codes::BAD_ADDRESS
                        },
                        format!("server `{}`: {}", name.text, e.message),
                    )
                    .at(addr_w.span)
                    .help(e.help),
                );
                return;
            }
        };
        let mut opts = p.default_server.clone();
        self.server_options(&mut opts, line, a + 2);
        p.servers.push(Server {
            name: name.text.clone(),
            addr,
            opts,
            span: name.span,
            addr_span: addr_w.span,
        });
    }

    fn bad_value(&mut self, w: &crate::source::Word, msg: String, help: &str) {
        self.diags.push(
            Diagnostic::error(codes::BAD_VALUE, msg)
                .at(w.span)
                .help(help.to_string()),
        );
    }

    pub(super) fn server_options(&mut self, o: &mut ServerOpts, line: &Line, from: usize) {
        self.options_of("server", SERVER_OPTS, line, from, |me, name, val, i| {
            let text = val.map(|w| w.text.clone()).unwrap_or_default();
            let time = |me: &mut Self| me.time(line, i + 1, name);
            let num = |me: &mut Self| me.uint(line, i + 1, name);
            match name {
                "check" => o.check = true,
                "no-check" => o.check = false,
                "inter" => o.inter_ms = time(me).unwrap_or(o.inter_ms),
                "fastinter" => o.fastinter_ms = time(me),
                "downinter" => o.downinter_ms = time(me),
                "rise" => o.rise = num(me).map(|v| v as u32).unwrap_or(o.rise),
                "fall" => o.fall = num(me).map(|v| v as u32).unwrap_or(o.fall),
                "weight" => {
                    if let Some(v) = num(me) {
                        if v > 256 {
                            me.diags.push(
                                Diagnostic::error(
                                    codes::BAD_VALUE,
                                    format!("server weight {v} is out of range"),
                                )
                                .at(line.words[i + 1].span)
                                .help("weights go from 0 to 256"),
                            );
                        } else {
                            o.weight = v as u32;
                        }
                    }
                }
                "backup" => o.backup = true,
                "no-backup" => o.backup = false,
                "maxconn" => o.maxconn = num(me),
                "maxqueue" => o.maxqueue = num(me),
                "port" => match text.parse::<u32>() {
                    Ok(v) if (1..=65535).contains(&v) => o.check_port = Some(v as u16),
                    _ => me.diags.push(
                        Diagnostic::error(codes::BAD_PORT, format!("invalid check port `{text}`"))
                            .at(line.words[i + 1].span)
                            .help("ports go from 1 to 65535"),
                    ),
                },
                "addr" => {
                    if text.parse::<std::net::IpAddr>().is_err() {
                        if let Some(w) = val {
                            me.bad_value(
                                w,
                                format!("`addr {text}`: not an IP address"),
                                "write the address health checks go to, e.g. `addr 10.0.0.5`",
                            );
                        }
                    }
                    o.check_addr = Some(text);
                }
                "check-ssl" => o.check_ssl = true,
                "no-check-ssl" => o.check_ssl = false,
                "no-ssl" => o.ssl = false,
                "verify" => {
                    if !matches!(text.as_str(), "none" | "required") {
                        if let Some(w) = val {
                            me.bad_value(
                                w,
                                format!("`verify {text}`: expected none or required"),
                                "write `verify none` or `verify required`",
                            );
                        }
                    }
                    o.verify = Some(text)
                }
                "sni" | "check-sni" => o.sni = Some(text),
                "send-proxy" => o.send_proxy = true,
                "send-proxy-v2" => o.send_proxy_v2 = true,
                "no-send-proxy" => o.send_proxy = false,
                "no-send-proxy-v2" => o.send_proxy_v2 = false,
                "no-send-proxy-v2-ssl" | "no-send-proxy-v2-ssl-cn" => {}
                "check-send-proxy" => o.check_send_proxy = true,
                "cookie" => o.cookie = Some(text),
                "disabled" => o.disabled = true,
                "enabled" => o.disabled = false,
                "init-addr" => {
                    for m in text.split(',') {
                        let ok = matches!(m, "last" | "libc" | "none")
                            || m.parse::<std::net::IpAddr>().is_ok();
                        if !ok {
                            if let Some(w) = val {
                                me.bad_value(
                                    w,
                                    format!("`init-addr {text}`: unknown method `{m}`"),
                                    "use last, libc, none or an IP address, separated by commas",
                                );
                            }
                        }
                    }
                    o.init_addr = Some(text)
                }
                "resolve-prefer" => {
                    if !matches!(text.as_str(), "ipv4" | "ipv6") {
                        if let Some(w) = val {
                            me.bad_value(w, format!("`resolve-prefer {text}`"), "use ipv4 or ipv6");
                        }
                    }
                    o.resolvers_prefer = Some(text)
                }
                "on-marked-down" => {
                    if text != "shutdown-sessions" {
                        if let Some(w) = val {
                            me.bad_value(
                                w,
                                format!("`on-marked-down {text}`: unknown action"),
                                "the only action is shutdown-sessions",
                            );
                        }
                    }
                    o.on_marked_down = Some(text)
                }
                "on-marked-up" => {
                    if text != "shutdown-backup-sessions" {
                        if let Some(w) = val {
                            me.bad_value(
                                w,
                                format!("`on-marked-up {text}`: unknown action"),
                                "the only action is shutdown-backup-sessions",
                            );
                        }
                    }
                    o.on_marked_up = Some(text)
                }
                "on-error" => {
                    o.on_error = match text.as_str() {
                        "fastinter" => OnError::Fastinter,
                        "fail-check" => OnError::FailCheck,
                        "sudden-death" => OnError::SuddenDeath,
                        "mark-down" => OnError::MarkDown,
                        _ => {
                            if let Some(w) = val {
                                me.bad_value(
                                    w,
                                    format!("`on-error {text}`: unknown mode"),
                                    "use fastinter, fail-check, sudden-death or mark-down",
                                );
                            }
                            return;
                        }
                    }
                }
                "error-limit" => {
                    if let Some(v) = num(me) {
                        o.error_limit = v.min(u64::from(u32::MAX)) as u32;
                    }
                }
                "observe" => {
                    o.observe = match text.as_str() {
                        "layer4" => Some(Observe::Layer4),
                        "layer7" => Some(Observe::Layer7),
                        _ => {
                            if let Some(w) = val {
                                me.bad_value(
                                    w,
                                    format!("`observe {text}`: unknown mode"),
                                    "use layer4 or layer7",
                                );
                            }
                            return;
                        }
                    }
                }
                "slowstart" => o.slowstart_ms = time(me),
                "agent-check" => o.agent_check = true,
                "no-agent-check" => o.agent_check = false,
                "agent-port" => match text.parse::<u32>() {
                    Ok(v) if (1..=65535).contains(&v) => o.agent.port = Some(v as u16),
                    _ => me.diags.push(
                        Diagnostic::error(codes::BAD_PORT, format!("invalid agent port `{text}`"))
                            .at(line.words[i + 1].span)
                            .help("ports go from 1 to 65535"),
                    ),
                },
                "agent-inter" => o.agent.inter_ms = time(me),
                "agent-addr" => o.agent.addr = Some(text),
                "agent-send" => o.agent.send = Some(text),
                "track" => o.track = Some(text),
                "redir" => o.redir = Some(text),
                "non-stick" => o.non_stick = true,
                // Ignored (with a warning) but kept: the checks HAProxy makes read them.
                "resolvers" => {
                    if let Some(w) = val {
                        me.diags.push(
                            Diagnostic::warning(
                                codes::NOT_IMPLEMENTED,
                                format!("server option `resolvers {text}`: the name is followed (looked up again every 10 s) with the system resolver, not the nameservers of `{text}`"),
                            )
                            .at(w.span)
                            .label("system resolver")
                            .help("if those nameservers are not the ones in /etc/resolv.conf, make them so; otherwise this changes nothing"),
                        );
                    }
                    o.resolvers = Some(text);
                }
                "ca-file" => o.ca_file = Some(text),
                "source" => o.source = Some(text),
                "tcp-ut" => match time_ms(&text) {
                    Ok(v) => o.tcp_user_timeout_ms = Some(v),
                    Err(e) => {
                        if let Some(w) = val {
                            me.bad_value(w, format!("`tcp-ut`: {e}"), "write e.g. `tcp-ut 20s`");
                        }
                    }
                },
                "pool-max-conn" => match text.parse::<i64>() {
                    Ok(v) if v >= -1 => o.pool_max_conn = Some(v),
                    _ => {
                        if let Some(w) = val {
                            me.bad_value(
                                w,
                                format!("`pool-max-conn {text}`"),
                                "write -1 (no limit), 0 (no reuse) or a count",
                            );
                        }
                    }
                },
                _ => {}
            }
        });
    }

    pub(super) fn bind(&mut self, p: &mut Proxy, line: &Line, a: usize) {
        let Some(addr_w) = self.arg(line, a, "an address", "bind") else {
            return;
        };
        let text = self.expand_address(&addr_w.text);
        let mut addrs = Vec::new();
        for part in text.split(',') {
            match values::parse_listen(part) {
                Ok(l) => addrs.push(l),
                Err(e) => self.diags.push(
                    Diagnostic::error(
                        if e.message.contains("port") {
                            codes::BAD_PORT
                        } else {
                            codes::BAD_ADDRESS
                        },
                        format!("bind: {}", e.message),
                    )
                    .at(addr_w.span)
                    .help(e.help),
                ),
            }
        }
        let mut b = Bind {
            addrs,
            name: None,
            ssl: false,
            crt: Vec::new(),
            alpn: None,
            proto: None,
            v4v6: false,
            v6only: false,
            accept_proxy: false,
            transparent: false,
            interface: None,
            maxconn: None,
            backlog: None,
            strict_sni: false,
            ssl_min_ver: None,
            ssl_max_ver: None,
            unix_mode: None,
            unix_user: None,
            unix_group: None,
            tcp_user_timeout_ms: None,
            mss: None,
            span: line.span(),
        };
        self.options_of("bind", BIND_OPTS, line, a + 1, |me, name, val, i| {
            let text = val.map(|w| w.text.clone()).unwrap_or_default();
            let tls_ver = |me: &mut Self| -> Option<String> {
                match text.as_str() {
                    "TLSv1.2" | "TLSv1.3" => Some(text.clone()),
                    "SSLv3" | "TLSv1.0" | "TLSv1.1" => {
                        if let Some(w) = val {
                            me.diags.push(
                                Diagnostic::error(
                                    codes::REFUSED,
                                    format!("`{name} {text}`: rustls does not speak {text}"),
                                )
                                .at(w.span)
                                .label("not supported by proxyd")
                                .help("use TLSv1.2 or TLSv1.3"),
                            );
                        }
                        None
                    }
                    _ => {
                        if let Some(w) = val {
                            me.bad_value(
                                w,
                                format!("`{name} {text}`: unknown protocol version"),
                                "use SSLv3, TLSv1.0, TLSv1.1, TLSv1.2 or TLSv1.3",
                            );
                        }
                        None
                    }
                }
            };
            match name {
                // Ignored (warned) but kept in the model, as written.
                "name" => b.name = Some(text),
                "ssl" => b.ssl = true,
                "crt" => b.crt.push(text),
                "alpn" => b.alpn = Some(text.split(',').map(str::to_string).collect()),
                "proto" => b.proto = Some(text),
                "v4v6" => b.v4v6 = true,
                "v6only" => b.v6only = true,
                "accept-proxy" => b.accept_proxy = true,
                "transparent" => b.transparent = true,
                "interface" => b.interface = Some(text),
                "maxconn" => b.maxconn = me.uint(line, i + 1, "maxconn"),
                "backlog" => b.backlog = me.uint(line, i + 1, "backlog"),
                "strict-sni" => b.strict_sni = true,
                "ssl-min-ver" => b.ssl_min_ver = tls_ver(me),
                "ssl-max-ver" => b.ssl_max_ver = tls_ver(me),
                "force-tlsv12" => {
                    b.ssl_min_ver = Some("TLSv1.2".into());
                    b.ssl_max_ver = Some("TLSv1.2".into());
                }
                "force-tlsv13" => {
                    b.ssl_min_ver = Some("TLSv1.3".into());
                    b.ssl_max_ver = Some("TLSv1.3".into());
                }
                "no-tlsv12" => b.ssl_min_ver = Some("TLSv1.3".into()),
                "no-tlsv13" => b.ssl_max_ver = Some("TLSv1.2".into()),
                "verify" => {
                    match text.as_str() {
                        "none" => {}
                        "optional" | "required" => {
                            if let Some(w) = val {
                                me.diags.push(
                                    Diagnostic::error(
                                        codes::REFUSED,
                                        format!("`verify {text}`: client certificates are not verified by proxyd yet"),
                                    )
                                    .at(w.span)
                                    .label("not supported by proxyd yet")
                                    .help("HAProxy accepts it; proxyd would let clients in without a certificate, so it refuses the file"),
                                );
                            }
                        }
                        _ => {
                            if let Some(w) = val {
                                me.bad_value(w, format!("`verify {text}`"), "use none, optional or required");
                            }
                        }
                    }
                }
                "mode" => match u32::from_str_radix(&text, 8) {
                    Ok(m) if m <= 0o7777 => b.unix_mode = Some(m),
                    _ => {
                        if let Some(w) = val {
                            me.bad_value(w, format!("`mode {text}`: not an octal mode"), "write e.g. `mode 660`");
                        }
                    }
                },
                "user" | "uid" => b.unix_user = Some(text),
                "group" | "gid" => b.unix_group = Some(text),
                "tcp-ut" => match time_ms(&text) {
                    Ok(v) => b.tcp_user_timeout_ms = Some(v),
                    Err(e) => {
                        if let Some(w) = val {
                            me.bad_value(w, format!("`tcp-ut`: {e}"), "write e.g. `tcp-ut 20s`");
                        }
                    }
                },
                "mss" => match text.trim_start_matches('-').parse::<u32>() {
                    Ok(v) => b.mss = Some(v),
                    Err(_) => {
                        if let Some(w) = val {
                            me.bad_value(w, format!("`mss {text}`"), "write a segment size in bytes");
                        }
                    }
                },
                _ => {}
            }
        });
        if b.ssl && b.crt.is_empty() {
            self.diags.push(
                Diagnostic::error(codes::MISSING_ARG, "`bind … ssl` without a certificate")
                    .at(line.span())
                    .help("add `crt /etc/haproxy/certs/site.pem` (a file or a directory of PEM files)"),
            );
        }
        p.binds.push(b);
    }
}
