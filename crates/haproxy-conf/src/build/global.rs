//! The `global` section.

use super::Builder;
use crate::codes;
use crate::model::{LogTarget, StatsSocket, TlsVersion};
use crate::registry::{self, Status};
use crate::source::{Line, Section};
use conf_diag::Diagnostic;

impl Builder<'_> {
    pub(super) fn global(&mut self, s: &Section) {
        if s.header.words.len() > 1 {
            self.diags.push(
                Diagnostic::warning(
                    codes::EXTRA_ARGS,
                    "`global` takes no name; extra words ignored",
                )
                .at(s.header.span_from(1)),
            );
        }
        for line in &s.lines {
            self.global_line(line);
        }
    }

    fn global_line(&mut self, line: &Line) {
        let w0 = line.word(0).unwrap_or("");
        // tune.* settings not listed are read and ignored as a family.
        if w0.starts_with("tune.") && registry::lookup(registry::GLOBAL, w0).is_none() {
            self.diags.push(
                Diagnostic::warning(
                    codes::NOT_IMPLEMENTED,
                    format!("`{w0}` is not supported by proxyd yet, ignored"),
                )
                .at(line.span())
                .label("ignored"),
            );
            return;
        }
        let Some((kw, a, negated)) = self.resolve(registry::GLOBAL, line, registry::G, "global")
        else {
            return;
        };
        if let Status::Legacy(modern) = kw.status {
            self.diags.push(
                Diagnostic::warning(
                    codes::LEGACY,
                    format!("`{}` is obsolete and ignored", kw.name),
                )
                .at(line.span())
                .help(format!("modern form: {modern}")),
            );
            return;
        }
        let g = &mut self.config.global;
        let word = |i: usize| line.word(i).map(str::to_string);
        match kw.name {
            "log" => {
                if negated {
                    self.config.global.log.clear();
                } else if let Some(t) = self.log_target(line, a) {
                    self.config.global.log.push(t);
                }
            }
            "log-tag" => g.log_tag = word(a),
            "log-send-hostname" => g.log_send_hostname = Some(word(a).unwrap_or_default()),
            "maxconn" => self.config.global.maxconn = self.uint(line, a, "maxconn"),
            "user" => {
                g.user = word(a);
                g.user_span = Some(line.span());
            }
            "group" => {
                g.group = word(a);
                g.group_span = Some(line.span());
            }
            "uid" => self.config.global.uid = self.uint(line, a, "uid").map(|v| v as u32),
            "gid" => self.config.global.gid = self.uint(line, a, "gid").map(|v| v as u32),
            "chroot" => {
                g.chroot = word(a);
                g.chroot_span = Some(line.span());
            }
            // Where relative file names start: proxyd reads them from its working
            // directory, which is `current` (HAProxy's default).
            "default-path" => match line.word(a) {
                Some("current") => {}
                Some(w @ ("config" | "parent" | "origin")) => {
                    let w = w.to_string();
                    self.diags.push(
                        Diagnostic::error(
                            codes::REFUSED,
                            format!("`default-path {w}` is not run by proxyd yet"),
                        )
                        .at(line.span())
                        .help("proxyd reads relative file names from its working directory (`default-path current`); write absolute paths, or keep HAProxy for now"),
                    );
                }
                Some(other) => {
                    let other = other.to_string();
                    self.diags.push(
                        Diagnostic::error(
                            codes::BAD_VALUE,
                            format!("`default-path {other}`: expected current, config, parent or origin"),
                        )
                        .at(line.span()),
                    );
                }
                None => {
                    self.arg(line, a, "current, config, parent or origin", "default-path");
                }
            },
            "daemon" => g.daemon = true,
            "master-worker" => g.master_worker = true,
            "pidfile" => g.pidfile = word(a),
            "localpeer" => g.local_peer = word(a),
            "nbthread" => {
                self.config.global.nbthread = self.uint(line, a, "nbthread").map(|v| v as u32)
            }
            "stats socket" => self.stats_socket(line, a),
            "stats timeout" => {
                self.config.global.stats_timeout_ms = self.time(line, a, "stats timeout")
            }
            "tune.bufsize" => {
                if let Some(v) = self.uint(line, a, "tune.bufsize") {
                    self.config.global.tune_bufsize = v;
                }
            }
            "tune.h2.max-concurrent-streams"
            | "tune.h2.initial-window-size"
            | "tune.h2.header-table-size"
            | "tune.h2.max-frame-size" => {
                let i = [
                    "tune.h2.max-concurrent-streams",
                    "tune.h2.initial-window-size",
                    "tune.h2.header-table-size",
                    "tune.h2.max-frame-size",
                ]
                .iter()
                .position(|k| *k == kw.name)
                .unwrap_or(0);
                self.config.global.tune_h2[i] = self.uint(line, a, kw.name);
            }
            "tune.maxrewrite" => {
                self.config.global.tune_maxrewrite = self.uint(line, a, "tune.maxrewrite")
            }
            "hard-stop-after" => {
                self.config.global.hard_stop_after_ms = self.time(line, a, "hard-stop-after")
            }
            "grace" => self.config.global.grace_ms = self.time(line, a, "grace"),
            "h1-accept-payload-with-any-method" => self.config.global.h1_payload_any_method = true,
            "ssl-default-bind-ciphers" => g.ssl_default_bind_ciphers = word(a),
            "ssl-default-bind-ciphersuites" => g.ssl_default_bind_ciphersuites = word(a),
            "ssl-default-bind-options" => self.ssl_default_bind_options(line, a),
            "ssl-default-server-options" => self.ssl_default_server_options(line, a),
            "ca-base" => g.ca_base = word(a),
            "server-state-file" => g.server_state_file = word(a),
            "server-state-base" => g.server_state_base = word(a),
            "zero-warning" => g.zero_warning = true,
            "crt-base" => g.crt_base = word(a),
            "ssl-server-verify" => match line.word(a) {
                Some("none") => self.config.global.ssl_server_verify_none = true,
                Some("required") => self.config.global.ssl_server_verify_none = false,
                Some(other) => {
                    let other = other.to_string();
                    self.unknown(
                        line.words.get(a),
                        &other,
                        ["none", "required"].into_iter(),
                        "ssl-server-verify",
                    );
                }
                None => {
                    self.arg(line, a, "none or required", "ssl-server-verify");
                }
            },
            "ulimit-n" => self.config.global.ulimit_n = self.uint(line, a, "ulimit-n"),
            "nosplice" => self.config.global.nosplice = true,
            // Ignored keywords (the warning is said): nothing to keep.
            _ => {}
        }
    }

    /// `ssl-default-bind-options`: the protocol versions binds accept by default; the
    /// other options change nothing rustls does.
    fn ssl_default_bind_options(&mut self, line: &Line, a: usize) {
        let g = &mut self.config.global;
        let mut i = a;
        while let Some(w) = line.words.get(i) {
            match w.text.as_str() {
                "ssl-min-ver" | "ssl-max-ver" => {
                    let v = line.word(i + 1).unwrap_or("").to_string();
                    match v.as_str() {
                        "TLSv1.2" | "TLSv1.3" => {
                            if w.text == "ssl-min-ver" {
                                g.ssl_default_bind_min_ver = Some(v);
                            } else {
                                g.ssl_default_bind_max_ver = Some(v);
                            }
                        }
                        // Older versions: rustls speaks none of them, so a lower bound
                        // below TLSv1.2 is what rustls does anyway.
                        "SSLv3" | "TLSv1.0" | "TLSv1.1" if w.text == "ssl-min-ver" => {}
                        _ => {
                            self.diags.push(
                                Diagnostic::error(
                                    codes::BAD_VALUE,
                                    format!("`{} {v}`: proxyd speaks TLSv1.2 and TLSv1.3", w.text),
                                )
                                .at(w.span)
                                .help("use TLSv1.2 or TLSv1.3"),
                            );
                            return;
                        }
                    }
                    i += 1;
                }
                "no-tlsv12" => g.ssl_default_bind_min_ver = Some("TLSv1.3".into()),
                "no-tlsv13" => g.ssl_default_bind_max_ver = Some("TLSv1.2".into()),
                "force-tlsv12" => {
                    g.ssl_default_bind_min_ver = Some("TLSv1.2".into());
                    g.ssl_default_bind_max_ver = Some("TLSv1.2".into());
                }
                "force-tlsv13" => {
                    g.ssl_default_bind_min_ver = Some("TLSv1.3".into());
                    g.ssl_default_bind_max_ver = Some("TLSv1.3".into());
                }
                // What rustls does anyway: no SSLv3/TLS1.0/1.1, no tickets by default.
                "no-sslv3"
                | "no-tlsv10"
                | "no-tlsv11"
                | "no-tls-tickets"
                | "prefer-client-ciphers"
                | "strict-sni"
                | "no-ca-names"
                | "allow-0rtt" => {}
                "force-sslv3" | "force-tlsv10" | "force-tlsv11" => {
                    self.diags.push(
                        Diagnostic::error(
                            codes::REFUSED,
                            format!(
                                "`ssl-default-bind-options {}`: rustls does not speak it",
                                w.text
                            ),
                        )
                        .at(w.span)
                        .label("not supported by proxyd")
                        .help("clients limited to it could not connect; use TLSv1.2 or later"),
                    );
                    return;
                }
                other => {
                    self.diags.push(
                        Diagnostic::warning(
                            codes::NOT_IMPLEMENTED,
                            format!(
                                "`ssl-default-bind-options {other}` is not run by proxyd, ignored"
                            ),
                        )
                        .at(w.span)
                        .label("ignored"),
                    );
                }
            }
            i += 1;
        }
    }

    /// `ssl-default-server-options`: the TLS versions and tickets of every server line,
    /// which the server's own options override. HAProxy 2.6 takes these options here.
    fn ssl_default_server_options(&mut self, line: &Line, a: usize) {
        let mut i = a;
        while let Some(w) = line.words.get(i) {
            let opt = w.text.as_str();
            match opt {
                "ssl-min-ver" | "ssl-max-ver" => {
                    let Some(v) = line.words.get(i + 1) else {
                        self.diags.push(
                            Diagnostic::error(
                                codes::MISSING_ARG,
                                format!("`{opt}` expects a version"),
                            )
                            .at(w.span)
                            .help("write e.g. `ssl-min-ver TLSv1.2`"),
                        );
                        return;
                    };
                    if let Some(ver) = self.server_tls_version(opt, v) {
                        let g = &mut self.config.global.ssl_default_server_versions;
                        if opt == "ssl-min-ver" {
                            g.min = Some(ver);
                        } else {
                            g.max = Some(ver);
                        }
                    }
                    i += 1;
                }
                "no-tls-tickets" => self.config.global.ssl_default_server_no_tickets = true,
                _ => {
                    let g = &mut self.config.global.ssl_default_server_versions;
                    if let Some(v) = opt.strip_prefix("no-").and_then(TlsVersion::of_suffix) {
                        g.disable(v);
                    } else if let Some(v) =
                        opt.strip_prefix("force-").and_then(TlsVersion::of_suffix)
                    {
                        if v.spoken() {
                            g.force = Some(v);
                        } else {
                            self.diags.push(
                                Diagnostic::error(
                                    codes::REFUSED,
                                    format!("`ssl-default-server-options {opt}`: proxyd does not speak {} to servers", v.name()),
                                )
                                .at(w.span)
                                .label("not supported by proxyd")
                                .help("rustls speaks TLSv1.2 and TLSv1.3 only: servers limited to older versions could not be reached"),
                            );
                        }
                    } else {
                        self.diags.push(
                            Diagnostic::error(
                                codes::BAD_VALUE,
                                format!("unknown option `{opt}` of `ssl-default-server-options`"),
                            )
                            .at(w.span)
                            .help("HAProxy 2.6 takes ssl-min-ver, ssl-max-ver, no-sslv3, no-tlsv1x, force-tlsv1x and no-tls-tickets here"),
                        );
                    }
                }
            }
            i += 1;
        }
    }

    fn stats_socket(&mut self, line: &Line, a: usize) {
        let Some(addr) = self.arg(line, a, "an address", "stats socket") else {
            return;
        };
        let mut sock = StatsSocket {
            address: addr.text.clone(),
            mode: None,
            user: None,
            group: None,
            level: "user".into(),
            expose_fd_listeners: false,
        };
        let mut i = a + 1;
        while i < line.words.len() {
            let opt = line.words[i].text.as_str();
            let val = line.word(i + 1).map(str::to_string);
            let takes = matches!(
                opt,
                "mode"
                    | "user"
                    | "group"
                    | "level"
                    | "expose-fd"
                    | "uid"
                    | "gid"
                    | "process"
                    | "thread"
                    | "name"
                    | "severity-output"
                    | "maxconn"
                    | "backlog"
                    | "id"
                    | "nice"
            );
            if takes && val.is_none() {
                self.diags.push(
                    Diagnostic::error(
                        codes::MISSING_ARG,
                        format!("`stats socket` option `{opt}` needs a value"),
                    )
                    .at(line.words[i].span),
                );
                return;
            }
            match opt {
                "mode" => sock.mode = val,
                "user" | "uid" => sock.user = val,
                "group" | "gid" => sock.group = val,
                "level" => {
                    let v = val.unwrap_or_default();
                    if !matches!(v.as_str(), "user" | "operator" | "admin") {
                        self.diags.push(
                            Diagnostic::error(
                                codes::BAD_VALUE,
                                format!("unknown stats socket level `{v}`"),
                            )
                            .at(line.words[i + 1].span)
                            .help("use user, operator or admin"),
                        );
                    }
                    sock.level = v;
                }
                "expose-fd" => sock.expose_fd_listeners = val.as_deref() == Some("listeners"),
                _ if takes => {}
                _ => {}
            }
            i += if takes { 2 } else { 1 };
        }
        self.config.global.stats_sockets.push(sock);
    }

    /// `log ADDRESS [len N] [format F] [sample R:S] FACILITY [LEVEL [MINLEVEL]]` or `log global`.
    pub(super) fn log_target(&mut self, line: &Line, a: usize) -> Option<LogTarget> {
        use crate::logging::{LogSink, Sampling, SyslogFormat, FACILITIES, LEVELS};
        let addr = self.arg(line, a, "an address", "log")?;
        if addr.text == "global" {
            return Some(LogTarget::Global);
        }
        let bad = |me: &mut Self, span, msg: String, help: &str| {
            me.diags.push(
                Diagnostic::error(codes::BAD_VALUE, msg)
                    .at(span)
                    .help(help.to_string()),
            );
        };
        // A target proxyd cannot send to yet is left out with a warning (logs do not
        // change who gets in or where traffic goes); the rest of its line is still checked.
        let mut unsent = false;
        let target = match log_addr(&addr.text) {
            Ok(t) => t,
            Err(e) if e.starts_with("unsent:") => {
                self.diags.push(
                    Diagnostic::warning(codes::NOT_IMPLEMENTED, e.trim_start_matches("unsent:").to_string())
                        .at(addr.span)
                        .label("no lines go there")
                        .help("send to a syslog address (`127.0.0.1:514`, `/dev/log`) or to stdout/stderr"),
                );
                unsent = true;
                crate::logging::LogAddr::Stdout
            }
            Err(e) => {
                bad(self, addr.span, e, "write e.g. `log 127.0.0.1:514 local0`, `log /dev/log local0` or `log stdout format raw local0`");
                return None;
            }
        };
        let mut sink = LogSink {
            addr: target,
            format: SyslogFormat::Rfc3164,
            len: 1024,
            sample: None,
            facility: 16,
            level: None,
            minlevel: None,
        };
        let mut i = a + 1;
        while let Some(w) = line.words.get(i) {
            let value = line.words.get(i + 1);
            match w.text.as_str() {
                "format" => {
                    let Some(v) = value else {
                        self.arg(line, i + 1, "a format name", "log format");
                        return None;
                    };
                    match SyslogFormat::named(&v.text) {
                        Some(f) => sink.format = f,
                        None => {
                            bad(
                                self,
                                v.span,
                                format!("unknown log format `{}`", v.text),
                                "rfc3164, rfc5424, short, raw, iso, timed, priority or local",
                            );
                            return None;
                        }
                    }
                    i += 2;
                }
                "len" => {
                    match value
                        .and_then(|v| v.text.parse::<u32>().ok())
                        .filter(|n| *n >= 80)
                    {
                        Some(n) => sink.len = n,
                        None => {
                            bad(
                                self,
                                w.span,
                                "`log ... len` expects a length of at least 80".into(),
                                "write e.g. `len 4096`",
                            );
                            return None;
                        }
                    }
                    i += 2;
                }
                "sample" => {
                    let Some(v) = value else {
                        self.arg(line, i + 1, "RANGES:SIZE", "log sample");
                        return None;
                    };
                    match Sampling::parse(&v.text) {
                        Ok(s) => sink.sample = Some(s),
                        Err(e) => {
                            bad(
                                self,
                                v.span,
                                format!("log sample {e}"),
                                "write e.g. `sample 1:10` (one line in ten)",
                            );
                            return None;
                        }
                    }
                    i += 2;
                }
                _ => break,
            }
        }
        let Some(fac) = line.words.get(i) else {
            self.diags.push(
                Diagnostic::error(
                    codes::MISSING_ARG,
                    "`log` expects a facility after the address",
                )
                .at(line.span())
                .help(format!("write e.g. `log {} local0`", addr.text)),
            );
            return None;
        };
        match FACILITIES.iter().position(|f| *f == fac.text) {
            Some(n) => sink.facility = n as u8,
            None => {
                let mut d = Diagnostic::error(
                    codes::BAD_VALUE,
                    format!("unknown log facility `{}`", fac.text),
                )
                .at(fac.span);
                if let Some(s) = conf_diag::did_you_mean(&fac.text, FACILITIES.iter().copied()) {
                    d = d.help(format!("did you mean `{s}`?"));
                }
                self.diags.push(d);
                return None;
            }
        }
        for (k, slot) in [(i + 1, 0), (i + 2, 1)] {
            let Some(l) = line.words.get(k) else { continue };
            match LEVELS.iter().position(|x| *x == l.text) {
                Some(n) if slot == 0 => sink.level = Some(n as u8),
                Some(n) => sink.minlevel = Some(n as u8),
                None => {
                    self.diags.push(
                        Diagnostic::error(
                            codes::BAD_VALUE,
                            format!("unknown log level `{}`", l.text),
                        )
                        .at(l.span)
                        .help("use emerg, alert, crit, err, warning, notice, info or debug"),
                    );
                    return None;
                }
            }
        }
        (!unsent).then_some(LogTarget::Target(sink))
    }
}

/// A `log` address: `127.0.0.1:514`, `udp@host:port`, `[::1]:514`, `/dev/log`,
/// `unix@/path`, `stdout`, `stderr`, `fd@N`; errors starting with `unsent:` are
/// addresses HAProxy takes that proxyd does not send to yet.
fn log_addr(t: &str) -> Result<crate::logging::LogAddr, String> {
    use crate::logging::LogAddr;
    match t {
        "stdout" => return Ok(LogAddr::Stdout),
        "stderr" => return Ok(LogAddr::Stderr),
        _ => {}
    }
    if let Some(n) = t.strip_prefix("fd@") {
        return match n.parse::<i32>() {
            Ok(1) => Ok(LogAddr::Stdout),
            Ok(2) => Ok(LogAddr::Stderr),
            Ok(n) if n >= 0 => Ok(LogAddr::Fd(n)),
            _ => Err(format!("`{t}`: not a descriptor number")),
        };
    }
    if let Some(p) = t.strip_prefix("unix@") {
        return Ok(LogAddr::Unix(p.to_string()));
    }
    if t.starts_with('/') {
        return Ok(LogAddr::Unix(t.to_string()));
    }
    for prefix in ["ring@", "tcp@", "tcp4@", "tcp6@", "abns@"] {
        if t.starts_with(prefix) {
            return Err(format!(
                "unsent:log target `{t}`: proxyd does not send logs to {} targets yet, ignored",
                prefix.trim_end_matches('@')
            ));
        }
    }
    let rest = ["udp@", "udp4@", "udp6@", "ipv4@", "ipv6@"]
        .iter()
        .find_map(|p| t.strip_prefix(p))
        .unwrap_or(t);
    let (host, port) = if let Some(r) = rest.strip_prefix('[') {
        match r.split_once(']') {
            Some((h, p)) => (h, p.strip_prefix(':')),
            None => return Err(format!("`{t}`: `[` is not closed")),
        }
    } else if rest.matches(':').count() > 1 {
        (rest, None)
    } else {
        match rest.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (rest, None),
        }
    };
    if host.is_empty() {
        return Err(format!("`{t}`: no address"));
    }
    let port = match port {
        None => 514,
        Some(p) => p
            .parse::<u16>()
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| format!("`{t}`: `{p}` is not a port"))?,
    };
    Ok(LogAddr::Udp {
        host: host.to_string(),
        port,
    })
}
