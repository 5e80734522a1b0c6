//! Content inspection on a client's first bytes (`req.ssl_sni`, `req.ssl_hello_type`,
//! `payload`, `payload_lv`, RDP cookies, `req.len`): never a panic, and an answer that
//! is "need more bytes" stays consistent as bytes are added.
#![no_main]

use haproxy_conf::sample::parse_expr;
use libfuzzer_sys::fuzz_target;
use proxy_core::payload::{self, Got};

const FETCHES: &[&str] = &[
    "req.ssl_sni",
    "req.ssl_hello_type",
    "req.ssl_ver",
    "req.payload(0,4)",
    "req.payload(3,0)",
    "req.payload_lv(0,2)",
    "req.payload_lv(1,1)",
    "req.rdp_cookie",
    "req.rdp_cookie_cnt",
    "req.len",
    "res.ssl_hello_type",
];

fuzz_target!(|data: &[u8]| {
    let _ = payload::ssl_sni(data);
    let _ = payload::ssl_hello_type(data);
    for f in FETCHES {
        let Ok(e) = parse_expr(f) else { continue };
        let whole = payload::fetch(&e.fetch, data, data);
        // With fewer bytes, a fetch that had its answer may need more, never the reverse
        // of a final answer: what is answered on a prefix is answered the same on all.
        if let Some(Got::Values(v)) = payload::fetch(&e.fetch, &data[..data.len() / 2], &[]) {
            if !v.is_empty() && f.starts_with("req.payload(") {
                assert!(matches!(whole, Some(Got::Values(_))), "{f}");
            }
        }
    }
});
