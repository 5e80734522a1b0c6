//! HTTP/1.1 without I/O. Towards servers: a response head read from bytes and how its
//! body is delimited (RFC 9112 section 6.3), the chunked transfer coding decoded step by
//! step, and a request head written. Towards clients (`server`): a plain request head
//! read, a response head written with its body's framing. The runtime owns the socket and the buffer; these
//! functions only look at bytes and say what they are (ranges into the caller's buffer,
//! so that nothing is copied).

mod chunked;
mod head;
pub mod server;

pub use chunked::{ChunkError, Chunked, Event};
pub use head::{
    encode_request_head, parse_response, parse_trailers, response_plan, Field, Framing, Head,
    HeadError, Plan, Trailers,
};
