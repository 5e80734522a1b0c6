//! Master-worker mode (`-W`, `-Ws`, `master-worker`): this process binds every
//! listening socket and keeps it, and runs the proxy in a worker process that inherits
//! the sockets. SIGUSR2 (systemd's `ExecReload`) reads the configuration again: one with
//! errors is refused and the running worker goes on; a good one starts a new worker on
//! the same sockets (the kernel's queue is shared, so no connection waits for a socket
//! that is not there), and once it serves, the old worker stops accepting and finishes
//! its sessions (soft stop, bounded by `hard-stop-after`). With `-Ws` systemd hears
//! READY=1, RELOADING=1 and STOPPING=1, and MAINPID is this process.

use crate::cli::Args;
use crate::runtime::{self, listen, Plan};
use anyhow::Context;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use std::collections::HashMap;
use std::os::fd::OwnedFd;
use std::time::Duration;
use tokio::signal::unix::{signal, SignalKind};

/// Set in a worker's environment: the abstract unix socket its master hands the
/// listening sockets over on (SCM_RIGHTS; descriptors inherited across exec would need
/// `pidfd_getfd`, which systemd's sandboxes refuse, or `unsafe`).
const SOCKET: &str = "PROXYD_MASTER_SOCKET";

/// What a worker was handed by its master: the sockets by key, and the connection it
/// says "ready" on.
#[derive(Debug)]
pub struct Passed {
    fds: std::sync::Mutex<HashMap<String, OwnedFd>>,
    /// To the master (none when taken from a running process with `-x`).
    link: Option<std::os::unix::net::UnixStream>,
}

/// The key of a master CLI session sent to a worker.
pub const CLI_KEY: &str = "@cli";

/// The most a key may be (an address and a number).
const MAX_KEY: usize = 512;

impl Passed {
    /// Connect to the master named in the environment and take every socket it hands
    /// over, or None when this process is no worker.
    pub fn from_env() -> Option<anyhow::Result<Passed>> {
        let name = std::env::var(SOCKET).ok()?;
        Some(Self::receive(&name))
    }

    fn receive(name: &str) -> anyhow::Result<Passed> {
        use std::os::linux::net::SocketAddrExt;
        let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())?;
        let link = std::os::unix::net::UnixStream::connect_addr(&addr)
            .with_context(|| format!("cannot reach the master at @{name}"))?;
        let fds = receive_all(&link)?;
        Ok(Passed {
            fds: std::sync::Mutex::new(fds),
            link: Some(link),
        })
    }

    /// `-x PATH`: take the listening sockets of the process serving the runtime API at
    /// PATH (a socket with `expose-fd listeners`).
    pub fn take_over(path: &std::path::Path) -> anyhow::Result<Passed> {
        use std::io::Write;
        let mut s = std::os::unix::net::UnixStream::connect(path)
            .with_context(|| format!("-x {}: cannot connect", path.display()))?;
        s.write_all(b"_getsocks\n")?;
        let fds = receive_all(&s).with_context(|| {
            format!(
                "-x {}: no listening sockets handed over (does that socket have `expose-fd listeners` and `level admin`?)",
                path.display()
            )
        })?;
        Ok(Passed {
            fds: std::sync::Mutex::new(fds),
            link: None,
        })
    }

    /// Take the socket passed under `key`.
    pub fn take(&self, key: &str) -> Option<OwnedFd> {
        self.fds.lock().ok()?.remove(key)
    }

    /// Tell the master this worker serves; from then on the worker stops when the
    /// master is gone (its end of the link closes), as HAProxy's workers do, and serves
    /// the runtime API sessions the master CLI opens to it (`@1 CMD`), each a socket
    /// sent over the link.
    pub fn ready(&self) {
        use std::io::Write;
        let Some(link) = &self.link else {
            return;
        };
        if let Err(e) = (&*link).write_all(b"1") {
            tracing::error!("cannot tell the master this worker is ready: {e}");
        }
        let watch = match link.try_clone() {
            Ok(l) => l,
            Err(e) => {
                tracing::error!("cannot watch the master: {e}");
                return;
            }
        };
        let rt = tokio::runtime::Handle::try_current().ok();
        std::thread::spawn(move || {
            let _ = watch.set_read_timeout(None);
            loop {
                match recv_one(&watch) {
                    Ok((key, Some(fd))) if key == CLI_KEY => match &rt {
                        Some(rt) => {
                            let _in = rt.enter();
                            runtime::api::serve_master_session(fd);
                        }
                        None => tracing::error!("master CLI: no runtime to serve its session"),
                    },
                    Ok((key, _)) => {
                        tracing::warn!("master link: unexpected message `{key}`, ignored")
                    }
                    // Nothing more can come: the master's end closed.
                    Err(_) => break,
                }
            }
            tracing::error!(pri = "alert", "the master is gone: stopping");
            let _ = kill(Pid::this(), Signal::SIGTERM);
        });
    }
}

/// The sockets sent over `link`, up to the empty key that ends them.
fn receive_all(link: &std::os::unix::net::UnixStream) -> anyhow::Result<HashMap<String, OwnedFd>> {
    link.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut fds = HashMap::new();
    loop {
        let (key, fd) = recv_one(link)?;
        if key.is_empty() {
            return Ok(fds);
        }
        let fd = fd.with_context(|| format!("no socket came with {key}"))?;
        fds.insert(key, fd);
    }
}

/// One message of the hand-over: a key, and the socket with it (an empty key ends it).
fn recv_one(link: impl std::os::fd::AsFd) -> anyhow::Result<(String, Option<OwnedFd>)> {
    use rustix::net::{RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags};
    let mut space = [std::mem::MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut anc = RecvAncillaryBuffer::new(&mut space);
    let mut buf = [0u8; MAX_KEY + 2];
    let r = rustix::net::recvmsg(
        link,
        &mut [std::io::IoSliceMut::new(&mut buf)],
        &mut anc,
        RecvFlags::CMSG_CLOEXEC,
    )?;
    let mut fd = None;
    for m in anc.drain() {
        if let RecvAncillaryMessage::ScmRights(mut fds) = m {
            fd = fds.next();
        }
    }
    // Each message is the key's length, then the key.
    let n = usize::from(u16::from_be_bytes([buf[0], buf[1]]));
    if r.bytes < 2 || n + 2 != r.bytes {
        anyhow::bail!("the master's hand-over message is malformed");
    }
    Ok((String::from_utf8_lossy(&buf[2..2 + n]).into_owned(), fd))
}

/// Send one message of the hand-over.
pub fn send_one(
    link: impl std::os::fd::AsFd,
    key: &str,
    fd: Option<&OwnedFd>,
) -> anyhow::Result<()> {
    use rustix::net::{SendAncillaryBuffer, SendAncillaryMessage, SendFlags};
    use std::os::fd::AsFd;
    if key.len() > MAX_KEY {
        anyhow::bail!("socket key too long: {key}");
    }
    let mut msg = (key.len() as u16).to_be_bytes().to_vec();
    msg.extend_from_slice(key.as_bytes());
    let mut space = [std::mem::MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut anc = SendAncillaryBuffer::new(&mut space);
    let borrowed = fd.map(|f| [f.as_fd()]);
    if let Some(b) = &borrowed {
        anc.push(SendAncillaryMessage::ScmRights(b));
    }
    rustix::net::sendmsg(
        link,
        &[std::io::IoSlice::new(&msg)],
        &mut anc,
        SendFlags::empty(),
    )?;
    Ok(())
}

/// The key each listener of a plan is passed under: its address, numbered when
/// several bind lines name the same one. The same address keeps its socket over a
/// reload, whichever frontend it moves to.
pub fn listener_keys(plan: &Plan) -> Vec<(String, &runtime::ListenerRt)> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::new();
    for (_, ls) in &plan.frontends {
        for l in ls {
            let addr = l.on.to_string();
            let n = seen.entry(addr.clone()).or_insert(0);
            out.push((format!("{addr}#{n}"), l.as_ref()));
            *n += 1;
        }
    }
    out
}

/// Bind what `plan` listens on and `held` does not hold yet.
fn bind_missing(plan: &Plan, held: &mut HashMap<String, OwnedFd>) -> anyhow::Result<()> {
    for (key, l) in listener_keys(plan) {
        if held.contains_key(&key) {
            continue;
        }
        let b = listen::bind(&l.on, l.backlog, &l.opts)
            .with_context(|| format!("cannot bind {}", l.on))?;
        held.insert(key, b.into_fd()?);
    }
    for s in &plan.api.0 {
        let key = runtime::api_key(s);
        if held.contains_key(&key) {
            continue;
        }
        for b in runtime::api_bind(std::slice::from_ref(s))? {
            held.insert(key.clone(), b.into_fd()?);
        }
    }
    Ok(())
}

/// The keys the current configuration uses: the others are closed once a new worker
/// serves.
fn keys_of(plan: &Plan) -> Vec<String> {
    let mut k: Vec<String> = listener_keys(plan).into_iter().map(|(k, _)| k).collect();
    k.extend(plan.api.0.iter().map(runtime::api_key));
    k
}

struct Worker {
    child: std::process::Child,
    /// The hand-over connection, kept open while the worker lives: it closes when this
    /// process dies, which tells the worker to stop. The master CLI sends sessions
    /// over it.
    link: std::sync::Arc<std::os::unix::net::UnixStream>,
    started: std::time::Instant,
    /// The master's reload count when it started.
    born: u32,
}

impl Worker {
    fn pid(&self) -> Pid {
        Pid::from_raw(self.child.id() as i32)
    }

    fn view(&self) -> crate::master_cli::ProcView {
        crate::master_cli::ProcView {
            pid: self.child.id(),
            started: self.started,
            born: self.born,
            link: self.link.clone(),
        }
    }
}

/// What the master CLI shows: the counts and the workers, current first.
fn publish(procs: &crate::master_cli::Shared, current: &Worker, old: &[Worker]) {
    let mut p = procs.lock().unwrap_or_else(|e| e.into_inner());
    p.workers = std::iter::once(current)
        .chain(old.iter().rev())
        .map(Worker::view)
        .collect();
}

/// Start a worker on `held`'s sockets; returns once it serves (or why it does not).
async fn start_worker(held: &HashMap<String, OwnedFd>, born: u32) -> anyhow::Result<Worker> {
    use std::os::linux::net::SocketAddrExt;
    static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let name = format!(
        "proxyd-master-{}-{}",
        std::process::id(),
        SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())?;
    let listener = std::os::unix::net::UnixListener::bind_addr(&addr)
        .with_context(|| format!("cannot open @{name} for the worker"))?;
    let exe = std::env::current_exe().context("the program's path")?;
    let child = std::process::Command::new(exe)
        .args(std::env::args_os().skip(1))
        .env(SOCKET, &name)
        // The master speaks to systemd, not its workers.
        .env_remove("NOTIFY_SOCKET")
        .spawn()
        .context("cannot start a worker")?;
    let pid = child.id();
    let fds: Vec<(String, OwnedFd)> = held
        .iter()
        .map(|(k, fd)| Ok((k.clone(), fd.try_clone()?)))
        .collect::<std::io::Result<_>>()?;
    // Hand the sockets over to this worker only (its pid, checked), then wait for its
    // "ready"; a worker that ends first, or takes a minute, is given up.
    let (mut child, handed) = tokio::task::spawn_blocking(move || {
        let mut child = child;
        let r = hand_over(&listener, &mut child, &fds, &name);
        (child, r)
    })
    .await?;
    match handed {
        Ok(link) => Ok(Worker {
            child,
            link: std::sync::Arc::new(link),
            started: crate::master_cli::now(),
            born,
        }),
        Err(e) => {
            let _ = child.kill();
            let status = child.wait().ok();
            anyhow::bail!(
                "the new worker (pid {pid}) did not start serving: {e:#}{}",
                status.map(|s| format!(" ({s})")).unwrap_or_default()
            )
        }
    }
}

/// The hand-over, on a blocking thread: accept the worker's connection (no other
/// process's), send the sockets, read its "ready".
fn hand_over(
    listener: &std::os::unix::net::UnixListener,
    child: &mut std::process::Child,
    fds: &[(String, OwnedFd)],
    name: &str,
) -> anyhow::Result<std::os::unix::net::UnixStream> {
    use std::io::Read;
    // 60 s in 10 ms steps.
    let mut tries = 6000u32;
    listener.set_nonblocking(true)?;
    let link = loop {
        match listener.accept() {
            Ok((link, _)) => break link,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                if let Some(s) = child.try_wait()? {
                    anyhow::bail!("it ended before taking its sockets: {s}");
                }
                tries = tries.saturating_sub(1);
                if tries == 0 {
                    anyhow::bail!("it did not take its sockets within 60 s");
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(e) => return Err(e.into()),
        }
    };
    link.set_nonblocking(false)?;
    let peer = rustix::net::sockopt::socket_peercred(&link)?;
    if peer.pid.as_raw_nonzero().get() as u32 != child.id() {
        anyhow::bail!("@{name}: a process other than the worker connected");
    }
    for (k, fd) in fds {
        send_one(&link, k, Some(fd))?;
    }
    send_one(&link, "", None)?;
    link.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut b = [0u8; 1];
    match (&link).read(&mut b) {
        Ok(1) => Ok(link),
        Ok(_) => anyhow::bail!("it ended before serving"),
        Err(e) => anyhow::bail!("no word from it: {e}"),
    }
}

fn notify(states: &[sd_notify::NotifyState<'_>]) {
    if let Err(e) = sd_notify::notify(false, states) {
        tracing::warn!("cannot tell systemd: {e}");
    }
}

/// Run as the master of `plan` (already checked). Returns the exit code.
pub fn run(args: &Args, plan: Plan) -> anyhow::Result<u8> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(master(args, plan))
}

async fn master(args: &Args, plan: Plan) -> anyhow::Result<u8> {
    let mut held: HashMap<String, OwnedFd> = HashMap::new();
    bind_missing(&plan, &mut held)?;
    drop(plan);
    // The master CLI's socket is the master's own (workers never get it).
    let cli = match &args.master_socket {
        Some(arg) => {
            let spec = crate::master_cli::socket(arg)
                .and_then(|s| runtime::api::spec(&s).map_err(|e| format!("-S {arg}: {e}")))
                .map_err(anyhow::Error::msg)?;
            Some(runtime::api_bind(&[spec]).with_context(|| format!("-S {arg}"))?)
        }
        None => None,
    };
    let mut current = start_worker(&held, 0).await?;
    let mut old: Vec<Worker> = Vec::new();
    let procs: crate::master_cli::Shared =
        std::sync::Arc::new(std::sync::Mutex::new(crate::master_cli::Procs {
            started: crate::master_cli::now(),
            reloads: 0,
            failed: 0,
            workers: Vec::new(),
        }));
    publish(&procs, &current, &old);
    let (reload_tx, mut reload_rx) = tokio::sync::mpsc::channel(4);
    if let Some(bound) = cli {
        crate::master_cli::spawn(bound, procs.clone(), reload_tx);
    } else {
        drop(reload_tx);
    }
    tracing::info!(pri = "notice", "master: worker {} serves", current.pid());
    notify(&[
        sd_notify::NotifyState::Ready,
        sd_notify::NotifyState::MainPid(std::process::id()),
    ]);
    let mut usr2 = signal(SignalKind::user_defined2())?;
    let mut hup = signal(SignalKind::hangup())?;
    let mut usr1 = signal(SignalKind::user_defined1())?;
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    loop {
        tokio::select! {
            _ = usr2.recv() => {
                reload(args, &mut held, &mut current, &mut old, &procs).await;
            }
            _ = hup.recv() => {
                reload(args, &mut held, &mut current, &mut old, &procs).await;
            }
            Some(reply) = reload_rx.recv() => {
                let ok = reload(args, &mut held, &mut current, &mut old, &procs).await;
                let _ = reply.send(ok);
            }
            _ = usr1.recv() => {
                // Soft stop of everything: the workers finish their sessions.
                notify(&[sd_notify::NotifyState::Stopping]);
                for w in std::iter::once(&current).chain(old.iter()) {
                    let _ = kill(w.pid(), Signal::SIGUSR1);
                }
                let _ = tokio::task::spawn_blocking(move || {
                    let _ = current.child.wait();
                    for mut w in old {
                        let _ = w.child.wait();
                    }
                })
                .await;
                return Ok(0);
            }
            _ = term.recv() => return Ok(stop(current, old).await),
            _ = int.recv() => return Ok(stop(current, old).await),
            _ = tick.tick() => {
                let before = old.len();
                old.retain_mut(|w| match w.child.try_wait() {
                    Ok(Some(s)) => {
                        tracing::info!(pri = "notice", "master: old worker {} is gone ({s})", w.pid());
                        false
                    }
                    _ => true,
                });
                if old.len() != before {
                    publish(&procs, &current, &old);
                }
                if let Ok(Some(s)) = current.child.try_wait() {
                    tracing::error!(pri = "alert", "master: the worker {} died ({s}); stopping", current.pid());
                    for w in &old {
                        let _ = kill(w.pid(), Signal::SIGTERM);
                    }
                    return Ok(1);
                }
            }
        }
    }
}

/// SIGTERM: every worker stops at once, as HAProxy's hard stop.
async fn stop(current: Worker, old: Vec<Worker>) -> u8 {
    notify(&[sd_notify::NotifyState::Stopping]);
    let mut all: Vec<Worker> = std::iter::once(current).chain(old).collect();
    for w in &all {
        let _ = kill(w.pid(), Signal::SIGTERM);
    }
    let _ = tokio::task::spawn_blocking(move || {
        for w in &mut all {
            let _ = w.child.wait();
        }
    })
    .await;
    0
}

/// Read the configuration again and hand over to a new worker, or keep the running one
/// and say why. Whether a new worker serves; the master CLI's counts follow.
async fn reload(
    args: &Args,
    held: &mut HashMap<String, OwnedFd>,
    current: &mut Worker,
    old: &mut Vec<Worker>,
    procs: &crate::master_cli::Shared,
) -> bool {
    let reloads = {
        let mut p = procs.lock().unwrap_or_else(|e| e.into_inner());
        p.reloads += 1;
        p.reloads
    };
    let ok = reload_once(args, held, current, old, reloads).await;
    if !ok {
        procs.lock().unwrap_or_else(|e| e.into_inner()).failed += 1;
    }
    publish(procs, current, old);
    ok
}

async fn reload_once(
    args: &Args,
    held: &mut HashMap<String, OwnedFd>,
    current: &mut Worker,
    old: &mut Vec<Worker>,
    reloads: u32,
) -> bool {
    notify(&[sd_notify::NotifyState::Reloading]);
    tracing::info!(pri = "notice", "master: reloading");
    let (loaded, plan) = runtime::load(args);
    let Some(plan) = plan else {
        for d in loaded
            .diags
            .iter()
            .filter(|d| d.severity == conf_diag::Severity::Error)
        {
            tracing::error!("master: {}", conf_diag::render_line(&loaded.map, d));
        }
        tracing::error!(
            pri = "alert",
            "master: reload refused: the configuration has errors; worker {} goes on with the running one",
            current.pid()
        );
        notify(&[sd_notify::NotifyState::Ready]);
        return false;
    };
    if let Err(e) = bind_missing(&plan, held) {
        tracing::error!(
            pri = "alert",
            "master: reload refused: {e:#}; worker {} goes on",
            current.pid()
        );
        notify(&[sd_notify::NotifyState::Ready]);
        return false;
    }
    let keep = keys_of(&plan);
    drop(plan);
    let ok = match start_worker(held, reloads).await {
        Ok(w) => {
            let previous = std::mem::replace(current, w);
            // It stops accepting and finishes its sessions.
            let _ = kill(previous.pid(), Signal::SIGUSR1);
            tracing::info!(
                pri = "notice",
                "master: reloaded: worker {} serves, worker {} finishes its sessions",
                current.pid(),
                previous.pid()
            );
            old.push(previous);
            // Sockets the new configuration no longer names close with the old worker.
            held.retain(|k, _| keep.contains(k));
            true
        }
        Err(e) => {
            tracing::error!(
                pri = "alert",
                "master: reload failed: {e:#}; worker {} goes on",
                current.pid()
            );
            false
        }
    };
    notify(&[sd_notify::NotifyState::Ready]);
    ok
}
