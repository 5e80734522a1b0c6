//! Server responses as proxyd's own HTTP/1.1 connections read them: any bytes never
//! panic, every range points inside the buffer, and a chunked body decodes to the same
//! bytes (or the same refusal) whether it comes whole or in pieces of any size.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proxy_core::h1::{self, Chunked, Event, Framing};

/// The body of `wire` decoded with reads of `piece` bytes: Ok(body, consumed) at the
/// trailers, Err at a refusal, Ok(None) when the bytes run out first.
fn decode(wire: &[u8], piece: usize) -> Result<Option<Vec<u8>>, h1::ChunkError> {
    let mut d = Chunked::new();
    let (mut buf, mut body, mut fed) = (Vec::new(), Vec::new(), 0);
    loop {
        let (used, ev) = d.step(&buf)?;
        assert!(used <= buf.len());
        match ev {
            Event::Data(r) => {
                assert!(r.start <= r.end && r.end == used);
                body.extend_from_slice(&buf[r]);
            }
            Event::Trailers => return Ok(Some(body)),
            Event::Need if fed == wire.len() => return Ok(None),
            Event::Need => {
                buf.drain(..used);
                let n = piece.min(wire.len() - fed);
                buf.extend_from_slice(&wire[fed..fed + n]);
                fed += n;
                continue;
            }
        }
        buf.drain(..used);
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&piece, data)) = data.split_first() else {
        return;
    };
    let Ok(Some(head)) = h1::parse_response(data, 4096) else {
        // A chunked body alone, whole and in pieces.
        let whole = decode(data, data.len().max(1));
        let split = decode(data, usize::from(piece % 16) + 1);
        assert_eq!(whole, split);
        return;
    };
    assert!(head.len <= data.len());
    for f in &head.fields {
        assert!(f.name.end <= head.len && f.value.end <= head.len);
    }
    if let Ok(plan) = h1::response_plan(&head, data, piece & 1 == 1) {
        // Only HTTP/1.1 without `Connection: close` and with a known end is reused.
        assert!(!plan.reusable || (head.http11 && plan.framing != Framing::UntilClose));
        if plan.framing == Framing::Chunked {
            let rest = &data[head.len..];
            assert_eq!(
                decode(rest, rest.len().max(1)),
                decode(rest, usize::from(piece % 16) + 1)
            );
        }
    }
    let _ = h1::parse_trailers(data, 4096);
});
