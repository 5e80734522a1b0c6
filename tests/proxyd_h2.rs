//! HTTP/2 through proxyd, in a network namespace of its own: curl and h2load as clients
//! over TLS (ALPN) and clear text (prior knowledge, `proto h2`), HAProxy as HTTP/1.1,
//! HTTP/2 and TLS servers saying what they received, and a gRPC-style exchange (request
//! and response trailers) with an HTTP/2 server of the test's own; GOAWAY at a soft stop
//! and `timeout server` per stream on a shared server connection, proxyd and HAProxy side
//! by side.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use bytes::Bytes;
use e2e::{binary, have, in_ci, make_cert, netns_available, wait_for, Daemon, Netns, Scratch};
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::{Frame, Incoming};
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::path::PathBuf;
use std::time::Duration;

const BACKENDS: &str = "\
defaults
  mode http
  timeout client 10s
  timeout server 10s
  timeout connect 2s
frontend be_h2
  bind 127.0.0.1:9001 proto h2
  http-request return status 200 content-type text/plain lf-string \"be-h2 v=%[req.ver] url=%[url] host=%[req.hdr(host)]\\n\"
frontend be_h1
  bind 127.0.0.1:9002
  http-request return status 200 content-type text/plain lf-string \"be-h1 v=%[req.ver] url=%[url] host=%[req.hdr(host)]\\n\"
frontend be_tls
  bind 127.0.0.1:9003 ssl crt PEM alpn h2,http/1.1
  http-request return status 200 content-type text/plain lf-string \"be-tls v=%[req.ver] url=%[url] host=%[req.hdr(host)]\\n\"
";

const PROXY: &str = "\
global
  tune.h2.max-concurrent-streams 50
defaults
  mode http
  timeout client 10s
  timeout server 10s
  timeout connect 2s
frontend f
  bind 127.0.0.1:8080
  bind 127.0.0.1:8082 proto h2
  bind 127.0.0.1:8443 ssl crt PEM alpn h2,http/1.1
  use_backend b2 if { path_beg /h2 }
  use_backend b3 if { path_beg /tls }
  use_backend g if { path_beg /grpc }
  default_backend b1
frontend no_upgrade
  bind 127.0.0.1:8084
  option disable-h2-upgrade
  default_backend b1
backend b1
  server s 127.0.0.1:9002
backend b2
  server s 127.0.0.1:9001 proto h2
backend b3
  server s 127.0.0.1:9003 ssl verify none alpn h2,http/1.1
backend g
  server s 127.0.0.1:9004 proto h2
";

struct Setup {
    ns: Netns,
    dir: Scratch,
    _haproxy: Daemon,
    proxyd: Daemon,
}

impl Setup {
    fn proxyd_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("proxyd.log")).unwrap_or_default()
    }

    fn listening(&self, port: u16) -> bool {
        self.ns.connect_tcp(&format!("127.0.0.1:{port}")).is_ok()
    }
}

fn setup(tag: &str) -> Option<Setup> {
    if !netns_available() {
        return None;
    }
    for prog in ["haproxy", "curl", "h2load", "nghttp"] {
        if !have(prog) {
            assert!(!in_ci(), "{prog} is missing (tests/run.sh installs it)");
            eprintln!("\n!!!!! SKIPPED: {prog} is missing !!!!!\n");
            return None;
        }
    }
    let dir = Scratch::new(tag);
    let pem = make_cert(&dir, "h2.example");
    let pem = pem.to_string_lossy().to_string();
    let be = dir.join("backends.cfg");
    std::fs::write(&be, BACKENDS.replace("PEM", &pem)).unwrap();
    let cfg = dir.join("haproxy.cfg");
    std::fs::write(&cfg, PROXY.replace("PEM", &pem)).unwrap();
    let ns = Netns::new("h2");
    let haproxy = ns.spawn(
        "haproxy",
        &["-db", "-f", &be.to_string_lossy()],
        &dir.join("backends.log"),
    );
    let proxyd = ns.spawn(
        &binary("proxyd").to_string_lossy(),
        &["-db", "-f", &cfg.to_string_lossy()],
        &dir.join("proxyd.log"),
    );
    let s = Setup {
        ns,
        dir,
        _haproxy: haproxy,
        proxyd,
    };
    let up = wait_for(10.0, || {
        [9001, 9002, 9003, 8080, 8082, 8084, 8443]
            .iter()
            .all(|p| s.listening(*p))
    });
    assert!(up.is_some(), "not listening\n{}", s.proxyd_log());
    Some(s)
}

/// curl in the namespace: (HTTP version, body).
fn curl(s: &Setup, args: &[&str]) -> (String, String) {
    let mut full = vec!["-sS", "--max-time", "10", "-w", "\n%{http_version}"];
    full.extend_from_slice(args);
    let out = s.ns.exec("curl", &full);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "curl {args:?}: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        s.proxyd_log()
    );
    let (body, version) = text.rsplit_once('\n').unwrap_or((&text, ""));
    (version.to_string(), body.to_string())
}

#[test]
fn curl_and_h2load_over_h2_to_h1_h2_and_tls_servers() {
    let Some(s) = setup("h2-clients") else {
        return;
    };
    // (curl arguments, HTTP version the client got, what the server received)
    let cases: &[(&[&str], &str, &str)] = &[
        // Clear text, prior knowledge on a bind without `proto`: the preface says h2.
        (
            &["--http2-prior-knowledge", "http://127.0.0.1:8080/x?a=1"],
            "2",
            "be-h1 v=1.1 url=/x?a=1 host=127.0.0.1:8080",
        ),
        (
            &["http://127.0.0.1:8080/x"],
            "1.1",
            "be-h1 v=1.1 url=/x host=127.0.0.1:8080",
        ),
        // `proto h2` bind, `proto h2` server: the absolute URI HTTP/2 carries.
        (
            &["--http2-prior-knowledge", "http://127.0.0.1:8082/h2/x"],
            "2",
            "be-h2 v=2.0 url=http://127.0.0.1:8082/h2/x host=127.0.0.1:8082",
        ),
        // HTTP/1.1 client to an HTTP/2 server.
        (
            &["http://127.0.0.1:8080/h2/y"],
            "1.1",
            "be-h2 v=2.0 url=http://127.0.0.1:8080/h2/y host=127.0.0.1:8080",
        ),
        // TLS: ALPN h2 from curl, to each kind of server.
        (
            &["-k", "https://127.0.0.1:8443/x"],
            "2",
            "be-h1 v=1.1 url=/x host=127.0.0.1:8443",
        ),
        (
            &["-k", "https://127.0.0.1:8443/h2/x"],
            "2",
            "be-h2 v=2.0 url=http://127.0.0.1:8443/h2/x host=127.0.0.1:8443",
        ),
        (
            &["-k", "https://127.0.0.1:8443/tls/x"],
            "2",
            "be-tls v=2.0 url=https://127.0.0.1:8443/tls/x host=127.0.0.1:8443",
        ),
        // TLS, the client asks for HTTP/1.1 only.
        (
            &["-k", "--http1.1", "https://127.0.0.1:8443/tls/z"],
            "1.1",
            "be-tls v=2.0 url=https://127.0.0.1:8443/tls/z host=127.0.0.1:8443",
        ),
    ];
    for (args, version, seen) in cases {
        let (v, body) = curl(&s, args);
        assert_eq!(&v, version, "{args:?}: {body}");
        assert_eq!(body.trim_end(), *seen, "{args:?}");
    }
    // `option disable-h2-upgrade`: the preface is not taken for HTTP/2 (an HTTP/1 request
    // that is not valid), HTTP/1.1 still served.
    let out = s.ns.exec(
        "curl",
        &[
            "-sS",
            "--max-time",
            "5",
            "--http2-prior-knowledge",
            "http://127.0.0.1:8084/x",
        ],
    );
    assert!(
        !out.status.success(),
        "prior knowledge served despite disable-h2-upgrade"
    );
    let (v, body) = curl(&s, &["http://127.0.0.1:8084/x"]);
    assert_eq!(
        (v.as_str(), body.trim_end()),
        ("1.1", "be-h1 v=1.1 url=/x host=127.0.0.1:8084")
    );
    // h2load: many streams per connection, over TLS and in clear text.
    for (url, c, m) in [
        ("https://127.0.0.1:8443/h2/load", "10", "10"),
        ("https://127.0.0.1:8443/load", "4", "50"),
        ("http://127.0.0.1:8080/tls/load", "4", "50"),
    ] {
        let out =
            s.ns.exec("h2load", &["-n", "3000", "-c", c, "-m", m, "-T", "20", url]);
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(
            text.contains("3000 succeeded, 0 failed, 0 errored"),
            "h2load {url} -c {c} -m {m}:\n{text}\n{}",
            s.proxyd_log()
        );
        assert!(text.contains("3000 2xx"), "{text}");
    }
    // `tune.h2.max-concurrent-streams 50` is what proxyd's SETTINGS say.
    let out =
        s.ns.exec("nghttp", &["-nv", "http://127.0.0.1:8082/h2/settings"]);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        text.contains("SETTINGS_MAX_CONCURRENT_STREAMS(0x03):50"),
        "{text}"
    );
    assert!(!s.proxyd_log().contains("panic"), "{}", s.proxyd_log());
    drop(s.proxyd);
}

/// An HTTP/2 server answering like a gRPC service: the request body back, the request's
/// trailer echoed in the response's trailers with `grpc-status: 0`.
async fn grpc_echo(
    req: hyper::Request<Incoming>,
) -> Result<hyper::Response<http_body_util::combinators::BoxBody<Bytes, hyper::Error>>, hyper::Error>
{
    let te = req
        .headers()
        .get("te")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).to_string())
        .unwrap_or_default();
    let version = format!("{:?}", req.version());
    let collected = req.into_body().collect().await?;
    let req_trailers = collected.trailers().cloned().unwrap_or_default();
    let data = collected.to_bytes();
    let mut t = http::HeaderMap::new();
    t.insert("grpc-status", http::HeaderValue::from_static("0"));
    if let Some(v) = req_trailers.get("x-req-trailer") {
        t.insert("x-echo-trailer", v.clone());
    }
    let body = Full::new(data)
        .map_err(|never| match never {})
        .with_trailers(async move { Some(Ok(t)) })
        .boxed();
    Ok(hyper::Response::builder()
        .header("content-type", "application/grpc")
        .header("x-te", te)
        .header("x-version", version)
        .body(body)
        .unwrap())
}

#[test]
fn grpc_style_trailers_pass_both_ways() {
    let Some(s) = setup("h2-grpc") else {
        return;
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let listener = s.ns.listen_tcp("127.0.0.1:9004");
    listener.set_nonblocking(true).unwrap();
    rt.block_on(async {
        let listener = tokio::net::TcpListener::from_std(listener).unwrap();
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(sock), hyper::service::service_fn(grpc_echo))
                        .await;
                });
            }
        });
        // The clear bind without `proto` (the preface) and the `proto h2` one.
        for port in [8080, 8082] {
            let mut sender = s.h2_client::<Frames>(port).await;
            // Three messages, then the request's trailers.
            let mut trailers = http::HeaderMap::new();
            trailers.insert("x-req-trailer", http::HeaderValue::from_static("abc"));
            let body = Frames(
                [
                    Frame::data(Bytes::from_static(b"\0\0\0\0\x03one")),
                    Frame::data(Bytes::from_static(b"\0\0\0\0\x03two")),
                    Frame::data(Bytes::from(vec![7u8; 100_000])),
                    Frame::trailers(trailers),
                ]
                .into(),
            );
            let req = hyper::Request::builder()
                .method("POST")
                .uri(format!("http://127.0.0.1:{port}/grpc/echo.Echo/Say"))
                .header("content-type", "application/grpc")
                .header("te", "trailers")
                .body(body)
                .unwrap();
            let resp = tokio::time::timeout(Duration::from_secs(10), sender.send_request(req))
                .await
                .expect("response in time")
                .unwrap_or_else(|e| panic!("port {port}: {e}\n{}", s.proxyd_log()));
            assert_eq!(resp.status(), 200);
            assert_eq!(
                resp.headers()["x-te"],
                "trailers",
                "te: trailers reached the server"
            );
            assert_eq!(resp.headers()["x-version"], "HTTP/2.0");
            let got = resp.into_body().collect().await.unwrap();
            let t = got.trailers().cloned().expect("response trailers");
            assert_eq!(t["grpc-status"], "0");
            assert_eq!(
                t["x-echo-trailer"], "abc",
                "the request's trailers reached the server"
            );
            let data = got.to_bytes();
            assert_eq!(data.len(), 16 + 100_000);
            assert_eq!(&data[..16], b"\0\0\0\0\x03one\0\0\0\0\x03two");
        }
        // Four 1 MiB uploads at once on one connection, each echoed whole: far more than
        // the stream and connection windows, so every byte taken must be given back to the
        // client's windows (and the echo's to proxyd's) or the exchange stalls.
        let sender = s.h2_client::<Frames>(8082).await;
        let uploads: Vec<_> = (0..4u8)
            .map(|i| {
                let mut sender = sender.clone();
                tokio::spawn(async move {
                    let body = Frames(
                        (0..16)
                            .map(|_| Frame::data(Bytes::from(vec![i; 65_536])))
                            .collect(),
                    );
                    let req = hyper::Request::builder()
                        .method("POST")
                        .uri("http://127.0.0.1:8082/grpc/upload")
                        .body(body)
                        .unwrap();
                    let resp = sender.send_request(req).await.map_err(|e| e.to_string())?;
                    let data = resp
                        .into_body()
                        .collect()
                        .await
                        .map_err(|e| e.to_string())?
                        .to_bytes();
                    Ok::<_, String>((data.len(), data.iter().all(|b| *b == i)))
                })
            })
            .collect();
        for up in uploads {
            let r = tokio::time::timeout(Duration::from_secs(20), up)
                .await
                .unwrap_or_else(|_| panic!("uploads stalled\n{}", s.proxyd_log()))
                .unwrap();
            assert_eq!(r, Ok((1 << 20, true)), "{}", s.proxyd_log());
        }
    });
    drop(s.proxyd);
}

/// A request body of frames given in advance (data, then trailers).
struct Frames(std::collections::VecDeque<Frame<Bytes>>);

impl hyper::body::Body for Frames {
    type Data = Bytes;
    type Error = std::convert::Infallible;
    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        std::task::Poll::Ready(self.0.pop_front().map(Ok))
    }
}

/// A proxy in front of the test's own HTTP/2 server (`counting_server`): one `proto h2`
/// bind, one `proto h2` server.
const OWN_SERVER: &str = "\
global
  hard-stop-after 30s
defaults
  mode http
  timeout client 10s
  timeout server TSERVER
  timeout connect 2s
frontend f
  bind 127.0.0.1:PORT proto h2
  default_backend own
backend own
  server s 127.0.0.1:9005 proto h2
";

impl Setup {
    /// `prog` (proxyd or haproxy) on `text` in the namespace, listening on `port`; its
    /// log file.
    fn own_proxy(&self, prog: &str, tag: &str, text: &str, port: u16) -> (Daemon, PathBuf) {
        let cfg = self.dir.join(format!("{tag}.cfg"));
        std::fs::write(&cfg, text).unwrap();
        let log = self.dir.join(format!("{tag}.log"));
        let proxy = self
            .ns
            .spawn(prog, &["-db", "-f", &cfg.to_string_lossy()], &log);
        assert!(
            wait_for(10.0, || self.listening(port)).is_some(),
            "{tag}: not listening"
        );
        (proxy, log)
    }

    /// An HTTP/2 client connection (prior knowledge) to `port` in the namespace.
    async fn h2_client<B>(&self, port: u16) -> hyper::client::conn::http2::SendRequest<B>
    where
        B: hyper::body::Body + Send + Unpin + 'static,
        B::Data: Send,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let sock = self.ns.connect_tcp(&format!("127.0.0.1:{port}")).unwrap();
        sock.set_nonblocking(true).unwrap();
        let sock = tokio::net::TcpStream::from_std(sock).unwrap();
        let (sender, conn) =
            hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(sock))
                .await
                .unwrap();
        tokio::spawn(conn);
        sender
    }
}

/// A GET for `path` through the proxy on `port`.
fn get(port: u16, path: &str) -> hyper::Request<Empty<Bytes>> {
    hyper::Request::builder()
        .uri(format!("http://127.0.0.1:{port}{path}"))
        .body(Empty::<Bytes>::new())
        .unwrap()
}

/// What the client of one HTTP/2 connection saw through a soft stop.
struct ThroughStop {
    /// Quick requests answered 200.
    ok: u64,
    /// Quick requests that failed, and the first failure's text.
    failed: u64,
    first_failure: String,
    /// A failure came before the stop was asked for.
    failed_before_stop: bool,
    /// The slow request in flight at the stop: its status and body.
    slow: Result<(u16, Bytes), String>,
    /// Seconds from the stop to the proxy's exit (None: still running after 6 s).
    exited_after: Option<f64>,
}

/// One HTTP/2 connection kept busy (a request every 5 ms, and one 1.5 s request in
/// flight) while `proxy` is sent SIGUSR1.
async fn busy_through_soft_stop(s: &Setup, proxy: &mut Daemon, port: u16) -> ThroughStop {
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use std::sync::Arc;
    let sender = s.h2_client(port).await;
    let get = move |path: &str| get(port, path);
    let answer = |sender: &mut hyper::client::conn::http2::SendRequest<_>, req| {
        let sent = sender.send_request(req);
        async move {
            let resp = sent.await.map_err(|e| format!("{e:?}"))?;
            let status = resp.status().as_u16();
            let body = resp
                .into_body()
                .collect()
                .await
                .map_err(|e| format!("{e:?}"))?
                .to_bytes();
            Ok::<_, String>((status, body))
        }
    };
    let stopped = Arc::new(AtomicBool::new(false));
    let (ok, failed) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let mut slow_sender = sender.clone();
    let slow = tokio::spawn(answer(&mut slow_sender, get("/slow")));
    let quick = {
        let (stopped, ok, failed) = (stopped.clone(), ok.clone(), failed.clone());
        let mut sender = sender.clone();
        tokio::spawn(async move {
            let (mut first, mut before) = (String::new(), false);
            // Bounded: 15 s at most.
            for _ in 0..3000 {
                match answer(&mut sender, get("/quick")).await {
                    Ok((200, _)) => {
                        ok.fetch_add(1, Ordering::Relaxed);
                    }
                    other => {
                        failed.fetch_add(1, Ordering::Relaxed);
                        first = format!("{other:?}");
                        before = !stopped.load(Ordering::Relaxed);
                        break;
                    }
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            (first, before)
        })
    };
    drop(sender);
    tokio::time::sleep(Duration::from_millis(400)).await;
    stopped.store(true, Ordering::Relaxed);
    // End-to-end: real time.
    #[allow(clippy::disallowed_methods)]
    let t0 = std::time::Instant::now();
    proxy.signal("USR1");
    let mut exited_after = None;
    while t0.elapsed() < Duration::from_secs(6) {
        if proxy.wait_exit(0.02) {
            exited_after = Some(t0.elapsed().as_secs_f64());
            break;
        }
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    let slow = slow.await.unwrap();
    let (first_failure, failed_before_stop) = quick.await.unwrap();
    ThroughStop {
        ok: ok.load(Ordering::Relaxed),
        failed: failed.load(Ordering::Relaxed),
        first_failure,
        failed_before_stop,
        slow,
        exited_after,
    }
}

/// The test's own HTTP/2 server: `/slow` answers after 1.5 s, `/stuck` after 20 s,
/// anything else at once; it counts the quick requests it received.
async fn counting_server(
    listener: tokio::net::TcpListener,
    quick: std::sync::Arc<std::sync::atomic::AtomicU64>,
) {
    while let Ok((sock, _)) = listener.accept().await {
        let quick = quick.clone();
        tokio::spawn(async move {
            let svc = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
                let quick = quick.clone();
                async move {
                    if req.uri().path() == "/slow" {
                        tokio::time::sleep(Duration::from_millis(1500)).await;
                    } else if req.uri().path() == "/stuck" {
                        tokio::time::sleep(Duration::from_secs(20)).await;
                    } else {
                        quick.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                    Ok::<_, std::convert::Infallible>(hyper::Response::new(Full::new(
                        Bytes::from_static(b"answered"),
                    )))
                }
            });
            let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(sock), svc)
                .await;
        });
    }
}

/// Soft stop (SIGUSR1, what an old process gets at a reload) with an HTTP/2 connection
/// that never goes quiet: the proxy says GOAWAY, the request in flight is answered,
/// later ones are refused before any server sees them (a client sends them again on a
/// new connection), and the process ends at once instead of at `hard-stop-after`.
/// HAProxy 2.6 goes through the same with the same configuration.
#[test]
fn a_soft_stop_sends_goaway_on_busy_h2_connections() {
    use std::sync::atomic::{AtomicU64, Ordering};
    let Some(s) = setup("h2-stop") else {
        return;
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let listener = s.ns.listen_tcp("127.0.0.1:9005");
    listener.set_nonblocking(true).unwrap();
    let quick = std::sync::Arc::new(AtomicU64::new(0));
    rt.block_on(async {
        let listener = tokio::net::TcpListener::from_std(listener).unwrap();
        tokio::spawn(counting_server(listener, quick.clone()));
        for (name, prog, port) in [
            ("proxyd", binary("proxyd").to_string_lossy().to_string(), 8090),
            ("haproxy", "haproxy".to_string(), 8091),
        ] {
            let text = OWN_SERVER
                .replace("PORT", &port.to_string())
                .replace("TSERVER", "10s");
            let (mut proxy, log) = s.own_proxy(&prog, &format!("{name}-stop"), &text, port);
            let before = quick.load(Ordering::Relaxed);
            let t = busy_through_soft_stop(&s, &mut proxy, port).await;
            let served = quick.load(Ordering::Relaxed) - before;
            let log = std::fs::read_to_string(&log).unwrap_or_default();
            eprintln!(
                "{name}: {} quick requests answered, {} refused ({}), slow one {:?}, exited {:?} s after SIGUSR1",
                t.ok, t.failed, t.first_failure, t.slow, t.exited_after
            );
            assert!(
                t.ok >= 20,
                "{name}: the connection was not kept busy ({} requests)",
                t.ok
            );
            assert!(!t.failed_before_stop, "{name}: {}\n{log}", t.first_failure);
            match &t.slow {
                Ok((200, body)) => assert_eq!(&body[..], b"answered"),
                other => panic!("{name}: the request in flight at the stop got {other:?}\n{log}"),
            }
            assert_eq!(
                t.failed, 1,
                "{name}: the client's connection was never closed: no GOAWAY?\n{log}"
            );
            assert_eq!(
                served, t.ok,
                "{name}: a refused request reached the server (or an answered one did not)"
            );
            let after = t.exited_after.unwrap_or_else(|| {
                panic!("{name} still running 6 s after SIGUSR1 (hard-stop-after is 30 s)\n{log}")
            });
            assert!(after < 3.0, "{name} took {after} s to stop");
        }
    });
    drop(s.proxyd);
}

/// `timeout server` on an HTTP/2 server connection shared by many requests counts each
/// request's own wait: a request the server never answers gets 504 after `timeout server`
/// although other requests keep the connection busy, as with HAProxy.
#[test]
fn timeout_server_counts_each_stream_on_a_shared_h2_server_connection() {
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use std::sync::Arc;
    let Some(s) = setup("h2-stream-timeout") else {
        return;
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let listener = s.ns.listen_tcp("127.0.0.1:9005");
    listener.set_nonblocking(true).unwrap();
    let quick = Arc::new(AtomicU64::new(0));
    rt.block_on(async {
        let listener = tokio::net::TcpListener::from_std(listener).unwrap();
        tokio::spawn(counting_server(listener, quick.clone()));
        for (name, prog, port) in [
            ("proxyd", binary("proxyd").to_string_lossy().to_string(), 8092),
            ("haproxy", "haproxy".to_string(), 8093),
        ] {
            let text = OWN_SERVER
                .replace("PORT", &port.to_string())
                .replace("TSERVER", "1s");
            let (_proxy, log) = s.own_proxy(&prog, &format!("{name}-timeout"), &text, port);
            let sender = s.h2_client(port).await;
            let get = move |path: &str| get(port, path);
            // Requests every 10 ms on the same connections meanwhile (bounded: 6 s).
            let done = Arc::new(AtomicBool::new(false));
            let busy = {
                let (done, mut sender) = (done.clone(), sender.clone());
                tokio::spawn(async move {
                    let (mut ok, mut failed) = (0u64, 0u64);
                    for _ in 0..600 {
                        if done.load(Ordering::Relaxed) {
                            break;
                        }
                        match sender.send_request(get("/quick")).await {
                            Ok(r) if r.status() == 200 => ok += 1,
                            _ => failed += 1,
                        }
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                    (ok, failed)
                })
            };
            tokio::time::sleep(Duration::from_millis(200)).await;
            // End-to-end: real time.
            #[allow(clippy::disallowed_methods)]
            let t0 = std::time::Instant::now();
            let mut stuck_sender = sender.clone();
            let stuck = tokio::time::timeout(
                Duration::from_secs(8),
                stuck_sender.send_request(get("/stuck")),
            )
            .await;
            let took = t0.elapsed().as_secs_f64();
            done.store(true, Ordering::Relaxed);
            let (ok, failed) = busy.await.unwrap();
            let log = std::fs::read_to_string(&log).unwrap_or_default();
            eprintln!(
                "{name}: the unanswered request got {:?} after {took:.2} s; {ok} others answered, {failed} failed meanwhile",
                stuck.as_ref().map(|r| r.as_ref().map(|r| r.status().as_u16()))
            );
            let status = match stuck {
                Ok(Ok(r)) => r.status().as_u16(),
                other => panic!("{name}: no answer to the unanswered request: {other:?}\n{log}"),
            };
            assert_eq!(status, 504, "{name}\n{log}");
            assert!(
                (0.9..3.0).contains(&took),
                "{name}: 504 after {took} s with timeout server 1s"
            );
            assert!(ok >= 50 && failed == 0, "{name}: {ok} answered, {failed} failed");
        }
    });
    drop(s.proxyd);
}

/// A server of both HTTP versions on one port (HTTP/2 by its preface) that takes
/// WebSockets either way: an HTTP/1.1 handshake (answered 101, for RFC 6455's example key
/// only) or an RFC 8441 extended CONNECT (answered 200); it says which in `x-via` and
/// sends back whatever bytes come through the tunnel.
async fn ws_echo_server(listener: tokio::net::TcpListener) {
    while let Ok((sock, _)) = listener.accept().await {
        tokio::spawn(async move {
            let svc = hyper::service::service_fn(|mut req: hyper::Request<Incoming>| async move {
                let h2 = req.method() == http::Method::CONNECT
                    && req
                        .extensions()
                        .get::<hyper::ext::Protocol>()
                        .is_some_and(|p| p.as_str() == "websocket");
                let h1 = req.method() == http::Method::GET
                    && req
                        .headers()
                        .get("upgrade")
                        .is_some_and(|v| v == "websocket")
                    && req
                        .headers()
                        .get("sec-websocket-key")
                        .is_some_and(|v| v == "dGhlIHNhbXBsZSBub25jZQ==");
                let mut resp = hyper::Response::new(Full::new(Bytes::new()));
                if !(h1 || h2) {
                    *resp.status_mut() = http::StatusCode::NOT_FOUND;
                    return Ok::<_, std::convert::Infallible>(resp);
                }
                let h = resp.headers_mut();
                h.insert(
                    "x-path",
                    http::HeaderValue::from_str(req.uri().path()).unwrap(),
                );
                h.insert(
                    "x-via",
                    http::HeaderValue::from_static(if h1 { "h1" } else { "h2" }),
                );
                if h1 {
                    h.insert("upgrade", http::HeaderValue::from_static("websocket"));
                    h.insert("connection", http::HeaderValue::from_static("Upgrade"));
                    h.insert(
                        "sec-websocket-accept",
                        http::HeaderValue::from_static("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
                    );
                    *resp.status_mut() = http::StatusCode::SWITCHING_PROTOCOLS;
                }
                let up = hyper::upgrade::on(&mut req);
                tokio::spawn(async move {
                    if let Ok(up) = up.await {
                        let mut io = TokioIo::new(up);
                        let mut buf = [0u8; 1024];
                        use tokio::io::{AsyncReadExt, AsyncWriteExt};
                        while let Ok(n) = io.read(&mut buf).await {
                            if n == 0 || io.write_all(&buf[..n]).await.is_err() {
                                break;
                            }
                        }
                    }
                });
                Ok(resp)
            });
            let mut b = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
            b.http2().enable_connect_protocol();
            let _ = b
                .serve_connection_with_upgrades(TokioIo::new(sock), svc)
                .await;
        });
    }
}

/// A WebSocket from an HTTP/1.1 client to a `proto h2` server: the proxy sends it as an
/// extended CONNECT (RFC 8441, HAProxy's `ws auto`), answers the client 101 with the
/// `Sec-WebSocket-Accept` its key asks for, and the bytes pass both ways; with `ws h1`
/// it goes as an HTTP/1.1 handshake on a connection of its own. proxyd and HAProxy side
/// by side.
#[test]
fn a_websocket_reaches_an_h2_server_as_an_extended_connect() {
    use std::io::{BufRead, BufReader, Read, Write};
    let Some(s) = setup("h2-ws") else {
        return;
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let listener = s.ns.listen_tcp("127.0.0.1:9006");
    listener.set_nonblocking(true).unwrap();
    rt.spawn(async move {
        let listener = tokio::net::TcpListener::from_std(listener).unwrap();
        ws_echo_server(listener).await;
    });
    let proxyd = binary("proxyd").to_string_lossy().to_string();
    for (name, prog, port, ws, via) in [
        ("proxyd", proxyd.as_str(), 8094, "", "h2"),
        ("haproxy", "haproxy", 8095, "", "h2"),
        ("proxyd", proxyd.as_str(), 8096, " ws h1", "h1"),
        ("haproxy", "haproxy", 8097, " ws h1", "h1"),
    ] {
        let text = OWN_SERVER
            .replace("PORT proto h2", &port.to_string())
            .replace("9005 proto h2", &format!("9006 proto h2{ws}"))
            .replace("TSERVER", "10s");
        let (_proxy, log) = s.own_proxy(prog, &format!("{name}-ws{port}"), &text, port);
        let sock = s.ns.connect_tcp(&format!("127.0.0.1:{port}")).unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut w = sock.try_clone().unwrap();
        // RFC 6455's own example key: its accept value is known.
        write!(
            w,
            "GET /chat HTTP/1.1\r\nHost: ws.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        .unwrap();
        let mut r = BufReader::new(sock);
        let mut head = Vec::new();
        loop {
            let mut line = String::new();
            if r.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                break;
            }
            head.push(line.trim_end().to_ascii_lowercase());
        }
        let log_text = || std::fs::read_to_string(&log).unwrap_or_default();
        eprintln!("{name}{ws}: {head:?}");
        assert!(
            head.first().is_some_and(|l| l.starts_with("http/1.1 101")),
            "{name}{ws}: {head:?}\n{}",
            log_text()
        );
        for want in [
            "upgrade: websocket",
            "sec-websocket-accept: s3pplmbitxaq9kygzzhzrbk+xoo=",
            "x-path: /chat",
            &format!("x-via: {via}"),
        ] {
            assert!(
                head.iter().any(|l| l == want),
                "{name}{ws}: no {want:?} in {head:?}"
            );
        }
        let msg = b"\x81\x05hello, through the tunnel";
        w.write_all(msg).unwrap();
        let mut back = vec![0u8; msg.len()];
        r.read_exact(&mut back)
            .unwrap_or_else(|e| panic!("{name}{ws}: echo: {e}\n{}", log_text()));
        assert_eq!(&back[..], &msg[..], "{name}{ws}");
    }
    drop(s.proxyd);
}
