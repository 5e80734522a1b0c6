//! Client request heads as proxyd's own HTTP/1.x side reads them, and response heads as it
//! writes them: any bytes never panic; a plain head's ranges lie inside it, every shorter
//! prefix of it is still incomplete (the verdict does not depend on how the bytes were
//! cut into reads), and it carries nothing that would make it more than plain; a
//! response head written with fields taken from the input reads back (with the parser
//! used towards servers) with the status and the framing it was written with.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proxy_core::h1::server::{self, BodyLen, Exchange, Out, Parsed};
use proxy_core::h1::{parse_response, response_plan, Framing};

const MAX: usize = 4096;

fn check_request(data: &[u8]) {
    let Parsed::Plain(r) = server::parse_request(data, MAX) else {
        return;
    };
    assert!(r.len <= data.len() && r.len <= MAX);
    let ranges = [r.method.clone(), r.target.clone()]
        .into_iter()
        .chain(r.fields.iter().flat_map(|f| [f.name.clone(), f.value.clone()]));
    for range in ranges {
        assert!(range.start <= range.end && range.end <= r.len);
    }
    for f in &r.fields {
        let name = &data[f.name.clone()];
        for not_plain in ["content-length", "transfer-encoding", "te", "expect", "upgrade"] {
            assert!(!name.eq_ignore_ascii_case(not_plain.as_bytes()));
        }
    }
    for cut in [r.len / 2, r.len.saturating_sub(1)] {
        if cut < r.len {
            assert_eq!(server::parse_request(&data[..cut], MAX), Parsed::Partial);
        }
    }
}

fn check_response(data: &[u8]) {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    // Fields from the input: lines of `name:value`, names a token, values visible text.
    let fields: Vec<(&[u8], &[u8])> = rest
        .split(|&b| b == b'\n')
        .filter_map(|l| {
            let i = l.iter().position(|&b| b == b':')?;
            let (n, v) = (&l[..i], l[i + 1..].trim_ascii());
            let token = |b: &u8| b.is_ascii_alphanumeric() || b"-_!#$%&'*+.^`|~".contains(b);
            (!n.is_empty() && n.iter().all(token) && v.iter().all(|b| (0x20..0x7f).contains(b)))
                .then_some((n, v))
        })
        // Within what the reading side takes (101 fields with the added ones).
        .take(90)
        .collect();
    let x = Exchange {
        http10: flags & 1 != 0,
        head: flags & 2 != 0,
        keep_alive: flags & 4 != 0,
    };
    let body = match flags >> 6 {
        0 => BodyLen::Empty,
        1 => BodyLen::Unknown,
        _ => BodyLen::Known(u64::from(flags & 0x30)),
    };
    let status = [200u16, 204, 304, 404, 500, 302][usize::from(flags >> 3 & 7) % 6];
    let mut out = Vec::new();
    let Ok(e) = server::encode_response_head(&mut out, (status, b"R"), &x, body, || {
        fields.iter().copied()
    }) else {
        assert!(out.is_empty());
        return;
    };
    let head = parse_response(&out, usize::MAX)
        .expect("a written head parses")
        .expect("a written head is whole");
    assert_eq!(head.len, out.len());
    assert_eq!(head.status, status);
    let Ok(plan) = response_plan(&head, &out, x.head) else {
        // Only a length the fields gave (and the body did not) can be refused.
        return;
    };
    match e.out {
        Out::Length(0) => assert!(matches!(plan.framing, Framing::Empty | Framing::Length(0))),
        Out::Length(n) => assert_eq!(plan.framing, Framing::Length(n)),
        Out::Chunked => assert_eq!(plan.framing, Framing::Chunked),
        Out::UntilClose => assert_eq!(plan.framing, Framing::UntilClose),
    }
}

fuzz_target!(|data: &[u8]| {
    check_request(data);
    check_response(data);
});
