//! State-change notifications: notify scripts (run one after the other per instance or
//! group, so a script never sees MASTER after a later BACKUP), lines on the notify FIFOs,
//! and smtp_alert mail.

use super::mail::{self, Mail};
use super::scripts::{self, RunAs};

use crate::plan::NotifyPlan;
use keepalived_conf::model::{Command, NotifyFifo, NotifyScripts, UserGroup};
use std::collections::HashMap;
use std::fs::File;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// One state change, as keepalived reports it.
pub struct Event<'a> {
    /// "INSTANCE" or "GROUP".
    pub kind: &'static str,
    pub name: &'a str,
    /// "MASTER", "BACKUP", "FAULT" or "STOP".
    pub state: &'static str,
    pub from: &'static str,
    pub priority: u8,
    pub scripts: &'a NotifyScripts,
    pub smtp_alert: bool,
}

/// Scripts to run one after the other, each with its arguments and user.
type Job = Vec<(Command, Vec<String>, RunAs)>;

struct Queue {
    tx: mpsc::UnboundedSender<Job>,
    task: JoinHandle<()>,
}

struct Fifo {
    path: String,
    file: File,
    reader: Option<tokio::process::Child>,
}

pub struct Notifier {
    script_user: Option<UserGroup>,
    queues: HashMap<String, Queue>,
    fifos: Vec<Fifo>,
    mail: Option<Arc<Mail>>,
}

impl Notifier {
    pub fn new(plan: &NotifyPlan) -> Notifier {
        let mut n = Notifier {
            script_user: plan.script_user.clone(),
            queues: HashMap::new(),
            fifos: Vec::new(),
            mail: plan.mail.as_ref().map(|m| Arc::new(Mail::from_plan(m))),
        };
        for f in &plan.fifos {
            let user = f.script.as_ref().and_then(|c| c.user.as_ref());
            match n.run_as(user).and_then(|run_as| open_fifo(f, run_as)) {
                Ok(fifo) => n.fifos.push(fifo),
                Err(e) => tracing::info!("notify FIFO {}: {e}", f.path),
            }
        }
        n
    }

    /// Who a script runs as: its own user, else script_user, else keepalived_script or root.
    /// Err when that user does not exist: keepalived does not run the script then.
    fn run_as(&self, own: Option<&UserGroup>) -> Result<RunAs, String> {
        RunAs::resolve(own.or(self.script_user.as_ref()))
    }

    /// A new configuration: FIFOs and mail settings follow it; queued scripts still run.
    pub fn reconfigure(&mut self, plan: &NotifyPlan) {
        let fresh = Notifier::new(plan);
        self.script_user = fresh.script_user;
        self.mail = fresh.mail;
        let mut old = std::mem::replace(&mut self.fifos, fresh.fifos);
        for f in &mut old {
            stop_reader(f);
        }
    }

    pub fn notify(&mut self, ev: &Event<'_>) {
        let line = format!("{} \"{}\" {} {}\n", ev.kind, ev.name, ev.state, ev.priority);
        for f in &mut self.fifos {
            // Non-blocking: a full FIFO (nobody reading) must not stall VRRP.
            if let Err(e) = f.file.write_all(line.as_bytes()) {
                tracing::info!("notify FIFO {}: {e}", f.path);
            }
        }
        let specific = match ev.state {
            "MASTER" => &ev.scripts.master,
            "BACKUP" => &ev.scripts.backup,
            "FAULT" => &ev.scripts.fault,
            _ => &ev.scripts.stop,
        };
        let mut job: Job = Vec::new();
        let mut add = |c: &Command, args: Vec<String>| match self.run_as(c.user.as_ref()) {
            Ok(run_as) => job.push((c.clone(), args, run_as)),
            Err(e) => tracing::info!("notify script {}: {e}; not run", c.raw),
        };
        if let Some(c) = specific {
            add(c, Vec::new());
        }
        if let Some(c) = &ev.scripts.any {
            let args = vec![
                ev.kind.to_string(),
                ev.name.to_string(),
                ev.state.to_string(),
                ev.priority.to_string(),
            ];
            add(c, args);
        }
        if !job.is_empty() {
            let key = format!("{} {}", ev.kind, ev.name);
            let q = self.queues.entry(key).or_insert_with(spawn_queue);
            if let Err(mpsc::error::SendError(job)) = q.tx.send(job) {
                // The queue's task ended (it never does by itself); start a new one.
                let fresh = spawn_queue();
                let _ = fresh.tx.send(job);
                *q = fresh;
            }
        }
        if ev.smtp_alert {
            if let Some(m) = &self.mail {
                let (subject, body) = mail::state_message(m, ev);
                let m = m.clone();
                tokio::spawn(async move {
                    if let Err(e) = m.send(&subject, &body).await {
                        tracing::info!("smtp_alert: {e}");
                    }
                });
            }
        }
    }

    /// Shutdown: let queued notify scripts (notify_stop above all) run, for `limit` at most.
    pub async fn finish(mut self, limit: Duration) {
        let tasks: Vec<JoinHandle<()>> = self.queues.drain().map(|(_, q)| q.task).collect();
        let _ = tokio::time::timeout(limit, futures::future::join_all(tasks)).await;
        for f in &mut self.fifos {
            stop_reader(f);
        }
    }
}

/// How long an instance's next notify script waits for the one before it: scripts run in
/// the order of the state changes, but one that hangs must not hold back every later
/// notification (a `notify_backup` never run after a stuck `notify_master`).
const ORDER_WAIT: Duration = Duration::from_secs(10);

fn spawn_queue() -> Queue {
    let (tx, mut rx) = mpsc::unbounded_channel::<Job>();
    let task = tokio::spawn(async move {
        while let Some(job) = rx.recv().await {
            for (cmd, args, run_as) in job {
                let raw = cmd.raw.clone();
                let mut run =
                    tokio::spawn(async move { scripts::notify(&cmd, &args, run_as).await });
                let who = raw.clone();
                let report = move |r: Result<Result<(), String>, tokio::task::JoinError>| match r {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => tracing::warn!("notify script {e}"),
                    Err(e) => tracing::error!("notify script {who}: {e}"),
                };
                match tokio::time::timeout(ORDER_WAIT, &mut run).await {
                    Ok(r) => report(r),
                    Err(_) => {
                        tracing::warn!(
                            "notify script {raw} still runs after {} s; the next notifications do not wait for it",
                            ORDER_WAIT.as_secs()
                        );
                        // It is still reaped and its end reported.
                        tokio::spawn(async move { report(run.await) });
                    }
                }
            }
        }
    });
    Queue { tx, task }
}

fn open_fifo(f: &NotifyFifo, run_as: RunAs) -> Result<Fifo, String> {
    if f.path.is_empty() {
        return Err("a FIFO script without a FIFO; set notify_fifo PATH".into());
    }
    if std::fs::metadata(&f.path).is_err() {
        nix::unistd::mkfifo(
            f.path.as_str(),
            nix::sys::stat::Mode::from_bits_truncate(0o600),
        )
        .map_err(|e| format!("mkfifo: {e}"))?;
    }
    // Read-write, so opening never waits for a reader and writes never fail for want of one.
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(nix::fcntl::OFlag::O_NONBLOCK.bits())
        .open(&f.path)
        .map_err(|e| e.to_string())?;
    let reader = match &f.script {
        Some(c) => {
            let mut cmd = tokio::process::Command::new(c.argv.first().ok_or("empty script")?);
            cmd.args(&c.argv[1..])
                .arg(&f.path)
                .stdin(std::process::Stdio::null())
                .kill_on_drop(true);
            run_as.apply(&mut cmd);
            Some(cmd.spawn().map_err(|e| format!("{}: {e}", c.raw))?)
        }
        None => None,
    };
    Ok(Fifo {
        path: f.path.clone(),
        file,
        reader,
    })
}

fn stop_reader(f: &mut Fifo) {
    if let Some(mut c) = f.reader.take() {
        if let Some(pid) = c.id() {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid as i32),
                nix::sys::signal::Signal::SIGTERM,
            );
        }
        tokio::spawn(async move {
            let _ = tokio::time::timeout(Duration::from_secs(2), c.wait()).await;
            let _ = c.kill().await;
        });
    }
}
