//! `userlist`, `mailers`, `resolvers`, `http-errors`, `peers`; `cache`, `program` and `ring`
//! are read and ignored with a warning.

use super::Builder;
use crate::codes;
use crate::model::{
    CacheSection, Group, HttpErrors, Mailers, NamedSection, Password, Peer, PeersSection,
    Resolvers, User, Userlist,
};
use crate::source::{Section, SectionKind};
use conf_diag::Diagnostic;

impl Builder<'_> {
    pub(super) fn other_section(&mut self, s: &Section) {
        let name = s.header.words.get(1).map(|w| w.text.clone());
        let kw = s.kind.keyword();
        let Some(name) = name else {
            self.diags.push(
                Diagnostic::error(codes::MISSING_NAME, format!("`{kw}` needs a name"))
                    .at(s.header.words[0].span)
                    .help(format!("write `{kw} NAME`")),
            );
            return;
        };
        let lines: Vec<Vec<String>> = s
            .lines
            .iter()
            .map(|l| l.words.iter().map(|w| w.text.clone()).collect())
            .collect();
        match s.kind {
            SectionKind::Userlist => {
                let mut u = Userlist {
                    name,
                    users: Vec::new(),
                    groups: Vec::new(),
                };
                for (l, line) in lines.iter().zip(&s.lines) {
                    let list = |v: Option<&String>| -> Vec<String> {
                        v.map(|v| {
                            v.split(',')
                                .filter(|x| !x.is_empty())
                                .map(str::to_string)
                                .collect()
                        })
                        .unwrap_or_default()
                    };
                    let bad = |me: &mut Self, msg: String, help: &str| {
                        me.diags.push(
                            Diagnostic::error(codes::BAD_VALUE, msg)
                                .at(line.span())
                                .help(help.to_string()),
                        );
                    };
                    match (l.first().map(String::as_str), l.get(1)) {
                        (Some("user"), Some(n)) => {
                            let mut user = User {
                                name: n.clone(),
                                password: None,
                                groups: Vec::new(),
                            };
                            let mut i = 2;
                            while i < l.len() {
                                let v = l.get(i + 1);
                                match (l[i].as_str(), v) {
                                    ("password", Some(h)) => {
                                        user.password = Some(Password::Hashed(h.clone()))
                                    }
                                    ("insecure-password", Some(p)) => {
                                        user.password = Some(Password::Insecure(p.clone()))
                                    }
                                    ("groups", Some(_)) => user.groups = list(v),
                                    (k, _) => {
                                        bad(
                                            self,
                                            format!("userlist {}: `user {n}`: unexpected `{k}`", u.name),
                                            "write `user NAME [password HASH | insecure-password TEXT] [groups G1,G2]`",
                                        );
                                        break;
                                    }
                                }
                                i += 2;
                            }
                            u.users.push(user);
                        }
                        (Some("group"), Some(n)) => {
                            let users = match (l.get(2).map(String::as_str), l.get(3)) {
                                (None, _) => Vec::new(),
                                (Some("users"), Some(_)) => list(l.get(3)),
                                (Some(k), _) => {
                                    bad(
                                        self,
                                        format!(
                                            "userlist {}: `group {n}`: unexpected `{k}`",
                                            u.name
                                        ),
                                        "write `group NAME [users U1,U2]`",
                                    );
                                    Vec::new()
                                }
                            };
                            u.groups.push(Group {
                                name: n.clone(),
                                users,
                            });
                        }
                        (Some(k), _) => bad(
                            self,
                            format!("userlist {}: unknown keyword `{k}`", u.name),
                            "a userlist holds `user` and `group` lines",
                        ),
                        _ => {}
                    }
                }
                // Every group a user names must exist, as HAProxy checks.
                for user in &u.users {
                    for g in &user.groups {
                        if !u.groups.iter().any(|x| &x.name == g) {
                            self.diags.push(
                                Diagnostic::error(
                                    codes::UNKNOWN_REF,
                                    format!("userlist {}: user `{}` names group `{g}`, which is not declared", u.name, user.name),
                                )
                                .at(s.header.span())
                                .help(format!("add `group {g}` before the users")),
                            );
                        }
                    }
                }
                self.config.userlists.push(u);
            }
            SectionKind::Mailers => {
                let mut m = Mailers {
                    name,
                    timeout_mail_ms: None,
                    mailers: Vec::new(),
                    span: s.header.span(),
                };
                for (l, line) in lines.iter().zip(&s.lines) {
                    match l.first().map(String::as_str) {
                        Some("mailer") => match (l.get(1), l.get(2)) {
                            (Some(n), Some(addr)) => {
                                if let Err(e) = crate::values::parse_server_addr(addr) {
                                    self.diags.push(
                                        Diagnostic::error(
                                            codes::BAD_ADDRESS,
                                            format!("mailer `{n}`: {}", e.message),
                                        )
                                        .at(line.words[2].span)
                                        .help(e.help),
                                    );
                                }
                                m.mailers.push((n.clone(), addr.clone()))
                            }
                            _ => self.diags.push(
                                Diagnostic::error(
                                    codes::MISSING_ARG,
                                    "`mailer` expects a name and an address",
                                )
                                .at(line.span())
                                .help("write `mailer smtp1 192.168.0.1:25`"),
                            ),
                        },
                        Some("timeout") if l.get(1).map(String::as_str) == Some("mail") => {
                            m.timeout_mail_ms = self.time(line, 2, "timeout mail");
                        }
                        Some(other) => {
                            let other = other.to_string();
                            self.unknown(
                                line.words.first(),
                                &other,
                                ["mailer", "timeout"].into_iter(),
                                "mailers",
                            );
                        }
                        None => {}
                    }
                }
                self.config.mailers.push(m);
            }
            SectionKind::Resolvers => {
                let mut r = Resolvers {
                    name,
                    nameservers: Vec::new(),
                    other: Vec::new(),
                };
                for l in &lines {
                    match (l.first().map(String::as_str), l.get(1), l.get(2)) {
                        (Some("nameserver"), Some(n), Some(a)) => {
                            r.nameservers.push((n.clone(), a.clone()))
                        }
                        (Some(k), _, _) => r.other.push((k.to_string(), l[1..].to_vec())),
                        _ => {}
                    }
                }
                self.config.resolvers.push(r);
            }
            SectionKind::HttpErrors => {
                let mut h = HttpErrors {
                    name,
                    errorfiles: Vec::new(),
                };
                for l in &lines {
                    if let (Some("errorfile"), Some(code), Some(f)) =
                        (l.first().map(String::as_str), l.get(1), l.get(2))
                    {
                        if let Ok(c) = code.parse() {
                            h.errorfiles.push((c, f.clone()));
                        }
                    }
                }
                self.config.http_errors.push(h);
            }
            SectionKind::Cache => {
                let mut c = CacheSection {
                    name,
                    total_bytes: 0,
                    max_object: 0,
                    max_age_s: 60,
                    span: s.header.span(),
                };
                let mut total = None;
                for (l, line) in lines.iter().zip(&s.lines) {
                    let num = |me: &mut Self, what: &str| -> Option<u64> {
                        match l.get(1).map(|v| v.parse::<u64>()) {
                            Some(Ok(n)) => Some(n),
                            _ => {
                                me.diags.push(
                                    Diagnostic::error(
                                        codes::BAD_VALUE,
                                        format!("cache {}: `{what}` expects a number", c.name),
                                    )
                                    .at(line.span()),
                                );
                                None
                            }
                        }
                    };
                    match l.first().map(String::as_str) {
                        Some("total-max-size") => {
                            total = num(self, "total-max-size");
                        }
                        Some("max-object-size") => {
                            if let Some(n) = num(self, "max-object-size") {
                                c.max_object = n;
                            }
                        }
                        Some("max-age") => {
                            if let Some(n) = num(self, "max-age") {
                                c.max_age_s = n;
                            }
                        }
                        Some("process-vary") if l.get(1).map(String::as_str) == Some("on") => {
                            self.diags.push(
                                Diagnostic::error(
                                    codes::REFUSED,
                                    format!("cache {}: `process-vary on` is not run by proxyd yet", c.name),
                                )
                                .at(line.span())
                                .help("without it, responses with a Vary header are not cached (HAProxy's default)"),
                            );
                        }
                        Some("process-vary") => {}
                        Some("max-secondary-entries") => {}
                        Some(k) => {
                            let k = k.to_string();
                            self.diags.push(
                                Diagnostic::error(
                                    codes::UNKNOWN_KEYWORD,
                                    format!("cache {}: unknown keyword `{k}`", c.name),
                                )
                                .at(line.span())
                                .help("total-max-size, max-object-size, max-age, process-vary, max-secondary-entries"),
                            );
                        }
                        None => {}
                    }
                }
                match total {
                    Some(mb) if mb > 0 => {
                        c.total_bytes = mb.saturating_mul(1024 * 1024);
                        if c.max_object == 0 {
                            c.max_object = c.total_bytes / 256;
                        }
                        self.config.caches.push(c);
                    }
                    _ => self.diags.push(
                        Diagnostic::error(
                            codes::MISSING_ARG,
                            format!("cache {} needs `total-max-size` (megabytes)", c.name),
                        )
                        .at(s.header.span())
                        .help("add e.g. `total-max-size 64`"),
                    ),
                }
            }
            SectionKind::Peers => self.peers_section(s, name),
            _ => {
                self.diags.push(
                    Diagnostic::warning(
                        codes::NOT_IMPLEMENTED,
                        format!("`{kw}` sections are not supported by proxyd yet, ignored"),
                    )
                    .at(s.header.span())
                    .label("ignored"),
                );
                self.config.other_sections.push(NamedSection {
                    kind: kw.into(),
                    name: Some(name),
                    lines,
                });
            }
        }
    }
}

impl Builder<'_> {
    /// A `peers` section: `peer NAME ADDR:PORT` lines (or `server NAME [ADDR:PORT]` with
    /// a `bind` line giving the local one's address), `disabled`/`enabled`.
    fn peers_section(&mut self, s: &Section, name: String) {
        let mut sec = PeersSection {
            name,
            peers: Vec::new(),
            disabled: false,
            span: s.header.span(),
        };
        let mut bind = None;
        let addr = |me: &mut Self, w: &crate::source::Word| -> Option<std::net::SocketAddr> {
            match w.text.parse() {
                Ok(a) => Some(a),
                Err(_) => {
                    me.diags.push(
                        Diagnostic::error(
                            codes::BAD_VALUE,
                            format!("peers: `{}` is not an IP address and port", w.text),
                        )
                        .at(w.span)
                        .help("write e.g. `192.168.1.10:10000` (a peer is reached at an address, not a name)"),
                    );
                    None
                }
            }
        };
        for line in &s.lines {
            let Some(kw) = line.words.first() else {
                continue;
            };
            match kw.text.as_str() {
                "peer" | "server" => {
                    let Some(n) = line.words.get(1) else {
                        self.diags.push(
                            Diagnostic::error(codes::MISSING_ARG, format!("`{}` needs a name", kw.text))
                                .at(kw.span)
                                .help("write `peer NAME ADDR:PORT`"),
                        );
                        continue;
                    };
                    let a = match line.words.get(2) {
                        Some(w) => match addr(self, w) {
                            Some(a) => Some(a),
                            None => continue,
                        },
                        None if kw.text == "server" => None,
                        None => {
                            self.diags.push(
                                Diagnostic::error(codes::MISSING_ARG, format!("`peer {}` needs an address", n.text))
                                    .at(n.span)
                                    .help("write `peer NAME ADDR:PORT`"),
                            );
                            continue;
                        }
                    };
                    if let Some(w) = line.words.get(3) {
                        self.diags.push(
                            Diagnostic::error(
                                codes::REFUSED,
                                format!("peer `{}`: `{}` is not run by proxyd yet", n.text, w.text),
                            )
                            .at(w.span)
                            .help("proxyd speaks to peers in clear TCP without server options; remove them"),
                        );
                    }
                    if sec.peers.iter().any(|p| p.name == n.text) {
                        self.diags.push(
                            Diagnostic::error(
                                codes::BAD_VALUE,
                                format!("peers {}: peer `{}` is declared twice", sec.name, n.text),
                            )
                            .at(n.span)
                            .help("give every peer its own name"),
                        );
                        continue;
                    }
                    sec.peers.push(Peer {
                        name: n.text.clone(),
                        addr: a,
                        span: line.span(),
                    });
                }
                "bind" => match line.words.get(1) {
                    Some(w) => {
                        if let Some(a) = addr(self, w) {
                            bind = Some(a);
                        }
                        if let Some(extra) = line.words.get(2) {
                            self.diags.push(
                                Diagnostic::error(
                                    codes::REFUSED,
                                    format!("peers bind option `{}` is not run by proxyd yet", extra.text),
                                )
                                .at(extra.span)
                                .help("proxyd listens for peers in clear TCP; remove the options"),
                            );
                        }
                    }
                    None => self.diags.push(
                        Diagnostic::error(codes::MISSING_ARG, "`bind` needs an address")
                            .at(kw.span)
                            .help("write `bind ADDR:PORT`"),
                    ),
                },
                "disabled" => sec.disabled = true,
                "enabled" => sec.disabled = false,
                "log" | "shards" => self.diags.push(
                    Diagnostic::warning(
                        codes::NOT_IMPLEMENTED,
                        format!("peers `{}` is not run by proxyd yet, ignored", kw.text),
                    )
                    .at(kw.span)
                    .help("it cannot change what is shared nor where traffic goes"),
                ),
                other => self.diags.push(
                    Diagnostic::error(
                        codes::REFUSED,
                        format!("peers {}: `{other}` is not run by proxyd yet", sec.name),
                    )
                    .at(kw.span)
                    .help(match other {
                        "table" => "declare the table in a backend (`stick-table ... peers NAME`)",
                        _ => "a peers section proxyd runs holds `peer NAME ADDR:PORT` lines (or `bind` and `server`)",
                    }),
                ),
            }
        }
        // `bind` gives the address of the peer declared without one (the local one).
        if let Some(b) = bind {
            for p in sec.peers.iter_mut().filter(|p| p.addr.is_none()) {
                p.addr = Some(b);
            }
        }
        self.config.peers.push(sec);
    }
}
