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
use std::os::fd::{AsRawFd, OwnedFd};
use std::time::Duration;
use tokio::signal::unix::{signal, SignalKind};

/// Set in a worker's environment: the descriptors it inherits, `key=fd;...`.
const FDS: &str = "PROXYD_MASTER_FDS";
/// Set in a worker's environment: the pipe it writes a byte to once it serves.
const READY: &str = "PROXYD_READY_FD";

/// What a worker was handed by its master.
#[derive(Debug, Default)]
pub struct Passed {
    fds: HashMap<String, i32>,
    ready: Option<i32>,
}

impl Passed {
    /// Read from the environment (a worker of a master), or None.
    pub fn from_env() -> Option<Passed> {
        let fds = std::env::var(FDS).ok()?;
        Some(Passed {
            fds: fds
                .split(';')
                .filter_map(|kv| {
                    let (k, v) = kv.rsplit_once('=')?;
                    Some((k.to_string(), v.parse().ok()?))
                })
                .collect(),
            ready: std::env::var(READY).ok().and_then(|v| v.parse().ok()),
        })
    }

    pub fn fd(&self, key: &str) -> Option<i32> {
        self.fds.get(key).copied()
    }

    /// Tell the master this worker serves.
    pub fn ready(&self) {
        if let Some(n) = self.ready {
            match listen::inherit(n) {
                Ok(fd) => {
                    let f = std::fs::File::from(fd);
                    use std::io::Write;
                    if let Err(e) = (&f).write_all(b"1") {
                        tracing::error!("cannot tell the master this worker is ready: {e}");
                    }
                }
                Err(e) => tracing::error!("cannot tell the master this worker is ready: {e}"),
            }
        }
    }
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
        held.insert(key, passable(b.into_fd()?)?);
    }
    for s in &plan.api.0 {
        let key = runtime::api_key(s);
        if held.contains_key(&key) {
            continue;
        }
        for b in runtime::api_bind(std::slice::from_ref(s))? {
            held.insert(key.clone(), passable(b.into_fd()?)?);
        }
    }
    Ok(())
}

/// A copy of `fd` that children inherit (no close-on-exec), the original closed.
fn passable(fd: OwnedFd) -> anyhow::Result<OwnedFd> {
    Ok(nix::unistd::dup(&fd).context("dup")?)
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
}

impl Worker {
    fn pid(&self) -> Pid {
        Pid::from_raw(self.child.id() as i32)
    }
}

/// Start a worker on `held`'s sockets; returns once it serves (or why it does not).
async fn start_worker(held: &HashMap<String, OwnedFd>) -> anyhow::Result<Worker> {
    let (r, w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).context("pipe")?;
    let w_child = passable(w)?;
    let fds: Vec<String> = held
        .iter()
        .map(|(k, fd)| format!("{k}={}", fd.as_raw_fd()))
        .collect();
    let exe = std::env::current_exe().context("the program's path")?;
    let child = std::process::Command::new(exe)
        .args(std::env::args_os().skip(1))
        .env(FDS, fds.join(";"))
        .env(READY, w_child.as_raw_fd().to_string())
        // The master speaks to systemd, not its workers.
        .env_remove("NOTIFY_SOCKET")
        .spawn()
        .context("cannot start a worker")?;
    drop(w_child);
    let mut worker = Worker { child };
    let pid = worker.child.id();
    // The worker writes one byte once it serves; end of file means it died first.
    let got = tokio::time::timeout(
        Duration::from_secs(60),
        tokio::task::spawn_blocking(move || {
            let mut f = std::fs::File::from(r);
            let mut b = [0u8; 1];
            use std::io::Read;
            f.read(&mut b).map(|n| n == 1)
        }),
    )
    .await;
    match got {
        Ok(Ok(Ok(true))) => Ok(worker),
        other => {
            let _ = worker.child.kill();
            let status = worker.child.wait().ok();
            anyhow::bail!(
                "the new worker (pid {pid}) did not start serving ({})",
                match (other, status) {
                    (Err(_), _) => "not ready within 60 s".to_string(),
                    (_, Some(s)) => format!("it ended: {s}"),
                    _ => "unknown".to_string(),
                }
            )
        }
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
    let mut current = start_worker(&held).await?;
    let mut old: Vec<Worker> = Vec::new();
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
            _ = usr2.recv() => reload(args, &mut held, &mut current, &mut old).await,
            _ = hup.recv() => reload(args, &mut held, &mut current, &mut old).await,
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
                old.retain_mut(|w| match w.child.try_wait() {
                    Ok(Some(s)) => {
                        tracing::info!(pri = "notice", "master: old worker {} is gone ({s})", w.pid());
                        false
                    }
                    _ => true,
                });
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
/// and say why.
async fn reload(
    args: &Args,
    held: &mut HashMap<String, OwnedFd>,
    current: &mut Worker,
    old: &mut Vec<Worker>,
) {
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
        return;
    };
    if let Err(e) = bind_missing(&plan, held) {
        tracing::error!(
            pri = "alert",
            "master: reload refused: {e:#}; worker {} goes on",
            current.pid()
        );
        notify(&[sd_notify::NotifyState::Ready]);
        return;
    }
    let keep = keys_of(&plan);
    drop(plan);
    match start_worker(held).await {
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
        }
        Err(e) => {
            tracing::error!(
                pri = "alert",
                "master: reload failed: {e:#}; worker {} goes on",
                current.pid()
            );
        }
    }
    notify(&[sd_notify::NotifyState::Ready]);
}
