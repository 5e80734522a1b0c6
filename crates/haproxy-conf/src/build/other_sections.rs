//! `userlist`, `mailers`, `resolvers`, `http-errors`, `peers`; `cache`, `program` and `ring`
//! are read and ignored with a warning.

use super::Builder;
use crate::codes;
use crate::model::{HttpErrors, Mailers, NamedSection, Resolvers, Userlist};
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
                for l in &lines {
                    match (l.first().map(String::as_str), l.get(1)) {
                        (Some("user"), Some(n)) => u.users.push((n.clone(), l[2..].join(" "))),
                        (Some("group"), Some(n)) => u.groups.push(n.clone()),
                        _ => {}
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
            SectionKind::Peers => self.config.peers.push(NamedSection {
                kind: kw.into(),
                name: Some(name),
                lines,
            }),
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
