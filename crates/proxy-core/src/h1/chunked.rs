//! The chunked transfer coding (RFC 9112 7.1), decoded as bytes arrive: the decoder
//! keeps its place between calls, so the caller may drop what was consumed. Strict where
//! leniency lets two readers disagree: CRLF only (no bare LF), at most 16 hex digits, a
//! bounded extension.

use std::ops::Range;

/// The longest chunk extension taken (bytes after the size, before CRLF).
const MAX_EXTENSION: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ChunkError {
    #[error("invalid chunk size")]
    Size,
    #[error("chunk size too large")]
    TooLarge,
    #[error("chunk extension too long or invalid")]
    Extension,
    #[error("chunk line not ended by CRLF")]
    LineEnd,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Size { n: u64, digits: u8 },
    Extension { n: u64, len: usize },
    SizeLf { n: u64 },
    Data(u64),
    DataCr,
    DataLf,
    Trailers,
}

/// What the decoder found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Body bytes, at this range of the buffer given.
    Data(Range<usize>),
    /// Everything given was taken: more bytes are needed.
    Need,
    /// The last chunk: the trailer section (and its empty line) starts where the
    /// consumed bytes end.
    Trailers,
}

#[derive(Debug, Clone)]
pub struct Chunked {
    state: State,
}

impl Default for Chunked {
    fn default() -> Self {
        Chunked {
            state: State::Size { n: 0, digits: 0 },
        }
    }
}

fn hex(b: u8) -> Option<u64> {
    (b as char).to_digit(16).map(u64::from)
}

impl Chunked {
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads `buf` from its start: how many bytes it consumed, and what they were.
    /// Once `Trailers` came, it returns `Trailers` again without consuming anything.
    pub fn step(&mut self, buf: &[u8]) -> Result<(usize, Event), ChunkError> {
        let mut i = 0;
        loop {
            if self.state == State::Trailers {
                return Ok((i, Event::Trailers));
            }
            let Some(&b) = buf.get(i) else {
                return Ok((i, Event::Need));
            };
            self.state = match self.state {
                State::Size { n, digits } => match hex(b) {
                    Some(_) if digits == 16 => return Err(ChunkError::TooLarge),
                    Some(v) => {
                        i += 1;
                        State::Size {
                            n: n << 4 | v,
                            digits: digits + 1,
                        }
                    }
                    None if digits == 0 => return Err(ChunkError::Size),
                    None if b == b'\r' => {
                        i += 1;
                        State::SizeLf { n }
                    }
                    None if matches!(b, b';' | b' ' | b'\t') => State::Extension { n, len: 0 },
                    None => return Err(ChunkError::Size),
                },
                State::Extension { n, len } => {
                    i += 1;
                    match b {
                        b'\r' => State::SizeLf { n },
                        _ if len >= MAX_EXTENSION => return Err(ChunkError::Extension),
                        b'\t' => State::Extension { n, len: len + 1 },
                        0..=0x1f | 0x7f => return Err(ChunkError::Extension),
                        _ => State::Extension { n, len: len + 1 },
                    }
                }
                State::SizeLf { n } => {
                    if b != b'\n' {
                        return Err(ChunkError::LineEnd);
                    }
                    i += 1;
                    if n == 0 {
                        State::Trailers
                    } else {
                        State::Data(n)
                    }
                }
                State::Data(left) => {
                    let take = left.min((buf.len() - i) as u64);
                    let start = i;
                    // `take` is at most what `buf` holds: it fits in usize.
                    i += take as usize;
                    self.state = if take == left {
                        State::DataCr
                    } else {
                        State::Data(left - take)
                    };
                    return Ok((i, Event::Data(start..i)));
                }
                State::DataCr if b == b'\r' => {
                    i += 1;
                    State::DataLf
                }
                State::DataLf if b == b'\n' => {
                    i += 1;
                    State::Size { n: 0, digits: 0 }
                }
                State::DataCr | State::DataLf => return Err(ChunkError::LineEnd),
                State::Trailers => State::Trailers,
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Decodes `wire` fed in pieces of the given sizes, as a caller dropping consumed
    /// bytes would: the body and the bytes left from the trailer section on.
    fn decode(wire: &[u8], cuts: &[usize]) -> Result<(Vec<u8>, Vec<u8>), ChunkError> {
        let mut d = Chunked::new();
        let mut buf: Vec<u8> = Vec::new();
        let mut body = Vec::new();
        let mut fed = 0;
        let mut cuts = cuts.iter().copied().chain(std::iter::repeat(7));
        loop {
            let (used, ev) = d.step(&buf)?;
            match &ev {
                Event::Data(r) => body.extend_from_slice(&buf[r.clone()]),
                Event::Trailers => return Ok((body, [&buf[used..], &wire[fed..]].concat())),
                Event::Need => {
                    if fed == wire.len() {
                        return Err(ChunkError::Size);
                    }
                }
            }
            buf.drain(..used);
            if matches!(ev, Event::Need) {
                let n = cuts.next().unwrap_or(1).max(1).min(wire.len() - fed);
                buf.extend_from_slice(&wire[fed..fed + n]);
                fed += n;
            }
        }
    }

    #[test]
    fn decodes_sizes_extensions_and_stops_at_trailers() {
        let wire = b"5;a=b\r\nhello\r\nA\r\n0123456789\r\n0\r\nX: y\r\n\r\n";
        let (body, rest) = decode(wire, &[1000]).unwrap();
        assert_eq!(body, b"hello0123456789");
        assert_eq!(rest, b"X: y\r\n\r\n");
        let (body, _) = decode(wire, &[1, 1, 1, 2, 3]).unwrap();
        assert_eq!(body, b"hello0123456789");
    }

    #[test]
    fn refuses_what_could_be_read_two_ways() {
        for bad in [
            &b"5\nhello\r\n0\r\n\r\n"[..],
            b"5\r\nhello\n0\r\n\r\n",
            b"5\r\nhelloX\r\n0\r\n\r\n",
            b"-5\r\nhello\r\n0\r\n\r\n",
            b"0x5\r\nhello\r\n0\r\n\r\n",
            b"\r\n",
            b"5;a\nb\r\nhello\r\n0\r\n\r\n",
            b"11111111111111111\r\n",
            b"5 x\x01\r\nhello\r\n0\r\n\r\n",
        ] {
            assert!(
                decode(bad, &[1000]).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        assert_eq!(
            decode(b"ffffffffffffffff\r\n", &[100]).err(),
            Some(ChunkError::Size),
            "16 digits are taken (then the bytes run out)"
        );
    }

    fn encode(chunks: &[Vec<u8>], ext: bool) -> Vec<u8> {
        let mut w = Vec::new();
        for c in chunks.iter().filter(|c| !c.is_empty()) {
            w.extend_from_slice(format!("{:x}", c.len()).as_bytes());
            if ext {
                w.extend_from_slice(b" ; name=\"v\"");
            }
            w.extend_from_slice(b"\r\n");
            w.extend_from_slice(c);
            w.extend_from_slice(b"\r\n");
        }
        w.extend_from_slice(b"0\r\nT: 1\r\n\r\n");
        w
    }

    proptest! {
        #[test]
        fn any_split_decodes_to_the_same_body(
            chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 0..8),
            cuts in proptest::collection::vec(1usize..50, 0..40),
            ext in any::<bool>(),
        ) {
            let wire = encode(&chunks, ext);
            let (body, rest) = decode(&wire, &cuts).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(body, chunks.concat());
            prop_assert_eq!(rest, b"T: 1\r\n\r\n".to_vec());
        }

        #[test]
        fn any_bytes_never_panic_nor_overrun(wire in proptest::collection::vec(any::<u8>(), 0..200)) {
            let mut d = Chunked::new();
            let mut at = 0;
            for _ in 0..wire.len() + 2 {
                match d.step(&wire[at..]) {
                    Ok((used, ev)) => {
                        prop_assert!(at + used <= wire.len());
                        if let Event::Data(r) = &ev {
                            prop_assert!(r.end == used && r.start <= r.end);
                        }
                        at += used;
                        if !matches!(ev, Event::Data(_)) {
                            break;
                        }
                    }
                    Err(_) => break,
                }
            }
        }
    }
}
