//! `server`, `default-server` and `bind` lines with their options.

use super::Builder;
use crate::codes;
use crate::model::{Bind, Proxy, Server, ServerOpts};
use crate::source::Line;
use crate::values;
use conf_diag::Diagnostic;

/// Server options and whether they take a value.
const SERVER_OPTS: &[(&str, bool)] = &[
    ("check", false),
    ("no-check", false),
    ("inter", true),
    ("fastinter", true),
    ("downinter", true),
    ("rise", true),
    ("fall", true),
    ("weight", true),
    ("backup", false),
    ("no-backup", false),
    ("maxconn", true),
    ("maxqueue", true),
    ("minconn", true),
    ("port", true),
    ("addr", true),
    ("check-ssl", false),
    ("no-check-ssl", false),
    ("ssl", false),
    ("no-ssl", false),
    ("verify", true),
    ("sni", true),
    ("send-proxy", false),
    ("send-proxy-v2", false),
    ("no-send-proxy", false),
    ("cookie", true),
    ("disabled", false),
    ("enabled", false),
    ("init-addr", true),
    ("resolvers", true),
    ("resolve-prefer", true),
    ("resolve-net", true),
    ("resolve-opts", true),
    ("on-marked-down", true),
    ("on-marked-up", true),
    ("on-error", true),
    ("error-limit", true),
    ("slowstart", true),
    ("agent-check", false),
    ("agent-port", true),
    ("agent-inter", true),
    ("agent-addr", true),
    ("agent-send", true),
    ("ca-file", true),
    ("crt", true),
    ("alpn", true),
    ("check-alpn", true),
    ("check-sni", true),
    ("check-send-proxy", false),
    ("check-proto", true),
    ("observe", true),
    ("redir", true),
    ("track", true),
    ("id", true),
    ("source", true),
    ("tfo", false),
    ("pool-max-conn", true),
    ("pool-purge-delay", true),
    ("pool-low-conn", true),
    ("max-reuse", true),
    ("proto", true),
    ("namespace", true),
    ("npn", true),
    ("ciphers", true),
    ("ciphersuites", true),
    ("force-tlsv12", false),
    ("force-tlsv13", false),
    ("no-sslv3", false),
    ("no-tlsv10", false),
    ("no-tlsv11", false),
    ("no-tlsv12", false),
    ("ssl-min-ver", true),
    ("ssl-max-ver", true),
    ("crl-file", true),
    ("no-verifyhost", false),
    ("verifyhost", true),
    ("socks4", true),
    ("tcp-ut", true),
    ("ws", true),
    ("log-proto", true),
    ("no-tfo", false),
    ("allow-0rtt", false),
    ("ssl-reuse", false),
    ("no-ssl-reuse", false),
    ("curves", true),
    ("sigalgs", true),
    ("client-sigalgs", true),
    ("weight-multiplier", true),
    ("usesrc", true),
    ("check-via-socks4", false),
    ("no-agent-check", false),
    ("send-proxy-v2-ssl", false),
    ("send-proxy-v2-ssl-cn", false),
    ("proxy-v2-options", true),
    ("set-proxy-v2-tlv-fmt", true),
    ("shard", true),
];

/// Bind options and whether they take a value.
const BIND_OPTS: &[(&str, bool)] = &[
    ("name", true),
    ("ssl", false),
    ("crt", true),
    ("crt-list", true),
    ("ca-file", true),
    ("alpn", true),
    ("npn", true),
    ("v4v6", false),
    ("v6only", false),
    ("accept-proxy", false),
    ("accept-netscaler-cip", true),
    ("transparent", false),
    ("defer-accept", false),
    ("interface", true),
    ("maxconn", true),
    ("backlog", true),
    ("mode", true),
    ("user", true),
    ("group", true),
    ("uid", true),
    ("gid", true),
    ("level", true),
    ("expose-fd", true),
    ("process", true),
    ("thread", true),
    ("tfo", false),
    ("mss", true),
    ("nice", true),
    ("id", true),
    ("ciphers", true),
    ("ciphersuites", true),
    ("ssl-min-ver", true),
    ("ssl-max-ver", true),
    ("no-sslv3", false),
    ("no-tlsv10", false),
    ("no-tlsv11", false),
    ("no-tlsv12", false),
    ("no-tlsv13", false),
    ("force-tlsv12", false),
    ("force-tlsv13", false),
    ("strict-sni", false),
    ("prefer-client-ciphers", false),
    ("verify", true),
    ("crl-file", true),
    ("curves", true),
    ("ecdhe", true),
    ("allow-0rtt", false),
    ("generate-certificates", false),
    ("tcp-ut", true),
    ("namespace", true),
    ("proto", true),
    ("severity-output", true),
    ("no-ca-names", false),
    ("ca-sign-file", true),
    ("ca-sign-pass", true),
    ("ca-verify-file", true),
    ("crt-ignore-err", true),
    ("ca-ignore-err", true),
    ("no-tls-tickets", false),
    ("sigalgs", true),
    ("client-sigalgs", true),
    ("ssl-reuse", false),
    ("quic-cc-algo", true),
];

fn lookup(table: &[(&'static str, bool)], name: &str) -> Option<bool> {
    table.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
}

impl Builder<'_> {
    fn unknown_option(
        &mut self,
        what: &str,
        w: &crate::source::Word,
        table: &[(&'static str, bool)],
    ) {
        let mut d = Diagnostic::error(
            codes::UNKNOWN_KEYWORD,
            format!("unknown {what} option `{}`", w.text),
        )
        .at(w.span)
        .label("unknown option");
        if let Some(s) = conf_diag::did_you_mean(&w.text, table.iter().map(|(n, _)| *n)) {
            d = d.help(format!("did you mean `{s}`?"));
        }
        self.diags.push(d);
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

    pub(super) fn server_options(&mut self, o: &mut ServerOpts, line: &Line, from: usize) {
        let mut i = from;
        while let Some(w) = line.words.get(i) {
            let name = w.text.as_str();
            let Some(takes) = lookup(SERVER_OPTS, name) else {
                self.unknown_option("server", w, SERVER_OPTS);
                i += 1;
                continue;
            };
            if takes && line.words.get(i + 1).is_none() {
                self.diags.push(
                    Diagnostic::error(
                        codes::MISSING_ARG,
                        format!("server option `{name}` expects a value"),
                    )
                    .at(w.span)
                    .help(format!("write `{name} <value>`")),
                );
                return;
            }
            let val = line.word(i + 1).unwrap_or("").to_string();
            let time = |me: &mut Self| me.time(line, i + 1, name);
            let num = |me: &mut Self| me.uint(line, i + 1, name);
            match name {
                "check" => o.check = true,
                "no-check" => o.check = false,
                "inter" => o.inter_ms = time(self).unwrap_or(o.inter_ms),
                "fastinter" => o.fastinter_ms = time(self),
                "downinter" => o.downinter_ms = time(self),
                "rise" => o.rise = num(self).map(|v| v as u32).unwrap_or(o.rise),
                "fall" => o.fall = num(self).map(|v| v as u32).unwrap_or(o.fall),
                "weight" => {
                    if let Some(v) = num(self) {
                        if v > 256 {
                            self.diags.push(
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
                "maxconn" => o.maxconn = num(self),
                "maxqueue" => o.maxqueue = num(self),
                "port" => match val.parse::<u32>() {
                    Ok(v) if (1..=65535).contains(&v) => o.check_port = Some(v as u16),
                    _ => self.diags.push(
                        Diagnostic::error(codes::BAD_PORT, format!("invalid check port `{val}`"))
                            .at(line.words[i + 1].span)
                            .help("ports go from 1 to 65535"),
                    ),
                },
                "addr" => o.check_addr = Some(val),
                "check-ssl" => o.check_ssl = true,
                "no-check-ssl" => o.check_ssl = false,
                "ssl" => o.ssl = true,
                "no-ssl" => o.ssl = false,
                "verify" => {
                    if !matches!(val.as_str(), "none" | "required") {
                        self.diags.push(
                            Diagnostic::error(
                                codes::BAD_VALUE,
                                format!("`verify {val}`: expected none or required"),
                            )
                            .at(line.words[i + 1].span),
                        );
                    }
                    o.verify = Some(val)
                }
                "sni" => o.sni = Some(val),
                "send-proxy" => o.send_proxy = true,
                "send-proxy-v2" => o.send_proxy_v2 = true,
                "no-send-proxy" => {
                    o.send_proxy = false;
                    o.send_proxy_v2 = false
                }
                "cookie" => o.cookie = Some(val),
                "disabled" => o.disabled = true,
                "enabled" => o.disabled = false,
                "init-addr" => o.init_addr = Some(val),
                "resolvers" => o.resolvers = Some(val),
                "on-marked-down" => o.on_marked_down = Some(val),
                "on-marked-up" => o.on_marked_up = Some(val),
                "slowstart" => o.slowstart_ms = time(self),
                other => {
                    o.other.push(other.to_string());
                    if takes {
                        o.other.push(val);
                    }
                }
            }
            i += if takes { 2 } else { 1 };
        }
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
            v4v6: false,
            v6only: false,
            accept_proxy: false,
            transparent: false,
            defer_accept: false,
            interface: None,
            maxconn: None,
            backlog: None,
            other: Vec::new(),
            span: line.span(),
        };
        let mut i = a + 1;
        while let Some(w) = line.words.get(i) {
            let name = w.text.as_str();
            let Some(takes) = lookup(BIND_OPTS, name) else {
                self.unknown_option("bind", w, BIND_OPTS);
                i += 1;
                continue;
            };
            if takes && line.words.get(i + 1).is_none() {
                self.diags.push(
                    Diagnostic::error(
                        codes::MISSING_ARG,
                        format!("bind option `{name}` expects a value"),
                    )
                    .at(w.span),
                );
                break;
            }
            let val = line.word(i + 1).unwrap_or("").to_string();
            match name {
                "name" => b.name = Some(val),
                "ssl" => b.ssl = true,
                "crt" | "crt-list" => b.crt.push(val),
                "alpn" => b.alpn = Some(val),
                "v4v6" => b.v4v6 = true,
                "v6only" => b.v6only = true,
                "accept-proxy" => b.accept_proxy = true,
                "transparent" => b.transparent = true,
                "defer-accept" => b.defer_accept = true,
                "interface" => b.interface = Some(val),
                "maxconn" => b.maxconn = self.uint(line, i + 1, "maxconn"),
                "backlog" => b.backlog = self.uint(line, i + 1, "backlog"),
                other => {
                    b.other.push(other.to_string());
                    if takes {
                        b.other.push(val);
                    }
                }
            }
            i += if takes { 2 } else { 1 };
        }
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
