//! The typed model: defaults inheritance, legacy translations, values with units.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use haproxy_conf::actions::*;
use haproxy_conf::model::*;
use haproxy_conf::sample::{MatchMethod, Pattern};
use haproxy_conf::tokenizer::NoEnv;
use haproxy_conf::{load_str, Loaded};
use std::collections::HashMap;

fn load(text: &str) -> Loaded {
    load_str("t.cfg", text, &NoEnv)
}

fn proxy<'a>(l: &'a Loaded, name: &str) -> &'a Proxy {
    l.config.proxies.iter().find(|p| p.name == name).unwrap()
}

const BASE: &str = "defaults\n  mode http\n  timeout connect 5s\n  timeout client 1m\n  timeout server 1m\n  retries 5\n  option httplog\n  option redispatch\n  log global\n";

#[test]
fn defaults_are_inherited_and_overridden() {
    let l = load(&format!(
        "{BASE}frontend fe\n  bind :80\n  no option httplog\nbackend be\n  mode tcp\n  timeout server 30s\n  server s1 127.0.0.1:8080 check\n"
    ));
    assert!(!l.has_errors(), "{:?}", l.diags);
    let fe = proxy(&l, "fe");
    assert_eq!(fe.mode, Mode::Http);
    assert_eq!(fe.timeouts.client, Some(60_000));
    assert!(!fe.option("httplog"));
    let be = proxy(&l, "be");
    assert_eq!(be.mode, Mode::Tcp);
    assert_eq!(be.timeouts.server, Some(30_000));
    assert_eq!(be.timeouts.connect, Some(5_000));
    assert_eq!(be.retries, 5);
    assert!(be.option("redispatch"));
    let s = &be.servers[0];
    assert!(s.opts.check);
    assert_eq!(
        (s.opts.inter_ms, s.opts.rise, s.opts.fall, s.opts.weight),
        (2000, 2, 3, 1)
    );
}

#[test]
fn named_defaults_and_from() {
    let l = load("defaults web\n  mode http\n  timeout client 5s\ndefaults tcp\n  mode tcp\nfrontend fe from web\n  bind :80\n  timeout client 9s\n");
    let fe = proxy(&l, "fe");
    assert_eq!(fe.mode, Mode::Http);
    assert_eq!(fe.defaults.as_deref(), Some("web"));
    assert_eq!(fe.timeouts.client, Some(9000));
    let l = load("defaults web\n  mode http\nfrontend fe from nope\n  bind :80\n");
    assert!(l.diags.has_code(haproxy_conf::codes::UNKNOWN_DEFAULTS));
}

#[test]
fn default_server_applies_to_later_servers() {
    let l = load(&format!(
        "{BASE}backend be\n  default-server inter 3s fall 5 weight 10\n  server a 10.0.0.1:80 check\n  server b 10.0.0.2:80 check weight 20 backup\n"
    ));
    let be = proxy(&l, "be");
    assert_eq!(be.servers[0].opts.inter_ms, 3000);
    assert_eq!(be.servers[0].opts.fall, 5);
    assert_eq!(be.servers[1].opts.weight, 20);
    assert!(be.servers[1].opts.backup);
}

#[test]
fn binds_balance_acls_and_rules() {
    let l = load(&format!(
        "{BASE}frontend fe\n  bind 192.168.10.3:80,:8080 name web\n  bind [::]:443 v4v6\n  acl is_api path_beg -i /api\n  use_backend api if is_api or {{ hdr(host) -i api.example.com }}\n  http-request deny if !is_api {{ src 10.0.0.0/8 }}\n  http-request set-header X-Proto http\n  redirect scheme https code 301 if !{{ ssl_fc }}\n  default_backend web\nbackend api\n  balance hdr(Host) use_domain_only\n  server a 10.0.0.1:80\nbackend web\n  balance url_param userid\n  server a 10.0.0.1:80\n"
    ));
    assert!(!l.has_errors(), "{:?}", l.diags);
    let fe = proxy(&l, "fe");
    assert_eq!(fe.binds[0].addrs.len(), 2);
    assert_eq!(fe.binds[0].name.as_deref(), Some("web"));
    assert!(fe.binds[1].v4v6);
    assert!(fe.acls[0].nocase);
    assert_eq!(fe.acls[0].method, MatchMethod::Beg);
    assert_eq!(fe.acls[0].patterns, vec![Pattern::Str("/api".into())]);
    let ub = &fe.use_backends[0];
    assert_eq!(ub.backend, "api");
    let cond = ub.cond.as_ref().unwrap();
    assert_eq!(cond.any_of.len(), 2);
    let deny = &fe.rules.http_request[0];
    assert!(matches!(&deny.action, HttpReqAction::Deny(r) if r.status == 403));
    let dc = deny.cond.as_ref().unwrap();
    assert!(dc.any_of[0][0].negate);
    assert!(matches!(dc.any_of[0][1].acl, AclRef::Anonymous(_)));
    assert!(matches!(
        &fe.rules.http_request[1].action,
        HttpReqAction::Header(HeaderAction::Set(n, v)) if n == "X-Proto" && v.as_literal().as_deref() == Some("http")
    ));
    let redirect = &fe.rules.redirect[0];
    assert_eq!(
        (redirect.action.kind, redirect.action.code),
        (RedirectKind::Scheme, 301)
    );
    assert!(redirect.cond.as_ref().unwrap().any_of[0][0].negate);
    assert_eq!(
        proxy(&l, "api").balance,
        Balance::Hdr {
            name: "host".into(),
            use_domain_only: true
        }
    );
    assert!(matches!(proxy(&l, "web").balance, Balance::UrlParam { .. }));
    // HAProxy accepts `check_post`; proxyd cannot run it, and says so.
    let l = load(&format!(
        "{BASE}backend web\n  balance url_param userid check_post\n  server a 10.0.0.1:80\n"
    ));
    assert!(
        l.diags.has_code(haproxy_conf::codes::REFUSED),
        "{:?}",
        l.diags
    );
}

#[test]
fn legacy_forms_translate_with_warnings() {
    let l = load("defaults\n  mode http\n  contimeout 5000\n  clitimeout 50000\n  srvtimeout 50000\n  redispatch\nlisten web 0.0.0.0:80\n  reqadd X-Forwarded-Proto:\\ https\n  rspdel ^Server:\n  block if { path_beg /admin }\n  server a 10.0.0.1:80\n");
    assert!(!l.has_errors(), "{:?}", l.diags);
    let w = proxy(&l, "web");
    assert_eq!(w.timeouts.connect, Some(5000));
    assert_eq!(w.timeouts.client, Some(50000));
    assert!(w.option("redispatch"));
    assert_eq!(w.binds[0].addrs[0].port_low, 80);
    let req = &w.rules.http_request;
    assert!(matches!(
        &req[0].action,
        HttpReqAction::Header(HeaderAction::Add(n, v)) if n == "X-Forwarded-Proto" && v.as_literal().as_deref() == Some("https")
    ));
    assert!(matches!(&req[1].action, HttpReqAction::Deny(_)));
    assert!(matches!(
        &w.rules.http_response[0].action,
        HttpRespAction::Header(HeaderAction::Del(NameMatch::Str(n))) if n == "Server"
    ));
    assert!(
        l.diags
            .iter()
            .filter(|d| d.code == haproxy_conf::codes::LEGACY)
            .count()
            >= 6
    );
    let l = load("frontend f\n  bind :80\n  reqrep ^Host:\\ a Host:\\ b\n");
    assert!(l.has_errors());
}

#[test]
fn httpchk_old_form_headers() {
    let l = load(&format!(
        "{BASE}backend be\n  option httpchk GET /ews/healthcheck.htm HTTP/1.1\\r\\nHost:\\ mail.domain.com\n  http-check expect status 200\n  server a 10.0.0.1:80 check\n"
    ));
    assert!(!l.has_errors(), "{:?}", l.diags);
    let c = proxy(&l, "be").httpchk.clone().unwrap();
    assert_eq!(c.method, "GET");
    assert_eq!(c.uri, "/ews/healthcheck.htm");
    assert_eq!(c.version, "HTTP/1.1");
    assert_eq!(
        c.headers,
        vec![("Host".to_string(), "mail.domain.com".to_string())]
    );
}

#[test]
fn global_section() {
    let l = load("global\n  log 127.0.0.1 local1\n  log stdout format raw local0 info\n  maxconn 4000\n  daemon\n  nbthread 2\n  stats socket /run/haproxy.sock mode 660 level admin expose-fd listeners\n  stats timeout 30s\n  tune.bufsize 32768\n  hard-stop-after 1m\n");
    assert!(!l.has_errors(), "{:?}", l.diags);
    let g = &l.config.global;
    assert_eq!(g.log.len(), 2);
    assert_eq!(g.maxconn, Some(4000));
    assert!(g.daemon);
    assert_eq!(g.stats_sockets[0].level, "admin");
    assert!(g.stats_sockets[0].expose_fd_listeners);
    assert_eq!(g.tune_bufsize, 32768);
    assert_eq!(g.hard_stop_after_ms, Some(60_000));
}

#[test]
fn if_blocks_and_variables() {
    let env: HashMap<String, String> = [("PORT".to_string(), "8080".to_string())]
        .into_iter()
        .collect();
    let l = load_str(
        "t.cfg",
        ".if defined(PORT)\nfrontend fe\n  bind \":${PORT}\"\n  bind :$PORT\n.else\nfrontend other\n.endif\n",
        &env,
    );
    let fe = proxy(&l, "fe");
    assert_eq!(fe.binds[0].addrs[0].port_low, 8080);
    assert_eq!(fe.binds[1].addrs[0].port_low, 8080);
    assert!(l.config.proxies.iter().all(|p| p.name != "other"));
}

#[test]
fn semantic_checks() {
    let l = load(&format!(
        "{BASE}frontend fe\n  bind :80\n  default_backend tcpbe\nbackend tcpbe\n  mode tcp\n  server a 10.0.0.1:80\n  server a 10.0.0.2:80\nbackend tcpbe\n  server c 10.0.0.3:80\n"
    ));
    for code in [
        haproxy_conf::codes::MODE_MISMATCH,
        haproxy_conf::codes::DUPLICATE,
    ] {
        assert!(l.diags.has_code(code), "{code}: {:?}", l.diags);
    }
    // A tcp frontend may use an http backend.
    let l = load(&format!("{BASE}frontend fe\n  mode tcp\n  bind :80\n  default_backend be\nbackend be\n  server a 10.0.0.1:80\n"));
    assert!(!l.diags.has_code(haproxy_conf::codes::MODE_MISMATCH));
    // Stats in tcp mode and missing timeouts are warnings.
    let l = load("frontend st\n  bind :8080\n  stats uri /s\n");
    assert!(!l.has_errors(), "{:?}", l.diags);
    assert!(l.diags.has_code(haproxy_conf::codes::STATS_TCP));
    assert!(l.diags.has_code(haproxy_conf::codes::MISSING_TIMEOUT));
}

#[test]
fn set_timeout_forms_and_where() {
    let l = load(&format!(
        "{BASE}backend be\n  http-request set-timeout server 5s\n  http-request set-timeout tunnel req.hdr(x-t),mul(1000)\n  server s 127.0.0.1:80\n"
    ));
    assert!(!l.has_errors(), "{:?}", l.diags);
    let rules = &proxy(&l, "be").rules.http_request;
    assert_eq!(
        rules[0].action,
        HttpReqAction::SetTimeout {
            tunnel: false,
            value: TimeoutValue::Ms(5000)
        }
    );
    assert!(matches!(
        &rules[1].action,
        HttpReqAction::SetTimeout {
            tunnel: true,
            value: TimeoutValue::Expr(_)
        }
    ));
    // As HAProxy: only server/tunnel, no null time, not in a frontend.
    for (rule, code) in [
        (
            "http-request set-timeout client 5s",
            haproxy_conf::codes::BAD_VALUE,
        ),
        (
            "http-request set-timeout server 0",
            haproxy_conf::codes::BAD_VALUE,
        ),
    ] {
        let l = load(&format!(
            "{BASE}backend be\n  {rule}\n  server s 127.0.0.1:80\n"
        ));
        assert!(l.diags.has_code(code), "{rule}: {:?}", l.diags);
    }
    let l = load(&format!(
        "{BASE}frontend fe\n  bind :80\n  http-request set-timeout server 5s\n"
    ));
    assert!(
        l.diags.has_code(haproxy_conf::codes::WRONG_SECTION),
        "{:?}",
        l.diags
    );
    let l = load(&format!(
        "{BASE}frontend fe\n  bind :80\n  http-request set-var(txn.t) cur_server_timeout\n"
    ));
    assert!(l.has_errors(), "cur_server_timeout in a frontend");
}

#[test]
fn wait_for_body_forms() {
    let l = load(&format!(
        "{BASE}frontend fe\n  bind :80\n  http-request wait-for-body time 1s at-least 1k if METH_POST\n  http-request wait-for-body time 500\n"
    ));
    assert!(!l.has_errors(), "{:?}", l.diags);
    let rules = &proxy(&l, "fe").rules.http_request;
    assert_eq!(
        rules[0].action,
        HttpReqAction::WaitForBody {
            time_ms: 1000,
            at_least: 1024
        }
    );
    assert_eq!(
        rules[1].action,
        HttpReqAction::WaitForBody {
            time_ms: 500,
            at_least: 0
        }
    );
    for bad in [
        "http-request wait-for-body",
        "http-request wait-for-body at-least 1k",
        "http-request wait-for-body time 1s at-least",
        "http-request wait-for-body time 1s foo",
    ] {
        let l = load(&format!("{BASE}frontend fe\n  bind :80\n  {bad}\n"));
        assert!(l.has_errors(), "{bad} should be refused");
    }
}

#[test]
fn defaults_carry_reuse_compression_and_inspect_delays() {
    let l = load("defaults d\n  mode http\n  http-reuse never\n  compression algo gzip\n  compression type text/plain\n  tcp-request inspect-delay 3s\n  tcp-response inspect-delay 2s\nbackend be from d\n  server s 127.0.0.1:80\n");
    assert!(!l.has_errors(), "{:?}", l.diags);
    let be = proxy(&l, "be");
    assert_eq!(be.http_reuse, HttpReuse::Never);
    assert!(be.compression.as_ref().is_some_and(|c| !c.algos.is_empty()));
    assert_eq!(be.inspect_delay_ms, Some(3000));
    assert_eq!(be.response_inspect_delay_ms, Some(2000));
}
