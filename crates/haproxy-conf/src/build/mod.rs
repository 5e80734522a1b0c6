//! Sections -> typed model. Every problem is reported and the walk goes on.

mod condition;
mod global;
mod health;
mod legacy;
mod other_sections;
mod proxy;
mod rules;
mod server;

pub use server::{Opt, BIND_OPTS, SERVER_OPTS};

pub use condition::PREDEFINED_ACLS;

use crate::codes;
use crate::model::{Config, Proxy, ProxyKind};
use crate::registry::{self, Keyword, Status};
use crate::source::{Line, Section, SectionKind, Word};
use crate::tokenizer::{self, Env};
use conf_diag::{did_you_mean, Diagnostic, Diagnostics, Span};

pub struct Builder<'d> {
    pub diags: &'d mut Diagnostics,
    env: &'d dyn Env,
    pub config: Config,
    /// Defaults sections seen so far (the last one applies to the proxies after it).
    defaults: Vec<Proxy>,
}

impl<'d> Builder<'d> {
    pub fn new(diags: &'d mut Diagnostics, env: &'d dyn Env) -> Self {
        Builder {
            diags,
            env,
            config: Config::default(),
            defaults: Vec::new(),
        }
    }

    pub fn build(mut self, sections: &[Section]) -> Config {
        for s in sections {
            match s.kind {
                SectionKind::Global => self.global(s),
                k if k.is_proxy() => self.proxy_section(s),
                _ => self.other_section(s),
            }
        }
        // HAProxy's buffer size when `tune.bufsize` is not set, with or without a
        // global section.
        if self.config.global.tune_bufsize == 0 {
            self.config.global.tune_bufsize = 16384;
        }
        let with_rules: Vec<(String, bool)> = self
            .defaults
            .iter()
            .map(|d| (d.name.clone(), !d.rules.is_empty()))
            .collect();
        crate::checks::defaults_with_rules(&self.config, &with_rules, self.diags);
        self.config
    }

    fn proxy_section(&mut self, s: &Section) {
        let kind = match s.kind {
            SectionKind::Defaults => ProxyKind::Defaults,
            SectionKind::Frontend => ProxyKind::Frontend,
            SectionKind::Backend => ProxyKind::Backend,
            _ => ProxyKind::Listen,
        };
        let h = &s.header;
        let name = h.words.get(1).filter(|w| w.text != "from");
        if name.is_none() && kind != ProxyKind::Defaults {
            self.diags.push(
                Diagnostic::error(
                    codes::MISSING_NAME,
                    format!("`{}` needs a name", kind.keyword()),
                )
                .at(h.words[0].span)
                .help(format!("write `{} NAME`", kind.keyword())),
            );
            return;
        }
        if let Some(w) = name {
            if let Some(bad) = w
                .text
                .chars()
                .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':')))
            {
                self.diags.push(
                    Diagnostic::error(
                        codes::BAD_VALUE,
                        format!(
                            "character `{bad}` is not allowed in the {} name `{}`",
                            kind.keyword(),
                            w.text
                        ),
                    )
                    .at(w.span)
                    .help("names use letters, digits, `-`, `_`, `.` and `:`"),
                );
            }
        }
        let name_text = name.map(|w| w.text.clone()).unwrap_or_default();
        let span = name.map(|w| w.span).unwrap_or(h.words[0].span);
        // `from NAME` picks a named defaults section; otherwise the last one applies.
        let mut rest: Vec<&Word> = h
            .words
            .iter()
            .skip(if name.is_some() { 2 } else { 1 })
            .collect();
        let mut base: Option<Proxy> = self.defaults.last().cloned();
        if let Some(pos) = rest.iter().position(|w| w.text == "from") {
            match rest.get(pos + 1) {
                Some(dname) => match self.defaults.iter().rev().find(|d| d.name == dname.text) {
                    Some(d) => base = Some(d.clone()),
                    None => {
                        let names: Vec<&str> = self
                            .defaults
                            .iter()
                            .map(|d| d.name.as_str())
                            .filter(|n| !n.is_empty())
                            .collect();
                        let mut d = Diagnostic::error(
                            codes::UNKNOWN_DEFAULTS,
                            format!("no defaults section named `{}` above this line", dname.text),
                        )
                        .at(dname.span);
                        if let Some(s) = did_you_mean(&dname.text, names.iter().copied()) {
                            d = d.help(format!("did you mean `{s}`?"));
                        }
                        self.diags.push(d);
                    }
                },
                None => self.diags.push(
                    Diagnostic::error(
                        codes::MISSING_ARG,
                        "`from` needs the name of a defaults section",
                    )
                    .at(rest[pos].span),
                ),
            }
            rest.truncate(pos);
        }
        let mut p = match &base {
            Some(d) => Proxy::from_defaults(kind, name_text, span, d),
            None => Proxy::new(kind, name_text, span),
        };
        if kind == ProxyKind::Defaults {
            p.defaults = base.as_ref().map(|b| b.name.clone());
        }
        // Legacy `frontend NAME ADDR:PORT`.
        if !rest.is_empty() {
            self.legacy_header_bind(&mut p, &rest);
        }
        for line in &s.lines {
            self.proxy_line(&mut p, line);
        }
        if kind == ProxyKind::Defaults {
            self.defaults.push(p);
        } else {
            self.config.proxies.push(p);
        }
    }

    /// Resolve a line to its registry keyword: `(keyword, index of first argument, negated)`.
    fn resolve(
        &mut self,
        table: &[Keyword],
        line: &Line,
        section: u8,
        place: &str,
    ) -> Option<(Keyword, usize, bool)> {
        let w0 = line.word(0).unwrap_or("");
        let (negated, start) = if w0 == "no" { (true, 1) } else { (false, 0) };
        let w = |i: usize| line.word(start + i).unwrap_or("");
        let two = format!("{} {}", w(0), w(1));
        let three = format!("{} {}", two, w(2));
        let (kw, args_at) = if w(0) == "option" {
            match registry::lookup(registry::OPTIONS, w(1)) {
                Some(k) => (Some(k), start + 2),
                None => {
                    let word = line.words.get(start + 1).or(line.words.get(start));
                    self.unknown(
                        word,
                        w(1),
                        registry::OPTIONS.iter().map(|k| k.name),
                        "option",
                    );
                    return None;
                }
            }
        } else if let Some(k) = registry::lookup(table, &three) {
            (Some(k), start + 3)
        } else if let Some(k) = registry::lookup(table, &two) {
            (Some(k), start + 2)
        } else {
            (registry::lookup(table, w(0)), start + 1)
        };
        let Some(kw) = kw else {
            let word = line.words.get(start);
            let mut cands: Vec<&str> = table
                .iter()
                .map(|k| k.name.split(' ').next().unwrap_or(k.name))
                .collect();
            cands.extend(SectionKind::ALL.iter().map(|(k, _)| *k));
            self.unknown(word, w(0), cands.into_iter(), place);
            return None;
        };
        if kw.sections & section == 0 {
            let allowed: Vec<&str> = [
                (registry::G, "global"),
                (registry::D, "defaults"),
                (registry::F, "frontend"),
                (registry::B, "backend"),
                (registry::L, "listen"),
            ]
            .iter()
            .filter(|(b, _)| kw.sections & b != 0)
            .map(|(_, n)| *n)
            .collect();
            // A frontend-only keyword in a backend (or the reverse) is ignored with a
            // warning, as HAProxy does; anywhere else it is an error.
            let capability = (section == registry::F || section == registry::B)
                && kw.sections & (registry::F | registry::B | registry::L) != 0
                && kw.name != "server";
            let d = if capability {
                let lacks = if section == registry::F {
                    "backend"
                } else {
                    "frontend"
                };
                Diagnostic::warning(
                    codes::WRONG_SECTION,
                    format!("`{}` ignored: a {place} has no {lacks} part", kw.name),
                )
                .label("ignored")
            } else {
                Diagnostic::error(
                    codes::WRONG_SECTION,
                    format!("`{}` is not allowed in a {place} section", kw.name),
                )
            };
            self.diags.push(
                d.at(line.span())
                    .help(format!("it belongs in: {}", allowed.join(", "))),
            );
            return None;
        }
        if let Some(max) = max_args(kw.name) {
            let given = line.words.len().saturating_sub(args_at);
            if given > max {
                self.diags.push(
                    Diagnostic::error(
                        codes::EXTRA_ARGS,
                        format!(
                            "`{}` takes {} argument{}, found {given}",
                            kw.name,
                            if max == 0 {
                                "no".to_string()
                            } else {
                                max.to_string()
                            },
                            if max == 1 { "" } else { "s" }
                        ),
                    )
                    .at(line.span_from(args_at + max))
                    .label("unexpected")
                    .help("remove the extra words"),
                );
                return None;
            }
        }
        if negated && w(0) != "option" && !matches!(kw.name, "log") {
            self.diags.push(
                Diagnostic::error(
                    codes::BAD_VALUE,
                    format!("`no` cannot be used with `{}`", kw.name),
                )
                .at(line.words[0].span)
                .help("`no` applies to `option …` and `log`"),
            );
            return None;
        }
        let shown = format!(
            "{}{}",
            if w(0) == "option" { "option " } else { "" },
            kw.name
        );
        match kw.status {
            Status::Supported | Status::Legacy(_) => Some((kw, args_at, negated)),
            Status::Ignored(why) => {
                self.diags.push(
                    Diagnostic::warning(
                        codes::NOT_IMPLEMENTED,
                        format!("`{shown}` is not run by proxyd yet, ignored"),
                    )
                    .at(line.span())
                    .label("ignored")
                    .help(format!(
                        "{why}; it cannot change who gets in or where traffic goes"
                    )),
                );
                // Still read: its value is checked as HAProxy checks it.
                Some((kw, args_at, negated))
            }
            Status::Refused(why) => {
                self.diags.push(
                    Diagnostic::error(
                        codes::REFUSED,
                        format!("`{shown}` is not run by proxyd yet"),
                    )
                    .at(line.span())
                    .label("not supported by proxyd yet")
                    .help(format!(
                        "{why}. HAProxy accepts it, but it decides who gets in or where traffic goes, so proxyd does not ignore it: remove it or keep this proxy on HAProxy for now"
                    )),
                );
                None
            }
        }
    }

    fn unknown<'a>(
        &mut self,
        word: Option<&Word>,
        text: &str,
        cands: impl Iterator<Item = &'a str>,
        place: &str,
    ) {
        let span = word
            .map(|w| w.span)
            .unwrap_or(Span::new(conf_diag::FileId(0), 0, 0));
        let mut d = Diagnostic::error(
            codes::UNKNOWN_KEYWORD,
            format!("unknown keyword `{text}` in {place}"),
        )
        .at(span)
        .label("unknown keyword");
        let cands: Vec<&str> = cands.collect();
        if let Some(s) = did_you_mean(text, cands.iter().copied()) {
            d = d.help(format!("did you mean `{s}`?"));
        }
        self.diags.push(d);
    }

    // Small helpers shared by the section builders.

    /// `bind` and `server` addresses expand `$VAR` themselves, even unquoted (as HAProxy).
    fn expand_address(&mut self, text: &str) -> String {
        if !text.contains('$') {
            return text.to_string();
        }
        let quoted = format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""));
        let lexed = tokenizer::lex_line(&quoted);
        let mut undefined = Vec::new();
        lexed
            .words
            .first()
            .and_then(|w| tokenizer::expand(w, self.env, &mut undefined))
            .unwrap_or_else(|| text.to_string())
    }

    fn arg<'l>(&mut self, line: &'l Line, idx: usize, what: &str, kw: &str) -> Option<&'l Word> {
        let w = line.words.get(idx);
        if w.is_none() {
            let mut d = Diagnostic::error(codes::MISSING_ARG, format!("`{kw}` expects {what}"))
                .at(line.span())
                .label(format!("{what} missing"));
            d = match &line.comment {
                // `log ###.###.###.###:514` - a tutorial's placeholder starts with `#`.
                Some(c) if c.text.len() > 1 => d
                    .note(
                        Some(c.span),
                        format!(
                            "`{}` is a comment: `#` starts one anywhere outside quotes",
                            c.text
                        ),
                    )
                    .help(format!(
                        "replace the placeholder with a real value ({what})"
                    )),
                _ => d.help(format!("write `{kw} <{what}>`")),
            };
            self.diags.push(d);
        }
        w
    }

    fn time(&mut self, line: &Line, idx: usize, kw: &str) -> Option<u64> {
        let w = self.arg(line, idx, "a time", kw)?;
        match crate::values::parse_time_ms(&w.text) {
            Ok(v) => Some(v),
            Err(msg) => {
                self.diags.push(
                    Diagnostic::error(codes::BAD_VALUE, format!("`{kw}`: {msg}"))
                        .at(w.span)
                        .help("write e.g. `5s`, `500ms`, `1m`; a number alone is milliseconds"),
                );
                None
            }
        }
    }

    /// A number, read leniently as HAProxy reads it (leading digits, else 0) with a warning.
    fn uint(&mut self, line: &Line, idx: usize, kw: &str) -> Option<u64> {
        let w = self.arg(line, idx, "a number", kw)?;
        match crate::values::parse_uint(&w.text) {
            Ok(v) => Some(v),
            Err(msg) => {
                let digits: String = w.text.chars().take_while(|c| c.is_ascii_digit()).collect();
                let v = digits.parse().unwrap_or(0);
                self.diags.push(
                    Diagnostic::warning(codes::BAD_VALUE, format!("`{kw}`: {msg}; read as {v}"))
                        .at(w.span)
                        .label(format!("read as {v}"))
                        .help("write a whole number (HAProxy reads such values the same way, silently)"),
                );
                Some(v)
            }
        }
    }
}

/// Keywords that take a fixed number of arguments at most (HAProxy rejects more).
fn max_args(kw: &str) -> Option<usize> {
    Some(match kw {
        "daemon"
        | "disabled"
        | "enabled"
        | "stats enable"
        | "stats hide-version"
        | "stats show-legends"
        | "zero-warning"
        | "noreuseport"
        | "h2-workaround-bogus-websocket-clients"
        | "h1-accept-payload-with-any-method"
        | "busy-polling"
        | "insecure-fork-wanted"
        | "insecure-setuid-wanted"
        | "noepoll"
        | "noevports"
        | "nokqueue"
        | "nopoll"
        | "nogetaddrinfo"
        | "nosplice"
        | "no-memory-trimming"
        | "set-dumpable"
        | "strict-limits"
        | "external-check"
        | "quiet" => 0,
        "maxconn"
        | "user"
        | "group"
        | "uid"
        | "gid"
        | "chroot"
        | "pidfile"
        | "localpeer"
        | "nbthread"
        | "tune.bufsize"
        | "tune.maxrewrite"
        | "tune.h2.max-concurrent-streams"
        | "tune.h2.initial-window-size"
        | "tune.h2.header-table-size"
        | "tune.h2.max-frame-size"
        | "hard-stop-after"
        | "grace"
        | "ca-base"
        | "crt-base"
        | "log-tag"
        | "stats timeout"
        | "mode"
        | "fullconn"
        | "backlog"
        | "retries"
        | "default_backend"
        | "monitor-uri"
        | "stats uri"
        | "stats refresh"
        | "stats auth" => 1,
        k if k.starts_with("timeout ") => 1,
        _ => return None,
    })
}
