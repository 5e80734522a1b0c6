//! The pages that answer instead of proxyd's own errors (`errorfile`, `errorloc`,
//! `http-error`, `errorfiles NAME` from an http-errors section), and the files replies
//! name (`return file ...`, `deny errorfile ...`), all read when the plan is built.

use super::PlanError;
use haproxy_conf::actions::{HttpReqAction, HttpRespAction, Payload, Reply};
use haproxy_conf::model::{Config, ErrorPage, Proxy};
use std::collections::BTreeMap;

/// One replacement page.
#[derive(Debug, Clone)]
pub enum Page {
    /// A whole raw HTTP response (`errorfile`).
    Raw(bytes::Bytes),
    /// `errorloc`: a redirection.
    Location { code: u16, url: String },
    /// `http-error`.
    Reply(Reply),
}

#[derive(Debug, Default)]
pub struct ErrorPages {
    pages: BTreeMap<u16, Page>,
    /// Files read for replies, by the path written.
    files: BTreeMap<String, bytes::Bytes>,
    /// http-errors sections the proxy or its replies name.
    groups: BTreeMap<String, BTreeMap<u16, bytes::Bytes>>,
    /// `lf-file` bodies, parsed, by the path written.
    lf_files: BTreeMap<String, haproxy_conf::sample::fmt::Fmt>,
}

fn read(path: &str, what: &str, span: conf_diag::Span) -> Result<bytes::Bytes, PlanError> {
    std::fs::read(path)
        .map(bytes::Bytes::from)
        .map_err(|e| PlanError {
            span: Some(span),
            message: format!("{what} `{path}`: {e}"),
        })
}

impl ErrorPages {
    pub fn new(p: &Proxy, cfg: &Config) -> Result<ErrorPages, PlanError> {
        let mut out = ErrorPages::default();
        let mut replies: Vec<(&Reply, conf_diag::Span)> = Vec::new();
        for r in &p.rules.http_request {
            if let HttpReqAction::Deny(x) | HttpReqAction::Tarpit(x) | HttpReqAction::Return(x) =
                &r.action
            {
                replies.push((x, r.span));
            }
        }
        for r in &p.rules.http_response {
            if let HttpRespAction::Deny(x) = &r.action {
                replies.push((x, r.span));
            }
        }
        // Sections named by `errorfiles` first: the proxy's own lines override them.
        for (name, span) in &p.errorfiles_groups {
            out.load_group(cfg, name, *span)?;
            if let Some(g) = out.groups.get(name) {
                for (code, raw) in g {
                    out.pages.insert(*code, Page::Raw(raw.clone()));
                }
            }
        }
        for e in &p.errorfiles {
            let page = match &e.page {
                ErrorPage::File(f) => Page::Raw(read(f, "errorfile", e.span)?),
                ErrorPage::Location { code, url } => Page::Location {
                    code: *code,
                    url: url.clone(),
                },
                ErrorPage::Reply(r) => {
                    // Error pages are written without a request at hand.
                    let literal = |f: &haproxy_conf::actions::Fmt| f.as_literal().is_some();
                    let dynamic = matches!(&r.payload, Payload::Text(t) if !literal(t))
                        || r.headers.iter().any(|(_, v)| !literal(v));
                    if dynamic {
                        return Err(PlanError {
                            span: Some(e.span),
                            message: "an `http-error` page with log-format expressions is not run by proxyd yet: write its values as literal text".into(),
                        });
                    }
                    replies.push((r, e.span));
                    Page::Reply(r.clone())
                }
            };
            out.pages.insert(e.status, page);
        }
        for (r, span) in replies {
            match &r.payload {
                Payload::File(f) | Payload::Errorfile(f) => {
                    let raw = read(f, "file", span)?;
                    if matches!(r.payload, Payload::File(_))
                        && !raw.is_empty()
                        && r.content_type.is_none()
                    {
                        return Err(PlanError {
                            span: Some(span),
                            message: format!(
                                "file `{f}`: a body needs its `content-type` (add `content-type TYPE`)"
                            ),
                        });
                    }
                    out.files.insert(f.clone(), raw);
                }
                Payload::Errorfiles(name) => out.load_group(cfg, name, span)?,
                Payload::LfFile(f) => {
                    let raw = read(f, "lf-file", span)?;
                    let text = String::from_utf8_lossy(&raw);
                    let at = |message: String| PlanError {
                        span: Some(span),
                        message,
                    };
                    let fmt = haproxy_conf::sample::fmt::parse(&text)
                        .map_err(|e| at(format!("lf-file `{f}`: {}", e.message)))?;
                    out.lf_files.insert(f.clone(), fmt);
                }
                _ => {}
            }
        }
        Ok(out)
    }

    fn load_group(
        &mut self,
        cfg: &Config,
        name: &str,
        span: conf_diag::Span,
    ) -> Result<(), PlanError> {
        if self.groups.contains_key(name) {
            return Ok(());
        }
        let Some(section) = cfg.http_errors.iter().find(|h| h.name == name) else {
            return Err(PlanError {
                span: Some(span),
                message: format!("no http-errors section named `{name}`"),
            });
        };
        let mut pages = BTreeMap::new();
        for (code, file) in &section.errorfiles {
            pages.insert(*code, read(file, "errorfile", span)?);
        }
        self.groups.insert(name.to_string(), pages);
        Ok(())
    }

    pub fn page(&self, status: u16) -> Option<&Page> {
        self.pages.get(&status)
    }

    pub fn lf_file(&self, path: &str) -> Option<&haproxy_conf::sample::fmt::Fmt> {
        self.lf_files.get(path)
    }

    pub fn file(&self, path: &str) -> Option<&bytes::Bytes> {
        self.files.get(path)
    }

    pub fn group(&self, name: &str, status: u16) -> Option<&bytes::Bytes> {
        self.groups.get(name).and_then(|g| g.get(&status))
    }
}

/// A raw response, split.
pub struct Raw<'a> {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: &'a [u8],
}

/// Split a raw response into status, headers and body.
pub fn parse(raw: &[u8]) -> Option<Raw<'_>> {
    let head_end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, i + 4))
        .or_else(|| {
            raw.windows(2)
                .position(|w| w == b"\n\n")
                .map(|i| (i, i + 2))
        })?;
    let head = std::str::from_utf8(&raw[..head_end.0]).ok()?;
    let mut lines = head.lines();
    let status = lines.next()?.split_whitespace().nth(1)?.parse().ok()?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Some(Raw {
        status,
        headers,
        body: &raw[head_end.1..],
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn raw_responses() {
        let raw = b"HTTP/1.0 503 Service Unavailable\r\nCache-Control: no-cache\r\nContent-Type: text/html\r\n\r\n<h1>sorry</h1>\n";
        let super::Raw {
            status: st,
            headers: h,
            body,
        } = super::parse(raw).unwrap();
        assert_eq!(st, 503);
        assert_eq!(h[1], ("Content-Type".to_string(), "text/html".to_string()));
        assert_eq!(body, b"<h1>sorry</h1>\n");
        assert!(super::parse(b"garbage").is_none());
    }
}
