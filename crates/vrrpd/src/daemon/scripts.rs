//! vrrp_script checks and notify scripts, run as child processes.

use keepalived_conf::model::{Command as ConfCommand, UserGroup};
use std::process::Stdio;
use std::time::Duration;
use tokio::process::Command;
use tokio::sync::mpsc;

/// The user and group a script runs as (None: the daemon's own, i.e. root).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunAs {
    pub uid: Option<u32>,
    pub gid: Option<u32>,
}

impl RunAs {
    /// keepalived's rule: the script's own user (or else `script_user`), else the user
    /// `keepalived_script` if it exists, else root. The group defaults to the user's.
    pub fn resolve(user: Option<&UserGroup>) -> Result<RunAs, String> {
        let name = match user {
            Some(u) => u.user.clone(),
            None => "keepalived_script".to_string(),
        };
        let found = match nix::unistd::User::from_name(&name) {
            Ok(Some(u)) => u,
            _ if user.is_none() => return Ok(RunAs::default()),
            _ => return Err(format!("user `{name}` does not exist")),
        };
        let gid = match user.and_then(|u| u.group.as_deref()) {
            Some(g) => match nix::unistd::Group::from_name(g) {
                Ok(Some(g)) => g.gid.as_raw(),
                _ => return Err(format!("group `{g}` does not exist")),
            },
            None => found.gid.as_raw(),
        };
        Ok(RunAs {
            uid: Some(found.uid.as_raw()),
            gid: Some(gid),
        })
    }

    pub fn apply(&self, cmd: &mut Command) {
        // The group first: once the user is dropped, the group could not be changed.
        if let Some(g) = self.gid {
            cmd.gid(g);
        }
        if let Some(u) = self.uid {
            cmd.uid(u);
        }
    }
}

fn command(c: &ConfCommand, extra: &[String], run_as: RunAs) -> Option<Command> {
    let mut cmd = if c.shell {
        // Shell operators: run through the shell (keepalived would not; vrrpd -t says so).
        let mut line = c.raw.clone();
        for e in extra {
            line.push(' ');
            line.push_str(e);
        }
        let mut sh = Command::new("/bin/sh");
        sh.arg("-c").arg(line);
        sh
    } else {
        let (prog, args) = c.argv.split_first()?;
        let mut p = Command::new(prog);
        p.args(args).args(extra);
        p
    };
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .process_group(0);
    run_as.apply(&mut cmd);
    Some(cmd)
}

/// One run: success = exit status 0 before the timeout; a timed-out run is a failure.
async fn run_once(c: &ConfCommand, timeout: Duration, run_as: RunAs) -> bool {
    let Some(mut cmd) = command(c, &[], run_as) else {
        return false;
    };
    let Ok(mut child) = cmd.spawn() else {
        return false;
    };
    match tokio::time::timeout(timeout, child.wait()).await {
        Ok(Ok(status)) => status.success(),
        _ => {
            // SIGTERM to the script's process group, SIGKILL a second later.
            if let Some(pid) = child.id() {
                let group = nix::unistd::Pid::from_raw(-(pid as i32));
                let _ = nix::sys::signal::kill(group, nix::sys::signal::Signal::SIGTERM);
                if tokio::time::timeout(Duration::from_secs(1), child.wait())
                    .await
                    .is_ok()
                {
                    return false;
                }
                let _ = nix::sys::signal::kill(group, nix::sys::signal::Signal::SIGKILL);
            }
            let _ = child.kill().await;
            false
        }
    }
}

/// What one check runs and how often.
pub struct Check {
    pub name: String,
    pub command: ConfCommand,
    pub interval: Duration,
    pub timeout: Duration,
    pub run_as: RunAs,
}

/// Runs a check every `interval`, sending `(name, ok)` after each run. A run that is still
/// going when the next is due delays it (runs never overlap).
pub fn spawn_check(c: Check, tx: mpsc::Sender<(String, bool)>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let ok = run_once(&c.command, c.timeout, c.run_as).await;
            if tx.send((c.name.clone(), ok)).await.is_err() {
                return;
            }
            tokio::time::sleep(c.interval).await;
        }
    })
}

/// Run a notify script with keepalived's arguments and wait for it (the caller serialises
/// the notifications of one instance this way).
pub async fn notify(c: &ConfCommand, extra: &[String], run_as: RunAs) -> Result<(), String> {
    let Some(mut cmd) = command(c, extra, run_as) else {
        return Err("empty command".into());
    };
    cmd.kill_on_drop(false);
    let mut child = cmd.spawn().map_err(|e| format!("{}: {e}", c.raw))?;
    match child.wait().await {
        Ok(st) if st.success() => Ok(()),
        Ok(st) => Err(format!("{}: {st}", c.raw)),
        Err(e) => Err(format!("{}: {e}", c.raw)),
    }
}
