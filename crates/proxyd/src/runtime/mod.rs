//! The data plane: the plan (every frontend with its listeners, every backend with its
//! servers, the process settings) built from the typed model by one function that `-c`
//! runs too, so a configuration `-c` accepts is one the daemon starts; then listeners,
//! sessions and health checks.

mod accept;
mod acl_refs;
mod acls;
mod aliases;
pub mod api;
mod api_tables;
mod auth;
mod backend;
mod checks;
mod clock;
mod connect;
mod der;
mod errorfiles;
mod frontend;
mod gate;
mod http;
mod idle;
mod inspect;
mod limit;
pub mod listen;
mod log;
mod logline;
mod mail;
pub mod maps;
mod metered;
mod peers;
mod rules;
mod server;
mod server_state;
mod splice;
pub mod srv_tls;
mod stats;
mod stick;
pub mod stopping;
mod tcp;
mod tls;
mod walk;

use crate::cli::Args;
pub use accept::ListenerRt;
use anyhow::Context;
use backend::BackendRt;
use clock::Clock;
use conf_diag::{Diagnostic, Diagnostics, Span};
use frontend::FrontendRt;
use haproxy_conf::codes;
use haproxy_conf::model::{Config, Mode, Proxy};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use tokio::signal::unix::{signal, SignalKind};

/// HAProxy's built-in default when neither `maxconn` nor -n is given.
const DEFAULT_MAXCONN: usize = 4096;

/// A reason the plan cannot be built, where the file says so.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PlanError {
    pub span: Option<Span>,
    pub message: String,
}

impl PlanError {
    fn diag(self) -> Diagnostic {
        Diagnostic::error(codes::CANNOT_RUN, self.message)
            .at_opt(self.span)
            .label("proxyd cannot run this")
            .help("HAProxy may accept it; proxyd refuses to start rather than run it differently")
    }
}

/// The process settings `global` and the command line ask for.
#[derive(Debug)]
pub struct Process {
    /// `user` / `group` (or uid/gid) to switch to once the ports are bound.
    pub run_as: Ids,
    /// `chroot`: the directory to lock the process into once the ports are bound.
    pub chroot: Option<String>,
    pub daemon: bool,
    pub pidfile: Option<std::path::PathBuf>,
    pub threads: usize,
    pub maxconn: usize,
    /// `ulimit-n`: the descriptor limit to set.
    pub ulimit_n: Option<u64>,
    /// `nosplice`: copy TCP sessions instead of splicing them.
    pub nosplice: bool,
    /// `-W`, `-Ws` or `master-worker`: a master process holds the sockets and runs
    /// workers (crate::master).
    pub master_worker: bool,
    /// `hard-stop-after`: how long a soft stop may take.
    pub hard_stop_after_ms: Option<u64>,
    /// `grace`: how long listeners go on accepting after SIGUSR1.
    pub grace_ms: Option<u64>,
}

/// What runs.
#[derive(Debug)]
pub struct Plan {
    pub frontends: Vec<(Arc<FrontendRt>, Vec<Arc<ListenerRt>>)>,
    /// By name (sorted: the plan's printout is stable).
    pub backends: BTreeMap<String, Arc<BackendRt>>,
    /// Where messages about each proxy go (its `log` targets).
    pub events: HashMap<String, logline::LogPlan>,
    /// The runtime API's sockets (`stats socket`) and `stats timeout`.
    pub api: (Vec<api::Spec>, u64),
    /// The map files (the runtime API changes them).
    pub maps: Arc<maps::Maps>,
    /// The stick tables (the runtime API shows and changes them).
    pub tables: Arc<stick::Tables>,
    /// The `peers` sections this process takes part in.
    pub peers: Vec<Arc<peers::SectionRt>>,
    pub process: Process,
}

/// The identity `global` asks for (`user`/`uid`, `group`/`gid`, each on its own),
/// resolved now so a missing user stops the start.
type Ids = (Option<nix::unistd::Uid>, Option<nix::unistd::Gid>);

fn run_as(cfg: &Config) -> Result<Ids, PlanError> {
    use nix::unistd::{Gid, Group, Uid, User};
    let g = &cfg.global;
    let user = match &g.user {
        Some(name) => Some(
            User::from_name(name)
                .ok()
                .flatten()
                .ok_or_else(|| PlanError {
                    span: g.user_span,
                    message: format!("user `{name}` does not exist on this host"),
                })?,
        ),
        None => None,
    };
    let uid = user.as_ref().map(|u| u.uid).or(g.uid.map(Uid::from_raw));
    let gid = match &g.group {
        Some(name) => Some(
            Group::from_name(name)
                .ok()
                .flatten()
                .ok_or_else(|| PlanError {
                    span: g.group_span,
                    message: format!("group `{name}` does not exist on this host"),
                })?
                .gid,
        ),
        // A user's own group when none is named, as HAProxy.
        None => g.gid.map(Gid::from_raw).or(user.map(|u| u.gid)),
    };
    Ok((uid, gid))
}

/// Lock into `chroot` and drop root for the configured group and user (only when
/// running as root, as HAProxy).
fn drop_privileges(ids: Ids, chroot: Option<&str>) -> anyhow::Result<()> {
    if !nix::unistd::Uid::effective().is_root() {
        return Ok(());
    }
    if let Some(dir) = chroot {
        nix::unistd::chroot(dir).with_context(|| format!("chroot {dir}"))?;
        nix::unistd::chdir("/").context("chdir / in the chroot")?;
    }
    let (uid, gid) = ids;
    if let Some(gid) = gid {
        nix::unistd::setgroups(&[gid]).context("setgroups")?;
        nix::unistd::setgid(gid).context("setgid")?;
    }
    if let Some(uid) = uid {
        nix::unistd::setuid(uid).context("setuid")?;
    }
    Ok(())
}

/// The largest message head proxyd takes: HAProxy keeps `tune.maxrewrite` (1024 bytes by
/// default, at most half the buffer) of each `tune.bufsize` buffer free for rewrites.
pub fn max_head(cfg: &Config) -> usize {
    let bufsize = cfg.global.tune_bufsize;
    let rewrite = cfg.global.tune_maxrewrite.unwrap_or(1024).min(bufsize / 2);
    bufsize.saturating_sub(rewrite) as usize
}

/// The ALPN protocols a frontend can serve: in HTTP mode, HTTP/2 and HTTP/1.x; in TCP
/// mode the bytes go to the server, which may speak anything.
fn alpn_offered(mode: Mode) -> impl Fn(&str) -> bool {
    move |p: &str| mode == Mode::Tcp || matches!(p, "h2" | "http/1.1" | "http/1.0")
}

/// Which HTTP a listener's clients speak (`bind ... proto`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mux {
    /// HTTP/2 when TLS's ALPN chose it or a clear connection starts with its preface,
    /// else HTTP/1.x.
    Auto,
    /// HTTP/2 when TLS's ALPN chose it, else HTTP/1.x (`option disable-h2-upgrade`).
    Alpn,
    H1,
    H2,
}

/// A frontend's listeners.
fn listeners(
    p: &Proxy,
    cfg: &Config,
    maxconn: usize,
    warn: &mut Vec<Diagnostic>,
) -> Result<Vec<Arc<ListenerRt>>, PlanError> {
    let mut out = Vec::new();
    for (on, bi) in listen::addresses(p)? {
        let b = &p.binds[bi];
        let at = |message: String| PlanError {
            span: Some(b.span),
            message,
        };
        let mux = match (b.proto.as_deref(), p.mode) {
            // `option disable-h2-upgrade`: no switch on the preface, ALPN still decides.
            (None, Mode::Http) if p.option("disable-h2-upgrade") => Mux::Alpn,
            (None, _) => Mux::Auto,
            (Some("h1"), Mode::Http) => Mux::H1,
            (Some("h2"), Mode::Http) => Mux::H2,
            (Some("none"), Mode::Tcp) => Mux::Auto,
            (Some(other), mode) => {
                return Err(at(format!(
                    "`proto {other}` cannot serve a frontend in {} mode: `h1` and `h2` serve HTTP, `none` TCP",
                    if mode == Mode::Http { "http" } else { "tcp" }
                )))
            }
        };
        let tls = if b.ssl {
            let g = &cfg.global;
            let spec = tls::TlsBind {
                crts: &b.crt,
                crt_base: g.crt_base.as_deref(),
                alpn: b.alpn.as_deref(),
                strict_sni: b.strict_sni,
                min_ver: b
                    .ssl_min_ver
                    .as_deref()
                    .or(g.ssl_default_bind_min_ver.as_deref()),
                max_ver: b
                    .ssl_max_ver
                    .as_deref()
                    .or(g.ssl_default_bind_max_ver.as_deref()),
                verify: b.verify,
                ca_file: b
                    .ca_file
                    .as_deref()
                    .map(|f| srv_tls::CaSource::of(f, g.ca_base.as_deref())),
            };
            let (acceptor, left_out) = tls::acceptor(&spec, &alpn_offered(p.mode))
                .map_err(|e| at(format!("bind {on}: {e}")))?;
            if !left_out.is_empty() {
                warn.push(
                    Diagnostic::warning(
                        codes::NOT_IMPLEMENTED,
                        format!(
                            "ALPN {} not offered: proxyd speaks HTTP/2 and HTTP/1.x",
                            left_out.join(", ")
                        ),
                    )
                    .at(b.span)
                    .label("not offered")
                    .help("clients negotiate one of the others"),
                );
            }
            Some(acceptor)
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
        out.push(Arc::new(ListenerRt {
            on,
            backlog,
            tls,
            accept_proxy: b.accept_proxy,
            mux,
            opts: listen::opts(b)?,
            slots: b
                .maxconn
                .map(|m| Arc::new(tokio::sync::Semaphore::new((m as usize).max(1)))),
        }));
    }
    Ok(out)
}

/// Resolve `track` lines: each names a server of this or another backend, which must
/// check its health (or track another one), with no loop.
fn tracks(cfg: &Config, backends: &BTreeMap<String, Arc<BackendRt>>) -> Vec<PlanError> {
    let mut errors = Vec::new();
    for p in cfg.backends().filter(|p| !p.disabled) {
        let Some(be) = backends.get(&p.name) else {
            continue;
        };
        for (s, conf) in be.servers.iter().zip(&p.servers) {
            let Some(t) = &conf.opts.track else {
                continue;
            };
            let (bname, sname) = t.split_once('/').unwrap_or((p.name.as_str(), t.as_str()));
            let target = backends
                .get(bname)
                .and_then(|b| b.servers.iter().find(|x| x.name == sname));
            match target {
                Some(tgt) if Arc::ptr_eq(tgt, s) => errors.push(PlanError {
                    span: Some(conf.span),
                    message: format!("server {}: it tracks itself", s.name),
                }),
                Some(tgt) => {
                    let _ = s.track.set(tgt.clone());
                }
                None => errors.push(PlanError {
                    span: Some(conf.span),
                    message: format!("server {}: `track {t}` names no server", s.name),
                }),
            }
        }
    }
    // Every chain must end in a server that checks its health.
    for be in backends.values() {
        for s in &be.servers {
            let mut cur = s.clone();
            let mut hops = 0;
            while let Some(next) = cur.track.get().cloned() {
                hops += 1;
                if hops > 16 {
                    errors.push(PlanError {
                        span: None,
                        message: format!("server {}/{}: `track` loops", be.name, s.name),
                    });
                    break;
                }
                cur = next;
            }
            if hops > 0 && hops <= 16 && !cur.check && cur.agent.is_none() {
                errors.push(PlanError {
                    span: None,
                    message: format!(
                        "server {}/{} tracks {}, which has no health check (`check`) to follow",
                        be.name, s.name, cur.name
                    ),
                });
            }
        }
    }
    errors
}

/// Everything proxyd will run, or every reason it cannot: `-c` and the daemon both build
/// it (binding and connecting excepted). Warnings are pushed to `diags` either way.
pub fn plan(cfg: &Config, args: &Args, diags: &mut Diagnostics) -> Option<Plan> {
    let mut errors: Vec<PlanError> = Vec::new();
    let mut warnings: Vec<Diagnostic> = Vec::new();
    let ids = run_as(cfg).unwrap_or_else(|e| {
        errors.push(e);
        (None, None)
    });
    let maxconn = args
        .maxconn
        .or(cfg.global.maxconn)
        .map(|m| m as usize)
        .unwrap_or(DEFAULT_MAXCONN);
    let tables = Arc::new(stick::Tables::new(cfg));
    errors.extend(stick::unrun(cfg));
    let (maps, map_errors) = maps::Maps::load(cfg);
    errors.extend(map_errors);
    let maps = Arc::new(maps);
    let (userlists, ul_errors) = auth::Userlists::new(cfg);
    errors.extend(ul_errors);
    let userlists = Arc::new(userlists);
    let caches = Arc::new(http::cache::Caches::new(cfg));
    let mut backends = BTreeMap::new();
    for p in cfg.backends().filter(|p| !p.disabled) {
        match BackendRt::new(p, cfg, &tables) {
            Ok(b) => {
                backends.insert(p.name.clone(), Arc::new(b));
            }
            Err(e) => errors.push(e),
        }
    }
    errors.extend(tracks(cfg, &backends));
    warnings.extend(server_state::restore(cfg, &backends));
    let local_peer = peers::local_name(cfg, args.local_peer.as_deref());
    let (peer_sections, peer_warnings) = peers::plan(cfg, &local_peer, &tables, &|b| {
        backends
            .get(b)
            .map(|be| be.servers.iter().map(|s| s.name.clone()).collect())
            .unwrap_or_default()
    });
    warnings.extend(peer_warnings);
    let by_name: HashMap<String, Arc<BackendRt>> = backends
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let mut frontends = Vec::new();
    for p in cfg.frontends().filter(|p| !p.disabled) {
        let fe_max = p
            .maxconn
            .map(|m| m as usize)
            .or(args.proxy_maxconn.map(|m| m as usize))
            .unwrap_or(maxconn);
        let ls = match listeners(p, cfg, fe_max, &mut warnings) {
            Ok(l) => l,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        match FrontendRt::new(
            p,
            cfg,
            &by_name,
            fe_max,
            max_head(cfg),
            (&tables, &maps, &userlists, &caches),
        ) {
            Ok(f) => frontends.push((Arc::new(f), ls)),
            Err(e) => errors.push(e),
        }
    }
    // One thread per `nbthread`, default one per core (HAProxy's default).
    let threads = cfg.global.nbthread.map(|n| n as usize).unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    });
    let events = match log::event_targets(cfg) {
        Ok(e) => e,
        Err(e) => {
            errors.push(e);
            HashMap::new()
        }
    };
    let api = match api::specs(cfg) {
        Ok(s) => s,
        Err(e) => {
            errors.extend(e);
            Vec::new()
        }
    };
    // A listen section is both a frontend and a backend: say each problem once.
    let mut seen = std::collections::HashSet::new();
    errors.retain(|e| seen.insert(e.clone()));
    for w in warnings {
        diags.push(w);
    }
    if !errors.is_empty() {
        for e in errors {
            diags.push(e.diag());
        }
        return None;
    }
    Some(Plan {
        frontends,
        backends,
        events,
        api: (api, cfg.global.stats_timeout_ms.unwrap_or(10_000)),
        maps,
        tables,
        peers: peer_sections,
        process: Process {
            run_as: ids,
            chroot: cfg.global.chroot.clone(),
            daemon: args.daemon || cfg.global.daemon && !args.foreground && !args.debug,
            pidfile: args
                .pidfile
                .clone()
                .or(cfg.global.pidfile.as_ref().map(Into::into)),
            threads,
            maxconn,
            ulimit_n: cfg.global.ulimit_n,
            nosplice: cfg.global.nosplice,
            master_worker: args.master_worker || cfg.global.master_worker,
            hard_stop_after_ms: cfg.global.hard_stop_after_ms,
            grace_ms: cfg.global.grace_ms,
        },
    })
}

/// Read the files, check them and build the plan: what `-c` and the daemon share.
pub fn load(args: &Args) -> (haproxy_conf::Loaded, Option<Plan>) {
    let mut loaded = haproxy_conf::load(
        &args.files,
        &haproxy_conf::FsLoader,
        &crate::environment::ProcessEnv,
    );
    if loaded.diags.has_code(codes::READ) {
        return (loaded, None);
    }
    crate::environment::check(&loaded.config, &mut loaded.diags);
    let plan = if loaded.diags.has_errors() {
        None
    } else {
        plan(&loaded.config, args, &mut loaded.diags)
    };
    loaded.diags.sort();
    (loaded, plan)
}

pub fn run(args: &Args) -> anyhow::Result<u8> {
    log::install();
    let (loaded, plan) = load(args);
    // The ACLs' places in the file, for the runtime API's `show acl`.
    let _ = acl_refs::SOURCES.set(loaded.map.clone());
    // A worker of a master: the master daemonised, wrote the pid file and said what the
    // configuration's warnings are.
    let passed = match crate::master::Passed::from_env().transpose()? {
        Some(p) => Some(p),
        // `-x`: the listening sockets of the process being replaced.
        None => match &args.socket_transfer {
            Some(path) => Some(crate::master::Passed::take_over(std::path::Path::new(
                path,
            ))?),
            None => None,
        },
    };
    let is_worker = std::env::var_os("PROXYD_MASTER_SOCKET").is_some();
    for d in loaded.diags.iter() {
        if passed.is_none() || d.severity == conf_diag::Severity::Error {
            eprintln!("proxyd: {}", conf_diag::render_line(&loaded.map, d));
        }
    }
    let Some(mut plan) = plan else {
        eprintln!("proxyd: not starting: the configuration has errors (proxyd -c -f FILE shows them with their lines)");
        return Ok(1);
    };
    log::set_event_targets(std::mem::take(&mut plan.events));
    let p = &plan.process;
    if let Some(n) = p.ulimit_n {
        use nix::sys::resource::{getrlimit, setrlimit, Resource};
        if setrlimit(Resource::RLIMIT_NOFILE, n, n).is_err() {
            // As HAProxy: a warning, and as many as the hard limit allows.
            let (_, hard) = getrlimit(Resource::RLIMIT_NOFILE).unwrap_or((n, n));
            let _ = setrlimit(Resource::RLIMIT_NOFILE, n.min(hard), hard);
            eprintln!("proxyd: warning: cannot raise the file descriptor limit to {n} (ulimit-n), the limit is {}", n.min(hard));
        }
    }
    // Under systemd (-Ws) the master stays in the foreground whatever `daemon` says,
    // as HAProxy's.
    if p.daemon && !is_worker && !args.master_worker_systemd {
        nix::unistd::daemon(true, false).context("cannot daemonise")?;
    }
    let pidfile = p.pidfile.clone().filter(|_| !is_worker);
    if let Some(f) = &pidfile {
        std::fs::write(f, format!("{}\n", std::process::id()))
            .with_context(|| format!("pid file {}", f.display()))?;
    }
    if args.master_socket.is_some() && !p.master_worker && !is_worker {
        // As HAProxy: said, and the socket is not opened.
        eprintln!("proxyd: warning: a master CLI socket (-S) was given, but master-worker mode (-W, -Ws or `master-worker`) is not on: it is not opened");
    }
    if p.master_worker && !is_worker {
        let r = crate::master::run(args, plan);
        if let Some(f) = &pidfile {
            let _ = std::fs::remove_file(f);
        }
        return r;
    }
    // One thread: everything on this one, no work stealing between threads to pay for.
    let mut builder = if p.threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(p.threads);
        b
    };
    let rt = builder.enable_all().build()?;
    let finish = (args.soft_finish.clone(), args.hard_finish.clone());
    let r = rt.block_on(serve(plan, passed, finish));
    if let Some(f) = &pidfile {
        let _ = std::fs::remove_file(f);
    }
    r.map(|_| 0)
}

/// `proc.` variables: one set for the whole process.
pub static PROC_VARS: std::sync::LazyLock<proxy_core::sample::vars::Store> =
    std::sync::LazyLock::new(proxy_core::sample::vars::Store::new);

/// Where a client connection came from and how.
#[derive(Debug, Clone)]
pub struct Conn {
    /// The client (as a PROXY header gave it, when there was one).
    pub peer: std::net::SocketAddr,
    /// The address it reached.
    pub local: std::net::SocketAddr,
    /// TLS terminated here: what was negotiated (boxed: a connection is moved a few
    /// times on its way to its task, and most are not TLS).
    pub tls: Option<Box<tls::TlsInfo>>,
    /// Came in over a unix socket: no address to match.
    pub unix: bool,
    /// The connection's stick counters (`tcp-request connection|session track-sc`);
    /// they stop tracking when the last clone goes.
    pub sc: Arc<stick::Counters>,
    /// The connection's `sess.` variables.
    pub vars: Arc<proxy_core::sample::vars::Store>,
    /// Its listener's `proto`.
    pub mux: Mux,
}

/// Any client stream: plain TCP or TLS.
pub trait Stream: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static> Stream for T {}

fn run_session<S: Stream>(
    s: S,
    conn: Conn,
    fe: Arc<FrontendRt>,
    clock: Clock,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> {
    if let Some(l) = &fe.log {
        if matches!(l.line, logline::Line::Connect) {
            l.connect_line(&conn, &fe.name, fe.mode);
        }
    }
    // Boxed: a connection's task is as large as the largest state it can be in (a TLS
    // stream, a TCP session with its copy buffers); each session takes its own size.
    match fe.mode {
        Mode::Tcp => Box::pin(tcp::session(s, conn, fe, clock)),
        Mode::Http => Box::pin(http::session(s, conn, fe, clock)),
    }
}

/// The runtime API's socket key and binding, for the master.
pub fn api_key(s: &api::Spec) -> String {
    api::key(s)
}

pub fn api_bind(specs: &[api::Spec]) -> anyhow::Result<Vec<api::Bound>> {
    api::bind(specs, &|_| None)
}

async fn serve(
    plan: Plan,
    passed: Option<crate::master::Passed>,
    finish: (Vec<u32>, Vec<u32>),
) -> anyhow::Result<()> {
    let Plan {
        frontends,
        backends,
        events: _,
        api: (api_specs, api_timeout),
        maps,
        tables,
        peers: peer_sections,
        process,
    } = plan;
    let _ = maps::MAPS.set(maps);
    let _ = api_tables::TABLES.set(tables);
    acl_refs::register(
        frontends
            .iter()
            .map(|(f, _)| &f.acls)
            .chain(backends.values().map(|b| &b.acls)),
    );
    let clock = Clock::new();
    // Global maxconn: no more sessions than this at once, whatever the frontends allow.
    let global = Arc::new(limit::Limit::new(process.maxconn.max(1)));
    let _ = api::GLOBAL_LIMIT.set(global.clone());
    tcp::SPLICE.store(!process.nosplice, std::sync::atomic::Ordering::Relaxed);
    let mut bound = Vec::new();
    // A worker takes the master's sockets, by the keys the master bound them under.
    let mut keys = Vec::new();
    {
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (_, ls) in &frontends {
            for l in ls {
                let addr = l.on.to_string();
                let n = seen.entry(addr.clone()).or_insert(0);
                keys.push(format!("{addr}#{n}"));
                *n += 1;
            }
        }
    }
    let mut keys = keys.into_iter();
    let mut exposed = Vec::new();
    for (fe, ls) in &frontends {
        for l in ls {
            let key = keys.next().unwrap_or_default();
            let b = match passed.as_ref().and_then(|p| p.take(&key)) {
                Some(fd) => listen::from_master(&l.on, fd).with_context(|| {
                    format!("frontend {}: the master's socket for {}", fe.name, l.on)
                })?,
                None => listen::bind(&l.on, l.backlog, &l.opts)
                    .with_context(|| format!("frontend {}: cannot bind {}", fe.name, l.on))?,
            };
            exposed.push((key, b.try_clone_fd()?));
            bound.push((fe.clone(), b, l.clone()));
        }
    }
    let api_bound = api::bind(&api_specs, &|k| passed.as_ref().and_then(|p| p.take(k)))?;
    for (spec, b) in api_specs.iter().zip(&api_bound) {
        exposed.push((api::key(spec), b.try_clone_fd()?));
    }
    let _ = api::EXPOSED.set(exposed);
    stats::LISTENERS.store(
        bound.len() + api_bound.len(),
        std::sync::atomic::Ordering::Relaxed,
    );
    // Every port is bound: connections queue in the backlogs from now on. Said before the
    // chroot, which would hide systemd's notify socket.
    if let Err(e) = sd_notify::notify(false, &[sd_notify::NotifyState::Ready]) {
        tracing::warn!("cannot tell systemd we are ready: {e}");
    }
    let mut peer_listeners = Vec::new();
    for sec in &peer_sections {
        let l = peers::bind(sec)
            .with_context(|| format!("peers {}: cannot listen on {}", sec.name, sec.listen))?;
        peer_listeners.push(l);
    }
    drop_privileges(process.run_as, process.chroot.as_deref())?;
    for (sec, l) in peer_sections.into_iter().zip(peer_listeners) {
        peers::spawn(sec, l);
    }
    for b in backends.values() {
        b.spawn_checks(clock);
    }
    let servers: Vec<(String, Arc<server::ServerRt>)> = backends
        .values()
        .flat_map(|b| b.servers.iter().map(|s| (b.name.clone(), s.clone())))
        .collect();
    // One purge task per `pool-purge-delay` in use.
    let mut by_delay: std::collections::BTreeMap<u64, Vec<Arc<server::ServerRt>>> =
        std::collections::BTreeMap::new();
    for (_, s) in &servers {
        by_delay.entry(s.pool_purge_ms).or_default().push(s.clone());
    }
    for (ms, list) in by_delay {
        server::spawn_pool_purge(list, std::time::Duration::from_millis(ms.max(1)));
    }
    server::spawn_resolution(servers, 10_000, clock);
    let _ = stats::BACKENDS.set(backends.values().cloned().collect());
    let _ = stats::FRONTENDS.set(frontends.iter().map(|(f, _)| f.clone()).collect());
    let _ = stats::PROCESS.set((
        clock,
        clock.unix_s(),
        clock.now_ms(),
        u32::try_from(process.threads).unwrap_or(u32::MAX),
        process.maxconn as u64,
    ));
    let mut accepting = api::spawn(api_bound, api_timeout);
    for (fe, b, l) in bound {
        accepting.push(tokio::spawn(accept::serve(fe, b, l, global.clone(), clock)));
    }
    tracing::info!(
        "started: {} frontend(s), {} backend(s)",
        frontends.len(),
        backends.len()
    );
    if let Some(p) = &passed {
        p.ready();
    }
    // `-sf` / `-st`: the process(es) this one replaces finish softly / stop now.
    for (pids, sig) in [
        (&finish.0, nix::sys::signal::Signal::SIGUSR1),
        (&finish.1, nix::sys::signal::Signal::SIGTERM),
    ] {
        for &pid in pids {
            if let Err(e) = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid as i32), sig) {
                tracing::warn!("cannot signal the old process {pid}: {e}");
            }
        }
    }
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let mut usr1 = signal(SignalKind::user_defined1())?;
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
        _ = usr1.recv() => {
            // `grace`: the `stopping` fetch says true, listeners accept meanwhile (for
            // whatever watches the process to notice before they close).
            stopping::announce();
            let grace = std::time::Duration::from_millis(process.grace_ms.unwrap_or(0));
            let graced = tokio::select! {
                _ = tokio::time::sleep(grace) => true,
                _ = term.recv() => false,
                _ = int.recv() => false,
            };
            if graced {
                soft_stop(accepting, &frontends, process.hard_stop_after_ms, &mut term).await;
            }
        }
    }
    tracing::info!("stopping");
    Ok(())
}

/// SIGUSR1: stop accepting, let the sessions in progress finish (or `hard-stop-after`,
/// or SIGTERM, end them).
async fn soft_stop(
    accepting: Vec<tokio::task::JoinHandle<()>>,
    frontends: &[(Arc<FrontendRt>, Vec<Arc<ListenerRt>>)],
    hard_stop_after_ms: Option<u64>,
    term: &mut tokio::signal::unix::Signal,
) {
    for a in accepting {
        a.abort();
    }
    stopping::begin();
    // Sessions, and tables still being handed to the new process.
    let left = || -> u64 {
        frontends
            .iter()
            .map(|(f, _)| u64::from(f.counters.current()))
            .sum::<u64>()
            + peers::HANDOVERS.load(std::sync::atomic::Ordering::Relaxed) as u64
    };
    tracing::info!(
        pri = "notice",
        "soft stop: no longer accepting; {} session(s) to finish",
        left()
    );
    let finished = async {
        while left() > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    };
    let limit = async {
        match hard_stop_after_ms {
            Some(ms) => tokio::time::sleep(std::time::Duration::from_millis(ms)).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = finished => {}
        _ = limit => tracing::warn!("hard-stop-after: {} session(s) cut", left()),
        _ = term.recv() => {}
    }
}
