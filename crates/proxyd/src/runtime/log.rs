//! proxyd's own messages on stderr (server state changes, errors), HAProxy-worded, and
//! the `log` targets of the configuration: each line framed as its target's syslog
//! format asks and sent without ever waiting. A target that cannot take a line at once
//! (a full socket buffer, a stalled stdout reader) loses it, and the loss is counted.

use super::logline::LogPlan;
use super::PlanError;
use haproxy_conf::logging::{LogAddr, LogSink};
use haproxy_conf::model::{Config, LogTarget, Proxy};
use proxy_core::log::{self as plog, Origin, Stamp};
use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, SyncSender, TrySendError};
use std::sync::{Arc, OnceLock, RwLock};

/// The log targets of each proxy, for proxyd's own messages about it (a server going
/// DOWN goes to its backend's targets, as HAProxy sends it). Set once the plan is built.
static EVENTS: RwLock<Option<Arc<HashMap<String, LogPlan>>>> = RwLock::new(None);

/// Every proxy's targets for its messages; proxies logging to the same target share one
/// socket.
pub fn event_targets(cfg: &Config) -> Result<HashMap<String, LogPlan>, PlanError> {
    let mut opened: Vec<(LogSink, Arc<Sink>)> = Vec::new();
    let mut open = |spec: &LogSink| -> Result<Arc<Sink>, String> {
        if let Some((_, s)) = opened.iter().find(|(o, _)| o == spec) {
            return Ok(s.clone());
        }
        let s = Arc::new(Sink::open(spec)?);
        opened.push((spec.clone(), s.clone()));
        Ok(s)
    };
    let mut out = HashMap::new();
    for p in &cfg.proxies {
        if let Some(plan) = LogPlan::with_sinks(p, cfg, &mut open)? {
            out.insert(p.name.clone(), plan);
        }
    }
    Ok(out)
}

/// From now on, messages about a proxy also go to its log targets.
pub fn set_event_targets(targets: HashMap<String, LogPlan>) {
    if let Ok(mut e) = EVENTS.write() {
        *e = Some(Arc::new(targets));
    }
}

/// Route proxyd's own messages (`tracing` events) from now on: stderr always, and the
/// log targets of the proxy an event names.
pub fn install() {
    daemon_log::install(daemon_log::Lines::new(tracing::Level::INFO, output));
}

/// HAProxy's console tag for a level, padded as it pads them.
fn console_tag(level: &tracing::Level) -> &'static str {
    match *level {
        tracing::Level::ERROR => "[ALERT]    ",
        tracing::Level::WARN => "[WARNING]  ",
        tracing::Level::INFO => "[NOTICE]   ",
        _ => "[DEBUG]    ",
    }
}

fn output(line: &daemon_log::Line) {
    // One write per line: lines of several threads do not interleave.
    let text = format!(
        "{}({}) : {}\n",
        console_tag(&line.level),
        pid(),
        line.message
    );
    let _ = std::io::stderr().write_all(text.as_bytes());
    let Some(proxy) = &line.proxy else {
        return;
    };
    let targets = EVENTS.read().ok().and_then(|e| e.clone());
    if let Some(plan) = targets.as_ref().and_then(|t| t.get(proxy)) {
        plan.send(line.severity.code(), line.message.as_bytes());
    }
}

/// The host name (`%H`, the `hostname` fetch), read once.
pub fn hostname() -> String {
    static NAME: OnceLock<String> = OnceLock::new();
    NAME.get_or_init(|| {
        nix::unistd::gethostname()
            .ok()
            .and_then(|h| h.into_string().ok())
            .unwrap_or_default()
    })
    .clone()
}

/// Our pid, read once: the first log line comes after `-D` forked, and proxyd does not
/// fork again, while a `getpid` per log line cost a system call per request.
pub fn pid() -> u32 {
    static PID: OnceLock<u32> = OnceLock::new();
    *PID.get_or_init(std::process::id)
}

/// Lines a target could not take (full buffers, unreachable syslog), all targets.
pub static DROPPED: AtomicU64 = AtomicU64::new(0);

/// Where one target's bytes go.
enum Io {
    /// Connected when a route exists at start (the kernel keeps the route then); else
    /// sent to the address each time: a target without a route yet costs lost lines,
    /// not a refused start (HAProxy starts too).
    Udp(std::net::UdpSocket, Option<std::net::SocketAddr>),
    /// Sent to the path each time (the socket may live in a chroot, or be recreated by a
    /// restarted syslog daemon).
    Unix(std::os::unix::net::UnixDatagram, std::path::PathBuf),
    /// stdout, stderr or an inherited descriptor: written by a thread of their own, fed
    /// through a bounded queue.
    Queue(SyncSender<Vec<u8>>),
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// One `log` target, ready to send.
pub struct Sink {
    pub spec: LogSink,
    io: Io,
    offered: AtomicU64,
}

impl std::fmt::Debug for Sink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sink({:?})", self.spec)
    }
}

/// A writer thread for a stream target; lines wait at most 4096 deep.
fn queue(mut out: Box<dyn Write + Send>) -> SyncSender<Vec<u8>> {
    let (tx, rx) = sync_channel::<Vec<u8>>(4096);
    std::thread::spawn(move || {
        for line in rx {
            if out.write_all(&line).is_err() {
                DROPPED.fetch_add(1, Ordering::Relaxed);
            }
        }
    });
    tx
}

impl Sink {
    /// Open a target (resolving its address): done when the plan is built, before any
    /// chroot.
    pub fn open(spec: &LogSink) -> Result<Sink, String> {
        let io = match &spec.addr {
            LogAddr::Udp { host, port } => {
                use std::net::ToSocketAddrs;
                let to = (host.as_str(), *port)
                    .to_socket_addrs()
                    .map_err(|e| format!("log target {host}:{port}: {e}"))?
                    .next()
                    .ok_or_else(|| format!("log target {host}:{port} does not resolve"))?;
                let local: std::net::SocketAddr = if to.is_ipv4() {
                    ([0, 0, 0, 0], 0).into()
                } else {
                    (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
                };
                let s = std::net::UdpSocket::bind(local)
                    .and_then(|s| s.set_nonblocking(true).map(|_| s))
                    .map_err(|e| format!("log target {to}: {e}"))?;
                let unconnected = s.connect(to).is_err().then_some(to);
                Io::Udp(s, unconnected)
            }
            LogAddr::Unix(path) => {
                let s = std::os::unix::net::UnixDatagram::unbound()
                    .and_then(|s| s.set_nonblocking(true).map(|_| s))
                    .map_err(|e| format!("log target {path}: {e}"))?;
                Io::Unix(s, path.into())
            }
            LogAddr::Stdout => Io::Queue(queue(Box::new(std::io::stdout()))),
            LogAddr::Stderr => Io::Queue(queue(Box::new(std::io::stderr()))),
            LogAddr::Fd(n) => {
                let fd =
                    super::listen::inherit(*n).map_err(|e| format!("log target fd@{n}: {e}"))?;
                Io::Queue(queue(Box::new(std::fs::File::from(fd))))
            }
        };
        Ok(Sink {
            spec: spec.clone(),
            io,
            offered: AtomicU64::new(0),
        })
    }

    /// Frame and send a line, or count it lost.
    pub fn send(&self, level: u8, at: Stamp, o: Origin<'_>, msg: &[u8]) {
        let n = self.offered.fetch_add(1, Ordering::Relaxed);
        let Some(level) = plog::level_for(&self.spec, level, n) else {
            return;
        };
        let ok = match &self.io {
            Io::Queue(tx) => match tx.try_send(plog::frame(&self.spec, level, at, o, msg)) {
                Ok(()) => true,
                Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => false,
            },
            // A datagram is sent at once: framed in this thread's buffer, no allocation
            // per line.
            io => SCRATCH.with(|b| {
                let Ok(mut line) = b.try_borrow_mut() else {
                    return false;
                };
                plog::frame_into(&mut line, &self.spec, level, at, o, msg);
                match io {
                    Io::Udp(s, None) => s.send(&line).is_ok(),
                    Io::Udp(s, Some(to)) => s.send_to(&line, to).is_ok(),
                    Io::Unix(s, path) => s.send_to(&line, path).is_ok(),
                    Io::Queue(_) => false,
                }
            }),
        };
        if !ok {
            DROPPED.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// The targets a proxy's lines go to: its own `log` lines, `log global` standing for the
/// global section's.
pub fn targets(p: &Proxy, cfg: &Config) -> Vec<LogSink> {
    let mut out = Vec::new();
    for t in &p.log {
        match t {
            LogTarget::Global => {
                for g in &cfg.global.log {
                    if let LogTarget::Target(s) = g {
                        out.push(s.clone());
                    }
                }
            }
            LogTarget::Target(s) => out.push(s.clone()),
        }
    }
    out
}
