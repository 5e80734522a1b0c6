//! The runtime API on `stats socket`: unix sockets (with `mode`, `user`, `group`) or TCP
//! (`ipv4@`, `ipv6@`, `ADDR:PORT`), each with its `level`. A session reads lines of
//! commands (`;` between them); without `prompt` it ends after answering what it was
//! sent, with `prompt` it stays and shows `> `. The language is proxy-core's
//! `runtime_api`; this module applies it to the running proxies.

use super::backend::BackendRt;
use super::frontend::{Accepting, FrontendRt};
use super::server::{ServerRt, Target};
use super::stats::{BACKENDS, FRONTENDS, PROCESS};
use super::PlanError;
use haproxy_conf::model::{Config, StatsSocket};
use proxy_core::health::Admin;
use proxy_core::runtime_api::{
    self as lang, Command, InfoQuery, Level, Refusal, ServerRef, ServerStateLine, SetServer,
    StatQuery,
};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};

/// Where a socket listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Addr {
    Unix(std::path::PathBuf),
    Tcp(std::net::SocketAddr),
}

/// One `stats socket`, resolved when the plan is built (so `-c` finds its errors).
#[derive(Debug, Clone)]
pub struct Spec {
    pub addr: Addr,
    pub level: Level,
    /// `expose-fd listeners`: a new process started with `-x` may take the listening
    /// sockets through it.
    pub expose: bool,
    /// Unix sockets: permissions and owner.
    pub mode: Option<u32>,
    pub uid: Option<nix::unistd::Uid>,
    pub gid: Option<nix::unistd::Gid>,
}

/// Sessions served, and commands refused for their level (for `show info`'s readers
/// and the logs).
pub static SESSIONS: AtomicU64 = AtomicU64::new(0);

/// The sockets `global` declares.
pub fn specs(cfg: &Config) -> Result<Vec<Spec>, Vec<PlanError>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for s in &cfg.global.stats_sockets {
        match spec(s) {
            Ok(sp) => out.push(sp),
            Err(message) => errors.push(PlanError {
                span: None,
                message: format!("stats socket {}: {message}", s.address),
            }),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

pub fn spec(s: &StatsSocket) -> Result<Spec, String> {
    let a = s.address.as_str();
    let addr = if let Some(p) = a.strip_prefix("unix@") {
        Addr::Unix(p.into())
    } else if a.starts_with('/') {
        Addr::Unix(a.into())
    } else if let Some(rest) = a.strip_prefix("ipv4@").or_else(|| a.strip_prefix("ipv6@")) {
        Addr::Tcp(tcp_addr(rest)?)
    } else if a.contains('@') {
        return Err("only unix sockets (a path or unix@) and TCP (ipv4@, ipv6@, ADDR:PORT) are served by proxyd".into());
    } else {
        Addr::Tcp(tcp_addr(a)?)
    };
    let mode = match &s.mode {
        Some(m) => Some(
            u32::from_str_radix(m, 8).map_err(|_| format!("`mode {m}` is not an octal mode"))?,
        ),
        None => None,
    };
    let uid = match &s.user {
        Some(u) => Some(match u.parse::<u32>() {
            Ok(n) => nix::unistd::Uid::from_raw(n),
            Err(_) => {
                nix::unistd::User::from_name(u)
                    .ok()
                    .flatten()
                    .ok_or_else(|| format!("user `{u}` does not exist on this host"))?
                    .uid
            }
        }),
        None => None,
    };
    let gid = match &s.group {
        Some(g) => Some(match g.parse::<u32>() {
            Ok(n) => nix::unistd::Gid::from_raw(n),
            Err(_) => {
                nix::unistd::Group::from_name(g)
                    .ok()
                    .flatten()
                    .ok_or_else(|| format!("group `{g}` does not exist on this host"))?
                    .gid
            }
        }),
        None => None,
    };
    Ok(Spec {
        addr,
        level: Level::parse(&s.level).unwrap_or(Level::User),
        expose: s.expose_fd_listeners,
        mode,
        uid,
        gid,
    })
}

fn tcp_addr(a: &str) -> Result<std::net::SocketAddr, String> {
    let (host, port) = a
        .rsplit_once(':')
        .ok_or_else(|| format!("`{a}` has no port"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let host = if host.is_empty() || host == "*" {
        "0.0.0.0"
    } else {
        host
    };
    let ip: std::net::IpAddr = host
        .parse()
        .map_err(|_| format!("`{host}` is not an IP address"))?;
    let port: u16 = port
        .parse()
        .map_err(|_| format!("`{port}` is not a port"))?;
    Ok(std::net::SocketAddr::new(ip, port))
}

/// A bound socket, ready to serve once the plan runs: unix ones with whether they
/// expose the listeners.
pub enum Bound {
    Unix(tokio::net::UnixListener, Level, bool),
    Tcp(tokio::net::TcpListener, Level),
}

/// The process's connection limit, which `set maxconn global` changes.
pub static GLOBAL_LIMIT: std::sync::OnceLock<Arc<super::limit::Limit>> = std::sync::OnceLock::new();

/// Every listening socket of this process by key (the master's keys), for `_getsocks`.
pub static EXPOSED: std::sync::OnceLock<Vec<(String, std::os::fd::OwnedFd)>> =
    std::sync::OnceLock::new();

/// What the master passes a socket under.
pub fn key(s: &Spec) -> String {
    match &s.addr {
        Addr::Unix(p) => format!("api:unix@{}", p.display()),
        Addr::Tcp(a) => format!("api:{a}"),
    }
}

impl Bound {
    pub fn try_clone_fd(&self) -> std::io::Result<std::os::fd::OwnedFd> {
        use std::os::fd::AsFd;
        match self {
            Bound::Unix(l, ..) => l.as_fd().try_clone_to_owned(),
            Bound::Tcp(l, _) => l.as_fd().try_clone_to_owned(),
        }
    }

    pub fn into_fd(self) -> std::io::Result<std::os::fd::OwnedFd> {
        Ok(match self {
            Bound::Unix(l, ..) => l.into_std()?.into(),
            Bound::Tcp(l, _) => l.into_std()?.into(),
        })
    }
}

/// Bind every socket (as root, before the chroot and the user switch, as HAProxy does):
/// a stale unix socket file is replaced, then given its mode and owner. A socket the
/// master passed (`passed` gives its descriptor) is taken as it is.
pub fn bind(
    specs: &[Spec],
    passed: &dyn Fn(&str) -> Option<std::os::fd::OwnedFd>,
) -> anyhow::Result<Vec<Bound>> {
    use anyhow::Context;
    let mut out = Vec::new();
    for s in specs {
        let wrap = |b: super::listen::Bound| match b {
            super::listen::Bound::Tcp(l) => Ok(Bound::Tcp(l, s.level)),
            super::listen::Bound::Unix(l) => Ok(Bound::Unix(l, s.level, s.expose)),
            super::listen::Bound::Sockpair(_) => {
                Err(anyhow::anyhow!("stats socket {}: not a listener", key(s)))
            }
        };
        if let Some(fd) = passed(&key(s)) {
            let b = super::listen::from_master(&super::listen::ListenOn::Fd(0), fd)
                .with_context(|| format!("stats socket {}: the master's socket", key(s)))?;
            out.push(wrap(b)?);
            continue;
        }
        // The frontends' own binding: a unix socket is bound beside an old one and
        // renamed over it (a running process's socket is replaced, as HAProxy does), then
        // given its mode and owner.
        let (on, opts) = match &s.addr {
            Addr::Unix(path) => (
                super::listen::ListenOn::Unix(path.clone()),
                super::listen::BindOpts {
                    unix_mode: s.mode,
                    unix_owner: (s.uid.is_some() || s.gid.is_some()).then_some((s.uid, s.gid)),
                    ..Default::default()
                },
            ),
            Addr::Tcp(a) => (super::listen::ListenOn::Tcp(*a), Default::default()),
        };
        let b = super::listen::bind(&on, 16, &opts)
            .with_context(|| format!("stats socket {on}: cannot bind"))?;
        out.push(wrap(b)?);
    }
    Ok(out)
}

/// Serve every bound socket; `timeout_ms` is `stats timeout` (10 s by default). The
/// accept loops' handles, for a soft stop.
/// The process's connection limit now (`set maxconn global` changes it), `hard` before
/// the limit is set up.
pub fn maxconn_now(hard: u64) -> u64 {
    GLOBAL_LIMIT.get().map_or(hard, |l| l.max() as u64)
}

/// `stats timeout`, for the sessions the master opens (its CLI's `@1 ...`).
static TIMEOUT_MS: AtomicU64 = AtomicU64::new(10_000);

/// A session the master CLI opened to this worker (`@1 CMD`), at the admin level: the
/// master CLI is an administrator's.
pub fn serve_master_session(fd: std::os::fd::OwnedFd) {
    let std = std::os::unix::net::UnixStream::from(fd);
    let s = std
        .set_nonblocking(true)
        .and_then(|()| tokio::net::UnixStream::from_std(std));
    match s {
        Ok(s) => {
            tokio::spawn(session(s, Level::Admin, TIMEOUT_MS.load(Relaxed), None));
        }
        Err(e) => tracing::error!("master CLI: cannot serve the master's session: {e}"),
    }
}

pub fn spawn(bound: Vec<Bound>, timeout_ms: u64) -> Vec<tokio::task::JoinHandle<()>> {
    TIMEOUT_MS.store(timeout_ms, Relaxed);
    let mut out = Vec::new();
    for b in bound {
        out.push(tokio::spawn(async move {
            loop {
                let accepted = match &b {
                    Bound::Unix(l, level, expose) => l.accept().await.map(|(s, _)| {
                        use std::os::fd::AsFd;
                        // A copy of the connection to pass descriptors over.
                        let link = expose
                            .then(|| s.as_fd().try_clone_to_owned().ok())
                            .flatten();
                        tokio::spawn(session(s, *level, timeout_ms, link));
                    }),
                    Bound::Tcp(l, level) => l.accept().await.map(|(s, _)| {
                        tokio::spawn(session(s, *level, timeout_ms, None));
                    }),
                };
                if let Err(e) = accepted {
                    // Out of descriptors, mostly: say it, wait a little, go on.
                    tracing::error!("stats socket: accept failed: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
            }
        }));
    }
    out
}

/// A session's state.
struct Session {
    level: Level,
    prompt: bool,
    timeout_ms: u64,
    quit: bool,
    /// On a socket with `expose-fd listeners`: the connection, to pass descriptors.
    link: Option<std::os::fd::OwnedFd>,
}

/// Longest command line taken (HAProxy's buffer is about this size).
const MAX_LINE: usize = 16 * 1024;

async fn session<S: AsyncRead + AsyncWrite + Unpin>(
    s: S,
    level: Level,
    timeout_ms: u64,
    link: Option<std::os::fd::OwnedFd>,
) {
    SESSIONS.fetch_add(1, Relaxed);
    let mut st = Session {
        level,
        prompt: false,
        timeout_ms,
        quit: false,
        link,
    };
    let (r, mut w) = tokio::io::split(s);
    let mut r = BufReader::new(r);
    let mut line = Vec::new();
    loop {
        line.clear();
        let limit = std::time::Duration::from_millis(st.timeout_ms.max(1));
        let read = tokio::time::timeout(limit, async {
            let mut limited = (&mut r).take(MAX_LINE as u64);
            limited.read_until(b'\n', &mut line).await
        })
        .await;
        let n = match read {
            Ok(Ok(n)) => n,
            // Idle past `stats timeout`, or the peer went away.
            _ => return,
        };
        if n == 0 {
            return;
        }
        let text = String::from_utf8_lossy(&line);
        let mut out = String::new();
        let commands = lang::split_line(text.trim_end_matches(['\n', '\r']));
        for cmd in &commands {
            out.push_str(&run(cmd, &mut st));
            // `quit` says nothing; every other reply ends with a blank line.
            if st.quit {
                break;
            }
            out.push('\n');
        }
        if st.prompt && !st.quit {
            if commands.is_empty() {
                out.push('\n');
            }
            out.push_str("> ");
        }
        if w.write_all(out.as_bytes()).await.is_err() {
            return;
        }
        let _ = w.flush().await;
        // Without a prompt a session answers what it was sent and ends.
        if st.quit || (!st.prompt && r.buffer().is_empty()) {
            let _ = w.shutdown().await;
            return;
        }
    }
}

/// Run one command at the session's level: its reply (without the blank line that ends
/// every reply).
fn run(cmd: &str, st: &mut Session) -> String {
    let c = match lang::parse(cmd) {
        Ok(c) => c,
        Err(Refusal::Unknown(_)) => return lang::unknown(cmd, st.level),
        Err(Refusal::Usage(msg)) => return msg,
    };
    if c.level() > st.level {
        return lang::PERMISSION_DENIED.into();
    }
    match c {
        Command::Help => lang::help(st.level),
        Command::Prompt => {
            st.prompt = !st.prompt;
            String::new()
        }
        Command::Quit => {
            st.quit = true;
            String::new()
        }
        Command::Lower(l) => {
            st.level = st.level.min(l);
            String::new()
        }
        Command::ShowCliLevel => format!("{}\n", st.level.name()),
        Command::SetTimeoutCli(ms) => {
            st.timeout_ms = ms.max(1000);
            String::new()
        }
        Command::GetSocks => {
            let Some(link) = &st.link else {
                return "This socket does not expose the listeners (`expose-fd listeners`).\n"
                    .into();
            };
            st.quit = true;
            if let Err(e) = send_listeners(link) {
                tracing::error!("stats socket: handing the listeners over failed: {e:#}");
            }
            String::new()
        }
        other => exec(other, st.level),
    }
}

fn backends() -> &'static [Arc<BackendRt>] {
    BACKENDS.get().map(Vec::as_slice).unwrap_or(&[])
}

fn frontends() -> &'static [Arc<FrontendRt>] {
    FRONTENDS.get().map(Vec::as_slice).unwrap_or(&[])
}

/// The backend and server a command names, or HAProxy's words for what is missing.
fn find(r: &ServerRef) -> Result<(&'static Arc<BackendRt>, &'static Arc<ServerRt>), String> {
    let b = backends()
        .iter()
        .find(|b| b.name == r.backend)
        .ok_or("No such backend.\n")?;
    let s = b
        .servers
        .iter()
        .find(|s| s.name == r.server)
        .ok_or("No such server.\n")?;
    Ok((b, s))
}

fn now_ms() -> u64 {
    PROCESS.get().map(|p| p.0.now_ms()).unwrap_or(0)
}

/// A change of a server's state or weight made here: queued requests look again, and a
/// server that went UP or DOWN is logged as HAProxy logs it.
fn changed(b: &BackendRt, s: &ServerRt, was_up: bool, why: &'static str) {
    let up = s.is_up();
    if up != was_up {
        let t = if up {
            proxy_core::health::Transition::Up
        } else {
            proxy_core::health::Transition::Down
        };
        b.transition(s, t, super::checks::Why::reason(why), 0);
    } else {
        b.released.notify_waiters();
    }
}

fn with_state<T>(s: &ServerRt, f: impl FnOnce(&mut super::server::ServerState) -> T) -> T {
    let mut g = match s.state.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    };
    f(&mut g)
}

fn exec(c: Command, level: Level) -> String {
    match c {
        Command::ShowInfo(q) => info(q),
        Command::ShowStat(q) => stat(q, level),
        Command::ShowServersState(b) => servers_state(b.as_deref()),
        Command::ShowBackend => {
            let mut o = String::from("# name\n");
            for b in backends() {
                o.push_str(&b.name);
                o.push('\n');
            }
            o
        }
        Command::ShowEnv(var) => {
            let mut o = String::new();
            for (k, v) in std::env::vars() {
                if var.as_deref().is_none_or(|want| want == k) {
                    o.push_str(&format!("{k}={v}\n"));
                }
            }
            if var.is_some() && o.is_empty() {
                return "Variable not found\n".into();
            }
            o
        }
        Command::ShowVersion => format!("{}\n", version()),
        Command::ShowErrors => {
            // proxyd keeps no copies of invalid requests or responses.
            let now = chrono_like_now();
            format!("Total events captured on [{now}] : 0\n")
        }
        Command::ShowSess => {
            let cur: u64 = frontends()
                .iter()
                .map(|f| u64::from(f.counters.current()))
                .sum();
            format!("# {cur} session(s) in progress (proxyd lists no session detail)\n")
        }
        Command::ShowActivity => {
            let m = tokio::runtime::Handle::current().metrics();
            format!(
                "thread_id: 0 (proxyd: tokio runtime)\nworkers: {}\ntasks: {}\nrun_queue: {}\nsessions_api: {}\n",
                m.num_workers(),
                m.num_alive_tasks(),
                m.global_queue_depth(),
                SESSIONS.load(Relaxed)
            )
        }
        Command::ShowPools => {
            "proxyd does not use memory pools: its memory is the allocator's (see /proc/PID/status)\n".into()
        }
        Command::GetWeight(r) => match find(&r) {
            Ok((_, s)) => format!("{} (initial {})\n", s.uweight(), s.weight),
            Err(e) => e,
        },
        Command::SetWeight(r, w) | Command::SetServer(r, SetServer::Weight(w)) => {
            match find(&r) {
                Ok((b, s)) => {
                    let was = s.is_up();
                    with_state(s, |st| st.uweight = w.resolve(s.weight));
                    changed(b, s, was, "changed from the runtime API");
                    String::new()
                }
                Err(e) => e,
            }
        }
        Command::DisableServer(r) => admin(&r, Admin::Maint),
        Command::EnableServer(r) => admin(&r, Admin::Ready),
        Command::SetServer(r, SetServer::State(a)) => admin(&r, a),
        Command::SetServer(r, SetServer::Health(up)) => match find(&r) {
            Ok((b, s)) => {
                let was = s.is_up();
                with_state(s, |st| st.health.set(now_ms(), up));
                changed(b, s, was, "changed from the runtime API");
                String::new()
            }
            Err(e) => e,
        },
        Command::SetServer(r, SetServer::Agent(up)) => match find(&r) {
            Ok((b, s)) => {
                if s.agent.is_none() {
                    return "agent checks are not enabled on this server.\n".into();
                }
                let was = s.is_up();
                with_state(s, |st| st.agent_health.set(now_ms(), up));
                changed(b, s, was, "changed from the runtime API");
                String::new()
            }
            Err(e) => e,
        },
        Command::SetServer(r, SetServer::Addr(ip, port)) => match find(&r) {
            Ok((_, s)) => set_addr(s, ip, port),
            Err(e) => e,
        },
        Command::SetServer(r, SetServer::CheckPort(port)) => match find(&r) {
            Ok((_, s)) if !s.check => "health checks are not enabled on this server".into(),
            Ok((_, s)) => match port {
                Ok(port) => {
                    // The next check goes there (the one under way finishes where it is).
                    with_state(s, |st| st.check_port = Some(port));
                    String::new()
                }
                Err(e) => e.into(),
            },
            Err(e) => e,
        },
        Command::DisableHealth(r) => pause(&r, true, true),
        Command::EnableHealth(r) => pause(&r, true, false),
        Command::DisableAgent(r) => pause(&r, false, true),
        Command::EnableAgent(r) => pause(&r, false, false),
        Command::SetMaxconnServer(r, n) => match find(&r) {
            Ok((b, s)) => {
                with_state(s, |st| st.maxconn = (n > 0).then_some(n));
                b.released.notify_waiters();
                String::new()
            }
            Err(e) => e,
        },
        Command::ShutdownSessionsServer(r) => match find(&r) {
            Ok((_, s)) => {
                s.down.send_modify(|n| *n += 1);
                String::new()
            }
            Err(e) => e,
        },
        Command::ClearCounters { all } => {
            for f in frontends() {
                clear(&f.counters, all);
            }
            for b in backends() {
                clear(&b.counters, all);
                for s in &b.servers {
                    clear(&s.counters, all);
                }
            }
            String::new()
        }
        Command::DisableFrontend(name) => frontend_state(&name, Accepting::Paused),
        Command::EnableFrontend(name) => frontend_state(&name, Accepting::Open),
        Command::ShutdownFrontend(name) => frontend_state(&name, Accepting::Stopped),
        Command::SetMaxconnFrontend(name, n) => match find_frontend(&name) {
            Some(f) => {
                f.slots.set(n as usize);
                String::new()
            }
            None => "No such frontend.\n".into(),
        },
        Command::SetMaxconnGlobal(n) => {
            let hard = PROCESS.get().map_or(0, |p| p.4);
            let Some(limit) = GLOBAL_LIMIT.get() else {
                return String::new();
            };
            let n = u64::from(n);
            if n > hard {
                return "Value out of range.\n".into();
            }
            // 0 stands for the limit the process started with.
            limit.set(usize::try_from(if n == 0 { hard } else { n }).unwrap_or(usize::MAX));
            String::new()
        }
        Command::ShowMap(id) => show_map(id.as_deref()),
        Command::ShowAcl(id) => super::acl_refs::show(id.as_deref()),
        Command::GetAcl(id, v) => super::acl_refs::get(&id, &v),
        Command::AddAcl(id, p) => super::acl_refs::add(&id, &p),
        Command::DelAcl(id, k) => super::acl_refs::del(&id, &k),
        Command::ClearAcl(id) => super::acl_refs::clear(&id),
        Command::ShowTable(name, args) => super::api_tables::show(name.as_deref(), &args, level),
        Command::ClearTable(name, args) => super::api_tables::clear(&name, &args, level),
        Command::SetTable(name, args) => super::api_tables::set(&name, &args),
        Command::GetMap(id, v) => with_map(&id, |maps, f| {
            use haproxy_conf::sample::conv::MapMatch;
            match maps.get(f, &v) {
                Some((MapMatch::Str, found)) => format!(
                    "type=str, case=sensitive, found=yes, idx=tree, key=\"{v}\", value=\"{}\", type=\"str\"\n",
                    value_text(&found)
                ),
                Some((m, found)) => format!(
                    "type={}, case=sensitive, found=yes, value=\"{}\"\n",
                    format!("{m:?}").to_ascii_lowercase(),
                    value_text(&found)
                ),
                None => format!(
                    "type={}, case=sensitive, found=no\n",
                    "str"
                ),
            }
        }),
        Command::AddMap(id, k, v) => with_map(&id, |maps, f| {
            let r = super::maps::Maps::new_ref();
            answer(maps.change(f, |e| {
                e.push((r, k, v));
                Ok(())
            }))
        }),
        Command::DelMap(id, k) => with_map(&id, |maps, f| {
            answer(maps.change(f, |e| {
                let before = e.len();
                e.retain(|(r, key, _)| !entry_is(&k, *r, key));
                if e.len() == before {
                    return Err("Key not found.".into());
                }
                Ok(())
            }))
        }),
        Command::SetMap(id, k, v) => with_map(&id, |maps, f| {
            answer(maps.change(f, |e| {
                let mut found = false;
                for (r, key, val) in e.iter_mut() {
                    if entry_is(&k, *r, key) {
                        *val = v.clone();
                        found = true;
                    }
                }
                if found {
                    Ok(())
                } else {
                    Err("entry not found.".into())
                }
            }))
        }),
        Command::ClearMap(id) => with_map(&id, |maps, f| {
            answer(maps.change(f, |e| {
                e.clear();
                Ok(())
            }))
        }),
        // Session commands are answered by `run`.
        Command::Help
        | Command::Prompt
        | Command::Quit
        | Command::Lower(_)
        | Command::ShowCliLevel
        | Command::SetTimeoutCli(_)
        | Command::GetSocks => String::new(),
    }
}

fn clear(c: &proxy_core::counters::Counters, all: bool) {
    if all {
        c.clear_all();
    } else {
        c.clear_max();
    }
}

/// `disable|enable server`, `set server B/S state`.
fn admin(r: &ServerRef, a: Admin) -> String {
    match find(r) {
        Ok((b, s)) => {
            let was = s.is_up();
            with_state(s, |st| st.admin = a);
            changed(b, s, was, "changed from the runtime API");
            String::new()
        }
        Err(e) => e,
    }
}

/// `disable|enable health|agent`: the checks pause (the state they reached stays) or
/// go on.
fn pause(r: &ServerRef, health: bool, paused: bool) -> String {
    let (_, s) = match find(r) {
        Ok(x) => x,
        Err(e) => return e,
    };
    if health && !s.check && !paused {
        return "Health check was not configured on this server, cannot enable.\n".into();
    }
    if !health && s.agent.is_none() && !paused {
        return "Agent was not configured on this server, cannot enable.\n".into();
    }
    with_state(s, |st| {
        if health {
            st.checks_paused = paused;
        } else {
            st.agent_paused = paused;
        }
    });
    String::new()
}

/// `set server B/S addr IP [port P]`, answered in HAProxy's words.
fn set_addr(s: &ServerRt, ip: std::net::IpAddr, port: Option<u16>) -> String {
    let mut t = match s.target.write() {
        Ok(t) => t,
        Err(p) => p.into_inner(),
    };
    let old = match &*t {
        Some(Target::Inet(a)) => *a,
        Some(Target::Unix(_)) => {
            return "proxyd cannot give an IP address to a server on a unix socket\n".into()
        }
        None => std::net::SocketAddr::new(ip, s.port.unwrap_or(0)),
    };
    let new = std::net::SocketAddr::new(ip, port.unwrap_or(old.port()));
    *t = Some(Target::Inet(new));
    drop(t);
    // Idle connections lead to the old address: not reused.
    s.addr_gen.fetch_add(1, Relaxed);
    let by = "by 'stats socket command'";
    match (old.ip() != new.ip(), old.port() != new.port()) {
        (true, true) => format!(
            "IP changed from '{}' to '{}', port changed from '{}' to '{}' {by}\n",
            old.ip(),
            new.ip(),
            old.port(),
            new.port()
        ),
        (true, false) => format!("IP changed from '{}' to '{}' {by}\n", old.ip(), new.ip()),
        (false, true) => format!(
            "no need to change the addr, port changed from '{}' to '{}' {by}\n",
            old.port(),
            new.port()
        ),
        (false, false) => "no need to change the addr, no need to change the port\n".into(),
    }
}

pub fn version() -> String {
    format!(
        "{}-proxyd-{}",
        haproxy_conf::source::COMPAT_VERSION,
        env!("CARGO_PKG_VERSION")
    )
}

/// Now as HAProxy's logs write dates: `03/Dec/2026:02:22:12.674`.
fn chrono_like_now() -> String {
    String::from_utf8_lossy(super::aliases::date(super::clock::wall(), false, true).as_bytes())
        .into_owned()
}

/// `show info`: HAProxy's keys, in its order, for what proxyd measures.
fn info(q: InfoQuery) -> String {
    let fe = frontends();
    let counts: Vec<_> = fe.iter().map(|f| f.counters.snapshot()).collect();
    let (start_s, uptime_s, threads, maxconn) = match PROCESS.get() {
        Some(&(clock, start_s, start_ms, threads, maxconn)) => (
            start_s,
            clock.now_ms().saturating_sub(start_ms) / 1000,
            threads,
            maxconn,
        ),
        None => (0, 0, 1, 0),
    };
    let ulimit = nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE)
        .map(|(soft, _)| soft)
        .unwrap_or(0);
    let m = tokio::runtime::Handle::current().metrics();
    let cur: u64 = counts.iter().map(|c| u64::from(c.cur)).sum();
    let cum: u64 = counts.iter().map(|c| c.total).sum();
    let out_bytes: u64 = counts.iter().map(|c| c.bytes_out).sum();
    let listeners = super::stats::LISTENERS.load(Relaxed);
    let fields: Vec<(&str, String)> = vec![
        ("Name", "proxyd".into()),
        ("Version", version()),
        ("Release_date", "2026/12/03".into()),
        ("Nbthread", threads.to_string()),
        ("Nbproc", "1".into()),
        ("Process_num", "1".into()),
        ("Pid", std::process::id().to_string()),
        (
            "Uptime",
            format!(
                "{}d {}h{:02}m{:02}s",
                uptime_s / 86400,
                uptime_s / 3600 % 24,
                uptime_s / 60 % 60,
                uptime_s % 60
            ),
        ),
        ("Uptime_sec", uptime_s.to_string()),
        ("Memmax_MB", "0".into()),
        ("Ulimit-n", ulimit.to_string()),
        ("Maxconn", maxconn_now(maxconn).to_string()),
        ("Hard_maxconn", maxconn.to_string()),
        ("CurrConns", cur.to_string()),
        ("CumConns", cum.to_string()),
        // No pipe limit of its own: at most two per session (one each way).
        ("Maxpipes", (maxconn * 2).to_string()),
        (
            "PipesUsed",
            super::splice::PIPES_USED.load(Relaxed).to_string(),
        ),
        ("PipesFree", "0".into()),
        ("Tasks", m.num_alive_tasks().to_string()),
        ("Run_queue", m.global_queue_depth().to_string()),
        ("node", super::log::hostname()),
        (
            "Stopping",
            u8::from(super::stopping::stopping()).to_string(),
        ),
        ("Listeners", listeners.to_string()),
        ("DroppedLogs", super::log::DROPPED.load(Relaxed).to_string()),
        ("TotalBytesOut", out_bytes.to_string()),
        ("Start_time_sec", start_s.to_string()),
        ("Tainted", "0".into()),
    ];
    lang::info(&fields, q)
}

/// `show stat`: the report's CSV (or HAProxy's typed form), filtered by `IID TYPE SID`.
fn stat(q: StatQuery, level: Level) -> String {
    let rows = super::stats::rows(frontends(), backends(), now_ms(), level >= Level::Operator);
    let kept: Vec<_> = rows
        .into_iter()
        .filter(|r| {
            let bit = match r.kind {
                proxy_core::stats::RowKind::Frontend => 1,
                proxy_core::stats::RowKind::Backend => 2,
                proxy_core::stats::RowKind::Server => 4,
            };
            q.iid.is_none_or(|i| i == r.ids.iid)
                && q.types.is_none_or(|t| t & bit != 0)
                && q.sid.is_none_or(|s| s == r.ids.sid)
                && (!q.up_only
                    || r.status.starts_with("UP")
                    || r.status == "OPEN"
                    || r.status == "no check")
                && (!q.no_maint || r.status != "MAINT")
        })
        .collect();
    if q.json {
        return proxy_core::stat_typed::stat_json(&kept);
    }
    if q.typed {
        return proxy_core::stat_typed::stat_typed(&kept);
    }
    proxy_core::stats::csv(&kept)
}

/// `show servers state [BACKEND]`.
fn servers_state(only: Option<&str>) -> String {
    let list: Vec<&Arc<BackendRt>> = backends()
        .iter()
        .filter(|b| only.is_none_or(|n| b.name == n))
        .collect();
    if only.is_some() && list.is_empty() {
        return "Can't find backend.\n".into();
    }
    let now = now_ms();
    let mut lines = Vec::new();
    for b in list {
        for s in &b.servers {
            let (addr, port) = match s.target.read().ok().and_then(|t| t.clone()) {
                Some(Target::Inet(a)) => (a.ip().to_string(), a.port()),
                Some(Target::Unix(p)) => (p.display().to_string(), 0),
                None => ("-".into(), s.port.unwrap_or(0)),
            };
            let up = s.is_up();
            let line = with_state(s, |st| ServerStateLine {
                be_id: b.id,
                be_name: b.name.clone(),
                srv_id: s.puid,
                srv_name: s.name.clone(),
                addr,
                op_state: if up { 2 } else { 0 },
                admin_state: match st.admin {
                    Admin::Ready => 0,
                    Admin::Maint => 1,
                    Admin::Drain => 8,
                },
                uweight: st.uweight,
                iweight: s.weight,
                since_change_s: now.saturating_sub(st.health.last_change.unwrap_or(0)) / 1000,
                check_status: if s.check { 6 } else { 1 },
                check_result: if !s.check {
                    0
                } else if st.health.is_up() {
                    3
                } else {
                    2
                },
                check_health: st.health.health_value(),
                check_state: if s.check {
                    if st.checks_paused {
                        0x0e
                    } else {
                        0x06
                    }
                } else {
                    0
                },
                agent_state: if s.agent.is_some() { 0x06 } else { 0 },
                be_id_forced: b.id_forced,
                srv_id_forced: s.id_forced,
                port,
                check_port: s
                    .check_spec
                    .as_ref()
                    .filter(|_| s.check)
                    .and_then(|spec| st.check_port_of(spec))
                    .unwrap_or(0),
            });
            lines.push(line);
        }
    }
    lang::servers_state(&lines)
}

fn maps() -> Option<&'static Arc<super::maps::Maps>> {
    super::maps::MAPS.get()
}

/// Run `f` on the map file `id` names, or say there is none.
fn with_map(
    id: &str,
    f: impl FnOnce(&super::maps::Maps, &super::maps::MapFile) -> String,
) -> String {
    match maps().and_then(|m| Some((m, m.file(id)?))) {
        Some((m, (_, file))) => f(m, file),
        None => super::maps::UNKNOWN_MAP.into(),
    }
}

/// A change's reply: nothing, or why not (HAProxy's words).
fn answer(r: Result<(), String>) -> String {
    match r {
        Ok(()) => String::new(),
        Err(e) => format!("{e}\n"),
    }
}

/// Whether an entry is the one `key` names: `#REF` (its reference, as `show map` prints
/// it) or its key.
fn entry_is(key: &str, r: u64, k: &str) -> bool {
    match key.strip_prefix("#0x").or_else(|| key.strip_prefix('#')) {
        Some(hex) => u64::from_str_radix(hex, 16).is_ok_and(|n| n == r),
        None => k == key,
    }
}

fn value_text(v: &proxy_core::sample::Value) -> String {
    use proxy_core::sample::Value;
    match v {
        Value::Str(s) => s.clone(),
        Value::Int(n) => n.to_string(),
        Value::Ip(ip) => ip.to_string(),
        other => format!("{other:?}"),
    }
}

/// `show map`: the files (`#ID (path)`), or one file's entries.
fn show_map(id: Option<&str>) -> String {
    let Some(maps) = maps() else {
        return if id.is_some() {
            super::maps::UNKNOWN_MAP.into()
        } else {
            "# id (file) description\n".into()
        };
    };
    match id {
        None => {
            let mut o = String::from("# id (file) description\n");
            for (i, f) in maps.files.iter().enumerate() {
                let n = f.entries.read().map(|e| e.len()).unwrap_or(0);
                o.push_str(&format!(
                    "{i} ({p}) pattern loaded from file '{p}' curr_ver=0 next_ver=0 entry_cnt={n}\n",
                    p = f.path
                ));
            }
            o
        }
        Some(id) => match maps.file(id) {
            Some((_, f)) => {
                let mut o = String::new();
                if let Ok(e) = f.entries.read() {
                    for (r, k, v) in e.iter() {
                        o.push_str(&format!("0x{r:x} {k} {v}\n"));
                    }
                }
                o
            }
            None => super::maps::UNKNOWN_MAP.into(),
        },
    }
}

/// `_getsocks`: every listening socket, one message each (its key, the descriptor), then
/// an empty key. The connection is the tokio one, non-blocking: a full buffer is waited
/// out briefly (the messages are a few hundred bytes).
fn send_listeners(link: &std::os::fd::OwnedFd) -> anyhow::Result<()> {
    let list = EXPOSED.get().map(Vec::as_slice).unwrap_or(&[]);
    let send = |key: &str, fd: Option<&std::os::fd::OwnedFd>| -> anyhow::Result<()> {
        for _ in 0..1000 {
            match crate::master::send_one(link, key, fd) {
                Err(e)
                    if e.downcast_ref::<rustix::io::Errno>() == Some(&rustix::io::Errno::AGAIN) =>
                {
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
                other => return other,
            }
        }
        anyhow::bail!("the peer does not read")
    };
    for (k, fd) in list {
        send(k, Some(fd))?;
    }
    send("", None)
}

/// `disable|enable|shutdown frontend`, answered in HAProxy's words.
/// A frontend by its name or `#ID`.
fn find_frontend(name: &str) -> Option<Arc<FrontendRt>> {
    let id = name.strip_prefix('#').and_then(|i| i.parse::<u32>().ok());
    frontends()
        .iter()
        .find(|f| f.name == name || Some(f.id) == id)
        .cloned()
}

fn frontend_state(name: &str, to: Accepting) -> String {
    let Some(f) = find_frontend(name) else {
        return "No such frontend.\n".into();
    };
    let now = *f.state.borrow();
    match (now, to) {
        (Accepting::Stopped, Accepting::Open) => {
            "Frontend was previously shut down, cannot enable.\n".into()
        }
        (Accepting::Stopped, Accepting::Paused) => {
            "Frontend was previously shut down, cannot disable.\n".into()
        }
        (Accepting::Open, Accepting::Open) => "All sockets are already enabled.\n".into(),
        (Accepting::Paused, Accepting::Paused) => "All sockets are already disabled.\n".into(),
        _ => {
            f.state.send_replace(to);
            String::new()
        }
    }
}

/// The stats page's form (`stats admin`): one action on one server of a backend named
/// by its name or `#ID`, done as the runtime API command it stands for. Whether it was
/// done; `None` when it does not apply to the server (HAProxy's page then counts it
/// neither way).
pub fn stats_action(
    backend: &str,
    server: &str,
    a: proxy_core::stats_admin::Action,
) -> Option<bool> {
    use proxy_core::stats_admin::Action as A;
    let id = backend
        .strip_prefix('#')
        .and_then(|i| i.parse::<u32>().ok());
    let Some(b) = backends()
        .iter()
        .find(|b| b.name == backend || Some(b.id) == id)
    else {
        return Some(false);
    };
    let Some(s) = b.servers.iter().find(|s| s.name == server) else {
        return Some(false);
    };
    // As HAProxy's page: on a server without health checks, forcing its health changes
    // nothing yet counts as done; pausing or resuming them does not count. Agent
    // actions on a server without an agent do not count either.
    match a {
        A::HealthUp | A::HealthDown if !s.check => return Some(true),
        A::DisableHealth | A::EnableHealth if !s.check => return None,
        A::DisableAgent | A::EnableAgent | A::AgentUp | A::AgentDown if s.agent.is_none() => {
            return None
        }
        _ => {}
    }
    let r = ServerRef {
        backend: b.name.clone(),
        server: server.to_string(),
    };
    let c = match a {
        A::Ready => Command::SetServer(r, SetServer::State(Admin::Ready)),
        A::Drain => Command::SetServer(r, SetServer::State(Admin::Drain)),
        A::Maint => Command::SetServer(r, SetServer::State(Admin::Maint)),
        A::DisableHealth => Command::DisableHealth(r),
        A::EnableHealth => Command::EnableHealth(r),
        A::HealthUp => Command::SetServer(r, SetServer::Health(true)),
        A::HealthDown => Command::SetServer(r, SetServer::Health(false)),
        A::DisableAgent => Command::DisableAgent(r),
        A::EnableAgent => Command::EnableAgent(r),
        A::AgentUp => Command::SetServer(r, SetServer::Agent(true)),
        A::AgentDown => Command::SetServer(r, SetServer::Agent(false)),
        A::Shutdown => Command::ShutdownSessionsServer(r),
    };
    Some(exec(c, Level::Admin).is_empty())
}
