//! keepalived's LVS blocks (`virtual_server`, `virtual_server_group`, `SSL`): vrrpd does
//! not run them (they drive IPVS and its health checkers), but keepalived checks them under
//! `-t` and exits 5 (or 2, or 6) for what it finds, so vrrpd checks them the same way. Every
//! finding is a warning (the rest of the file still loads); the scripts they name are kept
//! for the script checks against the host.
//!
//! The keyword tables follow keepalived.conf(5) for 2.2.7; the checks are the ones measured
//! with `keepalived -t` (tests/keepalived-oracle, class 3).

use super::Builder;
use crate::codes;
use crate::syntax::Node;
use crate::values;
use conf_diag::{did_you_mean, Diagnostic, Diagnostics, Severity};
use std::net::IpAddr;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Arg {
    /// No value (a flag; keepalived ignores a value after some of them).
    Flag,
    /// An optional value.
    Opt,
    /// One value or more; none is a missing parameter (exit 2).
    Value,
    /// A script: `COMMAND [USER [GROUP]]`.
    Script,
    /// A block of keywords.
    Block(&'static [Kw]),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Check {
    None,
    /// Seconds, 0.000001 to 4294.967295.
    Timer,
    /// A whole number in the range.
    Uint(i64, i64),
    Sched,
    Method,
    Protocol,
    StatusCode,
    Family,
}

#[derive(Clone, Copy, PartialEq, Eq)]
struct Kw {
    name: &'static str,
    arg: Arg,
    check: Check,
}

const fn kw(name: &'static str, arg: Arg, check: Check) -> Kw {
    Kw { name, arg, check }
}
const fn flag(name: &'static str) -> Kw {
    kw(name, Arg::Flag, Check::None)
}
const fn val(name: &'static str) -> Kw {
    kw(name, Arg::Value, Check::None)
}
const fn opt(name: &'static str) -> Kw {
    kw(name, Arg::Opt, Check::None)
}
const fn timer(name: &'static str) -> Kw {
    kw(name, Arg::Value, Check::Timer)
}
const fn uint(name: &'static str, lo: i64, hi: i64) -> Kw {
    kw(name, Arg::Value, Check::Uint(lo, hi))
}

const U32: i64 = 4_294_967_295;

const CHECKER_COMMON: [Kw; 13] = [
    val("connect_ip"),
    uint("connect_port", 0, 65535),
    val("bindto"),
    val("bind_if"),
    uint("bind_port", 0, 65535),
    uint("fwmark", 0, U32),
    opt("alpha"),
    timer("connect_timeout"),
    uint("retry", 0, U32),
    timer("delay_before_retry"),
    timer("warmup"),
    timer("delay_loop"),
    opt("log_all_failures"),
];

const fn with<const N: usize, const M: usize>(a: [Kw; N], b: [Kw; M]) -> [Kw; 32] {
    let mut out = [flag(""); 32];
    let mut i = 0;
    while i < N {
        out[i] = a[i];
        i += 1;
    }
    let mut j = 0;
    while j < M {
        out[N + j] = b[j];
        j += 1;
    }
    out
}

const URL: &[Kw] = &[
    val("path"),
    val("digest"),
    kw("status_code", Arg::Value, Check::StatusCode),
    val("virtualhost"),
    val("regex"),
    flag("regex_no_match"),
    val("regex_options"),
    val("regex_stack"),
    val("regex_min_offset"),
    val("regex_max_offset"),
];

const HTTP_ALL: [Kw; 32] = with(
    CHECKER_COMMON,
    [
        val("http_protocol"),
        opt("fast_recovery"),
        kw("url", Arg::Block(URL), Check::None),
        flag("enable_sni"),
        val("virtualhost"),
    ],
);
const TCP_ALL: [Kw; 32] = with(CHECKER_COMMON, [] as [Kw; 0]);
const SMTP_HOST: [Kw; 32] = with(CHECKER_COMMON, [] as [Kw; 0]);
const SMTP_ALL: [Kw; 32] = with(
    CHECKER_COMMON,
    [
        val("helo_name"),
        kw("host", Arg::Block(&SMTP_HOST), Check::None),
    ],
);
const DNS_ALL: [Kw; 32] = with(CHECKER_COMMON, [val("type"), val("name")]);
const MISC_ALL: [Kw; 32] = with(
    CHECKER_COMMON,
    [
        kw("misc_path", Arg::Script, Check::None),
        uint("misc_timeout", 0, U32),
        flag("misc_dynamic"),
        val("user"),
    ],
);
const BFD_ALL: [Kw; 32] = with(CHECKER_COMMON, [val("name")]);
const UDP_ALL: [Kw; 32] = with(
    CHECKER_COMMON,
    [
        val("payload"),
        opt("require_reply"),
        uint("min_reply_length", 0, 65535),
        uint("max_reply_length", 0, 65535),
    ],
);
const FILE_ALL: [Kw; 32] = with(
    CHECKER_COMMON,
    [val("track_file"), flag("dynamic"), val("weight")],
);

const REAL_SERVER: &[Kw] = &[
    uint("weight", 0, 2_147_483_647),
    kw("lvs_method", Arg::Value, Check::Method),
    kw("lb_kind", Arg::Value, Check::Method),
    kw("notify_up", Arg::Script, Check::None),
    kw("notify_down", Arg::Script, Check::None),
    uint("uthreshold", 0, U32),
    uint("lthreshold", 0, U32),
    opt("smtp_alert"),
    val("virtualhost"),
    val("snmp_name"),
    opt("alpha"),
    timer("connect_timeout"),
    uint("retry", 0, U32),
    timer("delay_before_retry"),
    timer("warmup"),
    timer("delay_loop"),
    opt("inhibit_on_failure"),
    kw("HTTP_GET", Arg::Block(&HTTP_ALL), Check::None),
    kw("SSL_GET", Arg::Block(&HTTP_ALL), Check::None),
    kw("TCP_CHECK", Arg::Block(&TCP_ALL), Check::None),
    kw("SMTP_CHECK", Arg::Block(&SMTP_ALL), Check::None),
    kw("DNS_CHECK", Arg::Block(&DNS_ALL), Check::None),
    kw("MISC_CHECK", Arg::Block(&MISC_ALL), Check::None),
    kw("BFD_CHECK", Arg::Block(&BFD_ALL), Check::None),
    kw("PING_CHECK", Arg::Block(&TCP_ALL), Check::None),
    kw("UDP_CHECK", Arg::Block(&UDP_ALL), Check::None),
    kw("FILE_CHECK", Arg::Block(&FILE_ALL), Check::None),
];

const VIRTUAL_SERVER: &[Kw] = &[
    kw("lvs_sched", Arg::Value, Check::Sched),
    kw("lb_algo", Arg::Value, Check::Sched),
    kw("lvs_method", Arg::Value, Check::Method),
    kw("lb_kind", Arg::Value, Check::Method),
    flag("flag-1"),
    flag("flag-2"),
    flag("flag-3"),
    flag("sh-port"),
    flag("sh-fallback"),
    flag("mh-port"),
    flag("mh-fallback"),
    flag("ops"),
    val("persistence_engine"),
    kw("persistence_timeout", Arg::Opt, Check::Uint(1, U32)),
    val("persistence_granularity"),
    kw("protocol", Arg::Value, Check::Protocol),
    flag("ha_suspend"),
    opt("smtp_alert"),
    val("virtualhost"),
    val("snmp_name"),
    opt("alpha"),
    opt("omega"),
    uint("quorum", 1, U32),
    uint("hysteresis", 0, U32),
    kw("quorum_up", Arg::Script, Check::None),
    kw("quorum_down", Arg::Script, Check::None),
    kw("ip_family", Arg::Value, Check::Family),
    val("sorry_server"),
    flag("sorry_server_inhibit"),
    kw("sorry_server_lvs_method", Arg::Value, Check::Method),
    timer("connect_timeout"),
    uint("retry", 0, U32),
    timer("delay_before_retry"),
    timer("warmup"),
    timer("delay_loop"),
    opt("inhibit_on_failure"),
    kw("real_server", Arg::Block(REAL_SERVER), Check::None),
];

const SSL: &[Kw] = &[val("password"), val("ca"), val("certificate"), val("key")];

const SCHEDULERS: &[&str] = &[
    "rr", "wrr", "lc", "wlc", "lblc", "sh", "mh", "dh", "fo", "ovf", "lblcr", "sed", "nq", "twos",
];

fn real(table: &[Kw]) -> impl Iterator<Item = &Kw> {
    table.iter().filter(|k| !k.name.is_empty())
}

/// What one real server contributes to the checks of its virtual server.
struct Real {
    addr: IpAddr,
    port: u16,
    weight: i64,
}

impl Builder<'_> {
    fn lvs_warn(&mut self, d: Diagnostic) {
        self.diags.push(Diagnostic {
            severity: Severity::Warning,
            ..d
        });
    }

    /// Run a value parser that reports errors, reporting them as warnings.
    fn soft<T>(&mut self, f: impl FnOnce(&mut Diagnostics) -> Option<T>) -> Option<T> {
        let mut scratch = Diagnostics::new();
        let v = f(&mut scratch);
        for d in scratch.into_vec() {
            self.lvs_warn(d);
        }
        v
    }

    /// `virtual_server ADDR [PORT] | fwmark N | group NAME { … }`.
    pub(super) fn virtual_server(&mut self, n: &Node) {
        let Some(first) = n.args.first() else {
            self.missing_name(n);
            return;
        };
        enum Vs {
            Addr(IpAddr, Option<u16>),
            Fwmark,
            Group,
            Bad,
        }
        let vs = match first.text.as_str() {
            "fwmark" => {
                match n.args.get(1) {
                    Some(w) => {
                        self.soft(|d| values::int_in(d, "fwmark", w, 1, U32));
                    }
                    None => self.missing_value(n, "fwmark"),
                }
                Vs::Fwmark
            }
            "group" => {
                if n.args.get(1).is_none() {
                    self.missing_value(n, "group");
                }
                Vs::Group
            }
            a => match a.parse::<IpAddr>() {
                Ok(ip) => {
                    let port = n.args.get(1).and_then(|p| {
                        self.soft(|d| values::int_in(d, "virtual_server port", p, 0, 65535))
                            .map(|v| v as u16)
                    });
                    Vs::Addr(ip, port)
                }
                Err(_) => {
                    self.lvs_warn(
                        Diagnostic::warning(
                            codes::BAD_ADDRESS,
                            format!("virtual_server `{a}` is not an IP address; the virtual server is skipped"),
                        )
                        .at(first.span)
                        .help("write `virtual_server IP PORT {`, `virtual_server fwmark N {` or `virtual_server group NAME {`"),
                    );
                    Vs::Bad
                }
            },
        };
        if n.block.is_none() {
            if !matches!(vs, Vs::Bad) {
                self.lvs_warn(
                    Diagnostic::warning(
                        codes::NEEDS_BLOCK,
                        "virtual_server has no block, so no real servers",
                    )
                    .at(n.head_span())
                    .help("add `{ … real_server IP PORT { … } }`"),
                );
            }
            return;
        }
        let mut seen: Vec<String> = Vec::new();
        for c in n.children() {
            if let Some(k) = self.lvs_keyword(VIRTUAL_SERVER, c, "virtual_server") {
                seen.push(k.name.to_string());
            }
        }
        if matches!(vs, Vs::Bad) {
            return;
        }
        let has = |k: &[&str]| seen.iter().any(|s| k.contains(&s.as_str()));
        let head = n.head_span();
        let child_span = |name: &str| {
            n.children()
                .iter()
                .find(|c| c.keyword.text == name)
                .map(|c| c.head_span())
                .unwrap_or(head)
        };
        let family = match vs {
            Vs::Addr(ip, _) => Some(ip.is_ipv6()),
            _ => None,
        };
        if matches!(vs, Vs::Fwmark) && has(&["protocol"]) {
            self.lvs_warn(
                Diagnostic::warning(
                    codes::LVS,
                    "virtual_server fwmark: `protocol` does not apply to a firewall mark, ignored",
                )
                .at(child_span("protocol"))
                .help("remove `protocol`; the mark selects the packets"),
            );
        }
        if !matches!(vs, Vs::Fwmark) && !has(&["protocol"]) {
            self.lvs_warn(
                Diagnostic::warning(
                    codes::LVS,
                    "virtual_server has no `protocol`; keepalived uses UDP",
                )
                .at(head)
                .help("add `protocol TCP` (or UDP, SCTP)"),
            );
        }
        if let Vs::Addr(_, None | Some(0)) = vs {
            if !has(&["persistence_timeout"]) {
                self.lvs_warn(
                    Diagnostic::warning(
                        codes::LVS,
                        "virtual_server without a port: only a persistent service may use port 0",
                    )
                    .at(head)
                    .help("add the port (`virtual_server IP PORT {`), or `persistence_timeout`"),
                );
            }
        }
        if !has(&["lvs_sched", "lb_algo"]) {
            self.lvs_warn(
                Diagnostic::warning(
                    codes::LVS,
                    "virtual_server has no scheduler; keepalived uses wlc",
                )
                .at(head)
                .help("add `lb_algo rr` (or wrr, lc, wlc, sh, ...)"),
            );
        }
        if !has(&["lvs_method", "lb_kind"]) {
            self.lvs_warn(
                Diagnostic::warning(
                    codes::LVS,
                    "virtual_server has no forwarding method; keepalived uses NAT",
                )
                .at(head)
                .help("add `lb_kind NAT` (or DR, TUN)"),
            );
        }
        // Real servers: address, family, duplicates, and the quorum against their weights.
        let mut reals: Vec<Real> = Vec::new();
        for c in n
            .children()
            .iter()
            .filter(|c| c.keyword.text == "real_server")
        {
            let Some(a) = c.args.first() else { continue };
            let Ok(addr) = a.text.parse::<IpAddr>() else {
                self.lvs_warn(
                    Diagnostic::warning(
                        codes::BAD_ADDRESS,
                        format!("real_server `{}` is not an IP address; skipped", a.text),
                    )
                    .at(a.span)
                    .help("write `real_server IP PORT {`"),
                );
                continue;
            };
            if family.is_some_and(|v6| v6 != addr.is_ipv6()) {
                self.lvs_warn(
                    Diagnostic::warning(
                        codes::BAD_ADDRESS,
                        format!(
                            "real_server {addr} is not of the virtual server's address family; skipped"
                        ),
                    )
                    .at(a.span)
                    .help("a virtual server and its real servers use one family"),
                );
                continue;
            }
            let port = c
                .args
                .get(1)
                .and_then(|p| p.text.parse::<u16>().ok())
                .unwrap_or(match vs {
                    Vs::Addr(_, Some(p)) => p,
                    _ => 0,
                });
            if reals.iter().any(|r| r.addr == addr && r.port == port) {
                self.lvs_warn(
                    Diagnostic::warning(
                        codes::DUPLICATE,
                        format!(
                            "real_server {addr} port {port} appears twice; the second is dropped"
                        ),
                    )
                    .at(c.head_span())
                    .help("remove one of them"),
                );
                continue;
            }
            let weight = c
                .children()
                .iter()
                .find(|k| k.keyword.text == "weight")
                .and_then(|k| k.args.first())
                .and_then(|w| w.text.parse::<i64>().ok())
                .unwrap_or(1);
            reals.push(Real { addr, port, weight });
        }
        if reals.is_empty() && !has(&["sorry_server"]) {
            self.lvs_warn(
                Diagnostic::warning(
                    codes::LVS,
                    "virtual_server has no (valid) real server; keepalived ignores it",
                )
                .at(head)
                .help("add `real_server IP PORT { weight 1 }`"),
            );
        }
        let total: i64 = reals.iter().map(|r| r.weight).sum();
        let number_of = |name: &str| {
            n.children()
                .iter()
                .find(|c| c.keyword.text == name)
                .and_then(|c| c.args.first())
                .and_then(|w| w.text.parse::<i64>().ok())
        };
        let mut quorum = number_of("quorum").filter(|q| *q >= 1).unwrap_or(1);
        if quorum > total && !reals.is_empty() {
            self.lvs_warn(
                Diagnostic::warning(
                    codes::LVS,
                    format!("quorum {quorum} is more than the real servers' total weight {total}; keepalived lowers it"),
                )
                .at(child_span("quorum"))
                .help("lower `quorum`, or raise the real servers' weights"),
            );
            quorum = total.max(1);
        }
        if let Some(h) = number_of("hysteresis") {
            if h > 0 && h >= quorum {
                self.lvs_warn(
                    Diagnostic::warning(
                        codes::LVS,
                        format!("hysteresis {h} is not below the quorum {quorum}; keepalived sets it to 0"),
                    )
                    .at(child_span("hysteresis"))
                    .help("use a hysteresis below the quorum"),
                );
            }
        }
    }

    /// `virtual_server_group NAME { ADDR[-RANGE] [PORT] | fwmark N [inet|inet6] … }`.
    pub(super) fn virtual_server_group(&mut self, n: &Node) {
        if n.args.is_empty() {
            self.missing_name(n);
            return;
        }
        for c in n.children() {
            let w = &c.keyword;
            if w.text == "fwmark" {
                match c.args.first() {
                    Some(m) => {
                        self.soft(|d| values::int_in(d, "fwmark", m, 1, U32));
                    }
                    None => self.missing_value(c, "fwmark"),
                }
                continue;
            }
            let addr = match w.text.split_once('-') {
                Some((a, _)) => a,
                None => w.text.as_str(),
            };
            if addr.parse::<IpAddr>().is_err() {
                self.lvs_warn(
                    Diagnostic::warning(
                        codes::BAD_ADDRESS,
                        format!("virtual_server_group entry `{}` is not an address", w.text),
                    )
                    .at(w.span)
                    .help("write `IP PORT`, `IP-LAST PORT` or `fwmark N`"),
                );
            }
        }
    }

    /// The top-level `SSL { … }` block of the HTTP/SSL checkers.
    pub(super) fn ssl_block(&mut self, n: &Node) {
        for c in n.children() {
            self.lvs_keyword(SSL, c, "SSL");
        }
    }

    fn missing_name(&mut self, n: &Node) {
        self.lvs_warn(
            Diagnostic::error(
                codes::MISSING_ARG,
                format!("`{}` is missing its name or address", n.keyword.text),
            )
            .at(n.keyword.span)
            .help(format!("write `{} NAME {{`", n.keyword.text)),
        );
    }

    fn missing_value(&mut self, n: &Node, what: &str) {
        self.lvs_warn(
            Diagnostic::error(codes::MISSING_ARG, format!("`{what}` is missing its value"))
                .at(n.head_span())
                .help(format!("write `{what} <value>`")),
        );
    }

    /// One keyword of an LVS block, checked; returns it when known.
    fn lvs_keyword(&mut self, table: &[Kw], c: &Node, place: &str) -> Option<Kw> {
        let word = &c.keyword;
        let Some(k) = real(table).find(|k| k.name == word.text).copied() else {
            let mut d = Diagnostic::warning(
                codes::UNKNOWN_KEYWORD,
                format!("unknown keyword `{}` in `{place}`", word.text),
            )
            .at(word.span)
            .label("unknown keyword");
            if let Some(s) = did_you_mean(&word.text, real(table).map(|k| k.name)) {
                d = d.help(format!("did you mean `{s}`?"));
            } else if let Some(h) = legacy(&word.text) {
                d = d.help(h);
            }
            self.lvs_warn(d);
            return None;
        };
        match k.arg {
            Arg::Block(sub) => {
                let name = k.name;
                for g in c.children() {
                    self.lvs_keyword(sub, g, name);
                }
                return Some(k);
            }
            Arg::Script => {
                if let Some((cmd, rest)) = self.script_line(c) {
                    let mut cmd = cmd;
                    if let Some(user) = rest.first() {
                        cmd.user = Some(crate::model::UserGroup {
                            user: user.clone(),
                            group: rest.get(1).cloned(),
                        });
                    }
                    self.config.lvs_scripts.push(cmd);
                }
                return Some(k);
            }
            Arg::Flag | Arg::Opt => {}
            Arg::Value => {
                if c.args.is_empty() {
                    self.missing_value(c, k.name);
                    return Some(k);
                }
            }
        }
        let Some(v) = c.args.first() else {
            return Some(k);
        };
        let bad = |what: String, help: &str| {
            Diagnostic::warning(codes::BAD_VALUE, what)
                .at(v.span)
                .help(help.to_string())
        };
        match k.check {
            Check::None => {}
            Check::Uint(lo, hi) => {
                self.soft(|d| values::int_in(d, k.name, v, lo, hi));
            }
            Check::Timer => {
                self.soft(|d| values::seconds_in(d, k.name, v, 0.000_001, 4_294.967_295));
            }
            Check::Sched if !SCHEDULERS.contains(&v.text.as_str()) => self.lvs_warn(bad(
                format!("`{} {}`: no such LVS scheduler", k.name, v.text),
                "use rr, wrr, lc, wlc, lblc, lblcr, sh, mh, dh, fo, ovf, sed, nq or twos",
            )),
            Check::Method if !matches!(v.text.as_str(), "NAT" | "DR" | "TUN") => {
                self.lvs_warn(bad(
                    format!("`{} {}`: no such forwarding method", k.name, v.text),
                    "use NAT, DR or TUN (upper case)",
                ))
            }
            Check::Protocol if !matches!(v.text.as_str(), "TCP" | "UDP" | "SCTP") => {
                self.lvs_warn(bad(
                    format!("`protocol {}`: not TCP, UDP or SCTP", v.text),
                    "use TCP, UDP or SCTP (upper case)",
                ))
            }
            Check::Family if !matches!(v.text.as_str(), "inet" | "inet6") => self.lvs_warn(bad(
                format!("`ip_family {}`: not inet or inet6", v.text),
                "use inet or inet6",
            )),
            Check::StatusCode => {
                for w in &c.args {
                    if !status_code_ok(&w.text) {
                        self.lvs_warn(
                            Diagnostic::warning(
                                codes::BAD_VALUE,
                                format!("`status_code {}` is not an HTTP status or range", w.text),
                            )
                            .at(w.span)
                            .help("use codes from 100 to 599, or ranges such as 200-299"),
                        );
                    }
                }
            }
            _ => {}
        }
        Some(k)
    }
}

fn status_code_ok(s: &str) -> bool {
    let code = |t: &str| t.parse::<u16>().ok().filter(|c| (100..=599).contains(c));
    match s.split_once('-') {
        Some((a, b)) => matches!((code(a), code(b)), (Some(a), Some(b)) if a <= b),
        None => code(s).is_some(),
    }
}

/// Keywords of older keepalived versions that 2.2.7 no longer knows.
fn legacy(word: &str) -> Option<&'static str> {
    Some(match word {
        "nb_get_retry" => "keepalived 2 renamed it: write `retry`",
        "nat_mask" => "keepalived 2 dropped it: remove the line",
        _ => return None,
    })
}
