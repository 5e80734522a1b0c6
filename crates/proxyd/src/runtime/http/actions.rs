//! Applying the typed rule actions to a request or a response.

use super::super::errorfiles::ErrorPages;
use super::reply::{self, header, Denied};
use super::Body;
use haproxy_conf::actions::{HeaderAction, HttpReqAction, HttpRespAction, NameMatch};
use haproxy_conf::sample::Regex;
use http::header::HeaderValue;
use http::{HeaderMap, Response, StatusCode};

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

fn set_or_add(h: &mut HeaderMap, name: &str, value: &str, replace: bool) {
    if let (Some(n), Ok(v)) = (header(name), HeaderValue::from_str(value)) {
        if replace {
            h.insert(n, v);
        } else {
            h.append(n, v);
        }
    }
}

fn delete(h: &mut HeaderMap, m: &NameMatch) {
    if let NameMatch::Str(n) = m {
        if let Some(n) = header(n) {
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
fn replace(h: &mut HeaderMap, name: &str, regex: &Regex, with: &str, per_value: bool) {
    let Some(n) = header(name) else {
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

pub fn apply_headers(h: &mut HeaderMap, a: &HeaderAction) {
    match a {
        HeaderAction::Set(n, v) => set_or_add(h, n, &v.0, true),
        HeaderAction::Add(n, v) => set_or_add(h, n, &v.0, false),
        HeaderAction::Del(m) => delete(h, m),
        HeaderAction::Replace { name, regex, with } => replace(h, name, regex, with, false),
        HeaderAction::ReplaceValue { name, regex, with } => replace(h, name, regex, with, true),
    }
}

fn set_uri(parts: &mut http::request::Parts, pq: &str) {
    if let Ok(u) = pq.parse() {
        parts.uri = u;
    }
}

/// Apply request actions in order; a final one decides. `pages` are the rule's proxy's
/// error pages then the frontend's.
/// The answer of a `deny`: the error page of its status (an `errorfile` if there is
/// one) unless the rule gives a payload, a content type or headers of its own.
fn denied(r: &haproxy_conf::actions::Reply, pages: &[&ErrorPages]) -> Response<Body> {
    let mut resp = if r.payload == haproxy_conf::actions::Payload::None
        && r.content_type.is_none()
        && r.headers.is_empty()
    {
        reply::substitute(reply::own_page(r.status), pages)
    } else {
        reply::reply(r, pages)
    };
    resp.extensions_mut().insert(Denied);
    resp
}

pub fn apply_request(
    actions: &[&HttpReqAction],
    parts: &mut http::request::Parts,
    pages: &[&ErrorPages],
) -> Decision {
    for a in actions {
        match a {
            HttpReqAction::Allow => return Decision::Continue,
            HttpReqAction::Deny(r) => return Decision::Respond(denied(r, pages)),
            HttpReqAction::Tarpit(r) => {
                let resp = if r.payload == haproxy_conf::actions::Payload::None
                    && r.content_type.is_none()
                    && r.headers.is_empty()
                {
                    reply::substitute(reply::own_page(r.status), pages)
                } else {
                    reply::reply(r, pages)
                };
                return Decision::Tarpit(resp);
            }
            HttpReqAction::Return(r) => return Decision::Respond(reply::reply(r, pages)),
            HttpReqAction::Redirect(rd) => return Decision::Respond(reply::redirect(rd, parts)),
            HttpReqAction::Reject => return Decision::Reject,
            HttpReqAction::Header(h) => apply_headers(&mut parts.headers, h),
            HttpReqAction::SetPath(p) => {
                let q = parts
                    .uri
                    .query()
                    .map(|q| format!("?{q}"))
                    .unwrap_or_default();
                set_uri(parts, &format!("{}{q}", p.0));
            }
            HttpReqAction::SetPathQ(pq) | HttpReqAction::SetUri(pq) => set_uri(parts, &pq.0),
            HttpReqAction::SetQuery(q) => {
                let path = parts.uri.path().to_string();
                if q.0.is_empty() {
                    set_uri(parts, &path);
                } else {
                    set_uri(parts, &format!("{path}?{}", q.0));
                }
            }
            HttpReqAction::SetMethod(m) => {
                if let Ok(m) = http::Method::from_bytes(m.0.as_bytes()) {
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
        }
    }
    Decision::Continue
}

/// Apply response actions in order; `deny` replaces the response (502 by default).
pub fn apply_response(
    actions: &[&HttpRespAction],
    status: &mut StatusCode,
    reason: &mut Option<String>,
    headers: &mut HeaderMap,
    pages: &[&ErrorPages],
) -> Option<Response<Body>> {
    for a in actions {
        match a {
            HttpRespAction::Allow => return None,
            HttpRespAction::Deny(r) => return Some(denied(r, pages)),
            HttpRespAction::Header(h) => apply_headers(headers, h),
            HttpRespAction::SetStatus {
                status: s,
                reason: r,
            } => {
                if let Ok(st) = StatusCode::from_u16(*s) {
                    *status = st;
                    *reason = r.clone();
                }
            }
        }
    }
    None
}
