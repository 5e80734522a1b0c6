//! Syntax tree -> typed model, one block kind per function. Every problem is reported
//! and the walk goes on, so one run shows them all.

use crate::codes;
use crate::keywords::{self, Empty, Keyword, Status};
use crate::lexer::Word;
use crate::model::*;
use crate::syntax::Node;
use crate::values;
use conf_diag::{did_you_mean, Diagnostic, Diagnostics, Span};

mod lvs;

pub struct Builder<'d> {
    pub diags: &'d mut Diagnostics,
    pub config: Config,
    /// The keyword of the last line of the configuration (the last node in file order),
    /// and whether that line is at the top level: a block keyword written there without
    /// `{` has nothing left to swallow (see [`Builder::needs_block`]).
    last_line: Option<(Span, bool)>,
}

impl<'d> Builder<'d> {
    pub fn new(diags: &'d mut Diagnostics) -> Self {
        Builder {
            diags,
            config: Config::default(),
            last_line: None,
        }
    }

    pub fn build(mut self, nodes: &[Node]) -> Config {
        self.last_line = nodes.last().map(|top| {
            let mut n = top;
            while let Some(c) = n.children().last() {
                n = c;
            }
            (n.keyword.span, std::ptr::eq(n, top))
        });
        // global_defs first: instance defaults (version, garp timings) come from it
        // wherever it stands in the file.
        for n in nodes.iter().filter(|n| n.keyword.text == "global_defs") {
            self.global_defs(n);
        }
        for n in nodes {
            let kw = self.known(keywords::TOP, n, "at the top level");
            // Blocks keepalived checks under -t whatever vrrpd does with them.
            match n.keyword.text.as_str() {
                "virtual_server" => self.virtual_server(n),
                "virtual_server_group" => self.virtual_server_group(n),
                "SSL" => self.ssl_block(n),
                "vrrp_track_file" | "track_file" => {
                    let _ = self.block_name(n);
                }
                "static_ipaddress" => {
                    let v = self.vips(n);
                    self.config.static_addresses.extend(v);
                }
                "static_routes" => {
                    let r = self.routes_block(n, false);
                    self.config.static_routes.extend(r);
                }
                "static_rules" => {
                    let r = self.rules_block(n);
                    self.config.static_rules.extend(r);
                }
                _ => {}
            }
            let Some(kw) = kw else {
                continue;
            };
            match kw.name {
                "global_defs" => {}
                "vrrp_script" => self.vrrp_script(n),
                "vrrp_instance" => self.vrrp_instance(n),
                "vrrp_sync_group" => self.sync_group(n),
                "vrrp_track_process" => self.track_process(n),
                _ => {}
            }
        }
        self.finish_tracking();
        self.config
    }

    /// Look a keyword up; report unknown and unsupported ones, and a missing value where
    /// keepalived does not simply stop at it (see [`Empty`]). None = skip the node.
    fn known(&mut self, table: &[Keyword], n: &Node, place: &str) -> Option<Keyword> {
        let word = &n.keyword;
        let found = keywords::lookup(table, &word.text);
        if let Some(k) = found {
            if self.empty_value(k, n) {
                return None;
            }
        }
        match found {
            Some(k) if k.status == Status::Supported => Some(k),
            Some(k) if k.status == Status::Ignored => {
                self.diags.push(
                    Diagnostic::warning(
                        codes::UNSUPPORTED,
                        format!("`{}` is not supported by vrrpd yet, ignored", k.name),
                    )
                    .at(word.span)
                    .label("ignored"),
                );
                None
            }
            Some(Keyword {
                status: Status::Refused(why),
                name,
                ..
            }) => {
                self.diags.push(
                    Diagnostic::error(
                        codes::REFUSED,
                        format!("`{name}` is not supported by vrrpd yet: {why}"),
                    )
                    .at(word.span)
                    .label("keepalived runs this; vrrpd cannot")
                    .help("remove it, or keep this node on keepalived until vrrpd supports it"),
                );
                None
            }
            Some(k) => {
                self.diags.push(
                    Diagnostic::warning(
                        codes::UNSUPPORTED,
                        format!(
                            "`{}` belongs to a keepalived subsystem vrrpd does not have; block ignored",
                            k.name
                        ),
                    )
                    .at(word.span)
                    .label("ignored")
                    .help("vrrpd does VRRP only: run the LVS/BFD part with keepalived -C, or use proxyd for load balancing"),
                );
                None
            }
            None => {
                // A near miss of a known keyword is a typo whose intent is clear: refuse it
                // rather than run without the setting. Anything else may be a keyword of a
                // newer keepalived, so it is ignored with a warning, as keepalived does.
                let d = match did_you_mean(&word.text, keywords::names(table)) {
                    Some(s) => Diagnostic::error(
                        codes::UNKNOWN_KEYWORD,
                        format!("unknown keyword `{}` {place}", word.text),
                    )
                    .label("unknown keyword")
                    .help(format!("did you mean `{s}`?")),
                    None => Diagnostic::warning(
                        codes::UNKNOWN_KEYWORD,
                        format!("unknown keyword `{}` {place}, ignored", word.text),
                    )
                    .label("unknown keyword"),
                };
                self.diags.push(d.at(word.span));
                None
            }
        }
    }

    /// A keyword written without its value, where the registry says what keepalived does
    /// then; true = reported here, skip the line.
    fn empty_value(&mut self, k: Keyword, n: &Node) -> bool {
        if !n.args.is_empty() || n.block.is_some() {
            return false;
        }
        let name = k.name;
        let d = match k.empty {
            Empty::Checked => return false,
            Empty::Stops(form) => {
                Diagnostic::error(codes::MISSING_ARG, format!("`{name}` is missing its value"))
                    .label("keepalived stops reading the configuration here")
                    .help(format!("write `{form}`, or remove the line"))
            }
            Empty::Warns(form) => Diagnostic::warning(
                codes::VALUE_MISSING,
                format!("`{name}` has no value; the line is ignored"),
            )
            .label("keepalived reports it and ignores the line too")
            .help(format!("ignored: write `{form}`, or remove the line")),
            Empty::Silent(form) => Diagnostic::warning(
                codes::VALUE_EMPTY,
                format!("`{name}` has no value; the line is ignored"),
            )
            .label("keepalived ignores it without a word")
            .help(format!("ignored: write `{form}`, or remove the line")),
        };
        self.diags.push(d.at(n.keyword.span));
        true
    }

    /// The n-th argument, or a "missing parameter" error.
    fn arg<'n>(&mut self, n: &'n Node, idx: usize, what: &str) -> Option<&'n Word> {
        let w = n.args.get(idx);
        if w.is_none() {
            self.diags.push(
                Diagnostic::error(
                    codes::MISSING_ARG,
                    format!("`{}` is missing its {what}", n.keyword.text),
                )
                .at(n.head_span())
                .label(format!("expected {what} here"))
                .help(format!("write `{} <{what}>`", n.keyword.text)),
            );
        }
        w
    }

    fn no_extra(&mut self, n: &Node, allowed: usize) {
        if n.args.len() > allowed {
            let first = &n.args[allowed];
            let last = &n.args[n.args.len() - 1];
            self.diags.push(
                Diagnostic::warning(
                    codes::EXTRA_ARGS,
                    format!("extra words after `{}`, ignored", n.keyword.text),
                )
                .at(first.span.to(last.span))
                .label("ignored"),
            );
        }
    }

    fn no_block(&mut self, n: &Node) {
        if let Some(b) = &n.block {
            self.diags.push(
                Diagnostic::warning(
                    codes::NOT_A_BLOCK,
                    format!("`{}` does not take a block, block ignored", n.keyword.text),
                )
                .at(b.open)
                .label("unexpected `{`"),
            );
        }
    }

    /// Whether `n` is the last line of the configuration (nothing follows but `}`s).
    fn is_last_line(&self, n: &Node) -> bool {
        self.last_line
            .is_some_and(|(span, _)| span == n.keyword.span)
    }

    /// A block keyword's `{ … }`. True: read `n.children()` (empty without a block).
    ///
    /// `list`: a list of entries (`virtual_ipaddress`, `track_script`, ...). keepalived reads
    /// a list keyword written without `{` as a list running to the next `}` (the one meant
    /// to close the enclosing block, which then runs on), so it swallows what follows; only
    /// as the last line of the configuration does it read just an empty list (`-t` exits 0).
    /// The same holds for any block keyword on the last line at the top level. A section
    /// (`authentication`) inside a block needs its `{`.
    fn needs_block(&mut self, n: &Node, list: bool) -> bool {
        if n.block.is_some() {
            return true;
        }
        let kw = &n.keyword.text;
        let at_end = self.last_line.filter(|(span, _)| *span == n.keyword.span);
        if let Some((_, top)) = at_end.filter(|(_, top)| list || *top) {
            let mut d = Diagnostic::warning(
                codes::BARE_BLOCK,
                format!("`{kw}` has no `{{ … }}` block; it is read as an empty block"),
            )
            .at(n.head_span())
            .label("no block follows");
            if !top {
                d = d.note(
                    None,
                    format!("keepalived takes the `}}` below as the end of `{kw}`, so the enclosing block ends with the file"),
                );
            }
            self.diags.push(d.help(format!(
                "write `{} {{`, its entries and `}}`, or remove the line",
                n.head_text()
            )));
            return true;
        }
        let mut d = Diagnostic::error(
            codes::NEEDS_BLOCK,
            format!("`{kw}` needs a `{{ … }}` block"),
        )
        .at(n.head_span())
        .label("no block follows")
        .help(format!(
            "write `{} {{` and close it with `}}`",
            n.head_text()
        ));
        if list {
            d = d.note(
                None,
                "without `{`, keepalived reads the lines that follow, up to the next `}`, as its entries (and that `}` then no longer closes the enclosing block)",
            );
        }
        self.diags.push(d);
        false
    }

    /// `keyword NAME {`: the name, once the block is known to be there.
    fn named_block(&mut self, n: &Node) -> Option<(String, Span)> {
        let named = self.block_name(n)?;
        self.no_extra(n, 1);
        self.needs_block(n, false).then_some(named)
    }

    fn block_name(&mut self, n: &Node) -> Option<(String, Span)> {
        match n.args.first() {
            Some(w) => Some((w.text.clone(), w.span)),
            None => {
                // keepalived reads a nameless vrrp_instance or vrrp_sync_group as a block to
                // skip (exit 5), and the name of the others as a missing parameter (exit 2).
                let code = match n.keyword.text.as_str() {
                    "vrrp_instance" | "vrrp_sync_group" => codes::MISSING_SETTING,
                    _ => codes::MISSING_ARG,
                };
                self.diags.push(
                    Diagnostic::error(code, format!("`{}` must have a name", n.keyword.text))
                        .at(n.keyword.span)
                        .label("name expected after the keyword")
                        .help(format!("write `{} NAME {{`", n.keyword.text)),
                );
                None
            }
        }
    }

    fn int(&mut self, n: &Node, lo: i64, hi: i64) -> Option<i64> {
        self.no_block(n);
        let w = self.arg(n, 0, "value")?.clone();
        self.no_extra(n, 1);
        values::int_in(self.diags, &n.keyword.text, &w, lo, hi)
    }

    fn secs_us(&mut self, n: &Node, lo: f64, hi: f64) -> Option<u64> {
        self.no_block(n);
        let w = self.arg(n, 0, "value")?.clone();
        self.no_extra(n, 1);
        values::seconds_in(self.diags, &n.keyword.text, &w, lo, hi)
    }

    fn string(&mut self, n: &Node) -> Option<String> {
        self.no_block(n);
        let w = self.arg(n, 0, "value")?;
        let s = w.text.clone();
        self.no_extra(n, 1);
        Some(s)
    }

    fn flag(&mut self, n: &Node) -> bool {
        self.no_block(n);
        self.no_extra(n, 0);
        true
    }

    /// `keyword [<BOOL>]`: on|off|true|false|yes|no, true when absent.
    fn opt_bool(&mut self, n: &Node) -> Option<bool> {
        self.no_block(n);
        self.no_extra(n, 1);
        let Some(w) = n.args.first() else {
            return Some(true);
        };
        match w.text.as_str() {
            "on" | "true" | "yes" => Some(true),
            "off" | "false" | "no" => Some(false),
            other => {
                self.diags.push(
                    Diagnostic::error(
                        codes::BAD_VALUE,
                        format!(
                            "`{}` expects on/off, true/false or yes/no, found `{other}`",
                            n.keyword.text
                        ),
                    )
                    .at(w.span)
                    .help(format!(
                        "write `{}` or `{} off`",
                        n.keyword.text, n.keyword.text
                    )),
                );
                None
            }
        }
    }

    fn mcast_group(&mut self, n: &Node, v6: bool) -> Option<std::net::IpAddr> {
        self.no_block(n);
        let w = self.arg(n, 0, "multicast address")?.clone();
        self.no_extra(n, 1);
        let a = values::ip(self.diags, &n.keyword.text, &w)?;
        if a.is_ipv6() != v6 || !a.is_multicast() {
            self.diags.push(
                Diagnostic::error(
                    codes::BAD_ADDRESS,
                    format!(
                        "`{}` {a} is not an {} multicast address",
                        n.keyword.text,
                        if v6 { "IPv6" } else { "IPv4" }
                    ),
                )
                .at(w.span)
                .help(if v6 {
                    "the VRRP default is ff02::12"
                } else {
                    "the VRRP default is 224.0.0.18"
                }),
            );
            return None;
        }
        Some(a)
    }

    /// A script keyword's value (LVS scripts): an empty command (`""`) is a missing one.
    fn script_line(&mut self, n: &Node) -> Option<(Command, Vec<String>)> {
        match self.script_value(n) {
            ScriptValue::Cmd(cmd, rest) => Some((cmd, rest)),
            ScriptValue::Empty(span) => {
                self.diags.push(
                    Diagnostic::error(
                        codes::MISSING_ARG,
                        format!("`{}` is missing its command", n.keyword.text),
                    )
                    .at(span)
                    .help(format!(
                        "write `{} \"/path/to/script args\"`",
                        n.keyword.text
                    )),
                );
                None
            }
            ScriptValue::Bad => None,
        }
    }

    /// An empty command (`notify_master ""`): keepalived ignores the line without a word.
    fn empty_command(&mut self, n: &Node, span: Span) {
        self.diags.push(
            Diagnostic::warning(
                codes::VALUE_EMPTY,
                format!(
                    "`{}` has an empty command; the line is ignored",
                    n.keyword.text
                ),
            )
            .at(span)
            .label("keepalived ignores it without a word")
            .help(format!(
                "ignored: write `{} \"/path/to/script args\"`, or remove the line",
                n.keyword.text
            )),
        );
    }

    /// A script keyword's value, split as keepalived splits it: the arguments' text is cut
    /// into words (both quote characters group, backslashes escape), the first word is the
    /// command, and that is cut again into the program and its arguments. Gives the
    /// command and the words after it.
    fn script_value(&mut self, n: &Node) -> ScriptValue {
        self.no_block(n);
        if self.arg(n, 0, "command").is_none() {
            return ScriptValue::Bad;
        }
        let span = n.args[0].span.to(n.args[n.args.len() - 1].span);
        let text = values::raw_args(&n.args);
        let unterminated = |q: values::Unterminated, what: &str| {
            let (msg, label) = if q.0 == '\\' {
                (
                    format!("`{}`: {what} ends with a lone backslash", n.keyword.text),
                    "nothing left to escape".to_string(),
                )
            } else {
                (
                    format!("`{}`: {what} has no closing {}", n.keyword.text, q.0),
                    format!("a {} is opened and never closed", q.0),
                )
            };
            Diagnostic::error(codes::QUOTE, msg)
                .at(span)
                .label(label)
            .help(format!(
                "close the quote; to pass an argument with spaces, write e.g. `{} \"/path/check -x 'a b'\"`",
                n.keyword.text
            ))
        };
        // An open double quote was reported by the lexer, which took the rest of the line
        // as the string; read it the same way here.
        let split = match values::split_quoted(&text) {
            Err(values::Unterminated('"')) => values::split_quoted(&format!("{text}\"")),
            r => r,
        };
        let mut words = match split {
            Ok(w) => w,
            Err(q) => {
                self.diags.push(unterminated(q, "the line"));
                return ScriptValue::Bad;
            }
        };
        if words.is_empty() || words[0].is_empty() {
            return ScriptValue::Empty(span);
        }
        let rest = words.split_off(1);
        match values::command_from(&words[0], span) {
            Ok(cmd) => ScriptValue::Cmd(cmd, rest),
            Err(q) => {
                self.diags.push(unterminated(q, "the command"));
                ScriptValue::Bad
            }
        }
    }

    /// vrrp_script's `script`: keepalived runs the first word only (quote the whole command
    /// to pass arguments); anything after it is dropped, as keepalived drops it.
    fn check_command(&mut self, n: &Node) -> ScriptValue {
        let (cmd, rest) = match self.script_value(n) {
            ScriptValue::Cmd(cmd, rest) => (cmd, rest),
            other => return other,
        };
        if !rest.is_empty() {
            self.diags.push(
                Diagnostic::warning(
                    codes::SCRIPT_EXTRA_WORDS,
                    format!(
                        "`script {}`: keepalived runs `{}` without `{}`",
                        values::raw_args(&n.args),
                        cmd.raw,
                        rest.join(" ")
                    ),
                )
                .at(cmd.span)
                .label("only the first word (or quoted string) is the command")
                .help(format!(
                    "quote the whole command to pass its arguments: script \"{} {}\"",
                    cmd.raw,
                    rest.join(" ")
                )),
            );
        }
        ScriptValue::Cmd(cmd, Vec::new())
    }

    /// notify scripts: `KEYWORD COMMAND [USER [GROUP]]`. Err: nothing to set (an empty
    /// command is ignored, so an earlier line stays).
    fn notify_command(&mut self, n: &Node) -> Result<Option<Command>, ()> {
        match self.script_value(n) {
            ScriptValue::Cmd(mut cmd, rest) => {
                if let Some(user) = rest.first() {
                    cmd.user = Some(UserGroup {
                        user: user.clone(),
                        group: rest.get(1).cloned(),
                    });
                }
                Ok(Some(cmd))
            }
            ScriptValue::Empty(span) => {
                self.empty_command(n, span);
                Err(())
            }
            ScriptValue::Bad => Ok(None),
        }
    }

    fn notify(&mut self, n: &Node, into: &mut NotifyScripts) {
        let Ok(cmd) = self.notify_command(n) else {
            return;
        };
        match n.keyword.text.as_str() {
            "notify_master" => into.master = cmd,
            "notify_backup" => into.backup = cmd,
            "notify_fault" => into.fault = cmd,
            "notify_stop" => into.stop = cmd,
            _ => into.any = cmd,
        }
    }

    fn user_group(&mut self, n: &Node) -> Option<UserGroup> {
        self.no_block(n);
        let user = self.arg(n, 0, "user name")?.text.clone();
        let group = n.args.get(1).map(|w| w.text.clone());
        self.no_extra(n, 2);
        Some(UserGroup { user, group })
    }

    fn fifo_slot(&mut self, name: &str) -> &mut Option<NotifyFifo> {
        if name == "vrrp_notify_fifo" {
            &mut self.config.global.vrrp_notify_fifo
        } else {
            &mut self.config.global.notify_fifo
        }
    }

    // ---------------------------------------------------------------- global_defs

    fn global_defs(&mut self, n: &Node) {
        self.no_extra(n, 0);
        if !self.needs_block(n, false) {
            return;
        }
        for c in n.children() {
            let kw = self.known(keywords::GLOBAL, c, "in `global_defs`");
            if c.keyword.text == "vrrp_iptables" {
                // keepalived 2.2.7 (built with nftables) says so, and -t exits 5.
                self.diags.push(
                    Diagnostic::warning(
                        codes::FIREWALL,
                        "`vrrp_iptables`: keepalived has no iptables support here and uses nftables instead",
                    )
                    .at(c.keyword.span)
                    .help("remove it (accept mode uses nftables), or write `nftables`"),
                );
            }
            let Some(kw) = kw else {
                continue;
            };
            match kw.name {
                "router_id" => self.config.global.router_id = self.string(c),
                "notification_email" => {
                    self.no_extra(c, 0);
                    let mut list: Vec<String> = c.args.iter().map(|w| w.text.clone()).collect();
                    for e in c.children() {
                        list.push(e.keyword.text.clone());
                        list.extend(e.args.iter().map(|w| w.text.clone()));
                    }
                    if list.is_empty() {
                        self.diags.push(
                            Diagnostic::warning(
                                codes::EMPTY_BLOCK,
                                "`notification_email` lists no address",
                            )
                            .at(c.keyword.span)
                            .label("empty")
                            .help("add one address per line inside the block, or remove it"),
                        );
                    }
                    self.config.global.notification_email.extend(list);
                }
                "notification_email_from" => {
                    self.config.global.notification_email_from = self.string(c)
                }
                "smtp_server" => self.smtp_server(c),
                "smtp_connect_timeout" => {
                    if let Some(v) = self.int(c, 1, 3600) {
                        self.config.global.smtp_connect_timeout = v as u32;
                    }
                }
                "smtp_helo_name" => self.config.global.smtp_helo_name = self.string(c),
                "notify_fifo" | "vrrp_notify_fifo" => {
                    self.no_block(c);
                    self.no_extra(c, 3);
                    if let Some(w) = self.arg(c, 0, "FIFO path") {
                        let path = w.text.clone();
                        let slot = self.fifo_slot(kw.name);
                        let script = slot.take().and_then(|f| f.script);
                        *slot = Some(NotifyFifo { path, script });
                    }
                }
                "notify_fifo_script" | "vrrp_notify_fifo_script" => {
                    let Ok(cmd) = self.notify_command(c) else {
                        continue;
                    };
                    let name = kw.name.trim_end_matches("_script");
                    let slot = self.fifo_slot(name);
                    match slot {
                        Some(f) => f.script = cmd,
                        None => {
                            *slot = Some(NotifyFifo {
                                path: String::new(),
                                script: cmd,
                            })
                        }
                    }
                }
                "enable_script_security" => {
                    self.config.global.enable_script_security = self.flag(c)
                }
                "script_user" => self.config.global.script_user = self.user_group(c),
                "vrrp_version" => {
                    if let Some(v) = self.int(c, 2, 3) {
                        self.config.global.vrrp_version = v as u8;
                    }
                }
                "vrrp_strict" => self.config.global.vrrp_strict = self.flag(c),
                // One GARP/NA at the switch to MASTER, none again 5 s later (modern
                // switches need no more); keywords after it still set their own value.
                "vrrp_min_garp" => {
                    let on = self.opt_bool(c) == Some(true);
                    let g = &mut self.config.global;
                    if on {
                        (g.vrrp_garp_master_repeat, g.vrrp_garp_master_delay) = (1, 0);
                    }
                }
                "vrrp_skip_check_adv_addr" => {
                    self.config.global.vrrp_skip_check_adv_addr = self.flag(c)
                }
                "vrrp_mcast_group4" => {
                    self.config.global.vrrp_mcast_group4 = self.mcast_group(c, false)
                }
                "vrrp_mcast_group6" => {
                    self.config.global.vrrp_mcast_group6 = self.mcast_group(c, true)
                }
                "vrrp_check_unicast_src" => {
                    self.config.global.vrrp_check_unicast_src = self.flag(c)
                }
                "vrrp_lower_prio_no_advert" => {
                    if let Some(b) = self.opt_bool(c) {
                        self.config.global.vrrp_lower_prio_no_advert = b;
                    }
                }
                "vrrp_higher_prio_send_advert" => {
                    if let Some(b) = self.opt_bool(c) {
                        self.config.global.vrrp_higher_prio_send_advert = b;
                    }
                }
                "vrrp_garp_interval" => {
                    // keepalived: 0.000001 to 4294.967295 seconds (0 is refused).
                    if let Some(v) = self.secs_us(c, 0.000_001, 4_294.967_295) {
                        self.config.global.vrrp_garp_interval_us = v;
                    }
                }
                "vrrp_gna_interval" => {
                    // keepalived: 0.000001 to 4294.967295 seconds (0 is refused).
                    if let Some(v) = self.secs_us(c, 0.000_001, 4_294.967_295) {
                        self.config.global.vrrp_gna_interval_us = v;
                    }
                }
                "vrrp_down_timer_adverts" => {
                    if let Some(v) = self.int(c, 1, 100) {
                        self.config.global.vrrp_down_timer_adverts = v as u8;
                    }
                }
                "vrrp_garp_master_delay" => {
                    if let Some(v) = self.int(c, 0, 255) {
                        self.config.global.vrrp_garp_master_delay = v as u32;
                    }
                }
                "vrrp_garp_master_repeat" => {
                    if let Some(v) = self.int(c, 1, 255) {
                        self.config.global.vrrp_garp_master_repeat = v as u32;
                    }
                }
                "vrrp_garp_lower_prio_delay" => {
                    if let Some(v) = self.int(c, 0, 86400) {
                        self.config.global.vrrp_garp_lower_prio_delay = Some(v as u32);
                    }
                }
                "vrrp_garp_lower_prio_repeat" => {
                    if let Some(v) = self.int(c, 0, 255) {
                        self.config.global.vrrp_garp_lower_prio_repeat = Some(v as u32);
                    }
                }
                "vrrp_garp_master_refresh" => {
                    if let Some(v) = self.int(c, 0, 86400) {
                        self.config.global.vrrp_garp_master_refresh = v as u32;
                    }
                }
                "vrrp_garp_master_refresh_repeat" => {
                    if let Some(v) = self.int(c, 1, 255) {
                        self.config.global.vrrp_garp_master_refresh_repeat = v as u32;
                    }
                }
                "vrrp_startup_delay" => {
                    if let Some(v) = self.secs_us(c, 0.0, 3600.0) {
                        self.config.global.vrrp_startup_delay_us = v;
                    }
                }
                "default_interface" => self.config.global.default_interface = self.string(c),
                _ => {}
            }
        }
    }

    fn smtp_server(&mut self, n: &Node) {
        self.no_block(n);
        let Some(host) = self.arg(n, 0, "host") else {
            return;
        };
        let host = host.clone();
        let mut port = 25u16;
        if let Some(p) = n.args.get(1) {
            if let Some(v) = values::int_in(self.diags, "smtp_server", p, 1, 65535) {
                port = v as u16;
            }
        }
        self.no_extra(n, 2);
        if host.text.contains(':') && host.text.parse::<std::net::IpAddr>().is_err() {
            self.diags.push(
                Diagnostic::warning(
                    codes::BAD_VALUE,
                    format!("`smtp_server {}`: the port goes after a space", host.text),
                )
                .at(host.span)
                .help(format!(
                    "write `smtp_server {}`",
                    host.text.replacen(':', " ", 1)
                )),
            );
        }
        self.config.global.smtp_server = Some(SmtpServer {
            host: host.text,
            port,
        });
    }

    // ---------------------------------------------------------------- vrrp_script

    fn vrrp_script(&mut self, n: &Node) {
        let Some((name, span)) = self.named_block(n) else {
            return;
        };
        let mut sc = VrrpScript {
            name,
            span,
            script: None,
            interval: 1,
            timeout: 0,
            weight: 0,
            weight_reverse: false,
            rise: 1,
            fall: 1,
            user: None,
            init_fail: false,
        };
        // A `script` line with a command (even one that does not parse), and one without.
        let mut script_line = false;
        let mut empty_script_line: Option<Span> = None;
        for c in n.children() {
            if c.keyword.text == "script" && c.args.is_empty() {
                empty_script_line = Some(c.keyword.span);
            }
            let Some(kw) = self.known(keywords::SCRIPT, c, "in `vrrp_script`") else {
                continue;
            };
            match kw.name {
                "script" => match self.check_command(c) {
                    ScriptValue::Cmd(cmd, _) => {
                        script_line = true;
                        sc.script = Some(cmd);
                    }
                    // An empty command (`script ""`) is ignored, as keepalived ignores it.
                    ScriptValue::Empty(span) => {
                        self.empty_command(c, span);
                        empty_script_line = Some(c.keyword.span);
                    }
                    ScriptValue::Bad => {
                        script_line = true;
                        sc.script = None;
                    }
                },
                "interval" => {
                    if let Some(v) = self.int(c, 1, 86400) {
                        sc.interval = v as u32;
                    }
                }
                "timeout" => {
                    if let Some(v) = self.int(c, 1, 86400) {
                        sc.timeout = v as u32;
                    }
                }
                "weight" => {
                    if let Some((w, rev)) = self.weight(c) {
                        sc.weight = w;
                        sc.weight_reverse = rev;
                    }
                }
                "rise" => {
                    if let Some(v) = self.int(c, 1, 1_000_000) {
                        sc.rise = v as u32;
                    }
                }
                "fall" => {
                    if let Some(v) = self.int(c, 1, 1_000_000) {
                        sc.fall = v as u32;
                    }
                }
                "user" => sc.user = self.user_group(c),
                "init_fail" => sc.init_fail = self.flag(c),
                _ => {}
            }
        }
        if sc.timeout == 0 {
            sc.timeout = sc.interval;
        }
        if !script_line {
            let d = match empty_script_line {
                None => Diagnostic::error(
                    codes::MISSING_SETTING,
                    format!("vrrp_script `{}` has no `script` line", sc.name),
                ),
                Some(line) => Diagnostic::error(
                    codes::MISSING_SETTING,
                    format!("vrrp_script `{}` has no script to run", sc.name),
                )
                .note(Some(line), "its `script` line has no command"),
            };
            self.diags.push(
                d.at(n.keyword.span.to(span)).help(
                    "add e.g. `script \"/usr/bin/killall -0 haproxy\"` inside the block; keepalived drops a vrrp_script without one",
                ),
            );
        }
        if let Some(prev) = self.config.scripts.iter().find(|s| s.name == sc.name) {
            self.diags.push(
                Diagnostic::error(
                    codes::DUPLICATE,
                    format!("vrrp_script `{}` is defined twice", sc.name),
                )
                .at(span)
                .note(Some(prev.span), "first defined here")
                .help("rename one of them"),
            );
            return;
        }
        self.config.scripts.push(sc);
    }

    /// `weight N [reverse]`, N in -253..253.
    fn weight(&mut self, n: &Node) -> Option<(i32, bool)> {
        self.no_block(n);
        let w = self.arg(n, 0, "weight")?.clone();
        let v = values::int_in(self.diags, "weight", &w, -253, 253)? as i32;
        let rev = match n.args.get(1) {
            Some(r) if r.text == "reverse" => true,
            Some(r) => {
                self.diags.push(
                    Diagnostic::warning(
                        codes::EXTRA_ARGS,
                        format!("unexpected `{}` after the weight, ignored", r.text),
                    )
                    .at(r.span)
                    .help("only `reverse` may follow the weight"),
                );
                false
            }
            None => false,
        };
        self.no_extra(n, 2);
        Some((v, rev))
    }

    // ---------------------------------------------------------------- vrrp_track_process

    fn track_process(&mut self, n: &Node) {
        let Some((name, span)) = self.named_block(n) else {
            return;
        };
        let mut tp = TrackProcess {
            name,
            span,
            process: None,
            param_match: None,
            weight: 0,
            weight_reverse: false,
            quorum: 1,
            quorum_max: None,
            delay: 0.0,
            full_command: false,
        };
        for c in n.children() {
            let Some(kw) = self.known(keywords::TRACK_PROCESS, c, "in `vrrp_track_process`") else {
                continue;
            };
            match kw.name {
                "process" => {
                    self.no_block(c);
                    if self.arg(c, 0, "process name").is_some() {
                        tp.process = Some(
                            c.args
                                .iter()
                                .map(|w| w.text.as_str())
                                .collect::<Vec<_>>()
                                .join(" "),
                        );
                    }
                }
                "param_match" => {
                    self.no_block(c);
                    self.no_extra(c, 1);
                    match c.args.first().map(|w| (w.text.as_str(), w.span)) {
                        None => tp.param_match = Some(ParamMatch::Exact),
                        Some(("initial", _)) => tp.param_match = Some(ParamMatch::Initial),
                        Some(("partial", _)) => tp.param_match = Some(ParamMatch::Partial),
                        // keepalived reports it and ignores the line.
                        Some((other, at)) => self.diags.push(
                            Diagnostic::warning(
                                codes::BAD_VALUE,
                                format!("unknown `param_match` type `{other}`, ignored"),
                            )
                            .at(at)
                            .label("expected initial or partial")
                            .help("write `param_match initial`, `param_match partial`, or `param_match` alone (the parameters exactly as written)"),
                        ),
                    }
                }
                "weight" => {
                    if let Some((w, rev)) = self.weight(c) {
                        tp.weight = w;
                        tp.weight_reverse = rev;
                    }
                }
                "quorum" => {
                    if let Some(v) = self.int(c, 1, 65535) {
                        tp.quorum = v as u32;
                    }
                }
                "quorum_max" => {
                    if let Some(v) = self.int(c, 0, 65535) {
                        tp.quorum_max = Some(v as u32);
                    }
                }
                "delay" | "fork_delay" | "terminate_delay" => {
                    if let Some(v) = self.secs_us(c, 0.0, 3600.0) {
                        tp.delay = v as f64 / 1e6;
                    }
                }
                "full_command" => tp.full_command = self.flag(c),
                _ => {}
            }
        }
        if tp.process.is_none() {
            self.diags.push(
                Diagnostic::error(
                    codes::MISSING_SETTING,
                    format!("vrrp_track_process `{}` has no `process` line", tp.name),
                )
                .at(span)
                .help("add e.g. `process haproxy` inside the block"),
            );
        }
        self.config.track_processes.push(tp);
    }

    // ---------------------------------------------------------------- vrrp_instance

    fn vrrp_instance(&mut self, n: &Node) {
        let Some((name, span)) = self.named_block(n) else {
            return;
        };
        let g = &self.config.global;
        let mut vi = VrrpInstance {
            name,
            span,
            state: InitialState::Backup,
            interface: g.default_interface.clone(),
            interface_span: None,
            vrid: None,
            vrid_span: None,
            priority: 100,
            priority_set: false,
            advert_int_cs: 100,
            down_timer_adverts: g.vrrp_down_timer_adverts,
            version: g.vrrp_version,
            ipv6: false,
            nopreempt: false,
            preempt_delay: 0.0,
            accept: None,
            auth: None,
            vips: Vec::new(),
            vips_excluded: Vec::new(),
            virtual_routes: Vec::new(),
            virtual_rules: Vec::new(),
            track_scripts: Vec::new(),
            track_interfaces: Vec::new(),
            track_processes: Vec::new(),
            unicast_src_ip: None,
            unicast_peers: Vec::new(),
            mcast_src_ip: None,
            notify: NotifyScripts::default(),
            smtp_alert: false,
            garp_master_delay: g.vrrp_garp_master_delay,
            garp_master_repeat: g.vrrp_garp_master_repeat,
            garp_master_refresh: g.vrrp_garp_master_refresh,
            garp_master_refresh_repeat: g.vrrp_garp_master_refresh_repeat,
            garp_lower_prio_delay: None,
            garp_lower_prio_repeat: None,
            use_vmac: None,
            dont_track_primary: false,
            strict_mode: None,
            check_unicast_src: false,
            skip_check_adv_addr: false,
            lower_prio_no_advert: None,
            higher_prio_send_advert: None,
            unicast_ttl: None,
            old_unicast_checksum: false,
            unicast_fault_no_peer: false,
            announce: false,
            announce_span: None,
            dropped_track_scripts: Vec::new(),
        };
        let mut version_span: Option<Span> = None;
        let mut advert_word: Option<Word> = None;
        let mut auth_span: Option<Span> = None;
        let mut native_ipv6 = false;
        let mut state_span: Option<Span> = None;
        // The first keyword that asks for unicast, and `vmac_xmit_base` (vrrpd ignores it,
        // keepalived checks it).
        let mut unicast_kw: Option<Span> = None;
        let mut ttl_span: Option<Span> = None;
        let mut vmac_xmit_base: Option<Span> = None;
        for c in n.children() {
            if self.lists_nothing(c) {
                continue;
            }
            if c.keyword.text == "vmac_xmit_base" {
                vmac_xmit_base = Some(c.keyword.span);
            }
            let kw = self.known(keywords::INSTANCE, c, "in `vrrp_instance`");
            if c.keyword.text == "virtual_rules" {
                let r = self.rules_block(c);
                vi.virtual_rules.extend(r);
            }
            let Some(kw) = kw else {
                continue;
            };
            match kw.name {
                "state" => {
                    state_span = Some(c.head_span());
                    if let Some(s) = self.string(c) {
                        match s.as_str() {
                            "MASTER" => vi.state = InitialState::Master,
                            "BACKUP" => vi.state = InitialState::Backup,
                            other => {
                                let mut d = Diagnostic::error(
                                    codes::BAD_VALUE,
                                    format!("unknown state `{other}`"),
                                )
                                .at(c.args[0].span)
                                .label("expected MASTER or BACKUP");
                                if let Some(s) = did_you_mean(other, ["MASTER", "BACKUP"]) {
                                    d = d.help(format!("did you mean `{s}`? (upper case)"));
                                } else {
                                    d = d.help("write `state MASTER` or `state BACKUP`");
                                }
                                self.diags.push(d);
                            }
                        }
                    }
                }
                "interface" => {
                    if let Some(s) = self.string(c) {
                        vi.interface = Some(s);
                        vi.interface_span = c.args.first().map(|w| w.span);
                    }
                }
                "virtual_router_id" => {
                    // The span is kept even for a bad value, so no "missing" error follows.
                    vi.vrid_span = c.args.first().map(|w| w.span);
                    vi.vrid = self.int(c, 1, 255).map(|v| v as u8);
                }
                "priority" => {
                    if let Some(v) = self.int(c, 1, 255) {
                        vi.priority = v as u8;
                        vi.priority_set = true;
                    }
                }
                "down_timer_adverts" => {
                    if let Some(v) = self.int(c, 1, 100) {
                        vi.down_timer_adverts = v as u8;
                    }
                }
                "advert_int" => {
                    self.no_block(c);
                    if let Some(w) = self.arg(c, 0, "interval") {
                        advert_word = Some(w.clone());
                    }
                    self.no_extra(c, 1);
                }
                "version" => {
                    if let Some(v) = self.int(c, 2, 3) {
                        vi.version = v as u8;
                        version_span = c.args.first().map(|w| w.span);
                    }
                }
                "nopreempt" => vi.nopreempt = self.flag(c),
                "preempt" => {
                    self.flag(c);
                    vi.nopreempt = false;
                }
                "preempt_delay" => {
                    if let Some(v) = self.secs_us(c, 0.0, 1000.0) {
                        vi.preempt_delay = v as f64 / 1e6;
                    }
                }
                "accept" => vi.accept = Some(self.flag(c)),
                "no_accept" => vi.accept = Some(!self.flag(c)),
                "authentication" => {
                    auth_span = Some(c.keyword.span);
                    vi.auth = self.authentication(c);
                }
                "virtual_ipaddress" => vi.vips.extend(self.vips(c)),
                "virtual_ipaddress_excluded" => vi.vips_excluded.extend(self.vips(c)),
                "virtual_routes" => {
                    let r = self.routes_block(c, true);
                    vi.virtual_routes.extend(r);
                }
                "track_script" => vi.track_scripts.extend(self.track_list(c)),
                "track_interface" => vi.track_interfaces.extend(self.track_list(c)),
                "track_process" => vi.track_processes.extend(self.track_list(c)),
                "unicast_src_ip" => {
                    unicast_kw.get_or_insert(c.keyword.span);
                    self.no_block(c);
                    if let Some(w) = self.arg(c, 0, "address").cloned() {
                        vi.unicast_src_ip = values::ip(self.diags, "unicast_src_ip", &w);
                    }
                    self.no_extra(c, 1);
                }
                "mcast_src_ip" => {
                    self.no_block(c);
                    if let Some(w) = self.arg(c, 0, "address").cloned() {
                        vi.mcast_src_ip = values::ip(self.diags, "mcast_src_ip", &w);
                    }
                    self.no_extra(c, 1);
                }
                "unicast_peer" => {
                    self.no_extra(c, 0);
                    unicast_kw.get_or_insert(c.keyword.span);
                    if self.needs_block(c, true) {
                        for p in c.children() {
                            if let Some(a) = values::ip(self.diags, "unicast_peer", &p.keyword) {
                                vi.unicast_peers.push(a);
                            }
                        }
                    }
                }
                "notify_master" | "notify_backup" | "notify_fault" | "notify_stop" | "notify" => {
                    self.notify(c, &mut vi.notify)
                }
                "smtp_alert" => vi.smtp_alert = self.flag(c),
                "garp_master_delay" => {
                    if let Some(v) = self.int(c, 0, 255) {
                        vi.garp_master_delay = v as u32;
                    }
                }
                "garp_master_repeat" => {
                    if let Some(v) = self.int(c, 1, 255) {
                        vi.garp_master_repeat = v as u32;
                    }
                }
                "garp_master_refresh" => {
                    if let Some(v) = self.int(c, 0, 86400) {
                        vi.garp_master_refresh = v as u32;
                    }
                }
                "garp_master_refresh_repeat" => {
                    if let Some(v) = self.int(c, 1, 255) {
                        vi.garp_master_refresh_repeat = v as u32;
                    }
                }
                "garp_lower_prio_delay" => {
                    if let Some(v) = self.int(c, 0, 86400) {
                        vi.garp_lower_prio_delay = Some(v as u32);
                    }
                }
                "garp_lower_prio_repeat" => {
                    if let Some(v) = self.int(c, 0, 255) {
                        vi.garp_lower_prio_repeat = Some(v as u32);
                    }
                }
                "use_vmac" => {
                    self.no_block(c);
                    let name = c.args.first().map(|w| w.text.clone()).unwrap_or_default();
                    vi.use_vmac = Some(name);
                    self.no_extra(c, 1);
                }
                "dont_track_primary" => vi.dont_track_primary = self.flag(c),
                "strict_mode" => vi.strict_mode = self.opt_bool(c),
                "check_unicast_src" => {
                    unicast_kw.get_or_insert(c.keyword.span);
                    vi.check_unicast_src = self.flag(c);
                }
                "skip_check_adv_addr" => vi.skip_check_adv_addr = self.flag(c),
                "lower_prio_no_advert" => vi.lower_prio_no_advert = self.opt_bool(c),
                "higher_prio_send_advert" => vi.higher_prio_send_advert = self.opt_bool(c),
                "unicast_ttl" => {
                    if let Some(v) = self.int(c, 1, 255) {
                        vi.unicast_ttl = Some(v as u8);
                        ttl_span = c.args.first().map(|w| w.span);
                    }
                }
                "old_unicast_checksum" => {
                    unicast_kw.get_or_insert(c.keyword.span);
                    self.no_block(c);
                    self.no_extra(c, 1);
                    // `never` only turns off recognising old checksums in received adverts,
                    // which vrrpd accepts either way.
                    vi.old_unicast_checksum = c.args.first().is_none_or(|w| w.text != "never");
                }
                "unicast_fault_no_peer" => vi.unicast_fault_no_peer = self.flag(c),
                "vrrpd_announce" => {
                    vi.announce = self.flag(c);
                    vi.announce_span = Some(c.keyword.span);
                }
                "native_ipv6" => native_ipv6 = self.flag(c),
                _ => {}
            }
        }
        if native_ipv6 {
            vi.ipv6 = true;
        }
        self.unicast_without_peers(&vi, unicast_kw, ttl_span);
        if let (Some(at), None) = (vmac_xmit_base, &vi.use_vmac) {
            self.diags.push(
                Diagnostic::warning(
                    codes::VMAC_ONLY,
                    format!(
                        "vrrp_instance `{}`: `vmac_xmit_base` is only valid with `use_vmac`",
                        vi.name
                    ),
                )
                .at(at)
                .label("keepalived reports it too")
                .help("add `use_vmac`, or remove `vmac_xmit_base`"),
            );
        }
        self.finish_instance(&mut vi, advert_word, version_span, auth_span, state_span);
        self.config.instances.push(vi);
    }

    /// keepalived sends multicast adverts when an instance has no unicast peer, and reports
    /// the unicast keywords that then mean nothing (`unicast_fault_no_peer` is not one).
    fn unicast_without_peers(
        &mut self,
        vi: &VrrpInstance,
        unicast_kw: Option<Span>,
        ttl: Option<Span>,
    ) {
        if !vi.unicast_peers.is_empty() {
            return;
        }
        if let Some(at) = unicast_kw {
            self.diags.push(
                Diagnostic::warning(
                    codes::UNICAST_NO_PEER,
                    format!(
                        "vrrp_instance `{}` uses a unicast keyword but has no unicast peer: its adverts are multicast",
                        vi.name
                    ),
                )
                .at(at)
                .label("no `unicast_peer` to send to")
                .help("add `unicast_peer { ADDRESS }` with the other nodes' addresses, or remove this line (keepalived calls this usage deprecated)"),
            );
        }
        if let Some(at) = ttl {
            self.diags.push(
                Diagnostic::warning(
                    codes::UNICAST_NO_PEER,
                    format!(
                        "vrrp_instance `{}`: `unicast_ttl` without unicast peers is ignored",
                        vi.name
                    ),
                )
                .at(at)
                .label("multicast adverts are sent with TTL 255")
                .help("add `unicast_peer { ADDRESS }`, or remove `unicast_ttl`"),
            );
        }
    }

    /// `track_file` / `track_bfd` listing nothing (`track_file { }`, or written bare as the
    /// last line): nothing is tracked, so vrrpd can run it; keepalived accepts it (`-t` 0).
    /// True = reported here, skip the line.
    fn lists_nothing(&mut self, c: &Node) -> bool {
        let empty = c.args.is_empty()
            && c.children().is_empty()
            && (c.block.is_some() || self.is_last_line(c));
        let what = match c.keyword.text.as_str() {
            "track_file" => "vrrpd has no file tracker",
            "track_bfd" => "vrrpd has no BFD",
            _ => return false,
        };
        if !empty {
            return false;
        }
        let label = if c.block.is_some() {
            "empty block"
        } else {
            "no `{ … }` block: as the last line, keepalived reads an empty list"
        };
        self.diags.push(
            Diagnostic::warning(
                codes::UNSUPPORTED,
                format!("`{}` lists nothing, ignored", c.keyword.text),
            )
            .at(c.keyword.span)
            .label(label)
            .help(format!(
                "remove it ({what}: a `{}` with entries is refused)",
                c.keyword.text
            )),
        );
        true
    }

    /// Derived values that depend on several keywords, whatever their order.
    fn finish_instance(
        &mut self,
        vi: &mut VrrpInstance,
        advert: Option<Word>,
        version_span: Option<Span>,
        auth_span: Option<Span>,
        state_span: Option<Span>,
    ) {
        // IPv6 needs VRRPv3. keepalived deduces v3 silently, accepts an explicit `version 2`
        // written before the addresses (and then runs v2 over IPv6), and rejects one written
        // after them. vrrpd always uses v3 for IPv6; `ka_version` tracks what keepalived
        // would use, so the same problems are reported.
        let first_v6 = vi
            .vips
            .first()
            .filter(|v| v.addr.is_ipv6())
            .map(|v| v.span)
            .or(if vi.ipv6 { Some(vi.span) } else { None });
        vi.ipv6 = first_v6.is_some();
        let mut ka_version = vi.version;
        if let Some(v6) = first_v6 {
            match version_span {
                Some(vs) if vi.version == 2 && vs.file == v6.file && vs.start > v6.start => {
                    self.diags.push(
                        Diagnostic::warning(
                            codes::VERSION_CONFLICT,
                            "`version 2` conflicts with the IPv6 virtual addresses above it",
                        )
                        .at(vs)
                        .label("ignored: IPv6 needs VRRP version 3")
                        .help("remove `version 2`, or write `version 3`"),
                    );
                    ka_version = 3;
                }
                Some(vs) if vi.version == 2 => {
                    self.diags.push(
                        Diagnostic::warning(
                            codes::VERSION,
                            "VRRP version 2 is defined for IPv4 only (RFC 3768); vrrpd uses version 3 for these IPv6 addresses",
                        )
                        .at(vs)
                        .label("version 3 used")
                        .help("write `version 3`; keepalived would send non-standard VRRPv2 over IPv6, so a mixed pair needs `version 3` on the keepalived node too"),
                    );
                }
                _ => ka_version = 3,
            }
            vi.version = 3;
        }
        let mixed: Vec<&VirtualIp> = vi
            .vips
            .iter()
            .filter(|v| v.addr.is_ipv6() != vi.ipv6)
            .collect();
        for v in mixed {
            self.diags.push(
                Diagnostic::error(
                    codes::BAD_ADDRESS,
                    format!(
                        "`{}` is {} but the instance's first virtual address is {}",
                        v.addr,
                        if v.addr.is_ipv6() { "IPv6" } else { "IPv4" },
                        if vi.ipv6 { "IPv6" } else { "IPv4" }
                    ),
                )
                .at(v.span)
                .help("an instance carries one address family: move it to `virtual_ipaddress_excluded` or to another vrrp_instance"),
            );
        }
        let family = vi.ipv6;
        vi.vips.retain(|v| v.addr.is_ipv6() == family);
        if let Some(w) = advert {
            if let Some(us) = values::seconds_in(self.diags, "advert_int", &w, 0.01, 255.0) {
                let cs = (us as f64 / 10_000.0).round() as u32;
                if vi.version == 2 {
                    // VRRPv2 carries whole seconds only.
                    let secs = (cs as f64 / 100.0).round().max(1.0) as u32;
                    if secs * 100 != cs {
                        self.diags.push(
                            Diagnostic::warning(
                                codes::ADVERT_INT,
                                format!(
                                    "advert_int {} is not a whole number of seconds; VRRPv2 uses {secs}",
                                    w.text
                                ),
                            )
                            .at(w.span)
                            .label(format!("rounded to {secs}"))
                            .help("use `version 3` for sub-second adverts, or a whole number"),
                        );
                    }
                    vi.advert_int_cs = secs * 100;
                } else if cs > 4095 {
                    self.diags.push(
                        Diagnostic::error(
                            codes::ADVERT_INT,
                            format!("advert_int {} is too long for VRRPv3", w.text),
                        )
                        .at(w.span)
                        .label("at most 40.95 seconds")
                        .help("use at most 40.95"),
                    );
                } else {
                    vi.advert_int_cs = cs.max(1);
                }
            }
        }
        if vi.state == InitialState::Master && !vi.priority_set {
            vi.priority = 255;
        }
        let strict = vi.strict(&self.config.global);
        if vi.auth.is_some() && strict {
            self.diags.push(
                Diagnostic::warning(
                    codes::STRICT_AUTH,
                    format!(
                        "vrrp_instance `{}`: vrrp_strict does not allow authentication, ignored",
                        vi.name
                    ),
                )
                .at_opt(auth_span)
                .help("remove the authentication block, or drop vrrp_strict"),
            );
            vi.auth = None;
        }
        if vi.version == 3 && vi.auth.is_some() {
            self.diags.push(
                Diagnostic::warning(
                    if ka_version == 3 {
                        codes::AUTH
                    } else {
                        codes::VERSION
                    },
                    format!(
                        "vrrp_instance `{}`: VRRPv3 has no authentication, `authentication` ignored",
                        vi.name
                    ),
                )
                .at_opt(auth_span)
                .help("remove the authentication block, or use version 2"),
            );
            vi.auth = None;
        }
        if vi.state == InitialState::Master && vi.priority != 255 {
            // keepalived starts such an instance as BACKUP, after saying why.
            let why = if vi
                .auth
                .as_ref()
                .is_some_and(|a| a.auth_type == AuthType::Ah)
            {
                Some((
                    codes::AUTH,
                    "with AH authentication, only the address owner (priority 255) may start as MASTER",
                    "AH's sequence numbers start from the master's",
                ))
            } else if strict {
                Some((
                    codes::STRICT_STATE,
                    "under vrrp_strict, only the address owner (priority 255) may start as MASTER",
                    "RFC 5798: a non-owner starts as backup",
                ))
            } else {
                None
            };
            if let Some((code, msg, why)) = why {
                self.diags.push(
                    Diagnostic::warning(
                        code,
                        format!("vrrp_instance `{}`: {msg}; it starts as BACKUP", vi.name),
                    )
                    .at_opt(state_span)
                    .label(why)
                    .help("write `state BACKUP` (the election still makes the highest priority master), or `priority 255` for the address owner"),
                );
                vi.state = InitialState::Backup;
            }
        }
        if strict && vi.version == 2 && vi.accept == Some(true) {
            self.diags.push(
                Diagnostic::warning(
                    codes::STRICT_STATE,
                    format!(
                        "vrrp_instance `{}`: under vrrp_strict, VRRPv2 has no accept mode (RFC 3768); `accept` ignored",
                        vi.name
                    ),
                )
                .at(vi.span)
                .label("traffic to the VIPs is dropped on the master")
                .help("use `version 3` for accept mode, or drop vrrp_strict"),
            );
            vi.accept = Some(false);
        }
        if let Some(own) = vi.interface.clone() {
            let mut dropped = Vec::new();
            vi.track_interfaces.retain(|t| {
                let keep = t.name != own;
                if !keep {
                    dropped.push(t.span);
                }
                keep
            });
            for span in dropped {
                self.diags.push(
                    Diagnostic::warning(
                        codes::TRACK_OWN_INTERFACE,
                        format!(
                            "vrrp_instance `{}`: track_interface `{own}` is the instance's own interface, ignored",
                            vi.name
                        ),
                    )
                    .at(span)
                    .label("already watched: its own interface going down is a fault")
                    .help("remove it from track_interface"),
                );
            }
        }
    }

    /// Checks that need every block read: keepalived drops the weighted trackers of an
    /// address owner (priority 255 is never adjusted), and sets the weights of a sync group
    /// member's own trackers to 0 (a failure is then a fault, so the group moves as one).
    fn finish_tracking(&mut self) {
        self.owner_weights();
        let scripts = self.config.scripts.clone();
        let groups = self.config.sync_groups.clone();
        for vi in self.config.instances.iter_mut() {
            let Some(sg) = groups
                .iter()
                .find(|g| !g.tracking_weight && g.members.iter().any(|m| m.name == vi.name))
            else {
                continue;
            };
            let mut zeroed: Vec<(Span, String)> = Vec::new();
            for t in vi.track_scripts.iter_mut() {
                let weight = t
                    .weight
                    .or_else(|| scripts.iter().find(|s| s.name == t.name).map(|s| s.weight));
                if weight.unwrap_or(0) != 0 {
                    t.weight = Some(0);
                    zeroed.push((t.span, format!("tracked script `{}`", t.name)));
                }
            }
            for t in vi.track_interfaces.iter_mut() {
                if t.weight.unwrap_or(0) != 0 {
                    t.weight = Some(0);
                    zeroed.push((t.span, format!("tracked interface `{}`", t.name)));
                }
            }
            for (span, what) in zeroed {
                self.diags.push(
                    Diagnostic::warning(
                        codes::GROUP_TRACKING,
                        format!(
                            "vrrp_instance `{}` is in sync group `{}`: the weight of {what} is set to 0 (its failure is a fault)",
                            vi.name, sg.name
                        ),
                    )
                    .at(span)
                    .label("weight ignored")
                    .help("track it in the vrrp_sync_group instead, or add `sync_group_tracking_weight` to the group to keep member weights"),
                );
            }
        }
    }

    fn owner_weights(&mut self) {
        let scripts = self.config.scripts.clone();
        for vi in self
            .config
            .instances
            .iter_mut()
            .filter(|vi| vi.priority == 255)
        {
            let mut dropped: Vec<(Span, String)> = Vec::new();
            let mut names = Vec::new();
            vi.track_scripts.retain(|t| {
                let weight = t
                    .weight
                    .or_else(|| scripts.iter().find(|s| s.name == t.name).map(|s| s.weight));
                let keep = weight.unwrap_or(0) == 0;
                if !keep {
                    dropped.push((t.span, format!("tracked script `{}`", t.name)));
                    names.push(t.name.clone());
                }
                keep
            });
            vi.dropped_track_scripts.append(&mut names);
            vi.track_interfaces.retain(|t| {
                let keep = t.weight.unwrap_or(0) == 0;
                if !keep {
                    dropped.push((t.span, format!("tracked interface `{}`", t.name)));
                }
                keep
            });
            for (span, what) in dropped {
                self.diags.push(
                    Diagnostic::warning(
                        codes::OWNER_WEIGHT,
                        format!(
                            "vrrp_instance `{}` has priority 255 (address owner), whose priority never changes: {what} and its weight are ignored",
                            vi.name
                        ),
                    )
                    .at(span)
                    .label("ignored")
                    .help("use a priority below 255 for the weights to move the VIP, or track it without a weight (a failure is then a fault)"),
                );
            }
        }
    }

    fn authentication(&mut self, n: &Node) -> Option<Auth> {
        self.no_extra(n, 0);
        if !self.needs_block(n, false) {
            return None;
        }
        let mut auth_type: Option<(AuthType, Span)> = None;
        let mut pass: Option<(String, Span)> = None;
        for c in n.children() {
            let Some(kw) = self.known(keywords::AUTH, c, "in `authentication`") else {
                continue;
            };
            match kw.name {
                "auth_type" => {
                    if let Some(t) = self.string(c) {
                        let span = c.args[0].span;
                        match t.as_str() {
                            "PASS" => auth_type = Some((AuthType::Pass, span)),
                            "AH" => auth_type = Some((AuthType::Ah, span)),
                            other => {
                                let mut d = Diagnostic::error(
                                    codes::AUTH,
                                    format!("unknown auth_type `{other}`"),
                                )
                                .at(span)
                                .label("expected PASS or AH");
                                if let Some(s) = did_you_mean(other, ["PASS", "AH"]) {
                                    d = d.help(format!("did you mean `{s}`?"));
                                }
                                self.diags.push(d);
                            }
                        }
                    }
                }
                "auth_pass" => {
                    if let Some(p) = self.string(c) {
                        pass = Some((p, c.args[0].span));
                    }
                }
                _ => {}
            }
        }
        let (t, _) = auth_type?;
        let (mut p, pspan) = match pass {
            Some(p) => p,
            None => {
                self.diags.push(
                    Diagnostic::error(codes::AUTH, "`authentication` has no `auth_pass`")
                        .at(n.keyword.span)
                        .help("add `auth_pass <up to 8 characters>`"),
                );
                return None;
            }
        };
        if p.len() > 8 {
            let mut cut = 8;
            while !p.is_char_boundary(cut) {
                cut -= 1;
            }
            let kept = p[..cut].to_string();
            self.diags.push(
                Diagnostic::warning(
                    codes::AUTH_TRUNCATED,
                    format!(
                        "auth_pass is {} bytes; VRRP carries only 8, so the password is `{kept}`",
                        p.len()
                    ),
                )
                .at(pspan)
                .label("truncated to 8 bytes")
                .help(format!(
                    "write `auth_pass {kept}` so every node visibly uses the same password"
                )),
            );
            p = kept;
        }
        Some(Auth {
            auth_type: t,
            pass: p,
        })
    }

    fn vips(&mut self, n: &Node) -> Vec<VirtualIp> {
        self.no_extra(n, 0);
        let mut out = Vec::new();
        if !self.needs_block(n, true) {
            return out;
        }
        for c in n.children() {
            let Some((addr, prefix, _)) = values::ip_prefix(self.diags, &c.keyword) else {
                continue;
            };
            let mut vip = VirtualIp {
                addr,
                prefix,
                brd: None,
                dev: None,
                scope: None,
                label: None,
                no_track: false,
                span: c.head_span(),
            };
            let mut dropped = false;
            let mut it = c.args.iter();
            while let Some(opt) = it.next() {
                let takes_value = matches!(
                    opt.text.as_str(),
                    "brd" | "broadcast" | "dev" | "scope" | "label" | "metric" | "preferred_lft"
                );
                let val = if takes_value { it.next() } else { None };
                if takes_value && val.is_none() {
                    self.diags.push(
                        Diagnostic::error(
                            codes::MISSING_SETTING,
                            format!("`{}` needs a value", opt.text),
                        )
                        .at(opt.span)
                        .help(format!("write `{} <value>`", opt.text)),
                    );
                    continue;
                }
                match (opt.text.as_str(), val) {
                    ("brd" | "broadcast", Some(v)) => {
                        vip.brd = values::ip(self.diags, "brd", v);
                    }
                    ("dev", Some(v)) => vip.dev = Some(v.text.clone()),
                    ("scope", Some(v)) => {
                        if !matches!(
                            v.text.as_str(),
                            "global" | "site" | "link" | "host" | "nowhere"
                        ) && v.text.parse::<u8>().is_err()
                        {
                            self.diags.push(
                                Diagnostic::error(
                                    codes::BAD_VALUE,
                                    format!("unknown scope `{}`", v.text),
                                )
                                .at(v.span)
                                .help("use global, site, link, host or nowhere"),
                            );
                        }
                        vip.scope = Some(v.text.clone());
                    }
                    ("label", Some(v)) => {
                        if v.text.len() > 15 {
                            self.diags.push(
                                Diagnostic::error(
                                    codes::LABEL_TOO_LONG,
                                    format!("label `{}` is longer than 15 characters", v.text),
                                )
                                .at(v.span)
                                .label("Linux interface labels have at most 15 characters")
                                .help("shorten the label, e.g. `eth0:1`"),
                            );
                            vip.label = None;
                            dropped = true;
                        } else {
                            vip.label = Some(v.text.clone());
                        }
                    }
                    ("no_track", _) => vip.no_track = true,
                    ("metric" | "preferred_lft", _)
                    | ("home" | "-nodad" | "nodad" | "noprefixroute" | "autojoin", _) => {}
                    _ => self.diags.push(
                        Diagnostic::warning(
                            codes::UNKNOWN_KEYWORD,
                            format!("unknown virtual address option `{}`, ignored", opt.text),
                        )
                        .at(opt.span)
                        .help(
                            did_you_mean(
                                &opt.text,
                                ["brd", "dev", "scope", "label", "no_track", "metric"],
                            )
                            .map(|s| format!("did you mean `{s}`?"))
                            .unwrap_or_else(|| {
                                "options are brd, dev, scope, label, no_track".to_string()
                            }),
                        ),
                    ),
                }
            }
            if !dropped {
                out.push(vip);
            }
        }
        out
    }

    /// Items of a `track_*` block: `name [weight N [reverse]]`.
    fn track_list(&mut self, n: &Node) -> Vec<TrackRef> {
        self.no_extra(n, 0);
        let mut out = Vec::new();
        if !self.needs_block(n, true) {
            return out;
        }
        for c in n.children() {
            let mut tr = TrackRef {
                name: c.keyword.text.clone(),
                weight: None,
                reverse: false,
                span: c.keyword.span,
            };
            match c.args.first() {
                Some(w) if w.text == "weight" => {
                    match c.args.get(1) {
                        Some(v) => {
                            tr.weight = values::int_in(self.diags, "weight", v, -254, 254)
                                .map(|v| v as i32);
                        }
                        None => self.diags.push(
                            Diagnostic::error(codes::MISSING_SETTING, "`weight` needs a value")
                                .at(w.span)
                                .help("write `weight <-254..254>`"),
                        ),
                    }
                    if let Some(r) = c.args.get(2) {
                        if r.text == "reverse" {
                            tr.reverse = true;
                        } else {
                            self.diags.push(
                                Diagnostic::warning(
                                    codes::EXTRA_ARGS,
                                    format!("unexpected `{}`, ignored", r.text),
                                )
                                .at(r.span)
                                .help("only `reverse` may follow the weight"),
                            );
                        }
                    }
                }
                Some(w) => self.diags.push(
                    Diagnostic::warning(
                        codes::EXTRA_ARGS,
                        format!("unexpected `{}` after `{}`, ignored", w.text, tr.name),
                    )
                    .at(w.span)
                    .help("write `NAME` or `NAME weight N`"),
                ),
                None => {}
            }
            out.push(tr);
        }
        out
    }

    /// `virtual_routes { … }` / `static_routes { … }`: one `ip route`-style line each.
    fn routes_block(&mut self, n: &Node, virtual_routes: bool) -> Vec<VirtualRoute> {
        self.no_extra(n, 0);
        let mut out = Vec::new();
        if !self.needs_block(n, true) {
            return out;
        }
        for r in n.children() {
            let mut words = vec![r.keyword.text.clone()];
            words.extend(r.args.iter().map(|w| w.text.clone()));
            let spec = match crate::routes::parse(&words) {
                Ok(s) => Some(s),
                Err(e) => {
                    self.diags.push(
                        Diagnostic::error(
                            codes::ROUTE_INVALID,
                            format!(
                                "{} route `{}`: {e}",
                                if virtual_routes { "virtual" } else { "static" },
                                words.join(" ")
                            ),
                        )
                        .at(r.head_span())
                        .label("not a route")
                        .help("write it as `ip route` would take it, e.g. `10.1.0.0/16 via 192.168.10.254 dev eth0`"),
                    );
                    None
                }
            };
            let unicast = spec
                .as_ref()
                .is_some_and(|s| s.kind == crate::routes::RouteKind::Unicast);
            if unicast && !words.iter().any(|w| w == "dev") {
                self.diags.push(
                    Diagnostic::warning(
                        codes::ROUTE_NO_DEV,
                        format!(
                            "{} route `{}` has no `dev`",
                            if virtual_routes { "virtual" } else { "static" },
                            words.join(" ")
                        ),
                    )
                    .at(r.head_span())
                    .label("the link it depends on is unknown")
                    .help("add `dev <interface>` to the route"),
                );
            }
            out.push(VirtualRoute {
                words,
                spec,
                span: r.head_span(),
            });
        }
        out
    }

    /// `virtual_rules { … }` / `static_rules { … }`: one `ip rule`-style line each.
    fn rules_block(&mut self, n: &Node) -> Vec<IpRule> {
        self.no_extra(n, 0);
        let mut out = Vec::new();
        if !self.needs_block(n, true) {
            return out;
        }
        for r in n.children() {
            let mut words = vec![r.keyword.text.clone()];
            words.extend(r.args.iter().map(|w| w.text.clone()));
            let line = words.join(" ");
            let help = "write it as `ip rule` would take it, with a priority, e.g. `from 192.168.10.0/24 table 100 priority 100`";
            let spec = match crate::rules::parse(&words) {
                Ok(p) => {
                    for w in p.warnings {
                        self.diags.push(
                            Diagnostic::warning(codes::RULE_NOTE, format!("rule `{line}`: {w}"))
                                .at(r.head_span())
                                .help(help),
                        );
                    }
                    Some(p.spec)
                }
                Err(crate::rules::RuleError::Missing(e)) => {
                    self.diags.push(
                        Diagnostic::error(codes::MISSING_ARG, format!("rule `{line}`: {e}"))
                            .at(r.head_span())
                            .help(help),
                    );
                    None
                }
                Err(crate::rules::RuleError::Invalid(e)) => {
                    self.diags.push(
                        Diagnostic::error(codes::RULE_INVALID, format!("rule `{line}`: {e}"))
                            .at(r.head_span())
                            .label("not a rule")
                            .help(help),
                    );
                    None
                }
            };
            out.push(IpRule {
                words,
                spec,
                span: r.head_span(),
            });
        }
        out
    }

    // ---------------------------------------------------------------- vrrp_sync_group

    fn sync_group(&mut self, n: &Node) {
        let Some((name, span)) = self.named_block(n) else {
            return;
        };
        let mut sg = SyncGroup {
            name,
            span,
            members: Vec::new(),
            track_scripts: Vec::new(),
            track_interfaces: Vec::new(),
            track_processes: Vec::new(),
            notify: NotifyScripts::default(),
            smtp_alert: false,
            tracking_weight: false,
        };
        let mut group_at: Option<Span> = None;
        for c in n.children() {
            if self.lists_nothing(c) {
                continue;
            }
            let Some(kw) = self.known(keywords::SYNC_GROUP, c, "in `vrrp_sync_group`") else {
                continue;
            };
            match kw.name {
                "group" => {
                    self.no_extra(c, 0);
                    // keepalived takes the first list with members; it reports a later
                    // `group` (and ignores it), and an empty one.
                    if let Some(first) = group_at {
                        self.diags.push(
                            Diagnostic::warning(
                                codes::DUPLICATE,
                                format!(
                                    "vrrp_sync_group `{}` has a second `group` list, ignored",
                                    sg.name
                                ),
                            )
                            .at(c.keyword.span)
                            .label("keepalived reports it and ignores it too")
                            .note(Some(first), "the members are listed here")
                            .help("list every member in the one `group { }` block"),
                        );
                        continue;
                    }
                    if !self.needs_block(c, true) {
                        continue;
                    }
                    if c.children().is_empty() {
                        self.diags.push(
                            Diagnostic::warning(
                                codes::EMPTY_BLOCK,
                                format!("vrrp_sync_group `{}`: `group` lists no instance", sg.name),
                            )
                            .at(c.keyword.span)
                            .label("empty")
                            .help("name the vrrp_instances of the group inside the block, one per line"),
                        );
                        continue;
                    }
                    group_at = Some(c.keyword.span);
                    for m in c.children() {
                        sg.members.push(TrackRef {
                            name: m.keyword.text.clone(),
                            weight: None,
                            reverse: false,
                            span: m.keyword.span,
                        });
                        for extra in &m.args {
                            sg.members.push(TrackRef {
                                name: extra.text.clone(),
                                weight: None,
                                reverse: false,
                                span: extra.span,
                            });
                        }
                    }
                }
                "track_script" => sg.track_scripts.extend(self.track_list(c)),
                "track_interface" => sg.track_interfaces.extend(self.track_list(c)),
                "track_process" => sg.track_processes.extend(self.track_list(c)),
                "notify_master" | "notify_backup" | "notify_fault" | "notify_stop" | "notify" => {
                    self.notify(c, &mut sg.notify)
                }
                "smtp_alert" => sg.smtp_alert = self.flag(c),
                "sync_group_tracking_weight" => sg.tracking_weight = self.flag(c),
                "global_tracking" => {
                    sg.tracking_weight = self.flag(c);
                    self.diags.push(
                        Diagnostic::warning(
                            codes::GROUP_TRACKING,
                            "`global_tracking` is deprecated; it keeps the members' tracking weights",
                        )
                        .at(c.keyword.span)
                        .help("write `sync_group_tracking_weight`, or track the scripts and interfaces in the vrrp_sync_group itself"),
                    );
                }
                _ => {}
            }
        }
        self.config.sync_groups.push(sg);
    }
}

/// A script keyword's value.
enum ScriptValue {
    /// The command and the words after it.
    Cmd(Command, Vec<String>),
    /// An empty command (`""`), not reported yet: keepalived's reaction depends on the keyword.
    Empty(Span),
    /// A problem, already reported.
    Bad,
}

impl Node {
    /// `keyword arg…` as written, for help texts.
    pub fn head_text(&self) -> String {
        let mut s = self.keyword.text.clone();
        for a in &self.args {
            s.push(' ');
            s.push_str(&a.text);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{AuthType, InitialState};
    use crate::{load_str, LexOptions};

    fn load(text: &str) -> crate::Loaded {
        load_str("t.conf", text, &LexOptions::default())
    }

    fn instance(body: &str) -> crate::Loaded {
        load(&format!(
            "vrrp_instance VI {{\n interface eth0\n virtual_router_id 5\n{body}\n}}\n"
        ))
    }

    #[test]
    fn keepalived_defaults() {
        let l = instance(" virtual_ipaddress {\n 10.0.0.1\n }");
        let vi = &l.config.instances[0];
        assert_eq!(vi.state, InitialState::Backup);
        assert_eq!(vi.priority, 100);
        assert_eq!(vi.advert_int_cs, 100);
        assert_eq!(vi.version, 2);
        assert_eq!(vi.vips[0].prefix, 32);
        assert_eq!(vi.garp_master_delay, 5);
        assert_eq!(vi.garp_master_repeat, 5);
        assert_eq!(l.config.global.smtp_connect_timeout, 30);
    }

    #[test]
    fn master_without_priority_is_owner() {
        let l = instance(" state MASTER\n virtual_ipaddress {\n 10.0.0.1\n }");
        assert_eq!(l.config.instances[0].priority, 255);
        let l = instance(" state MASTER\n priority 101\n virtual_ipaddress {\n 10.0.0.1\n }");
        assert_eq!(l.config.instances[0].priority, 101);
    }

    #[test]
    fn script_defaults_and_timeout() {
        let l = load("vrrp_script a {\n script \"/bin/true\"\n}\nvrrp_script b {\n script /bin/true\n interval 7\n}\n");
        let a = l.config.script("a").unwrap();
        assert_eq!(
            (a.interval, a.timeout, a.weight, a.rise, a.fall),
            (1, 1, 0, 1, 1)
        );
        let b = l.config.script("b").unwrap();
        assert_eq!((b.interval, b.timeout), (7, 7));
    }

    #[test]
    fn advert_int_v2_rounds_v3_keeps_centiseconds() {
        let l = instance(" advert_int 1.5\n virtual_ipaddress {\n 10.0.0.1\n }");
        assert_eq!(l.config.instances[0].advert_int_cs, 200);
        assert!(l.diags.has_code(crate::codes::ADVERT_INT));
        let l = instance(" version 3\n advert_int 0.5\n virtual_ipaddress {\n 10.0.0.1\n }");
        assert_eq!(l.config.instances[0].advert_int_cs, 50);
        assert!(l.diags.is_empty(), "{:?}", l.diags);
    }

    #[test]
    fn ipv6_forces_version_3() {
        let l = instance(" virtual_ipaddress {\n fd00::1/64\n }");
        let vi = &l.config.instances[0];
        assert!(vi.ipv6);
        assert_eq!(vi.version, 3);
        assert!(l.diags.is_empty(), "{:?}", l.diags);
    }

    #[test]
    fn auth_pass_truncated_to_8_bytes() {
        let l = instance(
            " authentication {\n auth_type PASS\n auth_pass superpassword\n }\n virtual_ipaddress {\n 10.0.0.1\n }",
        );
        let auth = l.config.instances[0].auth.clone().unwrap();
        assert_eq!(auth.auth_type, AuthType::Pass);
        assert_eq!(auth.pass, "superpas");
        assert!(l.diags.has_code(crate::codes::AUTH_TRUNCATED));
    }

    #[test]
    fn vip_options_and_track_weights() {
        let l = load(
            "vrrp_script s {\n script /bin/true\n weight -10 reverse\n}\nvrrp_instance VI {\n interface eth0\n virtual_router_id 5\n virtual_ipaddress {\n 10.0.0.1/24 brd 10.0.0.255 dev eth0 scope link label eth0:1\n }\n track_script {\n s weight 20\n }\n track_interface {\n eth1 weight -5\n }\n}\n",
        );
        assert!(!l.has_errors(), "{:?}", l.diags);
        let vi = &l.config.instances[0];
        let v = &vi.vips[0];
        assert_eq!(v.prefix, 24);
        assert_eq!(v.brd.unwrap().to_string(), "10.0.0.255");
        assert_eq!(v.dev.as_deref(), Some("eth0"));
        assert_eq!(v.scope.as_deref(), Some("link"));
        assert_eq!(v.label.as_deref(), Some("eth0:1"));
        assert_eq!(vi.track_scripts[0].weight, Some(20));
        assert_eq!(vi.track_interfaces[0].weight, Some(-5));
        let s = l.config.script("s").unwrap();
        assert_eq!((s.weight, s.weight_reverse), (-10, true));
    }

    #[test]
    fn script_lines_split_as_keepalived() {
        let l = load(
            "vrrp_script a {\n script 'killall -0 haproxy'\n}\nvrrp_script b {\n script /bin/x.sh p r\n}\nvrrp_instance VI {\n interface eth0\n virtual_router_id 5\n notify_master '/bin/n.sh a b' nobody nogroup\n notify_backup \"/bin/sh -c 'exit 0'\"\n track_script {\n a\n b\n }\n virtual_ipaddress {\n 10.0.0.1\n }\n}\n",
        );
        let a = l.config.script("a").unwrap().script.clone().unwrap();
        assert_eq!(a.argv, vec!["killall", "-0", "haproxy"]);
        // keepalived runs the first word only; vrrpd does the same and says so.
        let b = l.config.script("b").unwrap().script.clone().unwrap();
        assert_eq!(b.argv, vec!["/bin/x.sh"]);
        assert!(l.diags.has_code(crate::codes::SCRIPT_EXTRA_WORDS));
        let vi = &l.config.instances[0];
        let m = vi.notify.master.clone().unwrap();
        assert_eq!(m.argv, vec!["/bin/n.sh", "a", "b"]);
        let u = m.user.unwrap();
        assert_eq!(
            (u.user.as_str(), u.group.as_deref()),
            ("nobody", Some("nogroup"))
        );
        let b = vi.notify.backup.clone().unwrap();
        assert_eq!(b.argv, vec!["/bin/sh", "-c", "exit 0"]);
        assert_eq!(
            crate::compat::config_test_exit_code(&l.diags, false),
            0,
            "{:?}",
            l.diags
        );
    }

    #[test]
    fn consistency_checks_repair_as_keepalived() {
        let ah = " authentication {\n auth_type AH\n auth_pass x\n }\n";
        let l = instance(&format!(
            " state MASTER\n priority 150\n{ah} virtual_ipaddress {{\n 10.0.0.1\n }}"
        ));
        assert_eq!(l.config.instances[0].state, InitialState::Backup);
        assert!(l.diags.has_code(crate::codes::AUTH));
        let l = instance(&format!(
            " state MASTER\n priority 255\n{ah} virtual_ipaddress {{\n 10.0.0.1\n }}"
        ));
        assert_eq!(l.config.instances[0].state, InitialState::Master);
        assert!(l.diags.is_empty(), "{:?}", l.diags);
        let l = load("global_defs {\n vrrp_strict\n}\nvrrp_instance VI {\n state MASTER\n priority 100\n interface eth0\n virtual_router_id 5\n virtual_ipaddress {\n 10.0.0.1\n }\n}\n");
        assert_eq!(l.config.instances[0].state, InitialState::Backup);
        assert!(l.diags.has_code(crate::codes::STRICT_STATE));
        let l = instance(
            " track_interface {\n eth0 weight 5\n eth1\n }\n virtual_ipaddress {\n 10.0.0.1\n }",
        );
        let names: Vec<&str> = l.config.instances[0]
            .track_interfaces
            .iter()
            .map(|t| t.name.as_str())
            .collect();
        assert_eq!(names, vec!["eth1"]);
        let l = load("vrrp_instance VI {\n priority 255\n interface eth0\n virtual_router_id 5\n track_script {\n s weight 5\n u\n }\n track_interface {\n eth1 weight 3\n }\n virtual_ipaddress {\n 10.0.0.1\n }\n}\nvrrp_script s {\n script /bin/true\n}\nvrrp_script u {\n script /bin/true\n}\n");
        let vi = &l.config.instances[0];
        let kept: Vec<&str> = vi.track_scripts.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(
            kept,
            vec!["u"],
            "the weighted one is dropped, the other kept"
        );
        assert!(vi.track_interfaces.is_empty());
        assert!(!l.diags.has_code(crate::codes::SCRIPT_UNUSED));
        for v in ["0", "0.0"] {
            let l = load(&format!("global_defs {{\n vrrp_garp_interval {v}\n}}\n"));
            assert!(l.diags.has_code(crate::codes::OUT_OF_RANGE), "{v}");
        }
        let l = load("global_defs {\n vrrp_garp_interval 2\n vrrp_gna_interval 0.000001\n}\n");
        assert!(l.diags.is_empty(), "{:?}", l.diags);
        assert_eq!(l.config.global.vrrp_garp_interval_us, 2_000_000);
    }

    #[test]
    fn nameless_blocks_like_keepalived() {
        use crate::compat::config_test_exit_code as code;
        for (text, want) in [
            ("vrrp_script {\n script /bin/true\n}\n", 2),
            ("vrrp_track_process {\n process x\n}\n", 2),
            ("virtual_server_group {\n 10.0.0.1 80\n}\n", 2),
            ("vrrp_track_file {\n file /x\n}\n", 2),
            ("virtual_server {\n}\n", 2),
            ("vrrp_sync_group {\n group {\n VI\n }\n}\n", 5),
            ("vrrp_instance {\n}\n", 5),
        ] {
            assert_eq!(code(&load(text).diags, false), want, "{text}");
        }
    }

    /// What keepalived 2.2.7 does with a keyword written without its value (cases 246-).
    #[test]
    fn keywords_without_their_value_like_keepalived() {
        use crate::compat::config_test_exit_code as code;
        let inst = "vrrp_instance VI {\n interface eth0\n virtual_router_id 5\n virtual_ipaddress {\n 10.0.0.1\n }\n}\n";
        let global = |body: &str| load(&format!("global_defs {{\n{body}\n}}\n{inst}"));
        // Reported and ignored (exit 5): the setting stays as it was.
        for kw in [
            "router_id",
            "notification_email_from",
            "script_user",
            "default_interface",
            "vrrp_notify_fifo",
            "notify_fifo_script",
            "vrrp_priority",
            "snmp_socket",
        ] {
            let l = global(kw);
            assert!(l.diags.has_code(crate::codes::VALUE_MISSING), "{kw}");
            assert!(!l.has_errors(), "{kw}: {:?}", l.diags);
            assert_eq!(code(&l.diags, false), 5, "{kw}");
        }
        let l = global(" router_id lb1\n router_id");
        assert_eq!(l.config.global.router_id.as_deref(), Some("lb1"));
        // Silent (exit 0), with vrrpd's own warning.
        let l = global(" smtp_helo_name");
        assert!(l.diags.has_code(crate::codes::VALUE_EMPTY));
        assert_eq!(l.config.global.smtp_helo_name, None);
        assert_eq!(code(&l.diags, false), 0);
        // A missing parameter for keywords vrrpd ignores (exit 2).
        for kw in [
            "checker_process_name",
            "vrrp_process_name",
            "nftables_priority",
        ] {
            assert_eq!(code(&global(kw).diags, false), 2, "{kw}");
        }
        for kw in [
            "debug",
            "lvs_sync_daemon_interface",
            "notify_master_rx_lower_pri",
        ] {
            assert_eq!(code(&instance(kw).diags, false), 2, "{kw}");
        }
        let l = instance(" kernel_rx_buf_size\n virtual_ipaddress {\n 10.0.0.1\n }");
        assert_eq!(code(&l.diags, false), 5);
        // A keyword that needs its value everywhere still stops (exit 2).
        assert_eq!(code(&global(" smtp_connect_timeout").diags, false), 2);
        // At the top level: reported and ignored, so a bare net_namespace is not refused.
        let l = load(&format!("net_namespace\n{inst}"));
        assert!(!l.has_errors(), "{:?}", l.diags);
        assert_eq!(code(&l.diags, false), 5);
    }

    #[test]
    fn empty_script_commands_are_ignored() {
        use crate::compat::config_test_exit_code as code;
        let track = "vrrp_instance VI {\n interface eth0\n virtual_router_id 5\n notify_master /bin/true\n notify_master \"\"\n track_script {\n chk\n }\n virtual_ipaddress {\n 10.0.0.1\n }\n}\n";
        let script = |lines: &str| load(&format!("vrrp_script chk {{\n{lines}\n}}\n{track}"));
        // `script` alone, or `script ""`: no script, so the vrrp_script is dropped (exit 5).
        for lines in [" script", " script \"\""] {
            let l = script(lines);
            assert!(l.diags.has_code(crate::codes::MISSING_SETTING), "{lines}");
            assert!(l.diags.has_code(crate::codes::VALUE_EMPTY), "{lines}");
            assert_eq!(code(&l.diags, false), 5, "{lines}");
        }
        // Next to a command, in either order, the empty line is ignored.
        for lines in [" script /bin/true\n script", " script\n script /bin/true"] {
            let l = script(lines);
            let cmd = l.config.script("chk").and_then(|s| s.script.clone());
            assert_eq!(cmd.map(|c| c.argv), Some(vec!["/bin/true".to_string()]));
            assert_eq!(code(&l.diags, false), 0, "{lines}: {:?}", l.diags);
        }
        // `notify_master ""` leaves the earlier notify_master in place.
        let l = script(" script /bin/true");
        let m = l.config.instances[0].notify.master.clone();
        assert_eq!(m.map(|c| c.raw), Some("/bin/true".to_string()));
    }

    #[test]
    fn bare_block_keywords_like_keepalived() {
        use crate::compat::config_test_exit_code as code;
        let head = "vrrp_instance VI {\n interface eth0\n virtual_router_id 5\n virtual_ipaddress {\n 10.0.0.1\n }\n";
        let w = "vrrp_instance W {\n interface eth0\n virtual_router_id 6\n virtual_ipaddress {\n 10.0.0.2\n }\n}\n";
        // The last line of the file: an empty list, exit 0.
        for kw in [
            "virtual_ipaddress",
            "virtual_ipaddress_excluded",
            "virtual_routes",
            "virtual_rules",
            "track_script",
            "track_interface",
            "track_process",
            "track_file",
            "track_bfd",
        ] {
            let l = load(&format!("{head} {kw}\n}}\n"));
            assert!(!l.has_errors(), "{kw}: {:?}", l.diags);
            assert_eq!(code(&l.diags, false), 0, "{kw}: {:?}", l.diags);
            assert_eq!(l.config.instances[0].vips.len(), 1, "{kw}");
            // Anywhere else keepalived swallows what follows: an error (track_file and
            // track_bfd are refused before that).
            let l = load(&format!("{head} {kw}\n}}\n{w}"));
            assert!(l.has_errors(), "{kw}");
            assert_eq!(code(&l.diags, false), 5, "{kw}");
        }
        // A section inside a block needs its `{` even there.
        let l = load(&format!("{head} authentication\n}}\n"));
        assert!(l.diags.has_code(crate::codes::NEEDS_BLOCK));
        // A top-level block keyword on the last line is empty.
        let l = load(&format!("{head}}}\nglobal_defs\n"));
        assert_eq!(code(&l.diags, false), 0, "{:?}", l.diags);
        // An empty track_file / track_bfd tracks nothing: not refused.
        let l = load(&format!(
            "{head} track_file {{\n }}\n track_bfd {{\n }}\n}}\n"
        ));
        assert_eq!(code(&l.diags, false), 0, "{:?}", l.diags);
        let l = load(&format!("{head} track_file {{\n f\n }}\n}}\n"));
        assert!(l.diags.has_code(crate::codes::REFUSED));
    }

    #[test]
    fn unicast_keywords_without_peers_and_vmac_xmit_base() {
        use crate::compat::config_test_exit_code as code;
        let vip = "\n virtual_ipaddress {\n 10.0.0.1\n }";
        for kw in [
            "check_unicast_src",
            "old_unicast_checksum",
            "unicast_src_ip 10.0.0.5",
            "unicast_ttl 10",
            "unicast_peer {\n }",
        ] {
            let l = instance(&format!(" {kw}{vip}"));
            assert!(l.diags.has_code(crate::codes::UNICAST_NO_PEER), "{kw}");
            assert_eq!(code(&l.diags, false), 5, "{kw}");
            let l = instance(&format!(" {kw}\n unicast_peer {{\n 10.0.0.2\n }}{vip}"));
            assert!(l.diags.is_empty(), "{kw}: {:?}", l.diags);
        }
        let l = instance(&format!(" unicast_fault_no_peer{vip}"));
        assert!(l.diags.is_empty(), "{:?}", l.diags);
        let l = instance(&format!(" vmac_xmit_base{vip}"));
        assert!(l.diags.has_code(crate::codes::VMAC_ONLY));
        assert_eq!(code(&l.diags, false), 5);
        let l = instance(&format!(" vmac_xmit_base\n use_vmac{vip}"));
        assert!(!l.diags.has_code(crate::codes::VMAC_ONLY));
        assert_eq!(code(&l.diags, false), 0);
    }

    #[test]
    fn sync_group_lists_and_track_process_values() {
        use crate::compat::config_test_exit_code as code;
        use crate::model::ParamMatch;
        let two = "vrrp_instance A {\n interface eth0\n virtual_router_id 5\n virtual_ipaddress {\n 10.0.0.1\n }\n}\nvrrp_instance B {\n interface eth0\n virtual_router_id 6\n virtual_ipaddress {\n 10.0.0.2\n }\n}\n";
        let l = load(&format!(
            "{two}vrrp_sync_group G {{\n group {{\n A\n }}\n group {{\n B\n }}\n}}\n"
        ));
        assert!(l.diags.has_code(crate::codes::DUPLICATE));
        assert_eq!(l.config.sync_groups[0].members.len(), 1);
        let l = load(&format!(
            "{two}vrrp_sync_group G {{\n group {{\n }}\n group {{\n A\n B\n }}\n}}\n"
        ));
        assert!(l.diags.has_code(crate::codes::EMPTY_BLOCK));
        assert_eq!(l.config.sync_groups[0].members.len(), 2);
        assert_eq!(code(&l.diags, false), 5);
        let tp = |line: &str| {
            load(&format!(
                "vrrp_track_process p {{\n process sshd\n {line}\n}}\n"
            ))
        };
        let l = tp("param_match");
        assert_eq!(
            l.config.track_processes[0].param_match,
            Some(ParamMatch::Exact)
        );
        assert_eq!(code(&l.diags, false), 0);
        let l = tp("param_match initial");
        assert_eq!(
            l.config.track_processes[0].param_match,
            Some(ParamMatch::Initial)
        );
        let l = tp("param_match exact");
        assert_eq!(l.config.track_processes[0].param_match, None);
        assert_eq!(code(&l.diags, false), 5);
        let l = tp("weight");
        assert!(l.diags.has_code(crate::codes::VALUE_MISSING));
        assert_eq!(code(&l.diags, false), 5);
    }

    #[test]
    fn all_errors_in_one_run() {
        let l = instance(
            " priority 0\n advert_int x\n state master\n virtual_ipaddress {\n 10.0.0.300\n }",
        );
        let errors = l
            .diags
            .iter()
            .filter(|d| d.severity == conf_diag::Severity::Error)
            .count();
        assert_eq!(errors, 4, "{:?}", l.diags);
    }

    #[test]
    fn vrrp_min_garp_sends_one_garp_and_no_repeat() {
        let g = |text: &str| {
            let l = load(&format!("global_defs {{\n{text}\n}}\n"));
            assert!(!l.diags.has_errors(), "{text}");
            (
                l.config.global.vrrp_garp_master_repeat,
                l.config.global.vrrp_garp_master_delay,
            )
        };
        assert_eq!(g(" router_id x"), (5, 5), "keepalived's defaults");
        assert_eq!(g(" vrrp_min_garp"), (1, 0));
        assert_eq!(g(" vrrp_min_garp true"), (1, 0));
        assert_eq!(g(" vrrp_min_garp false"), (5, 5));
        assert_eq!(g(" vrrp_min_garp\n vrrp_garp_master_repeat 3"), (3, 0));
    }

    #[test]
    fn down_timer_adverts_defaults_to_the_global_value_then_3() {
        let inst = |global: &str, own: &str| {
            let l = load(&format!(
                "global_defs {{\n{global}\n}}\nvrrp_instance VI_1 {{\n interface eth0\n virtual_router_id 1\n{own}\n virtual_ipaddress {{\n  10.0.0.100\n }}\n}}\n"
            ));
            assert!(!l.diags.has_errors(), "{global} {own}: {:?}", l.diags);
            l.config.instances[0].down_timer_adverts
        };
        assert_eq!(inst("", ""), 3);
        assert_eq!(inst(" vrrp_down_timer_adverts 5", ""), 5);
        assert_eq!(
            inst(" vrrp_down_timer_adverts 5", " down_timer_adverts 2"),
            2
        );
        assert_eq!(inst("", " down_timer_adverts 100"), 100);
    }
}
