//! Applying the typed rule actions to a request or a response.

use super::super::acls::AclSet;
use super::super::errorfiles::ErrorPages;
use super::super::inspect::Ctx;
use super::super::rules::{HttpRules, RespRules};
use super::super::Conn;
use super::reply::{self, Denied};
use super::sample::{ReqSample, RespView, TxnInfo};
use super::Body;
use haproxy_conf::actions::{Fmt, HeaderAction, HttpReqAction, HttpRespAction, NameMatch, Reply};
use haproxy_conf::sample::Regex;
use http::header::{HeaderName, HeaderValue};
use http::{HeaderMap, Response, StatusCode};
use proxy_core::sample::vars::Scopes;

/// What the request rules decided.
pub enum Decision {
    /// Go on to the next stage.
    Continue,
    /// Answer this.
    Respond(Response<Body>),
    /// `tarpit`: hold the request, then answer this.
    Tarpit(Response<Body>),
    /// `reject`: close the connection without a word.
    Reject,
}

fn set_or_add(h: &mut HeaderMap, name: Option<&HeaderName>, value: &[u8], replace: bool) {
    if let (Some(n), Ok(v)) = (name.cloned(), HeaderValue::from_bytes(value)) {
        if replace {
            h.insert(n, v);
        } else {
            h.append(n, v);
        }
    }
}

fn delete(h: &mut HeaderMap, m: &NameMatch, name: Option<&HeaderName>) {
    if let NameMatch::Str(_) = m {
        if let Some(n) = name {
            h.remove(n);
        }
        return;
    }
    let names: Vec<http::HeaderName> = h
        .keys()
        .filter(|k| m.matches(k.as_str()))
        .cloned()
        .collect();
    for n in names {
        h.remove(n);
    }
}

/// `replace-header` (each whole value) / `replace-value` (each comma-separated value).
fn replace(
    h: &mut HeaderMap,
    name: Option<&HeaderName>,
    regex: &Regex,
    with: &str,
    per_value: bool,
) {
    let Some(n) = name.cloned() else {
        return;
    };
    let old: Vec<String> = h
        .get_all(&n)
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_string))
        .collect();
    if old.is_empty() {
        return;
    }
    h.remove(&n);
    for v in old {
        let new = if per_value {
            v.split(',')
                .map(|x| regex.0.replace(x.trim(), with).into_owned())
                .collect::<Vec<_>>()
                .join(", ")
        } else {
            regex.0.replace(&v, with).into_owned()
        };
        if let Ok(v) = HeaderValue::from_str(&new) {
            h.append(n.clone(), v);
        }
    }
}

/// A header action (`name`: its header, parsed once) with its value already written
/// for this request.
fn apply_headers(
    h: &mut HeaderMap,
    a: &HeaderAction,
    name: Option<&HeaderName>,
    value: Option<&[u8]>,
) {
    match a {
        HeaderAction::Set(..) => set_or_add(h, name, value.unwrap_or_default(), true),
        HeaderAction::Add(..) => set_or_add(h, name, value.unwrap_or_default(), false),
        HeaderAction::Del(m) => delete(h, m, name),
        HeaderAction::Replace { regex, with, .. } => replace(h, name, regex, with, false),
        HeaderAction::ReplaceValue { regex, with, .. } => replace(h, name, regex, with, true),
    }
}

/// The log-format value a header action writes, if it has one.
fn header_fmt(a: &HeaderAction) -> Option<&Fmt> {
    match a {
        HeaderAction::Set(_, v) | HeaderAction::Add(_, v) => Some(v),
        _ => None,
    }
}

/// `set-var`, `set-var-fmt`, `unset-var`.
fn render(fmt: &Fmt, s: &ReqSample<'_>) -> Vec<u8> {
    proxy_core::sample::fmt::render(fmt, s, s)
}

fn set_uri(parts: &mut http::request::Parts, pq: &str) {
    if let Ok(u) = pq.parse() {
        parts.uri = u;
    }
}

/// The answer of a `deny`: the error page of its status (an `errorfile` if there is
/// one) unless the rule gives a payload, a content type or headers of its own.
fn denied(r: &Reply, pages: &[&ErrorPages], s: &ReqSample<'_>) -> Response<Body> {
    let mut resp = if r.payload == haproxy_conf::actions::Payload::None
        && r.content_type.is_none()
        && r.headers.is_empty()
    {
        reply::substitute(reply::own_page(r.status), pages)
    } else {
        reply::reply(r, pages, &|f| render(f, s))
    };
    resp.extensions_mut().insert(Denied);
    resp
}

/// Where the request rules run: what the sample of the request needs besides the request.
pub struct Env<'a> {
    pub conn: &'a Conn,
    pub ctx: Ctx<'a>,
    pub vars: Scopes<'a>,
    pub txn: &'a TxnInfo,
}

impl<'a> Env<'a> {
    pub fn sample<'s>(&'s self, parts: &'s http::request::Parts) -> ReqSample<'s> {
        ReqSample::of(parts, self.conn, self.ctx).with(self.vars, self.txn)
    }
}

/// Run a proxy's `http-request` rules (then its `redirect` rules) in order: each condition
/// sees what the rules before it changed (headers, path, variables), as in HAProxy; a
/// final action (allow, deny, tarpit, return, redirect, reject) ends the list. `pages`
/// are the rule's proxy's error pages then the frontend's.
pub fn run_request(
    rules: &HttpRules,
    acls: &AclSet,
    parts: &mut http::request::Parts,
    env: &Env<'_>,
    pages: &[&ErrorPages],
) -> Decision {
    for rule in &rules.request {
        let (a, cond) = (&rule.action, &rule.cond);
        // What the action needs from the request, taken before the request changes.
        let (holds, value) = {
            let s = env.sample(parts);
            if !acls.holds(cond, &s) {
                (false, None)
            } else {
                match a {
                    HttpReqAction::Allow => return Decision::Continue,
                    HttpReqAction::Deny(r) => return Decision::Respond(denied(r, pages, &s)),
                    HttpReqAction::Tarpit(r) => {
                        let mut resp = if r.payload == haproxy_conf::actions::Payload::None
                            && r.content_type.is_none()
                            && r.headers.is_empty()
                        {
                            reply::substitute(reply::own_page(r.status), pages)
                        } else {
                            reply::reply(r, pages, &|f| render(f, &s))
                        };
                        // Tarpitted requests are denied ones (counters, stick counters).
                        resp.extensions_mut().insert(Denied);
                        return Decision::Tarpit(resp);
                    }
                    HttpReqAction::Return(r) => {
                        return Decision::Respond(reply::reply(r, pages, &|f| render(f, &s)))
                    }
                    HttpReqAction::Redirect(rd) => {
                        return Decision::Respond(reply::redirect(rd, parts, &|f| render(f, &s)))
                    }
                    HttpReqAction::Reject => return Decision::Reject,
                    HttpReqAction::CacheUse(name) => match env.ctx.fe.caches.serve(name, parts) {
                        Some(r) => return Decision::Respond(r),
                        None => (false, None),
                    },
                    HttpReqAction::PrometheusExporter => {
                        return Decision::Respond(reply::metrics());
                    }
                    HttpReqAction::Auth { realm } => {
                        let realm = realm.clone().unwrap_or_else(|| {
                            env.ctx
                                .be
                                .map(|b| b.name.clone())
                                .unwrap_or_else(|| env.ctx.fe.name.clone())
                        });
                        return Decision::Respond(reply::ask_credentials(&realm, pages));
                    }
                    HttpReqAction::Var(v) => {
                        super::super::rules::apply_var(v, &s);
                        (false, None)
                    }
                    HttpReqAction::Sc(sc) => {
                        apply_sc(sc, &s);
                        (false, None)
                    }
                    HttpReqAction::SetTimeout { tunnel, value } => {
                        set_timeout(*tunnel, value, env.txn, &s);
                        (false, None)
                    }
                    HttpReqAction::Header(h) => (true, header_fmt(h).map(|f| render(f, &s))),
                    HttpReqAction::SetPath(f)
                    | HttpReqAction::SetPathQ(f)
                    | HttpReqAction::SetUri(f)
                    | HttpReqAction::SetQuery(f)
                    | HttpReqAction::SetMethod(f) => (true, Some(render(f, &s))),
                    _ => (true, None),
                }
            }
        };
        if holds {
            edit_request(a, parts, rule.header.as_ref(), value.as_deref());
        }
    }
    Decision::Continue
}

/// `set-timeout`: an expression's value is milliseconds; one without an integer value,
/// or zero, leaves the timeout as it was (HAProxy reports a negative one as set, and
/// it cannot time anything out here either).
fn set_timeout(
    tunnel: bool,
    value: &haproxy_conf::actions::TimeoutValue,
    txn: &super::sample::TxnInfo,
    s: &ReqSample<'_>,
) {
    use haproxy_conf::actions::TimeoutValue;
    let ms = match value {
        TimeoutValue::Ms(ms) => i64::try_from(*ms).ok(),
        TimeoutValue::Expr(e) => match proxy_core::sample::value(e, s)
            .and_then(|v| v.cast(proxy_core::sample::Kind::Int))
        {
            Some(proxy_core::acl::Value::Int(n)) => Some(n),
            _ => None,
        },
    };
    let Some(ms) = ms.filter(|m| *m != 0) else {
        return;
    };
    let cell = if tunnel {
        &txn.tunnel_timeout
    } else {
        &txn.server_timeout
    };
    cell.store(ms, std::sync::atomic::Ordering::Relaxed);
}

/// A stick counter action of an HTTP rule: tracking goes into the request's counters,
/// and a request tracked here is counted as HAProxy counts it (the request began before
/// the counter tracked it).
fn apply_sc(sc: &haproxy_conf::actions::ScAction, s: &ReqSample<'_>) {
    let Some(into) = s.ctx.sc.txn else {
        return;
    };
    let refs = super::super::stick::ScRefs {
        sess: Some(&s.conn.sc),
        txn: Some(into),
    };
    let tracked =
        super::super::stick::act(sc, into, refs, &s.ctx.fe.tables, s.ctx.own_table(), &|e| {
            proxy_core::sample::value(e, s)
        });
    if let Some(slot) = tracked {
        into.count_slot(slot, proxy_core::stick::Count::HttpReq);
    }
}

/// The request edits, with their log-format value written already.
fn edit_request(
    a: &HttpReqAction,
    parts: &mut http::request::Parts,
    name: Option<&HeaderName>,
    value: Option<&[u8]>,
) {
    let text = || String::from_utf8_lossy(value.unwrap_or_default()).into_owned();
    match a {
        HttpReqAction::Header(h) => apply_headers(&mut parts.headers, h, name, value),
        HttpReqAction::SetPath(_) => {
            let q = parts
                .uri
                .query()
                .map(|q| format!("?{q}"))
                .unwrap_or_default();
            set_uri(parts, &format!("{}{q}", text()));
        }
        HttpReqAction::SetPathQ(_) | HttpReqAction::SetUri(_) => set_uri(parts, &text()),
        HttpReqAction::SetQuery(_) => {
            let path = parts.uri.path().to_string();
            let q = text();
            if q.is_empty() {
                set_uri(parts, &path);
            } else {
                set_uri(parts, &format!("{path}?{q}"));
            }
        }
        HttpReqAction::SetMethod(_) => {
            if let Ok(m) = http::Method::from_bytes(text().as_bytes()) {
                parts.method = m;
            }
        }
        HttpReqAction::ReplacePath { regex, with } => {
            let path = parts.uri.path().to_string();
            let q = parts
                .uri
                .query()
                .map(|q| format!("?{q}"))
                .unwrap_or_default();
            let new = regex.0.replace(&path, with.as_str()).into_owned();
            set_uri(parts, &format!("{new}{q}"));
        }
        HttpReqAction::ReplacePathQ { regex, with } => {
            let pq = parts
                .uri
                .path_and_query()
                .map(|p| p.as_str().to_string())
                .unwrap_or_default();
            let new = regex.0.replace(&pq, with.as_str()).into_owned();
            set_uri(parts, &new);
        }
        HttpReqAction::ReplaceUri { regex, with } => {
            let uri = super::sample::target(parts);
            let new = regex.0.replace(&uri, with.as_str()).into_owned();
            set_uri(parts, &new);
        }
        _ => {}
    }
}

/// What the response rules change.
pub struct RespEdit<'r> {
    pub status: &'r mut StatusCode,
    pub reason: &'r mut Option<String>,
    pub headers: &'r mut HeaderMap,
    pub version: http::Version,
    /// `cache-store NAME`: the cache to keep the response in.
    pub store: &'r mut Option<String>,
}

/// Run `http-response` rules in order (the backend's, then the frontend's), each
/// condition seeing the response as the rules before it left it; `deny` replaces the
/// response (502 by default).
pub fn run_response(
    lists: &[(&RespRules, &AclSet)],
    base: &ReqSample<'_>,
    resp: RespEdit<'_>,
    pages: &[&ErrorPages],
) -> Option<Response<Body>> {
    for (rules, acls) in lists {
        for rule in rules.iter() {
            let (a, cond) = (&rule.action, &rule.cond);
            let value = {
                let mut s = *base;
                s.resp = Some(RespView {
                    status: resp.status.as_u16(),
                    headers: resp.headers,
                    version: resp.version,
                });
                if !acls.holds(cond, &s) {
                    continue;
                }
                match a {
                    HttpRespAction::Allow => return None,
                    HttpRespAction::Deny(r) => return Some(denied(r, pages, &s)),
                    HttpRespAction::Var(v) => {
                        super::super::rules::apply_var(v, &s);
                        continue;
                    }
                    HttpRespAction::Sc(sc) => {
                        apply_sc(sc, &s);
                        continue;
                    }
                    HttpRespAction::CacheStore(name) => {
                        *resp.store = Some(name.clone());
                        continue;
                    }
                    HttpRespAction::Header(h) => header_fmt(h).map(|f| render(f, &s)),
                    HttpRespAction::SetStatus { .. } => None,
                }
            };
            match a {
                HttpRespAction::Header(h) => {
                    apply_headers(resp.headers, h, rule.header.as_ref(), value.as_deref())
                }
                HttpRespAction::SetStatus {
                    status: st,
                    reason: r,
                } => {
                    if let Ok(code) = StatusCode::from_u16(*st) {
                        *resp.status = code;
                        *resp.reason = r.clone();
                    }
                }
                _ => {}
            }
        }
    }
    None
}
