//! State-change notifications: notify scripts (run one after the other per instance or
//! group, so a script never sees MASTER after a later BACKUP), lines on the notify FIFOs,
//! and smtp_alert mail.

use super::mail::{self, Mail};
use super::scripts::{self, RunAs};
use super::syslog::log;
use keepalived_conf::model::{Command, Config, NotifyFifo, NotifyScripts};
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

type Job = Vec<(Command, Vec<String>)>;

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
    run_as: RunAs,
    queues: HashMap<String, Queue>,
    fifos: Vec<Fifo>,
    mail: Option<Arc<Mail>>,
}

impl Notifier {
    pub fn new(cfg: &Config) -> Notifier {
        let run_as = RunAs::resolve(cfg, None).unwrap_or_else(|e| {
            log(&format!("script_user: {e}; notify scripts run as root"));
            RunAs::default()
        });
        let mut n = Notifier {
            run_as,
            queues: HashMap::new(),
            fifos: Vec::new(),
            mail: Mail::from_config(cfg).map(Arc::new),
        };
        for f in [&cfg.global.notify_fifo, &cfg.global.vrrp_notify_fifo]
            .into_iter()
            .flatten()
        {
            match open_fifo(f, run_as) {
                Ok(fifo) => n.fifos.push(fifo),
                Err(e) => log(&format!("notify FIFO {}: {e}", f.path)),
            }
        }
        n
    }

    /// A new configuration: FIFOs and mail settings follow it; queued scripts still run.
    pub fn reconfigure(&mut self, cfg: &Config) {
        let fresh = Notifier::new(cfg);
        self.run_as = fresh.run_as;
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
                log(&format!("notify FIFO {}: {e}", f.path));
            }
        }
        let specific = match ev.state {
            "MASTER" => &ev.scripts.master,
            "BACKUP" => &ev.scripts.backup,
            "FAULT" => &ev.scripts.fault,
            _ => &ev.scripts.stop,
        };
        let mut job: Job = Vec::new();
        if let Some(c) = specific {
            job.push((c.clone(), Vec::new()));
        }
        if let Some(c) = &ev.scripts.any {
            let args = vec![
                ev.kind.to_string(),
                ev.name.to_string(),
                ev.state.to_string(),
                ev.priority.to_string(),
            ];
            job.push((c.clone(), args));
        }
        if !job.is_empty() {
            let key = format!("{} {}", ev.kind, ev.name);
            let run_as = self.run_as;
            let q = self
                .queues
                .entry(key)
                .or_insert_with(|| spawn_queue(run_as));
            if let Err(mpsc::error::SendError(job)) = q.tx.send(job) {
                // The queue's task ended (it never does by itself); start a new one.
                let fresh = spawn_queue(run_as);
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
                        log(&format!("smtp_alert: {e}"));
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

fn spawn_queue(run_as: RunAs) -> Queue {
    let (tx, mut rx) = mpsc::unbounded_channel::<Job>();
    let task = tokio::spawn(async move {
        while let Some(job) = rx.recv().await {
            for (cmd, args) in job {
                if let Err(e) = scripts::notify(&cmd, &args, run_as).await {
                    log(&format!("notify script {e}"));
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
