//! Cookie-based persistence as HAProxy does it (`cookie NAME insert|rewrite|prefix ...`
//! and the servers' `cookie VALUE`): reading the client's cookie to find its server,
//! what to take out of the request before it goes on, and what to set or change in the
//! response. Pure: the caller passes the header values and the time.

use haproxy_conf::model::{Cookie, CookieMode};

/// `insert` with dates (`maxidle`/`maxlife`): `VALUE|LAST|FIRST`.
const DATE_SEP: char = '|';
/// `prefix`: `VALUE~APPVALUE`.
const PREFIX_SEP: char = '~';

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// A date in HAProxy's cookie form: seconds / 4, in five base64 digits, high first.
pub fn date_b64(unix_s: u64) -> String {
    let v = ((unix_s + 3) >> 2) as u32;
    (0..5)
        .map(|i| B64[((v >> (24 - 6 * i)) & 0x3F) as usize] as char)
        .collect()
}

/// The seconds a cookie date stands for.
pub fn date_from_b64(s: &str) -> Option<u64> {
    if s.len() != 5 {
        return None;
    }
    let mut v: u64 = 0;
    for c in s.bytes() {
        let d = B64.iter().position(|&b| b == c)? as u64;
        v = (v << 6) | d;
    }
    Some(v << 2)
}

/// `cookie ... dynamic`: a server's cookie made from the backend's `dynamic-cookie-key`
/// and the server's address, as HAProxy makes it (XXH64 of the key, the address bytes
/// and the port as four bytes, big-endian), so both give a server the same cookie.
pub fn dynamic(key: &str, addr: std::net::SocketAddr) -> String {
    let mut b = key.as_bytes().to_vec();
    match addr.ip() {
        std::net::IpAddr::V4(a) => b.extend_from_slice(&a.octets()),
        std::net::IpAddr::V6(a) => b.extend_from_slice(&a.octets()),
    }
    b.extend_from_slice(&u32::from(addr.port()).to_be_bytes());
    format!("{:016x}", xxhash_rust::xxh64::xxh64(&b, 0))
}

/// What the client's request says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCookie {
    /// The server value it names.
    pub server: String,
    /// `insert` dates, when present.
    pub last_seen: Option<u64>,
    pub first_seen: Option<u64>,
}

/// The `NAME=value` pairs of `Cookie` header values.
fn pairs<'a>(values: &'a [&'a str]) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
    values.iter().flat_map(|v| v.split(';')).filter_map(|c| {
        let c = c.trim();
        match c.split_once('=') {
            Some((k, v)) => Some((k.trim(), v.trim())),
            None if !c.is_empty() => Some((c, "")),
            None => None,
        }
    })
}

/// Find the persistence cookie in the request's `Cookie` headers. With `maxidle` /
/// `maxlife`, a cookie whose dates are too old (or more than a day ahead) is ignored.
pub fn read_request(cfg: &Cookie, cookies: &[&str], now_s: u64) -> Option<ClientCookie> {
    let (_, value) = pairs(cookies).find(|(k, _)| *k == cfg.name)?;
    let server = match cfg.mode {
        // Without a separator the whole value names the server (as in HAProxy).
        CookieMode::Prefix => value.split(PREFIX_SEP).next().unwrap_or(value),
        _ => value.split(DATE_SEP).next().unwrap_or(value),
    };
    if server.is_empty() {
        return None;
    }
    let mut parts = value.split(DATE_SEP).skip(1);
    let last_seen = parts.next().and_then(date_from_b64);
    let first_seen = parts.next().and_then(date_from_b64);
    let future = |d: Option<u64>| d.is_some_and(|d| d > now_s + 86_400);
    if cfg.mode == CookieMode::Insert {
        if future(last_seen) || future(first_seen) {
            return None;
        }
        if let (Some(max), Some(d)) = (cfg.maxidle, last_seen) {
            if now_s.saturating_sub(d) > max {
                return None;
            }
        }
        if let (Some(max), Some(d)) = (cfg.maxlife, first_seen) {
            if now_s.saturating_sub(d) > max {
                return None;
            }
        }
    }
    Some(ClientCookie {
        server: server.to_string(),
        last_seen,
        first_seen,
    })
}

/// The request's `Cookie` headers as the server should see them: `insert indirect`
/// removes the persistence cookie, `prefix` removes the server part of its value.
/// None: no change.
pub fn rewrite_request(cfg: &Cookie, cookies: &[&str]) -> Option<Vec<String>> {
    let strip = cfg.mode == CookieMode::Insert && cfg.indirect;
    let prefix = cfg.mode == CookieMode::Prefix;
    if !strip && !prefix {
        return None;
    }
    let mut changed = false;
    let mut out = Vec::new();
    for v in cookies {
        let mut kept = Vec::new();
        for c in v.split(';') {
            let t = c.trim();
            let (k, val) = t.split_once('=').unwrap_or((t, ""));
            if k.trim() == cfg.name {
                changed = true;
                if strip {
                    continue;
                }
                if let Some((_, app)) = val.split_once(PREFIX_SEP) {
                    kept.push(format!("{}={app}", cfg.name));
                    continue;
                }
            }
            if !t.is_empty() {
                kept.push(t.to_string());
            }
        }
        if !kept.is_empty() {
            out.push(kept.join("; "));
        }
    }
    changed.then_some(out)
}

/// What the response needs for persistence.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResponseEdits {
    /// The response's Set-Cookie values, changed: None keeps them as they are.
    pub set_cookies: Option<Vec<String>>,
    /// A Set-Cookie to add (insert mode).
    pub insert: Option<String>,
    /// `nocache`: mark the response private to caches.
    pub cache_private: bool,
}

/// The request, as far as the response side needs it.
#[derive(Debug, Clone, Copy)]
pub struct Exchange<'a> {
    /// The cookie value of the server that answered (None: it has none).
    pub server: Option<&'a str>,
    /// The client presented a valid cookie for that server.
    pub client_valid: Option<&'a ClientCookie>,
    pub post: bool,
    /// The response may be cached (no Cache-Control private/no-cache/no-store).
    pub cacheable: bool,
    pub now_s: u64,
}

/// The Set-Cookie value for `server` in insert mode.
fn insert_value(cfg: &Cookie, server: &str, first_seen: Option<u64>, now_s: u64) -> String {
    let mut v = format!("{}={server}", cfg.name);
    if cfg.maxidle.is_some() || cfg.maxlife.is_some() {
        v.push(DATE_SEP);
        v.push_str(&date_b64(now_s));
        if cfg.maxlife.is_some() {
            v.push(DATE_SEP);
            v.push_str(&date_b64(first_seen.unwrap_or(now_s)));
        }
    }
    v.push_str("; path=/");
    for d in &cfg.domains {
        v.push_str("; domain=");
        v.push_str(d);
    }
    if cfg.httponly {
        v.push_str("; HttpOnly");
    }
    if cfg.secure {
        v.push_str("; Secure");
    }
    for a in &cfg.attrs {
        v.push_str("; ");
        v.push_str(a);
    }
    v
}

/// The persistence cookie's name in a Set-Cookie value.
fn set_cookie_name(v: &str) -> &str {
    v.split(['=', ';']).next().unwrap_or("").trim()
}

/// What to change in the response's cookies for persistence.
pub fn response(cfg: &Cookie, set_cookies: &[&str], x: Exchange<'_>) -> ResponseEdits {
    let mut out = ResponseEdits::default();
    let Some(server) = x.server else {
        return out;
    };
    let mine = |v: &&str| set_cookie_name(v) == cfg.name;
    let server_sets = set_cookies.iter().any(mine);
    // The server's Set-Cookies without the persistence one.
    let others = || -> Vec<String> {
        set_cookies
            .iter()
            .filter(|v| !mine(v))
            .map(|v| v.to_string())
            .collect()
    };
    match cfg.mode {
        CookieMode::Insert => {
            // The client already has it: nothing to send, unless dates need refreshing.
            let refresh = x.client_valid.is_some_and(|c| {
                cfg.maxidle.is_some() && c.last_seen.is_none_or(|d| x.now_s.saturating_sub(d) > 0)
            });
            let needed = x.client_valid.is_none() || refresh;
            if needed && (!cfg.postonly || x.post) {
                out.insert = Some(insert_value(
                    cfg,
                    server,
                    x.client_valid.and_then(|c| c.first_seen),
                    x.now_s,
                ));
                out.cache_private = cfg.nocache && x.cacheable;
            }
            // The server's own cookie of that name goes, unless `preserve`.
            if server_sets && !cfg.preserve {
                out.set_cookies = Some(others());
            } else if server_sets && cfg.preserve {
                // The server set it itself: do not add a second one.
                out.insert = None;
                out.cache_private = false;
            }
        }
        CookieMode::Rewrite | CookieMode::Prefix if server_sets => {
            let edited = set_cookies
                .iter()
                .map(|v| {
                    if !mine(v) {
                        return v.to_string();
                    }
                    let (pair, attrs) = v.split_once(';').unwrap_or((v, ""));
                    let app = pair.split_once('=').map(|(_, a)| a).unwrap_or("");
                    let value = if cfg.mode == CookieMode::Rewrite {
                        server.to_string()
                    } else {
                        format!("{server}{PREFIX_SEP}{app}")
                    };
                    if attrs.is_empty() {
                        format!("{}={value}", cfg.name)
                    } else {
                        format!("{}={value};{attrs}", cfg.name)
                    }
                })
                .collect();
            out.set_cookies = Some(edited);
            out.cache_private = cfg.nocache && x.cacheable;
        }
        CookieMode::Passive if cfg.indirect && server_sets && x.client_valid.is_some() => {
            // indirect: no cookie for a client that already has a valid one.
            out.set_cookies = Some(others());
        }
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(mode: CookieMode) -> Cookie {
        Cookie {
            name: "SERVERID".into(),
            mode,
            ..Cookie::default()
        }
    }

    #[test]
    fn dynamic_cookies_are_haproxys() {
        // Values HAProxy 2.6 set for these servers with `dynamic-cookie-key secret`.
        assert_eq!(
            dynamic("secret", "127.0.0.1:18101".parse().unwrap()),
            "3b12fdbe79df73bb"
        );
        assert_eq!(
            dynamic("secret", "127.0.0.2:18102".parse().unwrap()),
            "576e6ea1622b44df"
        );
    }

    #[test]
    fn dates_round_trip_at_four_seconds() {
        let d = 1_764_650_000;
        let s = date_b64(d);
        assert_eq!(s.len(), 5);
        let back = date_from_b64(&s).unwrap();
        assert!(back >= d && back < d + 8, "{d} -> {s} -> {back}");
    }

    #[test]
    fn insert_mode() {
        let mut c = cfg(CookieMode::Insert);
        c.indirect = true;
        c.nocache = true;
        c.httponly = true;
        let x = Exchange {
            server: Some("s1"),
            client_valid: None,
            post: false,
            cacheable: true,
            now_s: 0,
        };
        let r = response(&c, &[], x);
        assert_eq!(r.insert.as_deref(), Some("SERVERID=s1; path=/; HttpOnly"));
        assert!(r.cache_private);
        let have = read_request(&c, &["a=1; SERVERID=s1; b=2"], 0).unwrap();
        assert_eq!(have.server, "s1");
        let r = response(
            &c,
            &[],
            Exchange {
                client_valid: Some(&have),
                ..x
            },
        );
        assert_eq!(r, ResponseEdits::default(), "indirect: nothing to send");
        assert_eq!(
            rewrite_request(&c, &["a=1; SERVERID=s1; b=2"]),
            Some(vec!["a=1; b=2".to_string()])
        );
        // The server's own SERVERID cookie is removed unless `preserve`.
        let r = response(&c, &["SERVERID=x; path=/", "sid=9"], x);
        assert_eq!(r.set_cookies, Some(vec!["sid=9".to_string()]));
        c.postonly = true;
        assert_eq!(response(&c, &[], x).insert, None, "postonly: GET gets none");
    }

    #[test]
    fn prefix_and_rewrite_modes() {
        let c = cfg(CookieMode::Prefix);
        let x = Exchange {
            server: Some("s2"),
            client_valid: None,
            post: false,
            cacheable: false,
            now_s: 0,
        };
        let r = response(&c, &["SERVERID=abc; path=/"], x);
        assert_eq!(
            r.set_cookies,
            Some(vec!["SERVERID=s2~abc; path=/".to_string()])
        );
        assert_eq!(
            read_request(&c, &["SERVERID=s2~abc"], 0).unwrap().server,
            "s2"
        );
        // HAProxy: no separator, the whole value names the server.
        assert_eq!(read_request(&c, &["SERVERID=s2"], 0).unwrap().server, "s2");
        assert_eq!(
            rewrite_request(&c, &["SERVERID=s2~abc"]),
            Some(vec!["SERVERID=abc".to_string()])
        );
        let c = cfg(CookieMode::Rewrite);
        let r = response(&c, &["SERVERID=whatever"], x);
        assert_eq!(r.set_cookies, Some(vec!["SERVERID=s2".to_string()]));
    }

    #[test]
    fn old_cookies_are_ignored() {
        let mut c = cfg(CookieMode::Insert);
        c.maxidle = Some(60);
        let v = format!("SERVERID=s1|{}", date_b64(1000));
        assert!(read_request(&c, &[&v], 1030).is_some());
        assert!(read_request(&c, &[&v], 2000).is_none(), "idle too long");
        assert!(read_request(&c, &[&v], 0).is_some());
        let future = format!("SERVERID=s1|{}", date_b64(1_000_000));
        assert!(read_request(&c, &[&future], 1000).is_none(), "a day ahead");
    }
}
