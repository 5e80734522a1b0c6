//! The data plane: listeners for every frontend and listen section, TCP sessions to the
//! backends' servers, health checks. This build runs `mode tcp`; a configuration it
//! cannot run faithfully (HTTP mode, content rules, stick tables) is refused at start
//! with the reason, never run half-way.

mod acls;
mod backend;
mod clock;
mod errorfiles;
mod frontend;
mod http;
mod idle;
mod inspect;
mod listen;
mod log;
mod metered;
mod rules;
mod splice;
mod stats;
mod tcp;
mod tls;

use crate::cli::Args;
use anyhow::Context;
use backend::BackendRt;
use clock::Clock;
use frontend::FrontendRt;
use haproxy_conf::model::{Cap, Config, Mode, Proxy};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::signal::unix::{signal, SignalKind};

/// HAProxy's built-in default when neither `maxconn` nor -n is given.
const DEFAULT_MAXCONN: usize = 4096;

/// What this build cannot run yet, per proxy: each is a reason to refuse the config.
fn unsupported(p: &Proxy) -> Vec<String> {
    let mut out = Vec::new();
    if !p.kind.has(Cap::Backend) && !p.stick_rules.is_empty() {
        out.push(format!(
            "{} {}: stick rules in a frontend are not run by this build yet",
            p.kind.keyword(),
            p.name
        ));
    }
    for s in p.servers.iter().filter(|s| s.opts.ssl) {
        out.push(format!(
            "{} {}: server {}: `ssl` towards servers is not run by this build yet",
            p.kind.keyword(),
            p.name,
            s.name
        ));
    }
    for s in p
        .servers
        .iter()
        .filter(|s| s.opts.check_ssl && s.opts.verify.as_deref() != Some("none"))
    {
        out.push(format!(
            "{} {}: server {}: `check-ssl` verifies the certificate by default, which this build cannot do yet; add `verify none` if that is what you want",
            p.kind.keyword(),
            p.name,
            s.name
        ));
    }
    out
}

/// What runs: each frontend with the addresses it listens on, and the backends.
/// One listening address, its backlog and, for `bind ... ssl`, its TLS acceptor.
type Listener = (
    std::net::SocketAddr,
    usize,
    Option<tokio_rustls::TlsAcceptor>,
);

struct Plan {
    frontends: Vec<(Arc<FrontendRt>, Vec<Listener>)>,
    backends: Vec<Arc<BackendRt>>,
    /// `user` / `group` (or uid/gid) to switch to once the ports are bound.
    run_as: Option<(nix::unistd::Uid, nix::unistd::Gid)>,
    /// `chroot`: the directory to lock the process into once the ports are bound.
    chroot: Option<String>,
}

/// The identity `global` asks for, resolved now so a missing user stops the start.
fn run_as(cfg: &Config) -> Result<Option<(nix::unistd::Uid, nix::unistd::Gid)>, String> {
    use nix::unistd::{Gid, Group, Uid, User};
    let g = &cfg.global;
    let user = match (&g.user, g.uid) {
        (Some(name), _) => Some(
            User::from_name(name)
                .ok()
                .flatten()
                .ok_or_else(|| format!("global: user `{name}` does not exist"))?,
        ),
        (None, Some(uid)) => User::from_uid(Uid::from_raw(uid)).ok().flatten(),
        (None, None) => None,
    };
    let gid = match (&g.group, g.gid) {
        (Some(name), _) => Some(
            Group::from_name(name)
                .ok()
                .flatten()
                .ok_or_else(|| format!("global: group `{name}` does not exist"))?
                .gid,
        ),
        (None, Some(gid)) => Some(Gid::from_raw(gid)),
        (None, None) => user.as_ref().map(|u| u.gid),
    };
    Ok(match (user, g.uid) {
        (Some(u), _) => Some((u.uid, gid.unwrap_or(u.gid))),
        (None, Some(uid)) => Some((Uid::from_raw(uid), gid.unwrap_or(Gid::from_raw(uid)))),
        (None, None) => None,
    })
}

/// Lock into `chroot` and drop root for the configured user and group (only when
/// running as root, as HAProxy).
fn drop_privileges(
    ids: Option<(nix::unistd::Uid, nix::unistd::Gid)>,
    chroot: Option<&str>,
) -> anyhow::Result<()> {
    if !nix::unistd::Uid::effective().is_root() {
        return Ok(());
    }
    if let Some(dir) = chroot {
        nix::unistd::chroot(dir).with_context(|| format!("chroot {dir}"))?;
        nix::unistd::chdir("/").context("chdir / in the chroot")?;
    }
    let Some((uid, gid)) = ids else {
        return Ok(());
    };
    nix::unistd::setgroups(&[gid]).context("setgroups")?;
    nix::unistd::setgid(gid).context("setgid")?;
    nix::unistd::setuid(uid).context("setuid")?;
    Ok(())
}

/// Configured features that do not act yet and do not guard access or steer traffic:
/// said once at start, so nobody relies on them unknowingly.
fn notices(cfg: &Config) -> Vec<String> {
    let mut out = Vec::new();
    if !cfg.global.log.is_empty() || cfg.proxies.iter().any(|p| !p.log.is_empty()) {
        out.push("`log` targets are not used yet: proxyd reports on stderr".to_string());
    }
    if !cfg.global.stats_sockets.is_empty() {
        out.push("`stats socket` (runtime API) is not available yet".to_string());
    }
    if cfg.proxies.iter().any(|p| p.stats.admin.is_some()) {
        out.push("`stats admin` is not available yet: the page is read-only".to_string());
    }
    out
}

/// The largest message head proxyd takes: HAProxy keeps `tune.maxrewrite` (1024 bytes by
/// default, at most half the buffer) of each `tune.bufsize` buffer free for rewrites.
pub fn max_head(cfg: &Config) -> usize {
    let bufsize = cfg.global.tune_bufsize;
    let rewrite = cfg.global.tune_maxrewrite.unwrap_or(1024).min(bufsize / 2);
    bufsize.saturating_sub(rewrite) as usize
}

/// The runtime objects of a configuration, or every reason it cannot run.
fn build(cfg: &Config, maxconn: usize) -> Result<Plan, Vec<String>> {
    let mut problems = Vec::new();
    let ids = run_as(cfg).unwrap_or_else(|e| {
        problems.push(e);
        None
    });
    let mut backends = HashMap::new();
    for p in cfg
        .proxies
        .iter()
        .filter(|p| p.kind.has(Cap::Backend) && !p.disabled)
    {
        problems.extend(unsupported(p));
        match BackendRt::new(p) {
            Ok(b) => {
                backends.insert(p.name.clone(), Arc::new(b));
            }
            Err(e) => problems.push(format!("{} {}: {e}", p.kind.keyword(), p.name)),
        }
    }
    let mut frontends = Vec::new();
    for p in cfg
        .proxies
        .iter()
        .filter(|p| p.kind.has(Cap::Frontend) && !p.disabled)
    {
        if !p.kind.has(Cap::Backend) {
            problems.extend(unsupported(p));
        }
        let addrs = match listen::addresses(p) {
            Ok(a) => a,
            Err(e) => {
                problems.push(format!("{} {}: {e}", p.kind.keyword(), p.name));
                continue;
            }
        };
        let mut listeners = Vec::new();
        for (addr, bi) in addrs {
            let b = &p.binds[bi];
            let tls = if b.ssl {
                match tls::acceptor(&b.crt, cfg.global.crt_base.as_deref(), b.alpn.as_deref()) {
                    Ok(a) => Some(a),
                    Err(e) => {
                        problems.push(format!("{} {}: bind {addr}: {e}", p.kind.keyword(), p.name));
                        continue;
                    }
                }
            } else {
                None
            };
            // HAProxy: the bind's `backlog`, else the proxy's, else its maxconn.
            let backlog = b
                .backlog
                .or(p.backlog)
                .or(p.maxconn)
                .map(|v| v as usize)
                .unwrap_or(maxconn);
            listeners.push((addr, backlog, tls));
        }
        match FrontendRt::new(p, &backends, maxconn, max_head(cfg)) {
            Ok(f) => frontends.push((Arc::new(f), listeners)),
            Err(e) => problems.push(format!("{} {}: {e}", p.kind.keyword(), p.name)),
        }
    }
    // A listen section is both a frontend and a backend: say each problem once.
    let mut seen = std::collections::HashSet::new();
    problems.retain(|p| seen.insert(p.clone()));
    if problems.is_empty() {
        Ok(Plan {
            frontends,
            backends: backends.into_values().collect(),
            run_as: ids,
            chroot: cfg.global.chroot.clone(),
        })
    } else {
        Err(problems)
    }
}

pub fn run(args: &Args) -> anyhow::Result<u8> {
    let mut loaded = haproxy_conf::load(
        &args.files,
        &haproxy_conf::FsLoader,
        &crate::environment::ProcessEnv,
    );
    crate::environment::check(&loaded.config, &mut loaded.diags);
    for d in loaded.diags.iter() {
        eprintln!("proxyd: {}", conf_diag::render_line(&loaded.map, d));
    }
    if loaded.diags.has_errors() {
        eprintln!("proxyd: the configuration has errors, not starting (run proxyd -c -f FILE for details)");
        return Ok(1);
    }
    let cfg = loaded.config;
    let maxconn = args
        .maxconn
        .or(cfg.global.maxconn)
        .map(|m| m as usize)
        .unwrap_or(DEFAULT_MAXCONN);
    let plan = match build(&cfg, maxconn) {
        Ok(b) => b,
        Err(problems) => {
            for p in problems {
                eprintln!("proxyd: {p}");
            }
            eprintln!("proxyd: not starting: this build cannot run the configuration as written");
            return Ok(1);
        }
    };
    for n in notices(&cfg) {
        eprintln!("proxyd: warning: {n}");
    }
    if args.daemon || cfg.global.daemon && !args.foreground && !args.debug {
        nix::unistd::daemon(true, false).context("cannot daemonise")?;
    }
    let pidfile = args
        .pidfile
        .clone()
        .or(cfg.global.pidfile.as_ref().map(Into::into));
    if let Some(p) = &pidfile {
        std::fs::write(p, format!("{}\n", std::process::id()))
            .with_context(|| format!("pid file {}", p.display()))?;
    }
    // One thread per `nbthread`, default one per core (HAProxy's default).
    let threads = cfg.global.nbthread.map(|n| n as usize).unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    });
    // One thread: everything on this one, no work stealing between threads to pay for.
    let mut builder = if threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(threads);
        b
    };
    let rt = builder.enable_all().build()?;
    let r = rt.block_on(serve(plan, maxconn));
    if let Some(p) = &pidfile {
        let _ = std::fs::remove_file(p);
    }
    r.map(|_| 0)
}

/// Where a client connection came from and how.
#[derive(Debug, Clone)]
pub struct Conn {
    pub peer: std::net::SocketAddr,
    pub local: std::net::SocketAddr,
    /// TLS terminated here, with the SNI the client sent.
    pub tls: Option<Option<String>>,
}

/// Any client stream: plain TCP or TLS.
pub trait Stream: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static> Stream for T {}

async fn run_session<S: Stream>(s: S, conn: Conn, fe: Arc<FrontendRt>, clock: Clock) {
    match fe.mode {
        Mode::Tcp => tcp::session(s, conn, fe, clock).await,
        Mode::Http => http::session(s, conn, fe, clock).await,
    }
}

async fn serve(plan: Plan, maxconn: usize) -> anyhow::Result<()> {
    let Plan {
        frontends,
        backends,
        run_as,
        chroot,
    } = plan;
    let clock = Clock::new();
    // Global maxconn: no more sessions than this at once, whatever the frontends allow.
    let global = Arc::new(tokio::sync::Semaphore::new(maxconn.max(1)));
    let mut listeners = Vec::new();
    for (fe, addrs) in &frontends {
        for (a, backlog, tls) in addrs {
            let l = listen::bind(*a, *backlog)
                .with_context(|| format!("frontend {}: cannot bind {a}", fe.name))?;
            listeners.push((fe.clone(), l, tls.clone()));
        }
    }
    drop_privileges(run_as, chroot.as_deref())?;
    for b in &backends {
        b.spawn_checks(clock);
    }
    let _ = stats::BACKENDS.set(backends.clone());
    let _ = stats::FRONTENDS.set(frontends.iter().map(|(f, _)| f.clone()).collect());
    for (fe, l, tls) in listeners {
        let global = global.clone();
        tokio::spawn(async move {
            loop {
                // Stop accepting while full: the kernel's backlog holds the rest.
                let Ok(g) = global.clone().acquire_owned().await else {
                    return;
                };
                let Ok(f) = fe.slots.clone().acquire_owned().await else {
                    return;
                };
                let (stream, peer) = match l.accept().await {
                    Ok(c) => c,
                    Err(e) => {
                        log::log(&format!("frontend {}: accept: {e}", fe.name));
                        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                        continue;
                    }
                };
                let fe2 = fe.clone();
                let tls = tls.clone();
                tokio::spawn(async move {
                    let Ok(local) = stream.local_addr() else {
                        return;
                    };
                    let _ = stream.set_nodelay(true);
                    let conn = Conn {
                        peer,
                        local,
                        tls: None,
                    };
                    match tls {
                        None => run_session(stream, conn, fe2, clock).await,
                        Some(acceptor) => {
                            // The handshake must finish within the client timeout.
                            let limit = fe2
                                .timeouts
                                .client
                                .map(std::time::Duration::from_millis)
                                .unwrap_or(std::time::Duration::from_secs(30));
                            if let Ok(Ok(s)) =
                                tokio::time::timeout(limit, acceptor.accept(stream)).await
                            {
                                let sni = s.get_ref().1.server_name().map(str::to_string);
                                let conn = Conn {
                                    tls: Some(sni),
                                    ..conn
                                };
                                run_session(s, conn, fe2, clock).await;
                            }
                        }
                    }
                    drop((g, f));
                });
            }
        });
    }
    log::log(&format!(
        "started: {} frontend(s), {} backend(s)",
        frontends.len(),
        backends.len()
    ));
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
    log::log("stopping");
    Ok(())
}
