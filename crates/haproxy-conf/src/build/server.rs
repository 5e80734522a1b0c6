//! `server`, `default-server` and `bind` lines with their options.

use super::Builder;
use crate::codes;
use crate::model::{Bind, ClientVerify, Observe, OnError, Proxy, Server, ServerOpts, TlsVersion};
use crate::source::Line;
use crate::values;
use conf_diag::Diagnostic;

use crate::registry::Status::{self, Ignored as I, Refused as R, Supported as S};

/// A `server`/`bind` option: its name, whether it takes a value, and what proxyd does.
pub type Opt = (&'static str, bool, Status);

const CIPHERS_SRV: &str = "rustls offers servers only its own forward-secret AEAD suites (TLSv1.3: AES-GCM and ChaCha20-Poly1305; TLSv1.2: ECDHE with AES-GCM or ChaCha20-Poly1305), the strong end of any OpenSSL list; the server reached and the checks of its certificate are the same";
const TLS_OLD_FORCED: &str =
    "rustls speaks TLSv1.2 and TLSv1.3 only, so a server limited to this version could not be reached";
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
    ("ssl", false, S),
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
        S,
    ),
    ("source", true, S),
    (
        "usesrc",
        true,
        R("transparent source addresses need TPROXY, which proxyd does not set up yet"),
    ),
    ("tcp-ut", true, S),
    ("pool-max-conn", true, S),
    ("pool-purge-delay", true, S),
    ("pool-low-conn", true, I(TUNING)),
    ("max-reuse", true, I(TUNING)),
    ("tfo", false, I(TUNING)),
    ("no-tfo", false, I(TUNING)),
    ("proto", true, S),
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
    // `h1` (HTTP checks) and `none` (TCP checks) are what proxyd's checks speak; the
    // others are refused when read.
    ("check-proto", true, S),
    ("check-alpn", true, S),
    ("ca-file", true, S),
    ("crt", true, S),
    (
        "crl-file",
        true,
        R("certificate revocation lists are not read by proxyd yet: a revoked server certificate would be accepted"),
    ),
    ("alpn", true, S),
    (
        "npn",
        true,
        I("NPN is obsolete and rustls has none: protocols are negotiated with ALPN (`alpn`), HTTP/1.1 without it"),
    ),
    ("ciphers", true, I(CIPHERS_SRV)),
    ("ciphersuites", true, I(CIPHERS_SRV)),
    ("force-sslv3", false, R(TLS_OLD_FORCED)),
    ("force-tlsv10", false, R(TLS_OLD_FORCED)),
    ("force-tlsv11", false, R(TLS_OLD_FORCED)),
    ("force-tlsv12", false, S),
    ("force-tlsv13", false, S),
    ("no-sslv3", false, S),
    ("no-tlsv10", false, S),
    ("no-tlsv11", false, S),
    ("no-tlsv12", false, S),
    ("no-tlsv13", false, S),
    ("ssl-min-ver", true, S),
    ("ssl-max-ver", true, S),
    ("no-verifyhost", false, S),
    ("verifyhost", true, S),
    ("no-tls-tickets", false, S),
    ("tls-tickets", false, S),
    (
        "allow-0rtt",
        false,
        I("proxyd sends no TLS early data to servers: the handshake completes before the request goes"),
    ),
    ("ssl-reuse", false, S),
    ("no-ssl-reuse", false, S),
    ("ws", true, S),
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
    ("ca-file", true, S),
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
    ("level", true, I("`level` applies to `stats socket` lines, where proxyd enforces it")),
    ("severity-output", true, I("runtime API replies carry no severity prefix yet")),
    ("expose-fd", true, I("`expose-fd listeners` applies to `stats socket` lines, where proxyd runs it")),
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
        R("revocation lists are not read by proxyd yet: a revoked client certificate would get in"),
    ),
    (
        "ca-verify-file",
        true,
        R("a second CA list for the chain only is not read by proxyd yet; put those CAs in `ca-file`"),
    ),
    (
        "crt-ignore-err",
        true,
        R("proxyd refuses every client certificate that does not verify (errors are not ignored yet)"),
    ),
    (
        "ca-ignore-err",
        true,
        R("proxyd refuses every client certificate that does not verify (errors are not ignored yet)"),
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
        self.server_options(&mut opts, line, a + 2, false);
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

    /// The version of a server's (or `ssl-default-server-options`') `ssl-min-ver` /
    /// `ssl-max-ver`: TLSv1.2 or TLSv1.3; older ones are refused (rustls has none).
    pub(super) fn server_tls_version(
        &mut self,
        name: &str,
        w: &crate::source::Word,
    ) -> Option<TlsVersion> {
        match TlsVersion::named(&w.text) {
            Some(v) if v.spoken() => Some(v),
            Some(v) => {
                self.diags.push(
                    Diagnostic::error(
                        codes::REFUSED,
                        format!("`{name} {}`: proxyd does not speak {} to servers", w.text, v.name()),
                    )
                    .at(w.span)
                    .label("not supported by proxyd")
                    .help("rustls speaks TLSv1.2 and TLSv1.3 only: write TLSv1.2 (servers limited to older versions could not be reached)"),
                );
                None
            }
            None => {
                self.bad_value(
                    w,
                    format!("`{name} {}`: unknown SSL/TLS version", w.text),
                    "use SSLv3, TLSv1.0, TLSv1.1, TLSv1.2 or TLSv1.3",
                );
                None
            }
        }
    }

    /// The options of a `server` line, or of a `default-server` line (`default`).
    pub(super) fn server_options(
        &mut self,
        o: &mut ServerOpts,
        line: &Line,
        from: usize,
        default: bool,
    ) {
        self.options_of("server", SERVER_OPTS, line, from, |me, name, val, i| {
            let text = val.map(|w| w.text.clone()).unwrap_or_default();
            if let Some(v) = name.strip_prefix("force-").and_then(TlsVersion::of_suffix) {
                // force-sslv3/tlsv10/tlsv11 are refused by the table.
                o.tls_versions.force = Some(v);
                return;
            }
            if let Some(v) = name.strip_prefix("no-").and_then(TlsVersion::of_suffix) {
                if default {
                    // HAProxy 2.6 says so (an alert) and goes on without it.
                    me.diags.push(
                        Diagnostic::warning(
                            codes::NOT_IMPLEMENTED,
                            format!("`{name}` is not accepted on default-server lines, ignored"),
                        )
                        .at(line.words[i].span)
                        .label("ignored, as HAProxy ignores it")
                        .help("put it on the server lines, or use `ssl-min-ver` / `ssl-max-ver`"),
                    );
                } else {
                    o.tls_versions.disable(v);
                }
                return;
            }
            let time = |me: &mut Self| me.time(line, i + 1, name);
            let num = |me: &mut Self| me.uint(line, i + 1, name);
            match name {
                "check" => o.check = true,
                "no-check" => o.check = false,
                "inter" => o.inter_ms = time(me).unwrap_or(o.inter_ms),
                "pool-purge-delay" => o.pool_purge_delay_ms = time(me),
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
                "id" => o.id = num(me).and_then(|v| u32::try_from(v).ok()),
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
                "check-ssl" => o.check_ssl = Some(true),
                "no-check-ssl" => o.check_ssl = Some(false),
                "ssl" => o.ssl = true,
                "no-ssl" => o.ssl = false,
                "ssl-min-ver" | "ssl-max-ver" => {
                    if let Some(v) = val.and_then(|w| me.server_tls_version(name, w)) {
                        if name == "ssl-min-ver" {
                            o.tls_versions.min = Some(v);
                        } else {
                            o.tls_versions.max = Some(v);
                        }
                    }
                }
                "verifyhost" => o.verifyhost = Some(text),
                "no-verifyhost" => o.verifyhost = None,
                "crt" => o.crt = Some(text),
                "alpn" | "check-alpn" => {
                    let list: Vec<String> = text.split(',').map(str::to_string).collect();
                    if list.iter().any(|p| p.is_empty() || p.len() > 255) {
                        if let Some(w) = val {
                            me.bad_value(
                                w,
                                format!("`{name} {text}`: an empty or too long protocol name"),
                                "write protocol names separated by commas, e.g. `http/1.1`",
                            );
                        }
                    } else if name == "alpn" {
                        o.alpn = Some(list);
                    } else {
                        o.check_alpn = Some(list);
                    }
                }
                "proto" => match text.as_str() {
                    "h1" | "h2" | "none" => o.proto = Some(text),
                    "fcgi" => {
                        if let Some(w) = val {
                            me.diags.push(
                                Diagnostic::error(
                                    codes::REFUSED,
                                    "`proto fcgi`: proxyd does not speak FastCGI to servers",
                                )
                                .at(w.span)
                                .label("not supported by proxyd")
                                .help("put an HTTP server (e.g. nginx or php-fpm's HTTP front) before the FastCGI application, or keep this proxy on HAProxy"),
                            );
                        }
                    }
                    _ => {
                        if let Some(w) = val {
                            me.bad_value(
                                w,
                                format!("`proto {text}`: unknown protocol"),
                                "HAProxy 2.6 knows h1, h2, fcgi and none",
                            );
                        }
                    }
                },
                "check-proto" => match text.as_str() {
                    "h1" | "none" => {}
                    "h2" | "fcgi" => {
                        if let Some(w) = val {
                            me.diags.push(
                                Diagnostic::error(
                                    codes::REFUSED,
                                    format!("`check-proto {text}` is not run by proxyd yet"),
                                )
                                .at(w.span)
                                .label("not supported by proxyd yet")
                                .help("proxyd's checks speak HTTP/1.1 (`h1`) or plain TCP (`none`); HAProxy accepts it: remove it or keep this proxy on HAProxy for now"),
                            );
                        }
                    }
                    _ => {
                        if let Some(w) = val {
                            me.bad_value(
                                w,
                                format!("`check-proto {text}`: unknown protocol"),
                                "HAProxy 2.6 knows h1, h2, fcgi and none",
                            );
                        }
                    }
                },
                "ws" => match text.as_str() {
                    "auto" | "h1" | "h2" => o.ws = Some(text),
                    _ => {
                        if let Some(w) = val {
                            me.bad_value(
                                w,
                                format!("`ws {text}`: unknown protocol"),
                                "write `ws auto`, `ws h1` or `ws h2`",
                            );
                        }
                    }
                },
                "tls-tickets" => o.tls_tickets = true,
                "no-tls-tickets" => o.tls_tickets = false,
                "ssl-reuse" => o.ssl_reuse = true,
                "no-ssl-reuse" => o.ssl_reuse = false,
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
                "sni" => {
                    if let Some(w) = val {
                        if let Some(e) = me.sample_expr(w) {
                            o.sni = Some(e);
                        }
                    }
                }
                "check-sni" => o.check_sni = Some(text),
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
            verify: None,
            ca_file: None,
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
                "ca-file" => b.ca_file = Some(text),
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
                "verify" => match text.as_str() {
                    "none" => b.verify = None,
                    "optional" => b.verify = Some(ClientVerify::Optional),
                    "required" => b.verify = Some(ClientVerify::Required),
                    _ => {
                        if let Some(w) = val {
                            me.bad_value(
                                w,
                                format!("`verify {text}`"),
                                "use none, optional or required",
                            );
                        }
                    }
                },
                "mode" => match u32::from_str_radix(&text, 8) {
                    Ok(m) if m <= 0o7777 => b.unix_mode = Some(m),
                    _ => {
                        if let Some(w) = val {
                            me.bad_value(
                                w,
                                format!("`mode {text}`: not an octal mode"),
                                "write e.g. `mode 660`",
                            );
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
                            me.bad_value(
                                w,
                                format!("`mss {text}`"),
                                "write a segment size in bytes",
                            );
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use crate::codes;
    use crate::model::{Proxy, TlsVersion};
    use crate::tokenizer::NoEnv;

    fn load(text: &str) -> crate::Loaded {
        crate::load_str("t.cfg", text, &NoEnv)
    }

    fn be(text: &str, lines: &str) -> String {
        format!(
            "{text}defaults\n  mode http\n  timeout connect 1s\n  timeout client 1s\n  timeout server 1s\nbackend be\n{lines}"
        )
    }

    fn backend(l: &crate::Loaded) -> &Proxy {
        l.config.proxies.iter().find(|p| p.name == "be").unwrap()
    }

    /// The errors' (code, line, column), from their one-line form `t.cfg:L:C: ...`.
    fn errors(l: &crate::Loaded) -> Vec<(String, usize, usize)> {
        l.diags
            .iter()
            .filter(|d| d.severity == conf_diag::Severity::Error)
            .map(|d| {
                let text = conf_diag::render_line(&l.map, d);
                let mut parts = text.split(':').skip(1);
                let mut num = || {
                    parts
                        .next()
                        .and_then(|p| p.trim().parse().ok())
                        .unwrap_or(0)
                };
                let (line, col) = (num(), num());
                (d.code.to_string(), line, col)
            })
            .collect()
    }

    #[test]
    fn server_tls_options_are_typed() {
        let l = load(&be(
            "",
            "  default-server ssl verifyhost d.example no-tls-tickets\n  server s 127.0.0.1:443 ca-file ca.pem crt c.pem sni req.hdr(host),lower check-sni chk.example alpn h2,http/1.1 check-alpn http/1.1 ssl-min-ver TLSv1.3 no-ssl-reuse force-tlsv13\n  server t 127.0.0.1:443 no-ssl no-verifyhost verify none no-tlsv13 tls-tickets check-ssl\n",
        ));
        assert!(!l.has_errors(), "{:?}", l.diags);
        let b = backend(&l);
        let o = &b.servers[0].opts;
        assert!(o.ssl);
        assert_eq!(o.verifyhost.as_deref(), Some("d.example"));
        assert_eq!(o.ca_file.as_deref(), Some("ca.pem"));
        assert_eq!(o.crt.as_deref(), Some("c.pem"));
        let sni = o.sni.as_ref().unwrap();
        assert_eq!(sni.converters.len(), 1);
        assert_eq!(o.check_sni.as_deref(), Some("chk.example"));
        assert_eq!(o.alpn, Some(vec!["h2".to_string(), "http/1.1".to_string()]));
        assert_eq!(o.check_alpn, Some(vec!["http/1.1".to_string()]));
        assert_eq!(o.tls_versions.min, Some(TlsVersion::Tls13));
        assert_eq!(o.tls_versions.force, Some(TlsVersion::Tls13));
        assert!(!o.ssl_reuse && !o.tls_tickets);
        // ssl on its own address: checks speak TLS too.
        assert!(o.check_tls());
        let o = &b.servers[1].opts;
        assert!(!o.ssl && o.verifyhost.is_none() && o.tls_tickets);
        assert!(o.tls_versions.is_disabled(TlsVersion::Tls13));
        assert_eq!(o.check_ssl, Some(true));
        assert!(o.check_tls());
    }

    #[test]
    fn checks_follow_ssl_unless_elsewhere() {
        // Measured with HAProxy: `ssl` checks speak TLS unless `port`/`addr` send them
        // elsewhere, or `no-check-ssl`.
        let l = load(&be(
            "",
            "  server a 127.0.0.1:443 ssl verify none check\n  server b 127.0.0.1:443 ssl verify none check port 80\n  server c 127.0.0.1:443 ssl verify none check addr 127.0.0.2\n  server d 127.0.0.1:443 ssl verify none check no-check-ssl\n  server e 127.0.0.1:443 ssl verify none check port 80 check-ssl\n",
        ));
        assert!(!l.has_errors(), "{:?}", l.diags);
        let tls: Vec<bool> = backend(&l)
            .servers
            .iter()
            .map(|s| s.opts.check_tls())
            .collect();
        assert_eq!(tls, vec![true, false, false, false, true]);
    }

    #[test]
    fn verification_without_ca_file_is_refused_as_haproxy() {
        let no_ca = |global: &str, lines: &str| {
            let l = load(&be(global, lines));
            errors(&l)
                .into_iter()
                .filter(|(c, _, _)| c == codes::BAD_VALUE)
                .map(|(_, line, col)| (line, col))
                .collect::<Vec<_>>()
        };
        // The default is `verify required`: refused, at the server's name.
        assert_eq!(no_ca("", "  server s 127.0.0.1:443 ssl\n"), vec![(7, 10)]);
        assert_eq!(
            no_ca("", "  server s 127.0.0.1:443 ssl verify required\n"),
            vec![(7, 10)]
        );
        assert_eq!(
            no_ca("", "  server s 127.0.0.1:443 check-ssl\n"),
            vec![(7, 10)]
        );
        // `tcp-check connect ssl` checks every server over TLS.
        assert_eq!(
            no_ca(
                "",
                "  option tcp-check\n  tcp-check connect ssl\n  server s 127.0.0.1:443\n"
            ),
            vec![(9, 10)]
        );
        // Not verifying, or a CA file, or no TLS at all: accepted.
        assert!(no_ca("", "  server s 127.0.0.1:443 ssl verify none\n").is_empty());
        assert!(no_ca("", "  server s 127.0.0.1:443 ssl ca-file ca.pem\n").is_empty());
        assert!(no_ca("", "  server s 127.0.0.1:443 verify required\n").is_empty());
        assert!(no_ca(
            "",
            "  default-server ssl\n  server s 127.0.0.1:443 no-ssl\n"
        )
        .is_empty());
        // The global default, which an explicit `verify required` overrides.
        let global = "global\n  ssl-server-verify none\n";
        assert!(no_ca(global, "  server s 127.0.0.1:443 ssl\n").is_empty());
        assert_eq!(
            no_ca(global, "  server s 127.0.0.1:443 ssl verify required\n"),
            vec![(9, 10)]
        );
        let l = load(&be("", "  server s 127.0.0.1:443 ssl\n"));
        let d = l.diags.iter().next().unwrap();
        assert!(d.message.contains("names no CA file"), "{}", d.message);
        assert!(d
            .help
            .iter()
            .any(|h| h.contains("verify none") && h.contains("ca-file")));
    }

    #[test]
    fn versions_proxyd_cannot_speak_are_refused() {
        let codes_of = |lines: &str| {
            let l = load(&be("", lines));
            errors(&l)
                .into_iter()
                .map(|(c, _, _)| c)
                .collect::<Vec<_>>()
        };
        for old in ["SSLv3", "TLSv1.0", "TLSv1.1"] {
            for opt in ["ssl-min-ver", "ssl-max-ver"] {
                assert_eq!(
                    codes_of(&format!(
                        "  server s 127.0.0.1:443 ssl verify none {opt} {old}\n"
                    )),
                    vec![codes::REFUSED],
                    "{opt} {old}"
                );
            }
        }
        for f in ["force-sslv3", "force-tlsv10", "force-tlsv11"] {
            assert_eq!(
                codes_of(&format!("  server s 127.0.0.1:443 ssl verify none {f}\n")),
                vec![codes::REFUSED]
            );
        }
        assert_eq!(
            codes_of("  server s 127.0.0.1:443 ssl verify none ssl-min-ver TLSv1.4\n"),
            vec![codes::BAD_VALUE]
        );
        // Nothing left, or only versions rustls does not speak.
        assert_eq!(
            codes_of("  server s 127.0.0.1:443 ssl verify none ssl-min-ver TLSv1.3 ssl-max-ver TLSv1.2\n"),
            vec![codes::BAD_VALUE]
        );
        assert_eq!(
            codes_of("  server s 127.0.0.1:443 ssl verify none no-tlsv12 no-tlsv13\n"),
            vec![codes::REFUSED]
        );
        // HAProxy warns about a hole and about no-* next to ssl-min-ver, and runs.
        for ok in [
            "  server s 127.0.0.1:443 ssl verify none no-tlsv12\n",
            "  server s 127.0.0.1:443 ssl verify none ssl-min-ver TLSv1.2 no-tlsv13\n",
        ] {
            let l = load(&be("", ok));
            assert!(!l.has_errors(), "{ok}: {:?}", l.diags);
            assert!(l.diags.has_code(codes::BAD_VALUE), "{ok}: a warning");
        }
        // no-* on default-server: HAProxy says it is not accepted there and goes on.
        let l = load(&be(
            "",
            "  default-server no-tlsv12\n  server s 127.0.0.1:443 ssl verify none\n",
        ));
        assert!(!l.has_errors());
        assert!(l.diags.has_code(codes::NOT_IMPLEMENTED));
        assert_eq!(backend(&l).servers[0].opts.tls_versions.disabled, 0);
    }

    #[test]
    fn global_server_defaults() {
        let l = load(&be(
            "global\n  ca-base /etc/ssl/certs\n  ssl-default-server-options ssl-min-ver TLSv1.2 no-tlsv13 no-tls-tickets\n",
            "  server s 127.0.0.1:443 ssl verify none\n",
        ));
        assert!(!l.has_errors(), "{:?}", l.diags);
        let g = &l.config.global;
        assert_eq!(g.ca_base.as_deref(), Some("/etc/ssl/certs"));
        assert_eq!(g.ssl_default_server_versions.min, Some(TlsVersion::Tls12));
        assert!(g.ssl_default_server_versions.is_disabled(TlsVersion::Tls13));
        assert!(g.ssl_default_server_no_tickets);
        for bad in ["tls-tickets", "force-tlsv10", "ssl-min-ver TLSv1.0"] {
            let l = load(&be(
                &format!("global\n  ssl-default-server-options {bad}\n"),
                "  server s 127.0.0.1:443\n",
            ));
            assert!(l.has_errors(), "{bad}");
        }
    }

    #[test]
    fn alpn_proxyd_cannot_speak_is_left_out_with_a_warning() {
        let warned = |mode: &str, opts: &str| {
            let l = load(&be(
                "",
                &format!("  mode {mode}\n  server s 127.0.0.1:443 ssl verify none {opts}\n"),
            ));
            assert!(!l.has_errors(), "{:?}", l.diags);
            let found = l
                .diags
                .iter()
                .any(|d| d.code == codes::NOT_IMPLEMENTED && d.message.contains("not offered"));
            found
        };
        assert!(warned("http", "alpn h3,http/1.1"));
        assert!(!warned("http", "alpn h2,http/1.1,http/1.0"));
        // Checks speak HTTP/1.1: h2 is left out of what they offer.
        assert!(warned(
            "http",
            "check check-ssl check-alpn h2,http/1.1\n  option httpchk"
        ));
        // In TCP mode the bytes go through: every protocol is offered.
        assert!(!warned("tcp", "alpn h2,http/1.1"));
    }

    #[test]
    fn proto_names_what_servers_speak() {
        let of = |v: &str| {
            let l = load(&be("", &format!("  server s 127.0.0.1:80 proto {v}\n")));
            let codes: Vec<_> = l
                .diags
                .iter()
                .filter(|d| d.severity == conf_diag::Severity::Error)
                .map(|d| d.code)
                .collect();
            (codes, backend(&l).servers[0].opts.proto.clone())
        };
        assert_eq!(of("h2"), (vec![], Some("h2".to_string())));
        assert_eq!(of("h1"), (vec![], Some("h1".to_string())));
        assert_eq!(of("fcgi").0, vec![codes::REFUSED]);
        assert_eq!(of("h3").0, vec![codes::BAD_VALUE]);
    }

    #[test]
    fn ws_names_the_protocol_of_websockets() {
        let of = |v: &str| {
            let l = load(&be(
                "",
                &format!("  server s 127.0.0.1:80 proto h2 ws {v}\n"),
            ));
            let codes: Vec<_> = l
                .diags
                .iter()
                .filter(|d| d.severity == conf_diag::Severity::Error || d.message.contains("ws"))
                .map(|d| d.code)
                .collect();
            (codes, backend(&l).servers[0].opts.ws.clone())
        };
        for v in ["auto", "h1", "h2"] {
            assert_eq!(of(v), (vec![], Some(v.to_string())), "ws {v}");
        }
        assert_eq!(of("h3").0, vec![codes::BAD_VALUE]);
    }

    #[test]
    fn check_proto_runs_what_checks_speak() {
        let codes_of = |v: &str| {
            let l = load(&be(
                "",
                &format!("  server s 127.0.0.1:80 check check-proto {v}\n"),
            ));
            errors(&l)
                .into_iter()
                .map(|(c, _, _)| c)
                .collect::<Vec<_>>()
        };
        assert!(codes_of("h1").is_empty());
        assert!(codes_of("none").is_empty());
        assert_eq!(codes_of("h2"), vec![codes::REFUSED]);
        assert_eq!(codes_of("fcgi"), vec![codes::REFUSED]);
        assert_eq!(codes_of("spdy"), vec![codes::BAD_VALUE]);
    }

    #[test]
    fn sni_is_a_request_expression() {
        let l = load(&be(
            "",
            "  server s 127.0.0.1:443 ssl verify none sni res.hdr(host)\n",
        ));
        assert!(l.has_errors());
        let l = load(&be(
            "",
            "  server s 127.0.0.1:443 ssl verify none sni nosuchfetch\n",
        ));
        assert!(l.has_errors());
        let l = load(&be(
            "",
            "  server s 127.0.0.1:443 ssl verify none sni str(a.example)\n",
        ));
        assert!(!l.has_errors(), "{:?}", l.diags);
    }
}
