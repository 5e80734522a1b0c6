//! HTTP/1.1 framing, proxyd against HAProxy 2.6: raw request byte sequences that the two
//! ends of a proxy could read differently (Content-Length and Transfer-Encoding together,
//! obfuscated codings, bad chunk sizes, obs-fold, bare LF, NUL and CR, pipelining after
//! an error, bytes after an `Upgrade` request...) and hostile server responses, each sent
//! through HAProxy and through proxyd with the same configuration in front of a recording
//! server. Recorded: what the client got, and the bytes the server got.
//!
//! The rules: proxyd never forwards a message HAProxy refuses, never lets one client
//! message become two server messages, never forwards ambiguous framing (both lengths,
//! several lengths, a coding other than `chunked` alone), and never gives a client more
//! responses than it sent requests. The table of results is docs/http-framing.md
//! (`UPDATE_DOCS=1` rewrites it; otherwise the test fails when it is stale).

#![allow(clippy::unwrap_used, clippy::expect_used)]
// Real time: the test measures nothing, it bounds its waits.
#![allow(clippy::disallowed_methods)]

use e2e::{binary, free_port, have, in_ci, repo_root, start_local, Scratch};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A request case: name, bytes, how many requests the client means to send.
struct Case {
    name: &'static str,
    bytes: Vec<u8>,
    msgs: usize,
    /// The server's answer (None: a plain 200 with `Connection: close`).
    response: Option<Vec<u8>>,
}

fn req(name: &'static str, bytes: &str) -> Case {
    Case {
        name,
        bytes: bytes.as_bytes().to_vec(),
        msgs: 1,
        response: None,
    }
}

fn req2(name: &'static str, bytes: &str) -> Case {
    Case {
        msgs: 2,
        ..req(name, bytes)
    }
}

fn raw(name: &'static str, bytes: &[u8]) -> Case {
    Case {
        name,
        bytes: bytes.to_vec(),
        msgs: 1,
        response: None,
    }
}

fn resp(name: &'static str, response: &[u8]) -> Case {
    Case {
        name,
        bytes: b"GET /r HTTP/1.1\r\nHost: a\r\n\r\n".to_vec(),
        msgs: 1,
        response: Some(response.to_vec()),
    }
}

const H: &str = "Host: a\r\n";

fn cases() -> Vec<Case> {
    let post = |extra: &str, body: &str| format!("POST /c HTTP/1.1\r\n{H}{extra}\r\n{body}");
    let chunked = "5\r\nhello\r\n0\r\n\r\n";
    let smuggle = "GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n";
    let mut v = vec![
        req("get", &format!("GET /c HTTP/1.1\r\n{H}\r\n")),
        req("post-content-length", &post("Content-Length: 5\r\n", "hello")),
        req("post-chunked", &post("Transfer-Encoding: chunked\r\n", chunked)),
        req(
            "cl-and-te",
            &post("Content-Length: 4\r\nTransfer-Encoding: chunked\r\n", chunked),
        ),
        req(
            "te-and-cl",
            &post("Transfer-Encoding: chunked\r\nContent-Length: 4\r\n", chunked),
        ),
        req(
            "cl-te-smuggle",
            &post(
                "Content-Length: 6\r\nTransfer-Encoding: chunked\r\n",
                &format!("0\r\n\r\n{smuggle}"),
            ),
        ),
        req(
            "te-cl-smuggle",
            &post(
                "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n",
                "8\r\nSMUGGLED\r\n0\r\n\r\n",
            ),
        ),
        req(
            "cl-duplicate-same",
            &post("Content-Length: 5\r\nContent-Length: 5\r\n", "hello"),
        ),
        req(
            "cl-duplicate-different",
            &post("Content-Length: 5\r\nContent-Length: 6\r\n", "hello!"),
        ),
        req("cl-list-same", &post("Content-Length: 5, 5\r\n", "hello")),
        req("cl-list-different", &post("Content-Length: 5, 6\r\n", "hello!")),
        req("cl-plus-sign", &post("Content-Length: +5\r\n", "hello")),
        req("cl-minus-sign", &post("Content-Length: -5\r\n", "hello")),
        req("cl-inner-space", &post("Content-Length: 1 5\r\n", "hello")),
        req("cl-trailing-space", &post("Content-Length: 5 \r\n", "hello")),
        req("cl-leading-zeros", &post("Content-Length: 005\r\n", "hello")),
        req("cl-hex", &post("Content-Length: 0x5\r\n", "hello")),
        req(
            "cl-overflow",
            &post("Content-Length: 99999999999999999999999\r\n", "hello"),
        ),
        req("cl-empty", &post("Content-Length: \r\n", "hello")),
        req(
            "te-chunked-twice",
            &post("Transfer-Encoding: chunked, chunked\r\n", chunked),
        ),
        req("te-xchunked", &post("Transfer-Encoding: xchunked\r\n", chunked)),
        req("te-tab", &post("Transfer-Encoding:\tchunked\r\n", chunked)),
        req("te-upper-case", &post("Transfer-Encoding: CHUNKED\r\n", chunked)),
        req(
            "te-chunked-not-last",
            &post("Transfer-Encoding: chunked, gzip\r\n", chunked),
        ),
        req(
            "te-gzip-then-chunked",
            &post("Transfer-Encoding: gzip, chunked\r\n", chunked),
        ),
        req("te-identity", &post("Transfer-Encoding: identity\r\n", "hello")),
        req(
            "te-two-headers",
            &post(
                "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n",
                chunked,
            ),
        ),
        req(
            "te-space-before-colon",
            &post("Transfer-Encoding : chunked\r\n", chunked),
        ),
        req(
            "te-http10",
            &format!("POST /c HTTP/1.0\r\n{H}Transfer-Encoding: chunked\r\n\r\n{chunked}"),
        ),
        // HTTP/1.0 leaves GET, HEAD and DELETE bodies unsaid: HAProxy refuses them (413).
        req(
            "get-body-http10",
            &format!("GET /c HTTP/1.0\r\n{H}Content-Length: 5\r\n\r\nhello"),
        ),
        req(
            "delete-chunked-http10",
            &format!("DELETE /c HTTP/1.0\r\n{H}Transfer-Encoding: chunked\r\n\r\n{chunked}"),
        ),
        req(
            "te-vertical-tab",
            &post("Transfer-Encoding: \u{b}chunked\r\n", chunked),
        ),
        req("te-quoted", &post("Transfer-Encoding: \"chunked\"\r\n", chunked)),
        req(
            "te-obs-fold",
            &post("Transfer-Encoding: x\r\n chunked\r\n", chunked),
        ),
        // Not a framing header: the body is read as a second (bad) request, by both.
        req2(
            "te-underscore-name",
            &post("Transfer_Encoding: chunked\r\n", chunked),
        ),
        req("obs-fold", &format!("GET /c HTTP/1.1\r\n{H}X-A: a\r\n b\r\n\r\n")),
        req("bare-lf", "GET /c HTTP/1.1\nHost: a\nX-A: b\n\n"),
        req("bare-lf-one-line", &format!("GET /c HTTP/1.1\r\n{H}X-A: b\n\r\n")),
        raw("bare-cr-in-value", b"GET /c HTTP/1.1\r\nHost: a\r\nX-A: a\rb\r\n\r\n"),
        raw("nul-in-value", b"GET /c HTTP/1.1\r\nHost: a\r\nX-A: a\0b\r\n\r\n"),
        req("space-before-colon", &format!("GET /c HTTP/1.1\r\n{H}X-A : b\r\n\r\n")),
        req("space-in-name", &format!("GET /c HTTP/1.1\r\n{H}X A: b\r\n\r\n")),
        req("header-without-colon", &format!("GET /c HTTP/1.1\r\n{H}Foo\r\n\r\n")),
        req("leading-space-first-header", "GET /c HTTP/1.1\r\n Host: a\r\n\r\n"),
        req("chunk-size-not-hex", &post("Transfer-Encoding: chunked\r\n", "g\r\nhello\r\n0\r\n\r\n")),
        req(
            "chunk-size-leading-zeros",
            &post(
                "Transfer-Encoding: chunked\r\n",
                "00000000000000000005\r\nhello\r\n0\r\n\r\n",
            ),
        ),
        req(
            "chunk-size-overflow",
            &post(
                "Transfer-Encoding: chunked\r\n",
                "fffffffffffffffffff\r\nhello\r\n0\r\n\r\n",
            ),
        ),
        req("chunk-size-negative", &post("Transfer-Encoding: chunked\r\n", "-5\r\nhello\r\n0\r\n\r\n")),
        req(
            "chunk-extension",
            &post("Transfer-Encoding: chunked\r\n", "5;a=b\r\nhello\r\n0\r\n\r\n"),
        ),
        req(
            "chunk-extension-bad",
            &post("Transfer-Encoding: chunked\r\n", "5;\"\r\nhello\r\n0\r\n\r\n"),
        ),
        req(
            "chunk-size-space",
            &post("Transfer-Encoding: chunked\r\n", "5 \r\nhello\r\n0\r\n\r\n"),
        ),
        req(
            "chunk-lf-only",
            &post("Transfer-Encoding: chunked\r\n", "5\nhello\n0\n\n"),
        ),
        req(
            "chunk-data-longer-than-size",
            &post("Transfer-Encoding: chunked\r\n", "5\r\nhelloXX\r\n0\r\n\r\n"),
        ),
        req(
            "trailer-content-length",
            &post(
                "Transfer-Encoding: chunked\r\n",
                "5\r\nhello\r\n0\r\nContent-Length: 50\r\n\r\n",
            ),
        ),
        req(
            "trailer-transfer-encoding",
            &post(
                "Transfer-Encoding: chunked\r\n",
                "5\r\nhello\r\n0\r\nTransfer-Encoding: chunked\r\n\r\n",
            ),
        ),
        req(
            "trailer-host",
            &post(
                "Transfer-Encoding: chunked\r\n",
                "5\r\nhello\r\n0\r\nHost: b\r\n\r\n",
            ),
        ),
        req("absolute-uri-host-same", "GET http://a/c HTTP/1.1\r\nHost: a\r\n\r\n"),
        req("absolute-uri-host-different", "GET http://b/c HTTP/1.1\r\nHost: a\r\n\r\n"),
        req("no-host-http11", "GET /c HTTP/1.1\r\n\r\n"),
        req("two-hosts-different", "GET /c HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
        req("http09", "GET /c\r\n\r\n"),
        req("version-http12", &format!("GET /c HTTP/1.2\r\n{H}\r\n")),
        req("version-garbage", &format!("GET /c HTTP/1.1x\r\n{H}\r\n")),
        req("method-lower-case", &format!("get /c HTTP/1.1\r\n{H}\r\n")),
        req("space-in-uri", &format!("GET /a b HTTP/1.1\r\n{H}\r\n")),
        raw("control-in-uri", b"GET /a\x01b HTTP/1.1\r\nHost: a\r\n\r\n"),
        req2(
            "pipelined-two",
            &format!("GET /c HTTP/1.1\r\n{H}\r\nGET /second HTTP/1.1\r\n{H}\r\n"),
        ),
        req2(
            "pipelined-after-error",
            &format!("GET /c HTTP/1.1\r\n{H}Content-Length: x\r\n\r\nGET /smuggled HTTP/1.1\r\n{H}\r\n"),
        ),
        req2(
            "cl-then-pipelined",
            &format!("POST /c HTTP/1.1\r\n{H}Content-Length: 5\r\n\r\nhelloGET /second HTTP/1.1\r\n{H}\r\n"),
        ),
        req(
            "upgrade-websocket-without-key",
            &format!(
                "GET /c HTTP/1.1\r\n{H}Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n{smuggle}"
            ),
        ),
        // The server does not switch (it answers 200): what follows is the next request.
        req2(
            "upgrade-refused-then-bytes",
            &format!(
                "GET /c HTTP/1.1\r\n{H}Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\nGET /second HTTP/1.1\r\n{H}\r\n"
            ),
        ),
        req2(
            "upgrade-h2c-then-bytes",
            &format!(
                "GET /c HTTP/1.1\r\n{H}Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\nGET /second HTTP/1.1\r\n{H}\r\n"
            ),
        ),
        req(
            "expect-100-no-body-yet",
            &post("Expect: 100-continue\r\nContent-Length: 5\r\n", ""),
        ),
        req(
            "expect-100-with-body",
            &post("Expect: 100-continue\r\nContent-Length: 5\r\n", "hello"),
        ),
        req("get-with-body", &format!("GET /c HTTP/1.1\r\n{H}Content-Length: 5\r\n\r\nhello")),
    ];
    v.extend([
        resp(
            "resp-cl-and-te",
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
        ),
        resp(
            "resp-cl-different",
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nokk",
        ),
        resp("resp-bad-status", b"HTTP/1.1 2000 OK\r\nContent-Length: 2\r\n\r\nok"),
        resp(
            "resp-obs-fold",
            b"HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\nContent-Length: 2\r\n\r\nok",
        ),
        resp("resp-bare-lf", b"HTTP/1.1 200 OK\nContent-Length: 2\n\nok"),
        resp(
            "resp-nul-in-header",
            b"HTTP/1.1 200 OK\r\nX-A: a\0b\r\nContent-Length: 2\r\n\r\nok",
        ),
        resp(
            "resp-space-before-colon",
            b"HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nok",
        ),
        resp(
            "resp-te-gzip-only",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nContent-Length: 2\r\n\r\nok",
        ),
        resp(
            "resp-204-with-body",
            b"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\nhello",
        ),
        resp("resp-http09", b"ok"),
        resp(
            "resp-bad-chunk-size",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nok\r\n0\r\n\r\n",
        ),
        resp(
            "resp-two-responses",
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nbad",
        ),
        resp(
            "resp-cl-minus",
            b"HTTP/1.1 200 OK\r\nContent-Length: -2\r\n\r\nok",
        ),
        resp(
            "resp-read-until-close",
            b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the server closes",
        ),
        resp("resp-http10-no-length", b"HTTP/1.0 200 OK\r\n\r\nuntil close"),
        resp(
            "resp-head-of-1xx-then-final",
            b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
        ),
        resp(
            "resp-101-without-upgrade",
            b"HTTP/1.1 101 Switching Protocols\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
        ),
    ]);
    v
}

/// The recording server: each connection's bytes; answers once a head has come and the
/// client has been quiet for a moment, then closes.
struct Recorder {
    port: u16,
    got: Arc<Mutex<Vec<Vec<u8>>>>,
}

const OK: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";

impl Recorder {
    fn start(response: Vec<u8>) -> Recorder {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let response = Arc::new(Mutex::new(response));
        let got = Arc::new(Mutex::new(Vec::new()));
        let (r, g) = (response.clone(), got.clone());
        std::thread::spawn(move || {
            for s in l.incoming() {
                let Ok(mut s) = s else { continue };
                let (r, g) = (r.clone(), g.clone());
                std::thread::spawn(move || {
                    s.set_read_timeout(Some(Duration::from_millis(40))).unwrap();
                    let mut bytes = Vec::new();
                    let mut buf = [0u8; 65536];
                    let t0 = Instant::now();
                    let mut answered = false;
                    while t0.elapsed() < Duration::from_secs(3) {
                        match s.read(&mut buf) {
                            Ok(0) => break,
                            Ok(n) => bytes.extend_from_slice(&buf[..n]),
                            Err(_) => {
                                // Quiet: answer once a head is in, then wait a little for
                                // anything that follows.
                                if !answered && find(&bytes, b"\r\n\r\n").is_some() {
                                    let resp = r.lock().unwrap().clone();
                                    let _ = s.write_all(&resp);
                                    answered = true;
                                    s.set_read_timeout(Some(Duration::from_millis(150)))
                                        .unwrap();
                                } else if answered {
                                    break;
                                }
                            }
                        }
                    }
                    g.lock().unwrap().push(bytes);
                });
            }
        });
        Recorder { port, got }
    }
}

fn find(h: &[u8], n: &[u8]) -> Option<usize> {
    h.windows(n.len()).position(|w| w == n)
}

/// What the server received, read as a strict HTTP/1.1 server would: the messages and
/// whether any had ambiguous framing.
#[derive(Debug, Default, Clone, PartialEq)]
struct Seen {
    messages: usize,
    ambiguous: bool,
    smuggled: bool,
    /// Bytes left that do not make a whole message.
    partial: bool,
}

fn analyse(conns: &[Vec<u8>]) -> Seen {
    let mut out = Seen::default();
    for c in conns {
        let mut rest: &[u8] = c;
        while !rest.is_empty() {
            let Some(end) = find(rest, b"\r\n\r\n") else {
                out.partial = true;
                break;
            };
            let head = String::from_utf8_lossy(&rest[..end]).to_string();
            if head.starts_with("GET /smuggled") || head.contains("\nGET /smuggled") {
                out.smuggled = true;
            }
            out.messages += 1;
            let mut cls = Vec::new();
            let mut tes = Vec::new();
            for line in head.split("\r\n").skip(1) {
                if let Some((n, v)) = line.split_once(':') {
                    let n = n.to_ascii_lowercase();
                    if n == "content-length" {
                        cls.push(v.trim().to_string());
                    } else if n == "transfer-encoding" {
                        tes.push(v.trim().to_ascii_lowercase());
                    }
                }
            }
            if cls.len() > 1 || (!cls.is_empty() && !tes.is_empty()) {
                out.ambiguous = true;
            }
            if !tes.is_empty() && (tes.len() > 1 || tes[0] != "chunked") {
                out.ambiguous = true;
            }
            rest = &rest[end + 4..];
            if !tes.is_empty() {
                // Chunks to the last one and its trailers.
                loop {
                    let Some(e) = find(rest, b"\r\n") else {
                        out.partial = true;
                        rest = &[];
                        break;
                    };
                    let size = String::from_utf8_lossy(&rest[..e]).to_string();
                    let size = size.split(';').next().unwrap_or("").trim().to_string();
                    let Ok(n) = usize::from_str_radix(&size, 16) else {
                        out.ambiguous = true;
                        rest = &[];
                        break;
                    };
                    rest = &rest[e + 2..];
                    if n == 0 {
                        match find(rest, b"\r\n\r\n") {
                            Some(t) if rest.starts_with(b"\r\n") || t > 0 => {
                                let skip = if rest.starts_with(b"\r\n") { 2 } else { t + 4 };
                                rest = &rest[skip..];
                            }
                            _ => {
                                if rest.starts_with(b"\r\n") {
                                    rest = &rest[2..];
                                } else {
                                    out.partial = true;
                                    rest = &[];
                                }
                            }
                        }
                        break;
                    }
                    if rest.len() < n + 2 {
                        out.partial = true;
                        rest = &[];
                        break;
                    }
                    rest = &rest[n + 2..];
                }
            } else if let Some(n) = cls.first().and_then(|v| v.parse::<usize>().ok()) {
                if rest.len() < n {
                    out.partial = true;
                    rest = &[];
                } else {
                    rest = &rest[n..];
                }
            }
        }
    }
    out
}

/// What the client got: the statuses of the responses, in order ("-" for none).
fn client_statuses(bytes: &[u8]) -> Vec<u16> {
    let text = String::from_utf8_lossy(bytes);
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(p) = text[i..].find("HTTP/1.") {
        let at = i + p;
        let line_start = at == 0 || text[..at].ends_with('\n') || text[..at].ends_with("ok");
        if line_start {
            if let Some(code) = text
                .get(at + 9..at + 12)
                .and_then(|c| c.parse::<u16>().ok())
            {
                if text.as_bytes().get(at + 8) == Some(&b' ') {
                    out.push(code);
                }
            }
        }
        i = at + 7;
    }
    out
}

/// Sends one case through the proxy on `port`, in front of its own recorder; returns
/// what the client got and what the server got.
fn run(port: u16, rec: &Recorder, case: &Case) -> (Vec<u8>, Seen) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_millis(400)))
        .unwrap();
    let _ = s.write_all(&case.bytes);
    let mut got = Vec::new();
    let mut buf = [0u8; 65536];
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(3) {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
    drop(s);
    // The server's last connection finishes (it waits 150 ms after answering).
    std::thread::sleep(Duration::from_millis(400));
    let conns = rec.got.lock().unwrap().clone();
    (got, analyse(&conns))
}

fn describe(client: &[u8], seen: &Seen) -> String {
    let st = client_statuses(client);
    let client = if st.is_empty() {
        if client.is_empty() {
            "nothing".to_string()
        } else {
            "bytes, no status".to_string()
        }
    } else {
        st.iter()
            .map(|c| c.to_string())
            .collect::<Vec<_>>()
            .join("+")
    };
    let mut server = format!("{} fwd", seen.messages);
    if seen.partial {
        server.push_str(", partial");
    }
    if seen.ambiguous {
        server.push_str(", AMBIGUOUS");
    }
    if seen.smuggled {
        server.push_str(", SMUGGLED");
    }
    format!("{client} / {server}")
}

/// One frontend and backend per case, each case's server its own recorder, so that the
/// cases run all at once.
fn config(ports: &[u16], recs: &[Recorder]) -> String {
    let mut c = String::from(
        "defaults\n  mode http\n  timeout connect 1s\n  timeout client 2s\n  timeout server 2s\n  timeout http-request 1s\n",
    );
    for (i, (p, r)) in ports.iter().zip(recs).enumerate() {
        c.push_str(&format!(
            "frontend f{i}\n  bind 127.0.0.1:{p}\n  default_backend b{i}\nbackend b{i}\n  server s 127.0.0.1:{}\n",
            r.port
        ));
    }
    c
}

#[test]
fn framing_as_haproxy_or_stricter() {
    if !have("haproxy") {
        assert!(!in_ci(), "haproxy is missing (tests/run.sh installs it)");
        eprintln!("\n!!!!! SKIPPED: haproxy is missing !!!!!\n");
        return;
    }
    let dir = Scratch::new("framing");
    let cases = cases();
    let recorders = |_: &str| -> Vec<Recorder> {
        cases
            .iter()
            .map(|c| Recorder::start(c.response.clone().unwrap_or_else(|| OK.to_vec())))
            .collect()
    };
    let (rec_h, rec_p) = (recorders("h"), recorders("p"));
    let ports = |_: &str| -> Vec<u16> { cases.iter().map(|_| free_port()).collect() };
    let (ph, pp) = (ports("h"), ports("p"));
    let (ch, cp) = (dir.join("h.cfg"), dir.join("p.cfg"));
    std::fs::write(&ch, config(&ph, &rec_h)).unwrap();
    std::fs::write(&cp, config(&pp, &rec_p)).unwrap();
    let _h = start_local("haproxy", &ch, ph[0]);
    let _p = start_local(&binary("proxyd").to_string_lossy(), &cp, pp[0]);
    let all_up = e2e::wait_for(5.0, || {
        ph.iter()
            .chain(pp.iter())
            .all(|p| TcpStream::connect(("127.0.0.1", *p)).is_ok())
    });
    assert!(all_up.is_some(), "not every case's frontend listens");
    // Let the probe connections finish before the cases start.
    std::thread::sleep(Duration::from_millis(300));
    assert!(cases.len() >= 60 + 12, "{} cases", cases.len());
    // One run of every case; a second one only when the table differs from the kept one
    // (a loaded machine can change timing details such as a `partial` body).
    let run_all = || {
        for r in rec_h.iter().chain(rec_p.iter()) {
            r.got.lock().unwrap().clear();
        }
        let mut table = String::from(
            "| case | HAProxy 2.6: client got / server got | proxyd: client got / server got |\n|---|---|---|\n",
        );
        let mut problems = Vec::new();
        // Every case through both proxies at once.
        let results: Vec<_> = std::thread::scope(|sc| {
            let handles: Vec<_> = cases
                .iter()
                .enumerate()
                .map(|(i, case)| {
                    let (rh, rp) = (&rec_h[i], &rec_p[i]);
                    let (hp, pport) = (ph[i], pp[i]);
                    sc.spawn(move || {
                        let h = run(hp, rh, case);
                        let p = run(pport, rp, case);
                        (h, p)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for (case, (h, p)) in cases.iter().zip(results) {
            let (hd, pd) = (describe(&h.0, &h.1), describe(&p.0, &p.1));
            table.push_str(&format!("| `{}` | {hd} | {pd} |\n", case.name));
            let (hs, ps) = (&h.1, &p.1);
            if ps.messages > hs.messages {
                problems.push(format!(
                    "{}: proxyd forwarded what HAProxy refused ({hd} vs {pd})",
                    case.name
                ));
            }
            if ps.messages > case.msgs {
                problems.push(format!(
                    "{}: one client message became several ({pd})",
                    case.name
                ));
            }
            if ps.ambiguous || ps.smuggled {
                problems.push(format!(
                    "{}: ambiguous framing or a smuggled request reached the server ({pd})",
                    case.name
                ));
            }
            if client_statuses(&p.0).iter().filter(|c| **c >= 200).count() > case.msgs {
                problems.push(format!(
                    "{}: the client got more responses than it sent requests ({pd})",
                    case.name
                ));
            }
        }
        let doc = format!(
            "# HTTP/1.1 framing: proxyd and HAProxy 2.6\n\n\
             Generated by `tests/http_framing.rs` (`UPDATE_DOCS=1 cargo test -p e2e --test http_framing`\n\
             rewrites it). Each case's bytes are sent to HAProxy and to proxyd, with the same\n\
             configuration, in front of a server that records what it receives and answers `200`\n\
             (or, for `resp-*` cases, the hostile response named). \"client got\" is the statuses the\n\
             client read (`nothing`: the connection closed without an answer); \"server got\" is the\n\
             number of whole messages the server received (`partial`: bytes that do not make one),\n\
             read as a strict server reads them. The rules the test enforces: proxyd forwards no more\n\
             messages than HAProxy, never more than the client sent, never one with ambiguous\n\
             framing or a smuggled request, and never answers more requests than were sent.\n\n\
             {} cases.\n\n{table}",
            cases.len()
        );
        (doc, table, problems)
    };
    let path = repo_root().join("docs/http-framing.md");
    let kept = std::fs::read_to_string(&path).unwrap_or_default();
    let (mut doc, mut table, problems) = run_all();
    assert!(problems.is_empty(), "{}\n\n{table}", problems.join("\n"));
    if doc != kept && std::env::var("UPDATE_DOCS").is_err() {
        std::thread::sleep(Duration::from_millis(500));
        let (d, t, problems) = run_all();
        assert!(problems.is_empty(), "{}\n\n{t}", problems.join("\n"));
        (doc, table) = (d, t);
    }
    if std::env::var("UPDATE_DOCS").is_ok() {
        std::fs::write(&path, &doc).unwrap();
    }
    assert!(
        kept == doc || std::env::var("UPDATE_DOCS").is_ok(),
        "docs/http-framing.md is stale (UPDATE_DOCS=1 rewrites it):\n{table}"
    );
}
