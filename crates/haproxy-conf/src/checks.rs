//! Checks across the whole configuration, all reported in one run (HAProxy stops
//! after its parsing stage; these are its post-parsing checks and a few of our own).

use crate::build::PREDEFINED_ACLS;
use crate::codes;
use crate::model::*;
use conf_diag::{did_you_mean, Diagnostic, Diagnostics, Span};

pub fn check(cfg: &Config, diags: &mut Diagnostics) {
    duplicates(cfg, diags);
    if !cfg.global.master_worker {
        for s in cfg.other_sections.iter().filter(|s| s.kind == "program") {
            diags.push(
                Diagnostic::error(
                    codes::WRONG_SECTION,
                    format!(
                        "`program {}` needs master-worker mode",
                        s.name.as_deref().unwrap_or("")
                    ),
                )
                .help("add `master-worker` to the global section (or start with -W)"),
            );
        }
    }
    for p in &cfg.proxies {
        servers(cfg, p, diags);
        logging(p, diags);
        backends_referenced(cfg, p, diags);
        servers_referenced(p, diags);
        acls_referenced(p, diags);
        fetch_references(cfg, p, diags);
        table_references(cfg, p, diags);
        cache_references(cfg, p, diags);
        backend_only_actions(p, diags);
        timeouts(p, diags);
        http_only(p, diags);
        references(cfg, p, diags);
        let e = &p.email_alert;
        let any = e.mailers.is_some()
            || e.from.is_some()
            || e.to.is_some()
            || e.level.is_some()
            || e.myhostname.is_some();
        if any
            && p.kind.has(Cap::Backend)
            && (e.mailers.is_none() || e.from.is_none() || e.to.is_none())
        {
            // HAProxy ignores incomplete settings, with a warning.
            diags.push(
                Diagnostic::warning(
                    codes::INCOMPLETE,
                    format!("`email-alert` in `{}` is ignored: no mail is sent", p.name),
                )
                .at(p.span)
                .help("mail alerts need `email-alert mailers`, `email-alert from` and `email-alert to` together"),
            );
        }
        if p.kind == ProxyKind::Frontend && p.binds.is_empty() {
            diags.push(
                Diagnostic::warning(
                    codes::NO_BIND,
                    format!("frontend `{}` has no `bind` line", p.name),
                )
                .at(p.span)
                .label("accepts no connections")
                .help("add `bind <address>:<port>`, or make it a `backend` if that was meant"),
            );
        }
    }
}

/// Whether the configuration listens anywhere (HAProxy's -c exits 2 when it does not).
pub fn has_listeners(cfg: &Config) -> bool {
    cfg.frontends().any(|p| !p.binds.is_empty() && !p.disabled)
}

fn duplicates(cfg: &Config, diags: &mut Diagnostics) {
    for (i, p) in cfg.proxies.iter().enumerate() {
        let clash = cfg.proxies[..i].iter().find(|q| {
            q.name == p.name
                && ((p.kind.has(Cap::Frontend) && q.kind.has(Cap::Frontend))
                    || (p.kind.has(Cap::Backend) && q.kind.has(Cap::Backend)))
        });
        if let Some(q) = clash {
            diags.push(
                Diagnostic::error(
                    codes::DUPLICATE,
                    format!(
                        "{} `{}` has the same name as {} `{}`",
                        p.kind.keyword(),
                        p.name,
                        q.kind.keyword(),
                        q.name
                    ),
                )
                .at(p.span)
                .note(Some(q.span), "first defined here")
                .help("give it another name (a frontend and a backend may share one)"),
            );
        }
        for (j, s) in p.servers.iter().enumerate() {
            if let Some(first) = p.servers[..j].iter().find(|x| x.name == s.name) {
                diags.push(
                    Diagnostic::error(
                        codes::DUPLICATE,
                        format!("server `{}` appears twice in `{}`", s.name, p.name),
                    )
                    .at(s.span)
                    .note(Some(first.span), "first defined here")
                    .help("each server of a backend needs its own name"),
                );
            }
        }
    }
}

/// `use-server NAME` must name a server of its backend (a log-format name is resolved at
/// run time, as HAProxy does).
fn servers_referenced(p: &Proxy, diags: &mut Diagnostics) {
    let names: Vec<&str> = p.servers.iter().map(|s| s.name.as_str()).collect();
    for u in p.use_servers.iter().filter(|u| u.dynamic.is_none()) {
        if names.contains(&u.server.as_str()) {
            continue;
        }
        let d = Diagnostic::error(
            codes::UNKNOWN_REF,
            format!(
                "use-server: no server `{}` in {} `{}`",
                u.server,
                p.kind.keyword(),
                p.name
            ),
        )
        .at(u.span);
        diags.push(match did_you_mean(&u.server, names.iter().copied()) {
            Some(s) => d.help(format!("did you mean `{s}`?")),
            None => d.help("name one of this section's `server` lines"),
        });
    }
}

fn backends_referenced(cfg: &Config, p: &Proxy, diags: &mut Diagnostics) {
    if !p.kind.has(Cap::Frontend) {
        return;
    }
    let names: Vec<&str> = cfg.backends().map(|b| b.name.as_str()).collect();
    let mut check_one = |name: &str, span: Option<Span>, what: &str| {
        if name.contains('%') {
            return; // chosen at run time
        }
        match cfg.proxy(name, Cap::Backend) {
            None => {
                let mut d = Diagnostic::error(
                    codes::UNKNOWN_BACKEND,
                    format!(
                        "{what} `{name}` of {} `{}` names no backend",
                        p.kind.keyword(),
                        p.name
                    ),
                )
                .at_opt(span)
                .label("no such backend");
                // A backend named like the frontend is the usual intent (seed 000).
                let same_name = names.iter().find(|n| **n == p.name).copied();
                d = match did_you_mean(name, names.iter().copied()).or(same_name) {
                    Some(s) => d.help(format!("did you mean `{s}`?")),
                    None if names.is_empty() => {
                        d.help("define it with `backend NAME` and its servers")
                    }
                    None => d.help(format!("backends defined: {}", names.join(", "))),
                };
                diags.push(d);
            }
            Some(b) if p.mode == Mode::Http && b.mode == Mode::Tcp => {
                diags.push(
                    Diagnostic::error(
                        codes::MODE_MISMATCH,
                        format!("http {} `{}` sends to tcp backend `{}`", p.kind.keyword(), p.name, b.name),
                    )
                    .at_opt(span)
                    .note(b.mode_span.or(Some(b.span)), format!("`{}` is in tcp mode", b.name))
                    .help(format!("add `mode http` to backend `{}` (a tcp frontend may use an http backend, not the reverse)", b.name)),
                );
            }
            Some(_) => {}
        }
    };
    if let Some(d) = &p.default_backend {
        check_one(d, p.default_backend_span, "default_backend");
    }
    for u in &p.use_backends {
        check_one(&u.backend, Some(u.span), "use_backend");
    }
}

fn conditions(p: &Proxy) -> impl Iterator<Item = &Condition> {
    p.rules
        .conditions()
        .chain(p.use_backends.iter().filter_map(|u| u.cond.as_ref()))
        .chain(p.use_servers.iter().filter_map(|u| u.cond.as_ref()))
        .chain(p.stick_rules.iter().filter_map(|s| s.cond.as_ref()))
        .chain(p.stats.admin.iter())
        .chain(p.monitor_fail.iter())
}

fn acls_referenced(p: &Proxy, diags: &mut Diagnostics) {
    let names: Vec<&str> = p.acls.iter().map(|a| a.name.as_str()).collect();
    for c in conditions(p) {
        for t in c.any_of.iter().flatten() {
            let AclRef::Named(n) = &t.acl else { continue };
            if names.contains(&n.as_str()) || PREDEFINED_ACLS.contains(&n.as_str()) {
                continue;
            }
            let mut d = Diagnostic::error(
                codes::UNKNOWN_ACL,
                format!("no ACL named `{n}` in {} `{}`", p.kind.keyword(), p.name),
            )
            .at(t.span)
            .label("not defined");
            d = match did_you_mean(
                n,
                names.iter().copied().chain(PREDEFINED_ACLS.iter().copied()),
            ) {
                Some(s) => d.help(format!("did you mean `{s}`?")),
                None => d.help(format!(
                    "define it with `acl {n} <fetch> <pattern>` in this section"
                )),
            };
            diags.push(d);
        }
    }
}

/// Where an expression is evaluated: on the request before a backend is chosen (the
/// rules and routing of a frontend), or where the backend is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Request,
    Response,
    /// A log line, once the exchange is over.
    Log,
    Other,
}

/// Every sample expression of a proxy with where it is written and evaluated: its ACLs
/// (named ones where a request condition uses them), and the expressions in rule actions
/// (`set-var`, log-format values).
fn exprs(p: &Proxy) -> Vec<(&crate::sample::Expr, Span, Stage)> {
    use crate::actions::{HeaderAction, HttpReqAction, HttpRespAction, Payload, VarAction};
    let mut out = Vec::new();
    let request_conds: Vec<&Condition> = p
        .rules
        .http_request
        .iter()
        .filter_map(|r| r.cond.as_ref())
        .chain(p.rules.redirect.iter().filter_map(|r| r.cond.as_ref()))
        .chain(
            p.rules
                .tcp_request_connection
                .iter()
                .filter_map(|r| r.cond.as_ref()),
        )
        .chain(
            p.rules
                .tcp_request_session
                .iter()
                .filter_map(|r| r.cond.as_ref()),
        )
        .chain(
            p.rules
                .tcp_request_content
                .iter()
                .filter_map(|r| r.cond.as_ref()),
        )
        .chain(p.use_backends.iter().filter_map(|u| u.cond.as_ref()))
        .chain(p.use_servers.iter().filter_map(|u| u.cond.as_ref()))
        .chain(p.monitor_fail.iter())
        .collect();
    let in_request = |c: &Condition| request_conds.iter().any(|r| std::ptr::eq(*r, c));
    let mut request_names = Vec::new();
    for c in conditions(p) {
        let stage = if in_request(c) {
            Stage::Request
        } else {
            Stage::Other
        };
        for t in c.any_of.iter().flatten() {
            match &t.acl {
                AclRef::Anonymous(a) => out.push((&a.expr, a.span, stage)),
                AclRef::Named(n) if stage == Stage::Request => request_names.push(n.as_str()),
                AclRef::Named(_) => {}
            }
        }
    }
    for a in &p.acls {
        let stage = if request_names.contains(&a.name.as_str()) {
            Stage::Request
        } else {
            Stage::Other
        };
        out.push((&a.expr, a.span, stage));
    }
    fn fmt_exprs(f: &crate::actions::Fmt) -> Vec<&crate::sample::Expr> {
        f.samples().collect()
    }
    fn var_exprs(v: &VarAction) -> Vec<&crate::sample::Expr> {
        match v {
            VarAction::Set { expr, .. } => vec![expr],
            VarAction::SetFmt { fmt, .. } => fmt.samples().collect(),
            VarAction::Unset(_) => Vec::new(),
        }
    }
    if let Some(crate::logging::LogStyle::Custom(f)) = &p.log_style {
        let at = p.log_format_span.unwrap_or(p.span);
        out.extend(f.samples().map(|e| (e, at, Stage::Log)));
    }
    // A server's `sni` is evaluated on the request, when connecting.
    for s in &p.servers {
        if let Some(e) = &s.opts.sni {
            out.push((e, s.span, Stage::Request));
        }
    }
    for u in &p.use_backends {
        if let Some(f) = &u.dynamic {
            out.extend(f.samples().map(|e| (e, u.span, Stage::Request)));
        }
    }
    for u in &p.use_servers {
        if let Some(f) = &u.dynamic {
            out.extend(f.samples().map(|e| (e, u.span, Stage::Request)));
        }
    }
    for r in &p.rules.http_request {
        let found: Vec<&crate::sample::Expr> = match &r.action {
            HttpReqAction::Deny(x) | HttpReqAction::Tarpit(x) | HttpReqAction::Return(x) => x
                .headers
                .iter()
                .flat_map(|(_, f)| fmt_exprs(f))
                .chain(match &x.payload {
                    Payload::Text(t) => fmt_exprs(t),
                    _ => Vec::new(),
                })
                .collect(),
            HttpReqAction::Redirect(rd) => fmt_exprs(&rd.value),
            HttpReqAction::Header(HeaderAction::Set(_, f) | HeaderAction::Add(_, f))
            | HttpReqAction::SetPath(f)
            | HttpReqAction::SetPathQ(f)
            | HttpReqAction::SetUri(f)
            | HttpReqAction::SetQuery(f)
            | HttpReqAction::SetMethod(f) => fmt_exprs(f),
            HttpReqAction::Var(v) => var_exprs(v),
            HttpReqAction::Sc(sc) => sc_exprs(sc),
            _ => Vec::new(),
        };
        out.extend(found.into_iter().map(|e| (e, r.span, Stage::Request)));
    }
    fn sc_exprs(sc: &crate::actions::ScAction) -> Vec<&crate::sample::Expr> {
        match sc {
            crate::actions::ScAction::Track { key, .. } => vec![key],
            crate::actions::ScAction::SetGpt0 { value, .. } => vec![value],
            crate::actions::ScAction::IncGpc { .. } => Vec::new(),
        }
    }
    for r in p
        .rules
        .tcp_request_connection
        .iter()
        .chain(&p.rules.tcp_request_session)
        .chain(&p.rules.tcp_request_content)
    {
        if let crate::actions::TcpAction::Sc(sc) = &r.action {
            out.extend(
                sc_exprs(sc)
                    .into_iter()
                    .map(|e| (e, r.span, Stage::Request)),
            );
        }
    }
    for r in p
        .rules
        .http_response
        .iter()
        .chain(&p.rules.http_after_response)
    {
        let found: Vec<&crate::sample::Expr> = match &r.action {
            HttpRespAction::Header(HeaderAction::Set(_, f) | HeaderAction::Add(_, f)) => {
                fmt_exprs(f)
            }
            HttpRespAction::Var(v) => var_exprs(v),
            HttpRespAction::Sc(sc) => sc_exprs(sc),
            _ => Vec::new(),
        };
        out.extend(found.into_iter().map(|e| (e, r.span, Stage::Response)));
    }
    out
}

/// Whether a proxy's rules, ACLs or log-format values read the request's body (it is
/// then read ahead for them, as much as has arrived, as HAProxy's buffer holds it).
pub fn reads_body(p: &Proxy) -> bool {
    exprs(p).iter().any(|(e, _, _)| e.fetch.reads_body())
        || p.acls.iter().any(|a| a.expr.fetch.reads_body())
}

/// The keyword of a fetch that names a proxy or a server, for messages.
fn fetch_label(f: &crate::sample::Fetch) -> &'static str {
    use crate::sample::{BeLoad, Fetch};
    match f {
        Fetch::SrvConn { .. } => "srv_conn",
        Fetch::SrvIsUp { .. } => "srv_is_up",
        Fetch::SrvSessRate { .. } => "srv_sess_rate",
        Fetch::SrvQueue { .. } => "srv_queue",
        Fetch::BeSessRate(_) => "be_sess_rate",
        Fetch::FeRate { requests: true, .. } => "fe_req_rate",
        Fetch::FeRate { .. } => "fe_sess_rate",
        Fetch::BeLoad { what, .. } => match what {
            BeLoad::Queue => "queue",
            BeLoad::AvgQueue => "avg_queue",
            BeLoad::ConnSlots => "connslots",
            BeLoad::ConnFree => "be_conn_free",
        },
        _ => "the sample fetch",
    }
}

/// `nbsrv(BACKEND)` and `srv_is_up(BACKEND/SERVER)` must name what exists, as HAProxy
/// checks once it has read everything; and in a frontend's request rules, nothing can ask
/// for the backend, which is not chosen yet.
fn fetch_references(cfg: &Config, p: &Proxy, diags: &mut Diagnostics) {
    use crate::sample::Fetch;
    let frontend_only = p.kind == ProxyKind::Frontend;
    for (e, span, stage) in exprs(p) {
        let problem = match &e.fetch {
            Fetch::Nbsrv(Some(b)) if cfg.proxy(b, Cap::Backend).is_none() => {
                Some(format!("nbsrv: no backend named `{b}`"))
            }
            Fetch::BeConn(Some(b)) if cfg.proxy(b, Cap::Backend).is_none() => {
                Some(format!("be_conn: no backend named `{b}`"))
            }
            Fetch::FeConn(Some(f)) if cfg.proxy(f, Cap::Frontend).is_none() => {
                Some(format!("fe_conn: no frontend named `{f}`"))
            }
            Fetch::SrvConn { backend, server }
            | Fetch::SrvIsUp { backend, server }
            | Fetch::SrvSessRate { backend, server }
            | Fetch::SrvQueue { backend, server } => {
                let what = fetch_label(&e.fetch);
                let bname = backend.as_deref().unwrap_or(&p.name);
                match cfg.proxy(bname, Cap::Backend) {
                    None => Some(format!("{what}: no backend named `{bname}`")),
                    Some(b) if !b.servers.iter().any(|s| &s.name == server) => Some(format!(
                        "{what}: no server `{server}` in backend `{bname}`"
                    )),
                    Some(_) => None,
                }
            }
            Fetch::BeSessRate(Some(b)) | Fetch::BeLoad { backend: Some(b), .. }
                if cfg.proxy(b, Cap::Backend).is_none() =>
            {
                Some(format!("{}: no backend named `{b}`", fetch_label(&e.fetch)))
            }
            Fetch::FeRate { frontend: Some(f), .. } if cfg.proxy(f, Cap::Frontend).is_none() => {
                Some(format!("{}: no frontend named `{f}`", fetch_label(&e.fetch)))
            }
            Fetch::BeSessRate(None) | Fetch::BeLoad { backend: None, .. } if frontend_only => {
                Some(format!(
                    "{} without a backend name in a frontend, which has no servers",
                    fetch_label(&e.fetch)
                ))
            }
            Fetch::HttpAuth(ul) | Fetch::HttpAuthGroup { userlist: ul, .. }
                if !cfg.userlists.iter().any(|u| &u.name == ul) =>
            {
                Some(format!("no userlist named `{ul}`"))
            }
            f if f.is_response() && stage == Stage::Request => Some(
                "this sample fetch reads the response, which does not exist yet in request rules"
                    .to_string(),
            ),
            f if f.needs_request_headers() && stage == Stage::Log => Some(
                "this sample fetch needs the request's headers, which HAProxy does not keep until the log line (capture them with `capture request header` and use `capture.req.hdr(N)`)"
                    .to_string(),
            ),
            f if f.needs_response_headers() && stage == Stage::Log => Some(
                "this sample fetch needs the response's headers, which HAProxy does not keep until the log line (capture them with `capture response header` and use `capture.res.hdr(N)`)"
                    .to_string(),
            ),
            f if f.needs_request_headers() && stage == Stage::Response => Some(
                "this sample fetch needs the request's headers, which HAProxy does not keep for response rules (method, capture.req.* and variables are kept)"
                    .to_string(),
            ),
            Fetch::Nbsrv(None) if frontend_only => Some(
                "nbsrv without a backend name in a frontend: it has no servers of its own".to_string(),
            ),
            Fetch::BeName | Fetch::BeId | Fetch::Timeout { .. }
                if frontend_only && stage == Stage::Request =>
            {
                Some(
                    "this sample fetch needs the backend, which is not chosen yet in a frontend's request rules"
                        .to_string(),
                )
            }
            _ => None,
        };
        if let Some(msg) = problem {
            diags.push(Diagnostic::error(codes::UNKNOWN_REF, msg).at(span).help(
                "name a backend (and server) defined in this file, or move the rule to the backend",
            ));
        }
    }
}

/// The stick tables a proxy names (in `track-sc ... table T`, `sc_*(N,T)`, `src_*(T)`,
/// `table_*(T)`) must exist, and what names none needs a table of the proxy's own, as
/// HAProxy checks once it has read everything.
fn table_references(cfg: &Config, p: &Proxy, diags: &mut Diagnostics) {
    use crate::actions::{HttpReqAction, HttpRespAction, ScAction, TcpAction};
    use crate::sample::conv::Converter;
    use crate::sample::fetch::ScOf;
    use crate::sample::Fetch;
    if p.kind == ProxyKind::Defaults {
        return;
    }
    let tables: Vec<&str> = cfg
        .proxies
        .iter()
        .filter(|q| q.stick_table.is_some() && q.kind != ProxyKind::Defaults)
        .map(|q| q.name.as_str())
        .collect();
    let mut check = |named: Option<&str>, what: &str, span: Span| {
        let problem = match named {
            Some(t) if !tables.contains(&t) => {
                let mut d = Diagnostic::error(
                    codes::UNKNOWN_REF,
                    format!("{what}: no stick table named `{t}`"),
                )
                .at(span);
                d = match did_you_mean(t, tables.iter().copied()) {
                    Some(s) => d.help(format!("did you mean `{s}`?")),
                    None => d.help("a table is named after the proxy declaring its `stick-table`"),
                };
                Some(d)
            }
            None if p.stick_table.is_none() => Some(
                Diagnostic::error(
                    codes::UNKNOWN_REF,
                    format!(
                        "{what}: {} `{}` has no stick-table",
                        p.kind.keyword(),
                        p.name
                    ),
                )
                .at(span)
                .help("declare a `stick-table` here, or name another proxy's with `table NAME`"),
            ),
            _ => None,
        };
        if let Some(d) = problem {
            diags.push(d);
        }
    };
    for (e, span, _) in exprs(p) {
        match &e.fetch {
            Fetch::Sc {
                of: ScOf::Src,
                table,
                ..
            } => check(table.as_deref(), "src_* sample fetch", span),
            Fetch::Sc { table: Some(t), .. } => check(Some(t), "sc_* sample fetch", span),
            Fetch::TableCnt(t) | Fetch::TableAvl(t) => {
                check(t.as_deref(), "table_cnt/table_avl", span)
            }
            _ => {}
        }
        for c in &e.converters {
            if let Converter::Table { table, .. } = c {
                check(Some(table), "table converter", span);
            }
        }
    }
    let tracks = rule_actions(p).into_iter().filter_map(|(a, span)| match a {
        Act::Req(HttpReqAction::Sc(sc))
        | Act::Resp(HttpRespAction::Sc(sc))
        | Act::Tcp(TcpAction::Sc(sc)) => Some((sc, span)),
        _ => None,
    });
    for (sc, span) in tracks {
        if let ScAction::Track { table, slot, .. } = sc {
            check(table.as_deref(), &format!("track-sc{slot}"), span);
        }
    }
}

/// Every map converter of the configuration, with where it is written (the files are
/// read when the plan is built).
pub fn map_uses(cfg: &Config) -> Vec<(&crate::sample::conv::MapConv, Span)> {
    let mut out = Vec::new();
    for p in cfg.proxies.iter().filter(|p| p.kind != ProxyKind::Defaults) {
        for (e, span, _) in exprs(p) {
            for c in &e.converters {
                if let crate::sample::conv::Converter::Map(m) = c {
                    out.push((m, span));
                }
            }
        }
    }
    out
}

/// A rule's action, whatever its list.
enum Act<'a> {
    Req(&'a crate::actions::HttpReqAction),
    Resp(&'a crate::actions::HttpRespAction),
    Tcp(&'a crate::actions::TcpAction),
}

/// Every rule action of a proxy with its line: http-request, http-response,
/// http-after-response, tcp-request connection|session|content.
fn rule_actions(p: &Proxy) -> Vec<(Act<'_>, Span)> {
    let r = &p.rules;
    r.http_request
        .iter()
        .map(|x| (Act::Req(&x.action), x.span))
        .chain(
            r.http_response
                .iter()
                .chain(&r.http_after_response)
                .map(|x| (Act::Resp(&x.action), x.span)),
        )
        .chain(
            r.tcp_request_connection
                .iter()
                .chain(&r.tcp_request_session)
                .chain(&r.tcp_request_content)
                .map(|x| (Act::Tcp(&x.action), x.span)),
        )
        .collect()
}

/// `cache-use` and `cache-store` must name a `cache` section.
fn cache_references(cfg: &Config, p: &Proxy, diags: &mut Diagnostics) {
    use crate::actions::{HttpReqAction, HttpRespAction};
    let names: Vec<&str> = cfg.caches.iter().map(|c| c.name.as_str()).collect();
    let used = rule_actions(p).into_iter().filter_map(|(a, span)| match a {
        Act::Req(HttpReqAction::CacheUse(n)) | Act::Resp(HttpRespAction::CacheStore(n)) => {
            Some((n, span))
        }
        _ => None,
    });
    for (n, span) in used {
        if !names.contains(&n.as_str()) {
            let mut d =
                Diagnostic::error(codes::UNKNOWN_REF, format!("no cache section named `{n}`"))
                    .at(span);
            d = match did_you_mean(n, names.iter().copied()) {
                Some(s) => d.help(format!("did you mean `{s}`?")),
                None => d.help(format!("declare it: `cache {n}` with `total-max-size`")),
            };
            diags.push(d);
        }
    }
}

/// `set-timeout` changes a server-side timeout: a frontend has none (HAProxy refuses it).
fn backend_only_actions(p: &Proxy, diags: &mut Diagnostics) {
    use crate::actions::HttpReqAction;
    if p.kind != ProxyKind::Frontend {
        return;
    }
    for (a, span) in rule_actions(p) {
        if let Act::Req(HttpReqAction::SetTimeout { .. }) = a {
            diags.push(
                Diagnostic::error(
                    codes::WRONG_SECTION,
                    format!(
                        "`http-request set-timeout` in frontend `{}`, which has no servers",
                        p.name
                    ),
                )
                .at(span)
                .help("move the rule to the backend (or a listen section)"),
            );
        }
    }
}

/// Frontends and backends may not inherit one defaults section that has rules (its
/// rules would run on both sides), as HAProxy checks.
pub fn defaults_with_rules(cfg: &Config, defaults: &[(String, bool)], diags: &mut Diagnostics) {
    for (name, _) in defaults.iter().filter(|(_, has_rules)| *has_rules) {
        let users = cfg
            .proxies
            .iter()
            .filter(|p| p.defaults.as_deref() == Some(name.as_str()));
        let (mut fe, mut be) = (None, None);
        for p in users {
            match p.kind {
                ProxyKind::Frontend => fe = fe.or(Some(p)),
                ProxyKind::Backend => be = be.or(Some(p)),
                _ => {}
            }
        }
        if let (Some(_), Some(b)) = (fe, be) {
            diags.push(
                Diagnostic::error(
                    codes::WRONG_SECTION,
                    format!("frontends and backends both use defaults `{name}`, which has rules"),
                )
                .at(b.span)
                .help("give the backends (or the frontends) a defaults section of their own"),
            );
        }
    }
}

fn timeouts(p: &Proxy, diags: &mut Diagnostics) {
    if p.kind == ProxyKind::Defaults || p.disabled {
        return;
    }
    let t = &p.timeouts;
    let mut missing = Vec::new();
    if p.kind.has(Cap::Frontend) && t.client.is_none() {
        missing.push("client");
    }
    if p.kind.has(Cap::Backend) && t.connect.is_none() {
        missing.push("connect");
    }
    if p.kind.has(Cap::Backend) && t.server.is_none() {
        missing.push("server");
    }
    if !missing.is_empty() {
        diags.push(
            Diagnostic::warning(
                codes::MISSING_TIMEOUT,
                format!(
                    "{} `{}` has no timeout {}",
                    p.kind.keyword(),
                    p.name,
                    missing.join(", no timeout ")
                ),
            )
            .at(p.span)
            .label("idle connections would never be closed")
            .help(format!(
                "set them here or in `defaults`, e.g. {}",
                missing
                    .iter()
                    .map(|m| format!(
                        "`timeout {m} {}`",
                        if *m == "connect" { "5s" } else { "30s" }
                    ))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        );
    }
}

/// Directives HAProxy ignores (with a warning) outside `mode http`.
fn http_only(p: &Proxy, diags: &mut Diagnostics) {
    if p.kind == ProxyKind::Defaults {
        return;
    }
    if p.mode == Mode::Http {
        // proxyd reads HTTP responses as messages, never as the raw bytes these rules
        // inspect: refused rather than accepted and skipped.
        if let Some(r) = p.rules.tcp_response_content.first() {
            diags.push(
                Diagnostic::error(
                    codes::REFUSED,
                    format!(
                        "`tcp-response content` rules in http {} `{}` are not run by proxyd yet",
                        p.kind.keyword(),
                        p.name
                    ),
                )
                .at(r.span)
                .help("use `http-response` rules (they see the status and headers), or `mode tcp`"),
            );
        }
        return;
    }
    if p.stats.enabled {
        diags.push(
            Diagnostic::warning(
                codes::STATS_TCP,
                format!(
                    "stats page of {} `{}` ignored: it needs `mode http`",
                    p.kind.keyword(),
                    p.name
                ),
            )
            .at_opt(p.stats.span.or(Some(p.span)))
            .label("this proxy is in tcp mode")
            .help("add `mode http` to this section"),
        );
    }
    if let Some(span) = p.rules.first_http() {
        diags.push(
            Diagnostic::warning(
                codes::STATS_TCP,
                format!(
                    "http rules of {} `{}` ignored: they need `mode http`",
                    p.kind.keyword(),
                    p.name
                ),
            )
            .at(span)
            .label("this proxy is in tcp mode")
            .help("add `mode http`, or use `tcp-request content` rules"),
        );
    }
}

fn references(cfg: &Config, p: &Proxy, diags: &mut Diagnostics) {
    if let Some(t) = &p.stick_table {
        if let Some(name) = &t.peers {
            if !cfg.peers.iter().any(|x| &x.name == name) {
                let mut d = Diagnostic::error(
                    codes::UNKNOWN_REF,
                    format!("`stick-table ... peers {name}` names no peers section"),
                )
                .at(t.peers_span);
                d = match did_you_mean(name, cfg.peers.iter().map(|x| x.name.as_str())) {
                    Some(s) => d.help(format!("did you mean `{s}`?")),
                    None => d.help(format!(
                        "define `peers {name}` with a `peer` line per process"
                    )),
                };
                diags.push(d);
            }
        }
    }
    if let Some(m) = &p.email_alert.mailers {
        if !cfg.mailers.iter().any(|x| &x.name == m) {
            diags.push(
                Diagnostic::error(
                    codes::UNKNOWN_REF,
                    format!("`email-alert mailers {m}` names no mailers section"),
                )
                .at(p.span)
                .help(format!("define `mailers {m}` with a `mailer` line")),
            );
        }
    }
    for (g, span) in &p.errorfiles_groups {
        if !cfg.http_errors.iter().any(|x| &x.name == g) {
            diags.push(
                Diagnostic::error(
                    codes::UNKNOWN_REF,
                    format!("`errorfiles {g}` names no http-errors section"),
                )
                .at(*span)
                .help(format!("define `http-errors {g}`")),
            );
        }
    }
    for s in &p.servers {
        if let Some(r) = &s.opts.resolvers {
            if !cfg.resolvers.iter().any(|x| &x.name == r) {
                diags.push(
                    Diagnostic::error(
                        codes::UNKNOWN_REF,
                        format!(
                            "server `{}` uses resolvers `{r}`, which is not defined",
                            s.name
                        ),
                    )
                    .at(s.span)
                    .help(format!("define `resolvers {r}` with a `nameserver` line")),
                );
            }
        }
    }
    for r in &p.stick_rules {
        if let Some(t) = &r.table {
            if !cfg
                .proxies
                .iter()
                .any(|x| &x.name == t && x.stick_table.is_some())
            {
                diags.push(
                    Diagnostic::error(
                        codes::UNKNOWN_REF,
                        format!("stick table `{t}` is not defined"),
                    )
                    .at(p.span)
                    .help("declare `stick-table` in the proxy named after `table`"),
                );
            }
        }
    }
}

/// The ALPN protocols proxyd can speak behind a TLS connection to a server: HTTP/1.x
/// and HTTP/2 when it speaks HTTP on it, anything when it only relays bytes.
pub fn alpn_spoken(http: bool, protocol: &str) -> bool {
    !http || matches!(protocol, "http/1.1" | "http/1.0" | "h2")
}

/// The ALPN protocols proxyd's checks can speak: HTTP/1.x when they speak HTTP.
pub fn alpn_checked(http: bool, protocol: &str) -> bool {
    !http || protocol == "http/1.1" || protocol == "http/1.0"
}

/// Whether a backend's checks speak HTTP (`option httpchk`).
pub fn http_checks(p: &Proxy) -> bool {
    p.option("httpchk") || p.httpchk.is_some()
}

/// A server's TLS: HAProxy refuses verification without a CA file, and a set of
/// protocol versions that leaves none; it warns about versions it ignores. ALPN
/// protocols proxyd cannot speak are left out, with a warning.
fn server_tls(cfg: &Config, p: &Proxy, s: &Server, connect_ssl: bool, diags: &mut Diagnostics) {
    let o = &s.opts;
    if !(o.ssl || o.check_ssl == Some(true) || connect_ssl) {
        return;
    }
    let who = format!("server `{}/{}`", p.name, s.name);
    if o.verify_required(&cfg.global) && o.ca_file.is_none() {
        let what = if o.verify.is_some() {
            format!("{who} has `verify required` but names no CA file to verify the server's certificate with")
        } else {
            format!("{who} speaks TLS and verifies the server's certificate by default (`verify required`), but names no CA file")
        };
        diags.push(
            Diagnostic::error(codes::BAD_VALUE, what)
                .at(s.span)
                .label("no `ca-file`")
                .help("add `ca-file /etc/ssl/certs/ca-certificates.crt` (or `ca-file @system-ca`), or `verify none` if you trust the network to the server (HAProxy refuses this line too)"),
        );
    }
    let versions = o.tls_versions.over(&cfg.global.ssl_default_server_versions);
    match versions.range() {
        Err(e) => diags.push(
            Diagnostic::error(codes::BAD_VALUE, format!("{who}: {e}"))
                .at(s.span)
                .help("use `ssl-min-ver` and `ssl-max-ver` only, e.g. `ssl-min-ver TLSv1.2`"),
        ),
        Ok((_, _, notes)) => {
            for n in notes {
                let msg = match n {
                    crate::srv_tls::VersionNote::NoOptionsIgnored => format!(
                        "{who}: `no-sslv3`/`no-tlsv1x` are ignored because `ssl-min-ver`/`ssl-max-ver` are set (as HAProxy does)"
                    ),
                    crate::srv_tls::VersionNote::Hole(vs) => format!(
                        "{who}: the TLS versions are not contiguous ({} taken out between versions that stay): the whole range is used, as HAProxy does",
                        vs.iter().map(|v| v.name()).collect::<Vec<_>>().join(", ")
                    ),
                };
                diags.push(
                    Diagnostic::warning(codes::BAD_VALUE, msg)
                        .at(s.span)
                        .help("use `ssl-min-ver` and `ssl-max-ver` only"),
                );
            }
            if let Err(e) = versions.spoken_range() {
                diags.push(
                    Diagnostic::error(codes::REFUSED, format!("{who}: {e}"))
                        .at(s.span)
                        .label("not supported by proxyd")
                        .help("allow TLSv1.2 or TLSv1.3 (servers limited to older versions cannot be reached by proxyd)"),
                );
            }
        }
    }
    let traffic = p.mode == Mode::Http;
    let checks = http_checks(p);
    type Spoken<'a> = &'a dyn Fn(&str) -> bool;
    let lists: [(_, _, _, Spoken); 2] = [
        ("alpn", o.ssl, o.alpn.as_ref(), &|x| alpn_spoken(traffic, x)),
        ("check-alpn", o.check_tls(), o.check_alpn.as_ref(), &|x| {
            alpn_checked(checks, x)
        }),
    ];
    for (name, used, list, spoken) in lists {
        let Some(list) = list.filter(|_| used) else {
            continue;
        };
        let left: Vec<&str> = list
            .iter()
            .filter(|x| !spoken(x))
            .map(String::as_str)
            .collect();
        if left.is_empty() {
            continue;
        }
        let offered: Vec<&str> = list
            .iter()
            .filter(|x| spoken(x))
            .map(String::as_str)
            .collect();
        diags.push(
            Diagnostic::warning(
                codes::NOT_IMPLEMENTED,
                format!(
                    "{who}: `{name}` {} not offered: proxyd speaks HTTP/1.1 and HTTP/2 to servers, HTTP/1.1 in checks",
                    left.join(",")
                ),
            )
            .at(s.span)
            .label("not offered")
            .help(if offered.is_empty() {
                "no ALPN is offered to this server, which then speaks HTTP/1.1"
                    .to_string()
            } else {
                format!(
                    "proxyd offers {} only",
                    offered.join(",")
                )
            }),
        );
    }
}

fn servers(cfg: &Config, p: &Proxy, diags: &mut Diagnostics) {
    // `tcp-check connect ssl` / `http-check connect ssl`: every server is checked over
    // TLS, with its verification (HAProxy then asks for a CA file as for `check-ssl`).
    let connect_ssl = p
        .tcp_checks
        .iter()
        .chain(p.http_checks.iter())
        .any(|c| matches!(c, CheckStep::Connect(c) if c.ssl));
    for s in &p.servers {
        let o = &s.opts;
        let unix = s.addr.kind == crate::values::AddrKind::Unix;
        if o.check
            && s.addr.port.is_none()
            && s.addr.port_offset.is_none()
            && o.check_port.is_none()
            && !unix
        {
            diags.push(
                Diagnostic::error(
                    codes::BAD_PORT,
                    format!("server `{}/{}` has no port to check", p.name, s.name),
                )
                .at(s.addr_span)
                .label("no port, and `check` is on")
                .help(format!(
                    "write `{}:PORT`, or add `port N` for the check",
                    s.addr.host
                )),
            );
        }
        server_tls(cfg, p, s, connect_ssl, diags);
        if let Some(target) = &o.track {
            let target = target.clone();
            let (be, srv) = match target.split_once('/') {
                Some((b, s)) => (b.to_string(), s.to_string()),
                None => (p.name.clone(), target.clone()),
            };
            let found = cfg
                .proxy(&be, Cap::Backend)
                .is_some_and(|b| b.servers.iter().any(|x| x.name == srv));
            if !found {
                diags.push(
                    Diagnostic::error(
                        codes::UNKNOWN_REF,
                        format!(
                            "server `{}/{}` tracks `{target}`, which does not exist",
                            p.name, s.name
                        ),
                    )
                    .at(s.span)
                    .help("write `track BACKEND/SERVER` naming a server with `check`"),
                );
            }
        }
    }
    for r in &p.stick_rules {
        if r.table.is_none() && p.stick_table.is_none() {
            diags.push(
                Diagnostic::error(codes::UNKNOWN_REF, format!("`{}` in `{}` has no stick-table to use", r.kind.keyword(), p.name))
                    .at(p.span)
                    .help("declare `stick-table type ip size 100k expire 30m` in this section, or add `table NAME`"),
            );
        }
    }
}

fn logging(p: &Proxy, diags: &mut Diagnostics) {
    if p.kind == ProxyKind::Defaults || !p.kind.has(Cap::Frontend) {
        return;
    }
    if p.mode == Mode::Tcp && p.option("httplog") {
        diags.push(
            Diagnostic::warning(
                codes::STATS_TCP,
                format!(
                    "`option httplog` needs `mode http`; {} `{}` logs as with `option tcplog`",
                    p.kind.keyword(),
                    p.name
                ),
            )
            .at(p.span)
            .help("add `mode http`, or write `option tcplog`"),
        );
    }
    if (p.option("httplog") || p.option("tcplog") || p.log_format.is_some()) && p.log.is_empty() {
        diags.push(
            Diagnostic::warning(
                codes::MISSING_ARG,
                format!(
                    "{} `{}` sets a log format but has no log target",
                    p.kind.keyword(),
                    p.name
                ),
            )
            .at(p.span)
            .label("nothing will be logged")
            .help("add `log global` (and a `log` line in global), or `log 127.0.0.1:514 local0`"),
        );
    }
}
