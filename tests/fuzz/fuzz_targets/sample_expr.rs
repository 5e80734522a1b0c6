//! The sample engine on hostile input: the first line is an expression (fetch and
//! converters, as written in a config), the rest the value every fetch returns, as a
//! string and as bytes (a header, a cookie, a body a client sent). Parsing and
//! evaluating never panic.
#![no_main]

use haproxy_conf::sample::parse_expr;
use libfuzzer_sys::fuzz_target;
use proxy_core::acl::{Fetch, Value};
use proxy_core::sample::{value, Sample};

struct Client<'a> {
    text: &'a str,
    bytes: &'a [u8],
}

impl Sample for Client<'_> {
    fn fetch(&self, f: &Fetch) -> Vec<Value> {
        match f {
            Fetch::Payload { .. } | Fetch::Bin(_) => vec![Value::Bin(self.bytes.to_vec())],
            _ => vec![Value::Str(self.text.to_string())],
        }
    }

    fn now(&self) -> (i64, u32) {
        (1_796_183_515, 0)
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (expr, input) = text.split_once('\n').unwrap_or((&text, ""));
    let Ok(e) = parse_expr(expr) else { return };
    let c = Client {
        text: input,
        bytes: input.as_bytes(),
    };
    let _ = value(&e, &c);
});
